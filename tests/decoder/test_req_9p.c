/* virtio-9p request decoding from hand-built traces: a mount's worth of
 * 9P2000.L messages and their replies (types, tags, fids, walk names,
 * offsets and counts, Rlerror's errno, Twrite and Rread data), headers
 * split across descriptors, messages cut short or claiming sizes beyond
 * their buffers (at N and N+1), replies the device wrote only part of,
 * and random bytes (no crash, op text within its limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"

#define RQ 0u
#define WCAP 4096u

/* A message under construction: header filled by msg_end. */
struct msg {
	uint8_t b[2048];
	uint32_t n;
};

static void msg_begin(struct msg *m, uint8_t type, uint16_t tag)
{
	m->n = 7;
	m->b[4] = type;
	le16_put(m->b + 5, tag);
}

static void put8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void put16(struct msg *m, uint16_t v) { le16_put(m->b + m->n, v); m->n += 2; }
static void put32(struct msg *m, uint32_t v) { le32_put(m->b + m->n, v); m->n += 4; }
static void put64(struct msg *m, uint64_t v) { le64_put(m->b + m->n, v); m->n += 8; }
static void putbytes(struct msg *m, const void *p, uint32_t len) { memcpy(m->b + m->n, p, len); m->n += len; }
static void putstr(struct msg *m, const char *s)
{
	put16(m, (uint16_t)strlen(s));
	putbytes(m, s, (uint32_t)strlen(s));
}
static void msg_end(struct msg *m) { le32_put(m->b, m->n); }

static void qid(struct msg *m)
{
	put8(m, 0x80);
	put32(m, 1);
	put64(m, 42);
}

/* Publish T-message t (tlen bytes, split into two descriptors at split if
 * nonzero) and a writable buffer of WCAP bytes at descriptors base..; the
 * device writes reply r (rlen bytes) and reports used length used. */
static void p9_xfer(struct fx *fx, uint32_t base, const uint8_t *t, uint32_t tlen, uint32_t split,
		    const uint8_t *r, uint32_t rlen, uint32_t used)
{
	struct fx_seg s[3];
	unsigned n = 0;

	fx_segs_out(s, &n, base, t, tlen, split, UINT32_MAX, 0);
	s[n] = (struct fx_seg){ .gpa = FX_BUF(base + n), .len = WCAP, .write = true, .data = r, .data_len = rlen };
	fx_chain(fx, RQ, base, s, n + 1, used, true);
}

static void xfer(struct fx *fx, uint32_t base, struct msg *t, struct msg *r)
{
	msg_end(t);
	msg_end(r);
	p9_xfer(fx, base, t->b, t->n, 0, r->b, r->n, r->n);
}

static void p9_open(struct fx *fx, const char *name)
{
	fx_open(fx, name);
	fx->qsize = 64;
	fx_init_device(fx, VIRTIO_ID_9P, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(0), 1);
}

