// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfo-nlprobe: speaks raw generic netlink to the tcpfo family, so tests can
 * send what no well-behaved client would: malformed attributes, wrong
 * lengths, bad headers, random bytes. Independent of libnl and of tcpfoctl,
 * so it checks the module, not our own client library.
 *
 *   tcpfo-nlprobe malformed        run the table of malformed requests; each
 *                                  must be refused with its expected errno
 *   tcpfo-nlprobe fuzz N SEED      send N random requests; the module must
 *                                  answer every one and still work after
 *   tcpfo-nlprobe errno CMD        send one well-formed request and print
 *                                  the errno name it got (0 = success).
 *                                  CMD: status add del set-mode disown list
 *   tcpfo-nlprobe watch-standby FILE
 *                                  while FILE exists, dump the flows again
 *                                  and again; after each dump print, per
 *                                  standby flow, "l1 T CPORT L1ISN SISN C2S
 *                                  S2C" and (paired) "l2 T BPORT ...", T =
 *                                  CLOCK_REALTIME once the dump finished
 *                                  (an unknown ISN is -1)
 *   tcpfo-nlprobe lock [ID]        TAKEOVER_LOCK of standby flow ID (every
 *                                  standby flow without ID)
 *   tcpfo-nlprobe probe [ID]       TAKEOVER_PROBE (every locked flow)
 *   tcpfo-nlprobe activate ID C2S S2C
 *                                  TAKEOVER_ACTIVATE at these released points
 *   tcpfo-nlprobe unlock [ID [reset]]
 *                                  TAKEOVER_UNLOCK (every lock without ID)
 *                                  the takeover commands print the errno name
 *                                  (0 = success) and the extack message
 *   tcpfo-nlprobe seen             per locked standby flow and locked leg:
 *                                  "seen ID l1|l2 flags=F segs=N [ack=A nxt=N
 *                                  win=W] [tsval=V tsecr=E]" (F: ack syn fin
 *                                  rst ts joined by '+', or none)
 *   tcpfo-nlprobe takeover-status  "locked N dropped N probes N resets N"
 *   tcpfo-nlprobe import ID CLIENT CPORT VIP VPORT [COUNT]
 *                                  FLOW_IMPORT of a bare standby record (the
 *                                  L1 tuple, an established state, client
 *                                  ISN 1000); with COUNT, records ID.. for
 *                                  client ports CPORT.. (one socket). Prints
 *                                  "ERRNO [extack]" of the first failure or
 *                                  "0"
 *   tcpfo-nlprobe forget [ID]      FLOW_FORGET (every standby flow without ID)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/tcpfo.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static int nl_fd = -1;
static uint16_t family_id;
static uint32_t seq_no = 1;

struct msg {
	unsigned char buf[8192];
	size_t len;
};

static void msg_init(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *n = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = NLMSG_DATA(n);

	memset(m->buf, 0, sizeof(m->buf));
	n->nlmsg_type = type;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	n->nlmsg_seq = seq_no++;
	g->cmd = cmd;
	g->version = TCPFO_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Appends an attribute with an arbitrary declared length (may lie). */
static struct nlattr *put_raw(struct msg *m, uint16_t type, uint16_t nla_len,
			      const void *data, size_t datalen)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	a->nla_type = type;
	a->nla_len = nla_len;
	if (datalen)
		memcpy(a + 1, data, datalen);
	m->len += NLA_ALIGN(NLA_HDRLEN + datalen);
	return a;
}

static void put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	put_raw(m, type, NLA_HDRLEN + len, data, len);
}

static void put_u16(struct msg *m, uint16_t type, uint16_t v)
{
	put(m, type, &v, 2);
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, 4);
}

static void put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	put(m, type, &v, 8);
}

static struct nlattr *nest_start(struct msg *m, uint16_t type)
{
	return put_raw(m, type | NLA_F_NESTED, NLA_HDRLEN, NULL, 0);
}

static void nest_end(struct msg *m, struct nlattr *a)
{
	a->nla_len = (unsigned char *)m->buf + m->len - (unsigned char *)a;
}

/* Sends and waits for the ack; returns 0 or a positive errno. Dump replies
 * are consumed until NLMSG_DONE. extack text goes to *why. */
static int xfer(struct msg *m, char *why, size_t whylen)
{
	struct nlmsghdr *n = (struct nlmsghdr *)m->buf;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static unsigned char rbuf[65536];

	if (why)
		why[0] = 0;
	n->nlmsg_len = m->len;
	if (sendto(nl_fd, m->buf, m->len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return errno;
	for (;;) {
		ssize_t r = recv(nl_fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;

		if (r < 0)
			return errno == EAGAIN ? ETIMEDOUT : errno;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)r);
		     h = NLMSG_NEXT(h, r)) {
			if (h->nlmsg_seq != n->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				size_t off = sizeof(*e);
				unsigned char *p = (unsigned char *)e;
				size_t tot = h->nlmsg_len - NLMSG_HDRLEN;

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				if (why && (h->nlmsg_flags & NLM_F_ACK_TLVS)) {
					while (off + NLA_HDRLEN <= tot) {
						struct nlattr *a = (void *)(p + off);

						if (a->nla_len < NLA_HDRLEN ||
						    off + a->nla_len > tot)
							break;
						if ((a->nla_type & NLA_TYPE_MASK) ==
						    NLMSGERR_ATTR_MSG)
							snprintf(why, whylen, "%.*s",
								 (int)(a->nla_len - NLA_HDRLEN),
								 (char *)(a + 1));
						off += NLA_ALIGN(a->nla_len);
					}
				}
				return -e->error;
			}
		}
	}
}

