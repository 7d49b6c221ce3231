/* The event formatter: register names per layout, feature names of the
 * selected word (word 1 bit 0 is VERSION_1, not BLK_F_BARRIER), config
 * field names, legacy registers and ring placement, memory naming, and
 * hostile addresses and lengths near 2^64. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "format/event_fmt.h"
#include "format/fmt_out.h"
#include "tests/harness.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define BASE 0x10000000u

static struct fmt_ctx *ctx;
static char out[512];

static struct vmt_event mmio(bool wr, uint32_t off, uint64_t v)
{
	struct vmt_event e = { .type = VMT_EV_MMIO, .dir = wr ? VMT_DIR_WRITE : VMT_DIR_READ, .width = 4,
			       .base = BASE, .addr = off, .value = v };
	return e;
}

/* Format then track, like a sequential reader; returns the text. */
static const char *next(struct vmt_event e)
{
	fmt_event_next(ctx, &e, NULL, out, sizeof(out), NULL);
	return out;
}

static const char *wr(uint32_t off, uint64_t v) { return next(mmio(true, off, v)); }
static const char *rd(uint32_t off, uint64_t v) { return next(mmio(false, off, v)); }

static const char *mem(uint64_t addr, const void *data, uint32_t len)
{
	struct vmt_event e = { .type = VMT_EV_MEM, .flags = VMT_MEM_DRIVER_WRITE, .addr = addr, .len = len,
			       .data = data };
	return next(e);
}

static void fresh(uint32_t version, uint32_t device_id)
{
	fmt_ctx_free(ctx);
	ctx = NULL;
	CHECK(fmt_ctx_new(&ctx) == 0);
	rd(MMIO_VERSION, version);
	rd(MMIO_DEVICE_ID, device_id);
}

/* True if s contains sub. */
static bool has(const char *s, const char *sub)
{
	bool r = strstr(s, sub) != NULL;
	if (!r)
		fprintf(stderr, "  in: \"%s\"\n  missing: \"%s\"\n", s, sub);
	return r;
}

static void test_register_line(void)
{
	fresh(2, VIRTIO_ID_BLOCK);
	CHECK_STR(rd(MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC), "R MagicValue        4 0x74726976 \"virt\"");
	CHECK_STR(rd(MMIO_VENDOR_ID, 0x554d4551), "R VendorID          4 0x554d4551");
	CHECK_STR(wr(MMIO_STATUS, 3), "W Status            4 0x00000003 ACKNOWLEDGE|DRIVER");
	CHECK_STR(wr(MMIO_STATUS, 0), "W Status            4 0x00000000 0");
	CHECK(has(rd(MMIO_DEVICE_ID, 2), "block"));
	CHECK(has(rd(MMIO_DEVICE_ID, 9999), "unassigned id"));
	CHECK(has(rd(MMIO_VERSION, 7), "unknown version"));
}

