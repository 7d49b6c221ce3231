/* virtio-scsi and virtio-vsock request decoding from hand-built traces:
 * well-formed commands and packets, headers split across descriptors,
 * short headers (request-malformed, a row with no op), hostile sizes
 * (cdb_size 0, 255, beyond the buffer; a vsock len beyond the buffer);
 * random rings and config sizes on every queue (no crash, short op text,
 * no rows for control and event queues). */
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

/* --- scsi: controlq 0, eventq 1, requestq 2 --- */

#define SQ 2u
#define RESP_SIZE (12u + 96u)

/* A virtio_scsi_cmd_req for target 0, LUN 2 with cdb (cdb_len bytes) in a
 * header of 19 + cdb_size bytes; returns its size. */
static uint32_t scsi_req(uint8_t *out, uint32_t cdb_size, const uint8_t *cdb, uint32_t cdb_len)
{
	memset(out, 0, 19 + cdb_size);
	out[0] = 1;       /* single-level LUN */
	out[1] = 0;       /* target */
	out[2] = 0x40;    /* flat addressing, LUN 2 */
	out[3] = 2;
	le64_put(out + 8, 0x77); /* tag */
	memcpy(out + 19, cdb, cdb_len < cdb_size ? cdb_len : cdb_size);
	return 19 + cdb_size;
}

static void scsi_resp(uint8_t *out, uint8_t status, uint8_t response)
{
	memset(out, 0, RESP_SIZE);
	out[10] = status;
	out[11] = response;
}

/* Publish a command at descriptors base..: the header in one descriptor
 * (or split at split bytes into two), data-out, response, data-in; the
 * device answers with (status, response) and writes din_len bytes. */
static void scsi_cmd(struct fx *fx, uint32_t base, const uint8_t *req, uint32_t req_len, uint32_t split,
		     const uint8_t *dout, uint32_t dout_len, uint32_t din_len, uint8_t status, uint8_t response)
{
	static uint8_t din[4096];
	uint8_t resp[RESP_SIZE];
	struct fx_seg s[5];
	unsigned n = 0;

	fx_segs_out(s, &n, base, req, req_len, split, UINT32_MAX, 0);
	if (dout_len)
		fx_segs_out(s, &n, base, dout, dout_len, 0, UINT32_MAX, 0);
	scsi_resp(resp, status, response);
	s[n] = (struct fx_seg){ .gpa = FX_BUF(base + n), .len = RESP_SIZE, .write = true, .data = resp,
				.data_len = RESP_SIZE };
	n++;
	if (din_len) {
		for (uint32_t i = 0; i < din_len && i < sizeof(din); i++)
			din[i] = (uint8_t)(i ^ 0x5a);
		s[n] = (struct fx_seg){ .gpa = FX_BUF(base + n), .len = din_len, .write = true, .data = din,
					.data_len = din_len };
		n++;
	}
	fx_chain(fx, SQ, base, s, n, RESP_SIZE + din_len, true);
}

static void scsi_open(struct fx *fx, const char *name)
{
	fx_open(fx, name);
	fx->qsize = 64;
	fx_init_device(fx, VIRTIO_ID_SCSI, VIRTIO_BIT(VIRTIO_F_VERSION_1), 3);
}

