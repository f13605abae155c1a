// SPDX-License-Identifier: GPL-2.0
#include "Config.hpp"
#include "ParseError.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace tcpfo;
using namespace std::chrono_literals;

namespace {

const std::string hex_key(64, 'a');

// A directory of its own per test, removed afterwards.
class ConfigTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::string tmpl = (std::filesystem::temp_directory_path() /
				    "tcpfo-config-test.XXXXXX")
					   .string();
		ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
		dir_ = tmpl;
	}
	void TearDown() override { std::filesystem::remove_all(dir_); }

	std::string write(const std::string &name, const std::string &content)
	{
		auto path = dir_ / name;
		std::ofstream(path) << content;
		return path.string();
	}

	static Invocation parse(std::vector<std::string> args)
	{
		args.insert(args.begin(), "failoverd");
		std::vector<const char *> argv;
		for (const auto &a : args)
			argv.push_back(a.c_str());
		return parse_invocation(static_cast<int>(argv.size()), argv.data());
	}

	// The ConfigError message for args, or "" if they were accepted.
	static std::string error_of(std::vector<std::string> args)
	{
		try {
			parse(std::move(args));
		} catch (const ConfigError &e) {
			return e.what();
		}
		return "";
	}

	std::filesystem::path dir_;
};

} // namespace

TEST_F(ConfigTest, DefaultsAreDocumentedOnes)
{
	Config c = parse({"--node", "gw1"}).config;
	EXPECT_EQ(c.node, "gw1");
	EXPECT_EQ(c.role, Role::standby);
	EXPECT_EQ(c.mode, Mode::async);
	EXPECT_EQ(c.control_socket, "/run/tcpfo/failoverd.sock");
	EXPECT_EQ(c.heartbeat.interval, 50ms);
	EXPECT_EQ(c.heartbeat.misses, 3u);
	EXPECT_FALSE(c.peer.timeout);	// interval x misses
	EXPECT_EQ(c.log_level, LogLevel::info);
	EXPECT_FALSE(c.log_timestamps);
	EXPECT_TRUE(c.services.empty());
	EXPECT_FALSE(c.peer.address);
	EXPECT_EQ(c.relay.pipe_size, 65536u);
	EXPECT_EQ(c.relay.notsent_lowat, 131072u);
	EXPECT_EQ(c.relay.connect_timeout, 5s);
}

TEST_F(ConfigTest, RelaySectionTakesSizesAndDurations)
{
	std::string file = write("c.conf",
		"node = gw1\n"
		"[relay]\n"
		"pipe-size = 1M\n"
		"notsent-lowat = 32K\n"
		"connect-timeout = 1.5s\n");
	Config c = parse({"--config", file}).config;
	EXPECT_EQ(c.relay.pipe_size, 1u << 20);
	EXPECT_EQ(c.relay.notsent_lowat, 32u << 10);
	EXPECT_EQ(c.relay.connect_timeout, 1500ms);

	c = parse({"--config", file, "--relay.pipe-size=4096", "--relay.notsent-lowat",
		   "262144", "--relay.connect-timeout", "250ms"}).config;
	EXPECT_EQ(c.relay.pipe_size, 4096u);
	EXPECT_EQ(c.relay.notsent_lowat, 262144u);
	EXPECT_EQ(c.relay.connect_timeout, 250ms);
	EXPECT_EQ(parse({"--relay.pipe-size", "16MiB"}).config.relay.pipe_size, 16u << 20);
	EXPECT_EQ(parse({"--relay.pipe-size", "64KiB"}).config.relay.pipe_size, 64u << 10);
	EXPECT_EQ(parse({"--relay.pipe-size", "64k"}).config.relay.pipe_size, 64u << 10);
}

TEST_F(ConfigTest, ProbeTimeoutDefaultsToTenSecondsAndIsBounded)
{
	EXPECT_EQ(parse({"--node", "gw1"}).config.takeover.probe_timeout, 10s);
	std::string file = write("p.conf",
		"node = gw1\n"
		"[takeover]\n"
		"probe-timeout = 2.5s\n");
	EXPECT_EQ(parse({"--config", file}).config.takeover.probe_timeout, 2500ms);
	EXPECT_NE(error_of({"--takeover.probe-timeout", "50ms"}).find("takeover.probe-timeout"), std::string::npos);
	EXPECT_NE(error_of({"--takeover.probe-timeout", "601s"}), "");
	EXPECT_NE(error_of({"--takeover.probe-timeout", "soon"}), "");
	// Read at each takeover from the running settings: a change needs a
	// restart, and says so.
	Config a = parse({"--node", "gw1"}).config;
	Config b = a;
	b.takeover.probe_timeout = 1s;
	const auto keys = restart_required_changes(a, b);
	ASSERT_EQ(keys.size(), 1u);
	EXPECT_EQ(keys.front(), "takeover.probe-timeout");
}

