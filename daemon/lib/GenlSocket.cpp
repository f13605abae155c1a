// SPDX-License-Identifier: GPL-2.0
#include "GenlSocket.hpp"

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <exception>

namespace tcpfo {

namespace {

// libnl reports its own error codes; callers want an errno.
int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_AGAIN:
	case NLE_DUMP_INTR: // the table changed under the dump: dump again
		return EAGAIN;
	case NLE_INTR:
		return EINTR;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_MSG_TRUNC:
	case NLE_MSGSIZE:
		return EMSGSIZE;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_PROTO_MISMATCH:
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_OVERFLOW:
	case NLE_PARSE_ERR:
		return EPROTO;
	default:
		return EIO;
	}
}

[[noreturn]] void throw_nl(int nlerr, std::string_view context)
{
	throw std::system_error(nl_to_errno(nlerr), std::system_category(),
				std::string(context) + ": " + nl_geterror(nlerr));
}

// The errno text, or what an operator should do about it.
std::string reason_for(int errnum, const std::string &detail)
{
	if (errnum == EPERM)
		return "permission denied: CAP_NET_ADMIN required";
	if (!detail.empty())
		return detail;
	return std::strerror(errnum);
}

// Walks netlink attributes in [data, data+len) for the extended ack ones.
std::string parse_extack_tlvs(const unsigned char *data, std::size_t len)
{
	std::string message;
	std::optional<std::uint32_t> missing_type;
	while (len >= sizeof(nlattr)) {
		nlattr attr;
		std::memcpy(&attr, data, sizeof(attr));
		if (attr.nla_len < sizeof(nlattr) || attr.nla_len > len)
			break;
		const unsigned char *payload = data + NLA_HDRLEN;
		std::size_t plen = attr.nla_len - NLA_HDRLEN;
		switch (attr.nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			message.assign(reinterpret_cast<const char *>(payload),
				       strnlen(reinterpret_cast<const char *>(payload), plen));
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (plen >= sizeof(std::uint32_t)) {
				std::uint32_t t;
				std::memcpy(&t, payload, sizeof(t));
				missing_type = t;
			}
			break;
		default:
			break;
		}
		std::size_t step = NLA_ALIGN(attr.nla_len);
		if (step >= len)
			break;
		data += step;
		len -= step;
	}
	if (message.empty() && missing_type)
		message = "missing required attribute " +
			  std::to_string(*missing_type);
	return message;
}

} // namespace

KernelError::KernelError(int errnum, std::string context, std::string detail)
	: std::system_error(errnum, std::system_category(), context),
	  context_(std::move(context)), detail_(std::move(detail)),
	  message_(context_ + ": " + reason_for(errnum, detail_))
{
}

std::string extack_text(const nlmsghdr *msg)
{
	if (!(msg->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    msg->nlmsg_len < NLMSG_HDRLEN)
		return {};
	const auto *payload = static_cast<const unsigned char *>(NLMSG_DATA(msg));
	std::size_t len = msg->nlmsg_len - NLMSG_HDRLEN;
	std::size_t offset;

	if (msg->nlmsg_type == NLMSG_ERROR) {
		if (len < sizeof(nlmsgerr))
			return {};
		nlmsgerr err;
		std::memcpy(&err, payload, sizeof(err));
		offset = sizeof(nlmsgerr);
		// Unless capped, the whole request is echoed before the TLVs.
		if (!(msg->nlmsg_flags & NLM_F_CAPPED) &&
		    err.msg.nlmsg_len >= NLMSG_HDRLEN)
			offset += err.msg.nlmsg_len - NLMSG_HDRLEN;
	} else if (msg->nlmsg_type == NLMSG_DONE) {
		offset = sizeof(int);
	} else {
		return {};
	}
	offset = NLMSG_ALIGN(offset);
	if (offset >= len)
		return {};
	return parse_extack_tlvs(payload + offset, len - offset);
}

void NlMsgDeleter::operator()(nl_msg *msg) const noexcept
{
	nlmsg_free(msg);
}

void GenlSocket::SockDeleter::operator()(nl_sock *sock) const noexcept
{
	nl_socket_free(sock);
}

GenlSocket::GenlSocket() : sock_(nl_socket_alloc())
{
	if (!sock_)
		throw std::system_error(ENOMEM, std::system_category(),
					"allocating a netlink socket");
	if (int err = genl_connect(sock_.get()); err < 0)
		throw_nl(err, "connecting to generic netlink");

	int one = 1;
	int fd = nl_socket_get_fd(sock_.get());
	// Without these the kernel's reason for a refusal is lost; an old
	// kernel without them still answers with a plain errno.
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	// Dumps may come in messages bigger than a page.
	nl_socket_enable_msg_peek(sock_.get());
}

GenlSocket::~GenlSocket() = default;
GenlSocket::GenlSocket(GenlSocket &&) noexcept = default;
GenlSocket &GenlSocket::operator=(GenlSocket &&) noexcept = default;

std::optional<int> GenlSocket::resolve_family(const char *name)
{
	int id = genl_ctrl_resolve(sock_.get(), name);
	if (id == -NLE_OBJ_NOTFOUND)
		return std::nullopt;
	if (id < 0)
		throw_nl(id, std::string("resolving generic netlink family '") +
				     name + "'");
	return id;
}

NlMsg GenlSocket::request(int family, std::uint8_t cmd, std::uint8_t version,
			  int flags)
{
	NlMsg msg(nlmsg_alloc());
	if (!msg)
		throw std::system_error(ENOMEM, std::system_category(),
					"allocating a netlink message");
	if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 flags, cmd, version))
		throw std::system_error(EMSGSIZE, std::system_category(),
					"building a netlink message");
	return msg;
}

