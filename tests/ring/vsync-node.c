// SPDX-License-Identifier: GPL-2.0
/*
 * vsync-node: one node of a multi-node ring test.
 *
 * It binds one AF_VSYNC socket to a group, sends numbered, checksummed
 * messages and logs everything the ring delivers to it, one line per
 * delivery, for tests/ring/check-logs to compare across nodes:
 *
 *	# vsync-node node=N port=P group=G ...  header and comments
 *	R REP:SEQ:VSEQ N/P,N/P,... t=MS  a regular view of the group
 *	T REP:SEQ:OSEQ:OREP N/P,... t=MS a transitional view
 *	D NODE PORT COUNTER LEN ok       a data message (BAD: failed its check)
 *	E TEXT                           something the socket must never do
 *	X REASON sent=K ...              the last line: why the node stopped
 *
 * A view names itself by vv_ring_rep:vv_ring_seq:vv_seq (and, if
 * transitional, :vv_old_rep: with vv_seq, the old ring) and lists its
 * members as node/port, "-" when there are none; t= is CLOCK_REALTIME in
 * milliseconds, for measuring how long changes take.
 *
 * Message format: a message of 16 bytes or more starts with a header of
 * four big-endian u32 { node, counter, len, sum }: the sender's node id,
 * its counter (1, 2, ...), the message length with FIN_FLAG or'ed in on
 * the sender's last message, and the 32-bit FNV-1a hash of the bytes after
 * the header. A shorter message has no room for a header: its bytes are
 * (counter + i) & 0xff and the receiver takes its counter as the previous
 * one from that sender plus one, so loss, duplication and reordering of
 * short messages still show up as a gap, a duplicate or a BAD line.
 *
 * The socket's membership starts when its JOIN comes round in the total
 * order: the first thing it receives is a regular view with itself in it.
 * -v N holds sending back until a regular view has N members, so that
 * when every node of a test uses -v N, everyone has joined before anyone
 * sends (the tests' "--from-start" condition).
 *
 * Sending and receiving interleave on one non-blocking socket under
 * ppoll(); the loop takes pending signals each time round as well (see
 * take_signals()). Signals: SIGTERM/SIGINT stop the node (the log is
 * flushed, exit 0), SIGUSR1 starts sending (with -Y), SIGUSR2 ends
 * sending: the next message is the last one and carries FIN_FLAG.
 *
 * Exit status: 0 done or terminated by a signal, 1 usage or setup error,
 * 2 timeout (-t), 3 the socket failed (ENOBUFS: evicted, ENODEV: ring
 * deleted, ...).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/vsync.h>

#define HDR_LEN		16
#define FIN_FLAG	0x80000000u
#define MAX_SENDERS	256
#define MAX_SIZES	64
#define MAX_MEMBERS	1024
#define RECV_BURST	256
#define SEND_BURST	64
#define COUNT_INF	UINT64_MAX

struct msg_hdr {
	uint32_t node;
	uint32_t counter;
	uint32_t len;
	uint32_t sum;
};

struct sender {
	uint32_t node;
	uint32_t port;
	uint32_t last;		/* last counter delivered */
	bool fin;		/* its last message was delivered */
};

struct size_override {
	uint64_t counter;
	uint32_t size;
};

/* Options */
static const char *opt_netns;
static const char *opt_dev;
static const char *opt_group = "ring-test";
static uint64_t opt_count;
static uint32_t opt_sizes[MAX_SIZES] = { 64 };
static int opt_n_sizes = 1;
static struct size_override opt_over[MAX_SIZES];
static int opt_n_over;
static double opt_rate;
static bool opt_safe;
static const char *opt_log;
static uint64_t opt_wait_msgs;
static uint32_t opt_wait_counter;
static bool opt_wait_fin;
static double opt_timeout;
static unsigned int opt_view_min;
static const char *opt_ready_file;
static const char *opt_view_file;
static bool opt_wait_go;
static int opt_rcvbuf = 32 << 20;
static int opt_sndbuf;
static bool opt_fill;
static bool opt_rt_fill;
static bool opt_blocking;
static int opt_family = -1;
static bool opt_quiet;
static const char *opt_join_after;

