/* A bounded text buffer the formatter appends to: always NUL-terminated,
 * never overflows, remembers that something was cut.  Text from a trace
 * goes in only through fmt_out_text (escaped, cut on a character
 * boundary); fmt_out_printf is for text vmtrace makes itself (ASCII). */
#ifndef VMTRACE_FORMAT_FMT_OUT_H
#define VMTRACE_FORMAT_FMT_OUT_H

#include <stdbool.h>
#include <stddef.h>

struct fmt_out {
	char *buf;   /* borrowed; size bytes */
	size_t size; /* > 0 */
	size_t pos;  /* strlen(buf) */
	bool cut;    /* something did not fit: later appends are dropped, so
		      * a cut text never looks closed (no quote after it) */
};

/* Start writing at buf (size > 0; size 0 makes every append a no-op that
 * sets cut). */
void fmt_out_init(struct fmt_out *o, char *buf, size_t size);

/* Append formatted ASCII; on overflow keep what fits and set cut. */
void fmt_out_printf(struct fmt_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append len bytes of trace text escaped (format/escape.h flags). */
void fmt_out_text(struct fmt_out *o, const void *s, size_t len, unsigned flags);

/* Pad with spaces to column col (no-op past it). */
void fmt_out_pad(struct fmt_out *o, size_t col);

#endif
