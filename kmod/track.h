/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What arriving segments tell a flow (PRE_ROUTING): the client's SYN, the
 * server's SYN-ACK, and the peers' acks, which move the released points.
 */
#ifndef _TCPFO_TRACK_H
#define _TCPFO_TRACK_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>

struct tcpfo_flow;
struct tcpfo_net;
struct tcpfo_pkt;
struct tcpfo_service;

/* A SYN (no ACK) to @svc: create the flow, or note a retransmission. */
unsigned int tcpfo_track_syn(struct tcpfo_net *tn,
			     const struct tcpfo_service *svc,
			     struct sk_buff *skb,
			     const struct nf_hook_state *state,
			     const struct tcpfo_pkt *pkt);

/* Any other segment arriving on leg @leg of a tracked flow. */
unsigned int tcpfo_track_in(struct tcpfo_net *tn, struct tcpfo_flow *flow,
			    unsigned int leg, struct sk_buff *skb,
			    const struct nf_hook_state *state,
			    const struct tcpfo_pkt *pkt);

#endif /* _TCPFO_TRACK_H */
