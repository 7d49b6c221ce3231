/* Unit tests of the packed-ring walker (virtio/packed_ring.c) over a fake
 * guest memory: the hostile rings of RELIABILITY.md section B in packed
 * form (a chain as long as the ring and one longer, NEXT past the ring's
 * end wrapping with the wrap counter, an indirect table inside one,
 * INDIRECT with NEXT, table lengths 0 / not a multiple of 16 / more than
 * the queue, buffer ids at and past the queue size, a later descriptor
 * not marked available, buffers outside RAM), missing and best-effort
 * bytes, salvaging, and the descriptor and event codecs; then the rest of
 * the B-cases the walker sees: a loop running round the ring's end (B01),
 * a queue-size chain crossing it (B02), AVAIL/USED bits set wrongly mid-
 * chain (B04), descriptors rewritten while the walk reads them (B14). */
#include <errno.h>
#include <string.h>

#include "virtio/packed_ring.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"
#include "tests/harness.h"

#define RAM_BASE UINT64_C(0x100000)
#define RAM_SIZE (UINT64_C(1) << 20)
#define RING RAM_BASE               /* the descriptor ring */
#define TABLE (RAM_BASE + 0x80000)  /* indirect tables */
#define BUF (RAM_BASE + 0xc0000)    /* buffers */
#define NX VIRTQ_DESC_F_NEXT
#define W VIRTQ_DESC_F_WRITE
#define IND VIRTQ_DESC_F_INDIRECT
#define QN 8u
#define REC_MAX 64u

struct fake {
	uint8_t ram[RAM_SIZE];
	uint64_t missing_lo, missing_hi;
	uint64_t rough_lo, rough_hi;
	unsigned reads, n_desc, n_buf, n_ind;
	struct vring_place at[REC_MAX];
	struct vring_desc buf[REC_MAX];
};

static struct fake F;

static bool overlaps(uint64_t a, uint64_t len, uint64_t lo, uint64_t hi)
{
	return len && a < hi && lo < a + len;
}

static int fake_read(void *ctx, uint64_t gpa, void *dst, uint32_t len)
{
	struct fake *f = ctx;

	f->reads++;
	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE) ||
	    overlaps(gpa, len, f->missing_lo, f->missing_hi))
		return VRING_MEM_MISSING;
	memcpy(dst, f->ram + (gpa - RAM_BASE), len);
	return overlaps(gpa, len, f->rough_lo, f->rough_hi) ? VRING_MEM_ROUGH : VRING_MEM_EXACT;
}

static bool fake_contains(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (len && gpa + (len - 1) < gpa)
		return false;
	return gpa >= RAM_BASE && gpa - RAM_BASE <= RAM_SIZE && len <= RAM_SIZE - (gpa - RAM_BASE);
}

static int fake_desc(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct fake *f = ctx;

	(void)d;
	if (f->n_desc < REC_MAX)
		f->at[f->n_desc] = *at;
	f->n_desc++;
	return 0;
}

static int fake_indirect(void *ctx, uint64_t table, uint32_t bytes, const struct vring_place *at)
{
	struct fake *f = ctx;

	(void)table;
	(void)bytes;
	(void)at;
	f->n_ind++;
	return 0;
}

static int fake_buf(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct fake *f = ctx;

	(void)at;
	if (f->n_buf < REC_MAX)
		f->buf[f->n_buf] = *d;
	f->n_buf++;
	return 0;
}

static const struct vring_ops ops_trace = {
	.read = fake_read, .contains = fake_contains,
	.on_desc = fake_desc, .on_indirect = fake_indirect, .on_buf = fake_buf,
};
static const struct vring_ops ops_emu = {
	.read = fake_read, .contains = fake_contains,
	.on_desc = fake_desc, .on_indirect = fake_indirect, .on_buf = fake_buf,
	.mem_complete = true,
};
static const struct vring_ops ops_salvage = {
	.read = fake_read, .contains = fake_contains,
	.on_desc = fake_desc, .on_indirect = fake_indirect, .on_buf = fake_buf,
	.salvage = true,
};

