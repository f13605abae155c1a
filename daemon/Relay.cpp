// SPDX-License-Identifier: GPL-2.0
#include "Relay.hpp"

#include "ByteSize.hpp"
#include "Duration.hpp"
#include "GenlSocket.hpp"
#include "Sockets.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

namespace tcpfo {

namespace {

using namespace std::chrono_literals;

constexpr int listen_backlog = 4096;
// Connections taken per readiness of a listener: the rest wait a round,
// so a burst of new clients does not starve the flows already running.
constexpr int accepts_per_round = 64;
// How long accepting pauses when not even the reserve descriptor helps.
constexpr auto accept_pause = 100ms;
// Sockets: readable, writable, peer's FIN; edge-triggered, see
// SpliceChannel.
constexpr std::uint32_t flow_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

std::string errno_text(int err)
{
	return std::strerror(err);
}

std::string held_back(std::uint64_t n)
{
	return n ? " (" + std::to_string(n) + " more since the last report)" : "";
}

bool out_of_resources(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Options both legs carry, set before any byte moves.
void set_leg_options(int fd, const RelaySettings &settings)
{
	set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	// An urgent byte stays in the stream: byte k on L1 is byte k on L2.
	set_option(fd, SOL_SOCKET, SO_OOBINLINE, 1, "SO_OOBINLINE");
	set_option(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT,
		   static_cast<int>(settings.notsent_lowat), "TCP_NOTSENT_LOWAT");
	// The peers' own keepalives go through; ours would be ours alone.
	set_option(fd, SOL_SOCKET, SO_KEEPALIVE, 0, "SO_KEEPALIVE");
	// No SO_RCVBUF/SO_SNDBUF: they would turn off autotuning and lower
	// the window scale the module has room to widen with.
}

std::string describe(const FlowPair &t, const std::string &service)
{
	return "flow " + t.l1.client.to_string() + " -> " + t.l1.vip.to_string() +
	       " (" + service + ")";
}

std::string leg_name(Leg leg)
{
	return leg == Leg::client ? "client" : "server";
}

} // namespace

std::string to_string(const RelayCounters &c)
{
	return "accepted " + std::to_string(c.accepted) + ", active " +
	       std::to_string(c.active) + ", closed " + std::to_string(c.closed) +
	       ", reset " + std::to_string(c.reset) + ", backend failed " +
	       std::to_string(c.backend_failed) + ", dropped " +
	       std::to_string(c.dropped) + ", bytes c2s " +
	       std::to_string(c.bytes_c2s) + " s2c " + std::to_string(c.bytes_s2c) +
	       ", taken over " + std::to_string(c.taken_over) + ", handed over " +
	       std::to_string(c.handed_over);
}

Relay::Relay(EventLoop &loop, FlowApi &kernel, Logger &log, RelaySettings settings)
	: loop_(loop), kernel_(kernel), log_(log), settings_(settings),
	  timers_(loop), reserve_fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)),
	  untracked_log_(60s), pair_error_log_(10s), resource_log_(10s),
	  pipe_size_log_(60s), backend_log_(1s)
{
	std::signal(SIGPIPE, SIG_IGN);
}

Relay::~Relay()
{
	stop();
}

RelayCounters Relay::counters() const noexcept
{
	RelayCounters c;
	c.accepted = counters_.accepted.load();
	c.active = counters_.active.load();
	c.closed = counters_.closed.load();
	c.reset = counters_.reset.load();
	c.backend_failed = counters_.backend_failed.load();
	c.dropped = counters_.dropped.load();
	c.bytes_c2s = counters_.bytes_c2s.load();
	c.bytes_s2c = counters_.bytes_s2c.load();
	c.taken_over = counters_.taken_over.load();
	c.handed_over = counters_.handed_over.load();
	return c;
}

std::optional<Endpoint> Relay::listening_on(std::string_view service) const
{
	for (const auto &l : listeners_)
		if (l->service.name == service)
			return l->bound;
	return std::nullopt;
}

// --- listening ---------------------------------------------------------

