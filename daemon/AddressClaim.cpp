// SPDX-License-Identifier: GPL-2.0
#include "AddressClaim.hpp"

#include "CheckWindow.hpp"
#include "UniqueFd.hpp"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>

namespace tcpfo {

namespace {

[[noreturn]] void fail(int err, const std::string &what)
{
	throw std::system_error(err, std::system_category(), what);
}

unsigned ifindex_of(const std::string &ifname)
{
	const unsigned i = ::if_nametoindex(ifname.c_str());
	if (!i)
		fail(errno, "interface " + ifname);
	return i;
}

struct SockDeleter {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
struct AddrDeleter {
	void operator()(rtnl_addr *a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
	void operator()(nl_addr *a) const { nl_addr_put(a); }
};

// Adds or deletes; returns the libnl error (0, -NLE_EXIST, ...).
int change(const std::string &ifname, const Address &a, bool add)
{
	const std::string what = std::string(add ? "adding " : "removing ") +
				 a.to_string() + (add ? " to " : " from ") + ifname;
	std::unique_ptr<nl_sock, SockDeleter> sock(nl_socket_alloc());
	if (!sock)
		fail(ENOMEM, what);
	if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
		fail(EIO, what + ": " + nl_geterror(err));
	std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
	const auto bytes = a.bytes();
	std::unique_ptr<nl_addr, NlAddrDeleter> local(
		nl_addr_build(a.family(), bytes.data(), bytes.size()));
	if (!addr || !local)
		fail(ENOMEM, what);
	const int prefix = a.family() == AF_INET ? 32 : 128;
	nl_addr_set_prefixlen(local.get(), prefix);
	rtnl_addr_set_ifindex(addr.get(), static_cast<int>(ifindex_of(ifname)));
	rtnl_addr_set_family(addr.get(), a.family());
	if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0)
		fail(EINVAL, what + ": " + nl_geterror(err));
	rtnl_addr_set_prefixlen(addr.get(), prefix);
	if (a.family() == AF_INET6)
		rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
	int err = add ? rtnl_addr_add(sock.get(), addr.get(), NLM_F_EXCL)
		      : rtnl_addr_delete(sock.get(), addr.get(), 0);
	if (err < 0 && err != -NLE_EXIST && err != -NLE_NOADDR &&
	    err != -NLE_OBJ_NOTFOUND)
		fail(err == -NLE_PERM ? EPERM : EIO, what + ": " + nl_geterror(err));
	return err;
}

std::array<std::uint8_t, 6> hwaddr_of(int fd, const std::string &ifname)
{
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
	if (::ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
		fail(errno, "hardware address of " + ifname);
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		fail(EOPNOTSUPP, ifname + " is not an Ethernet interface: nothing to announce");
	std::array<std::uint8_t, 6> mac{};
	std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
	return mac;
}

struct __attribute__((packed)) ArpPacket {
	arphdr h;
	std::uint8_t sha[6], spa[4], tha[6], tpa[4];
};

// An Ethernet/IPv4 ARP request from @mac asking for @target; the sender
// address is @spa (4 bytes), or 0.0.0.0 if null.
ArpPacket arp_request(const std::array<std::uint8_t, 6> &mac, const std::uint8_t *spa,
		      const Address &target)
{
	ArpPacket arp{};
	arp.h.ar_hrd = htons(ARPHRD_ETHER);
	arp.h.ar_pro = htons(ETH_P_IP);
	arp.h.ar_hln = 6;
	arp.h.ar_pln = 4;
	arp.h.ar_op = htons(ARPOP_REQUEST);
	std::memcpy(arp.sha, mac.data(), 6);
	if (spa)
		std::memcpy(arp.spa, spa, 4);
	std::memcpy(arp.tpa, target.bytes().data(), 4);
	return arp;
}

// Where an ARP frame goes on @ifindex: to @mac, or broadcast if null.
sockaddr_ll arp_destination(unsigned ifindex, const std::uint8_t *mac = nullptr)
{
	sockaddr_ll to{};
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = static_cast<int>(ifindex);
	to.sll_halen = 6;
	if (mac)
		std::memcpy(to.sll_addr, mac, 6);
	else
		std::memset(to.sll_addr, 0xff, 6);
	return to;
}

// Closing a packet socket waits for an RCU grace period (packet_release()
// calls synchronize_net()): tens of milliseconds on a busy or emulated
// host, on the takeover path. The sockets that send announcements and ARP
// probes are opened once and kept.
int sending_packet_socket()
{
	static std::mutex m;
	static UniqueFd fd;
	std::lock_guard lock(m);
	// Protocol 0: it receives nothing.
	if (!fd)
		fd = UniqueFd(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!fd)
		fail(errno, "packet socket");
	return fd.get();
}

void announce_v4(const std::string &ifname, const Address &a)
{
	const int fd = sending_packet_socket();
	const auto mac = hwaddr_of(fd, ifname);
	const ArpPacket arp = arp_request(mac, a.bytes().data(), a);
	sockaddr_ll to = arp_destination(ifindex_of(ifname));
	if (::sendto(fd, &arp, sizeof(arp), 0, reinterpret_cast<sockaddr *>(&to),
		     sizeof(to)) < 0)
		fail(errno, "gratuitous ARP for " + a.to_string() + " on " + ifname);
}

void announce_v6(const std::string &ifname, const Address &a)
{
	UniqueFd fd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6));
	if (!fd)
		fail(errno, "neighbour advertisement for " + a.to_string() + ": socket");
	const auto mac = hwaddr_of(fd.get(), ifname);
	const int hops = 255;
	const unsigned ifindex = ifindex_of(ifname);
	if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)))
		fail(errno, "neighbour advertisement for " + a.to_string() + ": setsockopt");
	struct __attribute__((packed)) {
		nd_neighbor_advert na;
		std::uint8_t opt_type, opt_len, lladdr[6];
	} msg{};
	msg.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	msg.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	std::memcpy(&msg.na.nd_na_target, a.bytes().data(), 16);
	msg.opt_type = ND_OPT_TARGET_LINKADDR;
	msg.opt_len = 1;
	std::memcpy(msg.lladdr, mac.data(), 6);
	sockaddr_in6 to{};
	to.sin6_family = AF_INET6;
	to.sin6_scope_id = ifindex;
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	// The kernel fills in the ICMPv6 checksum of raw ICMPv6 sockets.
	if (::sendto(fd.get(), &msg, sizeof(msg), 0, reinterpret_cast<sockaddr *>(&to),
		     sizeof(to)) < 0)
		fail(errno, "neighbour advertisement for " + a.to_string() + " on " + ifname);
}

