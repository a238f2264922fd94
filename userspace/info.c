// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm info: the module's version and socket family.
 */
#include <stdio.h>

#include "print.h"
#include "vsyncadm.h"

const char info_usage[] =
	"Usage: vsyncadm info\n"
	"       vsyncadm info help\n";

static const enum mnl_attr_data_type info_policy[VSYNC_A_INFO_MAX + 1] = {
	[VSYNC_A_INFO_VERSION]	= MNL_TYPE_NUL_STRING,
	[VSYNC_A_INFO_FAMILY]	= MNL_TYPE_U32,
	[VSYNC_A_INFO_PROTOCOL]	= MNL_TYPE_U32,
	[VSYNC_A_INFO_RINGS]	= MNL_TYPE_U32,
};

/* "vsync 0.1.0 family 19 protocol 2 rings 0" */
static void print_info(const struct nlattr **tb)
{
	print_open_object(NULL);
	print_text("vsync");
	if (tb[VSYNC_A_INFO_VERSION])
		print_string(PRINT_ANY, "version", " %s",
			     mnl_attr_get_str(tb[VSYNC_A_INFO_VERSION]));
	if (tb[VSYNC_A_INFO_FAMILY])
		print_u32(PRINT_ANY, "family", " family %u",
			  mnl_attr_get_u32(tb[VSYNC_A_INFO_FAMILY]));
	if (tb[VSYNC_A_INFO_PROTOCOL])
		print_u32(PRINT_ANY, "protocol", " protocol %u",
			  mnl_attr_get_u32(tb[VSYNC_A_INFO_PROTOCOL]));
	if (tb[VSYNC_A_INFO_RINGS])
		print_u32(PRINT_ANY, "rings", " rings %u",
			  mnl_attr_get_u32(tb[VSYNC_A_INFO_RINGS]));
	print_nl();
	print_close_object();
}

int do_info(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlattr *tb[VSYNC_A_INFO_MAX + 1];
	struct genl_reply reply = { 0 };
	struct genl_sock *gs;
	struct nlmsghdr *nlh;
	int rc = RC_OK;

	if (argc > 0) {
		if (is_help(argv[0]))
			return show_help();
		return usage_error("unknown argument \"%s\"", argv[0]);
	}

	gs = vsync_genl(&rc);
	if (!gs)
		return rc;

	nlh = genl_msg_start(gs, buf, VSYNC_CMD_INFO_GET, NLM_F_ACK);
	if (genl_transact(gs, nlh, &reply) < 0)
		return genl_failed(gs);
	if (reply.count < 1 ||
	    parse_attrs(reply.msgs[0], info_policy, VSYNC_A_INFO_MAX, tb)) {
		genl_reply_free(&reply);
		fprintf(stderr, "vsyncadm: %s: the kernel's reply is malformed\n",
			cur_cmd);
		return RC_SYSTEM;
	}
	print_info(tb);
	genl_reply_free(&reply);
	return RC_OK;
}