static const struct packed_ring R = { .num = QN, .desc = RING, .driver_event = RAM_BASE + 0x70000,
				      .device_event = RAM_BASE + 0x70004, .indirect_ok = true };

static void reset(void)
{
	memset(&F, 0, sizeof(F));
}

static void put(uint64_t gpa, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	struct vring_desc d = { .addr = addr, .len = len, .next = id, .flags = flags };
	packed_ring_desc_encode(F.ram + (gpa - RAM_BASE), &d);
}

/* A ring descriptor at slot made available for wrap. */
static void ring_put(uint32_t slot, bool wrap, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	put(packed_ring_desc_addr(&R, slot), addr, len, id, (uint16_t)(flags | packed_ring_avail_flags(wrap)));
}

static int walk(const struct vring_ops *ops, uint16_t slot, bool wrap, struct packed_chain *out)
{
	return packed_ring_walk(&R, (struct packed_pos){ .slot = slot, .wrap = wrap }, ops, &F, out);
}

static void test_codec(void)
{
	uint8_t b[16], e[4];
	struct vring_desc d = { .addr = 0x1122334455667788ull, .len = 0x99aabbcc, .next = 0x1234, .flags = 0x8082 };
	struct vring_desc o;
	struct packed_event ev = { .off = 0x7abc, .wrap = true, .flags = PACKED_EVENT_F_DESC }, eo;

	packed_ring_desc_encode(b, &d);
	CHECK_EQ_U(b[12], 0x34); /* id le16 at 12, flags at 14 */
	CHECK_EQ_U(b[15], 0x80);
	packed_ring_desc_decode(b, &o);
	CHECK(o.addr == d.addr && o.len == d.len && o.next == d.next && o.flags == d.flags);
	packed_ring_event_encode(e, &ev);
	CHECK_EQ_U(e[1], 0xfa);
	packed_ring_event_decode(e, &eo);
	CHECK(eo.off == 0x7abc && eo.wrap && eo.flags == PACKED_EVENT_F_DESC);
	/* Availability and use for both wrap counters. */
	CHECK(packed_ring_desc_avail(packed_ring_avail_flags(true), true));
	CHECK(!packed_ring_desc_avail(packed_ring_avail_flags(true), false));
	CHECK(packed_ring_desc_avail(packed_ring_avail_flags(false), false));
	CHECK(!packed_ring_desc_avail(0, true)); /* a zeroed ring holds nothing */
	CHECK(!packed_ring_desc_used(0, true));
	CHECK(packed_ring_desc_used(packed_ring_used_flags(true), true));
	CHECK(packed_ring_desc_used(packed_ring_used_flags(false), false));
	CHECK(!packed_ring_desc_avail(packed_ring_used_flags(true), true));
	/* Positions wrap and flip. */
	struct packed_pos p = { .slot = 6, .wrap = true };
	packed_ring_advance(&p, QN, 2);
	CHECK(p.slot == 0 && !p.wrap);
	packed_ring_advance(&p, QN, 7);
	CHECK(p.slot == 7 && !p.wrap);
}

/* A plain chain: readable then writable, id from the last descriptor. */
static void test_plain(void)
{
	struct packed_chain out;

	reset();
	ring_put(0, true, BUF, 16, 99, NX);
	ring_put(1, true, BUF + 0x100, 512, 5, W);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_OK);
	CHECK(out.have_id && out.id == 5);
	CHECK_EQ_U(out.slots, 2);
	CHECK(out.next.slot == 2 && out.next.wrap);
	CHECK_EQ_U(F.n_buf, 2);
	CHECK_EQ_U(F.at[1].idx, 1);
	CHECK_EQ_U(F.at[1].head, 0);
	/* start outside the ring: against the contract */
	CHECK(walk(&ops_trace, QN, true, &out) == -EINVAL);
}

/* B02 / B03: a chain of exactly QN descriptors is legal; QN with NEXT on
 * the last (a loop round the ring) is not, and at most QN are read. */
