// SPDX-License-Identifier: GPL-2.0
/*
 * Flow table of one namespace: lifetime of tracked flows.
 *
 * An rhashtable maps a leg's canonical 4-tuple to one of the flow's two
 * nodes (L1 from the client's SYN, L2 from FLOW_PAIR); an xarray maps the
 * flow's id to the flow, for dumps that resume by id and for the reaper.
 * The hash is what the datapath reads, under RCU, once per segment.
 *
 * A flow ends in one of three ways: the reaper frees it (closed, reset, or
 * idle for too long; one delayed work per namespace, every second, only
 * while flows exist), FLOW_DEL frees it at once, or the namespace goes away.
 * Unlinking (RST, or a new connection reusing a closed flow's tuple) takes
 * it out of the hash first, so its remaining segments pass unchanged, and
 * leaves the freeing to the reaper after a grace period during which dumps
 * still show it.
 */

#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "flow.h"
#include "netns.h"

unsigned int tcpfo_max_flows __read_mostly = 65536;
module_param_named(max_flows, tcpfo_max_flows, uint, 0644);
MODULE_PARM_DESC(max_flows,
		 "Most flows tracked per network namespace; connections beyond it are not tracked (default 65536)");

static unsigned int tcpfo_handshake_timeout __read_mostly = 30;
module_param_named(handshake_timeout, tcpfo_handshake_timeout, uint, 0644);
MODULE_PARM_DESC(handshake_timeout,
		 "Seconds a flow not yet established on both legs may stay idle (default 30)");

static unsigned int tcpfo_established_timeout __read_mostly = 3600;
module_param_named(established_timeout, tcpfo_established_timeout, uint,
		   0644);
MODULE_PARM_DESC(established_timeout,
		 "Seconds an established or closing flow may stay idle (default 3600)");

/*
 * Both peers have sent their FIN: all that is left is the ACKs of the FINs,
 * which the gateway's sockets (LAST_ACK, TIME_WAIT) handle on their own.
 * Should the last of those ACKs escape tracking, the flow must not linger
 * for the established timeout.
 */
static unsigned int tcpfo_fin_timeout __read_mostly = 10;
module_param_named(fin_timeout, tcpfo_fin_timeout, uint, 0644);
MODULE_PARM_DESC(fin_timeout,
		 "Seconds a flow whose peers both sent their FIN may stay idle (default 10)");

#define TCPFO_GC_INTERVAL	HZ
/* Closed and reset flows stay visible in dumps this long. */
#define TCPFO_GRACE		(2 * HZ)

static const struct rhashtable_params tcpfo_flow_rht_params = {
	.head_offset		= offsetof(struct tcpfo_flow_node, rhead),
	.key_offset		= offsetof(struct tcpfo_flow_node, key),
	.key_len		= sizeof(struct tcpfo_tuple),
	.automatic_shrinking	= true,
};

static_assert(sizeof(struct tcpfo_tuple) % sizeof(u32) == 0,
	      "the tuple is hashed as u32 words");

static int tcpfo_endpoint_cmp(unsigned int alen,
			      const union tcpfo_addr *a, __be16 aport,
			      const union tcpfo_addr *b, __be16 bport)
{
	int c = memcmp(a, b, alen);

	if (c)
		return c;
	return memcmp(&aport, &bport, sizeof(aport));
}

void tcpfo_tuple_init(struct tcpfo_tuple *t, u8 family,
		      const union tcpfo_addr *saddr, __be16 sport,
		      const union tcpfo_addr *daddr, __be16 dport)
{
	unsigned int alen = tcpfo_addr_len(family);
	unsigned int first = 0;

	memset(t, 0, sizeof(*t));
	t->family = family;
	if (tcpfo_endpoint_cmp(alen, saddr, sport, daddr, dport) > 0)
		first = 1;
	memcpy(&t->addr[first], saddr, alen);
	t->port[first] = sport;
	memcpy(&t->addr[!first], daddr, alen);
	t->port[!first] = dport;
}

struct sock *tcpfo_leg_socket(struct net *net, u8 family,
			      const struct tcpfo_leg *leg)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;

	if (family == AF_INET)
		return __inet_lookup_established(net, hinfo, leg->peer_addr.ip,
						 leg->peer_port,
						 leg->local_addr.ip,
						 ntohs(leg->local_port), 0, 0);