// Whether @in (@n bytes read from an ETH_P_ARP packet socket) is an ARP
// reply for @vip from a hardware address other than @mac.
bool arp_answer(const ArpPacket &in, ssize_t n, const Address &vip,
		const std::array<std::uint8_t, 6> &mac)
{
	return n == static_cast<ssize_t>(sizeof(in)) && in.h.ar_op == htons(ARPOP_REPLY) &&
	       std::memcmp(in.spa, vip.bytes().data(), 4) == 0 &&
	       std::memcmp(in.sha, mac.data(), 6) != 0;
}

// Whether @in (@n bytes from a raw ICMPv6 socket) is a neighbour
// advertisement for @vip whose target link-layer option, if any, is not
// @mac.
bool na_answer(const std::uint8_t *in, ssize_t n, const Address &vip,
	       const std::array<std::uint8_t, 6> &mac)
{
	if (n < static_cast<ssize_t>(sizeof(nd_neighbor_advert)))
		return false;
	nd_neighbor_advert na;
	std::memcpy(&na, in, sizeof(na));
	if (na.nd_na_type != ND_NEIGHBOR_ADVERT ||
	    std::memcmp(&na.nd_na_target, vip.bytes().data(), 16) != 0)
		return false;
	for (ssize_t off = sizeof(na); off + 8 <= n;) {
		const std::uint8_t type = in[off], len = in[off + 1];
		if (len == 0)
			break;
		if (type == ND_OPT_TARGET_LINKADDR && std::memcmp(in + off + 2, mac.data(), 6) == 0)
			return false;
		off += static_cast<ssize_t>(len) * 8;
	}
	return true;
}

