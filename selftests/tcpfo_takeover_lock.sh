#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel side of a takeover, on the standby, with live flows whose
# primary died (its links cut):
#  - TAKEOVER_LOCK holds every segment of the standby flows' tuples: the
#    peers' retransmissions reach the standby, which has no socket for
#    them, and yet no RST reaches the client or the server;
#  - TAKEOVER_PROBE makes both peers of every flow answer at once, and the
#    acknowledgement each answer carries (on the wire) is what the dump's
#    SEEN nest reports;
#  - TAKEOVER_UNLOCK with RESET sends each peer one RST it accepts (the
#    client's transfer ends with a reset, the server's socket is gone) and
#    counts the flow in TAKEOVER_RESETS; the standby record goes;
#  - TAKEOVER_ACTIVATE turns a locked standby flow into a tracked flow with
#    the primary's id, tuples and the given released points; activating it
#    again is EEXIST; UNLOCK with RESET then resets it too;
#  - UNLOCK without a flow lifts every lock and keeps the records; unknown
#    ids are ENOENT; an unprivileged caller gets EPERM.
# The switch is told where the floating addresses went with neighbour
# entries (failoverd's address claim, tested in tcpfo_claim, does it with
# gratuitous ARP).
# timeout: 300
. ./lib.sh

load_tcpfo
switch_topology
# The state link between the two gateways.
ip link add sl netns gw1 type veth peer sl netns gw2
ip -n gw1 addr add $SL_GW/24 dev sl; ip -n gw1 link set sl up
ip -n gw2 addr add $SL_SB/24 dev sl; ip -n gw2 link set sl up
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
# gw1 holds the floating addresses.
ip -n gw1 addr add $VIP4/32 dev front
ip -n gw1 addr add $BACK4/32 dev back
ip -n gw1 addr add $VIP6/128 dev front nodad
ip -n gw1 addr add $BACK6/128 dev back nodad
# Slow senders on both sides: the transfers are still moving when gw1 dies.
ip netns exec client tc qdisc add dev c0 root tbf rate 4mbit burst 16kb latency 100ms ||
	fail "tbf on the client"
ip netns exec server tc qdisc add dev s0 root tbf rate 4mbit burst 16kb latency 100ms ||
	fail "tbf on the server"

start_stream_server server $SERVER4 $SPORT
start_standby async 100ms 10
primary_conf async 100ms 10 > /tmp/gw.conf
ip netns exec gw1 failoverd --config /tmp/gw.conf > /tmp/failoverd.log 2>&1 &
GW_PID=$!
wait_for 30 grep -q "state link: protected" /tmp/failoverd.log ||
	{ cat /tmp/failoverd.log /tmp/gw2.log; fail "the primary never got protected"; }

