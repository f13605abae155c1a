// SPDX-License-Identifier: GPL-2.0
#include "StateLink.hpp"

#include "Duration.hpp"
#include "Sockets.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

namespace tcpfo {

namespace {

using Clock = std::chrono::steady_clock;

// Records per frame: well below the 1 MiB frame limit.
constexpr std::size_t kFlowsPerFrame = 256;
constexpr std::size_t kDeltasPerFrame = 1024;
constexpr std::size_t kRemovedPerFrame = 8192;
constexpr auto kRetry = std::chrono::seconds(1);
// A connect that got no answer this long is tried again from scratch.
constexpr auto kConnectTimeout = std::chrono::seconds(2);
// Output a slow peer may leave unsent before the link is closed.
constexpr std::size_t kMaxOutput = 64u << 20;

std::uint64_t mono_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
	       static_cast<std::uint64_t>(ts.tv_nsec);
}

wire::Key key_of(const Config &c)
{
	if (!c.peer.key)
		throw std::runtime_error("state link: peer.key-file is required");
	wire::Key k;
	std::copy(c.peer.key->begin(), c.peer.key->end(), k.begin());
	return k;
}

} // namespace

StateLink::StateLink(EventLoop &loop, TimerQueue &timers, Logger &log,
		     const Config &config, std::uint64_t epoch, UniqueFd listener)
	: loop_(loop), timers_(timers), log_(log),
	  primary_(config.role == Role::primary), node_(config.node),
	  mode_(config.mode == Mode::sync ? wire::LinkMode::sync
					   : wire::LinkMode::async),
	  psk_(key_of(config)), listen_(config.peer.listen),
	  address_(config.peer.address), interval_(config.heartbeat.interval),
	  silence_limit_(primary_ && config.peer.timeout
				 ? *config.peer.timeout
				 : config.heartbeat.interval * config.heartbeat.misses),
	  epoch_(epoch), front_check_(!config.takeover.front_interface.empty())
{
	if (primary_) {
		if (!address_)
			throw std::runtime_error("state link: a primary needs "
						 "peer.address");
		events_ = std::make_unique<FlowEvents>();
		// Sync mode waits for the standby only once it holds every
		// flow: until then the module releases at once (unprotected).
		kernel_.set_mode(Mode::async, TCPFO_PROT_UNPROTECTED);
		loop_.add(events_->fd(), EPOLLIN, [this](std::uint32_t) {
			if (events_->drain() && session_)
				sync_or_gather();
			publish();
		});
		connect_start();
		// A node starting as primary asks here whether one runs.
		responder_.emplace(loop_, log_, psk_, node_, mode_, epoch_);
		responder_->on_newer_primary([this](const std::string &node, std::uint64_t epoch) {
			if (newer_primary_)
				newer_primary_(node, epoch);
		});
		if (listen_) {
			try {
				listen_start(std::move(listener));
			} catch (const std::exception &e) {
				log_.warning(std::string(e.what()) +
					     ": a starting peer cannot ask this primary "
					     "its epoch");
			}
		}
	} else {
		if (!listen_)
			throw std::runtime_error("state link: a standby needs "
						 "peer.listen");
		listen_start(std::move(listener));
	}
	heartbeat_timer_ = timers_.start(interval_, [this] { heartbeat_tick(); });
	publish();
}

// Reads and drops what the peer sent that nobody will read now: closing
// a TCP socket with unread data aborts it (an RST, and whatever it still
// had to send, the last frame included, is thrown away).
static void discard_input(int fd)
{
	std::uint8_t buf[65536];
	for (int i = 0; i < 64; i++) {
		const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		return;
	}
}

StateLink::~StateLink()
{
	if (conn_ && session_)
		discard_input(conn_.get());
	if (heartbeat_timer_)
		timers_.cancel(*heartbeat_timer_);
	if (retry_timer_)
		timers_.cancel(*retry_timer_);
	if (deadline_timer_)
		timers_.cancel(*deadline_timer_);
	if (read_timer_)
		timers_.cancel(*read_timer_);
	if (conn_)
		loop_.remove(conn_.get());
	if (listener_)
		loop_.remove(listener_.get());
	if (events_)
		loop_.remove(events_->fd());
}

UniqueFd StateLink::take_listener()
{
	if (listener_)
		loop_.remove(listener_.get());
	return std::move(listener_);
}

void StateLink::adopt_probes(std::vector<ProbeResponder::Pending> probes)
{
	if (!responder_)
		return;
	for (ProbeResponder::Pending &p : probes)
		responder_->adopt(std::move(p));
}

void StateLink::listen_start(UniqueFd listener)
{
	listener_ = listener ? std::move(listener) : listen_socket(*listen_, "state link");
	loop_.add(listener_.get(), EPOLLIN, [this](std::uint32_t) { on_accept(); });
	log_.info("state link: listening on " + listen_->to_string());
}