/* The bug: word 1 bits named as word 0. */
static void test_features_word1(void)
{
	fresh(2, VIRTIO_ID_BLOCK);
	wr(MMIO_DRIVER_FEATURES_SEL, 1);
	CHECK_STR(wr(MMIO_DRIVER_FEATURES, 1), "W DriverFeatures    4 0x00000001 word 1: VERSION_1");
	CHECK(!strstr(out, "BARRIER"));
	wr(MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(has(rd(MMIO_DEVICE_FEATURES, 0x101), "word 1: VERSION_1 RING_RESET"));
	wr(MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(has(rd(MMIO_DEVICE_FEATURES, 0x30000244),
		  "word 0: BLK_F_SEG_MAX BLK_F_BLK_SIZE BLK_F_FLUSH INDIRECT_DESC EVENT_IDX"));
	/* The driver's selector is its own: still word 1. */
	CHECK(has(wr(MMIO_DRIVER_FEATURES, 0), "word 1: none"));
	/* A huge guest-chosen word does not wrap the bit numbers. */
	wr(MMIO_DEVICE_FEATURES_SEL, 0xffffffffu);
	CHECK(has(rd(MMIO_DEVICE_FEATURES, 0x80000000u), "word 4294967295: bit137438953471"));
	/* A reset forgets the selectors. */
	wr(MMIO_STATUS, 0);
	CHECK(has(rd(MMIO_DEVICE_FEATURES, 1), "word 0:"));
}

static void test_config_fields(void)
{
	struct vmt_event e;

	fresh(2, VIRTIO_ID_BLOCK);
	CHECK_STR(rd(MMIO_CONFIG + 0x14, 0x200), "R Config+0x14       4 0x00000200 blk_size");
	CHECK(has(rd(MMIO_CONFIG + 0x0, 0x800), " capacity"));
	CHECK(has(rd(MMIO_CONFIG + 0x4, 0), " capacity+4"));
	e = mmio(false, MMIO_CONFIG + 0x10, 0);
	CHECK(has(next(e), "geometry.cylinders..geometry.sectors"));
	e.width = 8;
	e.addr = MMIO_CONFIG;
	CHECK(has(next(e), "0x0000000000000000 capacity"));
	fresh(2, VIRTIO_ID_NET);
	e = mmio(false, MMIO_CONFIG + 6, 1);
	e.width = 2;
	CHECK_STR(next(e), "R Config+0x6        2 0x0001     status");
	e.addr = MMIO_CONFIG + 3;
	e.width = 1;
	CHECK(has(next(e), "mac[3]"));
	fresh(2, VIRTIO_ID_CONSOLE);
	CHECK(has(rd(MMIO_CONFIG + 4, 1), "max_nr_ports"));
	/* Past every field, or an unknown type: nothing invented. */
	CHECK_STR(rd(MMIO_CONFIG + 0xf0, 0), "R Config+0xf0       4 0x00000000");
	fresh(2, 42);
	CHECK_STR(rd(MMIO_CONFIG, 0), "R Config+0x0        4 0x00000000");
	/* An offset near 2^64 in a raw trace. */
	e = mmio(false, 0, 0);
	e.addr = UINT64_MAX - 1;
	next(e);
	CHECK(strlen(out) > 0);
}

/* Types whose accesses vmtrace does not check still get field names
 * (devtype_config_field_at), and queues their role where the role does
 * not depend on features the formatter does not track. */
static void test_other_types_and_queue_roles(void)
{
	struct vmt_event e;

	fresh(2, VIRTIO_ID_SCSI);
	CHECK_STR(rd(MMIO_CONFIG + 0x14, 96), "R Config+0x14       4 0x00000060 sense_size");
	CHECK(has(rd(MMIO_CONFIG + 0x20, 0), " max_lun"));
	CHECK_STR(wr(MMIO_QUEUE_SEL, 0), "W QueueSel          4 0x00000000 queue 0 (controlq)");
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 1), "queue 1 (eventq)"));
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 5), "queue 5 (requestq)"));
	fresh(2, VIRTIO_ID_9P);
	e = mmio(false, MMIO_CONFIG, 3);
	e.width = 2;
	CHECK(has(next(e), " tag_len"));
	/* The tag that follows has a length the fields cannot name. */
	CHECK_STR(rd(MMIO_CONFIG + 4, 0), "R Config+0x4        4 0x00000000");
	fresh(2, VIRTIO_ID_GPU);
	CHECK(has(rd(MMIO_CONFIG + 8, 1), " num_scanouts"));
	CHECK(has(wr(MMIO_CONFIG + 4, 1), " events_clear"));
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 1), "queue 1 (cursorq)"));
	CHECK_STR(wr(MMIO_QUEUE_NOTIFY, 2), "W QueueNotify       4 0x00000002 queue 2");
	fresh(2, VIRTIO_ID_INPUT);
	e = mmio(true, MMIO_CONFIG + 1, 2);
	e.width = 1;
	CHECK(has(next(e), " subsel"));
	CHECK(has(wr(MMIO_QUEUE_SEL, 0), "queue 0 (eventq)"));
	fresh(2, VIRTIO_ID_VSOCK);
	e = mmio(false, MMIO_CONFIG, 3);
	e.width = 8;
	CHECK(has(next(e), " guest_cid"));
	CHECK(has(rd(MMIO_CONFIG + 4, 0), " guest_cid+4"));
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 2), "queue 2 (event)"));
	fresh(2, VIRTIO_ID_CRYPTO);
	CHECK(has(rd(MMIO_CONFIG + 4, 1), " max_dataqueues"));
	fresh(2, VIRTIO_ID_BALLOON);
	CHECK(has(rd(MMIO_CONFIG + 0, 0), " num_pages"));
	CHECK(has(wr(MMIO_CONFIG + 4, 0), " actual"));
	CHECK(has(wr(MMIO_QUEUE_SEL, 1), "queue 1 (deflateq)"));
	/* Queue 2 is statsq, free_page_vq or reporting_vq by the features. */
	CHECK_STR(wr(MMIO_QUEUE_SEL, 2), "W QueueSel          4 0x00000002 queue 2");
	/* net: pair 0 whatever the features; queue 2 is controlq without
	 * MQ, a receiveq with it. */
	fresh(2, VIRTIO_ID_NET);
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 0), "queue 0 (receiveq)"));
	CHECK_STR(wr(MMIO_QUEUE_NOTIFY, 1), "W QueueNotify       4 0x00000001 queue 1 (transmitq)");
	CHECK_STR(wr(MMIO_QUEUE_NOTIFY, 2), "W QueueNotify       4 0x00000002 queue 2");
	/* console: port 0 only; 2 and up need MULTIPORT. */
	fresh(2, VIRTIO_ID_CONSOLE);
	CHECK(has(wr(MMIO_QUEUE_SEL, 1), "queue 1 (transmitq)"));
	CHECK_STR(wr(MMIO_QUEUE_SEL, 2), "W QueueSel          4 0x00000002 queue 2");
	/* The other queue registers keep their short form. */
	CHECK_STR(wr(MMIO_QUEUE_READY, 1), "W QueueReady        4 0x00000001 queue 2 ready");
	/* blk: every queue is a requestq (MQ); entropy: one. */
	fresh(1, VIRTIO_ID_BLOCK);
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 7), "queue 7 (requestq)"));
	fresh(2, VIRTIO_ID_ENTROPY);
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 0), "queue 0 (requestq)"));
	CHECK_STR(wr(MMIO_QUEUE_NOTIFY, 1), "W QueueNotify       4 0x00000001 queue 1");
	/* Unknown types, no type read, queue numbers past every role. */
	fresh(2, 42);
	CHECK_STR(wr(MMIO_QUEUE_SEL, 0), "W QueueSel          4 0x00000000 queue 0");
	fmt_ctx_free(ctx);
	ctx = NULL;
	CHECK(fmt_ctx_new(&ctx) == 0);
	CHECK_STR(wr(MMIO_QUEUE_NOTIFY, 0), "W QueueNotify       4 0x00000000 queue 0");
	fresh(2, VIRTIO_ID_BLOCK);
	CHECK_STR(wr(MMIO_QUEUE_SEL, 0xffffffffu), "W QueueSel          4 0xffffffff queue 4294967295");
}

