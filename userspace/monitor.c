// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm monitor: print the family's notifications as they come.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "print.h"
#include "vsyncadm.h"

const char monitor_usage[] =
	"Usage: vsyncadm monitor [ all | config | events ]...\n"
	"       vsyncadm monitor help\n"
	"config: rings created and deleted; events: views installed.\n"
	"Runs until interrupted (SIGINT or SIGTERM).\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * ppoll() leaves a signal pending when the socket is readable at once,
 * so a busy stream of events needs this check to stop.
 */
static bool stop_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return false;
	return sigismember(&pending, SIGINT) == 1 ||
	       sigismember(&pending, SIGTERM) == 1;
}

/*
 * Text: "new ring eth0 ...", "del ring eth0 ...", "view ring eth0 ...".
 * JSON: one object per line, {"event":"view","ifname":"eth0",...}.
 */
static int print_event(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[VSYNC_A_RING_MAX + 1];
	const char *event;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return 0;
	switch (genl_hdr(nlh)->cmd) {
	case VSYNC_CMD_RING_NEW:
		event = "new";
		break;
	case VSYNC_CMD_RING_DEL:
		event = "del";
		break;
	case VSYNC_CMD_VIEW_NTF:
		event = "view";
		break;
	default:
		return 0;
	}
	if (ring_parse(nlh, tb))
		return 0;

	print_open_object(NULL);
	print_string(PRINT_ANY, "event", "%s ", event);
	ring_print_fields(tb);
	print_close_object();
	return print_flush();
}

int do_monitor(int argc, char **argv)
{
	static const char *const words[] = { "all", "config", "events",
					     "help" };
	bool config = false, events = false;
	struct sigaction sa;
	sigset_t block, orig;
	struct genl_sock *gs;
	int k, rc = RC_OK;

	for (; argc > 0; argc--, argv++) {
		k = match_word(argv[0], words, ARRAY_SIZE(words), "argument");
		if (k < 0)
			return RC_USAGE;
		if (k == 3)
			return show_help();
		config |= k == 0 || k == 1;
		events |= k == 0 || k == 2;
	}
	if (!config && !events)
		config = events = true;
	if (in_batch)
		return arg_error("monitor cannot run in a batch");

	gs = vsync_genl(&rc);
	if (!gs)
		return rc;
	if ((config && genl_join(gs, VSYNC_MCGRP_CONFIG) < 0) ||
	    (events && genl_join(gs, VSYNC_MCGRP_EVENTS) < 0))
		return genl_failed(gs);

	/*
	 * The signals stay blocked except while waiting in ppoll(), so one
	 * that arrives between two events cannot be missed.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);

	while (!stop && !stop_pending()) {
		struct pollfd pfd = {
			.fd = genl_fd(gs),
			.events = POLLIN,
		};

		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vsyncadm: %s: poll: %s\n", cur_cmd,
				strerror(errno));
			rc = RC_SYSTEM;
			break;
		}
		if (genl_recv_notify(gs, print_event, NULL) == 0)
			continue;
		if (errno == ENOBUFS) {
			warn("events were lost: the receive buffer overflowed");
			continue;
		}
		fprintf(stderr, "vsyncadm: %s: %s\n", cur_cmd,
			strerror(errno));
		rc = RC_SYSTEM;
		break;
	}

	sigprocmask(SIG_SETMASK, &orig, NULL);
	return rc;
}
