/* Packed virtqueues in the emulator (Basic Facilities / Packed
 * Virtqueues): an rng device offering VIRTIO_F_RING_PACKED, with this test
 * as the driver writing descriptors into guest RAM by hand.  Wrap-around
 * (many more requests than slots, on a ring whose size is not a power of
 * two, chains crossing the ring's end), indirect tables, both event
 * suppression structures, and drivers that break packed-ring rules: each
 * caught with its rule, the device stopped (DEVICE_NEEDS_RESET) without a
 * used descriptor; and RELIABILITY.md's B-cases in packed form (a loop
 * and a queue-size chain crossing the ring's end, slots offered out of
 * order, AVAIL/USED set wrongly, ring areas misaligned, overlapping, past
 * RAM or in the MMIO window, a new ring on a live queue).  Run under
 * ASan/UBSan: no access may leave guest RAM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "virtio/mmio_regs.h"
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"
#include "tests/emu/emu_fixture.h"
#include "tests/harness.h"

#define V1 VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_INDIRECT VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define F_EVENT_IDX VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define F_PACKED VIRTIO_BIT(VIRTIO_F_RING_PACKED)
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT
#define IND VIRTQ_DESC_F_INDIRECT

#define DESC_GPA FX_RING_GPA
#define DRV_EV_GPA (FX_RING_GPA + 0x8000)  /* driver event suppression */
#define DEV_EV_GPA (FX_RING_GPA + 0x8010)  /* device event suppression */
#define TABLE_GPA (FX_BUF_GPA + 0x10000)
#define BUF_LEN 16u

/* The test's driver state: position and wrap counter of the next
 * descriptor it makes available, and of the next used one it expects. */
struct pdrv {
	struct fx f;
	uint32_t num;
	struct packed_pos avail, used;
};

static bool boot(struct pdrv *p, uint64_t accept, uint32_t num)
{
	memset(p, 0, sizeof(*p));
	if (fx_open_packed(&p->f, &emu_model_rng, 0) < 0) {
		CHECK(!"fx_open_packed failed");
		return false;
	}
	fx_probe(&p->f);
	CHECK(fx_negotiate(&p->f, accept | V1 | F_PACKED) & VIRTIO_STATUS_FEATURES_OK);
	CHECK(emu_negotiated(p->f.d) & F_PACKED);
	fx_queue_modern(&p->f, 0, num, DESC_GPA, DRV_EV_GPA, DEV_EV_GPA);
	fx_driver_ok(&p->f);
	/* A packed ring of a size that is not a power of two is legal, and its
	 * 4-byte event areas side by side do not overlap. */
	FX_EXPECT_NONE(&p->f);
	fx_clear(&p->f);
	p->num = num;
	p->avail = p->used = (struct packed_pos){ 0, true };
	return true;
}

static void put_desc(struct pdrv *p, uint64_t gpa, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags, .next = id };

	packed_ring_desc_encode(b, &d);
	CHECK(gmem_write(&p->f.gm, GMEM_DRIVER, gpa, b, sizeof(b)) == 0);
}

/* Make a chain of n descriptors (flags each, NEXT added but on the last)
 * available at the driver's position; the head's flags written last. */
static void add_chain(struct pdrv *p, uint16_t id, unsigned n, const uint64_t *addr, const uint32_t *len,
		      const uint16_t *flags)
{
	struct packed_pos pos = p->avail;

	for (unsigned i = n; i-- > 0;) {
		struct packed_pos at = p->avail;
		packed_ring_advance(&at, p->num, i);
		uint16_t fl = (uint16_t)(flags[i] | (i + 1 < n ? NX : 0) | packed_ring_avail_flags(at.wrap));
		put_desc(p, DESC_GPA + 16ull * at.slot, addr[i], len[i], id, fl);
	}
	packed_ring_advance(&pos, p->num, n);
	p->avail = pos;
}

static void set_event(struct pdrv *p, uint64_t gpa, uint16_t off, bool wrap, uint16_t flags)
{
	uint8_t b[PACKED_EVENT_SIZE];
	struct packed_event e = { .off = off, .wrap = wrap, .flags = flags };

	packed_ring_event_encode(b, &e);
	CHECK(gmem_write(&p->f.gm, GMEM_DRIVER, gpa, b, sizeof(b)) == 0);
}

/* Expect the used descriptor for buffer id (taking slots slots) at the
 * driver's used position, with len written. */
static void expect_used(struct pdrv *p, uint16_t id, uint32_t len, unsigned slots)
{
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;

	CHECK(gmem_read(&p->f.gm, DESC_GPA + 16ull * p->used.slot, b, sizeof(b)) == 0);
	packed_ring_desc_decode(b, &d);
	CHECK(packed_ring_desc_used(d.flags, p->used.wrap));
	CHECK_EQ_U(d.next, id);
	CHECK_EQ_U(d.len, len);
	CHECK(d.flags & W);
	packed_ring_advance(&p->used, p->num, slots);
}

/* The device stopped on rule: exactly that violation, DEVICE_NEEDS_RESET,
 * no used descriptor written. */
