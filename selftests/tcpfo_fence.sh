#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fencing: failoverd is SIGKILLed mid-transfer while its host lives. The
# kernel closes its relay sockets (FIN, or RST where unread data remains),
# but the module fences every flow: no FIN and no RST reaches the client or
# the server (judged on captures in their namespaces), a new SYN to the VIP
# gets no answer at all, nor do ARP and neighbour solicitations for the
# VIPs (the node must not draw traffic a standby could carry), and
# `tcpfoctl status` says fenced. A new failoverd lifts the fence: it
# closes the old flows' orphaned sockets without a word and frees them (a
# lone gateway cannot carry them on: their peers' next segments draw a
# clean RST, never a FIN), and a fresh transfer completes. Last, a clean
# stop (SIGTERM) with a flow open leaves nothing fenced.
# timeout: 240
. ./lib.sh

load_tcpfo
proxy_topology
start_backend
start_gateway

# Every TCP segment the client and the server see.
capture_start client /tmp/fence-c.pcap tcp
CAP_C=$CAP_PID
capture_start server /tmp/fence-s.pcap tcp
CAP_S=$CAP_PID

# Long transfers both ways, IPv4 and IPv6, slowed towards the client so
# that the relay holds unread data when it dies (its close sends RSTs).
ip netns exec gw tc qdisc add dev front root tbf rate 20mbit burst 32k latency 50ms
ip netns exec client tcpfo-stream client $VIP4 $VPORT --duration 60 --down 200000000 --quiet \
	> /tmp/fence-old4.out 2>&1 &
OLD4=$!
ip netns exec client tcpfo-stream client $VIP6 $VPORT --duration 60 --down 200000000 --quiet \
	> /tmp/fence-old6.out 2>&1 &
OLD6=$!
established() {
	[ "$(flows_json gw | jq '[.[] | select(.state == "established")] | length')" = 2 ]
}
wait_for 20 established || { flows_json gw; fail "the two transfers are not established"; }
sleep 2
flows_json gw > /tmp/fence-before.json
# The old flows' ports: the client's on L1, the gateway's back port on L2.
OLD_PORTS=$(jq -r '.[] | .client_port, .back_port' /tmp/fence-before.json | sort -u | tr '\n' ' ')
note "old flows: ports $OLD_PORTS"
[ "$(echo $OLD_PORTS | wc -w)" -eq 4 ] || fail "expected 4 ports of two flows, got '$OLD_PORTS'"

T_KILL=$(date +%s.%N)
kill -9 $GW_PID
wait $GW_PID 2>/dev/null
note "failoverd killed at $T_KILL"
sleep 3

ip netns exec gw tcpfoctl -j status > /tmp/fence-status.json
cat /tmp/fence-status.json
[ "$(jq .fenced /tmp/fence-status.json)" = true ] || fail "status does not say fenced"
[ "$(jq .fenced_flows /tmp/fence-status.json)" -ge 2 ] || fail "the two flows are not fenced"
[ "$(flows_json gw | jq '[.[] | select(.fenced)] | length')" -ge 2 ] ||
	fail "the flow dump does not mark the flows fenced"
ip netns exec gw tcpfoctl flows

# A new connection to the VIP: no SYN-ACK, no RST, nothing.
T_SYN=$(date +%s.%N)
ip netns exec client timeout 4 tcpfo-stream client $VIP4 $VPORT --up 1000 --quiet \
	> /dev/null 2>&1 && fail "a connection to the VIP of a fenced node succeeded"
ip netns exec client timeout 4 tcpfo-stream client $VIP6 $VPORT --up 1000 --quiet \
	> /dev/null 2>&1 && fail "a connection to the IPv6 VIP of a fenced node succeeded"
# Nobody here answers for the VIPs on the link either.
ip -n client neigh flush dev c0
ip netns exec client ping -c1 -W2 $VIP4 > /dev/null 2>&1 &&
	{ ip -n client neigh; fail "the fenced node answered ARP for $VIP4"; }
ip netns exec client ping -c1 -W2 $VIP6 > /dev/null 2>&1 &&
	{ ip -n client neigh; fail "the fenced node answered neighbour solicitations for $VIP6"; }
ip -n client neigh show $VIP4 | grep -q lladdr &&
	{ ip -n client neigh; fail "the client learned a link-layer address for $VIP4 from the fenced node"; }
sleep 1

# A new failoverd: the namespace answers again, the old flows are freed.
T_NEW=$(date +%s.%N)
start_gateway
# The client's resolution of the VIP that the ping above started may
# still be under way, its probes spent on the fenced node: a SYN queued
# behind it fails with "No route to host" when it gives up (seen once,
# on a loaded VM). The transfer starts a resolution of its own.
ip -n client neigh flush dev c0
ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 1000000 --down 1000000 ||
	fail "a fresh IPv4 transfer through the new failoverd failed"
ip netns exec client tcpfo-stream client $VIP6 $VPORT --up 1000000 --down 1000000 ||
	fail "a fresh IPv6 transfer through the new failoverd failed"
