// SPDX-License-Identifier: GPL-2.0
// Host unit tests of kmod/seq.h: the arithmetic the ACK-deferral datapath
// applies to every segment. Each test names the rule it proves; wraparound
// at 2^32 and every window scale 0..14 are covered explicitly.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

extern "C" {
#include "seq.h"
}

namespace {

// Sequence numbers near the 2^32 wrap, and ordinary ones.
const u32 kWrapIsns[] = {0u, 1u, 0x7fffffffu, 0x80000000u, 0xfffffff0u,
			 0xfffffffeu, 0xffffffffu, 123456789u};

// ---------------------------------------------------------------- SeqArith

TEST(SeqArith, BeforeAfterOrdinary)
{
	EXPECT_TRUE(tcpfo_seq_before(1, 2));
	EXPECT_FALSE(tcpfo_seq_before(2, 1));
	EXPECT_FALSE(tcpfo_seq_before(5, 5));
	EXPECT_FALSE(tcpfo_seq_after(5, 5));
	EXPECT_TRUE(tcpfo_seq_after(2, 1));
}

TEST(SeqArith, BeforeAfterAcrossWrap)
{
	// 0xfffffff0 + 0x20 wraps to 0x10: still "after".
	EXPECT_TRUE(tcpfo_seq_before(0xfffffff0u, 0x10u));
	EXPECT_TRUE(tcpfo_seq_after(0x10u, 0xfffffff0u));
	EXPECT_TRUE(tcpfo_seq_before(0xffffffffu, 0u));
	EXPECT_TRUE(tcpfo_seq_after(0u, 0xffffffffu));
	// Just under half the space ahead is after; just over is before.
	EXPECT_TRUE(tcpfo_seq_after(0x7fffffffu, 0u));
	EXPECT_TRUE(tcpfo_seq_before(0x80000001u, 0u));
}

TEST(SeqArith, MaxMinFollowSequenceOrderNotIntegerOrder)
{
	EXPECT_EQ(tcpfo_seq_max(0xfffffff0u, 0x10u), 0x10u);
	EXPECT_EQ(tcpfo_seq_min(0xfffffff0u, 0x10u), 0xfffffff0u);
	EXPECT_EQ(tcpfo_seq_max(7u, 7u), 7u);
}

TEST(SeqArith, OffsetToSeqWrapsAt2To32)
{
	EXPECT_EQ(tcpfo_off_to_seq(0xffffffffu, 0), 0u);
	EXPECT_EQ(tcpfo_off_to_seq(0xfffffffeu, 0), 0xffffffffu);
	EXPECT_EQ(tcpfo_off_to_seq(0xfffffffeu, 1), 0u);
	// Offsets past 4 GiB map modulo 2^32.
	EXPECT_EQ(tcpfo_off_to_seq(100u, (1ULL << 32) + 5), 106u);
}

TEST(SeqArith, OffsetSeqRoundTripForEveryIsn)
{
	for (u32 isn : kWrapIsns) {
		for (u64 off : {0ULL, 1ULL, 1000ULL, 0x7fffffffULL,
				0xfffffffeULL}) {
			u32 seq = tcpfo_off_to_seq(isn, off);

			EXPECT_EQ(tcpfo_seq_to_off32(isn, seq), (u32)off)
				<< "isn " << isn << " off " << off;
		}
	}
}

TEST(SeqArith, OffsetExtendTracksEpochsAcross4GiB)
{
	// Reference just below 4 GiB, new 32-bit offset just past the wrap.
	EXPECT_EQ(tcpfo_off_extend(0xfffffff0ULL, 0x10u), 0x100000010ULL);
	// Slightly behind the reference.
	EXPECT_EQ(tcpfo_off_extend(0x100000010ULL, 0xfffffff0u),
		  0xfffffff0ULL);
	EXPECT_EQ(tcpfo_off_extend(5ULL * (1ULL << 32) + 7, 9u),
		  5ULL * (1ULL << 32) + 9);
	// Never negative.
	EXPECT_EQ(tcpfo_off_extend(3, 0xfffffff0u), 0ULL);
	EXPECT_EQ(tcpfo_off_extend(0, 0), 0ULL);
}

// --------------------------------------------------------------- SeqClamp

TEST(SeqClamp, AckClampedToReleasedPointWhenBehindSocket)
{
	for (u32 isn : kWrapIsns) {
		bool clamped = false;
		u32 n = tcpfo_off_to_seq(isn, 5000);
		u32 ack = tcpfo_clamp_ack(isn, 1000, n, &clamped);

		EXPECT_TRUE(clamped) << "isn " << isn;
		EXPECT_EQ(ack, tcpfo_off_to_seq(isn, 1000)) << "isn " << isn;
	}
}

TEST(SeqClamp, NothingHeldLeavesAckAlone)
{
	for (u32 isn : kWrapIsns) {
		bool clamped = true;
		u32 n = tcpfo_off_to_seq(isn, 5000);

		EXPECT_EQ(tcpfo_clamp_ack(isn, 5000, n, &clamped), n);
		EXPECT_FALSE(clamped);
	}
}

TEST(SeqClamp, ReleasedBeyondSocketNeverRaisesAck)
{
	bool clamped = true;
	u32 n = tcpfo_off_to_seq(0xfffffff0u, 10);

	EXPECT_EQ(tcpfo_clamp_ack(0xfffffff0u, 20, n, &clamped), n);
	EXPECT_FALSE(clamped);
}

TEST(SeqClamp, BeforeL2IsUpTheSynAckAckIsUnchanged)
{
	// R = 0: A = isn + 1, which is exactly the SYN-ACK's ack.
	bool clamped = true;

	EXPECT_EQ(tcpfo_clamp_ack(0xffffffffu, 0, 0u, &clamped), 0u);
	EXPECT_FALSE(clamped);
}

TEST(SeqClamp, ClampAcrossWrapOfTheSequenceSpace)
{
	// A before the wrap, N after it.
	bool clamped = false;
	u32 isn = 0xffffff00u;
	u32 n = tcpfo_off_to_seq(isn, 0x200); // 0x100 past the wrap

	EXPECT_LT(n, isn); // integer order is misleading here
	EXPECT_EQ(tcpfo_clamp_ack(isn, 0x80, n, &clamped), isn + 1 + 0x80);
	EXPECT_TRUE(clamped);
}

TEST(SeqClamp, ReleasedOffsetsBeyond4GiBMapModulo)
{
	bool clamped = false;
	u64 released = (3ULL << 32) + 100;
	u32 n = tcpfo_off_to_seq(42, (3ULL << 32) + 300);

	EXPECT_EQ(tcpfo_clamp_ack(42, released, n, &clamped), 42u + 1 + 100);
	EXPECT_TRUE(clamped);
}

// -------------------------------------------------------------- SeqWindow

// The right edge the peer sees must never be left of the socket's, and the
// widening must be minimal (less than one scale unit beyond), unless the
// window field saturates.
static void check_widen(u16 win, u8 ws, u32 n, u32 a)
{
	u16 w = tcpfo_widen_window(win, ws, n, a);
	u64 sock_span = (u64)(u32)(n - a) + ((u64)win << ws);
	u64 new_span = (u64)w << ws;

	if (sock_span > ((u64)TCPFO_WIN_FIELD_MAX << ws)) {
		EXPECT_EQ(w, TCPFO_WIN_FIELD_MAX)
			<< "saturate: win " << win << " ws " << (int)ws;
		return;
	}
	EXPECT_GE(new_span, sock_span)
		<< "edge moved left: win " << win << " ws " << (int)ws
		<< " held " << (u32)(n - a);
	EXPECT_LT(new_span, sock_span + (1ULL << ws))
		<< "widened more than rounding: win " << win << " ws "
		<< (int)ws << " held " << (u32)(n - a);
	// Same check in sequence space, across the wrap.
	u32 edge = tcpfo_right_edge(a, w, ws);
	u32 sock_edge = tcpfo_right_edge(n, win, ws);

	EXPECT_FALSE(tcpfo_seq_before(edge, sock_edge));
}

TEST(SeqWindow, WidenKeepsRightEdgeForEveryScale)
{
	const u16 wins[] = {0, 1, 2, 100, 501, 32767, 65000, 65535};
	const u32 helds[] = {0, 1, 2, 127, 128, 129, 1448, 65535, 100000,
			     1u << 20, (1u << 24) + 3};

	for (u8 ws = 0; ws <= TCPFO_MAX_WSCALE; ws++) {
		for (u16 win : wins) {
			for (u32 held : helds) {
				for (u32 a : {0u, 0xfffffff0u, 0x7ffffff0u,
					      123456u}) {
					check_widen(win, ws, a + held, a);
				}
			}
		}
	}
}

TEST(SeqWindow, WidenByNothingIsIdentity)
{
	for (u8 ws = 0; ws <= TCPFO_MAX_WSCALE; ws++) {
		for (u16 win : {0, 1, 1000, 65535})
			EXPECT_EQ(tcpfo_widen_window((u16)win, ws, 77, 77), win)
				<< "ws " << (int)ws;
	}
}

TEST(SeqWindow, WidenRoundsUpToOneScaleUnit)
{
	for (u8 ws = 0; ws <= TCPFO_MAX_WSCALE; ws++) {
		// One held byte adds one unit whatever the scale.
		EXPECT_EQ(tcpfo_widen_window(100, ws, 1001, 1000), 101)
			<< "ws " << (int)ws;
		// Exactly one unit held adds exactly one.
		EXPECT_EQ(tcpfo_widen_window(100, ws, 1000 + (1u << ws), 1000),
			  101)
			<< "ws " << (int)ws;
		// One unit plus a byte adds two.
		EXPECT_EQ(tcpfo_widen_window(100, ws, 1001 + (1u << ws), 1000),
			  102)
			<< "ws " << (int)ws;
	}
}

TEST(SeqWindow, WidenSaturatesAt65535)
{
	for (u8 ws = 0; ws <= TCPFO_MAX_WSCALE; ws++) {
		EXPECT_EQ(tcpfo_widen_window(65535, ws, 2, 1), 65535);
		EXPECT_EQ(tcpfo_widen_window(65000, ws, 1000u << ws, 0), 65535);
	}
	// No wscale: 64 KiB is the ceiling.
	EXPECT_EQ(tcpfo_widen_window(60000, 0, 10000, 0), 65535);
}

TEST(SeqWindow, ScaleAbove14IsUsedAs14)
{
	EXPECT_EQ(tcpfo_widen_window(10, 15, 1, 0),
		  tcpfo_widen_window(10, 14, 1, 0));
	EXPECT_EQ(tcpfo_right_edge(0, 1, 20), 1u << 14);
}

TEST(SeqWindow, WindowForEdgeEveryScale)
{
	for (u8 ws = 0; ws <= TCPFO_MAX_WSCALE; ws++) {
		u32 unit = 1u << ws;

		for (u32 ack : {0u, 0xffffff00u, 0xffffffffu, 99999u}) {
			EXPECT_EQ(tcpfo_window_for_edge(ack, ack, ws), 0);
			EXPECT_EQ(tcpfo_window_for_edge(ack, ack + 1, ws), 1);
			EXPECT_EQ(tcpfo_window_for_edge(ack, ack + unit, ws), 1);
			EXPECT_EQ(tcpfo_window_for_edge(ack, ack + unit + 1, ws),
				  2);
			EXPECT_EQ(tcpfo_window_for_edge(ack, ack + 40 * unit,
							ws),
				  40);
			// Edge left of the ack: nothing to offer.
			EXPECT_EQ(tcpfo_window_for_edge(ack, ack - 5, ws), 0);
			// Never left of the edge asked for.
			for (u32 span : {1u, 7u, 1448u, 65535u, 1u << 20}) {
				u16 w = tcpfo_window_for_edge(ack, ack + span,
							      ws);
				if ((u64)span > ((u64)65535 << ws)) {
					EXPECT_EQ(w, 65535);
					continue;
				}
				EXPECT_FALSE(tcpfo_seq_before(
					tcpfo_right_edge(ack, w, ws),
					ack + span));
			}
		}
		// Saturation.
		EXPECT_EQ(tcpfo_window_for_edge(
				  0, (u32)(((u64)65535 << ws) + unit), ws),
			  65535);
	}
}

TEST(SeqWindow, ReleaseWindowKeepsEdgeAfterAckAdvances)
{
	// A clamped segment announced edge E; a release at a later ack must
	// still announce at least E, for every scale and across the wrap.
	for (u8 ws = 0; ws <= TCPFO_MAX_WSCALE; ws++) {
		for (u32 a : {0xfffff000u, 5u}) {
			u16 w1 = tcpfo_widen_window(200, ws, a + 3000, a);
			u32 edge = tcpfo_right_edge(a, w1, ws);
			u32 rel = a + 2000;
			u16 w2 = tcpfo_window_for_edge(rel, edge, ws);

			EXPECT_FALSE(tcpfo_seq_before(
				tcpfo_right_edge(rel, w2, ws), edge))
				<< "ws " << (int)ws;
		}
	}
}

// ------------------------------------------------------------ SeqIncoming

TEST(SeqIncoming, AckMustBeNewAndSent)
{
	for (u32 base : kWrapIsns) {
		u32 rel = base, nxt = base + 1000;

		EXPECT_FALSE(tcpfo_ack_advances(rel, rel, nxt)) << base;
		EXPECT_FALSE(tcpfo_ack_advances(rel - 1, rel, nxt)) << base;
		EXPECT_TRUE(tcpfo_ack_advances(rel + 1, rel, nxt)) << base;
		EXPECT_TRUE(tcpfo_ack_advances(nxt, rel, nxt)) << base;
		EXPECT_FALSE(tcpfo_ack_advances(nxt + 1, rel, nxt)) << base;
	}
}

TEST(SeqIncoming, TsvalNotOlderThanNewest)
{
	EXPECT_TRUE(tcpfo_tsval_plausible(5, 0, false));
	EXPECT_TRUE(tcpfo_tsval_plausible(100, 100, true));
	EXPECT_TRUE(tcpfo_tsval_plausible(101, 100, true));
	// TCP's PAWS window: one tick behind is still accepted.
	EXPECT_TRUE(tcpfo_tsval_plausible(99, 100, true));
	EXPECT_FALSE(tcpfo_tsval_plausible(98, 100, true));
	EXPECT_TRUE(tcpfo_tsval_plausible(0xffffffffu, 0, true));
	EXPECT_FALSE(tcpfo_tsval_plausible(0xfffffffeu, 0, true));
	// TSval wraps too.
	EXPECT_TRUE(tcpfo_tsval_plausible(3, 0xfffffff0u, true));
	EXPECT_FALSE(tcpfo_tsval_plausible(0xfffffff0u, 3, true));
}

TEST(SeqIncoming, TsRecentOnlyFromSegmentsAtTheAckPoint)
{
	EXPECT_TRUE(tcpfo_ts_recent_takes(1000, 0, false));
	EXPECT_TRUE(tcpfo_ts_recent_takes(1000, 1000, true));
	EXPECT_TRUE(tcpfo_ts_recent_takes(999, 1000, true));
	EXPECT_FALSE(tcpfo_ts_recent_takes(1001, 1000, true));
	// Across the wrap.
	EXPECT_TRUE(tcpfo_ts_recent_takes(0xfffffff0u, 5, true));
	EXPECT_FALSE(tcpfo_ts_recent_takes(5, 0xfffffff0u, true));
}

// ------------------------------------------------------------- SeqRelease

TEST(SeqRelease, AckIsReleasedPointCappedBySocketAck)
{
	for (u32 isn : kWrapIsns) {
		u32 ack = 0;
		u32 n = tcpfo_off_to_seq(isn, 3000);
		u32 last = tcpfo_off_to_seq(isn, 1000);

		EXPECT_TRUE(tcpfo_release_ack(isn, 2000, n, last, &ack));
		EXPECT_EQ(ack, tcpfo_off_to_seq(isn, 2000));
		// Released beyond what the socket acknowledged: capped at N.
		EXPECT_TRUE(tcpfo_release_ack(isn, 5000, n, last, &ack));
		EXPECT_EQ(ack, n);
	}
}

TEST(SeqRelease, NothingNewNothingSent)
{
	u32 ack = 0;
	u32 isn = 0xfffffff0u;

	EXPECT_FALSE(tcpfo_release_ack(isn, 100, tcpfo_off_to_seq(isn, 500),
				       tcpfo_off_to_seq(isn, 100), &ack));
	EXPECT_FALSE(tcpfo_release_ack(isn, 50, tcpfo_off_to_seq(isn, 500),
				       tcpfo_off_to_seq(isn, 100), &ack));
	// Socket ack not beyond what was sent: nothing either.
	EXPECT_FALSE(tcpfo_release_ack(isn, 500, tcpfo_off_to_seq(isn, 100),
				       tcpfo_off_to_seq(isn, 100), &ack));
}

TEST(SeqRelease, FinCountsAsOneByte)
{
	// 10 data bytes then a FIN at offset 10: releasing offset 11
	// acknowledges the FIN.
	u32 ack = 0, isn = 0xfffffffau;
	u32 n = tcpfo_off_to_seq(isn, 11);

	EXPECT_TRUE(tcpfo_release_ack(isn, 11, n, tcpfo_off_to_seq(isn, 10),
				      &ack));
	EXPECT_EQ(ack, isn + 1 + 11);
}

// -------------------------------------------------------------- SeqDupack

static tcpfo_dupack_check dup_base()
{
	tcpfo_dupack_check c{};

	c.ack = c.last_ack = 0xfffffff0u;
	c.win = c.last_win = 512;
	c.tsecr = c.last_tsecr = 777;
	c.have_last = true;
	c.clamped = true;
	c.pure = true;
	c.has_ts = true;
	return c;
}

TEST(SeqDupack, RepeatedClampedPureAckIsDuplicate)
{
	tcpfo_dupack_check c = dup_base();

	EXPECT_TRUE(tcpfo_is_dupack(&c));
	c.has_ts = false;
	EXPECT_TRUE(tcpfo_is_dupack(&c));
}

TEST(SeqDupack, AnythingNewIsNotDuplicate)
{
	tcpfo_dupack_check c;

	c = dup_base(); c.clamped = false;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "unclamped";
	c = dup_base(); c.pure = false;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "payload/SYN/FIN/RST";
	c = dup_base(); c.have_last = false;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "first segment";
	c = dup_base(); c.ack = c.last_ack + 1;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "ack moved";
	c = dup_base(); c.win = (u16)(c.last_win + 1);
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "window moved";
	c = dup_base(); c.has_sack = true;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "SACK";
	c = dup_base(); c.ece = true;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "ECE";
	c = dup_base(); c.tsecr = c.last_tsecr + 1;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "new TSecr";
	c = dup_base(); c.answer_due = true;
	EXPECT_FALSE(tcpfo_is_dupack(&c)) << "probe answer";
}

TEST(SeqDupack, OlderTsecrIsNotNewAcrossWrap)
{
	tcpfo_dupack_check c = dup_base();

	c.last_tsecr = 5;
	c.tsecr = 0xfffffffeu; // before 5 in sequence order
	EXPECT_TRUE(tcpfo_is_dupack(&c));
	c.last_tsecr = 0xfffffffeu;
	c.tsecr = 5; // after the wrap: new
	EXPECT_FALSE(tcpfo_is_dupack(&c));
}

// ---------------------------------------------------------------- SeqOpts

static std::vector<u8> linux_syn_opts(u16 mss, u8 ws, u32 tsval)
{
	// MSS, SACK_PERM, TS, NOP, WSCALE: what Linux puts in a SYN.
	std::vector<u8> o = {2, 4, (u8)(mss >> 8), (u8)mss, 4, 2, 8, 10};
	u8 ts[8];

	tcpfo_put_be32(ts, tsval);
	tcpfo_put_be32(ts + 4, 0);
	o.insert(o.end(), ts, ts + 8);
	o.insert(o.end(), {1, 3, 3, ws});
	return o;
}

TEST(SeqOpts, ParsesLinuxSyn)
{
	std::vector<u8> o = linux_syn_opts(1460, 7, 0xdeadbeefu);
	tcpfo_tcp_opts p;

	ASSERT_EQ(o.size(), 20u);
	tcpfo_opts_parse(o.data(), (unsigned)o.size(), &p);
	EXPECT_TRUE(p.has_mss);
	EXPECT_EQ(p.mss, 1460);
	EXPECT_TRUE(p.sack_perm);
	EXPECT_TRUE(p.has_ts);
	EXPECT_EQ(p.tsval, 0xdeadbeefu);
	EXPECT_EQ(p.tsecr, 0u);
	EXPECT_TRUE(p.has_wscale);
	EXPECT_EQ(p.wscale, 7);
	EXPECT_FALSE(p.malformed);
}

TEST(SeqOpts, WscaleAbove14Capped)
{
	std::vector<u8> o = linux_syn_opts(536, 20, 1);
	tcpfo_tcp_opts p;

	tcpfo_opts_parse(o.data(), (unsigned)o.size(), &p);
	EXPECT_EQ(p.wscale, 14);
}

TEST(SeqOpts, MalformedLengthStopsWalk)
{
	const u8 zero_len[] = {1, 1, 8, 0, 0, 0};
	const u8 too_long[] = {2, 10, 5, 0};
	const u8 truncated[] = {1, 1, 1, 2};
	tcpfo_tcp_opts p;

	tcpfo_opts_parse(zero_len, sizeof(zero_len), &p);
	EXPECT_TRUE(p.malformed);
	EXPECT_FALSE(p.has_ts);
	tcpfo_opts_parse(too_long, sizeof(too_long), &p);
	EXPECT_TRUE(p.malformed);
	EXPECT_FALSE(p.has_mss);
	tcpfo_opts_parse(truncated, sizeof(truncated), &p);
	EXPECT_TRUE(p.malformed);
}

TEST(SeqOpts, EolEndsAndWrongSizesIgnored)
{
	const u8 o[] = {2, 3, 0, 3, 2, 0, 0, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
	tcpfo_tcp_opts p;

	tcpfo_opts_parse(o, sizeof(o), &p);
	EXPECT_FALSE(p.has_mss);    // size 3: ignored
	EXPECT_FALSE(p.has_wscale); // size 2: ignored
	EXPECT_FALSE(p.has_ts);     // after EOL
	EXPECT_FALSE(p.malformed);
}

// ---------------------------------------------------------------- SeqSack

// NOP NOP TS, NOP NOP SACK with @starts (each block 100 bytes long).
static std::vector<u8> ts_sack_opts(const std::vector<u32> &starts)
{
	std::vector<u8> o = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5,
			     (u8)(2 + 8 * starts.size())};

	for (u32 s : starts) {
		u8 b[8];

		tcpfo_put_be32(b, s);
		tcpfo_put_be32(b + 4, s + 100);
		o.insert(o.end(), b, b + 8);
	}
	return o;
}

static std::vector<u32> sack_starts(const std::vector<u8> &o)
{
	std::vector<u32> out;

	for (size_t i = 0; i < o.size();) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (o[i] == 0)
			break;
		if (o[i] == 5)
			for (size_t b = 0; b < (o[i + 1] - 2u) / 8; b++)
				out.push_back(tcpfo_get_be32(&o[i + 2 + 8 * b]));
		i += o[i + 1];
	}
	return out;
}

