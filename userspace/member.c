// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm member show: the members of each ring's current view.
 */
#include <stdio.h>

#include "print.h"
#include "vsyncadm.h"

const char member_usage[] =
	"Usage: vsyncadm member show [ dev DEV ]\n"
	"       vsyncadm member help\n";

/* "ring eth0 node 1 hwaddr 52:54:00:00:00:01 local" */
static void print_ring_members(const struct nlattr **tb)
{
	const struct nlattr *m;

	mnl_attr_for_each_nested(m, tb[VSYNC_A_RING_MEMBERS]) {
		const struct nlattr *mtb[VSYNC_A_MEMBER_MAX + 1];
		const struct nlattr *hw;

		if (member_parse(m, mtb))
			continue;
		print_open_object(NULL);
		ring_print_ident(tb);
		if (mtb[VSYNC_A_MEMBER_NODE_ID])
			print_u32(PRINT_ANY, "node_id", " node %u",
				  mnl_attr_get_u32(mtb[VSYNC_A_MEMBER_NODE_ID]));
		hw = mtb[VSYNC_A_MEMBER_HWADDR];
		if (hw) {
			size_t len = mnl_attr_get_payload_len(hw);

			if (len > VSYNC_HWADDR_MAX)
				len = VSYNC_HWADDR_MAX;
			print_hwaddr(PRINT_ANY, "hwaddr", " hwaddr %s",
				     mnl_attr_get_payload(hw), len);
		}
		print_bool(PRINT_ANY, "local", " local",
			   mtb[VSYNC_A_MEMBER_LOCAL] != NULL);
		print_nl();
		print_close_object();
	}
}

static void member_show_one(const struct nlattr **tb, void *arg)
{
	(void)arg;
	if (tb[VSYNC_A_RING_MEMBERS])
		print_ring_members(tb);
}

int do_member_show(int argc, char **argv)
{
	const char *dev = NULL;
	int rc;

	rc = parse_dev_only(argc, argv, &dev);
	if (rc < 0)
		return show_help();
	if (rc)
		return rc;
	return ring_for_each(dev, member_show_one, NULL);
}