// An ICMPv6 socket that sends neighbour solicitations on @ifname and
// receives only advertisements (hop limit 255, bound to the interface).
UniqueFd nd_socket(const std::string &ifname, unsigned ifindex, const Address &a)
{
	UniqueFd fd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6));
	if (!fd)
		fail(errno, "neighbour solicitation for " + a.to_string() + ": socket");
	const int hops = 255;
	icmp6_filter filter;
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &filter);
	if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) ||
	    ::setsockopt(fd.get(), IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) ||
	    ::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
			 static_cast<socklen_t>(ifname.size())))
		fail(errno, "neighbour solicitation for " + a.to_string() + ": setsockopt");
	return fd;
}

// A packet socket that receives @ifname's ARP frames.
UniqueFd arp_socket(const std::string &ifname, unsigned ifindex, const Address &a)
{
	UniqueFd fd(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP)));
	if (!fd)
		fail(errno, "ARP probe for " + a.to_string() + ": socket");
	sockaddr_ll at{};
	at.sll_family = AF_PACKET;
	at.sll_protocol = htons(ETH_P_ARP);
	at.sll_ifindex = static_cast<int>(ifindex);
	if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&at), sizeof(at)) != 0)
		fail(errno, "ARP probe for " + a.to_string() + ": bind to " + ifname);
	return fd;
}

// A neighbour solicitation for @a from @mac, and where it goes (the
// solicited-node address of @a on @ifindex).
struct NdProbe {
	struct __attribute__((packed)) {
		nd_neighbor_solicit ns;
		std::uint8_t opt_type, opt_len, lladdr[6];
	} msg{};
	sockaddr_in6 to{};
};
NdProbe nd_probe(const Address &a, const std::array<std::uint8_t, 6> &mac, unsigned ifindex)
{
	NdProbe p;
	p.msg.ns.nd_ns_type = ND_NEIGHBOR_SOLICIT;
	std::memcpy(&p.msg.ns.nd_ns_target, a.bytes().data(), 16);
	p.msg.opt_type = ND_OPT_SOURCE_LINKADDR;
	p.msg.opt_len = 1;
	std::memcpy(p.msg.lladdr, mac.data(), 6);
	p.to.sin6_family = AF_INET6;
	p.to.sin6_scope_id = ifindex;
	// ff02::1:ffXX:XXXX, the target's solicited-node address.
	static const std::uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	std::memcpy(p.to.sin6_addr.s6_addr, prefix, sizeof(prefix));
	std::memcpy(p.to.sin6_addr.s6_addr + 13, a.bytes().data() + 13, 3);
	return p;
}

// A check's receiving socket, kept open per interface and family: it
// queues the interface's answers between checks. Those are skipped, but
// an answer that came after a silent check is that check's answer, late.
struct Receiver {
	UniqueFd fd;
	unsigned ifindex = 0;
	bool last_silent = false;	   // the last check found no answer
	CheckWindow::Clock::time_point last_end; // when it ended
};

