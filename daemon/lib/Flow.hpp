// SPDX-License-Identifier: GPL-2.0
// Flow: a relayed connection as the module knows it — the two legs' tuples
// the relay announces (FlowPair) and the record TCPFO_CMD_FLOW_GET dumps
// (Flow), with the names tcpfoctl prints for its state and options.
#pragma once

#include "Address.hpp"

#include <linux/tcpfo.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcpfo {

// L1: the client leg, client <-> VIP:port on the gateway.
struct L1Tuple {
	Endpoint client;
	Endpoint vip;

	int family() const noexcept { return vip.family(); }
	friend bool operator==(const L1Tuple &, const L1Tuple &) = default;
};

// L2: the server leg, the gateway's back address:port <-> the backend.
struct L2Tuple {
	Endpoint back;
	Endpoint server;

	friend bool operator==(const L2Tuple &, const L2Tuple &) = default;
};

// What TCPFO_CMD_FLOW_PAIR carries: this L2 belongs to this L1.
struct FlowPair {
	L1Tuple l1;
	L2Tuple l2;

	friend bool operator==(const FlowPair &, const FlowPair &) = default;
};

// enum tcpfo_flow_state; a value this build does not know is kept as is.
enum class FlowState : std::uint8_t {
	syn_recv = TCPFO_FLOW_SYN_RECV,
	l1_established = TCPFO_FLOW_L1_ESTABLISHED,
	paired = TCPFO_FLOW_PAIRED,
	established = TCPFO_FLOW_ESTABLISHED,
	closing = TCPFO_FLOW_CLOSING,
	closed = TCPFO_FLOW_CLOSED,
	reset = TCPFO_FLOW_RESET,
};

// "syn_recv", "l1_established", ..., or "unknown(N)".
std::string to_string(FlowState state);

// Names of the TCPFO_OPT_* bits set in `opts`: "sack", "timestamps",
// "wscale", and "bitN" for a bit this build does not know.
std::vector<std::string> option_names(std::uint32_t opts);

// What a peer revealed while its flow was locked for a takeover
// (TCPFO_FLOW_A_L1_SEEN / L2_SEEN): see enum tcpfo_seen_attr.
struct SeenLeg {
	std::uint32_t flags = 0;	// TCPFO_SEEN_*
	std::uint32_t segs = 0;
	std::optional<std::uint32_t> ack;	// the peer's rcv_nxt
	std::optional<std::uint32_t> nxt;	// the peer's snd_nxt
	std::optional<std::uint32_t> win;	// scaled, bytes from ack
	std::optional<std::uint32_t> tsval;
	std::optional<std::uint32_t> tsecr;	// the peer's ts_recent
	// The TSval of the last probe sent to the peer: a new socket must not
	// start below it (the peer may have taken it as its ts_recent).
	std::optional<std::uint32_t> probe_tsval;

	bool answered() const noexcept { return (flags & TCPFO_SEEN_ACK) && ack; }
	friend bool operator==(const SeenLeg &, const SeenLeg &) = default;
};

// One TCPFO_CMD_FLOW_GET record. Every attribute the module may leave out
// (a leg not known yet, a FIN not seen) is optional; only the family is
// always there.
struct Flow {
	int family = AF_UNSPEC;
	std::optional<Address> client;
	std::optional<std::uint16_t> client_port;
	std::optional<Address> vip;
	std::optional<std::uint16_t> vport;
	std::optional<Address> back_address;
	std::optional<std::uint16_t> back_port;
	std::optional<Address> server;
	std::optional<std::uint16_t> server_port;
	std::optional<FlowState> state;
	std::optional<std::string> service;
	std::optional<std::uint32_t> client_isn;
	std::optional<std::uint32_t> l1_isn;
	std::optional<std::uint32_t> l2_isn;
	std::optional<std::uint32_t> server_isn;
	std::optional<std::uint16_t> l1_mss;
	std::optional<std::uint16_t> l2_mss;
	// As on the wire: the peer's scale in the low byte, the gateway's in
	// the high byte.
	std::optional<std::uint16_t> l1_wscale;
	std::optional<std::uint16_t> l2_wscale;
	std::optional<std::uint32_t> l1_opts;
	std::optional<std::uint32_t> l2_opts;
	std::optional<std::uint64_t> released_c2s;
	std::optional<std::uint64_t> released_s2c;
	std::optional<std::uint64_t> held_c2s;
	std::optional<std::uint64_t> held_s2c;
	std::optional<std::uint64_t> fin_c2s;
	std::optional<std::uint64_t> fin_s2c;
	std::optional<std::uint32_t> idle_ms;
	std::optional<std::uint64_t> id;
	bool standby = false;	// a stored standby flow (FLOW_A_STANDBY)
	std::optional<std::uint32_t> l1_right_edge;
	std::optional<std::uint32_t> l2_right_edge;
	std::optional<std::uint32_t> l1_ts_sent;
	std::optional<std::uint32_t> l2_ts_sent;
	std::optional<std::uint32_t> l1_ts_recent;
	std::optional<std::uint32_t> l2_ts_recent;
	// FLOW_IMPORT only: how long ago the primary read the TSvals.
	std::optional<std::uint32_t> ts_age_ms;
	bool locked = false;	// a standby flow under TAKEOVER_LOCK
	// Fenced (FLOW_A_FENCED): its owner died; the module drops its
	// segments until it frees it. Neither replicated nor deleted.
	bool fenced = false;
	std::optional<SeenLeg> l1_seen;
	std::optional<SeenLeg> l2_seen;

	friend bool operator==(const Flow &, const Flow &) = default;
};

// The low (peer's) and high (gateway's) byte of a *_WSCALE attribute.
inline std::uint8_t peer_wscale(std::uint16_t v) { return v & 0xff; }
inline std::uint8_t gateway_wscale(std::uint16_t v) { return v >> 8; }

} // namespace tcpfo
