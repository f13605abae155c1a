// SPDX-License-Identifier: GPL-2.0
#include "TcpRepair.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace tcpfo {

namespace {

[[noreturn]] void fail(const std::string &what)
{
	throw std::system_error(errno, std::system_category(), "TCP repair: " + what);
}

void set(int fd, int name, const void *v, socklen_t len, const char *what)
{
	if (::setsockopt(fd, IPPROTO_TCP, name, v, len) != 0)
		fail(what);
}

void set_int(int fd, int name, int v, const char *what)
{
	set(fd, name, &v, sizeof(v), what);
}

template <typename T> T get(int fd, int name, const char *what)
{
	T v{};
	socklen_t len = sizeof(v);
	if (::getsockopt(fd, IPPROTO_TCP, name, &v, &len) != 0)
		fail(what);
	return v;
}

std::uint32_t queue_seq(int fd, int queue, const char *what)
{
	set_int(fd, TCP_REPAIR_QUEUE, queue, "TCP_REPAIR_QUEUE");
	return get<std::uint32_t>(fd, TCP_QUEUE_SEQ, what);
}

// Leaving repair mode resets the socket to SK_NO_REUSE (it was forced
// reuse, which let bind() share the listener's address): without
// SO_REUSEADDR, a listener opened later (a restarted failoverd) could not
// bind while this socket or its TIME_WAIT lives.
void allow_reuse(int fd)
{
	const int one = 1;
	if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		fail("SO_REUSEADDR");
}

} // namespace