static void test_queue_and_irq(void)
{
	fresh(2, VIRTIO_ID_NET);
	CHECK(has(wr(MMIO_QUEUE_SEL, 1), "queue 1"));
	CHECK(has(wr(MMIO_QUEUE_NUM, 256), "queue 1"));
	CHECK(has(wr(MMIO_QUEUE_DESC_LOW, 0x40001000), "queue 1"));
	CHECK(has(wr(MMIO_QUEUE_DESC_HIGH, 0x1), "queue 1 desc at 0x140001000"));
	CHECK(has(wr(MMIO_QUEUE_READY, 1), "queue 1 ready"));
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 0), "queue 0"));
	CHECK(has(wr(MMIO_QUEUE_NOTIFY, 0x50001), "queue 1 (transmitq) data 0x5"));
	CHECK(has(rd(MMIO_INTERRUPT_STATUS, 1), " used-buffer"));
	CHECK(has(rd(MMIO_INTERRUPT_STATUS, 3), "used-buffer|config-change"));
	CHECK(has(wr(MMIO_INTERRUPT_ACK, 2), " config-change"));
	CHECK(has(wr(MMIO_INTERRUPT_ACK, 6), "config-change|0x4"));
	struct vmt_event irq = { .type = VMT_EV_IRQ, .base = BASE, .width = 1, .value = 1 };
	CHECK_STR(next(irq), "irq raised status 0x1 used-buffer");
	irq.width = 0;
	irq.value = 3;
	CHECK_STR(next(irq), "irq lowered status 0x3 used-buffer|config-change");
	irq.width = FMT_IRQ_EDGE_UNKNOWN;
	irq.value = 0;
	CHECK_STR(next(irq), "irq status 0x0");
}

