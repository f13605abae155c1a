// SPDX-License-Identifier: GPL-2.0
/*
 * Takeover on the standby (see takeover.h and the TAKEOVER_* commands in
 * the uapi header).
 *
 * Once the primary is gone, failoverd locks the standby flows: from then
 * on every segment the peers send on their tuples is recorded and dropped
 * in PRE_ROUTING, before the flow table and the SYN path look at it, so
 * neither a listener nor the half-built repaired sockets see it and the
 * stack answers nothing (an ACK meeting the VIP's listener or no socket
 * would draw an RST that kills the client's connection). RSTs the stack
 * sends on locked tuples anyway are dropped in LOCAL_OUT.
 *
 * Probes make the peers talk: one byte they already have, which TCP
 * answers at once with a duplicate ACK (not rate limited: it carries
 * data) showing its rcv_nxt, snd_nxt, window and TSval. From that and the
 * standby record failoverd builds the sockets, then ACTIVATE turns the
 * record into a tracked flow, and UNLOCK lets the peers' segments through
 * to the new sockets. A flow that cannot be taken over is reset instead
 * (UNLOCK with RESET), at the point the peer revealed, so it is accepted.
 */

#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/rhashtable.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/netlink.h>
#include <net/tcp.h>

#include "hooks.h"
#include "netns.h"
#include "seq.h"
#include "standby.h"
#include "takeover.h"
#include "xmit.h"

static const struct rhashtable_params tcpfo_lock_rht_params = {
	.head_offset		= offsetof(struct tcpfo_lock_node, rhead),
	.key_offset		= offsetof(struct tcpfo_lock_node, key),
	.key_len		= sizeof(struct tcpfo_tuple),
	.automatic_shrinking	= true,
};

int tcpfo_takeover_init(struct tcpfo_net *tn)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	int err;

	xa_init(&tt->by_id);
	atomic_set(&tt->count, 0);
	atomic_set(&tt->locked, 0);
	tt->all = false;
	tt->unprepared = false;
	INIT_LIST_HEAD(&tt->pending);
	err = rhashtable_init(&tt->ht, &tcpfo_lock_rht_params);
	if (err)
		return err;
	tt->ht_ready = true;
	return 0;
}

void tcpfo_takeover_exit(struct tcpfo_net *tn)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	struct tcpfo_lock *lk;
	unsigned long id;

	/* No hook runs any more and no doit reaches a dying namespace. */
	if (tt->ht_ready) {
		rhashtable_destroy(&tt->ht);
		tt->ht_ready = false;
	}
	xa_for_each(&tt->by_id, id, lk) {
		xa_erase(&tt->by_id, id);
		atomic_dec(&tt->count);
		if (lk->locked)
			atomic_dec(&tt->locked);
		__skb_queue_purge(&lk->held);
		kfree(lk);
	}
	xa_destroy(&tt->by_id);
}

void tcpfo_takeover_pre_exit(struct tcpfo_net *tn)
{
	struct tcpfo_lock *lk;
	unsigned long id;

	/* A hook still running sees @closed and holds nothing more. */
	xa_for_each(&tn->takeover.by_id, id, lk) {
		spin_lock_bh(&lk->lock);
		lk->closed = true;
		__skb_queue_purge(&lk->held);
		spin_unlock_bh(&lk->lock);
	}
}

/* ---- the datapath ------------------------------------------------------- */

/* Record what a peer's segment reveals. Caller holds lk->lock. */
static void tcpfo_seen_record(struct tcpfo_seen *sn, u8 peer_wscale,
			      const struct tcpfo_pkt *pkt,
			      const struct tcpfo_tcp_opts *o)
{
	bool syn = pkt->flags & TCPHDR_SYN;
	u32 end;

	if (sn->segs != U32_MAX)
		sn->segs++;
	/*
	 * An RST says the peer gave up; its numbers are those of whatever
	 * it answers (or of a dead socket), not its stream: only the flag.
	 */
	if (pkt->flags & TCPHDR_RST) {
		sn->flags |= TCPFO_SEEN_RST;
		return;
	}
	if (syn)
		sn->flags |= TCPFO_SEEN_SYN;
	if (pkt->flags & TCPHDR_FIN)
		sn->flags |= TCPFO_SEEN_FIN;

	end = pkt->seq + pkt->payload + syn + !!(pkt->flags & TCPHDR_FIN);
	if (!sn->nxt_valid || tcpfo_seq_after(end, sn->nxt))
		sn->nxt = end;
	sn->nxt_valid = true;

	if (pkt->flags & TCPHDR_ACK) {
		/* Ties take the newer segment: its window is the current. */
		if (!(sn->flags & TCPFO_SEEN_ACK) ||
		    !tcpfo_seq_before(pkt->ack, sn->ack)) {
			sn->ack = pkt->ack;
			/* SYN windows are never scaled. */
			sn->win = syn ? pkt->win :
				  (u32)pkt->win << tcpfo_wscale_cap(peer_wscale);
		}
		sn->flags |= TCPFO_SEEN_ACK;
	}
	if (o->has_ts) {
		if (!(sn->flags & TCPFO_SEEN_TS)) {
			sn->tsval = o->tsval;
			sn->tsecr = o->tsecr;
		} else {
			sn->tsval = tcpfo_seq_max(sn->tsval, o->tsval);
			sn->tsecr = tcpfo_seq_max(sn->tsecr, o->tsecr);
		}
		sn->flags |= TCPFO_SEEN_TS;
	}
}

