// SPDX-License-Identifier: GPL-2.0
#include "Flow.hpp"

namespace tcpfo {

std::string to_string(FlowState state)
{
	switch (state) {
	case FlowState::syn_recv:
		return "syn_recv";
	case FlowState::l1_established:
		return "l1_established";
	case FlowState::paired:
		return "paired";
	case FlowState::established:
		return "established";
	case FlowState::closing:
		return "closing";
	case FlowState::closed:
		return "closed";
	case FlowState::reset:
		return "reset";
	}
	return "unknown(" + std::to_string(static_cast<unsigned>(state)) + ")";
}

std::vector<std::string> option_names(std::uint32_t opts)
{
	std::vector<std::string> names;
	for (unsigned bit = 0; bit < 32; bit++) {
		std::uint32_t mask = 1U << bit;
		if (!(opts & mask))
			continue;
		switch (mask) {
		case TCPFO_OPT_SACK:
			names.emplace_back("sack");
			break;
		case TCPFO_OPT_TIMESTAMP:
			names.emplace_back("timestamps");
			break;
		case TCPFO_OPT_WSCALE:
			names.emplace_back("wscale");
			break;
		default:
			names.push_back("bit" + std::to_string(bit));
			break;
		}
	}
	return names;
}

} // namespace tcpfo
