/* A tiny JSON writer for --json output: strings are escaped, so whatever
 * a trace holds, stdout parses. */
#ifndef VMTRACE_CLI_JSON_H
#define VMTRACE_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool need_comma[32];
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
