// SPDX-License-Identifier: GPL-2.0
// Payloads of the state link's frames (StateWire.hpp): what the primary
// tells the standby about each flow, and the link's own messages. Every
// decoder validates ranges and lengths and throws wire::ProtocolError.
#pragma once

#include "StateWire.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tcpfo::wire {

enum class Role : std::uint8_t { primary = 1, standby = 2 };
enum class LinkMode : std::uint8_t { async = 1, sync = 2 };

struct Hello {
	std::string node;	// at most 64 bytes
	Role role = Role::standby;
	LinkMode mode = LinkMode::async;
	std::uint64_t epoch = 0;
	Nonce nonce{};

	friend bool operator==(const Hello &, const Hello &) = default;
};

struct Heartbeat {
	std::uint64_t mono_ns = 0;	// sender's CLOCK_MONOTONIC
	std::uint64_t epoch = 0;

	friend bool operator==(const Heartbeat &, const Heartbeat &) = default;
};

// One leg as replicated. Addresses are 16 bytes; IPv4 in the first 4, the
// rest zero.
struct LegRecord {
	std::array<std::uint8_t, 16> local_addr{};
	std::array<std::uint8_t, 16> peer_addr{};
	std::uint16_t local_port = 0;
	std::uint16_t peer_port = 0;
	std::uint32_t peer_isn = 0;
	std::uint32_t gw_isn = 0;
	std::uint16_t peer_mss = 0;
	std::uint8_t peer_wscale = 0;	// 0..14
	std::uint8_t gw_wscale = 0;	// 0..14
	std::uint8_t peer_opts = 0;	// TCPFO_OPT_*
	std::uint8_t gw_opts = 0;
	std::uint32_t right_edge = 0;	// last right edge announced to the peer
	std::uint32_t ts_sent = 0;	// highest TSval the gateway sent
	std::uint32_t ts_recent = 0;	// the peer's TSval to echo

	friend bool operator==(const LegRecord &, const LegRecord &) = default;
};

inline constexpr std::uint8_t kFinC2s = 1, kFinS2c = 2;

// FlowRecord::present: which optional parts the primary knows.
enum : std::uint16_t {
	kHasL1Isn = 1 << 0,	// leg[0].gw_isn
	kHasL2 = 1 << 1,	// leg[1] tuple (paired)
	kHasL2Isn = 1 << 2,	// leg[1].gw_isn
	kHasServerIsn = 1 << 3,	// leg[1].peer_isn
	kHasL1Edge = 1 << 4,
	kHasL2Edge = 1 << 5,
	kHasL1TsSent = 1 << 6,
	kHasL2TsSent = 1 << 7,
	kHasL1TsRecent = 1 << 8,
	kHasL2TsRecent = 1 << 9,
	kHasL1Opts = 1 << 10,	// MSS, wscale, options of L1 known
	kHasL2Opts = 1 << 11,
	kPresentMask = (1 << 12) - 1,
};

struct FlowRecord {
	std::uint64_t id = 0;		// the primary's flow id
	std::uint8_t family = 0;	// AF_INET or AF_INET6
	std::uint8_t state = 0;		// enum tcpfo_flow_state
	std::uint8_t fin_flags = 0;	// kFinC2s | kFinS2c: FIN offsets known
	std::uint16_t present = 0;	// kHas*
	std::string service;		// at most 31 bytes
	std::array<LegRecord, 2> leg{};	// L1 (client), L2 (server)
	std::uint64_t ts_sample_mono_ns = 0;	// when ts_sent was read
	std::array<std::uint64_t, 2> released{};	// c2s, s2c
	std::array<std::uint64_t, 2> fin{};

	friend bool operator==(const FlowRecord &, const FlowRecord &) = default;
};

// What changes while a flow lives.
struct FlowDelta {
	std::uint64_t id = 0;
	std::uint8_t state = 0;
	std::uint8_t fin_flags = 0;
	std::uint16_t present = 0;	// kHas* of the edges and TSvals
	std::array<std::uint64_t, 2> released{};
	std::array<std::uint64_t, 2> fin{};
	std::array<std::uint32_t, 2> right_edge{};
	std::array<std::uint32_t, 2> ts_sent{};
	std::uint64_t ts_sample_mono_ns = 0;

	friend bool operator==(const FlowDelta &, const FlowDelta &) = default;
};

std::vector<std::uint8_t> encode(const Hello &h);
std::vector<std::uint8_t> encode(const Heartbeat &h);
std::vector<std::uint8_t> encode_flows(const std::vector<FlowRecord> &flows);
std::vector<std::uint8_t> encode_deltas(const std::vector<FlowDelta> &deltas);
std::vector<std::uint8_t> encode_removed(const std::vector<std::uint64_t> &ids);
std::vector<std::uint8_t> encode_ack(std::uint64_t seq);

Hello decode_hello(std::span<const std::uint8_t> p);
Heartbeat decode_heartbeat(std::span<const std::uint8_t> p);
std::vector<FlowRecord> decode_flows(std::span<const std::uint8_t> p);
std::vector<FlowDelta> decode_deltas(std::span<const std::uint8_t> p);
std::vector<std::uint64_t> decode_removed(std::span<const std::uint8_t> p);
std::uint64_t decode_ack(std::span<const std::uint8_t> p);

// Encoded sizes, for batching and the figures.
inline constexpr std::size_t kFlowRecordMinSize = 8 + 3 + 2 + 1 + 2 * 62 + 8 + 32;
inline constexpr std::size_t kFlowDeltaSize = 8 + 2 + 2 + 32 + 16 + 8;

// Decodes one frame's payload by type and discards it: the fuzz target's
// entry and what the link does with a frame it cannot use.
void decode_payload(FrameType type, std::span<const std::uint8_t> p);

} // namespace tcpfo::wire
