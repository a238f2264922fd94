// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: ring objects. A ring is Totem running on one netdevice of one
 * namespace. This file creates and deletes rings, follows netdevice events,
 * runs the timers, transmits queued frames and answers the netlink ring
 * commands. The protocol itself is in srp.c and memb.c.
 *
 * Locking: see ring.h. Creation and deletion run under RTNL; the ring list
 * is RCU for readers (sockets binding). A ring's timers are soft hrtimers:
 * their callbacks run in softirq context and take the ring lock plainly.
 * The two that give up (token, consensus) tick towards a deadline that
 * leaves out time the node was not run (vsync_ring_deadline_start()).
 * Deletion marks the ring dead under the lock, cancels the timers outside
 * it, removes the packet handler and drops the list's reference; bound
 * sockets keep the memory alive until they let go.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "deadline.h"
#include "proto.h"
#include "ring.h"

static void vsync_ring_free_rcu(struct rcu_head *head)
{
	struct vsync_ring *r = container_of(head, struct vsync_ring, rcu);

	vsync_store_free(&r->store);
	vsync_store_free(&r->old_store);
	vsync_pages_uninit(&r->pages);
	kfree(r);
}

static void vsync_ring_release(struct kref *ref)
{
	struct vsync_ring *r = container_of(ref, struct vsync_ring, ref);

	netdev_put(r->dev, &r->dev_tracker);
	call_rcu(&r->rcu, vsync_ring_free_rcu);
}

/**
 * vsync_ring_put() - drop a reference to a ring
 * @r: the ring
 */
void vsync_ring_put(struct vsync_ring *r)
{
	kref_put(&r->ref, vsync_ring_release);
}

/**
 * vsync_ring_get_by_ifindex() - find a live ring and take a reference
 * @net: namespace
 * @ifindex: the ring's device, or 0 for the namespace's only ring
 *
 * Return: the ring with a reference held, or an ERR_PTR: -ENODEV if there
 * is no such ring, -EADDRNOTAVAIL if @ifindex is 0 and there are several.
 */
struct vsync_ring *vsync_ring_get_by_ifindex(struct net *net, int ifindex)
{
	struct vsync_net *vn = vsync_net(net);
	struct vsync_ring *r, *found = NULL;
	int n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(r, &vn->rings, list) {
		if (READ_ONCE(r->dead))
			continue;
		if (ifindex && r->dev->ifindex != ifindex)
			continue;
		found = r;
		n++;
	}
	if (n > 1)
		found = ERR_PTR(-EADDRNOTAVAIL);
	else if (!found)
		found = ERR_PTR(-ENODEV);
	else if (!kref_get_unless_zero(&found->ref))
		found = ERR_PTR(-ENODEV);
	rcu_read_unlock();
	return found;
}

static struct vsync_ring *vsync_ring_find_dev(struct vsync_net *vn,
					      const struct net_device *dev)
{
	struct vsync_ring *r;

	ASSERT_RTNL();
	list_for_each_entry(r, &vn->rings, list)
		if (r->dev == dev)
			return r;
	return NULL;
}

/**
 * vsync_ring_flush() - transmit the frames queued under the lock
 * @r: the ring, not locked
 */
