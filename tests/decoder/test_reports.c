/* The device's own reports (VMT_EV_QUEUE) against the ring copies
 * (decoder/reports.c), from hand-built traces: a pop that matches its
 * chain, one with other buffer counts (torn: anomaly, chain 'torn', no
 * request from it), a pop with no chain copied, a blk report that
 * disagrees with the copy, a blk report with no copy (request from the
 * report), the pop before or after its copy, the used length against the
 * fill, and hostile reports (unknown queue and device, a token reused,
 * huge counts, pops past the ring size, bad payloads): no crash, bounded
 * rows; and random reports among random rings and resets (12 rounds of
 * 400 steps), clean under ASan/UBSan. */
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define TOKEN(n) (UINT64_C(0x7f3cc00e9800) + 0x100 * (uint64_t)(n))

static char q[512];

/* A blk request of type at descriptors head.. head + 2 (header, 512
 * data bytes, status), sector sector, published on queue 0 (not kicked). */
static uint64_t blk_chain(struct fx *fx, uint16_t head, uint32_t type, uint64_t sector)
{
	return fx_blk_chain(fx, head, type, sector, 0x5a);
}

static int64_t anomalies(struct fx *fx)
{
	return fx_int(fx, "SELECT count(*) FROM anomalies WHERE rule = 'ring-copy-torn'");
}

/* Copy and report agree: no anomaly, the pop names its chain, the
 * request is the copy's. */
static void test_match(void)
{
	struct fx fx;

	fx_open(&fx, "rep-match.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	blk_chain(&fx, 0, VIRTIO_BLK_T_OUT, 5);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	uint64_t s_pop = fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 1, 2);
	uint64_t s_blk = fx_report(&fx, 0, VMT_QSTEP_BLK_WRITE, TOKEN(1), 5, 1);
	uint64_t s_fill = fx_blk_complete(&fx, 0, TOKEN(1), 1);
	/* The pop before its copy: the same verdict. */
	uint64_t s_pop2 = fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(2), 2, 1);
	blk_chain(&fx, 3, VIRTIO_BLK_T_IN, 8);
	fx_report(&fx, 0, VMT_QSTEP_BLK_READ, TOKEN(2), 8, 1);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_blk_complete(&fx, 3, TOKEN(2), 513);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps"), 8);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM events WHERE type = 'queue'"), 8);
	snprintf(q, sizeof(q), "SELECT value FROM events WHERE seq = %llu", (unsigned long long)s_pop);
	CHECK_EQ_U(fx_int(&fx, q), VMT_QSTEP_POP);
	snprintf(q, sizeof(q), "SELECT addr = 0 AND device = 0 FROM events WHERE seq = %llu", (unsigned long long)s_blk);
	CHECK_EQ_U(fx_int(&fx, q), 1);
	snprintf(q, sizeof(q), "SELECT step || ' ' || in_num || ' ' || out_num || ' ' || chain || ' ' || verdict FROM device_steps WHERE seq = %llu",
		 (unsigned long long)s_pop);
	CHECK_STR(fx_text(&fx, q), "pop 1 2 1 agrees");
	snprintf(q, sizeof(q), "SELECT step || ' ' || sector || ' ' || sectors || ' ' || chain || ' ' || verdict FROM device_steps WHERE seq = %llu",
		 (unsigned long long)s_blk);
	CHECK_STR(fx_text(&fx, q), "blk-write 5 1 1 agrees");
	snprintf(q, sizeof(q), "SELECT step || ' ' || len || ' ' || used_pos || ' ' || chain || ' ' || (verdict IS NULL) FROM device_steps WHERE seq = %llu",
		 (unsigned long long)s_fill);
	CHECK_STR(fx_text(&fx, q), "fill 1 1 1 1");
	CHECK_STR(fx_text(&fx, "SELECT step || ' ' || count || ' ' || (token IS NULL) FROM device_steps WHERE step = 'flush' LIMIT 1"), "flush 1 1");
	snprintf(q, sizeof(q), "SELECT chain || ' ' || verdict FROM device_steps WHERE seq = %llu", (unsigned long long)s_pop2);
	CHECK_STR(fx_text(&fx, q), "2 agrees");
	CHECK_EQ_U(fx_int(&fx, "SELECT token FROM device_steps WHERE step = 'blk-read'"), TOKEN(2));
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "exact,exact");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(op || ' ' || sector || ' ' || length || ' ' || chain || ' ' || status, ', ') FROM requests"),
		  "out 5 512 1 0, in 8 512 2 0");
	fx_close(&fx);
}

