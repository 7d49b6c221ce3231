/* See fmt_out.h. */
#include "format/fmt_out.h"

#include <stdarg.h>
#include <stdio.h>

#include "format/escape.h"

void fmt_out_init(struct fmt_out *o, char *buf, size_t size)
{
	o->buf = buf;
	o->size = size;
	o->pos = 0;
	o->cut = false;
	if (size)
		buf[0] = '\0';
}

void fmt_out_printf(struct fmt_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->cut || o->size == 0 || o->pos >= o->size - 1) {
		o->cut = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->size - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->buf[o->pos] = '\0';
		o->cut = true;
		return;
	}
	if ((size_t)n >= o->size - o->pos) {
		o->pos = o->size - 1;
		o->cut = true;
		return;
	}
	o->pos += (size_t)n;
}

void fmt_out_text(struct fmt_out *o, const void *s, size_t len, unsigned flags)
{
	bool cut;

	if (o->cut || o->size == 0) {
		o->cut = o->cut || len > 0;
		return;
	}
	o->pos += escape_buf(o->buf + o->pos, o->size - o->pos, s, len, flags, &cut);
	if (cut)
		o->cut = true;
}

void fmt_out_pad(struct fmt_out *o, size_t col)
{
	while (o->pos < col) {
		if (o->cut || o->size == 0 || o->pos >= o->size - 1) {
			o->cut = true;
			return;
		}
		o->buf[o->pos++] = ' ';
		o->buf[o->pos] = '\0';
	}
}
