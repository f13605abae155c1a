// SPDX-License-Identifier: GPL-2.0
// SignalFd: the given signals blocked and delivered through a signalfd, so
// the event loop handles them like any other input. Restores the previous
// signal mask when destroyed.
#pragma once

#include "UniqueFd.hpp"

#include <signal.h>

#include <initializer_list>
#include <optional>

namespace tcpfo {

class SignalFd {
public:
	explicit SignalFd(std::initializer_list<int> signals);
	~SignalFd();
	SignalFd(const SignalFd &) = delete;
	SignalFd &operator=(const SignalFd &) = delete;

	int fd() const noexcept { return fd_.get(); }

	// The next pending signal number, or nullopt if none is pending.
	std::optional<int> next();

private:
	sigset_t previous_{};
	UniqueFd fd_;
};

} // namespace tcpfo
