#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Each network namespace has its own services, mode and counters.
. ./lib.sh

load_tcpfo
ip netns add a; ip netns add b
ip -n a link set lo up; ip -n b link set lo up

in_ns a tcpfoctl service add web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1 ||
	fail "add in a"
[ "$(status_num a services)" -eq 1 ] || fail "a does not count its service"
[ "$(status_num b services)" -eq 0 ] || fail "b sees a's service"
[ "$(status_num '' services)" -eq 0 ] || fail "init namespace sees a's service"
[ -z "$(in_ns b tcpfoctl -j service list | jq -r '.[].name')" ] || fail "b lists a's service"

# The same VIP:port and name are free in another namespace.
in_ns b tcpfoctl service add web 192.0.2.1:80 198.51.100.20:9090 via 198.51.100.2 ||
	fail "same service in b refused"
[ "$(in_ns a tcpfoctl -j service list | jq -r '.[0].bport')" = 8080 ] || fail "a's backend changed"
[ "$(in_ns b tcpfoctl -j service list | jq -r '.[0].bport')" = 9090 ] || fail "b's backend wrong"

# Counters: traffic in a only.
a0=$(status_num a packets_seen); b0=$(status_num b packets_seen)
in_ns a tcpfo-stream server 127.0.0.1 7000 &
wait_for 10 in_ns a sh -c "ss -Htln | grep -q ':7000 '" || fail "server"
in_ns a tcpfo-stream client 127.0.0.1 7000 --up 200000 --quiet || fail "traffic in a"
a1=$(status_num a packets_seen); b1=$(status_num b packets_seen)
[ "$a1" -gt "$a0" ] || fail "a's counter did not move"
[ "$b1" -eq "$b0" ] || fail "b's counter moved with a's traffic ($b0 -> $b1)"

# Mode is per namespace.
in_ns a tcpfo-nlprobe errno set-mode | grep -q '^0' || fail "set-mode in a"
in_ns a tcpfoctl service del web || fail "del in a"
[ "$(status_num a services)" -eq 0 ] || fail "a still counts a service"
[ "$(status_num b services)" -eq 1 ] || fail "deleting in a touched b"
exit 0
