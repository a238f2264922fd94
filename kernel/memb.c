// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: Totem membership with extended virtual synchrony.
 *
 *   OPERATIONAL --token loss, foreign join, merge, leave--> GATHER
 *   GATHER --consensus on proc and fail sets--> COMMIT
 *   COMMIT --commit token round 2--> RECOVERY
 *   RECOVERY --old messages exchanged, all hold them--> OPERATIONAL
 *
 * Gather: nodes broadcast join messages with their proc set (who should be
 * in the new ring) and fail set (who is considered failed) and merge what
 * they hear, until every live node of the proc set sent the same sets.
 * Commit: the representative (lowest id) sends a commit token around the
 * new ring twice; the first round collects what each member brings from its
 * old ring, the second tells everyone. Recovery: on the new ring, members
 * send again the frames of their old ring that some other member of that
 * old ring may lack. Install: deliver the rest of the old ring in the old
 * configuration, the transitional configuration, the messages that depend
 * on it, then the regular configuration of the new ring.
 *
 * Locking: every function runs with the ring lock held (see ring.h).
 */
#include <linux/skbuff.h>
#include <linux/sort.h>

#include "proto.h"
#include "ring.h"

/* ------------------------------------------------------------------ */
/* Sorted sets of node ids                                             */
/* ------------------------------------------------------------------ */

static int vsync_set_find(const u32 *set, int n, u32 id)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == id)
			return i;
	return -1;
}

/* Return: true if @id was added. */
static bool vsync_set_add(u32 *set, int *n, u32 id)
{
	int i;

	if (vsync_set_find(set, *n, id) >= 0 || *n >= VSYNC_MAX_NODES)
		return false;
	for (i = *n; i > 0 && set[i - 1] > id; i--)
		set[i] = set[i - 1];
	set[i] = id;
	(*n)++;
	return true;
}

static bool vsync_set_eq(const u32 *a, int na, const u32 *b, int nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

/* proc minus fail, sorted */
static int vsync_live_set(struct vsync_ring *r, u32 *out)
{
	int i, n = 0;

	for (i = 0; i < r->n_proc; i++)
		if (vsync_set_find(r->fail, r->n_fail, r->proc[i]) < 0)
			out[n++] = r->proc[i];
	return n;
}

/**
 * vsync_memb_index() - position of a node in an array of nodes
 * @set: the nodes
 * @n: how many
 * @id: the node id
 *
 * Return: the index, or -1.
 */
int vsync_memb_index(const struct vsync_node *set, int n, u32 id)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i].id == id)
			return i;
	return -1;
}

/* A ring sequence number from the wire: see VSYNC_RING_SEQ_LIMIT. */
static bool vsync_ring_seq_ok(const struct vsync_ring *r, u64 seq)
{
	return seq < VSYNC_RING_SEQ_LIMIT &&
	       (seq <= r->max_ring_seq ||
		seq - r->max_ring_seq <= VSYNC_RING_SEQ_JUMP);
}

static void vsync_learn_node(struct vsync_ring *r, u32 id, const u8 *hwaddr)
{
	int i = vsync_memb_index(r->nodes, r->n_nodes, id);

	if (i < 0) {
		if (r->n_nodes == ARRAY_SIZE(r->nodes)) {
			/* Forget the oldest; its joins teach it again. */
			memmove(&r->nodes[0], &r->nodes[1],
				sizeof(r->nodes) - sizeof(r->nodes[0]));
			r->n_nodes--;
		}
		i = r->n_nodes++;
	}
	r->nodes[i].id = id;
	memcpy(r->nodes[i].hwaddr, hwaddr, r->media->hwaddr_len);
}

static void vsync_node_fill(struct vsync_ring *r, struct vsync_node *n, u32 id)
{
	int i;

	n->id = id;
	if (id == r->node_id) {
		memcpy(n->hwaddr, r->hwaddr, sizeof(n->hwaddr));
		return;
	}
	i = vsync_memb_index(r->nodes, r->n_nodes, id);
	/* Unknown cannot happen after consensus; broadcast is a safe guess. */
	memcpy(n->hwaddr, i >= 0 ? r->nodes[i].hwaddr : r->mcast,
	       sizeof(n->hwaddr));
}

/* Our MTU as the commit token carries it. */
static u16 vsync_commit_own_mtu(const struct vsync_ring *r)
{
	return min_t(unsigned int, r->mtu, U16_MAX);
}

static void vsync_memb_fill_hdr(struct vsync_ring *r, struct vsync_hdr *h,
				u8 type, unsigned int len,
				const struct vsync_ring_id *id)
{
	h->version = VSYNC_PROTOCOL_VERSION;
	h->type = type;
	h->flags = 0;
	h->len = htonl(len);
	h->src = htonl(r->node_id);
	h->ring_rep = htonl(id->rep);
	h->ring_seq = cpu_to_be64(id->seq);
}

