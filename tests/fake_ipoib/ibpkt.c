// SPDX-License-Identifier: GPL-2.0
/*
 * ibpkt: send one frame through an AF_PACKET SOCK_DGRAM socket (so the
 * header comes from the device's header_ops, as vsync's does) and report
 * what AF_PACKET SOCK_RAW sockets on other devices, possibly in other
 * network namespaces, receive.
 *
 *	ibpkt [-t MS] [-l LEN] [-g GROUP] ETHERTYPE NS IF DST [NS IF]...
 *
 * The first NS IF sends LEN bytes (default 32) to DST (20 bytes,
 * XX:XX:...); every NS IF after it listens to every EtherType (so that
 * transmitted frames show too), and may repeat the sender. With -g, the
 * first listener's socket joins the multicast GROUP (20 bytes) with
 * PACKET_ADD_MEMBERSHIP, i.e. dev_mc_add() on its device. NS is a name
 * under /run/netns, or "-" for the current namespace. For each listener
 * one line is printed:
 *
 *	NS/IF: none
 *	NS/IF: TYPE[,TYPE...] hdr HEX len N
 *
 * TYPE is the packet type of every copy of our frame seen (host,
 * broadcast, multicast, otherhost, outgoing), HEX the 24 bytes in front of
 * the payload of the first copy, N its payload length. The listeners wait
 * -t MS (default 1000) at most, and 100 ms after every one has a copy.
 * Exit status 0, or 2 on an error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HWLEN 20
#define HDRLEN 24
#define MAXL 8
#define MAXTYPES 8
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct listener {
	const char *ns, *ifname;
	int fd;
	int ntypes;
	int types[MAXTYPES];
	unsigned char hdr[HDRLEN];
	size_t len;
};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void enter_ns(const char *ns)
{
	char path[256];
	int fd;

	if (!strcmp(ns, "-"))
		return;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (setns(fd, CLONE_NEWNET))
		die("setns");
	close(fd);
}

static int packet_socket(int type, int proto, const char *ifname)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	int fd;

	fd = socket(AF_PACKET, type, htons(proto));
	if (fd < 0)
		die("socket");
	ll.sll_protocol = htons(proto);
	ll.sll_ifindex = if_nametoindex(ifname);
	if (!ll.sll_ifindex)
		die(ifname);
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)))
		die("bind");
	return fd;
}

/* struct packet_mreq with room for an IPoIB address (MAX_ADDR_LEN). */
struct mreq_max {
	int mr_ifindex;
	unsigned short mr_type;
	unsigned short mr_alen;
	unsigned char mr_address[32];
};

static void join(int fd, const char *ifname, const unsigned char *group)
{
	struct mreq_max mr = {
		.mr_ifindex = if_nametoindex(ifname),
		.mr_type = PACKET_MR_MULTICAST,
		.mr_alen = HWLEN,
	};

	memcpy(mr.mr_address, group, HWLEN);
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		die("PACKET_ADD_MEMBERSHIP");
}

static int parse_hw(const char *s, unsigned char *hw)
{
	unsigned int b;
	int i, n;

	for (i = 0; i < HWLEN; i++) {
		if (sscanf(s, "%2x%n", &b, &n) != 1)
			return -1;
		hw[i] = b;
		s += n;
		if (i < HWLEN - 1 && *s++ != ':')
			return -1;
	}
	return *s ? -1 : 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static const char *type_name(int t)
{
	static const char *const names[] = {
		[PACKET_HOST] = "host",
		[PACKET_BROADCAST] = "broadcast",
		[PACKET_MULTICAST] = "multicast",
		[PACKET_OTHERHOST] = "otherhost",
		[PACKET_OUTGOING] = "outgoing",
		[PACKET_LOOPBACK] = "loopback",
	};

	if (t >= 0 && t < (int)ARRAY_SIZE(names) && names[t])
		return names[t];
	return "?";
}

/* Read what is queued on @l; keep the copies of @payload. */
static void drain(struct listener *l, int proto, const char *payload,
		  size_t plen)
{
	unsigned char buf[8192];
	struct sockaddr_ll from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(l->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die("recvfrom");
		}
		if ((size_t)n != HDRLEN + plen ||
		    from.sll_protocol != htons(proto) ||
		    memcmp(buf + HDRLEN, payload, plen))
			continue;
		if (!l->ntypes) {
			memcpy(l->hdr, buf, HDRLEN);
			l->len = n - HDRLEN;
		}
		if (l->ntypes < MAXTYPES)
			l->types[l->ntypes++] = from.sll_pkttype;
	}
}

