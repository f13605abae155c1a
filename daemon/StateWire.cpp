// SPDX-License-Identifier: GPL-2.0
#include "StateWire.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace tcpfo::wire {

namespace {

using Mac = std::array<std::uint8_t, kMacSize>;

// HMAC-SHA256 through EVP_MAC with the contexts kept per key and thread:
// OpenSSL 3's one-shot HMAC() fetches the algorithm and builds a context on
// every call, which dominated the state link's CPU time (a few keys are in
// use at once: the hello key and one per direction of a session).
class MacCache {
public:
	~MacCache()
	{
		for (Entry &e : entries_)
			EVP_MAC_CTX_free(e.ctx);
		EVP_MAC_free(mac_);
	}

	EVP_MAC_CTX *get(const Key &key)
	{
		for (Entry &e : entries_)
			if (e.key == key) {
				// Re-initialised with the key it holds.
				if (!EVP_MAC_init(e.ctx, nullptr, 0, nullptr))
					throw std::runtime_error("HMAC-SHA256 init failed");
				return e.ctx;
			}
		if (!mac_)
			mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
		EVP_MAC_CTX *ctx = mac_ ? EVP_MAC_CTX_new(mac_) : nullptr;
		if (!ctx)
			throw std::runtime_error("HMAC-SHA256 unavailable");
		char digest[] = "SHA256";
		const OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string("digest", digest, 0),
			OSSL_PARAM_construct_end()};
		if (!EVP_MAC_init(ctx, key.data(), key.size(), params)) {
			EVP_MAC_CTX_free(ctx);
			throw std::runtime_error("HMAC-SHA256 init failed");
		}
		if (entries_.size() >= kMaxKeys) {
			EVP_MAC_CTX_free(entries_.front().ctx);
			entries_.erase(entries_.begin());
		}
		entries_.push_back({key, ctx});
		return ctx;
	}

private:
	static constexpr std::size_t kMaxKeys = 8;
	struct Entry {
		Key key;
		EVP_MAC_CTX *ctx;
	};
	EVP_MAC *mac_ = nullptr;
	std::vector<Entry> entries_;
};

Mac hmac(const Key &key, std::span<const std::uint8_t> a,
	 std::span<const std::uint8_t> b = {})
{
	thread_local MacCache cache;
	EVP_MAC_CTX *ctx = cache.get(key);
	Mac mac{};
	std::size_t len = 0;
	if (!EVP_MAC_update(ctx, a.data(), a.size()) ||
	    (!b.empty() && !EVP_MAC_update(ctx, b.data(), b.size())) ||
	    !EVP_MAC_final(ctx, mac.data(), &len, mac.size()) || len != mac.size())
		throw std::runtime_error("HMAC-SHA256 failed");
	return mac;
}

std::span<const std::uint8_t> as_bytes(std::string_view s)
{
	return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

void put_header(std::vector<std::uint8_t> &out, FrameType type,
		std::size_t len, std::uint64_t seq)
{
	Writer w;
	w.u16(kMagic);
	w.u8(kVersion);
	w.u8(static_cast<std::uint8_t>(type));
	w.u32(static_cast<std::uint32_t>(len));
	w.u64(seq);
	out = w.take();
}

std::vector<std::uint8_t> build(const Key &key, FrameType type,
				std::uint64_t seq,
				std::span<const std::uint8_t> payload)
{
	if (payload.size() > kMaxPayload)
		throw std::length_error("state link frame payload too large");
	std::vector<std::uint8_t> out;
	put_header(out, type, payload.size(), seq);
	out.insert(out.end(), payload.begin(), payload.end());
	const Mac mac = hmac(key, out);
	out.insert(out.end(), mac.begin(), mac.end());
	return out;
}

} // namespace

std::string to_string(FrameType type)
{
	switch (type) {
	case FrameType::hello: return "hello";
	case FrameType::heartbeat: return "heartbeat";
	case FrameType::full_begin: return "full-begin";
	case FrameType::flows: return "flows";
	case FrameType::full_end: return "full-end";
	case FrameType::deltas: return "deltas";
	case FrameType::removed: return "removed";
	case FrameType::ack: return "ack";
	case FrameType::handover_request: return "handover-request";
	case FrameType::handover: return "handover";
	}
	return "type " + std::to_string(static_cast<unsigned>(type));
}

Key hello_key(const Key &psk)
{
	return hmac(psk, as_bytes("tcpfo hello v1"));
}

Key session_key(const Key &psk, const Nonce &initiator, const Nonce &responder)
{
	// initiator = sender, responder = receiver (see the header).
	std::vector<std::uint8_t> in;
	const auto label = as_bytes("tcpfo session v1");
	in.insert(in.end(), label.begin(), label.end());
	in.insert(in.end(), initiator.begin(), initiator.end());
	in.insert(in.end(), responder.begin(), responder.end());
	return hmac(psk, in);
}

Nonce random_nonce()
{
	Nonce n{};
	if (RAND_bytes(n.data(), static_cast<int>(n.size())) != 1)
		throw std::runtime_error("no random bytes for a state link nonce");
	return n;
}

std::vector<std::uint8_t>
FrameEncoder::encode(FrameType type, std::span<const std::uint8_t> payload)
{
	auto out = build(key_, type, next_seq_, payload);
	++next_seq_;
	return out;
}

std::vector<std::uint8_t>
FrameEncoder::encode_hello(const Key &psk, std::span<const std::uint8_t> payload)
{
	return build(hello_key(psk), FrameType::hello, 0, payload);
}

