/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vsync C tests: loading and unloading the module
 * without running insmod/rmmod, the socket family number, and a watch on
 * the kernel log. Include after kselftest_harness.h.
 */
#ifndef _VSYNC_TEST_H
#define _VSYNC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/vsync.h>

#define VSYNC_SYSFS		"/sys/module/vsync"
#define VSYNC_SYSFS_FAMILY	VSYNC_SYSFS "/parameters/family"
#define VSYNC_SYSFS_REFCNT	VSYNC_SYSFS "/refcnt"

static inline bool vsync_loaded(void)
{
	return access(VSYNC_SYSFS, F_OK) == 0;
}

/* Read one decimal number from a sysfs file; -1 if that fails. */
static inline long vsync_read_long(const char *path)
{
	char buf[32], *end;
	ssize_t len;
	long val;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	errno = 0;
	val = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -1;
	return val;
}

/* The family number the loaded module registered; -1 if not loaded. */
static inline int vsync_family(void)
{
	return (int)vsync_read_long(VSYNC_SYSFS_FAMILY);
}

/* The module's reference count; -1 if not loaded. */
static inline long vsync_refcnt(void)
{
	return vsync_read_long(VSYNC_SYSFS_REFCNT);
}

/*
 * Path of vsync.ko: $VSYNC_KO (run-all sets it), else kernel/vsync.ko
 * beside the tests/ directory holding this program.
 */
static inline const char *vsync_ko_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("VSYNC_KO");
	char *slash;
	ssize_t len;

	if (env && *env)
		return env;
	len = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (len < 0)
		return "../kernel/vsync.ko";
	path[len] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return "../kernel/vsync.ko";
	snprintf(slash, sizeof(path) - (slash - path), "/../kernel/vsync.ko");
	return path;
}

/* Load vsync.ko with PARAMS; 0 or a negative errno (0 if loaded already). */
static inline int vsync_load(const char *params)
{
	int fd, ret;

	if (vsync_loaded())
		return 0;
	fd = open(vsync_ko_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

/* delete_module("vsync") without waiting; 0 or a negative errno. */
static inline int vsync_unload(void)
{
	return syscall(SYS_delete_module, "vsync", O_NONBLOCK) ? -errno : 0;
}

static inline void vsync_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Wait up to TIMEOUT_MS for the module's reference count to drop to WANT:
 * a socket's last reference may go a little after close() returns.
 */
static inline long vsync_wait_refcnt(long want, unsigned int timeout_ms)
{
	long cnt;
	unsigned int t;

	for (t = 0; ; t += 10) {
		cnt = vsync_refcnt();
		if (cnt == want || t >= timeout_ms)
			return cnt;
		vsync_msleep(10);
	}
}

/*
 * vsync_require() - make sure vsync.ko is loaded, for a fixture's setup
 * Return: the socket family number in use.
 */
#define vsync_require() ({						\
	int __ret = vsync_load(NULL);					\
	int __family;							\
									\
	if (__ret)							\
		TH_LOG("cannot load %s: %s", vsync_ko_path(),		\
		       strerror(-__ret));				\
	ASSERT_EQ(0, __ret);						\
	__family = vsync_family();					\
	ASSERT_LT(0, __family) TH_LOG("cannot read " VSYNC_SYSFS_FAMILY);\
	__family;							\
})

/*
 * A watch on the kernel log: kmsg_watch_start() opens /dev/kmsg at its
 * end, kmsg_watch_splat() reads what came since and finds lines that say
 * the kernel is broken: messages that start with one of kmsg_splat_starts
 * (as "WARNING: CPU: 0 PID: 1 at ..." does, and the SRSO notice
 * "Speculative Return Stack Overflow: WARNING: ..." does not), or contain
 * one of kmsg_splat_words. The same list as KERNEL_SPLAT in lib.sh.
 */
static const char * const kmsg_splat_starts[] = {
	"BUG:", "WARNING:", "Oops", "kernel BUG", "UBSAN:",
	"general protection fault", "refcount_t:", "list_add corruption",
	"list_del corruption", "Call Trace:",
};

static const char * const kmsg_splat_words[] = {
	"KASAN", "circular locking", "suspected memory leak",
	"blocked for more than",
};

#define KMSG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline bool kmsg_is_splat(const char *msg)
{
	size_t i;

	for (i = 0; i < KMSG_ARRAY_SIZE(kmsg_splat_starts); i++)
		if (!strncmp(msg, kmsg_splat_starts[i],
			     strlen(kmsg_splat_starts[i])))
			return true;
	for (i = 0; i < KMSG_ARRAY_SIZE(kmsg_splat_words); i++)
		if (strstr(msg, kmsg_splat_words[i]))
			return true;
	return false;
}

static inline int kmsg_watch_start(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Return: true and the first bad line in BUF if the kernel logged a splat
 * since kmsg_watch_start(); false otherwise, and when FD is not valid.
 */
static inline bool kmsg_watch_splat(int fd, char *buf, size_t size)
{
	char rec[8192];
	const char *msg;
	ssize_t len;

	if (fd < 0)
		return false;
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (len <= 0)
			return false;
		rec[len] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (kmsg_is_splat(msg)) {
			snprintf(buf, size, "%.*s", (int)strcspn(msg, "\n"),
				 msg);
			return true;
		}
	}
}

#endif /* _VSYNC_TEST_H */
