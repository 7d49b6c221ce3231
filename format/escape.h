/* The one way text that comes from a trace reaches a terminal or a text
 * report: markers, device names, QEMU command lines, violation messages,
 * names read back from a trace.db, file text.  A trace may come from
 * someone else, so nothing in it may drive the reader's terminal.
 *
 * What passes through unchanged: printable ASCII, and valid UTF-8 of
 * printable code points (accents, CJK, emoji: a user's own marker text
 * stays readable).  What is written as a visible escape:
 *   \\            the backslash itself (so every escape is unambiguous)
 *   \n \t \r      those three controls
 *   \xHH          other C0 controls (0x00-0x1f), DEL (0x7f), and every byte
 *                 that is not part of valid UTF-8: raw C1 bytes 0x80-0x9f,
 *                 stray continuation bytes, truncated or overlong
 *                 sequences, 0xc0/0xc1/0xf5-0xff, code points > U+10FFFF
 *   \uHHHH        encoded C1 controls U+0080-U+009F (U+009B is a CSI on
 *                 terminals that honour 8-bit controls), encoded surrogates
 *                 U+D800-U+DFFF, and the invisible direction controls
 *                 U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069,
 *                 plus the line/paragraph separators U+2028, U+2029.
 * Why the direction controls: they are invisible and reorder the text
 * around them up to the end of the line ("Trojan Source", CVE-2021-42574),
 * so a marker or device name holding U+202E could make a violation message
 * or a register value printed after it on the same line read as something
 * else.  Showing what the trace holds is this tool's whole job.  U+2028/9
 * break lines in some viewers and editors that reports are opened in.
 * With ESCAPE_QUOTES, '"' is also written as \" (text shown inside quotes).
 *
 * Every function here is bounded by its arguments, reads exactly len bytes
 * (embedded NULs are data: \x00) and never allocates.
 *
 * Errors: escape_fwrite and escape_fputs return 0, or -1 when the stream
 * reported a write error (errno as the stream left it); the others cannot
 * fail (output cut to fit, always NUL-terminated). */
#ifndef VMTRACE_FORMAT_ESCAPE_H
#define VMTRACE_FORMAT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Flags for the functions below. */
#define ESCAPE_QUOTES 0x1u /* also escape '"' as \" */

/* Most characters one input unit (a byte, or one UTF-8 sequence) becomes:
 * "\u009b" is 6; a 4-byte UTF-8 sequence passed through is 4. */
#define ESCAPE_UNIT_MAX 6

/* Escape one unit at the start of s (len > 0) into out; *used gets the
 * input bytes it took (1 to 4).  Returns the characters written (1 to
 * ESCAPE_UNIT_MAX); out is not NUL-terminated. */
size_t escape_unit(const unsigned char *s, size_t len, unsigned flags, char out[ESCAPE_UNIT_MAX], size_t *used);

/* Escape len bytes at s into buf (size bytes).  The output is always
 * NUL-terminated when size > 0 and an escape or a UTF-8 character is never
 * split: if the whole does not fit, it stops at the last unit that fits.
 * *cut (may be NULL) is set to true if input was left out, false if not.
 * Returns the characters written, not counting the NUL. */
size_t escape_buf(char *buf, size_t size, const void *s, size_t len, unsigned flags, bool *cut);

/* The NUL-terminated s escaped into buf (NULL reads as ""); when it does
 * not fit, the end of what fits is replaced by "..." (so a cut is visible)
 * whenever size allows.  Returns buf, for use as a printf argument. */
const char *escape_str(const char *s, char *buf, size_t size);

/* Like escape_str with len bytes at s (may hold NULs). Returns buf. */
const char *escape_mem(const void *s, size_t len, char *buf, size_t size);

/* Write len bytes at s escaped to f, in full (no cut).  Returns 0, or -1
 * if f reported a write error. */
int escape_fwrite(FILE *f, const void *s, size_t len, unsigned flags);

/* escape_fwrite of a NUL-terminated string (NULL reads as ""). */
int escape_fputs(FILE *f, const char *s, unsigned flags);

/* After snprintf cut escaped text into buf: if buf now ends inside a UTF-8
 * character, drop that partial character (a cut must not leave a lead
 * byte or a continuation byte 0x80-0x9f on its own).  Returns buf. */
char *escape_trim_cut(char *buf);

/* Length (2 to 4) of the valid UTF-8 sequence of a non-ASCII code point at
 * s, with the code point in *cp; 0 if s[0] is ASCII or starts no valid
 * sequence (truncated, overlong, past U+10FFFF).  Encoded surrogates are
 * decoded so callers can name them: treat U+D800-U+DFFF as invalid. */
size_t escape_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* True for the code points escape_buf writes as \uHHHH although they are
 * valid UTF-8: C1 controls, surrogates, invisible direction controls and
 * the line/paragraph separators (the list above). */
bool escape_cp_hidden(uint32_t cp);

/* True if the len bytes at s would pass through escape_buf unchanged (no
 * escape needed). */
bool escape_is_clean(const void *s, size_t len, unsigned flags);

#endif
