// SPDX-License-Identifier: GPL-2.0
/*
 * sockapi-peer: one node of tests/sockapi-multi.sh.
 *
 *	sockapi-peer -N NETNS -o PREFIX -n COUNT -G G -H H [-c] [-t SECONDS]
 *
 * In network namespace NETNS (a name under /run/netns or a path) it opens
 * three AF_VSYNC sockets on the namespace's only ring: two in group "g"
 * (logs PREFIX.g0, PREFIX.g1) and one in group "h" (PREFIX.h0). g0 sends
 * with agreed delivery, g1 with safe delivery, h0 alternates per message
 * through VSYNC_CMSG_DELIVERY.
 *
 *  1. Each socket waits for a regular view of its whole group: G members
 *     for "g", H for "h" (G and H count the sockets of all peers).
 *  2. Each socket sends COUNT messages.
 *  3. Once a socket has received the first COUNT messages of every member
 *     of its group, it sends COUNT more, except g1 of the peer given -c:
 *     that one closes then, while the others are sending.
 *  4. A socket is done when it has received 2 * COUNT messages from every
 *     member of its current view, and (in "g", if a peer was given -c)
 *     after a view of G - 1 members. Once all its sockets are done, the
 *     peer exits.
 *
 * The logs, one line per item received, for the shell to compare:
 *
 *	# sockapi-peer node=N port=P group=G	the header
 *	R REP:SEQ:VSEQ N/P,N/P,...		a regular view
 *	T REP:SEQ:VSEQ N/P,N/P,...		a transitional view
 *	D NODE PORT COUNTER LEN			a message, checked
 *	E TEXT					something that must not happen
 *	X done|closed|timeout|error ...	the last line
 *
 * A message carries a header { magic, group tag, node, port, counter,
 * length, FNV-1a hash of the rest } and pseudo-random bytes; the receiver
 * checks all of it against the sender's address and its own group, so a
 * message of "h" on a socket of "g" is an E line.
 *
 * Exit status: 0 done, 1 usage or setup error, 2 timeout, 3 a socket
 * failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/vsync.h>

#define NSOCK		3
#define MAX_MEMBERS	64
#define MAGIC		0x73706565u	/* "spee" */
#define MAX_LEN		4096

struct msg_hdr {
	uint32_t magic;
	uint32_t tag;
	uint32_t node;
	uint32_t port;
	uint32_t counter;
	uint32_t len;
	uint32_t sum;
};

struct sender {
	uint32_t node;
	uint32_t port;
	uint32_t last;		/* last counter received */
};

struct peer_sock {
	const char *name;	/* g0, g1, h0 */
	const char *group;
	int delivery;		/* VSYNC_DELIVERY_*, -1: alternate by cmsg */
	unsigned int total;	/* members of a full view */
	int fd;
	FILE *log;
	uint32_t node, port;
	struct vsync_member view[MAX_MEMBERS];
	unsigned int view_n;
	bool full;		/* a view of total members came */
	bool shrunk;		/* then one of total - 1 */
	struct sender senders[MAX_MEMBERS];
	unsigned int n_senders;
	uint32_t sent;		/* messages sent */
	uint32_t limit;		/* messages to send for now */
	bool phase2;
	bool closer;		/* closes after phase 1 */
	bool closed;
	bool done;
	bool want_out;
};

static struct peer_sock socks[NSOCK] = {
	{ .name = "g0", .group = "g", .delivery = VSYNC_DELIVERY_AGREED },
	{ .name = "g1", .group = "g", .delivery = VSYNC_DELIVERY_SAFE },
	{ .name = "h0", .group = "h", .delivery = -1 },
};

static uint32_t count = 10;
static bool expect_close;	/* some peer closes a "g" socket */
static unsigned char rbuf[MAX_LEN + 64], sbuf[MAX_LEN];

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("sockapi-peer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void elog(struct peer_sock *s, const char *fmt, ...)
{
	va_list ap;

	fputs("E ", s->log);
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->log);
}

