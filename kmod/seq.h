/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure arithmetic of the ACK-deferral datapath: sequence numbers with
 * wraparound, offsets, the ack clamp, window widening, SACK filtering, the
 * duplicate-ACK predicate, release acks and TCP option parsing.
 *
 * No kernel dependencies: the host unit tests (kmod/tests/SeqTest.cpp)
 * compile this header directly, so every rule the datapath applies to a
 * number is tested here, wraparound at 2^32 and every window scale included.
 *
 * Terms (see DESIGN.md): an offset counts the bytes of one direction from 0
 * after the SYN; the byte at offset k has sequence number isn + 1 + k on a
 * leg whose sender chose isn. R is the released offset of a direction, N the
 * ack the gateway's own socket puts in a segment (its rcv_nxt), A the ack the
 * peer is allowed to see.
 */
#ifndef _TCPFO_SEQ_H
#define _TCPFO_SEQ_H

#ifdef __KERNEL__
#include <linux/string.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;
#endif

/* TCP option kinds (RFC 9293, 2018, 7323); own names, the kernel's
 * <net/tcp.h> defines TCPOPT_* as macros.
 */
#define TCPFO_OPT_KIND_EOL	0
#define TCPFO_OPT_KIND_NOP	1
#define TCPFO_OPT_KIND_MSS	2
#define TCPFO_OPT_KIND_WSCALE	3
#define TCPFO_OPT_KIND_SACK_PERM 4
#define TCPFO_OPT_KIND_SACK	5
#define TCPFO_OPT_KIND_TS	8

#define TCPFO_OPT_LEN_MSS	4
#define TCPFO_OPT_LEN_WSCALE	3
#define TCPFO_OPT_LEN_SACK_PERM	2
#define TCPFO_OPT_LEN_TS	10
#define TCPFO_SACK_BLOCK_LEN	8
/* 40 bytes of options hold at most 4 blocks (2 + 4 * 8 = 34). */
#define TCPFO_SACK_MAX_BLOCKS	4

/* Longest TCP option area (doff 15). */
#define TCPFO_OPT_MAX_LEN	40

/* RFC 7323: a shift above 14 is used as 14. */
#define TCPFO_MAX_WSCALE	14
#define TCPFO_WIN_FIELD_MAX	65535U

/* ---- sequence numbers ------------------------------------------------- */

/* a is before b in sequence space (the 2^31 half-space rule). */
static inline bool tcpfo_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool tcpfo_seq_after(u32 a, u32 b)
{
	return tcpfo_seq_before(b, a);
}

static inline u32 tcpfo_seq_max(u32 a, u32 b)
{
	return tcpfo_seq_after(a, b) ? a : b;
}

static inline u32 tcpfo_seq_min(u32 a, u32 b)
{
	return tcpfo_seq_before(a, b) ? a : b;
}

/* ---- offsets ------------------------------------------------------------ */

/* Sequence number of the byte at offset @off of a stream started at @isn. */
static inline u32 tcpfo_off_to_seq(u32 isn, u64 off)
{
	return isn + 1 + (u32)off;
}

/* Offset, modulo 2^32, of the byte numbered @seq in a stream from @isn. */
static inline u32 tcpfo_seq_to_off32(u32 isn, u32 seq)
{
	return seq - isn - 1;
}

/*
 * A 32-bit offset widened to 64 bits: the value congruent to @off32 modulo
 * 2^32 nearest to @ref (which must lie within 2^31 of it). Never below 0.
 */
static inline u64 tcpfo_off_extend(u64 ref, u32 off32)
{
	s32 delta = (s32)(off32 - (u32)ref);

	if (delta < 0 && (u64)(-(s64)delta) > ref)
		return 0;
	return ref + (u64)(s64)delta;
}

/* ---- the clamp ---------------------------------------------------------- */

/*
 * The ack a segment of the gateway's socket may carry: A = isn + 1 + R of
 * the direction the peer sends (R = @released), when that is before the
 * socket's own ack @n. Returns the ack to send; *@clamped says whether it
 * differs from @n. An A at or beyond N never raises the ack.
 */
