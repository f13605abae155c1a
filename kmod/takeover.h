/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Takeover on the standby: locks on the tuples of standby flows, what the
 * peers reveal while locked, probes that make them reveal it, and the
 * activation of a locked standby flow as a tracked flow of this gateway.
 *
 * A lock is one object per standby flow id, reachable from the L1 tuple
 * and (if known) the L2 tuple through its own rhashtable, and by id
 * through an xarray. It is made, and its tuples hashed, when the record
 * is imported (tcpfo_takeover_prepare()), unlocked: so TAKEOVER_LOCK of
 * every flow is one flag (tcpfo_lock_table.all), whatever the number of
 * flows, and a takeover pays for no allocation or hashing. Membership
 * changes only in genl doits, under tcpfo_net.lock; the hooks look tuples
 * up under RCU, only while something is locked, and record into a locked
 * lock's seen data under lock->lock. Locks are freed with kfree_rcu().
 * The seen data lives in the lock, not in the standby record, so a record
 * replaced by FLOW_IMPORT keeps what its peers revealed.
 */
#ifndef _TCPFO_TAKEOVER_H
#define _TCPFO_TAKEOVER_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "flow.h"

struct netlink_ext_ack;
struct nf_hook_state;
struct sk_buff;
struct tcpfo_net;
struct tcpfo_pkt;

/* What one peer revealed on a locked tuple (TCPFO_SEEN_A_*). */
struct tcpfo_seen {
	u32	flags;		/* TCPFO_SEEN_* */
	u32	segs;
	u32	ack;
	u32	nxt;
	u32	win;		/* bytes, scaled */
	u32	tsval;
	u32	tsecr;
	u32	probe_tsval;	/* TCPFO_SEEN_PROBED_TS: the last probe's */
	bool	nxt_valid;
};

struct tcpfo_lock_node {
	struct rhash_head	rhead;
	struct tcpfo_tuple	key;
	u8			leg;	/* enum tcpfo_leg_id: index in lock */
};

struct tcpfo_lock {
	struct tcpfo_lock_node	node[TCPFO_NR_LEGS];
	struct rcu_head		rcu;
	unsigned long		id;	/* the standby flow's id */
	spinlock_t		lock;	/* seen, held, closed */
	struct tcpfo_seen	seen[TCPFO_NR_LEGS];
	/*
	 * The peers' data segments that arrived while locked (at most
	 * TCPFO_LOCK_HELD_MAX): a flow that resumes gets them delivered, so
	 * a retransmission that came meanwhile is not lost (its sender
	 * would wait for its next, backed-off, timeout). @closed: the lock
	 * is going; nothing more is held.
	 */
	struct sk_buff_head	held;
	bool			closed;
	/*
	 * The round trip of each leg's probe: when the last one went
	 * (ktime_get_ns(), 0: none yet) and how long the peer took to send
	 * anything after it (microseconds, 0: no answer yet). It seeds the
	 * new socket's first retransmission timeout.
	 */
	u64			probe_ns[TCPFO_NR_LEGS];
	u32			rtt_us[TCPFO_NR_LEGS];
	/*
	 * Copied from the standby record at each import until the lock is
	 * locked (then kept): what the hook needs without looking at the
	 * record (which may be replaced).
	 */
	union tcpfo_addr	peer_addr[TCPFO_NR_LEGS];
	__be16			peer_port[TCPFO_NR_LEGS];
	u8			peer_wscale[TCPFO_NR_LEGS]; /* 0 if not agreed */
	/* Under tcpfo_net.lock. */
	bool			hashed[TCPFO_NR_LEGS];
	bool			activated;
	/* Locked by id (TAKEOVER_LOCK with this id); see tcpfo_lock_table.all. */
	bool			locked;
	/* Under tcpfo_net.lock: the record's import order (latest wins a
	 * tuple), and whether a leg the record knows is not hashed (then on
	 * tcpfo_lock_table.pending).
	 */
	bool			on_pending;
	u64			import_seq;
	struct list_head	pending;
};

static inline struct tcpfo_lock *tcpfo_lock_node_lock(struct tcpfo_lock_node *n)
{
	return container_of(n - n->leg, struct tcpfo_lock, node[0]);
}

struct tcpfo_lock_table {
	struct rhashtable	ht;	/* tcpfo_tuple -> tcpfo_lock_node */
	struct xarray		by_id;	/* standby flow id -> tcpfo_lock */
	atomic_t		count;	/* locks (one per standby flow) */
	atomic_t		locked;	/* locks with @locked set */
	/*
	 * Every lock is locked (TAKEOVER_LOCK without a flow), until UNLOCK
	 * without a flow or the last lock goes.
	 */
	bool			all;
	bool			ht_ready;
	/* Under tcpfo_net.lock: locks missing a tuple their record knows. */
	struct list_head	pending;
	/* Under tcpfo_net.lock: a record may have no lock (out of memory). */
	bool			unprepared;
};

