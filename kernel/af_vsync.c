// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: AF_VSYNC sockets.
 *
 * A socket binds to a named group on a ring. What it sends joins the ring's
 * send queue and is ordered when this node holds the token; what the ring
 * delivers to its group, and every view change, lands in its receive queue
 * in the ring's total order.
 *
 * Locking: lock_sock() serialises a socket's bind, options and release.
 * A bound socket sits on its ring's socks list, which only changes under
 * the ring lock; delivery walks that list with the ring lock held, in
 * softirq context, and queues with the receive queue's own lock. A bound
 * socket holds a reference on its ring, so vs->ring stays valid until
 * release even after the ring is deleted (ring->dead then tells).
 * vs->err is set once, under the ring lock, and read without it.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/socket.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "ring.h"

/* Members getsockopt(VSYNC_VIEW) copies at most. */
#define VSYNC_VIEW_MAX	65536

/**
 * struct vsync_sock - an AF_VSYNC socket
 * @sk: the socket; must be first
 * @ring: the ring it is bound to, with a reference, or NULL
 * @node: entry in ring->socks, under the ring lock
 * @group: the group name
 * @group_len: its length
 * @port: this socket's member id, unique on the node
 * @self_delivery: receive our own messages
 * @safe: default delivery guarantee for sends is safe
 * @joined: its JOIN was delivered: it is a member and receives the group
 * @evicted: overran its receive queue; gets nothing more
 * @err: why the socket is cut off (ENOBUFS, ENODEV), reported once its
 *	receive queue is drained, and for good
 * @wake: data was queued and the reader is still to be woken (see
 *	vsync_sock_wake()), under the ring lock
 * @leave: the LEAVE message, allocated at bind so that leaving cannot fail
 */
struct vsync_sock {
	struct sock sk;
	struct vsync_ring *ring;
	struct list_head node;
	char group[VSYNC_GROUP_MAX];
	u8 group_len;
	u32 port;
	bool self_delivery;
	bool safe;
	bool joined;
	bool evicted;
	bool wake;
	int err;
	struct sk_buff *leave;
};

/**
 * struct vsync_rcv_cb - what a received message carries in skb->cb
 * @node: sender's node id
 * @port: sender's member id
 * @kind: enum vsync_kind
 */
struct vsync_rcv_cb {
	u32 node;
	u32 port;
	u32 kind;
};

#define VSYNC_RCV_CB(skb) ((struct vsync_rcv_cb *)(skb)->cb)

static atomic_t vsync_next_port = ATOMIC_INIT(0);

static struct vsync_sock *vsync_sk(const struct sock *sk)
{
	return container_of(sk, struct vsync_sock, sk);
}

static struct proto vsync_proto = {
	.name = "VSYNC",
	.owner = THIS_MODULE,
	.obj_size = sizeof(struct vsync_sock),
};

/* ------------------------------------------------------------------ */
/* Delivery from the ring                                              */
/* ------------------------------------------------------------------ */

/*
 * The socket gets nothing more: readers drain what is queued, then see
 * @err; sends fail with it; poll says POLLERR. Unlike sk_err, which the
 * datagram core reports before queued data and forgets once read, this
 * stays.
 */
static void vsync_sock_cut(struct sock *sk, int err)
{
	struct vsync_sock *vs = container_of(sk, struct vsync_sock, sk);

	if (!READ_ONCE(vs->err))
		WRITE_ONCE(vs->err, err);
	sk->sk_state_change(sk);
}

/* Queue our LEAVE, once. Called with the ring lock. */
static void vsync_sock_queue_leave(struct vsync_ring *r, struct vsync_sock *vs)
{
	if (!vs->leave)
		return;
	vsync_sendq_add(r, vs->leave, false);
	vs->leave = NULL;
}

/* A member that cannot keep up leaves the group, and is told why. */
static void vsync_sock_evict(struct vsync_ring *r, struct vsync_sock *vs)
{
	struct sock *sk = &vs->sk;

	vs->evicted = true;
	vsync_sock_queue_leave(r, vs);
	vsync_sock_cut(sk, ENOBUFS);
}

