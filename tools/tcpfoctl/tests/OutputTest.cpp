// SPDX-License-Identifier: GPL-2.0
// The shapes of tcpfoctl's output: JSON is a contract with scripts.
#include "Output.hpp"
#include "Table.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace tcpfo;

namespace {

// An established IPv4 flow with every attribute, and an IPv6 one still
// pairing: no L2 ISNs, released points or FINs yet.
std::vector<Flow> two_flows()
{
	Flow v4;
	v4.family = AF_INET;
	v4.client = Address::parse("203.0.113.7");
	v4.client_port = 40000;
	v4.vip = Address::parse("192.0.2.1");
	v4.vport = 80;
	v4.back_address = Address::parse("198.51.100.1");
	v4.back_port = 51000;
	v4.server = Address::parse("198.51.100.10");
	v4.server_port = 8080;
	v4.state = FlowState::established;
	v4.service = "web";
	v4.client_isn = 1;
	v4.l1_isn = 2;
	v4.l2_isn = 3;
	v4.server_isn = 4294967295u;
	v4.l1_mss = 1460;
	v4.l2_mss = 1448;
	v4.l1_wscale = 7 | 9 << 8;
	v4.l2_wscale = 8 | 10 << 8;
	v4.l1_opts = TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP | TCPFO_OPT_WSCALE;
	v4.l2_opts = TCPFO_OPT_SACK | 1u << 5;
	v4.released_c2s = 1000;
	v4.released_s2c = 20000;
	v4.held_c2s = 0;
	v4.held_s2c = 1448;
	v4.fin_c2s = 1000;
	v4.idle_ms = 12;

	Flow v6;
	v6.family = AF_INET6;
	v6.client = Address::parse("2001:db8:9::7");
	v6.client_port = 40001;
	v6.vip = Address::parse("2001:db8:1::1");
	v6.vport = 443;
	v6.back_address = Address::parse("2001:db8:2::1");
	v6.back_port = 52000;
	v6.server = Address::parse("2001:db8:2::10");
	v6.server_port = 8443;
	v6.state = FlowState::paired;
	v6.service = "web6";
	v6.client_isn = 5;
	v6.l1_isn = 6;
	v6.l1_mss = 1440;
	v6.l1_wscale = 7 | 7 << 8;
	v6.l1_opts = 0;
	v6.idle_ms = 0;
	return {v6, v4};
}

std::vector<Service> two_services()
{
	return {Service::parse("web6 [2001:db8:1::1]:443 [2001:db8:2::10]:8443 via 2001:db8:2::1"),
		Service::parse("api 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1")};
}

} // namespace

TEST(Output, StatusJson)
{
	Status st{"0.1.0", Mode::sync, 18446744073709551615ull, 12, 3, 2, 40, 7, 9,
		  TCPFO_PROT_UNPROTECTED, 0, 5, 6, 1, true, 11, 2};
	std::ostringstream out;
	print_status(out, st, true);
	EXPECT_EQ(out.str(),
		  R"({"version":"0.1.0","mode":"sync","packets_seen":18446744073709551615,)"
		  R"("packets_tracked":12,"flows":3,"services":2,"release_acks":40,)"
		  R"("dupacks_suppressed":7,"standby_flows":9,"protection":"UNPROTECTED",)"
		  R"("takeover_locked":0,"takeover_dropped":5,"takeover_probes":6,"takeover_resets":1,)"
		  R"("fenced":true,"fenced_drops":11,"fenced_flows":2})" "\n");
}

TEST(Output, StatusJsonWithoutTheNewerCountersHasNulls)
{
	Status st{"0.1.0", Mode::async, 1, 1, 0, 0, std::nullopt, std::nullopt,
		  std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
		  std::nullopt, std::nullopt, std::nullopt, std::nullopt};
	std::ostringstream out;
	print_status(out, st, true);
	EXPECT_EQ(out.str(),
		  R"({"version":"0.1.0","mode":"async","packets_seen":1,)"
		  R"("packets_tracked":1,"flows":0,"services":0,"release_acks":null,)"
		  R"("dupacks_suppressed":null,"standby_flows":null,"protection":null,)"
		  R"("takeover_locked":null,"takeover_dropped":null,"takeover_probes":null,)"
		  R"("takeover_resets":null,"fenced":null,"fenced_drops":null,"fenced_flows":null})" "\n");
}

