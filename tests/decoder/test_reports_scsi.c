/* QEMU's scsi reports (VMT_QSTEP_SCSI_CMD: the CDB's operation code and
 * the LUN of the command an element carried, from virtio_scsi_cmd_req)
 * against the command decoded from the ring copy (decoder/reports.c with
 * decoder/req_scsi.c's notes), from hand-built traces: a command that
 * agrees; a stale copy with another opcode or another LUN (torn: anomaly
 * ring-copy-torn, chain 'torn', no request from it, the scsi-cmd row's
 * verdict torn); the reports before the copy; a copy without a CDB
 * (unchecked); reports on a queue or device that carries no scsi
 * commands (stored, unchecked); an unknown token; hostile values. */
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define TOKEN(n) (UINT64_C(0x7f3cc00e9800) + 0x100 * (uint64_t)(n))
#define SQ 2u              /* requestq: controlq 0, eventq 1 */
#define CDB_SIZE 32u       /* the spec's default: config never shown */
#define REQ_SIZE (19u + CDB_SIZE)
#define RESP_SIZE (12u + 96u)

static char q[512], want[512];

static int64_t anomalies(struct fx *fx)
{
	return fx_int(fx, "SELECT count(*) FROM anomalies WHERE rule = 'ring-copy-torn'");
}

static void scsi_open(struct fx *fx, const char *name)
{
	fx_open(fx, name);
	fx->qsize = 64;
	fx_init_device(fx, VIRTIO_ID_SCSI, VIRTIO_BIT(VIRTIO_F_VERSION_1), 3);
}

/* The driver's command at descriptors head, head + 1 of queue qi: a
 * request header (target 0, flat LUN lun, tag 0x77, CDB opcode op with
 * LBA 0x800 for a READ/WRITE(10)), then a writable response; published
 * and kicked. */
static void publish_cmd(struct fx *fx, unsigned qi, uint16_t head, uint8_t op, uint16_t lun)
{
	uint8_t req[REQ_SIZE] = { 0 };

	req[0] = 1;
	req[2] = (uint8_t)(0x40 | (lun >> 8));
	req[3] = (uint8_t)lun;
	req[8] = 0x77;
	req[19] = op;
	req[19 + 4] = 0x08; /* LBA 0x800 */
	req[19 + 8] = 8;    /* 8 blocks */
	fx_drv(fx, FX_BUF(head), req, sizeof(req));
	fx_desc(fx, FX_DESC(qi), head, FX_BUF(head), REQ_SIZE, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
	fx_desc(fx, FX_DESC(qi), head + 1u, FX_BUF(head + 1u), RESP_SIZE, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(fx, qi, head);
	fx_mmio(fx, true, MMIO_QUEUE_NOTIFY, qi);
}

/* The device's pop of token (1 readable, 1 writable buffer). */
static uint64_t pop(struct fx *fx, unsigned qi, uint64_t token)
{
	return fx_report(fx, qi, VMT_QSTEP_POP, token, 1, 1);
}

/* The device answers the command at head (response OK, status GOOD) as
 * QEMU reports it: fill, the used entry, flush, an interrupt. */
static void complete(struct fx *fx, unsigned qi, uint16_t head, uint64_t token)
{
	uint8_t resp[RESP_SIZE] = { 0 };

	fx_dev(fx, FX_BUF(head + 1u), resp, sizeof(resp));
	fx_report(fx, qi, VMT_QSTEP_FILL, token, RESP_SIZE, 0);
	fx_used(fx, qi, head, RESP_SIZE);
	fx_report(fx, qi, VMT_QSTEP_FLUSH, 0, 1, 0);
	fx_irq(fx, 1);
}

static const char *step_text(struct fx *fx, uint64_t seq)
{
	static char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT step || ' ' || token || ' ' || sector || ' ' || sectors || ' ' || ifnull(chain, '-') || ' ' || "
		 "ifnull(verdict, '-') FROM device_steps WHERE seq = %llu",
		 (unsigned long long)seq);
	return fx_text(fx, sql);
}

/* Copy and report agree: no anomaly, the request stays, verdict agrees. */
static void test_agree(void)
{
	struct fx fx;

	scsi_open(&fx, "rep-scsi-agree.db");
	publish_cmd(&fx, SQ, 0, 0x28, 2);
	pop(&fx, SQ, TOKEN(1));
	uint64_t s = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(1), 0x28, 2);
	complete(&fx, SQ, 0, TOKEN(1));
	/* The reports before the copy: judged when the chain comes. */
	pop(&fx, SQ, TOKEN(2));
	uint64_t s2 = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(2), 0x2a, 5);
	publish_cmd(&fx, SQ, 2, 0x2a, 5);
	complete(&fx, SQ, 2, TOKEN(2));
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	snprintf(want, sizeof(want), "scsi-cmd %lld 40 2 1 agrees", (long long)TOKEN(1));
	CHECK_STR(step_text(&fx, s), want);
	snprintf(want, sizeof(want), "scsi-cmd %lld 42 5 2 agrees", (long long)TOKEN(2));
	CHECK_STR(step_text(&fx, s2), want);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "exact,exact");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(op || ' ' || sector, ', ') FROM requests WHERE kind = 'scsi'"),
		  "READ(10) target 0 lun 2 2048, WRITE(10) target 0 lun 5 2048");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(verdict) FROM device_steps WHERE step = 'pop'"), "agrees,agrees");
	fx_close(&fx);
}

