/* A JSON trace event in memory (perfetto_json.h). */
#include "export/perfetto_json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/escape.h"

void pj_init(struct pj *j)
{
	memset(j, 0, sizeof(*j));
}

void pj_free(struct pj *j)
{
	free(j->b);
	pj_init(j);
}

void pj_reset(struct pj *j)
{
	j->len = 0;
	j->depth = 0;
	if (j->b)
		j->b[0] = '\0';
}

/* Room for n more bytes and a NUL. */
static bool grow(struct pj *j, size_t n)
{
	size_t cap;
	char *b;

	if (j->oom)
		return false;
	if (j->len + n + 1 <= j->cap)
		return true;
	cap = j->cap ? j->cap : 512;
	while (cap < j->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			j->oom = true;
			return false;
		}
		cap *= 2;
	}
	b = realloc(j->b, cap);
	if (!b) {
		j->oom = true;
		return false;
	}
	j->b = b;
	j->cap = cap;
	return true;
}

void pj_raw(struct pj *j, const char *s, size_t n)
{
	if (!grow(j, n))
		return;
	memcpy(j->b + j->len, s, n);
	j->len += n;
	j->b[j->len] = '\0';
}

void pj_puts(struct pj *j, const char *s)
{
	pj_raw(j, s, strlen(s));
}

void pj_printf(struct pj *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(j, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(j->b + j->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	j->len += (size_t)n;
}

/* The JSON of one unit at s (n > 0 bytes left): written into out, its
 * length returned; *used gets the input bytes it took. */
static size_t json_unit(const unsigned char *s, size_t n, char out[8], size_t *used)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t k;

	*used = 1;
	switch (c) {
	case '"': memcpy(out, "\\\"", 2); return 2;
	case '\\': memcpy(out, "\\\\", 2); return 2;
	case '\n': memcpy(out, "\\n", 2); return 2;
	case '\t': memcpy(out, "\\t", 2); return 2;
	case '\r': memcpy(out, "\\r", 2); return 2;
	case '\b': memcpy(out, "\\b", 2); return 2;
	case '\f': memcpy(out, "\\f", 2); return 2;
	default: break;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(out, 8, "\\u%04x", c);
		return 6;
	}
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	k = escape_utf8_decode(s, n, &cp);
	if (k == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
		/* Not UTF-8: JSON text is Unicode, so the byte cannot be kept. */
		memcpy(out, "\\ufffd", 6);
		return 6;
	}
	*used = k;
	if (escape_cp_hidden(cp)) {
		/* Below U+10000 (the list of escape.h): one \u escape. */
		snprintf(out, 8, "\\u%04" PRIx32, cp);
		return 6;
	}
	memcpy(out, s, k);
	return k;
}

/* Escaped text of at most max input bytes of s, whole units only; *taken
 * gets the bytes consumed. */
static void escaped(struct pj *j, const unsigned char *s, size_t n, size_t max, size_t *taken)
{
	size_t i = 0;

	while (i < n) {
		char out[8];
		size_t used, k = json_unit(s + i, n - i, out, &used);
		if (i + used > max)
			break;
		pj_raw(j, out, k);
		i += used;
	}
	*taken = i;
}

void pj_strn(struct pj *j, const void *s, size_t n)
{
	size_t taken;

	pj_raw(j, "\"", 1);
	if (n)
		escaped(j, s, n, n, &taken);
	pj_raw(j, "\"", 1);
}

void pj_strn_cut(struct pj *j, const void *s, size_t n, size_t max)
{
	size_t taken = 0;

	pj_raw(j, "\"", 1);
	if (n)
		escaped(j, s, n, max, &taken);
	if (taken < n)
		pj_raw(j, "...", 3);
	pj_raw(j, "\"", 1);
}

void pj_begin(struct pj *j)
{
	pj_raw(j, "{", 1);
	if (j->depth < PJ_DEPTH_MAX)
		j->first[j->depth] = true;
	j->depth++;
}

void pj_end(struct pj *j)
{
	if (j->depth)
		j->depth--;
	pj_raw(j, "}", 1);
}

void pj_key(struct pj *j, const char *key)
{
	unsigned d = j->depth ? j->depth - 1 : 0;

	if (d < PJ_DEPTH_MAX) {
		if (!j->first[d])
			pj_raw(j, ",", 1);
		j->first[d] = false;
	}
	pj_strn(j, key, strlen(key));
	pj_raw(j, ":", 1);
}

void pj_kv_str(struct pj *j, const char *key, const char *s)
{
	pj_key(j, key);
	if (s)
		pj_strn(j, s, strlen(s));
	else
		pj_raw(j, "null", 4);
}

void pj_kv_strn(struct pj *j, const char *key, const void *s, size_t n)
{
	pj_key(j, key);
	pj_strn(j, s, n);
}

void pj_kv_u64(struct pj *j, const char *key, uint64_t v)
{
	pj_key(j, key);
	pj_printf(j, "%" PRIu64, v);
}

void pj_kv_i64(struct pj *j, const char *key, int64_t v)
{
	pj_key(j, key);
	pj_printf(j, "%" PRId64, v);
}

void pj_kv_hex(struct pj *j, const char *key, uint64_t v)
{
	pj_key(j, key);
	pj_printf(j, "\"0x%" PRIx64 "\"", v);
}

void pj_kv_bool(struct pj *j, const char *key, bool v)
{
	pj_key(j, key);
	pj_puts(j, v ? "true" : "false");
}

void pj_kv_us(struct pj *j, const char *key, uint64_t ns)
{
	pj_key(j, key);
	pj_printf(j, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}