void vsync_ring_flush(struct vsync_ring *r)
{
	struct sk_buff_head q;
	struct sk_buff *skb;
	bool bundle;

	__skb_queue_head_init(&q);
	spin_lock_bh(&r->lock);
	skb_queue_splice_init(&r->txq, &q);
	bundle = !skb_queue_empty(&q) && vsync_bundle_ok(r);
	spin_unlock_bh(&r->lock);
	vsync_bundle_xmit(r, &q, bundle);

	__skb_queue_head_init(&q);
	spin_lock_bh(&r->lock);
	skb_queue_splice_init(&r->ntfq, &q);
	spin_unlock_bh(&r->lock);
	while ((skb = __skb_dequeue(&q)))
		genlmsg_multicast_netns(&vsync_genl_family, r->vn->net, skb, 0,
					VSYNC_MCGRP_ID_EVENTS, GFP_ATOMIC);
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

/**
 * vsync_ring_timer_start() - (re)arm a protocol timer
 * @r: the ring, locked
 * @t: which timer
 * @ms: milliseconds from now
 */
void vsync_ring_timer_start(struct vsync_ring *r, enum vsync_timer t, u32 ms)
{
	if (r->dead)
		return;
	hrtimer_start(&r->timer[t], ms_to_ktime(ms), HRTIMER_MODE_REL_SOFT);
}

/**
 * vsync_ring_timer_start_at() - (re)arm a protocol timer for a moment
 * @r: the ring, locked
 * @t: which timer
 * @expires: when, in ktime_get()'s time (CLOCK_MONOTONIC)
 */
void vsync_ring_timer_start_at(struct vsync_ring *r, enum vsync_timer t,
			       ktime_t expires)
{
	if (r->dead)
		return;
	hrtimer_start(&r->timer[t], expires, HRTIMER_MODE_ABS_SOFT);
}

/**
 * vsync_ring_deadline_start() - arm a timer that gives up after @ms in
 *	which this node was run
 * @r: the ring, locked
 * @t: the timer: VSYNC_T_TOKEN or VSYNC_T_CONSENSUS
 * @ms: the timeout
 *
 * The timer ticks every quarter of @ms until r->deadline[@t], and a tick
 * that comes a quarter or more late says that the node was not run
 * meanwhile: a paused virtual machine, a host too busy to run the guest,
 * a CPU that served no softirqs. When it runs again every timer fires at
 * once, in the order they were due, before the frames that the others
 * sent meanwhile, or that its own timers sent just before, are received:
 * a token timeout would fire right after the end of hold that sends the
 * token, a consensus timeout before the joins that agree. Counting such
 * a pause against the timeout would re-form a ring that lost nothing, so
 * vsync_ring_deadline_due() moves the deadline on (kernel/deadline.h).
 */
void vsync_ring_deadline_start(struct vsync_ring *r, enum vsync_timer t,
			       u32 ms)
{
	s64 now = ktime_get(), timeout = (s64)ms * NSEC_PER_MSEC;

	lockdep_assert_held(&r->lock);
	r->deadline[t] = now + timeout;
	vsync_ring_timer_start_at(r, t, now + vsync_deadline_period(timeout));
}

/**
 * vsync_ring_deadline_due() - a timer of vsync_ring_deadline_start() fired
 * @r: the ring, locked
 * @t: the timer
 * @ms: its timeout, as given to vsync_ring_deadline_start()
 *
 * A tick late by a quarter of @ms or more moves the deadline on by its
 * lateness, to at least a tick from now, and counts a pause.
 *
 * Return: true if the deadline has passed; false if it has not, and the
 * timer is armed for the next tick.
 */
bool vsync_ring_deadline_due(struct vsync_ring *r, enum vsync_timer t,
			     u32 ms)
{
	s64 now = ktime_get();
	s64 tick = vsync_deadline_period((s64)ms * NSEC_PER_MSEC);
	/* The tick that fired was due then: vsync_timer_run() saw it idle. */
	s64 expires = hrtimer_get_expires(&r->timer[t]), late_ms;

	lockdep_assert_held(&r->lock);
	if (vsync_deadline_pause(&r->deadline[t], expires, now, tick)) {
		late_ms = ktime_to_ms(now - expires);
		vsync_count(r, VSYNC_A_STATS_PAUSES);
		/* Half a token timeout or more: others nearly failed us. */
		if (late_ms >= r->cfg.token_timeout / 2 && net_ratelimit())
			netdev_warn(r->dev, "vsync %u: this node was not run for %lld ms (token timeout %u ms); others fail a node not run for longer than the token timeout: consider a longer token-timeout\n",
				    r->node_id, late_ms, r->cfg.token_timeout);
	}
	if (now >= r->deadline[t])
		return true;
	vsync_ring_timer_start_at(r, t, vsync_deadline_next(r->deadline[t],
							    now, tick));
	return false;
}

/**
 * vsync_ring_timer_paused() - a timer that just fired came late by a pause
 * @r: the ring, locked
 * @t: the timer, from its callback
 *
 * Return: true if it fired a quarter of the token timeout late or more,
 * and at least a join timeout: the node was not run meanwhile, and what
 * the others sent in that time has not been received yet. (The same
 * measure of a pause as the token's; a join timeout alone would be
 * missed under a busy host often enough to slow failover.)
 */
bool vsync_ring_timer_paused(struct vsync_ring *r, enum vsync_timer t)
{
	u32 ms = max(r->cfg.token_timeout / 4, r->cfg.join_timeout);

	lockdep_assert_held(&r->lock);
	return vsync_tick_paused(hrtimer_get_expires(&r->timer[t]), ktime_get(),
				 (s64)ms * NSEC_PER_MSEC);
}

/**
 * vsync_ring_timer_stop() - disarm a protocol timer if it is pending
 * @r: the ring, locked
 * @t: which timer
 *
 * A callback already running waits on the lock and then finds nothing to
 * do, because every callback checks the state it was armed for.
 */
void vsync_ring_timer_stop(struct vsync_ring *r, enum vsync_timer t)
{
	hrtimer_try_to_cancel(&r->timer[t]);
}

static enum hrtimer_restart vsync_timer_run(struct vsync_ring *r,
					    struct hrtimer *timer,
					    void (*call)(struct vsync_ring *r))
{
	spin_lock(&r->lock);
	/* Re-armed while we waited for the lock: this expiry is stale. */
	if (!r->dead && !hrtimer_is_queued(timer))
		call(r);
	spin_unlock(&r->lock);
	vsync_ring_flush(r);
	return HRTIMER_NORESTART;
}

#define vsync_timer_ring(tm, t) container_of(tm, struct vsync_ring, timer[t])

static enum hrtimer_restart vsync_timer_token(struct hrtimer *timer)
{
	return vsync_timer_run(vsync_timer_ring(timer, VSYNC_T_TOKEN), timer,
			       vsync_srp_token_timer);
}

static enum hrtimer_restart vsync_timer_retrans(struct hrtimer *timer)
{
	return vsync_timer_run(vsync_timer_ring(timer, VSYNC_T_RETRANS), timer,
			       vsync_srp_token_retransmit);
}

static enum hrtimer_restart vsync_timer_hold(struct hrtimer *timer)
{
	return vsync_timer_run(vsync_timer_ring(timer, VSYNC_T_HOLD), timer,
			       vsync_srp_hold_expired);
}

static enum hrtimer_restart vsync_timer_join(struct hrtimer *timer)
{
	return vsync_timer_run(vsync_timer_ring(timer, VSYNC_T_JOIN), timer,
			       vsync_memb_join_timer);
}

static enum hrtimer_restart vsync_timer_consensus(struct hrtimer *timer)
{
	return vsync_timer_run(vsync_timer_ring(timer, VSYNC_T_CONSENSUS), timer,
			       vsync_memb_consensus_timer);
}

static enum hrtimer_restart vsync_timer_merge(struct hrtimer *timer)
{
	return vsync_timer_run(vsync_timer_ring(timer, VSYNC_T_MERGE), timer,
			       vsync_memb_merge_timer);
}

static enum hrtimer_restart (*const vsync_timer_fn[VSYNC_T_NUM])
	(struct hrtimer *) = {
	[VSYNC_T_TOKEN] = vsync_timer_token,
	[VSYNC_T_RETRANS] = vsync_timer_retrans,
	[VSYNC_T_HOLD] = vsync_timer_hold,
	[VSYNC_T_JOIN] = vsync_timer_join,
	[VSYNC_T_CONSENSUS] = vsync_timer_consensus,
	[VSYNC_T_MERGE] = vsync_timer_merge,
};

/* ------------------------------------------------------------------ */
/* Netlink messages                                                    */
/* ------------------------------------------------------------------ */

static int vsync_ring_fill_members(struct sk_buff *msg, struct vsync_ring *r)
{
	struct nlattr *members, *m;
	int i, j;

	members = nla_nest_start(msg, VSYNC_A_RING_MEMBERS);
	if (!members)
		return -EMSGSIZE;
	for (i = 0; i < r->n_memb; i++) {
		const struct vsync_node *n = &r->memb[i];

		m = nla_nest_start(msg, VSYNC_A_MEMBER);
		if (!m)
			return -EMSGSIZE;
		if (nla_put_u32(msg, VSYNC_A_MEMBER_NODE_ID, n->id))
			return -EMSGSIZE;
		for (j = 0; j < r->n_nodes; j++)
			if (r->nodes[j].id == n->id)
				break;
		if (n->id == r->node_id) {
			if (nla_put(msg, VSYNC_A_MEMBER_HWADDR,
				    r->media->hwaddr_len, r->hwaddr) ||
			    nla_put_flag(msg, VSYNC_A_MEMBER_LOCAL))
				return -EMSGSIZE;
		} else if (j < r->n_nodes &&
			   nla_put(msg, VSYNC_A_MEMBER_HWADDR,
				   r->media->hwaddr_len, r->nodes[j].hwaddr)) {
			return -EMSGSIZE;
		}
		nla_nest_end(msg, m);
	}
	nla_nest_end(msg, members);
	return 0;
}

static int vsync_ring_fill_stats(struct sk_buff *msg, struct vsync_ring *r)
{
	struct nlattr *stats;
	int i;

	stats = nla_nest_start(msg, VSYNC_A_RING_STATS);
	if (!stats)
		return -EMSGSIZE;
	for (i = VSYNC_A_STATS_PAD + 1; i <= VSYNC_A_STATS_MAX; i++)
		if (nla_put_u64_64bit(msg, i, atomic64_read(&r->stats[i]),
				      VSYNC_A_STATS_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, stats);
	return 0;
}

/* Called with the ring lock held, so the protocol state is consistent. */
static int vsync_ring_fill(struct sk_buff *msg, struct vsync_ring *r,
			   u32 portid, u32 seq, int flags, u8 cmd, bool full,
			   struct netlink_callback *cb)
{
	const struct vsync_config *c = &r->cfg;
	void *hdr;
	int state;

	hdr = genlmsg_put(msg, portid, seq, &vsync_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	state = netif_running(r->dev) ? r->state : VSYNC_STATE_DOWN;
	if (nla_put_u32(msg, VSYNC_A_RING_IFINDEX, r->dev->ifindex) ||
	    nla_put_string(msg, VSYNC_A_RING_IFNAME, r->dev->name) ||
	    nla_put_string(msg, VSYNC_A_RING_MEDIA, r->media->name) ||
	    nla_put(msg, VSYNC_A_RING_HWADDR, r->media->hwaddr_len,
		    r->hwaddr) ||
	    nla_put(msg, VSYNC_A_RING_MCAST_ADDR, r->media->hwaddr_len,
		    r->mcast) ||
	    nla_put_u32(msg, VSYNC_A_RING_MTU, r->mtu) ||
	    nla_put_u32(msg, VSYNC_A_RING_FRAME_MTU, r->frame_mtu) ||
	    nla_put_u32(msg, VSYNC_A_RING_NODE_ID, r->node_id) ||
	    nla_put_u16(msg, VSYNC_A_RING_ETHERTYPE, c->ethertype) ||
	    nla_put_u32(msg, VSYNC_A_RING_TOKEN_TIMEOUT, c->token_timeout) ||
	    nla_put_u32(msg, VSYNC_A_RING_TOKEN_RETRANSMIT,
			c->token_retransmit) ||
	    nla_put_u32(msg, VSYNC_A_RING_JOIN_TIMEOUT, c->join_timeout) ||
	    nla_put_u32(msg, VSYNC_A_RING_CONSENSUS_TIMEOUT,
			c->consensus_timeout) ||
	    nla_put_u32(msg, VSYNC_A_RING_WINDOW, vsync_ring_window(r)) ||
	    (c->window == VSYNC_WINDOW_AUTO &&
	     nla_put_flag(msg, VSYNC_A_RING_WINDOW_AUTO)) ||
	    nla_put_u32(msg, VSYNC_A_RING_MAX_MESSAGES, c->max_messages) ||
	    nla_put_u32(msg, VSYNC_A_RING_STATE, state) ||
	    nla_put_u32(msg, VSYNC_A_RING_REP, r->id.rep) ||
	    nla_put_u64_64bit(msg, VSYNC_A_RING_SEQ, r->id.seq,
			      VSYNC_A_RING_PAD))
		goto nospace;
	if (full && (vsync_ring_fill_members(msg, r) ||
		     vsync_ring_fill_stats(msg, r)))
		goto nospace;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	genlmsg_end(msg, hdr);
	return 0;

nospace:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

static void vsync_ring_notify_config(struct vsync_ring *r, u8 cmd)
{
	struct sk_buff *msg;
	int ret;

	if (r->vn->exiting)
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	spin_lock_bh(&r->lock);
	ret = vsync_ring_fill(msg, r, 0, 0, 0, cmd, false, NULL);
	spin_unlock_bh(&r->lock);
	if (ret) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&vsync_genl_family, r->vn->net, msg, 0,
				VSYNC_MCGRP_ID_CONFIG, GFP_KERNEL);
}

/**
 * vsync_ring_notify_view() - queue a VSYNC_CMD_VIEW_NTF for the new view
 * @r: the ring, locked; the message goes out at the next flush
 */
void vsync_ring_notify_view(struct vsync_ring *r)
{
	struct sk_buff *msg;

	if (r->vn->exiting ||
	    !genl_has_listeners(&vsync_genl_family, r->vn->net,
				VSYNC_MCGRP_ID_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	if (vsync_ring_fill(msg, r, 0, 0, 0, VSYNC_CMD_VIEW_NTF, true,
			    NULL)) {
		nlmsg_free(msg);
		return;
	}
	__skb_queue_tail(&r->ntfq, msg);
}

/* ------------------------------------------------------------------ */
/* Creation and deletion                                               */
/* ------------------------------------------------------------------ */

static void vsync_ring_del(struct vsync_ring *r)
{
	int i;

	ASSERT_RTNL();
	vsync_ring_notify_config(r, VSYNC_CMD_RING_DEL);

	spin_lock_bh(&r->lock);
	vsync_memb_leave(r);
	WRITE_ONCE(r->dead, true);
	spin_unlock_bh(&r->lock);
	vsync_ring_flush(r);

	for (i = 0; i < VSYNC_T_NUM; i++)
		hrtimer_cancel(&r->timer[i]);
	vsync_bearer_disable(r);
	if (r->mc_joined)
		dev_mc_del(r->dev, r->mcast);

	list_del_rcu(&r->list);
	r->vn->n_rings--;
	atomic_inc(&r->vn->gen);

	spin_lock_bh(&r->lock);
	vsync_srp_reset(r);
	vsync_sock_ring_gone(r);
	/* The ring lock guards these queues; their own locks are unused. */
	__skb_queue_purge(&r->txq);
	__skb_queue_purge(&r->ntfq);
	spin_unlock_bh(&r->lock);
	vsync_ring_put(r);
}

/**
 * vsync_ring_del_all() - delete every ring of a namespace
 * @vn: the namespace's state, under RTNL
 */
void vsync_ring_del_all(struct vsync_net *vn)
{
	struct vsync_ring *r, *tmp;

	ASSERT_RTNL();
	list_for_each_entry_safe(r, tmp, &vn->rings, list)
		vsync_ring_del(r);
}

static void vsync_ring_set_dev_addrs(struct vsync_ring *r, bool mcast_set)
{
	struct net_device *dev = r->dev;

	memcpy(r->hwaddr, dev->dev_addr, r->media->hwaddr_len);
	if (!mcast_set)
		memcpy(r->mcast, dev->broadcast, r->media->hwaddr_len);
	r->mtu = vsync_media_mtu(r->media, dev);
	r->frame_mtu = r->mtu;
}

static struct net_device *vsync_nl_dev(struct net *net, struct nlattr **attrs,
				       struct netlink_ext_ack *extack)
{
	struct net_device *dev = NULL;
	char name[IFNAMSIZ];

	if (attrs[VSYNC_A_RING_IFINDEX]) {
		dev = __dev_get_by_index(net,
					 nla_get_u32(attrs[VSYNC_A_RING_IFINDEX]));
		if (!dev)
			NL_SET_ERR_MSG_ATTR(extack, attrs[VSYNC_A_RING_IFINDEX],
					    "no device with this index");
		return dev;
	}
	if (attrs[VSYNC_A_RING_IFNAME]) {
		nla_strscpy(name, attrs[VSYNC_A_RING_IFNAME], sizeof(name));
		dev = __dev_get_by_name(net, name);
		if (!dev)
			NL_SET_ERR_MSG_ATTR(extack, attrs[VSYNC_A_RING_IFNAME],
					    "no device with this name");
		return dev;
	}
	NL_SET_ERR_MSG(extack, "a device is required (ifindex or ifname)");
	return NULL;
}

static u32 vsync_nl_u32(struct nlattr **attrs, int type, u32 def)
{
	return attrs[type] ? nla_get_u32(attrs[type]) : def;
}

/* The least window @c can have; max-messages must not exceed it. */
static u32 vsync_config_window_min(const struct vsync_config *c)
{
	return c->window == VSYNC_WINDOW_AUTO ? VSYNC_WINDOW_AUTO_MIN :
						c->window;
}

static int vsync_ring_check_config(const struct vsync_config *c,
				   struct netlink_ext_ack *extack)
{
	if (c->token_retransmit >= c->token_timeout) {
		NL_SET_ERR_MSG(extack,
			       "token-retransmit must be less than token-timeout");
		return -EINVAL;
	}
	if (c->join_timeout >= c->consensus_timeout) {
		NL_SET_ERR_MSG(extack,
			       "join-timeout must be less than consensus-timeout");
		return -EINVAL;
	}
	BUILD_BUG_ON(VSYNC_WINDOW_AUTO_MIN != 64);	/* the message below */
	if (c->max_messages > vsync_config_window_min(c)) {
		if (c->window == VSYNC_WINDOW_AUTO)
			NL_SET_ERR_MSG(extack,
				       "max-messages must not exceed 64 with a window that grows with the ring (window 0)");
		else
			NL_SET_ERR_MSG(extack,
				       "max-messages must not exceed window");
		return -EINVAL;
	}
	return 0;
}

/**
 * vsync_nl_ring_new() - VSYNC_CMD_RING_NEW: create a ring on a device
 * @skb: the request
 * @info: its attributes
 *
 * Return: 0 or a negative errno, with an extack message.
 */
int vsync_nl_ring_new(struct sk_buff *skb, struct genl_info *info)
{
	struct vsync_net *vn = vsync_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **a = info->attrs;
	const struct vsync_media *media;
	struct net_device *dev;
	struct vsync_ring *r;
	struct vsync_config c;
	int i, ret;

	c.token_timeout = vsync_nl_u32(a, VSYNC_A_RING_TOKEN_TIMEOUT,
				       VSYNC_DEF_TOKEN_TIMEOUT);
	c.token_retransmit = vsync_nl_u32(a, VSYNC_A_RING_TOKEN_RETRANSMIT,
					  min_t(u32, VSYNC_DEF_TOKEN_RETRANSMIT,
						c.token_timeout / 4 ?: 1));
	c.consensus_timeout = vsync_nl_u32(a, VSYNC_A_RING_CONSENSUS_TIMEOUT,
					   max_t(u32,
						 VSYNC_DEF_CONSENSUS_TIMEOUT,
						 c.token_timeout * 6 / 5));
	c.join_timeout = vsync_nl_u32(a, VSYNC_A_RING_JOIN_TIMEOUT,
				      min_t(u32, VSYNC_DEF_JOIN_TIMEOUT,
					    c.consensus_timeout / 4 ?: 1));
	c.window = vsync_nl_u32(a, VSYNC_A_RING_WINDOW, VSYNC_DEF_WINDOW);
	c.max_messages = vsync_nl_u32(a, VSYNC_A_RING_MAX_MESSAGES,
				      min_t(u32, VSYNC_DEF_MAX_MESSAGES,
					    vsync_config_window_min(&c)));
	ret = vsync_ring_check_config(&c, extack);
	if (ret)
		return ret;

	rtnl_lock();
	dev = vsync_nl_dev(genl_info_net(info), a, extack);
	ret = -ENODEV;
	if (!dev)
		goto out_unlock;
	ret = -EOPNOTSUPP;
	media = vsync_media_find(dev);
	if (!media) {
		NL_SET_ERR_MSG(extack,
			       "device is neither Ethernet nor IPoIB");
		goto out_unlock;
	}
	c.ethertype = media->ethertype;
	ret = -EINVAL;
	if (a[VSYNC_A_RING_ETHERTYPE]) {
		c.ethertype = nla_get_u16(a[VSYNC_A_RING_ETHERTYPE]);
		if (media->fixed_ethertype && c.ethertype != media->ethertype) {
			NL_SET_ERR_MSG_ATTR(extack, a[VSYNC_A_RING_ETHERTYPE],
					    "IPoIB carries no other EtherType than 0x88ca for vsync");
			goto out_unlock;
		}
	}
	if (dev->mtu < VSYNC_MIN_MTU) {
		NL_SET_ERR_MSG(extack,
			       "device MTU is below vsync's minimum of 1024");
		goto out_unlock;
	}
	if (a[VSYNC_A_RING_MCAST_ADDR] &&
	    nla_len(a[VSYNC_A_RING_MCAST_ADDR]) != media->hwaddr_len) {
		NL_SET_ERR_MSG_ATTR(extack, a[VSYNC_A_RING_MCAST_ADDR],
				    "address length does not match the device");
		goto out_unlock;
	}
	if (a[VSYNC_A_RING_MCAST_ADDR] &&
	    !media->mcast_ok(nla_data(a[VSYNC_A_RING_MCAST_ADDR]))) {
		NL_SET_ERR_MSG_ATTR(extack, a[VSYNC_A_RING_MCAST_ADDR],
				    "not a multicast address");
		goto out_unlock;
	}
	ret = -EEXIST;
	if (vsync_ring_find_dev(vn, dev)) {
		NL_SET_ERR_MSG(extack, "the device already has a ring");
		goto out_unlock;
	}

	ret = -ENOMEM;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		goto out_unlock;
	if (vsync_store_init(&r->store) || vsync_store_init(&r->old_store))
		goto err_free;

	kref_init(&r->ref);
	spin_lock_init(&r->lock);
	vsync_pages_init(&r->pages);
	INIT_LIST_HEAD(&r->socks);
	INIT_LIST_HEAD(&r->groups);
	INIT_LIST_HEAD(&r->groups_before);
	__skb_queue_head_init(&r->txq);
	__skb_queue_head_init(&r->ntfq);
	__skb_queue_head_init(&r->sendq);
	__skb_queue_head_init(&r->recov_partial);
	for (i = 0; i < VSYNC_T_NUM; i++) {
		hrtimer_init(&r->timer[i], CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_SOFT);
		r->timer[i].function = vsync_timer_fn[i];
	}
	r->vn = vn;
	r->dev = dev;
	netdev_hold(dev, &r->dev_tracker, GFP_KERNEL);
	r->media = media;
	r->cfg = c;
	if (a[VSYNC_A_RING_MCAST_ADDR])
		nla_memcpy(r->mcast, a[VSYNC_A_RING_MCAST_ADDR],
			   sizeof(r->mcast));
	vsync_ring_set_dev_addrs(r, a[VSYNC_A_RING_MCAST_ADDR]);
	r->node_id = a[VSYNC_A_RING_NODE_ID] ?
		nla_get_u32(a[VSYNC_A_RING_NODE_ID]) :
		media->node_id(r->hwaddr);
	if (!r->node_id) {
		NL_SET_ERR_MSG(extack,
			       "cannot derive a node id from this address; give one");
		ret = -EINVAL;
		goto err_dev;
	}
	/* Ring ids must grow across restarts of this node: start from time. */
	r->max_ring_seq = ktime_get_real_seconds() << 16;
	r->id.rep = r->node_id;
	r->id.seq = r->max_ring_seq;

	/*
	 * A multicast group of the ring's own is joined, and left with the
	 * ring; the device's broadcast address needs no joining. Remember
	 * which it was: the broadcast address may change in between.
	 */
	if (memcmp(r->mcast, dev->broadcast, media->hwaddr_len)) {
		ret = dev_mc_add(dev, r->mcast);
		if (ret) {
			NL_SET_ERR_MSG(extack, "cannot join the multicast address");
			goto err_dev;
		}
		r->mc_joined = true;
	}
	ret = vsync_bearer_enable(r);
	if (ret)
		goto err_mc;

	list_add_tail_rcu(&r->list, &vn->rings);
	vn->n_rings++;
	atomic_inc(&vn->gen);

	/* Announce the ring before its first view can be. */
	vsync_ring_notify_config(r, VSYNC_CMD_RING_NEW);
	spin_lock_bh(&r->lock);
	vsync_memb_start(r);
	spin_unlock_bh(&r->lock);
	vsync_ring_flush(r);
	rtnl_unlock();
	return 0;

err_mc:
	if (r->mc_joined)
		dev_mc_del(dev, r->mcast);
err_dev:
	netdev_put(dev, &r->dev_tracker);
err_free:
	vsync_store_free(&r->store);
	vsync_store_free(&r->old_store);
	vsync_pages_uninit(&r->pages);
	kfree(r);
out_unlock:
	rtnl_unlock();
	return ret;
}

static struct vsync_ring *vsync_nl_ring(struct genl_info *info)
{
	struct vsync_net *vn = vsync_net(genl_info_net(info));
	struct net_device *dev;
	struct vsync_ring *r;

	ASSERT_RTNL();
	dev = vsync_nl_dev(genl_info_net(info), info->attrs, info->extack);
	if (!dev)
		return ERR_PTR(-ENODEV);
	r = vsync_ring_find_dev(vn, dev);
	if (!r) {
		NL_SET_ERR_MSG(info->extack, "the device has no ring");
		return ERR_PTR(-ENOENT);
	}
	return r;
}

/**
 * vsync_nl_ring_del() - VSYNC_CMD_RING_DEL: leave and delete a ring
 * @skb: the request
 * @info: its attributes
 *
 * Return: 0 or a negative errno, with an extack message.
 */
int vsync_nl_ring_del(struct sk_buff *skb, struct genl_info *info)
{
	struct vsync_ring *r;
	int ret = 0;

	rtnl_lock();
	r = vsync_nl_ring(info);
	if (IS_ERR(r))
		ret = PTR_ERR(r);
	else
		vsync_ring_del(r);
	rtnl_unlock();
	return ret;
}

/**
 * vsync_nl_ring_get() - VSYNC_CMD_RING_GET do: show one ring
 * @skb: the request
 * @info: its attributes
 *
 * Return: 0 or a negative errno, with an extack message.
 */
int vsync_nl_ring_get(struct sk_buff *skb, struct genl_info *info)
{
	struct vsync_ring *r;
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	rtnl_lock();
	r = vsync_nl_ring(info);
	if (IS_ERR(r)) {
		ret = PTR_ERR(r);
	} else {
		spin_lock_bh(&r->lock);
		ret = vsync_ring_fill(msg, r, info->snd_portid, info->snd_seq,
				      0, VSYNC_CMD_RING_GET, true, NULL);
		spin_unlock_bh(&r->lock);
	}
	rtnl_unlock();
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/**
 * vsync_nl_ring_dump() - VSYNC_CMD_RING_GET dump: show every ring
 * @skb: the reply being filled
 * @cb: the dump's state; cb->args[0] counts rings already sent
 *
 * Return: the length of @skb, or a negative errno.
 */
int vsync_nl_ring_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vsync_net *vn = vsync_net(sock_net(skb->sk));
	struct vsync_ring *r;
	long idx = 0, skip = cb->args[0];
	int ret = 0;

	rtnl_lock();
	cb->seq = atomic_read(&vn->gen);
	list_for_each_entry(r, &vn->rings, list) {
		if (idx++ < skip)
			continue;
		spin_lock_bh(&r->lock);
		ret = vsync_ring_fill(skb, r, NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI,
				      VSYNC_CMD_RING_GET, true, cb);
		spin_unlock_bh(&r->lock);
		if (ret) {
			idx--;
			break;
		}
	}
	rtnl_unlock();
	cb->args[0] = idx;
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

/* ------------------------------------------------------------------ */
/* Netdevice events                                                    */
/* ------------------------------------------------------------------ */

static int vsync_netdev_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct vsync_net *vn = vsync_net(dev_net(dev));
	struct vsync_ring *r;
	unsigned int mtu;

	/* A new namespace registers its devices before our state exists. */
	if (!vn || !vn->net)
		return NOTIFY_DONE;
	r = vsync_ring_find_dev(vn, dev);
	if (!r)
		return NOTIFY_DONE;

	switch (event) {
	case NETDEV_UNREGISTER:
	case NETDEV_CHANGENAME:
		if (event == NETDEV_CHANGENAME) {
			vsync_ring_notify_config(r, VSYNC_CMD_RING_NEW);
			break;
		}
		netdev_info(dev, "vsync: device is going away, ring deleted\n");
		vsync_ring_del(r);
		break;
	case NETDEV_CHANGEMTU:
		if (dev->mtu < VSYNC_MIN_MTU) {
			netdev_warn(dev, "vsync: MTU %u below %u, ring deleted\n",
				    dev->mtu, VSYNC_MIN_MTU);
			vsync_ring_del(r);
			break;
		}
		mtu = vsync_media_mtu(r->media, dev);
		if (mtu == r->mtu)
			break;	/* (IPoIB's is capped) */
		spin_lock_bh(&r->lock);
		r->mtu = mtu;
		/*
		 * Gather builds no frames; the members agree on their size
		 * anew in the next commit token (and an aborted recovery
		 * keeps them within the new MTU).
		 */
		vsync_memb_gather(r, 0);
		spin_unlock_bh(&r->lock);
		vsync_ring_flush(r);
		break;
	case NETDEV_CHANGEADDR:
		spin_lock_bh(&r->lock);
		memcpy(r->hwaddr, dev->dev_addr, r->media->hwaddr_len);
		/* Peers learn the new address from our join messages. */
		vsync_memb_gather(r, 0);
		spin_unlock_bh(&r->lock);
		vsync_ring_flush(r);
		break;
	case NETDEV_DOWN:
	case NETDEV_UP:
		/*
		 * Down: nothing reaches the ring, so form a ring of one at
		 * once rather than after a token timeout. Up: look for the
		 * others again.
		 */
		spin_lock_bh(&r->lock);
		vsync_memb_gather(r, 0);
		spin_unlock_bh(&r->lock);
		vsync_ring_flush(r);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block vsync_netdev_notifier = {
	.notifier_call = vsync_netdev_event,
};

/**
 * vsync_ring_init() - start following netdevice events
 *
 * Return: 0 or a negative errno.
 */
int __init vsync_ring_init(void)
{
	return register_netdevice_notifier(&vsync_netdev_notifier);
}

/**
 * vsync_ring_uninit() - stop following netdevice events
 *
 * The rings themselves go with the namespaces, in vsync_netns_uninit().
 */
void vsync_ring_uninit(void)
{
	unregister_netdevice_notifier(&vsync_netdev_notifier);
}
