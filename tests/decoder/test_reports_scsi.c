/* QEMU's scsi reports (VMT_QSTEP_SCSI_CMD: the CDB's operation code and
 * the LUN of the command an element carried, from virtio_scsi_cmd_req)
 * against the command decoded from the ring copy (decoder/reports.c with
 * decoder/req_scsi.c's notes), from hand-built traces: a command that
 * agrees; a stale copy with another opcode or another LUN (torn: anomaly
 * ring-copy-torn, chain 'torn', no request from it, the scsi-cmd row's
 * verdict torn); the reports before the copy; a copy without a CDB
 * (unchecked); reports on a queue or device that carries no scsi
 * commands (stored, unchecked); an unknown token; hostile values.
 *
 * Then what QEMU's SCSI layer parsed of each command (VMT_QSTEP_SCSI_XFER:
 * the transfer length in bytes, VMT_QSTEP_SCSI_LBA: the LBA) against the
 * copy's CDB read the same way: every CDB group; a stale copy with the
 * same opcode but another LBA, another length, an LBA the layer did not
 * report or one it reported for a CDB without one (torn); the LUN's block
 * size learnt from its first READ/WRITE and forgotten when that copy turns
 * out torn; opcodes whose length rule is not followed (length unchecked,
 * LBA checked). */
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

/* Like publish_cmd with the CDB's first n bytes (at most CDB_SIZE). */
static void publish_cdb(struct fx *fx, unsigned qi, uint16_t head, uint16_t lun, const uint8_t *cdb, size_t n)
{
	uint8_t req[REQ_SIZE] = { 0 };

	req[0] = 1;
	req[2] = (uint8_t)(0x40 | (lun >> 8));
	req[3] = (uint8_t)lun;
	req[8] = 0x77;
	memcpy(req + 19, cdb, n);
	fx_drv(fx, FX_BUF(head), req, sizeof(req));
	fx_desc(fx, FX_DESC(qi), head, FX_BUF(head), REQ_SIZE, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
	fx_desc(fx, FX_DESC(qi), head + 1u, FX_BUF(head + 1u), RESP_SIZE, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(fx, qi, head);
	fx_mmio(fx, true, MMIO_QUEUE_NOTIFY, qi);
}

/* READ(10) (or WRITE(10)) of blocks blocks at lba. */
static size_t rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t blocks)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(blocks >> 8);
	cdb[8] = (uint8_t)blocks;
	return 10;
}

/* Seqs of an element's scsi reports (0: not sent). */
struct scsi_seqs {
	uint64_t cmd, xfer, lba;
};

/* Command token at head of queue SQ as copied (cdb) and as QEMU reported
 * it: pop, scsi-cmd (op, lun), scsi-xfer (len, dir), scsi-lba (when
 * has_lba), then its completion. */
static struct scsi_seqs command(struct fx *fx, uint16_t head, uint64_t token, uint16_t lun, const uint8_t *cdb,
				size_t n, uint64_t len, uint64_t dir, bool has_lba, uint64_t lba)
{
	struct scsi_seqs s = { 0 };

	publish_cdb(fx, SQ, head, lun, cdb, n);
	pop(fx, SQ, token);
	s.cmd = fx_report(fx, SQ, VMT_QSTEP_SCSI_CMD, token, cdb[0], lun);
	s.xfer = fx_report(fx, SQ, VMT_QSTEP_SCSI_XFER, token, len, dir);
	if (has_lba)
		s.lba = fx_report(fx, SQ, VMT_QSTEP_SCSI_LBA, token, lba, 0);
	complete(fx, SQ, head, token);
	return s;
}

static const char *verdict_of(struct fx *fx, uint64_t seq)
{
	snprintf(q, sizeof(q), "SELECT step || ' ' || ifnull(verdict, '-') FROM device_steps WHERE seq = %llu",
		 (unsigned long long)seq);
	return fx_text(fx, q);
}

static const char *anomaly_at(struct fx *fx, uint64_t seq)
{
	snprintf(q, sizeof(q), "SELECT ifnull(group_concat(message), '') FROM anomalies WHERE seq = %llu",
		 (unsigned long long)seq);
	return fx_text(fx, q);
}

/* Every CDB group, each agreeing with QEMU's reading of it: no anomaly,
 * every request kept, every scsi-xfer and scsi-lba row 'agrees' (but the
 * one opcode whose length rule is not followed: unchecked). */
