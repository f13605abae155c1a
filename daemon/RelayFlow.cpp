// SPDX-License-Identifier: GPL-2.0
#include "RelayFlow.hpp"

#include "Sockets.hpp"
#include "TcpRepair.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

namespace tcpfo {

namespace {

// Per direction and round: enough to keep a fast stream efficient, small
// enough that thousands of flows on one thread each get their turn.
constexpr std::uint64_t pump_budget = 1024 * 1024;

} // namespace

RelayFlow::RelayFlow(std::string service, FlowPair tuples, UniqueFd client,
		     UniqueFd server, SpliceChannel c2s, SpliceChannel s2c)
	: service_(std::move(service)), tuples_(std::move(tuples)),
	  client_(std::move(client)), server_(std::move(server)),
	  c2s_(std::move(c2s)), s2c_(std::move(s2c))
{
	// The client leg is established: its s2c sink may be written to.
	s2c_.sink_connected();
	s2c_.sink_ready();
}

bool RelayFlow::has_requested_pipe_size() const noexcept
{
	return c2s_.has_requested_size() && s2c_.has_requested_size();
}

void RelayFlow::resume(bool c2s_fin_passed, bool s2c_fin_passed) noexcept
{
	if (c2s_fin_passed)
		c2s_.source_finished_before();
	if (s2c_fin_passed)
		s2c_.source_finished_before();
	phase_ = Phase::relaying;
	c2s_.sink_connected();
	c2s_.sink_ready();
	c2s_.source_ready();
	s2c_.source_ready();
}

int RelayFlow::connect()
{
	SocketAddress sa = to_socket_address(tuples_.l2.server);
	if (::connect(server_.get(), sa.get(), sa.length) == 0 || errno == EINPROGRESS)
		return 0;
	return errno;
}

RelayFlow::Outcome RelayFlow::on_connect_event(std::uint32_t events)
{
	Outcome o;
	if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return pump();
	int err = take_socket_error(server_.get());
	if (err == 0 && !(events & EPOLLOUT))
		err = ECONNRESET; // hung up without saying why
	if (err != 0) {
		o.kind = Outcome::Kind::backend_failed;
		o.leg = Leg::server;
		o.error = err;
		return o;
	}
	phase_ = Phase::relaying;
	c2s_.sink_connected();
	c2s_.sink_ready();
	s2c_.source_ready();
	o = pump();
	o.connected_now = true;
	return o;
}

RelayFlow::Outcome RelayFlow::on_event(Leg leg, std::uint32_t events)
{
	if (leg == Leg::server && phase_ == Phase::connecting)
		return on_connect_event(events);

	if (events & EPOLLERR) {
		if (int err = take_socket_error(fd(leg)); err != 0) {
			Outcome o;
			o.kind = Outcome::Kind::failed;
			o.leg = leg;
			o.error = err;
			return o;
		}
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		from(leg).source_ready();
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		to(leg).sink_ready();
	return pump();
}

RelayFlow::Outcome RelayFlow::pump()
{
	Outcome o;
	auto failed = [&](const SpliceChannel::Result &r, Leg source, Leg sink) {
		o.kind = Outcome::Kind::failed;
		o.leg = r.failed == SpliceChannel::Side::source ? source : sink;
		o.error = r.error;
		return o;
	};

	SpliceChannel::Result up = c2s_.pump(client_.get(), server_.get(), pump_budget);
	o.moved_c2s = up.moved;
	if (up.error)
		return failed(up, Leg::client, Leg::server);
	if (phase_ == Phase::connecting) {
		o.more = up.more;
		return o;
	}
	SpliceChannel::Result down = s2c_.pump(server_.get(), client_.get(), pump_budget);
	o.moved_s2c = down.moved;
	if (down.error)
		return failed(down, Leg::server, Leg::client);
	o.more = up.more || down.more;
	if (c2s_.finished() && s2c_.finished())
		o.kind = Outcome::Kind::finished;
	return o;
}

void RelayFlow::close() noexcept
{
	client_.reset();
	server_.reset();
}

void RelayFlow::flush_and_close() noexcept
{
	if (phase_ == Phase::relaying) {
		c2s_.sink_ready();
		s2c_.sink_ready();
		(void)pump();
	}
	close();
}

void RelayFlow::close_silently() noexcept
{
	tcpfo::close_silently(client_);
	tcpfo::close_silently(server_);
}

void RelayFlow::reset() noexcept
{
	close_with_reset(client_);
	close_with_reset(server_);
}

void RelayFlow::abandon() noexcept
{
	server_.reset();
	close_orderly(client_);
}

} // namespace tcpfo