static void expect_stopped(struct pdrv *p, enum rule_id rule)
{
	FX_EXPECT(&p->f, rule);
	CHECK(emu_device_status(p->f.d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK_EQ_U(p->f.dev_writes, 0);
}

/* 60 requests through rings of 5 and 4 slots: single buffers, then
 * chains of 2 and 3 that cross the ring's end; each used descriptor where
 * the driver expects it, with the right id, length and wrap bits, and the
 * buffers filled. */
static void test_wrap_around(void)
{
	static const uint32_t sizes[] = { 5, 4, 7 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (unsigned n = 1; n <= 3; n++) {
			struct pdrv p;
			unsigned wraps = 0;

			if (!boot(&p, 0, sizes[s]))
				return;
			for (unsigned r = 0; r < 60; r++) {
				uint64_t addr[3];
				uint32_t len[3] = { BUF_LEN, BUF_LEN, BUF_LEN };
				uint16_t fl[3] = { W, W, W };
				uint8_t buf[3 * BUF_LEN];
				uint16_t id = (uint16_t)(r % sizes[s]);
				bool before = p.used.wrap;

				for (unsigned i = 0; i < n; i++)
					addr[i] = FX_BUF_GPA + BUF_LEN * (3 * (r % 4) + i);
				memset(buf, 0, sizeof(buf));
				CHECK(gmem_write(&p.f.gm, GMEM_DRIVER, addr[0], buf, n * BUF_LEN) == 0);
				add_chain(&p, id, n, addr, len, fl);
				fx_notify(&p.f, 0);
				expect_used(&p, id, n * BUF_LEN, n);
				CHECK(gmem_read(&p.f.gm, addr[0], buf, n * BUF_LEN) == 0);
				unsigned zeros = 0;
				for (unsigned i = 0; i < n * BUF_LEN; i++)
					zeros += buf[i] == 0;
				CHECK(zeros < n * BUF_LEN / 2);
				wraps += before != p.used.wrap;
			}
			CHECK(wraps >= 60 * n / sizes[s] - 1);
			FX_EXPECT_NONE(&p.f);
			CHECK(!(emu_device_status(p.f.d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
			/* Every used buffer interrupts (event flags ENABLE). */
			CHECK_EQ_U(p.f.n_irq, 60);
			fx_close(&p.f);
		}
	}
}

/* Several chains made available before one notification: popped in ring
 * order, used descriptors in the same slots. */
static void test_batch(void)
{
	struct pdrv p;

	if (!boot(&p, 0, 6))
		return;
	for (unsigned round = 0; round < 10; round++) {
		for (unsigned i = 0; i < 3; i++) {
			uint64_t a[2] = { FX_BUF_GPA + 64 * i, FX_BUF_GPA + 64 * i + 32 };
			uint32_t l[2] = { 8, 8 };
			uint16_t fl[2] = { W, W };
			add_chain(&p, (uint16_t)(5 - i), 2, a, l, fl);
		}
		fx_notify(&p.f, 0);
		for (unsigned i = 0; i < 3; i++)
			expect_used(&p, (uint16_t)(5 - i), 16, 2);
	}
	FX_EXPECT_NONE(&p.f);
	fx_close(&p.f);
}

/* An indirect table of 3 writable buffers: one ring slot, used length the
 * table's total; without INDIRECT_DESC negotiated the same chain stops
 * the device. */
static void test_indirect(void)
{
	struct pdrv p;

	for (unsigned round = 0; round < 2; round++) {
		bool negotiated = round == 0;

		if (!boot(&p, negotiated ? F_INDIRECT : 0, 4))
			return;
		for (unsigned r = 0; r < (negotiated ? 9u : 1u); r++) {
			for (unsigned i = 0; i < 3; i++)
				put_desc(&p, TABLE_GPA + 16 * i, FX_BUF_GPA + 32 * i, 20, 0, W);
			uint64_t a = TABLE_GPA;
			uint32_t l = 48;
			uint16_t fl = IND;
			add_chain(&p, 3, 1, &a, &l, &fl);
			fx_notify(&p.f, 0);
			if (negotiated)
				expect_used(&p, 3, 60, 1);
		}
		if (negotiated)
			FX_EXPECT_NONE(&p.f);
		else
			expect_stopped(&p, RULE_RING_INDIRECT_NOT_NEGOTIATED);
		fx_close(&p.f);
	}
}

/* Driver event suppression (read by the device before interrupting):
 * DISABLE: none; ENABLE: each; DESC (EVENT_IDX): only when the used
 * descriptor at the named slot and wrap is written.  Device event
 * suppression: with EVENT_IDX the device publishes where it reads next. */
static void test_event_suppression(void)
{
	struct pdrv p;
	uint64_t a = FX_BUF_GPA;
	uint32_t l = 8;
	uint16_t fl = W;
	uint8_t ev[PACKED_EVENT_SIZE];
	struct packed_event e;

	if (!boot(&p, F_EVENT_IDX, 4))
		return;
	set_event(&p, DRV_EV_GPA, 0, true, PACKED_EVENT_F_DISABLE);
	for (unsigned i = 0; i < 3; i++) {
		add_chain(&p, (uint16_t)i, 1, &a, &l, &fl);
		fx_notify(&p.f, 0);
		expect_used(&p, (uint16_t)i, 8, 1);
	}
	CHECK_EQ_U(p.f.n_irq, 0);
	CHECK(gmem_read(&p.f.gm, DEV_EV_GPA, ev, sizeof(ev)) == 0);
	packed_ring_event_decode(ev, &e);
	CHECK_EQ_U(e.flags, PACKED_EVENT_F_DESC);
	CHECK_EQ_U(e.off, 3);
	CHECK(e.wrap);

	set_event(&p, DRV_EV_GPA, 0, true, PACKED_EVENT_F_ENABLE);
	add_chain(&p, 3, 1, &a, &l, &fl); /* slot 3, the last of the lap */
	fx_notify(&p.f, 0);
	expect_used(&p, 3, 8, 1);
	CHECK_EQ_U(p.f.n_irq, 1);
	CHECK(gmem_read(&p.f.gm, DEV_EV_GPA, ev, sizeof(ev)) == 0);
	packed_ring_event_decode(ev, &e);
	CHECK_EQ_U(e.off, 0);
	CHECK(!e.wrap); /* the device's read position wrapped */

	/* Interrupt when slot 2 of the second lap (wrap 0) is used: not for
	 * slots 0 and 1, then once for slot 2, not for slot 3. */
	set_event(&p, DRV_EV_GPA, 2, false, PACKED_EVENT_F_DESC);
	unsigned want[4] = { 1, 1, 2, 2 };
	for (unsigned i = 0; i < 4; i++) {
		add_chain(&p, (uint16_t)i, 1, &a, &l, &fl);
		fx_notify(&p.f, 0);
		expect_used(&p, (uint16_t)i, 8, 1);
		CHECK_EQ_U(p.f.n_irq, want[i]);
	}
	/* An event in the previous lap was passed long ago: no interrupt. */
	set_event(&p, DRV_EV_GPA, 1, false, PACKED_EVENT_F_DESC);
	add_chain(&p, 0, 1, &a, &l, &fl);
	fx_notify(&p.f, 0);
	expect_used(&p, 0, 8, 1);
	CHECK_EQ_U(p.f.n_irq, 2);
	FX_EXPECT_NONE(&p.f);
	fx_close(&p.f);

	/* Without EVENT_IDX the device never writes its event area, and a
	 * DESC request reads as ENABLE. */
	if (!boot(&p, 0, 4))
		return;
	set_event(&p, DRV_EV_GPA, 3, true, PACKED_EVENT_F_DESC);
	add_chain(&p, 0, 1, &a, &l, &fl);
	fx_notify(&p.f, 0);
	expect_used(&p, 0, 8, 1);
	CHECK_EQ_U(p.f.n_irq, 1);
	CHECK(gmem_read(&p.f.gm, DEV_EV_GPA, ev, sizeof(ev)) == 0);
	CHECK_EQ_U(ev[0] | ev[1] | ev[2] | ev[3], 0);
	fx_close(&p.f);
}

/* Drivers breaking packed-ring rules: each stops the device with its rule
 * and no used descriptor. */
static void test_broken_drivers(void)
{
	struct pdrv p;
	uint64_t a[4] = { FX_BUF_GPA, FX_BUF_GPA + 64, FX_BUF_GPA + 128, FX_BUF_GPA + 192 };
	uint32_t l[4] = { 8, 8, 8, 8 };
	uint16_t fl[4] = { W, W, W, W };

	/* Buffer id 4 in a 4-entry ring. */
	if (!boot(&p, 0, 4))
		return;
	add_chain(&p, 4, 1, a, l, fl);
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_HEAD_RANGE);
	fx_close(&p.f);

	/* The chain's second descriptor carries the other lap's AVAIL bit. */
	if (!boot(&p, 0, 4))
		return;
	put_desc(&p, DESC_GPA + 16, a[1], 8, 0, (uint16_t)(W | packed_ring_avail_flags(false)));
	put_desc(&p, DESC_GPA, a[0], 8, 0, (uint16_t)(W | NX | packed_ring_avail_flags(true)));
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_PACKED_NOT_AVAIL);
	fx_close(&p.f);

	/* Every descriptor has NEXT: the chain never ends within the ring. */
	if (!boot(&p, 0, 4))
		return;
	for (unsigned i = 4; i-- > 0;)
		put_desc(&p, DESC_GPA + 16 * i, a[i], 8, 0, (uint16_t)(W | NX | packed_ring_avail_flags(true)));
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_CHAIN_LOOP);
	fx_close(&p.f);

	/* A buffer past the end of guest RAM. */
	if (!boot(&p, 0, 4))
		return;
	uint64_t far = FX_RAM_BASE + FX_RAM_SIZE - 4;
	add_chain(&p, 0, 1, &far, l, fl);
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_BUFFER_OUTSIDE_MEMORY);
	fx_close(&p.f);

	/* A readable buffer after a writable one. */
	if (!boot(&p, 0, 4))
		return;
	uint16_t wr[2] = { W, 0 };
	add_chain(&p, 0, 2, a, l, wr);
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_WRITE_BEFORE_READ);
	fx_close(&p.f);

	/* Indirect tables: NEXT beside INDIRECT, a length that is not a
	 * multiple of 16, a nested table, a table outside RAM. */
	static const struct {
		uint16_t flags;
		uint32_t len;
		uint64_t table;
		bool nested;
		enum rule_id rule;
	} ind[] = {
		{ IND | NX, 32, TABLE_GPA, false, RULE_RING_INDIRECT_WITH_NEXT },
		{ IND, 24, TABLE_GPA, false, RULE_RING_INDIRECT_LEN },
		{ IND, 0, TABLE_GPA, false, RULE_RING_INDIRECT_LEN },
		{ IND, 32, TABLE_GPA, true, RULE_RING_INDIRECT_NESTED },
		{ IND, 32, FX_RAM_BASE + FX_RAM_SIZE - 16, false, RULE_RING_BUFFER_OUTSIDE_MEMORY },
	};
	for (size_t i = 0; i < sizeof(ind) / sizeof(ind[0]); i++) {
		if (!boot(&p, F_INDIRECT, 4))
			return;
		put_desc(&p, TABLE_GPA, a[0], 8, 0, W);
		put_desc(&p, TABLE_GPA + 16, ind[i].nested ? TABLE_GPA : a[1], 8, 0, ind[i].nested ? IND : W);
		if (ind[i].flags & NX)
			put_desc(&p, DESC_GPA + 16, a[2], 8, 0, (uint16_t)(W | packed_ring_avail_flags(true)));
		put_desc(&p, DESC_GPA, ind[i].table, ind[i].len, 0,
			 (uint16_t)(ind[i].flags | packed_ring_avail_flags(true)));
		fx_notify(&p.f, 0);
		expect_stopped(&p, ind[i].rule);
		fx_close(&p.f);
	}

	/* After a reset the device works again from wrap counter 1. */
	if (!boot(&p, 0, 4))
		return;
	add_chain(&p, 9, 1, a, l, fl);
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_HEAD_RANGE);
	fx_clear(&p.f);
	fx_negotiate(&p.f, V1 | F_PACKED);
	CHECK(gmem_write(&p.f.gm, GMEM_DRIVER, DESC_GPA, (uint8_t[16]){ 0 }, 16) == 0);
	fx_queue_modern(&p.f, 0, 4, DESC_GPA, DRV_EV_GPA, DEV_EV_GPA);
	fx_driver_ok(&p.f);
	p.avail = p.used = (struct packed_pos){ 0, true };
	add_chain(&p, 1, 1, a, l, fl);
	fx_notify(&p.f, 0);
	expect_used(&p, 1, 8, 1);
	FX_EXPECT_NONE(&p.f);
	fx_close(&p.f);
}

