// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for genl.c that answers from canned messages instead of the
 * kernel, so that "make test" can run vsyncadm's commands and check their
 * output on a machine without vsync.ko. Linked into fake-vsyncadm only.
 *
 * The canned "kernel":
 *   info:           vsync 0.1.0 family 42 protocol 2 rings 2
 *   ring dump:      rings eth0 (3 members, this node is 3) and q"1 (no
 *                   members, no stats); FAKE_RINGS=0 makes it empty
 *   ring get:       eth0 exists, anything else is ENODEV
 *   ring new:       dev "busy" is EEXIST; window > 4096 is EINVAL
 *                   blaming the window attribute; otherwise success.
 *                   The attributes received are printed to stderr as
 *                   "fake: ring new dev=eth0 id=5 ...".
 *   ring del:       eth0 succeeds, anything else is ENOENT
 *   monitor:        new, view and del of eth0, then SIGTERM
 *   FAKE_NO_MODULE=1: the family does not exist.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/vsync.h>

#include "genl.h"

#define FAKE_FAMILY 0x20

static int pipefd[2] = { -1, -1 };

static void fail(struct genl_sock *gs, int err, const char *msg, int bad)
{
	memset(&gs->error, 0, sizeof(gs->error));
	gs->error.err = err;
	gs->error.from_kernel = true;
	snprintf(gs->error.msg, sizeof(gs->error.msg), "%s", msg ? msg : "");
	gs->error.bad_attr = bad;
	gs->error.missing_attr = -1;
}

int genl_open(struct genl_sock *gs, const char *family, uint8_t version)
{
	const char *env = getenv("FAKE_NO_MODULE");

	memset(gs, 0, sizeof(gs[0]));
	if ((env && strcmp(env, "1") == 0) || strcmp(family, "vsync")) {
		fail(gs, ENOENT, NULL, -1);
		return -1;
	}
	gs->family = FAKE_FAMILY;
	gs->version = version;
	return 0;
}

void genl_close(struct genl_sock *gs)
{
	(void)gs;
}

struct nlmsghdr *genl_msg_start(struct genl_sock *gs, void *buf, uint8_t cmd,
				uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = gs->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = gs->version;
	return nlh;
}

const struct genlmsghdr *genl_hdr(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

int genl_parse(const struct nlmsghdr *nlh, mnl_attr_cb_t cb, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, cb, data) < 0 ? -1 : 0;
}

void genl_reply_free(struct genl_reply *reply)
{
	size_t i;

	for (i = 0; i < reply->count; i++)
		free(reply->msgs[i]);
	free(reply->msgs);
	memset(reply, 0, sizeof(*reply));
}

/* ---- canned messages ---------------------------------------------- */

static struct nlmsghdr *new_msg(uint8_t cmd)
{
	struct nlmsghdr *nlh = calloc(1, MNL_SOCKET_BUFFER_SIZE);
	struct genlmsghdr *genl;

	nlh = mnl_nlmsg_put_header(nlh);
	nlh->nlmsg_type = FAKE_FAMILY;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = VSYNC_GENL_VERSION;
	return nlh;
}

static void add(struct genl_reply *reply, struct nlmsghdr *nlh)
{
	reply->msgs = realloc(reply->msgs,
			      (reply->count + 1) * sizeof(*reply->msgs));
	reply->msgs[reply->count++] = nlh;
}

static struct nlmsghdr *info_msg(void)
{
	struct nlmsghdr *nlh = new_msg(VSYNC_CMD_INFO_GET);

	mnl_attr_put_strz(nlh, VSYNC_A_INFO_VERSION, "0.1.0");
	mnl_attr_put_u32(nlh, VSYNC_A_INFO_FAMILY, 42);
	mnl_attr_put_u32(nlh, VSYNC_A_INFO_PROTOCOL, VSYNC_PROTOCOL_VERSION);
	mnl_attr_put_u32(nlh, VSYNC_A_INFO_RINGS, 2);
	return nlh;
}

