/* The terminal escaper: every class of byte and code point escape.h names,
 * cuts in the middle of a multi-byte sequence, and the buffer limits at N
 * and N+1. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "format/escape.h"
#include "tests/harness.h"

/* s (len bytes) escaped with a roomy buffer. */
static const char *esc(const char *s, size_t len)
{
	static char buf[512];
	bool cut = true;

	escape_buf(buf, sizeof(buf), s, len, 0, &cut);
	CHECK(!cut);
	return buf;
}

#define E(lit) esc(lit, sizeof(lit) - 1)

static void test_ascii(void)
{
	CHECK_STR(E("virtio-blk@0x10000000"), "virtio-blk@0x10000000");
	CHECK_STR(E(" !~"), " !~");
	CHECK_STR(E("a\\b"), "a\\\\b");
	CHECK_STR(E("say \"hi\""), "say \"hi\"");
	CHECK(escape_is_clean("plain text", 10, 0));
	CHECK(!escape_is_clean("a\\", 2, 0));
}

static void test_quotes_flag(void)
{
	char buf[64];

	escape_buf(buf, sizeof(buf), "a\"b", 3, ESCAPE_QUOTES, NULL);
	CHECK_STR(buf, "a\\\"b");
}

static void test_c0_del(void)
{
	CHECK_STR(E("a\nb\tc\rd"), "a\\nb\\tc\\rd");
	CHECK_STR(E("\x1b[2J"), "\\x1b[2J");
	CHECK_STR(E("\x07\x08\x7f"), "\\x07\\x08\\x7f");
	CHECK_STR(E("a\0b"), "a\\x00b");
	CHECK_STR(E("\x1f"), "\\x1f");
	CHECK(!escape_is_clean("\x1b", 1, 0));
}

static void test_raw_c1(void)
{
	/* Raw bytes 0x80-0x9f are never valid UTF-8 on their own. */
	CHECK_STR(E("\x9b" "31m"), "\\x9b31m");
	CHECK_STR(E("\x80\x9f"), "\\x80\\x9f");
	CHECK_STR(E("\x90" "x\x9c"), "\\x90x\\x9c");
}

static void test_encoded_c1(void)
{
	/* U+009B (CSI) and U+0085 (NEL) encoded as UTF-8. */
	CHECK_STR(E("\xc2\x9b" "2J"), "\\u009b2J");
	CHECK_STR(E("\xc2\x85"), "\\u0085");
	CHECK_STR(E("\xc2\x80\xc2\x9f"), "\\u0080\\u009f");
	/* U+00A0 and beyond are printable. */
	CHECK_STR(E("\xc2\xa0"), "\xc2\xa0");
	CHECK(!escape_is_clean("\xc2\x9b", 2, 0));
}

