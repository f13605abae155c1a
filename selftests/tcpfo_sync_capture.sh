#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Sync mode judged from captures over whole transfers: every segment with an
# ACK that the client or the server receives (SYN-ACK and handshake ACK
# included) is covered by a point the standby had already stored.
#
# Three flows move 1.5 MB each way with netem delay and loss on the client
# and server links. The state link gets 100 ms each way, so a release in
# sync mode reaches a peer at least 100 ms after the standby stored its
# point. The test dumps the standby's module (tcpfo-nlprobe, raw genl) as
# fast as it can, stamping each reading when it has finished; an ACK at
# time t is covered only if a reading finished before t already showed the
# point (and the leg's handshake). The same run in async mode must show
# violations: the check can tell the modes apart.
# timeout: 400
. ./lib.sh

load_tcpfo
proxy_topology
start_backend
standby_topology
# The links (both directions): delay and a little loss.
for dev in "client c0" "gw front" "gw back" "server s0"; do
	ip netns exec ${dev% *} tc qdisc add dev ${dev#* } root netem delay 5ms loss 0.5% ||
		fail "netem on $dev"
done
for ns in gw gw2; do
	ip netns exec $ns tc qdisc add dev sl root netem delay 100ms || fail "netem on the state link"
done

# poll: the standby's stored points straight from its module (tcpfo-nlprobe
# watch-standby: one dump after another, each line stamped when its dump
# had finished) until /tmp/poll.run goes.
poll() {
	ip netns exec gw2 tcpfo-nlprobe watch-standby /tmp/poll.run > /tmp/polls
}

run_mode() { # MODE
	mode=$1
	start_pair $mode 200ms 50

	touch /tmp/poll.run
	poll &
	POLL=$!
	capture_start client /tmp/c.pcap tcp port $VPORT; C_CAP=$CAP_PID
	capture_start server /tmp/s.pcap tcp port $SPORT; S_CAP=$CAP_PID
	sleep 1
	pids=
	for seed in 1 2 3; do
		ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 1500000 --down 1500000 --seed $seed > /tmp/stream$seed.out 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do
		wait $p || { cat /tmp/stream*.out; fail "$mode: a transfer failed"; }
	done
	sleep 1
	CAP_PID=$C_CAP; capture_stop /tmp/c.pcap
	CAP_PID=$S_CAP; capture_stop /tmp/s.pcap
	rm /tmp/poll.run; wait $POLL

	note "$mode: $(grep -c . /tmp/polls) stored points read from the standby"
	tcpdump -tt -nn -S -r /tmp/c.pcap 2>/dev/null > /tmp/c.txt
	tcpdump -tt -nn -S -r /tmp/s.pcap 2>/dev/null > /tmp/s.txt
	c=$(awk -v leg=l1 -v peer="$CLIENT4." -f sync_check.awk /tmp/polls /tmp/c.txt); c_rc=$?
	s=$(awk -v leg=l2 -v peer="$SERVER4.$SPORT" -f sync_check.awk /tmp/polls /tmp/s.txt); s_rc=$?
	note "$mode: client side: $(echo "$c" | tail -1)"
	note "$mode: server side: $(echo "$s" | tail -1)"
	if [ $mode = sync ]; then
		[ $c_rc = 0 ] || { echo "$c"; fail "sync: the client was acknowledged beyond what the standby stored"; }
		[ $s_rc = 0 ] || { echo "$s"; fail "sync: the server was acknowledged beyond what the standby stored"; }
	else
		echo "$c" | grep -q '^checked [1-9][0-9]* acks, [1-9]' ||
			{ echo "$c"; fail "async: no violation found on the client side: the check cannot tell the modes apart"; }
		echo "$s" | grep -q '^checked [1-9][0-9]* acks, [1-9]' ||
			{ echo "$s"; fail "async: no violation found on the server side: the check cannot tell the modes apart"; }
	fi
	kill $GW_PID; wait $GW_PID
	kill $SB_PID; wait $SB_PID
}

run_mode sync
run_mode async
exit 0
