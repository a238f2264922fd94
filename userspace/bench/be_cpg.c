// SPDX-License-Identifier: GPL-2.0
/*
 * cpg-bench: the benchmark agent on Corosync's CPG API (libcpg), talking to
 * the corosync daemon of its network namespace. Messages are sent with
 * cpg_mcast_joined(CPG_TYPE_AGREED); CPG_TYPE_SAFE is accepted by libcpg
 * but not implemented by Corosync (cpg_mcast_joined(3)): it delivers as
 * agreed.
 *
 * It also starts the daemons: "cpg-bench -N NETNS --exec-corosync CONF"
 * enters the namespace, unshares its mount namespace, mounts private
 * tmpfs on /run, /var/lib/corosync and /var/log/corosync (corosync locks
 * /run/corosync.pid and keeps state in /var/lib/corosync) and executes
 * "corosync -f -c CONF". libqb's IPC uses abstract Unix sockets, which
 * belong to the network namespace, so each namespace has its own daemon
 * and the agents find theirs.
 * corosync mlockall()s about 200 MB each in the guest: 32 daemons need a
 * guest of 8 GiB (scripts/bench sizes it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <corosync/cpg.h>

#include "bench.h"

static cpg_handle_t handle;
static int fd = -1;
static struct cpg_name gname;
static bool joined_ok;

#define RECV_BURST 256

static void deliver(cpg_handle_t h, const struct cpg_name *group,
		    uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	(void)h; (void)group; (void)nodeid; (void)pid;
	agent_deliver(msg, len);
}

static void confchg(cpg_handle_t h, const struct cpg_name *group,
		    const struct cpg_address *members, size_t n_members,
		    const struct cpg_address *left, size_t n_left,
		    const struct cpg_address *joined, size_t n_joined)
{
	(void)h; (void)group; (void)members; (void)left; (void)n_left;
	(void)joined; (void)n_joined;
	joined_ok = true;
	agent_view(n_members, true);
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int cpg_setup(const struct agent_opts *o)
{
	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = deliver,
		.cpg_confchg_fn = confchg,
	};
	uint64_t end = now_ns() + (uint64_t)o->timeout_ms * 1000000ull;
	cs_error_t err;

	/*
	 * The daemon may still be starting, or synchronizing a membership
	 * (then the library answers CS_ERR_LIBRARY or CS_ERR_TRY_AGAIN):
	 * retry from the start until the timeout.
	 */
	gname.length = snprintf(gname.value, sizeof(gname.value), "%s",
				o->group);
	for (;;) {
		err = cpg_model_initialize(&handle, CPG_MODEL_V1,
					   (cpg_model_data_t *)&model, NULL);
		if (err == CS_OK) {
			err = cpg_join(handle, &gname);
			if (err == CS_OK)
				break;
			cpg_finalize(handle);
		}
		if (now_ns() > end)
			die("cpg_model_initialize/cpg_join: error %d (is corosync running?)",
			    err);
		msleep(200);
	}
	if (cpg_fd_get(handle, &fd) != CS_OK)
		die("cpg_fd_get failed");
	return 0;
}

static int cpg_fd(void)
{
	return fd;
}

static int cpg_send(const void *buf, size_t len, bool safe, bool more)
{
	struct iovec iov = { (void *)buf, len };
	cs_error_t err;

	(void)more;	/* CPG has no such hint; its IPC is asynchronous */
	err = cpg_mcast_joined(handle, safe ? CPG_TYPE_SAFE : CPG_TYPE_AGREED,
			       &iov, 1);
	if (err == CS_OK)
		return 0;
	if (err == CS_ERR_TRY_AGAIN)
		return 1;
	fprintf(stderr, "cpg_mcast_joined: error %d\n", err);
	return -EIO;
}

static int cpg_recv(void)
{
	for (int k = 0; k < RECV_BURST; k++) {
		cs_error_t err = cpg_dispatch(handle, CS_DISPATCH_ONE_NONBLOCKING);

		if (err == CS_ERR_TRY_AGAIN)
			return 0;
		if (err != CS_OK) {
			fprintf(stderr, "cpg_dispatch: error %d\n", err);
			return -EIO;
		}
	}
	return 0;
}

static void mount_tmpfs(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0 && mkdir(dir, 0755) < 0)
		die("mkdir %s: %s", dir, strerror(errno));
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die("mount tmpfs on %s: %s", dir, strerror(errno));
}

/* cpg-bench -N NETNS --exec-corosync CONF: start a private corosync. */
static int cpg_option(int argc, char **argv, int *i)
{
	static const char *netns;
	const char *conf;

	if (!strcmp(argv[*i], "-N") && *i + 1 < argc) {
		/* Remember it for --exec-corosync; the core enters it too. */
		netns = argv[*i + 1];
		return 0;
	}
	if (strcmp(argv[*i], "--exec-corosync") || *i + 1 >= argc)
		return 0;
	conf = argv[*i + 1];
	if (netns)
		enter_netns(netns);
	if (unshare(CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private: %s", strerror(errno));
	mount_tmpfs("/run");
	mount_tmpfs("/var/lib/corosync");
	mount_tmpfs("/var/log/corosync");
	execlp("corosync", "corosync", "-f", "-c", conf, (char *)NULL);
	die("exec corosync: %s", strerror(errno));
}

const struct bench_backend backend = {
	.name = "cpg-bench",
	.self_delivery = true,
	.has_views = true,
	.pollout = false,
	.setup = cpg_setup,
	.fd = cpg_fd,
	.send = cpg_send,
	.recv = cpg_recv,
	.option = cpg_option,
};

int main(int argc, char **argv)
{
	return agent_main(argc, argv);
}
