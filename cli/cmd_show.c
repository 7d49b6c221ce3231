/* vmtrace show [trace.db] [--from SEQ] [--count N] [--device BASE]:
 * decoded events as text, with the violations found at each. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "format/event_fmt.h"
#include "format/fmt_time.h"
#include "format/tdb/fmt_row.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "virtio/names.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace show [options] [trace.db]\n"
		"\n"
		"Print decoded events, one per line, with the violations found at each\n"
		"(lines starting with '!'). Reads vmtrace.db when no file is named.\n"
		"\n"
		"options:\n"
		"  --from SEQ       start at sequence number SEQ (default 0)\n"
		"  -n, --count N    print at most N events (default: all)\n"
		"  --device BASE    only events of the device at BASE (e.g. 0x10000000)\n"
		"  --violations     only events that broke a rule, or whose best-effort\n"
		"                   snapshot looks as if one was broken (an anomaly)\n"
		"  --type LIST      only events of these types, comma-separated: mmio,\n"
		"                   mem, irq, marker, lost, device, violation, queue\n"
		"                   (queue: the device's own reports of its queue steps)\n"
		"  -h, --help       this help\n"
		"\n"
		"Times count from the trace's first event, in microseconds. A trace whose\n"
		"register accesses come from more than one vCPU gets a column saying\n"
		"whose each event is (cpu0, cpu1, ...) after the time.\n"
		"\n"
		"Under an event, '!' lines are its violations (severity, who broke the\n"
		"rule, the rule, what happened, the spec section) and '~' lines its\n"
		"anomalies. A device's report of a queue step names the chain it was\n"
		"matched with and whether the ring copy agreed ([chain 3: agrees],\n"
		"torn, or no-copy).\n"
		"\n"
		"A row that contradicts the rest of the file (a width, direction or value\n"
		"no access has, a memory payload whose length is not events.len, a device\n"
		"the devices table does not have, a repeated seq, ...) is printed as\n"
		"'damaged row: WHY' in place of its event; show still prints every row and\n"
		"exits 0, with a warning on stderr counting them. Exit status 2: the file\n"
		"is not a trace.db that can be opened, or an argument is wrong.\n");
}

/* Print the violations at one event (tdb_violations_at). */
static int print_violation(void *arg, const struct tdb_violation *v)
{
	char line[FMT_ROW_NOTE_MAX];

	(void)arg;
	printf("%s\n", fmt_row_violation(v, line, sizeof(line)));
	return 0;
}

/* Print the anomalies at one event (tdb_anomalies_at): what would have
 * been a violation had the snapshot's bytes been exact. */
static int print_anomaly(void *arg, const struct tdb_anomaly *a)
{
	char line[FMT_ROW_NOTE_MAX];

	(void)arg;
	printf("%s\n", fmt_row_anomaly(a, line, sizeof(line)));
	return 0;
}

/* --type's comma-separated event type words into bits 1u << VMT_EV_*.
 * Returns 0, or -1 for an empty list or a word no event type has. */
static int parse_types(const char *arg, unsigned *types)
{
	const char *p = arg;

	*types = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		int ty = tdb_vocab_parse(&tdb_vocab_event_type, p, n);
		if (ty <= 0)
			return -1;
		*types |= 1u << ty;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'n' },
		{ "device", required_argument, NULL, 'D' },
		{ "violations", no_argument, NULL, 'V' },
		{ "type", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t from = 0, count = INT64_MAX, base = 0;
	bool have_base = false, only_viol = false;
	unsigned types = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (parse_u64(optarg, 0, INT64_MAX, &from) < 0)
				return usage_error("--from wants a sequence number, not '%s'", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, 1, INT64_MAX, &count) < 0)
				return usage_error("--count wants a positive number, not '%s'", optarg);
			break;
		case 'D':
			if (parse_u64(optarg, 0, INT64_MAX, &base) < 0)
				return usage_error("--device wants a base address such as 0x10000000, not '%s'", optarg);
			have_base = true;
			break;
		case 'V': only_viol = true; break;
		case 'T':
			if (parse_types(optarg, &types) < 0) {
				char list[128];
				return usage_error("--type wants event types separated by commas (%s), not '%s'",
						   tdb_vocab_list(&tdb_vocab_event_type, list, sizeof(list)), optarg);
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			usage_hint();
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return usage_error("wants at most one trace.db ('%s' is extra)", argv[optind + 1]);
	const char *path = optind < argc ? argv[optind] : "vmtrace.db";
	struct tdb *t;
	struct tdb_cursor *cur = NULL;
	struct tdb_filter f;
	char err[512];
	int r;
	if ((r = tdb_open(&t, path, err, sizeof(err))) != 0)
		return error("%s", err), r < 0 ? EXIT_FAIL : EXIT_USAGE;

	tdb_filter_init(&f);
	f.has_from = true;
	f.from = from;
	f.violations_only = only_viol;
	f.types = types;
	if (have_base) {
		int id;
		r = tdb_device_by_base(t, base, &id);
		if (r == TDB_E_NOT_FOUND) {
			/* no device there: no events to show */
			tdb_close(t);
			return 0;
		}
		f.device = id;
	}
	struct fmt_rows *rows = NULL;
	uint64_t damaged = 0, shown = 0;
	struct tdb_event row;
	f.with_data = true; /* the formatter decodes ring entries from their bytes */
	if (r == 0) {
		/* The lines as the TUI shows them too (format/tdb/fmt_row.h):
		 * the state where the range starts.  Memory outside the rings
		 * is named by the request whose buffer it is (not with
		 * --device: it shows no memory).  A count of rows in a row
		 * bounds the requests to load: those notified in the range
		 * and a margin either side. */
		struct fmt_rows_opts o = { .from = from, .one_device = have_base, .bufs = !have_base };
		if (!only_viol && count < INT64_MAX) {
			o.bufs_from = from > FMT_TDB_BUF_BEFORE ? from - FMT_TDB_BUF_BEFORE : 0;
			o.bufs_to = from + count + FMT_TDB_BUF_AFTER;
		}
		r = fmt_rows_open(&rows, t, &o);
	}
	if (r == 0)
		r = tdb_cursor_open(t, &f, TDB_FORWARD, &cur);
	while (r == 0 && shown < count) {
		char line[FMT_ROW_LINE_MAX];
		r = tdb_cursor_next(cur, &row);
		if (r == TDB_END) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		r = 0;
		shown++;
		if (row.damaged)
			damaged++;
		if (printf("%s\n", fmt_rows_line(rows, &row, line, sizeof(line), NULL)) < 0)
			break;
		if (row.damaged && (!row.seq_ok || strstr(row.why, "twice")))
			continue; /* its violations are printed with the first */
		r = tdb_violations_at(t, row.ev.seq, print_violation, NULL);
		if (r == 0)
			r = tdb_anomalies_at(t, row.ev.seq, print_anomaly, NULL);
	}
	if (r != 0) {
		fflush(stdout);
		error("%s", tdb_errmsg(t));
	}
	tdb_cursor_close(cur);
	fmt_rows_free(rows);
	tdb_close(t);
	if (damaged)
		warning("'%s': %" PRIu64 " damaged row%s (printed as 'damaged row: ...')", path, damaged,
			damaged == 1 ? "" : "s");
	return r == 0 ? 0 : r > 0 ? EXIT_USAGE : EXIT_FAIL;
}
