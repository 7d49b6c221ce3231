/* export_perfetto (docs/export-perfetto.md) on the samples, against the
 * read library: the whole trace, one device, a seq range, a trace of two
 * vCPUs, a file whose text is hostile, a full disk; each output read back
 * by check_perfetto.py (valid JSON, every b with its e, flows, each
 * thread's events in time order, every thread named, register accesses
 * per vCPU thread and other counts equal to the library's).  The export
 * of violations.db byte for byte against a golden file.  The JSON string
 * escaper on its own.
 *
 * Usage: test_export_perfetto PYTHON3|'' CHECKER emu-modern.db violations.db qemu-linux-modern.db
 *        virt-2cpu.db violations.json.golden
 * (PYTHON3 '': the JSON checks are skipped, the C ones still run).
 *
 * The golden file, after a change meant to alter the output (run from the
 * source root; the trace's path in otherData is compared as
 * "samples/violations.db"):
 *   vmtrace export -o tests/export/perfetto/violations.json.golden samples/violations.db */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/event.h"
#include "export/export_perfetto.h"
#include "export/perfetto_json.h"
#include "export/perfetto_priv.h"
#include "tests/harness.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"

static const char *python3, *checker, *emu_db, *violations_db, *qemu_db, *virt_db, *golden;

static struct tdb *open_db(const char *path)
{
	struct tdb *t = NULL;
	char err[512];

	if (tdb_open(&t, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return t;
}

/* The export of t's part o into memory (free() it): the exporter's code in *rc. */
static char *export_mem(struct tdb *t, const struct export_opts *o, struct export_summary *s, size_t *len, int *rc)
{
	char *buf = NULL, err[512] = "";
	FILE *f = open_memstream(&buf, len);

	if (!f) {
		perror("open_memstream");
		exit(1);
	}
	*rc = export_perfetto(t, o, f, s, err, sizeof(err));
	if (*rc != 0)
		fprintf(stderr, "[%s] export_perfetto: %d: %s\n", harness_case, *rc, err);
	fclose(f);
	return buf;
}

/* What the read library says the part holds. */
struct expect {
	uint64_t requests, events, violations;
};

struct req_count {
	const struct export_opts *o;
	uint64_t n;
};

static int count_request(void *arg, const struct tdb_request *r)
{
	struct req_count *c = arg;

	/* requests are drawn from their notify; a range keeps those notified
	 * in it (to included) */
	if (r->seq_notify < 0 || r->ts_notify < 0 || (c->o->has_to && (uint64_t)r->seq_notify > c->o->to))
		return 0;
	c->n++;
	return 0;
}

static uint64_t count_events(struct tdb *t, const struct export_opts *o, int device, unsigned types)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	uint64_t n = 0;
	int r;

	tdb_filter_init(&f);
	f.device = device;
	f.types = types;
	f.has_from = o->has_from, f.from = o->from;
	f.has_to = o->has_to, f.to = o->to;
	CHECK_EQ_U(tdb_cursor_open(t, &f, TDB_FORWARD, &c), 0);
	while ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW)
		if (r == 0 && (device >= 0 || row.device < 0 || types != (1u << VMT_EV_MARKER | 1u << VMT_EV_LOST)))
			n++;
	CHECK_EQ_U(r, TDB_END);
	tdb_cursor_close(c);
	return n;
}

/* The part's register accesses per process and vCPU, as check_perfetto.py
 * --vcpus takes them ("PID:VCPU:N,..."), into buf. */
