// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink on top of libmnl, see genl.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netlink.h>

#include "genl.h"

/* Large enough for any single message the kernel builds for a dump. */
#define GENL_BUF_SIZE	(64 * 1024)
/* How often an inconsistent (NLM_F_DUMP_INTR) dump is repeated. */
#define DUMP_TRIES	5
/* How long to wait for the kernel to answer a request. */
#define REPLY_TIMEOUT_S	30

static void set_error(struct genl_sock *gs, int err, bool from_kernel)
{
	memset(&gs->error, 0, sizeof(gs->error));
	gs->error.err = err;
	gs->error.from_kernel = from_kernel;
	gs->error.bad_attr = -1;
	gs->error.missing_attr = -1;
}

/* ---- extended ack ------------------------------------------------- */

struct extack {
	const struct nlattr *msg;
	const struct nlattr *offs;
	const struct nlattr *miss_type;
};

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct extack *ea = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			ea->msg = attr;
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ea->offs = attr;
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ea->miss_type = attr;
		break;
	}
	return MNL_CB_OK;
}

/*
 * Read the extack attributes that start @offset bytes into the payload of
 * @nlh, an NLMSG_ERROR or NLMSG_DONE answering @req.
 */
static void parse_extack(struct genl_sock *gs, const struct nlmsghdr *nlh,
			 size_t offset, const struct nlmsghdr *req)
{
	struct extack ea = { 0 };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, offset, extack_attr_cb, &ea);

	if (ea.msg)
		snprintf(gs->error.msg, sizeof(gs->error.msg), "%s",
			 mnl_attr_get_str(ea.msg));
	if (ea.miss_type)
		gs->error.missing_attr = mnl_attr_get_u32(ea.miss_type);
	if (ea.offs && req) {
		/* The offset counts from the start of our request. */
		uint32_t off = mnl_attr_get_u32(ea.offs);
		const struct nlattr *bad;

		if (off >= MNL_NLMSG_HDRLEN + GENL_HDRLEN &&
		    off + sizeof(*bad) <= req->nlmsg_len) {
			bad = (const struct nlattr *)((const char *)req + off);
			gs->error.bad_attr = bad->nla_type & NLA_TYPE_MASK;
		}
	}
}

/* ---- replies ------------------------------------------------------ */

void genl_reply_free(struct genl_reply *reply)
{
	size_t i;

	for (i = 0; i < reply->count; i++)
		free(reply->msgs[i]);
	free(reply->msgs);
	memset(reply, 0, sizeof(*reply));
}

static int reply_add(struct genl_reply *reply, const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy;

	if (reply->count == reply->alloc) {
		size_t n = reply->alloc ? 2 * reply->alloc : 8;
		struct nlmsghdr **msgs;

		msgs = realloc(reply->msgs, n * sizeof(*msgs));
		if (!msgs)
			return -1;
		reply->msgs = msgs;
		reply->alloc = n;
	}
	copy = malloc(nlh->nlmsg_len);
	if (!copy)
		return -1;
	memcpy(copy, nlh, nlh->nlmsg_len);
	reply->msgs[reply->count++] = copy;
	return 0;
}

/* ---- requests ----------------------------------------------------- */

