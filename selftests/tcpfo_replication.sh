#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Replication to the standby (async mode), judged from both modules' flow
# tables:
#  - strangers on the state port (garbage, a primary with the wrong key)
#    are refused and logged; the standby keeps running;
#  - with the right key the primary's flows appear on the standby, and
#    once traffic is frozen the standby's table matches the primary's
#    exactly (ids, tuples, ISNs, options, released points, FIN state);
#  - when the flows end, both tables drain to empty.
# timeout: 300
. ./lib.sh

load_tcpfo
proxy_topology
start_backend
standby_topology
echo ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff > /tmp/wrong.key
# The emulated VM stalls for tens of ms under load: 1 s of silence.
start_standby async 100ms 10

# 1. Garbage on the state port.
ip netns exec gw tcpfo-stream client $SL_SB $SL_PORT --up 100000 --quiet >/dev/null 2>&1
wait_for 10 grep -q "refused: not a tcpfo state link frame" /tmp/gw2.log ||
	{ cat /tmp/gw2.log; fail "garbage was not refused"; }
note "garbage: $(grep -m1 'refused' /tmp/gw2.log)"

# 1b. A truncated frame: a valid header announcing 64 bytes, then 3 and EOF.
ip netns exec gw bash -c "printf 'TF\\001\\004\\000\\000\\000\\100\\000\\000\\000\\000\\000\\000\\000\\001abc' > /dev/tcp/$SL_SB/$SL_PORT" ||
	fail "could not send a truncated frame"
wait_for 10 grep -q "refused: connection closed inside a frame" /tmp/gw2.log ||
	{ cat /tmp/gw2.log; fail "the truncated frame was not refused"; }
note "truncated: $(grep -m1 'inside a frame' /tmp/gw2.log)"

# 2. A primary with the wrong key.
primary_conf async 100ms 10 /tmp/wrong.key > /tmp/gw-wrong.conf
ip netns exec gw failoverd --config /tmp/gw-wrong.conf > /tmp/gw-wrong.log 2>&1 &
WRONG=$!
wait_for 10 grep -q "hello authentication failed" /tmp/gw2.log ||
	{ cat /tmp/gw2.log; fail "wrong key was not refused"; }
note "wrong key: $(grep -m1 'authentication failed' /tmp/gw2.log)"
grep -q "state link: up" /tmp/gw-wrong.log && fail "a primary with the wrong key got a session"
kill $WRONG; wait $WRONG
kill -0 $SB_PID || fail "the standby died"

# 3. The real primary.
primary_conf async 100ms 10 > /tmp/gw.conf
ip netns exec gw failoverd --config /tmp/gw.conf > /tmp/failoverd.log 2>&1 &
GW_PID=$!
wait_for 20 grep -q "state link: up with standby" /tmp/failoverd.log ||
	{ cat /tmp/failoverd.log /tmp/gw2.log; fail "no session with the standby"; }
wait_for 10 grep -q "state link: full sync done" /tmp/gw2.log ||
	{ cat /tmp/gw2.log; fail "no full sync on the standby"; }

# Flows in both directions, IPv4 and IPv6, sending until told to stop.
pids=
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	if [ $((i % 2)) -eq 0 ]; then vip=$VIP4; else vip=$VIP6; fi
	ip netns exec client tcpfo-stream client $vip $VPORT --duration 60 --down 300000 --seed $i --quiet > /tmp/rep$i.out 2>&1 &
	pids="$pids $!"
done
wait_for 30 sh -c "[ \"\$(ip netns exec gw tcpfoctl -j flows | jq '[.[] | select(.state == \"established\")] | length')\" = 20 ]" ||
	{ ip netns exec gw tcpfoctl flows; fail "20 established flows expected on the primary"; }
wait_for 10 sh -c "[ \"\$(ip netns exec gw2 tcpfoctl -j flows | jq '[.[] | select(.standby)] | length')\" = 20 ]" ||
	{ ip netns exec gw2 tcpfoctl flows; tail -20 /tmp/gw2.log; fail "the standby does not hold the 20 flows"; }
note "standby holds 20 flows while they move"
# The lag while they move: sampled through tcpfoctl peer.
peer() { ip netns exec $1 tcpfoctl --control-socket /run/tcpfo/$1.sock -j peer; }
[ "$(peer gw | jq -r .link)" = up ] || { peer gw; fail "tcpfoctl peer: link not up on the primary"; }
[ "$(peer gw2 | jq -r .link)" = up ] || { peer gw2; fail "tcpfoctl peer: link not up on the standby"; }
[ "$(peer gw | jq .synced)" = true ] || { peer gw; fail "tcpfoctl peer: the primary does not say synced"; }
[ "$(peer gw2 | jq .synced)" = true ] || { peer gw2; fail "tcpfoctl peer: the standby does not say synced"; }
maxlag=0
for k in 1 2 3 4 5 6 7 8 9 10; do
	l=$(peer gw | jq .lag_bytes)
	[ "$l" -gt $maxlag ] && maxlag=$l
	sleep 0.2
done
note "lag while moving: at most $maxlag bytes unacknowledged by the standby (10 samples)"
ip netns exec gw tcpfoctl --control-socket /run/tcpfo/gw.sock peer | sed 's/^/# /'

# Freeze: stop the clients (they neither send nor read) and the server;
# once nothing moves, the tables must match exactly.
# Every tcpfo-stream: the clients and the stream servers.
killall -STOP tcpfo-stream
tables_match 30 || fail "the standby's table does not match the primary's"
note "frozen: standby matches the primary on $(jq length /tmp/primary.json) flows ($(jq '[.[].released_c2s] | add' /tmp/primary.json) bytes released c2s in all)"
[ "$(jq length /tmp/primary.json)" = 20 ] || fail "expected 20 flows in the comparison"

# End the flows: resume, tell the clients to stop sending, let them finish.
killall -CONT tcpfo-stream
for p in $pids; do kill -USR1 $p; done
bad=0
for p in $pids; do wait $p || bad=$((bad + 1)); done
[ $bad = 0 ] || { cat /tmp/rep*.out | head; fail "$bad streams failed"; }
wait_for 60 sh -c "[ \"\$(ip netns exec gw tcpfoctl -j flows | jq length)\" = 0 ]" ||
	{ ip netns exec gw tcpfoctl flows; fail "primary did not drain"; }
wait_for 10 sh -c "[ \"\$(ip netns exec gw2 tcpfoctl -j flows | jq length)\" = 0 ]" ||
	{ ip netns exec gw2 tcpfoctl flows; fail "standby did not drain after the primary"; }
note "both tables empty after the flows ended"
n=0
while [ "$(peer gw | jq '.lag_frames + .lag_flows + .lag_bytes')" != 0 ]; do
	n=$((n + 1)); [ $n -lt 50 ] || { peer gw; fail "replication lag did not drain to zero"; }
	sleep 0.2
done
note "lag drained to zero: $(peer gw | jq -c '{lag_frames, lag_flows, lag_bytes, last_heartbeat_ms}')"
kill -0 $SB_PID || fail "the standby died"
kill -USR1 $GW_PID; sleep 0.5
grep "state link: sessions" /tmp/failoverd.log | tail -1 | sed 's/^/# /'
kill $GW_PID; wait $GW_PID
kill $SB_PID; wait $SB_PID
exit 0
