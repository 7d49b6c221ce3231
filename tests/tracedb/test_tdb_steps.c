/* tracedb's reading of the device's own reports (device_steps): the
 * cursor returns 'queue' events with their report rebuilt (token, args)
 * from the table, the matched chain and verdict, under the type and
 * queue filters; tdb_steps_summary counts them; a file without the table
 * (an older decode) reads as one without reports; a device_steps that is
 * not a table is refused; rows that contradict the events are damaged.
 *
 * Usage: test_tdb_steps SAMPLES/emu-modern.db */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/event.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_steps.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define BUF(n) (FX_RAM_BASE + 0x10000 + 0x2000 * (uint64_t)(n))
#define TOKEN UINT64_C(0x7f3cc00e9800)

static const char *sample;
static char path[512];

/* A blk device with one write whose copy agrees and one whose copy is
 * torn (other buffer counts), each reported by the device. */
static void make_trace(void)
{
	struct fx fx;
	uint8_t hdr[16] = { 0 }, data[512] = { 0 }, st = 0;

	fx_open(&fx, "steps.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	for (unsigned i = 0; i < 2; i++) {
		uint16_t h = (uint16_t)(3 * i);
		le32_put(hdr, VIRTIO_BLK_T_OUT);
		le64_put(hdr + 8, 8 * i);
		fx_drv(&fx, BUF(h), hdr, sizeof(hdr));
		fx_drv(&fx, BUF(h + 1), data, sizeof(data));
		fx_desc(&fx, FX_DESC(0), h, BUF(h), 16, VIRTQ_DESC_F_NEXT, (uint16_t)(h + 1));
		fx_desc(&fx, FX_DESC(0), h + 1u, BUF(h + 1), 512, VIRTQ_DESC_F_NEXT, (uint16_t)(h + 2));
		fx_desc(&fx, FX_DESC(0), h + 2u, BUF(h + 2), 1, VIRTQ_DESC_F_WRITE, 0);
		fx_publish(&fx, 0, h);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
		fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN + i, 1, i ? 3 : 2);
		fx_report(&fx, 0, VMT_QSTEP_BLK_WRITE, TOKEN + i, 8 * i, 1);
		fx_dev(&fx, BUF(h + 2), &st, 1);
		fx_report(&fx, 0, VMT_QSTEP_FILL, TOKEN + i, 1, i + 1);
		fx_used(&fx, 0, h, 1);
		fx_report(&fx, 0, VMT_QSTEP_FLUSH, 0, 1, 0);
		fx_irq(&fx, 1);
	}
	fx_finish(&fx);
	snprintf(path, sizeof(path), "%s", fx.path);
	sqlite3_close(fx.db); /* the file stays for the readers */
}