probe() { ip netns exec gw2 tcpfo-nlprobe "$@"; }
# expect ERRNO CMD...: a takeover request in gw2 answered with ERRNO.
expect() { nlprobe_expect gw2 "$@"; }
tstat() { probe takeover-status | awk -v k=$1 '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
standby_flows() { ip netns exec gw2 tcpfoctl -j flows | jq -c '[.[] | select(.standby)]'; }

# Two transfers, one after the other so their ports are known.
client_port() { # the client port of the one established flow not in $1
	ip netns exec client ss -Htn state established dst $VIP4 |
		awk '{ print $3 }' | sed 's/.*://' | grep -vx "${1:-none}" | head -n1
}
ip netns exec client tcpfo-stream client $VIP4 $VPORT --duration 120 --down 100000000 --seed 1 > /tmp/a.out 2>&1 &
A_PID=$!
wait_for 20 sh -c "[ -n \"\$(ip netns exec client ss -Htn state established dst $VIP4)\" ]" ||
	fail "transfer A did not start"
PORT_A=$(client_port)
ip netns exec client tcpfo-stream client $VIP4 $VPORT --duration 120 --down 100000000 --seed 2 > /tmp/b.out 2>&1 &
B_PID=$!
wait_for 20 sh -c "[ \"\$(ip netns exec client ss -Htn state established dst $VIP4 | wc -l)\" = 2 ]" ||
	fail "transfer B did not start"
PORT_B=$(client_port $PORT_A)
note "transfers: A from client port $PORT_A, B from $PORT_B"
wait_for 20 sh -c "[ \"\$(ip netns exec gw2 tcpfoctl -j flows | jq '[.[] | select(.standby and .server_isn != null)] | length')\" = 2 ]" ||
	{ ip netns exec gw2 tcpfoctl flows; fail "the standby does not hold both flows"; }
sleep 2
ID_A=$(standby_flows | jq ".[] | select(.client_port == $PORT_A) | .id")
ID_B=$(standby_flows | jq ".[] | select(.client_port == $PORT_B) | .id")
[ -n "$ID_A" ] && [ -n "$ID_B" ] || { standby_flows; fail "no standby ids for the two flows"; }
note "standby flows: A id $ID_A, B id $ID_B"

# gw1 dies: every link down, nothing more comes from it.
for dev in front back sl; do ip -n gw1 link set $dev down; done
sleep 1
standby_flows > /tmp/records.json
note "records at the failure: $(jq -c '[.[] | {id, released_c2s, released_s2c}]' /tmp/records.json)"

# Malformed and unprivileged requests first.
expect ENOENT activate 424242 0 0
expect ENOENT probe 424242
expect ENOENT unlock 424242
expect ENOENT activate $ID_A 0 0   # not locked yet
# ip netns exec needs root; the request itself is made as nobody.
got=$(ip netns exec gw2 setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all tcpfo-nlprobe lock)
note "unprivileged lock -> $got"
case $got in EPERM*) ;; *) fail "unprivileged lock got '$got', expected EPERM" ;; esac

# Lock everything, lift it all (records kept), lock again: nothing can
# reach gw2 yet (the peers' neighbour entries still name gw1).
expect 0 lock
[ "$(tstat locked)" = 2 ] || fail "2 locked flows expected, status: $(probe takeover-status)"
expect 0 lock $ID_A     # no-op
expect 0 unlock
[ "$(tstat locked)" = 0 ] || fail "unlock without a flow left locks: $(probe takeover-status)"
[ "$(standby_flows | jq length)" = 2 ] || fail "unlock without a flow lost standby records"
expect 0 lock
probe seen > /tmp/seen0
[ "$(grep -c '^locked' /tmp/seen0)" = 2 ] || { cat /tmp/seen0; fail "the dump does not show 2 locked flows"; }
[ "$(grep -c '^seen .* flags=none segs=0$' /tmp/seen0)" = 4 ] || { cat /tmp/seen0; fail "fresh locks must show 4 silent legs"; }

