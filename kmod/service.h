/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-namespace service table: the VIP:port pairs declared over netlink.
 *
 * Readers (netfilter hooks, dumps) walk it under rcu_read_lock(); writers
 * (netlink doits) hold tcpfo_net.lock. A service is found by its hash key
 * (family, VIP, vport) in one bucket walk; names are unique too, checked by
 * writers on the ordered list. Services are freed with kfree_rcu().
 */
#ifndef _TCPFO_SERVICE_H
#define _TCPFO_SERVICE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/types.h>
#include <uapi/linux/tcpfo.h>

struct tcpfo_net;

/* 256 buckets: 4 services per chain at TCPFO_MAX_SERVICES. */
#define TCPFO_SERVICE_HASH_BITS	8

/* An IPv4 or IPv6 address in network order; IPv4 zero-padded to 16 bytes. */
union tcpfo_addr {
	__be32		ip;
	struct in6_addr	in6;
	u32		words[4];
};

/*
 * What a packet is matched on. Fixed size and fully initialised (padding
 * included) so it can be hashed and compared as words.
 */
struct tcpfo_service_key {
	union tcpfo_addr addr;	/* VIP */
	__be16		port;	/* vport, network order as on the wire */
	u8		family;	/* AF_INET or AF_INET6 */
	u8		pad;	/* always 0 */
};

struct tcpfo_service {
	struct hlist_node	hnode;	/* tcpfo_service_table.buckets */
	struct list_head	list;	/* tcpfo_service_table.list, by id */
	struct tcpfo_service_key key;
	union tcpfo_addr	backend;
	union tcpfo_addr	back_addr;
	__be16			bport;
	u64			id;	/* creation order; dump cursor */
	char			name[TCPFO_SERVICE_NAME_MAX];
	struct rcu_head		rcu;
};

struct tcpfo_service_table {
	struct hlist_head	buckets[1 << TCPFO_SERVICE_HASH_BITS];
	struct list_head	list;	/* every service, ascending id */
	u32			seed;	/* per namespace, for the bucket hash */
	unsigned int		count;	/* written under lock, read locklessly */
	u64			next_id;
	/*
	 * Changes on every insert and removal (never 0), so a dump that spans
	 * a change is flagged NLM_F_DUMP_INTR via cb->seq.
	 */
	unsigned int		gen;
};

/* Bytes of an address of @family: 4, 16, or 0 for anything else. */
static inline unsigned int tcpfo_addr_len(unsigned int family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

static inline void tcpfo_service_key_init(struct tcpfo_service_key *key,
					  u8 family,
					  const union tcpfo_addr *addr,
					  __be16 port)
{
	memset(key, 0, sizeof(*key));
	key->family = family;
	key->port = port;
	if (family == AF_INET)
		key->addr.ip = addr->ip;
	else
		key->addr.in6 = addr->in6;
}

bool tcpfo_addr_is_unicast(unsigned int family, const union tcpfo_addr *addr);

void tcpfo_services_init(struct tcpfo_service_table *table);
void tcpfo_services_flush(struct tcpfo_net *tn);

struct tcpfo_service *tcpfo_service_lookup(struct tcpfo_net *tn,
					   const struct tcpfo_service_key *key);
struct tcpfo_service *tcpfo_service_find_name(struct tcpfo_net *tn,
					      const char *name);
void tcpfo_service_insert(struct tcpfo_net *tn, struct tcpfo_service *svc);
void tcpfo_service_remove(struct tcpfo_net *tn, struct tcpfo_service *svc);

#endif /* _TCPFO_SERVICE_H */
