// SPDX-License-Identifier: GPL-2.0
// tcpfoctl: global options, then the command (like `ip`). Exit status:
// 0 ok, 1 the request failed, 2 the command line is wrong.
#include "Commands.hpp"

#include <linux/tcpfo.h>

#include <iostream>
#include <string_view>
#include <vector>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_error = 1;
constexpr int exit_usage = 2;

constexpr std::string_view usage = R"(Usage: tcpfoctl [OPTIONS] COMMAND [ARGUMENTS]

Commands:
  status                      module version, mode and counters
  flows                       tracked flows (also: flow list); RELEASED
                              and HELD in bytes, as c2s/s2c
  service list                declared services (also: services)
  service add NAME VIP:PORT BACKEND:PORT via BACK-ADDRESS
  service del NAME | VIP:PORT
  peer                        the state link as failoverd sees it: role,
                              mode, epoch, link, peer, protected (sync),
                              last heartbeat, replication lag
  failover                    on the standby: take every flow over now
  switchover                  on the standby: the primary hands its
                              flows over (planned move, failback)

Options (before the command):
  -j, --json                  JSON output for scripts
      --control-socket PATH   failoverd's control socket
                              [/run/tcpfo/failoverd.sock]
  -h, --help                  show this help
  -V, --version               show the version

IPv6 endpoints are written [2001:db8::1]:80.
Exit status: 0 ok, 1 error, 2 usage error.
)";

} // namespace

int main(int argc, char *argv[])
{
	using namespace tcpfo;

	std::vector<std::string_view> args(argv + 1, argv + argc);
	GlobalOptions options;
	std::size_t i = 0;
	for (; i < args.size() && args[i].starts_with('-'); i++) {
		std::string_view a = args[i];
		if (a == "--") {
			i++;
			break;
		} else if (a == "-j" || a == "--json") {
			options.json = true;
		} else if (a == "-h" || a == "--help") {
			std::cout << usage;
			return exit_ok;
		} else if (a == "-V" || a == "--version") {
			std::cout << "tcpfoctl " TCPFO_VERSION_STRING
				     " (netlink family " TCPFO_GENL_NAME " v"
				  << TCPFO_GENL_VERSION << ")\n";
			return exit_ok;
		} else if (a == "--control-socket") {
			if (i + 1 >= args.size() || args[i + 1].empty()) {
				std::cerr << "tcpfoctl: --control-socket needs a path\n";
				return exit_usage;
			}
			options.control_socket = args[++i];
		} else if (a.starts_with("--control-socket=")) {
			options.control_socket = a.substr(a.find('=') + 1);
			if (options.control_socket.empty()) {
				std::cerr << "tcpfoctl: --control-socket needs a path\n";
				return exit_usage;
			}
		} else {
			std::cerr << "tcpfoctl: unknown option '" << a
				  << "'; see 'tcpfoctl --help'\n";
			return exit_usage;
		}
	}
	if (i >= args.size()) {
		std::cerr << usage;
		return exit_usage;
	}
	if (args[i] == "help") {
		std::cout << usage;
		return exit_ok;
	}

	try {
		run_command(options, std::span(args).subspan(i), std::cout);
	} catch (const UsageError &e) {
		std::cerr << "tcpfoctl: " << e.what() << "\n";
		return exit_usage;
	} catch (const std::exception &e) {
		std::cerr << "tcpfoctl: " << e.what() << "\n";
		return exit_error;
	}
	std::cout.flush();
	if (!std::cout) {
		std::cerr << "tcpfoctl: writing output failed\n";
		return exit_error;
	}
	return exit_ok;
}
