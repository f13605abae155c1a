// SPDX-License-Identifier: GPL-2.0
// The tcpfo attributes as the module will see and send them
// (include/uapi/linux/tcpfo.h).
#include "FlowAttrs.hpp"
#include "GenlSocket.hpp"
#include "KernelLink.hpp"
#include "ServiceAttrs.hpp"

#include <gtest/gtest.h>

#include <linux/tcpfo.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <cstring>

using namespace tcpfo;

namespace {

NlMsg new_message()
{
	return GenlSocket::request(42, TCPFO_CMD_SERVICE_ADD, TCPFO_GENL_VERSION);
}

// The TCPFO_A_SERVICE nest of msg, with its raw type checked.
nlattr *service_nest(nl_msg *msg)
{
	nlattr *tb[TCPFO_A_MAX + 1] = {};
	EXPECT_EQ(genlmsg_parse(nlmsg_hdr(msg), 0, tb, TCPFO_A_MAX, nullptr), 0);
	nlattr *nest = tb[TCPFO_A_SERVICE];
	EXPECT_NE(nest, nullptr);
	if (nest) {
		EXPECT_TRUE(nest->nla_type & NLA_F_NESTED)
			<< "the kernel refuses nests without NLA_F_NESTED";
	}
	return nest;
}

std::vector<int> attr_types(nlattr *nest)
{
	std::vector<int> types;
	nlattr *pos;
	int rem;
	nla_for_each_nested(pos, nest, rem)
		types.push_back(nla_type(pos));
	return types;
}

} // namespace

TEST(Wire, ServiceRoundTripsWithExactAttributeSizes)
{
	for (const char *line :
	     {"web 192.0.2.1:80 198.51.100.10:8080 via 198.51.100.1",
	      "web6 [2001:db8:1::1]:443 [2001:db8:2::10]:8443 via 2001:db8:2::1"}) {
		Service s = Service::parse(line);
		NlMsg msg = new_message();
		put_service(msg.get(), s);
		nlattr *nest = service_nest(msg.get());
		ASSERT_NE(nest, nullptr);

		nlattr *tb[TCPFO_SVC_A_MAX + 1] = {};
		ASSERT_EQ(nla_parse_nested(tb, TCPFO_SVC_A_MAX, nest, nullptr), 0);
		int addr_len = s.family() == AF_INET ? 4 : 16;
		EXPECT_EQ(nla_len(tb[TCPFO_SVC_A_VIP]), addr_len);
		EXPECT_EQ(nla_len(tb[TCPFO_SVC_A_BACKEND]), addr_len);
		EXPECT_EQ(nla_len(tb[TCPFO_SVC_A_BACK_ADDR]), addr_len);
		EXPECT_EQ(nla_get_u16(tb[TCPFO_SVC_A_FAMILY]), s.family());
		EXPECT_EQ(nla_len(tb[TCPFO_SVC_A_VPORT]), 2);
		EXPECT_EQ(nla_get_u16(tb[TCPFO_SVC_A_VPORT]), s.vip.port); // host order
		EXPECT_EQ(std::memcmp(nla_data(tb[TCPFO_SVC_A_VIP]),
				      s.vip.address.bytes().data(), addr_len), 0);
		EXPECT_STREQ(static_cast<char *>(nla_data(tb[TCPFO_SVC_A_NAME])),
			     s.name.c_str());

		EXPECT_EQ(get_service(nest), s);
	}
}

TEST(Wire, DeleteByNameCarriesOnlyTheName)
{
	NlMsg msg = new_message();
	put_service_name(msg.get(), "web");
	EXPECT_EQ(attr_types(service_nest(msg.get())),
		  (std::vector<int>{TCPFO_SVC_A_NAME}));
}

TEST(Wire, DeleteByVipCarriesFamilyVipAndPort)
{
	NlMsg msg = new_message();
	put_service_vip(msg.get(), Endpoint::parse("[2001:db8::1]:80"));
	EXPECT_EQ(attr_types(service_nest(msg.get())),
		  (std::vector<int>{TCPFO_SVC_A_FAMILY, TCPFO_SVC_A_VIP,
				    TCPFO_SVC_A_VPORT}));
}

