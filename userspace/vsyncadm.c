// SPDX-License-Identifier: GPL-2.0
/*
 * vsyncadm: configure and inspect vsync rings.
 *
 * main(): global options, the table of objects and commands, help, and
 * batch mode. The commands themselves are in ring.c, member.c, group.c, stats.c,
 * monitor.c and info.c.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "vsyncadm.h"

const char *cur_cmd;
const char *cur_usage;
bool no_client_checks;
bool in_batch;

static const char main_usage[] =
	"Usage: vsyncadm [ OPTIONS ] OBJECT [ COMMAND [ ARGUMENTS ] | help ]\n"
	"       vsyncadm [ OPTIONS ] -batch FILE\n"
	"       vsyncadm help [ OBJECT ]\n"
	"where  OBJECT  := { info | ring | member | group | stats | monitor }\n"
	"       OPTIONS := { -j[son] | -p[retty] | -b[atch] FILE | -f[orce] |\n"
	"                    -V[ersion] | -h[elp] }\n"
	"Objects, commands and keywords may be abbreviated to any unique prefix.\n"
	"Exit status: 0 success, 1 usage error or bad argument, 2 the kernel\n"
	"refused the request, 3 the vsync module is not loaded, 4 other error.\n";

/* ---- the table of objects and commands ----------------------------- */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

struct object {
	const char *name;
	const char *usage;
	/* Either commands (the first one is the default), or run. */
	const struct command *commands;
	size_t ncommands;
	int (*run)(int argc, char **argv);
};

static const struct command ring_commands[] = {
	{ "show", do_ring_show },
	{ "add", do_ring_add },
	{ "del", do_ring_del },
	{ "help", NULL },
};

static const struct command member_commands[] = {
	{ "show", do_member_show },
	{ "help", NULL },
};

static const struct command group_commands[] = {
	{ "show", do_group_show },
	{ "help", NULL },
};

static const struct object objects[] = {
	{ "info", info_usage, NULL, 0, do_info },
	{ "ring", ring_usage, ring_commands, ARRAY_SIZE(ring_commands), NULL },
	{ "member", member_usage, member_commands,
	  ARRAY_SIZE(member_commands), NULL },
	{ "group", group_usage, group_commands,
	  ARRAY_SIZE(group_commands), NULL },
	{ "stats", stats_usage, NULL, 0, do_stats },
	{ "monitor", monitor_usage, NULL, 0, do_monitor },
	{ "help", main_usage, NULL, 0, NULL },
};

#define MAX_NAMES 16

static int find_object(const char *word)
{
	const char *names[MAX_NAMES];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(objects); i++)
		names[i] = objects[i].name;
	return match_word(word, names, ARRAY_SIZE(objects), "object");
}

static int find_command(const struct object *obj, const char *word)
{
	const char *names[MAX_NAMES];
	size_t i;

	for (i = 0; i < obj->ncommands; i++)
		names[i] = obj->commands[i].name;
	return match_word(word, names, obj->ncommands, "command");
}

/* "vsyncadm help [OBJECT]" */
static int do_help(int argc, char **argv)
{
	int k;

	if (argc == 0)
		return show_help();
	if (argc > 1)
		return usage_error("too many arguments");
	k = find_object(argv[0]);
	if (k < 0)
		return RC_USAGE;
	fputs(objects[k].usage, stdout);
	return RC_OK;
}

/* Run "OBJECT [COMMAND] [ARGUMENTS]"; returns the exit status. */
static int run_command(int argc, char **argv)
{
	static char name[64];
	const struct object *obj;
	const struct command *cmd;
	int k;

	cur_cmd = NULL;
	cur_usage = main_usage;
	if (argc == 0)
		return usage_error("no OBJECT given");

	k = find_object(argv[0]);
	if (k < 0)
		return RC_USAGE;
	obj = &objects[k];
	cur_cmd = obj->name;
	cur_usage = obj->usage;
	argc--, argv++;

	if (strcmp(obj->name, "help") == 0)
		return do_help(argc, argv);
	if (obj->run)
		return obj->run(argc, argv);

	if (argc == 0) {
		cmd = &obj->commands[0];
	} else {
		k = find_command(obj, argv[0]);
		if (k < 0)
			return RC_USAGE;
		cmd = &obj->commands[k];
		argc--, argv++;
	}
	if (!cmd->run)
		return show_help();

	snprintf(name, sizeof(name), "%s %s", obj->name, cmd->name);
	cur_cmd = name;
	return cmd->run(argc, argv);
}

