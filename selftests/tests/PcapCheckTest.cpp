// SPDX-License-Identifier: GPL-2.0
// tcpfo-pcapcheck --tsval / --tsval-within / --tsecr-lag on hand-made
// captures: the checker the VM tests rely on must see a TSval that goes
// back (its first version, an awk, never saw a single TSval and passed
// everything), and an echo that lags.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;

void put16(Bytes &b, std::uint16_t v)
{
	b.push_back(v >> 8);
	b.push_back(v & 0xff);
}

void put32(Bytes &b, std::uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

struct Seg {
	Mac from;
	std::uint32_t tsval;
	bool ts = true;
	std::uint16_t sport = 80, dport = 5000;
	std::uint16_t ipid = 1;
	std::uint32_t tsecr = 0;
	bool from_client = false; // 192.0.2.100 -> 192.0.2.1, ports swapped
	std::uint32_t seq = 1000, ack = 1;
	std::uint16_t len = 0;	  // payload bytes (zeros)
};

// An Ethernet frame: IPv4 192.0.2.1 -> 192.0.2.100 (or back), a pure ACK
// with NOP, NOP, TS (checksums are not judged).
Bytes frame(const Seg &s)
{
	Bytes f{2, 0, 0, 0, 0, 0x64};
	f.insert(f.end(), s.from.begin(), s.from.end());
	put16(f, 0x0800);
	const std::uint16_t tcplen = s.ts ? 32 : 20;
	f.push_back(0x45);
	f.push_back(0);
	put16(f, 20 + tcplen + s.len);
	put16(f, s.ipid);
	put16(f, 0x4000);
	f.push_back(64);
	f.push_back(6);
	put16(f, 0);
	const std::array<std::uint8_t, 4> gw{192, 0, 2, 1}, client{192, 0, 2, 100};
	for (std::uint8_t a : s.from_client ? client : gw)
		f.push_back(a);
	for (std::uint8_t a : s.from_client ? gw : client)
		f.push_back(a);
	put16(f, s.from_client ? s.dport : s.sport);
	put16(f, s.from_client ? s.sport : s.dport);
	put32(f, s.seq);
	put32(f, s.ack);
	f.push_back((tcplen / 4) << 4);
	f.push_back(0x10);
	put16(f, 1000);
	put32(f, 0);	// checksum, urgent pointer
	if (s.ts) {
		for (std::uint8_t o : {1, 1, 8, 10})
			f.push_back(o);
		put32(f, s.tsval);
		put32(f, s.tsecr);
	}
	f.insert(f.end(), s.len, 0);
	return f;
}

class PcapCheck : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/pcapcheck-test-XXXXXX";
		const int fd = mkstemp(tmpl);
		ASSERT_GE(fd, 0);
		close(fd);
		path_ = tmpl;
	}
	void TearDown() override { unlink(path_.c_str()); }

	void write(const std::vector<Seg> &segs)
	{
		FILE *f = std::fopen(path_.c_str(), "wb");
		ASSERT_TRUE(f);
		const std::uint32_t gh[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, 1};
		std::fwrite(gh, sizeof(gh), 1, f);
		std::uint32_t t = 0;
		for (const Seg &s : segs) {
			const Bytes b = frame(s);
			const std::uint32_t rh[4] = {t++, 0, static_cast<std::uint32_t>(b.size()),
						     static_cast<std::uint32_t>(b.size())};
			std::fwrite(rh, sizeof(rh), 1, f);
			std::fwrite(b.data(), b.size(), 1, f);
		}
		std::fclose(f);
	}

	// The checker's exit status.
	int run(const char *mode, const char *after = "")
	{
		const std::string cmd = std::string(PCAPCHECK) + " " + mode + " " + path_ +
					" " + after + " > /dev/null";
		const int st = std::system(cmd.c_str());
		return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}

	// The checker's output.
	std::string output(const char *mode, const char *after = "")
	{
		const std::string cmd = std::string(PCAPCHECK) + " " + mode + " " + path_ +
					" " + after;
		std::string out;
		FILE *p = popen(cmd.c_str(), "r");
		if (!p)
			return out;
		char buf[512];
		while (std::fgets(buf, sizeof(buf), p))
			out += buf;
		pclose(p);
		return out;
	}

	std::string path_;
};

