// SPDX-License-Identifier: GPL-2.0
#include "KernelLink.hpp"

#include "FlowAttrs.hpp"
#include "ServiceAttrs.hpp"

#include <linux/tcpfo.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace tcpfo {

namespace {

// libnl's put helpers fail only when the message buffer is full.
void check_put(int err)
{
	if (err < 0)
		throw std::system_error(EMSGSIZE, std::system_category(),
					"building a tcpfo request");
}

[[noreturn]] void malformed(const std::string &what)
{
	throw std::system_error(EPROTO, std::system_category(),
				"malformed tcpfo reply: " + what);
}

void parse_reply(const nlmsghdr *hdr, nlattr **tb)
{
	if (genlmsg_parse(const_cast<nlmsghdr *>(hdr), 0, tb, TCPFO_A_MAX,
			  nullptr) < 0)
		malformed("bad attributes");
}

void ignore_reply(const nlmsghdr *) {}

// The kernel's reason if it gave one, else what the errno means here.
[[noreturn]] void rethrow_with_hint(const KernelError &e, int errnum, const char *hint)
{
	if (e.code().value() == errnum && e.detail().empty())
		throw KernelError(errnum, e.context(), hint);
	throw;
}

} // namespace

ModuleNotLoaded::ModuleNotLoaded()
	: std::runtime_error("tcpfo kernel module is not loaded (generic "
			     "netlink family '" TCPFO_GENL_NAME
			     "' not found); try: modprobe tcpfo")
{
}

KernelLink::KernelLink()
{
	auto id = sock_.resolve_family(TCPFO_GENL_NAME);
	if (!id)
		throw ModuleNotLoaded();
	family_ = *id;
}

Status parse_status_reply(const nlmsghdr *hdr)
{
	nlattr *tb[TCPFO_A_MAX + 1] = {};
	parse_reply(hdr, tb);
	// The header promises every attribute; a missing one is a module bug
	// worth naming rather than a zero worth printing.
	auto need = [&](int type, int size, const char *name) {
		if (!tb[type] || (size && nla_len(tb[type]) != size))
			malformed(std::string("status without a valid ") + name);
		return tb[type];
	};

	Status st;
	nlattr *version = need(TCPFO_A_VERSION, 0, "VERSION");
	auto *text = static_cast<const char *>(nla_data(version));
	st.version.assign(text, strnlen(text, static_cast<std::size_t>(nla_len(version))));
	st.mode = static_cast<Mode>(nla_get_u32(need(TCPFO_A_MODE, 4, "MODE")));
	st.packets_seen = nla_get_u64(need(TCPFO_A_PACKETS_SEEN, 8, "PACKETS_SEEN"));
	st.packets_tracked = nla_get_u64(need(TCPFO_A_PACKETS_TRACKED, 8, "PACKETS_TRACKED"));
	st.flows = nla_get_u32(need(TCPFO_A_FLOW_COUNT, 4, "FLOW_COUNT"));
	st.services = nla_get_u32(need(TCPFO_A_SERVICE_COUNT, 4, "SERVICE_COUNT"));
	// Added with flow pairing; a module without them still answers.
	auto optional_u64 = [&](int type, const char *name) -> std::optional<std::uint64_t> {
		if (!tb[type])
			return std::nullopt;
		return nla_get_u64(need(type, 8, name));
	};
	st.release_acks = optional_u64(TCPFO_A_RELEASE_ACKS, "RELEASE_ACKS");
	st.dupacks_suppressed = optional_u64(TCPFO_A_DUPACKS_SUPPRESSED,
					     "DUPACKS_SUPPRESSED");
	if (tb[TCPFO_A_PROTECTION])
		st.protection = nla_get_u32(need(TCPFO_A_PROTECTION, 4, "PROTECTION"));
	if (tb[TCPFO_A_STANDBY_COUNT])
		st.standby_flows = nla_get_u32(need(TCPFO_A_STANDBY_COUNT, 4,
						    "STANDBY_COUNT"));
	if (tb[TCPFO_A_TAKEOVER_LOCKED])
		st.takeover_locked = nla_get_u32(need(TCPFO_A_TAKEOVER_LOCKED, 4,
						      "TAKEOVER_LOCKED"));
	st.takeover_dropped = optional_u64(TCPFO_A_TAKEOVER_DROPPED, "TAKEOVER_DROPPED");
	st.takeover_probes = optional_u64(TCPFO_A_TAKEOVER_PROBES, "TAKEOVER_PROBES");
	st.takeover_resets = optional_u64(TCPFO_A_TAKEOVER_RESETS, "TAKEOVER_RESETS");
	if (tb[TCPFO_A_FENCED])
		st.fenced = nla_get_u32(need(TCPFO_A_FENCED, 4, "FENCED")) != 0;
	st.fenced_drops = optional_u64(TCPFO_A_FENCED_DROPS, "FENCED_DROPS");
	if (tb[TCPFO_A_FENCED_FLOWS])
		st.fenced_flows = nla_get_u32(need(TCPFO_A_FENCED_FLOWS, 4, "FENCED_FLOWS"));
	return st;
}