static uint32_t fnv1a(const unsigned char *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t tag_of(const struct peer_sock *s)
{
	return (unsigned char)s->group[0];
}

static size_t len_of(const struct peer_sock *s, uint32_t counter)
{
	return sizeof(struct msg_hdr) + (counter * 131 + s->port * 17) % 3000;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */

static struct sender *sender_of(struct peer_sock *s, uint32_t node,
				uint32_t port)
{
	unsigned int i;

	for (i = 0; i < s->n_senders; i++)
		if (s->senders[i].node == node && s->senders[i].port == port)
			return &s->senders[i];
	if (s->n_senders == MAX_MEMBERS)
		return NULL;
	s->senders[s->n_senders].node = node;
	s->senders[s->n_senders].port = port;
	s->senders[s->n_senders].last = 0;
	return &s->senders[s->n_senders++];
}

/* Every member of the current view has sent up to COUNTER. */
static bool all_reached(struct peer_sock *s, uint32_t counter)
{
	unsigned int i;

	for (i = 0; i < s->view_n; i++) {
		struct sender *x = sender_of(s, s->view[i].vm_node,
					     s->view[i].vm_port);

		if (!x || x->last < counter)
			return false;
	}
	return s->view_n > 0;
}

static void on_view(struct peer_sock *s, uint32_t kind, size_t len)
{
	const struct vsync_view *v = (const void *)rbuf;
	bool self = false;
	unsigned int i, n;

	if (len < sizeof(*v) ||
	    len != sizeof(*v) + (size_t)v->vv_count * sizeof(v->vv_members[0])) {
		elog(s, "view of %zu bytes", len);
		return;
	}
	n = v->vv_count;
	if (n > MAX_MEMBERS) {
		elog(s, "view of %u members", n);
		return;
	}
	if (v->vv_kind != kind)
		elog(s, "view kind %u in an item of kind %u", v->vv_kind, kind);
	fprintf(s->log, "%c %u:%" PRIu64 ":%" PRIu64 " ",
		kind == VSYNC_KIND_VIEW_REGULAR ? 'R' : 'T', v->vv_ring_rep,
		(uint64_t)v->vv_ring_seq, (uint64_t)v->vv_seq);
	for (i = 0; i < n; i++) {
		const struct vsync_member *m = &v->vv_members[i];

		fprintf(s->log, "%s%u/%u", i ? "," : "", m->vm_node,
			m->vm_port);
		if (m->vm_node == s->node && m->vm_port == s->port)
			self = true;
		if (i && (m[-1].vm_node > m->vm_node ||
			  (m[-1].vm_node == m->vm_node &&
			   m[-1].vm_port >= m->vm_port)))
			elog(s, "view members not sorted");
	}
	if (!n)
		fputc('-', s->log);
	fputc('\n', s->log);
	if (!self)
		elog(s, "a view without this socket");
	if (kind != VSYNC_KIND_VIEW_REGULAR)
		return;
	memcpy(s->view, v->vv_members, n * sizeof(s->view[0]));
	s->view_n = n;
	if (n == s->total && !s->full) {
		s->full = true;
		s->limit = count;
	}
	if (s->full && n + 1 == s->total)
		s->shrunk = true;
}

static void on_data(struct peer_sock *s, const struct sockaddr_vsync *from,
		    size_t len)
{
	struct msg_hdr h;
	struct sender *x;
	bool ok = true;

	if (len < sizeof(h)) {
		elog(s, "message of %zu bytes from %u/%u", len, from->svs_node,
		     from->svs_port);
		return;
	}
	memcpy(&h, rbuf, sizeof(h));
	if (h.magic != MAGIC || h.len != len ||
	    h.sum != fnv1a(rbuf + sizeof(h), len - sizeof(h)))
		ok = false;
	if (h.tag != tag_of(s))
		elog(s, "message of group '%c' from %u/%u", (char)h.tag,
		     from->svs_node, from->svs_port);
	if (h.node != from->svs_node || h.port != from->svs_port)
		elog(s, "message of %u/%u with the address %u/%u", h.node,
		     h.port, from->svs_node, from->svs_port);
	if (strcmp(from->svs_group, s->group))
		elog(s, "message with svs_group '%.64s'", from->svs_group);
	fprintf(s->log, "D %u %u %u %zu%s\n", from->svs_node, from->svs_port,
		h.counter, len, ok ? "" : " BAD");
	if (!ok) {
		elog(s, "corrupt message");
		return;
	}
	x = sender_of(s, from->svs_node, from->svs_port);
	if (!x) {
		elog(s, "too many senders");
		return;
	}
	if (h.counter != x->last + 1)
		elog(s, "from %u/%u: counter %u after %u", x->node, x->port,
		     h.counter, x->last);
	x->last = h.counter;
}

/*
 * Done: everything is sent, 2 * COUNT messages came from every member of
 * the view, and in "g" the view without the member that closed came. From
 * then on nothing is logged: when the peers exit, the others see views
 * without them, after everything they compare.
 */
static void check_done(struct peer_sock *s)
{
	if (s->done || !s->phase2 || s->sent != s->limit ||
	    !all_reached(s, 2 * count) ||
	    (s->group[0] == 'g' && expect_close && !s->shrunk))
		return;
	s->done = true;
	fprintf(s->log, "X done sent=%u\n", s->sent);
	fflush(s->log);
}

/* Receive what is there; -errno if the socket failed. */
static int receive(struct peer_sock *s)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint32_t)) * 2];
	} ctl;
	struct sockaddr_vsync from;
	struct iovec iov = { rbuf, sizeof(rbuf) };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
	};
	struct cmsghdr *c;
	uint32_t kind;
	ssize_t len;
	int i;

	for (i = 0; i < 64; i++) {
		msg.msg_namelen = sizeof(from);
		msg.msg_controllen = sizeof(ctl.buf);
		len = recvmsg(s->fd, &msg, MSG_DONTWAIT);
		if (len < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		kind = UINT32_MAX;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_VSYNC &&
			    c->cmsg_type == VSYNC_CMSG_KIND)
				memcpy(&kind, CMSG_DATA(c), sizeof(kind));
		if (s->done)
			continue;
		if (msg.msg_flags & MSG_TRUNC) {
			elog(s, "truncated item of %zd bytes", len);
			continue;
		}
		if (kind == VSYNC_KIND_DATA && !(msg.msg_flags & MSG_OOB))
			on_data(s, &from, len);
		else if ((kind == VSYNC_KIND_VIEW_REGULAR ||
			  kind == VSYNC_KIND_VIEW_TRANSITIONAL) &&
			 (msg.msg_flags & MSG_OOB))
			on_view(s, kind, len);
		else
			elog(s, "item of kind %u, flags %#x", kind,
			     msg.msg_flags);
		check_done(s);
	}
	return 0;
}

