// SPDX-License-Identifier: GPL-2.0
#include "Commands.hpp"

#include "KernelLink.hpp"
#include "Output.hpp"
#include "ParseError.hpp"
#include "Service.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <array>

namespace tcpfo {

namespace {

constexpr std::string_view service_add_usage =
	"usage: tcpfoctl service add NAME VIP:PORT BACKEND:PORT via BACK-ADDRESS";
constexpr std::string_view service_del_usage =
	"usage: tcpfoctl service del NAME | VIP:PORT";

// Asks failoverd over its control socket; prints the answer as is.
void ask_daemon(const GlobalOptions &options, const std::string &request,
		std::ostream &out, int timeout_s = 5)
{
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	if (options.control_socket.size() >= sizeof(sa.sun_path))
		throw std::runtime_error("control socket path too long");
	std::memcpy(sa.sun_path, options.control_socket.data(),
		    options.control_socket.size());
	int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		throw std::system_error(errno, std::generic_category(), "socket");
	struct Closer {
		int fd;
		~Closer() { ::close(fd); }
	} closer{fd};
	if (::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0)
		throw std::runtime_error("cannot reach failoverd at " +
					 options.control_socket + ": " +
					 std::strerror(errno) +
					 " (is it running? --control-socket)");
	timeval tv{timeout_s, 0};
	::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	const std::string line = request + "\n";
	if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) !=
	    static_cast<ssize_t>(line.size()))
		throw std::system_error(errno, std::generic_category(),
					"writing to failoverd");
	std::string answer;
	char buf[4096];
	for (;;) {
		ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw std::system_error(errno, std::generic_category(),
						"reading from failoverd");
		if (n == 0)
			break;
		answer.append(buf, static_cast<std::size_t>(n));
	}
	if (answer.rfind("error: ", 0) == 0)
		throw std::runtime_error("failoverd: " + answer.substr(7, answer.find('\n') - 7));
	out << answer;
}

void show_status(const GlobalOptions &options, std::ostream &out)
{
	KernelLink kernel;
	print_status(out, kernel.get_status(), options.json);
}

void list_services(const GlobalOptions &options, std::ostream &out)
{
	KernelLink kernel;
	print_services(out, kernel.list_services(), options.json);
}

void list_flows(const GlobalOptions &options, std::ostream &out)
{
	KernelLink kernel;
	print_flows(out, kernel.list_flows(), options.json);
}

void flow_command(const GlobalOptions &options,
		  std::span<const std::string_view> args, std::ostream &out)
{
	std::string_view sub = args.empty() ? "list" : args[0];
	if (sub != "list" && sub != "show")
		throw UsageError("unknown flow command '" + std::string(sub) +
				 "' (list)");
	if (args.size() > 1)
		throw UsageError("'flow list' takes no arguments");
	list_flows(options, out);
}

void add_service(std::span<const std::string_view> words)
{
	Service s;
	try {
		s = Service::from_words(words);
	} catch (const ParseError &e) {
		throw UsageError(std::string(e.what()) + "\n" +
				 std::string(service_add_usage));
	}
	KernelLink kernel;
	kernel.add_service(s);
}

void del_service(std::span<const std::string_view> words)
{
	if (words.size() != 1)
		throw UsageError(std::string(service_del_usage));
	std::string_view what = words[0];

	// Names never hold ':', endpoints always do.
	if (what.find(':') != std::string_view::npos) {
		Endpoint vip;
		try {
			vip = Endpoint::parse(what);
		} catch (const ParseError &e) {
			throw UsageError(e.what());
		}
		KernelLink kernel;
		kernel.del_service(vip);
		return;
	}
	if (!is_valid_service_name(what))
		throw UsageError("bad service name '" + std::string(what) + "'\n" +
				 std::string(service_del_usage));
	KernelLink kernel;
	kernel.del_service_by_name(what);
}

void service_command(const GlobalOptions &options,
		     std::span<const std::string_view> args, std::ostream &out)
{
	std::string_view sub = args.empty() ? "list" : args[0];
	auto rest = args.empty() ? args : args.subspan(1);
	if (sub == "list" || sub == "show") {
		if (!rest.empty())
			throw UsageError("'service list' takes no arguments");
		list_services(options, out);
	} else if (sub == "add") {
		add_service(rest);
	} else if (sub == "del" || sub == "delete") {
		del_service(rest);
	} else {
		throw UsageError("unknown service command '" + std::string(sub) +
				 "' (add, del, list)");
	}
}

} // namespace

void run_command(const GlobalOptions &options,
		 std::span<const std::string_view> args, std::ostream &out)
{
	std::string_view command = args[0];
	auto rest = args.subspan(1);

	if (command == "status") {
		if (!rest.empty())
			throw UsageError("'status' takes no arguments");
		show_status(options, out);
	} else if (command == "service") {
		service_command(options, rest, out);
	} else if (command == "services") {
		if (!rest.empty())
			throw UsageError("'services' takes no arguments");
		list_services(options, out);
	} else if (command == "flows") {
		if (!rest.empty())
			throw UsageError("'flows' takes no arguments");
		list_flows(options, out);
	} else if (command == "flow") {
		flow_command(options, rest, out);
	} else if (command == "peer") {
		if (!rest.empty())
			throw UsageError("'peer' takes no arguments");
		ask_daemon(options, options.json ? "peer json" : "peer", out);
	} else if (command == "failover") {
		if (!rest.empty())
			throw UsageError("'failover' takes no arguments");
		// Probing peers that do not answer takes a few seconds.
		ask_daemon(options, "failover", out, 60);
	} else if (command == "switchover") {
		if (!rest.empty())
			throw UsageError("'switchover' takes no arguments");
		ask_daemon(options, "switchover", out, 60);
	} else {
		throw UsageError("unknown command '" + std::string(command) +
				 "'; see 'tcpfoctl --help'");
	}
}

} // namespace tcpfo
