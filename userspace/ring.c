// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm ring add | del | show, and the ring attributes that member,
 * stats and monitor print too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "print.h"
#include "vsyncadm.h"

const char ring_usage[] =
	"Usage: vsyncadm ring add dev DEV [ id NODE_ID ] [ ethertype ETHERTYPE ]\n"
	"                         [ mcast-addr LLADDR ] [ TIMER MS ]...\n"
	"                         [ window FRAMES ] [ max-messages FRAMES ]\n"
	"       vsyncadm ring del dev DEV\n"
	"       vsyncadm ring show [ dev DEV ]\n"
	"       vsyncadm ring help\n"
	"where  NODE_ID      := 1..4294967295 (default: from the hardware address)\n"
	"       ETHERTYPE    := 0x0600..0xffff (default: 0x88b5)\n"
	"       LLADDR       := XX:XX:... (default: the device's broadcast address)\n"
	"       TIMER MS     := { token-timeout 2..60000 (default: 50) |\n"
	"                         token-retransmit 1..60000 (default: 10) |\n"
	"                         join-timeout 1..60000 (default: 10) |\n"
	"                         consensus-timeout 2..120000 (default: 80) }\n"
	"       window       := { 1..4096 | auto } (default: auto, 8 per member,\n"
	"                       at least 64)\n"
	"       max-messages := 1..4096, at most the window, 64 with auto\n"
	"                       (default: 16)\n";

/* ---- ring attributes ---------------------------------------------- */

static const enum mnl_attr_data_type ring_policy[VSYNC_A_RING_MAX + 1] = {
	[VSYNC_A_RING_IFINDEX]		= MNL_TYPE_U32,
	[VSYNC_A_RING_IFNAME]		= MNL_TYPE_NUL_STRING,
	[VSYNC_A_RING_MEDIA]		= MNL_TYPE_NUL_STRING,
	[VSYNC_A_RING_HWADDR]		= MNL_TYPE_BINARY,
	[VSYNC_A_RING_MCAST_ADDR]	= MNL_TYPE_BINARY,
	[VSYNC_A_RING_MTU]		= MNL_TYPE_U32,
	[VSYNC_A_RING_NODE_ID]		= MNL_TYPE_U32,
	[VSYNC_A_RING_ETHERTYPE]	= MNL_TYPE_U16,
	[VSYNC_A_RING_TOKEN_TIMEOUT]	= MNL_TYPE_U32,
	[VSYNC_A_RING_TOKEN_RETRANSMIT]	= MNL_TYPE_U32,
	[VSYNC_A_RING_JOIN_TIMEOUT]	= MNL_TYPE_U32,
	[VSYNC_A_RING_CONSENSUS_TIMEOUT] = MNL_TYPE_U32,
	[VSYNC_A_RING_WINDOW]		= MNL_TYPE_U32,
	[VSYNC_A_RING_MAX_MESSAGES]	= MNL_TYPE_U32,
	[VSYNC_A_RING_STATE]		= MNL_TYPE_U32,
	[VSYNC_A_RING_REP]		= MNL_TYPE_U32,
	[VSYNC_A_RING_SEQ]		= MNL_TYPE_U64,
	[VSYNC_A_RING_MEMBERS]		= MNL_TYPE_NESTED,
	[VSYNC_A_RING_STATS]		= MNL_TYPE_NESTED,
	[VSYNC_A_RING_WINDOW_AUTO]	= MNL_TYPE_FLAG,
	[VSYNC_A_RING_FRAME_MTU]	= MNL_TYPE_U32,
};

static const enum mnl_attr_data_type member_policy[VSYNC_A_MEMBER_MAX + 1] = {
	[VSYNC_A_MEMBER_NODE_ID]	= MNL_TYPE_U32,
	[VSYNC_A_MEMBER_HWADDR]		= MNL_TYPE_BINARY,
	[VSYNC_A_MEMBER_LOCAL]		= MNL_TYPE_FLAG,
};