void StateLink::on_accept()
{
	for (;;) {
		sockaddr_storage ss{};
		socklen_t len = sizeof(ss);
		int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr *>(&ss),
				   &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		UniqueFd next(fd);
		const std::string from = to_endpoint(ss).to_string();
		if (responder_) {
			// Only a starting node's probe comes here.
			responder_->adopt(std::move(next));
			continue;
		}
		if (session_) {
			// A stranger must not end a working session; a
			// restarted primary gets in once this one is found
			// silent (heartbeat misses).
			log_.warning("state link: refused a connection from " + from +
				     ": a session with the primary is up");
			continue;
		}
		if (conn_)
			close_link("replaced by a new connection from " + from, false);
		conn_ = std::move(next);
		set_option(conn_.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
		decoder_.emplace(psk_);
		encoder_.reset();
		session_ = hello_sent_ = false;
		out_.clear();
		out_pos_ = 0;
		last_heard_ = Clock::now();
		loop_.add(conn_.get(), EPOLLIN | EPOLLOUT | EPOLLET,
			  [this](std::uint32_t ev) { on_io(ev); });
		log_.debug("state link: connection from " + to_endpoint(ss).to_string());
	}
}

void StateLink::connect_start()
{
	retry_timer_.reset();
	conn_ = tcp_socket(address_->family());
	set_option(conn_.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	const SocketAddress sa = to_socket_address(*address_);
	if (::connect(conn_.get(), sa.get(), sa.length) != 0 &&
	    errno != EINPROGRESS) {
		const int err = errno;
		conn_.reset();
		log_.debug(std::string("state link: connect to ") +
			   address_->to_string() + ": " + std::strerror(err));
		retry_timer_ = timers_.start(kRetry, [this] { connect_start(); });
		return;
	}
	connecting_ = true;
	decoder_.emplace(psk_);
	encoder_.reset();
	session_ = hello_sent_ = false;
	out_.clear();
	out_pos_ = 0;
	last_heard_ = Clock::now();
	loop_.add(conn_.get(), EPOLLIN | EPOLLOUT | EPOLLET,
		  [this](std::uint32_t ev) { on_io(ev); });
}

void StateLink::close_link(const std::string &reason, bool error, Gone gone)
{
	if (!conn_)
		return;
	// A standby that stored a full sync (in this session or an earlier
	// one: a resync under way does not make the store worthless) whose
	// primary went silent or dropped the link: its owner judges the
	// primary and may take over (after this returns).
	const bool lost = gone != Gone::no && !primary_ && session_ &&
			  loss_judged() && !handed_over_;
	const std::string what = std::string("state link: ") +
				 (session_ ? "closed: " : "gave up: ") + reason;
	if (error)
		log_.warning(what);
	else if (session_)
		log_.info(what);
	else
		log_.debug(what);
	if (session_)
		++counters_.closed;
	loop_.remove(conn_.get());
	conn_.reset();
	connecting_ = session_ = hello_sent_ = false;
	encoder_.reset();
	decoder_.reset();
	out_.clear();
	out_pos_ = 0;
	acked_ = 0;
	inflight_.clear();
	batch_ends_.clear();
	full_done_ = false;
	sync_pending_ = false;
	full_end_seq_ = 0;
	if (primary_) {
		set_protected(false);
		// The next session starts with a full sync.
		tracker_.reset();
		if (!retry_timer_)
			retry_timer_ = timers_.start(kRetry, [this] { connect_start(); });
	}
	if (deadline_timer_) {
		timers_.cancel(*deadline_timer_);
		deadline_timer_.reset();
	}
	if (read_timer_) {
		timers_.cancel(*read_timer_);
		read_timer_.reset();
	}
	if (lost && primary_lost_)
		primary_lost_(reason, gone == Gone::silent, silence_id());
}

void StateLink::send(wire::FrameType type, const std::vector<std::uint8_t> &payload)
{
	std::vector<std::uint8_t> frame =
		type == wire::FrameType::hello
			? wire::FrameEncoder::encode_hello(psk_, payload)
			: encoder_->encode(type, payload);
	out_.insert(out_.end(), frame.begin(), frame.end());
	++counters_.frames_sent;
	counters_.bytes_sent += frame.size();
}

void StateLink::send_hello()
{
	nonce_ = wire::random_nonce();
	wire::Hello h{node_, primary_ ? wire::Role::primary : wire::Role::standby,
		      mode_, epoch_, nonce_};
	send(wire::FrameType::hello, wire::encode(h));
	hello_sent_ = true;
}

void StateLink::flush()
{
	while (conn_ && out_pos_ < out_.size()) {
		ssize_t n = ::send(conn_.get(), out_.data() + out_pos_,
				   out_.size() - out_pos_, MSG_NOSIGNAL);
		if (n > 0) {
			out_pos_ += static_cast<std::size_t>(n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		const int err = n < 0 ? errno : EPIPE;
		if (!salvaging_) {
			// What the peer sent before it went (a handover, its
			// last records) is read before the link closes: a reset
			// that followed it must not make us lose it.
			salvaging_ = true;
			const bool open = read_input();
			salvaging_ = false;
			if (!open || !conn_)
				return;
		}
		close_link(std::string("send: ") + std::strerror(err), true, Gone::closed);
		return;
	}
	if (out_pos_ == out_.size()) {
		out_.clear();
		out_pos_ = 0;
	} else if (out_.size() - out_pos_ > kMaxOutput) {
		close_link("peer does not read (more than 64 MiB unsent)", true);
	}
}

void StateLink::on_connected()
{
	connecting_ = false;
	log_.debug("state link: connected to " + address_->to_string());
	send_hello();
	flush();
}

void StateLink::on_io(std::uint32_t events)
{
	PublishAfter publish_after{this};
	if (connecting_) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (int err = take_socket_error(conn_.get())) {
			close_link("connect to " + address_->to_string() + ": " +
					   std::strerror(err),
				   false);
			return;
		}
		on_connected();
		if (!conn_)
			return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		if (!read_input())
			return;
	}
	flush();
}

// Reads and handles what the peer sent, for at most half a heartbeat
// interval and 10 ms: a standby storing a full sync of many flows (one
// module call each) would otherwise neither send its heartbeats nor
// acknowledge anything until it had read the last one, and its peer would
// find it silent; and a takeover waits for this thread to stop (it waited
// 60 ms with 1,000 flows and a 50 ms budget). What is left is read on a
// timer of its own, after the timers already due (the heartbeat among
// them). False if the link was closed.
bool StateLink::read_input()
{
	const auto started = Clock::now();
	const auto budget = std::clamp<Clock::duration>(interval_ / 2, std::chrono::milliseconds(5),
							std::chrono::milliseconds(10));
	std::uint64_t last_seq = 0;
	bool got = false;
	bool more = false;
	std::uint8_t buf[65536];
	// Frames already received come first (a read cut short left them).
	auto handle_frames = [&] {
		while (conn_ && decoder_) {
			if ((got && Clock::now() - started > budget) || stop_requested_) {
				more = decoder_->buffered() > 0;
				return;
			}
			auto f = decoder_->next();
			if (!f)
				return;
			++counters_.frames_received;
			last_heard_ = Clock::now();
			if (f->seq) {
				last_seq = f->seq;
				got = true;
			}
			on_frame(*f);
		}
	};
	try {
		handle_frames();
	} catch (const wire::ProtocolError &e) {
		++counters_.refused;
		close_link(std::string("refused: ") + e.what(), true);
		return false;
	}
	while (conn_ && !more) {
		if ((got && Clock::now() - started > budget) || stop_requested_) {
			more = true;
			break;
		}
		ssize_t n = ::recv(conn_.get(), buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			const std::size_t partial = decoder_ ? decoder_->buffered() : 0;
			if (n == 0 && partial) {
				++counters_.refused;
				close_link("refused: connection closed inside a frame (" +
						   std::to_string(partial) +
						   " bytes of it received)",
					   true);
			} else {
				close_link(n == 0 ? "the peer closed the connection"
						  : std::string("recv: ") + std::strerror(errno),
					   n != 0, Gone::closed);
			}
			return false;
		}
		counters_.bytes_received += static_cast<std::size_t>(n);
		try {
			decoder_->feed(std::span(buf, static_cast<std::size_t>(n)));
			handle_frames();
		} catch (const wire::ProtocolError &e) {
			++counters_.refused;
			close_link(std::string("refused: ") + e.what(), true);
			return false;
		}
	}
	if (!conn_)
		return false;
	// The standby acknowledges what it stored, once per read.
	if (!primary_ && session_ && got)
		send(wire::FrameType::ack, wire::encode_ack(last_seq));
	if (more && !read_timer_)
		read_timer_ = timers_.start(std::chrono::nanoseconds(0), [this] {
			read_timer_.reset();
			if (!conn_ || connecting_)
				return;
			PublishAfter publish_after{this};
			if (read_input())
				flush();
		});
	return true;
}

// Bytes the peer sent that are not read yet (the loop was busy): the peer
// was not silent.
bool StateLink::input_waiting() const
{
	if (read_timer_)
		return true;
	int queued = 0;
	return conn_ && ::ioctl(conn_.get(), FIONREAD, &queued) == 0 && queued > 0;
}

void StateLink::on_hello(const wire::Frame &f)
{
	const wire::Hello h = wire::decode_hello(f.payload);
	const wire::Role want = primary_ ? wire::Role::standby : wire::Role::primary;
	if (primary_ && h.role == wire::Role::primary && h.epoch > epoch_) {
		// Two primaries: the older one (ours) steps down.
		const std::string node = h.node;
		const std::uint64_t epoch = h.epoch;
		close_link("peer '" + node + "' is the primary of epoch " +
				   std::to_string(epoch) + ", this node's is " +
				   std::to_string(epoch_),
			   true);
		if (newer_primary_)
			newer_primary_(node, epoch);
		return;
	}
	if (h.role != want)
		throw wire::ProtocolError(std::string("peer '") + h.node + "' is a " +
					  (h.role == wire::Role::primary ? "primary"
									 : "standby") +
					  " too");
	// A standby's takeover must outnumber every primary it has known
	// (a session with a live primary is never replaced: on_accept).
	if (!primary_)
		epoch_ = std::max(epoch_, h.epoch);
	handed_over_ = false;
	if (!hello_sent_)
		send_hello();
	peer_node_ = h.node;
	encoder_.emplace(wire::session_key(psk_, nonce_, h.nonce));
	decoder_->set_key(wire::session_key(psk_, h.nonce, nonce_));
	session_ = true;
	++counters_.connects;
	if (h.mode != mode_)
		log_.warning("state link: peer '" + h.node + "' runs in " +
			     (h.mode == wire::LinkMode::sync ? "sync" : "async") +
			     " mode, this node in " +
			     (mode_ == wire::LinkMode::sync ? "sync" : "async"));
	log_.info("state link: up with " + std::string(primary_ ? "standby" : "primary") +
		  " '" + h.node + "'");
	if (primary_)
		sync(true);
}

void StateLink::on_frame(const wire::Frame &f)
{
	using wire::FrameType;
	if (f.type == FrameType::hello) {
		on_hello(f);
		return;
	}
	switch (f.type) {
	case FrameType::heartbeat: {
		const wire::Heartbeat hb = wire::decode_heartbeat(f.payload);
		last_heartbeat_ = Clock::now();
		// The peer's clock minus ours, as of now (one-way delay
		// included): maps the TSval samples in its records.
		peer_clock_offset_ns_ = static_cast<std::int64_t>(hb.mono_ns - mono_ns());
		return;
	}
	case FrameType::ack: {
		const std::uint64_t seq = wire::decode_ack(f.payload);
		if (!primary_ || !encoder_ || seq > encoder_->last_seq())
			throw wire::ProtocolError("ack for a frame never sent");
		on_ack(seq);
		return;
	}
	case FrameType::handover_request:
		wire::decode_payload(f.type, f.payload);
		if (!primary_)
			throw wire::ProtocolError("the primary sent a handover request");
		log_.warning("state link: standby '" + peer_node_ +
			     "' asks for the flows (switchover)");
		if (handover_request_)
			handover_request_();
		return;
	case FrameType::handover: {
		const std::uint64_t epoch = wire::decode_ack(f.payload);
		if (primary_)
			throw wire::ProtocolError("the standby sent a handover");
		handed_over_ = true;
		log_.warning("state link: primary '" + peer_node_ +
			     "' handed its flows over (epoch " + std::to_string(epoch) + ")");
		if (handover_)
			handover_(epoch);
		return;
	}
	default:
		break;
	}
	if (primary_)
		throw wire::ProtocolError("the standby sent " + wire::to_string(f.type));
	switch (f.type) {
	case FrameType::full_begin:
		wire::decode_payload(f.type, f.payload);
		in_full_ = true;
		full_started_ = Clock::now();
		seen_in_full_.clear();
		break;
	case FrameType::flows:
		for (const wire::FlowRecord &r : wire::decode_flows(f.payload)) {
			if (in_full_)
				seen_in_full_.insert(r.id);
			store(r);
		}
		break;
	case FrameType::full_end: {
		wire::decode_payload(f.type, f.payload);
		if (!in_full_)
			throw wire::ProtocolError("full-end without full-begin");
		// Whatever the module holds that the primary no longer has
		// goes, including leftovers of an earlier daemon.
		std::set<std::uint64_t> gone;
		for (const auto &[id, r] : stored_)
			if (!seen_in_full_.count(id))
				gone.insert(id);
		try {
			for (const Flow &fl : kernel_.list_flows())
				if (fl.standby && fl.id && !seen_in_full_.count(*fl.id))
					gone.insert(*fl.id);
		} catch (const std::exception &e) {
			log_.warning(std::string("state link: listing standby flows: ") +
				     e.what());
		}
		for (std::uint64_t id : gone)
			forget(id);
		in_full_ = false;
		full_done_ = ever_synced_ = true;
		++counters_.full_syncs;
		log_.info("state link: full sync done, " +
			  std::to_string(stored_.size()) + " flow(s) stored in " +
			  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
						 Clock::now() - full_started_)
						 .count()) +
			  " ms");
		break;
	}
	case FrameType::deltas:
		for (const wire::FlowDelta &d : wire::decode_deltas(f.payload)) {
			auto it = stored_.find(d.id);
			if (it == stored_.end())
				throw wire::ProtocolError("delta for unknown flow " +
							  std::to_string(d.id));
			wire::FlowRecord r = it->second;
			apply_delta(r, d);
			const bool moved = r.released != it->second.released;
			store(r);
			if (moved)
				moved_at_[d.id] = Clock::now();
		}
		break;
	case FrameType::removed:
		for (std::uint64_t id : wire::decode_removed(f.payload))
			forget(id);
		break;
	default:
		throw wire::ProtocolError("unexpected " + wire::to_string(f.type));
	}
}

void StateLink::store(const wire::FlowRecord &r)
{
	try {
		Flow f = from_record(r);
		// How old its TSvals are: the probes of a takeover count the old
		// sockets' clocks on from when the primary read them.
		if (r.ts_sample_mono_ns && peer_clock_offset_ns_) {
			const std::int64_t age = static_cast<std::int64_t>(mono_ns()) +
						 *peer_clock_offset_ns_ -
						 static_cast<std::int64_t>(r.ts_sample_mono_ns);
			f.ts_age_ms = static_cast<std::uint32_t>(
				std::clamp<std::int64_t>(age / 1'000'000, 0, UINT32_MAX));
		}
		kernel_.import_flow(f);
	} catch (const std::exception &e) {
		// Acknowledging it would tell a sync primary the flow is safe
		// here: close instead (the primary goes unprotected and resyncs).
		throw wire::ProtocolError("cannot store flow " + std::to_string(r.id) +
					  " in the module: " + e.what());
	}
	stored_[r.id] = r;
}

void StateLink::forget(std::uint64_t id)
{
	stored_.erase(id);
	moved_at_.erase(id);
	try {
		kernel_.forget_flow(id);
	} catch (const KernelError &e) {
		if (e.code().value() != ENOENT)
			log_.warning(std::string("state link: ") + e.what());
	} catch (const std::exception &e) {
		log_.warning(std::string("state link: ") + e.what());
	}
}

void StateLink::sync(bool full)
{
	// Handing over: the flows about to be deleted here must not be
	// removed at the standby.
	if (frozen_)
		return;
	const auto t0 = Clock::now();
	const std::size_t out_before = out_.size();
	std::vector<wire::FlowRecord> now;
	try {
		const std::uint64_t t = mono_ns();
		// A fenced flow's sockets died with an earlier run: nobody
		// relays it, so a standby must not take it over.
		for (const Flow &f : kernel_.list_flows())
			if (!f.standby && !f.fenced && f.id)
				now.push_back(to_record(f, t));
	} catch (const std::exception &e) {
		log_.warning(std::string("state link: reading flows: ") + e.what());
		return;
	}
	if (full) {
		tracker_.reset();
		send(wire::FrameType::full_begin, {});
		send_changes(tracker_.update(now));
		send(wire::FrameType::full_end, {});
		full_end_seq_ = encoder_->last_seq();
		++counters_.full_syncs;
		log_.info("state link: full sync sent, " + std::to_string(now.size()) +
			  " flow(s), " + std::to_string(out_.size() - out_before) +
			  " bytes, read and encoded in " +
			  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
						 Clock::now() - t0)
						 .count()) +
			  " ms");
	} else {
		send_changes(tracker_.update(now));
	}
	flush();
}

