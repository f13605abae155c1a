// SPDX-License-Identifier: GPL-2.0
/*
 * ACK clamping (LOCAL_OUT, below conntrack): the gateway's sockets never
 * acknowledge a byte to its sender before the receiver on the other leg
 * acknowledged it.
 *
 * For a segment of leg L with the socket's ack N, the peer may see at most
 * A = peer ISN + 1 + R (R of the direction the peer sends). When A is
 * before N the segment is rewritten:
 *  - ack := A;
 *  - window widened by N - A so the right edge the peer sees never moves
 *    left (rounded up to the gateway's scale unit, saturating at 65535);
 *  - SACK blocks starting before N become NOPs: D-SACKs and blocks in
 *    [A, N) would make a later release look like reneging to the peer;
 *  - checksum fixed incrementally (pseudo-header unchanged), which is
 *    right for CHECKSUM_PARTIAL socket skbs, the ctl socket's complete
 *    checksums, and GSO super-packets (tcp_gso_segment copies the header,
 *    so one edit covers every segment).
 * An ack never stops inside a range of data the peer was told is SACKed
 * (it would look like reneging): it stops one byte before the range.
 * A clamped pure ACK that repeats the previous ack and window with nothing
 * new (no SACK, ECE or newer TSecr, not answering a probe) is dropped: the
 * peer would count it as a duplicate ACK. The header length never changes.
 *
 * Along the way the gateway side of the leg is recorded for crafting
 * releases: its rcv_nxt, snd_nxt, TSval, and what the peer was told.
 */

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/tcp.h>

#include "clamp.h"
#include "flow.h"
#include "hooks.h"
#include "netns.h"
#include "seq.h"

/*
 * The gateway's SYN-ACK on L1 or SYN on L2: its ISN and options. Returns
 * true if the SYN-ACK answers a new connection on the tuple (see
 * tcpfo_track_syn_again()): the flow is stale and must be replaced.
 */
static bool tcpfo_clamp_syn(struct tcpfo_flow *flow, unsigned int legid,
			    const struct tcpfo_pkt *pkt,
			    const struct tcpfo_tcp_opts *o)
{
	struct tcpfo_leg *leg = &flow->leg[legid];
	bool synack = pkt->flags & TCPHDR_ACK;

	/* The gateway answers on L1 and opens L2. */
	if (synack != (legid == TCPFO_L1))
		return false;
	if (synack && pkt->ack != leg->peer_isn + 1)
		return flow->resyn_valid && pkt->ack == flow->resyn.isn + 1;
	if (leg->gw_syn_seen) {
		/* Retransmission. */
		if (o->has_ts)
			tcpfo_leg_note_tsval(leg, o->tsval);
		return false;
	}

	leg->gw_isn = pkt->seq;
	leg->gw_wscale = o->wscale;
	leg->gw_opts = tcpfo_opts_offered(o);
	leg->gw_syn_seen = true;
	leg->snd_nxt = pkt->seq + 1;
	if (o->has_ts)
		tcpfo_leg_note_tsval(leg, o->tsval);
	if (synack) {
		/* SYN-ACK windows are never scaled, never clamped. */
		leg->rcv_nxt = pkt->ack;
		leg->rcv_nxt_valid = true;
		leg->ack_sent = pkt->ack;
		leg->win_sent = pkt->win;
		leg->right_edge = pkt->ack + pkt->win;
		leg->edge_max = leg->right_edge;
		leg->tsecr_sent = o->tsecr;
		leg->sent_any = true;
	}
	return false;
}

/*
 * The gateway's FIN on leg L ends the direction it sends there (!L). The
 * socket sends it only after it read the peer's FIN on the other leg (or
 * the relay closed), so it is the authoritative end of the direction: it
 * is recorded here even if the peer's FIN was missed on the way in, and
 * the flow closes when the receiver acknowledges it (track.c).
 */
static void tcpfo_clamp_fin(struct tcpfo_flow *flow, unsigned int legid,
			    const struct tcpfo_pkt *pkt)
{
	unsigned int dir = !legid;
	u32 off32;

	if (!flow->fin_seen[dir]) {
		off32 = tcpfo_seq_to_off32(flow->leg[legid].gw_isn,
					   pkt->seq + pkt->payload);
		flow->fin[dir] = tcpfo_off_extend(flow->released[dir], off32);
		flow->fin_seen[dir] = true;
	}
	if (flow->state == TCPFO_FLOW_ESTABLISHED)
		tcpfo_flow_set_state(flow, TCPFO_FLOW_CLOSING);
}

/*
 * Outgoing RST: tear down only with the exact sequence number the peer
 * expects (its rcv_nxt, i.e. its highest ack seen).
 */
static void tcpfo_clamp_rst(struct tcpfo_net *tn, struct tcpfo_flow *flow,
			    const struct tcpfo_leg *leg,
			    const struct tcpfo_pkt *pkt)
{
	if (leg->peer_ack_valid && pkt->seq == leg->peer_ack) {
		tcpfo_flow_set_state(flow, TCPFO_FLOW_RESET);
		tcpfo_flow_unlink(tn, flow);
	}
}

