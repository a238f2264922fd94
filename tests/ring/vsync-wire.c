// SPDX-License-Identifier: GPL-2.0
/*
 * vsync-wire: speaks the vsync wire format from outside a ring, for the
 * tests that check what a ring puts on the wire and what it does with
 * frames it must not trust (tests/ring/wire.sh).
 *
 * It runs on a node that is not a member: an AF_PACKET socket (SOCK_DGRAM,
 * so that Ethernet and IPoIB need no code of their own) on DEV sees the
 * frames the members broadcast and sends frames to the device's broadcast
 * address, which every member receives. The wire format is the module's
 * own kernel/proto.h (Documentation/protocol.rst).
 *
 * Commands:
 *
 *   frames COUNT  print the entries of the next COUNT message frames, one
 *                 line per frame: "F SEQ ORIGIN LEN/TOTAL/FLAGS ...", FLAGS
 *                 of F(irst) L(ast) S(afe) C(trl); "!pad" after an entry
 *                 whose name or data runs past the frame or is padded
 *                 with anything but zeroes, "!end=POS/LEN" when the
 *                 entries do not end where the header's length does
 *   bad           learn the ring from one of its message frames, then send
 *                 frames each of which a member must drop, and print how
 *                 many each member must count, per counter: "member M",
 *                 then "drop_short AT_M AT_OTHERS" ... (member M sees
 *                 frames with its own id as duplicate_node_id once they
 *                 pass the header); "# ..." lines name every frame
 *   split ID=HWADDR,...  send joins in the name of each member listed,
 *                 with its hardware address, each failing the next one,
 *                 three times
 *   token ahead   learn the ring from one of its message frames and send
 *                 a token in the name of the frame's sender (its successor
 *                 takes it), numbered TOKEN_AHEAD frames past that frame:
 *                 frames nobody sent, which the ring must notice
 *   token behind IDS  with IDS the members' ids in ring order (1,2,3):
 *                 TOKEN_BEHIND times, wait for a message frame a member
 *                 sends of its own, and send that member a token from its
 *                 predecessor numbered just below the frame, so below what
 *                 the member passed on at that visit (yet, for a rotation
 *                 or two, above what it released): the member must drop
 *                 them
 *   piece SEQ     wait for recovery frame SEQ and send a copy that
 *                 disagrees with it: the first piece of the same old
 *                 frame, of another size (see cmd_piece())
 *   fuzz SEED N   learn the ring, collect the frames seen during -w
 *                 milliseconds and add one made-up frame of every type,
 *                 then send N random mutations of them (SEED: srandom)
 *
 * With -T every frame is sent from a PACKET_TX_RING, which puts it in page
 * fragments: the members receive it with none of its bytes in the linear
 * buffer (on a device without scatter-gather the stack makes it linear).
 *
 * Exit status: 0 done, 1 usage or setup error, 2 no frame of the ring was
 * seen in time (-w).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/vsync.h>
#include "../../kernel/proto.h"

#define FRAME_MAX	2048
#define TX_SLOTS	8	/* of the -T ring, a page each */
#define CORPUS_MAX	256
#define HWADDR_MAX	20	/* IPoIB's */
#define MAX_NODES	32	/* VSYNC_MAX_NODES of kernel/ring.h */
#define TOKEN_AHEAD	300	/* token ahead: past the frames sent */
#define TOKEN_BEHIND	20	/* token behind: tokens sent */

static const char *opt_dev;
static unsigned int opt_ethertype = 0x88B5;
static int opt_wait_ms = 5000;

static int fd = -1;
static bool opt_paged;
static const char *opt_ready;
static uint8_t *tx_ring;	/* -T: TX_SLOTS frames of a page */
static unsigned int tx_next;
/* sockaddr_ll has room for 8 address bytes; IPoIB's take 20. */
static union {
	struct sockaddr_ll sll;
	uint8_t room[offsetof(struct sockaddr_ll, sll_addr) + HWADDR_MAX];
} dst;
#define bcast dst.sll
static size_t mtu;

/* What one message frame of the ring told us. */
static struct {
	uint32_t rep;
	uint64_t ring_seq;
	uint32_t member;	/* the frame's sender, a member */
	uint64_t seq;		/* its sequence number */
} ring;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vsync-wire: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
"usage: vsync-wire [options] frames COUNT | bad | split ID=HWADDR,... |\n"
"       token ahead | token behind ID,... | piece SEQ | fuzz SEED N\n"
"  -i DEV        the device (required)\n"
"  -e ETHERTYPE  the ring's EtherType (default 0x88B5)\n"
"  -w MS         wait at most MS for frames (default 5000); fuzz: collect\n"
"                frames for MS\n"
"  -T            send from a PACKET_TX_RING: each frame reaches the\n"
"                receivers in page fragments, with no byte linear\n"
"  -R FILE       create FILE once the socket receives\n");
	exit(1);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A hardware address "aa:bb:..." at *p into @out (at most HWADDR_MAX
 * bytes); *p is left after it. Return: its length, 0 if there is none.
 */
static unsigned int parse_hwaddr(const char **p, uint8_t *out)
{
	unsigned int n = 0, b;

	while (n < HWADDR_MAX && sscanf(*p, "%2x", &b) == 1) {
		out[n++] = b;
		*p += 2;
		if (**p != ':')
			break;
		(*p)++;
	}
	return n;
}

/*
 * The broadcast address from /sys/class/net/DEV/broadcast into bcast.
 * That is the sysfs of the namespace it was mounted in: run the tool in
 * the node's namespace with "ip netns exec", which mounts its own.
 */
