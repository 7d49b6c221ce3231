/* Printing a replay result: the text report and the --json object. */
#ifndef VMTRACE_CLI_REPLAY_PRINT_H
#define VMTRACE_CLI_REPLAY_PRINT_H

#include <stdio.h>

#include "replay/replay.h"

void replay_print_text(FILE *f, const struct replay_result *res, bool keep_going);
void replay_print_json(FILE *f, const struct replay_result *res);

#endif