#define VCPU_COUNTS_MAX 64
static void count_vcpus(struct tdb *t, const struct export_opts *o, char *buf, size_t len)
{
	struct { int pid; unsigned vcpu; uint64_t n; } seen[VCPU_COUNTS_MAX];
	size_t n_seen = 0, k = 0;
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	int r;

	tdb_filter_init(&f);
	f.device = o->device;
	f.types = 1u << VMT_EV_MMIO;
	f.has_from = o->has_from, f.from = o->from;
	f.has_to = o->has_to, f.to = o->to;
	CHECK_EQ_U(tdb_cursor_open(t, &f, TDB_FORWARD, &c), 0);
	while ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW) {
		size_t i;
		if (r != 0)
			continue;
		for (i = 0; i < n_seen && (seen[i].pid != pf_pid(row.device) || seen[i].vcpu != row.ev.vcpu); i++)
			;
		if (i == n_seen) {
			CHECK(n_seen < VCPU_COUNTS_MAX);
			if (n_seen == VCPU_COUNTS_MAX)
				continue;
			seen[n_seen++] = (typeof(seen[0])){ pf_pid(row.device), row.ev.vcpu, 0 };
		}
		seen[i].n++;
	}
	CHECK_EQ_U(r, TDB_END);
	tdb_cursor_close(c);
	buf[0] = '\0';
	for (size_t i = 0; i < n_seen && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%d:%u:%" PRIu64, i ? "," : "", seen[i].pid, seen[i].vcpu,
				      seen[i].n);
	CHECK(k < len);
}

/* Status changes of the part, walked on the library's own lookup. */
static uint64_t count_status(struct tdb *t, const struct export_opts *o)
{
	struct tdb_status_change sc;
	uint64_t n = 0, from = o->has_from ? o->from : 0, to = o->has_to ? o->to : UINT64_MAX;
	int r = tdb_status_change_near(t, o->device, from ? from - 1 : 0, TDB_FORWARD, &sc);

	/* (no sample has a status change at seq 0) */
	for (; r == 0 && sc.seq <= to; r = tdb_status_change_near(t, o->device, sc.seq, TDB_FORWARD, &sc))
		n++;
	CHECK(r == 0 || r == TDB_END);
	return n;
}

static uint64_t count_requests(struct tdb *t, const struct export_opts *o)
{
	struct req_count rc = { o, 0 };

	CHECK_EQ_U(tdb_requests_each(t, o->device, o->has_from ? o->from : 0, o->has_to ? o->to : 0, count_request, &rc),
		   0);
	return rc.n;
}

/* Register accesses, interrupts, device reports, markers, lost events
 * and status changes of the part (damaged rows left out). */
static uint64_t count_all_events(struct tdb *t, const struct export_opts *o)
{
	unsigned dev_types = 1u << VMT_EV_MMIO | 1u << VMT_EV_IRQ | 1u << VMT_EV_QUEUE;
	unsigned global = 1u << VMT_EV_MARKER | 1u << VMT_EV_LOST;
	uint64_t n;

	if (o->device < 0)
		n = count_events(t, o, -1, dev_types | global);
	else
		n = count_events(t, o, o->device, dev_types) + count_events(t, o, -1, global);
	return n + count_status(t, o);
}

static struct expect expected(struct tdb *t, const struct export_opts *o, bool whole)
{
	struct expect e = { 0 };
	uint64_t v = 0, a = 0;

	e.requests = count_requests(t, o);
	e.events = count_all_events(t, o);
	if (whole) {
		CHECK_EQ_U(tdb_violations_count(t, &v, &a), 0);
		e.violations = v + a;
	}
	return e;
}

/* Run argv, return its exit status (-1 if it did not exit). */
static int run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* check_perfetto.py on buf against e (and the part o; vcpus: the register
 * accesses per thread, NULL to leave them unchecked). */
