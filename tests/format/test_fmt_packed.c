/* The event formatter on packed virtqueues (VIRTIO_F_RING_PACKED): the
 * layout learnt from the DriverFeatures the driver writes, a descriptor
 * at a slot with its id and the AVAIL/USED bits read for both wrap
 * counters, the device's partial writes of a used descriptor, the driver
 * and device event suppression areas, events over several descriptors or
 * areas, the names of single bytes, and hostile lengths and offsets that
 * lie past the ring's end or near 2^64. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "format/event_fmt.h"
#include "format/fmt_out.h"
#include "tests/harness.h"
#include "virtio/mmio_regs.h"
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"

#define BASE 0x10000000u
/* Queue 0 of 8 slots: the descriptor ring (128 bytes), then the driver and
 * device event suppression areas (4 bytes each). */
#define NUM 8u
#define DESC 0x40000000u
#define DRV_EV (DESC + 16u * NUM)
#define DEV_EV (DRV_EV + 4u)
/* DriverFeatures word 1: VERSION_1 (bit 32) and RING_PACKED (bit 34). */
#define WORD1_PACKED 0x5u
#define WORD1_SPLIT 0x1u

static struct fmt_ctx *ctx;
static char out[512];

static struct vmt_event mmio(bool wr, uint32_t off, uint64_t v)
{
	struct vmt_event e = { .type = VMT_EV_MMIO, .dir = wr ? VMT_DIR_WRITE : VMT_DIR_READ, .width = 4,
			       .base = BASE, .addr = off, .value = v };
	return e;
}

/* Format then track, like dump and show walking a trace. */
static const char *next(struct vmt_event e)
{
	fmt_event_next(ctx, &e, NULL, out, sizeof(out), NULL);
	return out;
}

static const char *wr(uint32_t off, uint64_t v) { return next(mmio(true, off, v)); }
static const char *rd(uint32_t off, uint64_t v) { return next(mmio(false, off, v)); }

/* A memory event by who: the driver's, or the device's. */
static const char *mem_by(uint16_t who, uint64_t addr, const void *data, uint32_t len)
{
	struct vmt_event e = { .type = VMT_EV_MEM, .flags = who, .addr = addr, .len = len, .data = data };
	return next(e);
}

static const char *mem(uint64_t addr, const void *data, uint32_t len)
{
	return mem_by(VMT_MEM_DRIVER_WRITE, addr, data, len);
}

/* True if s contains sub. */
static bool has(const char *s, const char *sub)
{
	bool r = strstr(s, sub) != NULL;
	if (!r)
		fprintf(stderr, "  in: \"%s\"\n  missing: \"%s\"\n", s, sub);
	return r;
}

/* The text after "mem ... driver: ", or "" when nothing was named. */
static const char *name_of(const char *line)
{
	const char *p = strstr(line, ": ");
	return p ? p + 2 : "";
}

/* A modern blk device whose driver accepted word 1 = word1 (packed or
 * not), queue 0 of NUM set up at DESC, DRV_EV, DEV_EV. */
static void setup(uint32_t word1)
{
	fmt_ctx_free(ctx);
	ctx = NULL;
	CHECK(fmt_ctx_new(&ctx) == 0);
	rd(MMIO_VERSION, 2);
	rd(MMIO_DEVICE_ID, VIRTIO_ID_BLOCK);
	wr(MMIO_STATUS, 0);
	wr(MMIO_DRIVER_FEATURES_SEL, 0);
	wr(MMIO_DRIVER_FEATURES, 0x30000000u); /* INDIRECT_DESC, EVENT_IDX */
	wr(MMIO_DRIVER_FEATURES_SEL, 1);
	wr(MMIO_DRIVER_FEATURES, word1);
	wr(MMIO_STATUS, 0xb);
	wr(MMIO_QUEUE_SEL, 0);
	wr(MMIO_QUEUE_NUM, NUM);
	wr(MMIO_QUEUE_DESC_LOW, DESC);
	wr(MMIO_QUEUE_DESC_HIGH, 0);
	wr(MMIO_QUEUE_DRIVER_LOW, DRV_EV);
	wr(MMIO_QUEUE_DRIVER_HIGH, 0);
	wr(MMIO_QUEUE_DEVICE_LOW, DEV_EV);
	wr(MMIO_QUEUE_DEVICE_HIGH, 0);
	wr(MMIO_QUEUE_READY, 1);
}

