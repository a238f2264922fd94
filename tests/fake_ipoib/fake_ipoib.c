// SPDX-License-Identifier: GPL-2.0
/*
 * fake_ipoib: a test-only netdevice with the link layer of IPoIB.
 *
 * vsync must run unchanged on IPoIB, which needs InfiniBand hardware. This
 * module gives the network stack devices that look like IPoIB in datagram
 * mode to everything above the driver: ARPHRD_INFINIBAND, 20-byte hardware
 * addresses (flags and QPN, then the port GID), the IPv4 broadcast group of
 * the default partition as broadcast address, a 4-byte encapsulation header
 * and a 20-byte pseudo header that carries the destination from
 * header_ops->create to the transmit routine, and on receive the zeroed
 * pseudo header that ipoib puts in front of every frame.
 *
 * All devices, in every namespace, hang off one fabric. A frame to a port
 * GID goes to the device with that GID and QPN; a frame to a multicast GID
 * goes to every other device that is up and a member of the group (the
 * broadcast group, or a group joined with dev_mc_add()). A device's
 * partition is the P_Key in its broadcast address (0xffff unless given at
 * creation, or changed with "ip link set DEV broadcast"): frames reach
 * only devices of the same partition, as the HCA's P_Key check makes
 * them on InfiniBand. Delivery is
 * netif_rx() on the receiving device. As on ipoib, only the EtherTypes of
 * IPv4, IPv6, ARP, RARP and TIPC are sent, and only the GUID part of the
 * address can be changed, while the device is down.
 *
 * What it does not model is in Documentation/infiniband.rst.
 *
 * Create devices with "ip link add ib0 type fake_ipoib".
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_infiniband.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>
#include <asm/unaligned.h>

#define DRV_NAME "fake_ipoib"

/* The same sizes as drivers/infiniband/ulp/ipoib/ipoib.h. */
#define FIPOIB_ENCAP_LEN	4
#define FIPOIB_PSEUDO_LEN	INFINIBAND_ALEN
#define FIPOIB_HARD_LEN		(FIPOIB_ENCAP_LEN + FIPOIB_PSEUDO_LEN)
#define FIPOIB_GID_OFF		4
#define FIPOIB_GID_LEN		16
#define FIPOIB_QPN_MAX		0xfffffe	/* 0xffffff is the multicast QPN */
#define FIPOIB_FLAGS_RC		0x80	/* "connected mode supported" */
#define FIPOIB_MAX_MTU		(4096 - FIPOIB_ENCAP_LEN)
#define FIPOIB_MIN_MTU		(ETH_MIN_MTU + FIPOIB_ENCAP_LEN)

struct fipoib_encap {
	__be16 proto;
	u16 reserved;
};

static unsigned int ib_mtu = 2048;
module_param(ib_mtu, uint, 0444);
MODULE_PARM_DESC(ib_mtu,
		 "IB MTU of the fabric's broadcast group: 256, 512, 1024, 2048 (default) or 4096; the netdevice MTU is 4 less");

static bool strict_proto = true;
module_param(strict_proto, bool, 0644);
MODULE_PARM_DESC(strict_proto,
		 "drop sent frames whose EtherType ipoib drops: all but IPv4, IPv6, ARP, RARP, TIPC (default Y)");

/* The IPv4 broadcast group of P_Key 0xffff (full member), as ipoib's. */
static const u8 fipoib_bcast[INFINIBAND_ALEN] = {
	0x00, 0xff, 0xff, 0xff,
	0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
};

/* The P_Key is in bytes 8 and 9 of an address: MGID bytes 4 and 5. */
#define FIPOIB_PKEY_OFF		8
#define FIPOIB_PKEY_FULL	0x8000	/* full membership */

/* The multicast groups a device has joined, replaced as a whole. */
struct fipoib_groups {
	struct rcu_head rcu;
	unsigned int n;
	u8 mgid[][FIPOIB_GID_LEN];
};

struct fipoib_priv {
	struct net_device *dev;
	struct list_head fabric;	/* on fipoib_fabric while up */
	struct fipoib_groups __rcu *groups;
};

