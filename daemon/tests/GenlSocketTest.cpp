// SPDX-License-Identifier: GPL-2.0
// GenlSocket against the kernel's own "nlctrl" family, which every kernel
// has: replies, ACKs, dumps and refusals travel exactly as tcpfo's will.
#include "GenlSocket.hpp"
#include "KernelLink.hpp"

#include <gtest/gtest.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <cstring>
#include <vector>

using namespace tcpfo;

namespace {

// Family names in one CTRL_CMD_GETFAMILY reply.
std::string family_in(const nlmsghdr *hdr)
{
	nlattr *tb[CTRL_ATTR_MAX + 1] = {};
	if (genlmsg_parse(const_cast<nlmsghdr *>(hdr), 0, tb, CTRL_ATTR_MAX,
			  nullptr) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME])
		return "";
	return nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]);
}

NlMsg get_family(const char *name)
{
	NlMsg msg = GenlSocket::request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	nla_put_string(msg.get(), CTRL_ATTR_FAMILY_NAME, name);
	return msg;
}

// An NLMSG_ERROR as the kernel builds it, followed by extack TLVs.
std::vector<unsigned char> error_message(int flags, int echoed_payload,
					 std::vector<std::pair<int, std::string>> tlvs)
{
	std::vector<unsigned char> buf(NLMSG_HDRLEN + sizeof(nlmsgerr) +
				       NLMSG_ALIGN(echoed_payload));
	nlmsgerr err{};
	err.error = -EINVAL;
	err.msg.nlmsg_len = NLMSG_HDRLEN + echoed_payload;
	std::memcpy(buf.data() + NLMSG_HDRLEN, &err, sizeof(err));
	for (auto &[type, value] : tlvs) {
		nlattr attr{};
		attr.nla_type = static_cast<unsigned short>(type);
		attr.nla_len = static_cast<unsigned short>(NLA_HDRLEN + value.size());
		std::size_t at = buf.size();
		buf.resize(at + NLA_ALIGN(attr.nla_len));
		std::memcpy(buf.data() + at, &attr, sizeof(attr));
		std::memcpy(buf.data() + at + NLA_HDRLEN, value.data(), value.size());
	}
	nlmsghdr hdr{};
	hdr.nlmsg_len = static_cast<std::uint32_t>(buf.size());
	hdr.nlmsg_type = NLMSG_ERROR;
	hdr.nlmsg_flags = static_cast<std::uint16_t>(flags);
	std::memcpy(buf.data(), &hdr, sizeof(hdr));
	return buf;
}

const nlmsghdr *as_header(const std::vector<unsigned char> &buf)
{
	return reinterpret_cast<const nlmsghdr *>(buf.data());
}

} // namespace

TEST(ExtackText, ReadsTheMessageAfterACappedError)
{
	auto buf = error_message(NLM_F_ACK_TLVS | NLM_F_CAPPED, 0,
				 {{NLMSGERR_ATTR_OFFS, std::string(4, '\0')},
				  {NLMSGERR_ATTR_MSG, std::string("port out of range", 18)}});
	EXPECT_EQ(extack_text(as_header(buf)), "port out of range");
}

TEST(ExtackText, SkipsTheEchoedRequestWhenNotCapped)
{
	auto buf = error_message(NLM_F_ACK_TLVS, 24,
				 {{NLMSGERR_ATTR_MSG, std::string("NLA_F_NESTED is missing", 24)}});
	EXPECT_EQ(extack_text(as_header(buf)), "NLA_F_NESTED is missing");
}

TEST(ExtackText, ReportsAMissingAttribute)
{
	std::uint32_t type = 3;
	auto buf = error_message(NLM_F_ACK_TLVS | NLM_F_CAPPED, 0,
				 {{NLMSGERR_ATTR_MISS_TYPE,
				   std::string(reinterpret_cast<char *>(&type), 4)}});
	EXPECT_EQ(extack_text(as_header(buf)), "missing required attribute 3");
}

TEST(ExtackText, NothingWithoutTheTlvFlagOrWithTruncatedTlvs)
{
	auto plain = error_message(NLM_F_CAPPED, 0,
				   {{NLMSGERR_ATTR_MSG, std::string("x", 2)}});
	EXPECT_EQ(extack_text(as_header(plain)), "");

	auto broken = error_message(NLM_F_ACK_TLVS | NLM_F_CAPPED, 0,
				    {{NLMSGERR_ATTR_MSG, std::string("hello", 6)}});
	// Claim an attribute longer than the message.
	nlattr attr;
	std::size_t at = NLMSG_HDRLEN + sizeof(nlmsgerr);
	std::memcpy(&attr, broken.data() + at, sizeof(attr));
	attr.nla_len = 200;
	std::memcpy(broken.data() + at, &attr, sizeof(attr));
	EXPECT_EQ(extack_text(as_header(broken)), "");
}