static int resolve(void)
{
	struct msg m;
	struct nlmsghdr *n = (struct nlmsghdr *)m.buf;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static unsigned char rbuf[16384];
	ssize_t r;
	struct nlmsghdr *h;

	msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	((struct genlmsghdr *)NLMSG_DATA(n))->version = 1;
	put(&m, CTRL_ATTR_FAMILY_NAME, TCPFO_GENL_NAME,
	    strlen(TCPFO_GENL_NAME) + 1);
	n->nlmsg_flags = NLM_F_REQUEST;
	n->nlmsg_len = m.len;
	if (sendto(nl_fd, m.buf, m.len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	r = recv(nl_fd, rbuf, sizeof(rbuf), 0);
	if (r < 0)
		return -1;
	h = (struct nlmsghdr *)rbuf;
	if (!NLMSG_OK(h, (size_t)r) || h->nlmsg_type == NLMSG_ERROR)
		return -1;
	{
		struct nlattr *a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
		int left = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

		while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN) {
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID) {
				memcpy(&family_id, a + 1, 2);
				return 0;
			}
			left -= NLA_ALIGN(a->nla_len);
			a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
		}
	}
	return -1;
}

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case ENOSPC: return "ENOSPC";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ERANGE: return "ERANGE";
	case E2BIG: return "E2BIG";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	default: return strerror(e);
	}
}

static const unsigned char vip4[4] = { 10, 99, 0, 1 };
static const unsigned char be4[4] = { 10, 99, 1, 10 };
static const unsigned char back4[4] = { 10, 99, 1, 1 };

/* A complete, valid service nest; `skip` leaves one attribute out and
 * `override` replaces one by a caller-built attribute. */
static void service_nest(struct msg *m, int skip)
{
	struct nlattr *nest = nest_start(m, TCPFO_A_SERVICE);

	if (skip != TCPFO_SVC_A_NAME)
		put(m, TCPFO_SVC_A_NAME, "probe", 6);
	if (skip != TCPFO_SVC_A_FAMILY)
		put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	if (skip != TCPFO_SVC_A_VIP)
		put(m, TCPFO_SVC_A_VIP, vip4, 4);
	if (skip != TCPFO_SVC_A_VPORT)
		put_u16(m, TCPFO_SVC_A_VPORT, 80);
	if (skip != TCPFO_SVC_A_BACKEND)
		put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	if (skip != TCPFO_SVC_A_BPORT)
		put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	if (skip != TCPFO_SVC_A_BACK_ADDR)
		put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, nest);
}

typedef void (*build_fn)(struct msg *m);

#define CASE(fn) static void fn(struct msg *m)
CASE(b_missing_name) { msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD); service_nest(m, TCPFO_SVC_A_NAME); }
CASE(b_missing_vip) { msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD); service_nest(m, TCPFO_SVC_A_VIP); }
CASE(b_missing_backaddr) { msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD); service_nest(m, TCPFO_SVC_A_BACK_ADDR); }
CASE(b_no_nest) { msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD); }
CASE(b_vip_len3)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, vip4, 3);
	put_u16(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_vip_len20)
{
	static const unsigned char v[20] = { 1, 2, 3, 4 };
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, v, 20);
	put_u16(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_vip16_family4)
{
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, v6, 16);
	put_u16(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_bad_family)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u16(m, TCPFO_SVC_A_FAMILY, 17 /* AF_PACKET */);
	put(m, TCPFO_SVC_A_VIP, vip4, 4);
	put_u16(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_port_zero)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, vip4, 4);
	put_u16(m, TCPFO_SVC_A_VPORT, 0);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_port_u32)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, vip4, 4);
	put_u32(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_name_unterminated)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 5);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, vip4, 4);
	put_u16(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_name_too_long)
{
	char name[64];
	struct nlattr *n;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, name, sizeof(name));
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, vip4, 4);
	put_u16(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}
