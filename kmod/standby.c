// SPDX-License-Identifier: GPL-2.0
/* Standby flows: see standby.h. */

#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "netns.h"
#include "standby.h"

void tcpfo_standby_init(struct tcpfo_net *tn)
{
	xa_init(&tn->standby.by_id);
	atomic_set(&tn->standby.count, 0);
}

void tcpfo_standby_exit(struct tcpfo_net *tn)
{
	tcpfo_standby_forget_all(tn);
	xa_destroy(&tn->standby.by_id);
}

int tcpfo_standby_store(struct tcpfo_net *tn, struct tcpfo_standby_flow *sf)
{
	struct tcpfo_standby_table *st = &tn->standby;
	u64 now = ktime_get_ns(), age = (u64)sf->ts_age_ms * NSEC_PER_MSEC;
	struct tcpfo_standby_flow *old;

	sf->ts_sampled_ns = now > age ? now - age : 0;
	/* Counted before storing: an id seen for the first time must fit. */
	old = xa_load(&st->by_id, sf->info.id);
	if (!old && atomic_read(&st->count) >= READ_ONCE(tcpfo_max_flows)) {
		kfree(sf);
		return -ENOSPC;
	}
	sf->import_seq = ++st->import_seq;
	old = xa_store(&st->by_id, sf->info.id, sf, GFP_KERNEL);
	if (xa_is_err(old)) {
		kfree(sf);
		return xa_err(old);
	}
	if (old)
		kfree_rcu(old, rcu);
	else
		atomic_inc(&st->count);
	return 0;
}

int tcpfo_standby_forget(struct tcpfo_net *tn, unsigned long id)
{
	struct tcpfo_standby_flow *old = xa_erase(&tn->standby.by_id, id);

	if (!old)
		return -ENOENT;
	atomic_dec(&tn->standby.count);
	kfree_rcu(old, rcu);
	return 0;
}

unsigned int tcpfo_standby_forget_all(struct tcpfo_net *tn)
{
	struct tcpfo_standby_flow *sf;
	unsigned int n = 0;
	unsigned long id;

	xa_for_each(&tn->standby.by_id, id, sf) {
		if (xa_erase(&tn->standby.by_id, id) != sf)
			continue;
		atomic_dec(&tn->standby.count);
		kfree_rcu(sf, rcu);
		n++;
	}
	return n;
}
