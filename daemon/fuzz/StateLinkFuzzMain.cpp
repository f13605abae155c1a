// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: clang++ -fsanitize=fuzzer,address (see `make fuzz`).
#include "StateLinkFuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	tcpfo::fuzz::state_link_one_input(data, size);
	return 0;
}
