// SPDX-License-Identifier: GPL-2.0
// What the state link carries, in terms of the module's flows: a Flow as
// dumped on the primary <-> a wire::FlowRecord <-> the Flow the standby
// imports; and the primary's change detection (full records for new flows
// or new tuples, deltas for moved points, removals).
#pragma once

#include "Flow.hpp"
#include "StateRecords.hpp"

#include <cstdint>
#include <map>
#include <vector>

namespace tcpfo {

// A tracked flow's record; throws std::invalid_argument without an id or
// an L1 tuple (the module always gives both).
wire::FlowRecord to_record(const Flow &flow, std::uint64_t sample_mono_ns);
// The Flow the standby's module stores (Flow::standby set).
Flow from_record(const wire::FlowRecord &rec);
// A delta applied to a stored record.
void apply_delta(wire::FlowRecord &rec, const wire::FlowDelta &delta);
wire::FlowDelta delta_of(const wire::FlowRecord &rec);

// The records last sent to the standby, by id.
class ChangeTracker {
public:
	struct Changes {
		std::vector<wire::FlowRecord> full;
		std::vector<wire::FlowDelta> deltas;
		std::vector<std::uint64_t> removed;
		bool empty() const noexcept
		{
			return full.empty() && deltas.empty() && removed.empty();
		}
	};

	// Compares `now` (the primary's tracked flows) with what was sent,
	// records `now` as sent and returns the difference.
	Changes update(const std::vector<wire::FlowRecord> &now);
	// Forget everything: the next update() sends every flow in full.
	void reset() { sent_.clear(); }
	const std::map<std::uint64_t, wire::FlowRecord> &sent() const
	{
		return sent_;
	}

private:
	std::map<std::uint64_t, wire::FlowRecord> sent_;
};

} // namespace tcpfo