static void test_scsi_commands(void)
{
	struct fx fx;
	uint8_t req[300], data[1024];
	uint8_t w10[10] = { 0x2a, 0, 0x00, 0x00, 0x12, 0x34, 0, 0, 2, 0 };
	uint8_t r16[16] = { 0x88, 0, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0 };
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t rc16[16] = { 0x9e, 0x10 };
	uint8_t vendor[6] = { 0xc0 };

	scsi_open(&fx, "scsi.db");
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	uint32_t n = scsi_req(req, 32, w10, sizeof(w10));
	scsi_cmd(&fx, 0, req, n, 0, data, sizeof(data), 0, 0, 0);
	n = scsi_req(req, 32, r16, sizeof(r16));
	scsi_cmd(&fx, 4, req, n, 0, NULL, 0, 512, 2 /* CHECK CONDITION */, 0);
	n = scsi_req(req, 32, inq, sizeof(inq));
	scsi_cmd(&fx, 8, req, n, 0, NULL, 0, 36, 0, 3 /* BAD_TARGET */);
	n = scsi_req(req, 32, rc16, sizeof(rc16));
	scsi_cmd(&fx, 12, req, n, 0, NULL, 0, 32, 0, 0);
	n = scsi_req(req, 32, vendor, sizeof(vendor));
	scsi_cmd(&fx, 16, req, n, 0, NULL, 0, 0, 0, 0);
	fx_finish(&fx);

	char dig[17];
	snprintf(dig, sizeof(dig), "%016llx", (unsigned long long)fx_fnv(data, sizeof(data)));
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 5);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'scsi' AND queue = 2"), 5);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "WRITE(10) target 0 lun 2");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 1"), 0x1234);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 1024);
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 1"), 0);
	CHECK_STR(fx_text(&fx, "SELECT digest FROM requests WHERE request = 1"), dig);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 2"), "READ(16) target 0 lun 2");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 2"), UINT64_C(0x100000005));
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 2"), 512);
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 2"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT digest IS NOT NULL FROM requests WHERE request = 2"), 1);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 3"), "INQUIRY target 0 lun 2 response BAD_TARGET");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 3"), -1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 3"), 36);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 4"), "READ CAPACITY(16) target 0 lun 2");
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 5"), "op 0xc0 target 0 lun 2");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 5"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* The header split inside the LUN/tag fields and inside the CDB. */
static void test_scsi_split(void)
{
	struct fx fx;
	uint8_t req[64];
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 9, 0, 0, 1, 0 };

	scsi_open(&fx, "scsi-split.db");
	uint32_t n = scsi_req(req, 32, r10, sizeof(r10));
	scsi_cmd(&fx, 0, req, n, 5, NULL, 0, 512, 0, 0);
	scsi_cmd(&fx, 4, req, n, 22, NULL, 0, 512, 0, 0);
	fx_finish(&fx);
	for (unsigned id = 1; id <= 2; id++) {
		CHECK_STR(fx_text(&fx, fx_sql("SELECT op FROM requests WHERE request = %u", id)), "READ(10) target 0 lun 2");
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT sector FROM requests WHERE request = %u", id)), 9);
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT length FROM requests WHERE request = %u", id)), 512);
	}
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 0);
	fx_close(&fx);
}

/* A header shorter than 19 + cdb_size: malformed, a row without an op. */
static void test_scsi_short(void)
{
	struct fx fx;
	uint8_t req[64];
	uint8_t r10[10] = { 0x28 };

	scsi_open(&fx, "scsi-short.db");
	scsi_req(req, 32, r10, sizeof(r10));
	scsi_cmd(&fx, 0, req, 10, 0, NULL, 0, 512, 0, 0);
	/* Exactly one byte short of the 51-byte header. */
	scsi_cmd(&fx, 4, req, 50, 0, NULL, 0, 0, 0, 0);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'scsi' AND op IS NULL"), 2);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 2);
	fx_close(&fx);
}

/* cdb_size from the configuration: 0 (no CDB), 255, and beyond any buffer. */
static void test_scsi_cdb_size(void)
{
	struct fx fx;
	static uint8_t req[400];
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0 };

	scsi_open(&fx, "scsi-cdb.db");
	/* As Linux does at probe: sense_size, then cdb_size. */
	fx_mmio(&fx, true, MMIO_CONFIG + 20, 96);
	fx_mmio(&fx, true, MMIO_CONFIG + 24, 0);
	uint32_t n = scsi_req(req, 0, r10, sizeof(r10));
	scsi_cmd(&fx, 0, req, n, 0, NULL, 0, 0, 0, 0);
	fx_mmio(&fx, true, MMIO_CONFIG + 24, 255);
	n = scsi_req(req, 255, r10, sizeof(r10));
	scsi_cmd(&fx, 4, req, n, 100, NULL, 0, 512, 0, 0);
	fx_mmio(&fx, true, MMIO_CONFIG + 24, 0x10000000);
	n = scsi_req(req, 255, r10, sizeof(r10));
	scsi_cmd(&fx, 8, req, n, 0, NULL, 0, 512, 0, 0);
	fx_mmio(&fx, true, MMIO_CONFIG + 24, 0xffffffff);
	scsi_cmd(&fx, 12, req, n, 0, NULL, 0, 512, 0, 0);
	fx_finish(&fx);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "no CDB target 0 lun 2");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 1"), -1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 0);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 2"), "READ(10) target 0 lun 2");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 2"), 3);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 2"), 512);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE request >= 3 AND op IS NULL"), 2);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 2);
	fx_close(&fx);
}

/* With VIRTIO_SCSI_F_T10_PI the header has pi_bytesout and pi_bytesin
 * (8 bytes) before the CDB. */