/* The devices that are up, in every namespace; readers use RCU. */
static LIST_HEAD(fipoib_fabric);
static DEFINE_SPINLOCK(fipoib_fabric_lock);

static u32 fipoib_guid_hi;
static atomic_t fipoib_guid_lo;
static unsigned int fipoib_mcast_mtu;

static int fipoib_header_create(struct sk_buff *skb, struct net_device *dev,
				unsigned short type, const void *daddr,
				const void *saddr, unsigned int len)
{
	struct fipoib_encap *h;
	u8 *phdr;

	h = skb_push(skb, sizeof(*h));
	h->proto = htons(type);
	h->reserved = 0;

	/* ipoib keeps the destination in front of the frame until xmit. */
	phdr = skb_push(skb, FIPOIB_PSEUDO_LEN);
	if (!daddr) {
		memset(phdr, 0, FIPOIB_PSEUDO_LEN);
		return -FIPOIB_HARD_LEN;
	}
	memcpy(phdr, daddr, FIPOIB_PSEUDO_LEN);
	return FIPOIB_HARD_LEN;
}

static const struct header_ops fipoib_header_ops = {
	.create = fipoib_header_create,
};

/* The EtherTypes ipoib_start_xmit() sends; it drops every other one. */
static bool fipoib_proto_ok(__be16 proto)
{
	switch (proto) {
	case htons(ETH_P_IP):
	case htons(ETH_P_IPV6):
	case htons(ETH_P_ARP):
	case htons(ETH_P_RARP):
	case htons(ETH_P_TIPC):
		return true;
	}
	return false;
}

/*
 * The device's partition: the P_Key in its broadcast address. Changing the
 * broadcast address moves the device to another partition.
 */
static u16 fipoib_pkey(const struct net_device *dev)
{
	return get_unaligned_be16(dev->broadcast + FIPOIB_PKEY_OFF);
}

/* ipoib joins a group with its own P_Key in the MGID: compare the rest. */
static bool fipoib_is_member(struct fipoib_priv *p, const u8 *mgid)
{
	struct fipoib_groups *g = rcu_dereference(p->groups);
	const unsigned int pk = FIPOIB_PKEY_OFF - FIPOIB_GID_OFF;
	unsigned int i;

	for (i = 0; g && i < g->n; i++)
		if (!memcmp(g->mgid[i], mgid, pk) &&
		    !memcmp(g->mgid[i] + pk + 2, mgid + pk + 2,
			    FIPOIB_GID_LEN - pk - 2))
			return true;
	return false;
}

/*
 * Hand a copy of @skb (encapsulation header at its data) to @to as ipoib
 * hands a received frame to the stack: protocol from the encapsulation
 * header, a zeroed pseudo header in front of it as the MAC header, data at
 * the network header.
 */
static void fipoib_deliver(struct net_device *from, struct sk_buff *skb,
			   struct net_device *to, __be16 proto, u8 pkt_type)
{
	struct sk_buff *nskb;

	nskb = skb_clone(skb, GFP_ATOMIC);
	if (!nskb || skb_cow_head(nskb, FIPOIB_PSEUDO_LEN)) {
		kfree_skb(nskb);
		DEV_STATS_INC(to, rx_dropped);
		return;
	}
	skb_scrub_packet(nskb, !net_eq(dev_net(from), dev_net(to)));
	nskb->dev = to;
	nskb->pkt_type = pkt_type;
	nskb->protocol = proto;
	nskb->ip_summed = CHECKSUM_NONE;

	memset(skb_push(nskb, FIPOIB_PSEUDO_LEN), 0, FIPOIB_PSEUDO_LEN);
	skb_reset_mac_header(nskb);
	skb_pull(nskb, FIPOIB_HARD_LEN);
	skb_reset_network_header(nskb);

	DEV_STATS_INC(to, rx_packets);
	DEV_STATS_ADD(to, rx_bytes, nskb->len);
	if (pkt_type == PACKET_MULTICAST)
		DEV_STATS_INC(to, multicast);
	if (netif_rx(nskb) != NET_RX_SUCCESS)
		DEV_STATS_INC(to, rx_dropped);
}