TEST_F(ConfigTest, RelaySettingsApplyOnReloadWithoutARestart)
{
	Config a = parse({"--node", "gw1"}).config;
	Config b = a;
	b.relay.pipe_size = 1 << 20;
	b.relay.connect_timeout = 1s;
	EXPECT_TRUE(restart_required_changes(a, b).empty());
}

TEST_F(ConfigTest, HelpFitsAScreen)
{
	std::string help = usage_text();
	EXPECT_LE(std::count(help.begin(), help.end(), '\n'), 30);
	std::istringstream lines(help);
	for (std::string line; std::getline(lines, line);)
		EXPECT_LE(line.size(), 80u) << line;
	for (const char *key : {"relay.pipe-size", "relay.notsent-lowat", "relay.connect-timeout"})
		EXPECT_NE(help.find(key), std::string::npos) << key;
}

TEST_F(ConfigTest, NodeDefaultsToTheHostName)
{
	char host[256] = {};
	ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
	EXPECT_EQ(parse({}).config.node, host);
}

TEST_F(ConfigTest, ReadsTheDesignSketch)
{
	std::string key = write("peer.key", hex_key + "\n");
	std::string file = write("gw1.conf",
		"node = gw1                    # name in logs\n"
		"role = primary\n"
		"mode = sync\n"
		"control-socket = /run/tcpfo/gw1.sock\n"
		"service = web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1\n"
		"service = web6 [2001:db8:1::1]:80 [2001:db8:2::10]:8080 via 2001:db8:2::1\n"
		"[peer]\n"
		"listen = 192.0.2.2:7411\n"
		"address = 192.0.2.3:7411\n"
		"key-file = " + key + "\n"
		"timeout = 250ms\n"
		"[heartbeat]\n"
		"interval = 20ms\n"
		"misses = 5\n"
		"[takeover]\n"
		"front-interface = front\n"
		"back-interface = back\n");
	Config c = parse({"--config", file}).config;
	EXPECT_EQ(c.node, "gw1");
	EXPECT_EQ(c.role, Role::primary);
	EXPECT_EQ(c.mode, Mode::sync);
	EXPECT_EQ(c.control_socket, "/run/tcpfo/gw1.sock");
	ASSERT_EQ(c.services.size(), 2u);
	EXPECT_EQ(c.services[0].name, "web");
	EXPECT_EQ(c.services[1].family(), AF_INET6);
	ASSERT_TRUE(c.peer.listen);
	EXPECT_EQ(c.peer.listen->to_string(), "192.0.2.2:7411");
	ASSERT_TRUE(c.peer.address);
	EXPECT_EQ(c.peer.address->to_string(), "192.0.2.3:7411");
	ASSERT_TRUE(c.peer.key);
	EXPECT_EQ((*c.peer.key)[0], 0xaa);
	ASSERT_TRUE(c.peer.timeout);
	EXPECT_EQ(*c.peer.timeout, 250ms);
	EXPECT_EQ(c.heartbeat.interval, 20ms);
	EXPECT_EQ(c.heartbeat.misses, 5u);
	EXPECT_EQ(c.takeover.front_interface, "front");
	EXPECT_EQ(c.takeover.back_interface, "back");
}

TEST_F(ConfigTest, CommandLineOverridesTheFile)
{
	std::string file = write("c.conf",
		"node = from-file\nmode = sync\n"
		"service = a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1\n"
		"[heartbeat]\ninterval = 1s\nmisses = 7\n");
	Config c = parse({"--config", file, "--mode=async", "--heartbeat.interval",
			  "100ms", "--service",
			  "b 192.0.2.2:80 198.51.100.10:80 via 198.51.100.1"})
			   .config;
	EXPECT_EQ(c.node, "from-file");
	EXPECT_EQ(c.mode, Mode::async);
	EXPECT_EQ(c.heartbeat.interval, 100ms);
	EXPECT_EQ(c.heartbeat.misses, 7u);
	// A repeatable key given on the command line replaces the file's list.
	ASSERT_EQ(c.services.size(), 1u);
	EXPECT_EQ(c.services[0].name, "b");
}