/* ---- batch mode --------------------------------------------------- */

#define MAX_ARGS 64

/*
 * Split @line into words, in place: blanks separate words, quotes ('' or
 * "") group them, and a word starting with # starts a comment. Returns
 * the number of words, or -1 after printing why the line is bad.
 */
static int split_line(char *line, char **argv)
{
	char *p = line, *out;
	int argc = 0;

	for (;;) {
		char end;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			return argc;
		if (argc == MAX_ARGS) {
			fprintf(stderr, "vsyncadm: more than %d words\n",
				MAX_ARGS);
			return -1;
		}

		argv[argc++] = out = p;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"' || *p == '\'') {
				char quote = *p++;

				while (*p && *p != quote)
					*out++ = *p++;
				if (*p != quote) {
					fprintf(stderr,
						"vsyncadm: unterminated quote\n");
					return -1;
				}
				p++;
			} else {
				*out++ = *p++;
			}
		}
		end = *p;
		*out = '\0';
		if (end == '\0')
			return argc;
		p++;
	}
}

/*
 * Run one command per line of @file ("-" is stdin). Stops at the first
 * failure unless @force. Returns 0, or the status of the first failure.
 */
static int run_batch(const char *file, bool force)
{
	const char *name = strcmp(file, "-") ? file : "<stdin>";
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *line = NULL, *argv[MAX_ARGS];
	unsigned int lineno = 0;
	size_t cap = 0;
	int argc, rc, first_rc = RC_OK;

	if (!f) {
		fprintf(stderr, "vsyncadm: cannot open %s: %s\n", file,
			strerror(errno));
		return RC_SYSTEM;
	}

	in_batch = true;
	print_batch_start();
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		argc = split_line(line, argv);
		if (argc == 0)
			continue;

		print_cmd_start();
		rc = argc < 0 ? RC_USAGE : run_command(argc, argv);
		print_cmd_end();
		print_flush();

		if (rc) {
			fprintf(stderr, "vsyncadm: %s:%u: command failed\n",
				name, lineno);
			if (!first_rc)
				first_rc = rc;
			if (!force)
				break;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "vsyncadm: cannot read %s: %s\n", name,
			strerror(errno));
		if (!first_rc)
			first_rc = RC_SYSTEM;
	}
	print_batch_end();
	in_batch = false;

	free(line);
	if (f != stdin)
		fclose(f);
	return first_rc;
}

/* ---- main --------------------------------------------------------- */

/* The exit status @rc, unless the output could not be written. */
static int finish(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vsyncadm: cannot write the output: %s\n",
			strerror(errno));
		if (!rc)
			rc = RC_SYSTEM;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "pretty",	no_argument,		NULL, 'p' },
		{ "batch",	required_argument,	NULL, 'b' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *batch = NULL, *env;
	bool json = false, pretty = false, force = false;
	int opt, rc;

	env = getenv("VSYNCADM_NO_CLIENT_CHECKS");
	no_client_checks = env && *env && strcmp(env, "0") != 0;

	/*
	 * "+": options end at the first word, so that "stats -s" keeps its
	 * -s. getopt_long_only() also takes ip's "-json", "-batch FILE".
	 */
	while ((opt = getopt_long_only(argc, argv, "+jpb:fVh", options,
				       NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'V':
			printf("vsyncadm %s\n", VSYNCADM_VERSION);
			return finish(RC_OK);
		case 'h':
			fputs(main_usage, stdout);
			return finish(RC_OK);
		default:
			fputs(main_usage, stderr);
			return RC_USAGE;
		}
	}

	print_init(stdout, json, pretty);

	if (batch) {
		if (optind < argc) {
			fprintf(stderr, "vsyncadm: -batch takes no command on the command line\n");
			fputs(main_usage, stderr);
			return RC_USAGE;
		}
		rc = run_batch(batch, force);
	} else {
		print_cmd_start();
		rc = run_command(argc - optind, argv + optind);
		print_cmd_end();
	}

	vsync_genl_close();
	return finish(rc);
}