/* ------------------------------------------------------------------ */
/* Sending membership frames                                           */
/* ------------------------------------------------------------------ */

static void vsync_send_join(struct vsync_ring *r)
{
	unsigned int len = sizeof(struct vsync_hdr) + sizeof(struct vsync_join) +
			   (r->n_proc + r->n_fail) * sizeof(__be32);
	struct vsync_join *j;
	struct sk_buff *f;
	__be32 *ids;
	int i;

	f = vsync_frame_alloc(r, len, GFP_ATOMIC);
	if (!f) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		return;
	}
	vsync_memb_fill_hdr(r, skb_put(f, sizeof(struct vsync_hdr)),
			    VSYNC_FT_JOIN, len, &r->id);
	j = skb_put_zero(f, sizeof(*j));
	j->max_ring_seq = cpu_to_be64(r->max_ring_seq);
	j->hwaddr_len = r->media->hwaddr_len;
	memcpy(j->hwaddr, r->hwaddr, r->media->hwaddr_len);
	j->n_proc = htons(r->n_proc);
	j->n_fail = htons(r->n_fail);
	ids = skb_put(f, (r->n_proc + r->n_fail) * sizeof(*ids));
	for (i = 0; i < r->n_proc; i++)
		ids[i] = htonl(r->proc[i]);
	for (i = 0; i < r->n_fail; i++)
		ids[r->n_proc + i] = htonl(r->fail[i]);
	vsync_frame_queue(r, f, NULL);
}

static void vsync_send_simple(struct vsync_ring *r, u8 type)
{
	unsigned int len = sizeof(struct vsync_hdr);
	struct sk_buff *f = vsync_frame_alloc(r, len, GFP_ATOMIC);

	if (!f)
		return;
	vsync_memb_fill_hdr(r, skb_put(f, len), type, len, &r->id);
	vsync_frame_queue(r, f, NULL);
}

static void vsync_send_commit(struct vsync_ring *r)
{
	unsigned int len = sizeof(struct vsync_hdr) + sizeof(struct vsync_commit) +
			   r->n_new * sizeof(struct vsync_commit_memb);
	struct vsync_commit_memb *cm;
	struct vsync_commit *c;
	struct vsync_node next;
	struct sk_buff *f;
	int i, me;

	me = vsync_set_find(r->new_memb, r->n_new, r->node_id);
	if (me < 0 || r->n_new < 2)
		return;
	vsync_node_fill(r, &next, r->new_memb[(me + 1) % r->n_new]);
	f = vsync_frame_alloc(r, len, GFP_ATOMIC);
	if (!f) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		goto arm;
	}
	vsync_memb_fill_hdr(r, skb_put(f, sizeof(struct vsync_hdr)),
			    VSYNC_FT_COMMIT, len, &r->new_id);
	c = skb_put_zero(f, sizeof(*c));
	c->n_memb = htons(r->n_new);
	c->rotation = r->commit_rotation;
	c->filled = r->commit_filled;
	c->mtu = htons(r->commit_mtu);
	cm = skb_put_zero(f, r->n_new * sizeof(*cm));
	for (i = 0; i < r->n_new; i++) {
		cm[i].id = htonl(r->new_memb[i]);
		if (i >= r->commit_filled)
			continue;
		cm[i].old_rep = htonl(r->old[i].id.rep);
		cm[i].old_seq = cpu_to_be64(r->old[i].id.seq);
		cm[i].aru = cpu_to_be64(r->old[i].aru);
		cm[i].safe = cpu_to_be64(r->old[i].safe);
	}
	vsync_frame_queue(r, f, next.hwaddr);
arm:
	r->commit_sent = true;
	vsync_ring_timer_start(r, VSYNC_T_RETRANS, r->cfg.token_retransmit);
}

/* ------------------------------------------------------------------ */
/* Gather                                                              */
/* ------------------------------------------------------------------ */

static void vsync_commit_create(struct vsync_ring *r);
static void vsync_check_consensus(struct vsync_ring *r);

/* Back from recovery to the old ring, keeping what was recovered. */
static void vsync_recovery_abort(struct vsync_ring *r)
{
	struct vsync_store tmp = r->store;
	int i;

	r->store = r->old_store;
	r->old_store = tmp;
	vsync_store_reset(&r->old_store);
	r->id = r->old_id;
	for (i = 0; i < r->n_old_memb; i++)
		vsync_node_fill(r, &r->memb[i], r->old_memb[i]);
	r->n_memb = r->n_old_memb;
	r->frame_mtu = min(r->old_frame_mtu, r->mtu);
	r->safe = r->old_safe;
	vsync_recov_reset(r);
}