static void read_broadcast(void)
{
	char path[PATH_MAX], text[128];
	const char *p = text;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/broadcast", opt_dev);
	f = fopen(path, "re");
	if (!f || !fgets(text, sizeof(text), f))
		die("cannot read %s: %s", path, strerror(errno));
	fclose(f);
	bcast.sll_halen = parse_hwaddr(&p, bcast.sll_addr);
	if (!bcast.sll_halen)
		die("%s: no broadcast address", opt_dev);
}

static void open_socket(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(opt_ethertype),
	};
	struct ifreq ifr = {};
	int rcvbuf = 16 << 20;

	sll.sll_ifindex = if_nametoindex(opt_dev);
	if (!sll.sll_ifindex)
		die("no device %s", opt_dev);
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
		    htons(opt_ethertype));
	if (fd < 0)
		die("socket(AF_PACKET): %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind %s: %s", opt_dev, strerror(errno));
	/*
	 * Room for what comes while we read: a bundle of frames is charged
	 * to the socket with every frame's buffer, which fills the default
	 * buffer in a few bundles on a slow (debug) kernel.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		die("SO_RCVBUFFORCE: %s", strerror(errno));
	bcast = sll;
	read_broadcast();
	strncpy(ifr.ifr_name, opt_dev, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		die("SIOCGIFMTU %s: %s", opt_dev, strerror(errno));
	mtu = ifr.ifr_mtu < FRAME_MAX ? ifr.ifr_mtu : FRAME_MAX;
}

/*
 * -T: a TPACKET_V2 transmit ring. The kernel builds the skb of a frame
 * sent from it with the link-layer header alone in the linear buffer and
 * the frame itself in fragments of the ring's pages, so a receiver gets
 * nothing of it linear: every pull of the receive path is exercised.
 */
static void open_tx_ring(void)
{
	struct tpacket_req req = {
		.tp_block_size = getpagesize(),
		.tp_block_nr = TX_SLOTS,
		.tp_frame_size = getpagesize(),
		.tp_frame_nr = TX_SLOTS,
	};
	int v = TPACKET_V2;

	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0)
		die("PACKET_TX_RING: %s", strerror(errno));
	tx_ring = mmap(NULL, TX_SLOTS * req.tp_frame_size,
		       PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (tx_ring == MAP_FAILED)
		die("mmap of the TX ring: %s", strerror(errno));
}

static void send_from_ring(const void *buf, size_t len, socklen_t alen)
{
	struct tpacket2_hdr *h = (void *)(tx_ring + tx_next * getpagesize());

	tx_next = (tx_next + 1) % TX_SLOTS;
	if (h->tp_status != TP_STATUS_AVAILABLE)
		die("TX ring slot busy (status %#x)", h->tp_status);
	memcpy((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)), buf, len);
	h->tp_len = len;
	h->tp_status = TP_STATUS_SEND_REQUEST;
	/* Blocking: returns once the frame has left the slot. */
	while (sendto(fd, NULL, 0, 0, (struct sockaddr *)&dst, alen) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			die("sendto from the TX ring: %s", strerror(errno));
		usleep(1000);
	}
	if (h->tp_status != TP_STATUS_AVAILABLE)
		die("TX ring: frame of %zu bytes not sent (status %#x)", len,
		    h->tp_status);
}

/*
 * What the socket received last. A sender's kernel may pass a run of
 * frames over veth as one buffer (a bundle, see kernel/bundle.c): its
 * frames then come back to back, each as long as its header says.
 */
static uint8_t pkt[65536];
static size_t pkt_len, pkt_off;

/* Whether a frame header starts at pkt[off] (not Ethernet padding). */
static bool frame_at(size_t off)
{
	const struct vsync_hdr *h = (const void *)(pkt + off);

	return off + sizeof(*h) <= pkt_len &&
	       h->version == VSYNC_PROTOCOL_VERSION &&
	       ntohl(h->len) >= sizeof(*h) && ntohl(h->len) <= pkt_len - off;
}

/*
 * The next frame within @deadline (ms, CLOCK_MONOTONIC) into @buf
 * (FRAME_MAX bytes); 0 on timeout. A frame alone comes with what followed
 * it in its buffer (padding), as the socket gave it.
 */
static ssize_t recv_frame(uint8_t *buf, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len;
	ssize_t n;

	while (pkt_off >= pkt_len) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return 0;
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);
		if (n > 0) {
			pkt_len = n;
			pkt_off = 0;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			die("recv: %s", strerror(errno));
		}
	}
	len = pkt_len - pkt_off;
	if (frame_at(pkt_off)) {
		size_t flen = ntohl(((const struct vsync_hdr *)
				     (pkt + pkt_off))->len);

		if (frame_at(pkt_off + flen))
			len = flen;
	}
	if (len > FRAME_MAX)
		len = FRAME_MAX;
	memcpy(buf, pkt + pkt_off, len);
	pkt_off += len;
	if (len == FRAME_MAX)
		pkt_off = pkt_len;
	return len;
}

static void send_frame(const void *buf, size_t len)
{
	socklen_t alen = offsetof(struct sockaddr_ll, sll_addr) +
			 bcast.sll_halen;

	if (alen < sizeof(bcast))
		alen = sizeof(bcast);
	if (opt_paged) {
		send_from_ring(buf, len, alen);
		return;
	}
	/* A full device queue is not an error of the frame: try again. */
	while (sendto(fd, buf, len, 0, (struct sockaddr *)&dst, alen) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN)
			die("sendto: %s", strerror(errno));
		usleep(1000);
	}
}

