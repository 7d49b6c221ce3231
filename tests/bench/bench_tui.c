/* Benchmark (issue 14): the inspector's cost does not grow with the trace.
 *
 * Two traces of the emulator's four device types (record --emu): one
 * round of small workloads (about 11 thousand events) and BIG_ROUNDS
 * rounds of the largest ones (record --repeat: about 10 million events;
 * each round resets the devices and negotiates again, so the big trace
 * also holds BIG_ROUNDS times the device set-up), made with the vmtrace
 * given; the big one is taken from the cache folder when an earlier run
 * left it there and it has the schema of a trace made now.  For each, a fresh process (this
 * program again, with --measure: its peak RSS is its own) drives the
 * inspector through its headless API as the script mode does
 * (tui_app_open, tui_input_key, tui_view_draw at 100x30) and times:
 *   first screen   tui_app_open and the first tui_view_draw
 *   G              the last event ('g' before it, untimed)
 *   :SEQ           a jump near the middle, typed as keys
 *   search next    'n' after a search for "00.000us" from a quarter in:
 *                  the emulator's clock moves 100 ns an event, so a hit
 *                  every 1000 events and the same walk in both traces
 *                  (a register name would walk as far as the workload
 *                  puts them apart: 76 events in the small one's blk
 *                  requests, 645 in the big one's)
 *   state pane     the screen (list, detail, state pane) after a jump
 *                  made through the model (tui_model_goto), focus on the
 *                  state pane
 *   device filter  'f' 'd' (the filter stack's device filter; Backspace
 *                  pops it, untimed)
 *   who set this   's' on an InterruptStatus read (the cursor must move
 *                  to the event that set it)
 * each REPS times at different places (median), in RUNS processes (median
 * again).  A key that changes nothing (not built yet) is reported as not
 * available, never timed.  So that the benchmark ends whatever the cost:
 * an operation whose first time is over SLOW_S is not repeated, a process
 * that took over SLOW_RUN_S is not run again, and one still running after
 * CHILD_LIMIT_S is stopped (what it measured stands; the rest is
 * reported as not finished).
 *
 * Goals: big/small <= 2 for each, first screen on the big trace < 0.2 s,
 * peak RSS on the big trace <= small's + 32 MiB.  Exit 0 when they hold,
 * 1 when one fails (or the traces cannot be made).
 *
 * usage: bench_tui VMTRACE CACHE_DIR   (CACHE_DIR: VMTRACE_BENCH_CACHE
 *                                       if set; about 3 GB)
 *        bench_tui --measure TRACE     (the child) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/bench/bench_util.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_open.h"
#include "tui/tui_app.h"
#include "tui/tui_input.h"
#include "tui/tui_model.h"
#include "tui/tui_view.h"

/* One round: about 11,000 events (blk, net, console and rng). */
#define SMALL_WORKLOAD "blk:sectors=256,requests=64;net:frames=400;console:lines=16;rng:requests=64"
#define SMALL_ROUNDS 1
/* One round: about 88,700 events; 114 of them about 10.1 million. */
#define BIG_WORKLOAD "blk:sectors=2048,requests=256;net:frames=4096;rng:requests=256"
#define BIG_ROUNDS 114
#define BIG_EVENTS_MIN 10000000u
#define ROWS 30
#define COLS 100
#define REPS 5
#define RUNS 3
#define RATIO_MAX 2.0
#define FIRST_SCREEN_MAX 0.2
#define RSS_SLACK_KIB (32 * 1024)
#define SLOW_S 1.0
#define SLOW_RUN_S 30.0
#define CHILD_LIMIT_S 900
/* A time every SEARCH_EVERY events of the emulator's (100 ns each). */
#define SEARCH_TEXT "00.000us"
#define SEARCH_EVERY 1000u
#define STR_(x) #x
#define STR(x) STR_(x)

enum op { OP_FIRST, OP_LAST, OP_GOTO, OP_SEARCH, OP_STATE, OP_FILTER, OP_WHO, OP_N };

static const char *const op_name[OP_N] = {
	"first screen", "G", ":SEQ (middle)", "search next", "state pane", "device filter", "who set this",
};
static const char *const op_key[OP_N] = { "first", "last", "goto", "search", "state", "filter", "who" };

/* --- the child: drive the inspector, print "op KEY SECONDS" or "na KEY WHY" --- */

