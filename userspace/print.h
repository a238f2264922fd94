/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One output API for text and JSON.
 *
 * Each print_*() call names what it prints for both outputs: a JSON key
 * and a printf format for the text. @type says in which output the value
 * appears:
 *
 *	print_u32(PRINT_ANY, "node_id", "node %u ", id);
 *
 * prints "node 3 " as text and "node_id":3 as JSON. PRINT_TEXT values are
 * only printed as text, PRINT_JSON values only as JSON. In JSON, @key is
 * NULL for an element of an array. The open and close calls only act in
 * JSON; print_text() and print_nl() only act in text.
 */
#ifndef VSYNCADM_PRINT_H
#define VSYNCADM_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum print_type {
	PRINT_TEXT = 1,
	PRINT_JSON = 2,
	PRINT_ANY = PRINT_TEXT | PRINT_JSON,
};

void print_init(FILE *out, bool json, bool pretty);
bool print_is_json(void);

void print_open_object(const char *key);
void print_close_object(void);
void print_open_array(const char *key);
void print_close_array(void);

void print_string(enum print_type type, const char *key, const char *fmt,
		  const char *value);
void print_u32(enum print_type type, const char *key, const char *fmt,
	       uint32_t value);
void print_u64(enum print_type type, const char *key, const char *fmt,
	       uint64_t value);
/* JSON: true or false. Text: @text is printed as it is when @value is set. */
void print_bool(enum print_type type, const char *key, const char *text,
		bool value);
/* A hardware address as "aa:bb:cc:...". */
void print_hwaddr(enum print_type type, const char *key, const char *fmt,
		  const uint8_t *addr, size_t len);

/* Text only. */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_nl(void);

/*
 * Framing of one command's output. In JSON, print_cmd_end() closes what a
 * failing command left open. In a batch, all commands' outputs are the
 * elements of one array, and a command that printed nothing is null.
 */
void print_batch_start(void);
void print_batch_end(void);
void print_cmd_start(void);
void print_cmd_end(void);

/* Flush the output; returns -1 if anything could not be written. */
int print_flush(void);

#endif
