// SPDX-License-Identifier: GPL-2.0
#include "FlowAttrs.hpp"

#include "ParseError.hpp"

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace tcpfo {

namespace {

void check_put(int err)
{
	if (err < 0)
		throw std::system_error(EMSGSIZE, std::system_category(),
					"building a tcpfo request");
}

void put_endpoint(nl_msg *msg, int addr_type, int port_type, const Endpoint &ep)
{
	auto bytes = ep.address.bytes();
	check_put(nla_put(msg, addr_type, static_cast<int>(bytes.size()),
			  bytes.data()));
	check_put(nla_put_u16(msg, port_type, ep.port));
}

// libnl 3.7's nla_nest_start() does not set NLA_F_NESTED itself.
template <typename Fill>
void put_nest(nl_msg *msg, int family, Fill fill)
{
	nlattr *nest = nla_nest_start(msg, TCPFO_A_FLOW | NLA_F_NESTED);
	if (!nest)
		check_put(-1);
	check_put(nla_put_u16(msg, TCPFO_FLOW_A_FAMILY,
			      static_cast<std::uint16_t>(family)));
	fill();
	check_put(nla_nest_end(msg, nest));
}

void put_l1(nl_msg *msg, const L1Tuple &l1)
{
	put_endpoint(msg, TCPFO_FLOW_A_CLIENT_ADDR, TCPFO_FLOW_A_CLIENT_PORT,
		     l1.client);
	put_endpoint(msg, TCPFO_FLOW_A_VIP, TCPFO_FLOW_A_VPORT, l1.vip);
}

void check_family(int family, const Endpoint &ep)
{
	if (ep.family() != family || (family != AF_INET && family != AF_INET6))
		throw std::system_error(EINVAL, std::system_category(),
					"flow tuple mixes address families (" +
						ep.to_string() + ")");
}

[[noreturn]] void malformed(const std::string &what)
{
	throw std::system_error(EPROTO, std::system_category(),
				"malformed flow in tcpfo reply: " + what);
}

// Reads an attribute of exactly sizeof(T) bytes, if present.
template <typename T>
void get_uint(nlattr *attr, std::optional<T> &out, const char *name)
{
	if (!attr)
		return;
	if (nla_len(attr) != static_cast<int>(sizeof(T)))
		malformed(std::string(name) + " of " +
			  std::to_string(nla_len(attr)) + " bytes");
	T value;
	std::memcpy(&value, nla_data(attr), sizeof(value));
	out = value;
}

void get_address(nlattr *attr, int family, std::optional<Address> &out,
		 const char *name)
{
	if (!attr)
		return;
	auto *data = static_cast<const std::uint8_t *>(nla_data(attr));
	try {
		out = Address::from_bytes(
			family, {data, static_cast<std::size_t>(nla_len(attr))});
	} catch (const ParseError &e) {
		malformed(std::string(name) + ": " + e.what());
	}
}

} // namespace

void put_flow_pair(nl_msg *msg, const FlowPair &pair)
{
	int family = pair.l1.family();
	for (const Endpoint *ep : {&pair.l1.client, &pair.l1.vip, &pair.l2.back,
				   &pair.l2.server})
		check_family(family, *ep);
	put_nest(msg, family, [&] {
		put_l1(msg, pair.l1);
		put_endpoint(msg, TCPFO_FLOW_A_BACK_ADDR, TCPFO_FLOW_A_BACK_PORT,
			     pair.l2.back);
		put_endpoint(msg, TCPFO_FLOW_A_SERVER_ADDR,
			     TCPFO_FLOW_A_SERVER_PORT, pair.l2.server);
	});
}

void put_flow_l1(nl_msg *msg, const L1Tuple &l1)
{
	int family = l1.family();
	check_family(family, l1.client);
	check_family(family, l1.vip);
	put_nest(msg, family, [&] { put_l1(msg, l1); });
}

namespace {

template <typename T>
void put_opt(nl_msg *msg, int type, const std::optional<T> &v)
{
	if (!v)
		return;
	if constexpr (sizeof(T) == 1)
		check_put(nla_put_u8(msg, type, *v));
	else if constexpr (sizeof(T) == 2)
		check_put(nla_put_u16(msg, type, *v));
	else if constexpr (sizeof(T) == 4)
		check_put(nla_put_u32(msg, type, *v));
	else
		check_put(nla_put_u64(msg, type, *v));
}

} // namespace

void put_flow_import(nl_msg *msg, const Flow &f)
{
	if (!f.id || !f.state || !f.service || !f.client || !f.client_port ||
	    !f.vip || !f.vport || !f.client_isn)
		throw std::invalid_argument("flow import needs id, state, service, "
					    "the L1 tuple and the client ISN");
	const L1Tuple l1{{*f.client, *f.client_port}, {*f.vip, *f.vport}};
	check_family(f.family, l1.client);
	check_family(f.family, l1.vip);
	put_nest(msg, f.family, [&] {
		put_l1(msg, l1);
		if (f.back_address && f.back_port && f.server && f.server_port) {
			put_endpoint(msg, TCPFO_FLOW_A_BACK_ADDR,
				     TCPFO_FLOW_A_BACK_PORT,
				     {*f.back_address, *f.back_port});
			put_endpoint(msg, TCPFO_FLOW_A_SERVER_ADDR,
				     TCPFO_FLOW_A_SERVER_PORT,
				     {*f.server, *f.server_port});
		}
		put_opt(msg, TCPFO_FLOW_A_ID, f.id);
		check_put(nla_put_u8(msg, TCPFO_FLOW_A_STATE,
				     static_cast<std::uint8_t>(*f.state)));
		check_put(nla_put_string(msg, TCPFO_FLOW_A_SERVICE,
					 f.service->c_str()));
		put_opt(msg, TCPFO_FLOW_A_CLIENT_ISN, f.client_isn);
		put_opt(msg, TCPFO_FLOW_A_L1_ISN, f.l1_isn);
		put_opt(msg, TCPFO_FLOW_A_L2_ISN, f.l2_isn);
		put_opt(msg, TCPFO_FLOW_A_SERVER_ISN, f.server_isn);
		put_opt(msg, TCPFO_FLOW_A_L1_MSS, f.l1_mss);
		put_opt(msg, TCPFO_FLOW_A_L2_MSS, f.l2_mss);
		put_opt(msg, TCPFO_FLOW_A_L1_WSCALE, f.l1_wscale);
		put_opt(msg, TCPFO_FLOW_A_L2_WSCALE, f.l2_wscale);
		put_opt(msg, TCPFO_FLOW_A_L1_OPTS, f.l1_opts);
		put_opt(msg, TCPFO_FLOW_A_L2_OPTS, f.l2_opts);
		put_opt(msg, TCPFO_FLOW_A_RELEASED_C2S, f.released_c2s);
		put_opt(msg, TCPFO_FLOW_A_RELEASED_S2C, f.released_s2c);
		put_opt(msg, TCPFO_FLOW_A_FIN_C2S, f.fin_c2s);
		put_opt(msg, TCPFO_FLOW_A_FIN_S2C, f.fin_s2c);
		put_opt(msg, TCPFO_FLOW_A_L1_RIGHT_EDGE, f.l1_right_edge);
		put_opt(msg, TCPFO_FLOW_A_L2_RIGHT_EDGE, f.l2_right_edge);
		put_opt(msg, TCPFO_FLOW_A_L1_TS_SENT, f.l1_ts_sent);
		put_opt(msg, TCPFO_FLOW_A_L2_TS_SENT, f.l2_ts_sent);
		put_opt(msg, TCPFO_FLOW_A_L1_TS_RECENT, f.l1_ts_recent);
		put_opt(msg, TCPFO_FLOW_A_L2_TS_RECENT, f.l2_ts_recent);
		put_opt(msg, TCPFO_FLOW_A_TS_AGE, f.ts_age_ms);
	});
}

void put_activation(nl_msg *msg, const Activation &a)
{
	nlattr *nest = nla_nest_start(msg, TCPFO_A_FLOW | NLA_F_NESTED);
	if (!nest)
		check_put(-1);
	check_put(nla_put_u64(msg, TCPFO_FLOW_A_ID, a.id));
	check_put(nla_put_u64(msg, TCPFO_FLOW_A_RELEASED_C2S, a.released_c2s));
	check_put(nla_put_u64(msg, TCPFO_FLOW_A_RELEASED_S2C, a.released_s2c));
	put_opt(msg, TCPFO_FLOW_A_L1_TS_SENT, a.l1_ts_sent);
	put_opt(msg, TCPFO_FLOW_A_L2_TS_SENT, a.l2_ts_sent);
	put_opt(msg, TCPFO_FLOW_A_L1_TS_RECENT, a.l1_ts_recent);
	put_opt(msg, TCPFO_FLOW_A_L2_TS_RECENT, a.l2_ts_recent);
	put_opt(msg, TCPFO_FLOW_A_L1_RIGHT_EDGE, a.l1_right_edge);
	put_opt(msg, TCPFO_FLOW_A_L2_RIGHT_EDGE, a.l2_right_edge);
	put_opt(msg, TCPFO_FLOW_A_FIN_C2S, a.fin_c2s);
	put_opt(msg, TCPFO_FLOW_A_FIN_S2C, a.fin_s2c);
	check_put(nla_nest_end(msg, nest));
}

void put_flow_id(nl_msg *msg, std::uint64_t id, bool reset)
{
	nlattr *nest = nla_nest_start(msg, TCPFO_A_FLOW | NLA_F_NESTED);
	if (!nest)
		check_put(-1);
	check_put(nla_put_u64(msg, TCPFO_FLOW_A_ID, id));
	if (reset)
		check_put(nla_put_flag(msg, TCPFO_FLOW_A_RESET));
	check_put(nla_nest_end(msg, nest));
}

namespace {

std::optional<SeenLeg> get_seen(nlattr *nest, const char *name)
{
	if (!nest)
		return std::nullopt;
	nlattr *tb[TCPFO_SEEN_A_MAX + 1] = {};
	if (nla_parse_nested(tb, TCPFO_SEEN_A_MAX, nest, nullptr) < 0)
		malformed(std::string(name) + ": bad attributes");
	SeenLeg s;
	std::optional<std::uint32_t> flags, segs;
	get_uint(tb[TCPFO_SEEN_A_FLAGS], flags, "SEEN_FLAGS");
	get_uint(tb[TCPFO_SEEN_A_SEGS], segs, "SEEN_SEGS");
	s.flags = flags.value_or(0);
	s.segs = segs.value_or(0);
	get_uint(tb[TCPFO_SEEN_A_ACK], s.ack, "SEEN_ACK");
	get_uint(tb[TCPFO_SEEN_A_NXT], s.nxt, "SEEN_NXT");
	get_uint(tb[TCPFO_SEEN_A_WIN], s.win, "SEEN_WIN");
	get_uint(tb[TCPFO_SEEN_A_TSVAL], s.tsval, "SEEN_TSVAL");
	get_uint(tb[TCPFO_SEEN_A_TSECR], s.tsecr, "SEEN_TSECR");
	get_uint(tb[TCPFO_SEEN_A_PROBE_TSVAL], s.probe_tsval, "SEEN_PROBE_TSVAL");
	return s;
}

} // namespace

Flow get_flow(nlattr *nest)
{
	nlattr *tb[TCPFO_FLOW_A_MAX + 1] = {};
	if (nla_parse_nested(tb, TCPFO_FLOW_A_MAX, nest, nullptr) < 0)
		malformed("bad attributes");

	Flow f;
	std::optional<std::uint16_t> family;
	get_uint(tb[TCPFO_FLOW_A_FAMILY], family, "FAMILY");
	if (!family)
		malformed("no FAMILY");
	f.family = *family;
	if (f.family != AF_INET && f.family != AF_INET6)
		malformed("FAMILY " + std::to_string(f.family));

	get_address(tb[TCPFO_FLOW_A_CLIENT_ADDR], f.family, f.client, "CLIENT_ADDR");
	get_uint(tb[TCPFO_FLOW_A_CLIENT_PORT], f.client_port, "CLIENT_PORT");
	get_address(tb[TCPFO_FLOW_A_VIP], f.family, f.vip, "VIP");
	get_uint(tb[TCPFO_FLOW_A_VPORT], f.vport, "VPORT");
	get_address(tb[TCPFO_FLOW_A_BACK_ADDR], f.family, f.back_address, "BACK_ADDR");
	get_uint(tb[TCPFO_FLOW_A_BACK_PORT], f.back_port, "BACK_PORT");
	get_address(tb[TCPFO_FLOW_A_SERVER_ADDR], f.family, f.server, "SERVER_ADDR");
	get_uint(tb[TCPFO_FLOW_A_SERVER_PORT], f.server_port, "SERVER_PORT");

	std::optional<std::uint8_t> state;
	get_uint(tb[TCPFO_FLOW_A_STATE], state, "STATE");
	if (state)
		f.state = static_cast<FlowState>(*state);
	if (nlattr *name = tb[TCPFO_FLOW_A_SERVICE]) {
		auto *text = static_cast<const char *>(nla_data(name));
		f.service.emplace(text, strnlen(text, static_cast<std::size_t>(nla_len(name))));
	}

	get_uint(tb[TCPFO_FLOW_A_CLIENT_ISN], f.client_isn, "CLIENT_ISN");
	get_uint(tb[TCPFO_FLOW_A_L1_ISN], f.l1_isn, "L1_ISN");
	get_uint(tb[TCPFO_FLOW_A_L2_ISN], f.l2_isn, "L2_ISN");
	get_uint(tb[TCPFO_FLOW_A_SERVER_ISN], f.server_isn, "SERVER_ISN");
	get_uint(tb[TCPFO_FLOW_A_L1_MSS], f.l1_mss, "L1_MSS");
	get_uint(tb[TCPFO_FLOW_A_L2_MSS], f.l2_mss, "L2_MSS");
	get_uint(tb[TCPFO_FLOW_A_L1_WSCALE], f.l1_wscale, "L1_WSCALE");
	get_uint(tb[TCPFO_FLOW_A_L2_WSCALE], f.l2_wscale, "L2_WSCALE");
	get_uint(tb[TCPFO_FLOW_A_L1_OPTS], f.l1_opts, "L1_OPTS");
	get_uint(tb[TCPFO_FLOW_A_L2_OPTS], f.l2_opts, "L2_OPTS");
	get_uint(tb[TCPFO_FLOW_A_RELEASED_C2S], f.released_c2s, "RELEASED_C2S");
	get_uint(tb[TCPFO_FLOW_A_RELEASED_S2C], f.released_s2c, "RELEASED_S2C");
	get_uint(tb[TCPFO_FLOW_A_HELD_C2S], f.held_c2s, "HELD_C2S");
	get_uint(tb[TCPFO_FLOW_A_HELD_S2C], f.held_s2c, "HELD_S2C");
	get_uint(tb[TCPFO_FLOW_A_FIN_C2S], f.fin_c2s, "FIN_C2S");
	get_uint(tb[TCPFO_FLOW_A_FIN_S2C], f.fin_s2c, "FIN_S2C");
	get_uint(tb[TCPFO_FLOW_A_IDLE_MS], f.idle_ms, "IDLE_MS");
	get_uint(tb[TCPFO_FLOW_A_ID], f.id, "ID");
	f.standby = tb[TCPFO_FLOW_A_STANDBY] != nullptr;
	get_uint(tb[TCPFO_FLOW_A_L1_RIGHT_EDGE], f.l1_right_edge, "L1_RIGHT_EDGE");
	get_uint(tb[TCPFO_FLOW_A_L2_RIGHT_EDGE], f.l2_right_edge, "L2_RIGHT_EDGE");
	get_uint(tb[TCPFO_FLOW_A_L1_TS_SENT], f.l1_ts_sent, "L1_TS_SENT");
	get_uint(tb[TCPFO_FLOW_A_L2_TS_SENT], f.l2_ts_sent, "L2_TS_SENT");
	get_uint(tb[TCPFO_FLOW_A_L1_TS_RECENT], f.l1_ts_recent, "L1_TS_RECENT");
	get_uint(tb[TCPFO_FLOW_A_L2_TS_RECENT], f.l2_ts_recent, "L2_TS_RECENT");
	f.locked = tb[TCPFO_FLOW_A_LOCKED] != nullptr;
	f.fenced = tb[TCPFO_FLOW_A_FENCED] != nullptr;
	f.l1_seen = get_seen(tb[TCPFO_FLOW_A_L1_SEEN], "L1_SEEN");
	f.l2_seen = get_seen(tb[TCPFO_FLOW_A_L2_SEEN], "L2_SEEN");
	return f;
}

} // namespace tcpfo
