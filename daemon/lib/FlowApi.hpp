// SPDX-License-Identifier: GPL-2.0
// FlowApi: what the relay tells the tcpfo module about the flows it relays.
// KernelLink is the real one; tests substitute a fake that records calls.
#pragma once

#include "Flow.hpp"

namespace tcpfo {

class FlowApi {
public:
	virtual ~FlowApi() = default;

	// TCPFO_CMD_FLOW_PAIR, after bind() of the L2 socket and before its
	// connect(). Refusals throw KernelError: ENOENT (the module tracks no
	// such L1 flow), EEXIST (already paired, or L2 tuple in use), ...
	virtual void pair_flow(const FlowPair &pair) = 0;

	// TCPFO_CMD_FLOW_DEL: the relay gave up on this L1 flow; the module
	// stops holding it. ENOENT (KernelError) if it tracks no such flow.
	virtual void del_flow(const L1Tuple &l1) = 0;
};

} // namespace tcpfo
