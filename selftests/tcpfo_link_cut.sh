#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Sync mode, state link cut mid-transfer and restored: the primary goes
# unprotected and releases without the standby (the transfers do not stall:
# the clients keep being acknowledged), reconnects when the link returns,
# resyncs in full and is protected again; then, with traffic frozen, the
# standby's table matches the primary's exactly.
# timeout: 300
. ./lib.sh

SL_SB=203.0.113.2 SL_PORT=7000
load_tcpfo
proxy_topology
start_backend
ip netns add gw2 || fail "netns gw2"
ip -n gw2 link set lo up
ip link add sl netns gw type veth peer sl netns gw2
ip -n gw addr add 203.0.113.1/24 dev sl; ip -n gw link set sl up
ip -n gw2 addr add $SL_SB/24 dev sl; ip -n gw2 link set sl up
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > /tmp/peer.key

for side in gw gw2; do
	if [ $side = gw ]; then
		peer="address = $SL_SB:$SL_PORT"; role=primary
		svc="service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
service = web6 [$VIP6]:$VPORT [$SERVER6]:$SPORT via $BACK6"
	else
		peer="listen = $SL_SB:$SL_PORT"; role=standby; svc=
	fi
	cat > /tmp/$side.conf <<C
node = $side
role = $role
mode = sync
control-socket = /run/tcpfo/$side.sock
$svc
[peer]
$peer
key-file = /tmp/peer.key
[heartbeat]
interval = 100ms
misses = 5
[relay]
connect-timeout = 30s
C
done
ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
SB_PID=$!
wait_for 10 grep -q "state link: listening" /tmp/gw2.log || { cat /tmp/gw2.log; fail "standby did not listen"; }
ip netns exec gw failoverd --config /tmp/gw.conf > /tmp/failoverd.log 2>&1 &
GW_PID=$!
wait_for 20 grep -q "state link: protected" /tmp/failoverd.log ||
	{ cat /tmp/failoverd.log /tmp/gw2.log; fail "never protected"; }

pids=
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) -eq 0 ]; then vip=$VIP4; else vip=$VIP6; fi
	ip netns exec client tcpfo-stream client $vip $VPORT --duration 120 --down 2000000 --seed $i --quiet > /tmp/cut$i.out 2>&1 &
	pids="$pids $!"
done
total_acked() { # sum of bytes_acked of the client's connections
	ip netns exec client ss -tin state established |
		awk 'match($0, /bytes_acked:[0-9]+/) { s += substr($0, RSTART + 12, RLENGTH - 12) } END { print s + 0 }'
}
wait_for 30 sh -c "[ \"\$(ip netns exec gw2 tcpfoctl -j flows | jq '[.[] | select(.standby and .released_c2s > 100000)] | length')\" = 6 ]" ||
	{ ip netns exec gw2 tcpfoctl flows; fail "the standby does not follow the 6 flows"; }

# Cut.
ip -n gw link set sl down
wait_for 10 grep -q "UNPROTECTED" /tmp/failoverd.log ||
	{ tail /tmp/failoverd.log; fail "the primary did not go unprotected"; }
a1=$(total_acked); sleep 2; a2=$(total_acked)
note "link cut: primary unprotected; clients acknowledged $a1 -> $a2 bytes meanwhile"
[ "$a2" -gt "$a1" ] || fail "the flows stalled while the standby was unreachable"

# Restore.
ip -n gw link set sl up
wait_for 20 sh -c "[ \$(grep -c 'state link: protected' /tmp/failoverd.log) -ge 2 ]" ||
	{ tail -20 /tmp/failoverd.log; tail -20 /tmp/gw2.log; fail "not protected again after the link returned"; }
[ "$(grep -c 'full sync done' /tmp/gw2.log)" -ge 2 ] || fail "no second full sync on the standby"
note "link restored: full resync, protected again"

# Frozen, the tables must match.
killall -STOP tcpfo-stream
fields='[.[] | {id, family, client, client_port, vip, vport, back_address, back_port, server, server_port, state, service, client_isn, l1_isn, l2_isn, server_isn, l1_mss, l2_mss, l1_wscale_client, l1_wscale_gw, l2_wscale_server, l2_wscale_gw, l1_opts, l2_opts, released_c2s, released_s2c, fin_c2s, fin_s2c}] | sort_by(.id)'
same=0 n=0
while [ $n -lt 30 ]; do
	n=$((n + 1)); sleep 1
	ip netns exec gw tcpfoctl -j flows | jq -S "$fields" > /tmp/primary.json
	ip netns exec gw2 tcpfoctl -j flows | jq -S "$fields" > /tmp/standby.json
	if cmp -s /tmp/primary.json /tmp/standby.json; then same=1; break; fi
done
[ $same = 1 ] || { diff /tmp/primary.json /tmp/standby.json | head -30; fail "after the resync the standby does not match the primary"; }
[ "$(jq length /tmp/primary.json)" = 6 ] || fail "expected 6 flows in the comparison"
note "after the resync the standby matches the primary on 6 flows"
killall -CONT tcpfo-stream
for p in $pids; do kill -USR1 $p; done
bad=0
for p in $pids; do wait $p || bad=$((bad + 1)); done
[ $bad = 0 ] || { cat /tmp/cut*.out | head; fail "$bad streams failed"; }
note "6 streams intact"
kill $GW_PID; wait $GW_PID
kill $SB_PID; wait $SB_PID
exit 0
