# SPDX-License-Identifier: GPL-2.0
# Shared helpers for tcpfo selftests (sourced). kselftest conventions:
# exit 0 pass, 1 fail, 4 skip; diagnostics on stdout, first failure ends
# the test with "FAIL: reason".
set -u
KSFT_SKIP=4
KVER=$(uname -r)
KO=/lib/modules/$KVER/extra/tcpfo.ko

fail() {
	# A test may define fail_hook to show what explains its failures
	# (printed before the FAIL line: CI shows the end of the output).
	if [ -z "${IN_FAIL_HOOK:-}" ] && command -v fail_hook > /dev/null 2>&1; then
		echo "--- fail_hook:"
		(IN_FAIL_HOOK=1; fail_hook) 2>&1 | tail -n 40
	fi
	echo "FAIL: $*"
	# The relay's view helps whoever reads a failure.
	if [ -s /tmp/failoverd.log ]; then
		echo "--- last lines of failoverd's log:"
		tail -n 25 /tmp/failoverd.log
	fi
	exit 1
}
skip() { echo "SKIP: $*"; exit $KSFT_SKIP; }
# Packets dropped so far because a CPU's input backlog
# (net.core.netdev_max_backlog) was full: veth delivers through it.
softnet_drops() {
	local n=0 x
	for x in $(awk '{ print $2 }' /proc/net/softnet_stat 2>/dev/null); do n=$((n + 0x$x)); done
	echo $n
}
note() { echo "$*"; }
# nlprobe_expect NS ERRNO ARGS...: `tcpfo-nlprobe ARGS...` in NS must
# answer ERRNO (its first word: "0", "ENOENT", ...); shown either way.
nlprobe_expect() {
	local ns=$1 want=$2 got; shift 2
	got=$(ip netns exec "$ns" tcpfo-nlprobe "$@")
	note "$* -> $got"
	case $got in "$want"|"$want "*) ;; *) fail "$*: got '$got', expected $want" ;; esac
}

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
	v=$(in_ns "$1" tcpfoctl -j status | jq -n -e "input | (.$2)") ||
		fail "tcpfoctl -j status in '${1:-init}' has no numeric $2"
	echo "$v"
}

