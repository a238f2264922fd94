/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsync: declarations shared by the files of the module.
 *
 * The module is layered; each layer is one or two files:
 *
 *   af_vsync.c    AF_VSYNC sockets: bind to a group on a ring, send, receive
 *   netlink.c     the generic netlink family: policies and the ops table
 *   ring.c        ring objects: create, delete, netdevice events, show
 *   srp.c         Totem ordering: token, broadcast, retransmit, delivery
 *   memb.c        Totem membership: gather, commit, recovery, install
 *   bearer.c      L2 send and receive through one media ops table
 *   bundle.c      runs of frames sent and received as one GSO skb
 *   media.c       the media: Ethernet and InfiniBand (IPoIB)
 *   netns.c       per network namespace state
 *   main.c        module init and exit
 */
#ifndef _VSYNC_VSYNC_H
#define _VSYNC_VSYNC_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <net/net_namespace.h>
#include <net/genetlink.h>
#include <linux/vsync.h>

#define VSYNC_VERSION_STR "0.1.0"

struct vsync_ring;

/**
 * struct vsync_net - per network namespace state
 * @net: the namespace
 * @rings: rings of this namespace; changed under RTNL, read under RCU
 * @n_rings: number of entries in @rings, under RTNL
 * @gen: generation, bumped on every change of @rings, for dumps
 * @exiting: the namespace or the module is going; notify nobody
 */
struct vsync_net {
	struct net *net;
	struct list_head rings;
	unsigned int n_rings;
	atomic_t gen;
	bool exiting;
};

extern int vsync_family;
extern unsigned int vsync_net_id;

/* netns.c */
int vsync_netns_init(void);
void vsync_netns_uninit(void);
struct vsync_net *vsync_net(const struct net *net);

/* netlink.c */
int vsync_genl_init(void);
void vsync_genl_uninit(void);
extern struct genl_family vsync_genl_family;

enum vsync_mcgrp {
	VSYNC_MCGRP_ID_CONFIG,
	VSYNC_MCGRP_ID_EVENTS,
};

/* bundle.c */
int vsync_bundle_init(void);
void vsync_bundle_uninit(void);

/* af_vsync.c */
int vsync_sock_init(void);
void vsync_sock_uninit(void);

/* ring.c */
int vsync_ring_init(void);
void vsync_ring_uninit(void);
void vsync_ring_del_all(struct vsync_net *vn);
int vsync_nl_ring_new(struct sk_buff *skb, struct genl_info *info);
int vsync_nl_ring_del(struct sk_buff *skb, struct genl_info *info);
int vsync_nl_ring_get(struct sk_buff *skb, struct genl_info *info);
int vsync_nl_ring_dump(struct sk_buff *skb, struct netlink_callback *cb);

/* group.c */
int vsync_nl_group_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* _VSYNC_VSYNC_H */