CASE(b_nest_without_flag)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = put_raw(m, TCPFO_A_SERVICE, NLA_HDRLEN, NULL, 0);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	nest_end(m, n);
}
CASE(b_unknown_top_attr) { msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD); service_nest(m, -1); put_u32(m, TCPFO_A_MAX + 7, 1); }
CASE(b_unknown_nested_attr)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u32(m, TCPFO_SVC_A_MAX + 3, 5);
	nest_end(m, n);
}
CASE(b_unspec_attr) { msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD); put_u32(m, TCPFO_A_UNSPEC, 1); service_nest(m, -1); }
CASE(b_attr_len_overrun)
{
	msg_init(m, family_id, 0, TCPFO_CMD_SET_CONFIG);
	put_raw(m, TCPFO_A_MODE, NLA_HDRLEN + 200, "\0\0\0\0", 4);
}
CASE(b_mode_out_of_range) { msg_init(m, family_id, 0, TCPFO_CMD_SET_CONFIG); put_u32(m, TCPFO_A_MODE, 77); }
CASE(b_mode_short) { msg_init(m, family_id, 0, TCPFO_CMD_SET_CONFIG); put(m, TCPFO_A_MODE, "\1", 1); }
CASE(b_owner_and_disown)
{
	msg_init(m, family_id, 0, TCPFO_CMD_SET_CONFIG);
	put_raw(m, TCPFO_A_OWNER, NLA_HDRLEN, NULL, 0);
	put_raw(m, TCPFO_A_DISOWN, NLA_HDRLEN, NULL, 0);
}
CASE(b_status_with_attr) { msg_init(m, family_id, 0, TCPFO_CMD_GET_STATUS); put_u32(m, TCPFO_A_FLOW_COUNT, 3); }
CASE(b_reserved_nonzero)
{
	msg_init(m, family_id, 0, TCPFO_CMD_GET_STATUS);
	((struct genlmsghdr *)NLMSG_DATA((struct nlmsghdr *)m->buf))->reserved = 7;
}
CASE(b_unknown_cmd) { msg_init(m, family_id, 0, 200); }
CASE(b_del_nothing)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_DEL);
	n = nest_start(m, TCPFO_A_SERVICE);
	nest_end(m, n);
}
CASE(b_del_vip_without_port)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_DEL);
	n = nest_start(m, TCPFO_A_SERVICE);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, vip4, 4);
	nest_end(m, n);
}
CASE(b_add_zero_vip)
{
	static const unsigned char zero[4];
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
	n = nest_start(m, TCPFO_A_SERVICE);
	put(m, TCPFO_SVC_A_NAME, "probe", 6);
	put_u16(m, TCPFO_SVC_A_FAMILY, AF_INET);
	put(m, TCPFO_SVC_A_VIP, zero, 4);
	put_u16(m, TCPFO_SVC_A_VPORT, 80);
	put(m, TCPFO_SVC_A_BACKEND, be4, 4);
	put_u16(m, TCPFO_SVC_A_BPORT, 8080);
	put(m, TCPFO_SVC_A_BACK_ADDR, back4, 4);
	nest_end(m, n);
}

/* A request of @cmd with an empty flow nest (no id). */
static void empty_flow_nest(struct msg *m, uint8_t cmd)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, cmd);
	n = nest_start(m, TCPFO_A_FLOW);
	nest_end(m, n);
}

/* A takeover request for flow @id, with an extra attribute if @extra. */
static void takeover_req(struct msg *m, uint8_t cmd, uint64_t id, int extra)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, cmd);
	n = nest_start(m, TCPFO_A_FLOW);
	put_u64(m, TCPFO_FLOW_A_ID, id);
	if (extra)
		put_u32(m, extra, 1);
	nest_end(m, n);
}
CASE(b_lock_unknown) { takeover_req(m, TCPFO_CMD_TAKEOVER_LOCK, 987654, 0); }
CASE(b_probe_unknown) { takeover_req(m, TCPFO_CMD_TAKEOVER_PROBE, 987654, 0); }
CASE(b_unlock_unknown) { takeover_req(m, TCPFO_CMD_TAKEOVER_UNLOCK, 987654, 0); }
CASE(b_activate_unknown)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_TAKEOVER_ACTIVATE);
	n = nest_start(m, TCPFO_A_FLOW);
	put_u64(m, TCPFO_FLOW_A_ID, 987654);
	put_u64(m, TCPFO_FLOW_A_RELEASED_C2S, 0);
	put_u64(m, TCPFO_FLOW_A_RELEASED_S2C, 0);
	nest_end(m, n);
}
CASE(b_activate_no_nest) { msg_init(m, family_id, 0, TCPFO_CMD_TAKEOVER_ACTIVATE); }
CASE(b_get_unknown) { takeover_req(m, TCPFO_CMD_FLOW_GET, 987654, 0); }
CASE(b_get_no_nest) { msg_init(m, family_id, 0, TCPFO_CMD_FLOW_GET); }
CASE(b_get_no_id) { empty_flow_nest(m, TCPFO_CMD_FLOW_GET); }
CASE(b_activate_no_released) { takeover_req(m, TCPFO_CMD_TAKEOVER_ACTIVATE, 1, 0); }
CASE(b_activate_isn) { takeover_req(m, TCPFO_CMD_TAKEOVER_ACTIVATE, 1, TCPFO_FLOW_A_CLIENT_ISN); }
CASE(b_lock_no_id) { empty_flow_nest(m, TCPFO_CMD_TAKEOVER_LOCK); }
CASE(b_unlock_reset_no_id)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_TAKEOVER_UNLOCK);
	n = nest_start(m, TCPFO_A_FLOW);
	put_raw(m, TCPFO_FLOW_A_RESET, NLA_HDRLEN, NULL, 0);
	nest_end(m, n);
}
CASE(b_probe_id_u32)
{
	struct nlattr *n;

	msg_init(m, family_id, 0, TCPFO_CMD_TAKEOVER_PROBE);
	n = nest_start(m, TCPFO_A_FLOW);
	put_u32(m, TCPFO_FLOW_A_ID, 1);
	nest_end(m, n);
}
CASE(b_lock_reset_flag) { takeover_req(m, TCPFO_CMD_TAKEOVER_LOCK, 1, TCPFO_FLOW_A_RESET); }
CASE(b_probe_ahead_u64)
{
	msg_init(m, family_id, 0, TCPFO_CMD_TAKEOVER_PROBE);
	put_u64(m, TCPFO_A_TAKEOVER_TS_AHEAD, 100);
}
CASE(b_lock_ahead)
{
	msg_init(m, family_id, 0, TCPFO_CMD_TAKEOVER_LOCK);
	put_u32(m, TCPFO_A_TAKEOVER_TS_AHEAD, 100);
}