# wait_for SECONDS CMD...: poll CMD until it succeeds, for at most SECONDS
# of real time (each try may itself be slow under TCG).
wait_for() {
	local t=$1 end; shift
	end=$(( $(date +%s) + t ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
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

# ---- The proxy topology: client -- gw -- server ------------------------
# front segment 192.0.2.0/24 + 2001:db8:1::/64 (VIP .1 / ::1 on gw),
# back segment 198.51.100.0/24 + 2001:db8:2::/64 (gw .1 / ::1, server
# .10 / ::10). Links: client c0 <-> gw front, gw back <-> server s0.
VIP4=192.0.2.1 VIP6=2001:db8:1::1 CLIENT4=192.0.2.100 CLIENT6=2001:db8:1::100
BACK4=198.51.100.1 BACK6=2001:db8:2::1 SERVER4=198.51.100.10 SERVER6=2001:db8:2::10
VPORT=80 SPORT=8080
# A pcap filter for TCP RSTs, IPv4 and IPv6 (tcp[] alone matches IPv4
# only; the IPv6 half assumes no extension headers, as in these topologies).
RST_FILTER='(tcp[tcpflags] & tcp-rst != 0) or (ip6 and ip6[6] == 6 and ip6[53] & 4 != 0)'

proxy_topology() {
	local ns
	for ns in client gw server; do
		ip netns add $ns || fail "netns $ns"
		ip -n $ns link set lo up
	done
	ip link add c0 netns client type veth peer front netns gw
	ip link add back netns gw type veth peer s0 netns server
	ip -n client addr add $CLIENT4/24 dev c0
	ip -n client addr add $CLIENT6/64 dev c0 nodad
	ip -n gw addr add $VIP4/24 dev front
	ip -n gw addr add $VIP6/64 dev front nodad
	ip -n gw addr add $BACK4/24 dev back
	ip -n gw addr add $BACK6/64 dev back nodad
	ip -n server addr add $SERVER4/24 dev s0
	ip -n server addr add $SERVER6/64 dev s0 nodad
	ip -n client link set c0 up; ip -n gw link set front up
	ip -n gw link set back up; ip -n server link set s0 up
	# Routed (not proxied) traffic also goes through gw.
	ip -n client route add default via $VIP4
	ip -n client -6 route add default via $VIP6
	ip -n server route add default via $BACK4
	ip -n server -6 route add default via $BACK6
	ip netns exec gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# start_gateway [EXTRA CONFIG LINES]: failoverd in gw with services web (v4)
# and web6 (v6), VIP:80 -> server:8080; waits until both are declared.
start_gateway() {
	cat > /tmp/gw.conf <<C
node = gw
role = primary
mode = async
control-socket = /run/tcpfo/gw.sock
service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
service = web6 [$VIP6]:$VPORT [$SERVER6]:$SPORT via $BACK6
$*
# A burst of 200 connects in the emulated VM can need SYN retransmissions
# (1 s, 3 s, 7 s): the 5 s default would turn slowness into failures.
[relay]
connect-timeout = 30s
C
	ip netns exec gw failoverd --config /tmp/gw.conf > /tmp/failoverd.log 2>&1 &
	GW_PID=$!
	wait_for 20 sh -c "[ \"\$(ip netns exec gw tcpfoctl -j status | jq .services)\" = 2 ]" ||
		{ cat /tmp/failoverd.log; fail "failoverd did not declare its services"; }
	# The listeners are up once the services are declared; give the loop
	# a moment to reach epoll.
	wait_for 10 sh -c "ip netns exec gw ss -Htln | grep -q ':$VPORT '" ||
		{ cat /tmp/failoverd.log; fail "relay is not listening"; }
}

# ---- A standby gateway ----------------------------------------------------
# Namespace gw2, linked to gw for the state link: gw $SL_GW, gw2 $SL_SB.
SL_GW=203.0.113.1 SL_SB=203.0.113.2 SL_PORT=7000 PEER_KEY=/tmp/peer.key
standby_topology() {
	ip netns add gw2 || fail "netns gw2"
	ip -n gw2 link set lo up
	ip link add sl netns gw type veth peer sl netns gw2
	ip -n gw addr add $SL_GW/24 dev sl; ip -n gw link set sl up
	ip -n gw2 addr add $SL_SB/24 dev sl; ip -n gw2 link set sl up
	echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
}

# standby_conf MODE INTERVAL MISSES: failoverd's configuration for gw2.
standby_conf() {
	cat <<C
node = gw2
role = standby
mode = $1
control-socket = /run/tcpfo/gw2.sock
[peer]
listen = $SL_SB:$SL_PORT
key-file = $PEER_KEY
[heartbeat]
interval = $2
misses = $3
C
}

# primary_conf MODE INTERVAL MISSES [KEY-FILE]: failoverd's configuration
# for gw as the primary of gw2, with the services web and web6.
primary_conf() {
	cat <<C
node = gw
role = primary
mode = $1
control-socket = /run/tcpfo/gw.sock
service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
service = web6 [$VIP6]:$VPORT [$SERVER6]:$SPORT via $BACK6
[peer]
address = $SL_SB:$SL_PORT
key-file = ${4:-$PEER_KEY}
[heartbeat]
interval = $2
misses = $3
[relay]
connect-timeout = 30s
C
}

# start_standby MODE INTERVAL MISSES: failoverd in gw2 (SB_PID, /tmp/gw2.log).
start_standby() {
	standby_conf "$@" > /tmp/gw2.conf
	ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
	SB_PID=$!
	wait_for 10 grep -q "state link: listening" /tmp/gw2.log ||
		{ cat /tmp/gw2.log; fail "standby did not listen"; }
}

# start_pair MODE INTERVAL MISSES: a standby in gw2 and its primary in gw
# (GW_PID, /tmp/failoverd.log); waits until the primary is protected (its
# standby acknowledged the full sync).
start_pair() {
	primary_conf "$@" > /tmp/gw.conf
	start_standby "$@"
	ip netns exec gw failoverd --config /tmp/gw.conf > /tmp/failoverd.log 2>&1 &
	GW_PID=$!
	wait_for 30 grep -q "state link: protected" /tmp/failoverd.log ||
		{ cat /tmp/failoverd.log /tmp/gw2.log; fail "$1: the primary never got protected"; }
}

# ---- Two gateways on a switch ----------------------------------------------
# switch_topology: namespace sw holds two bridges, brf (front: client,
# gw1, gw2) and brb (back: server, gw1, gw2), multicast snooping off so
# neighbour discovery floods. Each gateway has "front" and "back" and its
# own addresses (gw1 .2, gw2 .3 on 192.0.2.0/24, 2001:db8:1::/64 and
# 198.51.100.0/24, 2001:db8:2::/64); the floating VIPs and back addresses
# are added by whoever holds them.
# rps_on NS DEV CPU: every frame DEV receives is processed on CPU, in the
# order it was sent, as a cable delivers it. A veth hands each frame to the
# backlog of the CPU that sent it: two frames of one flow sent from two
# CPUs (a socket's segment from the application's CPU, an ACK from the CPU
# that took the peer's segment) may then be delivered in either order, and
# a capture shows a sender's TSvals going back although it sent them in
# order (measured: the gateway's own data segments arrived with IP IDs out
# of order). RPS to one CPU makes each link FIFO; links are spread over
# the CPUs.
RPS_NEXT=0
rps_on() {
	ip netns exec $1 sh -c "printf '%x' $((1 << $3)) > /sys/class/net/$2/queues/rx-0/rps_cpus" ||
		fail "RPS on $2 in $1"
}

switch_topology() {
	local br ns gw n
	ip netns add sw || fail "netns"
	ip -n sw link set lo up
	for br in brf brb; do
		ip -n sw link add $br type bridge
		ip -n sw link set $br type bridge mcast_snooping 0
		ip -n sw link set $br up
	done
	# port NS IF BRIDGE: a veth from NS (named IF) to BRIDGE in sw.
	port() {
		ip link add $2 netns $1 type veth peer $1-$2 netns sw || fail "veth $1 $2"
		ip -n sw link set $1-$2 master $3 up
		ip -n $1 link set $2 up
		rps_on sw $1-$2 $((RPS_NEXT % $(nproc)))
		rps_on $1 $2 $(((RPS_NEXT + 1) % $(nproc)))
		RPS_NEXT=$((RPS_NEXT + 1))
	}
	for ns in client gw1 gw2 server; do ip netns add $ns; ip -n $ns link set lo up; done
	port client c0 brf; port server s0 brb
	for gw in gw1 gw2; do port $gw front brf; port $gw back brb; done
	ip -n client addr add 192.0.2.100/24 dev c0; ip -n client addr add 2001:db8:1::100/64 dev c0 nodad
	ip -n server addr add 198.51.100.10/24 dev s0; ip -n server addr add 2001:db8:2::10/64 dev s0 nodad
	n=2
	for gw in gw1 gw2; do
		ip -n $gw addr add 192.0.2.$n/24 dev front; ip -n $gw addr add 2001:db8:1::$n/64 dev front nodad
		ip -n $gw addr add 198.51.100.$n/24 dev back; ip -n $gw addr add 2001:db8:2::$n/64 dev back nodad
		n=$((n + 1))
	done
}

# What must be equal between the primary's flows and the standby's.
TABLE_FIELDS='[.[] | {id, family, client, client_port, vip, vport, back_address, back_port, server, server_port, state, service, client_isn, l1_isn, l2_isn, server_isn, l1_mss, l2_mss, l1_wscale_client, l1_wscale_gw, l2_wscale_server, l2_wscale_gw, l1_opts, l2_opts, released_c2s, released_s2c, fin_c2s, fin_s2c}] | sort_by(.id)'

# tables_match TRIES: true once the standby's table (gw2) equals the
# primary's (gw) on TABLE_FIELDS, polled once a second; leaves both in
# /tmp/primary.json and /tmp/standby.json.
tables_match() {
	local n=0
	while [ $n -lt $1 ]; do
		n=$((n + 1))
		ip netns exec gw tcpfoctl -j flows | jq -S "$TABLE_FIELDS" > /tmp/primary.json
		ip netns exec gw2 tcpfoctl -j flows | jq -S "$TABLE_FIELDS" > /tmp/standby.json
		cmp -s /tmp/primary.json /tmp/standby.json && return 0
		sleep 1
	done
	diff /tmp/primary.json /tmp/standby.json | head -30
	return 1
}

start_backend() {
	start_stream_server server $SERVER4 $SPORT
	start_stream_server server $SERVER6 $SPORT
}

# capture_start NS FILE [FILTER]: tcpdump on every interface of NS;
# headers only (256 bytes) unless CAP_SNAP says otherwise (whole frames for
# checksums_correct: a length above the largest frame, not 0, which sizes
# every slot of the immediate-mode ring at 256 KiB: 256 slots in 64 MiB,
# and a busy VM drops frames). The kernel ring is 64 MiB of the VM's 2 GiB
# unless CAP_BUF (KiB) says otherwise: a capture of a few segments (RSTs,
# SYNs) needs little, and four big rings beside 200 stream processes and
# their pcaps in /tmp (RAM) leave the VM short of memory.
capture_start() {
	local ns=$1 file=$2; shift 2
	ip netns exec "$ns" tcpdump -i any -s ${CAP_SNAP:-256} -B ${CAP_BUF:-65536} --immediate-mode -Z root -U \
		-w "$file" ${1:+"$@"} 2> "$file.log" &
	CAP_PID=$!
	wait_for 10 grep -q 'listening on' "$file.log" || fail "tcpdump did not start"
}

# capture_stop FILE: stops the capture; fails the test if the kernel
# dropped packets (a missing ACK could hide or fake a violation).
capture_stop() {
	local file=$1 dropped
	sleep 0.5
	kill -INT $CAP_PID; wait $CAP_PID
	cat "$file.log"
	dropped=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$file.log")
	[ -n "$dropped" ] || fail "cannot read tcpdump's drop count"
	[ "$dropped" -eq 0 ] || fail "capture dropped $dropped packets: cannot judge"
	[ -s "$file" ] || fail "empty capture $file"
}

# flows_json NS: `tcpfoctl -j flows` in NS.
flows_json() { ip netns exec "$1" tcpfoctl -j flows; }

# tsval_monotonic FILE: every TCP connection's TSvals, per sender, never
# decrease (serial order) in the capture, across takeovers included; fails
# if no segment carries a timestamp. (An awk over tcpdump's text did this
# before and never found one: tcpdump prints "[nop,nop,TS val ...", so the
# check was empty.)
tsval_monotonic() {
	tcpfo-pcapcheck --tsval "$1"
}

# tsval_check FILE WHAT: tsval_monotonic; a failure is remembered and
# tsval_verdict fails the test at its end (so the test's other checks
# report first). tsval_check_within FILE WHAT: the same, except that
# decreases across a change of sender (from one gateway's MAC to the
# other's: a takeover) are reported, not failed: for a run whose standby
# is given a wrong clock mapping on purpose (takeover.ts-skew), where the
# probes and new sockets can only go by what the peers echo.
TSVAL_BAD= TSVAL_WITHIN=
tsval_check() {
	tsval_monotonic "$1" || TSVAL_BAD="$TSVAL_BAD; $2"
}
tsval_check_within() {
	tcpfo-pcapcheck --tsval-within "$1" || TSVAL_BAD="$TSVAL_BAD; $2"
	TSVAL_WITHIN="$TSVAL_WITHIN; $2"
}
tsval_verdict() {
	[ -z "$TSVAL_BAD" ] || fail "TSvals went backwards:${TSVAL_BAD#;}"
	note "TSvals never went backwards${TSVAL_WITHIN:+ (in${TSVAL_WITHIN#;}: within one sender; across the takeover, see above)}"
}

# offloads_off NS...: no checksum offload, TSO or GSO on any veth of the
# namespaces: every frame then carries its final checksum on the wire
# (veth otherwise hands CHECKSUM_PARTIAL frames on unchecked).
offloads_off() {
	local ns dev
	for ns in "$@"; do
		for dev in $(ip -n $ns -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			ip netns exec $ns ethtool -K $dev tx off tso off gso off > /dev/null 2>&1 ||
				fail "ethtool: cannot turn offloads off on $ns/$dev"
		done
	done
}

# checksums_correct FILE: every TCP checksum in a whole-frame capture is
# correct, as tcpdump recomputes it; prints the counts. A segment whose
# checksum tcpdump could not verify (frame cut by the snap length) fails.
checksums_correct() {
	tcpdump -vv -nn -r "$1" tcp 2>/dev/null | awk -v f="$1" '
		/Flags \[/ { segs++ }
		/cksum 0x[0-9a-f]* \(correct\)/ { good++ }
		/cksum 0x[0-9a-f]* \(incorrect/ { bad++ }
		END { printf "%d correct, %d incorrect TCP checksums in %s (%d segments)\n", good, bad, f, segs
		      exit !(bad == 0 && good > 0 && good == segs) }'
}

# A pair of failoverd on switch_topology that can swap roles: each listens
# on its own front address and knows the other's.
# pair_conf NODE ROLE OWN-ADDRESS PEER-ADDRESS (mode: $MODE, default sync)
pair_conf() {
	cat <<C
node = $1
role = $2
mode = ${MODE:-sync}
control-socket = /run/tcpfo/$1.sock
service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
service = web6 [$VIP6]:$VPORT [$SERVER6]:$SPORT via $BACK6
[peer]
listen = $3:$SL_PORT
address = $4:$SL_PORT
key-file = $PEER_KEY
[heartbeat]
interval = 100ms
misses = 100
[takeover]
front-interface = front
back-interface = back
[relay]
connect-timeout = 30s
C
}

# start_switch_pair: failoverd in gw2 (standby) and gw1 (primary) from
# /tmp/gw2.conf and /tmp/gw1.conf (pair_conf), pids G2 and G1, logs
# /tmp/gw2.log and /tmp/gw1.log; returns once gw1 is the synced primary
# of epoch 1 (within TIMEOUT s, default 30).
start_switch_pair() {
	ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
	G2=$!
	wait_for 10 grep -q "state link: listening" /tmp/gw2.log || { cat /tmp/gw2.log; fail "gw2 did not listen"; }
	ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1.log 2>&1 &
	G1=$!
	wait_for ${1:-30} peer_is gw1 primary 1 ||
		{ ctl gw1 peer; tail -20 /tmp/gw1.log /tmp/gw2.log; fail "gw1 is not a synced primary of epoch 1"; }
}

# ctl NODE ARGS...: tcpfoctl on NODE, with its failoverd's control socket.
ctl() {
	local node=$1
	shift
	ip netns exec $node tcpfoctl --control-socket /run/tcpfo/$node.sock "$@"
}

# peer_is NODE ROLE EPOCH: the node says so and its full sync is done.
# (jq -n 'input | ...' throughout the tests: jq 1.6's -e calls no input at
# all true, so a tcpfoctl that could not reach failoverd, and printed
# nothing, passed every such check: a failoverd still starting was taken
# for a synced standby.)
peer_is() {
	ctl $1 -j peer | jq -n -e --arg r "$2" --argjson e "$3" \
		'input | (.role == $r and .epoch == $e and .synced)' > /dev/null
}

# holds_floating NODE: NODE has a VIP or back address on an interface.
holds_floating() {
	ip -n $1 addr show | grep -q -e " $VIP4/" -e " $BACK4/" -e " $VIP6/" -e " $BACK6/"
}

# revive NODE: its links up again (link down flushed its IPv6 addresses).
revive() {
	local n
	case $1 in gw1) n=2 ;; gw2) n=3 ;; esac
	# One ip process (a loaded VM takes ~0.2 s to start each); -force
	# goes on past an address that is still there.
	ip -n $1 -force -batch - 2>/dev/null <<B
link set front up
link set back up
addr add 2001:db8:1::$n/64 dev front nodad
addr add 2001:db8:2::$n/64 dev back nodad
B
	return 0
}

