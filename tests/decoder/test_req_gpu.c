/* virtio-gpu request decoding from hand-built traces: each command family
 * (2D resources, scanouts, capsets, blobs, 3D contexts, cursor updates on
 * the cursorq), OK and ERR responses and their status, the FENCE flag,
 * headers and bodies cut at every length (a violation each when the copy
 * was exact), hostile types and flags, responses too short, and
 * best-effort copies (no violations; a buffer holding no response). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define BUF(n) (FX_RAM_BASE + 0x10000 + 0x400 * (uint64_t)(n))
#define CQ 0u
#define CUR 1u
#define WCAP 256u

struct cmd {
	uint8_t b[256];
	uint32_t n;
};

static void put32(struct cmd *c, uint32_t v) { le32_put(c->b + c->n, v); c->n += 4; }

static void hdr(struct cmd *c, uint32_t type, uint32_t flags, uint64_t fence, uint32_t ctx)
{
	memset(c->b, 0, sizeof(c->b));
	le32_put(c->b, type);
	le32_put(c->b + 4, flags);
	le64_put(c->b + 8, fence);
	le32_put(c->b + 16, ctx);
	c->n = 24;
}

static void rect(struct cmd *c, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	put32(c, x), put32(c, y), put32(c, w), put32(c, h);
}

/* Command t (tlen bytes) on queue qi at descriptors base, base + 1 (a
 * WCAP writable buffer); the device writes response r (rlen bytes) and
 * reports used.  rough: both buffers are best-effort snapshots. */
static void gpu_xfer(struct fx *fx, unsigned qi, uint32_t base, const uint8_t *t, uint32_t tlen,
		     const uint8_t *r, uint32_t rlen, uint32_t used, uint32_t wcap, bool rough)
{
	uint16_t fl = rough ? VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT : 0;
	const struct fx_seg s[2] = {
		{ .gpa = BUF(base), .len = tlen, .data = t, .data_len = tlen, .mem_flags = fl },
		{ .gpa = BUF(base + 1), .len = wcap, .write = true, .data = r, .data_len = rlen, .mem_flags = fl },
	};

	fx_chain(fx, qi, base, s, 2, used, true);
}

static void xfer(struct fx *fx, unsigned qi, uint32_t base, struct cmd *t, uint32_t resp, uint32_t extra)
{
	struct cmd r;

	hdr(&r, resp, t->b[4] & 1, le64_get(t->b + 8), 0);
	gpu_xfer(fx, qi, base, t->b, t->n, r.b, 24 + extra, 24 + extra, WCAP, false);
}

static void gpu_open(struct fx *fx, const char *name)
{
	fx_open(fx, name);
	fx->qsize = 64;
	fx_init_device(fx, VIRTIO_ID_GPU, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(0), 2);
}

static int64_t status_of(struct fx *fx, unsigned id)
{
	return fx_int(fx, fx_sql("SELECT coalesce(status, -1) FROM requests WHERE request = %u", id));
}

