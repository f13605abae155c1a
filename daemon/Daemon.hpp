// SPDX-License-Identifier: GPL-2.0
// Daemon: failoverd's running state — the kernel link, the declared
// services, the relay, the event loop and its signals — from start to
// clean stop.
#pragma once

#include "AddressClaim.hpp"
#include "Config.hpp"
#include "ControlSocket.hpp"
#include "EventLoop.hpp"
#include "KernelApi.hpp"
#include "Logger.hpp"
#include "Relay.hpp"
#include "ServiceRegistry.hpp"
#include "SignalFd.hpp"
#include "StateLink.hpp"
#include "TimerQueue.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace tcpfo {

class Daemon {
public:
	// Re-reads the settings for SIGHUP; throws ConfigError.
	using ConfigSource = std::function<Config()>;

	// Blocks SIGTERM/SIGINT/SIGHUP/SIGUSR1, raises the open-file limit,
	// sets the mode, declares the services and listens for them (throws
	// on conflict, after withdrawing what it declared).
	Daemon(Config config, ConfigSource reload_source, KernelApi &kernel,
	       Logger &log);
	~Daemon();
	Daemon(const Daemon &) = delete;
	Daemon &operator=(const Daemon &) = delete;

	// Serves until SIGTERM or SIGINT, then closes the relayed flows and
	// withdraws the services.
	void run();

	const Relay &relay() const noexcept { return relay_; }

private:
	struct FloatingAddress {
		std::string ifname;
		Address address;
	};
	// The VIPs on the front interface and the back addresses on the back
	// one, each once (services on one VIP share it), in service order.
	std::vector<FloatingAddress> floating_addresses() const;
	void claim_addresses();
	// A primary announces its floating addresses once more.
	void announce_again();
	void drop_orphan_flows();
	void release_floating_addresses(const char *when = "stopping") noexcept;
	// Standby: takes every stored flow over (lock, claim the addresses,
	// learn the peers' receive points, recreate both legs, relay) and
	// becomes the primary. Returns a one-line summary; throws if this
	// node cannot take over.
	std::string take_over(const std::string &why);
	// Switchover, on the standby: the primary hands over, then take_over.
	std::string switchover();
	// Primary: lets go of every flow (addresses released, sockets closed
	// without a word, module flows deleted) and becomes the standby;
	// with tell_peer, the standby is told to take over first.
	void give_away(const std::string &why, bool tell_peer);
	// (Re)starts the state link in config_.role with epoch_.
	// listener: see StateLink's constructor.
	void start_link(UniqueFd listener = {},
			std::vector<ProbeResponder::Pending> probes = {});
	// Runs task on the link's thread and waits for it (at most timeout);
	// false if it did not run in time (it may still run later: it must
	// not refer to the caller's stack).
	bool on_link_thread(const std::function<void()> &task,
			    std::chrono::milliseconds timeout);
	// At start: a primary steps aside for a peer that already serves.
	void settle_role();
	void lift_fence();
	void on_signal();
	void reload();

	Config config_;
	ConfigSource reload_source_;
	Logger &log_;
	SignalFd signals_;
	KernelApi &kernel_;
	ServiceRegistry services_;
	EventLoop loop_;
	TimerQueue timers_{loop_};
	Relay relay_;
	// Replication to / from the peer, when one is configured, on a
	// thread and event loop of its own: its dumps and syncs never delay
	// the relay.
	EventLoop link_loop_;
	TimerQueue link_timers_{link_loop_};
	UniqueFd link_wake_;	// eventfd: runs link_tasks_ (or stops link_loop_)
	std::mutex link_tasks_mutex_;
	std::vector<std::function<void()>> link_tasks_;
	bool link_stop_ = false;
	void run_link_tasks();
	// This node's epoch: 1 for a node that starts as primary; a standby
	// takes its primary's, a takeover adds one. A primary that meets one
	// with a higher epoch steps down.
	std::uint64_t epoch_ = 0;
	// Main-loop wake-ups from the link's thread (eventfds).
	UniqueFd handover_fd_;	// primary: the standby asked for the flows
	UniqueFd newer_fd_;	// primary: a newer primary exists
	UniqueFd handed_fd_;	// standby: the primary handed its flows over
	std::string newer_reason_;	// under lost_mutex_
	// Standby, during a switchover: the primary's HANDOVER arrived.
	std::mutex handover_mutex_;
	std::condition_variable handover_cv_;
	bool handover_done_ = false;
	std::unique_ptr<StateLink> link_;
	std::thread link_thread_;
	void stop_link();
	void stop_link_thread();
	void on_primary_lost();
	void on_primary_suspect();
	// The state link's verdict, confirmed on the front segment: by the
	// poll, or by blocking checks when the poll cannot tell.
	void confirm_primary_lost(std::string why, bool silent, std::uint64_t silence);
	void check_primary_lost(std::string why, bool silent, std::uint64_t silence);
	// The state link lost the primary while the poll was on time and
	// unanswered, but not yet for long enough: its next probes decide.
	struct PendingLoss {
		std::string why;
		bool silent = false;
		std::uint64_t silence = 0;
	};
	std::optional<PendingLoss> poll_pending_;
	void poll_pending_decide();
	// Whether the primary still answers for a VIP on the front segment
	// (ARP or neighbour solicitation: it is alive); nullopt: nothing to
	// check (no front interface or service, or the check failed).
	std::optional<bool> front_answers();
	std::optional<bool> front_silent_since(std::chrono::steady_clock::time_point since,
					       int &checks);
	UniqueFd lost_fd_;	// eventfd: the link thread saw the primary go
	UniqueFd suspect_fd_;	// eventfd: ... go silent for a while
	std::mutex lost_mutex_;
	std::string lost_reason_;
	bool lost_silent_ = false;
	std::uint64_t lost_silence_ = 0;	// under lost_mutex_
	std::uint64_t suspect_silence_ = 0;	// under lost_mutex_
	// The silence (StateLink's id) during which the front segment was
	// found silent, and when that check started.
	std::uint64_t front_silent_in_ = 0;
	std::chrono::steady_clock::time_point front_silent_at_;
	// After a silent primary was found alive on the front segment, the
	// front is checked again while the state link stays down: a primary
	// that dies then is still taken over.
	std::optional<TimerQueue::Id> front_watch_;
	// The last watch found the front silent: the next one confirms.
	bool front_watch_silent_ = false;
	// A standby polls the first VIP's holder on the front once per
	// heartbeat interval (FrontProber), so that when the state link falls
	// silent, how long the front has been silent is already known.
	std::unique_ptr<FrontProber> front_poll_;
	bool front_poll_failed_ = false;	// logged once
	std::chrono::steady_clock::time_point poll_last_sent_;
	// The first probe no answer has come for since, and how many since.
	std::optional<std::chrono::steady_clock::time_point> poll_unanswered_since_;
	unsigned poll_unanswered_ = 0;
	void front_poll_tick();
	void front_poll_read();
	void front_poll_stop();
	// Whether the poll has run on time and found the front silent for
	// interval x (misses - 1) (at least one interval) and that many probes.
	bool front_poll_silent(std::chrono::steady_clock::time_point now);
	bool poll_on_time(std::chrono::steady_clock::time_point now) const;
	void watch_front();
	std::unique_ptr<ControlSocket> control_;
	// take_over runs the loop while it works; a SIGHUP meanwhile waits.
	bool taking_over_ = false;
	bool reload_pending_ = false;

	std::string answer(const std::string &request);
};

} // namespace tcpfo
