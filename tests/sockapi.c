// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_VSYNC socket API on live rings: bind, views, send and receive,
 * delivery guarantees, flags, options, poll, shutdown, close, fork, slow
 * receivers, backpressure, namespaces, ring deletion, ring changes and the
 * module reference; include/uapi/linux/vsync.h and vsync(7) are the
 * specification.
 *
 * Before the harness starts, a constructor moves the program into a
 * network namespace of its own (A) with veth0/veth1 and a ring of one node
 * on veth0 (node id 1), and builds a ring of two nodes (ids 11 and 12) in
 * two more namespaces, P1 and P2, joined by the veth pair p0/p1 and held
 * by file descriptors. Every test runs in a child of that process, so all
 * of them share both rings; each uses its own group names ("t<pid>...").
 * Tests that need something else (no ring, two rings, a ring they may
 * delete or break) make namespaces of their own in their child.
 *
 * The "xfer" tests run once per delivery guarantee (agreed or safe, set on
 * the socket or per message); the "api" tests once.
 *
 * Rings are created, read and deleted through the generic netlink family
 * directly, and namespaces are set up with one "ip -batch" each: starting
 * processes is slow in the test VM.
 *
 * With VSYNC_TEST_MEDIA=ib in the environment (tests/lib.sh), every veth
 * pair is a pair of fake_ipoib devices instead (tests/fake_ipoib: IPoIB's
 * link layer), under the same names, alone in an IB partition of their
 * own; fake_ipoib.ko is loaded first ($FIPOIB_KO, or beside this program),
 * and every case fails if it cannot be.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "vsync_test.h"

/* Timers for a ring in the (possibly slow, TCG) test VM. */
#define RING_TOKEN_TIMEOUT	400
#define RING_TOKEN_RETRANSMIT	40
#define RING_JOIN_TIMEOUT	40
#define RING_CONSENSUS_TIMEOUT	500

/* How long anything that should happen may take. */
#define WAIT_MS			10000
/* How long we watch for something that must not happen. */
#define QUIET_MS		300

#define MAX_FDS			64
#define MAX_MEMBERS		64
#define MAGIC			0x56534e43u	/* "VSNC" */

/* ------------------------------------------------------------------ */
/* Generic netlink: the vsync family                                    */
/* ------------------------------------------------------------------ */

struct nl {
	int fd;
	uint16_t family;
	uint32_t seq;
};

struct ring_info {
	uint32_t ifindex;
	uint32_t node_id;
	uint32_t state;
	uint32_t members;
	uint32_t rep;
	uint64_t seq;
	uint64_t stats[VSYNC_A_STATS_MAX + 1];
	bool found;
};

#define NLBUF_SIZE	16384

static size_t nla_add(char *buf, size_t off, uint16_t type, const void *data,
		      uint16_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + off);

	a->nla_len = NLA_HDRLEN + len;
	a->nla_type = type;
	memcpy(buf + off + NLA_HDRLEN, data, len);
	memset(buf + off + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(a->nla_len) - a->nla_len);
	return off + NLA_ALIGN(a->nla_len);
}

static size_t nla_add_u32(char *buf, size_t off, uint16_t type, uint32_t v)
{
	return nla_add(buf, off, type, &v, sizeof(v));
}

typedef void (*nl_cb)(const struct nlmsghdr *nh, void *arg);

/*
 * Send one request (attributes ATTRS of ALEN bytes) and read the answer
 * up to its ACK or DONE, calling CB on each reply message.
 * Return: 0 or a negative errno from the kernel.
 */
static int nl_call(struct nl *nl, uint16_t type, uint8_t cmd, uint8_t version,
		   uint16_t flags, const char *attrs, size_t alen, nl_cb cb,
		   void *arg)
{
	static char buf[NLBUF_SIZE];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	uint32_t seq = ++nl->seq;
	ssize_t len;

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nh->nlmsg_seq = seq;
	gh->cmd = cmd;
	gh->version = version;
	memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen);
	nh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + alen;
	if (send(nl->fd, buf, nh->nlmsg_len, 0) < 0)
		return -errno;

	for (;;) {
		len = recv(nl->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error;
			}
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb)
				cb(nh, arg);
		}
	}
}

static void nl_family_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct genlmsghdr *gh = NLMSG_DATA(nh);
	const struct nlattr *a = (const void *)((const char *)gh + GENL_HDRLEN);
	int rem = nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			memcpy(arg, (const char *)a + NLA_HDRLEN,
			       sizeof(uint16_t));
}

/* Open a generic netlink socket in the current namespace. */
static int nl_open(struct nl *nl)
{
	char attrs[64];
	size_t alen;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	alen = nla_add(attrs, 0, CTRL_ATTR_FAMILY_NAME, VSYNC_GENL_NAME,
		       sizeof(VSYNC_GENL_NAME));
	ret = nl_call(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0, attrs, alen,
		      nl_family_cb, &nl->family);
	if (!ret && !nl->family)
		ret = -ENOENT;
	if (ret) {
		close(nl->fd);
		nl->fd = -1;
	}
	return ret;
}

static void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/*
 * VSYNC_CMD_RING_NEW on IFINDEX with NODE_ID and the test timers, or, if
 * TOKEN is not 0, token timeout TOKEN and token retransmit RETRANSMIT.
 */
static int ring_new_timers(int ifindex, uint32_t node_id, uint32_t token,
			   uint32_t retransmit)
{
	char attrs[256];
	struct nl nl;
	size_t alen = 0;
	int ret;

	ret = nl_open(&nl);
	if (ret)
		return ret;
	alen = nla_add_u32(attrs, alen, VSYNC_A_RING_IFINDEX, ifindex);
	if (node_id)
		alen = nla_add_u32(attrs, alen, VSYNC_A_RING_NODE_ID, node_id);
	alen = nla_add_u32(attrs, alen, VSYNC_A_RING_TOKEN_TIMEOUT,
			   token ?: RING_TOKEN_TIMEOUT);
	alen = nla_add_u32(attrs, alen, VSYNC_A_RING_TOKEN_RETRANSMIT,
			   token ? retransmit : RING_TOKEN_RETRANSMIT);
	alen = nla_add_u32(attrs, alen, VSYNC_A_RING_JOIN_TIMEOUT,
			   RING_JOIN_TIMEOUT);
	alen = nla_add_u32(attrs, alen, VSYNC_A_RING_CONSENSUS_TIMEOUT,
			   RING_CONSENSUS_TIMEOUT);
	ret = nl_call(&nl, nl.family, VSYNC_CMD_RING_NEW, VSYNC_GENL_VERSION,
		      0, attrs, alen, NULL, NULL);
	nl_close(&nl);
	return ret;
}

static int ring_new(int ifindex, uint32_t node_id)
{
	return ring_new_timers(ifindex, node_id, 0, 0);
}

static int ring_del(int ifindex)
{
	char attrs[64];
	struct nl nl;
	size_t alen;
	int ret;

	ret = nl_open(&nl);
	if (ret)
		return ret;
	alen = nla_add_u32(attrs, 0, VSYNC_A_RING_IFINDEX, ifindex);
	ret = nl_call(&nl, nl.family, VSYNC_CMD_RING_DEL, VSYNC_GENL_VERSION,
		      0, attrs, alen, NULL, NULL);
	nl_close(&nl);
	return ret;
}

static void ring_get_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct genlmsghdr *gh = NLMSG_DATA(nh);
	const struct nlattr *a = (const void *)((const char *)gh + GENL_HDRLEN);
	int rem = nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	struct ring_info *ri = arg;

	ri->found = true;
	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		const char *data = (const char *)a + NLA_HDRLEN;

		switch (a->nla_type & NLA_TYPE_MASK) {
		case VSYNC_A_RING_IFINDEX:
			memcpy(&ri->ifindex, data, 4);
			break;
		case VSYNC_A_RING_NODE_ID:
			memcpy(&ri->node_id, data, 4);
			break;
		case VSYNC_A_RING_STATE:
			memcpy(&ri->state, data, 4);
			break;
		case VSYNC_A_RING_REP:
			memcpy(&ri->rep, data, 4);
			break;
		case VSYNC_A_RING_SEQ:
			memcpy(&ri->seq, data, 8);
			break;
		case VSYNC_A_RING_STATS: {
			const struct nlattr *m = (const void *)data;
			int mrem = a->nla_len - NLA_HDRLEN;

			for (; mrem >= NLA_HDRLEN && m->nla_len >= NLA_HDRLEN &&
			       m->nla_len <= mrem;
			     mrem -= NLA_ALIGN(m->nla_len),
			     m = (const void *)((const char *)m +
						NLA_ALIGN(m->nla_len)))
				if (m->nla_type <= VSYNC_A_STATS_MAX &&
				    m->nla_len == NLA_HDRLEN + 8)
					memcpy(&ri->stats[m->nla_type],
					       (const char *)m + NLA_HDRLEN, 8);
			break;
		}
		case VSYNC_A_RING_MEMBERS: {
			const struct nlattr *m = (const void *)data;
			int mrem = a->nla_len - NLA_HDRLEN;

			ri->members = 0;
			for (; mrem >= NLA_HDRLEN && m->nla_len >= NLA_HDRLEN &&
			       m->nla_len <= mrem;
			     mrem -= NLA_ALIGN(m->nla_len),
			     m = (const void *)((const char *)m +
						NLA_ALIGN(m->nla_len)))
				ri->members++;
			break;
		}
		}
	}
}

/* VSYNC_CMD_RING_GET (do) on IFINDEX. */
static int ring_get(int ifindex, struct ring_info *ri)
{
	char attrs[64];
	struct nl nl;
	size_t alen;
	int ret;

	memset(ri, 0, sizeof(*ri));
	ret = nl_open(&nl);
	if (ret)
		return ret;
	alen = nla_add_u32(attrs, 0, VSYNC_A_RING_IFINDEX, ifindex);
	ret = nl_call(&nl, nl.family, VSYNC_CMD_RING_GET, VSYNC_GENL_VERSION,
		      0, attrs, alen, ring_get_cb, ri);
	nl_close(&nl);
	if (!ret && !ri->found)
		ret = -ENOENT;
	return ret;
}

/* Wait until the ring on IFINDEX is operational; 0 or a negative errno. */
static int ring_wait_operational(int ifindex, unsigned int timeout_ms,
				 struct ring_info *ri)
{
	unsigned int t;
	int ret;

	for (t = 0; ; t += 20) {
		ret = ring_get(ifindex, ri);
		if (!ret && ri->state == VSYNC_STATE_OPERATIONAL)
			return 0;
		if (t >= timeout_ms)
			return ret ? ret : -ETIMEDOUT;
		vsync_msleep(20);
	}
}

/* The state of the ring on IFINDEX in this namespace, as text. */
static const char *ring_str(int ifindex)
{
	static char buf[512];
	struct ring_info ri;
	int ret = ring_get(ifindex, &ri);

	if (ret) {
		snprintf(buf, sizeof(buf), "ring on ifindex %d: %s", ifindex,
			 strerror(-ret));
		return buf;
	}
	snprintf(buf, sizeof(buf),
		 "ring on ifindex %d: state %u, id %u:%" PRIu64
		 ", %u members; sent %" PRIu64 " delivered %" PRIu64
		 " frames out %" PRIu64 " in %" PRIu64 " token rotations %"
		 PRIu64 " losses %" PRIu64
		 " view changes %" PRIu64 " retransmits %" PRIu64
		 " drops: nomem %" PRIu64 " malformed %" PRIu64 " seq %" PRIu64,
		 ifindex, ri.state, ri.rep, ri.seq, ri.members,
		 ri.stats[VSYNC_A_STATS_MSGS_SENT],
		 ri.stats[VSYNC_A_STATS_MSGS_DELIVERED],
		 ri.stats[VSYNC_A_STATS_FRAMES_OUT],
		 ri.stats[VSYNC_A_STATS_FRAMES_IN],
		 ri.stats[VSYNC_A_STATS_TOKEN_ROTATIONS],
		 ri.stats[VSYNC_A_STATS_TOKEN_LOSSES],
		 ri.stats[VSYNC_A_STATS_VIEW_CHANGES],
		 ri.stats[VSYNC_A_STATS_RETRANSMITS],
		 ri.stats[VSYNC_A_STATS_DROP_NOMEM],
		 ri.stats[VSYNC_A_STATS_DROP_MALFORMED],
		 ri.stats[VSYNC_A_STATS_DROP_SEQ]);
	return buf;
}

/* ------------------------------------------------------------------ */
/* The medium: veth pairs, or fake_ipoib devices (VSYNC_TEST_MEDIA=ib)  */
/* ------------------------------------------------------------------ */

static bool g_ib;

#define FIPOIB_SYSFS		"/sys/module/fake_ipoib"
#define PKEY_FILE		"/run/vsync-test-pkey"

/*
 * Load fake_ipoib.ko unless it is loaded: $FIPOIB_KO, else
 * fake_ipoib/fake_ipoib.ko beside this program.
 * Return: 0 or a negative errno, and the file's name in PATH.
 */
