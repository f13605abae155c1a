#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The invariant check can fail: the same transfer through the same relay,
# with the module unloaded, must show ACKs running ahead of the receivers'.
# timeout: 300
. ./lib.sh

load_tcpfo
proxy_topology
ip netns exec server tc qdisc add dev s0 root netem delay 4ms 2ms loss 1%
ip netns exec gw tc qdisc add dev back root netem delay 4ms 2ms loss 1%
start_backend
start_gateway
# The relay keeps running; the flows are simply not tracked any more.
rmmod tcpfo || fail "rmmod"
capture_start gw /tmp/nomod.pcap "tcp port $VPORT or tcp port $SPORT"
ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 5000000 --down 5000000 ||
	fail "transfer through the untracked relay failed"
capture_stop /tmp/nomod.pcap
tcpfo-pcapcheck --vip $VIP4:$VPORT --server $SERVER4:$SPORT --pairs 1 /tmp/nomod.pcap
rc=$?
[ $rc -eq 3 ] || fail "without the module the checker found no violation (exit $rc): it cannot fail"
exit 0
