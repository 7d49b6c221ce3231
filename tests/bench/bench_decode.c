/* Benchmark: decoder rows per second into SQLite against a baseline that
 * inserts the same number of narrow rows with one prepared statement in
 * one transaction and the decoder's own bulk-load pragmas, both measured
 * in this run (best of ROUNDS each).  Rows are counted in the finished
 * trace.db.  The decoder must reach half of the baseline (issue: decoder).
 * Also reports trace.db bytes per event. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decoder/decode_file.h"
#include "tests/bench/bench_util.h"

#define PASSES 20
#define ROUNDS 3

/* Insert n rows of three integers with one prepared statement in one
 * transaction, with the bulk-load settings the decoder itself uses
 * (decoder/db.c trace_db_create: 16 KiB pages, no journal, no fsync, 64 MiB
 * cache, exclusive lock, no connection mutex).  Returns seconds or -1. */
static double baseline(const char *path, uint64_t n)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	bench_remove_db(path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			 "PRAGMA cache_size=-65536; PRAGMA locking_mode=EXCLUSIVE;"
			 "CREATE TABLE t(seq INTEGER PRIMARY KEY, a INTEGER, b INTEGER)", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	double t0 = bench_now();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2, ?3)", -1, &st, NULL);
	for (uint64_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(i * 7));
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(i ^ 0x5a5a));
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double t = bench_now() - t0;
	uint64_t got = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		got = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	bench_remove_db(path);
	return got == n ? t : -1;
}

/* Rows in every table of the trace.db at path (what the decoder wrote, not
 * the statements it ran: an UPDATE adds no row).  Returns 0 on error. */
static uint64_t rows_in(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *tables, *count;
	uint64_t rows = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'", -1, &tables, NULL) == SQLITE_OK) {
		while (sqlite3_step(tables) == SQLITE_ROW) {
			char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", (const char *)sqlite3_column_text(tables, 0));
			if (sql && sqlite3_prepare_v2(db, sql, -1, &count, NULL) == SQLITE_OK) {
				if (sqlite3_step(count) == SQLITE_ROW)
					rows += (uint64_t)sqlite3_column_int64(count, 0);
				sqlite3_finalize(count);
			}
			sqlite3_free(sql);
		}
		sqlite3_finalize(tables);
	}
	sqlite3_close(db);
	return rows;
}

int main(void)
{
	const char *raw = bench_tmp("decode.vmt");
	const char *db = bench_tmp("decode.db");
	const char *base_db = bench_tmp("baseline.db");
	struct decoder_opts opts = { .store_memory = getenv("BENCH_NO_MEMORY") == NULL };
	struct decode_result res;
	uint64_t events = 0, rows = 0;
	double best_dec = 1e9, best_base = 1e9;
	char err[512];
	struct stat sb;
	off_t db_bytes = 0;

	if (bench_emu_run(raw, PASSES, &events) < 0)
		return 1;
	for (int r = 0; r < ROUNDS; r++) {
		bench_remove_db(db);
		double t0 = bench_now();
		if (decode_file(raw, db, &opts, NULL, NULL, &res, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_decode: %s\n", err);
			unlink(raw);
			return 1;
		}
		double t = bench_now() - t0;
		if (stat(db, &sb) == 0)
			db_bytes = sb.st_size;
		rows = rows_in(db);
		double b = rows ? baseline(base_db, rows) : -1;
		if (b < 0) {
			fprintf(stderr, "bench_decode: the baseline failed\n");
			return 1;
		}
		if (t < best_dec)
			best_dec = t;
		if (b < best_base)
			best_base = b;
	}
	bench_remove_db(db);
	unlink(raw);
	double dec_rate = rows / best_dec, base_rate = rows / best_base;
	printf("trace: %llu events (emulator, all four device types), %llu rows in trace.db "
	       "(%llu rows inserted or updated)\n", (unsigned long long)res.stats.events, (unsigned long long)rows,
	       (unsigned long long)res.stats.rows);
	printf("decoder:  %.0f rows/s, %.0f events/s (%.3f s)\n", dec_rate, res.stats.events / best_dec, best_dec);
	printf("baseline: %.0f rows/s (narrow rows, one prepared statement, one transaction, the decoder's pragmas; %.3f s)\n",
	       base_rate, best_base);
	printf("trace.db: %.1f bytes per event (memory payloads included)\n", (double)db_bytes / res.stats.events);
	printf("decoder / baseline: %.2f (must be >= 0.5)\n", dec_rate / base_rate);
	return dec_rate / base_rate >= 0.5 ? 0 : 1;
}