Status KernelLink::get_status()
{
	std::optional<Status> status;
	auto req = GenlSocket::request(family_, TCPFO_CMD_GET_STATUS,
				       TCPFO_GENL_VERSION);
	sock_.transact(std::move(req), "reading module status",
		       [&](const nlmsghdr *hdr) { status = parse_status_reply(hdr); });
	if (!status)
		malformed("no status reply");
	return *status;
}

void KernelLink::set_mode(Mode mode, std::uint32_t protection)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_SET_CONFIG,
				       TCPFO_GENL_VERSION);
	check_put(nla_put_u32(req.get(), TCPFO_A_MODE,
			      static_cast<std::uint32_t>(mode)));
	check_put(nla_put_u32(req.get(), TCPFO_A_PROTECTION, protection));
	sock_.transact(std::move(req), "setting mode " + to_string(mode),
		       ignore_reply);
}

void KernelLink::set_owner()
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_SET_CONFIG,
				       TCPFO_GENL_VERSION);
	check_put(nla_put_flag(req.get(), TCPFO_A_OWNER));
	sock_.transact(std::move(req), "becoming the namespace's owner",
		       ignore_reply);
}

void KernelLink::disown()
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_SET_CONFIG,
				       TCPFO_GENL_VERSION);
	check_put(nla_put_flag(req.get(), TCPFO_A_DISOWN));
	sock_.transact(std::move(req), "giving the namespace up", ignore_reply);
}

void KernelLink::set_mode(Mode mode)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_SET_CONFIG,
				       TCPFO_GENL_VERSION);
	check_put(nla_put_u32(req.get(), TCPFO_A_MODE,
			      static_cast<std::uint32_t>(mode)));
	sock_.transact(std::move(req), "setting mode " + to_string(mode),
		       ignore_reply);
}

void KernelLink::add_service(const Service &s)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_SERVICE_ADD,
				       TCPFO_GENL_VERSION);
	put_service(req.get(), s);

	try {
		sock_.transact(std::move(req), "adding service '" + s.name + "'",
			       ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, EEXIST,
				  "a service with this name or VIP:port "
				  "already exists");
	}
}

void KernelLink::del_service_by_name(std::string_view name)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_SERVICE_DEL,
				       TCPFO_GENL_VERSION);
	put_service_name(req.get(), name);
	try {
		sock_.transact(std::move(req),
			       "deleting service '" + std::string(name) + "'",
			       ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, ENOENT, "no such service");
	}
}

void KernelLink::del_service(const Endpoint &vip)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_SERVICE_DEL,
				       TCPFO_GENL_VERSION);
	put_service_vip(req.get(), vip);
	try {
		sock_.transact(std::move(req),
			       "deleting service " + vip.to_string(),
			       ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, ENOENT, "no such service");
	}
}