/* The copy shows other buffer counts than the device took: torn. */
static void test_counts_torn(void)
{
	struct fx fx;

	fx_open(&fx, "rep-torn.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	blk_chain(&fx, 0, VIRTIO_BLK_T_OUT, 5);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	/* The device mapped two readable and two writable buffers. */
	uint64_t s_pop = fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 2, 2);
	fx_blk_complete(&fx, 0, TOKEN(1), 1);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT queue FROM anomalies"), 0);
	snprintf(q, sizeof(q), "SELECT seq = %llu FROM anomalies", (unsigned long long)s_pop);
	CHECK_EQ_U(fx_int(&fx, q), 1);
	CHECK(strstr(fx_text(&fx, "SELECT message FROM anomalies"), "has 2 readable and 1 writable buffers; the device took 2 and 2") != NULL);
	CHECK_STR(fx_text(&fx, "SELECT memory FROM chains"), "torn");
	CHECK_STR(fx_text(&fx, "SELECT verdict FROM device_steps WHERE step = 'pop'"), "torn");
	CHECK_EQ_U(fx_int(&fx, "SELECT chain FROM device_steps WHERE step = 'pop'"), 1);
	/* No request from a torn copy; its used entry is still linked. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT chain FROM used"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* The buffer counts agree, but the device wrote more bytes than the
 * copy's writable buffers hold (a blk write's copy has one status byte;
 * the device filled 513): not the chain the device used, torn, its
 * request dropped.  Exactly the writable bytes is fine (test_match). */
static void test_fill_beyond_writable(void)
{
	struct fx fx;

	fx_open(&fx, "rep-fill-long.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	blk_chain(&fx, 0, VIRTIO_BLK_T_OUT, 5);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 1, 2);
	uint64_t s_fill = fx_blk_complete(&fx, 0, TOKEN(1), 513);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM anomalies WHERE seq = %llu AND message LIKE "
		 "'the device wrote 513 bytes into the chain at avail position 0 (head 0), whose copy has 1 writable bytes%%'",
		 (unsigned long long)s_fill);
	CHECK_EQ_U(fx_int(&fx, q), 1);
	CHECK_STR(fx_text(&fx, "SELECT memory FROM chains"), "torn");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* No copy of the chain at all (the avail store is not in the trace): the
 * blk report makes the request. */
static void test_no_copy(void)
{
	struct fx fx;

	fx_open(&fx, "rep-nocopy.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	uint64_t s_pop = fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 2, 1);
	uint64_t s_blk = fx_report(&fx, 0, VMT_QSTEP_BLK_READ, TOKEN(1), 64, 8);
	uint64_t s_fill = fx_report(&fx, 0, VMT_QSTEP_FILL, TOKEN(1), 4097, 1);
	uint64_t s_irq = fx_irq(&fx, 1);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 1);
	CHECK(strstr(fx_text(&fx, "SELECT message FROM anomalies"), "no copy of it was decoded") != NULL);
	snprintf(q, sizeof(q), "SELECT (chain IS NULL) || ' ' || verdict FROM device_steps WHERE seq = %llu", (unsigned long long)s_pop);
	CHECK_STR(fx_text(&fx, q), "1 no-copy");
	snprintf(q, sizeof(q), "SELECT verdict FROM device_steps WHERE seq = %llu", (unsigned long long)s_blk);
	CHECK_STR(fx_text(&fx, q), "no-copy");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 1);
	CHECK_STR(fx_text(&fx, "SELECT kind || ' ' || op || ' ' || sector || ' ' || length || ' ' || (chain IS NULL) || ' ' || "
			       "(status IS NULL) || ' ' || (digest IS NULL) || ' ' || (data IS NULL) FROM requests"),
		  "blk in 64 4096 1 1 1 1");
	snprintf(q, sizeof(q), "SELECT seq_notify = %llu AND seq_used = %llu AND seq_irq = %llu FROM requests",
		 (unsigned long long)s_pop, (unsigned long long)s_fill, (unsigned long long)s_irq);
	CHECK_EQ_U(fx_int(&fx, q), 1);
	fx_close(&fx);
}

/* Buffer counts agree but the blk header does not: the request takes the
 * report's op, sector and length. */
static void test_blk_disagrees(void)
{
	struct fx fx;

	fx_open(&fx, "rep-blk.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	blk_chain(&fx, 0, VIRTIO_BLK_T_OUT, 5);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 1, 2);
	uint64_t s_blk = fx_report(&fx, 0, VMT_QSTEP_BLK_WRITE, TOKEN(1), 9, 1);
	fx_blk_complete(&fx, 0, TOKEN(1), 1);
	/* Another whose length disagrees (the copy says 512 bytes, the
	 * device wrote 2 sectors). */
	blk_chain(&fx, 3, VIRTIO_BLK_T_OUT, 16);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(2), 1, 2);
	fx_report(&fx, 0, VMT_QSTEP_BLK_WRITE, TOKEN(2), 16, 2);
	fx_blk_complete(&fx, 3, TOKEN(2), 1);
	/* And one whose op disagrees. */
	blk_chain(&fx, 5, VIRTIO_BLK_T_OUT, 20);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(3), 1, 2);
	fx_report(&fx, 0, VMT_QSTEP_BLK_READ, TOKEN(3), 20, 1);
	fx_blk_complete(&fx, 5, TOKEN(3), 1);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 3);
	snprintf(q, sizeof(q), "SELECT count(*) FROM anomalies WHERE seq = %llu", (unsigned long long)s_blk);
	CHECK_EQ_U(fx_int(&fx, q), 1);
	CHECK(strstr(fx_text(&fx, "SELECT message FROM anomalies ORDER BY seq LIMIT 1"),
		     "is out sector 5, 512 bytes in the copy; the device did out sector 9 count 1") != NULL);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "torn,torn,torn");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(verdict) FROM device_steps WHERE step = 'pop'"), "agrees,agrees,agrees");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(verdict) FROM device_steps WHERE step LIKE 'blk-%'"), "torn,torn,torn");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(op || ' ' || sector || ' ' || length || ' ' || (chain IS NULL) || ' ' || "
			       "(digest IS NULL) || ' ' || (seq_used IS NOT NULL) || ' ' || (seq_irq IS NOT NULL), ', ') FROM requests"),
		  "out 9 512 1 1 1 1, out 16 1024 1 1 1 1, in 20 512 1 1 1 1");
	fx_close(&fx);
}

