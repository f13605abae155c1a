// SPDX-License-Identifier: GPL-2.0
// Output: what tcpfoctl prints, as aligned columns for people or as JSON
// (-j) whose shape scripts rely on.
#pragma once

#include "Flow.hpp"
#include "KernelLink.hpp"
#include "Service.hpp"

#include <ostream>
#include <vector>

namespace tcpfo {

// {"version","mode","packets_seen","packets_tracked","flows","services",
//  "release_acks","dupacks_suppressed"}; the last two null (text "-") when
// the module does not report them.
void print_status(std::ostream &out, const Status &status, bool json);

// [{"name","family","vip","vport","backend","bport","back_address"}, ...],
// sorted by name.
void print_services(std::ostream &out, std::vector<Service> services,
		    bool json);

// Columns CLIENT VIP BACK SERVER STATE "RELEASED c2s/s2c" "HELD c2s/s2c",
// or a JSON array of objects with every flow attribute:
// {"family","client","client_port","vip","vport","back_address",
//  "back_port","server","server_port","state","service","client_isn",
//  "l1_isn","l2_isn","server_isn","l1_mss","l2_mss","l1_wscale_client",
//  "l1_wscale_gw","l2_wscale_server","l2_wscale_gw","l1_opts","l2_opts",
//  "released_c2s","released_s2c","held_c2s","held_s2c","fin_c2s",
//  "fin_s2c","idle_ms"}. What the module left out is null (text "-").
// Sorted by VIP:port, then client address:port.
void print_flows(std::ostream &out, std::vector<Flow> flows, bool json);

} // namespace tcpfo