TEST(Wire, MalformedServiceFromTheKernelIsAProtocolError)
{
	NlMsg msg = new_message();
	nl_msg *m = msg.get();
	nlattr *nest = nla_nest_start(m, TCPFO_A_SERVICE | NLA_F_NESTED);
	nla_put_string(m, TCPFO_SVC_A_NAME, "web");
	nla_put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	std::uint8_t v6[16] = {0x20, 0x01};
	nla_put(m, TCPFO_SVC_A_VIP, 16, v6); // length does not match AF_INET
	nla_put_u16(m, TCPFO_SVC_A_VPORT, 80);
	nla_nest_end(m, nest);
	try {
		get_service(service_nest(m));
		FAIL() << "accepted a 16-byte IPv4 address";
	} catch (const std::system_error &e) {
		EXPECT_EQ(e.code().value(), EPROTO);
		EXPECT_NE(std::string(e.what()).find("VIP"), std::string::npos) << e.what();
	}
}

TEST(Wire, StatusReplyIsReadAndMissingAttributesAreNamed)
{
	NlMsg msg = GenlSocket::request(42, TCPFO_CMD_GET_STATUS, TCPFO_GENL_VERSION);
	nl_msg *m = msg.get();
	nla_put_string(m, TCPFO_A_VERSION, "0.1.0");
	nla_put_u32(m, TCPFO_A_MODE, TCPFO_MODE_SYNC);
	nla_put_u64(m, TCPFO_A_PACKETS_SEEN, 1ull << 40);
	nla_put_u64(m, TCPFO_A_PACKETS_TRACKED, 7);
	nla_put_u32(m, TCPFO_A_FLOW_COUNT, 3);

	try {
		parse_status_reply(nlmsg_hdr(m));
		FAIL() << "accepted a status without SERVICE_COUNT";
	} catch (const std::system_error &e) {
		EXPECT_NE(std::string(e.what()).find("SERVICE_COUNT"), std::string::npos);
	}

	nla_put_u32(m, TCPFO_A_SERVICE_COUNT, 2);
	Status st = parse_status_reply(nlmsg_hdr(m));
	EXPECT_EQ(st.version, "0.1.0");
	EXPECT_EQ(st.mode, Mode::sync);
	EXPECT_EQ(st.packets_seen, 1ull << 40);
	EXPECT_EQ(st.packets_tracked, 7u);
	EXPECT_EQ(st.flows, 3u);
	EXPECT_EQ(st.services, 2u);
	// A module from before these counters: absent, not an error.
	EXPECT_EQ(st.release_acks, std::nullopt);
	EXPECT_EQ(st.dupacks_suppressed, std::nullopt);

	nla_put_u64(m, TCPFO_A_RELEASE_ACKS, 1234);
	nla_put_u64(m, TCPFO_A_DUPACKS_SUPPRESSED, 0);
	st = parse_status_reply(nlmsg_hdr(m));
	EXPECT_EQ(st.release_acks, 1234u);
	EXPECT_EQ(st.dupacks_suppressed, 0u);
}

TEST(Wire, StatusCounterOfTheWrongSizeIsNamed)
{
	NlMsg msg = GenlSocket::request(42, TCPFO_CMD_GET_STATUS, TCPFO_GENL_VERSION);
	nl_msg *m = msg.get();
	nla_put_string(m, TCPFO_A_VERSION, "0.1.0");
	nla_put_u32(m, TCPFO_A_MODE, TCPFO_MODE_ASYNC);
	nla_put_u64(m, TCPFO_A_PACKETS_SEEN, 1);
	nla_put_u64(m, TCPFO_A_PACKETS_TRACKED, 1);
	nla_put_u32(m, TCPFO_A_FLOW_COUNT, 0);
	nla_put_u32(m, TCPFO_A_SERVICE_COUNT, 0);
	nla_put_u32(m, TCPFO_A_DUPACKS_SUPPRESSED, 5); // a u64 on the wire
	try {
		parse_status_reply(nlmsg_hdr(m));
		FAIL() << "accepted a 4-byte DUPACKS_SUPPRESSED";
	} catch (const std::system_error &e) {
		EXPECT_EQ(e.code().value(), EPROTO);
		EXPECT_NE(std::string(e.what()).find("DUPACKS_SUPPRESSED"), std::string::npos)
			<< e.what();
	}
}

