// SPDX-License-Identifier: GPL-2.0
#include "TimerQueue.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tcpfo {

// steady_clock is CLOCK_MONOTONIC on Linux, so its time points are what
// an absolute timerfd deadline expects.
TimerQueue::TimerQueue(EventLoop &loop)
	: loop_(loop),
	  fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC))
{
	if (!fd_)
		throw std::system_error(errno, std::system_category(),
					"timerfd_create");
	loop_.add(fd_.get(), EPOLLIN, [this](std::uint32_t) { on_expiry(); });
}

TimerQueue::~TimerQueue()
{
	loop_.remove(fd_.get());
}

TimerQueue::Id TimerQueue::start(Clock::duration after, Callback callback)
{
	Id id{Clock::now() + after, ++next_sequence_};
	timers_.emplace(id, std::move(callback));
	arm();
	return id;
}

void TimerQueue::cancel(const Id &id) noexcept
{
	// Left armed for the old earliest deadline: one spurious wakeup is
	// cheaper than a syscall per cancel.
	timers_.erase(id);
}

void TimerQueue::arm()
{
	if (timers_.empty())
		return;
	Clock::time_point first = timers_.begin()->first.deadline;
	if (armed_ && armed_for_ <= first)
		return;
	auto since_epoch = first.time_since_epoch();
	auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
	auto nsecs = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs);
	itimerspec spec{};
	spec.it_value.tv_sec = secs.count();
	spec.it_value.tv_nsec = nsecs.count();
	// Zero would disarm: a deadline at the epoch is simply due.
	if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0)
		spec.it_value.tv_nsec = 1;
	if (::timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
		throw std::system_error(errno, std::system_category(),
					"timerfd_settime");
	armed_ = true;
	armed_for_ = first;
}

void TimerQueue::on_expiry()
{
	std::uint64_t expirations;
	(void)!::read(fd_.get(), &expirations, sizeof(expirations));
	armed_ = false;

	Clock::time_point now = Clock::now();
	while (!timers_.empty() && timers_.begin()->first.deadline <= now) {
		// Out of the map before the call: a callback may start or
		// cancel timers.
		auto node = timers_.extract(timers_.begin());
		node.mapped()();
	}
	arm();
}

} // namespace tcpfo