// The legs whose handshake a record lets the standby take over: the
// module holds a leg's first acknowledgement until this is confirmed.
static std::uint32_t stored_legs(const wire::FlowRecord &r)
{
	std::uint32_t legs = 0;
	if (r.present & wire::kHasL1Isn)
		legs |= TCPFO_STORED_L1;
	constexpr std::uint16_t l2 = wire::kHasL2 | wire::kHasL2Isn | wire::kHasServerIsn;
	if ((r.present & l2) == l2)
		legs |= TCPFO_STORED_L2;
	return legs;
}

void StateLink::send_changes(const ChangeTracker::Changes &c)
{
	for (std::size_t i = 0; i < c.full.size(); i += kFlowsPerFrame) {
		const auto end = std::min(c.full.size(), i + kFlowsPerFrame);
		const std::size_t before = out_.size();
		send(wire::FrameType::flows,
		     wire::encode_flows({c.full.begin() + static_cast<long>(i),
					 c.full.begin() + static_cast<long>(end)}));
		std::vector<KernelLink::Confirm> points;
		for (std::size_t k = i; k < end; ++k)
			points.push_back({c.full[k].id, c.full[k].released[0],
					  c.full[k].released[1],
					  stored_legs(c.full[k])});
		inflight_.push_back({encoder_->last_seq(), out_.size() - before,
				     std::move(points)});
	}
	for (std::size_t i = 0; i < c.deltas.size(); i += kDeltasPerFrame) {
		const auto end = std::min(c.deltas.size(), i + kDeltasPerFrame);
		const std::size_t before = out_.size();
		send(wire::FrameType::deltas,
		     wire::encode_deltas({c.deltas.begin() + static_cast<long>(i),
					  c.deltas.begin() + static_cast<long>(end)}));
		std::vector<KernelLink::Confirm> points;
		for (std::size_t k = i; k < end; ++k) {
			// The legs again (the module ORs them): a confirm lost
			// with its full record must not strand a held handshake.
			const auto rec = tracker_.sent().find(c.deltas[k].id);
			points.push_back({c.deltas[k].id, c.deltas[k].released[0],
					  c.deltas[k].released[1],
					  rec == tracker_.sent().end() ? 0u
								       : stored_legs(rec->second)});
		}
		inflight_.push_back({encoder_->last_seq(), out_.size() - before,
				     std::move(points)});
	}
	for (std::size_t i = 0; i < c.removed.size(); i += kRemovedPerFrame) {
		const auto end = std::min(c.removed.size(), i + kRemovedPerFrame);
		send(wire::FrameType::removed,
		     wire::encode_removed({c.removed.begin() + static_cast<long>(i),
					   c.removed.begin() + static_cast<long>(end)}));
	}
	counters_.flows_sent += c.full.size();
	counters_.deltas_sent += c.deltas.size();
	counters_.removed_sent += c.removed.size();
}