static void check_json(const char *buf, size_t len, const struct export_opts *o, const struct expect *e,
		       const char *pids, const char *vcpus)
{
	const char *path = harness_tmpfile("perfetto.json");
	char req[32], ev[32], vio[32], from[32], to[32];
	char *argv[26];
	int n = 0;
	FILE *f;

	if (!python3[0])
		return;
	f = fopen(path, "w");
	CHECK(f && fwrite(buf, 1, len, f) == len);
	if (f)
		fclose(f);
	snprintf(req, sizeof(req), "%" PRIu64, e->requests);
	snprintf(ev, sizeof(ev), "%" PRIu64, e->events);
	snprintf(vio, sizeof(vio), "%" PRIu64, e->violations);
	argv[n++] = (char *)python3;
	argv[n++] = (char *)"-B";
	argv[n++] = (char *)checker;
	argv[n++] = (char *)path;
	argv[n++] = (char *)"--requests", argv[n++] = req;
	argv[n++] = (char *)"--events", argv[n++] = ev;
	argv[n++] = (char *)"--violations", argv[n++] = vio;
	if (pids)
		argv[n++] = (char *)"--pids", argv[n++] = (char *)pids;
	if (vcpus)
		argv[n++] = (char *)"--vcpus", argv[n++] = (char *)vcpus;
	if (o->has_from) {
		snprintf(from, sizeof(from), "%" PRIu64, o->from);
		argv[n++] = (char *)"--from", argv[n++] = from;
	}
	if (o->has_to) {
		snprintf(to, sizeof(to), "%" PRIu64, o->to);
		argv[n++] = (char *)"--to", argv[n++] = to;
	}
	argv[n] = NULL;
	CHECK_EQ_U(run(argv), 0);
	unlink(path);
}

/* Export o's part of path; check the summary and the JSON against the
 * library.  whole: the summary's violations are the file's. */
static void export_checked(const char *path, const struct export_opts *o, bool whole, const char *pids,
			   struct export_summary *out)
{
	struct tdb *t = open_db(path);
	struct export_summary s;
	struct expect e;
	size_t len = 0;
	int rc;
	char *buf = export_mem(t, o, &s, &len, &rc);
	char vcpus[2048];

	CHECK_EQ_U(rc, 0);
	e = expected(t, o, whole);
	count_vcpus(t, o, vcpus, sizeof(vcpus));
	CHECK_EQ_U(s.requests, e.requests);
	CHECK_EQ_U(s.events, e.events);
	if (whole)
		CHECK_EQ_U(s.violations, e.violations);
	else
		e.violations = s.violations;
	CHECK_EQ_U(s.bytes, len);
	CHECK_EQ_U(s.damaged, 0);
	check_json(buf, len, o, &e, pids, vcpus);
	if (out)
		*out = s;
	free(buf);
	tdb_close(t);
}

static void test_whole_emu(void)
{
	struct export_opts o = { .device = -1 };
	struct export_summary s;

	export_checked(emu_db, &o, true, NULL, &s);
	CHECK(s.requests > 40);  /* 56 in the sample: blk, net, console, rng */
	CHECK(s.events > 200);
}

static void test_whole_violations(void)
{
	struct export_opts o = { .device = -1 };
	struct export_summary s;

	export_checked(violations_db, &o, true, NULL, &s);
	CHECK_EQ_U(s.violations, 19);  /* 18 violations, 1 anomaly (vmtrace info) */
}

/* A QEMU boot: several vCPUs, the device's own queue reports, requests
 * whose used entry the best-effort copies missed. */
static void test_whole_qemu(void)
{
	struct export_opts o = { .device = -1 };
	struct export_summary s;

	export_checked(qemu_db, &o, true, NULL, &s);
	CHECK(s.requests > 1000);
}

/* --device: the blk device's track (pid 1) and the global markers only. */
static void test_one_device(void)
{
	struct export_opts o = { .device = 0 };
	struct export_opts all = { .device = -1 };
	struct export_summary s, w;

	export_checked(emu_db, &o, false, "0,1", &s);
	export_checked(emu_db, &all, true, NULL, &w);
	CHECK(s.requests > 0 && s.requests < w.requests);
	CHECK(s.events > 0 && s.events < w.events);
	export_checked(violations_db, &(struct export_opts){ .device = 1 }, false, "0,2", &s);
	CHECK_EQ_U(s.violations, 5);  /* the rng's 4 violations (vmtrace info), 2 at memory events, and its anomaly */
}

