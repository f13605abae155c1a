// SPDX-License-Identifier: GPL-2.0
#include "Logger.hpp"

#include <cstdio>
#include <ctime>

namespace tcpfo {

std::optional<LogLevel> parse_log_level(std::string_view text)
{
	for (auto level : {LogLevel::debug, LogLevel::info, LogLevel::warning,
			   LogLevel::error})
		if (text == to_string(level))
			return level;
	return std::nullopt;
}

std::string_view to_string(LogLevel level)
{
	switch (level) {
	case LogLevel::debug:
		return "debug";
	case LogLevel::info:
		return "info";
	case LogLevel::warning:
		return "warning";
	case LogLevel::error:
		return "error";
	}
	return "unknown";
}

Logger::Logger(std::string program, std::string node, LogLevel threshold,
	       std::ostream &out)
	: prefix_(std::move(program) + "[" + std::move(node) + "]: "),
	  threshold_(threshold), out_(out)
{
}

void Logger::log(LogLevel level, std::string_view message)
{
	if (level < threshold_)
		return;
	// One string, one write: lines from several daemons sharing a
	// terminal or a test log do not interleave mid-line.
	std::string line;
	if (timestamps_) {
		timespec ts{};
		::clock_gettime(CLOCK_REALTIME, &ts);
		char buf[32];
		std::snprintf(buf, sizeof(buf), "%lld.%06ld ", static_cast<long long>(ts.tv_sec),
			      ts.tv_nsec / 1000);
		line = buf;
	}
	line += prefix_;
	line += to_string(level);
	line += ": ";
	line += message;
	line += '\n';
	std::lock_guard<std::mutex> hold(write_lock_);
	out_.write(line.data(), static_cast<std::streamsize>(line.size()));
	out_.flush();
}

} // namespace tcpfo