/* A chain the copy has only in part (its indirect table was not in the
 * trace): no check possible, an anomaly; the report replaces its blk
 * request. */
static void test_partial(void)
{
	struct fx fx;
	uint8_t hdr[16] = { 0 };

	fx_open(&fx, "rep-partial.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), 1);
	le32_put(hdr, VIRTIO_BLK_T_IN);
	fx_drv(&fx, FX_BUF(0), hdr, sizeof(hdr));
	/* An indirect descriptor whose table the trace never saw. */
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(7), 48, VIRTQ_DESC_F_INDIRECT, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 2, 1);
	fx_report(&fx, 0, VMT_QSTEP_BLK_READ, TOKEN(1), 3, 1);
	fx_blk_complete(&fx, 0, TOKEN(1), 513);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 1);
	CHECK(strstr(fx_text(&fx, "SELECT message FROM anomalies"), "is incomplete") != NULL);
	CHECK_STR(fx_text(&fx, "SELECT verdict FROM device_steps WHERE step = 'pop'"), "no-copy");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 1);
	CHECK_STR(fx_text(&fx, "SELECT op || ' ' || sector || ' ' || length || ' ' || (chain IS NULL) FROM requests"), "in 3 512 1");
	fx_close(&fx);
}

/* An rng request whose copy is torn gets no request at all (there is no
 * report to make one from). */
static void test_torn_no_blk(void)
{
	struct fx fx;

	fx_open(&fx, "rep-rng.db");
	fx_init_device(&fx, VIRTIO_ID_ENTROPY, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	fx_desc(&fx, FX_DESC(0), 0, FX_BUF(0), 64, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 1, 1);
	fx_report(&fx, 0, VMT_QSTEP_FILL, TOKEN(1), 64, 1);
	fx_used(&fx, 0, 0, 64);
	fx_irq(&fx, 1);
	/* The next agrees, but its used entry's length is not what the
	 * device reported writing. */
	fx_desc(&fx, FX_DESC(0), 1, FX_BUF(1), 64, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 0, 1);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 1, 0);
	fx_report(&fx, 0, VMT_QSTEP_FILL, TOKEN(1), 32, 2);
	fx_used(&fx, 0, 1, 64);
	fx_irq(&fx, 1);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 2);
	CHECK(strstr(fx_text(&fx, "SELECT message FROM anomalies ORDER BY seq DESC"), "has length 64; the device wrote 32") != NULL);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "torn,exact");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT chain FROM requests"), 2);
	/* The token was reused by the second element: its fill found it. */
	CHECK_STR(fx_text(&fx, "SELECT group_concat(chain) FROM device_steps WHERE step = 'fill'"), "1,2");
	fx_close(&fx);
}