TEST(SeqSack, BlocksBelowNRemovedAboveKept)
{
	const u32 n = 10000;
	std::vector<u8> o = ts_sack_opts({5000 /* DSACK */, 12000, 9999,
					  10000});
	size_t len = o.size();
	unsigned int kept = 0;

	// 4 blocks with TS do not fit 40 bytes in real life; the filter
	// does not care.
	EXPECT_EQ(tcpfo_sack_filter(o.data(), (unsigned)len, n, &kept), 2u);
	EXPECT_EQ(kept, 2u);
	EXPECT_EQ(o.size(), len);
	EXPECT_EQ(sack_starts(o), (std::vector<u32>{12000, 10000}));

	tcpfo_tcp_opts p;
	tcpfo_opts_parse(o.data(), (unsigned)o.size(), &p);
	EXPECT_EQ(p.sack_blocks, 2);
	EXPECT_TRUE(p.has_ts);
	EXPECT_EQ(p.tsval, 1u); // TS untouched
	EXPECT_FALSE(p.malformed);
}

TEST(SeqSack, AllBlocksRemovedBecomeNops)
{
	std::vector<u8> o = ts_sack_opts({100, 200, 300});
	std::vector<u8> before = o;
	unsigned int kept = 9;

	EXPECT_EQ(tcpfo_sack_filter(o.data(), (unsigned)o.size(), 1000, &kept),
		  3u);
	EXPECT_EQ(kept, 0u);
	// TS part unchanged, the whole SACK option incl. kind/len is NOPs.
	for (size_t i = 0; i < 14; i++)
		EXPECT_EQ(o[i], before[i]);
	for (size_t i = 14; i < o.size(); i++)
		EXPECT_EQ(o[i], TCPFO_OPT_KIND_NOP) << "byte " << i;
	tcpfo_tcp_opts p;
	tcpfo_opts_parse(o.data(), (unsigned)o.size(), &p);
	EXPECT_EQ(p.sack_blocks, 0);
	EXPECT_TRUE(p.has_ts);
}

