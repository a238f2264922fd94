// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: bundles of frames.
 *
 * A token visit sends a run of frames to one address, the ring's broadcast
 * (new messages, retransmissions), and over software devices (veth, a
 * bridge, ifb) every frame pays a pass through the stack at every hop. A
 * bundle carries such a run as one skb, by the kernel's fraglist GSO
 * (SKB_GSO_FRAGLIST, as UDP forwarding uses it):
 *
 *   head:       the L2 header, nothing else; gso_segs = number of frames
 *   frag_list:  frame, frame, ...  each a whole vsync frame, no L2 header
 *
 * A device that announces NETIF_F_GSO_FRAGLIST carries the bundle whole
 * (veth, bridge, ifb, and vxlan or geneve inside their UDP); for any
 * other, the stack cuts it up with vsync_gso_segment() into the frames
 * again, each behind a copy of the L2 header (and of a tunnel's headers,
 * as skb_segment() does), so no device ever sees a frame larger than its
 * MTU and the bytes on a real wire are the same as without bundles. A
 * receiver takes the frames off the frag_list and checks each as any
 * frame is; those that pass go to the protocol under one hold of the
 * ring lock, and the readers they deliver to are woken once. Should something
 * on the way have made a bundle linear (generic XDP, a tc program), its
 * frames are found back to back by their headers' len and copied out.
 * Only the default EtherType on Ethernet is bundled: the offload is
 * registered for that EtherType alone, and ipoib carries no GSO.
 *
 * The module parameter "bundle" (default 1) turns sending bundles off;
 * receiving them is always on, as other nodes may still send them.
 *
 * Locking: nothing here keeps state. vsync_bundle_xmit() runs without the
 * ring lock, from vsync_ring_flush(); vsync_bundle_rcv() runs in the
 * receive path like vsync_rcv(); vsync_gso_segment() runs wherever the
 * stack segments (any device's transmit, a tunnel's receive), under RCU.
 */
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/dst.h>

#include "ring.h"

/* Limits of one bundle: below any device's gso_max_segs and gso_max_size. */
#define VSYNC_BUNDLE_FRAMES	64
/* Frames taken out of a bundle that something made linear: a bound. */
#define VSYNC_BUNDLE_COPIES	(4 * VSYNC_BUNDLE_FRAMES)
#define VSYNC_BUNDLE_BYTES	(48 * 1024)

static bool vsync_bundle_tx __read_mostly = true;
module_param_named(bundle, vsync_bundle_tx, bool, 0644);
MODULE_PARM_DESC(bundle,
		 "send runs of frames as one skb where the device allows (default 1)");

/* What a device must carry for a bundle to leave whole. */
#define VSYNC_BUNDLE_FEATURES	(NETIF_F_GSO_FRAGLIST | NETIF_F_FRAGLIST | \
				 NETIF_F_SG | NETIF_F_HW_CSUM)

/**
 * vsync_bundle_ok() - whether the ring's next frames may leave as bundles
 * @r: the ring, locked or under RTNL
 *
 * The device's features are read without RTNL: a stale answer costs only
 * the segmentation the stack then does.
 *
 * Return: true if bundles are on, the ring runs on Ethernet with the
 * default EtherType and its device carries fraglist GSO.
 */
bool vsync_bundle_ok(const struct vsync_ring *r)
{
	return READ_ONCE(vsync_bundle_tx) && r->media->type == ARPHRD_ETHER &&
	       r->cfg.ethertype == VSYNC_ETHERTYPE &&
	       (READ_ONCE(r->dev->features) & VSYNC_BUNDLE_FEATURES) ==
	       VSYNC_BUNDLE_FEATURES;
}

/*
 * Whether @skb, a queued frame whose data starts at its L2 header, goes to
 * the same place as a bundle whose head's L2 header is @hdr, @hlen long.
 */
static bool vsync_bundle_same(const struct sk_buff *skb, const void *hdr,
			      unsigned int hlen, const struct net_device *dev)
{
	return skb->dev == dev && skb_network_offset(skb) == hlen &&
	       !memcmp(skb->data, hdr, hlen);
}

