/* vmtrace info [--json] [trace.db]: what a trace holds, in a few lines. */
#include <getopt.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/util.h"
#include "decoder/db.h"
#include "decoder/db_row.h"
#include "virtio/names.h"

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
		"              violations; damaged[] when there are damaged rows)\n"
		"  -h, --help  this help\n"
		"\n"
		"A row that contradicts the rest of the file (a queue size of -1, a\n"
		"negative device id or event count, a lost count that is not a number, ...)\n"
		"is shown as 'damaged' where its value would be (null in --json) and named\n"
		"in a list at the end ('damaged' in --json); info still exits 0, with a\n"
		"warning on stderr. Exit status 2: the file is not a trace.db that can be\n"
		"opened, or an argument is wrong.\n");
}

static int64_t scalar(sqlite3 *db, const char *sql, int64_t param, bool param_ok)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_bind_parameter_count(st) > 0) {
		if (param_ok)
			sqlite3_bind_int64(st, 1, param);
		else
			sqlite3_bind_null(st, 1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Rows that contradict the rest of the file, named ("queues row device 0
 * queue 1 generation 0: size -1"); the first DAMAGE_KEPT are kept. */
#define DAMAGE_KEPT 32
struct damage {
	char note[DAMAGE_KEPT][192];
	unsigned n;
	uint64_t count;
};

static void __attribute__((format(printf, 2, 3))) damaged(struct damage *dm, const char *fmt, ...)
{
	va_list ap;

	if (dm->n < DAMAGE_KEPT) {
		va_start(ap, fmt);
		vsnprintf(dm->note[dm->n++], sizeof(dm->note[0]), fmt, ap);
		va_end(ap);
	}
	dm->count++;
}

/* meta 'lost' as a count: true with *out (0 if there is none), false if it
 * is there and not a decimal count (named in dm). */
static bool meta_lost(sqlite3 *db, uint64_t *out, struct damage *dm)
{
	char buf[32], tmp[64];
	uint64_t v = 0;

	trace_db_meta(db, "lost", buf, sizeof(buf));
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			damaged(dm, "meta row 'lost': '%s' is not a count", term_escape((const unsigned char *)buf, tmp, sizeof(tmp)));
			return false;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return true;
}

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

struct device_row {
	int64_t id;
	bool id_ok;
	uint64_t base;
	bool base_ok;
	char name[64];
	int64_t device_id;  /* -1 unknown (never read) or damaged */
	bool device_id_ok;
	char type[48];
	int64_t version;
	bool version_ok;
	uint32_t status;
	bool status_ok;
	uint32_t reached;   /* every status bit set at some point */
	uint64_t offered, negotiated;
	bool offered_ok, negotiated_ok;
	int64_t events;
	bool events_ok;
};

/* One devices row, every value checked: what does not fit its register
 * (or is not a number) is marked not ok and named in dm. */
static void read_device(sqlite3_stmt *st, struct device_row *d, struct damage *dm)
{
	char tmp[128], id[48], v[48];
	int64_t x;

	memset(d, 0, sizeof(*d));
	d->id_ok = db_row_int(st, 0, INT64_MIN, INT64_MAX, true, &d->id) && sqlite3_column_type(st, 0) != SQLITE_NULL;
	db_row_shown(st, 0, id, sizeof(id));
	if (!d->id_ok)
		damaged(dm, "devices row device %s: the id is not an integer", id);
	d->base_ok = db_row_int(st, 1, INT64_MIN, INT64_MAX, true, &x);
	d->base = (uint64_t)x;
	if (!d->base_ok)
		damaged(dm, "devices row device %s: base %s", id, db_row_shown(st, 1, v, sizeof(v)));
	snprintf(d->name, sizeof(d->name), "%s", term_escape(sqlite3_column_text(st, 2), tmp, sizeof(tmp)));
	d->device_id_ok = db_row_int(st, 3, 0, U32_MAX_I64, true, &d->device_id);
	if (!d->device_id_ok)
		damaged(dm, "devices row device %s: device_id %s (DeviceID is 32 bits)", id, db_row_shown(st, 3, v, sizeof(v)));
	if (!d->device_id_ok || sqlite3_column_type(st, 3) == SQLITE_NULL)
		d->device_id = -1;
	snprintf(d->type, sizeof(d->type), "%s", term_escape(sqlite3_column_text(st, 4), tmp, sizeof(tmp)));
	d->version_ok = db_row_int(st, 5, 0, U32_MAX_I64, true, &d->version);
	if (!d->version_ok)
		damaged(dm, "devices row device %s: version %s (Version is 32 bits)", id, db_row_shown(st, 5, v, sizeof(v)));
	d->status_ok = db_row_int(st, 6, 0, U32_MAX_I64, true, &x);
	d->status = (uint32_t)x;
	if (!d->status_ok)
		damaged(dm, "devices row device %s: status %s (Status is 32 bits)", id, db_row_shown(st, 6, v, sizeof(v)));
	/* 64-bit feature sets are stored as signed integers */
	d->offered_ok = db_row_int(st, 7, INT64_MIN, INT64_MAX, true, &x);
	d->offered = (uint64_t)x;
	if (!d->offered_ok)
		damaged(dm, "devices row device %s: features_offered %s", id, db_row_shown(st, 7, v, sizeof(v)));
	d->negotiated_ok = db_row_int(st, 8, INT64_MIN, INT64_MAX, true, &x);
	d->negotiated = (uint64_t)x;
	if (!d->negotiated_ok)
		damaged(dm, "devices row device %s: features_negotiated %s", id, db_row_shown(st, 8, v, sizeof(v)));
	d->events_ok = db_row_int(st, 9, 0, INT64_MAX, true, &d->events);
	if (!d->events_ok)
		damaged(dm, "devices row device %s: events %s", id, db_row_shown(st, 9, v, sizeof(v)));
	d->reached = (uint32_t)sqlite3_column_int64(st, 10);
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
	"SELECT queue, size, generation FROM queues q WHERE device = ?1 AND generation = "
	"(SELECT max(generation) FROM queues WHERE device = q.device AND queue = q.queue) ORDER BY queue";

/* A queues row: index and size (size NULL, never set, reads 0). */
struct queue_row {
	int64_t index, size;
	bool index_ok, size_ok;
};

static void read_queue(sqlite3_stmt *qs, const struct device_row *d, struct queue_row *q, struct damage *dm)
{
	char a[48], b[48], g[48];

	q->index_ok = db_row_int(qs, 0, 0, U32_MAX_I64, true, &q->index) && sqlite3_column_type(qs, 0) != SQLITE_NULL;
	/* QueueNum as the driver wrote it: 32 bits */
	q->size_ok = db_row_int(qs, 1, 0, U32_MAX_I64, true, &q->size);
	if (!q->index_ok || !q->size_ok)
		damaged(dm, "queues row device %lld queue %s generation %s: %s %s", (long long)d->id, db_row_shown(qs, 0, a, sizeof(a)),
			db_row_shown(qs, 2, g, sizeof(g)), q->index_ok ? "size" : "queue",
			q->index_ok ? db_row_shown(qs, 1, b, sizeof(b)) : a);
}

static void bind_device(sqlite3_stmt *st, const struct device_row *d)
{
	if (d->id_ok)
		sqlite3_bind_int64(st, 1, d->id);
	else
		sqlite3_bind_null(st, 1);
}

static void json_damage(struct json *j, const struct damage *dm)
{
	if (!dm->count)
		return;
	json_begin_array(j, "damaged");
	for (unsigned i = 0; i < dm->n; i++)
		json_string(j, NULL, dm->note[i]);
	if (dm->count > dm->n) {
		char buf[64];
		snprintf(buf, sizeof(buf), "... and %" PRIu64 " more", dm->count - dm->n);
		json_string(j, NULL, buf);
	}
	json_end_array(j);
}

static void print_json(sqlite3 *db, struct damage *dm)
{
	struct json j;
	sqlite3_stmt *st, *qs;
	char buf[64], status[128];
	uint64_t lost;

	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_u64(&j, "events", (uint64_t)scalar(db, "SELECT count(*) FROM events", 0, true));
	if (meta_lost(db, &lost, dm))
		json_u64(&j, "lost", lost);
	else
		json_null(&j, "lost");
	json_u64(&j, "violations", (uint64_t)scalar(db, "SELECT count(*) FROM violations", 0, true));
	/* Files written before the table existed read as 0. */
	json_u64(&j, "anomalies", (uint64_t)scalar(db, "SELECT count(*) FROM anomalies", 0, true));
	trace_db_meta(db, "complete", buf, sizeof(buf));
	json_bool(&j, "complete", strcmp(buf, "1") == 0);
	trace_db_meta(db, "source", buf, sizeof(buf));
	json_string(&j, "source", buf);
	json_begin_array(&j, "devices");
	if (sqlite3_prepare_v2(db, device_sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, queues_sql, -1, &qs, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct device_row d;
			read_device(st, &d, dm);
			json_begin_object(&j, NULL);
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d.base);
			json_string(&j, "base", d.base_ok ? buf : NULL);
			json_string(&j, "name", d.name);
			if (d.device_id >= 0)
				json_u64(&j, "device_id", (uint64_t)d.device_id);
			else
				json_null(&j, "device_id");
			json_string(&j, "type", d.type[0] ? d.type : NULL);
			if (d.version_ok)
				json_u64(&j, "version", (uint64_t)d.version);
			else
				json_null(&j, "version");
			json_string(&j, "status", d.status_ok ? virtio_status_str(d.status, status, sizeof(status)) : NULL);
			json_string(&j, "status_reached", virtio_status_str(d.reached, status, sizeof(status)));
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d.offered);
			json_string(&j, "features_offered", d.offered_ok ? buf : NULL);
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d.negotiated);
			json_string(&j, "features_negotiated", d.negotiated_ok ? buf : NULL);
			json_begin_array(&j, "queues");
			bind_device(qs, &d);
			while (sqlite3_step(qs) == SQLITE_ROW) {
				struct queue_row q;
				read_queue(qs, &d, &q, dm);
				json_begin_object(&j, NULL);
				if (q.index_ok)
					json_u64(&j, "index", (uint64_t)q.index);
				else
					json_null(&j, "index");
				if (q.size_ok)
					json_u64(&j, "size", (uint64_t)q.size);
				else
					json_null(&j, "size");
				json_end_object(&j);
			}
			sqlite3_reset(qs);
			json_end_array(&j);
			json_u64(&j, "requests",
				 (uint64_t)scalar(db, "SELECT count(*) FROM requests WHERE device = ?1", d.id, d.id_ok));
			json_u64(&j, "violations",
				 (uint64_t)scalar(db, "SELECT count(*) FROM violations WHERE device = ?1", d.id, d.id_ok));
			if (d.events_ok)
				json_u64(&j, "events", (uint64_t)d.events);
			else
				json_null(&j, "events");
			json_end_object(&j);
		}
		sqlite3_finalize(qs);
	}
	sqlite3_finalize(st);
	json_end_array(&j);
	json_damage(&j, dm);
	json_end_object(&j);
}

/* v in decimal, or "damaged". Returns buf. */
static const char *num_text(char *buf, size_t len, bool ok, int64_t v)
{
	if (ok)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "damaged");
	return buf;
}

