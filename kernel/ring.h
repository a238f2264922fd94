/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsync: the ring object and the Totem protocol state it carries.
 *
 * Locking rules for everything declared here:
 *  - vsync_ring.lock (a spinlock, taken with BHs off from process context)
 *    guards all protocol state: the state machine, the stores, the token,
 *    the membership sets, the send queue, the list of bound sockets and the
 *    timers' decisions. The receive path (softirq) and the timers (soft
 *    hrtimers, softirq) take it plainly.
 *  - Frames are never transmitted under the lock: they are queued on
 *    vsync_ring.txq and sent by vsync_ring_flush() after the unlock.
 *  - Configuration fields (cfg, node_id, dev, media, mtu) change only under
 *    RTNL *and* the lock, so either suffices to read them.
 *  - A ring is freed through kref + RCU; the receive path relies on
 *    dev_remove_pack() + synchronize_net() instead of a reference.
 *  - Lock order: RTNL, then vsync_ring.lock, then a socket's queue lock.
 *  - vsync_pages.lock (a mutex, pages.c) is taken by senders in process
 *    context only, never under vsync_ring.lock.
 */
#ifndef _VSYNC_RING_H
#define _VSYNC_RING_H

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/sizes.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>

#include "fc.h"
#include "proto.h"
#include "vsync.h"

/* Timer defaults in milliseconds, and the limits the netlink policy uses. */
#define VSYNC_DEF_TOKEN_TIMEOUT		50
#define VSYNC_DEF_TOKEN_RETRANSMIT	10
#define VSYNC_DEF_JOIN_TIMEOUT		10
#define VSYNC_DEF_CONSENSUS_TIMEOUT	80
/*
 * The window (frames per rotation) that grows with the ring, the default:
 * this many frames per member, at least VSYNC_WINDOW_AUTO_MIN. A fixed
 * window lets each node of a large ring send only a frame or two per
 * rotation, however long the rotation; see vsync_ring_window().
 */
#define VSYNC_DEF_WINDOW		VSYNC_WINDOW_AUTO
#define VSYNC_WINDOW_AUTO_PER_NODE	8
#define VSYNC_WINDOW_AUTO_MIN		64
#define VSYNC_DEF_MAX_MESSAGES		16
#define VSYNC_TOKEN_TIMEOUT_MIN		2
#define VSYNC_TOKEN_TIMEOUT_MAX		60000
#define VSYNC_TIMER_MIN			1
#define VSYNC_TIMER_MAX			60000
#define VSYNC_CONSENSUS_MAX		120000
#define VSYNC_WINDOW_MAX		4096

/*
 * Debug messages of a ring (dynamic debug: "module vsync +p"). They name
 * the node: in the tests every node's device is eth0.
 */
#define vsync_dbg(r, fmt, ...) do {					\
	const struct vsync_ring *__r = (r);				\
									\
	netdev_dbg(__r->dev, "vsync %u: " fmt, __r->node_id, ##__VA_ARGS__); \
} while (0)

/* Largest ring: the commit token must fit one frame at the minimum MTU. */
#define VSYNC_MAX_NODES			32
/* Frames a store holds, a power of two; bounds the sequence window. */
#define VSYNC_STORE_SIZE		16384
/*
 * Ring sequence numbers start at the clock's seconds << 16 (about 2^47) and
 * grow by one per new ring; nodes differ by their clocks (2^41 a year). A
 * join or commit token naming one at or above the limit, or more than the
 * jump above the highest we know, is refused: a single frame could
 * otherwise bring the counter to its wrap, after which new rings look
 * older than old ones, or to the limit, after which every ring we make is
 * refused.
 */
#define VSYNC_RING_SEQ_LIMIT		BIT_ULL(63)
#define VSYNC_RING_SEQ_JUMP		BIT_ULL(48)
/* Retransmission requests one token carries. */
#define VSYNC_RTR_MAX			64
/*
 * Token visits in a row, and milliseconds beyond a token timeout, with the
 * token's aru below its seq and unmoved, after which a node starts a new
 * ring with the same members: nobody holds the next frame (after Totem's
 * fail-to-receive rule, which instead fails the node that lacks it).
 * Recovery then delivers what anyone holds and skips the rest, the same
 * everywhere.
 */
