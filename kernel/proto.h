/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsync: the wire format. Documentation/protocol.rst describes it for a
 * second implementation; keep the two in step.
 *
 * All fields are big-endian and naturally aligned. A frame is the L2
 * header of the medium, then struct vsync_hdr, then the body of its type.
 * vsync_hdr.len counts from the start of vsync_hdr to the end of the body;
 * bytes past it (L2 padding) are ignored.
 */
#ifndef _VSYNC_PROTO_H
#define _VSYNC_PROTO_H

#include <linux/types.h>

/**
 * enum vsync_frame_type - the type byte of struct vsync_hdr
 * @VSYNC_FT_MCAST: a broadcast message frame of a ring
 * @VSYNC_FT_TOKEN: the regular token, unicast to the next member
 * @VSYNC_FT_JOIN: a join message of the gather state, broadcast
 * @VSYNC_FT_COMMIT: the commit token, unicast to the next new member
 * @VSYNC_FT_LEAVE: a node leaves its ring on purpose, broadcast
 * @VSYNC_FT_MERGE: a representative announces its ring, broadcast
 * @VSYNC_FT_WAKE: a member with new messages asks the representative of an
 *	idle ring to pass the token it holds; unicast, no body
 */
enum vsync_frame_type {
	VSYNC_FT_MCAST = 1,
	VSYNC_FT_TOKEN,
	VSYNC_FT_JOIN,
	VSYNC_FT_COMMIT,
	VSYNC_FT_LEAVE,
	VSYNC_FT_MERGE,
	VSYNC_FT_WAKE,
	__VSYNC_FT_MAX,
};

/**
 * struct vsync_hdr - starts every frame (24 bytes)
 * @version: VSYNC_PROTOCOL_VERSION
 * @type: enum vsync_frame_type
 * @flags: zero; reserved
 * @len: bytes from this header to the end of the frame's body
 * @src: node id of the sender of this frame
 * @ring_rep: ring id of the frame: representative
 * @ring_seq: ring id of the frame: sequence
 */
struct vsync_hdr {
	__u8 version;
	__u8 type;
	__be16 flags;
	__be32 len;
	__be32 src;
	__be32 ring_rep;
	__be64 ring_seq;
};

/* struct vsync_mcast.flags */
#define VSYNC_MF_RECOVERY	0x0001	/* body is an old ring's frame */
#define VSYNC_MF_SAFE		0x0002	/* holds a message for safe delivery */

/**
 * struct vsync_mcast - body of a message frame (16 bytes), then entries
 * @seq: the ring sequence number of this frame, from 1
 * @origin: the node that ordered it; retransmissions keep it
 * @flags: VSYNC_MF_*
 * @count: struct vsync_entry records that follow; zero with RECOVERY
 */
struct vsync_mcast {
	__be64 seq;
	__be32 origin;
	__be16 flags;
	__be16 count;
};

/**
 * struct vsync_recov - follows vsync_mcast when VSYNC_MF_RECOVERY is set,
 *	then comes the old frame's vsync_mcast and its entries: all of them
 *	when @piece_total is zero, else @piece_total bytes' range from
 *	@piece_off (a frame larger than the new ring's frames goes in pieces)
 * @old_rep: the old ring id: representative
 * @piece_off: a piece: where its bytes start in the old frame's entries;
 *	zero for a whole frame
 * @piece_total: a piece: the length of the old frame's entries; zero for
 *	a whole frame
 * @old_seq: the old ring id: sequence
 */
struct vsync_recov {
	__be32 old_rep;
	__be16 piece_off;
	__be16 piece_total;
	__be64 old_seq;
};

/* struct vsync_entry.flags */
#define VSYNC_EF_FIRST		0x0001	/* first fragment of a message */
#define VSYNC_EF_LAST		0x0002	/* last fragment of a message */
#define VSYNC_EF_SAFE		0x0004	/* deliver only once safe */
#define VSYNC_EF_CTRL		0x0008	/* a group control message */

/*
 * Control messages: entries with VSYNC_EF_CTRL whose data starts with one of
 * these operations (__be32). JOIN and LEAVE name the group and the member
 * in the entry itself. SYNC (group name ".") continues with a __be32 count
 * of struct vsync_sync_rec records: the origin's members of every group.
 */
#define VSYNC_CTRL_JOIN		1
#define VSYNC_CTRL_LEAVE	2
#define VSYNC_CTRL_SYNC		3