static int fipoib_load(char *path, size_t size)
{
	const char *env = getenv("FIPOIB_KO");
	char *slash;
	ssize_t len;
	int fd, ret;

	if (!access(FIPOIB_SYSFS, F_OK))
		return 0;
	if (env && *env) {
		snprintf(path, size, "%s", env);
	} else {
		len = readlink("/proc/self/exe", path, size - 1);
		if (len < 0)
			return -errno;
		path[len] = '\0';
		slash = strrchr(path, '/');
		if (!slash)
			return -ENOENT;
		snprintf(slash, size - (slash - path),
			 "/fake_ipoib/fake_ipoib.ko");
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

/*
 * A full-member P_Key (0x8001..0xfffe) no earlier test of this boot had:
 * the counter in $VSYNC_PKEY_FILE (or PKEY_FILE), which tests/lib.sh's
 * ib_new_pkey shares.
 */
static unsigned int ib_new_pkey(void)
{
	const char *env = getenv("VSYNC_PKEY_FILE");
	static unsigned int fallback;
	unsigned long n = 0;
	char buf[32];
	ssize_t len;
	int fd;

	fd = open(env && *env ? env : PKEY_FILE, O_RDWR | O_CREAT | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		n = (getpid() * 16 + fallback++) % 0x7ffe + 1;
		return 0x8000 | n;
	}
	flock(fd, LOCK_EX);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	if (len > 0) {
		buf[len] = '\0';
		n = strtoul(buf, NULL, 10);
	}
	n = n % 0x7ffe + 1;
	len = snprintf(buf, sizeof(buf), "%lu\n", n);
	if (ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != len)
		n = (getpid() * 16 + fallback++) % 0x7ffe + 1;
	flock(fd, LOCK_UN);
	close(fd);
	return 0x8000 | n;
}

/* The IPoIB broadcast address of a partition of its own (ib_new_pkey()). */
static void ib_new_broadcast(char *brd, size_t size)
{
	unsigned int pkey = ib_new_pkey();

	snprintf(brd, size,
		 "00:ff:ff:ff:ff:12:40:1b:%02x:%02x:00:00:00:00:00:00:ff:ff:ff:ff",
		 pkey >> 8, pkey & 0xff);
}

/*
 * The ip commands that make the link pair A/B: a veth pair, or two
 * fake_ipoib devices alone in a new partition (the P_Key in bytes 8 and 9
 * of their broadcast address). NS_A and NS_B are "netns WHERE" or NULL
 * for the current namespace; UP (only for the current one) sets both up.
 */
static void pair_cmds(char *buf, size_t size, const char *a, const char *ns_a,
		      const char *b, const char *ns_b, bool up)
{
	int n;

	if (g_ib) {
		char brd[64];

		ib_new_broadcast(brd, sizeof(brd));
		n = snprintf(buf, size,
			     "link add %s%s%s broadcast %s type fake_ipoib\n"
			     "link add %s%s%s broadcast %s type fake_ipoib\n",
			     a, ns_a ? " " : "", ns_a ? ns_a : "", brd,
			     b, ns_b ? " " : "", ns_b ? ns_b : "", brd);
	} else {
		n = snprintf(buf, size,
			     "link add %s%s%s type veth peer name %s%s%s\n",
			     a, ns_a ? " " : "", ns_a ? ns_a : "",
			     b, ns_b ? " " : "", ns_b ? ns_b : "");
	}
	if (up && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, "link set %s up\nlink set %s up\n",
			 a, b);
}

/* ------------------------------------------------------------------ */
/* Namespaces                                                           */
/* ------------------------------------------------------------------ */

/* Run TOOL's commands in the current namespace with one "TOOL -batch". */
static int tool_batch(const char *tool, const char *cmds)
{
	char cmd[32];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s -batch -", tool);
	p = popen(cmd, "w");
	if (!p)
		return -errno;
	fputs(cmds, p);
	st = pclose(p);
	if (st == -1)
		return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

static int ip_batch(const char *cmds)
{
	return tool_batch("ip", cmds);
}

/*
 * Move the calling process into a new network namespace with lo up and
 * the veth pair veth0/veth1 (pair_cmds()), both up; EXTRA is more ip
 * commands.
 */
static int netns_new(const char *extra)
{
	char cmds[1024], pair[512];

	if (unshare(CLONE_NEWNET))
		return -errno;
	pair_cmds(pair, sizeof(pair), "veth0", NULL, "veth1", NULL, true);
	snprintf(cmds, sizeof(cmds), "link set lo up\n%s%s",
		 extra ? extra : "", pair);
	return ip_batch(cmds);
}

/*
 * netns_new() and a ring on veth0 that is operational.
 * Return: veth0's ifindex, or a negative errno.
 */
static int netns_new_ring(const char *extra, uint32_t node_id, char *why,
			  size_t why_size)
{
	struct ring_info ri;
	int ifindex, ret;

	ret = netns_new(extra);
	if (ret) {
		snprintf(why, why_size, "creating a namespace with veth0: %s",
			 strerror(-ret));
		return ret;
	}
	ifindex = if_nametoindex("veth0");
	if (!ifindex) {
		snprintf(why, why_size, "no veth0: %s", strerror(errno));
		return -ENODEV;
	}
	ret = ring_new(ifindex, node_id);
	if (ret) {
		snprintf(why, why_size, "VSYNC_CMD_RING_NEW on veth0: %s",
			 strerror(-ret));
		return ret;
	}
	ret = ring_wait_operational(ifindex, 20000, &ri);
	if (ret) {
		snprintf(why, why_size,
			 "the ring on veth0 is not operational (state %u): %s",
			 ri.state, strerror(-ret));
		return ret;
	}
	return ifindex;
}

/*
 * What the tests share, set up before the harness runs:
 *  - namespace A, where the program lives: veth0/veth1 and a ring of one
 *    node (node id 1) on veth0;
 *  - namespaces P1 and P2, held by file descriptors: the veth pair p0 (in
 *    P1) and p1 (in P2) and a ring of two nodes (node ids 11 and 12) on it.
 *    A test makes sockets there with open_sock_in().
 */
static int g_family = -1;
static int g_ifindex;		/* veth0, the shared ring's device */
static uint32_t g_node_id;
static int g_ns_a = -1;		/* namespace A */
static int g_ns_p[2] = { -1, -1 };	/* P1, P2 */
static char g_setup_err[256];

/* A new namespace with lo up, held by the returned fd; we stay where we are. */
static int netns_side(void)
{
	int cur, fd = -1;

	cur = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	if (!unshare(CLONE_NEWNET)) {
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		else if (ip_batch("link set lo up\n"))
			fd = -EIO;
		if (setns(cur, CLONE_NEWNET))
			fd = -errno;
	} else {
		fd = -errno;
	}
	close(cur);
	return fd;
}

/* Run F(ARG) in namespace NS, then come back to A. */
static int in_ns(int ns, int (*f)(void *), void *arg)
{
	int ret;

	if (setns(ns, CLONE_NEWNET))
		return -errno;
	ret = f(arg);
	if (setns(g_ns_a, CLONE_NEWNET))
		abort();
	return ret;
}

struct pair_arg {
	const char *dev;
	uint32_t node_id;
	int ifindex;
	struct ring_info ri;
	uint32_t token, retransmit;	/* 0: the test timers */
};

/* Set network device NAME of the current namespace up or down. */
static int if_set(const char *name, bool up)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The ARPHRD_ type of device NAME, or a negative errno. */
static int if_hwtype(const char *name)
{
	struct ifreq ifr;
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ret = ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 ? -errno :
		ifr.ifr_hwaddr.sa_family;
	close(fd);
	return ret;
}

/* For in_ns(): take device NAME down. */
static int if_down_cb(void *name)
{
	return if_set(name, false);
}

static int pair_ring_new(void *p)
{
	struct pair_arg *a = p;
	int ret;

	ret = if_set(a->dev, true);
	if (ret)
		return ret;
	a->ifindex = if_nametoindex(a->dev);
	if (!a->ifindex)
		return -ENODEV;
	return ring_new_timers(a->ifindex, a->node_id, a->token,
			       a->retransmit);
}

static int pair_ifindex(void *p)
{
	struct pair_arg *a = p;

	a->ifindex = if_nametoindex(a->dev);
	return a->ifindex ? 0 : -ENODEV;
}

static int pair_ring_get(void *p)
{
	struct pair_arg *a = p;

	return ring_get(a->ifindex, &a->ri);
}

/*
 * In namespace NS[I], a ring on device PA[I].dev (whose ifindex goes to
 * IFINDEX[I]), for I < N; then wait until every one is operational with
 * all N members. Return: 0, or a negative errno and WHY.
 */
static int rings_up(const int *ns, struct pair_arg *pa, int *ifindex, int n,
		    char *why, size_t wsize)
{
	unsigned int t;
	int i, ok, ret;

	for (i = 0; i < n; i++) {
		ret = in_ns(ns[i], pair_ring_new, &pa[i]);
		if (ret) {
			snprintf(why, wsize, "ring on %s: %s", pa[i].dev,
				 strerror(-ret));
			return ret;
		}
		ifindex[i] = pa[i].ifindex;
	}
	for (t = 0; ; t += 50) {
		for (i = 0, ok = 0; i < n; i++)
			if (!in_ns(ns[i], pair_ring_get, &pa[i]) &&
			    pa[i].ri.state == VSYNC_STATE_OPERATIONAL &&
			    pa[i].ri.members == (uint32_t)n)
				ok++;
		if (ok == n)
			return 0;
		if (t > 30000)
			break;
		vsync_msleep(50);
	}
	ret = snprintf(why, wsize, "the ring of %d nodes does not form:", n);
	for (i = 0; i < n && ret > 0 && (size_t)ret < wsize; i++)
		ret += snprintf(why + ret, wsize - ret,
				" %s state %u members %u", pa[i].dev,
				pa[i].ri.state, pa[i].ri.members);
	return -ETIMEDOUT;
}

/*
 * Two namespaces joined by the veth pair p0/p1, each holding a ring on
 * its end (node ids ID and ID + 1), operational with both members; with
 * setup_pair_timers(), token timeout TOKEN and token retransmit
 * RETRANSMIT. We stay in namespace A. Return: 0, or a negative errno and
 * WHY.
 */
struct pair {
	int ns[2];
	int ifindex[2];
};

static int setup_pair_timers(struct pair *p, uint32_t id, uint32_t token,
			     uint32_t retransmit, char *why, size_t wsize)
{
	struct pair_arg pa[2] = {
		{ "p0", id, 0, {}, token, retransmit },
		{ "p1", id + 1, 0, {}, token, retransmit },
	};
	char cmd[512], ns0[64], ns1[64];
	int i, ret;

	for (i = 0; i < 2; i++) {
		p->ns[i] = netns_side();
		if (p->ns[i] < 0) {
			snprintf(why, wsize, "namespace P%d: %s", i + 1,
				 strerror(-p->ns[i]));
			return p->ns[i];
		}
	}
	snprintf(ns0, sizeof(ns0), "netns /proc/%d/fd/%d", (int)getpid(),
		 p->ns[0]);
	snprintf(ns1, sizeof(ns1), "netns /proc/%d/fd/%d", (int)getpid(),
		 p->ns[1]);
	pair_cmds(cmd, sizeof(cmd), "p0", ns0, "p1", ns1, false);
	ret = ip_batch(cmd);
	if (ret) {
		snprintf(why, wsize, "the veth pair p0/p1: %s", strerror(-ret));
		return ret;
	}
	return rings_up(p->ns, pa, p->ifindex, 2, why, wsize);
}

static int setup_pair(struct pair *p, uint32_t id, char *why, size_t wsize)
{
	return setup_pair_timers(p, id, 0, 0, why, wsize);
}

static int ip_batch_cb(void *cmds)
{
	return ip_batch(cmds);
}

static int tc_batch_cb(void *cmds)
{
	return tool_batch("tc", cmds);
}

/*
 * Three namespaces, each with a ring on its device tI (node ids ID,
 * ID + 1, ID + 2, token timeout TOKEN and token retransmit RETRANSMIT),
 * operational with all three members. On Ethernet the devices are veth
 * ends whose peers hang on a bridge in a fourth namespace; on IPoIB they
 * share a fake_ipoib partition. We stay in namespace A. Return: 0, or a
 * negative errno and WHY.
 */
struct trio {
	int ns[3];
	int ifindex[3];
	int hub;
};

static int setup_trio_timers(struct trio *p, uint32_t id, uint32_t token,
			     uint32_t retransmit, char *why, size_t wsize)
{
	struct pair_arg pa[3] = {
		{ "t0", id, 0, {}, token, retransmit },
		{ "t1", id + 1, 0, {}, token, retransmit },
		{ "t2", id + 2, 0, {}, token, retransmit },
	};
	char cmd[1024], brd[64];
	int i, n = 0, ret;

	for (i = 0; i < 3; i++) {
		p->ns[i] = netns_side();
		if (p->ns[i] < 0) {
			snprintf(why, wsize, "namespace T%d: %s", i,
				 strerror(-p->ns[i]));
			return p->ns[i];
		}
	}
	p->hub = netns_side();
	if (p->hub < 0) {
		snprintf(why, wsize, "the hub namespace: %s",
			 strerror(-p->hub));
		return p->hub;
	}
	if (g_ib) {
		ib_new_broadcast(brd, sizeof(brd));
		for (i = 0; i < 3; i++)
			n += snprintf(cmd + n, sizeof(cmd) - n,
				      "link add t%d netns /proc/%d/fd/%d broadcast %s type fake_ipoib\n",
				      i, (int)getpid(), p->ns[i], brd);
		ret = ip_batch(cmd);
	} else {
		n = snprintf(cmd, sizeof(cmd),
			     "link add hb type bridge\nlink set hb up\n");
		for (i = 0; i < 3; i++)
			n += snprintf(cmd + n, sizeof(cmd) - n,
				      "link add h%d type veth peer name t%d netns /proc/%d/fd/%d\n"
				      "link set h%d master hb\nlink set h%d up\n",
				      i, i, (int)getpid(), p->ns[i], i, i);
		ret = in_ns(p->hub, ip_batch_cb, cmd);
	}
	if (ret) {
		snprintf(why, wsize, "the devices t0..t2: %s", strerror(-ret));
		return ret;
	}
	return rings_up(p->ns, pa, p->ifindex, 3, why, wsize);
}

static void __attribute__((constructor)) sockapi_global_setup(void)
{
	const char *media = getenv("VSYNC_TEST_MEDIA");
	char path[PATH_MAX] = "fake_ipoib.ko";
	int ret;

	/* A medium we do not know: nothing applies, skip as lib.sh does. */
	if (media && *media && strcmp(media, "eth")) {
		if (strcmp(media, "ib")) {
			printf("1..0 # SKIP VSYNC_TEST_MEDIA='%s': eth or ib\n",
			       media);
			exit(KSFT_SKIP);
		}
		g_ib = true;
		ret = fipoib_load(path, sizeof(path));
		if (ret) {
			/* A failed setup fails every case (g_setup_err). */
			snprintf(g_setup_err, sizeof(g_setup_err),
				 "VSYNC_TEST_MEDIA=ib: cannot load %s: %s%s",
				 path, strerror(-ret),
				 ret == -ENOENT ? "; run 'make tests'" : "");
			return;
		}
	}

	ret = vsync_load(NULL);
	if (ret) {
		snprintf(g_setup_err, sizeof(g_setup_err),
			 "cannot load %s: %s", vsync_ko_path(), strerror(-ret));
		return;
	}
	g_family = vsync_family();
	if (g_family <= 0) {
		snprintf(g_setup_err, sizeof(g_setup_err),
			 "cannot read " VSYNC_SYSFS_FAMILY);
		return;
	}
	ret = netns_new_ring(NULL, 1, g_setup_err, sizeof(g_setup_err));
	if (ret < 0)
		return;
	g_ifindex = ret;
	ret = if_hwtype("veth0");
	if (ret != (g_ib ? ARPHRD_INFINIBAND : ARPHRD_ETHER)) {
		snprintf(g_setup_err, sizeof(g_setup_err),
			 "veth0 has the hardware type %d, not %s's", ret,
			 g_ib ? "IPoIB" : "Ethernet");
		return;
	}
	g_node_id = 1;
	g_ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (g_ns_a < 0) {
		snprintf(g_setup_err, sizeof(g_setup_err), "namespace A: %s",
			 strerror(errno));
		return;
	}
	{
		struct pair p;

		if (setup_pair(&p, 11, g_setup_err, sizeof(g_setup_err)))
			return;
		memcpy(g_ns_p, p.ns, sizeof(g_ns_p));
	}
}

/* The ring on p0 or p1 (whichever is there) of the current namespace. */
static int ring_str_cb(void *buf)
{
	static const char *const devs[] = { "p0", "p1", "t0", "t1", "t2" };
	unsigned int i, ifindex = 0;

	for (i = 0; i < ARRAY_SIZE(devs) && !ifindex; i++)
		ifindex = if_nametoindex(devs[i]);
	snprintf(buf, 512, "%s", ring_str(ifindex));
	return 0;
}

/* The ring of namespace NS (on p0/p1 or t0..t2), as text. */
static const char *ns_ring_str(int ns)
{
	static char buf[512];

	buf[0] = '\0';
	in_ns(ns, ring_str_cb, buf);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Sockets                                                              */
/* ------------------------------------------------------------------ */

/* What the tests share: the sockets to close, the base of group names. */
struct ctx {
	int fds[MAX_FDS];
	int nfds;
	char group[32];
};

static void ctx_init(struct ctx *c)
{
	int i;

	for (i = 0; i < MAX_FDS; i++)
		c->fds[i] = -1;
	c->nfds = 0;
	snprintf(c->group, sizeof(c->group), "t%d", (int)getpid());
}

static void ctx_close(struct ctx *c)
{
	int i;

	for (i = 0; i < c->nfds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	c->nfds = 0;
}

/* Close FD and forget it. */
static void ctx_close_fd(struct ctx *c, int fd)
{
	int i;

	for (i = 0; i < c->nfds; i++)
		if (c->fds[i] == fd)
			c->fds[i] = -1;
	close(fd);
}

#define global_ok() do {						\
	ASSERT_EQ(0, g_setup_err[0]) TH_LOG("setup: %s", g_setup_err);	\
} while (0)

static struct sockaddr_vsync vaddr(int ifindex, const char *group)
{
	struct sockaddr_vsync a;

	memset(&a, 0, sizeof(a));
	a.svs_family = g_family;
	a.svs_ifindex = ifindex;
	snprintf(a.svs_group, sizeof(a.svs_group), "%s", group);
	return a;
}

static int vbind(int fd, int ifindex, const char *group)
{
	struct sockaddr_vsync a = vaddr(ifindex, group);

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * A new socket, with SO_RCVTIMEO/SO_SNDTIMEO so that nothing blocks
 * forever, SO_RCVBUFFORCE RCVBUF if not 0, and bound to GROUP on IFINDEX
 * if GROUP is not NULL.
 */
static int __open_sock(struct __test_metadata *_metadata, struct ctx *c,
		       int ifindex, const char *group, int rcvbuf)
{
	int fd;

	ASSERT_LT(c->nfds, MAX_FDS);
	fd = socket(g_family, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	c->fds[c->nfds++] = fd;
	set_timeouts(fd, WAIT_MS);
	if (rcvbuf)
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE,
					&rcvbuf, sizeof(rcvbuf)))
			TH_LOG("SO_RCVBUFFORCE %d: %s", rcvbuf,
			       strerror(errno));
	if (group)
		ASSERT_EQ(0, vbind(fd, ifindex, group))
			TH_LOG("bind to '%s' on ifindex %d: %s", group,
			       ifindex, strerror(errno));
	return fd;
}

#define open_sock(c, ifindex, group, rcvbuf) \
	__open_sock(_metadata, c, ifindex, group, rcvbuf)

/* The same in namespace NS (g_ns_p[0], g_ns_p[1]), or A if NS < 0. */
static int __open_sock_in(struct __test_metadata *_metadata, struct ctx *c,
			  int ns, const char *group, int rcvbuf)
{
	int fd;

	if (ns >= 0)
		ASSERT_EQ(0, setns(ns, CLONE_NEWNET))
			TH_LOG("setns: %s", strerror(errno));
	fd = __open_sock(_metadata, c, 0, NULL, rcvbuf);
	if (ns >= 0)
		ASSERT_EQ(0, setns(g_ns_a, CLONE_NEWNET))
			TH_LOG("setns back: %s", strerror(errno));
	if (group)
		ASSERT_EQ(0, vbind(fd, 0, group))
			TH_LOG("bind to '%s': %s", group, strerror(errno));
	return fd;
}

#define open_sock_in(c, ns, group, rcvbuf) \
	__open_sock_in(_metadata, c, ns, group, rcvbuf)

static int getsockopt_u32(int fd, int name, uint32_t *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, SOL_VSYNC, name, val, &len);
}

static int getsockopt_int(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, level, name, val, &len);
}

static struct vsync_member __member_of(struct __test_metadata *_metadata,
				       int fd)
{
	struct vsync_member m;

	ASSERT_EQ(0, getsockopt_u32(fd, VSYNC_NODE_ID, &m.vm_node))
		TH_LOG("VSYNC_NODE_ID: %s", strerror(errno));
	ASSERT_EQ(0, getsockopt_u32(fd, VSYNC_PORT, &m.vm_port))
		TH_LOG("VSYNC_PORT: %s", strerror(errno));
	return m;
}

#define member_of(fd) __member_of(_metadata, fd)

/* ------------------------------------------------------------------ */
/* Receiving                                                            */
/* ------------------------------------------------------------------ */

/* One recvmsg() and what came with it. */
struct item {
	ssize_t ret;
	int err;		/* errno when ret < 0; ETIMEDOUT: nothing came */
	int flags;		/* msg_flags */
	int kind;		/* VSYNC_CMSG_KIND, -1 without */
	int nkind;		/* how many VSYNC_CMSG_KIND came */
	int other_cmsg;		/* control messages of another kind */
	struct sockaddr_vsync from;
	socklen_t fromlen;
};

/*
 * Receive one item with FLAGS into BUF: wait up to TIMEOUT_MS for the
 * socket to be readable (or failed) first, then recvmsg(MSG_DONTWAIT);
 * TIMEOUT_MS < 0: one plain recvmsg() (blocking unless FLAGS say so).
 */
static ssize_t get_item(int fd, void *buf, size_t size, int flags,
			int timeout_ms, struct item *it)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint32_t)) * 4];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_name = &it->from,
		.msg_namelen = sizeof(it->from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm;

	memset(it, 0, sizeof(*it));
	memset(&it->from, 0xa5, sizeof(it->from));
	it->kind = -1;
	if (timeout_ms >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n;

		do {
			n = poll(&pfd, 1, timeout_ms);
		} while (n < 0 && errno == EINTR);
		if (n == 0) {
			it->ret = -1;
			it->err = ETIMEDOUT;
			errno = ETIMEDOUT;
			return -1;
		}
		flags |= MSG_DONTWAIT;
	}
	it->ret = recvmsg(fd, &msg, flags);
	if (it->ret < 0) {
		it->err = errno;
		return -1;
	}
	it->flags = msg.msg_flags;
	it->fromlen = msg.msg_namelen;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_VSYNC &&
		    cm->cmsg_type == VSYNC_CMSG_KIND &&
		    cm->cmsg_len == CMSG_LEN(sizeof(uint32_t))) {
			uint32_t k;

			memcpy(&k, CMSG_DATA(cm), sizeof(k));
			it->kind = k;
			it->nkind++;
		} else {
			it->other_cmsg++;
		}
	}
	return it->ret;
}

