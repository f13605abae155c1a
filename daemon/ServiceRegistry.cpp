// SPDX-License-Identifier: GPL-2.0
#include "ServiceRegistry.hpp"

#include "GenlSocket.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace tcpfo {

namespace {

bool contains(const std::vector<Service> &list, const Service &s)
{
	return std::find(list.begin(), list.end(), s) != list.end();
}

} // namespace

ServicePlan plan_services(const std::vector<Service> &current,
			  const std::vector<Service> &wanted)
{
	ServicePlan plan;
	for (const Service &s : current)
		if (!contains(wanted, s))
			plan.remove.push_back(s);
	for (const Service &s : wanted)
		if (!contains(current, s))
			plan.add.push_back(s);
	return plan;
}

bool ServiceRegistry::add_one(const Service &s)
{
	try {
		kernel_.add_service(s);
		log_.info("declared service " + s.to_string());
		declared_.push_back(s);
		return true;
	} catch (const KernelError &e) {
		if (e.code().value() != EEXIST)
			throw;
	}

	// Taken: by this very service (say, left by a previous failoverd
	// that crashed), or by a different one.
	for (const Service &present : kernel_.list_services()) {
		if (present == s) {
			log_.info("service '" + s.name +
				  "' is already declared as configured; adopting it");
			declared_.push_back(s);
			return false;
		}
		if (present.name == s.name || present.vip == s.vip)
			throw std::runtime_error(
				"service '" + s.name + "': conflicts with '" +
				present.to_string() + "' already in the module");
	}
	throw std::runtime_error("service '" + s.name +
				 "': the module refused it as existing but "
				 "does not list a conflicting service");
}

bool ServiceRegistry::remove_one(const Service &s)
{
	auto forget = [&] {
		declared_.erase(std::remove(declared_.begin(), declared_.end(), s),
				declared_.end());
	};
	try {
		kernel_.del_service_by_name(s.name);
		log_.info("withdrew service '" + s.name + "'");
		forget();
		return true;
	} catch (const KernelError &e) {
		if (e.code().value() == ENOENT) {
			log_.warning("service '" + s.name +
				     "' was already gone from the module");
			forget();
			return true;
		}
		log_.error(e.what());
	} catch (const std::exception &e) {
		log_.error("withdrawing service '" + s.name + "': " + e.what());
	}
	return false;
}

void ServiceRegistry::declare(const std::vector<Service> &wanted)
{
	std::vector<Service> added_now;
	try {
		for (const Service &s : wanted)
			if (add_one(s))
				added_now.push_back(s);
	} catch (...) {
		for (const Service &s : added_now)
			remove_one(s);
		throw;
	}
}

bool ServiceRegistry::reconcile(const std::vector<Service> &wanted)
{
	bool ok = true;
	ServicePlan plan = plan_services(declared_, wanted);
	for (const Service &s : plan.remove)
		ok = remove_one(s) && ok;
	for (const Service &s : plan.add) {
		try {
			add_one(s);
		} catch (const std::exception &e) {
			log_.error(e.what());
			ok = false;
		}
	}
	return ok;
}

void ServiceRegistry::withdraw_all() noexcept
{
	// Copy: remove_one() edits declared_.
	std::vector<Service> all = declared_;
	for (const Service &s : all)
		remove_one(s);
}

} // namespace tcpfo