static void vsync_stop_ring_timers(struct vsync_ring *r)
{
	vsync_ring_timer_stop(r, VSYNC_T_TOKEN);
	vsync_ring_timer_stop(r, VSYNC_T_RETRANS);
	vsync_ring_timer_stop(r, VSYNC_T_HOLD);
	vsync_ring_timer_stop(r, VSYNC_T_MERGE);
	r->tok_held = false;
	r->tok_sent = false;
	r->commit_sent = false;
}

static void vsync_consensus_reset(struct vsync_ring *r)
{
	int me = vsync_set_find(r->proc, r->n_proc, r->node_id);

	r->consensus = me >= 0 ? BIT(me) : 0;
}

/*
 * Consensus must come within a consensus timeout in which this node was
 * run: after a pause the joins that agree may wait behind the timers
 * (vsync_ring_deadline_start()).
 */
static void vsync_consensus_watch(struct vsync_ring *r)
{
	vsync_ring_deadline_start(r, VSYNC_T_CONSENSUS,
				  r->cfg.consensus_timeout);
}

/**
 * vsync_memb_gather() - enter (or stay in) the gather state
 * @r: the ring, locked
 * @failed: a node known to have left, or 0
 */
void vsync_memb_gather(struct vsync_ring *r, u32 failed)
{
	int i;

	switch (r->state) {
	case VSYNC_STATE_GATHER:
		if (failed && vsync_set_find(r->fail, r->n_fail, failed) >= 0)
			return;
		break;
	case VSYNC_STATE_RECOVERY:
		vsync_recovery_abort(r);
		fallthrough;
	case VSYNC_STATE_COMMIT:
		for (i = 0; i < r->n_new; i++)
			vsync_set_add(r->proc, &r->n_proc, r->new_memb[i]);
		break;
	default:
		r->n_proc = 0;
		r->n_fail = 0;
		for (i = 0; i < r->n_memb; i++)
			vsync_set_add(r->proc, &r->n_proc, r->memb[i].id);
		break;
	}
	vsync_set_add(r->proc, &r->n_proc, r->node_id);
	if (failed && failed != r->node_id)
		vsync_set_add(r->fail, &r->n_fail, failed);

	vsync_stop_ring_timers(r);
	if (r->state != VSYNC_STATE_GATHER) {
		vsync_dbg(r, "gather from state %d (failed %u)\n",
			  r->state, failed);
		r->heard = 0;
		r->join_ticks = 0;
	}
	r->state = VSYNC_STATE_GATHER;
	vsync_consensus_reset(r);
	vsync_send_join(r);
	vsync_ring_timer_start(r, VSYNC_T_JOIN, r->cfg.join_timeout);
	vsync_consensus_watch(r);
	/* After a leave the others may agree already: no need to wait. */
	if (failed)
		vsync_check_consensus(r);
}

/**
 * vsync_memb_start() - a new ring starts alone and looks for the others
 * @r: the ring, locked
 */
void vsync_memb_start(struct vsync_ring *r)
{
	r->n_memb = 1;
	vsync_node_fill(r, &r->memb[0], r->node_id);
	r->n_proc = 0;
	r->n_fail = 0;
	r->state = VSYNC_STATE_OPERATIONAL;	/* not installed yet */
	vsync_memb_gather(r, 0);
}

static void vsync_check_consensus(struct vsync_ring *r)
{
	u32 live[VSYNC_MAX_NODES];
	int i, n;

	if (r->state != VSYNC_STATE_GATHER)
		return;
	for (i = 0; i < r->n_proc; i++)
		if (vsync_set_find(r->fail, r->n_fail, r->proc[i]) < 0 &&
		    !(r->consensus & BIT(i)))
			return;
	n = vsync_live_set(r, live);
	if (n && live[0] == r->node_id)
		vsync_commit_create(r);
}

/*
 * Join timeouts after which the members of our ring that sent no join in
 * this gather are failed. A live member enters gather on the first join
 * from its ring it hears and answers with its own, so that much silence
 * means it is gone or cut off; failing it here, not at the consensus
 * timeout, is what makes failover take little more than the token
 * timeout. Nodes that spoke but disagree, and nodes of other rings, still
 * get the consensus timeout.
 */
#define VSYNC_SILENT_JOINS	3

/* Return: true if a silent member was failed. */
static bool vsync_fail_silent(struct vsync_ring *r)
{
	bool changed = false;
	int i;

	for (i = 0; i < r->n_memb; i++) {
		u32 id = r->memb[i].id;

		if (id == r->node_id || test_bit(i, &r->heard) ||
		    vsync_set_find(r->proc, r->n_proc, id) < 0 ||
		    !vsync_set_add(r->fail, &r->n_fail, id))
			continue;
		vsync_dbg(r, "member %u silent in gather: failed\n",
			  id);
		changed = true;
	}
	return changed;
}

/**
 * vsync_memb_join_timer() - send our join again; fail silent members; a
 *	node that starts alone decides here
 * @r: the ring, locked
 */
