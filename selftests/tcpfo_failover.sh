#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Failover on a switch: gw1 (primary) relays transfers both ways, IPv4 and
# IPv6, with its standby gw2 in sync; gw1 dies (links cut first, then its
# failoverd SIGKILLed) in the middle of the transfers; `tcpfoctl failover`
# on gw2 takes every flow over. Judged by the peers and the wire: every
# stream arrives complete and intact at both ends (payloads encode their
# offsets: loss, duplication and reordering are caught exactly), no RST
# reaches the client or the server, gw2 reset no flow, and no sender's
# TSvals ever went back, across the takeover included. Once in sync mode,
# once in async mode; the async run has checksum offload, TSO and GSO off
# on every veth, the observers verify every TCP checksum of whole-frame
# captures, and gw2's clock mapping is skewed 2 s backwards
# (takeover.ts-skew): its TSvals must still pass the peers' PAWS check
# (the streams complete), and only across the takeover may they be below
# gw1's (they can only go by what the peers echo). The sync
# run also carries an idle flow (its client paused before the fault and
# resumed after it: carried on) and one caught in its handshake (the
# backend never answers its SYN: reset, its client told, and counted).
# timeout: 600
. ./lib.sh

FLOWS=${FLOWS:-4}
BYTES=${BYTES:-10000000}
load_tcpfo
switch_topology
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
# The peers' links are rate limited: the transfers last long enough for
# the failover to land in their middle.
ip netns exec client tc qdisc add dev c0 root tbf rate 10mbit burst 64k latency 200ms
ip netns exec server tc qdisc add dev s0 root tbf rate 10mbit burst 64k latency 200ms
start_backend
# Nobody answers SYNs to port 8082 (service "silent"): its flows stay in
# their handshake.
ip netns exec server nft -f - <<NFT || fail "nft in server"
table inet silent {
	chain pre { type filter hook prerouting priority 0; policy accept; tcp dport 8082 drop; }
}
NFT

conf() { # NODE ROLE MODE
	cat <<C
node = $1
role = $2
mode = $3
control-socket = /run/tcpfo/$1.sock
service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
service = web6 [$VIP6]:$VPORT [$SERVER6]:$SPORT via $BACK6
service = silent $VIP4:82 $SERVER4:8082 via $BACK4
[peer]
$( [ $2 = primary ] && echo "address = 192.0.2.3:$SL_PORT" || echo "listen = 192.0.2.3:$SL_PORT")
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
	if [ $1 = gw2 ] && [ -n "${SKEW:-}" ]; then printf '[takeover]\nts-skew = %s\n' "$SKEW"; fi
}

