// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter entry points.
 *
 * One set of hook ops serves every namespace: IPv4 and IPv6 at PRE_ROUTING
 * (segments arriving for the gateway) and LOCAL_OUT (segments its sockets
 * send), and ARP output (only a fenced namespace drops anything there). Each TCP segment is counted as seen and parsed into a struct
 * tcpfo_pkt; a client SYN to a declared service creates a flow (track.c),
 * and a segment of a tracked flow goes to track.c on input (what the peers
 * acknowledge) or clamp.c on output (what the gateway may acknowledge).
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "clamp.h"
#include "fence.h"
#include "flow.h"
#include "hooks.h"
#include "netns.h"
#include "service.h"
#include "takeover.h"
#include "track.h"

/*
 * After the raw table (-300), before conntrack (-200) and DNAT (-100):
 * conntrack, and its TCP window tracking, will see segments as the datapath
 * leaves them, and input still carries the VIP as its destination.
 */
#define TCPFO_HOOK_PRIORITY	(NF_IP_PRI_RAW + 50)
static_assert((int)NF_IP_PRI_RAW == (int)NF_IP6_PRI_RAW &&
	      (int)NF_IP_PRI_CONNTRACK == (int)NF_IP6_PRI_CONNTRACK,
	      "one priority serves both families");
static_assert(TCPFO_HOOK_PRIORITY < NF_IP_PRI_CONNTRACK);

/* A SYN without ACK arriving for a service: a new client connection. */
static unsigned int tcpfo_hook_syn(struct tcpfo_net *tn, struct sk_buff *skb,
				   const struct nf_hook_state *state,
				   const struct tcpfo_pkt *pkt)
{
	struct tcpfo_service_key key;
	struct tcpfo_service *svc;

	if (!READ_ONCE(tn->services.count))
		return NF_ACCEPT;
	tcpfo_service_key_init(&key, pkt->family, &pkt->daddr, pkt->dport);
	svc = tcpfo_service_lookup(tn, &key);
	if (!svc)
		return NF_ACCEPT;
	this_cpu_inc(tn->stats->packets_tracked);
	return tcpfo_track_syn(tn, svc, skb, state, pkt);
}

/*
 * Every TCP segment of the namespace comes here. Untracked traffic costs
 * one hash lookup (none while the namespace has no flows): a flow lookup,
 * or for a SYN arriving from outside a service lookup.
 */
static unsigned int tcpfo_hook_tcp(struct tcpfo_net *tn, struct sk_buff *skb,
				   const struct nf_hook_state *state,
				   const struct tcpfo_pkt *pkt)
{
	bool out = state->hook == NF_INET_LOCAL_OUT;
	struct tcpfo_flow_node *node;
	struct tcpfo_tuple key;

	this_cpu_inc(tn->stats->packets_seen);

	/*
	 * Takeover locks come before everything else, SYNs included: a
	 * locked tuple's segments must reach neither a socket nor the flow
	 * table. Free while nothing is locked.
	 */
	if (tcpfo_takeover_active(&tn->takeover)) {
		unsigned int verdict = tcpfo_takeover_hook(tn, skb, state, pkt);

		if (verdict != TCPFO_TAKEOVER_PASS)
			return verdict;
	}

	/*
	 * Then the fence: a fenced flow's segments, and while the namespace
	 * is fenced the SYNs to and RSTs from its services, go nowhere.
	 * Free while nothing is fenced.
	 */
	if (unlikely(tcpfo_fence_active(&tn->fence))) {
		unsigned int verdict = tcpfo_fence_hook(tn, skb, state, pkt);

		if (verdict != TCPFO_FENCE_PASS)
			return verdict;
	}

	/*
	 * Segments sent without a socket are the kernel's own: our release
	 * ACKs (xmit.c, sent from inside a hook and seen here again),
	 * nf_reject RSTs, synproxy. They pass unclamped. Socket segments,
	 * including the ctl socket's TIME_WAIT ACKs and RSTs, carry a socket.
	 * The exception is a listener's SYN-ACK sent as a SYN cookie (queue
	 * full, or tcp_syncookies=2), which has no socket either: it is the
	 * gateway's answer on L1 and must be seen (ISN; held in sync mode).
	 * Synproxy's SYN-ACK, also socketless, carries its conntrack entry
	 * already (TCP's has none before conntrack's hook): it passes.
	 */
	if (out && !state->sk &&
	    (!(pkt->flags & TCPHDR_SYN) || skb_nfct(skb)))
		return NF_ACCEPT;

	if (!out && (pkt->flags & (TCPHDR_SYN | TCPHDR_ACK | TCPHDR_RST)) ==
		    TCPHDR_SYN)
		return tcpfo_hook_syn(tn, skb, state, pkt);

	if (!atomic_read(&tn->flow_count))
		return NF_ACCEPT;

	tcpfo_tuple_init(&key, pkt->family, &pkt->saddr, pkt->sport,
			 &pkt->daddr, pkt->dport);
	node = tcpfo_flow_lookup(tn, &key);
	if (!node)
		return NF_ACCEPT;

	this_cpu_inc(tn->stats->packets_tracked);
	/* The owner's process closing its relay sockets as it dies. */
	if (out && (pkt->flags & (TCPHDR_FIN | TCPHDR_RST)) &&
	    rcu_access_pointer(tn->fence.owner) &&
	    tcpfo_fence_owner_exiting(tn, tcpfo_node_flow(node)))
		return NF_DROP;
	if (out)
		return tcpfo_clamp_out(tn, tcpfo_node_flow(node), node->leg,
				       skb, pkt);
	return tcpfo_track_in(tn, tcpfo_node_flow(node), node->leg, skb,
			      state, pkt);
}