static const char *version_text(const struct device_row *d)
{
	if (!d->version_ok)
		return "version damaged";
	return d->version == 1 ? "legacy v1" : d->version == 2 ? "modern v2" : "version unknown";
}

static void print_text(sqlite3 *db, const char *path, struct damage *dm)
{
	sqlite3_stmt *st, *qs, *vs;
	char buf[256], names[768], status[128], src[64], tmp[512], lost_text[40];
	uint64_t lost;

	trace_db_meta(db, "source", src, sizeof(src));
	trace_db_meta(db, "stop_reason", buf, sizeof(buf));
	int64_t events = scalar(db, "SELECT count(*) FROM events", 0, true);
	int64_t viol = scalar(db, "SELECT count(*) FROM violations", 0, true);
	if (meta_lost(db, &lost, dm))
		snprintf(lost_text, sizeof(lost_text), "%" PRIu64 " lost", lost);
	else
		snprintf(lost_text, sizeof(lost_text), "lost count damaged");
	printf("%s: %lld events (%s) from %s, %s\n", path, (long long)events, lost_text,
	       src[0] ? term_escape((const unsigned char *)src, names, sizeof(names)) : "unknown source",
	       term_escape((const unsigned char *)buf, tmp, sizeof(tmp)));
	if (sqlite3_prepare_v2(db, device_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, queues_sql, -1, &qs, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct device_row d;
		char id[24];
		read_device(st, &d, dm);
		if (d.device_id >= 0)
			snprintf(id, sizeof(id), "%lld", (long long)d.device_id);
		else
			snprintf(id, sizeof(id), "%s", d.device_id_ok ? "unknown" : "damaged");
		printf("\n%s  (%s, %s, device id %s)\n", d.name, d.type[0] ? d.type : "unknown type", version_text(&d), id);
		if (d.status_ok) {
			printf("  status      %s", virtio_status_str(d.status, status, sizeof(status)));
			if (d.reached != d.status)
				printf(" (reached %s)", virtio_status_str(d.reached, status, sizeof(status)));
		} else {
			printf("  status      damaged (reached %s)", virtio_status_str(d.reached, status, sizeof(status)));
		}
		putchar('\n');
		printf("  offered     %s\n", d.offered_ok ? virtio_features_str((uint32_t)d.device_id, d.offered, names, sizeof(names))
						    : "damaged");
		printf("  negotiated  %s\n", d.negotiated_ok ? virtio_features_str((uint32_t)d.device_id, d.negotiated, names,
										  sizeof(names)) : "damaged");
		printf("  queues     ");
		bind_device(qs, &d);
		int nq = 0;
		while (sqlite3_step(qs) == SQLITE_ROW) {
			struct queue_row q;
			char qi[24], qz[24];
			read_queue(qs, &d, &q, dm);
			printf(" %s:%s", num_text(qi, sizeof(qi), q.index_ok, q.index),
			       num_text(qz, sizeof(qz), q.size_ok, q.size));
			nq++;
		}
		sqlite3_reset(qs);
		printf("%s\n", nq ? "  (index:size)" : " none");
		char ev[24];
		printf("  events      %s, requests %lld, violations %lld\n", num_text(ev, sizeof(ev), d.events_ok, d.events),
		       (long long)scalar(db, "SELECT count(*) FROM requests WHERE device = ?1", d.id, d.id_ok),
		       (long long)scalar(db, "SELECT count(*) FROM violations WHERE device = ?1", d.id, d.id_ok));
	}
	sqlite3_finalize(qs);
	sqlite3_finalize(st);
	int64_t anomalies = scalar(db, "SELECT count(*) FROM anomalies", 0, true);
	printf("\n%lld violation%s", (long long)viol, viol == 1 ? "" : "s");
	if (anomalies)
		printf("; %lld anomal%s in best-effort ring snapshots (torn by the running guest, not counted as "
		       "violations: SELECT * FROM anomalies)",
		       (long long)anomalies, anomalies == 1 ? "y" : "ies");
	putchar('\n');
	if (viol && sqlite3_prepare_v2(db, "SELECT seq, device, severity, rule, message FROM violations_in_order LIMIT 10",
				       -1, &vs, NULL) == SQLITE_OK) {
		while (sqlite3_step(vs) == SQLITE_ROW) {
			char dev[128], msg[512], sev[32], seq[24];
			int64_t s;
			if (db_row_int(vs, 0, 0, INT64_MAX, true, &s) && sqlite3_column_type(vs, 0) != SQLITE_NULL) {
				snprintf(seq, sizeof(seq), "%lld", (long long)s);
			} else {
				snprintf(seq, sizeof(seq), "damaged");
				damaged(dm, "violations row seq %s: not a sequence number", db_row_shown(vs, 0, tmp, sizeof(tmp)));
			}
			printf("  #%-8s %-28s %-7s %s: %s\n", seq, term_escape(sqlite3_column_text(vs, 1), dev, sizeof(dev)),
			       term_escape(sqlite3_column_text(vs, 2), sev, sizeof(sev)),
			       term_escape(sqlite3_column_text(vs, 3), tmp, sizeof(tmp)),
			       term_escape(sqlite3_column_text(vs, 4), msg, sizeof(msg)));
		}
		sqlite3_finalize(vs);
		if (viol > 10)
			printf("  ... (all of them: sqlite3 %s 'SELECT * FROM violations_in_order')\n", path);
	}
	if (dm->count) {
		printf("\ndamaged rows (values no vmtrace writes; shown as 'damaged' above):\n");
		for (unsigned i = 0; i < dm->n; i++)
			printf("  %s\n", dm->note[i]);
		if (dm->count > dm->n)
			printf("  ... and %" PRIu64 " more\n", dm->count - dm->n);
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
	struct damage *dm = calloc(1, sizeof(*dm));
	if (!dm) {
		sqlite3_close(db);
		error("out of memory");
		return EXIT_FAIL;
	}
	if (as_json)
		print_json(db, dm);
	else
		print_text(db, path, dm);
	sqlite3_close(db);
	if (dm->count)
		warning("'%s': %" PRIu64 " damaged row%s (%s)", path, dm->count, dm->count == 1 ? "" : "s",
			as_json ? "listed under \"damaged\"" : "listed at the end");
	free(dm);
	return 0;
}
