/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tcpfo: transparent failover of proxied TCP connections.
 *
 * This header is the one definition of the generic netlink family "tcpfo"
 * shared by the kernel module (kmod/), failoverd (daemon/) and tcpfoctl
 * (tools/). Every command and attribute says what it carries and who sends
 * it. The family is per network namespace: every request acts on the
 * namespace of the netlink socket that sends it.
 *
 * Conventions
 *  - Integers are in host byte order except where the type is NLA_BE*.
 *  - Addresses are raw network-order bytes: 4 for AF_INET, 16 for AF_INET6;
 *    the length must match TCPFO_SVC_A_FAMILY.
 *  - Ports are u16 in host byte order, 1..65535.
 *  - Requests are validated strictly: unknown attributes, wrong lengths,
 *    out-of-range values and nests without NLA_F_NESTED are refused with
 *    EINVAL and an extended-ack message.
 *  - Mutating commands (marked "admin") need CAP_NET_ADMIN in the user
 *    namespace that owns the network namespace; EPERM otherwise.
 */
#ifndef _UAPI_LINUX_TCPFO_H
#define _UAPI_LINUX_TCPFO_H

#include <linux/types.h>

#define TCPFO_GENL_NAME		"tcpfo"
#define TCPFO_GENL_VERSION	1
/* Multicast group of TCPFO_CMD_FLOW_EVENT. */
#define TCPFO_MCGRP_FLOWS	"flows"

/* Version of the module/protocol, reported by TCPFO_CMD_GET_STATUS. */
#define TCPFO_VERSION_STRING	"0.1.0"

/* Longest service name, including the terminating NUL. */
#define TCPFO_SERVICE_NAME_MAX	32

/* Most services one namespace may hold. */
#define TCPFO_MAX_SERVICES	1024