static void test_legacy(void)
{
	fresh(1, VIRTIO_ID_BLOCK);
	CHECK(has(rd(MMIO_DEVICE_FEATURES, 0x10), "R HostFeatures      4"));
	CHECK(has(wr(MMIO_DRIVER_FEATURES_SEL, 0), "W GuestFeaturesSel"));
	CHECK(has(wr(MMIO_GUEST_PAGE_SIZE, 4096), "W GuestPageSize     4 0x00001000 4096 bytes"));
	wr(MMIO_QUEUE_SEL, 0);
	wr(MMIO_QUEUE_NUM, 128);
	CHECK(has(wr(MMIO_QUEUE_ALIGN, 4096), "W QueueAlign        4 0x00001000 queue 0"));
	CHECK(has(wr(MMIO_QUEUE_PFN, 0x40002), "W QueuePFN          4 0x00040002 queue 0 at 0x40002000"));

	/* desc at 0x40002000 (128 * 16 = 0x800), avail right after at
	 * 0x40002800 (6 + 256 bytes), used at the next 4096 boundary. */
	uint8_t d[16] = { 0 };
	le64_put(d, 0x40010000);
	le32_put(d + 8, 512);
	le16_put(d + 12, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	le16_put(d + 14, 4);
	CHECK(has(mem(0x40002000 + 3 * 16, d, 16), "q0 desc[3] addr=0x40010000 len=512 flags=NEXT|WRITE next=4"));
	uint8_t two[2] = { 5, 0 };
	CHECK(has(mem(0x40002802, two, 2), "q0 avail.idx 5"));
	CHECK(has(mem(0x40003002, two, 2), "q0 used.idx 5"));
	CHECK(has(mem(0x40002800 + 4 + 2 * 128, two, 2), "q0 avail.used_event 5"));
	/* A legacy snapshot of the whole region crosses the areas. */
	static uint8_t big[0x1000 + 6 + 8 * 128];
	CHECK(has(mem(0x40002000, big, sizeof(big)), "spans q0 desc, q0 avail, q0 used"));
	/* Released: no longer named. */
	wr(MMIO_QUEUE_PFN, 0);
	CHECK(!strstr(mem(0x40002802, two, 2), "q0"));
	/* The legacy registers at 0x3c/0x40 do not exist in the modern
	 * layout: named as undefined there. */
	fresh(2, VIRTIO_ID_BLOCK);
	CHECK(has(wr(MMIO_QUEUE_PFN, 1), "W undefined+0x040"));
}

/* A modern blk queue 0 of 64 entries: desc 0x40000000, avail 0x40000400,
 * used 0x40000488. */
static void setup_modern_q0(void)
{
	fresh(2, VIRTIO_ID_BLOCK);
	wr(MMIO_QUEUE_SEL, 0);
	wr(MMIO_QUEUE_NUM, 64);
	wr(MMIO_QUEUE_DESC_LOW, 0x40000000);
	wr(MMIO_QUEUE_DRIVER_LOW, 0x40000400);
	wr(MMIO_QUEUE_DEVICE_LOW, 0x40000488);
	wr(MMIO_QUEUE_READY, 1);
}

static void test_memory_naming(void)
{
	uint8_t d[16] = { 0 }, two[2] = { 7, 0 }, u[8] = { 0 }, flags[2] = { 1, 0 };
	struct fmt_info info;
	struct vmt_event e;

	setup_modern_q0();
	le64_put(d, 0x40000690);
	le32_put(d + 8, 48);
	le16_put(d + 12, VIRTQ_DESC_F_INDIRECT);
	CHECK_STR(mem(0x40000000, d, 16), "mem 0x40000000 len 16 driver: q0 desc[0] addr=0x40000690 len=48 flags=INDIRECT");
	CHECK(has(mem(0x40000400 + 4 + 2 * 2, two, 2), "q0 avail.ring[2] head 7"));
	CHECK(has(mem(0x40000402, two, 2), "q0 avail.idx 7"));
	CHECK(has(mem(0x40000400, flags, 2), "q0 avail.flags 0x1 NO_INTERRUPT"));
	le32_put(u, 7);
	le32_put(u + 4, 512);
	CHECK(has(mem(0x40000488 + 4 + 8, u, 8), "q0 used.ring[1] id 7 len 512"));
	CHECK(has(mem(0x40000488 + 4 + 8 + 4, u + 4, 4), "q0 used.ring[1].len 512"));
	CHECK(has(mem(0x4000048a, two, 2), "q0 used.idx 7"));
	CHECK(has(mem(0x40000488 + 4 + 8 * 64, two, 2), "q0 used.avail_event 7"));
	/* One field of a descriptor. */
	CHECK(has(mem(0x40000010 + 14, two, 2), "q0 desc[1].next 7"));
	CHECK(has(mem(0x40000010 + 8, u + 4, 4), "q0 desc[1].len 512"));
	/* Whole areas: a short summary, not a wall of text. */
	static uint8_t zero[1024];
	CHECK_STR(mem(0x40000000, zero, 1024), "mem 0x40000000 len 1024 driver: q0 desc table (64 entries)");
	CHECK_STR(mem(0x40000400, zero, 134),
		  "mem 0x40000400 len 134 driver: q0 avail ring (64 entries) idx=0 flags=0x0 used_event=0");
	CHECK_STR(mem(0x40000488, zero, 518),
		  "mem 0x40000488 len 518 driver: q0 used ring (64 entries) idx=0 flags=0x0 avail_event=0");
	/* Parts of an area. */
	CHECK_STR(mem(0x40000020, zero, 64), "mem 0x40000020 len 64 driver: q0 desc[2..5]");
	CHECK_STR(mem(0x40000402, zero, 10), "mem 0x40000402 len 10 driver: q0 avail idx=0 ring[0..3]");
	CHECK(has(mem(0x40000488, zero, 20), "q0 used flags=0x0 idx=0 ring[0..1]"));
	/* Outside every ring: nothing added, and the caller learns it. */
	e = (struct vmt_event){ .type = VMT_EV_MEM, .flags = VMT_MEM_DEVICE_WRITE, .addr = 0x40004800, .len = 4,
				.data = zero };
	fmt_event(ctx, &e, NULL, out, sizeof(out), &info);
	CHECK_STR(out, "mem 0x40004800 len 4 device");
	CHECK(!info.named);
	CHECK(info.where.dev == NULL);
	e.addr = 0x40000000;
	fmt_event(ctx, &e, "request 3 header", out, sizeof(out), &info);
	CHECK(info.named);
	CHECK(info.where.dev && info.where.dev->base == BASE);
	CHECK(has(out, "q0 desc[0] +0x0 (4 bytes) (request 3 header)"));
	/* Without the bytes (a trace.db decoded without memory): names only. */
	e = (struct vmt_event){ .type = VMT_EV_MEM, .flags = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT,
				.addr = 0x40000402, .len = 2 };
	CHECK_STR(next(e), "mem 0x40000402 len 2 snapshot|best-effort: q0 avail.idx");
	/* A ring crossing into the next area. */
	CHECK(has(mem(0x40000400 - 16, zero, 32), "spans q0 desc, q0 avail"));
	/* A reset forgets the rings. */
	wr(MMIO_STATUS, 0);
	CHECK_STR(mem(0x40000402, two, 2), "mem 0x40000402 len 2 driver");
}

/* One guest byte named (replay's divergences at an address). */
static void test_gpa_names(void)
{
	struct fmt_mem_place where;
	struct fmt_out o;

	setup_modern_q0();
	static const struct { uint64_t gpa; const char *name; } cases[] = {
		{ 0x40000000 + 2 * 16 + 9, "q0 desc[2].len" },
		{ 0x40000000 + 63 * 16 + 15, "q0 desc[63].next" },
		{ 0x40000401, "q0 avail.flags" },
		{ 0x40000402, "q0 avail.idx" },
		{ 0x40000400 + 4 + 2 * 5 + 1, "q0 avail.ring[5]" },
		{ 0x40000400 + 4 + 2 * 64, "q0 avail.used_event" },
		{ 0x40000488 + 3, "q0 used.idx" },
		{ 0x40000488 + 4 + 8 * 3 + 5, "q0 used.ring[3].len" },
		{ 0x40000488 + 4 + 8 * 3, "q0 used.ring[3].id" },
		{ 0x40000488 + 4 + 8 * 64 + 1, "q0 used.avail_event" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_out_init(&o, out, sizeof(out));
		CHECK(fmt_gpa_name(&o, ctx, cases[i].gpa, &where));
		CHECK_STR(out, cases[i].name);
		CHECK(where.dev && where.dev->base == BASE && where.queue == 0);
	}
	fmt_out_init(&o, out, sizeof(out));
	CHECK(!fmt_gpa_name(&o, ctx, 0x40000488 + 4 + 8 * 64 + 2, NULL)); /* just past the used ring */
	CHECK(!fmt_gpa_name(&o, ctx, UINT64_MAX, NULL));
	CHECK_STR(out, "");
}

/* Addresses and sizes the guest chose, at the top of the address space. */
static void test_hostile(void)
{
	static uint8_t zero[4096];
	struct fmt_areas a;
	struct fmt_device *d;

	setup_modern_q0();
	/* Rings that would end past 2^64 are not placed at all. */
	wr(MMIO_QUEUE_DESC_LOW, 0xfffffff0u);
	wr(MMIO_QUEUE_DESC_HIGH, 0xffffffffu);
	d = fmt_ctx_find(ctx, BASE);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.desc_size, 0);
	CHECK(!strstr(mem(UINT64_MAX - 15, zero, 16), "q0"));
	/* The last byte of the address space exactly: placed. */
	wr(MMIO_QUEUE_NUM, 1);
	wr(MMIO_QUEUE_DESC_LOW, 0xfffffff0u);
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.desc_size, 16);
	CHECK(has(mem(UINT64_MAX - 15, zero, 16), "q0 desc[0]"));
	/* An event whose addr + len wraps. */
	CHECK(!strstr(mem(UINT64_MAX - 3, zero, 16), "desc[0] addr"));
	CHECK(has(mem(UINT64_MAX - 3, zero, 16), "spans q0 desc"));
	wr(MMIO_QUEUE_DESC_LOW, 0x40000000);
	wr(MMIO_QUEUE_DESC_HIGH, 0);
	/* A used ring ending at 2^64 - 1 exactly; one ending at 2^64 is
	 * refused. */
	wr(MMIO_QUEUE_DEVICE_LOW, (uint32_t)(UINT64_MAX - 14 + 1));
	wr(MMIO_QUEUE_DEVICE_HIGH, 0xffffffffu);
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.used_size, 14);
	CHECK(has(mem(UINT64_MAX - 13 + 2, zero, 2), "q0 used.idx 0"));
	wr(MMIO_QUEUE_DEVICE_LOW, (uint32_t)(UINT64_MAX - 14 + 2));
	CHECK(fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.used_size, 0);
	/* Sizes past the spec's 32768, and a QueueSel past the followed
	 * queues: no rings, no out-of-bounds state. */
	wr(MMIO_QUEUE_NUM, 0xffffffffu);
	CHECK(!fmt_queue_areas(d, 0, &a));
	CHECK(has(wr(MMIO_QUEUE_SEL, 0xfffffff0u), "queue 4294967280"));
	CHECK(has(wr(MMIO_QUEUE_NUM, 8), "queue 4294967280"));
	CHECK(has(wr(MMIO_QUEUE_DESC_HIGH, 1), "queue 4294967280"));
	CHECK(!fmt_queue_areas(d, 0xfffffff0u, &a));
	/* Legacy: the largest PFN times the largest page size is
	 * 2^64 - 2^33 + 1, which leaves room for the largest ring: all three
	 * areas are placed, none wraps.  Then an alignment that is not a
	 * power of two: no used ring. */
	fresh(1, VIRTIO_ID_BLOCK);
	wr(MMIO_GUEST_PAGE_SIZE, 0xffffffffu);
	wr(MMIO_QUEUE_NUM, 32768);
	wr(MMIO_QUEUE_PFN, 0xffffffffu);
	d = fmt_ctx_find(ctx, BASE);
	CHECK(d && fmt_queue_areas(d, 0, &a));
	CHECK_EQ_U(a.desc, 0xffffffffull * 0xffffffffull);
	CHECK_EQ_U(a.desc_size, 16u * 32768);
	CHECK_EQ_U(a.used_size, 6u + 8u * 32768);
	CHECK(a.used > a.avail && a.used - 1 + a.used_size > a.used);
	CHECK(has(mem(a.avail + 2, zero, 2), "q0 avail.idx 0"));
	wr(MMIO_GUEST_PAGE_SIZE, 4096);
	wr(MMIO_QUEUE_PFN, 0x40000);
	wr(MMIO_QUEUE_ALIGN, 3000);
	CHECK(d && fmt_queue_areas(d, 0, &a));
	CHECK(a.avail_size > 0);
	CHECK_EQ_U(a.used_size, 0);
	/* A memory event of 0 bytes and of the largest length. */
	setup_modern_q0();
	CHECK(has(mem(0x40000402, zero, 0), "mem 0x40000402 len 0 driver"));
	struct vmt_event e = { .type = VMT_EV_MEM, .addr = 0x40000000, .len = UINT32_MAX, .data = NULL };
	CHECK(has(next(e), "spans q0 desc, q0 avail, q0 used"));
}