#define VSYNC_STALL_VISITS		200
#define VSYNC_STALL_MIN_MS		100
/* Smallest frame payload a device must carry. */
#define VSYNC_MIN_MTU			1024

/**
 * struct vsync_media - a link layer vsync runs on
 * @name: "eth" or "ib"
 * @type: the ARPHRD_* type of its netdevices
 * @hwaddr_len: length of its hardware addresses
 * @ethertype: the default EtherType of rings on it
 * @fixed_ethertype: the medium carries no other EtherType of ours
 * @max_frame: vsync frames are never larger, whatever the device MTU
 * @node_id: derives a node id from a hardware address
 * @mcast_ok: whether an address is a multicast address of the medium
 */
struct vsync_media {
	const char *name;
	unsigned short type;
	u8 hwaddr_len;
	u16 ethertype;
	bool fixed_ethertype;
	unsigned int max_frame;
	u32 (*node_id)(const u8 *hwaddr);
	bool (*mcast_ok)(const u8 *addr);
};

/**
 * struct vsync_config - per ring tunables
 * @token_timeout: ms without the token before membership starts
 * @token_retransmit: ms before an unacknowledged token is sent again
 * @join_timeout: ms between join messages in gather
 * @consensus_timeout: ms to wait for consensus before failing the silent
 * @window: frames all nodes together may send per rotation;
 *	VSYNC_WINDOW_AUTO: see vsync_ring_window()
 * @max_messages: frames one node may send per token visit
 * @ethertype: the EtherType of the ring's frames
 */
struct vsync_config {
	u32 token_timeout;
	u32 token_retransmit;
	u32 join_timeout;
	u32 consensus_timeout;
	u32 window;
	u32 max_messages;
	u16 ethertype;
};

/* Pages a ring keeps for message data (pages.c): 1 MiB of them. */
#define VSYNC_PAGES	(SZ_1M >> PAGE_SHIFT)

/**
 * struct vsync_pages - pages for message data, used again once free
 * @lock: guards the rest
 * @next: the slot to look at first
 * @head_page: the page small messages' heads are cut from, with a
 *	reference of its own until it is used up, or NULL
 * @head_off: where in @head_page the next head starts
 * @page: the pages, each with a reference of the pool's own, or NULL
 */
struct vsync_pages {
	struct mutex lock;	/* see above */
	unsigned int next;
	struct page *head_page;
	unsigned int head_off;
	struct page *page[VSYNC_PAGES];
};

/**
 * struct vsync_ring_id - names one installed ring
 * @rep: the representative, the lowest node id of the ring
 * @seq: a sequence number larger than any earlier ring's of its members
 */
struct vsync_ring_id {
	u32 rep;
	u64 seq;
};

/**
 * struct vsync_node - a node and its hardware address
 * @id: node id
 * @hwaddr: hardware address, media hwaddr_len bytes are valid
 */
struct vsync_node {
	u32 id;
	u8 hwaddr[VSYNC_HWADDR_MAX];
};

/**
 * struct vsync_store - the frames of one ring, by sequence number
 * @slot: VSYNC_STORE_SIZE frames, frame s at s & (VSYNC_STORE_SIZE - 1)
 * @base: frames up to here are released; slots hold (base, base + size]
 * @aru: every frame up to here is held or released (all received up to)
 * @high: the highest sequence number held
 * @delivered: frames up to here are delivered
 */
struct vsync_store {
	struct sk_buff **slot;
	u64 base;
	u64 aru;
	u64 high;
	u64 delivered;
};

/* Whether frame @seq falls in the store's window. */
static inline bool vsync_store_window(const struct vsync_store *s, u64 seq)
{
	return seq > s->base && seq <= s->base + VSYNC_STORE_SIZE;
}

/**
 * struct vsync_reasm - a message being reassembled from fragments
 * @origin: node that sent it
 * @head: first fragment; later ones hang on its frag_list
 * @tail: last fragment on the list
 * @total: announced length of the whole message
 * @len: bytes gathered so far
 * @port: sending socket's member id
 * @ctrl: a group control message
 * @group: group name
 */
struct vsync_reasm {
	u32 origin;
	u32 port;
	bool ctrl;
	char group[VSYNC_GROUP_MAX];
	struct sk_buff *head;
	struct sk_buff *tail;
	u32 total;
	u32 len;
};