/* Set-up: a misaligned descriptor ring or event area is refused (the
 * checker reports ring-misaligned; the queue never goes live). */
static void test_setup(void)
{
	struct fx f;

	if (fx_open_packed(&f, &emu_model_rng, 0) < 0) {
		CHECK(!"fx_open_packed failed");
		return;
	}
	fx_probe(&f);
	fx_negotiate(&f, V1 | F_PACKED);
	fx_queue_modern(&f, 0, 4, DESC_GPA, DRV_EV_GPA + 2, DEV_EV_GPA);
	CHECK(fx_count(&f, RULE_RING_MISALIGNED) == 1);
	CHECK(emu_device_status(f.d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	fx_close(&f);

	/* Not offered on Version 1, nor unless asked for. */
	if (fx_open(&f, &emu_model_rng, 2, 0) == 0) {
		CHECK(!(emu_device_features(f.d) & F_PACKED));
		fx_close(&f);
	}
}

/* RELIABILITY.md's B-cases in packed form not covered above: a chain of
 * exactly the queue size (B02), queue sizes 3 (legal: no power of two
 * needed) and past QueueNumMax (B06), a huge indirect length (B07), a
 * buffer wrapping the address space (B10). */
static void test_b_cases(void)
{
	struct pdrv p;
	uint64_t a[5] = { FX_BUF_GPA, FX_BUF_GPA + 64, FX_BUF_GPA + 128, FX_BUF_GPA + 192, FX_BUF_GPA + 256 };
	uint32_t l[5] = { 8, 8, 8, 8, 8 };
	uint16_t fl[5] = { W, W, W, W, W };

	/* B02: 4 descriptors in a 4-slot ring, twice (the second lap's chain
	 * starts at slot 0 again). */
	if (!boot(&p, 0, 4))
		return;
	for (unsigned r = 0; r < 2; r++) {
		add_chain(&p, 2, 4, a, l, fl);
		fx_notify(&p.f, 0);
		expect_used(&p, 2, 32, 4);
	}
	FX_EXPECT_NONE(&p.f);
	fx_close(&p.f);

	/* B06: a 3-entry ring works through many laps. */
	if (!boot(&p, 0, 3))
		return;
	for (unsigned r = 0; r < 10; r++) {
		add_chain(&p, (uint16_t)(r % 3), 2, a, l, fl);
		fx_notify(&p.f, 0);
		expect_used(&p, (uint16_t)(r % 3), 16, 2);
	}
	FX_EXPECT_NONE(&p.f);
	fx_close(&p.f);
	/* B06: QueueNum above QueueNumMax and 0x10000: reported, never live. */
	for (unsigned k = 0; k < 2; k++) {
		struct fx f;
		if (fx_open_packed(&f, &emu_model_rng, 0) < 0)
			return;
		fx_probe(&f);
		fx_negotiate(&f, V1 | F_PACKED);
		fx_queue_modern(&f, 0, k ? 0x10000 : EMU_QUEUE_NUM_MAX_DEFAULT + 1, DESC_GPA, DRV_EV_GPA, DEV_EV_GPA);
		CHECK(fx_count(&f, RULE_QUEUE_NUM_ABOVE_MAX) == 1);
		fx_driver_ok(&f);
		fx_notify(&f, 0);
		CHECK_EQ_U(f.dev_writes, 0);
		fx_close(&f);
	}

	/* B07: an indirect table of 0xfffffff0 bytes. */
	if (!boot(&p, F_INDIRECT, 4))
		return;
	put_desc(&p, DESC_GPA, TABLE_GPA, 0xfffffff0u, 0, (uint16_t)(IND | packed_ring_avail_flags(true)));
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_INDIRECT_LEN);
	fx_close(&p.f);

	/* B10: a buffer wrapping past 2^64. */
	if (!boot(&p, 0, 4))
		return;
	uint64_t wrap = UINT64_MAX - 7;
	add_chain(&p, 0, 1, &wrap, l, fl);
	fx_notify(&p.f, 0);
	expect_stopped(&p, RULE_RING_BUFFER_OUTSIDE_MEMORY);
	fx_close(&p.f);
}

/* The virtqueue engine directly: chains popped and not yet used hold
 * their slots; a driver that marks a held slot available again (all four
 * of a 4-slot ring held, slot 0 offered in the next lap) breaks
 * ring-avail-idx-jump, and the queue state stays as it was.  Pushing in
 * another order than popping writes used descriptors in ring order with
 * each chain's own id and slot count. */
static void test_engine_held_slots(void)
{
	struct guest_mem gm;
	struct virtqueue vq;
	struct vq_fault f;
	struct vq_chain c[5];
	struct vq_buf bufs[5];
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;

	CHECK(gmem_init(&gm, FX_RAM_BASE, FX_RAM_SIZE) == 0);
	CHECK(vq_setup_packed(&vq, &gm, 4, DESC_GPA, DRV_EV_GPA, DEV_EV_GPA, false, false, &f) == 0);
	vq_release(&vq);
	CHECK(vq_setup_packed(&vq, &gm, 4, DESC_GPA + 8, DRV_EV_GPA, DEV_EV_GPA, false, false, &f) == -1);
	CHECK_EQ_U(f.rule, RULE_RING_MISALIGNED);
	CHECK(vq_setup_packed(&vq, &gm, 4, FX_RAM_BASE + FX_RAM_SIZE - 32, DRV_EV_GPA, DEV_EV_GPA, false, false, &f) == -1);
	CHECK_EQ_U(f.rule, RULE_RING_OUTSIDE_MEMORY);
	CHECK(vq_setup_packed(&vq, &gm, VIRTQ_SIZE_MAX + 1, DESC_GPA, DRV_EV_GPA, DEV_EV_GPA, false, false, &f) == -1);
	CHECK(vq_setup_packed(&vq, &gm, 4, DESC_GPA, DRV_EV_GPA, DEV_EV_GPA, false, false, &f) == 0);
	for (unsigned i = 0; i < 4; i++) {
		struct vring_desc nd = { .addr = FX_BUF_GPA + 64 * i, .len = 8, .next = (uint16_t)(3 - i),
					 .flags = (uint16_t)(W | packed_ring_avail_flags(true)) };
		packed_ring_desc_encode(b, &nd);
		CHECK(gmem_write(&gm, GMEM_DRIVER, DESC_GPA + 16 * i, b, 16) == 0);
	}
	CHECK_EQ_U(vq_pending(&vq), 1);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ_U(vq_pop(&vq, &c[i], &f), 1);
		/* bufs point into the queue's scratch: keep a copy. */
		bufs[i] = c[i].bufs[0];
		c[i].bufs = &bufs[i];
		CHECK_EQ_U(c[i].head, 3 - i);
		CHECK_EQ_U(c[i].slots, 1);
	}
	CHECK_EQ_U(vq_pop(&vq, &c[4], &f), 0);
	/* Slot 0 offered again in the second lap while the device holds it. */
	struct vring_desc again = { .addr = FX_BUF_GPA, .len = 8, .next = 0,
				    .flags = (uint16_t)(W | packed_ring_avail_flags(false)) };
	packed_ring_desc_encode(b, &again);
	CHECK(gmem_write(&gm, GMEM_DRIVER, DESC_GPA, b, 16) == 0);
	CHECK_EQ_U(vq_pop(&vq, &c[4], &f), -1);
	CHECK_EQ_U(f.rule, RULE_RING_AVAIL_JUMP);
	CHECK_EQ_U(vq.outstanding, 4);
	/* Used in the order 2, 0, 3, 1 (ids 1, 3, 0, 2): slots 0..3 in turn. */
	static const unsigned order[4] = { 2, 0, 3, 1 };
	for (unsigned k = 0; k < 4; k++)
		CHECK_EQ_U(vq_push(&vq, &c[order[k]], 8, &f), 0);
	for (unsigned k = 0; k < 4; k++) {
		CHECK(gmem_read(&gm, DESC_GPA + 16 * k, b, 16) == 0);
		packed_ring_desc_decode(b, &d);
		CHECK_EQ_U(d.next, 3 - order[k]);
		CHECK(packed_ring_desc_used(d.flags, true));
	}
	CHECK_EQ_U(vq.outstanding, 0);
	CHECK(!vq.next_used.wrap);
	/* A chain pushed twice is refused. */
	CHECK_EQ_U(vq_push(&vq, &c[0], 8, &f), -1);
	/* Offered again once used: now slot 0 of the second lap is the
	 * device's to take. */
	CHECK_EQ_U(vq_pop(&vq, &c[4], &f), 0);
	packed_ring_desc_encode(b, &again);
	CHECK(gmem_write(&gm, GMEM_DRIVER, DESC_GPA, b, 16) == 0);
	CHECK_EQ_U(vq_pop(&vq, &c[4], &f), 1);
	CHECK_EQ_U(c[4].head, 0);
	vq_release(&vq);
	gmem_release(&gm);
}

