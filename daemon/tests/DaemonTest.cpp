// SPDX-License-Identifier: GPL-2.0
// ServiceRegistry and Daemon against a fake module that refuses the way
// tcpfo.ko does (EEXIST on a taken name or VIP:port, ENOENT on delete).
#include "Daemon.hpp"
#include "GenlSocket.hpp"
#include "ServiceRegistry.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <algorithm>
#include <csignal>
#include <sstream>

using namespace tcpfo;

namespace {

// A control socket of this test process's own, never /run/tcpfo.
std::filesystem::path control_path()
{
	return std::filesystem::temp_directory_path() /
	       ("tcpfo-daemontest-" + std::to_string(::getpid()) + ".sock");
}

Service svc(const char *line)
{
	return Service::parse(line);
}

// High ports: the Daemon's relay listens on them (IP_FREEBIND, so the
// addresses need not be here), and unprivileged test runs may too.
const Service web = svc("web 192.0.2.1:18080 198.51.100.10:8080 via 198.51.100.1");
const Service api = svc("api 192.0.2.1:18443 198.51.100.10:8443 via 198.51.100.1");
const Service web_moved = svc("web 192.0.2.1:18080 198.51.100.20:8080 via 198.51.100.1");
// ctest runs tests in parallel: each test that listens has ports of its own.
const Service web_other_port = svc("web 192.0.2.1:18090 198.51.100.10:8080 via 198.51.100.1");
const Service other = svc("other 192.0.2.9:80 198.51.100.10:80 via 198.51.100.1");

class FakeKernel : public KernelApi {
public:
	void set_mode(Mode m) override
	{
		ops.push_back("mode " + to_string(m));
		mode = m;
	}
	void add_service(const Service &s) override
	{
		for (const Service &t : table)
			if (t.name == s.name || t.vip == s.vip)
				throw KernelError(EEXIST, "adding service '" + s.name + "'", "");
		ops.push_back("add " + s.name);
		table.push_back(s);
	}
	void del_service_by_name(std::string_view name) override
	{
		auto it = std::find_if(table.begin(), table.end(),
				       [&](const Service &t) { return t.name == name; });
		if (it == table.end())
			throw KernelError(ENOENT, "deleting service", "");
		ops.push_back("del " + std::string(name));
		table.erase(it);
	}
	std::vector<Service> list_services() override { return table; }
	void pair_flow(const FlowPair &) override { ops.push_back("pair"); }
	void del_flow(const L1Tuple &) override { ops.push_back("del flow"); }

	std::vector<Service> table;
	std::vector<std::string> ops;
	Mode mode = Mode::async;
};

using Ops = std::vector<std::string>;

class Registry : public ::testing::Test {
protected:
	std::ostringstream logged;
	Logger log{"failoverd", "t", LogLevel::debug, logged};
	FakeKernel kernel;
	ServiceRegistry registry{kernel, log};
};

} // namespace

TEST_F(Registry, DeclaresAndWithdrawsItsServicesOnly)
{
	kernel.table.push_back(other); // someone else's
	registry.declare({web, api});
	EXPECT_EQ(registry.declared(), (std::vector<Service>{web, api}));
	registry.withdraw_all();
	EXPECT_EQ(kernel.ops, (Ops{"add web", "add api", "del web", "del api"}));
	EXPECT_EQ(kernel.table, (std::vector<Service>{other}));
	EXPECT_TRUE(registry.declared().empty());
}

TEST_F(Registry, AdoptsAnIdenticalServiceAlreadyDeclared)
{
	kernel.table.push_back(web); // left by a previous failoverd
	registry.declare({web});
	EXPECT_TRUE(kernel.ops.empty());
	EXPECT_EQ(registry.declared(), (std::vector<Service>{web}));
	EXPECT_NE(logged.str().find("adopting"), std::string::npos);
}

TEST_F(Registry, ConflictNamesTheServiceAndRollsBack)
{
	kernel.table.push_back(web_moved); // same name, other backend
	try {
		registry.declare({api, web});
		FAIL() << "conflict not reported";
	} catch (const std::runtime_error &e) {
		EXPECT_EQ(std::string(e.what()),
			  "service 'web': conflicts with '" + web_moved.to_string() +
				  "' already in the module");
	}
	// api was added by this attempt and is taken back; web_moved stays.
	EXPECT_EQ(kernel.ops, (Ops{"add api", "del api"}));
	EXPECT_EQ(kernel.table, (std::vector<Service>{web_moved}));
}

TEST_F(Registry, ConflictOnTheVipAloneIsAConflictToo)
{
	Service same_vip = svc("www 192.0.2.1:18080 198.51.100.10:8080 via 198.51.100.1");
	kernel.table.push_back(same_vip);
	EXPECT_THROW(registry.declare({web}), std::runtime_error);
}