static void test_scsi_t10_pi(void)
{
	struct fx fx;
	uint8_t req[64] = { 1, 0, 0x40, 2 };
	uint8_t w16[16] = { 0x8a, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 8, 0, 0 };

	fx_open(&fx, "scsi-pi.db");
	fx.qsize = 64;
	fx_init_device(&fx, VIRTIO_ID_SCSI, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(3), 3);
	le32_put(req + 19, 0);
	le32_put(req + 23, 0);
	memcpy(req + 27, w16, sizeof(w16));
	uint8_t data[512] = { 0 };
	scsi_cmd(&fx, 0, req, 27 + 32, 0, data, sizeof(data), 0, 0, 0);
	scsi_cmd(&fx, 4, req, 27 + 31, 0, data, 0, 0, 0, 0); /* one byte short */
	fx_finish(&fx);
	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "WRITE(16) target 0 lun 2");
	CHECK_EQ_U(fx_int(&fx, "SELECT sector FROM requests WHERE request = 1"), 0x1000);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 512);
	CHECK_EQ_U(fx_int(&fx, "SELECT op IS NULL FROM requests WHERE request = 2"), 1);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 1);
	fx_close(&fx);
}

/* --- vsock: rx 0, tx 1, event 2 --- */

#define VRX 0u
#define VTX 1u

static void vsock_hdr(uint8_t *h, uint64_t src_cid, uint32_t src_port, uint64_t dst_cid, uint32_t dst_port,
		      uint16_t op, uint32_t len)
{
	memset(h, 0, 44);
	le64_put(h, src_cid);
	le64_put(h + 8, dst_cid);
	le32_put(h + 16, src_port);
	le32_put(h + 20, dst_port);
	le32_put(h + 24, len);
	le16_put(h + 28, 1); /* stream */
	le16_put(h + 30, op);
	le32_put(h + 36, 262144);
}

static void vsock_open(struct fx *fx, const char *name)
{
	fx_open(fx, name);
	fx->qsize = 64;
	fx_init_device(fx, VIRTIO_ID_VSOCK, VIRTIO_BIT(VIRTIO_F_VERSION_1), 3);
}

/* A tx packet at descriptors base..: the header (split at split bytes if
 * nonzero, hdr_len bytes of it), then payload in its own descriptor. */
static void vsock_tx(struct fx *fx, uint32_t base, const uint8_t *h, uint32_t hdr_len, uint32_t split,
		     const uint8_t *pl, uint32_t pl_len)
{
	struct fx_seg s[3];
	unsigned n = 0;

	fx_segs_out(s, &n, base, h, hdr_len, split, UINT32_MAX, 0);
	if (pl_len)
		fx_segs_out(s, &n, base, pl, pl_len, 0, UINT32_MAX, 0);
	fx_chain(fx, VTX, base, s, n, 0, false);
}

/* An rx buffer of 44 + room bytes at descriptor d; the device writes
 * header h and used_len - 44 payload bytes. */
static void vsock_rx(struct fx *fx, uint32_t d, uint32_t room, const uint8_t *h, const uint8_t *pl, uint32_t used_len)
{
	uint64_t at = FX_BUF(20 + d);

	fx_desc(fx, FX_DESC(VRX), d, at, 44 + room, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(fx, VRX, (uint16_t)d);
	fx_mmio(fx, true, MMIO_QUEUE_NOTIFY, VRX);
	fx_dev(fx, at, h, 44);
	if (used_len > 44)
		fx_dev(fx, at + 44, pl, used_len - 44);
	fx_used(fx, VRX, d, used_len);
	fx_irq(fx, 1);
}

static void test_vsock_packets(void)
{
	struct fx fx;
	uint8_t h[44], pl[100];

	for (unsigned i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)('a' + i % 26);
	vsock_open(&fx, "vsock.db");
	vsock_hdr(h, 3, 1024, 2, 5000, 1 /* REQUEST */, 0);
	vsock_tx(&fx, 0, h, 44, 0, NULL, 0);
	vsock_hdr(h, 2, 5000, 3, 1024, 2 /* RESPONSE */, 0);
	vsock_rx(&fx, 0, 4096, h, NULL, 44);
	vsock_hdr(h, 3, 1024, 2, 5000, 5 /* RW */, sizeof(pl));
	vsock_tx(&fx, 4, h, 44, 0, pl, sizeof(pl));
	vsock_hdr(h, 2, 5000, 3, 1024, 5, 60);
	vsock_rx(&fx, 1, 4096, h, pl, 44 + 60);
	vsock_hdr(h, 3, 1024, 2, 5000, 9, 0);
	vsock_tx(&fx, 8, h, 44, 0, NULL, 0);
	fx_finish(&fx);

	char dig[17];
	snprintf(dig, sizeof(dig), "%016llx", (unsigned long long)fx_fnv(pl, sizeof(pl)));
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 5);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(op, '|') FROM (SELECT op FROM requests WHERE kind = 'vsock-tx' ORDER BY request)"),
		  "REQUEST 3:1024 -> 2:5000|RW 3:1024 -> 2:5000|op 9 3:1024 -> 2:5000");
	CHECK_STR(fx_text(&fx, "SELECT group_concat(op, '|') FROM (SELECT op FROM requests WHERE kind = 'vsock-rx' ORDER BY request)"),
		  "RESPONSE 2:5000 -> 3:1024|RW 2:5000 -> 3:1024");
	CHECK_EQ_U(fx_int(&fx, "SELECT queue FROM requests WHERE op LIKE 'RW 3%'"), VTX);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE op LIKE 'RW 3%'"), 100);
	CHECK_EQ_U(fx_int(&fx, "SELECT length(data) FROM requests WHERE op LIKE 'RW 3%'"), 100);
	CHECK_STR(fx_text(&fx, "SELECT digest FROM requests WHERE op LIKE 'RW 3%'"), dig);
	CHECK_EQ_U(fx_int(&fx, "SELECT queue FROM requests WHERE op LIKE 'RW 2%'"), VRX);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE op LIKE 'RW 2%'"), 60);
	CHECK_STR(fx_text(&fx, "SELECT substr(data, 1, 3) FROM requests WHERE op LIKE 'RW 2%'"), "abc");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE op LIKE 'REQUEST%'"), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Header split in two; short headers (tx readable part, rx used length);
 * len beyond the buffer (tx) and beyond what the device wrote (rx). */