static uint64_t fuzz_state = UINT64_C(0x9e3779b97f4a7c15);

static uint32_t fuzz_below(uint32_t n)
{
	/* xorshift64* */
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return (uint32_t)((fuzz_state * UINT64_C(0x2545f4914f6cdd1d)) >> 32) % n;
}

static uint64_t fuzz_addr(void)
{
	switch (fuzz_below(8)) {
	case 0: return FX_RAM_BASE + FX_RAM_SIZE - fuzz_below(64);
	case 1: return FX_RAM_BASE - fuzz_below(64);
	case 2: return UINT64_MAX - fuzz_below(64);
	case 3: return TABLE_GPA + 16ull * fuzz_below(8);
	default: return FX_BUF_GPA + fuzz_below(0x8000);
	}
}

/* Seeded garbage in packed rings (biased towards almost-valid flags, ids,
 * lengths and indirect tables), notified several times: the device either
 * goes on without a report or stops on exactly one ring rule; nothing it
 * touches leaves guest RAM (ASan/UBSan and guest_mem's bounds). */
static void test_fuzz(void)
{
	static const enum rule_id ring_rules[] = {
		RULE_RING_HEAD_RANGE, RULE_RING_CHAIN_LOOP, RULE_RING_AVAIL_JUMP, RULE_RING_BUFFER_OUTSIDE_MEMORY,
		RULE_RING_INDIRECT_NOT_NEGOTIATED, RULE_RING_INDIRECT_LEN, RULE_RING_INDIRECT_NESTED,
		RULE_RING_INDIRECT_WITH_NEXT, RULE_RING_WRITE_BEFORE_READ, RULE_RING_PACKED_NOT_AVAIL,
		RULE_REQUEST_MALFORMED,
	};
	unsigned stopped = 0, clean = 0;

	for (unsigned it = 0; it < 1500; it++) {
		struct pdrv p;
		uint32_t num = 1 + fuzz_below(9);
		uint64_t accept = (fuzz_below(2) ? F_INDIRECT : 0) | (fuzz_below(2) ? F_EVENT_IDX : 0);

		if (!boot(&p, accept, num))
			return;
		for (unsigned round = 0; round < 4; round++) {
			unsigned n = fuzz_below(num + 2);
			for (unsigned k = 0; k < n; k++) {
				uint16_t slot = (uint16_t)fuzz_below(num);
				uint16_t fl = (uint16_t)(fuzz_below(4) ? (W | (fuzz_below(3) ? 0 : NX) | (fuzz_below(6) ? 0 : IND))
								: fuzz_below(0x10000));
				fl = (uint16_t)((fl & ~(PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED)) |
						(fuzz_below(5) ? packed_ring_avail_flags(round & 1 ? false : true)
							       : (fuzz_below(0x10000) & 0x8080u)));
				uint32_t len = fuzz_below(4) ? 16u * (1 + fuzz_below(4)) : fuzz_below(0x20000);
				uint16_t id = (uint16_t)(fuzz_below(4) ? fuzz_below(num) : fuzz_below(0x10000));
				put_desc(&p, DESC_GPA + 16ull * slot, fuzz_addr(), len, id, fl);
			}
			for (unsigned k = 0; k < 8; k++)
				put_desc(&p, TABLE_GPA + 16 * k, fuzz_addr(), fuzz_below(64), (uint16_t)fuzz_below(0x10000),
					 (uint16_t)(fuzz_below(3) ? W : fuzz_below(0x10000)));
			if (fuzz_below(3) == 0)
				set_event(&p, DRV_EV_GPA, (uint16_t)fuzz_below(0x8000), fuzz_below(2),
					  (uint16_t)fuzz_below(4));
			fx_notify(&p.f, 0);
		}
		/* rng reports a request of readable buffers (request-malformed)
		 * and goes on; a ring rule stops the device, and is the last
		 * report. */
		bool needs_reset = emu_device_status(p.f.d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
		unsigned nv = p.f.n_viol < FX_MAX_REPORTS ? p.f.n_viol : FX_MAX_REPORTS;
		for (unsigned v = 0; v < nv; v++) {
			bool known = false, last = v + 1 == nv;
			for (size_t r = 0; r < sizeof(ring_rules) / sizeof(ring_rules[0]); r++)
				known |= p.f.rule[v] == ring_rules[r];
			if (!known || (p.f.rule[v] == RULE_REQUEST_MALFORMED) == (needs_reset && last))
				fprintf(stderr, "unexpected rule %u (report %u of %u): %s\n", p.f.rule[v], v + 1, nv,
					p.f.msg[v]);
			CHECK(known);
			CHECK((p.f.rule[v] == RULE_REQUEST_MALFORMED) != (needs_reset && last));
		}
		CHECK(needs_reset == emu_device_broken(p.f.d));
		if (needs_reset)
			stopped++;
		else
			clean++;
		CHECK(p.f.dev_writes == 0 || (p.f.dev_write_lo >= FX_RAM_BASE && p.f.dev_write_hi < FX_RAM_BASE + FX_RAM_SIZE));
		fx_close(&p.f);
	}
	/* The bias must reach both outcomes often. */
	CHECK(stopped > 100);
	CHECK(clean > 100);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "fuzz: %u runs stopped on a rule, %u clean\n", stopped, clean);
}

