// SPDX-License-Identifier: GPL-2.0
// RelaySettings: the [relay] section of the config — how each relayed
// flow's sockets and pipes are sized and how long a backend may take to
// answer. A change applies to flows accepted afterwards.
#pragma once

#include <chrono>
#include <cstdint>

namespace tcpfo {

struct RelaySettings {
	// F_SETPIPE_SZ of each direction's pipe: with TCP_NOTSENT_LOWAT,
	// what bounds the bytes a flow holds in the gateway.
	std::uint64_t pipe_size = 64 * 1024;
	// TCP_NOTSENT_LOWAT on both legs: unsent bytes a socket accepts
	// before it stops being writable.
	std::uint64_t notsent_lowat = 128 * 1024;
	// How long connect() to the backend may take.
	std::chrono::microseconds connect_timeout{5'000'000};

	friend bool operator==(const RelaySettings &, const RelaySettings &) = default;
};

inline constexpr std::uint64_t min_pipe_size = 4 * 1024;
inline constexpr std::uint64_t max_pipe_size = 16 * 1024 * 1024;
// Zero would never let a socket become writable.
inline constexpr std::uint64_t min_notsent_lowat = 1024;
inline constexpr std::uint64_t max_notsent_lowat = 1024 * 1024 * 1024;
inline constexpr std::chrono::microseconds min_connect_timeout{1000};
inline constexpr std::chrono::microseconds max_connect_timeout{600'000'000};

} // namespace tcpfo
