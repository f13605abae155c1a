// SPDX-License-Identifier: GPL-2.0
// Flow <-> wire record conversion and the primary's change detection.
#include "Replication.hpp"

#include <gtest/gtest.h>

#include <linux/tcpfo.h>

using namespace tcpfo;

namespace {

Flow tracked(std::uint64_t id)
{
	Flow f;
	f.family = AF_INET6;
	f.id = id;
	f.state = FlowState::established;
	f.service = "web6";
	f.client = Address::parse("2001:db8:1::100");
	f.client_port = 40000;
	f.vip = Address::parse("2001:db8:1::1");
	f.vport = 80;
	f.back_address = Address::parse("2001:db8:2::1");
	f.back_port = 50000;
	f.server = Address::parse("2001:db8:2::10");
	f.server_port = 8080;
	f.client_isn = 1;
	f.l1_isn = 2;
	f.l2_isn = 3;
	f.server_isn = 0xffffffffu;
	f.l1_mss = 1460;
	f.l2_mss = 1440;
	f.l1_wscale = 7 | 9 << 8;
	f.l2_wscale = 14;
	f.l1_opts = TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP | TCPFO_OPT_WSCALE;
	f.l2_opts = TCPFO_OPT_SACK;
	f.released_c2s = 1ull << 33;
	f.released_s2c = 5;
	f.fin_c2s = 1ull << 33;
	f.l1_right_edge = 77;
	f.l2_ts_sent = 88;
	f.l1_ts_recent = 99;
	return f;
}

} // namespace

TEST(Replication, RecordRoundTripKeepsWhatIsKnownAndOnlyThat)
{
	Flow f = tracked(42);
	Flow back = from_record(wire::decode_flows(wire::encode_flows({to_record(f, 5)}))[0]);
	// The standby's copy is the primary's, marked standby; what the
	// module computes (held bytes, idle time) is not replicated.
	Flow want = f;
	want.standby = true;
	EXPECT_EQ(back, want);
	EXPECT_FALSE(back.fin_s2c);
	EXPECT_FALSE(back.l2_right_edge);
}

TEST(Replication, UnpairedFlowHasNoServerLeg)
{
	Flow f = tracked(1);
	f.back_address.reset();
	f.back_port.reset();
	f.server.reset();
	f.server_port.reset();
	f.l2_isn.reset();
	f.server_isn.reset();
	f.l2_mss.reset();
	f.l2_wscale.reset();
	f.l2_opts.reset();
	f.l2_ts_sent.reset();
	f.family = AF_INET;
	f.client = Address::parse("192.0.2.100");
	f.vip = Address::parse("192.0.2.1");
	Flow back = from_record(to_record(f, 0));
	EXPECT_FALSE(back.server);
	EXPECT_FALSE(back.l2_isn);
	EXPECT_EQ(back.client, f.client);
}

TEST(Replication, ChangesAreFullDeltaOrRemoval)
{
	ChangeTracker t;
	auto first = t.update({to_record(tracked(1), 1), to_record(tracked(2), 1)});
	EXPECT_EQ(first.full.size(), 2u);
	EXPECT_TRUE(first.deltas.empty());

	// Nothing moved (the sampling time alone does not count).
	EXPECT_TRUE(t.update({to_record(tracked(1), 2), to_record(tracked(2), 2)}).empty());

	// Flow 1 released more: a delta; flow 2 ended: a removal; flow 3 new.
	Flow moved = tracked(1);
	moved.released_s2c = 6000;
	auto c = t.update({to_record(moved, 3), to_record(tracked(3), 3)});
	ASSERT_EQ(c.deltas.size(), 1u);
	EXPECT_EQ(c.deltas[0].id, 1u);
	EXPECT_EQ(c.deltas[0].released[1], 6000u);
	ASSERT_EQ(c.full.size(), 1u);
	EXPECT_EQ(c.full[0].id, 3u);
	EXPECT_EQ(c.removed, (std::vector<std::uint64_t>{2}));

	// A delta applied to the stored record gives the new record.
	wire::FlowRecord stored = to_record(tracked(1), 1);
	apply_delta(stored, c.deltas[0]);
	EXPECT_EQ(stored, to_record(moved, 3));

	// A new tuple part (pairing completed) needs a full record.
	Flow paired = moved;
	paired.back_port = 50001;
	EXPECT_EQ(t.update({to_record(paired, 4), to_record(tracked(3), 4)}).full.size(), 1u);

	t.reset();
	EXPECT_EQ(t.update({to_record(paired, 5)}).full.size(), 1u);
}

// The module counts an idle leg's TSval estimate on to the moment it is
// listed: that alone is no change (1,000 idle flows made 1,000 deltas per
// sync), but a TSval ahead of what the time explains is.
TEST(Replication, TsvalsThatMovedWithTheClockAloneSendNoDelta)
{
	constexpr std::uint64_t ms = 1'000'000;
	ChangeTracker t;
	Flow f = tracked(1);
	f.l1_ts_sent = 1000;
	f.l2_ts_sent = 5000;
	ASSERT_EQ(t.update({to_record(f, 100 * ms)}).full.size(), 1u);

	// Listed 50 ms later, the estimates 50 (and 47, 58: jiffies and the
	// listing's own time) ms on: nothing to send.
	f.l1_ts_sent = 1050;
	f.l2_ts_sent = 5050;
	EXPECT_TRUE(t.update({to_record(f, 150 * ms)}).empty());
	f.l1_ts_sent = 1147;
	f.l2_ts_sent = 5158;
	EXPECT_TRUE(t.update({to_record(f, 250 * ms)}).empty());

	// 250 ms after the record sent, but one TSval 400 ms on: that
	// socket's clock is ahead of what the standby would estimate: a
	// delta.
	f.l1_ts_sent = 1250;
	f.l2_ts_sent = 5400;
	auto c = t.update({to_record(f, 350 * ms)});
	ASSERT_EQ(c.deltas.size(), 1u);
	EXPECT_EQ(c.deltas[0].ts_sent[1], 5400u);

	// Far behind the time (a standby estimate 300 ms high): sent too.
	f.l2_ts_sent = 5400 + 100 - 300;
	EXPECT_EQ(t.update({to_record(f, 450 * ms)}).deltas.size(), 1u);

	// Anything else that moved is sent, with the TSvals of now.
	f.l1_ts_sent = 1260;
	f.released_s2c = 7000;
	c = t.update({to_record(f, 460 * ms)});
	ASSERT_EQ(c.deltas.size(), 1u);
	EXPECT_EQ(c.deltas[0].released[1], 7000u);
	EXPECT_EQ(c.deltas[0].ts_sent[0], 1260u);
	EXPECT_EQ(c.deltas[0].ts_sample_mono_ns, 460 * ms);
}