/* B01 running round the ring's end: after three requests the driver's
 * position is slot 3 of 4; NEXT on every descriptor from there, each
 * marked for its lap, is a chain that would come back to slot 3: the
 * device stops on ring-chain-too-long.  The same with the last NEXT
 * cleared is a legal chain of the queue size crossing the end (B02). */
static void test_b01_wrapping_loop(void)
{
	uint64_t a[4] = { FX_BUF_GPA, FX_BUF_GPA + 64, FX_BUF_GPA + 128, FX_BUF_GPA + 192 };
	uint32_t l[4] = { 8, 8, 8, 8 };
	uint16_t fl[4] = { W, W, W, W };

	for (unsigned loop = 0; loop < 2; loop++) {
		struct pdrv p;
		if (!boot(&p, 0, 4))
			return;
		for (unsigned i = 0; i < 3; i++) {
			add_chain(&p, (uint16_t)i, 1, a, l, fl);
			fx_notify(&p.f, 0);
			expect_used(&p, (uint16_t)i, 8, 1);
		}
		fx_clear(&p.f);
		if (loop) {
			for (unsigned k = 4; k-- > 0;) {
				struct packed_pos at = p.avail;
				packed_ring_advance(&at, p.num, k);
				put_desc(&p, DESC_GPA + 16ull * at.slot, a[k], 8, 1,
					 (uint16_t)(W | NX | packed_ring_avail_flags(at.wrap)));
			}
			fx_notify(&p.f, 0);
			expect_stopped(&p, RULE_RING_CHAIN_LOOP);
		} else {
			add_chain(&p, 1, 4, a, l, fl);
			fx_notify(&p.f, 0);
			expect_used(&p, 1, 32, 4);
			FX_EXPECT_NONE(&p.f);
			CHECK(p.used.slot == 3 && !p.used.wrap);
		}
		fx_close(&p.f);
	}
}