static const char *errname(int err)
{
	static char buf[640];

	switch (err) {
	case 0: return "no error";
	case ETIMEDOUT:
		/* Where things stand, for the report. */
		snprintf(buf, sizeof(buf), "nothing within the time limit; %s",
			 ring_str(if_nametoindex("veth0")));
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s (%d)", strerror(err), err);
	return buf;
}

/* A view, as the tests keep them. */
struct view {
	struct vsync_view v;
	struct vsync_member m[MAX_MEMBERS];
};

static int member_cmp(const struct vsync_member *a,
		      const struct vsync_member *b)
{
	if (a->vm_node != b->vm_node)
		return a->vm_node < b->vm_node ? -1 : 1;
	if (a->vm_port != b->vm_port)
		return a->vm_port < b->vm_port ? -1 : 1;
	return 0;
}

static bool view_has(const struct view *v, struct vsync_member m)
{
	unsigned int i;

	for (i = 0; i < v->v.vv_count && i < MAX_MEMBERS; i++)
		if (!member_cmp(&v->m[i], &m))
			return true;
	return false;
}

static bool view_same(const struct view *a, const struct view *b)
{
	return a->v.vv_kind == b->v.vv_kind &&
	       a->v.vv_count == b->v.vv_count &&
	       a->v.vv_ring_rep == b->v.vv_ring_rep &&
	       a->v.vv_ring_seq == b->v.vv_ring_seq &&
	       a->v.vv_seq == b->v.vv_seq &&
	       !memcmp(a->m, b->m, a->v.vv_count * sizeof(a->m[0]));
}

static void view_str(const struct view *v, char *buf, size_t size)
{
	unsigned int i;
	int n;

	n = snprintf(buf, size, "%s %u:%" PRIu64 ":%" PRIu64 " [",
		     v->v.vv_kind == VSYNC_KIND_VIEW_REGULAR ? "R" : "T",
		     v->v.vv_ring_rep, (uint64_t)v->v.vv_ring_seq,
		     (uint64_t)v->v.vv_seq);
	for (i = 0; i < v->v.vv_count && i < MAX_MEMBERS && n < (int)size;
	     i++)
		n += snprintf(buf + n, size - n, "%s%u/%u", i ? " " : "",
			      v->m[i].vm_node, v->m[i].vm_port);
	if (n < (int)size)
		snprintf(buf + n, size - n, "]");
}

/*
 * Check that an item (IT, BUF) is a well-formed view and copy it to V:
 * MSG_OOB, one VSYNC_CMSG_KIND agreeing with vv_kind, the length matching
 * vv_count, the members sorted and unique.
 */
static void __check_view(struct __test_metadata *_metadata,
			 const struct item *it, const void *buf,
			 struct view *v)
{
	const struct vsync_view *vv = buf;
	unsigned int i;

	ASSERT_LE(0, it->ret) TH_LOG("no view: %s", errname(it->err));
	ASSERT_TRUE(it->flags & MSG_OOB)
		TH_LOG("an item of %zd bytes (kind %d) without MSG_OOB where a view was expected",
		       it->ret, it->kind);
	ASSERT_EQ(0, it->flags & MSG_TRUNC);
	ASSERT_EQ(1, it->nkind) TH_LOG("VSYNC_CMSG_KIND missing on a view");
	ASSERT_TRUE(it->kind == VSYNC_KIND_VIEW_REGULAR ||
		    it->kind == VSYNC_KIND_VIEW_TRANSITIONAL)
		TH_LOG("view of kind %d", it->kind);
	ASSERT_LE(sizeof(*vv), (size_t)it->ret);
	ASSERT_EQ((uint32_t)it->kind, vv->vv_kind);
	ASSERT_EQ(sizeof(*vv) + vv->vv_count * sizeof(vv->vv_members[0]),
		  (size_t)it->ret)
		TH_LOG("view of %u members in %zd bytes", vv->vv_count,
		       it->ret);
	ASSERT_GE(MAX_MEMBERS, vv->vv_count);
	if (vv->vv_kind == VSYNC_KIND_VIEW_REGULAR) {
		EXPECT_EQ(0, vv->vv_old_rep);
	} else {
		EXPECT_NE(0, vv->vv_old_rep);
	}
	for (i = 1; i < vv->vv_count; i++)
		ASSERT_GT(0, member_cmp(&vv->vv_members[i - 1],
					&vv->vv_members[i]))
			TH_LOG("view members not sorted/unique at %u: %u/%u then %u/%u",
			       i, vv->vv_members[i - 1].vm_node,
			       vv->vv_members[i - 1].vm_port,
			       vv->vv_members[i].vm_node,
			       vv->vv_members[i].vm_port);
	memset(v, 0, sizeof(*v));
	memcpy(v, vv, it->ret);
}

/*
 * Receive the next item of FD, which must be a regular view with COUNT
 * members (any count if COUNT < 0), into V.
 */
static void __next_view(struct __test_metadata *_metadata, int fd, int count,
			struct view *v)
{
	static char buf[sizeof(struct view)];
	struct item it;

	get_item(fd, buf, sizeof(buf), 0, WAIT_MS, &it);
	__check_view(_metadata, &it, buf, v);
	ASSERT_EQ(VSYNC_KIND_VIEW_REGULAR, (int)v->v.vv_kind);
	if (count >= 0)
		ASSERT_EQ((uint32_t)count, v->v.vv_count)
			TH_LOG("a view of %u members, want %d",
			       v->v.vv_count, count);
}

#define next_view(fd, count, v) __next_view(_metadata, fd, count, v)

/* The socket has nothing queued, now and for QUIET_MS. */
static void __expect_quiet(struct __test_metadata *_metadata, int fd,
			   const char *who)
{
	static char buf[256];
	struct item it;

	get_item(fd, buf, sizeof(buf), 0, QUIET_MS, &it);
	EXPECT_EQ(ETIMEDOUT, it.err)
		TH_LOG("%s received an item of %zd bytes (kind %d, flags %#x) or an error (%s) where nothing was expected",
		       who, it.ret, it.kind, it.flags, errname(it.err));
}

#define expect_quiet(fd, who) __expect_quiet(_metadata, fd, who)

/* ------------------------------------------------------------------ */
/* Messages                                                             */
/* ------------------------------------------------------------------ */

/*
 * A test message of LEN bytes: a header { MAGIC, sender, seq, len } when
 * LEN allows (16 bytes), then a pattern that depends on sender and seq.
 */
struct msg_hdr {
	uint32_t magic;
	uint32_t sender;
	uint32_t seq;
	uint32_t len;
};

static unsigned char pattern(uint32_t sender, uint32_t seq, size_t i)
{
	return (unsigned char)(sender * 131 + seq * 29 + i * 7 + (i >> 9));
}

static void fill_msg(void *buf, size_t len, uint32_t sender, uint32_t seq)
{
	unsigned char *p = buf;
	struct msg_hdr h = { MAGIC, sender, seq, (uint32_t)len };
	size_t i = 0;

	if (len >= sizeof(h)) {
		memcpy(p, &h, sizeof(h));
		i = sizeof(h);
	}
	for (; i < len; i++)
		p[i] = pattern(sender, seq, i);
}

/*
 * Check a received message against fill_msg(); for one of 16 bytes or
 * more, return its sender and seq from the header.
 * Return: true if it is intact.
 */
static bool msg_ok(const void *buf, size_t len, uint32_t *sender,
		   uint32_t *seq)
{
	const unsigned char *p = buf;
	struct msg_hdr h;
	size_t i = 0;

	if (len >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));
		if (h.magic != MAGIC || h.len != len)
			return false;
		*sender = h.sender;
		*seq = h.seq;
		i = sizeof(h);
	}
	for (; i < len; i++)
		if (p[i] != pattern(*sender, *seq, i))
			return false;
	return true;
}

/*
 * Receive the next item of FD: a data message of LEN bytes from member
 * FROM, filled by fill_msg(SENDER, SEQ).
 */
static void __expect_msg(struct __test_metadata *_metadata, int fd,
			 void *buf, size_t size, struct vsync_member from,
			 size_t len, uint32_t sender, uint32_t seq,
			 const char *group)
{
	uint32_t s = sender, q = seq;
	struct item it;

	get_item(fd, buf, size, 0, WAIT_MS, &it);
	ASSERT_LE(0, it.ret)
		TH_LOG("waiting for message %u/%u of %zu bytes: %s", sender,
		       seq, len, errname(it.err));
	ASSERT_EQ(0, it.flags & MSG_OOB)
		TH_LOG("a view (%zd bytes) where message %u/%u of %zu bytes was expected",
		       it.ret, sender, seq, len);
	ASSERT_EQ(0, it.flags & MSG_TRUNC);
	ASSERT_EQ(1, it.nkind) TH_LOG("no VSYNC_CMSG_KIND on a message");
	ASSERT_EQ(VSYNC_KIND_DATA, it.kind);
	ASSERT_EQ(len, (size_t)it.ret)
		TH_LOG("message %u/%u: %zd bytes, want %zu", sender, seq,
		       it.ret, len);
	ASSERT_TRUE(msg_ok(buf, it.ret, &s, &q))
		TH_LOG("message %u/%u of %zu bytes is corrupt", sender, seq,
		       len);
	ASSERT_EQ(sender, s) TH_LOG("message from sender %u seq %u, want %u/%u",
				    s, q, sender, seq);
	ASSERT_EQ(seq, q) TH_LOG("message from sender %u seq %u, want %u/%u",
				 s, q, sender, seq);
	ASSERT_EQ(sizeof(struct sockaddr_vsync), (size_t)it.fromlen);
	ASSERT_EQ(g_family, it.from.svs_family);
	ASSERT_EQ(from.vm_node, it.from.svs_node);
	ASSERT_EQ(from.vm_port, it.from.svs_port);
	if (group)
		ASSERT_STREQ(group, it.from.svs_group);
}

#define expect_msg(fd, buf, size, from, len, sender, seq) \
	__expect_msg(_metadata, fd, buf, size, from, len, sender, seq, NULL)

/* send() of a fill_msg() message; the send must take it whole. */
static void __send_msg(struct __test_metadata *_metadata, int fd, void *buf,
		       size_t len, uint32_t sender, uint32_t seq, int flags)
{
	ssize_t ret;

	fill_msg(buf, len, sender, seq);
	ret = send(fd, buf, len, flags);
	ASSERT_EQ((ssize_t)len, ret)
		TH_LOG("send of message %u/%u, %zu bytes: %s", sender, seq,
		       len, ret < 0 ? strerror(errno) : "short");
}

#define send_msg(fd, buf, len, sender, seq) \
	__send_msg(_metadata, fd, buf, len, sender, seq, 0)

/* sendmsg() with a SOL_VSYNC control message TYPE of LEN bytes. */
static ssize_t send_cmsg(int fd, const void *buf, size_t len, int level,
			 int type, const void *data, size_t dlen, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(16)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = CMSG_SPACE(dlen),
	};
	struct cmsghdr *cm;

	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(dlen);
	memcpy(CMSG_DATA(cm), data, dlen);
	return sendmsg(fd, &msg, flags);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Read FD with MSG_DONTWAIT until three calls failed (at most 4096 calls)
 * and tell what came: views, data messages (fill_msg(), their seq must go
 * 0, 1, 2, ...), errors, and items that came after an error.
 */
struct drain {
	int views, data, nerr, items_after_err;
	int err[3];
	bool gap;
	char trace[1024];
};

static void drain(int fd, struct drain *d)
{
	static char buf[1 << 16];
	size_t n = 0;
	int i, run = 0;
	char last = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < 4096 && d->nerr < 3; i++) {
		struct item it;
		char what;

		get_item(fd, buf, sizeof(buf), MSG_DONTWAIT, -1, &it);
		if (it.ret < 0) {
			d->err[d->nerr++] = it.err;
			what = 'E';
		} else if (it.flags & MSG_OOB) {
			d->views++;
			what = 'V';
		} else {
			uint32_t s = 0, q = 0;

			if (!msg_ok(buf, it.ret, &s, &q) ||
			    q != (uint32_t)d->data)
				d->gap = true;
			d->data++;
			what = 'D';
		}
		if (it.ret >= 0 && d->nerr)
			d->items_after_err++;
		/* "E(No buffer space available) V x2 D x37 E(...)" */
		if (what == last && what != 'E') {
			run++;
			continue;
		}
		if (run > 1 && n < sizeof(d->trace))
			n += snprintf(d->trace + n, sizeof(d->trace) - n,
				      " x%d", run);
		run = 1;
		last = what;
		if (n >= sizeof(d->trace))
			continue;
		if (what == 'E')
			n += snprintf(d->trace + n, sizeof(d->trace) - n,
				      "%sE(%s)", n ? " " : "",
				      strerror(it.err));
		else
			n += snprintf(d->trace + n, sizeof(d->trace) - n,
				      "%s%c", n ? " " : "", what);
	}
	if (run > 1 && n < sizeof(d->trace))
		snprintf(d->trace + n, sizeof(d->trace) - n, " x%d", run);
}

/* ------------------------------------------------------------------ */
/* Sending and receiving, once per delivery guarantee                   */
/* ------------------------------------------------------------------ */

FIXTURE(xfer)
{
	struct ctx c;
	bool p2_delayed;	/* netem on P2's p1: taken off in teardown */
};

/*
 * How the sender asks for its guarantee: VSYNC_DELIVERY on the socket, or
 * a VSYNC_CMSG_DELIVERY control message per message on a socket whose
 * default is the other guarantee (the message's must win).
 */
FIXTURE_VARIANT(xfer)
{
	uint32_t delivery;
	bool cmsg;
};

FIXTURE_VARIANT_ADD(xfer, agreed)
{
	.delivery = VSYNC_DELIVERY_AGREED,
	.cmsg = false,
};

FIXTURE_VARIANT_ADD(xfer, safe)
{
	.delivery = VSYNC_DELIVERY_SAFE,
	.cmsg = false,
};

FIXTURE_VARIANT_ADD(xfer, safe_cmsg)
{
	.delivery = VSYNC_DELIVERY_SAFE,
	.cmsg = true,
};

FIXTURE_VARIANT_ADD(xfer, agreed_cmsg)
{
	.delivery = VSYNC_DELIVERY_AGREED,
	.cmsg = true,
};

FIXTURE_SETUP(xfer)
{
	ctx_init(&self->c);
	global_ok();
}

FIXTURE_TEARDOWN(xfer)
{
	ctx_close(&self->c);
	/* The pair is shared by every case: leave its link as it was. */
	if (self->p2_delayed)
		in_ns(g_ns_p[1], tc_batch_cb, "qdisc del dev p1 root\n");
}

/* A member of GROUP set up for the variant's guarantee. */
static int __xopen(struct __test_metadata *_metadata,
		   FIXTURE_DATA(xfer) *self,
		   const FIXTURE_VARIANT(xfer) *variant, int ns,
		   const char *group, int rcvbuf)
{
	int fd = __open_sock_in(_metadata, &self->c, ns, group, rcvbuf);
	int val = variant->cmsg ? !variant->delivery : (int)variant->delivery;

	ASSERT_EQ(0, setsockopt(fd, SOL_VSYNC, VSYNC_DELIVERY, &val,
				sizeof(val)))
		TH_LOG("VSYNC_DELIVERY %d: %s", val, strerror(errno));
	return fd;
}

#define xopen(group, rcvbuf) \
	__xopen(_metadata, self, variant, -1, group, rcvbuf)
#define xopen_in(ns, group, rcvbuf) \
	__xopen(_metadata, self, variant, ns, group, rcvbuf)

/* P1 and P2 */
#define P1 g_ns_p[0]
#define P2 g_ns_p[1]

/* Send LEN bytes the variant's way. */
static ssize_t xsend_raw(const FIXTURE_VARIANT(xfer) *variant, int fd,
			 const void *buf, size_t len, int flags)
{
	if (variant->cmsg)
		return send_cmsg(fd, buf, len, SOL_VSYNC, VSYNC_CMSG_DELIVERY,
				 &variant->delivery,
				 sizeof(variant->delivery), flags);
	return send(fd, buf, len, flags);
}

static void __xsend(struct __test_metadata *_metadata,
		    const FIXTURE_VARIANT(xfer) *variant, int fd, void *buf,
		    size_t len, uint32_t sender, uint32_t seq)
{
	ssize_t ret;

	fill_msg(buf, len, sender, seq);
	ret = xsend_raw(variant, fd, buf, len, 0);
	ASSERT_EQ((ssize_t)len, ret)
		TH_LOG("send of message %u/%u, %zu bytes: %s", sender, seq,
		       len, ret < 0 ? strerror(errno) : "short");
}

#define xsend(fd, buf, len, sender, seq) \
	__xsend(_metadata, variant, fd, buf, len, sender, seq)

/*
 * Messages of many sizes, from 0 bytes to more than a frame and on both
 * sides of the largest one the socket keeps linear (2 KiB with its name),
 * reach the sender and another member, whole and in order, with the sender's
 * address, the group and the ring's device in msg_name.
 */
TEST_F(xfer, sizes)
{
	static const size_t sizes[] = {
		0, 1, 15, 16, 17, 100, 1000, 1400, 1500, 1501, 1650, 1690,
		1700, 1710, 1720, 1800, 2047, 4000, 9000, 65535, 65536, 65537,
		0, 3,
	};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	struct vsync_member ma;
	struct view v;
	unsigned int i;
	char group[64];
	char *buf;
	int a, b, k;

	buf = malloc(1 << 20);
	ASSERT_NE(NULL, buf);
	snprintf(group, sizeof(group), "%s", self->c.group);
	a = xopen(group, 16 << 20);
	next_view(a, 1, &v);
	b = xopen(group, 16 << 20);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);

	for (i = 0; i < N; i++)
		xsend(a, buf, sizes[i], 1, i);
	for (k = 0; k < 2; k++) {
		int fd = k ? b : a;

		for (i = 0; i < N; i++) {
			struct item it;
			uint32_t s = 1, q = i;

			get_item(fd, buf, 1 << 20, 0, WAIT_MS, &it);
			ASSERT_LE(0, it.ret)
				TH_LOG("%s, message %u of %zu bytes: %s",
				       k ? "other member" : "sender", i,
				       sizes[i], errname(it.err));
			ASSERT_EQ(0, it.flags & (MSG_OOB | MSG_TRUNC))
				TH_LOG("flags %#x", it.flags);
			ASSERT_EQ(1, it.nkind);
			ASSERT_EQ(VSYNC_KIND_DATA, it.kind);
			ASSERT_EQ(0, it.other_cmsg);
			ASSERT_EQ(sizes[i], (size_t)it.ret)
				TH_LOG("message %u: %zd bytes, want %zu", i,
				       it.ret, sizes[i]);
			ASSERT_TRUE(msg_ok(buf, it.ret, &s, &q))
				TH_LOG("message %u of %zu bytes is corrupt",
				       i, sizes[i]);
			ASSERT_EQ(i, q);
			ASSERT_EQ(sizeof(struct sockaddr_vsync),
				  (size_t)it.fromlen);
			ASSERT_EQ(g_family, it.from.svs_family);
			ASSERT_EQ(0, it.from.svs_reserved);
			ASSERT_EQ((uint32_t)g_ifindex, it.from.svs_ifindex);
			ASSERT_EQ(ma.vm_node, it.from.svs_node);
			ASSERT_EQ(ma.vm_port, it.from.svs_port);
			ASSERT_STREQ(group, it.from.svs_group);
		}
		expect_quiet(fd, k ? "the other member" : "the sender");
	}
	free(buf);
}

/*
 * Group names and messages of every length modulo 4: sent one at a time,
 * each goes in a frame by itself, which the module builds in the
 * message's own buffer with the padding after the name and the data;
 * sent as one burst (MSG_MORE), the small ones share frames. Every
 * message reaches the sender and a member on the other node whole, in
 * order, with its group in msg_name.
 */
TEST_F_TIMEOUT(xfer, name_and_data_padding, 120)
{
	static const size_t sizes[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 1001, 1002, 1003, 1004, 1405,
	};
	static const unsigned int name_lens[] = { 1, 2, 3, 4, 5, 62, 63 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	char sbuf[2048], rbuf[2048], group[VSYNC_GROUP_MAX], fill[128];
	struct vsync_member ma;
	unsigned int k, i, burst;
	struct view v;
	int a, b;

	for (k = 0; k < sizeof(name_lens) / sizeof(name_lens[0]); k++) {
		/* The test's own name, cut or filled up to the length. */
		snprintf(fill, sizeof(fill), "%s%s", self->c.group,
			 "-padding-padding-padding-padding-padding-padding-padding-");
		memcpy(group, fill, name_lens[k]);
		group[name_lens[k]] = '\0';
		a = xopen_in(P1, group, 4 << 20);
		next_view(a, 1, &v);
		b = xopen_in(P2, group, 4 << 20);
		next_view(b, 2, &v);
		next_view(a, 2, &v);
		ma = member_of(a);
		for (burst = 0; burst < 2; burst++) {
			for (i = 0; i < N; i++) {
				fill_msg(sbuf, sizes[i], k, burst * N + i);
				ASSERT_EQ((ssize_t)sizes[i],
					  xsend_raw(variant, a, sbuf, sizes[i],
						    burst && i + 1 < N ?
						    MSG_MORE : 0))
					TH_LOG("send %zu bytes to '%s': %s",
					       sizes[i], group,
					       strerror(errno));
				if (!burst)
					__expect_msg(_metadata, a, rbuf,
						     sizeof(rbuf), ma,
						     sizes[i], k, i, group);
			}
			for (i = 0; i < N; i++) {
				if (burst)
					__expect_msg(_metadata, a, rbuf,
						     sizeof(rbuf), ma,
						     sizes[i], k, N + i,
						     group);
				__expect_msg(_metadata, b, rbuf, sizeof(rbuf),
					     ma, sizes[i], k, burst * N + i,
					     group);
			}
		}
		expect_quiet(a, "the sender");
		expect_quiet(b, "the other member");
		close(a);
		close(b);
	}
}

/*
 * A message of LEN bytes from a member in namespace NA reaches it and a
 * member in NB (both with SO_RCVBUFFORCE 2 * LEN + 16 MiB), followed by a
 * small one.
 */
static void big_roundtrip(struct __test_metadata *_metadata,
			  FIXTURE_DATA(xfer) *self,
			  const FIXTURE_VARIANT(xfer) *variant, size_t len,
			  int na, int nb)
{
	int rcvbuf = 2 * len + (16 << 20);
	struct vsync_member ma;
	struct view v;
	char *sbuf, *rbuf;
	int a, b;

	sbuf = malloc(len);
	rbuf = malloc(len + 1);
	ASSERT_NE(NULL, sbuf);
	ASSERT_NE(NULL, rbuf);
	a = xopen_in(na, self->c.group, rcvbuf);
	next_view(a, 1, &v);
	b = xopen_in(nb, self->c.group, rcvbuf);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);

	xsend(a, sbuf, len, 7, 1);
	xsend(a, sbuf, 10, 7, 2);
	expect_msg(b, rbuf, len + 1, ma, len, 7, 1);
	expect_msg(b, rbuf, len + 1, ma, 10, 7, 2);
	expect_msg(a, rbuf, len + 1, ma, len, 7, 1);
	expect_msg(a, rbuf, len + 1, ma, 10, 7, 2);
	expect_quiet(b, "the receiver");
	free(sbuf);
	free(rbuf);
}