static void desc_bytes(uint8_t b[16], uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	le64_put(b, addr);
	le32_put(b + 8, len);
	le16_put(b + 12, id);
	le16_put(b + 14, flags);
}

/* The layout comes from the features, and the queue's set-up says so. */
static void test_layout_from_features(void)
{
	struct fmt_device *d;
	struct fmt_areas a;

	setup(WORD1_PACKED);
	d = fmt_ctx_find(ctx, BASE);
	CHECK(d && fmt_device_packed(d));
	if (!d)
		return;
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK(a.packed);
	CHECK_EQ_U(a.desc, DESC);
	CHECK_EQ_U(a.desc_size, 16u * NUM);
	CHECK_EQ_U(a.avail, DRV_EV);
	CHECK_EQ_U(a.avail_size, PACKED_EVENT_SIZE);
	CHECK_EQ_U(a.used, DEV_EV);
	CHECK_EQ_U(a.used_size, PACKED_EVENT_SIZE);
	/* The register lines name the areas as packed ones. */
	CHECK(has(wr(MMIO_QUEUE_DRIVER_HIGH, 0), "queue 0 driver event at 0x40000080"));
	CHECK(has(wr(MMIO_QUEUE_DEVICE_HIGH, 0), "queue 0 device event at 0x40000084"));
	CHECK(has(wr(MMIO_QUEUE_DESC_HIGH, 0), "queue 0 desc at 0x40000000"));
	struct vmt_event e8 = mmio(true, MMIO_QUEUE_DRIVER_LOW, DRV_EV);
	e8.width = 8;
	CHECK(has(next(e8), "queue 0 driver event at 0x40000080"));

	/* Without RING_PACKED: split names at the same addresses. */
	setup(WORD1_SPLIT);
	d = fmt_ctx_find(ctx, BASE);
	CHECK(d && !fmt_device_packed(d));
	CHECK(has(wr(MMIO_QUEUE_DRIVER_HIGH, 0), "queue 0 avail at 0x40000080"));

	/* RING_PACKED written, then word 1 rewritten without it (a driver
	 * changing its mind before FEATURES_OK): split. */
	setup(WORD1_PACKED);
	wr(MMIO_DRIVER_FEATURES_SEL, 1);
	wr(MMIO_DRIVER_FEATURES, WORD1_SPLIT);
	d = fmt_ctx_find(ctx, BASE);
	CHECK(d && !fmt_device_packed(d));
	/* Word 0 and words past 1 do not touch bit 34. */
	wr(MMIO_DRIVER_FEATURES, WORD1_PACKED);
	wr(MMIO_DRIVER_FEATURES_SEL, 0);
	wr(MMIO_DRIVER_FEATURES, 0xffffffffu);
	wr(MMIO_DRIVER_FEATURES_SEL, 2);
	wr(MMIO_DRIVER_FEATURES, 0);
	wr(MMIO_DRIVER_FEATURES_SEL, 0xffffffffu);
	wr(MMIO_DRIVER_FEATURES, 0);
	CHECK(d && fmt_device_packed(d));
	/* A reset forgets the features with the rings. */
	wr(MMIO_STATUS, 0);
	CHECK(d && !fmt_device_packed(d));
	CHECK_STR(mem(DRV_EV, (uint8_t[4]){ 0 }, 4), "mem 0x40000080 len 4 driver");
}

/* One descriptor written whole at a slot, and its AVAIL and USED bits for
 * both wrap counters. */
