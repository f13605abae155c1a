// SPDX-License-Identifier: GPL-2.0
// Takeover planning: from a locked standby flow (the primary's replicated
// record plus what each peer revealed while locked) to the two sockets the
// standby recreates with TCP_REPAIR and the resume state its module tracks
// them with. Pure: the orchestration is in Daemon, the socket work in
// TcpRepair. See "Failover" in DESIGN.md and Documentation/failover.md.
#pragma once

#include "Flow.hpp"
#include "FlowAttrs.hpp"
#include "TcpRepair.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace tcpfo {

struct TakeoverPlan {
	std::uint64_t id = 0;
	std::string service;
	FlowPair tuples;
	RepairState l1;		// client leg: VIP:port <-> client
	RepairState l2;		// server leg: back address:port <-> server
	Activation activation;	// resume points for the module
	// How far the peers' receive points were past the replicated
	// released points (bytes; never negative in a plan). In sync mode the
	// stored points must never be above what the peers report.
	std::uint64_t gain_c2s = 0;
	std::uint64_t gain_s2c = 0;
	// A FIN its receiver already acknowledged: the new sending socket
	// starts before it and repeats it (shutdown), the relay treats that
	// direction as finished.
	bool c2s_fin_passed = false;
	bool s2c_fin_passed = false;
};

// Why a flow is not taken over, and whether its peers get an RST (a flow
// that had ended needs none).
struct NotTaken {
	std::string reason;
	bool reset = true;
};

struct TimestampPolicy {
	// How long ago the primary read the TSvals it replicated, if known:
	// the old sockets' clocks ran on for that long.
	std::optional<std::uint64_t> sample_age_ms;
	// Added on top: a socket's TSvals may lag its clock, and the
	// primary kept sending until it died.
	std::uint32_t margin_ms = 100;
	// Test knob (failoverd --takeover.ts-skew): shifts the estimate,
	// as a clock mapping that is off by this much would.
	std::int64_t skew_ms = 0;
};

// The plan for `flow` (a locked standby flow with both legs' SEEN data),
// or why it cannot be taken over (then its peers are reset and counted).
std::variant<TakeoverPlan, NotTaken>
plan_takeover(const Flow &flow, const TimestampPolicy &ts);

// Whether the record lacks the server leg (tuple or ISNs): the flow was
// caught in its handshake and plan_takeover resets it whatever the peers
// say, so a takeover waits for its client's answer only (where to put the
// RST), never for a server that may not answer at all.
bool server_leg_missing(const Flow &flow);

// The TSval base of a new socket: at or above what the old one would send
// now, above the TSval the peer last accepted (its PAWS reference), and at
// or above the TSval of the standby's last probe to the peer (the module's
// estimate of the old socket's clock; the peer saw it before this socket's
// first segment).
std::uint32_t takeover_tsval(std::optional<std::uint32_t> ts_sent,
			     std::optional<std::uint32_t> peer_tsecr,
			     const TimestampPolicy &ts,
			     std::optional<std::uint32_t> probe_tsval = std::nullopt);

} // namespace tcpfo