TEST_F(ConfigTest, UnknownKeysAreNamed)
{
	EXPECT_EQ(error_of({"--foo", "1"}), "unknown option 'foo'");
	EXPECT_EQ(error_of({"--peer.foo=1"}), "unknown option 'peer.foo'");
	std::string file = write("c.conf", "[heartbeat]\nintervall = 5ms\n");
	EXPECT_EQ(error_of({"--config", file}),
		  file + ": unknown option 'heartbeat.intervall'");
}

TEST_F(ConfigTest, AbbreviatedOptionsAreNotGuessed)
{
	EXPECT_EQ(error_of({"--mod", "sync"}), "unknown option 'mod'");
}

TEST_F(ConfigTest, FileOnlyAcceptsSettings)
{
	std::string file = write("c.conf", "check-config = true\n");
	EXPECT_EQ(error_of({"--config", file}),
		  file + ": unknown option 'check-config'");
}

TEST_F(ConfigTest, BadValuesNameTheKey)
{
	struct Case {
		std::vector<std::string> args;
		std::string starts;
	} cases[] = {
		{{"--heartbeat.interval", "abc"}, "heartbeat.interval: bad duration 'abc'"},
		{{"--heartbeat.interval", "0ms"}, "heartbeat.interval: 0ms is out of range"},
		{{"--heartbeat.interval", "2min"}, "heartbeat.interval: bad duration '2min'"},
		{{"--heartbeat.misses", "0"}, "heartbeat.misses: expected a whole number 1..1000"},
		{{"--heartbeat.misses", "3x"}, "heartbeat.misses: expected a whole number"},
		{{"--peer.timeout", "0s"}, "peer.timeout: 0s is out of range"},
		{{"--peer.timeout", "60ms"}, "peer.timeout: 60ms is less than two heartbeat intervals (100ms)"},
		{{"--peer.timeout", "soon"}, "peer.timeout: bad duration 'soon'"},
		{{"--mode", "fast"}, "mode: expected sync or async, not 'fast'"},
		{{"--role", "master"}, "role: expected primary or standby, not 'master'"},
		{{"--node", "gw 1"}, "node: bad node name 'gw 1'"},
		{{"--control-socket", "run/x.sock"}, "control-socket: 'run/x.sock' is not an absolute path"},
		{{"--control-socket", "/" + std::string(120, 'x')}, "control-socket: '/xxx"},
		{{"--log-level", "loud"}, "log-level: expected debug, info, warning or error"},
		{{"--log-timestamps", "maybe"}, "log-timestamps: expected yes or no, not 'maybe'"},
		{{"--service", "web 192.0.2.1:80"}, "service: expected NAME VIP:PORT"},
		{{"--peer.listen", "192.0.2.1"}, "peer.listen: bad endpoint '192.0.2.1'"},
		{{"--peer.address", "192.0.2.1:0"}, "peer.address: bad port '0'"},
		{{"--takeover.front-interface", "a/b"}, "takeover.front-interface: bad interface name 'a/b'"},
		{{"--takeover.back-interface", "sixteen-chars-xx"}, "takeover.back-interface: bad interface name"},
		{{"--mode"}, "mode: missing value"},
		{{"--mode", "sync", "--mode", "async"}, "mode: given more than once"},
		{{"stray"}, "unexpected argument 'stray'"},
		{{"--relay.pipe-size", "2K"}, "relay.pipe-size: 2K is out of range (4KiB..16MiB)"},
		{{"--relay.pipe-size", "32M"}, "relay.pipe-size: 32M is out of range (4KiB..16MiB)"},
		{{"--relay.pipe-size", "64KB"}, "relay.pipe-size: bad size '64KB' (write e.g. 65536, 64K, 1M)"},
		{{"--relay.pipe-size", "-1"}, "relay.pipe-size: bad size '-1'"},
		{{"--relay.pipe-size", ""}, "relay.pipe-size: bad size ''"},
		{{"--relay.notsent-lowat", "0"}, "relay.notsent-lowat: 0 is out of range"},
		{{"--relay.notsent-lowat", "2G"}, "relay.notsent-lowat: bad size '2G'"},
		{{"--relay.connect-timeout", "5"}, "relay.connect-timeout: bad duration '5'"},
		{{"--relay.connect-timeout", "0s"}, "relay.connect-timeout: 0s is out of range (1ms..600s)"},
		{{"--relay.connect-timeout", "1h"}, "relay.connect-timeout: bad duration '1h'"},
	};
	for (const auto &c : cases) {
		std::vector<std::string> args = c.args;
		if (c.args.front() != "--node")
			args.insert(args.begin(), {"--node", "gw1"});
		std::string error = error_of(args);
		EXPECT_EQ(error.rfind(c.starts, 0), 0u)
			<< "args " << c.args.front() << ": got '" << error
			<< "', want it to start with '" << c.starts << "'";
	}
}

