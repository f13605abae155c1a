// SPDX-License-Identifier: GPL-2.0
// Mode: how the module releases bytes relative to replication
// (enum tcpfo_mode in the UAPI header).
#pragma once

#include <linux/tcpfo.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpfo {

enum class Mode : std::uint32_t {
	async = TCPFO_MODE_ASYNC,
	sync = TCPFO_MODE_SYNC,
};

// "sync" or "async"; nullopt for anything else.
std::optional<Mode> parse_mode(std::string_view text);

// "sync", "async", or "unknown(N)" for a value this build does not know.
std::string to_string(Mode mode);

} // namespace tcpfo