// One check on @r: @send sends a probe, @answered reads what is queued and
// returns true on an answer. Probes follow @wait's CheckWindow; a stall
// of this process lengthens the window (up to 4 x @wait).
bool run_check(Receiver &r, std::chrono::milliseconds wait, std::chrono::milliseconds recent,
	       AnswerCheck *how, const std::function<void()> &send,
	       const std::function<bool()> &answered)
{
	using Clock = CheckWindow::Clock;
	AnswerCheck local;
	AnswerCheck &h = how ? *how : local;
	h = AnswerCheck{};
	// What came since the last check: a late answer to it if it was
	// silent and ended no longer than @recent ago, else stale.
	const bool late_counts = r.last_silent && recent.count() > 0 &&
				 Clock::now() - r.last_end <= recent;
	if (answered() && late_counts) {
		h.late = true;
		r.last_silent = false;
		r.last_end = Clock::now();
		return true;
	}
	while (answered())
		;
	CheckWindow w(Clock::now(), wait, 4 * wait);
	bool result = false;
	for (int sent = 0;;) {
		const auto now = Clock::now();
		if (w.over(now))
			break;
		if (w.probe_due(sent, now)) {
			send();
			++sent;
		}
		const auto asked = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(
						    w.left(now)),
					    wait / 3);
		const int ms = static_cast<int>(std::max<long>(1, asked.count()));
		pollfd p{r.fd.get(), POLLIN, 0};
		::poll(&p, 1, ms);
		if (answered()) {
			result = true;
			break;
		}
		// The whole round, probe and reads included: longer than the
		// poll asked for is a stall.
		w.slept(now, Clock::now(), std::chrono::milliseconds(ms));
	}
	h.stalled = std::chrono::duration_cast<std::chrono::milliseconds>(w.extended());
	h.stalls = w.stalls();
	r.last_silent = !result;
	r.last_end = Clock::now();
	return result;
}

std::mutex receivers_mutex;
std::map<std::pair<int, std::string>, Receiver> receivers;

// IPv6: neighbour solicitations for @a to its solicited-node multicast
// address (hop limit 255, our source link-layer address); true once a
// neighbour advertisement for @a comes from another hardware address (its
// target link-layer option) or, without that option, from another host.
bool answers_v6(const std::string &ifname, const Address &a, std::chrono::milliseconds wait,
		std::chrono::milliseconds recent, AnswerCheck *how)
{
	std::lock_guard lock(receivers_mutex);
	const unsigned ifindex = ifindex_of(ifname);
	Receiver &r = receivers[{AF_INET6, ifname}];
	if (!r.fd || r.ifindex != ifindex) {
		r = Receiver{};
		r.fd = nd_socket(ifname, ifindex, a);
		r.ifindex = ifindex;
	}
	const int fd = r.fd.get();
	const auto mac = hwaddr_of(fd, ifname);
	const NdProbe probe = nd_probe(a, mac, ifindex);
	auto send = [&] {
		// The kernel fills in the checksum and a source address.
		if (::sendto(fd, &probe.msg, sizeof(probe.msg), 0,
			     reinterpret_cast<const sockaddr *>(&probe.to), sizeof(probe.to)) < 0)
			fail(errno, "neighbour solicitation for " + a.to_string() + " on " + ifname);
	};
	auto answered = [&] {
		std::uint8_t in[1500];
		for (ssize_t n; (n = ::recv(fd, in, sizeof(in), 0)) > 0;)
			if (na_answer(in, n, a, mac))
				return true;
		return false;
	};
	return run_check(r, wait, recent, how, send, answered);
}

} // namespace

