/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Crafted release ACKs: when a receiver acknowledges bytes, the gateway
 * acknowledges them to their sender on the other leg at once.
 */
#ifndef _TCPFO_XMIT_H
#define _TCPFO_XMIT_H

#include <linux/types.h>

#include "flow.h"
#include "service.h"

struct tcpfo_flow;
struct tcpfo_net;

/* Everything needed to send one release, copied out under flow->lock. */
struct tcpfo_release {
	union tcpfo_addr	saddr;
	union tcpfo_addr	daddr;
	__be16			sport;
	__be16			dport;
	u32			seq;
	u32			ack;
	u32			tsval;
	u32			tsecr;
	u16			win;
	u32			txhash;	/* the socket's flow hash, or 0 */
	u8			family;
	bool			ts;
	/*
	 * Takeover segments (takeover.c) only; zero for release ACKs.
	 * @flags: TCPHDR_* to send instead of a pure ACK; @payload: bytes of
	 * payload (0 or 1, the probe byte). Such segments get a complete
	 * software checksum (CHECKSUM_NONE).
	 */
	u8			flags;
	u8			payload;
	/*
	 * Takeover probes: sent only if the peer's link-layer address is
	 * known; otherwise its resolution is started and -EAGAIN returned
	 * (tcpfo_neigh_ready() in xmit.c says why).
	 */
	bool			resolved_only;
};

/*
 * Caller holds flow->lock. If the released point of the direction the
 * peer of @leg sends lets the gateway acknowledge more than it last did on
 * @leg, fill @rel and record it as sent; returns whether to send.
 */
bool tcpfo_release_prepare(struct tcpfo_flow *flow, unsigned int leg,
			   struct tcpfo_release *rel);

/*
 * Send a prepared release, with flow->lock still held (BHs off): it then
 * reaches the device before any later segment of the flow's socket passes
 * the LOCAL_OUT hook (which takes that lock), so the release can never
 * carry a TSval below one the peer saw first. Sending goes no further than
 * the device's queue or a CPU backlog; it never re-enters our hooks for
 * the flow on this CPU.
 */
void tcpfo_release_send(struct tcpfo_net *tn, const struct tcpfo_release *rel);

/*
 * Craft and send any segment @rel describes (ip_local_out/ip6_local_out,
 * routed from its own addresses, no socket); returns 0 or a negative
 * errno. Flow locks may be held (see tcpfo_release_send()).
 */
int tcpfo_segment_send(struct tcpfo_net *tn, const struct tcpfo_release *rel);

/*
 * Start resolving the link-layer address of the next hop to @daddr unless
 * it is known. The standby does it when a flow's record arrives, so a
 * takeover's first probes need not wait for it (a probe goes only to a
 * resolved neighbour, and a lost ARP request or neighbour solicitation is
 * resent only after a second). The request goes from this host's own
 * address on that way (the route lookup has no source: the floating
 * addresses are not this node's yet, so source-based policy routes are
 * not followed); nothing is sent to @daddr itself. Without a route,
 * nothing happens; at most 256 resolutions start per second. Process
 * context.
 */
void tcpfo_neigh_warm(struct net *net, u8 family, const union tcpfo_addr *daddr);

/* A segment from the leg's local end to its peer; the caller fills in the rest. */
static inline void tcpfo_seg_to_peer(struct tcpfo_release *seg, u8 family,
			      const struct tcpfo_leg *leg)
{
	memset(seg, 0, sizeof(*seg));
	seg->family = family;
	seg->saddr = leg->local_addr;
	seg->daddr = leg->peer_addr;
	seg->sport = leg->local_port;
	seg->dport = leg->peer_port;
	seg->txhash = leg->txhash;
}

#endif /* _TCPFO_XMIT_H */
