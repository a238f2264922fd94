// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: pages for the data of large messages and for the heads of small
 * ones, used again once free.
 *
 * A message too large for a linear buffer keeps its data in pages. Fresh
 * pages come zeroed when init_on_alloc is on (as distributions ship it),
 * and zeroing a page costs about as much as copying the message into it;
 * a sender of 8 KiB messages spends as long on one as on the other. The
 * data is then shared by reference: by the frames built from it, by the
 * clones every receiver on this kernel gets, by a network card until it
 * has sent it. So a ring keeps a small pool of pages with a reference of
 * its own, and hands out a page again once that reference is the only
 * one left (page_ref_count() is 1): nobody can read what the next sender
 * writes there. A page still in use is skipped; when the pool has none
 * free, a fresh page is used and left to the page allocator.
 *
 * Small messages (up to a 2 KiB head) are cut one after another from a
 * pool page, each head with a page reference of its own, and built into
 * skbs whose head is a page fragment (build_skb()). A 1 KiB message in a
 * kmalloc() head costs a 2 KiB memset, and a fresh slab page now and
 * then: a tenth of all the CPU time of a ring of three busy senders.
 * The page being cut holds a reference for the cutting until it is used
 * up, so that it never looks free while heads are still to be cut.
 *
 * Only bytes a sender wrote are ever inside a fragment handed out, so old
 * data in a page used again never reaches another socket or the wire. A
 * head's headroom and tailroom are not written, and are never sent or
 * read: headers pushed into the headroom are written whole, and padding
 * put at the tail is zeroed (vsync_frame_of_msg()).
 * Pages from the emergency reserves (pfmemalloc) are never taken: frames
 * made of them would be dropped by receivers under memory pressure.
 * The counter pages_reused says how often the pool saved a fresh page.
 *
 * Locking: the pool's mutex, taken in process context (send) and never
 * under the ring lock; fresh pages are allocated under it only without
 * direct reclaim. Teardown runs when the ring is freed, after every
 * socket let go of it.
 */
#include <linux/mm.h>
#include <linux/skbuff.h>

#include "ring.h"

/* Slots looked at for a free page before a fresh one is taken. */
#define VSYNC_PAGES_SCAN	8

/**
 * vsync_pages_init() - set up an empty pool
 * @p: the pool, zeroed (the ring is)
 */
void vsync_pages_init(struct vsync_pages *p)
{
	mutex_init(&p->lock);
}

/**
 * vsync_pages_uninit() - drop the pool's references
 * @p: the pool, no longer used
 *
 * Pages still in messages are freed by the last of them. May run in
 * softirq context (an RCU callback): nothing here sleeps.
 */
void vsync_pages_uninit(struct vsync_pages *p)
{
	unsigned int i;

	if (p->head_page)
		put_page(p->head_page);
	p->head_page = NULL;
	for (i = 0; i < VSYNC_PAGES; i++) {
		if (p->page[i])
			put_page(p->page[i]);
		p->page[i] = NULL;
	}
	mutex_destroy(&p->lock);
}

/*
 * A page for message data, with a reference for the caller: one of the
 * pool's that nobody else holds, or a new one for the pool if a slot on
 * the way is empty; NULL if neither. Pool locked: fresh pages are only
 * taken without reclaim here, so that no sender waits on the lock
 * behind another's reclaim.
 */
static struct page *vsync_pages_take(struct vsync_ring *r, gfp_t gfp)
{
	struct vsync_pages *p = &r->pages;
	struct page *page;
	unsigned int i, slot;

	for (i = 0; i < VSYNC_PAGES_SCAN; i++) {
		slot = p->next;
		p->next = (p->next + 1) % VSYNC_PAGES;
		page = p->page[slot];
		if (!page) {
			page = alloc_page((gfp & ~__GFP_DIRECT_RECLAIM) |
					  __GFP_NOWARN | __GFP_NOMEMALLOC);
			if (!page)
				return NULL;
			p->page[slot] = page;
			get_page(page);
			return page;
		}
		if (page_ref_count(page) == 1) {
			/* The last holder's reads come before our writes. */
			smp_acquire__after_ctrl_dep();
			get_page(page);
			vsync_count(r, VSYNC_A_STATS_PAGES_REUSED);
			return page;
		}
	}
	return NULL;
}

/**
 * vsync_pages_fill() - add page fragments for message data to an skb
 * @r: the ring, whose pool the pages come from
 * @skb: the skb; its len, data_len and truesize grow
 * @len: bytes to add, at most what MAX_SKB_FRAGS pages hold with the
 *	fragments @skb has
 * @gfp: allocation flags, for fresh pages
 *
 * The fragments are for the caller to write: their bytes are undefined.
 * Pages of the pool that nobody holds go first; without one, a fresh
 * page, for the pool if it has room, else for this skb alone.
 *
 * Context: process context; may sleep if @gfp allows.
 * Return: 0, -ENOMEM, or -EMSGSIZE if @len does not fit in fragments.
 */
int vsync_pages_fill(struct vsync_ring *r, struct sk_buff *skb, size_t len,
		     gfp_t gfp)
{
	struct vsync_pages *p = &r->pages;
	struct page *page;
	unsigned int n;
	int i, err = 0;

	mutex_lock(&p->lock);
	while (len) {
		i = skb_shinfo(skb)->nr_frags;
		if (i >= MAX_SKB_FRAGS) {
			err = -EMSGSIZE;
			break;
		}
		page = vsync_pages_take(r, gfp);
		if (!page) {
			/* Not for the pool; reclaim, if any, unlocked. */
			mutex_unlock(&p->lock);
			page = alloc_page(gfp | __GFP_NOMEMALLOC);
			mutex_lock(&p->lock);
			if (!page) {
				err = -ENOMEM;
				break;
			}
		}
		n = min_t(size_t, len, PAGE_SIZE);
		skb_fill_page_desc(skb, i, page, 0, n);
		skb->len += n;
		skb->data_len += n;
		skb->truesize += PAGE_SIZE;
		len -= n;
	}
	mutex_unlock(&p->lock);
	return err;
}

/**
 * vsync_pages_head() - memory for the head of a small message's skb
 * @r: the ring, whose pool the page comes from
 * @size: bytes, the skb_shared_info included, SKB_DATA_ALIGN()ed; at
 *	most PAGE_SIZE
 * @gfp: allocation flags, for a fresh page (taken without reclaim)
 *
 * Context: process context; takes the pool's mutex.
 * Return: @size bytes in a page of the pool, with a page reference for
 * the caller, for build_skb() with @size as its frag_size; their bytes are
 * undefined. NULL when no pool page is free: the caller allocates its
 * head elsewhere.
 */
void *vsync_pages_head(struct vsync_ring *r, unsigned int size, gfp_t gfp)
{
	struct vsync_pages *p = &r->pages;
	void *head = NULL;

	if (WARN_ON_ONCE(size > PAGE_SIZE))
		return NULL;
	mutex_lock(&p->lock);
	if (p->head_page && p->head_off + size > PAGE_SIZE) {
		put_page(p->head_page);
		p->head_page = NULL;
	}
	if (!p->head_page) {
		/* Its reference is the cutting's own. */
		p->head_page = vsync_pages_take(r, gfp);
		p->head_off = 0;
	}
	if (p->head_page) {
		get_page(p->head_page);
		head = page_address(p->head_page) + p->head_off;
		p->head_off += size;
	}
	mutex_unlock(&p->lock);
	return head;
}
