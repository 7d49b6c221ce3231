/* vmtrace show [trace.db] [--from SEQ] [--count N] [--device BASE]:
 * decoded events as text, with the violations found at each. */
#include <getopt.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "decoder/db.h"
#include "decoder/db_row.h"
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

/* The memory row is joined for its length and address only (the bytes are
 * not read). */
static const char events_sql[] =
	"SELECT e.seq, e.ts_ns, e.type, coalesce(d.name, ''), e.reg, e.dir, e.width, e.value, e.addr, e.len, e.text, "
	"       d.device_id, e.offset, e.device, d.device IS NOT NULL, m.seq IS NOT NULL, typeof(m.data), "
	"       length(m.data), m.gpa "
	"FROM events e LEFT JOIN devices d USING (device) LEFT JOIN memory m ON m.seq = e.seq AND e.type = 'mem' "
	"WHERE e.seq >= ?1 AND (?2 IS NULL OR d.base = ?2) "
	"  AND (?3 = 0 OR e.seq IN (SELECT seq FROM violations)) "
	"ORDER BY e.seq LIMIT ?4";

enum {
	C_SEQ, C_TS, C_TYPE, C_NAME, C_REG, C_DIR, C_WIDTH, C_VALUE, C_ADDR, C_LEN, C_TEXT, C_DEVICE_ID, C_OFFSET,
	C_DEVICE, C_HAS_DEVICE, C_HAS_MEMORY, C_DATA_TYPE, C_DATA_LEN, C_GPA,
};

/* The reason into out; returns true (for "return why(...)"). */
static bool __attribute__((format(printf, 3, 4))) why(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return true;
}

/* Whether the event row at st contradicts the rest of the file; true with
 * the reason in out.  What the decoder writes passes: an access of any
 * width the raw trace can hold, a memory event without its memory row
 * (decoded with --no-memory).  prev is the seq of the row printed before,
 * -1 if none. */
static bool damage(sqlite3_stmt *st, int64_t prev, char *out, size_t len)
{
	char a[96], b[96];

	out[0] = '\0';
	if (!db_row_int(st, C_SEQ, 0, INT64_MAX, false, NULL))
		return why(out, len, "seq %s", db_row_shown(st, C_SEQ, a, sizeof(a)));
	if (sqlite3_column_int64(st, C_SEQ) <= prev)
		return why(out, len, "seq %lld appears twice (a duplicate events or memory row)",
			   (long long)sqlite3_column_int64(st, C_SEQ));
	if (sqlite3_column_type(st, C_DEVICE) != SQLITE_NULL && !sqlite3_column_int(st, C_HAS_DEVICE))
		return why(out, len, "device %s is not in the devices table", db_row_shown(st, C_DEVICE, a, sizeof(a)));
	if (db_row_is(st, C_TYPE, "mmio")) {
		if (!db_row_is(st, C_DIR, "R") && !db_row_is(st, C_DIR, "W"))
			return why(out, len, "dir %s (R or W)", db_row_shown(st, C_DIR, a, sizeof(a)));
		if (!db_row_int(st, C_WIDTH, 0, 255, false, NULL))
			return why(out, len, "width %s", db_row_shown(st, C_WIDTH, a, sizeof(a)));
		if (!db_row_int(st, C_VALUE, INT64_MIN, INT64_MAX, false, NULL))
			return why(out, len, "value %s", db_row_shown(st, C_VALUE, a, sizeof(a)));
	} else if (db_row_is(st, C_TYPE, "mem")) {
		if (!db_row_int(st, C_LEN, 0, VMT_EVENT_DATA_MAX, false, NULL))
			return why(out, len, "len %s (0 to %u)", db_row_shown(st, C_LEN, a, sizeof(a)), VMT_EVENT_DATA_MAX);
		if (!db_row_int(st, C_ADDR, INT64_MIN, INT64_MAX, false, NULL))
			return why(out, len, "addr %s", db_row_shown(st, C_ADDR, a, sizeof(a)));
		if (!sqlite3_column_int(st, C_HAS_MEMORY))
			return false;
		if (!db_row_is(st, C_DATA_TYPE, "blob"))
			return why(out, len, "memory payload is %s, not a blob",
				   term_escape(sqlite3_column_text(st, C_DATA_TYPE), a, sizeof(a)));
		if (sqlite3_column_int64(st, C_DATA_LEN) != sqlite3_column_int64(st, C_LEN))
			return why(out, len, "memory payload is %lld bytes, events.len says %lld",
				   (long long)sqlite3_column_int64(st, C_DATA_LEN), (long long)sqlite3_column_int64(st, C_LEN));
		if (!db_row_int(st, C_GPA, INT64_MIN, INT64_MAX, false, NULL) ||
		    sqlite3_column_int64(st, C_GPA) != sqlite3_column_int64(st, C_ADDR))
			return why(out, len, "memory.gpa %s, events.addr says %s", db_row_shown(st, C_GPA, a, sizeof(a)),
				   db_row_shown(st, C_ADDR, b, sizeof(b)));
	} else if (db_row_is(st, C_TYPE, "irq") || db_row_is(st, C_TYPE, "device")) {
		if (!db_row_int(st, C_VALUE, INT64_MIN, INT64_MAX, false, NULL))
			return why(out, len, "value %s", db_row_shown(st, C_VALUE, a, sizeof(a)));
	} else if (db_row_is(st, C_TYPE, "lost")) {
		if (!db_row_int(st, C_VALUE, 0, INT64_MAX, false, NULL))
			return why(out, len, "lost count %s", db_row_shown(st, C_VALUE, a, sizeof(a)));
	} else if (!db_row_is(st, C_TYPE, "marker") && !db_row_is(st, C_TYPE, "violation")) {
		return why(out, len, "type %s (mmio, mem, irq, marker, lost, device or violation)",
			   db_row_shown(st, C_TYPE, a, sizeof(a)));
	}
	return false;
}