/**
 * struct vsync_sync_rec - one local member in a SYNC message (72 bytes)
 * @port: the member id on the origin node
 * @name_len: length of @name, 1..63
 * @reserved: zero
 * @name: group name, zero-padded
 */
struct vsync_sync_rec {
	__be32 port;
	__u8 name_len;
	__u8 reserved[3];
	char name[64];
};

/**
 * struct vsync_entry - one message or fragment in a frame (16 bytes)
 * @len: bytes of message data in this entry
 * @total: length of the whole message
 * @port: member id of the sending socket on the origin node
 * @flags: VSYNC_EF_*
 * @name_len: bytes of group name following this record, 1..63
 * @reserved: zero
 *
 * The record is followed by the group name, padded with zeroes to a
 * multiple of 4, then @len bytes of data, padded to a multiple of 4.
 */
struct vsync_entry {
	__be32 len;
	__be32 total;
	__be32 port;
	__be16 flags;
	__u8 name_len;
	__u8 reserved;
};

/* struct vsync_token.flags */
#define VSYNC_TF_INSTALL	0x0001	/* install_seq is valid */

/**
 * struct vsync_token - body of the regular token (56 bytes), then @n_rtr
 *	sequence numbers (__be64) to retransmit
 * @token_seq: hop counter; a token not newer than the last is a duplicate
 * @seq: the highest sequence number assigned on the ring
 * @aru: all received up to, lowered by any member that lacks a frame
 * @install_seq: in recovery, frames up to here are all there is to recover
 * @aru_id: the member that last lowered @aru, 0 for none
 * @fcc: frames sent during the last rotation, for flow control
 * @backlog: frames left waiting at all members after their visits, summed
 *	over a rotation: whether the representative may hold the token
 * @recov_mask: bit i set while member i still has frames to recover
 * @flags: VSYNC_TF_*
 * @n_rtr: retransmission requests that follow
 * @demand: frames each member had queued when the token came (before it
 *	sent), summed over a rotation: what flow control shares the window by
 */
struct vsync_token {
	__be64 token_seq;
	__be64 seq;
	__be64 aru;
	__be64 install_seq;
	__be32 aru_id;
	__be32 fcc;
	__be32 backlog;
	__be32 recov_mask;
	__be16 flags;
	__be16 n_rtr;
	__be32 demand;
};

/**
 * struct vsync_join - body of a join message (40 bytes), then @n_proc
 *	node ids of the proc set and @n_fail of the fail set (__be32 each)
 * @max_ring_seq: the highest ring sequence number the sender has seen
 * @hwaddr_len: valid bytes of @hwaddr
 * @reserved: zero
 * @hwaddr: the sender's hardware address
 * @n_proc: entries in the proc set, 1..VSYNC_MAX_NODES
 * @n_fail: entries in the fail set, 0..VSYNC_MAX_NODES
 */
struct vsync_join {
	__be64 max_ring_seq;
	__u8 hwaddr_len;
	__u8 reserved[3];
	__u8 hwaddr[20];
	__be16 n_proc;
	__be16 n_fail;
};

/**
 * struct vsync_commit_memb - one member's entry in the commit token
 * @id: node id
 * @old_rep: its previous ring id: representative
 * @old_seq: its previous ring id: sequence
 * @aru: its all-received-up-to on that ring
 * @safe: how far it delivered safe messages on that ring
 */
struct vsync_commit_memb {
	__be32 id;
	__be32 old_rep;
	__be64 old_seq;
	__be64 aru;
	__be64 safe;
};

/**
 * struct vsync_commit - body of the commit token (8 bytes), then @n_memb
 *	struct vsync_commit_memb sorted by id; vsync_hdr names the new ring
 * @n_memb: members of the new ring, 1..VSYNC_MAX_NODES
 * @rotation: 1 while members fill in their entries, 2 after
 * @filled: entries filled in so far
 * @mtu: the largest frame (vsync header and body) the members filled in so
 *	far all take: each lowers it to its device's in rotation 1, and the
 *	new ring's frames are no larger than its value in rotation 2
 *	(VSYNC_MIN_MTU or more)
 * @reserved: zero
 */
struct vsync_commit {
	__be16 n_memb;
	__u8 rotation;
	__u8 filled;
	__be16 mtu;
	__be16 reserved;
};

#endif /* _VSYNC_PROTO_H */
