#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Ordinary clients through the VIP, across a failover and a failback:
# iperf3 both ways (IPv4: an upload, and a download with -R, each with
# its control connection) and curl downloading a file over IPv6 from
# busybox httpd. gw1 (primary, sync mode) dies in the middle (links cut,
# failoverd SIGKILLed) and `tcpfoctl failover` on gw2 takes the five
# flows over; gw1 comes back as standby, and `tcpfoctl switchover` on gw1
# brings them home while they still run. Judged by the tools and the
# wire: iperf3 and curl exit 0 and report no error, iperf3's last
# intervals (after both moves) still moved bytes, the file's SHA-256
# matches, and no RST reaches the client or the server.
# timeout: 300
. ./lib.sh

load_tcpfo
switch_topology
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > $PEER_KEY
MODE=sync
conf() {
	pair_conf "$@" | sed "/^service = web6 /a\\
service = iperf-up $VIP4:5201 $SERVER4:5201 via $BACK4\\
service = iperf-down $VIP4:5202 $SERVER4:5202 via $BACK4\\
service = http [$VIP6]:8000 [$SERVER6]:8000 via $BACK6"
}
conf gw1 primary 192.0.2.2 192.0.2.3 > /tmp/gw1.conf
conf gw2 standby 192.0.2.3 192.0.2.2 > /tmp/gw2.conf
grep -q "^service = http " /tmp/gw1.conf || fail "the services were not added to the config"

ip netns exec server iperf3 -s -B $SERVER4 -p 5201 > /tmp/oc-iperf-s1.log 2>&1 &
IPERF_S1=$!
ip netns exec server iperf3 -s -B $SERVER4 -p 5202 > /tmp/oc-iperf-s2.log 2>&1 &
IPERF_S2=$!
mkdir -p /tmp/oc-www
head -c 45000000 /dev/urandom > /tmp/oc-www/blob
ip netns exec server busybox httpd -f -p "[$SERVER6]:8000" -h /tmp/oc-www > /tmp/oc-httpd.log 2>&1 &
HTTPD=$!
start_switch_pair
listening() { ip netns exec server ss -Htln | grep -q ":$1 "; }
for p in 5201 5202 8000; do
	wait_for 10 listening $p || { ip netns exec server ss -tln; cat /tmp/oc-httpd.log; fail "nothing listens on the server's port $p"; }
done

# The captures keep RSTs only (the kernel filters): there must be none.
capture_start client /tmp/oc-c.pcap "$RST_FILTER"; CAP_C=$CAP_PID
capture_start server /tmp/oc-s.pcap "$RST_FILTER"; CAP_S=$CAP_PID
# 30 s of iperf3 each way at 20 Mbit/s, and 45 MB at 1.5 MB/s with curl
# (30 s): all three run through both moves.
ip netns exec client iperf3 -c $VIP4 -p 5201 -t 30 -b 20M -J > /tmp/oc-up.json 2> /tmp/oc-up.err &
UP=$!
ip netns exec client iperf3 -c $VIP4 -p 5202 -t 30 -b 20M -R -J > /tmp/oc-down.json 2> /tmp/oc-down.err &
DOWN=$!
ip netns exec client curl -sS -g --limit-rate 1500k -o /tmp/oc-blob "http://[$VIP6]:8000/blob" > /tmp/oc-curl.err 2>&1 &
CURL=$!
T0=$(date +%s)

# five_flows NODE: NODE's standby table holds the five flows (two per
# iperf3, one for curl).
five_flows() {
	[ "$(ctl $1 -j flows | jq -n 'input | [.[] | select(.standby)] | length')" = 5 ]
}
wait_for 20 five_flows gw2 || { ctl gw2 flows; ctl gw1 flows; fail "gw2 does not hold the five flows"; }
sleep 3

# The failover: gw1 dies, gw2 is told.
ip netns exec gw1 tcpfo-ifdown front back > /dev/null || fail "cutting gw1's links"
kill -9 $G1; wait $G1 2>/dev/null
T_FAILOVER=$(($(date +%s) - T0))
ctl gw2 failover > /tmp/oc-failover.txt 2>&1 || { cat /tmp/oc-failover.txt; tail -20 /tmp/gw2.log; fail "tcpfoctl failover"; }
note "failover at +${T_FAILOVER}s: $(cat /tmp/oc-failover.txt)"
grep -q "^took over 5 flow(s), reset 0" /tmp/oc-failover.txt || fail "the five flows were not all taken over"

# gw1 comes back and stands by; then it takes the flows home.
sleep 2
revive gw1
ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1-back.log 2>&1 &
G1=$!
wait_for 30 peer_is gw1 standby 2 || { ctl gw1 peer; cat /tmp/gw1-back.log; fail "gw1 did not return as a synced standby"; }
wait_for 20 five_flows gw1 || { ctl gw1 flows; fail "gw1 does not hold the five flows"; }
T_FAILBACK=$(($(date +%s) - T0))
ctl gw1 switchover > /tmp/oc-switchover.txt 2>&1 || { cat /tmp/oc-switchover.txt; tail -20 /tmp/gw1-back.log /tmp/gw2.log; fail "tcpfoctl switchover"; }
note "failback at +${T_FAILBACK}s: $(cat /tmp/oc-switchover.txt)"
grep -q "^took over 5 flow(s), reset 0" /tmp/oc-switchover.txt || fail "the five flows were not all moved back"
[ $T_FAILBACK -lt 25 ] || note "(the failback came late: +${T_FAILBACK}s of the 30 s transfers)"

