// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "tcpfo": the control interface failoverd and
 * tcpfoctl use. include/uapi/linux/tcpfo.h is the contract.
 *
 * Every request acts on the namespace of the sending socket (netnsok).
 * Doits run in parallel (parallel_ops); writers serialise on tcpfo_net.lock.
 * Validation is strict: each command has its own policy, so attributes a
 * command does not take are refused by the core ("Unsupported attribute"),
 * and everything the policies cannot express is checked here with an
 * extended-ack message naming the attribute.
 */

#include <linux/err.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "fence.h"
#include "flow.h"
#include "netlink.h"
#include "netns.h"
#include "seq.h"
#include "service.h"
#include "standby.h"
#include "takeover.h"
#include "xmit.h"

static struct genl_family tcpfo_genl_family;

/*
 * The contract is EINVAL with a message for every bad attribute, but the
 * core's range checks (NLA_POLICY_RANGE/MIN/MAX) answer ERANGE. So types
 * and lengths are declared here and value ranges are checked in code
 * (tcpfo_nl_get_port() and friends). Integer attributes must not use
 * NLA_POLICY_VALIDATE_FN either: in 6.1 the policy dump that an extack
 * carries for a bad attribute reads .min/.max, which alias .validate, and
 * WARNs (lib/nlattr.c nla_get_range_unsigned). Binary ones are safe.
 */
static int tcpfo_validate_addr(const struct nlattr *attr,
			       struct netlink_ext_ack *extack)
{
	if (nla_len(attr) != sizeof(struct in_addr) &&
	    nla_len(attr) != sizeof(struct in6_addr)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address must be 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	return 0;
}

/* No .len: a maximum length would be refused by the core with ERANGE. */
#define TCPFO_ADDR_POLICY \
	NLA_POLICY_VALIDATE_FN(NLA_BINARY, tcpfo_validate_addr)

static const struct nla_policy tcpfo_service_policy[TCPFO_SVC_A_MAX + 1] = {
	/* .len excludes the NUL, which NLA_NUL_STRING requires. */
	[TCPFO_SVC_A_NAME]	= { .type = NLA_NUL_STRING,
				    .len = TCPFO_SERVICE_NAME_MAX - 1 },
	[TCPFO_SVC_A_FAMILY]	= { .type = NLA_U16 },
	[TCPFO_SVC_A_VIP]	= TCPFO_ADDR_POLICY,
	[TCPFO_SVC_A_VPORT]	= { .type = NLA_U16 },
	[TCPFO_SVC_A_BACKEND]	= TCPFO_ADDR_POLICY,
	[TCPFO_SVC_A_BPORT]	= { .type = NLA_U16 },
	[TCPFO_SVC_A_BACK_ADDR]	= TCPFO_ADDR_POLICY,
};

/*
 * Requests carry only tuples: the other flow attributes (state, ISNs,
 * offsets, ...) are dump output and refused in a request.
 */
static const struct nla_policy tcpfo_flow_policy[TCPFO_FLOW_A_MAX + 1] = {
	[TCPFO_FLOW_A_FAMILY]	= { .type = NLA_U16 },
	[TCPFO_FLOW_A_CLIENT_ADDR] = TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_CLIENT_PORT] = { .type = NLA_U16 },
	[TCPFO_FLOW_A_VIP]	= TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_VPORT]	= { .type = NLA_U16 },
	[TCPFO_FLOW_A_BACK_ADDR] = TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_BACK_PORT] = { .type = NLA_U16 },
	[TCPFO_FLOW_A_SERVER_ADDR] = TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_SERVER_PORT] = { .type = NLA_U16 },
};

/* FLOW_IMPORT: the whole record (dump-only HELD, IDLE, STANDBY refused). */
static const struct nla_policy tcpfo_flow_import_policy[TCPFO_FLOW_A_MAX + 1] = {
	[TCPFO_FLOW_A_FAMILY]	= { .type = NLA_U16 },
	[TCPFO_FLOW_A_CLIENT_ADDR] = TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_CLIENT_PORT] = { .type = NLA_U16 },
	[TCPFO_FLOW_A_VIP]	= TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_VPORT]	= { .type = NLA_U16 },
	[TCPFO_FLOW_A_BACK_ADDR] = TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_BACK_PORT] = { .type = NLA_U16 },
	[TCPFO_FLOW_A_SERVER_ADDR] = TCPFO_ADDR_POLICY,
	[TCPFO_FLOW_A_SERVER_PORT] = { .type = NLA_U16 },
	[TCPFO_FLOW_A_STATE]	= { .type = NLA_U8 },
	[TCPFO_FLOW_A_SERVICE]	= { .type = NLA_NUL_STRING },
	[TCPFO_FLOW_A_CLIENT_ISN] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L1_ISN]	= { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_ISN]	= { .type = NLA_U32 },
	[TCPFO_FLOW_A_SERVER_ISN] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L1_MSS]	= { .type = NLA_U16 },
	[TCPFO_FLOW_A_L2_MSS]	= { .type = NLA_U16 },
	[TCPFO_FLOW_A_L1_WSCALE] = { .type = NLA_U16 },
	[TCPFO_FLOW_A_L2_WSCALE] = { .type = NLA_U16 },
	[TCPFO_FLOW_A_L1_OPTS]	= { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_OPTS]	= { .type = NLA_U32 },
	[TCPFO_FLOW_A_RELEASED_C2S] = { .type = NLA_U64 },
	[TCPFO_FLOW_A_RELEASED_S2C] = { .type = NLA_U64 },
	[TCPFO_FLOW_A_FIN_C2S]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_FIN_S2C]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_ID]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_L1_RIGHT_EDGE] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_RIGHT_EDGE] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L1_TS_SENT] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_TS_SENT] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L1_TS_RECENT] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_TS_RECENT] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_TS_AGE]	= { .type = NLA_U32 },
};

/* GET_STATUS and SERVICE_GET take no attributes: every slot is NLA_UNSPEC,
 * which strict validation refuses.
 */
static const struct nla_policy tcpfo_no_attr_policy[TCPFO_A_MAX + 1] = {};

static const struct nla_policy tcpfo_config_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_MODE]		= { .type = NLA_U32 },
	[TCPFO_A_PROTECTION]	= { .type = NLA_U32 },
	[TCPFO_A_OWNER]		= { .type = NLA_FLAG },
	[TCPFO_A_DISOWN]	= { .type = NLA_FLAG },
};

static const struct nla_policy tcpfo_service_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_SERVICE]	= NLA_POLICY_NESTED(tcpfo_service_policy),
};

static const struct nla_policy tcpfo_flow_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FLOW]		= NLA_POLICY_NESTED(tcpfo_flow_policy),
};

static const struct nla_policy tcpfo_flow_import_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FLOW]		= NLA_POLICY_NESTED(tcpfo_flow_import_policy),
};

/* Required attribute of the service nest: sets the missing-attribute
 * report (type and nest) and a message. Evaluates to true if missing.
 */
#define TCPFO_SVC_REQUIRE(extack, nest, tb, type, what) ({		\
	bool __missing = NL_REQ_ATTR_CHECK(extack, nest, tb, type);	\
									\
	if (__missing)							\
		NL_SET_ERR_MSG(extack, "service " what " is missing");	\
	__missing;							\
})

static size_t tcpfo_status_size(void)
{
	return nla_total_size(sizeof(TCPFO_VERSION_STRING)) +
	       nla_total_size(sizeof(u32)) +		/* MODE */
	       nla_total_size_64bit(sizeof(u64)) +	/* PACKETS_SEEN */
	       nla_total_size_64bit(sizeof(u64)) +	/* PACKETS_TRACKED */
	       nla_total_size(sizeof(u32)) +		/* FLOW_COUNT */
	       nla_total_size(sizeof(u32)) +		/* SERVICE_COUNT */
	       nla_total_size_64bit(sizeof(u64)) +	/* RELEASE_ACKS */
	       nla_total_size_64bit(sizeof(u64)) +	/* DUPACKS_SUPPRESSED */
	       nla_total_size_64bit(sizeof(u64)) +	/* FLOWS_OVER_LIMIT */
	       nla_total_size(sizeof(u32)) +		/* STANDBY_COUNT */
	       nla_total_size(sizeof(u32)) +		/* PROTECTION */
	       nla_total_size(sizeof(u32)) +		/* TAKEOVER_LOCKED */
	       nla_total_size_64bit(sizeof(u64)) +	/* TAKEOVER_DROPPED */
	       nla_total_size_64bit(sizeof(u64)) +	/* TAKEOVER_PROBES */
	       nla_total_size_64bit(sizeof(u64)) +	/* TAKEOVER_RESETS */
	       nla_total_size(sizeof(u32)) +		/* FENCED */
	       nla_total_size_64bit(sizeof(u64)) +	/* FENCED_DROPS */
	       nla_total_size(sizeof(u32));		/* FENCED_FLOWS */
}