/**
 * enum tcpfo_cmd - generic netlink commands
 *
 * @TCPFO_CMD_GET_STATUS: (any caller) request has no attributes; the reply
 *	carries TCPFO_A_VERSION, TCPFO_A_MODE, TCPFO_A_PACKETS_SEEN,
 *	TCPFO_A_PACKETS_TRACKED, TCPFO_A_FLOW_COUNT, TCPFO_A_SERVICE_COUNT,
 *	TCPFO_A_RELEASE_ACKS, TCPFO_A_DUPACKS_SUPPRESSED,
 *	TCPFO_A_FLOWS_OVER_LIMIT, TCPFO_A_STANDBY_COUNT, TCPFO_A_PROTECTION,
 *	TCPFO_A_TAKEOVER_LOCKED, _DROPPED, _PROBES, _RESETS, TCPFO_A_FENCED,
 *	TCPFO_A_FENCED_DROPS and TCPFO_A_FENCED_FLOWS.
 * @TCPFO_CMD_SET_CONFIG: (admin) sets namespace-wide settings; carries
 *	TCPFO_A_MODE (required unless TCPFO_A_OWNER or TCPFO_A_DISOWN is
 *	given), optionally TCPFO_A_PROTECTION and one of TCPFO_A_OWNER and
 *	TCPFO_A_DISOWN. Sent by failoverd at start (OWNER) and at a clean
 *	stop (DISOWN).
 *
 *	Fencing: with TCPFO_A_OWNER the sending socket becomes the owner of
 *	the namespace (replacing any earlier owner), and a fenced namespace
 *	is unfenced: new connections to the services are answered and
 *	tracked again. When the owner socket is released (failoverd exited,
 *	crashed or was killed while the host lives), the namespace is
 *	fenced: every flow tracked at that moment (not closed or reset) is
 *	fenced, and while the namespace is fenced (TCPFO_A_FENCED) SYNs to
 *	a service and RSTs leaving from a service VIP:port are dropped, so
 *	the node stops answering for its VIPs. A fenced flow's segments are
 *	dropped both ways (the orphaned sockets' FINs, RSTs, data and ACKs,
 *	and the peers' segments, so the stack answers them with nothing):
 *	no stream is truncated and the standby can take the flows over. A
 *	FIN or RST that the owner's process sends on a tracked flow while it
 *	exits (sockets close in no promised order) fences that flow at
 *	once. Fenced flows stay fenced under a new owner, are not to be
 *	replicated (TCPFO_FLOW_A_FENCED in the dump) and are freed by the
 *	module fenced_timeout seconds (module parameter, default 120) after
 *	they were fenced; FLOW_DEL frees one at once and ends its fence, so
 *	the daemon leaves them alone.
 * @TCPFO_CMD_SERVICE_ADD: (admin) declares a service; carries one
 *	TCPFO_A_SERVICE nest with NAME, FAMILY, VIP, VPORT, BACKEND, BPORT,
 *	BACK_ADDR (all required). EEXIST if a service with the same
 *	VIP:port or the same name exists; ENOSPC past TCPFO_MAX_SERVICES.
 *	EINVAL for an unspecified, multicast, broadcast or v4-mapped
 *	address, or a backend equal to the VIP:port.
 * @TCPFO_CMD_SERVICE_DEL: (admin) removes a service; carries one
 *	TCPFO_A_SERVICE nest with either NAME, or FAMILY + VIP + VPORT (not
 *	both; other service attributes are refused). ENOENT if no such
 *	service.
 * @TCPFO_CMD_SERVICE_GET: (any caller) dump only; one message per service,
 *	each with a TCPFO_A_SERVICE nest carrying every service attribute.
 *	NLM_F_DUMP_INTR set if the table changed during the dump: re-dump.
 * @TCPFO_CMD_FLOW_PAIR: (admin) sent by the relay after accept() and
 *	bind() of the server-leg socket, before connect(): tells the module
 *	which L1 flow the L2 socket belongs to, so it tracks L2 from its SYN.
 *	Carries one TCPFO_A_FLOW nest with FAMILY, CLIENT_ADDR, CLIENT_PORT,
 *	VIP, VPORT (the L1 tuple) and BACK_ADDR, BACK_PORT, SERVER_ADDR,
 *	SERVER_PORT (the L2 tuple). ENOENT if no L1 flow has that tuple;
 *	EEXIST if the flow is already paired or the L2 tuple is in use.
 * @TCPFO_CMD_FLOW_DEL: (admin) stops tracking a flow (the relay gave up on
 *	it, e.g. the backend refused): its segments pass unchanged from then
 *	on. Carries a TCPFO_A_FLOW nest with the L1 tuple. ENOENT if none.
 * @TCPFO_CMD_FLOW_GET: (any caller) as a dump: one message per tracked
 *	flow with a TCPFO_A_FLOW nest carrying every flow attribute the module
 *	knows at that moment (legs not yet known are left out), then one per
 *	standby flow (TCPFO_FLOW_A_STANDBY set). Dumping clears the pending
 *	TCPFO_CMD_FLOW_EVENT doorbell. Without NLM_F_DUMP, with a
 *	TCPFO_A_FLOW nest carrying TCPFO_FLOW_A_ID: that one flow (tracked,
 *	else standby) in one reply; ENOENT if none, EINVAL without the id.
 * @TCPFO_CMD_FLOW_IMPORT: (admin) on the standby: stores the primary's
 *	record of one flow (created or replaced by TCPFO_FLOW_A_ID). Carries
 *	a TCPFO_A_FLOW nest with ID, FAMILY, STATE, SERVICE, the L1 tuple and
 *	CLIENT_ISN (required), and whatever else the primary knows: the L2
 *	tuple, ISNs, MSS, WSCALE, OPTS, RELEASED_*, FIN_*, *_RIGHT_EDGE,
 *	*_TS_SENT, *_TS_RECENT. Standby flows are stored, not acted on; their
 *	tuples are indexed for TAKEOVER_LOCK (the latest import of a tuple
 *	holds it, unless another flow holding it is locked). ENOMEM, and
 *	nothing stored, if a new flow's index entry cannot be made (a known
 *	flow's new record is stored; TAKEOVER_LOCK makes the entry).
 * @TCPFO_CMD_FLOW_FORGET: (admin) removes the standby flow with the
 *	TCPFO_FLOW_A_ID of the TCPFO_A_FLOW nest (ENOENT if none), or every
 *	standby flow when the request has no TCPFO_A_FLOW.
 * @TCPFO_CMD_FLOW_CONFIRM: (admin) on the primary in sync mode: the
 *	standby stored these released points. Carries TCPFO_A_CONFIRMS, a
 *	nest of TCPFO_A_FLOW nests with ID, RELEASED_C2S, RELEASED_S2C.
 *	Acknowledgements up to them may go out now; flows no longer tracked
 *	are skipped.
 * @TCPFO_CMD_FLOW_EVENT: multicast on TCPFO_MCGRP_FLOWS, no attributes: a
 *	doorbell saying tracked flows changed (created, released more, FIN,
 *	closed, removed). At most one is sent until the next FLOW_GET dump.
 *
 * Takeover (on the standby, in this order; see Documentation/failover.md):
 *
 * @TCPFO_CMD_TAKEOVER_LOCK: (admin) locks standby flows: the one with the
 *	TCPFO_FLOW_A_ID of a TCPFO_A_FLOW nest (ENOENT if none), or every
 *	standby flow when the request has none. While a flow is locked, every
 *	segment arriving (PRE_ROUTING) on its L1 or L2 tuple is recorded
 *	(TCPFO_FLOW_A_L1_SEEN / L2_SEEN) and kept from the sockets (data
 *	segments, at most 64 per flow, held for delivery at UNLOCK; the rest
 *	dropped), so no socket and no listener sees it and the stack sends
 *	no RST; an RST leaving
 *	(LOCAL_OUT) on a locked tuple is dropped too. Locking a locked flow
 *	is a no-op (what it recorded is kept). Locking every flow costs the
 *	same whatever their number (the tuples are indexed at FLOW_IMPORT)
 *	and also covers a record imported later, until UNLOCK without a
 *	flow or until no locked flow is left (with no standby flow it does
 *	nothing). EEXIST if one of the flow's
 *	tuples is held by another flow, locked or imported later (locking
 *	one flow).
 * @TCPFO_CMD_TAKEOVER_PROBE: (admin) for the locked flow with the ID of a
 *	TCPFO_A_FLOW nest, or for every locked flow: on each leg whose peer
 *	has not answered since the lock (TCPFO_SEEN_ACK not set), sends the
 *	peer a segment carrying one byte it already has (the byte before the
 *	stored released point of the direction the gateway sends on that
 *	leg, or the SYN's sequence number if none was released) with the
 *	stored acknowledgement, window and timestamps. TCP answers such a
 *	segment at once with a duplicate ACK (never rate limited: it carries
 *	data), revealing its rcv_nxt, snd_nxt, window and ts_recent. Needs
 *	the local addresses to be routable from this host (claim them first).
 *	The probe's TSval stands for the old socket's clock now: the stored
 *	TSval plus the milliseconds since the primary read it (the import's
 *	TCPFO_FLOW_A_TS_AGE, else since the import) plus
 *	TCPFO_A_TAKEOVER_TS_AHEAD, never below a TSecr the peer sent since
 *	the lock plus one nor below an earlier probe's; it is reported as
 *	TCPFO_SEEN_A_PROBE_TSVAL. A new socket must not start below it.
 * @TCPFO_CMD_TAKEOVER_ACTIVATE: (admin) turns a locked standby flow into a
 *	tracked flow of this gateway, for the sockets failoverd recreated
 *	with TCP_REPAIR. Carries a TCPFO_A_FLOW nest with ID and the resume
 *	state: RELEASED_C2S and RELEASED_S2C (the offsets the new sockets
 *	start at: everything before them is acknowledged end to end), and per
 *	leg *_TS_SENT (TSval base of the new socket), *_TS_RECENT (the peer's
 *	TSval it echoes) and *_RIGHT_EDGE (the right edge it announces), all
 *	optional; FIN_C2S / FIN_S2C if a FIN is part of the resumed state.
 *	The flow stays locked (segments still dropped) until UNLOCK. A new
 *	socket of the flow (looked up by its tuple) that has no RTT sample
 *	gets its first retransmission timeout from its leg's probe round
 *	trip, if that is shorter than the kernel's 3 s. The
 *	tracked flow keeps the standby flow's TCPFO_FLOW_A_ID (ids of flows
 *	created later start above it). ENOENT if no such locked flow, EEXIST
 *	if it was activated already or a tracked flow holds one of its tuples
 *	or its id, EINVAL if the record lacks either leg's tuple or ISNs.
 * @TCPFO_CMD_TAKEOVER_UNLOCK: (admin) lifts the lock of the flow with the
 *	ID of a TCPFO_A_FLOW nest and forgets its standby record; segments on
 *	its tuples pass again (to the activated flow's sockets). An activated
 *	flow gets the segments held while locked delivered and each peer a
 *	pure ACK at the resume point. With
 *	TCPFO_FLOW_A_RESET in the nest the flow is not taken over: each peer
 *	that answered gets an RST at its revealed receive point, and the
 *	status counter TCPFO_A_TAKEOVER_RESETS goes up (an activated flow's
 *	tracked flow is reset as well). Without a nest every lock is lifted
 *	and the standby records are kept (takeover aborted; what the locks
 *	recorded and held is dropped), but an activated flow resumes as
 *	with its id and its record goes. ENOENT if the flow is not locked.
 * @TCPFO_CMD_FENCE_LIFT: (admin) every fenced flow's orphaned sockets
 *	(those no process holds any more) are closed without sending
 *	anything, and the fenced flows are freed now rather than at
 *	fenced_timeout, so their tuples are free again (a failoverd that
 *	starts again sends it once its addresses are settled). With the flag
 *	TCPFO_A_FENCE_RESET each peer of a freed flow gets an RST (a node
 *	serving again on its own: nobody carries those flows on). The reply
 *	carries TCPFO_A_FENCED_FLOWS (flows freed) and TCPFO_A_FENCE_SOCKETS
 *	(sockets closed).
 */
