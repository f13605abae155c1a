#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The netfilter hooks run for IPv4 and IPv6 TCP, on both the sending and the
# receiving namespace, and do not count non-TCP traffic.
. ./lib.sh

load_tcpfo
veth_pair c s 2
start_stream_server s 10.2.0.2 5001
start_stream_server s fd00:2::2 5001

for fam in 4 6; do
	if [ $fam = 4 ]; then dst=10.2.0.2; else dst=fd00:2::2; fi
	c0=$(status_num c packets_seen); s0=$(status_num s packets_seen)
	in_ns c tcpfo-stream client $dst 5001 --up 2000000 --down 2000000 ||
		fail "IPv$fam transfer failed"
	c1=$(status_num c packets_seen); s1=$(status_num s packets_seen)
	note "IPv$fam: client ns saw $((c1 - c0)) packets, server ns $((s1 - s0))"
	# 4 MB needs at least ~60 full-size segments each way plus ACKs.
	[ $((c1 - c0)) -ge 60 ] || fail "IPv$fam: client namespace saw only $((c1 - c0)) TCP packets"
	[ $((s1 - s0)) -ge 60 ] || fail "IPv$fam: server namespace saw only $((s1 - s0)) TCP packets"
done

c0=$(status_num c packets_seen)
in_ns c ping -c 20 -i 0.05 -q 10.2.0.2 >/dev/null || fail "ping failed"
in_ns c ping -c 20 -i 0.05 -q fd00:2::2 >/dev/null || fail "ping6 failed"
c1=$(status_num c packets_seen)
[ "$c1" -eq "$c0" ] || fail "ICMP traffic counted as TCP ($c0 -> $c1)"
exit 0
