// SPDX-License-Identifier: GPL-2.0
#include "Logger.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <regex>
#include <sstream>

using namespace tcpfo;

TEST(LoggerTest, LinesCarryTheNodeAndTheLevelAndRespectTheThreshold)
{
	std::ostringstream out;
	Logger log("failoverd", "gw1", LogLevel::info, out);
	log.debug("hidden");
	log.info("shown");
	log.error("bad");
	EXPECT_EQ(out.str(), "failoverd[gw1]: info: shown\nfailoverd[gw1]: error: bad\n");
}

TEST(LoggerTest, TimestampsAreTheWallClockInTcpdumpsForm)
{
	std::ostringstream out;
	Logger log("failoverd", "gw2", LogLevel::info, out);
	log.set_timestamps(true);
	const std::time_t before = std::time(nullptr);
	log.warning("late");
	const std::time_t after = std::time(nullptr);
	std::smatch m;
	const std::string line = out.str();
	ASSERT_TRUE(std::regex_match(line, m,
				     std::regex("([0-9]+)\\.[0-9]{6} failoverd\\[gw2\\]: warning: late\n")))
		<< line;
	const long long s = std::stoll(m[1]);
	EXPECT_GE(s, before);
	EXPECT_LE(s, after);
	log.set_timestamps(false);
	log.info("plain");
	EXPECT_NE(out.str().find("\nfailoverd[gw2]: info: plain\n"), std::string::npos);
}
