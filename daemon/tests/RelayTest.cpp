// SPDX-License-Identifier: GPL-2.0
// The relay on loopback, without the module: a fake FlowApi records what
// the relay tells the module (and refuses pairing with ENOENT, as the
// module does for flows it does not track), a backend server runs in the
// test, and clients check what arrives, byte for byte, and how each
// connection ends.
#include "EventLoop.hpp"
#include "FileLimit.hpp"
#include "GenlSocket.hpp"
#include "Relay.hpp"
#include "Sockets.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

using namespace tcpfo;
using namespace std::chrono_literals;

namespace {

// --- sockets in the test ---------------------------------------------------

UniqueFd blocking_socket(int family)
{
	UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!fd)
		throw std::system_error(errno, std::system_category(), "socket");
	return fd;
}

// A listener on loopback, port chosen by the kernel.
UniqueFd listen_on(const char *address, int backlog)
{
	Endpoint ep{Address::parse(address), 0};
	UniqueFd fd = blocking_socket(ep.family());
	SocketAddress sa = to_socket_address(ep);
	if (::bind(fd.get(), sa.get(), sa.length) != 0 || ::listen(fd.get(), backlog) != 0)
		throw std::system_error(errno, std::system_category(), "listen");
	return fd;
}

UniqueFd connect_to(const Endpoint &ep)
{
	UniqueFd fd = blocking_socket(ep.family());
	SocketAddress sa = to_socket_address(ep);
	if (::connect(fd.get(), sa.get(), sa.length) != 0)
		throw std::system_error(errno, std::system_category(),
					"connect " + ep.to_string());
	// A relay that hangs fails the test instead of the run.
	timeval tv{10, 0};
	::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

// Byte `offset` of stream `seed`: varies with both, so a lost, doubled or
// misplaced byte (or bytes of another flow) shows.
std::uint8_t pattern(std::uint64_t seed, std::uint64_t offset)
{
	std::uint64_t x = (offset + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0xBF58476D1CE4E5B9ull);
	return static_cast<std::uint8_t>(x >> 56 ^ offset / 4099);
}

bool write_pattern(int fd, std::uint64_t seed, std::uint64_t size)
{
	std::vector<std::uint8_t> buf(64 * 1024);
	for (std::uint64_t done = 0; done < size;) {
		std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
		for (std::size_t i = 0; i < n; i++)
			buf[i] = pattern(seed, done + i);
		std::size_t off = 0;
		while (off < n) {
			ssize_t w = ::send(fd, buf.data() + off, n - off, MSG_NOSIGNAL);
			if (w <= 0)
				return false;
			off += static_cast<std::size_t>(w);
		}
		done += n;
	}
	return true;
}

// How a stream read to its end went.
struct Received {
	std::uint64_t bytes = 0;
	std::uint64_t first_wrong = UINT64_MAX; // offset of the first bad byte
	int error = 0;				// errno that ended it, 0 for EOF
	std::string text;			// first bytes, for short messages
};

Received read_to_end(int fd, std::uint64_t seed = 0, bool check = false)
{
	Received r;
	std::vector<std::uint8_t> buf(64 * 1024);
	for (;;) {
		ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
		if (n == 0)
			return r;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r.error = errno;
			return r;
		}
		for (ssize_t i = 0; check && i < n; i++)
			if (buf[static_cast<std::size_t>(i)] != pattern(seed, r.bytes + static_cast<std::uint64_t>(i)) &&
			    r.first_wrong == UINT64_MAX)
				r.first_wrong = r.bytes + static_cast<std::uint64_t>(i);
		if (r.text.size() < 256)
			r.text.append(buf.begin(), buf.begin() + std::min<ssize_t>(n, 256));
		r.bytes += static_cast<std::uint64_t>(n);
	}
}

std::string read_exactly(int fd, std::size_t n)
{
	std::string s(n, '\0');
	std::size_t got = 0;
	while (got < n) {
		ssize_t r = ::recv(fd, s.data() + got, n - got, 0);
		if (r <= 0)
			break;
		got += static_cast<std::size_t>(r);
	}
	s.resize(got);
	return s;
}

