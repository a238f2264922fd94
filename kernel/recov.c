// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: recovery, the old ring's frames sent again on the new ring.
 *
 * When a ring forms, every member that comes with others from the same old
 * ring sends again, wrapped in frames of the new ring, each frame of the
 * old ring it holds above the lowest aru of those members (the commit
 * token's). Every member takes the wrapped frames back into its old store
 * in the new ring's order. At install the members of a transitional
 * configuration hold the same old frames (memb.c).
 *
 * An old frame may be larger than the new ring's frames: a member with a
 * smaller MTU joined, or an MTU went down. Such a frame goes in pieces,
 * each with the old frame's vsync_mcast and a range of its entries (struct
 * vsync_recov). Because pieces are taken in the total order, every member
 * sees the same pieces in the same order and puts a frame together from
 * the first pieces that continue it, whoever sent them; another sender's
 * copy of a piece already taken is skipped.
 *
 * Running out of memory loses nothing: sending resumes at the piece that
 * could not be built, taking in stops at the frame that could not be taken
 * and resumes with the next frame or token. Until both are done, this
 * node's bit in the token's recov_mask keeps the ring from installing.
 *
 * Locking: every function here runs with the ring lock held (see ring.h),
 * in softirq context or with BHs off. Nothing sleeps.
 */
#include <linux/skbuff.h>

#include "proto.h"
#include "ring.h"

/* Headers of a recovery frame before the old frame's vsync_mcast. */
#define VSYNC_RECOV_FIXED	(VSYNC_FRAME_FIXED + sizeof(struct vsync_recov))

/**
 * struct vsync_recov_cb - an old frame being put together, in skb->cb
 * @seq: its sequence number in the old ring
 * @have: bytes of its entries taken so far
 * @total: bytes of its entries
 */
struct vsync_recov_cb {
	u64 seq;
	u32 have;
	u32 total;
};

#define VSYNC_RECOV_CB(skb) ((struct vsync_recov_cb *)(skb)->cb)

/**
 * vsync_recov_start() - recovery begins: frames of the old ring to send
 * @r: the ring, locked, its old ring's frames in @r->old_store
 * @from: the first frame to send again
 * @to: the last; below @from for none
 */
void vsync_recov_start(struct vsync_ring *r, u64 from, u64 to)
{
	vsync_recov_reset(r);
	if (from <= to) {
		r->recov_next = from;
		r->recov_end = to + 1;
	}
}

/**
 * vsync_recov_reset() - forget what recovery sends and takes
 * @r: the ring, locked
 */
void vsync_recov_reset(struct vsync_ring *r)
{
	r->recov_next = 0;
	r->recov_end = 0;
	r->recov_off = 0;
	r->recov_done = 0;
	r->recov_lost = false;
	__skb_queue_purge(&r->recov_partial);
}

/**
 * vsync_recov_left() - frames this node still has to send again
 * @r: the ring, locked
 *
 * Return: an estimate for the token's demand; a frame that goes in pieces
 * counts once. (@recov_next never passes @recov_end, and they are at most
 * the store's window apart.)
 */
u32 vsync_recov_left(const struct vsync_ring *r)
{
	return r->recov_end - r->recov_next;
}

/**
 * vsync_recov_pending() - does this node still have recovery work?
 * @r: the ring, locked, in recovery
 *
 * Return: true while frames are left to send again, frames of the new
 * ring that it holds are not yet taken in (out of memory), or an old frame
 * is only in part here. Honest members send every piece of a frame, so a
 * part stays only if pieces were forged; and a frame given up would leave
 * a hole that the others do not have. Then the ring cannot install, the
 * stall rule forms it again, and the next recovery sends the frame again.
 */
bool vsync_recov_pending(const struct vsync_ring *r)
{
	return vsync_recov_left(r) || r->recov_done < r->store.aru ||
	       !skb_queue_empty(&r->recov_partial) || r->recov_lost;
}

/**
 * vsync_recov_build() - the next recovery frame to send
 * @r: the ring, locked, in recovery
 * @seq: its sequence number in the new ring
 *
 * Wraps the next old frame, whole if it fits the new ring's frames, else
 * its next piece.
 *
 * Return: the frame, or NULL when nothing is left or memory ran out (then
 * the same frame or piece is built at the next visit).
 */
struct sk_buff *vsync_recov_build(struct vsync_ring *r, u64 seq)
{
	const unsigned int room = r->frame_mtu - VSYNC_RECOV_FIXED -
				  sizeof(struct vsync_mcast);
	struct sk_buff *old = NULL, *f;
	struct vsync_recov *rc;
	struct vsync_mcast *m;
	unsigned int ents, n;
	bool whole;