const Mac gw1{2, 0, 0, 0, 0, 1};
const Mac gw2{2, 0, 0, 0, 0, 2};

TEST_F(PcapCheck, RisingTsvalsPass)
{
	write({{gw1, 100}, {gw1, 100}, {gw1, 101}, {gw2, 150}, {gw2, 151}});
	EXPECT_EQ(run("--tsval"), 0);
	EXPECT_EQ(run("--tsval-within"), 0);
}

TEST_F(PcapCheck, OneTsvalBackFails)
{
	write({{gw1, 100}, {gw1, 102}, {gw1, 101}, {gw1, 103}});
	EXPECT_EQ(run("--tsval"), 3);
	EXPECT_EQ(run("--tsval-within"), 3);
}

TEST_F(PcapCheck, SerialOrderAcrossTheWrap)
{
	write({{gw1, 0xfffffff0u}, {gw1, 0xffffffffu}, {gw1, 5}, {gw1, 6}});
	EXPECT_EQ(run("--tsval"), 0);
	write({{gw1, 5}, {gw1, 0xfffffff0u}});
	EXPECT_EQ(run("--tsval"), 3);
}

TEST_F(PcapCheck, BackAcrossATakeoverFailsUnlessOnlyWithinIsJudged)
{
	// gw2's first segment is below gw1's last one on the same connection.
	write({{gw1, 100}, {gw1, 101}, {gw2, 50}, {gw2, 51}});
	EXPECT_EQ(run("--tsval"), 3);
	EXPECT_EQ(run("--tsval-within"), 0);
	// ... but a decrease from one sender still fails --tsval-within.
	write({{gw1, 100}, {gw2, 50}, {gw2, 49}});
	EXPECT_EQ(run("--tsval-within"), 3);
}

TEST_F(PcapCheck, ConnectionsAreJudgedApart)
{
	Seg a{gw1, 100}, b{gw1, 50};
	b.dport = 5001;
	write({a, b, {gw1, 101}, {gw1, 51, true, 80, 5001}});
	EXPECT_EQ(run("--tsval"), 0);
}

TEST_F(PcapCheck, NoTimestampCannotBeJudged)
{
	Seg s{gw1, 0};
	s.ts = false;
	write({s, s});
	EXPECT_EQ(run("--tsval"), 1);
}

// A: the client's segment with TSval V; G: the gateway's ACK echoing E.
Seg client_ts(std::uint32_t v)
{
	Seg s{gw1, v};
	s.from_client = true;
	return s;
}

Seg gw_echo(std::uint32_t tsval, std::uint32_t ecr)
{
	Seg s{gw1, tsval};
	s.tsecr = ecr;
	return s;
}

TEST_F(PcapCheck, FreshEchoesPass)
{
	write({client_ts(1000), gw_echo(50, 1000), client_ts(1200), client_ts(3900),
	       gw_echo(51, 1200)});
	// 3900 - 1200 = 2700 ms: within 3000.
	EXPECT_EQ(run("--tsecr-lag 3000"), 0);
	EXPECT_EQ(run("--tsecr-lag 2000"), 3);
}

TEST_F(PcapCheck, StaleEchoFails)
{
	write({client_ts(1000), gw_echo(50, 1000), client_ts(30000), gw_echo(51, 1000)});
	EXPECT_EQ(run("--tsecr-lag 3000"), 3);
}

TEST_F(PcapCheck, ZeroEchoAndEchoesBeforeAnyTsvalAreNotJudged)
{
	// An echo of 0 ("none") and one before the client sent any TSval.
	write({gw_echo(50, 7), client_ts(30000), gw_echo(51, 0), gw_echo(52, 30000)});
	EXPECT_EQ(run("--tsecr-lag 10"), 0);
	write({gw_echo(50, 7), client_ts(30000), gw_echo(51, 0)});
	EXPECT_EQ(run("--tsecr-lag 10"), 1); // nothing judged
}

TEST_F(PcapCheck, TsecrLagIsPerConnection)
{
	Seg other = client_ts(90000);
	other.sport = 81;
	write({client_ts(1000), other, gw_echo(50, 1000)});
	EXPECT_EQ(run("--tsecr-lag 10"), 0);
}

