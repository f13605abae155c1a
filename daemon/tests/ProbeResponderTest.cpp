// SPDX-License-Identifier: GPL-2.0
// ProbeResponder against the real probe client (probe_peer) over loopback:
// the answer, a listener handed over with a connection already waiting in
// it, a newer primary reported, and a probe with the wrong key refused.
#include "EventLoop.hpp"
#include "Logger.hpp"
#include "ProbeResponder.hpp"
#include "Sockets.hpp"
#include "StateLink.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <sstream>
#include <string>
#include <thread>

using namespace tcpfo;
using namespace std::chrono_literals;

namespace {

wire::Key key_with(std::uint8_t v)
{
	wire::Key k;
	k.fill(v);
	return k;
}

// A listener on 127.0.0.1 with a kernel-chosen port, and where it is.
std::pair<UniqueFd, Endpoint> loopback_listener()
{
	Endpoint any;	// 127.0.0.1, port 0: the kernel picks one
	any.address = Endpoint::parse("127.0.0.1:1").address;
	UniqueFd fd = listen_socket(any, "test");
	const Endpoint at = local_endpoint(fd.get());
	return {std::move(fd), at};
}

Config prober(const Endpoint &to, std::uint8_t key)
{
	Config c;
	c.node = "returning";
	c.role = Role::primary;
	c.mode = Mode::sync;
	c.peer.address = to;
	PeerKey k;
	k.fill(key);
	c.peer.key = k;
	return c;
}

// Runs the loop until the probe (on its own thread) returns.
std::optional<PeerHello> probe_while_running(EventLoop &loop, const Config &c,
					     std::uint64_t epoch)
{
	auto answer = std::async(std::launch::async,
				 [&] { return probe_peer(c, epoch, 2000ms); });
	while (answer.wait_for(0ms) != std::future_status::ready)
		loop.run_for(10ms);
	return answer.get();
}

} // namespace

TEST(ProbeResponder, AnswersWithItsRoleAndEpoch)
{
	EventLoop loop;
	std::ostringstream logged;
	Logger log("failoverd", "gw2", LogLevel::debug, logged);
	auto [fd, at] = loopback_listener();
	ProbeResponder r(loop, log, key_with(7), "gw2", wire::LinkMode::sync, 5);
	r.listen(std::move(fd), at);
	const auto h = probe_while_running(loop, prober(at, 7), 1);
	ASSERT_TRUE(h);
	EXPECT_EQ(h->node, "gw2");
	EXPECT_TRUE(h->primary);
	EXPECT_EQ(h->epoch, 5u);
	EXPECT_NE(logged.str().find("'returning' asked who is primary"), std::string::npos);
}

TEST(ProbeResponder, KeepsAConnectionWaitingInAHandedOverListener)
{
	EventLoop loop;
	std::ostringstream logged;
	Logger log("failoverd", "gw2", LogLevel::debug, logged);
	auto [fd, at] = loopback_listener();
	// The probe connects and sends its hello while nobody watches the
	// listener (as while a state link stops and a takeover begins).
	auto answer = std::async(std::launch::async,
				 [&, at = at] { return probe_peer(prober(at, 9), 1, 2000ms); });
	std::this_thread::sleep_for(100ms);
	ProbeResponder r(loop, log, key_with(9), "gw2", wire::LinkMode::async, 3);
	r.listen(std::move(fd), at);
	while (answer.wait_for(0ms) != std::future_status::ready)
		loop.run_for(10ms);
	const auto h = answer.get();
	ASSERT_TRUE(h);
	EXPECT_EQ(h->epoch, 3u);
	// And the listener goes on to the next owner, still listening.
	UniqueFd again = r.take_listener();
	ASSERT_TRUE(again);
	ProbeResponder next(loop, log, key_with(9), "gw2", wire::LinkMode::async, 4);
	next.listen(std::move(again), at);
	const auto h2 = probe_while_running(loop, prober(at, 9), 1);
	ASSERT_TRUE(h2);
	EXPECT_EQ(h2->epoch, 4u);
}

TEST(ProbeResponder, ReportsANewerPrimary)
{
	EventLoop loop;
	std::ostringstream logged;
	Logger log("failoverd", "gw2", LogLevel::debug, logged);
	auto [fd, at] = loopback_listener();
	ProbeResponder r(loop, log, key_with(1), "gw2", wire::LinkMode::sync, 2);
	std::string node;
	std::uint64_t epoch = 0;
	r.on_newer_primary([&](const std::string &n, std::uint64_t e) {
		node = n;
		epoch = e;
	});
	r.listen(std::move(fd), at);
	ASSERT_TRUE(probe_while_running(loop, prober(at, 1), 2));	// not newer
	EXPECT_EQ(epoch, 0u);
	ASSERT_TRUE(probe_while_running(loop, prober(at, 1), 6));
	EXPECT_EQ(node, "returning");
	EXPECT_EQ(epoch, 6u);
}

TEST(ProbeResponder, RefusesAProbeWithAnotherKey)
{
	EventLoop loop;
	std::ostringstream logged;
	Logger log("failoverd", "gw2", LogLevel::debug, logged);
	auto [fd, at] = loopback_listener();
	ProbeResponder r(loop, log, key_with(1), "gw2", wire::LinkMode::sync, 2);
	bool newer = false;
	r.on_newer_primary([&](const std::string &, std::uint64_t) { newer = true; });
	r.listen(std::move(fd), at);
	EXPECT_FALSE(probe_while_running(loop, prober(at, 2), 9));
	EXPECT_FALSE(newer);
	EXPECT_EQ(logged.str().find("asked who is primary"), std::string::npos);
}
