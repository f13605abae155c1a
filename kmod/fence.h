/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fencing: the gateway never truncates a stream on its own.
 *
 * failoverd marks one of its generic netlink sockets as the owner of the
 * namespace (SET_CONFIG with TCPFO_A_OWNER). When that socket is released
 * (the daemon exited, was killed or crashed while the host lives), every
 * flow tracked at that moment is fenced and the namespace is fenced:
 *  - segments of a fenced flow are dropped both ways: the orphaned
 *    sockets' FINs, RSTs, data and ACKs in LOCAL_OUT, the peers' segments
 *    in PRE_ROUTING (so the stack answers nothing either);
 *  - while the namespace is fenced, SYNs to a declared service are
 *    dropped, and so are RSTs leaving from a service VIP:port: the node
 *    stops answering for its VIPs.
 * The owner's sockets close in an order the kernel does not promise (the
 * relay sockets may go before the owner socket), so a segment of a
 * tracked flow that the owner's process sends while it exits fences that
 * flow at once. A new owner lifts the namespace fence; fenced flows stay
 * fenced until the reaper frees them (module parameter fenced_timeout) or
 * FLOW_DEL deletes them.
 *
 * Owner state is under tcpfo_fence.lock (a spinlock: the netlink notifier
 * takes no sleeping lock); the hooks read the owner under RCU and the
 * flags with READ_ONCE().
 */
#ifndef _TCPFO_FENCE_H
#define _TCPFO_FENCE_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct nf_hook_state;
struct pid;
struct sk_buff;
struct tcpfo_flow;
struct tcpfo_net;
struct tcpfo_pkt;

/* The owner: replaced under tcpfo_fence.lock, read under RCU. */
struct tcpfo_owner {
	struct rcu_head	rcu;
	u32		portid;		/* its netlink socket */
	struct pid	*tgid;		/* its process (a reference) */
};

struct tcpfo_fence {
	spinlock_t	lock;		/* owner, fenced writes */
	struct tcpfo_owner __rcu *owner;	/* NULL: no owner */
	bool		fenced;		/* namespace-wide: READ_ONCE */
	unsigned long	fenced_at;	/* jiffies */
	atomic_t	flows;		/* fenced flows still in the table */
};

/* Module parameter (fence.c): seconds a fenced flow is kept. */
extern unsigned int tcpfo_fenced_timeout;

void tcpfo_fence_init(struct tcpfo_net *tn);
/* Namespace .pre_exit: forget the owner (no fence on a dying namespace). */
void tcpfo_fence_pre_exit(struct tcpfo_net *tn);
void tcpfo_fence_exit(struct tcpfo_net *tn);

/*
 * SET_CONFIG with OWNER: the socket @portid of the current process owns
 * the namespace from now on; lifts the namespace fence. -ENOMEM.
 */
int tcpfo_fence_set_owner(struct tcpfo_net *tn, u32 portid);

/*
 * SET_CONFIG with DISOWN: the owner socket @portid gives the namespace up
 * (a clean stop): its release fences nothing. No owner: 0. Another
 * socket owns it: -EBUSY.
 */
int tcpfo_fence_disown(struct tcpfo_net *tn, u32 portid);

/*
 * FENCE_LIFT: the orphaned sockets of every fenced flow are closed without
 * a word (their process is gone; tcp_done, as when their timers give up)
 * and the fenced flows are freed at once instead of at fenced_timeout.
 * For a failoverd that starts again: its old flows either moved to the
 * other node or are lost, and their tuples must be free for a takeover.
 * With @reset (a node that serves again itself: nobody carries the flows
 * on), each peer also gets an RST, so a peer that only waits for data
 * learns now that its connection is gone. Counts in *flows and *sockets.
 * -ENOMEM. Process context.
 */
int tcpfo_fence_lift(struct tcpfo_net *tn, bool reset, unsigned int *flows,
		     unsigned int *sockets);

/* The netlink release notifier, for module init and exit. */
int tcpfo_fence_register(void);
void tcpfo_fence_unregister(void);

/* Hook verdict meaning "not fenced: carry on". */
#define TCPFO_FENCE_PASS	(~0U)

/* Whether the hooks must consult tcpfo_fence_hook(). */
static inline bool tcpfo_fence_active(const struct tcpfo_fence *fe)
{
	return READ_ONCE(fe->fenced) || atomic_read(&fe->flows);
}

/*
 * From the hooks while tcpfo_fence_active(): NF_DROP for a segment of a
 * fenced flow, a SYN to a service or an RST from a service while the
 * namespace is fenced; TCPFO_FENCE_PASS otherwise. Under RCU.
 */
unsigned int tcpfo_fence_hook(struct tcpfo_net *tn, struct sk_buff *skb,
			      const struct nf_hook_state *state,
			      const struct tcpfo_pkt *pkt);

/*
 * While the namespace is fenced, nobody here answers for the services'
 * addresses on the link either: an ARP request or reply sent from a VIP
 * or back address (ARP output), an IPv6 neighbour advertisement for one
 * (@thoff: its ICMPv6 header; IPv6 LOCAL_OUT) is dropped, so neighbours
 * keep (or learn) the new primary's link-layer address. NF_ACCEPT
 * otherwise. Under RCU.
 */
unsigned int tcpfo_fence_arp(struct tcpfo_net *tn, struct sk_buff *skb);
unsigned int tcpfo_fence_ndisc(struct tcpfo_net *tn, struct sk_buff *skb,
			       int thoff);

/*
 * A FIN or RST of a tracked flow leaving (LOCAL_OUT, with a socket): if
 * the owner's process is exiting (closing its relay sockets before its
 * owner socket), the flow is fenced and the segment must be dropped
 * (true). Under RCU.
 */
bool tcpfo_fence_owner_exiting(struct tcpfo_net *tn, struct tcpfo_flow *flow);

#endif /* _TCPFO_FENCE_H */
