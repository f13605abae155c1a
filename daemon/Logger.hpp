// SPDX-License-Identifier: GPL-2.0
// Logger: failoverd's log lines on stderr, one write per line, in the form
// "failoverd[gw1]: info: message" (journald and syslog keep the prefix).
#pragma once

#include <atomic>
#include <optional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace tcpfo {

enum class LogLevel { debug, info, warning, error };

std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);

class Logger {
public:
	Logger(std::string program, std::string node, LogLevel threshold,
	       std::ostream &out);

	void set_threshold(LogLevel level) noexcept { threshold_ = level; }
	LogLevel threshold() const noexcept { return threshold_; }
	// Lines start with the wall-clock time, "1764253801.123456 " (the
	// form of tcpdump -tt, so that logs and captures line up).
	void set_timestamps(bool on) noexcept { timestamps_ = on; }

	void log(LogLevel level, std::string_view message);
	void debug(std::string_view m) { log(LogLevel::debug, m); }
	void info(std::string_view m) { log(LogLevel::info, m); }
	void warning(std::string_view m) { log(LogLevel::warning, m); }
	void error(std::string_view m) { log(LogLevel::error, m); }

private:
	std::string prefix_;
	LogLevel threshold_;
	std::atomic<bool> timestamps_ = false;
	std::ostream &out_;
	std::mutex write_lock_;	// the state link logs from its own thread
};

} // namespace tcpfo
