// SPDX-License-Identifier: GPL-2.0
/*
 * Arriving segments of tracked flows (PRE_ROUTING).
 *
 * A client SYN to a service creates the flow; the server's SYN-ACK on L2
 * completes the pairing. After that, every arriving segment is from a peer
 * that acknowledges what the gateway sent it on that leg: the server's acks
 * on L2 move R(c2s), the client's acks on L1 move R(s2c), and each move
 * releases the same bytes to their sender on the other leg (xmit.c).
 *
 * This hook runs before TCP's own checks, so nothing moves R unless TCP
 * would accept the segment as well: the checksum must be valid (veth's
 * CHECKSUM_PARTIAL/UNNECESSARY skbs count as valid), the ack must lie in
 * (R, snd_nxt], the sequence number within the window announced, and the
 * TSval must pass PAWS the way TCP applies it. A corrupt or forged ACK would
 * otherwise release bytes nobody received.
 */

#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <net/tcp.h>

#include "flow.h"
#include "hooks.h"
#include "netns.h"
#include "seq.h"
#include "track.h"
#include "xmit.h"

static bool tcpfo_csum_ok(struct sk_buff *skb,
			  const struct nf_hook_state *state,
			  const struct tcpfo_pkt *pkt)
{
	return !nf_checksum(skb, state->hook, pkt->thoff, IPPROTO_TCP,
			    pkt->family);
}

static void tcpfo_flow_touch(struct tcpfo_flow *flow)
{
	unsigned long now = jiffies;

	if (flow->last_active != now)
		WRITE_ONCE(flow->last_active, now);
}

static void tcpfo_syn_info_fill(struct tcpfo_syn_info *syn,
				const struct tcpfo_pkt *pkt,
				const struct tcpfo_tcp_opts *o)
{
	memset(syn, 0, sizeof(*syn));
	syn->saddr = pkt->saddr;
	syn->daddr = pkt->daddr;
	syn->sport = pkt->sport;
	syn->dport = pkt->dport;
	syn->family = pkt->family;
	syn->isn = pkt->seq;
	syn->mss = o->has_mss ? o->mss : 0;
	syn->wscale = o->wscale;
	syn->opts = tcpfo_opts_offered(o);
	syn->tsval = o->tsval;
}

/*
 * A SYN on the tuple of a tracked flow. Returns true if it starts a new
 * connection that replaces the flow at once: the flow is gone or closed
 * (a TIME_WAIT socket accepts a new SYN). On a flow that looks open the
 * SYN is only remembered: an open socket answers it with a challenge ACK
 * and a stray SYN must not end tracking, but if the gateway answers it with
 * a SYN-ACK the flow was stale, and clamp.c replaces it then.
 */
static bool tcpfo_track_syn_again(struct tcpfo_flow *flow,
				  const struct tcpfo_syn_info *syn)
{
	struct tcpfo_leg *l1 = &flow->leg[TCPFO_L1];
	bool replace = false;

	spin_lock_bh(&flow->lock);
	if (READ_ONCE(flow->unlinked) || flow->state == TCPFO_FLOW_CLOSED) {
		replace = true;
	} else if (syn->isn == l1->peer_isn) {
		/* Retransmitted SYN. */
		tcpfo_flow_touch(flow);
	} else if (flow->state == TCPFO_FLOW_SYN_RECV && !l1->gw_syn_seen) {
		/* The client restarted before the gateway answered. */
		l1->peer_isn = syn->isn;
		l1->peer_end = syn->isn + 1;
		l1->peer_mss = syn->mss;
		l1->peer_wscale = syn->wscale;
		l1->peer_opts = syn->opts;
		l1->ts_recent = syn->tsval;
		l1->ts_recent_valid = syn->opts & TCPFO_OPT_TIMESTAMP;
		tcpfo_flow_touch(flow);
	} else {
		flow->resyn = *syn;
		flow->resyn_valid = true;
	}
	spin_unlock_bh(&flow->lock);
	return replace;
}

unsigned int tcpfo_track_syn(struct tcpfo_net *tn,
			     const struct tcpfo_service *svc,
			     struct sk_buff *skb,
			     const struct nf_hook_state *state,
			     const struct tcpfo_pkt *pkt)
{
	u8 buf[TCPFO_OPT_MAX_LEN];
	struct tcpfo_flow_node *node;
	struct tcpfo_syn_info syn;
	struct tcpfo_tcp_opts o;
	struct tcpfo_tuple key;
	const u8 *opt;

	opt = tcpfo_pkt_opts(skb, pkt, buf);
	if (!opt)
		return NF_ACCEPT;
	/* A corrupt SYN is TCP's to drop; it must not create state. */
	if (!tcpfo_csum_ok(skb, state, pkt))
		return NF_ACCEPT;
	tcpfo_opts_parse(opt, pkt->doff - sizeof(struct tcphdr), &o);
	tcpfo_syn_info_fill(&syn, pkt, &o);

	if (atomic_read(&tn->flow_count)) {
		tcpfo_tuple_init(&key, pkt->family, &pkt->saddr, pkt->sport,
				 &pkt->daddr, pkt->dport);
		node = tcpfo_flow_lookup(tn, &key);
		if (node) {
			struct tcpfo_flow *flow = tcpfo_node_flow(node);

			if (node->leg != TCPFO_L1 ||
			    !tcpfo_track_syn_again(flow, &syn))
				return NF_ACCEPT;
			tcpfo_flow_unlink(tn, flow);
		}
	}
	tcpfo_flow_create(tn, svc->name, &syn);
	return NF_ACCEPT;
}

