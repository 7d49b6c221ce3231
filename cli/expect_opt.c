/* -x and -X of replay and diff; see expect_opt.h. */
#include "cli/expect_opt.h"

#include "cli/commands.h"
#include "cli/util.h"

int cli_expect_option(struct replay_expect *e, int opt, const char *arg)
{
	char err[512];

	if (opt == 'x') {
		if (expect_add(e, arg, "--expect", err, sizeof(err)) < 0) {
			usage_error("--expect %s", err);
			return EXIT_USAGE;
		}
	} else if (expect_load_file(e, arg, err, sizeof(err)) < 0) {
		error("--expect-file %s", err);
		return EXIT_USAGE;
	}
	return 0;
}