/* Called with the ring lock. */
static void vsync_sock_queue(struct vsync_ring *r, struct vsync_sock *vs,
			     struct sk_buff *skb)
{
	struct sock *sk = &vs->sk;

	skb_set_owner_r(skb, sk);
	skb_queue_tail(&sk->sk_receive_queue, skb);
	if (r->socks_wake_later) {
		vs->wake = true;
		r->socks_to_wake = true;
		return;
	}
	sk->sk_data_ready(sk);
}

/**
 * vsync_sock_wake() - wake the readers of sockets given data, once each
 * @r: the ring, locked, with socks_wake_later set since it was taken
 *
 * The receive path delivers a bundle's or a frame's messages with
 * socks_wake_later set and calls this before it drops the lock, so that
 * a reader is woken once for all of them. Clears socks_wake_later.
 */
void vsync_sock_wake(struct vsync_ring *r)
{
	struct vsync_sock *vs;

	r->socks_wake_later = false;
	if (!r->socks_to_wake)
		return;
	r->socks_to_wake = false;
	list_for_each_entry(vs, &r->socks, node) {
		if (!vs->wake)
			continue;
		vs->wake = false;
		vs->sk.sk_data_ready(&vs->sk);
	}
}

/* Whether @vs receives a data message of @group from @origin/@port. */
static bool vsync_sock_wants(const struct vsync_ring *r,
			     const struct vsync_sock *vs, u32 origin, u32 port,
			     const char *group)
{
	if (!vs->joined || vs->evicted || strcmp(vs->group, group) ||
	    READ_ONCE(vs->sk.sk_shutdown) & RCV_SHUTDOWN)
		return false;
	return vs->self_delivery || origin != r->node_id || port != vs->port;
}

/* Queue @c (consumed; NULL: out of memory) on @vs, or evict @vs. */
static void vsync_sock_give(struct vsync_ring *r, struct vsync_sock *vs,
			    struct sk_buff *c, u32 origin, u32 port)
{
	struct sock *sk = &vs->sk;
	int rmem;

	if (!c) {
		vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
		vsync_sock_evict(r, vs);
		return;
	}
	rmem = atomic_read(&sk->sk_rmem_alloc);
	if (rmem && rmem + c->truesize > READ_ONCE(sk->sk_rcvbuf)) {
		kfree_skb(c);
		vsync_sock_evict(r, vs);
		return;
	}
	VSYNC_RCV_CB(c)->node = origin;
	VSYNC_RCV_CB(c)->port = port;
	VSYNC_RCV_CB(c)->kind = VSYNC_KIND_DATA;
	vsync_sock_queue(r, vs, c);
}

/**
 * vsync_sock_deliver() - hand a message to the sockets of its group
 * @r: the ring, locked
 * @msg: the message data; consumed
 * @origin: node that sent it
 * @port: member that sent it
 * @group: the group
 *
 * Each socket but the last gets a clone; the last gets @msg itself, so
 * that a message with one reader on this node (the common case) costs no
 * clone. A socket whose receive queue cannot take the message is evicted:
 * it gets ENOBUFS and nothing more, so the ring never waits for a slow
 * reader and no reader silently misses a message.
 */
void vsync_sock_deliver(struct vsync_ring *r, struct sk_buff *msg,
			u32 origin, u32 port, const char *group)
{
	struct vsync_sock *vs, *last = NULL;

	list_for_each_entry(vs, &r->socks, node) {
		if (!vsync_sock_wants(r, vs, origin, port, group))
			continue;
		if (last)
			vsync_sock_give(r, last, skb_clone(msg, GFP_ATOMIC),
					origin, port);
		last = vs;
	}
	if (last)
		vsync_sock_give(r, last, msg, origin, port);
	else
		consume_skb(msg);
}

