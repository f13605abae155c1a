#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the VM: a client downloads a file through the VIP of
# gw1 (primary) while gw2 (standby, sync mode) holds every flow; gw1 dies
# in the middle (links cut, failoverd killed); gw2 notices, takes the
# connection over and the download carries on. The checksums of what the
# server served and what the client got are compared at the end.
set -u
cd /opt/tcpfo/selftests
. ./lib.sh
step() { printf '\n=== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "DEMO FAILED: $*"; exit 1; }

step "load the module"
run modprobe tcpfo || die "modprobe"

step "topology: client and server on a switch (bridges) with gw1 and gw2"
switch_topology
# The server side is the slow part: 20 Mbit/s.
ip netns exec server tc qdisc add dev s0 root tbf rate 20mbit burst 32k latency 200ms
run ip -n gw1 -br addr
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > /tmp/peer.key

conf() { # NODE ROLE PEER-LINE
	cat <<C
node = $1
role = $2
mode = sync
control-socket = /run/tcpfo/$1.sock
service = web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1
[peer]
$3
key-file = /tmp/peer.key
[heartbeat]
interval = 100ms
misses = 5
[takeover]
front-interface = front
back-interface = back
C
}
step "gw2 starts as standby, gw1 as primary (it claims the VIP and announces it)"
conf gw2 standby "listen = 192.0.2.3:7000" > /tmp/gw2.conf
conf gw1 primary "address = 192.0.2.3:7000" > /tmp/gw1.conf
cat /tmp/gw1.conf
ip netns exec gw2 failoverd --config /tmp/gw2.conf 2> /tmp/gw2.log &
g2=$!
sleep 0.5
ip netns exec gw1 failoverd --config /tmp/gw1.conf 2> /tmp/gw1.log &
g1=$!
wait_for 30 grep -q "state link: protected" /tmp/gw1.log || { cat /tmp/gw1.log /tmp/gw2.log; die "gw1 never got protected"; }
run ip netns exec gw1 tcpfoctl --control-socket /run/tcpfo/gw1.sock peer

step "the server offers a 24 MB file (busybox httpd); the client downloads it with curl through the VIP"
mkdir -p /tmp/www
head -c 24000000 /dev/urandom > /tmp/www/file
ip netns exec server busybox httpd -f -p 198.51.100.10:8080 -h /tmp/www &
httpd=$!
sleep 0.5
ip netns exec client curl -s -o /tmp/got http://192.0.2.1/file &
curl=$!
sleep 3
echo "--- 3 s in: gw1 relays, gw2 holds the same flow"
run ip netns exec gw1 tcpfoctl flows
run ip netns exec gw2 tcpfoctl flows
echo "client has $(stat -c %s /tmp/got 2>/dev/null || echo 0) bytes"

step "gw1 dies: its links go down, its failoverd is killed"
run ip -n gw1 link set front down
run ip -n gw1 link set back down
kill -9 $g1
echo "--- gw2 waits for 5 missed heartbeats, checks that nobody answers for the VIP, takes over"
if ! wait_for 10 grep -q "takeover: done" /tmp/gw2.log; then
	echo "--- gw2 did not notice on its own (heartbeats can starve under emulation): the operator runs"
	run ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock failover
fi
grep 'takeover' /tmp/gw2.log | sed 's/^/    /'
run ip netns exec gw2 tcpfoctl --control-socket /run/tcpfo/gw2.sock peer
run ip netns exec gw2 tcpfoctl flows

step "the download carries on through gw2"
wait $curl || die "curl failed (exit $?)"
kill $httpd 2>/dev/null
run sha256sum /tmp/www/file /tmp/got
a=$(sha256sum < /tmp/www/file) b=$(sha256sum < /tmp/got)
[ "$a" = "$b" ] || die "the checksums differ"
echo "--- identical: no byte lost or duplicated, and curl saw no reset"
run ip netns exec gw2 tcpfoctl status
kill $g2; wait $g2
echo TCPFO-DEMO-OK