void send_text(int fd, std::string_view text)
{
	ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL),
		  static_cast<ssize_t>(text.size()));
}

void close_with_rst(UniqueFd &fd)
{
	close_with_reset(fd);
}

// --- the backend -------------------------------------------------------

// Accepts on loopback and runs `handler` for each connection in a thread
// of its own; remembers where each connection came from.
class Backend {
public:
	using Handler = std::function<void(UniqueFd)>;

	Backend(const char *address, Handler handler)
		: listener_(listen_on(address, 4096)), handler_(std::move(handler))
	{
		endpoint_ = local_endpoint(listener_.get());
		acceptor_ = std::thread([this] { accept_loop(); });
	}
	~Backend()
	{
		// Wakes the blocked accept() with EINVAL.
		::shutdown(listener_.get(), SHUT_RDWR);
		acceptor_.join();
		for (auto &t : workers_)
			t.join();
	}

	const Endpoint &endpoint() const { return endpoint_; }
	std::vector<Endpoint> peers()
	{
		std::lock_guard lock(mutex_);
		return peers_;
	}

private:
	void accept_loop()
	{
		for (;;) {
			UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
			if (!fd) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				return;
			}
			timeval tv{10, 0};
			::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			std::lock_guard lock(mutex_);
			peers_.push_back(peer_endpoint(fd.get()));
			workers_.emplace_back([this, conn = std::make_shared<UniqueFd>(std::move(fd))] {
				handler_(std::move(*conn));
			});
		}
	}

	UniqueFd listener_;
	Endpoint endpoint_;
	Handler handler_;
	std::thread acceptor_;
	std::mutex mutex_;
	std::vector<std::thread> workers_;
	std::vector<Endpoint> peers_;
};

// --- the fake module ---------------------------------------------------

// Whether a socket is bound to `ep` (a fresh bind to it is refused).
bool port_is_bound(const Endpoint &ep)
{
	UniqueFd probe = blocking_socket(ep.family());
	SocketAddress sa = to_socket_address(ep);
	return ::bind(probe.get(), sa.get(), sa.length) != 0 && errno == EADDRINUSE;
}

// Whether a TCP socket with local address `ep` is listening, connecting
// or connected: /proc/net/tcp{,6} lists exactly those, not sockets that
// are only bound.
bool socket_in_use(const Endpoint &ep)
{
	char port[8];
	std::snprintf(port, sizeof(port), ":%04X", ep.port);
	const char *file = ep.family() == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp";
	std::ifstream in(file);
	std::string line;
	std::getline(in, line); // header
	while (std::getline(in, line)) {
		std::istringstream words(line);
		std::string slot, local;
		words >> slot >> local;
		if (local.size() > 5 && local.ends_with(port))
			return true;
	}
	return false;
}

class FakeModule : public FlowApi {
public:
	struct PairCall {
		FlowPair pair;
		bool l2_bound;		// the L2 socket was bound...
		bool l2_not_connected;	// ...and had not started connect()
	};

	void pair_flow(const FlowPair &pair) override
	{
		PairCall call{pair, false, false};
		if (inspect_l2_) {
			call.l2_bound = port_is_bound(pair.l2.back);
			call.l2_not_connected = !socket_in_use(pair.l2.back);
		}
		std::lock_guard lock(mutex_);
		pairs_.push_back(call);
		if (pair_error_)
			throw KernelError(pair_error_, "pairing flow", "");
	}
	void del_flow(const L1Tuple &l1) override
	{
		std::lock_guard lock(mutex_);
		dels_.push_back(l1);
		if (pair_error_ == ENOENT)
			throw KernelError(ENOENT, "deleting flow", "");
	}

	// 0: pairing succeeds (the module tracks every flow).
	void set_pair_error(int err) { pair_error_ = err; }
	// Reading /proc/net/tcp per call costs O(sockets): off for many flows.
	void inspect_l2(bool on) { inspect_l2_ = on; }
	std::vector<PairCall> pairs()
	{
		std::lock_guard lock(mutex_);
		return pairs_;
	}
	std::vector<L1Tuple> dels()
	{
		std::lock_guard lock(mutex_);
		return dels_;
	}

private:
	std::mutex mutex_;
	std::atomic<int> pair_error_{ENOENT};
	std::atomic<bool> inspect_l2_{true};
	std::vector<PairCall> pairs_;
	std::vector<L1Tuple> dels_;
};