static struct nlmsghdr *msg_start(struct genl_sock *gs, void *buf,
				  uint16_t family, uint8_t cmd, uint8_t version,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++gs->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *genl_msg_start(struct genl_sock *gs, void *buf, uint8_t cmd,
				uint16_t flags)
{
	return msg_start(gs, buf, gs->family, cmd, gs->version, flags);
}

const struct genlmsghdr *genl_hdr(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

int genl_parse(const struct nlmsghdr *nlh, mnl_attr_cb_t cb, void *data)
{
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -1;
	return mnl_attr_parse(nlh, GENL_HDRLEN, cb, data) < 0 ? -1 : 0;
}

/*
 * Handle one message answering @req. Returns 1 when the answer is
 * complete, 0 to read on, -1 on failure (gs->error set).
 */
static int handle_answer(struct genl_sock *gs, const struct nlmsghdr *nlh,
			 const struct nlmsghdr *req, struct genl_reply *reply,
			 bool *interrupted)
{
	const struct nlmsgerr *err;
	size_t offset;
	int done_err;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		*interrupted = true;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
			set_error(gs, EBADMSG, false);
			return -1;
		}
		err = mnl_nlmsg_get_payload(nlh);
		set_error(gs, -err->error, err->error != 0);
		offset = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		parse_extack(gs, nlh, offset, req);
		if (err->error == 0) {
			/* An ACK may carry a warning. */
			if (gs->error.msg[0])
				fprintf(stderr, "vsyncadm: warning: %s\n",
					gs->error.msg);
			return 1;
		}
		return -1;

	case NLMSG_DONE:
		/* A dump that failed part way says why here. */
		done_err = 0;
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(done_err))
			memcpy(&done_err, mnl_nlmsg_get_payload(nlh),
			       sizeof(done_err));
		if (done_err < 0) {
			set_error(gs, -done_err, true);
			parse_extack(gs, nlh, sizeof(done_err), req);
			return -1;
		}
		return 1;

	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return 0;
	}

	if (nlh->nlmsg_type == req->nlmsg_type && reply &&
	    reply_add(reply, nlh) < 0) {
		set_error(gs, ENOMEM, false);
		return -1;
	}
	return 0;
}

/* One attempt: send @req and read its whole answer. */
static int transact_once(struct genl_sock *gs, struct nlmsghdr *req,
			 struct genl_reply *reply, bool *interrupted)
{
	ssize_t n;
	int ret;

	req->nlmsg_seq = ++gs->seq;
	if (mnl_socket_sendto(gs->nl, req, req->nlmsg_len) < 0) {
		set_error(gs, errno, false);
		return -1;
	}

	for (;;) {
		const struct nlmsghdr *nlh;
		int len;

		n = mnl_socket_recvfrom(gs->nl, gs->buf, GENL_BUF_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: SO_RCVTIMEO expired without an answer. */
			set_error(gs, errno == EAGAIN ? ETIMEDOUT : errno,
				  false);
			return -1;
		}

		len = (int)n;
		for (nlh = (const struct nlmsghdr *)gs->buf;
		     mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* Skip notifications and answers to older requests. */
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    nlh->nlmsg_pid != gs->portid)
				continue;
			ret = handle_answer(gs, nlh, req, reply, interrupted);
			if (ret)
				return ret < 0 ? -1 : 0;
		}
	}
}

int genl_transact(struct genl_sock *gs, struct nlmsghdr *req,
		  struct genl_reply *reply)
{
	int tries;

	for (tries = 1; ; tries++) {
		bool interrupted = false;

		if (reply)
			genl_reply_free(reply);
		if (transact_once(gs, req, reply, &interrupted) < 0) {
			if (reply)
				genl_reply_free(reply);
			return -1;
		}
		if (!interrupted)
			return 0;
		if (tries == DUMP_TRIES) {
			if (reply)
				reply->interrupted = true;
			return 0;
		}
	}
}

/* ---- resolving the family ----------------------------------------- */

static int ctrl_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= CTRL_ATTR_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int grp_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= CTRL_ATTR_MCAST_GRP_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static void parse_groups(struct genl_sock *gs, const struct nlattr *groups)
{
	const struct nlattr *grp;

	mnl_attr_for_each_nested(grp, groups) {
		const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { 0 };
		const struct nlattr *name, *id;

		if (gs->ngroups == GENL_MAX_GROUPS)
			break;
		if (mnl_attr_parse_nested(grp, grp_attr_cb, tb) < 0)
			continue;
		name = tb[CTRL_ATTR_MCAST_GRP_NAME];
		id = tb[CTRL_ATTR_MCAST_GRP_ID];
		if (!name || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) ||
		    !id || mnl_attr_validate(id, MNL_TYPE_U32))
			continue;
		snprintf(gs->groups[gs->ngroups].name, GENL_NAMSIZ, "%s",
			 mnl_attr_get_str(name));
		gs->groups[gs->ngroups].id = mnl_attr_get_u32(id);
		gs->ngroups++;
	}
}

