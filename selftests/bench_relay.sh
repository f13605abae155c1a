#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark (make bench, not a test): the relay with ACK deferral against
# the same relay with the service untracked by the module, in the same
# boot. Prints ratios; absolute figures under TCG are not stable.
#   - throughput, 1 and 16 streams (tracked / untracked)
#   - small request/response latency p50, p99 (tracked vs untracked)
#   - the hook's cost for untracked (routed) traffic: module loaded with
#     services vs module not loaded
# timeout: 1200
. ./lib.sh

SIZE=${BENCH_SIZE:-200000000}
RUNS=${BENCH_RUNS:-3}
load_tcpfo
proxy_topology
start_backend
start_gateway
start_stream_server server $SERVER4 9000

# mbps STREAMS DST PORT: aggregate Mbit/s of STREAMS uploads of SIZE/STREAMS.
mbps() {
	n=$1 dst=$2 port=$3 per=$((SIZE / $1)) i=0 pids=
	t0=$(date +%s.%N)
	while [ $i -lt $n ]; do
		i=$((i + 1))
		ip netns exec client tcpfo-stream client $dst $port --up $per --quiet &
		pids="$pids $!"
	done
	for p in $pids; do wait $p || fail "bench transfer failed"; done
	t1=$(date +%s.%N)
	awk "BEGIN{printf \"%.0f\", $per * $n * 8 / ($t1 - $t0) / 1e6}"
}

# best of RUNS
best() {
	b=0 r=0
	while [ $r -lt $RUNS ]; do
		r=$((r + 1))
		v=$("$@")
		[ "$v" -gt "$b" ] && b=$v
	done
	echo $b
}

rr() { ip netns exec client tcpfo-stream client $VIP4 $VPORT --rr 2000 --rr-size 64; }

for streams in 1 16; do
	tracked=$(best mbps $streams $VIP4 $VPORT)
	ip netns exec gw tcpfoctl service del web >/dev/null
	untracked=$(best mbps $streams $VIP4 $VPORT)
	ip netns exec gw tcpfoctl service add web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4 >/dev/null
	echo "BENCH relay throughput, $streams stream(s): tracked $tracked Mbit/s, untracked $untracked Mbit/s, ratio $(awk "BEGIN{printf \"%.3f\", $tracked / $untracked}")"
done

t=$(rr); echo "BENCH request/response tracked:   $t"
ip netns exec gw tcpfoctl service del web >/dev/null
u=$(rr); echo "BENCH request/response untracked: $u"
ip netns exec gw tcpfoctl service add web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4 >/dev/null
tp50=$(echo "$t" | sed 's/.*p50_us=\([0-9]*\).*/\1/'); up50=$(echo "$u" | sed 's/.*p50_us=\([0-9]*\).*/\1/')
tp99=$(echo "$t" | sed 's/.*p99_us=\([0-9]*\).*/\1/'); up99=$(echo "$u" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
echo "BENCH request/response added latency: p50 $((tp50 - up50)) us (ratio $(awk "BEGIN{printf \"%.3f\", $tp50 / $up50}")), p99 $((tp99 - up99)) us"

# Hook cost for untracked traffic: routed transfer, module loaded (with
# services and tracked flows elsewhere) vs not loaded.
pk0=$(status_num gw packets_seen)
t0=$(date +%s.%N); ip netns exec client tcpfo-stream client $SERVER4 9000 --up $SIZE --quiet || fail "routed"; t1=$(date +%s.%N)
pk1=$(status_num gw packets_seen)
loaded=$(awk "BEGIN{print $t1 - $t0}")
kill $GW_PID; wait $GW_PID
rmmod tcpfo
t0=$(date +%s.%N); ip netns exec client tcpfo-stream client $SERVER4 9000 --up $SIZE --quiet || fail "routed"; t1=$(date +%s.%N)
unloaded=$(awk "BEGIN{print $t1 - $t0}")
pkts=$((pk1 - pk0))
echo "BENCH untracked routed traffic: $pkts packets; module loaded ${loaded}s, not loaded ${unloaded}s, throughput ratio $(awk "BEGIN{printf \"%.3f\", $unloaded / $loaded}"), cost $(awk "BEGIN{printf \"%.0f\", ($loaded - $unloaded) * 1e9 / $pkts}") ns/packet (noise-level under TCG if near 0 or negative)"
exit 0