/* A caller filling the state itself (the TUI from a trace.db at a seq). */
static void test_filled_state(void)
{
	struct fmt_device *d;
	uint8_t two[2] = { 3, 0 };

	fmt_ctx_free(ctx);
	ctx = NULL;
	CHECK(fmt_ctx_new(&ctx) == 0);
	d = fmt_ctx_device(ctx, 0x20000000);
	CHECK(d != NULL);
	if (!d)
		return;
	d->version = 2;
	d->device_id = VIRTIO_ID_NET;
	d->drv_features_sel = 1;
	d->q[1].num = 16;
	d->q[1].driver = 0x50000000;
	struct vmt_event e = { .type = VMT_EV_MMIO, .dir = VMT_DIR_WRITE, .width = 4, .base = 0x20000000,
			       .addr = MMIO_DRIVER_FEATURES, .value = 1 };
	fmt_event(ctx, &e, NULL, out, sizeof(out), NULL);
	CHECK(has(out, "word 1: VERSION_1"));
	struct vmt_event m = { .type = VMT_EV_MEM, .flags = VMT_MEM_DRIVER_WRITE, .addr = 0x50000002, .len = 2,
			       .data = two };
	fmt_event(ctx, &m, NULL, out, sizeof(out), NULL);
	CHECK(has(out, "q1 avail.idx 3"));

	/* Selectors the caller does not know: nothing named from a guess,
	 * until the guest writes the selector. */
	d->unknown = FMT_UNKNOWN_ALL;
	fmt_event(ctx, &e, NULL, out, sizeof(out), NULL);
	CHECK_STR(out, "W DriverFeatures    4 0x00000001 word ?");
	e.addr = MMIO_QUEUE_NUM;
	fmt_event_next(ctx, &e, NULL, out, sizeof(out), NULL);
	CHECK_STR(out, "W QueueNum          4 0x00000001 queue ?");
	CHECK_EQ_U(d->q[0].num, 0); /* not stored for a queue it cannot name */
	e.addr = MMIO_DRIVER_FEATURES_SEL;
	fmt_event_next(ctx, &e, NULL, out, sizeof(out), NULL);
	e.addr = MMIO_DRIVER_FEATURES;
	fmt_event(ctx, &e, NULL, out, sizeof(out), NULL);
	CHECK(has(out, "word 1: VERSION_1"));
	e.addr = MMIO_DEVICE_FEATURES;
	e.dir = VMT_DIR_READ;
	fmt_event(ctx, &e, NULL, out, sizeof(out), NULL);
	CHECK(has(out, "word ?"));
	/* Ring addresses given directly on a legacy device (no PFN). */
	d->version = 1;
	fmt_event(ctx, &m, NULL, out, sizeof(out), NULL);
	CHECK(has(out, "q1 avail.idx 3"));
}