static bool is_mcast(const uint8_t *buf, ssize_t n)
{
	const struct vsync_hdr *h = (const void *)buf;

	return n >= (ssize_t)(sizeof(*h) + sizeof(struct vsync_mcast)) &&
	       h->version == VSYNC_PROTOCOL_VERSION && h->type == VSYNC_FT_MCAST;
}

/* Wait for a message frame of the ring and note what it says. */
static void learn(uint8_t *buf, ssize_t *len)
{
	int64_t deadline = now_ms() + opt_wait_ms;
	const struct vsync_hdr *h = (const void *)buf;
	const struct vsync_mcast *m = (const void *)(h + 1);
	ssize_t n;

	while ((n = recv_frame(buf, deadline)) > 0) {
		if (!is_mcast(buf, n) ||
		    ntohs(m->flags) & VSYNC_MF_RECOVERY)
			continue;
		ring.rep = ntohl(h->ring_rep);
		ring.ring_seq = be64toh(h->ring_seq);
		ring.member = ntohl(h->src);
		ring.seq = be64toh(m->seq);
		if (len)
			*len = n;
		return;
	}
	fprintf(stderr, "vsync-wire: no message frame of a ring on %s in %d ms\n",
		opt_dev, opt_wait_ms);
	exit(2);
}

/* ------------------------------------------------------------------ */
/* frames COUNT                                                        */

/*
 * Steps *POS over LEN bytes and their padding to 4; false if that passes
 * END or a padding byte is not zero.
 */
static bool padded_ok(const uint8_t *buf, size_t end, size_t *pos,
		      size_t len)
{
	size_t i, next = *pos + ((len + 3) & ~(size_t)3);

	if (next > end)
		return false;
	for (i = *pos + len; i < next; i++)
		if (buf[i])
			return false;
	*pos = next;
	return true;
}

static void cmd_frames(long count)
{
	uint8_t buf[FRAME_MAX];
	int64_t deadline = now_ms() + opt_wait_ms;
	long seen = 0;
	ssize_t n;

	while (seen < count && (n = recv_frame(buf, deadline)) > 0) {
		const struct vsync_hdr *h = (const void *)buf;
		const struct vsync_mcast *m = (const void *)(h + 1);
		size_t pos = sizeof(*h) + sizeof(*m), end;
		unsigned int i;

		if (!is_mcast(buf, n) || ntohs(m->flags) & VSYNC_MF_RECOVERY)
			continue;
		end = ntohl(h->len);
		if (end > (size_t)n)
			end = n;
		printf("F %llu %u", (unsigned long long)be64toh(m->seq),
		       ntohl(m->origin));
		for (i = 0; i < ntohs(m->count); i++) {
			const struct vsync_entry *e = (const void *)(buf + pos);
			unsigned int fl;

			if (pos + sizeof(*e) > end)
				break;
			fl = ntohs(e->flags);
			printf(" %u/%u/%s%s%s%s", ntohl(e->len),
			       ntohl(e->total), fl & VSYNC_EF_FIRST ? "F" : "",
			       fl & VSYNC_EF_LAST ? "L" : "",
			       fl & VSYNC_EF_SAFE ? "S" : "",
			       fl & VSYNC_EF_CTRL ? "C" : "");
			pos += sizeof(*e);
			if (!padded_ok(buf, end, &pos, e->name_len) ||
			    !padded_ok(buf, end, &pos, ntohl(e->len))) {
				printf("!pad");
				break;
			}
		}
		/* The entries fill the frame to the length in its header. */
		if (pos != end)
			printf(" !end=%zu/%zu", pos, end);
		putchar('\n');
		seen++;
	}
	if (seen < count) {
		fprintf(stderr, "vsync-wire: %ld of %ld message frames in %d ms\n",
			seen, count, opt_wait_ms);
		exit(2);
	}
}

/* ------------------------------------------------------------------ */
/* Frames of every type, well formed, for the ring we learned          */

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

static void *put(struct frame *f, size_t len)
{
	void *p = f->b + f->len;

	memset(p, 0, len);
	f->len += len;
	return p;
}

static struct vsync_hdr *hdr(struct frame *f, uint8_t type, uint32_t src)
{
	struct vsync_hdr *h;

	f->len = 0;
	h = put(f, sizeof(*h));
	h->version = VSYNC_PROTOCOL_VERSION;
	h->type = type;
	h->src = htonl(src);
	h->ring_rep = htonl(ring.rep);
	h->ring_seq = htobe64(ring.ring_seq);
	return h;
}

static void finish(struct frame *f)
{
	((struct vsync_hdr *)f->b)->len = htonl(f->len);
}

static struct vsync_mcast *mcast(struct frame *f, uint64_t seq)
{
	struct vsync_mcast *m;

	hdr(f, VSYNC_FT_MCAST, ring.member);
	m = put(f, sizeof(*m));
	m->seq = htobe64(seq);
	m->origin = htonl(ring.member);
	return m;
}

static struct vsync_entry *entry(struct frame *f, uint32_t len, uint16_t fl)
{
	struct vsync_entry *e = put(f, sizeof(*e));

	e->len = htonl(len);
	e->total = htonl(len);
	e->port = htonl(1);
	e->flags = htons(fl);
	e->name_len = 4;
	memcpy(put(f, 4), "wire", 4);
	put(f, (len + 3) & ~3U);
	return e;
}

/*
 * Recovery frame @seq for old frame 1 of @count entries: whole (@total 0),
 * else a piece of @n bytes at @off of @total bytes of entries. Returns the
 * old frame's vsync_mcast.
 */
