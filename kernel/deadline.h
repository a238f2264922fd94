/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsync: the arithmetic of timers that give up at a deadline.
 *
 * The token timer and the consensus timer give up after a timeout in
 * which the node was run: they tick every quarter of it, and a tick that
 * fires a tick or more late says the node was not run meanwhile (see
 * vsync_ring_deadline_start() in ring.c). Pure functions of their
 * arguments, times in nanoseconds: ring.c calls them from the timers
 * under the ring lock, and tests/timer-test.c runs them in userspace
 * through pauses at every moment of a timeout (it defines s64 before
 * including this file).
 */
#ifndef _VSYNC_DEADLINE_H
#define _VSYNC_DEADLINE_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

/* The shortest tick, in ns: 1 ms. */
#define VSYNC_DEADLINE_MIN_TICK	1000000

/**
 * vsync_deadline_period() - how often a deadline timer ticks
 * @timeout: its timeout
 *
 * Return: a quarter of @timeout, at least 1 ms.
 */
static inline s64 vsync_deadline_period(s64 timeout)
{
	s64 tick = timeout / 4;

	return tick < VSYNC_DEADLINE_MIN_TICK ? VSYNC_DEADLINE_MIN_TICK : tick;
}

/**
 * vsync_tick_paused() - did a timer fire late enough to say the node was
 *	not run meanwhile?
 * @expires: when it was due
 * @now: when it fired
 * @tick: how late says so
 *
 * Return: true if it fired @tick or more late.
 */
static inline bool vsync_tick_paused(s64 expires, s64 now, s64 tick)
{
	return now - expires >= tick;
}

/**
 * vsync_deadline_pause() - a tick fired: move the deadline on by a pause
 * @deadline: when the timer gives up; updated
 * @expires: when the tick was due
 * @now: when it fired
 * @tick: the period, vsync_deadline_period()
 *
 * A tick late by @tick or more follows a pause. The deadline moves on by
 * the lateness, and to no less than a tick from now: when the node runs
 * again its timers fire before it receives the frames that waited through
 * the pause, and a timer whose deadline fell in the pause would otherwise
 * give up before them. (The part of a pause before the late tick was due
 * still counts, and so does a pause shorter than a tick.)
 *
 * Return: true if the tick was late: a pause.
 */
static inline bool vsync_deadline_pause(s64 *deadline, s64 expires, s64 now,
					s64 tick)
{
	if (!vsync_tick_paused(expires, now, tick))
		return false;
	*deadline += now - expires;
	if (*deadline < now + tick)
		*deadline = now + tick;
	return true;
}

/**
 * vsync_deadline_next() - when a timer that has not given up ticks again
 * @deadline: when it gives up
 * @now: now
 * @tick: the period
 *
 * Return: a tick from now, or the deadline if that is sooner.
 */
static inline s64 vsync_deadline_next(s64 deadline, s64 now, s64 tick)
{
	return now + tick < deadline ? now + tick : deadline;
}

#endif /* _VSYNC_DEADLINE_H */
