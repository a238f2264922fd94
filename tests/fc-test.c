// SPDX-License-Identifier: GPL-2.0
/*
 * fc-test: flow control's arithmetic (kernel/fc.h) over simulated rings.
 *
 * Runs on the host (scripts/check), not in the VM: kernel/fc.h is pure
 * arithmetic, and here it decides every visit of rings of up to 32 nodes
 * for hundreds of rotations in milliseconds, which tests/ring/fairness.sh
 * can check only once or twice per round in the guest.
 *
 * The ring: nodes visited in order; at a visit a node that sends has
 * "demand" frames queued, may send vsync_fc_allowed() of them, sends
 * what it has up to that, and puts its parts back with vsync_fc_update(),
 * as kernel/srp.c's vsync_token_visit() does. A closed-loop node tops its
 * queue up to a few visits' worth before each visit (a sender whose send
 * buffer refills as the ring takes its messages, as the benchmark's
 * agents do); an open-loop node queues all its frames at once. Not
 * modelled: the kernel's queue estimate (vsync_backlog() may fall short by
 * up to half, so a node may send more frames than its demand says) and a
 * held token visited again to send at once (idle rings only).
 *
 * Checks:
 *  - closed-loop senders, half of them starting once the others have
 *    filled the window, end up with equal rates (32 nodes, the
 *    benchmark's window of 256, queues of 25: with shares of a node's
 *    queue before sending against the others' after theirs, the late
 *    nodes stayed at 1 frame a visit against 10);
 *  - the same with 16 nodes and queues of 10 (fairness.sh's sixth round);
 *  - open-loop senders that queue as much finish together, whoever began;
 *  - no rotation sends more than the window plus one frame per member;
 *  - each rule on its own: one frame into a full window for a node that
 *    sent none, our frames not counted as the others', max-messages, the
 *    share, the clamp of a sum;
 *  - no token, however forged, makes vsync_fc_allowed() divide by zero
 *    (a u32 sum of a forged demand and ours once could be 0) or allow
 *    more than max-messages.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

typedef uint32_t u32;
typedef uint64_t u64;
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))

static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}

#include "../kernel/fc.h"

#define MAX_NODES	32
#define MAX_MESSAGES	16	/* the kernel's default */

struct sim_node {
	struct vsync_fc fc;
	u32 queue;		/* frames queued */
	u32 refill;		/* closed loop: topped up to this; 0: open */
	int start;		/* the rotation it begins sending */
	u64 sent;		/* frames sent while measuring */
};

struct sim {
	int n;
	u32 window;
	u32 fcc, demand;	/* the token's sums */
	u32 worst_rotation;	/* most frames one rotation sent */
	struct sim_node node[MAX_NODES];
};

/* One rotation, from node 0 (the representative) to node n - 1. */
static void rotate(struct sim *s, int rotation, bool measure)
{
	u32 total = 0, allowed, sent, demand;
	struct sim_node *x;
	int i;

	for (i = 0; i < s->n; i++) {
		x = &s->node[i];
		if (rotation >= x->start && x->refill)
			x->queue = x->refill;
		demand = x->queue;
		allowed = vsync_fc_allowed(&x->fc, s->fcc, s->demand,
					   s->window, MAX_MESSAGES, demand);
		sent = min(allowed, x->queue);
		x->queue -= sent;
		vsync_fc_update(&x->fc, &s->fcc, &s->demand, sent, demand);
		total += sent;
		if (measure)
			x->sent += sent;
	}
	s->worst_rotation = max(s->worst_rotation, total);
}

/*
 * Closed-loop senders on a ring of n with the window of w: the second half
 * starts after late rotations. Measured over the last 200 of 300: the
 * least and the most any node sent.
 */
static void closed_loop(struct sim *s, int n, u32 w, u32 refill, int late,
			u64 *least, u64 *most)
{
	int i, r;

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->window = w;
	for (i = 0; i < n; i++) {
		s->node[i].refill = refill;
		s->node[i].start = i < n / 2 ? 0 : late;
	}
	for (r = 0; r < 300; r++)
		rotate(s, r, r >= 100);
	*least = UINT64_MAX;
	*most = 0;
	for (i = 0; i < n; i++) {
		*least = min(*least, s->node[i].sent);
		*most = max(*most, s->node[i].sent);
	}
}

/*
 * Closed-loop rings: the benchmark's at 32 nodes (window 256, queues of
 * 25 frames, as its agents kept), and fairness.sh's sixth round at 16
 * (window 128, send buffers of about ten messages).
 */
FIXTURE(closed_loop)
{
	struct sim s;
};

FIXTURE_VARIANT(closed_loop)
{
	int n;
	u32 window;
	u32 queue;
};

FIXTURE_VARIANT_ADD(closed_loop, n32_queue25)
{
	.n = 32,
	.window = 256,
	.queue = 25,
};

FIXTURE_VARIANT_ADD(closed_loop, n16_queue10)
{
	.n = 16,
	.window = 128,
	.queue = 10,
};

FIXTURE_SETUP(closed_loop)
{
}

FIXTURE_TEARDOWN(closed_loop)
{
}