/* Send what is due; -errno if the socket failed. */
static int send_some(struct peer_sock *s)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint32_t))];
	} ctl;
	struct iovec iov = { sbuf, 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct msg_hdr h;
	struct cmsghdr *c;
	uint32_t counter, d, x;
	size_t len, i;
	ssize_t ret;

	s->want_out = false;
	while (s->sent < s->limit) {
		counter = s->sent + 1;
		len = len_of(s, counter);
		x = s->port * 2654435761u ^ counter;
		for (i = sizeof(h); i < len; i++) {
			x = x * 1103515245u + 12345u;
			sbuf[i] = x >> 16;
		}
		h.magic = MAGIC;
		h.tag = tag_of(s);
		h.node = s->node;
		h.port = s->port;
		h.counter = counter;
		h.len = len;
		h.sum = fnv1a(sbuf + sizeof(h), len - sizeof(h));
		memcpy(sbuf, &h, sizeof(h));
		iov.iov_len = len;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		if (s->delivery < 0) {
			d = counter & 1 ? VSYNC_DELIVERY_SAFE :
					  VSYNC_DELIVERY_AGREED;
			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_VSYNC;
			c->cmsg_type = VSYNC_CMSG_DELIVERY;
			c->cmsg_len = CMSG_LEN(sizeof(d));
			memcpy(CMSG_DATA(c), &d, sizeof(d));
		}
		ret = sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (ret < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				s->want_out = true;
				return 0;
			}
			return -errno;
		}
		if ((size_t)ret != len)
			elog(s, "send of %zu bytes returned %zd", len, ret);
		s->sent = counter;
	}
	return 0;
}

static void finish(const char *why, int err)
{
	int i;

	for (i = 0; i < NSOCK; i++) {
		if (!socks[i].log)
			continue;
		if (!socks[i].closed && !socks[i].done)
			fprintf(socks[i].log, "X %s%s%s sent=%u\n", why,
				err ? " " : "", err ? strerror(err) : "",
				socks[i].sent);
		fclose(socks[i].log);
		socks[i].log = NULL;
	}
}

static void enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		die("setns %s: %s", path, strerror(errno));
	close(fd);
}

static int read_family(void)
{
	FILE *f = fopen("/sys/module/vsync/parameters/family", "r");
	int fam = -1;

	if (!f || fscanf(f, "%d", &fam) != 1)
		die("cannot read the vsync family");
	fclose(f);
	return fam;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sockapi-peer -N NETNS -o PREFIX -n COUNT -G G -H H [-c] [-C] [-t SECONDS]\n"
		"  -c  close g1 after the first COUNT messages\n"
		"  -C  some peer does -c: wait for the view without it\n");
	exit(1);
}

