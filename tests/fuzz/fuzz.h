/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c).  Each target defines
 * LLVMFuzzerTestOneInput, caps its input with `if (size > FUZZER_MAXLEN)
 * return 0;` (tmux fuzz/input-fuzzer.c) and aborts through fuzz_fail when
 * a promise of RELIABILITY.md breaks, so libFuzzer keeps the input.  Built
 * with clang and -Dfuzzing=true a target is a libFuzzer binary; otherwise
 * fuzz_main.c runs the inputs it is given once each. */
#ifndef VMTRACE_TESTS_FUZZ_FUZZ_H
#define VMTRACE_TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: print "fuzz: <message>" and abort. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* True if text holds one of the '|'-separated substrings of the
 * environment variable FUZZ_KNOWN: a finding already reported, which a
 * campaign may look past to find others (only where a target says so). */
bool fuzz_known(const char *text);

/* What reaches a terminal holds no control byte but newline and tab
 * (RELIABILITY.md promise 1: no raw terminal escapes on screen): fail
 * naming what printed it, unless the text around it is fuzz_known. */
void fuzz_check_screen(const char *what, const char *p, size_t n);

/* Run a vmtrace subcommand (cli/commands.h) with stdout and stderr
 * captured and checked with fuzz_check_screen; its exit status must be
 * 0, 1 or 2 (the one exit-code table).  Returns it. */
int fuzz_run_cmd(int (*cmd)(int, char **), int argc, const char **argv);

/* Little-endian reader over the input; bytes past the end read as 0. */
struct fuzz_in {
	const uint8_t *p, *end;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && in->p < in->end; i++)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static inline size_t fuzz_left(const struct fuzz_in *in)
{
	return (size_t)(in->end - in->p);
}

#endif
