/* Unit tests of the shared split-ring walker (virtio/split_ring.c) over a
 * fake guest memory: each rule at its limit N (accepted) and N + 1
 * (reported, with its message and place), the bound on reads, missing and
 * best-effort bytes, visitors that stop or fail, the salvaging mode the
 * QEMU snapshots use, and the avail index checks. */
#include <errno.h>
#include <string.h>

#include "virtio/rules.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/rings/ring_fixture.h"

#define DESC RFX_RAM_BASE              /* the ring's table */
#define TABLE (RFX_RAM_BASE + 0x80000) /* indirect tables */
#define BUF (RFX_RAM_BASE + 0xc0000)   /* buffers */
#define NX VIRTQ_DESC_F_NEXT
#define W VIRTQ_DESC_F_WRITE
#define IND VIRTQ_DESC_F_INDIRECT
#define QN 8u

/* Guest RAM with holes (missing) and torn parts (rough), and what the
 * walker showed of the chain. */
static struct rfx F;

static void put(uint64_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = F.ram + (table - RFX_RAM_BASE) + (uint64_t)i * VIRTQ_DESC_SIZE;

	le64_put(p, addr);
	le32_put(p + 8, len);
	le16_put(p + 12, flags);
	le16_put(p + 14, next);
}

static struct split_ring ring(uint32_t num, bool indirect_ok)
{
	return (struct split_ring){ .num = num, .desc = DESC, .avail = RFX_RAM_BASE + 0x70000,
				    .used = RFX_RAM_BASE + 0x78000, .indirect_ok = indirect_ok };
}

/* The walk broke rule at place (idx, pos, indirect) with message msg. */
static void expect_fault_at(int line, int rc, const struct vring_chain *c, enum rule_id rule,
			    uint32_t idx, uint32_t pos, bool indirect, const char *msg)
{
	int saved = harness_failures;

	CHECK_EQ_U(rc, VRING_BROKEN);
	CHECK_EQ_U(c->fault.rule, rule);
	CHECK_EQ_U(c->fault.at.idx, idx);
	CHECK_EQ_U(c->fault.at.pos, pos);
	CHECK_EQ_U(c->fault.at.indirect, indirect);
	if (msg)
		CHECK_STR(c->fault.msg, msg);
	if (harness_failures != saved)
		fprintf(stderr, "    (expectation at line %d)\n", line);
}
#define EXPECT_FAULT(rc, c, rule, idx, pos, ind, msg) expect_fault_at(__LINE__, (rc), (c), (rule), (idx), (pos), (ind), (msg))

static void test_desc_decode(void)
{
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;

	le64_put(b, UINT64_C(0x1122334455667788));
	le32_put(b + 8, 0xaabbccddu);
	le16_put(b + 12, 0x8007);
	le16_put(b + 14, 0xfffe);
	split_ring_desc_decode(b, &d);
	CHECK_EQ_U(d.addr, UINT64_C(0x1122334455667788));
	CHECK_EQ_U(d.len, 0xaabbccddu);
	CHECK_EQ_U(d.flags, 0x8007);
	CHECK_EQ_U(d.next, 0xfffe);
}

static void test_simple_chain(void)
{
	struct split_ring r = ring(QN, false);
	struct vring_chain c;

	rfx_reset(&F);
	put(DESC, 5, BUF, 16, NX, 2);
	put(DESC, 2, BUF + 0x100, 512, NX, 7);
	put(DESC, 7, BUF + 0x400, 1, W, 0);
	CHECK_EQ_U(split_ring_walk(&r, 5, &rfx_ops_trace, &F, &c), VRING_OK);
	CHECK_EQ_U(c.n_desc, 3);
	CHECK_EQ_U(c.indirect, 0);
	CHECK_EQ_U(c.rough, 0);
	CHECK_EQ_U(c.fault.rule, RULE_NONE);
	CHECK_EQ_U(F.n_desc, 3);
	CHECK_EQ_U(F.n_buf, 3);
	CHECK_EQ_U(F.reads, 3);
	CHECK_EQ_U(F.at[0].idx, 5);
	CHECK_EQ_U(F.at[1].idx, 2);
	CHECK_EQ_U(F.at[2].idx, 7);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ_U(F.at[i].pos, i);
		CHECK_EQ_U(F.at[i].head, 5);
		CHECK_EQ_U(F.at[i].indirect, 0);
	}
	CHECK_EQ_U(F.buf[1].addr, BUF + 0x100);
	CHECK_EQ_U(F.buf[1].len, 512);
	CHECK_EQ_U(F.buf[2].flags, W);
	/* Without visitors the walk is the same. */
	CHECK_EQ_U(split_ring_walk(&r, 5, &rfx_ops_bare, &F, &c), VRING_OK);
	CHECK_EQ_U(c.n_desc, 3);
}

