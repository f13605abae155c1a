// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfo: transparent failover of proxied TCP connections.
 *
 * Module init and exit only. Order matters for a clean unload under
 * traffic and with namespaces coming and going: per-namespace state (and
 * its hooks) first, then the netlink family that reaches it, then the
 * netlink release notifier (fencing); on exit the notifier goes first
 * (waiting for calls under way), then the family (waiting for running
 * doits; running dumps pin the module), then unregister_pernet_subsys() unhooks every namespace
 * (.pre_exit), waits a grace period and frees (.exit).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/tcpfo.h>

#include "fence.h"
#include "netlink.h"
#include "netns.h"

static int __init tcpfo_init(void)
{
	int err;

	err = tcpfo_pernet_register();
	if (err)
		return err;

	err = tcpfo_genl_register();
	if (err)
		goto err_pernet;

	/* Last: it reaches every namespace's state. */
	err = tcpfo_fence_register();
	if (err)
		goto err_genl;

	pr_info("version " TCPFO_VERSION_STRING " loaded\n");
	return 0;

err_genl:
	tcpfo_genl_unregister();
err_pernet:
	tcpfo_pernet_unregister();
	return err;
}

static void __exit tcpfo_exit(void)
{
	tcpfo_fence_unregister();
	tcpfo_genl_unregister();
	tcpfo_pernet_unregister();
	/* Flows are freed by an RCU callback (it drops their held
	 * segments), fence owners too: they must have run before the
	 * module's code goes.
	 */
	rcu_barrier();
}

module_init(tcpfo_init);
module_exit(tcpfo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Transparent failover of proxied TCP connections");
MODULE_VERSION(TCPFO_VERSION_STRING);
MODULE_ALIAS_GENL_FAMILY(TCPFO_GENL_NAME);