enum tcpfo_cmd {
	TCPFO_CMD_UNSPEC,
	TCPFO_CMD_GET_STATUS,
	TCPFO_CMD_SET_CONFIG,
	TCPFO_CMD_SERVICE_ADD,
	TCPFO_CMD_SERVICE_DEL,
	TCPFO_CMD_SERVICE_GET,
	TCPFO_CMD_FLOW_PAIR,
	TCPFO_CMD_FLOW_DEL,
	TCPFO_CMD_FLOW_GET,
	TCPFO_CMD_FLOW_IMPORT,
	TCPFO_CMD_FLOW_FORGET,
	TCPFO_CMD_FLOW_EVENT,
	TCPFO_CMD_FLOW_CONFIRM,
	TCPFO_CMD_TAKEOVER_LOCK,
	TCPFO_CMD_TAKEOVER_PROBE,
	TCPFO_CMD_TAKEOVER_ACTIVATE,
	TCPFO_CMD_TAKEOVER_UNLOCK,
	TCPFO_CMD_FENCE_LIFT,

	__TCPFO_CMD_MAX
};
#define TCPFO_CMD_MAX (__TCPFO_CMD_MAX - 1)

/**
 * enum tcpfo_mode - how releases wait for the standby
 * @TCPFO_MODE_ASYNC: release at once; replication follows (default).
 * @TCPFO_MODE_SYNC: release only after the standby stored a covering point.
 */
