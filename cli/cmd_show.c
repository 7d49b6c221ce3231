/* vmtrace show [trace.db] [--from SEQ] [--count N] [--device BASE]:
 * decoded events as text, with the violations found at each. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "cli/commands.h"
#include "cli/util.h"
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
		"  --from SEQ       start at sequence number SEQ (default 0)\n"
		"  -n, --count N    print at most N events (default: all)\n"
		"  --device BASE    only events of the device at BASE (e.g. 0x10000000)\n"
		"  --violations     only events that broke a rule\n"
		"  -h, --help       this help\n"
		"\n"
		"A row that contradicts the rest of the file (a width, direction or value\n"
		"no access has, a memory payload whose length is not events.len, a device\n"
		"the devices table does not have, a repeated seq, ...) is printed as\n"
		"'damaged row: WHY' in place of its event; show still prints every row and\n"
		"exits 0, with a warning on stderr counting them. Exit status 2: the file\n"
		"is not a trace.db that can be opened, or an argument is wrong.\n");
}

static void meaning(const struct tdb_event *row, char *out, size_t len)
{
	const char *reg = row->reg;
	uint64_t v = row->ev.value;
	uint32_t id = row->dev ? (uint32_t)row->dev->device_id : 0;
	char tmp[256];

	out[0] = '\0';
	if (!reg)
		return;
	if (!strcmp(reg, "Status"))
		snprintf(out, len, "%s", virtio_status_str((uint32_t)v, tmp, sizeof(tmp)));
	else if (!strcmp(reg, "DeviceID"))
		snprintf(out, len, "%s", virtio_device_type_name((uint32_t)v) ? virtio_device_type_name((uint32_t)v) : "unassigned id");
	else if (!strcmp(reg, "InterruptStatus") || !strcmp(reg, "InterruptACK"))
		snprintf(out, len, "%s%s", v & 1 ? "used-buffer " : "", v & 2 ? "config-change" : "");
	else if (!strcmp(reg, "QueueNotify") || !strcmp(reg, "QueueSel"))
		snprintf(out, len, "queue %llu", (unsigned long long)v);
	else if (!strcmp(reg, "DeviceFeatures") || !strcmp(reg, "DriverFeatures") ||
		 !strcmp(reg, "HostFeatures") || !strcmp(reg, "GuestFeatures"))
		snprintf(out, len, "word bits: %s", virtio_features_str(id, v, tmp, sizeof(tmp)));
}

/* Print the violations at one event (tdb_violations_at). */
static int print_violation(void *arg, const struct tdb_violation *v)
{
	char sev[32], rule[96], msg[512], sec[256];

	(void)arg;
	printf("%8s ! %s %s: %s  [%s]\n", "", term_escape((const unsigned char *)v->severity_text, sev, sizeof(sev)),
	       term_escape((const unsigned char *)v->rule, rule, sizeof(rule)),
	       term_escape((const unsigned char *)v->message, msg, sizeof(msg)),
	       term_escape((const unsigned char *)v->section, sec, sizeof(sec)));
	return 0;
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'n' },
		{ "device", required_argument, NULL, 'D' },
		{ "violations", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t from = 0, count = INT64_MAX, base = 0;
	bool have_base = false, only_viol = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (parse_u64(optarg, 0, INT64_MAX, &from) < 0)
				return error("--from wants a sequence number, not '%s'", optarg), EXIT_USAGE;
			break;
		case 'n':
			if (parse_u64(optarg, 1, INT64_MAX, &count) < 0)
				return error("--count wants a positive number, not '%s'", optarg), EXIT_USAGE;
			break;
		case 'D':
			if (parse_u64(optarg, 0, INT64_MAX, &base) < 0)
				return error("--device wants a base address such as 0x10000000, not '%s'", optarg), EXIT_USAGE;
			have_base = true;
			break;
		case 'V': only_viol = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "see 'vmtrace show --help'\n");
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return error("show wants at most one trace.db"), EXIT_USAGE;
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
	if (r == 0)
		r = tdb_cursor_open(t, &f, TDB_FORWARD, &cur);
	uint64_t damaged = 0, shown = 0;
	struct tdb_event row;
	while (r == 0 && shown < count) {
		char dev[96], what[640], mean[512], text[512];
		r = tdb_cursor_next(cur, &row);
		if (r == TDB_END) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		r = 0;
		shown++;
		uint64_t seq = row.ev.seq;
		double us = (double)row.ev.ts_ns / 1000.0;
		const char *type = tdb_vocab_name(&tdb_vocab_event_type, row.ev.type);
		term_escape((const unsigned char *)(row.dev ? row.dev->name : ""), dev, sizeof(dev));

		if (row.damaged) {
			damaged++;
			if (!row.seq_ok) {
				if (printf("%8s %12.3fus %-24s damaged row: seq %s\n", "?", us, dev, row.seq_shown) < 0)
					break;
				continue;
			}
			snprintf(what, sizeof(what), "damaged row: %s%s", strcmp(row.table, "memory") ? "" : "memory row: ",
				 row.why);
		} else if (row.ev.type == VMT_EV_MMIO) {
			meaning(&row, mean, sizeof(mean));
			snprintf(what, sizeof(what), "%s %-18s %d 0x%08llx %s", tdb_vocab_name(&tdb_vocab_dir, row.ev.dir),
				 term_escape((const unsigned char *)row.reg, text, sizeof(text)), row.ev.width,
				 (unsigned long long)row.ev.value, mean);
		} else if (row.ev.type == VMT_EV_MEM) {
			snprintf(what, sizeof(what), "memory %lld bytes at 0x%llx", (long long)row.ev.len,
				 (unsigned long long)row.ev.addr);
		} else if (row.ev.type == VMT_EV_IRQ) {
			snprintf(what, sizeof(what), "interrupt raised, InterruptStatus 0x%llx", (unsigned long long)row.ev.value);
		} else if (row.ev.type == VMT_EV_MARKER || row.ev.type == VMT_EV_VIOLATION) {
			snprintf(what, sizeof(what), "%s: %s", type, term_escape((const unsigned char *)row.text, text, sizeof(text)));
		} else {
			/* lost, device: checked by the cursor to be these */
			snprintf(what, sizeof(what), "%s %lld", type, (long long)row.ev.value);
		}
		if (printf("%8lld %12.3fus %-24s %s\n", (long long)seq, us, dev, what) < 0)
			break;
		if (row.damaged && strstr(row.why, "twice"))
			continue; /* its violations are printed with the first */
		r = tdb_violations_at(t, seq, print_violation, NULL);
	}
	if (r != 0) {
		fflush(stdout);
		error("%s", tdb_errmsg(t));
	}
	tdb_cursor_close(cur);
	tdb_close(t);
	if (damaged)
		warning("'%s': %" PRIu64 " damaged row%s (printed as 'damaged row: ...')", path, damaged,
			damaged == 1 ? "" : "s");
	return r == 0 ? 0 : r > 0 ? EXIT_USAGE : EXIT_FAIL;
}