void KernelLink::dump(std::uint8_t cmd, const std::string &context,
		      const std::function<void()> &reset,
		      const std::function<void(nlattr **)> &on_message)
{
	// A dump interrupted by a concurrent change is retried a few times;
	// a half-old, half-new list would be worse than an error.
	for (int attempt = 1;; attempt++) {
		reset();
		auto req = GenlSocket::request(family_, cmd, TCPFO_GENL_VERSION,
					       NLM_F_DUMP);
		try {
			sock_.transact(std::move(req), context,
				       [&](const nlmsghdr *hdr) {
					       nlattr *tb[TCPFO_A_MAX + 1] = {};
					       parse_reply(hdr, tb);
					       on_message(tb);
				       });
		} catch (const KernelError &) {
			throw;
		} catch (const std::system_error &e) {
			if (e.code() != std::errc::resource_unavailable_try_again ||
			    attempt == 3)
				throw;
			continue;
		}
		return;
	}
}

std::vector<Service> KernelLink::list_services()
{
	std::vector<Service> services;
	dump(TCPFO_CMD_SERVICE_GET, "listing services", [&] { services.clear(); },
	     [&](nlattr **tb) {
		     if (!tb[TCPFO_A_SERVICE])
			     malformed("service dump without a service");
		     services.push_back(get_service(tb[TCPFO_A_SERVICE]));
	     });
	return services;
}

void KernelLink::pair_flow(const FlowPair &pair)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_FLOW_PAIR,
				       TCPFO_GENL_VERSION);
	put_flow_pair(req.get(), pair);
	try {
		sock_.transact(std::move(req),
			       "pairing flow " + pair.l1.client.to_string() +
				       " -> " + pair.l1.vip.to_string() + " with " +
				       pair.l2.back.to_string() + " -> " +
				       pair.l2.server.to_string(),
			       ignore_reply);
	} catch (const KernelError &e) {
		if (e.code().value() == EEXIST)
			rethrow_with_hint(e, EEXIST,
					  "already paired, or the server-leg "
					  "tuple is in use");
		rethrow_with_hint(e, ENOENT, "the module tracks no such flow");
	}
}

void KernelLink::del_flow(const L1Tuple &l1)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_FLOW_DEL,
				       TCPFO_GENL_VERSION);
	put_flow_l1(req.get(), l1);
	try {
		sock_.transact(std::move(req),
			       "deleting flow " + l1.client.to_string() + " -> " +
				       l1.vip.to_string(),
			       ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, ENOENT, "the module tracks no such flow");
	}
}

std::vector<Flow> KernelLink::list_flows()
{
	std::vector<Flow> flows;
	dump(TCPFO_CMD_FLOW_GET, "listing flows", [&] { flows.clear(); },
	     [&](nlattr **tb) {
		     if (!tb[TCPFO_A_FLOW])
			     malformed("flow dump without a flow");
		     flows.push_back(get_flow(tb[TCPFO_A_FLOW]));
	     });
	return flows;
}

void KernelLink::import_flow(const Flow &flow)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_FLOW_IMPORT,
				       TCPFO_GENL_VERSION);
	put_flow_import(req.get(), flow);
	sock_.transact(std::move(req),
		       "importing standby flow " + std::to_string(flow.id.value_or(0)),
		       ignore_reply);
}

void KernelLink::forget_flow(std::uint64_t id)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_FLOW_FORGET,
				       TCPFO_GENL_VERSION);
	nlattr *nest = nla_nest_start(req.get(), TCPFO_A_FLOW);
	if (!nest || nla_put_u64(req.get(), TCPFO_FLOW_A_ID, id) < 0)
		throw std::system_error(EMSGSIZE, std::generic_category(),
					"building a flow forget request");
	nla_nest_end(req.get(), nest);
	try {
		sock_.transact(std::move(req),
			       "forgetting standby flow " + std::to_string(id),
			       ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, ENOENT, "no such standby flow");
	}
}