ip netns exec gw tcpfoctl -j status > /tmp/fence-status2.json
cat /tmp/fence-status2.json
[ "$(jq .fenced /tmp/fence-status2.json)" = false ] || fail "a new owner did not lift the fence"
[ "$(jq .fenced_flows /tmp/fence-status2.json)" -eq 0 ] ||
	fail "the old flows are still fenced under the new owner"
grep "freed .* flow(s) an earlier run left fenced" /tmp/failoverd.log ||
	{ cat /tmp/failoverd.log; fail "the new failoverd did not say it freed the fenced flows"; }
ip -n client neigh show $VIP4 | grep -q lladdr ||
	{ ip -n client neigh; fail "the VIP does not answer ARP under the new failoverd"; }
# The old transfers end with a clean reset, not a hang.
wait_for 30 sh -c "! kill -0 $OLD4 2>/dev/null && ! kill -0 $OLD6 2>/dev/null" ||
	fail "the old transfers still hang after the fence was lifted"
grep -q -i 'reset' /tmp/fence-old4.out || { cat /tmp/fence-old4.out; fail "the old IPv4 transfer did not end with a reset"; }
sleep 1

CAP_PID=$CAP_C; capture_stop /tmp/fence-c.pcap
CAP_PID=$CAP_S; capture_stop /tmp/fence-s.pcap
kill $OLD4 $OLD6 2>/dev/null

# FIN or RST segments in FILE with a timestamp after T.
fin_rst_after() {
	tcpdump -nn -tt -r "$1" 2>/dev/null |
		awk -v t="$2" '$1 + 0 > t + 0' | grep -E 'Flags \[[^]]*[FR]'
}
# ... on one of the old flows' ports.
old_tuples() {
	local p re=''
	for p in $OLD_PORTS; do re="$re${re:+|}\\.$p[ :]"; done
	grep -E "$re"
}
for side in c s; do
	f=/tmp/fence-$side.pcap
	tcpdump -nn -r $f 2>/dev/null | wc -l | sed "s/^/$side: packets captured: /"
	# Between the kill and the new failoverd: nothing ends any stream.
	bad=$(fin_rst_after $f $T_KILL | awk -v t="$T_NEW" '$1 + 0 < t + 0')
	[ -z "$bad" ] || { echo "$bad" | head; fail "$side: FIN/RST on the wire after failoverd was killed"; }
	# After it: the old flows' sockets went without a word: no FIN ever
	# (an RST answers a peer's segment on a tuple nobody holds now).
	bad=$(fin_rst_after $f $T_KILL | old_tuples | grep -E 'Flags \[[^]]*F')
	[ -z "$bad" ] || { echo "$bad" | head; fail "$side: a FIN on an old flow"; }
done
# The SYNs to the fenced VIP were seen and went unanswered.
syns=$(tcpdump -nn -tt -r /tmp/fence-c.pcap 2>/dev/null |
	awk -v a="$T_SYN" -v b="$T_NEW" '$1 + 0 > a + 0 && $1 + 0 < b + 0' |
	grep -c 'Flags \[S\]')
[ "$syns" -ge 2 ] || fail "the client's SYNs to the fenced VIP were not seen ($syns)"
answers=$(tcpdump -nn -tt -r /tmp/fence-c.pcap 2>/dev/null |
	awk -v a="$T_SYN" -v b="$T_NEW" '$1 + 0 > a + 0 && $1 + 0 < b + 0' |
	grep -E "($VIP4|$VIP6)\.$VPORT > " | head)
[ -z "$answers" ] || { echo "$answers"; fail "the fenced VIP answered"; }
note "fenced drops: $(status_num gw fenced_drops), SYNs unanswered: $syns"

# Only the owner can give the namespace up.
got=$(ip netns exec gw tcpfo-nlprobe errno disown)
note "disown by another socket while failoverd owns the namespace -> $got"
case $got in EBUSY*) ;; *) fail "disown by a socket that is not the owner got '$got', expected EBUSY" ;; esac
# A clean stop (SIGTERM) with a flow open: failoverd closes and deletes
# its flows and gives the namespace up, so nothing is fenced after it.
ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 2000 --pause-at 1000 --down 0 > /tmp/fence-last.out 2>&1 &
LAST=$!
tracked() { [ "$(ip netns exec gw tcpfoctl -j flows | jq -n 'input | length')" -ge 1 ]; }
wait_for 10 tracked || { ip netns exec gw tcpfoctl flows; fail "the last transfer's flow is not tracked"; }
kill $GW_PID; wait $GW_PID
grep -q ": stopped$" /tmp/failoverd.log || { tail -5 /tmp/failoverd.log; fail "failoverd did not stop cleanly"; }
ip netns exec gw tcpfoctl -j status > /tmp/fence-status3.json
cat /tmp/fence-status3.json
[ "$(jq .fenced /tmp/fence-status3.json)" = false ] || fail "a clean stop left the namespace fenced"
[ "$(jq .fenced_flows /tmp/fence-status3.json)" -eq 0 ] || fail "a clean stop left fenced flows"
got=$(ip netns exec gw tcpfo-nlprobe errno disown)
[ "$got" = 0 ] || fail "disown with no owner got '$got', expected 0"
kill $LAST 2>/dev/null; wait $LAST 2>/dev/null
dmesg | grep 'tcpfo:' | tail -n 4
exit 0