static int tcpfo_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct tcpfo_stats stats;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(tcpfo_status_size(), GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG(info->extack, "out of memory");
		return -ENOMEM;
	}

	hdr = genlmsg_put_reply(msg, info, &tcpfo_genl_family, 0,
				TCPFO_CMD_GET_STATUS);
	if (!hdr)
		goto err_size;

	tcpfo_stats_read(tn, &stats);
	if (nla_put_string(msg, TCPFO_A_VERSION, TCPFO_VERSION_STRING) ||
	    nla_put_u32(msg, TCPFO_A_MODE, READ_ONCE(tn->mode)) ||
	    nla_put_u64_64bit(msg, TCPFO_A_PACKETS_SEEN, stats.packets_seen,
			      TCPFO_A_PAD) ||
	    nla_put_u64_64bit(msg, TCPFO_A_PACKETS_TRACKED,
			      stats.packets_tracked, TCPFO_A_PAD) ||
	    nla_put_u32(msg, TCPFO_A_FLOW_COUNT,
			atomic_read(&tn->flow_count)) ||
	    nla_put_u32(msg, TCPFO_A_SERVICE_COUNT,
			READ_ONCE(tn->services.count)) ||
	    nla_put_u64_64bit(msg, TCPFO_A_RELEASE_ACKS, stats.release_acks,
			      TCPFO_A_PAD) ||
	    nla_put_u64_64bit(msg, TCPFO_A_DUPACKS_SUPPRESSED,
			      stats.dupacks_suppressed, TCPFO_A_PAD) ||
	    nla_put_u64_64bit(msg, TCPFO_A_FLOWS_OVER_LIMIT,
			      stats.flows_over_limit, TCPFO_A_PAD) ||
	    nla_put_u32(msg, TCPFO_A_STANDBY_COUNT,
			atomic_read(&tn->standby.count)) ||
	    nla_put_u32(msg, TCPFO_A_PROTECTION, READ_ONCE(tn->protection)) ||
	    nla_put_u32(msg, TCPFO_A_TAKEOVER_LOCKED,
			tcpfo_takeover_locked_count(tn)) ||
	    nla_put_u64_64bit(msg, TCPFO_A_TAKEOVER_DROPPED,
			      stats.takeover_dropped, TCPFO_A_PAD) ||
	    nla_put_u64_64bit(msg, TCPFO_A_TAKEOVER_PROBES,
			      stats.takeover_probes, TCPFO_A_PAD) ||
	    nla_put_u64_64bit(msg, TCPFO_A_TAKEOVER_RESETS,
			      stats.takeover_resets, TCPFO_A_PAD) ||
	    nla_put_u32(msg, TCPFO_A_FENCED, READ_ONCE(tn->fence.fenced)) ||
	    nla_put_u64_64bit(msg, TCPFO_A_FENCED_DROPS, stats.fenced_drops,
			      TCPFO_A_PAD) ||
	    nla_put_u32(msg, TCPFO_A_FENCED_FLOWS,
			atomic_read(&tn->fence.flows)))
		goto err_size;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_size:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "status reply does not fit");
	return -EMSGSIZE;
}

/*
 * Send what a flow owes after a confirm or a mode change: the segments it
 * held that may go now (all of them if @all), then its releases. Caller
 * holds rcu_read_lock().
 */
static void tcpfo_nl_release_flow(struct tcpfo_net *tn, struct tcpfo_flow *flow,
				  bool all)
{
	struct tcpfo_release rel[2];
	struct sk_buff_head go;
	bool send[2];
	int d;

	__skb_queue_head_init(&go);
	spin_lock_bh(&flow->lock);
	tcpfo_flow_take_held(flow, all, &go);
	spin_unlock_bh(&flow->lock);
	local_bh_disable();
	/* First: the hook updates the legs as they pass, and the releases
	 * are prepared from that state.
	 */
	tcpfo_flow_send_held(tn, flow->family, &go);
	spin_lock(&flow->lock);
	for (d = 0; d < 2; d++)
		send[d] = !READ_ONCE(flow->unlinked) &&
			  tcpfo_release_prepare(flow, d, &rel[d]);
	/* Under the lock: see tcpfo_release_send(). */
	for (d = 0; d < 2; d++)
		if (send[d])
			tcpfo_release_send(tn, &rel[d]);
	spin_unlock(&flow->lock);
	local_bh_enable();
}

static void tcpfo_nl_release_all(struct tcpfo_net *tn)
{
	struct tcpfo_flow *flow;
	unsigned long index;

	rcu_read_lock();
	xa_for_each(&tn->flows.by_id, index, flow)
		tcpfo_nl_release_flow(tn, flow, true);
	rcu_read_unlock();
}

static int tcpfo_nl_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	bool owner = nla_get_flag(info->attrs[TCPFO_A_OWNER]);
	bool disown = nla_get_flag(info->attrs[TCPFO_A_DISOWN]);
	int err;

	if (owner && disown) {
		NL_SET_ERR_MSG(info->extack, "owner and disown together");
		return -EINVAL;
	}
	/* OWNER or DISOWN alone is a valid request: the mode stays as it is. */
	if (!owner && !disown && GENL_REQ_ATTR_CHECK(info, TCPFO_A_MODE)) {
		NL_SET_ERR_MSG(info->extack, "mode is missing");
		return -EINVAL;
	}

	if (info->attrs[TCPFO_A_MODE] &&
	    nla_get_u32(info->attrs[TCPFO_A_MODE]) > TCPFO_MODE_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TCPFO_A_MODE],
				    "mode must be 0 (async) or 1 (sync)");
		return -EINVAL;
	}
	if (info->attrs[TCPFO_A_PROTECTION] &&
	    nla_get_u32(info->attrs[TCPFO_A_PROTECTION]) > TCPFO_PROT_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TCPFO_A_PROTECTION],
				    "protection must be 0 (none), 1 (protected) or 2 (unprotected)");
		return -EINVAL;
	}
	if (owner) {
		err = tcpfo_fence_set_owner(tn, info->snd_portid);
		if (err) {
			NL_SET_ERR_MSG(info->extack, "out of memory");
			return err;
		}
	}
	if (disown) {
		err = tcpfo_fence_disown(tn, info->snd_portid);
		if (err) {
			NL_SET_ERR_MSG(info->extack,
				       "another socket owns the namespace");
			return err;
		}
	}
	if (!info->attrs[TCPFO_A_MODE] && !info->attrs[TCPFO_A_PROTECTION])
		return 0;
	mutex_lock(&tn->lock);
	if (info->attrs[TCPFO_A_MODE])
		WRITE_ONCE(tn->mode, nla_get_u32(info->attrs[TCPFO_A_MODE]));
	if (info->attrs[TCPFO_A_PROTECTION])
		WRITE_ONCE(tn->protection,
			   nla_get_u32(info->attrs[TCPFO_A_PROTECTION]));
	mutex_unlock(&tn->lock);
	/* Out of sync mode: what waited for the standby goes out now. */
	if (info->attrs[TCPFO_A_MODE] &&
	    nla_get_u32(info->attrs[TCPFO_A_MODE]) == TCPFO_MODE_ASYNC)
		tcpfo_nl_release_all(tn);
	return 0;
}

/* Parse the TCPFO_A_SERVICE nest of a request into @tb. */
static int tcpfo_nl_parse_service(struct genl_info *info, struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, TCPFO_A_SERVICE)) {
		NL_SET_ERR_MSG(info->extack, "service nest is missing");
		return -EINVAL;
	}
	/* Already validated by the core against the same policy. */
	return nla_parse_nested(tb, TCPFO_SVC_A_MAX,
				info->attrs[TCPFO_A_SERVICE],
				tcpfo_service_policy, info->extack);
}

/* A port attribute: 1..65535, returned in network order. */
static int tcpfo_nl_get_port(struct netlink_ext_ack *extack,
			     const struct nlattr *attr, __be16 *port)
{
	u16 value = nla_get_u16(attr);

	if (!value) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "port must be 1..65535");
		return -EINVAL;
	}
	*port = htons(value);
	return 0;
}

static int tcpfo_nl_get_family(struct netlink_ext_ack *extack,
			       const struct nlattr *attr, u8 *family)
{
	u16 value = nla_get_u16(attr);

	if (!tcpfo_addr_len(value)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	*family = value;
	return 0;
}

static int tcpfo_nl_get_addr(struct netlink_ext_ack *extack,
			     const struct nlattr *attr, u8 family,
			     union tcpfo_addr *addr)
{
	if (nla_len(attr) != tcpfo_addr_len(family)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address length does not match the family");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	nla_memcpy(addr, attr, sizeof(*addr));
	return 0;
}

static int tcpfo_nl_get_unicast(struct netlink_ext_ack *extack,
				const struct nlattr *attr, u8 family,
				union tcpfo_addr *addr)
{
	int err = tcpfo_nl_get_addr(extack, attr, family, addr);

	if (err)
		return err;
	if (!tcpfo_addr_is_unicast(family, addr)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address must be a unicast host address");
		return -EINVAL;
	}
	return 0;
}

/* Copy the validated NUL-terminated name; refuse empty names and bytes
 * outside printable ASCII or spaces (names appear in logs and CLI columns).
 */
static int tcpfo_nl_get_name(struct netlink_ext_ack *extack,
			     const struct nlattr *attr,
			     char name[TCPFO_SERVICE_NAME_MAX])
{
	const char *c;

	if (nla_strscpy(name, attr, TCPFO_SERVICE_NAME_MAX) < 0) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "service name too long");
		return -EINVAL;
	}
	if (!name[0]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "service name is empty");
		return -EINVAL;
	}
	for (c = name; *c; c++) {
		if (*c <= ' ' || *c > '~') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service name must be printable ASCII without spaces");
			return -EINVAL;
		}
	}
	return 0;
}

/* Fill @svc from a complete, policy-validated service nest. */
static int tcpfo_nl_service_from_attrs(struct netlink_ext_ack *extack,
				       struct nlattr **tb,
				       struct tcpfo_service *svc)
{
	union tcpfo_addr vip;
	__be16 vport;
	u8 family;
	int err;