static void test_cursor(void)
{
	struct tdb *t;
	struct tdb_cursor *c;
	struct tdb_filter f;
	struct tdb_event row;
	struct vmt_queue_report rep;
	char err[512];
	int n = 0, r;

	CHECK(tdb_open(&t, path, err, sizeof(err)) == 0);
	CHECK(tdb_has_device_steps(t));
	tdb_filter_init(&f);
	f.types = 1u << VMT_EV_QUEUE;
	f.page = 3;
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	while ((r = tdb_cursor_next(c, &row)) == 0) {
		CHECK_EQ_U(row.ev.type, VMT_EV_QUEUE);
		CHECK(row.has_step);
		CHECK_EQ_U(row.device, 0);
		CHECK_EQ_U(row.ev.base, FX_BASE);
		CHECK_EQ_U(row.ev.addr, 0);
		CHECK_EQ_U(row.ev.len, VMT_QUEUE_REPORT_BYTES);
		CHECK(vmt_queue_report_decode(&rep, row.ev.data, row.ev.len) == 0);
		unsigned i = (unsigned)(n / 4);
		switch (n % 4) {
		case 0:
			CHECK_EQ_U(row.ev.value, VMT_QSTEP_POP);
			CHECK_EQ_U(rep.token, TOKEN + i);
			CHECK_EQ_U(rep.arg0, 1);
			CHECK_EQ_U(rep.arg1, i ? 3 : 2);
			CHECK_EQ_U(row.step_chain, i + 1);
			CHECK_EQ_U(row.step_verdict, i ? TDB_VERDICT_TORN : TDB_VERDICT_AGREES);
			break;
		case 1:
			CHECK_EQ_U(row.ev.value, VMT_QSTEP_BLK_WRITE);
			CHECK_EQ_U(rep.arg0, 8 * i);
			CHECK_EQ_U(rep.arg1, 1);
			CHECK_EQ_U(row.step_verdict, i ? TDB_VERDICT_TORN : TDB_VERDICT_AGREES);
			break;
		case 2:
			CHECK_EQ_U(row.ev.value, VMT_QSTEP_FILL);
			CHECK_EQ_U(rep.arg0, 1);
			CHECK_EQ_U(rep.arg1, i + 1);
			CHECK(row.step_verdict == -1);
			break;
		case 3:
			CHECK_EQ_U(row.ev.value, VMT_QSTEP_FLUSH);
			CHECK_EQ_U(rep.token, 0);
			CHECK_EQ_U(rep.arg0, 1);
			CHECK(row.step_chain == -1);
			break;
		}
		n++;
	}
	CHECK_EQ_U(r, TDB_END);
	CHECK_EQ_U(n, 8);
	tdb_cursor_close(c);

	/* The queue filter takes the queue's reports with its registers. */
	tdb_filter_init(&f);
	f.device = 0;
	f.queue = 0;
	f.types = 1u << VMT_EV_QUEUE;
	CHECK(tdb_cursor_open(t, &f, TDB_BACKWARD, &c) == 0);
	for (n = 0; (r = tdb_cursor_next(c, &row)) == 0; n++)
		;
	CHECK_EQ_U(n, 8);
	tdb_cursor_close(c);
	f.queue = 1;
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	CHECK_EQ_U(tdb_cursor_next(c, &row), TDB_END);
	tdb_cursor_close(c);

	struct tdb_steps_summary s;
	CHECK(tdb_steps_summary(t, &s) == 0);
	CHECK_EQ_U(s.reports, 8);
	CHECK_EQ_U(s.pops, 2);
	CHECK_EQ_U(s.checked, 2);
	CHECK_EQ_U(s.torn, 1);
	CHECK_EQ_U(s.no_copy, 0);
	CHECK_EQ_U(s.unchecked, 0);
	CHECK_EQ_U(s.from_reports, 1);
	CHECK_EQ_U(s.unreported, 0);
	CHECK_EQ_U(s.unreported_devices, 0);
	tdb_close(t);
}

/* An older file: no device_steps table, no reports. */
static void test_older_file(void)
{
	struct tdb *t;
	struct tdb_steps_summary s;
	char err[512];

	CHECK(tdb_open(&t, sample, err, sizeof(err)) == 0);
	CHECK(!tdb_has_device_steps(t));
	CHECK(tdb_steps_summary(t, &s) == 0);
	CHECK_EQ_U(s.reports, 0);
	CHECK_EQ_U(s.checked, 0);
	tdb_close(t);
}