/* State */
static volatile sig_atomic_t sig_term, sig_go, sig_stop;
static FILE *logf;
static int fd = -1;
static uint32_t my_node, my_port;
static struct sender senders[MAX_SENDERS];
static int n_senders;
static struct vsync_member view_memb[MAX_MEMBERS];
static unsigned int view_n;
static bool view_known;		/* a regular view with us in it came */
static uint64_t sent;		/* messages sent */
static uint64_t total;		/* messages to send; COUNT_INF until stopped */
static bool sent_fin;
static uint64_t n_data, n_views, n_bad, n_errors;
static unsigned char *sbuf, *rbuf;
static size_t rbuf_len;
static const char *prog = "vsync-node";

static void usage(void)
{
	fprintf(stderr,
"usage: vsync-node [options]\n"
"  -N NETNS     enter network namespace /run/netns/NETNS first\n"
"  -d DEV       bind to the ring on DEV (default: the namespace's only ring)\n"
"  -g GROUP     group name (default ring-test)\n"
"  -n COUNT     messages to send, or 'inf' to send until SIGUSR2 (default 0)\n"
"  -s SIZES     message sizes, comma-separated, used in turn (default 64)\n"
"  -x K:SIZE    message number K (from 1) has SIZE bytes (repeatable)\n"
"  -r RATE      messages per second (default 0: as fast as the socket takes)\n"
"  -S           ask for safe delivery (VSYNC_DELIVERY)\n"
"  -o LOGFILE   delivery log (default stdout)\n"
"  -w COUNT     exit after COUNT data messages were delivered\n"
"  -W N         exit once counters up to N were delivered from every member\n"
"               of the current regular view (and our sending is done)\n"
"  -E           exit once the last message of every member of the current\n"
"               regular view was delivered (and our sending is done)\n"
"  -t SECONDS   give up after SECONDS (exit 2)\n"
"  -v N         send only once a regular view has N members or more\n"
"  -R FILE      create FILE once our JOIN is delivered (a regular view\n"
"               with this socket in it) and the view has -v members\n"
"  -V FILE      keep the current regular view in FILE\n"
"  -Y           after -R, wait for SIGUSR1 before sending\n"
"  -b BYTES     receive buffer (SO_RCVBUFFORCE; default 32 MiB)\n"
"  -m BYTES     send buffer (SO_SNDBUFFORCE; default the system's)\n"
"  -F           send until the socket is full before reading (default: at\n"
"               most 64 messages between reads)\n"
"  -P           with -F: fill at real-time priority (SCHED_FIFO 1), so\n"
"               that the ring's softirq work cannot stop us halfway\n"
"  -B           blocking recvmsg() loop, receive only (no poll)\n"
"  -f FAMILY    socket family (default: /sys/module/vsync/parameters/family)\n"
"  -q           no summary on stderr\n"
"  -J GROUP     once the first message is sent, join GROUP at once with a\n"
"               second socket, which is never read (its join follows that\n"
"               message in the order)\n");
	exit(1);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		die("bad %s: '%s'", what, s);
	return v;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long now_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
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

static void on_signal(int sig)
{
	switch (sig) {
	case SIGUSR1:
		sig_go = 1;
		break;
	case SIGUSR2:
		sig_stop = 1;
		break;
	default:
		sig_term = 1;
		break;
	}
}

/*
 * Take the signals that are pending while blocked. ppoll() delivers them
 * only when it would wait: with the socket readable or writable at every
 * call it returns at once, the mask is restored and the signal stays
 * pending. A node that always had deliveries to read went on sending
 * alone for seconds after SIGUSR2 (fairness.sh's late round).
 */
static void take_signals(const sigset_t *set)
{
	const struct timespec zero = { 0 };
	int sig;

	while ((sig = sigtimedwait(set, NULL, &zero)) > 0)
		on_signal(sig);
}

static void parse_sizes(const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;

	if (!copy)
		die("out of memory");
	opt_n_sizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v = parse_u64(tok, "size");

		if (v > VSYNC_MSG_MAX)
			die("size %" PRIu64 " is larger than %u", v,
			    VSYNC_MSG_MAX);
		if (opt_n_sizes == MAX_SIZES)
			die("too many sizes");
		opt_sizes[opt_n_sizes++] = v;
	}
	if (!opt_n_sizes)
		die("no sizes in '%s'", arg);
	free(copy);
}

