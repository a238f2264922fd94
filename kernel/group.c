// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: process groups on a ring.
 *
 * A group is a name on a ring; its members are (node, port) pairs, one per
 * bound socket. Membership changes travel in the ring's total order as
 * control messages, so every node applies them at the same point of the
 * message stream and every member sees the same views between the same
 * messages:
 *
 *   JOIN   a socket bound: (origin, port) joins the group named in the entry
 *   LEAVE  a socket closed or was evicted: it leaves
 *   SYNC   after a merge, each node lists its local members
 *
 * At a ring change, members on nodes outside the transitional configuration
 * leave every group (transitional view). If all members of the new ring come
 * from one old ring, that is the whole change (regular view at once).
 * Otherwise nodes that did not share a ring must learn each other's members:
 * every node sends a SYNC first and withholds everything else until it has
 * delivered the SYNC of every member; the union gives the regular views.
 *
 * Locking: everything here runs under the ring lock (see ring.h), except
 * the netlink dump at the end, which takes RTNL (for the ring list) and
 * then each ring's lock, in that order. Allocation is GFP_ATOMIC; a
 * failure would leave this node's membership different from the others',
 * so it forces a new ring, whose sync rebuilds the groups.
 */
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <linux/bsearch.h>
#include <linux/sort.h>

#include "proto.h"
#include "ring.h"

/**
 * struct vsync_group - a group known on a ring
 * @list: entry in vsync_ring.groups
 * @name: the name, NUL-terminated
 * @n: members
 * @cap: room in @m
 * @m: members sorted by node, then port
 * @changed: lost members in the transitional configuration
 */
struct vsync_group {
	struct list_head list;
	char name[VSYNC_GROUP_MAX];
	bool changed;
	u32 n;
	u32 cap;
	struct vsync_member *m;
};

static int vsync_member_cmp(const void *a, const void *b)
{
	const struct vsync_member *x = a, *y = b;

	if (x->vm_node != y->vm_node)
		return x->vm_node < y->vm_node ? -1 : 1;
	if (x->vm_port != y->vm_port)
		return x->vm_port < y->vm_port ? -1 : 1;
	return 0;
}

static struct vsync_group *vsync_group_find(struct list_head *groups,
					    const char *name, bool create)
{
	struct vsync_group *g;

	list_for_each_entry(g, groups, list)
		if (!strcmp(g->name, name))
			return g;
	if (!create)
		return NULL;
	g = kzalloc(sizeof(*g), GFP_ATOMIC);
	if (!g)
		return NULL;
	strscpy(g->name, name, sizeof(g->name));
	list_add_tail(&g->list, groups);
	return g;
}

static void vsync_group_free(struct vsync_group *g)
{
	list_del(&g->list);
	kfree(g->m);
	kfree(g);
}

static void vsync_groups_free(struct list_head *groups)
{
	struct vsync_group *g, *tmp;

	list_for_each_entry_safe(g, tmp, groups, list)
		vsync_group_free(g);
}

static int vsync_group_index(const struct vsync_group *g, u32 node, u32 port)
{
	struct vsync_member key = { .vm_node = node, .vm_port = port };
	struct vsync_member *m;

	m = bsearch(&key, g->m, g->n, sizeof(*g->m), vsync_member_cmp);
	return m ? m - g->m : -1;
}

/* Return: 1 added, 0 already there, -ENOMEM. */
static int vsync_group_add(struct vsync_group *g, u32 node, u32 port)
{
	struct vsync_member *m, key;
	u32 i;

	if (vsync_group_index(g, node, port) >= 0)
		return 0;
	if (g->n == g->cap) {
		u32 cap = max(8U, g->cap * 2);

		m = krealloc_array(g->m, cap, sizeof(*m), GFP_ATOMIC);
		if (!m)
			return -ENOMEM;
		g->m = m;
		g->cap = cap;
	}
	key.vm_node = node;
	key.vm_port = port;
	for (i = g->n; i > 0 && vsync_member_cmp(&g->m[i - 1], &key) > 0; i--)
		g->m[i] = g->m[i - 1];
	g->m[i].vm_node = node;
	g->m[i].vm_port = port;
	g->n++;
	return 1;
}

static bool vsync_group_del(struct vsync_group *g, u32 node, u32 port)
{
	int i = vsync_group_index(g, node, port);

	if (i < 0)
		return false;
	memmove(&g->m[i], &g->m[i + 1], (g->n - i - 1) * sizeof(*g->m));
	g->n--;
	return true;
}

/* Something went wrong only here: make the ring re-form and resync. */
static void vsync_group_diverged(struct vsync_ring *r)
{
	vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
	r->group_resync = true;
	vsync_memb_gather(r, 0);
}

