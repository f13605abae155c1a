// SPDX-License-Identifier: GPL-2.0
#include "ServiceRegistry.hpp"

#include <gtest/gtest.h>

using namespace tcpfo;

namespace {

Service svc(const char *line)
{
	return Service::parse(line);
}

std::vector<std::string> names(const std::vector<Service> &list)
{
	std::vector<std::string> out;
	for (const auto &s : list)
		out.push_back(s.name);
	return out;
}

using Names = std::vector<std::string>;

} // namespace

TEST(ServicePlan, StartAddsEverything)
{
	auto plan = plan_services({}, {svc("a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1"),
				       svc("b 192.0.2.1:81 198.51.100.10:80 via 198.51.100.1")});
	EXPECT_TRUE(plan.remove.empty());
	EXPECT_EQ(names(plan.add), (Names{"a", "b"}));
}

TEST(ServicePlan, UnchangedServicesAreLeftAlone)
{
	std::vector<Service> same = {svc("a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1")};
	auto plan = plan_services(same, same);
	EXPECT_TRUE(plan.remove.empty());
	EXPECT_TRUE(plan.add.empty());
}

TEST(ServicePlan, ChangedServiceIsRemovedThenAddedAndGoneOneRemoved)
{
	auto plan = plan_services(
		{svc("a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1"),
		 svc("b 192.0.2.1:81 198.51.100.10:80 via 198.51.100.1"),
		 svc("c 192.0.2.1:82 198.51.100.10:80 via 198.51.100.1")},
		{svc("a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1"),
		 svc("b 192.0.2.1:81 198.51.100.20:80 via 198.51.100.1"),
		 svc("d 192.0.2.1:83 198.51.100.10:80 via 198.51.100.1")});
	EXPECT_EQ(names(plan.remove), (Names{"b", "c"}));
	EXPECT_EQ(names(plan.add), (Names{"b", "d"}));
	EXPECT_EQ(plan.add[0].backend.to_string(), "198.51.100.20:80");
}

TEST(ServicePlan, RenameMovesTheVip)
{
	auto plan = plan_services({svc("old 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1")},
				  {svc("new 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1")});
	EXPECT_EQ(names(plan.remove), (Names{"old"}));
	EXPECT_EQ(names(plan.add), (Names{"new"}));
}