static void parse_override(const char *arg)
{
	char *copy = strdup(arg), *colon;
	uint64_t size;

	if (!copy)
		die("out of memory");
	colon = strchr(copy, ':');
	if (!colon)
		die("-x wants K:SIZE, not '%s'", arg);
	*colon = '\0';
	if (opt_n_over == MAX_SIZES)
		die("too many -x");
	opt_over[opt_n_over].counter = parse_u64(copy, "message number");
	size = parse_u64(colon + 1, "size");
	if (size > VSYNC_MSG_MAX)
		die("size %" PRIu64 " is larger than %u", size, VSYNC_MSG_MAX);
	opt_over[opt_n_over++].size = size;
	free(copy);
}

static uint32_t size_of(uint64_t counter)
{
	int i;

	for (i = 0; i < opt_n_over; i++)
		if (opt_over[i].counter == counter)
			return opt_over[i].size;
	return opt_sizes[(counter - 1) % opt_n_sizes];
}

static int read_family(void)
{
	FILE *f = fopen("/sys/module/vsync/parameters/family", "r");
	int fam = -1;

	if (!f)
		die("cannot read the vsync family (is vsync.ko loaded?): %s",
		    strerror(errno));
	if (fscanf(f, "%d", &fam) != 1)
		die("cannot parse /sys/module/vsync/parameters/family");
	fclose(f);
	return fam;
}

/* ------------------------------------------------------------------ */
/* The log                                                             */

