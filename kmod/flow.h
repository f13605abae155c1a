/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracked flows: one per proxied connection, made of the client leg (L1)
 * and the server leg (L2). Each flow is reachable from the 4-tuple of
 * either leg (two hash nodes per flow) and, for dumps and the reaper, by
 * its id.
 *
 * Locking: lookups run under RCU. Membership of the hash table and the id
 * index changes under tcpfo_flow_table.lock; the mutable state of a flow
 * under flow->lock. Order: flow->lock, then tcpfo_flow_table.lock. Both are
 * taken with BHs off (hooks run in process and softirq context). Flows are
 * freed with kfree_rcu().
 */
#ifndef _TCPFO_FLOW_H
#define _TCPFO_FLOW_H

#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/tcpfo.h>

#include "seq.h"
#include "service.h"

struct tcpfo_net;
struct tcpfo_service;

/*
 * Legs, and the direction each leg's peer sends: the client sends c2s on
 * L1, the server s2c on L2. So R[leg] is the released point of the bytes
 * the peer of that leg sends, and the peer of leg L acknowledges the
 * direction !L.
 */
enum tcpfo_leg_id {
	TCPFO_L1 = 0,
	TCPFO_L2 = 1,
	TCPFO_NR_LEGS,
};

enum tcpfo_dir {
	TCPFO_C2S = TCPFO_L1,
	TCPFO_S2C = TCPFO_L2,
};

/*
 * A leg's 4-tuple as the hash key: the two endpoints in canonical order
 * (lower address, then lower port, first), so segments in both directions
 * build the same key. Fixed size, fully initialised.
 */
struct tcpfo_tuple {
	union tcpfo_addr	addr[2];
	__be16			port[2];
	u8			family;
	u8			pad[3];
};

struct tcpfo_flow_node {
	struct rhash_head	rhead;
	struct tcpfo_tuple	key;
	u8			leg;	/* enum tcpfo_leg_id: index in flow */
};

/*
 * What is known of one leg. "gw" is the gateway's socket, "peer" the
 * client (L1) or the server (L2). Sequence numbers of the gateway's stream
 * on this leg and of the peer's are kept apart by name. Under flow->lock.
 */
struct tcpfo_leg {
	union tcpfo_addr	local_addr;	/* VIP or back address */
	union tcpfo_addr	peer_addr;
	__be16			local_port;
	__be16			peer_port;

	/* Handshake. */
	u32	peer_isn;
	u32	gw_isn;
	u16	peer_mss;
	u8	peer_wscale;		/* as offered, capped at 14 */
	u8	gw_wscale;
	u8	peer_opts;		/* TCPFO_OPT_* offered in its SYN */
	u8	gw_opts;
	bool	peer_syn_seen;
	bool	gw_syn_seen;

	/* From the gateway's socket (LOCAL_OUT). */
	u32	rcv_nxt;	/* N: highest ack it put in a segment */
	u32	snd_nxt;	/* highest end sequence sent, SYN/FIN included */
	u32	ts_sent;	/* highest TSval sent */
	u32	txhash;		/* its flow hash (sk_txhash), 0 if unknown */
	unsigned long ts_sent_at;	/* jiffies when ts_sent was sent */
	bool	rcv_nxt_valid;
	bool	ts_sent_valid;

	/* What the peer was told: the last segment let out, socket or ours. */
	u32	ack_sent;
	u32	right_edge;	/* ack_sent + (win_sent << wscale) */
	u32	edge_max;	/* furthest right edge ever announced */
	u32	tsecr_sent;
	u16	win_sent;
	bool	sent_any;
	/* The peer probed (keepalive, zero window): answer it, never drop. */
	bool	answer_due;
	/* SACK ranges above ack_sent the peer was told: acks avoid them. */
	struct tcpfo_sacked sacked;

	/* From the peer (PRE_ROUTING), plausible segments only. */
	u32	ts_recent;	/* newest TSval */
	u32	peer_ack;	/* highest ack */
	u32	peer_end;	/* highest end sequence */
	bool	ts_recent_valid;
	bool	peer_ack_valid;
};

/* TCPFO_OPT_* a SYN or SYN-ACK offered. */
static inline u8 tcpfo_opts_offered(const struct tcpfo_tcp_opts *o)
{
	return (o->sack_perm ? TCPFO_OPT_SACK : 0) |
	       (o->has_ts ? TCPFO_OPT_TIMESTAMP : 0) |
	       (o->has_wscale ? TCPFO_OPT_WSCALE : 0);
}

/* Options both ends of the leg agreed on (TCPFO_OPT_*). */
static inline u8 tcpfo_leg_opts(const struct tcpfo_leg *leg)
{
	return leg->peer_opts & leg->gw_opts;
}

/* The gateway's receive window scale on the leg, as the peer applies it. */
static inline u8 tcpfo_leg_gw_wscale(const struct tcpfo_leg *leg)
{
	return tcpfo_leg_opts(leg) & TCPFO_OPT_WSCALE ? leg->gw_wscale : 0;
}