TEST(KernelErrorText, PermissionDeniedSaysWhatIsNeeded)
{
	KernelError e(EPERM, "adding service 'web'", "");
	EXPECT_STREQ(e.what(), "adding service 'web': permission denied: "
			       "CAP_NET_ADMIN required");
	EXPECT_EQ(e.code().value(), EPERM);
	KernelError f(EINVAL, "setting mode sync", "bad mode");
	EXPECT_STREQ(f.what(), "setting mode sync: bad mode");
	KernelError g(ENOENT, "deleting service 'x'", "");
	EXPECT_STREQ(g.what(), "deleting service 'x': No such file or directory");
}

TEST(GenlSocket, ResolvesFamilies)
{
	GenlSocket sock;
	EXPECT_EQ(sock.resolve_family("nlctrl"), GENL_ID_CTRL);
	EXPECT_EQ(sock.resolve_family("tcpfo-nosuch"), std::nullopt);
}

TEST(GenlSocket, RequestsWithReplyAndAckFollowOneAnother)
{
	GenlSocket sock;
	for (int i = 0; i < 3; i++) {
		std::vector<std::string> replies;
		sock.transact(get_family("nlctrl"), "get nlctrl",
			      [&](const nlmsghdr *h) { replies.push_back(family_in(h)); });
		EXPECT_EQ(replies, (std::vector<std::string>{"nlctrl"}));
	}
}

TEST(GenlSocket, DumpsEndAtDone)
{
	GenlSocket sock;
	std::vector<std::string> families;
	sock.transact(GenlSocket::request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
					  NLM_F_DUMP),
		      "dump families",
		      [&](const nlmsghdr *h) { families.push_back(family_in(h)); });
	EXPECT_NE(std::find(families.begin(), families.end(), "nlctrl"),
		  families.end());
}

TEST(GenlSocket, RefusalCarriesErrnoAndContext)
{
	GenlSocket sock;
	try {
		sock.transact(get_family("tcpfo-nosuch"), "get family",
			      [](const nlmsghdr *) {});
		FAIL() << "the kernel accepted an unknown family";
	} catch (const KernelError &e) {
		EXPECT_EQ(e.code().value(), ENOENT) << e.what();
		EXPECT_EQ(std::string(e.what()).rfind("get family: ", 0), 0u) << e.what();
	}
}

TEST(GenlSocket, RefusalCarriesTheExtendedAck)
{
	GenlSocket sock;
	NlMsg msg = GenlSocket::request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	std::uint8_t short_id = 1; // CTRL_ATTR_FAMILY_ID is a u16
	nla_put(msg.get(), CTRL_ATTR_FAMILY_ID, 1, &short_id);
	try {
		sock.transact(std::move(msg), "bad request", [](const nlmsghdr *) {});
		FAIL() << "the kernel accepted a 1-byte u16";
	} catch (const KernelError &e) {
		// The errno for a short attribute differs between kernels.
		EXPECT_TRUE(e.code().value() == EINVAL || e.code().value() == ERANGE)
			<< e.what();
		EXPECT_FALSE(e.detail().empty()) << "no extended ack text";
		EXPECT_EQ(std::string(e.what()), "bad request: " + e.detail());
	}
}

TEST(GenlSocket, ThrowingHandlerLeavesTheSocketUsable)
{
	GenlSocket sock;
	EXPECT_THROW(sock.transact(GenlSocket::request(GENL_ID_CTRL,
						       CTRL_CMD_GETFAMILY, 1,
						       NLM_F_DUMP),
				   "dump",
				   [](const nlmsghdr *) {
					   throw std::runtime_error("stop");
				   }),
		     std::runtime_error);
	// The rest of that dump is still queued; it must not be taken for
	// the answer to the next request.
	std::vector<std::string> replies;
	sock.transact(get_family("nlctrl"), "get nlctrl",
		      [&](const nlmsghdr *h) { replies.push_back(family_in(h)); });
	EXPECT_EQ(replies, (std::vector<std::string>{"nlctrl"}));
}

TEST(KernelLink, WithoutTheModuleSaysHowToLoadIt)
{
	if (GenlSocket().resolve_family("tcpfo"))
		GTEST_SKIP() << "the tcpfo module is loaded here";
	try {
		KernelLink link;
		FAIL() << "no ModuleNotLoaded";
	} catch (const ModuleNotLoaded &e) {
		EXPECT_STREQ(e.what(),
			     "tcpfo kernel module is not loaded (generic netlink "
			     "family 'tcpfo' not found); try: modprobe tcpfo");
	}
}