// --- the relay under test ----------------------------------------------

// A Relay for one service on its own event loop thread.
class RelayUnderTest {
public:
	RelayUnderTest(FakeModule &module, const Endpoint &backend,
		       RelaySettings settings = {})
		: relay_(loop_, module, log_, settings)
	{
		Service web;
		web.name = "web";
		web.vip = {backend.address, 0}; // the kernel picks the port
		web.backend = backend;
		web.back_address = backend.address;
		if (!relay_.set_services({web}))
			throw std::runtime_error("relay did not listen: " + logged_.str());
		vip_ = *relay_.listening_on("web");

		int p[2];
		if (::pipe2(p, O_CLOEXEC) != 0)
			throw std::system_error(errno, std::system_category(), "pipe2");
		stop_read_.reset(p[0]);
		stop_write_.reset(p[1]);
		loop_.add(stop_read_.get(), EPOLLIN, [this](std::uint32_t) {
			relay_.stop();
			loop_.stop();
		});
		thread_ = std::thread([this] { loop_.run(); });
	}
	~RelayUnderTest() { stop(); }

	// Stops the relay (as SIGTERM does) and its thread.
	void stop()
	{
		if (!thread_.joinable())
			return;
		(void)!::write(stop_write_.get(), "x", 1);
		thread_.join();
	}

	const Endpoint &vip() const { return vip_; }
	RelayCounters counters() const { return relay_.counters(); }
	// Only once stopped: the loop thread writes it.
	std::string log() const { return logged_.str(); }

	// Waits up to 5 s for the relay to have no flows left.
	bool wait_idle()
	{
		for (auto deadline = std::chrono::steady_clock::now() + 5s;
		     std::chrono::steady_clock::now() < deadline;
		     std::this_thread::sleep_for(2ms))
			if (relay_.counters().active == 0)
				return true;
		return false;
	}

private:
	std::ostringstream logged_;
	Logger log_{"failoverd", "test", LogLevel::debug, logged_};
	EventLoop loop_;
	Relay relay_;
	Endpoint vip_;
	UniqueFd stop_read_, stop_write_;
	std::thread thread_;
};

// Every accepted connection is accounted for exactly once.
void expect_balanced(const RelayCounters &c)
{
	EXPECT_EQ(c.accepted, c.active + c.closed + c.reset + c.backend_failed + c.dropped)
		<< to_string(c);
}

} // namespace

