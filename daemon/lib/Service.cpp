// SPDX-License-Identifier: GPL-2.0
#include "Service.hpp"

#include "ParseError.hpp"

#include <linux/tcpfo.h>

#include <algorithm>
#include <vector>

namespace tcpfo {

namespace {

constexpr std::string_view service_syntax =
	"expected NAME VIP:PORT BACKEND:PORT via BACK-ADDRESS";

// An address that can carry unicast TCP to or from this gateway.
void check_usable(const Address &a, std::string_view role)
{
	if (a.is_unspecified() || a.is_multicast())
		throw ParseError(std::string(role) + " " + a.to_string() +
				 " is not a unicast address");
}

} // namespace

bool is_valid_service_name(std::string_view name)
{
	if (name.empty() || name.size() >= TCPFO_SERVICE_NAME_MAX)
		return false;
	return std::all_of(name.begin(), name.end(), [](char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		       c == '-';
	});
}

Service Service::from_words(std::span<const std::string_view> words)
{
	if (words.size() != 5 || words[3] != "via")
		throw ParseError(std::string(service_syntax));

	Service s;
	s.name = words[0];
	if (!is_valid_service_name(s.name))
		throw ParseError("bad service name '" + s.name + "' (1.." +
				 std::to_string(TCPFO_SERVICE_NAME_MAX - 1) +
				 " characters out of A-Z a-z 0-9 _ . -)");
	try {
		s.vip = Endpoint::parse(words[1]);
		check_usable(s.vip.address, "VIP");
		s.backend = Endpoint::parse(words[2]);
		check_usable(s.backend.address, "backend");
		s.back_address = Address::parse(words[4]);
		check_usable(s.back_address, "back address");
	} catch (const ParseError &e) {
		throw ParseError("service '" + s.name + "': " + e.what());
	}

	if (s.backend.family() != s.vip.family() ||
	    s.back_address.family() != s.vip.family())
		throw ParseError("service '" + s.name +
				 "': VIP, backend and back address must all be "
				 "IPv4 or all IPv6");
	return s;
}

Service Service::parse(std::string_view line)
{
	std::vector<std::string_view> words;
	constexpr std::string_view blanks = " \t\r\n";
	std::size_t pos = 0;
	while ((pos = line.find_first_not_of(blanks, pos)) != line.npos) {
		std::size_t end = line.find_first_of(blanks, pos);
		if (end == line.npos)
			end = line.size();
		words.push_back(line.substr(pos, end - pos));
		pos = end;
	}
	return from_words(words);
}

std::string Service::to_string() const
{
	return name + " " + vip.to_string() + " " + backend.to_string() +
	       " via " + back_address.to_string();
}

} // namespace tcpfo