static void test_parsed_agree(void)
{
	struct fx fx;
	uint8_t cdb[16];
	struct scsi_seqs s[8];

	scsi_open(&fx, "rep-scsi-parsed-agree.db");
	/* READ(10), 8 blocks at 2048: 4096 bytes teach the block size 512. */
	s[0] = command(&fx, 0, TOKEN(1), 2, cdb, rw10(cdb, 0x28, 2048, 8), 4096, 1, true, 2048);
	/* WRITE(10), 16 blocks: 8192 bytes at the LUN's 512. */
	s[1] = command(&fx, 2, TOKEN(2), 2, cdb, rw10(cdb, 0x2a, 0x12345678, 16), 8192, 2, true, 0x12345678);
	/* INQUIRY (group 0: LBA from bytes 1-3, 21 bits; allocation length at 3-4). */
	const uint8_t inquiry[6] = { 0x12, 0xe1, 0x80, 0x00, 36, 0 };
	s[2] = command(&fx, 4, TOKEN(3), 2, inquiry, sizeof(inquiry), 36, 1, true, 0x018000);
	/* READ(16) (group 4: LBA be64 at 2, blocks be32 at 10). */
	const uint8_t read16[16] = { 0x88, 0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 0x20, 0, 0 };
	s[3] = command(&fx, 6, TOKEN(4), 2, read16, sizeof(read16), 32 * 512, 1, true, UINT64_C(0x10000000008));
	/* REPORT LUNS (group 5: LBA field be32 at 2, allocation length be32 at 6). */
	const uint8_t luns[12] = { 0xa0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0x00, 0, 0 };
	s[4] = command(&fx, 8, TOKEN(5), 2, luns, sizeof(luns), 4096, 1, true, 0);
	/* SYNCHRONIZE CACHE(10): no data. */
	const uint8_t sync10[10] = { 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	s[5] = command(&fx, 10, TOKEN(6), 2, sync10, sizeof(sync10), 0, 0, true, 0);
	/* An opcode whose length rule is not followed (MAINTENANCE IN, group
	 * 5): its length unchecked, its LBA checked. */
	const uint8_t maint[12] = { 0xa3, 0x0c, 0, 0, 0, 7, 0, 0, 0, 0x40, 0, 0 };
	s[6] = command(&fx, 12, TOKEN(7), 2, maint, sizeof(maint), 999, 1, true, 7);
	/* An opcode of group 3 has no LBA and QEMU does not parse it: no
	 * parse reports, nothing more checked. */
	const uint8_t g3[10] = { 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	publish_cdb(&fx, SQ, 14, 2, g3, sizeof(g3));
	pop(&fx, SQ, TOKEN(8));
	fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(8), 0x7f, 2);
	complete(&fx, SQ, 14, TOKEN(8));
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 0);
	if (anomalies(&fx))
		fprintf(stderr, "%s\n", fx_text(&fx, "SELECT group_concat(message, char(10)) FROM anomalies"));
	for (int i = 0; i < 6; i++) {
		CHECK_STR(verdict_of(&fx, s[i].xfer), "scsi-xfer agrees");
		CHECK_STR(verdict_of(&fx, s[i].lba), "scsi-lba agrees");
	}
	CHECK_STR(verdict_of(&fx, s[6].xfer), "scsi-xfer -");
	CHECK_STR(verdict_of(&fx, s[6].lba), "scsi-lba agrees");
	snprintf(q, sizeof(q), "SELECT sector || ' ' || sectors || ' ' || chain FROM device_steps WHERE seq = %llu",
		 (unsigned long long)s[1].xfer);
	CHECK_STR(fx_text(&fx, q), "8192 2 2");
	snprintf(q, sizeof(q), "SELECT sector || ' ' || sectors FROM device_steps WHERE seq = %llu",
		 (unsigned long long)s[1].lba);
	CHECK_STR(fx_text(&fx, q), "305419896 0");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'scsi'"), 8);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(sector) FROM requests WHERE op LIKE 'READ(%' OR op LIKE 'WRITE(%'"),
		  "2048,305419896,1099511627784");
	fx_close(&fx);
}

/* Stale copies with the device's opcode and LUN: another LBA, another
 * length, an LBA the layer did not report, an LBA report for a CDB that
 * has none.  Each torn: an anomaly saying both, the chain torn, no
 * request; the good ones around them keep theirs. */