static const struct {
	const char *name;
	build_fn build;
	int expect;
} cases[] = {
	{ "add without name", b_missing_name, EINVAL },
	{ "add without vip", b_missing_vip, EINVAL },
	{ "add without back address", b_missing_backaddr, EINVAL },
	{ "add without service nest", b_no_nest, EINVAL },
	{ "vip of 3 bytes", b_vip_len3, EINVAL },
	{ "vip of 20 bytes", b_vip_len20, EINVAL },
	{ "16-byte vip with AF_INET", b_vip16_family4, EINVAL },
	{ "family AF_PACKET", b_bad_family, EINVAL },
	{ "port 0", b_port_zero, EINVAL },
	{ "port as u32", b_port_u32, EINVAL },
	{ "name not NUL-terminated", b_name_unterminated, EINVAL },
	{ "name of 63 chars", b_name_too_long, EINVAL },
	{ "nest without NLA_F_NESTED", b_nest_without_flag, EINVAL },
	{ "unknown top-level attribute", b_unknown_top_attr, EINVAL },
	{ "unknown nested attribute", b_unknown_nested_attr, EINVAL },
	{ "attribute type 0", b_unspec_attr, EINVAL },
	{ "attribute length past message", b_attr_len_overrun, EINVAL },
	{ "mode 77", b_mode_out_of_range, EINVAL },
	{ "mode of 1 byte", b_mode_short, EINVAL },
	{ "owner and disown together", b_owner_and_disown, EINVAL },
	{ "status with an attribute", b_status_with_attr, EINVAL },
	{ "genl reserved field set", b_reserved_nonzero, EINVAL },
	{ "unknown command", b_unknown_cmd, EOPNOTSUPP },
	{ "del with empty nest", b_del_nothing, EINVAL },
	{ "del with vip but no port", b_del_vip_without_port, EINVAL },
	{ "add with vip 0.0.0.0", b_add_zero_vip, EINVAL },
	{ "lock of an unknown id", b_lock_unknown, ENOENT },
	{ "probe of an unknown id", b_probe_unknown, ENOENT },
	{ "unlock of an unknown id", b_unlock_unknown, ENOENT },
	{ "activate of an unknown id", b_activate_unknown, ENOENT },
	{ "activate without flow nest", b_activate_no_nest, EINVAL },
	{ "activate without released points", b_activate_no_released, EINVAL },
	{ "activate with a client ISN", b_activate_isn, EINVAL },
	{ "lock with an empty flow nest", b_lock_no_id, EINVAL },
	{ "unlock with reset but no id", b_unlock_reset_no_id, EINVAL },
	{ "probe with a 4-byte id", b_probe_id_u32, EINVAL },
	{ "lock with the reset flag", b_lock_reset_flag, EINVAL },
	{ "probe with an 8-byte ts-ahead", b_probe_ahead_u64, EINVAL },
	{ "lock with a ts-ahead", b_lock_ahead, EINVAL },
	{ "get of an unknown id", b_get_unknown, ENOENT },
	{ "get (not a dump) without flow nest", b_get_no_nest, EINVAL },
	{ "get with an empty flow nest", b_get_no_id, EINVAL },
};

