/* The JSON writer of --json output (cli/json.c).  Its contract: whatever a
 * trace holds, the output parses, and a string reads back as what was
 * written.  Each case writes into a memory stream; strings are checked by
 * decoding the JSON string literal the writer produced (test_decode below),
 * so any correct escaping passes, and by the exact text where the format
 * itself is what is tested (commas, nesting, numbers).
 *
 * Valid UTF-8 reads back as the same characters, C1 controls and the
 * direction controls as themselves through \u escapes, and the writer
 * nests to JSON_DEPTH_MAX, past which it stops writing and says so. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"
#include "tests/harness.h"

/* --- a strict decoder for one JSON string literal (RFC 8259 section 7) --- */

/* Decode one UTF-8 sequence at s (n bytes left) into *cp; return its
 * length, or 0 if it is not valid UTF-8 (overlong, surrogate, > U+10FFFF,
 * truncated, stray continuation). */
static size_t utf8_one(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int hex4(const char *s, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Decode the string literal at *ps into cps (at most max code points), set
 * *n, advance *ps past the closing quote.  False if it is not a valid JSON
 * string, or if it holds a raw byte a terminal would act on (C0, DEL, or a
 * C1 control as UTF-8): --json output may well end up on a terminal. */
static bool test_decode(const char **ps, uint32_t *cps, size_t max, size_t *n)
{
	const unsigned char *s = (const unsigned char *)*ps;

	*n = 0;
	if (*s++ != '"')
		return false;
	for (;;) {
		uint32_t c;
		if (*s == '"') {
			*ps = (const char *)s + 1;
			return true;
		}
		if (*s == '\\') {
			s++;
			switch (*s) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (hex4((const char *)s + 1, &c) != 0)
					return false;
				s += 4;
				if (c >= 0xdc00 && c <= 0xdfff)
					return false;
				if (c >= 0xd800 && c <= 0xdbff) {
					uint32_t lo;
					if (s[1] != '\\' || s[2] != 'u' || hex4((const char *)s + 3, &lo) != 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return false;
					c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
					s += 6;
				}
				break;
			default:
				return false;
			}
			s++;
		} else {
			size_t len = utf8_one(s, strlen((const char *)s), &c);
			if (len == 0 || c < 0x20 || (c >= 0x7f && c <= 0x9f))
				return false;
			s += len;
		}
		if (*n == max)
			return false;
		cps[(*n)++] = c;
	}
}

/* --- helpers --- */

struct out {
	char *buf;
	size_t len;
	FILE *f;
	struct json j;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
	if (!o->f) {
		perror("open_memstream");
		exit(1);
	}
	json_init(&o->j, o->f);
}

/* Close the stream; the text stays in o->buf until out_free. */
static const char *out_text(struct out *o)
{
	fclose(o->f);
	o->f = NULL;
	return o->buf;
}

static void out_free(struct out *o)
{
	if (o->f)
		fclose(o->f);
	free(o->buf);
}

/* {"k":VALUE}\n with VALUE the string literal for value: decode it. */
static bool round_trip(const char *value, uint32_t *cps, size_t max, size_t *n)
{
	struct out o;
	bool ok;

	out_open(&o);
	json_begin_object(&o.j, NULL);
	json_string(&o.j, "k", value);
	json_end_object(&o.j);
	const char *t = out_text(&o);
	ok = strncmp(t, "{\"k\":", 5) == 0;
	t += 5;
	ok = ok && test_decode(&t, cps, max, n) && strcmp(t, "}\n") == 0;
	if (!ok)
		fprintf(stderr, "  not a valid JSON string or not {\"k\":...}\\n: %s", o.buf);
	out_free(&o);
	return ok;
}

/* value (bytes) must read back as the code points want. */
static void expect_cps(const char *what, const char *value, const uint32_t *want, size_t nwant)
{
	uint32_t got[256];
	size_t n = 0;

	if (!round_trip(value, got, 256, &n)) {
		fprintf(stderr, "%s: [%s] %s: output does not parse\n", __FILE__, harness_case, what);
		harness_failures++;
		return;
	}
	if (n != nwant || memcmp(got, want, n * sizeof(*got)) != 0) {
		fprintf(stderr, "%s: [%s] %s: reads back as", __FILE__, harness_case, what);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " U+%04X", (unsigned)got[i]);
		fprintf(stderr, ", wrote");
		for (size_t i = 0; i < nwant; i++)
			fprintf(stderr, " U+%04X", (unsigned)want[i]);
		fprintf(stderr, "\n");
		harness_failures++;
	}
}

/* Bytes that are one code point each (ASCII). */
static void expect_same(const char *what, const char *value)
{
	uint32_t want[256];
	size_t n = strlen(value);

	for (size_t i = 0; i < n; i++)
		want[i] = (unsigned char)value[i];
	expect_cps(what, value, want, n);
}

/* --- cases --- */

static void test_ascii_escapes(void)
{
	char all[128];

	expect_same("empty", "");
	expect_same("plain", "virtio-blk@0x10000000");
	expect_same("quotes", "say \"hi\"");
	expect_same("backslash", "C:\\dir\\");
	expect_same("slash", "a/b");
	expect_same("escape sequence", "\x1b[2J\x1b]0;title\x07");
	/* Every byte 1..127: C0 controls, DEL and printable ASCII. */
	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	expect_same("bytes 1-127", all);
	/* The key is escaped like a value. */
	struct out o;
	out_open(&o);
	json_begin_object(&o.j, NULL);
	json_u64(&o.j, "a\"b\n", 1);
	json_end_object(&o.j);
	CHECK_STR(out_text(&o), "{\"a\\\"b\\n\":1}\n");
	out_free(&o);
	/* NULL is null, not "". */
	out_open(&o);
	json_begin_array(&o.j, NULL);
	json_string(&o.j, NULL, NULL);
	json_string(&o.j, NULL, "");
	json_end_array(&o.j);
	CHECK_STR(out_text(&o), "[null,\"\"]\n");
	out_free(&o);
}

/* Bytes that are not UTF-8 still give valid JSON, each read back as one
 * code point (U+FFFD or U+00XX), the ASCII around them untouched. */
static void test_invalid_utf8(void)
{
	static const char *const bad[] = {
		"a\xff" "b",               /* never valid */
		"a\xc3" "b",               /* lead byte without its continuation */
		"a\x80" "b",               /* stray continuation */
		"a\xc0\xaf" "b",           /* overlong '/' */
		"a\xed\xa0\x80" "b",       /* UTF-16 surrogate */
		"a\xf4\x90\x80\x80" "b",   /* above U+10FFFF */
		"a\xe2\x82" "b",           /* truncated euro sign */
		"a\x9b" "b",               /* C1 CSI as a raw byte */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t got[16];
		size_t n = 0;
		char what[32];
		snprintf(what, sizeof(what), "invalid UTF-8 #%zu", i);
		if (!round_trip(bad[i], got, 16, &n)) {
			fprintf(stderr, "%s: [%s] %s: output does not parse\n", __FILE__, harness_case, what);
			harness_failures++;
			continue;
		}
		size_t bytes = strlen(bad[i]) - 2;
		bool ok = n >= 3 && got[0] == 'a' && got[n - 1] == 'b' && n - 2 <= bytes;
		for (size_t k = 1; ok && k + 1 < n; k++)
			ok = got[k] == 0xfffd || (got[k] >= 0x80 && got[k] <= 0xff);
		if (!ok) {
			fprintf(stderr, "%s: [%s] %s: read back as %zu code points, not a, bad bytes, b\n",
				__FILE__, harness_case, what, n);
			harness_failures++;
		}
	}
}

static void test_numbers(void)
{
	struct out o;

	out_open(&o);
	json_begin_array(&o.j, NULL);
	json_u64(&o.j, NULL, 0);
	json_u64(&o.j, NULL, UINT64_C(1) << 63);
	json_u64(&o.j, NULL, UINT64_MAX);
	json_i64(&o.j, NULL, 0);
	json_i64(&o.j, NULL, -1);
	json_i64(&o.j, NULL, INT64_MAX);
	json_i64(&o.j, NULL, INT64_MIN);
	json_bool(&o.j, NULL, true);
	json_bool(&o.j, NULL, false);
	json_null(&o.j, NULL);
	json_end_array(&o.j);
	CHECK_STR(out_text(&o), "[0,9223372036854775808,18446744073709551615,0,-1,9223372036854775807,"
				"-9223372036854775808,true,false,null]\n");
	out_free(&o);
}

static void test_nesting(void)
{
	struct out o;

	/* Commas between members at every level, none after the last, one
	 * newline after the top-level value. */
	out_open(&o);
	json_begin_object(&o.j, NULL);
	json_begin_array(&o.j, "a");
	json_u64(&o.j, NULL, 1);
	json_begin_object(&o.j, NULL);
	json_null(&o.j, "b");
	json_end_object(&o.j);
	json_begin_array(&o.j, NULL);
	json_end_array(&o.j);
	json_begin_object(&o.j, NULL);
	json_end_object(&o.j);
	json_end_array(&o.j);
	json_bool(&o.j, "c", true);
	json_begin_object(&o.j, "d");
	json_string(&o.j, "e", "f");
	json_u64(&o.j, "g", 2);
	json_end_object(&o.j);
	json_end_object(&o.j);
	CHECK_STR(out_text(&o), "{\"a\":[1,{\"b\":null},[],{}],\"c\":true,\"d\":{\"e\":\"f\",\"g\":2}}\n");
	out_free(&o);

}

/* [0,[1,[2,...[depth-1,"x"]...],"after"] with a member after each inner
 * array: the writer's nesting limit is what this finds. */
static void nest(unsigned depth, bool *ok)
{
	struct out o;
	char *want = malloc(depth * 32 + 64);
	size_t w = 0;

	out_open(&o);
	for (unsigned i = 0; i < depth; i++) {
		json_begin_array(&o.j, NULL);
		json_u64(&o.j, NULL, i);
		w += (size_t)sprintf(want + w, "[%u,", i);
	}
	json_string(&o.j, NULL, "x");
	w += (size_t)sprintf(want + w, "\"x\"");
	for (unsigned i = 0; i < depth; i++) {
		json_end_array(&o.j);
		want[w++] = ']';
		if (i + 1 < depth) {
			json_u64(&o.j, NULL, 7);
			w += (size_t)sprintf(want + w, ",7");
		}
	}
	want[w++] = '\n';
	want[w] = '\0';
	const char *got = out_text(&o);
	*ok = strcmp(got, want) == 0;
	if (!*ok)
		fprintf(stderr, "  depth %u:\n  got  %s  want %s", depth, got, want);
	out_free(&o);
	free(want);
}

static void test_nesting_limit_ok(void)
{
	bool ok;

	/* Every depth up to 31, exactly (test_nesting_deeper goes further). */
	for (unsigned d = 1; d <= 31; d++) {
		nest(d, &ok);
		CHECK(ok);
	}
}

/* Valid UTF-8 reads back as the same characters (the writer once wrote
 * each byte >= 0x80 as \u00XX, so "é" read back as "Ã©"). */
static void test_valid_utf8(void)
{
	static const uint32_t e_acute[] = { 'x', 0xe9, 'y' };
	static const uint32_t euro[] = { 0x20ac };
	static const uint32_t emoji[] = { 0x1f600 };
	static const uint32_t csi[] = { 0x9b, '2', 'J' };

	expect_cps("e acute", "x\xc3\xa9y", e_acute, 3);
	expect_cps("euro sign", "\xe2\x82\xac", euro, 1);
	expect_cps("U+1F600", "\xf0\x9f\x98\x80", emoji, 1);
	/* A C1 control as UTF-8 reads back as itself, escaped in the output
	 * (test_decode refuses it raw). */
	expect_cps("U+009B as UTF-8", "\xc2\x9b" "2J", csi, 3);
}

/* Deeper than the 32 levels the writer once kept (its commas went wrong
 * past 31), up to its limit; past the limit it stops writing and sets
 * failed, so the output is cut, never wrong. */
static void test_nesting_deeper(void)
{
	bool ok;
	struct out o;

	nest(32, &ok);
	CHECK(ok);
	nest(40, &ok);
	CHECK(ok);
	nest(JSON_DEPTH_MAX - 1, &ok);
	CHECK(ok);

	out_open(&o);
	for (unsigned i = 0; i < JSON_DEPTH_MAX; i++)
		json_begin_array(&o.j, NULL);
	CHECK(o.j.failed);
	json_u64(&o.j, NULL, 1);
	json_end_array(&o.j);
	const char *got = out_text(&o);
	CHECK(strlen(got) == JSON_DEPTH_MAX - 1 && strspn(got, "[") == JSON_DEPTH_MAX - 1);
	out_free(&o);
}

/* Two top-level values through one writer (JSON lines): each on its own
 * line (the second once started with a comma). */
static void test_second_top_level_value(void)
{
	struct out o;

	out_open(&o);
	json_begin_object(&o.j, NULL);
	json_end_object(&o.j);
	json_begin_array(&o.j, NULL);
	json_end_array(&o.j);
	CHECK_STR(out_text(&o), "{}\n[]\n");
	out_free(&o);
}

int main(void)
{
	RUN(test_ascii_escapes);
	RUN(test_invalid_utf8);
	RUN(test_numbers);
	RUN(test_nesting);
	RUN(test_nesting_limit_ok);
	RUN(test_valid_utf8);
	RUN(test_nesting_deeper);
	RUN(test_second_top_level_value);
	return harness_finish("test_json");
}
