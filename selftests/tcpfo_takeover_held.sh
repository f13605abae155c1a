#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A retransmission that reaches the standby while its flow is locked is
# kept, and handed to the new socket when the flow resumes: its sender is
# not left waiting for its next, backed-off, timeout. Twice: a download
# whose client has half-closed (it sent its request and its FIN: the new
# server-leg socket starts before that FIN, which the server has
# acknowledged), gw1 to gw2; then one whose client keeps its side open,
# gw2 to gw1.
#  1. The primary relays the download (sync mode). The client stops
#     receiving for a moment (its input drops the download), so nothing
#     more is released: the standby's stored point is the server's
#     snd_una, and the primary holds the data the server sent beyond it.
#  2. The primary dies (links cut, failoverd killed). The standby's module
#     locks the flow (TAKEOVER_LOCK, as a takeover's first step does) and
#     the peers' neighbour entries name the standby (as its gratuitous ARP
#     will): the server's retransmission timer fires into the lock.
#  3. `tcpfoctl failover` on the standby.
# Judged on the server leg: the new primary acknowledges the data the
# server retransmitted into the lock before the server sends it again
# (its next timeout is seconds away by then: without the held segment the
# resume ACK is a duplicate, and only that timeout moves the flow). The
# stream arrives complete and intact; no RST reaches either peer.
# Beside it an idle flow (its client sent 1,000 of 2,000 bytes and waits,
# without a FIN; its server has nothing to send) is taken over each time: its new
# sockets have no RTT sample of their own, and their first retransmission
# timeout, seeded from the probes' round trips, must be under a second
# (`ss`; Linux gives a socket without a sample 3 s, so a segment lost
# from a resumed flow's first flight would stall it that long).
# timeout: 240
. ./lib.sh

load_tcpfo
switch_topology
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
ip netns exec server tc qdisc add dev s0 root tbf rate 10mbit burst 64k latency 200ms
start_stream_server server $SERVER4 $SPORT
MODE=sync
pair_conf gw1 primary 192.0.2.2 192.0.2.3 > /tmp/gw1.conf
pair_conf gw2 standby 192.0.2.3 192.0.2.2 > /tmp/gw2.conf
start_switch_pair
# The client's input hook, registered now: only its rule comes and goes
# during the transfers. Registering a hook patches the kernel's code
# (static keys); once, under TCG, that hung the VM while both CPUs were
# busy with a transfer (a soft lockup in text_poke_bp, no tcpfo frame).
ip netns exec client nft -f - <<N || fail "nft in the client"
table inet held { chain drop_download { type filter hook input priority 0; }; }
N
mac() { ip -n $1 -br link show $2 | awk '{ print $3 }'; }

ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 2000 --pause-at 1000 --down 0 > /tmp/held-idle.out 2>&1 &
IDLE=$!
wait_for 20 sh -c "[ -n \"\$(ip netns exec client ss -Htn state established dst $VIP4)\" ]" ||
	{ cat /tmp/held-idle.out; ip netns exec client ss -tan; tail -5 /tmp/gw1.log; fail "the idle flow did not connect"; }
IPORT=$(ip netns exec client ss -Htn state established dst $VIP4 | awk '{ print $3 }' | sed 's/.*://' | head -n1)
# idle_rtos NODE: the first retransmission timeouts (ms) of the idle
# flow's two sockets on NODE.
idle_rtos() {
	local bport
	bport=$(ctl $1 -j flows | jq -n --argjson p $IPORT 'input | .[] | select(.client_port == $p and (.standby | not)) | .back_port')
	[ -n "$bport" ] || return
	# ss prints no rto for Linux's default without a sample, 3 s. With
	# -i each socket takes two lines; its info line starts with a blank.
	ip netns exec $1 ss -tinH state established "( dport = :$IPORT or sport = :$bport )" |
		awk '/^[ \t]/ { r = 3000; for (i = 1; i <= NF; i++) if ($i ~ /^rto:/) r = substr($i, 5); print r }'
}

