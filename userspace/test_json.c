// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the JSON writer: escaping and structure.
 * Run by "make test"; prints one line per check, exits 1 on a failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static int failures;

static void check(const char *name, const char *got, const char *want)
{
	if (strcmp(got, want) == 0) {
		printf("ok - %s\n", name);
		return;
	}
	printf("not ok - %s\n#   got:  %s\n#   want: %s\n", name, got, want);
	failures++;
}

/* Output of json_write_escaped(@s), in a static buffer. */
static const char *escaped(const char *s)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (!f) {
		perror("fmemopen");
		exit(2);
	}
	json_write_escaped(f, s);
	fclose(f);
	return buf;
}

/* A writer into memory; end() returns what it wrote. */
static char *mem;
static size_t mem_len;
static FILE *mem_file;

static void begin(struct json_writer *jw, bool pretty)
{
	mem_file = open_memstream(&mem, &mem_len);
	if (!mem_file) {
		perror("open_memstream");
		exit(2);
	}
	json_init(jw, mem_file, pretty);
}

static const char *end(void)
{
	fclose(mem_file);
	return mem;
}

static void test_escaping(void)
{
	check("plain string", escaped("eth0"), "\"eth0\"");
	check("empty string", escaped(""), "\"\"");
	check("quotes", escaped("say \"hi\""), "\"say \\\"hi\\\"\"");
	check("backslashes", escaped("a\\b\\\\c"), "\"a\\\\b\\\\\\\\c\"");
	check("short escapes", escaped("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	check("other control characters", escaped("\x01\x1f x\x7f"),
	      "\"\\u0001\\u001f x\\u007f\"");
	check("slash is not escaped", escaped("a/b"), "\"a/b\"");
	check("valid UTF-8 is kept", escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	check("invalid byte", escaped("a\xff" "b"), "\"a\\ufffdb\"");
	check("lone continuation byte", escaped("\x80"), "\"\\ufffd\"");
	check("overlong NUL", escaped("\xc0\x80"), "\"\\ufffd\\ufffd\"");
	check("overlong 3 bytes", escaped("\xe0\x80\xaf"),
	      "\"\\ufffd\\ufffd\\ufffd\"");
	check("surrogate", escaped("\xed\xa0\x80"),
	      "\"\\ufffd\\ufffd\\ufffd\"");
	check("above U+10FFFF", escaped("\xf4\x90\x80\x80"),
	      "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check("truncated sequence at the end", escaped("\xe2\x82"),
	      "\"\\ufffd\\ufffd\"");
	check("truncated sequence before ASCII", escaped("\xe2\x82z"),
	      "\"\\ufffd\\ufffdz\"");
}

static void write_sample(struct json_writer *jw)
{
	json_start_object(jw);
	json_name(jw, "name");
	json_string(jw, "a\"b");
	json_name(jw, "n");
	json_u64(jw, UINT64_MAX);
	json_name(jw, "neg");
	json_i64(jw, -5);
	json_name(jw, "list");
	json_start_array(jw);
	json_u64(jw, 1);
	json_bool(jw, true);
	json_null(jw);
	json_start_object(jw);
	json_end_object(jw);
	json_end_array(jw);
	json_name(jw, "empty");
	json_start_array(jw);
	json_end_array(jw);
	json_name(jw, "flag");
	json_bool(jw, false);
	json_end_object(jw);
}

static void test_structure(void)
{
	struct json_writer jw;

	begin(&jw, false);
	write_sample(&jw);
	check("compact object",
	      end(),
	      "{\"name\":\"a\\\"b\",\"n\":18446744073709551615,\"neg\":-5,"
	      "\"list\":[1,true,null,{}],\"empty\":[],\"flag\":false}\n");
	free(mem);

	begin(&jw, true);
	write_sample(&jw);
	check("pretty object",
	      end(),
	      "{\n"
	      "    \"name\": \"a\\\"b\",\n"
	      "    \"n\": 18446744073709551615,\n"
	      "    \"neg\": -5,\n"
	      "    \"list\": [\n"
	      "        1,\n"
	      "        true,\n"
	      "        null,\n"
	      "        {}\n"
	      "    ],\n"
	      "    \"empty\": [],\n"
	      "    \"flag\": false\n"
	      "}\n");
	free(mem);

	begin(&jw, false);
	json_start_array(&jw);
	json_end_array(&jw);
	check("empty array", end(), "[]\n");
	free(mem);

	begin(&jw, false);
	json_start_object(&jw);
	json_name(&jw, "event");
	json_string(&jw, "new");
	json_end_object(&jw);
	json_start_object(&jw);
	json_end_object(&jw);
	json_u64(&jw, 7);
	check("top-level values, one per line", end(),
	      "{\"event\":\"new\"}\n{}\n7\n");
	free(mem);

	begin(&jw, false);
	json_start_array(&jw);
	json_start_object(&jw);
	json_name(&jw, "a");
	json_start_array(&jw);
	json_u64(&jw, 1);
	json_close_to(&jw, 0);
	check("close_to closes what is open", end(), "[{\"a\":[1]}]\n");
	free(mem);

	begin(&jw, false);
	json_start_array(&jw);
	json_start_object(&jw);
	json_name(&jw, "a");
	json_close_to(&jw, 1);
	json_end_array(&jw);
	check("close_to completes a dangling name with null", end(),
	      "[{\"a\":null}]\n");
	free(mem);

	begin(&jw, false);
	json_start_object(&jw);
	json_name(&jw, "k\n\x01");
	json_u64(&jw, 0);
	json_end_object(&jw);
	check("names are escaped too", end(), "{\"k\\n\\u0001\":0}\n");
	free(mem);
}

int main(void)
{
	test_escaping();
	test_structure();
	if (failures) {
		printf("# %d check(s) failed\n", failures);
		return 1;
	}
	printf("# all checks passed\n");
	return 0;
}
