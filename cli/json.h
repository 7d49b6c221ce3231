/* A tiny JSON writer for --json output: strings are escaped, so whatever
 * a trace holds, stdout parses.  Valid UTF-8 is kept as characters; bytes
 * that are not UTF-8 become U+FFFD; controls (C0, DEL, C1) and the
 * invisible direction and line controls format/escape.h lists are written
 * as \uHHHH, so the output is also safe to print on a terminal.  Each
 * top-level value ends with a newline (JSON lines). */
#ifndef VMTRACE_CLI_JSON_H
#define VMTRACE_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Levels of nesting the writer keeps (top level included); deeper than
 * this the writer stops writing and sets failed, so what it wrote is a
 * cut document, never a wrong one.  vmtrace's outputs nest at most 4. */
#define JSON_DEPTH_MAX 256

struct json {
	FILE *f;
	unsigned depth;
	bool failed;                               /* nested past JSON_DEPTH_MAX */
	uint64_t need_comma[JSON_DEPTH_MAX / 64];  /* bit per level: a value was written */
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j, const char *key); /* key NULL inside arrays / top level */
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL value → null */
void json_u64(struct json *j, const char *key, uint64_t value);
void json_i64(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* Print {"error": msg} as the whole output (for --json error paths). */
void json_error(FILE *f, const char *msg);

#endif
