// SPDX-License-Identifier: GPL-2.0
/*
 * timer-test: the arithmetic of timers that give up at a deadline
 * (kernel/deadline.h), through pauses at every moment of a timeout.
 *
 * Runs on the host (scripts/check), not in the VM: the guest can be
 * paused (tests/ring/pause.sh), but not at a chosen millisecond of a
 * timeout, and here a simulated timer goes through thousands of pauses
 * in milliseconds.
 *
 * The timer: started at 0 with a timeout, it ticks as the ring's token
 * and consensus timers do (ring.c: vsync_ring_deadline_start() and
 * vsync_ring_deadline_due()). A tick due while the node is paused fires
 * when the pause ends.
 *
 * Checks:
 *  - the period: a quarter of the timeout, at least 1 ms;
 *  - without a pause the timer gives up exactly one timeout after it
 *    started, for timeouts of 1 ms to 60 s;
 *  - a pause of two ticks or more, starting at any millisecond of the
 *    timeout, leaves the timer at least a tick after the node runs again
 *    (a pause that began in the last quarter used to give up at once,
 *    before the frames that waited through it), and counts at most one
 *    tick of itself against the timeout;
 *  - a pause shorter than a tick counts in full and is not taken for a
 *    pause;
 *  - two pauses in one timeout are both left out.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"

typedef int64_t s64;

#include "../kernel/deadline.h"

#define MS	1000000LL

struct pause {
	s64 at;
	s64 len;
};

/*
 * When a timer started at 0 with @timeout gives up, with the node not run
 * during @pauses (sorted, apart); *@paused: ticks taken for pauses.
 */
static s64 give_up(s64 timeout, const struct pause *pauses, int n,
		   int *paused)
{
	s64 tick = vsync_deadline_period(timeout);
	s64 deadline = timeout, expires = tick, now;
	int i, ticks = 0;

	*paused = 0;
	for (;;) {
		now = expires;
		for (i = 0; i < n; i++)
			if (now >= pauses[i].at &&
			    now < pauses[i].at + pauses[i].len)
				now = pauses[i].at + pauses[i].len;
		if (vsync_deadline_pause(&deadline, expires, now, tick))
			(*paused)++;
		if (now >= deadline)
			return now;
		expires = vsync_deadline_next(deadline, now, tick);
		if (expires <= now || ++ticks > 1000)
			return -1;	/* no progress */
	}
}

TEST(period)
{
	ASSERT_EQ(1 * MS, vsync_deadline_period(1 * MS));
	ASSERT_EQ(1 * MS, vsync_deadline_period(4 * MS));
	ASSERT_EQ(5 * MS, vsync_deadline_period(20 * MS));
	ASSERT_EQ(250 * MS, vsync_deadline_period(1000 * MS));
}

TEST(no_pause_gives_up_at_the_timeout)
{
	static const s64 timeouts[] = { 1, 2, 3, 7, 50, 200, 1000, 1001,
					5000, 60000 };
	unsigned int i;
	int paused;

	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		s64 t = timeouts[i] * MS;

		EXPECT_EQ(t, give_up(t, NULL, 0, &paused))
			TH_LOG("timeout %lld ms", (long long)timeouts[i]);
		EXPECT_EQ(0, paused);
	}
}

TEST(a_pause_anywhere_leaves_a_tick_after_it)
{
	static const s64 lens[] = { 2, 3, 4, 10, 40 };	/* in ticks */
	s64 t = 1000 * MS, tick = vsync_deadline_period(t), at, g;
	unsigned int i;
	int paused;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (at = 0; at < t; at += MS) {
			struct pause p = { at, lens[i] * tick };
			s64 resume = at + p.len;

			g = give_up(t, &p, 1, &paused);
			ASSERT_GE(g, resume + tick)
				TH_LOG("pause of %lld ticks at %lld ms: gave up %lld ms after it",
				       (long long)lens[i], (long long)(at / MS),
				       (long long)((g - resume) / MS));
			/* At most the tick before it was seen counts. */
			ASSERT_GE(g, t + p.len - tick);
			ASSERT_LE(g, (t + p.len > resume + tick ?
				      t + p.len : resume + tick))
				TH_LOG("pause at %lld ms", (long long)(at / MS));
			ASSERT_EQ(1, paused);
		}
	}
}

TEST(a_short_pause_counts)
{
	s64 t = 1000 * MS, tick = vsync_deadline_period(t), at, g;
	int paused;

	for (at = 0; at < t; at += MS) {
		struct pause p = { at, tick - 1 };

		g = give_up(t, &p, 1, &paused);
		ASSERT_EQ(0, paused);
		ASSERT_GE(g, t);
		ASSERT_LT(g, t + p.len)
			TH_LOG("pause at %lld ms", (long long)(at / MS));
	}
}

TEST(two_pauses_are_both_left_out)
{
	s64 t = 1000 * MS, tick = vsync_deadline_period(t), g;
	struct pause p[2] = {
		{ 100 * MS, 3 * t },		/* early in the timeout */
		{ 3 * t + 700 * MS, 2 * t },	/* in the last quarter left */
	};
	int paused;

	g = give_up(t, p, 2, &paused);
	ASSERT_EQ(2, paused);
	ASSERT_GE(g, p[1].at + p[1].len + tick);
	ASSERT_GE(g, t + p[0].len + p[1].len - 2 * tick);
}

TEST_HARNESS_MAIN
