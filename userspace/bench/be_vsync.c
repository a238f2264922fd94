// SPDX-License-Identifier: GPL-2.0
/*
 * vsync-bench: the benchmark agent on an AF_VSYNC socket (SOCK_SEQPACKET)
 * bound to a group of the namespace's ring. Safe delivery is asked per
 * message with a SOL_VSYNC/VSYNC_CMSG_DELIVERY control message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/vsync.h>

#include "bench.h"

static int fd = -1;
static unsigned char *rbuf;
static const size_t rbuf_len = BENCH_MSG_MAX + 4096;

static int read_family(void)
{
	FILE *f = fopen("/sys/module/vsync/parameters/family", "r");
	int fam = -1;

	if (!f)
		die("vsync module not loaded: %s", strerror(errno));
	if (fscanf(f, "%d", &fam) != 1)
		fam = -1;
	fclose(f);
	return fam;
}

static int vs_setup(const struct agent_opts *o)
{
	struct sockaddr_vsync a = { 0 };
	int fam = read_family();

	fd = socket(fam, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket(%d): %s", fam, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o->rcvbuf,
		       sizeof(o->rcvbuf)) < 0)
		die("SO_RCVBUFFORCE: %s", strerror(errno));
	if (o->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &o->sndbuf,
				    sizeof(o->sndbuf)) < 0)
		die("SO_SNDBUFFORCE: %s", strerror(errno));
	a.svs_family = fam;
	a.svs_ifindex = 0;	/* the namespace's only ring */
	snprintf(a.svs_group, sizeof(a.svs_group), "%s", o->group);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind %s: %s", o->group, strerror(errno));
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("O_NONBLOCK: %s", strerror(errno));
	rbuf = malloc(rbuf_len);
	if (!rbuf)
		die("out of memory");
	return 0;
}

static int vs_fd(void)
{
	return fd;
}

static int vs_send(const void *buf, size_t len, bool safe, bool more)
{
	union {
		char b[CMSG_SPACE(sizeof(__u32))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (safe) {
		memset(&c, 0, sizeof(c));
		m.msg_control = c.b;
		m.msg_controllen = sizeof(c.b);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_VSYNC;
		cm->cmsg_type = VSYNC_CMSG_DELIVERY;
		cm->cmsg_len = CMSG_LEN(sizeof(__u32));
		*(__u32 *)CMSG_DATA(cm) = VSYNC_DELIVERY_SAFE;
	}
	/* MSG_MORE: the burst's messages share frames and a token visit. */
	if (sendmsg(fd, &m, MSG_DONTWAIT | (more ? MSG_MORE : 0)) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 1;
	return -errno;
}

/* At most RECV_BURST messages per call, so that sending goes on. */
#define RECV_BURST 256

static int vs_recv(void)
{
	for (int k = 0; k < RECV_BURST; k++) {
		struct iovec iov = { rbuf, rbuf_len };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			return -errno;
		}
		if (m.msg_flags & MSG_OOB) {
			const struct vsync_view *v = (const void *)rbuf;

			if ((size_t)n >= sizeof(*v))
				agent_view(v->vv_count,
					   v->vv_kind == VSYNC_KIND_VIEW_REGULAR);
			continue;
		}
		agent_deliver(rbuf, n);
	}
	return 0;
}

const struct bench_backend backend = {
	.name = "vsync-bench",
	.self_delivery = true,
	.has_views = true,
	.pollout = true,
	.setup = vs_setup,
	.fd = vs_fd,
	.send = vs_send,
	.recv = vs_recv,
};

int main(int argc, char **argv)
{
	return agent_main(argc, argv);
}
