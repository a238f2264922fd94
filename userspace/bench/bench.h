/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Benchmark agents: the common core (agent.c) and its three backends
 * (be_vsync.c, be_cpg.c, be_raw.c). See Documentation/performance.rst.
 *
 * An agent runs in one network namespace (one node), joins the group of its
 * system (an AF_VSYNC group, a Corosync CPG group, or nothing for the raw
 * link) and obeys a coordinator (benchctl.py) over a Unix stream socket.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAGIC	0x76734231u	/* "vsB1" */
#define BENCH_MSG_MAX	(64u << 10)

/* Kinds of benchmark messages. */
enum bench_kind {
	BK_DATA = 1,	/* throughput or load traffic */
	BK_PROBE = 2,	/* latency probe */
	BK_END = 3,	/* a sender's last message of a point */
};

/*
 * Every message (every frame for the raw link) starts with this header, in
 * host byte order: all nodes are namespaces of one machine.
 */
struct bench_hdr {
	uint32_t magic;
	uint16_t kind;
	uint16_t node;		/* sender's node number (1..N) */
	uint32_t point;		/* the coordinator's point id */
	uint32_t len;		/* length of the whole message */
	uint64_t seq;		/* per sender and point */
	uint64_t t_send;	/* CLOCK_MONOTONIC ns when sent */
	uint32_t frag;		/* raw link: frame number within the message */
	uint32_t pad;
};

struct agent_opts {
	const char *netns;
	const char *dev;
	const char *group;
	unsigned int node;
	int rcvbuf;
	int sndbuf;
	unsigned int timeout_ms;	/* setup: wait for the system */
};

struct bench_backend {
	const char *name;
	/* The sender receives its own messages (vsync, CPG: yes). */
	bool self_delivery;
	/* There are views: "members" waits for them (raw link: no). */
	bool has_views;
	/* poll() POLLOUT tells when a refused send may succeed. */
	bool pollout;
	int (*setup)(const struct agent_opts *o);
	int (*fd)(void);
	/*
	 * 0: sent; 1: refused for now (flow control), retry; < 0: -errno.
	 * @more: the caller sends another message right after this one.
	 */
	int (*send)(const void *buf, size_t len, bool safe, bool more);
	/* Deliver everything pending without blocking; 0 or -errno. */
	int (*recv)(void);
	/* Optional: frames dropped since the last call (raw link). */
	uint64_t (*drops)(void);
	/* Optional: handle extra command line options; return 1 if used. */
	int (*option)(int argc, char **argv, int *i);
};

extern const struct bench_backend backend;

/* Called by the backends. */
void agent_deliver(const void *buf, size_t len);
void agent_view(unsigned int members, bool regular);

uint64_t now_ns(void);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void enter_netns(const char *name);
int agent_main(int argc, char **argv);

#endif
