/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netfilter entry points, registered in every namespace.
 */
#ifndef _TCPFO_HOOKS_H
#define _TCPFO_HOOKS_H

struct net;

int tcpfo_hooks_register(struct net *net);
void tcpfo_hooks_unregister(struct net *net);

#endif /* _TCPFO_HOOKS_H */