	err = tcpfo_nl_get_name(extack, tb[TCPFO_SVC_A_NAME], svc->name);
	if (err)
		return err;
	err = tcpfo_nl_get_family(extack, tb[TCPFO_SVC_A_FAMILY], &family);
	if (err)
		return err;
	err = tcpfo_nl_get_unicast(extack, tb[TCPFO_SVC_A_VIP], family, &vip);
	if (err)
		return err;
	err = tcpfo_nl_get_unicast(extack, tb[TCPFO_SVC_A_BACKEND], family,
				   &svc->backend);
	if (err)
		return err;
	err = tcpfo_nl_get_unicast(extack, tb[TCPFO_SVC_A_BACK_ADDR], family,
				   &svc->back_addr);
	if (err)
		return err;
	err = tcpfo_nl_get_port(extack, tb[TCPFO_SVC_A_VPORT], &vport);
	if (err)
		return err;
	err = tcpfo_nl_get_port(extack, tb[TCPFO_SVC_A_BPORT], &svc->bport);
	if (err)
		return err;

	tcpfo_service_key_init(&svc->key, family, &vip, vport);

	/* The relay would connect to itself. */
	if (svc->bport == svc->key.port &&
	    !memcmp(&svc->backend, &svc->key.addr, sizeof(svc->backend))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_SVC_A_BACKEND],
				    "backend address and port equal the VIP and port");
		return -EINVAL;
	}
	return 0;
}

static int tcpfo_nl_service_add(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[TCPFO_SVC_A_MAX + 1];
	struct tcpfo_service *svc;
	struct nlattr *nest;
	int err;

	err = tcpfo_nl_parse_service(info, tb);
	if (err)
		return err;

	nest = info->attrs[TCPFO_A_SERVICE];
	if (TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_NAME, "name") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_FAMILY, "family") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_VIP, "VIP") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_VPORT, "VIP port") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_BACKEND,
			      "backend address") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_BPORT,
			      "backend port") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_BACK_ADDR,
			      "back address"))
		return -EINVAL;

	svc = kzalloc(sizeof(*svc), GFP_KERNEL);
	if (!svc) {
		NL_SET_ERR_MSG(extack, "out of memory");
		return -ENOMEM;
	}
	err = tcpfo_nl_service_from_attrs(extack, tb, svc);
	if (err)
		goto err_free;

	mutex_lock(&tn->lock);
	if (tcpfo_service_lookup(tn, &svc->key)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_SVC_A_VIP],
				    "a service with this VIP and port exists");
		err = -EEXIST;
		goto err_unlock;
	}
	if (tcpfo_service_find_name(tn, svc->name)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_SVC_A_NAME],
				    "a service with this name exists");
		err = -EEXIST;
		goto err_unlock;
	}
	if (tn->services.count >= TCPFO_MAX_SERVICES) {
		NL_SET_ERR_MSG(extack, "too many services in this namespace");
		err = -ENOSPC;
		goto err_unlock;
	}
	tcpfo_service_insert(tn, svc);
	mutex_unlock(&tn->lock);
	return 0;

err_unlock:
	mutex_unlock(&tn->lock);
err_free:
	kfree(svc);
	return err;
}

/* Find the service a SERVICE_DEL nest names: by NAME, or by FAMILY + VIP +
 * VPORT. Caller holds tn->lock. Returns the service or an ERR_PTR.
 */
static struct tcpfo_service *
tcpfo_nl_service_del_target(struct tcpfo_net *tn, struct netlink_ext_ack *extack,
			    const struct nlattr *nest, struct nlattr **tb)
{
	static const int not_for_del[] = {
		TCPFO_SVC_A_BACKEND, TCPFO_SVC_A_BPORT, TCPFO_SVC_A_BACK_ADDR,
	};
	char name[TCPFO_SERVICE_NAME_MAX];
	struct tcpfo_service_key key;
	struct tcpfo_service *svc;
	union tcpfo_addr vip;
	unsigned int i;
	__be16 vport;
	u8 family;
	int err;

	for (i = 0; i < ARRAY_SIZE(not_for_del); i++) {
		if (tb[not_for_del[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[not_for_del[i]],
					    "attribute not valid when deleting a service");
			return ERR_PTR(-EINVAL);
		}
	}

	if (tb[TCPFO_SVC_A_NAME]) {
		if (tb[TCPFO_SVC_A_FAMILY] || tb[TCPFO_SVC_A_VIP] ||
		    tb[TCPFO_SVC_A_VPORT]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_SVC_A_NAME],
					    "give the service name or its family, VIP and port, not both");
			return ERR_PTR(-EINVAL);
		}
		err = tcpfo_nl_get_name(extack, tb[TCPFO_SVC_A_NAME], name);
		if (err)
			return ERR_PTR(err);
		svc = tcpfo_service_find_name(tn, name);
		if (!svc) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_SVC_A_NAME],
					    "no service with this name");
			return ERR_PTR(-ENOENT);
		}
		return svc;
	}

	if (!tb[TCPFO_SVC_A_FAMILY] && !tb[TCPFO_SVC_A_VIP] &&
	    !tb[TCPFO_SVC_A_VPORT]) {
		NL_SET_ERR_ATTR_MISS(extack, nest, TCPFO_SVC_A_NAME);
		NL_SET_ERR_MSG(extack,
			       "service name, or family, VIP and port, are required");
		return ERR_PTR(-EINVAL);
	}
	if (TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_FAMILY, "family") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_VIP, "VIP") ||
	    TCPFO_SVC_REQUIRE(extack, nest, tb, TCPFO_SVC_A_VPORT, "VIP port"))
		return ERR_PTR(-EINVAL);
	err = tcpfo_nl_get_family(extack, tb[TCPFO_SVC_A_FAMILY], &family);
	if (err)
		return ERR_PTR(err);
	err = tcpfo_nl_get_addr(extack, tb[TCPFO_SVC_A_VIP], family, &vip);
	if (err)
		return ERR_PTR(err);
	err = tcpfo_nl_get_port(extack, tb[TCPFO_SVC_A_VPORT], &vport);
	if (err)
		return ERR_PTR(err);

	tcpfo_service_key_init(&key, family, &vip, vport);
	svc = tcpfo_service_lookup(tn, &key);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_SVC_A_VIP],
				    "no service at this VIP and port");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

static int tcpfo_nl_service_del(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct nlattr *tb[TCPFO_SVC_A_MAX + 1];
	struct tcpfo_service *svc;
	int err;

	err = tcpfo_nl_parse_service(info, tb);
	if (err)
		return err;

	mutex_lock(&tn->lock);
	svc = tcpfo_nl_service_del_target(tn, info->extack,
					  info->attrs[TCPFO_A_SERVICE], tb);
	if (IS_ERR(svc)) {
		err = PTR_ERR(svc);
	} else {
		/*
		 * Flows of the service stay tracked until they end: they
		 * copied what they need, and untracking them now would
		 * acknowledge held bytes to their clients at once.
		 */
		tcpfo_service_remove(tn, svc);
	}
	mutex_unlock(&tn->lock);
	return err;
}

static int tcpfo_nl_put_addr(struct sk_buff *skb, int type, u8 family,
			     const union tcpfo_addr *addr)
{
	return nla_put(skb, type, tcpfo_addr_len(family), addr);
}

static int tcpfo_nl_put_service(struct sk_buff *skb,
				const struct tcpfo_service *svc)
{
	u8 family = svc->key.family;
	struct nlattr *nest;

	nest = nla_nest_start(skb, TCPFO_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, TCPFO_SVC_A_NAME, svc->name) ||
	    nla_put_u16(skb, TCPFO_SVC_A_FAMILY, family) ||
	    tcpfo_nl_put_addr(skb, TCPFO_SVC_A_VIP, family, &svc->key.addr) ||
	    nla_put_u16(skb, TCPFO_SVC_A_VPORT, ntohs(svc->key.port)) ||
	    tcpfo_nl_put_addr(skb, TCPFO_SVC_A_BACKEND, family,
			      &svc->backend) ||
	    nla_put_u16(skb, TCPFO_SVC_A_BPORT, ntohs(svc->bport)) ||
	    tcpfo_nl_put_addr(skb, TCPFO_SVC_A_BACK_ADDR, family,
			      &svc->back_addr)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Dump cursor, kept in cb->ctx between rounds. */
struct tcpfo_service_dump_ctx {
	u64	next_id;	/* first service id not dumped yet */
};
static_assert(sizeof(struct tcpfo_service_dump_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

/*
 * One message per service, in creation order. The cursor is an id, so
 * services removed between rounds never make the dump skip others. A table
 * change between rounds sets NLM_F_DUMP_INTR (the caller should re-dump).
 */
static int tcpfo_nl_service_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct tcpfo_service_dump_ctx *ctx = (void *)cb->ctx;
	struct tcpfo_net *tn = tcpfo_pernet(sock_net(cb->skb->sk));
	struct tcpfo_service *svc;
	int err = 0;

	rcu_read_lock();
	cb->seq = READ_ONCE(tn->services.gen);
	list_for_each_entry_rcu(svc, &tn->services.list, list) {
		void *hdr;

		if (svc->id < ctx->next_id)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tcpfo_genl_family,
				  NLM_F_MULTI, TCPFO_CMD_SERVICE_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		err = tcpfo_nl_put_service(skb, svc);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		ctx->next_id = svc->id + 1;
	}
	rcu_read_unlock();

	/* A full skb goes out and the core calls again; an empty one that
	 * could not take even one service would loop forever.
	 */
	if (err && !skb->len)
		return err;
	return skb->len;
}

/* ---- flows ------------------------------------------------------------ */

/* Required attribute of the flow nest; true if missing. */
#define TCPFO_FLOW_REQUIRE(extack, nest, tb, type, what) ({		\
	bool __missing = NL_REQ_ATTR_CHECK(extack, nest, tb, type);	\
									\
	if (__missing)							\
		NL_SET_ERR_MSG(extack, "flow " what " is missing");	\
	__missing;							\
})

static int tcpfo_nl_parse_flow(struct genl_info *info, struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, TCPFO_A_FLOW)) {
		NL_SET_ERR_MSG(info->extack, "flow nest is missing");
		return -EINVAL;
	}
	return nla_parse_nested(tb, TCPFO_FLOW_A_MAX, info->attrs[TCPFO_A_FLOW],
				tcpfo_flow_policy, info->extack);
}

