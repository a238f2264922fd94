// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: Totem single-ring ordering.
 *
 * Only the holder of the token broadcasts; each frame it sends takes the
 * next ring sequence number from the token, so the sequence numbers are
 * the total order. Every node keeps the frames of its ring in a store
 * indexed by sequence number, delivers them in order once all earlier ones
 * are held (agreed) or once the token shows every member holds them (safe),
 * and asks for the ones it lacks in the token's retransmission list.
 *
 * Locking: every function here runs with the ring lock held (see ring.h),
 * in softirq context or with BHs off. Nothing sleeps; frames go to the
 * ring's txq and leave after the unlock.
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/skbuff.h>
#include <linux/slab.h>

#include "proto.h"
#include "ring.h"

#define VSYNC_STORE_MASK	(VSYNC_STORE_SIZE - 1)
/* Room kept free in every frame so that recovery can wrap it. */
#define VSYNC_RECOV_OVERHEAD	(sizeof(struct vsync_mcast) + \
				 sizeof(struct vsync_recov))
/*
 * A fragment smaller than this is not started at the end of a frame; nor is
 * a message split that would fit an empty frame whole.
 */
#define VSYNC_MIN_FRAGMENT	256

/* ------------------------------------------------------------------ */
/* The store                                                           */
/* ------------------------------------------------------------------ */

/**
 * vsync_store_init() - allocate an empty store
 * @s: the store
 *
 * Return: 0 or -ENOMEM.
 */
int vsync_store_init(struct vsync_store *s)
{
	memset(s, 0, sizeof(*s));
	s->slot = kvcalloc(VSYNC_STORE_SIZE, sizeof(*s->slot), GFP_KERNEL);
	return s->slot ? 0 : -ENOMEM;
}

/**
 * vsync_store_reset() - release every frame and start from sequence 1
 * @s: the store
 */
void vsync_store_reset(struct vsync_store *s)
{
	u64 seq, end;

	if (!s->slot)
		return;
	end = min(s->high, s->base + VSYNC_STORE_SIZE);
	for (seq = s->base + 1; seq <= end; seq++) {
		kfree_skb(s->slot[seq & VSYNC_STORE_MASK]);
		s->slot[seq & VSYNC_STORE_MASK] = NULL;
	}
	s->base = 0;
	s->aru = 0;
	s->high = 0;
	s->delivered = 0;
}

/**
 * vsync_store_free() - release every frame and the store itself
 * @s: the store
 */
void vsync_store_free(struct vsync_store *s)
{
	vsync_store_reset(s);
	kvfree(s->slot);
	s->slot = NULL;
}

/**
 * vsync_store_get() - the frame with a sequence number, if held
 * @s: the store
 * @seq: sequence number
 *
 * Return: the frame, still owned by the store, or NULL.
 */
struct sk_buff *vsync_store_get(struct vsync_store *s, u64 seq)
{
	if (!vsync_store_window(s, seq))
		return NULL;
	return s->slot[seq & VSYNC_STORE_MASK];
}

/**
 * vsync_store_put() - hold a frame
 * @s: the store
 * @seq: its sequence number
 * @skb: the frame; taken on success only
 *
 * Return: 0, -ERANGE outside the store's window, -EEXIST if held or
 * below the aru.
 */
int vsync_store_put(struct vsync_store *s, u64 seq, struct sk_buff *skb)
{
	if (!vsync_store_window(s, seq))
		return -ERANGE;
	if (s->slot[seq & VSYNC_STORE_MASK] || seq <= s->aru)
		return -EEXIST;
	s->slot[seq & VSYNC_STORE_MASK] = skb;
	if (seq > s->high)
		s->high = seq;
	while (vsync_store_get(s, s->aru + 1))
		s->aru++;
	return 0;
}

/* Frames every member holds and this node delivered are no longer needed. */
static void vsync_store_release(struct vsync_store *s, u64 upto)
{
	upto = min3(upto, s->delivered, s->aru);
	while (s->base < upto) {
		s->base++;
		kfree_skb(s->slot[s->base & VSYNC_STORE_MASK]);
		s->slot[s->base & VSYNC_STORE_MASK] = NULL;
	}
}

/*
 * The token arrived with @seq: every frame of the ring so far was sent
 * before it left its last holder, so a frame held above @seq was never
 * sent by a member. Such forged frames would take the place of the real
 * ones when these come: drop those not delivered yet. Returns how many.
 */
static unsigned int vsync_store_cut(struct vsync_store *s, u64 seq)
{
	u64 from = max(seq, s->delivered), end, i;
	struct sk_buff **slot;
	unsigned int n = 0;

	if (s->high <= from)
		return 0;
	end = min(s->high, s->base + VSYNC_STORE_SIZE);
	for (i = from + 1; i <= end; i++) {
		slot = &s->slot[i & VSYNC_STORE_MASK];
		if (*slot) {
			kfree_skb(*slot);
			*slot = NULL;
			n++;
		}
	}
	s->high = from;
	s->aru = min(s->aru, from);
	return n;
}

/* ------------------------------------------------------------------ */
/* Frame parsing                                                       */
/* ------------------------------------------------------------------ */

/**
 * struct vsync_ent - one entry of a message frame, parsed and checked
 * @off: offset of its data in the frame
 * @len: bytes of data
 * @total: length of the whole message
 * @port: sending member id
 * @flags: VSYNC_EF_*
 * @name: group name, not NUL-terminated
 * @name_len: its length
 */
struct vsync_ent {
	unsigned int off;
	u32 len;
	u32 total;
	u32 port;
	u16 flags;
	const char *name;
	unsigned int name_len;
};

#define VSYNC_EF_ALL (VSYNC_EF_FIRST | VSYNC_EF_LAST | VSYNC_EF_SAFE | \
		      VSYNC_EF_CTRL)

/*
 * Parses the entry at *pos of a frame ending at @end whose entries and
 * names are linear (the data of a one-entry frame may be in pages).
 */
static bool vsync_ent_next(const u8 *data, unsigned int end,
			   unsigned int *pos, struct vsync_ent *ent)
{
	const struct vsync_entry *e;
	unsigned int p = *pos, nl, dl;

	if (end - p < sizeof(*e))
		return false;
	e = (const struct vsync_entry *)(data + p);
	p += sizeof(*e);
	ent->len = ntohl(e->len);
	ent->total = ntohl(e->total);
	ent->port = ntohl(e->port);
	ent->flags = ntohs(e->flags);
	ent->name_len = e->name_len;
	if (!ent->name_len || ent->name_len >= VSYNC_GROUP_MAX ||
	    ent->flags & ~VSYNC_EF_ALL || ent->total > VSYNC_MSG_MAX ||
	    ent->len > ent->total ||
	    ((ent->flags & VSYNC_EF_FIRST) && (ent->flags & VSYNC_EF_LAST) &&
	     ent->len != ent->total))
		return false;
	nl = ALIGN(ent->name_len, 4);
	dl = ALIGN(ent->len, 4);
	if (end - p < nl || end - p - nl < dl)
		return false;
	ent->name = (const char *)data + p;
	ent->off = p + nl;
	*pos = p + nl + dl;
	return true;
}

/*
 * A piece of an old frame (struct vsync_recov) at @pos up to @end: the old
 * frame's vsync_mcast, then at least one byte of its entries, within
 * @total. The entries are checked once the pieces are put together.
 */
