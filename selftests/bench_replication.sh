#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark (make bench, not a test): throughput through the relay with a
# standby in async and in sync mode, as ratios of the plain relay (no
# peer) in the same boot, and the release latency sync mode adds (small
# request/response round trips, p50/p99, sync vs async). Rounds alternate
# the three configurations; medians are compared.
# timeout: 1200
. ./lib.sh
. ./benchlib.sh

SIZE=${BENCH_SIZE:-100000000}
RUNS=${BENCH_RUNS:-5}
load_tcpfo
proxy_topology
start_backend
standby_topology

# up CONFIG: failoverd on gw (and gw2 for async/sync) for CONFIG.
up() {
	cfg=$1
	if [ $cfg != plain ]; then
		start_standby $cfg 200ms 10
		peer="[peer]
address = $SL_SB:$SL_PORT
key-file = $PEER_KEY
[heartbeat]
interval = 200ms
misses = 10"
		mode=$cfg
	else
		peer= mode=async
	fi
	cat > /tmp/gw.conf <<C
node = gw
role = primary
mode = $mode
control-socket = /run/tcpfo/gw.sock
service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
$peer
[relay]
connect-timeout = 30s
C
	ip netns exec gw failoverd --config /tmp/gw.conf > /tmp/failoverd.log 2>&1 &
	GW_PID=$!
	case $cfg in
	plain) wait_for 10 sh -c "ip netns exec gw ss -Htln | grep -q ':$VPORT '" || fail "relay not listening";;
	async) wait_for 20 grep -q "full sync sent" /tmp/failoverd.log || fail "async: no session";;
	sync) wait_for 20 grep -q "state link: protected" /tmp/failoverd.log || fail "sync: never protected";;
	esac
}
down() {
	kill $GW_PID; wait $GW_PID
	if [ $cfg != plain ]; then kill $SB_PID; wait $SB_PID; fi
}
rr() { ip netns exec client tcpfo-stream client $VIP4 $VPORT --rr 1000 --rr-size 64; }

for cfg in plain async sync; do : > /tmp/bench.$cfg; : > /tmp/rr.$cfg; : > /tmp/cpu.$cfg; : > /tmp/sbcpu.$cfg; : > /tmp/frames.$cfg; done
r=0
while [ $r -lt $RUNS ]; do
	r=$((r + 1))
	for cfg in plain async sync; do
		up $cfg
		g0=$(cpu_ms $GW_PID); b0=0; [ $cfg = plain ] || b0=$(cpu_ms $SB_PID)
		mbps 1 $VIP4 $VPORT >> /tmp/bench.$cfg; echo >> /tmp/bench.$cfg
		# CPU per 100 MB relayed: the primary's failoverd (relay and
		# state link) and the standby's.
		echo $(( ($(cpu_ms $GW_PID) - g0) * 100000000 / SIZE )) >> /tmp/cpu.$cfg
		[ $cfg = plain ] || echo $(( ($(cpu_ms $SB_PID) - b0) * 100000000 / SIZE )) >> /tmp/sbcpu.$cfg
		rr >> /tmp/rr.$cfg || fail "rr $cfg"
		down
		# State-link frames the primary sent in this round (its exit log).
		[ $cfg = plain ] || sed -n 's/.*frames sent \([0-9]*\).*/\1/p' /tmp/failoverd.log | tail -1 >> /tmp/frames.$cfg
	done
done
p50() { sed 's/.*p50_us=\([0-9]*\).*/\1/'; }
p99() { sed 's/.*p99_us=\([0-9]*\).*/\1/'; }
plain=$(median < /tmp/bench.plain); async=$(median < /tmp/bench.async); sync=$(median < /tmp/bench.sync)
echo "BENCH replication throughput runs (Mbit/s): plain $(tr '\n' ' ' < /tmp/bench.plain)| async $(tr '\n' ' ' < /tmp/bench.async)| sync $(tr '\n' ' ' < /tmp/bench.sync)"
echo "BENCH replication throughput, 1 stream (medians of $RUNS): plain $plain Mbit/s, async $async (ratio $(ratio $async $plain)), sync $sync (ratio $(ratio $sync $plain))"
a50=$(p50 < /tmp/rr.async | median); a99=$(p99 < /tmp/rr.async | median)
s50=$(p50 < /tmp/rr.sync | median); s99=$(p99 < /tmp/rr.sync | median)
n50=$(p50 < /tmp/rr.plain | median); n99=$(p99 < /tmp/rr.plain | median)
echo "BENCH replication request/response (64 B, 1000 round trips, medians of $RUNS): plain p50 $n50 p99 $n99 us; async p50 $a50 p99 $a99 us; sync p50 $s50 p99 $s99 us"
echo "BENCH replication CPU per 100 MB (ms, medians of $RUNS): primary failoverd plain $(median < /tmp/cpu.plain), async $(median < /tmp/cpu.async), sync $(median < /tmp/cpu.sync); standby failoverd async $(median < /tmp/sbcpu.async), sync $(median < /tmp/sbcpu.sync)"
echo "BENCH replication state-link frames per round (100 MB + 1000 round trips, medians of $RUNS): async $(median < /tmp/frames.async), sync $(median < /tmp/frames.sync)"
echo "BENCH sync mode added release latency vs async: p50 $((s50 - a50)) us, p99 $((s99 - a99)) us"
exit 0
