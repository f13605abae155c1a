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
 *	TCPFO_A_PACKETS_TRACKED, TCPFO_A_FLOW_COUNT, TCPFO_A_SERVICE_COUNT.
 * @TCPFO_CMD_SET_CONFIG: (admin) sets namespace-wide settings; carries
 *	TCPFO_A_MODE. Sent by failoverd at start.
 * @TCPFO_CMD_SERVICE_ADD: (admin) declares a service; carries one
 *	TCPFO_A_SERVICE nest with NAME, FAMILY, VIP, VPORT, BACKEND, BPORT,
 *	BACK_ADDR (all required). EEXIST if a service with the same
 *	VIP:port or the same name exists; ENOSPC past TCPFO_MAX_SERVICES.
 * @TCPFO_CMD_SERVICE_DEL: (admin) removes a service; carries one
 *	TCPFO_A_SERVICE nest with either NAME, or FAMILY + VIP + VPORT.
 *	ENOENT if no such service.
 * @TCPFO_CMD_SERVICE_GET: (any caller) dump only; one message per service,
 *	each with a TCPFO_A_SERVICE nest carrying every service attribute.
 */
enum tcpfo_cmd {
	TCPFO_CMD_UNSPEC,
	TCPFO_CMD_GET_STATUS,
	TCPFO_CMD_SET_CONFIG,
	TCPFO_CMD_SERVICE_ADD,
	TCPFO_CMD_SERVICE_DEL,
	TCPFO_CMD_SERVICE_GET,

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

	__TCPFO_A_MAX
};
#define TCPFO_A_MAX (__TCPFO_A_MAX - 1)

/**
 * enum tcpfo_service_attr - attributes inside TCPFO_A_SERVICE
 *
 * @TCPFO_SVC_A_NAME: string, 1..TCPFO_SERVICE_NAME_MAX-1 characters.
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

#endif /* _UAPI_LINUX_TCPFO_H */
