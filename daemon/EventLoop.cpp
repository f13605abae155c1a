// SPDX-License-Identifier: GPL-2.0
#include "EventLoop.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <iterator>
#include <system_error>

namespace tcpfo {

namespace {

// epoll hands back 64 bits per event: the descriptor and the generation
// of its registration, so that an event fetched for a descriptor that was
// closed and reused within one round reaches no one.
std::uint64_t event_tag(int fd, std::uint32_t generation)
{
	return static_cast<std::uint64_t>(generation) << 32 |
	       static_cast<std::uint32_t>(fd);
}

} // namespace

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC))
{
	if (!epoll_)
		throw std::system_error(errno, std::system_category(),
					"epoll_create1");
}

void EventLoop::add(int fd, std::uint32_t events, Handler handler)
{
	std::uint32_t generation = ++next_generation_;
	epoll_event ev{};
	ev.events = events;
	ev.data.u64 = event_tag(fd, generation);
	if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
		throw std::system_error(errno, std::system_category(),
					"epoll_ctl add fd " + std::to_string(fd));
	watches_[fd] = {generation, std::make_shared<Handler>(std::move(handler))};
}

void EventLoop::remove(int fd)
{
	if (watches_.erase(fd) == 0)
		return;
	if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0 &&
	    errno != EBADF && errno != ENOENT)
		throw std::system_error(errno, std::system_category(),
					"epoll_ctl del fd " + std::to_string(fd));
}

void EventLoop::defer(Task task)
{
	deferred_.push_back(std::move(task));
}

void EventLoop::run()
{
	stopping_ = false;
	while (!stopping_)
		round(deferred_.empty() ? -1 : 0);
}

void EventLoop::run_for(std::chrono::milliseconds budget)
{
	using Clock = std::chrono::steady_clock;
	const auto deadline = Clock::now() + budget;
	do {
		const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - Clock::now());
		round(deferred_.empty() ? static_cast<int>(std::max<long>(0, left.count())) : 0);
	} while (!stopping_ && Clock::now() < deadline);
}

void EventLoop::round(int timeout_ms)
{
	std::array<epoll_event, 64> events;
	int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
			     timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return;
		throw std::system_error(errno, std::system_category(), "epoll_wait");
	}
	for (int i = 0; i < n && !stopping_; i++) {
		auto fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
		auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
		auto it = watches_.find(fd);
		if (it == watches_.end() || it->second.generation != generation)
			continue; // removed by an earlier handler
		std::shared_ptr<Handler> handler = it->second.handler;
		(*handler)(events[i].events);
	}
	// Tasks deferred by these run now; theirs wait a round.
	std::vector<Task> tasks;
	tasks.swap(deferred_);
	std::size_t done = 0;
	while (done < tasks.size() && !stopping_)
		tasks[done++]();
	// Stopped part-way: the rest stay for a later run().
	deferred_.insert(deferred_.begin(),
			 std::make_move_iterator(tasks.begin() + static_cast<std::ptrdiff_t>(done)),
			 std::make_move_iterator(tasks.end()));
}

} // namespace tcpfo