static struct sk_buff *vsync_view_skb(struct vsync_ring *r, u32 kind,
				      const struct vsync_member *m, u32 n)
{
	struct vsync_view *v;
	struct sk_buff *skb;

	skb = alloc_skb(struct_size(v, vv_members, n), GFP_ATOMIC);
	if (!skb)
		return NULL;
	v = skb_put_zero(skb, struct_size(v, vv_members, n));
	v->vv_kind = kind;
	v->vv_count = n;
	v->vv_ring_rep = r->pos.rep;
	v->vv_ring_seq = r->pos.seq;
	v->vv_seq = r->pos_seq;
	/* Transitional: the old ring makes the name (vsync_group_trans()). */
	if (kind == VSYNC_KIND_VIEW_TRANSITIONAL) {
		v->vv_old_rep = r->view_from.rep;
		v->vv_seq = r->view_from.seq;
	}
	memcpy(v->vv_members, m, n * sizeof(*m));
	VSYNC_RCV_CB(skb)->node = r->node_id;
	VSYNC_RCV_CB(skb)->port = 0;
	VSYNC_RCV_CB(skb)->kind = kind;
	return skb;
}

/**
 * vsync_sock_group_view() - give a group's local members its new view
 * @r: the ring, locked
 * @group: the group
 * @kind: VSYNC_KIND_VIEW_TRANSITIONAL or VSYNC_KIND_VIEW_REGULAR
 * @m: the members, sorted
 * @n: how many
 *
 * Views are not counted against the receive buffer: they are small, and
 * a member must never miss one.
 */
void vsync_sock_group_view(struct vsync_ring *r, const char *group, u32 kind,
			   const struct vsync_member *m, u32 n)
{
	struct vsync_sock *vs;
	struct sk_buff *skb;

	list_for_each_entry(vs, &r->socks, node) {
		if (!vs->joined || vs->evicted || strcmp(vs->group, group))
			continue;
		skb = vsync_view_skb(r, kind, m, n);
		if (!skb) {
			vsync_count(r, VSYNC_A_STATS_DROP_NOMEM);
			vsync_sock_evict(r, vs);
			continue;
		}
		vsync_sock_queue(r, vs, skb);
	}
}

/**
 * vsync_sock_joined() - a local socket's JOIN was delivered
 * @r: the ring, locked
 * @port: the socket's member id
 */
void vsync_sock_joined(struct vsync_ring *r, u32 port)
{
	struct vsync_sock *vs;

	list_for_each_entry(vs, &r->socks, node)
		if (vs->port == port && !vs->evicted)
			vs->joined = true;
}

/**
 * vsync_sock_local_members() - list this node's members of every group
 * @r: the ring, locked
 * @recs: where to write them, or NULL to count
 * @max: room in @recs
 *
 * Return: how many there are.
 */
unsigned int vsync_sock_local_members(struct vsync_ring *r,
				      struct vsync_sync_rec *recs,
				      unsigned int max)
{
	struct vsync_sock *vs;
	unsigned int n = 0;

	list_for_each_entry(vs, &r->socks, node) {
		if (!vs->joined || vs->evicted)
			continue;
		if (recs && n < max) {
			recs[n].port = htonl(vs->port);
			recs[n].name_len = vs->group_len;
			memcpy(recs[n].name, vs->group, vs->group_len);
		}
		n++;
	}
	return n;
}

/**
 * vsync_sock_ring_gone() - the ring was deleted: detach its sockets
 * @r: the ring, locked, dead
 */
void vsync_sock_ring_gone(struct vsync_ring *r)
{
	struct vsync_sock *vs, *tmp;

	list_for_each_entry_safe(vs, tmp, &r->socks, node) {
		list_del_init(&vs->node);
		vsync_sock_cut(&vs->sk, ENODEV);
	}
}

/* ------------------------------------------------------------------ */
/* Socket operations                                                   */
/* ------------------------------------------------------------------ */

static void vsync_unbind(struct vsync_sock *vs)
{
	struct vsync_ring *r = vs->ring;

	if (!r)
		return;
	spin_lock_bh(&r->lock);
	list_del_init(&vs->node);
	vs->joined = false;
	if (!r->dead) {
		vsync_sock_queue_leave(r, vs);
		vsync_srp_kick(r);
	}
	spin_unlock_bh(&r->lock);
	vsync_ring_flush(r);
	kfree_skb(vs->leave);
	vs->leave = NULL;
	vs->ring = NULL;
	vsync_ring_put(r);
}