static void test_chain_length(void)
{
	struct packed_chain out;

	reset();
	for (uint32_t i = 0; i < QN; i++)
		ring_put(i, true, BUF + 16 * i, 16, (uint16_t)i, i + 1 < QN ? NX : W);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_OK);
	CHECK_EQ_U(out.slots, QN);
	CHECK(out.next.slot == 0 && !out.next.wrap);
	CHECK_EQ_U(out.id, QN - 1);

	reset();
	for (uint32_t i = 0; i < QN; i++)
		ring_put(i, true, BUF + 16 * i, 16, 0, NX);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_CHAIN_LOOP);
	CHECK_EQ_U(F.n_desc, QN);
	CHECK(!out.have_id);
}

/* NEXT past the last slot wraps to slot 0, where the driver's wrap
 * counter has flipped: descriptors there are available for !wrap. */
static void test_wrap(void)
{
	struct packed_chain out;

	reset();
	ring_put(6, true, BUF, 16, 0, NX);
	ring_put(7, true, BUF + 16, 16, 0, NX);
	ring_put(0, false, BUF + 32, 16, 3, W);
	CHECK_EQ_U(walk(&ops_trace, 6, true, &out), VRING_OK);
	CHECK_EQ_U(out.slots, 3);
	CHECK(out.next.slot == 1 && !out.next.wrap);
	CHECK_EQ_U(out.id, 3);
	CHECK_EQ_U(F.at[2].idx, 0);

	/* The same with slot 0 still marked for the old wrap counter: the
	 * driver did not make it available (a stale descriptor). */
	reset();
	ring_put(6, true, BUF, 16, 0, NX);
	ring_put(7, true, BUF + 16, 16, 0, NX);
	ring_put(0, true, BUF + 32, 16, 3, W);
	CHECK_EQ_U(walk(&ops_trace, 6, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_PACKED_NOT_AVAIL);
	CHECK_EQ_U(out.c.fault.at.idx, 0);
	/* Salvaging goes on and keeps the finding. */
	reset();
	ring_put(6, true, BUF, 16, 0, NX);
	ring_put(7, true, BUF + 16, 16, 0, NX);
	ring_put(0, true, BUF + 32, 16, 3, W);
	CHECK_EQ_U(walk(&ops_salvage, 6, true, &out), VRING_BROKEN);
	CHECK_EQ_U(F.n_buf, 3);
	CHECK(out.have_id && out.id == 3);
	/* A used descriptor in the middle of a chain: inconsistent bits. */
	reset();
	ring_put(2, false, BUF, 16, 0, NX);
	put(packed_ring_desc_addr(&R, 3), BUF + 16, 16, 0, (uint16_t)(W | packed_ring_used_flags(false)));
	CHECK_EQ_U(walk(&ops_trace, 2, false, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_PACKED_NOT_AVAIL);
}

/* Indirect tables: all len / 16 entries are buffers (NEXT and ids in them
 * mean nothing); the id is the indirect descriptor's. */
static void test_indirect(void)
{
	struct packed_chain out;

	reset();
	ring_put(3, true, TABLE, 3 * 16, 7, IND);
	put(TABLE, BUF, 16, 0, 0);
	put(TABLE + 16, BUF + 16, 100, 0, W);
	put(TABLE + 32, BUF + 200, 100, 0, W);
	CHECK_EQ_U(walk(&ops_trace, 3, true, &out), VRING_OK);
	CHECK(out.c.indirect && out.id == 7 && out.slots == 1);
	CHECK_EQ_U(F.n_buf, 3);
	CHECK_EQ_U(F.n_ind, 1);
	CHECK(F.at[3].indirect && F.at[3].idx == 2);

	/* A table of exactly QN entries is legal, QN + 1 is not. */
	reset();
	ring_put(0, true, TABLE, QN * 16, 1, IND);
	for (uint32_t i = 0; i < QN + 1; i++)
		put(TABLE + 16 * i, BUF, 16, 0, 0);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_OK);
	CHECK_EQ_U(F.n_buf, QN);
	reset();
	ring_put(0, true, TABLE, (QN + 1) * 16, 1, IND);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_INDIRECT_LEN);
	/* Length 0 and not a multiple of 16, and a huge one. */
	uint32_t bad[] = { 0, 24, 0xfffffff0u };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		ring_put(0, true, TABLE, bad[i], 1, IND);
		CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
		CHECK_EQ_U(out.c.fault.rule, RULE_RING_INDIRECT_LEN);
		CHECK_EQ_U(F.n_buf, 0);
	}
	/* Salvaging a huge table reads at most QN entries. */
	reset();
	ring_put(0, true, TABLE, 0xfffffff0u, 1, IND);
	CHECK_EQ_U(walk(&ops_salvage, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(F.n_buf, QN);
	/* An indirect descriptor inside a table is never followed. */
	reset();
	ring_put(0, true, TABLE, 2 * 16, 1, IND);
	put(TABLE, BUF, 16, 0, 0);
	put(TABLE + 16, TABLE, 32, 0, IND);
	CHECK_EQ_U(walk(&ops_salvage, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_INDIRECT_NESTED);
	CHECK_EQ_U(F.n_ind, 1);
	/* INDIRECT with NEXT. */
	reset();
	ring_put(0, true, TABLE, 16, 1, IND | NX);
	put(TABLE, BUF, 16, 0, 0);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_INDIRECT_WITH_NEXT);
	/* INDIRECT not negotiated. */
	reset();
	struct packed_ring r2 = R;
	r2.indirect_ok = false;
	ring_put(0, true, TABLE, 16, 1, IND);
	CHECK_EQ_U(packed_ring_walk(&r2, (struct packed_pos){ 0, true }, &ops_trace, &F, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_INDIRECT_NOT_NEGOTIATED);
	/* A table outside RAM. */
	reset();
	ring_put(0, true, RAM_BASE + RAM_SIZE - 16, 32, 1, IND);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_BUFFER_OUTSIDE_MEMORY);
}

/* Buffers: length 0 is a buffer, a huge one or one wrapping past 2^64 is
 * outside RAM; readable after writable. */
static void test_buffers(void)
{
	struct packed_chain out;

	reset();
	ring_put(0, true, BUF, 0, 2, 0);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_OK);
	CHECK_EQ_U(F.n_buf, 1);
	reset();
	ring_put(0, true, BUF, 0xffffffffu, 2, 0);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_BUFFER_OUTSIDE_MEMORY);
	reset();
	ring_put(0, true, UINT64_MAX - 8, 16, 2, 0);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_BUFFER_OUTSIDE_MEMORY);
	reset();
	ring_put(0, true, BUF, 16, 0, W | NX);
	ring_put(1, true, BUF + 16, 16, 2, 0);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_WRITE_BEFORE_READ);
	CHECK_EQ_U(out.c.fault.at.idx, 1);
}

