// SPDX-License-Identifier: GPL-2.0
// FlowAttrs: flows as the TCPFO_A_FLOW nest on the wire (see enum
// tcpfo_flow_attr): the tuples the relay sends, the records dumps return.
#pragma once

#include "Flow.hpp"

struct nl_msg;
struct nlattr;

namespace tcpfo {

// Appends a TCPFO_A_FLOW nest (NLA_F_NESTED) with FAMILY and both tuples,
// for TCPFO_CMD_FLOW_PAIR. Throws std::system_error: EINVAL if the
// endpoints are not all of one family, EMSGSIZE if the message is full.
void put_flow_pair(nl_msg *msg, const FlowPair &pair);

// Appends a TCPFO_A_FLOW nest with FAMILY and the L1 tuple only, for
// TCPFO_CMD_FLOW_DEL.
void put_flow_l1(nl_msg *msg, const L1Tuple &l1);

// Reads a TCPFO_A_FLOW nest of a dump. Absent attributes stay unset; a
// missing family or an attribute of the wrong size throws
// std::system_error (EPROTO) naming it.
Flow get_flow(nlattr *nest);

// TCPFO_CMD_TAKEOVER_ACTIVATE's nest: a locked standby flow becomes a
// tracked flow of this gateway at these resume points.
struct Activation {
	std::uint64_t id = 0;
	std::uint64_t released_c2s = 0;	// offsets the new sockets start at
	std::uint64_t released_s2c = 0;
	std::optional<std::uint32_t> l1_ts_sent, l2_ts_sent;	// TSval bases
	std::optional<std::uint32_t> l1_ts_recent, l2_ts_recent;
	std::optional<std::uint32_t> l1_right_edge, l2_right_edge;
	std::optional<std::uint64_t> fin_c2s, fin_s2c;

	friend bool operator==(const Activation &, const Activation &) = default;
};
void put_activation(nl_msg *msg, const Activation &a);

// A TCPFO_A_FLOW nest with just the ID (and TCPFO_FLOW_A_RESET if
// `reset`), for the takeover commands that name one flow.
void put_flow_id(nl_msg *msg, std::uint64_t id, bool reset = false);

// TCPFO_CMD_FLOW_IMPORT's nest: every field the flow has. Throws
// std::invalid_argument without id, state, service, L1 tuple, client ISN.
void put_flow_import(nl_msg *msg, const Flow &flow);

} // namespace tcpfo