enum tcpfo_mode {
	TCPFO_MODE_ASYNC,
	TCPFO_MODE_SYNC,

	__TCPFO_MODE_MAX
};
#define TCPFO_MODE_MAX (__TCPFO_MODE_MAX - 1)

/**
 * enum tcpfo_protection - whether a standby holds this primary's flows
 * @TCPFO_PROT_NONE: no standby configured (or not a primary).
 * @TCPFO_PROT_PROTECTED: the standby acknowledged a full sync and follows.
 * @TCPFO_PROT_UNPROTECTED: a standby is configured but not in sync (link
 *	down or resyncing); in sync mode releases do not wait for it then.
 * Set by failoverd (SET_CONFIG), reported by GET_STATUS.
 */
enum tcpfo_protection {
	TCPFO_PROT_NONE,
	TCPFO_PROT_PROTECTED,
	TCPFO_PROT_UNPROTECTED,

	__TCPFO_PROT_MAX
};
#define TCPFO_PROT_MAX (__TCPFO_PROT_MAX - 1)

/**
 * enum tcpfo_attr - top-level attributes
 *
 * @TCPFO_A_VERSION: string, module version (TCPFO_VERSION_STRING). Reply.
 * @TCPFO_A_MODE: u32, enum tcpfo_mode. Reply, and request of SET_CONFIG.
 * @TCPFO_A_PACKETS_SEEN: u64, TCP packets the hooks inspected in this
 *	namespace (all directions). Reply.
 * @TCPFO_A_PACKETS_TRACKED: u64, packets that belonged to a tracked flow or
 *	a service. Reply.
 * @TCPFO_A_FLOW_COUNT: u32, flows tracked now. Reply.
 * @TCPFO_A_SERVICE_COUNT: u32, services declared now. Reply.
 * @TCPFO_A_SERVICE: nest of enum tcpfo_service_attr. Request and reply.
 * @TCPFO_A_PAD: padding for 64-bit attributes.
 * @TCPFO_A_FLOW: nest of enum tcpfo_flow_attr. Request and reply.
 * @TCPFO_A_RELEASE_ACKS: u64, crafted release ACKs sent. Status reply.
 * @TCPFO_A_DUPACKS_SUPPRESSED: u64, clamped pure ACKs dropped because the
 *	peer would have counted them as duplicate ACKs. Status reply.
 * @TCPFO_A_FLOWS_OVER_LIMIT: u64, client connections to a service left
 *	untracked because the namespace already tracked the most flows it may
 *	(module parameter max_flows). Status reply.
 * @TCPFO_A_STANDBY_COUNT: u32, standby flows stored now. Status reply.
 * @TCPFO_A_CONFIRMS: nest of TCPFO_A_FLOW nests. FLOW_CONFIRM request.
 * @TCPFO_A_PROTECTION: u32, enum tcpfo_protection. Status reply; optional
 *	in SET_CONFIG.
 * @TCPFO_A_TAKEOVER_LOCKED: u32, standby flows locked now. Status reply.
 * @TCPFO_A_TAKEOVER_DROPPED: u64, segments dropped on locked tuples
 *	(recorded, kept from the sockets). Status reply.
 * @TCPFO_A_TAKEOVER_PROBES: u64, probe segments sent. Status reply.
 * @TCPFO_A_TAKEOVER_RESETS: u64, flows reset instead of taken over
 *	(TAKEOVER_UNLOCK with RESET). Status reply.
 * @TCPFO_A_OWNER: flag, in SET_CONFIG: the sending socket becomes the
 *	namespace's owner; its release fences the namespace (see
 *	TCPFO_CMD_SET_CONFIG). Sent by failoverd at start.
 * @TCPFO_A_FENCED: u32, 1 if the namespace is fenced now (its owner's
 *	socket was released and no new owner came), else 0. Status reply.
 * @TCPFO_A_FENCED_DROPS: u64, segments dropped by the fence (of fenced
 *	flows both ways, SYNs to and RSTs from services while fenced).
 *	Status reply.
 * @TCPFO_A_FENCED_FLOWS: u32, fenced flows in the table now. Status
 *	reply; in the FENCE_LIFT reply, fenced flows freed.
 * @TCPFO_A_FENCE_SOCKETS: u32, orphaned sockets closed. FENCE_LIFT reply.
 * @TCPFO_A_FENCE_RESET: flag, FENCE_LIFT request: reset the peers.
 * @TCPFO_A_TAKEOVER_TS_AHEAD: s32, milliseconds, optional in TAKEOVER_PROBE:
 *	added to a probe's TSval estimate (a margin for the old socket's
 *	last segments; 0 if absent).
 * @TCPFO_A_DISOWN: flag, in SET_CONFIG: the sending socket, the owner,
 *	gives the namespace up: from now on its release fences nothing (a
 *	clean stop, whose flows were closed and deleted). No owner: nothing
 *	happens. Another socket owns the namespace: -EBUSY.
 */
