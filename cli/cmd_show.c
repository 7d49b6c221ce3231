/* vmtrace show [trace.db] [--from SEQ] [--count N] [--device BASE]:
 * decoded events as text, with the violations found at each. */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "decoder/db.h"
#include "spec/names.h"

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
		"  -h, --help       this help\n");
}

static const char events_sql[] =
	"SELECT e.seq, e.ts_ns, e.type, coalesce(d.name, ''), e.reg, e.dir, e.width, e.value, e.addr, e.len, e.text, "
	"       d.device_id, e.offset "
	"FROM events e LEFT JOIN devices d USING (device) "
	"WHERE e.seq >= ?1 AND (?2 IS NULL OR d.base = ?2) "
	"  AND (?3 = 0 OR e.seq IN (SELECT seq FROM violations)) "
	"ORDER BY e.seq LIMIT ?4";

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
	while (sqlite3_step(st) == SQLITE_ROW) {
		char dev[96], what[640], mean[512], text[512];
		int64_t seq = sqlite3_column_int64(st, 0);
		double us = (double)sqlite3_column_int64(st, 1) / 1000.0;
		const char *type = (const char *)sqlite3_column_text(st, 2);
		term_escape(sqlite3_column_text(st, 3), dev, sizeof(dev));

		if (type && !strcmp(type, "mmio")) {
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
			snprintf(what, sizeof(what), "%s %lld", type ? type : "?", (long long)sqlite3_column_int64(st, 7));
		}
		if (printf("%8lld %12.3fus %-24s %s\n", (long long)seq, us, dev, what) < 0)
			break;
		sqlite3_bind_int64(vs, 1, seq);
		while (sqlite3_step(vs) == SQLITE_ROW) {
			char rule[96], msg[512], sec[256];
			printf("%8s ! %s %s: %s  [%s]\n", "", (const char *)sqlite3_column_text(vs, 0),
			       term_escape(sqlite3_column_text(vs, 1), rule, sizeof(rule)),
			       term_escape(sqlite3_column_text(vs, 2), msg, sizeof(msg)),
			       term_escape(sqlite3_column_text(vs, 3), sec, sizeof(sec)));
		}
		sqlite3_reset(vs);
	}
	sqlite3_finalize(vs);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}
