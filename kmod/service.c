// SPDX-License-Identifier: GPL-2.0
/*
 * Service table: declared VIP:port pairs of one namespace.
 *
 * A fixed array of RCU hlist buckets hashed on (family, VIP, vport) with a
 * per-namespace seed serves the per-packet lookup; an RCU list in creation
 * order serves dumps (resumable by id) and the name checks of writers.
 * Writers hold tcpfo_net.lock; readers hold rcu_read_lock().
 */

#include <linux/jhash.h>
#include <linux/lockdep.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ipv6.h>

#include "netns.h"
#include "service.h"

static_assert(sizeof(struct tcpfo_service_key) % sizeof(u32) == 0,
	      "service key is hashed as u32 words");

static struct hlist_head *
tcpfo_service_bucket(struct tcpfo_service_table *table,
		     const struct tcpfo_service_key *key)
{
	u32 hash = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32),
			  table->seed);

	return &table->buckets[hash & (ARRAY_SIZE(table->buckets) - 1)];
}

/* Bump the dump generation; 0 is skipped since it means "unset" to
 * nl_dump_check_consistent().
 */
static void tcpfo_services_changed(struct tcpfo_service_table *table)
{
	unsigned int gen = table->gen + 1;

	WRITE_ONCE(table->gen, gen ?: 1);
}

/*
 * An address a service may use: not unspecified (0.0.0.0/8, ::), not
 * multicast or limited broadcast, and no v4-mapped IPv6 (such a VIP would
 * never match a packet on the wire: IPv4 traffic arrives as IPv4).
 */
bool tcpfo_addr_is_unicast(unsigned int family, const union tcpfo_addr *addr)
{
	switch (family) {
	case AF_INET:
		return !ipv4_is_zeronet(addr->ip) &&
		       !ipv4_is_multicast(addr->ip) &&
		       !ipv4_is_lbcast(addr->ip);
	case AF_INET6:
		return !ipv6_addr_any(&addr->in6) &&
		       !ipv6_addr_is_multicast(&addr->in6) &&
		       !ipv6_addr_v4mapped(&addr->in6);
	default:
		return false;
	}
}

void tcpfo_services_init(struct tcpfo_service_table *table)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(table->buckets); i++)
		INIT_HLIST_HEAD(&table->buckets[i]);
	INIT_LIST_HEAD(&table->list);
	table->seed = get_random_u32();
	table->count = 0;
	table->next_id = 1;
	table->gen = 1;
}

/*
 * Drop every service. Called from the namespace's .exit: the hooks are gone
 * and an RCU grace period has passed, and no netlink socket can still act on
 * a dying namespace, so nothing else touches the table.
 */
void tcpfo_services_flush(struct tcpfo_net *tn)
{
	struct tcpfo_service_table *table = &tn->services;
	struct tcpfo_service *svc, *tmp;

	list_for_each_entry_safe(svc, tmp, &table->list, list) {
		hlist_del_rcu(&svc->hnode);
		list_del_rcu(&svc->list);
		kfree_rcu(svc, rcu);
	}
	table->count = 0;
	tcpfo_services_changed(table);
}

/* Caller holds rcu_read_lock() or tn->lock. */
struct tcpfo_service *tcpfo_service_lookup(struct tcpfo_net *tn,
					   const struct tcpfo_service_key *key)
{
	struct tcpfo_service *svc;

	hlist_for_each_entry_rcu(svc, tcpfo_service_bucket(&tn->services, key),
				 hnode, lockdep_is_held(&tn->lock)) {
		if (!memcmp(&svc->key, key, sizeof(*key)))
			return svc;
	}
	return NULL;
}

/* Caller holds tn->lock. Linear, but only writers (at most
 * TCPFO_MAX_SERVICES entries) ever ask.
 */
struct tcpfo_service *tcpfo_service_find_name(struct tcpfo_net *tn,
					      const char *name)
{
	struct tcpfo_service *svc;

	lockdep_assert_held(&tn->lock);
	list_for_each_entry(svc, &tn->services.list, list) {
		if (!strcmp(svc->name, name))
			return svc;
	}
	return NULL;
}

/* Caller holds tn->lock and has checked uniqueness and the limit. */
void tcpfo_service_insert(struct tcpfo_net *tn, struct tcpfo_service *svc)
{
	struct tcpfo_service_table *table = &tn->services;

	lockdep_assert_held(&tn->lock);
	svc->id = table->next_id++;
	list_add_tail_rcu(&svc->list, &table->list);
	hlist_add_head_rcu(&svc->hnode, tcpfo_service_bucket(table, &svc->key));
	WRITE_ONCE(table->count, table->count + 1);
	tcpfo_services_changed(table);
}

/* Caller holds tn->lock. Readers may still see @svc until a grace period. */
void tcpfo_service_remove(struct tcpfo_net *tn, struct tcpfo_service *svc)
{
	struct tcpfo_service_table *table = &tn->services;

	lockdep_assert_held(&tn->lock);
	hlist_del_rcu(&svc->hnode);
	list_del_rcu(&svc->list);
	WRITE_ONCE(table->count, table->count - 1);
	tcpfo_services_changed(table);
	kfree_rcu(svc, rcu);
}
