/* tracedb's reuse of one handle: statements prepared once and run again
 * (reset between calls, a nested call of the same query gets its own),
 * tdb_violations_at's remembered gap between violations,
 * tdb_anomalies_at's seqs read once, and tdb_memory_span's scan, each
 * against plain SQL on the same file.
 *
 * Usage: test_tdb_reuse SAMPLES/violations.db */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_state.h"

static const char *sample;

/* Copy the sample to a scratch file and run sql on it. Returns its path. */
static const char *copy_with(const char *name, const char *sql)
{
	const char *path = harness_tmpfile(name);
	char cmd[4096];
	sqlite3 *db;
	char *msg = NULL;

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", sample, path);
	if (system(cmd) != 0 || sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "copy_with %s: %s\n", name, msg ? msg : "cp failed");
		exit(1);
	}
	sqlite3_close(db);
	return path;
}

#define LIST_MAX 2048

/* The rules at one seq, in order, joined with ';'. */
struct list {
	char s[LIST_MAX];
	size_t n;
};

static void list_add(struct list *l, const char *rule)
{
	int k = snprintf(l->s + l->n, sizeof(l->s) - l->n, "%s;", rule);
	if (k > 0 && (size_t)k < sizeof(l->s) - l->n)
		l->n += (size_t)k;
}

static int collect(void *arg, const struct tdb_violation *v)
{
	list_add(arg, v->rule);
	return 0;
}

/* What "WHERE seq = ?1 ORDER BY rowid" returns at seq (the query
 * tdb_violations_at answered with before its gap). */
static void sql_at(sqlite3_stmt *st, int64_t seq, struct list *l)
{
	l->n = 0;
	l->s[0] = '\0';
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, seq);
	while (sqlite3_step(st) == SQLITE_ROW)
		list_add(l, (const char *)sqlite3_column_text(st, 0));
}

static void check_at(struct tdb *t, sqlite3_stmt *st, uint64_t seq)
{
	struct list want, got = { .n = 0 };

	got.s[0] = '\0';
	sql_at(st, seq > INT64_MAX ? INT64_MAX : (int64_t)seq, &want);
	CHECK_EQ_U(tdb_violations_at(t, seq, collect, &got), 0);
	if (strcmp(want.s, got.s) != 0) {
		fprintf(stderr, "seq %llu: want '%s', got '%s'\n", (unsigned long long)seq, want.s, got.s);
		CHECK(!"tdb_violations_at agrees with plain SQL");
	}
}

/* Every seq forward, backward, in a scattered order and at the ends,
 * with several violations at one seq, one at 0, one at the largest seq
 * and rows whose seq is not an integer: each answer as plain SQL gives it. */
static void test_violations_gap(void)
{
	const char *path = copy_with("reuse-viol.db",
				     "INSERT INTO violations VALUES (40, 0, 'extra-a', '2.1', 'error', 'driver', 'm'), "
				     "(40, 0, 'extra-b', '2.1', 'warning', 'driver', 'm'), "
				     "(0, 0, 'at-zero', '2.1', 'info', 'device', 'm'), "
				     "(9223372036854775807, NULL, 'at-max', '2.1', 'info', 'device', 'm'), "
				     "(41.5, 0, 'real', '2.1', 'info', 'device', 'm'), "
				     "('x', 0, 'text', '2.1', 'info', 'device', 'm');");
	char err[512];
	struct tdb *t;
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t max = 0;

	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), 0);
	if (!t)
		return;
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT max(seq) FROM events", -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		max = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	CHECK(max > 100);
	CHECK(sqlite3_prepare_v2(db, "SELECT rule FROM violations WHERE seq = ?1 ORDER BY rowid", -1, &st, NULL) ==
	      SQLITE_OK);
	for (int64_t s = 0; s <= max + 2; s++)
		check_at(t, st, (uint64_t)s);
	for (int64_t s = max + 2; s >= 0; s--)
		check_at(t, st, (uint64_t)s);
	for (int64_t i = 0; i <= max; i++)
		check_at(t, st, (uint64_t)((i * 37) % (max + 1)));
	check_at(t, st, INT64_MAX - 1);
	check_at(t, st, INT64_MAX);
	check_at(t, st, UINT64_MAX);
	check_at(t, st, 41);
	check_at(t, st, 42);
	check_at(t, st, 40);
	sqlite3_finalize(st);
	sqlite3_close(db);
	tdb_close(t);
	unlink(path);
}

