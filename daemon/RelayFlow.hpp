// SPDX-License-Identifier: GPL-2.0
// RelayFlow: one relayed connection — the client leg (L1, accepted), the
// server leg (L2, connecting or connected) and a SpliceChannel each way —
// and how it reacts to readiness on either socket. It decides; Relay owns
// it, registers its sockets and carries out the ending it reports.
//
//   connecting --connect ok--> relaying --both FINs passed on--> finished
//        |                        |
//        | refused, timeout       | error or RST on either leg
//        v                        v
//   backend_failed             failed (the other leg is reset)
//
// While connecting, the client's first bytes (and FIN) already fill the
// c2s pipe; nothing is written to the server leg before it is connected.
#pragma once

#include "Flow.hpp"
#include "SpliceChannel.hpp"
#include "UniqueFd.hpp"

#include <cstdint>
#include <string>

namespace tcpfo {

enum class Leg { client, server };

class RelayFlow {
public:
	enum class Phase { connecting, relaying };

	struct Outcome {
		enum class Kind {
			running,	// keep going
			finished,	// both directions passed their FIN on
			failed,		// `leg` failed with `error`
			backend_failed, // connect() to the server failed
		};
		Kind kind = Kind::running;
		Leg leg = Leg::client;
		int error = 0;
		bool connected_now = false; // the server leg just connected
		bool more = false;	    // budget used up: pump again soon
		std::uint64_t moved_c2s = 0;
		std::uint64_t moved_s2c = 0;
	};

	// `client` is accepted, `server` bound and not yet connected; both
	// are nonblocking. The channels are made by the caller, so that a
	// failure to create them leaves the sockets with the caller.
	RelayFlow(std::string service, FlowPair tuples, UniqueFd client,
		  UniqueFd server, SpliceChannel c2s, SpliceChannel s2c);

	const std::string &service() const noexcept { return service_; }
	const FlowPair &tuples() const noexcept { return tuples_; }
	Phase phase() const noexcept { return phase_; }
	int fd(Leg leg) const noexcept
	{
		return leg == Leg::client ? client_.get() : server_.get();
	}
	// Whether both pipes got the configured size.
	bool has_requested_pipe_size() const noexcept;

	// Both legs are established already (sockets recreated at a
	// takeover): relay from now on, no connect(). A direction whose FIN
	// its receiver already has is finished at once (the takeover shut
	// its sink down, which repeated the FIN).
	void resume(bool c2s_fin_passed = false, bool s2c_fin_passed = false) noexcept;

	// Starts the nonblocking connect() to the server. Returns 0, or the
	// errno of an immediate failure (then the flow has backend_failed).
	int connect();

	// Readiness `events` on `leg`'s socket; moves what it can.
	Outcome on_event(Leg leg, std::uint32_t events);
	// Moves what it can (after a budget-limited round).
	Outcome pump();

	// The endings. Each closes both sockets.
	// Both FINs were passed on: plain close().
	void close() noexcept;
	// Best effort to pass on what the pipes hold, then close(): a FIN on
	// each leg (a RST where unread bytes remain). For a daemon stop.
	void flush_and_close() noexcept;
	// RST on both legs.
	void reset() noexcept;
	// Neither FIN nor RST on either leg (repair mode): a switchover.
	void close_silently() noexcept;
	// The server leg is given up (it never came up, or cannot be
	// watched): drop it, and give the client an orderly FIN.
	void abandon() noexcept;

private:
	SpliceChannel &from(Leg leg) noexcept { return leg == Leg::client ? c2s_ : s2c_; }
	SpliceChannel &to(Leg leg) noexcept { return leg == Leg::client ? s2c_ : c2s_; }
	Outcome on_connect_event(std::uint32_t events);

	std::string service_;
	FlowPair tuples_;
	UniqueFd client_;
	UniqueFd server_;
	SpliceChannel c2s_;
	SpliceChannel s2c_;
	Phase phase_ = Phase::connecting;
};

} // namespace tcpfo
