// SPDX-License-Identifier: GPL-2.0
#include "ByteSize.hpp"

#include "ParseError.hpp"

#include <charconv>

namespace tcpfo {

std::uint64_t parse_byte_size(std::string_view text)
{
	auto bad = [&] {
		return ParseError("bad size '" + std::string(text) +
				  "' (write e.g. 65536, 64K, 1M)");
	};
	std::size_t unit_at = text.find_first_not_of("0123456789");
	std::string_view number = text.substr(0, unit_at);
	std::string_view unit = unit_at == std::string_view::npos ? "" : text.substr(unit_at);

	std::uint64_t scale;
	if (unit.empty())
		scale = 1;
	else if (unit == "K" || unit == "k" || unit == "KiB")
		scale = 1024;
	else if (unit == "M" || unit == "MiB")
		scale = 1024 * 1024;
	else
		throw bad();
	// Twelve digits is already terabytes; more is a typo.
	if (number.empty() || number.size() > 12)
		throw bad();
	std::uint64_t value = 0;
	std::from_chars(number.data(), number.data() + number.size(), value);
	return value * scale;
}

std::string format_byte_size(std::uint64_t bytes)
{
	constexpr std::uint64_t mib = 1024 * 1024;
	if (bytes != 0 && bytes % mib == 0)
		return std::to_string(bytes / mib) + "MiB";
	if (bytes != 0 && bytes % 1024 == 0)
		return std::to_string(bytes / 1024) + "KiB";
	return std::to_string(bytes);
}

} // namespace tcpfo
