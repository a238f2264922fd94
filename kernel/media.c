// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: the media. Each link layer vsync runs on is one entry of a table;
 * everything else (header building, broadcast, MTU) goes through the
 * netdevice's own header_ops and fields, so Ethernet and IPoIB share one
 * send and receive path in bearer.c. Nothing here keeps state or locks.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_infiniband.h>
#include <asm/unaligned.h>

#include "ring.h"

/* An Ethernet address's last four bytes: unique on a LAN in practice. */
static u32 vsync_eth_node_id(const u8 *hwaddr)
{
	return get_unaligned_be32(hwaddr + ETH_ALEN - 4);
}

/*
 * An IPoIB address is 4 bytes of flags and QPN, then the 16-byte port GID
 * whose last 8 bytes are the port GUID; its low 4 bytes name the node.
 */
static u32 vsync_ib_node_id(const u8 *hwaddr)
{
	return get_unaligned_be32(hwaddr + INFINIBAND_ALEN - 4);
}

static bool vsync_eth_mcast_ok(const u8 *addr)
{
	return is_multicast_ether_addr(addr);
}

/* A multicast GID starts with 0xff; it follows the 4 bytes of QPN. */
static bool vsync_ib_mcast_ok(const u8 *addr)
{
	return addr[4] == 0xff;
}

static const struct vsync_media vsync_media_eth = {
	.name = "eth",
	.type = ARPHRD_ETHER,
	.hwaddr_len = ETH_ALEN,
	.ethertype = VSYNC_ETHERTYPE,
	.node_id = vsync_eth_node_id,
	.mcast_ok = vsync_eth_mcast_ok,
};

/*
 * The ipoib driver sends only IPv4, IPv6, ARP, RARP and TIPC frames, so
 * vsync borrows TIPC's EtherType there (and cannot share a device with
 * TIPC). Its broadcast group carries at most 2044 bytes in datagram mode,
 * and in connected mode the device MTU says nothing about multicast.
 */
static const struct vsync_media vsync_media_ib = {
	.name = "ib",
	.type = ARPHRD_INFINIBAND,
	.hwaddr_len = INFINIBAND_ALEN,
	.ethertype = ETH_P_TIPC,
	.fixed_ethertype = true,
	.max_frame = 2044,
	.node_id = vsync_ib_node_id,
	.mcast_ok = vsync_ib_mcast_ok,
};

static const struct vsync_media *const vsync_media_table[] = {
	&vsync_media_eth,
	&vsync_media_ib,
};

/**
 * vsync_media_find() - the medium of a netdevice
 * @dev: the device
 *
 * Return: the medium, or NULL if vsync cannot run on @dev.
 */
const struct vsync_media *vsync_media_find(const struct net_device *dev)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vsync_media_table); i++) {
		const struct vsync_media *m = vsync_media_table[i];

		if (dev->type == m->type && dev->addr_len == m->hwaddr_len)
			return m;
	}
	return NULL;
}

/**
 * vsync_media_mtu() - the largest vsync frame on a device
 * @m: its medium
 * @dev: the device
 *
 * Return: the device MTU, capped at what the medium carries and at 65535
 * (the wire format's frame sizes are u16: commit token, recovery pieces).
 */
unsigned int vsync_media_mtu(const struct vsync_media *m,
			     const struct net_device *dev)
{
	unsigned int mtu = min_t(unsigned int, dev->mtu, U16_MAX);

	return m->max_frame ? min(mtu, m->max_frame) : mtu;
}