static void test_parsed_torn(void)
{
	struct fx fx;
	uint8_t cdb[16];

	scsi_open(&fx, "rep-scsi-parsed-torn.db");
	/* A good READ(10) first: the LUN's block size is 512. */
	struct scsi_seqs good = command(&fx, 0, TOKEN(1), 2, cdb, rw10(cdb, 0x28, 100, 8), 4096, 1, true, 100);
	/* Same opcode, another LBA. */
	struct scsi_seqs lba = command(&fx, 2, TOKEN(2), 2, cdb, rw10(cdb, 0x28, 2048, 8), 4096, 1, true, 4096);
	/* Same opcode and LBA, another length (8 blocks copied, 16 done). */
	struct scsi_seqs len = command(&fx, 4, TOKEN(3), 2, cdb, rw10(cdb, 0x2a, 2048, 8), 8192, 2, true, 2048);
	/* The layer parsed it and reported no LBA, which it does only for
	 * all ones (a 16-byte CDB): the copy's CDB has another. */
	const uint8_t read16[16] = { 0x88, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1, 0, 0 };
	struct scsi_seqs none = command(&fx, 6, TOKEN(4), 2, read16, sizeof(read16), 512, 1, false, 0);
	/* And an LBA reported for a copy whose LBA is all ones. */
	uint8_t ones[16];
	memcpy(ones, read16, sizeof(ones));
	memset(ones + 2, 0xff, 8);
	struct scsi_seqs extra = command(&fx, 8, TOKEN(5), 2, ones, sizeof(ones), 512, 1, true, 0x1000);
	/* A non-block length (INQUIRY's allocation length). */
	const uint8_t inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
	struct scsi_seqs alloc = command(&fx, 10, TOKEN(6), 2, inquiry, sizeof(inquiry), 96, 1, true, 0);
	/* A good one after them keeps its request. */
	struct scsi_seqs last = command(&fx, 12, TOKEN(7), 2, cdb, rw10(cdb, 0x28, 7, 1), 512, 1, true, 7);
	fx_finish(&fx);

	CHECK_EQ_U(anomalies(&fx), 5);
	CHECK(strstr(anomaly_at(&fx, lba.lba), "has lba 2048 in the copy; the device's SCSI layer read lba 4096") != NULL);
	CHECK(strstr(anomaly_at(&fx, len.xfer), "transfers 4096 bytes (8 blocks) in the copy; the device's SCSI layer computed 8192 bytes") != NULL);
	CHECK(strstr(anomaly_at(&fx, alloc.xfer), "transfers 36 bytes in the copy; the device's SCSI layer computed 96 bytes") != NULL);
	CHECK(strstr(anomaly_at(&fx, extra.lba), "has no lba in the copy; the device's SCSI layer read lba 4096") != NULL);
	/* The missing LBA is found when the element is done (its fill). */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE message LIKE "
			       "'%has lba 4096 in the copy; the device''s SCSI layer reported none%'"), 1);
	CHECK_STR(verdict_of(&fx, good.lba), "scsi-lba agrees");
	CHECK_STR(verdict_of(&fx, lba.xfer), "scsi-xfer agrees");
	CHECK_STR(verdict_of(&fx, lba.lba), "scsi-lba torn");
	CHECK_STR(verdict_of(&fx, len.xfer), "scsi-xfer torn");
	CHECK_STR(verdict_of(&fx, len.lba), "scsi-lba torn");
	CHECK_STR(verdict_of(&fx, none.xfer), "scsi-xfer agrees");
	CHECK_STR(verdict_of(&fx, extra.lba), "scsi-lba torn");
	CHECK_STR(verdict_of(&fx, alloc.xfer), "scsi-xfer torn");
	CHECK_STR(verdict_of(&fx, last.lba), "scsi-lba agrees");
	CHECK_STR(verdict_of(&fx, last.cmd), "scsi-cmd agrees");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "exact,torn,torn,torn,torn,torn,exact");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(sector) FROM requests"), "100,7");
	fx_close(&fx);
}

/* The block size a LUN's first READ/WRITE teaches is forgotten when that
 * copy turns out torn (its LBA); the next good one teaches the right one.
 * A length no allowed block size gives is torn; a second LUN learns its
 * own size. */