#if IS_ENABLED(CONFIG_IPV6)
	if (family == AF_INET6)
		return __inet6_lookup_established(net, hinfo,
						  &leg->peer_addr.in6,
						  leg->peer_port,
						  &leg->local_addr.in6,
						  ntohs(leg->local_port), 0, 0);
#endif
	return NULL;
}

struct tcpfo_flow_node *tcpfo_flow_lookup(struct tcpfo_net *tn,
					  const struct tcpfo_tuple *key)
{
	return rhashtable_lookup(&tn->flows.ht, key, tcpfo_flow_rht_params);
}

/* Bump the dump generation; 0 is skipped ("unset" to the dump check). */
static void tcpfo_flows_changed(struct tcpfo_flow_table *ft)
{
	unsigned int gen = ft->gen + 1;

	WRITE_ONCE(ft->gen, gen ?: 1);
}

u64 tcpfo_flow_ackable(const struct tcpfo_flow *flow, unsigned int dir)
{
	if (READ_ONCE(flow->tn->mode) != TCPFO_MODE_SYNC)
		return flow->released[dir];
	return min(flow->released[dir], flow->confirmed[dir]);
}

bool tcpfo_flow_must_hold(const struct tcpfo_flow *flow, unsigned int legid)
{
	return READ_ONCE(flow->tn->mode) == TCPFO_MODE_SYNC &&
	       !(flow->stored_legs & (1U << legid));
}

unsigned int tcpfo_flow_hold(struct tcpfo_flow *flow, struct sk_buff *skb)
{
	if (skb_queue_len(&flow->held) >= TCPFO_HELD_MAX)
		return NF_DROP;
	/* LOCAL_OUT may carry a noref route; the skb now outlives RCU. */
	skb_dst_force(skb);
	if (!skb_dst(skb))
		return NF_DROP;
	__skb_queue_tail(&flow->held, skb);
	/* The standby needs the record that lets these go. */
	tcpfo_flows_event(flow->tn);
	return NF_STOLEN;
}

void tcpfo_flow_take_held(struct tcpfo_flow *flow, bool all,
			  struct sk_buff_head *list)
{
	struct sk_buff *skb, *tmp;

	/* Out of the hash, they would go out unclamped: drop them (TCP
	 * retransmits what still matters). A fenced flow sends nothing.
	 */
	if (READ_ONCE(flow->unlinked) || READ_ONCE(flow->fenced)) {
		__skb_queue_purge(&flow->held);
		return;
	}
	skb_queue_walk_safe(&flow->held, skb, tmp) {
		const struct tcphdr *th = tcp_hdr(skb);
		unsigned int legid = th->syn ? TCPFO_L1 : TCPFO_L2;

		if (!all && tcpfo_flow_must_hold(flow, legid))
			continue;
		__skb_unlink(skb, &flow->held);
		__skb_queue_tail(list, skb);
	}
}

void tcpfo_flow_send_held(struct tcpfo_net *tn, u8 family,
			  struct sk_buff_head *list)
{
	struct sk_buff *skb;

	/* LOCAL_OUT again: the hook sees them as the leg's next segments. */
	while ((skb = __skb_dequeue(list))) {
		if (family == AF_INET)
			ip_local_out(tn->net, skb->sk, skb);
#if IS_ENABLED(CONFIG_IPV6)
		else
			ip6_local_out(tn->net, skb->sk, skb);
#else
		else
			kfree_skb(skb);
#endif
	}
}

static void tcpfo_flow_free_rcu(struct rcu_head *head)
{
	struct tcpfo_flow *flow = container_of(head, struct tcpfo_flow, rcu);

	/* No hook can add to it any more: they all ran under RCU. */
	__skb_queue_purge(&flow->held);
	kfree(flow);
}

void tcpfo_flow_set_state(struct tcpfo_flow *flow, u8 state)
{
	lockdep_assert_held(&flow->lock);
	if (flow->state == state)
		return;
	WRITE_ONCE(flow->state, state);
	WRITE_ONCE(flow->state_since, jiffies);
	tcpfo_flows_event(flow->tn);
}

