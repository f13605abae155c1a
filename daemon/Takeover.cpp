// SPDX-License-Identifier: GPL-2.0
#include "Takeover.hpp"

namespace tcpfo {

namespace {

// Serial-number order (RFC 1982) of 32-bit sequence numbers and TSvals.
bool after(std::uint32_t a, std::uint32_t b)
{
	return static_cast<std::int32_t>(a - b) > 0;
}

// The offset a peer's acknowledgement `ack` stands for on a leg where the
// gateway's ISN is `isn`, knowing that the peer had acknowledged at least
// `released` bytes (the replicated point, a lower bound: it may have
// acknowledged more before the last record left the primary).
std::optional<std::uint64_t> acked_offset(std::uint32_t ack, std::uint32_t isn,
					  std::uint64_t released)
{
	const std::uint32_t stored = isn + 1 + static_cast<std::uint32_t>(released);
	const auto delta = static_cast<std::int32_t>(ack - stored);
	if (delta < 0)
		return std::nullopt;
	return released + static_cast<std::uint64_t>(delta);
}

// Our receive window on the new socket: up to the right edge the peer was
// last told, so the peer's retransmissions fit; a sane default if unknown.
std::uint32_t receive_window(std::optional<std::uint32_t> edge, std::uint32_t rcv_nxt)
{
	constexpr std::uint32_t fallback = 65535;
	if (!edge || !after(*edge, rcv_nxt))
		return fallback;
	return *edge - rcv_nxt;
}

std::uint32_t takeover_tsval_base(std::optional<std::uint32_t> ts_sent,
				  std::optional<std::uint32_t> peer_tsecr,
				  const TimestampPolicy &ts)
{
	std::optional<std::uint32_t> estimate;
	if (ts_sent) {
		const std::int64_t ahead = static_cast<std::int64_t>(ts.sample_age_ms.value_or(0)) +
					   ts.margin_ms + ts.skew_ms;
		estimate = *ts_sent + static_cast<std::uint32_t>(ahead);
	}
	std::optional<std::uint32_t> floor;
	if (peer_tsecr)
		floor = *peer_tsecr + 1;
	if (estimate && floor)
		return after(*floor, *estimate) ? *floor : *estimate;
	if (estimate)
		return *estimate;
	if (floor)
		return *floor + ts.margin_ms;
	return ts.margin_ms;
}

} // namespace

std::uint32_t takeover_tsval(std::optional<std::uint32_t> ts_sent,
			     std::optional<std::uint32_t> peer_tsecr,
			     const TimestampPolicy &ts,
			     std::optional<std::uint32_t> probe_tsval)
{
	const std::uint32_t base = takeover_tsval_base(ts_sent, peer_tsecr, ts);
	return probe_tsval && after(*probe_tsval, base) ? *probe_tsval : base;
}

bool server_leg_missing(const Flow &f)
{
	return !f.back_address || !f.back_port || !f.server || !f.server_port ||
	       !f.l2_isn || !f.server_isn;
}

std::variant<TakeoverPlan, NotTaken>
plan_takeover(const Flow &f, const TimestampPolicy &ts)
{
	using R = std::variant<TakeoverPlan, NotTaken>;
	auto no = [](std::string why) { return R(NotTaken{std::move(why), true}); };
	if (!f.id || !f.service || !f.client || !f.client_port || !f.vip || !f.vport ||
	    !f.client_isn || !f.l1_isn)
		return no(std::string("its client leg was never fully replicated"));
	if (server_leg_missing(f))
		return no(std::string("its server leg was never fully replicated "
				   "(caught in its handshake)"));
	if (f.state && (*f.state == FlowState::closed || *f.state == FlowState::reset))
		return R(NotTaken{"it had ended (" + to_string(*f.state) + ")", false});
	if (!f.l1_seen || !f.l1_seen->answered())
		return no(std::string("the client never answered"));
	if (!f.l2_seen || !f.l2_seen->answered())
		return no(std::string("the server never answered"));
	for (const auto *seen : {&*f.l1_seen, &*f.l2_seen}) {
		const char *who = seen == &*f.l1_seen ? "client" : "server";
		if (seen->flags & TCPFO_SEEN_RST)
			return no(std::string("the ") + who + " reset it");
		if (seen->flags & TCPFO_SEEN_SYN)
			return no(std::string("the ") + who + " restarted its handshake");
	}

	const std::uint64_t released_c2s = f.released_c2s.value_or(0);
	const std::uint64_t released_s2c = f.released_s2c.value_or(0);
	// What each receiver really has: the client's ack on L1 counts s2c,
	// the server's on L2 counts c2s.
	const auto s2c = acked_offset(*f.l1_seen->ack, *f.l1_isn, released_s2c);
	const auto c2s = acked_offset(*f.l2_seen->ack, *f.l2_isn, released_c2s);
	if (!s2c)
		return no(std::string("the client acknowledges less than the replicated "
				   "released point"));
	if (!c2s)
		return no(std::string("the server acknowledges less than the replicated "
				   "released point"));

	// A FIN is one byte at the end of its direction: acknowledged, it was
	// passed on. (The replicated FIN offset may lag in async mode; then
	// the direction resumes as if open.)
	if ((f.fin_c2s && *c2s > *f.fin_c2s + 1) || (f.fin_s2c && *s2c > *f.fin_s2c + 1))
		return no(std::string("a peer acknowledges past the other's FIN"));

	TakeoverPlan p;
	p.id = *f.id;
	p.c2s_fin_passed = f.fin_c2s && *c2s == *f.fin_c2s + 1;
	p.s2c_fin_passed = f.fin_s2c && *s2c == *f.fin_s2c + 1;
	p.service = *f.service;
	p.tuples = {{{*f.client, *f.client_port}, {*f.vip, *f.vport}},
		    {{*f.back_address, *f.back_port}, {*f.server, *f.server_port}}};
	p.gain_c2s = *c2s - released_c2s;
	p.gain_s2c = *s2c - released_s2c;

	// Where the new sockets start receiving. (The peers' sequence numbers
	// seen while locked cannot be checked against these: a pure ACK
	// carries snd_una + window when the window the gateway announced ends
	// before snd_nxt, as clamped acknowledgements make it.)
	const std::uint32_t l1_rcv = *f.client_isn + 1 + static_cast<std::uint32_t>(*c2s);
	const std::uint32_t l2_rcv = *f.server_isn + 1 + static_cast<std::uint32_t>(*s2c);

	auto leg = [&](RepairState &r, const Endpoint &local, const Endpoint &peer,
		       std::uint32_t snd_nxt, std::uint32_t rcv_nxt,
		       std::optional<std::uint16_t> mss, std::optional<std::uint16_t> wscale,
		       std::optional<std::uint32_t> opts, const SeenLeg &seen,
		       std::optional<std::uint32_t> ts_sent,
		       std::optional<std::uint32_t> edge) {
		r.local = local;
		r.peer = peer;
		r.snd_nxt = snd_nxt;
		r.rcv_nxt = rcv_nxt;
		r.mss = mss.value_or(536);
		const std::uint32_t o = opts.value_or(0);
		if ((o & TCPFO_OPT_WSCALE) && wscale)
			r.wscale = RepairState::WindowScale{peer_wscale(*wscale),
							    gateway_wscale(*wscale)};
		r.sack = o & TCPFO_OPT_SACK;
		r.timestamps = o & TCPFO_OPT_TIMESTAMP;
		const bool seen_ts = (seen.flags & TCPFO_SEEN_TS) && seen.tsecr;
		if (r.timestamps)
			r.tsval = takeover_tsval(ts_sent, seen_ts ? seen.tsecr : std::nullopt, ts,
						 seen.probe_tsval);
		r.snd_wnd = seen.win.value_or(r.mss);
		r.rcv_wnd = receive_window(edge, rcv_nxt);
	};
	// A socket whose FIN its peer has starts just before it: the relay
	// shuts it down at once and the FIN goes out again at its place.
	leg(p.l1, p.tuples.l1.vip, p.tuples.l1.client,
	    *f.l1_seen->ack - (p.s2c_fin_passed ? 1 : 0), l1_rcv, f.l1_mss,
	    f.l1_wscale, f.l1_opts, *f.l1_seen, f.l1_ts_sent, f.l1_right_edge);
	leg(p.l2, p.tuples.l2.back, p.tuples.l2.server,
	    *f.l2_seen->ack - (p.c2s_fin_passed ? 1 : 0), l2_rcv, f.l2_mss,
	    f.l2_wscale, f.l2_opts, *f.l2_seen, f.l2_ts_sent, f.l2_right_edge);

	Activation &a = p.activation;
	a.id = p.id;
	a.released_c2s = *c2s;
	a.released_s2c = *s2c;
	if (p.l1.timestamps) {
		a.l1_ts_sent = p.l1.tsval;
		a.l1_ts_recent = (f.l1_seen->flags & TCPFO_SEEN_TS) && f.l1_seen->tsval
					 ? f.l1_seen->tsval : f.l1_ts_recent;
	}
	if (p.l2.timestamps) {
		a.l2_ts_sent = p.l2.tsval;
		a.l2_ts_recent = (f.l2_seen->flags & TCPFO_SEEN_TS) && f.l2_seen->tsval
					 ? f.l2_seen->tsval : f.l2_ts_recent;
	}
	a.fin_c2s = f.fin_c2s;
	a.fin_s2c = f.fin_s2c;
	a.l1_right_edge = p.l1.rcv_nxt + p.l1.rcv_wnd;
	a.l2_right_edge = p.l2.rcv_nxt + p.l2.rcv_wnd;
	return p;
}

} // namespace tcpfo
