// SPDX-License-Identifier: GPL-2.0
// The time a liveness check (the standby's ARP / neighbour probes of the
// primary's VIP) waits for an answer, robust to the checker being stalled.
//
// A check that gives the primary @wait to answer must not count time in
// which the checker itself did not run: when a poll returns later than it
// asked for (a starved or frozen host: the test VM under TCG freezes for
// 100 to 200 ms at a time), the primary was most likely stalled too, and
// its answer is late, not missing. Such oversleep is added back to the
// window, up to @max_extra in all, and each stall earns one more probe,
// so that a fresh one goes out after it.
#pragma once

#include <algorithm>
#include <chrono>

namespace tcpfo {

class CheckWindow {
public:
	using Clock = std::chrono::steady_clock;

	// Oversleep up to @slack is ordinary scheduling noise.
	CheckWindow(Clock::time_point start, Clock::duration wait, Clock::duration max_extra,
		    Clock::duration slack = std::chrono::milliseconds(5))
		: start_(start), wait_(wait), deadline_(start + wait), max_extra_(max_extra),
		  slack_(slack)
	{
	}

	bool over(Clock::time_point now) const { return now >= deadline_; }
	Clock::duration left(Clock::time_point now) const
	{
		return over(now) ? Clock::duration::zero() : deadline_ - now;
	}

	// A wait that began at @before and asked for @asked ended at @after.
	// Returns whether it was a stall (and the window grew).
	bool slept(Clock::time_point before, Clock::time_point after, Clock::duration asked)
	{
		const Clock::duration over_by = after - before - asked;
		if (over_by <= slack_ || extra_ >= max_extra_)
			return false;
		const Clock::duration add = std::min(over_by, max_extra_ - extra_);
		extra_ += add;
		deadline_ += add;
		++stalls_;
		return true;
	}

	// Whether probe number @sent (0-based) is due at @now: three spread
	// over the wait, then one more after each stall, six at most.
	bool probe_due(int sent, Clock::time_point now) const
	{
		if (sent >= std::min(3 + stalls_, 6))
			return false;
		return now >= start_ + sent * wait_ / 3;
	}

	Clock::duration extended() const { return extra_; }
	int stalls() const { return stalls_; }

private:
	Clock::time_point start_;
	Clock::duration wait_;
	Clock::time_point deadline_;
	Clock::duration max_extra_;
	Clock::duration slack_;
	Clock::duration extra_{};
	int stalls_ = 0;
};

} // namespace tcpfo