/* The L1 tuple of a request: family, client and VIP endpoints. */
struct tcpfo_nl_l1 {
	union tcpfo_addr	client;
	union tcpfo_addr	vip;
	__be16			cport;
	__be16			vport;
	u8			family;
};

static int tcpfo_nl_get_l1(struct netlink_ext_ack *extack,
			   const struct nlattr *nest, struct nlattr **tb,
			   struct tcpfo_nl_l1 *l1)
{
	int err;

	if (TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_FAMILY,
			       "family") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_CLIENT_ADDR,
			       "client address") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_CLIENT_PORT,
			       "client port") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_VIP, "VIP") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_VPORT,
			       "VIP port"))
		return -EINVAL;

	err = tcpfo_nl_get_family(extack, tb[TCPFO_FLOW_A_FAMILY],
				  &l1->family);
	if (err)
		return err;
	err = tcpfo_nl_get_addr(extack, tb[TCPFO_FLOW_A_CLIENT_ADDR],
				l1->family, &l1->client);
	if (err)
		return err;
	err = tcpfo_nl_get_addr(extack, tb[TCPFO_FLOW_A_VIP], l1->family,
				&l1->vip);
	if (err)
		return err;
	err = tcpfo_nl_get_port(extack, tb[TCPFO_FLOW_A_CLIENT_PORT],
				&l1->cport);
	if (err)
		return err;
	return tcpfo_nl_get_port(extack, tb[TCPFO_FLOW_A_VPORT], &l1->vport);
}

/*
 * The flow whose L1 leg has this tuple, with the client as the peer.
 * Caller holds rcu_read_lock(); NULL if none.
 */
static struct tcpfo_flow *tcpfo_nl_find_l1(struct tcpfo_net *tn,
					   const struct tcpfo_nl_l1 *l1)
{
	struct tcpfo_flow_node *node;
	struct tcpfo_flow *flow;
	struct tcpfo_tuple key;

	if (!atomic_read(&tn->flow_count))
		return NULL;
	tcpfo_tuple_init(&key, l1->family, &l1->client, l1->cport, &l1->vip,
			 l1->vport);
	node = tcpfo_flow_lookup(tn, &key);
	if (!node || node->leg != TCPFO_L1)
		return NULL;
	flow = tcpfo_node_flow(node);
	/* The key is symmetric: make sure the client is the client. */
	if (flow->leg[TCPFO_L1].peer_port != l1->cport ||
	    memcmp(&flow->leg[TCPFO_L1].peer_addr, &l1->client,
		   sizeof(l1->client)))
		return NULL;
	return flow;
}

static int tcpfo_nl_flow_pair(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	__be16 back_port, server_port;
	union tcpfo_addr back, server;
	struct tcpfo_flow *flow;
	struct tcpfo_nl_l1 l1;
	struct tcpfo_leg *l2;
	struct nlattr *nest;
	int err;

	err = tcpfo_nl_parse_flow(info, tb);
	if (err)
		return err;
	nest = info->attrs[TCPFO_A_FLOW];
	err = tcpfo_nl_get_l1(extack, nest, tb, &l1);
	if (err)
		return err;
	if (TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_BACK_ADDR,
			       "back address") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_BACK_PORT,
			       "back port") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_SERVER_ADDR,
			       "server address") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_SERVER_PORT,
			       "server port"))
		return -EINVAL;
	err = tcpfo_nl_get_unicast(extack, tb[TCPFO_FLOW_A_BACK_ADDR],
				   l1.family, &back);
	if (err)
		return err;
	err = tcpfo_nl_get_unicast(extack, tb[TCPFO_FLOW_A_SERVER_ADDR],
				   l1.family, &server);
	if (err)
		return err;
	err = tcpfo_nl_get_port(extack, tb[TCPFO_FLOW_A_BACK_PORT], &back_port);
	if (err)
		return err;
	err = tcpfo_nl_get_port(extack, tb[TCPFO_FLOW_A_SERVER_PORT],
				&server_port);
	if (err)
		return err;

	rcu_read_lock();
	flow = tcpfo_nl_find_l1(tn, &l1);
	if (!flow) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_FLOW_A_CLIENT_ADDR],
				    "no flow with this client and VIP tuple");
		err = -ENOENT;
		goto out_rcu;
	}

	spin_lock_bh(&flow->lock);
	if (flow->paired) {
		NL_SET_ERR_MSG(extack, "flow is already paired");
		err = -EEXIST;
		goto out_unlock;
	}
	l2 = &flow->leg[TCPFO_L2];
	l2->local_addr = back;
	l2->local_port = back_port;
	l2->peer_addr = server;
	l2->peer_port = server_port;
	err = tcpfo_flow_hash_l2(tn, flow);
	if (err) {
		memset(l2, 0, sizeof(*l2));
		if (err == -EEXIST)
			NL_SET_ERR_MSG_ATTR(extack,
					    tb[TCPFO_FLOW_A_BACK_PORT],
					    "the server-leg tuple is in use");
		else if (err == -ENOENT)
			NL_SET_ERR_MSG(extack, "flow is going away");
		else
			NL_SET_ERR_MSG(extack, "cannot hash the server leg");
		goto out_unlock;
	}
	flow->paired = true;
	tcpfo_flow_set_state(flow, TCPFO_FLOW_PAIRED);
out_unlock:
	spin_unlock_bh(&flow->lock);
out_rcu:
	rcu_read_unlock();
	return err;
}

static int tcpfo_nl_flow_del(struct sk_buff *skb, struct genl_info *info)
{
	static const int not_for_del[] = {
		TCPFO_FLOW_A_BACK_ADDR, TCPFO_FLOW_A_BACK_PORT,
		TCPFO_FLOW_A_SERVER_ADDR, TCPFO_FLOW_A_SERVER_PORT,
	};
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	struct tcpfo_flow *flow;
	struct tcpfo_nl_l1 l1;
	unsigned int i;
	int err;

	err = tcpfo_nl_parse_flow(info, tb);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(not_for_del); i++) {
		if (tb[not_for_del[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[not_for_del[i]],
					    "attribute not valid when deleting a flow");
			return -EINVAL;
		}
	}
	err = tcpfo_nl_get_l1(extack, info->attrs[TCPFO_A_FLOW], tb, &l1);
	if (err)
		return err;

	rcu_read_lock();
	flow = tcpfo_nl_find_l1(tn, &l1);
	err = flow ? tcpfo_flow_delete(tn, flow) : -ENOENT;
	rcu_read_unlock();
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_FLOW_A_CLIENT_ADDR],
				    "no flow with this client and VIP tuple");
	return err;
}

/* Bytes held on a leg: received by the socket, not yet acknowledged. */
static u64 tcpfo_leg_held(const struct tcpfo_leg *leg)
{
	if (!leg->rcv_nxt_valid || !leg->sent_any ||
	    !tcpfo_seq_after(leg->rcv_nxt, leg->ack_sent))
		return 0;
	return (u32)(leg->rcv_nxt - leg->ack_sent);
}

static u16 tcpfo_leg_wscales(const struct tcpfo_leg *leg)
{
	return (u16)leg->gw_wscale << 8 | leg->peer_wscale;
}

/* The flow attributes that come once per leg, by enum tcpfo_leg_id. */
struct tcpfo_nl_leg_attrs {
	int	mss, wscale, opts;
	int	edge, ts_sent, ts_recent;	/* the resume state */
	int	seen;
};

static const struct tcpfo_nl_leg_attrs tcpfo_nl_legs[TCPFO_NR_LEGS] = {
	[TCPFO_L1] = {
		.mss = TCPFO_FLOW_A_L1_MSS,
		.wscale = TCPFO_FLOW_A_L1_WSCALE,
		.opts = TCPFO_FLOW_A_L1_OPTS,
		.edge = TCPFO_FLOW_A_L1_RIGHT_EDGE,
		.ts_sent = TCPFO_FLOW_A_L1_TS_SENT,
		.ts_recent = TCPFO_FLOW_A_L1_TS_RECENT,
		.seen = TCPFO_FLOW_A_L1_SEEN,
	},
	[TCPFO_L2] = {
		.mss = TCPFO_FLOW_A_L2_MSS,
		.wscale = TCPFO_FLOW_A_L2_WSCALE,
		.opts = TCPFO_FLOW_A_L2_OPTS,
		.edge = TCPFO_FLOW_A_L2_RIGHT_EDGE,
		.ts_sent = TCPFO_FLOW_A_L2_TS_SENT,
		.ts_recent = TCPFO_FLOW_A_L2_TS_RECENT,
		.seen = TCPFO_FLOW_A_L2_SEEN,
	},
};

/*
 * A tracked flow's TS_SENT is the socket's TSval clock now, as far as the
 * module can tell: the highest TSval it sent, counted on by the time since
 * (a socket's TSvals advance with its clock, 1 ms each ms). A standby
 * reading it later adds its age, so a leg that was quiet before the record
 * was read still gets an estimate above what its socket sent afterwards.
 * A standby record's is what was imported.
 */
static int tcpfo_nl_put_leg_ts(struct sk_buff *skb,
			       const struct tcpfo_leg *leg,
			       const struct tcpfo_nl_leg_attrs *a,
			       bool standby)
{
	u32 ts_sent = leg->ts_sent;

	if (!standby)
		ts_sent += jiffies_to_msecs(jiffies - leg->ts_sent_at);
	if (leg->sent_any && nla_put_u32(skb, a->edge, leg->right_edge))
		return -EMSGSIZE;
	if (leg->ts_sent_valid && nla_put_u32(skb, a->ts_sent, ts_sent))
		return -EMSGSIZE;
	if (leg->ts_recent_valid &&
	    nla_put_u32(skb, a->ts_recent, leg->ts_recent))
		return -EMSGSIZE;
	return 0;
}

