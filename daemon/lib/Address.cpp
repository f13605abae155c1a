// SPDX-License-Identifier: GPL-2.0
#include "Address.hpp"

#include "ParseError.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>

namespace tcpfo {

std::string_view family_name(int family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	default:
		return "unspec";
	}
}

namespace {

std::size_t family_size(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

std::string quoted(std::string_view text)
{
	return "'" + std::string(text) + "'";
}

} // namespace

Address Address::parse(std::string_view text)
{
	std::string_view inner = text;
	bool bracketed = inner.size() >= 2 && inner.front() == '[' &&
			 inner.back() == ']';
	if (bracketed)
		inner = inner.substr(1, inner.size() - 2);

	// inet_pton wants a NUL-terminated string; anything longer than the
	// longest IPv6 literal is not an address anyway.
	if (inner.empty() || inner.size() >= INET6_ADDRSTRLEN)
		throw ParseError("bad address " + quoted(text));
	std::string buf(inner);

	Address a;
	if (!bracketed && ::inet_pton(AF_INET, buf.c_str(), a.bytes_.data()) == 1) {
		a.family_ = AF_INET;
		return a;
	}
	if (::inet_pton(AF_INET6, buf.c_str(), a.bytes_.data()) == 1) {
		a.family_ = AF_INET6;
		return a;
	}
	if (bracketed)
		throw ParseError("bad address " + quoted(text) +
				 ": brackets hold IPv6 addresses only");
	throw ParseError("bad address " + quoted(text));
}

Address Address::from_bytes(int family, std::span<const std::uint8_t> bytes)
{
	std::size_t want = family_size(family);
	if (want == 0)
		throw ParseError("unsupported address family " +
				 std::to_string(family));
	if (bytes.size() != want)
		throw ParseError(std::string(family_name(family)) +
				 " address of " + std::to_string(bytes.size()) +
				 " bytes (expected " + std::to_string(want) + ")");
	Address a;
	a.family_ = family;
	std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
	return a;
}

std::span<const std::uint8_t> Address::bytes() const noexcept
{
	return {bytes_.data(), family_size(family_)};
}

bool Address::is_unspecified() const noexcept
{
	auto b = bytes();
	return std::all_of(b.begin(), b.end(), [](auto v) { return v == 0; });
}

bool Address::is_multicast() const noexcept
{
	if (family_ == AF_INET)
		return (bytes_[0] & 0xf0) == 0xe0;
	if (family_ == AF_INET6)
		return bytes_[0] == 0xff;
	return false;
}

std::string Address::to_string() const
{
	if (family_ == AF_UNSPEC)
		return "unspec";
	char buf[INET6_ADDRSTRLEN];
	if (!::inet_ntop(family_, bytes_.data(), buf, sizeof(buf)))
		return "invalid";
	return buf;
}

std::uint16_t parse_port(std::string_view text)
{
	unsigned value = 0;
	bool digits = !text.empty() && text.size() <= 5 &&
		      std::all_of(text.begin(), text.end(),
				  [](char c) { return c >= '0' && c <= '9'; });
	if (digits)
		std::from_chars(text.data(), text.data() + text.size(), value);
	if (!digits || value < 1 || value > 65535)
		throw ParseError("bad port " + quoted(text) +
				 " (expected 1..65535)");
	return static_cast<std::uint16_t>(value);
}

Endpoint Endpoint::parse(std::string_view text)
{
	std::string_view host, port;
	if (!text.empty() && text.front() == '[') {
		auto close = text.find(']');
		if (close == std::string_view::npos ||
		    close + 1 >= text.size() || text[close + 1] != ':')
			throw ParseError("bad endpoint " + quoted(text) +
					 ": expected [IPV6-ADDRESS]:PORT");
		host = text.substr(0, close + 1);
		port = text.substr(close + 2);
	} else {
		auto colon = text.rfind(':');
		if (colon == std::string_view::npos)
			throw ParseError("bad endpoint " + quoted(text) +
					 ": expected ADDRESS:PORT");
		if (text.find(':') != colon)
			throw ParseError("bad endpoint " + quoted(text) +
					 ": write IPv6 endpoints as "
					 "[ADDRESS]:PORT");
		host = text.substr(0, colon);
		port = text.substr(colon + 1);
	}

	Endpoint ep;
	try {
		ep.address = Address::parse(host);
		ep.port = parse_port(port);
	} catch (const ParseError &e) {
		throw ParseError(std::string(e.what()) + " in " + quoted(text));
	}
	return ep;
}

std::string Endpoint::to_string() const
{
	std::string host = address.to_string();
	if (address.family() == AF_INET6)
		host = "[" + host + "]";
	return host + ":" + std::to_string(port);
}

} // namespace tcpfo