TEST(Output, StatusColumns)
{
	Status st{"0.1.0", Mode::async, 100, 12, 3, 2, 5, std::nullopt, 0,
		  TCPFO_PROT_PROTECTED, 0, 0, 0, 0, false, 0, 0};
	std::ostringstream out;
	print_status(out, st, false);
	EXPECT_EQ(out.str(),
		  "version             0.1.0\n"
		  "mode                async\n"
		  "packets seen        100\n"
		  "packets tracked     12\n"
		  "flows               3\n"
		  "services            2\n"
		  "release acks        5\n"
		  "dupacks suppressed  -\n"
		  "standby flows       0\n"
		  "protection          protected\n");
}

TEST(Output, ServicesJsonSortedByName)
{
	std::ostringstream out;
	print_services(out, two_services(), true);
	EXPECT_EQ(out.str(),
		  R"([{"name":"api","family":"inet","vip":"192.0.2.1","vport":80,)"
		  R"("backend":"198.51.100.10","bport":8080,"back_address":"198.51.100.1"},)"
		  R"({"name":"web6","family":"inet6","vip":"2001:db8:1::1","vport":443,)"
		  R"("backend":"2001:db8:2::10","bport":8443,"back_address":"2001:db8:2::1"}])" "\n");
}

TEST(Output, NoServicesIsAnEmptyJsonArray)
{
	std::ostringstream out;
	print_services(out, {}, true);
	EXPECT_EQ(out.str(), "[]\n");
}

TEST(Output, ServicesColumnsAreAligned)
{
	std::ostringstream out;
	print_services(out, two_services(), false);
	EXPECT_EQ(out.str(),
		  "NAME  VIP                  BACKEND                BACK-ADDRESS\n"
		  "api   192.0.2.1:80         198.51.100.10:8080     198.51.100.1\n"
		  "web6  [2001:db8:1::1]:443  [2001:db8:2::10]:8443  2001:db8:2::1\n");
}

TEST(Table, NoTrailingBlanks)
{
	Table t({"A", "B"});
	t.add_row({"long cell", "x"});
	std::ostringstream out;
	t.print(out);
	EXPECT_EQ(out.str(), "A          B\nlong cell  x\n");
}

TEST(Output, FlowsJsonHasEveryKeyAndNullsForWhatIsMissing)
{
	std::ostringstream out;
	print_flows(out, two_flows(), true);
	EXPECT_EQ(out.str(),
		  R"([{"family":"inet","client":"203.0.113.7","client_port":40000,)"
		  R"("vip":"192.0.2.1","vport":80,"back_address":"198.51.100.1","back_port":51000,)"
		  R"("server":"198.51.100.10","server_port":8080,"state":"established",)"
		  R"("service":"web","client_isn":1,"l1_isn":2,"l2_isn":3,"server_isn":4294967295,)"
		  R"("l1_mss":1460,"l2_mss":1448,"l1_wscale_client":7,"l1_wscale_gw":9,)"
		  R"("l2_wscale_server":8,"l2_wscale_gw":10,"l1_opts":["sack","timestamps","wscale"],)"
		  R"("l2_opts":["sack","bit5"],"released_c2s":1000,"released_s2c":20000,)"
		  R"("held_c2s":0,"held_s2c":1448,"fin_c2s":1000,"fin_s2c":null,"idle_ms":12,)"
		  R"("id":null,"standby":false,"fenced":false,"l1_right_edge":null,"l2_right_edge":null,"l1_ts_sent":null,"l2_ts_sent":null,"l1_ts_recent":null,"l2_ts_recent":null},)"
		  R"({"family":"inet6","client":"2001:db8:9::7","client_port":40001,)"
		  R"("vip":"2001:db8:1::1","vport":443,"back_address":"2001:db8:2::1","back_port":52000,)"
		  R"("server":"2001:db8:2::10","server_port":8443,"state":"paired",)"
		  R"("service":"web6","client_isn":5,"l1_isn":6,"l2_isn":null,"server_isn":null,)"
		  R"("l1_mss":1440,"l2_mss":null,"l1_wscale_client":7,"l1_wscale_gw":7,)"
		  R"("l2_wscale_server":null,"l2_wscale_gw":null,"l1_opts":[],"l2_opts":null,)"
		  R"("released_c2s":null,"released_s2c":null,"held_c2s":null,"held_s2c":null,)"
		  R"("fin_c2s":null,"fin_s2c":null,"idle_ms":0,)"
		  R"("id":null,"standby":false,"fenced":false,"l1_right_edge":null,"l2_right_edge":null,"l1_ts_sent":null,"l2_ts_sent":null,"l1_ts_recent":null,"l2_ts_recent":null}])" "\n");
}

