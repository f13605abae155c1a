// SPDX-License-Identifier: GPL-2.0
/*
 * Fencing (see fence.h): the namespace's owner, the netlink release
 * notifier that fences the namespace when the owner's socket goes, and
 * what the hooks drop while fenced.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/icmpv6.h>
#include <linux/if_arp.h>
#include <linux/mm.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ndisc.h>
#include <net/tcp.h>

#include "fence.h"
#include "flow.h"
#include "hooks.h"
#include "netns.h"
#include "service.h"
#include "xmit.h"

unsigned int tcpfo_fenced_timeout __read_mostly = 120;
module_param_named(fenced_timeout, tcpfo_fenced_timeout, uint, 0644);
MODULE_PARM_DESC(fenced_timeout,
		 "Seconds a fenced flow is kept (its segments dropped) before it is freed; by then its orphaned sockets have given up (default 120)");

/* Replaced owners are freed after a grace period: hooks read them. */
static void tcpfo_owner_free_rcu(struct rcu_head *head)
{
	struct tcpfo_owner *owner = container_of(head, struct tcpfo_owner, rcu);

	put_pid(owner->tgid);
	kfree(owner);
}

void tcpfo_fence_init(struct tcpfo_net *tn)
{
	struct tcpfo_fence *fe = &tn->fence;

	spin_lock_init(&fe->lock);
	RCU_INIT_POINTER(fe->owner, NULL);
	fe->fenced = false;
	fe->fenced_at = 0;
	atomic_set(&fe->flows, 0);
}

/* Take the owner away; the caller frees it after a grace period. */
static struct tcpfo_owner *tcpfo_fence_take_owner(struct tcpfo_fence *fe)
{
	struct tcpfo_owner *owner;

	owner = rcu_dereference_protected(fe->owner,
					  lockdep_is_held(&fe->lock));
	RCU_INIT_POINTER(fe->owner, NULL);
	return owner;
}

void tcpfo_fence_pre_exit(struct tcpfo_net *tn)
{
	struct tcpfo_fence *fe = &tn->fence;
	struct tcpfo_owner *owner;

	spin_lock_bh(&fe->lock);
	owner = tcpfo_fence_take_owner(fe);
	spin_unlock_bh(&fe->lock);
	if (owner)
		call_rcu(&owner->rcu, tcpfo_owner_free_rcu);
}

void tcpfo_fence_exit(struct tcpfo_net *tn)
{
	/* .pre_exit took the owner; nothing can set one any more. */
	WARN_ON_ONCE(rcu_access_pointer(tn->fence.owner));
}

int tcpfo_fence_set_owner(struct tcpfo_net *tn, u32 portid)
{
	struct tcpfo_fence *fe = &tn->fence;
	struct tcpfo_owner *owner, *old;
	bool was_fenced;

	owner = kzalloc(sizeof(*owner), GFP_KERNEL);
	if (!owner)
		return -ENOMEM;
	owner->portid = portid;
	/* The doit runs in the sender's context: that is the daemon. */
	owner->tgid = get_pid(task_tgid(current));

	spin_lock_bh(&fe->lock);
	old = tcpfo_fence_take_owner(fe);
	rcu_assign_pointer(fe->owner, owner);
	was_fenced = fe->fenced;
	WRITE_ONCE(fe->fenced, false);
	spin_unlock_bh(&fe->lock);

	if (old)
		call_rcu(&old->rcu, tcpfo_owner_free_rcu);
	if (was_fenced)
		pr_info("netns %u: new owner (portid %u), fence lifted; %d flows stay fenced\n",
			tn->net->ns.inum, portid, atomic_read(&fe->flows));
	return 0;
}

