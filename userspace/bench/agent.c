// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark agent: one per node and system. It enters the node's
 * network namespace, joins the group through its backend and then runs
 * the measurement points its coordinator asks for, one at a time, over a
 * Unix stream socket with one command or result per line:
 *
 *   agent -> coordinator   hello node=I pid=P
 *   members n=N timeout_ms=T   -> members n=CURRENT ok=0|1
 *       wait until the current regular view has N members
 *   point id=P role=R size=S safe=0|1 t0=NS t1=NS t2=NS t3=NS quiet_ms=Q
 *         gap_us=G nsend=K inflight=B pace_us=U
 *       -> from id=P n=C1,C2,...     messages per sender in the window
 *       -> result id=P rx_msgs= rx_bytes= tx_msgs= tx_bytes= stale= lat_n=
 *          p50_ns= p99_ns= max_ns= lost= drain_ns= rx_all= rx_own= views=
 *          ends= span_bytes= span_ns= first_ns= drops= err=
 *       R: recv (receive only), send (send as fast as flow control and
 *       the closed loop let it from t0 to t2: at most B bytes sent and not
 *       yet delivered back; with U > 0 one message every U us instead,
 *       never a burst), probe (from t1 to t2, send a message and wait
 *       for its self-delivery, then wait G us, again; without
 *       self-delivery (raw link) send one every G us and let the
 *       receivers measure). Messages from other nodes delivered between
 *       t1 and t2 are counted (rx_*); span_* covers all of them. At t2
 *       every sender sends an END message; the point ends once the END of
 *       all K senders is delivered (or, on the raw link, after Q ms of
 *       silence), at the latest at t3. Times are CLOCK_MONOTONIC ns, the
 *       same clock in every namespace of the machine.
 *   watch n=M timeout_ms=T   -> armed, later watch ok=0|1 t_view=NS n=CURRENT
 *       wait for a regular view with at most M members that arrives after
 *       the command; t_view is when it was received (failover time).
 *   quit
 *
 * The agent is single-threaded: it sends and receives on non-blocking
 * sockets under poll(), so that a sender is also a receiver, as in a
 * replicated service.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define SEND_BURST	32
#define LAT_MAX		(1u << 20)
#define PROBE_LOST_NS	(5ull * 1000000000ull)
#define MAX_NODES	256

enum role { R_RECV, R_SEND, R_PROBE };

struct point {
	bool active;
	uint32_t id;
	enum role role;
	uint32_t size;
	bool safe;
	uint64_t t0, t1, t2, t3, quiet_ns, gap_ns;
	uint64_t pace_ns, next_send;	/* a paced sender's next message */
	uint64_t rx_msgs, rx_bytes, tx_msgs, tx_bytes, stale;
	uint64_t rx_all, rx_own;	/* whole messages, any time */
	/* Data from other nodes, any time: bytes and first/last arrival. */
	uint64_t span_bytes, span_first, span_last;
	uint64_t views;			/* views delivered meanwhile */
	unsigned int nsend;		/* senders in the point */
	uint64_t inflight;		/* bytes sent, not yet self-delivered */
	bool batch;			/* a burst's sends say "more follow" */
	uint64_t drops;			/* frames the socket dropped */
	uint32_t from[MAX_NODES + 1];	/* messages per sender, in window */
	uint64_t own_bytes;		/* own data delivered back */
	unsigned int ends;		/* their END messages delivered */
	bool end_sent;
	uint64_t last_rx;
	uint64_t seq;
	bool outstanding;
	uint64_t probe_seq, probe_sent, next_probe, lost;
	uint64_t *lat;
	uint64_t *lat_t;		/* send times, for VSYNC_BENCH_LAT_DUMP */
	size_t nlat;
};

static const char *prog = "bench-agent";
static struct agent_opts opt = {
	.dev = "eth0",
	.group = "bench",
	.rcvbuf = 64 << 20,
	.timeout_ms = 60000,
};
static const char *ctl_path;
static int ctl = -1;
static int be_fd = -1;
static int be_err;
static struct point pt;
static unsigned char *sbuf;
static bool pending;		/* sbuf holds a message refused so far */

