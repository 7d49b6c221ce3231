/* vmtrace info [--json] [trace.db]: what a trace holds, in a few lines. */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/util.h"
#include "decoder/db.h"
#include "spec/names.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace info [--json] [trace.db]\n"
		"\n"
		"Summarize a decoded trace: devices, status reached, negotiated features,\n"
		"queues, requests and violations. Reads vmtrace.db when no file is named.\n"
		"\n"
		"  --json      print one JSON object (stable keys: events, lost, violations,\n"
		"              anomalies,\n"
		"              complete, devices[] with base, name, device_id, type, version,\n"
		"              status (as last written), status_reached (every bit set at some\n"
		"              point), features_offered, features_negotiated, queues[], requests,\n"
		"              violations)\n"
		"  -h, --help  this help\n");
}

static int64_t scalar(sqlite3 *db, const char *sql, int64_t param)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, param);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

struct device_row {
	int id;
	uint64_t base;
	char name[64];
	int64_t device_id; /* -1 unknown */
	char type[48];
	int version;
	uint32_t status;
	uint32_t reached; /* every status bit set at some point */
	uint64_t offered, negotiated;
	int64_t requests, violations, events;
};

static int read_device(sqlite3_stmt *st, struct device_row *d)
{
	char tmp[128];

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int(st, 0);
	d->base = (uint64_t)sqlite3_column_int64(st, 1);
	snprintf(d->name, sizeof(d->name), "%s", term_escape(sqlite3_column_text(st, 2), tmp, sizeof(tmp)));
	d->device_id = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
	snprintf(d->type, sizeof(d->type), "%s", term_escape(sqlite3_column_text(st, 4), tmp, sizeof(tmp)));
	d->version = sqlite3_column_int(st, 5);
	d->status = (uint32_t)sqlite3_column_int64(st, 6);
	d->offered = (uint64_t)sqlite3_column_int64(st, 7);
	d->negotiated = (uint64_t)sqlite3_column_int64(st, 8);
	d->events = sqlite3_column_int64(st, 9);
	d->reached = (uint32_t)sqlite3_column_int64(st, 10);
	return 0;
}

static const char device_sql[] =
	"SELECT device, base, name, device_id, type, version, status, features_offered, "
	"features_negotiated, events, "
	/* SQLite has no bitwise-OR aggregate: OR the bits one by one. */
	"(SELECT coalesce(max(new & 1) | max(new & 2) | max(new & 4) | max(new & 8) | max(new & 32) | "
	"max(new & 64) | max(new & 128), 0) FROM status_changes s "
	" WHERE s.device = d.device AND s.kind IN ('set', 'failed', 'needs-reset', 'device')) "
	"FROM devices d ORDER BY base";

/* Latest generation of each queue that was set up. */
static const char queues_sql[] =
	"SELECT queue, size FROM queues q WHERE device = ?1 AND generation = "
	"(SELECT max(generation) FROM queues WHERE device = q.device AND queue = q.queue) ORDER BY queue";

static void print_json(sqlite3 *db)
{
	struct json j;
	sqlite3_stmt *st, *qs;
	char buf[64], status[128];

	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_u64(&j, "events", (uint64_t)scalar(db, "SELECT count(*) FROM events", 0));
	trace_db_meta(db, "lost", buf, sizeof(buf));
	json_u64(&j, "lost", strtoull(buf, NULL, 10));
	json_u64(&j, "violations", (uint64_t)scalar(db, "SELECT count(*) FROM violations", 0));
	/* Files written before the table existed read as 0. */
	json_u64(&j, "anomalies", (uint64_t)scalar(db, "SELECT count(*) FROM anomalies", 0));
	trace_db_meta(db, "complete", buf, sizeof(buf));
	json_bool(&j, "complete", strcmp(buf, "1") == 0);
	trace_db_meta(db, "source", buf, sizeof(buf));
	json_string(&j, "source", buf);
	json_begin_array(&j, "devices");
	if (sqlite3_prepare_v2(db, device_sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, queues_sql, -1, &qs, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct device_row d;
			read_device(st, &d);
			json_begin_object(&j, NULL);
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d.base);
			json_string(&j, "base", buf);
			json_string(&j, "name", d.name);
			if (d.device_id >= 0)
				json_u64(&j, "device_id", (uint64_t)d.device_id);
			else
				json_null(&j, "device_id");
			json_string(&j, "type", d.type[0] ? d.type : NULL);
			json_u64(&j, "version", (uint64_t)d.version);
			json_string(&j, "status", virtio_status_str(d.status, status, sizeof(status)));
			json_string(&j, "status_reached", virtio_status_str(d.reached, status, sizeof(status)));
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d.offered);
			json_string(&j, "features_offered", buf);
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d.negotiated);
			json_string(&j, "features_negotiated", buf);
			json_begin_array(&j, "queues");
			sqlite3_bind_int(qs, 1, d.id);
			while (sqlite3_step(qs) == SQLITE_ROW) {
				json_begin_object(&j, NULL);
				json_u64(&j, "index", (uint64_t)sqlite3_column_int64(qs, 0));
				json_u64(&j, "size", (uint64_t)sqlite3_column_int64(qs, 1));
				json_end_object(&j);
			}
			sqlite3_reset(qs);
			json_end_array(&j);
			json_u64(&j, "requests", (uint64_t)scalar(db, "SELECT count(*) FROM requests WHERE device = ?1", d.id));
			json_u64(&j, "violations", (uint64_t)scalar(db, "SELECT count(*) FROM violations WHERE device = ?1", d.id));
			json_u64(&j, "events", (uint64_t)d.events);
			json_end_object(&j);
		}
		sqlite3_finalize(qs);
	}
	sqlite3_finalize(st);
	json_end_array(&j);
	json_end_object(&j);
}

