/* The SQL prompt's engine (tui/sql/tui_sql.h) on a sample trace: a query
 * and a view read, a syntax error named, every kind of write refused with
 * the file unchanged, a runaway query stopped by the time limit in about
 * the limit (and by the stop flag), the row cap at N and N+1, text that
 * would drive a terminal escaped, blobs shown in hex and capped.
 *
 *   test_tui_sql TRACE.db */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/harness.h"
#include "tui/sql/tui_sql.h"

static const char *db;

/* FNV-1a of the file's bytes: it must not change. */
static uint64_t file_hash(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint64_t h = 1469598103934665603u;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		h = (h ^ (uint64_t)(unsigned char)c) * 1099511628211u;
	fclose(f);
	return h;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_query(void)
{
	struct tui_sql_result r;

	CHECK(tui_sql_run(db, "SELECT seq, type FROM events ORDER BY seq LIMIT 3", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "");
	CHECK_EQ_U(r.rows, 3);
	CHECK_EQ_U(r.cols, 2);
	CHECK_STR(tui_sql_cell(&r, 0, 0), "seq");
	CHECK_STR(tui_sql_cell(&r, 0, 1), "type");
	CHECK_STR(tui_sql_cell(&r, 1, 0), "0");
	CHECK_STR(tui_sql_cell(&r, 3, 1), "mmio");
	CHECK(tui_sql_cell(&r, 4, 0) == NULL);
	CHECK(tui_sql_cell(&r, 1, 2) == NULL);
	CHECK(!r.truncated && !r.interrupted);
	tui_sql_result_clear(&r);
	/* the schema's views and aggregate functions read too */
	CHECK(tui_sql_run(db, "SELECT count(*) AS n FROM device_summary;", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "");
	CHECK_STR(tui_sql_cell(&r, 0, 0), "n");
	CHECK_STR(tui_sql_cell(&r, 1, 0), "4");
	tui_sql_result_clear(&r);
	/* a pragma that only describes the schema */
	CHECK(tui_sql_run(db, "PRAGMA table_info(events)", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "");
	CHECK(r.rows == 13);
	tui_sql_result_clear(&r);
	/* a statement with no result columns: nothing, no error */
	CHECK(tui_sql_run(db, "  -- nothing\n", 0, NULL, &r) == 0);
	CHECK(r.err[0] != '\0' && r.rows == 0);
	tui_sql_result_clear(&r);
	tui_sql_result_clear(&r); /* twice is fine */
	tui_sql_result_clear(NULL);
}

static void test_errors(void)
{
	struct tui_sql_result r;

	CHECK(tui_sql_run(db, "SELEC seq FROM events", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "near \"SELEC\": syntax error");
	CHECK(r.rows == 0 && r.cells == NULL);
	tui_sql_result_clear(&r);
	CHECK(tui_sql_run(db, "SELECT nope FROM events", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "no such column: nope");
	tui_sql_result_clear(&r);
	CHECK(tui_sql_run(db, "SELECT 1; SELECT 2", 0, NULL, &r) == 0);
	CHECK(strstr(r.err, "one statement") != NULL);
	tui_sql_result_clear(&r);
	CHECK(tui_sql_run(db, "SELECT 1; -- a comment\n", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "");
	CHECK_STR(tui_sql_cell(&r, 1, 0), "1");
	tui_sql_result_clear(&r);
	CHECK(tui_sql_run("/nonexistent/trace.db", "SELECT 1", 0, NULL, &r) == 0);
	CHECK(strncmp(r.err, "unable to open '/nonexistent/trace.db'", 38) == 0);
	tui_sql_result_clear(&r);
}

static void test_writes_refused(void)
{
	static const char *const writes[] = {
		"INSERT INTO meta(key, value) VALUES ('x', 'y')",
		"UPDATE events SET value = 0",
		"DELETE FROM events",
		"DROP TABLE events",
		"DROP VIEW device_summary",
		"CREATE TABLE t(x)",
		"CREATE TEMP TABLE t(x)",
		"CREATE INDEX i ON events(ts_ns)",
		"ALTER TABLE events ADD COLUMN x",
		"ATTACH DATABASE '/tmp/vmtrace-sql-attach.db' AS x",
		"DETACH DATABASE main",
		"PRAGMA writable_schema=1",
		"PRAGMA query_only=0",
		"PRAGMA journal_mode=delete",
		"VACUUM",
		"REINDEX",
		"ANALYZE",
		"BEGIN",
		"SAVEPOINT s",
		"SELECT load_extension('/tmp/x.so')",
		"SELECT fts3_tokenizer('simple')",
		"WITH x AS (SELECT 1) INSERT INTO meta SELECT 'a', 'b' FROM x",
	};
	uint64_t before = file_hash(db);
	struct tui_sql_result r;

	CHECK(before != 0);
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		CHECK(tui_sql_run(db, writes[i], 0, NULL, &r) == 0);
		if (!r.err[0])
			fprintf(stderr, "not refused: %s\n", writes[i]);
		CHECK(r.err[0] != '\0');
		CHECK(r.rows == 0);
		tui_sql_result_clear(&r);
	}
	CHECK(tui_sql_run(db, "DROP TABLE events", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "refused: the SQL prompt only reads (a change to the schema)");
	tui_sql_result_clear(&r);
	CHECK(tui_sql_run(db, "INSERT INTO meta VALUES ('a', 'b')", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "refused: the SQL prompt only reads (INSERT meta)");
	tui_sql_result_clear(&r);
	CHECK(tui_sql_run(db, "PRAGMA writable_schema=1", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "refused: the SQL prompt only reads (PRAGMA writable_schema)");
	tui_sql_result_clear(&r);
	CHECK(file_hash(db) == before);
	CHECK(fopen("/tmp/vmtrace-sql-attach.db", "rb") == NULL);
}

static void test_limit(void)
{
	static const char *const forever =
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
	struct tui_sql_result r;
	struct timespec t0;
	double ms;
	volatile int stop = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(tui_sql_run(db, forever, 300, &stop, &r) == 0);
	ms = ms_since(&t0);
	printf("runaway query stopped after %.0f ms (limit 300)\n", ms);
	CHECK(ms >= 290 && ms < 600);
	CHECK(r.interrupted);
	CHECK_STR(r.err, "stopped after 300 ms (the time limit); 0 rows read");
	tui_sql_result_clear(&r);
	/* the stop flag (Ctrl-C): already set, it stops at once */
	stop = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(tui_sql_run(db, forever, 5000, &stop, &r) == 0);
	ms = ms_since(&t0);
	CHECK(ms < 100);
	CHECK(r.interrupted);
	CHECK(strncmp(r.err, "stopped (interrupted)", 21) == 0);
	tui_sql_result_clear(&r);
	/* rows read before the limit are kept */
	CHECK(tui_sql_run(db,
			  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
			  "SELECT x FROM c WHERE x = 1 OR x > 1e15",
			  200, NULL, &r) == 0);
	CHECK(r.interrupted && r.rows == 1);
	CHECK_STR(tui_sql_cell(&r, 1, 0), "1");
	tui_sql_result_clear(&r);
}

static void test_row_cap(void)
{
	char sql[200];
	struct tui_sql_result r;

	snprintf(sql, sizeof(sql), "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT %d) SELECT x FROM c",
		 TUI_SQL_ROWS_MAX);
	CHECK(tui_sql_run(db, sql, 0, NULL, &r) == 0);
	CHECK_EQ_U(r.rows, TUI_SQL_ROWS_MAX);
	CHECK(!r.truncated);
	tui_sql_result_clear(&r);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT %d) SELECT x FROM c",
		 TUI_SQL_ROWS_MAX + 1);
	CHECK(tui_sql_run(db, sql, 0, NULL, &r) == 0);
	CHECK_EQ_U(r.rows, TUI_SQL_ROWS_MAX);
	CHECK(r.truncated && !r.interrupted);
	CHECK_STR(r.err, "");
	char want[16];
	snprintf(want, sizeof(want), "%d", TUI_SQL_ROWS_MAX);
	CHECK_STR(tui_sql_cell(&r, TUI_SQL_ROWS_MAX, 0), want);
	tui_sql_result_clear(&r);
	/* a value too big to build is an error, not a gigabyte */
	CHECK(tui_sql_run(db, "SELECT length(zeroblob(1000000000))", 0, NULL, &r) == 0);
	CHECK_STR(r.err, "string or blob too big");
	tui_sql_result_clear(&r);
}

static void test_hostile_cells(void)
{
	struct tui_sql_result r;

	CHECK(tui_sql_run(db,
			  "SELECT char(27) || '[2J' || 'x' AS \"a\x1b[31m\", char(155) || '0m', "
			  "X'1b5b324a', char(10, 0x202e), randomblob(100), substr(hex(zeroblob(2000)), 1, 3000)",
			  0, NULL, &r) == 0);
	CHECK_STR(r.err, "");
	CHECK_EQ_U(r.rows, 1);
	CHECK_STR(tui_sql_cell(&r, 0, 0), "a\\x1b[31m");
	CHECK_STR(tui_sql_cell(&r, 1, 0), "\\x1b[2Jx");
	CHECK_STR(tui_sql_cell(&r, 1, 1), "\\u009b0m");
	CHECK_STR(tui_sql_cell(&r, 1, 2), "x'1b5b324a'");
	CHECK_STR(tui_sql_cell(&r, 1, 3), "\\n\\u202e");
	const char *blob = tui_sql_cell(&r, 1, 4);
	CHECK(blob && strncmp(blob, "x'", 2) == 0 && strstr(blob, "...' (100 bytes)") &&
	      strlen(blob) == 2 + 2 * TUI_SQL_BLOB_SHOWN + strlen("...' (100 bytes)"));
	const char *longtext = tui_sql_cell(&r, 1, 5);
	CHECK(longtext && strlen(longtext) < TUI_SQL_CELL_MAX && strcmp(longtext + strlen(longtext) - 3, "...") == 0);
	for (size_t c = 0; c < r.cols; c++)
		for (const char *p = tui_sql_cell(&r, 1, c); p && *p; p++)
			CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f && (unsigned char)*p != 0xc2);
	tui_sql_result_clear(&r);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_tui_sql TRACE.db\n");
		return 2;
	}
	db = argv[1];
	RUN(test_query);
	RUN(test_errors);
	RUN(test_writes_refused);
	RUN(test_limit);
	RUN(test_row_cap);
	RUN(test_hostile_cells);
	return harness_finish("test_tui_sql");
}