/* The server's SYN-ACK on L2: the last handshake step the module needs. */
static void tcpfo_track_synack(struct tcpfo_flow *flow, struct tcpfo_leg *l2,
			       const struct tcpfo_pkt *pkt,
			       const struct tcpfo_tcp_opts *o)
{
	if (!l2->gw_syn_seen || pkt->ack != l2->gw_isn + 1)
		return;
	if (l2->peer_syn_seen) {
		/* Retransmission (its ACK got lost); nothing new. */
		return;
	}
	l2->peer_isn = pkt->seq;
	l2->peer_end = pkt->seq + 1;
	l2->peer_mss = o->has_mss ? o->mss : 0;
	l2->peer_wscale = o->wscale;
	l2->peer_opts = tcpfo_opts_offered(o);
	l2->peer_syn_seen = true;
	l2->peer_ack = pkt->ack;
	l2->peer_ack_valid = true;
	if (o->has_ts) {
		l2->ts_recent = o->tsval;
		l2->ts_recent_valid = true;
	}
	if (flow->state == TCPFO_FLOW_PAIRED)
		tcpfo_flow_set_state(flow, flow->fin_seen[0] ||
					   flow->fin_seen[1] ?
					   TCPFO_FLOW_CLOSING :
					   TCPFO_FLOW_ESTABLISHED);
}

/*
 * RFC 5961: an RST ends the flow only if its sequence number is exactly
 * what the receiver expects: the gateway socket's rcv_nxt as last seen, or
 * the end of what the peer has sent (the socket may not have acked it yet).
 */
static void tcpfo_track_rst(struct tcpfo_net *tn, struct tcpfo_flow *flow,
			    const struct tcpfo_leg *leg,
			    const struct tcpfo_pkt *pkt)
{
	if (!leg->peer_syn_seen)
		return;
	if ((leg->rcv_nxt_valid && pkt->seq == leg->rcv_nxt) ||
	    pkt->seq == leg->peer_end) {
		tcpfo_flow_set_state(flow, TCPFO_FLOW_RESET);
		tcpfo_flow_unlink(tn, flow);
	}
}

/* Both FINs released to their senders and acknowledged by the receivers. */
static void tcpfo_track_check_closed(struct tcpfo_flow *flow)
{
	if (flow->state != TCPFO_FLOW_ESTABLISHED &&
	    flow->state != TCPFO_FLOW_CLOSING)
		return;
	if (flow->fin_seen[TCPFO_C2S] && flow->fin_seen[TCPFO_S2C] &&
	    flow->released[TCPFO_C2S] > flow->fin[TCPFO_C2S] &&
	    flow->released[TCPFO_S2C] > flow->fin[TCPFO_S2C])
		tcpfo_flow_set_state(flow, TCPFO_FLOW_CLOSED);
}

/* The peer's FIN: the offset of its direction's end. */
static void tcpfo_track_fin(struct tcpfo_flow *flow, unsigned int legid,
			    const struct tcpfo_pkt *pkt)
{
	const struct tcpfo_leg *leg = &flow->leg[legid];
	u32 off32;

	if (!flow->fin_seen[legid]) {
		off32 = tcpfo_seq_to_off32(leg->peer_isn,
					   pkt->seq + pkt->payload);
		flow->fin[legid] = tcpfo_off_extend(flow->released[legid],
						    off32);
		flow->fin_seen[legid] = true;
	}
	if (flow->state == TCPFO_FLOW_ESTABLISHED)
		tcpfo_flow_set_state(flow, TCPFO_FLOW_CLOSING);
}