/**
 * struct vsync_tok - the regular token, in host order
 * @token_seq: hop counter
 * @seq: highest sequence number assigned
 * @aru: all received up to
 * @install_seq: recovery is complete up to here (with VSYNC_TF_INSTALL)
 * @aru_id: who lowered @aru
 * @fcc: frames sent in the last rotation
 * @backlog: frames left waiting after each visit, summed over a rotation
 * @recov_mask: members that still have frames to recover
 * @flags: VSYNC_TF_*
 * @n_rtr: entries in @rtr
 * @demand: frames queued at each visit before sending, summed over a rotation
 * @rtr: sequence numbers to retransmit
 */
struct vsync_tok {
	u64 token_seq;
	u64 seq;
	u64 aru;
	u64 install_seq;
	u32 aru_id;
	u32 fcc;
	u32 backlog;
	u32 recov_mask;
	u16 flags;
	u16 n_rtr;
	u32 demand;
	u64 rtr[VSYNC_RTR_MAX];
};

/**
 * struct vsync_old_ring - what a member brings from its previous ring
 * @id: that ring
 * @aru: its all-received-up-to there
 * @safe: how far it delivered safe messages there
 */
struct vsync_old_ring {
	struct vsync_ring_id id;
	u64 aru;
	u64 safe;
};

enum vsync_timer {
	VSYNC_T_TOKEN,		/* token loss */
	VSYNC_T_RETRANS,	/* token retransmit */
	VSYNC_T_HOLD,		/* idle token hold at the representative */
	VSYNC_T_JOIN,		/* join resend in gather */
	VSYNC_T_CONSENSUS,	/* consensus give up */
	VSYNC_T_MERGE,		/* merge detect broadcast */
	VSYNC_T_NUM,
};