/* Reports no device could have sent: stored, never trusted, no crash. */
static void test_hostile(void)
{
	struct fx fx;
	uint8_t junk[40] = { 1, 2, 3 };

	fx_open(&fx, "rep-hostile.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	/* Unknown queue, unknown device, bad step values, bad payloads. */
	fx_report(&fx, 99, VMT_QSTEP_POP, TOKEN(1), 1, 1);
	fx_report(&fx, UINT64_MAX, VMT_QSTEP_BLK_READ, TOKEN(1), 1, 1);
	fx_report_raw(&fx, 0x20000000, 0, VMT_QSTEP_FLUSH, junk, VMT_QUEUE_REPORT_BYTES);
	fx_report_raw(&fx, FX_BASE, 0, 0, junk, VMT_QUEUE_REPORT_BYTES);
	fx_report_raw(&fx, FX_BASE, 0, 77, junk, VMT_QUEUE_REPORT_BYTES);
	fx_report_raw(&fx, FX_BASE, 0, UINT64_MAX, junk, VMT_QUEUE_REPORT_BYTES);
	fx_report_raw(&fx, FX_BASE, 0, VMT_QSTEP_POP, junk, VMT_QUEUE_REPORT_BYTES - 1);
	fx_report_raw(&fx, FX_BASE, 0, VMT_QSTEP_POP, junk, sizeof(junk));
	fx_report_raw(&fx, FX_BASE, 0, VMT_QSTEP_POP, NULL, 0);
	/* blk and fill for tokens never popped. */
	fx_report(&fx, 0, VMT_QSTEP_BLK_WRITE, TOKEN(5), 1, 1);
	fx_report(&fx, 0, VMT_QSTEP_FILL, TOKEN(5), 1, 1);
	/* A real chain, then huge counts and sectors for it. */
	blk_chain(&fx, 0, VIRTIO_BLK_T_OUT, 5);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), UINT64_MAX, UINT64_MAX);
	fx_report(&fx, 0, VMT_QSTEP_BLK_WRITE, TOKEN(1), UINT64_MAX, UINT64_MAX);
	fx_report(&fx, 0, VMT_QSTEP_BLK_WRITE, TOKEN(1), 7, 7); /* a second blk report */
	fx_report(&fx, 0, VMT_QSTEP_FILL, TOKEN(1), UINT64_MAX, UINT64_MAX);
	fx_report(&fx, 0, VMT_QSTEP_FILL, TOKEN(1), 1, 1); /* a second fill */
	/* Pops past the ring size (8 entries): 40 with nothing to match. */
	for (unsigned i = 0; i < 40; i++)
		fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(100 + i % 3), i, i);
	/* A queue reset with pops open, then more pops on no live ring. */
	fx_mmio(&fx, true, MMIO_STATUS, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(9), 1, 1);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM events WHERE type = 'queue'"), 57);
	/* Rows for every report that decoded: not the 6 with a bad step or
	 * payload. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps"), 51);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps WHERE device IS NULL"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps WHERE queue = -1"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT in_num FROM device_steps WHERE chain = 1 AND step = 'pop'"), -1);
	CHECK_STR(fx_text(&fx, "SELECT verdict FROM device_steps WHERE chain = 1 AND step = 'pop'"), "torn");
	/* The huge blk report made a request with no length (sectors * 512
	 * does not fit); every pop past the ring had no copy. */
	CHECK_STR(fx_text(&fx, "SELECT op || ' ' || sector || ' ' || (length IS NULL) FROM requests"), "out -1 1");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps WHERE step = 'pop' AND verdict = 'no-copy'"), 40);
	CHECK_EQ_U(anomalies(&fx), 41);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps WHERE verdict IS NULL AND step = 'pop'"), 2);
	fx_close(&fx);
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	return fx_rnd(&rnd_state);
}

