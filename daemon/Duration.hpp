// SPDX-License-Identifier: GPL-2.0
// Durations as operators write them in the config: "50ms", "1s", "1.5s",
// "250us". A unit is required: a bare "50" is ambiguous.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace tcpfo {

// Throws ParseError("bad duration 'abc' ...").
std::chrono::microseconds parse_duration(std::string_view text);

// The largest unit that is exact: 50ms, 2s, 1500us.
std::string to_string(std::chrono::microseconds d);

} // namespace tcpfo