static bool vsync_piece_valid(const u8 *data, unsigned int pos,
			      unsigned int end, unsigned int off,
			      unsigned int total)
{
	const struct vsync_mcast *m;

	if (end - pos <= sizeof(*m))
		return false;
	m = (const struct vsync_mcast *)(data + pos);
	if (!m->seq || !m->origin || !m->count ||
	    ntohs(m->flags) & ~VSYNC_MF_SAFE)
		return false;
	return off < total && end - pos - sizeof(*m) <= total - off;
}

/**
 * vsync_mcast_valid() - check a message body: vsync_mcast and entries
 * @data: the frame's linear data
 * @pos: where the vsync_mcast starts
 * @end: where the frame ends
 * @inner: the body is an old frame inside a recovery frame
 *
 * Return: true if every length, flag and count adds up.
 */
bool vsync_mcast_valid(const u8 *data, unsigned int pos, unsigned int end,
		       bool inner)
{
	const struct vsync_recov *rc;
	const struct vsync_mcast *m;
	struct vsync_ent ent;
	unsigned int i, count;
	u16 flags;

	if (end - pos < sizeof(*m))
		return false;
	m = (const struct vsync_mcast *)(data + pos);
	pos += sizeof(*m);
	flags = ntohs(m->flags);
	count = ntohs(m->count);
	if (!m->seq || !m->origin ||
	    flags & ~(VSYNC_MF_RECOVERY | VSYNC_MF_SAFE))
		return false;
	if (flags & VSYNC_MF_RECOVERY) {
		if (inner || count || end - pos < sizeof(*rc))
			return false;
		rc = (const struct vsync_recov *)(data + pos);
		pos += sizeof(*rc);
		if (rc->piece_total)
			return vsync_piece_valid(data, pos, end,
						 ntohs(rc->piece_off),
						 ntohs(rc->piece_total));
		return !rc->piece_off && vsync_mcast_valid(data, pos, end, true);
	}
	if (!count)
		return false;
	for (i = 0; i < count; i++)
		if (!vsync_ent_next(data, end, &pos, &ent))
			return false;
	return pos == end;
}

/**
 * vsync_hdr_fill() - fill in the vsync header of a frame of our ring
 * @r: the ring
 * @h: the header
 * @type: VSYNC_FT_*
 * @len: the frame's length, this header included
 */
void vsync_hdr_fill(struct vsync_ring *r, struct vsync_hdr *h, u8 type,
		    unsigned int len)
{
	h->version = VSYNC_PROTOCOL_VERSION;
	h->type = type;
	h->flags = 0;
	h->len = htonl(len);
	h->src = htonl(r->node_id);
	h->ring_rep = htonl(r->id.rep);
	h->ring_seq = cpu_to_be64(r->id.seq);
}

/* ------------------------------------------------------------------ */
/* Delivery                                                            */
/* ------------------------------------------------------------------ */

static struct vsync_reasm *vsync_reasm_find(struct vsync_ring *r, u32 origin,
					    bool create)
{
	struct vsync_reasm *free = NULL;
	int i;

	for (i = 0; i < VSYNC_MAX_NODES; i++) {
		if (r->reasm[i].head && r->reasm[i].origin == origin)
			return &r->reasm[i];
		if (!r->reasm[i].head && !free)
			free = &r->reasm[i];
	}
	return create ? free : NULL;
}

static void vsync_reasm_drop(struct vsync_reasm *ra)
{
	kfree_skb(ra->head);
	ra->head = NULL;
	ra->tail = NULL;
}

/**
 * vsync_srp_reasm_reset() - forget messages half reassembled
 * @r: the ring, locked
 *
 * At a configuration change the rest of such a message can no longer come:
 * its sender starts it again on the new ring.
 */
void vsync_srp_reasm_reset(struct vsync_ring *r)
{
	int i;

	for (i = 0; i < VSYNC_MAX_NODES; i++)
		vsync_reasm_drop(&r->reasm[i]);
}

static struct sk_buff *vsync_ent_clone(struct vsync_ring *r,
				       struct sk_buff *f,
				       const struct vsync_ent *ent)
{
	struct sk_buff *c = skb_clone(f, GFP_ATOMIC);

	/* The data may be in pages: see vsync_rcv_linear(). */
	if (!c || !pskb_pull(c, ent->off) || pskb_trim(c, ent->len)) {
		kfree_skb(c);
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		return NULL;
	}
	return c;
}

/*
 * Adds @ent's data to the message @ra puts together by reference to the
 * pages it lies in, when it lies wholly in @f's page fragments (frames
 * built from a sender's pages, as veth and a bridge pass them on) and the
 * head has fragments to spare: no clone of @f for it. Only until the
 * first piece goes to the head's frag_list, whose bytes come after the
 * fragments'. Each piece is charged by its length, as the sender charged
 * the frame for it and as a clone of the frame would be: a whole page
 * each would evict a reader with a small receive buffer for holding a
 * few messages. Not for zerocopy frames, whose pages go back to their
 * owner when the frame's data is released, references or not; nor for
 * frames of a page pool, whose pages must not be referenced by an skb
 * that frees them as ordinary pages (skb_try_coalesce() refuses to mix
 * the two likewise). False if not possible; nothing was added then.
 */
static bool vsync_reasm_ref(struct vsync_reasm *ra, struct sk_buff *f,
			    const struct vsync_ent *ent)
{
	struct skb_shared_info *fs = skb_shinfo(f);
	struct sk_buff *head = ra->head;
	unsigned int i, n, need = 0, off, end, fo, fl, a, b;
	skb_frag_t *frag;

	if (ra->tail || skb_has_frag_list(f) || skb_zcopy(f) ||
	    f->pp_recycle || ent->off < skb_headlen(f) || !ent->len)
		return false;
	off = ent->off - skb_headlen(f);
	end = off + ent->len;
	for (i = 0, fo = 0; i < fs->nr_frags && fo < end; i++, fo += fl) {
		fl = skb_frag_size(&fs->frags[i]);
		if (fo + fl > off)
			need++;
	}
	if (fo < end || skb_shinfo(head)->nr_frags + need > MAX_SKB_FRAGS)
		return false;
	n = skb_shinfo(head)->nr_frags;
	for (i = 0, fo = 0; i < fs->nr_frags && fo < end; i++, fo += fl) {
		frag = &fs->frags[i];
		fl = skb_frag_size(frag);
		if (fo + fl <= off)
			continue;
		a = max(off, fo) - fo;
		b = min(end, fo + fl) - fo;
		__skb_frag_ref(frag);
		skb_fill_page_desc(head, n++, skb_frag_page(frag),
				   skb_frag_off(frag) + a, b - a);
		head->truesize += b - a;
	}
	head->len += ent->len;
	head->data_len += ent->len;
	return true;
}

static void vsync_deliver_msg(struct vsync_ring *r, struct sk_buff *msg,
			      u32 origin, u32 port, const char *group,
			      bool ctrl)
{
	if (ctrl) {
		vsync_group_rcv_ctrl(r, origin, port, group, msg);
		return;
	}
	vsync_count(r, VSYNC_A_STATS_MSGS_DELIVERED);
	vsync_sock_deliver(r, msg, origin, port, group);
}

