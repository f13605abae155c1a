// SPDX-License-Identifier: GPL-2.0
// KernelApi: what failoverd asks of the tcpfo module (services and mode
// here, flows in FlowApi). KernelLink is the real one; tests substitute a
// fake to drive the daemon without a module.
#pragma once

#include "FlowApi.hpp"
#include "Mode.hpp"
#include "Service.hpp"

#include <string_view>
#include <vector>

namespace tcpfo {

class KernelApi : public FlowApi {
public:
	virtual ~KernelApi() = default;

	virtual void set_mode(Mode mode) = 0;
	// Makes this link the namespace's owner (TCPFO_A_OWNER): when it
	// closes (the daemon died), the module fences every flow, so the
	// kernel's FINs and RSTs for them never reach a peer. Fakes need not.
	virtual void set_owner() {}
	// A clean stop, its flows closed and deleted: this link gives the
	// namespace up (TCPFO_A_DISOWN), so its close fences nothing.
	virtual void disown() {}
	// Refusals throw KernelError: EEXIST (name or VIP:port taken),
	// ENOENT (no such service), EPERM, ...
	virtual void add_service(const Service &service) = 0;
	virtual void del_service_by_name(std::string_view name) = 0;
	virtual std::vector<Service> list_services() = 0;
};

} // namespace tcpfo