static int vsync_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	lock_sock(sk);
	vsync_unbind(vsync_sk(sk));
	sock_orphan(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	skb_queue_purge(&sk->sk_receive_queue);
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static int vsync_bind(struct socket *sock, struct sockaddr *uaddr, int len)
{
	struct sockaddr_vsync *addr = (struct sockaddr_vsync *)uaddr;
	struct sk_buff *join = NULL, *leave = NULL;
	struct sock *sk = sock->sk;
	struct vsync_sock *vs = vsync_sk(sk);
	struct vsync_ring *r;
	size_t glen;
	u32 port;
	int ret;

	if (len < (int)sizeof(*addr) || addr->svs_family != vsync_family)
		return -EINVAL;
	glen = strnlen(addr->svs_group, VSYNC_GROUP_MAX);
	if (!glen || glen == VSYNC_GROUP_MAX)
		return -EINVAL;

	lock_sock(sk);
	ret = -EINVAL;
	if (vs->ring)
		goto out;
	r = vsync_ring_get_by_ifindex(sock_net(sk), addr->svs_ifindex);
	ret = PTR_ERR(r);
	if (IS_ERR(r))
		goto out;
	port = atomic_inc_return(&vsync_next_port);
	join = vsync_group_ctrl_msg(VSYNC_CTRL_JOIN, addr->svs_group, glen,
				    port, GFP_KERNEL);
	leave = vsync_group_ctrl_msg(VSYNC_CTRL_LEAVE, addr->svs_group, glen,
				     port, GFP_KERNEL);
	ret = -ENOMEM;
	if (!join || !leave)
		goto out_put;
	memcpy(vs->group, addr->svs_group, glen);
	vs->group[glen] = '\0';
	vs->group_len = glen;
	vs->port = port;
	spin_lock_bh(&r->lock);
	ret = -ENODEV;
	if (r->dead) {
		spin_unlock_bh(&r->lock);
		goto out_put;
	}
	/* Membership starts when the JOIN comes round in the total order. */
	vs->ring = r;
	vs->leave = leave;
	list_add_tail(&vs->node, &r->socks);
	vsync_sendq_add(r, join, false);
	vsync_srp_kick(r);
	spin_unlock_bh(&r->lock);
	vsync_ring_flush(r);
	/* The datagram core treats SEQPACKET as connection based. */
	sk->sk_state = TCP_ESTABLISHED;
	release_sock(sk);
	return 0;

out_put:
	kfree_skb(join);
	kfree_skb(leave);
	vsync_ring_put(r);
out:
	release_sock(sk);
	return ret;
}

static int vsync_getname(struct socket *sock, struct sockaddr *uaddr,
			 int peer)
{
	struct sockaddr_vsync *addr = (struct sockaddr_vsync *)uaddr;
	struct sock *sk = sock->sk;
	struct vsync_sock *vs = vsync_sk(sk);
	int ret = -ENOTCONN;

	if (peer)
		return -EOPNOTSUPP;
	lock_sock(sk);
	if (vs->ring) {
		memset(addr, 0, sizeof(*addr));
		addr->svs_family = vsync_family;
		addr->svs_ifindex = vs->ring->dev->ifindex;
		addr->svs_node = vs->ring->node_id;
		addr->svs_port = vs->port;
		memcpy(addr->svs_group, vs->group, vs->group_len);
		ret = sizeof(*addr);
	}
	release_sock(sk);
	return ret;
}

static int vsync_cmsg_delivery(struct msghdr *msg, bool *safe)
{
	struct cmsghdr *cmsg;
	u32 v;

	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_VSYNC)
			continue;
		if (cmsg->cmsg_type != VSYNC_CMSG_DELIVERY ||
		    cmsg->cmsg_len != CMSG_LEN(sizeof(u32)))
			return -EINVAL;
		memcpy(&v, CMSG_DATA(cmsg), sizeof(v));
		if (v > VSYNC_DELIVERY_SAFE)
			return -EINVAL;
		*safe = v == VSYNC_DELIVERY_SAFE;
	}
	return 0;
}

