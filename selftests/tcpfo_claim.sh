#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Floating addresses on a switch (a bridge): a node started as primary
# claims its services' VIPs (front interface) and back addresses (back
# interface) and announces them (gratuitous ARP, unsolicited NA with
# override), so the client's and the server's neighbour entries move to it
# at once, with no traffic of their own; a node started as standby holds
# none of them (an old owner drops them). IPv4 and IPv6.
# timeout: 120
. ./lib.sh

load_tcpfo
switch_topology
mac() { ip -n $1 -br link show $2 | awk '{ print $3 }'; }
# neigh NS ADDR: the link-layer address NS has for ADDR (empty if none).
neigh() { ip -n $1 neigh show $2 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }

# gw1 is the old owner: it holds everything, and the peers know its MACs.
for a in $VIP4/32 $VIP6/128; do ip -n gw1 addr add $a dev front nodad 2>/dev/null || ip -n gw1 addr add $a dev front; done
for a in $BACK4/32 $BACK6/128; do ip -n gw1 addr add $a dev back nodad 2>/dev/null || ip -n gw1 addr add $a dev back; done
ip netns exec client ping -c1 -W2 $VIP4 > /dev/null || fail "client cannot reach $VIP4 on gw1"
ip netns exec client ping -c1 -W2 $VIP6 > /dev/null || fail "client cannot reach $VIP6 on gw1"
ip netns exec server ping -c1 -W2 $BACK4 > /dev/null || fail "server cannot reach $BACK4 on gw1"
ip netns exec server ping -c1 -W2 $BACK6 > /dev/null || fail "server cannot reach $BACK6 on gw1"
[ "$(neigh client $VIP4)" = "$(mac gw1 front)" ] || fail "client's entry for $VIP4 is not gw1's"

conf() { # NODE ROLE
	cat <<C
node = $1
role = $2
control-socket = /run/tcpfo/$1.sock
service = web $VIP4:$VPORT $SERVER4:$SPORT via $BACK4
service = web6 [$VIP6]:$VPORT [$SERVER6]:$SPORT via $BACK6
[takeover]
front-interface = front
back-interface = back
C
}
# gw1 comes back as a standby: it must let go of them all.
conf gw1 standby > /tmp/gw1.conf
ip netns exec gw1 failoverd --config /tmp/gw1.conf > /tmp/gw1.log 2>&1 &
G1=$!
wait_for 10 sh -c "! ip -n gw1 addr show | grep -q -e ' $VIP4/' -e ' $BACK4/' -e ' $VIP6/' -e ' $BACK6/'" ||
	{ ip -n gw1 addr show; cat /tmp/gw1.log; fail "the standby still holds floating addresses"; }
note "standby gw1: $(grep -c 'standby: released' /tmp/gw1.log) floating addresses released"

# gw2 starts as primary: it claims and announces; nobody sends anything.
conf gw2 primary > /tmp/gw2.conf
ip netns exec gw2 failoverd --config /tmp/gw2.conf > /tmp/gw2.log 2>&1 &
G2=$!
wait_for 10 grep -q "started: role primary" /tmp/gw2.log || { cat /tmp/gw2.log; fail "gw2 did not start"; }
for a in $VIP4 $VIP6; do
	ip -n gw2 addr show dev front | grep -q " $a/" || fail "gw2 does not hold $a"
done
for a in $BACK4 $BACK6; do
	ip -n gw2 addr show dev back | grep -q " $a/" || fail "gw2 does not hold $a"
done
m2f=$(mac gw2 front); m2b=$(mac gw2 back)
wait_for 5 sh -c "[ \"\$(ip -n client neigh show $VIP4 | grep -o $m2f)\" = $m2f ]" ||
	{ ip -n client neigh show; fail "client's entry for $VIP4 did not move to gw2 ($m2f)"; }
wait_for 5 sh -c "[ \"\$(ip -n client neigh show $VIP6 | grep -o $m2f)\" = $m2f ]" ||
	{ ip -n client neigh show; fail "client's entry for $VIP6 did not move to gw2 ($m2f)"; }
wait_for 5 sh -c "[ \"\$(ip -n server neigh show $BACK4 | grep -o $m2b)\" = $m2b ]" ||
	{ ip -n server neigh show; fail "server's entry for $BACK4 did not move to gw2 ($m2b)"; }
wait_for 5 sh -c "[ \"\$(ip -n server neigh show $BACK6 | grep -o $m2b)\" = $m2b ]" ||
	{ ip -n server neigh show; fail "server's entry for $BACK6 did not move to gw2 ($m2b)"; }
note "client and server now reach the floating addresses at gw2 ($m2f, $m2b): $(grep -c 'primary: claimed' /tmp/gw2.log) claimed"
ip netns exec client ping -c1 -W2 $VIP4 > /dev/null || fail "client cannot reach $VIP4 on gw2"
kill $G1 $G2; wait $G1; wait $G2
exit 0
