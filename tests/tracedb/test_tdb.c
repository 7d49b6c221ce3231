/* tracedb unit tests: the event cursor pages forward and backward across
 * page boundaries with each filter (checked against plain SQL), a device's
 * state at a seq against values read by hand from samples/emu-modern.db,
 * and the error each damaged or incomplete file gets.
 *
 * Usage: test_tdb SAMPLES/emu-modern.db */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_state.h"

static const char *sample;

/* Page sizes that cross page boundaries everywhere (1), at odd places, and
 * the default. */
static const unsigned pages[] = { 1, 2, 3, 7, 64, 0 };

#define MAX_ROWS 4096

struct seqs {
	int64_t v[MAX_ROWS];
	size_t n;
};

/* seq of every row sql returns on file path. */
static void sql_seqs(const char *path, const char *sql, struct seqs *out)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out->n = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	while (sqlite3_step(st) == SQLITE_ROW && out->n < MAX_ROWS)
		out->v[out->n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Run the cursor to its end, into out (damaged rows count in *damaged). */
static int cursor_seqs(struct tdb *t, const struct tdb_filter *f, enum tdb_direction dir, struct seqs *out,
		       unsigned *damaged)
{
	struct tdb_cursor *c;
	struct tdb_event row;
	int r;

	out->n = 0;
	if (damaged)
		*damaged = 0;
	if ((r = tdb_cursor_open(t, f, dir, &c)))
		return r;
	while ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW) {
		if (r == TDB_E_DAMAGED_ROW) {
			if (damaged)
				(*damaged)++;
			continue;
		}
		if (out->n < MAX_ROWS)
			out->v[out->n++] = (int64_t)row.ev.seq;
	}
	tdb_cursor_close(c);
	return r == TDB_END ? 0 : r;
}

static bool same(const struct seqs *a, const struct seqs *b, bool reversed)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i] != b->v[reversed ? b->n - 1 - i : i])
			return false;
	return true;
}

/* The cursor with f returns what sql returns (ascending), forward and
 * backward, for every page size. */
static void check_filter(const char *path, struct tdb *t, struct tdb_filter f, const char *sql, size_t min_rows)
{
	static struct seqs want, got;

	sql_seqs(path, sql, &want);
	CHECK(want.n >= min_rows);
	for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		f.page = pages[p];
		CHECK_EQ_U(cursor_seqs(t, &f, TDB_FORWARD, &got, NULL), 0);
		if (!same(&got, &want, false)) {
			fprintf(stderr, "  forward, page %u: %zu rows, want %zu (%s)\n", pages[p], got.n, want.n, sql);
			CHECK(false);
		}
		CHECK_EQ_U(cursor_seqs(t, &f, TDB_BACKWARD, &got, NULL), 0);
		if (!same(&got, &want, true)) {
			fprintf(stderr, "  backward, page %u: %zu rows, want %zu (%s)\n", pages[p], got.n, want.n, sql);
			CHECK(false);
		}
	}
}

