/* The commands that read trace.db files, in a build without SQLite: they
 * say so and exit 2 so no script mistakes them for success. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "config.h"

#if !HAVE_SQLITE
static int pending(int argc, char **argv, const char *what)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s ...\n\n%s\n\nNot in this build.\n", cli_prog(), what);
			return 0;
		}
	}
	error("not in this build (%s)", what);
	return EXIT_USAGE;
}

/* Built without SQLite: the decoder is a meson feature. */
int cmd_decode(int argc, char **argv)
{
	return pending(argc, argv, "this build has no decoder: rebuild with SQLite (meson -Ddecoder=enabled)");
}

int cmd_info(int argc, char **argv)
{
	return pending(argc, argv, "this build has no decoder: rebuild with SQLite (meson -Ddecoder=enabled)");
}

int cmd_show(int argc, char **argv)
{
	return pending(argc, argv, "this build has no decoder: rebuild with SQLite (meson -Ddecoder=enabled)");
}

int cmd_replay(int argc, char **argv)
{
	return pending(argc, argv, "replay reads trace.db files: rebuild with SQLite (meson -Ddecoder=enabled)");
}

int cmd_tui(int argc, char **argv)
{
	return pending(argc, argv, "the inspector reads trace.db files: rebuild with SQLite (meson -Ddecoder=enabled)");
}

int cmd_export(int argc, char **argv)
{
	return pending(argc, argv, "export reads trace.db files: rebuild with SQLite (meson -Ddecoder=enabled)");
}

int cmd_diff(int argc, char **argv)
{
	return pending(argc, argv, "diff reads trace.db files: rebuild with SQLite (meson -Ddecoder=enabled)");
}
#endif