int tcpfo_fence_disown(struct tcpfo_net *tn, u32 portid)
{
	struct tcpfo_fence *fe = &tn->fence;
	struct tcpfo_owner *owner;

	spin_lock_bh(&fe->lock);
	owner = rcu_dereference_protected(fe->owner,
					  lockdep_is_held(&fe->lock));
	if (owner && owner->portid != portid) {
		spin_unlock_bh(&fe->lock);
		return -EBUSY;
	}
	owner = tcpfo_fence_take_owner(fe);
	spin_unlock_bh(&fe->lock);
	if (owner) {
		call_rcu(&owner->rcu, tcpfo_owner_free_rcu);
		pr_info("netns %u: owner (portid %u) gave the namespace up: its release fences nothing\n",
			tn->net->ns.inum, portid);
	}
	return 0;
}

/* The owner's socket is gone: fence the namespace and its flows. */
static void tcpfo_fence_ns(struct tcpfo_net *tn, u32 portid)
{
	struct tcpfo_fence *fe = &tn->fence;
	struct tcpfo_owner *owner;
	unsigned int n;

	spin_lock_bh(&fe->lock);
	owner = rcu_dereference_protected(fe->owner,
					  lockdep_is_held(&fe->lock));
	if (!owner || owner->portid != portid) {
		spin_unlock_bh(&fe->lock);
		return;
	}
	tcpfo_fence_take_owner(fe);
	fe->fenced_at = jiffies;
	WRITE_ONCE(fe->fenced, true);
	spin_unlock_bh(&fe->lock);
	call_rcu(&owner->rcu, tcpfo_owner_free_rcu);

	n = tcpfo_flows_fence(tn);
	pr_info("netns %u: owner (portid %u) gone, namespace fenced; %u flows fenced\n",
		tn->net->ns.inum, portid, n);
}

/*
 * Runs in the socket release path of every netlink socket with a portid
 * (sleeping or not depending on the kernel: take no sleeping lock). The
 * socket holds a reference on its namespace, so the namespace's state is
 * there; a namespace on its way out has no owner (.pre_exit).
 */
