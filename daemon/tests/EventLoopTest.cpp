// SPDX-License-Identifier: GPL-2.0
#include "EventLoop.hpp"
#include "SignalFd.hpp"
#include "UniqueFd.hpp"

#include <gtest/gtest.h>

#include <sys/epoll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <vector>

using namespace tcpfo;

TEST(EventLoop, DeliversSignalsThroughSignalFd)
{
	EventLoop loop;
	SignalFd signals({SIGUSR1, SIGUSR2});
	std::vector<int> seen;
	loop.add(signals.fd(), EPOLLIN, [&](std::uint32_t) {
		while (auto s = signals.next()) {
			seen.push_back(*s);
			if (*s == SIGUSR2)
				loop.stop();
		}
	});
	// Blocked, so they wait in the queue instead of killing the test.
	ASSERT_EQ(raise(SIGUSR1), 0);
	ASSERT_EQ(raise(SIGUSR2), 0);
	loop.run();
	EXPECT_EQ(seen, (std::vector<int>{SIGUSR1, SIGUSR2}));
}

TEST(EventLoop, SignalFdRestoresTheMask)
{
	sigset_t before, after;
	pthread_sigmask(SIG_SETMASK, nullptr, &before);
	{
		SignalFd signals({SIGUSR1});
		sigset_t during;
		pthread_sigmask(SIG_SETMASK, nullptr, &during);
		EXPECT_TRUE(sigismember(&during, SIGUSR1));
	}
	pthread_sigmask(SIG_SETMASK, nullptr, &after);
	EXPECT_EQ(sigismember(&before, SIGUSR1), sigismember(&after, SIGUSR1));
}

TEST(EventLoop, HandlerMayRemoveAnotherReadyDescriptor)
{
	int a[2], b[2];
	ASSERT_EQ(pipe(a), 0);
	ASSERT_EQ(pipe(b), 0);
	UniqueFd ar(a[0]), aw(a[1]), br(b[0]), bw(b[1]);
	ASSERT_EQ(write(aw.get(), "x", 1), 1);
	ASSERT_EQ(write(bw.get(), "x", 1), 1);

	int stop_pipe[2];
	ASSERT_EQ(pipe(stop_pipe), 0);
	UniqueFd sr(stop_pipe[0]), sw(stop_pipe[1]);

	EventLoop loop;
	int calls = 0;
	// Whichever runs first removes both and asks to stop on the next
	// round: exactly one call, no dangling handler.
	auto first = [&](std::uint32_t) {
		calls++;
		loop.remove(ar.get());
		loop.remove(br.get());
		ASSERT_EQ(write(sw.get(), "x", 1), 1);
	};
	loop.add(ar.get(), EPOLLIN, first);
	loop.add(br.get(), EPOLLIN, first);
	loop.add(sr.get(), EPOLLIN, [&](std::uint32_t) { loop.stop(); });
	loop.run();
	EXPECT_EQ(calls, 1);
}

TEST(UniqueFd, ClosesOnceAndMoves)
{
	int p[2];
	ASSERT_EQ(pipe(p), 0);
	UniqueFd w(p[1]);
	{
		UniqueFd r(p[0]);
		UniqueFd moved = std::move(r);
		EXPECT_FALSE(r);
		EXPECT_EQ(moved.get(), p[0]);
	}
	// The read end is closed: writing fails with EPIPE, not EBADF.
	signal(SIGPIPE, SIG_IGN);
	EXPECT_EQ(write(w.get(), "x", 1), -1);
	EXPECT_EQ(errno, EPIPE);
}

