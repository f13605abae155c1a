#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Loading and unloading tcpfo.ko 20 times while TCP streams (IPv4 and IPv6)
# flow between two namespaces and other namespaces come and go must leave
# the streams intact and the kernel log clean; while loaded, the hooks must
# see the traffic in both namespaces.
# timeout: 400
. ./lib.sh

veth_pair c s 1
# Steady, moderate traffic: a saturating stream would starve the VM's two
# emulated CPUs and make the cycles crawl without testing anything more.
ip netns exec c tc qdisc add dev v1a root tbf rate 40mbit burst 64k latency 100ms
ip netns exec s tc qdisc add dev v1b root tbf rate 40mbit burst 64k latency 100ms
start_stream_server s 10.1.0.2 5001
start_stream_server s fd00:1::2 5002
ip netns exec c tcpfo-stream client 10.1.0.2 5001 --duration 600 --down 50000000 > /tmp/lu4.out 2>&1 &
p4=$!
ip netns exec c tcpfo-stream client fd00:1::2 5002 --duration 600 > /tmp/lu6.out 2>&1 &
p6=$!

# Namespaces with a service in them appear and disappear meanwhile.
(
	i=0
	while [ ! -e /tmp/lu.stop ]; do
		i=$((i + 1))
		ip netns add churn$i 2>/dev/null
		ip netns exec churn$i tcpfoctl service add s 10.7.0.1:80 10.7.1.1:80 via 10.7.1.2 >/dev/null 2>&1
		ip netns del churn$i
		sleep 0.2
	done
) &
churn=$!

for i in $(seq 1 20); do
	note "cycle $i"
	kill -0 $p4 2>/dev/null && kill -0 $p6 2>/dev/null ||
		fail "a stream ended early during cycle $i"
	load_tcpfo
	before_s=$(status_num s packets_seen)
	before_c=$(status_num c packets_seen)
	sleep 0.3
	after_s=$(status_num s packets_seen)
	after_c=$(status_num c packets_seen)
	[ "$after_s" -gt "$before_s" ] ||
		fail "cycle $i: server namespace hook saw no packets ($before_s -> $after_s)"
	[ "$after_c" -gt "$before_c" ] ||
		fail "cycle $i: client namespace hook saw no packets ($before_c -> $after_c)"
	unload_tcpfo
done
note "20 load/unload cycles done"
touch /tmp/lu.stop
wait $churn
kill -USR1 $p4 $p6
wait $p4 || { cat /tmp/lu4.out; fail "IPv4 stream broken"; }
wait $p6 || { cat /tmp/lu6.out; fail "IPv6 stream broken"; }
cat /tmp/lu4.out /tmp/lu6.out
# The churn's tcpfoctl may have autoloaded the module once more.
unload_tcpfo
exit 0