unsigned int tcpfo_track_in(struct tcpfo_net *tn, struct tcpfo_flow *flow,
			    unsigned int legid, struct sk_buff *skb,
			    const struct nf_hook_state *state,
			    const struct tcpfo_pkt *pkt)
{
	struct tcpfo_leg *leg = &flow->leg[legid];
	u8 buf[TCPFO_OPT_MAX_LEN];
	struct tcpfo_release rel;
	struct tcpfo_tcp_opts o;
	unsigned int verdict = NF_ACCEPT;
	bool release = false;
	bool ts_on;
	const u8 *opt;
	u32 end;

	/* Addresses never change once the leg is hashed. On loopback the
	 * gateway's own segments come by here too: not the peer's.
	 */
	if (!tcpfo_pkt_from(pkt, &leg->peer_addr, leg->peer_port))
		return NF_ACCEPT;

	opt = tcpfo_pkt_opts(skb, pkt, buf);
	if (!opt)
		return NF_ACCEPT;
	if (!tcpfo_csum_ok(skb, state, pkt))
		return NF_ACCEPT;
	tcpfo_opts_parse(opt, pkt->doff - sizeof(struct tcphdr), &o);

	spin_lock_bh(&flow->lock);
	if (READ_ONCE(flow->unlinked))
		goto out_unlock;
	tcpfo_flow_touch(flow);

	if (pkt->flags & TCPHDR_RST) {
		tcpfo_track_rst(tn, flow, leg, pkt);
		goto out_unlock;
	}
	if (pkt->flags & TCPHDR_SYN) {
		if (legid == TCPFO_L2 && (pkt->flags & TCPHDR_ACK))
			tcpfo_track_synack(flow, leg, pkt, &o);
		goto out_unlock;
	}
	if (!leg->peer_syn_seen)
		goto out_unlock;

	/* Plausibility: nothing below changes unless TCP would accept it. */
	ts_on = (tcpfo_leg_opts(leg) & TCPFO_OPT_TIMESTAMP) && o.has_ts;
	if (ts_on && !tcpfo_tsval_plausible(o.tsval, leg->ts_recent,
					    leg->ts_recent_valid))
		goto out_unlock;
	if (leg->sent_any && tcpfo_seq_after(pkt->seq, leg->edge_max))
		goto out_unlock;

	if (ts_on && tcpfo_ts_recent_takes(pkt->seq, leg->rcv_nxt,
					   leg->rcv_nxt_valid)) {
		leg->ts_recent = o.tsval;
		leg->ts_recent_valid = true;
	}
	end = pkt->seq + pkt->payload + !!(pkt->flags & TCPHDR_FIN);
	leg->peer_end = tcpfo_seq_max(leg->peer_end, end);
	/*
	 * Below what the gateway acknowledged: a keepalive or zero-window
	 * probe (seq snd_una - 1) or a retransmission. The socket's answer
	 * must reach the peer even if it looks like a duplicate ACK.
	 */
	if (leg->sent_any && tcpfo_seq_before(pkt->seq, leg->ack_sent))
		leg->answer_due = true;

	/*
	 * The peer sends its FIN again: our acknowledgement of it is held
	 * until the other leg's receiver acknowledged the FIN we passed on,
	 * and by then the gateway's socket may be gone (it had sent its own
	 * FIN and got it acknowledged), so the stack would answer with an
	 * RST. If the socket did take the FIN (it acknowledged it, as far as
	 * LOCAL_OUT saw) and nothing new is in this one, it stops here, and
	 * the release ACK (sent by the module, socket or not) answers it.
	 */
	if ((pkt->flags & TCPHDR_FIN) && flow->fin_seen[legid] &&
	    flow->released[legid] <= flow->fin[legid]) {
		u32 fin_end = tcpfo_off_to_seq(leg->peer_isn, flow->fin[legid]) + 1;

		if (!tcpfo_seq_after(end, fin_end) && leg->rcv_nxt_valid &&
		    !tcpfo_seq_before(leg->rcv_nxt, fin_end))
			verdict = NF_DROP;
	}
	/*
	 * Just closed cleanly: a FIN copy the peer sent before our release
	 * ACK reached it. Answering it too (the socket, in TIME_WAIT) would
	 * meet a peer that has closed on the release ACK and draw its RST.
	 * After a second (the release ACK may have been lost) the socket
	 * answers again.
	 */
	if ((pkt->flags & TCPHDR_FIN) && flow->state == TCPFO_FLOW_CLOSED &&
	    time_before(jiffies, READ_ONCE(flow->state_since) + HZ))
		verdict = NF_DROP;

	if (pkt->flags & TCPHDR_FIN)
		tcpfo_track_fin(flow, legid, pkt);

	if (!(pkt->flags & TCPHDR_ACK) || !leg->gw_syn_seen)
		goto out_unlock;

	if (legid == TCPFO_L1 && flow->state == TCPFO_FLOW_SYN_RECV &&
	    pkt->ack == leg->gw_isn + 1)
		tcpfo_flow_set_state(flow, TCPFO_FLOW_L1_ESTABLISHED);

	leg->peer_ack = leg->peer_ack_valid ?
			tcpfo_seq_max(leg->peer_ack, pkt->ack) : pkt->ack;
	leg->peer_ack_valid = true;

	/* The peer of this leg acknowledges the direction it receives. */
	{
		unsigned int dir = !legid;
		u32 point = tcpfo_off_to_seq(leg->gw_isn, flow->released[dir]);

		if (tcpfo_ack_advances(pkt->ack, point, leg->snd_nxt)) {
			flow->released[dir] += (u32)(pkt->ack - point);
			tcpfo_flows_event(tn);
			/* ... and those bytes go to their sender. */
			release = tcpfo_release_prepare(flow, dir, &rel);
			tcpfo_track_check_closed(flow);
		}
	}

out_unlock:
	/* Under the lock: see tcpfo_release_send(). */
	if (release)
		tcpfo_release_send(tn, &rel);
	spin_unlock_bh(&flow->lock);
	return verdict;
}