FrameDecoder::FrameDecoder(const Key &psk) : key_(hello_key(psk)) {}

void FrameDecoder::fail(std::string reason)
{
	failed_ = reason;
	throw ProtocolError(reason);
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes)
{
	if (failed_)
		throw ProtocolError(*failed_);
	// Drop what was consumed before growing the buffer.
	if (pos_ > 0 && pos_ == buf_.size()) {
		buf_.clear();
		pos_ = 0;
	} else if (pos_ > 65536) {
		buf_.erase(buf_.begin(), buf_.begin() + static_cast<long>(pos_));
		pos_ = 0;
	}
	buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

void FrameDecoder::set_key(const Key &session)
{
	key_ = session;
	session_ = true;
}

std::optional<Frame> FrameDecoder::next()
{
	if (failed_)
		throw ProtocolError(*failed_);
	const std::span<const std::uint8_t> in(buf_.data() + pos_,
					       buf_.size() - pos_);
	// Judge the header as soon as it is there: garbage is refused
	// without waiting for a length's worth of it.
	if (in.size() < kHeaderSize)
		return std::nullopt;
	Reader h(in.first(kHeaderSize), "frame header");
	const std::uint16_t magic = h.u16();
	const std::uint8_t version = h.u8();
	const std::uint8_t type = h.u8();
	const std::uint32_t len = h.u32();
	const std::uint64_t seq = h.u64();
	if (magic != kMagic)
		fail("not a tcpfo state link frame (bad magic)");
	if (version != kVersion)
		fail("unsupported state link version " + std::to_string(version) +
		     " (this build speaks " + std::to_string(kVersion) + ")");
	if (len > kMaxPayload)
		fail("frame payload of " + std::to_string(len) +
		     " bytes exceeds the limit of " + std::to_string(kMaxPayload));
	const std::size_t total = kHeaderSize + len + kMacSize;
	if (in.size() < total)
		return std::nullopt;

	const Mac mac = hmac(key_, in.first(kHeaderSize + len));
	if (CRYPTO_memcmp(mac.data(), in.data() + kHeaderSize + len,
			  kMacSize) != 0)
		fail(session_ ? "frame authentication failed (wrong key or "
				"corrupted)"
			      : "hello authentication failed (wrong key?)");

	const auto ftype = static_cast<FrameType>(type);
	if (!session_) {
		if (ftype != FrameType::hello || seq != 0)
			fail("expected a hello, got " + to_string(ftype));
		if (hello_seen_)
			fail("second hello before the session started");
		hello_seen_ = true;
	} else {
		if (ftype == FrameType::hello)
			fail("hello inside a session");
		if (seq != expect_seq_)
			fail("frame sequence " + std::to_string(seq) +
			     ", expected " + std::to_string(expect_seq_));
		++expect_seq_;
	}
	if (type < static_cast<std::uint8_t>(FrameType::hello) ||
	    type > static_cast<std::uint8_t>(FrameType::handover))
		fail("unknown frame " + to_string(ftype));

	Frame f;
	f.type = ftype;
	f.seq = seq;
	f.payload.assign(in.begin() + kHeaderSize,
			 in.begin() + static_cast<long>(kHeaderSize + len));
	pos_ += total;
	return f;
}

// ---- Writer / Reader ------------------------------------------------------

void Writer::u16(std::uint16_t v)
{
	u8(static_cast<std::uint8_t>(v >> 8));
	u8(static_cast<std::uint8_t>(v));
}

void Writer::u32(std::uint32_t v)
{
	u16(static_cast<std::uint16_t>(v >> 16));
	u16(static_cast<std::uint16_t>(v));
}

void Writer::u64(std::uint64_t v)
{
	u32(static_cast<std::uint32_t>(v >> 32));
	u32(static_cast<std::uint32_t>(v));
}

void Writer::bytes(std::span<const std::uint8_t> v)
{
	out_.insert(out_.end(), v.begin(), v.end());
}

void Writer::str(std::string_view s)
{
	if (s.size() > 255)
		throw std::length_error("string longer than 255 bytes");
	u8(static_cast<std::uint8_t>(s.size()));
	bytes(as_bytes(s));
}

void Reader::fail(const std::string &reason) const
{
	throw ProtocolError(what_ + ": " + reason);
}

void Reader::need(std::size_t n) const
{
	if (left() < n)
		fail("truncated (" + std::to_string(n) + " more bytes needed, " +
		     std::to_string(left()) + " left)");
}

std::uint8_t Reader::u8()
{
	need(1);
	return in_[pos_++];
}

std::uint16_t Reader::u16()
{
	const std::uint16_t hi = u8();
	return static_cast<std::uint16_t>(hi << 8 | u8());
}

std::uint32_t Reader::u32()
{
	const std::uint32_t hi = u16();
	return hi << 16 | u16();
}

std::uint64_t Reader::u64()
{
	const std::uint64_t hi = u32();
	return hi << 32 | u32();
}

void Reader::bytes(std::span<std::uint8_t> out)
{
	need(out.size());
	std::copy_n(in_.begin() + static_cast<long>(pos_), out.size(),
		    out.begin());
	pos_ += out.size();
}

std::string Reader::str()
{
	const std::size_t n = u8();
	need(n);
	std::string s(reinterpret_cast<const char *>(in_.data() + pos_), n);
	pos_ += n;
	return s;
}

void Reader::end() const
{
	if (left())
		fail(std::to_string(left()) + " trailing bytes");
}

} // namespace tcpfo::wire