enum tcpfo_attr {
	TCPFO_A_UNSPEC,
	TCPFO_A_VERSION,
	TCPFO_A_MODE,
	TCPFO_A_PACKETS_SEEN,
	TCPFO_A_PACKETS_TRACKED,
	TCPFO_A_FLOW_COUNT,
	TCPFO_A_SERVICE_COUNT,
	TCPFO_A_SERVICE,
	TCPFO_A_PAD,
	TCPFO_A_FLOW,
	TCPFO_A_RELEASE_ACKS,
	TCPFO_A_DUPACKS_SUPPRESSED,
	TCPFO_A_FLOWS_OVER_LIMIT,
	TCPFO_A_STANDBY_COUNT,
	TCPFO_A_CONFIRMS,
	TCPFO_A_PROTECTION,
	TCPFO_A_TAKEOVER_LOCKED,
	TCPFO_A_TAKEOVER_DROPPED,
	TCPFO_A_TAKEOVER_PROBES,
	TCPFO_A_TAKEOVER_RESETS,
	TCPFO_A_OWNER,
	TCPFO_A_FENCED,
	TCPFO_A_FENCED_DROPS,
	TCPFO_A_FENCED_FLOWS,
	TCPFO_A_FENCE_SOCKETS,
	TCPFO_A_FENCE_RESET,
	TCPFO_A_TAKEOVER_TS_AHEAD,
	TCPFO_A_DISOWN,

	__TCPFO_A_MAX
};
#define TCPFO_A_MAX (__TCPFO_A_MAX - 1)

/**
 * enum tcpfo_service_attr - attributes inside TCPFO_A_SERVICE
 *
 * @TCPFO_SVC_A_NAME: string, 1..TCPFO_SERVICE_NAME_MAX-1 printable ASCII
 *	characters without spaces.
 * @TCPFO_SVC_A_FAMILY: u16, AF_INET or AF_INET6; applies to all addresses.
 * @TCPFO_SVC_A_VIP: binary, 4 or 16 bytes: the address clients connect to.
 * @TCPFO_SVC_A_VPORT: u16, the port clients connect to.
 * @TCPFO_SVC_A_BACKEND: binary, 4 or 16 bytes: the backend server address.
 * @TCPFO_SVC_A_BPORT: u16, the backend server port.
 * @TCPFO_SVC_A_BACK_ADDR: binary, 4 or 16 bytes: the gateway's source
 *	address on the server leg (the relay binds it before connect()).
 */
