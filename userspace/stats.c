// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm stats: the counters of each ring.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "print.h"
#include "vsyncadm.h"

const char stats_usage[] =
	"Usage: vsyncadm stats [ -s | -d ] [ dev DEV ]\n"
	"       vsyncadm stats help\n"
	"Without -s (or -d), drop counters that are zero are left out of the\n"
	"text output; JSON output always has every counter.\n";

/* The enum names, lowercased. */
static const char *const stats_names[VSYNC_A_STATS_MAX + 1] = {
	[VSYNC_A_STATS_FRAMES_IN]		= "frames_in",
	[VSYNC_A_STATS_FRAMES_OUT]		= "frames_out",
	[VSYNC_A_STATS_BYTES_IN]		= "bytes_in",
	[VSYNC_A_STATS_BYTES_OUT]		= "bytes_out",
	[VSYNC_A_STATS_MSGS_SENT]		= "msgs_sent",
	[VSYNC_A_STATS_MSGS_DELIVERED]		= "msgs_delivered",
	[VSYNC_A_STATS_RETRANSMITS]		= "retransmits",
	[VSYNC_A_STATS_RTR_REQUESTS]		= "rtr_requests",
	[VSYNC_A_STATS_TOKEN_ROTATIONS]		= "token_rotations",
	[VSYNC_A_STATS_TOKEN_RETRANSMITS]	= "token_retransmits",
	[VSYNC_A_STATS_TOKEN_LOSSES]		= "token_losses",
	[VSYNC_A_STATS_VIEW_CHANGES]		= "view_changes",
	[VSYNC_A_STATS_DROP_SHORT]		= "drop_short",
	[VSYNC_A_STATS_DROP_VERSION]		= "drop_version",
	[VSYNC_A_STATS_DROP_TYPE]		= "drop_type",
	[VSYNC_A_STATS_DROP_RING]		= "drop_ring",
	[VSYNC_A_STATS_DROP_SEQ]		= "drop_seq",
	[VSYNC_A_STATS_DROP_SENDER]		= "drop_sender",
	[VSYNC_A_STATS_DROP_MALFORMED]		= "drop_malformed",
	[VSYNC_A_STATS_DROP_DUPLICATE]		= "drop_duplicate",
	[VSYNC_A_STATS_DROP_NOMEM]		= "drop_nomem",
	[VSYNC_A_STATS_DUPLICATE_NODE_ID]	= "duplicate_node_id",
	[VSYNC_A_STATS_RECV_STALLS]		= "recv_stalls",
	[VSYNC_A_STATS_BUNDLES_OUT]		= "bundles_out",
	[VSYNC_A_STATS_BUNDLES_IN]		= "bundles_in",
	[VSYNC_A_STATS_PAGES_REUSED]		= "pages_reused",
	[VSYNC_A_STATS_PAUSES]			= "pauses",
	[VSYNC_A_STATS_RECOVERY_PIECES]		= "recovery_pieces",
};

void stats_print(const struct nlattr *stats, bool all)
{
	const struct nlattr *a;

	print_open_object("stats");
	mnl_attr_for_each_nested(a, stats) {
		unsigned int type = mnl_attr_get_type(a);
		const char *name;
		char unknown[24];
		uint64_t v;

		if (type == VSYNC_A_STATS_UNSPEC || type == VSYNC_A_STATS_PAD)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			v = mnl_attr_get_u64(a);
		else if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			v = mnl_attr_get_u32(a);
		else
			continue;

		/* A counter newer than this program still gets a name. */
		if (type <= VSYNC_A_STATS_MAX && stats_names[type]) {
			name = stats_names[type];
		} else {
			snprintf(unknown, sizeof(unknown), "stat_%u", type);
			name = unknown;
		}

		if (!all && !print_is_json() && v == 0 &&
		    strncmp(name, "drop_", 5) == 0)
			continue;

		print_text("    %-18s ", name);
		print_u64(PRINT_ANY, name, "%" PRIu64 "\n", v);
	}
	print_close_object();
}

static void stats_show_one(const struct nlattr **tb, void *arg)
{
	const bool *all = arg;

	print_open_object(NULL);
	ring_print_ident(tb);
	print_text("\n");
	if (tb[VSYNC_A_RING_STATS])
		stats_print(tb[VSYNC_A_RING_STATS], *all);
	print_close_object();
}

int do_stats(int argc, char **argv)
{
	static const char *const keywords[] = { "dev", "help" };
	const char *dev = NULL;
	bool all = false;
	int k, rc;

	while (argc > 0) {
		if (strcmp(argv[0], "-s") == 0 || strcmp(argv[0], "-d") == 0) {
			all = true;
			argc--, argv++;
			continue;
		}
		k = match_word(argv[0], keywords, ARRAY_SIZE(keywords),
			       "keyword");
		if (k < 0)
			return RC_USAGE;
		if (k == 1)
			return show_help();
		rc = need_value(argc, argv);
		if (rc)
			return rc;
		if (dev)
			return usage_error("\"dev\" is given twice");
		rc = parse_dev(argv[1], &dev);
		if (rc)
			return rc;
		argc -= 2, argv += 2;
	}

	return ring_for_each(dev, stats_show_one, &all);
}
