// SPDX-License-Identifier: GPL-2.0
// JsonWriter: compact JSON onto a stream for `-j` output. Commas and nesting
// are tracked here so callers only say what they emit.
#pragma once

#include <concepts>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace tcpfo {

// `text` as a JSON string literal, quotes included. Control characters are
// escaped; bytes that are not valid UTF-8 become U+FFFD.
std::string json_quote(std::string_view text);

class JsonWriter {
public:
	explicit JsonWriter(std::ostream &out) : out_(out) {}

	JsonWriter &begin_object();
	JsonWriter &end_object();
	JsonWriter &begin_array();
	JsonWriter &end_array();

	// Inside an object: the next value's key.
	JsonWriter &key(std::string_view name);

	JsonWriter &value(std::string_view text);
	JsonWriter &value(const char *text) { return value(std::string_view(text)); }
	JsonWriter &value(bool b);
	JsonWriter &null();

	template <std::integral T>
		requires(!std::same_as<T, bool>)
	JsonWriter &value(T number)
	{
		return raw(std::to_string(number));
	}

private:
	struct Level {
		bool object;
		bool empty = true;
	};

	JsonWriter &raw(std::string_view token);
	void before_value();

	std::ostream &out_;
	std::vector<Level> levels_;
	bool have_key_ = false;
};

} // namespace tcpfo
