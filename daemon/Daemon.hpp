// SPDX-License-Identifier: GPL-2.0
// Daemon: failoverd's running state — the kernel link, the declared
// services, the relay, the event loop and its signals — from start to
// clean stop.
#pragma once

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
	void claim_addresses();
	void drop_orphan_flows();
	void release_floating_addresses() noexcept;
	// Standby: takes every stored flow over (lock, claim the addresses,
	// learn the peers' receive points, recreate both legs, relay) and
	// becomes the primary. Returns a one-line summary; throws if this
	// node cannot take over.
	std::string take_over(const std::string &why);
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
	UniqueFd link_wake_;	// eventfd: tells link_loop_ to stop
	std::unique_ptr<StateLink> link_;
	std::thread link_thread_;
	void stop_link();
	void stop_link_thread();
	void on_primary_lost();
	UniqueFd lost_fd_;	// eventfd: the link thread saw the primary go
	std::mutex lost_mutex_;
	std::string lost_reason_;
	bool lost_silent_ = false;
	std::unique_ptr<ControlSocket> control_;

	std::string answer(const std::string &request);
};

} // namespace tcpfo
