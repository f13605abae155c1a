// SPDX-License-Identifier: GPL-2.0
#include "Replication.hpp"

#include <algorithm>
#include <stdexcept>

namespace tcpfo {

namespace {

std::array<std::uint8_t, 16> addr_bytes(const Address &a)
{
	std::array<std::uint8_t, 16> out{};
	auto b = a.bytes();
	std::copy(b.begin(), b.end(), out.begin());
	return out;
}

Address addr_of(int family, const std::array<std::uint8_t, 16> &b)
{
	return Address::from_bytes(family, std::span(b).first(family == AF_INET ? 4 : 16));
}

template <typename T>
void take(const std::optional<T> &v, std::uint16_t bit, std::uint16_t &present,
	  auto &field)
{
	if (v) {
		field = *v;
		present |= bit;
	}
}

template <typename T>
std::optional<T> give(std::uint16_t present, std::uint16_t bit, T v)
{
	if (present & bit)
		return v;
	return std::nullopt;
}

// The parts of a record that only a full record can change.
bool same_static(const wire::FlowRecord &a, const wire::FlowRecord &b)
{
	auto stat = [](const wire::FlowRecord &r) {
		wire::FlowRecord s = r;
		s.state = 0;
		s.fin_flags = 0;
		s.released = {};
		s.fin = {};
		s.ts_sample_mono_ns = 0;
		for (auto &l : s.leg) {
			l.right_edge = 0;
			l.ts_sent = 0;
			l.ts_recent = 0;
		}
		s.present &= ~(wire::kHasL1Edge | wire::kHasL2Edge | wire::kHasL1TsSent |
			       wire::kHasL2TsSent | wire::kHasL1TsRecent |
			       wire::kHasL2TsRecent);
		return s;
	};
	return stat(a) == stat(b);
}

// The module reports an idle leg's TSval estimate counted on to the moment
// of the listing, so every listing of every flow with timestamps differs
// from the last one sent: with 1,000 idle flows, each sync sent 1,000
// deltas and the standby stored 1,000 records. A TSval that moved only with
// the time since the record sent (at most 10 ms more, or up to 200 ms less:
// the standby's estimate, counted on from that record, errs high, which the
// peers' PAWS accepts) is not a change; nor is one that did not move (the
// sampling time alone does not count).
bool only_time_moved(const wire::FlowRecord &sent, const wire::FlowRecord &now)
{
	wire::FlowDelta ds = delta_of(sent), dn = delta_of(now);
	ds.ts_sample_mono_ns = dn.ts_sample_mono_ns = 0;
	const auto elapsed_ms = static_cast<std::int64_t>(
		(static_cast<std::int64_t>(now.ts_sample_mono_ns) -
		 static_cast<std::int64_t>(sent.ts_sample_mono_ns)) /
		1'000'000);
	for (std::size_t i = 0; i < 2; ++i) {
		const std::uint16_t bit = i == 0 ? wire::kHasL1TsSent : wire::kHasL2TsSent;
		if (!(sent.present & now.present & bit))
			continue;
		const auto moved = static_cast<std::int32_t>(dn.ts_sent[i] - ds.ts_sent[i]);
		const std::int64_t drift = static_cast<std::int64_t>(moved) - elapsed_ms;
		if (moved != 0 && (drift > 10 || drift < -200))
			return false;
		dn.ts_sent[i] = ds.ts_sent[i];
	}
	return ds == dn;
}

} // namespace

wire::FlowRecord to_record(const Flow &f, std::uint64_t sample_mono_ns)
{
	if (!f.id || !f.client || !f.client_port || !f.vip || !f.vport)
		throw std::invalid_argument("flow without id or L1 tuple");
	wire::FlowRecord r;
	r.id = *f.id;
	r.family = static_cast<std::uint8_t>(f.family);
	r.state = static_cast<std::uint8_t>(f.state.value_or(FlowState::syn_recv));
	r.service = f.service.value_or("?");
	r.ts_sample_mono_ns = sample_mono_ns;
	auto &l1 = r.leg[0];
	auto &l2 = r.leg[1];
	l1.local_addr = addr_bytes(*f.vip);
	l1.local_port = *f.vport;
	l1.peer_addr = addr_bytes(*f.client);
	l1.peer_port = *f.client_port;
	l1.peer_isn = f.client_isn.value_or(0);
	take(f.l1_isn, wire::kHasL1Isn, r.present, l1.gw_isn);
	if (f.l1_wscale || f.l1_opts || f.l1_mss) {
		r.present |= wire::kHasL1Opts;
		l1.peer_mss = f.l1_mss.value_or(0);
		l1.peer_wscale = peer_wscale(f.l1_wscale.value_or(0));
		l1.gw_wscale = gateway_wscale(f.l1_wscale.value_or(0));
		l1.peer_opts = l1.gw_opts = static_cast<std::uint8_t>(f.l1_opts.value_or(0));
	}
	if (f.back_address && f.back_port && f.server && f.server_port) {
		r.present |= wire::kHasL2;
		l2.local_addr = addr_bytes(*f.back_address);
		l2.local_port = *f.back_port;
		l2.peer_addr = addr_bytes(*f.server);
		l2.peer_port = *f.server_port;
	}
	take(f.l2_isn, wire::kHasL2Isn, r.present, l2.gw_isn);
	take(f.server_isn, wire::kHasServerIsn, r.present, l2.peer_isn);
	if (f.l2_wscale || f.l2_opts || f.l2_mss) {
		r.present |= wire::kHasL2Opts;
		l2.peer_mss = f.l2_mss.value_or(0);
		l2.peer_wscale = peer_wscale(f.l2_wscale.value_or(0));
		l2.gw_wscale = gateway_wscale(f.l2_wscale.value_or(0));
		l2.peer_opts = l2.gw_opts = static_cast<std::uint8_t>(f.l2_opts.value_or(0));
	}
	take(f.l1_right_edge, wire::kHasL1Edge, r.present, l1.right_edge);
	take(f.l2_right_edge, wire::kHasL2Edge, r.present, l2.right_edge);
	take(f.l1_ts_sent, wire::kHasL1TsSent, r.present, l1.ts_sent);
	take(f.l2_ts_sent, wire::kHasL2TsSent, r.present, l2.ts_sent);
	take(f.l1_ts_recent, wire::kHasL1TsRecent, r.present, l1.ts_recent);
	take(f.l2_ts_recent, wire::kHasL2TsRecent, r.present, l2.ts_recent);
	r.released = {f.released_c2s.value_or(0), f.released_s2c.value_or(0)};
	if (f.fin_c2s) {
		r.fin_flags |= wire::kFinC2s;
		r.fin[0] = *f.fin_c2s;
	}
	if (f.fin_s2c) {
		r.fin_flags |= wire::kFinS2c;
		r.fin[1] = *f.fin_s2c;
	}
	return r;
}

Flow from_record(const wire::FlowRecord &r)
{
	Flow f;
	const auto &l1 = r.leg[0];
	const auto &l2 = r.leg[1];
	const std::uint16_t p = r.present;
	f.family = r.family;
	f.id = r.id;
	f.standby = true;
	f.state = static_cast<FlowState>(r.state);
	f.service = r.service;
	f.vip = addr_of(f.family, l1.local_addr);
	f.vport = l1.local_port;
	f.client = addr_of(f.family, l1.peer_addr);
	f.client_port = l1.peer_port;
	f.client_isn = l1.peer_isn;
	f.l1_isn = give(p, wire::kHasL1Isn, l1.gw_isn);
	if (p & wire::kHasL1Opts) {
		f.l1_mss = l1.peer_mss;
		f.l1_wscale = static_cast<std::uint16_t>(l1.gw_wscale << 8 | l1.peer_wscale);
		f.l1_opts = l1.peer_opts;
	}
	if (p & wire::kHasL2) {
		f.back_address = addr_of(f.family, l2.local_addr);
		f.back_port = l2.local_port;
		f.server = addr_of(f.family, l2.peer_addr);
		f.server_port = l2.peer_port;
	}
	f.l2_isn = give(p, wire::kHasL2Isn, l2.gw_isn);
	f.server_isn = give(p, wire::kHasServerIsn, l2.peer_isn);
	if (p & wire::kHasL2Opts) {
		f.l2_mss = l2.peer_mss;
		f.l2_wscale = static_cast<std::uint16_t>(l2.gw_wscale << 8 | l2.peer_wscale);
		f.l2_opts = l2.peer_opts;
	}
	f.l1_right_edge = give(p, wire::kHasL1Edge, l1.right_edge);
	f.l2_right_edge = give(p, wire::kHasL2Edge, l2.right_edge);
	f.l1_ts_sent = give(p, wire::kHasL1TsSent, l1.ts_sent);
	f.l2_ts_sent = give(p, wire::kHasL2TsSent, l2.ts_sent);
	f.l1_ts_recent = give(p, wire::kHasL1TsRecent, l1.ts_recent);
	f.l2_ts_recent = give(p, wire::kHasL2TsRecent, l2.ts_recent);
	f.released_c2s = r.released[0];
	f.released_s2c = r.released[1];
	if (r.fin_flags & wire::kFinC2s)
		f.fin_c2s = r.fin[0];
	if (r.fin_flags & wire::kFinS2c)
		f.fin_s2c = r.fin[1];
	return f;
}

namespace {
constexpr std::uint16_t kDeltaBits =
	wire::kHasL1Edge | wire::kHasL2Edge | wire::kHasL1TsSent | wire::kHasL2TsSent;
}

wire::FlowDelta delta_of(const wire::FlowRecord &r)
{
	wire::FlowDelta d;
	d.id = r.id;
	d.state = r.state;
	d.fin_flags = r.fin_flags;
	d.present = r.present & kDeltaBits;
	d.released = r.released;
	d.fin = r.fin;
	d.right_edge = {r.leg[0].right_edge, r.leg[1].right_edge};
	d.ts_sent = {r.leg[0].ts_sent, r.leg[1].ts_sent};
	d.ts_sample_mono_ns = r.ts_sample_mono_ns;
	return d;
}

void apply_delta(wire::FlowRecord &r, const wire::FlowDelta &d)
{
	r.state = d.state;
	r.fin_flags = d.fin_flags;
	r.present = static_cast<std::uint16_t>((r.present & ~kDeltaBits) |
					       (d.present & kDeltaBits));
	r.released = d.released;
	r.fin = d.fin;
	r.leg[0].right_edge = d.right_edge[0];
	r.leg[1].right_edge = d.right_edge[1];
	r.leg[0].ts_sent = d.ts_sent[0];
	r.leg[1].ts_sent = d.ts_sent[1];
	r.ts_sample_mono_ns = d.ts_sample_mono_ns;
}

ChangeTracker::Changes ChangeTracker::update(const std::vector<wire::FlowRecord> &now)
{
	Changes c;
	std::map<std::uint64_t, wire::FlowRecord> next;
	for (const wire::FlowRecord &r : now) {
		auto it = sent_.find(r.id);
		if (it == sent_.end() || !same_static(it->second, r))
			c.full.push_back(r);
		else if (only_time_moved(it->second, r)) {
			// What the standby has stays the reference.
			next.emplace(r.id, it->second);
			continue;
		} else
			c.deltas.push_back(delta_of(r));
		next.emplace(r.id, r);
	}
	for (const auto &[id, r] : sent_)
		if (!next.count(id))
			c.removed.push_back(id);
	sent_ = std::move(next);
	return c;
}

} // namespace tcpfo