/* Pieces of a large message: what one skb's page fragments hold. */
#define VSYNC_PIECE	(16 * PAGE_SIZE)

/* A message this small, with its name, fits a 2 KiB linear buffer. */
#define VSYNC_LINEAR_MAX	(SKB_WITH_OVERHEAD(2048) - VSYNC_MSG_HEADROOM)

/*
 * Waits for room in the send buffer, as sock_alloc_send_pskb() does.
 * Return: 0, or the error for the sender.
 */
static int vsync_wait_wmem(struct sock *sk, bool noblock)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeo = sock_sndtimeo(sk, noblock);
	int err;

	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		err = sock_error(sk);
		if (err)
			break;
		err = -EPIPE;
		if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
			break;
		err = 0;
		if (sk_wmem_alloc_get(sk) < READ_ONCE(sk->sk_sndbuf))
			break;
		sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		err = -EAGAIN;
		if (!timeo)
			break;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/*
 * A linear message's skb of @len bytes of head, charged to the send buffer
 * once there is room: the head in a page of the ring's pool (pages.c),
 * which needs no zeroing, or allocated as usual when the pool has no page
 * free. NULL with *@err set on failure.
 */
static struct sk_buff *vsync_msg_head(struct sock *sk, struct vsync_ring *r,
				      unsigned int len, bool noblock, int *err)
{
	unsigned int size = SKB_DATA_ALIGN(len) +
			    SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	struct sk_buff *skb;
	void *head;

	*err = vsync_wait_wmem(sk, noblock);
	if (*err)
		return NULL;
	head = vsync_pages_head(r, size, sk->sk_allocation);
	if (head) {
		skb = build_skb(head, size);
		if (skb) {
			skb_set_owner_w(skb, sk);
			return skb;
		}
		skb_free_frag(head);
	}
	return sock_alloc_send_pskb(sk, len, 0, noblock, err, 0);
}

/*
 * A message is the group name, padded to 4 bytes, followed by the data. A
 * small one sits in the linear buffer, cut from a page of the ring's pool
 * (else allocated, and zeroed with init_on_alloc, for a quarter of a page
 * fragment), and charged to the send buffer; its headroom and tailroom let
 * it become a frame by itself without a copy (vsync_build_frame()). Of a
 * larger one, up to VSYNC_PIECE of data sits in the head's page fragments,
 * pages of the same pool; the rest hangs on its frag_list in pieces that
 * the head's destructor accounts for, so one sock_wfree() releases the
 * whole message from the send buffer.
 */
static struct sk_buff *vsync_sock_alloc_msg(struct sock *sk,
					    struct vsync_ring *r,
					    struct msghdr *msg, size_t len,
					    int *err)
{
	struct vsync_sock *vs = vsync_sk(sk);
	bool noblock = msg->msg_flags & MSG_DONTWAIT;
	unsigned int nl = ALIGN(vs->group_len, 4);
	bool linear = nl + ALIGN(len, 4) <= VSYNC_LINEAR_MAX;
	size_t first = min_t(size_t, len, VSYNC_PIECE), off, n;
	struct sk_buff *skb, *piece, *tail = NULL;
	unsigned int truesize;

	if (linear)
		skb = vsync_msg_head(sk, r, VSYNC_MSG_HEADROOM + nl +
				     ALIGN(len, 4), noblock, err);
	else
		skb = sock_alloc_send_pskb(sk, nl, 0, noblock, err, 0);
	if (!skb)
		return NULL;
	memset(skb->cb, 0, sizeof(skb->cb));
	if (linear)
		skb_reserve(skb, VSYNC_MSG_HEADROOM);
	vsync_msg_put_name(skb, vs->group, vs->group_len);
	if (linear) {
		skb_put(skb, len);
	} else {
		/* The data in the ring's pages (pages.c), charged here. */
		truesize = skb->truesize;
		*err = vsync_pages_fill(r, skb, first, sk->sk_allocation);
		refcount_add(skb->truesize - truesize, &sk->sk_wmem_alloc);
		if (*err)
			goto fail;
	}
	*err = skb_copy_datagram_from_iter(skb, nl, &msg->msg_iter, first);
	if (*err)
		goto fail;

	for (off = first; off < len; off += n) {
		n = min_t(size_t, len - off, VSYNC_PIECE);
		/*
		 * Only the start of a message waits for room in the send
		 * buffer: the rest is charged as it comes, or a message
		 * larger than the buffer would wait for itself.
		 */
		piece = alloc_skb(0, sk->sk_allocation);
		if (!piece) {
			*err = -ENOMEM;
			goto fail;
		}
		*err = vsync_pages_fill(r, piece, n, sk->sk_allocation);
		if (!*err)
			*err = skb_copy_datagram_from_iter(piece, 0,
							   &msg->msg_iter, n);
		/* The head's destructor releases the piece's share too. */
		refcount_add(piece->truesize, &sk->sk_wmem_alloc);
		if (!tail)
			skb_shinfo(skb)->frag_list = piece;
		else
			tail->next = piece;
		tail = piece;
		skb->len += piece->len;
		skb->data_len += piece->len;
		skb->truesize += piece->truesize;
		if (*err)
			goto fail;
	}
	return skb;

fail:
	kfree_skb(skb);
	return NULL;
}