static void vsync_deliver_ent(struct vsync_ring *r, struct sk_buff *f,
			      u32 origin, const struct vsync_ent *ent)
{
	bool first = ent->flags & VSYNC_EF_FIRST;
	bool last = ent->flags & VSYNC_EF_LAST;
	struct vsync_reasm *ra;
	char group[VSYNC_GROUP_MAX];
	struct sk_buff *c;

	if (first && last) {
		c = vsync_ent_clone(r, f, ent);
		if (!c)
			return;
		memcpy(group, ent->name, ent->name_len);
		group[ent->name_len] = '\0';
		vsync_deliver_msg(r, c, origin, ent->port, group,
				  ent->flags & VSYNC_EF_CTRL);
		return;
	}

	ra = vsync_reasm_find(r, origin, first);
	if (!ra)
		return;	/* the start was on a ring we were not part of */
	if (first) {
		if (ra->head)
			vsync_reasm_drop(ra);
		ra->head = alloc_skb(0, GFP_ATOMIC);
		if (!ra->head) {
			vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
			return;
		}
		ra->origin = origin;
		ra->port = ent->port;
		ra->total = ent->total;
		ra->len = 0;
		ra->ctrl = ent->flags & VSYNC_EF_CTRL;
		memcpy(ra->group, ent->name, ent->name_len);
		ra->group[ent->name_len] = '\0';
	} else if (ra->port != ent->port || ra->total != ent->total ||
		   ra->len + ent->len > ra->total) {
		vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
		vsync_reasm_drop(ra);
		return;
	}

	if (!vsync_reasm_ref(ra, f, ent)) {
		c = vsync_ent_clone(r, f, ent);
		if (!c) {
			vsync_reasm_drop(ra);
			return;
		}
		if (!ra->tail)
			skb_shinfo(ra->head)->frag_list = c;
		else
			ra->tail->next = c;
		ra->tail = c;
		ra->head->len += c->len;
		ra->head->data_len += c->len;
		ra->head->truesize += c->truesize;
	}
	ra->len += ent->len;

	if (!last)
		return;
	if (ra->len != ra->total) {
		vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
		vsync_reasm_drop(ra);
		return;
	}
	c = ra->head;
	ra->head = NULL;
	ra->tail = NULL;
	vsync_deliver_msg(r, c, origin, ra->port, ra->group, ra->ctrl);
}

/**
 * vsync_srp_deliver_frame() - deliver the messages of one frame
 * @r: the ring, locked
 * @f: the frame, still owned by its store
 */
void vsync_srp_deliver_frame(struct vsync_ring *r, struct sk_buff *f)
{
	const struct vsync_mcast *m = vsync_mcast_of(f);
	unsigned int pos = sizeof(struct vsync_hdr) + sizeof(*m);
	unsigned int i, count = ntohs(m->count);
	u32 origin = ntohl(m->origin);
	struct vsync_ent ent;

	if (ntohs(m->flags) & VSYNC_MF_RECOVERY)
		return;
	r->pos.rep = ntohl(((const struct vsync_hdr *)f->data)->ring_rep);
	r->pos.seq = be64_to_cpu(((const struct vsync_hdr *)f->data)->ring_seq);
	r->pos_seq = be64_to_cpu(m->seq);
	for (i = 0; i < count; i++) {
		/* Checked on receipt; this cannot fail. */
		if (!vsync_ent_next(f->data, f->len, &pos, &ent))
			break;
		vsync_deliver_ent(r, f, origin, &ent);
	}
}

/**
 * vsync_srp_deliver() - deliver held frames in sequence order
 * @r: the ring, locked
 * @s: the store to deliver from
 * @upto: deliver no frame past this one
 * @safe_upto: frames with safe messages only up to here
 */
void vsync_srp_deliver(struct vsync_ring *r, struct vsync_store *s,
		       u64 upto, u64 safe_upto)
{
	struct sk_buff *f;

	while (s->delivered < upto) {
		f = vsync_store_get(s, s->delivered + 1);
		if (!f)
			break;
		if ((ntohs(vsync_mcast_of(f)->flags) & VSYNC_MF_SAFE) &&
		    s->delivered + 1 > safe_upto)
			break;
		vsync_srp_deliver_frame(r, f);
		s->delivered++;
	}
}

/* ------------------------------------------------------------------ */
/* Receiving message frames                                            */
/* ------------------------------------------------------------------ */

/**
 * vsync_srp_rcv_mcast() - a message frame arrived
 * @r: the ring, locked
 * @skb: the frame, vsync header at data, linear up to the data of its last
 *	entry (vsync_rcv_linear()); consumed
 */