# gw2 takes the addresses; the peers learn its MACs.
capture_start client /tmp/c.pcap tcp port $VPORT; C_CAP=$CAP_PID
capture_start server /tmp/s.pcap tcp port $SPORT; S_CAP=$CAP_PID
ip -n gw2 addr add $VIP4/32 dev front
ip -n gw2 addr add $BACK4/32 dev back
mac() { ip -n $1 -br link show $2 | awk '{ print $3 }'; }
MAC_F=$(mac gw2 front) MAC_B=$(mac gw2 back)
# gw2 has never talked to the client or the server: a probe is not
# queued behind the resolution of their addresses (a later probe could
# overtake it with a newer TSval); the module starts the resolution and
# says EAGAIN, and a probe once the addresses are known goes out.
# This round comes before the peers are pointed at gw2: nothing of theirs
# can reach gw2 yet (their frames name gw1's MACs), so every leg is still
# silent and needs a probe, and no unicast ARP check of theirs can teach
# gw2 an address between the flush and the call. Seen once the other way
# round: the probe went out (0), gw2 knowing a peer or every leg having
# answered by a retransmission by then.
ip -n gw2 neigh flush dev front
ip -n gw2 neigh flush dev back
[ "$(probe seen | grep -c '^seen .* flags=none segs=0$')" = 4 ] || { probe seen; fail "a peer reached gw2 before it was pointed there"; }
expect EAGAIN probe
# The refused round starts the resolutions, and under emulation an ARP
# answer can come back within the call: a later leg whose peer is known
# by then gets its probe (seen once: 1). The first leg's peer was
# unresolved, so not every leg can have had one.
p0=$(tstat probes)
[ "$p0" -lt 4 ] || fail "EAGAIN, yet every leg got a probe: $(probe takeover-status)"
[ "$p0" = 0 ] || note "$p0 probe(s) went out in the refused round, to peers resolved during it: $(ip -n gw2 neigh show | grep -e "^$CLIENT4 " -e "^$SERVER4 " | awk '{ print $1, $NF }' | tr '\n' ' ')"
# Their answers went to gw1's MAC (the peers were not pointed at gw2
# yet): those legs stay silent and are probed again below.
# The refused round asked for both peers' addresses (flow A's two legs
# come first), and their ARP answers reach gw2 whatever the peers' own
# entries for the floating addresses say.
resolved() {
	local n
	n=$(ip -n gw2 neigh show)
	echo "$n" | grep -q "^$CLIENT4 .*lladdr" && echo "$n" | grep -q "^$SERVER4 .*lladdr"
}
wait_for 5 resolved || { ip -n gw2 neigh show; fail "gw2 did not resolve the peers' addresses after the refused probe"; }
note "gw2's neighbours after the refused probe: $(ip -n gw2 neigh show | grep -e "^$CLIENT4 " -e "^$SERVER4 " | awk '{ print $1, $NF }' | tr '\n' ' ')"
# Now the peers are pointed at gw2, and the probes go at once: the peers'
# next retransmissions (backed off to seconds by now, all from the same
# cut) would already reveal what a probe asks, and the probe would be
# skipped for that leg (seen: all four in one run, when the peers were
# pointed here before the resolution).
# Permanent: an entry set by hand goes stale at once, and the peer's
# unicast ARP check of it would overwrite it.
ip -n client neigh replace $VIP4 lladdr $MAC_F dev c0 nud permanent
ip -n server neigh replace $BACK4 lladdr $MAC_B dev s0 nud permanent
unanswered=$(probe seen | grep -c '^seen .* flags=none')
expect 0 probe
total=$(tstat probes)
probes=$((total - p0))
note "probes sent: $probes, to the $unanswered leg(s) not answered before"
# At most one probe per silent leg. Fewer is possible: the peers' timers,
# all backed off from the same cut, fire together, and a leg that answers
# between the two commands gets none (seen: 3 silent legs, 0 probes). The
# wire check below matches each leg's answer either way.
[ "$probes" -le "$unanswered" ] ||
	fail "probes sent: $probes, more than the $unanswered silent legs"
[ "$probes" -eq "$unanswered" ] || note "($((unanswered - probes)) silent leg(s) answered by a retransmission before the probe)"
answered() { [ "$(probe seen | grep -c '^seen .*flags=[a-z+]*ack')" = 4 ]; }
wait_for 10 answered || { probe seen; fail "not every peer answered the probes"; }
probe seen > /tmp/seen1
cat /tmp/seen1 | sed 's/^/# /'
note "status while locked: $(probe takeover-status)"
[ "$(tstat dropped)" -ge 4 ] || fail "fewer than 4 segments dropped: $(probe takeover-status)"
# A second probe round sends nothing: every peer answered.
expect 0 probe
[ "$(tstat probes)" = "$total" ] || fail "probes went to peers that had answered"
sleep 1
CAP_PID=$C_CAP; capture_stop /tmp/c.pcap
CAP_PID=$S_CAP; capture_stop /tmp/s.pcap

