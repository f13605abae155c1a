// SPDX-License-Identifier: GPL-2.0
// KernelLink: the tcpfo generic netlink family as C++ calls. One instance
// is one netlink socket; requests act on the caller's network namespace.
#pragma once

#include "Flow.hpp"
#include "FlowAttrs.hpp"
#include "GenlSocket.hpp"
#include "KernelApi.hpp"
#include "Mode.hpp"
#include "Service.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tcpfo {

// The generic netlink family "tcpfo" is not registered: no module.
class ModuleNotLoaded : public std::runtime_error {
public:
	ModuleNotLoaded();
};

// TCPFO_CMD_GET_STATUS reply.
struct Status {
	std::string version;
	Mode mode = Mode::async;
	std::uint64_t packets_seen = 0;
	std::uint64_t packets_tracked = 0;
	std::uint32_t flows = 0;
	std::uint32_t services = 0;
	// Newer attributes: absent from a module that predates them.
	std::optional<std::uint64_t> release_acks;
	std::optional<std::uint64_t> dupacks_suppressed;
	std::optional<std::uint32_t> standby_flows;
	std::optional<std::uint32_t> protection;	// enum tcpfo_protection
	std::optional<std::uint32_t> takeover_locked;
	std::optional<std::uint64_t> takeover_dropped;
	std::optional<std::uint64_t> takeover_probes;
	std::optional<std::uint64_t> takeover_resets;
	std::optional<bool> fenced;	// the namespace is fenced now
	std::optional<std::uint64_t> fenced_drops;
	std::optional<std::uint32_t> fenced_flows;
};

// A TCPFO_CMD_GET_STATUS reply (separate for tests). Throws
// std::system_error (EPROTO) if an attribute is malformed, or missing
// except for the optional ones above.
Status parse_status_reply(const nlmsghdr *hdr);

class KernelLink final : public KernelApi {
public:
	// Throws ModuleNotLoaded, or std::system_error for socket trouble.
	KernelLink();

	Status get_status();
	void set_mode(Mode mode) override;
	// The mode and whether a standby holds the flows (enum
	// tcpfo_protection), for tcpfoctl status.
	void set_mode(Mode mode, std::uint32_t protection);
	// This socket owns the namespace (see KernelApi::set_owner); lifts
	// the fence a dead owner left. EINVAL (KernelError) from a module
	// without fencing.
	void set_owner() override;
	// Gives the namespace up (see KernelApi::disown). EBUSY (KernelError)
	// if another socket owns it, EINVAL from a module without it.
	void disown() override;

	// EEXIST (KernelError) if the name or VIP:port is taken.
	void add_service(const Service &service) override;
	// ENOENT (KernelError) if there is no such service.
	void del_service_by_name(std::string_view name) override;
	void del_service(const Endpoint &vip);

	std::vector<Service> list_services() override;

	// ENOENT (KernelError) if the module tracks no such L1 flow; EEXIST
	// if it is paired already or the L2 tuple is in use.
	void pair_flow(const FlowPair &pair) override;
	// ENOENT (KernelError) if the module tracks no such flow.
	void del_flow(const L1Tuple &l1) override;

	// Every tracked flow, in the module's order, then the standby flows
	// (Flow::standby). Clears the pending FLOW_EVENT doorbell.
	std::vector<Flow> list_flows();

	// On the standby: store the primary's record (TCPFO_CMD_FLOW_IMPORT).
	void import_flow(const Flow &flow);
	// Remove one standby flow (ENOENT if none), or all of them.
	void forget_flow(std::uint64_t id);
	void forget_standby_flows();

	// Takeover, on the standby (see the TCPFO_CMD_TAKEOVER_* commands):
	// lock every standby flow; probe the peers not heard from since;
	// make one a tracked flow at its resume points; lift its lock (and
	// forget its record), resetting its peers instead if `reset`; or lift
	// every lock, keeping the records (takeover aborted).
	void takeover_lock();
	// `ts_ahead_ms` is added to each probe's TSval estimate (the module's
	// guess of the old socket's clock): failoverd's margin and test skew.
	void takeover_probe(std::int32_t ts_ahead_ms);
	// One locked flow's peers only.
	void takeover_probe(std::uint64_t id, std::int32_t ts_ahead_ms);
	// One flow by id (tracked, else standby); nullopt if there is none.
	std::optional<Flow> find_flow(std::uint64_t id);
	void takeover_activate(const Activation &activation);
	void takeover_unlock(std::uint64_t id, bool reset);
	void takeover_unlock_all();
	// TCPFO_CMD_FENCE_LIFT: the orphaned sockets of fenced flows closed
	// silently, the fenced flows freed (their peers reset if reset);
	// returns {flows, sockets}.
	std::pair<unsigned, unsigned> fence_lift(bool reset);

	// Sync mode, on the primary: the standby stored these points
	// (TCPFO_CMD_FLOW_CONFIRM); flows the module no longer has are
	// skipped by it.
	struct Confirm {
		std::uint64_t id = 0;
		std::uint64_t released_c2s = 0;
		std::uint64_t released_s2c = 0;
		// TCPFO_STORED_*: legs whose handshake the standby stored.
		std::uint32_t stored = 0;
	};
	void confirm_flows(const std::vector<Confirm> &confirms);

private:
	// A TAKEOVER_* request naming flow `id` (ENOENT: not locked).
	void locked_flow_request(std::uint8_t cmd, std::uint64_t id, bool reset,
				 const std::string &context);
	// Runs a dump of `cmd`, handing each message's top-level attributes
	// to `on_message`; re-dumps (from scratch) when interrupted by a
	// concurrent change. `reset` clears what the previous attempt kept.
	void dump(std::uint8_t cmd, const std::string &context,
		  const std::function<void()> &reset,
		  const std::function<void(nlattr **)> &on_message);

	GenlSocket sock_;
	int family_ = 0;
};

// A socket in the "flows" multicast group: readable when the module rang
// the TCPFO_CMD_FLOW_EVENT doorbell. Non-blocking.
class FlowEvents {
public:
	// Throws ModuleNotLoaded, or std::system_error.
	FlowEvents();
	~FlowEvents();
	FlowEvents(const FlowEvents &) = delete;
	FlowEvents &operator=(const FlowEvents &) = delete;

	int fd() const noexcept;
	// Reads every pending message; true if any (or an overrun: events
	// were lost, which a dump makes up for).
	bool drain();

private:
	struct nl_sock *sock_ = nullptr;
};

} // namespace tcpfo
