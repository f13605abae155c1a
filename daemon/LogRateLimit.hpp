// SPDX-License-Identifier: GPL-2.0
// LogRateLimit: lets one message of a kind through per interval and counts
// the ones it held back, so a flood (thousands of refused backends, a full
// descriptor table) costs one log line per interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace tcpfo {

class LogRateLimit {
public:
	using Clock = std::chrono::steady_clock;

	explicit LogRateLimit(Clock::duration interval) : interval_(interval) {}

	// If this occurrence may be logged: how many were held back since
	// the last one that was. nullopt: hold this one back.
	std::optional<std::uint64_t> allow(Clock::time_point now = Clock::now())
	{
		if (logged_once_ && now - last_ < interval_) {
			held_back_++;
			return std::nullopt;
		}
		logged_once_ = true;
		last_ = now;
		std::uint64_t held = held_back_;
		held_back_ = 0;
		return held;
	}

private:
	Clock::duration interval_;
	Clock::time_point last_{};
	bool logged_once_ = false;
	std::uint64_t held_back_ = 0;
};

} // namespace tcpfo
