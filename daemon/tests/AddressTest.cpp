// SPDX-License-Identifier: GPL-2.0
#include "Address.hpp"
#include "ParseError.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

using namespace tcpfo;

TEST(Address, ParsesIpv4ToNetworkOrderBytes)
{
	Address a = Address::parse("192.0.2.1");
	EXPECT_EQ(a.family(), AF_INET);
	ASSERT_EQ(a.bytes().size(), 4u);
	EXPECT_EQ(a.bytes()[0], 192);
	EXPECT_EQ(a.bytes()[3], 1);
	EXPECT_EQ(a.to_string(), "192.0.2.1");
}

TEST(Address, ParsesIpv6WithOrWithoutBracketsAndCanonicalises)
{
	Address a = Address::parse("2001:DB8:0:0::1");
	EXPECT_EQ(a.family(), AF_INET6);
	EXPECT_EQ(a.bytes().size(), 16u);
	EXPECT_EQ(a.to_string(), "2001:db8::1");
	EXPECT_EQ(Address::parse("[2001:db8::1]"), a);
}

TEST(Address, RejectsNonsenseAndNamesIt)
{
	for (const char *bad : {"", "300.1.1.1", "192.0.2", "192.0.2.1.5",
				"example.com", "2001:db8::g", "[192.0.2.1]",
				"01.2.3.4", " 192.0.2.1"}) {
		try {
			Address::parse(bad);
			ADD_FAILURE() << "accepted '" << bad << "'";
		} catch (const ParseError &e) {
			EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"),
				  std::string::npos)
				<< e.what();
		}
	}
}

TEST(Address, FromBytesChecksLengthAgainstFamily)
{
	const std::uint8_t v4[] = {198, 51, 100, 7};
	EXPECT_EQ(Address::from_bytes(AF_INET, v4).to_string(), "198.51.100.7");
	EXPECT_THROW(Address::from_bytes(AF_INET6, v4), ParseError);
	EXPECT_THROW(Address::from_bytes(AF_UNIX, v4), ParseError);
}

TEST(Address, KnowsUnspecifiedAndMulticast)
{
	EXPECT_TRUE(Address::parse("0.0.0.0").is_unspecified());
	EXPECT_TRUE(Address::parse("::").is_unspecified());
	EXPECT_TRUE(Address::parse("224.0.0.1").is_multicast());
	EXPECT_TRUE(Address::parse("ff02::1").is_multicast());
	EXPECT_FALSE(Address::parse("192.0.2.1").is_multicast());
	EXPECT_FALSE(Address::parse("2001:db8::1").is_unspecified());
}

TEST(Endpoint, ParsesIpv4AndBracketedIpv6)
{
	Endpoint v4 = Endpoint::parse("192.0.2.1:80");
	EXPECT_EQ(v4.address, Address::parse("192.0.2.1"));
	EXPECT_EQ(v4.port, 80);
	EXPECT_EQ(v4.to_string(), "192.0.2.1:80");

	Endpoint v6 = Endpoint::parse("[2001:db8::1]:65535");
	EXPECT_EQ(v6.family(), AF_INET6);
	EXPECT_EQ(v6.port, 65535);
	EXPECT_EQ(v6.to_string(), "[2001:db8::1]:65535");
}

TEST(Endpoint, RejectsBadPorts)
{
	for (const char *bad : {"192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:",
				"192.0.2.1:-1", "192.0.2.1:+80", "192.0.2.1:8o",
				"192.0.2.1:000080", "[2001:db8::1]:99999",
				"192.0.2.1:4294967376"}) {
		try {
			Endpoint::parse(bad);
			ADD_FAILURE() << "accepted '" << bad << "'";
		} catch (const ParseError &e) {
			EXPECT_NE(std::string(e.what()).find("bad port"),
				  std::string::npos)
				<< bad << ": " << e.what();
		}
	}
}

TEST(Endpoint, WantsBracketsForIpv6AndAPort)
{
	EXPECT_THROW(Endpoint::parse("2001:db8::1:80"), ParseError);
	EXPECT_THROW(Endpoint::parse("[2001:db8::1]80"), ParseError);
	EXPECT_THROW(Endpoint::parse("[2001:db8::1"), ParseError);
	EXPECT_THROW(Endpoint::parse("192.0.2.1"), ParseError);
	EXPECT_THROW(Endpoint::parse("[192.0.2.1]:80"), ParseError);
	EXPECT_THROW(Endpoint::parse(":80"), ParseError);
	try {
		Endpoint::parse("2001:db8::1:80");
	} catch (const ParseError &e) {
		EXPECT_NE(std::string(e.what()).find("[ADDRESS]:PORT"),
			  std::string::npos)
			<< e.what();
	}
}

TEST(Endpoint, FamilyNames)
{
	EXPECT_EQ(family_name(AF_INET), "inet");
	EXPECT_EQ(family_name(AF_INET6), "inet6");
}