unsigned int tcpfo_takeover_hook(struct tcpfo_net *tn, struct sk_buff *skb,
				 const struct nf_hook_state *state,
				 const struct tcpfo_pkt *pkt)
{
	bool out = state->hook == NF_INET_LOCAL_OUT;
	u8 buf[TCPFO_OPT_MAX_LEN];
	struct tcpfo_lock_node *node;
	struct tcpfo_tcp_opts o;
	struct tcpfo_tuple key;
	struct tcpfo_lock *lk;
	const u8 *opt;

	/*
	 * Leaving: only the stack's RSTs are stopped (socket or ctl socket
	 * segments). Socketless ones are the module's own: probes and the
	 * RSTs of UNLOCK with RESET.
	 */
	if (out && (!(pkt->flags & TCPHDR_RST) || !state->sk))
		return TCPFO_TAKEOVER_PASS;

	tcpfo_tuple_init(&key, pkt->family, &pkt->saddr, pkt->sport,
			 &pkt->daddr, pkt->dport);
	node = rhashtable_lookup(&tn->takeover.ht, &key, tcpfo_lock_rht_params);
	if (!node)
		return TCPFO_TAKEOVER_PASS;
	lk = tcpfo_lock_node_lock(node);
	/* Prepared at import, not locked: none of our business yet. */
	if (!tcpfo_lock_is_locked(&tn->takeover, lk))
		return TCPFO_TAKEOVER_PASS;

	if (!out) {
		/* On loopback our own segments arrive here too. */
		if (!tcpfo_pkt_from(pkt, &lk->peer_addr[node->leg],
				    lk->peer_port[node->leg]))
			return TCPFO_TAKEOVER_PASS;
		opt = tcpfo_pkt_opts(skb, pkt, buf);
		/* Corrupt or truncated: dropped, but it reveals nothing. */
		if (opt && !nf_checksum(skb, state->hook, pkt->thoff,
					IPPROTO_TCP, pkt->family)) {
			bool hold = (pkt->payload ||
				     (pkt->flags & TCPHDR_FIN)) &&
				    !(pkt->flags & (TCPHDR_SYN | TCPHDR_RST));

			tcpfo_opts_parse(opt, pkt->doff - sizeof(struct tcphdr),
					 &o);
			spin_lock_bh(&lk->lock);
			tcpfo_seen_record(&lk->seen[node->leg],
					  lk->peer_wscale[node->leg], pkt, &o);
			if (lk->probe_ns[node->leg] && !lk->rtt_us[node->leg])
				lk->rtt_us[node->leg] =
					max_t(u64, div_u64(ktime_get_ns() -
							   lk->probe_ns[node->leg],
							   NSEC_PER_USEC), 1);
			hold = hold && !lk->closed &&
			       skb_queue_len(&lk->held) < TCPFO_LOCK_HELD_MAX;
			if (hold)
				__skb_queue_tail(&lk->held, skb);
			spin_unlock_bh(&lk->lock);
			if (hold) {
				this_cpu_inc(tn->stats->takeover_dropped);
				return NF_STOLEN;
			}
		}
	}
	this_cpu_inc(tn->stats->takeover_dropped);
	return NF_DROP;
}

/* ---- locks -------------------------------------------------------------- */

/*
 * Caller holds tn->lock. The segments it held move to @keep, or are
 * dropped if @keep is NULL.
 */
static void tcpfo_lock_free(struct tcpfo_net *tn, struct tcpfo_lock *lk,
			    struct sk_buff_head *keep)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	unsigned int i;

	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		if (!lk->hashed[i])
			continue;
		rhashtable_remove_fast(&tt->ht, &lk->node[i].rhead,
				       tcpfo_lock_rht_params);
		WRITE_ONCE(lk->hashed[i], false);
	}
	spin_lock_bh(&lk->lock);
	lk->closed = true;
	if (keep)
		skb_queue_splice_tail_init(&lk->held, keep);
	else
		__skb_queue_purge(&lk->held);
	spin_unlock_bh(&lk->lock);
	if (lk->on_pending)
		list_del(&lk->pending);
	xa_erase(&tt->by_id, lk->id);
	if (lk->locked)
		atomic_dec(&tt->locked);
	/* Every flow was locked and none is left: the takeover is over. */
	if (atomic_dec_and_test(&tt->count))
		smp_store_release(&tt->all, false);
	/* A hook on another CPU may be recording into it. */
	kfree_rcu(lk, rcu);
}

/* Whether the record knows the leg's tuple. */
static bool tcpfo_leg_known(const struct tcpfo_flow_info *fi,
			    unsigned int legid)
{
	return legid == TCPFO_L1 || fi->paired;
}

/* The lock of @id, made (unlocked, nothing hashed) if it has none. */
static struct tcpfo_lock *tcpfo_lock_get(struct tcpfo_net *tn,
					 const struct tcpfo_standby_flow *sf,
					 struct netlink_ext_ack *extack)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	unsigned long id = sf->info.id;
	struct tcpfo_lock *lk;
	int err;

	lk = xa_load(&tt->by_id, id);
	if (lk)
		return lk;
	lk = kzalloc(sizeof(*lk), GFP_KERNEL);
	if (!lk) {
		NL_SET_ERR_MSG(extack, "out of memory");
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&lk->lock);
	__skb_queue_head_init(&lk->held);
	lk->id = id;
	lk->import_seq = sf->import_seq;
	err = xa_err(xa_store(&tt->by_id, id, lk, GFP_KERNEL));
	if (err) {
		kfree(lk);
		NL_SET_ERR_MSG(extack, "cannot index the lock");
		return ERR_PTR(err);
	}
	atomic_inc(&tt->count);
	return lk;
}

/* Put @lk on the pending list (a leg its record knows is not hashed). */
static void tcpfo_lock_pending(struct tcpfo_lock_table *tt,
			       struct tcpfo_lock *lk, bool pending)
{
	if (pending && !lk->on_pending)
		list_add_tail(&lk->pending, &tt->pending);
	else if (!pending && lk->on_pending)
		list_del(&lk->pending);
	lk->on_pending = pending;
}

static void tcpfo_lock_unhash(struct tcpfo_lock_table *tt,
			      struct tcpfo_lock *lk, unsigned int legid)
{
	rhashtable_remove_fast(&tt->ht, &lk->node[legid].rhead,
			       tcpfo_lock_rht_params);
	/* Read locklessly by dumps (tcpfo_takeover_seen()). */
	WRITE_ONCE(lk->hashed[legid], false);
}

