/* The declared-difference options replay and diff share: -x DECL
 * (--expect) and -X FILE (--expect-file), read into one list
 * (replay/expect.h). */
#ifndef VMTRACE_CLI_EXPECT_OPT_H
#define VMTRACE_CLI_EXPECT_OPT_H

#include "replay/expect.h"

/* Take option opt ('x' or 'X') with its argument into e: 0, or
 * EXIT_USAGE with the message printed (a declaration that does not
 * parse, a file that cannot be read, naming file:line). */
int cli_expect_option(struct replay_expect *e, int opt, const char *arg);

#endif