static void test_gpu_commands(void)
{
	struct fx fx;
	struct cmd t;

	gpu_open(&fx, "gpu.db");
	hdr(&t, 0x100, 0, 0, 0);
	xfer(&fx, CQ, 0, &t, 0x1101, 200); /* 1 */
	hdr(&t, 0x101, 0, 0, 0), put32(&t, 1), put32(&t, 2), put32(&t, 1024), put32(&t, 768);
	xfer(&fx, CQ, 2, &t, 0x1100, 0); /* 2 */
	hdr(&t, 0x106, 0, 0, 0), put32(&t, 1), put32(&t, 1), put32(&t, 0x1000), put32(&t, 0), put32(&t, 4096), put32(&t, 0);
	xfer(&fx, CQ, 4, &t, 0x1100, 0); /* 3 */
	hdr(&t, 0x103, 0, 0, 0), rect(&t, 0, 0, 1024, 768), put32(&t, 0), put32(&t, 1);
	xfer(&fx, CQ, 6, &t, 0x1100, 0); /* 4 */
	hdr(&t, 0x105, 1, 7, 0), rect(&t, 8, 16, 32, 64), put32(&t, 0x40), put32(&t, 0), put32(&t, 1), put32(&t, 0);
	xfer(&fx, CQ, 8, &t, 0x1100, 0); /* 5 */
	hdr(&t, 0x104, 1, 8, 0), rect(&t, 0, 0, 1024, 768), put32(&t, 1), put32(&t, 0);
	xfer(&fx, CQ, 10, &t, 0x1100, 0); /* 6 */
	hdr(&t, 0x102, 0, 0, 0), put32(&t, 99), put32(&t, 0);
	xfer(&fx, CQ, 12, &t, 0x1203, 0); /* 7 */
	hdr(&t, 0x108, 0, 0, 0), put32(&t, 0), put32(&t, 0);
	xfer(&fx, CQ, 14, &t, 0x1102, 16); /* 8 */
	hdr(&t, 0x10a, 0, 0, 0), put32(&t, 3), put32(&t, 0);
	xfer(&fx, CQ, 16, &t, 0x1202, 0); /* 9 */
	hdr(&t, 0x10c, 0, 0, 0), put32(&t, 5), put32(&t, 2), put32(&t, 0), put32(&t, 0), put32(&t, 0), put32(&t, 0);
	put32(&t, 0x100000), put32(&t, 0);
	xfer(&fx, CQ, 18, &t, 0x1205, 0); /* 10 */
	hdr(&t, 0x200, 0, 0, 3);
	for (unsigned i = 0; i < 18; i++)
		put32(&t, 0);
	xfer(&fx, CQ, 20, &t, 0x1204, 0); /* 11 */
	hdr(&t, 0x207, 3, 9, 3), put32(&t, 64), put32(&t, 0);
	t.b[20] = 2;
	for (unsigned i = 0; i < 16; i++)
		put32(&t, 0);
	xfer(&fx, CQ, 22, &t, 0x1100, 0); /* 12 */
	hdr(&t, 0x300, 0, 0, 0), put32(&t, 0), put32(&t, 100), put32(&t, 200), put32(&t, 0), put32(&t, 7);
	put32(&t, 0), put32(&t, 0), put32(&t, 0);
	xfer(&fx, CUR, 0, &t, 0x1100, 0); /* 13 */
	hdr(&t, 0x301, 0, 0, 0), put32(&t, 1), put32(&t, 5), put32(&t, 6), put32(&t, 0), put32(&t, 0);
	put32(&t, 0), put32(&t, 0), put32(&t, 0);
	xfer(&fx, CUR, 2, &t, 0x1100, 0); /* 14 */
	hdr(&t, 0x10d, 0, 0, 0), rect(&t, 0, 0, 640, 480), put32(&t, 0), put32(&t, 5), put32(&t, 640), put32(&t, 480);
	put32(&t, 2);
	for (unsigned i = 0; i < 9; i++)
		put32(&t, 0);
	xfer(&fx, CQ, 24, &t, 0x1100, 0); /* 15 */
	/* 16: a cursor command as Linux sends it, no response buffer. */
	hdr(&t, 0x301, 0, 0, 0), put32(&t, 0), put32(&t, 9), put32(&t, 8), put32(&t, 0), put32(&t, 0);
	put32(&t, 0), put32(&t, 0), put32(&t, 0);
	fx_drv(&fx, BUF(4), t.b, t.n);
	fx_desc(&fx, FX_DESC(CUR), 4, BUF(4), t.n, 0, 0);
	fx_publish(&fx, CUR, 4);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, CUR);
	fx_used(&fx, CUR, 4, 0);
	fx_irq(&fx, 1);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'gpu-ctrl' AND queue = 0"), 13);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'gpu-cursor' AND queue = 1"), 3);
	CHECK_STR(fx_op(&fx, 1), "GET_DISPLAY_INFO -> OK_DISPLAY_INFO");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 1"), 200);
	CHECK_STR(fx_op(&fx, 2), "RESOURCE_CREATE_2D res 1 fmt 2 1024x768 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 3), "RESOURCE_ATTACH_BACKING res 1 entries 1 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 4), "SET_SCANOUT scanout 0 res 1 rect 1024x768+0+0 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 5), "TRANSFER_TO_HOST_2D res 1 rect 32x64+8+16 offset 64 fence 7 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 6), "RESOURCE_FLUSH res 1 rect 1024x768+0+0 fence 8 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 7), "RESOURCE_UNREF res 99 -> ERR_INVALID_RESOURCE_ID");
	CHECK_EQ_U(status_of(&fx, 7), 4);
	CHECK_STR(fx_op(&fx, 8), "GET_CAPSET_INFO index 0 -> OK_CAPSET_INFO");
	CHECK_STR(fx_op(&fx, 9), "GET_EDID scanout 3 -> ERR_INVALID_SCANOUT_ID");
	CHECK_EQ_U(status_of(&fx, 9), 3);
	CHECK_STR(fx_op(&fx, 10), "RESOURCE_CREATE_BLOB res 5 mem 2 size 1048576 -> ERR_INVALID_PARAMETER");
	CHECK_EQ_U(status_of(&fx, 10), 6);
	CHECK_STR(fx_op(&fx, 11), "CTX_CREATE ctx 3 -> ERR_INVALID_CONTEXT_ID");
	CHECK_EQ_U(status_of(&fx, 11), 5);
	CHECK_STR(fx_op(&fx, 12), "SUBMIT_3D ctx 3 size 64 fence 9 ring 2 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 13), "UPDATE_CURSOR scanout 0 pos 100x200 res 7 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 14), "MOVE_CURSOR scanout 1 pos 5x6 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 15), "SET_SCANOUT_BLOB scanout 0 res 5 640x480 fmt 2 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 16), "MOVE_CURSOR scanout 0 pos 9x8");
	CHECK_EQ_U(status_of(&fx, 16), -1);
	CHECK_EQ_U(status_of(&fx, 2), 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* A RESOURCE_CREATE_2D (40 bytes) cut at every length 0..39, exact: each a
 * violation and a row saying how far it went; then hostile types, flags
 * and responses. */
static void test_gpu_cut(void)
{
	struct fx fx;
	struct cmd t, r;
	char want[96];

	gpu_open(&fx, "gpu-cut.db");
	hdr(&t, 0x101, 1, 5, 0), put32(&t, 1), put32(&t, 2), put32(&t, 64), put32(&t, 48);
	hdr(&r, 0x1100, 0, 0, 0);
	for (uint32_t n = 1; n < 40; n++)
		gpu_xfer(&fx, CQ, 2 * ((n - 1) % 30), t.b, n, r.b, 24, 24, WCAP, false);
	uint32_t id = 39;
	/* 40: an unknown type with stray flags; 41: type 0xffffffff answered
	 * by an unknown 0x12ff; 42: a response of 10 bytes; 43: a 16-byte
	 * response buffer; 44: an unknown response type (exact). */
	hdr(&t, 0x4242, 0xf0, 0, 0), put32(&t, 1);
	gpu_xfer(&fx, CQ, 60, t.b, t.n, r.b, 24, 24, WCAP, false);
	hdr(&t, 0xffffffff, 0, 0, 0);
	hdr(&r, 0x12ff, 0, 0, 0);
	gpu_xfer(&fx, CQ, 62, t.b, t.n, r.b, 24, 24, WCAP, false);
	hdr(&t, 0x100, 0, 0, 0);
	hdr(&r, 0x1100, 0, 0, 0);
	gpu_xfer(&fx, CQ, 0, t.b, t.n, r.b, 10, 10, WCAP, false);
	gpu_xfer(&fx, CQ, 2, t.b, t.n, r.b, 16, 16, 16, false);
	hdr(&r, 0x7777, 0, 0, 0);
	gpu_xfer(&fx, CQ, 4, t.b, t.n, r.b, 24, 24, WCAP, false);
	fx_finish(&fx);

	CHECK_STR(fx_op(&fx, 1), "? (cut: 1 of 24 header bytes) -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 3), "? (cut: 3 of 24 header bytes) -> OK_NODATA");
	for (uint32_t n = 4; n < 24; n++) {
		snprintf(want, sizeof(want), "RESOURCE_CREATE_2D (cut: %u of 24 header bytes) -> OK_NODATA", n);
		CHECK_STR(fx_op(&fx, n), want);
	}
	CHECK_STR(fx_op(&fx, 24), "RESOURCE_CREATE_2D fence 5 (cut: 24 of 40 bytes) -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 28), "RESOURCE_CREATE_2D res 1 fence 5 (cut: 28 of 40 bytes) -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 31), "RESOURCE_CREATE_2D res 1 fence 5 (cut: 31 of 40 bytes) -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 32), "RESOURCE_CREATE_2D res 1 fmt 2 fence 5 (cut: 32 of 40 bytes) -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 39), "RESOURCE_CREATE_2D res 1 fmt 2 fence 5 (cut: 39 of 40 bytes) -> OK_NODATA");
	CHECK_STR(fx_op(&fx, id + 1), "type 0x4242 flags 0xf0 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, id + 2), "type 0xffffffff -> type 0x12ff");
	CHECK_EQ_U(status_of(&fx, id + 2), 255);
	CHECK_STR(fx_op(&fx, id + 3), "GET_DISPLAY_INFO -> ? (10 of 24 response bytes)");
	CHECK_EQ_U(status_of(&fx, id + 3), -1);
	CHECK_STR(fx_op(&fx, id + 4), "GET_DISPLAY_INFO -> ? (16-byte response buffer)");
	CHECK_STR(fx_op(&fx, id + 5), "GET_DISPLAY_INFO -> type 0x7777");
	CHECK_EQ_U(status_of(&fx, id + 5), 255);
	/* 39 cut commands, the short response, the short buffer. */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations WHERE rule = 'request-malformed'"), 39 + 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 39 + 2);
	fx_close(&fx);
}

/* Best-effort copies: a cut command and a short response are no
 * violations; a buffer holding no response says so. */
static void test_gpu_best_effort(void)
{
	struct fx fx;
	struct cmd t, r;

	gpu_open(&fx, "gpu-rough.db");
	hdr(&t, 0x101, 0, 0, 0), put32(&t, 1), put32(&t, 2), put32(&t, 64), put32(&t, 48);
	hdr(&r, 0x1100, 0, 0, 0);
	gpu_xfer(&fx, CQ, 0, t.b, t.n, r.b, 24, 24, WCAP, true);
	gpu_xfer(&fx, CQ, 2, t.b, 30, r.b, 24, 24, WCAP, true);
	gpu_xfer(&fx, CQ, 4, t.b, t.n, r.b, 24, 12, WCAP, true);
	hdr(&r, 0x101, 0, 0, 0); /* a command where the response should be */
	gpu_xfer(&fx, CQ, 6, t.b, t.n, r.b, 24, 24, WCAP, true);
	gpu_xfer(&fx, CQ, 8, t.b, t.n, r.b, 0, 24, WCAP, true);
	fx_finish(&fx);

	CHECK_STR(fx_op(&fx, 1), "RESOURCE_CREATE_2D res 1 fmt 2 64x48 -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 2), "RESOURCE_CREATE_2D res 1 (cut: 30 of 40 bytes) -> OK_NODATA");
	CHECK_STR(fx_op(&fx, 3), "RESOURCE_CREATE_2D res 1 fmt 2 64x48 -> OK_NODATA (used len 12)");
	CHECK_STR(fx_op(&fx, 4), "RESOURCE_CREATE_2D res 1 fmt 2 64x48 -> ? (buffer holds 0x101: copied late)");
	CHECK_EQ_U(status_of(&fx, 4), -1);
	CHECK_STR(fx_op(&fx, 5), "RESOURCE_CREATE_2D res 1 fmt 2 64x48 -> ? (no response in the copy)");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations WHERE rule = 'request-malformed'"), 0);
	fx_close(&fx);
}

/* Random bytes for command and response: no crash, op within limits. */
static void test_gpu_random(void)
{
	struct fx fx;
	uint8_t t[128], r[64];
	uint32_t seed = 12345;

	gpu_open(&fx, "gpu-rand.db");
	for (unsigned i = 0; i < 30; i++) {
		for (unsigned j = 0; j < sizeof(t); j++)
			t[j] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
		for (unsigned j = 0; j < sizeof(r); j++)
			r[j] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
		if (i & 1) {
			le32_put(t, 0x100 + (i % 14));
			le32_put(r, 0x1100 + (i % 9) * 0x20);
		}
		uint32_t tl = 1 + (seed >> 8) % sizeof(t), rl = (seed >> 4) % sizeof(r);
		gpu_xfer(&fx, i & 2 ? CUR : CQ, 2 * (i / 2 % 20), t, tl, r, rl, (seed >> 12) % 100, 1 + seed % 80,
			 i % 3 == 0);
	}
	fx_finish(&fx);
	CHECK(fx_int(&fx, "SELECT count(*) FROM requests") > 0);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE length(op) >= 80"), 0);
	fx_close(&fx);
}

int main(void)
{
	RUN(test_gpu_commands);
	RUN(test_gpu_cut);
	RUN(test_gpu_best_effort);
	RUN(test_gpu_random);
	return harness_finish("test_req_gpu");
}
