// SPDX-License-Identifier: GPL-2.0
// The state link's frames and records: round trips, and every way a frame
// can be wrong is refused with a reason (never a crash, never accepted).
#include "StateRecords.hpp"
#include "StateWire.hpp"

#include <gtest/gtest.h>

#include <linux/tcpfo.h>
#include <sys/socket.h>

#include <random>

using namespace tcpfo::wire;

namespace {

Key key_of(std::uint8_t b)
{
	Key k;
	k.fill(b);
	return k;
}

std::vector<std::uint8_t> bytes(std::string_view s)
{
	return {s.begin(), s.end()};
}

FlowRecord sample_flow(std::uint64_t id)
{
	FlowRecord f;
	f.id = id;
	f.family = AF_INET6;
	f.state = TCPFO_FLOW_ESTABLISHED;
	f.fin_flags = kFinC2s;
	f.present = kHasL1Isn | kHasL2 | kHasL1TsSent;
	f.service = "web6";
	for (int i = 0; i < 2; ++i) {
		LegRecord &l = f.leg[i];
		l.local_addr.fill(static_cast<std::uint8_t>(0x20 + i));
		l.peer_addr.fill(static_cast<std::uint8_t>(0x30 + i));
		l.local_port = static_cast<std::uint16_t>(80 + i);
		l.peer_port = static_cast<std::uint16_t>(40000 + i);
		l.peer_isn = 0xfffffff0u + static_cast<std::uint32_t>(i);
		l.gw_isn = 0x12345678u;
		l.peer_mss = 1460;
		l.peer_wscale = 7;
		l.gw_wscale = 14;
		l.peer_opts = TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP | TCPFO_OPT_WSCALE;
		l.gw_opts = TCPFO_OPT_SACK;
		l.right_edge = 99;
		l.ts_sent = 0xdeadbeef;
		l.ts_recent = 7;
	}
	f.ts_sample_mono_ns = 123456789012345ull;
	f.released = {(1ull << 40) + 5, 17};
	f.fin = {(1ull << 40) + 9, 0};
	return f;
}

// One session: both directions' keys derived the way the link does.
struct Session {
	Key psk = key_of(0x42);
	Nonce a = random_nonce();
	Nonce b = random_nonce();
	Key key = session_key(psk, a, b);
};

} // namespace

TEST(StateWire, FramesRoundTripInOrder)
{
	Session s;
	FrameEncoder enc(s.key);
	FrameDecoder dec(s.psk);
	dec.set_key(s.key);
	std::vector<std::uint8_t> stream;
	for (int i = 0; i < 3; ++i) {
		auto f = enc.encode(FrameType::ack, encode_ack(100 + i));
		stream.insert(stream.end(), f.begin(), f.end());
	}
	// Fed a byte at a time: frames come out whole, in order.
	std::vector<std::uint64_t> acks;
	for (std::uint8_t b : stream) {
		dec.feed(std::span(&b, 1));
		while (auto f = dec.next()) {
			EXPECT_EQ(f->type, FrameType::ack);
			EXPECT_EQ(f->seq, acks.size() + 1);
			acks.push_back(decode_ack(f->payload));
		}
	}
	EXPECT_EQ(acks, (std::vector<std::uint64_t>{100, 101, 102}));
	EXPECT_EQ(dec.buffered(), 0u);
	EXPECT_EQ(enc.last_seq(), 3u);
}

// Known answer (openssl dgst -sha256 -mac HMAC), so both ends agreeing on
// a wrong MAC cannot pass; run twice, as the contexts are cached per key.
TEST(StateWire, HmacIsStandardHmacSha256)
{
	Key psk;
	for (std::size_t i = 0; i < psk.size(); ++i)
		psk[i] = static_cast<std::uint8_t>(i);
	const std::string want =
		"3e159929af78971b6fcdbeca6aad5edc06f7e68949e9197cbb52e3b077ec1fe4";
	for (int round = 0; round < 2; ++round) {
		const Key k = hello_key(psk);
		std::string hex;
		char b[3];
		for (std::uint8_t c : k) {
			std::snprintf(b, sizeof(b), "%02x", c);
			hex += b;
		}
		EXPECT_EQ(hex, want);
		(void)session_key(psk, Nonce{}, Nonce{});	// another key in between
	}
}

TEST(StateWire, HelloThenSession)
{
	Session s;
	Hello h{"gw1", Role::primary, LinkMode::sync, 7, s.a};
	auto frame = FrameEncoder::encode_hello(s.psk, encode(h));
	FrameDecoder dec(s.psk);
	dec.feed(frame);
	auto f = dec.next();
	ASSERT_TRUE(f);
	EXPECT_EQ(f->type, FrameType::hello);
	EXPECT_EQ(decode_hello(f->payload), h);
	// A second hello is refused, and so is a session frame before the key.
	dec.feed(frame);
	EXPECT_THROW(dec.next(), ProtocolError);
}