/*
 * Hash leg @legid's tuple for @lk. A tuple another lock holds goes to the
 * later import (see tcpfo_takeover_prepare()) unless the holder is
 * locked; a lock that loses one goes on the pending list. -EEXIST if @lk
 * does not get it. Caller holds tn->lock.
 */
static int tcpfo_lock_hash_leg(struct tcpfo_lock_table *tt,
			       struct tcpfo_lock *lk, unsigned int legid)
{
	struct tcpfo_lock_node *node = &lk->node[legid], *other;
	struct tcpfo_lock *olk;
	int err;

	err = rhashtable_lookup_insert_fast(&tt->ht, &node->rhead,
					    tcpfo_lock_rht_params);
	if (err == -EEXIST) {
		other = rhashtable_lookup_fast(&tt->ht, &node->key,
					       tcpfo_lock_rht_params);
		if (!other)
			return -EEXIST;
		olk = tcpfo_lock_node_lock(other);
		if (olk == lk || tcpfo_lock_is_locked(tt, olk) ||
		    lk->import_seq <= olk->import_seq)
			return -EEXIST;
		tcpfo_lock_unhash(tt, olk, other->leg);
		tcpfo_lock_pending(tt, olk, true);
		err = rhashtable_lookup_insert_fast(&tt->ht, &node->rhead,
						    tcpfo_lock_rht_params);
	}
	if (err)
		return err;
	WRITE_ONCE(lk->hashed[legid], true);
	return 0;
}

/*
 * Bring @lk up to the record @fi: hash the legs the record knows and the
 * lock does not hold yet, each on its own (a leg that cannot be hashed
 * leaves the lock on the pending list, tried again at TAKEOVER_LOCK of
 * every flow). While the lock is not locked, what the hook copies from
 * the record (the peer, its window scale) follows the record, and a leg
 * whose tuple changed is hashed again; once locked, what it holds stays.
 * Returns the first error. Caller holds tn->lock.
 */
static int tcpfo_lock_hash(struct tcpfo_net *tn, struct tcpfo_lock *lk,
			   const struct tcpfo_flow_info *fi,
			   struct netlink_ext_ack *extack)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	bool locked = tcpfo_lock_is_locked(tt, lk), missing = false;
	unsigned int i;
	int ret = 0, err;

	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		const struct tcpfo_leg *leg = &fi->leg[i];
		struct tcpfo_lock_node *node = &lk->node[i];
		struct tcpfo_tuple key;

		if (!tcpfo_leg_known(fi, i))
			continue;
		if (lk->hashed[i] && locked)
			continue;
		tcpfo_tuple_init(&key, fi->family, &leg->local_addr,
				 leg->local_port, &leg->peer_addr,
				 leg->peer_port);
		if (lk->hashed[i] && memcmp(&key, &node->key, sizeof(key)))
			tcpfo_lock_unhash(tt, lk, i);
		/*
		 * Not locked, or a leg not hashed yet: the hook reads none
		 * of it (set before the tuple is visible to it).
		 */
		lk->peer_addr[i] = leg->peer_addr;
		lk->peer_port[i] = leg->peer_port;
		lk->peer_wscale[i] = tcpfo_leg_opts(leg) & TCPFO_OPT_WSCALE ?
				     leg->peer_wscale : 0;
		if (lk->hashed[i])
			continue;
		node->leg = i;
		node->key = key;
		err = tcpfo_lock_hash_leg(tt, lk, i);
		if (!err) {
			/* The peer's first probe will not wait for its neighbour. */
			tcpfo_neigh_warm(tn->net, fi->family, &leg->peer_addr);
			continue;
		}
		missing = true;
		if (ret)
			continue;
		ret = err;
		/* extack messages are static strings in 6.1. */
		if (err != -EEXIST)
			NL_SET_ERR_MSG(extack, "cannot hash a tuple of the flow");
		else if (i == TCPFO_L1)
			NL_SET_ERR_MSG(extack,
				       "the client tuple is held by another flow");
		else
			NL_SET_ERR_MSG(extack,
				       "the server tuple is held by another flow");
	}
	tcpfo_lock_pending(tt, lk, missing);
	return ret;
}

int tcpfo_takeover_prepare(struct tcpfo_net *tn,
			   const struct tcpfo_standby_flow *sf,
			   struct netlink_ext_ack *extack)
{
	struct tcpfo_lock *lk;

	lockdep_assert_held(&tn->lock);
	lk = tcpfo_lock_get(tn, sf, extack);
	if (IS_ERR(lk)) {
		/* TAKEOVER_LOCK of every flow looks for it. */
		tn->takeover.unprepared = true;
		return PTR_ERR(lk);
	}
	/* This import is the latest of its tuples. */
	lk->import_seq = sf->import_seq;
	/* A tuple it could not get is tried again at TAKEOVER_LOCK. */
	tcpfo_lock_hash(tn, lk, &sf->info, NULL);
	return 0;
}

void tcpfo_takeover_forget(struct tcpfo_net *tn, bool all, unsigned long id)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	struct tcpfo_lock *lk;
	unsigned long index;

	lockdep_assert_held(&tn->lock);
	if (!all) {
		lk = xa_load(&tt->by_id, id);
		if (lk && !tcpfo_lock_is_locked(tt, lk))
			tcpfo_lock_free(tn, lk, NULL);
		return;
	}
	xa_for_each(&tt->by_id, index, lk)
		if (!tcpfo_lock_is_locked(tt, lk))
			tcpfo_lock_free(tn, lk, NULL);
}

unsigned int tcpfo_takeover_locked_count(struct tcpfo_net *tn)
{
	struct tcpfo_lock_table *tt = &tn->takeover;

	return READ_ONCE(tt->all) ? atomic_read(&tt->count) :
				    atomic_read(&tt->locked);
}

