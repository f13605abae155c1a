/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state. Everything tcpfo keeps hangs off struct
 * tcpfo_net, allocated by the netns core (pernet_operations .size) for every
 * namespace while the module is loaded.
 */
#ifndef _TCPFO_NETNS_H
#define _TCPFO_NETNS_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "fence.h"
#include "flow.h"
#include "service.h"
#include "standby.h"
#include "takeover.h"

/*
 * Hot counters, bumped per packet with this_cpu_inc() (safe from process and
 * softirq context alike) and summed over CPUs on read.
 */
struct tcpfo_pcpu_stats {
	u64	packets_seen;	/* TCP packets the hooks looked at */
	u64	packets_tracked; /* ... that matched a service or a flow */
	u64	release_acks;	/* crafted release ACKs sent */
	u64	dupacks_suppressed; /* clamped duplicate ACKs dropped */
	u64	flows_over_limit; /* service SYNs not tracked: table full */
	u64	takeover_dropped; /* segments dropped on locked tuples */
	u64	takeover_probes; /* takeover probes sent */
	u64	takeover_resets; /* flows reset instead of taken over */
	u64	fenced_drops;	/* segments dropped by the fence */
};

struct tcpfo_net {
	struct net		*net;
	/*
	 * Serialises every writer: the genl family runs doits in parallel
	 * (parallel_ops), so configuration and service changes take this.
	 * Never taken in the datapath.
	 */
	struct mutex		lock;
	u32			mode;		/* enum tcpfo_mode; READ_ONCE */
	u32			protection;	/* enum tcpfo_protection */
	atomic_t		flow_count;	/* flows tracked now */
	struct tcpfo_service_table services;
	struct tcpfo_flow_table	flows;
	struct tcpfo_pcpu_stats __percpu *stats;
	struct tcpfo_standby_table standby;
	struct tcpfo_lock_table	takeover;	/* writers hold lock */
	struct tcpfo_fence	fence;		/* owner and fence (fence.h) */
	/* Bit 0: a TCPFO_CMD_FLOW_EVENT doorbell is pending (sent or about
	 * to be) and no FLOW_GET dump has started since.
	 */
	unsigned long		event_flags;
	struct work_struct	event_work;
};

/* Tracked flows changed: ring the doorbell unless it is pending. Any
 * context.
 */
static inline void tcpfo_flows_event(struct tcpfo_net *tn)
{
	if (!test_bit(0, &tn->event_flags) &&
	    !test_and_set_bit(0, &tn->event_flags))
		schedule_work(&tn->event_work);
}

extern unsigned int tcpfo_net_id;

static inline struct tcpfo_net *tcpfo_pernet(const struct net *net)
{
	return net_generic(net, tcpfo_net_id);
}

struct tcpfo_stats {
	u64	packets_seen;
	u64	packets_tracked;
	u64	release_acks;
	u64	dupacks_suppressed;
	u64	flows_over_limit;
	u64	takeover_dropped;
	u64	takeover_probes;
	u64	takeover_resets;
	u64	fenced_drops;
};

void tcpfo_stats_read(const struct tcpfo_net *tn, struct tcpfo_stats *out);

int tcpfo_pernet_register(void);
void tcpfo_pernet_unregister(void);

#endif /* _TCPFO_NETNS_H */
