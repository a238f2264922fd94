/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink on top of libmnl: resolve a family and its multicast
 * groups, send a request and collect its replies, report the kernel's
 * error and extended ack message, receive notifications.
 */
#ifndef VSYNCADM_GENL_H
#define VSYNCADM_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#define GENL_MAX_GROUPS 8

/* Why the last call failed. */
struct genl_error {
	int err;		/* positive errno */
	bool from_kernel;	/* the kernel refused, else a local failure */
	char msg[256];		/* extack message, "" if none */
	int bad_attr;		/* type of the attribute the kernel blamed, or -1 */
	int missing_attr;	/* type of a required attribute missing, or -1 */
};

struct genl_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* resolved family id */
	uint8_t version;	/* version put in our requests */
	struct {
		char name[GENL_NAMSIZ];
		uint32_t id;
	} groups[GENL_MAX_GROUPS];
	unsigned int ngroups;
	char *buf;		/* receive buffer */
	struct genl_error error;
};

/* The messages a request was answered with, copied. */
struct genl_reply {
	struct nlmsghdr **msgs;
	size_t count;
	size_t alloc;
	bool interrupted;	/* a dump stayed inconsistent after retries */
};

/*
 * Open a generic netlink socket and resolve @family. On failure returns
 * -1 with gs->error set; a family that does not exist is err == ENOENT,
 * from_kernel.
 */
int genl_open(struct genl_sock *gs, const char *family, uint8_t version);
void genl_close(struct genl_sock *gs);

/* Start a request for @cmd of the resolved family in @buf. */
struct nlmsghdr *genl_msg_start(struct genl_sock *gs, void *buf, uint8_t cmd,
				uint16_t flags);

/*
 * Send @req and receive until its ACK, error or end of dump, collecting
 * the replies in @reply (may be NULL). A dump marked NLM_F_DUMP_INTR is
 * repeated a few times. Returns 0, or -1 with gs->error set and @reply
 * empty.
 */
int genl_transact(struct genl_sock *gs, struct nlmsghdr *req,
		  struct genl_reply *reply);
void genl_reply_free(struct genl_reply *reply);

/* The generic netlink header and the attributes after it. */
const struct genlmsghdr *genl_hdr(const struct nlmsghdr *nlh);
int genl_parse(const struct nlmsghdr *nlh, mnl_attr_cb_t cb, void *data);

/* The socket's file descriptor, to wait on. */
int genl_fd(struct genl_sock *gs);

/* Subscribe to the multicast group @name; -1 with gs->error on failure. */
int genl_join(struct genl_sock *gs, const char *name);

/*
 * Wait for notifications and call @cb for each message of the family.
 * Returns the callback's negative value, or -1 with errno set when
 * receiving failed (EINTR after a signal, ENOBUFS when some were lost).
 */
typedef int (*genl_notify_cb)(const struct nlmsghdr *nlh, void *data);
int genl_recv_notify(struct genl_sock *gs, genl_notify_cb cb, void *data);

#endif