/* 1 MiB makes the round trip, between two sockets of one node. */
TEST_F_TIMEOUT(xfer, one_mib, 60)
{
	big_roundtrip(_metadata, self, variant, 1 << 20, -1, -1);
}

/* 1 MiB makes the round trip from one node to another. */
TEST_F_TIMEOUT(xfer, one_mib_remote, 90)
{
	big_roundtrip(_metadata, self, variant, 1 << 20, P1, P2);
}

/* The largest message, VSYNC_MSG_MAX, goes from one node to another. */
TEST_F_TIMEOUT(xfer, max_size_remote, 120)
{
	big_roundtrip(_metadata, self, variant, VSYNC_MSG_MAX, P1, P2);
}

/* One byte more than VSYNC_MSG_MAX: EMSGSIZE, and nothing is sent. */
TEST_F(xfer, over_max_size)
{
	const size_t len = VSYNC_MSG_MAX + 1;
	struct vsync_member ma;
	struct view v;
	char *buf;
	ssize_t ret;
	int a;

	buf = calloc(1, len);
	ASSERT_NE(NULL, buf);
	a = xopen(self->c.group, 0);
	next_view(a, 1, &v);
	ma = member_of(a);

	ret = xsend_raw(variant, a, buf, len, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EMSGSIZE, errno) TH_LOG("send of %zu bytes: %s", len,
					  strerror(errno));
	ret = xsend_raw(variant, a, buf, len, MSG_DONTWAIT);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EMSGSIZE, errno);
	xsend(a, buf, 10, 1, 1);
	expect_msg(a, buf, 100, ma, 10, 1, 1);
	expect_quiet(a, "the sender");
	free(buf);
}

/*
 * Two nodes, one member each, both send messages of many sizes: both
 * receive all of them, whole, in the same order.
 */
TEST_F_TIMEOUT(xfer, remote_sizes, 60)
{
	static const size_t sizes[] = {
		0, 1, 17, 1000, 1400, 1460, 1500, 3000, 9000, 16000, 16384,
		40000, 65536, 80000, 5,
	};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	struct vsync_member m[2];
	uint32_t order[2][2 * N];
	unsigned int next[2][2];
	struct view v;
	char *buf;
	int fd[2], i, k, j;

	buf = malloc(1 << 20);
	ASSERT_NE(NULL, buf);
	fd[0] = xopen_in(P1, self->c.group, 16 << 20);
	next_view(fd[0], 1, &v);
	fd[1] = xopen_in(P2, self->c.group, 16 << 20);
	next_view(fd[1], 2, &v);
	next_view(fd[0], 2, &v);
	m[0] = member_of(fd[0]);
	m[1] = member_of(fd[1]);
	EXPECT_NE(m[0].vm_node, m[1].vm_node);

	for (i = 0; i < N; i++) {
		xsend(fd[0], buf, sizes[i], 0, i);
		xsend(fd[1], buf, sizes[N - 1 - i], 1, i);
	}
	memset(next, 0, sizeof(next));
	for (k = 0; k < 2; k++) {
		for (j = 0; j < 2 * N; j++) {
			struct item it;
			uint32_t s, q;
			size_t want;

			get_item(fd[k], buf, 1 << 20, 0, WAIT_MS, &it);
			ASSERT_LE(0, it.ret) TH_LOG("member %d, item %d: %s", k,
						    j, errname(it.err));
			ASSERT_EQ(0, it.flags & (MSG_OOB | MSG_TRUNC));
			ASSERT_EQ(VSYNC_KIND_DATA, it.kind);
			s = it.from.svs_node == m[1].vm_node;
			ASSERT_EQ(m[s].vm_port, it.from.svs_port);
			q = next[k][s];
			ASSERT_GT(N, (int)q) TH_LOG("too many from %u", s);
			want = s ? sizes[N - 1 - q] : sizes[q];
			ASSERT_EQ(want, (size_t)it.ret)
				TH_LOG("member %d: from %u message %u: %zd bytes, want %zu",
				       k, s, q, it.ret, want);
			ASSERT_TRUE(msg_ok(buf, it.ret, &s, &q))
				TH_LOG("member %d: from %u message %u is corrupt",
				       k, s, next[k][s]);
			ASSERT_EQ(next[k][s], q);
			next[k][s]++;
			order[k][j] = s << 16 | q;
		}
		expect_quiet(fd[k], "a member");
	}
	for (j = 0; j < 2 * N; j++)
		ASSERT_EQ(order[0][j], order[1][j])
			TH_LOG("the nodes differ at message %d", j);
	free(buf);
}

/*
 * The rounds of the *_held_by_readers tests: N messages of LEN(round, i)
 * bytes (at most MAX) from P1, first all sent while both members leave
 * them unread, then all read and checked; twice. Return: the pages P1's
 * ring used again in the second round.
 */
static uint64_t __held_by_readers(struct __test_metadata *_metadata,
				  FIXTURE_DATA(xfer) *self,
				  const FIXTURE_VARIANT(xfer) *variant, int n,
				  size_t max, size_t (*len)(int round, int i))
{
	struct pair_arg pa = { .dev = "p0" };
	uint64_t reused[3];
	struct vsync_member ma;
	struct view v;
	int a, b, round, i;
	char *buf;

	buf = malloc(max + 1);
	ASSERT_NE(NULL, buf);
	a = xopen_in(P1, self->c.group, 16 << 20);
	next_view(a, 1, &v);
	b = xopen_in(P2, self->c.group, 16 << 20);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);

	ASSERT_EQ(0, in_ns(P1, pair_ifindex, &pa));
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, in_ns(P1, pair_ring_get, &pa));
		reused[round] = pa.ri.stats[VSYNC_A_STATS_PAGES_REUSED];
		for (i = 0; i < n; i++)
			xsend(a, buf, len(round, i), 3, round * n + i);
		for (i = 0; i < n; i++) {
			expect_msg(b, buf, max + 1, ma, len(round, i), 3,
				   round * n + i);
			expect_msg(a, buf, max + 1, ma, len(round, i), 3,
				   round * n + i);
		}
	}
	ASSERT_EQ(0, in_ns(P1, pair_ring_get, &pa));
	reused[2] = pa.ri.stats[VSYNC_A_STATS_PAGES_REUSED];
	TH_LOG("pages used again: %" PRIu64 " in the first round, %" PRIu64
	       " in the second", reused[1] - reused[0],
	       reused[2] - reused[1]);
	expect_quiet(a, "the sender");
	expect_quiet(b, "the receiver");
	free(buf);
	return reused[2] - reused[1];
}

#define held_by_readers(n, max, len) \
	__held_by_readers(_metadata, self, variant, n, max, len)

/* pages_held_by_readers: 9 pages each, a little less every time. */
static size_t page_len(int round, int i)
{
	return 32768 + 1000 - round * 3000 - i;
}

/*
 * A sender's large messages live in pages its ring uses again once nobody
 * holds them (kernel/pages.c), and its pool holds 1 MiB. Three times that
 * is sent while both members leave it all unread, so every page is still
 * held when the pool comes round to it: none may be written again. Then
 * as much again once everything was read, into pages now free: all of it
 * must arrive as sent, nothing of the earlier messages left in it, and
 * P1's counter pages_reused says that the second round used pages again.
 */
TEST_F_TIMEOUT(xfer, pages_held_by_readers, 120)
{
	/* 96 messages of 9 pages each; the pool holds 256 pages. */
	EXPECT_LT(100, held_by_readers(96, page_len(0, 0), page_len));
}

/* heads_held_by_readers: 1 KiB, near the largest linear one, small. */
static size_t head_len(int round, int i)
{
	static const size_t len[] = { 1024, 1400, 40 };

	(void)round;
	return len[i % 3] - i / 3 % 4;
}

/*
 * Small messages' heads are cut from the same pool pages, several to a
 * page (kernel/pages.c), and a page is used again only once every head cut
 * from it is free. About twice the pool is sent in messages of mixed sizes
 * (heads of three sizes share a page) while both members leave them
 * unread, so the pool comes round to pages still held; then as much again
 * once all was read. Every message must arrive as sent, and the second
 * round must have used pages again.
 */
TEST_F_TIMEOUT(xfer, heads_held_by_readers, 120)
{
	/* About three heads to a page; the pool holds 256 pages. */
	EXPECT_LT(200, held_by_readers(1600, 1400, head_len));
}

/*
 * Four members, two on each node of the pair ring, send at once from four
 * processes: all receive the same sequence, every message exactly once,
 * each sender's messages in the order it sent them.
 */
TEST_F_TIMEOUT(xfer, total_order, 90)
{
	enum { S = 4, N = 150 };
	struct vsync_member m[S];
	uint32_t *log[S];
	uint32_t next[S];
	pid_t pid[S];
	struct view v;
	char buf[4096];
	int fd[S], i, j, k, status;

	for (i = 0; i < S; i++) {
		fd[i] = xopen_in(g_ns_p[i % 2], self->c.group, 16 << 20);
		for (j = 0; j <= i; j++)
			next_view(fd[j], i + 1, &v);
		m[i] = member_of(fd[i]);
		log[i] = calloc(S * N, sizeof(uint32_t));
		ASSERT_NE(NULL, log[i]);
	}

	for (i = 0; i < S; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			for (j = 0; j < N; j++) {
				size_t len = 20 + (j * 97 + i * 31) % 1800;

				fill_msg(buf, len, i, j);
				if (xsend_raw(variant, fd[i], buf, len, 0) !=
				    (ssize_t)len)
					_exit(1);
			}
			_exit(0);
		}
	}

	for (k = 0; k < S; k++) {
		memset(next, 0, sizeof(next));
		for (j = 0; j < S * N; j++) {
			struct item it;
			uint32_t s = 0, q = 0;

			get_item(fd[k], buf, sizeof(buf), 0, WAIT_MS, &it);
			ASSERT_LE(0, it.ret)
				TH_LOG("member %d, item %d: %s", k, j,
				       errname(it.err));
			ASSERT_EQ(0, it.flags & (MSG_OOB | MSG_TRUNC))
				TH_LOG("member %d, item %d: flags %#x", k, j,
				       it.flags);
			ASSERT_EQ(VSYNC_KIND_DATA, it.kind);
			ASSERT_TRUE(msg_ok(buf, it.ret, &s, &q))
				TH_LOG("member %d, item %d is corrupt", k, j);
			ASSERT_GT(S, (int)s);
			ASSERT_EQ(m[s].vm_node, it.from.svs_node);
			ASSERT_EQ(m[s].vm_port, it.from.svs_port);
			ASSERT_EQ(next[s], q)
				TH_LOG("member %d: from sender %u seq %u, want seq %u",
				       k, s, q, next[s]);
			next[s]++;
			log[k][j] = s << 16 | q;
		}
		expect_quiet(fd[k], "a member");
	}
	for (i = 0; i < S; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("sender %d failed", i);
	}
	for (k = 1; k < S; k++) {
		const uint32_t *l0 = log[0], *lk = log[k];

		for (j = 0; j < S * N; j++)
			ASSERT_EQ(l0[j], lk[j])
				TH_LOG("members 0 and %d differ at message %d: %u/%u vs %u/%u",
				       k, j, l0[j] >> 16, l0[j] & 0xffff,
				       lk[j] >> 16, lk[j] & 0xffff);
	}
	for (i = 0; i < S; i++)
		free(log[i]);
}

/*
 * Backpressure, on the pair ring. With the smallest SO_SNDBUF, a message
 * of 1 MiB (accepted whole: only its first 64 KiB wait for room) keeps
 * the buffer full for the many token visits it takes to send, so the
 * next MSG_DONTWAIT and O_NONBLOCK sends fail with EAGAIN; POLLOUT comes
 * back; blocking sends go through; every message that was accepted is
 * delivered, in order, on both nodes. (Small messages would not do: an
 * idle ring passes the token to a sender at once.)
 *
 * Over veth the rounds a message takes can all run inside the sender's
 * own send(), in the softirq it raises when it transmits, so that the
 * buffer is empty again before send() returns and no send ever fails
 * (whether they do depends on the kernel's softirq handling: on Debian's
 * 6.1.0-57 they did in every run). P2's frames are therefore delayed by
 * 5 ms (netem): the rounds go on after send() returns, as on a real link.
 */
TEST_F_TIMEOUT(xfer, backpressure, 120)
{
	enum { LEN = 1 << 20, MAX_TRIES = 50, BLOCKING = 8 };
	int a, r, o, sndbuf = 1, eagain = 0, fl, i, k, ret;
	const size_t bufsize = LEN + 64;
	struct vsync_member ma;
	unsigned int sent = 0;
	struct pollfd pfd;
	struct view v;
	char *buf;
	int64_t t0;

	buf = malloc(bufsize);
	ASSERT_NE(NULL, buf);

	a = xopen_in(P2, self->c.group, 64 << 20);
	next_view(a, 1, &v);
	r = xopen_in(P2, self->c.group, 64 << 20);
	next_view(r, 2, &v);
	next_view(a, 2, &v);
	o = xopen_in(P1, self->c.group, 64 << 20);
	next_view(o, 3, &v);
	next_view(a, 3, &v);
	next_view(r, 3, &v);
	ma = member_of(a);
	ASSERT_EQ(0, in_ns(P2, tc_batch_cb,
			   "qdisc add dev p1 root netem delay 5ms\n"))
		TH_LOG("cannot delay P2's frames with netem");
	self->p2_delayed = true;
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)));
	ASSERT_EQ(0, getsockopt_int(a, SOL_SOCKET, SO_SNDBUF, &sndbuf));
	t0 = now_ms();

	/* MSG_DONTWAIT */
	for (i = 0; i < MAX_TRIES && !eagain; i++) {
		fill_msg(buf, LEN, 1, sent);
		ret = xsend_raw(variant, a, buf, LEN, MSG_DONTWAIT);
		if (ret < 0) {
			ASSERT_EQ(EAGAIN, errno)
				TH_LOG("send %u: %s", sent, strerror(errno));
			eagain = 1;
		} else {
			ASSERT_EQ(LEN, ret);
			sent++;
		}
	}
	ASSERT_TRUE(eagain)
		TH_LOG("%d sends of %d bytes with SO_SNDBUF %d in %lld ms: never EAGAIN; in P2: %s",
		       MAX_TRIES, LEN, sndbuf, (long long)(now_ms() - t0),
		       ns_ring_str(P2));
	TH_LOG("EAGAIN after %u sends of %d bytes, SO_SNDBUF %d, %lld ms",
	       sent, LEN, sndbuf, (long long)(now_ms() - t0));

	/* Writable again once the token came. */
	pfd.fd = a;
	pfd.events = POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS))
		TH_LOG("never writable again; in P2: %s", ns_ring_str(P2));
	ASSERT_TRUE(pfd.revents & POLLOUT);

	/* O_NONBLOCK */
	fl = fcntl(a, F_GETFL);
	ASSERT_EQ(0, fcntl(a, F_SETFL, fl | O_NONBLOCK));
	eagain = 0;
	for (i = 0; i < MAX_TRIES && !eagain; i++) {
		fill_msg(buf, LEN, 1, sent);
		ret = xsend_raw(variant, a, buf, LEN, 0);
		if (ret < 0) {
			ASSERT_EQ(EAGAIN, errno)
				TH_LOG("send %u: %s", sent, strerror(errno));
			eagain = 1;
		} else {
			ASSERT_EQ(LEN, ret);
			sent++;
		}
	}
	ASSERT_TRUE(eagain) TH_LOG("O_NONBLOCK sends never got EAGAIN");
	ASSERT_EQ(0, fcntl(a, F_SETFL, fl));

	/* Blocking: each send waits for room, none fails. */
	for (i = 0; i < BLOCKING; i++) {
		fill_msg(buf, LEN, 1, sent);
		ret = xsend_raw(variant, a, buf, LEN, 0);
		ASSERT_EQ(LEN, ret) TH_LOG("blocking send %u: %s", sent,
					   ret < 0 ? strerror(errno) : "short");
		sent++;
	}

	/* Every accepted message arrives, in order, on both nodes. */
	for (k = 0; k < 3; k++) {
		int fd = k == 0 ? a : k == 1 ? r : o;
		unsigned int j;

		for (j = 0; j < sent; j++)
			expect_msg(fd, buf, bufsize, ma, LEN, 1, j);
		expect_quiet(fd, "a member");
	}
	free(buf);
}

/*
 * Messages still in the send buffer when the socket is closed are
 * delivered, before the view without it (sender and receiver on the two
 * nodes of the pair ring, so that the sender's queue is not empty).
 */
TEST_F_TIMEOUT(xfer, close_flushes, 60)
{
	enum { N = 300, LEN = 1000 };
	struct vsync_member ma;
	char buf[LEN];
	struct view v;
	int a, b, i;

	/* a's own copies pile up unread: room for them, or a is evicted. */
	a = xopen_in(P1, self->c.group, 32 << 20);
	next_view(a, 1, &v);
	b = xopen_in(P2, self->c.group, 32 << 20);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);

	for (i = 0; i < N; i++)
		xsend(a, buf, LEN, 2, i);
	ctx_close_fd(&self->c, a);

	for (i = 0; i < N; i++)
		expect_msg(b, buf, sizeof(buf), ma, LEN, 2, i);
	next_view(b, 1, &v);
	EXPECT_FALSE(view_has(&v, ma));
	expect_quiet(b, "the remaining member");
}

/*
 * fork(): parent and child share the socket; both send; the other member
 * gets every message once; the child's exit is not a leave.
 */
TEST_F_TIMEOUT(xfer, fork_shared, 60)
{
	enum { N = 100 };
	struct vsync_member ma;
	unsigned int next[2] = { 0, 0 };
	char buf[2048];
	struct view v;
	int a, b, i, status;
	pid_t pid;

	a = xopen(self->c.group, 16 << 20);
	next_view(a, 1, &v);
	b = xopen(self->c.group, 16 << 20);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < N; i++) {
			size_t len = 16 + i * 13;

			fill_msg(buf, len, 1, i);
			if (xsend_raw(variant, a, buf, len, 0) != (ssize_t)len)
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < N; i++)
		xsend(a, buf, 16 + i * 11, 0, i);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the child's sends failed");

	for (i = 0; i < 2 * N; i++) {
		struct item it;
		uint32_t s = 0, q = 0;

		get_item(b, buf, sizeof(buf), 0, WAIT_MS, &it);
		ASSERT_LE(0, it.ret) TH_LOG("message %d of %d: %s", i, 2 * N,
					    errname(it.err));
		ASSERT_EQ(0, it.flags & MSG_OOB)
			TH_LOG("a view after %d messages", i);
		ASSERT_TRUE(msg_ok(buf, it.ret, &s, &q));
		ASSERT_GT(2, (int)s);
		ASSERT_EQ(next[s], q) TH_LOG("from %s: seq %u, want %u",
					     s ? "child" : "parent", q, next[s]);
		next[s]++;
		ASSERT_EQ(ma.vm_node, it.from.svs_node);
		ASSERT_EQ(ma.vm_port, it.from.svs_port);
	}
	/* No duplicate, and no leave: the parent still holds the socket. */
	expect_quiet(b, "the other member");

	xsend(a, buf, 100, 0, N);
	expect_msg(b, buf, sizeof(buf), ma, 100, 0, N);
	ctx_close_fd(&self->c, a);
	next_view(b, 1, &v);
}

/*
 * VSYNC_SELF_DELIVERY off: the sender gets no copy of its own messages,
 * another member on the same node does; back on, copies come again.
 */
