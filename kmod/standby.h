/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standby flows: on the standby gateway, the primary's record of each flow
 * as replicated by failoverd (TCPFO_CMD_FLOW_IMPORT). Stored, not acted on:
 * the datapath never looks at them. Keyed by the primary's flow id in an
 * xarray; written from genl doits (process context), read by dumps under
 * RCU; records are replaced whole and freed with kfree_rcu().
 */
#ifndef _TCPFO_STANDBY_H
#define _TCPFO_STANDBY_H

#include <linux/rcupdate.h>
#include <linux/xarray.h>

#include "flow.h"

struct tcpfo_net;

struct tcpfo_standby_flow {
	struct rcu_head		rcu;
	/* When the primary read the TSvals (ktime_get_ns(), this host). */
	u64			ts_sampled_ns;
	u32			ts_age_ms;	/* at import (TCPFO_FLOW_A_TS_AGE) */
	u64			import_seq;	/* set by tcpfo_standby_store() */
	struct tcpfo_flow_info	info;	/* info.id: the primary's id */
};

struct tcpfo_standby_table {
	struct xarray	by_id;
	atomic_t	count;
	u64		import_seq;	/* the last import's; under tn->lock */
};

void tcpfo_standby_init(struct tcpfo_net *tn);
void tcpfo_standby_exit(struct tcpfo_net *tn);

/* Store @sf under sf->info.id, replacing (and freeing) an older record.
 * -ENOSPC beyond max_flows. Takes ownership of @sf in every case.
 */
int tcpfo_standby_store(struct tcpfo_net *tn, struct tcpfo_standby_flow *sf);
/* Remove one record (-ENOENT if none). */
int tcpfo_standby_forget(struct tcpfo_net *tn, unsigned long id);
/* Remove every record; returns how many. */
unsigned int tcpfo_standby_forget_all(struct tcpfo_net *tn);

#endif /* _TCPFO_STANDBY_H */