// A client sends `up` bytes while the server sends `down` bytes, at once,
// then each half-closes: everything arrives intact both ways, on several
// flows at once, and the pairing came before the server leg's connect().
TEST(Relay, RelaysBothDirectionsIntactConcurrently)
{
	constexpr std::uint64_t up = 6 << 20, down = 4 << 20;
	constexpr int flows = 3;
	std::atomic<int> server_ok{0}, server_done{0};
	Backend backend("127.0.0.1", [&](UniqueFd fd) {
		// The seed travels first so the server knows which stream it is.
		std::string seed_text = read_exactly(fd.get(), 1);
		ASSERT_EQ(seed_text.size(), 1u);
		std::uint64_t seed = static_cast<std::uint8_t>(seed_text[0]);
		std::thread writer([&] {
			EXPECT_TRUE(write_pattern(fd.get(), seed + 100, down));
			::shutdown(fd.get(), SHUT_WR);
		});
		Received r = read_to_end(fd.get(), seed, true);
		writer.join();
		EXPECT_EQ(r.error, 0) << std::strerror(r.error);
		EXPECT_EQ(r.bytes, up);
		EXPECT_EQ(r.first_wrong, UINT64_MAX) << "c2s byte " << r.first_wrong << " wrong";
		if (r.error == 0 && r.bytes == up && r.first_wrong == UINT64_MAX)
			server_ok++;
		server_done++;
	});
	FakeModule module;
	RelayUnderTest relay(module, backend.endpoint());

	std::vector<std::thread> clients;
	std::atomic<int> client_ok{0};
	std::vector<Endpoint> client_ends(flows);
	for (int i = 0; i < flows; i++) {
		clients.emplace_back([&, i] {
			UniqueFd fd = connect_to(relay.vip());
			client_ends[static_cast<std::size_t>(i)] = local_endpoint(fd.get());
			std::uint8_t seed = static_cast<std::uint8_t>(i + 1);
			ASSERT_EQ(::send(fd.get(), &seed, 1, 0), 1);
			std::thread writer([&] {
				EXPECT_TRUE(write_pattern(fd.get(), seed, up));
				::shutdown(fd.get(), SHUT_WR);
			});
			Received r = read_to_end(fd.get(), seed + 100, true);
			writer.join();
			EXPECT_EQ(r.error, 0) << std::strerror(r.error);
			EXPECT_EQ(r.bytes, down);
			EXPECT_EQ(r.first_wrong, UINT64_MAX) << "s2c byte " << r.first_wrong << " wrong";
			if (r.error == 0 && r.bytes == down && r.first_wrong == UINT64_MAX)
				client_ok++;
		});
	}
	for (auto &t : clients)
		t.join();
	ASSERT_TRUE(relay.wait_idle());
	// The relay is done once it passed the FINs on; the servers may
	// still be checking the last bytes.
	for (int i = 0; i < 5000 && server_done < flows; i++)
		std::this_thread::sleep_for(1ms);
	EXPECT_EQ(client_ok, flows);
	EXPECT_EQ(server_ok, flows);

	RelayCounters c = relay.counters();
	EXPECT_EQ(c.accepted, unsigned(flows));
	EXPECT_EQ(c.closed, unsigned(flows));
	EXPECT_EQ(c.bytes_c2s, flows * (up + 1));
	EXPECT_EQ(c.bytes_s2c, flows * down);
	expect_balanced(c);

	// Pairing: one call per flow, with the client's tuple and the L2 port
	// that then connected to the backend, bound and not yet connecting.
	auto pairs = module.pairs();
	auto peers = backend.peers();
	ASSERT_EQ(pairs.size(), std::size_t(flows));
	for (const auto &call : pairs) {
		EXPECT_TRUE(call.l2_bound) << call.pair.l2.back.to_string();
		EXPECT_TRUE(call.l2_not_connected) << call.pair.l2.back.to_string();
		EXPECT_NE(call.pair.l2.back.port, 0);
		EXPECT_EQ(call.pair.l1.vip, relay.vip());
		EXPECT_EQ(call.pair.l2.server, backend.endpoint());
		EXPECT_NE(std::find(peers.begin(), peers.end(), call.pair.l2.back), peers.end())
			<< "no backend connection from " << call.pair.l2.back.to_string();
		EXPECT_NE(std::find(client_ends.begin(), client_ends.end(), call.pair.l1.client),
			  client_ends.end())
			<< "no client at " << call.pair.l1.client.to_string();
	}
	// ENOENT: untracked, so nothing to delete when the flows end.
	EXPECT_TRUE(module.dels().empty());
	relay.stop();
	EXPECT_NE(relay.log().find("not tracked by the module"), std::string::npos);
}

// The client half-closes first: the server reads to EOF and only then
// answers, and the answer still reaches the client.
TEST(Relay, ClientHalfCloseReachesTheServerWhoseReplyStillArrives)
{
	Backend backend("127.0.0.1", [](UniqueFd fd) {
		Received r = read_to_end(fd.get());
		EXPECT_EQ(r.error, 0);
		EXPECT_EQ(r.text, "request");
		send_text(fd.get(), "reply after your FIN");
		::shutdown(fd.get(), SHUT_WR);
		EXPECT_EQ(read_to_end(fd.get()).bytes, 0u);
	});
	FakeModule module;
	RelayUnderTest relay(module, backend.endpoint());

	UniqueFd client = connect_to(relay.vip());
	send_text(client.get(), "request");
	ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
	Received r = read_to_end(client.get());
	EXPECT_EQ(r.error, 0);
	EXPECT_EQ(r.text, "reply after your FIN");
	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().closed, 1u);
}

