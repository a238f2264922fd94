// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny streaming JSON writer, see json.h.
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(struct json_writer *jw, FILE *out, bool pretty)
{
	memset(jw, 0, sizeof(*jw));
	jw->out = out;
	jw->pretty = pretty;
}

static void newline_indent(struct json_writer *jw)
{
	unsigned int i;

	fputc('\n', jw->out);
	for (i = 0; i < jw->depth; i++)
		fputs("    ", jw->out);
}

/* Everything that must come before a value or a name. */
static void separate(struct json_writer *jw)
{
	if (jw->depth == 0)
		return;
	if (!jw->empty[jw->depth])
		fputc(',', jw->out);
	jw->empty[jw->depth] = false;
	if (jw->pretty)
		newline_indent(jw);
}

static void begin_value(struct json_writer *jw)
{
	jw->values++;
	if (jw->after_name) {
		jw->after_name = false;
		return;
	}
	/* Inside an object a value needs a name first. */
	assert(jw->depth == 0 || jw->kind[jw->depth] == '[');
	separate(jw);
}

/* After a complete value: top-level values end their line. */
static void end_value(struct json_writer *jw)
{
	if (jw->depth == 0) {
		fputc('\n', jw->out);
		jw->top_values++;
	}
}

void json_name(struct json_writer *jw, const char *name)
{
	assert(jw->depth > 0 && jw->kind[jw->depth] == '{');
	assert(!jw->after_name);
	separate(jw);
	json_write_escaped(jw->out, name);
	fputs(jw->pretty ? ": " : ":", jw->out);
	jw->after_name = true;
}

static void start_container(struct json_writer *jw, char kind)
{
	begin_value(jw);
	assert(jw->depth + 1 < JSON_MAX_DEPTH);
	fputc(kind, jw->out);
	jw->depth++;
	jw->kind[jw->depth] = kind;
	jw->empty[jw->depth] = true;
}

static void end_container(struct json_writer *jw, char kind)
{
	bool empty;

	assert(jw->depth > 0 && jw->kind[jw->depth] == kind);
	assert(!jw->after_name);
	empty = jw->empty[jw->depth];
	jw->depth--;
	if (jw->pretty && !empty)
		newline_indent(jw);
	fputc(kind == '{' ? '}' : ']', jw->out);
	end_value(jw);
}

void json_start_object(struct json_writer *jw)
{
	start_container(jw, '{');
}

void json_end_object(struct json_writer *jw)
{
	end_container(jw, '{');
}

void json_start_array(struct json_writer *jw)
{
	start_container(jw, '[');
}

void json_end_array(struct json_writer *jw)
{
	end_container(jw, '[');
}

void json_string(struct json_writer *jw, const char *s)
{
	begin_value(jw);
	json_write_escaped(jw->out, s);
	end_value(jw);
}

void json_u64(struct json_writer *jw, uint64_t v)
{
	begin_value(jw);
	fprintf(jw->out, "%" PRIu64, v);
	end_value(jw);
}

void json_i64(struct json_writer *jw, int64_t v)
{
	begin_value(jw);
	fprintf(jw->out, "%" PRId64, v);
	end_value(jw);
}

void json_bool(struct json_writer *jw, bool v)
{
	begin_value(jw);
	fputs(v ? "true" : "false", jw->out);
	end_value(jw);
}

void json_null(struct json_writer *jw)
{
	begin_value(jw);
	fputs("null", jw->out);
	end_value(jw);
}

void json_close_to(struct json_writer *jw, unsigned int depth)
{
	if (jw->after_name)
		json_null(jw);
	while (jw->depth > depth)
		end_container(jw, jw->kind[jw->depth]);
}

/*
 * Length of the valid UTF-8 sequence at @s, or 0 if it is not valid:
 * no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_valid_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;

	/* The second byte has a narrower range for a few lead bytes. */
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */

	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void json_write_escaped(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;

	fputc('"', out);
	while (*s) {
		unsigned char c = *s;

		if (c >= 0x80) {
			len = utf8_valid_len(s);
			if (len) {
				fwrite(s, 1, len, out);
				s += len;
			} else {
				fputs("\\ufffd", out);
				s++;
			}
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
		s++;
	}
	fputc('"', out);
}
