#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Traffic that belongs to no service passes untouched: a connection routed
# through the gateway to another port arrives with exactly the TCP headers
# it was sent with (seq, ack, window, options), in both directions. And
# removing the module while relayed flows are active crashes nothing: those
# flows carry on untracked and complete intact.
# timeout: 300
. ./lib.sh

load_tcpfo
proxy_topology
start_backend
start_gateway
start_stream_server server $SERVER4 9000

# Every TCP header field of the segments an address sent, as captured on
# one interface of the gateway: in on one side (before the module's
# hooks), out on the other (after them).
headers() { tcpfo-pcapcheck --headers "$1" /tmp/u.pcap "$2"; }
front=$(ip netns exec gw cat /sys/class/net/front/ifindex)
back=$(ip netns exec gw cat /sys/class/net/back/ifindex)
capture_start gw /tmp/u.pcap "tcp port 9000"
ip netns exec client tcpfo-stream client $SERVER4 9000 --up 3000000 --down 3000000 || fail "routed transfer"
capture_stop /tmp/u.pcap
headers $CLIENT4 $front > /tmp/u-c2s.in
headers $CLIENT4 $back > /tmp/u-c2s.out
headers $SERVER4 $back > /tmp/u-s2c.in
headers $SERVER4 $front > /tmp/u-s2c.out
note "c2s: $(wc -l < /tmp/u-c2s.in) runs of segments, s2c: $(wc -l < /tmp/u-s2c.in)"
[ "$(wc -l < /tmp/u-c2s.in)" -ge 10 ] && [ "$(wc -l < /tmp/u-s2c.in)" -ge 10 ] ||
	fail "too few segments captured"
cmp -s /tmp/u-c2s.in /tmp/u-c2s.out || { diff /tmp/u-c2s.in /tmp/u-c2s.out | head; fail "c2s headers changed in the gateway"; }
cmp -s /tmp/u-s2c.in /tmp/u-s2c.out || { diff /tmp/u-s2c.in /tmp/u-s2c.out | head; fail "s2c headers changed in the gateway"; }
[ "$(ip netns exec gw tcpfoctl -j status | jq .flows)" -eq 0 ] || fail "the routed connection became a flow"

# Unload with relayed flows active.
ip netns exec client tcpfo-stream client $VIP4 $VPORT --up 30000000 --down 30000000 > /tmp/u-a.out 2>&1 &
a=$!
ip netns exec client tcpfo-stream client $VIP6 $VPORT --up 30000000 --down 30000000 > /tmp/u-b.out 2>&1 &
b=$!
sleep 2
[ "$(ip netns exec gw tcpfoctl -j flows | jq length)" -ge 2 ] || fail "the two flows are not tracked"
rmmod tcpfo || fail "rmmod with active flows"
wait $a || { cat /tmp/u-a.out; fail "IPv4 flow broke when the module went away"; }
wait $b || { cat /tmp/u-b.out; fail "IPv6 flow broke when the module went away"; }
kill -0 $GW_PID || fail "failoverd died with the module"
exit 0