void vsync_srp_rcv_mcast(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h = (const void *)skb->data;
	const struct vsync_mcast *m;
	struct vsync_store *s = &r->store;
	int why, ret;
	u64 seq;

	why = VSYNC_A_STATS_DROP_SHORT;
	if (skb->len < sizeof(*h) + sizeof(*m))
		goto drop;
	why = VSYNC_A_STATS_DROP_RING;
	if (ntohl(h->ring_rep) != r->id.rep ||
	    be64_to_cpu(h->ring_seq) != r->id.seq)
		goto drop;
	/* Commit freezes what the old ring holds until recovery starts. */
	if (r->state == VSYNC_STATE_COMMIT)
		goto drop_quiet;
	why = VSYNC_A_STATS_DROP_SENDER;
	m = vsync_mcast_of(skb);
	if (vsync_memb_index(r->memb, r->n_memb, ntohl(h->src)) < 0 ||
	    vsync_memb_index(r->memb, r->n_memb, ntohl(m->origin)) < 0)
		goto drop;
	why = VSYNC_A_STATS_DROP_MALFORMED;
	if (!vsync_mcast_valid(skb->data, sizeof(*h), skb->len, false))
		goto drop;
	seq = be64_to_cpu(m->seq);
	why = VSYNC_A_STATS_DROP_SEQ;
	if (seq > s->base + VSYNC_STORE_SIZE)
		goto drop;
	why = VSYNC_A_STATS_DROP_DUPLICATE;
	ret = vsync_store_put(s, seq, skb);
	if (ret)
		goto drop;
	if (m->flags & htons(VSYNC_MF_SAFE))
		r->last_safe_seq = max(r->last_safe_seq, seq);

	/* A new frame after our token visit: the token travelled on. */
	if (r->tok_sent && seq > r->tok.seq) {
		r->tok_sent = false;
		vsync_ring_timer_stop(r, VSYNC_T_RETRANS);
	}
	if (r->state == VSYNC_STATE_RECOVERY) {
		vsync_recov_take(r, r->tok.seq);
		return;
	}
	if (ntohs(m->flags) & VSYNC_MF_RECOVERY)
		return;
	if (r->state == VSYNC_STATE_OPERATIONAL ||
	    r->state == VSYNC_STATE_GATHER)
		vsync_srp_deliver(r, s, s->aru, r->safe);
	return;

drop:
	vsync_count(r, why);
drop_quiet:
	kfree_skb(skb);
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */
/* ------------------------------------------------------------------ */

/* Appends @len bytes of @msg from @off, zero-padded to 4 bytes. */
static void vsync_put_bits(struct sk_buff *f, const struct sk_buff *msg,
			   unsigned int off, unsigned int len)
{
	unsigned int padded = ALIGN(len, 4);
	u8 *p = skb_put(f, padded);

	skb_copy_bits(msg, off, p, len);
	memset(p + len, 0, padded - len);
}

/*
 * Whether a frame of @len bytes with @count entries takes (part of) @msg
 * from @off, and how much in @chunk. A message that fits an empty frame
 * is never split, nor is a fragment smaller than VSYNC_MIN_FRAGMENT
 * started at the end of a frame.
 */
static bool vsync_frame_takes(unsigned int max, unsigned int len, u16 count,
			      const struct sk_buff *msg, u32 off, u32 *chunk)
{
	unsigned int nl = vsync_msg_data_off(msg);
	u32 remaining = msg->len - nl - off;
	int room = (int)max - (int)len - (int)sizeof(struct vsync_entry) -
		   (int)nl;

	if (room < 0 || (room < 4 && remaining))
		return false;
	*chunk = min_t(u32, remaining, room & ~3);
	return *chunk == remaining || !count ||
	       (*chunk >= VSYNC_MIN_FRAGMENT &&
		remaining > ((max - VSYNC_FRAME_FIXED -
			      sizeof(struct vsync_entry) - nl) & ~3U));
}

/*
 * Fills the entry of @chunk bytes from @off of a message of @total bytes;
 * a safe one marks the frame's @mflags too. Return: the entry's flags.
 */
static u16 vsync_entry_fill(struct vsync_entry *e,
			    const struct vsync_skb_cb *cb, u32 total, u32 off,
			    u32 chunk, u16 *mflags)
{
	u16 eflags = 0;

	if (!off)
		eflags |= VSYNC_EF_FIRST;
	if (off + chunk == total)
		eflags |= VSYNC_EF_LAST;
	if (cb->safe) {
		eflags |= VSYNC_EF_SAFE;
		*mflags |= VSYNC_MF_SAFE;
	}
	if (cb->ctrl)
		eflags |= VSYNC_EF_CTRL;
	e->len = htonl(chunk);
	e->total = htonl(total);
	e->port = htonl(cb->port);
	e->flags = htons(eflags);
	e->name_len = cb->name_len;
	e->reserved = 0;
	return eflags;
}

/**
 * vsync_sendq_add() - queue a local message to send, and count its bytes
 * @r: the ring, locked
 * @msg: the message (entry header fields in its cb); the queue owns it
 * @first: ahead of everything queued (a SYNC after a merge), not behind
 *
 * The only way onto r->sendq: vsync_backlog(), which the token carries as
 * demand for flow control, is estimated from r->sendq_bytes, and a message
 * queued without its bytes would let a node report nothing queued while it
 * has messages, which a full window then never lets go.
 */
void vsync_sendq_add(struct vsync_ring *r, struct sk_buff *msg, bool first)
{
	if (first)
		__skb_queue_head(&r->sendq, msg);
	else
		__skb_queue_tail(&r->sendq, msg);
	r->sendq_bytes += msg->len;
}

/*
 * The first queued message is sent: off the queue and out of the count
 * (which cannot go below zero if everything came by vsync_sendq_add()).
 */
static void vsync_sendq_done(struct vsync_ring *r, struct sk_buff *msg)
{
	__skb_unlink(msg, &r->sendq);
	if (WARN_ON_ONCE(r->sendq_bytes < msg->len))
		r->sendq_bytes = 0;
	else
		r->sendq_bytes -= msg->len;
	r->send_off = 0;
	if (!VSYNC_SKB_CB(msg)->ctrl)
		vsync_count(r, VSYNC_A_STATS_MSGS_SENT);
}

/*
 * Whether the message after @msg would go into the same frame, @len bytes
 * long with @msg's entry as its only one: then the frame is built by
 * copying, which packs them.
 */
static bool vsync_next_joins(struct vsync_ring *r, struct sk_buff *msg,
			     unsigned int max, unsigned int len)
{
	struct sk_buff *next = skb_peek_next(msg, &r->sendq);
	u32 chunk;

	return next && vsync_frame_takes(max, len, 1, next, 0, &chunk);
}

/*
 * A frame that would hold the first queued message whole and nothing else
 * is that message's own buffer with the headers pushed into the headroom
 * the socket kept: no new buffer to allocate (and zero) and no copy. It
 * leaves the send buffer now, as a copied message does. NULL when the
 * frame is to be built by copying: the message is large or a control
 * message (no headroom), shared, or the next one goes into the same frame.
 */
static struct sk_buff *vsync_frame_of_msg(struct vsync_ring *r,
					  unsigned int max, u16 *mflags)
{
	struct sk_buff *msg = skb_peek(&r->sendq);
	unsigned int nl, len, pad;
	struct vsync_skb_cb *cb;
	u32 total;

	if (!msg || r->syncing || r->send_off || skb_is_nonlinear(msg) ||
	    skb_cloned(msg))
		return NULL;
	cb = VSYNC_SKB_CB(msg);
	nl = vsync_msg_data_off(msg);
	total = msg->len - nl;
	pad = ALIGN(total, 4) - total;
	len = VSYNC_FRAME_FIXED + sizeof(struct vsync_entry) + msg->len + pad;
	if (len > max ||
	    skb_headroom(msg) < LL_RESERVED_SPACE(r->dev) +
				VSYNC_FRAME_FIXED + sizeof(struct vsync_entry) ||
	    skb_tailroom(msg) < pad + r->dev->needed_tailroom ||
	    vsync_next_joins(r, msg, max, len))
		return NULL;

	vsync_sendq_done(r, msg);
	skb_orphan(msg);
	vsync_entry_fill(skb_push(msg, sizeof(struct vsync_entry)), cb, total,
			 0, total, mflags);
	skb_put_zero(msg, pad);
	skb_push(msg, VSYNC_FRAME_FIXED);
	skb_reset_network_header(msg);
	return msg;
}

/*
 * Adds @len bytes of @msg's data from @off (past its linear part) to the
 * page fragments of @f, by reference. False if they do not fit @f's
 * fragments; what was added is released with @f.
 */
static bool vsync_frags_ref(struct sk_buff *f, const struct sk_buff *msg,
			    unsigned int off, unsigned int len)
{
	const struct sk_buff *seg = msg;
	const struct skb_shared_info *si;
	const skb_frag_t *frag;
	unsigned int i, n;
	int nr;

	off -= skb_headlen(msg);
	for (;;) {
		si = skb_shinfo(seg);
		for (i = 0; i < si->nr_frags && len; i++) {
			frag = &si->frags[i];
			if (off >= skb_frag_size(frag)) {
				off -= skb_frag_size(frag);
				continue;
			}
			nr = skb_shinfo(f)->nr_frags;
			if (nr >= MAX_SKB_FRAGS)
				return false;
			n = min(len, skb_frag_size(frag) - off);
			skb_fill_page_desc(f, nr, skb_frag_page(frag),
					   skb_frag_off(frag) + off, n);
			__skb_frag_ref(&skb_shinfo(f)->frags[nr]);
			f->len += n;
			f->data_len += n;
			f->truesize += n;
			len -= n;
			off = 0;
		}
		if (!len)
			return true;
		/* The pieces on the message's frag_list: page fragments only. */
		seg = seg == msg ? si->frag_list : seg->next;
		if (!seg || skb_headlen(seg))
			return false;
	}
}

/*
 * A frame for (a piece of) a message whose data sits in pages, that is,
 * one larger than a linear buffer holds: a small new buffer with the
 * headers and the name, and the data by reference to the message's pages.
 * NULL when the frame is to be built by copying: the message is linear,
 * the piece is small, needs padding (the last piece of a message whose
 * length is not a multiple of 4) or leaves room that the next message
 * would take (as vsync_frame_of_msg(), so that the frames are the same
 * either way), or the device cannot send fragments (the stack would copy
 * the frame at every transmission).
 */
static struct sk_buff *vsync_frame_of_pages(struct vsync_ring *r,
					    unsigned int max, u16 *mflags)
{
	struct sk_buff *msg = skb_peek(&r->sendq), *f;
	struct vsync_skb_cb *cb;
	u16 eflags, mf = 0;
	unsigned int nl;
	u32 total, chunk;

	if (!msg || r->syncing || !skb_is_nonlinear(msg) ||
	    !(r->dev->features & NETIF_F_SG))
		return NULL;
	cb = VSYNC_SKB_CB(msg);
	nl = vsync_msg_data_off(msg);
	total = msg->len - nl;
	if (skb_headlen(msg) != nl ||
	    !vsync_frame_takes(max, VSYNC_FRAME_FIXED, 0, msg, r->send_off,
			       &chunk) ||
	    chunk < VSYNC_MIN_FRAGMENT || chunk & 3)
		return NULL;
	if (chunk == total - r->send_off &&
	    vsync_next_joins(r, msg, max, VSYNC_FRAME_FIXED +
			     sizeof(struct vsync_entry) + nl + chunk))
		return NULL;
	f = vsync_frame_alloc(r, VSYNC_FRAME_FIXED +
			      sizeof(struct vsync_entry) + nl, GFP_ATOMIC);
	if (!f)
		return NULL;
	skb_put(f, VSYNC_FRAME_FIXED);
	/* The frame's flags only once it is built: else it is copied. */
	eflags = vsync_entry_fill(skb_put(f, sizeof(struct vsync_entry)), cb,
				  total, r->send_off, chunk, &mf);
	skb_put_data(f, msg->data, nl);
	if (!vsync_frags_ref(f, msg, nl + r->send_off, chunk)) {
		kfree_skb(f);
		return NULL;
	}
	*mflags |= mf;
	if (eflags & VSYNC_EF_LAST) {
		vsync_sendq_done(r, msg);
		consume_skb(msg);
	} else {
		r->send_off += chunk;
	}
	return f;
}

/* Packs queued messages into one frame; NULL when there is nothing. */
static struct sk_buff *vsync_build_frame(struct vsync_ring *r, u64 seq)
{
	unsigned int max = r->frame_mtu - VSYNC_RECOV_OVERHEAD;
	struct vsync_mcast *m;
	struct sk_buff *f, *msg;
	u16 count = 0, mflags = 0;

	if (skb_queue_empty(&r->sendq))
		return NULL;
	f = vsync_frame_of_msg(r, max, &mflags);
	if (!f)
		f = vsync_frame_of_pages(r, max, &mflags);
	if (f) {
		count = 1;
		goto headers;
	}
	f = vsync_frame_alloc(r, max, GFP_ATOMIC);
	if (!f) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		return NULL;
	}
	skb_put(f, VSYNC_FRAME_FIXED);

	while ((msg = skb_peek(&r->sendq)) && count < U16_MAX) {
		struct vsync_skb_cb *cb = VSYNC_SKB_CB(msg);
		unsigned int nl = vsync_msg_data_off(msg);
		u16 eflags;
		u32 chunk;

		/* After a merge only our SYNC goes until all are in. */
		if (r->syncing && cb->ctrl != 2)
			break;
		if (!vsync_frame_takes(max, f->len, count, msg, r->send_off,
				       &chunk))
			break;
		eflags = vsync_entry_fill(skb_put(f, sizeof(struct vsync_entry)),
					  cb, msg->len - nl, r->send_off, chunk,
					  &mflags);
		/* The name and its padding, then the data, padded. */
		skb_copy_bits(msg, 0, skb_put(f, nl), nl);
		vsync_put_bits(f, msg, nl + r->send_off, chunk);
		count++;
		if (!(eflags & VSYNC_EF_LAST)) {
			r->send_off += chunk;
			break;
		}
		vsync_sendq_done(r, msg);
		consume_skb(msg);
	}
	if (!count) {
		kfree_skb(f);
		return NULL;
	}
headers:
	vsync_hdr_fill(r, (struct vsync_hdr *)f->data, VSYNC_FT_MCAST, f->len);
	m = (struct vsync_mcast *)(f->data + sizeof(struct vsync_hdr));
	m->seq = cpu_to_be64(seq);
	m->origin = htonl(r->node_id);
	m->flags = htons(mflags);
	m->count = htons(count);
	return f;
}