int main(int argc, char **argv)
{
	struct listener ls[MAXL];
	union {
		struct sockaddr_ll ll;
		struct sockaddr_storage ss;
	} to;
	unsigned char dst[HWLEN], group[HWLEN];
	int grouped = 0;
	long timeout = 1000, deadline, all_at = 0;
	size_t plen, len = 0;
	int proto, sfd, nl, i, j, c;
	int home;
	char *payload;

	while ((c = getopt(argc, argv, "t:l:g:")) != -1) {
		switch (c) {
		case 't':
			timeout = atol(optarg);
			break;
		case 'l':
			len = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			if (parse_hw(optarg, group))
				goto usage;
			grouped = 1;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 4 || argc % 2 || (argc - 4) / 2 > MAXL)
		goto usage;
	proto = strtol(argv[0], NULL, 0);
	if (parse_hw(argv[3], dst)) {
		fprintf(stderr, "ibpkt: bad address %s\n", argv[3]);
		return 2;
	}
	if (len < 32)
		len = 32;
	payload = malloc(len);
	if (!payload)
		die("malloc");
	plen = len;
	memset(payload, 'x', plen);
	snprintf(payload, plen, "ibpkt %d %ld ", getpid(), now_ms());

	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		die("/proc/self/ns/net");

	/* Listeners first, so that nothing is missed. */
	nl = (argc - 4) / 2;
	for (i = 0; i < nl; i++) {
		ls[i] = (struct listener){ .ns = argv[4 + 2 * i],
					   .ifname = argv[5 + 2 * i] };
		if (setns(home, CLONE_NEWNET))
			die("setns");
		enter_ns(ls[i].ns);
		ls[i].fd = packet_socket(SOCK_RAW, ETH_P_ALL, ls[i].ifname);
		if (grouped && !i)
			join(ls[i].fd, ls[i].ifname, group);
	}

	if (setns(home, CLONE_NEWNET))
		die("setns");
	enter_ns(argv[1]);
	sfd = packet_socket(SOCK_DGRAM, proto, argv[2]);
	memset(&to, 0, sizeof(to));
	to.ll.sll_family = AF_PACKET;
	to.ll.sll_protocol = htons(proto);
	to.ll.sll_ifindex = if_nametoindex(argv[2]);
	to.ll.sll_halen = HWLEN;
	memcpy((char *)&to + offsetof(struct sockaddr_ll, sll_addr), dst,
	       HWLEN);
	if (sendto(sfd, payload, plen, 0, (struct sockaddr *)&to,
		   offsetof(struct sockaddr_ll, sll_addr) + HWLEN) < 0) {
		perror("sendto");
		printf("send: %s\n", strerror(errno));
	}

	deadline = now_ms() + timeout;
	for (;;) {
		struct pollfd pfd[MAXL];
		long now = now_ms(), wait;
		int have = 0;

		for (i = 0; i < nl; i++)
			have += ls[i].ntypes > 0;
		if (have == nl && !all_at)
			all_at = now;
		if (now >= deadline || (all_at && now >= all_at + 100))
			break;
		wait = all_at ? all_at + 100 - now : deadline - now;
		for (i = 0; i < nl; i++)
			pfd[i] = (struct pollfd){ .fd = ls[i].fd,
						  .events = POLLIN };
		if (poll(pfd, nl, wait) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < nl; i++)
			if (pfd[i].revents & POLLIN)
				drain(&ls[i], proto, payload, plen);
	}

	for (i = 0; i < nl; i++) {
		struct listener *l = &ls[i];

		printf("%s/%s: ", l->ns, l->ifname);
		if (!l->ntypes) {
			printf("none\n");
			continue;
		}
		for (j = 0; j < l->ntypes; j++)
			printf("%s%s", j ? "," : "", type_name(l->types[j]));
		printf(" hdr ");
		for (j = 0; j < HDRLEN; j++)
			printf("%02x", l->hdr[j]);
		printf(" len %zu\n", l->len);
	}
	return 0;

usage:
	fprintf(stderr,
		"usage: ibpkt [-t MS] [-l LEN] [-g GROUP] ETHERTYPE NS IF DST [NS IF]...\n");
	return 2;
}