/* A copy of the trace with sql run on it. */
static const char *altered(const char *name, const char *sql)
{
	static char out[512];
	char cmd[1200];
	sqlite3 *db;

	snprintf(out, sizeof(out), "%s", harness_tmpfile(name));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, out);
	if (system(cmd) != 0 || sqlite3_open(out, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "altering %s: %s\n", out, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_close(db);
	return out;
}

/* The first queue event's read result (and row) from file p. */
static int first_queue(const char *p, struct tdb_event *row)
{
	struct tdb *t;
	struct tdb_cursor *c;
	struct tdb_filter f;
	char err[512];
	int r;

	if ((r = tdb_open(&t, p, err, sizeof(err))) != 0)
		return r;
	tdb_filter_init(&f);
	f.types = 1u << VMT_EV_QUEUE;
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	r = tdb_cursor_next(c, row);
	tdb_cursor_close(c);
	tdb_close(t);
	return r;
}

static void test_damaged(void)
{
	struct tdb *t;
	struct tdb_event row;
	char err[512];

	CHECK_EQ_U(tdb_open(&t, altered("steps-view.db", "DROP TABLE device_steps; CREATE VIEW device_steps AS SELECT 1"), err,
			    sizeof(err)),
		   TDB_E_NOT_TRACE);
	CHECK(strstr(err, "no table 'device_steps'") != NULL);
	/* The table gone: queue events without their report. */
	CHECK_EQ_U(first_queue(altered("steps-gone.db", "DROP TABLE device_steps"), &row), 0);
	CHECK(!row.has_step);
	CHECK_EQ_U(row.ev.len, 0);
	CHECK(row.ev.data == NULL);
	CHECK_EQ_U(row.ev.value, VMT_QSTEP_POP);
	/* A step other than events.value says, words no step has, a pop
	 * without its counts, a row joined to an mmio event. */
	CHECK_EQ_U(first_queue(altered("steps-fill.db", "UPDATE device_steps SET step = 'fill' WHERE step = 'pop'"), &row),
		   TDB_E_DAMAGED_ROW);
	CHECK(strstr(row.why, "step 'fill', events.value says 1") != NULL);
	CHECK_EQ_U(first_queue(altered("steps-word.db", "UPDATE device_steps SET step = 'push'"), &row), TDB_E_DAMAGED_ROW);
	CHECK_STR(row.table, "device_steps");
	CHECK_EQ_U(first_queue(altered("steps-null.db", "UPDATE device_steps SET in_num = NULL"), &row), TDB_E_DAMAGED_ROW);
	CHECK(strstr(row.why, "in_num NULL") != NULL);
	CHECK_EQ_U(first_queue(altered("steps-verdict.db", "UPDATE device_steps SET verdict = 'maybe' WHERE verdict IS NOT NULL"),
			       &row),
		   TDB_E_DAMAGED_ROW);
	CHECK_EQ_U(first_queue(altered("steps-chain.db", "UPDATE device_steps SET chain = 'x' WHERE chain IS NOT NULL"), &row),
		   TDB_E_DAMAGED_ROW);
	const char *p = altered("steps-mmio.db", "UPDATE device_steps SET seq = 0 WHERE seq = (SELECT min(seq) FROM device_steps)");
	struct tdb_cursor *c;
	struct tdb_filter f;
	CHECK(tdb_open(&t, p, err, sizeof(err)) == 0);
	tdb_filter_init(&f);
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	CHECK_EQ_U(tdb_cursor_next(c, &row), TDB_E_DAMAGED_ROW);
	CHECK(strstr(row.why, "not queue") != NULL);
	tdb_cursor_close(c);
	tdb_close(t);
}

static int collect_unreported(void *arg, int device, uint64_t chains)
{
	uint64_t *got = arg;

	got[0]++;
	got[1] = (uint64_t)device;
	got[2] = chains;
	return 0;
}

/* The reports name another device (a vhost back end's device reports
 * nothing, while QEMU reports on the rest): device 0's two chains are
 * counted as never checked; with no report left at all, nothing is. */
static void test_unreported(void)
{
	struct tdb *t;
	struct tdb_steps_summary s;
	uint64_t got[3] = { 0 };
	char err[512];

	CHECK(tdb_open(&t, altered("steps-other.db", "UPDATE device_steps SET device = 7"), err, sizeof(err)) == 0);
	CHECK(tdb_steps_summary(t, &s) == 0);
	CHECK_EQ_U(s.unreported, 2);
	CHECK_EQ_U(s.unreported_devices, 1);
	CHECK(tdb_steps_unreported(t, collect_unreported, got) == 0);
	CHECK_EQ_U(got[0], 1);
	CHECK_EQ_U(got[1], 0);
	CHECK_EQ_U(got[2], 2);
	tdb_close(t);

	CHECK(tdb_open(&t, altered("steps-none.db", "DELETE FROM device_steps"), err, sizeof(err)) == 0);
	CHECK(tdb_steps_summary(t, &s) == 0);
	CHECK_EQ_U(s.reports, 0);
	CHECK_EQ_U(s.unreported, 0);
	tdb_close(t);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_tdb_steps SAMPLES/emu-modern.db\n");
		return 2;
	}
	sample = argv[1];
	make_trace();
	RUN(test_cursor);
	RUN(test_older_file);
	RUN(test_unreported);
	RUN(test_damaged);
	unlink(path);
	return harness_finish("test_tdb_steps");
}