run() { # MODE [checked] [SKEW-MS] [extra]
	local mode=$1 i pids n idle hs resets=0 more=0
	CHECKED=${2:-} SKEW=${3:-} EXTRA=${4:-}
	if [ -n "$CHECKED" ]; then
		offloads_off client server gw1 gw2 sw
		# Whole frames (offloads off: none is above the 1500-byte MTU
		# plus headers); shorter transfers keep the captures small.
		CAP_SNAP=2048 BYTES=$((BYTES / 2))
	else
		CAP_SNAP=256
	fi
	note "== $mode mode: $FLOWS flows, $BYTES bytes each way${CHECKED:+, offloads off, checksums verified}${SKEW:+, ts-skew $SKEW ms}"
	conf gw2 standby $mode > /tmp/gw2.conf
	conf gw1 primary $mode > /tmp/gw1.conf
	ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
	G2=$!
	wait_for 10 grep -q "state link: listening" /tmp/gw2.log || { cat /tmp/gw2.log; fail "standby did not listen"; }
	ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1.log 2>&1 &
	G1=$!
	wait_for 30 grep -q "state link: protected" /tmp/gw1.log ||
		{ cat /tmp/gw1.log /tmp/gw2.log; fail "$mode: gw1 never got protected"; }

	# Neighbours learn where the floating addresses are from the
	# announcements (repeated after 1 s and 3 s): gw1 again after a run
	# that ended on gw2.
	m1f=$(ip -n gw1 -br link show front | awk '{ print $3 }')
	m1b=$(ip -n gw1 -br link show back | awk '{ print $3 }')
	ip netns exec client ping -c1 -W1 $VIP4 > /dev/null 2>&1
	ip netns exec client ping -c1 -W1 $VIP6 > /dev/null 2>&1
	ip netns exec server ping -c1 -W1 $BACK4 > /dev/null 2>&1
	ip netns exec server ping -c1 -W1 $BACK6 > /dev/null 2>&1
	wait_for 10 sh -c "ip -n client neigh show $VIP4 | grep -q $m1f && ip -n client neigh show $VIP6 | grep -q $m1f && ip -n server neigh show $BACK4 | grep -q $m1b && ip -n server neigh show $BACK6 | grep -q $m1b" ||
		{ ip -n client neigh; ip -n server neigh; fail "$mode: the peers do not reach gw1's floating addresses"; }

	capture_start client /tmp/fo-client.pcap tcp
	CAP_C=$CAP_PID
	capture_start server /tmp/fo-server.pcap tcp
	CAP_S=$CAP_PID
	if [ -n "$EXTRA" ]; then
		# An idle flow: its client sends 200,000 bytes (after its
		# 32-byte request), then nothing until after the takeover
		# (SIGUSR2); the fault lands once all of it was released, so
		# nothing moves on it meanwhile. (A stopped process would
		# not do: its socket keeps sending what it buffered.)
		ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 3000000 --down 0 \
			--pause-at 200000 --seed 77 > /tmp/fo-idle.out 2>&1 &
		idle=$!
		wait_for 30 sh -c "ip netns exec gw1 tcpfoctl -j flows | jq -n -e 'input | ([.[] | select(.released_c2s == 200032 and .fin_c2s == null)] | length == 1)' > /dev/null" ||
			{ ip netns exec gw1 tcpfoctl flows; fail "$mode: the idle flow never moved"; }
		# One in its handshake: the client is connected, the backend is not.
		ip netns exec client tcpfo-stream client $VIP4 82 --up 1000 --down 1000 \
			> /tmp/fo-hs.out 2>&1 &
		hs=$!
		wait_for 30 sh -c "ip netns exec gw2 tcpfoctl -j flows | jq -n -e 'input | ([.[] | select(.vport == 82)] | length == 1)' > /dev/null" ||
			{ ip netns exec gw1 tcpfoctl flows; ip netns exec gw2 tcpfoctl flows; fail "$mode: the standby never stored the handshake flow"; }
		resets=1 more=1
	fi
	pids=
	for i in $(seq 1 $FLOWS); do
		if [ $((i % 2)) -eq 1 ]; then addr=$VIP4; else addr=$VIP6; fi
		ip netns exec client tcpfo-stream client $addr $VPORT --up $BYTES --down $BYTES \
			--seed $i > /tmp/fo-stream$i.out 2>&1 &
		pids="$pids $!"
	done
	# One more flow is half-closed when the fault lands: the client sent
	# all it had (its FIN went through) and keeps receiving.
	# (It receives twice as much: still receiving when the fault lands.)
	ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 50000 --down $((2 * BYTES)) \
		--seed 99 > /tmp/fo-half.out 2>&1 &
	half=$!
	# The fault lands once every flow moved bytes both ways (the first
	# seen through gw1 after ~1 s of a ~20 s transfer). Fenced flows (a
	# dead run's, if its fence were not lifted) would not count.
	wait_for 60 sh -c "ip netns exec gw1 tcpfoctl -j flows | jq -n -e 'input | (([.[] | select(.state == \"established\" and (.fenced | not) and .released_c2s > 50000 and .released_s2c > 50000)] | length) == $FLOWS and ([.[] | select((.fenced | not) and .vport != 82 and .fin_c2s != null and .fin_c2s < 100000 and .fin_s2c == null)] | length) == 1)' > /dev/null" ||
		{ ip netns exec gw1 tcpfoctl flows; tail -5 /tmp/fo-stream*.out /tmp/fo-half.out
		  tail -20 /tmp/gw1.log; fail "$mode: gw1 never had $FLOWS flows in motion and one half-closed"; }
	ip netns exec gw1 tcpfoctl -j flows > /tmp/fo-gw1-flows.json
	ip netns exec gw2 tcpfoctl flows > /tmp/fo-gw2-flows.txt
	ip -n gw1 link set front down
	ip -n gw1 link set back down
	kill -9 $G1; wait $G1 2>/dev/null
	note "$mode: gw1 is dead (links down, failoverd killed)"
	ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock failover > /tmp/fo-summary.txt 2>&1 ||
		{ cat /tmp/fo-summary.txt /tmp/gw2.log; fail "$mode: tcpfoctl failover failed"; }
	note "$mode: $(cat /tmp/fo-summary.txt)"
	# A flow may have finished in the meantime (then it is let go, not
	# reset); every other one is taken over.
	taken=$(sed -n "s/^took over \([0-9]*\) flow(s), reset $resets (\([0-9]*\) had ended).*/\1 \2/p" /tmp/fo-summary.txt)
	[ -n "$taken" ] && [ $(echo $taken | awk '{ print $1 + $2 }') -eq $((FLOWS + 1 + more)) ] ||
		{ cat /tmp/gw2.log /tmp/fo-gw2-flows.txt; jq -c '.[]' /tmp/fo-gw1-flows.json
		  ip netns exec gw2 tcpfoctl status; fail "$mode: not every flow was taken over"; }

	n=0
	for p in $pids; do
		n=$((n + 1))
		wait $p || { cat /tmp/fo-stream$n.out; tail -30 /tmp/gw2.log; ip netns exec gw2 tcpfoctl flows; fail "$mode: stream $n broken after the failover"; }
	done
	wait $half || { cat /tmp/fo-half.out; tail -30 /tmp/gw2.log; fail "$mode: the half-closed stream broke"; }
	if [ -n "$EXTRA" ]; then
		sleep 5
		kill -USR2 $idle
		wait $idle || { cat /tmp/fo-idle.out; tail -30 /tmp/gw2.log; fail "$mode: the idle flow broke"; }
		note "$mode: the idle flow resumed and completed intact"
		wait_for 10 sh -c "! kill -0 $hs 2>/dev/null" || fail "$mode: the handshake flow's client still waits"
		wait $hs && fail "$mode: the flow caught in its handshake completed?"
		grep -qi 'reset' /tmp/fo-hs.out || { cat /tmp/fo-hs.out; fail "$mode: the handshake flow's client was not reset"; }
		[ "$(ip netns exec gw2 tcpfoctl -j status | jq .takeover_resets)" -eq 1 ] ||
			{ ip netns exec gw2 tcpfoctl status; fail "$mode: the reset is not counted"; }
		note "$mode: the flow caught in its handshake was reset (client: $(head -c 80 /tmp/fo-hs.out)) and counted"
	fi
	note "$mode: all $FLOWS streams and the half-closed one complete and intact"
	CAP_PID=$CAP_C; capture_stop /tmp/fo-client.pcap
	CAP_PID=$CAP_S; capture_stop /tmp/fo-server.pcap
	for f in /tmp/fo-client.pcap /tmp/fo-server.pcap; do
		# (The flow caught in its handshake is reset on purpose.)
		rst=$(tcpdump -nn -r $f "($RST_FILTER) and not port 82" 2>/dev/null | wc -l)
		[ "$rst" -eq 0 ] || { tcpdump -nn -r $f "($RST_FILTER) and not port 82" | head; fail "$mode: $rst RST(s) in $f"; }
		if [ -n "$SKEW" ]; then
			tsval_check_within $f "$mode: $f"
		else
			tsval_check $f "$mode: $f"
		fi
		if [ -n "$CHECKED" ]; then
			checksums_correct $f > /tmp/fo-csum.txt || { cat /tmp/fo-csum.txt; fail "$mode: bad checksums"; }
			note "$mode: $(cat /tmp/fo-csum.txt)"
		fi
	done
	ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock peer | grep -q '^role *primary' ||
		fail "$mode: gw2 does not say it is the primary"
	kill $G2; wait $G2
	# gw1's host comes back (link down flushed its IPv6 addresses).
	ip -n gw1 link set front up
	ip -n gw1 link set back up
	ip -n gw1 addr add 2001:db8:1::2/64 dev front nodad 2>/dev/null
	ip -n gw1 addr add 2001:db8:2::2/64 dev back nodad 2>/dev/null
	# gw2, a primary now, let go of the floating addresses when it stopped.
	! ip -n gw2 addr show | grep -q -e " $VIP4/" -e " $BACK4/" -e " $VIP6/" -e " $BACK6/" ||
		{ ip -n gw2 addr show; fail "$mode: gw2 stopped but still holds floating addresses"; }
}

run sync "" "" extra
run async checked -2000
tsval_verdict
exit 0
