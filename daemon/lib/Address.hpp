// SPDX-License-Identifier: GPL-2.0
// Address and Endpoint: IPv4/IPv6 addresses and address:port pairs as
// operators write them ("192.0.2.1:80", "[2001:db8::1]:80") and as the
// kernel carries them (raw network-order bytes).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tcpfo {

// "inet" or "inet6" (as `ip -j` names families); "unspec" otherwise.
std::string_view family_name(int family);

class Address {
public:
	Address() = default;

	// Parses a literal IPv4 or IPv6 address; IPv6 may be in brackets.
	// Throws ParseError naming the text.
	static Address parse(std::string_view text);

	// Takes raw network-order bytes: 4 for AF_INET, 16 for AF_INET6.
	// Throws ParseError if the length does not fit the family.
	static Address from_bytes(int family, std::span<const std::uint8_t> bytes);

	int family() const noexcept { return family_; }
	std::span<const std::uint8_t> bytes() const noexcept;

	bool is_unspecified() const noexcept;
	bool is_multicast() const noexcept;

	// Canonical text (inet_ntop), without brackets.
	std::string to_string() const;

	friend bool operator==(const Address &, const Address &) = default;

private:
	int family_ = AF_UNSPEC;
	std::array<std::uint8_t, 16> bytes_{};
};

// A port as operators write it: decimal 1..65535. Throws ParseError.
std::uint16_t parse_port(std::string_view text);

struct Endpoint {
	Address address;
	std::uint16_t port = 0;

	// "192.0.2.1:80" or "[2001:db8::1]:80". Throws ParseError.
	static Endpoint parse(std::string_view text);

	int family() const noexcept { return address.family(); }
	std::string to_string() const;

	friend bool operator==(const Endpoint &, const Endpoint &) = default;
};

} // namespace tcpfo
