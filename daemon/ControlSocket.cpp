// SPDX-License-Identifier: GPL-2.0
#include "ControlSocket.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace tcpfo {

namespace {
constexpr std::size_t kMaxRequest = 1024;
}

ControlSocket::ControlSocket(EventLoop &loop, Logger &log,
			     std::filesystem::path path, Handler handler)
	: loop_(loop), log_(log), path_(std::move(path)), handler_(std::move(handler))
{
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	if (path_.native().size() >= sizeof(sa.sun_path))
		throw std::system_error(ENAMETOOLONG, std::generic_category(),
					"control socket " + path_.native());
	std::error_code ec;
	std::filesystem::create_directories(path_.parent_path(), ec);
	std::memcpy(sa.sun_path, path_.c_str(), path_.native().size());
	listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!listener_)
		throw std::system_error(errno, std::generic_category(), "control socket");
	// A socket file left by a daemon that died: nobody answers on it.
	if (::connect(listener_.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0)
		throw std::runtime_error("control socket " + path_.native() +
					 " is in use by another failoverd");
	::unlink(path_.c_str());
	const mode_t old = ::umask(077);
	const int rc = ::bind(listener_.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa));
	::umask(old);
	if (rc != 0 || ::listen(listener_.get(), 16) != 0)
		throw std::system_error(errno, std::generic_category(),
					"control socket " + path_.native());
	loop_.add(listener_.get(), EPOLLIN, [this](std::uint32_t) { on_accept(); });
}

ControlSocket::~ControlSocket()
{
	for (auto &[fd, c] : clients_)
		loop_.remove(fd);
	loop_.remove(listener_.get());
	::unlink(path_.c_str());
}

void ControlSocket::on_accept()
{
	for (;;) {
		int fd = ::accept4(listener_.get(), nullptr, nullptr,
				   SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		clients_[fd].fd = UniqueFd(fd);
		loop_.add(fd, EPOLLIN, [this, fd](std::uint32_t) { on_client(fd); });
	}
}

void ControlSocket::drop(int fd)
{
	loop_.remove(fd);
	clients_.erase(fd);
}

void ControlSocket::on_client(int fd)
{
	auto it = clients_.find(fd);
	if (it == clients_.end())
		return;
	Client &c = it->second;
	char buf[512];
	ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(fd);
		return;
	}
	c.in.append(buf, static_cast<std::size_t>(n));
	const auto nl = c.in.find('\n');
	if (nl == std::string::npos) {
		if (c.in.size() > kMaxRequest) {
			log_.warning("control socket: dropped a request longer than " +
				     std::to_string(kMaxRequest) + " bytes");
			drop(fd);
		}
		return;
	}
	// The handler may run the loop while it works (a takeover relays
	// meanwhile): this client is not watched until it has its answer.
	const std::string request = c.in.substr(0, nl);
	loop_.remove(fd);
	std::string answer;
	try {
		answer = handler_(request);
	} catch (const std::exception &e) {
		log_.warning(std::string("control socket: ") + e.what());
		answer = std::string("error: ") + e.what() + "\n";
	}
	// Small answers: a blocking write is fine, the client reads at once.
	const int flags = 0;
	std::size_t off = 0;
	while (off < answer.size()) {
		ssize_t w = ::send(fd, answer.data() + off, answer.size() - off,
				   MSG_NOSIGNAL | flags);
		if (w > 0)
			off += static_cast<std::size_t>(w);
		else if (w < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	drop(fd);
}

} // namespace tcpfo