/*
 * Write ack, window and (if @newopt) the option area into the skb, fixing
 * the checksum word by word.
 */
static int tcpfo_clamp_rewrite(struct sk_buff *skb,
			       const struct tcpfo_pkt *pkt,
			       u32 ack, u16 win, const u8 *newopt)
{
	unsigned int optlen = pkt->doff - sizeof(struct tcphdr);
	struct tcphdr *th;
	__be32 new_ack;
	__be16 new_win;
	unsigned int i;
	u8 *opt;

	if (skb_ensure_writable(skb, pkt->thoff + pkt->doff))
		return -ENOMEM;
	/* The head may have moved. */
	th = (struct tcphdr *)(skb->data + pkt->thoff);

	new_ack = htonl(ack);
	if (th->ack_seq != new_ack) {
		inet_proto_csum_replace4(&th->check, skb, th->ack_seq, new_ack,
					 false);
		th->ack_seq = new_ack;
	}
	new_win = htons(win);
	if (th->window != new_win) {
		inet_proto_csum_replace2(&th->check, skb, th->window, new_win,
					 false);
		th->window = new_win;
	}
	if (!newopt)
		return 0;

	/* Options start 20 bytes into the header: 16-bit aligned words. */
	opt = (u8 *)(th + 1);
	for (i = 0; i + 1 < optlen; i += 2) {
		__be16 from, to;

		memcpy(&from, opt + i, sizeof(from));
		memcpy(&to, newopt + i, sizeof(to));
		if (from == to)
			continue;
		inet_proto_csum_replace2(&th->check, skb, from, to, false);
		memcpy(opt + i, &to, sizeof(to));
	}
	return 0;
}

/*
 * The gateway accepted a new connection on the tuple of a stale flow: the
 * old flow goes, a fresh one takes the SYN it remembered, and the SYN-ACK
 * is handled as the fresh flow's (which has no pending SYN: no loop).
 */
static unsigned int tcpfo_clamp_replace(struct tcpfo_net *tn,
					struct tcpfo_flow *stale,
					const struct tcpfo_syn_info *syn,
					const char *service,
					struct sk_buff *skb,
					const struct tcpfo_pkt *pkt)
{
	struct tcpfo_flow *fresh;

	tcpfo_flow_unlink(tn, stale);
	fresh = tcpfo_flow_create(tn, service, syn);
	if (!fresh)
		return NF_ACCEPT;
	return tcpfo_clamp_out(tn, fresh, TCPFO_L1, skb, pkt);
}

