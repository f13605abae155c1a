// SPDX-License-Identifier: GPL-2.0
// Daemon: failoverd's running state — the kernel link, the declared
// services, the event loop and its signals — from start to clean stop.
#pragma once

#include "Config.hpp"
#include "EventLoop.hpp"
#include "KernelApi.hpp"
#include "Logger.hpp"
#include "ServiceRegistry.hpp"
#include "SignalFd.hpp"

#include <functional>

namespace tcpfo {

class Daemon {
public:
	// Re-reads the settings for SIGHUP; throws ConfigError.
	using ConfigSource = std::function<Config()>;

	// Blocks SIGTERM/SIGINT/SIGHUP, sets the mode and declares the
	// services (throws on conflict).
	Daemon(Config config, ConfigSource reload_source, KernelApi &kernel,
	       Logger &log);

	// Serves until SIGTERM or SIGINT, then withdraws the services.
	void run();

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
};

} // namespace tcpfo
