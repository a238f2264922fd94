/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer.
 *
 * Values are written as they come; the writer only remembers how deep it
 * is and whether a separator is needed. Inside an object, every value is
 * preceded by json_name(). A value completed at the top level is followed
 * by a newline, so consecutive top-level values form "JSON lines".
 *
 * Strings are escaped as RFC 8259 requires; bytes that are not valid UTF-8
 * are replaced by U+FFFD so the output is always valid JSON.
 */
#ifndef VSYNCADM_JSON_H
#define VSYNCADM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *out;
	bool pretty;
	unsigned int depth;
	bool after_name;		/* a name was written, its value is due */
	bool empty[JSON_MAX_DEPTH];	/* no member written yet at this depth */
	char kind[JSON_MAX_DEPTH];	/* '{' or '[' for each open container */
	unsigned long top_values;	/* values completed at depth 0 */
	unsigned long values;		/* values started, at any depth */
};

void json_init(struct json_writer *jw, FILE *out, bool pretty);

void json_name(struct json_writer *jw, const char *name);

void json_start_object(struct json_writer *jw);
void json_end_object(struct json_writer *jw);
void json_start_array(struct json_writer *jw);
void json_end_array(struct json_writer *jw);

void json_string(struct json_writer *jw, const char *s);
void json_u64(struct json_writer *jw, uint64_t v);
void json_i64(struct json_writer *jw, int64_t v);
void json_bool(struct json_writer *jw, bool v);
void json_null(struct json_writer *jw);

/*
 * Close every container deeper than @depth (writing null for a name left
 * without a value), so that output cut short by an error stays valid.
 */
void json_close_to(struct json_writer *jw, unsigned int depth);

/* Write @s as a quoted, escaped JSON string to @out. */
void json_write_escaped(FILE *out, const char *s);

#endif