// The server half-closes first (a banner, then FIN): the client reads to
// EOF and then sends, and that still reaches the server.
TEST(Relay, ServerHalfCloseReachesTheClientWhoseRequestStillArrives)
{
	std::promise<std::string> server_got;
	Backend backend("127.0.0.1", [&](UniqueFd fd) {
		send_text(fd.get(), "banner");
		::shutdown(fd.get(), SHUT_WR);
		Received r = read_to_end(fd.get());
		EXPECT_EQ(r.error, 0);
		server_got.set_value(r.text);
	});
	FakeModule module;
	RelayUnderTest relay(module, backend.endpoint());

	UniqueFd client = connect_to(relay.vip());
	Received r = read_to_end(client.get());
	EXPECT_EQ(r.error, 0);
	EXPECT_EQ(r.text, "banner");
	send_text(client.get(), "late request");
	ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
	auto got = server_got.get_future();
	ASSERT_EQ(got.wait_for(5s), std::future_status::ready);
	EXPECT_EQ(got.get(), "late request");
	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().closed, 1u);
}

TEST(Relay, ServerResetReachesTheClientAsAReset)
{
	Backend backend("127.0.0.1", [](UniqueFd fd) {
		EXPECT_EQ(read_exactly(fd.get(), 5), "hello");
		close_with_rst(fd);
	});
	FakeModule module;
	module.set_pair_error(0); // tracked: the module must be told
	RelayUnderTest relay(module, backend.endpoint());

	UniqueFd client = connect_to(relay.vip());
	send_text(client.get(), "hello");
	Received r = read_to_end(client.get());
	EXPECT_EQ(r.error, ECONNRESET) << "got " << (r.error ? std::strerror(r.error) : "EOF");
	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().reset, 1u);
	auto dels = module.dels();
	ASSERT_EQ(dels.size(), 1u);
	EXPECT_EQ(dels[0].client, local_endpoint(client.get()));
	relay.stop();
	EXPECT_NE(relay.log().find("server leg failed (Connection reset by peer); reset the client leg"),
		  std::string::npos)
		<< relay.log();
}

TEST(Relay, ClientResetReachesTheServerAsAReset)
{
	std::promise<int> server_error;
	Backend backend("127.0.0.1", [&](UniqueFd fd) {
		EXPECT_EQ(read_exactly(fd.get(), 5), "hello");
		send_text(fd.get(), "ok");
		server_error.set_value(read_to_end(fd.get()).error);
	});
	FakeModule module;
	RelayUnderTest relay(module, backend.endpoint());

	UniqueFd client = connect_to(relay.vip());
	send_text(client.get(), "hello");
	ASSERT_EQ(read_exactly(client.get(), 2), "ok");
	close_with_rst(client);
	auto err = server_error.get_future();
	ASSERT_EQ(err.wait_for(5s), std::future_status::ready);
	EXPECT_EQ(err.get(), ECONNRESET);
	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().reset, 1u);
}

// Nothing listens on the backend port: the module is told to let go of
// the flow first, then the client gets an orderly FIN, not a RST, even
// though it had sent bytes the relay never passed on.
TEST(Relay, RefusedBackendGivesTheClientAnOrderlyEof)
{
	// Bound, not listening: SYNs to it are answered with a RST.
	UniqueFd closed_port = blocking_socket(AF_INET);
	SocketAddress any_port = to_socket_address({Address::parse("127.0.0.1"), 0});
	ASSERT_EQ(::bind(closed_port.get(), any_port.get(), any_port.length), 0);
	Endpoint dead = local_endpoint(closed_port.get());

	FakeModule module;
	RelayUnderTest relay(module, dead);
	UniqueFd client = connect_to(relay.vip());
	send_text(client.get(), "anyone there?");
	Received r = read_to_end(client.get());
	EXPECT_EQ(r.error, 0) << "got " << std::strerror(r.error) << " instead of EOF";
	EXPECT_EQ(r.bytes, 0u);

	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().backend_failed, 1u);
	expect_balanced(relay.counters());
	auto dels = module.dels();
	ASSERT_EQ(dels.size(), 1u);
	EXPECT_EQ(dels[0].client, local_endpoint(client.get()));
	EXPECT_EQ(dels[0].vip, relay.vip());
	relay.stop();
	EXPECT_NE(relay.log().find("warning: relay: flow " + dels[0].client.to_string() + " -> " +
				   relay.vip().to_string() + " (web): backend " +
				   dead.to_string() + " failed: Connection refused"),
		  std::string::npos)
		<< relay.log();
}