static int resolve_family(struct genl_sock *gs, const char *family)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	struct genl_reply reply = { 0 };
	struct nlmsghdr *nlh;
	int ret = -1;

	nlh = msg_start(gs, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
			NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family);

	if (genl_transact(gs, nlh, &reply) < 0)
		return -1;

	if (reply.count < 1 || genl_parse(reply.msgs[0], ctrl_attr_cb, tb) ||
	    !tb[CTRL_ATTR_FAMILY_ID] ||
	    mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16)) {
		set_error(gs, EBADMSG, false);
		goto out;
	}
	gs->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		parse_groups(gs, tb[CTRL_ATTR_MCAST_GROUPS]);
	ret = 0;
out:
	genl_reply_free(&reply);
	return ret;
}

/* ---- the socket --------------------------------------------------- */

int genl_open(struct genl_sock *gs, const char *family, uint8_t version)
{
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	int one = 1;

	memset(gs, 0, sizeof(*gs));
	gs->version = version;
	gs->seq = (uint32_t)time(NULL);

	gs->buf = malloc(GENL_BUF_SIZE);
	if (!gs->buf) {
		set_error(gs, ENOMEM, false);
		return -1;
	}
	gs->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!gs->nl || mnl_socket_bind(gs->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		set_error(gs, errno, false);
		genl_close(gs);
		return -1;
	}
	gs->portid = mnl_socket_get_portid(gs->nl);

	/*
	 * Ask for error messages, and for errors without a copy of our
	 * request. Old kernels lack these; that only loses the messages.
	 */
	mnl_socket_setsockopt(gs->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(gs->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(gs->nl), SOL_SOCKET, SO_RCVTIMEO,
		   &tv, sizeof(tv));

	if (resolve_family(gs, family) < 0) {
		struct genl_error e = gs->error;

		genl_close(gs);
		gs->error = e;
		return -1;
	}
	return 0;
}

void genl_close(struct genl_sock *gs)
{
	if (gs->nl)
		mnl_socket_close(gs->nl);
	free(gs->buf);
	gs->nl = NULL;
	gs->buf = NULL;
}

/* ---- notifications ------------------------------------------------ */

int genl_fd(struct genl_sock *gs)
{
	return mnl_socket_get_fd(gs->nl);
}

int genl_join(struct genl_sock *gs, const char *name)
{
	struct timeval tv = { 0 };	/* wait for events without a limit */
	unsigned int i;

	for (i = 0; i < gs->ngroups; i++)
		if (strcmp(gs->groups[i].name, name) == 0)
			break;
	if (i == gs->ngroups) {
		set_error(gs, ENOENT, false);
		snprintf(gs->error.msg, sizeof(gs->error.msg),
			 "multicast group \"%s\" not found", name);
		return -1;
	}
	if (mnl_socket_setsockopt(gs->nl, NETLINK_ADD_MEMBERSHIP,
				  &gs->groups[i].id,
				  sizeof(gs->groups[i].id)) < 0) {
		set_error(gs, errno, false);
		return -1;
	}
	setsockopt(mnl_socket_get_fd(gs->nl), SOL_SOCKET, SO_RCVTIMEO,
		   &tv, sizeof(tv));
	return 0;
}

int genl_recv_notify(struct genl_sock *gs, genl_notify_cb cb, void *data)
{
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len, ret;

	n = mnl_socket_recvfrom(gs->nl, gs->buf, GENL_BUF_SIZE);
	if (n < 0)
		return -1;

	len = (int)n;
	for (nlh = (const struct nlmsghdr *)gs->buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != gs->family)
			continue;
		ret = cb(nlh, data);
		if (ret < 0)
			return ret;
	}
	return 0;
}