TEST(SeqSack, NothingBelowNLeavesBytesUnchanged)
{
	std::vector<u8> o = ts_sack_opts({1000, 2000});
	std::vector<u8> before = o;
	unsigned int kept = 0;

	EXPECT_EQ(tcpfo_sack_filter(o.data(), (unsigned)o.size(), 1000, &kept),
		  0u);
	EXPECT_EQ(kept, 2u);
	EXPECT_EQ(o, before);
}

TEST(SeqSack, BlockKeepDecisionAcrossWrap)
{
	EXPECT_FALSE(tcpfo_sack_block_keep(0xfffffff0u, 0x10u));
	EXPECT_TRUE(tcpfo_sack_block_keep(0x10u, 0x10u));
	EXPECT_TRUE(tcpfo_sack_block_keep(0x20u, 0x10u));
	EXPECT_TRUE(tcpfo_sack_block_keep(0x10u, 0xfffffff0u));

	std::vector<u8> o = ts_sack_opts({0xffffff00u, 0x20u});
	unsigned int kept = 0;

	EXPECT_EQ(tcpfo_sack_filter(o.data(), (unsigned)o.size(), 0x10u, &kept),
		  1u);
	EXPECT_EQ(sack_starts(o), (std::vector<u32>{0x20u}));
}

