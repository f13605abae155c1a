// SPDX-License-Identifier: GPL-2.0
// Sockets: the TCP socket calls the relay makes, with Endpoint in and out
// and failures as std::system_error naming the call.
#pragma once

#include "Address.hpp"
#include "UniqueFd.hpp"

#include <sys/socket.h>

namespace tcpfo {

struct SocketAddress {
	sockaddr_storage storage{};
	socklen_t length = 0;

	const sockaddr *get() const noexcept
	{
		return reinterpret_cast<const sockaddr *>(&storage);
	}
};

SocketAddress to_socket_address(const Endpoint &ep);
// Throws std::system_error (EAFNOSUPPORT) for a family other than IPv4/6.
Endpoint to_endpoint(const sockaddr_storage &sa);

// A nonblocking, close-on-exec TCP socket.
UniqueFd tcp_socket(int family);

void set_option(int fd, int level, int name, int value, const char *what);

// Lets bind() take an address that is not (yet) configured here.
void set_freebind(int fd, int family);

Endpoint local_endpoint(int fd);
Endpoint peer_endpoint(int fd);

// The pending error (SO_ERROR), cleared by reading it; 0 if none.
int take_socket_error(int fd) noexcept;

// Discards what was received and not read, then closes: a FIN, where a
// close() with unread bytes would answer with a RST.
void close_orderly(UniqueFd &fd) noexcept;

// Closes with SO_LINGER {1, 0}: the kernel answers with a RST instead of
// a FIN and drops whatever was not sent.
void close_with_reset(UniqueFd &fd) noexcept;

} // namespace tcpfo
