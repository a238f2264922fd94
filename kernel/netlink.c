// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: the generic netlink family "vsync".
 *
 * This file holds only the policies, the ops table and the family; the
 * handlers live beside their objects (rings in ring.c). The attribute tree
 * is drawn in include/uapi/linux/vsync.h and specified in
 * Documentation/netlink/specs/vsync.yaml.
 *
 * Locking: doit handlers that change rings take RTNL themselves; the genl
 * core serialises nothing for us because the family is parallel_ops.
 */
#include <linux/if_ether.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>

#include "vsync.h"
#include "ring.h"

static struct netlink_range_validation vsync_range_token = {
	.min = VSYNC_TOKEN_TIMEOUT_MIN, .max = VSYNC_TOKEN_TIMEOUT_MAX,
};

static struct netlink_range_validation vsync_range_retrans = {
	.min = VSYNC_TIMER_MIN, .max = VSYNC_TIMER_MAX,
};

static struct netlink_range_validation vsync_range_consensus = {
	.min = VSYNC_TOKEN_TIMEOUT_MIN, .max = VSYNC_CONSENSUS_MAX,
};

static struct netlink_range_validation vsync_range_window = {
	.min = 1, .max = VSYNC_WINDOW_MAX,
};

static struct netlink_range_validation vsync_range_window_auto = {
	.min = VSYNC_WINDOW_AUTO, .max = VSYNC_WINDOW_MAX,
};

static const struct nla_policy vsync_info_policy[VSYNC_A_INFO_MAX + 1] = {
};

static const struct nla_policy vsync_ring_policy[VSYNC_A_RING_MAX + 1] = {
	[VSYNC_A_RING_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[VSYNC_A_RING_IFNAME] = { .type = NLA_STRING, .len = IFNAMSIZ - 1 },
	[VSYNC_A_RING_MCAST_ADDR] = { .type = NLA_BINARY, .len = VSYNC_HWADDR_MAX },
	[VSYNC_A_RING_NODE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VSYNC_A_RING_ETHERTYPE] = NLA_POLICY_MIN(NLA_U16, ETH_P_802_3_MIN),
	[VSYNC_A_RING_TOKEN_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &vsync_range_token),
	[VSYNC_A_RING_TOKEN_RETRANSMIT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &vsync_range_retrans),
	[VSYNC_A_RING_JOIN_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &vsync_range_retrans),
	[VSYNC_A_RING_CONSENSUS_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &vsync_range_consensus),
	[VSYNC_A_RING_WINDOW] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &vsync_range_window_auto),
	[VSYNC_A_RING_MAX_MESSAGES] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &vsync_range_window),
};

static const struct nla_policy vsync_group_policy[VSYNC_A_GROUP_MAX + 1] = {
	[VSYNC_A_GROUP_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

static int vsync_nl_info_get(struct sk_buff *skb, struct genl_info *info)
{
	struct vsync_net *vn = vsync_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vsync_genl_family, 0,
				VSYNC_CMD_INFO_GET);
	if (!hdr)
		goto nospace;
	if (nla_put_string(msg, VSYNC_A_INFO_VERSION, VSYNC_VERSION_STR) ||
	    nla_put_u32(msg, VSYNC_A_INFO_FAMILY, vsync_family) ||
	    nla_put_u32(msg, VSYNC_A_INFO_PROTOCOL, VSYNC_PROTOCOL_VERSION) ||
	    nla_put_u32(msg, VSYNC_A_INFO_RINGS, READ_ONCE(vn->n_rings)))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops vsync_genl_ops[] = {
	{
		.cmd = VSYNC_CMD_INFO_GET,
		.doit = vsync_nl_info_get,
		.policy = vsync_info_policy,
		.maxattr = VSYNC_A_INFO_MAX,
	},
	{
		.cmd = VSYNC_CMD_RING_NEW,
		.doit = vsync_nl_ring_new,
		.policy = vsync_ring_policy,
		.maxattr = VSYNC_A_RING_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = VSYNC_CMD_RING_DEL,
		.doit = vsync_nl_ring_del,
		.policy = vsync_ring_policy,
		.maxattr = VSYNC_A_RING_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = VSYNC_CMD_RING_GET,
		.doit = vsync_nl_ring_get,
		.dumpit = vsync_nl_ring_dump,
		.policy = vsync_ring_policy,
		.maxattr = VSYNC_A_RING_MAX,
	},
	{
		.cmd = VSYNC_CMD_GROUP_GET,
		.dumpit = vsync_nl_group_dump,
		.policy = vsync_group_policy,
		.maxattr = VSYNC_A_GROUP_MAX,
	},
};

static const struct genl_multicast_group vsync_mcgrps[] = {
	[VSYNC_MCGRP_ID_CONFIG] = { .name = VSYNC_MCGRP_CONFIG },
	[VSYNC_MCGRP_ID_EVENTS] = { .name = VSYNC_MCGRP_EVENTS },
};

struct genl_family vsync_genl_family __ro_after_init = {
	.name = VSYNC_GENL_NAME,
	.version = VSYNC_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.ops = vsync_genl_ops,
	.n_ops = ARRAY_SIZE(vsync_genl_ops),
	.mcgrps = vsync_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vsync_mcgrps),
	.module = THIS_MODULE,
};

/**
 * vsync_genl_init() - register the generic netlink family
 *
 * Return: 0 or a negative errno.
 */
int __init vsync_genl_init(void)
{
	return genl_register_family(&vsync_genl_family);
}

/**
 * vsync_genl_uninit() - unregister the generic netlink family
 */
void vsync_genl_uninit(void)
{
	genl_unregister_family(&vsync_genl_family);
}