/* Names of the attributes in messages: the command line's keywords. */
static const char *const ring_attr_names[VSYNC_A_RING_MAX + 1] = {
	[VSYNC_A_RING_IFINDEX]		= "ifindex",
	[VSYNC_A_RING_IFNAME]		= "dev",
	[VSYNC_A_RING_MEDIA]		= "media",
	[VSYNC_A_RING_HWADDR]		= "hwaddr",
	[VSYNC_A_RING_MCAST_ADDR]	= "mcast-addr",
	[VSYNC_A_RING_MTU]		= "mtu",
	[VSYNC_A_RING_NODE_ID]		= "id",
	[VSYNC_A_RING_ETHERTYPE]	= "ethertype",
	[VSYNC_A_RING_TOKEN_TIMEOUT]	= "token-timeout",
	[VSYNC_A_RING_TOKEN_RETRANSMIT]	= "token-retransmit",
	[VSYNC_A_RING_JOIN_TIMEOUT]	= "join-timeout",
	[VSYNC_A_RING_CONSENSUS_TIMEOUT] = "consensus-timeout",
	[VSYNC_A_RING_WINDOW]		= "window",
	[VSYNC_A_RING_MAX_MESSAGES]	= "max-messages",
	[VSYNC_A_RING_STATE]		= "state",
	[VSYNC_A_RING_REP]		= "rep",
	[VSYNC_A_RING_SEQ]		= "seq",
	[VSYNC_A_RING_MEMBERS]		= "members",
	[VSYNC_A_RING_STATS]		= "stats",
	[VSYNC_A_RING_WINDOW_AUTO]	= "window-auto",
	[VSYNC_A_RING_FRAME_MTU]	= "frame-mtu",
};

const char *ring_attr_name(int type)
{
	static char buf[16];

	if (type >= 0 && type <= VSYNC_A_RING_MAX && ring_attr_names[type])
		return ring_attr_names[type];
	snprintf(buf, sizeof(buf), "%d", type);
	return buf;
}

/* The tunables: keyword, JSON key, attribute and range. */
static const struct tunable {
	const char *keyword;
	const char *key;
	int attr;
	uint32_t min, max;
} tunables[] = {
	{ "token-timeout", "token_timeout",
	  VSYNC_A_RING_TOKEN_TIMEOUT, 2, 60000 },
	{ "token-retransmit", "token_retransmit",
	  VSYNC_A_RING_TOKEN_RETRANSMIT, 1, 60000 },
	{ "join-timeout", "join_timeout",
	  VSYNC_A_RING_JOIN_TIMEOUT, 1, 60000 },
	{ "consensus-timeout", "consensus_timeout",
	  VSYNC_A_RING_CONSENSUS_TIMEOUT, 2, 120000 },
	{ "window", "window", VSYNC_A_RING_WINDOW, 1, 4096 },
	{ "max-messages", "max_messages", VSYNC_A_RING_MAX_MESSAGES, 1, 4096 },
};

int ring_parse(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	return parse_attrs(nlh, ring_policy, VSYNC_A_RING_MAX, tb);
}

const char *ring_name(const struct nlattr **tb)
{
	static char buf[32];

	if (tb[VSYNC_A_RING_IFNAME])
		return mnl_attr_get_str(tb[VSYNC_A_RING_IFNAME]);
	if (tb[VSYNC_A_RING_IFINDEX]) {
		snprintf(buf, sizeof(buf), "ifindex-%u",
			 mnl_attr_get_u32(tb[VSYNC_A_RING_IFINDEX]));
		return buf;
	}
	return "?";
}

int ring_fetch(const char *dev, struct genl_reply *reply)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct genl_sock *gs;
	struct nlmsghdr *nlh;
	int rc = RC_OK;

	gs = vsync_genl(&rc);
	if (!gs)
		return rc;

	nlh = genl_msg_start(gs, buf, VSYNC_CMD_RING_GET,
			     dev ? NLM_F_ACK : NLM_F_DUMP);
	if (dev)
		mnl_attr_put_strz(nlh, VSYNC_A_RING_IFNAME, dev);
	if (genl_transact(gs, nlh, reply) < 0)
		return genl_failed(gs);
	if (reply->interrupted)
		warn("the rings kept changing while they were read; the output may be inconsistent");
	return RC_OK;
}