static int run_malformed(void)
{
	int failed = 0;
	char why[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg m;
		int e;

		cases[i].build(&m);
		e = xfer(&m, why, sizeof(why));
		if (e == cases[i].expect) {
			printf("ok: %s -> %s (%s)\n", cases[i].name, ename(e),
			       why[0] ? why : "no extack message");
		} else {
			printf("FAIL: %s -> %s, expected %s (%s)\n", cases[i].name,
			       ename(e), ename(cases[i].expect), why);
			failed++;
		}
		/* An EINVAL without a reason is a bad operator experience. */
		if (e == EINVAL && !why[0]) {
			printf("FAIL: %s: EINVAL without an extack message\n",
			       cases[i].name);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

static int run_fuzz(long n, unsigned seed)
{
	unsigned long answered = 0, accepted = 0;
	struct msg m;

	srandom(seed);
	for (long i = 0; i < n; i++) {
		size_t body = random() % 200;
		int e;

		/* Random command near the valid range, random flags bits that
		 * genl allows, random attribute soup with sometimes-valid
		 * headers. */
		msg_init(&m, family_id, (random() % 4 == 0) ? NLM_F_DUMP : 0,
			 random() % (TCPFO_CMD_MAX + 3));
		while (body > 0) {
			size_t len = random() % 24;
			uint16_t type = random() % (TCPFO_A_MAX + 3);
			unsigned char data[24];

			for (size_t k = 0; k < len; k++)
				data[k] = random();
			if (random() % 3 == 0)
				type |= NLA_F_NESTED;
			if (random() % 8 == 0)
				put_raw(&m, type, random() % 64, data, len);
			else
				put(&m, type, data, len);
			body = body > len + 4 ? body - len - 4 : 0;
		}
		e = xfer(&m, NULL, 0);
		if (e == ETIMEDOUT) {
			printf("FAIL: request %ld got no answer\n", i);
			return 1;
		}
		answered++;
		if (!e)
			accepted++;
	}
	printf("fuzz: %lu requests answered, %lu accepted\n", answered,
	       accepted);
	/* The module still answers a valid request. */
	msg_init(&m, family_id, 0, TCPFO_CMD_GET_STATUS);
	if (xfer(&m, NULL, 0)) {
		printf("FAIL: status does not work after fuzzing\n");
		return 1;
	}
	return 0;
}

static int run_errno(const char *what)
{
	struct msg m;
	char why[512];
	int e;

	if (!strcmp(what, "status")) {
		msg_init(&m, family_id, 0, TCPFO_CMD_GET_STATUS);
	} else if (!strcmp(what, "list")) {
		msg_init(&m, family_id, NLM_F_DUMP, TCPFO_CMD_SERVICE_GET);
	} else if (!strcmp(what, "add")) {
		msg_init(&m, family_id, 0, TCPFO_CMD_SERVICE_ADD);
		service_nest(&m, -1);
	} else if (!strcmp(what, "del")) {
		struct nlattr *n;

		msg_init(&m, family_id, 0, TCPFO_CMD_SERVICE_DEL);
		n = nest_start(&m, TCPFO_A_SERVICE);
		put(&m, TCPFO_SVC_A_NAME, "probe", 6);
		nest_end(&m, n);
	} else if (!strcmp(what, "set-mode")) {
		msg_init(&m, family_id, 0, TCPFO_CMD_SET_CONFIG);
		put_u32(&m, TCPFO_A_MODE, TCPFO_MODE_ASYNC);
	} else if (!strcmp(what, "disown")) {
		msg_init(&m, family_id, 0, TCPFO_CMD_SET_CONFIG);
		put_raw(&m, TCPFO_A_DISOWN, NLA_HDRLEN, NULL, 0);
	} else {
		fprintf(stderr, "tcpfo-nlprobe: unknown request %s\n", what);
		return 2;
	}
	e = xfer(&m, why, sizeof(why));
	printf("%s%s%s\n", ename(e), why[0] ? " " : "", why);
	return 0;
}

/* lock/probe/unlock/activate: print "ERRNO [extack]"; exit 0 if sent. */
static int run_takeover(int argc, char **argv)
{
	const char *what = argv[1];
	struct nlattr *n = NULL;
	char why[512];
	struct msg m;
	uint8_t cmd;
	int e;

	if (!strcmp(what, "lock"))
		cmd = TCPFO_CMD_TAKEOVER_LOCK;
	else if (!strcmp(what, "probe"))
		cmd = TCPFO_CMD_TAKEOVER_PROBE;
	else if (!strcmp(what, "unlock"))
		cmd = TCPFO_CMD_TAKEOVER_UNLOCK;
	else
		cmd = TCPFO_CMD_TAKEOVER_ACTIVATE;
	msg_init(&m, family_id, 0, cmd);
	if (argc >= 3) {
		n = nest_start(&m, TCPFO_A_FLOW);
		put_u64(&m, TCPFO_FLOW_A_ID, strtoull(argv[2], NULL, 0));
	}
	if (cmd == TCPFO_CMD_TAKEOVER_UNLOCK && argc >= 4 &&
	    !strcmp(argv[3], "reset"))
		put_raw(&m, TCPFO_FLOW_A_RESET, NLA_HDRLEN, NULL, 0);
	if (cmd == TCPFO_CMD_TAKEOVER_ACTIVATE && argc >= 5) {
		put_u64(&m, TCPFO_FLOW_A_RELEASED_C2S, strtoull(argv[3], NULL, 0));
		put_u64(&m, TCPFO_FLOW_A_RELEASED_S2C, strtoull(argv[4], NULL, 0));
	}
	if (n)
		nest_end(&m, n);
	e = xfer(&m, why, sizeof(why));
	printf("%s%s%s\n", ename(e), why[0] ? " " : "", why);
	return 0;
}

/* import ID CLIENT CPORT VIP VPORT [COUNT]: see the header. */
static int run_import(int argc, char **argv)
{
	unsigned long long id = strtoull(argv[2], NULL, 0);
	unsigned long cport = strtoul(argv[4], NULL, 0);
	unsigned long vport = strtoul(argv[6], NULL, 0);
	unsigned long count = argc > 7 ? strtoul(argv[7], NULL, 0) : 1;
	unsigned char caddr[16], vaddr[16];
	uint16_t family = AF_INET;
	size_t alen = 4;
	char why[512];
	struct msg m;

	if (inet_pton(AF_INET, argv[3], caddr) != 1) {
		family = AF_INET6;
		alen = 16;
	}
	if (inet_pton(family, argv[3], caddr) != 1 ||
	    inet_pton(family, argv[5], vaddr) != 1 || !cport || !vport ||
	    !count || cport + count - 1 > 65535 || vport > 65535) {
		fprintf(stderr, "tcpfo-nlprobe: import: bad address, port or count\n");
		return 2;
	}
	for (unsigned long i = 0; i < count; i++) {
		struct nlattr *n;
		int e;

		msg_init(&m, family_id, 0, TCPFO_CMD_FLOW_IMPORT);
		n = nest_start(&m, TCPFO_A_FLOW);
		put_u64(&m, TCPFO_FLOW_A_ID, id + i);
		put_u16(&m, TCPFO_FLOW_A_FAMILY, family);
		put(&m, TCPFO_FLOW_A_CLIENT_ADDR, caddr, alen);
		put_u16(&m, TCPFO_FLOW_A_CLIENT_PORT, (uint16_t)(cport + i));
		put(&m, TCPFO_FLOW_A_VIP, vaddr, alen);
		put_u16(&m, TCPFO_FLOW_A_VPORT, (uint16_t)vport);
		put(&m, TCPFO_FLOW_A_STATE, &(uint8_t){ TCPFO_FLOW_ESTABLISHED }, 1);
		put(&m, TCPFO_FLOW_A_SERVICE, "t", 2);
		put_u32(&m, TCPFO_FLOW_A_CLIENT_ISN, 1000);
		nest_end(&m, n);
		e = xfer(&m, why, sizeof(why));
		if (e) {
			printf("%s%s%s\n", ename(e), why[0] ? " " : "", why);
			return 0;
		}
	}
	printf("0\n");
	return 0;
}

/* forget [ID]: FLOW_FORGET; prints "ERRNO [extack]". */
static int run_forget(int argc, char **argv)
{
	struct nlattr *n;
	char why[512];
	struct msg m;
	int e;

	msg_init(&m, family_id, 0, TCPFO_CMD_FLOW_FORGET);
	if (argc > 2) {
		n = nest_start(&m, TCPFO_A_FLOW);
		put_u64(&m, TCPFO_FLOW_A_ID, strtoull(argv[2], NULL, 0));
		nest_end(&m, n);
	}
	e = xfer(&m, why, sizeof(why));
	printf("%s%s%s\n", ename(e), why[0] ? " " : "", why);
	return 0;
}

/* Calls @fn for every attribute nested in @nest. */
#define for_each_nested(a, nest, rem)						\
	for (rem = (nest)->nla_len - NLA_HDRLEN,					\
	     a = (struct nlattr *)((char *)(nest) + NLA_HDRLEN);			\
	     rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;	\
	     rem -= NLA_ALIGN(a->nla_len),						\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static void print_seen(uint64_t id, int leg, struct nlattr *nest)
{
	static const char *const names[] = { "ack", "ts", "syn", "fin", "rst" };
	uint32_t v[TCPFO_SEEN_A_MAX + 1] = { 0 };
	int have[TCPFO_SEEN_A_MAX + 1] = { 0 };
	struct nlattr *a;
	int rem, i, any = 0;

	for_each_nested(a, nest, rem) {
		int t = a->nla_type & NLA_TYPE_MASK;

		if (t > 0 && t <= TCPFO_SEEN_A_MAX && a->nla_len == NLA_HDRLEN + 4) {
			memcpy(&v[t], a + 1, 4);
			have[t] = 1;
		}
	}
	printf("seen %llu l%d flags=", (unsigned long long)id, leg);
	for (i = 0; i < 5; i++) {
		if (v[TCPFO_SEEN_A_FLAGS] & (1U << i)) {
			printf("%s%s", any ? "+" : "", names[i]);
			any = 1;
		}
	}
	printf("%s segs=%u", any ? "" : "none", v[TCPFO_SEEN_A_SEGS]);
	if (have[TCPFO_SEEN_A_ACK])
		printf(" ack=%u nxt=%u win=%u", v[TCPFO_SEEN_A_ACK],
		       v[TCPFO_SEEN_A_NXT], v[TCPFO_SEEN_A_WIN]);
	if (have[TCPFO_SEEN_A_TSVAL])
		printf(" tsval=%u tsecr=%u", v[TCPFO_SEEN_A_TSVAL],
		       v[TCPFO_SEEN_A_TSECR]);
	printf("\n");
}

/* One FLOW_GET dump; calls @fn with each TCPFO_A_FLOW nest. */
static int dump_flows(void (*fn)(struct nlattr *flow))
{
	static unsigned char rbuf[65536];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *n;
	struct msg m;

	msg_init(&m, family_id, NLM_F_DUMP, TCPFO_CMD_FLOW_GET);
	n = (struct nlmsghdr *)m.buf;
	n->nlmsg_flags &= ~NLM_F_ACK;
	n->nlmsg_len = m.len;
	if (sendto(nl_fd, m.buf, m.len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno;
	for (;;) {
		ssize_t r = recv(nl_fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;

		if (r < 0)
			return errno;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)r);
		     h = NLMSG_NEXT(h, r)) {
			struct nlattr *a;
			int rem;

			if (h->nlmsg_seq != n->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
			while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem) {
				if ((a->nla_type & NLA_TYPE_MASK) == TCPFO_A_FLOW)
					fn(a);
				rem -= NLA_ALIGN(a->nla_len);
				a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
			}
		}
	}
}

static void seen_flow(struct nlattr *flow)
{
	struct nlattr *a, *seen[3] = { NULL };
	uint64_t id = 0;
	int rem, locked = 0, leg;

	for_each_nested(a, flow, rem) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case TCPFO_FLOW_A_ID:
			memcpy(&id, a + 1, 8);
			break;
		case TCPFO_FLOW_A_LOCKED:
			locked = 1;
			break;
		case TCPFO_FLOW_A_L1_SEEN:
			seen[1] = a;
			break;
		case TCPFO_FLOW_A_L2_SEEN:
			seen[2] = a;
			break;
		}
	}
	if (!locked)
		return;
	printf("locked %llu\n", (unsigned long long)id);
	for (leg = 1; leg <= 2; leg++)
		if (seen[leg])
			print_seen(id, leg, seen[leg]);
}

static int run_seen(void)
{
	int e = dump_flows(seen_flow);

	if (e)
		fprintf(stderr, "tcpfo-nlprobe: seen: %s\n", ename(e));
	fflush(stdout);
	return e ? 1 : 0;
}

static int run_takeover_status(void)
{
	static unsigned char rbuf[8192];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned long long dropped = 0, probes = 0, resets = 0;
	unsigned int locked = 0;
	struct nlmsghdr *n, *h;
	struct nlattr *a;
	struct msg m;
	ssize_t r;
	int rem;

	msg_init(&m, family_id, 0, TCPFO_CMD_GET_STATUS);
	n = (struct nlmsghdr *)m.buf;
	n->nlmsg_flags &= ~NLM_F_ACK;
	n->nlmsg_len = m.len;
	if (sendto(nl_fd, m.buf, m.len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (r = recv(nl_fd, rbuf, sizeof(rbuf), 0)) < 0) {
		perror("tcpfo-nlprobe: takeover-status");
		return 1;
	}
	h = (struct nlmsghdr *)rbuf;
	if (!NLMSG_OK(h, (size_t)r) || h->nlmsg_type != family_id) {
		fprintf(stderr, "tcpfo-nlprobe: takeover-status: no status reply\n");
		return 1;
	}
	rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case TCPFO_A_TAKEOVER_LOCKED:
			memcpy(&locked, a + 1, 4);
			break;
		case TCPFO_A_TAKEOVER_DROPPED:
			memcpy(&dropped, a + 1, 8);
			break;
		case TCPFO_A_TAKEOVER_PROBES:
			memcpy(&probes, a + 1, 8);
			break;
		case TCPFO_A_TAKEOVER_RESETS:
			memcpy(&resets, a + 1, 8);
			break;
		}
		rem -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	printf("locked %u dropped %llu probes %llu resets %llu\n", locked,
	       dropped, probes, resets);
	return 0;
}

/* One standby flow as watch-standby prints it. */
struct watched {
	unsigned int cport, bport;
	long long l1_isn, server_isn;
	unsigned long long c2s, s2c;
};

static void watch_parse(struct nlattr *nest, struct watched *w, int *standby)
{
	int rem = nest->nla_len - NLA_HDRLEN;
	struct nlattr *a = (struct nlattr *)((char *)nest + NLA_HDRLEN);

	memset(w, 0, sizeof(*w));
	w->l1_isn = w->server_isn = -1;
	*standby = 0;
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		void *d = (char *)a + NLA_HDRLEN;
		uint64_t v64;

		switch (a->nla_type & NLA_TYPE_MASK) {
		case TCPFO_FLOW_A_STANDBY:
			*standby = 1;
			break;
		case TCPFO_FLOW_A_CLIENT_PORT:
			w->cport = *(uint16_t *)d;
			break;
		case TCPFO_FLOW_A_BACK_PORT:
			w->bport = *(uint16_t *)d;
			break;
		case TCPFO_FLOW_A_L1_ISN:
			w->l1_isn = *(uint32_t *)d;
			break;
		case TCPFO_FLOW_A_SERVER_ISN:
			w->server_isn = *(uint32_t *)d;
			break;
		case TCPFO_FLOW_A_RELEASED_C2S:
			memcpy(&v64, d, 8);
			w->c2s = v64;
			break;
		case TCPFO_FLOW_A_RELEASED_S2C:
			memcpy(&v64, d, 8);
			w->s2c = v64;
			break;
		}
		rem -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

static int run_watch(const char *file)
{
	static unsigned char rbuf[65536];
	static struct watched flows[4096];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct stat st;

	while (!stat(file, &st)) {
		struct nlmsghdr *n;
		struct timespec ts;
		struct msg m;
		int nflows = 0, done = 0, i;

		msg_init(&m, family_id, NLM_F_DUMP, TCPFO_CMD_FLOW_GET);
		n = (struct nlmsghdr *)m.buf;
		n->nlmsg_flags &= ~NLM_F_ACK;
		n->nlmsg_len = m.len;
		if (sendto(nl_fd, m.buf, m.len, 0, (struct sockaddr *)&sa,
			   sizeof(sa)) < 0) {
			perror("tcpfo-nlprobe: watch: send");
			return 1;
		}
		while (!done) {
			ssize_t r = recv(nl_fd, rbuf, sizeof(rbuf), 0);
			struct nlmsghdr *h;

			if (r < 0) {
				perror("tcpfo-nlprobe: watch: recv");
				return 1;
			}
			for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)r);
			     h = NLMSG_NEXT(h, r)) {
				struct nlattr *a;
				int rem;

				if (h->nlmsg_seq != n->nlmsg_seq)
					continue;
				if (h->nlmsg_type == NLMSG_DONE) {
					done = 1;
					break;
				}
				if (h->nlmsg_type == NLMSG_ERROR) {
					struct nlmsgerr *e = NLMSG_DATA(h);

					if (e->error) {
						fprintf(stderr, "tcpfo-nlprobe: watch: %s\n",
							ename(-e->error));
						return 1;
					}
					done = 1;
					break;
				}
				rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
				a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
				while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
				       a->nla_len <= rem) {
					int standby;

					if ((a->nla_type & NLA_TYPE_MASK) == TCPFO_A_FLOW &&
					    nflows < (int)(sizeof(flows) / sizeof(flows[0]))) {
						watch_parse(a, &flows[nflows], &standby);
						nflows += standby;
					}
					rem -= NLA_ALIGN(a->nla_len);
					a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
				}
			}
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		for (i = 0; i < nflows; i++) {
			struct watched *w = &flows[i];
			int leg;

			/* Keyed by the client's port on l1, the back port on l2. */
			for (leg = 1; leg <= 2; leg++) {
				unsigned int port = leg == 1 ? w->cport : w->bport;

				if (port)
					printf("l%d %lld.%09ld %u %lld %lld %llu %llu\n",
					       leg, (long long)ts.tv_sec, ts.tv_nsec, port,
					       w->l1_isn, w->server_isn, w->c2s, w->s2c);
			}
		}
		fflush(stdout);
		usleep(1000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: tcpfo-nlprobe malformed | fuzz N SEED | errno CMD | watch-standby FILE |\n"
				"       lock [ID] | probe [ID] | activate ID C2S S2C | unlock [ID [reset]] |\n"
				"       seen | takeover-status | import ID CLIENT CPORT VIP VPORT [COUNT] |\n"
				"       forget [ID]\n");
		return 2;
	}
	nl_fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (nl_fd < 0) {
		perror("tcpfo-nlprobe: socket");
		return 1;
	}
	setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(nl_fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (resolve()) {
		fprintf(stderr, "tcpfo-nlprobe: family %s not found\n",
			TCPFO_GENL_NAME);
		return 1;
	}
	if (!strcmp(argv[1], "malformed"))
		return run_malformed();
	if (!strcmp(argv[1], "fuzz") && argc == 4)
		return run_fuzz(atol(argv[2]), atoi(argv[3]));
	if (!strcmp(argv[1], "errno") && argc == 3)
		return run_errno(argv[2]);
	if (!strcmp(argv[1], "watch-standby") && argc == 3)
		return run_watch(argv[2]);
	if ((!strcmp(argv[1], "lock") || !strcmp(argv[1], "probe")) && argc <= 3)
		return run_takeover(argc, argv);
	if (!strcmp(argv[1], "unlock") && argc <= 4)
		return run_takeover(argc, argv);
	if (!strcmp(argv[1], "activate") && argc == 5)
		return run_takeover(argc, argv);
	if (!strcmp(argv[1], "seen") && argc == 2)
		return run_seen();
	if (!strcmp(argv[1], "takeover-status") && argc == 2)
		return run_takeover_status();
	if (!strcmp(argv[1], "import") && (argc == 7 || argc == 8))
		return run_import(argc, argv);
	if (!strcmp(argv[1], "forget") && argc <= 3)
		return run_forget(argc, argv);
	fprintf(stderr, "tcpfo-nlprobe: bad arguments\n");
	return 2;
}
