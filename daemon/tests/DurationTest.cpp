// SPDX-License-Identifier: GPL-2.0
#include "Duration.hpp"
#include "ParseError.hpp"

#include <gtest/gtest.h>

using namespace tcpfo;
using namespace std::chrono_literals;

TEST(Duration, ParsesEveryUnit)
{
	EXPECT_EQ(parse_duration("50ms"), 50ms);
	EXPECT_EQ(parse_duration("1s"), 1s);
	EXPECT_EQ(parse_duration("250us"), 250us);
	EXPECT_EQ(parse_duration("0ms"), 0ms);
}

TEST(Duration, ParsesDecimalFractions)
{
	EXPECT_EQ(parse_duration("1.5s"), 1500ms);
	EXPECT_EQ(parse_duration("0.25ms"), 250us);
	EXPECT_EQ(parse_duration("2.000001s"), 2000001us);
}

TEST(Duration, RefusesMissingOrUnknownUnitsAndGarbage)
{
	for (const char *bad : {"", "50", "abc", "ms", "50 ms", "50m", "50sec",
				"1.s", ".5s", "1..5s", "-5ms", "0.5us",
				"1.0000001s", "9999999999s"}) {
		try {
			parse_duration(bad);
			ADD_FAILURE() << "accepted '" << bad << "'";
		} catch (const ParseError &e) {
			EXPECT_NE(std::string(e.what()).find(
					  std::string("bad duration '") + bad + "'"),
				  std::string::npos)
				<< e.what();
		}
	}
}

TEST(Duration, FormatsWithTheLargestExactUnit)
{
	EXPECT_EQ(to_string(50ms), "50ms");
	EXPECT_EQ(to_string(2s), "2s");
	EXPECT_EQ(to_string(1500us), "1500us");
	EXPECT_EQ(to_string(1500ms), "1500ms");
	EXPECT_EQ(to_string(0us), "0us");
}
