// SPDX-License-Identifier: GPL-2.0
// Service: one proxied service as declared to the module, and its operator
// syntax "NAME VIP:PORT BACKEND:PORT via BACK-ADDRESS".
#pragma once

#include "Address.hpp"

#include <span>
#include <string>
#include <string_view>

namespace tcpfo {

// 1..TCPFO_SERVICE_NAME_MAX-1 characters out of [A-Za-z0-9_.-].
bool is_valid_service_name(std::string_view name);

struct Service {
	std::string name;
	Endpoint vip;		// where clients connect
	Endpoint backend;	// the server the relay connects to
	Address back_address;	// gateway's source address on the server leg

	int family() const noexcept { return vip.family(); }

	// Parses "web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1"
	// (any whitespace between words). Throws ParseError.
	static Service parse(std::string_view line);

	// The same from words already split, as tcpfoctl receives them.
	static Service from_words(std::span<const std::string_view> words);

	// Back in operator syntax; parse(to_string()) == *this.
	std::string to_string() const;

	friend bool operator==(const Service &, const Service &) = default;
};

} // namespace tcpfo