void StateLink::sync_or_gather()
{
	if (batch_ends_.size() >= batches_in_flight()) {
		sync_pending_ = true;
		return;
	}
	sync_pending_ = false;
	const std::uint64_t before = encoder_ ? encoder_->last_seq() : 0;
	sync(false);
	if (encoder_ && encoder_->last_seq() != before)
		batch_ends_.push_back(encoder_->last_seq());
}

void StateLink::on_ack(std::uint64_t seq)
{
	acked_ = std::max(acked_, seq);
	while (!batch_ends_.empty() && batch_ends_.front() <= seq)
		batch_ends_.pop_front();
	std::map<std::uint64_t, KernelLink::Confirm> merged;
	while (!inflight_.empty() && inflight_.front().seq <= seq) {
		for (const KernelLink::Confirm &c : inflight_.front().points) {
			// Later frames carry later points; the legs add up.
			auto [it, fresh] = merged.try_emplace(c.id, c);
			if (!fresh) {
				const std::uint32_t legs = it->second.stored | c.stored;
				it->second = c;
				it->second.stored = legs;
			}
		}
		inflight_.pop_front();
	}
	if (mode_ != wire::LinkMode::sync) {
		if (!protected_ && full_end_seq_ && seq >= full_end_seq_)
			set_protected(true);
		if (sync_pending_ && batch_ends_.size() < batches_in_flight())
			sync_or_gather();
		return;
	}
	if (!merged.empty()) {
		std::vector<KernelLink::Confirm> v;
		v.reserve(merged.size());
		for (const auto &[id, c] : merged)
			v.push_back(c);
		try {
			kernel_.confirm_flows(v);
		} catch (const std::exception &e) {
			log_.warning(std::string("state link: confirming: ") + e.what());
		}
	}
	if (!protected_ && full_end_seq_ && seq >= full_end_seq_)
		set_protected(true);
	if (sync_pending_ && batch_ends_.size() < batches_in_flight())
		sync_or_gather();
}