/* What a standby flow's lock recorded, for its dump. */
struct tcpfo_nl_lock_view {
	struct tcpfo_seen	seen[TCPFO_NR_LEGS];
	bool			locked[TCPFO_NR_LEGS];
};

static int tcpfo_nl_put_seen(struct sk_buff *skb, int type,
			     const struct tcpfo_seen *sn)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, TCPFO_SEEN_A_FLAGS, sn->flags) ||
	    nla_put_u32(skb, TCPFO_SEEN_A_SEGS, sn->segs))
		goto err_cancel;
	if ((sn->flags & TCPFO_SEEN_ACK) &&
	    (nla_put_u32(skb, TCPFO_SEEN_A_ACK, sn->ack) ||
	     nla_put_u32(skb, TCPFO_SEEN_A_NXT, sn->nxt) ||
	     nla_put_u32(skb, TCPFO_SEEN_A_WIN, sn->win)))
		goto err_cancel;
	if ((sn->flags & TCPFO_SEEN_TS) &&
	    (nla_put_u32(skb, TCPFO_SEEN_A_TSVAL, sn->tsval) ||
	     nla_put_u32(skb, TCPFO_SEEN_A_TSECR, sn->tsecr)))
		goto err_cancel;
	if ((sn->flags & TCPFO_SEEN_PROBED_TS) &&
	    nla_put_u32(skb, TCPFO_SEEN_A_PROBE_TSVAL, sn->probe_tsval))
		goto err_cancel;
	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int tcpfo_nl_put_lock(struct sk_buff *skb,
			     const struct tcpfo_nl_lock_view *lv)
{
	unsigned int i;

	if (nla_put_flag(skb, TCPFO_FLOW_A_LOCKED))
		return -EMSGSIZE;
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		if (lv->locked[i] &&
		    tcpfo_nl_put_seen(skb, tcpfo_nl_legs[i].seen, &lv->seen[i]))
			return -EMSGSIZE;
	}
	return 0;
}

static int tcpfo_nl_put_flow(struct sk_buff *skb,
			     const struct tcpfo_flow_info *fi, bool standby,
			     const struct tcpfo_nl_lock_view *lv)
{
	const struct tcpfo_leg *l1 = &fi->leg[TCPFO_L1];
	const struct tcpfo_leg *l2 = &fi->leg[TCPFO_L2];
	u8 family = fi->family;
	struct nlattr *nest;

	nest = nla_nest_start(skb, TCPFO_A_FLOW);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u16(skb, TCPFO_FLOW_A_FAMILY, family) ||
	    tcpfo_nl_put_addr(skb, TCPFO_FLOW_A_CLIENT_ADDR, family,
			      &l1->peer_addr) ||
	    nla_put_u16(skb, TCPFO_FLOW_A_CLIENT_PORT, ntohs(l1->peer_port)) ||
	    tcpfo_nl_put_addr(skb, TCPFO_FLOW_A_VIP, family, &l1->local_addr) ||
	    nla_put_u16(skb, TCPFO_FLOW_A_VPORT, ntohs(l1->local_port)) ||
	    nla_put_u8(skb, TCPFO_FLOW_A_STATE, fi->state) ||
	    nla_put_string(skb, TCPFO_FLOW_A_SERVICE, fi->service) ||
	    nla_put_u32(skb, TCPFO_FLOW_A_CLIENT_ISN, l1->peer_isn) ||
	    nla_put_u64_64bit(skb, TCPFO_FLOW_A_RELEASED_C2S,
			      fi->released[TCPFO_C2S], TCPFO_FLOW_A_PAD) ||
	    nla_put_u64_64bit(skb, TCPFO_FLOW_A_RELEASED_S2C,
			      fi->released[TCPFO_S2C], TCPFO_FLOW_A_PAD) ||
	    nla_put_u64_64bit(skb, TCPFO_FLOW_A_ID, fi->id, TCPFO_FLOW_A_PAD) ||
	    (standby && nla_put_flag(skb, TCPFO_FLOW_A_STANDBY)) ||
	    (fi->fenced && nla_put_flag(skb, TCPFO_FLOW_A_FENCED)) ||
	    (!standby && nla_put_u32(skb, TCPFO_FLOW_A_IDLE_MS, fi->idle_ms)))
		goto err_cancel;
	if (tcpfo_nl_put_leg_ts(skb, l1, &tcpfo_nl_legs[TCPFO_L1], standby) ||
	    tcpfo_nl_put_leg_ts(skb, l2, &tcpfo_nl_legs[TCPFO_L2], standby))
		goto err_cancel;
	if (lv && tcpfo_nl_put_lock(skb, lv))
		goto err_cancel;

	if (l1->peer_mss &&
	    nla_put_u16(skb, TCPFO_FLOW_A_L1_MSS, l1->peer_mss))
		goto err_cancel;
	if (l1->gw_syn_seen &&
	    (nla_put_u32(skb, TCPFO_FLOW_A_L1_ISN, l1->gw_isn) ||
	     nla_put_u16(skb, TCPFO_FLOW_A_L1_WSCALE, tcpfo_leg_wscales(l1)) ||
	     nla_put_u32(skb, TCPFO_FLOW_A_L1_OPTS, tcpfo_leg_opts(l1)) ||
	     nla_put_u64_64bit(skb, TCPFO_FLOW_A_HELD_C2S, tcpfo_leg_held(l1),
			       TCPFO_FLOW_A_PAD)))
		goto err_cancel;

	if (fi->paired &&
	    (tcpfo_nl_put_addr(skb, TCPFO_FLOW_A_BACK_ADDR, family,
			       &l2->local_addr) ||
	     nla_put_u16(skb, TCPFO_FLOW_A_BACK_PORT, ntohs(l2->local_port)) ||
	     tcpfo_nl_put_addr(skb, TCPFO_FLOW_A_SERVER_ADDR, family,
			       &l2->peer_addr) ||
	     nla_put_u16(skb, TCPFO_FLOW_A_SERVER_PORT,
			 ntohs(l2->peer_port))))
		goto err_cancel;
	if (l2->gw_syn_seen &&
	    nla_put_u32(skb, TCPFO_FLOW_A_L2_ISN, l2->gw_isn))
		goto err_cancel;
	if (l2->peer_syn_seen &&
	    (nla_put_u32(skb, TCPFO_FLOW_A_SERVER_ISN, l2->peer_isn) ||
	     nla_put_u16(skb, TCPFO_FLOW_A_L2_WSCALE, tcpfo_leg_wscales(l2)) ||
	     nla_put_u32(skb, TCPFO_FLOW_A_L2_OPTS, tcpfo_leg_opts(l2)) ||
	     nla_put_u64_64bit(skb, TCPFO_FLOW_A_HELD_S2C, tcpfo_leg_held(l2),
			       TCPFO_FLOW_A_PAD)))
		goto err_cancel;
	if (l2->peer_mss &&
	    nla_put_u16(skb, TCPFO_FLOW_A_L2_MSS, l2->peer_mss))
		goto err_cancel;

	if (fi->fin_seen[TCPFO_C2S] &&
	    nla_put_u64_64bit(skb, TCPFO_FLOW_A_FIN_C2S, fi->fin[TCPFO_C2S],
			      TCPFO_FLOW_A_PAD))
		goto err_cancel;
	if (fi->fin_seen[TCPFO_S2C] &&
	    nla_put_u64_64bit(skb, TCPFO_FLOW_A_FIN_S2C, fi->fin[TCPFO_S2C],
			      TCPFO_FLOW_A_PAD))
		goto err_cancel;

	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* Dump cursor, kept in cb->ctx between rounds. */
