# SPDX-License-Identifier: GPL-2.0
# Judges a capture against the standby's stored points (tcpfo_sync_capture).
#
# Input 1 (polls, sorted by time): "LEG T PORT L1ISN SISN C2S S2C" per
#   standby flow per poll (lines of the other leg are skipped), T = when the poll's reading had finished (so the point
#   was stored at T at the latest); PORT is the client port (leg l1) or
#   the back port (leg l2); an unknown ISN is -1.
# Input 2: `tcpdump -tt -nn -S -r` of the capture on the peer's side.
# Variables: leg=l1|l2, peer=the start of the peer's "ADDR.PORT" in
#   tcpdump's output ("192.0.2.100." for any client port).
#
# Every segment the peer receives that carries an ACK must be covered by a
# point some poll had already shown: offset (ack - peer ISN - 1) at most
# the stored released point of the direction the peer sends, and the
# leg's handshake (the gateway's ISN on l1, the server's on l2) stored.
# Prints "checked N acks, V violations, max poll gap G ms" and the first
# violations; exit 1 on a violation or nothing checked.

function mod32(x) { x = x % 4294967296; return x < 0 ? x + 4294967296 : x }

FNR == NR {
	if ($1 != leg)
		next
	$1 = ""; $0 = $0
	p = $2
	n[p]++
	T[p, n[p]] = $1; L1[p, n[p]] = $3; SI[p, n[p]] = $4
	C[p, n[p]] = $5; S[p, n[p]] = $6
	if (last_t != "" && ($1 - last_t) * 1000 > gap)
		gap = ($1 - last_t) * 1000
	last_t = $1
	next
}

{
	# Skip to the address part: "... IP[6] SRC > DST: Flags [..], ..."
	for (i = 1; i <= NF && $i != "IP" && $i != "IP6"; i++)
		;
	if (i > NF)
		next
	t = $1; src = $(i + 1); dst = $(i + 3); sub(/:$/, "", dst)
	flags = ""; seq = ""; ack = ""
	for (j = i + 4; j <= NF; j++) {
		if ($j == "Flags") flags = $(j + 1)
		else if ($j == "seq") { seq = $(j + 1); sub(/[:,].*/, "", seq) }
		else if ($j == "ack") { ack = $(j + 1); sub(/,$/, "", ack) }
	}
	# The peer's own segments: its ISN (the client's SYN on l1, the
	# server's SYN-ACK on l2).
	# Flows are keyed by the client's port on l1, the gateway's on l2.
	if (index(src, peer) == 1) {
		if (leg == "l1") { nd = split(src, d, "."); port = d[nd] }
		else { nd = split(dst, d, "."); port = d[nd] }
		if (flags ~ /S/ && (leg == "l1") == (flags !~ /\./))
			isn[port] = seq
		next
	}
	if (index(dst, peer) != 1 || ack == "")
		next
	if (leg == "l1") { nd = split(dst, d, "."); port = d[nd] }
	else { nd = split(src, d, "."); port = d[nd] }
	if (!(port in isn))
		next			# no ISN yet: acks nothing of the peer's
	off = mod32(ack - isn[port] - 1)
	# The latest poll finished at or before t.
	k = cur[port] + 0
	while (k < n[port] && T[port, k + 1] <= t)
		k++
	cur[port] = k
	checked++
	hs = leg == "l1" ? L1[port, k] : SI[port, k]
	stored = leg == "l1" ? C[port, k] : S[port, k]
	if (k == 0 || hs == -1 || off > stored) {
		violations++
		if (violations <= 10)
			printf "violation: %s %s -> %s %s ack offset %.0f, stored %s (handshake %s) at %s\n",
			       t, src, dst, flags, off, k ? stored : "nothing", k ? (hs == -1 ? "unknown" : "stored") : "-",
			       k ? T[port, k] : "-"
	}
}

END {
	printf "checked %d acks, %d violations, max poll gap %.0f ms\n", checked, violations, gap
	exit (checked == 0 || violations > 0)
}