TEST_F(xfer, self_delivery_off)
{
	struct vsync_member ma, mb;
	char buf[256];
	struct view v;
	int a, b, off = 0, on = 1, val = -1;

	a = xopen(self->c.group, 0);
	next_view(a, 1, &v);
	b = xopen(self->c.group, 0);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);
	mb = member_of(b);
	ASSERT_EQ(ma.vm_node, mb.vm_node);

	ASSERT_EQ(0, setsockopt(a, SOL_VSYNC, VSYNC_SELF_DELIVERY, &off,
				sizeof(off)));
	ASSERT_EQ(0, getsockopt_int(a, SOL_VSYNC, VSYNC_SELF_DELIVERY, &val));
	ASSERT_EQ(0, val);

	xsend(a, buf, 40, 1, 1);
	expect_msg(b, buf, sizeof(buf), ma, 40, 1, 1);
	/* b's message is ordered after a's: a's copy would come first. */
	xsend(b, buf, 50, 2, 1);
	expect_msg(a, buf, sizeof(buf), mb, 50, 2, 1);
	expect_msg(b, buf, sizeof(buf), mb, 50, 2, 1);

	ASSERT_EQ(0, setsockopt(a, SOL_VSYNC, VSYNC_SELF_DELIVERY, &on,
				sizeof(on)));
	xsend(a, buf, 60, 1, 2);
	expect_msg(a, buf, sizeof(buf), ma, 60, 1, 2);
	expect_msg(b, buf, sizeof(buf), ma, 60, 1, 2);
	expect_quiet(a, "the sender");
}

/* ------------------------------------------------------------------ */
/* The rest of the API, on the shared ring                              */
/* ------------------------------------------------------------------ */

FIXTURE(api)
{
	struct ctx c;
};

FIXTURE_SETUP(api)
{
	ctx_init(&self->c);
	global_ok();
}

FIXTURE_TEARDOWN(api)
{
	ctx_close(&self->c);
}

/* Only SOCK_SEQPACKET with protocol 0 exists. */
TEST_F(api, socket_types)
{
	static const int bad[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW,
				   SOCK_RDM, SOCK_DCCP, SOCK_PACKET };
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = socket(g_family, bad[i], 0);
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(-1, fd) TH_LOG("socket type %d works", bad[i]);
		EXPECT_EQ(ESOCKTNOSUPPORT, errno)
			TH_LOG("type %d: %s", bad[i], strerror(errno));
	}
	fd = socket(g_family, SOCK_SEQPACKET, 1);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	fd = socket(g_family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Every way bind() refuses an address, and that the socket stays usable. */
TEST_F(api, bind_errors)
{
	struct sockaddr_vsync a = vaddr(0, self->c.group);
	struct view v;
	int fd, other;

	fd = open_sock(&self->c, 0, NULL, 0);

	/* Short addresses. */
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(sa_family_t)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a,
			   offsetof(struct sockaddr_vsync, svs_group) + 4));
	EXPECT_EQ(EINVAL, errno);

	/* Wrong family. */
	a.svs_family = AF_INET;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	a.svs_family = AF_UNSPEC;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	a.svs_family = g_family;

	/* Empty name. */
	memset(a.svs_group, 0, sizeof(a.svs_group));
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);

	/* No NUL within VSYNC_GROUP_MAX bytes. */
	memset(a.svs_group, 'x', sizeof(a.svs_group));
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);

	/* No ring on that device, or no such device. */
	a = vaddr(if_nametoindex("lo"), self->c.group);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ENODEV, errno);
	a = vaddr(if_nametoindex("veth1"), self->c.group);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ENODEV, errno);
	a = vaddr(987654, self->c.group);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ENODEV, errno);

	/* After all that, the socket binds; a second bind is refused. */
	ASSERT_EQ(0, vbind(fd, 0, self->c.group))
		TH_LOG("bind after failed binds: %s", strerror(errno));
	next_view(fd, 1, &v);
	EXPECT_EQ(-1, vbind(fd, 0, self->c.group));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, vbind(fd, 0, "another"));
	EXPECT_EQ(EINVAL, errno);
	expect_quiet(fd, "the socket bound twice");

	/* A name of VSYNC_GROUP_MAX - 1 bytes fits; so does a longer buffer. */
	other = open_sock(&self->c, 0, NULL, 0);
	a = vaddr(0, "");
	memset(a.svs_group, 'y', VSYNC_GROUP_MAX - 1);
	a.svs_group[VSYNC_GROUP_MAX - 1] = '\0';
	{
		char big[sizeof(a) + 16];

		memset(big, 0, sizeof(big));
		memcpy(big, &a, sizeof(a));
		ASSERT_EQ(0, bind(other, (struct sockaddr *)big, sizeof(big)))
			TH_LOG("bind to a group of %d bytes: %s",
			       VSYNC_GROUP_MAX - 1, strerror(errno));
	}
	next_view(other, 1, &v);
}

/*
 * bind() to the ring by its device; getsockname() names the socket;
 * VSYNC_NODE_ID is the ring's node id, ports differ.
 */
TEST_F(api, bind_ifindex_getsockname)
{
	struct sockaddr_vsync sa;
	socklen_t len = sizeof(sa);
	struct vsync_member ma, mb;
	struct ring_info ri;
	struct view v;
	char group[64];
	int a, b;

	snprintf(group, sizeof(group), "%s-by-dev", self->c.group);
	a = open_sock(&self->c, g_ifindex, group, 0);
	next_view(a, 1, &v);
	b = open_sock(&self->c, 0, group, 0);
	next_view(b, 2, &v);
	next_view(a, 2, &v);

	ma = member_of(a);
	mb = member_of(b);
	ASSERT_EQ(0, ring_get(g_ifindex, &ri));
	EXPECT_EQ(ri.node_id, ma.vm_node);
	EXPECT_EQ(g_node_id, ma.vm_node);
	EXPECT_EQ(ma.vm_node, mb.vm_node);
	EXPECT_NE(ma.vm_port, mb.vm_port);

	memset(&sa, 0xa5, sizeof(sa));
	ASSERT_EQ(0, getsockname(a, (struct sockaddr *)&sa, &len))
		TH_LOG("getsockname: %s", strerror(errno));
	EXPECT_EQ(sizeof(sa), (size_t)len);
	EXPECT_EQ(g_family, sa.svs_family);
	EXPECT_EQ((uint32_t)g_ifindex, sa.svs_ifindex);
	EXPECT_EQ(ma.vm_node, sa.svs_node);
	EXPECT_EQ(ma.vm_port, sa.svs_port);
	EXPECT_STREQ(group, sa.svs_group);

	/* Bound with ifindex 0, the socket is on the ring's device too. */
	len = sizeof(sa);
	ASSERT_EQ(0, getsockname(b, (struct sockaddr *)&sa, &len));
	EXPECT_EQ((uint32_t)g_ifindex, sa.svs_ifindex);
	EXPECT_EQ(mb.vm_port, sa.svs_port);
}

/* An unbound socket: nothing to send to, nothing to read, no identity. */
TEST_F(api, unbound)
{
	struct vsync_view vv;
	socklen_t len = sizeof(vv);
	char buf[16] = "x";
	uint32_t val;
	int fd;

	fd = open_sock(&self->c, 0, NULL, 0);
	set_timeouts(fd, 2000);

	EXPECT_EQ(-1, send(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ENOTCONN, errno) TH_LOG("send: %s", strerror(errno));
	EXPECT_EQ(-1, send(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENOTCONN, errno);
	/* Blocking recv: fails at once, does not wait for SO_RCVTIMEO. */
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ENOTCONN, errno) TH_LOG("recv: %s", strerror(errno));

	EXPECT_EQ(-1, getsockopt_u32(fd, VSYNC_NODE_ID, &val));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, getsockopt_u32(fd, VSYNC_PORT, &val));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, getsockopt(fd, SOL_VSYNC, VSYNC_VIEW, &vv, &len));
	EXPECT_EQ(ENOTCONN, errno);
}

/*
 * The first item a bound socket receives is a regular view holding
 * itself; VSYNC_VIEW then agrees with it.
 */
TEST_F(api, first_item_is_view)
{
	char buf[sizeof(struct view)];
	struct vsync_member me;
	struct view v, g;
	struct item it;
	socklen_t len;
	int fd;

	fd = open_sock(&self->c, 0, self->c.group, 0);
	me = member_of(fd);
	EXPECT_NE(0, me.vm_node);

	get_item(fd, buf, sizeof(buf), 0, WAIT_MS, &it);
	__check_view(_metadata, &it, buf, &v);
	EXPECT_EQ(VSYNC_KIND_VIEW_REGULAR, it.kind);
	ASSERT_EQ(1, v.v.vv_count);
	EXPECT_EQ(me.vm_node, v.m[0].vm_node);
	EXPECT_EQ(me.vm_port, v.m[0].vm_port);
	EXPECT_NE(0, v.v.vv_ring_rep);
	EXPECT_NE(0, v.v.vv_seq) TH_LOG("a view caused by a join has vv_seq 0");

	memset(&g, 0, sizeof(g));
	len = sizeof(g);
	ASSERT_EQ(0, getsockopt(fd, SOL_VSYNC, VSYNC_VIEW, &g, &len))
		TH_LOG("VSYNC_VIEW: %s", strerror(errno));
	EXPECT_EQ(sizeof(struct vsync_view) + sizeof(struct vsync_member),
		  (size_t)len);
	EXPECT_EQ(1, g.v.vv_count);
	EXPECT_EQ(VSYNC_KIND_VIEW_REGULAR, g.v.vv_kind);
	EXPECT_EQ(0, member_cmp(&g.m[0], &me));
	expect_quiet(fd, "a lone member");
}

/*
 * Joins and leaves are views, at the same point of the order for every
 * member: a later joiner sees only what comes after its view.
 */
TEST_F(api, join_leave_views)
{
	struct view va[4], vb[3], vc[2];
	struct vsync_member ma, mb, mc;
	char buf[256], s1[256], s2[256];
	int a, b, c;

	a = open_sock(&self->c, 0, self->c.group, 0);
	ma = member_of(a);
	next_view(a, 1, &va[0]);

	b = open_sock(&self->c, 0, self->c.group, 0);
	mb = member_of(b);
	next_view(b, 2, &vb[0]);
	next_view(a, 2, &va[1]);
	view_str(&va[1], s1, sizeof(s1));
	view_str(&vb[0], s2, sizeof(s2));
	ASSERT_TRUE(view_same(&va[1], &vb[0]))
		TH_LOG("a saw %s, b saw %s", s1, s2);
	EXPECT_TRUE(view_has(&va[1], ma));
	EXPECT_TRUE(view_has(&va[1], mb));

	/* m0 is ordered before c joins: c must never see it. */
	send_msg(a, buf, 32, 1, 0);
	expect_msg(a, buf, sizeof(buf), ma, 32, 1, 0);
	expect_msg(b, buf, sizeof(buf), ma, 32, 1, 0);

	c = open_sock(&self->c, 0, self->c.group, 0);
	mc = member_of(c);
	next_view(c, 3, &vc[0]);
	next_view(a, 3, &va[2]);
	next_view(b, 3, &vb[1]);
	ASSERT_TRUE(view_same(&va[2], &vc[0]));
	ASSERT_TRUE(view_same(&vb[1], &vc[0]));
	EXPECT_TRUE(view_has(&vc[0], mc));

	/* Views on one ring move forward. */
	if (va[0].v.vv_ring_rep == va[2].v.vv_ring_rep &&
	    va[0].v.vv_ring_seq == va[2].v.vv_ring_seq) {
		EXPECT_LT(va[0].v.vv_seq, va[1].v.vv_seq);
		EXPECT_LT(va[1].v.vv_seq, va[2].v.vv_seq);
	}

	send_msg(b, buf, 33, 2, 1);
	expect_msg(c, buf, sizeof(buf), mb, 33, 2, 1);
	expect_msg(a, buf, sizeof(buf), mb, 33, 2, 1);
	expect_msg(b, buf, sizeof(buf), mb, 33, 2, 1);

	/* b leaves: a and c see the same view without it. */
	ctx_close_fd(&self->c, b);
	next_view(a, 2, &va[3]);
	next_view(c, 2, &vc[1]);
	view_str(&va[3], s1, sizeof(s1));
	view_str(&vc[1], s2, sizeof(s2));
	ASSERT_TRUE(view_same(&va[3], &vc[1]))
		TH_LOG("a saw %s, c saw %s", s1, s2);
	EXPECT_FALSE(view_has(&va[3], mb));
	EXPECT_TRUE(view_has(&va[3], ma));
	EXPECT_TRUE(view_has(&va[3], mc));
	if (va[2].v.vv_ring_rep == va[3].v.vv_ring_rep &&
	    va[2].v.vv_ring_seq == va[3].v.vv_ring_seq)
		EXPECT_LT(va[2].v.vv_seq, va[3].v.vv_seq);
	expect_quiet(a, "a");
	expect_quiet(c, "c");
}

