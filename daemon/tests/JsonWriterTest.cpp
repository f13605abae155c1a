// SPDX-License-Identifier: GPL-2.0
#include "JsonWriter.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace tcpfo;

TEST(JsonQuote, EscapesQuotesBackslashesAndControlCharacters)
{
	EXPECT_EQ(json_quote("plain"), R"("plain")");
	EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
	EXPECT_EQ(json_quote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
	EXPECT_EQ(json_quote(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
	EXPECT_EQ(json_quote(std::string("a\0b", 3)), R"("a\u0000b")");
	EXPECT_EQ(json_quote("/"), R"("/")");
}

TEST(JsonQuote, KeepsValidUtf8AndReplacesInvalidBytes)
{
	EXPECT_EQ(json_quote("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"),
		  "\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80\"");
	EXPECT_EQ(json_quote("\xff"), R"("\ufffd")");
	EXPECT_EQ(json_quote("\xc3"), R"("\ufffd")");		// truncated
	EXPECT_EQ(json_quote("\xc0\xaf"), R"("\ufffd\ufffd")");	// overlong '/'
	EXPECT_EQ(json_quote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")"); // surrogate
	EXPECT_EQ(json_quote("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")"); // > U+10FFFF
}

TEST(JsonWriter, WritesNestedStructuresWithCommas)
{
	std::ostringstream out;
	JsonWriter json(out);
	json.begin_object()
		.key("name").value("we\"b")
		.key("port").value(std::uint16_t{80})
		.key("big").value(std::uint64_t{18446744073709551615ull})
		.key("neg").value(-5)
		.key("ok").value(true)
		.key("none").null()
		.key("list").begin_array().value(1).value("two").begin_object().end_object().end_array()
		.key("empty").begin_array().end_array()
		.end_object();
	EXPECT_EQ(out.str(),
		  R"({"name":"we\"b","port":80,"big":18446744073709551615,"neg":-5,)"
		  R"("ok":true,"none":null,"list":[1,"two",{}],"empty":[]})");
}

TEST(JsonWriter, CStringIsAStringNotABool)
{
	std::ostringstream out;
	JsonWriter(out).begin_array().value("x").end_array();
	EXPECT_EQ(out.str(), R"(["x"])");
}

TEST(JsonWriter, RefusesMisuse)
{
	std::ostringstream out;
	JsonWriter a(out);
	a.begin_object();
	EXPECT_THROW(a.value(1), std::logic_error);
	JsonWriter b(out);
	b.begin_array();
	EXPECT_THROW(b.key("k"), std::logic_error);
	EXPECT_THROW(b.end_object(), std::logic_error);
}
