// SPDX-License-Identifier: GPL-2.0
#include "Config.hpp"

#include "ByteSize.hpp"
#include "Duration.hpp"
#include "ParseError.hpp"

#include <boost/program_options.hpp>

#include <linux/tcpfo.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

namespace po = boost::program_options;

namespace tcpfo {

namespace {

// Catches stray words on the command line so the error can quote them.
constexpr const char *positional_key = "positional-argument";

po::options_description action_options()
{
	po::options_description d;
	d.add_options()
		("help,h", po::bool_switch())
		("version,V", po::bool_switch())
		("config,c", po::value<std::string>())
		("check-config", po::bool_switch())
		("foreground", po::bool_switch());
	return d;
}

// Every key here can be in the file or on the command line.
po::options_description setting_options()
{
	po::options_description d;
	d.add_options()
		("node", po::value<std::string>())
		("role", po::value<std::string>())
		("mode", po::value<std::string>())
		("control-socket", po::value<std::string>())
		("log-level", po::value<std::string>())
		("log-timestamps", po::value<std::string>())
		("service", po::value<std::vector<std::string>>())
		("peer.listen", po::value<std::string>())
		("peer.address", po::value<std::string>())
		("peer.key-file", po::value<std::string>())
		("peer.timeout", po::value<std::string>())
		("heartbeat.interval", po::value<std::string>())
		("heartbeat.misses", po::value<std::string>())
		("takeover.front-interface", po::value<std::string>())
		("takeover.back-interface", po::value<std::string>())
		("takeover.ts-skew", po::value<std::string>())
		("takeover.probe-timeout", po::value<std::string>())
		("relay.pipe-size", po::value<std::string>())
		("relay.notsent-lowat", po::value<std::string>())
		("relay.connect-timeout", po::value<std::string>());
	return d;
}

std::string key_of(const po::error_with_option_name &e)
{
	// "--peer.foo=1" on the command line is the key "peer.foo".
	std::string name = e.get_option_name();
	name.erase(0, name.find_first_not_of('-'));
	return name.substr(0, name.find('='));
}

// Boost's exceptions rephrased so that each starts with the key.
[[noreturn]] void rethrow_po_error(const po::error &error,
				   const std::string &where)
{
	std::string prefix = where.empty() ? "" : where + ": ";
	if (auto *e = dynamic_cast<const po::unknown_option *>(&error))
		throw ConfigError(prefix + "unknown option '" + key_of(*e) + "'");
	if (auto *e = dynamic_cast<const po::multiple_occurrences *>(&error))
		throw ConfigError(prefix + key_of(*e) + ": given more than once");
	if (auto *e = dynamic_cast<const po::invalid_command_line_syntax *>(&error);
	    e && e->kind() == po::invalid_syntax::missing_parameter)
		throw ConfigError(prefix + key_of(*e) + ": missing value");
	throw ConfigError(prefix + error.what());
}

bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool is_valid_node_name(std::string_view name)
{
	return !name.empty() && name.size() <= 63 &&
	       std::all_of(name.begin(), name.end(), is_name_char);
}

// The kernel's dev_valid_name(): IFNAMSIZ-1 bytes, no '/', ':' or blanks.
bool is_valid_interface_name(std::string_view name)
{
	if (name.empty() || name.size() > 15 || name == "." || name == "..")
		return false;
	return std::none_of(name.begin(), name.end(), [](char c) {
		return c == '/' || c == ':' || c == ' ' || c == '\t' ||
		       c == '\n' || c == '\r' || c == '\f' || c == '\v';
	});
}

std::string host_name()
{
	char buf[256] = {};
	if (gethostname(buf, sizeof(buf) - 1) != 0)
		return {};
	return buf;
}

unsigned parse_unsigned(std::string_view text, unsigned lo, unsigned hi)
{
	unsigned value = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
					 value);
	if (text.empty() || ec != std::errc() ||
	    end != text.data() + text.size() || value < lo || value > hi)
		throw ParseError("expected a whole number " +
				 std::to_string(lo) + ".." + std::to_string(hi) +
				 ", not '" + std::string(text) + "'");
	return value;
}

// Turns the stored strings into Config, key by key.
class Settings {
public:
	explicit Settings(const po::variables_map &vm) : vm_(vm) {}

	// Calls apply(value) if the key was given; a ParseError becomes a
	// ConfigError naming the key.
	template <typename Apply>
	void read(const char *key, Apply apply) const
	{
		if (!vm_.count(key))
			return;
		try {
			apply(vm_[key].as<std::string>());
		} catch (const ParseError &e) {
			throw ConfigError(std::string(key) + ": " + e.what());
		}
	}