/* B04 / B05 as the device meets them: a slot made available before the
 * one at the device's position is not taken until that one is (then both,
 * in ring order); AVAIL and USED set wrongly on the descriptor at the
 * device's position (both equal, both clear) offer nothing: the device
 * waits without a report or a store, and goes on once the driver writes
 * the flags right. */
static void test_b04_b05_slots(void)
{
	uint64_t a[2] = { FX_BUF_GPA, FX_BUF_GPA + 64 };
	uint32_t l[2] = { 8, 8 };
	uint16_t fl[2] = { W, W };
	struct pdrv p;

	if (!boot(&p, 0, 4))
		return;
	put_desc(&p, DESC_GPA + 16, a[1], 8, 1, (uint16_t)(W | packed_ring_avail_flags(true)));
	fx_notify(&p.f, 0);
	CHECK_EQ_U(p.f.dev_writes, 0);
	add_chain(&p, 0, 1, a, l, fl);
	p.avail.slot = 2;
	fx_notify(&p.f, 0);
	expect_used(&p, 0, 8, 1);
	expect_used(&p, 1, 8, 1);
	FX_EXPECT_NONE(&p.f);
	fx_close(&p.f);

	static const uint16_t bad[] = { PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED, 0, PACKED_DESC_F_USED };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!boot(&p, 0, 4))
			return;
		put_desc(&p, DESC_GPA, a[0], 8, 0, (uint16_t)(W | bad[i]));
		fx_notify(&p.f, 0);
		FX_EXPECT_NONE(&p.f);
		CHECK_EQ_U(p.f.dev_writes, 0);
		CHECK(!emu_device_broken(p.f.d));
		add_chain(&p, 0, 1, a, l, fl);
		fx_notify(&p.f, 0);
		expect_used(&p, 0, 8, 1);
		FX_EXPECT_NONE(&p.f);
		fx_close(&p.f);
	}
}

