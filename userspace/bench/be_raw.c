// SPDX-License-Identifier: GPL-2.0
/*
 * raw-bench: the ceiling. The benchmark agent on an AF_PACKET socket that
 * broadcasts frames of its own EtherType (default 0x88B6, next to vsync's
 * 0x88B5) on the node's device. No order, no reliability, no flow control
 * beyond the socket's: a message larger than the MTU is sent as frames of
 * up to the MTU, each starting with the benchmark header, and receivers
 * count bytes (the coordinator turns bytes into messages of the point's
 * size). A node does not receive its own frames. Latency is one-way: the
 * receivers compute receive time minus the send time in the frame.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define RECV_BURST 256

static int fd = -1;
static unsigned short ethertype = 0x88B6;
static struct sockaddr_ll dst;
static unsigned int mtu;
static unsigned char *fbuf, *rbuf;
static size_t frag_off;		/* of the message being sent */

static int raw_setup(const struct agent_opts *o)
{
	struct sockaddr_ll a = { 0 };
	struct ifreq ifr = { 0 };
	int one = 1;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    htons(ethertype));
	if (fd < 0)
		die("socket(AF_PACKET): %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->dev);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		die("%s: %s", o->dev, strerror(errno));
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(ethertype);
	a.sll_ifindex = ifr.ifr_ifindex;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind %s: %s", o->dev, strerror(errno));
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		die("%s: MTU: %s", o->dev, strerror(errno));
	mtu = ifr.ifr_mtu;
	if (mtu < sizeof(struct bench_hdr) + 16)
		die("MTU %u too small", mtu);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o->rcvbuf,
		       sizeof(o->rcvbuf)) < 0)
		die("SO_RCVBUFFORCE: %s", strerror(errno));
	if (o->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &o->sndbuf,
				    sizeof(o->sndbuf)) < 0)
		die("SO_SNDBUFFORCE: %s", strerror(errno));
#ifdef PACKET_IGNORE_OUTGOING
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
#endif
	(void)one;
	dst = a;
	dst.sll_halen = ETH_ALEN;
	memset(dst.sll_addr, 0xff, ETH_ALEN);
	fbuf = malloc(mtu);
	rbuf = malloc(mtu + 64);
	if (!fbuf || !rbuf)
		die("out of memory");
	return 0;
}

static int raw_fd(void)
{
	return fd;
}

/* Send the frames of buf from frag_off on; 1 if the socket refuses. */
static int raw_send(const void *buf, size_t len, bool safe, bool more)
{
	const size_t hl = sizeof(struct bench_hdr);
	const size_t chunk = mtu - hl;
	size_t body = len - hl;

	const struct bench_hdr *h = buf;
	static uint64_t cur_seq;
	static uint32_t cur_point;

	(void)safe;
	(void)more;
	if (h->seq != cur_seq || h->point != cur_point) {
		/* A new message (a refused one may have been given up). */
		cur_seq = h->seq;
		cur_point = h->point;
		frag_off = 0;
	}
	do {
		size_t n = body - frag_off < chunk ? body - frag_off : chunk;

		memcpy(fbuf, buf, hl);
		((struct bench_hdr *)fbuf)->frag = frag_off / chunk;
		memcpy(fbuf + hl, (const char *)buf + hl + frag_off, n);
		if (sendto(fd, fbuf, hl + n, MSG_DONTWAIT,
			   (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS || errno == EINTR)
				return 1;
			frag_off = 0;
			return -errno;
		}
		frag_off += n;
	} while (frag_off < body);
	frag_off = 0;
	return 0;
}

static int raw_recv(void)
{
	for (int k = 0; k < RECV_BURST; k++) {
		ssize_t n = recv(fd, rbuf, mtu + 64, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			return -errno;
		}
		agent_deliver(rbuf, n);
	}
	return 0;
}

/* Frames the socket dropped (receive queue full) since the last call. */
static uint64_t raw_drops(void)
{
	struct tpacket_stats st = { 0 };
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}

static int raw_option(int argc, char **argv, int *i)
{
	if (!strcmp(argv[*i], "-e") && *i + 1 < argc) {
		ethertype = strtoul(argv[++*i], NULL, 0);
		return 1;
	}
	return 0;
}

const struct bench_backend backend = {
	.name = "raw-bench",
	.self_delivery = false,
	.has_views = false,
	.pollout = true,
	.setup = raw_setup,
	.fd = raw_fd,
	.send = raw_send,
	.recv = raw_recv,
	.drops = raw_drops,
	.option = raw_option,
};

int main(int argc, char **argv)
{
	return agent_main(argc, argv);
}