TEST(StateWire, WrongKeyIsRefused)
{
	Session s;
	auto frame = FrameEncoder::encode_hello(key_of(0x43), encode(Hello{}));
	FrameDecoder dec(s.psk);
	dec.feed(frame);
	try {
		dec.next();
		FAIL() << "accepted a hello under another key";
	} catch (const ProtocolError &e) {
		EXPECT_NE(std::string(e.what()).find("authentication"),
			  std::string::npos) << e.what();
	}
	// Once failed, always failed.
	EXPECT_THROW(dec.next(), ProtocolError);
	EXPECT_THROW(dec.feed(frame), ProtocolError);
}

TEST(StateWire, ReflectedFrameIsRefused)
{
	Session s;
	// What a sends to b, played back to a as if b had sent it.
	FrameEncoder a_to_b(session_key(s.psk, s.a, s.b));
	FrameDecoder a_in(s.psk);
	a_in.set_key(session_key(s.psk, s.b, s.a));
	a_in.feed(a_to_b.encode(FrameType::ack, encode_ack(1)));
	EXPECT_THROW(a_in.next(), ProtocolError);
}

TEST(StateWire, FrameFromAnotherSessionIsRefused)
{
	Session s1, s2;
	s2.psk = s1.psk;
	s2.key = session_key(s2.psk, s2.a, s2.b);
	FrameEncoder enc(s1.key);
	FrameDecoder dec(s2.psk);
	dec.set_key(s2.key);
	dec.feed(enc.encode(FrameType::heartbeat, encode(Heartbeat{1, 2})));
	EXPECT_THROW(dec.next(), ProtocolError);
}

TEST(StateWire, ReplayedOrSkippedSequenceIsRefused)
{
	Session s;
	FrameEncoder enc(s.key);
	auto f1 = enc.encode(FrameType::full_begin, {});
	auto f2 = enc.encode(FrameType::full_end, {});
	{
		FrameDecoder dec(s.psk);
		dec.set_key(s.key);
		dec.feed(f1);
		ASSERT_TRUE(dec.next());
		dec.feed(f1);
		EXPECT_THROW(dec.next(), ProtocolError);
	}
	{
		FrameDecoder dec(s.psk);
		dec.set_key(s.key);
		dec.feed(f2);
		EXPECT_THROW(dec.next(), ProtocolError);
	}
}

TEST(StateWire, EveryFlippedBitIsRefused)
{
	Session s;
	FrameEncoder enc(s.key);
	auto frame = enc.encode(FrameType::flows, encode_flows({sample_flow(1)}));
	for (std::size_t i = 0; i < frame.size(); ++i) {
		for (int bit = 0; bit < 8; ++bit) {
			auto bad = frame;
			bad[i] ^= static_cast<std::uint8_t>(1 << bit);
			FrameDecoder dec(s.psk);
			dec.set_key(s.key);
			dec.feed(bad);
			// A corrupted length may only leave the frame
			// incomplete; anything else must throw.
			try {
				auto f = dec.next();
				EXPECT_FALSE(f) << "accepted with byte " << i
						<< " bit " << bit << " flipped";
			} catch (const ProtocolError &) {
			}
		}
	}
}

TEST(StateWire, VersionMagicAndLengthAreChecked)
{
	Session s;
	FrameEncoder enc(s.key);
	auto frame = enc.encode(FrameType::full_begin, {});
	auto expect_reason = [&](std::vector<std::uint8_t> f, const char *what) {
		FrameDecoder dec(s.psk);
		dec.set_key(s.key);
		dec.feed(f);
		try {
			dec.next();
			ADD_FAILURE() << "accepted: " << what;
		} catch (const ProtocolError &e) {
			EXPECT_NE(std::string(e.what()).find(what), std::string::npos)
				<< e.what();
		}
	};
	auto v = frame;
	v[2] = 2;
	expect_reason(v, "version 2");
	auto m = frame;
	m[0] = 'G';
	expect_reason(m, "magic");
	auto l = frame;
	l[4] = 0xff;	// 4 GiB payload announced: refused at once
	expect_reason(l, "exceeds");
	// Garbage is refused as soon as a header's worth arrived.
	expect_reason(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "magic");
}

TEST(StateWire, TruncatedFrameWaits)
{
	Session s;
	FrameEncoder enc(s.key);
	auto frame = enc.encode(FrameType::deltas, encode_deltas({FlowDelta{}}));
	FrameDecoder dec(s.psk);
	dec.set_key(s.key);
	dec.feed(std::span(frame).first(frame.size() - 1));
	EXPECT_FALSE(dec.next());
	EXPECT_EQ(dec.buffered(), frame.size() - 1);
}

