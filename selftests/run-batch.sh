#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs selftests inside the VM and prints TAP (kselftest conventions: exit 0
# pass, 4 skip, anything else fail). After every test the kernel log is
# scanned: an oops, BUG, WARNING, leak or hung-task report fails that test
# even if the test itself passed.
#
# usage: run-batch.sh [TEST...]   (default: every tcpfo_*.sh here)
cd "$(dirname "$0")"
tests=$*
[ -n "$tests" ] || tests=$(ls tcpfo_*.sh | sed 's/\.sh$//')

# Kernel log lines that mean the kernel is unhealthy. Whole words only
# ("loops_per_jiffy" is not an oops); the one taint line an unsigned
# out-of-tree module prints is expected.
BAD='(soft lockup|rcu_sched self-detected|rcu: INFO|detected stall|\boops\b|\bOops\b|\bBUG:|\bWARNING:|\bkernel BUG\b|general protection fault|unreferenced object|Slab cache still has objects|unregister_netdevice: waiting|blocked for more than|\bleak\b|refcount_t:|list_(add|del) corruption|Call Trace|Out of memory|invoked oom-killer)'

# settle: waits (at most 30 s) until the CPUs are at least 80 % idle over
# half a second, and prints how long that took. The kernel finishes a
# test's namespaces in the background (cleanup_net); a test started while
# that still ran would see its processes stalled. (So far every test left
# the VM idle within 0.5 s: the stalls tcpfo_detection sometimes sees are
# not that.)
# softnet_drops: packets the kernel dropped because a CPU's input backlog
# (net.core.netdev_max_backlog) was full; veth delivers through it, and
# its sender sees the drop as a failed send.
softnet_drops() {
	local n=0 x
	for x in $(awk '{ print $2 }' /proc/net/softnet_stat 2>/dev/null); do n=$((n + 0x$x)); done
	echo $n
}
cpu_sample() { awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
settle() {
	local waited=0 a b idle=0
	while [ $waited -lt 60 ]; do
		a=$(cpu_sample)
		sleep 0.5
		b=$(cpu_sample)
		idle=$(echo "$a $b" | awk '{ d = $4 - $2; print (d > 0 ? int(100 * ($3 - $1) / d) : 100) }')
		waited=$((waited + 1))
		[ "$idle" -ge 80 ] && break
	done
	echo "settled in $((waited / 2)).$((waited % 2 * 5)) s, ${idle}% idle"
}

total=0
for t in $tests; do total=$((total + 1)); done
echo "TAP version 13"
echo "1..$total"
dmesg -c > /dev/null
n=0 pass=0 fail=0 skip=0
for t in $tests; do
	n=$((n + 1))
	t=${t%.sh}
	if [ ! -x "./$t.sh" ]; then
		echo "not ok $n $t # no such test"
		fail=$((fail + 1))
		continue
	fi
	# A test may declare its own limit with a line "# timeout: SECONDS".
	limit=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "./$t.sh" | head -n1)
	start=$(cut -d' ' -f1 /proc/uptime)
	drops0=$(softnet_drops)
	# Output is shown live (a hung test still shows how far it got).
	# timeout makes itself a process group leader: killing that group
	# afterwards ends whatever the test left running (servers, captures),
	# which would otherwise hold the output pipe open.
	{
		timeout -k 10 "${limit:-300}" "./$t.sh" 2>&1 &
		tpid=$!
		wait $tpid
		echo $? > /tmp/test.rc
		kill -9 -$tpid 2>/dev/null
	} | tee /tmp/test.out | sed -u 's/^/# /'
	rc=$(cat /tmp/test.rc)
	end=$(cut -d' ' -f1 /proc/uptime)
	klog=$(dmesg -c | grep -v 'loading out-of-tree module taints kernel' |
		grep -v 'module verification failed' | grep -E "$BAD")
	secs=$(awk "BEGIN{printf \"%.1f\", $end - $start}")
	if [ -n "$klog" ]; then
		echo "$klog" | sed 's/^/# kernel: /'
		echo "not ok $n $t # kernel log shows a problem (${secs}s)"
		fail=$((fail + 1))
	elif [ $rc -eq 0 ]; then
		echo "ok $n $t # ${secs}s"
		pass=$((pass + 1))
	elif [ $rc -eq 4 ]; then
		reason=$(grep -m1 '^SKIP' /tmp/test.out | sed 's/^SKIP:* *//')
		echo "ok $n $t # SKIP ${reason:-no reason given}"
		skip=$((skip + 1))
	else
		[ $rc -eq 124 ] && echo "# timed out after ${limit:-300}s"
		echo "not ok $n $t # exit $rc (${secs}s)"
		fail=$((fail + 1))
	fi
	# What the test left in /tmp (RAM) and the memory the VM has left.
	used="$(df -m /tmp | awk 'NR == 2 { print $3 }') MB in /tmp, $(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo) MB available, $(($(softnet_drops) - drops0)) backlog drops"
	# Leave nothing behind for the next test: its files in /tmp go too
	# (a later test's failure must not show an earlier one's logs).
	for ns in $(ip netns list | awk '{print $1}'); do ip netns del "$ns"; done
	killall -9 failoverd tcpfo-stream 2>/dev/null
	rmmod tcpfo 2>/dev/null
	rm -rf /tmp/* 2>/dev/null
	# What the next test starts with (a slow namespace cleanup or a
	# leftover busy process shows here).
	echo "# after $t: load $(cut -d' ' -f1-3 /proc/loadavg), $(lsmod | grep -c '^tcpfo ') tcpfo, $(ls /sys/class/net | wc -l) links; the test left $used; $(settle)"
done
echo "# TCPFO-SUMMARY pass=$pass fail=$fail skip=$skip"
