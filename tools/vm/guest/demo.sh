#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the VM: client -- gw1 -- server in network
# namespaces; failoverd on gw1 relays a service while tcpfo.ko holds back
# every ACK until the other leg's receiver has acknowledged the bytes.
# Grows with each feature.
set -u
step() { printf '\n=== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "DEMO FAILED: $*"; exit 1; }

step "load the module"
run modprobe tcpfo || die "modprobe"

step "topology: client -- gw1 -- server (network namespaces, veth)"
for ns in client gw1 server; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add c0 netns client type veth peer front netns gw1
ip link add back netns gw1 type veth peer s0 netns server
ip -n client addr add 192.0.2.100/24 dev c0
ip -n gw1 addr add 192.0.2.1/24 dev front
ip -n gw1 addr add 198.51.100.1/24 dev back
ip -n server addr add 198.51.100.10/24 dev s0
for l in "client c0" "gw1 front" "gw1 back" "server s0"; do set -- $l; ip -n $1 link set $2 up; done
# The server side is slow: 20 ms away and limited to 40 Mbit/s.
ip netns exec server tc qdisc add dev s0 root netem delay 20ms rate 40mbit
ip netns exec gw1 tc qdisc add dev back root netem delay 20ms rate 40mbit
run ip -n gw1 -br addr

step "failoverd on gw1 relays service 'web' and declares it to the module"
cat > /tmp/gw1.conf <<'C'
node = gw1
role = primary
mode = async
control-socket = /run/tcpfo/gw1.sock
service = web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1
C
cat /tmp/gw1.conf
ip netns exec gw1 failoverd --config /tmp/gw1.conf 2> /tmp/gw1.log &
fpid=$!
i=0
until ip netns exec gw1 ss -Htln | grep -q ':80 '; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat /tmp/gw1.log; die "failoverd did not start"; }; sleep 0.1
done
run ip netns exec gw1 tcpfoctl service list

step "a 30 MB upload and a 10 MB download through the VIP, both ways at once"
ip netns exec server tcpfo-stream server 198.51.100.10 8080 &
sleep 0.5
ip netns exec client tcpfo-stream client 192.0.2.1 80 --up 30000000 --down 10000000 > /tmp/xfer.out 2>&1 &
xfer=$!
for t in 2 4; do
	sleep 2
	echo "--- after ${t}s: the client's socket still holds what the server has not acknowledged"
	run ip netns exec client ss -tn state established '( dport = :80 )'
	run ip netns exec gw1 tcpfoctl flows
done
wait $xfer || { cat /tmp/xfer.out; die "transfer"; }
echo "--- transfer done; every byte checked against its offset:"
cat /tmp/xfer.out
run ip netns exec gw1 tcpfoctl status

step "failoverd stops: its service is withdrawn"
kill -TERM $fpid; wait $fpid
cat /tmp/gw1.log
run ip netns exec gw1 tcpfoctl status
echo
echo "(replication to a standby: see Documentation/admin-guide.md; failover comes in a later stage)"
echo TCPFO-DEMO-OK