namespace {

FlowPair pair_of(const char *client, const char *vip, const char *back,
		 const char *server)
{
	return {{Endpoint::parse(client), Endpoint::parse(vip)},
		{Endpoint::parse(back), Endpoint::parse(server)}};
}

nlattr *flow_nest(nl_msg *msg)
{
	nlattr *tb[TCPFO_A_MAX + 1] = {};
	EXPECT_EQ(genlmsg_parse(nlmsg_hdr(msg), 0, tb, TCPFO_A_MAX, nullptr), 0);
	nlattr *nest = tb[TCPFO_A_FLOW];
	EXPECT_NE(nest, nullptr);
	if (nest) {
		EXPECT_TRUE(nest->nla_type & NLA_F_NESTED)
			<< "the kernel refuses nests without NLA_F_NESTED";
	}
	return nest;
}

} // namespace

TEST(Wire, FlowPairCarriesBothTuplesWithExactSizes)
{
	for (auto pair : {pair_of("203.0.113.7:40000", "192.0.2.1:80",
				  "198.51.100.1:51000", "198.51.100.10:8080"),
			  pair_of("[2001:db8:9::7]:40000", "[2001:db8:1::1]:443",
				  "[2001:db8:2::1]:51000", "[2001:db8:2::10]:8443")}) {
		NlMsg msg = GenlSocket::request(42, TCPFO_CMD_FLOW_PAIR, TCPFO_GENL_VERSION);
		put_flow_pair(msg.get(), pair);
		nlattr *nest = flow_nest(msg.get());
		ASSERT_NE(nest, nullptr);
		EXPECT_EQ(attr_types(nest),
			  (std::vector<int>{TCPFO_FLOW_A_FAMILY, TCPFO_FLOW_A_CLIENT_ADDR,
					    TCPFO_FLOW_A_CLIENT_PORT, TCPFO_FLOW_A_VIP,
					    TCPFO_FLOW_A_VPORT, TCPFO_FLOW_A_BACK_ADDR,
					    TCPFO_FLOW_A_BACK_PORT, TCPFO_FLOW_A_SERVER_ADDR,
					    TCPFO_FLOW_A_SERVER_PORT}));
		nlattr *tb[TCPFO_FLOW_A_MAX + 1] = {};
		ASSERT_EQ(nla_parse_nested(tb, TCPFO_FLOW_A_MAX, nest, nullptr), 0);
		int family = pair.l1.family();
		int addr_len = family == AF_INET ? 4 : 16;
		EXPECT_EQ(nla_len(tb[TCPFO_FLOW_A_FAMILY]), 2);
		EXPECT_EQ(nla_get_u16(tb[TCPFO_FLOW_A_FAMILY]), family);
		for (int a : {TCPFO_FLOW_A_CLIENT_ADDR, TCPFO_FLOW_A_VIP,
			      TCPFO_FLOW_A_BACK_ADDR, TCPFO_FLOW_A_SERVER_ADDR})
			EXPECT_EQ(nla_len(tb[a]), addr_len) << "attribute " << a;
		for (int p : {TCPFO_FLOW_A_CLIENT_PORT, TCPFO_FLOW_A_VPORT,
			      TCPFO_FLOW_A_BACK_PORT, TCPFO_FLOW_A_SERVER_PORT})
			EXPECT_EQ(nla_len(tb[p]), 2) << "attribute " << p;
		// Ports in host order.
		EXPECT_EQ(nla_get_u16(tb[TCPFO_FLOW_A_BACK_PORT]), 51000);
		EXPECT_EQ(std::memcmp(nla_data(tb[TCPFO_FLOW_A_SERVER_ADDR]),
				      pair.l2.server.address.bytes().data(), addr_len), 0);

		// What the module will read back.
		Flow f = get_flow(nest);
		EXPECT_EQ(f.family, family);
		EXPECT_EQ(f.client, pair.l1.client.address);
		EXPECT_EQ(f.client_port, pair.l1.client.port);
		EXPECT_EQ(f.vip, pair.l1.vip.address);
		EXPECT_EQ(f.vport, pair.l1.vip.port);
		EXPECT_EQ(f.back_address, pair.l2.back.address);
		EXPECT_EQ(f.back_port, pair.l2.back.port);
		EXPECT_EQ(f.server, pair.l2.server.address);
		EXPECT_EQ(f.server_port, pair.l2.server.port);
		EXPECT_EQ(f.state, std::nullopt);
	}
}

