// SPDX-License-Identifier: GPL-2.0
// TimerQueue: one-shot timers on the event loop, any number of them behind
// one timerfd (armed for the earliest deadline), so a timer per flow costs
// no descriptor.
#pragma once

#include "EventLoop.hpp"
#include "UniqueFd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>

namespace tcpfo {

class TimerQueue {
public:
	using Clock = std::chrono::steady_clock;
	using Callback = std::function<void()>;

	// Names one started timer; ordered by deadline, then by start.
	struct Id {
		Clock::time_point deadline;
		std::uint64_t sequence = 0;
		friend auto operator<=>(const Id &, const Id &) = default;
	};

	explicit TimerQueue(EventLoop &loop);
	~TimerQueue();
	TimerQueue(const TimerQueue &) = delete;
	TimerQueue &operator=(const TimerQueue &) = delete;

	// Calls `callback` on the loop once `after` has passed.
	Id start(Clock::duration after, Callback callback);
	// Forgets a timer; nothing happens if it already fired.
	void cancel(const Id &id) noexcept;

	std::size_t pending() const noexcept { return timers_.size(); }

private:
	void on_expiry();
	void arm();

	EventLoop &loop_;
	UniqueFd fd_;
	std::map<Id, Callback> timers_;
	std::uint64_t next_sequence_ = 0;
	Clock::time_point armed_for_{};
	bool armed_ = false;
};

} // namespace tcpfo
