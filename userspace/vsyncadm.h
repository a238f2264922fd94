/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsyncadm: what the command files share.
 */
#ifndef VSYNCADM_H
#define VSYNCADM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/vsync.h>

#include "genl.h"

#ifndef VSYNCADM_VERSION
#define VSYNCADM_VERSION "0.1.0"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit status, see the man page. */
enum {
	RC_OK = 0,
	RC_USAGE = 1,		/* usage error or bad argument */
	RC_KERNEL = 2,		/* the kernel refused the request */
	RC_NO_MODULE = 3,	/* generic netlink family "vsync" not found */
	RC_SYSTEM = 4,		/* any other failure */
};

/* ---- the command being run (vsyncadm.c) ---------------------------- */

/* "ring add" etc., for messages. */
extern const char *cur_cmd;
/* Usage of the current object, for help and usage errors. */
extern const char *cur_usage;
/* VSYNCADM_NO_CLIENT_CHECKS=1: leave range checks to the kernel. */
extern bool no_client_checks;
/* Running a batch: commands that cannot be batched refuse. */
extern bool in_batch;

/* ---- messages and arguments (util.c) ------------------------------- */

void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "vsyncadm: CMD: reason" and the usage to stderr: RC_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "vsyncadm: CMD: reason" to stderr: RC_USAGE. */
int arg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the usage to stdout: RC_OK. */
int show_help(void);
bool is_help(const char *word);

/*
 * Find @word in @words[0..n-1]: an exact match, or else a prefix of
 * exactly one word. Returns its index, or -1 after printing why not
 * (@what names the kind of word: "keyword", "command").
 */
int match_word(const char *word, const char *const *words, size_t n,
	       const char *what);

/* Arguments: each returns 0, or RC_USAGE after printing why. */
int parse_u32(const char *name, const char *s, uint32_t min, uint32_t max,
	      uint32_t *value);
/* The same for a u16, with the range in hexadecimal (an EtherType). */
int parse_u16(const char *name, const char *s, uint16_t min, uint16_t max,
	      uint16_t *value);
int parse_dev(const char *s, const char **dev);
int parse_hwaddr(const char *name, const char *s, uint8_t *addr,
		 size_t *len);
/* The value after keyword argv[0]; RC_USAGE if there is none. */
int need_value(int argc, char **argv);

/* Parse attributes of a message or a nest by a table of types. */
int parse_attrs(const struct nlmsghdr *nlh,
		const enum mnl_attr_data_type *policy, unsigned int max,
		const struct nlattr **tb);
int parse_nested(const struct nlattr *nest,
		 const enum mnl_attr_data_type *policy, unsigned int max,
		 const struct nlattr **tb);

/*
 * The generic netlink socket to the vsync family, opened on first use.
 * NULL after printing why, with *rc set to RC_NO_MODULE or RC_SYSTEM.
 */
struct genl_sock *vsync_genl(int *rc);
void vsync_genl_close(void);
/* Print why a request failed; returns RC_KERNEL or RC_SYSTEM. */
int genl_failed(struct genl_sock *gs);

/* ---- rings (ring.c), shared by member, stats and monitor ------------ */

int ring_parse(const struct nlmsghdr *nlh, const struct nlattr **tb);
/* Get one ring (@dev) or all rings; returns an exit status. */
int ring_fetch(const char *dev, struct genl_reply *reply);
int ring_for_each(const char *dev,
		  void (*print)(const struct nlattr **tb, void *arg),
		  void *arg);
/* The whole ring: text lines, or a JSON object. */
void ring_print(const struct nlattr **tb);
/* The same without the JSON object around it. */
void ring_print_fields(const struct nlattr **tb);
const char *ring_name(const struct nlattr **tb);
void ring_print_ident(const struct nlattr **tb);
const char *ring_attr_name(int type);
/* One VSYNC_A_MEMBER nest; -1 if it is something else. */
int member_parse(const struct nlattr *member, const struct nlattr **mtb);
/* "[dev DEV]"; returns an exit status, or -1 when help was asked for. */
int parse_dev_only(int argc, char **argv, const char **dev);

/* ---- statistics (stats.c) ----------------------------------------- */

/*
 * The counters of a VSYNC_A_RING_STATS nest: "name value" text lines, or
 * a JSON object "stats". Text leaves out drop counters that are zero
 * unless @all; JSON always has every counter the kernel sent.
 */
void stats_print(const struct nlattr *stats, bool all);

/* ---- the commands ------------------------------------------------- */

int do_info(int argc, char **argv);
int do_ring_add(int argc, char **argv);
int do_ring_del(int argc, char **argv);
int do_ring_show(int argc, char **argv);
int do_member_show(int argc, char **argv);
int do_group_show(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);

extern const char info_usage[];
extern const char ring_usage[];
extern const char member_usage[];
extern const char group_usage[];
extern const char stats_usage[];
extern const char monitor_usage[];

#endif