enum tcpfo_service_attr {
	TCPFO_SVC_A_UNSPEC,
	TCPFO_SVC_A_NAME,
	TCPFO_SVC_A_FAMILY,
	TCPFO_SVC_A_VIP,
	TCPFO_SVC_A_VPORT,
	TCPFO_SVC_A_BACKEND,
	TCPFO_SVC_A_BPORT,
	TCPFO_SVC_A_BACK_ADDR,

	__TCPFO_SVC_A_MAX
};
#define TCPFO_SVC_A_MAX (__TCPFO_SVC_A_MAX - 1)

/**
 * enum tcpfo_flow_state - life of a tracked flow
 * @TCPFO_FLOW_SYN_RECV: the client's SYN was seen (L1 handshake under way).
 * @TCPFO_FLOW_L1_ESTABLISHED: L1 is up; the relay has not paired L2 yet.
 * @TCPFO_FLOW_PAIRED: the relay announced L2; its handshake is under way.
 * @TCPFO_FLOW_ESTABLISHED: both legs are up; bytes are released as the
 *	receivers acknowledge them.
 * @TCPFO_FLOW_CLOSING: a FIN was seen on some leg.
 * @TCPFO_FLOW_CLOSED: both FINs were released and acknowledged; the flow
 *	is reaped shortly.
 * @TCPFO_FLOW_RESET: an RST with an exact sequence match tore it down.
 */
enum tcpfo_flow_state {
	TCPFO_FLOW_SYN_RECV,
	TCPFO_FLOW_L1_ESTABLISHED,
	TCPFO_FLOW_PAIRED,
	TCPFO_FLOW_ESTABLISHED,
	TCPFO_FLOW_CLOSING,
	TCPFO_FLOW_CLOSED,
	TCPFO_FLOW_RESET,

	__TCPFO_FLOW_STATE_MAX
};
#define TCPFO_FLOW_STATE_MAX (__TCPFO_FLOW_STATE_MAX - 1)

/* Bits of TCPFO_FLOW_A_L1_OPTS / L2_OPTS: options both ends agreed on. */
#define TCPFO_OPT_SACK		(1U << 0)
#define TCPFO_OPT_TIMESTAMP	(1U << 1)
#define TCPFO_OPT_WSCALE	(1U << 2)