struct tcpfo_flow *tcpfo_flow_new(struct tcpfo_net *tn, u8 family,
				  const char *service, gfp_t gfp)
{
	struct tcpfo_flow *flow = kzalloc(sizeof(*flow), gfp);

	if (!flow)
		return NULL;
	spin_lock_init(&flow->lock);
	__skb_queue_head_init(&flow->held);
	flow->tn = tn;
	flow->family = family;
	flow->state = TCPFO_FLOW_SYN_RECV;
	flow->last_active = jiffies;
	flow->state_since = flow->last_active;
	flow->node[TCPFO_L1].leg = TCPFO_L1;
	flow->node[TCPFO_L2].leg = TCPFO_L2;
	strscpy(flow->service, service, sizeof(flow->service));
	return flow;
}

int tcpfo_flow_adopt(struct tcpfo_net *tn, struct tcpfo_flow *flow,
		     unsigned long id)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	unsigned int i;
	int err;

	if (atomic_inc_return(&tn->flow_count) > READ_ONCE(tcpfo_max_flows)) {
		err = -ENOSPC;
		goto err_count;
	}
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		struct tcpfo_leg *leg = &flow->leg[i];

		tcpfo_tuple_init(&flow->node[i].key, flow->family,
				 &leg->local_addr, leg->local_port,
				 &leg->peer_addr, leg->peer_port);
	}

	spin_lock_bh(&ft->lock);
	if (xa_load(&ft->by_id, id)) {
		err = -EBUSY;
		goto err_unlock;
	}
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		err = rhashtable_lookup_insert_fast(&ft->ht,
						    &flow->node[i].rhead,
						    tcpfo_flow_rht_params);
		if (err)
			goto err_unhash;
		flow->hashed[i] = true;
	}
	err = xa_err(xa_store(&ft->by_id, id, flow, GFP_ATOMIC));
	if (err)
		goto err_unhash;
	flow->id = id;
	/* Ids of flows created here later stay clear of the adopted one. */
	if (ft->next_id <= id)
		ft->next_id = id + 1;
	flow->indexed = true;
	tcpfo_flows_changed(ft);
	spin_unlock_bh(&ft->lock);

	queue_delayed_work(system_power_efficient_wq, &ft->gc,
			   TCPFO_GC_INTERVAL);
	tcpfo_flows_event(tn);
	return 0;

err_unhash:
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		if (!flow->hashed[i])
			continue;
		rhashtable_remove_fast(&ft->ht, &flow->node[i].rhead,
				       tcpfo_flow_rht_params);
		flow->hashed[i] = false;
	}
err_unlock:
	spin_unlock_bh(&ft->lock);
err_count:
	atomic_dec(&tn->flow_count);
	return err;
}

struct tcpfo_flow *tcpfo_flow_create(struct tcpfo_net *tn, const char *service,
				     const struct tcpfo_syn_info *syn)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	struct tcpfo_flow *flow;
	struct tcpfo_leg *l1;
	void *old;

	if (atomic_inc_return(&tn->flow_count) > READ_ONCE(tcpfo_max_flows)) {
		this_cpu_inc(tn->stats->flows_over_limit);
		goto err_count;
	}

	flow = tcpfo_flow_new(tn, syn->family, service, GFP_ATOMIC);
	if (!flow)
		goto err_count;

	l1 = &flow->leg[TCPFO_L1];
	l1->local_addr = syn->daddr;
	l1->local_port = syn->dport;
	l1->peer_addr = syn->saddr;
	l1->peer_port = syn->sport;
	l1->peer_isn = syn->isn;
	l1->peer_mss = syn->mss;
	l1->peer_wscale = syn->wscale;
	l1->peer_opts = syn->opts;
	l1->peer_syn_seen = true;
	l1->peer_end = syn->isn + 1;
	if (syn->opts & TCPFO_OPT_TIMESTAMP) {
		l1->ts_recent = syn->tsval;
		l1->ts_recent_valid = true;
	}
	tcpfo_tuple_init(&flow->node[TCPFO_L1].key, syn->family,
			 &syn->saddr, syn->sport, &syn->daddr, syn->dport);

	spin_lock_bh(&ft->lock);
	/* Two CPUs may see copies of one SYN: the first one wins. */
	old = rhashtable_lookup_get_insert_fast(&ft->ht,
						&flow->node[TCPFO_L1].rhead,
						tcpfo_flow_rht_params);
	if (old)
		goto err_unlock;
	flow->id = ft->next_id;
	if (xa_err(xa_store(&ft->by_id, flow->id, flow, GFP_ATOMIC))) {
		rhashtable_remove_fast(&ft->ht, &flow->node[TCPFO_L1].rhead,
				       tcpfo_flow_rht_params);
		goto err_unlock;
	}
	ft->next_id++;
	flow->hashed[TCPFO_L1] = true;
	flow->indexed = true;
	tcpfo_flows_changed(ft);
	spin_unlock_bh(&ft->lock);

	/* No-op while the reaper is pending; it re-arms itself. */
	queue_delayed_work(system_power_efficient_wq, &ft->gc,
			   TCPFO_GC_INTERVAL);
	return flow;