static int vsync_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	struct sock *sk = sock->sk;
	struct vsync_sock *vs = vsync_sk(sk);
	struct vsync_ring *r;
	struct sk_buff *skb;
	bool safe, more;
	int err;

	if (msg->msg_flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR |
			       MSG_MORE | MSG_BATCH))
		return -EOPNOTSUPP;
	r = READ_ONCE(vs->ring);
	if (!r)
		return -ENOTCONN;
	err = -EMSGSIZE;
	if (len > VSYNC_MSG_MAX)
		goto kick;
	err = -EPIPE;
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		goto kick;
	err = -READ_ONCE(vs->err);
	if (err)
		goto kick;
	safe = READ_ONCE(vs->safe);
	if (msg->msg_controllen) {
		err = vsync_cmsg_delivery(msg, &safe);
		if (err)
			goto kick;
	}

	skb = vsync_sock_alloc_msg(sk, r, msg, len, &err);
	if (!skb)
		goto kick;
	VSYNC_SKB_CB(skb)->port = vs->port;
	VSYNC_SKB_CB(skb)->safe = safe;
	/*
	 * MSG_MORE, and MSG_BATCH on all but the last message of sendmmsg():
	 * more follow. Not once the send buffer is half full: a sender that
	 * may soon block must have asked for the token.
	 */
	more = (msg->msg_flags & (MSG_MORE | MSG_BATCH)) && sock_writeable(sk);

	spin_lock_bh(&r->lock);
	if (r->dead) {
		spin_unlock_bh(&r->lock);
		kfree_skb(skb);
		return -ENODEV;
	}
	vsync_sendq_add(r, skb, false);
	if (more)
		vsync_srp_kick_later(r);
	else
		vsync_srp_kick(r);
	spin_unlock_bh(&r->lock);
	vsync_ring_flush(r);
	return len;

kick:
	/*
	 * sendmmsg() stops at the first error; what it queued before, with
	 * MSG_BATCH, must not wait for a token that comes by itself.
	 */
	spin_lock_bh(&r->lock);
	if (!r->dead && !skb_queue_empty(&r->sendq))
		vsync_srp_kick(r);
	spin_unlock_bh(&r->lock);
	vsync_ring_flush(r);
	return err;
}

/*
 * Queued items first; then the reason the socket was cut off, for good;
 * then end of file after SHUT_RD; then wait.
 */
static struct sk_buff *vsync_recv_skb(struct sock *sk, int flags, int *err)
{
	struct vsync_sock *vs = vsync_sk(sk);
	struct sk_buff *skb, *last;
	long timeo;
	int off = 0;

	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	for (;;) {
		skb = __skb_try_recv_datagram(sk, &sk->sk_receive_queue, flags,
					      &off, err, &last);
		if (skb)
			return skb;
		if (*err != -EAGAIN)
			return NULL;
		if (READ_ONCE(vs->err)) {
			*err = -READ_ONCE(vs->err);
			return NULL;
		}
		if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) {
			*err = 0;
			return NULL;
		}
		if (!READ_ONCE(vs->ring)) {
			*err = -ENOTCONN;
			return NULL;
		}
		if (!timeo) {
			*err = -EAGAIN;
			return NULL;
		}
		if (__skb_wait_for_more_packets(sk, &sk->sk_receive_queue, err,
						&timeo, last))
			return NULL;
	}
}