std::optional<bool> address_answers(const std::string &ifname, const Address &a,
				    std::chrono::milliseconds wait,
				    std::chrono::milliseconds recent, AnswerCheck *how)
{
	if (a.family() == AF_INET6)
		return answers_v6(ifname, a, wait, recent, how);
	if (a.family() != AF_INET)
		return std::nullopt;
	std::lock_guard lock(receivers_mutex);
	sockaddr_ll at{};
	at.sll_family = AF_PACKET;
	at.sll_protocol = htons(ETH_P_ARP);
	at.sll_ifindex = static_cast<int>(ifindex_of(ifname));
	// Kept open (see sending_packet_socket()).
	Receiver &r = receivers[{AF_INET, ifname}];
	if (!r.fd || r.ifindex != static_cast<unsigned>(at.sll_ifindex)) {
		r = Receiver{};
		r.fd = arp_socket(ifname, static_cast<unsigned>(at.sll_ifindex), a);
		r.ifindex = static_cast<unsigned>(at.sll_ifindex);
	}
	const int fd = r.fd.get();
	const auto mac = hwaddr_of(fd, ifname);
	// RFC 5227 probe: sender address 0.0.0.0 teaches nobody anything.
	const ArpPacket arp = arp_request(mac, nullptr, a);
	sockaddr_ll to = arp_destination(static_cast<unsigned>(at.sll_ifindex));
	auto send = [&] {
		if (::sendto(fd, &arp, sizeof(arp), 0, reinterpret_cast<sockaddr *>(&to),
			     sizeof(to)) < 0)
			fail(errno, "ARP probe for " + a.to_string() + " on " + ifname);
	};
	auto answered = [&] {
		ArpPacket in{};
		for (ssize_t n; (n = ::recv(fd, &in, sizeof(in), 0)) > 0;)
			if (arp_answer(in, n, a, mac))
				return true;
		return false;
	};
	return run_check(r, wait, recent, how, send, answered);
}

FrontProber::FrontProber(const std::string &ifname, const Address &vip)
	: ifname_(ifname), vip_(vip), ifindex_(ifindex_of(ifname))
{
	if (vip.family() == AF_INET6)
		fd_ = nd_socket(ifname, ifindex_, vip);
	else if (vip.family() == AF_INET)
		fd_ = arp_socket(ifname, ifindex_, vip);
	else
		fail(EAFNOSUPPORT, "front poll of " + vip.to_string());
	mac_ = hwaddr_of(fd_.get(), ifname);
}

void FrontProber::send()
{
	if (!answered_)
		holder_known_ = false;	// the last one went unanswered: ask everyone
	answered_ = false;
	if (vip_.family() == AF_INET6) {
		const NdProbe probe = nd_probe(vip_, mac_, ifindex_);
		if (::sendto(fd_.get(), &probe.msg, sizeof(probe.msg), 0,
			     reinterpret_cast<const sockaddr *>(&probe.to), sizeof(probe.to)) < 0)
			fail(errno, "neighbour solicitation for " + vip_.to_string() + " on " + ifname_);
		return;
	}
	const ArpPacket arp = arp_request(mac_, nullptr, vip_);
	// RFC 1122's unicast poll once the holder is known.
	sockaddr_ll to = arp_destination(ifindex_, holder_known_ ? holder_.data() : nullptr);
	if (::sendto(fd_.get(), &arp, sizeof(arp), 0, reinterpret_cast<sockaddr *>(&to),
		     sizeof(to)) < 0)
		fail(errno, "ARP probe for " + vip_.to_string() + " on " + ifname_);
}

bool FrontProber::read_answers()
{
	bool any = false;
	if (vip_.family() == AF_INET6) {
		std::uint8_t in[1500];
		for (ssize_t n; (n = ::recv(fd_.get(), in, sizeof(in), 0)) > 0;)
			any = na_answer(in, n, vip_, mac_) || any;
	} else {
		ArpPacket in{};
		for (ssize_t n; (n = ::recv(fd_.get(), &in, sizeof(in), 0)) > 0;) {
			if (arp_answer(in, n, vip_, mac_)) {
				any = true;
				std::memcpy(holder_.data(), in.sha, 6);
				holder_known_ = true;
			}
		}
	}
	answered_ = answered_ || any;
	return any;
}

bool claim_address(const std::string &ifname, const Address &a)
{
	return change(ifname, a, true) == 0;
}

bool release_address(const std::string &ifname, const Address &a)
{
	return change(ifname, a, false) == 0;
}

void announce_address(const std::string &ifname, const Address &a)
{
	if (a.family() == AF_INET)
		announce_v4(ifname, a);
	else
		announce_v6(ifname, a);
}

} // namespace tcpfo
