// SPDX-License-Identifier: GPL-2.0
#include "Mode.hpp"

namespace tcpfo {

std::optional<Mode> parse_mode(std::string_view text)
{
	if (text == "sync")
		return Mode::sync;
	if (text == "async")
		return Mode::async;
	return std::nullopt;
}

std::string to_string(Mode mode)
{
	switch (mode) {
	case Mode::sync:
		return "sync";
	case Mode::async:
		return "async";
	}
	return "unknown(" + std::to_string(static_cast<std::uint32_t>(mode)) + ")";
}

} // namespace tcpfo
