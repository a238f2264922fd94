// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm group show: the process groups on each ring and their members.
 */
#include <net/if.h>
#include <stdio.h>

#include "print.h"
#include "vsyncadm.h"

const char group_usage[] =
	"Usage: vsyncadm group show [ dev DEV ]\n"
	"       vsyncadm group help\n";

static const enum mnl_attr_data_type group_policy[VSYNC_A_GROUP_MAX + 1] = {
	[VSYNC_A_GROUP_IFINDEX]	= MNL_TYPE_U32,
	[VSYNC_A_GROUP_NAME]	= MNL_TYPE_NUL_STRING,
	[VSYNC_A_GROUP_MEMBERS]	= MNL_TYPE_NESTED,
};

static const enum mnl_attr_data_type gmember_policy[VSYNC_A_GMEMBER_MAX + 1] = {
	[VSYNC_A_GMEMBER_NODE_ID]	= MNL_TYPE_U32,
	[VSYNC_A_GMEMBER_PORT]		= MNL_TYPE_U32,
	[VSYNC_A_GMEMBER_LOCAL]		= MNL_TYPE_FLAG,
};

/*
 * "group jobs ring eth0 members 3
 *      1/4 2/9* 3/2"          (node/port, * marks this node's sockets)
 */
static void group_print(const struct nlattr **tb)
{
	const struct nlattr *m;
	unsigned int n = 0;
	char ifname[IF_NAMESIZE] = "?";
	uint32_t ifindex = 0;

	if (tb[VSYNC_A_GROUP_IFINDEX]) {
		ifindex = mnl_attr_get_u32(tb[VSYNC_A_GROUP_IFINDEX]);
		if (!if_indextoname(ifindex, ifname))
			snprintf(ifname, sizeof(ifname), "ifindex-%u", ifindex);
	}
	if (tb[VSYNC_A_GROUP_MEMBERS])
		mnl_attr_for_each_nested(m, tb[VSYNC_A_GROUP_MEMBERS])
			n++;

	print_open_object(NULL);
	print_string(PRINT_ANY, "name", "group %s",
		     tb[VSYNC_A_GROUP_NAME] ?
		     mnl_attr_get_str(tb[VSYNC_A_GROUP_NAME]) : "?");
	print_u32(PRINT_JSON, "ifindex", NULL, ifindex);
	print_string(PRINT_ANY, "ifname", " ring %s", ifname);
	print_u32(PRINT_TEXT, NULL, " members %u", n);
	print_text("\n   ");
	print_open_array("members");
	if (tb[VSYNC_A_GROUP_MEMBERS]) {
		mnl_attr_for_each_nested(m, tb[VSYNC_A_GROUP_MEMBERS]) {
			const struct nlattr *mtb[VSYNC_A_GMEMBER_MAX + 1];

			if (mnl_attr_get_type(m) != VSYNC_A_GROUP_MEMBER ||
			    parse_nested(m, gmember_policy,
					 VSYNC_A_GMEMBER_MAX, mtb))
				continue;
			print_open_object(NULL);
			if (mtb[VSYNC_A_GMEMBER_NODE_ID])
				print_u32(PRINT_ANY, "node_id", " %u",
					  mnl_attr_get_u32(mtb[VSYNC_A_GMEMBER_NODE_ID]));
			if (mtb[VSYNC_A_GMEMBER_PORT])
				print_u32(PRINT_ANY, "port", "/%u",
					  mnl_attr_get_u32(mtb[VSYNC_A_GMEMBER_PORT]));
			print_bool(PRINT_JSON, "local", NULL,
				   mtb[VSYNC_A_GMEMBER_LOCAL] != NULL);
			if (mtb[VSYNC_A_GMEMBER_LOCAL])
				print_text("*");
			print_close_object();
		}
	}
	print_close_array();
	print_nl();
	print_close_object();
}

int do_group_show(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct genl_reply reply = { 0 };
	const char *dev = NULL;
	unsigned int ifindex = 0;
	struct nlmsghdr *nlh;
	struct genl_sock *gs;
	size_t i;
	int rc;

	rc = parse_dev_only(argc, argv, &dev);
	if (rc < 0)
		return show_help();
	if (rc)
		return rc;
	if (dev) {
		ifindex = if_nametoindex(dev);
		if (!ifindex)
			return arg_error("no device \"%s\" in this namespace", dev);
	}

	gs = vsync_genl(&rc);
	if (!gs)
		return rc;
	nlh = genl_msg_start(gs, buf, VSYNC_CMD_GROUP_GET, NLM_F_DUMP);
	if (ifindex)
		mnl_attr_put_u32(nlh, VSYNC_A_GROUP_IFINDEX, ifindex);
	if (genl_transact(gs, nlh, &reply) < 0)
		return genl_failed(gs);
	if (reply.interrupted)
		warn("the groups kept changing while they were read; the output may be inconsistent");

	print_open_array(NULL);
	for (i = 0; i < reply.count; i++) {
		const struct nlattr *tb[VSYNC_A_GROUP_MAX + 1];

		if (parse_attrs(reply.msgs[i], group_policy, VSYNC_A_GROUP_MAX,
				tb) == 0)
			group_print(tb);
	}
	print_close_array();
	genl_reply_free(&reply);
	return RC_OK;
}
