// SPDX-License-Identifier: GPL-2.0
// failoverd: reads the settings and runs the Daemon; maps failures to exit
// codes (0 ok, 1 runtime error, 2 configuration error).
#include "Config.hpp"
#include "Daemon.hpp"
#include "KernelLink.hpp"
#include "Logger.hpp"

#include <linux/tcpfo.h>

#include <csignal>
#include <iostream>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_config = 2;

} // namespace

int main(int argc, char *argv[])
{
	using namespace tcpfo;

	Invocation inv;
	try {
		inv = parse_invocation(argc, argv);
	} catch (const ConfigError &e) {
		std::cerr << "failoverd: config: " << e.what() << "\n";
		return exit_config;
	}
	if (inv.help) {
		std::cout << usage_text();
		return exit_ok;
	}
	if (inv.version) {
		std::cout << "failoverd " TCPFO_VERSION_STRING
			     " (netlink family " TCPFO_GENL_NAME " v"
			  << TCPFO_GENL_VERSION << ")\n";
		return exit_ok;
	}
	const Config &config = inv.config;
	if (inv.check_config) {
		std::cout << "failoverd: config ok: node " << config.node
			  << ", role " << to_string(config.role) << ", mode "
			  << to_string(config.mode) << ", "
			  << config.services.size() << " service(s)\n";
		return exit_ok;
	}

	// The control socket and the state link must not kill us on a peer
	// that went away mid-write.
	std::signal(SIGPIPE, SIG_IGN);

	Logger log("failoverd", config.node, config.log_level, std::cerr);
	log.set_timestamps(config.log_timestamps);
	try {
		KernelLink kernel;
		Daemon daemon(
			config,
			[argc, argv] { return parse_invocation(argc, argv).config; },
			kernel, log);
		daemon.run();
	} catch (const std::exception &e) {
		log.error(e.what());
		return exit_runtime;
	}
	return exit_ok;
}