/*
 * Before every flow is locked: a record left without its lock gets one,
 * and the locks on the pending list try their missing tuples again (one
 * held by a lock that has gone since is free now). Caller holds tn->lock.
 */
static int tcpfo_lock_catch_up(struct tcpfo_net *tn,
			       struct netlink_ext_ack *extack)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	struct tcpfo_standby_flow *sf;
	struct tcpfo_lock *lk, *next;
	unsigned long index;
	int err;

	if (tt->unprepared) {
		tt->unprepared = false;
		xa_for_each(&tn->standby.by_id, index, sf) {
			if (xa_load(&tt->by_id, index))
				continue;
			err = tcpfo_takeover_prepare(tn, sf, extack);
			if (err)
				return err;
		}
	}
	list_for_each_entry_safe(lk, next, &tt->pending, pending) {
		sf = xa_load(&tn->standby.by_id, lk->id);
		if (sf)
			tcpfo_lock_hash(tn, lk, &sf->info, NULL);
	}
	return 0;
}

int tcpfo_takeover_lock(struct tcpfo_net *tn, bool all, unsigned long id,
			struct netlink_ext_ack *extack)
{
	struct tcpfo_lock_table *tt = &tn->takeover;
	struct tcpfo_standby_flow *sf;
	struct tcpfo_lock *lk;
	int err;

	lockdep_assert_held(&tn->lock);
	if (!all) {
		sf = xa_load(&tn->standby.by_id, id);
		if (!sf) {
			NL_SET_ERR_MSG(extack, "no standby flow with this id");
			return -ENOENT;
		}
		lk = tcpfo_lock_get(tn, sf, extack);
		if (IS_ERR(lk))
			return PTR_ERR(lk);
		/* A tuple it did not get stays pending. */
		err = tcpfo_lock_hash(tn, lk, &sf->info, extack);
		if (err)
			return err;
		if (!lk->locked) {
			/* Counted first: the hooks test it before the flag. */
			atomic_inc(&tt->locked);
			smp_store_release(&lk->locked, true);
		}
		return 0;
	}
	err = tcpfo_lock_catch_up(tn, extack);
	if (err)
		return err;
	/* Without a lock there is nothing to lock (nor a last one to go). */
	if (atomic_read(&tt->count))
		smp_store_release(&tt->all, true);
	return 0;
}

bool tcpfo_takeover_seen(struct tcpfo_net *tn, unsigned long id,
			 struct tcpfo_seen seen[TCPFO_NR_LEGS],
			 bool locked[TCPFO_NR_LEGS])
{
	struct tcpfo_lock *lk;
	unsigned int i;

	if (!tcpfo_takeover_active(&tn->takeover))
		return false;
	lk = xa_load(&tn->takeover.by_id, id);
	if (!lk || !tcpfo_lock_is_locked(&tn->takeover, lk))
		return false;
	spin_lock_bh(&lk->lock);
	memcpy(seen, lk->seen, sizeof(lk->seen));
	spin_unlock_bh(&lk->lock);
	for (i = 0; i < TCPFO_NR_LEGS; i++)
		locked[i] = READ_ONCE(lk->hashed[i]);
	return true;
}

static void tcpfo_seen_copy(struct tcpfo_lock *lk, unsigned int legid,
			    struct tcpfo_seen *out)
{
	spin_lock_bh(&lk->lock);
	*out = lk->seen[legid];
	spin_unlock_bh(&lk->lock);
}

/* The lock and standby record of @id, or -ENOENT with a message. */
static int tcpfo_locked_flow(struct tcpfo_net *tn, unsigned long id,
			     struct tcpfo_lock **lk,
			     struct tcpfo_standby_flow **sf,
			     struct netlink_ext_ack *extack)
{
	*lk = xa_load(&tn->takeover.by_id, id);
	if (!*lk || !tcpfo_lock_is_locked(&tn->takeover, *lk)) {
		NL_SET_ERR_MSG(extack, "no locked flow with this id");
		return -ENOENT;
	}
	*sf = xa_load(&tn->standby.by_id, id);
	if (!*sf) {
		NL_SET_ERR_MSG(extack, "the locked flow's standby record is gone");
		return -ENOENT;
	}
	return 0;
}

/* ---- probes ------------------------------------------------------------- */

/*
 * One probe on leg @legid of @fi: from the leg's local end, one byte of
 * the direction the gateway sends there that the peer surely has (the
 * last released one: offset R-1 is sequence gw_isn + R; with R = 0 the
 * SYN's number), acknowledging what the primary released of the peer's
 * direction, with the stored right edge and timestamps. Old data: the peer
 * answers at once with a duplicate ACK (tcp_data_queue()'s out-of-window
 * path, or tcp_validate_incoming()'s if PAWS rejects it).
 */
/*
 * The probe's TSval: the old socket's clock now, as far as the standby can
 * tell (the TSval stored with the record, plus the time since the primary
 * read it, plus @ahead: failoverd's margin). Never below what the peer
 * showed it accepted (a TSecr seen since the lock, plus one) nor below an
 * earlier probe's, so the peer sees the gateway's TSvals go on rising
 * across the takeover; the new socket starts at or above it (the daemon
 * reads it back as TCPFO_SEEN_A_PROBE_TSVAL). Recorded in the lock.
 */
static u32 tcpfo_probe_tsval(struct tcpfo_lock *lk,
			     const struct tcpfo_standby_flow *sf,
			     unsigned int legid, s32 ahead)
{
	const struct tcpfo_leg *leg = &sf->info.leg[legid];
	struct tcpfo_seen *sn = &lk->seen[legid];
	u64 since = ktime_get_ns() - sf->ts_sampled_ns;
	u32 tsval;

	tsval = leg->ts_sent + (u32)div_u64(since, NSEC_PER_MSEC) + (u32)ahead;
	spin_lock_bh(&lk->lock);
	if (sn->flags & TCPFO_SEEN_TS)
		tsval = tcpfo_seq_max(tsval, sn->tsecr + 1);
	if (sn->flags & TCPFO_SEEN_PROBED_TS)
		tsval = tcpfo_seq_max(tsval, sn->probe_tsval);
	sn->probe_tsval = tsval;
	sn->flags |= TCPFO_SEEN_PROBED_TS;
	spin_unlock_bh(&lk->lock);
	return tsval;
}