/**
 * struct vsync_ring - a Totem ring on one netdevice
 * @list: entry in vsync_net.rings
 * @ref: references: the namespace's list and every bound socket
 * @rcu: frees the ring after readers are done
 * @vn: the namespace
 * @dev: the netdevice, held
 * @dev_tracker: tracks the reference on @dev
 * @media: the link layer
 * @pt: our packet handler on @dev
 * @cfg: tunables
 * @node_id: this node's id
 * @hwaddr: this node's hardware address
 * @mcast: destination of broadcasts
 * @mc_joined: @mcast is a group of the ring's own, joined on @dev
 * @mtu: largest frame payload: vsync header and body, what our device takes
 * @lock: protects everything below, see the top of this file
 * @state: enum vsync_ring_state
 * @dead: deleted; no more protocol activity
 * @id: the installed ring
 * @max_ring_seq: the highest ring sequence number this node has seen
 * @frame_mtu: largest frame this ring sends: the smallest @mtu of the
 *	members, agreed in the commit token when the ring is entered (a
 *	member with a smaller MTU would drop the larger frames and stall the
 *	ring); within @mtu whenever frames are built (an MTU change goes
 *	to gather, which builds none)
 * @old_frame_mtu: @frame_mtu of the old ring, during recovery
 * @memb: members of the installed ring, sorted by id
 * @n_memb: entries in @memb
 * @store: frames of the installed ring
 * @token_seq: hop counter of the last token accepted
 * @deadline: when VSYNC_T_TOKEN (the token lost) and VSYNC_T_CONSENSUS
 *	(no consensus) give up, in ktime_get() nanoseconds, not counting
 *	time this node was not run; they tick every quarter of their
 *	timeout until then (vsync_ring_deadline_start()). The other
 *	timers' entries are not used
 * @tok: the last token sent (for retransmission) or held
 * @tok_held: this node holds @tok (idle hold, or a ring of one)
 * @wake_ok: nothing of ours was queued when we passed the token: a new
 *	message here sends a WAKE to the representative, once
 * @wake_pending: the representative: a WAKE came while it did not hold the
 *	token; do not hold it at the next visit
 * @tok_sent: @tok went out and may need retransmission
 * @prev_aru: the token's aru at the previous visit, for safe delivery
 * @stall_aru: the token's aru when it last moved (VSYNC_STALL_VISITS)
 * @stall_visits: visits since then with frames missing somewhere
 * @stall_since: jiffies when the first of them began
 * @safe: frames up to here are known to be held by every member
 * @fc: this node's parts of the token's flow control sums (fc.h)
 * @backlog_last: backlog this node reported at its previous visit
 * @idle_seq: the representative: the token's seq at its previous visit
 * @idle_visits: the representative: visits in a row that found the ring
 *	idle (nothing new, all received), up to VSYNC_IDLE_VISITS
 * @last_safe_seq: the highest frame seen that holds a safe message
 * @safe_done_seq: the representative: frames up to here are delivered as
 *	safe everywhere (VSYNC_IDLE_VISITS idle rotations went by)
 * @clean_seq: recovery: token seq at the last clean visit
 * @clean_visits: recovery: consecutive clean visits
 * @low_aru: recovery: lowest aru of the members from our old ring
 * @max_safe: recovery: highest safe point of the members from our old ring
 * @old_safe: recovery: @safe in our old ring, for going back to it
 * @proc: gather: nodes that should form the new ring
 * @n_proc: entries in @proc
 * @fail: gather: nodes considered failed
 * @n_fail: entries in @fail
 * @consensus: gather: bit i set when @proc[i] agrees with our sets
 * @heard: gather: bit i set when @memb[i] sent a join in this gather
 * @join_ticks: gather: join ticks since gather began, not counting
 *	those late by a pause, up to VSYNC_SILENT_JOINS
 * @nodes: every node heard from, with its hardware address
 * @n_nodes: entries in @nodes
 * @commit_rotation: round of the commit token we hold or sent last
 * @commit_filled: entries of @old filled in so far
 * @commit_mtu: the commit token's mtu: the smallest of the members so far
 * @commit_sent: a commit token went out and may need retransmission
 * @new_id: the ring being formed
 * @new_memb: its members
 * @n_new: entries in @new_memb
 * @old: per member of @new_memb, what it brings from its previous ring
 * @old_store: recovery: frames of our previous ring
 * @old_id: recovery: our previous ring
 * @old_memb: recovery: members of our previous ring
 * @n_old_memb: entries in @old_memb
 * @recov_next: recovery: the next frame of @old_store to send again
 * @recov_end: recovery: the frames to send again end before this one
 * @recov_off: recovery: bytes of @recov_next's entries sent in pieces
 * @recov_done: recovery: frames of @store up to here are taken in
 * @recov_partial: recovery: old frames being put together from pieces
 * @recov_lost: recovery: a frame being put together was given up (forged
 *	or corrupt pieces); this ring cannot install
 * @sendq: messages from local sockets waiting for the token
 * @send_off: bytes of the head of @sendq already sent
 * @sendq_bytes: bytes in @sendq
 * @reasm: reassembly, one per possible origin
 * @groups: process groups on this ring (group.c)
 * @groups_before: during a sync: the groups as they were before it
 * @syncing: after a merge, until every member's SYNC is delivered
 * @sync_from: during a sync: the old ring we came from when it began
 * @view_from: the old ring that names our transitional views (see
 *	vsync_group_trans())
 * @group_resync: group state may differ from the others' (out of memory)
 * @group_trans: at install, between the transitional configuration and
 *	the regular one (vsync_group_trans() to vsync_group_regular())
 * @group_gen: bumped on every membership change, for consistent dumps;
 *	written under the lock, read without it (READ_ONCE) by the dump
 * @sync_pending: members whose SYNC is still to come
 * @n_sync_pending: entries in @sync_pending
 * @pos: the ring id and sequence number of the frame being delivered, or
 *	of the configuration change (sequence 0): where a view takes effect
 * @pos_seq: see @pos
 * @socks: bound sockets
 * @socks_wake_later: sockets given data are marked, and woken by
 *	vsync_sock_wake() before the ring lock is dropped, not at once
 * @socks_to_wake: some socket is marked
 * @txq: frames to transmit once the lock is dropped
 * @ntfq: netlink notifications to send once the lock is dropped
 * @timer: the protocol timers
 * @stats: counters, indexed by enum vsync_a_stats
 * @pages: pages for the data of large messages sent from here (pages.c)
 */
struct vsync_ring {
	struct list_head list;
	struct kref ref;
	struct rcu_head rcu;
	struct vsync_net *vn;
	struct net_device *dev;
	netdevice_tracker dev_tracker;
	const struct vsync_media *media;
	struct packet_type pt;

	struct vsync_config cfg;
	u32 node_id;
	u8 hwaddr[VSYNC_HWADDR_MAX];
	u8 mcast[VSYNC_HWADDR_MAX];
	bool mc_joined;
	unsigned int mtu;

