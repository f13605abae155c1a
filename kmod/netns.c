// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime of struct tcpfo_net, one per network namespace.
 *
 * .init runs for every namespace that exists when the module loads and for
 * every one created later; it registers the hooks last, once the state they
 * use is ready. Teardown is split the way the netns core expects:
 * .pre_exit unregisters the hooks; the core then waits for an RCU grace
 * period, so no hook still runs when .exit frees the table and counters.
 */

#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hooks.h"
#include "netlink.h"
#include "netns.h"

unsigned int tcpfo_net_id __read_mostly;

void tcpfo_stats_read(const struct tcpfo_net *tn, struct tcpfo_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct tcpfo_pcpu_stats *s = per_cpu_ptr(tn->stats, cpu);

		out->packets_seen += READ_ONCE(s->packets_seen);
		out->packets_tracked += READ_ONCE(s->packets_tracked);
		out->release_acks += READ_ONCE(s->release_acks);
		out->dupacks_suppressed += READ_ONCE(s->dupacks_suppressed);
		out->flows_over_limit += READ_ONCE(s->flows_over_limit);
		out->takeover_dropped += READ_ONCE(s->takeover_dropped);
		out->takeover_probes += READ_ONCE(s->takeover_probes);
		out->takeover_resets += READ_ONCE(s->takeover_resets);
		out->fenced_drops += READ_ONCE(s->fenced_drops);
	}
}

static int __net_init tcpfo_net_init(struct net *net)
{
	struct tcpfo_net *tn = tcpfo_pernet(net);
	int err;

	tn->net = net;
	mutex_init(&tn->lock);
	tn->mode = TCPFO_MODE_ASYNC;
	tn->protection = TCPFO_PROT_NONE;
	atomic_set(&tn->flow_count, 0);
	tcpfo_services_init(&tn->services);
	tcpfo_standby_init(tn);
	tcpfo_fence_init(tn);
	tn->event_flags = 0;
	INIT_WORK(&tn->event_work, tcpfo_nl_flow_event_work);

	tn->stats = alloc_percpu(struct tcpfo_pcpu_stats);
	if (!tn->stats) {
		err = -ENOMEM;
		goto err_mutex;
	}

	err = tcpfo_flows_init(tn);
	if (err)
		goto err_stats;

	err = tcpfo_takeover_init(tn);
	if (err)
		goto err_flows;

	/* Last: from here on packets reach the hooks. */
	err = tcpfo_hooks_register(net);
	if (err)
		goto err_takeover;
	return 0;

err_takeover:
	tcpfo_takeover_exit(tn);
err_flows:
	tcpfo_flows_exit(tn);
err_stats:
	free_percpu(tn->stats);
	cancel_work_sync(&tn->event_work);
err_mutex:
	mutex_destroy(&tn->lock);
	return err;
}

static void __net_exit tcpfo_net_pre_exit(struct net *net)
{
	/*
	 * nf_unregister_net_hooks() does not wait for packets already inside
	 * a hook; the synchronize_rcu() the core runs between .pre_exit and
	 * .exit does.
	 */
	tcpfo_hooks_unregister(net);
	tcpfo_takeover_pre_exit(tcpfo_pernet(net));
	/* A dying namespace is not fenced: nobody is left to answer. */
	tcpfo_fence_pre_exit(tcpfo_pernet(net));
}

static void __net_exit tcpfo_net_exit(struct net *net)
{
	struct tcpfo_net *tn = tcpfo_pernet(net);

	/* Flows copy what they need of their service: either order works. */
	tcpfo_flows_exit(tn);
	WARN_ON_ONCE(atomic_read(&tn->flow_count));
	/* No flow is left to ring the doorbell. */
	cancel_work_sync(&tn->event_work);
	/* Locks point at standby ids only; either order works. */
	tcpfo_takeover_exit(tn);
	tcpfo_standby_exit(tn);
	tcpfo_services_flush(tn);
	tcpfo_fence_exit(tn);
	free_percpu(tn->stats);
	mutex_destroy(&tn->lock);
}

static struct pernet_operations tcpfo_net_ops = {
	.init		= tcpfo_net_init,
	.pre_exit	= tcpfo_net_pre_exit,
	.exit		= tcpfo_net_exit,
	.id		= &tcpfo_net_id,
	.size		= sizeof(struct tcpfo_net),
};

int __init tcpfo_pernet_register(void)
{
	return register_pernet_subsys(&tcpfo_net_ops);
}

void tcpfo_pernet_unregister(void)
{
	unregister_pernet_subsys(&tcpfo_net_ops);
}
