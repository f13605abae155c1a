// SPDX-License-Identifier: GPL-2.0
#include "Commands.hpp"

#include "KernelLink.hpp"
#include "Output.hpp"
#include "ParseError.hpp"
#include "Service.hpp"

#include <algorithm>
#include <array>

namespace tcpfo {

namespace {

constexpr std::string_view service_add_usage =
	"usage: tcpfoctl service add NAME VIP:PORT BACKEND:PORT via BACK-ADDRESS";
constexpr std::string_view service_del_usage =
	"usage: tcpfoctl service del NAME | VIP:PORT";

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

// Operator contract commands whose daemon side does not exist yet.
constexpr std::array<std::string_view, 3> planned = {
	"peer", "failover", "switchover"};

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
	} else if (std::find(planned.begin(), planned.end(), command) !=
		   planned.end()) {
		throw std::runtime_error("'" + std::string(command) +
					 "' is not implemented yet");
	} else {
		throw UsageError("unknown command '" + std::string(command) +
				 "'; see 'tcpfoctl --help'");
	}
}

} // namespace tcpfo
