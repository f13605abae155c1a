#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Mutating commands need CAP_NET_ADMIN in the user namespace that owns the
# network namespace: EPERM otherwise. Reading is open to everyone.
. ./lib.sh

load_tcpfo
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"; }

for cmd in add del set-mode disown; do
	got=$(nobody tcpfo-nlprobe errno $cmd)
	note "unprivileged $cmd: $got"
	case $got in EPERM*) ;; *) fail "unprivileged $cmd got '$got', expected EPERM" ;; esac
done
for cmd in status list; do
	got=$(nobody tcpfo-nlprobe errno $cmd)
	[ "$got" = 0 ] || fail "unprivileged $cmd got '$got', expected success"
done

# tcpfoctl says so clearly, exits 1, and nothing changed.
out=$(nobody tcpfoctl service add web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1 2>&1)
rc=$?
note "tcpfoctl as nobody: $out"
[ $rc -eq 1 ] || fail "tcpfoctl exit $rc, expected 1"
echo "$out" | grep -qi 'permission denied\|CAP_NET_ADMIN' || fail "unclear error: $out"
[ "$(status_num '' services)" -eq 0 ] || fail "unprivileged add changed the table"
nobody tcpfoctl status >/dev/null || fail "unprivileged status failed"

# Root of a new user namespace owns a new network namespace: allowed there,
# but has no CAP_NET_ADMIN over the initial namespace.
got=$(unshare --user --map-root-user --net tcpfo-nlprobe errno add)
[ "$got" = 0 ] || fail "root of own userns+netns got '$got' for add"
got=$(unshare --user --map-root-user tcpfo-nlprobe errno add)
case $got in EPERM*) ;; *) fail "userns root on the initial netns got '$got', expected EPERM" ;; esac
exit 0
