#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# SYN cookies: a listener under SYN flood answers with cookie SYN-ACKs, which
# the stack sends without a socket. The module must still learn the flow
# from them: with tcp_syncookies=2 (every SYN-ACK a cookie) on the gateway,
# flows reach `established` with the gateway's L1 ISN known, and the
# invariant holds on the wire (IPv4 and IPv6; delay on the server side so
# that an unclamped ACK would show).
# timeout: 300
. ./lib.sh

load_tcpfo
proxy_topology
ip netns exec gw sysctl -qw net.ipv4.tcp_syncookies=2 || fail "sysctl tcp_syncookies"
ip netns exec server tc qdisc add dev s0 root netem delay 5ms
ip netns exec gw tc qdisc add dev back root netem delay 5ms
start_backend
start_gateway

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4 v=$VIP4:$VPORT srv=$SERVER4:$SPORT; else vip=$VIP6 v="[$VIP6]:$VPORT" srv="[$SERVER6]:$SPORT"; fi
	capture_start gw /tmp/ck$fam.pcap "tcp port $VPORT or tcp port $SPORT"
	ip netns exec client tcpfo-stream client $vip $VPORT --duration 30 --down 3000000 > /tmp/ck$fam.out 2>&1 &
	CL=$!
	wait_for 20 sh -c "ip netns exec gw tcpfoctl -j flows | jq -n -e 'input | ([.[] | select(.state == \"established\" and .l1_isn != null)] | length == 1)' > /dev/null" ||
		{ ip netns exec gw tcpfoctl flows; fail "IPv$fam: a flow answered with a cookie SYN-ACK is not established in the module"; }
	sleep 2
	kill -USR1 $CL
	wait $CL || { cat /tmp/ck$fam.out; fail "IPv$fam: transfer failed"; }
	capture_stop /tmp/ck$fam.pcap
	tcpdump -nn -r /tmp/ck$fam.pcap 2>/dev/null | grep -q 'Flags \[S\.\]' || fail "IPv$fam: no SYN-ACK captured"
	tcpfo-pcapcheck --vip "$v" --server "$srv" --pairs 1 /tmp/ck$fam.pcap
	rc=$?
	[ $rc -eq 3 ] && fail "IPv$fam: the gateway acknowledged bytes before their receiver did"
	[ $rc -eq 0 ] || fail "IPv$fam: capture could not be judged (exit $rc)"
	note "IPv$fam: $(cat /tmp/ck$fam.out)"
done
nstat_cookies=$(ip netns exec gw nstat -az TcpExtSyncookiesSent | awk '/SyncookiesSent/ { print $2 }')
note "cookie SYN-ACKs sent by the gateway: ${nstat_cookies:-?}"
[ "${nstat_cookies:-0}" -ge 2 ] || fail "the gateway sent no SYN cookies: the test proves nothing"
exit 0