/* Fill the TCP part of @pkt; false if the header is truncated or bogus. */
static bool tcpfo_pkt_tcp(const struct sk_buff *skb, struct tcpfo_pkt *pkt)
{
	const struct tcphdr *th;
	struct tcphdr _th;

	th = skb_header_pointer(skb, pkt->thoff, sizeof(_th), &_th);
	if (!th || th->doff < sizeof(_th) / 4)
		return false;
	pkt->doff = th->doff * 4;
	if (skb->len < pkt->thoff + pkt->doff)
		return false;
	pkt->sport = th->source;
	pkt->dport = th->dest;
	pkt->seq = ntohl(th->seq);
	pkt->ack = ntohl(th->ack_seq);
	pkt->win = ntohs(th->window);
	pkt->flags = tcp_flag_byte(th);
	/* From skb->len, not the IP length: GSO super-packets are counted
	 * whole, and input was trimmed to the IP length already.
	 */
	pkt->payload = skb->len - pkt->thoff - pkt->doff;
	return true;
}

static unsigned int tcpfo_hook_ipv4(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	const struct iphdr *iph;
	struct tcpfo_pkt pkt;

	/* Raw sockets (IP_HDRINCL) can send anything through LOCAL_OUT;
	 * the same test as conntrack's ipv4_conntrack_local().
	 */
	if (skb->len < sizeof(struct iphdr) ||
	    ip_hdrlen(skb) < sizeof(struct iphdr))
		return NF_ACCEPT;

	iph = ip_hdr(skb);
	if (iph->protocol != IPPROTO_TCP)
		return NF_ACCEPT;
	/* Later fragments carry no TCP header. */
	if (iph->frag_off & htons(IP_OFFSET))
		return NF_ACCEPT;

	memset(&pkt, 0, sizeof(pkt));
	pkt.family = AF_INET;
	pkt.saddr.ip = iph->saddr;
	pkt.daddr.ip = iph->daddr;
	pkt.thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	if (!tcpfo_pkt_tcp(skb, &pkt))
		return NF_ACCEPT;
	return tcpfo_hook_tcp(tcpfo_pernet(state->net), skb, state, &pkt);
}

static unsigned int tcpfo_hook_ipv6(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h;
	struct ipv6hdr _ip6h;
	struct tcpfo_pkt pkt;
	__be16 frag_off;
	u8 nexthdr;
	int thoff;

	ip6h = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_ip6h),
				  &_ip6h);
	if (!ip6h)
		return NF_ACCEPT;

	nexthdr = ip6h->nexthdr;
	thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
				 &nexthdr, &frag_off);
	if (thoff >= 0 && nexthdr == IPPROTO_ICMPV6 &&
	    state->hook == NF_INET_LOCAL_OUT)
		return tcpfo_fence_ndisc(tcpfo_pernet(state->net), skb, thoff);
	if (thoff < 0 || nexthdr != IPPROTO_TCP)
		return NF_ACCEPT;
	/* Later fragments carry no TCP header. */
	if (frag_off & htons(~0x7))
		return NF_ACCEPT;

	memset(&pkt, 0, sizeof(pkt));
	pkt.family = AF_INET6;
	pkt.saddr.in6 = ip6h->saddr;
	pkt.daddr.in6 = ip6h->daddr;
	pkt.thoff = thoff;
	if (!tcpfo_pkt_tcp(skb, &pkt))
		return NF_ACCEPT;
	return tcpfo_hook_tcp(tcpfo_pernet(state->net), skb, state, &pkt);
}

/* ARP output: only a fenced namespace drops anything (fence.h). */
static unsigned int tcpfo_hook_arp(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	return tcpfo_fence_arp(tcpfo_pernet(state->net), skb);
}

static const struct nf_hook_ops tcpfo_nf_ops[] = {
	{
		.hook		= tcpfo_hook_arp,
		.pf		= NFPROTO_ARP,
		.hooknum	= NF_ARP_OUT,
		.priority	= 0,
	},
	{
		.hook		= tcpfo_hook_ipv4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= TCPFO_HOOK_PRIORITY,
	},
	{
		.hook		= tcpfo_hook_ipv4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= TCPFO_HOOK_PRIORITY,
	},
	{
		.hook		= tcpfo_hook_ipv6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= TCPFO_HOOK_PRIORITY,
	},
	{
		.hook		= tcpfo_hook_ipv6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= TCPFO_HOOK_PRIORITY,
	},
};

int tcpfo_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, tcpfo_nf_ops,
				     ARRAY_SIZE(tcpfo_nf_ops));
}

void tcpfo_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, tcpfo_nf_ops, ARRAY_SIZE(tcpfo_nf_ops));
}
