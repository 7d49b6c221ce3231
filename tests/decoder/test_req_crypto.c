/* virtio-crypto request decoding from hand-built traces: create and
 * destroy session for every service (with algorithm names and the new
 * session id), data operations with their lengths, every status code
 * (and codes past the list), headers cut at every length (exact copies:
 * request-malformed below the header; partial copies: decoded as far as
 * they go with " (cut)"), headers split across descriptors, hostile
 * opcodes, best-effort copies and random bytes (no crash, op text within
 * its limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define DQ 0u /* dataq (max_dataqueues unset: one) */
#define CQ 1u /* controlq */

struct xfer {
	unsigned q;
	const uint8_t *req;
	uint32_t req_len;   /* readable bytes (0: no readable descriptor) */
	uint32_t copied;    /* of them in the trace (UINT32_MAX: all) */
	uint16_t mem_flags; /* for the request's copy (0: a driver store) */
	uint32_t split;     /* nonzero: the request in two descriptors */
	uint32_t wlen;      /* writable bytes */
	const uint8_t *resp;
	uint32_t resp_len, resp_off; /* what the device writes, where */
};

/* Publish x at descriptors base.. (at most 3), device answers, interrupt. */
static void xfer(struct fx *fx, uint32_t base, const struct xfer *x)
{
	struct fx_seg s[3];
	unsigned n = 0;

	if (x->req_len)
		fx_segs_out(s, &n, base, x->req, x->req_len, x->split, x->copied, x->mem_flags);
	s[n] = (struct fx_seg){ .gpa = FX_BUF(base + n), .len = x->wlen, .write = true, .data = x->resp,
				.data_len = x->resp_len, .data_off = x->resp_off };
	fx_chain(fx, x->q, base, s, n + 1, x->wlen, true);
}

static void crypto_open(struct fx *fx, const char *name)
{
	fx_open(fx, name);
	fx->qsize = 64;
	fx_init_device(fx, VIRTIO_ID_CRYPTO, VIRTIO_BIT(VIRTIO_F_VERSION_1), 2);
}

/* A 72-byte control request (header + 56 bytes of parameters). */
static void ctrl_req(uint8_t out[72], uint32_t opcode, uint32_t algo, uint32_t queue_id, uint64_t session)
{
	memset(out, 0, 72);
	le32_put(out, opcode);
	le32_put(out + 4, algo);
	le32_put(out + 12, queue_id);
	le64_put(out + 16, session);
}

/* A 72-byte data request (header + 48 bytes of parameters p[0..5]). */
static void data_req(uint8_t out[72], uint32_t opcode, uint64_t session, const uint32_t p[6])
{
	memset(out, 0, 72);
	le32_put(out, opcode);
	le64_put(out + 8, session);
	for (unsigned i = 0; i < 6; i++)
		le32_put(out + 24 + 4 * i, p[i]);
}