// The backend's accept queue is full, so its SYNs go unanswered: after
// relay.connect-timeout the client gets an orderly EOF.
TEST(Relay, SilentBackendTimesOut)
{
	UniqueFd full = listen_on("127.0.0.1", 0);
	Endpoint silent = local_endpoint(full.get());
	// Backlog 0 holds one connection; the queue is now full.
	UniqueFd filler = connect_to(silent);

	FakeModule module;
	RelaySettings settings;
	settings.connect_timeout = 150ms;
	RelayUnderTest relay(module, silent, settings);
	auto start = std::chrono::steady_clock::now();
	UniqueFd client = connect_to(relay.vip());
	Received r = read_to_end(client.get());
	auto took = std::chrono::steady_clock::now() - start;
	EXPECT_EQ(r.error, 0) << std::strerror(r.error);
	EXPECT_GE(took, 140ms);
	EXPECT_LT(took, 900ms); // well before the SYN's own 1 s retransmission
	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().backend_failed, 1u);
	EXPECT_EQ(module.dels().size(), 1u);
	relay.stop();
	EXPECT_NE(relay.log().find("did not answer within 150ms"), std::string::npos) << relay.log();
}

// Many flows at once, all open together: every one completes intact and
// the relay has nothing left afterwards.
//
// The server closes first, so TIME_WAIT lands on the backend's and the
// VIP's ports, not on ephemeral ones: the L2 sockets' bind(port 0) slows
// down badly once the ephemeral range fills with TIME_WAIT (see the
// report of repeated runs), which is a property of bind(), not the relay.
TEST(Relay, FiveHundredConcurrentFlowsAllComplete)
{
	raise_open_file_limit();
	constexpr int flows = 500;
	constexpr std::size_t size = 12000;
	Backend backend("127.0.0.1", [](UniqueFd fd) {
		// Echo one message, then FIN first, then wait for the client's.
		std::string message = read_exactly(fd.get(), size);
		if (!message.empty())
			send_text(fd.get(), message);
		::shutdown(fd.get(), SHUT_WR);
		read_to_end(fd.get());
	});
	FakeModule module;
	module.inspect_l2(false);
	RelayUnderTest relay(module, backend.endpoint());

	std::vector<UniqueFd> clients;
	for (int i = 0; i < flows; i++) {
		clients.push_back(connect_to(relay.vip()));
		// Small enough to sit in the socket buffers while the other
		// clients are still being written.
		ASSERT_TRUE(write_pattern(clients.back().get(), std::uint64_t(i), size));
	}
	int intact = 0;
	for (int i = 0; i < flows; i++) {
		Received r = read_to_end(clients[std::size_t(i)].get(), std::uint64_t(i), true);
		if (r.error == 0 && r.bytes == size && r.first_wrong == UINT64_MAX)
			intact++;
		else
			ADD_FAILURE() << "flow " << i << ": " << r.bytes << " bytes, error "
				      << r.error << ", first wrong " << r.first_wrong;
	}
	EXPECT_EQ(intact, flows);
	// Every server has sent its FIN and no client has: all flows are
	// open at once, half-closed.
	EXPECT_EQ(relay.counters().active, unsigned(flows)) << to_string(relay.counters());
	clients.clear();

	ASSERT_TRUE(relay.wait_idle()) << to_string(relay.counters());
	RelayCounters c = relay.counters();
	EXPECT_EQ(c.accepted, unsigned(flows));
	EXPECT_EQ(c.closed, unsigned(flows));
	EXPECT_EQ(c.bytes_c2s, flows * size);
	EXPECT_EQ(c.bytes_s2c, flows * size);
	expect_balanced(c);
	EXPECT_EQ(module.pairs().size(), std::size_t(flows));
}

