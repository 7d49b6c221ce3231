/* See escape.h. */
#include "format/escape.h"

#include <stdint.h>
#include <string.h>

static const char hexdig[] = "0123456789abcdef";

static size_t put_x(char *out, unsigned char b)
{
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hexdig[b >> 4];
	out[3] = hexdig[b & 15];
	return 4;
}

static size_t put_u(char *out, uint32_t cp)
{
	out[0] = '\\';
	out[1] = 'u';
	out[2] = hexdig[(cp >> 12) & 15];
	out[3] = hexdig[(cp >> 8) & 15];
	out[4] = hexdig[(cp >> 4) & 15];
	out[5] = hexdig[cp & 15];
	return 6;
}

/* Code points that are valid UTF-8 but still shown as \uHHHH: C1
 * controls, surrogates (escape_unit lets encoded surrogates through the
 * decoder only to name them), and the invisible direction and line
 * controls escape.h lists with the reason. */
bool escape_cp_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static bool cont(unsigned char b)
{
	return (b & 0xc0) == 0x80;
}

/* Length and code point of the UTF-8 sequence at s, or 0 if it is not
 * one: a truncated sequence, a bad continuation byte, an overlong form or
 * a value past U+10FFFF.  Encoded surrogates (ED A0..BF xx) are decoded so
 * the caller can name them. */
size_t escape_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char b = s[0];
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
	size_t n;

	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		if (b == 0xe0)
			lo = 0xa0; /* below is an overlong form */
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		if (b == 0xf0)
			lo = 0x90; /* overlong */
		if (b == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0; /* ASCII is handled by the caller; 0x80-0xc1, 0xf5-0xff never lead */
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!cont(s[i]))
			return 0;
	if (n == 2)
		*cp = (uint32_t)(b & 0x1f) << 6 | (s[1] & 0x3fu);
	else if (n == 3)
		*cp = (uint32_t)(b & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3fu);
	else
		*cp = (uint32_t)(b & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 | (uint32_t)(s[2] & 0x3f) << 6 |
		      (s[3] & 0x3fu);
	return n;
}

size_t escape_unit(const unsigned char *s, size_t len, unsigned flags, char out[ESCAPE_UNIT_MAX], size_t *used)
{
	unsigned char b = s[0];
	uint32_t cp;
	size_t n;

	*used = 1;
	if (b < 0x80) {
		switch (b) {
		case '\n': out[0] = '\\'; out[1] = 'n'; return 2;
		case '\t': out[0] = '\\'; out[1] = 't'; return 2;
		case '\r': out[0] = '\\'; out[1] = 'r'; return 2;
		case '\\': out[0] = '\\'; out[1] = '\\'; return 2;
		case '"':
			if (flags & ESCAPE_QUOTES) {
				out[0] = '\\';
				out[1] = '"';
				return 2;
			}
			break;
		}
		if (b < 0x20 || b == 0x7f)
			return put_x(out, b);
		out[0] = (char)b;
		return 1;
	}
	n = escape_utf8_decode(s, len, &cp);
	if (n == 0)
		return put_x(out, b); /* resynchronise at the next byte */
	*used = n;
	if (escape_cp_hidden(cp))
		return put_u(out, cp);
	memcpy(out, s, n);
	return n;
}

size_t escape_buf(char *buf, size_t size, const void *s, size_t len, unsigned flags, bool *cut)
{
	const unsigned char *p = s;
	size_t pos = 0, i = 0;
	char u[ESCAPE_UNIT_MAX];

	if (cut)
		*cut = false;
	if (size == 0) {
		if (cut)
			*cut = len > 0;
		return 0;
	}
	if (!p)
		len = 0;
	while (i < len) {
		size_t used, k = escape_unit(p + i, len - i, flags, u, &used);
		if (k > size - 1 - pos) {
			if (cut)
				*cut = true;
			break;
		}
		memcpy(buf + pos, u, k);
		pos += k;
		i += used;
	}
	buf[pos] = '\0';
	return pos;
}

const char *escape_mem(const void *s, size_t len, char *buf, size_t size)
{
	bool cut;
	size_t n = escape_buf(buf, size, s, len, 0, &cut);

	if (cut && size > 3) {
		/* Escape again into 3 fewer bytes: the cut falls on a unit
		 * boundary (never half of \u009b or of a UTF-8 character) and
		 * leaves room for the "..." that shows it. */
		n = escape_buf(buf, size - 3, s, len, 0, NULL);
		memcpy(buf + n, "...", 4);
	}
	return buf;
}

const char *escape_str(const char *s, char *buf, size_t size)
{
	if (!s)
		s = "";
	return escape_mem(s, strlen(s), buf, size);
}

int escape_fwrite(FILE *f, const void *s, size_t len, unsigned flags)
{
	const unsigned char *p = s;
	char chunk[512];
	size_t pos = 0, i = 0;

	if (!p)
		len = 0;
	while (i < len) {
		size_t used, k = escape_unit(p + i, len - i, flags, chunk + pos, &used);
		pos += k;
		i += used;
		if (pos > sizeof(chunk) - ESCAPE_UNIT_MAX) {
			if (fwrite(chunk, 1, pos, f) != pos)
				return -1;
			pos = 0;
		}
	}
	if (pos && fwrite(chunk, 1, pos, f) != pos)
		return -1;
	return 0;
}

int escape_fputs(FILE *f, const char *s, unsigned flags)
{
	if (!s)
		s = "";
	return escape_fwrite(f, s, strlen(s), flags);
}

char *escape_trim_cut(char *buf)
{
	size_t n = strlen(buf), start = n, need;
	uint32_t cp;

	/* Find the start of the last character: at most 3 continuation
	 * bytes back. */
	while (start > 0 && n - start < 4 && ((unsigned char)buf[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0 || (unsigned char)buf[start - 1] < 0xc0)
		return buf; /* ends in ASCII, or continuation bytes without a lead */
	start--;
	need = escape_utf8_decode((const unsigned char *)buf + start, n - start, &cp);
	if (need != n - start)
		buf[start] = '\0';
	return buf;
}

bool escape_is_clean(const void *s, size_t len, unsigned flags)
{
	const unsigned char *p = s;
	size_t i = 0;
	char u[ESCAPE_UNIT_MAX];

	if (!p)
		return true;
	while (i < len) {
		size_t used, k = escape_unit(p + i, len - i, flags, u, &used);
		if (k != used || memcmp(u, p + i, k) != 0)
			return false;
		i += used;
	}
	return true;
}