static void test_valid_utf8(void)
{
	CHECK_STR(E("caf\xc3\xa9"), "caf\xc3\xa9");                   /* é */
	CHECK_STR(E("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac"); /* CJK */
	CHECK_STR(E("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");         /* U+1F600 */
	CHECK_STR(E("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");         /* U+10FFFF */
	CHECK_STR(E("\xef\xbf\xbd"), "\xef\xbf\xbd");                 /* U+FFFD */
	CHECK(escape_is_clean("caf\xc3\xa9", 5, 0));
}

static void test_invalid_utf8(void)
{
	CHECK_STR(E("\xff\xfe"), "\\xff\\xfe");
	CHECK_STR(E("\xc3"), "\\xc3");               /* truncated at the end */
	CHECK_STR(E("\xc3x"), "\\xc3x");             /* bad continuation */
	CHECK_STR(E("\xe6\x97x"), "\\xe6\\x97x");    /* 3-byte cut after 2 */
	CHECK_STR(E("\xf0\x9f\x98"), "\\xf0\\x9f\\x98");
	CHECK_STR(E("\xbf"), "\\xbf");               /* stray continuation */
	CHECK_STR(E("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
	CHECK_STR(E("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
}

static void test_overlong(void)
{
	CHECK_STR(E("\xc0\xaf"), "\\xc0\\xaf");           /* '/' in 2 bytes */
	CHECK_STR(E("\xc1\x9b"), "\\xc1\\x9b");           /* ESC-ish C1 in 2 */
	CHECK_STR(E("\xe0\x80\x9b"), "\\xe0\\x80\\x9b");   /* 3-byte overlong */
	CHECK_STR(E("\xe0\x82\x9b"), "\\xe0\\x82\\x9b");   /* overlong U+009B */
	CHECK_STR(E("\xf0\x80\x80\x9b"), "\\xf0\\x80\\x80\\x9b");
	CHECK_STR(E("\xc0\x80"), "\\xc0\\x80");           /* modified-UTF-8 NUL */
}

static void test_surrogates(void)
{
	CHECK_STR(E("\xed\xa0\x80"), "\\ud800");
	CHECK_STR(E("\xed\xbf\xbf"), "\\udfff");
	CHECK_STR(E("\xed\x9f\xbf"), "\xed\x9f\xbf"); /* U+D7FF is fine */
	CHECK_STR(E("\xed\xa0"), "\\xed\\xa0");       /* truncated */
}

static void test_bidi(void)
{
	CHECK_STR(E("a\xe2\x80\xaeZ"), "a\\u202eZ"); /* RLO */
	CHECK_STR(E("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
		  "\\u202a\\u202b\\u202c\\u202d");
	CHECK_STR(E("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
		  "\\u2066\\u2067\\u2068\\u2069");
	CHECK_STR(E("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"), "\\u200e\\u200f\\u061c");
	CHECK_STR(E("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
	/* Neighbours pass. */
	CHECK_STR(E("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
		  "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
}

/* Output room for "ab" + NUL: a 3-byte character after it must not be
 * split, and a 6-character escape neither. */
static void test_cut_multibyte(void)
{
	char buf[16];
	bool cut = false;
	size_t n;

	memset(buf, 'Z', sizeof(buf));
	n = escape_buf(buf, 5, "ab\xe6\x97\xa5", 5, 0, &cut);
	CHECK_EQ_U(n, 2);
	CHECK_STR(buf, "ab");
	CHECK(cut);
	n = escape_buf(buf, 6, "ab\xe6\x97\xa5", 5, 0, &cut);
	CHECK_EQ_U(n, 5);
	CHECK_STR(buf, "ab\xe6\x97\xa5");
	CHECK(!cut);

	n = escape_buf(buf, 7, "a\xc2\x9b", 3, 0, &cut);
	CHECK_EQ_U(n, 1);
	CHECK_STR(buf, "a");
	CHECK(cut);
	n = escape_buf(buf, 8, "a\xc2\x9b", 3, 0, &cut);
	CHECK_STR(buf, "a\\u009b");
	CHECK(!cut);
	(void)n;

	/* An input cut inside a character: the tail bytes are escaped. */
	n = escape_buf(buf, sizeof(buf), "\xe6\x97", 2, 0, &cut);
	CHECK_STR(buf, "\\xe6\\x97");
	CHECK(!cut);
}

/* "abcd" needs 5 bytes: at N = 5 it fits, at N = 4 it is cut; "\x1b"
 * (4 output chars) needs 5 too. */
static void test_limits(void)
{
	char buf[16];
	bool cut;
	size_t n;

	n = escape_buf(buf, 5, "abcd", 4, 0, &cut);
	CHECK_EQ_U(n, 4);
	CHECK(!cut);
	CHECK_STR(buf, "abcd");
	n = escape_buf(buf, 4, "abcd", 4, 0, &cut);
	CHECK_EQ_U(n, 3);
	CHECK(cut);
	CHECK_STR(buf, "abc");

	n = escape_buf(buf, 5, "\x1b", 1, 0, &cut);
	CHECK_STR(buf, "\\x1b");
	CHECK(!cut);
	n = escape_buf(buf, 4, "\x1b", 1, 0, &cut);
	CHECK_STR(buf, "");
	CHECK(cut);
	CHECK_EQ_U(n, 0);

	/* size 1: only the NUL; size 0: nothing written at all. */
	buf[0] = 'Z';
	n = escape_buf(buf, 1, "a", 1, 0, &cut);
	CHECK_STR(buf, "");
	CHECK(cut);
	buf[0] = 'Z';
	n = escape_buf(buf, 0, "a", 1, 0, &cut);
	CHECK(buf[0] == 'Z');
	CHECK(cut);
	CHECK_EQ_U(n, 0);
	n = escape_buf(buf, 0, "", 0, 0, &cut);
	CHECK(!cut);
	/* NULL input reads as empty. */
	n = escape_buf(buf, sizeof(buf), NULL, 5, 0, &cut);
	CHECK_STR(buf, "");
	CHECK(!cut);
}

/* escape_str marks a cut with "..." and never splits an escape. */
static void test_str(void)
{
	char buf[12];

	CHECK_STR(escape_str("short", buf, sizeof(buf)), "short");
	CHECK_STR(escape_str(NULL, buf, sizeof(buf)), "");
	CHECK_STR(escape_str("0123456789a", buf, sizeof(buf)), "0123456789a");   /* N: fits */
	CHECK_STR(escape_str("0123456789ab", buf, sizeof(buf)), "01234567..."); /* N+1 */
	CHECK_STR(escape_str("0123456\x1bz", buf, sizeof(buf)), "0123456...");
	CHECK_STR(escape_str("0123456\x1b", buf, sizeof(buf)), "0123456\\x1b"); /* 11 chars: fits */
	CHECK_STR(escape_str("01234\xc2\x9bxyz", buf, sizeof(buf)), "01234...");
	CHECK_STR(escape_mem("a\0b", 3, buf, sizeof(buf)), "a\\x00b");
	CHECK(strlen(escape_str("\x1b\x1b\x1b\x1b\x1b\x1b", buf, sizeof(buf))) < sizeof(buf));
	/* Too small for "...": a plain cut. */
	CHECK_STR(escape_str("abcdef", buf, 3), "ab");
}

/* A cut by snprintf inside a UTF-8 character is trimmed to the last whole
 * character; whole characters and ASCII stay. */
static void test_trim_cut(void)
{
	char b[32];

	strcpy(b, "ab\xe6\x97");
	CHECK_STR(escape_trim_cut(b), "ab");
	strcpy(b, "ab\xe6");
	CHECK_STR(escape_trim_cut(b), "ab");
	strcpy(b, "ab\xe6\x97\xa5");
	CHECK_STR(escape_trim_cut(b), "ab\xe6\x97\xa5");
	strcpy(b, "x\xf0\x9f\x98");
	CHECK_STR(escape_trim_cut(b), "x");
	strcpy(b, "x\xf0\x9f\x98\x80");
	CHECK_STR(escape_trim_cut(b), "x\xf0\x9f\x98\x80");
	strcpy(b, "\xc3");
	CHECK_STR(escape_trim_cut(b), "");
	strcpy(b, "plain");
	CHECK_STR(escape_trim_cut(b), "plain");
	b[0] = '\0';
	CHECK_STR(escape_trim_cut(b), "");
}

/* The FILE* form writes everything, escaped, across its chunk size. */
static void test_file(void)
{
	char in[3000], out[16000];
	FILE *f = tmpfile();
	size_t n;

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (i % 3 == 0) ? '\x1b' : (i % 3 == 1) ? 'a' : '\\';
	CHECK(escape_fwrite(f, in, sizeof(in), 0) == 0);
	CHECK(escape_fputs(f, "\xe2\x80\xae\"", ESCAPE_QUOTES) == 0);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	CHECK_EQ_U(n, 1000 * (4 + 1 + 2) + 6 + 2);
	CHECK(strncmp(out, "\\x1ba\\\\\\x1ba\\\\", 14) == 0);
	CHECK_STR(out + 7000, "\\u202e\\\"");
	fclose(f);
}

/* Every byte value alone, and every 2-byte pair: the output holds no
 * C0 (but the escapes' own letters), no DEL, no byte 0x80-0x9f that is
 * not inside a valid UTF-8 character of U+00A0 or above. */
static void test_exhaustive_pairs(void)
{
	char buf[64];

	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			unsigned char in[2] = { (unsigned char)a, (unsigned char)b };
			size_t n = escape_buf(buf, sizeof(buf), in, 2, 0, NULL);
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)buf[i];
				if (c < 0x20 || c == 0x7f) {
					CHECK(!"control byte in output");
					return;
				}
				if (c == 0xc2 && i + 1 < n && (unsigned char)buf[i + 1] < 0xa0) {
					CHECK(!"encoded C1 in output");
					return;
				}
				if (c >= 0x80 && c < 0xc0 && (i == 0 || (unsigned char)buf[i - 1] < 0x80)) {
					CHECK(!"stray continuation byte in output");
					return;
				}
			}
		}
	}
}

int main(void)
{
	RUN(test_ascii);
	RUN(test_quotes_flag);
	RUN(test_c0_del);
	RUN(test_raw_c1);
	RUN(test_encoded_c1);
	RUN(test_valid_utf8);
	RUN(test_invalid_utf8);
	RUN(test_overlong);
	RUN(test_surrogates);
	RUN(test_bidi);
	RUN(test_cut_multibyte);
	RUN(test_limits);
	RUN(test_str);
	RUN(test_trim_cut);
	RUN(test_file);
	RUN(test_exhaustive_pairs);
	return harness_finish("test_escape");
}