struct tcpfo_flow_dump_ctx {
	unsigned long	next_id;	/* first flow id not dumped yet */
	unsigned long	next_standby;	/* likewise for standby flows */
	bool		standby;	/* active flows done */
	bool		started;
};
static_assert(sizeof(struct tcpfo_flow_dump_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

static int tcpfo_nl_standby_dump(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 struct tcpfo_net *tn)
{
	struct tcpfo_flow_dump_ctx *ctx = (void *)cb->ctx;
	struct tcpfo_nl_lock_view lv;
	struct tcpfo_standby_flow *sf;
	unsigned long index;
	int err = 0;

	rcu_read_lock();
	xa_for_each_start(&tn->standby.by_id, index, sf, ctx->next_standby) {
		void *hdr;

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tcpfo_genl_family,
				  NLM_F_MULTI, TCPFO_CMD_FLOW_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		err = tcpfo_nl_put_flow(skb, &sf->info, true,
					tcpfo_takeover_seen(tn, index, lv.seen,
							    lv.locked) ?
					&lv : NULL);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		ctx->next_standby = index + 1;
	}
	rcu_read_unlock();
	if (err && !skb->len)
		return err;
	return skb->len;
}

static int tcpfo_nl_u32_opt(const struct nlattr *a, u32 *out)
{
	if (!a)
		return 0;
	*out = nla_get_u32(a);
	return 1;
}

/*
 * The resume state of one leg (right edge, TSval sent, TSval echoed), all
 * optional: in FLOW_IMPORT and TAKEOVER_ACTIVATE. Returns what is present
 * in @valid[0..2] in that order.
 */
static void tcpfo_nl_leg_resume(struct nlattr **tb,
				const struct tcpfo_nl_leg_attrs *a,
				u32 *edge, u32 *ts_sent, u32 *ts_recent,
				bool valid[3])
{
	valid[0] = tcpfo_nl_u32_opt(tb[a->edge], edge);
	valid[1] = tcpfo_nl_u32_opt(tb[a->ts_sent], ts_sent);
	valid[2] = tcpfo_nl_u32_opt(tb[a->ts_recent], ts_recent);
}

/* Window scales, options and resume state of one leg from the import. */
static int tcpfo_nl_import_leg(struct netlink_ext_ack *extack,
			       struct nlattr **tb, struct tcpfo_leg *leg,
			       const struct tcpfo_nl_leg_attrs *a)
{
	bool valid[3];
	u32 v;

	if (tb[a->mss])
		leg->peer_mss = nla_get_u16(tb[a->mss]);
	if (tb[a->wscale]) {
		u16 ws = nla_get_u16(tb[a->wscale]);

		if ((ws & 0xff) > TCPFO_MAX_WSCALE || (ws >> 8) > TCPFO_MAX_WSCALE) {
			NL_SET_ERR_MSG_ATTR(extack, tb[a->wscale],
					    "window scale above 14");
			return -EINVAL;
		}
		leg->peer_wscale = ws & 0xff;
		leg->gw_wscale = ws >> 8;
	}
	if (tb[a->opts]) {
		v = nla_get_u32(tb[a->opts]);
		if (v & ~(TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP |
			  TCPFO_OPT_WSCALE)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[a->opts],
					    "unknown option bits");
			return -EINVAL;
		}
		leg->peer_opts = leg->gw_opts = v;
	}
	tcpfo_nl_leg_resume(tb, a, &leg->right_edge, &leg->ts_sent,
			    &leg->ts_recent, valid);
	leg->sent_any = valid[0];
	leg->ts_sent_valid = valid[1];
	leg->ts_recent_valid = valid[2];
	return 0;
}

static int tcpfo_nl_flow_import(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	struct tcpfo_standby_flow *sf;
	struct tcpfo_flow_info *fi;
	struct tcpfo_leg *l1, *l2;
	struct tcpfo_nl_l1 t1;
	struct nlattr *nest;
	unsigned long id;
	bool existed;
	u8 state;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, TCPFO_A_FLOW)) {
		NL_SET_ERR_MSG(extack, "flow nest is missing");
		return -EINVAL;
	}
	nest = info->attrs[TCPFO_A_FLOW];
	err = nla_parse_nested(tb, TCPFO_FLOW_A_MAX, nest,
			       tcpfo_flow_import_policy, extack);
	if (err)
		return err;
	if (TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_ID, "id") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_STATE, "state") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_SERVICE,
			       "service") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_CLIENT_ISN,
			       "client ISN"))
		return -EINVAL;
	err = tcpfo_nl_get_l1(extack, nest, tb, &t1);
	if (err)
		return err;
	state = nla_get_u8(tb[TCPFO_FLOW_A_STATE]);
	if (state > TCPFO_FLOW_STATE_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_FLOW_A_STATE],
				    "unknown flow state");
		return -EINVAL;
	}
	if (!nla_len(tb[TCPFO_FLOW_A_SERVICE]) ||
	    nla_len(tb[TCPFO_FLOW_A_SERVICE]) > TCPFO_SERVICE_NAME_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TCPFO_FLOW_A_SERVICE],
				    "service name empty or too long");
		return -EINVAL;
	}

	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	fi = &sf->info;
	l1 = &fi->leg[TCPFO_L1];
	l2 = &fi->leg[TCPFO_L2];
	fi->id = nla_get_u64(tb[TCPFO_FLOW_A_ID]);
	fi->family = t1.family;
	fi->state = state;
	nla_strscpy(fi->service, tb[TCPFO_FLOW_A_SERVICE], sizeof(fi->service));
	l1->peer_addr = t1.client;
	l1->peer_port = t1.cport;
	l1->local_addr = t1.vip;
	l1->local_port = t1.vport;
	l1->peer_isn = nla_get_u32(tb[TCPFO_FLOW_A_CLIENT_ISN]);
	l1->peer_syn_seen = true;
	l1->gw_syn_seen = tcpfo_nl_u32_opt(tb[TCPFO_FLOW_A_L1_ISN], &l1->gw_isn);
	err = tcpfo_nl_import_leg(extack, tb, l1, &tcpfo_nl_legs[TCPFO_L1]);
	if (err)
		goto err_free;

	if (tb[TCPFO_FLOW_A_BACK_ADDR] || tb[TCPFO_FLOW_A_BACK_PORT] ||
	    tb[TCPFO_FLOW_A_SERVER_ADDR] || tb[TCPFO_FLOW_A_SERVER_PORT]) {
		if (TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_BACK_ADDR,
				       "back address") ||
		    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_BACK_PORT,
				       "back port") ||
		    TCPFO_FLOW_REQUIRE(extack, nest, tb,
				       TCPFO_FLOW_A_SERVER_ADDR,
				       "server address") ||
		    TCPFO_FLOW_REQUIRE(extack, nest, tb,
				       TCPFO_FLOW_A_SERVER_PORT,
				       "server port")) {
			err = -EINVAL;
			goto err_free;
		}
		err = tcpfo_nl_get_unicast(extack, tb[TCPFO_FLOW_A_BACK_ADDR],
					   fi->family, &l2->local_addr) ?:
		      tcpfo_nl_get_unicast(extack, tb[TCPFO_FLOW_A_SERVER_ADDR],
					   fi->family, &l2->peer_addr) ?:
		      tcpfo_nl_get_port(extack, tb[TCPFO_FLOW_A_BACK_PORT],
					&l2->local_port) ?:
		      tcpfo_nl_get_port(extack, tb[TCPFO_FLOW_A_SERVER_PORT],
					&l2->peer_port);
		if (err)
			goto err_free;
		fi->paired = true;
	}
	l2->gw_syn_seen = tcpfo_nl_u32_opt(tb[TCPFO_FLOW_A_L2_ISN], &l2->gw_isn);
	l2->peer_syn_seen = tcpfo_nl_u32_opt(tb[TCPFO_FLOW_A_SERVER_ISN],
					     &l2->peer_isn);
	err = tcpfo_nl_import_leg(extack, tb, l2, &tcpfo_nl_legs[TCPFO_L2]);
	if (err)
		goto err_free;

	if (tb[TCPFO_FLOW_A_RELEASED_C2S])
		fi->released[TCPFO_C2S] =
			nla_get_u64(tb[TCPFO_FLOW_A_RELEASED_C2S]);
	if (tb[TCPFO_FLOW_A_RELEASED_S2C])
		fi->released[TCPFO_S2C] =
			nla_get_u64(tb[TCPFO_FLOW_A_RELEASED_S2C]);
	if (tb[TCPFO_FLOW_A_FIN_C2S]) {
		fi->fin[TCPFO_C2S] = nla_get_u64(tb[TCPFO_FLOW_A_FIN_C2S]);
		fi->fin_seen[TCPFO_C2S] = true;
	}
	if (tb[TCPFO_FLOW_A_FIN_S2C]) {
		fi->fin[TCPFO_S2C] = nla_get_u64(tb[TCPFO_FLOW_A_FIN_S2C]);
		fi->fin_seen[TCPFO_S2C] = true;
	}
	if (tb[TCPFO_FLOW_A_TS_AGE])
		sf->ts_age_ms = nla_get_u32(tb[TCPFO_FLOW_A_TS_AGE]);

	id = fi->id;
	mutex_lock(&tn->lock);
	existed = xa_load(&tn->standby.by_id, id);
	err = tcpfo_standby_store(tn, sf);
	if (err == -ENOSPC)
		NL_SET_ERR_MSG(extack, "standby flow table full (max_flows)");
	/*
	 * Stored: @sf is the table's now, valid under tn->lock. A new flow
	 * whose lock cannot be made is refused; a known one keeps its new
	 * record, and TAKEOVER_LOCK makes the lock.
	 */
	if (!err && tcpfo_takeover_prepare(tn, sf, existed ? NULL : extack) &&
	    !existed) {
		tcpfo_standby_forget(tn, id);
		err = -ENOMEM;
	}
	mutex_unlock(&tn->lock);
	return err;

err_free:
	kfree(sf);
	return err;
}

static const struct nla_policy tcpfo_flow_forget_policy[TCPFO_FLOW_A_MAX + 1] = {
	[TCPFO_FLOW_A_ID]	= { .type = NLA_U64 },
};

static const struct nla_policy tcpfo_flow_forget_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FLOW]		= NLA_POLICY_NESTED(tcpfo_flow_forget_policy),
};

static int tcpfo_nl_flow_forget(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	struct nlattr *nest = info->attrs[TCPFO_A_FLOW];
	int err;

	mutex_lock(&tn->lock);
	if (!nest) {
		tcpfo_standby_forget_all(tn);
		tcpfo_takeover_forget(tn, true, 0);
		mutex_unlock(&tn->lock);
		return 0;
	}
	err = nla_parse_nested(tb, TCPFO_FLOW_A_MAX, nest,
			       tcpfo_flow_forget_policy, info->extack);
	if (!err && TCPFO_FLOW_REQUIRE(info->extack, nest, tb,
				       TCPFO_FLOW_A_ID, "id"))
		err = -EINVAL;
	if (!err) {
		unsigned long id = nla_get_u64(tb[TCPFO_FLOW_A_ID]);

		err = tcpfo_standby_forget(tn, id);
		if (err)
			NL_SET_ERR_MSG_ATTR(info->extack, tb[TCPFO_FLOW_A_ID],
					    "no standby flow with this id");
		else
			tcpfo_takeover_forget(tn, false, id);
	}
	mutex_unlock(&tn->lock);
	return err;
}

static const struct nla_policy tcpfo_flow_confirm_policy[TCPFO_FLOW_A_MAX + 1] = {
	[TCPFO_FLOW_A_ID]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_RELEASED_C2S] = { .type = NLA_U64 },
	[TCPFO_FLOW_A_RELEASED_S2C] = { .type = NLA_U64 },
	[TCPFO_FLOW_A_STORED]	= { .type = NLA_U32 },
};

