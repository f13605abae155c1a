// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfo-repair: exercises failoverd's TCP_REPAIR code (daemon/TcpRepair) on a
 * real connection. The server end is replaced mid-connection by a socket
 * recreated from its captured state; the old one is closed silently.
 *
 *   tcpfo-repair server ADDR PORT BYTES   accept one connection; read BYTES/2
 *                                         (verified); swap the socket; send
 *                                         "G" on the new one; read the rest
 *                                         (verified); answer "OK" + count
 *   tcpfo-repair client ADDR PORT BYTES   the other end; exit 0 only if every
 *                                         byte went through and no error
 *
 * Byte k of the stream is (k * 131 + k / 251) & 0xff. The server prints the
 * state it captured and the new socket's MSS.
 */
#include "Sockets.hpp"
#include "TcpRepair.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

using namespace tcpfo;

namespace {

std::uint8_t pattern(std::uint64_t k)
{
	return static_cast<std::uint8_t>((k * 131 + k / 251) & 0xff);
}

void blocking(int fd)
{
	int fl = ::fcntl(fd, F_GETFL);
	if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		throw std::runtime_error("fcntl");
}

void send_all(int fd, const std::uint8_t *p, std::size_t n)
{
	while (n) {
		ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			throw std::runtime_error(std::string("send: ") + std::strerror(errno));
		p += w;
		n -= static_cast<std::size_t>(w);
	}
}

void recv_all(int fd, std::uint8_t *p, std::size_t n)
{
	while (n) {
		ssize_t r = ::recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
		if (r == 0)
			throw std::runtime_error("recv: the peer closed early");
		p += r;
		n -= static_cast<std::size_t>(r);
	}
}

void send_stream(int fd, std::uint64_t from, std::uint64_t to)
{
	std::vector<std::uint8_t> buf(65536);
	while (from < to) {
		std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), to - from));
		for (std::size_t i = 0; i < n; ++i)
			buf[i] = pattern(from + i);
		send_all(fd, buf.data(), n);
		from += n;
	}
}

void recv_stream(int fd, std::uint64_t from, std::uint64_t to)
{
	std::vector<std::uint8_t> buf(65536);
	while (from < to) {
		std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), to - from));
		ssize_t r = ::recv(fd, buf.data(), n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
		if (r == 0)
			throw std::runtime_error("recv: the peer closed at byte " + std::to_string(from));
		for (ssize_t i = 0; i < r; ++i)
			if (buf[static_cast<std::size_t>(i)] != pattern(from + static_cast<std::uint64_t>(i)))
				throw std::runtime_error("byte " + std::to_string(from + static_cast<std::uint64_t>(i)) +
							 " is wrong");
		from += static_cast<std::uint64_t>(r);
	}
}

int server(const Endpoint &ep, std::uint64_t bytes)
{
	UniqueFd lfd = tcp_socket(ep.family());
	set_option(lfd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	const SocketAddress sa = to_socket_address(ep);
	if (::bind(lfd.get(), sa.get(), sa.length) || ::listen(lfd.get(), 1))
		throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
	blocking(lfd.get());
	UniqueFd fd(::accept4(lfd.get(), nullptr, nullptr, SOCK_CLOEXEC));
	if (!fd)
		throw std::runtime_error(std::string("accept: ") + std::strerror(errno));
	const std::uint64_t half = bytes / 2;
	recv_stream(fd.get(), 0, half);

	RepairState s = capture_repair_state(fd.get());
	close_silently(fd);
	std::printf("captured: snd_nxt %u rcv_nxt %u mss %u wscale %d/%d sack %d ts %d tsval %u "
		    "snd_wnd %u rcv_wnd %u\n",
		    s.snd_nxt, s.rcv_nxt, s.mss, s.wscale ? s.wscale->snd : -1,
		    s.wscale ? s.wscale->rcv : -1, s.sack, s.timestamps, s.tsval, s.snd_wnd,
		    s.rcv_wnd);
	fd = restore_socket(s);
	blocking(fd.get());
	tcp_info info{};
	socklen_t len = sizeof(info);
	::getsockopt(fd.get(), IPPROTO_TCP, TCP_INFO, &info, &len);
	std::printf("restored: state %u snd_mss %u\n", info.tcpi_state, info.tcpi_snd_mss);
	std::fflush(stdout);

	const std::uint8_t go = 'G';
	send_all(fd.get(), &go, 1);
	recv_stream(fd.get(), half, bytes);
	std::uint8_t ok[10] = {'O', 'K'};
	std::memcpy(ok + 2, &bytes, 8);
	send_all(fd.get(), ok, sizeof(ok));
	close_orderly(fd);
	std::printf("server: %llu bytes intact\n", static_cast<unsigned long long>(bytes));
	return 0;
}

int client(const Endpoint &ep, std::uint64_t bytes)
{
	UniqueFd fd = tcp_socket(ep.family());
	blocking(fd.get());
	const SocketAddress sa = to_socket_address(ep);
	if (::connect(fd.get(), sa.get(), sa.length))
		throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
	const std::uint64_t half = bytes / 2;
	send_stream(fd.get(), 0, half);
	std::uint8_t go = 0;
	recv_all(fd.get(), &go, 1);
	if (go != 'G')
		throw std::runtime_error("expected G");
	send_stream(fd.get(), half, bytes);
	std::uint8_t ok[10];
	recv_all(fd.get(), ok, sizeof(ok));
	std::uint64_t n = 0;
	std::memcpy(&n, ok + 2, 8);
	if (ok[0] != 'O' || ok[1] != 'K' || n != bytes)
		throw std::runtime_error("bad final answer");
	std::printf("client: %llu bytes through, answer intact\n", static_cast<unsigned long long>(bytes));
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 5) {
		std::fprintf(stderr, "usage: tcpfo-repair server|client ADDR PORT BYTES\n");
		return 2;
	}
	try {
		const Endpoint ep = Endpoint::parse(std::string(argv[2]).find(':') != std::string::npos
						    ? "[" + std::string(argv[2]) + "]:" + argv[3]
						    : std::string(argv[2]) + ":" + argv[3]);
		const std::uint64_t bytes = std::strtoull(argv[4], nullptr, 10);
		if (!std::strcmp(argv[1], "server"))
			return server(ep, bytes);
		if (!std::strcmp(argv[1], "client"))
			return client(ep, bytes);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "tcpfo-repair %s: %s\n", argv[1], e.what());
		return 1;
	}
	std::fprintf(stderr, "tcpfo-repair: bad arguments\n");
	return 2;
}