/* Every other device of the fabric that is a member of the group. */
static void fipoib_xmit_mcast(struct net_device *dev, struct sk_buff *skb,
			      u8 *daddr, __be16 proto)
{
	const u8 *mgid = daddr + FIPOIB_GID_OFF;
	u16 pkey = fipoib_pkey(dev);
	struct fipoib_priv *p;

	/* ipoib_start_xmit() writes its P_Key into every multicast GID. */
	put_unaligned_be16(pkey, daddr + FIPOIB_PKEY_OFF);

	list_for_each_entry_rcu(p, &fipoib_fabric, fabric) {
		struct net_device *to = p->dev;

		if (to == dev || fipoib_pkey(to) != pkey)
			continue;
		if (!memcmp(mgid, to->broadcast + FIPOIB_GID_OFF,
			    FIPOIB_GID_LEN))
			fipoib_deliver(dev, skb, to, proto, PACKET_BROADCAST);
		else if (fipoib_is_member(p, mgid))
			fipoib_deliver(dev, skb, to, proto, PACKET_MULTICAST);
	}
}

/*
 * The device with the destination GID and QPN. Return: false if no port
 * of the fabric has the GID (ipoib's path record query fails then).
 */
static bool fipoib_xmit_ucast(struct net_device *dev, struct sk_buff *skb,
			      const u8 *daddr, __be16 proto)
{
	u32 qpn = get_unaligned_be32(daddr) & 0xffffff;
	struct fipoib_priv *p;
	bool found = false;

	/* A frame to our own GID comes back to our own QP: ipoib drops it. */
	if (!memcmp(daddr + FIPOIB_GID_OFF, dev->dev_addr + FIPOIB_GID_OFF,
		    FIPOIB_GID_LEN))
		return true;

	list_for_each_entry_rcu(p, &fipoib_fabric, fabric) {
		struct net_device *to = p->dev;

		if (memcmp(daddr + FIPOIB_GID_OFF,
			   to->dev_addr + FIPOIB_GID_OFF, FIPOIB_GID_LEN))
			continue;
		/* No path to a port outside our partition. */
		if (fipoib_pkey(to) != fipoib_pkey(dev))
			continue;
		found = true;
		/* No such QP at that port: lost, as a UD send is. */
		if (qpn == (get_unaligned_be32(to->dev_addr) & 0xffffff))
			fipoib_deliver(dev, skb, to, proto, PACKET_HOST);
	}
	return found;
}

