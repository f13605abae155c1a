// SPDX-License-Identifier: GPL-2.0
#include "StateRecords.hpp"

#include <linux/tcpfo.h>
#include <sys/socket.h>

#include <algorithm>

namespace tcpfo::wire {

namespace {

constexpr std::size_t kMaxNode = 64;
constexpr std::size_t kMaxService = TCPFO_SERVICE_NAME_MAX - 1;
constexpr std::uint8_t kMaxWscale = 14;
constexpr std::uint8_t kKnownOpts =
	TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP | TCPFO_OPT_WSCALE;

void put_leg(Writer &w, const LegRecord &l)
{
	w.bytes(l.local_addr);
	w.bytes(l.peer_addr);
	w.u16(l.local_port);
	w.u16(l.peer_port);
	w.u32(l.peer_isn);
	w.u32(l.gw_isn);
	w.u16(l.peer_mss);
	w.u8(l.peer_wscale);
	w.u8(l.gw_wscale);
	w.u8(l.peer_opts);
	w.u8(l.gw_opts);
	w.u32(l.right_edge);
	w.u32(l.ts_sent);
	w.u32(l.ts_recent);
}

void check_addr(Reader &r, std::uint8_t family,
		const std::array<std::uint8_t, 16> &a, const char *which)
{
	if (family == AF_INET &&
	    std::any_of(a.begin() + 4, a.end(), [](auto b) { return b != 0; }))
		r.fail(std::string("IPv4 ") + which +
		       " address with bytes beyond the fourth");
}

LegRecord get_leg(Reader &r, std::uint8_t family)
{
	LegRecord l;
	r.bytes(l.local_addr);
	r.bytes(l.peer_addr);
	check_addr(r, family, l.local_addr, "local");
	check_addr(r, family, l.peer_addr, "peer");
	l.local_port = r.u16();
	l.peer_port = r.u16();
	l.peer_isn = r.u32();
	l.gw_isn = r.u32();
	l.peer_mss = r.u16();
	l.peer_wscale = r.u8();
	l.gw_wscale = r.u8();
	if (l.peer_wscale > kMaxWscale || l.gw_wscale > kMaxWscale)
		r.fail("window scale above 14");
	l.peer_opts = r.u8();
	l.gw_opts = r.u8();
	if ((l.peer_opts | l.gw_opts) & ~kKnownOpts)
		r.fail("unknown TCP option bits");
	l.right_edge = r.u32();
	l.ts_sent = r.u32();
	l.ts_recent = r.u32();
	return l;
}

std::uint8_t get_state(Reader &r)
{
	const std::uint8_t s = r.u8();
	if (s > TCPFO_FLOW_RESET)
		r.fail("unknown flow state " + std::to_string(s));
	return s;
}

std::uint8_t get_fin_flags(Reader &r)
{
	const std::uint8_t f = r.u8();
	if (f & ~(kFinC2s | kFinS2c))
		r.fail("unknown FIN flags");
	return f;
}

std::uint16_t get_present(Reader &r)
{
	const std::uint16_t p = r.u16();
	if (p & ~kPresentMask)
		r.fail("unknown presence bits");
	return p;
}

// A count of items of at least `min` bytes each: refused if the payload
// cannot hold them, so a forged count allocates nothing.
std::size_t get_count(Reader &r, std::size_t min)
{
	const std::size_t n = r.u32();
	if (n > r.left() / min)
		r.fail("count " + std::to_string(n) + " does not fit the payload");
	return n;
}

} // namespace

std::vector<std::uint8_t> encode(const Hello &h)
{
	Writer w;
	w.str(h.node.substr(0, kMaxNode));
	w.u8(static_cast<std::uint8_t>(h.role));
	w.u8(static_cast<std::uint8_t>(h.mode));
	w.u64(h.epoch);
	w.bytes(h.nonce);
	return w.take();
}

Hello decode_hello(std::span<const std::uint8_t> p)
{
	Reader r(p, "hello");
	Hello h;
	h.node = r.str();
	if (h.node.size() > kMaxNode)
		r.fail("node name longer than 64 bytes");
	const std::uint8_t role = r.u8();
	if (role != static_cast<std::uint8_t>(Role::primary) &&
	    role != static_cast<std::uint8_t>(Role::standby))
		r.fail("unknown role " + std::to_string(role));
	h.role = static_cast<Role>(role);
	const std::uint8_t mode = r.u8();
	if (mode != static_cast<std::uint8_t>(LinkMode::async) &&
	    mode != static_cast<std::uint8_t>(LinkMode::sync))
		r.fail("unknown mode " + std::to_string(mode));
	h.mode = static_cast<LinkMode>(mode);
	h.epoch = r.u64();
	r.bytes(h.nonce);
	r.end();
	return h;
}

std::vector<std::uint8_t> encode(const Heartbeat &h)
{
	Writer w;
	w.u64(h.mono_ns);
	w.u64(h.epoch);
	return w.take();
}

Heartbeat decode_heartbeat(std::span<const std::uint8_t> p)
{
	Reader r(p, "heartbeat");
	Heartbeat h;
	h.mono_ns = r.u64();
	h.epoch = r.u64();
	r.end();
	return h;
}

std::vector<std::uint8_t> encode_flows(const std::vector<FlowRecord> &flows)
{
	Writer w;
	w.u32(static_cast<std::uint32_t>(flows.size()));
	for (const FlowRecord &f : flows) {
		w.u64(f.id);
		w.u8(f.family);
		w.u8(f.state);
		w.u8(f.fin_flags);
		w.u16(f.present);
		w.str(f.service.substr(0, kMaxService));
		for (const LegRecord &l : f.leg)
			put_leg(w, l);
		w.u64(f.ts_sample_mono_ns);
		for (int d = 0; d < 2; ++d) {
			w.u64(f.released[d]);
			w.u64(f.fin[d]);
		}
	}
	return w.take();
}

std::vector<FlowRecord> decode_flows(std::span<const std::uint8_t> p)
{
	Reader r(p, "flow records");
	const std::size_t n = get_count(r, kFlowRecordMinSize);
	std::vector<FlowRecord> out;
	out.reserve(n);
	for (std::size_t i = 0; i < n; ++i) {
		FlowRecord f;
		f.id = r.u64();
		f.family = r.u8();
		if (f.family != AF_INET && f.family != AF_INET6)
			r.fail("unknown address family " +
			       std::to_string(f.family));
		f.state = get_state(r);
		f.fin_flags = get_fin_flags(r);
		f.present = get_present(r);
		f.service = r.str();
		if (f.service.empty() || f.service.size() > kMaxService)
			r.fail("service name empty or longer than " +
			       std::to_string(kMaxService) + " bytes");
		for (LegRecord &l : f.leg)
			l = get_leg(r, f.family);
		f.ts_sample_mono_ns = r.u64();
		for (int d = 0; d < 2; ++d) {
			f.released[d] = r.u64();
			f.fin[d] = r.u64();
		}
		out.push_back(std::move(f));
	}
	r.end();
	return out;
}

std::vector<std::uint8_t> encode_deltas(const std::vector<FlowDelta> &deltas)
{
	Writer w;
	w.u32(static_cast<std::uint32_t>(deltas.size()));
	for (const FlowDelta &d : deltas) {
		w.u64(d.id);
		w.u8(d.state);
		w.u8(d.fin_flags);
		w.u16(d.present);
		for (int i = 0; i < 2; ++i) {
			w.u64(d.released[i]);
			w.u64(d.fin[i]);
		}
		for (int i = 0; i < 2; ++i) {
			w.u32(d.right_edge[i]);
			w.u32(d.ts_sent[i]);
		}
		w.u64(d.ts_sample_mono_ns);
	}
	return w.take();
}

std::vector<FlowDelta> decode_deltas(std::span<const std::uint8_t> p)
{
	Reader r(p, "flow deltas");
	const std::size_t n = get_count(r, kFlowDeltaSize);
	std::vector<FlowDelta> out;
	out.reserve(n);
	for (std::size_t k = 0; k < n; ++k) {
		FlowDelta d;
		d.id = r.u64();
		d.state = get_state(r);
		d.fin_flags = get_fin_flags(r);
		d.present = get_present(r);
		for (int i = 0; i < 2; ++i) {
			d.released[i] = r.u64();
			d.fin[i] = r.u64();
		}
		for (int i = 0; i < 2; ++i) {
			d.right_edge[i] = r.u32();
			d.ts_sent[i] = r.u32();
		}
		d.ts_sample_mono_ns = r.u64();
		out.push_back(d);
	}
	r.end();
	return out;
}

std::vector<std::uint8_t> encode_removed(const std::vector<std::uint64_t> &ids)
{
	Writer w;
	w.u32(static_cast<std::uint32_t>(ids.size()));
	for (std::uint64_t id : ids)
		w.u64(id);
	return w.take();
}

std::vector<std::uint64_t> decode_removed(std::span<const std::uint8_t> p)
{
	Reader r(p, "removed flows");
	const std::size_t n = get_count(r, 8);
	std::vector<std::uint64_t> out;
	out.reserve(n);
	for (std::size_t i = 0; i < n; ++i)
		out.push_back(r.u64());
	r.end();
	return out;
}

std::vector<std::uint8_t> encode_ack(std::uint64_t seq)
{
	Writer w;
	w.u64(seq);
	return w.take();
}

std::uint64_t decode_ack(std::span<const std::uint8_t> p)
{
	Reader r(p, "ack");
	const std::uint64_t seq = r.u64();
	r.end();
	return seq;
}

void decode_payload(FrameType type, std::span<const std::uint8_t> p)
{
	switch (type) {
	case FrameType::hello: decode_hello(p); return;
	case FrameType::heartbeat: decode_heartbeat(p); return;
	case FrameType::flows: decode_flows(p); return;
	case FrameType::deltas: decode_deltas(p); return;
	case FrameType::removed: decode_removed(p); return;
	case FrameType::ack: decode_ack(p); return;
	case FrameType::handover: decode_ack(p); return;
	case FrameType::full_begin:
	case FrameType::full_end:
	case FrameType::handover_request:
		Reader(p, to_string(type)).end();
		return;
	}
	throw ProtocolError("unknown frame " + to_string(type));
}

} // namespace tcpfo::wire