static unsigned int view_members;
static bool view_regular;
static uint64_t view_t;
static uint64_t watch_since;	/* a watch is active */
static unsigned int watch_n;
static uint64_t watch_t;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s[%u]: ", prog, opt.node);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns %s: %s", path, strerror(errno));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Deliveries and views, called by the backend's recv()                */

static void lat_add(uint64_t t_send, uint64_t v)
{
	if (!pt.lat || pt.nlat >= LAT_MAX)
		return;
	pt.lat_t[pt.nlat] = t_send;
	pt.lat[pt.nlat++] = v;
}

/*
 * With VSYNC_BENCH_LAT_DUMP=PREFIX in the environment, each point's
 * latency samples go to PREFIX.<node>.<point> in the order they were
 * taken, one "send_time_ns latency_ns" line each, to look at what a
 * percentile hides (when the slow probes happen, how they cluster).
 */
static void lat_dump(void)
{
	const char *prefix = getenv("VSYNC_BENCH_LAT_DUMP");
	char path[4096];
	FILE *f;

	if (!prefix || !*prefix || !pt.nlat)
		return;
	snprintf(path, sizeof(path), "%s.%u.%u", prefix, opt.node, pt.id);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return;
	}
	for (size_t i = 0; i < pt.nlat; i++)
		fprintf(f, "%" PRIu64 " %" PRIu64 "\n", pt.lat_t[i], pt.lat[i]);
	fclose(f);
}

void agent_deliver(const void *buf, size_t len)
{
	const struct bench_hdr *h = buf;
	uint64_t now = now_ns();

	if (len < sizeof(*h) || h->magic != BENCH_MAGIC)
		return;
	if (!pt.active || h->point != pt.id) {
		pt.stale++;
		return;
	}
	pt.last_rx = now;
	if (h->kind == BK_END) {
		pt.ends++;
		return;
	}
	if (!h->frag) {
		pt.rx_all++;
		if (h->node == opt.node) {
			pt.rx_own++;
			pt.own_bytes += len;
		}
	}
	if (h->node != opt.node && h->kind == BK_DATA) {
		if (!pt.span_first)
			pt.span_first = now;
		pt.span_last = now;
		pt.span_bytes += h->frag ? len - sizeof(*h) : len;
	}
	if (now >= pt.t1 && now <= pt.t2 && h->node <= MAX_NODES &&
	    !h->frag && h->kind == BK_DATA)
		pt.from[h->node]++;
	if (h->node != opt.node && now >= pt.t1 && now <= pt.t2) {
		/* Bytes of the message: the raw link repeats the header. */
		pt.rx_msgs += !h->frag;
		pt.rx_bytes += h->frag ? len - sizeof(*h) : len;
	}
	if (h->kind != BK_PROBE || h->frag)
		return;
	if (h->node == opt.node) {
		if (pt.outstanding && h->seq == pt.probe_seq) {
			lat_add(h->t_send, now - h->t_send);
			pt.outstanding = false;
			pt.next_probe = now + pt.gap_ns;
		}
	} else if (!backend.self_delivery) {
		/* One-way latency measured by the receiver (raw link). */
		lat_add(h->t_send, now - h->t_send);
	}
}

void agent_view(unsigned int members, bool regular)
{
	uint64_t now = now_ns();

	if (pt.active)
		pt.views++;
	view_members = members;
	view_regular = regular;
	view_t = now;
	if (watch_since && !watch_t && regular && members <= watch_n)
		watch_t = now;
}

/* ------------------------------------------------------------------ */
/* Control channel                                                     */

static void ctl_printf(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1)
		die("control line too long");
	line[n++] = '\n';
	if (write(ctl, line, n) != n)
		die("control write: %s", strerror(errno));
}

static void ctl_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(ctl_path) >= sizeof(a.sun_path))
		die("control path too long");
	strcpy(a.sun_path, ctl_path);
	ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl < 0 || connect(ctl, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect %s: %s", ctl_path, strerror(errno));
}