/* B12: packed ring areas through the register checker: the descriptor
 * ring 16-aligned, event areas 4-aligned (a 2-aligned driver area is
 * legal only for split rings), areas overlapping, past RAM, in the MMIO
 * window, wrapping.  Each reported once with its rule; the device never
 * touches such a ring. */
static void test_b12_areas(void)
{
	static const struct {
		uint32_t num;
		uint64_t desc, drv, dev;
		enum rule_id rule;
	} c[] = {
		{ 4, FX_RING_GPA + 8, FX_RING_GPA + 0x100, FX_RING_GPA + 0x104, RULE_RING_MISALIGNED },
		{ 4, FX_RING_GPA, FX_RING_GPA + 0x102, FX_RING_GPA + 0x108, RULE_RING_MISALIGNED },
		{ 4, FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x106, RULE_RING_MISALIGNED },
		{ 4, FX_RING_GPA, FX_RING_GPA + 0x30, FX_RING_GPA + 0x100, RULE_RING_OVERLAP },
		{ 4, FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x100, RULE_RING_OVERLAP },
		{ 4, FX_RAM_BASE + FX_RAM_SIZE - 32, FX_RING_GPA + 0x100, FX_RING_GPA + 0x104, RULE_RING_OUTSIDE_MEMORY },
		{ 4, FX_RING_GPA, FX_RAM_BASE + FX_RAM_SIZE, FX_RING_GPA + 0x104, RULE_RING_OUTSIDE_MEMORY },
		{ 4, FX_RING_GPA, FX_RING_GPA + 0x100, 0x10000000, RULE_RING_OUTSIDE_MEMORY }, /* MMIO window */
		{ 4, 0x10000000, FX_RING_GPA + 0x100, FX_RING_GPA + 0x104, RULE_RING_OUTSIDE_MEMORY },
		{ 4, UINT64_MAX - 15, FX_RING_GPA + 0x100, FX_RING_GPA + 0x104, RULE_RING_OUTSIDE_MEMORY },
		{ 0, FX_RING_GPA, FX_RING_GPA + 0x100, FX_RING_GPA + 0x104, RULE_QUEUE_NUM_ZERO }, /* B06 */
		{ 5, FX_RING_GPA, FX_RING_GPA + 80, FX_RING_GPA + 84, RULE_NONE },
		{ 4, FX_RAM_BASE + FX_RAM_SIZE - 80, FX_RAM_BASE + FX_RAM_SIZE - 8, FX_RAM_BASE + FX_RAM_SIZE - 4, RULE_NONE },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fx f;
		int saved = harness_failures;
		if (fx_open_packed(&f, &emu_model_rng, 0) < 0)
			return;
		fx_probe(&f);
		fx_negotiate(&f, V1 | F_PACKED);
		fx_queue_modern(&f, 0, c[i].num, c[i].desc, c[i].drv, c[i].dev);
		fx_driver_ok(&f);
		fx_notify(&f, 0);
		if (c[i].rule == RULE_NONE) {
			FX_EXPECT_NONE(&f);
			CHECK(!emu_device_broken(f.d));
		} else {
			CHECK_EQ_U(fx_count(&f, c[i].rule), 1);
			CHECK_EQ_U(f.n_viol, 1);
			CHECK_EQ_U(f.dev_writes, 0);
		}
		if (harness_failures != saved)
			fprintf(stderr, "    (packed ring layout case %zu: %u violations, first: %s)\n", i, f.n_viol,
				f.n_viol ? f.msg[0] : "-");
		fx_close(&f);
	}
}