/*
 * The ring on DEV, or every ring: fetch them and PRINT each, with ARG,
 * into one array (the "show" commands).
 */
int ring_for_each(const char *dev,
		  void (*print)(const struct nlattr **tb, void *arg),
		  void *arg)
{
	struct genl_reply reply = { 0 };
	size_t i;
	int rc;

	rc = ring_fetch(dev, &reply);
	if (rc)
		return rc;
	print_open_array(NULL);
	for (i = 0; i < reply.count; i++) {
		const struct nlattr *tb[VSYNC_A_RING_MAX + 1];

		if (ring_parse(reply.msgs[i], tb) == 0)
			print(tb, arg);
	}
	print_close_array();
	genl_reply_free(&reply);
	return RC_OK;
}

/* ---- printing a ring ---------------------------------------------- */

static const char *state_name(uint32_t state)
{
	static char buf[24];

	switch (state) {
	case VSYNC_STATE_OPERATIONAL:
		return "operational";
	case VSYNC_STATE_GATHER:
		return "gather";
	case VSYNC_STATE_COMMIT:
		return "commit";
	case VSYNC_STATE_RECOVERY:
		return "recovery";
	case VSYNC_STATE_DOWN:
		return "down";
	}
	snprintf(buf, sizeof(buf), "unknown-%u", state);
	return buf;
}

static void print_attr_u32(const struct nlattr **tb, int type,
			   enum print_type ptype, const char *key,
			   const char *fmt)
{
	if (tb[type])
		print_u32(ptype, key, fmt, mnl_attr_get_u32(tb[type]));
}

static void print_attr_hwaddr(const struct nlattr **tb, int type,
			      const char *key, const char *fmt)
{
	const struct nlattr *a = tb[type];
	size_t len;

	if (!a)
		return;
	len = mnl_attr_get_payload_len(a);
	if (len > VSYNC_HWADDR_MAX)
		len = VSYNC_HWADDR_MAX;
	print_hwaddr(PRINT_ANY, key, fmt, mnl_attr_get_payload(a), len);
}

static unsigned int count_members(const struct nlattr *members)
{
	const struct nlattr *m;
	unsigned int n = 0;

	mnl_attr_for_each_nested(m, members)
		if (mnl_attr_get_type(m) == VSYNC_A_MEMBER)
			n++;
	return n;
}

/* "ring eth0" as text; ifindex and ifname in JSON. */
void ring_print_ident(const struct nlattr **tb)
{
	print_text("ring %s", ring_name(tb));
	print_attr_u32(tb, VSYNC_A_RING_IFINDEX, PRINT_JSON, "ifindex", NULL);
	if (tb[VSYNC_A_RING_IFNAME])
		print_string(PRINT_JSON, "ifname", NULL,
			     mnl_attr_get_str(tb[VSYNC_A_RING_IFNAME]));
}