err_unlock:
	spin_unlock_bh(&ft->lock);
	kfree(flow);
err_count:
	atomic_dec(&tn->flow_count);
	return NULL;
}

/* Caller holds ft->lock. */
static void tcpfo_flow_unhash_locked(struct tcpfo_flow_table *ft,
				     struct tcpfo_flow *flow)
{
	unsigned int i;

	lockdep_assert_held(&ft->lock);
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		if (!flow->hashed[i])
			continue;
		rhashtable_remove_fast(&ft->ht, &flow->node[i].rhead,
				       tcpfo_flow_rht_params);
		flow->hashed[i] = false;
	}
	if (!flow->unlinked) {
		flow->unlinked_at = jiffies;
		WRITE_ONCE(flow->unlinked, true);
	}
}

void tcpfo_flow_unlink(struct tcpfo_net *tn, struct tcpfo_flow *flow)
{
	spin_lock_bh(&tn->flows.lock);
	tcpfo_flow_unhash_locked(&tn->flows, flow);
	spin_unlock_bh(&tn->flows.lock);
}

/* Caller holds ft->lock and has checked flow->indexed. */
static void tcpfo_flow_free_locked(struct tcpfo_net *tn,
				   struct tcpfo_flow *flow)
{
	struct tcpfo_flow_table *ft = &tn->flows;

	tcpfo_flow_unhash_locked(ft, flow);
	xa_erase(&ft->by_id, flow->id);
	flow->indexed = false;
	tcpfo_flows_changed(ft);
	atomic_dec(&tn->flow_count);
	if (flow->fenced)
		atomic_dec(&tn->fence.flows);
	tcpfo_flows_event(tn);
	/* Hooks and dumps may still hold it under RCU. */
	call_rcu(&flow->rcu, tcpfo_flow_free_rcu);
}

int tcpfo_flow_hash_l2(struct tcpfo_net *tn, struct tcpfo_flow *flow)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	struct tcpfo_leg *l2 = &flow->leg[TCPFO_L2];
	int err;

	lockdep_assert_held(&flow->lock);
	tcpfo_tuple_init(&flow->node[TCPFO_L2].key, flow->family,
			 &l2->local_addr, l2->local_port,
			 &l2->peer_addr, l2->peer_port);

	spin_lock_bh(&ft->lock);
	if (flow->unlinked || !flow->indexed) {
		err = -ENOENT;
		goto out;
	}
	err = rhashtable_lookup_insert_fast(&ft->ht,
					    &flow->node[TCPFO_L2].rhead,
					    tcpfo_flow_rht_params);
	if (err == -EEXIST) {
		struct tcpfo_flow_node *node;
		struct tcpfo_flow *old;

		/*
		 * The relay's bind() guarantees that no socket uses the
		 * tuple any more, so a closed flow holding it (in its grace
		 * period) is finished: it gives way. Any other holder is
		 * refused: the caller must sort that out.
		 */
		node = rhashtable_lookup(&ft->ht, &flow->node[TCPFO_L2].key,
					 tcpfo_flow_rht_params);
		old = node ? tcpfo_node_flow(node) : NULL;
		if (old && old != flow && !old->fenced &&
		    READ_ONCE(old->state) == TCPFO_FLOW_CLOSED) {
			tcpfo_flow_unhash_locked(ft, old);
			err = rhashtable_lookup_insert_fast(&ft->ht,
						&flow->node[TCPFO_L2].rhead,
						tcpfo_flow_rht_params);
		}
	}
	if (!err)
		flow->hashed[TCPFO_L2] = true;
out:
	spin_unlock_bh(&ft->lock);
	return err;
}

int tcpfo_flow_delete(struct tcpfo_net *tn, struct tcpfo_flow *flow)
{
	int err = 0;

	spin_lock_bh(&tn->flows.lock);
	if (flow->indexed)
		tcpfo_flow_free_locked(tn, flow);
	else
		err = -ENOENT;
	spin_unlock_bh(&tn->flows.lock);
	return err;
}

