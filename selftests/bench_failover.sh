#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark (make bench, not a test): the stall a client sees at a
# failover, from the last byte it received through gw1 before the fault to
# the first byte through gw2 after it, for 1, 100 and 1,000 flows (one of
# them downloading, the others idle: every flow is taken over, the active
# one shows the stall), with `tcpfoctl failover` right after the fault, and
# again with automatic detection at the default heartbeat (50ms x 3)
# (run by hand inside the VM, BENCH_FLOWS, BENCH_AUTO_FLOWS and
# BENCH_REPEAT change the flow counts and repetitions).
# The fault is timed by tcpfo-ifdown, which cuts gw1's links and stamps
# the cut itself. Split of each round's stall: the download's pause
# before the fault, detection (fault to gw2's takeover start, from its
# log's timestamps: for tcpfoctl failover, when the command reached
# failoverd), takeover (until gw2's resume ACK reached the server), the
# server's wait (until it sent the byte at that point: soon when the ACK
# acknowledges more than gw1 had released, at the server's retransmission
# timer when it is a duplicate), and the relay to the client. Also: the
# VIP announced (fault to gw2's first gratuitous ARP on the switch). The 1,000/1 stall ratios are
# measured in the same boot. Every configuration runs BENCH_REPEAT
# times (3, interleaved); the summary gives medians and every round.
# timeout: 2700
. ./lib.sh

# 1,000 relayed flows need more descriptors than the VM's default limit.
ulimit -n 65536
# The VM's veths deliver through a per-CPU input backlog of
# net.core.netdev_max_backlog frames (1,000). A 1,000-flow takeover's
# probes and their answers overflow it (1,857 drops in one run), and a
# dropped segment of a resumed flow cost it a second. A real NIC has no
# such backlog on this path: raised for the bench, as in
# tcpfo_concurrent; each round prints the drops it still had.
backlog0=$(cat /proc/sys/net/core/netdev_max_backlog)
echo 10000 > /proc/sys/net/core/netdev_max_backlog || fail "cannot raise netdev_max_backlog"
trap 'echo $backlog0 > /proc/sys/net/core/netdev_max_backlog' EXIT
load_tcpfo
switch_topology
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
ip netns exec server tc qdisc add dev s0 root tbf rate 20mbit burst 32k latency 200ms
start_stream_server server $SERVER4 $SPORT
# Idle flows go to a backend that holds them (the stream server drops a
# connection that sends no request).
ip netns exec server tcpfo-hold server $SERVER4 8081 &

conf() { # NODE ROLE
	cat <<C
node = $1
role = $2
mode = sync
control-socket = /run/tcpfo/$1.sock
log-timestamps = yes
service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
service = idle $VIP4:81 $SERVER4:8081 via $BACK4
[peer]
$( [ $2 = primary ] && echo "address = 192.0.2.3:$SL_PORT" || echo "listen = 192.0.2.3:$SL_PORT")
key-file = $PEER_KEY
[heartbeat]
interval = $HB_INTERVAL
misses = $HB_MISSES
[takeover]
front-interface = front
back-interface = back
[relay]
connect-timeout = 30s
C
}

