// SPDX-License-Identifier: GPL-2.0
// The tcpfo attributes as the module will see and send them
// (include/uapi/linux/tcpfo.h).
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
}