static int tcpfo_fence_nl_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	const struct netlink_notify *n = ptr;
	struct tcpfo_owner *owner;
	struct tcpfo_net *tn;
	bool match;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	tn = tcpfo_pernet(n->net);
	rcu_read_lock();
	owner = rcu_dereference(tn->fence.owner);
	match = owner && owner->portid == n->portid;
	rcu_read_unlock();
	if (match)
		tcpfo_fence_ns(tn, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block tcpfo_fence_nl_notifier = {
	.notifier_call	= tcpfo_fence_nl_event,
};

int __init tcpfo_fence_register(void)
{
	return netlink_register_notifier(&tcpfo_fence_nl_notifier);
}

void tcpfo_fence_unregister(void)
{
	/* Waits for notifier calls under way. */
	netlink_unregister_notifier(&tcpfo_fence_nl_notifier);
}

static bool tcpfo_fence_service_hit(struct tcpfo_net *tn, u8 family,
				    const union tcpfo_addr *addr, __be16 port)
{
	struct tcpfo_service_key key;

	if (!READ_ONCE(tn->services.count))
		return false;
	tcpfo_service_key_init(&key, family, addr, port);
	return tcpfo_service_lookup(tn, &key);
}

unsigned int tcpfo_fence_hook(struct tcpfo_net *tn, struct sk_buff *skb,
			      const struct nf_hook_state *state,
			      const struct tcpfo_pkt *pkt)
{
	bool out = state->hook == NF_INET_LOCAL_OUT;
	struct tcpfo_flow_node *node;
	struct tcpfo_tuple key;

	if (READ_ONCE(tn->fence.fenced)) {
		/* No SYN-ACK, no RST: nobody answers for the VIP here. */
		if (!out && (pkt->flags & (TCPHDR_SYN | TCPHDR_ACK |
					   TCPHDR_RST)) == TCPHDR_SYN &&
		    tcpfo_fence_service_hit(tn, pkt->family, &pkt->daddr,
					    pkt->dport))
			goto drop;
		if (out && (pkt->flags & TCPHDR_RST) &&
		    tcpfo_fence_service_hit(tn, pkt->family, &pkt->saddr,
					    pkt->sport))
			goto drop;
	}
	if (!atomic_read(&tn->fence.flows))
		return TCPFO_FENCE_PASS;
	tcpfo_tuple_init(&key, pkt->family, &pkt->saddr, pkt->sport,
			 &pkt->daddr, pkt->dport);
	node = tcpfo_flow_lookup(tn, &key);
	if (!node || !READ_ONCE(tcpfo_node_flow(node)->fenced))
		return TCPFO_FENCE_PASS;
drop:
	this_cpu_inc(tn->stats->fenced_drops);
	return NF_DROP;
}

/* @addr is a service's VIP or back address. Under RCU; linear, fenced only. */
static bool tcpfo_fence_floating(struct tcpfo_net *tn, u8 family,
				 const union tcpfo_addr *addr)
{
	unsigned int len = tcpfo_addr_len(family);
	struct tcpfo_service *svc;

	list_for_each_entry_rcu(svc, &tn->services.list, list) {
		if (svc->key.family != family)
			continue;
		if (!memcmp(&svc->key.addr, addr, len) ||
		    !memcmp(&svc->back_addr, addr, len))
			return true;
	}
	return false;
}

unsigned int tcpfo_fence_arp(struct tcpfo_net *tn, struct sk_buff *skb)
{
	union tcpfo_addr sip = {};
	const struct arphdr *ah;
	struct arphdr _ah;
	__be32 _sip;
	const __be32 *p;

	if (!READ_ONCE(tn->fence.fenced) || !READ_ONCE(tn->services.count))
		return NF_ACCEPT;
	ah = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_ah), &_ah);
	if (!ah || ah->ar_pro != htons(ETH_P_IP) || ah->ar_pln != 4 ||
	    (ah->ar_op != htons(ARPOP_REPLY) && ah->ar_op != htons(ARPOP_REQUEST)))
		return NF_ACCEPT;
	p = skb_header_pointer(skb, skb_network_offset(skb) + sizeof(*ah) +
				    ah->ar_hln, sizeof(_sip), &_sip);
	if (!p)
		return NF_ACCEPT;
	sip.ip = *p;
	if (!tcpfo_fence_floating(tn, AF_INET, &sip))
		return NF_ACCEPT;
	this_cpu_inc(tn->stats->fenced_drops);
	return NF_DROP;
}

unsigned int tcpfo_fence_ndisc(struct tcpfo_net *tn, struct sk_buff *skb,
			       int thoff)
{
	struct {
		struct icmp6hdr hdr;
		struct in6_addr target;
	} _na;
	const typeof(_na) *na;
	union tcpfo_addr target = {};

	if (!READ_ONCE(tn->fence.fenced) || !READ_ONCE(tn->services.count))
		return NF_ACCEPT;
	na = skb_header_pointer(skb, thoff, sizeof(_na), &_na);
	if (!na || na->hdr.icmp6_type != NDISC_NEIGHBOUR_ADVERTISEMENT)
		return NF_ACCEPT;
	target.in6 = na->target;
	if (!tcpfo_fence_floating(tn, AF_INET6, &target))
		return NF_ACCEPT;
	this_cpu_inc(tn->stats->fenced_drops);
	return NF_DROP;
}

/*
 * Whether the owner's process is on its way out: its group leader is
 * exiting, or the process is gone while its socket is not released yet.
 */
static bool tcpfo_fence_owner_dying(const struct tcpfo_owner *owner)
{
	struct task_struct *leader;

	if ((current->flags & PF_EXITING) && in_task() &&
	    task_tgid(current) == owner->tgid)
		return true;
	leader = pid_task(owner->tgid, PIDTYPE_TGID);
	return !leader || (READ_ONCE(leader->flags) & PF_EXITING);
}