	std::vector<std::string> list(const char *key) const
	{
		if (!vm_.count(key))
			return {};
		return vm_[key].as<std::vector<std::string>>();
	}

private:
	const po::variables_map &vm_;
};

void read_services(const Settings &s, Config &config)
{
	for (const std::string &line : s.list("service")) {
		Service svc;
		try {
			svc = Service::parse(line);
		} catch (const ParseError &e) {
			throw ConfigError(std::string("service: ") + e.what());
		}
		for (const Service &other : config.services) {
			if (other.name == svc.name)
				throw ConfigError("service: name '" + svc.name +
						  "' is used twice");
			if (other.vip == svc.vip)
				throw ConfigError("service: '" + other.name +
						  "' and '" + svc.name +
						  "' both use " +
						  svc.vip.to_string());
		}
		config.services.push_back(std::move(svc));
	}
}

Config build_config(const po::variables_map &vm)
{
	Config c;
	Settings s(vm);

	if (vm.count("config"))
		c.file = vm["config"].as<std::string>();

	s.read("node", [&](const std::string &v) {
		if (!is_valid_node_name(v))
			throw ParseError("bad node name '" + v +
					 "' (1..63 characters out of "
					 "A-Z a-z 0-9 _ . -)");
		c.node = v;
	});
	if (c.node.empty()) {
		c.node = host_name();
		if (!is_valid_node_name(c.node))
			throw ConfigError("node: not set, and the host name '" +
					  c.node + "' is not usable as one");
	}
	s.read("role", [&](const std::string &v) {
		if (v == "primary")
			c.role = Role::primary;
		else if (v == "standby")
			c.role = Role::standby;
		else
			throw ParseError("expected primary or standby, not '" +
					 v + "'");
	});
	s.read("mode", [&](const std::string &v) {
		auto m = parse_mode(v);
		if (!m)
			throw ParseError("expected sync or async, not '" + v + "'");
		c.mode = *m;
	});
	s.read("control-socket", [&](const std::string &v) {
		if (v.empty() || v.front() != '/')
			throw ParseError("'" + v + "' is not an absolute path");
		if (v.size() >= sizeof(sockaddr_un::sun_path))
			throw ParseError("'" + v + "' is longer than " +
					 std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
					 " bytes");
		c.control_socket = v;
	});
	s.read("log-level", [&](const std::string &v) {
		auto l = parse_log_level(v);
		if (!l)
			throw ParseError("expected debug, info, warning or error, "
					 "not '" + v + "'");
		c.log_level = *l;
	});
	s.read("log-timestamps", [&](const std::string &v) {
		if (v == "yes" || v == "true" || v == "1")
			c.log_timestamps = true;
		else if (v == "no" || v == "false" || v == "0")
			c.log_timestamps = false;
		else
			throw ParseError("expected yes or no, not '" + v + "'");
	});
	read_services(s, c);

	s.read("peer.listen", [&](const std::string &v) {
		c.peer.listen = Endpoint::parse(v);
	});
	s.read("peer.address", [&](const std::string &v) {
		c.peer.address = Endpoint::parse(v);
	});
	s.read("peer.key-file", [&](const std::string &v) {
		if (v.empty())
			throw ParseError("empty path");
		c.peer.key_file = v;
		c.peer.key = read_key_file(v);
	});
	if ((c.peer.listen || c.peer.address) && !c.peer.key_file)
		throw ConfigError("peer.key-file: required when peer.listen or "
				  "peer.address is set (the state link is "
				  "authenticated)");

	auto duration_in = [](const std::string &v, std::chrono::microseconds lo,
			      std::chrono::microseconds hi) {
		auto d = parse_duration(v);
		if (d < lo || d > hi)
			throw ParseError(v + " is out of range (" + to_string(lo) + ".." +
					 to_string(hi) + ")");
		return d;
	};
	s.read("heartbeat.interval", [&](const std::string &v) {
		c.heartbeat.interval =
			duration_in(v, min_heartbeat_interval, max_heartbeat_interval);
	});
	s.read("heartbeat.misses", [&](const std::string &v) {
		c.heartbeat.misses = parse_unsigned(v, 1, max_heartbeat_misses);
	});
	s.read("peer.timeout", [&](const std::string &v) {
		c.peer.timeout = duration_in(v, min_heartbeat_interval, max_peer_timeout);
	});
	// Shorter than a heartbeat, a healthy standby would look silent.
	if (c.peer.timeout && *c.peer.timeout < 2 * c.heartbeat.interval)
		throw ConfigError("peer.timeout: " + to_string(*c.peer.timeout) +
				  " is less than two heartbeat intervals (" +
				  to_string(2 * c.heartbeat.interval) + ")");

	auto interface = [](std::string &out) {
		return [&out](const std::string &v) {
			if (!is_valid_interface_name(v))
				throw ParseError("bad interface name '" + v + "'");
			out = v;
		};
	};
	s.read("takeover.front-interface", interface(c.takeover.front_interface));
	s.read("takeover.back-interface", interface(c.takeover.back_interface));
	// Test knob: skews the TSval estimate at a takeover (milliseconds,
	// signed), as a clock mapping that is off would. Documented in the
	// admin guide, not in --help.
	s.read("takeover.ts-skew", [&c](const std::string &v) {
		std::size_t used = 0;
		long long ms = 0;
		try {
			ms = std::stoll(v, &used);
		} catch (const std::exception &) {
			used = 0;
		}
		if (used != v.size() || v.empty() || ms < -3'600'000 || ms > 3'600'000)
			throw ParseError("'" + v + "' is not a number of milliseconds "
					 "within +-3600000");
		c.takeover.ts_skew_ms = ms;
	});
	s.read("takeover.probe-timeout", [&](const std::string &v) {
		c.takeover.probe_timeout = duration_in(v, min_probe_timeout, max_probe_timeout);
	});

	auto size_in = [](std::uint64_t lo, std::uint64_t hi, std::uint64_t &out) {
		return [lo, hi, &out](const std::string &v) {
			std::uint64_t bytes = parse_byte_size(v);
			if (bytes < lo || bytes > hi)
				throw ParseError(v + " is out of range (" +
						 format_byte_size(lo) + ".." +
						 format_byte_size(hi) + ")");
			out = bytes;
		};
	};
	s.read("relay.pipe-size", size_in(min_pipe_size, max_pipe_size,
					  c.relay.pipe_size));
	s.read("relay.notsent-lowat", size_in(min_notsent_lowat, max_notsent_lowat,
					      c.relay.notsent_lowat));
	s.read("relay.connect-timeout", [&](const std::string &v) {
		c.relay.connect_timeout = duration_in(v, min_connect_timeout, max_connect_timeout);
	});
	return c;
}

} // namespace

