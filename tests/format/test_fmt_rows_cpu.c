/* fmt_rows_open's cpu column (a cpuN column where more than one vCPU made
 * register accesses) is decided at a cost that does not grow with the
 * trace: meta 'mmio_vcpus' (the decoder's count) when the file has it, else
 * the register accesses among the first FMT_ROWS_VCPU_SCAN (16384) events.
 * Each case is a copy of samples/emu-modern.db (one vCPU, no
 * 'mmio_vcpus': decoded before it existed) changed with SQL.
 *
 * Usage: test_fmt_rows_cpu SAMPLES/emu-modern.db */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "format/tdb/fmt_row.h"
#include "tests/harness.h"
#include "tracedb/tdb_open.h"

static const char *sample;
static const char *const scratch[] = { "plain.db", "early.db", "late.db", "bad.db", "m2late.db", "m1.db",
				       "m1early.db", "m0.db" };

/* A copy of the sample with sql applied (NULL: none).  Returns its path. */
static const char *copy_with(const char *name, const char *sql)
{
	const char *path = harness_tmpfile(name);
	char buf[65536], *msg = NULL;
	ssize_t n;
	int in = open(sample, O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	sqlite3 *db;

	if (in < 0 || out < 0) {
		perror(sample);
		exit(1);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			exit(1);
	close(in);
	close(out);
	if (sql && (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)) {
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "cannot open");
		exit(1);
	}
	if (sql)
		sqlite3_close(db);
	return path;
}

/* Whether fmt_rows_open gives the file made from sql a cpu column: 0 no,
 * 1 yes, -1 it failed. */
static int cpu_col(const char *name, const char *sql)
{
	const char *path = copy_with(name, sql);
	struct fmt_rows_opts o = { 0 };
	struct fmt_rows *r = NULL;
	struct tdb *t = NULL;
	char err[512];
	int got = -1;

	if (tdb_open(&t, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (fmt_rows_open(&r, t, &o) == 0)
		got = fmt_rows_cpu_col(r);
	else
		fprintf(stderr, "fmt_rows_open: %s\n", tdb_errmsg(t));
	fmt_rows_free(r);
	tdb_close(t);
	return got;
}

/* A second vCPU on the tenth register access. */
#define SECOND_VCPU_EARLY                                                                                         \
	"UPDATE events SET vcpu = 1 WHERE seq = (SELECT seq FROM events WHERE type = 'mmio' ORDER BY seq "         \
	"LIMIT 1 OFFSET 9);"
/* 17000 markers after the last event, then a register access of vCPU 1:
 * past the 16384 events a file without the meta row is asked about. */
#define SECOND_VCPU_LATE                                                                                          \
	"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 17000) "                         \
	"INSERT INTO events (seq, ts_ns, type, value, vcpu, len, text) "                                           \
	"SELECT (SELECT max(seq) FROM events) + i, (SELECT max(ts_ns) FROM events) + i, 'marker', 0, 0, 1, 'm' "   \
	"FROM k; "                                                                                                 \
	"INSERT INTO events (seq, ts_ns, type, device, offset, reg, dir, width, value, vcpu) "                     \
	"SELECT (SELECT max(seq) FROM events) + 1, ts_ns + 1000000, type, device, offset, reg, dir, width, value, 1 " \
	"FROM events WHERE type = 'mmio' ORDER BY seq DESC LIMIT 1;"

static void test_without_meta(void)
{
	CHECK_EQ_U(cpu_col("plain.db", "DELETE FROM meta WHERE key = 'mmio_vcpus';"), 0);
	CHECK_EQ_U(cpu_col("early.db", SECOND_VCPU_EARLY), 1);
	/* bounded: a vCPU first seen after the scan is not looked for */
	CHECK_EQ_U(cpu_col("late.db", SECOND_VCPU_LATE), 0);
	/* a damaged value counts as none */
	CHECK_EQ_U(cpu_col("bad.db", "INSERT INTO meta VALUES ('mmio_vcpus', 'x'); " SECOND_VCPU_EARLY), 1);
}

static void test_with_meta(void)
{
	/* the decoder's count answers, wherever the vCPUs are */
	CHECK_EQ_U(cpu_col("m2late.db", "INSERT INTO meta VALUES ('mmio_vcpus', '2'); " SECOND_VCPU_LATE), 1);
	CHECK_EQ_U(cpu_col("m1.db", "INSERT INTO meta VALUES ('mmio_vcpus', '1');"), 0);
	/* and is believed: the column is layout, nothing is read from it */
	CHECK_EQ_U(cpu_col("m1early.db", "INSERT INTO meta VALUES ('mmio_vcpus', '1'); " SECOND_VCPU_EARLY), 0);
	CHECK_EQ_U(cpu_col("m0.db", "INSERT INTO meta VALUES ('mmio_vcpus', '0');"), 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SAMPLES/emu-modern.db\n", argv[0]);
		return 2;
	}
	sample = argv[1];
	RUN(test_without_meta);
	RUN(test_with_meta);
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		unlink(harness_tmpfile(scratch[i]));
	return harness_finish("test_fmt_rows_cpu");
}