void tcpfo_flow_snapshot(struct tcpfo_flow *flow, struct tcpfo_flow_info *info)
{
	unsigned long idle, last, now;

	spin_lock_bh(&flow->lock);
	memcpy(info->leg, flow->leg, sizeof(info->leg));
	info->id = flow->id;
	info->released[0] = flow->released[0];
	info->released[1] = flow->released[1];
	info->fin[0] = flow->fin[0];
	info->fin[1] = flow->fin[1];
	info->fin_seen[0] = flow->fin_seen[0];
	info->fin_seen[1] = flow->fin_seen[1];
	info->family = flow->family;
	info->state = flow->state;
	info->paired = flow->paired;
	info->fenced = READ_ONCE(flow->fenced);
	last = READ_ONCE(flow->last_active);
	now = jiffies;
	/* Another CPU may have moved last_active past our jiffies read. */
	idle = time_after(now, last) ? now - last : 0;
	spin_unlock_bh(&flow->lock);

	memcpy(info->service, flow->service, sizeof(info->service));
	info->idle_ms = min_t(unsigned long, jiffies_to_msecs(idle), U32_MAX);
}

/* Caller holds ft->lock. */
static bool tcpfo_flow_fence_locked(struct tcpfo_net *tn,
				    struct tcpfo_flow *flow)
{
	u8 state = READ_ONCE(flow->state);

	lockdep_assert_held(&tn->flows.lock);
	if (flow->fenced || flow->unlinked || !flow->indexed ||
	    state == TCPFO_FLOW_CLOSED || state == TCPFO_FLOW_RESET)
		return false;
	flow->fenced_at = jiffies;
	WRITE_ONCE(flow->fenced, true);
	atomic_inc(&tn->fence.flows);
	tcpfo_flows_changed(&tn->flows);
	return true;
}

bool tcpfo_flow_fence(struct tcpfo_net *tn, struct tcpfo_flow *flow)
{
	bool fenced;

	spin_lock_bh(&tn->flows.lock);
	fenced = tcpfo_flow_fence_locked(tn, flow);
	spin_unlock_bh(&tn->flows.lock);
	if (fenced)
		tcpfo_flows_event(tn);
	return fenced;
}

unsigned int tcpfo_flows_fence(struct tcpfo_net *tn)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	struct tcpfo_flow *flow;
	unsigned long index;
	unsigned int n = 0;

	spin_lock_bh(&ft->lock);
	xa_for_each(&ft->by_id, index, flow)
		n += tcpfo_flow_fence_locked(tn, flow);
	spin_unlock_bh(&ft->lock);
	if (n)
		tcpfo_flows_event(tn);
	return n;
}

/*
 * Copy up to @max fenced flows' legs into @out (its sockets' tuples):
 * returns how many; *more is set if there were others.
 */
unsigned int tcpfo_flows_fenced_legs(struct tcpfo_net *tn,
				     struct tcpfo_fenced_legs *out,
				     unsigned int max)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	struct tcpfo_flow *flow;
	unsigned long index;
	unsigned int n = 0;

	spin_lock_bh(&ft->lock);
	xa_for_each(&ft->by_id, index, flow) {
		if (!flow->fenced)
			continue;
		if (n == max)
			break;
		out[n].id = flow->id;
		out[n].family = flow->family;
		/*
		 * Not under flow->lock (taken before ft->lock elsewhere):
		 * only the tuples are used, and a fenced flow's are fixed
		 * (its owner, who pairs flows, is gone).
		 */
		memcpy(out[n].leg, flow->leg, sizeof(out[n].leg));
		n++;
	}
	spin_unlock_bh(&ft->lock);
	return n;
}

bool tcpfo_flow_free_fenced(struct tcpfo_net *tn, unsigned long id)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	struct tcpfo_flow *flow;
	bool freed = false;

	spin_lock_bh(&ft->lock);
	flow = xa_load(&ft->by_id, id);
	if (flow && flow->fenced && flow->indexed) {
		tcpfo_flow_free_locked(tn, flow);
		freed = true;
	}
	spin_unlock_bh(&ft->lock);
	return freed;
}

/*
 * time_after(), not "now - last_active > limit": @now is read once before
 * the scan, and a segment handled meanwhile on another CPU may set
 * last_active past it; the unsigned difference would then wrap and reap a
 * flow that was just active.
 */
