#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Sync mode: the primary acknowledges nothing the standby has not stored.
# Transfers both ways (the client sends until told to stop); the standby's daemon is frozen (SIGSTOP) for 3 s
# mid-transfer (heartbeat misses set long enough that the primary keeps
# waiting instead of going unprotected). During the freeze, what the
# client and the server have been acknowledged (their sockets' bytes_acked,
# i.e. what reached them on the wire) must not pass the points stored in
# the standby's module, and must stop moving; after the thaw the transfers
# complete intact. The same freeze in async mode must not stop releases
# (the test can tell the modes apart).
# timeout: 300
. ./lib.sh

load_tcpfo
proxy_topology
start_backend
standby_topology

run_mode() { # MODE
	mode=$1
	start_pair $mode 200ms 50

	ip netns exec client tcpfo-stream client $VIP4 $VPORT --duration 60 --down 30000000 --seed 7 > /tmp/sync.out 2>&1 &
	CL=$!
	wait_for 30 sh -c "[ \"\$(ip netns exec gw2 tcpfoctl -j flows | jq '[.[] | select(.standby and .released_c2s > 1000000)] | length')\" = 1 ]" ||
		{ ip netns exec gw2 tcpfoctl flows; ip netns exec gw tcpfoctl flows; fail "$mode: the standby never stored 1 MB released"; }

	kill -STOP $SB_PID
	sleep 1
	a1=$(acked client); s1=$(acked server)
	sleep 2
	a2=$(acked client); s2=$(acked server)
	stored=$(ip netns exec gw2 tcpfoctl -j flows | jq -c '.[] | select(.standby) | [.released_c2s, .released_s2c]')
	kill -CONT $SB_PID
	kill -USR1 $CL
	c2s=$(echo "$stored" | jq '.[0]'); s2c=$(echo "$stored" | jq '.[1]')
	for v in "$a1" "$a2" "$s1" "$s2" "$c2s" "$s2c"; do
		case "$v" in ''|*[!0-9]*) ip netns exec client ss -tin state established | head -5 | sed 's/^/# ss: /'; fail "$mode: could not read a figure (acked $a1 $a2 $s1 $s2, stored $c2s $s2c)";; esac
	done
	note "$mode: standby frozen: stored c2s $c2s s2c $s2c; client acked $a1 -> $a2, server acked $s1 -> $s2"
	wait $CL || { cat /tmp/sync.out; fail "$mode: transfer failed"; }
	note "$mode: $(cat /tmp/sync.out)"
	if [ $mode = sync ]; then
		# bytes_acked counts the SYN as one byte.
		[ $((a2 - 1)) -le "$c2s" ] || fail "sync: the client was acknowledged $((a2 - 1)) bytes, the standby stored $c2s"
		[ $((s2 - 1)) -le "$s2c" ] || fail "sync: the server was acknowledged $((s2 - 1)) bytes, the standby stored $s2c"
		[ "$a2" = "$a1" ] || fail "sync: the client was acknowledged more while the standby was frozen"
	else
		[ "$a2" -gt "$a1" ] || [ "$s2" -gt "$s1" ] ||
			fail "async: releases stopped with the standby frozen"
	fi
	kill $GW_PID; wait $GW_PID
	kill $SB_PID; wait $SB_PID
}

# acked NS: bytes_acked of the one established TCP socket of the stream
# (client: to the VIP; server: its accepted connection).
acked() {
	if [ $1 = client ]; then m="$VIP4:$VPORT"; else m="$SERVER4:$SPORT"; fi
	ip netns exec $1 ss -tin state established |
		awk -v m="$m" 'index($0, m) { getline; if (match($0, /bytes_acked:[0-9]+/)) print substr($0, RSTART + 12, RLENGTH - 12); exit }'
}

run_mode sync
run_mode async
exit 0