/* Many sockets in one group: unique ports, one sorted view of all. */
TEST_F(api, many_members)
{
	enum { N = 24 };
	struct vsync_member m[N];
	struct view v, g;
	socklen_t len;
	int fd[N], i, j;

	for (i = 0; i < N; i++) {
		fd[i] = open_sock(&self->c, 0, self->c.group, 0);
		m[i] = member_of(fd[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(m[j].vm_port, m[i].vm_port);
	}
	/* The last one's first view holds everybody. */
	next_view(fd[N - 1], N, &v);
	for (i = 0; i < N; i++)
		EXPECT_TRUE(view_has(&v, m[i]));

	memset(&g, 0, sizeof(g));
	len = sizeof(g);
	ASSERT_EQ(0, getsockopt(fd[0], SOL_VSYNC, VSYNC_VIEW, &g, &len));
	ASSERT_EQ(N, g.v.vv_count);
	EXPECT_EQ(0, memcmp(g.m, v.m, N * sizeof(v.m[0])));

	/* The first member saw N views, growing one at a time. */
	for (i = 1; i <= N; i++)
		next_view(fd[0], i, &v);
}

/* VSYNC_VIEW: buffer sizes, optlen, vv_count; and the other options. */
TEST_F(api, sockopts)
{
	char raw[sizeof(struct view) + 64];
	struct vsync_view *vv = (struct vsync_view *)raw;
	struct vsync_member m[3];
	struct view v;
	socklen_t len;
	int fd[3], i, val;

	for (i = 0; i < 3; i++) {
		fd[i] = open_sock(&self->c, 0, self->c.group, 0);
		m[i] = member_of(fd[i]);
	}
	next_view(fd[2], 3, &v);

	/* Too small for the header. */
	len = sizeof(struct vsync_view) - 1;
	EXPECT_EQ(-1, getsockopt(fd[0], SOL_VSYNC, VSYNC_VIEW, raw, &len));
	EXPECT_EQ(EINVAL, errno);
	len = 0;
	EXPECT_EQ(-1, getsockopt(fd[0], SOL_VSYNC, VSYNC_VIEW, raw, &len));
	EXPECT_EQ(EINVAL, errno);

	/* Just the header: the size needed, and the count. */
	memset(raw, 0xa5, sizeof(raw));
	len = sizeof(struct vsync_view);
	ASSERT_EQ(0, getsockopt(fd[0], SOL_VSYNC, VSYNC_VIEW, raw, &len))
		TH_LOG("VSYNC_VIEW with room for no member: %s",
		       strerror(errno));
	EXPECT_EQ(sizeof(struct vsync_view) + 3 * sizeof(struct vsync_member),
		  (size_t)len);
	EXPECT_EQ(3, vv->vv_count);
	EXPECT_EQ(VSYNC_KIND_VIEW_REGULAR, vv->vv_kind);
	/* Nothing written past the buffer. */
	EXPECT_EQ(0xa5, (unsigned char)raw[sizeof(struct vsync_view)]);

	/* Room for one member. */
	memset(raw, 0xa5, sizeof(raw));
	len = sizeof(struct vsync_view) + sizeof(struct vsync_member);
	ASSERT_EQ(0, getsockopt(fd[0], SOL_VSYNC, VSYNC_VIEW, raw, &len));
	EXPECT_EQ(sizeof(struct vsync_view) + 3 * sizeof(struct vsync_member),
		  (size_t)len);
	EXPECT_EQ(3, vv->vv_count);
	EXPECT_EQ(0, member_cmp(&vv->vv_members[0], &v.m[0]));
	EXPECT_EQ(0xa5, (unsigned char)raw[len - sizeof(struct vsync_member)]);

	/* Enough room: the members of the last view. */
	memset(raw, 0, sizeof(raw));
	len = sizeof(raw);
	ASSERT_EQ(0, getsockopt(fd[1], SOL_VSYNC, VSYNC_VIEW, raw, &len));
	EXPECT_EQ(sizeof(struct vsync_view) + 3 * sizeof(struct vsync_member),
		  (size_t)len);
	ASSERT_EQ(3, vv->vv_count);
	EXPECT_EQ(0, memcmp(vv->vv_members, v.m, 3 * sizeof(v.m[0])));
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(view_has(&v, m[i]));

	/* Unknown options. */
	len = sizeof(val);
	EXPECT_EQ(-1, getsockopt(fd[0], SOL_VSYNC, 99, &val, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	val = 1;
	EXPECT_EQ(-1, setsockopt(fd[0], SOL_VSYNC, 99, &val, sizeof(val)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(fd[0], SOL_VSYNC, VSYNC_VIEW, &val,
				 sizeof(val)));
	EXPECT_NE(0, errno);
	/* Other levels: not ours. */
	EXPECT_EQ(-1, setsockopt(fd[0], IPPROTO_IP, 1, &val, sizeof(val)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(fd[0], IPPROTO_TCP, 1, &val, sizeof(val)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(fd[0], SOL_VSYNC + 1, VSYNC_DELIVERY, &val,
				 sizeof(val)));
	EXPECT_EQ(ENOPROTOOPT, errno);

	/* SOL_SOCKET works as on any socket. */
	val = 65536;
	ASSERT_EQ(0, setsockopt(fd[0], SOL_SOCKET, SO_RCVBUF, &val,
				sizeof(val)));
	ASSERT_EQ(0, getsockopt_int(fd[0], SOL_SOCKET, SO_RCVBUF, &val));
	EXPECT_EQ(2 * 65536, val);
	val = 32768;
	ASSERT_EQ(0, setsockopt(fd[0], SOL_SOCKET, SO_SNDBUF, &val,
				sizeof(val)));
	ASSERT_EQ(0, getsockopt_int(fd[0], SOL_SOCKET, SO_SNDBUF, &val));
	EXPECT_EQ(2 * 32768, val);
	ASSERT_EQ(0, getsockopt_int(fd[0], SOL_SOCKET, SO_TYPE, &val));
	EXPECT_EQ(SOCK_SEQPACKET, val);

	/* VSYNC_DELIVERY and VSYNC_SELF_DELIVERY on a bound socket. */
	val = VSYNC_DELIVERY_SAFE;
	ASSERT_EQ(0, setsockopt(fd[0], SOL_VSYNC, VSYNC_DELIVERY, &val,
				sizeof(val)));
	val = 2;
	EXPECT_EQ(-1, setsockopt(fd[0], SOL_VSYNC, VSYNC_DELIVERY, &val,
				 sizeof(val)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, getsockopt_int(fd[0], SOL_VSYNC, VSYNC_DELIVERY, &val));
	EXPECT_EQ(VSYNC_DELIVERY_SAFE, val);
	ASSERT_EQ(0, getsockopt_int(fd[0], SOL_VSYNC, VSYNC_SELF_DELIVERY,
				    &val));
	EXPECT_EQ(1, val);
}

/* Groups on one ring do not see each other's messages. */
TEST_F(api, groups_isolated)
{
	struct vsync_member ma, mb;
	char g1[64], g2[64], buf[256];
	struct view v;
	int a, b;

	snprintf(g1, sizeof(g1), "%s-1", self->c.group);
	snprintf(g2, sizeof(g2), "%s-2", self->c.group);
	a = open_sock(&self->c, 0, g1, 0);
	b = open_sock(&self->c, 0, g2, 0);
	next_view(a, 1, &v);
	next_view(b, 1, &v);
	ma = member_of(a);
	mb = member_of(b);

	send_msg(a, buf, 40, 1, 1);
	send_msg(b, buf, 40, 2, 1);
	__expect_msg(_metadata, a, buf, sizeof(buf), ma, 40, 1, 1, g1);
	__expect_msg(_metadata, b, buf, sizeof(buf), mb, 40, 2, 1, g2);
	/* Each other's first message is ordered before these. */
	send_msg(a, buf, 41, 1, 2);
	send_msg(b, buf, 41, 2, 2);
	__expect_msg(_metadata, a, buf, sizeof(buf), ma, 41, 1, 2, g1);
	__expect_msg(_metadata, b, buf, sizeof(buf), mb, 41, 2, 2, g2);
	expect_quiet(a, "group 1");
	expect_quiet(b, "group 2");
}

/* send() flags: only MSG_DONTWAIT, MSG_NOSIGNAL, MSG_EOR and MSG_MORE. */
TEST_F(api, send_flags)
{
	static const int bad[] = {
		MSG_OOB, MSG_CONFIRM, MSG_PEEK, MSG_DONTROUTE,
		MSG_TRUNC, MSG_WAITALL, MSG_ZEROCOPY, MSG_FASTOPEN,
	};
	struct vsync_member ma;
	int64_t t0;
	char buf[256];
	struct view v;
	unsigned int i;
	int a;

	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	ma = member_of(a);

	fill_msg(buf, 20, 1, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, send(a, buf, 20, bad[i]))
			TH_LOG("send with flag %#x works", bad[i]);
		EXPECT_EQ(EOPNOTSUPP, errno)
			TH_LOG("send with flag %#x: %s", bad[i],
			       strerror(errno));
	}
	__send_msg(_metadata, a, buf, 20, 1, 1, MSG_DONTWAIT);
	__send_msg(_metadata, a, buf, 21, 1, 2, MSG_NOSIGNAL);
	__send_msg(_metadata, a, buf, 22, 1, 3, MSG_EOR);
	__send_msg(_metadata, a, buf, 23, 1, 4,
		   MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR);
	/* The refused sends sent nothing. */
	expect_msg(a, buf, sizeof(buf), ma, 20, 1, 1);
	expect_msg(a, buf, sizeof(buf), ma, 21, 1, 2);
	expect_msg(a, buf, sizeof(buf), ma, 22, 1, 3);
	expect_msg(a, buf, sizeof(buf), ma, 23, 1, 4);

	/* write(), sendto() (its address ignored) and sendmsg() send too. */
	fill_msg(buf, 24, 1, 5);
	ASSERT_EQ(24, write(a, buf, 24));
	fill_msg(buf, 25, 1, 6);
	{
		struct sockaddr_vsync to = vaddr(0, "elsewhere");

		ASSERT_EQ(25, sendto(a, buf, 25, 0, (struct sockaddr *)&to,
				     sizeof(to)));
	}
	expect_msg(a, buf, sizeof(buf), ma, 24, 1, 5);
	expect_msg(a, buf, sizeof(buf), ma, 25, 1, 6);

	/* A ring of one does not wait for more after MSG_MORE. */
	t0 = now_ms();
	__send_msg(_metadata, a, buf, 26, 1, 7, MSG_MORE | MSG_DONTWAIT);
	expect_msg(a, buf, sizeof(buf), ma, 26, 1, 7);
	t0 = now_ms() - t0;
	EXPECT_GT(1000, t0)
		TH_LOG("a MSG_MORE message on a ring of one took %lld ms",
		       (long long)t0);
	expect_quiet(a, "the sender");
}

/*
 * A batch for sendmmsg(): COUNT messages of 20, 21, ... bytes, filled by
 * fill_msg(SENDER, SEQ0 + 1 ...); mmsg_delivery() gives entry I a
 * VSYNC_CMSG_DELIVERY control message with value VAL.
 */
#define MMSG_MAX 8

struct mmsg_batch {
	struct mmsghdr mm[MMSG_MAX];
	struct iovec iov[MMSG_MAX];
	char buf[MMSG_MAX][64];
	union {
		char b[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} c;
};

static void mmsg_fill(struct mmsg_batch *b, int count, uint32_t sender,
		      uint32_t seq0)
{
	int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < count && i < MMSG_MAX; i++) {
		fill_msg(b->buf[i], 20 + i, sender, seq0 + i + 1);
		b->iov[i].iov_base = b->buf[i];
		b->iov[i].iov_len = 20 + i;
		b->mm[i].msg_hdr.msg_iov = &b->iov[i];
		b->mm[i].msg_hdr.msg_iovlen = 1;
	}
}

static void mmsg_delivery(struct mmsg_batch *b, int i, uint32_t val)
{
	struct msghdr *h = &b->mm[i].msg_hdr;
	struct cmsghdr *cm;

	h->msg_control = b->c.b;
	h->msg_controllen = sizeof(b->c.b);
	cm = CMSG_FIRSTHDR(h);
	cm->cmsg_level = SOL_VSYNC;
	cm->cmsg_type = VSYNC_CMSG_DELIVERY;
	cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	memcpy(CMSG_DATA(cm), &val, sizeof(val));
}

/*
 * sendmmsg() sets MSG_BATCH on every message but the last: all are sent,
 * in order, each with its own control message.
 */
TEST_F(api, sendmmsg)
{
	enum { COUNT = 6 };
	struct vsync_member ma;
	struct mmsg_batch b;
	char rbuf[256];
	struct view v;
	int a, i;

	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	ma = member_of(a);

	mmsg_fill(&b, COUNT, 1, 0);
	/* The third asks for safe delivery. */
	mmsg_delivery(&b, 2, VSYNC_DELIVERY_SAFE);

	ASSERT_EQ(COUNT, sendmmsg(a, b.mm, COUNT, 0))
		TH_LOG("sendmmsg: %s", strerror(errno));
	for (i = 0; i < COUNT; i++) {
		EXPECT_EQ(20 + i, (int)b.mm[i].msg_len);
		expect_msg(a, rbuf, sizeof(rbuf), ma, 20 + i, 1, i + 1);
	}
	expect_quiet(a, "the sender");
}

/* VSYNC_CMSG_DELIVERY values and malformed control messages. */
TEST_F(api, send_cmsg)
{
	struct vsync_member ma;
	uint32_t val;
	uint64_t big = 0;
	char buf[256];
	struct view v;
	int a;

	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	ma = member_of(a);

	fill_msg(buf, 30, 1, 0);
	val = 2;
	EXPECT_EQ(-1, send_cmsg(a, buf, 30, SOL_VSYNC, VSYNC_CMSG_DELIVERY,
				&val, sizeof(val), 0));
	EXPECT_EQ(EINVAL, errno);
	val = UINT32_MAX;
	EXPECT_EQ(-1, send_cmsg(a, buf, 30, SOL_VSYNC, VSYNC_CMSG_DELIVERY,
				&val, sizeof(val), 0));
	EXPECT_EQ(EINVAL, errno);
	/* Wrong length. */
	EXPECT_EQ(-1, send_cmsg(a, buf, 30, SOL_VSYNC, VSYNC_CMSG_DELIVERY,
				&big, sizeof(big), 0));
	EXPECT_EQ(EINVAL, errno);
	/* A receive-only type. */
	val = 0;
	EXPECT_EQ(-1, send_cmsg(a, buf, 30, SOL_VSYNC, VSYNC_CMSG_KIND,
				&val, sizeof(val), 0));
	EXPECT_EQ(EINVAL, errno);

	val = VSYNC_DELIVERY_SAFE;
	fill_msg(buf, 31, 1, 1);
	ASSERT_EQ(31, send_cmsg(a, buf, 31, SOL_VSYNC, VSYNC_CMSG_DELIVERY,
				&val, sizeof(val), 0))
		TH_LOG("safe: %s", strerror(errno));
	val = VSYNC_DELIVERY_AGREED;
	fill_msg(buf, 32, 1, 2);
	ASSERT_EQ(32, send_cmsg(a, buf, 32, SOL_VSYNC, VSYNC_CMSG_DELIVERY,
				&val, sizeof(val), 0))
		TH_LOG("agreed: %s", strerror(errno));
	expect_msg(a, buf, sizeof(buf), ma, 31, 1, 1);
	expect_msg(a, buf, sizeof(buf), ma, 32, 1, 2);
	expect_quiet(a, "the sender");
}

/* recv() flags, MSG_TRUNC both ways, MSG_PEEK. */
TEST_F(api, recv_flags_trunc_peek)
{
	struct vsync_member ma;
	char buf[256], small[10];
	struct item it;
	struct view v;
	int a;

	a = open_sock(&self->c, 0, self->c.group, 0);
	ma = member_of(a);

	/* A view does not fit in 10 bytes: MSG_TRUNC, and the full size. */
	get_item(a, small, sizeof(small), MSG_PEEK | MSG_TRUNC, WAIT_MS, &it);
	ASSERT_EQ((ssize_t)(sizeof(struct vsync_view) +
			    sizeof(struct vsync_member)), it.ret)
		TH_LOG("view with MSG_PEEK|MSG_TRUNC: %zd (%s)", it.ret,
		       errname(it.err));
	EXPECT_TRUE(it.flags & MSG_TRUNC);
	EXPECT_TRUE(it.flags & MSG_OOB);
	get_item(a, small, sizeof(small), 0, WAIT_MS, &it);
	EXPECT_EQ((ssize_t)sizeof(small), it.ret);
	EXPECT_TRUE(it.flags & MSG_TRUNC);
	EXPECT_TRUE(it.flags & MSG_OOB);
	EXPECT_EQ(VSYNC_KIND_VIEW_REGULAR, it.kind);

	/* Unsupported flags; nothing is consumed. */
	send_msg(a, buf, 100, 1, 1);
	send_msg(a, buf, 101, 1, 2);
	send_msg(a, buf, 102, 1, 3);
	send_msg(a, buf, 103, 1, 4);
	get_item(a, buf, sizeof(buf), MSG_PEEK, WAIT_MS, &it);
	ASSERT_EQ(100, it.ret);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_OOB | MSG_DONTWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_ERRQUEUE | MSG_DONTWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_CONFIRM | MSG_DONTWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);

	/* MSG_PEEK twice, then the real thing: the same message. */
	get_item(a, buf, sizeof(buf), MSG_PEEK, WAIT_MS, &it);
	ASSERT_EQ(100, it.ret);
	EXPECT_EQ(VSYNC_KIND_DATA, it.kind);
	EXPECT_EQ(ma.vm_port, it.from.svs_port);
	expect_msg(a, buf, sizeof(buf), ma, 100, 1, 1);

	/* Short buffer: 10 bytes and MSG_TRUNC; the rest is gone. */
	get_item(a, small, sizeof(small), 0, WAIT_MS, &it);
	EXPECT_EQ((ssize_t)sizeof(small), it.ret);
	EXPECT_TRUE(it.flags & MSG_TRUNC);
	EXPECT_EQ(0, it.flags & MSG_OOB);
	EXPECT_EQ(VSYNC_KIND_DATA, it.kind);

	/* MSG_TRUNC asked: the full length is returned. */
	get_item(a, small, sizeof(small), MSG_TRUNC, WAIT_MS, &it);
	EXPECT_EQ(102, it.ret);
	EXPECT_TRUE(it.flags & MSG_TRUNC);

	/* MSG_WAITALL is accepted; the next message is whole. */
	get_item(a, buf, sizeof(buf), MSG_WAITALL, WAIT_MS, &it);
	EXPECT_EQ(103, it.ret);
	EXPECT_EQ(0, it.flags & MSG_TRUNC);

	/* Nothing left: MSG_DONTWAIT says EAGAIN. */
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	(void)v;
}

/* Blocking recv() waits for the message; read() works. */
TEST_F(api, recv_blocking)
{
	char buf[256];
	struct view v;
	pid_t pid;
	int a, b, status;

	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	b = open_sock(&self->c, 0, self->c.group, 0);
	next_view(b, 2, &v);
	next_view(a, 2, &v);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		vsync_msleep(300);
		fill_msg(buf, 64, 1, 1);
		_exit(send(b, buf, 64, 0) == 64 ? 0 : 1);
	}
	EXPECT_EQ(64, recv(a, buf, sizeof(buf), 0))
		TH_LOG("blocking recv: %s", strerror(errno));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(64, read(b, buf, sizeof(buf)));
}

/* Too big: EMSGSIZE, whatever the flags. */
TEST_F(api, send_emsgsize)
{
	const size_t len = VSYNC_MSG_MAX + 1;
	struct vsync_member ma;
	struct view v;
	char *buf;
	int a;

	buf = calloc(1, 2 * len);
	ASSERT_NE(NULL, buf);
	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	ma = member_of(a);

	EXPECT_EQ(-1, send(a, buf, len, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, send(a, buf, len, MSG_DONTWAIT));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, send(a, buf, 2 * len, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	send_msg(a, buf, 10, 1, 1);
	expect_msg(a, buf, 100, ma, 10, 1, 1);
	free(buf);
}

/* shutdown(SHUT_WR): EPIPE on send; receiving goes on. */
TEST_F(api, shutdown_wr)
{
	struct vsync_member mb;
	char buf[256];
	struct view v;
	int a, b;

	signal(SIGPIPE, SIG_IGN);
	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	b = open_sock(&self->c, 0, self->c.group, 0);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	mb = member_of(b);

	ASSERT_EQ(0, shutdown(a, SHUT_WR));
	EXPECT_EQ(-1, send(a, buf, 10, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, send(a, buf, 10, MSG_DONTWAIT));
	EXPECT_EQ(EPIPE, errno);

	send_msg(b, buf, 50, 2, 1);
	expect_msg(a, buf, sizeof(buf), mb, 50, 2, 1);
	expect_msg(b, buf, sizeof(buf), mb, 50, 2, 1);
	/* Still a member: no view. */
	expect_quiet(b, "the other member");
}

/*
 * shutdown(SHUT_RD): what is queued can be read, then recv() returns 0
 * at once; the socket stays a member.
 */
TEST_F(api, shutdown_rd)
{
	struct vsync_member ma, mb;
	struct pollfd pfd;
	char buf[256];
	struct view v;
	int a, b;

	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	b = open_sock(&self->c, 0, self->c.group, 0);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);
	mb = member_of(b);

	send_msg(b, buf, 70, 2, 1);
	expect_msg(b, buf, sizeof(buf), mb, 70, 2, 1);
	pfd.fd = a;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));

	ASSERT_EQ(0, shutdown(a, SHUT_RD));
	expect_msg(a, buf, sizeof(buf), mb, 70, 2, 1);
	set_timeouts(a, 3000);
	EXPECT_EQ(0, recv(a, buf, sizeof(buf), 0))
		TH_LOG("recv after SHUT_RD on an empty queue: %s",
		       strerror(errno));
	/* poll says readable (POLLIN, POLLRDHUP): a read must not fail. */
	pfd.events = POLLIN | POLLRDHUP;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLRDHUP) TH_LOG("revents %#x", pfd.revents);
	EXPECT_EQ(0, recv(a, buf, sizeof(buf), MSG_DONTWAIT))
		TH_LOG("recv(MSG_DONTWAIT) after SHUT_RD, poll %#x: %s",
		       pfd.revents, strerror(errno));

	/* It can still send, and it is still in the group. */
	send_msg(a, buf, 71, 1, 2);
	expect_msg(b, buf, sizeof(buf), ma, 71, 1, 2);
	EXPECT_EQ(0, recv(a, buf, sizeof(buf), 0));
	expect_quiet(b, "the other member");
}

/* poll(), epoll and select() report readable and writable. */
TEST_F(api, poll_epoll_select)
{
	struct epoll_event ev, evs[4];
	struct timeval tv;
	struct pollfd pfd;
	char buf[256];
	struct view v;
	fd_set rfds, wfds;
	int a, ep, n;

	a = open_sock(&self->c, 0, self->c.group, 0);
	pfd.fd = a;
	pfd.events = POLLIN | POLLOUT;
	/* The view makes it readable. */
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	n = 0;
	while (!(pfd.revents & POLLIN) && n++ < 100) {
		vsync_msleep(50);
		ASSERT_EQ(1, poll(&pfd, 1, 0));
	}
	EXPECT_TRUE(pfd.revents & POLLIN);
	EXPECT_TRUE(pfd.revents & POLLOUT);
	EXPECT_EQ(0, pfd.revents & (POLLERR | POLLHUP | POLLNVAL));
	next_view(a, 1, &v);

	/* Drained: writable only. */
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents & (POLLIN | POLLOUT | POLLERR |
					  POLLHUP));

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.fd = a;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	ASSERT_EQ(1, epoll_wait(ep, evs, 4, 0));
	EXPECT_EQ(EPOLLOUT, evs[0].events & (EPOLLIN | EPOLLOUT | EPOLLERR));

	FD_ZERO(&rfds);
	FD_SET(a, &rfds);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	EXPECT_EQ(0, select(a + 1, &rfds, NULL, NULL, &tv));

	send_msg(a, buf, 10, 1, 1);
	ASSERT_EQ(1, epoll_wait(ep, evs, 4, WAIT_MS));
	EXPECT_TRUE(evs[0].events & EPOLLIN);
	EXPECT_EQ(a, evs[0].data.fd);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);

	FD_ZERO(&rfds);
	FD_ZERO(&wfds);
	FD_SET(a, &rfds);
	FD_SET(a, &wfds);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	EXPECT_EQ(2, select(a + 1, &rfds, &wfds, NULL, &tv));
	EXPECT_TRUE(FD_ISSET(a, &rfds));
	EXPECT_TRUE(FD_ISSET(a, &wfds));

	ASSERT_EQ(10, recv(a, buf, sizeof(buf), 0));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	close(ep);
}

/*
 * A member that does not read is evicted once its receive queue is full:
 * it gets what was queued, then ENOBUFS; the others get a view without it
 * and every message; the sender never blocks.
 */
TEST_F_TIMEOUT(api, slow_receiver_evicted, 60)
{
	enum { N = 400, LEN = 2000 };
	struct vsync_member ma, mv;
	struct pollfd pfd;
	int a, o, victim, i, rcvbuf = 65536;
	struct drain d;
	bool saw_leave[2] = { false, false };
	struct view lv[2];
	char buf[8192];
	struct item it;
	struct view v;
	int64_t t0;

	victim = open_sock(&self->c, 0, self->c.group, 0);
	ASSERT_EQ(0, setsockopt(victim, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	next_view(victim, 1, &v);
	a = open_sock(&self->c, 0, self->c.group, 32 << 20);
	next_view(a, 2, &v);
	o = open_sock(&self->c, 0, self->c.group, 32 << 20);
	next_view(o, 3, &v);
	next_view(a, 3, &v);
	mv = member_of(victim);
	ma = member_of(a);

	/* The victim reads nothing while a sends; a must never block. */
	t0 = now_ms();
	for (i = 0; i < N; i++)
		__send_msg(_metadata, a, buf, LEN, 1, i, MSG_NOSIGNAL);

	/* The others: every message, and the view without the victim. */
	for (i = 0; i < 2; i++) {
		int fd = i ? o : a;
		int seq = 0;

		while (seq < N || !saw_leave[i]) {
			get_item(fd, buf, sizeof(buf), 0, WAIT_MS, &it);
			ASSERT_LE(0, it.ret)
				TH_LOG("member %d after %d messages (leave seen: %d): %s",
				       i, seq, saw_leave[i], errname(it.err));
			if (it.flags & MSG_OOB) {
				__check_view(_metadata, &it, buf, &lv[i]);
				ASSERT_FALSE(saw_leave[i]);
				ASSERT_EQ(2, lv[i].v.vv_count);
				ASSERT_FALSE(view_has(&lv[i], mv));
				saw_leave[i] = true;
				continue;
			}
			ASSERT_EQ(LEN, it.ret);
			ASSERT_EQ(ma.vm_port, it.from.svs_port);
			{
				uint32_t s = 0, q = 0;

				ASSERT_TRUE(msg_ok(buf, it.ret, &s, &q));
				ASSERT_EQ((uint32_t)seq, q);
			}
			seq++;
		}
	}
	ASSERT_TRUE(view_same(&lv[0], &lv[1]));
	TH_LOG("the victim was evicted; %d messages delivered in %lld ms",
	       N, (long long)(now_ms() - t0));

	/* The victim: POLLERR, its queue (views, messages 0..k-1), ENOBUFS. */
	pfd.fd = victim;
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR)
		TH_LOG("poll after eviction: %#x", pfd.revents);
	EXPECT_TRUE(pfd.revents & POLLIN)
		TH_LOG("poll after eviction: %#x: nothing queued?",
		       pfd.revents);

	drain(victim, &d);
	TH_LOG("the victim read %d views and %d of %d messages; recv(MSG_DONTWAIT) gave: %s",
	       d.views, d.data, N, d.trace);
	EXPECT_EQ(0, d.items_after_err)
		TH_LOG("recv failed with %s while %d items were still queued",
		       strerror(d.err[0]), d.items_after_err);
	EXPECT_EQ(ENOBUFS, d.err[0]);
	EXPECT_EQ(ENOBUFS, d.err[1])
		TH_LOG("recv after ENOBUFS: %s, want ENOBUFS again",
		       strerror(d.err[1]));
	EXPECT_EQ(ENOBUFS, d.err[2]);
	EXPECT_FALSE(d.gap) TH_LOG("the victim's messages have a gap");
	EXPECT_EQ(2, d.views) TH_LOG("views queued before the eviction");
	EXPECT_LT(d.data, N);
	EXPECT_LT(0, d.data)
		TH_LOG("no message reached the victim's %d-byte queue",
		       2 * rcvbuf);

	/* It stays failed: a blocking recv does not block, send fails. */
	set_timeouts(victim, 2000);
	t0 = now_ms();
	EXPECT_EQ(-1, recv(victim, buf, sizeof(buf), 0));
	EXPECT_EQ(ENOBUFS, errno)
		TH_LOG("blocking recv after eviction: %s after %lld ms",
		       strerror(errno), (long long)(now_ms() - t0));
	EXPECT_EQ(-1, send(victim, buf, 10, MSG_DONTWAIT | MSG_NOSIGNAL));
	EXPECT_EQ(ENOBUFS, errno)
		TH_LOG("send after eviction: %s", strerror(errno));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR)
		TH_LOG("poll after reading ENOBUFS: %#x", pfd.revents);

	/* Nothing more arrives for it; the group goes on without it. */
	__send_msg(_metadata, a, buf, 100, 1, N, 0);
	__expect_msg(_metadata, o, buf, sizeof(buf), ma, 100, 1, N, NULL);
	get_item(victim, buf, sizeof(buf), MSG_DONTWAIT, -1, &it);
	EXPECT_EQ(-1, it.ret) TH_LOG("the victim received an item of %zd bytes after its eviction",
				     it.ret);
}

/*
 * The ring is deleted under bound sockets: POLLERR, send fails with
 * ENODEV, recv returns what was queued and then ENODEV.
 */
TEST_F(api, ring_deleted)
{
	char why[256], buf[256];
	struct vsync_member ma;
	struct pollfd pfd;
	int ifindex, a, b, c, ret;
	struct drain d;
	struct view v;
	int64_t t0;

	ifindex = netns_new_ring(NULL, 5, why, sizeof(why));
	ASSERT_LT(0, ifindex) TH_LOG("%s", why);

	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	b = open_sock(&self->c, 0, self->c.group, 0);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);
	send_msg(a, buf, 80, 1, 1);
	expect_msg(b, buf, sizeof(buf), ma, 80, 1, 1);
	pfd.fd = a;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));	/* a's own copy is queued */

	ret = ring_del(ifindex);
	ASSERT_EQ(0, ret) TH_LOG("VSYNC_CMD_RING_DEL: %s", strerror(-ret));

	/* a: POLLERR first, then its queue, then ENODEV. */
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	EXPECT_TRUE(pfd.revents & POLLERR)
		TH_LOG("poll after the ring was deleted: %#x", pfd.revents);
	drain(a, &d);
	TH_LOG("a: recv(MSG_DONTWAIT) after the deletion gave: %s", d.trace);
	EXPECT_EQ(0, d.items_after_err)
		TH_LOG("recv failed with %s while %d items were still queued",
		       strerror(d.err[0]), d.items_after_err);
	EXPECT_EQ(1, d.data) TH_LOG("the message queued before the deletion");
	EXPECT_EQ(ENODEV, d.err[0]);
	EXPECT_EQ(ENODEV, d.err[1])
		TH_LOG("recv after ENODEV: %s, want ENODEV again",
		       strerror(d.err[1]));
	set_timeouts(a, 2000);
	t0 = now_ms();
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(ENODEV, errno)
		TH_LOG("blocking recv: %s after %lld ms", strerror(errno),
		       (long long)(now_ms() - t0));
	EXPECT_EQ(-1, send(a, buf, 10, MSG_DONTWAIT));
	EXPECT_EQ(ENODEV, errno) TH_LOG("send: %s", strerror(errno));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR)
		TH_LOG("poll after reading ENODEV: %#x", pfd.revents);

	/* b, nothing queued: send first, then recv. */
	EXPECT_EQ(-1, send(b, buf, 10, MSG_DONTWAIT));
	EXPECT_EQ(ENODEV, errno) TH_LOG("send: %s", strerror(errno));
	EXPECT_EQ(-1, send(b, buf, 10, 0));
	EXPECT_EQ(ENODEV, errno) TH_LOG("second send: %s", strerror(errno));
	drain(b, &d);
	TH_LOG("b: recv(MSG_DONTWAIT) after two sends gave: %s", d.trace);
	EXPECT_EQ(0, d.data);
	EXPECT_EQ(ENODEV, d.err[0])
		TH_LOG("recv after the sends: %s", strerror(d.err[0]));
	pfd.fd = b;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR)
		TH_LOG("poll on b: %#x", pfd.revents);

	/* No ring: a new socket cannot bind; closing the old ones works. */
	c = open_sock(&self->c, 0, NULL, 0);
	EXPECT_EQ(-1, vbind(c, 0, self->c.group));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, vbind(c, ifindex, self->c.group));
	EXPECT_EQ(ENODEV, errno);
	ctx_close_fd(&self->c, a);
	ctx_close_fd(&self->c, b);
}