static const struct nla_policy tcpfo_confirm_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_CONFIRMS]	= { .type = NLA_NESTED },
};

static int tcpfo_nl_flow_confirm(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	struct tcpfo_flow *flow;
	struct nlattr *nest;
	int rem, err, d;

	if (GENL_REQ_ATTR_CHECK(info, TCPFO_A_CONFIRMS)) {
		NL_SET_ERR_MSG(extack, "confirms nest is missing");
		return -EINVAL;
	}
	/* Validate everything before acting on anything. */
	nla_for_each_nested(nest, info->attrs[TCPFO_A_CONFIRMS], rem) {
		if (nla_type(nest) != TCPFO_A_FLOW) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "confirms hold flow nests only");
			return -EINVAL;
		}
		err = nla_parse_nested(tb, TCPFO_FLOW_A_MAX, nest,
				       tcpfo_flow_confirm_policy, extack);
		if (err)
			return err;
		if (TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_ID, "id") ||
		    TCPFO_FLOW_REQUIRE(extack, nest, tb,
				       TCPFO_FLOW_A_RELEASED_C2S,
				       "released c2s") ||
		    TCPFO_FLOW_REQUIRE(extack, nest, tb,
				       TCPFO_FLOW_A_RELEASED_S2C,
				       "released s2c"))
			return -EINVAL;
	}
	if (rem) {
		NL_SET_ERR_MSG(extack, "trailing bytes in confirms");
		return -EINVAL;
	}

	nla_for_each_nested(nest, info->attrs[TCPFO_A_CONFIRMS], rem) {
		u64 point[2];

		if (nla_parse_nested(tb, TCPFO_FLOW_A_MAX, nest,
				     tcpfo_flow_confirm_policy, NULL))
			continue;
		point[TCPFO_C2S] = nla_get_u64(tb[TCPFO_FLOW_A_RELEASED_C2S]);
		point[TCPFO_S2C] = nla_get_u64(tb[TCPFO_FLOW_A_RELEASED_S2C]);
		rcu_read_lock();
		flow = xa_load(&tn->flows.by_id,
			       (unsigned long)nla_get_u64(tb[TCPFO_FLOW_A_ID]));
		if (flow) {
			spin_lock_bh(&flow->lock);
			/* Never beyond what the receivers acknowledged. */
			for (d = 0; d < 2; d++)
				flow->confirmed[d] =
					max(flow->confirmed[d],
					    min(point[d], flow->released[d]));
			if (tb[TCPFO_FLOW_A_STORED])
				flow->stored_legs |=
					nla_get_u32(tb[TCPFO_FLOW_A_STORED]) &
					(TCPFO_STORED_L1 | TCPFO_STORED_L2);
			spin_unlock_bh(&flow->lock);
			tcpfo_nl_release_flow(tn, flow, false);
		}
		rcu_read_unlock();
	}
	return 0;
}

/* ---- takeover ------------------------------------------------------------ */

/* LOCK and PROBE: a flow nest with the id, or none (every flow). */
static const struct nla_policy tcpfo_takeover_policy[TCPFO_FLOW_A_MAX + 1] = {
	[TCPFO_FLOW_A_ID]	= { .type = NLA_U64 },
};

static const struct nla_policy tcpfo_takeover_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FLOW]		= NLA_POLICY_NESTED(tcpfo_takeover_policy),
};

static const struct nla_policy tcpfo_probe_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FLOW]		= NLA_POLICY_NESTED(tcpfo_takeover_policy),
	[TCPFO_A_TAKEOVER_TS_AHEAD] = { .type = NLA_S32 },
};

static const struct nla_policy tcpfo_unlock_policy[TCPFO_FLOW_A_MAX + 1] = {
	[TCPFO_FLOW_A_ID]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_RESET]	= { .type = NLA_FLAG },
};

static const struct nla_policy tcpfo_unlock_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FLOW]		= NLA_POLICY_NESTED(tcpfo_unlock_policy),
};

static const struct nla_policy tcpfo_activate_policy[TCPFO_FLOW_A_MAX + 1] = {
	[TCPFO_FLOW_A_ID]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_RELEASED_C2S] = { .type = NLA_U64 },
	[TCPFO_FLOW_A_RELEASED_S2C] = { .type = NLA_U64 },
	[TCPFO_FLOW_A_FIN_C2S]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_FIN_S2C]	= { .type = NLA_U64 },
	[TCPFO_FLOW_A_L1_RIGHT_EDGE] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_RIGHT_EDGE] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L1_TS_SENT] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_TS_SENT] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L1_TS_RECENT] = { .type = NLA_U32 },
	[TCPFO_FLOW_A_L2_TS_RECENT] = { .type = NLA_U32 },
};

static const struct nla_policy tcpfo_activate_req_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FLOW]		= NLA_POLICY_NESTED(tcpfo_activate_policy),
};

/*
 * The flow a takeover request names: the TCPFO_FLOW_A_ID of its flow nest
 * (parsed into @tb with @policy), or every flow (*@all) when the request
 * has no nest.
 */
static int tcpfo_nl_takeover_target(struct genl_info *info,
				    const struct nla_policy *policy,
				    struct nlattr **tb, bool *all,
				    unsigned long *id)
{
	struct nlattr *nest = info->attrs[TCPFO_A_FLOW];
	int err;

	*all = !nest;
	*id = 0;
	if (!nest)
		return 0;
	err = nla_parse_nested(tb, TCPFO_FLOW_A_MAX, nest, policy,
			       info->extack);
	if (err)
		return err;
	if (TCPFO_FLOW_REQUIRE(info->extack, nest, tb, TCPFO_FLOW_A_ID, "id"))
		return -EINVAL;
	*id = nla_get_u64(tb[TCPFO_FLOW_A_ID]);
	return 0;
}

static int tcpfo_nl_takeover_lock(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	unsigned long id;
	bool all;
	int err;

	err = tcpfo_nl_takeover_target(info, tcpfo_takeover_policy, tb, &all,
				       &id);
	if (err)
		return err;
	mutex_lock(&tn->lock);
	err = tcpfo_takeover_lock(tn, all, id, info->extack);
	mutex_unlock(&tn->lock);
	return err;
}

static int tcpfo_nl_takeover_probe(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	unsigned long id;
	s32 ts_ahead = 0;
	bool all;
	int err;

	err = tcpfo_nl_takeover_target(info, tcpfo_takeover_policy, tb, &all,
				       &id);
	if (err)
		return err;
	if (info->attrs[TCPFO_A_TAKEOVER_TS_AHEAD])
		ts_ahead = nla_get_s32(info->attrs[TCPFO_A_TAKEOVER_TS_AHEAD]);
	mutex_lock(&tn->lock);
	err = tcpfo_takeover_probe(tn, all, id, ts_ahead, info->extack);
	mutex_unlock(&tn->lock);
	return err;
}

static int tcpfo_nl_takeover_activate(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	struct tcpfo_resume rs;
	struct nlattr *nest;
	unsigned long id;
	unsigned int i;
	bool all;
	int err;

	err = tcpfo_nl_takeover_target(info, tcpfo_activate_policy, tb, &all,
				       &id);
	if (err)
		return err;
	if (all) {
		NL_SET_ERR_MSG(extack, "flow nest is missing");
		return -EINVAL;
	}
	nest = info->attrs[TCPFO_A_FLOW];
	if (TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_RELEASED_C2S,
			       "released c2s") ||
	    TCPFO_FLOW_REQUIRE(extack, nest, tb, TCPFO_FLOW_A_RELEASED_S2C,
			       "released s2c"))
		return -EINVAL;

	memset(&rs, 0, sizeof(rs));
	rs.released[TCPFO_C2S] = nla_get_u64(tb[TCPFO_FLOW_A_RELEASED_C2S]);
	rs.released[TCPFO_S2C] = nla_get_u64(tb[TCPFO_FLOW_A_RELEASED_S2C]);
	if (tb[TCPFO_FLOW_A_FIN_C2S]) {
		rs.fin[TCPFO_C2S] = nla_get_u64(tb[TCPFO_FLOW_A_FIN_C2S]);
		rs.fin_seen[TCPFO_C2S] = true;
	}
	if (tb[TCPFO_FLOW_A_FIN_S2C]) {
		rs.fin[TCPFO_S2C] = nla_get_u64(tb[TCPFO_FLOW_A_FIN_S2C]);
		rs.fin_seen[TCPFO_S2C] = true;
	}
	for (i = 0; i < TCPFO_NR_LEGS; i++) {
		bool valid[3];

		tcpfo_nl_leg_resume(tb, &tcpfo_nl_legs[i], &rs.right_edge[i],
				    &rs.ts_sent[i], &rs.ts_recent[i], valid);
		rs.right_edge_valid[i] = valid[0];
		rs.ts_sent_valid[i] = valid[1];
		rs.ts_recent_valid[i] = valid[2];
	}

	mutex_lock(&tn->lock);
	err = tcpfo_takeover_activate(tn, id, &rs, extack);
	mutex_unlock(&tn->lock);
	return err;
}

static int tcpfo_nl_takeover_unlock(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	unsigned long id;
	bool all;
	int err;

	err = tcpfo_nl_takeover_target(info, tcpfo_unlock_policy, tb, &all,
				       &id);
	if (err)
		return err;
	mutex_lock(&tn->lock);
	err = tcpfo_takeover_unlock(genl_info_net(info), tn, all, id,
				    !all && nla_get_flag(tb[TCPFO_FLOW_A_RESET]),
				    info->extack);
	mutex_unlock(&tn->lock);
	return err;
}