static void print_members(FILE *f, const struct vsync_member *m,
			  unsigned int n)
{
	unsigned int i;

	if (!n) {
		fputc('-', f);
		return;
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u/%u", i ? "," : "", m[i].vm_node, m[i].vm_port);
}

static void log_error(const char *fmt, ...)
{
	va_list ap;

	n_errors++;
	fputs("E ", logf);
	va_start(ap, fmt);
	vfprintf(logf, fmt, ap);
	va_end(ap);
	fputc('\n', logf);
}

/*
 * The -V file: "REP:SEQ:VSEQ NODES t=MS", NODES being the distinct nodes
 * of the members (what the shell tests compare), then a second line with
 * the members.
 */
static void write_view_file(const struct vsync_view *v)
{
	char tmp[PATH_MAX];
	unsigned int i, k = 0;
	uint32_t last = 0;
	FILE *f;

	if (!opt_view_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt_view_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%u:%" PRIu64 ":%" PRIu64 " ", v->vv_ring_rep,
		(uint64_t)v->vv_ring_seq, (uint64_t)v->vv_seq);
	for (i = 0; i < view_n; i++) {
		if (k && view_memb[i].vm_node == last)
			continue;
		last = view_memb[i].vm_node;
		fprintf(f, k++ ? ",%u" : "%u", last);
	}
	if (!k)
		fputc('-', f);
	fprintf(f, " t=%lld\n", now_real_ms());
	print_members(f, view_memb, view_n);
	fputc('\n', f);
	if (fclose(f) == 0)
		rename(tmp, opt_view_file);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */

static struct sender *sender_get(uint32_t node, uint32_t port)
{
	int i;

	for (i = 0; i < n_senders; i++)
		if (senders[i].node == node && senders[i].port == port)
			return &senders[i];
	if (n_senders == MAX_SENDERS)
		return NULL;
	senders[n_senders].node = node;
	senders[n_senders].port = port;
	return &senders[n_senders++];
}

static int member_cmp(const struct vsync_member *a,
		      const struct vsync_member *b)
{
	if (a->vm_node != b->vm_node)
		return a->vm_node < b->vm_node ? -1 : 1;
	if (a->vm_port != b->vm_port)
		return a->vm_port < b->vm_port ? -1 : 1;
	return 0;
}

static void handle_view(uint32_t kind, const unsigned char *p, size_t len)
{
	const struct vsync_view *v = (const void *)p;
	unsigned int i, n;
	bool self = false;

	if (len < sizeof(*v)) {
		log_error("short view: %zu bytes", len);
		return;
	}
	n = v->vv_count;
	if (len != sizeof(*v) + (size_t)n * sizeof(v->vv_members[0])) {
		log_error("view of %u members in %zu bytes", n, len);
		return;
	}
	if (n > MAX_MEMBERS) {
		log_error("view of %u members: more than %d", n, MAX_MEMBERS);
		return;
	}
	if (v->vv_kind != kind)
		log_error("view kind %u in a message of kind %u",
			  v->vv_kind, kind);
	for (i = 0; i < n; i++) {
		if (i && member_cmp(&v->vv_members[i - 1],
				    &v->vv_members[i]) >= 0)
			log_error("view members not sorted: %u/%u after %u/%u",
				  v->vv_members[i].vm_node,
				  v->vv_members[i].vm_port,
				  v->vv_members[i - 1].vm_node,
				  v->vv_members[i - 1].vm_port);
		if (v->vv_members[i].vm_node == my_node &&
		    v->vv_members[i].vm_port == my_port)
			self = true;
	}
	n_views++;
	fprintf(logf, "%c %u:%" PRIu64 ":%" PRIu64,
		kind == VSYNC_KIND_VIEW_REGULAR ? 'R' : 'T',
		v->vv_ring_rep, (uint64_t)v->vv_ring_seq,
		(uint64_t)v->vv_seq);
	if (kind != VSYNC_KIND_VIEW_REGULAR)
		fprintf(logf, ":%u", v->vv_old_rep);
	fputc(' ', logf);
	print_members(logf, v->vv_members, n);
	fprintf(logf, " t=%lld\n", now_real_ms());
	if (kind == VSYNC_KIND_VIEW_REGULAR) {
		memcpy(view_memb, v->vv_members, n * sizeof(view_memb[0]));
		view_n = n;
		view_known = self;
		write_view_file(v);
	}
}

static void handle_data(const struct sockaddr_vsync *from, size_t len)
{
	struct sender *s = sender_get(from->svs_node, from->svs_port);
	uint32_t counter, flags = 0;
	bool ok = true;
	size_t i;

	if (!s) {
		log_error("more than %d senders", MAX_SENDERS);
		return;
	}
	if (len >= HDR_LEN) {
		struct msg_hdr h;

		memcpy(&h, rbuf, sizeof(h));
		counter = ntohl(h.counter);
		flags = ntohl(h.len) & FIN_FLAG;
		if (ntohl(h.node) != from->svs_node ||
		    (ntohl(h.len) & ~FIN_FLAG) != len ||
		    ntohl(h.sum) != fnv1a(rbuf + HDR_LEN, len - HDR_LEN))
			ok = false;
	} else {
		counter = s->last + 1;
		for (i = 0; i < len; i++)
			if (rbuf[i] != (unsigned char)(counter + i))
				ok = false;
	}
	if (ok && counter > s->last)
		s->last = counter;
	if (ok && flags)
		s->fin = true;
	n_data++;
	if (!ok)
		n_bad++;
	fprintf(logf, "D %u %u %u %zu %s\n", from->svs_node, from->svs_port,
		counter, len, ok ? "ok" : "BAD");
}

/*
 * Receive one message. Returns 1 if one was handled, 0 if none is
 * waiting, -errno if the socket failed.
 */
static int recv_one(bool block)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint32_t)) * 4];
	} ctl;
	struct sockaddr_vsync from;
	struct iovec iov = { .iov_base = rbuf, .iov_len = rbuf_len };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	uint32_t kind = UINT32_MAX;
	ssize_t len;

	memset(&from, 0, sizeof(from));
	len = recvmsg(fd, &msg, block ? 0 : MSG_DONTWAIT);
	if (len < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -errno;
	}
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_VSYNC &&
		    c->cmsg_type == VSYNC_CMSG_KIND &&
		    c->cmsg_len == CMSG_LEN(sizeof(uint32_t)))
			memcpy(&kind, CMSG_DATA(c), sizeof(kind));
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		log_error("truncated message: %zd bytes, flags %#x", len,
			  msg.msg_flags);
		return 1;
	}
	if (msg.msg_namelen != sizeof(from) ||
	    from.svs_family != (sa_family_t)opt_family)
		log_error("bad sender address: length %u family %u",
			  msg.msg_namelen, from.svs_family);
	switch (kind) {
	case VSYNC_KIND_DATA:
		if (msg.msg_flags & MSG_OOB)
			log_error("data message with MSG_OOB");
		handle_data(&from, len);
		break;
	case VSYNC_KIND_VIEW_TRANSITIONAL:
	case VSYNC_KIND_VIEW_REGULAR:
		if (!(msg.msg_flags & MSG_OOB))
			log_error("view without MSG_OOB");
		handle_view(kind, rbuf, len);
		break;
	case UINT32_MAX:
		log_error("message of %zd bytes without VSYNC_CMSG_KIND", len);
		break;
	default:
		log_error("message of unknown kind %u", kind);
		break;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

static void fill_message(uint64_t counter, uint32_t size, bool fin)
{
	struct msg_hdr h;
	uint32_t x, i;

	if (size < HDR_LEN) {
		for (i = 0; i < size; i++)
			sbuf[i] = (unsigned char)(counter + i);
		return;
	}
	x = (my_node * 0x9e3779b1u) ^ ((uint32_t)counter * 0x85ebca6bu) ^ 1;
	for (i = HDR_LEN; i + 4 <= size; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(sbuf + i, &x, 4);
	}
	for (; i < size; i++)
		sbuf[i] = (unsigned char)i;
	h.node = htonl(my_node);
	h.counter = htonl((uint32_t)counter);
	h.len = htonl(size | (fin ? FIN_FLAG : 0));
	h.sum = htonl(fnv1a(sbuf + HDR_LEN, size - HDR_LEN));
	memcpy(sbuf, &h, sizeof(h));
}

/*
 * Send the next message. Returns 1 if sent, 0 if the socket is full
 * (EAGAIN), -errno on failure.
 */
static int send_one(void)
{
	uint64_t counter = sent + 1;
	bool fin = counter == total;
	uint32_t size = size_of(counter);
	static uint64_t filled;		/* counter whose data is in sbuf */
	static bool filled_fin;		/* and whether it carries FIN_FLAG */
	ssize_t ret;

	if (fin && size < HDR_LEN)
		size = HDR_LEN;	/* the last message carries FIN_FLAG */
	/*
	 * A message filled while the socket was full is sent as it is, unless
	 * SIGUSR2 has made it the last one since: then it must carry the FIN
	 * (without it, nobody's -E would ever see this node finish).
	 */
	if (filled != counter || filled_fin != fin) {
		fill_message(counter, size, fin);
		filled = counter;
		filled_fin = fin;
	}
	ret = send(fd, sbuf, size, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (ret < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -errno;
	}
	if ((size_t)ret != size)
		log_error("send of %u bytes returned %zd", size, ret);
	sent = counter;
	if (fin)
		sent_fin = true;
	return 1;
}

/* ------------------------------------------------------------------ */

static bool view_ready(void)
{
	return view_known && view_n >= opt_view_min;
}

/*
 * -P: a fill at SCHED_FIFO runs to its end (or to a full buffer) before
 * ksoftirqd, which runs the ring's receive chain, gets our CPU; back at
 * SCHED_OTHER to read. Needs CAP_SYS_NICE, which the tests have.
 */
static void set_fifo(bool on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	if (sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp))
		die("sched_setscheduler: %s", strerror(errno));
}

static bool sending_done(void)
{
	return sent == total;
}

/* The -W and -E conditions, for every member of the current view. */
static bool view_done(bool want_fin)
{
	unsigned int i;
	int j;

	if (!view_known || !view_n)
		return false;
	for (i = 0; i < view_n; i++) {
		bool seen = false;

		for (j = 0; j < n_senders; j++) {
			if (senders[j].node != view_memb[i].vm_node ||
			    senders[j].port != view_memb[i].vm_port)
				continue;
			seen = want_fin ? senders[j].fin :
			       senders[j].last >= opt_wait_counter;
		}
		if (!seen)
			return false;
	}
	return true;
}

static bool finished(void)
{
	if (opt_wait_msgs && n_data >= opt_wait_msgs)
		return true;
	if (!sending_done())
		return false;
	if (opt_wait_counter && view_done(false))
		return true;
	if (opt_wait_fin && view_done(true))
		return true;
	return false;
}

static void create_file(const char *path)
{
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (f < 0)
		die("cannot create %s: %s", path, strerror(errno));
	close(f);
}

static void enter_netns(const char *name)
{
	char path[PATH_MAX];
	int nsfd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	if (setns(nsfd, CLONE_NEWNET) < 0)
		die("setns %s: %s", path, strerror(errno));
	close(nsfd);
}

static int new_socket(void)
{
	int s = socket(opt_family, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (s < 0)
		die("socket(%d, SOCK_SEQPACKET): %s", opt_family,
		    strerror(errno));
	return s;
}

/* Joins socket @s to @group on our ring, or dies. */
static void bind_group(int s, const char *group)
{
	struct sockaddr_vsync addr;

	memset(&addr, 0, sizeof(addr));
	addr.svs_family = opt_family;
	if (opt_dev) {
		addr.svs_ifindex = if_nametoindex(opt_dev);
		if (!addr.svs_ifindex)
			die("no device %s: %s", opt_dev, strerror(errno));
	}
	if (strlen(group) >= VSYNC_GROUP_MAX)
		die("group name too long");
	strcpy(addr.svs_group, group);
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind to %s on %s: %s", group,
		    opt_dev ? opt_dev : "the only ring", strerror(errno));
}

static void setup_socket(void)
{
	socklen_t optlen;
	struct vsync_view *v;
	int one = 1;

	fd = new_socket();
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &opt_rcvbuf,
		       sizeof(opt_rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt_rcvbuf,
		       sizeof(opt_rcvbuf)) < 0)
		die("SO_RCVBUF: %s", strerror(errno));
	if (opt_sndbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &opt_sndbuf,
		       sizeof(opt_sndbuf)) < 0)
		die("SO_SNDBUFFORCE: %s", strerror(errno));
	if (opt_safe &&
	    setsockopt(fd, SOL_VSYNC, VSYNC_DELIVERY, &one, sizeof(one)) < 0)
		die("VSYNC_DELIVERY: %s", strerror(errno));
	bind_group(fd, opt_group);

	optlen = sizeof(my_node);
	if (getsockopt(fd, SOL_VSYNC, VSYNC_NODE_ID, &my_node, &optlen) < 0)
		die("VSYNC_NODE_ID: %s", strerror(errno));
	optlen = sizeof(my_port);
	if (getsockopt(fd, SOL_VSYNC, VSYNC_PORT, &my_port, &optlen) < 0)
		die("VSYNC_PORT: %s", strerror(errno));

	fprintf(logf, "# vsync-node node=%u port=%u group=%s dev=%s count=%s"
		" safe=%d\n", my_node, my_port, opt_group,
		opt_dev ? opt_dev : "-",
		opt_count == COUNT_INF ? "inf" : "n", opt_safe);

	/* Members before our JOIN is delivered: a comment only. */
	optlen = sizeof(*v) + MAX_MEMBERS * sizeof(v->vv_members[0]);
	v = calloc(1, optlen);
	if (!v)
		die("out of memory");
	if (getsockopt(fd, SOL_VSYNC, VSYNC_VIEW, v, &optlen) < 0)
		die("VSYNC_VIEW: %s", strerror(errno));
	fprintf(logf, "# VSYNC_VIEW at bind: %u:%" PRIu64 ":%" PRIu64 " ",
		v->vv_ring_rep, (uint64_t)v->vv_ring_seq, (uint64_t)v->vv_seq);
	print_members(logf, v->vv_members,
		      v->vv_count < MAX_MEMBERS ? v->vv_count : MAX_MEMBERS);
	fputc('\n', logf);
	free(v);
}

