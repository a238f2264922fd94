// SPDX-License-Identifier: GPL-2.0
/*
 * AF_VSYNC sockets without a ring: creation, the family= parameter, the
 * socket options' defaults and bounds, and what an unbound socket does.
 *
 * The family number is not a constant: it comes from
 * /sys/module/vsync/parameters/family. Loads vsync.ko if needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vsync_test.h"

/*
 * socket(family, type, protocol): one variant per type and protocol, with
 * the result the contract gives for it. SOCK_SEQPACKET with protocol 0 is
 * the only combination that exists.
 */
FIXTURE(create)
{
	int family;
	int fd;
	int err;
};

FIXTURE_VARIANT(create)
{
	int type;		/* with SOCK_NONBLOCK/SOCK_CLOEXEC if wanted */
	int protocol;
	int err;		/* expected errno, 0 for success */
};

FIXTURE_VARIANT_ADD(create, seqpacket)
{
	.type = SOCK_SEQPACKET,
	.protocol = 0,
	.err = 0,
};

FIXTURE_VARIANT_ADD(create, seqpacket_nonblock_cloexec)
{
	.type = SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	.protocol = 0,
	.err = 0,
};

FIXTURE_VARIANT_ADD(create, stream)
{
	.type = SOCK_STREAM,
	.protocol = 0,
	.err = ESOCKTNOSUPPORT,
};

FIXTURE_VARIANT_ADD(create, dgram)
{
	.type = SOCK_DGRAM,
	.protocol = 0,
	.err = ESOCKTNOSUPPORT,
};

FIXTURE_VARIANT_ADD(create, raw)
{
	.type = SOCK_RAW,
	.protocol = 0,
	.err = ESOCKTNOSUPPORT,
};

FIXTURE_VARIANT_ADD(create, rdm)
{
	.type = SOCK_RDM,
	.protocol = 0,
	.err = ESOCKTNOSUPPORT,
};

FIXTURE_VARIANT_ADD(create, seqpacket_protocol_1)
{
	.type = SOCK_SEQPACKET,
	.protocol = 1,
	.err = EPROTONOSUPPORT,
};

FIXTURE_VARIANT_ADD(create, seqpacket_protocol_vsync_version)
{
	.type = SOCK_SEQPACKET,
	.protocol = VSYNC_PROTOCOL_VERSION + 1,
	.err = EPROTONOSUPPORT,
};

FIXTURE_VARIANT_ADD(create, seqpacket_protocol_negative)
{
	.type = SOCK_SEQPACKET,
	.protocol = -1,
	.err = EPROTONOSUPPORT,
};

FIXTURE_SETUP(create)
{
	self->family = vsync_require();
	self->fd = socket(self->family, variant->type, variant->protocol);
	self->err = self->fd < 0 ? errno : 0;
}

FIXTURE_TEARDOWN(create)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int getsockopt_int(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);
	int ret;

	ret = getsockopt(fd, level, name, val, &len);
	if (!ret && len != sizeof(*val)) {
		errno = EMSGSIZE;
		return -1;
	}
	return ret;
}

TEST_F(create, result)
{
	int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
	int val;

	if (variant->err) {
		ASSERT_EQ(-1, self->fd);
		ASSERT_EQ(variant->err, self->err)
			TH_LOG("socket(%d, %d, %d): %s, want %s", self->family,
			       variant->type, variant->protocol,
			       strerror(self->err), strerror(variant->err));
		return;
	}

	ASSERT_LE(0, self->fd)
		TH_LOG("socket(%d, %d, %d): %s", self->family, variant->type,
		       variant->protocol, strerror(self->err));

	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_SOCKET, SO_DOMAIN, &val));
	EXPECT_EQ(self->family, val);
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_SOCKET, SO_TYPE, &val));
	EXPECT_EQ(variant->type & ~flags, val);
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_SOCKET, SO_PROTOCOL, &val));
	EXPECT_EQ(variant->protocol, val);

	val = fcntl(self->fd, F_GETFL);
	ASSERT_LE(0, val);
	EXPECT_EQ(!!(variant->type & SOCK_NONBLOCK), !!(val & O_NONBLOCK));
	val = fcntl(self->fd, F_GETFD);
	ASSERT_LE(0, val);
	EXPECT_EQ(!!(variant->type & SOCK_CLOEXEC), !!(val & FD_CLOEXEC));
}

/*
 * family=N: socket() takes the number the module registered, and only
 * that one. Each variant reloads vsync.ko with its parameters; the
 * default comes back in the teardown.
 */
FIXTURE(family_param)
{
};

FIXTURE_VARIANT(family_param)
{
	const char *params;
	int family;		/* what sysfs and socket() must show */
	int other;		/* what socket() must refuse */
};

FIXTURE_VARIANT_ADD(family_param, default_19)
{
	.params = "",
	.family = 19,
	.other = 18,
};

FIXTURE_VARIANT_ADD(family_param, ash_18)
{
	.params = "family=18",
	.family = 18,
	.other = 19,
};