static netdev_tx_t fipoib_xmit(struct sk_buff *skb, struct net_device *dev)
{
	u8 daddr[INFINIBAND_ALEN];
	struct fipoib_encap *h;
	bool sent = true;
	__be16 proto;

	if (!pskb_may_pull(skb, FIPOIB_HARD_LEN))
		goto drop;
	memcpy(daddr, skb->data, FIPOIB_PSEUDO_LEN);
	skb_pull(skb, FIPOIB_PSEUDO_LEN);
	h = (struct fipoib_encap *)skb->data;
	proto = h->proto;

	/* What ipoib_send() allows in datagram mode. */
	if (skb->len > fipoib_mcast_mtu + FIPOIB_ENCAP_LEN) {
		DEV_STATS_INC(dev, tx_errors);
		goto drop;
	}
	if (READ_ONCE(strict_proto) && !fipoib_proto_ok(proto))
		goto drop;

	rcu_read_lock();
	if (daddr[FIPOIB_GID_OFF] == 0xff)
		fipoib_xmit_mcast(dev, skb, daddr, proto);
	else
		sent = fipoib_xmit_ucast(dev, skb, daddr, proto);
	rcu_read_unlock();
	if (!sent)
		goto drop;

	DEV_STATS_INC(dev, tx_packets);
	DEV_STATS_ADD(dev, tx_bytes, skb->len);
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;

drop:
	DEV_STATS_INC(dev, tx_dropped);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static int fipoib_open(struct net_device *dev)
{
	struct fipoib_priv *p = netdev_priv(dev);

	spin_lock_bh(&fipoib_fabric_lock);
	list_add_tail_rcu(&p->fabric, &fipoib_fabric);
	spin_unlock_bh(&fipoib_fabric_lock);
	netif_carrier_on(dev);
	netif_tx_start_all_queues(dev);
	return 0;
}

static int fipoib_stop(struct net_device *dev)
{
	struct fipoib_priv *p = netdev_priv(dev);

	netif_tx_stop_all_queues(dev);
	netif_carrier_off(dev);
	spin_lock_bh(&fipoib_fabric_lock);
	list_del_rcu(&p->fabric);
	spin_unlock_bh(&fipoib_fabric_lock);
	/* No sender delivers to this device once it is down. */
	synchronize_net();
	return 0;
}

/* Called under the device's address list lock: a new copy of the groups. */
static void fipoib_set_rx_mode(struct net_device *dev)
{
	struct fipoib_priv *p = netdev_priv(dev);
	struct netdev_hw_addr *ha;
	struct fipoib_groups *g, *old;
	unsigned int n = 0;

	g = kmalloc(struct_size(g, mgid, netdev_mc_count(dev)), GFP_ATOMIC);
	if (!g)
		return;
	netdev_for_each_mc_addr(ha, dev)
		memcpy(g->mgid[n++], ha->addr + FIPOIB_GID_OFF, FIPOIB_GID_LEN);
	g->n = n;
	old = rcu_replace_pointer(p->groups, g,
				  lockdep_is_held(&dev->addr_list_lock));
	if (old)
		kfree_rcu(old, rcu);
}

/*
 * As ipoib_set_mac(): only the GUID may change, and only while the device
 * is down (so no sender of the fabric looks at the address).
 */
static int fipoib_set_mac(struct net_device *dev, void *addr)
{
	const u8 *a = (const u8 *)((struct sockaddr_storage *)addr)->__data;

	if (netif_running(dev))
		return -EBUSY;
	if (memcmp(a, dev->dev_addr, 12) || !memchr_inv(a + 12, 0, 8))
		return -EINVAL;
	dev_addr_set(dev, a);
	return 0;
}

static int fipoib_change_mtu(struct net_device *dev, int new_mtu)
{
	/* As ipoib in datagram mode: never above the broadcast group's. */
	dev->mtu = min_t(unsigned int, new_mtu, fipoib_mcast_mtu);
	return 0;
}

static const struct net_device_ops fipoib_netdev_ops = {
	.ndo_open = fipoib_open,
	.ndo_stop = fipoib_stop,
	.ndo_start_xmit = fipoib_xmit,
	.ndo_set_rx_mode = fipoib_set_rx_mode,
	.ndo_change_mtu = fipoib_change_mtu,
	.ndo_set_mac_address = fipoib_set_mac,
};

static void fipoib_destructor(struct net_device *dev)
{
	struct fipoib_priv *p = netdev_priv(dev);

	/* Down and unregistered: no sender looks at the groups any more. */
	kfree(rcu_dereference_protected(p->groups, true));
}

static void fipoib_setup(struct net_device *dev)
{
	struct fipoib_priv *p = netdev_priv(dev);

	p->dev = dev;
	INIT_LIST_HEAD(&p->fabric);

	dev->netdev_ops = &fipoib_netdev_ops;
	dev->header_ops = &fipoib_header_ops;
	dev->type = ARPHRD_INFINIBAND;
	dev->hard_header_len = FIPOIB_HARD_LEN;
	dev->addr_len = INFINIBAND_ALEN;
	dev->mtu = fipoib_mcast_mtu;
	dev->min_mtu = FIPOIB_MIN_MTU;
	dev->max_mtu = FIPOIB_MAX_MTU;
	dev->flags = IFF_BROADCAST | IFF_MULTICAST;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->features = NETIF_F_VLAN_CHALLENGED | NETIF_F_LLTX;
	dev->needs_free_netdev = true;
	dev->priv_destructor = fipoib_destructor;
	memcpy(dev->broadcast, fipoib_bcast, INFINIBAND_ALEN);
	netif_carrier_off(dev);
}

/* Flags and a QPN, the link-local prefix, a GUID unique on the fabric. */
static void fipoib_make_addr(struct net_device *dev)
{
	u8 addr[INFINIBAND_ALEN];
	u32 lo;

	do {
		lo = atomic_inc_return(&fipoib_guid_lo);
	} while (!lo);
	put_unaligned_be32(get_random_u32_inclusive(1, FIPOIB_QPN_MAX),
			   addr);
	addr[0] = FIPOIB_FLAGS_RC;
	put_unaligned_be16(0xfe80, addr + FIPOIB_GID_OFF);
	put_unaligned_be32(fipoib_guid_hi, addr + 12);
	put_unaligned_be32(lo, addr + 16);
	dev_addr_set(dev, addr);
}

static int fipoib_validate(struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	const u8 *a;
	u16 pkey;
	u32 qpn;

	/* A partition's broadcast group: ipoib's, with another P_Key. */
	if (tb[IFLA_BROADCAST]) {
		a = nla_data(tb[IFLA_BROADCAST]);
		if (nla_len(tb[IFLA_BROADCAST]) != INFINIBAND_ALEN ||
		    memcmp(a, fipoib_bcast, FIPOIB_PKEY_OFF) ||
		    memcmp(a + FIPOIB_PKEY_OFF + 2,
			   fipoib_bcast + FIPOIB_PKEY_OFF + 2,
			   INFINIBAND_ALEN - FIPOIB_PKEY_OFF - 2)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_BROADCAST],
					    "the broadcast address is a partition's broadcast group");
			return -EOPNOTSUPP;
		}
		pkey = get_unaligned_be16(a + FIPOIB_PKEY_OFF);
		if (!(pkey & FIPOIB_PKEY_FULL) || pkey == FIPOIB_PKEY_FULL) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_BROADCAST],
					    "the P_Key must be a full member's, 0x8001 to 0xffff");
			return -EINVAL;
		}
	}
	if (!tb[IFLA_ADDRESS])
		return 0;
	if (nla_len(tb[IFLA_ADDRESS]) != INFINIBAND_ALEN) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
				    "an IPoIB address has 20 bytes");
		return -EINVAL;
	}
	a = nla_data(tb[IFLA_ADDRESS]);
	if (a[FIPOIB_GID_OFF] == 0xff) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
				    "a port GID cannot be a multicast GID");
		return -EADDRNOTAVAIL;
	}
	qpn = get_unaligned_be32(a) & 0xffffff;
	if (!qpn || qpn > FIPOIB_QPN_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
				    "the QPN must be 1..0xfffffe");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