/* Text events: escaped, and the buffer bounds hold at N and N+1. */
static void test_text_and_limits(void)
{
	static const char hostile[] = "a\x1b[2J\xc2\x9b\x9b\x7f\xe2\x80\xae\"z";
	struct vmt_event e = { .type = VMT_EV_MARKER, .data = (const uint8_t *)hostile, .len = sizeof(hostile) - 1 };
	struct fmt_info info;
	char small[40];
	size_t n;

	fresh(2, 1);
	CHECK_STR(next(e), "marker \"a\\x1b[2J\\u009b\\x9b\\x7f\\u202e\\\"z\"");
	e.type = VMT_EV_VIOLATION;
	e.value = 0xffffffffffull;
	CHECK(has(next(e), "\\x1b[2J"));
	/* "marker \"abc\"" is 12 characters: fits in 13; in 12 it is cut,
	 * and the cut is shown by "..." (never a closing quote). */
	e = (struct vmt_event){ .type = VMT_EV_MARKER, .data = (const uint8_t *)"abc", .len = 3 };
	n = fmt_event(ctx, &e, NULL, small, 13, &info);
	CHECK_EQ_U(n, 12);
	CHECK(!info.cut);
	CHECK_STR(small, "marker \"abc\"");
	n = fmt_event(ctx, &e, NULL, small, 12, &info);
	CHECK(info.cut);
	CHECK_EQ_U(n, strlen(small));
	CHECK(n <= 11);
	CHECK_STR(small, "marker \"...");
	/* A cut never splits an escape or a UTF-8 character. */
	e.data = (const uint8_t *)"\xe6\x97\xa5\xe6\x97\xa5";
	e.len = 6;
	fmt_event(ctx, &e, NULL, small, 15, &info);
	CHECK_STR(small, "marker \"\xe6\x97\xa5...");
	e.data = (const uint8_t *)"\x1b\x1b";
	e.len = 2;
	fmt_event(ctx, &e, NULL, small, 17, &info);
	CHECK_STR(small, "marker \"\\x1b...");
	fmt_event(ctx, &e, NULL, small, 16, &info);
	CHECK_STR(small, "marker \"\\x1b...");
	fmt_event(ctx, &e, NULL, small, 15, &info);
	CHECK_STR(small, "marker \"...");
	/* A note is escaped too. */
	e.data = (const uint8_t *)"x";
	e.len = 1;
	fmt_event(ctx, &e, "n\x1bote", out, sizeof(out), NULL);
	CHECK_STR(out, "marker \"x\" (n\\x1bote)");
	/* Size 0 and 1. */
	CHECK_EQ_U(fmt_event(ctx, &e, NULL, small, 1, &info), 0);
	CHECK(info.cut);
	CHECK_STR(small, "");
	CHECK_EQ_U(fmt_event(ctx, &e, NULL, NULL, 0, &info), 0);
}

/* A deterministic pseudo-random walk of hostile events: register writes
 * of any value to any offset (selectors, sizes, addresses near 2^64),
 * memory events at addresses near the rings and near 2^64 with lengths up
 * to the largest, buffers of every size.  Every output must be
 * NUL-terminated inside its buffer and hold no control byte (run it under
 * ASan/UBSan for the reads). */
