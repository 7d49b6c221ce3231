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
#include "format/tdb/fmt_tdb.h"
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

/* The formatter's device state for row: read from the file (format/tdb)
 * at the first row and whenever rows were skipped (--from, --violations),
 * walked along from the rows shown when they follow each other, and for
 * --device after the first row (the events of one device change only its
 * own state, and all of them are shown).  A state that cannot be read
 * leaves the selectors unknown: nothing is named from a guess.  *next is
 * the seq the walk expects next. */
static void fmt_prepare(struct fmt_ctx *c, struct tdb *t, const struct tdb_event *row, bool one_device,
			bool *filled, uint64_t *next)
{
	const struct tdb_device *td = row->dev;

	if (!*filled) {
		if (fmt_tdb_fill(c, t, row->ev.seq) != 0)
			for (size_t i = 0; i < c->n; i++)
				c->dev[i]->unknown = FMT_UNKNOWN_ALL;
		*filled = true;
	} else if (row->ev.seq != *next && !one_device) {
		/* A register access needs its own device's state; memory
		 * is named from every device's rings. */
		int r = td && row->ev.type != VMT_EV_MEM ? fmt_tdb_fill_device(c, t, td->id, row->ev.seq)
							 : fmt_tdb_fill(c, t, row->ev.seq);
		if (r != 0)
			for (size_t i = 0; i < c->n; i++)
				c->dev[i]->unknown = FMT_UNKNOWN_ALL;
	}
	if (td && !fmt_ctx_find(c, td->base)) {
		struct fmt_device *d = fmt_ctx_device(c, td->base);
		if (d) {
			fmt_device_set_name(d, td->name);
			d->version = td->version == 1 || td->version == 2 ? td->version : 0;
			d->device_id = td->device_id > 0 && td->device_id <= UINT32_MAX ? (uint32_t)td->device_id : 0;
			if (row->ev.seq != 0)
				d->unknown = FMT_UNKNOWN_ALL; /* not in the file's state: a damaged row */
		}
	}
	*next = row->ev.seq + 1;
}

#define SHOW_DEV_COL 24     /* narrowest device column */
#define SHOW_DEV_COL_MAX 48 /* a longer name pushes its line, not every line */
/* Events either side of a --from/--count range whose requests' buffers are
 * loaded to name memory (a chain made available or used that far away). */
#define SHOW_BUF_MARGIN 16384u

/* The device column's width: the longest escaped name, within the two. */
static int dev_col_width(const struct fmt_ctx *c)
{
	char name[4 * FMT_NAME_MAX + 1];
	size_t w = SHOW_DEV_COL;

	for (size_t i = 0; i < c->n; i++) {
		size_t k = strlen(term_escape((const unsigned char *)c->dev[i]->name, name, sizeof(name)));
		if (k > w)
			w = k;
	}
	return (int)(w < SHOW_DEV_COL_MAX ? w : SHOW_DEV_COL_MAX);
}

/* Print the violations at one event (tdb_violations_at): who broke the
 * rule (driver or device) is what a reader asks first. */
static int print_violation(void *arg, const struct tdb_violation *v)
{
	char sev[32], actor[32], rule[96], msg[512], sec[256];

	(void)arg;
	printf("%8s ! %s (%s) %s: %s  [%s]\n", "",
	       term_escape((const unsigned char *)v->severity_text, sev, sizeof(sev)),
	       term_escape((const unsigned char *)(v->actor_text[0] ? v->actor_text : "?"), actor, sizeof(actor)),
	       term_escape((const unsigned char *)v->rule, rule, sizeof(rule)),
	       term_escape((const unsigned char *)v->message, msg, sizeof(msg)),
	       term_escape((const unsigned char *)v->section, sec, sizeof(sec)));
	return 0;
}

/* Print the anomalies at one event (tdb_anomalies_at): what would have
 * been a violation had the snapshot's bytes been exact. */
