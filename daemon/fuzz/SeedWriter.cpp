// SPDX-License-Identifier: GPL-2.0
// Writes the seed corpus of state_link_fuzz: one valid stream of every
// frame type under the fuzz key, and each payload for the direct mode.
#include "StateLinkFuzz.hpp"
#include "StateRecords.hpp"

#include <linux/tcpfo.h>
#include <sys/socket.h>

#include <fstream>
#include <iostream>
#include <string>

using namespace tcpfo::wire;

static void put(const std::string &dir, const std::string &name,
		std::uint8_t mode, std::uint8_t arg,
		const std::vector<std::uint8_t> &body)
{
	std::ofstream out(dir + "/" + name, std::ios::binary);
	out.put(static_cast<char>(mode));
	out.put(static_cast<char>(arg));
	out.write(reinterpret_cast<const char *>(body.data()),
		  static_cast<std::streamsize>(body.size()));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::cerr << "usage: state_link_seeds DIR\n";
		return 2;
	}
	const std::string dir = argv[1];
	FlowRecord f;
	f.id = 1;
	f.family = AF_INET;
	f.state = TCPFO_FLOW_ESTABLISHED;
	f.service = "web";
	f.leg[0].peer_opts = f.leg[0].gw_opts = TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP;
	FlowDelta d;
	d.id = 1;
	d.state = TCPFO_FLOW_CLOSING;
	d.fin_flags = kFinC2s;
	const std::vector<std::pair<FrameType, std::vector<std::uint8_t>>> payloads{
		{FrameType::heartbeat, encode(Heartbeat{1, 1})},
		{FrameType::full_begin, {}},
		{FrameType::flows, encode_flows({f, f})},
		{FrameType::full_end, {}},
		{FrameType::deltas, encode_deltas({d})},
		{FrameType::removed, encode_removed({1, 2})},
		{FrameType::ack, encode_ack(3)},
	};
	FrameEncoder enc(tcpfo::fuzz::state_link_fuzz_key());
	std::vector<std::uint8_t> stream;
	for (const auto &[type, p] : payloads) {
		put(dir, "payload-" + to_string(type), 1,
		    static_cast<std::uint8_t>(type), p);
		auto fr = enc.encode(type, p);
		stream.insert(stream.end(), fr.begin(), fr.end());
	}
	put(dir, "payload-hello", 1, static_cast<std::uint8_t>(FrameType::hello),
	    encode(Hello{"gw1", Role::primary, LinkMode::sync, 1, {}}));
	put(dir, "stream-whole", 0, 255, stream);
	put(dir, "stream-bytewise", 0, 1, stream);
	return 0;
}