/* --from/--to: only events, findings and notifies in the range. */
static void test_range(void)
{
	struct export_opts o = { .device = -1, .has_from = true, .from = 100, .has_to = true, .to = 300 };
	struct export_summary s;

	export_checked(emu_db, &o, false, NULL, &s);
	CHECK(s.requests > 0);
	o.device = 0;
	export_checked(emu_db, &o, false, "0,1", &s);
	o = (struct export_opts){ .device = -1, .has_from = true, .from = 40, .has_to = true, .to = 80 };
	export_checked(violations_db, &o, false, NULL, &s);
	CHECK(s.violations > 0 && s.violations < 19);
	/* an empty range: a document without events */
	o = (struct export_opts){ .device = -1, .has_from = true, .from = 50, .has_to = true, .to = 10 };
	export_checked(emu_db, &o, false, NULL, &s);
	CHECK_EQ_U(s.events + s.requests + s.violations, 0);
}

/* Two vCPUs: the blk device's accesses are all on vCPU 0, the rng's on
 * vCPU 1, each on its own named thread (check_perfetto.py --vcpus, from
 * the library's counts). */
static void test_vcpus(void)
{
	struct export_opts o = { .device = -1 };
	struct tdb *t = open_db(virt_db);
	char vcpus[2048];

	/* the trace is what this test needs: both vCPUs have accesses */
	count_vcpus(t, &o, vcpus, sizeof(vcpus));
	CHECK(strncmp(vcpus, "1:0:", 4) == 0 && strstr(vcpus, ",2:1:") != NULL);
	tdb_close(t);
	export_checked(virt_db, &o, true, NULL, NULL);
	/* the rng alone: its process's vCPU 1 thread */
	export_checked(virt_db, &(struct export_opts){ .device = 1 }, false, "0,2", NULL);
}

/* The export of violations.db byte for byte (the usage above says how to
 * rewrite the golden file): the trace's path made the one the golden
 * file was written with. */
static void test_golden(void)
{
	static const char as_written[] = "\"trace\":\"samples/violations.db\"";
	struct tdb *t = open_db(violations_db);
	struct export_opts o = { .device = -1 };
	struct export_summary s;
	struct pj path;
	size_t len = 0, glen = 0;
	int rc;
	char *buf = export_mem(t, &o, &s, &len, &rc), *want = NULL, *at;
	FILE *f = fopen(golden, "rb");
	const char *out = harness_tmpfile("violations.json");

	CHECK_EQ_U(rc, 0);
	CHECK(f != NULL);
	if (f) {
		char chunk[65536];
		size_t n;
		FILE *m = open_memstream(&want, &glen);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		fclose(m);
		fclose(f);
	}
	/* "trace":"<the path this test was given>" */
	pj_init(&path);
	pj_puts(&path, "\"trace\":");
	pj_strn(&path, violations_db, strlen(violations_db));
	at = buf ? strstr(buf, path.b) : NULL;
	CHECK(at != NULL);
	if (at && want) {
		size_t pre = (size_t)(at - buf), post = len - pre - path.len;
		bool same = glen == pre + strlen(as_written) + post && memcmp(want, buf, pre) == 0 &&
			    memcmp(want + pre, as_written, strlen(as_written)) == 0 &&
			    memcmp(want + pre + strlen(as_written), at + path.len, post) == 0;
		if (!same && (f = fopen(out, "wb"))) {
			fwrite(buf, 1, len, f);
			fclose(f);
			fprintf(stderr, "[%s] the export differs from %s: it is in %s (its trace path not replaced)\n",
				harness_case, golden, out);
		}
		CHECK(same);
	}
	pj_free(&path);
	free(want);
	free(buf);
	tdb_close(t);
}

