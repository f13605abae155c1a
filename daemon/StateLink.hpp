// SPDX-License-Identifier: GPL-2.0
// StateLink: the authenticated TCP connection between the two failoverd.
// The primary connects to peer.address, the standby listens on
// peer.listen. After the hellos (StateWire.hpp), the primary sends a full
// sync of its tracked flows, then what changes (new flows in full, moved
// points as deltas, removals), batched per doorbell of the module; the
// standby stores every flow in its module (TCPFO_CMD_FLOW_IMPORT) and acks
// each batch. Both send heartbeats; a peer silent for interval x misses,
// or any malformed, unauthenticated or out-of-order frame, closes the
// link with a logged reason. The primary reconnects (and resyncs in full);
// the standby keeps what it stored until a new full sync replaces it.
#pragma once

#include "Config.hpp"
#include "EventLoop.hpp"
#include "KernelLink.hpp"
#include "Logger.hpp"
#include "ProbeResponder.hpp"
#include "Replication.hpp"
#include "StateWire.hpp"
#include "TimerQueue.hpp"
#include "UniqueFd.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tcpfo {

class StateLink {
public:
	struct Counters {
		std::uint64_t connects = 0;	// sessions established
		std::uint64_t closed = 0;	// sessions ended (any reason)
		std::uint64_t refused = 0;	// protocol errors
		std::uint64_t full_syncs = 0;
		std::uint64_t frames_sent = 0, frames_received = 0;
		std::uint64_t bytes_sent = 0, bytes_received = 0;
		std::uint64_t flows_sent = 0, deltas_sent = 0, removed_sent = 0;
	};

	// Starts listening (standby) or connecting (primary). Needs
	// config.peer.key and the role's endpoint; throws std::runtime_error
	// if the listener cannot be set up.
	// epoch: this node's (see Daemon); a standby adopts its primary's.
	// A primary with peer.listen also listens there, to answer a
	// starting node's probe (probe_peer) with its role and epoch.
	// listener: a socket already listening on peer.listen to use instead
	// of a new one (a takeover hands the standby's on, so a connection
	// on its way is never refused).
	StateLink(EventLoop &loop, TimerQueue &timers, Logger &log,
		  const Config &config, std::uint64_t epoch, UniqueFd listener = {});
	// With the link's thread stopped: the listening socket, no longer
	// watched (invalid if none).
	UniqueFd take_listener();
	// Before the link's thread runs: probes a takeover's responder
	// accepted and could not answer yet (their hello had not come); a
	// primary answers them, a standby closes them.
	void adopt_probes(std::vector<ProbeResponder::Pending> probes);
	~StateLink();
	StateLink(const StateLink &) = delete;
	StateLink &operator=(const StateLink &) = delete;

	bool established() const noexcept { return session_; }

	// What `tcpfoctl peer` shows: this node's side of the link.
	struct PeerInfo {
		std::string role, mode, link, peer_node;
		std::optional<bool> is_protected;	// sync primary only
		// The full sync of this session is complete (primary: acked by
		// the standby; standby: received and stored).
		bool synced = false;
		std::optional<std::uint64_t> heartbeat_age_ms;
		std::uint64_t epoch = 0;
		std::uint64_t lag_frames = 0, lag_flows = 0, lag_bytes = 0;
		std::size_t standby_flows = 0;	// standby: flows stored
	};
	// From any thread: a snapshot the link's thread refreshes after
	// every event it handles.
	PeerInfo info() const;
	// Standby: called on the link's thread when the primary of a synced
	// session goes silent past heartbeat.interval x misses or drops the
	// link (its host died, or its failoverd): the reason for the log,
	// and whether it went silent (rather than closing the connection).
	// The third argument names the silence: the primary's last frame
	// (steady clock, ns), as on_primary_suspect gave it.
	void on_primary_lost(
		std::function<void(const std::string &, bool, std::uint64_t)> callback)
	{
		primary_lost_ = std::move(callback);
	}
	// Standby: called on the link's thread once per silence, when the
	// primary of a synced session has been silent long enough that the
	// front segment can be checked (one interval) before it counts as
	// lost: from interval x (misses - 2), at least one interval. The
	// argument names the silence (the primary's last frame, steady
	// clock, ns); on_primary_lost gives the same if it ends in a loss.
	void on_primary_suspect(std::function<void(std::uint64_t)> callback)
	{
		primary_suspect_ = std::move(callback);
	}
	// Standby, with the link's thread stopped: per stored flow, how long
	// ago (ms, on the primary's clock as mapped by its heartbeats) the
	// primary read the TSvals it replicated. Empty before a heartbeat.
	std::map<std::uint64_t, std::uint64_t> ts_sample_ages_ms() const;
	// Standby, with the link's thread stopped: up to @n stored flows
	// whose released points the primary's deltas moved, the most recent
	// mover first (a takeover resumes them before the others).
	std::vector<std::uint64_t> recently_moved(std::size_t n) const;
	std::size_t stored_count() const noexcept { return stored_.size(); }
	// Any thread: the link's thread is about to be stopped (a takeover
	// waits for it): a read in progress ends at the next frame.
	void request_stop() noexcept { stop_requested_ = true; }