/* "ring eth0 node 3 state operational id 1:12 members 3 ethertype ..." */
static void print_head(const struct nlattr **tb)
{
	ring_print_ident(tb);
	print_attr_u32(tb, VSYNC_A_RING_NODE_ID, PRINT_ANY, "node_id",
		       " node %u");
	if (tb[VSYNC_A_RING_STATE])
		print_string(PRINT_ANY, "state", " state %s",
			     state_name(mnl_attr_get_u32(tb[VSYNC_A_RING_STATE])));

	/* The ring id is the pair rep:seq. */
	print_attr_u32(tb, VSYNC_A_RING_REP, PRINT_ANY, "rep", " id %u");
	if (tb[VSYNC_A_RING_SEQ])
		print_u64(PRINT_ANY, "seq",
			  tb[VSYNC_A_RING_REP] ? ":%" PRIu64 : " id ?:%" PRIu64,
			  mnl_attr_get_u64(tb[VSYNC_A_RING_SEQ]));

	if (tb[VSYNC_A_RING_MEMBERS])
		print_text(" members %u",
			   count_members(tb[VSYNC_A_RING_MEMBERS]));
	if (tb[VSYNC_A_RING_ETHERTYPE])
		print_u32(PRINT_ANY, "ethertype", " ethertype 0x%04x",
			  mnl_attr_get_u16(tb[VSYNC_A_RING_ETHERTYPE]));
	if (tb[VSYNC_A_RING_MEDIA])
		print_string(PRINT_ANY, "media", " media %s",
			     mnl_attr_get_str(tb[VSYNC_A_RING_MEDIA]));
	print_attr_u32(tb, VSYNC_A_RING_MTU, PRINT_ANY, "mtu", " mtu %u");
	/* The ring's frames, as text only when a member holds them down. */
	if (tb[VSYNC_A_RING_FRAME_MTU]) {
		uint32_t fm = mnl_attr_get_u32(tb[VSYNC_A_RING_FRAME_MTU]);
		bool less = tb[VSYNC_A_RING_MTU] &&
			    fm < mnl_attr_get_u32(tb[VSYNC_A_RING_MTU]);

		print_u32(less ? PRINT_ANY : PRINT_JSON, "frame_mtu",
			  " frame-mtu %u", fm);
	}
}

/* "    link hwaddr 52:54:00:12:34:56 mcast-addr ff:ff:ff:ff:ff:ff" */
static void print_link(const struct nlattr **tb)
{
	if (!tb[VSYNC_A_RING_HWADDR] && !tb[VSYNC_A_RING_MCAST_ADDR])
		return;
	print_text("\n    link");
	print_attr_hwaddr(tb, VSYNC_A_RING_HWADDR, "hwaddr", " hwaddr %s");
	print_attr_hwaddr(tb, VSYNC_A_RING_MCAST_ADDR, "mcast_addr",
			  " mcast-addr %s");
}

/* "    timers token-timeout 50 token-retransmit 10 ..." */
static void print_timers(const struct nlattr **tb)
{
	bool any = false;
	size_t i;
	char fmt[64];

	for (i = 0; i < ARRAY_SIZE(tunables); i++)
		any |= tb[tunables[i].attr] != NULL;
	if (!any)
		return;

	print_text("\n    timers");
	for (i = 0; i < ARRAY_SIZE(tunables); i++) {
		snprintf(fmt, sizeof(fmt), " %s %%u", tunables[i].keyword);
		print_attr_u32(tb, tunables[i].attr, PRINT_ANY,
			       tunables[i].key, fmt);
		/* "window 64 (auto)": the window in use, which grows. */
		if (tunables[i].attr == VSYNC_A_RING_WINDOW &&
		    tb[VSYNC_A_RING_WINDOW])
			print_bool(PRINT_ANY, "window_auto", " (auto)",
				   tb[VSYNC_A_RING_WINDOW_AUTO] != NULL);
	}
}

/*
 * One member: text " 3*" (the star marks this node), JSON
 * {"node_id":3,"hwaddr":"52:54:00:12:34:56","local":true}.
 */
static void print_member(const struct nlattr **mtb)
{
	print_open_object(NULL);
	if (mtb[VSYNC_A_MEMBER_NODE_ID])
		print_u32(PRINT_ANY, "node_id", " %u",
			  mnl_attr_get_u32(mtb[VSYNC_A_MEMBER_NODE_ID]));
	else
		print_text(" ?");
	if (mtb[VSYNC_A_MEMBER_HWADDR]) {
		const struct nlattr *a = mtb[VSYNC_A_MEMBER_HWADDR];
		size_t len = mnl_attr_get_payload_len(a);

		if (len > VSYNC_HWADDR_MAX)
			len = VSYNC_HWADDR_MAX;
		print_hwaddr(PRINT_JSON, "hwaddr", NULL,
			     mnl_attr_get_payload(a), len);
	}
	print_bool(PRINT_ANY, "local", "*",
		   mtb[VSYNC_A_MEMBER_LOCAL] != NULL);
	print_close_object();
}