static int collect_anomaly(void *arg, const struct tdb_anomaly *a)
{
	list_add(arg, a->rule);
	return 0;
}

/* tdb_anomalies_at at every seq against "WHERE seq = ?1 ORDER BY rowid",
 * on a file whose anomalies seqs are integers (read once and searched)
 * and on one with a text seq among them (asked of the file every time). */
static void check_anomalies(const char *name, const char *sql)
{
	const char *path = copy_with(name, sql);
	struct list want, got;
	char err[512];
	struct tdb *t;
	sqlite3 *db;
	sqlite3_stmt *st;

	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), 0);
	if (!t)
		return;
	CHECK(tdb_has_anomalies(t));
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT rule FROM anomalies WHERE seq = ?1 ORDER BY rowid", -1, &st, NULL) ==
	      SQLITE_OK);
	for (int pass = 0; pass < 2; pass++) {
		for (int64_t i = 0; i <= 1100; i++) {
			int64_t s = pass ? 1100 - i : i;
			sql_at(st, s, &want);
			got.n = 0;
			got.s[0] = '\0';
			CHECK_EQ_U(tdb_anomalies_at(t, (uint64_t)s, collect_anomaly, &got), 0);
			if (strcmp(want.s, got.s) != 0) {
				fprintf(stderr, "%s seq %lld: want '%s', got '%s'\n", name, (long long)s, want.s, got.s);
				CHECK(!"tdb_anomalies_at agrees with plain SQL");
			}
		}
	}
	sql_at(st, INT64_MAX, &want);
	got.n = 0;
	got.s[0] = '\0';
	CHECK_EQ_U(tdb_anomalies_at(t, UINT64_MAX, collect_anomaly, &got), 0);
	CHECK_STR(got.s, want.s);
	sqlite3_finalize(st);
	sqlite3_close(db);
	tdb_close(t);
	unlink(path);
}

#define ANOMALY_ROWS                                                                                                \
	"INSERT INTO anomalies VALUES (40, 0, 0, 'a1', 'm'), (40, 0, 0, 'a2', 'm'), (0, NULL, NULL, 'zero', 'm'), "     \
	"(1000, 1, 0, 'late', 'm'), (9223372036854775807, NULL, NULL, 'max', 'm');"

static void test_anomalies(void)
{
	check_anomalies("reuse-anom.db", ANOMALY_ROWS);
	check_anomalies("reuse-anom-text.db",
			ANOMALY_ROWS "INSERT INTO anomalies VALUES (41.5, 0, 0, 'real', 'm'), ('x', 0, 0, 'text', 'm');");
}

struct nested {
	struct tdb *t;
	struct list outer, inner;
	uint64_t inner_seq;
};

/* At each violation of the outer walk, a walk of its own at another seq
 * (the same cached statement is busy). */
static int outer_cb(void *arg, const struct tdb_violation *v)
{
	struct nested *n = arg;

	list_add(&n->outer, v->rule);
	CHECK_EQ_U(tdb_violations_at(n->t, n->inner_seq, collect, &n->inner), 0);
	return 0;
}

static int stop_first(void *arg, const struct tdb_violation *v)
{
	list_add(arg, v->rule);
	return 1;
}

static void test_nested_and_stopped(void)
{
	const char *path = copy_with("reuse-nest.db",
				     "INSERT INTO violations VALUES (1000, 0, 'a', '2.1', 'error', 'driver', 'm'), "
				     "(1000, 0, 'b', '2.1', 'error', 'driver', 'm'), (1000, 0, 'c', '2.1', 'error', 'driver', 'm'), "
				     "(1010, 0, 'x', '2.1', 'error', 'driver', 'm');");
	struct nested n = { .inner_seq = 1010 };
	struct list l = { .n = 0 };
	char err[512];

	CHECK_EQ_U(tdb_open(&n.t, path, err, sizeof(err)), 0);
	if (!n.t)
		return;
	/* past the sample's own violations (the last is at 187) */
	CHECK_EQ_U(tdb_violations_at(n.t, 1000, outer_cb, &n), 0);
	CHECK_STR(n.outer.s, "a;b;c;");
	CHECK_STR(n.inner.s, "x;x;x;");
	/* a callback that stops: the walk returns 0 and the next call at the
	 * same seq starts over */
	CHECK_EQ_U(tdb_violations_at(n.t, 1000, stop_first, &l), 0);
	CHECK_STR(l.s, "a;");
	l.n = 0;
	l.s[0] = '\0';
	CHECK_EQ_U(tdb_violations_at(n.t, 1000, collect, &l), 0);
	CHECK_STR(l.s, "a;b;c;");
	/* nothing between them, then the one at 1010 */
	l.n = 0;
	l.s[0] = '\0';
	for (uint64_t s = 1001; s <= 1010; s++)
		CHECK_EQ_U(tdb_violations_at(n.t, s, collect, &l), 0);
	CHECK_STR(l.s, "x;");
	tdb_close(n.t);
	unlink(path);
}