std::unique_ptr<Relay::Listener> Relay::open_listener(const Service &service)
{
	auto l = std::make_unique<Listener>();
	l->service = service;
	l->fd = tcp_socket(service.family());
	int fd = l->fd.get();
	set_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	// The VIP may not be here yet (standby, or before takeover).
	set_freebind(fd, service.family());
	if (service.family() == AF_INET6)
		set_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
	// Accepted sockets inherit these from the moment they exist.
	set_leg_options(fd, settings_);
	SocketAddress sa = to_socket_address(service.vip);
	if (::bind(fd, sa.get(), sa.length) != 0)
		throw std::system_error(errno, std::system_category(),
					"bind " + service.vip.to_string());
	if (::listen(fd, listen_backlog) != 0)
		throw std::system_error(errno, std::system_category(), "listen");
	l->bound = local_endpoint(fd);
	return l;
}

void Relay::watch(Listener &l)
{
	loop_.add(l.fd.get(), EPOLLIN, [this, listener = &l](std::uint32_t) {
		on_acceptable(*listener);
	});
}

bool Relay::set_services(const std::vector<Service> &services)
{
	if (stopped_)
		return false;
	bool ok = true;
	std::vector<std::unique_ptr<Listener>> next;
	for (const Service &s : services) {
		auto same_vip = std::find_if(listeners_.begin(), listeners_.end(),
					     [&](const auto &l) { return l->service.vip == s.vip; });
		if (same_vip != listeners_.end()) {
			if ((*same_vip)->service != s)
				log_.info("relay: service '" + s.name +
					  "' now relays to " + s.backend.to_string() +
					  " via " + s.back_address.to_string());
			(*same_vip)->service = s;
			next.push_back(std::move(*same_vip));
			listeners_.erase(same_vip);
			continue;
		}
		try {
			auto l = open_listener(s);
			if (!accepting_paused_)
				watch(*l);
			log_.info("relay: listening on " + l->bound.to_string() +
				  " for service '" + s.name + "' -> " +
				  s.backend.to_string() + " via " +
				  s.back_address.to_string());
			next.push_back(std::move(l));
		} catch (const std::exception &e) {
			log_.error("relay: service '" + s.name + "': cannot listen on " +
				   s.vip.to_string() + ": " + e.what());
			ok = false;
		}
	}
	for (const auto &gone : listeners_) {
		loop_.remove(gone->fd.get());
		log_.info("relay: stopped listening on " + gone->bound.to_string() +
			  " (service '" + gone->service.name + "')");
	}
	listeners_ = std::move(next);
	return ok;
}

void Relay::pause_accepting()
{
	if (accepting_paused_ || stopped_)
		return;
	accepting_paused_ = true;
	for (const auto &l : listeners_)
		loop_.remove(l->fd.get());
	timers_.start(accept_pause, [this] { resume_accepting(); });
}

void Relay::resume_accepting()
{
	if (!accepting_paused_ || stopped_)
		return;
	accepting_paused_ = false;
	if (!reserve_fd_)
		reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
	for (const auto &l : listeners_)
		watch(*l);
}

void Relay::on_acceptable(Listener &l)
{
	for (int i = 0; i < accepts_per_round && !accepting_paused_; i++) {
		UniqueFd client(::accept4(l.fd.get(), nullptr, nullptr,
					  SOCK_NONBLOCK | SOCK_CLOEXEC));
		if (client) {
			start_flow(l.service, std::move(client));
			continue;
		}
		int err = errno;
		switch (err) {
		case EAGAIN:
			return;
		case EINTR:
		case ECONNABORTED:
		// accept(2): errors of the new connection, already gone.
		case ENETDOWN:
		case EPROTO:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
		case EPERM: // a firewall said no
			continue;
		default:
			if (out_of_resources(err)) {
				if (!shed_one(l, err))
					return;
				continue;
			}
			log_.error("relay: accept on " + l.bound.to_string() + ": " +
				   errno_text(err) + "; pausing");
			pause_accepting();
			return;
		}
	}
}

// The descriptor table is full: accept one connection into the reserve
// slot and close it, so the client hears at once and the listener does
// not stay readable with nothing we can do. True if one was shed; false
// if none was pending, or if it was impossible (then accepting pauses a
// moment instead of spinning).
bool Relay::shed_one(Listener &l, int error)
{
	if (reserve_fd_) {
		reserve_fd_.reset();
		UniqueFd client(::accept4(l.fd.get(), nullptr, nullptr,
					  SOCK_NONBLOCK | SOCK_CLOEXEC));
		int accept_error = client ? 0 : errno;
		if (client) {
			L1Tuple l1;
			try {
				l1 = {peer_endpoint(client.get()), local_endpoint(client.get())};
			} catch (const std::system_error &) {
				// Gone already; nothing to tell anyone.
			}
			counters_.accepted++;
			drop(l1, std::move(client), errno_text(error));
		}
		reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
		if (reserve_fd_ && (!accept_error || accept_error == EAGAIN))
			return !accept_error;
	}
	if (auto held = resource_log_.allow())
		log_.warning("relay: out of file descriptors (" + errno_text(error) +
			     "); pausing accept for 100ms" + held_back(*held));
	pause_accepting();
	return false;
}

