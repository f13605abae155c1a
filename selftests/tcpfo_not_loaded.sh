#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Without the module, tcpfoctl and failoverd say so clearly and exit 1; with
# module autoloading available, the first request loads it (the family
# alias net-pf-16-proto-16-family-tcpfo).
. ./lib.sh

unload_tcpfo
saved=$(cat /proc/sys/kernel/modprobe)
echo /bin/false > /proc/sys/kernel/modprobe
out=$(tcpfoctl status 2>&1); rc=$?
echo "$saved" > /proc/sys/kernel/modprobe
note "tcpfoctl without module: $out (exit $rc)"
[ $rc -eq 1 ] || fail "exit $rc, expected 1"
echo "$out" | grep -qi 'not loaded' || fail "message does not say the module is not loaded"
lsmod | grep -q '^tcpfo ' && fail "module loaded although autoload was off"

tcpfoctl status || fail "status with autoload failed"
lsmod | grep -q '^tcpfo ' || fail "the family lookup did not autoload the module"
exit 0