static int print_anomaly(void *arg, const struct tdb_anomaly *a)
{
	char rule[96], msg[512];

	(void)arg;
	/* ring-copy-torn: a copy checked against the device's own report */
	printf("%8s ~ anomaly %s: %s  (%s; not a violation)\n", "", term_escape((const unsigned char *)a->rule, rule, sizeof(rule)),
	       term_escape((const unsigned char *)a->message, msg, sizeof(msg)),
	       strcmp(a->rule, "ring-copy-torn") ? "a best-effort snapshot the running guest changed"
						 : "the ring copy does not show what the device reported");
	return 0;
}

/* Whether the trace's register accesses come from more than one vCPU
 * (*many).  Over the whole trace, not the range shown, so the layout of a
 * trace does not change with --from; it stops at the second vCPU seen.
 * Damaged rows are passed over (the main walk names them).  Returns 0 or
 * an error of the cursor (tdb_errmsg). */
static int show_many_vcpus(struct tdb *t, bool *many)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	bool seen = false;
	uint16_t first = 0;
	int r;

	*many = false;
	tdb_filter_init(&f);
	f.types = 1u << VMT_EV_MMIO;
	if ((r = tdb_cursor_open(t, &f, TDB_FORWARD, &c)) != 0)
		return r;
	while ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW) {
		if (r)
			continue;
		if (!seen) {
			seen = true;
			first = row.ev.vcpu;
		} else if (row.ev.vcpu != first) {
			*many = true;
			break;
		}
	}
	tdb_cursor_close(c);
	return r == TDB_END || r == 0 || r == TDB_E_DAMAGED_ROW ? 0 : r;
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

/* "  [chain 3: agrees]" for a device's report matched with a chain or
 * judged against the ring copy; "" otherwise. */
