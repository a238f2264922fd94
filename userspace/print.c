// SPDX-License-Identifier: GPL-2.0
/*
 * One output API for text and JSON, see print.h.
 */
#include <stdarg.h>

#include "json.h"
#include "print.h"

static FILE *out;
static bool json;
static struct json_writer jw;

static bool in_batch;
static unsigned int cmd_depth;		/* JSON depth when the command began */
static unsigned long cmd_values;	/* JSON values when the command began */

void print_init(FILE *o, bool j, bool pretty)
{
	out = o;
	json = j;
	json_init(&jw, out, pretty);
}

bool print_is_json(void)
{
	return json;
}

static bool want_json(enum print_type type)
{
	return json && (type & PRINT_JSON);
}

static bool want_text(enum print_type type)
{
	return !json && (type & PRINT_TEXT);
}

/* In an object, a JSON value needs its key first. */
static void key(const char *k)
{
	if (k)
		json_name(&jw, k);
}

void print_open_object(const char *k)
{
	if (!json)
		return;
	key(k);
	json_start_object(&jw);
}

void print_close_object(void)
{
	if (json)
		json_end_object(&jw);
}

void print_open_array(const char *k)
{
	if (!json)
		return;
	key(k);
	json_start_array(&jw);
}

void print_close_array(void)
{
	if (json)
		json_end_array(&jw);
}

/*
 * The text formats come from the callers' string literals; the compiler
 * cannot check them here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void print_string(enum print_type type, const char *k, const char *fmt,
		  const char *value)
{
	if (want_json(type)) {
		key(k);
		json_string(&jw, value);
	} else if (want_text(type)) {
		fprintf(out, fmt, value);
	}
}

void print_u32(enum print_type type, const char *k, const char *fmt,
	       uint32_t value)
{
	if (want_json(type)) {
		key(k);
		json_u64(&jw, value);
	} else if (want_text(type)) {
		fprintf(out, fmt, value);
	}
}

void print_u64(enum print_type type, const char *k, const char *fmt,
	       uint64_t value)
{
	if (want_json(type)) {
		key(k);
		json_u64(&jw, value);
	} else if (want_text(type)) {
		fprintf(out, fmt, value);
	}
}

#pragma GCC diagnostic pop

void print_bool(enum print_type type, const char *k, const char *text,
		bool value)
{
	if (want_json(type)) {
		key(k);
		json_bool(&jw, value);
	} else if (want_text(type) && value) {
		fputs(text, out);
	}
}

void print_hwaddr(enum print_type type, const char *k, const char *fmt,
		  const uint8_t *addr, size_t len)
{
	char buf[3 * 64 + 1] = "";
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 <= sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%02x",
			      i ? ":" : "", addr[i]);
	print_string(type, k, fmt, buf);
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (json)
		return;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

void print_nl(void)
{
	if (!json)
		fputc('\n', out);
}

void print_batch_start(void)
{
	in_batch = true;
	if (json)
		json_start_array(&jw);
}

void print_batch_end(void)
{
	if (json)
		json_close_to(&jw, 0);
	in_batch = false;
}

void print_cmd_start(void)
{
	cmd_depth = jw.depth;
	cmd_values = jw.values;
}

void print_cmd_end(void)
{
	if (!json)
		return;
	json_close_to(&jw, cmd_depth);
	if (in_batch && jw.values == cmd_values)
		json_null(&jw);
}

int print_flush(void)
{
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}