void vsync_memb_join_timer(struct vsync_ring *r)
{
	if (r->state != VSYNC_STATE_GATHER)
		return;
	/*
	 * Counted up to the threshold only: a gather may last for days. A
	 * tick late by a pause is not counted: the joins that waited
	 * through it are received after the timers that fire at its end.
	 */
	if (r->join_ticks < VSYNC_SILENT_JOINS &&
	    !vsync_ring_timer_paused(r, VSYNC_T_JOIN) &&
	    ++r->join_ticks == VSYNC_SILENT_JOINS && vsync_fail_silent(r)) {
		vsync_consensus_reset(r);
		vsync_consensus_watch(r);
	}
	vsync_send_join(r);
	vsync_ring_timer_start(r, VSYNC_T_JOIN, r->cfg.join_timeout);
	vsync_check_consensus(r);
}

/**
 * vsync_memb_consensus_timer() - VSYNC_T_CONSENSUS fired: a tick, or
 *	fail the nodes that did not agree in time
 * @r: the ring, locked
 */
void vsync_memb_consensus_timer(struct vsync_ring *r)
{
	u32 silent[VSYNC_MAX_NODES];
	int i, n = 0;

	if (r->state != VSYNC_STATE_GATHER ||
	    !vsync_ring_deadline_due(r, VSYNC_T_CONSENSUS,
				     r->cfg.consensus_timeout))
		return;
	for (i = 0; i < r->n_proc; i++)
		if (vsync_set_find(r->fail, r->n_fail, r->proc[i]) < 0 &&
		    !(r->consensus & BIT(i)))
			silent[n++] = r->proc[i];
	for (i = 0; i < n; i++)
		vsync_set_add(r->fail, &r->n_fail, silent[i]);
	vsync_consensus_reset(r);
	vsync_send_join(r);
	vsync_consensus_watch(r);
	vsync_check_consensus(r);
}

/**
 * vsync_memb_rcv_join() - a join message arrived
 * @r: the ring, locked
 * @skb: the frame; consumed
 */
void vsync_memb_rcv_join(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h = (const void *)skb->data;
	u32 jproc[VSYNC_MAX_NODES], jfail[VSYNC_MAX_NODES];
	u32 jlive[VSYNC_MAX_NODES];
	const struct vsync_join *j;
	int np, nf, i, n, nj, why;
	const __be32 *ids;
	bool changed = false;
	u32 s = ntohl(h->src);
	u64 jseq;

	why = VSYNC_A_STATS_DROP_SHORT;
	if (skb->len < sizeof(*h) + sizeof(*j))
		goto drop;
	j = (const void *)(h + 1);
	np = ntohs(j->n_proc);
	nf = ntohs(j->n_fail);
	why = VSYNC_A_STATS_DROP_MALFORMED;
	if (!np || np > VSYNC_MAX_NODES || nf > VSYNC_MAX_NODES ||
	    !vsync_ring_seq_ok(r, be64_to_cpu(h->ring_seq)) ||
	    !vsync_ring_seq_ok(r, be64_to_cpu(j->max_ring_seq)) ||
	    j->hwaddr_len != r->media->hwaddr_len ||
	    skb->len != sizeof(*h) + sizeof(*j) + (np + nf) * sizeof(*ids))
		goto drop;
	ids = (const void *)(j + 1);
	for (i = 0, n = 0; i < np; i++)
		if (!ids[i] || !vsync_set_add(jproc, &n, ntohl(ids[i])))
			goto drop;
	for (i = 0, n = 0; i < nf; i++)
		if (!ids[np + i] || !vsync_set_add(jfail, &n, ntohl(ids[np + i])))
			goto drop;
	if (vsync_set_find(jproc, np, s) < 0)
		goto drop;

	if (s == r->node_id) {
		if (memcmp(j->hwaddr, r->hwaddr, r->media->hwaddr_len)) {
			vsync_count(r, VSYNC_A_STATS_DUPLICATE_NODE_ID);
			net_warn_ratelimited("vsync: %s: node id %u is also used by %*phC\n",
					     r->dev->name, s,
					     (int)r->media->hwaddr_len,
					     j->hwaddr);
		}
		goto drop_quiet;
	}
	vsync_learn_node(r, s, j->hwaddr);
	jseq = be64_to_cpu(h->ring_seq);
	r->max_ring_seq = max3(r->max_ring_seq, jseq,
			       be64_to_cpu(j->max_ring_seq));

	switch (r->state) {
	case VSYNC_STATE_OPERATIONAL:
		if (vsync_memb_index(r->memb, r->n_memb, s) >= 0 &&
		    jseq < r->id.seq)
			goto drop_quiet;	/* from before our ring */
		vsync_dbg(r, "join from %u ring %u:%llu\n", s,
			  ntohl(h->ring_rep), jseq);
		vsync_memb_gather(r, 0);
		break;
	case VSYNC_STATE_COMMIT:
	case VSYNC_STATE_RECOVERY:
		if (vsync_set_find(r->new_memb, r->n_new, s) < 0)
			goto drop_quiet;	/* it joins after we install */
		nj = 0;
		for (i = 0; i < np; i++)
			if (vsync_set_find(jfail, nf, jproc[i]) < 0)
				jlive[nj++] = jproc[i];
		/*
		 * A join sent before the agreement names no ring seq as high
		 * as the new ring's: a late copy. One that does comes from a
		 * member that went back to gather since (the stall rule, a
		 * lost token), even with the same members: ignored, it made
		 * that member fail the others and form a ring alone.
		 */
		if (vsync_set_eq(jlive, nj, r->new_memb, r->n_new) &&
		    be64_to_cpu(j->max_ring_seq) < r->new_id.seq)
			goto drop_quiet;	/* a late copy of the agreement */
		vsync_dbg(r, "join from %u aborts state %d\n", s,
			  r->state);
		vsync_memb_gather(r, 0);
		break;
	}

	/* Gather. */
	i = vsync_memb_index(r->memb, r->n_memb, s);
	if (i >= 0)
		__set_bit(i, &r->heard);
	if (vsync_set_find(r->fail, r->n_fail, s) >= 0)
		goto drop_quiet;
	for (i = 0; i < np; i++)
		changed |= vsync_set_add(r->proc, &r->n_proc, jproc[i]);
	/*
	 * A sender that fails us cannot agree with us before its gather
	 * ends, and our consensus timeout fails it if that takes too long.
	 * Its fail set is not ours to take, and we do not fail it back at
	 * once (Totem's shortcut): with that, three nodes formed rings of two
	 * and broke them up again every join timeout without end, the one
	 * left out failing whoever had failed it and its joins carrying that
	 * into the others' next round (seen after tests/ring/wire.sh's fuzz).
	 */
	if (vsync_set_find(jfail, nf, r->node_id) < 0)
		for (i = 0; i < nf; i++)
			changed |= vsync_set_add(r->fail, &r->n_fail, jfail[i]);
	if (changed) {
		vsync_consensus_reset(r);
		vsync_send_join(r);
		vsync_consensus_watch(r);
	}
	if (vsync_set_eq(jproc, np, r->proc, r->n_proc) &&
	    vsync_set_eq(jfail, nf, r->fail, r->n_fail)) {
		i = vsync_set_find(r->proc, r->n_proc, s);
		r->consensus |= BIT(i);
	}
	vsync_check_consensus(r);
	consume_skb(skb);
	return;

drop:
	vsync_count(r, why);
drop_quiet:
	kfree_skb(skb);
}