// --- flows -------------------------------------------------------------

void Relay::drop(const L1Tuple &l1, UniqueFd client, const std::string &why)
{
	counters_.dropped++;
	if (auto held = resource_log_.allow())
		log_.warning("relay: dropping a new connection" +
			     (l1.family() != AF_UNSPEC ? " from " + l1.client.to_string() : "") +
			     ": " + why + held_back(*held));
	// The module holds the client leg and would swallow our FIN.
	if (l1.family() != AF_UNSPEC)
		del_flow(l1, "new connection from " + l1.client.to_string());
	close_orderly(client);
}

bool Relay::pair(const FlowPair &tuples, const std::string &service)
{
	// Named only when there is something to say: this runs per flow.
	auto name = [&] { return describe(tuples, service); };
	try {
		kernel_.pair_flow(tuples);
		return true;
	} catch (const KernelError &e) {
		if (e.code().value() == ENOENT) {
			if (log_.threshold() <= LogLevel::debug)
				log_.debug("relay: " + name() + ": not tracked by the "
					   "module; relaying it untracked");
			if (auto held = untracked_log_.allow())
				log_.warning("relay: relaying flows the module does not "
					     "track (service not declared to it, or the "
					     "module reloaded?), e.g. " + name() +
					     held_back(*held));
			return false;
		}
		if (auto held = pair_error_log_.allow())
			log_.warning("relay: " + name() + ": " + e.what() +
				     "; relaying anyway" + held_back(*held));
	} catch (const std::exception &e) {
		if (auto held = pair_error_log_.allow())
			log_.warning("relay: " + name() + ": pairing: " + e.what() +
				     "; relaying anyway" + held_back(*held));
	}
	return true;
}

void Relay::del_flow(const L1Tuple &l1, const std::string &name)
{
	try {
		kernel_.del_flow(l1);
	} catch (const KernelError &e) {
		if (e.code().value() == ENOENT) {
			log_.debug("relay: " + name + ": the module did not track it");
			return;
		}
		if (auto held = pair_error_log_.allow())
			log_.warning("relay: " + name + ": " + e.what() + held_back(*held));
	} catch (const std::exception &e) {
		if (auto held = pair_error_log_.allow())
			log_.warning("relay: " + name + ": deleting from the module: " +
				     e.what() + held_back(*held));
	}
}

