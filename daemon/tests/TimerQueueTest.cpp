// SPDX-License-Identifier: GPL-2.0
#include "ByteSize.hpp"
#include "EventLoop.hpp"
#include "LogRateLimit.hpp"
#include "ParseError.hpp"
#include "TimerQueue.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace tcpfo;
using namespace std::chrono_literals;

TEST(TimerQueue, FiresInDeadlineOrderAndNotWhenCancelled)
{
	EventLoop loop;
	TimerQueue timers(loop);
	std::vector<int> fired;
	auto start = TimerQueue::Clock::now();
	timers.start(30ms, [&] {
		fired.push_back(30);
		loop.stop();
	});
	auto cancelled = timers.start(5ms, [&] { fired.push_back(5); });
	timers.start(20ms, [&] { fired.push_back(20); });
	// Started from a callback: fires in the same run.
	timers.start(10ms, [&] {
		fired.push_back(10);
		timers.start(1ms, [&] { fired.push_back(11); });
	});
	timers.cancel(cancelled);
	loop.run();
	EXPECT_EQ(fired, (std::vector<int>{10, 11, 20, 30}));
	EXPECT_GE(TimerQueue::Clock::now() - start, 30ms);
	EXPECT_EQ(timers.pending(), 0u);
}

TEST(TimerQueue, CancellingTheEarliestStillFiresTheNext)
{
	EventLoop loop;
	TimerQueue timers(loop);
	bool late = false;
	auto early = timers.start(1ms, [&] { ADD_FAILURE() << "cancelled timer fired"; });
	timers.start(15ms, [&] {
		late = true;
		loop.stop();
	});
	timers.cancel(early);
	timers.cancel(early); // twice: harmless
	loop.run();
	EXPECT_TRUE(late);
}

TEST(LogRateLimit, OnePerIntervalAndCountsTheRest)
{
	LogRateLimit limit(10s);
	auto t0 = LogRateLimit::Clock::time_point{} + 100s;
	EXPECT_EQ(limit.allow(t0), 0u);
	EXPECT_EQ(limit.allow(t0 + 1s), std::nullopt);
	EXPECT_EQ(limit.allow(t0 + 9s), std::nullopt);
	EXPECT_EQ(limit.allow(t0 + 10s), 2u);
	EXPECT_EQ(limit.allow(t0 + 30s), 0u);
}

TEST(ByteSize, ParsesBytesAndBinaryUnits)
{
	EXPECT_EQ(parse_byte_size("65536"), 65536u);
	EXPECT_EQ(parse_byte_size("64K"), 65536u);
	EXPECT_EQ(parse_byte_size("64k"), 65536u);
	EXPECT_EQ(parse_byte_size("64KiB"), 65536u);
	EXPECT_EQ(parse_byte_size("16M"), 16u << 20);
	EXPECT_EQ(parse_byte_size("1MiB"), 1u << 20);
	for (const char *bad : {"", "K", "64KB", "64 K", "1.5M", "-1", "64m", "1G",
				"9999999999999"})
		EXPECT_THROW(parse_byte_size(bad), ParseError) << bad;
}

TEST(ByteSize, FormatsWithTheLargestExactUnit)
{
	EXPECT_EQ(format_byte_size(65536), "64KiB");
	EXPECT_EQ(format_byte_size(16u << 20), "16MiB");
	EXPECT_EQ(format_byte_size(1000), "1000");
	EXPECT_EQ(format_byte_size(0), "0");
}