void StateLink::set_protected(bool on)
{
	if (on == protected_)
		return;
	try {
		kernel_.set_mode(on && mode_ == wire::LinkMode::sync ? Mode::sync
								      : Mode::async,
				 on ? TCPFO_PROT_PROTECTED : TCPFO_PROT_UNPROTECTED);
	} catch (const std::exception &e) {
		log_.error(std::string("state link: setting the module's mode: ") +
			   e.what());
		return;
	}
	protected_ = on;
	const bool sync = mode_ == wire::LinkMode::sync;
	if (on)
		log_.info(sync ? "state link: protected: releases wait for the standby (sync mode)"
			       : "state link: protected: the standby holds every flow (async mode)");
	else
		log_.warning(sync ? "state link: UNPROTECTED: the standby is not in sync; "
				    "releasing without it"
				  : "state link: UNPROTECTED: the standby is not in sync");
}

std::map<std::uint64_t, std::uint64_t> StateLink::ts_sample_ages_ms() const
{
	std::map<std::uint64_t, std::uint64_t> ages;
	if (!peer_clock_offset_ns_)
		return ages;
	const auto peer_now = static_cast<std::int64_t>(mono_ns()) + *peer_clock_offset_ns_;
	for (const auto &[id, r] : stored_) {
		if (!r.ts_sample_mono_ns)
			continue;
		const std::int64_t age = peer_now - static_cast<std::int64_t>(r.ts_sample_mono_ns);
		ages[id] = age > 0 ? static_cast<std::uint64_t>(age) / 1'000'000u : 0;
	}
	return ages;
}

