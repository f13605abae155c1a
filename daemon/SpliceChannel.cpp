// SPDX-License-Identifier: GPL-2.0
#include "SpliceChannel.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace tcpfo {

namespace {

constexpr unsigned splice_flags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;

} // namespace

SpliceChannel::SpliceChannel(std::uint64_t pipe_size)
{
	int ends[2];
	if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0)
		throw std::system_error(errno, std::system_category(), "pipe2");
	read_end_.reset(ends[0]);
	write_end_.reset(ends[1]);

	int granted = ::fcntl(write_end_.get(), F_SETPIPE_SZ, static_cast<int>(pipe_size));
	requested_size_ok_ = granted >= 0;
	if (granted < 0)
		granted = ::fcntl(write_end_.get(), F_GETPIPE_SZ);
	if (granted <= 0)
		throw std::system_error(errno, std::system_category(),
					"F_GETPIPE_SZ");
	capacity_ = static_cast<std::size_t>(granted);
}

SpliceChannel::Result SpliceChannel::pump(int source, int sink, std::uint64_t budget)
{
	Result r;
	auto fail = [&](Side side, int err) {
		r.error = err;
		r.failed = side;
		return r;
	};

	for (;;) {
		bool progress = false;

		if (!source_eof_ && source_readable_ && !pipe_may_be_full_ &&
		    buffered_ < capacity_) {
			ssize_t n = ::splice(source, nullptr, write_end_.get(), nullptr,
					     capacity_ - buffered_, splice_flags);
			if (n > 0) {
				buffered_ += static_cast<std::uint64_t>(n);
				progress = true;
			} else if (n == 0) {
				source_eof_ = true;
				progress = true;
			} else if (errno == EAGAIN) {
				if (buffered_ == 0)
					source_readable_ = false;
				else
					pipe_may_be_full_ = true;
			} else if (errno != EINTR) {
				return fail(Side::source, errno);
			}
		}

		if (buffered_ > 0 && sink_connected_ && sink_writable_) {
			ssize_t n = ::splice(read_end_.get(), nullptr, sink, nullptr,
					     buffered_, splice_flags);
			if (n > 0) {
				buffered_ -= static_cast<std::uint64_t>(n);
				r.moved += static_cast<std::uint64_t>(n);
				pipe_may_be_full_ = false;
				progress = true;
			} else if (n < 0 && errno == EAGAIN) {
				sink_writable_ = false;
			} else if (n < 0 && errno != EINTR) {
				return fail(Side::sink, errno);
			}
		}

		if (source_eof_ && buffered_ == 0 && sink_connected_ && !sink_shut_) {
			if (::shutdown(sink, SHUT_WR) != 0)
				return fail(Side::sink, errno);
			sink_shut_ = true;
		}

		if (!progress)
			return r;
		if (r.moved >= budget) {
			r.more = true;
			return r;
		}
	}
}

} // namespace tcpfo
