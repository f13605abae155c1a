// SPDX-License-Identifier: GPL-2.0
#include "ParseError.hpp"
#include "Service.hpp"

#include <gtest/gtest.h>

using namespace tcpfo;

namespace {

// The ParseError message for `line`, or "" if it parsed.
std::string error_of(std::string_view line)
{
	try {
		Service::parse(line);
	} catch (const ParseError &e) {
		return e.what();
	}
	return "";
}

} // namespace

TEST(Service, ParsesTheIpv4ConfigLine)
{
	Service s = Service::parse("web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1");
	EXPECT_EQ(s.name, "web");
	EXPECT_EQ(s.family(), AF_INET);
	EXPECT_EQ(s.vip, Endpoint::parse("192.0.2.1:80"));
	EXPECT_EQ(s.backend, Endpoint::parse("198.51.100.10:8080"));
	EXPECT_EQ(s.back_address, Address::parse("198.51.100.1"));
}

TEST(Service, ParsesTheIpv6ConfigLineWithAnyBlanks)
{
	Service s = Service::parse(
		"  web\t[2001:db8:1::1]:80   [2001:db8:2::10]:8080 via 2001:db8:2::1 ");
	EXPECT_EQ(s.family(), AF_INET6);
	EXPECT_EQ(s.vip.port, 80);
	EXPECT_EQ(s.backend.port, 8080);
	EXPECT_EQ(s.back_address.to_string(), "2001:db8:2::1");
}

TEST(Service, RoundTripsThroughToString)
{
	for (const char *line :
	     {"web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1",
	      "db.v6 [2001:db8:1::1]:5432 [2001:db8:2::10]:5432 via 2001:db8:2::1"}) {
		Service s = Service::parse(line);
		EXPECT_EQ(s.to_string(), line);
		EXPECT_EQ(Service::parse(s.to_string()), s);
	}
}

TEST(Service, RefusesMixedFamilies)
{
	EXPECT_NE(error_of("web 192.0.2.1:80 [2001:db8::10]:8080 via 198.51.100.1")
			  .find("all be IPv4 or all IPv6"),
		  std::string::npos);
	EXPECT_NE(error_of("web 192.0.2.1:80 198.51.100.10:8080 via 2001:db8::1")
			  .find("all be IPv4 or all IPv6"),
		  std::string::npos);
	EXPECT_NE(error_of("web [2001:db8::1]:80 [2001:db8::10]:8080 via 198.51.100.1")
			  .find("all be IPv4 or all IPv6"),
		  std::string::npos);
}

TEST(Service, ChecksNameLengthAndCharacters)
{
	std::string longest(31, 'a');
	EXPECT_EQ(error_of(longest + " 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1"), "");
	EXPECT_NE(error_of(longest + "a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1")
			  .find("bad service name"),
		  std::string::npos);
	EXPECT_NE(error_of("we/b 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1")
			  .find("bad service name 'we/b'"),
		  std::string::npos);
	EXPECT_TRUE(is_valid_service_name("A-z_0.9"));
	EXPECT_FALSE(is_valid_service_name(""));
	EXPECT_FALSE(is_valid_service_name("a b"));
	EXPECT_FALSE(is_valid_service_name("web:80"));
}

TEST(Service, WantsExactlyTheFiveWordsWithVia)
{
	for (const char *bad :
	     {"", "web", "web 192.0.2.1:80 198.51.100.10:8080",
	      "web 192.0.2.1:80 198.51.100.10:8080 198.51.100.1",
	      "web 192.0.2.1:80 198.51.100.10:8080 by 198.51.100.1",
	      "web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1 extra"})
		EXPECT_NE(error_of(bad).find("expected NAME VIP:PORT"), std::string::npos)
			<< "'" << bad << "': " << error_of(bad);
}

TEST(Service, NamesTheFieldOfABadEndpoint)
{
	std::string e = error_of("web 192.0.2.1:80 198.51.100.10:0 via 198.51.100.1");
	EXPECT_NE(e.find("service 'web'"), std::string::npos) << e;
	EXPECT_NE(e.find("bad port '0'"), std::string::npos) << e;
}

TEST(Service, RefusesUnusableAddresses)
{
	EXPECT_NE(error_of("web 0.0.0.0:80 198.51.100.10:80 via 198.51.100.1")
			  .find("VIP 0.0.0.0 is not a unicast address"),
		  std::string::npos);
	EXPECT_NE(error_of("web 192.0.2.1:80 224.0.0.1:80 via 198.51.100.1")
			  .find("backend"),
		  std::string::npos);
	EXPECT_NE(error_of("web 192.0.2.1:80 198.51.100.10:80 via 0.0.0.0")
			  .find("back address"),
		  std::string::npos);
}
