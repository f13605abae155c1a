// SPDX-License-Identifier: GPL-2.0
// GenlSocket: one generic netlink socket (libnl) and the request/reply
// exchange on it, with the kernel's errors turned into KernelError carrying
// errno and the extended-ack message. Knows nothing about tcpfo itself.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

struct nl_sock;
struct nl_msg;

namespace tcpfo {

// The kernel refused a request: code() is its errno, detail() the extended
// ack text (or a hint when the kernel sent none).
class KernelError : public std::system_error {
public:
	KernelError(int errnum, std::string context, std::string detail);

	// What was being done, e.g. "adding service 'web'".
	const std::string &context() const noexcept { return context_; }
	const std::string &detail() const noexcept { return detail_; }
	const char *what() const noexcept override { return message_.c_str(); }

private:
	std::string context_;
	std::string detail_;
	std::string message_;
};

// What an NLMSG_ERROR or NLMSG_DONE message says beyond the errno:
// NLMSGERR_ATTR_MSG, or a note on a missing attribute. Empty if nothing.
std::string extack_text(const nlmsghdr *msg);

struct NlMsgDeleter {
	void operator()(nl_msg *msg) const noexcept;
};
using NlMsg = std::unique_ptr<nl_msg, NlMsgDeleter>;

class GenlSocket {
public:
	// Connects to NETLINK_GENERIC with extended acks on.
	GenlSocket();
	~GenlSocket();
	GenlSocket(GenlSocket &&) noexcept;
	GenlSocket &operator=(GenlSocket &&) noexcept;

	// The family's id, or nullopt if no such family is registered.
	std::optional<int> resolve_family(const char *name);

	// A request header for `cmd` of `family`; add attributes, then pass
	// it to transact(). `flags` is 0 or NLM_F_DUMP.
	static NlMsg request(int family, std::uint8_t cmd,
			     std::uint8_t version, int flags = 0);

	// Sends `request` and hands every reply message to `on_reply`
	// (which may throw) until the kernel acknowledges or ends the dump.
	// A refused request throws KernelError("context: reason").
	void transact(NlMsg request, std::string_view context,
		      const std::function<void(const nlmsghdr *)> &on_reply);

private:
	struct SockDeleter {
		void operator()(nl_sock *sock) const noexcept;
	};
	std::unique_ptr<nl_sock, SockDeleter> sock_;
};

} // namespace tcpfo