/* eth0: node 3 of members 1, 2, 3, with statistics. */
static struct nlmsghdr *eth0_msg(uint8_t cmd)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct nlmsghdr *nlh = new_msg(cmd);
	struct nlattr *members, *member, *stats;
	uint8_t hw[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x03 };
	uint32_t i;

	mnl_attr_put_u32(nlh, VSYNC_A_RING_IFINDEX, 2);
	mnl_attr_put_strz(nlh, VSYNC_A_RING_IFNAME, "eth0");
	mnl_attr_put_strz(nlh, VSYNC_A_RING_MEDIA, "eth");
	mnl_attr_put(nlh, VSYNC_A_RING_HWADDR, sizeof(hw), hw);
	mnl_attr_put(nlh, VSYNC_A_RING_MCAST_ADDR, sizeof(bcast), bcast);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_MTU, 1500);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_FRAME_MTU, 1500);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_NODE_ID, 3);
	mnl_attr_put_u16(nlh, VSYNC_A_RING_ETHERTYPE, VSYNC_ETHERTYPE);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_TOKEN_TIMEOUT, 50);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_TOKEN_RETRANSMIT, 10);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_JOIN_TIMEOUT, 10);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_CONSENSUS_TIMEOUT, 80);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_WINDOW, 64);
	mnl_attr_put(nlh, VSYNC_A_RING_WINDOW_AUTO, 0, NULL);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_MAX_MESSAGES, 16);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_STATE, VSYNC_STATE_OPERATIONAL);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_REP, 1);
	mnl_attr_put_u64(nlh, VSYNC_A_RING_SEQ, 12);

	members = mnl_attr_nest_start(nlh, VSYNC_A_RING_MEMBERS);
	for (i = 1; i <= 3; i++) {
		hw[5] = (uint8_t)i;
		member = mnl_attr_nest_start(nlh, VSYNC_A_MEMBER);
		mnl_attr_put_u32(nlh, VSYNC_A_MEMBER_NODE_ID, i);
		mnl_attr_put(nlh, VSYNC_A_MEMBER_HWADDR, sizeof(hw), hw);
		if (i == 3)
			mnl_attr_put(nlh, VSYNC_A_MEMBER_LOCAL, 0, NULL);
		mnl_attr_nest_end(nlh, member);
	}
	mnl_attr_nest_end(nlh, members);

	/* Counter n is n * 100, except drop_seq 7 and the other drops 0. */
	stats = mnl_attr_nest_start(nlh, VSYNC_A_RING_STATS);
	for (i = VSYNC_A_STATS_FRAMES_IN; i <= VSYNC_A_STATS_MAX; i++) {
		uint64_t v = i * 100;

		if (i >= VSYNC_A_STATS_DROP_SHORT &&
		    i <= VSYNC_A_STATS_DROP_NOMEM)
			v = i == VSYNC_A_STATS_DROP_SEQ ? 7 : 0;
		mnl_attr_put_u64(nlh, (uint16_t)i, v);
	}
	mnl_attr_nest_end(nlh, stats);
	return nlh;
}

/* q"1: a name that needs escaping; gathering, no members yet. */
static struct nlmsghdr *q1_msg(void)
{
	struct nlmsghdr *nlh = new_msg(VSYNC_CMD_RING_GET);
	struct nlattr *members;

	mnl_attr_put_u32(nlh, VSYNC_A_RING_IFINDEX, 5);
	mnl_attr_put_strz(nlh, VSYNC_A_RING_IFNAME, "q\"1");
	mnl_attr_put_u32(nlh, VSYNC_A_RING_NODE_ID, 4000000000U);
	mnl_attr_put_u32(nlh, VSYNC_A_RING_STATE, VSYNC_STATE_GATHER);
	members = mnl_attr_nest_start(nlh, VSYNC_A_RING_MEMBERS);
	mnl_attr_nest_end(nlh, members);
	return nlh;
}

/* ---- requests ----------------------------------------------------- */

struct request {
	const struct nlattr *tb[VSYNC_A_RING_MAX + 1];
};

static int req_cb(const struct nlattr *attr, void *data)
{
	struct request *req = data;
	int type = mnl_attr_get_type(attr);

	if (type <= VSYNC_A_RING_MAX)
		req->tb[type] = attr;
	return MNL_CB_OK;
}

static const char *req_dev(const struct request *req)
{
	const struct nlattr *a = req->tb[VSYNC_A_RING_IFNAME];

	return a ? mnl_attr_get_str(a) : NULL;
}

