// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter entry points.
 *
 * One set of hook ops serves every namespace: IPv4 and IPv6 at PRE_ROUTING
 * (segments arriving for the gateway) and LOCAL_OUT (segments its sockets
 * send). Each TCP segment is counted as seen; one RCU hash lookup then says
 * whether it belongs to a declared service: the VIP:port is its destination
 * on input and its source on output. Every packet is accepted; the datapath
 * (flow tracking, ACK clamping) plugs in at tcpfo_hook_tcp().
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "hooks.h"
#include "netns.h"
#include "service.h"

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

/* A TCP segment as the hooks hand it on, addresses in network order. */
struct tcpfo_pkt {
	const struct tcphdr	*th;	/* in the skb, or a stack copy */
	unsigned int		thoff;	/* TCP header offset from skb->data */
	union tcpfo_addr	saddr;
	union tcpfo_addr	daddr;
	u8			family;
};

static unsigned int tcpfo_hook_tcp(struct tcpfo_net *tn, struct sk_buff *skb,
				   const struct nf_hook_state *state,
				   const struct tcpfo_pkt *pkt)
{
	struct tcpfo_service_key key;

	this_cpu_inc(tn->stats->packets_seen);

	/*
	 * Datapath extension point: the flow lookup on the 4-tuple goes here;
	 * a segment of a tracked flow is counted and handled without the
	 * service lookup below.
	 */

	if (!READ_ONCE(tn->services.count))
		return NF_ACCEPT;

	if (state->hook == NF_INET_PRE_ROUTING)
		tcpfo_service_key_init(&key, pkt->family, &pkt->daddr,
				       pkt->th->dest);
	else
		tcpfo_service_key_init(&key, pkt->family, &pkt->saddr,
				       pkt->th->source);

	if (tcpfo_service_lookup(tn, &key))
		this_cpu_inc(tn->stats->packets_tracked);

	return NF_ACCEPT;
}

static unsigned int tcpfo_hook_ipv4(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	const struct iphdr *iph;
	struct tcpfo_pkt pkt;
	struct tcphdr _th;

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

	pkt.thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	pkt.th = skb_header_pointer(skb, pkt.thoff, sizeof(_th), &_th);
	if (!pkt.th)
		return NF_ACCEPT;

	pkt.family = AF_INET;
	pkt.saddr.ip = iph->saddr;
	pkt.daddr.ip = iph->daddr;
	return tcpfo_hook_tcp(tcpfo_pernet(state->net), skb, state, &pkt);
}

static unsigned int tcpfo_hook_ipv6(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h;
	struct ipv6hdr _ip6h;
	struct tcpfo_pkt pkt;
	struct tcphdr _th;
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
	if (thoff < 0 || nexthdr != IPPROTO_TCP)
		return NF_ACCEPT;
	/* Later fragments carry no TCP header. */
	if (frag_off & htons(~0x7))
		return NF_ACCEPT;

	pkt.thoff = thoff;
	pkt.th = skb_header_pointer(skb, pkt.thoff, sizeof(_th), &_th);
	if (!pkt.th)
		return NF_ACCEPT;

	pkt.family = AF_INET6;
	pkt.saddr.in6 = ip6h->saddr;
	pkt.daddr.in6 = ip6h->daddr;
	return tcpfo_hook_tcp(tcpfo_pernet(state->net), skb, state, &pkt);
}

static const struct nf_hook_ops tcpfo_nf_ops[] = {
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