namespace {

// State of one transact() shared with the libnl callbacks.
struct Exchange {
	std::uint32_t seq = 0;
	const std::function<void(const nlmsghdr *)> *on_reply = nullptr;
	bool done = false;
	int error = 0;		// errno from the kernel
	std::string extack;
	std::exception_ptr failure; // thrown by on_reply
};

int on_seq_check(nl_msg *msg, void *arg)
{
	auto *ex = static_cast<Exchange *>(arg);
	// Late answers to an abandoned earlier request are not ours.
	return nlmsg_hdr(msg)->nlmsg_seq == ex->seq ? NL_OK : NL_SKIP;
}

int on_valid(nl_msg *msg, void *arg)
{
	auto *ex = static_cast<Exchange *>(arg);
	try {
		(*ex->on_reply)(nlmsg_hdr(msg));
	} catch (...) {
		ex->failure = std::current_exception();
		return NL_STOP;
	}
	return NL_OK;
}

int on_finish(nl_msg *msg, void *arg)
{
	auto *ex = static_cast<Exchange *>(arg);
	const nlmsghdr *hdr = nlmsg_hdr(msg);
	// A dump that failed part-way says so in NLMSG_DONE's payload.
	if (hdr->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
		int status;
		std::memcpy(&status, NLMSG_DATA(hdr), sizeof(status));
		if (status < 0) {
			ex->error = -status;
			ex->extack = extack_text(hdr);
		}
	}
	ex->done = true;
	return NL_STOP;
}

int on_ack(nl_msg *, void *arg)
{
	static_cast<Exchange *>(arg)->done = true;
	return NL_STOP;
}

int on_error(sockaddr_nl *, nlmsgerr *err, void *arg)
{
	auto *ex = static_cast<Exchange *>(arg);
	// libnl hands us the payload; the header with the flags is before it.
	const auto *hdr = reinterpret_cast<const nlmsghdr *>(
		reinterpret_cast<const char *>(err) - NLMSG_HDRLEN);
	if (hdr->nlmsg_seq != ex->seq)
		return NL_SKIP;
	ex->error = -err->error;
	ex->extack = extack_text(hdr);
	ex->done = true;
	return NL_STOP;
}

struct CbDeleter {
	void operator()(nl_cb *cb) const noexcept { nl_cb_put(cb); }
};

} // namespace

void GenlSocket::transact(NlMsg request, std::string_view context,
			  const std::function<void(const nlmsghdr *)> &on_reply)
{
	std::unique_ptr<nl_cb, CbDeleter> cb(nl_cb_alloc(NL_CB_DEFAULT));
	if (!cb)
		throw std::system_error(ENOMEM, std::system_category(),
					"allocating netlink callbacks");
	Exchange ex;
	ex.on_reply = &on_reply;
	nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, &ex);
	nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ex);
	nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ex);
	nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ex);
	nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &ex);

	// nl_send_auto() fills in port and sequence number, and asks for an
	// ACK so every request ends in one.
	int err = nl_send_auto(sock_.get(), request.get());
	if (err < 0)
		throw_nl(err, context);
	ex.seq = nlmsg_hdr(request.get())->nlmsg_seq;

	while (!ex.done && !ex.failure) {
		err = nl_recvmsgs(sock_.get(), cb.get());
		if (ex.failure)
			std::rethrow_exception(ex.failure);
		if (ex.error)
			throw KernelError(ex.error, std::string(context),
					  ex.extack);
		if (err < 0)
			throw_nl(err, context);
	}
	if (ex.failure)
		std::rethrow_exception(ex.failure);
	if (ex.error)
		throw KernelError(ex.error, std::string(context), ex.extack);
}

} // namespace tcpfo
