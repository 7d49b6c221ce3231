/* Minimal test harness: each test program runs its cases, prints one line
 * per failed check with file:line, and exits 0 (all passed), 1 (a check
 * failed) or 77 (skipped, with a one-line reason). */
#ifndef VMTRACE_TESTS_HARNESS_H
#define VMTRACE_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int harness_failures;
extern const char *harness_case;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__, harness_case, #cond); \
		harness_failures++; \
	} \
} while (0)

#define CHECK_EQ_U(a, b) do { \
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
	if (a_ != b_) { \
		fprintf(stderr, "%s:%d: [%s] %s == %s failed: 0x%" PRIx64 " != 0x%" PRIx64 "\n", \
			__FILE__, __LINE__, harness_case, #a, #b, a_, b_); \
		harness_failures++; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
		fprintf(stderr, "%s:%d: [%s] %s == %s failed: \"%s\" != \"%s\"\n", \
			__FILE__, __LINE__, harness_case, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		harness_failures++; \
	} \
} while (0)

/* Run one case function: RUN(test_name); */
#define RUN(fn) do { harness_case = #fn; fn(); } while (0)

/* End of main: report and return the exit status. */
static inline int harness_finish(const char *prog)
{
	if (harness_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", prog, harness_failures);
		return 1;
	}
	return 0;
}

/* Skip the whole program: prints the reason and exits 77. */
#define SKIP(reason) do { printf("SKIP: %s\n", reason); exit(77); } while (0)

/* A path for a scratch file unique to this test process (in TMPDIR or /tmp). */
const char *harness_tmpfile(const char *name);

#endif
