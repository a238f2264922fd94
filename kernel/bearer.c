// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: the L2 send and receive path, one for every medium.
 *
 * Receive: our packet_type is embedded in the ring and registered on the
 * ring's device only, so container_of() finds the ring. The network stack
 * calls us under rcu_read_lock(); vsync_bearer_disable() removes the handler
 * and waits with synchronize_net() before the ring can go, so no reference
 * is needed here. Every frame is validated (vsync_rcv_check()) before it
 * is dispatched, under the ring lock, to srp.c (messages, tokens) or
 * memb.c (membership); a bundle's frames are dispatched under one hold of
 * the lock (vsync_rcv_dispatch()).
 *
 * Send: frames are built under the ring lock and queued on the ring's txq;
 * vsync_ring_flush() transmits them after the lock is dropped, in bundles
 * where the device carries them (bundle.c). A received bundle is taken
 * apart there; each of its frames is checked with vsync_rcv_check() and
 * they are dispatched together.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "proto.h"
#include "ring.h"

/**
 * vsync_frame_alloc() - allocate a frame with room for the L2 header
 * @r: the ring
 * @len: bytes of vsync header and body the frame will hold
 * @gfp: allocation flags
 *
 * Return: an empty skb whose network header is at its data, or NULL.
 */
struct sk_buff *vsync_frame_alloc(struct vsync_ring *r, unsigned int len,
				  gfp_t gfp)
{
	struct net_device *dev = r->dev;
	struct sk_buff *skb;

	skb = alloc_skb(LL_RESERVED_SPACE(dev) + len + dev->needed_tailroom,
			gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_RESERVED_SPACE(dev));
	skb_reset_network_header(skb);
	return skb;
}

/**
 * vsync_frame_queue() - add the L2 header and queue a frame for sending
 * @r: the ring, locked
 * @skb: the frame, vsync header at its data; consumed
 * @dst: hardware address to send to, or NULL for the ring's broadcast
 */
void vsync_frame_queue(struct vsync_ring *r, struct sk_buff *skb,
		       const u8 *dst)
{
	struct net_device *dev = r->dev;

	skb->dev = dev;
	skb->protocol = htons(r->cfg.ethertype);
	skb->priority = TC_PRIO_CONTROL;
	if (dev_hard_header(skb, dev, r->cfg.ethertype, dst ? dst : r->mcast,
			    dev->dev_addr, skb->len) < 0) {
		kfree_skb(skb);
		return;
	}
	vsync_count(r, VSYNC_A_STATS_FRAMES_OUT);
	vsync_count_add(r, VSYNC_A_STATS_BYTES_OUT, skb->len);
	__skb_queue_tail(&r->txq, skb);
}

/*
 * Makes linear what the receive path reads: the whole frame, except the
 * data of a message frame with one entry, which may stay in pages (a
 * sender builds the frames of a large message that way, and so may a
 * network card's receive path). The headers, the entry and its name are
 * pulled; they are checked later, as in any frame.
 */
static int vsync_rcv_linear(struct sk_buff *skb)
{
	unsigned int hlen = VSYNC_FRAME_FIXED + sizeof(struct vsync_entry);
	const struct vsync_entry *e;
	const struct vsync_mcast *m;

	if (!skb_is_nonlinear(skb))
		return 0;
	if (((const struct vsync_hdr *)skb->data)->type != VSYNC_FT_MCAST ||
	    skb->len < hlen || !pskb_may_pull(skb, hlen))
		return skb_linearize(skb);
	m = (const struct vsync_mcast *)(skb->data + sizeof(struct vsync_hdr));
	if (m->count != htons(1) || m->flags & htons(VSYNC_MF_RECOVERY))
		return skb_linearize(skb);
	e = (const struct vsync_entry *)(skb->data + VSYNC_FRAME_FIXED);
	hlen += ALIGN(e->name_len, 4);
	if (skb->len < hlen)
		return skb_linearize(skb);
	return pskb_may_pull(skb, hlen) ? 0 : -ENOMEM;
}

/* Leave, merge and wake frames are a header and nothing more. */
static bool vsync_header_only(u8 type)
{
	return type == VSYNC_FT_LEAVE || type == VSYNC_FT_MERGE ||
	       type == VSYNC_FT_WAKE;
}

/**
 * vsync_rcv_check() - check one received frame before it is dispatched
 * @r: the ring, not locked
 * @skb: the frame, not shared, its data at the vsync header
 *
 * Validates the header, trims the frame to its length and makes linear
 * what the protocol reads (vsync_rcv_linear()). A bad frame is counted
 * and freed.
 *
 * Return: 0 if @skb may go to vsync_rcv_dispatch(), else NET_RX_DROP
 * (@skb consumed).
 */