/*
 * A TSval the socket sent on the leg. Releases reuse the highest: a
 * socket's TSvals never decrease in the order it sends, but they may lag
 * its clock (stamped once per tcp_write_xmit() run; measured up to ~20 ms
 * under TCG), so anything extrapolated from the clock can be ahead of the
 * socket's next segment, which the peer's PAWS check would then drop.
 */
static inline void tcpfo_leg_note_tsval(struct tcpfo_leg *leg, u32 tsval)
{
	if (!leg->ts_sent_valid || !tcpfo_seq_before(tsval, leg->ts_sent)) {
		leg->ts_sent = tsval;
		leg->ts_sent_at = jiffies;
	}
	leg->ts_sent_valid = true;
}

/* Both SYNs of the leg seen: its sequence spaces are known. */
static inline bool tcpfo_leg_synced(const struct tcpfo_leg *leg)
{
	return leg->peer_syn_seen && leg->gw_syn_seen;
}

struct tcpfo_syn_info {
	union tcpfo_addr	saddr;
	union tcpfo_addr	daddr;
	__be16			sport;
	__be16			dport;
	u8			family;
	u32			isn;
	u16			mss;
	u8			wscale;
	u8			opts;		/* TCPFO_OPT_* offered */
	u32			tsval;
};

struct tcpfo_flow {
	struct tcpfo_flow_node	node[TCPFO_NR_LEGS];
	struct rcu_head		rcu;
	unsigned long		id;		/* creation order; dump cursor */
	struct tcpfo_net	*tn;		/* its namespace's state */
	spinlock_t		lock;

	/* Under tcpfo_flow_table.lock. */
	bool			hashed[TCPFO_NR_LEGS];
	bool			indexed;	/* in tcpfo_flow_table.by_id */
	/* Unhashed: segments pass unchanged; the reaper frees it. */
	bool			unlinked;
	unsigned long		unlinked_at;	/* jiffies */
	/*
	 * Fenced (fence.h): its segments are dropped both ways until the
	 * reaper frees it fenced_timeout after fenced_at. Never cleared;
	 * READ_ONCE() in the hooks.
	 */
	bool			fenced;
	unsigned long		fenced_at;	/* jiffies */

	/* Under flow->lock; READ_ONCE() where read without it. */
	u8			family;
	u8			state;		/* enum tcpfo_flow_state */
	bool			paired;
	bool			fin_seen[2];	/* by enum tcpfo_dir */
	unsigned long		last_active;	/* jiffies */
	unsigned long		state_since;	/* jiffies */
	u64			released[2];	/* R, by enum tcpfo_dir */
	/* Sync mode: the released points the standby has stored. */
	u64			confirmed[2];
	/*
	 * Sync mode: the legs whose handshake the standby has stored
	 * (TCPFO_STORED_L1 / _L2). Until it has, the gateway's segments that
	 * would acknowledge that leg's peer's SYN wait in @held (the L1
	 * SYN-ACK; on L2 the handshake's ACK and what follows it): no peer
	 * learns of a flow the standby does not know.
	 */
	u8			stored_legs;
	struct sk_buff_head	held;		/* under flow->lock */
	u64			fin[2];		/* FIN offset, by direction */
	struct tcpfo_leg	leg[TCPFO_NR_LEGS];
	/*
	 * A SYN with another ISN on the L1 tuple of a flow that looks open:
	 * if the gateway answers it, the flow was stale and is replaced.
	 */
	struct tcpfo_syn_info	resyn;
	bool			resyn_valid;
	char			service[TCPFO_SERVICE_NAME_MAX];
};

static inline struct tcpfo_flow *tcpfo_node_flow(struct tcpfo_flow_node *n)
{
	return container_of(n - n->leg, struct tcpfo_flow, node[0]);
}

struct tcpfo_flow_table {
	struct rhashtable	ht;	/* tcpfo_tuple -> tcpfo_flow_node */
	struct xarray		by_id;	/* id -> flow: dumps, reaper */
	spinlock_t		lock;	/* membership of ht and by_id, gen */
	unsigned long		next_id;
	/* Changes on every insert and removal (never 0): dump consistency. */
	unsigned int		gen;
	struct delayed_work	gc;
	bool			ht_ready;
};

/*
 * How far the peer that sends @dir may be acknowledged: R, and in sync
 * mode no further than the standby confirmed. Caller holds flow->lock.
 */
u64 tcpfo_flow_ackable(const struct tcpfo_flow *flow, unsigned int dir);

/* Segments held per flow at most; more are dropped (TCP sends them again). */
#define TCPFO_HELD_MAX	32

/*
 * Sync mode, caller holds flow->lock: whether a segment the gateway sends
 * on @legid must wait for the standby to store that leg's handshake.
 */
bool tcpfo_flow_must_hold(const struct tcpfo_flow *flow, unsigned int legid);

/*
 * Caller holds flow->lock: keep @skb (from LOCAL_OUT) until the standby
 * stored the flow. Returns NF_STOLEN, or NF_DROP if it cannot be kept.
 */