/* A writable copy of the sample with sql applied. Returns its path. */
static const char *copy_with(const char *name, const char *sql)
{
	const char *path = harness_tmpfile(name);
	char buf[65536];
	ssize_t n;
	int in = open(sample, O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	sqlite3 *db;
	char *msg = NULL;

	if (in < 0 || out < 0) {
		perror("copy");
		exit(1);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			exit(1);
	close(in);
	close(out);
	if (sql) {
		if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			fprintf(stderr, "%s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_close(db);
	}
	return path;
}

static struct tdb *open_ok(const char *path)
{
	struct tdb *t = NULL;
	char err[512];

	if (tdb_open(&t, path, err, sizeof(err))) {
		fprintf(stderr, "tdb_open: %s\n", err);
		exit(1);
	}
	return t;
}

static void test_cursor_filters(void)
{
	/* violations at chosen events (the sample has none); 3, 17 and 25 are
	 * device 0's register accesses, 100 and 766 are not */
	const char *path = copy_with("viol.db", "INSERT INTO violations VALUES (3, 0, 'r1', '2.1', 'error', 'driver', 'm'), "
				     "(17, 0, 'r2', '2.1', 'warning', 'device', 'm'), (25, NULL, 'r3', '2.1', 'info', "
				     "'driver', 'm'), (25, 0, 'r4', '2.1', 'error', 'driver', 'm2'), (100, 1, 'r5', '2.1', "
				     "'error', 'driver', 'm'), (766, 2, 'r6', '2.1', 'error', 'driver', 'm');");
	struct tdb *t = open_ok(path);
	struct tdb_filter f;

	tdb_filter_init(&f);
	check_filter(path, t, f, "SELECT seq FROM events ORDER BY seq", 767);
	f.device = 1;
	check_filter(path, t, f, "SELECT seq FROM events WHERE device = 1 ORDER BY seq", 50);
	tdb_filter_init(&f);
	f.types = 1u << VMT_EV_MMIO | 1u << VMT_EV_IRQ;
	check_filter(path, t, f, "SELECT seq FROM events WHERE type IN ('mmio', 'irq') ORDER BY seq", 200);
	tdb_filter_init(&f);
	f.has_from = f.has_to = true;
	f.from = 100;
	f.to = 300;
	check_filter(path, t, f, "SELECT seq FROM events WHERE seq BETWEEN 100 AND 300 ORDER BY seq", 201);
	tdb_filter_init(&f);
	f.violations_only = true;
	check_filter(path, t, f, "SELECT DISTINCT seq FROM violations ORDER BY seq", 5);
	/* every filter at once */
	tdb_filter_init(&f);
	f.device = 0;
	f.types = 1u << VMT_EV_MMIO;
	f.has_from = true;
	f.from = 10;
	f.violations_only = true;
	check_filter(path, t, f, "SELECT 17 UNION SELECT 25 ORDER BY 1", 2);
	tdb_close(t);
}

/* Queue 0 of device 0: its register accesses under QueueSel 0 (set up at
 * 19-32 in the sample), every notify of it, and memory inside its rings;
 * not Status or config accesses. */
static void test_cursor_queue(void)
{
	struct tdb *t = open_ok(sample);
	struct tdb_filter f;
	struct tdb_cursor *c;
	static struct seqs fw, bw, notify, mem;
	static bool has[800];
	size_t in_rings = 0;

	tdb_filter_init(&f);
	f.device = 0;
	f.queue = 0;
	f.page = 3;
	CHECK_EQ_U(cursor_seqs(t, &f, TDB_FORWARD, &fw, NULL), 0);
	CHECK_EQ_U(cursor_seqs(t, &f, TDB_BACKWARD, &bw, NULL), 0);
	CHECK(same(&fw, &bw, true));
	for (size_t i = 0; i < fw.n; i++)
		if (fw.v[i] >= 0 && fw.v[i] < 800)
			has[fw.v[i]] = true;
	CHECK(has[20] && has[21] && has[25] && has[26] && has[32]);
	CHECK(!has[17]);  /* Status */
	CHECK(!has[33]);  /* ConfigGeneration */
	CHECK(!has[34]);  /* Config+0x0 */
	sql_seqs(sample, "SELECT seq FROM events WHERE device = 0 AND reg = 'QueueNotify' AND value = 0", &notify);
	CHECK(notify.n > 0);
	for (size_t i = 0; i < notify.n; i++)
		CHECK(has[notify.v[i]]);
	/* some memory events (the rings' contents), not all */
	sql_seqs(sample, "SELECT seq FROM events WHERE type = 'mem'", &mem);
	for (size_t i = 0; i < mem.n; i++)
		in_rings += has[mem.v[i]];
	CHECK(in_rings > 0 && in_rings < mem.n);
	/* a queue without a device is the caller's mistake */
	f.device = -1;
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == -EINVAL);
	f.device = 9;
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == TDB_E_NOT_FOUND);
	tdb_close(t);
}

static void test_cursor_seek(void)
{
	struct tdb *t = open_ok(sample);
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;

	tdb_filter_init(&f);
	f.page = 2;
	CHECK_EQ_U(tdb_cursor_open(t, &f, TDB_FORWARD, &c), 0);
	tdb_cursor_seek(c, 400, TDB_BACKWARD);
	for (int64_t s = 400; s > 395; s--) {
		CHECK_EQ_U(tdb_cursor_next(c, &row), 0);
		CHECK_EQ_U(row.ev.seq, s);
	}
	tdb_cursor_seek(c, 400, TDB_FORWARD);
	for (int64_t s = 400; s < 405; s++) {
		CHECK_EQ_U(tdb_cursor_next(c, &row), 0);
		CHECK_EQ_U(row.ev.seq, s);
	}
	tdb_cursor_seek(c, 765, TDB_FORWARD);
	CHECK_EQ_U(tdb_cursor_next(c, &row), 0);
	CHECK_EQ_U(tdb_cursor_next(c, &row), 0);
	CHECK_EQ_U(row.ev.seq, 766);
	CHECK_EQ_U(tdb_cursor_next(c, &row), TDB_END);
	/* typed rows: seq 10 is device 0's DeviceFeatures read */
	tdb_cursor_seek(c, 10, TDB_FORWARD);
	CHECK_EQ_U(tdb_cursor_next(c, &row), 0);
	CHECK_EQ_U(row.ev.type, VMT_EV_MMIO);
	CHECK_EQ_U(row.ev.dir, VMT_DIR_READ);
	CHECK_EQ_U(row.ev.width, 4);
	CHECK_EQ_U(row.ev.value, 0x30000244);
	CHECK_EQ_U(row.ev.base, 0x10000000);
	CHECK_STR(row.reg, "DeviceFeatures");
	CHECK(row.dev && row.dev->device_id == 2);
	tdb_cursor_close(c);
	tdb_close(t);
}

/* A repeated seq (events without its primary key) is one damaged row,
 * wherever the page boundaries fall, and no row is lost. */
static void test_cursor_duplicate(void)
{
	const char *path = copy_with("dup.db", "CREATE TABLE e2 AS SELECT * FROM events; DROP TABLE events; "
				     "ALTER TABLE e2 RENAME TO events; INSERT INTO events SELECT * FROM events WHERE seq = 50;");
	struct tdb *t = open_ok(path);
	struct tdb_filter f;
	static struct seqs got;
	unsigned damaged;

	tdb_filter_init(&f);
	for (unsigned page = 1; page <= 6; page++) {
		f.page = page;
		for (int d = 0; d < 2; d++) {
			CHECK_EQ_U(cursor_seqs(t, &f, (enum tdb_direction)d, &got, &damaged), 0);
			CHECK_EQ_U(got.n, 767);
			CHECK_EQ_U(damaged, 1);
		}
	}
	tdb_close(t);
}

/* Rows that contradict the file come back damaged, and the cursor goes
 * on past them. */
static void test_cursor_damaged_row(void)
{
	const char *path = copy_with("width.db", "UPDATE events SET width = -3 WHERE seq = 10; "
				     "UPDATE memory SET gpa = gpa + 8 WHERE seq = (SELECT min(seq) FROM memory);");
	struct tdb *t = open_ok(path);
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	int r;

	tdb_filter_init(&f);
	f.page = 4;
	CHECK_EQ_U(tdb_cursor_open(t, &f, TDB_FORWARD, &c), 0);
	tdb_cursor_seek(c, 9, TDB_FORWARD);
	CHECK_EQ_U(tdb_cursor_next(c, &row), 0);
	CHECK_EQ_U(tdb_cursor_next(c, &row), TDB_E_DAMAGED_ROW);
	CHECK_EQ_U(row.ev.seq, 10);
	CHECK_STR(row.why, "width -3");
	CHECK(strstr(tdb_errmsg(t), "events row seq 10: width -3") != NULL);
	CHECK_EQ_U(tdb_cursor_next(c, &row), 0);
	CHECK_EQ_U(row.ev.seq, 11);
	tdb_cursor_seek(c, 0, TDB_FORWARD);
	while ((r = tdb_cursor_next(c, &row)) == 0 || (r == TDB_E_DAMAGED_ROW && row.ev.seq == 10))
		;
	CHECK_EQ_U(r, TDB_E_DAMAGED_ROW);
	CHECK_STR(row.table, "memory");
	CHECK(strstr(row.why, "gpa") != NULL);
	tdb_cursor_close(c);
	tdb_close(t);
}

/* Device 0 (virtio-blk) of samples/emu-modern.db, values read by hand
 * from the sample with the sqlite3 shell. */
static void test_state(void)
{
	struct tdb *t = open_ok(sample);
	struct tdb_state s;
	uint64_t v, at;
	bool found_ready = false, found_magic = false;

	CHECK_EQ_U(tdb_state_at(t, 0, 33, &s), 0);
	CHECK(s.status_known);
	CHECK_EQ_U(s.status, 0x0b);
	CHECK_STR(s.status_names, "ACKNOWLEDGE|DRIVER|FEATURES_OK");
	CHECK_EQ_U(s.status_seq, 17);
	CHECK(s.offered_known[0] && s.offered_known[1] && s.accepted_known[0] && s.accepted_known[1]);
	CHECK_EQ_U(s.offered[0], 0x30000244);
	CHECK_EQ_U(s.offered[1], 0x101);
	CHECK_EQ_U(s.accepted[0], 0x30000244);
	CHECK_EQ_U(s.accepted[1], 0x1);
	CHECK(s.negotiated_known);
	CHECK_EQ_U(s.negotiated, 0x130000244);
	CHECK_EQ_U(s.negotiated_seq, 17);
	CHECK_EQ_U(s.n_queues, 1);
	if (s.n_queues == 1) {
		CHECK_EQ_U(s.queues[0].queue, 0);
		CHECK_EQ_U(s.queues[0].generation, 1);
		CHECK_EQ_U(s.queues[0].size, 64);
		CHECK_EQ_U(s.queues[0].num_max, 256);
		CHECK_EQ_U(s.queues[0].desc_addr, 0x40000000);
		CHECK_EQ_U(s.queues[0].driver_addr, 0x40000400);
		CHECK_EQ_U(s.queues[0].device_addr, 0x40000488);
		CHECK(s.queues[0].ready);
	}
	for (size_t i = 0; i < s.n_regs; i++) {
		if (!strcmp(s.regs[i].reg, "QueueReady") && s.regs[i].queue == 0) {
			found_ready = true;
			CHECK_EQ_U(s.regs[i].value, 1);
			CHECK_EQ_U(s.regs[i].seq, 32);
		}
		if (!strcmp(s.regs[i].reg, "MagicValue")) {
			found_magic = true;
			CHECK_EQ_U(s.regs[i].value, 0x74726976);
			CHECK(s.regs[i].queue == -1);
		}
		CHECK(s.regs[i].seq <= 33);
	}
	CHECK(found_ready && found_magic);
	/* config: read at 34 (+0: 0x800), 35 (+0x4), 36 (+0xc: 0x7e), 37 (+0x14: 0x200) */
	CHECK(!s.config_known[0]);
	tdb_state_clear(&s);
	CHECK_EQ_U(tdb_state_at(t, 0, 36, &s), 0);
	CHECK(s.config_known[0] && s.config_known[1] && s.config_known[0xc]);
	CHECK_EQ_U(s.config[1], 0x08);
	CHECK_EQ_U(s.config[0xc], 0x7e);
	CHECK(!s.config_known[0x14]);
	tdb_state_clear(&s);
	CHECK_EQ_U(tdb_state_at(t, 0, 37, &s), 0);
	CHECK(s.config_known[0x14] && s.config_known[0x15]);
	CHECK_EQ_U(s.config[0x15], 0x02);
	tdb_state_clear(&s);

	/* before QueueReady 1 (32): set up but not ready; before the set-up
	 * (25): no queue; before FEATURES_OK (17): nothing negotiated */
	CHECK_EQ_U(tdb_state_at(t, 0, 31, &s), 0);
	CHECK(s.n_queues == 1 && !s.queues[0].ready);
	tdb_state_clear(&s);
	CHECK_EQ_U(tdb_state_at(t, 0, 24, &s), 0);
	CHECK_EQ_U(s.n_queues, 0);
	CHECK(s.negotiated_known);
	tdb_state_clear(&s);
	CHECK_EQ_U(tdb_state_at(t, 0, 16, &s), 0);
	CHECK(!s.negotiated_known);
	CHECK_EQ_U(s.status, 0x03);
	CHECK_EQ_U(s.status_seq, 8);
	CHECK(s.accepted_known[1] && s.accepted[1] == 1);
	tdb_state_clear(&s);

	/* who set it */
	CHECK_EQ_U(tdb_state_setter(t, 0, "Status", -1, 30, &v, &at), 0);
	CHECK_EQ_U(v, 0x0b);
	CHECK_EQ_U(at, 17);
	CHECK_EQ_U(tdb_state_setter(t, 0, "QueueReady", 0, 40, &v, &at), 0);
	CHECK_EQ_U(v, 1);
	CHECK_EQ_U(at, 32);
	CHECK_EQ_U(tdb_state_setter(t, 0, "Status", -1, 4, &v, &at), TDB_E_NOT_FOUND);
	CHECK_EQ_U(tdb_state_at(t, 9, 10, &s), TDB_E_NOT_FOUND);
	tdb_state_clear(&s);
	tdb_close(t);
}

static int count_violation(void *arg, const struct tdb_violation *v)
{
	(*(unsigned *)arg)++;
	CHECK(v->severity >= 0 && v->actor >= 0);
	return 0;
}

static int count_request(void *arg, const struct tdb_request *q)
{
	(*(unsigned *)arg)++;
	CHECK(q->kind == TDB_REQ_BLK && q->device == 0 && q->seq_notify >= 0 && q->seq_used > q->seq_notify);
	return 0;
}

static int request_chain(void *arg, const struct tdb_request *q)
{
	*(int64_t *)arg = q->chain;
	return 0;
}

static void test_meta_devices_links(void)
{
	struct tdb *t = open_ok(sample);
	struct tdb_meta m;
	struct tdb_device *d;
	struct tdb_chain c;
	struct tdb_event_links l;
	size_t n;
	int id = -1;

	CHECK_EQ_U(tdb_meta_read(t, &m), 0);
	CHECK_STR(m.source, "emu");
	CHECK(m.complete);
	CHECK_EQ_U(m.events, 767);
	CHECK_EQ_U(m.lost, 0);
	CHECK_EQ_U(tdb_devices_read(t, TDB_BY_BASE, NULL, &d, &n), 0);
	CHECK_EQ_U(n, 4);
	if (n == 4) {
		CHECK_STR(d[0].name, "virtio-blk@0x10000000");
		CHECK_EQ_U(d[0].events, 80);
		CHECK_EQ_U(d[0].requests, 18);
		CHECK_EQ_U(d[0].status_reached, 0x0f);
		CHECK_EQ_U(d[1].requests, 24);
	}
	free(d);
	CHECK_EQ_U(tdb_device_by_base(t, 0x10000200, &id), 0);
	CHECK_EQ_U(id, 1);
	CHECK_EQ_U(tdb_device_by_base(t, 0x12345000, &id), TDB_E_NOT_FOUND);

	/* a chain, its descriptors and used entry, and the events that link
	 * to it */
	CHECK_EQ_U(tdb_chain_read(t, 1, &c), 0);
	CHECK(c.n_desc >= 1 && c.n_desc_read == c.n_desc);
	CHECK(c.used_known);
	CHECK_EQ_U(tdb_event_links(t, c.seq_avail, &l), 0);
	CHECK_EQ_U(l.chain, 1);
	CHECK(l.request >= 0);
	CHECK_EQ_U(tdb_event_links(t, c.used_seq, &l), 0);
	CHECK_EQ_U(l.chain, 1);
	tdb_chain_clear(&c);
	CHECK_EQ_U(tdb_chain_read(t, 999999, &c), TDB_E_NOT_FOUND);
	/* device 0's 18 block requests; the request of chain 1 */
	unsigned nreq = 0;
	CHECK_EQ_U(tdb_requests_each(t, 0, 0, 0, count_request, &nreq), 0);
	CHECK_EQ_U(nreq, 18);
	nreq = 0;
	CHECK_EQ_U(tdb_requests_of_kinds(t, -1, 1u << TDB_REQ_BLK, 0, 0, count_request, &nreq), 0);
	CHECK_EQ_U(nreq, 18);
	nreq = 0;
	CHECK_EQ_U(tdb_requests_of_kinds(t, 0, 1u << TDB_REQ_RNG, 0, 0, count_request, &nreq), 0);
	CHECK_EQ_U(nreq, 0);
	int64_t chain = -1;
	CHECK_EQ_U(tdb_request_read(t, l.request, request_chain, &chain), 0);
	CHECK_EQ_U(chain, 1);
	CHECK_EQ_U(tdb_request_read(t, 999999, request_chain, &chain), TDB_E_NOT_FOUND);
	tdb_close(t);

	const char *path = copy_with("viol2.db", "INSERT INTO violations VALUES (100, 1, 'r2', '2.1', 'warning', 'device', 'm'), "
				     "(100, 0, 'r4', '2.1', 'error', 'driver', 'm2');");
	unsigned k = 0;
	uint64_t nv, na;
	t = open_ok(path);
	CHECK_EQ_U(tdb_violations_at(t, 100, count_violation, &k), 0);
	CHECK_EQ_U(k, 2);
	CHECK_EQ_U(tdb_violations_count(t, &nv, &na), 0);
	CHECK_EQ_U(nv, 2);
	tdb_close(t);
}

/* Every file tdb_open refuses gets its documented code and a message
 * naming the file. */
static void test_open_errors(void)
{
	struct tdb *t = NULL;
	char err[512];
	const char *path;
	unsigned char hdr[100], junk[64];
	unsigned page;
	FILE *f;
	int fd, r;

	CHECK_EQ_U(tdb_open(&t, "/nonexistent/x.db", err, sizeof(err)), TDB_E_UNREADABLE);
	CHECK(t == NULL && strstr(err, "/nonexistent/x.db"));

	path = harness_tmpfile("garbage.db");
	f = fopen(path, "w");
	for (int i = 0; i < 4096; i++)
		fputc((i * 131) & 0xff, f);
	fclose(f);
	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), TDB_E_NOT_TRACE);
	CHECK(strstr(err, path) != NULL);

	path = copy_with("notable.db", "DROP TABLE lost;");
	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), TDB_E_NOT_TRACE);
	CHECK(strstr(err, "no table 'lost'") != NULL);

	path = copy_with("view.db", "DROP TABLE anomalies; CREATE VIEW anomalies AS SELECT seq, device, NULL AS queue, "
			 "rule, message FROM violations;");
	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), TDB_E_NOT_TRACE);
	CHECK(strstr(err, "no table 'anomalies'") != NULL);
	path = copy_with("noanomalies.db", "DROP TABLE anomalies;");
	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), 0);
	if (t) {
		uint64_t nv = 1, na = 1;
		CHECK(!tdb_has_anomalies(t));
		CHECK_EQ_U(tdb_violations_count(t, &nv, &na), 0);
		CHECK(nv == 0 && na == 0);
		tdb_close(t);
		t = NULL;
	}

	path = copy_with("noevents.db", "DELETE FROM meta WHERE key = 'events';");
	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), TDB_E_INCOMPLETE);

	path = copy_with("version.db", "UPDATE meta SET value = '2' WHERE key = 'schema_version';");
	CHECK_EQ_U(tdb_open(&t, path, err, sizeof(err)), TDB_E_VERSION);
	CHECK(strstr(err, "version '2'") != NULL);

	/* damaged b-tree pages: the first bytes of pages 2 to 8 overwritten */
	path = copy_with("damaged.db", NULL);
	fd = open(path, O_RDWR);
	CHECK(pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr));
	page = (unsigned)hdr[16] << 8 | hdr[17];
	if (page == 1)
		page = 65536;
	memset(junk, 0xa5, sizeof(junk));
	for (unsigned k = 1; k < 8; k++)
		CHECK(pwrite(fd, junk, sizeof(junk), (off_t)k * page) == (ssize_t)sizeof(junk));
	close(fd);
	r = tdb_open(&t, path, err, sizeof(err));
	CHECK(r == TDB_E_DAMAGED_FILE || r == TDB_E_NOT_TRACE);
	CHECK(t == NULL && strstr(err, path) != NULL);
}