	for (; r->recov_next < r->recov_end; r->recov_next++) {
		old = vsync_store_get(&r->old_store, r->recov_next);
		/*
		 * The old ring's own recovery frames are below every member's
		 * aru unless a commit token lied; receivers refuse them.
		 */
		if (old && !(vsync_mcast_of(old)->flags &
			     htons(VSYNC_MF_RECOVERY)))
			break;
		old = NULL;
		r->recov_off = 0;
	}
	if (!old)
		return NULL;
	/* At most 65535 bytes (vsync_media_mtu()): piece_total takes it. */
	ents = old->len - VSYNC_FRAME_FIXED;
	whole = !r->recov_off && ents <= room;
	n = whole ? ents : min(ents - r->recov_off, room);

	f = vsync_frame_alloc(r, VSYNC_RECOV_FIXED + sizeof(*m) + n,
			      GFP_ATOMIC);
	if (!f) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		return NULL;
	}
	vsync_hdr_fill(r, skb_put(f, sizeof(struct vsync_hdr)), VSYNC_FT_MCAST,
		       VSYNC_RECOV_FIXED + sizeof(*m) + n);
	m = skb_put(f, sizeof(*m));
	m->seq = cpu_to_be64(seq);
	m->origin = htonl(r->node_id);
	m->flags = htons(VSYNC_MF_RECOVERY);
	m->count = 0;
	rc = skb_put(f, sizeof(*rc));
	rc->old_rep = htonl(r->old_id.rep);
	rc->piece_off = htons(whole ? 0 : r->recov_off);
	rc->piece_total = htons(whole ? 0 : ents);
	rc->old_seq = cpu_to_be64(r->old_id.seq);
	skb_copy_bits(old, sizeof(struct vsync_hdr), skb_put(f, sizeof(*m)),
		      sizeof(*m));
	skb_copy_bits(old, VSYNC_FRAME_FIXED + (whole ? 0 : r->recov_off),
		      skb_put(f, n), n);

	if (!whole) {
		vsync_count(r, VSYNC_A_STATS_RECOVERY_PIECES);
		r->recov_off += n;
		if (r->recov_off < ents)
			return f;
	}
	r->recov_off = 0;
	r->recov_next++;
	return f;
}

/* An old frame's vsync header and body, with room for @ents more bytes. */
static struct sk_buff *vsync_recov_frame(const struct vsync_recov *rc,
					 const struct vsync_mcast *m,
					 unsigned int ents)
{
	struct sk_buff *f;
	struct vsync_hdr *h;

	f = alloc_skb(VSYNC_FRAME_FIXED + ents, GFP_ATOMIC);
	if (!f)
		return NULL;
	h = skb_put(f, sizeof(*h));
	h->version = VSYNC_PROTOCOL_VERSION;
	h->type = VSYNC_FT_MCAST;
	h->flags = 0;
	h->len = htonl(VSYNC_FRAME_FIXED + ents);
	h->src = m->origin;
	h->ring_rep = rc->old_rep;
	h->ring_seq = rc->old_seq;
	skb_put_data(f, m, sizeof(*m));
	return f;
}

/* The old frame @seq being put together, if it is. */
static struct sk_buff *vsync_recov_partial(struct vsync_ring *r, u64 seq)
{
	struct sk_buff *p;

	skb_queue_walk(&r->recov_partial, p)
		if (VSYNC_RECOV_CB(p)->seq == seq)
			return p;
	return NULL;
}

static void vsync_recov_partial_drop(struct vsync_ring *r, struct sk_buff *p)
{
	__skb_unlink(p, &r->recov_partial);
	kfree_skb(p);
}