/* B01 / B02: a chain of exactly num descriptors is legal (N); a loop
 * breaks the rule after num reads (N + 1), whatever its shape. */
static void test_chain_length(void)
{
	static const uint32_t sizes[] = { 1, 2, QN, 256, VIRTQ_SIZE_MAX };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t num = sizes[k];
		struct split_ring r = ring(num, false);
		struct vring_chain c;
		char msg[VRING_MSG_MAX];

		rfx_reset(&F);
		/* N: descriptors 0 .. num-1 in order, the last without NEXT. */
		for (uint32_t i = 0; i < num; i++)
			put(DESC, i, BUF, 1, (uint16_t)(i + 1 < num ? NX : 0), (uint16_t)(i + 1 < num ? i + 1 : 0));
		CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_OK);
		CHECK_EQ_U(c.n_desc, num);
		CHECK_EQ_U(F.reads, num);
		/* N + 1: the last one points back at the head. */
		rfx_reset(&F);
		for (uint32_t i = 0; i < num; i++)
			put(DESC, i, BUF, 1, NX, (uint16_t)((i + 1) % num));
		int rc = split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c);
		snprintf(msg, sizeof(msg), "chain at head 0: more than %u descriptors (a loop?)", num);
		EXPECT_FAULT(rc, &c, RULE_RING_CHAIN_LOOP, 0, num, false, msg);
		CHECK_EQ_U(c.n_desc, num);
		CHECK_EQ_U(F.reads, num);
		CHECK_EQ_U(F.n_buf, num);
	}

	/* A self loop and a loop entered from outside it. */
	struct split_ring r = ring(QN, false);
	struct vring_chain c;
	rfx_reset(&F);
	put(DESC, 3, BUF, 1, NX, 3);
	EXPECT_FAULT(split_ring_walk(&r, 3, &rfx_ops_trace, &F, &c), &c, RULE_RING_CHAIN_LOOP, 3, QN, false,
		     "chain at head 3: more than 8 descriptors (a loop?)");
	CHECK_EQ_U(F.reads, QN);
	rfx_reset(&F);
	put(DESC, 5, BUF, 1, NX, 6);
	put(DESC, 6, BUF, 1, NX, 7);
	put(DESC, 7, BUF, 1, NX, 6);
	EXPECT_FAULT(split_ring_walk(&r, 5, &rfx_ops_trace, &F, &c), &c, RULE_RING_CHAIN_LOOP, 7, QN, false, NULL);
}

/* B03: next num - 1 is in range (N), num is not (N + 1). */
static void test_next_range(void)
{
	struct split_ring r = ring(QN, false);
	struct vring_chain c;

	rfx_reset(&F);
	put(DESC, 0, BUF, 1, NX, QN - 1);
	put(DESC, QN - 1, BUF, 1, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_OK);
	CHECK_EQ_U(c.n_desc, 2);

	static const uint16_t bad[] = { QN, QN + 1, 0x8000, 0xffff };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[VRING_MSG_MAX];
		rfx_reset(&F);
		put(DESC, 0, BUF, 1, NX, 1);
		put(DESC, 1, BUF, 1, NX, bad[i]);
		snprintf(msg, sizeof(msg), "chain at head 0: next %u of descriptor 1 is outside the 8-entry queue", bad[i]);
		EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_NEXT_RANGE, 1, 1, false, msg);
		CHECK_EQ_U(F.reads, 2);
		CHECK_EQ_U(F.n_buf, 2); /* the buffer itself was fine */
	}
	/* A head outside the queue is the caller's to check. */
	CHECK_EQ_U(split_ring_walk(&r, QN, &rfx_ops_trace, &F, &c), -EINVAL);
	struct split_ring r0 = ring(0, false);
	CHECK_EQ_U(split_ring_walk(&r0, 0, &rfx_ops_trace, &F, &c), -EINVAL);
}