std::vector<std::uint64_t> StateLink::recently_moved(std::size_t n) const
{
	std::vector<std::pair<Clock::time_point, std::uint64_t>> by_time;
	for (const auto &[id, t] : moved_at_)
		by_time.emplace_back(t, id);
	n = std::min(n, by_time.size());
	std::partial_sort(by_time.begin(), by_time.begin() + static_cast<std::ptrdiff_t>(n),
			  by_time.end(), std::greater<>());
	std::vector<std::uint64_t> ids;
	for (std::size_t i = 0; i < n; ++i)
		ids.push_back(by_time[i].second);
	return ids;
}

void StateLink::heartbeat_tick()
{
	heartbeat_timer_ = timers_.start(interval_, [this] { heartbeat_tick(); });
	PublishAfter publish_after{this};
	if (responder_)
		responder_->expire();
	if (conn_ && connecting_ && Clock::now() - last_heard_ > kConnectTimeout) {
		// The kernel would back its SYN retransmissions off for minutes
		// (a peer that was unreachable and is back): start afresh.
		close_link("connect to " + address_->to_string() + ": no answer within " +
				   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
							  kConnectTimeout)
							  .count()) +
				   " ms",
			   false);
		return;
	}
	if (!conn_ || connecting_)
		return;
	check_silence();
	if (!conn_ || !session_)
		return;
	send(wire::FrameType::heartbeat, wire::encode(wire::Heartbeat{mono_ns(), epoch_}));
	// The doorbell is the trigger; this catches anything it missed.
	if (primary_ && ++ticks_ % std::max<std::uint64_t>(1, 1'000'000 / std::max<std::int64_t>(1, interval_.count())) == 0)
		sync(false);
	flush();
}