void Relay::start_flow(const Service &service, UniqueFd client)
{
	counters_.accepted++;
	L1Tuple l1;
	try {
		l1 = {peer_endpoint(client.get()), local_endpoint(client.get())};
	} catch (const std::system_error &e) {
		// Reset before we got to it.
		log_.debug("relay: connection to '" + service.name +
			   "' gone before it was relayed: " + e.what());
		counters_.reset++;
		return;
	}

	std::unique_ptr<RelayFlow> flow;
	try {
		set_leg_options(client.get(), settings_);
		UniqueFd server = tcp_socket(l1.family());
		set_leg_options(server.get(), settings_);
		set_freebind(server.get(), l1.family());
		// Port 0: the kernel picks the source port now, so the module
		// can be told the whole L2 tuple before the SYN leaves.
		SocketAddress back = to_socket_address({service.back_address, 0});
		if (::bind(server.get(), back.get(), back.length) != 0)
			throw std::system_error(errno, std::system_category(),
						"bind " + service.back_address.to_string());
		FlowPair tuples{l1, {local_endpoint(server.get()), service.backend}};
		SpliceChannel c2s(settings_.pipe_size);
		SpliceChannel s2c(settings_.pipe_size);
		if (!(c2s.has_requested_size() && s2c.has_requested_size())) {
			if (auto held = pipe_size_log_.allow())
				log_.warning("relay: the kernel refused relay.pipe-size " +
					     format_byte_size(settings_.pipe_size) +
					     " (fs.pipe-max-size, or the per-user pipe "
					     "limit fs.pipe-user-pages-soft); using smaller "
					     "pipes" + held_back(*held));
		}
		flow = std::make_unique<RelayFlow>(service.name, std::move(tuples),
						   std::move(client), std::move(server),
						   std::move(c2s), std::move(s2c));
	} catch (const std::exception &e) {
		// client is still ours: the flow takes it only when complete.
		drop(l1, std::move(client), e.what());
		return;
	}

	const FlowPair &tuples = flow->tuples();
	FlowId id = ++next_id_;
	Entry entry;
	entry.tracked = pair(tuples, service.name);
	entry.flow = std::move(flow);
	auto [it, inserted] = flows_.emplace(id, std::move(entry));
	counters_.active++;
	RelayFlow &f = *it->second.flow;

	if (int err = f.connect(); err != 0) {
		end_backend_failed(it, err);
		return;
	}
	try {
		loop_.add(f.fd(Leg::client), flow_events, [this, id](std::uint32_t ev) {
			on_socket(id, Leg::client, ev);
		});
		loop_.add(f.fd(Leg::server), flow_events, [this, id](std::uint32_t ev) {
			on_socket(id, Leg::server, ev);
		});
	} catch (const std::system_error &e) {
		// epoll is full (max_user_watches): as good as out of fds.
		retire(it);
		std::string name = describe(tuples, service.name);
		if (it->second.tracked)
			del_flow(tuples.l1, name);
		if (auto held = resource_log_.allow())
			log_.warning("relay: dropping " + name + ": " + e.what() +
				     held_back(*held));
		f.abandon();
		account(counters_.dropped);
		flows_.erase(it);
		return;
	}
	it->second.connect_timer = timers_.start(
		settings_.connect_timeout, [this, id] { on_connect_timeout(id); });
	if (log_.threshold() <= LogLevel::debug)
		log_.debug("relay: " + describe(tuples, service.name) + ": connecting " +
			   tuples.l2.back.to_string() + " -> " +
			   tuples.l2.server.to_string());
}

void Relay::adopt(const std::string &service, const FlowPair &tuples,
		  UniqueFd client, UniqueFd server, bool c2s_fin_passed,
		  bool s2c_fin_passed)
{
	set_leg_options(client.get(), settings_);
	set_leg_options(server.get(), settings_);
	auto flow = std::make_unique<RelayFlow>(service, tuples, std::move(client),
						std::move(server),
						SpliceChannel(settings_.pipe_size),
						SpliceChannel(settings_.pipe_size));
	flow->resume(c2s_fin_passed, s2c_fin_passed);
	FlowId id = ++next_id_;
	Entry entry;
	entry.flow = std::move(flow);
	auto [it, inserted] = flows_.emplace(id, std::move(entry));
	counters_.taken_over++;
	counters_.active++;
	RelayFlow &f = *it->second.flow;
	try {
		loop_.add(f.fd(Leg::client), flow_events, [this, id](std::uint32_t ev) {
			on_socket(id, Leg::client, ev);
		});
		loop_.add(f.fd(Leg::server), flow_events, [this, id](std::uint32_t ev) {
			on_socket(id, Leg::server, ev);
		});
	} catch (...) {
		retire(it);
		f.reset();
		account(counters_.reset);
		flows_.erase(it);
		throw;
	}
	settle(it, f.pump());
}

void Relay::on_socket(FlowId id, Leg leg, std::uint32_t events)
{
	auto it = flows_.find(id);
	if (it == flows_.end())
		return;
	settle(it, it->second.flow->on_event(leg, events));
}

void Relay::pump_deferred(FlowId id)
{
	auto it = flows_.find(id);
	if (it == flows_.end())
		return;
	it->second.pump_deferred = false;
	settle(it, it->second.flow->pump());
}

void Relay::on_connect_timeout(FlowId id)
{
	auto it = flows_.find(id);
	if (it == flows_.end())
		return;
	it->second.connect_timer.reset();
	end_backend_failed(it, ETIMEDOUT, true);
}