static void test_vsock_hostile(void)
{
	struct fx fx;
	uint8_t h[44], pl[100] = { 0 };

	vsock_open(&fx, "vsock-bad.db");
	vsock_hdr(h, 3, 1024, 2, 5000, 5, sizeof(pl));
	vsock_tx(&fx, 0, h, 44, 26, pl, sizeof(pl));      /* request 1: split, fine */
	vsock_tx(&fx, 4, h, 43, 0, NULL, 0);              /* 2: short by one */
	vsock_hdr(h, 3, 1024, 2, 5000, 5, 500);
	vsock_tx(&fx, 8, h, 44, 0, pl, sizeof(pl));       /* 3: len 500, 100 held */
	vsock_hdr(h, 2, 5000, 3, 1024, 5, 4096);
	vsock_rx(&fx, 0, 4096, h, pl, 44 + 10);           /* 4: len 4096, 10 written */
	vsock_hdr(h, 2, 5000, 3, 1024, 5, 0);
	vsock_rx(&fx, 1, 4096, h, NULL, 20);              /* 5: short header written */
	vsock_hdr(h, 2, 5000, 3, 1024, 5, 0xffffffff);
	vsock_rx(&fx, 2, 16, h, pl, 44 + 16);             /* 6: len 2^32-1, 16 held */
	vsock_hdr(h, 3, 1024, 2, 5000, 5, 100);
	vsock_tx(&fx, 12, h, 44, 0, pl, 100);             /* 7: len = buffer: fine */
	vsock_hdr(h, 3, 1024, 2, 5000, 5, 101);
	vsock_tx(&fx, 16, h, 44, 0, pl, 100);             /* 8: len = buffer + 1 */
	fx_finish(&fx);

	CHECK_STR(fx_text(&fx, "SELECT op FROM requests WHERE request = 1"), "RW 3:1024 -> 2:5000");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 100);
	CHECK_EQ_U(fx_int(&fx, "SELECT op IS NULL AND length IS NULL FROM requests WHERE request = 2"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 3"), 100);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 4"), 10);
	CHECK_EQ_U(fx_int(&fx, "SELECT op IS NULL AND length IS NULL FROM requests WHERE request = 5"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 6"), 16);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 7"), 100);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 8"), 100);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 6);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations WHERE message LIKE '%says len 101,%'"), 1);
	fx_close(&fx);
}

/* A best-effort copy (a vhost back end's ring, copied while the guest
 * runs) whose tx header no driver sends (op 0, type 0: the buffer went
 * back to the guest before the copy): an anomaly, no op decoded; a sound
 * header in the same kind of copy decodes. */