/* The root page of table name in the file at path, 0 if none. */
static unsigned root_page(const char *path, const char *name)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	unsigned root = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_schema WHERE name = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			root = (unsigned)sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return root;
}

/* Damage where tdb_open does not look (it reads the schema and meta, no
 * pass over the file): the events table's root page overwritten.  The file
 * opens; tdb_check finds the damage (TDB_E_DAMAGED_FILE, naming the
 * file); a read of the events fails with -EIO and a message saying the
 * file is damaged, never a crash or a made-up row. */
static void test_damage_past_open(void)
{
	const char *path = copy_with("deep.db", NULL);
	unsigned char hdr[100], junk[512];
	unsigned page, root = root_page(path, "events");
	struct tdb *t;
	struct tdb_filter f;
	struct tdb_cursor *c = NULL;
	struct tdb_event row;
	unsigned rows = 0;
	int fd, r;

	t = open_ok(path);
	CHECK_EQ_U(tdb_check(t), 0);
	tdb_close(t);

	CHECK(root > 1);
	fd = open(path, O_RDWR);
	CHECK(pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr));
	page = (unsigned)hdr[16] << 8 | hdr[17];
	if (page == 1)
		page = 65536;
	memset(junk, 0xa5, sizeof(junk));
	CHECK(pwrite(fd, junk, sizeof(junk), (off_t)(root - 1) * page) == (ssize_t)sizeof(junk));
	close(fd);

	t = open_ok(path);
	CHECK_EQ_U(tdb_check(t), TDB_E_DAMAGED_FILE);
	CHECK(strstr(tdb_errmsg(t), path) != NULL);
	CHECK(strstr(tdb_errmsg(t), "damaged") != NULL);
	tdb_filter_init(&f);
	r = tdb_cursor_open(t, &f, TDB_FORWARD, &c);
	while (r == 0 && (r = tdb_cursor_next(c, &row)) == 0)
		rows++;
	tdb_cursor_close(c);
	CHECK(r < 0);
	CHECK_EQ_U(rows, 0);
	CHECK(strstr(tdb_errmsg(t), "damaged") != NULL);
	tdb_close(t);
}