void KernelLink::takeover_lock()
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_TAKEOVER_LOCK,
				       TCPFO_GENL_VERSION);
	sock_.transact(std::move(req), "locking the standby flows", ignore_reply);
}

void KernelLink::takeover_probe(std::int32_t ts_ahead_ms)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_TAKEOVER_PROBE,
				       TCPFO_GENL_VERSION);
	check_put(nla_put_s32(req.get(), TCPFO_A_TAKEOVER_TS_AHEAD, ts_ahead_ms));
	sock_.transact(std::move(req), "probing the locked flows' peers",
		       ignore_reply);
}

void KernelLink::takeover_probe(std::uint64_t id, std::int32_t ts_ahead_ms)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_TAKEOVER_PROBE,
				       TCPFO_GENL_VERSION);
	put_flow_id(req.get(), id);
	check_put(nla_put_s32(req.get(), TCPFO_A_TAKEOVER_TS_AHEAD, ts_ahead_ms));
	try {
		sock_.transact(std::move(req), "probing the peers of flow " + std::to_string(id),
			       ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, ENOENT, "no such locked standby flow");
	}
}

std::optional<Flow> KernelLink::find_flow(std::uint64_t id)
{
	std::optional<Flow> flow;
	auto req = GenlSocket::request(family_, TCPFO_CMD_FLOW_GET, TCPFO_GENL_VERSION);
	put_flow_id(req.get(), id);
	try {
		sock_.transact(std::move(req), "reading flow " + std::to_string(id),
			       [&](const nlmsghdr *hdr) {
				       nlattr *tb[TCPFO_A_MAX + 1] = {};
				       parse_reply(hdr, tb);
				       if (!tb[TCPFO_A_FLOW])
					       malformed("flow reply without a flow");
				       flow = get_flow(tb[TCPFO_A_FLOW]);
			       });
	} catch (const KernelError &e) {
		if (e.code().value() == ENOENT)
			return std::nullopt;
		throw;
	}
	return flow;
}

void KernelLink::takeover_activate(const Activation &a)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_TAKEOVER_ACTIVATE,
				       TCPFO_GENL_VERSION);
	put_activation(req.get(), a);
	try {
		sock_.transact(std::move(req),
			       "activating taken-over flow " + std::to_string(a.id),
			       ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, ENOENT, "no such locked standby flow");
	}
}

void KernelLink::takeover_unlock(std::uint64_t id, bool reset)
{
	locked_flow_request(TCPFO_CMD_TAKEOVER_UNLOCK, id, reset,
			    std::string(reset ? "resetting" : "unlocking") + " flow " +
				    std::to_string(id));
}

void KernelLink::locked_flow_request(std::uint8_t cmd, std::uint64_t id, bool reset,
				     const std::string &context)
{
	auto req = GenlSocket::request(family_, cmd, TCPFO_GENL_VERSION);
	put_flow_id(req.get(), id, reset);
	try {
		sock_.transact(std::move(req), context, ignore_reply);
	} catch (const KernelError &e) {
		rethrow_with_hint(e, ENOENT, "no such locked standby flow");
	}
}

void KernelLink::takeover_unlock_all()
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_TAKEOVER_UNLOCK,
				       TCPFO_GENL_VERSION);
	sock_.transact(std::move(req), "lifting every takeover lock", ignore_reply);
}

std::pair<unsigned, unsigned> KernelLink::fence_lift(bool reset)
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_FENCE_LIFT,
				       TCPFO_GENL_VERSION);
	if (reset)
		check_put(nla_put_flag(req.get(), TCPFO_A_FENCE_RESET));
	std::pair<unsigned, unsigned> freed{0, 0};
	sock_.transact(std::move(req), "lifting the fence of earlier flows",
		       [&](const nlmsghdr *hdr) {
			       nlattr *tb[TCPFO_A_MAX + 1] = {};
			       parse_reply(hdr, tb);
			       if (tb[TCPFO_A_FENCED_FLOWS])
				       freed.first = nla_get_u32(tb[TCPFO_A_FENCED_FLOWS]);
			       if (tb[TCPFO_A_FENCE_SOCKETS])
				       freed.second = nla_get_u32(tb[TCPFO_A_FENCE_SOCKETS]);
		       });
	return freed;
}

