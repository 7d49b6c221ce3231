/* vmtrace tui [trace.db] [--script FILE --size COLSxROWS] [-C]: the
 * interactive inspector (tui/), or its headless script mode for tests. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "config.h"
#include "tui/tui_app.h"
#include "tui/tui_script.h"
#if HAVE_TUI
#include "tui/tui_screen.h"
#endif

/* The script mode's screen unless --size says otherwise (tig's tests). */
#define TUI_SCRIPT_COLS 100
#define TUI_SCRIPT_ROWS 30

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace tui [options] [trace.db]\n"
		"\n"
		"Browse a trace.db: the events one per line as 'vmtrace show' prints\n"
		"them, the event under the cursor in detail, and its device's state at\n"
		"that event (moving the cursor moves time).  Press ? for the keys.\n"
		"Reads vmtrace.db when no file is named.\n"
		"\n"
		"options:\n"
		"  -C, --no-color    no colours (also with NO_COLOR set); the letters\n"
		"                    carry the meaning: '>' cursor, '!' violation,\n"
		"                    '~' anomaly\n"
		"  --script FILE     no terminal: run the keys in FILE and print the\n"
		"                    screen at each 'dump' (for tests; keys such as j k G\n"
		"                    <PgDn> <Tab> :SEQ<Enter> /TEXT<Enter> n ? q,\n"
		"                    <Resize COLSxROWS>)\n"
		"  --size COLSxROWS  the script's screen (default 100x30)\n"
		"  -h, --help        this help\n"
		"\n"
		"Without a terminal on standard input and output (and no --script), or\n"
		"on one that cannot place the cursor (TERM=dumb), it exits 2: 'vmtrace\n"
		"show' prints the same lines, 'vmtrace info --json' the summary.\n"
		"\n"
		"Exit status: 0 done (q, or the script's end); 1 the trace could not be\n"
		"read on (a read error of the file); 2 bad arguments, no terminal, a\n"
		"file that is not a trace, a script that cannot be read.\n");
}

/* "100x30" into cols, rows. */
static int parse_size_arg(const char *s, int *cols, int *rows)
{
	unsigned c, r;
	char tail;

	if (sscanf(s, "%ux%u%c", &c, &r, &tail) != 2 || c < 20 || r < 5 || c > TUI_GRID_COLS_MAX || r > TUI_GRID_ROWS_MAX)
		return -1;
	*cols = (int)c;
	*rows = (int)r;
	return 0;
}

int cmd_tui(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-color", no_argument, NULL, 'C' },
		{ "script", required_argument, NULL, 'S' },
		{ "size", required_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *script = NULL;
	int cols = TUI_SCRIPT_COLS, rows = TUI_SCRIPT_ROWS;
	bool color = true, have_size = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "Ch", opts, NULL)) != -1) {
		switch (c) {
		case 'C': color = false; break;
		case 'S': script = optarg; break;
		case 'Z':
			if (parse_size_arg(optarg, &cols, &rows) < 0)
				return usage_error("--size wants COLSxROWS from 20x5 to %dx%d, such as 100x30, not '%s'",
						   TUI_GRID_COLS_MAX, TUI_GRID_ROWS_MAX, optarg);
			have_size = true;
			break;
		case 'h': usage(stdout); return 0;
		default:
			usage_hint();
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return usage_error("wants at most one trace.db ('%s' is extra)", argv[optind + 1]);
	if (have_size && !script)
		return usage_error("--size is for --script (a terminal has its own size)");
	const char *path = optind < argc ? argv[optind] : "vmtrace.db";
	const char *term = getenv("TERM");
	const char *nc = getenv("NO_COLOR");
	if ((nc && nc[0]) || (term && !strcmp(term, "dumb")))
		color = false; /* no-color.org: set and not empty */
	if (script)
		color = false; /* a dump is text: what colour would mark (the strip's cursor) gets its letter */
	if (!script && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return error("needs a terminal on standard input and output: 'vmtrace show %s' prints the events, "
			     "'vmtrace info --json %s' the summary",
			     path, path),
		       EXIT_USAGE;
#if !HAVE_TUI
	if (!script)
		return error("this build has no terminal front (rebuild with ncursesw: meson -Dtui=enabled); "
			     "'vmtrace show' prints the same lines"),
		       EXIT_USAGE;
#endif
	struct tui_app *a;
	char err[1024];
	int r = tui_app_open(&a, path, rows, cols, color, err, sizeof(err));
	if (r)
		return error("%s", err), r < 0 ? EXIT_FAIL : EXIT_USAGE;
	if (script) {
		r = tui_script_run(a, script, stdout, err, sizeof(err));
		if (r == TUI_SCRIPT_E_BAD) {
			tui_app_free(a);
			return error("%s", err), EXIT_USAGE;
		}
	} else {
#if HAVE_TUI
		r = tui_screen_run(a, err, sizeof(err));
		if (r == TUI_SCREEN_E_TERM) {
			tui_app_free(a);
			return error("%s: 'vmtrace show %s' prints the events", err, path), EXIT_USAGE;
		}
#endif
	}
	tui_app_free(a);
	if (r)
		return error("%s", err), EXIT_FAIL;
	return 0;
}
