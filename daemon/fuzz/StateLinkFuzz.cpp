// SPDX-License-Identifier: GPL-2.0
#include "StateLinkFuzz.hpp"

#include "StateRecords.hpp"

#include <algorithm>
#include <span>

namespace tcpfo::fuzz {

wire::Key state_link_fuzz_key()
{
	wire::Key k;
	k.fill(0x5a);
	return k;
}

void state_link_one_input(const std::uint8_t *data, std::size_t size)
{
	if (size < 2)
		return;
	const std::span<const std::uint8_t> rest(data + 2, size - 2);
	if (data[0] % 2) {
		try {
			wire::decode_payload(static_cast<wire::FrameType>(data[1]),
					     rest);
		} catch (const wire::ProtocolError &) {
		}
		return;
	}
	const wire::Key key = state_link_fuzz_key();
	wire::FrameDecoder dec(key);
	dec.set_key(key);
	const std::size_t chunk = std::max<std::size_t>(1, data[1]);
	try {
		for (std::size_t off = 0; off < rest.size(); off += chunk) {
			dec.feed(rest.subspan(off, std::min(chunk, rest.size() - off)));
			while (auto f = dec.next())
				wire::decode_payload(f->type, f->payload);
		}
	} catch (const wire::ProtocolError &) {
	}
}

} // namespace tcpfo::fuzz
