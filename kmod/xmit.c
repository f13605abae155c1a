// SPDX-License-Identifier: GPL-2.0
/*
 * Release ACKs: when the receiver on one leg acknowledges bytes, the
 * gateway acknowledges the same bytes to their sender on the other leg at
 * once, with a pure ACK it crafts itself (modelled on nf_synproxy's
 * synproxy_send_tcp), instead of waiting for its socket's next segment.
 *
 * The segment looks like the socket's own: seq = the socket's snd_nxt as
 * seen, ack = the released point (never beyond the socket's own ack), the
 * right edge last announced kept, and if timestamps are on TSval = the
 * socket's highest TSval sent (never lower, or the peer's PAWS check drops
 * the release; never ahead of what the socket sends next, or PAWS drops
 * the socket's own segments: see tcpfo_leg_note_tsval()) and TSecr = the
 * peer's newest TSval.
 *
 * It is routed from the leg's own addresses (the segment that triggered it
 * belongs to the other leg, so its dst is of no use) and sent with
 * ip_local_out()/ip6_local_out() without a socket: our LOCAL_OUT hook sees
 * it again, recognises it by the missing socket and lets it pass.
 *
 * Order with the socket's segments: the release is sent while flow->lock
 * is held, so no socket segment passes the hook (noting a newer TSval)
 * between its preparation and its transmission, and it carries the
 * socket's flow hash (tcpfo_segment_hash()).
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ratelimit.h>
#include <linux/skbuff.h>
#include <net/arp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ndisc.h>
#include <net/neighbour.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/xfrm.h>

#include "flow.h"
#include "netns.h"
#include "seq.h"
#include "xmit.h"

bool tcpfo_release_prepare(struct tcpfo_flow *flow, unsigned int legid,
			   struct tcpfo_release *rel)
{
	struct tcpfo_leg *leg = &flow->leg[legid];
	u32 ack;
	u8 ws;

	lockdep_assert_held(&flow->lock);
	/* A fenced flow sends nothing (fence.h). */
	if (READ_ONCE(flow->fenced))
		return false;
	if (!tcpfo_leg_synced(leg) || !leg->sent_any || !leg->rcv_nxt_valid)
		return false;
	if (!tcpfo_release_ack(leg->peer_isn, tcpfo_flow_ackable(flow, legid),
			       leg->rcv_nxt, leg->ack_sent, &ack))
		return false;
	/* Short of the socket's ack: keep out of ranges the peer SACKed. */
	if (tcpfo_seq_before(ack, leg->rcv_nxt)) {
		ack = tcpfo_sacked_safe_ack(&leg->sacked, ack);
		if (!tcpfo_seq_after(ack, leg->ack_sent))
			return false;
	}

	ws = tcpfo_leg_gw_wscale(leg);
	memset(rel, 0, sizeof(*rel));
	rel->family = flow->family;
	rel->saddr = leg->local_addr;
	rel->daddr = leg->peer_addr;
	rel->sport = leg->local_port;
	rel->dport = leg->peer_port;
	rel->txhash = leg->txhash;
	rel->seq = leg->snd_nxt;
	rel->ack = ack;
	rel->win = tcpfo_window_for_edge(ack, leg->right_edge, ws);
	rel->ts = (tcpfo_leg_opts(leg) & TCPFO_OPT_TIMESTAMP) &&
		  leg->ts_sent_valid;
	rel->tsval = leg->ts_sent;
	rel->tsecr = leg->ts_recent;

	/* What the peer is told now; the socket's next segment is judged
	 * (clamp, duplicate) against it.
	 */
	leg->ack_sent = ack;
	leg->win_sent = rel->win;
	leg->right_edge = tcpfo_right_edge(ack, rel->win, ws);
	leg->edge_max = tcpfo_seq_max(leg->edge_max, leg->right_edge);
	if (rel->ts)
		leg->tsecr_sent = rel->tsecr;
	tcpfo_sacked_prune(&leg->sacked, ack);
	return true;
}

/*
 * The socket's flow hash, as its own segments carry it: where a path is
 * picked by hash (RPS and RFS on a receiving device, a transmit queue when
 * no XPS map applies), the release takes the socket's path and stays in
 * order with its segments.
 */
static void tcpfo_segment_hash(struct sk_buff *skb,
			       const struct tcpfo_release *rel)
{
	if (rel->txhash)
		skb_set_hash(skb, rel->txhash, PKT_HASH_TYPE_L4);
}

/* Header and options; the payload (rel->payload bytes) follows. */
static unsigned int tcpfo_release_tcplen(const struct tcpfo_release *rel)
{
	return sizeof(struct tcphdr) + (rel->ts ? TCPOLEN_TSTAMP_ALIGNED : 0);
}