static const char *err_name(int err)
{
	switch (err) {
	case ENOBUFS: return "ENOBUFS";
	case ENODEV: return "ENODEV";
	case ENOTCONN: return "ENOTCONN";
	case EPIPE: return "EPIPE";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOMEM: return "ENOMEM";
	}
	return "errno";
}

static int finish(const char *reason, int err, int code)
{
	fprintf(logf, "X %s", reason);
	if (err)
		fprintf(logf, "=%s(%d)", err_name(err), err);
	fprintf(logf, " sent=%" PRIu64 " fin=%d recv=%" PRIu64 " views=%"
		PRIu64 " bad=%" PRIu64 " errors=%" PRIu64 "\n", sent,
		sent_fin, n_data, n_views, n_bad, n_errors);
	if (fflush(logf) || ferror(logf)) {
		fprintf(stderr, "%s: writing the log failed\n", prog);
		code = code ? code : 1;
	}
	if (!opt_quiet || code)
		fprintf(stderr, "%s: node %u: %s%s%s: sent %" PRIu64
			", received %" PRIu64 " data, %" PRIu64 " views, %"
			PRIu64 " bad, %" PRIu64 " errors\n", prog, my_node,
			reason, err ? " " : "", err ? strerror(err) : "",
			sent, n_data, n_views, n_bad, n_errors);
	return code;
}

