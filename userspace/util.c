// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm: messages, argument parsing, the netlink socket.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/if.h>

#include "vsyncadm.h"

/* ---- messages ----------------------------------------------------- */

static void __attribute__((format(printf, 1, 0)))
vmessage(const char *fmt, va_list ap)
{
	fputs("vsyncadm: ", stderr);
	if (cur_cmd)
		fprintf(stderr, "%s: ", cur_cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("vsyncadm: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	if (cur_usage)
		fputs(cur_usage, stderr);
	return RC_USAGE;
}

int arg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return RC_USAGE;
}

int show_help(void)
{
	if (cur_usage)
		fputs(cur_usage, stdout);
	return RC_OK;
}

bool is_help(const char *word)
{
	return strcmp(word, "help") == 0;
}

/* ---- arguments ---------------------------------------------------- */

int match_word(const char *word, const char *const *words, size_t n,
	       const char *what)
{
	size_t len = strlen(word), i;
	int found = -1, matches = 0;

	for (i = 0; i < n; i++)
		if (strcmp(word, words[i]) == 0)
			return (int)i;

	if (len > 0) {
		for (i = 0; i < n; i++) {
			if (strncmp(word, words[i], len) == 0) {
				found = (int)i;
				matches++;
			}
		}
	}
	if (matches == 1)
		return found;

	if (matches == 0) {
		usage_error("unknown %s \"%s\"", what, word);
		return -1;
	}

	fprintf(stderr, "vsyncadm: %s%s\"%s\" is ambiguous, it could be:",
		cur_cmd ? cur_cmd : "", cur_cmd ? ": " : "", word);
	for (i = 0; i < n; i++)
		if (strncmp(word, words[i], len) == 0)
			fprintf(stderr, " %s", words[i]);
	fputc('\n', stderr);
	return -1;
}

int need_value(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("\"%s\" needs a value", argv[0]);
	return 0;
}

/*
 * A number in [min, max], or only up to @limit, the size of its type,
 * when client checks are off.
 */
static int parse_uint(const char *name, const char *s, uint32_t min,
		      uint32_t max, uint32_t limit, bool hex, uint32_t *value)
{
	const char *digits = s;
	unsigned long long v;
	int base = 10;
	char *end;

	/* Decimal, or hexadecimal after "0x". */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	/* strtoull() itself would accept blanks and a sign first. */
	if (base == 10 ? !isdigit((unsigned char)digits[0]) :
			 !isxdigit((unsigned char)digits[0]))
		goto nan;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (*end)
		goto nan;
	if (no_client_checks) {
		min = 0;
		max = limit;
	}
	if (errno == ERANGE || v < min || v > max)
		return arg_error(hex ? "%s: %s is out of range, allowed: 0x%04x..0x%04x" :
				       "%s: %s is out of range, allowed: %u..%u",
				 name, s, min, max);
	*value = (uint32_t)v;
	return 0;

nan:
	return arg_error("%s: \"%s\" is not a number", name, s);
}

int parse_u32(const char *name, const char *s, uint32_t min, uint32_t max,
	      uint32_t *value)
{
	return parse_uint(name, s, min, max, UINT32_MAX, false, value);
}

int parse_u16(const char *name, const char *s, uint16_t min, uint16_t max,
	      uint16_t *value)
{
	uint32_t v;
	int rc = parse_uint(name, s, min, max, UINT16_MAX, true, &v);

	if (rc == 0)
		*value = (uint16_t)v;
	return rc;
}

int parse_dev(const char *s, const char **dev)
{
	if (!s[0])
		return arg_error("dev: the device name is empty");
	if (strlen(s) >= IFNAMSIZ)
		return arg_error("dev: \"%s\": device name too long (at most %d characters)",
				 s, IFNAMSIZ - 1);
	*dev = s;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_hwaddr(const char *name, const char *s, uint8_t *addr,
		 size_t *len)
{
	const char *p = s;
	size_t n = 0;

	for (;;) {
		int hi = hexval(p[0]), lo;

		if (hi < 0 || n == VSYNC_HWADDR_MAX)
			goto bad;
		lo = hexval(p[1]);
		if (lo < 0) {
			addr[n++] = (uint8_t)hi;	/* one digit: "0:1b:..." */
			p += 1;
		} else {
			addr[n++] = (uint8_t)(hi << 4 | lo);
			p += 2;
		}
		if (*p == '\0')
			break;
		if (*p != ':')
			goto bad;
		p++;
	}
	*len = n;
	return 0;

bad:
	return arg_error("%s: \"%s\" is not a hardware address (XX:XX:..., at most %d bytes)",
			 name, s, VSYNC_HWADDR_MAX);
}

/* ---- attributes --------------------------------------------------- */

struct attr_table {
	const enum mnl_attr_data_type *policy;
	unsigned int max;
	const struct nlattr **tb;
};

static int attr_table_cb(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	/* Attributes newer than this program, or malformed, are skipped. */
	if (type > t->max)
		return MNL_CB_OK;
	if (t->policy[type] != MNL_TYPE_UNSPEC &&
	    mnl_attr_validate(attr, t->policy[type]) < 0)
		return MNL_CB_OK;
	t->tb[type] = attr;
	return MNL_CB_OK;
}

int parse_attrs(const struct nlmsghdr *nlh,
		const enum mnl_attr_data_type *policy, unsigned int max,
		const struct nlattr **tb)
{
	struct attr_table t = { policy, max, tb };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return genl_parse(nlh, attr_table_cb, &t);
}

int parse_nested(const struct nlattr *nest,
		 const enum mnl_attr_data_type *policy, unsigned int max,
		 const struct nlattr **tb)
{
	struct attr_table t = { policy, max, tb };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse_nested(nest, attr_table_cb, &t) < 0 ? -1 : 0;
}

/* ---- the netlink socket ------------------------------------------- */

static struct genl_sock vsync_sock;
static bool vsync_open;

struct genl_sock *vsync_genl(int *rc)
{
	struct genl_error *e = &vsync_sock.error;

	if (vsync_open)
		return &vsync_sock;

	if (genl_open(&vsync_sock, VSYNC_GENL_NAME, VSYNC_GENL_VERSION) == 0) {
		vsync_open = true;
		return &vsync_sock;
	}

	if (e->from_kernel && e->err == ENOENT) {
		fprintf(stderr,
			"vsyncadm: the vsync module is not loaded (generic netlink family \"%s\" not found); try: modprobe vsync\n",
			VSYNC_GENL_NAME);
		*rc = RC_NO_MODULE;
	} else {
		fprintf(stderr,
			"vsyncadm: cannot open generic netlink family \"%s\": %s\n",
			VSYNC_GENL_NAME, strerror(e->err));
		*rc = RC_SYSTEM;
	}
	return NULL;
}

void vsync_genl_close(void)
{
	if (vsync_open)
		genl_close(&vsync_sock);
	vsync_open = false;
}

int genl_failed(struct genl_sock *gs)
{
	const struct genl_error *e = &gs->error;

	fprintf(stderr, "vsyncadm: %s: %s", cur_cmd ? cur_cmd : "request",
		strerror(e->err));
	if (e->msg[0])
		fprintf(stderr, ": %s", e->msg);
	if (e->bad_attr >= 0)
		fprintf(stderr, " (attribute %s)", ring_attr_name(e->bad_attr));
	if (e->missing_attr >= 0)
		fprintf(stderr, " (missing attribute %s)",
			ring_attr_name(e->missing_attr));
	fputc('\n', stderr);
	return e->from_kernel ? RC_KERNEL : RC_SYSTEM;
}
