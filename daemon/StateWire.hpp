// SPDX-License-Identifier: GPL-2.0
// The state link's framing: versioned, length-prefixed, sequence-numbered
// frames authenticated with HMAC-SHA256 (OpenSSL) under a pre-shared key.
//
//   offset  size  field
//   0       2     magic 0x5446 ("TF")
//   2       1     version (1)
//   3       1     type (FrameType)
//   4       4     payload length, at most kMaxPayload
//   8       8     sequence number: 1, 2, 3, ... per direction and session
//   16      n     payload
//   16+n    32    HMAC-SHA256 over bytes [0, 16+n)
//
// All integers big-endian. HELLO frames (sequence 0) are authenticated with
// a key derived from the pre-shared key alone and carry a random nonce;
// every later frame with the session key derived from the pre-shared key
// and both nonces, so a frame recorded from one session is refused in any
// other. A frame that fails any check ends the link: the decoder throws
// ProtocolError with the reason, and keeps throwing after that.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tcpfo::wire {

inline constexpr std::uint16_t kMagic = 0x5446;
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kMacSize = 32;
inline constexpr std::size_t kMaxPayload = 1u << 20;
inline constexpr std::size_t kNonceSize = 16;

enum class FrameType : std::uint8_t {
	hello = 1,	// node name, role, epoch, mode, nonce
	heartbeat = 2,	// sender's monotonic time, epoch
	full_begin = 3,	// a full sync follows
	flows = 4,	// full flow records
	full_end = 5,	// end of the full sync
	deltas = 6,	// released points and FIN state of known flows
	removed = 7,	// flows that ended
	ack = 8,	// highest sequence number stored
	// Switchover: the standby asks the primary to give its flows up...
	handover_request = 9,	// (empty)
	// ... and the primary, having let go of them (addresses released,
	// sockets closed silently), tells it to take over now.
	handover = 10,	// sender's epoch
};

// "hello", ..., or "type N".
std::string to_string(FrameType type);

// Malformed, unauthenticated or out-of-order input: the link is closed
// with what() as the logged reason.
class ProtocolError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

using Key = std::array<std::uint8_t, 32>;
using Nonce = std::array<std::uint8_t, kNonceSize>;

// Key of the HELLO frames: HMAC(psk, "tcpfo hello v1").
Key hello_key(const Key &psk);
// Key of one direction of a session: HMAC(psk, "tcpfo session v1" |
// sender's nonce | receiver's nonce). The two directions differ, so a
// frame reflected back to its sender is refused.
Key session_key(const Key &psk, const Nonce &sender, const Nonce &receiver);
// A fresh random nonce (OpenSSL's RAND_bytes); throws if none is available.
Nonce random_nonce();

struct Frame {
	FrameType type{};
	std::uint64_t seq = 0;
	std::vector<std::uint8_t> payload;
};

// Builds frames of one direction of a session: sequence numbers 1, 2, ...
class FrameEncoder {
public:
	explicit FrameEncoder(const Key &key) : key_(key) {}

	// A whole frame, ready to write. Throws std::length_error if the
	// payload exceeds kMaxPayload.
	std::vector<std::uint8_t> encode(FrameType type,
					 std::span<const std::uint8_t> payload);
	std::uint64_t last_seq() const noexcept { return next_seq_ - 1; }

	// A HELLO frame: sequence 0, under hello_key(psk).
	static std::vector<std::uint8_t>
	encode_hello(const Key &psk, std::span<const std::uint8_t> payload);

private:
	Key key_;
	std::uint64_t next_seq_ = 1;
};

// Takes the bytes of one direction as they arrive and returns whole,
// verified frames in order. Before set_key() only a HELLO under
// hello_key(psk) is accepted; after it only frames under the session key
// with the next sequence number.
class FrameDecoder {
public:
	explicit FrameDecoder(const Key &psk);

	void feed(std::span<const std::uint8_t> bytes);
	// The next frame, or nullopt until more bytes arrive. Throws
	// ProtocolError on anything else.
	std::optional<Frame> next();
	// Switch from the HELLO to the session key.
	void set_key(const Key &session);
	// Bytes received but not yet returned as frames.
	std::size_t buffered() const noexcept { return buf_.size() - pos_; }

private:
	[[noreturn]] void fail(std::string reason);

	Key key_;
	bool session_ = false;
	bool hello_seen_ = false;
	std::uint64_t expect_seq_ = 1;
	std::vector<std::uint8_t> buf_;
	std::size_t pos_ = 0;
	std::optional<std::string> failed_;
};

// ---- payload encoding ----------------------------------------------------

class Writer {
public:
	void u8(std::uint8_t v) { out_.push_back(v); }
	void u16(std::uint16_t v);
	void u32(std::uint32_t v);
	void u64(std::uint64_t v);
	void bytes(std::span<const std::uint8_t> v);
	// Length-prefixed (u8) string of at most 255 bytes.
	void str(std::string_view s);
	const std::vector<std::uint8_t> &data() const noexcept { return out_; }
	std::vector<std::uint8_t> take() { return std::move(out_); }

private:
	std::vector<std::uint8_t> out_;
};

// Reads what Writer wrote; every read past the end throws ProtocolError
// naming `what`.
class Reader {
public:
	Reader(std::span<const std::uint8_t> in, std::string_view what)
		: in_(in), what_(what) {}

	std::uint8_t u8();
	std::uint16_t u16();
	std::uint32_t u32();
	std::uint64_t u64();
	void bytes(std::span<std::uint8_t> out);
	std::string str();
	std::size_t left() const noexcept { return in_.size() - pos_; }
	// Throws unless everything was read.
	void end() const;
	[[noreturn]] void fail(const std::string &reason) const;

private:
	void need(std::size_t n) const;

	std::span<const std::uint8_t> in_;
	std::size_t pos_ = 0;
	std::string what_;
};

} // namespace tcpfo::wire