static __poll_t vsync_poll(struct file *file, struct socket *sock,
			   poll_table *wait)
{
	struct vsync_sock *vs = vsync_sk(sock->sk);
	__poll_t mask = datagram_poll(file, sock, wait);

	if (READ_ONCE(vs->err))
		mask |= EPOLLERR;
	return mask;
}

static int vsync_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			 int flags)
{
	struct sock *sk = sock->sk;
	struct vsync_sock *vs = vsync_sk(sk);
	struct vsync_rcv_cb *cb;
	struct sk_buff *skb;
	size_t copied;
	int err;

	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_CMSG_COMPAT |
		      MSG_WAITALL))
		return -EOPNOTSUPP;
	skb = vsync_recv_skb(sk, flags, &err);
	if (!skb)
		return err;
	cb = VSYNC_RCV_CB(skb);
	copied = min_t(size_t, len, skb->len);
	if (copied < skb->len)
		msg->msg_flags |= MSG_TRUNC;
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err)
		goto out;
	if (cb->kind != VSYNC_KIND_DATA)
		msg->msg_flags |= MSG_OOB;
	msg->msg_flags |= MSG_EOR;
	if (msg->msg_name) {
		DECLARE_SOCKADDR(struct sockaddr_vsync *, addr, msg->msg_name);

		memset(addr, 0, sizeof(*addr));
		addr->svs_family = vsync_family;
		addr->svs_node = cb->node;
		addr->svs_port = cb->port;
		lock_sock(sk);
		if (vs->ring) {
			addr->svs_ifindex = vs->ring->dev->ifindex;
			memcpy(addr->svs_group, vs->group, vs->group_len);
		}
		release_sock(sk);
		msg->msg_namelen = sizeof(*addr);
	}
	put_cmsg(msg, SOL_VSYNC, VSYNC_CMSG_KIND, sizeof(cb->kind), &cb->kind);
	err = (flags & MSG_TRUNC) ? skb->len : copied;
out:
	skb_free_datagram(sk, skb);
	return err;
}

static int vsync_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	lock_sock(sk);
	sk->sk_shutdown |= how + 1;
	sk->sk_state_change(sk);
	release_sock(sk);
	return 0;
}

static int vsync_setsockopt(struct socket *sock, int level, int optname,
			    sockptr_t optval, unsigned int optlen)
{
	struct vsync_sock *vs = vsync_sk(sock->sk);
	int val;

	if (level != SOL_VSYNC)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	switch (optname) {
	case VSYNC_SELF_DELIVERY:
		WRITE_ONCE(vs->self_delivery, !!val);
		return 0;
	case VSYNC_DELIVERY:
		if (val != VSYNC_DELIVERY_AGREED && val != VSYNC_DELIVERY_SAFE)
			return -EINVAL;
		WRITE_ONCE(vs->safe, val == VSYNC_DELIVERY_SAFE);
		return 0;
	}
	return -ENOPROTOOPT;
}