TEST(SeqSack, MalformedOptionAreaLeftAlone)
{
	std::vector<u8> o = {1, 1, 5, 9, 0, 0, 0, 1, 0, 0, 0, 2};
	std::vector<u8> before = o;
	unsigned int kept = 0;

	EXPECT_EQ(tcpfo_sack_filter(o.data(), (unsigned)o.size(), 1000, &kept),
		  0u);
	EXPECT_EQ(o, before);
}

// ------------------------------------------------------------- SeqSacked

static std::vector<std::pair<u32, u32>> ranges(const tcpfo_sacked &sb)
{
	std::vector<std::pair<u32, u32>> v;

	for (unsigned i = 0; i < sb.n; i++)
		v.push_back({sb.start[i], sb.end[i]});
	return v;
}

using R = std::vector<std::pair<u32, u32>>;

TEST(SeqSacked, AddKeepsSortedDisjointMerged)
{
	tcpfo_sacked sb{};

	tcpfo_sacked_add(&sb, 300, 400);
	tcpfo_sacked_add(&sb, 100, 200);
	EXPECT_EQ(ranges(sb), (R{{100, 200}, {300, 400}}));
	tcpfo_sacked_add(&sb, 150, 250); // overlap
	EXPECT_EQ(ranges(sb), (R{{100, 250}, {300, 400}}));
	tcpfo_sacked_add(&sb, 250, 300); // adjacent on both sides
	EXPECT_EQ(ranges(sb), (R{{100, 400}}));
	tcpfo_sacked_add(&sb, 500, 500); // empty: ignored
	EXPECT_EQ(ranges(sb), (R{{100, 400}}));
}