static void test_descriptor(void)
{
	uint8_t b[16], f[2];

	setup(WORD1_PACKED);
	desc_bytes(b, 0x40001000, 512, 5, PACKED_DESC_F_AVAIL | VIRTQ_DESC_F_NEXT);
	CHECK_STR(mem(DESC + 3 * 16, b, 16), "mem 0x40000030 len 16 driver: q0 desc[3] addr=0x40001000 len=512 id=5 "
					     "flags=AVAIL|NEXT (avail, wrap 1)");
	desc_bytes(b, 0x40002000, 16, 7, PACKED_DESC_F_USED | VIRTQ_DESC_F_WRITE);
	CHECK_STR(name_of(mem(DESC + 7 * 16, b, 16)),
		  "q0 desc[7] addr=0x40002000 len=16 id=7 flags=USED|WRITE (avail, wrap 0)");
	desc_bytes(b, 0x40003000, 48, 0, PACKED_DESC_F_AVAIL | VIRTQ_DESC_F_INDIRECT);
	CHECK_STR(name_of(mem(DESC, b, 16)), "q0 desc[0] addr=0x40003000 len=48 id=0 flags=AVAIL|INDIRECT (avail, wrap 1)");
	/* The flags word alone, as the driver publishes a chain's head and
	 * the device marks a descriptor used. */
	static const struct { uint16_t flags; const char *name; } cases[] = {
		{ PACKED_DESC_F_AVAIL | VIRTQ_DESC_F_NEXT, "q0 desc[2].flags AVAIL|NEXT (avail, wrap 1)" },
		{ PACKED_DESC_F_USED, "q0 desc[2].flags USED (avail, wrap 0)" },
		{ PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED | VIRTQ_DESC_F_WRITE,
		  "q0 desc[2].flags AVAIL|USED|WRITE (used, wrap 1)" },
		{ VIRTQ_DESC_F_WRITE, "q0 desc[2].flags WRITE (used, wrap 0)" },
		{ 0, "q0 desc[2].flags 0 (used, wrap 0)" },
		/* Bits the spec does not define: shown, not dropped. */
		{ 0x4000 | PACKED_DESC_F_AVAIL, "q0 desc[2].flags AVAIL|0x4000 (avail, wrap 1)" },
		{ 0xffff, "q0 desc[2].flags AVAIL|USED|NEXT|WRITE|INDIRECT|0x7f78 (used, wrap 1)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		le16_put(f, cases[i].flags);
		CHECK_STR(name_of(mem_by(VMT_MEM_DEVICE_WRITE, DESC + 2 * 16 + 14, f, 2)), cases[i].name);
	}
	/* The device writing a used descriptor: len and id, then flags. */
	le32_put(b, 1025);
	le16_put(b + 4, 5);
	CHECK_STR(mem_by(VMT_MEM_DEVICE_WRITE, DESC + 3 * 16 + 8, b, 6),
		  "mem 0x40000038 len 6 device: q0 desc[3] len=1025 id=5");
	CHECK_STR(name_of(mem(DESC + 3 * 16 + 12, b + 4, 2)), "q0 desc[3].id 5");
	CHECK_STR(name_of(mem(DESC + 3 * 16 + 8, b, 4)), "q0 desc[3].len 1025");
	desc_bytes(b, 0x40001000, 512, 5, 0);
	CHECK_STR(name_of(mem(DESC + 3 * 16, b, 8)), "q0 desc[3].addr 0x40001000");
	CHECK_STR(name_of(mem(DESC + 3 * 16, b, 14)), "q0 desc[3] addr=0x40001000 len=512 id=5");
	/* Bytes that are not whole fields. */
	CHECK_STR(name_of(mem(DESC + 3 * 16 + 13, b, 2)), "q0 desc[3] +0xd (2 bytes)");
	/* Without the bytes (a trace.db decoded without memory): names. */
	struct vmt_event e = { .type = VMT_EV_MEM, .flags = VMT_MEM_SNAPSHOT, .addr = DESC + 3 * 16 + 8, .len = 6 };
	CHECK_STR(name_of(next(e)), "q0 desc[3] len id");
	e.len = 16;
	e.addr = DESC + 16;
	CHECK_STR(name_of(next(e)), "q0 desc[1]");
	e.addr = DESC + 16 + 14;
	e.len = 2;
	CHECK_STR(name_of(next(e)), "q0 desc[1].flags");
}

/* The driver and device event suppression structures. */
static void test_event_areas(void)
{
	uint8_t b[4];

	setup(WORD1_PACKED);
	le16_put(b, 0x8005);
	le16_put(b + 2, PACKED_EVENT_F_DESC);
	CHECK_STR(mem(DRV_EV, b, 4), "mem 0x40000080 len 4 driver: q0 driver event off_wrap=0x8005 (off 5 wrap 1) "
				     "flags=DESC");
	le16_put(b, 0x0003);
	le16_put(b + 2, PACKED_EVENT_F_DISABLE);
	CHECK_STR(mem_by(VMT_MEM_DEVICE_WRITE, DEV_EV, b, 4),
		  "mem 0x40000084 len 4 device: q0 device event off_wrap=0x3 (off 3 wrap 0) flags=DISABLE");
	le16_put(b + 2, PACKED_EVENT_F_ENABLE);
	CHECK_STR(name_of(mem(DRV_EV + 2, b + 2, 2)), "q0 driver event flags=ENABLE");
	CHECK_STR(name_of(mem_by(VMT_MEM_DEVICE_WRITE, DEV_EV, b, 2)), "q0 device event off_wrap=0x3 (off 3 wrap 0)");
	/* The reserved flags value and reserved bits. */
	le16_put(b + 2, 0x8003);
	CHECK_STR(name_of(mem(DRV_EV + 2, b + 2, 2)), "q0 driver event flags=3|0x8000");
	/* Other bytes of the area, none, and no data. */
	CHECK_STR(name_of(mem(DRV_EV + 1, b, 2)), "q0 driver event +0x1 (2 bytes)");
	CHECK_STR(name_of(mem(DRV_EV + 3, b, 1)), "q0 driver event +0x3 (1 bytes)");
	CHECK_STR(name_of(mem(DEV_EV + 2, b, 0)), "q0 device event +0x2 (0 bytes)");
	struct vmt_event e = { .type = VMT_EV_MEM, .flags = VMT_MEM_SNAPSHOT, .addr = DEV_EV, .len = 4 };
	CHECK_STR(name_of(next(e)), "q0 device event off_wrap flags");
}

/* Events over several descriptors, the whole ring, or several areas. */
static void test_spans(void)
{
	static uint8_t zero[4096];

	setup(WORD1_PACKED);
	CHECK_STR(name_of(mem(DESC, zero, 16 * NUM)), "q0 desc ring (8 entries)");
	CHECK_STR(name_of(mem(DESC + 16, zero, 48)), "q0 desc[1..3]");
	CHECK_STR(name_of(mem(DESC + 20, zero, 20)), "q0 desc[1..2] (20 bytes at +0x4)");
	CHECK_STR(name_of(mem(DESC + 16 * (NUM - 1), zero, 20)), "spans q0 desc, q0 driver event");
	CHECK_STR(name_of(mem(DESC, zero, 16 * NUM + 8)), "spans q0 desc, q0 driver event, q0 device event");
	CHECK_STR(name_of(mem(DRV_EV + 2, zero, 4)), "spans q0 driver event, q0 device event");
	/* An event from before the ring into it. */
	CHECK_STR(name_of(mem(DESC - 4, zero, 8)), "spans q0 desc");
}

/* Lengths and offsets the guest or a trace file chose: past the ring's
 * end, near 2^64, sizes past the spec's. */
static void test_hostile(void)
{
	static uint8_t zero[4096];
	struct fmt_device *d;
	struct fmt_areas a;

	setup(WORD1_PACKED);
	/* The last slot: named; a byte past the last area: nothing. */
	CHECK(has(mem(DESC + 16 * (NUM - 1), zero, 16), "q0 desc[7] addr=0x0"));
	CHECK_STR(mem(DEV_EV + 4, zero, 4), "mem 0x40000088 len 4 driver");
	/* A length past the ring's end, with and without bytes: the span
	 * is named, never a descriptor past slot 7. */
	struct vmt_event e = { .type = VMT_EV_MEM, .addr = DESC + 16 * (NUM - 1), .len = UINT32_MAX };
	CHECK_STR(name_of(next(e)), "spans q0 desc, q0 driver event, q0 device event");
	CHECK(!strstr(out, "desc[8"));
	CHECK_STR(name_of(mem(DEV_EV + 2, zero, 4)), "spans q0 device event");
	CHECK_STR(name_of(mem(DEV_EV, zero, 4096)), "spans q0 device event");
	/* Areas at the top of the address space: the device area ending at
	 * 2^64 - 1 exactly is placed, one byte further is not. */
	d = fmt_ctx_find(ctx, BASE);
	CHECK(d != NULL);
	if (!d)
		return;
	wr(MMIO_QUEUE_DEVICE_LOW, 0xfffffffcu);
	wr(MMIO_QUEUE_DEVICE_HIGH, 0xffffffffu);
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.used_size, 4);
	CHECK_STR(name_of(mem(UINT64_MAX - 1, (uint8_t[2]){ 1, 0 }, 2)), "q0 device event flags=DISABLE");
	CHECK_STR(name_of(mem(UINT64_MAX - 1, zero, 16)), "spans q0 device event"); /* addr + len wraps */
	wr(MMIO_QUEUE_DEVICE_LOW, 0xfffffffdu);
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.used_size, 0);
	CHECK_STR(mem(UINT64_MAX - 1, zero, 2), "mem 0xfffffffffffffffe len 2 driver");
	/* A descriptor ring that would end past 2^64: not placed. */
	wr(MMIO_QUEUE_DESC_LOW, 0xffffff90u);
	wr(MMIO_QUEUE_DESC_HIGH, 0xffffffffu);
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.desc_size, 0);
	CHECK(!strstr(mem(UINT64_MAX - 15, zero, 16), "q0"));
	/* The largest ring the spec allows, then one more. */
	wr(MMIO_QUEUE_DESC_LOW, DESC);
	wr(MMIO_QUEUE_DESC_HIGH, 0);
	wr(MMIO_QUEUE_NUM, VIRTQ_SIZE_MAX);
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.desc_size, 16ull * VIRTQ_SIZE_MAX);
	CHECK(has(mem(DESC + 16ull * (VIRTQ_SIZE_MAX - 1) + 12, zero, 2), "q0 desc[32767].id 0"));
	wr(MMIO_QUEUE_NUM, VIRTQ_SIZE_MAX + 1);
	CHECK(!fmt_queue_areas(d, 0, &a));
	CHECK_STR(mem(DESC, zero, 16), "mem 0x40000000 len 16 driver");
	/* A legacy device whose driver wrote RING_PACKED anyway: the areas
	 * where the decoder takes them (the split layout's addresses), sized
	 * as packed ones. */
	fmt_ctx_free(ctx);
	ctx = NULL;
	CHECK(fmt_ctx_new(&ctx) == 0);
	rd(MMIO_VERSION, 1);
	wr(MMIO_DRIVER_FEATURES_SEL, 1);
	wr(MMIO_DRIVER_FEATURES, WORD1_PACKED);
	wr(MMIO_GUEST_PAGE_SIZE, 4096);
	wr(MMIO_QUEUE_NUM, NUM);
	wr(MMIO_QUEUE_PFN, 0x40000);
	d = fmt_ctx_find(ctx, BASE);
	CHECK(d && fmt_queue_areas(d, 0, &a));
	CHECK(a.packed);
	CHECK_EQ_U(a.desc, 0x40000000);
	CHECK_EQ_U(a.desc_size, 16u * NUM);
	CHECK_EQ_U(a.avail, 0x40000000 + 16u * NUM);
	CHECK_EQ_U(a.avail_size, 4);
	CHECK_EQ_U(a.used, 0x40001000);
	CHECK_EQ_U(a.used_size, 4);
}