static struct tui_app *app;

static void die(const char *what)
{
	fprintf(stderr, "bench_tui: %s: %s\n", what, app && app->m ? tdb_errmsg(app->m->t) : "");
	exit(1);
}

static void draw(void)
{
	if (tui_view_draw(app) != 0)
		die("drawing");
}

/* Press keys (a string; '\n' is Enter, '\b' Backspace), drawing after
 * each as the script mode does.  Returns the seconds it took. */
static double keys(const char *k)
{
	double t0 = bench_now();

	for (; *k; k++) {
		int err = 0, key = *k == '\b' ? TUI_KEY_BACKSPACE : (unsigned char)*k;
		unsigned f = tui_input_key(app, key, &err);

		if (f & TUI_FAIL)
			die("a key");
		draw();
	}
	return bench_now() - t0;
}

static uint64_t cur_seq(void)
{
	const struct tui_line *l = tui_model_cur(app->m);

	return l ? l->seq : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Place i of REPS near the middle: apart by a fiftieth of the trace. */
static uint64_t middle(int i)
{
	uint64_t lo = app->m->lo, hi = app->m->hi;

	return lo + (hi - lo) / 2 + (uint64_t)i * ((hi - lo) / 50);
}

static void go(uint64_t seq)
{
	char buf[48];

	snprintf(buf, sizeof(buf), ":%" PRIu64 "\n", seq);
	keys(buf);
}

/* Print op key's median of its n times (the child's answer). */
static void report(const char *key, double *t, int n)
{
	printf("op %s %.6f\n", key, median(t, (size_t)n));
	fflush(stdout);
}

static int measure(const char *path)
{
	double t[REPS], t0;
	char err[512], buf[64];
	int n, i;

	t0 = bench_now();
	if (tui_app_open(&app, path, ROWS, COLS, false, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_tui: %s\n", err);
		return 1;
	}
	draw();
	t[0] = bench_now() - t0;
	report("first", t, 1);

	/* each loop: REPS places, fewer when the first took over SLOW_S */
	for (i = 0; i < REPS && (i == 0 || t[0] <= SLOW_S); i++) {
		go(middle(i));
		keys("g");
		t[i] = keys("G");
		if (cur_seq() != app->m->hi)
			die("G did not reach the last event");
	}
	report("last", t, i);

	for (i = 0; i < REPS && (i == 0 || t[0] <= SLOW_S); i++) {
		keys("g");
		snprintf(buf, sizeof(buf), ":%" PRIu64 "\n", middle(i));
		t[i] = keys(buf);
		if (cur_seq() < middle(i))
			die(":SEQ did not go there");
	}
	report("goto", t, i);

	/* from a quarter in: REPS hits after it even in the small trace */
	go(app->m->lo + (app->m->hi - app->m->lo) / 4);
	keys("/" SEARCH_TEXT "\n");
	for (i = 0; i < REPS && (i == 0 || t[0] <= SLOW_S); i++) {
		uint64_t before = cur_seq();
		t[i] = keys("n");
		if (cur_seq() != before + SEARCH_EVERY - before % SEARCH_EVERY)
			die("n did not find the next " SEARCH_TEXT);
	}
	report("search", t, i);

	/* focus on the state pane, then jump through the model: the draw
	 * builds the list, detail and state pane at the new seq */
	keys("\t\t");
	for (i = 0; i < REPS && (i == 0 || t[0] <= SLOW_S); i++) {
		if (tui_model_goto(app->m, middle(i) + 17) != 0)
			die("tui_model_goto");
		t0 = bench_now();
		draw();
		t[i] = bench_now() - t0;
	}
	keys("\t");
	report("state", t, i);

	n = 0;
	for (i = 0; i < REPS && (i == 0 || t[0] <= SLOW_S); i++) {
		size_t depth;

		go(middle(i));
		depth = tui_model_filter_depth(app->m);
		t[n] = keys("fd");
		if (tui_model_filter_depth(app->m) == depth + 1) {
			n++;
			keys("\b");
		} else {
			keys("\033");
		}
	}
	if (n == i)
		report("filter", t, n);
	else
		printf("na filter 'f' 'd' pushed no filter (%d of %d)\n", n, i);
	fflush(stdout);

	n = 0;
	for (i = 0; i < REPS && (i == 0 || t[0] <= SLOW_S); i++) {
		uint64_t at;

		go(middle(i));
		keys("/InterruptStatus\n");
		at = cur_seq();
		t[n] = keys("s");
		if (cur_seq() != at)
			n++;
		keys("\033");
	}
	if (n == i)
		report("who", t, n);
	else
		printf("na who 's' on an InterruptStatus read moved %d of %d times\n", n, i);
	tui_app_free(app);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* --- the parent --- */

struct result {
	int runs;              /* processes run */
	int got[OP_N];         /* runs that timed op k */
	double t[RUNS][OP_N];
	char why[OP_N][128];
	long rss_kib;          /* largest of the runs */
	uint64_t events;
	bool stopped;          /* a run was stopped at CHILD_LIMIT_S */
};

/* Run this program with --measure path once; fill run r of res. */
static int run_child(const char *self, const char *path, struct result *res, int r)
{
	int fd[2], status;
	struct rusage ru;
	pid_t pid;
	FILE *f;
	char line[256];

	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		alarm(CHILD_LIMIT_S);
		execl(self, self, "--measure", path, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char key[32];
		double s;
		int pos = 0;

		for (int k = 0; k < OP_N; k++) {
			if (sscanf(line, "op %31s %lf", key, &s) == 2 && !strcmp(key, op_key[k])) {
				res->t[res->got[k]++][k] = s;
			} else if (sscanf(line, "na %31s %n", key, &pos) == 1 && pos > 0 && !strcmp(key, op_key[k])) {
				snprintf(res->why[k], sizeof(res->why[k]), "%.*s", (int)strcspn(line + pos, "\n"), line + pos);
			}
		}
	}
	if (f)
		fclose(f);
	(void)r;
	if (wait4(pid, &status, 0, &ru) != pid)
		return -1;
	res->runs++;
	if (ru.ru_maxrss > res->rss_kib)
		res->rss_kib = ru.ru_maxrss;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		res->stopped = true;
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_tui: measuring '%s' failed\n", path);
		return -1;
	}
	return 0;
}

/* Events in the trace at path (meta 'events'), 0 if it cannot be read. */
static uint64_t trace_events(const char *path)
{
	struct tdb *t = NULL;
	char err[512];
	uint64_t n = 0;

	if (access(path, R_OK) != 0 || tdb_open(&t, path, err, sizeof(err)) != 0)
		return 0;
	if (tdb_meta_u64(t, "events", &n) != 0)
		n = 0;
	tdb_close(t);
	return n;
}

/* The schema of the file at path (every object's SQL, by name), or NULL;
 * free it with sqlite3_free. */
static char *schema_of(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	char *out = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT group_concat(type || ' ' || name || ' ' || coalesce(sql, ''), ';') "
			       "FROM (SELECT * FROM sqlite_schema ORDER BY name)", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			out = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return out;
}

/* Whether the files at a and b have the same schema. */
static bool same_schema(const char *a, const char *b)
{
	char *x = schema_of(a), *y = schema_of(b);
	bool same = x && y && !strcmp(x, y);

	sqlite3_free(x);
	sqlite3_free(y);
	return same;
}

/* The trace of `rounds` rounds in dir, made with vmtrace unless an earlier
 * run left it there with at least min events and the schema of the trace
 * at like (when like is not NULL: a cached trace from before a change of
 * the decoder's schema is made again).  Returns its path or NULL. */
static const char *trace(const char *vmtrace, const char *dir, const char *name, const char *workload, unsigned rounds,
			 uint64_t min, const char *like, char *path, size_t len)
{
	char reps[16];
	pid_t pid;
	int status;
	double t0;

	snprintf(path, len, "%s/tui-bench-%s-%u.db", dir, name, rounds);
	if (trace_events(path) >= min && (!like || same_schema(path, like)))
		return path;
	snprintf(reps, sizeof(reps), "%u", rounds);
	printf("making %s (%u round%s of the emulator's workload) ...\n", path, rounds, rounds == 1 ? "" : "s");
	fflush(stdout);
	t0 = bench_now();
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		execl(vmtrace, vmtrace, "record", "--emu", "blk,net,console,rng", "-w", workload, "--repeat", reps, "-q",
		      "-f", "-o", path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_tui: '%s record' failed making %s\n", vmtrace, path);
		return NULL;
	}
	printf("  %.1f s\n", bench_now() - t0);
	fflush(stdout);
	return trace_events(path) >= min ? path : NULL;
}

static int measure_all(const char *self, const char *path, struct result *res)
{
	memset(res, 0, sizeof(*res));
	res->events = trace_events(path);
	for (int r = 0; r < RUNS; r++) {
		double t0 = bench_now();
		int e = run_child(self, path, res, r);

		if (e < 0)
			return -1;
		if (e > 0 || bench_now() - t0 > SLOW_RUN_S)
			break;
	}
	return 0;
}

/* The median over the runs of op k's times (got[k] > 0). */
static double op_time(struct result *res, int k)
{
	double v[RUNS];

	for (int r = 0; r < res->got[k]; r++)
		v[r] = res->t[r][k];
	return median(v, (size_t)res->got[k]);
}

/* Why op k has no time in res. */
static const char *no_time(const struct result *res, int k)
{
	if (res->why[k][0])
		return res->why[k];
	return res->stopped ? "not finished: the process was stopped after " STR(CHILD_LIMIT_S) " s" : "no time";
}

int main(int argc, char **argv)
{
	char small_path[4096], big_path[4096], self[4096];
	const char *dir, *sp, *bp;
	struct result small, big;
	bool pass = true;
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "--measure"))
		return measure(argv[2]);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_tui VMTRACE [CACHE_DIR]\n");
		return 2;
	}
	dir = getenv("VMTRACE_BENCH_CACHE");
	if (!dir || !*dir)
		dir = argc == 3 ? argv[2] : "/tmp";
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_tui: cannot make '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	/* the small trace is made every time (a tenth of a second), the big
	 * one only when the cached one is not of this decoder's schema */
	snprintf(small_path, sizeof(small_path), "%s/tui-bench-small-%u.db", dir, SMALL_ROUNDS);
	unlink(small_path);
	sp = trace(argv[1], dir, "small", SMALL_WORKLOAD, SMALL_ROUNDS, 1, NULL, small_path, sizeof(small_path));
	bp = sp ? trace(argv[1], dir, "big", BIG_WORKLOAD, BIG_ROUNDS, BIG_EVENTS_MIN, sp, big_path, sizeof(big_path)) : NULL;
	if (!sp || !bp)
		return 1;
	if (measure_all(self, sp, &small) != 0 || measure_all(self, bp, &big) != 0)
		return 1;

	printf("small: %" PRIu64 " events, %d process(es); big: %" PRIu64 " events (%.0fx), %d process(es); "
	       "each time the median of up to %d places\n",
	       small.events, small.runs, big.events, (double)big.events / (double)(small.events ? small.events : 1),
	       big.runs, REPS);
	printf("%-16s %12s %12s %8s\n", "", "small", "big", "big/small");
	for (int k = 0; k < OP_N; k++) {
		if (!small.got[k] || !big.got[k]) {
			printf("%-16s %s\n", op_name[k], !small.got[k] ? no_time(&small, k) : no_time(&big, k));
			/* not built yet is no failure; not finished is */
			if (!small.why[k][0] && !big.why[k][0])
				pass = false;
			continue;
		}
		double s = op_time(&small, k), b = op_time(&big, k), ratio = b / (s > 0 ? s : 1e-9);
		bool ok = ratio <= RATIO_MAX;
		printf("%-16s %10.3f ms %10.3f ms %8.2f%s\n", op_name[k], s * 1e3, b * 1e3, ratio, ok ? "" : "  > 2: FAIL");
		pass = pass && ok;
	}
	if (big.got[OP_FIRST]) {
		double b = op_time(&big, OP_FIRST);
		printf("first screen on the big trace: %.3f s (goal < %.1f s)%s\n", b, FIRST_SCREEN_MAX,
		       b < FIRST_SCREEN_MAX ? "" : ": FAIL");
		pass = pass && b < FIRST_SCREEN_MAX;
	}
	printf("peak RSS: small %.1f MiB, big %.1f MiB (goal <= small + %d MiB)%s\n", small.rss_kib / 1024.0,
	       big.rss_kib / 1024.0, RSS_SLACK_KIB / 1024, big.rss_kib <= small.rss_kib + RSS_SLACK_KIB ? "" : ": FAIL");
	pass = pass && big.rss_kib <= small.rss_kib + RSS_SLACK_KIB;
	printf("%s\n", pass ? "all goals met" : "a goal failed");
	return pass ? 0 : 1;
}
