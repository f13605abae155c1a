#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Switchover and failback on a switch, both nodes configured with each
# other's state link address (either may be primary). Transfers run both
# ways, IPv4 and IPv6, through every move (the clients upload until the
# last move is done):
#  1. `tcpfoctl switchover` on gw2: gw1 hands its flows over and stands by;
#     gw2 (epoch 2) syncs it in full;
#  2. `tcpfoctl switchover` on gw1 moves them back (epoch 3);
#  3. gw1 dies (links cut, failoverd SIGKILLed); `tcpfoctl failover` on gw2
#     takes over (epoch 4);
#  4. gw1 comes back with its primary configuration: it finds a primary of a
#     newer epoch and starts as standby (holding no floating address), and
#     the flows its dead failoverd left fenced are freed;
#  5. `tcpfoctl switchover` on gw1 brings the flows home (failback);
#  6. failoverd alone is SIGKILLed on gw1 (host and links stay up): its
#     module fences the flows and stops answering ARP for the VIPs, and
#     gw2 sees the state link close and takes over by itself (epoch 6);
#  7. gw1's failoverd restarts, stands by, and a switchover brings the
#     flows home again (epoch 7).
# Judged by the peers and the wire: every stream arrives complete and
# intact at both ends, no RST reaches the client or the server, and no
# move reset a flow, and no sender's TSvals ever went back.
# timeout: 400
. ./lib.sh

FLOWS=${FLOWS:-4}
BYTES=${BYTES:-20000000}
MODE=${MODE:-sync}
load_tcpfo
switch_topology
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
ip netns exec client tc qdisc add dev c0 root tbf rate 10mbit burst 64k latency 200ms
ip netns exec server tc qdisc add dev s0 root tbf rate 10mbit burst 64k latency 200ms
start_backend

pair_conf gw1 primary 192.0.2.2 192.0.2.3 > /tmp/gw1.conf
pair_conf gw2 standby 192.0.2.3 192.0.2.2 > /tmp/gw2.conf

wait_peer() { # NODE ROLE EPOCH WHAT
	wait_for 30 peer_is $1 $2 $3 ||
		{ ctl $1 peer; tail -20 /tmp/gw1.log /tmp/gw2.log; fail "$4: $1 is not a synced $2 of epoch $3"; }
}
# move NODE VERB WHAT: `tcpfoctl VERB` on NODE takes every flow, resets none.
move() {
	ctl $1 $2 > /tmp/so-summary.txt 2>&1 ||
		{ cat /tmp/so-summary.txt; tail -30 /tmp/gw1.log /tmp/gw2.log; fail "$3: tcpfoctl $2 on $1 failed"; }
	note "$3: $(cat /tmp/so-summary.txt)"
	taken=$(sed -n 's/^took over \([0-9]*\) flow(s), reset 0 (\([0-9]*\) had ended).*/\1 \2/p' /tmp/so-summary.txt)
	[ -n "$taken" ] && [ $(echo $taken | awk '{ print $1 + $2 }') -eq $FLOWS ] ||
		{ tail -30 /tmp/gw1.log /tmp/gw2.log; fail "$3: not every flow was taken over"; }
}
streams_moving() { # NODE MIN-BYTES
	ctl $1 -j flows | jq -n -e "input | (([.[] | select(.state == \"established\" and (.fenced | not) and .released_c2s > $2 and .released_s2c > $2)] | length) == $FLOWS)" > /dev/null
}

ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
G2=$!
wait_for 10 grep -q "state link: listening" /tmp/gw2.log || { cat /tmp/gw2.log; fail "gw2 did not listen"; }
ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1.log 2>&1 &
G1=$!
wait_peer gw1 primary 1 "start"
holds_floating gw1 || fail "start: gw1 holds no floating address"
! holds_floating gw2 || fail "start: gw2, a standby, holds floating addresses"

capture_start client /tmp/so-client.pcap tcp
CAP_C=$CAP_PID
capture_start server /tmp/so-server.pcap tcp
CAP_S=$CAP_PID
pids=
for i in $(seq 1 $FLOWS); do
	if [ $((i % 2)) -eq 1 ]; then addr=$VIP4; else addr=$VIP6; fi
	# Uploads until told to stop (SIGUSR1 after the last move): every
	# flow stays open through all seven moves, however long they take.
	ip netns exec client tcpfo-stream client $addr $VPORT --duration 600 --down $BYTES \
		--seed $i > /tmp/so-stream$i.out 2>&1 &
	pids="$pids $!"
done
wait_for 60 streams_moving gw1 50000 ||
	{ ctl gw1 flows; tail -20 /tmp/gw1.log; fail "gw1 never had $FLOWS flows in motion"; }
wait_for 30 sh -c "ctl() { ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock \"\$@\"; }; [ \$(ctl -j peer | jq .standby_flows) -ge $FLOWS ]" ||
	fail "gw2 never stored $FLOWS flows"

# 1. Planned move to gw2.
move gw2 switchover "switchover to gw2"
wait_peer gw1 standby 2 "after the switchover to gw2"
ctl gw2 -j peer | jq -n -e 'input | (.role == "primary" and .epoch == 2)' > /dev/null ||
	{ ctl gw2 peer; fail "gw2 is not the primary of epoch 2"; }
