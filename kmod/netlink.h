/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink family "tcpfo" (include/uapi/linux/tcpfo.h).
 */
#ifndef _TCPFO_NETLINK_H
#define _TCPFO_NETLINK_H

int tcpfo_genl_register(void);
void tcpfo_genl_unregister(void);

#endif /* _TCPFO_NETLINK_H */