	// Switchover, all on the link's thread. Standby: asks the primary to
	// hand its flows over (false without a synced session); the primary's
	// HANDOVER frame then calls on_handover(its epoch), and the link
	// closing after it is no loss of the primary.
	bool request_handover();
	void on_handover(std::function<void(std::uint64_t)> callback)
	{
		handover_ = std::move(callback);
	}
	// Primary: the standby asked for the flows...
	void on_handover_request(std::function<void()> callback)
	{
		handover_request_ = std::move(callback);
	}
	// ... and, once they are let go of, is told to take over; true once
	// the frame is in the kernel's hands.
	bool send_handover();
	// Primary, before letting go of the flows: nothing more is
	// replicated (their removal here must not reach the standby).
	void freeze() noexcept { frozen_ = true; }
	// Primary: a primary with a higher epoch exists (it answered our
	// connection or probed us): this node must stop serving.
	void on_newer_primary(std::function<void(const std::string &, std::uint64_t)> cb)
	{
		newer_primary_ = std::move(cb);
	}
	Counters counters_snapshot() const;
	const Counters &counters() const noexcept { return counters_; }
	// Frames sent but not acknowledged by the standby (primary).
	std::uint64_t lag_frames() const noexcept
	{
		return encoder_ ? encoder_->last_seq() - acked_ : 0;
	}

private:
	void listen_start(UniqueFd listener = {});
	void on_accept();
	void connect_start();
	// Refreshes the snapshot info() returns when the handler it lives in
	// ends, however it ends.
	struct PublishAfter {
		StateLink *self;
		~PublishAfter() { self->publish(); }
	};
	void on_io(std::uint32_t events);
	bool read_input();
	bool input_waiting() const;
	void on_connected();
	enum class Gone { no, closed, silent };
	// gone: the peer closed the connection or went silent.
	void close_link(const std::string &reason, bool error, Gone gone = Gone::no);
	void send(wire::FrameType type, const std::vector<std::uint8_t> &payload);
	void send_hello();
	void flush();
	void on_frame(const wire::Frame &f);
	void on_hello(const wire::Frame &f);
	void heartbeat_tick();
	// Primary.
	void sync(bool full);
	void send_changes(const ChangeTracker::Changes &c);
	// Standby.
	void store(const wire::FlowRecord &r);
	// Sync mode: the module waits for the standby only while protected.
	void set_protected(bool on);
	void on_ack(std::uint64_t seq);
	void forget(std::uint64_t id);
	// Primary: a starting node's probe on our listener.

	EventLoop &loop_;
	TimerQueue &timers_;
	Logger &log_;
	const bool primary_;
	const std::string node_;
	const wire::LinkMode mode_;
	const wire::Key psk_;
	const std::optional<Endpoint> listen_, address_;
	const std::chrono::microseconds interval_;
	// A peer silent this long is gone: interval x misses, or on the
	// primary peer.timeout if set (it then goes unprotected).
	const std::chrono::microseconds silence_limit_;

	KernelLink kernel_;
	std::unique_ptr<FlowEvents> events_;
	UniqueFd listener_;
	std::optional<ProbeResponder> responder_;	// primary
	UniqueFd conn_;
	bool connecting_ = false;
	bool session_ = false;
	bool hello_sent_ = false;
	wire::Nonce nonce_{};
	std::optional<wire::FrameEncoder> encoder_;
	std::optional<wire::FrameDecoder> decoder_;
	std::vector<std::uint8_t> out_;
	std::size_t out_pos_ = 0;
	std::uint64_t acked_ = 0;
	std::chrono::steady_clock::time_point last_heard_;
	std::optional<TimerQueue::Id> heartbeat_timer_, retry_timer_;