TEST_F(closed_loop, half_late_equal_rates)
{
	u64 least, most;

	closed_loop(&self->s, variant->n, variant->window, variant->queue,
		    20, &least, &most);
	TH_LOG("per node in 200 rotations: %llu to %llu frames",
	       (unsigned long long)least, (unsigned long long)most);
	/* Equal shares: 8 frames a visit each, the window full. */
	EXPECT_GE(least * 10, most * 9);
	EXPECT_GE(least, 200 * 8 * 99 / 100);
	EXPECT_LE(self->s.worst_rotation, variant->window + variant->n);
}

/* Four nodes queue 400 frames each, two of them a few rotations late. */
TEST(open_loop_finish_together)
{
	int done[4] = { 0 }, i, r, first = 0, last = 0;
	struct sim s;

	memset(&s, 0, sizeof(s));
	s.n = 4;
	s.window = 32;
	for (r = 0; r < 1000; r++) {
		for (i = 0; i < 4; i++)
			if (r == (i < 2 ? 0 : 3))
				s.node[i].queue = 400;
		rotate(&s, r, true);
		for (i = 0; i < 4; i++)
			if (!done[i] && s.node[i].sent == 400)
				done[i] = r;
	}
	for (i = 0; i < 4; i++) {
		ASSERT_NE(0, done[i]);
		first = i ? min(first, done[i]) : done[i];
		last = max(last, done[i]);
	}
	TH_LOG("done in rotations %d, %d, %d, %d", done[0], done[1], done[2],
	       done[3]);
	/* 1600 frames at 32 a rotation take 50; a late start costs 3. */
	EXPECT_GE(first * 10, last * 9);
	EXPECT_LE(s.worst_rotation, 32 + 4);
}

/* Sums a forged token may carry, and parts a node may hold. */
static const u32 edges[] = {
	0, 1, 2, 7, 8, 16, 64, 255, 256, 0x7fffffff, 0x80000000,
	0xfffffff0, 0xfffffffe, 0xffffffff,
};

/* The rules one at a time, on a ring of 32 with a window of 256. */
TEST(rules)
{
	struct vsync_fc fresh = { 0, 0 }, busy = { 3, 5 };

	/* Others filled the window: one frame if we sent none last time. */
	EXPECT_EQ(1, vsync_fc_allowed(&fresh, 256, 0, 256, 16, 5));
	EXPECT_EQ(0, vsync_fc_allowed(&busy, 259, 0, 256, 16, 5));
	EXPECT_EQ(0, vsync_fc_allowed(&fresh, 256, 0, 256, 16, 0));
	/* Our own frames of the last rotation are not the others'. */
	EXPECT_EQ(3, vsync_fc_allowed(&busy, 256, 0, 256, 16, 5));
	/* Nobody else waits: max-messages, or what the window leaves. */
	EXPECT_EQ(16, vsync_fc_allowed(&fresh, 0, 0, 256, 16, 100));
	EXPECT_EQ(6, vsync_fc_allowed(&fresh, 250, 0, 256, 16, 100));
	/* Others wait: our share of the demand, at least one frame. */
	EXPECT_EQ(8, vsync_fc_allowed(&fresh, 0, 31 * 25, 256, 16, 25));
	EXPECT_EQ(1, vsync_fc_allowed(&fresh, 0, 10000, 256, 16, 1));
	/* A part is taken out of a sum only as far as the sum holds it. */
	EXPECT_EQ(5, vsync_fc_replace(3, 10, 5));
	EXPECT_EQ(7, vsync_fc_replace(12, 10, 5));
}

TEST(forged_sums)
{
	static const u32 windows[] = { 1, 2, 64, 256 };
	static const u32 maxes[] = { 1, 16, 64 };
	unsigned int a, b, c, d, e, f, g;
	struct vsync_fc fc;
	u32 got, calls = 0;

#define EDGES	(sizeof(edges) / sizeof(edges[0]))
	for (a = 0; a < EDGES; a++)		/* fcc */
	for (b = 0; b < EDGES; b++)		/* token's demand */
	for (c = 0; c < EDGES; c++)		/* sent_last */
	for (d = 0; d < EDGES; d++)		/* demand_last */
	for (e = 0; e < EDGES; e++)		/* demand */
	for (f = 0; f < 4; f++)
	for (g = 0; g < 3; g++) {
		fc.sent_last = edges[c];
		fc.demand_last = edges[d];
		got = vsync_fc_allowed(&fc, edges[a], edges[b], windows[f],
				       maxes[g], edges[e]);
		calls++;
		if (got > max(maxes[g], 1U)) {
			TH_LOG("fcc %u demand %u sent_last %u demand_last %u demand %u window %u max %u: %u",
			       edges[a], edges[b], edges[c], edges[d],
			       edges[e], windows[f], maxes[g], got);
			ASSERT_LE(got, max(maxes[g], 1U));
		}
	}
	/* The divisor that once wrapped: others' demand + ours = 2^32. */
	fc.sent_last = 0;
	fc.demand_last = 0;
	got = vsync_fc_allowed(&fc, 0, 0xffffffff, 256, 16, 1);
	EXPECT_EQ(1, got);
	TH_LOG("%u inputs", calls);
}

TEST_HARNESS_MAIN
