// SPDX-License-Identifier: GPL-2.0
#include "Daemon.hpp"

#include "ProbeResponder.hpp"

#include "AddressClaim.hpp"
#include "KernelLink.hpp"
#include "Takeover.hpp"
#include "TcpRepair.hpp"

#include "ByteSize.hpp"
#include "Duration.hpp"
#include "FileLimit.hpp"
#include "JsonWriter.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <future>
#include <cstring>
#include <iomanip>
#include <set>
#include <sstream>
#include <system_error>

namespace tcpfo {

Daemon::Daemon(Config config, ConfigSource reload_source, KernelApi &kernel,
	       Logger &log)
	: config_(std::move(config)), reload_source_(std::move(reload_source)),
	  log_(log),
	  // Before touching the module: a SIGTERM during start-up waits in
	  // the queue instead of killing us half-way through declaring.
	  signals_({SIGTERM, SIGINT, SIGHUP, SIGUSR1}), kernel_(kernel),
	  services_(kernel, log), relay_(loop_, kernel, log, config_.relay)
{
	rlim_t files = raise_open_file_limit();
	log_.info("open-file limit " + std::to_string(files) + " (4 per relayed flow)");

	// Floating addresses an earlier run left (it was killed as primary)
	// go before anything else: the module's fence, which kept this host
	// from answering for them, is lifted just below, and whether this
	// node is primary is known only later (settle_role asks the peer, up
	// to 5 s). Meanwhile the node that took over holds them: two hosts
	// must never answer for a VIP. A primary claims them again below.
	release_floating_addresses("starting");

	kernel_.set_mode(config_.mode);
	// From now on our death fences the flows instead of truncating them;
	// a fence an earlier run left is lifted (its flows stay fenced).
	try {
		kernel_.set_owner();
	} catch (const KernelError &e) {
		log_.warning(std::string("the module cannot fence (") + e.what() +
			     "): if failoverd dies, its connections get FIN/RST");
	}
	drop_orphan_flows();
	// Declared before the listeners open: the module sees every SYN.
	services_.declare(config_.services);
	if (!relay_.set_services(config_.services)) {
		relay_.stop();
		services_.withdraw_all();
		throw std::runtime_error("relay: cannot listen for every service "
					 "(see above)");
	}
	loop_.add(signals_.fd(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
	auto wake_fd = [] {
		UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
		if (!fd)
			throw std::system_error(errno, std::generic_category(), "eventfd");
		return fd;
	};
	auto drained = [](int fd) {
		std::uint64_t n = 0;
		return ::read(fd, &n, sizeof(n)) == sizeof(n);
	};
	try {
		link_wake_ = wake_fd();
		lost_fd_ = wake_fd();
		suspect_fd_ = wake_fd();
		handover_fd_ = wake_fd();
		newer_fd_ = wake_fd();
		handed_fd_ = wake_fd();
		link_loop_.add(link_wake_.get(), EPOLLIN,
			       [this](std::uint32_t) { run_link_tasks(); });
		loop_.add(lost_fd_.get(), EPOLLIN, [this](std::uint32_t) { on_primary_lost(); });
		loop_.add(suspect_fd_.get(), EPOLLIN, [this, drained](std::uint32_t) {
			if (drained(suspect_fd_.get()))
				on_primary_suspect();
		});
		loop_.add(handover_fd_.get(), EPOLLIN, [this, drained](std::uint32_t) {
			if (!drained(handover_fd_.get()) || config_.role != Role::primary)
				return;
			give_away("the standby asked for a switchover", true);
		});
		// The primary let go of its flows; unless switchover() took
		// them already (it waited for this), they are ours now.
		loop_.add(handed_fd_.get(), EPOLLIN, [this, drained](std::uint32_t) {
			if (!drained(handed_fd_.get()) || config_.role == Role::primary)
				return;
			try {
				take_over("the primary handed its flows over");
			} catch (const std::exception &e) {
				log_.error(std::string("takeover failed: ") + e.what());
			}
		});
		loop_.add(newer_fd_.get(), EPOLLIN, [this, drained](std::uint32_t) {
			if (!drained(newer_fd_.get()) || config_.role != Role::primary)
				return;
			std::string why;
			{
				std::lock_guard lock(lost_mutex_);
				why = newer_reason_;
			}
			give_away(why, false);
		});
		settle_role();
		claim_addresses();
		lift_fence();
		start_link();
		timers_.start(config_.heartbeat.interval, [this] { front_poll_tick(); });
	} catch (...) {
		stop_link();
		relay_.stop();
		services_.withdraw_all();
		throw;
	}

	try {
		control_ = std::make_unique<ControlSocket>(
			loop_, log_, config_.control_socket,
			[this](const std::string &r) { return answer(r); });
	} catch (const std::exception &e) {
		// tcpfoctl peer will say it cannot reach us; serving goes on.
		log_.warning(std::string("control socket: ") + e.what());
	}

	log_.info("started: role " + std::string(to_string(config_.role)) +
		  ", mode " + to_string(config_.mode) + ", " +
		  std::to_string(config_.services.size()) + " service(s), "
		  "heartbeat " + to_string(config_.heartbeat.interval) + " x " +
		  std::to_string(config_.heartbeat.misses) + ", relay pipes " +
		  format_byte_size(config_.relay.pipe_size) + ", notsent-lowat " +
		  format_byte_size(config_.relay.notsent_lowat) +
		  ", connect timeout " + to_string(config_.relay.connect_timeout));
}

void Daemon::run()
{
	loop_.run();
	relay_.stop();
	log_.info("relay: " + to_string(relay_.counters()));
	// A stopped primary no longer answers for its floating addresses:
	// its standby (which sees the state link close) takes them.
	if (config_.role == Role::primary)
		release_floating_addresses();
	control_.reset();
	stop_link();
	services_.withdraw_all();
	// An orderly stop: the flows are closed and deleted, so the module
	// need not fence anything when this process exits (status would
	// say fenced until the next failoverd).
	try {
		kernel_.disown();
	} catch (const std::exception &e) {
		log_.warning(std::string("giving the module's fence up: ") + e.what() +
			     " (if this process owned it, status says fenced until the next "
			     "failoverd starts)");
	}
	log_.info("stopped");
}

void Daemon::on_signal()
{
	while (auto signo = signals_.next()) {
		switch (*signo) {
		case SIGTERM:
		case SIGINT:
			log_.info(std::string("received SIG") + sigabbrev_np(*signo) +
				  ", shutting down");
			loop_.stop();
			return;
		case SIGHUP:
			// A takeover runs the loop while it works: the reload
			// waits for it to end.
			if (taking_over_)
				reload_pending_ = true;
			else
				reload();
			break;
		case SIGUSR1:
			log_.info("relay: " + to_string(relay_.counters()));
			if (link_)
				log_.info("state link: " +
					  to_string(link_->counters_snapshot()) +
					  ", unacknowledged frames " +
					  std::to_string(link_->info().lag_frames));
			break;
		default:
			break;
		}
	}
}

Daemon::~Daemon()
{
	front_poll_stop();
	stop_link();
}

void Daemon::run_link_tasks()
{
	std::uint64_t n = 0;
	if (::read(link_wake_.get(), &n, sizeof(n)) < 0) {
		// Spurious: nothing queued.
	}
	std::vector<std::function<void()>> tasks;
	bool stop = false;
	{
		std::lock_guard lock(link_tasks_mutex_);
		tasks.swap(link_tasks_);
		stop = link_stop_;
		link_stop_ = false;
	}
	for (auto &t : tasks)
		t();
	if (stop)
		link_loop_.stop();
}

bool Daemon::on_link_thread(const std::function<void()> &task,
			    std::chrono::milliseconds timeout)
{
	if (!link_thread_.joinable())
		return false;
	auto done = std::make_shared<std::promise<void>>();
	auto future = done->get_future();
	{
		std::lock_guard lock(link_tasks_mutex_);
		link_tasks_.push_back([task, done] {
			task();
			done->set_value();
		});
	}
	const std::uint64_t one = 1;
	if (::write(link_wake_.get(), &one, sizeof(one)) < 0)
		return false;
	return future.wait_for(timeout) == std::future_status::ready;
}

void Daemon::stop_link_thread()
{
	if (link_thread_.joinable()) {
		{
			std::lock_guard lock(link_tasks_mutex_);
			link_stop_ = true;
		}
		if (link_)
			link_->request_stop();
		const std::uint64_t one = 1;
		if (::write(link_wake_.get(), &one, sizeof(one)) < 0)
			log_.error("state link: cannot wake its thread");
		link_thread_.join();
	}
	std::lock_guard lock(link_tasks_mutex_);
	link_tasks_.clear();
	link_stop_ = false;
}

void Daemon::start_link(UniqueFd listener, std::vector<ProbeResponder::Pending> probes)
{
	const bool primary = config_.role == Role::primary;
	const bool peer = primary ? bool(config_.peer.address) : bool(config_.peer.listen);
	if (!peer || !config_.peer.key)
		return;
	link_ = std::make_unique<StateLink>(link_loop_, link_timers_, log_, config_,
					    epoch_, std::move(listener));
	auto wake = [this](const UniqueFd &fd) {
		const std::uint64_t one = 1;
		if (::write(fd.get(), &one, sizeof(one)) < 0)
			log_.error("state link: cannot wake the main loop");
	};
	if (primary) {
		link_->on_handover_request([this, wake] { wake(handover_fd_); });
		link_->on_newer_primary([this, wake](const std::string &node,
						     std::uint64_t epoch) {
			{
				std::lock_guard lock(lost_mutex_);
				newer_reason_ = "peer '" + node + "' is the primary of epoch " +
						std::to_string(epoch);
			}
			wake(newer_fd_);
		});
	} else {
		link_->on_primary_lost([this, wake](const std::string &why, bool silent,
						    std::uint64_t silence) {
			{
				std::lock_guard lock(lost_mutex_);
				lost_reason_ = why;
				lost_silent_ = silent;
				lost_silence_ = silence;
			}
			wake(lost_fd_);
		});
		link_->on_primary_suspect([this, wake](std::uint64_t silence) {
			{
				std::lock_guard lock(lost_mutex_);
				suspect_silence_ = silence;
			}
			wake(suspect_fd_);
		});
		link_->on_handover([this, wake](std::uint64_t) {
			{
				std::lock_guard lock(handover_mutex_);
				handover_done_ = true;
			}
			handover_cv_.notify_all();
			wake(handed_fd_);
		});
	}
	link_->adopt_probes(std::move(probes));
	link_thread_ = std::thread([this] { link_loop_.run(); });
}

// A node configured as primary whose peer already serves (it took over
// while this one was away) must not claim the addresses: it starts as
// standby, and the primary syncs it in full. Asked over the state link
// (the peer's epoch), and, if that peer does not answer, on the front
// segment: someone answering ARP for our VIP holds it.
void Daemon::settle_role()
{
	if (config_.role != Role::primary) {
		epoch_ = 0;
		return;
	}
	epoch_ = 1;
	const bool linked = config_.peer.address && config_.peer.key;
	if (linked) {
		// The process's first random bytes and MAC (OpenSSL sets
		// itself up: hundreds of milliseconds on a loaded host) are
		// made here, not inside the first probe's time.
		(void)wire::random_nonce();
		(void)wire::hello_key(wire::Key{});
		// A peer host that refuses at once is up, but its failoverd is
		// not listening (yet): it is starting, or between its state
		// link and the probe answers of a takeover. Asked again for up
		// to 5 s; a peer that does not answer at all is given 1 s.
		std::optional<PeerHello> h;
		const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		for (bool told = false;;) {
			const auto asked = std::chrono::steady_clock::now();
			try {
				h = probe_peer(config_, epoch_, std::chrono::milliseconds(1000));
			} catch (const std::exception &e) {
				log_.warning(std::string("asking the peer: ") + e.what());
				break;
			}
			const auto now = std::chrono::steady_clock::now();
			if (h || now - asked >= std::chrono::milliseconds(900) || now >= give_up)
				break;
			if (!told)
				log_.info("the peer's host refuses: asking again for up to 5 s");
			told = true;
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
		}
		if (h && h->primary) {
			log_.warning("peer '" + h->node + "' is the primary (epoch " +
				     std::to_string(h->epoch) +
				     "): starting as standby, not as primary");
			config_.role = Role::standby;
			epoch_ = h->epoch;
			return;
		}
		if (h) {
			log_.info("peer '" + h->node + "' is a standby: starting as primary");
			return;
		}
	}
	const std::string &front = config_.takeover.front_interface;
	if (front.empty() || !linked)
		return;
	for (const Service &s : config_.services) {
		try {
			auto answers = address_answers(front, s.vip.address,
						       std::chrono::milliseconds(300));
			if (!answers)
				continue;
			if (*answers) {
				log_.warning("the peer does not answer, but " +
					     s.vip.address.to_string() + " answers on " +
					     front + ": another node holds it; starting "
					     "as standby, not as primary");
				config_.role = Role::standby;
				return;
			}
			break;
		} catch (const std::exception &e) {
			log_.warning(std::string("checking the front segment: ") + e.what());
			break;
		}
	}
}

// Flows an earlier run left fenced (it died): their sockets are orphans
// and their tuples must be free for a later takeover. Once our addresses
// are settled (a standby holds none), nothing is lost by closing them.
void Daemon::lift_fence()
{
	try {
		KernelLink k;
		// A primary serves them no more: their peers learn it now. A
		// standby's peer may carry them on: not a word to them.
		const bool reset = config_.role == Role::primary;
		auto [flows, sockets] = k.fence_lift(reset);
		if (flows || sockets)
			log_.warning("freed " + std::to_string(flows) +
				     " flow(s) an earlier run left fenced" +
				     (reset ? " (their peers reset)" : "") + ", closed " +
				     std::to_string(sockets) +
				     " orphaned socket(s) without a word");
	} catch (const ModuleNotLoaded &) {
	} catch (const std::exception &e) {
		log_.warning(std::string("lifting the fence of earlier flows: ") + e.what());
	}
}

void Daemon::stop_link()
{
	stop_link_thread();
	if (link_) {
		log_.info("state link: " + to_string(link_->counters()));
		link_.reset();
	}
}

// A primary holds its services' VIPs (front interface) and back addresses
// (back interface) and announces them; a standby holds none of them, so a
// node that comes back as standby does not answer for them.
std::vector<Daemon::FloatingAddress> Daemon::floating_addresses() const
{
	std::vector<FloatingAddress> items;
	auto add = [&items](const std::string &ifname, const Address &address) {
		if (ifname.empty())
			return;
		for (const FloatingAddress &i : items)
			if (i.ifname == ifname && i.address == address)
				return;
		items.push_back({ifname, address});
	};
	for (const Service &s : config_.services) {
		add(config_.takeover.front_interface, s.vip.address);
		add(config_.takeover.back_interface, s.back_address);
	}
	return items;
}

void Daemon::claim_addresses()
{
	// Each once: a takeover waits for this.
	const std::vector<FloatingAddress> items = floating_addresses();
	const bool primary = config_.role == Role::primary;
	for (const FloatingAddress &i : items) {
		const std::string what = i.address.to_string() + " on " + i.ifname;
		if (!primary) {
			if (release_address(i.ifname, i.address))
				log_.info("standby: released " + what);
			continue;
		}
		const bool added = claim_address(i.ifname, i.address);
		// Neighbours keep the old owner's link-layer address until told;
		// repeats (below, off this path: a takeover is waiting) ride out
		// a lost frame. Best effort: the address is ours either way (an
		// interface still down announces nothing).
		std::string announced = " (announced)";
		try {
			announce_address(i.ifname, i.address);
		} catch (const std::exception &e) {
			announced = std::string(" (not announced: ") + e.what() + ")";
		}
		log_.info(std::string("primary: ") + (added ? "claimed " : "holds ") + what +
			  announced);
	}
	if (!primary || items.empty())
		return;
	// Again later: an announcement sent while the interface was still
	// coming up (IPv6 without a usable link-local address yet) or lost
	// by a busy switch would leave neighbours pointing elsewhere.
	for (auto after : {std::chrono::milliseconds(20), std::chrono::milliseconds(40),
			   std::chrono::milliseconds(1000), std::chrono::milliseconds(3000)}) {
		timers_.start(after, [this] { announce_again(); });
	}
}

void Daemon::announce_again()
{
	if (config_.role != Role::primary)
		return;
	for (const FloatingAddress &i : floating_addresses()) {
		try {
			announce_address(i.ifname, i.address);
		} catch (const std::exception &e) {
			log_.debug(std::string("announcing again: ") + e.what());
		}
	}
}

namespace {

// How long the silence check waits for an ARP answer: one heartbeat
// interval (a live host answers ARP within a millisecond on a LAN, even
// when its failoverd is stalled), 20 to 300 ms.
std::chrono::milliseconds confirm_wait(std::chrono::microseconds interval)
{
	return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(interval),
			  std::chrono::milliseconds(20), std::chrono::milliseconds(300));
}

std::string ms_between(std::chrono::steady_clock::time_point a,
		       std::chrono::steady_clock::time_point b)
{
	return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(b - a)
				      .count()) +
	       " ms";
}

std::string ms_since(std::chrono::steady_clock::time_point t)
{
	return ms_between(t, std::chrono::steady_clock::now());
}

// Closes a recreated socket without a FIN or an RST on every path.
struct SilentFd {
	UniqueFd fd;
	~SilentFd() { close_silently(fd); }
};

} // namespace

std::string Daemon::take_over(const std::string &why)
{
	if (config_.role == Role::primary)
		throw std::runtime_error("this node is the primary: nothing to take over");
	using Clock = std::chrono::steady_clock;
	const auto t0 = Clock::now();
	log_.warning("takeover: " + why);
	struct Busy {
		Daemon &d;
		explicit Busy(Daemon &daemon) : d(daemon) { d.taking_over_ = true; }
		~Busy()
		{
			d.taking_over_ = false;
			if (d.reload_pending_) {
				d.reload_pending_ = false;
				try {
					d.reload();
				} catch (const std::exception &e) {
					d.log_.error(std::string("reload: ") + e.what());
				}
			}
		}
	} busy(*this);

	// 1. Nothing more from the old primary: its records would race ours.
	stop_link_thread();
	const auto t_joined = Clock::now();
	// The few flows resumed before the others (see below).
	constexpr std::size_t kBusiest = 8;
	std::map<std::uint64_t, std::uint64_t> ages;
	std::vector<std::uint64_t> movers;
	std::size_t stored = 0;
	UniqueFd listener;	// kept listening throughout: nothing is refused
	if (link_) {
		ages = link_->ts_sample_ages_ms();
		movers = link_->recently_moved(kBusiest);
		stored = link_->stored_count();
		epoch_ = std::max(epoch_, link_->info().epoch);
		listener = link_->take_listener();
	}
	const auto t_aged = Clock::now();
	stop_link();
	const auto t_stopped = Clock::now();
	// A newer epoch: the old primary, back, finds it and stands by. Its
	// probe is answered from now on, while the state link is down.
	++epoch_;
	std::optional<ProbeResponder> answering;
	if (config_.peer.listen && config_.peer.key) {
		try {
			wire::Key psk;
			std::copy(config_.peer.key->begin(), config_.peer.key->end(), psk.begin());
			answering.emplace(loop_, log_, psk, config_.node,
					  config_.mode == Mode::sync ? wire::LinkMode::sync
								     : wire::LinkMode::async,
					  epoch_);
			answering->listen(std::move(listener), *config_.peer.listen);
		} catch (const std::exception &e) {
			answering.reset();
			log_.warning(std::string("takeover: ") + e.what() +
				     ": a node starting meanwhile cannot ask this one");
		}
	}

	KernelLink k;
	// The probes' TSvals: the module's estimate of each old socket's clock
	// plus the margin the new sockets get (and the test skew), so the
	// peers see the gateway's TSvals rise across the takeover.
	const auto ts_ahead = static_cast<std::int32_t>(std::clamp<std::int64_t>(
		TimestampPolicy{}.margin_ms + config_.takeover.ts_skew_ms, INT32_MIN, INT32_MAX));
	// 2. The peers' segments are kept from our sockets and listeners
	// (no RST escapes) and recorded, before the addresses are ours.
	k.takeover_lock();
	const auto t_locked = Clock::now();
	// This node serves alone: releases no longer wait for a standby (a
	// flow resumed below relays at once).
	try {
		k.set_mode(Mode::async, TCPFO_PROT_UNPROTECTED);
	} catch (const std::exception &e) {
		log_.error(std::string("takeover: setting the module's mode: ") + e.what());
	}
	// 3. The switch sends the peers' packets here from now on.
	config_.role = Role::primary;
	claim_addresses();
	const auto t_claimed = Clock::now();

	// 4. Each peer tells its true receive point; 5. a flow whose peers
	// answered gets both legs recreated where the peers are, and is
	// relayed at once: flows are resumed as their answers come, the
	// busiest first, and the relay runs between batches, so the stall a
	// moving flow sees does not grow with the number of flows.
	std::size_t taken = 0, reset = 0, ended = 0, seen = 0;
	std::uint64_t gained = 0;
	std::set<std::uint64_t> decided;
	std::optional<Clock::time_point> t_first;
	auto resume = [&](const Flow &f, std::variant<TakeoverPlan, NotTaken> &plan) {
		std::string failure;
		if (auto *no = std::get_if<NotTaken>(&plan)) {
			if (!no->reset) {
				log_.info("takeover: flow " + std::to_string(f.id.value_or(0)) +
					  " not taken over: " + no->reason);
				++ended;
				if (f.id)
					k.takeover_unlock(*f.id, false);
				return;
			}
			failure = no->reason;
		} else {
			const TakeoverPlan &p = std::get<TakeoverPlan>(plan);
			SilentFd c, s;
			try {
				c.fd = restore_socket(p.l1);
				s.fd = restore_socket(p.l2);
				k.takeover_activate(p.activation);
				// A leg whose peer has its FIN sends it again now,
				// before the unlock hands it the segments held while
				// locked: until then its snd_nxt is below that
				// peer's ack, and Linux drops every segment of the
				// peer, data included (ack beyond snd_nxt).
				if (p.c2s_fin_passed)
					shut_down_write(s.fd.get());
				if (p.s2c_fin_passed)
					shut_down_write(c.fd.get());
				k.takeover_unlock(p.id, false);
				prompt_peer(c.fd.get());
				prompt_peer(s.fd.get());
				relay_.adopt(p.service, p.tuples, std::move(c.fd), std::move(s.fd),
					     p.c2s_fin_passed, p.s2c_fin_passed);
				++taken;
				gained += p.gain_c2s + p.gain_s2c;
				if (!t_first)
					t_first = Clock::now();
				return;
			} catch (const std::exception &e) {
				failure = e.what();
			}
		}
		++reset;
		log_.warning("takeover: flow " + std::to_string(f.id.value_or(0)) +
			     " reset: " + failure);
		try {
			if (f.id)
				k.takeover_unlock(*f.id, true);
		} catch (const std::exception &e) {
			log_.error(std::string("takeover: ") + e.what());
		}
	};
	struct Ready {
		Flow flow;
		std::variant<TakeoverPlan, NotTaken> plan;
		bool moved = false;
		std::uint64_t age = 0;
	};
	// A locked flow whose peers answered (or that needs no answer, or
	// all of them once time is up): its plan. nullopt: still waiting.
	auto consider = [&](Flow &f, bool last) -> std::optional<Ready> {
		// A flow that had ended has nobody left to answer.
		const bool done = f.state && (*f.state == FlowState::closed ||
					      *f.state == FlowState::reset);
		const bool l1 = f.l1_seen && f.l1_seen->answered();
		const bool l2 = f.l2_seen && f.l2_seen->answered();
		// A client that never got our SYN-ACK has nothing to say.
		const bool no_l1 = !f.client_isn || !f.l1_isn;
		if (!last && !(done || no_l1 || (l1 && (l2 || server_leg_missing(f)))))
			return std::nullopt;
		TimestampPolicy ts;
		ts.skew_ms = config_.takeover.ts_skew_ms;
		if (f.id)
			if (auto a = ages.find(*f.id); a != ages.end())
				ts.sample_age_ms = a->second;
		auto plan = plan_takeover(f, ts);
		bool moved = false;
		if (const auto *p = std::get_if<TakeoverPlan>(&plan))
			moved = p->gain_c2s + p->gain_s2c > 0;
		const std::uint64_t age = ts.sample_age_ms.value_or(UINT64_MAX);
		return Ready{std::move(f), std::move(plan), moved, age};
	};
	auto decide = [&](Ready &r) {
		if (r.flow.id)
			decided.insert(*r.flow.id);
		++seen;
		resume(r.flow, r.plan);
	};

	// The busiest flows first, on their own: the few whose released
	// points the primary's deltas moved most recently (then those whose
	// TSvals it sampled most recently) are probed and resumed one by
	// one, without waiting for every flow's answers (probing and listing
	// a thousand flows takes longer than their peers take to answer).
	// The TSval samples alone once missed the one moving flow of 1,000.
	if (stored > kBusiest) {
		std::vector<std::uint64_t> first = movers;
		std::vector<std::pair<std::uint64_t, std::uint64_t>> by_age;
		for (const auto &[id, age] : ages)
			if (std::find(first.begin(), first.end(), id) == first.end())
				by_age.emplace_back(age, id);
		const std::size_t fill = std::min(kBusiest - first.size(), by_age.size());
		std::partial_sort(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(fill),
				  by_age.end());
		for (std::size_t i = 0; i < fill; ++i)
			first.push_back(by_age[i].second);
		std::vector<std::uint64_t> busiest;
		// A probe the module could not send (its peer's link-layer
		// address is being resolved: it queues none) goes again.
		std::set<std::uint64_t> unsent;
		auto probe = [&](std::uint64_t id) {
			try {
				k.takeover_probe(id, ts_ahead);
				unsent.erase(id);
			} catch (const std::exception &e) {
				unsent.insert(id);
				log_.debug(std::string("takeover: ") + e.what());
			}
		};
		for (const std::uint64_t id : first) {
			busiest.push_back(id);
			probe(id);
		}
		const auto until = Clock::now() + std::chrono::milliseconds(50);
		// The moving flows (busiest[0, moving)) are polled alone until
		// they are resumed, the rest after: each poll is a module call
		// (a few ms under emulation), and a round of the idle ones
		// between two polls of a moving flow delayed its resume. Their
		// answers come meanwhile: all were probed above.
		std::size_t moving = movers.size();
		while (!busiest.empty() && Clock::now() < until) {
			loop_.run_for(std::chrono::milliseconds(moving ? 1 : 2));
			for (const std::uint64_t id : std::set<std::uint64_t>(unsent))
				probe(id);
			std::size_t i = 0, n = moving ? moving : busiest.size();
			while (i < n) {
				std::optional<Flow> f;
				try {
					f = k.find_flow(busiest[i]);
				} catch (const std::exception &e) {
					log_.debug(std::string("takeover: ") + e.what());
				}
				std::optional<Ready> r;
				if (f && f->standby && f->locked)
					r = consider(*f, false);
				if (r) {
					decide(*r);
					// The flows resumed so far are relayed at
					// once: restoring the next ones takes a while.
					loop_.run_for(std::chrono::milliseconds(0));
				}
				if (r || !f || !f->standby || !f->locked) {
					unsent.erase(busiest[i]);
					busiest.erase(busiest.begin() + static_cast<std::ptrdiff_t>(i));
					--n;
					if (moving)
						--moving;
				} else
					++i;
			}
		}
		log_.info("takeover: " + std::to_string(seen) + " of the " +
			  std::to_string(first.size()) + " busiest flow(s) (" +
			  std::to_string(movers.size()) + " moving) resumed first, +" +
			  ms_between(t_claimed, Clock::now()));
	}

	auto delay = std::chrono::milliseconds(2);
	unsigned rounds = 0;
	std::string probe_error;
	// A probe to a peer whose link-layer address is still being resolved
	// is not sent (EAGAIN) and goes again: counted, not an error.
	unsigned waited_for_address = 0;
	auto probe_failed = [&](const std::exception &e) {
		const auto *ke = dynamic_cast<const KernelError *>(&e);
		if (ke && ke->code().value() == EAGAIN)
			++waited_for_address;
		else
			probe_error = e.what();
	};
	// Probing and listing a thousand flows are module calls of tens of
	// ms each under emulation: once flows are resumed, each runs on a
	// thread of its own while this one relays them (a busy flow resumed
	// first had waited 150 ms for its first byte to be relayed).
	auto relaying = [&](auto call) {
		if (taken == 0)
			return call();
		auto done = std::async(std::launch::async, call);
		while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
			loop_.run_for(std::chrono::milliseconds(1));
		return done.get();
	};
	auto deadline = Clock::now() + config_.takeover.probe_timeout;
	for (;;) {
		// A probe that cannot go out now (its peer's link-layer
		// address is being resolved) goes again next round, which
		// then comes within 50 ms (for the first 2 s): resolving
		// takes one round trip, the peer's answer another.
		const auto t_round = Clock::now();
		const unsigned waited_before = waited_for_address;
		try {
			relaying([&] { k.takeover_probe(ts_ahead); });
		} catch (const std::exception &e) {
			probe_failed(e);
		}
		const bool resolving = waited_for_address != waited_before &&
				       Clock::now() - t_claimed < std::chrono::seconds(2);
		const auto t_probed = Clock::now();
		++rounds;
		// Peers that have not answered yet may have missed the first
		// announcement (the timers' repeats wait for this to end): it
		// goes again in rounds 4 and 7, and in every round after 1 s.
		if (rounds == 4 || rounds == 7 ||
		    Clock::now() - t_claimed > std::chrono::milliseconds(1000))
			announce_again();
		// The flows resumed so far are relayed while the answers come.
		loop_.run_for(resolving ? std::min(delay, std::chrono::milliseconds(50)) : delay);
		delay = std::min(delay * 2, std::chrono::milliseconds(200));
		// The peers get [takeover] probe-timeout to answer, not counting the time
		// spent resuming flows meanwhile.
		const bool last = Clock::now() >= deadline;
		std::vector<Ready> ready;
		std::size_t waiting = 0;
		const auto t_list = Clock::now();
		std::vector<Flow> flows = relaying([&] { return k.list_flows(); });
		const auto t_listed = Clock::now();
		for (Flow &f : flows) {
			if (!f.standby || !f.locked || (f.id && decided.contains(*f.id)))
				continue;
			if (auto r = consider(f, last))
				ready.push_back(std::move(*r));
			else
				++waiting;
		}
		// Busy flows first, their peers waiting: those the peers moved
		// on since the last record, then by how recently the primary
		// sampled them (idle ones last).
		std::stable_sort(ready.begin(), ready.end(), [](const Ready &a, const Ready &b) {
			return a.moved != b.moved ? a.moved : a.age < b.age;
		});
		log_.info("takeover: round " + std::to_string(rounds) + ": " +
			   std::to_string(ready.size()) + " flow(s) to resume, " +
			   std::to_string(waiting) + " waiting for their peers, +" +
			   ms_between(t_claimed, Clock::now()) + " (probes sent in " +
			   ms_between(t_round, t_probed) + ", " + std::to_string(flows.size()) +
			   " flow(s) listed in " + ms_between(t_list, t_listed) +
			   ")");
		const auto t_resuming = Clock::now();
		auto pumped = t_resuming, probed = t_resuming;
		for (Ready &r : ready) {
			decide(r);
			// The relay gets a turn every 10 ms.
			if (Clock::now() - pumped >= std::chrono::milliseconds(10)) {
				loop_.run_for(std::chrono::milliseconds(0));
				pumped = Clock::now();
			}
			// Probes that could not go out go again meanwhile, so
			// their answers are in by the next round.
			if (!last && waiting &&
			    Clock::now() - probed >= std::chrono::milliseconds(100)) {
				try {
					k.takeover_probe(ts_ahead);
				} catch (const std::exception &e) {
					probe_failed(e);
				}
				probed = Clock::now();
			}
		}
		deadline += Clock::now() - t_resuming;
		if (last || waiting == 0)
			break;
	}
	const auto t_decided = Clock::now();
	// Whatever is still locked (a flow stored meanwhile) is let go.
	k.takeover_unlock_all();
	log_.info("takeover: " + std::to_string(seen) + " flow(s) locked, " +
		  std::to_string(rounds) + " probe round(s); " +
		  "link stopped " + ms_between(t0, t_stopped) + " (thread joined " +
		  ms_between(t0, t_joined) + ", ages +" + ms_between(t_joined, t_aged) +
		  ", closed +" + ms_between(t_aged, t_stopped) + "), locked +" +
		  ms_between(t_stopped, t_locked) + ", claimed +" +
		  ms_between(t_locked, t_claimed) + ", first flow resumed +" +
		  (t_first ? ms_between(t_claimed, *t_first) : std::string("-")) +
		  ", all decided +" + ms_between(t_claimed, t_decided) +
		  (waited_for_address ? "; " + std::to_string(waited_for_address) +
						" probe round(s) waited for a peer's link-layer address"
				      : std::string()) +
		  (probe_error.empty() ? "" : "; last probe error: " + probe_error));

	// A node that asked who is primary meanwhile gets its answer now if
	// the loop had no turn for it; one whose hello has not come yet is
	// handed to the state link, which answers it on the connection it
	// opened. Closed unanswered, its probe would be reset and it would
	// have to ask again.
	std::vector<ProbeResponder::Pending> asking;
	if (answering) {
		answering->answer_pending();
		asking = answering->take_pending();
		if (!asking.empty())
			log_.info("takeover: " + std::to_string(asking.size()) +
				  " probe(s) whose hello has not come yet go to the state link");
	}
	const std::string summary =
		"took over " + std::to_string(taken) + " flow(s), reset " +
		std::to_string(reset) + " (" + std::to_string(ended) + " had ended), in " +
		ms_since(t0) +
		(t_first ? ", first resumed after " + ms_between(t0, *t_first) : std::string()) +
		" (peers were " +
		std::to_string(gained) + " bytes past the replicated points)";
	log_.warning("takeover: done: " + summary + "; this node is the primary now "
		     "(epoch " + std::to_string(epoch_) + ")");
	// The old node, when it comes back as standby, gets a full sync.
	if (answering)
		listener = answering->take_listener();
	answering.reset();
	try {
		start_link(std::move(listener), std::move(asking));
	} catch (const std::exception &e) {
		log_.error(std::string("state link: ") + e.what());
	}
	return summary;
}

std::string Daemon::switchover()
{
	if (config_.role == Role::primary)
		throw std::runtime_error("this node is the primary: run the switchover "
					 "on the standby (it takes the flows)");
	if (!link_)
		throw std::runtime_error("no state link: nothing to switch over from");
	// Right after a start the full sync may still be on its way.
	StateLink::PeerInfo i = link_->info();
	for (int n = 0; !i.synced && n < 50; ++n) {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		i = link_->info();
	}
	if (!i.synced)
		throw std::runtime_error("not synced with the primary (link " + i.link +
					 "): a switchover would lose flows");
	{
		std::lock_guard lock(handover_mutex_);
		handover_done_ = false;
	}
	// Shared: a task that runs after the timeout must not write here.
	auto asked = std::make_shared<bool>(false);
	if (!on_link_thread([this, asked] { *asked = link_->request_handover(); },
			    std::chrono::seconds(2)) ||
	    !*asked)
		throw std::runtime_error("cannot ask the primary to hand over "
					 "(state link down?)");
	std::unique_lock lock(handover_mutex_);
	if (!handover_cv_.wait_for(lock, std::chrono::seconds(10),
				   [this] { return handover_done_; }))
		throw std::runtime_error("the primary did not hand over within 10 s "
					 "(if it still does, this node takes the flows "
					 "over then)");
	lock.unlock();
	return take_over("switchover from '" + i.peer_node + "'");
}

void Daemon::give_away(const std::string &why, bool tell_peer)
{
	using Clock = std::chrono::steady_clock;
	const auto t0 = Clock::now();
	log_.warning("giving the flows away: " + why);
	// 0. What the standby stored stays stored: the flows' removal here
	// is not replicated.
	if (link_ && !on_link_thread([this] { link_->freeze(); }, std::chrono::seconds(2)))
		log_.error("giving the flows away: the state link did not stop "
			   "replicating in time; the standby may lose some");
	// 1. Nobody answers here for the service addresses any more.
	release_floating_addresses();
	// 2. The sockets go without a FIN or an RST; every byte they held
	// that a peer did not acknowledge is still in that peer's queue.
	const std::size_t n = relay_.hand_over();
	// Whatever else the module tracked goes too (nothing relays it).
	drop_orphan_flows();
	// 3. Only now may the standby take them.
	if (tell_peer) {
		auto sent = std::make_shared<bool>(false);
		if (!on_link_thread([this, sent] { *sent = link_ && link_->send_handover(); },
				    std::chrono::seconds(2)) ||
		    !*sent)
			log_.error("switchover: the standby could not be told to take "
				   "over: its takeover detection must do it");
	}
	// 4. This node stands by: the new primary syncs it in full.
	stop_link();
	config_.role = Role::standby;
	try {
		start_link();
	} catch (const std::exception &e) {
		log_.error(std::string("state link: ") + e.what());
	}
	log_.warning("gave " + std::to_string(n) + " flow(s) away in " + ms_since(t0) +
		     "; this node is a standby now");
}

void Daemon::release_floating_addresses(const char *when) noexcept
{
	std::vector<FloatingAddress> items;
	try {
		items = floating_addresses();
	} catch (const std::exception &e) {
		log_.warning(std::string(when) + ": " + e.what());
	}
	for (const FloatingAddress &i : items) {
		try {
			if (release_address(i.ifname, i.address))
				log_.info(std::string(when) + ": released " +
					  i.address.to_string() + " on " + i.ifname);
		} catch (const std::exception &e) {
			log_.warning(std::string(when) + ": " + e.what());
		}
	}
}

// Flows the module still tracks from a failoverd that died (crash, kill,
// or a takeover's old primary coming back): their sockets died with it, so
// nothing relays them; left in the table they would be replicated, and a
// standby would try to take over connections that no longer exist.
// Fenced flows stay: the module drops their segments until it frees them,
// so the orphaned sockets' FINs and RSTs never reach a peer (deleting one
// would let them out).
void Daemon::drop_orphan_flows()
{
	std::size_t dropped = 0;
	try {
		KernelLink k;
		for (const Flow &f : k.list_flows()) {
			if (f.standby || f.fenced || !f.client || !f.client_port || !f.vip ||
			    !f.vport)
				continue;
			try {
				k.del_flow({{*f.client, *f.client_port}, {*f.vip, *f.vport}});
				++dropped;
			} catch (const std::exception &) {
				// Gone meanwhile.
			}
		}
	} catch (const ModuleNotLoaded &) {
		return;
	} catch (const std::exception &e) {
		log_.warning(std::string("dropping flows left by an earlier run: ") + e.what());
		return;
	}
	if (dropped)
		log_.warning("dropped " + std::to_string(dropped) +
			     " flow(s) the module still tracked from an earlier run "
			     "(their sockets are gone)");
}

std::optional<bool> Daemon::front_answers()
{
	const std::string &front = config_.takeover.front_interface;
	for (const Service &s : config_.services) {
		try {
			// An answer to the last silent check counts if it came
			// within two silence limits (a stalled host answers late).
			const auto recent = std::chrono::duration_cast<std::chrono::milliseconds>(
				2 * config_.heartbeat.interval * config_.heartbeat.misses);
			AnswerCheck how;
			auto answers = address_answers(front, s.vip.address,
						       confirm_wait(config_.heartbeat.interval),
						       recent, &how);
			if (!answers)
				continue;
			log_.debug("state link: " + s.vip.address.to_string() +
				   (*answers ? " answers" : " does not answer") + " on " + front);
			if (how.late)
				log_.info("state link: " + s.vip.address.to_string() +
					  " answered the last front check on " + front +
					  " late: its holder is alive (a busy or stalled host)");
			if (how.stalls)
				log_.info("state link: the front check on " + front + " waited " +
					  std::to_string(how.stalled.count()) + " ms more for " +
					  std::to_string(how.stalls) +
					  " stall(s) of this process");
			return answers;	// one VIP is enough
		} catch (const std::exception &e) {
			log_.warning(std::string("takeover: front check: ") + e.what());
			return std::nullopt;
		}
	}
	return std::nullopt;
}

// The primary has been silent for a while (StateLink: one interval before
// it counts as lost): check the front segment now, so that an automatic
// takeover need not wait for it once the silence is long enough.
void Daemon::on_primary_suspect()
{
	std::uint64_t silence = 0;
	{
		std::lock_guard lock(lost_mutex_);
		silence = suspect_silence_;
	}
	if (config_.role == Role::primary || taking_over_ ||
	    config_.takeover.front_interface.empty())
		return;
	// The poll knows already; a blocking check would only delay it.
	if (front_poll_ && poll_on_time(std::chrono::steady_clock::now()))
		return;
	log_.debug("state link: the primary missed heartbeats; checking the front segment");
	const auto started = std::chrono::steady_clock::now();
	if (front_answers() == false) {
		front_silent_in_ = silence;
		front_silent_at_ = started;
	}
}

// Asks the front segment until its VIP is answered (true) or has been
// unanswered since @since (the first probe of this silence) for three
// check windows (false; @checks says how many this took). A live host
// answers ARP within a millisecond on a LAN, but a busy one answers late:
// under TCG, answers came 150 ms and more after their probes, in a burst,
// while the host's softirq work waited.
std::optional<bool> Daemon::front_silent_since(std::chrono::steady_clock::time_point since,
					       int &checks)
{
	const auto patience = 3 * confirm_wait(config_.heartbeat.interval);
	checks = 0;
	for (;;) {
		const std::optional<bool> answers = front_answers();
		++checks;
		if (answers != false)
			return answers;
		if (std::chrono::steady_clock::now() - since >= patience)
			return false;
	}
}

// Automatic detection: the state link saw the primary go.
void Daemon::on_primary_lost()
{
	std::uint64_t n = 0;
	if (::read(lost_fd_.get(), &n, sizeof(n)) < 0 || config_.role == Role::primary)
		return;
	std::string why;
	bool silent = false;
	std::uint64_t silence = 0;
	{
		std::lock_guard lock(lost_mutex_);
		why = lost_reason_;
		silent = lost_silent_;
		silence = lost_silence_;
	}
	poll_pending_.reset();
	confirm_primary_lost(std::move(why), silent, silence);
}

void Daemon::confirm_primary_lost(std::string why, bool silent, std::uint64_t silence)
{
	// Silence alone may be a cut state link, and a closed link may be the
	// primary's own doing (it found this node silent: a busy or starved
	// host): the primary must be silent on the front segment too (it
	// would still answer for its VIPs; a primary whose failoverd died is
	// fenced by its module and does not).
	const std::string &front = config_.takeover.front_interface;
	if (silent && front.empty()) {
		log_.warning("state link: the primary is silent (" + why +
			     "); without [takeover] front-interface nothing "
			     "confirms it is gone: not taking over on my own "
			     "(tcpfoctl failover does)");
		return;
	}
	if (!front.empty()) {
		// Asked again now, even after a silent early check: a starved
		// host answers late, and one missed answer must not make a
		// takeover from a live primary (it did, under TCG). Silent for
		// three check windows from the first probe, or no takeover.
		const auto now = std::chrono::steady_clock::now();
		if (front_poll_silent(now)) {
			why += "; " + front + " silent too (polled: no answer for " +
			       ms_since(*poll_unanswered_since_) + ", " +
			       std::to_string(poll_unanswered_) + " probes)";
			try {
				take_over("primary lost: " + why);
			} catch (const std::exception &e) {
				log_.error(std::string("takeover failed: ") + e.what());
			}
			return;
		}
		// The poll runs on time and has been unanswered, but not for
		// long enough yet: its next probes decide, without a blocking
		// check (whose late-answer rule may read an answer gw1 sent
		// before it died as a sign of life).
		if (front_poll_ && poll_unanswered_since_ && poll_on_time(now)) {
			log_.debug("takeover: the front poll is unanswered for " +
				   ms_since(*poll_unanswered_since_) + " (" +
				   std::to_string(poll_unanswered_) +
				   " probes): its next probes decide");
			poll_pending_ = PendingLoss{std::move(why), silent, silence};
			return;
		}
		if (front_poll_)
			log_.info("state link: front poll " +
				  std::string(!poll_on_time(now)
						      ? "late (last probe " + ms_since(poll_last_sent_) + " ago)"
						      : "answered since its last probe") +
				  ": the checks decide");
	}
	check_primary_lost(std::move(why), silent, silence);
}

// The blocking path: the front segment is asked until its VIP is answered
// or has been silent for three check windows.
void Daemon::check_primary_lost(std::string why, bool silent, std::uint64_t silence)
{
	const std::string &front = config_.takeover.front_interface;
	if (!front.empty()) {
		const auto now = std::chrono::steady_clock::now();
		// Not long enough: checks until it is. The poll's first
		// unanswered probe, if it ran on time, starts the count.
		const bool early = silent && silence != 0 && silence == front_silent_in_;
		auto since = early ? front_silent_at_ : now;
		if (front_poll_ && poll_unanswered_since_ && poll_on_time(now))
			since = std::min(since, *poll_unanswered_since_);
		int checks = 0;
		const std::optional<bool> answers = front_silent_since(since, checks);
		if (answers == true) {
			log_.warning(std::string("state link: the primary ") +
				     (silent ? "is silent (" : "closed the link (") + why +
				     ") but still answers for its VIP on " + front +
				     ": it is alive; not taking over "
				     "(tcpfoctl failover forces it); watching " + front +
				     " while the state link is down");
			if (!front_watch_) {
				front_watch_silent_ = false;
				front_watch_ = timers_.start(config_.heartbeat.interval *
								     config_.heartbeat.misses,
							     [this] { watch_front(); });
			}
			return;
		}
		if (answers == false)
			why += "; " + front + " silent too (for " + ms_since(since) + ", " +
			       std::to_string(checks) + " more check(s))";
	}
	try {
		take_over("primary lost: " + why);
	} catch (const std::exception &e) {
		log_.error(std::string("takeover failed: ") + e.what());
	}
}

// The standby's poll of the front segment: one probe per heartbeat
// interval to the first service's VIP (unicast ARP to its holder once it
// answered). Answers are read as they come (front_poll_read).
void Daemon::front_poll_tick()
{
	timers_.start(config_.heartbeat.interval, [this] { front_poll_tick(); });
	if (config_.role != Role::standby || taking_over_ || config_.services.empty() ||
	    config_.takeover.front_interface.empty()) {
		front_poll_stop();
		poll_pending_.reset();
		return;
	}
	const auto now = std::chrono::steady_clock::now();
	if (poll_pending_) {
		poll_pending_decide();
		if (config_.role != Role::standby || taking_over_)
			return;
	}
	if (!front_poll_) {
		try {
			front_poll_ = std::make_unique<FrontProber>(config_.takeover.front_interface,
								    config_.services.front().vip.address);
			loop_.add(front_poll_->fd(), EPOLLIN, [this](std::uint32_t) { front_poll_read(); });
			front_poll_failed_ = false;
		} catch (const std::exception &e) {
			front_poll_.reset();
			if (!front_poll_failed_)
				log_.warning(std::string("front poll: ") + e.what() +
					     ": a silent primary is checked when its silence counts");
			front_poll_failed_ = true;
			return;
		}
		poll_unanswered_since_.reset();
		poll_unanswered_ = 0;
	}
	front_poll_read();
	// This process did not run for a while (a starved host): what the
	// probes before saw proves nothing, the count starts again.
	if (!poll_on_time(now)) {
		poll_unanswered_since_.reset();
		poll_unanswered_ = 0;
	}
	try {
		front_poll_->send();
	} catch (const std::exception &e) {
		log_.debug(std::string("front poll: ") + e.what());
		return;
	}
	if (!poll_unanswered_since_)
		poll_unanswered_since_ = now;
	++poll_unanswered_;
	poll_last_sent_ = now;
}

// A lost primary waits for the poll: silent for long enough, it is taken
// over; answered (a late answer, or it lives) or late (this process did
// not run), the checks decide as if the poll did not exist.
void Daemon::poll_pending_decide()
{
	if (link_ && link_->info().link == "up") {
		log_.info("state link: up again before the front poll decided: "
			  "not taking over");
		poll_pending_.reset();
		return;
	}
	// Decided again: taken over, still pending, or the checks.
	PendingLoss p = std::move(*poll_pending_);
	poll_pending_.reset();
	confirm_primary_lost(std::move(p.why), p.silent, p.silence);
}

void Daemon::front_poll_read()
{
	if (front_poll_ && front_poll_->read_answers()) {
		poll_unanswered_since_.reset();
		poll_unanswered_ = 0;
	}
}

void Daemon::front_poll_stop()
{
	if (front_poll_)
		loop_.remove(front_poll_->fd());
	front_poll_.reset();
	poll_unanswered_since_.reset();
	poll_unanswered_ = 0;
}

// The last probe went out no later than two intervals ago (and a bit):
// the poll has been running on time.
bool Daemon::poll_on_time(std::chrono::steady_clock::time_point now) const
{
	return now - poll_last_sent_ <=
	       2 * config_.heartbeat.interval + std::chrono::milliseconds(10);
}

bool Daemon::front_poll_silent(std::chrono::steady_clock::time_point now)
{
	if (!front_poll_)
		return false;
	front_poll_read();	// late is not silent
	if (!poll_unanswered_since_ || !poll_on_time(now))
		return false;
	const unsigned probes = std::max(1u, config_.heartbeat.misses - 1);
	return poll_unanswered_ >= probes &&
	       now - *poll_unanswered_since_ >= probes * config_.heartbeat.interval;
}

// The primary went silent on the state link but answered on the front
// segment. Until the link is up again, the front is asked again after
// every interval x misses: if the primary dies meanwhile (its host, or it
// was dying when the link broke), nothing else would notice.
void Daemon::watch_front()
{
	front_watch_.reset();
	const bool silent_before = front_watch_silent_;
	front_watch_silent_ = false;
	if (config_.role != Role::standby || taking_over_ || !link_)
		return;
	if (link_->info().link == "up")
		return;	// heartbeats again: the state link watches
	// Silent for three check windows (see on_primary_lost), and again
	// one interval later: this runs again and again while the link is
	// down, and one stall of the host must not make it take over.
	int checks = 0;
	const bool silent = front_silent_since(std::chrono::steady_clock::now(), checks) == false;
	if (silent && !silent_before) {
		log_.info("state link: " + config_.takeover.front_interface +
			  " is silent; checking again in " +
			  to_string(config_.heartbeat.interval) + " before taking over");
		front_watch_silent_ = true;
		front_watch_ = timers_.start(config_.heartbeat.interval, [this] { watch_front(); });
		return;
	}
	if (silent) {
		try {
			take_over("primary lost: the state link is down and " +
				  config_.takeover.front_interface +
				  " is silent now too");
		} catch (const std::exception &e) {
			log_.error(std::string("takeover failed: ") + e.what());
		}
		return;
	}
	front_watch_ = timers_.start(config_.heartbeat.interval * config_.heartbeat.misses,
				     [this] { watch_front(); });
}

std::string Daemon::answer(const std::string &request)
{
	if (request == "failover")
		return take_over("tcpfoctl failover") + "\n";
	if (request == "switchover")
		return switchover() + "\n";
	if (request != "peer" && request != "peer json")
		throw std::runtime_error("unknown request '" + request + "'");
	StateLink::PeerInfo i;
	if (link_) {
		i = link_->info();
	} else {
		i.role = std::string(to_string(config_.role));
		i.mode = to_string(config_.mode);
		i.link = "none";
		i.epoch = epoch_;
	}
	std::ostringstream out;
	if (request == "peer json") {
		JsonWriter w(out);
		w.begin_object();
		w.key("node").value(config_.node);
		w.key("role").value(i.role);
		w.key("mode").value(i.mode);
		w.key("epoch").value(i.epoch);
		w.key("link").value(i.link);
		w.key("synced").value(i.synced);
		w.key("peer");
		if (i.peer_node.empty())
			w.null();
		else
			w.value(i.peer_node);
		w.key("protected");
		if (i.is_protected)
			w.value(*i.is_protected);
		else
			w.null();
		w.key("last_heartbeat_ms");
		if (i.heartbeat_age_ms)
			w.value(*i.heartbeat_age_ms);
		else
			w.null();
		w.key("lag_frames").value(i.lag_frames);
		w.key("lag_flows").value(i.lag_flows);
		w.key("lag_bytes").value(i.lag_bytes);
		w.key("standby_flows").value(static_cast<std::uint64_t>(i.standby_flows));
		w.end_object();
		out << '\n';
		return out.str();
	}
	auto row = [&](const char *k, const std::string &v) {
		out << std::left << std::setw(20) << k << v << '\n';
	};
	row("node", config_.node);
	row("role", i.role);
	row("mode", i.mode);
	row("epoch", std::to_string(i.epoch));
	row("link", i.link);
	row("synced", i.synced ? "yes" : "no");
	row("peer", i.peer_node.empty() ? "-" : i.peer_node);
	row("protected", i.is_protected ? (*i.is_protected ? "yes" : "NO") : "-");
	row("last heartbeat", i.heartbeat_age_ms
				      ? std::to_string(*i.heartbeat_age_ms) + " ms ago"
				      : "-");
	row("lag", std::to_string(i.lag_flows) + " flow(s), " +
			   std::to_string(i.lag_bytes) + " bytes, " +
			   std::to_string(i.lag_frames) + " frame(s)");
	if (i.role == "standby")
		row("standby flows", std::to_string(i.standby_flows));
	return out.str();
}

void Daemon::reload()
{
	log_.info("received SIGHUP, reloading configuration");
	Config next;
	try {
		next = reload_source_();
	} catch (const std::exception &e) {
		log_.error(std::string("reload: config: ") + e.what() +
			   "; keeping the running configuration");
		return;
	}

	for (const std::string &key : restart_required_changes(config_, next)) {
		log_.warning("reload: a change of '" + key +
			     "' takes effect only after a restart");
	}

	log_.set_threshold(next.log_level);
	config_.log_level = next.log_level;
	log_.set_timestamps(next.log_timestamps);
	config_.log_timestamps = next.log_timestamps;

	if (next.mode != config_.mode) {
		try {
			kernel_.set_mode(next.mode);
			log_.info("mode is now " + to_string(next.mode));
			config_.mode = next.mode;
		} catch (const std::exception &e) {
			log_.error(std::string("reload: ") + e.what());
		}
	}

	if (next.relay != config_.relay) {
		relay_.set_settings(next.relay);
		config_.relay = next.relay;
		log_.info("relay settings changed; they apply to new flows");
	}

	bool ok = services_.reconcile(next.services);
	ok = relay_.set_services(next.services) && ok;
	config_.services = next.services;
	front_poll_stop();	// the first VIP may have changed: polled anew
	if (ok)
		log_.info("reload done: " +
			  std::to_string(services_.declared().size()) +
			  " service(s) declared");
	else
		log_.error("reload incomplete: " +
			   std::to_string(services_.declared().size()) +
			   " service(s) declared; see the errors above");
}

} // namespace tcpfo