/* Buffer ids: < num is fine, num is not (checked apart from the walk). */
static void test_ids(void)
{
	struct vring_fault f;

	CHECK_EQ_U(packed_ring_check_id(QN, 3, QN - 1, &f), VRING_OK);
	CHECK_EQ_U(packed_ring_check_id(QN, 3, QN, &f), VRING_BROKEN);
	CHECK_EQ_U(f.rule, RULE_RING_HEAD_RANGE);
	CHECK_EQ_U(f.at.idx, 3);
	CHECK_EQ_U(packed_ring_check_id(QN, 0, 0xffff, &f), VRING_BROKEN);
}

/* Missing bytes in a trace stop the walk quietly; with mem_complete they
 * are a rule; best-effort bytes mark the chain rough. */
static void test_memory(void)
{
	struct packed_chain out;

	reset();
	ring_put(0, true, BUF, 16, 0, NX);
	ring_put(1, true, BUF, 16, 4, 0);
	F.missing_lo = packed_ring_desc_addr(&R, 1);
	F.missing_hi = F.missing_lo + 16;
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_MISSING);
	CHECK_EQ_U(out.c.n_desc, 1);
	CHECK(!out.have_id);
	CHECK_EQ_U(walk(&ops_emu, 0, true, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_BUFFER_OUTSIDE_MEMORY);
	F.missing_lo = F.missing_hi = 0;
	F.rough_lo = RING;
	F.rough_hi = RING + 16;
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_OK);
	CHECK(out.c.rough);
}