/* Whether anything is locked: if not, the hooks skip it all. */
static inline bool tcpfo_takeover_active(const struct tcpfo_lock_table *tt)
{
	return READ_ONCE(tt->all) || atomic_read(&tt->locked);
}

/*
 * Acquire: a hook that sees a lock locked sees what was set before it was
 * (the peer, its window scale).
 */
static inline bool tcpfo_lock_is_locked(const struct tcpfo_lock_table *tt,
					const struct tcpfo_lock *lk)
{
	return smp_load_acquire(&lk->locked) || smp_load_acquire(&tt->all);
}

int tcpfo_takeover_init(struct tcpfo_net *tn);
/*
 * Namespace pre-exit, hooks unregistered: the held segments go now (they
 * hold conntrack references that other subsystems' exits wait for).
 */
void tcpfo_takeover_pre_exit(struct tcpfo_net *tn);
/* Namespace exit: hooks gone, a grace period passed. Frees every lock. */
void tcpfo_takeover_exit(struct tcpfo_net *tn);

#define TCPFO_LOCK_HELD_MAX	64

/* Hook verdict meaning "not a locked tuple: carry on". */
#define TCPFO_TAKEOVER_PASS	(~0U)

/*
 * From the hooks, only while tcpfo_takeover_active(): a segment on a
 * locked tuple arriving (recorded, NF_DROP) or a socket's RST leaving
 * (NF_DROP). TCPFO_TAKEOVER_PASS for everything else. Under RCU.
 */
unsigned int tcpfo_takeover_hook(struct tcpfo_net *tn, struct sk_buff *skb,
				 const struct nf_hook_state *state,
				 const struct tcpfo_pkt *pkt);

/* Resume state of TAKEOVER_ACTIVATE, by leg where per leg. */
struct tcpfo_resume {
	u64	released[2];	/* by enum tcpfo_dir */
	u64	fin[2];
	bool	fin_seen[2];
	u32	right_edge[TCPFO_NR_LEGS];
	u32	ts_sent[TCPFO_NR_LEGS];
	u32	ts_recent[TCPFO_NR_LEGS];
	bool	right_edge_valid[TCPFO_NR_LEGS];
	bool	ts_sent_valid[TCPFO_NR_LEGS];
	bool	ts_recent_valid[TCPFO_NR_LEGS];
};

struct tcpfo_standby_flow;

/*
 * A standby record was stored (FLOW_IMPORT): make its lock if it has none
 * and hash the tuples the record knows, unlocked. The latest import holds
 * a tuple: a lock of another record holding it loses it unless that one
 * is locked (a flow that closed and a new one on the same tuple, whose
 * record came before the old one's removal). A tuple not hashed now is
 * tried again at TAKEOVER_LOCK of every flow. -ENOMEM only (no lock could
 * be made; TAKEOVER_LOCK of every flow tries again). Caller holds
 * tn->lock.
 */
int tcpfo_takeover_prepare(struct tcpfo_net *tn,
			   const struct tcpfo_standby_flow *sf,
			   struct netlink_ext_ack *extack);
/*
 * The standby record @id was removed (FLOW_FORGET): its lock goes unless
 * it is locked (an UNLOCK frees it). @all: every record was removed.
 * Caller holds tn->lock.
 */
void tcpfo_takeover_forget(struct tcpfo_net *tn, bool all, unsigned long id);
/* TAKEOVER_LOCKED of the status: how many flows are locked. */
unsigned int tcpfo_takeover_locked_count(struct tcpfo_net *tn);

/*
 * The operations behind the TAKEOVER_* commands. Caller holds
 * tcpfo_net.lock. @all: every standby flow (LOCK) or every locked flow
 * (PROBE, UNLOCK), @id ignored. Errors carry an extack message.
 */
int tcpfo_takeover_lock(struct tcpfo_net *tn, bool all, unsigned long id,
			struct netlink_ext_ack *extack);
int tcpfo_takeover_probe(struct tcpfo_net *tn, bool all, unsigned long id,
			 s32 ts_ahead, struct netlink_ext_ack *extack);
int tcpfo_takeover_activate(struct tcpfo_net *tn, unsigned long id,
			    const struct tcpfo_resume *rs,
			    struct netlink_ext_ack *extack);
int tcpfo_takeover_unlock(struct net *net, struct tcpfo_net *tn, bool all,
			  unsigned long id, bool reset,
			  struct netlink_ext_ack *extack);

/*
 * For dumps, under RCU: whether standby flow @id is locked, and if so a
 * copy of what its peers revealed and which legs are locked.
 */
bool tcpfo_takeover_seen(struct tcpfo_net *tn, unsigned long id,
			 struct tcpfo_seen seen[TCPFO_NR_LEGS],
			 bool locked[TCPFO_NR_LEGS]);

#endif /* _TCPFO_TAKEOVER_H */
