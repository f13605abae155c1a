// SPDX-License-Identifier: GPL-2.0
#include "FileLimit.hpp"

#include <cerrno>
#include <system_error>

namespace tcpfo {

rlim_t raise_open_file_limit()
{
	rlimit lim{};
	if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
		throw std::system_error(errno, std::system_category(),
					"getrlimit(RLIMIT_NOFILE)");
	if (lim.rlim_cur < lim.rlim_max) {
		rlimit raised = lim;
		raised.rlim_cur = lim.rlim_max;
		// Refused only in odd sandboxes: keep what we have.
		if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
			lim = raised;
	}
	return lim.rlim_cur;
}

} // namespace tcpfo
