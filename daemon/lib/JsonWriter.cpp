// SPDX-License-Identifier: GPL-2.0
#include "JsonWriter.hpp"

#include <stdexcept>

namespace tcpfo {

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 if it is not one
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence(std::string_view s, std::size_t i)
{
	auto byte = [&](std::size_t k) {
		return static_cast<unsigned char>(s[k]);
	};
	unsigned char c = byte(i);
	std::size_t len;
	unsigned char lo = 0x80, hi = 0xbf; // allowed range of 2nd byte
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (i + len > s.size())
		return 0;
	if (byte(i + 1) < lo || byte(i + 1) > hi)
		return 0;
	for (std::size_t k = 2; k < len; k++)
		if ((byte(i + k) & 0xc0) != 0x80)
			return 0;
	return len;
}

} // namespace

std::string json_quote(std::string_view text)
{
	static constexpr char hex[] = "0123456789abcdef";
	std::string out;
	out.reserve(text.size() + 2);
	out += '"';
	for (std::size_t i = 0; i < text.size();) {
		auto c = static_cast<unsigned char>(text[i]);
		if (c >= 0x80) {
			std::size_t len = utf8_sequence(text, i);
			if (len == 0) {
				out += "\\ufffd";
				i++;
			} else {
				out.append(text.substr(i, len));
				i += len;
			}
			continue;
		}
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\b':
			out += "\\b";
			break;
		case '\f':
			out += "\\f";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				out += "\\u00";
				out += hex[c >> 4];
				out += hex[c & 0xf];
			} else {
				out += static_cast<char>(c);
			}
		}
		i++;
	}
	out += '"';
	return out;
}

void JsonWriter::before_value()
{
	if (levels_.empty())
		return;
	Level &level = levels_.back();
	if (level.object) {
		if (!have_key_)
			throw std::logic_error("JsonWriter: value without key");
		have_key_ = false;
		return;
	}
	if (!level.empty)
		out_ << ',';
	level.empty = false;
}

JsonWriter &JsonWriter::raw(std::string_view token)
{
	before_value();
	out_ << token;
	return *this;
}

JsonWriter &JsonWriter::key(std::string_view name)
{
	if (levels_.empty() || !levels_.back().object || have_key_)
		throw std::logic_error("JsonWriter: key outside an object");
	Level &level = levels_.back();
	if (!level.empty)
		out_ << ',';
	level.empty = false;
	out_ << json_quote(name) << ':';
	have_key_ = true;
	return *this;
}

JsonWriter &JsonWriter::begin_object()
{
	raw("{");
	levels_.push_back({.object = true});
	return *this;
}

JsonWriter &JsonWriter::end_object()
{
	if (levels_.empty() || !levels_.back().object || have_key_)
		throw std::logic_error("JsonWriter: unbalanced end_object");
	levels_.pop_back();
	out_ << '}';
	return *this;
}

JsonWriter &JsonWriter::begin_array()
{
	raw("[");
	levels_.push_back({.object = false});
	return *this;
}

JsonWriter &JsonWriter::end_array()
{
	if (levels_.empty() || levels_.back().object)
		throw std::logic_error("JsonWriter: unbalanced end_array");
	levels_.pop_back();
	out_ << ']';
	return *this;
}

JsonWriter &JsonWriter::value(std::string_view text)
{
	return raw(json_quote(text));
}

JsonWriter &JsonWriter::value(bool b)
{
	return raw(b ? "true" : "false");
}

JsonWriter &JsonWriter::null()
{
	return raw("null");
}

} // namespace tcpfo