/* In a namespace without a ring, bind() fails with ENODEV. */
TEST_F(api, no_ring)
{
	int fd, ret;

	ret = netns_new(NULL);
	ASSERT_EQ(0, ret) TH_LOG("new namespace: %s", strerror(-ret));
	fd = open_sock(&self->c, 0, NULL, 0);
	EXPECT_EQ(-1, vbind(fd, 0, self->c.group));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, vbind(fd, if_nametoindex("veth0"), self->c.group));
	EXPECT_EQ(ENODEV, errno);
	/* The shared ring's device number, seen from here. */
	EXPECT_EQ(-1, vbind(fd, g_ifindex, self->c.group));
	EXPECT_EQ(ENODEV, errno);
}

/*
 * Two rings in a namespace: ifindex 0 is ambiguous (EADDRNOTAVAIL);
 * naming the device works; with one left, 0 works again.
 */
TEST_F_TIMEOUT(api, several_rings, 60)
{
	char why[256], g0[64], g1[64], extra[512];
	struct sockaddr_vsync sa;
	socklen_t len = sizeof(sa);
	struct ring_info ri;
	int ifa, ifb, fd, ret;
	struct view v;

	pair_cmds(extra, sizeof(extra), "vethb0", NULL, "vethb1", NULL, true);
	ifa = netns_new_ring(extra, 3, why, sizeof(why));
	ASSERT_LT(0, ifa) TH_LOG("%s", why);
	ifb = if_nametoindex("vethb0");
	ASSERT_LT(0, ifb);
	ret = ring_new(ifb, 4);
	ASSERT_EQ(0, ret) TH_LOG("second ring: %s", strerror(-ret));
	ASSERT_EQ(0, ring_wait_operational(ifb, 20000, &ri));

	snprintf(g0, sizeof(g0), "%s-a", self->c.group);
	snprintf(g1, sizeof(g1), "%s-b", self->c.group);
	fd = open_sock(&self->c, 0, NULL, 0);
	EXPECT_EQ(-1, vbind(fd, 0, g0));
	EXPECT_EQ(EADDRNOTAVAIL, errno) TH_LOG("%s", strerror(errno));

	ASSERT_EQ(0, vbind(fd, ifb, g1)) TH_LOG("%s", strerror(errno));
	next_view(fd, 1, &v);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ((uint32_t)ifb, sa.svs_ifindex);
	EXPECT_EQ(4, sa.svs_node);

	fd = open_sock(&self->c, ifa, g0, 0);
	next_view(fd, 1, &v);
	EXPECT_EQ(3, member_of(fd).vm_node);

	ret = ring_del(ifb);
	ASSERT_EQ(0, ret) TH_LOG("deleting the second ring: %s",
				 strerror(-ret));
	fd = open_sock(&self->c, 0, NULL, 0);
	ASSERT_EQ(0, vbind(fd, 0, g0))
		TH_LOG("bind with one ring left: %s", strerror(errno));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ((uint32_t)ifa, sa.svs_ifindex);
	next_view(fd, 2, &v);
	fd = open_sock(&self->c, 0, NULL, 0);
	EXPECT_EQ(-1, vbind(fd, ifb, g1));
	EXPECT_EQ(ENODEV, errno);
}

/*
 * Namespaces: a socket of namespace B cannot bind to A's ring; the same
 * group name in A and B are two groups that never meet.
 */
TEST_F_TIMEOUT(api, netns_isolation, 60)
{
	char why[256], buf[256], extra[512];
	struct vsync_member ma, mb;
	int sa, sb, probe, ifb;
	struct view v;

	/* In A, the shared namespace. */
	sa = open_sock(&self->c, 0, self->c.group, 0);
	next_view(sa, 1, &v);
	ma = member_of(sa);

	/*
	 * B: x0/x1 first so that A's veth0 number is not B's veth0 there:
	 * it names a device without a ring.
	 */
	pair_cmds(extra, sizeof(extra), "x0", NULL, "x1", NULL, false);
	ifb = netns_new_ring(extra, 2, why, sizeof(why));
	ASSERT_LT(0, ifb) TH_LOG("%s", why);
	ASSERT_NE(g_ifindex, ifb);

	probe = open_sock(&self->c, 0, NULL, 0);
	EXPECT_EQ(-1, vbind(probe, g_ifindex, self->c.group));
	EXPECT_EQ(ENODEV, errno) TH_LOG("bind in B to A's ring's ifindex: %s",
					strerror(errno));

	sb = open_sock(&self->c, 0, self->c.group, 0);
	next_view(sb, 1, &v);
	mb = member_of(sb);
	EXPECT_EQ(2, mb.vm_node);
	EXPECT_EQ(1, ma.vm_node);

	send_msg(sa, buf, 40, 1, 1);
	send_msg(sb, buf, 40, 2, 1);
	expect_msg(sa, buf, sizeof(buf), ma, 40, 1, 1);
	expect_msg(sb, buf, sizeof(buf), mb, 40, 2, 1);
	send_msg(sa, buf, 41, 1, 2);
	send_msg(sb, buf, 41, 2, 2);
	expect_msg(sa, buf, sizeof(buf), ma, 41, 1, 2);
	expect_msg(sb, buf, sizeof(buf), mb, 41, 2, 2);
	expect_quiet(sa, "the member in A");
	expect_quiet(sb, "the member in B");

	/* A's socket keeps working from here, on A's ring. */
	send_msg(sa, buf, 42, 1, 3);
	__expect_msg(_metadata, sa, buf, sizeof(buf), ma, 42, 1, 3,
		     self->c.group);
}

/*
 * Safe delivery waits for every node. On a private ring of two nodes, the
 * node of member b is cut off (its end of the veth pair goes down), then a
 * sends safe messages: b cannot hold them, so a must not deliver them in
 * a view that still has b; they come after a view without b.
 */