std::string_view to_string(Role role)
{
	return role == Role::primary ? "primary" : "standby";
}

PeerKey read_key_file(const std::filesystem::path &path)
{
	const std::string name = path.string();
	std::error_code ec;
	auto status = std::filesystem::status(path, ec);
	if (ec)
		throw ParseError(name + ": " + ec.message());
	if (!std::filesystem::is_regular_file(status))
		throw ParseError(name + ": not a regular file");

	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw ParseError(name + ": " + std::strerror(errno));
	// Read a little more than a key so an oversized file is noticed.
	std::string text(130, '\0');
	in.read(text.data(), static_cast<std::streamsize>(text.size()));
	text.resize(static_cast<std::size_t>(in.gcount()));
	if (in.bad())
		throw ParseError(name + ": read error");

	if (!text.empty() && text.back() == '\n')
		text.pop_back();
	auto hex_value = [](char c) -> int {
		if (c >= '0' && c <= '9')
			return c - '0';
		if (c >= 'a' && c <= 'f')
			return c - 'a' + 10;
		if (c >= 'A' && c <= 'F')
			return c - 'A' + 10;
		return -1;
	};
	PeerKey key{};
	bool ok = text.size() == 2 * key.size();
	for (std::size_t i = 0; ok && i < key.size(); i++) {
		int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
		ok = hi >= 0 && lo >= 0;
		key[i] = static_cast<std::uint8_t>(hi << 4 | lo);
	}
	if (!ok)
		throw ParseError(name + ": expected 64 hex characters (32 bytes, "
				 "e.g. from 'openssl rand -hex 32')");
	return key;
}