/* Random reports among random chains, used entries, interrupts and
 * resets on two blk queues: no crash (ASan/UBSan), a device_steps row for
 * every report that decodes, a verdict only on pops and blk steps, no
 * request without a sector when it came from a report. */
static void test_random(void)
{
	static const uint64_t big[] = { 0, 1, 2, 3, 7, 8, 9, 255, 65535, UINT32_MAX, UINT64_MAX };
	uint64_t reports = 0, verdicts = 0, agrees = 0, from_reports = 0;

	for (unsigned round = 0; round < 12; round++) {
		struct fx fx;
		fx_open(&fx, "rep-random.db");
		fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), 2);
		for (unsigned step = 0; step < 400; step++) {
			unsigned what = (unsigned)(rnd() % 16), qi = (unsigned)(rnd() % 3);
			uint64_t token = TOKEN(rnd() % 5);
			uint64_t a0 = rnd() % 4 ? rnd() % 5 : big[rnd() % 11], a1 = rnd() % 4 ? rnd() % 9 : big[rnd() % 11];
			if (what < 3) {
				uint16_t h = (uint16_t)(rnd() % 6);
				blk_chain(&fx, h, rnd() % 2 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, rnd() % 32);
			} else if (what < 4) {
				fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, qi);
			} else if (what < 10) {
				uint32_t st = (uint32_t)(1 + rnd() % VMT_QSTEP_MAX);
				if (st == VMT_QSTEP_POP && rnd() % 2) {
					/* the counts of a blk chain (write or read) */
					a0 = 1 + rnd() % 2;
					a1 = 3 - a0;
				}
				fx_report(&fx, qi, st, token, a0, a1);
				reports++;
			} else if (what < 12) {
				fx_used(&fx, 0, (uint32_t)(rnd() % 10), (uint32_t)a0);
			} else if (what < 14) {
				fx_irq(&fx, 1);
			} else if (what == 14 && rnd() % 8 == 0) {
				/* a device reset: the rings end, then set up again */
				fx_mmio(&fx, true, MMIO_STATUS, 0);
				fx.avail_idx[0] = fx.avail_idx[1] = fx.used_idx[0] = fx.used_idx[1] = 0;
				fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 2);
			} else {
				uint8_t junk[VMT_QUEUE_REPORT_BYTES];
				for (unsigned i = 0; i < sizeof(junk); i++)
					junk[i] = (uint8_t)rnd();
				fx_report_raw(&fx, FX_BASE, qi, rnd() % 7, junk, (uint32_t)(rnd() % 2 ? sizeof(junk) : rnd() % 30));
			}
		}
		fx_finish(&fx);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps WHERE verdict IS NOT NULL AND step IN ('fill', 'flush')"), 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps s LEFT JOIN events e USING (seq) WHERE e.type IS NOT 'queue'"), 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE chain IS NULL AND sector IS NULL"), 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains WHERE memory NOT IN ('exact', 'best-effort', 'partial', 'missing', 'torn')"), 0);
		verdicts += (uint64_t)fx_int(&fx, "SELECT count(*) FROM device_steps WHERE verdict IS NOT NULL");
		agrees += (uint64_t)fx_int(&fx, "SELECT count(*) FROM device_steps WHERE verdict = 'agrees'");
		from_reports += (uint64_t)fx_int(&fx, "SELECT count(*) FROM requests WHERE chain IS NULL");
		fx_close(&fx);
	}
	/* The walk reaches every path: judged pops, agreements, requests
	 * made from reports. */
	printf("random reports: %llu reports, %llu verdicts, %llu agree, %llu requests from reports\n",
	       (unsigned long long)reports, (unsigned long long)verdicts, (unsigned long long)agrees,
	       (unsigned long long)from_reports);
	CHECK(reports > 1000 && verdicts > 100 && agrees > 0 && from_reports > 10);
}

int main(void)
{
	RUN(test_match);
	RUN(test_counts_torn);
	RUN(test_fill_beyond_writable);
	RUN(test_no_copy);
	RUN(test_blk_disagrees);
	RUN(test_partial);
	RUN(test_torn_no_blk);
	RUN(test_hostile);
	RUN(test_random);
	return harness_finish("test_reports");
}