/* Sends a stored frame again; its origin stays, the sender is us. */
static void vsync_resend(struct vsync_ring *r, struct sk_buff *stored)
{
	struct sk_buff *f = vsync_frame_alloc(r, stored->len, GFP_ATOMIC);
	struct vsync_hdr *h;

	if (!f) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		return;
	}
	h = skb_put(f, stored->len);
	skb_copy_bits(stored, 0, h, stored->len);
	h->src = htonl(r->node_id);
	vsync_count(r, VSYNC_A_STATS_RETRANSMITS);
	vsync_frame_queue(r, f, NULL);
}

/* ------------------------------------------------------------------ */
/* The token                                                           */
/* ------------------------------------------------------------------ */

static int vsync_my_index(const struct vsync_ring *r)
{
	int i;

	for (i = 0; i < r->n_memb; i++)
		if (r->memb[i].id == r->node_id)
			return i;
	return -1;
}

/* The token may only come from the member before us on the ring. */
static bool vsync_from_predecessor(const struct vsync_ring *r, u32 id)
{
	int me = vsync_my_index(r);

	if (me < 0 || r->n_memb < 2)
		return false;
	return r->memb[(me + r->n_memb - 1) % r->n_memb].id == id;
}

static void vsync_token_send(struct vsync_ring *r)
{
	const struct vsync_tok *t = &r->tok;
	const struct vsync_node *next;
	struct vsync_token *wt;
	unsigned int len;
	struct sk_buff *f;
	__be64 *rtr;
	int i, me;

	me = vsync_my_index(r);
	if (me < 0 || r->n_memb < 2)
		return;
	next = &r->memb[(me + 1) % r->n_memb];
	len = sizeof(struct vsync_hdr) + sizeof(*wt) + t->n_rtr * sizeof(*rtr);
	f = vsync_frame_alloc(r, len, GFP_ATOMIC);
	if (!f) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		goto arm;	/* the retransmit timer tries again */
	}
	vsync_hdr_fill(r, skb_put(f, sizeof(struct vsync_hdr)), VSYNC_FT_TOKEN,
		       len);
	wt = skb_put(f, sizeof(*wt));
	wt->token_seq = cpu_to_be64(t->token_seq);
	wt->seq = cpu_to_be64(t->seq);
	wt->aru = cpu_to_be64(t->aru);
	wt->install_seq = cpu_to_be64(t->install_seq);
	wt->aru_id = htonl(t->aru_id);
	wt->fcc = htonl(t->fcc);
	wt->backlog = htonl(t->backlog);
	wt->recov_mask = htonl(t->recov_mask);
	wt->flags = htons(t->flags);
	wt->n_rtr = htons(t->n_rtr);
	wt->demand = htonl(t->demand);
	rtr = skb_put(f, t->n_rtr * sizeof(*rtr));
	for (i = 0; i < t->n_rtr; i++)
		rtr[i] = cpu_to_be64(t->rtr[i]);
	vsync_frame_queue(r, f, next->hwaddr);