TEST(SeqSacked, OverflowMergesClosestPairConservatively)
{
	tcpfo_sacked sb{};

	tcpfo_sacked_add(&sb, 100, 110);
	tcpfo_sacked_add(&sb, 200, 210);
	tcpfo_sacked_add(&sb, 300, 310);
	tcpfo_sacked_add(&sb, 400, 410);
	tcpfo_sacked_add(&sb, 415, 420); // gap 5 to [400,410): merged
	EXPECT_EQ(ranges(sb), (R{{100, 110}, {200, 210}, {300, 310},
				 {400, 420}}));
	// Every byte once covered is still covered.
	for (u32 x : {100u, 109u, 200u, 305u, 400u, 412u, 419u})
		EXPECT_NE(tcpfo_sacked_safe_ack(&sb, x), x) << x;
}

TEST(SeqSacked, PruneDropsRangesBelowAck)
{
	tcpfo_sacked sb{};

	tcpfo_sacked_add(&sb, 100, 200);
	tcpfo_sacked_add(&sb, 300, 400);
	tcpfo_sacked_prune(&sb, 200);
	EXPECT_EQ(ranges(sb), (R{{300, 400}}));
	tcpfo_sacked_prune(&sb, 399);
	EXPECT_EQ(ranges(sb), (R{{300, 400}}));
	tcpfo_sacked_prune(&sb, 400);
	EXPECT_TRUE(ranges(sb).empty());
}