std::uint64_t StateLink::silence_id() const noexcept
{
	return static_cast<std::uint64_t>(
		std::chrono::duration_cast<std::chrono::nanoseconds>(last_heard_.time_since_epoch())
			.count());
}

// Ends the link if the peer has been silent past silence_limit_. On a
// standby with a synced session, also: once the silence is long enough,
// tells the owner to check the front segment now (so that check is done
// when the silence counts as a loss), and ends the silence exactly at
// the limit rather than at the next tick.
void StateLink::check_silence()
{
	if (Clock::now() - last_heard_ > silence_limit_ && input_waiting()) {
		// Late, not silent: what it sent is read before judging.
		if (!read_input())
			return;
		flush();
	}
	const auto now = Clock::now();
	const auto silent = now - last_heard_;
	if (silent > silence_limit_) {
		close_link("peer silent for " +
				   std::to_string(std::chrono::duration_cast<
							  std::chrono::milliseconds>(silent)
							  .count()) +
				   " ms",
			   true, Gone::silent);
		return;
	}
	if (primary_ || !session_ || !loss_judged() || handed_over_)
		return;
	const auto suspect_after = std::max<std::chrono::microseconds>(
		silence_limit_ - 2 * interval_, interval_);
	const std::uint64_t id = silence_id();
	if (silent > suspect_after && suspected_ != id) {
		suspected_ = id;
		if (primary_suspect_)
			primary_suspect_(id);
	}
	const auto left = silence_limit_ - silent;
	if (left < interval_ && !deadline_timer_)
		deadline_timer_ = timers_.start(left + std::chrono::milliseconds(1), [this] {
			deadline_timer_.reset();
			if (conn_ && !connecting_) {
				check_silence();
				publish();
			}
		});
}

bool StateLink::request_handover()
{
	if (primary_ || !session_ || !full_done_)
		return false;
	send(wire::FrameType::handover_request, {});
	flush();
	return conn_.get() >= 0 && session_;
}

bool StateLink::send_handover()
{
	if (!primary_ || !session_)
		return false;
	send(wire::FrameType::handover, wire::encode_ack(epoch_));
	flush();
	if (!session_ || !out_.empty())
		return false;
	// The handover frame may still wait in the socket: it leaves with a
	// FIN after it, and closing the link later does not abort it.
	discard_input(conn_.get());
	::shutdown(conn_.get(), SHUT_WR);
	return true;
}

