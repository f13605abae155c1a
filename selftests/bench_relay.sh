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
. ./benchlib.sh

SIZE=${BENCH_SIZE:-200000000}
RUNS=${BENCH_RUNS:-5}
load_tcpfo
proxy_topology
start_backend
start_gateway
start_stream_server server $SERVER4 9000

track() { ip netns exec gw tcpfoctl service add web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4 >/dev/null; }
untrack() { ip netns exec gw tcpfoctl service del web >/dev/null; }

# nst NS COUNTER: absolute value of a netstat counter in namespace NS.
nst() { ip netns exec $1 nstat -az $2 2>/dev/null | awk -v k=$2 '$1 == k { print $2 }'; }

# Counters around a measurement: what the sender (client) and the gateway
# did per MB sent, so a ratio below 1 can be explained (spurious
# retransmissions, extra ACKs).
COUNTERS="client:TcpRetransSegs client:TcpExtTCPTimeouts client:TcpExtTCPLossProbes client:TcpExtTCPSackRecovery client:TcpExtTCPDSACKRecv client:TcpExtTCPSACKReneging client:TcpExtPAWSEstab client:TcpInSegs gw:TcpExtPAWSEstab gw:TcpOutSegs gw:TcpInSegs"
snap() { for c in $COUNTERS; do echo "$c $(nst ${c%%:*} ${c#*:})"; done; }
delta() { # BEFORE AFTER MB
	echo "$1" > /tmp/bench.before; echo "$2" > /tmp/bench.after
	awk -v mb=$3 'NR == FNR { b[$1] = $2; next } { printf "%s=%.1f ", $1, ($2 - b[$1]) / mb }' /tmp/bench.before /tmp/bench.after
}

sumdelta() { # LINES MB
	echo "$1" | tr ' ' '\n' | awk -F= -v mb=$2 'NF == 2 { if (!($1 in s)) o[n++] = $1; s[$1] += $2 } END { for (i = 0; i < n; i++) printf "%s=%.1f ", o[i], s[o[i]] / mb }'
}

rr() { ip netns exec client tcpfo-stream client $1 $2 --rr 2000 --rr-size 64; }

# Rounds alternate tracked and untracked so drifts of this noisy machine
# hit both alike; the medians are compared.
for streams in 1 16; do
	mb=$((SIZE * RUNS / 1000000))
	: > /tmp/bench.t; : > /tmp/bench.u
	ct=; cu=; ra0=$(status_num gw release_acks); du0=$(status_num gw dupacks_suppressed)
	r=0
	while [ $r -lt $RUNS ]; do
		r=$((r + 1))
		c0=$(snap); mbps $streams $VIP4 $VPORT >> /tmp/bench.t; echo >> /tmp/bench.t; c1=$(snap)
		ct="$ct$(delta "$c0" "$c1" 1)
"
		untrack
		c0=$(snap); mbps $streams $VIP4 $VPORT >> /tmp/bench.u; echo >> /tmp/bench.u; c1=$(snap)
		cu="$cu$(delta "$c0" "$c1" 1)
"
		track
	done
	ra1=$(status_num gw release_acks); du1=$(status_num gw dupacks_suppressed)
	tracked=$(median < /tmp/bench.t); untracked=$(median < /tmp/bench.u)
	echo "BENCH   $streams stream(s) runs (Mbit/s): tracked $(tr '\n' ' ' < /tmp/bench.t)| untracked $(tr '\n' ' ' < /tmp/bench.u)"
	echo "BENCH   tracked,   $streams stream(s), per MB: $(sumdelta "$ct" $mb)release_acks=$(( (ra1 - ra0) / mb )) dupacks_suppressed=$(( (du1 - du0) / mb ))"
	echo "BENCH   untracked, $streams stream(s), per MB: $(sumdelta "$cu" $mb)"
	echo "BENCH relay throughput, $streams stream(s): tracked $tracked Mbit/s, untracked $untracked Mbit/s, ratio $(ratio $tracked $untracked) (medians of $RUNS)"
done

# Small request/response round trips: alternating rounds, medians.
p50() { sed 's/.*p50_us=\([0-9]*\).*/\1/'; }
p99() { sed 's/.*p99_us=\([0-9]*\).*/\1/'; }
: > /tmp/rr.t; : > /tmp/rr.u
r=0
while [ $r -lt $RUNS ]; do
	r=$((r + 1))
	rr $VIP4 $VPORT >> /tmp/rr.t || fail "rr tracked"
	untrack
	rr $VIP4 $VPORT >> /tmp/rr.u || fail "rr untracked"
	track
done
tp50=$(p50 < /tmp/rr.t | median); tp99=$(p99 < /tmp/rr.t | median)
up50=$(p50 < /tmp/rr.u | median); up99=$(p99 < /tmp/rr.u | median)
echo "BENCH request/response (64 B, 2000 round trips, medians of $RUNS) tracked p50 $tp50 us p99 $tp99 us; untracked p50 $up50 us p99 $up99 us"
echo "BENCH request/response added latency: p50 $((tp50 - up50)) us (ratio $(ratio $tp50 $up50)), p99 $((tp99 - up99)) us (ratio $(ratio $tp99 $up99))"

# The hook's cost for traffic of no service: routed round trips between
# client and server (each crosses the gateway's PRE_ROUTING twice), with
# the module loaded (a service declared and a tracked flow present, so
# every segment pays the flow lookup) vs not loaded, in alternating rounds.
# failoverd is stopped for this part (its timers would add noise); a plain
# listener on the VIP makes the tracked flow.
kill $GW_PID; wait $GW_PID
start_stream_server gw $VIP4 $VPORT
: > /tmp/rr.l; : > /tmp/rr.n
pk=0 r=0
while [ $r -lt $RUNS ]; do
	r=$((r + 1))
	ip netns exec gw tcpfoctl service add web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4 >/dev/null ||
		fail "service add"
	ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 1000000000 --quiet >/dev/null 2>&1 &
	hold=$!
	wait_for 10 sh -c "[ \"\$(ip netns exec gw tcpfoctl -j flows | jq length)\" -ge 1 ]" ||
		fail "no tracked flow for the hook measurement"
	pk0=$(status_num gw packets_seen)
	rr $SERVER4 9000 >> /tmp/rr.l || fail "routed rr"
	pk=$((pk + $(status_num gw packets_seen) - pk0))
	kill $hold 2>/dev/null; wait $hold 2>/dev/null
	rmmod tcpfo || fail "rmmod"
	rr $SERVER4 9000 >> /tmp/rr.n || fail "routed rr"
	load_tcpfo
done
l50=$(p50 < /tmp/rr.l | median); n50=$(p50 < /tmp/rr.n | median)
echo "BENCH untracked routed traffic (alternating rounds, medians of $RUNS): hook saw $pk packets; round trip p50 module loaded $l50 us, not loaded $n50 us; difference per hook pass $(( (l50 - n50) * 1000 / 2 )) ns (TCG noise is tens of us per round trip: a difference within it means the hook's cost is below what this VM can resolve)"
exit 0