void KernelLink::forget_standby_flows()
{
	auto req = GenlSocket::request(family_, TCPFO_CMD_FLOW_FORGET,
				       TCPFO_GENL_VERSION);
	sock_.transact(std::move(req), "forgetting every standby flow",
		       ignore_reply);
}

void KernelLink::confirm_flows(const std::vector<Confirm> &confirms)
{
	// As many as fit in one message (a page: about 80), then the next
	// message: an ack covering hundreds of new flows (a burst of
	// connections in sync mode) must confirm every one of them, or their
	// SYN-ACKs stay held.
	std::size_t k = 0;
	while (k < confirms.size()) {
		auto req = GenlSocket::request(family_, TCPFO_CMD_FLOW_CONFIRM,
					       TCPFO_GENL_VERSION);
		nlattr *all = nla_nest_start(req.get(), TCPFO_A_CONFIRMS);
		if (!all)
			throw std::system_error(EMSGSIZE, std::generic_category(),
						"building a confirm request");
		const std::size_t first = k;
		for (; k < confirms.size(); ++k) {
			nlattr *one = nla_nest_start(req.get(), TCPFO_A_FLOW);
			if (!one ||
			    nla_put_u64(req.get(), TCPFO_FLOW_A_ID, confirms[k].id) < 0 ||
			    nla_put_u64(req.get(), TCPFO_FLOW_A_RELEASED_C2S,
					confirms[k].released_c2s) < 0 ||
			    nla_put_u64(req.get(), TCPFO_FLOW_A_RELEASED_S2C,
					confirms[k].released_s2c) < 0 ||
			    (confirms[k].stored &&
			     nla_put_u32(req.get(), TCPFO_FLOW_A_STORED,
					 confirms[k].stored) < 0)) {
				if (one)
					nla_nest_cancel(req.get(), one);
				break;
			}
			nla_nest_end(req.get(), one);
		}
		if (k == first)
			throw std::system_error(EMSGSIZE, std::generic_category(),
						"building a confirm request");
		nla_nest_end(req.get(), all);
		sock_.transact(std::move(req), "confirming stored points", ignore_reply);
	}
}

FlowEvents::FlowEvents()
{
	sock_ = nl_socket_alloc();
	if (!sock_)
		throw std::system_error(ENOMEM, std::generic_category(),
					"flow events: allocating a netlink socket");
	auto fail = [&](int err, const char *what) {
		nl_socket_free(sock_);
		sock_ = nullptr;
		throw std::system_error(err, std::generic_category(),
					std::string("flow events: ") + what);
	};
	if (genl_connect(sock_) < 0)
		fail(EIO, "connecting");
	const int grp = genl_ctrl_resolve_grp(sock_, TCPFO_GENL_NAME,
					      TCPFO_MCGRP_FLOWS);
	if (grp < 0) {
		nl_socket_free(sock_);
		sock_ = nullptr;
		throw ModuleNotLoaded();
	}
	nl_socket_disable_seq_check(sock_);
	if (nl_socket_add_membership(sock_, grp) < 0)
		fail(EIO, "joining the flows group");
	if (nl_socket_set_nonblocking(sock_) < 0)
		fail(EIO, "making the socket non-blocking");
}

FlowEvents::~FlowEvents()
{
	if (sock_)
		nl_socket_free(sock_);
}

int FlowEvents::fd() const noexcept
{
	return nl_socket_get_fd(sock_);
}

bool FlowEvents::drain()
{
	bool any = false;
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd(), buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			any = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			any = true;	// overrun: a dump makes up for it
			continue;
		}
		return any;
	}
}

} // namespace tcpfo