/* B16 on a live packed queue: QueueReady 0 (read back) with requests
 * done, a ring elsewhere, QueueReady 1: the device starts over at slot 0
 * with both wrap counters 1 on the new ring, and leaves the old alone. */
static void test_b16_new_ring(void)
{
	uint64_t a = FX_BUF_GPA;
	uint32_t l = 8;
	uint16_t fl = W;
	struct pdrv p;
	const uint64_t ring2 = FX_RING_GPA + 0x4000;

	if (!boot(&p, 0, 4))
		return;
	for (unsigned i = 0; i < 3; i++) {
		add_chain(&p, (uint16_t)i, 1, &a, &l, &fl);
		fx_notify(&p.f, 0);
		expect_used(&p, (uint16_t)i, 8, 1);
	}
	fx_wr(&p.f, MMIO_QUEUE_SEL, 0);
	fx_wr(&p.f, MMIO_QUEUE_READY, 0);
	CHECK_EQ_U(fx_rd(&p.f, MMIO_QUEUE_READY), 0);
	fx_wr(&p.f, MMIO_QUEUE_NUM, 3);
	fx_wr(&p.f, MMIO_QUEUE_DESC_LOW, (uint32_t)ring2);
	fx_wr(&p.f, MMIO_QUEUE_DESC_HIGH, (uint32_t)(ring2 >> 32));
	fx_wr(&p.f, MMIO_QUEUE_READY, 1);
	fx_clear(&p.f);
	put_desc(&p, ring2, a, 8, 2, (uint16_t)(W | packed_ring_avail_flags(true)));
	fx_notify(&p.f, 0);
	FX_EXPECT_NONE(&p.f);
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;
	CHECK(gmem_read(&p.f.gm, ring2, b, sizeof(b)) == 0);
	packed_ring_desc_decode(b, &d);
	CHECK(packed_ring_desc_used(d.flags, true));
	CHECK_EQ_U(d.next, 2);
	/* The old ring's slot 3 was never written by the device. */
	CHECK(gmem_read(&p.f.gm, DESC_GPA + 48, b, sizeof(b)) == 0);
	packed_ring_desc_decode(b, &d);
	CHECK(!packed_ring_desc_used(d.flags, true));
	CHECK(!emu_device_broken(p.f.d));
	fx_close(&p.f);
}

int main(void)
{
	RUN(test_setup);
	RUN(test_wrap_around);
	RUN(test_batch);
	RUN(test_indirect);
	RUN(test_event_suppression);
	RUN(test_broken_drivers);
	RUN(test_b_cases);
	RUN(test_engine_held_slots);
	RUN(test_b01_wrapping_loop);
	RUN(test_b04_b05_slots);
	RUN(test_b12_areas);
	RUN(test_b16_new_ring);
	RUN(test_fuzz);
	return harness_finish("emu_packed");
}
