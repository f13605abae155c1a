// SPDX-License-Identifier: GPL-2.0
// ServiceRegistry: the services this failoverd declared to the module — it
// declares the configured ones at start, reconciles them on reload and
// withdraws them at shutdown. Services others declared are left alone.
#pragma once

#include "KernelApi.hpp"
#include "Logger.hpp"
#include "Service.hpp"

#include <vector>

namespace tcpfo {

// What turns `current` into `wanted`: services to remove (gone or changed)
// and to add (new or changed). Removals go first, so a VIP:port can move
// from one name to another in one reload.
struct ServicePlan {
	std::vector<Service> remove;
	std::vector<Service> add;
};
ServicePlan plan_services(const std::vector<Service> &current,
			  const std::vector<Service> &wanted);

class ServiceRegistry {
public:
	ServiceRegistry(KernelApi &kernel, Logger &log)
		: kernel_(kernel), log_(log)
	{
	}

	// Declares every service at start. One the module already holds
	// identically is adopted; any other conflict throws
	// std::runtime_error naming the service, after withdrawing what this
	// call added (adopted services stay).
	void declare(const std::vector<Service> &wanted);

	// Brings the declared set to `wanted` (SIGHUP). Failures are logged
	// per service and do not stop the rest. Returns false if any failed.
	bool reconcile(const std::vector<Service> &wanted);

	// Removes every declared service (shutdown); logs failures.
	void withdraw_all() noexcept;

	const std::vector<Service> &declared() const noexcept { return declared_; }

private:
	// Adds one service (true), or adopts an identical one already
	// present (false). Throws on any other failure.
	bool add_one(const Service &s);
	bool remove_one(const Service &s);

	KernelApi &kernel_;
	Logger &log_;
	std::vector<Service> declared_;
};

} // namespace tcpfo