static int run_blocking(double deadline)
{
	int ret;

	for (;;) {
		if (sig_term)
			return finish("term", 0, 0);
		if (deadline && now_mono() > deadline)
			return finish("timeout", 0, 2);
		if (finished())
			return finish("done", 0, 0);
		ret = recv_one(true);
		if (ret < 0)
			return finish("error", -ret, 3);
	}
}

int main(int argc, char **argv)
{
	sigset_t block, empty;
	struct sigaction sa;
	double start, deadline = 0, next_send = 0;
	bool ready = false, going = false, wait_out = false;
	int opt, ret, i;

	while ((opt = getopt(argc, argv, "N:d:g:n:s:x:r:So:w:W:Et:v:R:V:Yb:m:FPBf:qJ:h")) != -1) {
		switch (opt) {
		case 'N': opt_netns = optarg; break;
		case 'd': opt_dev = optarg; break;
		case 'g': opt_group = optarg; break;
		case 'n':
			opt_count = strcmp(optarg, "inf") ? parse_u64(optarg, "count") : COUNT_INF;
			break;
		case 's': parse_sizes(optarg); break;
		case 'x': parse_override(optarg); break;
		case 'r': opt_rate = parse_u64(optarg, "rate"); break;
		case 'S': opt_safe = true; break;
		case 'o': opt_log = optarg; break;
		case 'w': opt_wait_msgs = parse_u64(optarg, "count"); break;
		case 'W': opt_wait_counter = parse_u64(optarg, "counter"); break;
		case 'E': opt_wait_fin = true; break;
		case 't': opt_timeout = parse_u64(optarg, "timeout"); break;
		case 'v': opt_view_min = parse_u64(optarg, "member count"); break;
		case 'R': opt_ready_file = optarg; break;
		case 'V': opt_view_file = optarg; break;
		case 'Y': opt_wait_go = true; break;
		case 'b': opt_rcvbuf = parse_u64(optarg, "buffer size"); break;
		case 'm': opt_sndbuf = parse_u64(optarg, "buffer size"); break;
		case 'F': opt_fill = true; break;
		case 'P': opt_rt_fill = true; break;
		case 'B': opt_blocking = true; break;
		case 'f': opt_family = parse_u64(optarg, "family"); break;
		case 'q': opt_quiet = true; break;
		case 'J': opt_join_after = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (opt_blocking && opt_count)
		die("-B receives only; it cannot send (-n)");
	if (opt_fill && opt_count == COUNT_INF)
		die("-F needs -n COUNT: it would never read");
	if (opt_rt_fill && !opt_fill)
		die("-P goes with -F");
	if (opt_count == COUNT_INF && !opt_wait_fin && !opt_wait_msgs &&
	    !opt_timeout && !opt_ready_file)
		fprintf(stderr, "%s: warning: -n inf without -E: stop with SIGTERM\n", prog);

	setvbuf(stderr, NULL, _IOLBF, 0);
	total = opt_count;
	if (opt_netns)
		enter_netns(opt_netns);
	if (opt_family < 0)
		opt_family = read_family();

	if (opt_log) {
		logf = fopen(opt_log, "w");
		if (!logf)
			die("cannot open %s: %s", opt_log, strerror(errno));
	} else {
		logf = stdout;
	}
	setvbuf(logf, NULL, _IOFBF, 1 << 20);

	rbuf_len = VSYNC_MSG_MAX + 64;
	rbuf = malloc(rbuf_len);
	sbuf = malloc(VSYNC_MSG_MAX);
	if (!rbuf || !sbuf)
		die("out of memory");

	/* Signals are delivered only inside ppoll() (or a blocking recv). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&empty);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	if (!opt_blocking)
		sigprocmask(SIG_BLOCK, &block, NULL);

	setup_socket();
	snprintf((char *)sbuf, 32, "vsync-node[%u]", my_node);
	prog = strdup((char *)sbuf);

	start = now_mono();
	if (opt_timeout)
		deadline = start + opt_timeout;

	if (opt_blocking) {
		if (opt_ready_file)
			create_file(opt_ready_file);
		return run_blocking(deadline);
	}

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec ts, *tsp = NULL;
		double now, wake = 0;

		take_signals(&block);
		if (sig_term)
			return finish("term", 0, 0);
		now = now_mono();
		if (deadline && now > deadline)
			return finish("timeout", 0, 2);

		if (!ready && view_ready()) {
			ready = true;
			if (opt_ready_file)
				create_file(opt_ready_file);
		}
		if (ready && !going && (!opt_wait_go || sig_go)) {
			going = true;
			next_send = now;
		}
		if (sig_stop && total == COUNT_INF) {
			/* The next message is the last. */
			total = sent + 1;
		}
		if (finished())
			return finish("done", 0, 0);

		/* Send what we may. */
		if (going && !sending_done() && !wait_out) {
			/* After a stall (a membership change), no catching up. */
			if (opt_rate && next_send < now - 0.1)
				next_send = now - 0.1;
			if (opt_rt_fill)
				set_fifo(true);
			for (i = 0; (opt_fill || i < SEND_BURST) &&
				    !sending_done(); i++) {
				if (opt_rate && now_mono() < next_send)
					break;
				ret = send_one();
				if (ret < 0)
					return finish("error", -ret, 3);
				if (!ret) {
					wait_out = true;
					break;
				}
				if (opt_join_after && sent == 1)
					bind_group(new_socket(),
						   opt_join_after);
				if (opt_rate)
					next_send += 1.0 / opt_rate;
			}
			if (opt_rt_fill)
				set_fifo(false);
		}

		if (wait_out)
			pfd.events |= POLLOUT;
		if (going && !sending_done() && !wait_out)
			wake = opt_rate ? next_send : now_mono();
		if (deadline && (!wake || deadline < wake))
			wake = deadline;
		if (wake) {
			double d = wake - now_mono();

			if (d < 0)
				d = 0;
			ts.tv_sec = (time_t)d;
			ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
			tsp = &ts;
		}
		ret = ppoll(&pfd, 1, tsp, &empty);
		if (ret < 0 && errno != EINTR)
			die("ppoll: %s", strerror(errno));
		if (ret > 0 && (pfd.revents & POLLOUT))
			wait_out = false;
		if (ret > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP))) {
			for (i = 0; i < RECV_BURST; i++) {
				ret = recv_one(false);
				if (ret < 0)
					return finish("error", -ret, 3);
				if (!ret)
					break;
			}
		}
	}
}
