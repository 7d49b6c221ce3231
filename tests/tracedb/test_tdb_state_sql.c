/* A device's state at every seq, and the other lookups made cheap for big
 * traces, against the plain SQL they replace: tdb_state_at's registers
 * (the correlated query of docs/schema.md) and feature words (the latest
 * row of each kind and word), tdb_state_changes_between (a count of the
 * device's events), tdb_requests_each with seq ranges (the old
 * "?2 = 0 OR ..." terms), tdb_event_links (the chain and request of an
 * event) and tdb_devices_kept (the devices rows).  Run on
 * a file with the indexes these lookups use and on one decoded before
 * them (the fallback reads the same).
 *
 * Usage: test_tdb_state_sql TRACE.db... */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_state.h"

static const char *path;
static sqlite3 *db;

static int64_t sql_int(const char *sql, int64_t a, int64_t b, int64_t c)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static struct tdb *open_ok(void)
{
	struct tdb *t = NULL;
	char err[512];

	if (tdb_open(&t, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return t;
}

/* Registers, feature words and queue generations of device at seq
 * against plain SQL. */
static void check_state_at(struct tdb *t, int device, int64_t seq)
{
	static const char *regs_sql =
		"SELECT reg, queue, value, seq FROM reg_changes r WHERE device = ?1 AND seq = "
		"(SELECT max(seq) FROM reg_changes WHERE device = r.device AND reg = r.reg AND queue = r.queue "
		"AND seq <= ?2) ORDER BY reg, queue";
	static const char *feat_sql =
		"SELECT f.kind, f.word, f.value, f.seq FROM features f WHERE device = ?1 AND seq = "
		"(SELECT max(seq) FROM features WHERE device = f.device AND kind = f.kind AND word IS f.word "
		"AND seq <= ?2)";
	static const char *const kinds[] = { "offered", "accepted" };
	struct tdb_state s;
	sqlite3_stmt *st;
	size_t i = 0;

	CHECK_EQ_U(tdb_state_at(t, device, (uint64_t)seq, &s), 0);
	if (sqlite3_prepare_v2(db, regs_sql, -1, &st, NULL) != SQLITE_OK)
		exit(1);
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_int64(st, 2, seq);
	while (sqlite3_step(st) == SQLITE_ROW) {
		CHECK(i < s.n_regs);
		if (i < s.n_regs) {
			CHECK_STR(s.regs[i].reg, (const char *)sqlite3_column_text(st, 0));
			CHECK_EQ_U(s.regs[i].queue, sqlite3_column_int64(st, 1));
			CHECK_EQ_U(s.regs[i].value, (uint64_t)sqlite3_column_int64(st, 2));
			CHECK_EQ_U(s.regs[i].seq, (uint64_t)sqlite3_column_int64(st, 3));
		}
		i++;
	}
	sqlite3_finalize(st);
	CHECK_EQ_U(s.n_regs, i);

	/* the query tdb_state_at ran before: the latest row of each (kind, word) */
	bool known[5] = { false };
	uint64_t val[5] = { 0 }, neg_seq = 0;
	if (sqlite3_prepare_v2(db, feat_sql, -1, &st, NULL) != SQLITE_OK)
		exit(1);
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_int64(st, 2, seq);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		int w = sqlite3_column_int(st, 1);
		int k = !strcmp(kind, kinds[0]) ? w : !strcmp(kind, kinds[1]) ? 2 + w : 4;
		CHECK(k >= 0 && k < 5);
		if (k < 0 || k >= 5)
			continue;
		known[k] = true;
		val[k] = (uint64_t)sqlite3_column_int64(st, 2);
		if (k == 4)
			neg_seq = (uint64_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	for (int w = 0; w < 2; w++) {
		CHECK(s.offered_known[w] == known[w]);
		CHECK_EQ_U(s.offered[w], val[w]);
		CHECK(s.accepted_known[w] == known[2 + w]);
		CHECK_EQ_U(s.accepted[w], val[2 + w]);
	}
	CHECK(s.negotiated_known == known[4]);
	CHECK_EQ_U(s.negotiated, val[4]);
	CHECK_EQ_U(s.negotiated_seq, neg_seq);

	/* each queue's largest generation set up by then (the query before
	 * the skip along the queues) */
	static const char *queues_sql =
		"SELECT queue, generation FROM queues q WHERE device = ?1 AND seq_setup <= ?2 AND NOT EXISTS "
		"(SELECT 1 FROM queues n WHERE n.device = q.device AND n.queue = q.queue AND n.generation > q.generation "
		"AND n.seq_setup <= ?2) ORDER BY queue";
	if (sqlite3_prepare_v2(db, queues_sql, -1, &st, NULL) != SQLITE_OK)
		exit(1);
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_int64(st, 2, seq);
	i = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		CHECK(i < s.n_queues);
		if (i < s.n_queues) {
			CHECK_EQ_U(s.queues[i].queue, sqlite3_column_int64(st, 0));
			CHECK_EQ_U(s.queues[i].generation, sqlite3_column_int64(st, 1));
		}
		i++;
	}
	sqlite3_finalize(st);
	CHECK_EQ_U(s.n_queues, i);
	tdb_state_clear(&s);
}

static void test_state_every_seq(void)
{
	struct tdb *t = open_ok();
	int64_t last = sql_int("SELECT max(seq) FROM events", 0, 0, 0);
	int64_t devices = sql_int("SELECT max(device) FROM devices", 0, 0, 0);

	CHECK(last > 0 && devices >= 0);
	for (int d = 0; d <= devices; d++)
		for (int64_t seq = 0; seq <= last + 1; seq++)
			check_state_at(t, d, seq);
	tdb_close(t);
}

static void test_changes_between(void)
{
	struct tdb *t = open_ok();
	int64_t last = sql_int("SELECT max(seq) FROM events", 0, 0, 0);
	int64_t devices = sql_int("SELECT max(device) FROM devices", 0, 0, 0);

	for (int d = 0; d <= devices; d++) {
		for (int64_t from = 0; from <= last + 1; from += 7) {
			for (int64_t len = 0; len < 40; len += 3) {
				bool any = true;
				int64_t n = sql_int("SELECT count(*) FROM events WHERE device = ?1 AND seq >= ?2 AND seq < ?3", d,
						    from, from + len);
				CHECK_EQ_U(tdb_state_changes_between(t, d, (uint64_t)from, (uint64_t)(from + len), &any), 0);
				CHECK(any == (n > 0));
			}
		}
	}
	tdb_close(t);
}

struct ids {
	int64_t v[4096];
	size_t n;
};

static int collect(void *arg, const struct tdb_request *r)
{
	struct ids *l = arg;
	if (l->n < sizeof(l->v) / sizeof(l->v[0]))
		l->v[l->n++] = r->request;
	return 0;
}

/* tdb_requests_each for each device and range against the terms it had
 * before (every bound a "?N = 0 OR" term). */
static void test_request_ranges(void)
{
	static const char *sql =
		"SELECT request FROM requests r WHERE (?1 < 0 OR r.device = ?1) AND (?2 = 0 OR r.seq_notify >= ?2) "
		"AND (?3 = 0 OR r.seq_notify <= ?3) ORDER BY r.request";
	struct tdb *t = open_ok();
	int64_t last = sql_int("SELECT max(seq) FROM events", 0, 0, 0);
	int64_t devices = sql_int("SELECT max(device) FROM devices", 0, 0, 0);
	sqlite3_stmt *st;
	size_t checked = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		exit(1);
	for (int d = -1; d <= devices; d++) {
		for (int64_t from = 0; from <= last + 1; from += last / 13 + 1) {
			for (int64_t to = 0; to <= last + 1; to += last / 11 + 1) {
				struct ids got = { .n = 0 };
				size_t i = 0;
				CHECK_EQ_U(tdb_requests_each(t, d, (uint64_t)from, (uint64_t)to, collect, &got), 0);
				sqlite3_reset(st);
				sqlite3_bind_int(st, 1, d);
				sqlite3_bind_int64(st, 2, from);
				sqlite3_bind_int64(st, 3, to);
				while (sqlite3_step(st) == SQLITE_ROW) {
					CHECK(i < got.n);
					if (i < got.n)
						CHECK_EQ_U(got.v[i], sqlite3_column_int64(st, 0));
					i++;
				}
				CHECK_EQ_U(got.n, i);
				checked += i;
			}
		}
	}
	sqlite3_finalize(st);
	CHECK(checked > 0);
	tdb_close(t);
}

/* tdb_event_links at every seq against the same links asked another
 * way: the lowest chain made available at seq, else the first used
 * entry's chain; the lowest request notified, completed or interrupted
 * there or whose chain was made available there. */
static void test_event_links(void)
{
	struct tdb *t = open_ok();
	int64_t last = sql_int("SELECT max(seq) FROM events", 0, 0, 0);
	unsigned linked = 0;

	for (int64_t seq = 0; seq <= last + 1; seq++) {
		struct tdb_event_links got;
		int64_t chain = sql_int("SELECT coalesce((SELECT min(chain) FROM chains WHERE seq_avail = ?1), "
					"(SELECT chain FROM used WHERE seq = ?1 AND chain IS NOT NULL ORDER BY rowid LIMIT 1), -1)",
					seq, 0, 0);
		int64_t request = sql_int("SELECT coalesce(min(request), -1) FROM requests r WHERE seq_notify = ?1 "
					  "OR seq_used = ?1 OR seq_irq = ?1 "
					  "OR EXISTS (SELECT 1 FROM chains c WHERE c.chain = r.chain AND c.seq_avail = ?1)",
					  seq, 0, 0);
		CHECK_EQ_U(tdb_event_links(t, (uint64_t)seq, &got), 0);
		if (got.chain != chain || got.request != request)
			fprintf(stderr, "%s seq %" PRId64 ": chain %lld request %lld, want %lld %lld\n", path, seq,
				(long long)got.chain, (long long)got.request, (long long)chain, (long long)request);
		CHECK_EQ_U(got.chain, chain);
		CHECK_EQ_U(got.request, request);
		linked += chain >= 0 || request >= 0;
	}
	CHECK(linked > 0);
	tdb_close(t);
}

static void test_devices_kept(void)
{
	struct tdb *t = open_ok();
	const struct tdb_device *devs;
	size_t n = 0;

	CHECK_EQ_U(tdb_devices_kept(t, &devs, &n), 0);
	CHECK_EQ_U(n, (uint64_t)sql_int("SELECT count(*) FROM devices", 0, 0, 0));
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_U(devs[i].id, sql_int("SELECT device FROM devices ORDER BY device LIMIT 1 OFFSET ?1", (int64_t)i, 0, 0));
		CHECK(tdb_device_by_id(t, devs[i].id) == &devs[i]);
		CHECK_EQ_U(devs[i].requests, 0); /* not counted */
	}
	tdb_close(t);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tdb_state_sql TRACE.db...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		path = argv[i];
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			fprintf(stderr, "%s: cannot open\n", path);
			return 1;
		}
		printf("%s: %s the new indexes\n", path,
		       sql_int("SELECT count(*) FROM sqlite_schema WHERE name IN ('features_at', 'events_config', "
			       "'requests_notify', 'chains_avail', 'used_seq', 'requests_chain', 'requests_used', "
			       "'requests_irq', 'queues_at')", 0, 0, 0) == 9 ? "with" : "without");
		RUN(test_state_every_seq);
		RUN(test_changes_between);
		RUN(test_request_ranges);
		RUN(test_event_links);
		RUN(test_devices_kept);
		/* the registers again on a copy without reg_changes_at (a file
		 * from someone else: tdb_state_at reads them in one pass) */
		char copy[256];
		snprintf(copy, sizeof(copy), "%s/test_tdb_state_sql-%d.db", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			 (int)getpid());
		unlink(copy);
		char *sql = sqlite3_mprintf("VACUUM INTO %Q", copy);
		int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
		sqlite3_close(db);
		CHECK_EQ_U(rc, SQLITE_OK);
		if (rc == SQLITE_OK && sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
			CHECK_EQ_U(sqlite3_exec(db, "DROP INDEX reg_changes_at", NULL, NULL, NULL), SQLITE_OK);
			path = copy;
			printf("%s without reg_changes_at\n", argv[i]);
			RUN(test_state_every_seq);
			sqlite3_close(db);
		}
		unlink(copy);
	}
	return harness_finish("test_tdb_state_sql");
}
