// SPDX-License-Identifier: GPL-2.0
// Relay: the byte-preserving TCP proxy of failoverd. Listens on each
// service's VIP:port, connects every accepted client to the backend from
// the service's back address, tells the module which server leg belongs to
// which client leg (before connect(), so the module sees L2's SYN), and
// splices bytes both ways on the event loop (RelayFlow, SpliceChannel).
#pragma once

#include "EventLoop.hpp"
#include "FlowApi.hpp"
#include "LogRateLimit.hpp"
#include "Logger.hpp"
#include "RelayFlow.hpp"
#include "RelaySettings.hpp"
#include "Service.hpp"
#include "TimerQueue.hpp"
#include "UniqueFd.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tcpfo {

// Every accepted connection ends up in exactly one of closed, reset,
// backend_failed and dropped, or is still active.
struct RelayCounters {
	std::uint64_t accepted = 0;
	std::uint64_t active = 0;
	std::uint64_t closed = 0;	  // both FINs passed on, or daemon stop
	std::uint64_t reset = 0;	  // a leg failed; the other was reset
	std::uint64_t backend_failed = 0; // refused, unreachable, timed out
	std::uint64_t dropped = 0;	  // no descriptors or ports left
	std::uint64_t bytes_c2s = 0;
	std::uint64_t bytes_s2c = 0;
	std::uint64_t taken_over = 0;	  // adopted at a takeover (not accepted)
	std::uint64_t handed_over = 0;	  // given to the peer at a switchover
};

// "accepted 3, active 1, closed 1, reset 0, ..." for the log.
std::string to_string(const RelayCounters &counters);

class Relay {
public:
	// Ignores SIGPIPE process-wide: splice(2) into a socket has no
	// MSG_NOSIGNAL, and a peer that vanished must not kill the daemon.
	Relay(EventLoop &loop, FlowApi &kernel, Logger &log, RelaySettings settings);
	~Relay();
	Relay(const Relay &) = delete;
	Relay &operator=(const Relay &) = delete;

	// Listens for exactly these services: opens listeners for new
	// VIP:ports, closes those no longer wanted (their flows carry on),
	// and takes a changed backend for the next connections. A listener
	// that cannot be opened is logged; returns false if any could not.
	bool set_services(const std::vector<Service> &services);

	// Applies to flows accepted from now on.
	void set_settings(const RelaySettings &settings) { settings_ = settings; }

	// Stops accepting and closes every flow normally (FIN both ways;
	// the module is told to let go first). For a daemon stop.
	void stop() noexcept;

	// A switchover: every flow's sockets are closed without a FIN or an
	// RST and the module forgets them (the peer takes them over); the
	// listeners stay. Returns how many flows went.
	std::size_t hand_over() noexcept;

	// Relays a flow whose two sockets were recreated at a takeover
	// (established, nonblocking, tracked by the module already). Throws
	// if it cannot be watched; the sockets are then closed silently by
	// the caller's handles only if they were not moved in.
	void adopt(const std::string &service, const FlowPair &tuples,
		   UniqueFd client, UniqueFd server, bool c2s_fin_passed = false,
		   bool s2c_fin_passed = false);

	RelayCounters counters() const noexcept;

	// Where the listener of `service` is bound (the port the kernel
	// chose if the service says 0), or nullopt if it has none.
	std::optional<Endpoint> listening_on(std::string_view service) const;

private:
	struct Listener {
		Service service;
		Endpoint bound;
		UniqueFd fd;
	};

	using FlowId = std::uint64_t;
	struct Entry {
		std::unique_ptr<RelayFlow> flow;
		std::optional<TimerQueue::Id> connect_timer;
		// false once FLOW_PAIR said ENOENT: the module does not
		// know the flow, so there is nothing to tell it later.
		bool tracked = true;
		bool pump_deferred = false;
	};
	using Flows = std::unordered_map<FlowId, Entry>;

	std::unique_ptr<Listener> open_listener(const Service &service);
	void watch(Listener &listener);
	void pause_accepting();
	void resume_accepting();
	void on_acceptable(Listener &listener);
	bool shed_one(Listener &listener, int error);

	void start_flow(const Service &service, UniqueFd client);
	void drop(const L1Tuple &l1, UniqueFd client, const std::string &why);
	bool pair(const FlowPair &tuples, const std::string &service);
	void del_flow(const L1Tuple &l1, const std::string &name);

	void on_socket(FlowId id, Leg leg, std::uint32_t events);
	void on_connect_timeout(FlowId id);
	void pump_deferred(FlowId id);
	void settle(Flows::iterator it, const RelayFlow::Outcome &outcome);
	void retire(Flows::iterator it) noexcept;
	void account(std::atomic<std::uint64_t> &ending) noexcept;
	void end_finished(Flows::iterator it);
	void end_failed(Flows::iterator it, Leg leg, int error);
	// our_timeout: relay.connect-timeout ran out (error is ETIMEDOUT).
	void end_backend_failed(Flows::iterator it, int error, bool our_timeout = false);

	EventLoop &loop_;
	FlowApi &kernel_;
	Logger &log_;
	RelaySettings settings_;
	TimerQueue timers_;

	std::vector<std::unique_ptr<Listener>> listeners_;
	bool accepting_paused_ = false;
	bool stopped_ = false;
	// Kept open to be closed when the descriptor table is full: room to
	// accept one connection and close it, rather than leave the
	// listener readable forever.
	UniqueFd reserve_fd_;

	Flows flows_;
	FlowId next_id_ = 0;

	// Read by counters() from any thread.
	struct {
		std::atomic<std::uint64_t> accepted{0}, active{0}, closed{0}, reset{0},
			backend_failed{0}, dropped{0}, bytes_c2s{0}, bytes_s2c{0},
			taken_over{0}, handed_over{0};
	} counters_;

	LogRateLimit untracked_log_;
	LogRateLimit pair_error_log_;
	LogRateLimit resource_log_;
	LogRateLimit pipe_size_log_;
	LogRateLimit backend_log_;
};

} // namespace tcpfo
