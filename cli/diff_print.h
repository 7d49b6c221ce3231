/* The diff report (docs/diff.md, "The report"): text for people, one
 * JSON object for scripts, and the summary line. */
#ifndef VMTRACE_CLI_DIFF_PRINT_H
#define VMTRACE_CLI_DIFF_PRINT_H

#include <stdio.h>

#include "diff/diff.h"

/* "same" or "different". */
const char *diff_verdict(const struct diff_result *res);
void diff_print_text(FILE *f, const struct diff_result *res, const struct replay_expect *e);
void diff_print_json(FILE *f, const struct diff_result *res, const struct replay_expect *e);
/* "[ vmtrace diff: DIFFERENT, 1 of 4 devices, 0.02 s ]" */
void diff_print_summary(FILE *f, const struct diff_result *res);

#endif