static void test_9p_mount(void)
{
	struct fx fx;
	struct msg t, r;
	const char data[] = "vmtrace 9p line\n";
	const uint32_t dlen = sizeof(data) - 1;

	p9_open(&fx, "9p.db");
	msg_begin(&t, 100, 0xffff), put32(&t, 512000), putstr(&t, "9P2000.L");
	msg_begin(&r, 101, 0xffff), put32(&r, 512000), putstr(&r, "9P2000.L");
	xfer(&fx, 0, &t, &r);
	msg_begin(&t, 104, 0), put32(&t, 0), put32(&t, 0xffffffff), putstr(&t, "root"), putstr(&t, ""), put32(&t, 0);
	msg_begin(&r, 105, 0), qid(&r);
	xfer(&fx, 2, &t, &r);
	msg_begin(&t, 110, 1), put32(&t, 0), put32(&t, 1), put16(&t, 2), putstr(&t, "dir"), putstr(&t, "f.txt");
	msg_begin(&r, 111, 1), put16(&r, 2), qid(&r), qid(&r);
	xfer(&fx, 4, &t, &r);
	msg_begin(&t, 14, 2), put32(&t, 1), putstr(&t, "new.txt"), put32(&t, 0x8241), put32(&t, 0644), put32(&t, 0);
	msg_begin(&r, 15, 2), qid(&r), put32(&r, 0);
	xfer(&fx, 6, &t, &r);
	msg_begin(&t, 118, 3), put32(&t, 1), put64(&t, 0), put32(&t, dlen), putbytes(&t, data, dlen);
	msg_begin(&r, 119, 3), put32(&r, dlen);
	xfer(&fx, 8, &t, &r);
	msg_begin(&t, 116, 4), put32(&t, 1), put64(&t, 4096), put32(&t, 8192);
	msg_begin(&r, 117, 4), put32(&r, dlen), putbytes(&r, data, dlen);
	xfer(&fx, 10, &t, &r);
	msg_begin(&t, 120, 5), put32(&t, 1);
	msg_begin(&r, 121, 5);
	xfer(&fx, 12, &t, &r);
	msg_begin(&t, 110, 6), put32(&t, 0), put32(&t, 2), put16(&t, 1), putstr(&t, "nope\x01'");
	msg_begin(&r, 7, 6), put32(&r, 2);
	xfer(&fx, 14, &t, &r);
	msg_begin(&t, 24, 7), put32(&t, 0), put64(&t, 0x3fff);
	msg_begin(&r, 7, 9), put32(&r, 1234); /* wrong tag, unnamed errno */
	xfer(&fx, 16, &t, &r);
	msg_begin(&t, 110, 8), put32(&t, 0), put32(&t, 3), put16(&t, 0);
	msg_begin(&r, 111, 8), put16(&r, 0);
	xfer(&fx, 18, &t, &r);
	fx_finish(&fx);

	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = '9p' AND queue = 0"), 10);
	CHECK_STR(fx_op(&fx, 1), "Tversion tag 65535 msize 512000 '9P2000.L' -> Rversion msize 512000 '9P2000.L'");
	CHECK_STR(fx_op(&fx, 2), "Tattach tag 0 fid 0 uname 'root' aname '' -> Rattach");
	CHECK_STR(fx_op(&fx, 3), "Twalk tag 1 fid 0 newfid 1 'dir/f.txt' -> Rwalk nwqid 2");
	CHECK_STR(fx_op(&fx, 4), "Tlcreate tag 2 fid 1 'new.txt' flags 0x8241 mode 0644 -> Rlcreate");
	CHECK_STR(fx_op(&fx, 5), "Twrite tag 3 fid 1 offset 0 count 16 -> Rwrite count 16");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 5"), dlen);
	CHECK_STR(fx_text(&fx, "SELECT CAST(data AS TEXT) FROM requests WHERE request = 5"), data);
	char dig[17];
	snprintf(dig, sizeof(dig), "%016llx", (unsigned long long)fx_fnv(data, dlen));
	CHECK_STR(fx_text(&fx, "SELECT digest FROM requests WHERE request = 5"), dig);
	CHECK_STR(fx_op(&fx, 6), "Tread tag 4 fid 1 offset 4096 count 8192 -> Rread count 16");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 6"), dlen);
	CHECK_STR(fx_text(&fx, "SELECT CAST(data AS TEXT) FROM requests WHERE request = 6"), data);
	CHECK_STR(fx_text(&fx, "SELECT digest FROM requests WHERE request = 6"), dig);
	CHECK_STR(fx_op(&fx, 7), "Tclunk tag 5 fid 1 -> Rclunk");
	CHECK_STR(fx_op(&fx, 8), "Twalk tag 6 fid 0 newfid 2 'nope?" "?' -> Rlerror ENOENT");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 8"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 7"), 0);
	CHECK_STR(fx_op(&fx, 9), "Tgetattr tag 7 fid 0 -> Rlerror tag 9 errno 1234");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 9"), 255);
	CHECK_STR(fx_op(&fx, 10), "Twalk tag 8 fid 0 newfid 3 (clone) -> Rwalk nwqid 0");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* The header split inside size, inside tag, inside a walk name. */
static void test_9p_split(void)
{
	struct fx fx;
	struct msg t, r;

	p9_open(&fx, "9p-split.db");
	msg_begin(&t, 110, 1), put32(&t, 0), put32(&t, 1), put16(&t, 1), putstr(&t, "abc");
	msg_end(&t);
	msg_begin(&r, 111, 1), put16(&r, 1), qid(&r);
	msg_end(&r);
	const uint32_t splits[] = { 2, 6, 19 };
	for (unsigned i = 0; i < 3; i++)
		p9_xfer(&fx, 3 * i, t.b, t.n, splits[i], r.b, r.n, r.n);
	fx_finish(&fx);
	for (unsigned id = 1; id <= 3; id++)
		CHECK_STR(fx_op(&fx, id), "Twalk tag 1 fid 0 newfid 1 'abc' -> Rwalk nwqid 1");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations"), 0);
	fx_close(&fx);
}

