// SPDX-License-Identifier: GPL-2.0
// ParseError: operator input (an address, a service line, a config value)
// that does not mean anything. The message quotes the offending text.
#pragma once

#include <stdexcept>

namespace tcpfo {

class ParseError : public std::invalid_argument {
public:
	using std::invalid_argument::invalid_argument;
};

} // namespace tcpfo