! holds_floating gw1 || { ip -n gw1 addr; fail "gw1 gave its flows away but holds floating addresses"; }
wait_for 30 streams_moving gw2 100000 || { ctl gw2 flows; fail "the flows do not move through gw2"; }

# 2. And back to gw1.
move gw1 switchover "switchover back to gw1"
wait_peer gw2 standby 3 "after the switchover back"
! holds_floating gw2 || { ip -n gw2 addr; fail "gw2 gave its flows away but holds floating addresses"; }
released=$(ctl gw1 -j flows | jq '[.[] | .released_c2s] | add')
wait_for 30 sh -c "[ \$(ip netns exec gw1 tcpfoctl -j flows | jq '[.[] | .released_c2s] | add') -gt $((released + 100000)) ]" ||
	{ ctl gw1 flows; fail "the flows do not move through gw1 again"; }

# 3. gw1 dies; gw2 takes over.
ip -n gw1 link set front down
ip -n gw1 link set back down
kill -9 $G1; wait $G1 2>/dev/null
move gw2 failover "failover to gw2"
ctl gw2 -j peer | jq -n -e 'input | (.role == "primary" and .epoch == 4)' > /dev/null ||
	{ ctl gw2 peer; fail "gw2 is not the primary of epoch 4"; }

# 4. gw1's host returns; its failoverd starts with the primary config.
revive gw1
fenced=$(ip netns exec gw1 tcpfoctl -j status | jq .fenced_flows)
note "gw1 returns; its module holds $fenced fenced flow(s) of the dead run"
ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1-back.log 2>&1 &
G1=$!
wait_for 30 peer_is gw1 standby 4 ||
	{ ctl gw1 peer; cat /tmp/gw1-back.log; tail -20 /tmp/gw2.log; fail "the returning gw1 is not a synced standby of epoch 4"; }
grep -q "starting as standby, not as primary" /tmp/gw1-back.log ||
	{ cat /tmp/gw1-back.log; fail "gw1 did not say why it stands by"; }
! holds_floating gw1 || { ip -n gw1 addr; fail "the returning gw1 holds floating addresses"; }
[ "$(ip netns exec gw1 tcpfoctl -j status | jq .fenced_flows)" -eq 0 ] ||
	{ ip netns exec gw1 tcpfoctl flows; fail "the returning gw1 still holds fenced flows"; }

# 5. Failback.
move gw1 switchover "failback to gw1"
wait_peer gw2 standby 5 "after the failback"

# 6. failoverd alone dies on gw1; gw2 notices by itself.
wait_for 30 streams_moving gw1 100000 || { ctl gw1 flows; fail "the flows do not move through gw1"; }
kill -9 $G1; wait $G1 2>/dev/null
wait_for 30 sh -c "ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock -j peer | jq -n -e 'input | (.role == \"primary\" and .epoch == 6)' > /dev/null" ||
	{ ctl gw2 peer; tail -30 /tmp/gw2.log; fail "gw2 did not take over by itself when gw1's failoverd died"; }
summary=$(grep 'takeover: done' /tmp/gw2.log | tail -1)
note "failoverd on gw1 killed, gw2 took over by itself: ${summary#*done: }"
echo "$summary" | grep -q "took over $FLOWS flow(s), reset 0" ||
	{ tail -30 /tmp/gw2.log; fail "the automatic takeover did not take every flow"; }
grep -q "takeover: primary lost" /tmp/gw2.log || fail "gw2's log does not say why it took over"

# 7. gw1's failoverd again: standby, then home.
ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1-back2.log 2>&1 &
G1=$!
wait_for 30 peer_is gw1 standby 6 ||
	{ ctl gw1 peer; cat /tmp/gw1-back2.log; fail "gw1's new failoverd is not a synced standby of epoch 6"; }
! holds_floating gw1 || { ip -n gw1 addr; fail "gw1's new failoverd, a standby, holds floating addresses"; }
move gw1 switchover "switchover home to gw1"
wait_peer gw2 standby 7 "after the last switchover"

kill -USR1 $pids
n=0
for p in $pids; do
	n=$((n + 1))
	wait $p || { cat /tmp/so-stream$n.out; tail -30 /tmp/gw1-back.log; ctl gw1 flows; fail "stream $n broken"; }
done
note "all $FLOWS streams complete and intact after 6 moves"
CAP_PID=$CAP_C; capture_stop /tmp/so-client.pcap
CAP_PID=$CAP_S; capture_stop /tmp/so-server.pcap
for f in /tmp/so-client.pcap /tmp/so-server.pcap; do
	rst=$(tcpdump -nn -r $f "$RST_FILTER" 2>/dev/null | wc -l)
	[ "$rst" -eq 0 ] || { tcpdump -nn -r $f "$RST_FILTER" | head; fail "$rst RST(s) in $f"; }
	tsval_check $f "$f"
done
kill $G1 $G2; wait $G1 $G2
tsval_verdict
exit 0
