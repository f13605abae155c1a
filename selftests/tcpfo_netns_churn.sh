#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 100 network namespaces created and destroyed with the module loaded, each
# with its own service and some TCP traffic: no leak, no warning, and the
# module unloads cleanly afterwards.
# timeout: 400
. ./lib.sh

load_tcpfo
i=0
while [ $i -lt 100 ]; do
	i=$((i + 1))
	ns=churn$i
	ip netns add $ns || fail "cannot create namespace $i"
	ip -n $ns link set lo up
	ip netns exec $ns tcpfoctl service add svc$i 127.0.0.1:80 127.0.0.2:8080 via 127.0.0.1 >/dev/null ||
		fail "service add in namespace $i failed"
	if [ $((i % 10)) -eq 0 ]; then
		ip netns exec $ns tcpfo-stream server 127.0.0.1 7000 &
		srv=$!
		wait_for 10 ip netns exec $ns sh -c "ss -Htln | grep -q ':7000 '" || fail "server $i"
		ip netns exec $ns tcpfo-stream client 127.0.0.1 7000 --up 100000 --down 100000 --quiet ||
			fail "traffic in namespace $i failed"
		[ "$(status_num $ns packets_seen)" -gt 0 ] || fail "hooks not running in namespace $i"
		[ "$(status_num $ns services)" -eq 1 ] || fail "namespace $i does not show its one service"
		kill $srv; wait $srv 2>/dev/null
	fi
done
note "100 namespaces created"
[ "$(status_num '' services)" -eq 0 ] || fail "services leaked into the initial namespace"
i=0
while [ $i -lt 100 ]; do
	i=$((i + 1))
	ip netns del churn$i || fail "cannot delete namespace $i"
done
note "100 namespaces deleted"
# Namespace teardown is asynchronous: the module must still unload.
sleep 1
unload_tcpfo
exit 0
