/* Minimal streaming JSON writer. */
#include "cli/json.h"

#include <inttypes.h>
#include <string.h>

#include "format/escape.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->failed = false;
	memset(j->need_comma, 0, sizeof(j->need_comma));
}

static bool comma_get(const struct json *j)
{
	return j->need_comma[j->depth / 64] >> (j->depth % 64) & 1;
}

static void comma_set(struct json *j, bool v)
{
	uint64_t bit = (uint64_t)1 << (j->depth % 64);

	if (v)
		j->need_comma[j->depth / 64] |= bit;
	else
		j->need_comma[j->depth / 64] &= ~bit;
}

static void put_escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	fputc('"', f);
	while (left) {
		uint32_t cp;
		size_t n;

		switch (*p) {
		case '"': fputs("\\\"", f); n = 1; break;
		case '\\': fputs("\\\\", f); n = 1; break;
		case '\n': fputs("\\n", f); n = 1; break;
		case '\r': fputs("\\r", f); n = 1; break;
		case '\t': fputs("\\t", f); n = 1; break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
				n = 1;
			} else if (*p < 0x80) {
				fputc(*p, f);
				n = 1;
			} else if ((n = escape_utf8_decode(p, left, &cp)) == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
				fputs("\\ufffd", f); /* not UTF-8: one replacement per byte */
				n = 1;
			} else if (escape_cp_hidden(cp)) {
				fprintf(f, "\\u%04x", (unsigned)cp); /* all hidden ones lie in the BMP */
			} else {
				fwrite(p, 1, n, f);
			}
		}
		p += n;
		left -= n;
	}
	fputc('"', f);
}

/* Before a value: a comma after an earlier one at this level, and the
 * key.  False once the writer has failed (nothing more is written). */
static bool prefix(struct json *j, const char *key)
{
	if (j->failed)
		return false;
	/* Top-level values are separated by newlines (JSON lines), not commas. */
	if (j->depth > 0) {
		if (comma_get(j))
			fputc(',', j->f);
		comma_set(j, true);
	}
	if (key) {
		put_escaped(j->f, key);
		fputc(':', j->f);
	}
	return true;
}

static void open_(struct json *j, const char *key, char c)
{
	if (!prefix(j, key))
		return;
	if (j->depth + 1 >= JSON_DEPTH_MAX) {
		j->failed = true;
		return;
	}
	fputc(c, j->f);
	j->depth++;
	comma_set(j, false);
}

static void close_(struct json *j, char c)
{
	if (j->failed || j->depth == 0)
		return;
	fputc(c, j->f);
	j->depth--;
	if (j->depth == 0)
		fputc('\n', j->f);
}

void json_begin_object(struct json *j, const char *key) { open_(j, key, '{'); }
void json_end_object(struct json *j) { close_(j, '}'); }
void json_begin_array(struct json *j, const char *key) { open_(j, key, '['); }
void json_end_array(struct json *j) { close_(j, ']'); }

void json_string(struct json *j, const char *key, const char *value)
{
	if (!prefix(j, key))
		return;
	if (value)
		put_escaped(j->f, value);
	else
		fputs("null", j->f);
}

void json_u64(struct json *j, const char *key, uint64_t value)
{
	if (prefix(j, key))
		fprintf(j->f, "%" PRIu64, value);
}

void json_i64(struct json *j, const char *key, int64_t value)
{
	if (prefix(j, key))
		fprintf(j->f, "%" PRId64, value);
}

void json_bool(struct json *j, const char *key, bool value)
{
	if (prefix(j, key))
		fputs(value ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	if (prefix(j, key))
		fputs("null", j->f);
}

void json_error(FILE *f, const char *msg)
{
	struct json j;

	json_init(&j, f);
	json_begin_object(&j, NULL);
	json_string(&j, "error", msg);
	json_end_object(&j);
}
