// SPDX-License-Identifier: GPL-2.0
// The open-file limit: every relayed flow costs four descriptors (two
// sockets, two pipes), so failoverd raises its soft limit to the hard one.
#pragma once

#include <sys/resource.h>

namespace tcpfo {

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the soft
// limit now in force. Throws std::system_error if it cannot be read.
rlim_t raise_open_file_limit();

} // namespace tcpfo