	spinlock_t lock;	/* see the top of this file */
	int state;
	bool dead;
	struct vsync_ring_id id;
	u64 max_ring_seq;
	unsigned int frame_mtu;
	unsigned int old_frame_mtu;
	struct vsync_node memb[VSYNC_MAX_NODES];
	int n_memb;
	struct vsync_store store;

	u64 token_seq;
	s64 deadline[VSYNC_T_NUM];
	struct vsync_tok tok;
	bool tok_held;
	bool wake_ok;
	bool wake_pending;
	bool tok_sent;
	u64 prev_aru;
	u64 stall_aru;
	int stall_visits;
	unsigned long stall_since;
	u64 safe;
	struct vsync_fc fc;
	u32 backlog_last;
	u64 idle_seq;
	int idle_visits;
	u64 last_safe_seq;
	u64 safe_done_seq;
	u64 clean_seq;
	int clean_visits;
	u64 low_aru;
	u64 max_safe;
	u64 old_safe;

	u32 proc[VSYNC_MAX_NODES];
	int n_proc;
	u32 fail[VSYNC_MAX_NODES];
	int n_fail;
	unsigned long consensus;
	unsigned long heard;
	int join_ticks;
	struct vsync_node nodes[2 * VSYNC_MAX_NODES];
	int n_nodes;

	u8 commit_rotation;
	u8 commit_filled;
	u16 commit_mtu;
	bool commit_sent;
	struct vsync_ring_id new_id;
	u32 new_memb[VSYNC_MAX_NODES];
	int n_new;
	struct vsync_old_ring old[VSYNC_MAX_NODES];
	struct vsync_store old_store;
	struct vsync_ring_id old_id;
	u32 old_memb[VSYNC_MAX_NODES];
	int n_old_memb;
	u64 recov_next;
	u64 recov_end;
	u32 recov_off;
	u64 recov_done;
	struct sk_buff_head recov_partial;
	bool recov_lost;

	struct sk_buff_head sendq;
	u32 send_off;
	u64 sendq_bytes;
	struct vsync_reasm reasm[VSYNC_MAX_NODES];

	struct list_head groups;
	struct list_head groups_before;
	bool syncing;
	struct vsync_ring_id sync_from;
	struct vsync_ring_id view_from;
	bool group_resync;
	bool group_trans;
	u32 group_gen;
	u32 sync_pending[VSYNC_MAX_NODES];
	int n_sync_pending;

	struct vsync_ring_id pos;
	u64 pos_seq;

	struct list_head socks;
	bool socks_wake_later;
	bool socks_to_wake;
	struct sk_buff_head txq;
	struct sk_buff_head ntfq;
	struct hrtimer timer[VSYNC_T_NUM];
	atomic64_t stats[VSYNC_A_STATS_MAX + 1];
	struct vsync_pages pages;
};

/* The body of a stored message frame (linear up to its entries). */
static inline const struct vsync_mcast *vsync_mcast_of(const struct sk_buff *f)
{
	return (const struct vsync_mcast *)(f->data + sizeof(struct vsync_hdr));
}

static inline void vsync_count(struct vsync_ring *r, int counter)
{
	atomic64_inc(&r->stats[counter]);
}

static inline void vsync_count_add(struct vsync_ring *r, int counter, u64 n)
{
	atomic64_add(n, &r->stats[counter]);
}

/**
 * vsync_ring_window() - the flow control window in use
 * @r: the ring, locked
 *
 * The configured window, or with VSYNC_WINDOW_AUTO one that grows with the
 * members of the current ring: VSYNC_WINDOW_AUTO_PER_NODE frames each, at
 * least VSYNC_WINDOW_AUTO_MIN (at most 8 * VSYNC_MAX_NODES = 256).
 *
 * Return: frames all members together may send per rotation.
 */
static inline u32 vsync_ring_window(const struct vsync_ring *r)
{
	if (r->cfg.window != VSYNC_WINDOW_AUTO)
		return r->cfg.window;
	return max_t(u32, VSYNC_WINDOW_AUTO_MIN,
		     VSYNC_WINDOW_AUTO_PER_NODE * r->n_memb);
}