/* Create then destroy a session of every service. */
static void test_crypto_sessions(void)
{
	struct fx fx;
	uint8_t req[72], resp[16];
	static const uint32_t create[5] = { 0x002, 0x102, 0x202, 0x302, 0x404 };
	static const uint32_t destroy[5] = { 0x003, 0x103, 0x203, 0x303, 0x405 };
	static const uint32_t algo[5] = { 3 /* AES_CBC */, 4 /* SHA_256 */, 2, 1 /* GCM */, 1 /* RSA */ };
	static const char *const want_create[5] = {
		"CREATE_SESSION CIPHER AES_CBC queue 0 -> session 10",
		"CREATE_SESSION HASH SHA_256 queue 0 -> session 11",
		"CREATE_SESSION MAC algo 2 queue 0 -> session 12",
		"CREATE_SESSION AEAD GCM queue 0 -> session 13",
		"CREATE_SESSION AKCIPHER RSA queue 0 -> session 14",
	};
	static const char *const want_destroy[5] = {
		"DESTROY_SESSION CIPHER session 10 -> OK",
		"DESTROY_SESSION HASH session 11 -> OK",
		"DESTROY_SESSION MAC session 12 -> OK",
		"DESTROY_SESSION AEAD session 13 -> OK",
		"DESTROY_SESSION AKCIPHER session 14 -> OK",
	};

	crypto_open(&fx, "crypto-sessions.db");
	for (unsigned s = 0; s < 5; s++) {
		ctrl_req(req, create[s], algo[s], 0, 0);
		memset(resp, 0, sizeof(resp));
		le64_put(resp, 10 + s);
		struct xfer x = { .q = CQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 16,
				  .resp = resp, .resp_len = 16 };
		xfer(&fx, 4 * s, &x);
	}
	for (unsigned s = 0; s < 5; s++) {
		ctrl_req(req, destroy[s], 0, 0, 10 + s);
		uint8_t st = 0;
		struct xfer x = { .q = CQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .split = 8, .wlen = 1,
				  .resp = &st, .resp_len = 1 };
		xfer(&fx, 20 + 4 * s, &x);
	}
	/* A failed create: NOTSUPP, and a status past any u8. */
	ctrl_req(req, 0x002, 14 /* ZUC_EEA3 */, 3, 0);
	memset(resp, 0, sizeof(resp));
	le32_put(resp + 8, 3);
	struct xfer x = { .q = CQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 16,
			  .resp = resp, .resp_len = 16 };
	xfer(&fx, 40, &x);
	le32_put(resp + 8, 0x1000);
	ctrl_req(req, 0x002, 99, 0, 0);
	xfer(&fx, 44, &x);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'crypto-ctrl' AND queue = 1"), 12);
	for (unsigned s = 0; s < 5; s++) {
		harness_case = want_create[s];
		CHECK_STR(fx_op(&fx, 1 + s), want_create[s]);
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT status FROM requests WHERE request = %u", 1 + s)), 0);
		CHECK_STR(fx_op(&fx, 6 + s), want_destroy[s]);
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT status FROM requests WHERE request = %u", 6 + s)), 0);
	}
	CHECK_STR(fx_op(&fx, 11), "CREATE_SESSION CIPHER ZUC_EEA3 queue 3 -> NOTSUPP");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 11"), 3);
	CHECK_STR(fx_op(&fx, 12), "CREATE_SESSION CIPHER algo 99 queue 0 -> status 4096");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 12"), -1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Data operations: names, session, lengths (length = src), status. */
static void test_crypto_data(void)
{
	struct fx fx;
	uint8_t req[72];
	static const struct { uint32_t opcode; uint32_t p[6]; const char *want; uint64_t length; } ops[] = {
		{ 0x000, { 16, 64, 64 }, "CIPHER_ENCRYPT session 7 iv 16 src 64 dst 64 -> OK", 64 },
		{ 0x001, { 16, 32, 32 }, "CIPHER_DECRYPT session 7 iv 16 src 32 dst 32 -> OK", 32 },
		{ 0x100, { 100, 32 }, "HASH session 7 src 100 result 32 -> OK", 100 },
		{ 0x200, { 50, 20 }, "MAC session 7 src 50 result 20 -> OK", 50 },
		{ 0x300, { 12, 8, 64, 80, 16 }, "AEAD_ENCRYPT session 7 iv 12 aad 8 src 64 dst 80 tag 16 -> OK", 64 },
		{ 0x301, { 12, 8, 80, 64, 16 }, "AEAD_DECRYPT session 7 iv 12 aad 8 src 80 dst 64 tag 16 -> OK", 80 },
		{ 0x400, { 32, 256 }, "AKCIPHER_ENCRYPT session 7 src 32 dst 256 -> OK", 32 },
		{ 0x401, { 256, 32 }, "AKCIPHER_DECRYPT session 7 src 256 dst 32 -> OK", 256 },
		{ 0x402, { 32, 64 }, "AKCIPHER_SIGN session 7 src 32 dst 64 -> OK", 32 },
		{ 0x403, { 96, 0 }, "AKCIPHER_VERIFY session 7 src 96 dst 0 -> OK", 96 },
	};
	const unsigned n = sizeof(ops) / sizeof(ops[0]);

	crypto_open(&fx, "crypto-data.db");
	for (unsigned i = 0; i < n; i++) {
		data_req(req, ops[i].opcode, 7, ops[i].p);
		/* Output data then the status byte; the output is junk 0xee. */
		static uint8_t out[300];
		memset(out, 0xee, sizeof(out));
		uint32_t wlen = 1 + (i % 3) * 64;
		out[wlen - 1] = 0;
		struct xfer x = { .q = DQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .split = i & 1 ? 30 : 0,
				  .wlen = wlen, .resp = out, .resp_len = wlen };
		xfer(&fx, 4 * i, &x);
	}
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'crypto-data' AND queue = 0"), n);
	for (unsigned i = 0; i < n; i++) {
		harness_case = ops[i].want;
		CHECK_STR(fx_op(&fx, 1 + i), ops[i].want);
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT length FROM requests WHERE request = %u", 1 + i)), ops[i].length);
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT status FROM requests WHERE request = %u", 1 + i)), 0);
	}
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Every status code on a data op and a destroy, and codes past the list. */
static void test_crypto_status(void)
{
	struct fx fx;
	uint8_t req[72];
	static const uint32_t p[6] = { 16, 16, 16 };
	static const char *const names[] = { "OK", "ERR", "BADMSG", "NOTSUPP", "INVSESS", "NOSPACE", "KEY_REJECTED",
					     "status 7", "status 255" };
	static const uint8_t codes[] = { 0, 1, 2, 3, 4, 5, 6, 7, 255 };
	const unsigned n = sizeof(codes);

	crypto_open(&fx, "crypto-status.db");
	for (unsigned i = 0; i < n; i++) {
		uint8_t out[17] = { 0 };
		out[16] = codes[i];
		data_req(req, 0x000, 1, p);
		struct xfer x = { .q = DQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 17,
				  .resp = out, .resp_len = 17 };
		xfer(&fx, 4 * i, &x);
		ctrl_req(req, 0x003, 0, 0, 1);
		struct xfer y = { .q = CQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 1,
				  .resp = &codes[i], .resp_len = 1 };
		xfer(&fx, 4 * i, &y);
	}
	fx_finish(&fx);
	for (unsigned i = 0; i < n; i++) {
		char want[128];
		harness_case = names[i];
		snprintf(want, sizeof(want), "CIPHER_ENCRYPT session 1 iv 16 src 16 dst 16 -> %s", names[i]);
		CHECK_STR(fx_text(&fx, fx_sql("SELECT op FROM requests WHERE kind = 'crypto-data' ORDER BY request LIMIT 1 OFFSET %u", i)), want);
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT status FROM requests WHERE kind = 'crypto-data' ORDER BY request LIMIT 1 OFFSET %u", i)), codes[i]);
		snprintf(want, sizeof(want), "DESTROY_SESSION CIPHER session 1 -> %s", names[i]);
		CHECK_STR(fx_text(&fx, fx_sql("SELECT op FROM requests WHERE kind = 'crypto-ctrl' ORDER BY request LIMIT 1 OFFSET %u", i)), want);
		CHECK_EQ_U(fx_int(&fx, fx_sql("SELECT status FROM requests WHERE kind = 'crypto-ctrl' ORDER BY request LIMIT 1 OFFSET %u", i)), codes[i]);
	}
	fx_close(&fx);
}

/* Exact copies of every length below the header and into the parameters:
 * below the header request-malformed, each decoded as far as it goes. */
static void test_crypto_cut_exact(void)
{
	struct fx fx;
	uint8_t req[72];
	static const uint32_t p[6] = { 16, 64, 64 };

	crypto_open(&fx, "crypto-cut.db");
	data_req(req, 0x000, 5, p);
	for (uint32_t len = 0; len <= 36; len++) {
		uint8_t st = 0;
		struct xfer x = { .q = DQ, .req = req, .req_len = len, .copied = UINT32_MAX, .wlen = 1,
				  .resp = &st, .resp_len = 1 };
		xfer(&fx, (2 * len) % 64, &x);
	}
	fx_finish(&fx);
	for (uint32_t len = 0; len <= 36; len++) {
		const char *want = len < 4 ? "(null)"
				   : len < 16 ? "CIPHER_ENCRYPT (cut) -> OK"
				   : len < 28 ? "CIPHER_ENCRYPT session 5 (cut) -> OK"
				   : len < 32 ? "CIPHER_ENCRYPT session 5 iv 16 (cut) -> OK"
				   : len < 36 ? "CIPHER_ENCRYPT session 5 iv 16 src 64 (cut) -> OK"
				   : "CIPHER_ENCRYPT session 5 iv 16 src 64 dst 64 -> OK";
		char c[32];
		snprintf(c, sizeof(c), "data len %u", len);
		harness_case = c;
		CHECK_STR(fx_op(&fx, 1 + len), want);
	}
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 24);
	fx_close(&fx);

	crypto_open(&fx, "crypto-cut-ctrl.db");
	ctrl_req(req, 0x404, 2, 1, 0);
	for (uint32_t len = 0; len <= 16; len++) {
		uint8_t resp[16] = { 9 };
		struct xfer x = { .q = CQ, .req = req, .req_len = len, .copied = UINT32_MAX, .wlen = 16,
				  .resp = resp, .resp_len = 16 };
		xfer(&fx, (2 * len) % 64, &x);
	}
	ctrl_req(req, 0x405, 0, 0, 77);
	for (uint32_t len = 16; len <= 24; len++) {
		uint8_t st = 4;
		struct xfer x = { .q = CQ, .req = req, .req_len = len, .copied = UINT32_MAX, .wlen = 1,
				  .resp = &st, .resp_len = 1 };
		xfer(&fx, (2 * len) % 64, &x);
	}
	fx_finish(&fx);
	for (uint32_t len = 0; len <= 16; len++) {
		const char *want = len < 4 ? "(null)"
				   : len < 8 ? "CREATE_SESSION AKCIPHER (cut) -> session 9"
				   : len < 16 ? "CREATE_SESSION AKCIPHER ECDSA (cut) -> session 9"
				   : "CREATE_SESSION AKCIPHER ECDSA queue 1 -> session 9";
		char c[32];
		snprintf(c, sizeof(c), "ctrl len %u", len);
		harness_case = c;
		CHECK_STR(fx_op(&fx, 1 + len), want);
	}
	for (uint32_t len = 16; len <= 24; len++)
		CHECK_STR(fx_op(&fx, 18 + len - 16), len < 24 ? "DESTROY_SESSION AKCIPHER (cut) -> INVSESS"
							     : "DESTROY_SESSION AKCIPHER session 77 -> INVSESS");
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 16);
	fx_close(&fx);
}

