// SPDX-License-Identifier: GPL-2.0
// Config: failoverd's settings from an INI file and the command line
// (Boost.Program_options), checked value by value. Errors name the key.
#pragma once

#include "Address.hpp"
#include "Logger.hpp"
#include "Mode.hpp"
#include "RelaySettings.hpp"
#include "Service.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tcpfo {

// A setting that is unknown or has a bad value; what() starts with the key
// ("heartbeat.interval: bad duration 'abc' ...") or the file.
class ConfigError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

enum class Role { primary, standby };
std::string_view to_string(Role role);

using PeerKey = std::array<std::uint8_t, 32>;

// Reads a key file: 64 hex characters, one trailing newline allowed.
// Throws ParseError naming the path.
PeerKey read_key_file(const std::filesystem::path &path);

inline constexpr std::chrono::microseconds min_heartbeat_interval{1000};
inline constexpr std::chrono::microseconds max_heartbeat_interval{60'000'000};
inline constexpr unsigned max_heartbeat_misses = 1000;
inline constexpr std::chrono::microseconds max_peer_timeout{600'000'000};

struct Config {
	std::optional<std::filesystem::path> file; // --config, if given

	std::string node;	// default: the host name
	Role role = Role::standby;
	Mode mode = Mode::async;
	std::filesystem::path control_socket = "/run/tcpfo/failoverd.sock";
	LogLevel log_level = LogLevel::info;
	bool log_timestamps = false;	// each line starts with the wall-clock time
	std::vector<Service> services;

	struct {
		std::optional<Endpoint> listen;
		std::optional<Endpoint> address;
		std::optional<std::filesystem::path> key_file;
		std::optional<PeerKey> key;
		// How long the primary waits for a silent standby before it
		// closes the link and goes unprotected; unset: interval x misses.
		std::optional<std::chrono::microseconds> timeout;
	} peer;

	struct {
		std::chrono::microseconds interval{50'000};
		unsigned misses = 3;
	} heartbeat;

	struct {
		std::string front_interface;
		std::string back_interface;
		std::int64_t ts_skew_ms = 0;	// test knob (takeover.ts-skew)
		// How long a takeover keeps probing peers that have not
		// answered before it resets their flows.
		std::chrono::microseconds probe_timeout{10'000'000};
	} takeover;

	RelaySettings relay;
};

inline constexpr std::chrono::microseconds min_probe_timeout{100'000};
inline constexpr std::chrono::microseconds max_probe_timeout{600'000'000};

// What the command line asks for besides the settings.
struct Invocation {
	bool help = false;
	bool version = false;
	bool check_config = false;
	Config config;
};

// Parses argv (argv[0] is skipped), then the --config file if any: the
// command line wins over the file. Throws ConfigError.
Invocation parse_invocation(int argc, const char *const argv[]);

// --help text; fits a terminal.
std::string usage_text();

// Keys whose value differs between a running and a re-read config and that
// only a restart applies (everything except mode, log-level, service and
// the relay.* keys, which apply to new flows).
std::vector<std::string> restart_required_changes(const Config &running,
						  const Config &next);

} // namespace tcpfo