static struct vsync_mcast *recov(struct frame *f, uint64_t seq, uint16_t off,
				 uint16_t total, uint16_t count, size_t n)
{
	struct vsync_recov *rc;
	struct vsync_mcast *m;

	m = mcast(f, seq);
	m->flags = htons(VSYNC_MF_RECOVERY);
	rc = put(f, sizeof(*rc));
	rc->piece_off = htons(off);
	rc->piece_total = htons(total);
	m = put(f, sizeof(*m));
	m->seq = htobe64(1);
	m->origin = htonl(ring.member);
	m->count = htons(count);
	if (total)
		put(f, n);
	else
		entry(f, 8, VSYNC_EF_FIRST | VSYNC_EF_LAST);
	finish(f);
	return m;
}

/* A message frame with one whole 8-byte message. */
static struct vsync_mcast *mcast_one(struct frame *f, uint64_t seq)
{
	struct vsync_mcast *m = mcast(f, seq);

	m->count = htons(1);
	entry(f, 8, VSYNC_EF_FIRST | VSYNC_EF_LAST);
	finish(f);
	return m;
}

static struct vsync_token *token(struct frame *f, uint32_t src,
				 uint16_t n_rtr)
{
	struct vsync_token *t;

	hdr(f, VSYNC_FT_TOKEN, src);
	t = put(f, sizeof(*t));
	t->token_seq = htobe64(UINT64_MAX / 2);
	t->seq = htobe64(ring.seq);
	t->aru = htobe64(ring.seq);
	t->n_rtr = htons(n_rtr);
	put(f, n_rtr * sizeof(uint64_t));
	finish(f);
	return t;
}

static struct vsync_join *join(struct frame *f, uint32_t src,
			       uint16_t n_proc)
{
	struct vsync_join *j;
	__be32 *ids;
	int i;

	hdr(f, VSYNC_FT_JOIN, src);
	j = put(f, sizeof(*j));
	j->max_ring_seq = htobe64(ring.ring_seq);
	j->hwaddr_len = bcast.sll_halen;
	j->n_proc = htons(n_proc);
	ids = put(f, n_proc * sizeof(*ids));
	for (i = 0; i < n_proc; i++)
		ids[i] = htonl(src + i);
	finish(f);
	return j;
}

static struct vsync_commit *commit(struct frame *f, uint16_t n)
{
	struct vsync_commit_memb *cm;
	struct vsync_commit *c;
	int i;

	hdr(f, VSYNC_FT_COMMIT, 1000);
	((struct vsync_hdr *)f->b)->ring_rep = htonl(1000);
	c = put(f, sizeof(*c));
	c->n_memb = htons(n);
	c->rotation = 1;
	c->filled = 1;
	c->mtu = htons(1500);
	cm = put(f, n * sizeof(*cm));
	for (i = 0; i < n; i++)
		cm[i].id = htonl(1000 + i);
	finish(f);
	return c;
}

/* ------------------------------------------------------------------ */
/* bad: frames every member must drop, and the counter it must count   */

enum reason {
	SHORT, VERSION, TYPE, RING, SEQ, SENDER, MALFORMED, DUP_ID, NREASON
};

static const char *const reason_name[NREASON] = {
	"drop_short", "drop_version", "drop_type", "drop_ring", "drop_seq",
	"drop_sender", "drop_malformed", "duplicate_node_id",
};

/* What the members count: [0] the member whose id we use, [1] others. */
static unsigned int expect[2][NREASON];

/*
 * The checks vsync_rcv() makes of every frame before it looks at the
 * sender: a frame that fails one is counted so at every member.
 */
static bool header_fault(const struct frame *f)
{
	const struct vsync_hdr *h = (const void *)f->b;

	return f->len < sizeof(*h) || h->version != VSYNC_PROTOCOL_VERSION ||
	       !h->type || h->type >= __VSYNC_FT_MAX ||
	       ntohl(h->len) < sizeof(*h) || ntohl(h->len) > f->len ||
	       !h->src ||
	       ((h->type == VSYNC_FT_LEAVE || h->type == VSYNC_FT_MERGE ||
		 h->type == VSYNC_FT_WAKE) && ntohl(h->len) != sizeof(*h));
}

static void bad(struct frame *f, enum reason why, const char *what)
{
	const struct vsync_hdr *h = (const void *)f->b;
	enum reason self = why;

	/* A frame with our id that passed the header: someone uses it. */
	if (!header_fault(f) && ntohl(h->src) == ring.member &&
	    h->type != VSYNC_FT_JOIN)
		self = DUP_ID;
	printf("# %s: %s (%zu bytes)\n", reason_name[why], what, f->len);
	send_frame(f->b, f->len);
	expect[0][self]++;
	expect[1][why]++;
}