/* One guest byte named (replay's divergences at an address). */
static void test_gpa_names(void)
{
	static const struct { uint64_t gpa; const char *name; } cases[] = {
		{ DESC + 2 * 16 + 9, "q0 desc[2].len" },
		{ DESC + 2 * 16 + 12, "q0 desc[2].id" },
		{ DESC + 7 * 16 + 15, "q0 desc[7].flags" },
		{ DESC + 7 * 16 + 7, "q0 desc[7].addr" },
		{ DRV_EV, "q0 driver event.off_wrap" },
		{ DRV_EV + 3, "q0 driver event.flags" },
		{ DEV_EV + 1, "q0 device event.off_wrap" },
		{ DEV_EV + 2, "q0 device event.flags" },
	};
	struct fmt_mem_place where;
	struct fmt_out o;

	setup(WORD1_PACKED);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_out_init(&o, out, sizeof(out));
		CHECK(fmt_gpa_name(&o, ctx, cases[i].gpa, &where));
		CHECK_STR(out, cases[i].name);
		CHECK(where.dev && where.dev->base == BASE && where.queue == 0);
	}
	fmt_out_init(&o, out, sizeof(out));
	CHECK(!fmt_gpa_name(&o, ctx, DEV_EV + 4, NULL)); /* just past the device area */
	CHECK(!fmt_gpa_name(&o, ctx, DESC - 1, NULL));
	CHECK_STR(out, "");
}