int member_parse(const struct nlattr *member, const struct nlattr **mtb)
{
	if (mnl_attr_get_type(member) != VSYNC_A_MEMBER)
		return -1;
	return parse_nested(member, member_policy, VSYNC_A_MEMBER_MAX, mtb);
}

/* "    members 1 2 3*" */
static void print_members(const struct nlattr **tb)
{
	const struct nlattr *m;

	if (!tb[VSYNC_A_RING_MEMBERS])
		return;
	if (!count_members(tb[VSYNC_A_RING_MEMBERS])) {
		print_open_array("members");
		print_close_array();
		return;
	}
	print_text("\n    members");
	print_open_array("members");
	mnl_attr_for_each_nested(m, tb[VSYNC_A_RING_MEMBERS]) {
		const struct nlattr *mtb[VSYNC_A_MEMBER_MAX + 1];

		if (member_parse(m, mtb) == 0)
			print_member(mtb);
	}
	print_close_array();
}

void ring_print_fields(const struct nlattr **tb)
{
	print_head(tb);
	print_link(tb);
	print_timers(tb);
	print_members(tb);
	if (tb[VSYNC_A_RING_STATS] && print_is_json())
		stats_print(tb[VSYNC_A_RING_STATS], true);
	print_nl();
}

void ring_print(const struct nlattr **tb)
{
	print_open_object(NULL);
	ring_print_fields(tb);
	print_close_object();
}

/* ---- ring add ----------------------------------------------------- */

enum {
	K_DEV,
	K_ID,
	K_ETHERTYPE,
	K_MCAST_ADDR,
	K_TUNABLE,	/* the tunables[] follow in their order */
	K_HELP = K_TUNABLE + ARRAY_SIZE(tunables),
};

static const char *const add_keywords[] = {
	[K_DEV]		= "dev",
	[K_ID]		= "id",
	[K_ETHERTYPE]	= "ethertype",
	[K_MCAST_ADDR]	= "mcast-addr",
	[K_TUNABLE + 0]	= "token-timeout",
	[K_TUNABLE + 1]	= "token-retransmit",
	[K_TUNABLE + 2]	= "join-timeout",
	[K_TUNABLE + 3]	= "consensus-timeout",
	[K_TUNABLE + 4]	= "window",
	[K_TUNABLE + 5]	= "max-messages",
	[K_HELP]	= "help",
};

struct ring_config {
	const char *dev;
	bool seen[ARRAY_SIZE(add_keywords)];
	uint32_t node_id;
	uint16_t ethertype;
	uint8_t mcast[VSYNC_HWADDR_MAX];
	size_t mcast_len;
	uint32_t tunable[ARRAY_SIZE(tunables)];
};

/* Parse "KEYWORD VALUE"...; returns an exit status, -1 for help. */
static int parse_ring_add(int argc, char **argv, struct ring_config *cfg)
{
	int k, rc;

	for (; argc > 0; argc -= 2, argv += 2) {
		k = match_word(argv[0], add_keywords, ARRAY_SIZE(add_keywords),
			       "keyword");
		if (k < 0)
			return RC_USAGE;
		if (k == K_HELP)
			return -1;
		rc = need_value(argc, argv);
		if (rc)
			return rc;
		if (cfg->seen[k])
			return usage_error("\"%s\" is given twice",
					   add_keywords[k]);
		cfg->seen[k] = true;

		switch (k) {
		case K_DEV:
			rc = parse_dev(argv[1], &cfg->dev);
			break;
		case K_ID:
			rc = parse_u32("id", argv[1], 1, UINT32_MAX,
				       &cfg->node_id);
			break;
		case K_ETHERTYPE:
			rc = parse_u16("ethertype", argv[1], 0x0600, 0xffff,
				       &cfg->ethertype);
			break;
		case K_MCAST_ADDR:
			rc = parse_hwaddr("mcast-addr", argv[1], cfg->mcast,
					  &cfg->mcast_len);
			break;
		default: {
			const struct tunable *t = &tunables[k - K_TUNABLE];

			if (t->attr == VSYNC_A_RING_WINDOW &&
			    !strcmp(argv[1], "auto")) {
				cfg->tunable[k - K_TUNABLE] = VSYNC_WINDOW_AUTO;
				break;
			}
			rc = parse_u32(t->keyword, argv[1], t->min, t->max,
				       &cfg->tunable[k - K_TUNABLE]);
		}
		}
		if (rc)
			return rc;
	}
	if (!cfg->dev)
		return usage_error("\"dev DEV\" is required");
	return RC_OK;
}