/* Takes @skb, L2 header and all, onto @head's frag_list after @tail. */
static void vsync_bundle_add(struct sk_buff *head, struct sk_buff *tail,
			     struct sk_buff *skb, unsigned int hlen)
{
	__skb_pull(skb, hlen);
	skb->next = NULL;
	if (tail)
		tail->next = skb;
	else
		skb_shinfo(head)->frag_list = skb;
	head->len += skb->len;
	head->data_len += skb->len;
	head->truesize += skb->truesize;
	skb_shinfo(head)->gso_size = max_t(unsigned int,
					   skb_shinfo(head)->gso_size,
					   skb->len);
	skb_shinfo(head)->gso_segs++;
}

/*
 * A bundle of @first and the frames after it in @q that go to the same
 * place, or @first itself if none does or there is no memory.
 */
static struct sk_buff *vsync_bundle_build(struct vsync_ring *r,
					  struct sk_buff *first,
					  struct sk_buff_head *q)
{
	unsigned int hlen = skb_network_offset(first);
	struct net_device *dev = first->dev;
	struct sk_buff *head, *tail, *next;

	next = skb_peek(q);
	if (!hlen || hlen != dev->hard_header_len || !next ||
	    !vsync_bundle_same(next, first->data, hlen, dev))
		return first;
	head = alloc_skb(LL_RESERVED_SPACE(dev), GFP_ATOMIC);
	if (!head)
		return first;
	skb_reserve(head, LL_RESERVED_SPACE(dev));
	skb_reset_network_header(head);
	skb_reset_transport_header(head);
	memcpy(__skb_push(head, hlen), first->data, hlen);
	skb_reset_mac_header(head);
	head->mac_len = hlen;
	head->dev = dev;
	head->protocol = first->protocol;
	head->priority = first->priority;
	/*
	 * "No checksum to do": GSO passes only such skbs, or partial ones.
	 * At every level, so that a tunnel's decapsulation, which uses one,
	 * leaves the bundle as it was.
	 */
	head->ip_summed = CHECKSUM_UNNECESSARY;
	head->csum_level = SKB_MAX_CSUM_LEVEL;
	skb_shinfo(head)->gso_type = SKB_GSO_FRAGLIST;

	vsync_bundle_add(head, NULL, first, hlen);
	tail = first;
	while ((next = skb_peek(q)) &&
	       skb_shinfo(head)->gso_segs < VSYNC_BUNDLE_FRAMES &&
	       head->len + next->len <= VSYNC_BUNDLE_BYTES &&
	       vsync_bundle_same(next, skb_mac_header(head), hlen, dev)) {
		__skb_unlink(next, q);
		vsync_bundle_add(head, tail, next, hlen);
		tail = next;
	}
	vsync_count(r, VSYNC_A_STATS_BUNDLES_OUT);
	return head;
}

/**
 * vsync_bundle_xmit() - transmit queued frames, in bundles where allowed
 * @r: the ring, not locked
 * @q: frames with their L2 headers, in the order to send them; emptied
 * @bundle: what vsync_bundle_ok() said under the lock
 */
void vsync_bundle_xmit(struct vsync_ring *r, struct sk_buff_head *q,
		       bool bundle)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		if (bundle)
			skb = vsync_bundle_build(r, skb, q);
		dev_queue_xmit(skb);
	}
}

/**
 * vsync_bundle_is() - whether a received skb is a bundle
 * @skb: as it came to the ring's packet handler
 *
 * Return: true for a fraglist GSO skb. Nothing from a wire is one: only a
 * sender in this kernel (another namespace, over veth) builds them.
 */
bool vsync_bundle_is(const struct sk_buff *skb)
{
	return skb_is_gso(skb) &&
	       (skb_shinfo(skb)->gso_type & SKB_GSO_FRAGLIST);
}

/* Whether a bundle is as its sender built it: frames on the frag_list. */
static bool vsync_bundle_pristine(const struct sk_buff *skb)
{
	return !skb_headlen(skb) && !skb_shinfo(skb)->nr_frags &&
	       skb_has_frag_list(skb);
}

