# SPDX-License-Identifier: GPL-2.0
# Helpers of the benchmarks (sourced after lib.sh; not a test itself).

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

# cpu_ms PID: CPU time (user + system) the process has used, in ms.
cpu_ms() { awk '{ print ($14 + $15) * 10 }' /proc/$1/stat 2>/dev/null || echo 0; }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ratio() { awk "BEGIN{printf \"%.3f\", $1 / $2}"; }
