// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: pages for the data of large messages, used again once free.
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
 * Only bytes a sender wrote are ever inside a fragment handed out, so old
 * data in a page used again never reaches another socket or the wire.
 *
 * Locking: the pool's mutex; pages are taken in process context (send).
 * Teardown runs when the ring is freed, after every socket let go of it.
 */
#include <linux/mm.h>
#include <linux/skbuff.h>

#include "ring.h"

/* Slots looked at for a free page before a fresh one is taken. */
#define VSYNC_PAGES_SCAN	8

/**
 * vsync_pages_init() - set up an empty pool
 * @p: the pool
 */
void vsync_pages_init(struct vsync_pages *p)
{
	mutex_init(&p->lock);
	p->next = 0;
	memset(p->page, 0, sizeof(p->page));
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

	for (i = 0; i < VSYNC_PAGES; i++) {
		if (p->page[i])
			put_page(p->page[i]);
		p->page[i] = NULL;
	}
}

/*
 * A page for message data, with a reference for the caller: one of the
 * pool's that nobody else holds, a new one for the pool if a slot on the
 * way is empty, or else a page of its own.
 */
static struct page *vsync_pages_get(struct vsync_pages *p, gfp_t gfp)
{
	struct page *page = NULL;
	unsigned int i, slot;

	mutex_lock(&p->lock);
	for (i = 0; i < VSYNC_PAGES_SCAN; i++) {
		slot = p->next;
		p->next = (p->next + 1) % VSYNC_PAGES;
		page = p->page[slot];
		if (!page) {
			page = alloc_page(gfp);
			p->page[slot] = page;
			break;
		}
		if (page_ref_count(page) == 1)
			break;
		page = NULL;
	}
	if (page)
		get_page(page);
	mutex_unlock(&p->lock);
	return page ?: alloc_page(gfp);
}

/**
 * vsync_pages_fill() - add page fragments for message data to an skb
 * @p: the ring's pool
 * @skb: the skb; its len, data_len and truesize grow
 * @len: bytes to add, at most what MAX_SKB_FRAGS pages hold with the
 *	fragments @skb has
 * @gfp: allocation flags, for fresh pages
 *
 * The fragments are for the caller to write: their bytes are undefined.
 *
 * Return: 0, -ENOMEM, or -EMSGSIZE if @len does not fit in fragments.
 */
int vsync_pages_fill(struct vsync_pages *p, struct sk_buff *skb, size_t len,
		     gfp_t gfp)
{
	struct page *page;
	unsigned int n;
	int i;

	while (len) {
		i = skb_shinfo(skb)->nr_frags;
		if (i >= MAX_SKB_FRAGS)
			return -EMSGSIZE;
		page = vsync_pages_get(p, gfp);
		if (!page)
			return -ENOMEM;
		n = min_t(size_t, len, PAGE_SIZE);
		skb_fill_page_desc(skb, i, page, 0, n);
		skb->len += n;
		skb->data_len += n;
		skb->truesize += PAGE_SIZE;
		len -= n;
	}
	return 0;
}