# round N HOW: N flows, HOW = manual | auto. Prints one result line.
round() {
	n=$1 how=$2
	if [ $how = auto ]; then HB_INTERVAL=50ms HB_MISSES=3; else HB_INTERVAL=100ms HB_MISSES=100; fi
	conf gw2 standby > /tmp/gw2.conf; conf gw1 primary > /tmp/gw1.conf
	ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
	g2=$!
	wait_for 10 grep -q "state link: listening" /tmp/gw2.log || { cat /tmp/gw2.log; fail "gw2"; }
	ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1.log 2>&1 &
	g1=$!
	wait_for 90 grep -q "state link: protected" /tmp/gw1.log || { tail -20 /tmp/gw1.log; fail "gw1 never got protected"; }
	# The peers reach gw1 again (its announcements repeat after 1 s and 3 s).
	m1f=$(ip -n gw1 -br link show front | awk '{ print $3 }')
	m1b=$(ip -n gw1 -br link show back | awk '{ print $3 }')
	ip netns exec client ping -c1 -W1 $VIP4 > /dev/null 2>&1
	ip netns exec server ping -c1 -W1 $BACK4 > /dev/null 2>&1
	wait_for 10 sh -c "ip -n client neigh show $VIP4 | grep -q $m1f && ip -n server neigh show $BACK4 | grep -q $m1b" ||
		fail "$n: the peers do not reach gw1"
	# The idle flows connect 100 at a time (a burst of 1,000 sync-mode
	# handshakes under emulation backs SYN retransmissions off too far).
	hold= left=$((n - 1)) k=0
	while [ $left -gt 0 ]; do
		b=$left; [ $b -gt 100 ] && b=100
		k=$((k + 1))
		ip netns exec client tcpfo-hold client $VIP4 81 $b > /tmp/hold$k.out 2>&1 &
		hold="$hold $!"
		wait_for 120 grep -q connected /tmp/hold$k.out || { cat /tmp/hold$k.out; fail "$n: idle flows"; }
		left=$((left - b))
	done
	capture_start client /tmp/bf.pcap "tcp and src host $VIP4 and src port $VPORT and greater 200"
	cap_stream=$CAP_PID
	# The download's server leg, headers only: when the server sent and
	# retransmitted around the fault, and what the gateways sent it.
	CAP_SNAP=96 capture_start server /tmp/bf-s.pcap "tcp port $SPORT"
	cap_server=$CAP_PID
	ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 1000 --down 400000000 --quiet > /tmp/bf.out 2>&1 &
	xfer=$!
	if ! wait_for 120 sh -c "ip netns exec gw2 tcpfoctl -j status | jq -n -e 'input | (.standby_flows >= $n)' > /dev/null"; then
		# Shown and left out (the summary counts it), not a failure of
		# the whole run: the other configurations still measure.
		echo "#   $how $n flows: the standby never held $n flows ($(ip netns exec gw2 tcpfoctl -j status | jq .standby_flows) stored;" \
			"gw1 closed the state link $(grep -c 'state link: closed' /tmp/gw1.log) time(s), gw2 $(grep -c 'state link: closed' /tmp/gw2.log)); round left out"
		grep -e 'state link: closed' -e 'full sync' -e 'takeover' -e 'not taking over' /tmp/gw1.log /tmp/gw2.log | grep -v 'takeover: flow' | tail -10 | sed 's/^/#     /'
		echo "$n $how ? ? - ? - -" >> /tmp/bf.results
		kill $xfer 2>/dev/null; wait $xfer 2>/dev/null
		for h in $hold; do kill $h; wait $h 2>/dev/null; done
		CAP_PID=$cap_stream capture_stop /tmp/bf.pcap > /dev/null
		CAP_PID=$cap_server capture_stop /tmp/bf-s.pcap > /dev/null
		# gw2 first: gw1's orderly stop closes the link, which gw2
		# would judge.
		kill $g2; wait $g2
		kill $g1; wait $g1
		sleep 2
		return 0
	fi
	sleep 2
	# gw2's first gratuitous ARP for the VIP, seen on the switch: the end
	# of detection, lock and claim, measured on the wire.
	CAP_SNAP=128 capture_start sw /tmp/bf-garp.pcap "inbound and arp src host $VIP4 and arp dst host $VIP4"
	cap_garp=$CAP_PID
	# The fault: both links cut at once (one command), then gw1's
	# failoverd frozen (SIGSTOP), and killed only once gw2 is done: the
	# dead host's teardown would share the VM's two CPUs with gw2's
	# takeover (closing 2,000 sockets takes the VM a while), which two
	# real gateways never do. Frozen, with its links down, it can do
	# nothing a dead host could not.
	# tcpfo-ifdown stamps the cut itself (starting `ip` and `date` around
	# it takes the VM 50 to 200 ms, which would count as detection). The
	# fault is when the last link went down.
	drops0=$(softnet_drops)
	cut=$(ip netns exec gw1 tcpfo-ifdown front back) || fail "$n: cutting gw1's links"
	t_fault=${cut#* }
	echo "#   the cut took $(echo "$cut" | awk '{ printf "%.1f", ($2 - $1) * 1000 }') ms (both links)"
	kill -STOP $g1
	if [ $how = manual ]; then
		ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock failover > /tmp/bf.sum 2>&1 ||
			{ cat /tmp/bf.sum; fail "$n: failover"; }
	else
		# Detection: when gw2 logs that it starts (polled every 10 ms: an
		# upper bound).
		i=0
		until grep -q "takeover: primary lost" /tmp/gw2.log; do
			i=$((i + 1)); [ $i -lt 3000 ] || break
			sleep 0.01
		done
		if ! wait_for 30 grep -q "takeover: done" /tmp/gw2.log; then
			# A finding, shown and left out of the medians (the
			# summary counts it), not the end of the whole run.
			echo "#   $how $n flows: no automatic takeover within a minute of the fault; round left out. gw2's state link:"
			grep -e 'state link' -e 'takeover' /tmp/gw2.log | tail -8 | sed 's/^/#     /'
			echo "$n $how ? ? - ? - -" >> /tmp/bf.results
			kill -9 $g1; wait $g1 2>/dev/null
			kill $xfer 2>/dev/null; wait $xfer 2>/dev/null
			for h in $hold; do kill $h; wait $h 2>/dev/null; done
			CAP_PID=$cap_stream capture_stop /tmp/bf.pcap > /dev/null
			CAP_PID=$cap_garp capture_stop /tmp/bf-garp.pcap > /dev/null
			CAP_PID=$cap_server capture_stop /tmp/bf-s.pcap > /dev/null
			round_end
			return 0
		fi
		# Polling the log lags under emulation; the state link's own
		# figure for the silence is exact (the ARP check adds one
		# heartbeat interval to it).
		silent=$(grep -o 'silent for [0-9]* ms' /tmp/gw2.log | tail -1)
		echo "#   $silent when the standby found the primary gone"
		grep -o 'took over.*' /tmp/gw2.log > /tmp/bf.sum
	fi
	kill -9 $g1; wait $g1 2>/dev/null
	sleep 3
	kill $xfer 2>/dev/null; wait $xfer 2>/dev/null
	CAP_PID=$cap_stream capture_stop /tmp/bf.pcap > /dev/null
	CAP_PID=$cap_garp capture_stop /tmp/bf-garp.pcap > /dev/null
	CAP_PID=$cap_server capture_stop /tmp/bf-s.pcap > /dev/null
	garp=$(tcpdump -tt -nn -r /tmp/bf-garp.pcap 2>/dev/null | awk -v t="$t_fault" '$1 > t { printf "%.0f", ($1 - t) * 1000; exit }')
	for h in $hold; do kill $h; wait $h 2>/dev/null; done
	# The stall: the longest gap that ends after the fault (segments
	# gw1 sent just before it may still arrive after it), where it lies
	# around the fault, and the download's longest pause in the second
	# before it (in sync mode a release waits for the standby's
	# acknowledgement: its cadence shows here).
	set -- $(tcpdump -nn -tt -r /tmp/bf.pcap 2>/dev/null | awk -v t="$t_fault" '
		$1 > t - 1 && $1 < t + 20 {
			if (prev && $1 > t && $1 - prev > gap) { gap = $1 - prev; from = prev; to = $1 }
			if (prev && $1 <= t && $1 - prev > before) before = $1 - prev
			prev = $1 }
		END { if (gap) printf "%.0f %.0f %.0f %.0f", gap * 1000, (from - t) * 1000, (to - t) * 1000, before * 1000
		      else print "? ? ? ?" }')
	stall=$1 from_ms=$2 to_ms=$3
	echo "#   the stall: from $2 ms to +$3 ms; longest pause in the second before the fault: $4 ms"
	took=$(sed -n 's/.*, in \([0-9]*\) ms.*/\1/p' /tmp/bf.sum)
	first=$(sed -n 's/.*first resumed after \([0-9]*\) ms.*/\1/p' /tmp/bf.sum)
	taken=$(sed -n 's/.*took over \([0-9]*\) flow.*/\1/p' /tmp/bf.sum)
	# Detection ends when gw2 starts its takeover (its log's first
	# "takeover:" line: the command arrived, or the silence counted);
	# starting tcpfoctl in the VM alone takes 50 to 150 ms.
	detect=$(awk -v t="$t_fault" '/takeover: / && $1 > t { printf "%.0f", ($1 - t) * 1000; exit }' /tmp/gw2.log)
	[ -n "$detect" ] || detect=-
	# The stall split (the issue's figure), on the wire but for
	# detection: the pause before the fault, detection, the takeover
	# until gw2's resume ACK reached the server, the server's wait until
	# it sent the byte at that point, and the relay of it to the client.
	# The server's wait depends on the resume ACK: one that acknowledges
	# more than gw1 released (the client had received more) draws new
	# data, whose SACKs make the server resend the rest soon; a duplicate
	# leaves it to its retransmission timer (nothing lies above the lost
	# data to SACK).
	split=
	if [ "$stall" != "?" ] && [ "$detect" != - ]; then
		split=$(tcpdump -tt -nn -S -r /tmp/bf-s.pcap 2>/dev/null | awk -v t="$t_fault" -v srv="$SERVER4.$SPORT" \
			-v from="$from_ms" -v to="$to_ms" -v d="$detect" '
			{ ms = ($1 - t) * 1000; len = 0; src = ""; a = ""; seq = ""
			  for (i = 1; i <= NF; i++) {
				if (($i == "IP" || $i == "IP6") && src == "") src = $(i + 1)
				if ($i == "length") len = $(i + 1) + 0
				if ($i == "ack") { a = $(i + 1); sub(/,$/, "", a) }
				if ($i == "seq") { seq = $(i + 1); sub(/:.*/, "", seq) }
			  } }
			src != srv && a != "" && ms <= 0 { last = a }
			src != srv && a != "" && ms > 0 && len == 0 && resms == "" { resack = a; resms = ms }
			# The server'"'"'s first segment that carries the byte at the
			# resume point: what the client waits for.
			src == srv && len > 0 && resms != "" && ms > resms && srvms == "" &&
			    (resack - seq + 4294967296) % 4294967296 < len { srvms = ms }
			END {
				if (resms == "" || last == "") exit
				adv = resack - last
				why = "resume ACK a duplicate: its timer"
				if (adv > 0) why = "resume ACK " adv " bytes past gw1'"'"'s last"
				# None after the resume: a copy held while locked served.
				if (srvms == "") { srvms = resms; why = "held while locked" }
				# Last field: the wait for the server when its timer ended it.
				timer = 0
				if (why ~ /duplicate/) timer = srvms - resms
				printf "before the fault %d + detection %d + takeover %.0f + server %.0f (%s) + relay %.0f ms %.0f",
					-from, d, resms - d, srvms - resms, why, to - srvms, timer
			}')
	fi
	timer_ms=-
	if [ -n "$split" ]; then
		timer_ms=${split##* }
		echo "#   the stall = ${split% *}"
	fi
	echo "#   input backlog drops from the fault on: $(($(softnet_drops) - drops0))"
	printf '# flows %5d  %-6s  stall %6s ms  detection %5s ms  VIP announced %5s ms  busiest flow resumed %4s ms  takeover %5s ms (%s taken over)\n' \
		$n $how "$stall" "$detect" "${garp:-?}" "${first:-?}" "${took:-?}" "${taken:-?}"
	silent_ms=-
	[ $how = auto ] && silent_ms=$(echo "$silent" | awk '{ print $3 }')
	echo "$n $how $stall ${first:-?} $detect ${garp:-?} ${silent_ms:--} $timer_ms" >> /tmp/bf.results
	# The server leg around the fault: the server's retransmissions
	# (data below what it had sent), its first new data after the fault,
	# and every segment the gateway sent it after the fault.
	tcpdump -tt -nn -S -r /tmp/bf-s.pcap 2>/dev/null | awk -v t="$t_fault" -v srv="$SERVER4.$SPORT" '
		{ ms = ($1 - t) * 1000; seq = ""; len = 0; src = ""
		  for (i = 1; i <= NF; i++) {
			if (($i == "IP" || $i == "IP6") && src == "") src = $(i + 1)
			if ($i == "seq") { seq = $(i + 1); sub(/,$/, "", seq) }
			if ($i == "length") { len = $(i + 1) + 0 }
		  }
		  split(seq, r, ":") }
		src == srv && len > 0 {
			if (!have) base = r[1]
			if (have && r[2] - base <= maxend) {
				if (ms > -300 && n < 10) { printf "#   %+6.0f ms  server retransmits %d bytes at %d\n", ms, len, r[1] - base; n++ }
			} else {
				if (ms > 0 && !after) { printf "#   %+6.0f ms  server sends new data at %d (last before the fault at %d)\n", ms, r[1] - base, last; after = 1 }
				if (ms <= 0) last = r[1] - base
				maxend = r[2] - base; have = 1
			}
			next }
		src != srv && ms > 0 && m < 6 {
			a = "-"; w = "-"; fl = ""
			for (i = 1; i <= NF; i++) {
				if ($i == "ack") { a = $(i + 1); sub(/,$/, "", a); a = a - base }
				if ($i == "win") { w = $(i + 1); sub(/,$/, "", w) }
				if ($i == "Flags") fl = $(i + 1)
			}
			printf "#   %+6.0f ms  to the server: %s %d bytes, ack at %s, win %s\n", ms, fl, len, a, w; m++ }'
	# gw2's timeline from the fault (its log is stamped like tcpdump -tt).
	awk -v t="$t_fault" -v g="$garp" '
		/takeover: flow / { next }
		/takeover:|primary: (claimed|holds)|state link: (closed|the primary)|front poll/ {
			ms = ($1 - t) * 1000
			if (g != "" && !shown && ms > g) { printf "#   %+6.0f ms  (gratuitous ARP on the switch)\n", g; shown = 1 }
			sub(/^[0-9.]+ failoverd\[gw2\]: [a-z]+: /, "")
			printf "#   %+6.0f ms  %s\n", ms, substr($0, 1, 150)
		}' /tmp/gw2.log
	grep -o 'reset: .*' /tmp/gw2.log | sort | uniq -c | sed 's/^/#   /' | head -5
	round_end
}

# The end of a round: gw2 stopped, gw1's links back, the floating
# addresses off gw2.
round_end() {
	kill $g2; wait $g2
	ip -n gw1 link set front up; ip -n gw1 link set back up
	ip -n gw1 addr add 2001:db8:1::2/64 dev front nodad 2>/dev/null
	ip -n gw1 addr add 2001:db8:2::2/64 dev back nodad 2>/dev/null
	for a in $VIP4/32 $VIP6/128; do ip -n gw2 addr del $a dev front 2>/dev/null; done
	for a in $BACK4/32 $BACK6/128; do ip -n gw2 addr del $a dev back 2>/dev/null; done
	sleep 2
}

# A warm-up round, not counted: under TCG the first takeover of a boot
# runs code the emulator has not translated yet (in three runs its
# manual 1-flow round took 163 to 279 ms from the fault to the command,
# against 41 to 48 ms in the 100-flow round after it).
: > /tmp/bf.results
echo "# warm-up round (not counted):"
round 1 manual
: > /tmp/bf.results
# Each configuration BENCH_REPEAT times (3), interleaved, so that a
# slow moment of the VM lands in one round of each rather than in all
# rounds of one; the summary gives each one's median and every round.
REPEAT=${BENCH_REPEAT:-3}
rep=0
while [ $rep -lt $REPEAT ]; do
	rep=$((rep + 1))
	echo "# ---- repetition $rep of $REPEAT"
	for n in ${BENCH_FLOWS:-1 100 1000}; do round $n manual; done
	# Automatic detection at the default heartbeat. With 1,000 flows
	# the TCG VM once starved the state link while the flows were
	# replicated (found silent, resynced, again) and the standby never
	# held them all; such a round is shown and left out.
	for n in ${BENCH_AUTO_FLOWS:-1 100 1000}; do round $n auto; done
done
# The stall = the download's pause before the fault + detection + the
# takeover until the flow is resumed + the wait for the server's data at
# the resume point (its retransmission timer where the resume ACK was a
# duplicate: that part is the peer's and varies from run to run) + the
# relay. Per configuration: the median and every round (a round whose
# stall could not be read is left out, and said so).
# "After the announcement": the stall beyond the fault-to-announcement
# time (detection, lock and claim).
echo "# ---- summary ($REPEAT repetitions; median, then each round in order)"
awk '
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	if (n == 0) return ""
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(arr, k, v) { arr[k] = (arr[k] == "" ? "" : arr[k] " ") v }
{
	k = $2 " " $1
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
	if ($3 == "?") { bad[k]++; next }
	add(stall, k, $3)
	if ($6 != "?") add(aftergarp, k, $3 - $6)
	# Where the resume ACK was a duplicate, the server resent at its
	# retransmission timer: DESIGN.md budgets one peer RTO there.
	if ($5 != "-" && $5 != "?") {
		add(afterdet, k, $3 - $5)
		add(rest, k, $3 - $5 - ($8 == "-" ? 0 : $8))
		add(timer, k, ($8 == "-" ? 0 : $8))
	}
	if ($7 != "-") add(silent, k, $3 - $7)
	if ($4 != "?") add(resume, k, $4)
}
END {
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (bad[k]) printf "# %s flows: %d round(s) without a stall figure, left out\n", k, bad[k]
		if (stall[k] == "") continue
		printf "# %s flows: stall %s ms (%s)\n", k, median(stall[k]), stall[k]
		if (afterdet[k] != "") {
			printf "# %s flows:   minus detection %s ms (%s) (target: at most 100)\n", k, median(afterdet[k]), afterdet[k]
			printf "# %s flows:   of which the server'"'"'s timer %s ms (%s); the rest %s ms (%s)\n", k, median(timer[k]), timer[k], median(rest[k]), rest[k]
		}
		if (aftergarp[k] != "") printf "# %s flows:   after the VIP was announced %s ms (%s)\n", k, median(aftergarp[k]), aftergarp[k]
		if (silent[k] != "") printf "# %s flows:   after the state link fell silent %s ms (%s) (target: at most 100)\n", k, median(silent[k]), silent[k]
		if (resume[k] != "") printf "# %s flows:   busiest flow resumed after %s ms (%s)\n", k, median(resume[k]), resume[k]
	}
	split("manual auto", hows, " ")
	for (i = 1; i <= 2; i++) {
		h = hows[i]
		a = median(stall[h " 1"]); b = median(stall[h " 1000"])
		if (a > 0 && b != "")
			printf "# %s: stall ratio 1000 flows / 1 flow, of the medians: %.2f (target <= 1.5)\n", h, b / a
		a = median(rest[h " 1"]); b = median(rest[h " 1000"])
		if (a > 0 && b != "")
			printf "# %s: the same without detection and the server timer: %.0f / %.0f ms\n", h, b, a
		a = median(resume[h " 1"]); b = median(resume[h " 1000"])
		if (a > 0 && b != "")
			printf "# %s: busiest-flow resume ratio 1000 flows / 1 flow, of the medians: %.2f\n", h, b / a
	}
}' /tmp/bf.results
exit 0
