// SPDX-License-Identifier: GPL-2.0
// Replays the fuzz corpus (daemon/fuzz/corpus/*/) through the fuzz entry:
// every input found by a fuzzing run stays a regression test.
#include "StateLinkFuzz.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace fs = std::filesystem;

TEST(FuzzCorpus, StateLinkReplays)
{
	const fs::path dir = fs::path(TCPFO_FUZZ_CORPUS) / "state_link";
	std::size_t n = 0;
	for (const auto &e : fs::directory_iterator(dir)) {
		std::ifstream in(e.path(), std::ios::binary);
		std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
					       std::istreambuf_iterator<char>());
		SCOPED_TRACE(e.path().string());
		tcpfo::fuzz::state_link_one_input(data.data(), data.size());
		++n;
	}
	// An empty corpus would make this test prove nothing.
	EXPECT_GE(n, 10u);
}
