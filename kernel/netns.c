// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: per network namespace state. One namespace is one node.
 *
 * Locking: vsync_net.rings changes only under RTNL (ring creation and
 * deletion, netdevice events, namespace exit); readers walk it under RTNL
 * or RCU. The namespace exit deletes every ring before the state goes.
 */
#include <linux/rtnetlink.h>
#include <net/netns/generic.h>

#include "vsync.h"

unsigned int vsync_net_id __read_mostly;

/**
 * vsync_net() - the vsync state of a network namespace
 * @net: the namespace
 *
 * Return: the state; it lives as long as the namespace.
 */
struct vsync_net *vsync_net(const struct net *net)
{
	return net_generic(net, vsync_net_id);
}

static int __net_init vsync_net_init(struct net *net)
{
	struct vsync_net *vn = vsync_net(net);

	vn->net = net;
	INIT_LIST_HEAD(&vn->rings);
	atomic_set(&vn->gen, 1);
	return 0;
}

static void __net_exit vsync_net_exit(struct net *net)
{
	struct vsync_net *vn = vsync_net(net);

	rtnl_lock();
	vn->exiting = true;
	vsync_ring_del_all(vn);
	rtnl_unlock();
	WARN_ON(!list_empty(&vn->rings));
}

static struct pernet_operations vsync_net_ops = {
	.init = vsync_net_init,
	.exit = vsync_net_exit,
	.id = &vsync_net_id,
	.size = sizeof(struct vsync_net),
};

/**
 * vsync_netns_init() - register the per namespace state
 *
 * Return: 0 or a negative errno.
 */
int vsync_netns_init(void)
{
	return register_pernet_device(&vsync_net_ops);
}

/**
 * vsync_netns_uninit() - delete every namespace's rings and the state
 */
void vsync_netns_uninit(void)
{
	unregister_pernet_device(&vsync_net_ops);
	/* Deleted rings are freed after a grace period: wait for them. */
	rcu_barrier();
}