static int fipoib_newlink(struct net *src_net, struct net_device *dev,
			  struct nlattr *tb[], struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	/* rtnl_create_link() has set IFLA_ADDRESS and IFLA_MTU already. */
	if (!tb[IFLA_ADDRESS])
		fipoib_make_addr(dev);
	dev->mtu = min(dev->mtu, fipoib_mcast_mtu);
	return register_netdevice(dev);
}

static struct rtnl_link_ops fipoib_link_ops __read_mostly = {
	.kind = DRV_NAME,
	.priv_size = sizeof(struct fipoib_priv),
	.setup = fipoib_setup,
	.validate = fipoib_validate,
	.newlink = fipoib_newlink,
};

static int __init fipoib_init(void)
{
	if (ib_mtu < 256 || ib_mtu > 4096 || !is_power_of_2(ib_mtu)) {
		pr_err(DRV_NAME ": ib_mtu must be 256, 512, 1024, 2048 or 4096\n");
		return -EINVAL;
	}
	fipoib_mcast_mtu = ib_mtu - FIPOIB_ENCAP_LEN;
	fipoib_guid_hi = get_random_u32();
	atomic_set(&fipoib_guid_lo, get_random_u32());
	return rtnl_link_register(&fipoib_link_ops);
}

static void __exit fipoib_exit(void)
{
	/* Deletes every fake_ipoib device, in every namespace. */
	rtnl_link_unregister(&fipoib_link_ops);
}

module_init(fipoib_init);
module_exit(fipoib_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only netdevice with the IPoIB (datagram mode) link layer");
MODULE_ALIAS_RTNL_LINK(DRV_NAME);