TEST(EventLoop, DeferredTasksRunAfterTheRoundWithoutWaitingForEvents)
{
	EventLoop loop;
	int p[2];
	ASSERT_EQ(pipe(p), 0);
	UniqueFd r(p[0]), w(p[1]);
	ASSERT_EQ(write(w.get(), "x", 1), 1);

	std::vector<std::string> order;
	int rounds_left = 3;
	std::function<void()> again = [&] {
		order.push_back("task");
		// Nothing else will ever be ready: only deferral keeps it going.
		if (--rounds_left > 0)
			loop.defer(again);
		else
			loop.stop();
	};
	loop.add(r.get(), EPOLLIN, [&](std::uint32_t) {
		char c;
		ASSERT_EQ(read(r.get(), &c, 1), 1);
		order.push_back("handler");
		loop.defer(again);
		order.push_back("handler done");
	});
	loop.run();
	EXPECT_EQ(order, (std::vector<std::string>{"handler", "handler done", "task",
						   "task", "task"}));
}

// fd numbers are reused at once: an event fetched for a descriptor that a
// handler closed must not reach the handler of a new descriptor that got
// the same number in the same round.
TEST(EventLoop, StaleEventsDoNotReachANewDescriptorWithTheSameNumber)
{
	EventLoop loop;
	int a[2], b[2];
	ASSERT_EQ(pipe(a), 0);
	ASSERT_EQ(pipe(b), 0);
	// Both read ends ready: one round fetches an event for each.
	UniqueFd ar(a[0]), aw(a[1]), br(b[0]), bw(b[1]);
	ASSERT_EQ(write(aw.get(), "x", 1), 1);
	ASSERT_EQ(write(bw.get(), "x", 1), 1);

	int stop_pipe[2];
	ASSERT_EQ(pipe(stop_pipe), 0);
	UniqueFd sr(stop_pipe[0]), sw(stop_pipe[1]);

	int first_calls = 0, reused_calls = 0;
	std::vector<UniqueFd> fresh;
	// Whichever runs first closes both and opens a pipe, whose ends take
	// the two numbers just freed; both are watched but never readable.
	auto first = [&](std::uint32_t) {
		first_calls++;
		loop.remove(ar.get());
		loop.remove(br.get());
		ar.reset();
		br.reset();
		int q[2];
		ASSERT_EQ(pipe(q), 0);
		for (int fd : q) {
			fresh.emplace_back(fd);
			loop.add(fd, EPOLLIN, [&](std::uint32_t) { reused_calls++; });
		}
		ASSERT_EQ(write(sw.get(), "x", 1), 1);
	};
	loop.add(ar.get(), EPOLLIN, first);
	loop.add(br.get(), EPOLLIN, first);
	loop.add(sr.get(), EPOLLIN, [&](std::uint32_t) { loop.stop(); });
	loop.run();
	EXPECT_EQ(first_calls, 1);
	EXPECT_EQ(reused_calls, 0) << "an old event reached a new descriptor";
}

// A handler doing long work (a takeover) runs the loop meanwhile: other
// descriptors are served inside it, and the budget bounds the wait.
TEST(EventLoop, RunForServesOthersFromInsideAHandler)
{
	EventLoop loop;
	int a[2], b[2];
	ASSERT_EQ(pipe(a), 0);
	ASSERT_EQ(pipe(b), 0);
	UniqueFd ar(a[0]), aw(a[1]), br(b[0]), bw(b[1]);
	std::vector<std::string> order;
	loop.add(br.get(), EPOLLIN, [&](std::uint32_t) {
		char c;
		ASSERT_EQ(read(br.get(), &c, 1), 1);
		order.push_back("other");
	});
	loop.add(ar.get(), EPOLLIN, [&](std::uint32_t) {
		char c;
		ASSERT_EQ(read(ar.get(), &c, 1), 1);
		order.push_back("long work starts");
		ASSERT_EQ(write(bw.get(), "y", 1), 1);
		loop.run_for(std::chrono::milliseconds(0));
		const auto t0 = std::chrono::steady_clock::now();
		loop.run_for(std::chrono::milliseconds(30));
		EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(30));
		order.push_back("long work ends");
		loop.stop();
	});
	ASSERT_EQ(write(aw.get(), "x", 1), 1);
	loop.run();
	EXPECT_EQ(order, (std::vector<std::string>{"long work starts", "other",
						   "long work ends"}));
}
