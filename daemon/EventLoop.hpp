// SPDX-License-Identifier: GPL-2.0
// EventLoop: one epoll instance dispatching readiness to handlers until
// stop(), plus work deferred to the end of the current round. Single-
// threaded; handlers may add or remove descriptors.
#pragma once

#include "UniqueFd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace tcpfo {

class EventLoop {
public:
	using Handler = std::function<void(std::uint32_t events)>;
	using Task = std::function<void()>;

	EventLoop();

	// Watches fd (not owned) for `events` (EPOLLIN, ..., EPOLLET).
	void add(int fd, std::uint32_t events, Handler handler);
	// Stops watching fd; call before closing it. Events already fetched
	// for it are not delivered, not even to a handler that reuses the
	// same descriptor number later in the round.
	void remove(int fd);

	// Runs `task` once, after the handlers of the current round (so the
	// next round does not wait for new events). For work a handler cut
	// short to be fair to others.
	void defer(Task task);

	// Dispatches until stop() is called from a handler.
	void run();
	// Dispatches for `budget` (at least one round, which does not wait
	// when the budget is zero), or until stop(). A handler may call it
	// to keep others served during long work; handlers it dispatches
	// must then expect to be entered while that one is running.
	void run_for(std::chrono::milliseconds budget);
	void stop() noexcept { stopping_ = true; }
	bool stopping() const noexcept { return stopping_; }

private:
	// One round: waits up to timeout_ms (-1: forever) for events,
	// dispatches them, then runs the deferred tasks.
	void round(int timeout_ms);

	struct Watch {
		std::uint32_t generation;
		// shared_ptr: a handler that removes itself stays alive until
		// it returns.
		std::shared_ptr<Handler> handler;
	};

	UniqueFd epoll_;
	std::unordered_map<int, Watch> watches_;
	std::uint32_t next_generation_ = 0;
	std::vector<Task> deferred_;
	bool stopping_ = false;
};

} // namespace tcpfo