static inline u32 tcpfo_clamp_ack(u32 peer_isn, u64 released, u32 n,
				  bool *clamped)
{
	u32 a = tcpfo_off_to_seq(peer_isn, released);

	*clamped = tcpfo_seq_before(a, n);
	return *clamped ? a : n;
}

static inline u8 tcpfo_wscale_cap(u8 ws)
{
	return ws > TCPFO_MAX_WSCALE ? TCPFO_MAX_WSCALE : ws;
}

/* Right edge a window field @win announces with an ack @ack. */
static inline u32 tcpfo_right_edge(u32 ack, u16 win, u8 ws)
{
	return ack + ((u32)win << tcpfo_wscale_cap(ws));
}

/* ceil(@span / 2^@ws), saturated to what a window field holds. */
static inline u16 tcpfo_window_field(u64 span, u8 ws)
{
	u64 win;

	ws = tcpfo_wscale_cap(ws);
	win = (span + ((1ULL << ws) - 1)) >> ws;
	return win > TCPFO_WIN_FIELD_MAX ? (u16)TCPFO_WIN_FIELD_MAX : (u16)win;
}

/*
 * Window field that, sent with the clamped ack @a instead of the socket's
 * @n, keeps the right edge the socket announced (n + (win << ws)) or moves
 * it right by less than one scale unit (rounding up, like tcp_select_window),
 * unless the field saturates at 65535.
 */
static inline u16 tcpfo_widen_window(u16 win, u8 ws, u32 n, u32 a)
{
	u64 held = tcpfo_seq_after(n, a) ? (u32)(n - a) : 0;

	ws = tcpfo_wscale_cap(ws);
	return tcpfo_window_field(held + ((u64)win << ws), ws);
}

/*
 * Window field announcing the right edge @edge with ack @ack: rounded up,
 * saturated; 0 if the edge is not beyond the ack.
 */
static inline u16 tcpfo_window_for_edge(u32 ack, u32 edge, u8 ws)
{
	if (!tcpfo_seq_after(edge, ack))
		return 0;
	return tcpfo_window_field((u32)(edge - ack), ws);
}

/* ---- incoming segments -------------------------------------------------- */

/*
 * An ack from the peer moves the released point only if it acknowledges
 * something new (after the point the released offset names, @released_seq)
 * and nothing the gateway has not sent (at most @snd_nxt).
 */
static inline bool tcpfo_ack_advances(u32 ack, u32 released_seq, u32 snd_nxt)
{
	return tcpfo_seq_after(ack, released_seq) &&
	       !tcpfo_seq_after(ack, snd_nxt);
}

/*
 * PAWS as TCP does it (tcp_paws_check() with TCP_PAWS_WINDOW): a TSval
 * more than one tick older than ts_recent marks a stale or forged segment.
 * ts_recent must follow TCP's rule too (tcpfo_ts_recent_takes()): one
 * socket's TSvals are not monotonic across CPUs (per-CPU clocks; measured
 * 5-13 ms apart under TCG), and a ts_recent taken from every segment would
 * reject segments TCP accepts, such as a FIN.
 */
#define TCPFO_PAWS_WINDOW 1
static inline bool tcpfo_tsval_plausible(u32 tsval, u32 ts_recent,
					 bool have_recent)
{
	return !have_recent ||
	       !tcpfo_seq_before(tsval, ts_recent - TCPFO_PAWS_WINDOW);
}

/*
 * Whether a plausible segment's TSval becomes ts_recent: as in TCP's
 * tcp_replace_ts_recent(), only a segment starting at or before the last
 * ack the socket sent (its rcv_wup), i.e. not one beyond a hole or further
 * on in a burst.
 */
static inline bool tcpfo_ts_recent_takes(u32 seq, u32 rcv_wup, bool have_wup)
{
	return !have_wup || !tcpfo_seq_after(seq, rcv_wup);
}

/* ---- release ACKs ------------------------------------------------------- */

/*
 * The ack of a crafted release on a leg: isn + 1 + @released, never beyond
 * the socket's own ack @n (the bytes must have reached the gateway). Returns
 * true, with *@ack set, only if it acknowledges more than @last_sent.
 */