static int tcpfo_probe_leg(struct tcpfo_net *tn, struct tcpfo_lock *lk,
			   const struct tcpfo_standby_flow *sf,
			   unsigned int legid, s32 ts_ahead)
{
	const struct tcpfo_flow_info *fi = &sf->info;
	const struct tcpfo_leg *leg = &fi->leg[legid];
	unsigned int gw_dir = !legid, peer_dir = legid;
	struct tcpfo_release seg;
	u64 sent_ns;
	int err;
	u8 ws;

	tcpfo_seg_to_peer(&seg, fi->family, leg);
	seg.seq = leg->gw_isn + (u32)fi->released[gw_dir];
	seg.ack = tcpfo_off_to_seq(leg->peer_isn, fi->released[peer_dir]);
	ws = tcpfo_leg_gw_wscale(leg);
	/*
	 * The window only counts if the probe's ack advances the peer's
	 * snd_una (tcp_may_update_window(): the seq is old). Keep the edge
	 * the primary announced; without one, announce what an unscaled
	 * SYN-ACK could have (64 KiB - 1): the peer cannot have been told
	 * less than that shrinks to, and the new socket widens it anyway.
	 */
	seg.win = leg->sent_any ?
		  tcpfo_window_for_edge(seg.ack, leg->right_edge, ws) :
		  tcpfo_window_field(TCPFO_WIN_FIELD_MAX, ws);
	seg.ts = tcpfo_leg_opts(leg) & TCPFO_OPT_TIMESTAMP;
	if (seg.ts && leg->ts_sent_valid)
		seg.tsval = tcpfo_probe_tsval(lk, sf, legid, ts_ahead);
	/*
	 * TSecr 0, "no echo", as a repaired socket sends until the peer's
	 * first segment. The stored ts_recent is as old as the record's last
	 * full copy (deltas do not carry it: seconds to hours), and in sync
	 * mode the probe's ack may advance the peer's snd_una (the standby
	 * stored a point the primary had not released yet) over segments
	 * the peer retransmitted while the primary was gone: it would take
	 * now - TSecr as an RTT sample (Karn's case, tcp_ack_update_rtt())
	 * and undo its loss recovery (tcp_packet_delayed()). Seen: clients'
	 * smoothed RTT at 12 s and RTO at the 120 s cap after 20 moves, and
	 * a flow that then waited 2 minutes for each lost segment. Linux
	 * ignores a TSecr of 0 in both places.
	 */
	seg.tsecr = 0;
	seg.flags = TCPHDR_ACK;
	seg.payload = 1;
	seg.resolved_only = true;
	/*
	 * Stamped before it goes: the answer may be processed before the
	 * send returns (a local peer, softirq on the way out). A probe
	 * that did not go leaves the previous stamp.
	 */
	spin_lock_bh(&lk->lock);
	sent_ns = lk->probe_ns[legid];
	lk->probe_ns[legid] = ktime_get_ns();
	spin_unlock_bh(&lk->lock);
	err = tcpfo_segment_send(tn, &seg);
	if (err) {
		spin_lock_bh(&lk->lock);
		lk->probe_ns[legid] = sent_ns;
		spin_unlock_bh(&lk->lock);
	}
	return err;
}

/* Probe the legs of one locked flow whose peer has not answered. */
static int tcpfo_probe_flow(struct tcpfo_net *tn, struct tcpfo_lock *lk,
			    const struct tcpfo_standby_flow *sf, s32 ts_ahead,
			    struct netlink_ext_ack *extack)
{
	const struct tcpfo_flow_info *fi = &sf->info;
	struct tcpfo_seen seen;
	unsigned int i;
	int ret = 0, err;

	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		if (!lk->hashed[i] || !tcpfo_leg_synced(&fi->leg[i]))
			continue;
		tcpfo_seen_copy(lk, i, &seen);
		if (seen.flags & TCPFO_SEEN_ACK)
			continue;
		err = tcpfo_probe_leg(tn, lk, sf, i, ts_ahead);
		if (err) {
			if (ret)
				continue;
			if (err == -EAGAIN)
				NL_SET_ERR_MSG(extack,
					       "a peer's link-layer address is being resolved: probe it again");
			else if (i == TCPFO_L1)
				NL_SET_ERR_MSG(extack,
					       "cannot send the client probe: is the VIP claimed?");
			else
				NL_SET_ERR_MSG(extack,
					       "cannot send the server probe: is the back address claimed?");
			ret = err;
			continue;
		}
		this_cpu_inc(tn->stats->takeover_probes);
	}
	return ret;
}

int tcpfo_takeover_probe(struct tcpfo_net *tn, bool all, unsigned long id,
			 s32 ts_ahead, struct netlink_ext_ack *extack)
{
	struct tcpfo_standby_flow *sf;
	struct tcpfo_lock *lk;
	unsigned long index;
	int ret = 0, err;

	lockdep_assert_held(&tn->lock);
	if (!all) {
		err = tcpfo_locked_flow(tn, id, &lk, &sf, extack);
		return err ?: tcpfo_probe_flow(tn, lk, sf, ts_ahead, extack);
	}
	/* Every flow gets its chance; the first failure is reported. */
	xa_for_each(&tn->takeover.by_id, index, lk) {
		if (!tcpfo_lock_is_locked(&tn->takeover, lk))
			continue;
		sf = xa_load(&tn->standby.by_id, index);
		if (!sf)
			continue;
		err = tcpfo_probe_flow(tn, lk, sf, ts_ahead,
				       ret ? NULL : extack);
		ret = ret ?: err;
	}
	return ret;
}