static void step_note(const struct tdb_event *row, char *buf, size_t len)
{
	char chain[32] = "";

	buf[0] = '\0';
	if (!row->has_step || (row->step_chain < 0 && row->step_verdict < 0))
		return;
	if (row->step_chain >= 0)
		snprintf(chain, sizeof(chain), "chain %lld", (long long)row->step_chain);
	snprintf(buf, len, "  [%s%s%s]", row->step_chain >= 0 ? chain : "no chain", row->step_verdict >= 0 ? ": " : "",
		 row->step_verdict >= 0 ? tdb_vocab_name(&tdb_vocab_step_verdict, row->step_verdict) : "");
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
	struct fmt_ctx *fc = NULL;
	struct fmt_tdb_bufs *bufs = NULL;
	uint64_t damaged = 0, shown = 0, next = 0;
	bool filled = false;
	struct tdb_event row;
	f.with_data = true; /* the formatter decodes ring entries from their bytes */
	if (r == 0 && fmt_ctx_new(&fc) < 0)
		r = -ENOMEM;
	/* The state where the range starts (a state that cannot be read
	 * leaves the selectors unknown); the device column as wide as the
	 * longest name, so the columns stay aligned. */
	int devw = SHOW_DEV_COL;
	if (r == 0) {
		if (fmt_tdb_fill(fc, t, from) != 0)
			for (size_t i = 0; i < fc->n; i++)
				fc->dev[i]->unknown = FMT_UNKNOWN_ALL;
		filled = true;
		next = from;
		devw = dev_col_width(fc);
		/* Memory outside the rings is named by the request whose
		 * buffer it is (not with --device: it shows no memory).  A
		 * count of rows in a row bounds the requests to load: those
		 * notified in the range and a margin either side. */
		uint64_t lo = 0, hi = 0;
		if (!only_viol && count < INT64_MAX) {
			lo = from > SHOW_BUF_MARGIN ? from - SHOW_BUF_MARGIN : 0;
			hi = from + count + SHOW_BUF_MARGIN;
		}
		if (!have_base && fmt_tdb_bufs_load(&bufs, t, lo, hi) != 0)
			bufs = NULL; /* the rings are still named */
	}
	/* A cpuN column (as dump has) only where there is more than one
	 * vCPU: one-vCPU traces keep their layout. */
	bool cpu_col = false;
	if (r == 0)
		r = show_many_vcpus(t, &cpu_col);
	/* Times count from the trace's first event, whatever the range
	 * (a first row that is no time: times as recorded). */
	uint64_t t0 = 0;
	if (r == 0) {
		int e = tdb_events_first_ts(t, &t0);
		if (e != 0 && e != TDB_END && e != TDB_E_DAMAGED_ROW)
			r = e;
	}
	if (r == 0)
		r = tdb_cursor_open(t, &f, TDB_FORWARD, &cur);
	while (r == 0 && shown < count) {
		char dev[4 * TDB_NAME_MAX + 1], what[4 * 1024 + 640];
		struct fmt_info info;
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
		char when[40];
		fmt_time_us(when, sizeof(when), 14, row.ev.ts_ns, t0);
		term_escape((const unsigned char *)(row.dev ? row.dev->name : ""), dev, sizeof(dev));

		if (row.damaged) {
			damaged++;
			if (!row.seq_ok) {
				if (printf("%8s %s %s%-*s damaged row: seq %s\n", "?", when, cpu_col ? "cpu?  " : "", devw,
					   dev, row.seq_shown) < 0)
					break;
				continue;
			}
			snprintf(what, sizeof(what), "damaged row: %s%s", strcmp(row.table, "memory") ? "" : "memory row: ",
				 row.why);
			next = seq + 1; /* not a skip: the formatter's walk goes on */
		} else {
			/* One formatter for dump, show and replay
			 * (format/event_fmt.h); memory named from a ring is
			 * shown under the ring's device. */
			struct vmt_event ev = row.ev;
			if (ev.type == VMT_EV_IRQ)
				ev.width = FMT_IRQ_EDGE_UNKNOWN; /* the row keeps the status only */
			if ((ev.type == VMT_EV_MARKER || ev.type == VMT_EV_VIOLATION) && row.text) {
				ev.data = (const uint8_t *)row.text; /* the text's length is ev.len */
				ev.len = (uint32_t)strnlen(row.text, ev.len);
			}
			char note[160] = "";
			int owner = -1;
			if (ev.type == VMT_EV_MEM)
				fmt_tdb_bufs_note(bufs, &ev, note, sizeof(note), &owner);
			fmt_prepare(fc, t, &row, have_base, &filled, &next);
			fmt_event_next(fc, &ev, note, what, sizeof(what), &info);
			if (ev.type == VMT_EV_QUEUE) {
				char sn[96];
				size_t k = strlen(what);
				step_note(&row, sn, sizeof(sn));
				snprintf(what + k, sizeof(what) - k, "%s", sn);
			}
			if (row.ev.type == VMT_EV_MEM && info.where.dev) {
				term_escape((const unsigned char *)info.where.dev->name, dev, sizeof(dev));
			} else if (row.ev.type == VMT_EV_MEM && owner >= 0) {
				const struct tdb_device *od = tdb_device_by_id(t, owner);
				if (od)
					term_escape((const unsigned char *)od->name, dev, sizeof(dev));
			}
		}
		char cpu[16] = "";
		if (cpu_col)
			snprintf(cpu, sizeof(cpu), "cpu%-2u ", (unsigned)row.ev.vcpu);
		if (printf("%8lld %s %s%-*s %s\n", (long long)seq, when, cpu, devw, dev, what) < 0)
			break;
		if (row.damaged && strstr(row.why, "twice"))
			continue; /* its violations are printed with the first */
		r = tdb_violations_at(t, seq, print_violation, NULL);
		if (r == 0)
			r = tdb_anomalies_at(t, seq, print_anomaly, NULL);
	}
	if (r != 0) {
		fflush(stdout);
		error("%s", tdb_errmsg(t));
	}
	tdb_cursor_close(cur);
	fmt_ctx_free(fc);
	fmt_tdb_bufs_free(bufs);
	tdb_close(t);
	if (damaged)
		warning("'%s': %" PRIu64 " damaged row%s (printed as 'damaged row: ...')", path, damaged,
			damaged == 1 ? "" : "s");
	return r == 0 ? 0 : r > 0 ? EXIT_USAGE : EXIT_FAIL;
}