# round NAME DYING TAKING EPOCH STREAM-OPTIONS...: one takeover (EPOCH:
# the one it makes), DYING's failoverd pid in $DYING_PID.
round() {
	local name=$1 a=$2 b=$3 epoch=$4 xfer cut got verdict f rst
	shift 4
	ip netns exec client tcpfo-stream client $VIP4 $VPORT "$@" > /tmp/held-stream.out 2>&1 &
	xfer=$!
	stored() { ctl $b -j flows | jq -n 'input | [.[] | select(.standby) | .released_s2c] | add // 0'; }
	n=0
	until [ "$(stored)" -gt 500000 ]; do
		n=$((n + 1)); [ $n -lt 60 ] || { ctl $b flows; fail "$name: $b never stored the download past 500 kB"; }
		sleep 0.5
	done
	# 1. The client's input drops the download: nothing more is
	# acknowledged, released, stored. Settled when the stored point
	# stops moving.
	ip netns exec client nft add rule inet held drop_download tcp sport $VPORT drop ||
		fail "nft rule in the client"
	prev=-1 now=$(stored) n=0
	while [ "$now" != "$prev" ]; do
		n=$((n + 1)); [ $n -lt 20 ] || fail "$name: $b's stored point never settled"
		sleep 0.5; prev=$now; now=$(stored)
	done
	note "$name: stored point settled at $now bytes"
	capture_start server /tmp/held-s.pcap "tcp port $SPORT"
	CAP_S=$CAP_PID
	capture_start client /tmp/held-c.pcap "tcp port $VPORT"
	CAP_C=$CAP_PID

	# 2. The primary dies; the standby locks the flow, the peers are
	# pointed at it.
	cut=$(ip netns exec $a tcpfo-ifdown front back) || fail "$name: cutting $a's links"
	kill -9 $DYING_PID; wait $DYING_PID 2>/dev/null
	got=$(ip netns exec $b tcpfo-nlprobe lock)
	[ "$got" = 0 ] || fail "$name: TAKEOVER_LOCK in $b: $got"
	ip -n client neigh replace $VIP4 lladdr $(mac $b front) dev c0 nud permanent
	ip -n server neigh replace $BACK4 lladdr $(mac $b back) dev s0 nud permanent
	ip netns exec client nft flush chain inet held drop_download || fail "nft flush in the client"
	# The server's next retransmission arrives (its timer is backed off
	# by now: up to seconds).
	held() { ip netns exec $b tcpfo-nlprobe seen | grep -q '^seen [0-9]* l2 .* segs=[1-9]'; }
	wait_for 20 held || { ip netns exec $b tcpfo-nlprobe seen; fail "$name: no server retransmission reached $b's lock"; }
	note "$name: held while locked: $(ip netns exec $b tcpfo-nlprobe seen | grep ' l2 ')"

	# 3. The takeover.
	ctl $b failover > /tmp/held-summary.txt 2>&1 ||
		{ cat /tmp/held-summary.txt; tail -20 /tmp/$b.log; fail "$name: tcpfoctl failover"; }
	note "$name: failover: $(cat /tmp/held-summary.txt)"
	grep -q "^took over 2 flow(s), reset 0" /tmp/held-summary.txt || fail "$name: the flows were not taken over"
	rtos=$(idle_rtos $b | tr '\n' ' ')
	note "$name: the idle flow's new sockets: first retransmission timeouts $rtos ms"
	[ "$(echo $rtos | wc -w)" = 2 ] || { ip netns exec $b ss -tin; fail "$name: the idle flow's two sockets not found on $b"; }
	for r in $rtos; do
		awk -v r=$r 'BEGIN { exit !(r < 1000) }' ||
			fail "$name: an idle socket's first retransmission timeout is $r ms (no seed from the probe)"
	done
	ctl $b -j peer | jq -n -e --argjson e $epoch 'input | (.role == "primary" and .epoch == $e)' > /dev/null ||
		{ ctl $b peer; fail "$name: $b is not the primary of epoch $epoch"; }
	# An open client ends its upload now (SIGUSR2: it sends its FIN).
	case "$*" in *--pause-at*) kill -USR2 $xfer ;; esac
	wait $xfer || { cat /tmp/held-stream.out; tail -20 /tmp/$b.log; fail "$name: the stream broke"; }
	note "$name: stream: $(tail -1 /tmp/held-stream.out)"
	CAP_PID=$CAP_S capture_stop /tmp/held-s.pcap
	CAP_PID=$CAP_C capture_stop /tmp/held-c.pcap
	ip -n client neigh del $VIP4 dev c0
	ip -n server neigh del $BACK4 dev s0

	# After the cut, segments from the back address are the new
	# primary's (the dead one shares it). The server's last data segment
	# before the first of them (a retransmission into the lock: nothing
	# else reached the standby), and what came next: an acknowledgement
	# past it, or the same data again.
	tcpdump -tt -nn -S -r /tmp/held-s.pcap 2>/dev/null > /tmp/held-s.txt
	verdict=$(awk -v t="${cut#* }" -v srv="$SERVER4.$SPORT" -v gw="$BACK4." '
		$1 < t { next }
		{ src = ""; len = 0; seq = ""; a = ""
		  for (i = 1; i <= NF; i++) {
			if ($i == "IP" && src == "") src = $(i + 1)
			if ($i == "length") len = $(i + 1) + 0
			if ($i == "seq") { seq = $(i + 1); sub(/,$/, "", seq) }
			if ($i == "ack") { a = $(i + 1); sub(/,$/, "", a) }
		  } }
		function after(x, y) { return (x - y + 4294967296) % 4294967296 < 2147483648 && x != y }
		src == srv && len > 0 && !gwseen { split(seq, r, ":"); hs = r[1]; he = r[2]; ht = $1; next }
		index(src, gw) == 1 { gwseen = 1 }
		gwseen && hs == "" { print "none"; exit }
		gwseen && index(src, gw) == 1 && a != "" && (a == he || after(a, he)) {
			printf "acked %s:%s (sent at %.3f) at %.3f\n", hs, he, ht, $1; exit }
		gwseen && src == srv && len > 0 { split(seq, r, ":")
			if (r[1] == hs) { printf "resent %s:%s at %.3f (first at %.3f)\n", hs, he, $1, ht; exit } }
		END { if (!gwseen) print "no segment from the new primary" }' /tmp/held-s.txt)
	note "$name: server leg: ${verdict:-nothing after the new primary's first segment}"
	case $verdict in
	acked*) ;;
	*) awk -v t="${cut#* }" '$1 >= t' /tmp/held-s.txt | head -30
	   fail "$name: the retransmission held while locked was not delivered (${verdict:-undecided})" ;;
	esac
	for f in /tmp/held-s.pcap /tmp/held-c.pcap; do
		rst=$(tcpdump -nn -r $f "$RST_FILTER" 2>/dev/null | wc -l)
		[ "$rst" -eq 0 ] || { tcpdump -nn -r $f "$RST_FILTER" | head; fail "$name: $rst RST(s) in $f"; }
	done
}

DYING_PID=$G1
round "half-closed client" gw1 gw2 2 --down 12000000
# gw1 returns: it finds gw2 primary (epoch 2) and stands by.
revive gw1
ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1-back.log 2>&1 &
G1=$!
wait_for 30 peer_is gw1 standby 2 || { ctl gw1 peer; cat /tmp/gw1-back.log; fail "gw1 did not return as a synced standby"; }
DYING_PID=$G2
round "open client" gw2 gw1 3 --up 2000 --pause-at 1000 --down 12000000
kill -USR2 $IDLE
wait $IDLE || { cat /tmp/held-idle.out; fail "the idle flow broke"; }
note "idle flow: $(tail -1 /tmp/held-idle.out)"
kill $G1; wait $G1
exit 0