/* ------------------------------------------------------------------ */
/* Commit and recovery                                                 */
/* ------------------------------------------------------------------ */

static void vsync_memb_install(struct vsync_ring *r, u64 install_seq);

static void vsync_old_fill_mine(struct vsync_ring *r, int idx)
{
	r->old[idx].id = r->id;
	r->old[idx].aru = r->store.aru;
	r->old[idx].safe = r->safe;
}

static void vsync_recovery_enter(struct vsync_ring *r)
{
	struct vsync_store tmp;
	bool others = false;
	int i;

	r->low_aru = r->store.aru;
	r->max_safe = r->safe;
	for (i = 0; i < r->n_new; i++) {
		if (r->old[i].id.rep != r->id.rep ||
		    r->old[i].id.seq != r->id.seq)
			continue;
		if (r->new_memb[i] != r->node_id)
			others = true;
		r->low_aru = min(r->low_aru, r->old[i].aru);
		r->max_safe = max(r->max_safe, r->old[i].safe);
	}

	/* The old ring's frames move aside; the new ring starts empty. */
	tmp = r->old_store;
	r->old_store = r->store;
	r->store = tmp;
	vsync_store_reset(&r->store);
	r->old_id = r->id;
	for (i = 0; i < r->n_memb; i++)
		r->old_memb[i] = r->memb[i].id;
	r->n_old_memb = r->n_memb;

	/* Ours above the lowest aru go again if others come from our ring. */
	vsync_recov_start(r, max(r->low_aru, r->old_store.base) + 1,
			  others ? r->old_store.high : 0);

	r->id = r->new_id;
	for (i = 0; i < r->n_new; i++)
		vsync_node_fill(r, &r->memb[i], r->new_memb[i]);
	r->n_memb = r->n_new;
	r->old_frame_mtu = r->frame_mtu;
	r->frame_mtu = min_t(unsigned int, r->commit_mtu, r->mtu);
	if (r->frame_mtu < r->mtu && r->frame_mtu != r->old_frame_mtu)
		netdev_info(r->dev, "vsync %u: ring %u:%llu: frames of at most %u bytes, the smallest MTU of its members (ours: %u)\n",
			    r->node_id, r->id.rep, r->id.seq, r->frame_mtu,
			    r->mtu);
	r->token_seq = 0;
	memset(&r->tok, 0, sizeof(r->tok));
	r->prev_aru = 0;
	r->stall_aru = 0;
	r->stall_visits = 0;
	r->old_safe = r->safe;
	r->safe = 0;
	r->fc = (struct vsync_fc){};
	r->backlog_last = 0;
	r->idle_seq = 0;
	r->idle_visits = 0;
	r->last_safe_seq = 0;
	r->safe_done_seq = 0;
	r->wake_ok = false;
	r->wake_pending = false;
	r->clean_visits = 0;
	r->tok_held = false;
	r->tok_sent = false;
	r->state = VSYNC_STATE_RECOVERY;
	vsync_ring_timer_stop(r, VSYNC_T_JOIN);
	vsync_ring_timer_stop(r, VSYNC_T_CONSENSUS);
	if (r->n_memb > 1)
		vsync_srp_token_watch(r);
}

