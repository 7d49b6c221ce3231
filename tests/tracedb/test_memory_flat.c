/* Decoder memory does not grow with the trace (issue: decoder, "streaming,
 * with memory independent of trace length").
 *
 * Two raw traces run the same emulator workload (all four device types),
 * one SHORT_PASSES times and one LONG_PASSES times: the longer one has at
 * least MEMORY_FLAT_RATIO times the events but touches the same guest
 * pages, queues and devices, the things decoder state may depend on.  Each
 * is decoded in a fresh process (this program re-executed with --decode),
 * which reports its peak resident set size (VmHWM of /proc/self/status: the
 * new image only, not the test process it was forked from).  The long
 * decode may use at most MEMORY_FLAT_SLACK_KIB more than the short one.
 *
 * SQLite's page cache is the one part that fills up with the file until it
 * reaches its bound (cache_size: 64 MiB in decoder/db.c).  The decodes here
 * run with a 2 MiB cache, so both reach that bound early and the decoder's
 * own memory is what the comparison sees.
 *
 * The slack: both decodes reach the same fixed bounds (page cache, the
 * requests window of rings_priv.h, row batches, shadow pages of the same
 * guest buffers); what still grows is SQLite's sorter when the indexes are
 * built at the end, which keeps up to a cache's worth of keys in memory
 * before it spills to temporary files (about 1 MiB more here; 2 MiB under
 * AddressSanitizer), plus allocator fragmentation.  MEMORY_FLAT_SLACK_KIB
 * leaves room for that and is still small against what a per-event leak
 * costs: the long trace has about 300 000 more events than the short one,
 * so keeping even 32 bytes per event (a sequence number and a pointer or
 * two, far less than any event's row) exceeds it, and keeping the events
 * themselves (payloads average over 130 bytes) exceeds it fivefold.
 *
 * AddressSanitizer keeps freed blocks in a quarantine (256 MiB by default)
 * that grows with the number of frees, not with live memory: the decodes
 * run with it turned off. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "decoder/db.h"
#include "decoder/decoder.h"
#include "tests/bench/bench_util.h"
#include "tests/harness.h"

#define SHORT_PASSES 2u
#define LONG_PASSES 8u
#define MEMORY_FLAT_RATIO 4u
#define MEMORY_FLAT_SLACK_KIB (8u * 1024u)
#define TEST_CACHE_PRAGMA "PRAGMA cache_size=-2048"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Peak resident set of this process image in KiB, or -1. */
static long peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Decode raw into db as decode_file does, with the test's page cache, and
 * print the peak RSS. */
static int decode_child(const char *raw, const char *db_path)
{
	struct decoder_opts opts = { .store_memory = true };
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	struct decoder *dec = NULL;
	sqlite3 *db = NULL;
	struct vmt_event ev;
	char err[512];
	int rc;

	if (rawtrace_reader_open(&r, raw, err, sizeof(err)) < 0 ||
	    trace_db_create(&db, db_path, err, sizeof(err)) < 0 ||
	    sqlite3_exec(db, TEST_CACHE_PRAGMA, NULL, NULL, NULL) != SQLITE_OK ||
	    decoder_new(&dec, db, rawtrace_reader_meta(r), &opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "decode: %s\n", err);
		return 1;
	}
	while ((rc = rawtrace_reader_next(r, &ev)) > 0)
		if (decoder_feed(dec, &ev) < 0) {
			fprintf(stderr, "decode: %s\n", decoder_error(dec));
			return 1;
		}
	rawtrace_reader_status(r, &st);
	decoder_note_lost(dec, st.lost);
	if (rc < 0 || decoder_finish(dec, st.complete, "normal") < 0) {
		fprintf(stderr, "decode: %s\n", rc < 0 ? strerror(-rc) : decoder_error(dec));
		return 1;
	}
	decoder_free(dec);
	sqlite3_close(db);
	rawtrace_reader_close(r);
	printf("%ld\n", peak_rss_kib());
	return 0;
}

/* Decode raw in a new process; returns its peak RSS in KiB, 0 on failure. */
static long decode_peak_kib(const char *raw, const char *db)
{
	char out[64] = "";
	int fd[2], status;
	long kib = 0;
	pid_t pid;

	unlink(db);
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		return 0;
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
#ifdef UNDER_ASAN
		setenv("ASAN_OPTIONS", "quarantine_size_mb=0", 1);
#endif
		execl("/proc/self/exe", "test_memory_flat", "--decode", raw, db, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], out, sizeof(out) - 1);
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n <= 0 ||
	    sscanf(out, "%ld", &kib) != 1) {
		fprintf(stderr, "decoding '%s' failed\n", raw);
		kib = 0;
	}
	unlink(db);
	return kib;
}

static void test_memory_flat(void)
{
	const char *short_raw = harness_tmpfile("short.vmt"), *long_raw = harness_tmpfile("long.vmt");
	const char *db = harness_tmpfile("flat.db");
	uint64_t short_events = 0, long_events = 0;

	if (bench_emu_run(short_raw, SHORT_PASSES, &short_events) < 0 ||
	    bench_emu_run(long_raw, LONG_PASSES, &long_events) < 0) {
		CHECK(!"the emulator workload failed");
		return;
	}
	CHECK(long_events >= MEMORY_FLAT_RATIO * short_events);
	long short_kib = decode_peak_kib(short_raw, db);
	long long_kib = decode_peak_kib(long_raw, db);
	printf("short trace: %llu events, peak RSS %ld KiB\n", (unsigned long long)short_events, short_kib);
	printf("long trace:  %llu events, peak RSS %ld KiB (%+ld KiB; allowed %u KiB more)\n",
	       (unsigned long long)long_events, long_kib, long_kib - short_kib, MEMORY_FLAT_SLACK_KIB);
	CHECK(short_kib > 0 && long_kib > 0);
	CHECK(long_kib <= short_kib + (long)MEMORY_FLAT_SLACK_KIB);
	unlink(short_raw);
	unlink(long_raw);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--decode") == 0)
		return decode_child(argv[2], argv[3]);
	RUN(test_memory_flat);
	return harness_finish("test_memory_flat");
}