void Relay::settle(Flows::iterator it, const RelayFlow::Outcome &o)
{
	counters_.bytes_c2s.fetch_add(o.moved_c2s, std::memory_order_relaxed);
	counters_.bytes_s2c.fetch_add(o.moved_s2c, std::memory_order_relaxed);
	Entry &e = it->second;
	if (o.connected_now && e.connect_timer) {
		timers_.cancel(*e.connect_timer);
		e.connect_timer.reset();
	}
	switch (o.kind) {
	case RelayFlow::Outcome::Kind::running:
		if (o.more && !e.pump_deferred) {
			e.pump_deferred = true;
			loop_.defer([this, id = it->first] { pump_deferred(id); });
		}
		return;
	case RelayFlow::Outcome::Kind::finished:
		end_finished(it);
		return;
	case RelayFlow::Outcome::Kind::failed:
		end_failed(it, o.leg, o.error);
		return;
	case RelayFlow::Outcome::Kind::backend_failed:
		end_backend_failed(it, o.error);
		return;
	}
}

// Out of the loop and the timers, while the descriptors are still open.
void Relay::retire(Flows::iterator it) noexcept
{
	Entry &e = it->second;
	try {
		loop_.remove(e.flow->fd(Leg::client));
		loop_.remove(e.flow->fd(Leg::server));
	} catch (const std::system_error &ex) {
		log_.error(std::string("relay: ") + ex.what());
	}
	if (e.connect_timer)
		timers_.cancel(*e.connect_timer);
	e.connect_timer.reset();
}

// How the flow ended, before it stops counting as active: whoever sees
// active drop also sees where the flow went.
void Relay::account(std::atomic<std::uint64_t> &ending) noexcept
{
	ending++;
	counters_.active--;
}

void Relay::end_finished(Flows::iterator it)
{
	retire(it);
	RelayFlow &f = *it->second.flow;
	if (log_.threshold() <= LogLevel::debug)
		log_.debug("relay: " + describe(f.tuples(), f.service()) + ": closed");
	f.close();
	account(counters_.closed);
	flows_.erase(it);
}

void Relay::end_failed(Flows::iterator it, Leg leg, int error)
{
	retire(it);
	RelayFlow &f = *it->second.flow;
	std::string name = describe(f.tuples(), f.service());
	if (it->second.tracked)
		del_flow(f.tuples().l1, name);
	f.reset();
	account(counters_.reset);
	Leg other = leg == Leg::client ? Leg::server : Leg::client;
	log_.info("relay: " + name + ": " + leg_name(leg) + " leg failed (" +
		  errno_text(error) + "); reset the " + leg_name(other) + " leg");
	flows_.erase(it);
}

void Relay::end_backend_failed(Flows::iterator it, int error, bool our_timeout)
{
	retire(it);
	RelayFlow &f = *it->second.flow;
	std::string name = describe(f.tuples(), f.service());
	// First, so the module lets go of the client's bytes and lets our
	// FIN through.
	del_flow(f.tuples().l1, name);
	f.abandon();
	account(counters_.backend_failed);
	if (auto held = backend_log_.allow()) {
		std::string why = our_timeout
					  ? "did not answer within " +
						    to_string(settings_.connect_timeout)
					  : "failed: " + errno_text(error);
		log_.warning("relay: " + name + ": backend " +
			     f.tuples().l2.server.to_string() + " " + why +
			     "; closed the client leg" + held_back(*held));
	}
	flows_.erase(it);
}

void Relay::stop() noexcept
{
	if (stopped_)
		return;
	stopped_ = true;
	for (const auto &l : listeners_)
		loop_.remove(l->fd.get());
	listeners_.clear();

	std::size_t n = flows_.size();
	for (auto it = flows_.begin(); it != flows_.end();) {
		retire(it);
		RelayFlow &f = *it->second.flow;
		if (it->second.tracked)
			del_flow(f.tuples().l1, describe(f.tuples(), f.service()));
		f.flush_and_close();
		account(counters_.closed);
		it = flows_.erase(it);
	}
	if (n)
		log_.info("relay: closed " + std::to_string(n) + " flow(s) at shutdown");
}

std::size_t Relay::hand_over() noexcept
{
	std::size_t n = flows_.size();
	for (auto it = flows_.begin(); it != flows_.end();) {
		retire(it);
		RelayFlow &f = *it->second.flow;
		// Silent first: the module then has nothing of theirs to see.
		f.close_silently();
		if (it->second.tracked)
			del_flow(f.tuples().l1, describe(f.tuples(), f.service()));
		account(counters_.handed_over);
		it = flows_.erase(it);
	}
	return n;
}

} // namespace tcpfo