TEST_F(Registry, ReconcileAppliesChangesAndKeepsGoingAfterAFailure)
{
	registry.declare({web, api});
	kernel.table.push_back(other);
	Service clash = svc("clash 192.0.2.9:80 198.51.100.10:80 via 198.51.100.1");
	EXPECT_FALSE(registry.reconcile({web_moved, clash}));
	EXPECT_EQ(kernel.ops, (Ops{"add web", "add api", "del web", "del api",
				   "add web"}));
	EXPECT_EQ(registry.declared(), (std::vector<Service>{web_moved}));
	EXPECT_NE(logged.str().find("service 'clash': conflicts"), std::string::npos);
}

TEST_F(Registry, ServiceGoneFromTheModuleIsForgotten)
{
	registry.declare({web});
	kernel.table.clear(); // operator ran `tcpfoctl service del web`
	registry.withdraw_all();
	EXPECT_TRUE(registry.declared().empty());
	EXPECT_NE(logged.str().find("already gone"), std::string::npos);
}

TEST(Daemon, StartsReloadsOnSighupAndWithdrawsOnSigterm)
{
	std::ostringstream logged;
	Logger log("failoverd", "gw1", LogLevel::info, logged);
	FakeKernel kernel;

	Config start;
	start.node = "gw1";
	start.control_socket = control_path();
	start.mode = Mode::sync;
	start.services = {web, api};
	Config next = start;
	next.mode = Mode::async;
	next.services = {web_moved};
	next.heartbeat.misses = 9;

	Daemon daemon(start, [&] { return next; }, kernel, log);
	EXPECT_EQ(kernel.ops, (Ops{"mode sync", "add web", "add api"}));
	ASSERT_TRUE(daemon.relay().listening_on("web"));
	EXPECT_EQ(daemon.relay().listening_on("web")->to_string(), "192.0.2.1:18080");
	ASSERT_TRUE(daemon.relay().listening_on("api"));

	// All wait in the signalfd; pending signals come lowest first.
	ASSERT_EQ(raise(SIGTERM), 0);
	ASSERT_EQ(raise(SIGHUP), 0);
	ASSERT_EQ(raise(SIGUSR1), 0);
	daemon.run();
	EXPECT_FALSE(daemon.relay().listening_on("api"));

	EXPECT_EQ(kernel.ops, (Ops{"mode sync", "add web", "add api", "mode async",
				   "del web", "del api", "add web", "del web"}));
	EXPECT_TRUE(kernel.table.empty());
	const std::string text = logged.str();
	EXPECT_NE(text.find("failoverd[gw1]: info: received SIGHUP"), std::string::npos) << text;
	EXPECT_NE(text.find("failoverd[gw1]: warning: reload: a change of "
			    "'heartbeat.misses' takes effect only after a restart"),
		  std::string::npos)
		<< text;
	EXPECT_NE(text.find("failoverd[gw1]: info: received SIGTERM, shutting down"),
		  std::string::npos)
		<< text;
	EXPECT_NE(text.find("failoverd[gw1]: info: stopped"), std::string::npos) << text;
	EXPECT_NE(text.find("info: relay: listening on 192.0.2.1:18443 for service 'api'"),
		  std::string::npos)
		<< text;
	EXPECT_NE(text.find("info: relay: stopped listening on 192.0.2.1:18443"),
		  std::string::npos)
		<< text;
	// SIGUSR1, then SIGTERM: the counters.
	EXPECT_NE(text.find("info: relay: accepted 0, active 0, closed 0, reset 0, "
			    "backend failed 0, dropped 0, bytes c2s 0 s2c 0"),
		  std::string::npos)
		<< text;
}

TEST(Daemon, BadConfigOnReloadKeepsTheRunningOne)
{
	std::ostringstream logged;
	Logger log("failoverd", "gw1", LogLevel::info, logged);
	FakeKernel kernel;
	Config start;
	start.node = "gw1";
	start.control_socket = control_path();
	start.services = {web_other_port};

	Daemon daemon(start, []() -> Config { throw ConfigError("mode: expected sync or async, not 'x'"); },
		      kernel, log);
	ASSERT_EQ(raise(SIGHUP), 0);
	ASSERT_EQ(raise(SIGINT), 0);
	daemon.run();
	EXPECT_EQ(kernel.ops, (Ops{"mode async", "add web", "del web"}));
	EXPECT_NE(logged.str().find("error: reload: config: mode: expected sync or "
				    "async, not 'x'; keeping the running configuration"),
		  std::string::npos)
		<< logged.str();
}