/* A reader filling the state itself (show --from, the TUI): the features
 * it gives decide the layout; a feature write whose selector it could not
 * give changes nothing. */
static void test_filled_state(void)
{
	struct fmt_device *d;
	uint8_t b[4] = { 0, 0x80, 2, 0 };

	fmt_ctx_free(ctx);
	ctx = NULL;
	CHECK(fmt_ctx_new(&ctx) == 0);
	d = fmt_ctx_device(ctx, BASE);
	CHECK(d != NULL);
	if (!d)
		return;
	d->version = 2;
	d->q[0].num = NUM;
	d->q[0].desc = DESC;
	d->q[0].driver = DRV_EV;
	d->q[0].device = DEV_EV;
	d->drv_features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	struct vmt_event m = { .type = VMT_EV_MEM, .flags = VMT_MEM_DRIVER_WRITE, .addr = DRV_EV, .len = 4, .data = b };
	fmt_event(ctx, &m, NULL, out, sizeof(out), NULL);
	CHECK_STR(name_of(out), "q0 driver event off_wrap=0x8000 (off 0 wrap 1) flags=DESC");
	d->drv_features = VIRTIO_BIT(VIRTIO_F_VERSION_1);
	fmt_event(ctx, &m, NULL, out, sizeof(out), NULL);
	CHECK_STR(name_of(out), "q0 avail flags=0x8000 idx=2");
	d->unknown = FMT_UNKNOWN_ALL;
	wr(MMIO_DRIVER_FEATURES, WORD1_PACKED);
	CHECK(!fmt_device_packed(d));
	wr(MMIO_DRIVER_FEATURES_SEL, 1);
	wr(MMIO_DRIVER_FEATURES, WORD1_PACKED);
	CHECK(fmt_device_packed(d));
}