/**
 * vsync_group_view() - deliver a group's view to its local members
 * @r: the ring, locked
 * @name: the group
 * @kind: VSYNC_KIND_VIEW_TRANSITIONAL or VSYNC_KIND_VIEW_REGULAR
 */
static void vsync_group_view(struct vsync_ring *r, const char *name, u32 kind)
{
	struct vsync_group *g = vsync_group_find(&r->groups, name, false);

	WRITE_ONCE(r->group_gen, r->group_gen + 1);
	vsync_sock_group_view(r, name, kind, g ? g->m : NULL, g ? g->n : 0);
}

/**
 * vsync_group_members() - the members of a group, for getsockopt
 * @r: the ring, locked
 * @name: the group
 * @out: where to copy them
 * @max: room in @out
 *
 * Return: the number of members, which may exceed @max.
 */
u32 vsync_group_members(struct vsync_ring *r, const char *name,
			struct vsync_member *out, u32 max)
{
	struct vsync_group *g = vsync_group_find(&r->groups, name, false);

	if (!g)
		return 0;
	memcpy(out, g->m, min(max, g->n) * sizeof(*out));
	return g->n;
}

/* ------------------------------------------------------------------ */
/* Control messages                                                    */
/* ------------------------------------------------------------------ */

/**
 * vsync_group_ctrl_msg() - build a control message for the send queue
 * @op: VSYNC_CTRL_JOIN or VSYNC_CTRL_LEAVE
 * @name: group name
 * @name_len: its length
 * @port: the member
 * @gfp: allocation flags
 *
 * Return: the message, or NULL.
 */
struct sk_buff *vsync_group_ctrl_msg(u32 op, const char *name, u8 name_len,
				     u32 port, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(ALIGN(name_len, 4) + sizeof(__be32),
					gfp);

	if (!skb)
		return NULL;
	memset(skb->cb, 0, sizeof(skb->cb));
	vsync_msg_put_name(skb, name, name_len);
	*(__be32 *)skb_put(skb, sizeof(__be32)) = htonl(op);
	VSYNC_SKB_CB(skb)->port = port;
	VSYNC_SKB_CB(skb)->ctrl = 1;
	return skb;
}

/* SYNC: "." as group name, then op, count, and count records. */
static struct sk_buff *vsync_group_sync_msg(struct vsync_ring *r)
{
	struct vsync_sync_rec *rec;
	struct sk_buff *skb;
	unsigned int count;
	__be32 *hdr;

	count = vsync_sock_local_members(r, NULL, 0);
	skb = alloc_skb(ALIGN(1, 4) + 2 * sizeof(__be32) + count * sizeof(*rec),
			GFP_ATOMIC);
	if (!skb)
		return NULL;
	memset(skb->cb, 0, sizeof(skb->cb));
	vsync_msg_put_name(skb, ".", 1);
	hdr = skb_put(skb, 2 * sizeof(__be32));
	hdr[0] = htonl(VSYNC_CTRL_SYNC);
	hdr[1] = htonl(count);
	rec = skb_put_zero(skb, count * sizeof(*rec));
	vsync_sock_local_members(r, rec, count);
	VSYNC_SKB_CB(skb)->ctrl = 2;	/* may go while syncing */
	return skb;
}

static void vsync_group_sync_done(struct vsync_ring *r)
{
	struct vsync_group *g, *old;

	r->syncing = false;
	/* Regular views for every group whose membership changed. */
	list_for_each_entry(g, &r->groups, list) {
		old = vsync_group_find(&r->groups_before, g->name, false);
		if (old && !old->changed && old->n == g->n &&
		    !memcmp(old->m, g->m, g->n * sizeof(*g->m)))
			continue;
		vsync_group_view(r, g->name, VSYNC_KIND_VIEW_REGULAR);
	}
	list_for_each_entry(old, &r->groups_before, list)
		if (old->changed &&
		    !vsync_group_find(&r->groups, old->name, false))
			vsync_group_view(r, old->name, VSYNC_KIND_VIEW_REGULAR);
	vsync_groups_free(&r->groups_before);
}

static void vsync_group_rcv_sync(struct vsync_ring *r, u32 origin,
				 struct sk_buff *msg)
{
	struct vsync_sync_rec rec;
	struct vsync_group *g;
	char name[VSYNC_GROUP_MAX];
	__be32 hdr;
	u32 i, count;
	int k;