static void test_no_device(void)
{
	struct tdb *t = open_db(emu_db);
	struct export_opts o = { .device = 9 };
	struct export_summary s;
	size_t len;
	int rc;
	char *buf = export_mem(t, &o, &s, &len, &rc);

	CHECK_EQ_U(rc, TDB_E_NOT_FOUND);
	free(buf);
	tdb_close(t);
}

/* A full disk: -ENOSPC with a message, not a short file called done. */
static void test_full_disk(void)
{
	struct tdb *t = open_db(emu_db);
	struct export_opts o = { .device = -1 };
	struct export_summary s;
	char err[512] = "";
	FILE *f = fopen("/dev/full", "w");
	int rc;

	if (!f) {
		printf("note: no /dev/full: the write error is not checked\n");
		tdb_close(t);
		return;
	}
	rc = export_perfetto(t, &o, f, &s, err, sizeof(err));
	CHECK_EQ_U(rc, (uint64_t)-ENOSPC);
	CHECK(strstr(err, "No space left") != NULL);
	fclose(f);
	tdb_close(t);
}

/* A copy of emu-modern.db whose marker and device name hold quotes,
 * backslashes, controls, bytes that are not UTF-8 and a direction
 * control: the JSON stays valid and says each for what it is. */
static void test_hostile_text(void)
{
	const char *path = harness_tmpfile("hostile.db");
	static const char marker[] = "q\"b\\s\x01\x7f\xff\xc3(\xe2\x80\xae end \xf0\x9f\x98\x80";
	struct export_opts o = { .device = -1 };
	struct export_summary s;
	struct expect e;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct tdb *t;
	size_t len;
	int rc;
	char *buf, vcpus[2048];
	FILE *in = fopen(emu_db, "rb"), *out = fopen(path, "wb");
	char chunk[65536];
	size_t n;

	CHECK(in && out);
	if (!in || !out)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		CHECK(fwrite(chunk, 1, n, out) == n);
	fclose(in);
	fclose(out);
	CHECK_EQ_U(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ_U(sqlite3_prepare_v2(db, "UPDATE events SET text = CAST(?1 AS TEXT) WHERE seq = 4", -1, &st, NULL),
		   SQLITE_OK);
	sqlite3_bind_blob(st, 1, marker, sizeof(marker) - 1, SQLITE_STATIC);
	CHECK_EQ_U(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	CHECK_EQ_U(sqlite3_exec(db, "UPDATE devices SET name = 'blk \"x\" \\' || char(27) || '[31m' WHERE device = 0",
				NULL, NULL, NULL), SQLITE_OK);
	/* vCPUs past the threads of their own: 998 has one, 999 and beyond share "vCPU 999+" */
	CHECK_EQ_U(sqlite3_exec(db, "UPDATE events SET vcpu = 65535 WHERE seq = 12; UPDATE events SET vcpu = 1500 WHERE seq = 13; "
				"UPDATE events SET vcpu = 998 WHERE seq = 14; UPDATE events SET vcpu = 999 WHERE seq = 15",
				NULL, NULL, NULL), SQLITE_OK);
	/* a register access and a request that contradict the file */
	CHECK_EQ_U(sqlite3_exec(db, "UPDATE events SET width = -3 WHERE seq = 10; "
				"UPDATE requests SET kind = 'bogus' WHERE request = 5", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	t = open_db(path);
	buf = export_mem(t, &o, &s, &len, &rc);
	CHECK_EQ_U(rc, 0);
	CHECK(buf && strstr(buf, "\"q\\\"b\\\\s\\u0001\\u007f\\ufffd\\ufffd(\\u202e end \xf0\x9f\x98\x80\"") != NULL);
	CHECK(buf && strstr(buf, "\"blk \\\"x\\\" \\\\\\u001b[31m (block)\"") != NULL);
	/* the damaged rows left out, counted, the access named by an instant */
	CHECK_EQ_U(s.damaged, 2);
	CHECK(buf && strstr(buf, "\"name\":\"damaged row\"") && strstr(buf, "\"why\":\"width -3\""));
	e.events = count_all_events(t, &o);
	e.requests = 55; /* 56 in the sample, one damaged */
	e.violations = 0;
	CHECK_EQ_U(s.requests, e.requests);
	CHECK_EQ_U(s.events, e.events);
	CHECK(buf && strstr(buf, "\"tid\":1998,\"args\":{\"name\":\"vCPU 998\"}") &&
	      strstr(buf, "\"tid\":1999,\"args\":{\"name\":\"vCPU 999+\"}"));
	count_vcpus(t, &o, vcpus, sizeof(vcpus));
	check_json(buf, len, &o, &e, NULL, vcpus);
	free(buf);
	tdb_close(t);
	unlink(path);
}

static const char *escaped(const void *s, size_t n, size_t max)
{
	static struct pj j;

	pj_reset(&j);
	if (max)
		pj_strn_cut(&j, s, n, max);
	else
		pj_strn(&j, s, n);
	return j.b ? j.b : "";
}

/* The escaper alone: each kind of byte, and cuts on character boundaries. */
static void test_escaper(void)
{
	CHECK_STR(escaped("plain", 5, 0), "\"plain\"");
	CHECK_STR(escaped("a\"b\\c/", 6, 0), "\"a\\\"b\\\\c/\"");
	CHECK_STR(escaped("\n\t\r\b\f\x02\x1f", 7, 0), "\"\\n\\t\\r\\b\\f\\u0002\\u001f\"");
	CHECK_STR(escaped("nul\0x", 5, 0), "\"nul\\u0000x\"");
	CHECK_STR(escaped("\x7f", 1, 0), "\"\\u007f\"");
	CHECK_STR(escaped("caf\xc3\xa9 \xe6\x97\xa5", 9, 0), "\"caf\xc3\xa9 \xe6\x97\xa5\"");
	/* not UTF-8: a lone continuation, a cut sequence, an overlong one, a surrogate */
	CHECK_STR(escaped("\x80", 1, 0), "\"\\ufffd\"");
	CHECK_STR(escaped("\xe2\x82", 2, 0), "\"\\ufffd\\ufffd\"");
	CHECK_STR(escaped("\xc0\xaf", 2, 0), "\"\\ufffd\\ufffd\"");
	CHECK_STR(escaped("\xed\xa0\x80", 3, 0), "\"\\ufffd\\ufffd\\ufffd\"");
	/* hidden code points: C1, direction controls, line separators */
	CHECK_STR(escaped("\xc2\x9b", 2, 0), "\"\\u009b\"");
	CHECK_STR(escaped("\xe2\x80\xae\xe2\x80\xa8", 6, 0), "\"\\u202e\\u2028\"");
	/* cuts never split a character or an escape */
	CHECK_STR(escaped("abcdef", 6, 3), "\"abc...\"");
	CHECK_STR(escaped("ab\xc3\xa9", 4, 3), "\"ab...\"");
	CHECK_STR(escaped("ab\xc3\xa9", 4, 4), "\"ab\xc3\xa9\"");
	CHECK_STR(escaped("", 0, 0), "\"\"");
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr,
			"usage: %s PYTHON3|'' CHECKER emu-modern.db violations.db qemu-linux-modern.db virt-2cpu.db "
			"violations.json.golden\n", argv[0]);
		return 2;
	}
	python3 = argv[1], checker = argv[2], emu_db = argv[3], violations_db = argv[4], qemu_db = argv[5];
	virt_db = argv[6], golden = argv[7];
	if (!python3[0])
		printf("note: no python3: the JSON is not read back\n");
	RUN(test_escaper);
	RUN(test_whole_emu);
	RUN(test_whole_violations);
	RUN(test_whole_qemu);
	RUN(test_one_device);
	RUN(test_range);
	RUN(test_vcpus);
	RUN(test_golden);
	RUN(test_no_device);
	RUN(test_full_disk);
	RUN(test_hostile_text);
	return harness_finish(argv[0]);
}