TEST(Wire, FlowDelCarriesOnlyTheClientLeg)
{
	NlMsg msg = GenlSocket::request(42, TCPFO_CMD_FLOW_DEL, TCPFO_GENL_VERSION);
	put_flow_l1(msg.get(), {Endpoint::parse("203.0.113.7:40000"),
				Endpoint::parse("192.0.2.1:80")});
	EXPECT_EQ(attr_types(flow_nest(msg.get())),
		  (std::vector<int>{TCPFO_FLOW_A_FAMILY, TCPFO_FLOW_A_CLIENT_ADDR,
				    TCPFO_FLOW_A_CLIENT_PORT, TCPFO_FLOW_A_VIP,
				    TCPFO_FLOW_A_VPORT}));
}

TEST(Wire, FlowTupleMixingFamiliesIsRefusedBeforeSending)
{
	NlMsg msg = GenlSocket::request(42, TCPFO_CMD_FLOW_PAIR, TCPFO_GENL_VERSION);
	try {
		put_flow_pair(msg.get(), pair_of("203.0.113.7:40000", "192.0.2.1:80",
						 "[2001:db8:2::1]:51000", "198.51.100.10:8080"));
		FAIL() << "sent a tuple with an IPv6 back address on an IPv4 flow";
	} catch (const std::system_error &e) {
		EXPECT_EQ(e.code().value(), EINVAL);
	}
}

TEST(Wire, FlowDumpRecordWithEveryAttribute)
{
	NlMsg msg = GenlSocket::request(42, TCPFO_CMD_FLOW_GET, TCPFO_GENL_VERSION);
	nl_msg *m = msg.get();
	put_flow_pair(m, pair_of("203.0.113.7:40000", "192.0.2.1:80",
				 "198.51.100.1:51000", "198.51.100.10:8080"));
	// Append the dump-only attributes to the same nest, as the module
	// sends them.
	nlattr *nest = flow_nest(m);
	ASSERT_NE(nest, nullptr);
	nlattr *more = nla_nest_start(m, TCPFO_A_FLOW | NLA_F_NESTED);
	nla_put_u16(m, TCPFO_FLOW_A_FAMILY, AF_INET);
	nla_put_u8(m, TCPFO_FLOW_A_STATE, TCPFO_FLOW_CLOSING);
	nla_put_string(m, TCPFO_FLOW_A_SERVICE, "web");
	nla_put_u32(m, TCPFO_FLOW_A_CLIENT_ISN, 11);
	nla_put_u32(m, TCPFO_FLOW_A_L1_ISN, 12);
	nla_put_u32(m, TCPFO_FLOW_A_L2_ISN, 13);
	nla_put_u32(m, TCPFO_FLOW_A_SERVER_ISN, 0xffffffffu);
	nla_put_u16(m, TCPFO_FLOW_A_L1_MSS, 1460);
	nla_put_u16(m, TCPFO_FLOW_A_L2_MSS, 1448);
	nla_put_u16(m, TCPFO_FLOW_A_L1_WSCALE, 7 | 9 << 8);
	nla_put_u16(m, TCPFO_FLOW_A_L2_WSCALE, 8 | 10 << 8);
	nla_put_u32(m, TCPFO_FLOW_A_L1_OPTS, TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP);
	nla_put_u32(m, TCPFO_FLOW_A_L2_OPTS, TCPFO_OPT_WSCALE);
	nla_put_u64(m, TCPFO_FLOW_A_RELEASED_C2S, 1ull << 33);
	nla_put_u64(m, TCPFO_FLOW_A_RELEASED_S2C, 2);
	nla_put_u64(m, TCPFO_FLOW_A_HELD_C2S, 3);
	nla_put_u64(m, TCPFO_FLOW_A_HELD_S2C, 4);
	nla_put_u64(m, TCPFO_FLOW_A_FIN_C2S, 5);
	nla_put_u64(m, TCPFO_FLOW_A_FIN_S2C, 6);
	nla_put_u32(m, TCPFO_FLOW_A_IDLE_MS, 7);
	nla_nest_end(m, more);

	Flow f = get_flow(more);
	EXPECT_EQ(f.family, AF_INET);
	EXPECT_EQ(f.client, std::nullopt); // not in this nest
	EXPECT_EQ(f.state, FlowState::closing);
	EXPECT_EQ(f.service, "web");
	EXPECT_EQ(f.client_isn, 11u);
	EXPECT_EQ(f.l1_isn, 12u);
	EXPECT_EQ(f.l2_isn, 13u);
	EXPECT_EQ(f.server_isn, 0xffffffffu);
	EXPECT_EQ(f.l1_mss, 1460);
	EXPECT_EQ(f.l2_mss, 1448);
	ASSERT_TRUE(f.l1_wscale);
	EXPECT_EQ(peer_wscale(*f.l1_wscale), 7);
	EXPECT_EQ(gateway_wscale(*f.l1_wscale), 9);
	EXPECT_EQ(f.l2_wscale, 8 | 10 << 8);
	EXPECT_EQ(f.l1_opts, TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP);
	EXPECT_EQ(f.l2_opts, TCPFO_OPT_WSCALE);
	EXPECT_EQ(f.released_c2s, 1ull << 33);
	EXPECT_EQ(f.released_s2c, 2u);
	EXPECT_EQ(f.held_c2s, 3u);
	EXPECT_EQ(f.held_s2c, 4u);
	EXPECT_EQ(f.fin_c2s, 5u);
	EXPECT_EQ(f.fin_s2c, 6u);
	EXPECT_EQ(f.idle_ms, 7u);
}

