/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netfilter entry points, registered in every namespace, and the TCP
 * segment descriptor they hand to the datapath (track.c, clamp.c).
 */
#ifndef _TCPFO_HOOKS_H
#define _TCPFO_HOOKS_H

#include <linux/skbuff.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/types.h>

#include "service.h"

struct net;

/*
 * A TCP segment as the hooks hand it on: header fields in host order
 * (ports and addresses in network order, addresses zero-padded), offsets
 * from skb->data. The header is not kept as a pointer: editing the skb may
 * move it.
 */
struct tcpfo_pkt {
	union tcpfo_addr	saddr;
	union tcpfo_addr	daddr;
	__be16			sport;
	__be16			dport;
	u32			seq;
	u32			ack;
	u16			win;
	u8			flags;		/* TCPHDR_* */
	u8			family;
	unsigned int		thoff;		/* TCP header offset */
	unsigned int		doff;		/* TCP header length, bytes */
	unsigned int		payload;	/* payload bytes */
};

static inline bool tcpfo_pkt_from(const struct tcpfo_pkt *pkt,
				  const union tcpfo_addr *addr, __be16 port)
{
	return pkt->sport == port && !memcmp(&pkt->saddr, addr, sizeof(*addr));
}

/* The segment's option bytes (doff - 20 of them): in the skb or copied to
 * @buf (TCPFO_OPT_MAX_LEN bytes). NULL if the skb is too short.
 */
static inline const u8 *tcpfo_pkt_opts(const struct sk_buff *skb,
				       const struct tcpfo_pkt *pkt, u8 *buf)
{
	unsigned int len = pkt->doff - sizeof(struct tcphdr);

	if (!len)
		return buf;
	return skb_header_pointer(skb, pkt->thoff + sizeof(struct tcphdr),
				  len, buf);
}

int tcpfo_hooks_register(struct net *net);
void tcpfo_hooks_unregister(struct net *net);

#endif /* _TCPFO_HOOKS_H */
