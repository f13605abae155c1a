// SPDX-License-Identifier: GPL-2.0
#include "Takeover.hpp"

#include <gtest/gtest.h>

namespace tcpfo {
namespace {

// A flow 1000 bytes into c2s and 5000 into s2c as replicated, with both
// peers answering the probes.
Flow locked_flow()
{
	Flow f;
	f.family = AF_INET;
	f.id = 7;
	f.service = "web";
	f.state = FlowState::established;
	f.client = Address::parse("192.0.2.100");
	f.client_port = 40000;
	f.vip = Address::parse("192.0.2.1");
	f.vport = 80;
	f.back_address = Address::parse("198.51.100.1");
	f.back_port = 50000;
	f.server = Address::parse("198.51.100.10");
	f.server_port = 8080;
	f.client_isn = 1000;
	f.l1_isn = 0xfffffff0;	// wraps: offsets must still come out right
	f.l2_isn = 3000;
	f.server_isn = 4000;
	f.l1_mss = 1460;
	f.l2_mss = 1400;
	f.l1_wscale = 7 | (9 << 8);
	f.l2_wscale = 6 | (8 << 8);
	f.l1_opts = TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP | TCPFO_OPT_WSCALE;
	f.l2_opts = TCPFO_OPT_SACK | TCPFO_OPT_WSCALE;
	f.released_c2s = 1000;
	f.released_s2c = 5000;
	f.l1_ts_sent = 100000;
	f.l1_right_edge = 1000 + 1 + 1200 + 65536;
	f.locked = true;
	SeenLeg c;
	c.flags = TCPFO_SEEN_ACK | TCPFO_SEEN_TS;
	c.segs = 1;
	c.ack = 0xfffffff0u + 1 + 5300;	// the client has 300 more s2c bytes
	c.nxt = 1000 + 1 + 1500;		// and sent 1500 c2s bytes
	c.win = 200000;
	c.tsval = 777;
	c.tsecr = 99000;
	f.l1_seen = c;
	SeenLeg s;
	s.flags = TCPFO_SEEN_ACK;
	s.segs = 2;
	s.ack = 3000 + 1 + 1200;	// the server has 200 more c2s bytes
	s.nxt = 4000 + 1 + 6000;
	s.win = 50000;
	f.l2_seen = s;
	return f;
}

TEST(TakeoverTest, ResumesWhereThePeersAre)
{
	TimestampPolicy ts;
	ts.sample_age_ms = 40;
	auto r = plan_takeover(locked_flow(), ts);
	ASSERT_TRUE(std::holds_alternative<TakeoverPlan>(r)) << std::get<NotTaken>(r).reason;
	const auto &p = std::get<TakeoverPlan>(r);
	EXPECT_EQ(p.activation.released_c2s, 1200u);
	EXPECT_EQ(p.activation.released_s2c, 5300u);
	EXPECT_EQ(p.gain_c2s, 200u);
	EXPECT_EQ(p.gain_s2c, 300u);
	// L1: we send s2c from where the client is, receive c2s from where
	// the server is.
	EXPECT_EQ(p.l1.snd_nxt, 0xfffffff0u + 1 + 5300);
	EXPECT_EQ(p.l1.rcv_nxt, 1000u + 1 + 1200);
	EXPECT_EQ(p.l2.snd_nxt, 3000u + 1 + 1200);
	EXPECT_EQ(p.l2.rcv_nxt, 4000u + 1 + 5300);
	EXPECT_EQ(p.l1.local.to_string(), "192.0.2.1:80");
	EXPECT_EQ(p.l2.peer.to_string(), "198.51.100.10:8080");
	ASSERT_TRUE(p.l1.wscale);
	EXPECT_EQ(p.l1.wscale->snd, 7);
	EXPECT_EQ(p.l1.wscale->rcv, 9);
	EXPECT_EQ(p.l1.mss, 1460);
	EXPECT_TRUE(p.l1.sack && p.l1.timestamps);
	EXPECT_FALSE(p.l2.timestamps);
	EXPECT_EQ(p.l1.snd_wnd, 200000u);
	EXPECT_EQ(p.l1.rcv_wnd, 65536u);
	// The old socket's clock ran on: sample + age + margin.
	EXPECT_EQ(p.l1.tsval, 100000u + 40 + ts.margin_ms);
	EXPECT_EQ(p.activation.l1_ts_sent, p.l1.tsval);
	EXPECT_EQ(p.activation.l1_ts_recent, 777u);
	EXPECT_FALSE(p.activation.l2_ts_sent);
}

TEST(TakeoverTest, TimestampNeverBelowWhatThePeerAccepted)
{
	TimestampPolicy ts;
	ts.skew_ms = -50000;	// a clock mapping far off
	EXPECT_EQ(takeover_tsval(100000, 99000, ts), 99001u);
	ts.skew_ms = 0;
	ts.sample_age_ms = 0;
	EXPECT_EQ(takeover_tsval(100000, 99000, ts), 100000u + ts.margin_ms);
	// Serial order across the wrap.
	EXPECT_EQ(takeover_tsval(0xfffffff0u, 5, ts), 0xfffffff0u + ts.margin_ms);
	EXPECT_EQ(takeover_tsval(0xfffffff0u, 200, ts), 201u);
	EXPECT_EQ(takeover_tsval(std::nullopt, 41, ts), 42u + ts.margin_ms);
}

TEST(TakeoverTest, TimestampNeverBelowTheLastProbe)
{
	TimestampPolicy ts;
	ts.sample_age_ms = 0;
	// The module's probe went out with a later estimate: the new socket
	// starts there, not below (the peer saw the probe first).
	EXPECT_EQ(takeover_tsval(100000, 99000, ts, 100000 + ts.margin_ms + 30),
		  100000u + ts.margin_ms + 30);
	// An earlier one changes nothing.
	EXPECT_EQ(takeover_tsval(100000, 99000, ts, 100010), 100000u + ts.margin_ms);
	// Serial order across the wrap.
	EXPECT_EQ(takeover_tsval(0xfffffff0u, 5, ts, 0x60), 0x60u);
	EXPECT_EQ(takeover_tsval(0xfffffff0u, 5, ts, 0xfffffff8u), 0x54u);
	EXPECT_EQ(takeover_tsval(std::nullopt, std::nullopt, ts, 7), ts.margin_ms);
	EXPECT_EQ(takeover_tsval(std::nullopt, std::nullopt, ts, ts.margin_ms + 7),
		  ts.margin_ms + 7);

	// Through the plan: the client leg's probe TSval is a floor.
	Flow f = locked_flow();
	f.l1_seen->probe_tsval = 100000 + 40 + ts.margin_ms + 500;
	ts.sample_age_ms = 40;
	auto r = plan_takeover(f, ts);
	ASSERT_TRUE(std::holds_alternative<TakeoverPlan>(r)) << std::get<NotTaken>(r).reason;
	const auto &p = std::get<TakeoverPlan>(r);
	EXPECT_EQ(p.l1.tsval, *f.l1_seen->probe_tsval);
	EXPECT_EQ(p.activation.l1_ts_sent, p.l1.tsval);
}

TEST(TakeoverTest, RefusesWhatCannotBeResumed)
{
	auto reason = [](const Flow &f) {
		auto r = plan_takeover(f, {});
		return std::holds_alternative<NotTaken>(r) ? std::get<NotTaken>(r).reason
							   : std::string("planned");
	};
	Flow f = locked_flow();
	f.l2_seen->flags = 0;
	f.l2_seen->ack.reset();
	EXPECT_EQ(reason(f), "the server never answered");

	f = locked_flow();
	EXPECT_FALSE(server_leg_missing(f));
	f.server_isn.reset();
	// Reset whatever the server says: a takeover waits for the client only.
	EXPECT_TRUE(server_leg_missing(f));
	EXPECT_NE(reason(f).find("handshake"), std::string::npos);
	f = locked_flow();
	f.back_port.reset();
	EXPECT_TRUE(server_leg_missing(f));

	f = locked_flow();
	*f.l1_seen->ack = 0xfffffff0u + 1 + 4000;	// below the released point
	EXPECT_NE(reason(f).find("less than"), std::string::npos);

	f = locked_flow();
	f.l1_seen->flags |= TCPFO_SEEN_RST;
	EXPECT_EQ(reason(f), "the client reset it");

	f = locked_flow();
	f.state = FlowState::closed;
	auto r = plan_takeover(f, {});
	ASSERT_TRUE(std::holds_alternative<NotTaken>(r));
	EXPECT_FALSE(std::get<NotTaken>(r).reset);	// ended: nobody to reset

	f = locked_flow();
	f.fin_c2s = 1100;	// the server acknowledged 1200: past the FIN
	EXPECT_NE(reason(f).find("past the other's FIN"), std::string::npos);
}

TEST(TakeoverTest, HalfClosedCarriesOn)
{
	// The client's FIN at offset 1199 reached the server (it acks 1200).
	Flow f = locked_flow();
	f.fin_c2s = 1199;
	auto r = plan_takeover(f, {});
	ASSERT_TRUE(std::holds_alternative<TakeoverPlan>(r));
	const auto &p = std::get<TakeoverPlan>(r);
	EXPECT_TRUE(p.c2s_fin_passed);
	EXPECT_FALSE(p.s2c_fin_passed);
	// L2 starts before the FIN, which its shutdown repeats; L1 receives
	// after it.
	EXPECT_EQ(p.l2.snd_nxt, 3000u + 1 + 1199);
	EXPECT_EQ(p.l1.rcv_nxt, 1000u + 1 + 1200);
	EXPECT_EQ(p.activation.fin_c2s, 1199u);

	// Not acknowledged yet: the client sends it again; nothing special.
	f.fin_c2s = 1300;
	r = plan_takeover(f, {});
	ASSERT_TRUE(std::holds_alternative<TakeoverPlan>(r));
	EXPECT_FALSE(std::get<TakeoverPlan>(r).c2s_fin_passed);
	EXPECT_EQ(std::get<TakeoverPlan>(r).l2.snd_nxt, 3000u + 1 + 1200);
}

} // namespace
} // namespace tcpfo