/* Value of "key=" in a command line, or NULL. */
static const char *arg(const char *line, const char *key)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=')
			return p + kl + 1;
		p += kl;
	}
	return NULL;
}

static uint64_t arg_u64(const char *line, const char *key, uint64_t def)
{
	const char *v = arg(line, key);

	return v ? strtoull(v, NULL, 0) : def;
}

/* ------------------------------------------------------------------ */
/* Backend event loop                                                  */

static void be_recv(void)
{
	int rc;

	if (be_fd < 0)
		return;
	rc = backend.recv();
	if (rc < 0) {
		be_err = -rc;
		fprintf(stderr, "%s[%u]: receive: %s\n", prog, opt.node,
			strerror(-rc));
		be_fd = -1;
	}
}

/* Wait up to timeout_ms for the backend (and optionally POLLOUT). */
static short be_poll(int timeout_ms, bool out)
{
	struct pollfd p = { .fd = be_fd, .events = POLLIN };

	if (be_fd < 0) {
		if (timeout_ms > 0)
			poll(NULL, 0, timeout_ms);
		return 0;
	}
	if (out)
		p.events |= POLLOUT;
	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	return p.revents;
}

static int ms_until(uint64_t now, uint64_t t, int cap)
{
	uint64_t d;

	if (t <= now)
		return 0;
	d = (t - now + 999999) / 1000000;
	return d > (uint64_t)cap ? cap : (int)d;
}

/*
 * Send sbuf (building its header first): 0 sent, 1 refused, -1 error.
 * @more: another message follows at once.
 */
static int send_msg(uint16_t kind, uint32_t size, bool more)
{
	struct bench_hdr *h = (struct bench_hdr *)sbuf;
	int rc;

	if (be_fd < 0)
		return -1;
	if (!pending) {
		h->magic = BENCH_MAGIC;
		h->kind = kind;
		h->node = opt.node;
		h->point = pt.id;
		h->len = size;
		h->seq = ++pt.seq;
		h->t_send = now_ns();
		h->frag = 0;
		pending = true;
	}
	rc = backend.send(sbuf, size, pt.safe, more);
	if (rc == 1)
		return 1;
	if (rc < 0) {
		be_err = -rc;
		fprintf(stderr, "%s[%u]: send: %s\n", prog, opt.node,
			strerror(-rc));
		pending = false;
		return -1;
	}
	pending = false;
	if (kind != BK_END) {
		pt.tx_msgs++;
		pt.tx_bytes += size;
	}
	return 0;
}

/*
 * The closed loop's window of bytes sent and not delivered back has no
 * room for N more messages.
 */