static void test_vsock_rough_garbage(void)
{
	const uint16_t rough = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;
	struct fx fx;
	uint8_t h[44] = { 0 }, desc[32] = { 0 }, avail[4 + 2 * 2] = { 0 };

	vsock_open(&fx, "vsock-rough.db");
	fx_mem(&fx, FX_BUF(0), h, sizeof(h), rough);
	vsock_hdr(h, 3, 1024, 2, 5000, 5 /* RW */, 0);
	fx_mem(&fx, FX_BUF(1), h, sizeof(h), rough);
	le64_put(desc, FX_BUF(0));
	le32_put(desc + 8, 44);
	le64_put(desc + 16, FX_BUF(1));
	le32_put(desc + 24, 44);
	fx_mem(&fx, FX_DESC(VTX), desc, sizeof(desc), rough);
	le16_put(avail + 2, 2);
	le16_put(avail + 4, 0);
	le16_put(avail + 6, 1);
	fx_mem(&fx, FX_AVAIL(VTX), avail, sizeof(avail), rough);
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'vsock-tx'"), 2);
	CHECK_STR(fx_text(&fx, "SELECT group_concat(coalesce(op, '-'), '|') FROM (SELECT op FROM requests ORDER BY request)"),
		  "-|RW 3:1024 -> 2:5000");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM anomalies WHERE rule = 'request-malformed' AND message LIKE "
			       "'%op 0 type 0, which no driver sends%'"),
		   1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* --- random rings on every queue of both types: no crash, op text short --- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	return fx_rnd(&rnd_state);
}

/* Lengths that hit the headers' edges more often than chance would. */
static uint32_t rnd_len(void)
{
	static const uint32_t edge[] = { 0, 1, 18, 19, 43, 44, 45, 50, 51, 52, 107, 108, 109, 300 };
	uint64_t r = rnd();

	switch (r % 4) {
	case 0: return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	case 1: return (uint32_t)rnd();
	default: return (uint32_t)(rnd() % 400);
	}
}

static void test_random(void)
{
	struct fx fx;
	int64_t total = 0, with_op = 0;

	for (unsigned round = 0; round < 40; round++) {
		uint32_t type = round & 1 ? VIRTIO_ID_VSOCK : VIRTIO_ID_SCSI;
		fx_open(&fx, "scsi-vsock-random.db");
		fx.qsize = 16;
		fx_init_device(&fx, type, VIRTIO_BIT(VIRTIO_F_VERSION_1) | (round & 2 ? VIRTIO_BIT(3) : 0), 3);
		for (unsigned step = 0; step < 500; step++) {
			unsigned qq = (unsigned)(rnd() % 3);
			uint64_t r = rnd();
			uint8_t b[128];
			for (unsigned i = 0; i < sizeof(b); i++)
				b[i] = (uint8_t)(rnd() & 1 ? rnd() : rnd() % 4);
			switch (r % 7) {
			case 0: case 1: {
				uint64_t addr = (rnd() & 7) ? FX_BUF(rnd() % 8) + rnd() % 64 : rnd();
				fx_desc(&fx, FX_DESC(qq), (uint32_t)(rnd() % fx.qsize), addr, rnd_len(),
					(uint16_t)(rnd() % 4), (uint16_t)(rnd() % fx.qsize));
				break;
			}
			case 2:
				fx_publish(&fx, qq, (uint16_t)(rnd() % fx.qsize));
				break;
			case 3:
				fx_used(&fx, qq, (uint32_t)(rnd() % fx.qsize), rnd_len());
				break;
			case 4:
				fx_dev(&fx, FX_BUF(rnd() % 8) + rnd() % 64, b, (uint32_t)(rnd() % sizeof(b)));
				break;
			case 5:
				if (rnd() % 8 == 0) {
					/* sense_size or cdb_size: small, edge or huge. */
					uint32_t v = rnd() & 1 ? (uint32_t)(rnd() % 300) : (uint32_t)rnd();
					fx_mmio(&fx, true, MMIO_CONFIG + (rnd() & 1 ? 20 : 24), v);
					break;
				}
				/* fall through */
			default:
				fx_drv(&fx, FX_BUF(rnd() % 8) + rnd() % 64, b, (uint32_t)(rnd() % sizeof(b)));
				break;
			}
		}
		fx_finish(&fx);
		fx_random_tally(&fx, &total, &with_op);
		/* Control and event queues carry no requests rows. */
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE queue = 2 AND kind LIKE 'vsock%'"), 0);
		CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE queue < 2 AND kind = 'scsi'"), 0);
		fx_close(&fx);
	}
	fx_random_done(total, with_op);
}

int main(void)
{
	RUN(test_scsi_commands);
	RUN(test_scsi_split);
	RUN(test_scsi_short);
	RUN(test_scsi_cdb_size);
	RUN(test_scsi_t10_pi);
	RUN(test_vsock_packets);
	RUN(test_vsock_hostile);
	RUN(test_vsock_rough_garbage);
	RUN(test_random);
	return harness_finish("test_scsi_vsock");
}
