/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACK clamping of the gateway's own segments (LOCAL_OUT): ack, window and
 * SACK rewrite, duplicate-ACK suppression.
 */
#ifndef _TCPFO_CLAMP_H
#define _TCPFO_CLAMP_H

#include <linux/skbuff.h>

struct tcpfo_flow;
struct tcpfo_net;
struct tcpfo_pkt;

/* A segment the gateway sends on leg @leg of a tracked flow: NF_ACCEPT
 * (possibly rewritten) or NF_DROP (a suppressed duplicate ACK).
 */
unsigned int tcpfo_clamp_out(struct tcpfo_net *tn, struct tcpfo_flow *flow,
			     unsigned int leg, struct sk_buff *skb,
			     const struct tcpfo_pkt *pkt);

#endif /* _TCPFO_CLAMP_H */
