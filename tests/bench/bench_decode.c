/* Benchmark: decoder rows per second into SQLite against a baseline that
 * inserts the same number of narrow rows with one prepared statement in
 * one transaction, both measured in this run. The decoder must reach half
 * of the baseline (issue: decoder). Also reports trace.db bytes per event. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decoder/decode_file.h"
#include "tests/bench/bench_util.h"

#define PASSES 20
#define ROUNDS 3

static void remove_db(const char *path)
{
	char side[600];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* Insert n rows of three integers with one prepared statement in one
 * transaction (WAL, as the decoder uses). Returns seconds or -1. */
static double baseline(const char *path, uint64_t n)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	remove_db(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t(seq INTEGER PRIMARY KEY, a INTEGER, b INTEGER)",
		     NULL, NULL, NULL);
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
	sqlite3_close(db);
	remove_db(path);
	return t;
}

int main(void)
{
	const char *raw = bench_tmp("decode.vmt");
	const char *db = bench_tmp("decode.db");
	const char *base_db = bench_tmp("baseline.db");
	struct decoder_opts opts = { .store_memory = getenv("BENCH_NO_MEMORY") == NULL };
	struct decode_result res;
	uint64_t events = 0;
	double best_dec = 1e9, best_base = 1e9;
	char err[512];
	struct stat sb;
	off_t db_bytes = 0;

	if (bench_emu_run(raw, PASSES, &events) < 0)
		return 1;
	for (int r = 0; r < ROUNDS; r++) {
		remove_db(db);
		double t0 = bench_now();
		if (decode_file(raw, db, &opts, NULL, NULL, &res, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_decode: %s\n", err);
			unlink(raw);
			return 1;
		}
		double t = bench_now() - t0;
		if (stat(db, &sb) == 0)
			db_bytes = sb.st_size;
		double b = baseline(base_db, res.stats.rows);
		if (b < 0)
			return 1;
		if (t < best_dec)
			best_dec = t;
		if (b < best_base)
			best_base = b;
	}
	remove_db(db);
	unlink(raw);
	double dec_rate = res.stats.rows / best_dec, base_rate = res.stats.rows / best_base;
	printf("trace: %llu events (emulator, all four device types), %llu rows decoded\n",
	       (unsigned long long)res.stats.events, (unsigned long long)res.stats.rows);
	printf("decoder:  %.0f rows/s, %.0f events/s (%.3f s)\n", dec_rate, res.stats.events / best_dec, best_dec);
	printf("baseline: %.0f rows/s (narrow rows, one prepared statement, one transaction)\n", base_rate);
	printf("trace.db: %.1f bytes per event (memory payloads included)\n", (double)db_bytes / res.stats.events);
	printf("decoder / baseline: %.2f (must be >= 0.5)\n", dec_rate / base_rate);
	return dec_rate / base_rate >= 0.5 ? 0 : 1;
}
