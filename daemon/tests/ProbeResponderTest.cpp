// SPDX-License-Identifier: GPL-2.0
// ProbeResponder against the real probe client (probe_peer) over loopback:
// the answer, a listener handed over with a connection already waiting in
// it, a newer primary reported, a probe with the wrong key refused, and a
// hello the loop never read answered before the responder goes.
#include "EventLoop.hpp"
#include "Logger.hpp"
#include "ProbeResponder.hpp"
#include "Sockets.hpp"
#include "StateLink.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

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

namespace {

// A connected pair over a loopback listener: the asking side (blocking)
// and the accepted side (non-blocking), as a responder's on_accept has it.
std::pair<UniqueFd, UniqueFd> connected_pair()
{
	auto [fd, at] = loopback_listener();
	UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	const SocketAddress sa = to_socket_address(at);
	EXPECT_EQ(::connect(client.get(), sa.get(), sa.length), 0);
	UniqueFd accepted(::accept4(fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
	EXPECT_TRUE(accepted);
	return {std::move(client), std::move(accepted)};
}

std::vector<std::uint8_t> hello_of(const std::string &node, std::uint64_t epoch, std::uint8_t key)
{
	const wire::Hello asking{node, wire::Role::primary, wire::LinkMode::sync, epoch,
				 wire::random_nonce()};
	return wire::FrameEncoder::encode_hello(key_with(key), wire::encode(asking));
}

void send_all(int fd, std::span<const std::uint8_t> bytes)
{
	ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
}

// Waits until fd has something to read.
void wait_readable(int fd)
{
	pollfd p{fd, POLLIN, 0};
	ASSERT_EQ(::poll(&p, 1, 2000), 1);
}

// What the asking side got: the answer's hello, or nullopt for end of
// stream or a reset.
std::optional<wire::Hello> answer_of(int client, std::uint8_t key)
{
	pollfd c{client, POLLIN, 0};
	if (::poll(&c, 1, 2000) != 1)
		return std::nullopt;
	std::uint8_t buf[4096];
	const ssize_t n = ::recv(client, buf, sizeof(buf), 0);
	if (n <= 0)
		return std::nullopt;
	wire::FrameDecoder d(key_with(key));
	d.feed(std::span(buf, static_cast<std::size_t>(n)));
	const auto f = d.next();
	if (!f)
		return std::nullopt;
	return wire::decode_hello(f->payload);
}

} // namespace

// A probe accepted while the loop had no turn for it (a takeover at
// work): its hello arrived later and was never read. answer_pending()
// answers it before the responder goes; closed unanswered, the asking
// node would get a reset and ask again.
TEST(ProbeResponder, AnswersAPendingHelloBeforeItGoes)
{
	for (const bool answer_first : {true, false}) {
		EventLoop loop;
		std::ostringstream logged;
		Logger log("failoverd", "gw2", LogLevel::debug, logged);
		auto [client, accepted] = connected_pair();
		const int peer = accepted.get();
		{
			ProbeResponder r(loop, log, key_with(7), "gw2", wire::LinkMode::sync, 5);
			r.adopt(std::move(accepted));
			send_all(client.get(), hello_of("returning", 1, 7));
			wait_readable(peer);	// in the accepted socket's queue
			if (answer_first)
				r.answer_pending();
		}	// the responder goes; the loop never ran
		const auto h = answer_of(client.get(), 7);
		if (!answer_first) {
			EXPECT_FALSE(h);
			continue;
		}
		ASSERT_TRUE(h);
		EXPECT_EQ(h->node, "gw2");
		EXPECT_EQ(h->role, wire::Role::primary);
		EXPECT_EQ(h->epoch, 5u);
		EXPECT_NE(logged.str().find("'returning' asked who is primary"), std::string::npos);
	}
}

// A probe whose hello has not come when its responder goes (the end of a
// takeover) is handed to the next responder (the state link's), which
// answers it on the same connection once the hello comes, even if the
// first one had read half of it.
TEST(ProbeResponder, HandsAProbeWithoutHelloToTheNextResponder)
{
	EventLoop loop;
	std::ostringstream logged;
	Logger log("failoverd", "gw2", LogLevel::debug, logged);
	auto [client, accepted] = connected_pair();
	const int peer = accepted.get();
	const auto hello = hello_of("returning", 1, 7);
	const std::size_t half = hello.size() / 2;
	std::vector<ProbeResponder::Pending> pending;
	{
		ProbeResponder taking_over(loop, log, key_with(7), "gw2", wire::LinkMode::sync, 5);
		taking_over.adopt(std::move(accepted));
		send_all(client.get(), std::span(hello).first(half));
		wait_readable(peer);
		taking_over.answer_pending();	// reads the half, answers nothing
		pending = taking_over.take_pending();
	}
	ASSERT_EQ(pending.size(), 1u);
	EXPECT_EQ(logged.str().find("asked who is primary"), std::string::npos);
	// Nothing reached the asking node: neither an answer nor an end.
	pollfd c{client.get(), POLLIN, 0};
	EXPECT_EQ(::poll(&c, 1, 50), 0);

	ProbeResponder link(loop, log, key_with(7), "gw2", wire::LinkMode::sync, 6);
	link.adopt(std::move(pending.front()));
	send_all(client.get(), std::span(hello).subspan(half));
	auto answer = std::async(std::launch::async, [&] { return answer_of(client.get(), 7); });
	while (answer.wait_for(0ms) != std::future_status::ready)
		loop.run_for(10ms);
	const auto h = answer.get();
	ASSERT_TRUE(h);
	EXPECT_EQ(h->epoch, 6u);
	EXPECT_NE(logged.str().find("'returning' asked who is primary"), std::string::npos);
}