# The tools.
wait $UP; rc_up=$?
wait $DOWN; rc_down=$?
wait $CURL; rc_curl=$?
sleep 1
CAP_PID=$CAP_C capture_stop /tmp/oc-c.pcap
CAP_PID=$CAP_S capture_stop /tmp/oc-s.pcap
# iperf3 -J: exit status, no "error", and bytes in the last intervals,
# which come after both moves.
iperf_ok() { # NAME RC FILE
	local err
	[ "$2" = 0 ] || { cat $3 ${3%.json}.err; fail "$1: iperf3 exited $2"; }
	err=$(jq -r '.error // empty' $3) || { cat $3; fail "$1: iperf3's report is not JSON"; }
	[ -z "$err" ] || fail "$1: iperf3: $err"
	note "$1: $(jq -r '[.end.sum_sent.bytes, .end.sum_received.bytes] | "sent \(.[0]) bytes, received \(.[1]) bytes"' $3); per second: $(jq -r '[.intervals[].sum.bytes] | map(tostring) | join(" ")' $3)"
	jq -e '[.intervals[-3:][].sum.bytes] | all(. > 0)' $3 > /dev/null ||
		fail "$1: the last intervals moved nothing"
	jq -e '.end.sum_received.bytes > 0 and .end.sum_sent.bytes > 0' $3 > /dev/null ||
		fail "$1: nothing arrived"
}
iperf_ok "iperf3 upload" $rc_up /tmp/oc-up.json
iperf_ok "iperf3 download (-R)" $rc_down /tmp/oc-down.json
[ $rc_curl = 0 ] || { cat /tmp/oc-curl.err; fail "curl exited $rc_curl"; }
want=$(sha256sum < /tmp/oc-www/blob) got=$(sha256sum < /tmp/oc-blob)
[ "$want" = "$got" ] || fail "curl's file differs: $(wc -c < /tmp/oc-blob) of $(wc -c < /tmp/oc-www/blob) bytes, SHA-256 ${got%% *}"
note "curl: $(wc -c < /tmp/oc-blob) bytes, SHA-256 matches"
# RSTs from the gateways (the VIPs, the back addresses) must be none,
# except one that passes a peer's own reset on: when a leg is reset, the
# relay resets the other (a proxy must not turn an abort into a clean
# end), so an RST the server sent from its port P (iperf3 may close a
# socket with unread data at its end) reaches the client from the VIP's
# port P, and a client's RST to port P reaches the server from the back
# address. Such a pair is shown; a gateway's RST without a peer's reset
# before it on that port fails. The tools' own RSTs are shown.
tcpdump -tt -nn -r /tmp/oc-c.pcap 2>/dev/null > /tmp/oc-c.txt
tcpdump -tt -nn -r /tmp/oc-s.pcap 2>/dev/null > /tmp/oc-s.txt
judge_rsts() {
	awk -v gws=" $VIP4 $BACK4 $VIP6 $BACK6 " -v peers=" $SERVER4 $SERVER6 $CLIENT4 $CLIENT6 " '
	function split_end(e, parts,   n) { sub(/:$/, "", e); n = split(e, parts, "."); port = parts[n]; addr = substr(e, 1, length(e) - length(port) - 1) }
	{
		for (i = 1; i <= NF; i++) if ($i == "IP" || $i == "IP6") break
		split_end($(i + 1)); sa = addr; sp = port
		split_end($(i + 3)); da = addr; dp = port
		t = $1 + 0
		if (index(peers, " " sa " ")) {
			# A peer reset its own end of the connection on service port P.
			P = (FILENAME ~ /oc-s/) ? sp : dp
			if (!(P in own) || t < own[P]) own[P] = t
			next
		}
		if (index(gws, " " sa " ")) { n++; gt[n] = t; gp[n] = (FILENAME ~ /oc-c/) ? sp : dp; gl[n] = $0 }
	}
	END {
		for (k = 1; k <= n; k++) {
			if ((gp[k] in own) && own[gp[k]] <= gt[k]) print "passed on: " gl[k]
			else { print "FAULT: " gl[k]; bad = 1 }
		}
		exit bad
	}' /tmp/oc-c.txt /tmp/oc-s.txt
}
judge_rsts > /tmp/oc-rst.txt || { cat /tmp/oc-c.txt /tmp/oc-s.txt; cat /tmp/oc-rst.txt
	fail "$(grep -c '^FAULT' /tmp/oc-rst.txt) RST(s) from a gateway that no peer's reset explains"; }
[ -s /tmp/oc-rst.txt ] && note "gateway RSTs passing a peer's own reset on: $(cat /tmp/oc-rst.txt)"
for f in /tmp/oc-c.txt /tmp/oc-s.txt; do
	[ -s $f ] && note "RSTs on the wire in $f: $(head -5 $f)"
done
kill $HTTPD $IPERF_S1 $IPERF_S2 $G1 $G2; wait $G1; wait $G2
rm -rf /tmp/oc-www /tmp/oc-blob
exit 0