unsigned int tcpfo_flow_hold(struct tcpfo_flow *flow, struct sk_buff *skb);

/*
 * Caller holds flow->lock: take the held segments that may go now (all
 * of them if @all, e.g. out of sync mode) onto @list. An unlinked flow's
 * are dropped instead.
 */
void tcpfo_flow_take_held(struct tcpfo_flow *flow, bool all,
			  struct sk_buff_head *list);

/* Send segments taken with tcpfo_flow_take_held(); no locks held. */
void tcpfo_flow_send_held(struct tcpfo_net *tn, u8 family,
			  struct sk_buff_head *list);

/* Module parameters (flow.c). */
extern unsigned int tcpfo_max_flows;

int tcpfo_flows_init(struct tcpfo_net *tn);
void tcpfo_flows_exit(struct tcpfo_net *tn);

void tcpfo_tuple_init(struct tcpfo_tuple *t, u8 family,
		      const union tcpfo_addr *saddr, __be16 sport,
		      const union tcpfo_addr *daddr, __be16 dport);

/*
 * The established (or time-wait) socket of one leg in @net, with a
 * reference (sock_gen_put() it), or NULL.
 */
struct sock *tcpfo_leg_socket(struct net *net, u8 family,
			      const struct tcpfo_leg *leg);

/* Caller holds rcu_read_lock(). */
struct tcpfo_flow_node *tcpfo_flow_lookup(struct tcpfo_net *tn,
					  const struct tcpfo_tuple *key);


/* A client SYN to the service named @service: a new flow, or NULL. */
struct tcpfo_flow *tcpfo_flow_create(struct tcpfo_net *tn, const char *service,
				     const struct tcpfo_syn_info *syn);

/*
 * A zeroed flow with its lock, queue and service name set up, in state
 * SYN_RECV, neither counted nor hashed (kfree() it if unused).
 */
struct tcpfo_flow *tcpfo_flow_new(struct tcpfo_net *tn, u8 family,
				  const char *service, gfp_t gfp);

/*
 * Track a flow built elsewhere (a takeover: both legs filled in, tuples
 * set in leg[].local_* / peer_*) under @id: both tuples hashed at once.
 * -EEXIST if a tracked flow holds one of them, -EBUSY if @id is taken,
 * -ENOSPC beyond max_flows; the caller still owns @flow on error.
 */
int tcpfo_flow_adopt(struct tcpfo_net *tn, struct tcpfo_flow *flow,
		     unsigned long id);

/* Caller holds flow->lock: state change, with its timestamp. */
void tcpfo_flow_set_state(struct tcpfo_flow *flow, u8 state);

/*
 * Remove both tuples from the hash table: segments of the flow pass
 * unchanged from now on, and a new connection on the same tuple can be
 * tracked. The reaper frees the flow after its grace period. Any context.
 */
void tcpfo_flow_unlink(struct tcpfo_net *tn, struct tcpfo_flow *flow);

/* Insert the L2 tuple of @flow. -EEXIST if a flow that is not closed
 * holds it, -ENOENT if @flow is going away. Caller holds flow->lock.
 */
int tcpfo_flow_hash_l2(struct tcpfo_net *tn, struct tcpfo_flow *flow);

/* Unlink and free now (FLOW_DEL). Caller holds rcu_read_lock(). Returns
 * -ENOENT if someone else removed it first.
 */
int tcpfo_flow_delete(struct tcpfo_net *tn, struct tcpfo_flow *flow);

/*
 * Fence @flow (fence.h) unless it is finished (closed, reset, unlinked)
 * or fenced already; true if this call fenced it. Any context.
 */
bool tcpfo_flow_fence(struct tcpfo_net *tn, struct tcpfo_flow *flow);

/* Fence every tracked flow that is not finished; returns how many. */
unsigned int tcpfo_flows_fence(struct tcpfo_net *tn);

/* A fenced flow's legs, for lifting the fence (fence.c). */
struct tcpfo_fenced_legs {
	unsigned long		id;
	u8			family;
	struct tcpfo_leg	leg[TCPFO_NR_LEGS];
};

/* Up to @max fenced flows' legs; returns how many were copied. */
unsigned int tcpfo_flows_fenced_legs(struct tcpfo_net *tn,
				     struct tcpfo_fenced_legs *out,
				     unsigned int max);

/* Free the fenced flow @id; false if there is none. */
bool tcpfo_flow_free_fenced(struct tcpfo_net *tn, unsigned long id);

/* A snapshot of a flow for dumps, taken under flow->lock. */
struct tcpfo_flow_info {
	struct tcpfo_leg	leg[TCPFO_NR_LEGS];
	unsigned long		id;
	u64			released[2];
	u64			fin[2];
	u32			idle_ms;
	u8			family;
	u8			state;
	bool			paired;
	bool			fin_seen[2];
	bool			fenced;
	char			service[TCPFO_SERVICE_NAME_MAX];
};

void tcpfo_flow_snapshot(struct tcpfo_flow *flow, struct tcpfo_flow_info *info);

#endif /* _TCPFO_FLOW_H */