static inline bool tcpfo_release_ack(u32 peer_isn, u64 released, u32 n,
				     u32 last_sent, u32 *ack)
{
	u32 a = tcpfo_seq_min(tcpfo_off_to_seq(peer_isn, released), n);

	*ack = a;
	return tcpfo_seq_after(a, last_sent);
}

/* ---- duplicate ACKs ----------------------------------------------------- */

struct tcpfo_dupack_check {
	u32	ack;		/* ack field going out (after the clamp) */
	u32	last_ack;	/* ack field of the previous segment on the leg */
	u32	tsecr;		/* TSecr going out, if @has_ts */
	u32	last_tsecr;	/* TSecr of the previous segment */
	u16	win;		/* window field going out */
	u16	last_win;
	bool	have_last;	/* a previous segment went out on the leg */
	bool	clamped;	/* the ack was lowered */
	bool	pure;		/* no payload, no SYN, FIN or RST */
	bool	has_sack;	/* SACK blocks left after filtering */
	bool	ece;
	bool	has_ts;
	bool	answer_due;	/* the peer probed; this may be the answer */
};

/*
 * A clamped pure ACK the peer would take as a duplicate ACK: same ack and
 * window as the previous one, nothing else new (no SACK block, no ECE, no
 * newer TSecr) and not the answer to a probe. Such a segment is dropped.
 */
static inline bool tcpfo_is_dupack(const struct tcpfo_dupack_check *c)
{
	if (!c->clamped || !c->pure || !c->have_last || c->answer_due)
		return false;
	if (c->ack != c->last_ack || c->win != c->last_win)
		return false;
	if (c->has_sack || c->ece)
		return false;
	if (c->has_ts && tcpfo_seq_after(c->tsecr, c->last_tsecr))
		return false;
	return true;
}

/* ---- TCP options -------------------------------------------------------- */

static inline u16 tcpfo_get_be16(const u8 *p)
{
	return (u16)((p[0] << 8) | p[1]);
}

static inline u32 tcpfo_get_be32(const u8 *p)
{
	return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

static inline void tcpfo_put_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

struct tcpfo_tcp_opts {
	u32	tsval;
	u32	tsecr;
	u16	mss;
	u8	wscale;		/* capped at 14 */
	u8	sack_blocks;	/* blocks in the SACK option(s) */
	bool	has_mss;
	bool	has_wscale;
	bool	sack_perm;
	bool	has_ts;
	bool	malformed;	/* walk stopped at a bad length */
};

/*
 * Walk the option area of a TCP header (@len bytes after the fixed 20)
 * the way tcp_parse_options() does: EOL ends it, NOP is one byte, every
 * other option carries its length; a length below 2 or beyond the area
 * ends the walk. Options with an unexpected length are ignored.
 */
static inline void tcpfo_opts_parse(const u8 *opt, unsigned int len,
				    struct tcpfo_tcp_opts *o)
{
	unsigned int i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		u8 kind = opt[i];
		u8 size;

		if (kind == TCPFO_OPT_KIND_EOL)
			break;
		if (kind == TCPFO_OPT_KIND_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len) {
			o->malformed = true;
			break;
		}
		size = opt[i + 1];
		if (size < 2 || size > len - i) {
			o->malformed = true;
			break;
		}
		switch (kind) {
		case TCPFO_OPT_KIND_MSS:
			if (size == TCPFO_OPT_LEN_MSS) {
				o->mss = tcpfo_get_be16(opt + i + 2);
				o->has_mss = true;
			}
			break;
		case TCPFO_OPT_KIND_WSCALE:
			if (size == TCPFO_OPT_LEN_WSCALE) {
				o->wscale = tcpfo_wscale_cap(opt[i + 2]);
				o->has_wscale = true;
			}
			break;
		case TCPFO_OPT_KIND_SACK_PERM:
			if (size == TCPFO_OPT_LEN_SACK_PERM)
				o->sack_perm = true;
			break;
		case TCPFO_OPT_KIND_TS:
			if (size == TCPFO_OPT_LEN_TS) {
				o->tsval = tcpfo_get_be32(opt + i + 2);
				o->tsecr = tcpfo_get_be32(opt + i + 6);
				o->has_ts = true;
			}
			break;
		case TCPFO_OPT_KIND_SACK:
			if (size >= 2 + TCPFO_SACK_BLOCK_LEN &&
			    (size - 2) % TCPFO_SACK_BLOCK_LEN == 0)
				o->sack_blocks += (size - 2) /
						  TCPFO_SACK_BLOCK_LEN;
			break;
		}
		i += size;
	}
}