int do_ring_add(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ring_config cfg = { 0 };
	struct genl_sock *gs;
	struct nlmsghdr *nlh;
	size_t i;
	int rc;

	rc = parse_ring_add(argc, argv, &cfg);
	if (rc < 0)
		return show_help();
	if (rc)
		return rc;

	gs = vsync_genl(&rc);
	if (!gs)
		return rc;

	nlh = genl_msg_start(gs, buf, VSYNC_CMD_RING_NEW, NLM_F_ACK);
	mnl_attr_put_strz(nlh, VSYNC_A_RING_IFNAME, cfg.dev);
	if (cfg.seen[K_ID])
		mnl_attr_put_u32(nlh, VSYNC_A_RING_NODE_ID, cfg.node_id);
	if (cfg.seen[K_ETHERTYPE])
		mnl_attr_put_u16(nlh, VSYNC_A_RING_ETHERTYPE, cfg.ethertype);
	if (cfg.seen[K_MCAST_ADDR])
		mnl_attr_put(nlh, VSYNC_A_RING_MCAST_ADDR, cfg.mcast_len,
			     cfg.mcast);
	for (i = 0; i < ARRAY_SIZE(tunables); i++)
		if (cfg.seen[K_TUNABLE + i])
			mnl_attr_put_u32(nlh, tunables[i].attr,
					 cfg.tunable[i]);

	if (genl_transact(gs, nlh, NULL) < 0)
		return genl_failed(gs);
	return RC_OK;
}

/* ---- ring del, ring show ------------------------------------------ */

/*
 * "[dev DEV]": the only argument of del and show. Returns an exit
 * status, -1 for help.
 */
int parse_dev_only(int argc, char **argv, const char **dev)
{
	static const char *const keywords[] = { "dev", "help" };
	int k, rc;

	for (; argc > 0; argc -= 2, argv += 2) {
		k = match_word(argv[0], keywords, ARRAY_SIZE(keywords),
			       "keyword");
		if (k < 0)
			return RC_USAGE;
		if (k == 1)
			return -1;
		rc = need_value(argc, argv);
		if (rc)
			return rc;
		if (*dev)
			return usage_error("\"dev\" is given twice");
		rc = parse_dev(argv[1], dev);
		if (rc)
			return rc;
	}
	return RC_OK;
}

int do_ring_del(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const char *dev = NULL;
	struct genl_sock *gs;
	struct nlmsghdr *nlh;
	int rc;

	rc = parse_dev_only(argc, argv, &dev);
	if (rc < 0)
		return show_help();
	if (rc)
		return rc;
	if (!dev)
		return usage_error("\"dev DEV\" is required");

	gs = vsync_genl(&rc);
	if (!gs)
		return rc;

	nlh = genl_msg_start(gs, buf, VSYNC_CMD_RING_DEL, NLM_F_ACK);
	mnl_attr_put_strz(nlh, VSYNC_A_RING_IFNAME, dev);
	if (genl_transact(gs, nlh, NULL) < 0)
		return genl_failed(gs);
	return RC_OK;
}

static void ring_show_one(const struct nlattr **tb, void *arg)
{
	(void)arg;
	ring_print(tb);
}

int do_ring_show(int argc, char **argv)
{
	const char *dev = NULL;
	int rc;

	rc = parse_dev_only(argc, argv, &dev);
	if (rc < 0)
		return show_help();
	if (rc)
		return rc;
	return ring_for_each(dev, ring_show_one, NULL);
}
