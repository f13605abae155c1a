// SPDX-License-Identifier: GPL-2.0
#include "Duration.hpp"

#include "ParseError.hpp"

#include <algorithm>
#include <cstdint>

namespace tcpfo {

namespace {

bool all_digits(std::string_view s)
{
	return std::all_of(s.begin(), s.end(),
			   [](char c) { return c >= '0' && c <= '9'; });
}

std::uint64_t to_number(std::string_view digits)
{
	std::uint64_t v = 0;
	for (char c : digits)
		v = v * 10 + static_cast<std::uint64_t>(c - '0');
	return v;
}

} // namespace

std::chrono::microseconds parse_duration(std::string_view text)
{
	auto bad = [&](std::string_view why) -> ParseError {
		return ParseError("bad duration '" + std::string(text) + "'" +
				  std::string(why));
	};
	const std::string_view example = " (write e.g. 50ms, 1s, 1.5s, 500us)";

	if (text.empty())
		throw bad(example);
	std::size_t unit_at = text.find_first_not_of("0123456789.");
	if (unit_at == std::string_view::npos)
		throw bad(" (unit missing: us, ms or s)");
	std::string_view number = text.substr(0, unit_at);
	std::string_view unit = text.substr(unit_at);

	std::uint64_t scale;
	if (unit == "us")
		scale = 1;
	else if (unit == "ms")
		scale = 1000;
	else if (unit == "s")
		scale = 1000000;
	else
		throw bad(example);

	std::string_view whole = number, fraction;
	if (auto dot = number.find('.'); dot != std::string_view::npos) {
		whole = number.substr(0, dot);
		fraction = number.substr(dot + 1);
	}
	// Nine digits of seconds is already 31 years; more is a typo.
	if (whole.empty() || whole.size() > 9 || !all_digits(whole) ||
	    fraction.size() > 6 || !all_digits(fraction) ||
	    (number.find('.') != std::string_view::npos && fraction.empty()))
		throw bad(example);

	std::uint64_t us = to_number(whole) * scale;
	if (!fraction.empty()) {
		std::uint64_t denom = 1;
		for (std::size_t i = 0; i < fraction.size(); i++)
			denom *= 10;
		std::uint64_t part = to_number(fraction) * scale;
		if (part % denom != 0)
			throw bad(" (finer than 1us)");
		us += part / denom;
	}
	return std::chrono::microseconds(us);
}

std::string to_string(std::chrono::microseconds d)
{
	auto us = d.count();
	if (us != 0 && us % 1000000 == 0)
		return std::to_string(us / 1000000) + "s";
	if (us != 0 && us % 1000 == 0)
		return std::to_string(us / 1000) + "ms";
	return std::to_string(us) + "us";
}

} // namespace tcpfo