arm:
	r->tok_sent = true;
	vsync_ring_timer_start(r, VSYNC_T_RETRANS, r->cfg.token_retransmit);
}

static bool vsync_rtr_has(const struct vsync_tok *t, u64 seq)
{
	int i;

	for (i = 0; i < t->n_rtr; i++)
		if (t->rtr[i] == seq)
			return true;
	return false;
}

/*
 * Idle rotations the representative lets pass before it holds the token
 * while a frame with a safe message may be undelivered somewhere: the one
 * that finds all received, and two more for the safe points. Otherwise
 * it holds at the first idle rotation.
 */
#define VSYNC_IDLE_VISITS	3

/*
 * Frames this node's queues would fill: what it reports in the token as its
 * demand (when the token comes) and backlog (when it goes), in the unit the
 * window counts. A message costs its entry header and its name besides its
 * bytes; names are short, 4 is a guess. An estimate from the bytes alone
 * (walking the queue would cost a visit its length): messages that go
 * whole into frames may leave part of each empty, so it may fall short by
 * up to half.
 */
static u32 vsync_backlog(const struct vsync_ring *r)
{
	unsigned int room = r->frame_mtu - VSYNC_RECOV_OVERHEAD -
			    VSYNC_FRAME_FIXED;
	u64 bytes = r->sendq_bytes - r->send_off +
		    (u64)skb_queue_len(&r->sendq) *
		    (sizeof(struct vsync_entry) + 4);

	return DIV_ROUND_UP_ULL(bytes, room) + vsync_recov_left(r);
}

/*
 * On a token visit from the predecessor: has the token gone round
 * VSYNC_STALL_VISITS times, and for VSYNC_STALL_MIN_MS and a token timeout,
 * with a frame missing somewhere and its aru unmoved? Then nobody holds
 * that frame (a forged token numbered past the frames sent):
 * retransmission cannot help, so we go to gather and return true (the
 * token stops here). The new ring's recovery delivers what anyone holds
 * and skips the rest, the same at every member.
 *
 * In recovery, a member whose bit in recov_mask stays while nothing is
 * sent (it is out of memory, or its pieces of large old frames would not
 * fit the store's window) stalls the ring as surely. Going back to gather
 * keeps what was recovered so far, so the next recovery has less to do.
 */
static bool vsync_check_stall(struct vsync_ring *r, const struct vsync_tok *t)
{
	unsigned long ms = VSYNC_STALL_MIN_MS + r->cfg.token_timeout;
	bool stuck = t->aru != t->seq ||
		     (r->state == VSYNC_STATE_RECOVERY && t->recov_mask);

	if (!stuck || t->aru != r->stall_aru || !r->stall_visits) {
		r->stall_aru = t->aru;
		r->stall_visits = stuck;
		r->stall_since = jiffies;
		return false;
	}
	if (++r->stall_visits < VSYNC_STALL_VISITS ||
	    time_before(jiffies, r->stall_since + msecs_to_jiffies(ms)))
		return false;
	vsync_count(r, VSYNC_A_STATS_RECV_STALLS);
	if (t->aru == t->seq && net_ratelimit())
		netdev_warn(r->dev, "vsync %u: ring %u:%llu: recovery went no further in %d token rotations (members %#x); forming a new ring\n",
			    r->node_id, r->id.rep, r->id.seq, r->stall_visits,
			    t->recov_mask);
	else if (net_ratelimit())
		netdev_warn(r->dev, "vsync %u: ring %u:%llu: nobody received frame %llu in %d token rotations; forming a new ring\n",
			    r->node_id, r->id.rep, r->id.seq, t->aru + 1,
			    r->stall_visits);
	r->stall_visits = 0;
	vsync_memb_gather(r, 0);
	return true;
}

/*
 * @rotated: the token came from the predecessor (or starts the ring). A
 * node that visits a token it holds again, to send at once, learns nothing
 * about the others: it must neither move its safe point nor take the visit
 * as a sign that the ring is alive.
 */