/* B07-B09 and indirect tables at their limits. */
static void test_indirect(void)
{
	struct split_ring r = ring(QN, true);
	struct vring_chain c;

	/* N: a table of num entries, all used, after a direct buffer. */
	rfx_reset(&F);
	put(DESC, 1, BUF, 16, NX, 4);
	put(DESC, 4, TABLE, 16 * QN, IND, 0);
	for (uint32_t i = 0; i < QN; i++)
		put(TABLE, i, BUF + 0x100 * i, 8, (uint16_t)(W | (i + 1 < QN ? NX : 0)), (uint16_t)(i + 1));
	CHECK_EQ_U(split_ring_walk(&r, 1, &rfx_ops_trace, &F, &c), VRING_OK);
	CHECK_EQ_U(c.n_desc, 2 + QN);
	CHECK_EQ_U(c.indirect, 1);
	CHECK_EQ_U(F.n_ind, 1);
	CHECK_EQ_U(F.ind_table, TABLE);
	CHECK_EQ_U(F.ind_bytes, 16 * QN);
	CHECK_EQ_U(F.n_buf, 1 + QN);
	CHECK_EQ_U(F.at[1].indirect, 0);
	CHECK_EQ_U(F.at[2].indirect, 1);
	CHECK_EQ_U(F.at[2].idx, 0);
	CHECK_EQ_U(F.at[2].pos, 2);
	CHECK_EQ_U(F.at[2 + QN - 1].idx, QN - 1);

	/* N + 1 entries, 0, and lengths that are no whole descriptors. */
	static const uint32_t bad_len[] = { 16 * (QN + 1), 0, 8, 17, 0xfffffff0u };
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		char msg[VRING_MSG_MAX];
		rfx_reset(&F);
		put(DESC, 0, TABLE, bad_len[i], IND, 0);
		snprintf(msg, sizeof(msg), "chain at head 0: indirect table length %u is not a multiple of 16 in 16..128",
			 bad_len[i]);
		EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_INDIRECT_LEN, 0, 0, false, msg);
		CHECK_EQ_U(F.n_ind, 0);
		CHECK_EQ_U(F.reads, 1);
	}

	/* A loop inside the table: at most its entries. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 32, IND, 0);
	put(TABLE, 0, BUF, 8, NX, 1);
	put(TABLE, 1, BUF, 8, NX, 0);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_CHAIN_LOOP, 0, 3, true,
		     "chain at head 0: more than 2 descriptors in its indirect table (a loop?)");
	CHECK_EQ_U(F.reads, 3);

	/* next beyond the table's own length. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 32, IND, 0);
	put(TABLE, 0, BUF, 8, NX, 2);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_NEXT_RANGE, 0, 1, true,
		     "chain at head 0: next 2 of descriptor 0 is outside the 2-entry indirect table");

	/* B08 nested. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 32, IND, 0);
	put(TABLE, 0, BUF, 8, NX, 1);
	put(TABLE, 1, TABLE + 0x100, 16, IND, 0);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_INDIRECT_NESTED, 1, 2, true,
		     "chain at head 0: indirect descriptor inside an indirect table");

	/* B09 INDIRECT with NEXT. */
	rfx_reset(&F);
	put(DESC, 2, TABLE, 32, IND | NX, 3);
	EXPECT_FAULT(split_ring_walk(&r, 2, &rfx_ops_trace, &F, &c), &c, RULE_RING_INDIRECT_WITH_NEXT, 2, 0, false,
		     "chain at head 2: descriptor 2 has both INDIRECT and NEXT");

	/* Not negotiated. */
	struct split_ring r_no = ring(QN, false);
	rfx_reset(&F);
	put(DESC, 0, TABLE, 32, IND, 0);
	EXPECT_FAULT(split_ring_walk(&r_no, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_INDIRECT_NOT_NEGOTIATED, 0, 0, false,
		     "chain at head 0: descriptor 0 is indirect but INDIRECT_DESC was not negotiated");

	/* B10: the table outside RAM, and wrapping. */
	rfx_reset(&F);
	put(DESC, 0, RFX_RAM_BASE + RFX_RAM_SIZE - 16, 32, IND, 0);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_BUFFER_OUTSIDE_MEMORY, 0, 0, false,
		     "chain at head 0: indirect table 0x1ffff0+32 outside guest RAM");
	rfx_reset(&F);
	put(DESC, 0, UINT64_C(0xfffffffffffffff0), 32, IND, 0);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_BUFFER_OUTSIDE_MEMORY, 0, 0, false, NULL);
	CHECK_EQ_U(F.n_ind, 0);
}