static const struct nla_policy tcpfo_fence_lift_policy[TCPFO_A_MAX + 1] = {
	[TCPFO_A_FENCE_RESET]	= { .type = NLA_FLAG },
};

static int tcpfo_nl_fence_lift(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	unsigned int flows, sockets;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&tn->lock);
	err = tcpfo_fence_lift(tn, nla_get_flag(info->attrs[TCPFO_A_FENCE_RESET]),
			       &flows, &sockets);
	mutex_unlock(&tn->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	hdr = genlmsg_put_reply(msg, info, &tcpfo_genl_family, 0,
				TCPFO_CMD_FENCE_LIFT);
	if (!hdr || nla_put_u32(msg, TCPFO_A_FENCED_FLOWS, flows) ||
	    nla_put_u32(msg, TCPFO_A_FENCE_SOCKETS, sockets)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * The doorbell. The work runs in process context; tcpfo_nl_ready guards
 * against a namespace's work running while the family is not registered
 * (module load and unload).
 */
static DEFINE_MUTEX(tcpfo_nl_event_lock);
static bool tcpfo_nl_ready;

void tcpfo_nl_flow_event_work(struct work_struct *work)
{
	struct tcpfo_net *tn = container_of(work, struct tcpfo_net,
					    event_work);
	struct sk_buff *msg;
	void *hdr;

	mutex_lock(&tcpfo_nl_event_lock);
	if (!tcpfo_nl_ready)
		goto out;
	msg = genlmsg_new(0, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &tcpfo_genl_family, 0,
			  TCPFO_CMD_FLOW_EVENT);
	if (!hdr) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	/* -ESRCH: nobody listens; the next dump catches up anyway. */
	genlmsg_multicast_netns(&tcpfo_genl_family, tn->net, msg, 0, 0,
				GFP_KERNEL);
out:
	mutex_unlock(&tcpfo_nl_event_lock);
}

/*
 * One message per flow, in creation order, resumed by id (an xarray
 * lookup, so a round costs no walk over what was dumped already, and flows
 * removed between rounds never make the dump skip others). A flow created
 * or removed between rounds sets NLM_F_DUMP_INTR.
 */
/*
 * FLOW_GET without NLM_F_DUMP: the one flow its flow nest names by id,
 * tracked or else standby (with what its peers revealed if locked), so a
 * takeover can follow a few flows without dumping them all.
 */
static int tcpfo_nl_flow_get_one(struct sk_buff *skb, struct genl_info *info)
{
	struct tcpfo_net *tn = tcpfo_pernet(genl_info_net(info));
	struct nlattr *tb[TCPFO_FLOW_A_MAX + 1];
	struct tcpfo_nl_lock_view lv;
	struct tcpfo_standby_flow *sf;
	struct tcpfo_flow_info *fi;
	struct tcpfo_flow *flow;
	struct sk_buff *msg;
	unsigned long id;
	void *hdr;
	bool all;
	int err;

	err = tcpfo_nl_takeover_target(info, tcpfo_takeover_policy, tb, &all,
				       &id);
	if (err)
		return err;
	if (all) {
		NL_SET_ERR_MSG(info->extack,
			       "flow nest with the id is missing (a dump lists every flow)");
		return -EINVAL;
	}
	fi = kmalloc(sizeof(*fi), GFP_KERNEL);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!fi || !msg) {
		err = -ENOMEM;
		goto out;
	}
	hdr = genlmsg_put_reply(msg, info, &tcpfo_genl_family, 0,
				TCPFO_CMD_FLOW_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out;
	}
	rcu_read_lock();
	flow = xa_load(&tn->flows.by_id, id);
	sf = flow ? NULL : xa_load(&tn->standby.by_id, id);
	if (flow) {
		tcpfo_flow_snapshot(flow, fi);
		err = tcpfo_nl_put_flow(msg, fi, false, NULL);
	} else if (sf) {
		err = tcpfo_nl_put_flow(msg, &sf->info, true,
					tcpfo_takeover_seen(tn, id, lv.seen,
							    lv.locked) ?
					&lv : NULL);
	} else {
		err = -ENOENT;
	}
	rcu_read_unlock();
	if (err == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no flow with this id");
	if (err)
		goto out;
	genlmsg_end(msg, hdr);
	kfree(fi);
	return genlmsg_reply(msg, info);
out:
	kfree(fi);
	nlmsg_free(msg);
	return err;
}

static int tcpfo_nl_flow_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct tcpfo_flow_dump_ctx *ctx = (void *)cb->ctx;
	struct tcpfo_net *tn = tcpfo_pernet(sock_net(cb->skb->sk));
	struct tcpfo_flow_info *fi;
	struct tcpfo_flow *flow;
	unsigned long index;
	int err = 0;

	if (!ctx->started) {
		ctx->started = true;
		/* Changes from now on ring the doorbell again. */
		clear_bit(0, &tn->event_flags);
		smp_mb__after_atomic();
	}
	if (ctx->standby)
		return tcpfo_nl_standby_dump(skb, cb, tn);

	fi = kmalloc(sizeof(*fi), GFP_KERNEL);
	if (!fi)
		return -ENOMEM;

	rcu_read_lock();
	cb->seq = READ_ONCE(tn->flows.gen);
	xa_for_each_start(&tn->flows.by_id, index, flow, ctx->next_id) {
		void *hdr;

		tcpfo_flow_snapshot(flow, fi);
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tcpfo_genl_family,
				  NLM_F_MULTI, TCPFO_CMD_FLOW_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		err = tcpfo_nl_put_flow(skb, fi, false, NULL);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		ctx->next_id = index + 1;
	}
	rcu_read_unlock();
	kfree(fi);

	if (err && !skb->len)
		return err;
	if (!err) {
		/* Active flows done: standby flows next, in this round if
		 * there is room.
		 */
		ctx->standby = true;
		return tcpfo_nl_standby_dump(skb, cb, tn);
	}
	return skb->len;
}

static const struct genl_ops tcpfo_genl_ops[] = {
	{
		.cmd		= TCPFO_CMD_GET_STATUS,
		.doit		= tcpfo_nl_get_status,
		.policy		= tcpfo_no_attr_policy,
		.maxattr	= TCPFO_A_MAX,
	},
	{
		.cmd		= TCPFO_CMD_SET_CONFIG,
		.doit		= tcpfo_nl_set_config,
		.policy		= tcpfo_config_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_SERVICE_ADD,
		.doit		= tcpfo_nl_service_add,
		.policy		= tcpfo_service_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_SERVICE_DEL,
		.doit		= tcpfo_nl_service_del,
		.policy		= tcpfo_service_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_SERVICE_GET,
		.dumpit		= tcpfo_nl_service_dump,
		.policy		= tcpfo_no_attr_policy,
		.maxattr	= TCPFO_A_MAX,
	},
	{
		.cmd		= TCPFO_CMD_FLOW_PAIR,
		.doit		= tcpfo_nl_flow_pair,
		.policy		= tcpfo_flow_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_FLOW_DEL,
		.doit		= tcpfo_nl_flow_del,
		.policy		= tcpfo_flow_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_FLOW_GET,
		.doit		= tcpfo_nl_flow_get_one,
		.dumpit		= tcpfo_nl_flow_dump,
		.policy		= tcpfo_takeover_req_policy,
		.maxattr	= TCPFO_A_MAX,
	},
	{
		.cmd		= TCPFO_CMD_FLOW_IMPORT,
		.doit		= tcpfo_nl_flow_import,
		.policy		= tcpfo_flow_import_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_FLOW_CONFIRM,
		.doit		= tcpfo_nl_flow_confirm,
		.policy		= tcpfo_confirm_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_FLOW_FORGET,
		.doit		= tcpfo_nl_flow_forget,
		.policy		= tcpfo_flow_forget_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_TAKEOVER_LOCK,
		.doit		= tcpfo_nl_takeover_lock,
		.policy		= tcpfo_takeover_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_TAKEOVER_PROBE,
		.doit		= tcpfo_nl_takeover_probe,
		.policy		= tcpfo_probe_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_TAKEOVER_ACTIVATE,
		.doit		= tcpfo_nl_takeover_activate,
		.policy		= tcpfo_activate_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_TAKEOVER_UNLOCK,
		.doit		= tcpfo_nl_takeover_unlock,
		.policy		= tcpfo_unlock_req_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= TCPFO_CMD_FENCE_LIFT,
		.doit		= tcpfo_nl_fence_lift,
		.policy		= tcpfo_fence_lift_policy,
		.maxattr	= TCPFO_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group tcpfo_mcgrps[] = {
	{ .name = TCPFO_MCGRP_FLOWS },
};

static struct genl_family tcpfo_genl_family __ro_after_init = {
	.name		= TCPFO_GENL_NAME,
	.version	= TCPFO_GENL_VERSION,
	.module		= THIS_MODULE,
	.ops		= tcpfo_genl_ops,
	.n_ops		= ARRAY_SIZE(tcpfo_genl_ops),
	.mcgrps		= tcpfo_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(tcpfo_mcgrps),
	.netnsok	= true,
	.parallel_ops	= true,
	/* 0: every command gets the strict header check (reserved == 0,
	 * only REQUEST/ACK/ECHO/DUMP flags).
	 */
	.resv_start_op	= 0,
};

int __init tcpfo_genl_register(void)
{
	int err = genl_register_family(&tcpfo_genl_family);

	if (err)
		return err;
	mutex_lock(&tcpfo_nl_event_lock);
	tcpfo_nl_ready = true;
	mutex_unlock(&tcpfo_nl_event_lock);
	return 0;
}

void tcpfo_genl_unregister(void)
{
	mutex_lock(&tcpfo_nl_event_lock);
	tcpfo_nl_ready = false;
	mutex_unlock(&tcpfo_nl_event_lock);
	genl_unregister_family(&tcpfo_genl_family);
}