static bool window_full(unsigned int n)
{
	return backend.self_delivery && pt.inflight &&
	       pt.tx_bytes - pt.own_bytes + n * pt.size > pt.inflight;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(double p)
{
	size_t k;

	if (!pt.nlat)
		return 0;
	k = (size_t)(p * pt.nlat + 0.999999);
	if (k < 1)
		k = 1;
	if (k > pt.nlat)
		k = pt.nlat;
	return pt.lat[k - 1];
}

static void run_point(const char *line)
{
	const char *r = arg(line, "role");
	uint64_t now, next, end_drain;
	bool refused = false;
	short rev;
	int tmo;

	memset(&pt, 0, sizeof(pt));
	pt.id = arg_u64(line, "id", 0);
	pt.size = arg_u64(line, "size", 64);
	pt.safe = arg_u64(line, "safe", 0);
	pt.t0 = arg_u64(line, "t0", 0);
	pt.t1 = arg_u64(line, "t1", 0);
	pt.t2 = arg_u64(line, "t2", 0);
	pt.t3 = arg_u64(line, "t3", 0);
	pt.quiet_ns = arg_u64(line, "quiet_ms", 300) * 1000000ull;
	pt.gap_ns = arg_u64(line, "gap_us", 2000) * 1000ull;
	pt.pace_ns = arg_u64(line, "pace_us", 0) * 1000ull;
	pt.next_send = pt.t0;
	pt.nsend = arg_u64(line, "nsend", 0);
	pt.inflight = arg_u64(line, "inflight", 0);
	pt.batch = arg_u64(line, "batch", 1);
	pt.role = R_RECV;
	if (r && !strncmp(r, "send", 4))
		pt.role = R_SEND;
	else if (r && !strncmp(r, "probe", 5))
		pt.role = R_PROBE;
	if (pt.size < sizeof(struct bench_hdr))
		pt.size = sizeof(struct bench_hdr);
	if (pt.size > BENCH_MSG_MAX)
		pt.size = BENCH_MSG_MAX;
	pt.lat = malloc(LAT_MAX * sizeof(*pt.lat));
	pt.lat_t = malloc(LAT_MAX * sizeof(*pt.lat_t));
	if (!pt.lat || !pt.lat_t) {
		free(pt.lat);
		free(pt.lat_t);
		pt.lat = pt.lat_t = NULL;
	}
	if (backend.drops)
		backend.drops();	/* reset */
	pt.next_probe = pt.t1;
	pending = false;
	pt.active = true;

	for (;;) {
		bool send_phase, probe_phase;

		now = now_ns();
		send_phase = pt.role == R_SEND && now >= pt.t0 && now < pt.t2;
		probe_phase = pt.role == R_PROBE && now >= pt.t1 && now < pt.t2;
		if (!send_phase && !probe_phase)
			pending = false;

		/*
		 * Closed loop: a sender keeps at most pt.inflight bytes sent
		 * and not yet delivered back to itself, so that no system
		 * builds a backlog of seconds that spills into later points.
		 */
		if (send_phase && window_full(1))
			send_phase = false;
		/* Paced: one message at each step of the pace, no catching up
		 * on more than a few missed steps.
		 */
		if (send_phase && pt.pace_ns && now < pt.next_send)
			send_phase = false;
		if (send_phase && pt.pace_ns && !refused && be_fd >= 0) {
			if (send_msg(BK_DATA, pt.size, false) == 1) {
				refused = true;
			} else {
				pt.next_send += pt.pace_ns;
				if (pt.next_send + 4 * pt.pace_ns < now)
					pt.next_send = now;
			}
		} else if (send_phase && !refused && be_fd >= 0) {
			for (int k = 0; k < SEND_BURST && !window_full(1); k++) {
				bool more = pt.batch && k + 1 < SEND_BURST &&
					    !window_full(2);
				int rc = send_msg(BK_DATA, pt.size, more);

				if (rc == 1)
					refused = true;
				if (rc)
					break;
			}
		}
		if (probe_phase && pt.outstanding &&
		    now - pt.probe_sent > PROBE_LOST_NS) {
			pt.outstanding = false;
			pt.lost++;
		}
		if (probe_phase && !pt.outstanding && !refused &&
		    now >= pt.next_probe && be_fd >= 0) {
			int rc = send_msg(BK_PROBE, pt.size, false);

			if (rc == 1) {
				refused = true;
			} else if (rc == 0) {
				struct bench_hdr *h = (struct bench_hdr *)sbuf;

				pt.probe_seq = h->seq;
				pt.probe_sent = h->t_send;
				if (backend.self_delivery)
					pt.outstanding = true;
				else
					pt.next_probe = now + pt.gap_ns;
			}
		}

		/*
		 * After t2 a sender sends its END; a sender's messages are
		 * delivered in order, so once every sender's END is here the
		 * point is over. Without self-delivery or order (raw link)
		 * ENDs may be lost: nothing for quiet_ms ends the point too.
		 */
		now = now_ns();
		if (now >= pt.t2 && pt.role != R_RECV && !pt.end_sent &&
		    !refused && be_fd >= 0) {
			int rc = send_msg(BK_END, sizeof(struct bench_hdr),
					  false);

			if (rc == 1)
				refused = true;
			else
				pt.end_sent = true;
		}
		if (now >= pt.t2) {
			uint64_t last = pt.last_rx > pt.t2 ? pt.last_rx : pt.t2;
			unsigned int want = pt.nsend;

			if (!backend.self_delivery && pt.role != R_RECV)
				want--;
			if (now >= pt.t3 || be_fd < 0)
				break;
			if ((pt.end_sent || pt.role == R_RECV) &&
			    (pt.nsend ? pt.ends >= want : false))
				break;
			if ((!pt.nsend || !backend.self_delivery) &&
			    now - last >= pt.quiet_ns)
				break;
		}

		/* Wait for the next event. */
		if ((send_phase && !refused) || be_fd < 0) {
			tmo = 0;
		} else {
			next = pt.t3;
			if (now < pt.t0)
				next = pt.t0;
			else if (now < pt.t1)
				next = pt.t1;
			else if (now < pt.t2)
				next = pt.t2;
			if (probe_phase && !pt.outstanding &&
			    pt.next_probe < next)
				next = pt.next_probe;
			if (pt.role == R_SEND && pt.pace_ns && now < pt.t2 &&
			    pt.next_send < next)
				next = pt.next_send;
			if (now >= pt.t2 && (!pt.nsend ||
					      !backend.self_delivery)) {
				end_drain = (pt.last_rx > pt.t2 ? pt.last_rx :
					     pt.t2) + pt.quiet_ns;
				if (end_drain < next)
					next = end_drain;
			}
			tmo = ms_until(now, next, 50);
			if (refused && !backend.pollout)
				tmo = 1;
		}
		rev = be_poll(tmo, refused && backend.pollout);
		if (refused && (!backend.pollout || (rev & POLLOUT)))
			refused = false;
		if (tmo == 0 || (rev & (POLLIN | POLLERR | POLLHUP)))
			be_recv();
	}
	pt.active = false;
	if (backend.drops)
		pt.drops = backend.drops();
	lat_dump();
	qsort(pt.lat, pt.nlat, sizeof(*pt.lat), cmp_u64);
	{
		char list[MAX_NODES * 11 + 1];
		size_t off = 0;
		unsigned int last = 0;

		for (unsigned int i = 1; i <= MAX_NODES; i++)
			if (pt.from[i])
				last = i;
		for (unsigned int i = 1; i <= last; i++)
			off += snprintf(list + off, sizeof(list) - off, "%s%u",
					i > 1 ? "," : "", pt.from[i]);
		list[off] = 0;
		ctl_printf("from id=%u n=%s", pt.id, last ? list : "0");
	}
	ctl_printf("result id=%u rx_msgs=%" PRIu64 " rx_bytes=%" PRIu64
		   " tx_msgs=%" PRIu64 " tx_bytes=%" PRIu64 " stale=%" PRIu64
		   " lat_n=%zu p50_ns=%" PRIu64 " p99_ns=%" PRIu64
		   " max_ns=%" PRIu64 " lost=%" PRIu64 " drain_ns=%" PRIu64
		   " rx_all=%" PRIu64 " rx_own=%" PRIu64 " views=%" PRIu64
		   " ends=%u span_bytes=%" PRIu64 " span_ns=%" PRIu64
		   " first_ns=%" PRIu64 " drops=%" PRIu64 " err=%d",
		   pt.id, pt.rx_msgs, pt.rx_bytes, pt.tx_msgs, pt.tx_bytes,
		   pt.stale, pt.nlat, pct(0.50), pct(0.99),
		   pt.nlat ? pt.lat[pt.nlat - 1] : 0, pt.lost,
		   now - pt.t2, pt.rx_all, pt.rx_own, pt.views, pt.ends,
		   pt.span_bytes, pt.span_last - pt.span_first,
		   pt.span_first ? pt.span_first - pt.t0 : 0, pt.drops, be_err);
	free(pt.lat);
	free(pt.lat_t);
	pt.lat = pt.lat_t = NULL;
}

static void run_members(const char *line)
{
	unsigned int n = arg_u64(line, "n", 0);
	uint64_t end = now_ns() + arg_u64(line, "timeout_ms", 60000) * 1000000ull;

	if (!backend.has_views) {
		ctl_printf("members n=%u ok=1", n);
		return;
	}
	while (!(view_regular && view_members == n) && now_ns() < end &&
	       be_fd >= 0) {
		if (be_poll(ms_until(now_ns(), end, 50), false))
			be_recv();
	}
	ctl_printf("members n=%u ok=%d err=%d", view_members,
		   view_regular && view_members == n, be_err);
}

static void run_watch(const char *line)
{
	uint64_t end = now_ns() + arg_u64(line, "timeout_ms", 30000) * 1000000ull;

	watch_n = arg_u64(line, "n", 0);
	watch_t = 0;
	watch_since = now_ns();
	/* The coordinator kills a node once it has the "armed" line. */
	ctl_printf("armed");
	while (!watch_t && now_ns() < end && be_fd >= 0) {
		if (be_poll(ms_until(now_ns(), end, 50), false))
			be_recv();
	}
	ctl_printf("watch ok=%d t_view=%" PRIu64 " n=%u err=%d",
		   watch_t != 0, watch_t, view_members, be_err);
	watch_since = 0;
}

static void command(char *line)
{
	if (!strncmp(line, "point ", 6))
		run_point(line);
	else if (!strncmp(line, "members", 7))
		run_members(line);
	else if (!strncmp(line, "watch", 5))
		run_watch(line);
	else if (!strncmp(line, "quit", 4))
		exit(0);
	else
		ctl_printf("error unknown command");
}

static void usage(void)
{
	fprintf(stderr,
"usage: %s -i NODE -C CONTROL [options]\n"
"  -i NODE      this node's number (1..N)\n"
"  -C PATH      the coordinator's Unix socket\n"
"  -N NETNS     enter /run/netns/NETNS first\n"
"  -d DEV       network device (default eth0)\n"
"  -g GROUP     group name (default bench)\n"
"  -b BYTES     receive buffer, SO_RCVBUFFORCE (default 64 MiB)\n"
"  -s BYTES     send buffer, SO_SNDBUFFORCE (default: the system's)\n"
"  -t MS        how long to wait for the system at setup (default 60000)\n"
"  -n NICE      scheduling priority (setpriority)\n",
		prog);
	exit(1);
}

int agent_main(int argc, char **argv)
{
	char buf[8192];
	size_t have = 0;

	prog = backend.name;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (backend.option && backend.option(argc, argv, &i))
			continue;
		if (a[0] != '-' || !a[1] || a[2] || !v)
			usage();
		i++;
		switch (a[1]) {
		case 'i': opt.node = atoi(v); break;
		case 'C': ctl_path = v; break;
		case 'N': opt.netns = v; break;
		case 'd': opt.dev = v; break;
		case 'g': opt.group = v; break;
		case 'b': opt.rcvbuf = atoi(v); break;
		case 's': opt.sndbuf = atoi(v); break;
		case 't': opt.timeout_ms = atoi(v); break;
		case 'n':
			if (setpriority(PRIO_PROCESS, 0, atoi(v)) < 0)
				die("setpriority: %s", strerror(errno));
			break;
		default: usage();
		}
	}
	if (!opt.node || !ctl_path)
		usage();
	sbuf = calloc(1, BENCH_MSG_MAX);
	if (!sbuf)
		die("out of memory");
	if (opt.netns)
		enter_netns(opt.netns);
	if (backend.setup(&opt) < 0)
		die("setup failed");
	be_fd = backend.fd();
	ctl_connect();
	ctl_printf("hello node=%u pid=%d", opt.node, (int)getpid());

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = ctl, .events = POLLIN },
			{ .fd = be_fd, .events = POLLIN },
		};
		char *nl;
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (p[1].revents)
			be_recv();
		if (!p[0].revents)
			continue;
		n = read(ctl, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			exit(0);	/* the coordinator is gone */
		have += n;
		buf[have] = 0;
		while ((nl = memchr(buf, '\n', have))) {
			*nl = 0;
			command(buf);
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have);
		}
		if (have >= sizeof(buf) - 1)
			die("control line too long");
	}
}