static void cmd_bad(void)
{
	uint8_t buf[FRAME_MAX];
	struct vsync_hdr *h;
	struct vsync_mcast *m;
	struct vsync_entry *e;
	struct vsync_token *t;
	struct vsync_join *j;
	struct vsync_commit *c;
	struct frame f;
	uint64_t far;
	int i;

	h = (struct vsync_hdr *)f.b;	/* every frame's header */
	learn(buf, NULL);
	printf("# ring %u:%llu, member %u, frame %llu\n", ring.rep,
	       (unsigned long long)ring.ring_seq, ring.member,
	       (unsigned long long)ring.seq);
	/* Far ahead of the ring's store, so that none can be accepted. */
	far = ring.seq + 1000000;

	/* The common header. */
	mcast_one(&f, far);
	h->len = htonl(8);
	bad(&f, SHORT, "length below the header");
	mcast_one(&f, far);
	h->len = htonl(f.len + 100);
	bad(&f, SHORT, "length past the frame");
	f.len = 10;
	bad(&f, SHORT, "10 bytes");
	for (i = 0; i < 3; i++) {
		static const uint8_t v[] = {
			0, VSYNC_PROTOCOL_VERSION + 1, 255
		};

		mcast_one(&f, far);
		h->version = v[i];
		bad(&f, VERSION, "another version");
	}
	for (i = 0; i < 3; i++) {
		static const uint8_t ty[] = { 0, __VSYNC_FT_MAX, 255 };

		mcast_one(&f, far);
		h->type = ty[i];
		bad(&f, TYPE, "unknown type");
	}
	mcast_one(&f, far);
	h->src = 0;
	bad(&f, SENDER, "sender 0");

	/* Message frames. */
	hdr(&f, VSYNC_FT_MCAST, ring.member);
	put(&f, 8);
	finish(&f);
	bad(&f, SHORT, "message frame without its body");
	mcast_one(&f, ring.seq + 1);
	h->ring_seq = htobe64(ring.ring_seq + 4096);
	bad(&f, RING, "message frame of another ring");
	mcast_one(&f, ring.seq + 1);
	h->ring_rep = htonl(ring.rep + 1000);
	bad(&f, RING, "message frame of another representative");
	mcast_one(&f, ring.seq + 1);
	h->src = htonl(999);
	bad(&f, SENDER, "message frame from a node not in the ring");
	m = mcast_one(&f, ring.seq + 1);
	m->origin = htonl(999);
	bad(&f, SENDER, "message frame ordered by a node not in the ring");
	m = mcast_one(&f, ring.seq + 1);
	m->seq = 0;
	bad(&f, MALFORMED, "sequence number 0");
	m = mcast_one(&f, ring.seq + 1);
	m->origin = 0;
	bad(&f, SENDER, "origin 0");
	m = mcast_one(&f, ring.seq + 1);
	m->flags = htons(0x8000);
	bad(&f, MALFORMED, "unknown frame flag");
	m = mcast_one(&f, ring.seq + 1);
	m->count = 0;
	bad(&f, MALFORMED, "no entries");
	m = mcast_one(&f, ring.seq + 1);
	m->count = htons(2);
	bad(&f, MALFORMED, "fewer entries than counted");
	mcast_one(&f, ring.seq + 1);
	put(&f, 8);
	finish(&f);
	bad(&f, MALFORMED, "bytes after the last entry");
	for (i = 0; i < 7; i++) {
		static const char *const what[] = {
			"group name of 0 bytes", "group name of 64 bytes",
			"entry longer than its message",
			"message over VSYNC_MSG_MAX",
			"whole message with len != total",
			"unknown entry flag", "entry data past the frame",
		};

		m = mcast(&f, ring.seq + 1);
		m->count = htons(1);
		e = entry(&f, 8, VSYNC_EF_FIRST | VSYNC_EF_LAST);
		switch (i) {
		case 0: e->name_len = 0; break;
		case 1: e->name_len = 64; break;
		case 2: e->total = htonl(4); e->flags = htons(VSYNC_EF_FIRST);
			break;
		case 3: e->total = htonl(VSYNC_MSG_MAX + 1);
			e->flags = htons(VSYNC_EF_FIRST); break;
		case 4: e->total = htonl(16); break;
		case 5: e->flags |= htons(0x0100); break;
		case 6: e->len = e->total = htonl(400); break;
		}
		finish(&f);
		bad(&f, MALFORMED, what[i]);
	}
	m = mcast(&f, ring.seq + 1);
	m->flags = htons(VSYNC_MF_RECOVERY);
	m->count = htons(1);
	put(&f, sizeof(struct vsync_recov));
	finish(&f);
	bad(&f, MALFORMED, "recovery frame with entries of its own");
	m = mcast(&f, ring.seq + 1);
	m->flags = htons(VSYNC_MF_RECOVERY);
	put(&f, 4);
	finish(&f);
	bad(&f, MALFORMED, "recovery frame without the old ring's id");
	m = mcast(&f, ring.seq + 1);
	m->flags = htons(VSYNC_MF_RECOVERY);
	put(&f, sizeof(struct vsync_recov));
	m = put(&f, sizeof(*m));
	m->seq = htobe64(1);
	m->origin = htonl(ring.member);
	m->flags = htons(VSYNC_MF_RECOVERY);
	put(&f, sizeof(struct vsync_recov));
	finish(&f);
	bad(&f, MALFORMED, "recovery frame inside a recovery frame");
	recov(&f, ring.seq + 1, 8, 0, 1, 0);
	bad(&f, MALFORMED, "whole recovery frame with a piece's offset");
	recov(&f, ring.seq + 1, 0, 100, 1, 0);
	bad(&f, MALFORMED, "recovery piece without bytes of its frame");
	recov(&f, ring.seq + 1, 200, 100, 1, 8);
	bad(&f, MALFORMED, "recovery piece that starts past its frame");
	recov(&f, ring.seq + 1, 96, 100, 1, 8);
	bad(&f, MALFORMED, "recovery piece that runs past its frame");
	recov(&f, ring.seq + 1, 0, 100, 0, 8);
	bad(&f, MALFORMED, "recovery piece of a frame without entries");
	m = recov(&f, ring.seq + 1, 0, 100, 1, 8);
	m->flags = htons(VSYNC_MF_RECOVERY);
	bad(&f, MALFORMED, "recovery piece of a recovery frame");
	m = recov(&f, ring.seq + 1, 0, 100, 1, 8);
	m->seq = 0;
	bad(&f, MALFORMED, "recovery piece of old frame 0");
	mcast_one(&f, far);
	bad(&f, SEQ, "sequence number past the window");
	/*
	 * In the window, so it is held, but past the token: each member
	 * drops it when the token comes (it would take the place of the
	 * real frame of that number).
	 */
	mcast_one(&f, ring.seq + 3000);
	bad(&f, SEQ, "message frame numbered past the token");
	/* The last piece of a frame: valid, so held like the frame above. */
	recov(&f, ring.seq + 3001, 92, 100, 1, 8);
	bad(&f, SEQ, "recovery piece numbered past the token");

	/* Tokens: broadcast, so every member checks them. */
	hdr(&f, VSYNC_FT_TOKEN, ring.member);
	put(&f, 20);
	finish(&f);
	bad(&f, SHORT, "token without its body");
	t = token(&f, ring.member, 65);
	bad(&f, MALFORMED, "token asking for 65 retransmissions");
	t = token(&f, ring.member, 2);
	t->n_rtr = htons(3);
	bad(&f, MALFORMED, "token shorter than its requests");
	t = token(&f, ring.member, 0);
	t->aru = htobe64(ring.seq + 1);
	bad(&f, MALFORMED, "token whose aru is past its seq");
	t = token(&f, ring.member, 0);
	h->ring_seq = htobe64(ring.ring_seq + 4096);
	bad(&f, RING, "token of another ring");
	token(&f, 999, 0);
	bad(&f, SENDER, "token from a node not in the ring");

	/* Membership. */
	hdr(&f, VSYNC_FT_JOIN, 999);
	put(&f, 8);
	finish(&f);
	bad(&f, SHORT, "join without its body");
	for (i = 0; i < 10; i++) {
		static const char *const what[] = {
			"join with no node", "join with 33 nodes",
			"join with a wrong hardware address length",
			"join longer than its sets",
			"join naming node 0", "join naming a node twice",
			"join whose sender is not in it",
			"join of a ring sequence number of 2^63",
			"join that saw a ring sequence number of 2^63",
			"join that saw one 2^49 above the ring's",
		};
		__be32 *ids;

		j = join(&f, 999, 2);
		ids = (__be32 *)(j + 1);
		switch (i) {
		case 0: j->n_proc = 0; break;
		case 1: j->n_proc = htons(33); break;
		case 2: j->hwaddr_len = bcast.sll_halen + 1; break;
		case 3: put(&f, 4); finish(&f); break;
		case 4: ids[1] = 0; break;
		case 5: ids[1] = ids[0]; break;
		case 6: h->src = htonl(998); break;
		case 7: h->ring_seq =
				htobe64(1ULL << 63);
			break;
		case 8: j->max_ring_seq = htobe64(UINT64_MAX); break;
		case 9: j->max_ring_seq = htobe64(ring.ring_seq +
						 (1ULL << 49));
			break;
		}
		bad(&f, MALFORMED, what[i]);
	}
	hdr(&f, VSYNC_FT_COMMIT, 1000);
	put(&f, 4);
	finish(&f);
	bad(&f, SHORT, "commit token without its body");
	for (i = 0; i < 7; i++) {
		static const char *const what[] = {
			"commit token of one node", "commit token of 33 nodes",
			"commit token in rotation 3",
			"commit token filled past its members",
			"commit token with unsorted members",
			"commit token longer than its members",
			"commit token whose MTU is below 1024",
		};
		struct vsync_commit_memb *cm;

		c = commit(&f, 3);
		cm = (struct vsync_commit_memb *)(c + 1);
		switch (i) {
		case 0: c->n_memb = htons(1); break;
		case 1: c->n_memb = htons(33); break;
		case 2: c->rotation = 3; break;
		case 3: c->filled = 4; break;
		case 4: cm[0].id = htonl(1002); cm[2].id = htonl(1000); break;
		case 5: put(&f, 8); finish(&f); break;
		case 6: c->mtu = htons(1000); break;
		}
		bad(&f, MALFORMED, what[i]);
	}
	hdr(&f, VSYNC_FT_WAKE, ring.member);
	put(&f, 8);
	finish(&f);
	bad(&f, MALFORMED, "wake with a body");
	hdr(&f, VSYNC_FT_LEAVE, ring.member);
	put(&f, 8);
	finish(&f);
	bad(&f, MALFORMED, "leave with a body");
	hdr(&f, VSYNC_FT_MERGE, 999);
	put(&f, 8);
	finish(&f);
	bad(&f, MALFORMED, "merge with a body");

	printf("member %u\n", ring.member);
	for (i = 0; i < NREASON; i++)
		printf("%s %u %u\n", reason_name[i], expect[0][i],
		       expect[1][i]);
}