/* A SACK block survives the clamp only if it starts at or after N. */
static inline bool tcpfo_sack_block_keep(u32 start, u32 n)
{
	return !tcpfo_seq_before(start, n);
}

/*
 * Filter the SACK option(s) of an option area in place, for a segment whose
 * ack is clamped below the socket's @n: blocks starting before N (D-SACKs
 * and blocks in the held range [A, N)) would tell the peer about data its
 * ack does not cover, which looks like reneging once a release covers it.
 * Kept blocks are packed at the front of the option with its length
 * reduced; the freed bytes become NOPs, and an option left without blocks
 * becomes NOPs entirely, kind and length included. The area never changes
 * length. Returns the number of blocks removed; *@kept gets those left.
 */
static inline unsigned int tcpfo_sack_filter(u8 *opt, unsigned int len,
					     u32 n, unsigned int *kept)
{
	unsigned int removed = 0, i = 0;

	*kept = 0;
	while (i < len) {
		u8 keep[TCPFO_SACK_MAX_BLOCKS * TCPFO_SACK_BLOCK_LEN];
		unsigned int nblocks, b, nkeep = 0;
		u8 kind = opt[i];
		u8 size;

		if (kind == TCPFO_OPT_KIND_EOL)
			break;
		if (kind == TCPFO_OPT_KIND_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		size = opt[i + 1];
		if (size < 2 || size > len - i)
			break;
		if (kind != TCPFO_OPT_KIND_SACK ||
		    size < 2 + TCPFO_SACK_BLOCK_LEN ||
		    (size - 2) % TCPFO_SACK_BLOCK_LEN) {
			i += size;
			continue;
		}

		nblocks = (size - 2) / TCPFO_SACK_BLOCK_LEN;
		for (b = 0; b < nblocks; b++) {
			const u8 *blk = opt + i + 2 + b * TCPFO_SACK_BLOCK_LEN;

			if (tcpfo_sack_block_keep(tcpfo_get_be32(blk), n)) {
				memcpy(keep + nkeep * TCPFO_SACK_BLOCK_LEN, blk,
				       TCPFO_SACK_BLOCK_LEN);
				nkeep++;
			}
		}
		if (nkeep < nblocks) {
			removed += nblocks - nkeep;
			if (nkeep) {
				opt[i + 1] = (u8)(2 + nkeep *
						  TCPFO_SACK_BLOCK_LEN);
				memcpy(opt + i + 2, keep,
				       nkeep * TCPFO_SACK_BLOCK_LEN);
				memset(opt + i + 2 + nkeep *
				       TCPFO_SACK_BLOCK_LEN,
				       TCPFO_OPT_KIND_NOP,
				       size - 2 - nkeep * TCPFO_SACK_BLOCK_LEN);
			} else {
				memset(opt + i, TCPFO_OPT_KIND_NOP, size);
			}
		}
		*kept += nkeep;
		i += size;
	}
	return removed;
}

/* ---- SACK ranges announced to the peer --------------------------------- */

/*
 * The peer keeps every SACK block it was told in its scoreboard. If an ack
 * later stops inside such a range, the first unacknowledged skb at the peer
 * is a SACKed one, which it takes for reneging (tcp_clean_rtx_queue sets
 * FLAG_SACK_RENEGING; on RTO tcp_timeout_mark_lost forgets all SACK state
 * and retransmits everything at cwnd 1). A clamped or released ack can
 * land there: the socket SACKed data above its rcv_nxt, the hole filled,
 * and the released point is now crossing that data. So the ranges the peer
 * was told (above the ack it saw) are kept, and an ack that would fall in
 * one stops one byte before it instead: a partial ack of the segment below,
 * which the peer accepts as such.
 */
#define TCPFO_SACKED_MAX	4

struct tcpfo_sacked {
	u32	start[TCPFO_SACKED_MAX];
	u32	end[TCPFO_SACKED_MAX];
	u8	n;		/* ranges in use, sorted, disjoint, not adjacent */
};

/* Forget ranges the peer's cumulative ack @ack covers entirely. */
static inline void tcpfo_sacked_prune(struct tcpfo_sacked *sb, u32 ack)
{
	unsigned int i, j = 0;

	for (i = 0; i < sb->n; i++) {
		if (!tcpfo_seq_after(sb->end[i], ack))
			continue;
		sb->start[j] = sb->start[i];
		sb->end[j] = sb->end[i];
		j++;
	}
	sb->n = (u8)j;
}

/*
 * Add [@start, @end). Overlapping or adjacent ranges merge. With more than
 * TCPFO_SACKED_MAX ranges the two closest merge, covering the gap between
 * them: a superset only ever holds an ack back further, never less.
 */
static inline void tcpfo_sacked_add(struct tcpfo_sacked *sb, u32 start,
				    u32 end)
{
	u32 ts[TCPFO_SACKED_MAX + 1], te[TCPFO_SACKED_MAX + 1];
	u32 st[TCPFO_SACKED_MAX + 1], en[TCPFO_SACKED_MAX + 1];
	unsigned int i, k = 0, n = 0, pos = 0, best;

	if (!tcpfo_seq_before(start, end))
		return;
	while (pos < sb->n && tcpfo_seq_before(sb->start[pos], start))
		pos++;
	for (i = 0; i < sb->n; i++) {
		if (i == pos) {
			ts[k] = start;
			te[k++] = end;
		}
		ts[k] = sb->start[i];
		te[k++] = sb->end[i];
	}
	if (pos == sb->n) {
		ts[k] = start;
		te[k++] = end;
	}

	for (i = 0; i < k; i++) {
		if (n && !tcpfo_seq_after(ts[i], en[n - 1])) {
			en[n - 1] = tcpfo_seq_max(en[n - 1], te[i]);
			continue;
		}
		st[n] = ts[i];
		en[n++] = te[i];
	}
	if (n > TCPFO_SACKED_MAX) {
		best = 0;
		for (i = 1; i + 1 < n; i++)
			if ((u32)(st[i + 1] - en[i]) <
			    (u32)(st[best + 1] - en[best]))
				best = i;
		en[best] = tcpfo_seq_max(en[best], en[best + 1]);
		for (i = best + 1; i + 1 < n; i++) {
			st[i] = st[i + 1];
			en[i] = en[i + 1];
		}
		n--;
	}
	for (i = 0; i < n; i++) {
		sb->start[i] = st[i];
		sb->end[i] = en[i];
	}
	sb->n = (u8)n;
}

/* Record every SACK block of an option area as told to the peer. */
static inline void tcpfo_sacked_note(struct tcpfo_sacked *sb, const u8 *opt,
				     unsigned int len)
{
	unsigned int i = 0, b, nblocks;

	while (i < len) {
		u8 kind = opt[i];
		u8 size;

		if (kind == TCPFO_OPT_KIND_EOL)
			break;
		if (kind == TCPFO_OPT_KIND_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		size = opt[i + 1];
		if (size < 2 || size > len - i)
			break;
		if (kind == TCPFO_OPT_KIND_SACK &&
		    size >= 2 + TCPFO_SACK_BLOCK_LEN &&
		    (size - 2) % TCPFO_SACK_BLOCK_LEN == 0) {
			nblocks = (size - 2) / TCPFO_SACK_BLOCK_LEN;
			for (b = 0; b < nblocks; b++) {
				const u8 *blk = opt + i + 2 +
						b * TCPFO_SACK_BLOCK_LEN;

				tcpfo_sacked_add(sb, tcpfo_get_be32(blk),
						 tcpfo_get_be32(blk + 4));
			}
		}
		i += size;
	}
}

/* An ack that does not stop inside a range the peer holds as SACKed. */
static inline u32 tcpfo_sacked_safe_ack(const struct tcpfo_sacked *sb, u32 ack)
{
	unsigned int i;

	for (i = 0; i < sb->n; i++) {
		if (!tcpfo_seq_before(ack, sb->start[i]) &&
		    tcpfo_seq_before(ack, sb->end[i]))
			return sb->start[i] - 1;
	}
	return ack;
}

#endif /* _TCPFO_SEQ_H */
