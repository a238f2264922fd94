/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsync: flow control's arithmetic.
 *
 * What a token visit may send, from the token's sums and this node's own
 * part of them, and how the node puts its part back. Pure functions of
 * their arguments: srp.c calls them at every visit under the ring lock,
 * and tests/fc-test.c runs them in userspace over whole rings of
 * simulated nodes (which defines u32, u64, min(), max() and div64_u64()
 * before including this file).
 *
 * The token carries two sums over the last rotation, each member
 * replacing its own part at its visit: fcc, the frames sent, and demand,
 * the frames queued when the token came. The window bounds fcc; a node's
 * share of it is in proportion to its part of the demand.
 */
#ifndef _VSYNC_FC_H
#define _VSYNC_FC_H

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/types.h>
#endif

/**
 * struct vsync_fc - one node's flow control: its parts of the token's sums
 * @sent_last: frames it sent at its last visit (its part of fcc)
 * @demand_last: frames it had queued then (its part of demand)
 */
struct vsync_fc {
	u32 sent_last;
	u32 demand_last;
};

/**
 * vsync_fc_replace() - a token sum with one member's part replaced
 * @sum: the token's sum
 * @old: the member's part in it, from its last visit
 * @new: the member's part now
 *
 * The part is taken out only as far as the sum holds it, so a sum that
 * lost track (a forged token) cannot wrap below zero.
 *
 * Return: the new sum.
 */
static inline u32 vsync_fc_replace(u32 sum, u32 old, u32 new)
{
	return sum - min(sum, old) + new;
}

/**
 * vsync_fc_allowed() - how many frames this visit may send
 * @fc: this node's parts of the sums
 * @fcc: the token's frames sent over the last rotation
 * @tok_demand: the token's frames queued over the last rotation
 * @window: the window in use
 * @max_messages: frames one visit may send at most
 * @demand: frames this node has queued now
 *
 * At most max-messages, at most what the window leaves after the others'
 * frames of the last rotation, and, when others wait too, at most our
 * share of the window in proportion to our demand (never less than one
 * frame). Without the share the first nodes after the representative
 * would take the whole window every rotation.
 *
 * Shares are taken of the demand, what each member had queued when the
 * token came, never of what each had left when it went: our queue before
 * sending against the others' after theirs gives every node more than its
 * part, the shares add up to more than the window, none of them binds,
 * and once the window is full each node may send only what it sent last
 * time, whatever that was. Closed-loop senders, whose queues hold a few
 * visits' worth, froze that way at 32 nodes with a run of senders at a
 * tenth of the others' rate for as long as the load lasted. With shares
 * of one sum, a node above its share gives way and the room it leaves
 * goes to the nodes below theirs.
 *
 * Return: the frames this visit may send.
 */
static inline u32 vsync_fc_allowed(const struct vsync_fc *fc, u32 fcc,
				   u32 tok_demand, u32 window,
				   u32 max_messages, u32 demand)
{
	u32 others_sent = vsync_fc_replace(fcc, fc->sent_last, 0);
	u32 others_demand = vsync_fc_replace(tok_demand, fc->demand_last, 0);
	u32 allowed, share;

	if (others_sent >= window) {
		/*
		 * The others filled the window. A node that sent nothing at
		 * its last visit sends one frame anyway: otherwise the nodes
		 * before it, which filled the window last rotation and may
		 * again, could keep it out for good. The window is exceeded
		 * by at most one frame per member.
		 */
		return demand && !fc->sent_last ? 1 : 0;
	}
	allowed = min(max_messages, window - others_sent);
	if (demand && others_demand) {
		/* (a u64 sum: a forged token's demand could wrap a u32 to 0) */
		share = div64_u64((u64)window * demand,
				  (u64)others_demand + demand);
		allowed = min(allowed, max(share, 1U));
	}
	return allowed;
}

/**
 * vsync_fc_update() - put this visit's parts into the token's sums
 * @fc: this node's parts, replaced
 * @fcc: the token's frames sent, updated
 * @tok_demand: the token's frames queued, updated
 * @sent: frames this visit sent
 * @demand: frames this node had queued when the token came
 */
static inline void vsync_fc_update(struct vsync_fc *fc, u32 *fcc,
				   u32 *tok_demand, u32 sent, u32 demand)
{
	*fcc = vsync_fc_replace(*fcc, fc->sent_last, sent);
	*tok_demand = vsync_fc_replace(*tok_demand, fc->demand_last, demand);
	fc->sent_last = sent;
	fc->demand_last = demand;
}

#endif /* _VSYNC_FC_H */