/* The device's own queue reports (VMT_EV_QUEUE). */
static const char *queue_ev(uint64_t qi, uint64_t step, uint64_t token, uint64_t arg0, uint64_t arg1)
{
	static uint8_t data[VMT_QUEUE_REPORT_BYTES];
	struct vmt_queue_report q = { .token = token, .arg0 = arg0, .arg1 = arg1 };
	struct vmt_event e = { .type = VMT_EV_QUEUE, .source = VMT_SRC_QEMU, .base = BASE, .addr = qi,
			       .value = step, .len = VMT_QUEUE_REPORT_BYTES, .data = data };

	vmt_queue_report_encode(&q, data);
	return next(e);
}

static void test_queue_reports(void)
{
	struct vmt_event e;

	fresh(1, VIRTIO_ID_BLOCK);
	CHECK_STR(queue_ev(0, VMT_QSTEP_POP, 0x7f3cc00e9800u, 2, 1), "queue 0 pop elem 0x7f3cc00e9800 in 2 out 1");
	CHECK_STR(queue_ev(0, VMT_QSTEP_FILL, 0x7f3cc00e9800u, 4097, 0),
		  "queue 0 fill elem 0x7f3cc00e9800 len 4097 at +0");
	CHECK_STR(queue_ev(0, VMT_QSTEP_FLUSH, 0, 1, 0), "queue 0 flush 1 used entry");
	CHECK_STR(queue_ev(2, VMT_QSTEP_FLUSH, 0, 3, 0), "queue 2 flush 3 used entries");
	CHECK_STR(queue_ev(0, VMT_QSTEP_BLK_READ, 0x7f3cc00e9800u, 0, 8),
		  "queue 0 blk-read elem 0x7f3cc00e9800 sector 0 count 8");
	CHECK_STR(queue_ev(0, VMT_QSTEP_BLK_WRITE, 0x10, 2048, 1), "queue 0 blk-write elem 0x10 sector 2048 count 1");
	/* Extremes print as numbers. */
	CHECK_STR(queue_ev(UINT64_MAX, VMT_QSTEP_BLK_READ, UINT64_MAX, UINT64_MAX, UINT64_MAX),
		  "queue 18446744073709551615 blk-read elem 0xffffffffffffffff sector 18446744073709551615 "
		  "count 18446744073709551615");
	/* What a flush never carries is shown, not hidden. */
	CHECK_STR(queue_ev(0, VMT_QSTEP_FLUSH, 0x5, 1, 7), "queue 0 flush 1 used entry token 0x5 arg1 7");
	/* A scsi command and what QEMU's SCSI layer parsed of it. */
	CHECK_STR(queue_ev(2, VMT_QSTEP_SCSI_CMD, 0x10, 0x28, 1), "queue 2 scsi-cmd elem 0x10 op 0x28 lun 1");
	CHECK_STR(queue_ev(2, VMT_QSTEP_SCSI_XFER, 0x10, 4096, 1), "queue 2 scsi-xfer elem 0x10 length 4096 dir from-device");
	CHECK_STR(queue_ev(2, VMT_QSTEP_SCSI_XFER, 0x10, 0, 0), "queue 2 scsi-xfer elem 0x10 length 0 dir none");
	CHECK_STR(queue_ev(2, VMT_QSTEP_SCSI_XFER, 0x10, 512, 2), "queue 2 scsi-xfer elem 0x10 length 512 dir to-device");
	CHECK_STR(queue_ev(2, VMT_QSTEP_SCSI_XFER, 0x10, 1, 3), "queue 2 scsi-xfer elem 0x10 length 1 dir 3");
	CHECK_STR(queue_ev(2, VMT_QSTEP_SCSI_LBA, 0x10, 2048, 0), "queue 2 scsi-lba elem 0x10 lba 2048");
	CHECK_STR(queue_ev(2, VMT_QSTEP_SCSI_LBA, 0x10, UINT64_MAX, 5),
		  "queue 2 scsi-lba elem 0x10 lba 18446744073709551615 arg1 5");
	/* Steps vmtrace does not know. */
	CHECK_STR(queue_ev(1, 0, 1, 2, 3), "queue 1 step 0 (unknown) token 0x1 arg0 2 arg1 3");
	CHECK_STR(queue_ev(1, 9, 1, 2, 3), "queue 1 step 9 (unknown) token 0x1 arg0 2 arg1 3");
	CHECK_STR(queue_ev(1, UINT64_MAX, 0, 0, 0),
		  "queue 1 step 18446744073709551615 (unknown) token 0x0 arg0 0 arg1 0");
	/* Payloads that are not a report. */
	static const uint8_t short_data[VMT_QUEUE_REPORT_BYTES + 1];
	e = (struct vmt_event){ .type = VMT_EV_QUEUE, .addr = 0, .value = 1, .len = 23, .data = short_data };
	CHECK_STR(next(e), "queue 0 step 1 bad report (23 bytes, not 24)");
	e.len = 25;
	CHECK_STR(next(e), "queue 0 step 1 bad report (25 bytes, not 24)");
	e.len = 0;
	e.data = NULL;
	CHECK_STR(next(e), "queue 0 step 1 bad report (0 bytes, not 24)");
	e.len = VMT_QUEUE_REPORT_BYTES; /* a length without the bytes */
	CHECK_STR(next(e), "queue 0 step 1 bad report (24 bytes, not 24)");
	/* No device context, a note, and a cut. */
	uint8_t data[VMT_QUEUE_REPORT_BYTES];
	struct vmt_queue_report q = { 0x7f3cc00e9800u, 2, 1 };
	vmt_queue_report_encode(&q, data);
	e = (struct vmt_event){ .type = VMT_EV_QUEUE, .value = VMT_QSTEP_POP, .len = sizeof(data), .data = data };
	fmt_event(NULL, &e, "torn", out, sizeof(out), NULL);
	CHECK_STR(out, "queue 0 pop elem 0x7f3cc00e9800 in 2 out 1 (torn)");
	struct fmt_info info;
	char small[20];
	fmt_event(ctx, &e, NULL, small, sizeof(small), &info);
	CHECK(info.cut);
	CHECK_STR(small, "queue 0 pop elem...");
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_random_walk(void)
{
	static const uint32_t offs[] = { MMIO_QUEUE_SEL, MMIO_QUEUE_NUM, MMIO_QUEUE_DESC_LOW, MMIO_QUEUE_DESC_HIGH,
					 MMIO_QUEUE_DRIVER_LOW, MMIO_QUEUE_DRIVER_HIGH, MMIO_QUEUE_DEVICE_LOW,
					 MMIO_QUEUE_DEVICE_HIGH, MMIO_QUEUE_PFN, MMIO_QUEUE_ALIGN, MMIO_GUEST_PAGE_SIZE,
					 MMIO_DEVICE_FEATURES_SEL, MMIO_DRIVER_FEATURES_SEL, MMIO_DEVICE_FEATURES,
					 MMIO_DRIVER_FEATURES, MMIO_STATUS, MMIO_QUEUE_RESET, MMIO_VERSION, MMIO_DEVICE_ID,
					 MMIO_QUEUE_READY, MMIO_CONFIG, MMIO_CONFIG + 0x13, MMIO_INTERRUPT_ACK };
	static uint8_t data[4096];
	char buf[300];
	struct fmt_info info;
	unsigned named = 0, spans = 0;
	int bad = 0;

	fmt_ctx_free(ctx);
	ctx = NULL;
	CHECK(fmt_ctx_new(&ctx) == 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rnd();
	for (int i = 0; i < 200000 && !bad; i++) {
		uint64_t r = rnd();
		struct vmt_event e = { .base = BASE + (r & 3) * 0x200 };
		size_t size = 1 + (size_t)(rnd() % sizeof(buf));

		if (r & 0x10) {
			e.type = VMT_EV_MMIO;
			e.dir = (r >> 5) & 1 ? VMT_DIR_WRITE : VMT_DIR_READ;
			e.width = (uint8_t[]){ 4, 4, 4, 8, 1, 2, 3, 255 }[(r >> 6) & 7];
			e.addr = (r >> 9) & 1 ? offs[(r >> 10) % (sizeof(offs) / sizeof(offs[0]))] : rnd();
			switch ((r >> 20) & 3) {
			case 0: e.value = rnd(); break;
			case 1: e.value = rnd() & 0xff; break;
			case 2: e.value = UINT64_MAX - (rnd() & 0xfff); break;
			default: e.value = 0x40000000 + (rnd() & 0xffff); break;
			}
		} else if (r & 0x20) {
			e.type = VMT_EV_MEM;
			e.flags = (uint16_t)rnd();
			switch ((r >> 6) & 3) {
			case 0: e.addr = 0x40000000 + (rnd() & 0xffff); break;
			case 1: e.addr = UINT64_MAX - (rnd() & 0xffff); break;
			case 2: e.addr = rnd(); break;
			default: e.addr = (rnd() & 0xfffff000) << 12; break;
			}
			if ((r >> 8) & 1) {
				e.len = (uint32_t)(rnd() % sizeof(data));
				e.data = data;
			} else {
				e.len = (uint32_t)rnd(); /* no bytes: names only */
			}
		} else {
			e.type = (uint8_t)(r >> 8);
			e.value = rnd();
			e.width = (uint8_t)rnd();
			e.len = (uint32_t)(rnd() % 64);
			e.data = data;
		}
		memset(buf, 'Z', sizeof(buf));
		size_t n = fmt_event_next(ctx, &e, (r >> 30) & 1 ? "note\x9b" : NULL, buf, size, &info);
		named += info.named;
		spans += info.named && strstr(buf, "spans") != NULL;
		if (n >= size || buf[n] != '\0' || strlen(buf) != n) {
			CHECK(!"output not NUL-terminated inside its buffer");
			bad = 1;
		}
		for (size_t k = 0; k < n && !bad; k++) {
			unsigned char ch = (unsigned char)buf[k];
			if (ch < 0x20 || ch == 0x7f) {
				fprintf(stderr, "  control byte in: %s\n", buf);
				CHECK(!"control byte in output");
				bad = 1;
			}
		}
	}
	/* The walk reaches the naming code, both ways. */
	fprintf(stderr, "random walk: %u memory events named, %u of them spanning areas\n", named, spans);
	CHECK(named > 100);
	CHECK(spans > 10);
}

int main(void)
{
	RUN(test_register_line);
	RUN(test_features_word1);
	RUN(test_config_fields);
	RUN(test_other_types_and_queue_roles);
	RUN(test_queue_and_irq);
	RUN(test_legacy);
	RUN(test_memory_naming);
	RUN(test_gpa_names);
	RUN(test_hostile);
	RUN(test_filled_state);
	RUN(test_text_and_limits);
	RUN(test_queue_reports);
	RUN(test_random_walk);
	fmt_ctx_free(ctx);
	return harness_finish("test_event_fmt");
}
