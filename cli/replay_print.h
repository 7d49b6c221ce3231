/* Printing a replay result: the text report and the --json object. */
#ifndef VMTRACE_CLI_REPLAY_PRINT_H
#define VMTRACE_CLI_REPLAY_PRINT_H

#include <stdio.h>

#include "replay/replay.h"

void replay_print_text(FILE *f, const struct replay_result *res, bool keep_going);
void replay_print_json(FILE *f, const struct replay_result *res);

/* The outcome in one word: "diverged" (any undeclared divergence),
 * "incomplete" (none, but devices the emulator cannot model were left
 * out), "identical"; replay_verdict_text is the summary line's spelling
 * (DIVERGED, INCOMPLETE, identical). */
const char *replay_verdict(const struct replay_result *res);
const char *replay_verdict_text(const struct replay_result *res);

#endif
