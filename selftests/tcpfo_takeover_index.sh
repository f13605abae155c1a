#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The standby's takeover index: each standby record's lock is made, and its
# tuples indexed, when the record is imported, so TAKEOVER_LOCK of every
# flow is one flag whatever the number of flows. Judged by what happens
# to real SYNs on the records' tuples (curl from a fixed source port, to
# a VIP with no listener: the stack answers RST, "connection refused",
# unless the tuple is locked, when the SYN is recorded and dropped):
#  - imported records do not touch traffic until TAKEOVER_LOCK: refused;
#  - a tuple imported twice (a flow that closed and a new one on the same
#    tuple, whose record came before the old one's removal: the relay's
#    sync sends new records before removals) belongs to the later record:
#    after TAKEOVER_LOCK of every flow the SYN is recorded as the later
#    flow's, and locking did not fail on the pair (it did, EEXIST, when
#    the locks were made at TAKEOVER_LOCK);
#  - a record imported while every flow is locked is locked too;
#  - UNLOCK without a flow lifts it all (refused again) and the next
#    TAKEOVER_LOCK starts from nothing seen;
#  - FLOW_FORGET of an unlocked record removes its lock with it (a later
#    record on its tuple is not hampered, and no stale lock holds it);
#  - a record that lost its tuple to a later import gets it back at
#    TAKEOVER_LOCK once that later record is gone (else its segments
#    would reach the stack, which answers RST);
#  - UNLOCK of every flow makes the locks again without changing who
#    holds a tuple: the latest import, whatever the ids' order;
#  - once the last lock is gone (each flow unlocked by id, as a takeover
#    does), records imported later are not locked;
#  - with 2,000 records, TAKEOVER_LOCK of every flow takes no longer than
#    of one (shown, not judged: timing under TCG is noisy; the bench
#    measures the takeover).
# timeout: 240
. ./lib.sh

load_tcpfo
veth_pair tcl tgw 9
CL=10.9.0.1; VIP=10.9.0.2; VP=7000

nl() { ip netns exec tgw tcpfo-nlprobe "$@"; }
expect() { nlprobe_expect tgw "$@"; }
# syn PORT: curl's exit code for a connection from CL:PORT to the VIP:
# 7 refused (the stack answered RST), 28 no answer within 3 s.
syn() {
	ip netns exec tcl curl -s -o /dev/null --connect-timeout 3 --local-port "$1" \
		"http://$VIP:$VP/" > /dev/null 2>&1
	echo $?
}
locked() { nl takeover-status | awk '{ print $2 }'; }

expect 0 import 101 $CL 40001 $VIP $VP
expect 0 import 102 $CL 40001 $VIP $VP
expect 0 import 103 $CL 40002 $VIP $VP
[ "$(locked)" = 0 ] || fail "records imported, none locked: status says $(locked)"
r=$(syn 40001)
[ "$r" = 7 ] || fail "before any lock a SYN on an imported tuple must be refused by the stack: curl $r"
note "before the lock: refused (imported records do not touch traffic)"

expect 0 lock
[ "$(locked)" = 3 ] || fail "after TAKEOVER_LOCK of every flow: status says $(locked) locked, expected 3"
r=$(syn 40001)
[ "$r" = 28 ] || fail "after TAKEOVER_LOCK a SYN on a locked tuple must get no answer: curl $r"
seen=$(nl seen)
note "$seen"
echo "$seen" | grep -q '^seen 102 l1 flags=[a-z+]*syn segs=[1-9]' ||
	fail "the SYN on the twice-imported tuple was not recorded as the later record's (102)"
echo "$seen" | grep -q '^seen 101 ' &&
	fail "the earlier record (101) still holds the tuple a later record took"

# Imported while every flow is locked: locked at once.
expect 0 import 104 $CL 40004 $VIP $VP
r=$(syn 40004)
[ "$r" = 28 ] || fail "a record imported while every flow is locked was not locked: curl $r"
nl seen | grep -q '^seen 104 l1 flags=[a-z+]*syn segs=[1-9]' ||
	fail "the SYN on the record imported while locked was not recorded"

