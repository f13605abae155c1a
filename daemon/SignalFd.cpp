// SPDX-License-Identifier: GPL-2.0
#include "SignalFd.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tcpfo {

SignalFd::SignalFd(std::initializer_list<int> signals)
{
	sigset_t set;
	sigemptyset(&set);
	for (int s : signals)
		sigaddset(&set, s);
	// Blocked first, so a signal that arrives early waits in the queue.
	if (int err = pthread_sigmask(SIG_BLOCK, &set, &previous_); err != 0)
		throw std::system_error(err, std::system_category(),
					"blocking signals");
	fd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
	if (!fd_) {
		int err = errno;
		pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
		throw std::system_error(err, std::system_category(), "signalfd");
	}
}

SignalFd::~SignalFd()
{
	fd_.reset();
	pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<int> SignalFd::next()
{
	signalfd_siginfo info;
	ssize_t n = ::read(fd_.get(), &info, sizeof(info));
	if (n == static_cast<ssize_t>(sizeof(info)))
		return static_cast<int>(info.ssi_signo);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return std::nullopt;
	throw std::system_error(n < 0 ? errno : EIO, std::system_category(),
				"reading signalfd");
}

} // namespace tcpfo