TEST_F(ConfigTest, DuplicateServicesAreRefused)
{
	EXPECT_EQ(error_of({"--service", "a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1",
			    "--service", "a 192.0.2.2:80 198.51.100.10:80 via 198.51.100.1"}),
		  "service: name 'a' is used twice");
	EXPECT_EQ(error_of({"--service", "a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1",
			    "--service", "b 192.0.2.1:80 198.51.100.11:80 via 198.51.100.1"}),
		  "service: 'a' and 'b' both use 192.0.2.1:80");
}

TEST_F(ConfigTest, MissingConfigFileIsNamed)
{
	std::string path = (dir_ / "nope.conf").string();
	EXPECT_EQ(error_of({"--config", path}), path + ": No such file or directory");
}

TEST_F(ConfigTest, KeyFileAcceptsHexWithOptionalNewline)
{
	EXPECT_EQ(read_key_file(write("k1", hex_key))[31], 0xaa);
	PeerKey k = read_key_file(write("k2", "00ff" + std::string(60, '1') + "\n"));
	EXPECT_EQ(k[0], 0x00);
	EXPECT_EQ(k[1], 0xff);
	EXPECT_EQ(k[2], 0x11);
	EXPECT_EQ(read_key_file(write("k3", std::string(64, 'F')))[0], 0xff);
}

TEST_F(ConfigTest, KeyFileRefusesAnythingElse)
{
	for (const std::string &content :
	     {std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'g'),
	      hex_key + "\n\n", hex_key + " ", hex_key + "\r\n",
	      std::string(32, '\x01'), std::string()}) {
		std::string path = write("bad.key", content);
		try {
			read_key_file(path);
			ADD_FAILURE() << "accepted '" << content << "'";
		} catch (const ParseError &e) {
			EXPECT_EQ(std::string(e.what()), path +
				  ": expected 64 hex characters (32 bytes, "
				  "e.g. from 'openssl rand -hex 32')");
		}
	}
}

TEST_F(ConfigTest, KeyFileErrorsNameKeyAndPath)
{
	std::string missing = (dir_ / "missing.key").string();
	EXPECT_EQ(error_of({"--peer.key-file", missing}),
		  "peer.key-file: " + missing + ": No such file or directory");

	std::string bad = write("short.key", "abcd\n");
	EXPECT_EQ(error_of({"--peer.key-file", bad}).rfind("peer.key-file: " + bad + ": expected 64 hex", 0), 0u);

	EXPECT_EQ(error_of({"--peer.key-file", dir_.string()}),
		  "peer.key-file: " + dir_.string() + ": not a regular file");
}

TEST_F(ConfigTest, StateLinkNeedsAKey)
{
	EXPECT_EQ(error_of({"--peer.address", "192.0.2.3:7411"}).rfind(
			  "peer.key-file: required", 0),
		  0u);
	std::string key = write("k", hex_key);
	EXPECT_EQ(error_of({"--peer.address", "192.0.2.3:7411", "--peer.key-file", key}), "");
}

TEST_F(ConfigTest, ActionsNeedNoValidSettings)
{
	// --help and --version work even with a broken file named.
	EXPECT_TRUE(parse({"--help", "--config", "/nonexistent"}).help);
	EXPECT_TRUE(parse({"-V"}).version);
	EXPECT_TRUE(parse({"--check-config", "--node", "x"}).check_config);
}

TEST_F(ConfigTest, RestartRequiredChangesNameTheKeys)
{
	Config a = parse({"--node", "gw1"}).config;
	Config b = a;
	b.mode = Mode::sync;
	b.log_level = LogLevel::debug;
	b.services.push_back(Service::parse("a 192.0.2.1:80 198.51.100.10:80 via 198.51.100.1"));
	EXPECT_TRUE(restart_required_changes(a, b).empty());
	b.heartbeat.misses = 9;
	b.takeover.front_interface = "eth9";
	EXPECT_EQ(restart_required_changes(a, b),
		  (std::vector<std::string>{"heartbeat.misses", "takeover.front-interface"}));
}