/**
 * enum tcpfo_flow_attr - attributes inside TCPFO_A_FLOW
 *
 * Offsets count bytes of one direction from 0 after the SYN; a FIN counts
 * as one byte at the end. c2s: client to server; s2c the reverse.
 *
 * @TCPFO_FLOW_A_FAMILY: u16, AF_INET or AF_INET6.
 * @TCPFO_FLOW_A_CLIENT_ADDR: 4/16 bytes, the client (L1 peer).
 * @TCPFO_FLOW_A_CLIENT_PORT: u16.
 * @TCPFO_FLOW_A_VIP: 4/16 bytes, the service address (L1 local end).
 * @TCPFO_FLOW_A_VPORT: u16.
 * @TCPFO_FLOW_A_BACK_ADDR: 4/16 bytes, the gateway's L2 source address.
 * @TCPFO_FLOW_A_BACK_PORT: u16, the gateway's L2 source port.
 * @TCPFO_FLOW_A_SERVER_ADDR: 4/16 bytes, the backend (L2 peer).
 * @TCPFO_FLOW_A_SERVER_PORT: u16.
 * @TCPFO_FLOW_A_STATE: u8, enum tcpfo_flow_state. Dump only.
 * @TCPFO_FLOW_A_SERVICE: string, the service's name. Dump only.
 * @TCPFO_FLOW_A_CLIENT_ISN: u32, the client's initial sequence number.
 * @TCPFO_FLOW_A_L1_ISN: u32, the gateway's ISN on L1.
 * @TCPFO_FLOW_A_L2_ISN: u32, the gateway's ISN on L2.
 * @TCPFO_FLOW_A_SERVER_ISN: u32, the server's ISN.
 * @TCPFO_FLOW_A_L1_MSS: u16, MSS the client announced.
 * @TCPFO_FLOW_A_L2_MSS: u16, MSS the server announced.
 * @TCPFO_FLOW_A_L1_WSCALE: u16, window scales on L1: client's in the low
 *	byte, the gateway's in the high byte.
 * @TCPFO_FLOW_A_L2_WSCALE: u16, on L2: server's low, gateway's high.
 * @TCPFO_FLOW_A_L1_OPTS: u32, TCPFO_OPT_* agreed on L1.
 * @TCPFO_FLOW_A_L2_OPTS: u32, TCPFO_OPT_* agreed on L2.
 * @TCPFO_FLOW_A_RELEASED_C2S: u64, R(c2s): highest c2s offset the server
 *	acknowledged; the client has been acknowledged no further.
 * @TCPFO_FLOW_A_RELEASED_S2C: u64, R(s2c), likewise for the client's acks.
 * @TCPFO_FLOW_A_HELD_C2S: u64, c2s bytes the gateway has received but not
 *	acknowledged to the client (its socket's rcv_nxt minus the ack sent).
 * @TCPFO_FLOW_A_HELD_S2C: u64, likewise for s2c towards the server.
 * @TCPFO_FLOW_A_FIN_C2S: u64, offset of the client's FIN, if seen.
 * @TCPFO_FLOW_A_FIN_S2C: u64, offset of the server's FIN, if seen.
 * @TCPFO_FLOW_A_IDLE_MS: u32, milliseconds since the flow last moved.
 * @TCPFO_FLOW_A_PAD: padding for 64-bit attributes.
 * @TCPFO_FLOW_A_ID: u64, the flow's id in its module (creation order); a
 *	standby flow keeps the primary's.
 * @TCPFO_FLOW_A_STANDBY: flag, a standby flow (imported, not acted on).
 * @TCPFO_FLOW_A_L1_RIGHT_EDGE: u32, the right edge (ack + scaled window)
 *	last announced to the client.
 * @TCPFO_FLOW_A_L2_RIGHT_EDGE: u32, likewise to the server.
 * @TCPFO_FLOW_A_L1_TS_SENT: u32, the gateway socket's TSval clock on L1:
 *	in a tracked flow's dump the highest TSval it sent plus the
 *	milliseconds since it sent it; in FLOW_IMPORT, a standby record's
 *	dump and TAKEOVER_ACTIVATE, the value given.
 * @TCPFO_FLOW_A_L2_TS_SENT: u32, likewise on L2.
 * @TCPFO_FLOW_A_L1_TS_RECENT: u32, the client's TSval the gateway echoes.
 * @TCPFO_FLOW_A_L2_TS_RECENT: u32, the server's.
 * @TCPFO_FLOW_A_STORED: u32, in FLOW_CONFIRM: TCPFO_STORED_* bits, the legs
 *	whose handshake (both ISNs) the standby has stored. In sync mode the
 *	module holds the segments that would acknowledge a leg's peer's SYN
 *	until that leg's bit is confirmed.
 * @TCPFO_FLOW_A_LOCKED: flag, a standby flow under TAKEOVER_LOCK. Dump.
 * @TCPFO_FLOW_A_L1_SEEN: nest of enum tcpfo_seen_attr: what the client
 *	revealed while its flow was locked. Dump of locked flows only.
 * @TCPFO_FLOW_A_L2_SEEN: likewise for the server.
 * @TCPFO_FLOW_A_RESET: flag, in TAKEOVER_UNLOCK: reset the flow's peers.
 * @TCPFO_FLOW_A_FENCED: flag, a fenced flow (see TCPFO_CMD_SET_CONFIG):
 *	its segments are dropped both ways until the module frees it.
 *	Dump only; failoverd neither replicates nor deletes it.
 * @TCPFO_FLOW_A_TS_AGE: u32, milliseconds, FLOW_IMPORT only (optional):
 *	how long before the import the primary read L1/L2_TS_SENT. A
 *	takeover probe's TSval counts the old sockets' clocks on from then
 *	(from the import if absent).
 */
#define TCPFO_STORED_L1		(1U << 0)
#define TCPFO_STORED_L2		(1U << 1)

