#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Ten failovers in a row with failback in between, under load: 100 flows
# (IPv4 and IPv6) send both ways through gw1 over links with delay and a
# deterministic loss (every 151st TCP segment the client and the server
# send is dropped: nft numgen, the same segments every run). Each cycle,
# once the switch saw the client send another share of bytes: gw1 dies
# (links cut, failoverd SIGKILLed), `tcpfoctl failover` on gw2 takes every
# flow over, gw1 returns (its primary configuration makes it a standby of
# the newer epoch, synced in full), and `tcpfoctl switchover` on gw1 brings
# the flows home. No move may reset a flow; no RST reaches the client or
# the server (from the VIP or the back address); every stream arrives
# complete and intact at both ends. Once in sync mode, once in async mode.
# timeout: 900
. ./lib.sh

FLOWS=${FLOWS:-100}
CYCLES=${CYCLES:-10}
DOWN=${DOWN:-1000000}
load_tcpfo
switch_topology
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
for link in client:c0 server:s0; do
	ns=${link%:*} dev=${link#*:}
	ip netns exec $ns tc qdisc add dev $dev root netem delay 5ms rate 20mbit limit 1000 ||
		fail "netem on $dev"
	ip netns exec $ns nft -f - <<NFT || fail "nft loss in $ns"
table inet loss {
	chain out {
		type filter hook output priority 0; policy accept;
		meta l4proto tcp numgen inc mod 151 == 150 counter drop
	}
}
NFT
done
start_backend

# What the switch saw the client send (its bridge port's receive bytes).
observed() { ip -n sw -s -j link show client-c0 | jq '.[0].stats64.rx.bytes'; }

# move NODE VERB WHAT: `tcpfoctl VERB` on NODE resets no flow.
move() {
	ctl $1 $2 > /tmp/cy-summary.txt 2>&1 ||
		{ cat /tmp/cy-summary.txt; tail -30 /tmp/gw1.log /tmp/gw2.log; fail "$3: tcpfoctl $2 on $1 failed"; }
	grep -q '^took over [0-9]* flow(s), reset 0 ' /tmp/cy-summary.txt ||
		{ cat /tmp/cy-summary.txt; tail -30 /tmp/gw1.log /tmp/gw2.log; fail "$3: flows were reset"; }
	TAKEN=$(sed -n 's/^took over \([0-9]*\) flow(s).*/\1/p' /tmp/cy-summary.txt)
	MS=$(sed -n 's/.* in \([0-9]*\) ms .*/\1/p' /tmp/cy-summary.txt)
}
wait_peer() { # NODE ROLE EPOCH WHAT
	wait_for 60 peer_is $1 $2 $3 ||
		{ ctl $1 peer; tail -20 /tmp/gw1.log /tmp/gw2.log; fail "$4: $1 is not a synced $2 of epoch $3"; }
}

run() { # MODE
	MODE=$1
	local k pids p n last step epoch took
	note "$(date +%T) == $MODE mode: $FLOWS flows, $CYCLES failovers with failback"
	pair_conf gw1 primary 192.0.2.2 192.0.2.3 > /tmp/gw1.conf
	pair_conf gw2 standby 192.0.2.3 192.0.2.2 > /tmp/gw2.conf
	ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
	G2=$!
	wait_for 10 grep -q "state link: listening" /tmp/gw2.log || { cat /tmp/gw2.log; fail "gw2 did not listen"; }
	ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1.log 2>&1 &
	G1=$!
	wait_peer gw1 primary 1 "$MODE: start"
	ip netns exec client ping -c1 -W1 $VIP4 > /dev/null 2>&1
	ip netns exec client ping -c1 -W1 $VIP6 > /dev/null 2>&1

	capture_start client /tmp/cy-c.pcap 'tcp[tcpflags] & tcp-rst != 0 or ip6'
	CAP_C=$CAP_PID
	capture_start server /tmp/cy-s.pcap 'tcp[tcpflags] & tcp-rst != 0 or ip6'
	CAP_S=$CAP_PID
	# The clients send until told to stop (SIGUSR1), and receive DOWN
	# bytes each.
	pids=
	for n in $(seq 1 $FLOWS); do
		if [ $((n % 4)) -eq 0 ]; then addr=$VIP6; else addr=$VIP4; fi
		ip netns exec client tcpfo-stream client $addr $VPORT --duration 600 \
			--down $DOWN --seed $n --quiet > /tmp/cy-stream$n.out 2>&1 &
		pids="$pids $!"
	done
	wait_for 120 sh -c "[ \$(ip netns exec gw1 tcpfoctl -j flows | jq '[.[] | select(.state == \"established\" and .released_c2s > 0)] | length') -eq $FLOWS ]" ||
		{ ip netns exec gw1 tcpfoctl flows | awk '{ print $5 }' | sort | uniq -c; ip netns exec gw1 tcpfoctl status
		  ctl gw1 peer; tail -5 /tmp/cy-stream1.out; tail -20 /tmp/gw1.log; fail "$MODE: $FLOWS flows never moved through gw1"; }
	note "$(date +%T) $MODE: $FLOWS flows move through gw1"
	wait_for 60 sh -c "[ \$(ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock -j peer | jq .standby_flows) -eq $FLOWS ]" ||
		fail "$MODE: gw2 never stored the $FLOWS flows"

	step=${STEP:-1000000}
	epoch=1 took=
	for k in $(seq 1 $CYCLES); do
		last=$(observed)
		wait_for 60 sh -c "[ \$(ip -n sw -s -j link show client-c0 | jq '.[0].stats64.rx.bytes') -gt $((last + step)) ]" ||
			fail "$MODE cycle $k: the client's sending stalled"
		ip -n gw1 link set front down
		ip -n gw1 link set back down
		kill -9 $G1; wait $G1 2>/dev/null
		move gw2 failover "$MODE cycle $k failover"
		note "$(date +%T) $MODE cycle $k: $(cat /tmp/cy-summary.txt)"
		epoch=$((epoch + 1))
		took="$took $TAKEN/${MS}ms"
		revive gw1
		ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1.log 2>&1 &
		G1=$!
		wait_peer gw1 standby $epoch "$MODE cycle $k: gw1 back"
		! holds_floating gw1 || { ip -n gw1 addr show; tail -30 /tmp/gw1.log
			fail "$MODE cycle $k: gw1 returned as standby but holds floating addresses"; }
		move gw1 switchover "$MODE cycle $k failback"
		note "$(date +%T) $MODE cycle $k: failback: $(cat /tmp/cy-summary.txt)"
		epoch=$((epoch + 1))
		took="$took $TAKEN/${MS}ms"
		wait_peer gw2 standby $epoch "$MODE cycle $k: gw2 stands by"
	done
	note "$MODE: flows taken / takeover time per move:$took"
	# The streams' ends in full, to show what any RST answered.
	capture_start client /tmp/cy-end.pcap tcp
	CAP_E=$CAP_PID
	capture_start server /tmp/cy-send.pcap tcp
	CAP_SE=$CAP_PID
	kill -USR1 $pids
	n=0
	for p in $pids; do
		n=$((n + 1))
		wait $p || { cat /tmp/cy-stream$n.out; tail -30 /tmp/gw1.log; fail "$MODE: stream $n broken"; }
	done
	note "$MODE: all $FLOWS streams complete and intact after $((2 * CYCLES)) moves"
	CAP_PID=$CAP_E; capture_stop /tmp/cy-end.pcap
	CAP_PID=$CAP_SE; capture_stop /tmp/cy-send.pcap
	CAP_PID=$CAP_C; capture_stop /tmp/cy-c.pcap
	CAP_PID=$CAP_S; capture_stop /tmp/cy-s.pcap
	# An RST that reaches the client or the server comes from the VIP or
	# the back address. (One a peer sends itself, answering a late
	# segment of a connection it has closed cleanly, is counted below.)
	for f in /tmp/cy-c.pcap /tmp/cy-s.pcap; do
		if [ $f = /tmp/cy-c.pcap ]; then gw="src host $VIP4 or src host $VIP6"; else gw="src host $BACK4 or src host $BACK6"; fi
		rst=$(tcpdump -nn -r $f "tcp[tcpflags] & tcp-rst != 0 and ($gw)" 2>/dev/null | wc -l)
		peer_rst=$(tcpdump -nn -r $f "tcp[tcpflags] & tcp-rst != 0 and not ($gw)" 2>/dev/null | wc -l)
		[ "$peer_rst" -eq 0 ] || note "$MODE: $peer_rst RST(s) sent by the peer itself in $f (after its connection closed)"
		if [ "$rst" -ne 0 ]; then
			tcpdump -nn -r $f "tcp[tcpflags] & tcp-rst != 0 and ($gw)" | head
			port=$(tcpdump -nn -r $f 'tcp[tcpflags] & tcp-rst != 0' 2>/dev/null | head -1 |
				sed -n 's/.* > [0-9.]*\.\([0-9]*\): .*/\1/p')
			end=/tmp/cy-end.pcap
			[ $f = /tmp/cy-s.pcap ] && end=/tmp/cy-send.pcap
			[ -n "$port" ] && tcpdump -nn -r $end "port $port" 2>/dev/null | tail -25
			fail "$MODE: $rst RST(s) in $f"
		fi
		tsval_monotonic $f || fail "$MODE: TSvals went backwards in $f (IPv6 flows)"
	done
	note "$MODE: no RST; TSvals of the IPv6 flows never went backwards; dropped by the lossy links: $(ip netns exec client nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p') + $(ip netns exec server nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p') segments"
	kill $G1 $G2; wait $G1 $G2
	revive gw1; revive gw2
}

for m in ${MODES:-sync async}; do run $m; done
exit 0