/* ---- activation --------------------------------------------------------- */

/*
 * Fill leg @legid of the new tracked flow so that track.c, clamp.c and
 * xmit.c treat the repaired sockets' segments as those of a flow that was
 * established here, at the resume point:
 *  - the handshake part (ISNs, MSS, scales, options, tuple) is the
 *    primary's, and both SYNs count as seen (clamp.c and track.c act only
 *    on synced legs; no SYN will ever come);
 *  - the gateway's socket: it sends from the released point of its
 *    direction and acknowledges up to the released point of the peer's
 *    (snd_nxt, rcv_nxt): neither is ahead of what the peer acknowledged
 *    or sent, so nothing is held and the first peer ACK beyond snd_nxt's
 *    released point moves R (track.c needs ack in (R, snd_nxt]);
 *  - what the peer was told: that ack, the right edge the new socket
 *    announces (never left of the ack), its TSecr: the clamp and the
 *    duplicate-ACK filter compare the socket's next segment with these,
 *    and sent_any makes them count;
 *  - the peer: it acknowledged the gateway's snd_nxt (an RST from the
 *    gateway is judged against peer_ack) and sent up to rcv_nxt.
 * edge_max also covers what the peer sent while locked (seen NXT): a peer
 * only sends inside an edge it was shown, and track.c ignores segments
 * beyond edge_max as implausible, which would stall releases until the
 * new socket's first window.
 */
static void tcpfo_activate_leg(struct tcpfo_flow *flow, unsigned int legid,
			       const struct tcpfo_leg *rec,
			       const struct tcpfo_resume *rs,
			       const struct tcpfo_seen *seen)
{
	struct tcpfo_leg *leg = &flow->leg[legid];
	unsigned int gw_dir = !legid, peer_dir = legid;
	u8 ws;

	leg->local_addr = rec->local_addr;
	leg->peer_addr = rec->peer_addr;
	leg->local_port = rec->local_port;
	leg->peer_port = rec->peer_port;
	leg->peer_isn = rec->peer_isn;
	leg->gw_isn = rec->gw_isn;
	leg->peer_mss = rec->peer_mss;
	leg->peer_wscale = rec->peer_wscale;
	leg->gw_wscale = rec->gw_wscale;
	leg->peer_opts = rec->peer_opts;
	leg->gw_opts = rec->gw_opts;
	leg->peer_syn_seen = true;
	leg->gw_syn_seen = true;

	leg->snd_nxt = tcpfo_off_to_seq(leg->gw_isn, rs->released[gw_dir]);
	leg->rcv_nxt = tcpfo_off_to_seq(leg->peer_isn, rs->released[peer_dir]);
	leg->rcv_nxt_valid = true;
	leg->ts_sent = rs->ts_sent[legid];
	leg->ts_sent_at = jiffies;
	leg->ts_sent_valid = rs->ts_sent_valid[legid];

	ws = tcpfo_leg_gw_wscale(leg);
	leg->ack_sent = leg->rcv_nxt;
	leg->right_edge = rs->right_edge_valid[legid] ? rs->right_edge[legid] :
			  leg->ack_sent;
	leg->win_sent = tcpfo_window_for_edge(leg->ack_sent, leg->right_edge,
					      ws);
	leg->edge_max = leg->right_edge;
	if ((seen->flags & TCPFO_SEEN_ACK) && seen->nxt_valid)
		leg->edge_max = tcpfo_seq_max(leg->edge_max, seen->nxt);
	leg->tsecr_sent = rs->ts_recent[legid];
	leg->sent_any = true;

	leg->ts_recent = rs->ts_recent[legid];
	leg->ts_recent_valid = rs->ts_recent_valid[legid];
	leg->peer_ack = leg->snd_nxt;
	leg->peer_ack_valid = true;
	leg->peer_end = leg->rcv_nxt;
}

/*
 * A restored socket has no RTT sample: Linux sets its first
 * retransmission timeout to 3 s (tcp_init_metrics(): no sample from a
 * handshake, RFC 6298 5.7) and its first tail loss probe to 1 s, so a
 * segment lost from its first flight stalls the flow that long. The
 * probe's round trip (@rtt_us) samples the path to the same peer: the
 * timeout is set from it as tcp_init_metrics() does from a cached RTT
 * (RTT + max(2 RTT, rto_min)), and the estimator itself is left to the
 * socket's first real sample. Only a socket that has none yet, and only
 * to shorten the timeout. Process context.
 */
static void tcpfo_seed_rto(struct net *net, u8 family,
			   const struct tcpfo_leg *leg, u32 rtt_us)
{
	struct sock *sk = tcpfo_leg_socket(net, family, leg);
	struct inet_connection_sock *icsk;
	u32 rtt, rto;

	if (!sk)
		return;
	if (sk_fullsock(sk)) {
		lock_sock(sk);
		icsk = inet_csk(sk);
		rtt = max_t(u32, usecs_to_jiffies(rtt_us), 1);
		rto = rtt + max_t(u32, 2 * rtt, tcp_rto_min(sk));
		/* A late answer (a full queue) must not make it longer. */
		if (sk->sk_state != TCP_CLOSE && !tcp_sk(sk)->srtt_us &&
		    rto < icsk->icsk_rto) {
			icsk->icsk_rto = rto;
			if (icsk->icsk_pending == ICSK_TIME_RETRANS)
				inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
							  icsk->icsk_rto,
							  TCP_RTO_MAX);
		}
		release_sock(sk);
	}
	sock_gen_put(sk);
}

int tcpfo_takeover_activate(struct tcpfo_net *tn, unsigned long id,
			    const struct tcpfo_resume *rs,
			    struct netlink_ext_ack *extack)
{
	struct tcpfo_seen seen[TCPFO_NR_LEGS];
	const struct tcpfo_flow_info *fi;
	struct tcpfo_standby_flow *sf;
	struct tcpfo_flow *flow;
	struct tcpfo_lock *lk;
	unsigned int i, d;
	int err;