/* Short buffers and lying sizes, each limit at N and N+1. */
static void test_9p_bounds(void)
{
	struct fx fx;
	struct msg t, r;
	uint8_t data[64];

	memset(data, 'x', sizeof(data));
	p9_open(&fx, "9p-bounds.db");
	msg_begin(&r, 121, 1);
	msg_end(&r);
	/* 1: 6 readable bytes, one short of the header. */
	msg_begin(&t, 120, 1), put32(&t, 1);
	msg_end(&t);
	p9_xfer(&fx, 0, t.b, 6, 0, r.b, r.n, r.n);
	/* 2: exactly the header (a Tclunk without its fid: cut). */
	le32_put(t.b, 7);
	p9_xfer(&fx, 2, t.b, 7, 0, r.b, r.n, r.n);
	/* 3: size field 6, below the header. */
	le32_put(t.b, 6);
	p9_xfer(&fx, 4, t.b, 11, 0, r.b, r.n, r.n);
	/* 4: a Twrite whose size is the buffer's (N), 5: one more (N + 1). */
	msg_begin(&t, 118, 2), put32(&t, 1), put64(&t, 0), put32(&t, 64), putbytes(&t, data, 64);
	msg_end(&t);
	msg_begin(&r, 119, 2), put32(&r, 64);
	msg_end(&r);
	p9_xfer(&fx, 6, t.b, t.n, 0, r.b, r.n, r.n);
	le32_put(t.b, t.n + 1);
	p9_xfer(&fx, 8, t.b, t.n, 0, r.b, r.n, r.n);
	/* 6: a count beyond the data: length is the data there. */
	msg_begin(&t, 118, 3), put32(&t, 1), put64(&t, 0), put32(&t, 100000), putbytes(&t, data, 10);
	msg_end(&t);
	r.b[5] = 3;
	p9_xfer(&fx, 10, t.b, t.n, 0, r.b, r.n, r.n);
	/* 7: a reply the device wrote 6 bytes of (no header); 8: a reply
	 * whose size is beyond what the device wrote. */
	msg_begin(&t, 120, 4), put32(&t, 1);
	msg_end(&t);
	msg_begin(&r, 117, 4), put32(&r, 64), putbytes(&r, data, 64);
	msg_end(&r);
	p9_xfer(&fx, 12, t.b, t.n, 0, r.b, r.n, 6);
	p9_xfer(&fx, 14, t.b, t.n, 0, r.b, r.n, 20);
	/* 9: a walk whose name runs past the message's size. */
	msg_begin(&t, 110, 5), put32(&t, 0), put32(&t, 1), put16(&t, 1), put16(&t, 200), putbytes(&t, "ab", 2);
	msg_end(&t);
	msg_begin(&r, 7, 5), put32(&r, 2);
	msg_end(&r);
	p9_xfer(&fx, 16, t.b, t.n, 0, r.b, r.n, r.n);
	/* 10: a reply whose size field is below its header. */
	msg_begin(&t, 120, 6), put32(&t, 1);
	msg_end(&t);
	msg_begin(&r, 121, 6);
	le32_put(r.b, 6);
	p9_xfer(&fx, 18, t.b, t.n, 0, r.b, 7, 7);
	fx_finish(&fx);

	CHECK_STR(fx_op(&fx, 1), "Rclunk tag 1");
	CHECK_STR(fx_op(&fx, 2), "Tclunk tag 1 (cut: fields past size 7) -> Rclunk");
	CHECK_STR(fx_op(&fx, 3), "Rclunk tag 1");
	CHECK_STR(fx_op(&fx, 4), "Twrite tag 2 fid 1 offset 0 count 64 -> Rwrite count 64");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 4"), 64);
	CHECK_STR(fx_op(&fx, 5), "Twrite tag 2 fid 1 offset 0 count 64 (cut: size 88, 87 held) -> Rwrite count 64");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 5"), 64);
	CHECK_STR(fx_op(&fx, 6), "Twrite tag 3 fid 1 offset 0 count 100000 -> Rwrite count 64");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 6"), 10);
	CHECK_STR(fx_op(&fx, 7), "Tclunk tag 4 fid 1");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 7"), -1);
	CHECK_STR(fx_op(&fx, 8), "Tclunk tag 4 fid 1 -> Rread count 64 (cut: size 75, 20 written)");
	CHECK_EQ_U(fx_int(&fx, "SELECT length FROM requests WHERE request = 8"), 9);
	CHECK_STR(fx_op(&fx, 9), "Twalk tag 5 fid 0 newfid 1 (cut: fields past size 21) -> Rlerror ENOENT");
	CHECK_STR(fx_op(&fx, 10), "Tclunk tag 6 fid 1 -> ? (reply size 6)");
	/* 1, 2, 3, 5, 8, 9, 10 */
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations WHERE rule = 'request-malformed'"), 7);
	fx_close(&fx);
}

/* Replies from best-effort snapshots (as QEMU recordings copy them): a
 * used length that disagrees with the reply's size is noted, not called
 * cut, and no violation is raised; a reply larger than the buffer is cut. */