static void vsync_token_visit(struct vsync_ring *r, struct vsync_tok *t,
			      bool rotated)
{
	struct vsync_store *s = &r->store;
	bool recovery = r->state == VSYNC_STATE_RECOVERY;
	u64 aru_in = t->aru, safe, seq;
	u32 sent = 0, allowed, backlog, demand;
	bool idle, hold = false;
	struct sk_buff *f, *c;
	int i, n, me;

	me = vsync_my_index(r);
	r->token_seq = t->token_seq;
	r->commit_sent = false;
	r->tok_held = false;
	r->tok_sent = false;
	vsync_ring_timer_stop(r, VSYNC_T_RETRANS);
	vsync_ring_timer_stop(r, VSYNC_T_HOLD);
	if (rotated) {
		if (r->n_memb > 1)
			vsync_srp_token_watch(r);
		vsync_count(r, VSYNC_A_STATS_TOKEN_ROTATIONS);
		if (vsync_check_stall(r, t))
			return;
	}

	/* Answer retransmission requests we can. */
	for (i = 0, n = 0; i < t->n_rtr; i++) {
		f = vsync_store_get(s, t->rtr[i]);
		if (f)
			vsync_resend(r, f);
		else if (t->rtr[i] > s->base)
			t->rtr[n++] = t->rtr[i];
	}
	t->n_rtr = n;

	/* Send what flow control allows. */
	demand = vsync_backlog(r);
	allowed = vsync_fc_allowed(&r->fc, t->fcc, t->demand,
				   vsync_ring_window(r), r->cfg.max_messages,
				   demand);
	while (sent < allowed) {
		seq = t->seq + 1;
		if (!vsync_store_window(s, seq) ||
		    seq - t->aru >= VSYNC_STORE_SIZE / 2)
			break;
		if (recovery)
			f = vsync_recov_build(r, seq);
		else if (r->state == VSYNC_STATE_OPERATIONAL)
			f = vsync_build_frame(r, seq);
		else
			f = NULL;
		if (!f)
			break;
		t->seq = seq;
		sent++;
		if (vsync_mcast_of(f)->flags & htons(VSYNC_MF_SAFE))
			r->last_safe_seq = seq;
		/* The copy on the wire shares the data; its L2 header goes in
		 * the headroom, which the stored frame never reads.
		 */
		c = skb_clone(f, GFP_ATOMIC);
		if (c)
			vsync_frame_queue(r, c, NULL);
		if (vsync_store_put(s, seq, f))
			kfree_skb(f);
	}
	vsync_fc_update(&r->fc, &t->fcc, &t->demand, sent, demand);
	backlog = vsync_backlog(r);
	t->backlog = vsync_fc_replace(t->backlog, r->backlog_last, backlog);
	r->backlog_last = backlog;
	if (recovery && me >= 0) {
		vsync_recov_take(r, t->seq);
		if (!vsync_recov_pending(r))
			t->recov_mask &= ~BIT(me);
		else
			t->recov_mask |= BIT(me);
	}

	/* All received up to: lower it, or raise it if it is ours. */
	if (s->aru < t->aru || t->aru_id == r->node_id || !t->aru_id) {
		/* (a store can hold delivered forged frames above seq) */
		t->aru = min(s->aru, t->seq);
		t->aru_id = t->aru == t->seq ? 0 : r->node_id;
	}

	/* Ask for what we lack. */
	for (seq = s->aru + 1; seq <= t->seq && t->n_rtr < VSYNC_RTR_MAX;
	     seq++) {
		if (vsync_store_get(s, seq) || vsync_rtr_has(t, seq))
			continue;
		t->rtr[t->n_rtr++] = seq;
		vsync_count(r, VSYNC_A_STATS_RTR_REQUESTS);
	}

	/* Safe: the token's aru covered it on two visits in a row. */
	if (r->n_memb < 2) {
		safe = s->aru;	/* a ring of one holds all it has */
	} else if (rotated) {
		safe = min3(aru_in, r->prev_aru, s->aru);
		r->prev_aru = aru_in;
	} else {
		safe = r->safe;
	}
	if (safe > r->safe)
		r->safe = safe;
	if (r->state == VSYNC_STATE_OPERATIONAL)
		vsync_srp_deliver(r, s, s->aru, r->safe);
	/* In recovery, frames taken in count as delivered (recov.c). */
	vsync_store_release(s, r->safe);

	if (recovery)
		vsync_memb_recovery_check(r, t);
	/* Delivery may have sent us to gather: the token stops here. */
	if (r->state != VSYNC_STATE_OPERATIONAL &&
	    r->state != VSYNC_STATE_RECOVERY)
		return;

	t->token_seq++;
	r->tok = *t;
	/*
	 * A ring of one keeps its token. The representative of an idle ring
	 * holds it a little, so an idle ring does not spin.
	 */
	if (r->n_memb < 2) {
		r->tok_held = true;
		/* More to send than one visit allows: visit again soon. */
		if (!skb_queue_empty(&r->sendq))
			vsync_ring_timer_start(r, VSYNC_T_HOLD, 0);
		return;
	}
	/*
	 * Hold only a token that came round with nothing to do (a visit
	 * made to send at once passes the token on: holding again there
	 * would keep it from the others for as long as we send), and not
	 * when a member asked for it (WAKE). While a safe message may be
	 * undelivered somewhere, hold only from the VSYNC_IDLE_VISITS-th
	 * such rotation in a row: holding earlier would make safe delivery
	 * wait for the hold. Nor hold a token that began its visit in
	 * recovery: the members after us install the new ring when it
	 * reaches them, so holding it would delay their views by the hold.
	 * Nor hold while the token's backlog says a member has something
	 * queued: it would wait for the hold (it sends no WAKE then), and a
	 * sender here would visit the held token with one message at a
	 * time, each visit running the rotation in its own sendmsg().
	 */
	idle = !sent && skb_queue_empty(&r->sendq) && t->seq == t->aru &&
	       !t->n_rtr && !recovery && !t->backlog;
	/*
	 * A member that passes the token with nothing of its own queued
	 * wakes the representative when a message comes before the token
	 * does: it may be holding it. Others' backlogs in the token do not
	 * tell: they may be gone by the time the token gets there. Our own
	 * stays in the token until our next visit, so a member that passes
	 * the token with a backlog needs no WAKE.
	 */
	if (rotated)
		r->wake_ok = me > 0 && skb_queue_empty(&r->sendq);
	if (rotated && me == 0) {
		bool woken = r->wake_pending;

		r->wake_pending = false;
		if (idle && !woken && t->seq == r->idle_seq)
			r->idle_visits = min(r->idle_visits + 1,
					     VSYNC_IDLE_VISITS);
		else
			r->idle_visits = 0;
		r->idle_seq = t->seq;
		if (r->idle_visits == VSYNC_IDLE_VISITS)
			r->safe_done_seq = t->seq;
		/* Idle means operational: the visit began out of recovery. */
		hold = idle && !woken &&
		       (r->last_safe_seq <= r->safe_done_seq ||
			r->idle_visits == VSYNC_IDLE_VISITS);
	}
	if (hold) {
		r->tok_held = true;
		vsync_ring_timer_start(r, VSYNC_T_HOLD,
				       max(r->cfg.token_retransmit / 4, 1U));
		return;
	}
	vsync_token_send(r);
}

/**
 * vsync_srp_rcv_token() - the token arrived
 * @r: the ring, locked
 * @skb: the frame; consumed
 */
void vsync_srp_rcv_token(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h = (const void *)skb->data;
	const struct vsync_token *wt;
	const __be64 *rtr;
	struct vsync_tok *t = &r->tok;
	unsigned int n_rtr;
	int why, i;

	why = VSYNC_A_STATS_DROP_SHORT;
	if (skb->len < sizeof(*h) + sizeof(*wt))
		goto drop;
	wt = (const void *)(skb->data + sizeof(*h));
	n_rtr = ntohs(wt->n_rtr);
	why = VSYNC_A_STATS_DROP_MALFORMED;
	if (n_rtr > VSYNC_RTR_MAX ||
	    skb->len != sizeof(*h) + sizeof(*wt) + n_rtr * sizeof(*rtr) ||
	    be64_to_cpu(wt->aru) > be64_to_cpu(wt->seq))
		goto drop;
	if (r->state != VSYNC_STATE_OPERATIONAL &&
	    r->state != VSYNC_STATE_RECOVERY)
		goto drop_quiet;	/* a token of a ring being replaced */
	why = VSYNC_A_STATS_DROP_RING;
	if (ntohl(h->ring_rep) != r->id.rep ||
	    be64_to_cpu(h->ring_seq) != r->id.seq)
		goto drop;
	why = VSYNC_A_STATS_DROP_SENDER;
	if (!vsync_from_predecessor(r, ntohl(h->src)))
		goto drop;
	why = VSYNC_A_STATS_DROP_DUPLICATE;
	if (be64_to_cpu(wt->token_seq) <= r->token_seq)
		goto drop;
	/*
	 * A ring's seq never goes back: we passed the token on with
	 * r->tok.seq (zero on a new ring), and a token below it would have
	 * us send frames under numbers that are taken.
	 */
	why = VSYNC_A_STATS_DROP_SEQ;
	if (be64_to_cpu(wt->seq) > r->store.base + VSYNC_STORE_SIZE ||
	    be64_to_cpu(wt->seq) < r->store.base ||
	    be64_to_cpu(wt->seq) < r->tok.seq)
		goto drop;

	t->token_seq = be64_to_cpu(wt->token_seq);
	t->seq = be64_to_cpu(wt->seq);
	t->aru = be64_to_cpu(wt->aru);
	t->install_seq = be64_to_cpu(wt->install_seq);
	t->aru_id = ntohl(wt->aru_id);
	t->fcc = ntohl(wt->fcc);
	t->backlog = ntohl(wt->backlog);
	t->recov_mask = ntohl(wt->recov_mask);
	t->flags = ntohs(wt->flags);
	t->n_rtr = n_rtr;
	t->demand = ntohl(wt->demand);
	rtr = (const void *)(wt + 1);
	for (i = 0; i < n_rtr; i++)
		t->rtr[i] = be64_to_cpu(rtr[i]);
	consume_skb(skb);
	vsync_count_add(r, VSYNC_A_STATS_DROP_SEQ,
			vsync_store_cut(&r->store, t->seq));
	r->last_safe_seq = min(r->last_safe_seq,
			       max(t->seq, r->store.delivered));
	vsync_token_visit(r, t, true);
	return;

drop:
	vsync_count(r, why);
drop_quiet:
	kfree_skb(skb);
}