TEST(Wire, MalformedFlowFromTheKernelIsAProtocolError)
{
	struct Case {
		const char *what;
		void (*fill)(nl_msg *);
	} cases[] = {
		{"FAMILY", [](nl_msg *m) { nla_put_u32(m, TCPFO_FLOW_A_IDLE_MS, 1); }},
		{"CLIENT_ADDR", [](nl_msg *m) {
			 nla_put_u16(m, TCPFO_FLOW_A_FAMILY, AF_INET);
			 std::uint8_t v6[16] = {0x20, 0x01};
			 nla_put(m, TCPFO_FLOW_A_CLIENT_ADDR, 16, v6);
		 }},
		{"HELD_C2S", [](nl_msg *m) {
			 nla_put_u16(m, TCPFO_FLOW_A_FAMILY, AF_INET6);
			 nla_put_u32(m, TCPFO_FLOW_A_HELD_C2S, 1); // a u64
		 }},
		{"STATE", [](nl_msg *m) {
			 nla_put_u16(m, TCPFO_FLOW_A_FAMILY, AF_INET6);
			 nla_put_u32(m, TCPFO_FLOW_A_STATE, 1); // a u8
		 }},
	};
	for (const Case &c : cases) {
		NlMsg msg = GenlSocket::request(42, TCPFO_CMD_FLOW_GET, TCPFO_GENL_VERSION);
		nlattr *nest = nla_nest_start(msg.get(), TCPFO_A_FLOW | NLA_F_NESTED);
		c.fill(msg.get());
		nla_nest_end(msg.get(), nest);
		try {
			get_flow(flow_nest(msg.get()));
			ADD_FAILURE() << "accepted a flow with a bad " << c.what;
		} catch (const std::system_error &e) {
			EXPECT_EQ(e.code().value(), EPROTO);
			EXPECT_NE(std::string(e.what()).find(c.what), std::string::npos)
				<< e.what();
		}
	}
}

TEST(Wire, FlowOptionNames)
{
	EXPECT_EQ(option_names(0), (std::vector<std::string>{}));
	EXPECT_EQ(option_names(TCPFO_OPT_SACK | TCPFO_OPT_TIMESTAMP | TCPFO_OPT_WSCALE),
		  (std::vector<std::string>{"sack", "timestamps", "wscale"}));
	EXPECT_EQ(option_names(TCPFO_OPT_WSCALE | 1u << 31),
		  (std::vector<std::string>{"wscale", "bit31"}));
}
