#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Services through tcpfoctl and failoverd: add, list (text and JSON), delete
# by name and by VIP:port, IPv4 and IPv6, clear errors for duplicates and
# unknown services; failoverd declares its configured services on start and
# withdraws them on SIGTERM; a bad config names the bad key.
. ./lib.sh

load_tcpfo
ip netns add g; ip -n g link set lo up
ctl() { in_ns g tcpfoctl "$@"; }

ctl service add web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1 || fail "add web"
ctl service add web6 '[2001:db8:1::1]:443' '[2001:db8:2::10]:8443' via 2001:db8:2::1 || fail "add web6"
ctl service list
json=$(ctl -j service list) || fail "json list"
echo "$json"
[ "$(echo "$json" | jq length)" -eq 2 ] || fail "expected 2 services in JSON"
echo "$json" | jq -n -e 'input | (.[] | select(.name=="web" and .family=="inet" and .vip=="192.0.2.1" and .vport==80 and .backend=="198.51.100.10" and .bport==8080 and .back_address=="198.51.100.1"))' >/dev/null ||
	fail "web is not listed as added"
echo "$json" | jq -n -e 'input | (.[] | select(.name=="web6" and .family=="inet6" and .vip=="2001:db8:1::1" and .vport==443 and .back_address=="2001:db8:2::1"))' >/dev/null ||
	fail "web6 is not listed as added"
ctl service list | grep -q '2001:db8:2::10' || fail "text list lacks the IPv6 backend"
[ "$(status_num g services)" -eq 2 ] || fail "status does not count 2 services"

out=$(ctl service add web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1 2>&1); rc=$?
note "duplicate: $out"
[ $rc -eq 1 ] || fail "duplicate add exit $rc"
echo "$out" | grep -qi 'exist' || fail "duplicate add error unclear: $out"
out=$(ctl service add other 192.0.2.1:80 198.51.100.11:8080 via 198.51.100.1 2>&1) &&
	fail "second service on the same VIP:port accepted"
out=$(ctl service add bad 192.0.2.1:80 '[2001:db8::1]:80' via 198.51.100.1 2>&1) &&
	fail "mixed families accepted"
note "mixed families: $out"
out=$(ctl service add bad 192.0.2.1:99999 198.51.100.1:80 via 198.51.100.1 2>&1); rc=$?
[ $rc -ne 0 ] || fail "port 99999 accepted"
note "bad port: $out"

ctl service del web || fail "del by name"
ctl service del '[2001:db8:1::1]:443' || fail "del by VIP:port"
out=$(ctl service del web 2>&1); rc=$?
[ $rc -eq 1 ] || fail "deleting an unknown service: exit $rc"
note "unknown: $out"
[ "$(status_num g services)" -eq 0 ] || fail "services left after deletes"

# failoverd declares what it is configured with, and withdraws it on exit.
cat > /tmp/gw.conf <<'C'
node = gw-test
role = primary
mode = async
control-socket = /run/tcpfo/test.sock
service = a 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1
service = b [2001:db8:1::1]:80 [2001:db8:2::10]:8080 via 2001:db8:2::1
C
ip netns exec g failoverd --config /tmp/gw.conf > /tmp/gw.log 2>&1 &
fpid=$!
wait_for 20 sh -c "[ \"\$(ip netns exec g tcpfoctl -j status | jq .services)\" = 2 ]" ||
	{ cat /tmp/gw.log; fail "failoverd did not declare its 2 services"; }
ctl service list
kill -TERM $fpid
wait $fpid; rc=$?
cat /tmp/gw.log
[ $rc -eq 0 ] || fail "failoverd exit $rc on SIGTERM"
[ "$(status_num g services)" -eq 0 ] || fail "failoverd left its services behind"

# Bad configuration: exit 2 with the key named.
printf 'mode = fast\n' > /tmp/bad.conf
out=$(in_ns g failoverd --config /tmp/bad.conf 2>&1); rc=$?
note "bad mode: $out"
[ $rc -eq 2 ] || fail "bad mode exit $rc, expected 2"
echo "$out" | grep -q 'mode' || fail "bad mode error does not name the key"
printf 'colour = blue\n' > /tmp/bad.conf
out=$(in_ns g failoverd --config /tmp/bad.conf 2>&1); rc=$?
note "unknown key: $out"
[ $rc -eq 2 ] || fail "unknown key exit $rc"
echo "$out" | grep -q 'colour' || fail "unknown key error does not name it"
[ "$(status_num g services)" -eq 0 ] || fail "a failed start declared services"
exit 0