/* ------------------------------------------------------------------ */
/* split ID=HWADDR,...                                                 */

/*
 * Joins in every member's name, each failing the next member: in a ring of
 * three, 1 fails 2, 2 fails 3 and 3 fails 1. The members must still end up
 * in one ring. The joins carry each member's real hardware address (from the
 * command line: IPoIB's receive path gives no source address), so that
 * they mislead about nothing else.
 */
static void cmd_split(const char *list)
{
	uint32_t ids[MAX_NODES];
	uint8_t addr[MAX_NODES][HWADDR_MAX], buf[FRAME_MAX];
	unsigned int n = 0, i, k, round;
	const char *p = list;
	struct frame f;

	/* ID=HWADDR,ID=HWADDR,... */
	while (*p && n < MAX_NODES) {
		ids[n] = strtoul(p, (char **)&p, 10);
		if (*p++ != '=' ||
		    parse_hwaddr(&p, addr[n]) != bcast.sll_halen)
			usage();
		n++;
		if (*p == ',')
			p++;
	}
	if (!n)
		usage();
	learn(buf, NULL);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < n; i++) {
			struct vsync_join *j;
			__be32 *set;

			hdr(&f, VSYNC_FT_JOIN, ids[i]);
			j = put(&f, sizeof(*j));
			j->max_ring_seq = htobe64(ring.ring_seq);
			j->hwaddr_len = bcast.sll_halen;
			memcpy(j->hwaddr, addr[i], bcast.sll_halen);
			j->n_proc = htons(n);
			j->n_fail = htons(1);
			set = put(&f, (n + 1) * sizeof(*set));
			/* The proc set: all; the fail set: the next one. */
			for (k = 0; k < n; k++)
				*set++ = htonl(ids[k]);
			*set = htonl(ids[(i + 1) % n]);
			finish(&f);
			send_frame(f.b, f.len);
		}
		usleep(30000);
	}
	printf("# joins of %u members each failing the next sent, 3 rounds\n",
	       n);
}

