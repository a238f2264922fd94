// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading vsync.ko while sockets are open is safe: every open socket
 * holds a reference on the module, so delete_module() fails (EWOULDBLOCK),
 * the sockets keep working, and the module unloads once the last one is
 * gone, with nothing in the kernel log.
 *
 * delete_module() is called directly: rmmod looks at the reference count
 * itself and would not ask the kernel. One test runs rmmod too, for its
 * message. Each test leaves the module loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vsync_test.h"

/* How long a closed socket may take to give its module reference back. */
#define RELEASE_MS	2000

/*
 * What delete_module(O_NONBLOCK) says about a module in use: EWOULDBLOCK
 * (EAGAIN). The EBUSY and "Module vsync is in use" users see come from
 * rmmod, which reads the reference count and does not ask the kernel.
 */
#define IN_USE		(-EWOULDBLOCK)

FIXTURE(busy)
{
	int kmsg;
	int family;
	long refcnt;	/* before the test opened anything */
	int fd;
};

FIXTURE_SETUP(busy)
{
	self->fd = -1;
	self->kmsg = kmsg_watch_start();
	self->family = vsync_require();
	self->refcnt = vsync_refcnt();
	ASSERT_LE(0, self->refcnt) TH_LOG("cannot read " VSYNC_SYSFS_REFCNT);
}

FIXTURE_TEARDOWN(busy)
{
	char line[512];
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	/*
	 * No EXPECT_*() TH_LOG() here: after a failed ASSERT_*() the 6.1
	 * harness would print the message even when the check passes.
	 */
	ret = vsync_load(NULL);
	if (ret) {
		TH_LOG("reloading vsync.ko: %s", strerror(-ret));
		_metadata->passed = 0;
	}
	if (kmsg_watch_splat(self->kmsg, line, sizeof(line))) {
		TH_LOG("kernel: %s", line);
		_metadata->passed = 0;
	}
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/* The socket still works: an option round trip goes through the module. */
static int sock_works(int fd)
{
	socklen_t len = sizeof(int);
	int val = VSYNC_DELIVERY_SAFE;

	if (setsockopt(fd, SOL_VSYNC, VSYNC_DELIVERY, &val, sizeof(val)))
		return -errno;
	val = -1;
	if (getsockopt(fd, SOL_VSYNC, VSYNC_DELIVERY, &val, &len))
		return -errno;
	return val == VSYNC_DELIVERY_SAFE ? 0 : -EIO;
}

/* After the module went away, its family is gone too. */
static int family_gone(int family)
{
	int fd = socket(family, SOCK_SEQPACKET, 0);

	if (fd >= 0) {
		close(fd);
		/* Auto-loaded through the net-pf-N alias: also fine. */
		return vsync_loaded() ? 0 : -EEXIST;
	}
	return errno == EAFNOSUPPORT ? 0 : -errno;
}

TEST_F(busy, refcnt_follows_sockets)
{
	long cnt;

	self->fd = socket(self->family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, self->fd) TH_LOG("socket: %s", strerror(errno));
	cnt = vsync_refcnt();
	ASSERT_LT(self->refcnt, cnt)
		TH_LOG("an open socket does not hold a module reference");

	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	cnt = vsync_wait_refcnt(self->refcnt, RELEASE_MS);
	ASSERT_EQ(self->refcnt, cnt)
		TH_LOG("the reference outlives the socket");
}

TEST_F(busy, unload_refused_while_open)
{
	int ret, fd2;

	self->fd = socket(self->family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, self->fd) TH_LOG("socket: %s", strerror(errno));

	ret = vsync_unload();
	ASSERT_EQ(IN_USE, ret)
		TH_LOG("delete_module with a socket open: %s",
		       ret ? strerror(-ret) : "unloaded");
	ASSERT_TRUE(vsync_loaded());

	/* Everything still works: the socket, new sockets. */
	ASSERT_EQ(0, sock_works(self->fd));
	fd2 = socket(self->family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, fd2) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(IN_USE, vsync_unload());

	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(self->refcnt, vsync_wait_refcnt(self->refcnt, RELEASE_MS));
	ret = vsync_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	ASSERT_FALSE(vsync_loaded());
	ret = family_gone(self->family);
	EXPECT_EQ(0, ret) TH_LOG("socket() after unload: %s",
				 ret == -EEXIST ? "works" : strerror(-ret));
}

TEST_F(busy, rmmod_refused_while_open)
{
	char out[512] = "";
	size_t len;
	FILE *p;
	int status;

	self->fd = socket(self->family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, self->fd) TH_LOG("socket: %s", strerror(errno));

	p = popen("rmmod vsync 2>&1", "r");
	ASSERT_NE(NULL, p);
	len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = '\0';
	status = pclose(p);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_NE(0, WEXITSTATUS(status)) TH_LOG("rmmod succeeded");
	EXPECT_NE(NULL, strstr(out, "in use")) TH_LOG("rmmod said: %s", out);
	ASSERT_TRUE(vsync_loaded());
	ASSERT_EQ(0, sock_works(self->fd));
}

TEST_F(busy, many_sockets)
{
	enum { N = 64 };
	int fds[N], i, ret;

	for (i = 0; i < N; i++) {
		fds[i] = socket(self->family, SOCK_SEQPACKET, 0);
		ASSERT_LE(0, fds[i]) TH_LOG("socket %d: %s", i, strerror(errno));
	}
	ASSERT_EQ(IN_USE, vsync_unload());

	/* One socket is enough to keep the module. */
	for (i = 0; i < N - 1; i++)
		ASSERT_EQ(0, close(fds[i]));
	ASSERT_EQ(IN_USE, vsync_unload());
	ASSERT_EQ(0, sock_works(fds[N - 1]));

	ASSERT_EQ(0, close(fds[N - 1]));
	ASSERT_EQ(self->refcnt, vsync_wait_refcnt(self->refcnt, RELEASE_MS));
	ret = vsync_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	ASSERT_FALSE(vsync_loaded());
}

/* The owner of the last socket dies instead of closing it. */
TEST_F(busy, owner_killed)
{
	int pipefd[2], status, ret;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = socket(self->family, SOCK_SEQPACKET, 0);

		c = fd >= 0 ? 'y' : 'n';
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	if (c != 'y')
		kill(pid, SIGKILL);
	ASSERT_EQ('y', c) TH_LOG("socket in the child failed");

	ret = vsync_unload();
	if (ret != IN_USE)
		kill(pid, SIGKILL);
	ASSERT_EQ(IN_USE, ret);

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(self->refcnt, vsync_wait_refcnt(self->refcnt, RELEASE_MS));
	ret = vsync_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	ASSERT_FALSE(vsync_loaded());
}

TEST_HARNESS_MAIN