/* B01 in packed form: NEXT on every descriptor from slot 5, each marked
 * available for the wrap counter of its lap, so the chain runs past the
 * ring's end (5, 6, 7, then 0..4 in the next lap) and would come back to
 * slot 5: read once round (QN descriptors, each slot once), then
 * ring-chain-too-long; salvaging cannot follow it either.  A ring of one
 * slot whose descriptor has NEXT is the self-loop. */
static void test_b01_wrapping_loop(void)
{
	struct packed_chain out;

	for (unsigned salvage = 0; salvage < 2; salvage++) {
		reset();
		for (uint32_t i = 0; i < QN; i++)
			ring_put(i, i >= 5, BUF + 16 * i, 16, 1, NX);
		CHECK_EQ_U(walk(salvage ? &ops_salvage : &ops_trace, 5, true, &out), VRING_BROKEN);
		CHECK_EQ_U(out.c.fault.rule, RULE_RING_CHAIN_LOOP);
		CHECK_EQ_U(F.n_desc, QN);
		CHECK_EQ_U(F.reads, QN);
		CHECK(!out.have_id);
		for (uint32_t k = 0; k < QN; k++)
			CHECK_EQ_U(F.at[k].idx, (5 + k) % QN);
	}

	struct packed_ring one = R;
	one.num = 1;
	reset();
	ring_put(0, true, BUF, 16, 0, NX);
	CHECK_EQ_U(packed_ring_walk(&one, (struct packed_pos){ 0, true }, &ops_trace, &F, &out), VRING_BROKEN);
	CHECK_EQ_U(out.c.fault.rule, RULE_RING_CHAIN_LOOP);
	CHECK_EQ_U(F.n_desc, 1);
	/* Without NEXT the one-slot ring holds a chain, lap after lap. */
	reset();
	ring_put(0, false, BUF, 16, 0, W);
	CHECK_EQ_U(packed_ring_walk(&one, (struct packed_pos){ 0, false }, &ops_trace, &F, &out), VRING_OK);
	CHECK(out.next.slot == 0 && out.next.wrap);
}

/* B02 in packed form, crossing the ring's end: QN descriptors from slot 3
 * (3..7 in this lap, 0..2 in the next) are one legal chain, and the next
 * position is slot 3 of the next lap.  QN - 1 ring descriptors and then
 * an indirect table of QN entries is bounded too: 2 * QN - 1 buffers. */
static void test_b02_wrapping_chain(void)
{
	struct packed_chain out;

	reset();
	for (uint32_t k = 0; k < QN; k++) {
		uint32_t slot = (3 + k) % QN;
		ring_put(slot, slot >= 3, BUF + 16 * k, 16, 6, k + 1 < QN ? NX : W);
	}
	CHECK_EQ_U(walk(&ops_trace, 3, true, &out), VRING_OK);
	CHECK_EQ_U(out.slots, QN);
	CHECK(out.next.slot == 3 && !out.next.wrap);
	CHECK_EQ_U(out.id, 6);
	CHECK_EQ_U(F.n_buf, QN);
	CHECK_EQ_U(F.reads, QN);

	reset();
	for (uint32_t i = 0; i + 1 < QN; i++)
		ring_put(i, true, BUF + 16 * i, 16, 0, NX);
	ring_put(QN - 1, true, TABLE, QN * 16, 4, IND);
	for (uint32_t i = 0; i < QN; i++)
		put(TABLE + 16 * i, BUF, 16, 0, W);
	CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_OK);
	CHECK_EQ_U(F.n_buf, 2 * QN - 1);
	CHECK(out.c.n_desc <= 2 * QN);
	CHECK_EQ_U(out.slots, QN);
	CHECK(out.next.slot == 0 && !out.next.wrap);
}