	if (!r->syncing)
		return;		/* a late one from a ring that changed again */
	k = vsync_set_find_u32(r->sync_pending, r->n_sync_pending, origin);
	if (k < 0)
		return;
	/*
	 * After the operation, the count, then the records; read with
	 * skb_copy_bits(): the message may be in pages or pieces.
	 */
	if (skb_copy_bits(msg, sizeof(__be32), &hdr, sizeof(hdr)))
		goto bad;
	count = ntohl(hdr);
	if (msg->len != 2 * sizeof(hdr) + (u64)count * sizeof(rec))
		goto bad;
	for (i = 0; i < count; i++) {
		if (skb_copy_bits(msg, 2 * sizeof(hdr) + i * sizeof(rec), &rec,
				  sizeof(rec)))
			goto bad;
		if (!rec.name_len || rec.name_len >= VSYNC_GROUP_MAX)
			goto bad;
		memcpy(name, rec.name, rec.name_len);
		name[rec.name_len] = '\0';
		g = vsync_group_find(&r->groups, name, true);
		if (!g || vsync_group_add(g, origin, ntohl(rec.port)) < 0) {
			vsync_group_diverged(r);
			return;
		}
	}
	goto done;
bad:
	vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
done:
	r->sync_pending[k] = r->sync_pending[--r->n_sync_pending];
	if (!r->n_sync_pending)
		vsync_group_sync_done(r);
}

/**
 * vsync_group_rcv_ctrl() - a control message reached its turn
 * @r: the ring, locked
 * @origin: the node that sent it
 * @port: the member it is about
 * @group: the group it names
 * @msg: its data (the operation and any arguments); consumed
 */
void vsync_group_rcv_ctrl(struct vsync_ring *r, u32 origin, u32 port,
			  const char *group, struct sk_buff *msg)
{
	struct vsync_group *g;
	__be32 op;
	int ret;

	if (skb_copy_bits(msg, 0, &op, sizeof(op))) {
		vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
		goto out;
	}
	switch (ntohl(op)) {
	case VSYNC_CTRL_JOIN:
		/*
		 * An old frame delivered in the transitional configuration
		 * may hold the join of a member on a node that is gone: it
		 * left with its node, as vsync_group_trans() made the others
		 * leave. (After a merge, the SYNCs settle the members of a
		 * node that came back from elsewhere.)
		 */
		if (r->group_trans &&
		    vsync_memb_index(r->memb, r->n_memb, origin) < 0)
			break;
		g = vsync_group_find(&r->groups, group, true);
		ret = g ? vsync_group_add(g, origin, port) : -ENOMEM;
		if (ret < 0) {
			vsync_group_diverged(r);
			break;
		}
		if (origin == r->node_id)
			vsync_sock_joined(r, port);
		if (ret > 0)
			vsync_group_view(r, group, VSYNC_KIND_VIEW_REGULAR);
		break;
	case VSYNC_CTRL_LEAVE:
		g = vsync_group_find(&r->groups, group, false);
		if (!g || !vsync_group_del(g, origin, port))
			break;
		if (!g->n)
			vsync_group_free(g);
		vsync_group_view(r, group, VSYNC_KIND_VIEW_REGULAR);
		break;
	case VSYNC_CTRL_SYNC:
		vsync_group_rcv_sync(r, origin, msg);
		break;
	default:
		vsync_count(r, VSYNC_A_STATS_DROP_MALFORMED);
	}
out:
	consume_skb(msg);
}

/* ------------------------------------------------------------------ */
/* Configuration changes                                               */
/* ------------------------------------------------------------------ */

/**
 * vsync_group_trans() - the transitional configuration: members on nodes
 *	that are gone leave every group
 * @r: the ring, locked
 * @trans: nodes of the transitional configuration, sorted
 * @n: how many
 */
void vsync_group_trans(struct vsync_ring *r, const u32 *trans, int n)
{
	struct vsync_group *g, *tmp;
	bool changed;
	u32 i, k;

	/*
	 * A transitional view is named by the new ring and the old one its
	 * members come from, so that members of one new ring from different
	 * old rings see views of different names.
	 *
	 * The ring changed again before a sync completed: go back to the
	 * membership before it, the same on all members of this
	 * transitional configuration, and sync afresh on the new ring. That
	 * membership is the one of the ring we came from before the merge:
	 * it names the view, since members from the other side of the merge
	 * go back to theirs.
	 */
	r->group_trans = true;
	r->view_from = r->syncing ? r->sync_from : r->old_id;
	if (r->syncing) {
		vsync_groups_free(&r->groups);
		list_splice_init(&r->groups_before, &r->groups);
		r->syncing = false;
		r->group_resync = true;
	}

	list_for_each_entry_safe(g, tmp, &r->groups, list) {
		changed = false;
		for (i = 0, k = 0; i < g->n; i++) {
			if (vsync_set_find_u32(trans, n, g->m[i].vm_node) >= 0)
				g->m[k++] = g->m[i];
			else
				changed = true;
		}
		g->n = k;
		if (!changed)
			continue;
		g->changed = true;
		vsync_group_view(r, g->name, VSYNC_KIND_VIEW_TRANSITIONAL);
		if (!g->n)
			vsync_group_free(g);
	}
}

