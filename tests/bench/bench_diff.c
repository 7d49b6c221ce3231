/* Benchmark (issue 16): vmtrace diff of two 1M-event traces against
 * reading both through the read library (every event, a tdb cursor from
 * the first to the last), in CPU seconds of this process, best of ROUNDS
 * each, measured in the same run.  The traces are the emulator's default
 * workload repeated (`record --emu blk,net,console,rng --repeat N`), the
 * second with one more network frame per round: every round differs a
 * little, the realistic case for the alignment (a whole-trace lockstep
 * match would cost nothing).  Prints the times and the ratio; exits 1
 * when diff costs more than 2x the read.
 *
 *   bench_diff VMTRACE [CACHE_DIR]   (traces kept in CACHE_DIR if given) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diff/diff.h"
#include "tests/bench/bench_util.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_open.h"

#define REPEAT 1320 /* 767 events a round: just over 1M events */
#define ROUNDS 3

static int record(const char *vmtrace, const char *out, const char *workload)
{
	char rep[16];
	struct stat st;

	if (stat(out, &st) == 0)
		return 0;
	snprintf(rep, sizeof(rep), "%d", REPEAT);
	pid_t pid = fork();
	if (pid == 0) {
		execl(vmtrace, vmtrace, "record", "--emu", "blk,net,console,rng", "--repeat", rep, "-w", workload, "-q",
		      "-o", out, (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_diff: recording %s failed\n", out);
		return -1;
	}
	return 0;
}

/* Every event of the file through a cursor; its count into *n. */
static int read_all(const char *path, uint64_t *n)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	struct tdb *t;
	char err[512];
	int r;

	if (tdb_open(&t, path, err, sizeof(err))) {
		fprintf(stderr, "bench_diff: %s\n", err);
		return -1;
	}
	tdb_filter_init(&f);
	f.page = TDB_PAGE_MAX;
	*n = 0;
	if ((r = tdb_cursor_open(t, &f, TDB_FORWARD, &c)) == 0) {
		while ((r = tdb_cursor_next(c, &row)) == 0)
			(*n)++;
		tdb_cursor_close(c);
	}
	tdb_close(t);
	return r == TDB_END ? 0 : -1;
}

int main(int argc, char **argv)
{
	char dir[512], a[600], b[600];
	double rd = 1e9, df = 1e9;
	uint64_t na = 0, nb = 0;
	struct diff_result res;
	bool keep = argc > 2;
	int status = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_diff VMTRACE [CACHE_DIR]\n");
		return 2;
	}
	if (keep) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			perror(dir);
			return 1;
		}
	} else
		snprintf(dir, sizeof(dir), "%s", bench_tmp("diff"));
	mkdir(dir, 0755);
	snprintf(a, sizeof(a), "%s/diff-a.db", dir);
	snprintf(b, sizeof(b), "%s/diff-b.db", dir);
	double t0 = bench_now();
	if (record(argv[1], a, "net:frames=8") || record(argv[1], b, "net:frames=9"))
		goto out;
	printf("traces made in %.1f s (kept: %s)\n", bench_now() - t0, keep ? dir : "no");
	for (int round = 0; round < ROUNDS; round++) {
		double c0 = bench_cpu_now();
		if (read_all(a, &na) || read_all(b, &nb))
			goto out;
		double c = bench_cpu_now() - c0;
		rd = c < rd ? c : rd;
		struct diff_opts o = { .context = DIFF_CONTEXT_DEFAULT };
		char err[512];
		c0 = bench_cpu_now();
		if (diff_run(a, b, &o, &res, err, sizeof(err))) {
			fprintf(stderr, "bench_diff: %s\n", err);
			diff_result_free(&res);
			goto out;
		}
		c = bench_cpu_now() - c0;
		df = c < df ? c : df;
		if (round == ROUNDS - 1) {
			uint64_t segs = 0;
			for (size_t i = 0; i < res.n_pairs; i++)
				segs += res.pairs[i].segs_total;
			printf("diff: %s, %u of %zu devices differ, %llu segments; %llu pieces aligned, %llu edit scripts "
			       "(%llu gave up)\n", res.different ? "different" : "same", res.different, res.n_pairs,
			       (unsigned long long)segs, (unsigned long long)res.stats.pieces,
			       (unsigned long long)res.stats.myers_calls, (unsigned long long)res.stats.myers_gave_up);
		}
		diff_result_free(&res);
	}
	printf("traces: %llu and %llu events\n", (unsigned long long)na, (unsigned long long)nb);
	printf("read both:  %.3f s CPU\n", rd);
	printf("diff:       %.3f s CPU, diff / read %.2f (must be <= 2.0)\n", df, df / rd);
	status = df / rd <= 2.0 ? 0 : 1;
out:
	if (!keep) {
		unlink(a);
		unlink(b);
		rmdir(dir);
	}
	return status;
}