/* B04 / B05 in packed form, as far as the walker sees them: a later
 * descriptor whose AVAIL and USED bits the driver set wrongly (both equal,
 * both clear, the other lap's) breaks ring-packed-desc-not-avail at that
 * slot; the descriptors before it were read and shown, nothing after. */
static void test_b04_flag_bits(void)
{
	static const uint16_t bad[] = { 0, PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED, PACKED_DESC_F_USED };
	struct packed_chain out;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		ring_put(0, true, BUF, 16, 0, NX);
		ring_put(1, true, BUF + 16, 16, 0, NX);
		put(packed_ring_desc_addr(&R, 2), BUF + 32, 16, 3, (uint16_t)(W | bad[i]));
		ring_put(3, true, BUF + 48, 16, 3, W);
		CHECK_EQ_U(walk(&ops_trace, 0, true, &out), VRING_BROKEN);
		CHECK_EQ_U(out.c.fault.rule, RULE_RING_PACKED_NOT_AVAIL);
		CHECK_EQ_U(out.c.fault.at.idx, 2);
		CHECK_EQ_U(F.n_desc, 3);
		CHECK_EQ_U(F.n_buf, 2);
	}
}

/* B14: a guest rewriting descriptors while the walk reads them.  Each
 * descriptor is read once, and what is checked is what is shown: here
 * the on_desc visitor scribbles over the descriptor just read (and the
 * indirect one's length over the table as it is entered), and the walk
 * still goes by the copy it took. */
static int scribble_desc(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	uint64_t gpa = at->indirect ? TABLE + 16ull * at->idx : packed_ring_desc_addr(&R, at->idx);

	fake_desc(ctx, d, at);
	/* A length past RAM, INDIRECT beside NEXT, and an id past the queue. */
	put(gpa, UINT64_MAX - 4, 0xffffffffu, 0xffff, IND | NX | W);
	return 0;
}

static void test_b14_rewrite(void)
{
	static const struct vring_ops ops = {
		.read = fake_read, .contains = fake_contains,
		.on_desc = scribble_desc, .on_indirect = fake_indirect, .on_buf = fake_buf,
	};
	struct packed_chain out;

	reset();
	ring_put(0, true, BUF, 16, 0, NX);
	ring_put(1, true, BUF + 16, 32, 0, NX | W);
	ring_put(2, true, TABLE, 2 * 16, 5, IND);
	put(TABLE, BUF + 64, 100, 0, W);
	put(TABLE + 16, BUF + 200, 8, 0, W);
	CHECK_EQ_U(walk(&ops, 0, true, &out), VRING_OK);
	CHECK_EQ_U(out.id, 5);
	CHECK_EQ_U(out.slots, 3);
	CHECK_EQ_U(F.n_desc, 5);
	CHECK_EQ_U(F.reads, 5); /* each descriptor read once */
	CHECK_EQ_U(F.n_buf, 4);
	CHECK(F.buf[0].addr == BUF && F.buf[0].len == 16);
	CHECK(F.buf[1].addr == BUF + 16 && F.buf[1].len == 32);
	CHECK(F.buf[2].addr == BUF + 64 && F.buf[2].len == 100);
	CHECK(F.buf[3].addr == BUF + 200 && F.buf[3].len == 8);
}

int main(void)
{
	RUN(test_codec);
	RUN(test_plain);
	RUN(test_chain_length);
	RUN(test_wrap);
	RUN(test_indirect);
	RUN(test_buffers);
	RUN(test_ids);
	RUN(test_memory);
	RUN(test_b01_wrapping_loop);
	RUN(test_b02_wrapping_chain);
	RUN(test_b04_flag_bits);
	RUN(test_b14_rewrite);
	return harness_finish("test_packed_ring");
}