/* ring.c */
void vsync_ring_put(struct vsync_ring *r);
struct vsync_ring *vsync_ring_get_by_ifindex(struct net *net, int ifindex);
void vsync_ring_flush(struct vsync_ring *r);
void vsync_ring_timer_start(struct vsync_ring *r, enum vsync_timer t,
			    u32 ms);
void vsync_ring_timer_start_at(struct vsync_ring *r, enum vsync_timer t,
			       ktime_t expires);
void vsync_ring_timer_stop(struct vsync_ring *r, enum vsync_timer t);
void vsync_ring_deadline_start(struct vsync_ring *r, enum vsync_timer t,
			       u32 ms);
bool vsync_ring_deadline_due(struct vsync_ring *r, enum vsync_timer t,
			     u32 ms);
bool vsync_ring_timer_paused(struct vsync_ring *r, enum vsync_timer t);
void vsync_ring_notify_view(struct vsync_ring *r);

/* media.c */
const struct vsync_media *vsync_media_find(const struct net_device *dev);
unsigned int vsync_media_mtu(const struct vsync_media *m,
			     const struct net_device *dev);

/* bearer.c */
int vsync_bearer_enable(struct vsync_ring *r);
void vsync_bearer_disable(struct vsync_ring *r);
struct sk_buff *vsync_frame_alloc(struct vsync_ring *r, unsigned int len,
				  gfp_t gfp);
void vsync_frame_queue(struct vsync_ring *r, struct sk_buff *skb,
		       const u8 *dst);
int vsync_rcv_check(struct vsync_ring *r, struct sk_buff *skb);
unsigned int vsync_rcv_dispatch(struct vsync_ring *r, struct sk_buff *list);

/* bundle.c */
bool vsync_bundle_ok(const struct vsync_ring *r);
void vsync_bundle_xmit(struct vsync_ring *r, struct sk_buff_head *q,
		       bool bundle);
bool vsync_bundle_is(const struct sk_buff *skb);
int vsync_bundle_rcv(struct vsync_ring *r, struct sk_buff *skb);

/* srp.c */
int vsync_store_init(struct vsync_store *s);
void vsync_store_free(struct vsync_store *s);
void vsync_store_reset(struct vsync_store *s);
void vsync_srp_rcv_mcast(struct vsync_ring *r, struct sk_buff *skb);
void vsync_srp_rcv_token(struct vsync_ring *r, struct sk_buff *skb);
void vsync_srp_token_watch(struct vsync_ring *r);
void vsync_srp_token_timer(struct vsync_ring *r);
void vsync_srp_token_retransmit(struct vsync_ring *r);
void vsync_srp_hold_expired(struct vsync_ring *r);
void vsync_srp_start_token(struct vsync_ring *r);
void vsync_sendq_add(struct vsync_ring *r, struct sk_buff *msg, bool first);
void vsync_srp_kick(struct vsync_ring *r);
void vsync_srp_kick_later(struct vsync_ring *r);
void vsync_srp_rcv_wake(struct vsync_ring *r, struct sk_buff *skb);
void vsync_srp_deliver(struct vsync_ring *r, struct vsync_store *s,
		       u64 upto, u64 safe_upto);
void vsync_srp_deliver_frame(struct vsync_ring *r, struct sk_buff *f);
void vsync_srp_reasm_reset(struct vsync_ring *r);
struct sk_buff *vsync_store_get(struct vsync_store *s, u64 seq);
int vsync_store_put(struct vsync_store *s, u64 seq, struct sk_buff *skb);
bool vsync_mcast_valid(const u8 *data, unsigned int pos, unsigned int end,
		       bool inner);
void vsync_hdr_fill(struct vsync_ring *r, struct vsync_hdr *h, u8 type,
		    unsigned int len);
void vsync_srp_reset(struct vsync_ring *r);

/* recov.c */
void vsync_recov_start(struct vsync_ring *r, u64 from, u64 to);
void vsync_recov_reset(struct vsync_ring *r);
struct sk_buff *vsync_recov_build(struct vsync_ring *r, u64 seq);
void vsync_recov_take(struct vsync_ring *r, u64 upto);
u32 vsync_recov_left(const struct vsync_ring *r);
bool vsync_recov_pending(const struct vsync_ring *r);