int vsync_rcv_check(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h;
	unsigned int len;
	int why;

	why = VSYNC_A_STATS_DROP_SHORT;
	if (!pskb_may_pull(skb, sizeof(*h)))
		goto drop;
	h = (const struct vsync_hdr *)skb->data;
	why = VSYNC_A_STATS_DROP_VERSION;
	if (h->version != VSYNC_PROTOCOL_VERSION)
		goto drop;
	why = VSYNC_A_STATS_DROP_TYPE;
	if (!h->type || h->type >= __VSYNC_FT_MAX)
		goto drop;
	why = VSYNC_A_STATS_DROP_SHORT;
	len = ntohl(h->len);
	if (len < sizeof(*h) || len > skb->len)
		goto drop;
	why = VSYNC_A_STATS_DROP_SENDER;
	if (!h->src)
		goto drop;
	why = VSYNC_A_STATS_DROP_MALFORMED;
	if (vsync_header_only(h->type) && len != sizeof(*h))
		goto drop;
	why = VSYNC_A_STATS_DROP_NOMEM;
	if (pskb_trim(skb, len) || vsync_rcv_linear(skb))
		goto drop;

	vsync_count(r, VSYNC_A_STATS_FRAMES_IN);
	vsync_count_add(r, VSYNC_A_STATS_BYTES_IN, len);
	return 0;

drop:
	vsync_count(r, why);
	kfree_skb(skb);
	return NET_RX_DROP;
}

/*
 * Hands one checked frame (consumed) to the protocol. Ring locked.
 * Return: false if it was dropped here.
 */
static bool vsync_rcv_one(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h = (const struct vsync_hdr *)skb->data;

	if (r->dead) {
		kfree_skb(skb);
		return false;
	}
	if (ntohl(h->src) == r->node_id && h->type != VSYNC_FT_JOIN) {
		/* Our frames never come back: someone else has our id. */
		vsync_count(r, VSYNC_A_STATS_DUPLICATE_NODE_ID);
		net_warn_ratelimited("vsync: %s: another node uses node id %u\n",
				     r->dev->name, r->node_id);
		kfree_skb(skb);
		return false;
	}
	switch (h->type) {
	case VSYNC_FT_MCAST:
		vsync_srp_rcv_mcast(r, skb);
		break;
	case VSYNC_FT_TOKEN:
		vsync_srp_rcv_token(r, skb);
		break;
	case VSYNC_FT_JOIN:
		vsync_memb_rcv_join(r, skb);
		break;
	case VSYNC_FT_COMMIT:
		vsync_memb_rcv_commit(r, skb);
		break;
	case VSYNC_FT_LEAVE:
		vsync_memb_rcv_leave(r, skb);
		break;
	case VSYNC_FT_MERGE:
		vsync_memb_rcv_merge(r, skb);
		break;
	case VSYNC_FT_WAKE:
		vsync_srp_rcv_wake(r, skb);
		break;
	}
	return true;
}

/**
 * vsync_rcv_dispatch() - hand checked frames to the protocol
 * @r: the ring, not locked
 * @list: frames that passed vsync_rcv_check(), linked by ->next, in the
 *	order they came; consumed
 *
 * The frames go to srp.c (messages, tokens) or memb.c (membership) under
 * one hold of the ring lock, and the sockets they deliver to are woken
 * once at its end (vsync_sock_wake()), not once per message. The caller
 * sends what the protocol queued with vsync_ring_flush().
 *
 * Return: how many frames the protocol took (not dropped here: the ring
 * is being deleted, or a frame bears our own node id).
 */
unsigned int vsync_rcv_dispatch(struct vsync_ring *r, struct sk_buff *list)
{
	struct sk_buff *skb, *next;
	unsigned int n = 0;

	spin_lock(&r->lock);
	r->socks_wake_later = true;
	skb_list_walk_safe(list, skb, next) {
		skb_mark_not_on_list(skb);
		n += vsync_rcv_one(r, skb);
	}
	vsync_sock_wake(r);
	spin_unlock(&r->lock);
	return n;
}

/*
 * One frame that came alone: checked and handed to the protocol.
 * Return: NET_RX_SUCCESS, or NET_RX_DROP if it was dropped.
 */
static int vsync_rcv_frame(struct vsync_ring *r, struct sk_buff *skb)
{
	if (vsync_rcv_check(r, skb))
		return NET_RX_DROP;
	skb->next = NULL;
	return vsync_rcv_dispatch(r, skb) ? NET_RX_SUCCESS : NET_RX_DROP;
}

static int vsync_rcv(struct sk_buff *skb, struct net_device *dev,
		     struct packet_type *pt, struct net_device *orig_dev)
{
	struct vsync_ring *r = container_of(pt, struct vsync_ring, pt);
	int ret;

	if (skb->pkt_type == PACKET_OTHERHOST ||
	    skb->pkt_type == PACKET_OUTGOING ||
	    skb->pkt_type == PACKET_LOOPBACK) {
		kfree_skb(skb);
		return NET_RX_DROP;
	}

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return NET_RX_DROP;
	if (vsync_bundle_is(skb))
		ret = vsync_bundle_rcv(r, skb);
	else
		ret = vsync_rcv_frame(r, skb);
	/* Once per bundle: what its frames made us send leaves together. */
	if (ret == NET_RX_SUCCESS)
		vsync_ring_flush(r);
	return ret;
}

/**
 * vsync_bearer_enable() - start receiving the ring's frames
 * @r: the ring, configured, under RTNL
 *
 * Return: 0.
 */
int vsync_bearer_enable(struct vsync_ring *r)
{
	r->pt.type = htons(r->cfg.ethertype);
	r->pt.dev = r->dev;
	r->pt.func = vsync_rcv;
	dev_add_pack(&r->pt);
	return 0;
}

/**
 * vsync_bearer_disable() - stop receiving; no receive runs on return
 * @r: the ring, under RTNL
 */
void vsync_bearer_disable(struct vsync_ring *r)
{
	/* dev_remove_pack() waits for receivers with synchronize_net(). */
	dev_remove_pack(&r->pt);
}