TEST(Relay, RelaysIpv6)
{
	Backend backend("::1", [](UniqueFd fd) {
		Received r = read_to_end(fd.get(), 7, true);
		EXPECT_EQ(r.bytes, 300000u);
		EXPECT_EQ(r.first_wrong, UINT64_MAX);
		EXPECT_TRUE(write_pattern(fd.get(), 8, 200000));
	});
	FakeModule module;
	RelayUnderTest relay(module, backend.endpoint());
	EXPECT_EQ(relay.vip().family(), AF_INET6);

	UniqueFd client = connect_to(relay.vip());
	ASSERT_TRUE(write_pattern(client.get(), 7, 300000));
	::shutdown(client.get(), SHUT_WR);
	Received r = read_to_end(client.get(), 8, true);
	EXPECT_EQ(r.error, 0);
	EXPECT_EQ(r.bytes, 200000u);
	EXPECT_EQ(r.first_wrong, UINT64_MAX);
	ASSERT_EQ(module.pairs().size(), 1u);
	EXPECT_EQ(module.pairs()[0].pair.l2.back.family(), AF_INET6);
	EXPECT_TRUE(module.pairs()[0].l2_bound);
	EXPECT_TRUE(module.pairs()[0].l2_not_connected);
}

// A daemon stop closes open flows with a FIN on both legs, and first
// tells the module to let go of the flows it tracks.
TEST(Relay, StopClosesOpenFlowsNormally)
{
	std::promise<Received> server_saw;
	Backend backend("127.0.0.1", [&](UniqueFd fd) {
		EXPECT_EQ(read_exactly(fd.get(), 4), "ping");
		send_text(fd.get(), "pong");
		server_saw.set_value(read_to_end(fd.get()));
	});
	FakeModule module;
	module.set_pair_error(0);
	RelayUnderTest relay(module, backend.endpoint());

	UniqueFd client = connect_to(relay.vip());
	send_text(client.get(), "ping");
	ASSERT_EQ(read_exactly(client.get(), 4), "pong");
	relay.stop();

	Received r = read_to_end(client.get());
	EXPECT_EQ(r.error, 0) << std::strerror(r.error);
	auto saw = server_saw.get_future();
	ASSERT_EQ(saw.wait_for(5s), std::future_status::ready);
	EXPECT_EQ(saw.get().error, 0);
	EXPECT_EQ(module.dels().size(), 1u);
	EXPECT_EQ(relay.counters().active, 0u);
	EXPECT_EQ(relay.counters().closed, 1u);
	// No listener any more.
	EXPECT_THROW(connect_to(relay.vip()), std::system_error);
}

// Other pairing errors are logged and the flow is relayed anyway.
TEST(Relay, PairingFailureOtherThanEnoentStillRelays)
{
	Backend backend("127.0.0.1", [](UniqueFd fd) {
		EXPECT_EQ(read_exactly(fd.get(), 2), "hi");
		send_text(fd.get(), "there");
	});
	FakeModule module;
	module.set_pair_error(EEXIST);
	RelayUnderTest relay(module, backend.endpoint());
	UniqueFd client = connect_to(relay.vip());
	send_text(client.get(), "hi");
	EXPECT_EQ(read_to_end(client.get()).text, "there");
	relay.stop();
	EXPECT_NE(relay.log().find("warning: relay: flow "), std::string::npos);
	EXPECT_NE(relay.log().find("pairing flow: File exists; relaying anyway"), std::string::npos)
		<< relay.log();
}

// Pipes of one page and a small TCP_NOTSENT_LOWAT: the pipe is full (of
// slots, not bytes) all the time, and nothing is lost or stuck.
TEST(Relay, SmallPipesAndLowWatermarkStillRelayIntact)
{
	static constexpr std::uint64_t size = 3 << 20;
	Backend backend("127.0.0.1", [](UniqueFd fd) {
		std::thread writer([&] {
			EXPECT_TRUE(write_pattern(fd.get(), 2, size));
			::shutdown(fd.get(), SHUT_WR);
		});
		Received r = read_to_end(fd.get(), 1, true);
		writer.join();
		EXPECT_EQ(r.bytes, size);
		EXPECT_EQ(r.first_wrong, UINT64_MAX);
	});
	FakeModule module;
	RelaySettings settings;
	settings.pipe_size = 4096;
	settings.notsent_lowat = 4096;
	RelayUnderTest relay(module, backend.endpoint(), settings);

	UniqueFd client = connect_to(relay.vip());
	std::thread writer([&] {
		EXPECT_TRUE(write_pattern(client.get(), 1, size));
		::shutdown(client.get(), SHUT_WR);
	});
	Received r = read_to_end(client.get(), 2, true);
	writer.join();
	EXPECT_EQ(r.error, 0);
	EXPECT_EQ(r.bytes, size);
	EXPECT_EQ(r.first_wrong, UINT64_MAX);
	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().closed, 1u);
}