/*
 * A copy of the frame at @off of a bundle that something on the way made
 * linear or pulled (generic XDP, a tc program, VLAN untagging): the frames
 * are then back to back in its data. NULL at the end, or if the header
 * there is too short for a frame or its len runs past the bundle.
 */
static struct sk_buff *vsync_bundle_copy(const struct sk_buff *skb,
					 unsigned int off, unsigned int room)
{
	struct vsync_hdr _h;
	const struct vsync_hdr *h;
	struct sk_buff *c;
	u32 len;

	h = skb_header_pointer(skb, off, sizeof(_h), &_h);
	if (!h)
		return NULL;
	len = ntohl(h->len);
	if (len < sizeof(*h) || len > skb->len - off)
		return NULL;
	c = alloc_skb(room + len, GFP_ATOMIC);
	if (!c)
		return ERR_PTR(-ENOMEM);
	skb_reserve(c, room);
	if (skb_copy_bits(skb, off, skb_put(c, len), len)) {
		kfree_skb(c);
		return NULL;
	}
	return c;
}

/*
 * The frames of bundle @skb, whose data starts at its first frame, as a
 * list of skbs with @room bytes of headroom or more (the caller makes the
 * headroom private before writing to it). With @steal, frames on the
 * frag_list are taken off it if the bundle is ours alone; else they are
 * cloned off it, as other clones of the bundle may share it (a bridge
 * floods clones; the last port gets the original, often alone by then),
 * and the bundle is left whole (segmentation's callers may use it
 * again: Open vSwitch's upcall does). Return: the list, or NULL if
 * it holds no frame; *nomem says whether memory ran out, *bad whether
 * bytes were left that are no frame (either leaves frames out).
 */
static struct sk_buff *vsync_bundle_split(struct sk_buff *skb,
					  unsigned int room, bool steal,
					  bool *nomem, bool *bad)
{
	struct sk_buff *list = NULL, **tail = &list, *f, *c, *next;
	unsigned int off, n = 0;

	*nomem = false;
	*bad = false;
	if (vsync_bundle_pristine(skb)) {
		/*
		 * A frag_list that is ours alone is taken off the bundle, and
		 * its frames with it; but a frame may still be shared with
		 * another copy of the bundle (pskb_expand_head() of a clone
		 * gives each head a reference): that one, and every frame of
		 * a frag_list we share, is cloned.
		 */
		bool own = steal && !skb_cloned(skb);

		f = skb_shinfo(skb)->frag_list;
		if (own) {
			skb_shinfo(skb)->frag_list = NULL;
			skb->len = skb_headlen(skb);
			skb->data_len = 0;
		}
		for (; f; f = next) {
			next = f->next;
			if (own && !skb_shared(f)) {
				c = f;
				c->next = NULL;
			} else {
				c = skb_clone(f, GFP_ATOMIC);
				if (own)
					consume_skb(f);
			}
			if (!c) {
				*nomem = true;
				continue;
			}
			*tail = c;
			tail = &c->next;
		}
		return list;
	}
	for (off = 0; n < VSYNC_BUNDLE_COPIES &&
	     (c = vsync_bundle_copy(skb, off, room)); off += c->len, n++) {
		if (IS_ERR(c)) {
			*nomem = true;
			return list;
		}
		*tail = c;
		tail = &c->next;
	}
	*bad = off < skb->len;
	return list;
}

/**
 * vsync_bundle_rcv() - receive each frame of a bundle
 * @r: the ring, not locked
 * @skb: the bundle, not shared, its data after the L2 header; consumed
 *
 * Every frame is checked on its own, as any frame is, and those that pass
 * go to the protocol together (vsync_rcv_dispatch()).
 *
 * Return: NET_RX_SUCCESS if the protocol took a frame, else NET_RX_DROP.
 */