static void test_9p_best_effort(void)
{
	struct fx fx;
	struct msg t, r;

	p9_open(&fx, "9p-rough.db");
	for (unsigned i = 0; i < 6; i++) {
		msg_begin(&t, 110, 0), put32(&t, 1), put32(&t, 2), put16(&t, 1), putstr(&t, "f");
		msg_end(&t);
		msg_begin(&r, 111, 0), put16(&r, 1), qid(&r);
		msg_end(&r);
		if (i == 2)
			le32_put(r.b, WCAP + 1); /* beyond the buffer */
		if (i == 3)
			r.b[4] = 116; /* a Tread: the buffer's next use */
		if (i == 4)
			r.b[4] = 25;  /* an Rgetattr: another request's reply */
		if (i == 5)
			memset(r.b, 0, r.n); /* freed and zeroed before the copy */
		uint32_t d = 2 * i;
		fx_drv(&fx, FX_BUF(d), t.b, t.n);
		fx_desc(&fx, FX_DESC(RQ), d, FX_BUF(d), t.n, VIRTQ_DESC_F_NEXT, d + 1);
		fx_desc(&fx, FX_DESC(RQ), d + 1, FX_BUF(d + 1), WCAP, VIRTQ_DESC_F_WRITE, 0);
		fx_publish(&fx, RQ, (uint16_t)d);
		fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, RQ);
		fx_mem(&fx, FX_BUF(d + 1), r.b, r.n, VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT);
		/* 0: the used length of a Tclunk's reply; 1: the right one. */
		fx_used(&fx, RQ, d, i == 1 ? r.n : 7);
		fx_irq(&fx, 1);
	}
	fx_finish(&fx);
	CHECK_STR(fx_op(&fx, 1), "Twalk tag 0 fid 1 newfid 2 'f' -> Rwalk nwqid 1 (used len 7)");
	CHECK_STR(fx_op(&fx, 2), "Twalk tag 0 fid 1 newfid 2 'f' -> Rwalk nwqid 1");
	CHECK_STR(fx_op(&fx, 3), "Twalk tag 0 fid 1 newfid 2 'f' -> Rwalk nwqid 1 (cut: size 4097, 7 written)");
	CHECK_STR(fx_op(&fx, 4), "Twalk tag 0 fid 1 newfid 2 'f' -> ? (buffer holds Tread: copied late)");
	CHECK_EQ_U(fx_int(&fx, "SELECT status FROM requests WHERE request = 4"), -1);
	CHECK_STR(fx_op(&fx, 5), "Twalk tag 0 fid 1 newfid 2 'f' -> ? (buffer holds Rgetattr: copied late)");
	CHECK_STR(fx_op(&fx, 6), "Twalk tag 0 fid 1 newfid 2 'f' -> ? (no reply in the copy)");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM violations WHERE rule = 'request-malformed'"), 0);
	fx_close(&fx);
}

/* Random bytes as messages and replies, random used lengths. */
static void test_9p_random(void)
{
	struct fx fx;
	uint8_t t[300], r[300];
	unsigned seed = 9;

	p9_open(&fx, "9p-random.db");
	for (unsigned i = 0; i < 400; i++) {
		uint32_t tl = (uint32_t)(rand_r(&seed) % sizeof(t)) + 1, rl = (uint32_t)(rand_r(&seed) % sizeof(r));
		for (uint32_t k = 0; k < sizeof(t); k++)
			t[k] = (uint8_t)rand_r(&seed), r[k] = (uint8_t)rand_r(&seed);
		/* Plausible headers half the time. */
		if (i & 1) {
			le32_put(t, tl - (uint32_t)(rand_r(&seed) % 3));
			t[4] = (uint8_t)(rand_r(&seed) % 128);
			le32_put(r, rl + 1 - (uint32_t)(rand_r(&seed) % 3));
			r[4] = (uint8_t)(t[4] + 1);
		}
		p9_xfer(&fx, (i % 30) * 2, t, tl, rand_r(&seed) % 2 ? (uint32_t)(rand_r(&seed) % tl) : 0, r, rl,
			(uint32_t)(rand_r(&seed) % (WCAP + 10)));
	}
	fx_finish(&fx);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = '9p'"), 400);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE length(op) > 79"), 0);
	CHECK(fx_int(&fx, "SELECT count(*) FROM requests WHERE op LIKE '% -> %'") > 0);
	fx_close(&fx);
}

int main(void)
{
	RUN(test_9p_mount);
	RUN(test_9p_split);
	RUN(test_9p_bounds);
	RUN(test_9p_best_effort);
	RUN(test_9p_random);
	return harness_finish("test_req_9p");
}