static bool tcpfo_idle_longer(const struct tcpfo_flow *flow,
			      unsigned long now, unsigned int secs)
{
	return time_after(now, READ_ONCE(flow->last_active) +
				       (unsigned long)secs * HZ);
}

static bool tcpfo_flow_expired(const struct tcpfo_flow *flow,
			       unsigned long now)
{
	u8 state = READ_ONCE(flow->state);

	/* Whatever its state: until then its tuples must stay fenced. */
	if (flow->fenced)
		return time_after_eq(now, flow->fenced_at +
				     (unsigned long)READ_ONCE(tcpfo_fenced_timeout) * HZ);
	if (flow->unlinked)
		return time_after_eq(now, flow->unlinked_at + TCPFO_GRACE);

	switch (state) {
	case TCPFO_FLOW_CLOSED:
	case TCPFO_FLOW_RESET:
		return time_after_eq(now, READ_ONCE(flow->state_since) +
					  TCPFO_GRACE);
	case TCPFO_FLOW_SYN_RECV:
	case TCPFO_FLOW_L1_ESTABLISHED:
	case TCPFO_FLOW_PAIRED:
		return tcpfo_idle_longer(flow, now,
					 READ_ONCE(tcpfo_handshake_timeout));
	default:
		if (READ_ONCE(flow->fin_seen[TCPFO_C2S]) &&
		    READ_ONCE(flow->fin_seen[TCPFO_S2C]))
			return tcpfo_idle_longer(flow, now,
						 READ_ONCE(tcpfo_fin_timeout));
		return tcpfo_idle_longer(flow, now,
					 READ_ONCE(tcpfo_established_timeout));
	}
}

/*
 * The reaper. A flow it frees while a segment of it is being handled is
 * still valid memory (kfree_rcu); that segment's updates are lost and the
 * following segments pass unchanged.
 */
static void tcpfo_flow_gc(struct work_struct *work)
{
	struct tcpfo_flow_table *ft = container_of(to_delayed_work(work),
						   struct tcpfo_flow_table, gc);
	struct tcpfo_net *tn = container_of(ft, struct tcpfo_net, flows);
	unsigned long now = jiffies;
	struct tcpfo_flow *flow;
	unsigned long index;

	spin_lock_bh(&ft->lock);
	xa_for_each(&ft->by_id, index, flow) {
		if (tcpfo_flow_expired(flow, now))
			tcpfo_flow_free_locked(tn, flow);
	}
	spin_unlock_bh(&ft->lock);

	if (atomic_read(&tn->flow_count))
		queue_delayed_work(system_power_efficient_wq, &ft->gc,
				   TCPFO_GC_INTERVAL);
}

int tcpfo_flows_init(struct tcpfo_net *tn)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	int err;

	spin_lock_init(&ft->lock);
	xa_init_flags(&ft->by_id, XA_FLAGS_LOCK_BH);
	ft->next_id = 1;
	ft->gen = 1;
	INIT_DELAYED_WORK(&ft->gc, tcpfo_flow_gc);
	err = rhashtable_init(&ft->ht, &tcpfo_flow_rht_params);
	if (err)
		return err;
	ft->ht_ready = true;
	return 0;
}

/*
 * Namespace exit (or init failure): the hooks are gone and a grace period
 * has passed, so nothing but the reaper can still reach a flow. Flows are
 * freed directly. Segments of connections that were tracked pass unchanged
 * from now on: after a module unload the peers see the sockets' real acks
 * (everything held is acknowledged at once; the invariant is only kept
 * while the module is loaded).
 */
void tcpfo_flows_exit(struct tcpfo_net *tn)
{
	struct tcpfo_flow_table *ft = &tn->flows;
	struct tcpfo_flow *flow;
	unsigned long index;

	cancel_delayed_work_sync(&ft->gc);
	if (ft->ht_ready) {
		/* Frees the buckets only; the flows are ours to free. */
		rhashtable_destroy(&ft->ht);
		ft->ht_ready = false;
	}
	xa_for_each(&ft->by_id, index, flow) {
		xa_erase(&ft->by_id, index);
		atomic_dec(&tn->flow_count);
		if (flow->fenced)
			atomic_dec(&tn->fence.flows);
		__skb_queue_purge(&flow->held);
		kfree(flow);
	}
	xa_destroy(&ft->by_id);
}
