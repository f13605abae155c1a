#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The invariant on the wire: 20 MB each way at once through the relay, with
# delay, loss and reordering on the server side, IPv4 then IPv6. In the
# capture taken on the gateway, no ACK to the client covers a byte before
# the server's ACK for it was seen, and no ACK to the server covers a byte
# before the client's ACK; both streams arrive intact (every byte checked
# against its offset).
# timeout: 600
. ./lib.sh

SIZE=${SIZE:-20000000}
load_tcpfo
proxy_topology
# Server side: delay with jitter (reorders), loss, in both directions.
ip netns exec server tc qdisc add dev s0 root netem delay 4ms 2ms loss 1% reorder 5% 50%
ip netns exec gw tc qdisc add dev back root netem delay 4ms 2ms loss 1% reorder 5% 50%
start_backend
start_gateway

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4 srv=$SERVER4:$SPORT; else vip=$VIP6 srv="[$SERVER6]:$SPORT"; fi
	capture_start gw /tmp/inv$fam.pcap "tcp port $VPORT or tcp port $SPORT"
	ip netns exec client tcpfo-stream client $vip $VPORT --up $SIZE --down $SIZE ||
		fail "IPv$fam transfer through the relay failed"
	capture_stop /tmp/inv$fam.pcap
	if [ $fam = 4 ]; then v=$VIP4:$VPORT; else v="[$VIP6]:$VPORT"; fi
	tcpfo-pcapcheck --vip "$v" --server "$srv" --pairs 1 /tmp/inv$fam.pcap
	rc=$?
	[ $rc -eq 3 ] && fail "IPv$fam: the gateway acknowledged bytes before their receiver did"
	[ $rc -eq 0 ] || fail "IPv$fam: capture could not be judged (exit $rc)"
done
ip netns exec gw tcpfoctl status
exit 0