FIXTURE_SETUP(family_param)
{
	int ret;

	if (vsync_loaded()) {
		ret = vsync_unload();
		ASSERT_EQ(0, ret) TH_LOG("unloading vsync.ko: %s",
					 strerror(-ret));
	}
	ret = vsync_load(variant->params);
	ASSERT_EQ(0, ret) TH_LOG("loading vsync.ko %s: %s", variant->params,
				 strerror(-ret));
}

FIXTURE_TEARDOWN(family_param)
{
	vsync_unload();
	vsync_load(NULL);
}

TEST_F(family_param, socket)
{
	int fd;

	ASSERT_EQ(variant->family, vsync_family());

	fd = socket(variant->family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, fd) TH_LOG("socket(%d): %s", variant->family,
				strerror(errno));
	ASSERT_EQ(0, close(fd));

	fd = socket(variant->other, SOCK_SEQPACKET, 0);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(-1, fd) TH_LOG("socket(%d) works too", variant->other);
	ASSERT_EQ(EAFNOSUPPORT, errno);
}

/* One SOCK_SEQPACKET socket, not bound. */
FIXTURE(sock)
{
	int family;
	int fd;
};

FIXTURE_SETUP(sock)
{
	self->family = vsync_require();
	self->fd = socket(self->family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, self->fd) TH_LOG("socket: %s", strerror(errno));
}

FIXTURE_TEARDOWN(sock)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sock, self_delivery)
{
	int val = -1;

	/* On by default. */
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_VSYNC, VSYNC_SELF_DELIVERY,
				    &val)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(1, val);

	val = 0;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_VSYNC, VSYNC_SELF_DELIVERY,
				&val, sizeof(val))) TH_LOG("%s", strerror(errno));
	val = -1;
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_VSYNC, VSYNC_SELF_DELIVERY,
				    &val));
	EXPECT_EQ(0, val);

	val = 1;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_VSYNC, VSYNC_SELF_DELIVERY,
				&val, sizeof(val)));
	val = -1;
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_VSYNC, VSYNC_SELF_DELIVERY,
				    &val));
	EXPECT_EQ(1, val);
}

TEST_F(sock, delivery)
{
	int val = -1;

	/* Agreed by default. */
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_VSYNC, VSYNC_DELIVERY, &val))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(VSYNC_DELIVERY_AGREED, val);

	val = VSYNC_DELIVERY_SAFE;
	ASSERT_EQ(0, setsockopt(self->fd, SOL_VSYNC, VSYNC_DELIVERY,
				&val, sizeof(val))) TH_LOG("%s", strerror(errno));
	val = -1;
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_VSYNC, VSYNC_DELIVERY, &val));
	EXPECT_EQ(VSYNC_DELIVERY_SAFE, val);

	/* Not an enum vsync_delivery: refused, and nothing changes. */
	val = VSYNC_DELIVERY_SAFE + 1;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_VSYNC, VSYNC_DELIVERY,
				 &val, sizeof(val)));
	EXPECT_EQ(EINVAL, errno);
	val = -1;
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_VSYNC, VSYNC_DELIVERY,
				 &val, sizeof(val)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, getsockopt_int(self->fd, SOL_VSYNC, VSYNC_DELIVERY, &val));
	EXPECT_EQ(VSYNC_DELIVERY_SAFE, val);
}

TEST_F(sock, option_bounds)
{
	char small = 1;
	int val = 1;

	/* Too short for an int. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_VSYNC, VSYNC_SELF_DELIVERY,
				 &small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);

	/* Not an option. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_VSYNC, 0, &val, sizeof(val)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_VSYNC, 1000, &val, sizeof(val)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, getsockopt_int(self->fd, SOL_VSYNC, 1000, &val));
	EXPECT_EQ(ENOPROTOOPT, errno);

	/* Read-only options. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_VSYNC, VSYNC_NODE_ID,
				 &val, sizeof(val)));
	EXPECT_NE(0, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_VSYNC, VSYNC_PORT,
				 &val, sizeof(val)));
	EXPECT_NE(0, errno);
}

TEST_F(sock, unbound_io_fails)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	char buf[16] = "hello";
	ssize_t ret;

	/* Nothing to read and nowhere to send before bind; no hang. */
	ret = recv(self->fd, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT_EQ(-1, ret) TH_LOG("recv on an unbound socket returned %zd", ret);
	ret = send(self->fd, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT_EQ(-1, ret) TH_LOG("send on an unbound socket returned %zd", ret);
	EXPECT_LE(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents & POLLIN);
}

TEST_F(sock, close)
{
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
}

TEST_F(sock, many)
{
	enum { N = 256 };
	int fds[N], i;

	for (i = 0; i < N; i++) {
		fds[i] = socket(self->family, SOCK_SEQPACKET, 0);
		ASSERT_LE(0, fds[i])
			TH_LOG("socket %d: %s", i, strerror(errno));
	}
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, close(fds[i]));
}

TEST_HARNESS_MAIN