/* ------------------------------------------------------------------ */
/* token ahead|behind                                                  */

static void send_token(uint32_t src, uint64_t seq, uint64_t token_seq)
{
	struct vsync_token *t;
	struct frame f;

	t = token(&f, src, 0);
	t->token_seq = htobe64(token_seq);
	t->seq = htobe64(seq);
	t->aru = htobe64(ring.seq - 1);
	send_frame(f.b, f.len);
	printf("# ring %u:%llu, frame %llu from %u: token from %u numbered %llu sent\n",
	       ring.rep, (unsigned long long)ring.ring_seq,
	       (unsigned long long)ring.seq, ring.member, src,
	       (unsigned long long)seq);
}

static void cmd_token(const char *what, const char *list)
{
	const struct vsync_mcast *m;
	uint8_t buf[FRAME_MAX];
	uint32_t ids[MAX_NODES];
	const char *p = list;
	unsigned int n = 0, i, k;

	if (!strcmp(what, "ahead") && !list) {
		learn(buf, NULL);
		send_token(ring.member, ring.seq + TOKEN_AHEAD, UINT64_MAX / 2);
		return;
	}
	if (strcmp(what, "behind") || !list)
		usage();
	while (n < MAX_NODES && *p) {
		ids[n++] = strtoul(p, (char **)&p, 10);
		if (*p == ',')
			p++;
	}
	if (*p || n < 2)
		usage();
	m = (const void *)(buf + sizeof(struct vsync_hdr));
	for (k = 0; k < TOKEN_BEHIND; k++) {
		/* A frame its sender sent itself, not a retransmission. */
		do
			learn(buf, NULL);
		while (ntohl(m->origin) != ring.member);
		for (i = 0; i < n && ids[i] != ring.member; i++)
			;
		if (i == n)
			die("member %u is not in %s", ring.member, list);
		/* Each newer than the last, had the member taken that. */
		send_token(ids[(i + n - 1) % n], ring.seq - 1,
			   UINT64_MAX / 2 + k);
	}
}

/* ------------------------------------------------------------------ */
/* piece SEQ                                                           */

/* A message frame's headers, as kernel/ring.h's VSYNC_FRAME_FIXED. */
#define FRAME_FIXED	(sizeof(struct vsync_hdr) + sizeof(struct vsync_mcast))

/*
 * Waits for recovery frame SEQ of a ring in recovery (the one numbered
 * SEQ that comes first) and sends a copy of it that disagrees: the first
 * piece of the same old frame, but of a total 8 bytes larger, with the
 * bytes the genuine frame carried. A member that takes the copy in place
 * of the genuine frame cannot put that old frame together from the
 * genuine pieces: it must keep its ring from installing (recov.c,
 * vsync_recov_pending()) until a later recovery sends the frame again.
 * Members that hold frame SEQ drop the copy as a duplicate.
 */
static void cmd_piece(uint64_t want)
{
	int64_t deadline = now_ms() + opt_wait_ms;
	unsigned int off, total, ents, n;
	const struct vsync_recov *grc;
	const struct vsync_mcast *old;
	const struct vsync_mcast *m;
	uint8_t buf[FRAME_MAX];
	struct vsync_recov *rc;
	struct frame f;
	ssize_t len;

	while ((len = recv_frame(buf, deadline)) > 0) {
		size_t hlen = ntohl(((const struct vsync_hdr *)buf)->len);

		m = (const void *)(buf + sizeof(struct vsync_hdr));
		if (is_mcast(buf, len) &&
		    ntohs(m->flags) & VSYNC_MF_RECOVERY &&
		    be64toh(m->seq) == want &&
		    hlen >= FRAME_FIXED + sizeof(*grc) + sizeof(*old) &&
		    hlen <= (size_t)len)
			break;
	}
	if (len <= 0) {
		fprintf(stderr, "vsync-wire: no recovery frame %llu on %s in %d ms\n",
			(unsigned long long)want, opt_dev, opt_wait_ms);
		exit(2);
	}
	len = ntohl(((const struct vsync_hdr *)buf)->len);
	grc = (const void *)(buf + FRAME_FIXED);
	old = (const void *)(grc + 1);
	n = len - FRAME_FIXED - sizeof(*grc) - sizeof(*old);
	off = ntohs(grc->piece_off);
	total = ntohs(grc->piece_total);
	ents = total ? total : n;
	if (ents + 8 > 0xffff)
		die("recovery frame %llu: an old frame of %u bytes",
		    (unsigned long long)want, ents);

	f.len = 0;
	memcpy(put(&f, FRAME_FIXED), buf, FRAME_FIXED);
	rc = put(&f, sizeof(*rc));
	*rc = *grc;
	rc->piece_off = 0;
	rc->piece_total = htons(ents + 8);
	memcpy(put(&f, sizeof(*old)), old, sizeof(*old));
	memcpy(put(&f, n), old + 1, n);
	finish(&f);
	send_frame(f.b, f.len);
	printf("recovery frame %llu: old frame %llu from %u, genuine piece %u+%u of %u, sent piece 0+%u of %u\n",
	       (unsigned long long)want, (unsigned long long)be64toh(old->seq),
	       ntohl(old->origin), off, n, total, n, ents + 8);
}

