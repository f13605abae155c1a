#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Sync mode, state link cut mid-transfer and restored: the primary goes
# unprotected and releases without the standby (the transfers do not stall:
# the clients keep being acknowledged), reconnects when the link returns,
# resyncs in full and is protected again; then, with traffic frozen, the
# standby's table matches the primary's exactly. The primary's heartbeat
# misses would take 10 s; its [peer] timeout (1 s) must decide instead.
# timeout: 300
. ./lib.sh

load_tcpfo
proxy_topology
start_backend
standby_topology

primary_conf sync 100ms 100 > /tmp/gw.conf
start_standby sync 100ms 5
ip netns exec gw failoverd --config /tmp/gw.conf --peer.timeout 1s > /tmp/failoverd.log 2>&1 &
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
t0=$(date +%s%N)
wait_for 6 grep -q "UNPROTECTED" /tmp/failoverd.log ||
	{ tail /tmp/failoverd.log; fail "the primary did not go unprotected within 6 s (peer.timeout 1s, misses 10 s)"; }
note "unprotected $(( ($(date +%s%N) - t0) / 1000000 )) ms after the cut (peer.timeout 1s)"
wait_for 5 sh -c "[ \"\$(ip netns exec gw tcpfoctl -j status | jq -r .protection)\" = UNPROTECTED ]" ||
	{ ip netns exec gw tcpfoctl status; fail "tcpfoctl status does not say UNPROTECTED"; }
a1=$(total_acked); sleep 2; a2=$(total_acked)
note "link cut: primary unprotected (tcpfoctl status: UNPROTECTED); clients acknowledged $a1 -> $a2 bytes meanwhile"
[ "$a2" -gt "$a1" ] || fail "the flows stalled while the standby was unreachable"

# Restore.
ip -n gw link set sl up
wait_for 20 sh -c "[ \$(grep -c 'state link: protected' /tmp/failoverd.log) -ge 2 ]" ||
	{ tail -20 /tmp/failoverd.log; tail -20 /tmp/gw2.log; fail "not protected again after the link returned"; }
[ "$(grep -c 'full sync done' /tmp/gw2.log)" -ge 2 ] || fail "no second full sync on the standby"
[ "$(ip netns exec gw tcpfoctl -j status | jq -r .protection)" = protected ] ||
	{ ip netns exec gw tcpfoctl status; fail "tcpfoctl status does not say protected"; }
note "link restored: full resync, protected again (tcpfoctl status: protected)"

# Frozen, the tables must match.
killall -STOP tcpfo-stream
tables_match 30 || fail "after the resync the standby does not match the primary"
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