int vsync_bundle_rcv(struct vsync_ring *r, struct sk_buff *skb)
{
	struct sk_buff *list, *c, *next, *good = NULL, **tail = &good;
	bool nomem, bad;

	list = vsync_bundle_split(skb, 0, true, &nomem, &bad);
	if (nomem)
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
	if (bad)
		vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
	if (!list) {
		kfree_skb(skb);
		return NET_RX_DROP;
	}
	vsync_count(r, VSYNC_A_STATS_BUNDLES_IN);
	skb_list_walk_safe(list, c, next) {
		skb_mark_not_on_list(c);
		memset(c->cb, 0, sizeof(c->cb));
		c->dev = skb->dev;
		c->skb_iif = skb->skb_iif;
		c->protocol = skb->protocol;
		c->pkt_type = skb->pkt_type;
		skb_reset_network_header(c);
		skb_reset_mac_header(c);
		c->mac_len = 0;
		if (vsync_rcv_check(r, c))
			continue;
		*tail = c;
		tail = &c->next;
	}
	consume_skb(skb);
	if (!good || !vsync_rcv_dispatch(r, good))
		return NET_RX_DROP;
	return NET_RX_SUCCESS;
}

/*
 * The stack's segmentation of a bundle for a device that cannot carry it,
 * and for a tunnel (vxlan, geneve, gretap) that carries it inside another
 * packet: each frame behind a copy of the bundle's headers, the tunnel's
 * included, with the bundle's metadata, as skb_segment() leaves them. The
 * headers go in each segment's own headroom (skb_cow_head()): the frames'
 * buffers are shared with the stored ones and with other clones.
 */
static struct sk_buff *vsync_gso_segment(struct sk_buff *skb,
					 netdev_features_t features)
{
	unsigned int hlen = skb->data - skb_mac_header(skb);
	unsigned int tnl = skb_tnl_header_len(skb);
	struct sk_buff *segs, *c;
	bool nomem, bad;

	if (!(skb_shinfo(skb)->gso_type & SKB_GSO_FRAGLIST))
		return ERR_PTR(-EINVAL);
	segs = vsync_bundle_split(skb, tnl + hlen, false, &nomem, &bad);
	if (nomem || !segs) {
		kfree_skb_list(segs);
		return ERR_PTR(nomem ? -ENOMEM : -EINVAL);
	}
	for (c = segs; c; c = c->next) {
		if (skb_cow_head(c, tnl + hlen) ||
		    (!(features & NETIF_F_SG) && skb_linearize(c))) {
			kfree_skb_list(segs);
			return ERR_PTR(-ENOMEM);
		}
		/* As skb_segment(): the caller's control block goes along. */
		memcpy(c->cb, skb->cb, sizeof(c->cb));
		__skb_push(c, hlen);
		memcpy(c->data - tnl, skb_mac_header(skb) - tnl, tnl + hlen);
		skb_reset_mac_header(c);
		skb_set_network_header(c, hlen);
		skb_set_transport_header(c, hlen);
		c->mac_len = hlen;
		c->dev = skb->dev;
		c->protocol = skb->protocol;
		c->priority = skb->priority;
		c->mark = skb->mark;
		skb_set_delivery_time(c, skb->tstamp, skb->mono_delivery_time);
		c->ip_summed = CHECKSUM_NONE;
		__vlan_hwaccel_copy_tag(c, skb);
		skb_copy_queue_mapping(c, skb);
		skb_dst_drop(c);
		skb_dst_copy(c, skb);
		/* A tunnel's checksum covers the frame: give it the sum. */
		if (tnl && skb->encap_hdr_csum) {
			SKB_GSO_CB(c)->csum = skb_checksum(c, hlen,
							   c->len - hlen, 0);
			SKB_GSO_CB(c)->csum_start = skb_headroom(c) + hlen;
		}
		if (!c->next)
			segs->prev = c;
	}
	return segs;
}

static struct packet_offload vsync_offload __read_mostly = {
	.type = cpu_to_be16(VSYNC_ETHERTYPE),
	.callbacks = {
		.gso_segment = vsync_gso_segment,
	},
};

/**
 * vsync_bundle_init() - let the stack cut bundles up for any device
 *
 * Return: 0.
 */
int vsync_bundle_init(void)
{
	dev_add_offload(&vsync_offload);
	return 0;
}

/**
 * vsync_bundle_uninit() - remove the segmentation; waits for its callers
 *
 * A bundle still queued somewhere (a netem delay) after this can no
 * longer be cut up and is dropped by the stack where a device needs that.
 */
void vsync_bundle_uninit(void)
{
	dev_remove_offload(&vsync_offload);
}
