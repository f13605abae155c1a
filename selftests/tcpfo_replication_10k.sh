#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 10,000 relayed flows: after a full sync the standby's table matches the
# primary's (ids, tuples, ISNs, states, released points). Prints the full
# sync's size and time.
# timeout: 900
. ./lib.sh

N=${TCPFO_FLOWS:-10000}
# 10,000 connects queue up in front of one relay under TCG: a connection
# can wait in the accept queue longer than the default handshake_timeout
# (30 s) and be reaped before the relay pairs it. Production gateways that
# expect such bursts raise it the same way.
modprobe tcpfo handshake_timeout=300 || fail "modprobe tcpfo handshake_timeout=300"
proxy_topology
standby_topology
# Room for 10,000 connections on every side (4 descriptors per relayed flow).
ulimit -Hn 200000; ulimit -n 200000
for ns in client gw server; do
	ip netns exec $ns sysctl -qw net.ipv4.ip_local_port_range="10000 65000" net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192
done

ip netns exec server tcpfo-hold server $SERVER4 8081 &
wait_for 10 sh -c "ip netns exec server ss -Htln | grep -q ':8081 '" || fail "hold server"

cat > /tmp/gw.conf <<C
node = gw
role = primary
control-socket = /run/tcpfo/gw.sock
service = hold $VIP4:81 $SERVER4:8081 via $BACK4
[peer]
address = $SL_SB:$SL_PORT
key-file = $PEER_KEY
[heartbeat]
interval = 500ms
misses = 20
[relay]
connect-timeout = 60s
C
ip netns exec gw failoverd --config /tmp/gw.conf > /tmp/failoverd.log 2>&1 &
GW_PID=$!
wait_for 10 sh -c "ip netns exec gw ss -Htln | grep -q ':81 '" || { cat /tmp/failoverd.log; fail "relay not listening"; }

t0=$(date +%s)
ip netns exec client tcpfo-hold client $VIP4 81 $N > /tmp/hold.out 2>&1 &
HOLD=$!
wait_for 600 grep -q "connected $N" /tmp/hold.out || { cat /tmp/hold.out; fail "could not open $N connections"; }
# Every one of them is tracked: a flow the reaper took while it was being
# handled (a wrapped idle time) once left a few of 10,000 untracked.
wait_for 300 sh -c "[ \"\$(ip netns exec gw tcpfoctl -j flows | jq '[.[] | select(.state == \"established\")] | length')\" -ge $N ]" ||
	{ ip netns exec gw tcpfoctl status; fail "the primary does not track all $N flows as established"; }
sleep 5
T=$(ip netns exec gw tcpfoctl -j flows | jq length)
[ "$T" = "$N" ] || fail "the primary tracks $T flows, $N relayed"
if grep -q 'relaying flows the module does not track' /tmp/failoverd.log; then
	grep 'does not track' /tmp/failoverd.log; fail "the relay relayed untracked flows"
fi
note "$N flows relayed and tracked after $(( $(date +%s) - t0 )) s"

# The standby comes now: one full sync of N flows.
start_standby async 500ms 20
wait_for 300 grep -q "full sync done" /tmp/gw2.log || { tail /tmp/gw2.log; tail /tmp/failoverd.log; fail "no full sync"; }
note "$(grep -m1 'full sync sent' /tmp/failoverd.log)"
note "$(grep -m1 'full sync done' /tmp/gw2.log)"
TABLE_FIELDS='[.[] | {id, family, client, client_port, vip, vport, back_address, back_port, server, server_port, state, service, client_isn, l1_isn, l2_isn, server_isn, released_c2s, released_s2c}] | sort_by(.id)'
tables_match 5 || fail "the standby's table does not match the primary's"
[ "$(jq length /tmp/primary.json)" = $T ] || fail "primary has $(jq length /tmp/primary.json) flows, $T before"
note "the standby's $T flows match the primary's"
kill $HOLD; wait $HOLD
kill $GW_PID; wait $GW_PID
kill $SB_PID; wait $SB_PID
exit 0
