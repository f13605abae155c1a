// SPDX-License-Identifier: GPL-2.0
#include "Sockets.hpp"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace tcpfo {

namespace {

[[noreturn]] void throw_errno(const std::string &what)
{
	throw std::system_error(errno, std::system_category(), what);
}

} // namespace

SocketAddress to_socket_address(const Endpoint &ep)
{
	SocketAddress sa;
	auto bytes = ep.address.bytes();
	if (ep.family() == AF_INET) {
		auto *in = reinterpret_cast<sockaddr_in *>(&sa.storage);
		in->sin_family = AF_INET;
		in->sin_port = htons(ep.port);
		std::memcpy(&in->sin_addr, bytes.data(), bytes.size());
		sa.length = sizeof(sockaddr_in);
	} else if (ep.family() == AF_INET6) {
		auto *in6 = reinterpret_cast<sockaddr_in6 *>(&sa.storage);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(ep.port);
		std::memcpy(&in6->sin6_addr, bytes.data(), bytes.size());
		sa.length = sizeof(sockaddr_in6);
	} else {
		throw std::system_error(EAFNOSUPPORT, std::system_category(),
					"socket address for " + ep.to_string());
	}
	return sa;
}

Endpoint to_endpoint(const sockaddr_storage &sa)
{
	Endpoint ep;
	if (sa.ss_family == AF_INET) {
		const auto *in = reinterpret_cast<const sockaddr_in *>(&sa);
		ep.address = Address::from_bytes(
			AF_INET, {reinterpret_cast<const std::uint8_t *>(&in->sin_addr), 4});
		ep.port = ntohs(in->sin_port);
	} else if (sa.ss_family == AF_INET6) {
		const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(&sa);
		ep.address = Address::from_bytes(
			AF_INET6, {reinterpret_cast<const std::uint8_t *>(&in6->sin6_addr), 16});
		ep.port = ntohs(in6->sin6_port);
	} else {
		throw std::system_error(EAFNOSUPPORT, std::system_category(),
					"socket address of family " +
						std::to_string(sa.ss_family));
	}
	return ep;
}

UniqueFd tcp_socket(int family)
{
	UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!fd)
		throw_errno(std::string("socket(") + std::string(family_name(family)) +
			    ", SOCK_STREAM)");
	return fd;
}

void set_option(int fd, int level, int name, int value, const char *what)
{
	if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0)
		throw_errno(std::string("setsockopt ") + what);
}

void set_freebind(int fd, int family)
{
	if (family == AF_INET6)
		set_option(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1, "IPV6_FREEBIND");
	else
		set_option(fd, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND");
}

Endpoint local_endpoint(int fd)
{
	sockaddr_storage sa{};
	socklen_t len = sizeof(sa);
	if (::getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
		throw_errno("getsockname");
	return to_endpoint(sa);
}

Endpoint peer_endpoint(int fd)
{
	sockaddr_storage sa{};
	socklen_t len = sizeof(sa);
	if (::getpeername(fd, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
		throw_errno("getpeername");
	return to_endpoint(sa);
}

int take_socket_error(int fd) noexcept
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return errno;
	return err;
}

void close_orderly(UniqueFd &fd) noexcept
{
	if (!fd)
		return;
	// MSG_TRUNC on TCP discards without copying: no buffer needed.
	while (::recv(fd.get(), nullptr, 1 << 20, MSG_TRUNC | MSG_DONTWAIT) > 0) {
	}
	fd.reset();
}

void close_with_reset(UniqueFd &fd) noexcept
{
	if (!fd)
		return;
	linger lg{1, 0};
	(void)::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	fd.reset();
}

} // namespace tcpfo