	lockdep_assert_held(&tn->lock);
	err = tcpfo_locked_flow(tn, id, &lk, &sf, extack);
	if (err)
		return err;
	if (lk->activated) {
		NL_SET_ERR_MSG(extack, "flow is already activated");
		return -EEXIST;
	}
	fi = &sf->info;
	if (!fi->paired || !tcpfo_leg_synced(&fi->leg[TCPFO_L1]) ||
	    !tcpfo_leg_synced(&fi->leg[TCPFO_L2])) {
		NL_SET_ERR_MSG(extack,
			       "standby flow is not established on both legs (tuple or ISNs unknown)");
		return -EINVAL;
	}
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		u32 ack = tcpfo_off_to_seq(fi->leg[i].peer_isn,
					   rs->released[i]);

		if (rs->right_edge_valid[i] &&
		    tcpfo_seq_before(rs->right_edge[i], ack)) {
			if (i == TCPFO_L1)
				NL_SET_ERR_MSG(extack,
					       "L1 right edge is before the acknowledged point");
			else
				NL_SET_ERR_MSG(extack,
					       "L2 right edge is before the acknowledged point");
			return -EINVAL;
		}
	}
	for (d = 0; d < 2; d++) {
		if (rs->fin_seen[d] && rs->fin[d] + 1 < rs->released[d]) {
			if (d == TCPFO_C2S)
				NL_SET_ERR_MSG(extack,
					       "FIN c2s is before the released point");
			else
				NL_SET_ERR_MSG(extack,
					       "FIN s2c is before the released point");
			return -EINVAL;
		}
	}
	/* The server leg may have become known after the lock. */
	err = tcpfo_lock_hash(tn, lk, fi, extack);
	if (err)
		return err;

	flow = tcpfo_flow_new(tn, fi->family, fi->service, GFP_KERNEL);
	if (!flow) {
		NL_SET_ERR_MSG(extack, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		tcpfo_seen_copy(lk, i, &seen[i]);
		tcpfo_activate_leg(flow, i, &fi->leg[i], rs, &seen[i]);
	}
	/* Not visible yet: no flow->lock needed. */
	for (d = 0; d < 2; d++) {
		flow->released[d] = rs->released[d];
		flow->confirmed[d] = rs->released[d];
		flow->fin[d] = rs->fin[d];
		flow->fin_seen[d] = rs->fin_seen[d];
	}
	flow->paired = true;
	/* Both handshakes are the primary's, which the standby stored. */
	flow->stored_legs = TCPFO_STORED_L1 | TCPFO_STORED_L2;
	flow->state = rs->fin_seen[TCPFO_C2S] || rs->fin_seen[TCPFO_S2C] ?
		      TCPFO_FLOW_CLOSING : TCPFO_FLOW_ESTABLISHED;

	err = tcpfo_flow_adopt(tn, flow, id);
	if (err) {
		kfree(flow);
		if (err == -EEXIST)
			NL_SET_ERR_MSG(extack,
				       "a tracked flow holds one of the flow's tuples");
		else if (err == -EBUSY)
			NL_SET_ERR_MSG(extack, "a tracked flow has this id");
		else if (err == -ENOSPC)
			NL_SET_ERR_MSG(extack, "flow table full (max_flows)");
		else
			NL_SET_ERR_MSG(extack, "cannot track the flow");
		return err == -EBUSY ? -EEXIST : err;
	}
	lk->activated = true;
	/* The new sockets exist (failoverd restores them first). */
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		u32 rtt;

		spin_lock_bh(&lk->lock);
		rtt = lk->rtt_us[i];
		spin_unlock_bh(&lk->lock);
		if (rtt)
			tcpfo_seed_rto(tn->net, fi->family, &fi->leg[i], rtt);
	}
	return 0;
}

/* ---- unlocking ---------------------------------------------------------- */

/* An RST to each peer that answered, at the point it revealed. */
static void tcpfo_reset_peers(struct tcpfo_net *tn, struct tcpfo_lock *lk,
			      const struct tcpfo_flow_info *fi)
{
	struct tcpfo_release seg;
	struct tcpfo_seen seen;
	unsigned int i;

	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		const struct tcpfo_leg *leg = &fi->leg[i];

		if (!lk->hashed[i])
			continue;
		tcpfo_seen_copy(lk, i, &seen);
		if (!(seen.flags & TCPFO_SEEN_ACK))
			continue;
		tcpfo_seg_to_peer(&seg, fi->family, leg);
		/* RFC 5961: accepted only at exactly its rcv_nxt. */
		seg.seq = seen.ack;
		seg.flags = TCPHDR_RST;
		tcpfo_segment_send(tn, &seg);
	}
}

/* A flow activated and then reset: its tracked flow goes too. */
static void tcpfo_reset_tracked(struct tcpfo_net *tn, unsigned long id)
{
	struct tcpfo_flow *flow;

	rcu_read_lock();
	flow = xa_load(&tn->flows.by_id, id);
	if (flow) {
		spin_lock_bh(&flow->lock);
		tcpfo_flow_set_state(flow, TCPFO_FLOW_RESET);
		spin_unlock_bh(&flow->lock);
		tcpfo_flow_unlink(tn, flow);
	}
	rcu_read_unlock();
}

/*
 * The segments a resumed flow's lock held go through the stack again, as
 * if they had just arrived on their interface (netif_rx(): the hooks see
 * them again, now unlocked, and the new sockets get them). They were
 * held at PRE_ROUTING, before routing: data at the network header, no
 * dst. The interface is looked up again by index: a held segment keeps
 * no reference on it.
 */