/* A stale copy: the CDB's opcode, or the LUN, is not what the device
 * read.  Torn: an anomaly naming both, the chain torn, no request. */
static void test_torn(void)
{
	struct fx fx;

	scsi_open(&fx, "rep-scsi-torn.db");
	publish_cmd(&fx, SQ, 0, 0x28, 2);
	pop(&fx, SQ, TOKEN(1));
	uint64_t s_op = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(1), 0x2a, 2);
	complete(&fx, SQ, 0, TOKEN(1));
	publish_cmd(&fx, SQ, 2, 0x28, 2);
	pop(&fx, SQ, TOKEN(2));
	uint64_t s_lun = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(2), 0x28, 3);
	complete(&fx, SQ, 2, TOKEN(2));
	/* A good one after them keeps its request. */
	publish_cmd(&fx, SQ, 4, 0x00, 0);
	pop(&fx, SQ, TOKEN(3));
	fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(3), 0x00, 0);
	complete(&fx, SQ, 4, TOKEN(3));
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 2);
	snprintf(q, sizeof(q), "SELECT message FROM anomalies WHERE seq = %llu", (unsigned long long)s_op);
	CHECK(strstr(fx_text(&fx, q), "is op 0x28 lun 2 in the copy; the device took op 0x2a lun 2") != NULL);
	snprintf(q, sizeof(q), "SELECT message FROM anomalies WHERE seq = %llu", (unsigned long long)s_lun);
	CHECK(strstr(fx_text(&fx, q), "is op 0x28 lun 2 in the copy; the device took op 0x28 lun 3") != NULL);
	CHECK_EQ_U(fx_int(&fx, "SELECT queue FROM anomalies LIMIT 1"), SQ);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "torn,torn,exact");
	snprintf(want, sizeof(want), "scsi-cmd %lld 42 2 1 torn", (long long)TOKEN(1));
	CHECK_STR(step_text(&fx, s_op), want);
	snprintf(want, sizeof(want), "scsi-cmd %lld 40 3 2 torn", (long long)TOKEN(2));
	CHECK_STR(step_text(&fx, s_lun), want);
	/* The pops' buffer counts agreed (judged before the scsi reports). */
	CHECK_STR(fx_text(&fx, "SELECT group_concat(verdict) FROM device_steps WHERE step = 'pop'"), "agrees,agrees,agrees");
	/* Only the good copy's request; the torn chains' used entries stay linked. */
	CHECK_STR(fx_text(&fx, "SELECT group_concat(op) FROM requests"), "TEST UNIT READY target 0 lun 0");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(chain) FROM used"), "1,2,3");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Nothing to compare: no copy at all (no-copy, from the pop), a copy
 * whose header bytes are missing, a queue without scsi commands
 * (controlq), a device of another type, an unknown token. */