Invocation parse_invocation(int argc, const char *const argv[])
{
	po::options_description settings = setting_options();
	po::options_description command_line;
	command_line.add(action_options()).add(settings);
	command_line.add_options()(positional_key,
				   po::value<std::vector<std::string>>());
	po::positional_options_description positional;
	positional.add(positional_key, -1);

	// No abbreviations: "--mod" must not quietly mean "--mode".
	int style = po::command_line_style::default_style &
		    ~po::command_line_style::allow_guessing;

	po::variables_map vm;
	try {
		po::store(po::command_line_parser(argc, argv)
				  .options(command_line)
				  .positional(positional)
				  .style(style)
				  .run(),
			  vm);
	} catch (const po::error &e) {
		rethrow_po_error(e, "");
	}
	if (vm.count(positional_key))
		throw ConfigError("unexpected argument '" +
				  vm[positional_key].as<std::vector<std::string>>().front() +
				  "' (settings are given as --key=value)");

	Invocation inv;
	inv.help = vm["help"].as<bool>();
	inv.version = vm["version"].as<bool>();
	inv.check_config = vm["check-config"].as<bool>();
	if (inv.help || inv.version)
		return inv;

	if (vm.count("config")) {
		const std::string path = vm["config"].as<std::string>();
		std::ifstream in(path);
		if (!in)
			throw ConfigError(path + ": " + std::strerror(errno));
		try {
			// Stored second: what the command line set stays.
			po::store(po::parse_config_file(in, settings), vm);
		} catch (const po::error &e) {
			rethrow_po_error(e, path);
		}
		if (in.bad())
			throw ConfigError(path + ": read error");
	}
	po::notify(vm);
	inv.config = build_config(vm);
	return inv;
}

std::string usage_text()
{
	return R"(Usage: failoverd [OPTIONS]
Relay and failover daemon for tcpfo gateways; runs in the foreground.

  -c, --config FILE        read settings from FILE (INI); the command line wins
      --check-config       check the settings (and key file) and exit
      --foreground         accepted for compatibility; always in foreground
  -h, --help               show this help
  -V, --version            show the version

Settings: "key = value" in FILE ("[section]" for dotted keys), or
--key=VALUE / --section.key=VALUE on the command line:
  node NAME [host name], role primary|standby (initial role) [standby]
  mode sync|async            release mode             [async]
  control-socket PATH        [/run/tcpfo/failoverd.sock]
  log-level LEVEL            debug|info|warning|error [info]
  log-timestamps yes|no      lines start with the time (s.us since 1970) [no]
  service "NAME VIP:PORT BACKEND:PORT via BACK-ADDRESS"   (repeatable)
  peer.listen, peer.address ADDR:PORT   state link: our end, the peer's
  peer.key-file FILE         64 hex characters (openssl rand -hex 32)
  peer.timeout TIME          standby silent -> unprotected [interval x misses]
  heartbeat.interval TIME, heartbeat.misses N   e.g. 50ms, 1s; beats [50ms, 3]
  takeover.front-interface IF, takeover.back-interface IF   VIPs, back addresses
  takeover.probe-timeout TIME  peers that do not answer: reset [10s]
  relay.pipe-size SIZE [64K], relay.notsent-lowat SIZE [128K]  pipe, unsent
  relay.connect-timeout TIME to the backend           [5s]

IPv6: [2001:db8::1]:80. SIGTERM/SIGINT: close the flows, withdraw the
services, exit. SIGHUP: re-read the settings; service, mode and relay.*
changes apply (relay.* to new flows). SIGUSR1: log the relay's counters.
Exit status: 0 ok, 1 runtime error, 2 configuration error.
)";
}

std::vector<std::string> restart_required_changes(const Config &a,
						  const Config &b)
{
	std::vector<std::string> keys;
	auto check = [&](bool same, const char *key) {
		if (!same)
			keys.emplace_back(key);
	};
	check(a.node == b.node, "node");
	check(a.role == b.role, "role");
	check(a.control_socket == b.control_socket, "control-socket");
	check(a.peer.listen == b.peer.listen, "peer.listen");
	check(a.peer.address == b.peer.address, "peer.address");
	check(a.peer.key_file == b.peer.key_file && a.peer.key == b.peer.key,
	      "peer.key-file");
	check(a.heartbeat.interval == b.heartbeat.interval, "heartbeat.interval");
	check(a.heartbeat.misses == b.heartbeat.misses, "heartbeat.misses");
	check(a.takeover.front_interface == b.takeover.front_interface,
	      "takeover.front-interface");
	check(a.takeover.back_interface == b.takeover.back_interface,
	      "takeover.back-interface");
	check(a.takeover.probe_timeout == b.takeover.probe_timeout,
	      "takeover.probe-timeout");
	return keys;
}

} // namespace tcpfo
