// SPDX-License-Identifier: GPL-2.0
#include "Daemon.hpp"

#include "AddressClaim.hpp"

#include "ByteSize.hpp"
#include "Duration.hpp"
#include "FileLimit.hpp"
#include "JsonWriter.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iomanip>
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

	kernel_.set_mode(config_.mode);
	// Declared before the listeners open: the module sees every SYN.
	services_.declare(config_.services);
	if (!relay_.set_services(config_.services)) {
		relay_.stop();
		services_.withdraw_all();
		throw std::runtime_error("relay: cannot listen for every service "
					 "(see above)");
	}
	loop_.add(signals_.fd(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
	try {
		claim_addresses();
	} catch (...) {
		relay_.stop();
		services_.withdraw_all();
		throw;
	}

	const bool peer = config_.role == Role::primary ? bool(config_.peer.address)
							: bool(config_.peer.listen);
	if (peer && config_.peer.key) {
		try {
			link_ = std::make_unique<StateLink>(link_loop_, link_timers_,
							    log_, config_);
			link_wake_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
			if (!link_wake_)
				throw std::system_error(errno, std::generic_category(),
							"eventfd");
			link_loop_.add(link_wake_.get(), EPOLLIN,
				       [this](std::uint32_t) { link_loop_.stop(); });
			link_thread_ = std::thread([this] { link_loop_.run(); });
		} catch (...) {
			stop_link();
			relay_.stop();
			services_.withdraw_all();
			throw;
		}
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
	control_.reset();
	stop_link();
	services_.withdraw_all();
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
	stop_link();
}

void Daemon::stop_link()
{
	if (link_thread_.joinable()) {
		const std::uint64_t one = 1;
		if (::write(link_wake_.get(), &one, sizeof(one)) < 0)
			log_.error("state link: cannot wake its thread");
		link_thread_.join();
	}
	if (link_) {
		log_.info("state link: " + to_string(link_->counters()));
		link_.reset();
	}
}

// A primary holds its services' VIPs (front interface) and back addresses
// (back interface) and announces them; a standby holds none of them, so a
// node that comes back as standby does not answer for them.
void Daemon::claim_addresses()
{
	struct Item {
		const std::string &ifname;
		Address address;
	};
	std::vector<Item> items;
	for (const Service &s : config_.services) {
		if (!config_.takeover.front_interface.empty())
			items.push_back({config_.takeover.front_interface, s.vip.address});
		if (!config_.takeover.back_interface.empty())
			items.push_back({config_.takeover.back_interface, s.back_address});
	}
	const bool primary = config_.role == Role::primary;
	for (const Item &i : items) {
		const std::string what = i.address.to_string() + " on " + i.ifname;
		if (!primary) {
			if (release_address(i.ifname, i.address))
				log_.info("standby: released " + what);
			continue;
		}
		const bool added = claim_address(i.ifname, i.address);
		// Neighbours keep the old owner's link-layer address until told;
		// a few repeats ride out a lost frame. Best effort: the address
		// is ours either way (an interface still down announces nothing).
		std::string announced = " (announced)";
		try {
			for (int n = 0; n < 3; ++n) {
				if (n)
					std::this_thread::sleep_for(std::chrono::milliseconds(20));
				announce_address(i.ifname, i.address);
			}
		} catch (const std::exception &e) {
			announced = std::string(" (not announced: ") + e.what() + ")";
		}
		log_.info(std::string("primary: ") + (added ? "claimed " : "holds ") + what +
			  announced);
	}
}

std::string Daemon::answer(const std::string &request)
{
	if (request != "peer" && request != "peer json")
		throw std::runtime_error("unknown request '" + request + "'");
	StateLink::PeerInfo i;
	if (link_) {
		i = link_->info();
	} else {
		i.role = std::string(to_string(config_.role));
		i.mode = to_string(config_.mode);
		i.link = "none";
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