static void tcpfo_release_fill_tcp(struct tcphdr *th,
				   const struct tcpfo_release *rel,
				   unsigned int tcplen)
{
	th->source = rel->sport;
	th->dest = rel->dport;
	th->seq = htonl(rel->seq);
	th->ack_seq = htonl(rel->ack);
	th->doff = tcplen / 4;
	if (rel->flags)
		tcp_flag_byte(th) = rel->flags;
	else
		th->ack = 1;
	th->window = htons(rel->win);
	if (rel->ts) {
		__be32 *ptr = (__be32 *)(th + 1);

		*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		*ptr++ = htonl(rel->tsval);
		*ptr = htonl(rel->tsecr);
	}
}

/* Checksum left to the device or to validate_xmit_skb(), like TCP's own. */
static void tcpfo_release_csum(struct sk_buff *skb, struct tcphdr *th)
{
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (unsigned char *)th - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
}

/*
 * Takeover segments (rel->flags set) are rare and carry a payload byte:
 * they get their complete checksum here (CHECKSUM_NONE), valid whatever
 * the path does with them.
 */
static bool tcpfo_segment_sw_csum(const struct tcpfo_release *rel)
{
	return rel->flags;
}

/*
 * Whether a segment to @daddr by @dst can leave at once: the neighbour's
 * link-layer address is known. If it is not, its resolution is started
 * (neigh_event_send() with no skb queues nothing) and -EAGAIN returned. A
 * segment queued behind the resolution could leave after a later one: when
 * the answer comes, neigh_update() makes the entry valid, then flushes the
 * queue with the entry's lock dropped, so a segment sent meanwhile from
 * another CPU goes straight out ahead of it. For takeover probes that would
 * put an older TSval on the wire after a newer one (seen in CI).
 */
static int tcpfo_neigh_ready(struct dst_entry *dst, const void *daddr)
{
	struct neighbour *n = dst_neigh_lookup(dst, daddr);
	int err = 0;

	if (!n)
		return -ENOBUFS;
	if (!(READ_ONCE(n->nud_state) & NUD_VALID)) {
		neigh_event_send(n, NULL);
		err = -EAGAIN;
	}
	neigh_release(n);
	return err;
}

/*
 * At most this many neighbour entries looked up to be resolved per second
 * by tcpfo_neigh_warm() (all namespaces): a full sync of flows whose
 * clients are on the standby's own segment must neither send a burst of
 * thousands of ARP requests nor fill the neighbour table with entries
 * (its gc keeps them 5 s). One not started now is started by the
 * takeover's probe. Silent: the state prints only on release.
 */
static struct ratelimit_state tcpfo_warm_rs =
	RATELIMIT_STATE_INIT_FLAGS(tcpfo_warm_rs, HZ, 256,
				   RATELIMIT_MSG_ON_RELEASE);

/*
 * Resolve the neighbour @dst leads to for @daddr, whose entry @known
 * says is valid already (looked up without creating one).
 */
static void tcpfo_neigh_kick(struct dst_entry *dst, const void *daddr,
			     bool known)
{
	struct neighbour *n;

	if (known || !__ratelimit(&tcpfo_warm_rs))
		return;
	n = dst_neigh_lookup(dst, daddr);
	if (!n)
		return;
	if (!(READ_ONCE(n->nud_state) & NUD_VALID))
		neigh_event_send(n, NULL);
	neigh_release(n);
}

void tcpfo_neigh_warm(struct net *net, u8 family, const union tcpfo_addr *daddr)
{
	struct neighbour *n;
	struct dst_entry *dst;
	bool known;

	if (family == AF_INET) {
		struct flowi4 fl4 = {
			.daddr		= daddr->ip,
			.flowi4_proto	= IPPROTO_TCP,
		};
		struct rtable *rt = ip_route_output_key(net, &fl4);

		if (IS_ERR(rt))
			return;
		rcu_read_lock_bh();
		n = __ipv4_neigh_lookup_noref(rt->dst.dev,
					      (__force u32)rt_nexthop(rt, daddr->ip));
		known = n && (READ_ONCE(n->nud_state) & NUD_VALID);
		rcu_read_unlock_bh();
		tcpfo_neigh_kick(&rt->dst, &daddr->ip, known);
		ip_rt_put(rt);
		return;
	}
	{
		struct flowi6 fl6 = {
			.daddr		= daddr->in6,
			.flowi6_proto	= IPPROTO_TCP,
		};

		dst = ip6_route_output(net, NULL, &fl6);
		if (!dst->error) {
			rcu_read_lock_bh();
			n = __ipv6_neigh_lookup_noref(dst->dev,
				rt6_nexthop((struct rt6_info *)dst, &daddr->in6));
			known = n && (READ_ONCE(n->nud_state) & NUD_VALID);
			rcu_read_unlock_bh();
			tcpfo_neigh_kick(dst, &daddr->in6, known);
		}
		dst_release(dst);
	}
}