TEST_F(PcapCheck, TsecrLagJudgesOnlyTheGivenSenders)
{
	// The client's echo of the gateway's TSvals lags; the gateway's does not.
	Seg c = client_ts(1000);
	c.tsecr = 50;
	write({gw_echo(50, 0), gw_echo(9000, 0), c, gw_echo(9001, 1000)});
	EXPECT_EQ(run("--tsecr-lag 100"), 3);
	EXPECT_EQ(run("--tsecr-lag 100", "192.0.2.1"), 0);
	EXPECT_EQ(run("--tsecr-lag 100", "192.0.2.100"), 3);
	EXPECT_EQ(run("--tsecr-lag 100", "not-an-address"), 2);
}

// Frames are one second apart in the capture.
Seg client_data(std::uint32_t seq, std::uint32_t tsval)
{
	Seg s = client_ts(tsval);
	s.seq = seq;
	s.len = 100;
	return s;
}

Seg gw_ack(std::uint32_t ack, std::uint32_t tsval, std::uint32_t ecr)
{
	Seg s = gw_echo(tsval, ecr);
	s.ack = ack;
	return s;
}

TEST_F(PcapCheck, RttSampleFromTheSendTime)
{
	// Sent at 0 s, acknowledged at 2 s: a 2,000 ms sample.
	write({gw_ack(1000, 50, 0), client_data(1000, 100), client_ts(101), gw_ack(1100, 51, 101)});
	const std::string out = output("--tsecr-lag 1500", "192.0.2.1");
	EXPECT_NE(out.find("1 over 1500 ms, 0 of those from a TSecr"), std::string::npos) << out;
	EXPECT_NE(out.find("2000 ms (send time)"), std::string::npos) << out;
}

TEST_F(PcapCheck, RttSampleFromTheTsecrWhenDataWasSentTwice)
{
	// Sent at 1 s, again at 2 s (TSval 2100); the ACK at 3 s echoes the
	// first TSval (1100), 1,000 ms older: a 2,000 ms sample (Karn's case).
	write({gw_ack(1000, 50, 0), client_data(1000, 1100), client_data(1000, 2100),
	       gw_ack(1100, 51, 1100)});
	std::string out = output("--tsecr-lag 1500", "192.0.2.1");
	EXPECT_NE(out.find("1 over 1500 ms, 1 of those from a TSecr"), std::string::npos) << out;
	EXPECT_NE(out.find("2000 ms (TSecr)"), std::string::npos) << out;
	EXPECT_EQ(run("--karn-rtt 1500", "192.0.2.1"), 3);
	EXPECT_EQ(run("--karn-rtt 2500", "192.0.2.1"), 0);
	// Echoing the retransmission's TSval: 1,000 ms.
	write({gw_ack(1000, 50, 0), client_data(1000, 1100), client_data(1000, 2100),
	       gw_ack(1100, 51, 2100)});
	out = output("--tsecr-lag 1500", "192.0.2.1");
	EXPECT_NE(out.find("1 RTT samples from these ACKs (from the capture's times), 0 over"),
		  std::string::npos) << out;
	EXPECT_EQ(run("--karn-rtt 1500", "192.0.2.1"), 0);
}

TEST_F(PcapCheck, KarnRttJudgesOnlySamplesFromATsecr)
{
	// A 2,000 ms sample from the send time: not a stale echo.
	write({gw_ack(1000, 50, 0), client_data(1000, 100), client_ts(101), gw_ack(1100, 51, 101)});
	EXPECT_EQ(run("--karn-rtt 1500", "192.0.2.1"), 0);
	// Without senders to judge, or with no sample at all.
	EXPECT_EQ(run("--karn-rtt 1500"), 2);
	write({client_ts(100), gw_echo(50, 100)});
	EXPECT_EQ(run("--karn-rtt 1500", "192.0.2.1"), 1);
}

TEST_F(PcapCheck, TsecrLagNeedsAMillisecondLimit)
{
	write({client_ts(1000), gw_echo(50, 1000)});
	EXPECT_EQ(run("--tsecr-lag x"), 2);
}

} // namespace
