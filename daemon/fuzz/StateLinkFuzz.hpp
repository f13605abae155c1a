// SPDX-License-Identifier: GPL-2.0
// The state link's fuzz entry, shared by the libFuzzer target
// (state_link_fuzz, `make fuzz`) and the unit test that replays the corpus.
#pragma once

#include "StateWire.hpp"

#include <cstddef>
#include <cstdint>

namespace tcpfo::fuzz {

// The session key the fuzz input's frames are authenticated with.
wire::Key state_link_fuzz_key();

// Input byte 0 picks the mode: even = the rest is a byte stream into a
// FrameDecoder (under state_link_fuzz_key()), cut into chunks by byte 1;
// odd = byte 1 is a frame type and the rest its payload, decoded directly
// (the records' decoders behind the HMAC). Must never crash, leak or hang.
void state_link_one_input(const std::uint8_t *data, std::size_t size);

} // namespace tcpfo::fuzz
