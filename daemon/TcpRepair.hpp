// SPDX-License-Identifier: GPL-2.0
// Recreating one end of an established TCP connection with TCP_REPAIR: the
// building block of a takeover (see "Failover" in DESIGN.md and
// KERNEL-NOTES.md section 6 for the order and its traps).
#pragma once

#include "Sockets.hpp"
#include "UniqueFd.hpp"

#include <cstdint>
#include <optional>

namespace tcpfo {

// What a new socket needs to carry on a connection. Sequence numbers are
// absolute; both queues of the new socket start empty (every byte past
// snd_nxt and rcv_nxt is still in its sender's hands).
struct RepairState {
	Endpoint local, peer;
	std::uint32_t snd_nxt = 0;	// the next byte we send; all before it acked
	std::uint32_t rcv_nxt = 0;	// the next byte we expect from the peer
	std::uint16_t mss = 0;		// the peer's MSS option (what we may send)
	struct WindowScale {
		std::uint8_t snd = 0;	// the peer's: scales the windows it sends
		std::uint8_t rcv = 0;	// ours: scales the windows we send
	};
	std::optional<WindowScale> wscale;
	bool sack = false;
	bool timestamps = false;
	std::uint32_t tsval = 0;	// TSval of our next segment (timestamps)
	std::uint32_t snd_wnd = 0;	// the peer's last window, bytes from snd_nxt
	std::uint32_t rcv_wnd = 0;	// our last window, bytes from rcv_nxt
};

// Reads a live established socket's state; puts it in repair mode, so the
// caller must close it (close_silently) or turn repair off. Throws if a
// queue is not empty (those bytes would be lost) or the socket is not
// established.
RepairState capture_repair_state(int fd);

// A new established socket in non-blocking mode with @s's state, out of
// repair mode without a window probe (TCP_REPAIR_OFF_NO_WP): it sends
// nothing until it has something to send or acknowledge. Throws
// std::system_error naming the step that failed.
UniqueFd restore_socket(const RepairState &s);

// Makes an established socket send one ACK now: repair mode on and off
// again (TCP_REPAIR_OFF sends a window probe: an old sequence number and
// our rcv_nxt). The peer learns where we are; an acknowledgement that
// advances its snd_una prompts its retransmission at once instead of at
// its next retransmission timeout.
void prompt_peer(int fd);

// A restored socket whose peer has its FIN starts just before it (at the
// FIN's sequence number): this sends the FIN again, at its place, so that
// the peer's acknowledgement of it (beyond snd_nxt until then: Linux
// drops such segments, data included) is accepted. Throws
// std::system_error.
void shut_down_write(int fd);

// Closes without a FIN or an RST: the socket goes into repair mode first.
void close_silently(UniqueFd &fd) noexcept;

} // namespace tcpfo