static void test_unchecked(void)
{
	struct fx fx;

	scsi_open(&fx, "rep-scsi-unchecked.db");
	/* Header bytes not in the trace: the chain is there, its CDB is not. */
	fx_desc(&fx, FX_DESC(SQ), 0, FX_BUF(0), REQ_SIZE, VIRTQ_DESC_F_NEXT, 1);
	fx_desc(&fx, FX_DESC(SQ), 1, FX_BUF(1), RESP_SIZE, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, SQ, 0);
	pop(&fx, SQ, TOKEN(2));
	uint64_t s_nocdb = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(2), 0x28, 0);
	complete(&fx, SQ, 0, TOKEN(2));
	/* controlq carries no commands the decoder reads. */
	publish_cmd(&fx, 0, 0, 0x28, 2);
	pop(&fx, 0, TOKEN(3));
	uint64_t s_ctrl = fx_report(&fx, 0, VMT_QSTEP_SCSI_CMD, TOKEN(3), 0x2a, 9);
	/* The device took a chain the trace never showed. */
	pop(&fx, SQ, TOKEN(1));
	uint64_t s_none = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(1), 0x28, 0);
	fx_report(&fx, SQ, VMT_QSTEP_FILL, TOKEN(1), RESP_SIZE, 0);
	/* A token no pop had. */
	uint64_t s_tok = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(9), 0x28, 2);
	fx_finish(&fx);

	snprintf(want, sizeof(want), "scsi-cmd %lld 40 0 - no-copy", (long long)TOKEN(1));
	CHECK_STR(step_text(&fx, s_none), want);
	snprintf(q, sizeof(q), "SELECT ifnull(verdict, '-') FROM device_steps WHERE seq = %llu", (unsigned long long)s_nocdb);
	CHECK_STR(fx_text(&fx, q), "-");
	snprintf(q, sizeof(q), "SELECT ifnull(verdict, '-') FROM device_steps WHERE seq = %llu", (unsigned long long)s_ctrl);
	CHECK_STR(fx_text(&fx, q), "-");
	snprintf(want, sizeof(want), "scsi-cmd %lld 40 2 - -", (long long)TOKEN(9));
	CHECK_STR(step_text(&fx, s_tok), want);
	/* Only the no-copy pop's anomaly. */
	CHECK_EQ_U(anomalies(&fx), 1);
	CHECK(strstr(fx_text(&fx, "SELECT message FROM anomalies"), "no copy of it was decoded") != NULL);
	fx_close(&fx);

	/* A blk device: a scsi report there is stored, never compared. */
	fx_open(&fx, "rep-scsi-blk.db");
	fx_init_device(&fx, VIRTIO_ID_BLOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 1);
	fx_blk_chain(&fx, 0, VIRTIO_BLK_T_IN, 8, 0x5a);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 0);
	fx_report(&fx, 0, VMT_QSTEP_POP, TOKEN(1), 2, 1);
	uint64_t s_blk = fx_report(&fx, 0, VMT_QSTEP_SCSI_CMD, TOKEN(1), 0x2a, 1);
	fx_blk_complete(&fx, 0, TOKEN(1), 513);
	fx_finish(&fx);
	snprintf(want, sizeof(want), "scsi-cmd %lld 42 1 1 -", (long long)TOKEN(1));
	CHECK_STR(step_text(&fx, s_blk), want);
	CHECK_EQ_U(anomalies(&fx), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 1);
	fx_close(&fx);
}

/* A second report for one element, and values no QEMU prints (the
 * report is untrusted): stored as given, the first one judged. */
static void test_hostile(void)
{
	struct fx fx;

	scsi_open(&fx, "rep-scsi-hostile.db");
	publish_cmd(&fx, SQ, 0, 0x28, 2);
	pop(&fx, SQ, TOKEN(1));
	fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(1), 0x28, 2);
	uint64_t s2 = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(1), UINT64_MAX, UINT64_MAX);
	complete(&fx, SQ, 0, TOKEN(1));
	publish_cmd(&fx, SQ, 2, 0x28, 2);
	pop(&fx, SQ, TOKEN(2));
	uint64_t s3 = fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(2), 0x128, 2); /* op past a byte */
	complete(&fx, SQ, 2, TOKEN(2));
	/* A report on a queue past any ring, and on no device. */
	fx_report(&fx, 500, VMT_QSTEP_SCSI_CMD, TOKEN(3), 0, 0);
	uint8_t zero[VMT_QUEUE_REPORT_BYTES] = { 0 };
	fx_report_raw(&fx, 0x1234000, 0, VMT_QSTEP_SCSI_CMD, zero, sizeof(zero));
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps WHERE step = 'scsi-cmd'"), 5);
	snprintf(q, sizeof(q), "SELECT chain || ' ' || ifnull(verdict, '-') FROM device_steps WHERE seq = %llu",
		 (unsigned long long)s2);
	CHECK_STR(fx_text(&fx, q), "1 -");
	snprintf(q, sizeof(q), "SELECT ifnull(verdict, '-') FROM device_steps WHERE seq = %llu", (unsigned long long)s3);
	CHECK_STR(fx_text(&fx, q), "torn");
	CHECK_EQ_U(anomalies(&fx), 1);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "exact,torn");
	fx_close(&fx);
}

int main(void)
{
	RUN(test_agree);
	RUN(test_torn);
	RUN(test_unchecked);
	RUN(test_hostile);
	return harness_finish("test_reports_scsi");
}