	ChangeTracker tracker_;			// primary
	// Sync mode: released points each unacknowledged frame carried.
	struct Inflight {
		std::uint64_t seq;
		std::size_t bytes;
		std::vector<KernelLink::Confirm> points;
	};
	std::deque<Inflight> inflight_;
	std::string peer_node_;
	std::optional<std::chrono::steady_clock::time_point> last_heartbeat_;
	std::uint64_t full_end_seq_ = 0;	// the full sync's last frame
	bool protected_ = false;
	std::map<std::uint64_t, wire::FlowRecord> stored_;	// standby
	std::atomic<bool> stop_requested_ = false;
	// Standby: when a delta last moved a stored flow's released points.
	std::map<std::uint64_t, std::chrono::steady_clock::time_point> moved_at_;
	std::optional<std::int64_t> peer_clock_offset_ns_;	// standby
	std::function<void(const std::string &, bool, std::uint64_t)> primary_lost_;
	std::function<void(std::uint64_t)> primary_suspect_;
	// Standby: the silence on_primary_suspect was called for, and the
	// timer that ends a silence at exactly silence_limit_ (ticks come
	// only every interval).
	std::uint64_t suspected_ = 0;
	std::optional<TimerQueue::Id> deadline_timer_;
	std::optional<TimerQueue::Id> read_timer_;
	bool salvaging_ = false;	// reading what is left after a failed send
	std::uint64_t silence_id() const noexcept;
	void check_silence();
	std::uint64_t ticks_ = 0;
	std::uint64_t epoch_ = 0;
	bool handed_over_ = false;	// standby: the primary handed over
	bool frozen_ = false;		// primary: handing over
	std::function<void(std::uint64_t)> handover_;
	std::function<void()> handover_request_;
	std::function<void(const std::string &, std::uint64_t)> newer_primary_;
	// Group commit: up to batches_in_flight() batches go out
	// unacknowledged (sync: 4, releases wait for them; async: 1, nothing
	// waits, so gather more and spend less CPU); beyond that, changes
	// gather and go out when an ack returns (no fixed timer).
	// batch_ends_: the last frame of each batch in flight.
	std::size_t batches_in_flight() const
	{
		return mode_ == wire::LinkMode::sync ? 4 : 1;
	}
	std::deque<std::uint64_t> batch_ends_;
	bool sync_pending_ = false;
	void sync_or_gather();
	bool in_full_ = false;
	bool full_done_ = false;	// standby: this session's full sync stored
	// A full sync completed in some session of this link: what is stored
	// is worth a takeover even while a later session resyncs (a primary
	// that dies then is judged as in a synced session, not ignored).
	bool ever_synced_ = false;
	// With a front interface the owner checks the front before a
	// takeover. A loss during a resync is judged only then: without
	// one, a live primary closing a resyncing link (it found this
	// standby silent under load) would make it take over at once.
	bool front_check_ = false;
	// Whether a loss of the primary now is judged (close_link, check_silence).
	bool loss_judged() const noexcept { return full_done_ || (ever_synced_ && front_check_); }
	std::chrono::steady_clock::time_point full_started_;
	std::set<std::uint64_t> seen_in_full_;
	Counters counters_;

	PeerInfo compute_info() const;
	void publish();
	mutable std::mutex snapshot_lock_;
	PeerInfo info_snapshot_;
	Counters counters_snapshot_;
};

// What a peer says of itself when a starting primary probes it.
struct PeerHello {
	std::string node;
	bool primary = false;
	std::uint64_t epoch = 0;
};
// A node about to start as primary asks its peer (peer.address) who it
// is, waiting at most timeout: nullopt if nobody answers. A peer that is
// primary answers with its epoch (and keeps serving); a standby answers as
// well, then sees the connection close (no session started).
std::optional<PeerHello> probe_peer(const Config &config, std::uint64_t epoch,
				    std::chrono::milliseconds timeout);

// For the log: "sessions 1, closed 0, ...".
std::string to_string(const StateLink::Counters &c);

} // namespace tcpfo