static int tcpfo_release_send_v4(struct net *net,
				 const struct tcpfo_release *rel)
{
	unsigned int tcplen = tcpfo_release_tcplen(rel);
	struct flowi4 fl4;
	struct sk_buff *skb;
	struct iphdr *iph;
	struct tcphdr *th;
	struct rtable *rt;

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = rel->daddr.ip;
	fl4.saddr = rel->saddr.ip;
	fl4.flowi4_proto = IPPROTO_TCP;
	fl4.fl4_sport = rel->sport;
	fl4.fl4_dport = rel->dport;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rel->resolved_only) {
		int err = tcpfo_neigh_ready(&rt->dst, &rel->daddr.ip);

		if (err) {
			ip_rt_put(rt);
			return err;
		}
	}

	skb = alloc_skb(LL_MAX_HEADER + sizeof(*iph) + tcplen + rel->payload,
			GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	skb_reserve(skb, LL_MAX_HEADER);
	tcpfo_segment_hash(skb, rel);
	skb_reset_network_header(skb);
	iph = skb_put(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = 0;
	iph->id = 0;
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_TCP;
	iph->check = 0;
	iph->saddr = rel->saddr.ip;
	iph->daddr = rel->daddr.ip;
	/* tot_len and the header checksum: __ip_local_out(). */

	skb_set_transport_header(skb, skb->len);
	th = skb_put_zero(skb, tcplen + rel->payload);
	tcpfo_release_fill_tcp(th, rel, tcplen);
	if (tcpfo_segment_sw_csum(rel)) {
		th->check = tcp_v4_check(tcplen + rel->payload, iph->saddr,
					 iph->daddr,
					 csum_partial(th, tcplen + rel->payload,
						      0));
		skb->ip_summed = CHECKSUM_NONE;
	} else {
		th->check = ~tcp_v4_check(tcplen, iph->saddr, iph->daddr, 0);
		tcpfo_release_csum(skb, th);
	}

	skb->protocol = htons(ETH_P_IP);
	skb_dst_set(skb, &rt->dst);
	return ip_local_out(net, NULL, skb);
}

static int tcpfo_release_send_v6(struct net *net,
				 const struct tcpfo_release *rel)
{
	unsigned int tcplen = tcpfo_release_tcplen(rel);
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *skb;
	struct flowi6 fl6;
	struct tcphdr *th;
	int err;

	memset(&fl6, 0, sizeof(fl6));
	fl6.daddr = rel->daddr.in6;
	fl6.saddr = rel->saddr.in6;
	fl6.flowi6_proto = IPPROTO_TCP;
	fl6.fl6_sport = rel->sport;
	fl6.fl6_dport = rel->dport;
	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		err = dst->error;
		dst_release(dst);
		return err;
	}
	dst = xfrm_lookup(net, dst, flowi6_to_flowi(&fl6), NULL, 0);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	if (rel->resolved_only) {
		err = tcpfo_neigh_ready(dst, &rel->daddr.in6);
		if (err) {
			dst_release(dst);
			return err;
		}
	}

	skb = alloc_skb(LL_MAX_HEADER + sizeof(*ip6h) + tcplen + rel->payload,
			GFP_ATOMIC);
	if (!skb) {
		dst_release(dst);
		return -ENOMEM;
	}
	skb_reserve(skb, LL_MAX_HEADER);
	tcpfo_segment_hash(skb, rel);
	skb_reset_network_header(skb);
	ip6h = skb_put(skb, sizeof(*ip6h));
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->saddr = rel->saddr.in6;
	ip6h->daddr = rel->daddr.in6;
	/* payload_len: __ip6_local_out(). */

	skb_set_transport_header(skb, skb->len);
	th = skb_put_zero(skb, tcplen + rel->payload);
	tcpfo_release_fill_tcp(th, rel, tcplen);
	if (tcpfo_segment_sw_csum(rel)) {
		th->check = tcp_v6_check(tcplen + rel->payload, &ip6h->saddr,
					 &ip6h->daddr,
					 csum_partial(th, tcplen + rel->payload,
						      0));
		skb->ip_summed = CHECKSUM_NONE;
	} else {
		th->check = ~tcp_v6_check(tcplen, &ip6h->saddr, &ip6h->daddr,
					  0);
		tcpfo_release_csum(skb, th);
	}

	skb->protocol = htons(ETH_P_IPV6);
	skb_dst_set(skb, dst);
	return ip6_local_out(net, NULL, skb);
}

int tcpfo_segment_send(struct tcpfo_net *tn, const struct tcpfo_release *rel)
{
	int err;

	if (rel->family == AF_INET)
		err = tcpfo_release_send_v4(tn->net, rel);
	else
		err = tcpfo_release_send_v6(tn->net, rel);
	return net_xmit_eval(err);
}

void tcpfo_release_send(struct tcpfo_net *tn, const struct tcpfo_release *rel)
{
	if (!tcpfo_segment_send(tn, rel))
		this_cpu_inc(tn->stats->release_acks);
}
