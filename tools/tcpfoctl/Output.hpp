// SPDX-License-Identifier: GPL-2.0
// Output: what tcpfoctl prints, as aligned columns for people or as JSON
// (-j) whose shape scripts rely on.
#pragma once

#include "KernelLink.hpp"
#include "Service.hpp"

#include <ostream>
#include <vector>

namespace tcpfo {

// {"version","mode","packets_seen","packets_tracked","flows","services"}
void print_status(std::ostream &out, const Status &status, bool json);

// [{"name","family","vip","vport","backend","bport","back_address"}, ...],
// sorted by name.
void print_services(std::ostream &out, std::vector<Service> services,
		    bool json);

} // namespace tcpfo