/* memb.c */
void vsync_memb_start(struct vsync_ring *r);
void vsync_memb_gather(struct vsync_ring *r, u32 failed);
void vsync_memb_leave(struct vsync_ring *r);
void vsync_memb_rcv_join(struct vsync_ring *r, struct sk_buff *skb);
void vsync_memb_rcv_commit(struct vsync_ring *r, struct sk_buff *skb);
void vsync_memb_rcv_leave(struct vsync_ring *r, struct sk_buff *skb);
void vsync_memb_rcv_merge(struct vsync_ring *r, struct sk_buff *skb);
void vsync_memb_join_timer(struct vsync_ring *r);
void vsync_memb_consensus_timer(struct vsync_ring *r);
void vsync_memb_merge_timer(struct vsync_ring *r);
void vsync_memb_recovery_check(struct vsync_ring *r, struct vsync_tok *t);
bool vsync_memb_commit_retransmit(struct vsync_ring *r);
int vsync_memb_index(const struct vsync_node *set, int n, u32 id);

/* af_vsync.c */
/**
 * struct vsync_skb_cb - a queued message's metadata, in skb->cb
 * @port: sending socket's member id
 * @name_len: the group name's length; the name starts the data, padded
 *	with zeroes to a multiple of 4 as in a frame (vsync_msg_data_off())
 * @safe: deliver only once safe
 * @ctrl: a group control message: 1 join or leave, 2 this node's sync
 */
struct vsync_skb_cb {
	u32 port;
	u8 name_len;
	u8 safe;
	u8 ctrl;
};

#define VSYNC_SKB_CB(skb) ((struct vsync_skb_cb *)(skb)->cb)

/* Headers of every message frame. */
#define VSYNC_FRAME_FIXED	(sizeof(struct vsync_hdr) + \
				 sizeof(struct vsync_mcast))
/*
 * Room a socket keeps in front of a small message: the headers of a frame
 * that holds that message alone (see vsync_build_frame()).
 */
#define VSYNC_MSG_HEADROOM	(LL_MAX_HEADER + VSYNC_FRAME_FIXED + \
				 sizeof(struct vsync_entry))

/* Where a queued message's data starts: after its name and the padding. */
static inline unsigned int vsync_msg_data_off(const struct sk_buff *msg)
{
	return ALIGN(VSYNC_SKB_CB(msg)->name_len, 4);
}

/* Puts a group name at the start of a new message, padded with zeroes. */
static inline void vsync_msg_put_name(struct sk_buff *msg, const char *name,
				      u8 name_len)
{
	u8 *p = skb_put(msg, ALIGN(name_len, 4));

	memcpy(p, name, name_len);
	memset(p + name_len, 0, ALIGN(name_len, 4) - name_len);
	VSYNC_SKB_CB(msg)->name_len = name_len;
}

void vsync_sock_deliver(struct vsync_ring *r, struct sk_buff *msg,
			u32 origin, u32 port, const char *group);
void vsync_sock_group_view(struct vsync_ring *r, const char *group, u32 kind,
			   const struct vsync_member *m, u32 n);
unsigned int vsync_sock_local_members(struct vsync_ring *r,
				      struct vsync_sync_rec *recs,
				      unsigned int max);
void vsync_sock_joined(struct vsync_ring *r, u32 port);
void vsync_sock_wake(struct vsync_ring *r);

/* group.c */
struct sk_buff *vsync_group_ctrl_msg(u32 op, const char *name, u8 name_len,
				     u32 port, gfp_t gfp);
void vsync_group_rcv_ctrl(struct vsync_ring *r, u32 origin, u32 port,
			  const char *group, struct sk_buff *msg);
void vsync_group_trans(struct vsync_ring *r, const u32 *trans, int n);
void vsync_group_regular(struct vsync_ring *r, bool merged);
void vsync_group_reset(struct vsync_ring *r);
u32 vsync_group_members(struct vsync_ring *r, const char *name,
			struct vsync_member *out, u32 max);

static inline int vsync_set_find_u32(const u32 *set, int n, u32 id)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == id)
			return i;
	return -1;
}

void vsync_sock_ring_gone(struct vsync_ring *r);

/* pages.c */
void vsync_pages_init(struct vsync_pages *p);
void vsync_pages_uninit(struct vsync_pages *p);
int vsync_pages_fill(struct vsync_ring *r, struct sk_buff *skb, size_t len,
		     gfp_t gfp);
void *vsync_pages_head(struct vsync_ring *r, unsigned int size, gfp_t gfp);

#endif /* _VSYNC_RING_H */