static void print_text(sqlite3 *db, const char *path)
{
	sqlite3_stmt *st, *qs, *vs;
	char buf[256], names[768], status[128], src[64], tmp[512];

	trace_db_meta(db, "source", src, sizeof(src));
	trace_db_meta(db, "stop_reason", buf, sizeof(buf));
	int64_t events = scalar(db, "SELECT count(*) FROM events", 0);
	int64_t viol = scalar(db, "SELECT count(*) FROM violations", 0);
	char lost[32];
	trace_db_meta(db, "lost", lost, sizeof(lost));
	printf("%s: %lld events (%s lost) from %s, %s\n", path, (long long)events, lost[0] ? lost : "0",
	       src[0] ? src : "unknown source", term_escape((const unsigned char *)buf, tmp, sizeof(tmp)));
	if (sqlite3_prepare_v2(db, device_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, queues_sql, -1, &qs, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct device_row d;
		read_device(st, &d);
		printf("\n%s  (%s, %s, device id %lld)\n", d.name, d.type[0] ? d.type : "unknown type",
		       d.version == 1 ? "legacy v1" : d.version == 2 ? "modern v2" : "version unknown",
		       (long long)d.device_id);
		printf("  status      %s", virtio_status_str(d.status, status, sizeof(status)));
		if (d.reached != d.status)
			printf(" (reached %s)", virtio_status_str(d.reached, status, sizeof(status)));
		putchar('\n');
		printf("  offered     %s\n", virtio_features_str((uint32_t)d.device_id, d.offered, names, sizeof(names)));
		printf("  negotiated  %s\n", virtio_features_str((uint32_t)d.device_id, d.negotiated, names, sizeof(names)));
		printf("  queues     ");
		sqlite3_bind_int(qs, 1, d.id);
		int nq = 0;
		while (sqlite3_step(qs) == SQLITE_ROW) {
			printf(" %lld:%lld", (long long)sqlite3_column_int64(qs, 0), (long long)sqlite3_column_int64(qs, 1));
			nq++;
		}
		sqlite3_reset(qs);
		printf("%s\n", nq ? "  (index:size)" : " none");
		printf("  events      %lld, requests %lld, violations %lld\n", (long long)d.events,
		       (long long)scalar(db, "SELECT count(*) FROM requests WHERE device = ?1", d.id),
		       (long long)scalar(db, "SELECT count(*) FROM violations WHERE device = ?1", d.id));
	}
	sqlite3_finalize(qs);
	sqlite3_finalize(st);
	int64_t anomalies = scalar(db, "SELECT count(*) FROM anomalies", 0);
	printf("\n%lld violation%s", (long long)viol, viol == 1 ? "" : "s");
	if (anomalies)
		printf("; %lld anomal%s in best-effort ring snapshots (torn by the running guest, not counted as "
		       "violations: SELECT * FROM anomalies)",
		       (long long)anomalies, anomalies == 1 ? "y" : "ies");
	putchar('\n');
	if (viol && sqlite3_prepare_v2(db, "SELECT seq, device, severity, rule, message FROM violations_in_order LIMIT 10",
				       -1, &vs, NULL) == SQLITE_OK) {
		while (sqlite3_step(vs) == SQLITE_ROW) {
			char dev[128], msg[512];
			printf("  #%-8lld %-28s %-7s %s: %s\n", (long long)sqlite3_column_int64(vs, 0),
			       term_escape(sqlite3_column_text(vs, 1), dev, sizeof(dev)),
			       (const char *)sqlite3_column_text(vs, 2), term_escape(sqlite3_column_text(vs, 3), tmp, sizeof(tmp)),
			       term_escape(sqlite3_column_text(vs, 4), msg, sizeof(msg)));
		}
		sqlite3_finalize(vs);
		if (viol > 10)
			printf("  ... (all of them: sqlite3 %s 'SELECT * FROM violations_in_order')\n", path);
	}
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "see 'vmtrace info --help'\n");
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		error("info wants at most one trace.db");
		return EXIT_USAGE;
	}
	const char *path = optind < argc ? argv[optind] : "vmtrace.db";
	sqlite3 *db;
	char err[512];
	if (trace_db_open_readonly(&db, path, err, sizeof(err)) < 0) {
		if (as_json)
			json_error(stdout, err);
		else
			error("%s", err);
		return EXIT_USAGE;
	}
	if (as_json)
		print_json(db);
	else
		print_text(db, path);
	sqlite3_close(db);
	return 0;
}
