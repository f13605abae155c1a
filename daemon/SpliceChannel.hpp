// SPDX-License-Identifier: GPL-2.0
// SpliceChannel: one direction of a relayed flow. Bytes go from the source
// socket into a pipe and from the pipe into the sink socket with splice(2),
// never through user memory; once the source's FIN has been read and the
// pipe is drained, the sink gets its FIN (shutdown SHUT_WR). Meant for
// edge-triggered epoll: the caller reports readiness edges, the channel
// remembers what would block and does not retry it until told.
#pragma once

#include "UniqueFd.hpp"

#include <cstddef>
#include <cstdint>

namespace tcpfo {

class SpliceChannel {
public:
	// Which socket a failure came from.
	enum class Side { source, sink };

	struct Result {
		std::uint64_t moved = 0; // bytes written to the sink
		int error = 0;		 // errno of a failed socket, or 0
		Side failed = Side::source;
		bool more = false;	 // stopped at the budget, not blocked
	};

	// A pipe of `pipe_size` bytes if the kernel grants it (pipe-max-size
	// and per-user pipe limits apply), else of its default size. Throws
	// std::system_error (EMFILE, ENFILE, ...) if no pipe can be made.
	explicit SpliceChannel(std::uint64_t pipe_size);

	// Whether F_SETPIPE_SZ gave the size asked for.
	bool has_requested_size() const noexcept { return requested_size_ok_; }

	// Readiness edges: the source may have data or its FIN (EPOLLIN,
	// EPOLLRDHUP, EPOLLHUP, EPOLLERR); the sink may take more (EPOLLOUT).
	void source_ready() noexcept
	{
		source_readable_ = true;
		pipe_may_be_full_ = false;
	}
	void sink_ready() noexcept { sink_writable_ = true; }
	// Until called, nothing is written to the sink and it is not shut
	// down: its connect() is still under way.
	void sink_connected() noexcept { sink_connected_ = true; }
	// At a takeover: the source's FIN was read and passed on before this
	// channel existed (the sink's peer has it), and the takeover has shut
	// the new sink down already, which repeated that FIN at its place.
	void source_finished_before() noexcept
	{
		source_eof_ = true;
		sink_shut_ = true;
	}

	// Moves what it can without blocking, stopping after about `budget`
	// bytes so that other flows get their turn.
	Result pump(int source, int sink, std::uint64_t budget);

	bool source_ended() const noexcept { return source_eof_; }
	// The source's FIN was passed on: this direction is done.
	bool finished() const noexcept { return sink_shut_; }
	std::uint64_t buffered() const noexcept { return buffered_; }

private:
	UniqueFd read_end_;
	UniqueFd write_end_;
	std::size_t capacity_ = 0;
	bool requested_size_ok_ = false;

	std::uint64_t buffered_ = 0; // in the pipe
	bool source_readable_ = true;
	// splice() into a pipe also says EAGAIN when the pipe has no free
	// slot, which can happen well below capacity_ bytes (each slot holds
	// one skb fragment). So an EAGAIN with bytes in the pipe is not proof
	// that the source is empty: retry once the sink has taken some.
	bool pipe_may_be_full_ = false;
	bool source_eof_ = false;
	bool sink_connected_ = false;
	bool sink_writable_ = false;
	bool sink_shut_ = false;
};

} // namespace tcpfo