/* Copies holding only part of the header (the rest never stored), and
 * best-effort snapshots: decoded as far as they go, never malformed. */
static void test_crypto_best_effort(void)
{
	struct fx fx;
	uint8_t req[72];
	static const uint32_t p[6] = { 100, 32 };

	crypto_open(&fx, "crypto-rough.db");
	data_req(req, 0x100, 3, p);
	for (uint32_t copied = 0; copied <= 24; copied += 4) {
		uint8_t out[33] = { 0 };
		out[32] = 1;
		struct xfer x = { .q = DQ, .req = req, .req_len = 72, .copied = copied, .wlen = 33,
				  .resp = out, .resp_len = 33 };
		xfer(&fx, copied, &x);
	}
	/* A best-effort snapshot of all of it; a reply never copied. */
	struct xfer x = { .q = DQ, .req = req, .req_len = 72, .copied = UINT32_MAX,
			  .mem_flags = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT, .wlen = 33 };
	xfer(&fx, 40, &x);
	fx_finish(&fx);
	CHECK_STR(fx_op(&fx, 1), "(null)");
	CHECK_STR(fx_op(&fx, 2), "HASH (cut) -> ERR");
	CHECK_STR(fx_op(&fx, 3), "HASH (cut) -> ERR");
	CHECK_STR(fx_op(&fx, 4), "HASH (cut) -> ERR");
	CHECK_STR(fx_op(&fx, 5), "HASH session 3 (cut) -> ERR");
	CHECK_STR(fx_op(&fx, 6), "HASH session 3 (cut) -> ERR");
	CHECK_STR(fx_op(&fx, 7), "HASH session 3 (cut) -> ERR");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 7"), 1);
	CHECK_STR(fx_op(&fx, 8), "HASH session 3 src 100 result 32");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 8"), -1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 8"), 100);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 0);
	fx_close(&fx);
}

