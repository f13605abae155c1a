// SPDX-License-Identifier: GPL-2.0
#include "ProbeResponder.hpp"

#include "Sockets.hpp"

#include <cerrno>
#include <cstring>
#include <span>
#include <system_error>
#include <vector>

#include <sys/epoll.h>
#include <sys/socket.h>

namespace tcpfo {

UniqueFd listen_socket(const Endpoint &at, const std::string &what)
{
	UniqueFd fd = tcp_socket(at.family());
	set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	set_freebind(fd.get(), at.family());
	const SocketAddress sa = to_socket_address(at);
	if (::bind(fd.get(), sa.get(), sa.length) != 0 || ::listen(fd.get(), 4) != 0)
		throw std::system_error(errno, std::generic_category(),
					what + ": listening on " + at.to_string());
	return fd;
}

ProbeResponder::ProbeResponder(EventLoop &loop, Logger &log, const wire::Key &psk,
			       std::string node, wire::LinkMode mode, std::uint64_t epoch)
	: loop_(loop), log_(log), psk_(psk), node_(std::move(node)), mode_(mode),
	  epoch_(epoch)
{
}

ProbeResponder::~ProbeResponder()
{
	if (listener_)
		loop_.remove(listener_.get());
	for (auto &[fd, p] : probes_)
		loop_.remove(fd);
}

void ProbeResponder::listen(UniqueFd listener, const Endpoint &at)
{
	listener_ = listener ? std::move(listener) : listen_socket(at, "probe answers");
	loop_.add(listener_.get(), EPOLLIN, [this](std::uint32_t) { on_accept(); });
	// Connections that came while nobody watched.
	on_accept();
}

UniqueFd ProbeResponder::take_listener()
{
	if (listener_)
		loop_.remove(listener_.get());
	return std::move(listener_);
}

void ProbeResponder::on_accept()
{
	for (;;) {
		int fd = ::accept4(listener_.get(), nullptr, nullptr,
				   SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		adopt(UniqueFd(fd));
	}
}

void ProbeResponder::adopt(UniqueFd fd)
{
	adopt(Pending{std::move(fd), wire::FrameDecoder(psk_), std::chrono::steady_clock::now()});
}

void ProbeResponder::adopt(Pending p)
{
	const int key = p.fd.get();
	probes_.emplace(key, std::move(p));
	loop_.add(key, EPOLLIN, [this, key](std::uint32_t) { on_probe(key); });
	// Its hello may be there already (it came while nobody watched).
	on_probe(key);
}

std::vector<ProbeResponder::Pending> ProbeResponder::take_pending()
{
	std::vector<Pending> out;
	for (auto &[key, p] : probes_) {
		loop_.remove(key);
		out.push_back(std::move(p));
	}
	probes_.clear();
	return out;
}

void ProbeResponder::answer_pending()
{
	std::vector<int> keys;
	for (const auto &[key, p] : probes_)
		keys.push_back(key);
	for (int key : keys)
		on_probe(key);
}

void ProbeResponder::expire()
{
	const auto now = std::chrono::steady_clock::now();
	for (auto it = probes_.begin(); it != probes_.end();) {
		if (now - it->second.since > std::chrono::seconds(2)) {
			loop_.remove(it->first);
			it = probes_.erase(it);
		} else {
			++it;
		}
	}
}

void ProbeResponder::on_probe(int key)
{
	auto it = probes_.find(key);
	if (it == probes_.end())
		return;
	Pending &p = it->second;
	std::optional<wire::Hello> h;
	std::string error;
	std::uint8_t buf[4096];
	for (;;) {
		ssize_t n = ::recv(p.fd.get(), buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;	// more to come
		if (n <= 0) {
			error = "closed before its hello";
			break;
		}
		try {
			p.decoder.feed(std::span(buf, static_cast<std::size_t>(n)));
			if (auto f = p.decoder.next()) {
				h = wire::decode_hello(f->payload);
				break;
			}
		} catch (const wire::ProtocolError &e) {
			error = e.what();
			break;
		}
	}
	if (h) {
		// Our answer: who we are. Small enough for any socket buffer.
		const wire::Hello mine{node_, wire::Role::primary, mode_, epoch_,
				       wire::random_nonce()};
		const auto frame = wire::FrameEncoder::encode_hello(psk_, wire::encode(mine));
		if (::send(p.fd.get(), frame.data(), frame.size(), MSG_NOSIGNAL) < 0)
			log_.debug(std::string("state link: answering a probe: ") +
				   std::strerror(errno));
		log_.info("state link: '" + h->node + "' asked who is primary (it is " +
			  (h->role == wire::Role::primary ? "starting as primary" : "a standby") +
			  ", epoch " + std::to_string(h->epoch) + "; this node's epoch " +
			  std::to_string(epoch_) + ")");
	} else {
		log_.debug("state link: a probe " + error);
	}
	loop_.remove(key);
	probes_.erase(it);
	if (h && h->role == wire::Role::primary && h->epoch > epoch_ && newer_primary_)
		newer_primary_(h->node, h->epoch);
}

} // namespace tcpfo
