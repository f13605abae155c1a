// SPDX-License-Identifier: GPL-2.0
// The shapes of tcpfoctl's output: JSON is a contract with scripts.
#include "Output.hpp"
#include "Table.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace tcpfo;

namespace {

std::vector<Service> two_services()
{
	return {Service::parse("web6 [2001:db8:1::1]:443 [2001:db8:2::10]:8443 via 2001:db8:2::1"),
		Service::parse("api 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1")};
}

} // namespace

TEST(Output, StatusJson)
{
	Status st{"0.1.0", Mode::sync, 18446744073709551615ull, 12, 3, 2};
	std::ostringstream out;
	print_status(out, st, true);
	EXPECT_EQ(out.str(),
		  R"({"version":"0.1.0","mode":"sync","packets_seen":18446744073709551615,)"
		  R"("packets_tracked":12,"flows":3,"services":2})" "\n");
}

TEST(Output, StatusColumns)
{
	Status st{"0.1.0", Mode::async, 100, 12, 3, 2};
	std::ostringstream out;
	print_status(out, st, false);
	EXPECT_EQ(out.str(),
		  "version          0.1.0\n"
		  "mode             async\n"
		  "packets seen     100\n"
		  "packets tracked  12\n"
		  "flows            3\n"
		  "services         2\n");
}

TEST(Output, ServicesJsonSortedByName)
{
	std::ostringstream out;
	print_services(out, two_services(), true);
	EXPECT_EQ(out.str(),
		  R"([{"name":"api","family":"inet","vip":"192.0.2.1","vport":80,)"
		  R"("backend":"198.51.100.10","bport":8080,"back_address":"198.51.100.1"},)"
		  R"({"name":"web6","family":"inet6","vip":"2001:db8:1::1","vport":443,)"
		  R"("backend":"2001:db8:2::10","bport":8443,"back_address":"2001:db8:2::1"}])" "\n");
}

TEST(Output, NoServicesIsAnEmptyJsonArray)
{
	std::ostringstream out;
	print_services(out, {}, true);
	EXPECT_EQ(out.str(), "[]\n");
}

TEST(Output, ServicesColumnsAreAligned)
{
	std::ostringstream out;
	print_services(out, two_services(), false);
	EXPECT_EQ(out.str(),
		  "NAME  VIP                  BACKEND                BACK-ADDRESS\n"
		  "api   192.0.2.1:80         198.51.100.10:8080     198.51.100.1\n"
		  "web6  [2001:db8:1::1]:443  [2001:db8:2::10]:8443  2001:db8:2::1\n");
}

TEST(Table, NoTrailingBlanks)
{
	Table t({"A", "B"});
	t.add_row({"long cell", "x"});
	std::ostringstream out;
	t.print(out);
	EXPECT_EQ(out.str(), "A          B\nlong cell  x\n");
}