# On the wire: each probe (1 byte from the local end) was answered by an
# ACK whose number is the SEEN ACK of that leg (a leg whose peer had
# retransmitted first got no probe: its last segment counts); and no RST
# anywhere.
tcpdump -nn -S -tt -r /tmp/c.pcap 2>/dev/null > /tmp/c.txt
tcpdump -nn -S -tt -r /tmp/s.pcap 2>/dev/null > /tmp/s.txt
rst=$(grep -c 'Flags \[[^]]*R' /tmp/c.txt /tmp/s.txt | awk -F: '{ n += $2 } END { print n }')
[ "$rst" = 0 ] || { grep 'Flags \[[^]]*R' /tmp/c.txt /tmp/s.txt; fail "$rst RSTs reached the peers while locked"; }
seen_ack() { sed -n "s/^seen $1 l$2 .* ack=\([0-9]*\) .*/\1/p" /tmp/seen1; }
# answer_ack FILE FROM TO: "probe ACK" with the ack of the first segment
# FROM -> TO after the first 1-byte segment TO -> FROM (the probe), or
# "last ACK" with the ack of the last segment FROM -> TO if no probe.
answer_ack() {
	awk -v from="$2" -v to="$3" '
		function ackof(   i) { for (i = 1; i < NF; i++) if ($i == "ack") { sub(",", "", $(i + 1)); return $(i + 1) } return "" }
		index($0, " " to " > " from ":") && / length 1(:|$)/ { probed = 1; next }
		index($0, " " from " > " to ":") {
			a = ackof(); if (a == "") next
			if (probed) { print "probe", a; done = 1; exit }
			last = a
		}
		END { if (!done && last != "") print "last", last }' "$1"
}
bport() { jq ".[] | select(.id == $1) | .back_port" /tmp/records.json; }
answered_probes=0
for f in A B; do
	eval id=\$ID_$f port=\$PORT_$f
	set -- $(answer_ack /tmp/c.txt $CLIENT4.$port $VIP4.$VPORT) $(answer_ack /tmp/s.txt $SERVER4.$SPORT $BACK4.$(bport $id))
	note "flow $f: client's $1 $2 (seen $(seen_ack $id 1)), server's $3 $4 (seen $(seen_ack $id 2))"
	[ $# = 4 ] || fail "flow $f: no ACK from a peer in the captures"
	[ "$2" = "$(seen_ack $id 1)" ] || fail "flow $f: the client's ACK ($2) is not the seen ack"
	[ "$4" = "$(seen_ack $id 2)" ] || fail "flow $f: the server's ACK ($4) is not the seen ack"
	[ $1 = probe ] && answered_probes=$((answered_probes + 1))
	[ $3 = probe ] && answered_probes=$((answered_probes + 1))
done
# Every leg that got a probe answered it on the wire; a leg probed in the
# refused round (its answer lost, see above) was probed again.
probed=0
for f in A B; do
	eval id=\$ID_$f port=\$PORT_$f
	grep -qE "$VIP4.$VPORT > $CLIENT4.$port: .* length 1(:|\$)" /tmp/c.txt && probed=$((probed + 1))
	grep -qE "$BACK4.$(bport $id) > $SERVER4.$SPORT: .* length 1(:|\$)" /tmp/s.txt && probed=$((probed + 1))
done
note "legs probed on the wire: $probed, answered: $answered_probes; probes sent: $total ($p0 in the refused round)"
[ "$answered_probes" = "$probed" ] && [ "$total" -ge "$probed" ] && [ "$total" -le $((probed + p0)) ] ||
	{ grep -h " length 1" /tmp/c.txt /tmp/s.txt; fail "$total probes sent ($p0 in the refused round) to $probed legs, $answered_probes answers found on the wire"; }
kill -0 $A_PID && kill -0 $B_PID || fail "a transfer ended while its flow was locked"

# Flow B becomes a tracked flow of gw2 at the primary's released points.
c2s=$(jq ".[] | select(.id == $ID_B) | .released_c2s" /tmp/records.json)
s2c=$(jq ".[] | select(.id == $ID_B) | .released_s2c" /tmp/records.json)
expect 0 activate $ID_B $c2s $s2c
expect EEXIST activate $ID_B $c2s $s2c
ip netns exec gw2 tcpfoctl -j flows > /tmp/gw2flows.json
tracked=$(jq -c ".[] | select((.standby | not) and .id == $ID_B) | {id, state, client_port, vip, back_port, server, released_c2s, released_s2c}" /tmp/gw2flows.json)
note "activated: $tracked"
echo "$tracked" | jq -n -e "input | (.state == \"established\" and .client_port == $PORT_B and .back_port == $(bport $ID_B) and .released_c2s == $c2s and .released_s2c == $s2c and .vip == \"$VIP4\" and .server == \"$SERVER4\")" > /dev/null ||
	{ cat /tmp/gw2flows.json; fail "the activated flow is not as expected"; }

# Flow A is given up: one RST to each peer, at the point it revealed.
capture_start client /tmp/c2.pcap tcp port $VPORT; C_CAP=$CAP_PID
capture_start server /tmp/s2.pcap tcp port $SPORT; S_CAP=$CAP_PID
expect 0 unlock $ID_A reset
[ "$(tstat resets)" = 1 ] || fail "TAKEOVER_RESETS is not 1: $(probe takeover-status)"
[ "$(tstat locked)" = 1 ] || fail "flow A is still locked: $(probe takeover-status)"
wait $A_PID && fail "transfer A did not fail after the reset"
note "transfer A: $(tail -n1 /tmp/a.out)"
grep -qi 'reset' /tmp/a.out || fail "transfer A did not end with a connection reset: $(cat /tmp/a.out)"
[ "$(standby_flows | jq "[.[] | select(.id == $ID_A)] | length")" = 0 ] || fail "flow A's standby record is still there"
wait_for 5 sh -c "! ip netns exec server ss -Htn state established dst $BACK4 | grep -q ':$(bport $ID_A)\$'" ||
	{ ip netns exec server ss -tn; fail "the server's socket of flow A survived its RST"; }
expect ENOENT unlock $ID_A

# Flow B (activated) is reset too: the tracked flow goes with it.
expect 0 unlock $ID_B reset
wait $B_PID && fail "transfer B did not fail after the reset"
grep -qi 'reset' /tmp/b.out || fail "transfer B did not end with a connection reset: $(cat /tmp/b.out)"
[ "$(tstat resets)" = 2 ] && [ "$(tstat locked)" = 0 ] || fail "after both resets: $(probe takeover-status)"
sleep 1
CAP_PID=$C_CAP; capture_stop /tmp/c2.pcap
CAP_PID=$S_CAP; capture_stop /tmp/s2.pcap
tcpdump -nn -S -tt -r /tmp/c2.pcap 2>/dev/null > /tmp/c2.txt
tcpdump -nn -S -tt -r /tmp/s2.pcap 2>/dev/null > /tmp/s2.txt
for f in A B; do
	eval id=\$ID_$f port=\$PORT_$f
	n=$(grep -c "$VIP4.$VPORT > $CLIENT4.$port: Flags \[R\]" /tmp/c2.txt)
	[ "$n" = 1 ] || { cat /tmp/c2.txt; fail "flow $f: $n RSTs to the client, expected 1"; }
	n=$(grep -c "$BACK4.$(bport $id) > $SERVER4.$SPORT: Flags \[R\]" /tmp/s2.txt)
	[ "$n" = 1 ] || { cat /tmp/s2.txt; fail "flow $f: $n RSTs to the server, expected 1"; }
	grep "Flags \[R\]" /tmp/c2.txt /tmp/s2.txt | grep -e ".$port:" -e ".$(bport $id) >" | sed 's/^/# /'
done
note "final status: $(probe takeover-status)"
[ "$(standby_flows | jq length)" = 0 ] || fail "standby records left after both unlocks"

kill $GW_PID $SB_PID; wait $GW_PID; wait $SB_PID
# Leave nothing running: the servers first, then the namespaces.
killall -9 tcpfo-stream 2>/dev/null; sleep 1
for ns in client server gw1 gw2 sw; do ip netns del $ns; done
sleep 2
note "after cleanup: $(top -b -n1 | sed -n 2p)"
exit 0