int main(int argc, char **argv)
{
	const char *netns = NULL, *prefix = NULL;
	unsigned int g_total = 0, h_total = 0, timeout = 60;
	bool closer = false;
	double deadline;
	int opt, i, family, ret;

	while ((opt = getopt(argc, argv, "N:o:n:G:H:cCt:")) != -1) {
		switch (opt) {
		case 'N': netns = optarg; break;
		case 'o': prefix = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'G': g_total = strtoul(optarg, NULL, 0); break;
		case 'H': h_total = strtoul(optarg, NULL, 0); break;
		case 'c': closer = true; expect_close = true; break;
		case 'C': expect_close = true; break;
		case 't': timeout = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!prefix || !count || !g_total || !h_total || optind != argc ||
	    g_total > MAX_MEMBERS || h_total > MAX_MEMBERS)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (netns)
		enter_netns(netns);
	family = read_family();

	for (i = 0; i < NSOCK; i++) {
		struct peer_sock *s = &socks[i];
		struct sockaddr_vsync a;
		char path[PATH_MAX];
		int big = 8 << 20;
		socklen_t len;

		s->total = s->group[0] == 'g' ? g_total : h_total;
		s->closer = closer && !strcmp(s->name, "g1");
		snprintf(path, sizeof(path), "%s.%s", prefix, s->name);
		s->log = fopen(path, "w");
		if (!s->log)
			die("%s: %s", path, strerror(errno));
		setvbuf(s->log, NULL, _IOFBF, 1 << 16);
		s->fd = socket(family, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (s->fd < 0)
			die("socket: %s", strerror(errno));
		if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
			       sizeof(big)))
			die("SO_RCVBUFFORCE: %s", strerror(errno));
		if (s->delivery >= 0 &&
		    setsockopt(s->fd, SOL_VSYNC, VSYNC_DELIVERY, &s->delivery,
			       sizeof(s->delivery)))
			die("VSYNC_DELIVERY: %s", strerror(errno));
		memset(&a, 0, sizeof(a));
		a.svs_family = family;
		strcpy(a.svs_group, s->group);
		if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)))
			die("bind %s: %s", s->group, strerror(errno));
		len = sizeof(s->node);
		if (getsockopt(s->fd, SOL_VSYNC, VSYNC_NODE_ID, &s->node, &len))
			die("VSYNC_NODE_ID: %s", strerror(errno));
		len = sizeof(s->port);
		if (getsockopt(s->fd, SOL_VSYNC, VSYNC_PORT, &s->port, &len))
			die("VSYNC_PORT: %s", strerror(errno));
		fprintf(s->log, "# sockapi-peer node=%u port=%u group=%s\n",
			s->node, s->port, s->group);
	}

	deadline = now() + timeout;
	for (;;) {
		struct pollfd pfd[NSOCK];
		int n_open = 0, n_done = 0;

		for (i = 0; i < NSOCK; i++) {
			struct peer_sock *s = &socks[i];

			pfd[i].fd = -1;
			pfd[i].events = 0;
			if (s->closed)
				continue;
			n_open++;
			/* Phase 2, or the close. */
			if (s->full && !s->phase2 && all_reached(s, count)) {
				s->phase2 = true;
				if (s->closer) {
					fprintf(s->log, "X closed sent=%u\n",
						s->sent);
					fclose(s->log);
					s->log = NULL;
					close(s->fd);
					s->closed = true;
					n_open--;
					continue;
				}
				s->limit = 2 * count;
			}
			ret = send_some(s);
			if (ret < 0) {
				finish("error", -ret);
				return 3;
			}
			check_done(s);
			if (s->done)
				n_done++;
			pfd[i].fd = s->fd;
			pfd[i].events = POLLIN | (s->want_out ? POLLOUT : 0);
		}
		if (n_open && n_done == n_open) {
			finish("done", 0);
			return 0;
		}
		if (now() > deadline) {
			finish("timeout", 0);
			return 2;
		}
		ret = poll(pfd, NSOCK, 100);
		if (ret < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < NSOCK; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			ret = receive(&socks[i]);
			if (ret < 0) {
				finish("error", -ret);
				return 3;
			}
		}
	}
}