std::optional<PeerHello> probe_peer(const Config &config, std::uint64_t epoch,
				    std::chrono::milliseconds timeout)
{
	if (!config.peer.address || !config.peer.key)
		return std::nullopt;
	// The hello is ready before the connection: it follows the handshake
	// at once. (The first random bytes and MAC of a process can take
	// hundreds of milliseconds on a loaded host; meanwhile a peer taking
	// over may have ended the takeover that would have answered.)
	const wire::Key psk = key_of(config);
	const wire::Hello mine{config.node, wire::Role::primary,
			       config.mode == Mode::sync ? wire::LinkMode::sync
							 : wire::LinkMode::async,
			       epoch, wire::random_nonce()};
	const auto frame = wire::FrameEncoder::encode_hello(psk, wire::encode(mine));
	wire::FrameDecoder decoder(psk);
	const auto deadline = Clock::now() + timeout;	// for the peer alone
	auto left_ms = [&] {
		return static_cast<int>(std::max<std::int64_t>(
			0, std::chrono::duration_cast<std::chrono::milliseconds>(
				   deadline - Clock::now())
				   .count()));
	};
	UniqueFd fd = tcp_socket(config.peer.address->family());
	const SocketAddress sa = to_socket_address(*config.peer.address);
	if (::connect(fd.get(), sa.get(), sa.length) != 0 && errno != EINPROGRESS)
		return std::nullopt;
	pollfd pfd{fd.get(), POLLOUT, 0};
	if (::poll(&pfd, 1, left_ms()) <= 0 || take_socket_error(fd.get()))
		return std::nullopt;
	if (::send(fd.get(), frame.data(), frame.size(), MSG_NOSIGNAL) !=
	    static_cast<ssize_t>(frame.size()))
		return std::nullopt;
	std::uint8_t buf[4096];
	for (;;) {
		pfd = {fd.get(), POLLIN, 0};
		if (::poll(&pfd, 1, left_ms()) <= 0)
			return std::nullopt;
		ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return std::nullopt;
		try {
			decoder.feed(std::span(buf, static_cast<std::size_t>(n)));
			if (auto f = decoder.next()) {
				const wire::Hello h = wire::decode_hello(f->payload);
				return PeerHello{h.node, h.role == wire::Role::primary,
						 h.epoch};
			}
		} catch (const wire::ProtocolError &) {
			return std::nullopt;
		}
	}
}

StateLink::PeerInfo StateLink::info() const
{
	std::lock_guard<std::mutex> hold(snapshot_lock_);
	return info_snapshot_;
}

StateLink::Counters StateLink::counters_snapshot() const
{
	std::lock_guard<std::mutex> hold(snapshot_lock_);
	return counters_snapshot_;
}

void StateLink::publish()
{
	PeerInfo i = compute_info();
	std::lock_guard<std::mutex> hold(snapshot_lock_);
	info_snapshot_ = std::move(i);
	counters_snapshot_ = counters_;
}

StateLink::PeerInfo StateLink::compute_info() const
{
	PeerInfo i;
	i.role = primary_ ? "primary" : "standby";
	i.mode = mode_ == wire::LinkMode::sync ? "sync" : "async";
	i.link = session_ ? "up" : conn_ ? "connecting" : primary_ ? "down" : "listening";
	i.peer_node = peer_node_;
	i.epoch = epoch_;
	if (primary_)
		i.is_protected = protected_;
	i.synced = session_ && (primary_ ? full_end_seq_ && acked_ >= full_end_seq_
					 : full_done_);
	if (session_ && last_heartbeat_)
		i.heartbeat_age_ms = static_cast<std::uint64_t>(
			std::chrono::duration_cast<std::chrono::milliseconds>(
				Clock::now() - *last_heartbeat_)
				.count());
	i.lag_frames = lag_frames();
	std::set<std::uint64_t> ids;
	for (const Inflight &f : inflight_) {
		i.lag_bytes += f.bytes;
		for (const auto &c : f.points)
			ids.insert(c.id);
	}
	i.lag_flows = ids.size();
	i.standby_flows = stored_.size();
	return i;
}

std::string to_string(const StateLink::Counters &c)
{
	return "sessions " + std::to_string(c.connects) + ", closed " +
	       std::to_string(c.closed) + ", refused " + std::to_string(c.refused) +
	       ", full syncs " + std::to_string(c.full_syncs) + ", frames sent " +
	       std::to_string(c.frames_sent) + " (" + std::to_string(c.bytes_sent) +
	       " B), received " + std::to_string(c.frames_received) + " (" +
	       std::to_string(c.bytes_received) + " B), flows sent " +
	       std::to_string(c.flows_sent) + ", deltas " +
	       std::to_string(c.deltas_sent) + ", removals " +
	       std::to_string(c.removed_sent);
}

} // namespace tcpfo