static void meaning(sqlite3_stmt *st, char *out, size_t len)
{
	const char *reg = (const char *)sqlite3_column_text(st, 4);
	uint64_t v = (uint64_t)sqlite3_column_int64(st, 7);
	uint32_t id = (uint32_t)sqlite3_column_int64(st, 11);
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
	sqlite3 *db;
	char err[512];
	if (trace_db_open_readonly(&db, path, err, sizeof(err)) < 0)
		return error("%s", err), EXIT_USAGE;

	sqlite3_stmt *st, *vs;
	if (sqlite3_prepare_v2(db, events_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT severity, rule, message, section FROM violations WHERE seq = ?1", -1, &vs, NULL) != SQLITE_OK) {
		error("'%s': %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return EXIT_USAGE;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	if (have_base)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)base);
	sqlite3_bind_int(st, 3, only_viol);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)count);
	int64_t prev = -1;
	uint64_t damaged = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char dev[96], what[640], mean[512], text[512], bad[320];
		int64_t seq = sqlite3_column_int64(st, 0);
		double us = (double)sqlite3_column_int64(st, 1) / 1000.0;
		const char *type = (const char *)sqlite3_column_text(st, 2);
		term_escape(sqlite3_column_text(st, 3), dev, sizeof(dev));

		if (damage(st, prev, bad, sizeof(bad))) {
			damaged++;
			if (!db_row_int(st, C_SEQ, 0, INT64_MAX, false, NULL)) {
				if (printf("%8s %12.3fus %-24s damaged row: %s\n", "?", us, dev, bad) < 0)
					break;
				continue;
			}
			snprintf(what, sizeof(what), "damaged row: %s", bad);
		} else if (type && !strcmp(type, "mmio")) {
			meaning(st, mean, sizeof(mean));
			snprintf(what, sizeof(what), "%s %-18s %d 0x%08llx %s", (const char *)sqlite3_column_text(st, 5),
				 term_escape(sqlite3_column_text(st, 4), text, sizeof(text)), sqlite3_column_int(st, 6),
				 (unsigned long long)sqlite3_column_int64(st, 7), mean);
		} else if (type && !strcmp(type, "mem")) {
			snprintf(what, sizeof(what), "memory %lld bytes at 0x%llx", (long long)sqlite3_column_int64(st, 9),
				 (unsigned long long)sqlite3_column_int64(st, 8));
		} else if (type && !strcmp(type, "irq")) {
			snprintf(what, sizeof(what), "interrupt raised, InterruptStatus 0x%llx", (unsigned long long)sqlite3_column_int64(st, 7));
		} else if (type && (!strcmp(type, "marker") || !strcmp(type, "violation"))) {
			snprintf(what, sizeof(what), "%s: %s", type, term_escape(sqlite3_column_text(st, 10), text, sizeof(text)));
		} else {
			/* lost, device: checked above to be these */
			snprintf(what, sizeof(what), "%s %lld", type, (long long)sqlite3_column_int64(st, 7));
		}
		if (printf("%8lld %12.3fus %-24s %s\n", (long long)seq, us, dev, what) < 0)
			break;
		if (seq <= prev)
			continue; /* its violations are printed with the first */
		prev = seq;
		sqlite3_bind_int64(vs, 1, seq);
		while (sqlite3_step(vs) == SQLITE_ROW) {
			char sev[32], rule[96], msg[512], sec[256];
			printf("%8s ! %s %s: %s  [%s]\n", "", term_escape(sqlite3_column_text(vs, 0), sev, sizeof(sev)),
			       term_escape(sqlite3_column_text(vs, 1), rule, sizeof(rule)),
			       term_escape(sqlite3_column_text(vs, 2), msg, sizeof(msg)),
			       term_escape(sqlite3_column_text(vs, 3), sec, sizeof(sec)));
		}
		sqlite3_reset(vs);
	}
	sqlite3_finalize(vs);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (damaged)
		warning("'%s': %" PRIu64 " damaged row%s (printed as 'damaged row: ...')", path, damaged,
			damaged == 1 ? "" : "s");
	return 0;
}
