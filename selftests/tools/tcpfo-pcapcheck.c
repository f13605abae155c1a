// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfo-pcapcheck: judges the invariant from a packet capture, without
 * asking the module anything.
 *
 *   tcpfo-pcapcheck --vip ADDR:PORT --server ADDR:PORT [--pairs N] FILE
 *   tcpfo-pcapcheck --headers SRC-ADDR FILE [IFINDEX]
 *   tcpfo-pcapcheck --tsval FILE
 *   tcpfo-pcapcheck --tsval-within FILE
 *   tcpfo-pcapcheck --tsecr-lag MS FILE [FROM-ADDR...]
 *   tcpfo-pcapcheck --karn-rtt MS FILE FROM-ADDR...
 *
 * --tsval checks that no sender's TSvals go backwards (serial order) in
 * capture order, per connection and direction; exit 3 if one does, 1 if
 * no segment carries a timestamp (nothing judged). Each decrease is
 * described (up to 10): whether the frame came from another link-layer
 * address than the one before it (another gateway: across a takeover),
 * and whether it was a pure ACK crafted by the module (IPv4 ID 0).
 * --tsval-within fails only on decreases from the same link-layer sender,
 * and reports those across a change of sender: for a run whose standby is
 * given a wrong clock mapping on purpose.
 *
 * --tsecr-lag measures, for every ACK that echoes a TSecr (not 0), how far
 * it lags the newest TSval its receiver had sent on the wire before it
 * (in the receiver's clock ticks, ms for Linux): an echo seconds old is,
 * to a sender whose acknowledged data it had retransmitted, an RTT sample
 * seconds long (Karn's case in tcp_ack_update_rtt()), and an undo of its
 * loss recovery. With FROM-ADDRs only echoes sent from those addresses
 * (a gateway's VIP and back address) are judged. Exit 3 if an echo lags
 * more than MS; the largest lags are described (up to 10). With FROM-ADDRs
 * it also reports the RTT samples the peers take from those ACKs, as TCP
 * takes them: from the send time (in the capture) of the first newly
 * acknowledged segment never sent twice, or from the TSecr if all were
 * sent twice (Karn's case).
 * --karn-rtt reports the same, and exits 3 only if one of the samples
 * taken from a TSecr exceeds MS. A socket's own echoes lag legitimately
 * (its ts_recent stays at a hole's start until the hole is filled), but
 * an ACK that advances over data sent twice echoes the TSval of what
 * filled the hole: a sample seconds long there means a stale echo.
 *
 * --headers prints the TCP header of every segment sent from SRC-ADDR, one
 * line each (ports, seq, ack, flags, window, options in hex, payload
 * length), so two captures of the same traffic can be compared exactly.
 * With IFINDEX (a Linux cooked v2 capture, tcpdump -i any), only frames
 * of that interface count: one capture on a router then holds both the
 * way in and the way out.
 *
 * FILE is a pcap taken on the gateway with `tcpdump -i any -s 256` (or on a
 * bridge or one link: Ethernet, Linux cooked v1/v2 and raw IP are read), so
 * the client leg (L1: client <-> VIP:PORT) and the server leg (L2: back
 * address <-> server) are in one causal order: a frame arriving at the
 * gateway is recorded before the gateway acts on it.
 *
 * For each proxied connection (L1 and L2 paired by the tcpfo-stream request
 * at c2s offset 0, which carries a unique seed) it checks, packet by packet
 * in capture order:
 *   c2s: no ACK the gateway sends to the client covers an offset the server
 *        had not acknowledged on L2 before it;
 *   s2c: no ACK the gateway sends to the server covers an offset the client
 *        had not acknowledged on L1 before it.
 * A FIN counts as one byte, as in TCP.
 *
 * Exit: 0 invariant held; 3 violations found; 1 capture unusable or fewer
 * pairs than --pairs; 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONNS 4096
#define STREAM_MAGIC 0x7463666fu

struct addr {
	int family;
	unsigned char a[16];
	uint16_t port;
};

struct leg {
	int used;
	struct addr peer;	/* client (L1) or gateway back addr (L2) */
	uint32_t peer_isn;	/* client ISN (L1) or gateway ISN (L2) */
	uint32_t local_isn;	/* gateway ISN (L1) or server ISN (L2) */
	int have_peer_isn, have_local_isn;
	int have_seed;
	uint32_t seed;
	int pair;		/* index of the other leg */
	int active;		/* pass 2: its SYN has gone by */
};

/* L1: peer = client, "peer" sends c2s; gw sends acks for c2s.
 * L2: peer = gateway's back socket, it sends c2s; the server acks c2s. */
static struct leg l1[MAX_CONNS], l2[MAX_CONNS];
static int n1, n2;
static struct addr vip, server;

/* Per pair state for pass 2. */
static struct {
	uint32_t server_acked;	/* max c2s offset the server acked (L2) */
	uint32_t client_acked;	/* max s2c offset the client acked (L1) */
	int server_ack_seen, client_ack_seen;
} st[MAX_CONNS];

static unsigned long checked_c2s, checked_s2c, viol_c2s, viol_s2c, rsts;
static int verbose;

static int parse_endpoint(const char *s, struct addr *a)
{
	char buf[128];
	char *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');

		if (!end || end[1] != ':')
			return -1;
		*end = 0;
		a->family = 6;
		if (inet_pton(AF_INET6, buf + 1, a->a) != 1)
			return -1;
		a->port = atoi(end + 2);
		return 0;
	}
	colon = strrchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	a->family = 4;
	memset(a->a, 0, 16);
	if (inet_pton(AF_INET, buf, a->a) != 1)
		return -1;
	a->port = atoi(colon + 1);
	return 0;
}

static int addr_eq(const struct addr *x, int family, const unsigned char *a,
		   uint16_t port)
{
	return x->family == family && x->port == port &&
	       !memcmp(x->a, a, family == 4 ? 4 : 16);
}

static struct leg *new_leg(struct leg *legs, int *n, int family,
			   const unsigned char *a, uint16_t port)
{
	struct leg *leg;

	if (*n >= MAX_CONNS)
		return NULL;
	leg = &legs[(*n)++];
	memset(leg, 0, sizeof(*leg));
	leg->used = 1;
	leg->pair = -1;
	leg->peer.family = family;
	leg->peer.port = port;
	memcpy(leg->peer.a, a, family == 4 ? 4 : 16);
	return leg;
}

/*
 * The newest leg with this peer endpoint (ports can be reused). In pass 1
 * (create) any leg, else a new one; in pass 2 the newest whose SYN has
 * already gone by in capture order.
 */
static struct leg *find_leg(struct leg *legs, int *n, int family,
			    const unsigned char *a, uint16_t port, int create)
{
	for (int i = *n - 1; i >= 0; i--)
		if (addr_eq(&legs[i].peer, family, a, port) &&
		    (create || legs[i].active))
			return &legs[i];
	return create ? new_leg(legs, n, family, a, port) : NULL;
}


static unsigned char headers_src[16];
static int headers_family;
static long headers_ifindex = -1;
static uint32_t frame_ifindex;	/* of the frame being parsed (SLL2 only) */
/* The frame's link-layer source (Ethernet, SLL, SLL2), or all zero. */
static unsigned char frame_lladdr[6];

struct seg {
	int family;
	const unsigned char *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const unsigned char *payload;
	const unsigned char *tcp;	/* TCP header */
	uint32_t caplen_payload;	/* bytes of payload captured */
	uint32_t tcp_caplen;		/* bytes captured from the TCP header on */
	uint32_t len;			/* payload length from the IP header */
	int ipid;			/* IPv4 identification, -1 for IPv6 */
	unsigned long frame;		/* 1-based frame number */
	uint64_t usec;			/* capture time */
};

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

/* Parses an IP packet at p (cap bytes captured). Returns 0 for TCP. */
static int parse_ip(const unsigned char *p, uint32_t cap, struct seg *s)
{
	const unsigned char *tcp;
	uint32_t iplen, thl, ipend;

	if (cap < 20)
		return -1;
	if ((p[0] >> 4) == 4) {
		uint32_t ihl = (p[0] & 15) * 4;

		if (p[9] != 6 || cap < ihl + 20)
			return -1;
		if ((ntohs(*(uint16_t *)(p + 6)) & 0x1fff) != 0)
			return -1; /* later fragment */
		s->family = 4;
		s->ipid = ntohs(*(uint16_t *)(p + 4));
		s->src = p + 12;
		s->dst = p + 16;
		iplen = ntohs(*(uint16_t *)(p + 2));
		tcp = p + ihl;
		ipend = iplen;
	} else if ((p[0] >> 4) == 6) {
		if (cap < 40 + 20 || p[6] != 6)
			return -1; /* extension headers: not produced here */
		s->family = 6;
		s->ipid = -1;
		s->src = p + 8;
		s->dst = p + 24;
		iplen = 40 + ntohs(*(uint16_t *)(p + 4));
		tcp = p + 40;
		ipend = iplen;
	} else {
		return -1;
	}
	s->sport = ntohs(*(uint16_t *)tcp);
	s->dport = ntohs(*(uint16_t *)(tcp + 2));
	s->seq = ntohl(*(uint32_t *)(tcp + 4));
	s->ack = ntohl(*(uint32_t *)(tcp + 8));
	thl = (tcp[12] >> 4) * 4;
	s->flags = tcp[13];
	s->tcp = tcp;
	if (ipend < (uint32_t)(tcp - p) + thl)
		return -1;
	s->len = ipend - (tcp - p) - thl;
	s->payload = tcp + thl;
	s->caplen_payload = cap > (uint32_t)(tcp - p) + thl ?
			    cap - (tcp - p) - thl : 0;
	s->tcp_caplen = cap - (tcp - p);
	return 0;
}

static uint32_t linktype;
static int swapped;

static uint32_t rd32(uint32_t v)
{
	return swapped ? __builtin_bswap32(v) : v;
}

/* Returns the IP header offset inside a captured frame, or -1. */
static int ip_offset(const unsigned char *f, uint32_t cap)
{
	uint16_t proto;

	switch (linktype) {
	case 1: /* Ethernet */
		if (cap < 14)
			return -1;
		proto = ntohs(*(uint16_t *)(f + 12));
		if (proto == 0x8100 && cap >= 18)
			return ntohs(*(uint16_t *)(f + 16)) == 0x0800 ||
			       ntohs(*(uint16_t *)(f + 16)) == 0x86dd ? 18 : -1;
		return proto == 0x0800 || proto == 0x86dd ? 14 : -1;
	case 113: /* Linux cooked v1 */
		if (cap < 16)
			return -1;
		proto = ntohs(*(uint16_t *)(f + 14));
		return proto == 0x0800 || proto == 0x86dd ? 16 : -1;
	case 276: /* Linux cooked v2 */
		if (cap < 20)
			return -1;
		proto = ntohs(*(uint16_t *)f);
		return proto == 0x0800 || proto == 0x86dd ? 20 : -1;
	case 101: /* raw IP */
	case 12:
		return 0;
	}
	return -1;
}

/* Pass 2: a SYN activates the leg it started. */
static void activate(struct leg *legs, int n, const struct seg *s)
{
	for (int i = 0; i < n; i++)
		if (addr_eq(&legs[i].peer, s->family, s->src, s->sport) &&
		    legs[i].have_peer_isn && legs[i].peer_isn == s->seq)
			legs[i].active = 1;
}

typedef void (*seg_fn)(const struct seg *s);

static int walk(const char *file, seg_fn fn)
{
	static unsigned char buf[262144];
	uint32_t gh[6];
	FILE *f = fopen(file, "rb");
	unsigned long frames = 0;

	if (!f) {
		perror(file);
		return -1;
	}
	if (fread(gh, 4, 6, f) != 6) {
		fprintf(stderr, "tcpfo-pcapcheck: %s: not a pcap file\n", file);
		fclose(f);
		return -1;
	}
	if (gh[0] == 0xa1b2c3d4 || gh[0] == 0xa1b23c4d)
		swapped = 0;
	else if (gh[0] == 0xd4c3b2a1 || gh[0] == 0x4d3cb2a1)
		swapped = 1;
	else {
		fprintf(stderr, "tcpfo-pcapcheck: %s: not a pcap file (pcapng?)\n",
			file);
		fclose(f);
		return -1;
	}
	linktype = rd32(gh[5]) & 0xffff;
	for (;;) {
		uint32_t rh[4], cap;
		struct seg s;
		int off;

		if (fread(rh, 4, 4, f) != 4)
			break;
		cap = rd32(rh[2]);
		if (cap > sizeof(buf) || fread(buf, 1, cap, f) != cap) {
			fprintf(stderr, "tcpfo-pcapcheck: truncated capture\n");
			fclose(f);
			return -1;
		}
		frames++;
		off = ip_offset(buf, cap);
		frame_ifindex = linktype == 276 && cap >= 8 ?
				ntohl(*(uint32_t *)(buf + 4)) : 0;
		memset(frame_lladdr, 0, sizeof(frame_lladdr));
		if (linktype == 1 && cap >= 12)
			memcpy(frame_lladdr, buf + 6, 6);
		else if (linktype == 113 && cap >= 16 &&
			 ntohs(*(uint16_t *)(buf + 4)) == 6)
			memcpy(frame_lladdr, buf + 6, 6);
		else if (linktype == 276 && cap >= 20 && buf[11] == 6)
			memcpy(frame_lladdr, buf + 12, 6);
		if (off < 0 || parse_ip(buf + off, cap - off, &s))
			continue;
		s.frame = frames;
		s.usec = (uint64_t)rd32(rh[0]) * 1000000 + rd32(rh[1]) /
			 (gh[0] == 0xa1b23c4d || gh[0] == 0x4d3cb2a1 ? 1000 : 1);
		fn(&s);
	}
	fclose(f);
	return frames ? 0 : -1;
}

/* Which leg and direction a segment belongs to. */
enum kind { NONE, L1_FROM_CLIENT, L1_TO_CLIENT, L2_TO_SERVER, L2_FROM_SERVER };

static enum kind classify(const struct seg *s, struct leg **leg, int create)
{
	if (addr_eq(&vip, s->family, s->dst, s->dport)) {
		*leg = find_leg(l1, &n1, s->family, s->src, s->sport, create);
		return *leg ? L1_FROM_CLIENT : NONE;
	}
	if (addr_eq(&vip, s->family, s->src, s->sport)) {
		*leg = find_leg(l1, &n1, s->family, s->dst, s->dport, create);
		return *leg ? L1_TO_CLIENT : NONE;
	}
	if (addr_eq(&server, s->family, s->dst, s->dport)) {
		*leg = find_leg(l2, &n2, s->family, s->src, s->sport, create);
		return *leg ? L2_TO_SERVER : NONE;
	}
	if (addr_eq(&server, s->family, s->src, s->sport)) {
		*leg = find_leg(l2, &n2, s->family, s->dst, s->dport, create);
		return *leg ? L2_FROM_SERVER : NONE;
	}
	return NONE;
}

/* Pass 1: ISNs and the seed at c2s offset 0 of each leg. A new SYN from
 * the same client port starts a new leg (port reuse). */
static void pass1(const struct seg *s)
{
	struct leg *leg;
	enum kind k = classify(s, &leg, 1);

	if (k == NONE)
		return;
	if ((s->flags & (F_SYN | F_ACK)) == F_SYN &&
	    (k == L1_FROM_CLIENT || k == L2_TO_SERVER)) {
		if (leg->have_peer_isn && leg->peer_isn != s->seq) {
			/* A new connection from a reused port. */
			if (k == L1_FROM_CLIENT)
				leg = new_leg(l1, &n1, s->family, s->src, s->sport);
			else
				leg = new_leg(l2, &n2, s->family, s->src, s->sport);
			if (!leg)
				return;
		}
		leg->peer_isn = s->seq;
		leg->have_peer_isn = 1;
	}
	if ((s->flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) &&
	    (k == L1_TO_CLIENT || k == L2_FROM_SERVER)) {
		leg->local_isn = s->seq;
		leg->have_local_isn = 1;
	}
	if ((k == L1_FROM_CLIENT || k == L2_TO_SERVER) && leg->have_peer_isn &&
	    !leg->have_seed && s->seq == leg->peer_isn + 1 &&
	    s->caplen_payload >= 8 && s->len >= 8) {
		uint32_t magic, seed;

		memcpy(&magic, s->payload, 4);
		memcpy(&seed, s->payload + 4, 4);
		if (magic == STREAM_MAGIC) {
			leg->seed = seed;
			leg->have_seed = 1;
		}
	}
}

static void report(const char *dir, int i, uint32_t acked, uint32_t limit)
{
	if (verbose || (dir[0] == 'c' ? viol_c2s : viol_s2c) <= 5)
		printf("VIOLATION %s pair %d (seed %u): ack covers offset %u, peer had acknowledged %u\n",
		       dir, i, l1[i].seed, acked, limit);
}

/* Pass 2, in capture order. */
static void pass2(const struct seg *s)
{
	struct leg *leg;
	enum kind k;
	int i;

	if ((s->flags & (F_SYN | F_ACK)) == F_SYN) {
		activate(l1, n1, s);
		activate(l2, n2, s);
	}
	k = classify(s, &leg, 0);
	if (k == NONE)
		return;
	if (s->flags & F_RST)
		rsts++;
	if (!(s->flags & F_ACK))
		return;
	if (k == L1_FROM_CLIENT || k == L1_TO_CLIENT) {
		i = leg - l1;
		if (!leg->have_peer_isn || !leg->have_local_isn)
			return;
		if (k == L1_FROM_CLIENT) {
			uint32_t off = s->ack - (leg->local_isn + 1);

			if (!(s->flags & F_SYN) && (int32_t)off >= 0 &&
			    (!st[i].client_ack_seen || (int32_t)(off - st[i].client_acked) > 0)) {
				st[i].client_acked = off;
				st[i].client_ack_seen = 1;
			}
		} else {
			uint32_t off = s->ack - (leg->peer_isn + 1);

			checked_c2s++;
			if (off != 0 && (int32_t)off > 0 &&
			    (!st[i].server_ack_seen ||
			     (int32_t)(off - st[i].server_acked) > 0)) {
				viol_c2s++;
				report("c2s", i, off, st[i].server_acked);
			}
		}
		return;
	}
	/* L2 */
	if (!leg->have_peer_isn || !leg->have_local_isn || leg->pair < 0)
		return;
	i = leg->pair;
	if (k == L2_FROM_SERVER) {
		uint32_t off = s->ack - (leg->peer_isn + 1);

		if (!(s->flags & F_SYN) && (int32_t)off >= 0 &&
		    (!st[i].server_ack_seen || (int32_t)(off - st[i].server_acked) > 0)) {
			st[i].server_acked = off;
			st[i].server_ack_seen = 1;
		}
	} else {
		uint32_t off = s->ack - (leg->local_isn + 1);

		checked_s2c++;
		if (off != 0 && (int32_t)off > 0 &&
		    (!st[i].client_ack_seen ||
		     (int32_t)(off - st[i].client_acked) > 0)) {
			viol_s2c++;
			report("s2c", i, off, st[i].client_acked);
		}
	}
}

/*
 * --headers output. Segmentation and the order in which two CPUs' frames
 * reach the capture may legitimately differ between two capture points, so
 * segments are sorted by sequence number and contiguous data segments with
 * identical ack, window, flags (PSH aside) and options are merged into one
 * line: what is compared is every header field of every byte, not how the
 * bytes were cut or interleaved.
 */
struct hdr {
	uint16_t sport, dport, win;
	uint32_t seq, rel, len, ack;
	uint8_t flags;
	char opts[96];
};

static struct hdr *hdrs;
static size_t nhdrs, caphdrs;

static void print_header(const struct seg *s)
{
	uint32_t thl = (s->tcp[12] >> 4) * 4;
	struct hdr *h;
	size_t o = 0;

	if (s->family != headers_family ||
	    memcmp(s->src, headers_src, s->family == 4 ? 4 : 16))
		return;
	if (headers_ifindex >= 0 && frame_ifindex != (uint32_t)headers_ifindex)
		return;
	if (nhdrs == caphdrs) {
		caphdrs = caphdrs ? caphdrs * 2 : 1024;
		hdrs = realloc(hdrs, caphdrs * sizeof(*hdrs));
		if (!hdrs) {
			perror("tcpfo-pcapcheck");
			exit(1);
		}
	}
	h = &hdrs[nhdrs++];
	h->sport = s->sport;
	h->dport = s->dport;
	h->win = ntohs(*(uint16_t *)(s->tcp + 14));
	h->seq = s->seq;
	h->rel = s->seq - hdrs[0].seq;	/* wrap-safe sort key */
	h->len = s->len;
	h->ack = s->ack;
	h->flags = s->flags & ~0x08;
	h->opts[0] = 0;
	for (uint32_t i = 20; i < thl && o + 3 < sizeof(h->opts); i++)
		o += snprintf(h->opts + o, sizeof(h->opts) - o, "%02x", s->tcp[i]);
}

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c;

	if (x->rel != y->rel)
		return x->rel < y->rel ? -1 : 1;
	if (x->ack != y->ack)
		return x->ack < y->ack ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = strcmp(x->opts, y->opts);
	if (c)
		return c;
	return (int)x->flags - (int)y->flags + (int)x->win - (int)y->win;
}

static void flush_headers(void)
{
	size_t i = 0;

	qsort(hdrs, nhdrs, sizeof(*hdrs), hdr_cmp);
	while (i < nhdrs) {
		struct hdr run = hdrs[i++];

		while (i < nhdrs && run.len && hdrs[i].len &&
		       hdrs[i].seq == run.seq + run.len &&
		       hdrs[i].ack == run.ack && hdrs[i].flags == run.flags &&
		       hdrs[i].win == run.win && hdrs[i].sport == run.sport &&
		       hdrs[i].dport == run.dport &&
		       !strcmp(hdrs[i].opts, run.opts))
			run.len += hdrs[i++].len;
		printf("%u>%u seq %u ack %u flags %02x win %u len %u opts %s\n",
		       run.sport, run.dport, run.seq, run.ack, run.flags, run.win,
		       run.len, run.opts);
	}
}

/*
 * --tsval: per sender of each connection (source and destination address
 * and port), the TSvals in capture order never decrease (serial order).
 */
#define TS_SLOTS 65536

/* FNV-1a of a connection's direction: its slot in a TS_SLOTS table. */
static uint32_t conn_hash(int family, const unsigned char *src,
			  const unsigned char *dst, uint16_t sport,
			  uint16_t dport)
{
	size_t alen = family == 4 ? 4 : 16, i;
	uint32_t h = 2166136261u;

	for (i = 0; i < alen; i++)
		h = (h ^ src[i]) * 16777619u;
	for (i = 0; i < alen; i++)
		h = (h ^ dst[i]) * 16777619u;
	h = (h ^ sport) * 16777619u;
	h = (h ^ dport) * 16777619u;
	return h;
}
static struct tsent {
	int used, family;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	uint32_t last;
	unsigned char lladdr[6];	/* who sent it (a gateway's MAC) */
	/* the segment that carried last */
	uint32_t lseq, lack, llen;
	uint8_t lflags;
	int lipid;
	unsigned long lframe;
	uint64_t lusec;
} *ts_tab;
static unsigned long ts_checked, ts_back, ts_used;
/* Of the segments that went back: pure ACKs (IPv4 with IP ID 0, as the
 * module crafts its release ACKs; others), data or control segments; and
 * how far back (ms).
 */
static unsigned long ts_back_ack0, ts_back_ack, ts_back_data;
/* Went back from one link-layer sender to another: across a takeover. */
static unsigned long ts_back_moved;
static uint32_t ts_back_max;

static void ts_describe(const char *what, uint32_t seq, uint32_t ack,
			uint32_t len, uint8_t flags, int ipid,
			unsigned long frame, uint32_t tsval)
{
	printf("  %s frame %lu: flags %02x seq %u ack %u len %u", what, frame,
	       flags, seq, ack, len);
	if (ipid >= 0)
		printf(" ipid %d", ipid);
	printf(" TSval %u\n", tsval);
}

static int tcp_ts(const struct seg *s, uint32_t *val, uint32_t *ecr)
{
	uint32_t thl = (s->tcp[12] >> 4) * 4, off = 20;

	if (s->tcp_caplen < thl)
		return 0;
	while (off < thl) {
		uint8_t kind = s->tcp[off], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			off++;
			continue;
		}
		if (off + 1 >= thl)
			break;
		len = s->tcp[off + 1];
		if (len < 2 || off + len > thl)
			break;
		if (kind == 8 && len == 10) {
			memcpy(val, s->tcp + off + 2, 4);
			*val = ntohl(*val);
			if (ecr) {
				memcpy(ecr, s->tcp + off + 6, 4);
				*ecr = ntohl(*ecr);
			}
			return 1;
		}
		off += len;
	}
	return 0;
}

static void check_tsval(const struct seg *s)
{
	size_t alen = s->family == 4 ? 4 : 16;
	uint32_t v, h;
	struct tsent *e;
	size_t i;

	if (!tcp_ts(s, &v, NULL))
		return;
	h = conn_hash(s->family, s->src, s->dst, s->sport, s->dport);
	for (i = h % TS_SLOTS;; i = (i + 1) % TS_SLOTS) {
		e = &ts_tab[i];
		if (!e->used)
			break;
		if (e->family == s->family && e->sport == s->sport &&
		    e->dport == s->dport && !memcmp(e->src, s->src, alen) &&
		    !memcmp(e->dst, s->dst, alen))
			break;
	}
	ts_checked++;
	if (!e->used) {
		if (++ts_used >= TS_SLOTS - 1) {
			fprintf(stderr, "tcpfo-pcapcheck: too many connections\n");
			exit(1);
		}
		e->used = 1;
		e->family = s->family;
		memcpy(e->src, s->src, alen);
		memcpy(e->dst, s->dst, alen);
		e->sport = s->sport;
		e->dport = s->dport;
	} else if ((int32_t)(v - e->last) < 0) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		int af = s->family == 4 ? AF_INET : AF_INET6;

		bool pure = !s->len && !(s->flags & (F_SYN | F_FIN | F_RST));
		bool moved = memcmp(e->lladdr, frame_lladdr, 6) != 0;

		if (pure && s->ipid == 0)
			ts_back_ack0++;
		else if (pure)
			ts_back_ack++;
		else
			ts_back_data++;
		if (e->last - v > ts_back_max)
			ts_back_max = e->last - v;
		if (moved)
			ts_back_moved++;
		if (++ts_back <= 10 || (moved && ts_back_moved <= 10)) {
			printf("TSval went back%s on %s.%u > %s.%u: %u -> %u, %lld us later\n",
			       moved ? " across a change of sender" : "",
			       inet_ntop(af, s->src, a, sizeof(a)), s->sport,
			       inet_ntop(af, s->dst, b, sizeof(b)), s->dport,
			       e->last, v, (long long)(s->usec - e->lusec));
			ts_describe("higher", e->lseq, e->lack, e->llen,
				    e->lflags, e->lipid, e->lframe, e->last);
			ts_describe("lower ", s->seq, s->ack, s->len, s->flags,
				    s->ipid, s->frame, v);
		}
	}
	e->last = v;
	memcpy(e->lladdr, frame_lladdr, 6);
	e->lseq = s->seq;
	e->lack = s->ack;
	e->llen = s->len;
	e->lflags = s->flags;
	e->lipid = s->ipid;
	e->lframe = s->frame;
	e->lusec = s->usec;
}

/*
 * --tsecr-lag: per direction of each connection the newest TSval seen;
 * an ACK's TSecr is judged against its receiver's.
 */
struct sentseg {
	uint32_t start, end;
	uint64_t usec;		/* first seen */
	int retrans;		/* seen again */
};

static struct tslag {
	int used, family;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	uint32_t newest;
	uint64_t newest_usec;	/* when newest was first seen */
	/* With FROM-ADDRs, a peer's data not yet acknowledged (capture
	 * order), for the RTT samples the peer takes from the ACKs.
	 */
	struct sentseg *segs;
	size_t head, nsegs, cap;
	uint32_t high, una;
	int have_high, have_una;
} *lag_tab;
static unsigned long lag_checked, lag_over, lag_dirs;
static uint32_t lag_limit;
static struct { int family; unsigned char a[16]; } lag_from[8];
static int n_lag_from;
static struct lagged {
	uint32_t lag, seq, ack, len, tsecr, peer_newest;
	uint8_t flags;
	int ipid, family;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	unsigned long frame;
	uint64_t usec;
} lag_worst[10];
/* The RTT samples (ms) the peers take from the gateways' ACKs, as TCP
 * does (tcp_clean_rtx_queue(), tcp_ack_update_rtt()): from the send time
 * of the first newly acknowledged segment never sent twice, or, Karn's
 * case, from the TSecr. Times are the capture's: queues before it are
 * not counted.
 */
static unsigned long rtt_samples, rtt_over, rtt_karn_over;
static struct rttsample {
	uint32_t ms, ack, tsecr;
	int karn, family, ipid;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	uint32_t len;
	unsigned long frame;
	uint64_t usec;
} rtt_worst[10];

static void note_sent(struct tslag *e, const struct seg *s)
{
	uint32_t end = s->seq + s->len;
	size_t i;

	if (e->have_high && (int32_t)(end - e->high) <= 0) {
		/* Again: every segment it overlaps was sent twice. */
		for (i = e->head; i < e->nsegs; i++)
			if ((int32_t)(e->segs[i].start - end) < 0 &&
			    (int32_t)(e->segs[i].end - s->seq) > 0)
				e->segs[i].retrans = 1;
		return;
	}
	if (e->have_high && (int32_t)(s->seq - e->high) < 0) {
		for (i = e->head; i < e->nsegs; i++)
			if ((int32_t)(e->segs[i].end - s->seq) > 0)
				e->segs[i].retrans = 1;
	}
	if (e->nsegs == e->cap) {
		if (e->head > e->cap / 2) {
			memmove(e->segs, e->segs + e->head,
				(e->nsegs - e->head) * sizeof(*e->segs));
			e->nsegs -= e->head;
			e->head = 0;
		} else {
			e->cap = e->cap ? 2 * e->cap : 256;
			e->segs = realloc(e->segs, e->cap * sizeof(*e->segs));
			if (!e->segs) {
				perror("tcpfo-pcapcheck");
				exit(1);
			}
		}
	}
	e->segs[e->nsegs++] = (struct sentseg){
		.start = e->have_high && (int32_t)(s->seq - e->high) < 0 ?
			 e->high : s->seq,
		.end = end, .usec = s->usec,
	};
	e->high = end;
	e->have_high = 1;
}

static void rtt_sample(struct tslag *peer, const struct seg *s, uint32_t ecr)
{
	size_t alen = s->family == 4 ? 4 : 16, i;
	uint64_t first = 0;
	int karn = 0, any = 0, k, w;
	int64_t ms;

	if (peer->have_una && (int32_t)(s->ack - peer->una) <= 0)
		return;
	for (i = peer->head; i < peer->nsegs &&
	     (int32_t)(peer->segs[i].start - s->ack) < 0; i++) {
		any = 1;
		if (peer->segs[i].retrans)
			karn = 1;
		else if (!first)
			first = peer->segs[i].usec;
	}
	while (peer->head < peer->nsegs &&
	       (int32_t)(peer->segs[peer->head].end - s->ack) <= 0)
		peer->head++;
	peer->una = s->ack;
	peer->have_una = 1;
	if (!any)
		return;
	if (!karn && first)
		ms = (int64_t)(s->usec - first) / 1000;
	else if (ecr && peer->newest_usec)
		ms = (int64_t)(s->usec - peer->newest_usec) / 1000 +
		     (int32_t)(peer->newest - ecr);
	else
		return;
	karn = karn || !first;
	rtt_samples++;
	if (ms <= lag_limit)
		return;
	rtt_over++;
	if (karn)
		rtt_karn_over++;
	for (w = 0; w < 10 && rtt_worst[w].ms >= ms; w++)
		;
	if (w == 10)
		return;
	for (k = 9; k > w; k--)
		rtt_worst[k] = rtt_worst[k - 1];
	rtt_worst[w] = (struct rttsample){
		.ms = (uint32_t)ms, .ack = s->ack, .tsecr = ecr, .karn = karn,
		.family = s->family, .ipid = s->ipid, .sport = s->sport,
		.dport = s->dport, .len = s->len, .frame = s->frame,
		.usec = s->usec,
	};
	memcpy(rtt_worst[w].src, s->src, alen);
	memcpy(rtt_worst[w].dst, s->dst, alen);
}

static struct tslag *lag_entry(int family, const unsigned char *src,
			       const unsigned char *dst, uint16_t sport,
			       uint16_t dport, int create)
{
	size_t alen = family == 4 ? 4 : 16, i;
	uint32_t h = conn_hash(family, src, dst, sport, dport);
	struct tslag *e;

	for (i = h % TS_SLOTS;; i = (i + 1) % TS_SLOTS) {
		e = &lag_tab[i];
		if (!e->used)
			break;
		if (e->family == family && e->sport == sport &&
		    e->dport == dport && !memcmp(e->src, src, alen) &&
		    !memcmp(e->dst, dst, alen))
			return e;
	}
	if (!create)
		return NULL;
	if (++lag_dirs >= TS_SLOTS - 1) {
		fprintf(stderr, "tcpfo-pcapcheck: too many connections\n");
		exit(1);
	}
	e->used = 1;
	e->family = family;
	memcpy(e->src, src, alen);
	memcpy(e->dst, dst, alen);
	e->sport = sport;
	e->dport = dport;
	return e;
}

static void check_tsecr(const struct seg *s)
{
	struct tslag *me, *peer;
	uint32_t v, ecr, lag;
	size_t alen = s->family == 4 ? 4 : 16;
	int k, w;

	if (!tcp_ts(s, &v, &ecr))
		return;
	me = lag_entry(s->family, s->src, s->dst, s->sport, s->dport, 1);
	if (me->used == 1 || (int32_t)(v - me->newest) > 0) {
		me->newest = v;
		me->newest_usec = s->usec;
	}
	me->used = 2;
	if (n_lag_from) {
		for (k = 0; k < n_lag_from; k++)
			if (lag_from[k].family == s->family &&
			    !memcmp(lag_from[k].a, s->src, alen))
				break;
		if (k == n_lag_from) {
			/* A peer: its data, for the RTT samples. */
			if (s->len && !(s->flags & (F_SYN | F_RST)))
				note_sent(me, s);
			return;
		}
	}
	if ((s->flags & F_RST) || !(s->flags & F_ACK))
		return;
	peer = lag_entry(s->family, s->dst, s->src, s->dport, s->sport, 0);
	if (!peer || peer->used != 2)
		return;
	if (n_lag_from)
		rtt_sample(peer, s, ecr);
	if (!ecr)
		return;
	lag_checked++;
	lag = (int32_t)(peer->newest - ecr) > 0 ? peer->newest - ecr : 0;
	if (lag <= lag_limit)
		return;
	lag_over++;
	/* Keep the 10 largest, largest first. */
	for (w = 0; w < 10 && lag_worst[w].lag >= lag; w++)
		;
	if (w == 10)
		return;
	for (k = 9; k > w; k--)
		lag_worst[k] = lag_worst[k - 1];
	lag_worst[w] = (struct lagged){
		.lag = lag, .seq = s->seq, .ack = s->ack, .len = s->len,
		.tsecr = ecr, .peer_newest = peer->newest, .flags = s->flags,
		.ipid = s->ipid, .family = s->family, .sport = s->sport,
		.dport = s->dport, .frame = s->frame, .usec = s->usec,
	};
	memcpy(lag_worst[w].src, s->src, alen);
	memcpy(lag_worst[w].dst, s->dst, alen);
}

static int tsecr_lag_main(const char *limit, const char *file, int nfrom,
			  char **from, bool karn)
{
	char *end;
	unsigned long l = strtoul(limit, &end, 10);

	if (!*limit || *end || l > UINT32_MAX || nfrom > 8 || (karn && !nfrom))
		return 2;
	for (n_lag_from = 0; n_lag_from < nfrom; n_lag_from++) {
		unsigned char *a = lag_from[n_lag_from].a;

		if (inet_pton(AF_INET, from[n_lag_from], a) == 1)
			lag_from[n_lag_from].family = 4;
		else if (inet_pton(AF_INET6, from[n_lag_from], a) == 1)
			lag_from[n_lag_from].family = 6;
		else
			return 2;
	}
	lag_limit = (uint32_t)l;
	lag_tab = calloc(TS_SLOTS, sizeof(*lag_tab));
	if (!lag_tab || walk(file, check_tsecr))
		return 1;
	printf("tsecr: %lu echoes judged, %lu lag their receiver's newest TSval by more than %u ms\n",
	       lag_checked, lag_over, lag_limit);
	for (int w = 0; w < 10 && lag_worst[w].lag; w++) {
		const struct lagged *g = &lag_worst[w];
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		int af = g->family == 4 ? AF_INET : AF_INET6;

		printf("  lag %u ms: frame %lu at %llu.%06llu %s.%u > %s.%u flags %02x seq %u ack %u len %u",
		       g->lag, g->frame, (unsigned long long)(g->usec / 1000000),
		       (unsigned long long)(g->usec % 1000000),
		       inet_ntop(af, g->src, a, sizeof(a)), g->sport,
		       inet_ntop(af, g->dst, b, sizeof(b)), g->dport, g->flags,
		       g->seq, g->ack, g->len);
		if (g->ipid >= 0)
			printf(" ipid %d", g->ipid);
		printf(" TSecr %u, receiver's newest TSval %u\n", g->tsecr,
		       g->peer_newest);
	}
	if (n_lag_from) {
		printf("rtt: the peers take %lu RTT samples from these ACKs (from the capture's times), %lu over %u ms, %lu of those from a TSecr (Karn's case)\n",
		       rtt_samples, rtt_over, lag_limit, rtt_karn_over);
		for (int w = 0; w < 10 && rtt_worst[w].ms; w++) {
			const struct rttsample *g = &rtt_worst[w];
			char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
			int af = g->family == 4 ? AF_INET : AF_INET6;

			printf("  %u ms (%s): frame %lu at %llu.%06llu %s.%u > %s.%u ack %u len %u",
			       g->ms, g->karn ? "TSecr" : "send time", g->frame,
			       (unsigned long long)(g->usec / 1000000),
			       (unsigned long long)(g->usec % 1000000),
			       inet_ntop(af, g->src, a, sizeof(a)), g->sport,
			       inet_ntop(af, g->dst, b, sizeof(b)), g->dport,
			       g->ack, g->len);
			if (g->ipid >= 0)
				printf(" ipid %d", g->ipid);
			printf(" TSecr %u\n", g->tsecr);
		}
	}
	if (karn) {
		if (!rtt_samples) {
			printf("rtt: no sample to judge\n");
			return 1;
		}
		return rtt_karn_over ? 3 : 0;
	}
	if (!lag_checked) {
		printf("tsecr: no echo to judge\n");
		return 1;
	}
	return lag_over ? 3 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && (!strcmp(argv[1], "--tsval") ||
			  !strcmp(argv[1], "--tsval-within"))) {
		bool within = !strcmp(argv[1], "--tsval-within");

		ts_tab = calloc(TS_SLOTS, sizeof(*ts_tab));
		if (!ts_tab || walk(argv[2], check_tsval))
			return 1;
		printf("tsval: %lu segments with timestamps from %lu senders, %lu went back\n",
		       ts_checked, ts_used, ts_back);
		if (ts_back)
			printf("tsval: of those, %lu across a change of sender (takeover), %lu pure ACKs with IP ID 0 (crafted), %lu other pure ACKs, %lu data or control; at most %u ms back\n",
			       ts_back_moved, ts_back_ack0, ts_back_ack,
			       ts_back_data, ts_back_max);
		if (!ts_checked) {
			printf("tsval: no segment carries a timestamp: cannot judge\n");
			return 1;
		}
		if (within)
			return ts_back > ts_back_moved ? 3 : 0;
		return ts_back ? 3 : 0;
	}
	if (argc >= 4 && (!strcmp(argv[1], "--tsecr-lag") ||
			  !strcmp(argv[1], "--karn-rtt"))) {
		int rc = tsecr_lag_main(argv[2], argv[3], argc - 4, argv + 4,
					!strcmp(argv[1], "--karn-rtt"));

		if (rc != 2)
			return rc;
		goto usage;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--headers")) {
		if (argc == 5)
			headers_ifindex = atol(argv[4]);
		if (inet_pton(AF_INET, argv[2], headers_src) == 1)
			headers_family = 4;
		else if (inet_pton(AF_INET6, argv[2], headers_src) == 1)
			headers_family = 6;
		else
			goto usage;
		if (walk(argv[3], print_header))
			return 1;
		flush_headers();
		return 0;
	}

	const char *file = NULL;
	int want_pairs = 1, pairs = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vip") && i + 1 < argc) {
			if (parse_endpoint(argv[++i], &vip))
				goto usage;
		} else if (!strcmp(argv[i], "--server") && i + 1 < argc) {
			if (parse_endpoint(argv[++i], &server))
				goto usage;
		} else if (!strcmp(argv[i], "--pairs") && i + 1 < argc) {
			want_pairs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-v")) {
			verbose = 1;
		} else if (argv[i][0] != '-' && !file) {
			file = argv[i];
		} else {
			goto usage;
		}
	}
	if (!file || !vip.family || !server.family)
		goto usage;
	if (walk(file, pass1))
		return 1;
	/* Pair L1 and L2 legs by the seed of their first bytes. */
	for (int i = 0; i < n1; i++) {
		if (!l1[i].have_seed)
			continue;
		for (int j = 0; j < n2; j++) {
			if (l2[j].have_seed && l2[j].pair < 0 &&
			    l2[j].seed == l1[i].seed) {
				l1[i].pair = j;
				l2[j].pair = i;
				pairs++;
				break;
			}
		}
	}
	if (walk(file, pass2))
		return 1;
	printf("pcapcheck: %d client legs, %d server legs, %d pairs; acks checked c2s %lu s2c %lu; RSTs %lu; violations c2s %lu s2c %lu\n",
	       n1, n2, pairs, checked_c2s, checked_s2c, rsts, viol_c2s, viol_s2c);
	if (pairs < want_pairs) {
		printf("pcapcheck: expected at least %d pairs: capture incomplete\n",
		       want_pairs);
		return 1;
	}
	return viol_c2s || viol_s2c ? 3 : 0;
usage:
	fprintf(stderr, "usage: tcpfo-pcapcheck --vip ADDR:PORT --server ADDR:PORT [--pairs N] [-v] FILE\n"
			"       tcpfo-pcapcheck --headers SRC-ADDR FILE [IFINDEX]\n"
			"       tcpfo-pcapcheck --tsval FILE\n"
			"       tcpfo-pcapcheck --tsval-within FILE\n"
			"       tcpfo-pcapcheck --tsecr-lag MS FILE [FROM-ADDR...]\n"
			"       tcpfo-pcapcheck --karn-rtt MS FILE FROM-ADDR...\n");
	return 2;
}