/* A piece of old frame @seq: @n bytes of its entries at @data. */
static int vsync_recov_piece(struct vsync_ring *r, const struct vsync_recov *rc,
			     const struct vsync_mcast *m, u64 seq,
			     const u8 *data, unsigned int n)
{
	unsigned int off = ntohs(rc->piece_off), total = ntohs(rc->piece_total);
	struct sk_buff *p = vsync_recov_partial(r, seq);
	struct vsync_recov_cb *cb;

	BUILD_BUG_ON(sizeof(*cb) > sizeof_field(struct sk_buff, cb));
	/*
	 * Pieces that disagree with the frame begun: a first piece starts it
	 * again (what began it may have been forged), any other is dropped.
	 */
	if (p && (VSYNC_RECOV_CB(p)->total != total ||
		  memcmp(vsync_mcast_of(p), m, sizeof(*m)))) {
		vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
		if (off)
			return 0;
		vsync_recov_partial_drop(r, p);
		r->recov_lost = true;
		p = NULL;
	}
	if (!p) {
		/* A later piece whose start went by: nothing to continue. */
		if (off)
			return 0;
		p = vsync_recov_frame(rc, m, total);
		if (!p)
			return -ENOMEM;
		cb = VSYNC_RECOV_CB(p);
		cb->seq = seq;
		cb->have = 0;
		cb->total = total;
		/*
		 * Each sender has one frame in pieces at a time, and a frame
		 * whole is dropped from here: more than one per possible
		 * sender were begun by forged pieces.
		 */
		if (skb_queue_len(&r->recov_partial) >= VSYNC_MAX_NODES) {
			kfree_skb(__skb_dequeue(&r->recov_partial));
			vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
			r->recov_lost = true;
		}
		__skb_queue_tail(&r->recov_partial, p);
	}
	cb = VSYNC_RECOV_CB(p);
	if (off != cb->have)
		return 0;	/* another sender's copy of a piece taken */
	skb_put_data(p, data, n);
	cb->have += n;
	if (cb->have < cb->total)
		return 0;

	__skb_unlink(p, &r->recov_partial);
	if (!vsync_mcast_valid(p->data, sizeof(struct vsync_hdr), p->len,
			       true)) {
		/* Its pieces were valid one by one: forged or corrupt. */
		vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
		kfree_skb(p);
		r->recov_lost = true;
		return 0;
	}
	if (vsync_store_put(&r->old_store, seq, p))
		kfree_skb(p);
	return 0;
}

/*
 * Takes the old frame (or piece) that recovery frame @skb carries into
 * the old store. Returns -ENOMEM if it must be taken again later.
 */
static int vsync_recov_unwrap(struct vsync_ring *r, const struct sk_buff *skb)
{
	const struct vsync_recov *rc;
	const struct vsync_mcast *m;
	unsigned int off, ents;
	struct sk_buff *f;
	u64 seq;

	rc = (const void *)(skb->data + VSYNC_FRAME_FIXED);
	if (ntohl(rc->old_rep) != r->old_id.rep ||
	    be64_to_cpu(rc->old_seq) != r->old_id.seq)
		return 0;	/* another old ring's: not ours to hold */
	off = VSYNC_RECOV_FIXED;
	m = (const void *)(skb->data + off);
	off += sizeof(*m);
	ents = skb->len - off;
	seq = be64_to_cpu(m->seq);
	if (!vsync_store_window(&r->old_store, seq) ||
	    vsync_store_get(&r->old_store, seq) || seq <= r->old_store.aru) {
		f = vsync_recov_partial(r, seq);
		if (f)
			vsync_recov_partial_drop(r, f);	/* held meanwhile */
		return 0;
	}
	if (rc->piece_total)
		return vsync_recov_piece(r, rc, m, seq, skb->data + off, ents);

	f = vsync_recov_frame(rc, m, ents);
	if (!f)
		return -ENOMEM;
	skb_put_data(f, skb->data + off, ents);
	if (vsync_store_put(&r->old_store, seq, f))
		kfree_skb(f);
	return 0;
}

/**
 * vsync_recov_take() - take in the recovery frames held, in order
 * @r: the ring, locked, in recovery
 * @upto: the last frame a token showed as sent (a frame held above it
 *	may be forged, see vsync_store_cut())
 *
 * Frames of the new ring are taken up to its aru, so that every member
 * takes the same frames in the same order. Out of memory, it stops and
 * goes on at the next call. Frames taken count as delivered in the new
 * store: once every member holds them they are released, so recovery is
 * not bounded by the store's window (every member sends again every old
 * frame it holds: with a hole below them, three members' 8191 frames, or
 * a few hundred large frames in pieces, are more than it holds).
 */
void vsync_recov_take(struct vsync_ring *r, u64 upto)
{
	struct sk_buff *f;

	upto = min(upto, r->store.aru);
	while (r->recov_done < upto) {
		f = vsync_store_get(&r->store, r->recov_done + 1);
		if (f && vsync_mcast_of(f)->flags & htons(VSYNC_MF_RECOVERY)) {
			if (vsync_recov_unwrap(r, f)) {
				vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
				return;
			}
		}
		r->recov_done++;
	}
	r->store.delivered = r->recov_done;
}