TEST(Output, FlowStatesHaveLowercaseNames)
{
	std::vector<std::string> names;
	for (auto s : {FlowState::syn_recv, FlowState::l1_established, FlowState::paired,
		       FlowState::established, FlowState::closing, FlowState::closed,
		       FlowState::reset, static_cast<FlowState>(42)})
		names.push_back(to_string(s));
	EXPECT_EQ(names, (std::vector<std::string>{"syn_recv", "l1_established", "paired",
						   "established", "closing", "closed",
						   "reset", "unknown(42)"}));
}

TEST(Output, FlowWithOnlyAFamilyIsAllNulls)
{
	Flow f;
	f.family = AF_INET;
	std::ostringstream out;
	print_flows(out, {f}, true);
	const std::string s = out.str();
	EXPECT_EQ(s.rfind(R"([{"family":"inet","client":null,"client_port":null,)", 0), 0u) << s;
	EXPECT_NE(s.find(R"("state":null,"service":null,)"), std::string::npos) << s;
	EXPECT_NE(s.find(R"("l1_opts":null,"l2_opts":null,)"), std::string::npos) << s;
}

TEST(Output, NoFlowsIsAnEmptyJsonArrayOrJustTheHeader)
{
	std::ostringstream json, text;
	print_flows(json, {}, true);
	print_flows(text, {}, false);
	EXPECT_EQ(json.str(), "[]\n");
	EXPECT_EQ(text.str(), "CLIENT  VIP  BACK  SERVER  STATE  RELEASED c2s/s2c  HELD c2s/s2c\n");
}

TEST(Output, FlowsColumnsAreAligned)
{
	std::ostringstream out;
	print_flows(out, two_flows(), false);
	EXPECT_EQ(out.str(),
		  "CLIENT                 VIP                  BACK                   "
		  "SERVER                 STATE        RELEASED c2s/s2c  HELD c2s/s2c\n"
		  "203.0.113.7:40000      192.0.2.1:80         198.51.100.1:51000     "
		  "198.51.100.10:8080     established  1000/20000        0/1448\n"
		  "[2001:db8:9::7]:40001  [2001:db8:1::1]:443  [2001:db8:2::1]:52000  "
		  "[2001:db8:2::10]:8443  paired       -/-               -/-\n");
}

TEST(Output, StatusColumnsShowTheFenceOnceOwnerDied)
{
	Status st{"0.1.0", Mode::async, 100, 12, 3, 2, 5, std::nullopt, 0,
		  TCPFO_PROT_NONE, 0, 0, 0, 0, true, 42, 3};
	std::ostringstream out;
	print_status(out, st, false);
	EXPECT_NE(out.str().find("fenced              yes\n"
				 "fenced flows        3\n"
				 "fenced drops        42\n"),
		  std::string::npos)
		<< out.str();
}

TEST(Output, FencedFlowStateIsPrefixed)
{
	Flow f;
	f.family = AF_INET;
	f.state = FlowState::established;
	f.fenced = true;
	std::ostringstream text, json;
	print_flows(text, {f}, false);
	print_flows(json, {f}, true);
	EXPECT_NE(text.str().find("fenced:established"), std::string::npos) << text.str();
	EXPECT_NE(json.str().find(R"("standby":false,"fenced":true,)"), std::string::npos)
		<< json.str();
}
