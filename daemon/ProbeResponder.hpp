// SPDX-License-Identifier: GPL-2.0
// ProbeResponder: answers a starting node's probe (probe_peer in
// StateLink.hpp) with this node's role (primary), mode and epoch, so a node
// configured as primary that finds a newer primary starts as standby. The
// primary's state link hands it the connections its listener accepts; a
// standby taking over runs one on its own listener while its state link is
// stopped, so a node that comes back during a takeover finds the new
// primary at once (rather than a refused connection).
#pragma once

#include "Address.hpp"
#include "EventLoop.hpp"
#include "Logger.hpp"
#include "StateRecords.hpp"
#include "StateWire.hpp"
#include "UniqueFd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tcpfo {

// A listening TCP socket on `at` (SO_REUSEADDR, freebind, backlog 4).
// Throws std::system_error naming `what` and the address.
UniqueFd listen_socket(const Endpoint &at, const std::string &what);

class ProbeResponder {
public:
	ProbeResponder(EventLoop &loop, Logger &log, const wire::Key &psk, std::string node,
		       wire::LinkMode mode, std::uint64_t epoch);
	~ProbeResponder();
	ProbeResponder(const ProbeResponder &) = delete;
	ProbeResponder &operator=(const ProbeResponder &) = delete;

	// Accepts probes on a listening socket (one a stopped state link
	// gave up, so connections on their way are kept), or on a new one
	// on `at` if it is invalid (throws as listen_socket).
	void listen(UniqueFd listener, const Endpoint &at);
	// The listening socket, no longer watched, for the next state link.
	UniqueFd take_listener();
	// An accepted probe whose hello has not come yet: its connection
	// and what was read of it.
	struct Pending {
		UniqueFd fd;
		wire::FrameDecoder decoder;
		std::chrono::steady_clock::time_point since;
	};
	// Takes one connection accepted elsewhere.
	void adopt(UniqueFd fd);
	// Takes a probe another responder accepted (take_pending).
	void adopt(Pending p);
	// The probes still waiting for their hello, no longer watched: a
	// responder that goes hands them to the next one (the state link's),
	// which answers them when their hello comes. Closing them would
	// reset the asking node's connection, and it would have to ask again.
	std::vector<Pending> take_pending();
	// Drops the probes that sent no hello within 2 s.
	void expire();
	// Answers every accepted probe whose hello has arrived (before this
	// responder goes: closing it unanswered would reset it, and the
	// asking node would have to ask again).
	void answer_pending();
	// Called when a probing node says it starts as primary of a newer
	// epoch than ours (after it got our answer).
	void on_newer_primary(std::function<void(const std::string &, std::uint64_t)> cb)
	{
		newer_primary_ = std::move(cb);
	}

private:
	void on_accept();
	void on_probe(int key);

	EventLoop &loop_;
	Logger &log_;
	const wire::Key psk_;
	const std::string node_;
	const wire::LinkMode mode_;
	const std::uint64_t epoch_;
	UniqueFd listener_;
	std::map<int, Pending> probes_;
	std::function<void(const std::string &, std::uint64_t)> newer_primary_;
};

} // namespace tcpfo