/* ------------------------------------------------------------------ */
/* fuzz SEED N                                                         */

static struct frame corpus[CORPUS_MAX];
static unsigned int n_corpus;

static void corpus_add(const void *b, size_t len)
{
	if (n_corpus == CORPUS_MAX || len > FRAME_MAX)
		return;
	memcpy(corpus[n_corpus].b, b, len);
	corpus[n_corpus++].len = len;
}

static void mutate(struct frame *f)
{
	int k, n = 1 + random() % 4;
	uint32_t v;
	size_t off;

	for (k = 0; k < n; k++) {
		off = f->len ? random() % f->len : 0;
		switch (random() % 8) {
		case 0:		/* a bit */
			if (f->len)
				f->b[off] ^= 1 << (random() % 8);
			break;
		case 1:		/* a byte */
			if (f->len)
				f->b[off] = random();
			break;
		case 2:		/* an extreme byte */
			if (f->len)
				f->b[off] = random() & 1 ? 0xff : 0;
			break;
		case 3:		/* cut short */
			f->len = off;
			break;
		case 4:		/* longer */
			while (f->len < mtu && random() % 8)
				f->b[f->len++] = random();
			break;
		case 5:		/* another type */
			if (f->len > 1)
				f->b[1] = 1 + random() % (__VSYNC_FT_MAX - 1);
			break;
		case 6:		/* the length field */
			if (f->len >= 8) {
				v = htonl(random() % (f->len + 64));
				memcpy(f->b + 4, &v, sizeof(v));
			}
			break;
		case 7:		/* a 32-bit field past the header */
			if (f->len >= 28) {
				off = 24 + 4 * (random() % ((f->len - 24) / 4));
				v = random() & 1 ? htonl(random() % 64) :
						   (uint32_t)random();
				memcpy(f->b + off, &v, sizeof(v));
			}
			break;
		}
	}
	if (random() % 4)	/* keep most a frame of our version */
		f->b[0] = VSYNC_PROTOCOL_VERSION;
}

static void cmd_fuzz(unsigned int seed, long count)
{
	uint8_t buf[FRAME_MAX];
	int64_t deadline;
	struct frame f;
	unsigned int i;
	ssize_t n;
	long k;

	learn(buf, &n);
	corpus_add(buf, n);
	deadline = now_ms() + opt_wait_ms;
	while ((n = recv_frame(buf, deadline)) > 0)
		if (n_corpus < CORPUS_MAX - __VSYNC_FT_MAX)
			corpus_add(buf, n);
	printf("# ring %u:%llu, member %u, %u frames collected\n", ring.rep,
	       (unsigned long long)ring.ring_seq, ring.member, n_corpus);
	mcast_one(&f, ring.seq + 1);
	corpus_add(f.b, f.len);
	token(&f, ring.member, 3);
	corpus_add(f.b, f.len);
	join(&f, ring.member, 3);
	corpus_add(f.b, f.len);
	commit(&f, 3);
	corpus_add(f.b, f.len);
	for (i = VSYNC_FT_LEAVE; i < __VSYNC_FT_MAX; i++) {
		hdr(&f, i, ring.member);
		finish(&f);
		corpus_add(f.b, f.len);
	}

	srandom(seed);
	for (k = 0; k < count; k++) {
		f = corpus[random() % n_corpus];
		mutate(&f);
		if (f.len)
			send_frame(f.b, f.len);
	}
	printf("# %ld mutated frames sent, seed %u\n", count, seed);
}

int main(int argc, char **argv)
{
	char *end;
	int c;

	while ((c = getopt(argc, argv, "i:e:w:TR:")) != -1) {
		switch (c) {
		case 'i': opt_dev = optarg; break;
		case 'e':
			opt_ethertype = strtoul(optarg, &end, 0);
			if (*end || !opt_ethertype || opt_ethertype > 0xffff)
				usage();
			break;
		case 'w': opt_wait_ms = atoi(optarg); break;
		case 'T': opt_paged = true; break;
		case 'R': opt_ready = optarg; break;
		default: usage();
		}
	}
	if (!opt_dev || optind >= argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	open_socket();
	if (opt_paged)
		open_tx_ring();
	if (opt_ready) {
		FILE *f = fopen(opt_ready, "w");

		if (!f || fclose(f))
			die("%s: %s", opt_ready, strerror(errno));
	}

	if (!strcmp(argv[optind], "frames") && optind + 2 == argc) {
		cmd_frames(strtol(argv[optind + 1], NULL, 0));
	} else if (!strcmp(argv[optind], "bad") && optind + 1 == argc) {
		cmd_bad();
	} else if (!strcmp(argv[optind], "split") && optind + 2 == argc) {
		cmd_split(argv[optind + 1]);
	} else if (!strcmp(argv[optind], "token") && optind + 2 <= argc &&
		   optind + 3 >= argc) {
		cmd_token(argv[optind + 1], argv[optind + 2]);
	} else if (!strcmp(argv[optind], "piece") && optind + 2 == argc) {
		cmd_piece(strtoull(argv[optind + 1], NULL, 0));
	} else if (!strcmp(argv[optind], "fuzz") && optind + 3 == argc) {
		cmd_fuzz(strtoul(argv[optind + 1], NULL, 0),
			 strtol(argv[optind + 2], NULL, 0));
	} else {
		usage();
	}
	return 0;
}
