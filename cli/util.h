/* Small helpers for the command-line front end.
 *
 * Errors: the reporters return what a caller passes on (error -1, warning
 * 0, usage_error EXIT_USAGE); parse_u64 and parse_size return 0 or -1
 * (not a number in range; nothing printed). */
#ifndef VMTRACE_CLI_UTIL_H
#define VMTRACE_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every message on stderr starts with the program and the command it is
 * about: "vmtrace record: ...", or "vmtrace: ..." before a command is
 * known.  main() names the command once, before running it. */
void cli_set_command(const char *name);
/* "vmtrace" or "vmtrace NAME" (what messages start with). */
const char *cli_prog(void);

/* Print "vmtrace CMD: <message>" to stderr; returns -1 so callers can
 * `return error(...)`. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, prefixed "vmtrace CMD: warning: ", returns 0. */
int warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A bad argument: "vmtrace CMD: <message>" and the line
 * "Try 'vmtrace CMD --help' for more information."; returns EXIT_USAGE
 * (2), so a command can `return usage_error(...)`. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only the "Try ... --help" line (after a message getopt printed). */
void usage_hint(void);

/* Parse an unsigned number (decimal, or hex with 0x) that must lie in
 * [min, max]. Returns 0 or -1 (nothing printed). */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parse a size with optional K/M/G suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *out);

/* A byte count for people: "64 KiB", "1.5 GiB", "100 bytes" (exact below
 * 1 KiB, one decimal above, never rounded down to 0).  Returns buf. */
const char *size_text(uint64_t bytes, char *buf, size_t len);

/* True if stderr is a terminal (progress output goes there only then). */
bool stderr_is_tty(void);

/* Copy text that came from a trace file into buf for the terminal through
 * the one escaper (format/escape.h escape_str: controls, C1, invalid UTF-8
 * and direction overrides as visible escapes, a cut shown as "...").  NULL
 * reads as "". Returns buf. */
const char *term_escape(const unsigned char *s, char *buf, size_t len);

#endif
