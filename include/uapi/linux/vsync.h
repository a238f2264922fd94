/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * vsync: symmetric active/active replication with Totem total order.
 *
 * This header is the one contract between vsync.ko and userspace. It holds
 * the generic netlink family (the administrator's interface) and the
 * AF_VSYNC socket interface (the replicated service's interface).
 *
 * Generic netlink family "vsync", version 1
 * ==========================================
 *
 * Every command's attributes are at the top level of the message, from the
 * attribute set named beside the command. Commands that change something
 * need CAP_NET_ADMIN in the user namespace that owns the network namespace;
 * reads are open to everyone. Errors carry an extack message.
 *
 *   VSYNC_CMD_INFO_GET (do)                         set: vsync_a_info
 *     reply:
 *       VSYNC_A_INFO_VERSION        string  module version, "0.1.0"
 *       VSYNC_A_INFO_FAMILY         u32     socket family number in use
 *       VSYNC_A_INFO_PROTOCOL       u32     wire protocol version
 *       VSYNC_A_INFO_RINGS          u32     rings in this network namespace
 *
 *   VSYNC_CMD_RING_NEW (do, admin)                   set: vsync_a_ring
 *     request:
 *       VSYNC_A_RING_IFINDEX or VSYNC_A_RING_IFNAME   (one is required)
 *       VSYNC_A_RING_NODE_ID        u32     optional, default: derived from
 *                                           the hardware address
 *       VSYNC_A_RING_ETHERTYPE      u16     optional, default 0x88B5; on
 *                                           IPoIB always 0x88CA (ipoib
 *                                           carries no other of ours)
 *       VSYNC_A_RING_MCAST_ADDR     binary  optional, default: the device's
 *                                           broadcast address
 *       VSYNC_A_RING_TOKEN_TIMEOUT ... VSYNC_A_RING_MAX_MESSAGES
 *                                   u32     optional, see the defaults below
 *
 *   VSYNC_CMD_RING_DEL (do, admin)                   set: vsync_a_ring
 *     request: VSYNC_A_RING_IFINDEX or VSYNC_A_RING_IFNAME
 *
 *   VSYNC_CMD_RING_GET (do, dump)                    set: vsync_a_ring
 *     do request: VSYNC_A_RING_IFINDEX or VSYNC_A_RING_IFNAME
 *     reply, one message per ring:
 *       VSYNC_A_RING_IFINDEX        u32
 *       VSYNC_A_RING_IFNAME         string
 *       VSYNC_A_RING_MEDIA          string  "eth" or "ib"
 *       VSYNC_A_RING_HWADDR         binary  this node's hardware address
 *       VSYNC_A_RING_MCAST_ADDR     binary
 *       VSYNC_A_RING_MTU            u32     largest frame payload
 *       VSYNC_A_RING_FRAME_MTU      u32     largest frame of the ring: the
 *                                           smallest MTU of its members
 *       VSYNC_A_RING_NODE_ID        u32
 *       VSYNC_A_RING_ETHERTYPE      u16
 *       VSYNC_A_RING_TOKEN_TIMEOUT ... VSYNC_A_RING_MAX_MESSAGES   u32
 *                                           (the window: the one in use)
 *       VSYNC_A_RING_WINDOW_AUTO    flag    the window grows with the ring
 *       VSYNC_A_RING_STATE          u32     enum vsync_ring_state
 *       VSYNC_A_RING_REP            u32     ring id: representative node
 *       VSYNC_A_RING_SEQ            u64     ring id: sequence
 *       VSYNC_A_RING_MEMBERS        nest
 *         VSYNC_A_MEMBER            nest, one per member   set: vsync_a_member
 *           VSYNC_A_MEMBER_NODE_ID  u32
 *           VSYNC_A_MEMBER_HWADDR   binary
 *           VSYNC_A_MEMBER_LOCAL    flag    this node
 *       VSYNC_A_RING_STATS          nest                   set: vsync_a_stats
 *         VSYNC_A_STATS_*           u64     counters, see enum vsync_a_stats
 *     A dump is consistent: if the rings change while it runs, the reply
 *     carries NLM_F_DUMP_INTR and should be repeated.
 *
 *   VSYNC_CMD_GROUP_GET (dump)                      set: vsync_a_group
 *     request: VSYNC_A_GROUP_IFINDEX (optional: only this ring's groups)
 *     reply, one message per process group:
 *       VSYNC_A_GROUP_IFINDEX       u32     the ring's device
 *       VSYNC_A_GROUP_NAME          string
 *       VSYNC_A_GROUP_MEMBERS       nest
 *         VSYNC_A_GROUP_MEMBER      nest, one per member  set: vsync_a_gmember
 *           VSYNC_A_GMEMBER_NODE_ID u32
 *           VSYNC_A_GMEMBER_PORT    u32
 *           VSYNC_A_GMEMBER_LOCAL   flag    a socket of this node
 *
 * Multicast groups:
 *   "config"  VSYNC_CMD_RING_NEW and VSYNC_CMD_RING_DEL notifications, with
 *             the ring attributes.
 *   "events"  VSYNC_CMD_VIEW_NTF: a ring installed a new view, with the ring
 *             attributes including VSYNC_A_RING_MEMBERS.
 *
 * Timer defaults (milliseconds) and ranges:
 *   token-timeout      50   [2, 60000]   token loss starts membership
 *   token-retransmit   10   [1, 60000]   resend an unacknowledged token
 *   join-timeout       10   [1, 60000]   resend join messages in gather
 *   consensus-timeout  80   [2, 120000]  give up waiting for consensus
 *   window             0    [0, 4096]    frames in flight per rotation;
 *                                        0 (VSYNC_WINDOW_AUTO): 8 per
 *                                        member of the ring, at least 64
 *   max-messages       16   [1, 4096]    frames one node sends per visit
 * A timer that is not given follows the others: token-retransmit is at
 * most token-timeout / 4, consensus-timeout at least token-timeout * 1.2,
 * join-timeout at most consensus-timeout / 4, max-messages at most window.
 * token-retransmit must stay below token-timeout, join-timeout below
 * consensus-timeout and max-messages at or below window (at or below 64
 * with window 0).
 *
 * AF_VSYNC sockets
 * ================
 *
 * The family number is not fixed: read it from
 * /sys/module/vsync/parameters/family or from VSYNC_A_INFO_FAMILY.
 *
 *   fd = socket(family, SOCK_SEQPACKET, 0);
 *   bind(fd, (struct sockaddr_vsync){ .svs_ifindex = ring device,
 *                                     .svs_group = "name" }, ...);
 *
 * Every message sent on a bound socket reaches every socket bound to the
 * same group on the ring, on every node, in one total order that is the
 * same everywhere. View changes arrive in the same stream: a view is a
 * message with MSG_OOB set in msg_flags, a VSYNC_CMSG_KIND control message
 * of VSYNC_KIND_VIEW_TRANSITIONAL or VSYNC_KIND_VIEW_REGULAR, and a
 * struct vsync_view as payload.
 */
#ifndef _UAPI_LINUX_VSYNC_H
#define _UAPI_LINUX_VSYNC_H

#include <linux/types.h>
#include <linux/socket.h>

#define VSYNC_GENL_NAME		"vsync"
#define VSYNC_GENL_VERSION	1
#define VSYNC_MCGRP_CONFIG	"config"
#define VSYNC_MCGRP_EVENTS	"events"

/** VSYNC_ETHERTYPE - default EtherType of vsync frames (IEEE local exp.) */
#define VSYNC_ETHERTYPE		0x88B5
/** VSYNC_PROTOCOL_VERSION - version byte carried in every frame */
#define VSYNC_PROTOCOL_VERSION	2
/** VSYNC_HWADDR_MAX - longest hardware address (InfiniBand) */
#define VSYNC_HWADDR_MAX	20
/** VSYNC_GROUP_MAX - size of a group name including its terminating NUL */
#define VSYNC_GROUP_MAX		64
/** VSYNC_MSG_MAX - largest message a socket can send */
#define VSYNC_MSG_MAX		(4U << 20)
/** VSYNC_WINDOW_AUTO - VSYNC_A_RING_WINDOW: 8 frames per member, at least 64 */
#define VSYNC_WINDOW_AUTO	0

/**
 * enum vsync_cmd - generic netlink commands
 * @VSYNC_CMD_UNSPEC: unused
 * @VSYNC_CMD_INFO_GET: module version and socket family number
 * @VSYNC_CMD_RING_NEW: create a ring on a netdevice
 * @VSYNC_CMD_RING_DEL: leave and delete a ring
 * @VSYNC_CMD_RING_GET: show one ring (do) or all rings (dump)
 * @VSYNC_CMD_VIEW_NTF: notification: a ring installed a new view
 * @VSYNC_CMD_GROUP_GET: dump the process groups and their members
 */
enum vsync_cmd {
	VSYNC_CMD_UNSPEC,
	VSYNC_CMD_INFO_GET,
	VSYNC_CMD_RING_NEW,
	VSYNC_CMD_RING_DEL,
	VSYNC_CMD_RING_GET,
	VSYNC_CMD_VIEW_NTF,
	VSYNC_CMD_GROUP_GET,

	__VSYNC_CMD_MAX,
	VSYNC_CMD_MAX = __VSYNC_CMD_MAX - 1
};

/**
 * enum vsync_a_info - attributes of VSYNC_CMD_INFO_GET
 * @VSYNC_A_INFO_UNSPEC: unused
 * @VSYNC_A_INFO_VERSION: module version string
 * @VSYNC_A_INFO_FAMILY: socket family number in use (u32)
 * @VSYNC_A_INFO_PROTOCOL: wire protocol version (u32)
 * @VSYNC_A_INFO_RINGS: number of rings in the namespace (u32)
 */
enum vsync_a_info {
	VSYNC_A_INFO_UNSPEC,
	VSYNC_A_INFO_VERSION,
	VSYNC_A_INFO_FAMILY,
	VSYNC_A_INFO_PROTOCOL,
	VSYNC_A_INFO_RINGS,

	__VSYNC_A_INFO_MAX,
	VSYNC_A_INFO_MAX = __VSYNC_A_INFO_MAX - 1
};

/**
 * enum vsync_ring_state - protocol state of a ring
 * @VSYNC_STATE_OPERATIONAL: a ring is installed and carries messages
 * @VSYNC_STATE_GATHER: looking for members after a token loss or a join
 * @VSYNC_STATE_COMMIT: the commit token circulates
 * @VSYNC_STATE_RECOVERY: old messages are exchanged before installing
 * @VSYNC_STATE_DOWN: the device is down; the ring waits for it
 */
enum vsync_ring_state {
	VSYNC_STATE_OPERATIONAL,
	VSYNC_STATE_GATHER,
	VSYNC_STATE_COMMIT,
	VSYNC_STATE_RECOVERY,
	VSYNC_STATE_DOWN,
};

/**
 * enum vsync_a_ring - attributes of a ring
 * @VSYNC_A_RING_UNSPEC: unused
 * @VSYNC_A_RING_PAD: padding for 64-bit attributes
 * @VSYNC_A_RING_IFINDEX: netdevice index (u32)
 * @VSYNC_A_RING_IFNAME: netdevice name (string, < IFNAMSIZ)
 * @VSYNC_A_RING_MEDIA: medium name, "eth" or "ib" (string)
 * @VSYNC_A_RING_HWADDR: this node's hardware address (binary)
 * @VSYNC_A_RING_MCAST_ADDR: destination of broadcasts (binary)
 * @VSYNC_A_RING_MTU: largest vsync frame payload in bytes (u32)
 * @VSYNC_A_RING_NODE_ID: this node's id, non-zero (u32)
 * @VSYNC_A_RING_ETHERTYPE: EtherType of the ring's frames (u16)
 * @VSYNC_A_RING_TOKEN_TIMEOUT: token loss timeout, ms (u32)
 * @VSYNC_A_RING_TOKEN_RETRANSMIT: token retransmit timeout, ms (u32)
 * @VSYNC_A_RING_JOIN_TIMEOUT: join resend interval, ms (u32)
 * @VSYNC_A_RING_CONSENSUS_TIMEOUT: consensus timeout, ms (u32)
 * @VSYNC_A_RING_WINDOW: flow control window in frames (u32); in a request
 *	VSYNC_WINDOW_AUTO (0) for one that grows with the ring, in a reply
 *	the window in use now
 * @VSYNC_A_RING_MAX_MESSAGES: frames one node sends per token visit (u32)
 * @VSYNC_A_RING_STATE: enum vsync_ring_state (u32)
 * @VSYNC_A_RING_REP: ring id, representative node id (u32)
 * @VSYNC_A_RING_SEQ: ring id, sequence (u64)
 * @VSYNC_A_RING_MEMBERS: nest of VSYNC_A_MEMBER nests
 * @VSYNC_A_RING_STATS: nest of enum vsync_a_stats
 * @VSYNC_A_RING_WINDOW_AUTO: the window grows with the ring (flag, replies)
 * @VSYNC_A_RING_FRAME_MTU: largest vsync frame payload the ring sends, the
 *	smallest VSYNC_A_RING_MTU of its members (u32, replies)
 */
enum vsync_a_ring {
	VSYNC_A_RING_UNSPEC,
	VSYNC_A_RING_PAD,
	VSYNC_A_RING_IFINDEX,
	VSYNC_A_RING_IFNAME,
	VSYNC_A_RING_MEDIA,
	VSYNC_A_RING_HWADDR,
	VSYNC_A_RING_MCAST_ADDR,
	VSYNC_A_RING_MTU,
	VSYNC_A_RING_NODE_ID,
	VSYNC_A_RING_ETHERTYPE,
	VSYNC_A_RING_TOKEN_TIMEOUT,
	VSYNC_A_RING_TOKEN_RETRANSMIT,
	VSYNC_A_RING_JOIN_TIMEOUT,
	VSYNC_A_RING_CONSENSUS_TIMEOUT,
	VSYNC_A_RING_WINDOW,
	VSYNC_A_RING_MAX_MESSAGES,
	VSYNC_A_RING_STATE,
	VSYNC_A_RING_REP,
	VSYNC_A_RING_SEQ,
	VSYNC_A_RING_MEMBERS,
	VSYNC_A_RING_STATS,
	VSYNC_A_RING_WINDOW_AUTO,
	VSYNC_A_RING_FRAME_MTU,

	__VSYNC_A_RING_MAX,
	VSYNC_A_RING_MAX = __VSYNC_A_RING_MAX - 1
};

/**
 * enum vsync_a_members - attributes inside VSYNC_A_RING_MEMBERS
 * @VSYNC_A_MEMBERS_UNSPEC: unused
 * @VSYNC_A_MEMBER: one member, a nest of enum vsync_a_member
 */
enum vsync_a_members {
	VSYNC_A_MEMBERS_UNSPEC,
	VSYNC_A_MEMBER,

	__VSYNC_A_MEMBERS_MAX,
	VSYNC_A_MEMBERS_MAX = __VSYNC_A_MEMBERS_MAX - 1
};

/**
 * enum vsync_a_member - attributes of one ring member
 * @VSYNC_A_MEMBER_UNSPEC: unused
 * @VSYNC_A_MEMBER_NODE_ID: node id (u32)
 * @VSYNC_A_MEMBER_HWADDR: hardware address (binary)
 * @VSYNC_A_MEMBER_LOCAL: flag, set for this node
 */
enum vsync_a_member {
	VSYNC_A_MEMBER_UNSPEC,
	VSYNC_A_MEMBER_NODE_ID,
	VSYNC_A_MEMBER_HWADDR,
	VSYNC_A_MEMBER_LOCAL,

	__VSYNC_A_MEMBER_MAX,
	VSYNC_A_MEMBER_MAX = __VSYNC_A_MEMBER_MAX - 1
};

/**
 * enum vsync_a_stats - counters of a ring, all u64
 * @VSYNC_A_STATS_UNSPEC: unused
 * @VSYNC_A_STATS_PAD: padding
 * @VSYNC_A_STATS_FRAMES_IN: frames received and accepted
 * @VSYNC_A_STATS_FRAMES_OUT: frames sent
 * @VSYNC_A_STATS_BYTES_IN: bytes received in accepted frames
 * @VSYNC_A_STATS_BYTES_OUT: bytes sent
 * @VSYNC_A_STATS_MSGS_SENT: messages this node ordered
 * @VSYNC_A_STATS_MSGS_DELIVERED: messages delivered in total order
 * @VSYNC_A_STATS_RETRANSMITS: frames sent again on request
 * @VSYNC_A_STATS_RTR_REQUESTS: retransmissions this node asked for
 * @VSYNC_A_STATS_TOKEN_ROTATIONS: token visits at this node
 * @VSYNC_A_STATS_TOKEN_RETRANSMITS: tokens sent again
 * @VSYNC_A_STATS_TOKEN_LOSSES: token timeouts
 * @VSYNC_A_STATS_VIEW_CHANGES: regular configurations installed
 * @VSYNC_A_STATS_DROP_SHORT: dropped: shorter than its header or length
 * @VSYNC_A_STATS_DROP_VERSION: dropped: unknown protocol version
 * @VSYNC_A_STATS_DROP_TYPE: dropped: unknown frame type
 * @VSYNC_A_STATS_DROP_RING: dropped: for another ring id
 * @VSYNC_A_STATS_DROP_SEQ: dropped: sequence number out of the window, a
 *	token numbered below the one this node passed on, or a frame held
 *	numbered above an arriving token (forged)
 * @VSYNC_A_STATS_DROP_SENDER: dropped: sender not a member, or this node
 * @VSYNC_A_STATS_DROP_MALFORMED: dropped: inconsistent content
 * @VSYNC_A_STATS_DROP_DUPLICATE: dropped: already held
 * @VSYNC_A_STATS_DROP_NOMEM: dropped: out of memory
 * @VSYNC_A_STATS_DUPLICATE_NODE_ID: frames from another node using our id
 * @VSYNC_A_STATS_RECV_STALLS: new rings started because no member received
 *	the next frame while the token went round many times (frames nobody
 *	holds, e.g. after a forged token), or because recovery went no
 *	further in as many rotations (a member out of memory)
 * @VSYNC_A_STATS_BUNDLES_OUT: bundles sent: runs of frames that left as
 *	one skb (fraglist GSO) because the device carries them
 * @VSYNC_A_STATS_BUNDLES_IN: bundles received; their frames count in
 *	@VSYNC_A_STATS_FRAMES_IN one by one
 * @VSYNC_A_STATS_PAGES_REUSED: pages for the data of large messages, or
 *	for the buffers of small ones, sent from this node that the ring
 *	used again, where a fresh page would have had to be zeroed
 * @VSYNC_A_STATS_PAUSES: ticks of the token timer, or in gather of the
 *	consensus timer (every quarter of the timeout, at least 1 ms), that
 *	fired a quarter of the timeout late or more: the node was not run
 *	meanwhile (a paused virtual machine, an overloaded host), and that
 *	lateness does not count against the timeout. Counted only while one
 *	of the two runs (not while a ring of one is operational); a shorter
 *	pause is not counted
 * @VSYNC_A_STATS_RECOVERY_PIECES: recovery frames sent that carry a piece
 *	of an old ring's frame, which was larger than the new ring's frames
 *	(a member with a smaller MTU joined, or an MTU went down)
 */
enum vsync_a_stats {
	VSYNC_A_STATS_UNSPEC,
	VSYNC_A_STATS_PAD,
	VSYNC_A_STATS_FRAMES_IN,
	VSYNC_A_STATS_FRAMES_OUT,
	VSYNC_A_STATS_BYTES_IN,
	VSYNC_A_STATS_BYTES_OUT,
	VSYNC_A_STATS_MSGS_SENT,
	VSYNC_A_STATS_MSGS_DELIVERED,
	VSYNC_A_STATS_RETRANSMITS,
	VSYNC_A_STATS_RTR_REQUESTS,
	VSYNC_A_STATS_TOKEN_ROTATIONS,
	VSYNC_A_STATS_TOKEN_RETRANSMITS,
	VSYNC_A_STATS_TOKEN_LOSSES,
	VSYNC_A_STATS_VIEW_CHANGES,
	VSYNC_A_STATS_DROP_SHORT,
	VSYNC_A_STATS_DROP_VERSION,
	VSYNC_A_STATS_DROP_TYPE,
	VSYNC_A_STATS_DROP_RING,
	VSYNC_A_STATS_DROP_SEQ,
	VSYNC_A_STATS_DROP_SENDER,
	VSYNC_A_STATS_DROP_MALFORMED,
	VSYNC_A_STATS_DROP_DUPLICATE,
	VSYNC_A_STATS_DROP_NOMEM,
	VSYNC_A_STATS_DUPLICATE_NODE_ID,
	VSYNC_A_STATS_RECV_STALLS,
	VSYNC_A_STATS_BUNDLES_OUT,
	VSYNC_A_STATS_BUNDLES_IN,
	VSYNC_A_STATS_PAGES_REUSED,
	VSYNC_A_STATS_PAUSES,
	VSYNC_A_STATS_RECOVERY_PIECES,

	__VSYNC_A_STATS_MAX,
	VSYNC_A_STATS_MAX = __VSYNC_A_STATS_MAX - 1
};

/**
 * enum vsync_a_group - attributes of a process group
 * @VSYNC_A_GROUP_UNSPEC: unused
 * @VSYNC_A_GROUP_IFINDEX: the ring's device (u32)
 * @VSYNC_A_GROUP_NAME: the group's name (string)
 * @VSYNC_A_GROUP_MEMBERS: nest of VSYNC_A_GROUP_MEMBER nests
 */
enum vsync_a_group {
	VSYNC_A_GROUP_UNSPEC,
	VSYNC_A_GROUP_IFINDEX,
	VSYNC_A_GROUP_NAME,
	VSYNC_A_GROUP_MEMBERS,

	__VSYNC_A_GROUP_MAX,
	VSYNC_A_GROUP_MAX = __VSYNC_A_GROUP_MAX - 1
};

/**
 * enum vsync_a_gmembers - attributes inside VSYNC_A_GROUP_MEMBERS
 * @VSYNC_A_GROUP_MEMBERS_UNSPEC: unused
 * @VSYNC_A_GROUP_MEMBER: one member, a nest of enum vsync_a_gmember
 */
enum vsync_a_gmembers {
	VSYNC_A_GROUP_MEMBERS_UNSPEC,
	VSYNC_A_GROUP_MEMBER,

	__VSYNC_A_GROUP_MEMBERS_MAX,
	VSYNC_A_GROUP_MEMBERS_MAX = __VSYNC_A_GROUP_MEMBERS_MAX - 1
};

/**
 * enum vsync_a_gmember - attributes of one member of a process group
 * @VSYNC_A_GMEMBER_UNSPEC: unused
 * @VSYNC_A_GMEMBER_NODE_ID: its node (u32)
 * @VSYNC_A_GMEMBER_PORT: its port on that node (u32)
 * @VSYNC_A_GMEMBER_LOCAL: flag, a socket of this node
 */
enum vsync_a_gmember {
	VSYNC_A_GMEMBER_UNSPEC,
	VSYNC_A_GMEMBER_NODE_ID,
	VSYNC_A_GMEMBER_PORT,
	VSYNC_A_GMEMBER_LOCAL,

	__VSYNC_A_GMEMBER_MAX,
	VSYNC_A_GMEMBER_MAX = __VSYNC_A_GMEMBER_MAX - 1
};

/* ------------------------------------------------------------------ */
/* AF_VSYNC sockets                                                    */
/* ------------------------------------------------------------------ */

/** SOL_VSYNC - socket option and control message level */
#define SOL_VSYNC		300

/**
 * struct sockaddr_vsync - address of a group, or of a sender
 * @svs_family: the vsync family number (see above)
 * @svs_reserved: zero
 * @svs_ifindex: index of the ring's netdevice; 0 picks the namespace's only
 *	ring
 * @svs_node: node id; ignored on bind, the sender's node on receive
 * @svs_port: member id; ignored on bind, the sender's member id on receive
 * @svs_group: group name, NUL-terminated, at most VSYNC_GROUP_MAX - 1 bytes
 */
struct sockaddr_vsync {
	__kernel_sa_family_t	svs_family;
	__u16			svs_reserved;
	__u32			svs_ifindex;
	__u32			svs_node;
	__u32			svs_port;
	char			svs_group[VSYNC_GROUP_MAX];
};

/* Socket options at level SOL_VSYNC (int unless said otherwise). */
#define VSYNC_SELF_DELIVERY	1	/* 1 (default): receive own messages */
#define VSYNC_DELIVERY		2	/* enum vsync_delivery for sends */
#define VSYNC_VIEW		3	/* get: struct vsync_view + members */
#define VSYNC_NODE_ID		4	/* get: this node's id (u32) */
#define VSYNC_PORT		5	/* get: this socket's member id (u32) */

/**
 * enum vsync_delivery - delivery guarantee of a message
 * @VSYNC_DELIVERY_AGREED: delivered once every earlier message is held
 * @VSYNC_DELIVERY_SAFE: delivered once every member is known to hold it
 */
enum vsync_delivery {
	VSYNC_DELIVERY_AGREED,
	VSYNC_DELIVERY_SAFE,
};

/* Control message types at level SOL_VSYNC. */
#define VSYNC_CMSG_KIND		1	/* recv: __u32 enum vsync_kind */
#define VSYNC_CMSG_DELIVERY	2	/* send: __u32 enum vsync_delivery */

/**
 * enum vsync_kind - what a received message is
 * @VSYNC_KIND_DATA: a message sent by a member
 * @VSYNC_KIND_VIEW_TRANSITIONAL: the transitional configuration
 * @VSYNC_KIND_VIEW_REGULAR: a new regular configuration
 */
enum vsync_kind {
	VSYNC_KIND_DATA,
	VSYNC_KIND_VIEW_TRANSITIONAL,
	VSYNC_KIND_VIEW_REGULAR,
};

/**
 * struct vsync_member - one member of a view
 * @vm_node: node id
 * @vm_port: member id on that node (0 for a whole node)
 */
struct vsync_member {
	__u32	vm_node;
	__u32	vm_port;
};

/**
 * struct vsync_view - payload of a view message and of VSYNC_VIEW
 * @vv_kind: VSYNC_KIND_VIEW_TRANSITIONAL or VSYNC_KIND_VIEW_REGULAR
 * @vv_count: number of entries in @vv_members
 * @vv_ring_rep: ring id, representative node
 * @vv_old_rep: a transitional view: the representative of the old ring
 *	its members come from; 0 in a regular view
 * @vv_ring_seq: ring id, sequence
 * @vv_seq: a regular view: the sequence number of the frame on ring
 *	(@vv_ring_rep, @vv_ring_seq) whose join or leave caused the view, 0
 *	for one caused by a configuration change; a transitional view: the
 *	sequence of the old ring its members come from. (@vv_ring_rep,
 *	@vv_ring_seq, @vv_seq, @vv_kind, @vv_old_rep) names a view: every
 *	member that sees it sees the same. (A ring formed from several old
 *	rings has a transitional view for each, with the members of each.)
 * @vv_members: the members, sorted by node id then port
 */
struct vsync_view {
	__u32			vv_kind;
	__u32			vv_count;
	__u32			vv_ring_rep;
	__u32			vv_old_rep;
	__u64			vv_ring_seq;
	__u64			vv_seq;
	struct vsync_member	vv_members[];
};

#endif /* _UAPI_LINUX_VSYNC_H */