static void test_block_size(void)
{
	struct fx fx;
	uint8_t cdb[16];

	scsi_open(&fx, "rep-scsi-block-size.db");
	/* Stale copy: 4 blocks at 9 where the device read 8 at 64 (4096
	 * bytes): 1024-byte blocks would fit, but the LBA tears it. */
	struct scsi_seqs bad = command(&fx, 0, TOKEN(1), 2, cdb, rw10(cdb, 0x28, 9, 4), 4096, 1, true, 64);
	/* 8 blocks, 4096 bytes: agrees only if the 1024 was forgotten. */
	struct scsi_seqs good = command(&fx, 2, TOKEN(2), 2, cdb, rw10(cdb, 0x28, 64, 8), 4096, 1, true, 64);
	/* 3 blocks, 4096 bytes: no block size gives it (LUN 3, none learnt). */
	struct scsi_seqs odd = command(&fx, 4, TOKEN(3), 3, cdb, rw10(cdb, 0x28, 5, 3), 4096, 1, true, 5);
	/* LUN 4 is a CD: 2048-byte blocks, learnt apart from LUN 2's 512. */
	struct scsi_seqs cd = command(&fx, 6, TOKEN(4), 4, cdb, rw10(cdb, 0x28, 16, 2), 4096, 1, true, 16);
	struct scsi_seqs cd2 = command(&fx, 8, TOKEN(5), 4, cdb, rw10(cdb, 0x28, 20, 1), 2048, 1, true, 20);
	struct scsi_seqs hd2 = command(&fx, 10, TOKEN(6), 2, cdb, rw10(cdb, 0x28, 20, 1), 512, 1, true, 20);
	fx_finish(&fx);

	CHECK_STR(verdict_of(&fx, bad.xfer), "scsi-xfer agrees");
	CHECK_STR(verdict_of(&fx, bad.lba), "scsi-lba torn");
	CHECK_STR(verdict_of(&fx, good.xfer), "scsi-xfer agrees");
	CHECK_STR(verdict_of(&fx, odd.xfer), "scsi-xfer torn");
	CHECK(strstr(anomaly_at(&fx, odd.xfer), "transfers 3 blocks (of no size QEMU allows for that length) in the copy") != NULL);
	CHECK_STR(verdict_of(&fx, cd.xfer), "scsi-xfer agrees");
	CHECK_STR(verdict_of(&fx, cd2.xfer), "scsi-xfer agrees");
	CHECK_STR(verdict_of(&fx, hd2.xfer), "scsi-xfer agrees");
	CHECK_EQ_U(anomalies(&fx), 2);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "torn,exact,torn,exact,exact,exact");
	fx_close(&fx);
}

/* Parse reports out of order or with values no QEMU prints: a scsi-xfer
 * without its scsi-cmd, a scsi-lba without its scsi-xfer, a second one of
 * each (stored, unchecked); a length past 32 bits (never QEMU's: torn). */
static void test_parsed_hostile(void)
{
	struct fx fx;
	uint8_t cdb[16];

	scsi_open(&fx, "rep-scsi-parsed-hostile.db");
	publish_cdb(&fx, SQ, 0, 2, cdb, rw10(cdb, 0x28, 8, 8));
	pop(&fx, SQ, TOKEN(1));
	uint64_t early = fx_report(&fx, SQ, VMT_QSTEP_SCSI_XFER, TOKEN(1), 4096, 1);
	uint64_t lone = fx_report(&fx, SQ, VMT_QSTEP_SCSI_LBA, TOKEN(1), 8, 0);
	fx_report(&fx, SQ, VMT_QSTEP_SCSI_CMD, TOKEN(1), 0x28, 2);
	uint64_t x1 = fx_report(&fx, SQ, VMT_QSTEP_SCSI_XFER, TOKEN(1), 4096, 1);
	uint64_t x2 = fx_report(&fx, SQ, VMT_QSTEP_SCSI_XFER, TOKEN(1), 1, UINT64_MAX);
	uint64_t l1 = fx_report(&fx, SQ, VMT_QSTEP_SCSI_LBA, TOKEN(1), 8, 0);
	uint64_t l2 = fx_report(&fx, SQ, VMT_QSTEP_SCSI_LBA, TOKEN(1), UINT64_MAX, UINT64_MAX);
	complete(&fx, SQ, 0, TOKEN(1));
	/* 4096 plus 2^32: the copy's 4096 matches only its low 32 bits,
	 * and no QEMU prints more. */
	struct scsi_seqs big = command(&fx, 2, TOKEN(2), 2, cdb, rw10(cdb, 0x28, 16, 8), (UINT64_C(1) << 32) + 4096, 1,
				       true, 16);
	fx_report(&fx, SQ, VMT_QSTEP_SCSI_LBA, TOKEN(9), 1, 1); /* a token no pop had */
	fx_finish(&fx);

	CHECK_STR(verdict_of(&fx, early), "scsi-xfer -");
	CHECK_STR(verdict_of(&fx, lone), "scsi-lba -");
	CHECK_STR(verdict_of(&fx, x1), "scsi-xfer agrees");
	CHECK_STR(verdict_of(&fx, x2), "scsi-xfer -");
	CHECK_STR(verdict_of(&fx, l1), "scsi-lba agrees");
	CHECK_STR(verdict_of(&fx, l2), "scsi-lba -");
	CHECK_STR(verdict_of(&fx, big.xfer), "scsi-xfer torn");
	CHECK_EQ_U(anomalies(&fx), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM device_steps WHERE step IN ('scsi-xfer', 'scsi-lba')"), 9);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(memory) FROM chains"), "exact,torn");
	fx_close(&fx);
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
	RUN(test_parsed_agree);
	RUN(test_parsed_torn);
	RUN(test_block_size);
	RUN(test_parsed_hostile);
	return harness_finish("test_reports_scsi");
}