/* The same chain, state and memory span read again and again from one
 * handle (each statement reset and rebound) give the same answers, and
 * the span is what the SQL it replaced computes. */
static void test_repeated_reads(void)
{
	const char *path = copy_with("reuse-span.db",
				     "INSERT INTO memory VALUES (999991, -5, 'snapshot', 1, x'00'), "
				     "(999992, 'x', 'snapshot', 1, x'00'), (999993, 9223372036854775806, 'snapshot', 1, x'0000'), "
				     "(999994, 9223372036854775806, 'snapshot', 1, x'00'), (999995, 12, 'snapshot', 1, 'h\xc3\xa9llo'), "
				     "(999996, 1.5, 'snapshot', 1, x'00');");
	struct tdb_chain c1, c2;
	struct tdb_state s1, s2;
	uint64_t lo = 1, hi = 1;
	char err[512];
	struct tdb *t;
	sqlite3 *db;
	sqlite3_stmt *st;

	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), 0);
	if (!t)
		return;
	for (int round = 0; round < 3; round++) {
		for (int64_t ch = 1; ch <= 5; ch++) {
			CHECK_EQ_U(tdb_chain_read(t, ch, &c1), 0);
			CHECK_EQ_U(tdb_chain_read(t, ch, &c2), 0);
			CHECK_EQ_U(c1.n_desc_read, c2.n_desc_read);
			CHECK(c1.n_desc_read > 0);
			for (uint32_t d = 0; d < c1.n_desc_read && d < c2.n_desc_read; d++) {
				const struct tdb_desc *a = &c1.desc[d], *b = &c2.desc[d];
				CHECK(a->pos == b->pos && a->idx == b->idx && a->len == b->len && a->next == b->next &&
				      a->addr == b->addr && a->flags == b->flags && a->in_indirect == b->in_indirect);
			}
			CHECK_EQ_U(c1.seq_avail, c2.seq_avail);
			CHECK_EQ_U(c1.used_known, c2.used_known);
			tdb_chain_clear(&c1);
			tdb_chain_clear(&c2);
		}
		CHECK_EQ_U(tdb_chain_read(t, 99999, &c1), TDB_E_NOT_FOUND);
		tdb_chain_clear(&c1);
		CHECK_EQ_U(tdb_state_at(t, 0, 100, &s1), 0);
		CHECK_EQ_U(tdb_state_at(t, 0, 100, &s2), 0);
		CHECK(s1.n_regs > 0);
		CHECK_EQ_U(s1.n_regs, s2.n_regs);
		CHECK_EQ_U(s1.n_queues, s2.n_queues);
		CHECK_EQ_U(s1.status, s2.status);
		CHECK(!memcmp(s1.config, s2.config, sizeof(s1.config)));
		tdb_state_clear(&s1);
		tdb_state_clear(&s2);
		CHECK_EQ_U(tdb_memory_span(t, &lo, &hi), 0);
	}
	tdb_close(t);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT min(gpa), max(gpa + length(data)) FROM memory WHERE typeof(gpa) = 'integer' "
				 "AND gpa >= 0 AND gpa <= 9223372036854775807 - length(data)", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_EQ_U(lo, sqlite3_column_int64(st, 0));
	CHECK_EQ_U(hi, sqlite3_column_int64(st, 1));
	CHECK_EQ_U(lo, 12);
	CHECK_EQ_U(hi, INT64_MAX);
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tdb_reuse samples/violations.db\n");
		return 2;
	}
	sample = argv[1];
	RUN(test_violations_gap);
	RUN(test_nested_and_stopped);
	RUN(test_anomalies);
	RUN(test_repeated_reads);
	return harness_finish("test_tdb_reuse");
}