enum tcpfo_flow_attr {
	TCPFO_FLOW_A_UNSPEC,
	TCPFO_FLOW_A_FAMILY,
	TCPFO_FLOW_A_CLIENT_ADDR,
	TCPFO_FLOW_A_CLIENT_PORT,
	TCPFO_FLOW_A_VIP,
	TCPFO_FLOW_A_VPORT,
	TCPFO_FLOW_A_BACK_ADDR,
	TCPFO_FLOW_A_BACK_PORT,
	TCPFO_FLOW_A_SERVER_ADDR,
	TCPFO_FLOW_A_SERVER_PORT,
	TCPFO_FLOW_A_STATE,
	TCPFO_FLOW_A_SERVICE,
	TCPFO_FLOW_A_CLIENT_ISN,
	TCPFO_FLOW_A_L1_ISN,
	TCPFO_FLOW_A_L2_ISN,
	TCPFO_FLOW_A_SERVER_ISN,
	TCPFO_FLOW_A_L1_MSS,
	TCPFO_FLOW_A_L2_MSS,
	TCPFO_FLOW_A_L1_WSCALE,
	TCPFO_FLOW_A_L2_WSCALE,
	TCPFO_FLOW_A_L1_OPTS,
	TCPFO_FLOW_A_L2_OPTS,
	TCPFO_FLOW_A_RELEASED_C2S,
	TCPFO_FLOW_A_RELEASED_S2C,
	TCPFO_FLOW_A_HELD_C2S,
	TCPFO_FLOW_A_HELD_S2C,
	TCPFO_FLOW_A_FIN_C2S,
	TCPFO_FLOW_A_FIN_S2C,
	TCPFO_FLOW_A_IDLE_MS,
	TCPFO_FLOW_A_PAD,
	TCPFO_FLOW_A_ID,
	TCPFO_FLOW_A_STANDBY,
	TCPFO_FLOW_A_L1_RIGHT_EDGE,
	TCPFO_FLOW_A_L2_RIGHT_EDGE,
	TCPFO_FLOW_A_L1_TS_SENT,
	TCPFO_FLOW_A_L2_TS_SENT,
	TCPFO_FLOW_A_L1_TS_RECENT,
	TCPFO_FLOW_A_L2_TS_RECENT,
	TCPFO_FLOW_A_STORED,
	TCPFO_FLOW_A_LOCKED,
	TCPFO_FLOW_A_L1_SEEN,
	TCPFO_FLOW_A_L2_SEEN,
	TCPFO_FLOW_A_RESET,
	TCPFO_FLOW_A_FENCED,
	TCPFO_FLOW_A_TS_AGE,

	__TCPFO_FLOW_A_MAX
};
#define TCPFO_FLOW_A_MAX (__TCPFO_FLOW_A_MAX - 1)

/* Bits of TCPFO_SEEN_A_FLAGS. */
#define TCPFO_SEEN_ACK		(1U << 0)	/* a segment with ACK: ACK, NXT, WIN valid */
#define TCPFO_SEEN_TS		(1U << 1)	/* TSVAL, TSECR valid */
#define TCPFO_SEEN_SYN		(1U << 2)	/* a SYN: the peer restarted the handshake */
#define TCPFO_SEEN_FIN		(1U << 3)	/* a FIN: it ends at NXT - 1 */
#define TCPFO_SEEN_RST		(1U << 4)	/* an RST: the peer gave up */
#define TCPFO_SEEN_PROBED_TS	(1U << 5)	/* a probe with PROBE_TSVAL went */

/**
 * enum tcpfo_seen_attr - inside TCPFO_FLOW_A_L1_SEEN / L2_SEEN: what a peer
 * revealed in the segments it sent on a locked tuple (all of them, probes
 * answered or not). Sequence numbers are absolute.
 *
 * @TCPFO_SEEN_A_FLAGS: u32, TCPFO_SEEN_* bits.
 * @TCPFO_SEEN_A_SEGS: u32, segments recorded since the lock.
 * @TCPFO_SEEN_A_ACK: u32, highest acknowledgement: the peer's rcv_nxt in
 *	the gateway's sequence space.
 * @TCPFO_SEEN_A_NXT: u32, highest end sequence (SYN and FIN count one):
 *	the peer's snd_nxt.
 * @TCPFO_SEEN_A_WIN: u32, the window of the segment with the highest
 *	acknowledgement, scaled by the peer's window scale (bytes).
 * @TCPFO_SEEN_A_TSVAL: u32, the newest TSval (the peer's clock).
 * @TCPFO_SEEN_A_TSECR: u32, the newest TSecr: the gateway TSval the peer
 *	last accepted (its ts_recent). A new socket's TSvals must not be
 *	below it.
 * @TCPFO_SEEN_A_PROBE_TSVAL: u32, the TSval of the last probe sent to the
 *	peer (TCPFO_SEEN_PROBED_TS). A new socket's TSvals must not be below
 *	it either: the peer may have taken it as its ts_recent.
 */
enum tcpfo_seen_attr {
	TCPFO_SEEN_A_UNSPEC,
	TCPFO_SEEN_A_FLAGS,
	TCPFO_SEEN_A_SEGS,
	TCPFO_SEEN_A_ACK,
	TCPFO_SEEN_A_NXT,
	TCPFO_SEEN_A_WIN,
	TCPFO_SEEN_A_TSVAL,
	TCPFO_SEEN_A_TSECR,
	TCPFO_SEEN_A_PROBE_TSVAL,

	__TCPFO_SEEN_A_MAX
};
#define TCPFO_SEEN_A_MAX (__TCPFO_SEEN_A_MAX - 1)

#endif /* _UAPI_LINUX_TCPFO_H */