static void vsync_commit_create(struct vsync_ring *r)
{
	int i;

	r->n_new = vsync_live_set(r, r->new_memb);
	r->max_ring_seq++;
	r->new_id.rep = r->node_id;
	r->new_id.seq = r->max_ring_seq;
	for (i = 0; i < r->n_new; i++)
		memset(&r->old[i], 0, sizeof(r->old[i]));
	vsync_old_fill_mine(r, 0);
	r->commit_rotation = 1;
	r->commit_filled = 1;
	r->commit_mtu = vsync_commit_own_mtu(r);
	vsync_dbg(r, "commit ring %u:%llu with %d members\n",
		  r->new_id.rep, r->new_id.seq, r->n_new);
	r->state = VSYNC_STATE_COMMIT;
	vsync_ring_timer_stop(r, VSYNC_T_JOIN);
	vsync_ring_timer_stop(r, VSYNC_T_CONSENSUS);

	if (r->n_new == 1) {
		vsync_recovery_enter(r);
		/* A fresh token for the new ring, kept: nobody to pass it to. */
		memset(&r->tok, 0, sizeof(r->tok));
		r->tok.token_seq = 1;
		r->token_seq = 1;
		vsync_memb_install(r, 0);
		r->tok_held = true;
		/* What waited during the change goes now. */
		if (!skb_queue_empty(&r->sendq))
			vsync_ring_timer_start(r, VSYNC_T_HOLD, 0);
		return;
	}
	vsync_srp_token_watch(r);
	vsync_send_commit(r);
}

/* What the first @n members of the commit token bring from their rings. */
static void vsync_commit_read(struct vsync_ring *r,
			      const struct vsync_commit_memb *cm, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		r->old[i].id.rep = ntohl(cm[i].old_rep);
		r->old[i].id.seq = be64_to_cpu(cm[i].old_seq);
		r->old[i].aru = be64_to_cpu(cm[i].aru);
		r->old[i].safe = be64_to_cpu(cm[i].safe);
	}
}

/**
 * vsync_memb_rcv_commit() - the commit token arrived
 * @r: the ring, locked
 * @skb: the frame; consumed
 */
