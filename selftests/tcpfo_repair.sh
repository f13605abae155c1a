#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# failoverd's TCP_REPAIR code (daemon/TcpRepair, the takeover's building
# block) on real connections, IPv4 and IPv6: the server's socket is captured,
# closed silently and recreated mid-connection; the transfer then carries on
# both ways. Judged on the wire as well: no RST, no FIN before the end, the
# restored socket's TSval is not below the old one's (the client's PAWS
# check would drop its segments), and the new socket sends full-size segments
# (not the 524-byte MSS a wrong order of setsockopts leaves).
# timeout: 120
. ./lib.sh

ip netns add ra || fail "netns"
ip netns add rb || fail "netns"
ip link add r0 netns ra type veth peer r1 netns rb
ip -n ra addr add 10.77.0.1/24 dev r0; ip -n ra addr add fd77::1/64 dev r0 nodad
ip -n rb addr add 10.77.0.2/24 dev r1; ip -n rb addr add fd77::2/64 dev r1 nodad
for ns in ra rb; do ip -n $ns link set lo up; done
ip -n ra link set r0 up; ip -n rb link set r1 up
# Some delay, so the swap happens with the path's state in flight.
ip netns exec ra tc qdisc add dev r0 root netem delay 2ms
ip netns exec rb tc qdisc add dev r1 root netem delay 2ms

one() { # ADDR
	addr=$1
	capture_start ra /tmp/repair.pcap tcp port 9000
	ip netns exec rb tcpfo-repair server $addr 9000 20000000 > /tmp/repair-s.out 2>&1 &
	S=$!
	wait_for 10 sh -c "ip netns exec rb ss -Htln | grep -q ':9000 '" || { cat /tmp/repair-s.out; fail "$addr: server not listening"; }
	ip netns exec ra tcpfo-repair client $addr 9000 20000000 > /tmp/repair-c.out 2>&1 ||
		{ cat /tmp/repair-c.out /tmp/repair-s.out; fail "$addr: the client's transfer failed across the swap"; }
	wait $S || { cat /tmp/repair-s.out; fail "$addr: the server failed"; }
	capture_stop /tmp/repair.pcap
	note "$addr: $(cat /tmp/repair-s.out | tr '\n' ';')"
	note "$addr: $(cat /tmp/repair-c.out)"
	mss=$(sed -n 's/.*snd_mss \([0-9]*\).*/\1/p' /tmp/repair-s.out)
	[ "${mss:-0}" -ge 1000 ] || fail "$addr: the restored socket sends ${mss:-?}-byte segments"
	tcpdump -tt -nn -S -v -r /tmp/repair.pcap 2>/dev/null > /tmp/repair.txt
	[ -s /tmp/repair.txt ] || fail "$addr: cannot read the capture"
	grep -q 'Flags \[[^]]*R' /tmp/repair.txt && { grep 'Flags \[[^]]*R' /tmp/repair.txt | head -3; fail "$addr: an RST on the wire"; }
	# The server's FIN comes only after the client got everything.
	fins=$(grep -c "$addr[.]9000 > .*Flags \[[^]]*F" /tmp/repair.txt)
	[ "$fins" -le 2 ] || fail "$addr: $fins FINs from the server (one expected, plus retransmissions)"
	# The restored socket's first segment (the 1-byte "G") carries a TSval
	# at or above every TSval the old socket sent: the client's PAWS check
	# keeps ts_recent. (Before the swap one socket's TSvals already step
	# back by a tick or so between CPUs under TCG, so only the swap itself
	# is judged.)
	awk -v srv="$addr.9000" '
		{ for (i = 1; i < NF; i++) if ($i == srv) break }
		i < NF && $(i + 1) == ">" {
			v = ""
			for (j = 1; j < NF; j++) if ($j ~ /TS$/ && $(j + 1) == "val") v = $(j + 2) + 0
			if (v == "") next
			if ($NF == 1 && $(NF - 1) == "length" && !swapped) {
				swapped = 1
				printf "TSval before the swap at most %.0f, first after it %.0f\n", max, v
				bad = v < max
			}
			if (!swapped && v > max) max = v
		}
		END { exit bad || !swapped }' /tmp/repair.txt > /tmp/repair.ts ||
		{ cat /tmp/repair.ts; fail "$addr: the restored socket's TSval is below the old one's (or no swap seen)"; }
	note "$addr: $(tail -1 /tmp/repair.ts)"
}

one 10.77.0.2
one fd77::2
exit 0