RepairState capture_repair_state(int fd)
{
	RepairState s;
	s.local = local_endpoint(fd);
	s.peer = peer_endpoint(fd);
	const auto info = get<tcp_info>(fd, TCP_INFO, "TCP_INFO");
	if (info.tcpi_state != TCP_ESTABLISHED) {
		errno = ENOTCONN;
		fail("the socket is not established");
	}
	set_int(fd, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR on");
	// A socket in repair mode still receives: read the sequence numbers,
	// check the queues are empty, and read again; a segment that arrived
	// in between would otherwise be counted in rcv_nxt and lost.
	s.snd_nxt = queue_seq(fd, TCP_SEND_QUEUE, "TCP_QUEUE_SEQ (send)");
	s.rcv_nxt = queue_seq(fd, TCP_RECV_QUEUE, "TCP_QUEUE_SEQ (receive)");
	int outq = 0, inq = 0;
	if (::ioctl(fd, SIOCOUTQ, &outq) != 0 || ::ioctl(fd, SIOCINQ, &inq) != 0)
		fail("reading the queue lengths");
	if (outq || inq ||
	    s.snd_nxt != queue_seq(fd, TCP_SEND_QUEUE, "TCP_QUEUE_SEQ (send)") ||
	    s.rcv_nxt != queue_seq(fd, TCP_RECV_QUEUE, "TCP_QUEUE_SEQ (receive)")) {
		errno = EBUSY;
		fail(std::to_string(outq) + " bytes unacknowledged, " +
		     std::to_string(inq) + " unread, or data arrived meanwhile: "
		     "they would be lost");
	}
	s.sack = info.tcpi_options & TCPI_OPT_SACK;
	s.timestamps = info.tcpi_options & TCPI_OPT_TIMESTAMPS;
	if (info.tcpi_options & TCPI_OPT_WSCALE)
		s.wscale = RepairState::WindowScale{info.tcpi_snd_wscale,
						    info.tcpi_rcv_wscale};
	// tcpi_snd_mss leaves out the timestamp option the MSS option counts.
	s.mss = static_cast<std::uint16_t>(info.tcpi_snd_mss +
					   (s.timestamps ? TCPOLEN_TSTAMP_APPA : 0));
	if (s.timestamps)
		s.tsval = get<std::uint32_t>(fd, TCP_TIMESTAMP, "TCP_TIMESTAMP");
	const auto w = get<tcp_repair_window>(fd, TCP_REPAIR_WINDOW,
					      "TCP_REPAIR_WINDOW");
	s.snd_wnd = w.snd_wnd;
	// Counted from rcv_nxt instead of rcv_wup; never below zero.
	const std::uint32_t used = s.rcv_nxt - w.rcv_wup;
	s.rcv_wnd = w.rcv_wnd > used ? w.rcv_wnd - used : 0;
	return s;
}

UniqueFd restore_socket(const RepairState &s)
{
	UniqueFd fd = tcp_socket(s.local.family());
	const int f = fd.get();
	// Repair mode first: bind() may then share the address with a live
	// listener (SK_FORCE_REUSE) and connect() sends no SYN.
	set_int(f, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR on");
	const SocketAddress local = to_socket_address(s.local);
	if (::bind(f, local.get(), local.length) != 0)
		fail("bind " + s.local.to_string());
	set_int(f, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE (receive)");
	set_int(f, TCP_QUEUE_SEQ, static_cast<int>(s.rcv_nxt), "TCP_QUEUE_SEQ (receive)");
	set_int(f, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE (send)");
	set_int(f, TCP_QUEUE_SEQ, static_cast<int>(s.snd_nxt), "TCP_QUEUE_SEQ (send)");
	set_int(f, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, "TCP_REPAIR_QUEUE (none)");
	// Before connect(): connect() sizes the segments from it; set later
	// (REPAIR_OPTIONS) the socket would send 524-byte segments.
	if (s.mss)
		set_int(f, TCP_MAXSEG, s.mss, "TCP_MAXSEG");
	const SocketAddress peer = to_socket_address(s.peer);
	if (::connect(f, peer.get(), peer.length) != 0)
		fail("connect (repair) to " + s.peer.to_string());

	tcp_repair_opt opts[4];
	unsigned n = 0;
	if (s.mss)
		opts[n++] = {TCPOPT_MAXSEG, s.mss};
	if (s.wscale)
		opts[n++] = {TCPOPT_WINDOW,
			     static_cast<std::uint32_t>(s.wscale->snd) |
				     static_cast<std::uint32_t>(s.wscale->rcv) << 16};
	if (s.sack)
		opts[n++] = {TCPOPT_SACK_PERMITTED, 0};
	if (s.timestamps)
		opts[n++] = {TCPOPT_TIMESTAMP, 0};
	if (n)
		set(f, TCP_REPAIR_OPTIONS, opts, static_cast<socklen_t>(n * sizeof(opts[0])),
		    "TCP_REPAIR_OPTIONS");
	// Without it TSval would restart from this host's clock and the
	// peer's PAWS check would drop every segment.
	if (s.timestamps)
		set_int(f, TCP_TIMESTAMP, static_cast<int>(s.tsval), "TCP_TIMESTAMP");
	// After connect(), which zeroes the windows. snd_wl1 at rcv_nxt lets
	// the peer's next segment update the window.
	tcp_repair_window w{};
	w.snd_wl1 = s.rcv_nxt;
	w.snd_wnd = s.snd_wnd;
	w.max_window = s.snd_wnd;
	w.rcv_wnd = s.rcv_wnd;
	w.rcv_wup = s.rcv_nxt;
	set(f, TCP_REPAIR_WINDOW, &w, sizeof(w), "TCP_REPAIR_WINDOW");
	set_int(f, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, "TCP_REPAIR off");
	allow_reuse(f);
	return fd;
}

void prompt_peer(int fd)
{
	set_int(fd, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR on");
	set_int(fd, TCP_REPAIR, TCP_REPAIR_OFF, "TCP_REPAIR off (window probe)");
	allow_reuse(fd);
}

void shut_down_write(int fd)
{
	if (::shutdown(fd, SHUT_WR) != 0)
		fail("shutdown (the FIN its peer has)");
}

void close_silently(UniqueFd &fd) noexcept
{
	if (!fd)
		return;
	int on = TCP_REPAIR_ON;
	::setsockopt(fd.get(), IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on));
	fd.reset();
}

} // namespace tcpfo
