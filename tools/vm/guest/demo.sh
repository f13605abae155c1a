#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the VM: a gateway namespace with failoverd declaring a
# service to tcpfo.ko, shown with tcpfoctl. Grows with each feature.
set -u
step() { printf '\n=== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "DEMO FAILED: $*"; exit 1; }

step "load the module"
run modprobe tcpfo || die "modprobe"
run lsmod | grep -E '^(Module|tcpfo)'

step "topology: client -- gw1 -- server (network namespaces, veth)"
for ns in client gw1 server; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add c0 netns client type veth peer front netns gw1
ip link add back netns gw1 type veth peer s0 netns server
ip -n client addr add 192.0.2.100/24 dev c0
ip -n gw1 addr add 192.0.2.1/24 dev front
ip -n gw1 addr add 198.51.100.1/24 dev back
ip -n server addr add 198.51.100.10/24 dev s0
for l in "client c0" "gw1 front" "gw1 back" "server s0"; do set -- $l; ip -n $1 link set $2 up; done
run ip -n gw1 -br addr

step "failoverd on gw1 declares its service to the module"
cat > /tmp/gw1.conf <<'C'
node = gw1
role = primary
mode = async
control-socket = /run/tcpfo/gw1.sock
service = web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1
C
cat /tmp/gw1.conf
ip netns exec gw1 failoverd --config /tmp/gw1.conf &
fpid=$!
i=0
until [ "$(ip netns exec gw1 tcpfoctl -j status 2>/dev/null | jq -r .services)" = 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || die "failoverd did not declare the service"; sleep 0.1
done
run ip netns exec gw1 tcpfoctl service list
run ip netns exec gw1 tcpfoctl status

step "traffic through gw1's namespace is seen by the hooks"
ip netns exec server tcpfo-stream server 198.51.100.10 8080 &
sleep 0.5
ip -n client route add default via 192.0.2.1
ip -n server route add default via 198.51.100.1
ip netns exec gw1 sysctl -qw net.ipv4.ip_forward=1
run ip netns exec client tcpfo-stream client 198.51.100.10 8080 --up 10000000 --down 10000000 || die "transfer"
run ip netns exec gw1 tcpfoctl -j status

step "failoverd withdraws its service on SIGTERM"
kill -TERM $fpid; wait $fpid
run ip netns exec gw1 tcpfoctl status
echo
echo "(the relay, ACK deferral and failover come in later stages: see README.md)"
echo TCPFO-DEMO-OK