static int vsync_get_view(struct vsync_sock *vs, char __user *optval,
			  int __user *optlen, int len)
{
	struct vsync_ring *r = vs->ring;
	struct vsync_view *v;
	u32 n, max;
	int size, ret = 0;

	if (len < (int)sizeof(*v))
		return -EINVAL;
	max = min_t(u32, (len - sizeof(*v)) / sizeof(struct vsync_member),
		    VSYNC_VIEW_MAX);
	v = kvzalloc(struct_size(v, vv_members, max), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	spin_lock_bh(&r->lock);
	n = vsync_group_members(r, vs->group, v->vv_members, max);
	v->vv_kind = VSYNC_KIND_VIEW_REGULAR;
	v->vv_count = n;
	v->vv_ring_rep = r->id.rep;
	v->vv_ring_seq = r->id.seq;
	spin_unlock_bh(&r->lock);
	/* Too little room: the header says how many there are. */
	size = struct_size(v, vv_members, min(n, max));
	if (copy_to_user(optval, v, size) ||
	    put_user((int)struct_size(v, vv_members, n), optlen))
		ret = -EFAULT;
	kvfree(v);
	return ret;
}

static int vsync_getsockopt(struct socket *sock, int level, int optname,
			    char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct vsync_sock *vs = vsync_sk(sk);
	int len, val, ret = 0;

	if (level != SOL_VSYNC)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case VSYNC_SELF_DELIVERY:
		val = vs->self_delivery;
		break;
	case VSYNC_DELIVERY:
		val = vs->safe ? VSYNC_DELIVERY_SAFE : VSYNC_DELIVERY_AGREED;
		break;
	case VSYNC_NODE_ID:
	case VSYNC_PORT:
	case VSYNC_VIEW:
		if (!vs->ring) {
			ret = -ENOTCONN;
			goto out;
		}
		if (optname == VSYNC_VIEW) {
			ret = vsync_get_view(vs, optval, optlen, len);
			goto out;
		}
		val = optname == VSYNC_PORT ? vs->port : vs->ring->node_id;
		break;
	default:
		ret = -ENOPROTOOPT;
		goto out;
	}
	if (len < (int)sizeof(val)) {
		ret = -EINVAL;
		goto out;
	}
	if (put_user(sizeof(val), optlen) ||
	    copy_to_user(optval, &val, sizeof(val)))
		ret = -EFAULT;
out:
	release_sock(sk);
	return ret;
}

/*
 * The family number is chosen at load time. The socket core finds us
 * through net_proto_family; proto_ops.family is only informative.
 */
static const struct proto_ops vsync_ops = {
	.family = PF_UNSPEC,
	.owner = THIS_MODULE,
	.release = vsync_release,
	.bind = vsync_bind,
	.connect = sock_no_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = vsync_getname,
	.poll = vsync_poll,
	.ioctl = sock_no_ioctl,
	.listen = sock_no_listen,
	.shutdown = vsync_shutdown,
	.setsockopt = vsync_setsockopt,
	.getsockopt = vsync_getsockopt,
	.sendmsg = vsync_sendmsg,
	.recvmsg = vsync_recvmsg,
	.mmap = sock_no_mmap,
};

static int vsync_create(struct net *net, struct socket *sock, int protocol,
			int kern)
{
	struct vsync_sock *vs;
	struct sock *sk;

	if (protocol)
		return -EPROTONOSUPPORT;
	if (sock->type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;

	sk = sk_alloc(net, vsync_family, GFP_KERNEL, &vsync_proto, kern);
	if (!sk)
		return -ENOMEM;
	sock->ops = &vsync_ops;
	sock_init_data(sock, sk);
	vs = vsync_sk(sk);
	INIT_LIST_HEAD(&vs->node);
	vs->self_delivery = true;
	return 0;
}

static struct net_proto_family vsync_family_ops __ro_after_init = {
	.create = vsync_create,
	.owner = THIS_MODULE,
};

/**
 * vsync_sock_init() - register the socket family
 *
 * Return: 0, or a negative errno with a message saying why.
 */
int __init vsync_sock_init(void)
{
	int ret;

	vsync_family_ops.family = vsync_family;

	ret = proto_register(&vsync_proto, 1);
	if (ret)
		return ret;
	ret = sock_register(&vsync_family_ops);
	if (ret) {
		if (ret == -EEXIST)
			pr_err("socket family %d is already registered by another protocol; load vsync with family=N naming a free number\n",
			       vsync_family);
		else
			pr_err("cannot register socket family %d: %d\n",
			       vsync_family, ret);
		proto_unregister(&vsync_proto);
		return ret;
	}
	return 0;
}

/**
 * vsync_sock_uninit() - unregister the socket family
 *
 * No socket exists any more: each holds a module reference.
 */
void vsync_sock_uninit(void)
{
	sock_unregister(vsync_family);
	proto_unregister(&vsync_proto);
}