/* B10 / B11: a buffer ending at the end of RAM (N) and one byte longer. */
static void test_buffers(void)
{
	struct split_ring r = ring(QN, false);
	struct vring_chain c;

	rfx_reset(&F);
	put(DESC, 0, RFX_RAM_BASE + RFX_RAM_SIZE - 16, 16, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_OK);
	rfx_reset(&F);
	put(DESC, 0, BUF, 16, NX, 1);
	put(DESC, 1, RFX_RAM_BASE + RFX_RAM_SIZE - 16, 17, 0, 0);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_BUFFER_OUTSIDE_MEMORY, 1, 1, false,
		     "chain at head 0: buffer 0x1ffff0+17 outside guest RAM");
	CHECK_EQ_U(F.n_buf, 1);
	rfx_reset(&F);
	put(DESC, 0, BUF, 0xffffffffu, 0, 0);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_BUFFER_OUTSIDE_MEMORY, 0, 0, false,
		     "chain at head 0: buffer 0x1c0000+4294967295 outside guest RAM");
	rfx_reset(&F);
	put(DESC, 0, UINT64_C(0xffffffffffffff00), 0x1000, 0, 0);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_BUFFER_OUTSIDE_MEMORY, 0, 0, false, NULL);

	/* Readable after writable. */
	rfx_reset(&F);
	put(DESC, 0, BUF, 16, NX, 1);
	put(DESC, 1, BUF, 16, W | NX, 2);
	put(DESC, 2, BUF, 16, NX, 3);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), &c, RULE_RING_WRITE_BEFORE_READ, 2, 2, false,
		     "chain at head 0: device-readable descriptor 2 after a writable one");
	CHECK_EQ_U(F.n_buf, 2);
}

/* Bytes a trace does not hold are missing, not a broken rule; bytes of a
 * snapshot are noted; the emulator's memory is complete. */
static void test_memory(void)
{
	struct split_ring r = ring(QN, true);
	struct vring_chain c;

	rfx_reset(&F);
	put(DESC, 0, BUF, 16, NX, 1);
	put(DESC, 1, BUF, 16, 0, 0);
	F.missing_lo = DESC + 16;
	F.missing_hi = DESC + 32;
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_MISSING);
	CHECK_EQ_U(c.n_desc, 1);
	CHECK_EQ_U(c.fault.rule, RULE_NONE);
	EXPECT_FAULT(split_ring_walk(&r, 0, &rfx_ops_emu, &F, &c), &c, RULE_RING_BUFFER_OUTSIDE_MEMORY, 1, 1, false,
		     "chain at head 0: descriptor 1 unreadable");

	/* The head itself missing: nothing read. */
	F.missing_lo = DESC;
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_MISSING);
	CHECK_EQ_U(c.n_desc, 0);

	/* A rough descriptor marks the chain, and a finding after it. */
	rfx_reset(&F);
	put(DESC, 0, BUF, 16, NX, 1);
	put(DESC, 1, BUF, 16, NX, QN);
	F.rough_lo = DESC;
	F.rough_hi = DESC + 1;
	int rc = split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c);
	CHECK_EQ_U(rc, VRING_BROKEN);
	CHECK_EQ_U(c.rough, 1);
	rfx_reset(&F);
	put(DESC, 0, BUF, 16, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_OK);
	CHECK_EQ_U(c.rough, 0);

	/* An indirect table partly missing. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 48, IND, 0);
	put(TABLE, 0, BUF, 8, NX, 1);
	put(TABLE, 1, BUF, 8, NX, 2);
	put(TABLE, 2, BUF, 8, 0, 0);
	F.missing_lo = TABLE + 32;
	F.missing_hi = TABLE + 48;
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_MISSING);
	CHECK_EQ_U(c.n_desc, 3);
	CHECK_EQ_U(c.indirect, 1);
}

/* Visitors end a walk early: VRING_STOPPED quietly, a negative errno is
 * passed back. */