bool tcpfo_fence_owner_exiting(struct tcpfo_net *tn, struct tcpfo_flow *flow)
{
	struct tcpfo_owner *owner;

	owner = rcu_dereference(tn->fence.owner);
	if (!owner || !tcpfo_fence_owner_dying(owner))
		return false;
	tcpfo_flow_fence(tn, flow);
	if (!READ_ONCE(flow->fenced))
		return false;
	this_cpu_inc(tn->stats->fenced_drops);
	return true;
}

/*
 * The socket of one leg, if it is an orphan (its process closed it, or
 * died): closed on the spot without sending anything, as its own timers
 * do when they give up (tcp_done). Time-wait entries go as well. A socket
 * some process still holds is left alone. Process context.
 */
static bool tcpfo_fence_kill_orphan(struct net *net, u8 family,
				    const struct tcpfo_leg *leg)
{
	struct sock *sk = tcpfo_leg_socket(net, family, leg);
	bool killed = false;

	if (!sk)
		return false;
	if (sk->sk_state == TCP_TIME_WAIT) {
		inet_twsk_deschedule_put(inet_twsk(sk));
		return true;
	}
	if (sk->sk_state != TCP_NEW_SYN_RECV) {
		local_bh_disable();
		bh_lock_sock(sk);
		if (sock_flag(sk, SOCK_DEAD) && !sock_owned_by_user(sk) &&
		    sk->sk_state != TCP_CLOSE) {
			tcp_done(sk);
			killed = true;
		}
		bh_unlock_sock(sk);
		local_bh_enable();
	}
	sock_gen_put(sk);
	return killed;
}

#define TCPFO_LIFT_BATCH 64

/*
 * After its flow is gone (the fence would drop it): an RST to each peer
 * at the end of what the gateway sent it. That is the peer's receive
 * point, or within its window above it, which draws a challenge ACK that
 * the stack (no socket holds the tuple now) answers with an exact RST.
 */
static void tcpfo_fence_reset_peers(struct tcpfo_net *tn,
				    const struct tcpfo_fenced_legs *fl)
{
	struct tcpfo_release seg;
	unsigned int l;

	for (l = 0; l < TCPFO_NR_LEGS; l++) {
		const struct tcpfo_leg *leg = &fl->leg[l];

		if (!leg->gw_syn_seen || !leg->peer_port)
			continue;
		tcpfo_seg_to_peer(&seg, fl->family, leg);
		seg.seq = leg->snd_nxt;
		seg.flags = TCPHDR_RST;
		tcpfo_segment_send(tn, &seg);
	}
}

int tcpfo_fence_lift(struct tcpfo_net *tn, bool reset, unsigned int *flows,
		     unsigned int *sockets)
{
	struct tcpfo_fenced_legs *batch;
	unsigned int n, i, l, rounds = 0;

	*flows = *sockets = 0;
	if (!atomic_read(&tn->fence.flows))
		return 0;
	batch = kvmalloc_array(TCPFO_LIFT_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	/*
	 * Each round frees what it copied, so the next one sees the rest;
	 * the bound only guards against a table that refills meanwhile.
	 */
	while ((n = tcpfo_flows_fenced_legs(tn, batch, TCPFO_LIFT_BATCH)) &&
	       rounds++ < 1 + READ_ONCE(tcpfo_max_flows) / TCPFO_LIFT_BATCH) {
		for (i = 0; i < n; i++) {
			/* The sockets first: the flow drops what they send. */
			for (l = 0; l < TCPFO_NR_LEGS; l++)
				*sockets += tcpfo_fence_kill_orphan(tn->net,
						batch[i].family, &batch[i].leg[l]);
			if (!tcpfo_flow_free_fenced(tn, batch[i].id))
				continue;
			++*flows;
			if (reset)
				tcpfo_fence_reset_peers(tn, &batch[i]);
		}
		cond_resched();
	}
	kvfree(batch);
	return 0;
}