/* A control request in best-effort copies whose answer still holds what
 * the driver preset (Linux: status ERR) when its used entry is seen: the
 * copy missed the device's answer, shown as "-> ? (answer not in the
 * copy)" without a status; a later copy holding the answer, and an exact
 * trace (nothing copied late), decode it as before. */
static void stale_ctrl(struct fx *fx, uint32_t d, const uint8_t *req, const uint8_t *pre, const uint8_t *after,
		       uint32_t wlen, uint16_t flags)
{
	fx_mem(fx, FX_BUF(d), req, 72, flags);
	if (pre) /* NULL: no copy shows the preset */
		fx_mem(fx, FX_BUF(d + 1), pre, wlen, flags);
	fx_desc(fx, FX_DESC(CQ), d, FX_BUF(d), 72, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
	fx_desc(fx, FX_DESC(CQ), d + 1, FX_BUF(d + 1), wlen, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(fx, CQ, (uint16_t)d);
	fx_mmio(fx, true, MMIO_QUEUE_NOTIFY, CQ);
	if (after)
		fx_mem(fx, FX_BUF(d + 1), after, wlen, flags);
	fx_used(fx, CQ, d, wlen);
	fx_irq(fx, 1);
	fx_mmio(fx, false, MMIO_INTERRUPT_STATUS, 1);
	fx_mmio(fx, true, MMIO_INTERRUPT_ACK, 1);
}

static void test_crypto_ctrl_stale(void)
{
	struct fx fx;
	uint8_t req[72], pre[16] = { 0 }, ans[16] = { 0 }, err1 = 1;
	const uint16_t rough = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;

	le32_put(pre + 8, 1);  /* status ERR, session 0: Linux's preset */
	le64_put(ans, 5);      /* session 5, OK */
	crypto_open(&fx, "crypto-stale.db");
	ctrl_req(req, 0x002, 3, 0, 0);
	stale_ctrl(&fx, 0, req, pre, pre, 16, rough);  /* the next request's preset */
	stale_ctrl(&fx, 2, req, pre, NULL, 16, rough); /* no copy since the avail one */
	stale_ctrl(&fx, 4, req, pre, ans, 16, rough);  /* the answer copied in time */
	stale_ctrl(&fx, 6, req, pre, NULL, 16, VMT_MEM_DRIVER_WRITE); /* exact: the device left ERR */
	ctrl_req(req, 0x003, 0, 0, 5);
	stale_ctrl(&fx, 8, req, &err1, &err1, 1, rough);
	/* No copy showed the preset: ERR read later may still be it; another
	 * status is the device's.  (Exact stores keep ERR: request 4.) */
	ctrl_req(req, 0x002, 3, 0, 0);
	stale_ctrl(&fx, 10, req, NULL, pre, 16, rough);
	le32_put(ans + 8, 2); /* BADMSG */
	stale_ctrl(&fx, 12, req, NULL, ans, 16, rough);
	fx_finish(&fx);
	CHECK_STR(fx_op(&fx, 1), "CREATE_SESSION CIPHER AES_CBC queue 0 -> ? (answer not in the copy)");
	CHECK_EQ_U(fx_int(&fx, "SELECT status IS NULL FROM requests WHERE request = 1"), 1);
	CHECK_STR(fx_op(&fx, 2), "CREATE_SESSION CIPHER AES_CBC queue 0 -> ? (answer not in the copy)");
	CHECK_STR(fx_op(&fx, 3), "CREATE_SESSION CIPHER AES_CBC queue 0 -> session 5");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 3"), 0);
	CHECK_STR(fx_op(&fx, 4), "CREATE_SESSION CIPHER AES_CBC queue 0 -> ERR");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 4"), 1);
	CHECK_STR(fx_op(&fx, 5), "DESTROY_SESSION CIPHER session 5 -> ? (answer not in the copy)");
	CHECK_STR(fx_op(&fx, 6), "CREATE_SESSION CIPHER AES_CBC queue 0 -> ERR? (may be the driver's preset)");
	CHECK_EQ_U(fx_int(&fx, "SELECT status IS NULL FROM requests WHERE request = 6"), 1);
	CHECK_STR(fx_op(&fx, 7), "CREATE_SESSION CIPHER AES_CBC queue 0 -> BADMSG");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 7"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Opcodes no table names, on both queues. */
static void test_crypto_hostile(void)
{
	struct fx fx;
	uint8_t req[72];
	static const uint32_t p[6] = { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff };
	static const uint32_t opcodes[] = { 0xffffffff, 0x500, 0x004, 0x002, 0x404 };

	crypto_open(&fx, "crypto-hostile.db");
	for (unsigned i = 0; i < 5; i++) {
		uint8_t st = 2;
		data_req(req, opcodes[i], UINT64_MAX, p);
		struct xfer x = { .q = DQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 1,
				  .resp = &st, .resp_len = 1 };
		xfer(&fx, 4 * i, &x);
		ctrl_req(req, opcodes[i], 0xffffffff, 0xffffffff, UINT64_MAX);
		struct xfer y = { .q = CQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 1,
				  .resp = &st, .resp_len = 1 };
		xfer(&fx, 4 * i, &y);
	}
	/* AEAD with every field at its largest: cut at the text limit. */
	data_req(req, 0x300, UINT64_MAX, p);
	uint8_t st = 0;
	struct xfer x = { .q = DQ, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 1,
			  .resp = &st, .resp_len = 1 };
	xfer(&fx, 40, &x);
	fx_finish(&fx);
	CHECK_STR(fx_op(&fx, 1), "opcode 0xffffffff session 18446744073709551615 -> BADMSG");
	CHECK_STR(fx_op(&fx, 2), "opcode 0xffffffff -> BADMSG");
	CHECK_STR(fx_op(&fx, 3), "opcode 0x500 session 18446744073709551615 -> BADMSG");
	CHECK_STR(fx_op(&fx, 4), "opcode 0x500 -> BADMSG");
	CHECK_STR(fx_op(&fx, 5), "opcode 0x4 session 18446744073709551615 -> BADMSG");
	CHECK_STR(fx_op(&fx, 7), "opcode 0x2 session 18446744073709551615 -> BADMSG");
	/* A create with a 1-byte answer buffer: malformed, no status. */
	CHECK_STR(fx_op(&fx, 8), "CREATE_SESSION CIPHER algo 4294967295 queue 4294967295");
	CHECK_STR(fx_op(&fx, 9), "opcode 0x404 session 18446744073709551615 -> BADMSG");
	CHECK_STR(fx_op(&fx, 10), "CREATE_SESSION AKCIPHER algo 4294967295 queue 4294967295");
	CHECK_EQ_U(fx_int(&fx, "SELECT length(op) < 80 FROM requests WHERE request = 11"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 11"), 0xffffffff);
	CHECK_EQ_U(fx_int(&fx, "SELECT max(length(op)) < 80 FROM requests"), 1);
	CHECK_EQ_U(fx_n_rule(&fx, "request-malformed"), 2);
	fx_close(&fx);
}

/* max_dataqueues 2 (as the driver read it): dataq 0 and 1, controlq 2. */
static void test_crypto_two_dataqs(void)
{
	struct fx fx;
	uint8_t req[72], resp[16] = { 5 };
	static const uint32_t p[6] = { 16, 32, 32 };

	fx_open(&fx, "crypto-2q.db");
	fx.qsize = 64;
	/* As Linux's probe: features, max_dataqueues from the config, then
	 * the queues (their roles follow the config as it stood). */
	fx_mmio(&fx, false, MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
	fx_mmio(&fx, false, MMIO_VERSION, 2);
	fx_mmio(&fx, false, MMIO_DEVICE_ID, VIRTIO_ID_CRYPTO);
	fx_mmio(&fx, true, MMIO_STATUS, 0);
	fx_mmio(&fx, true, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fx_mmio(&fx, true, MMIO_DRIVER_FEATURES_SEL, 1);
	fx_mmio(&fx, true, MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	uint32_t ds = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	fx_mmio(&fx, true, MMIO_STATUS, ds);
	fx_mmio(&fx, false, MMIO_STATUS, ds);
	fx_mmio(&fx, false, MMIO_CONFIG + 4, 2);
	for (unsigned i = 0; i < 3; i++) {
		fx_mmio(&fx, true, MMIO_QUEUE_SEL, i);
		fx_mmio(&fx, true, MMIO_QUEUE_NUM, fx.qsize);
		fx_mmio(&fx, true, MMIO_QUEUE_DESC_LOW, (uint32_t)FX_DESC(i));
		fx_mmio(&fx, true, MMIO_QUEUE_DESC_HIGH, (uint32_t)(FX_DESC(i) >> 32));
		fx_mmio(&fx, true, MMIO_QUEUE_DRIVER_LOW, (uint32_t)FX_AVAIL(i));
		fx_mmio(&fx, true, MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(FX_AVAIL(i) >> 32));
		fx_mmio(&fx, true, MMIO_QUEUE_DEVICE_LOW, (uint32_t)FX_USED(i));
		fx_mmio(&fx, true, MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(FX_USED(i) >> 32));
		fx_mmio(&fx, true, MMIO_QUEUE_READY, 1);
	}
	fx_mmio(&fx, true, MMIO_STATUS, ds | VIRTIO_STATUS_DRIVER_OK);
	ctrl_req(req, 0x002, 13, 1, 0);
	struct xfer x = { .q = 2, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 16,
			  .resp = resp, .resp_len = 16 };
	xfer(&fx, 0, &x);
	data_req(req, 0x001, 5, p);
	uint8_t st = 0;
	struct xfer y = { .q = 1, .req = req, .req_len = 72, .copied = UINT32_MAX, .wlen = 1,
			  .resp = &st, .resp_len = 1 };
	xfer(&fx, 0, &y);
	fx_finish(&fx);
	CHECK_STR(fx_text(&fx, "SELECT kind || ' ' || queue || ' ' || op FROM requests WHERE request = 1"),
		  "crypto-ctrl 2 CREATE_SESSION CIPHER AES_XTS queue 1 -> session 5");
	CHECK_STR(fx_text(&fx, "SELECT kind || ' ' || queue || ' ' || op FROM requests WHERE request = 2"),
		  "crypto-data 1 CIPHER_DECRYPT session 5 iv 16 src 32 dst 32 -> OK");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Random requests and replies of random sizes on both queues. */
static void test_crypto_random(void)
{
	struct fx fx;
	uint8_t req[72], out[64];

	srand(20);
	crypto_open(&fx, "crypto-random.db");
	for (unsigned i = 0; i < 300; i++) {
		for (unsigned k = 0; k < sizeof(req); k++)
			req[k] = (uint8_t)rand();
		for (unsigned k = 0; k < sizeof(out); k++)
			out[k] = (uint8_t)rand();
		if (i & 1)
			le32_put(req, (uint32_t)(rand() % 5) << 8 | (uint32_t)(rand() % 6));
		uint32_t wlen = (uint32_t)(rand() % 64) + 1;
		struct xfer x = { .q = i & 2 ? CQ : DQ, .req = req, .req_len = (uint32_t)(rand() % 73),
				  .copied = (uint32_t)(rand() % 80), .split = (uint32_t)(rand() % 40),
				  .wlen = wlen, .resp = out, .resp_len = (uint32_t)(rand() % (wlen + 1)) };
		xfer(&fx, (4 * i) % 64, &x);
	}
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 300);
	CHECK_EQ_U(fx_int(&fx, "SELECT coalesce(max(length(op)), 0) < 80 FROM requests"), 1);
	fx_close(&fx);
}

int main(void)
{
	RUN(test_crypto_sessions);
	RUN(test_crypto_data);
	RUN(test_crypto_status);
	RUN(test_crypto_cut_exact);
	RUN(test_crypto_best_effort);
	RUN(test_crypto_ctrl_stale);
	RUN(test_crypto_hostile);
	RUN(test_crypto_two_dataqs);
	RUN(test_crypto_random);
	return harness_finish("test_req_crypto");
}
