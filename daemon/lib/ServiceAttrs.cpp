// SPDX-License-Identifier: GPL-2.0
#include "ServiceAttrs.hpp"

#include "ParseError.hpp"

#include <linux/tcpfo.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace tcpfo {

namespace {

// libnl's put helpers fail only when the message buffer is full.
void check_put(int err)
{
	if (err < 0)
		throw std::system_error(EMSGSIZE, std::system_category(),
					"building a tcpfo request");
}

void put_address(nl_msg *msg, int type, const Address &a)
{
	auto bytes = a.bytes();
	check_put(nla_put(msg, type, static_cast<int>(bytes.size()),
			  bytes.data()));
}

// libnl 3.7's nla_nest_start() does not set NLA_F_NESTED itself.
template <typename Fill>
void put_nest(nl_msg *msg, Fill fill)
{
	nlattr *nest = nla_nest_start(msg, TCPFO_A_SERVICE | NLA_F_NESTED);
	if (!nest)
		check_put(-1);
	fill();
	check_put(nla_nest_end(msg, nest));
}

[[noreturn]] void malformed(const std::string &what)
{
	throw std::system_error(EPROTO, std::system_category(),
				"malformed service in tcpfo reply: " + what);
}

Address get_address(nlattr *attr, int family, const char *name)
{
	if (!attr)
		malformed(std::string("no ") + name);
	auto *data = static_cast<const std::uint8_t *>(nla_data(attr));
	try {
		return Address::from_bytes(
			family, {data, static_cast<std::size_t>(nla_len(attr))});
	} catch (const ParseError &e) {
		malformed(std::string(name) + ": " + e.what());
	}
}

std::uint16_t get_u16(nlattr *attr, const char *name)
{
	if (!attr || nla_len(attr) != sizeof(std::uint16_t))
		malformed(std::string("no ") + name);
	return nla_get_u16(attr);
}

} // namespace

void put_service(nl_msg *msg, const Service &s)
{
	put_nest(msg, [&] {
		check_put(nla_put_string(msg, TCPFO_SVC_A_NAME, s.name.c_str()));
		check_put(nla_put_u16(msg, TCPFO_SVC_A_FAMILY,
				      static_cast<std::uint16_t>(s.family())));
		put_address(msg, TCPFO_SVC_A_VIP, s.vip.address);
		check_put(nla_put_u16(msg, TCPFO_SVC_A_VPORT, s.vip.port));
		put_address(msg, TCPFO_SVC_A_BACKEND, s.backend.address);
		check_put(nla_put_u16(msg, TCPFO_SVC_A_BPORT, s.backend.port));
		put_address(msg, TCPFO_SVC_A_BACK_ADDR, s.back_address);
	});
}

void put_service_name(nl_msg *msg, std::string_view name)
{
	std::string n(name);
	put_nest(msg, [&] {
		check_put(nla_put_string(msg, TCPFO_SVC_A_NAME, n.c_str()));
	});
}

void put_service_vip(nl_msg *msg, const Endpoint &vip)
{
	put_nest(msg, [&] {
		check_put(nla_put_u16(msg, TCPFO_SVC_A_FAMILY,
				      static_cast<std::uint16_t>(vip.family())));
		put_address(msg, TCPFO_SVC_A_VIP, vip.address);
		check_put(nla_put_u16(msg, TCPFO_SVC_A_VPORT, vip.port));
	});
}

Service get_service(nlattr *nest)
{
	nlattr *tb[TCPFO_SVC_A_MAX + 1] = {};
	if (nla_parse_nested(tb, TCPFO_SVC_A_MAX, nest, nullptr) < 0)
		malformed("bad attributes");

	Service s;
	if (nlattr *name = tb[TCPFO_SVC_A_NAME]) {
		auto *text = static_cast<const char *>(nla_data(name));
		s.name.assign(text, strnlen(text, static_cast<std::size_t>(nla_len(name))));
	}
	if (s.name.empty())
		malformed("no name");
	int family = get_u16(tb[TCPFO_SVC_A_FAMILY], "family");
	s.vip.address = get_address(tb[TCPFO_SVC_A_VIP], family, "VIP");
	s.vip.port = get_u16(tb[TCPFO_SVC_A_VPORT], "VIP port");
	s.backend.address = get_address(tb[TCPFO_SVC_A_BACKEND], family, "backend");
	s.backend.port = get_u16(tb[TCPFO_SVC_A_BPORT], "backend port");
	s.back_address = get_address(tb[TCPFO_SVC_A_BACK_ADDR], family,
				     "back address");
	return s;
}

} // namespace tcpfo
