// SPDX-License-Identifier: GPL-2.0
#include "CheckWindow.hpp"

#include <gtest/gtest.h>

using namespace tcpfo;
using namespace std::chrono_literals;

TEST(CheckWindow, EndsAfterItsWaitWithoutStalls)
{
	const auto t0 = CheckWindow::Clock::time_point{} + 1s;
	CheckWindow w(t0, 50ms, 200ms);
	EXPECT_FALSE(w.over(t0 + 49ms));
	EXPECT_TRUE(w.over(t0 + 50ms));
	EXPECT_EQ(w.left(t0 + 20ms), 30ms);
	EXPECT_EQ(w.left(t0 + 60ms), 0ms);
	// Sleeping as asked, or a little more (scheduling noise), is no stall.
	EXPECT_FALSE(w.slept(t0, t0 + 16ms, 16ms));
	EXPECT_FALSE(w.slept(t0 + 16ms, t0 + 36ms, 16ms));
	EXPECT_TRUE(w.over(t0 + 50ms));
	EXPECT_EQ(w.stalls(), 0);
}

TEST(CheckWindow, AStallIsAddedBackUpToTheLimit)
{
	const auto t0 = CheckWindow::Clock::time_point{} + 1s;
	CheckWindow w(t0, 50ms, 200ms);
	// Asked for 16 ms, woke 136 ms later: 120 ms were not ours.
	EXPECT_TRUE(w.slept(t0, t0 + 136ms, 16ms));
	EXPECT_EQ(w.extended(), 120ms);
	EXPECT_FALSE(w.over(t0 + 169ms));
	EXPECT_TRUE(w.over(t0 + 170ms));
	// Another long stall: only 80 ms are left of the 200 ms limit.
	EXPECT_TRUE(w.slept(t0 + 136ms, t0 + 436ms, 16ms));
	EXPECT_EQ(w.extended(), 200ms);
	EXPECT_TRUE(w.over(t0 + 250ms));
	EXPECT_FALSE(w.slept(t0 + 436ms, t0 + 900ms, 16ms));
	EXPECT_EQ(w.stalls(), 2);
}

TEST(CheckWindow, ThreeProbesAndOneMorePerStall)
{
	const auto t0 = CheckWindow::Clock::time_point{} + 1s;
	CheckWindow w(t0, 60ms, 240ms);
	EXPECT_TRUE(w.probe_due(0, t0));
	EXPECT_FALSE(w.probe_due(1, t0 + 19ms));
	EXPECT_TRUE(w.probe_due(1, t0 + 20ms));
	EXPECT_TRUE(w.probe_due(2, t0 + 40ms));
	EXPECT_FALSE(w.probe_due(3, t0 + 59ms));
	EXPECT_FALSE(w.probe_due(3, t0 + 500ms));
	w.slept(t0 + 40ms, t0 + 150ms, 20ms);
	// After the stall a fresh probe goes out at once.
	EXPECT_TRUE(w.probe_due(3, t0 + 150ms));
	EXPECT_FALSE(w.probe_due(4, t0 + 150ms));
	for (int i = 0; i < 10; ++i)
		w.slept(t0, t0 + 30ms, 20ms); // small stalls, each earns a probe
	EXPECT_TRUE(w.probe_due(5, t0 + 150ms));
	EXPECT_FALSE(w.probe_due(6, t0 + 150ms));	// six at most
}
