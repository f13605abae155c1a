#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Malformed netlink requests are refused with EINVAL and a reason (extack);
# random requests never crash the module, which keeps working after them.
# timeout: 300
. ./lib.sh

load_tcpfo
ip netns add fz; ip -n fz link set lo up
in_ns fz tcpfo-nlprobe malformed || fail "a malformed request was not refused as expected"
[ "$(status_num fz services)" -eq 0 ] || fail "a malformed request added a service"
for seed in 1 2 3 4; do
	in_ns fz tcpfo-nlprobe fuzz 3000 $seed || fail "fuzz round $seed"
done
# After all that the namespace still works normally.
in_ns fz tcpfoctl service add ok 192.0.2.9:443 198.51.100.9:443 via 198.51.100.1 ||
	fail "valid add failed after fuzzing"
in_ns fz tcpfoctl service list | grep -q '192.0.2.9' || fail "valid service not listed"
ip netns del fz
unload_tcpfo
exit 0