/* "fake: ring new dev=eth0 id=5 ethertype=0x88b6 ..." on stderr */
static void log_ring_new(const struct request *req)
{
	static const struct {
		int type;
		const char *name;
	} u32s[] = {
		{ VSYNC_A_RING_NODE_ID, "id" },
		{ VSYNC_A_RING_TOKEN_TIMEOUT, "token-timeout" },
		{ VSYNC_A_RING_TOKEN_RETRANSMIT, "token-retransmit" },
		{ VSYNC_A_RING_JOIN_TIMEOUT, "join-timeout" },
		{ VSYNC_A_RING_CONSENSUS_TIMEOUT, "consensus-timeout" },
		{ VSYNC_A_RING_WINDOW, "window" },
		{ VSYNC_A_RING_MAX_MESSAGES, "max-messages" },
	};
	const struct nlattr *a;
	size_t i;

	fprintf(stderr, "fake: ring new dev=%s", req_dev(req));
	for (i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
		if (req->tb[u32s[i].type])
			fprintf(stderr, " %s=%u", u32s[i].name,
				mnl_attr_get_u32(req->tb[u32s[i].type]));
	a = req->tb[VSYNC_A_RING_ETHERTYPE];
	if (a)
		fprintf(stderr, " ethertype=0x%04x(len %u)",
			mnl_attr_get_u16(a), mnl_attr_get_payload_len(a));
	a = req->tb[VSYNC_A_RING_MCAST_ADDR];
	if (a) {
		const uint8_t *p = mnl_attr_get_payload(a);

		fprintf(stderr, " mcast-addr=");
		for (i = 0; i < mnl_attr_get_payload_len(a); i++)
			fprintf(stderr, "%s%02x", i ? ":" : "", p[i]);
	}
	fputc('\n', stderr);
}

int genl_transact(struct genl_sock *gs, struct nlmsghdr *nlh,
		  struct genl_reply *reply)
{
	const struct genlmsghdr *genl = genl_hdr(nlh);
	struct request req = { { 0 } };
	const char *dev, *env;

	if (reply)
		memset(reply, 0, sizeof(*reply));
	mnl_attr_parse(nlh, GENL_HDRLEN, req_cb, &req);
	dev = req_dev(&req);

	switch (genl->cmd) {
	case VSYNC_CMD_INFO_GET:
		add(reply, info_msg());
		return 0;

	case VSYNC_CMD_RING_GET:
		if (nlh->nlmsg_flags & NLM_F_DUMP) {
			env = getenv("FAKE_RINGS");
			if (env && strcmp(env, "0") == 0)
				return 0;
			add(reply, eth0_msg(VSYNC_CMD_RING_GET));
			add(reply, q1_msg());
			return 0;
		}
		if (dev && strcmp(dev, "eth0") == 0) {
			add(reply, eth0_msg(VSYNC_CMD_RING_GET));
			return 0;
		}
		fail(gs, ENODEV, "no vsync ring on this device", -1);
		return -1;

	case VSYNC_CMD_RING_NEW:
		log_ring_new(&req);
		if (dev && strcmp(dev, "busy") == 0) {
			fail(gs, EEXIST, "the device already has a ring", -1);
			return -1;
		}
		if (req.tb[VSYNC_A_RING_WINDOW] &&
		    mnl_attr_get_u32(req.tb[VSYNC_A_RING_WINDOW]) > 4096) {
			fail(gs, EINVAL, "window out of range",
			     VSYNC_A_RING_WINDOW);
			return -1;
		}
		return 0;

	case VSYNC_CMD_RING_DEL:
		if (dev && strcmp(dev, "eth0") == 0)
			return 0;
		fail(gs, ENOENT, "no vsync ring on this device", -1);
		return -1;
	}
	fail(gs, EOPNOTSUPP, NULL, -1);
	return -1;
}

/* ---- notifications ------------------------------------------------ */

int genl_fd(struct genl_sock *gs)
{
	(void)gs;
	if (pipefd[0] < 0) {
		if (pipe(pipefd) < 0)
			return -1;
		/* Always readable: monitor goes straight to receiving. */
		if (write(pipefd[1], "x", 1) != 1)
			return -1;
	}
	return pipefd[0];
}

int genl_join(struct genl_sock *gs, const char *name)
{
	(void)gs;
	fprintf(stderr, "fake: join %s\n", name);
	return 0;
}

int genl_recv_notify(struct genl_sock *gs, genl_notify_cb cb, void *data)
{
	static const uint8_t cmds[] = {
		VSYNC_CMD_RING_NEW, VSYNC_CMD_VIEW_NTF, VSYNC_CMD_RING_DEL,
	};
	static unsigned int calls;
	struct nlmsghdr *nlh;
	int ret = 0;

	(void)gs;
	if (calls >= sizeof(cmds)) {
		kill(getpid(), SIGTERM);
		return 0;
	}
	nlh = eth0_msg(cmds[calls++]);
	ret = cb(nlh, data);
	free(nlh);
	return ret;
}
