# SPDX-License-Identifier: GPL-2.0
# Shared helpers for tcpfo selftests (sourced). kselftest conventions:
# exit 0 pass, 1 fail, 4 skip; diagnostics on stdout, first failure ends
# the test with "FAIL: reason".
set -u
KSFT_SKIP=4
KVER=$(uname -r)
KO=/lib/modules/$KVER/extra/tcpfo.ko

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit $KSFT_SKIP; }
note() { echo "$*"; }

load_tcpfo() {
	lsmod | grep -q '^tcpfo ' && return 0
	modprobe tcpfo || fail "modprobe tcpfo failed"
}

unload_tcpfo() {
	lsmod | grep -q '^tcpfo ' || return 0
	rmmod tcpfo || fail "rmmod tcpfo failed"
}

# in_ns NS CMD...: run CMD in network namespace NS ("" = init namespace).
in_ns() {
	local ns=$1; shift
	if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# veth_pair NS_A NS_B IDX: joins two namespaces with a veth pair and gives
# them 10.IDX.0.1/24 + fd00:IDX::1/64 (A) and .2 / ::2 (B).
veth_pair() {
	local a=$1 b=$2 i=$3
	ip netns list | grep -qw "$a" || ip netns add "$a"
	ip netns list | grep -qw "$b" || ip netns add "$b"
	ip link add "v${i}a" netns "$a" type veth peer "v${i}b" netns "$b" ||
		fail "cannot create veth pair $i"
	ip -n "$a" link set lo up; ip -n "$b" link set lo up
	ip -n "$a" addr add "10.$i.0.1/24" dev "v${i}a"
	ip -n "$b" addr add "10.$i.0.2/24" dev "v${i}b"
	ip -n "$a" addr add "fd00:$i::1/64" dev "v${i}a" nodad
	ip -n "$b" addr add "fd00:$i::2/64" dev "v${i}b" nodad
	ip -n "$a" link set "v${i}a" up
	ip -n "$b" link set "v${i}b" up
}

# status_num NS FIELD: a number from `tcpfoctl -j status` in NS.
status_num() {
	local v
	v=$(in_ns "$1" tcpfoctl -j status | jq -e ".$2") ||
		fail "tcpfoctl -j status in '${1:-init}' has no numeric $2"
	echo "$v"
}

# wait_for SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
	local t=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $((t * 10)) ] && return 1
		sleep 0.1
	done
}

# Start a tcpfo-stream server in NS on ADDR PORT; waits until it listens.
start_stream_server() {
	local ns=$1 addr=$2 port=$3
	in_ns "$ns" tcpfo-stream server "$addr" "$port" &
	wait_for 10 in_ns "$ns" sh -c "ss -Htln | grep -q ':$port '" ||
		fail "stream server on $addr:$port did not start"
}