/**
 * vsync_srp_start_token() - the representative starts a new ring's token
 * @r: the ring, locked, just entered recovery as its representative
 */
void vsync_srp_start_token(struct vsync_ring *r)
{
	struct vsync_tok *t = &r->tok;

	memset(t, 0, sizeof(*t));
	t->token_seq = 1;
	vsync_token_visit(r, t, true);
}

/* Asks the representative, which may hold the token, to pass it on. */
static void vsync_send_wake(struct vsync_ring *r)
{
	unsigned int len = sizeof(struct vsync_hdr);
	struct sk_buff *f = vsync_frame_alloc(r, len, GFP_ATOMIC);

	if (!f) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		return;	/* the hold ends by itself */
	}
	vsync_hdr_fill(r, skb_put(f, len), VSYNC_FT_WAKE, len);
	vsync_frame_queue(r, f, r->memb[0].hwaddr);
}

/**
 * vsync_srp_kick() - a local message waits: use a held token at once, or
 *	wake the representative of an idle ring, which may hold it
 * @r: the ring, locked
 */
void vsync_srp_kick(struct vsync_ring *r)
{
	if (r->state != VSYNC_STATE_OPERATIONAL)
		return;
	if (r->tok_held) {
		vsync_token_visit(r, &r->tok, false);
	} else if (r->wake_ok) {
		r->wake_ok = false;	/* once per visit of the token */
		vsync_send_wake(r);
	}
}

/**
 * vsync_srp_kick_later() - a local message waits and more follow it
 *	(MSG_MORE): ask for the token only once a visit's worth is queued
 * @r: the ring, locked
 *
 * Until then the message goes with the next visit of a token that comes
 * anyway: one rotating now, or one the representative holds, at the end of
 * its hold. A ring of one holds its token for good, so it visits soon.
 */
void vsync_srp_kick_later(struct vsync_ring *r)
{
	if (vsync_backlog(r) >= r->cfg.max_messages) {
		vsync_srp_kick(r);
		return;
	}
	if (r->state == VSYNC_STATE_OPERATIONAL && r->tok_held &&
	    r->n_memb < 2 && !hrtimer_is_queued(&r->timer[VSYNC_T_HOLD]))
		vsync_ring_timer_start(r, VSYNC_T_HOLD, 0);
}

/**
 * vsync_srp_rcv_wake() - a member has new messages: pass a held token on
 * @r: the ring, locked
 * @skb: the frame; consumed
 */
void vsync_srp_rcv_wake(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h = (const void *)skb->data;
	int why;

	/* Header only: vsync_rcv() checked. */
	if (r->state != VSYNC_STATE_OPERATIONAL)
		goto drop_quiet;
	why = VSYNC_A_STATS_DROP_RING;
	if (ntohl(h->ring_rep) != r->id.rep ||
	    be64_to_cpu(h->ring_seq) != r->id.seq)
		goto drop;
	why = VSYNC_A_STATS_DROP_SENDER;
	if (vsync_my_index(r) != 0 ||
	    vsync_memb_index(r->memb, r->n_memb, ntohl(h->src)) < 0)
		goto drop;
	consume_skb(skb);
	r->idle_visits = 0;
	if (!r->tok_held || r->n_memb < 2) {
		/* The token is on its way: do not hold it when it comes. */
		r->wake_pending = true;
		return;
	}
	vsync_ring_timer_stop(r, VSYNC_T_HOLD);
	r->tok_held = false;
	vsync_token_send(r);
	return;

drop:
	vsync_count(r, why);
drop_quiet:
	kfree_skb(skb);
}

/**
 * vsync_srp_hold_expired() - the representative's idle hold is over
 * @r: the ring, locked
 */
void vsync_srp_hold_expired(struct vsync_ring *r)
{
	if (!r->tok_held || r->state != VSYNC_STATE_OPERATIONAL)
		return;
	/* A ring of one, or messages sent with MSG_MORE meanwhile: visit. */
	if (r->n_memb < 2 || !skb_queue_empty(&r->sendq)) {
		vsync_token_visit(r, &r->tok, false);
		return;
	}
	r->tok_held = false;
	vsync_token_send(r);
}

/**
 * vsync_srp_token_retransmit() - nothing shows that the next node got the
 *	token: send it again
 * @r: the ring, locked
 */
void vsync_srp_token_retransmit(struct vsync_ring *r)
{
	if (vsync_memb_commit_retransmit(r))
		return;
	if (!r->tok_sent || (r->state != VSYNC_STATE_OPERATIONAL &&
			     r->state != VSYNC_STATE_RECOVERY))
		return;
	vsync_count(r, VSYNC_A_STATS_TOKEN_RETRANSMITS);
	vsync_token_send(r);
}

/**
 * vsync_srp_token_watch() - the token (or a commit token) came: it is lost
 *	if it does not come again within a token timeout in which this node
 *	was run (vsync_ring_deadline_start())
 * @r: the ring, locked
 */
void vsync_srp_token_watch(struct vsync_ring *r)
{
	vsync_ring_deadline_start(r, VSYNC_T_TOKEN, r->cfg.token_timeout);
}

/**
 * vsync_srp_token_timer() - VSYNC_T_TOKEN fired: a tick, or the token lost
 * @r: the ring, locked
 *
 * Membership starts once the deadline has passed.
 */
void vsync_srp_token_timer(struct vsync_ring *r)
{
	if (r->state == VSYNC_STATE_GATHER ||
	    !vsync_ring_deadline_due(r, VSYNC_T_TOKEN, r->cfg.token_timeout))
		return;
	vsync_count(r, VSYNC_A_STATS_TOKEN_LOSSES);
	vsync_dbg(r, "token lost in state %d, ring %u:%llu, token %llu seq %llu aru %llu held %d sent %d retrans %d hold %d\n",
		  r->state, r->id.rep, r->id.seq, r->token_seq, r->tok.seq,
		  r->tok.aru, r->tok_held, r->tok_sent,
		  hrtimer_is_queued(&r->timer[VSYNC_T_RETRANS]),
		  hrtimer_is_queued(&r->timer[VSYNC_T_HOLD]));
	vsync_memb_gather(r, 0);
}

/**
 * vsync_srp_reset() - forget all ordering state; the ring is going
 * @r: the ring, locked
 */
void vsync_srp_reset(struct vsync_ring *r)
{
	vsync_store_reset(&r->store);
	vsync_store_reset(&r->old_store);
	vsync_srp_reasm_reset(r);
	vsync_group_reset(r);
	vsync_recov_reset(r);
	__skb_queue_purge(&r->sendq);
	r->sendq_bytes = 0;
	r->send_off = 0;
	r->tok_held = false;
	r->tok_sent = false;
}