TEST(SeqSacked, AckInsideRangeStopsOneByteBefore)
{
	tcpfo_sacked sb{};

	tcpfo_sacked_add(&sb, 1000, 2000);
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 999), 999u);
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 1000), 999u);
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 1500), 999u);
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 1999), 999u);
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 2000), 2000u);
}

TEST(SeqSacked, WrapAround)
{
	tcpfo_sacked sb{};

	tcpfo_sacked_add(&sb, 0x10u, 0x40u);
	tcpfo_sacked_add(&sb, 0xfffffff0u, 0x8u);
	EXPECT_EQ(ranges(sb), (R{{0xfffffff0u, 0x8u}, {0x10u, 0x40u}}));
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 0x2u), 0xffffffefu);
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 0xfffffff0u), 0xffffffefu);
	EXPECT_EQ(tcpfo_sacked_safe_ack(&sb, 0xau), 0xau);
	tcpfo_sacked_add(&sb, 0x8u, 0x10u); // fills the gap across the wrap
	EXPECT_EQ(ranges(sb), (R{{0xfffffff0u, 0x40u}}));
	tcpfo_sacked_prune(&sb, 0x40u);
	EXPECT_EQ(sb.n, 0);
}

TEST(SeqSacked, NoteReadsEveryBlockOfTheOptions)
{
	std::vector<u8> o = ts_sack_opts({5000, 7000, 9000});
	tcpfo_sacked sb{};

	tcpfo_sacked_note(&sb, o.data(), (unsigned)o.size());
	EXPECT_EQ(ranges(sb), (R{{5000, 5100}, {7000, 7100}, {9000, 9100}}));
}

} // namespace
