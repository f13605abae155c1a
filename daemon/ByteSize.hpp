// SPDX-License-Identifier: GPL-2.0
// Byte sizes as operators write them in the config: "65536", "64K",
// "64KiB", "1M", "1MiB" (K and M are binary: 1024 and 1024*1024).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tcpfo {

// Throws ParseError("bad size 'abc' ...").
std::uint64_t parse_byte_size(std::string_view text);

// The largest binary unit that is exact: 64KiB, 16MiB, 1000.
std::string format_byte_size(std::uint64_t bytes);

} // namespace tcpfo