void vsync_memb_rcv_commit(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h = (const void *)skb->data;
	const struct vsync_commit_memb *cm;
	u32 ids[VSYNC_MAX_NODES], live[VSYNC_MAX_NODES];
	const struct vsync_commit *c;
	struct vsync_ring_id id;
	int n, i, k, me, from, why, nl;
	u32 s = ntohl(h->src);

	why = VSYNC_A_STATS_DROP_SHORT;
	if (skb->len < sizeof(*h) + sizeof(*c))
		goto drop;
	c = (const void *)(h + 1);
	n = ntohs(c->n_memb);
	why = VSYNC_A_STATS_DROP_MALFORMED;
	if (n < 2 || n > VSYNC_MAX_NODES ||
	    (c->rotation != 1 && c->rotation != 2) || c->filled > n ||
	    (c->rotation == 2 && c->filled != n) ||
	    ntohs(c->mtu) < VSYNC_MIN_MTU ||
	    !vsync_ring_seq_ok(r, be64_to_cpu(h->ring_seq)) ||
	    skb->len != sizeof(*h) + sizeof(*c) + n * sizeof(*cm))
		goto drop;
	cm = (const void *)(c + 1);
	for (i = 0, k = 0; i < n; i++)
		if (!cm[i].id || !vsync_set_add(ids, &k, ntohl(cm[i].id)) ||
		    ids[i] != ntohl(cm[i].id))
			goto drop;	/* ids must be sorted and unique */
	id.rep = ntohl(h->ring_rep);
	id.seq = be64_to_cpu(h->ring_seq);
	me = vsync_set_find(ids, n, r->node_id);
	from = vsync_set_find(ids, n, s);
	if (id.rep != ids[0] || me < 0 || from < 0 ||
	    (from + 1) % n != me)
		goto drop;

	switch (r->state) {
	case VSYNC_STATE_GATHER:
		nl = vsync_live_set(r, live);
		if (c->rotation != 1 || c->filled != me ||
		    !vsync_set_eq(ids, n, live, nl) || id.seq <= r->id.seq)
			goto drop_quiet;
		r->new_id = id;
		r->n_new = n;
		memcpy(r->new_memb, ids, n * sizeof(*ids));
		vsync_commit_read(r, cm, me);
		vsync_old_fill_mine(r, me);
		r->max_ring_seq = max(r->max_ring_seq, id.seq);
		r->commit_rotation = 1;
		r->commit_filled = me + 1;
		r->commit_mtu = min(ntohs(c->mtu), vsync_commit_own_mtu(r));
		r->state = VSYNC_STATE_COMMIT;
		vsync_ring_timer_stop(r, VSYNC_T_JOIN);
		vsync_ring_timer_stop(r, VSYNC_T_CONSENSUS);
		vsync_srp_token_watch(r);
		vsync_send_commit(r);
		break;
	case VSYNC_STATE_COMMIT:
		if (id.rep != r->new_id.rep || id.seq != r->new_id.seq ||
		    c->filled != n)
			goto drop_quiet;
		if (c->rotation == 1 && me != 0)
			goto drop_quiet;	/* a duplicate */
		vsync_commit_read(r, cm, n);
		r->commit_rotation = 2;
		r->commit_filled = n;
		/* The smallest of all: rotation 1 went past every member. */
		r->commit_mtu = ntohs(c->mtu);
		vsync_recovery_enter(r);
		vsync_send_commit(r);
		break;
	case VSYNC_STATE_RECOVERY:
		/* Round two came back: the representative starts the token. */
		if (id.rep != r->id.rep || id.seq != r->id.seq ||
		    c->rotation != 2 || me != 0 || r->token_seq)
			goto drop_quiet;
		r->commit_sent = false;
		vsync_ring_timer_stop(r, VSYNC_T_RETRANS);
		vsync_srp_start_token(r);
		break;
	default:
		goto drop_quiet;
	}
	consume_skb(skb);
	return;

drop:
	vsync_count(r, why);
drop_quiet:
	kfree_skb(skb);
}

/**
 * vsync_memb_commit_retransmit() - resend the commit token we sent last
 * @r: the ring, locked
 *
 * Return: true if a commit token was pending and went again.
 */
bool vsync_memb_commit_retransmit(struct vsync_ring *r)
{
	if (!r->commit_sent)
		return false;
	if (r->state != VSYNC_STATE_COMMIT &&
	    (r->state != VSYNC_STATE_RECOVERY || r->token_seq)) {
		r->commit_sent = false;
		return false;
	}
	vsync_count(r, VSYNC_A_STATS_TOKEN_RETRANSMITS);
	vsync_send_commit(r);
	return true;
}

/**
 * vsync_memb_recovery_check() - on a token visit in recovery: install once
 *	every member holds every recovered frame
 * @r: the ring, locked
 * @t: the token, already updated by this visit
 */
void vsync_memb_recovery_check(struct vsync_ring *r, struct vsync_tok *t)
{
	bool clean;

	r->commit_sent = false;
	if (t->flags & VSYNC_TF_INSTALL) {
		if (r->store.aru >= t->install_seq)
			vsync_memb_install(r, t->install_seq);
		return;
	}
	clean = !t->recov_mask && t->aru == t->seq && !vsync_recov_pending(r);
	if (!clean) {
		r->clean_visits = 0;
		return;
	}
	if (r->clean_visits && r->clean_seq == t->seq) {
		t->flags |= VSYNC_TF_INSTALL;
		t->install_seq = t->seq;
		vsync_memb_install(r, t->seq);
		return;
	}
	r->clean_visits = 1;
	r->clean_seq = t->seq;
}