TEST_F_TIMEOUT(api, safe_needs_every_node, 90)
{
	enum { N = 6 };
	struct vsync_member ma, mb;
	int a, b, i, ret, safe = VSYNC_DELIVERY_SAFE, next = 1;
	bool b_gone = false;
	char buf[sizeof(struct view)], why[256], vs[256];
	struct item it;
	struct view v;
	struct pair p;

	ret = setup_pair(&p, 31, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	a = open_sock_in(&self->c, p.ns[0], self->c.group, 0);
	next_view(a, 1, &v);
	b = open_sock_in(&self->c, p.ns[1], self->c.group, 0);
	next_view(b, 2, &v);
	next_view(a, 2, &v);
	ma = member_of(a);
	mb = member_of(b);
	ASSERT_EQ(0, setsockopt(a, SOL_VSYNC, VSYNC_DELIVERY, &safe,
				sizeof(safe)));

	/* Both nodes there: a safe message reaches both. */
	send_msg(a, buf, 24, 1, 0);
	expect_msg(b, buf, sizeof(buf), ma, 24, 1, 0);
	expect_msg(a, buf, sizeof(buf), ma, 24, 1, 0);

	ret = in_ns(p.ns[1], if_down_cb, "p1");
	ASSERT_EQ(0, ret) TH_LOG("p1 down: %s", strerror(-ret));
	for (i = 1; i <= N; i++)
		send_msg(a, buf, 24, 1, i);

	while (next <= N) {
		get_item(a, buf, sizeof(buf), 0, 30000, &it);
		ASSERT_LE(0, it.ret) TH_LOG("message %d: %s", next,
					    errname(it.err));
		if (it.flags & MSG_OOB) {
			__check_view(_metadata, &it, buf, &v);
			if (!view_has(&v, mb))
				b_gone = true;
			continue;
		}
		view_str(&v, vs, sizeof(vs));
		ASSERT_TRUE(b_gone)
			TH_LOG("safe message %d was delivered in view %s, with member %u/%u whose node was cut off before it was sent; %s",
			       next, vs, mb.vm_node, mb.vm_port,
			       ns_ring_str(p.ns[0]));
		ASSERT_EQ(24, it.ret);
		ASSERT_EQ(ma.vm_port, it.from.svs_port);
		next++;
	}
}

/*
 * A private ring of two nodes (setup_pair_timers(), node ids ID and ID + 1)
 * whose representative, node 1 on p->ns[0], holds an idle token for
 * HOLD_MS; a member of the test's group on each node (FD, M); the ring
 * idle. Delivery that does not wait for the hold takes well under LIMIT_MS
 * even under emulation.
 */
enum {
	HOLD_TOKEN = 4000, HOLD_RETRANSMIT = 3200,
	HOLD_MS = HOLD_RETRANSMIT / 4, LIMIT_MS = 200,
};

static void __open_idle_pair(struct __test_metadata *_metadata,
			     struct ctx *c, struct pair *p, uint32_t id,
			     int fd[2], struct vsync_member m[2])
{
	char why[256];
	struct view v;
	int i, ret;

	ret = setup_pair_timers(p, id, HOLD_TOKEN, HOLD_RETRANSMIT, why,
				sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	fd[0] = open_sock_in(c, p->ns[0], c->group, 0);
	next_view(fd[0], 1, &v);
	fd[1] = open_sock_in(c, p->ns[1], c->group, 0);
	next_view(fd[1], 2, &v);
	next_view(fd[0], 2, &v);
	for (i = 0; i < 2; i++)
		m[i] = member_of(fd[i]);
	vsync_msleep(1000);	/* the ring goes idle */
}

#define open_idle_pair(p, id, fd, m) \
	__open_idle_pair(_metadata, &self->c, p, id, fd, m)

/*
 * An idle ring answers at once, from every node and for both kinds of
 * delivery. On a private ring of two nodes whose representative (p0)
 * holds the idle token for 800 ms (token retransmit / 4), a member on
 * each node sends, five times each, one agreed and one safe message, a
 * quarter second apart, and takes the time to its own delivery. Each must
 * come within 200 ms: the member on p1 wakes the representative instead
 * of waiting for the hold to end (WAKE), and a safe message is safe after
 * a few rotations, which the representative makes before it holds again.
 * Without either, most of these would wait up to 800 ms.
 */
TEST_F_TIMEOUT(api, idle_ring_answers_at_once, 90)
{
	enum { ROUNDS = 5 };
	int fd[2], i, k, round, d, seq = 0;
	int64_t t0, worst[2][2] = { { 0 } };
	char buf[sizeof(struct view)];
	struct vsync_member m[2];
	struct pair p;

	open_idle_pair(&p, 61, fd, m);

	for (round = 0; round < ROUNDS; round++) {
		for (i = 1; i >= 0; i--) {
			for (k = 0; k < 2; k++) {
				d = k ? VSYNC_DELIVERY_SAFE :
					VSYNC_DELIVERY_AGREED;
				ASSERT_EQ(0, setsockopt(fd[i], SOL_VSYNC,
							VSYNC_DELIVERY, &d,
							sizeof(d)));
				vsync_msleep(250);
				t0 = now_ms();
				send_msg(fd[i], buf, 32, i + 1, ++seq);
				expect_msg(fd[i], buf, sizeof(buf), m[i], 32,
					   i + 1, seq);
				t0 = now_ms() - t0;
				if (t0 > worst[i][k])
					worst[i][k] = t0;
				expect_msg(fd[!i], buf, sizeof(buf), m[i], 32,
					   i + 1, seq);
			}
		}
	}
	TH_LOG("slowest of %d, agreed/safe: from the representative's node %lld/%lld ms, from the other %lld/%lld ms",
	       ROUNDS, (long long)worst[0][0], (long long)worst[0][1],
	       (long long)worst[1][0], (long long)worst[1][1]);
	for (d = 0; d < 4; d++) {
		int64_t w = worst[d / 2][d % 2];

		EXPECT_GT(LIMIT_MS, w)
			TH_LOG("%s delivery of a message from %s took %lld ms; the hold is %d ms; %s",
			       d % 2 ? "safe" : "agreed",
			       d / 2 ? "the other node" : "the representative's node",
			       (long long)w, HOLD_MS,
			       ns_ring_str(p.ns[0]));
	}
}

/*
 * MSG_MORE: more messages follow, so the node does not ask for the token
 * (no WAKE, no visit of a token it holds) until a send without the flag;
 * at the latest the messages go with the next token that comes anyway.
 * On a pair whose representative holds an idle token for 800 ms, from
 * each node: a MSG_MORE message is not delivered within QUIET_MS (three
 * tries, since the hold may end just then); a send without the flag brings
 * it and itself at once, in order. Then a MSG_MORE message with nothing
 * after it: delivered when the hold ends, within HOLD_MS and a margin.
 */
TEST_F_TIMEOUT(api, send_more_waits_for_the_token, 90)
{
	enum { QUIET_MORE_MS = 60, TRIES = 3 };
	char buf[sizeof(struct view)];
	int fd[2], i, try, seq = 0;
	struct vsync_member m[2];
	struct item it;
	struct pair p;
	int64_t t0;

	open_idle_pair(&p, 71, fd, m);

	for (i = 1; i >= 0; i--) {
		bool waited = false;

		for (try = 0; try < TRIES && !waited; try++) {
			__send_msg(_metadata, fd[i], buf, 32, i + 1, ++seq,
				   MSG_MORE);
			get_item(fd[i], buf, sizeof(buf), 0, QUIET_MORE_MS,
				 &it);
			if (it.err != ETIMEDOUT) {
				/* The hold ended just then: try again. */
				ASSERT_EQ(32, it.ret)
					TH_LOG("an item of %zd bytes (%s) for a MSG_MORE message",
					       it.ret, errname(it.err));
				expect_msg(fd[!i], buf, sizeof(buf), m[i], 32,
					   i + 1, seq);
				vsync_msleep(100);
				continue;
			}
			waited = true;
			t0 = now_ms();
			send_msg(fd[i], buf, 33, i + 1, ++seq);
			expect_msg(fd[i], buf, sizeof(buf), m[i], 32, i + 1,
				   seq - 1);
			expect_msg(fd[i], buf, sizeof(buf), m[i], 33, i + 1,
				   seq);
			t0 = now_ms() - t0;
			EXPECT_GT(LIMIT_MS, t0)
				TH_LOG("node %d: a send after MSG_MORE took %lld ms to deliver",
				       i + 1, (long long)t0);
			expect_msg(fd[!i], buf, sizeof(buf), m[i], 32, i + 1,
				   seq - 1);
			expect_msg(fd[!i], buf, sizeof(buf), m[i], 33, i + 1,
				   seq);
		}
		EXPECT_TRUE(waited)
			TH_LOG("node %d: in %d tries each MSG_MORE message was delivered within %d ms: the node asked for the token",
			       i + 1, TRIES, QUIET_MORE_MS);

		vsync_msleep(250);
		t0 = now_ms();
		__send_msg(_metadata, fd[i], buf, 34, i + 1, ++seq, MSG_MORE);
		expect_msg(fd[i], buf, sizeof(buf), m[i], 34, i + 1, seq);
		t0 = now_ms() - t0;
		EXPECT_GT(HOLD_MS + 500, t0)
			TH_LOG("node %d: a lone MSG_MORE message took %lld ms; the hold is %d ms",
			       i + 1, (long long)t0, HOLD_MS);
		expect_msg(fd[!i], buf, sizeof(buf), m[i], 34, i + 1, seq);
	}
	expect_quiet(fd[0], "node 1");
	expect_quiet(fd[1], "node 2");
}

/*
 * sendmmsg() on the pair above, from the node that does not hold the
 * token: the batch is delivered at once (its last message asks for the
 * token), and so is the part of a batch sent before an entry that fails
 * (a bad control message): sendmmsg() stops there, and what it queued
 * must not wait for the hold to end.
 */
TEST_F_TIMEOUT(api, sendmmsg_on_a_pair, 90)
{
	enum { COUNT = 4 };
	struct vsync_member m[2];
	int fd[2], i, k, round;
	struct mmsg_batch b;
	char rbuf[256];
	struct pair p;
	int64_t t0;

	open_idle_pair(&p, 81, fd, m);
	for (round = 0; round < 2; round++) {
		int want = round ? COUNT - 1 : COUNT;

		mmsg_fill(&b, COUNT, 2, round * COUNT);
		/* Then the last entry asks for a delivery that is none. */
		if (round)
			mmsg_delivery(&b, COUNT - 1, 2);
		vsync_msleep(250);
		t0 = now_ms();
		ASSERT_EQ(want, sendmmsg(fd[1], b.mm, COUNT, 0))
			TH_LOG("round %d: sendmmsg: %s", round,
			       strerror(errno));
		for (i = 0; i < want; i++)
			expect_msg(fd[1], rbuf, sizeof(rbuf), m[1], 20 + i, 2,
				   round * COUNT + i + 1);
		t0 = now_ms() - t0;
		EXPECT_GT(LIMIT_MS, t0)
			TH_LOG("round %d: the batch took %lld ms to deliver; the hold is %d ms",
			       round, (long long)t0, HOLD_MS);
		for (k = 0; k < want; k++)
			expect_msg(fd[0], rbuf, sizeof(rbuf), m[1], 20 + k, 2,
				   round * COUNT + k + 1);
	}
	expect_quiet(fd[0], "node 1");
	expect_quiet(fd[1], "node 2");
}

/*
 * The representative does not hold a token that says a member has more
 * to send. On the pair above, the member on p1 sends one message of
 * LEN bytes, three visits' worth of frames (max-messages is 16); the
 * representative's node sends nothing. The message wakes the
 * representative; each visit of p1 but the last leaves a backlog in the
 * token. It must be delivered within HOLD_MS: a representative that held
 * the token after each of p1's visits (its own queue empty, all received)
 * would take two holds, since p1, with a backlog, sends no WAKE.
 */
TEST_F_TIMEOUT(api, backlog_keeps_the_token_moving, 90)
{
	enum { LEN = 60000 };
	struct vsync_member m[2];
	int fd[2], round;
	struct pair p;
	int64_t t0;
	char *buf;

	buf = malloc(LEN + sizeof(struct view));
	ASSERT_NE(NULL, buf);
	open_idle_pair(&p, 91, fd, m);
	for (round = 1; round <= 2; round++) {
		vsync_msleep(250);
		t0 = now_ms();
		send_msg(fd[1], buf, LEN, 2, round);
		expect_msg(fd[1], buf, LEN + sizeof(struct view), m[1], LEN,
			   2, round);
		t0 = now_ms() - t0;
		EXPECT_GT(HOLD_MS, t0)
			TH_LOG("round %d: a message of %d bytes from the other node took %lld ms; the hold is %d ms; %s",
			       round, LEN, (long long)t0, HOLD_MS,
			       ns_ring_str(p.ns[0]));
		expect_msg(fd[0], buf, LEN + sizeof(struct view), m[1], LEN,
			   2, round);
	}
	expect_quiet(fd[0], "node 1");
	expect_quiet(fd[1], "node 2");
	free(buf);
}

/*
 * A member whose own queue was empty when it passed the token wakes the
 * representative, even if the token said that another member had frames
 * left: by the time the token gets there, they may be gone. On a private
 * ring of three nodes (ids 101, 102, 103; the representative, 101, holds
 * an idle token for HOLD_MS), the member on 103 sends a message of LEN
 * bytes, three visits' worth of frames, so that 102 passes the token
 * twice with 103's backlog in it; after 103's last visit the ring is
 * idle and the representative holds the token. As soon as the message
 * reaches the representative's node, the member on 102 sends a small
 * one: it must be delivered within LIMIT_MS, not at the end of the hold.
 */
TEST_F_TIMEOUT(api, wake_after_others_backlog, 90)
{
	enum { LEN = 60000, ROUNDS = 2 };
	struct vsync_member m[3];
	int fd[3], i, round;
	struct trio p;
	char why[256];
	struct view v;
	int64_t t0;
	char *buf;
	int ret;

	buf = malloc(LEN + sizeof(struct view));
	ASSERT_NE(NULL, buf);
	ret = setup_trio_timers(&p, 101, HOLD_TOKEN, HOLD_RETRANSMIT, why,
				sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	for (i = 0; i < 3; i++)
		fd[i] = open_sock_in(&self->c, p.ns[i], self->c.group, 0);
	for (i = 0; i < 3; i++) {
		do
			next_view(fd[i], -1, &v);
		while (v.v.vv_count < 3);
		m[i] = member_of(fd[i]);
	}
	vsync_msleep(1000);	/* the ring goes idle */

	for (round = 1; round <= ROUNDS; round++) {
		vsync_msleep(250);
		send_msg(fd[2], buf, LEN, 3, round);
		expect_msg(fd[0], buf, LEN + sizeof(struct view), m[2], LEN,
			   3, round);
		t0 = now_ms();
		send_msg(fd[1], buf, 32, 2, round);
		expect_msg(fd[1], buf, LEN + sizeof(struct view), m[2], LEN,
			   3, round);
		expect_msg(fd[1], buf, LEN + sizeof(struct view), m[1], 32,
			   2, round);
		t0 = now_ms() - t0;
		EXPECT_GT(LIMIT_MS, t0)
			TH_LOG("round %d: a message from node 102 took %lld ms after 103's backlog was gone; the hold is %d ms; %s",
			       round, (long long)t0, HOLD_MS,
			       ns_ring_str(p.ns[0]));
		expect_msg(fd[0], buf, LEN + sizeof(struct view), m[1], 32,
			   2, round);
		for (i = 0; i < 2; i++)
			expect_msg(fd[2], buf, LEN + sizeof(struct view),
				   i ? m[1] : m[2], i ? 32 : LEN, 3 - i,
				   round);
	}
	for (i = 0; i < 3; i++)
		expect_quiet(fd[i], "a node");
	free(buf);
}

/*
 * The other node gets its turn under load. On a private ring of two
 * nodes, a member on the representative's node sends without pause for
 * three seconds; after half a second, a member on the other node sends
 * one message. It must be ordered while the flood goes on, within a
 * second, and the group sees no view meanwhile. (Token losses, which a
 * busy VM can cause, are only reported.)
 */
TEST_F_TIMEOUT(api, other_node_sends_under_load, 90)
{
	enum { FLOOD_MS = 3000, AT_MS = 500, LEN = 200 };
	int f, r, s, off = 0, ret, i, status;
	uint32_t flood_after = 0, flood_total = 0;
	int64_t t0, t_sent = 0, t_got = 0;
	struct vsync_member mf, ms;
	struct ring_info ri[2][2];
	char buf[sizeof(struct view) + LEN], why[256];
	bool got = false, flood_done = false;
	struct pair p;
	struct view v;
	pid_t pid;

	ret = setup_pair(&p, 51, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	f = open_sock_in(&self->c, p.ns[0], self->c.group, 0);
	next_view(f, 1, &v);
	ASSERT_EQ(0, setsockopt(f, SOL_VSYNC, VSYNC_SELF_DELIVERY, &off,
				sizeof(off)));
	r = open_sock_in(&self->c, p.ns[0], self->c.group, 64 << 20);
	next_view(r, 2, &v);
	s = open_sock_in(&self->c, p.ns[1], self->c.group, 64 << 20);
	next_view(s, 3, &v);
	next_view(r, 3, &v);
	mf = member_of(f);
	ms = member_of(s);
	ASSERT_EQ(51, mf.vm_node);
	for (i = 0; i < 2; i++) {
		struct pair_arg pa = { .ifindex = p.ifindex[i] };

		ASSERT_EQ(0, in_ns(p.ns[i], pair_ring_get, &pa));
		ri[0][i] = pa.ri;
	}

	t0 = now_ms();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint32_t n = 0;

		while (now_ms() - t0 < FLOOD_MS) {
			fill_msg(buf, LEN, 1, n);
			if (send(f, buf, LEN, 0) != LEN)
				_exit(1);
			n++;
		}
		_exit(0);
	}

	/* Read r (and s, so that it keeps up) until the flood is over. */
	while (!flood_done || !got) {
		struct pollfd pfd[2] = { { r, POLLIN, 0 }, { s, POLLIN, 0 } };
		struct item it;

		if (!t_sent && now_ms() - t0 >= AT_MS) {
			send_msg(s, buf, 40, 2, 0);
			t_sent = now_ms();
		}
		ASSERT_LT(now_ms() - t0, FLOOD_MS + 20000)
			TH_LOG("still waiting after %lld ms (got the message: %d, flood messages: %u); %s",
			       (long long)(now_ms() - t0), got, flood_total,
			       ns_ring_str(p.ns[1]));
		if (poll(pfd, 2, 50) <= 0)
			goto check_flood;
		if (pfd[1].revents)
			while (get_item(s, buf, sizeof(buf), MSG_DONTWAIT, -1,
					&it) >= 0)
				ASSERT_EQ(0, it.flags & MSG_OOB)
					TH_LOG("a view on the other node during the flood");
		while (pfd[0].revents &&
		       get_item(r, buf, sizeof(buf), MSG_DONTWAIT, -1, &it) >= 0) {
			ASSERT_EQ(0, it.flags & MSG_OOB)
				TH_LOG("a view during the flood, after %lld ms; %s",
				       (long long)(now_ms() - t0),
				       ns_ring_str(p.ns[1]));
			if (it.from.svs_node == ms.vm_node) {
				got = true;
				t_got = now_ms();
			} else if (got) {
				flood_after++;
			}
			flood_total++;
		}
check_flood:
		if (!flood_done && waitpid(pid, &status, WNOHANG) == pid) {
			ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
				TH_LOG("the flood's sends failed");
			flood_done = true;
		}
	}
	TH_LOG("the other node's message came %lld ms after it was sent, with %u of %u flood messages after it",
	       (long long)(t_got - t_sent), flood_after, flood_total);
	EXPECT_LT(t_got - t_sent, 1000)
		TH_LOG("a node waited %lld ms for the token",
		       (long long)(t_got - t_sent));
	EXPECT_LT(0, flood_after)
		TH_LOG("the other node could send only once the flood was over");
	for (i = 0; i < 2; i++) {
		struct pair_arg pa = { .ifindex = p.ifindex[i] };

		ASSERT_EQ(0, in_ns(p.ns[i], pair_ring_get, &pa));
		ri[1][i] = pa.ri;
		if (ri[0][i].stats[VSYNC_A_STATS_TOKEN_LOSSES] !=
		    ri[1][i].stats[VSYNC_A_STATS_TOKEN_LOSSES])
			TH_LOG("note: node %d lost the token %" PRIu64
			       " times during the flood", 51 + i,
			       ri[1][i].stats[VSYNC_A_STATS_TOKEN_LOSSES] -
			       ri[0][i].stats[VSYNC_A_STATS_TOKEN_LOSSES]);
		EXPECT_EQ(2, ri[1][i].members);
	}
}

/*
 * Messages queued while the ring re-forms are not lost. On a private
 * ring of two nodes, the representative's node is cut off; the other
 * node's member sends: its messages wait while the ring re-forms without
 * the lost node, and then they are delivered, all and in order.
 */
TEST_F_TIMEOUT(api, queue_survives_reform, 90)
{
	enum { N = 20, LEN = 500 };
	struct vsync_member ms, mo;
	int s, r, o, i, k, ret;
	char buf[sizeof(struct view) + LEN], why[256];
	bool o_gone[2] = { false, false };
	struct view v;
	struct pair p;

	ret = setup_pair(&p, 41, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	s = open_sock_in(&self->c, p.ns[1], self->c.group, 1 << 20);
	next_view(s, 1, &v);
	r = open_sock_in(&self->c, p.ns[1], self->c.group, 1 << 20);
	next_view(r, 2, &v);
	next_view(s, 2, &v);
	o = open_sock_in(&self->c, p.ns[0], self->c.group, 1 << 20);
	next_view(o, 3, &v);
	next_view(s, 3, &v);
	next_view(r, 3, &v);
	ms = member_of(s);
	mo = member_of(o);
	ASSERT_EQ(42, ms.vm_node);

	ret = in_ns(p.ns[0], if_down_cb, "p0");
	ASSERT_EQ(0, ret) TH_LOG("p0 down: %s", strerror(-ret));
	for (i = 0; i < N; i++)
		send_msg(s, buf, LEN, 1, i);

	for (k = 0; k < 2; k++) {
		int fd = k ? r : s;

		i = 0;
		while (i < N) {
			struct item it;
			uint32_t sd = 0, q = 0;

			get_item(fd, buf, sizeof(buf), 0, 30000, &it);
			ASSERT_LE(0, it.ret)
				TH_LOG("%s: message %d of %d: %s; in P2: %s",
				       k ? "receiver" : "sender", i, N,
				       errname(it.err), ns_ring_str(p.ns[1]));
			if (it.flags & MSG_OOB) {
				__check_view(_metadata, &it, buf, &v);
				if (!view_has(&v, mo))
					o_gone[k] = true;
				continue;
			}
			ASSERT_EQ(LEN, it.ret);
			ASSERT_TRUE(msg_ok(buf, it.ret, &sd, &q));
			ASSERT_EQ((uint32_t)i, q);
			i++;
		}
	}
	/* The lost node's member is gone by now, or goes soon. */
	for (k = 0; k < 2; k++) {
		while (!o_gone[k]) {
			struct item it;

			get_item(k ? r : s, buf, sizeof(buf), 0, 30000, &it);
			ASSERT_LE(0, it.ret) TH_LOG("no view without the lost node's member: %s",
						    errname(it.err));
			ASSERT_TRUE(it.flags & MSG_OOB);
			__check_view(_metadata, &it, buf, &v);
			o_gone[k] = !view_has(&v, mo);
		}
	}
}

static int if_up_cb(void *name)
{
	return if_set(name, true);
}

/*
 * Wait up to TIMEOUT_MS on FD for a regular view of COUNT members,
 * skipping messages and other views. Return: 0 or -1 on timeout.
 */
static int __wait_view_of(struct __test_metadata *_metadata, int fd,
			  unsigned int count, int timeout_ms, struct view *v)
{
	static char buf[sizeof(struct view)];
	struct item it;

	for (;;) {
		get_item(fd, buf, sizeof(buf), 0, timeout_ms, &it);
		if (it.ret < 0)
			return -1;
		if (!(it.flags & MSG_OOB))
			continue;
		__check_view(_metadata, &it, buf, v);
		if (v->v.vv_kind == VSYNC_KIND_VIEW_REGULAR &&
		    v->v.vv_count == count)
			return 0;
	}
}

/*
 * A node with many members of a group rejoins its peer after a
 * partition: its SYNC (40 records, 2.9 KB) spans three frames and the
 * peer puts it together from pieces, nothing of it in a linear buffer
 * (the SYNC's operation was taken off with skb_pull(), a BUG() on such
 * a message). Both nodes then see the group whole again.
 */
TEST_F_TIMEOUT(api, big_sync_after_merge, 120)
{
	enum { M = 40 };
	int fd[M], o, i, ret;
	char why[256];
	struct view v;
	struct pair p;

	ret = setup_pair(&p, 43, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	o = open_sock_in(&self->c, p.ns[0], self->c.group, 1 << 20);
	next_view(o, 1, &v);
	for (i = 0; i < M; i++)
		fd[i] = open_sock_in(&self->c, p.ns[1], self->c.group, 1 << 20);
	ASSERT_EQ(0, __wait_view_of(_metadata, o, M + 1, WAIT_MS, &v))
		TH_LOG("no view of %d members", M + 1);

	ret = in_ns(p.ns[0], if_down_cb, "p0");
	ASSERT_EQ(0, ret) TH_LOG("p0 down: %s", strerror(-ret));
	ASSERT_EQ(0, __wait_view_of(_metadata, o, 1, 30000, &v))
		TH_LOG("the lone member saw no view of itself alone");
	ret = in_ns(p.ns[0], if_up_cb, "p0");
	ASSERT_EQ(0, ret) TH_LOG("p0 up: %s", strerror(-ret));
	ASSERT_EQ(0, __wait_view_of(_metadata, o, M + 1, 30000, &v))
		TH_LOG("no view of %d members after the merge: in P1: %s",
		       M + 1, ns_ring_str(p.ns[0]));
	/* Its first view of M + 1 came before the partition. */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, __wait_view_of(_metadata, fd[0], M + 1, 30000,
					    &v))
			TH_LOG("the other side saw no view of %d members (%d)",
			       M + 1, i);
	for (i = 0; i < M; i++)
		close(fd[i]);
	close(o);
}

/* ------------------------------------------------------------------ */
/* Last: the module reference                                           */
/* ------------------------------------------------------------------ */

FIXTURE(module)
{
	struct ctx c;
};

FIXTURE_SETUP(module)
{
	ctx_init(&self->c);
	global_ok();
}

FIXTURE_TEARDOWN(module)
{
	ctx_close(&self->c);
}

/* Bound sockets keep the module in: delete_module() is refused. */
TEST_F(module, unload_refused)
{
	struct vsync_member ma;
	char buf[64];
	struct view v;
	int a, ret;

	a = open_sock(&self->c, 0, self->c.group, 0);
	next_view(a, 1, &v);
	ma = member_of(a);

	ret = vsync_unload();
	ASSERT_NE(0, ret) TH_LOG("vsync.ko unloaded under a bound socket");
	EXPECT_EQ(-EWOULDBLOCK, ret) TH_LOG("delete_module: %s",
					    strerror(-ret));
	ASSERT_TRUE(vsync_loaded());
	EXPECT_LT(0, vsync_refcnt());

	send_msg(a, buf, 12, 1, 1);
	expect_msg(a, buf, sizeof(buf), ma, 12, 1, 1);
}

TEST_HARNESS_MAIN