/* A damaged row: refused by a strict read, noted by a lenient one. */
static void test_damaged_rows(void)
{
	const char *path = copy_with("rows.db", "UPDATE devices SET version = 'x' WHERE device = 1; "
				     "UPDATE meta SET value = 'abc' WHERE key = 'lost'; "
				     "UPDATE queues SET size = -1 WHERE device = 0;");
	struct tdb *t = open_ok(path);
	struct tdb_device *d;
	struct tdb_queue *q;
	struct tdb_notes *notes = calloc(1, sizeof(*notes));
	struct tdb_meta m;
	size_t n;

	CHECK_EQ_U(tdb_devices_read(t, TDB_BY_ID, NULL, &d, &n), TDB_E_DAMAGED_ROW);
	CHECK(d == NULL);
	CHECK(strstr(tdb_errmsg(t), "devices row device 1: version 'x'") != NULL);
	CHECK(strstr(tdb_errmsg(t), path) != NULL);
	CHECK_EQ_U(tdb_devices_read(t, TDB_BY_ID, notes, &d, &n), 0);
	CHECK_EQ_U(n, 4);
	CHECK_EQ_U(notes->count, 1);
	CHECK(n == 4 && (d[1].bad & TDB_DEV_VERSION) && !(d[0].bad & TDB_DEV_VERSION));
	free(d);
	CHECK_EQ_U(tdb_meta_read(t, &m), TDB_E_DAMAGED_ROW);
	CHECK(strstr(tdb_errmsg(t), "meta row 'lost': 'abc'") != NULL);
	CHECK_EQ_U(tdb_queues_read(t, 0, TDB_QUEUES_LATEST, 0, NULL, &q, &n), TDB_E_DAMAGED_ROW);
	CHECK(strstr(tdb_errmsg(t), "size -1") != NULL);
	CHECK_EQ_U(tdb_queues_read(t, 0, TDB_QUEUES_LATEST, 0, notes, &q, &n), 0);
	CHECK(n == 1 && (q[0].bad & TDB_Q_SIZE));
	free(q);
	free(notes);
	tdb_close(t);
}