/* A packed ring filled in many laps by random descriptors: every name
 * stays inside the ring (no slot past num - 1) and the buffer bounds hold. */
static void test_random_laps(void)
{
	static uint8_t data[256];
	uint64_t s = 0x243f6a8885a308d3ull;
	int bad = 0;

	setup(WORD1_PACKED);
	for (int i = 0; i < 50000 && !bad; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		for (size_t k = 0; k < sizeof(data); k += 8)
			le64_put(data + k, s * (k + 1));
		uint64_t addr = DESC - 8 + (s >> 8) % (16 * NUM + 24);
		uint32_t len = (uint32_t)((s >> 32) % (s & 1 ? 24 : sizeof(data)));
		char small[64];
		struct vmt_event e = { .type = VMT_EV_MEM, .flags = VMT_MEM_DRIVER_WRITE, .addr = addr, .len = len,
				       .data = (s >> 40) & 1 ? data : NULL };
		size_t n = fmt_event(ctx, &e, NULL, small, 1 + (s >> 48) % sizeof(small), NULL);
		fmt_event(ctx, &e, NULL, out, sizeof(out), NULL);
		if (strstr(out, "desc[8") || strstr(out, "desc[9") || strlen(small) != n) {
			fprintf(stderr, "  bad: %s\n", out);
			CHECK(!"a name past the ring or an unterminated cut");
			bad = 1;
		}
	}
}

int main(void)
{
	RUN(test_layout_from_features);
	RUN(test_descriptor);
	RUN(test_event_areas);
	RUN(test_spans);
	RUN(test_hostile);
	RUN(test_gpa_names);
	RUN(test_filled_state);
	RUN(test_random_laps);
	fmt_ctx_free(ctx);
	return harness_finish("test_fmt_packed");
}