unsigned int tcpfo_clamp_out(struct tcpfo_net *tn, struct tcpfo_flow *flow,
			     unsigned int legid, struct sk_buff *skb,
			     const struct tcpfo_pkt *pkt)
{
	unsigned int optlen = pkt->doff - sizeof(struct tcphdr);
	struct tcpfo_leg *leg = &flow->leg[legid];
	u8 buf[TCPFO_OPT_MAX_LEN], newopt[TCPFO_OPT_MAX_LEN];
	char service[TCPFO_SERVICE_NAME_MAX];
	unsigned int verdict = NF_ACCEPT;
	struct tcpfo_syn_info resyn;
	bool replace = false;
	struct tcpfo_dupack_check dup;
	unsigned int sack_removed = 0;
	unsigned int sack_left;
	struct tcpfo_tcp_opts o;
	bool clamped;
	const u8 *opt;
	u16 win;
	u32 ack;
	u32 end;
	u8 ws;

	/* On loopback the hook also sees the peer's segments. */
	if (!tcpfo_pkt_from(pkt, &leg->local_addr, leg->local_port))
		return NF_ACCEPT;

	opt = tcpfo_pkt_opts(skb, pkt, buf);
	if (!opt)
		return NF_ACCEPT;
	tcpfo_opts_parse(opt, optlen, &o);

	spin_lock_bh(&flow->lock);
	if (READ_ONCE(flow->unlinked))
		goto out_unlock;
	if (flow->last_active != jiffies)
		WRITE_ONCE(flow->last_active, jiffies);
	/* The socket's flow hash: our releases on the leg carry it (xmit.c). */
	if (skb->l4_hash)
		leg->txhash = skb->hash;

	if (pkt->flags & TCPHDR_SYN) {
		if (tcpfo_clamp_syn(flow, legid, pkt, &o)) {
			resyn = flow->resyn;
			memcpy(service, flow->service, sizeof(service));
			replace = true;
		} else if (legid == TCPFO_L1 && (pkt->flags & TCPHDR_ACK) &&
			   pkt->ack == leg->peer_isn + 1 &&
			   tcpfo_flow_must_hold(flow, TCPFO_L1)) {
			/* Sync mode: the client hears of the flow once the
			 * standby stored it.
			 */
			verdict = tcpfo_flow_hold(flow, skb);
		}
		goto out_unlock;
	}
	if (!leg->gw_syn_seen)
		goto out_unlock;
	if (legid == TCPFO_L2 && (pkt->flags & TCPHDR_ACK) &&
	    !(pkt->flags & TCPHDR_RST) && leg->peer_syn_seen &&
	    tcpfo_flow_must_hold(flow, TCPFO_L2)) {
		/* Likewise the server, with the ACK of its SYN-ACK. */
		verdict = tcpfo_flow_hold(flow, skb);
		goto out_unlock;
	}

	end = pkt->seq + pkt->payload + !!(pkt->flags & TCPHDR_FIN);
	leg->snd_nxt = tcpfo_seq_max(leg->snd_nxt, end);
	if (o.has_ts)
		tcpfo_leg_note_tsval(leg, o.tsval);
	if (pkt->flags & TCPHDR_FIN)
		tcpfo_clamp_fin(flow, legid, pkt);

	if (pkt->flags & TCPHDR_RST) {
		/*
		 * After a clean close (both FINs released and acknowledged)
		 * an RST only answers a late copy of the peer's last segment
		 * (its ACK of our FIN sent twice, because our socket sent
		 * the FIN twice): the socket is gone, nothing is lost, and
		 * the RST would only end the peer's TIME_WAIT early and look
		 * like an abort. It goes nowhere.
		 */
		if (flow->state == TCPFO_FLOW_CLOSED) {
			verdict = NF_DROP;
			goto out_unlock;
		}
		/* Otherwise an RST passes unchanged, whatever it carries. */
		tcpfo_clamp_rst(tn, flow, leg, pkt);
		goto out_unlock;
	}
	if (!(pkt->flags & TCPHDR_ACK) || !leg->peer_syn_seen)
		goto out_unlock;

	leg->rcv_nxt = leg->rcv_nxt_valid ?
		       tcpfo_seq_max(leg->rcv_nxt, pkt->ack) : pkt->ack;
	leg->rcv_nxt_valid = true;

	ws = tcpfo_leg_gw_wscale(leg);
	ack = tcpfo_clamp_ack(leg->peer_isn, tcpfo_flow_ackable(flow, legid),
			      pkt->ack,
			      &clamped);
	if (clamped) {
		/* Never stop inside data the peer holds as SACKed, nor
		 * below what it was told already.
		 */
		ack = tcpfo_sacked_safe_ack(&leg->sacked, ack);
		if (leg->sent_any)
			ack = tcpfo_seq_max(ack, leg->ack_sent);
	}
	win = pkt->win;
	sack_left = o.sack_blocks;
	if (clamped) {
		win = tcpfo_widen_window(pkt->win, ws, pkt->ack, ack);
		if (o.sack_blocks) {
			memcpy(newopt, opt, optlen);
			sack_removed = tcpfo_sack_filter(newopt, optlen,
							 pkt->ack, &sack_left);
		}

		memset(&dup, 0, sizeof(dup));
		dup.ack = ack;
		dup.last_ack = leg->ack_sent;
		dup.win = win;
		dup.last_win = leg->win_sent;
		dup.tsecr = o.tsecr;
		dup.last_tsecr = leg->tsecr_sent;
		dup.have_last = leg->sent_any;
		dup.clamped = true;
		dup.pure = !pkt->payload &&
			   !(pkt->flags & (TCPHDR_SYN | TCPHDR_FIN |
					   TCPHDR_RST));
		dup.has_sack = sack_left;
		dup.ece = pkt->flags & TCPHDR_ECE;
		dup.has_ts = o.has_ts;
		dup.answer_due = leg->answer_due;
		if (tcpfo_is_dupack(&dup)) {
			this_cpu_inc(tn->stats->dupacks_suppressed);
			verdict = NF_DROP;
			goto out_unlock;
		}

		if (tcpfo_clamp_rewrite(skb, pkt, ack, win,
					sack_removed ? newopt : NULL)) {
			/* Unclamped it would acknowledge held bytes. TCP
			 * retransmits data; a lost pure ACK is harmless.
			 */
			verdict = NF_DROP;
			goto out_unlock;
		}
	}

	leg->ack_sent = ack;
	leg->win_sent = win;
	leg->right_edge = tcpfo_right_edge(ack, win, ws);
	leg->edge_max = tcpfo_seq_max(leg->edge_max, leg->right_edge);
	if (o.has_ts)
		leg->tsecr_sent = o.tsecr;
	leg->sent_any = true;
	leg->answer_due = false;
	tcpfo_sacked_prune(&leg->sacked, ack);
	if (sack_left)
		tcpfo_sacked_note(&leg->sacked, sack_removed ? newopt : opt,
				  optlen);

out_unlock:
	spin_unlock_bh(&flow->lock);
	if (replace)
		return tcpfo_clamp_replace(tn, flow, &resyn, service, skb, pkt);
	return verdict;
}