static void vsync_memb_install(struct vsync_ring *r, u64 install_seq)
{
	struct vsync_store *old = &r->old_store;
	u32 trans[VSYNC_MAX_NODES];
	bool merged = false, hole = false;
	int i, nt = 0;
	struct sk_buff *f;
	u64 seq;

	/*
	 * Every member took the recovery frames up to install_seq before it
	 * cleared its bit in recov_mask. What the old configuration can
	 * still deliver, in it:
	 */
	vsync_srp_deliver(r, old, old->aru, r->max_safe);

	/*
	 * The transitional configuration: the new members that come from
	 * our old ring. A member of the old ring that moved on to another
	 * ring in between is not in it, even if it is in the new one.
	 */
	for (i = 0; i < r->n_memb; i++)
		if (r->old[i].id.rep == r->old_id.rep &&
		    r->old[i].id.seq == r->old_id.seq)
			trans[nt++] = r->memb[i].id;

	/* Every member of the transitional configuration holds the same. */
	r->pos = r->id;
	r->pos_seq = 0;
	vsync_group_trans(r, trans, nt);
	/*
	 * A frame none of them holds (a hole) was sent by a node that is not
	 * among them: recovery gave each what any of them had. What such a
	 * node sent after the hole may depend on it (its own earlier message,
	 * or one it delivered before sending), so past the first hole only
	 * the frames of members of the transitional configuration go on:
	 * they never had the hole's frame, nor delivered past it. (Delivering
	 * the others' tore a gap in their senders' order: mtu.sh found it.)
	 */
	for (seq = old->delivered + 1; seq <= old->high; seq++) {
		f = vsync_store_get(old, seq);
		if (!f)
			hole = true;
		else if (!hole ||
			 vsync_set_find_u32(trans, nt,
					    ntohl(vsync_mcast_of(f)->origin)) >= 0)
			vsync_srp_deliver_frame(r, f);
		old->delivered = seq;
	}
	vsync_srp_reasm_reset(r);
	vsync_store_reset(old);
	vsync_recov_reset(r);
	r->send_off = 0;	/* a message cut by the change starts again */

	r->state = VSYNC_STATE_OPERATIONAL;
	r->n_proc = 0;
	r->n_fail = 0;
	for (i = 1; i < r->n_memb; i++)
		if (r->old[i].id.rep != r->old[0].id.rep ||
		    r->old[i].id.seq != r->old[0].id.seq)
			merged = true;
	r->pos = r->id;
	r->pos_seq = 0;
	vsync_group_regular(r, merged);
	vsync_count(r, VSYNC_A_STATS_VIEW_CHANGES);
	vsync_ring_notify_view(r);
	vsync_dbg(r, "ring %u:%llu installed with %d members\n",
		  r->id.rep, r->id.seq, r->n_memb);

	/* Frames up to install_seq carried recovery only. */
	r->store.delivered = install_seq;
	vsync_srp_deliver(r, &r->store, r->store.aru, r->safe);
	if (r->memb[0].id == r->node_id && r->n_memb >= 1)
		vsync_ring_timer_start(r, VSYNC_T_MERGE,
				       2 * r->cfg.consensus_timeout);
}

/* ------------------------------------------------------------------ */
/* Leave and merge                                                     */
/* ------------------------------------------------------------------ */

/**
 * vsync_memb_leave() - tell the ring we leave, so it need not time out
 * @r: the ring, locked
 */
void vsync_memb_leave(struct vsync_ring *r)
{
	vsync_send_simple(r, VSYNC_FT_LEAVE);
	vsync_send_simple(r, VSYNC_FT_LEAVE);
}

/**
 * vsync_memb_rcv_leave() - a node left on purpose
 * @r: the ring, locked
 * @skb: the frame; consumed
 */
void vsync_memb_rcv_leave(struct vsync_ring *r, struct sk_buff *skb)
{
	u32 s = ntohl(((const struct vsync_hdr *)skb->data)->src);
	bool ours;

	consume_skb(skb);
	/*
	 * Only a node of the ring we have, or are forming, matters; the
	 * second copy of a leave must not undo the ring formed without it.
	 */
	switch (r->state) {
	case VSYNC_STATE_OPERATIONAL:
		ours = vsync_memb_index(r->memb, r->n_memb, s) >= 0;
		break;
	case VSYNC_STATE_GATHER:
		ours = vsync_set_find(r->proc, r->n_proc, s) >= 0 &&
		       vsync_set_find(r->fail, r->n_fail, s) < 0;
		break;
	default:
		ours = vsync_set_find(r->new_memb, r->n_new, s) >= 0;
		break;
	}
	if (ours)
		vsync_memb_gather(r, s);
}

/**
 * vsync_memb_merge_timer() - the representative announces its ring
 * @r: the ring, locked
 */
void vsync_memb_merge_timer(struct vsync_ring *r)
{
	if (r->state != VSYNC_STATE_OPERATIONAL ||
	    r->memb[0].id != r->node_id)
		return;
	vsync_send_simple(r, VSYNC_FT_MERGE);
	vsync_ring_timer_start(r, VSYNC_T_MERGE, 2 * r->cfg.consensus_timeout);
}

/**
 * vsync_memb_rcv_merge() - another ring announced itself
 * @r: the ring, locked
 * @skb: the frame; consumed
 */
void vsync_memb_rcv_merge(struct vsync_ring *r, struct sk_buff *skb)
{
	const struct vsync_hdr *h = (const void *)skb->data;
	u32 s = ntohl(h->src);
	bool foreign;

	foreign = vsync_memb_index(r->memb, r->n_memb, s) < 0 &&
		  (ntohl(h->ring_rep) != r->id.rep ||
		   be64_to_cpu(h->ring_seq) != r->id.seq);
	consume_skb(skb);
	if (r->state == VSYNC_STATE_OPERATIONAL && foreign)
		vsync_memb_gather(r, 0);
}