expect 0 unlock
[ "$(locked)" = 0 ] || fail "after UNLOCK of every flow: status says $(locked) locked"
r=$(syn 40001)
[ "$r" = 7 ] || fail "after UNLOCK of every flow a SYN must be refused again: curl $r"
expect 0 lock
seen=$(nl seen)
note "$seen"
echo "$seen" | grep -q '^seen 102 l1 flags=none segs=0' ||
	fail "after UNLOCK and LOCK again, the lock of 102 did not start from nothing seen"
expect 0 unlock

# Forgetting an unlocked record removes its lock: a new record on its
# tuple holds it, and after forgetting that one too nothing does.
expect 0 forget 103
expect 0 import 105 $CL 40002 $VIP $VP
expect 0 forget 105
expect 0 lock
r=$(syn 40002)
[ "$r" = 7 ] || fail "a forgotten record's tuple is still locked: curl $r"
expect 0 unlock
expect 0 forget

# 102 takes the tuple of 101 (a later import), 101 takes it back (its
# record imported again), 101 goes: at the lock 102 must hold it.
expect 0 import 101 $CL 40001 $VIP $VP
expect 0 import 102 $CL 40001 $VIP $VP
expect 0 import 101 $CL 40001 $VIP $VP
expect 0 forget 101
expect 0 lock
r=$(syn 40001)
[ "$r" = 28 ] || fail "a record whose tuple came free again was not locked on it: curl $r"
nl seen | grep -q '^seen 102 l1 flags=[a-z+]*syn segs=[1-9]' ||
	fail "the SYN on the tuple that came free was not recorded as 102's"
expect 0 unlock
expect 0 forget

# The later import has the lower id: after UNLOCK of every flow it still
# holds the tuple.
expect 0 import 110 $CL 40010 $VIP $VP
expect 0 import 109 $CL 40010 $VIP $VP
expect 0 lock
expect 0 unlock
expect 0 lock
r=$(syn 40010)
[ "$r" = 28 ] || fail "the tuple imported twice is not locked after UNLOCK and LOCK: curl $r"
seen=$(nl seen)
echo "$seen" | grep -q '^seen 109 l1 flags=[a-z+]*syn segs=[1-9]' ||
	{ note "$seen"; fail "after UNLOCK and LOCK the tuple went to 110, not to the later import (109)"; }
expect 0 unlock
expect 0 forget

# The last lock gone: no longer every flow locked.
expect 0 import 120 $CL 40020 $VIP $VP
expect 0 lock
expect 0 unlock 120
expect 0 import 121 $CL 40021 $VIP $VP
r=$(syn 40021)
[ "$r" = 7 ] || fail "after the last lock went, a record imported later is still locked: curl $r"
[ "$(locked)" = 0 ] || fail "after the last lock went: status says $(locked) locked"
expect 0 forget

# Many records: LOCK of every flow and of one, timed (shown only).
t0=$(date +%s%N)
expect 0 import 1000 $CL 20000 $VIP $VP 2000
t1=$(date +%s%N)
note "2000 records imported in $(( (t1 - t0) / 1000000 )) ms"
t0=$(date +%s%N); expect 0 lock 1000; t1=$(date +%s%N)
one=$(( (t1 - t0) / 1000 ))
expect 0 unlock
t0=$(date +%s%N); expect 0 lock; t1=$(date +%s%N)
all=$(( (t1 - t0) / 1000 ))
[ "$(locked)" = 2000 ] || fail "TAKEOVER_LOCK of 2000 records: status says $(locked) locked"
note "TAKEOVER_LOCK of one flow: $one us, of 2000 flows: $all us (a process start included in both)"
r=$(syn 21999)
[ "$r" = 28 ] || fail "the last of 2000 records is not locked: curl $r"
expect 0 unlock
expect 0 forget
exit 0
