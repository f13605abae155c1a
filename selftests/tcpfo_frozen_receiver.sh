#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A server that stops reading, or whose link goes silent: the client's
# unacknowledged bytes stay in the client's own socket, and the client is
# never acknowledged more than the server received. The transfer completes
# intact once the server reads again / the link comes back.
# timeout: 300
. ./lib.sh

# Send-Q of the client's connection to the VIP.
sendq() {
	ip netns exec client ss -Htn state established "( dport = :$VPORT )" | awk '{print $2; exit}'
}

load_tcpfo
proxy_topology
# A moderate rate keeps the captures small enough to take without drops.
ip netns exec client tc qdisc add dev c0 root tbf rate 200mbit burst 256k latency 50ms
start_backend
start_gateway

# While the server is frozen: the client's socket keeps a large send queue
# (its bytes wait there), and the capture on the gateway shows no ACK to
# the client beyond what the server acknowledged (nothing piles up
# acknowledged on the gateway).
check_frozen() {
	what=$1 pcap=$2
	sleep 4
	q1=$(sendq); sleep 1; q2=$(sendq)
	note "$what: client send queue ${q1:-?} then ${q2:-?} bytes"
	ip netns exec gw tcpfoctl flows
	[ "${q1:-0}" -ge 262144 ] && [ "${q2:-0}" -ge 262144 ] ||
		fail "$what: the client's send queue holds only ${q2:-0} bytes"
}

judge() {
	what=$1 pcap=$2
	capture_stop $pcap
	tcpfo-pcapcheck --vip $VIP4:$VPORT --server $SERVER4:$SPORT --pairs 1 $pcap
	rc=$?
	[ $rc -eq 3 ] && fail "$what: the gateway acknowledged bytes the server had not"
	[ $rc -eq 0 ] || fail "$what: capture could not be judged (exit $rc)"
}

# 1. The server process stops reading.
capture_start gw /tmp/fr1.pcap "tcp port $VPORT or tcp port $SPORT"
ip netns exec client tcpfo-stream client $VIP4 $VPORT --duration 200 > /tmp/fr1.out 2>&1 &
cl=$!
sleep 1
kill -0 $cl || { cat /tmp/fr1.out; fail "client ended at once"; }
for p in $(ip netns pids server); do kill -STOP $p; done
check_frozen "server not reading" /tmp/fr1.pcap
for p in $(ip netns pids server); do kill -CONT $p; done
sleep 1
kill -USR1 $cl
wait $cl || { cat /tmp/fr1.out; fail "transfer after the server resumed"; }
cat /tmp/fr1.out
judge "server not reading" /tmp/fr1.pcap

# 2. The server's link goes silent (drops everything both ways).
capture_start gw /tmp/fr2.pcap "tcp port $VPORT or tcp port $SPORT"
ip netns exec client tcpfo-stream client $VIP4 $VPORT --duration 200 > /tmp/fr2.out 2>&1 &
cl=$!
sleep 1
ip netns exec server tc qdisc add dev s0 root netem loss 100%
ip netns exec gw tc qdisc add dev back root netem loss 100%
check_frozen "server link silent" /tmp/fr2.pcap
ip netns exec server tc qdisc del dev s0 root
ip netns exec gw tc qdisc del dev back root
sleep 1
kill -USR1 $cl
wait $cl || { cat /tmp/fr2.out; fail "transfer after the link came back"; }
cat /tmp/fr2.out
judge "server link silent" /tmp/fr2.pcap
exit 0