TEST(StateRecords, FlowRecordsRoundTrip)
{
	std::vector<FlowRecord> flows{sample_flow(1), sample_flow(2)};
	flows[1].family = AF_INET;
	for (auto &l : flows[1].leg) {
		std::fill(l.local_addr.begin() + 4, l.local_addr.end(), 0);
		std::fill(l.peer_addr.begin() + 4, l.peer_addr.end(), 0);
	}
	auto p = encode_flows(flows);
	EXPECT_EQ(p.size(), 4 + 2 * (kFlowRecordMinSize + 4));
	EXPECT_EQ(decode_flows(p), flows);
}

TEST(StateRecords, DeltasRemovedHeartbeatRoundTrip)
{
	FlowDelta d;
	d.id = 9;
	d.state = TCPFO_FLOW_CLOSING;
	d.fin_flags = kFinC2s | kFinS2c;
	d.released = {1, 2};
	d.fin = {3, 4};
	d.right_edge = {5, 6};
	d.ts_sent = {7, 8};
	d.ts_sample_mono_ns = 10;
	auto p = encode_deltas({d, d});
	EXPECT_EQ(p.size(), 4 + 2 * kFlowDeltaSize);
	EXPECT_EQ(decode_deltas(p), (std::vector<FlowDelta>{d, d}));
	EXPECT_EQ(decode_removed(encode_removed({1, 2, 3})),
		  (std::vector<std::uint64_t>{1, 2, 3}));
	Heartbeat hb{1ull << 62, 5};
	EXPECT_EQ(decode_heartbeat(encode(hb)), hb);
}

TEST(StateRecords, BadRecordsAreRefused)
{
	auto good = encode_flows({sample_flow(1)});
	// Every truncation.
	for (std::size_t n = 0; n < good.size(); ++n)
		EXPECT_THROW(decode_flows(std::span(good).first(n)), ProtocolError)
			<< n;
	// Trailing bytes.
	auto longer = good;
	longer.push_back(0);
	EXPECT_THROW(decode_flows(longer), ProtocolError);
	// A count the payload cannot hold allocates nothing.
	Writer w;
	w.u32(0xffffffffu);
	EXPECT_THROW(decode_flows(w.data()), ProtocolError);
	EXPECT_THROW(decode_removed(w.data()), ProtocolError);

	auto bad = [&](auto edit) {
		FlowRecord f = sample_flow(1);
		edit(f);
		return encode_flows({f});
	};
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) { f.family = 3; })),
		     ProtocolError);
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) { f.state = 200; })),
		     ProtocolError);
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) { f.fin_flags = 4; })),
		     ProtocolError);
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) { f.service = ""; })),
		     ProtocolError);
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) {
			     f.leg[1].peer_wscale = 15;
		     })),
		     ProtocolError);
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) {
			     f.leg[0].gw_opts = 0x80;
		     })),
		     ProtocolError);
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) {
			     f.family = AF_INET;	// v6-sized addresses
		     })),
		     ProtocolError);
	EXPECT_THROW(decode_flows(bad([](FlowRecord &f) { f.present = 0x8000; })),
		     ProtocolError);
	EXPECT_THROW(decode_hello(std::vector<std::uint8_t>{0}), ProtocolError);
}

// Switchover frames: a handover request carries nothing, a handover the
// sender's epoch; both pass the decoder in a session, and any other type
// number beyond them is refused.
TEST(StateWire, HandoverFramesRoundTripAndUnknownTypesAreRefused)
{
	Session s;
	FrameEncoder enc(s.key);
	FrameDecoder dec(s.psk);
	dec.set_key(s.key);
	dec.feed(enc.encode(FrameType::handover_request, {}));
	dec.feed(enc.encode(FrameType::handover, encode_ack(42)));
	auto req = dec.next();
	ASSERT_TRUE(req);
	EXPECT_EQ(req->type, FrameType::handover_request);
	EXPECT_NO_THROW(decode_payload(req->type, req->payload));
	auto ho = dec.next();
	ASSERT_TRUE(ho);
	EXPECT_EQ(ho->type, FrameType::handover);
	EXPECT_EQ(decode_ack(ho->payload), 42u);
	EXPECT_EQ(to_string(FrameType::handover_request), "handover-request");
	EXPECT_EQ(to_string(FrameType::handover), "handover");
	// A request with a payload, or a handover without its epoch, is malformed.
	EXPECT_THROW(decode_payload(FrameType::handover_request, encode_ack(1)),
		     ProtocolError);
	EXPECT_THROW(decode_payload(FrameType::handover, {}), ProtocolError);
	// Type 11 does not exist.
	dec.feed(enc.encode(static_cast<FrameType>(11), {}));
	EXPECT_THROW(dec.next(), ProtocolError);
}
