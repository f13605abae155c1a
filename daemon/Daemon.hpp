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

	// Serves until SIGTERM or SIGINT, then closes the relayed flows and
	// withdraws the services.
	void run();

	const Relay &relay() const noexcept { return relay_; }

private:
	void on_signal();
	void reload();

	Config config_;
	ConfigSource reload_source_;
	Logger &log_;
	SignalFd signals_;
	KernelApi &kernel_;
	ServiceRegistry services_;
	EventLoop loop_;
	Relay relay_;
	TimerQueue timers_{loop_};
	// Replication to / from the peer, when one is configured.
	std::unique_ptr<StateLink> link_;
	std::unique_ptr<ControlSocket> control_;

	std::string answer(const std::string &request);
};

} // namespace tcpfo