/**
 * vsync_group_regular() - the regular configuration is installed
 * @r: the ring, locked, just installed
 * @merged: members of the new ring came from more than one old ring
 *
 * Without a merge the transitional membership is the new one, and the
 * groups that lost members get their regular view now. After a merge the
 * members' SYNC messages decide, and this node's SYNC goes first.
 */
void vsync_group_regular(struct vsync_ring *r, bool merged)
{
	struct vsync_group *g;
	struct sk_buff *sync;
	int i;

	r->group_trans = false;
	vsync_groups_free(&r->groups_before);
	if (!merged && !r->group_resync) {
		r->syncing = false;
		list_for_each_entry(g, &r->groups, list) {
			if (!g->changed)
				continue;
			g->changed = false;
			vsync_group_view(r, g->name, VSYNC_KIND_VIEW_REGULAR);
		}
		return;
	}

	r->group_resync = false;
	sync = vsync_group_sync_msg(r);
	if (!sync) {
		vsync_group_diverged(r);
		return;
	}
	list_splice_init(&r->groups, &r->groups_before);
	r->syncing = true;
	r->sync_from = r->old_id;
	for (i = 0; i < r->n_memb; i++)
		r->sync_pending[i] = r->memb[i].id;
	r->n_sync_pending = r->n_memb;
	vsync_sendq_add(r, sync, true);
}

/**
 * vsync_group_reset() - forget all groups; the ring is going
 * @r: the ring, locked
 */
void vsync_group_reset(struct vsync_ring *r)
{
	vsync_groups_free(&r->groups);
	vsync_groups_free(&r->groups_before);
	r->syncing = false;
	r->group_trans = false;
}

/* ------------------------------------------------------------------ */
/* Netlink                                                             */
/* ------------------------------------------------------------------ */

static int vsync_group_fill(struct sk_buff *skb, struct vsync_ring *r,
			    struct vsync_group *g, struct netlink_callback *cb)
{
	struct nlattr *members, *m;
	void *hdr;
	u32 i;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vsync_genl_family, NLM_F_MULTI, VSYNC_CMD_GROUP_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VSYNC_A_GROUP_IFINDEX, r->dev->ifindex) ||
	    nla_put_string(skb, VSYNC_A_GROUP_NAME, g->name))
		goto nospace;
	members = nla_nest_start(skb, VSYNC_A_GROUP_MEMBERS);
	if (!members)
		goto nospace;
	for (i = 0; i < g->n; i++) {
		m = nla_nest_start(skb, VSYNC_A_GROUP_MEMBER);
		if (!m ||
		    nla_put_u32(skb, VSYNC_A_GMEMBER_NODE_ID, g->m[i].vm_node) ||
		    nla_put_u32(skb, VSYNC_A_GMEMBER_PORT, g->m[i].vm_port) ||
		    (g->m[i].vm_node == r->node_id &&
		     nla_put_flag(skb, VSYNC_A_GMEMBER_LOCAL)))
			goto nospace;
		nla_nest_end(skb, m);
	}
	nla_nest_end(skb, members);
	genl_dump_check_consistent(cb, hdr);
	genlmsg_end(skb, hdr);
	return 0;

nospace:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/**
 * vsync_nl_group_dump() - VSYNC_CMD_GROUP_GET dump: every process group
 * @skb: the reply being filled
 * @cb: the dump's state: args[0] rings done, args[1] groups of the next
 *
 * Return: the length of @skb, or a negative errno.
 */
int vsync_nl_group_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nlattr *only = info->attrs[VSYNC_A_GROUP_IFINDEX];
	struct vsync_net *vn = vsync_net(sock_net(skb->sk));
	long ridx = 0, gidx, rskip = cb->args[0], gskip = cb->args[1];
	struct vsync_group *g;
	struct vsync_ring *r;
	int ret = 0;

	rtnl_lock();
	/* One generation for the whole dump: rings, then their groups. */
	cb->seq = atomic_read(&vn->gen);
	list_for_each_entry(r, &vn->rings, list)
		cb->seq += READ_ONCE(r->group_gen);
	list_for_each_entry(r, &vn->rings, list) {
		if (ridx < rskip ||
		    (only && r->dev->ifindex != nla_get_u32(only))) {
			ridx++;
			continue;
		}
		gidx = 0;
		spin_lock_bh(&r->lock);
		list_for_each_entry(g, &r->groups, list) {
			if (gidx++ < gskip)
				continue;
			ret = vsync_group_fill(skb, r, g, cb);
			if (ret) {
				gidx--;
				break;
			}
		}
		spin_unlock_bh(&r->lock);
		if (ret) {
			gskip = gidx;
			break;
		}
		ridx++;
		gskip = 0;
	}
	rtnl_unlock();
	cb->args[0] = ridx;
	cb->args[1] = gskip;
	if (ret && !skb->len)
		return ret;
	return skb->len;
}