static void tcpfo_deliver_held(struct net *net, struct sk_buff_head *q)
{
	struct net_device *dev;
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		rcu_read_lock();
		dev = dev_get_by_index_rcu(net, skb->skb_iif);
		if (dev && (dev->flags & IFF_UP)) {
			skb->dev = dev;
			netif_rx(skb);
		} else {
			kfree_skb(skb);
		}
		rcu_read_unlock();
	}
}

/*
 * A flow resumed: each peer is told the resume point at once with a pure
 * ACK in its window, from the leg's new state (activation: the socket
 * sends from snd_nxt, acknowledges rcv_nxt, announces the stored edge,
 * starts its TSvals at ts_sent; ts_recent is the peer's answer). Where
 * the other side had received more than the primary released, the peer's
 * snd_una advances: a sender whose timer already fired (it is in loss
 * recovery) retransmits now instead of at its next, backed-off timeout,
 * and one whose timer has not sends new data, whose gap the new socket's
 * SACKs repair. Elsewhere it is a duplicate ACK, which changes nothing.
 * TSecr is the newest TSval the peer sent, @seen while locked included:
 * echoing one older than its retransmission would make it undo its loss
 * recovery (tcp_packet_delayed()).
 */
static void tcpfo_resume_acks(struct tcpfo_net *tn, unsigned long id,
			      const struct tcpfo_seen *seen)
{
	struct tcpfo_release seg[TCPFO_NR_LEGS];
	bool send[TCPFO_NR_LEGS] = {};
	struct tcpfo_flow *flow;
	unsigned int i;

	rcu_read_lock();
	flow = xa_load(&tn->flows.by_id, id);
	if (flow) {
		spin_lock_bh(&flow->lock);
		for (i = 0; i < TCPFO_NR_LEGS; i++) {
			const struct tcpfo_leg *leg = &flow->leg[i];

			if (READ_ONCE(flow->fenced) || !leg->sent_any ||
			    !leg->rcv_nxt_valid)
				continue;
			tcpfo_seg_to_peer(&seg[i], flow->family, leg);
			seg[i].seq = leg->snd_nxt;
			seg[i].ack = leg->ack_sent;
			seg[i].win = leg->win_sent;
			seg[i].ts = (tcpfo_leg_opts(leg) & TCPFO_OPT_TIMESTAMP) &&
				    leg->ts_sent_valid && leg->ts_recent_valid;
			seg[i].tsval = leg->ts_sent;
			seg[i].tsecr = leg->ts_recent;
			if (seen[i].flags & TCPFO_SEEN_TS)
				seg[i].tsecr = tcpfo_seq_max(seg[i].tsecr,
							     seen[i].tsval);
			seg[i].flags = TCPHDR_ACK;
			send[i] = true;
		}
		/* Under the lock, as releases are: see tcpfo_release_send(). */
		for (i = 0; i < TCPFO_NR_LEGS; i++)
			if (send[i])
				tcpfo_segment_send(tn, &seg[i]);
		spin_unlock_bh(&flow->lock);
	}
	rcu_read_unlock();
}

/*
 * Lift one lock and forget its record. An activated flow, not reset, gets
 * the segments held while locked and a resume ACK to each peer.
 */
static void tcpfo_unlock_one(struct net *net, struct tcpfo_net *tn,
			     struct tcpfo_lock *lk, bool reset)
{
	struct tcpfo_seen seen[TCPFO_NR_LEGS];
	unsigned long id = lk->id;
	struct tcpfo_standby_flow *sf;
	struct sk_buff_head held;
	unsigned int i;
	bool activated;

	if (reset) {
		sf = xa_load(&tn->standby.by_id, id);
		if (sf)
			tcpfo_reset_peers(tn, lk, &sf->info);
		if (lk->activated)
			tcpfo_reset_tracked(tn, id);
		this_cpu_inc(tn->stats->takeover_resets);
	}
	activated = lk->activated && !reset;
	for (i = 0; i < TCPFO_NR_LEGS; i++)
		tcpfo_seen_copy(lk, i, &seen[i]);
	__skb_queue_head_init(&held);
	tcpfo_lock_free(tn, lk, activated ? &held : NULL);
	tcpfo_standby_forget(tn, id);
	if (activated) {
		tcpfo_deliver_held(net, &held);
		tcpfo_resume_acks(tn, id, seen);
	}
}

int tcpfo_takeover_unlock(struct net *net, struct tcpfo_net *tn, bool all,
			  unsigned long id, bool reset,
			  struct netlink_ext_ack *extack)
{
	struct tcpfo_standby_flow *sf;
	struct tcpfo_lock *lk;
	unsigned long index;

	lockdep_assert_held(&tn->lock);
	if (all) {
		struct tcpfo_lock_table *tt = &tn->takeover;
		bool was_all = tt->all;

		/*
		 * Each lock goes with what it recorded and held, and a
		 * record still stored gets a fresh one, unlocked: a later
		 * TAKEOVER_LOCK starts from nothing seen. Made again once
		 * all are gone, so the latest import of a tuple gets it
		 * whatever the order. An activated flow is tracked now: it
		 * resumes as UNLOCK of its id would make it, and its record
		 * goes.
		 */
		smp_store_release(&tt->all, false);
		xa_for_each(&tt->by_id, index, lk) {
			if (lk->activated)
				tcpfo_unlock_one(net, tn, lk, false);
			else if (was_all || lk->locked)
				tcpfo_lock_free(tn, lk, NULL);
		}
		xa_for_each(&tn->standby.by_id, index, sf)
			if (!xa_load(&tt->by_id, index))
				tcpfo_takeover_prepare(tn, sf, NULL);
		return 0;
	}
	lk = xa_load(&tn->takeover.by_id, id);
	if (!lk || !tcpfo_lock_is_locked(&tn->takeover, lk)) {
		NL_SET_ERR_MSG(extack, "no locked flow with this id");
		return -ENOENT;
	}
	tcpfo_unlock_one(net, tn, lk, reset);
	return 0;
}