static void test_visitors(void)
{
	struct split_ring r = ring(QN, false);
	struct vring_chain c;

	rfx_reset(&F);
	for (uint32_t i = 0; i < 4; i++)
		put(DESC, i, BUF, 1, (uint16_t)(i < 3 ? NX : 0), (uint16_t)(i + 1));
	F.buf_ret_at = 1;
	F.buf_ret = VRING_STOPPED;
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), VRING_STOPPED);
	CHECK_EQ_U(c.n_desc, 2);
	F.n_buf = 0;
	F.reads = 0;
	F.buf_ret = -ENOSPC;
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_trace, &F, &c), -ENOSPC);
	CHECK_EQ_U(F.reads, 2);
}

/* Salvaging (the QEMU snapshots): follow what a lenient device would,
 * keep the first finding, stop where the chain cannot be followed. */
static void test_salvage(void)
{
	struct split_ring r = ring(QN, true);
	struct vring_chain c;

	/* Length 17: one whole descriptor followed; its next is outside
	 * that one-entry table, which stops the walk, but the finding kept
	 * is the first one, the length. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 17, IND, 0);
	put(TABLE, 0, BUF, 8, NX, 1);
	put(TABLE, 1, BUF, 8, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(c.fault.rule, RULE_RING_INDIRECT_LEN);
	CHECK_EQ_U(F.n_buf, 1);
	rfx_reset(&F);
	put(DESC, 0, TABLE, 17, IND, 0);
	put(TABLE, 0, BUF, 8, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(c.fault.rule, RULE_RING_INDIRECT_LEN);
	CHECK_EQ_U(F.ind_bytes, 16);
	CHECK_EQ_U(F.n_buf, 1);

	/* Huge: at most num entries. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 0xfffffff0u, IND, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(F.ind_bytes, 16 * QN);
	/* Under one descriptor: nothing to follow. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 8, IND, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(F.n_ind, 0);

	/* INDIRECT with NEXT: the table, not the next descriptor. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 16, IND | NX, 1);
	put(DESC, 1, BUF + 0x100, 8, 0, 0);
	put(TABLE, 0, BUF, 8, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(c.fault.rule, RULE_RING_INDIRECT_WITH_NEXT);
	CHECK_EQ_U(F.n_buf, 1);
	CHECK_EQ_U(F.buf[0].addr, BUF);

	/* A buffer outside RAM and a readable one after a writable one are
	 * shown anyway, and the walk goes on. */
	rfx_reset(&F);
	put(DESC, 0, UINT64_C(0xfffffffffffffff8), 16, W | NX, 1);
	put(DESC, 1, BUF, 8, NX, 2);
	put(DESC, 2, BUF, 8, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(c.fault.rule, RULE_RING_BUFFER_OUTSIDE_MEMORY);
	CHECK_EQ_U(c.fault.at.idx, 0);
	CHECK_EQ_U(F.n_buf, 3);

	/* Nested: stops. Loops: stop after num, as always. */
	rfx_reset(&F);
	put(DESC, 0, TABLE, 32, IND, 0);
	put(TABLE, 0, TABLE + 0x100, 16, IND | NX, 1);
	put(TABLE, 1, BUF, 8, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(c.fault.rule, RULE_RING_INDIRECT_NESTED);
	CHECK_EQ_U(F.n_buf, 0);
	rfx_reset(&F);
	put(DESC, 0, BUF, 8, NX, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_BROKEN);
	CHECK_EQ_U(c.fault.rule, RULE_RING_CHAIN_LOOP);
	CHECK_EQ_U(F.reads, QN);

	/* A legal chain salvages to VRING_OK. */
	rfx_reset(&F);
	put(DESC, 0, BUF, 8, 0, 0);
	CHECK_EQ_U(split_ring_walk(&r, 0, &rfx_ops_salvage, &F, &c), VRING_OK);
}

/* B04 / B05: heads up to num - 1, and up to num entries at once, whatever
 * the 16-bit wrap. */
static void test_avail_checks(void)
{
	struct vring_fault f;

	CHECK_EQ_U(split_ring_check_head(QN, 0, QN - 1, &f), VRING_OK);
	CHECK_EQ_U(split_ring_check_head(QN, 13, QN, &f), VRING_BROKEN);
	CHECK_EQ_U(f.rule, RULE_RING_HEAD_RANGE);
	CHECK_EQ_U(f.at.head, QN);
	CHECK_EQ_U(f.at.idx, 5);
	CHECK_STR(f.msg, "available ring slot 5 holds head 8, outside the 8-entry queue");
	CHECK_EQ_U(split_ring_check_head(QN, 0, 0xffff, &f), VRING_BROKEN);
	CHECK_EQ_U(split_ring_check_head(0, 0, 0, &f), VRING_BROKEN); /* no division by zero */

	CHECK_EQ_U(split_ring_check_avail(QN, QN, 0, &f), VRING_OK);
	CHECK_EQ_U(split_ring_check_avail(QN, QN + 1, 0, &f), VRING_BROKEN);
	CHECK_EQ_U(f.rule, RULE_RING_AVAIL_JUMP);
	CHECK_STR(f.msg, "available index 9 is 9 entries ahead of the device (0), more than the queue size 8");
	CHECK_EQ_U(split_ring_check_avail(QN, 2, 0xfffe, &f), VRING_OK); /* 4 across the wrap */
	CHECK_EQ_U(split_ring_check_avail(QN, 0xfffe, 2, &f), VRING_BROKEN); /* backwards is a jump */
	CHECK_EQ_U(split_ring_ahead(3, 0xffff), 4);
	CHECK_EQ_U(split_ring_check_avail(VIRTQ_SIZE_MAX, 0x8000, 0, &f), VRING_OK);
	CHECK_EQ_U(split_ring_check_avail(VIRTQ_SIZE_MAX, 0x8001, 0, &f), VRING_BROKEN);

	struct split_ring r = ring(QN, false);
	CHECK_EQ_U(split_ring_avail_slot_addr(&r, 9), r.avail + 4 + 2);
	CHECK_EQ_U(split_ring_used_elem_addr(&r, 9), r.used + 4 + 8);
	CHECK_EQ_U(split_ring_used_event_addr(&r), r.avail + 4 + 2 * QN);
	CHECK_EQ_U(split_ring_avail_event_addr(&r), r.used + 4 + 8 * QN);
	CHECK_EQ_U(split_ring_desc_addr(&r, 3), r.desc + 48);

	/* Legacy layout: used ring at the next multiple of align, or right
	 * there when the avail ring ends on it. */
	uint64_t avail, used;
	split_ring_legacy_layout(0x1000, QN, 4096, &avail, &used);
	CHECK_EQ_U(avail, 0x1080);
	CHECK_EQ_U(used, 0x2000);
	split_ring_legacy_layout(0x1000, QN, 2, &avail, &used);
	CHECK_EQ_U(used, 0x1096);
	split_ring_legacy_layout(0, VIRTQ_SIZE_MAX, 4096, &avail, &used);
	CHECK_EQ_U(avail, 16u * VIRTQ_SIZE_MAX);
	CHECK_EQ_U(used, 16u * VIRTQ_SIZE_MAX + 0x11000);
}

int main(void)
{
	rfx_reset(&F);
	RUN(test_desc_decode);
	RUN(test_simple_chain);
	RUN(test_chain_length);
	RUN(test_next_range);
	RUN(test_indirect);
	RUN(test_buffers);
	RUN(test_memory);
	RUN(test_visitors);
	RUN(test_salvage);
	RUN(test_avail_checks);
	rfx_release(&F);
	return harness_finish("test_split_ring");
}
