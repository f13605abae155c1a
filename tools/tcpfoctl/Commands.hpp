// SPDX-License-Identifier: GPL-2.0
// tcpfoctl's commands: argument checking, the kernel requests, and output
// as aligned columns or JSON.
#pragma once

#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tcpfo {

// The command line is wrong (exit 2), as opposed to a failed request.
class UsageError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

struct GlobalOptions {
	bool json = false;
	std::string control_socket = "/run/tcpfo/failoverd.sock";
};

// Runs `args` (the command and its words). Throws UsageError, or
// ModuleNotLoaded / KernelError / std::system_error when a request fails.
void run_command(const GlobalOptions &options,
		 std::span<const std::string_view> args, std::ostream &out);

} // namespace tcpfo