namespace {

// Sets the open-file limit so that exactly `free` more descriptors can be
// opened, as when a daemon has used up its limit: the holes below the
// highest open descriptor are filled first (the relay's reserve
// descriptor must lie below the limit, as it always does for real).
// Restores the limit when destroyed.
class FdBudget {
public:
	explicit FdBudget(int free)
	{
		::getrlimit(RLIMIT_NOFILE, &saved_);
		int highest = 0;
		for (int fd = 0; fd < 65536; fd++)
			if (::fcntl(fd, F_GETFD) != -1)
				highest = fd;
		for (;;) {
			UniqueFd filler(::open("/dev/null", O_RDONLY | O_CLOEXEC));
			if (!filler || filler.get() > highest)
				break; // the first past the top is closed again
			fillers_.push_back(std::move(filler));
		}
		rlimit lowered = saved_;
		lowered.rlim_cur = static_cast<rlim_t>(highest + 1 + free);
		::setrlimit(RLIMIT_NOFILE, &lowered);
	}
	~FdBudget()
	{
		::setrlimit(RLIMIT_NOFILE, &saved_);
	}

private:
	rlimit saved_{};
	std::vector<UniqueFd> fillers_;
};

} // namespace

// Out of descriptors: a new connection is closed at once (the client sees
// EOF, the module is told to let go) and the relay keeps serving.
TEST(Relay, OutOfDescriptorsDropsNewConnectionsAndRecovers)
{
	Backend backend("127.0.0.1", [](UniqueFd fd) { send_text(fd.get(), "served"); });
	FakeModule module;
	module.set_pair_error(0);
	RelayUnderTest relay(module, backend.endpoint());

	// Enough to accept, not enough for the server leg's socket and pipes.
	UniqueFd first = blocking_socket(AF_INET);
	{
		FdBudget budget(2);
		SocketAddress sa = to_socket_address(relay.vip());
		ASSERT_EQ(::connect(first.get(), sa.get(), sa.length), 0);
		timeval tv{5, 0};
		::setsockopt(first.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		Received r = read_to_end(first.get());
		EXPECT_EQ(r.error, 0) << std::strerror(r.error);
		EXPECT_EQ(r.bytes, 0u);
	}
	// Not even enough to accept: the reserve descriptor makes room.
	UniqueFd second = blocking_socket(AF_INET);
	{
		FdBudget budget(0);
		SocketAddress sa = to_socket_address(relay.vip());
		ASSERT_EQ(::connect(second.get(), sa.get(), sa.length), 0);
		timeval tv{5, 0};
		::setsockopt(second.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		Received r = read_to_end(second.get());
		EXPECT_EQ(r.error, 0) << std::strerror(r.error);
		EXPECT_EQ(r.bytes, 0u);
	}
	EXPECT_TRUE(relay.wait_idle());
	EXPECT_EQ(relay.counters().dropped, 2u);
	// The module would swallow the FIN of a flow it holds: told first.
	auto dels = module.dels();
	ASSERT_EQ(dels.size(), 2u);
	EXPECT_EQ(dels[0].client, local_endpoint(first.get()));
	EXPECT_EQ(dels[1].client, local_endpoint(second.get()));

	// Descriptors back: served as usual.
	UniqueFd third = connect_to(relay.vip());
	EXPECT_EQ(read_to_end(third.get()).text, "served");
	relay.stop();
	expect_balanced(relay.counters());
	EXPECT_NE(relay.log().find("dropping a new connection from"), std::string::npos)
		<< relay.log();
}