static void test_vocab(void)
{
	char buf[128];

	CHECK_STR(tdb_vocab_name(&tdb_vocab_event_type, VMT_EV_MEM), "mem");
	CHECK_EQ_U(tdb_vocab_parse(&tdb_vocab_event_type, "violation", 9), VMT_EV_VIOLATION);
	CHECK(tdb_vocab_parse(&tdb_vocab_event_type, "mmi", 3) == -1);
	CHECK(tdb_vocab_parse(&tdb_vocab_dir, NULL, 0) == -1);
	CHECK_STR(tdb_vocab_name(&tdb_vocab_event_type, 0), "?");
	CHECK_STR(tdb_vocab_list(&tdb_vocab_event_type, buf, sizeof(buf)),
		  "mmio, mem, irq, marker, lost, device, violation or queue");
	CHECK_STR(tdb_vocab_name(&tdb_vocab_status_kind, TDB_STATUS_NEEDS_RESET), "needs-reset");
	CHECK_STR(tdb_vocab_name(&tdb_vocab_mem_kind, TDB_MEM_SNAPSHOT), "snapshot");
}

int main(int argc, char **argv)
{
	static const char *const scratch[] = { "viol.db", "dup.db", "width.db", "viol2.db", "garbage.db", "notable.db",
					       "noevents.db", "version.db", "damaged.db", "rows.db", "view.db",
					       "noanomalies.db", "deep.db" };

	if (argc < 2) {
		fprintf(stderr, "usage: test_tdb samples/emu-modern.db\n");
		return 2;
	}
	sample = argv[1];
	RUN(test_vocab);
	RUN(test_cursor_filters);
	RUN(test_cursor_queue);
	RUN(test_cursor_seek);
	RUN(test_cursor_duplicate);
	RUN(test_cursor_damaged_row);
	RUN(test_state);
	RUN(test_meta_devices_links);
	RUN(test_open_errors);
	RUN(test_damage_past_open);
	RUN(test_damaged_rows);
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		unlink(harness_tmpfile(scratch[i]));
	return harness_finish("test_tdb");
}
