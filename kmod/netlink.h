/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink family "tcpfo" (include/uapi/linux/tcpfo.h).
 */
#ifndef _TCPFO_NETLINK_H
#define _TCPFO_NETLINK_H

int tcpfo_genl_register(void);
void tcpfo_genl_unregister(void);

struct work_struct;
/* tcpfo_net.event_work: sends the TCPFO_CMD_FLOW_EVENT doorbell. */
void tcpfo_nl_flow_event_work(struct work_struct *work);

#endif /* _TCPFO_NETLINK_H */
