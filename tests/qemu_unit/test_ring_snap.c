/* ring_snap: best-effort virtqueue snapshots out of guest RAM, driven by
 * the register accesses a driver makes.  Modern (Version 2) and legacy
 * (Version 1: GuestPageSize, QueueAlign, QueuePFN) split rings, direct
 * and indirect chains; on QueueNotify the descriptor table, the readable
 * buffers (indirect tables before theirs) and the avail ring LAST; on an
 * InterruptStatus read the written buffers, capped to the used length and
 * taken from where the chain pointed when it was made available (the
 * driver may have reused an indirect table by then), then the used ring.
 * Then the hostile rings of RELIABILITY B01-B11, the per-buffer and
 * per-trigger byte budgets, device reset and QueueReset. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/guest_mem.h"
#include "capture/qemu/guest_ram.h"
#include "capture/qemu/ring_snap.h"
#include "virtio/mmio_regs.h"
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/qemu_unit/evlog.h"
#include "tests/ring_builder.h"

#define RAM_SIZE (UINT64_C(4) << 20)
#define BASE UINT64_C(0xfeb02e00)
#define TS UINT64_C(123456789)
#define RING_GPA UINT64_C(0x10000)
#define RING2_GPA UINT64_C(0x20000)
#define TABLE_GPA UINT64_C(0x80000) /* indirect tables */
#define BUF_GPA UINT64_C(0x100000)  /* buffers */
#define BIG_RING_GPA UINT64_C(0x200000)
#define SNAP (VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT)
#define QN 8u

#define NX VIRTQ_DESC_F_NEXT
#define WR VIRTQ_DESC_F_WRITE
#define IND VIRTQ_DESC_F_INDIRECT

struct fx {
	struct guest_mem gm;
	struct guest_ram ram;
	struct ring_snap *s;
	struct evlog log;
	struct ring_builder rb, rb2;
	uint64_t base;
};

static bool fx_open(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->base = BASE;
	if (gmem_init(&f->gm, 0, RAM_SIZE) != 0) {
		CHECK(!"gmem_init failed");
		return false;
	}
	/* Buffers hold a pattern that differs per address. */
	for (uint64_t i = BUF_GPA; i < RAM_SIZE; i++)
		f->gm.ram[i] = (uint8_t)(i * 13 + (i >> 9));
	guest_ram_wrap(&f->ram, f->gm.ram, RAM_SIZE, RAM_SIZE);
	if (ring_snap_new(&f->s, &f->ram, evlog_emit, &f->log) != 0) {
		CHECK(!"ring_snap_new failed");
		gmem_release(&f->gm);
		return false;
	}
	return true;
}

static void fx_close(struct fx *f)
{
	ring_snap_free(f->s);
	evlog_release(&f->log);
	rb_release(&f->rb);
	rb_release(&f->rb2);
	gmem_release(&f->gm);
}

static int acc(struct fx *f, uint32_t off, bool write, uint64_t value)
{
	return ring_snap_access(f->s, f->base, off, write, 4, value, TS);
}

static void wr(struct fx *f, uint32_t off, uint64_t value)
{
	CHECK_EQ_U(acc(f, off, true, value), 0);
}

/* The driver's modern queue set-up (virtio_mmio.c vm_setup_vq order) on
 * the device at base, each write checked. */
static void setup_queue_at(struct ring_snap *s, uint64_t base, uint32_t qi, uint32_t num, uint64_t desc,
			   uint64_t avail, uint64_t used)
{
	const struct {
		uint32_t off;
		uint64_t v;
	} w[] = {
		{ MMIO_QUEUE_SEL, qi }, { MMIO_QUEUE_NUM, num },
		{ MMIO_QUEUE_DESC_LOW, desc & 0xffffffffu }, { MMIO_QUEUE_DESC_HIGH, desc >> 32 },
		{ MMIO_QUEUE_DRIVER_LOW, avail & 0xffffffffu }, { MMIO_QUEUE_DRIVER_HIGH, avail >> 32 },
		{ MMIO_QUEUE_DEVICE_LOW, used & 0xffffffffu }, { MMIO_QUEUE_DEVICE_HIGH, used >> 32 },
		{ MMIO_QUEUE_READY, 1 },
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		CHECK_EQ_U(ring_snap_access(s, base, w[i].off, true, 4, w[i].v, TS), 0);
}

static void setup_modern_queue(struct fx *f, uint32_t qi, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	setup_queue_at(f->s, f->base, qi, num, desc, avail, used);
}

static void boot_modern(struct fx *f)
{
	CHECK_EQ_U(acc(f, MMIO_MAGIC_VALUE, false, VIRTIO_MMIO_MAGIC), 0);
	CHECK_EQ_U(acc(f, MMIO_VERSION, false, VIRTIO_MMIO_VERSION_MODERN), 0);
	wr(f, MMIO_STATUS, 0);
	wr(f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
}

/* Modern device with queue qi of num entries built at gpa by rb. */
static bool modern(struct fx *f, struct ring_builder *rb, uint32_t qi, uint32_t num, uint64_t gpa)
{
	if (rb_init_modern(rb, &f->gm, num, gpa) != 0) {
		CHECK(!"rb_init_modern failed");
		return false;
	}
	setup_modern_queue(f, qi, num, rb->desc, rb->avail, rb->used);
	return true;
}

/* Legacy device: Version 1 (if say_version), GuestPageSize, and queue 0
 * at page_base with the given QueueAlign (0: not written, 4096 applies). */
static bool legacy(struct fx *f, uint32_t num, uint64_t page_base, uint32_t page, uint32_t align, bool say_version)
{
	if (say_version)
		CHECK_EQ_U(acc(f, MMIO_VERSION, false, VIRTIO_MMIO_VERSION_LEGACY), 0);
	wr(f, MMIO_STATUS, 0);
	wr(f, MMIO_GUEST_PAGE_SIZE, page);
	if (rb_init_legacy(&f->rb, &f->gm, num, page_base, align ? align : 4096) != 0) {
		CHECK(!"rb_init_legacy failed");
		return false;
	}
	wr(f, MMIO_QUEUE_SEL, 0);
	wr(f, MMIO_QUEUE_NUM, num);
	if (align)
		wr(f, MMIO_QUEUE_ALIGN, align);
	wr(f, MMIO_QUEUE_PFN, page_base / page);
	return true;
}

static int notify(struct fx *f, uint32_t value)
{
	evlog_clear(&f->log);
	return acc(f, MMIO_QUEUE_NOTIFY, true, value);
}

static int irq_read(struct fx *f)
{
	evlog_clear(&f->log);
	return acc(f, MMIO_INTERRUPT_STATUS, false, VIRTIO_MMIO_INT_VRING);
}

/* The device side: used entry at slot, then the used idx. */
static void put_used(struct fx *f, struct ring_builder *rb, uint16_t slot, uint32_t id, uint32_t len)
{
	uint8_t e[8];

	le32_put(e, id);
	le32_put(e + 4, len);
	gmem_write(&f->gm, GMEM_DEVICE, rb->used + 4 + 8u * (slot % rb->num), e, 8);
}

static void set_used_idx(struct fx *f, struct ring_builder *rb, uint16_t idx)
{
	uint8_t b[2];

	le16_put(b, idx);
	gmem_write(&f->gm, GMEM_DEVICE, rb->used + 2, b, 2);
}

static void put_desc(struct fx *f, uint64_t gpa, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	CHECK_EQ_U(rb_put_desc(&f->gm, gpa, addr, len, flags, next), 0);
}

/* Every MEM event: snapshot flags, our time, in RAM, and the bytes that
 * are there (RAM does not change during a trigger here). */
static void check_all_mem(int line, struct fx *f)
{
	static uint8_t copy[VMT_EVENT_DATA_MAX];

	for (size_t i = 0; i < f->log.n; i++) {
		const struct vmt_event *e = &f->log.ev[i];
		bool ok = e->type == VMT_EV_MEM && e->source == VMT_SRC_QEMU && e->ts_ns == TS &&
			  (e->flags & ~VMT_MEM_TRUNCATED) == SNAP && e->len > 0 && e->len <= VMT_EVENT_DATA_MAX &&
			  guest_ram_read(&f->ram, e->addr, copy, e->len) && memcmp(copy, e->data, e->len) == 0;
		if (!ok) {
			fprintf(stderr, "%s:%d: [%s] event %zu is not a good snapshot\n", __FILE__, line, harness_case, i);
			evlog_dump(&f->log, "events");
			harness_failures++;
			return;
		}
	}
}
#define CHECK_ALL_MEM(f) check_all_mem(__LINE__, (f))

/* Expect exactly this sequence of (addr, len, flags) MEM events. */
struct want {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

static void expect_seq(int line, struct fx *f, const struct want *w, size_t n)
{
	bool ok = f->log.n == n;

	for (size_t i = 0; ok && i < n; i++)
		ok = f->log.ev[i].addr == w[i].addr && f->log.ev[i].len == w[i].len &&
		     f->log.ev[i].flags == (w[i].flags ? w[i].flags : SNAP);
	if (!ok) {
		fprintf(stderr, "%s:%d: [%s] unexpected snapshot events; wanted:\n", __FILE__, line, harness_case);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "    [%zu] mem addr=0x%llx len=%u\n", i, (unsigned long long)w[i].addr, w[i].len);
		evlog_dump(&f->log, "got");
		harness_failures++;
	}
	check_all_mem(line, f);
}
#define EXPECT_SEQ(f, ...) do { \
	const struct want w_[] = { __VA_ARGS__ }; \
	expect_seq(__LINE__, (f), w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)
#define EXPECT_NONE(f) do { \
	if ((f)->log.n) { \
		fprintf(stderr, "%s:%d: [%s] expected no events\n", __FILE__, __LINE__, harness_case); \
		evlog_dump(&(f)->log, "got"); \
		harness_failures++; \
	} \
} while (0)

static struct ring_snap_stats snap_stats(const struct fx *f)
{
	struct ring_snap_stats st;

	ring_snap_get_stats(f->s, &st);
	return st;
}

#define DESC(rb) (rb).desc, (uint32_t)virtq_desc_bytes((rb).num)
#define AVAIL(rb) (rb).avail, (uint32_t)virtq_avail_bytes((rb).num)
#define USED(rb) (rb).used, (uint32_t)virtq_used_bytes((rb).num)

/* --- well-formed rings --- */

static void test_modern(void)
{
	struct fx f;
	const uint64_t T = TABLE_GPA;
	const uint64_t B = BUF_GPA;

	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (!modern(&f, &f.rb, 0, QN, RING_GPA))
		goto out;
	CHECK_EQ_U(f.log.n, 0); /* set-up alone emits nothing */

	/* a: two readable + one writable; b: indirect (readable, 2 writable);
	 * c: writable only. */
	const struct rb_seg a[] = { { B, 32, false }, { B + 0x100, 16, false }, { B + 0x200, 100, true } };
	const struct rb_seg b[] = { { B + 0x400, 20, false }, { B + 0x500, 50, true }, { B + 0x600, 60, true } };
	const struct rb_seg c[] = { { B + 0x800, 8, true } };
	int ha = rb_submit(&f.rb, a, 3);
	int hb = rb_add_indirect(&f.rb, T, b, 3);
	CHECK(hb >= 0 && rb_publish(&f.rb, (uint16_t)hb) == 0);
	int hc = rb_submit(&f.rb, c, 1);
	CHECK(ha >= 0 && hc >= 0);

	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { B, 32, 0 }, { B + 0x100, 16, 0 }, { T, 48, 0 }, { B + 0x400, 20, 0 },
		   { AVAIL(f.rb), 0 });
	CHECK_EQ_U(snap_stats(&f).triggers, 1);
	CHECK_EQ_U(snap_stats(&f).events, 6);
	CHECK_EQ_U(snap_stats(&f).truncated, 0);
	CHECK_EQ_U(snap_stats(&f).unreadable, 0);

	/* Nothing new: nothing emitted, still a trigger. */
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_NONE(&f);
	CHECK_EQ_U(snap_stats(&f).triggers, 2);

	/* One more chain: only it is walked. */
	const struct rb_seg d[] = { { B + 0x900, 24, false } };
	CHECK(rb_submit(&f.rb, d, 1) >= 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { B + 0x900, 24, 0 }, { AVAIL(f.rb), 0 });

	/* The device uses a (40 of its 100 writable bytes), b (70: 50 + 20 of
	 * 60) and c (0 bytes), then the driver reads InterruptStatus. */
	put_used(&f, &f.rb, 0, (uint32_t)ha, 40);
	put_used(&f, &f.rb, 1, (uint32_t)hb, 70);
	put_used(&f, &f.rb, 2, (uint32_t)hc, 0);
	set_used_idx(&f, &f.rb, 3);
	CHECK_EQ_U(irq_read(&f), 0);
	/* b's indirect table was emitted at notify time: not again. */
	EXPECT_SEQ(&f, { B + 0x200, 40, 0 }, { B + 0x500, 50, 0 }, { B + 0x600, 20, 0 }, { USED(f.rb), 0 });
	/* Seen: no repeat. */
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_NONE(&f);

	/* A used length beyond the chain: nothing past its writable buffers. */
	put_used(&f, &f.rb, 3, 5, 0xffffffffu); /* d: readable only */
	set_used_idx(&f, &f.rb, 4);
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_SEQ(&f, { USED(f.rb), 0 });

	/* Notification data (VIRTIO_F_NOTIFICATION_DATA): queue in the low 16 bits. */
	CHECK(rb_submit(&f.rb, d, 1) >= 0);
	CHECK_EQ_U(notify(&f, UINT32_C(0x80050000)), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { B + 0x900, 24, 0 }, { AVAIL(f.rb), 0 });
out:
	fx_close(&f);
}

/* Queues above 4 GiB (x86 high RAM): the 64-bit address registers and the
 * low/high split of guest RAM. */
static void test_high_ram(void)
{
	const uint64_t low = 0x10000, high = 0x40000, hb = GUEST_RAM_HIGH_BASE;
	uint8_t *mem = calloc(1, low + high);
	struct guest_ram ram;
	struct guest_mem gm_high;
	struct ring_builder rb;
	struct ring_snap *s;
	struct evlog log = { 0 };

	if (!mem)
		return;
	guest_ram_wrap(&ram, mem, low + high, low);
	memset(&gm_high, 0, sizeof(gm_high));
	gm_high.ram = mem + low;
	gm_high.base = hb;
	gm_high.size = high;
	for (uint64_t i = 0x20000; i < high; i++)
		gm_high.ram[i] = (uint8_t)(i ^ 0xa5);
	if (ring_snap_new(&s, &ram, evlog_emit, &log) != 0 || rb_init_modern(&rb, &gm_high, QN, hb + 0x1000) != 0) {
		CHECK(!"set-up failed");
		free(mem);
		return;
	}
	const struct rb_seg seg[] = { { hb + 0x20000, 64, false }, { hb + 0x30000, 32, true } };
	int h = rb_submit(&rb, seg, 2);
	CHECK(h == 0);
	CHECK_EQ_U(ring_snap_access(s, BASE, MMIO_VERSION, false, 4, 2, TS), 0);
	setup_queue_at(s, BASE, 0, QN, rb.desc, rb.avail, rb.used);
	CHECK_EQ_U(ring_snap_access(s, BASE, MMIO_QUEUE_NOTIFY, true, 4, 0, TS), 0);
	CHECK_EQ_U(log.n, 3);
	if (log.n == 3) {
		CHECK_EQ_U(log.ev[0].addr, rb.desc);
		CHECK_EQ_U(log.ev[1].addr, hb + 0x20000);
		CHECK_EQ_U(log.ev[1].len, 64);
		CHECK(memcmp(log.ev[1].data, gm_high.ram + 0x20000, 64) == 0);
		CHECK_EQ_U(log.ev[2].addr, rb.avail);
		CHECK(memcmp(log.ev[2].data, gm_high.ram + (rb.avail - hb), log.ev[2].len) == 0);
	}
	/* Used, then the written buffer comes from high RAM too. */
	uint8_t e[8];
	le32_put(e, 0);
	le32_put(e + 4, 32);
	memcpy(gm_high.ram + (rb.used - hb) + 4, e, 8);
	le16_put(e, 1);
	memcpy(gm_high.ram + (rb.used - hb) + 2, e, 2);
	evlog_clear(&log);
	CHECK_EQ_U(ring_snap_access(s, BASE, MMIO_INTERRUPT_STATUS, false, 4, 1, TS), 0);
	CHECK_EQ_U(log.n, 2);
	if (log.n == 2) {
		CHECK_EQ_U(log.ev[0].addr, hb + 0x30000);
		CHECK(memcmp(log.ev[0].data, gm_high.ram + 0x30000, 32) == 0);
		CHECK_EQ_U(log.ev[1].addr, rb.used);
	}
	rb_release(&rb);
	ring_snap_free(s);
	evlog_release(&log);
	free(mem);
}

/* RAM at 1 GiB (arm/aarch64 virt, guest_ram_layout): rings and buffers
 * copied from their guest-physical addresses there; a buffer below RAM
 * (where x86 RAM would be) is not copied. */
static void test_ram_at_base(void)
{
	const uint64_t rb_base = GUEST_RAM_ARM_VIRT_BASE, size = 0x40000;
	struct guest_ram ram;
	struct guest_mem gm;
	struct ring_builder rb;
	struct ring_snap *s = NULL;
	struct evlog log = { 0 };

	if (gmem_init(&gm, rb_base, size) != 0) {
		CHECK(!"gmem_init failed");
		return;
	}
	for (uint64_t i = 0x20000; i < size; i++)
		gm.ram[i] = (uint8_t)(i * 3 + 1);
	guest_ram_wrap_at(&ram, gm.ram, rb_base, size);
	if (ring_snap_new(&s, &ram, evlog_emit, &log) != 0 || rb_init_modern(&rb, &gm, QN, rb_base + 0x1000) != 0) {
		CHECK(!"set-up failed");
		ring_snap_free(s);
		gmem_release(&gm);
		return;
	}
	const struct rb_seg seg[] = { { rb_base + 0x20000, 48, false } };
	CHECK(rb_submit(&rb, seg, 1) == 0);
	CHECK_EQ_U(ring_snap_access(s, BASE, MMIO_VERSION, false, 4, 2, TS), 0);
	setup_queue_at(s, BASE, 0, QN, rb.desc, rb.avail, rb.used);
	CHECK_EQ_U(ring_snap_access(s, BASE, MMIO_QUEUE_NOTIFY, true, 4, 0, TS), 0);
	CHECK_EQ_U(log.n, 3);
	if (log.n == 3) {
		CHECK_EQ_U(log.ev[0].addr, rb.desc);
		CHECK(memcmp(log.ev[0].data, gm.ram + (rb.desc - rb_base), log.ev[0].len) == 0);
		CHECK_EQ_U(log.ev[1].addr, rb_base + 0x20000);
		CHECK_EQ_U(log.ev[1].len, 48);
		CHECK(memcmp(log.ev[1].data, gm.ram + 0x20000, 48) == 0);
		CHECK_EQ_U(log.ev[2].addr, rb.avail);
	}
	/* A buffer at 0x20000, below RAM: its bytes are nowhere to copy. */
	const struct rb_seg below[] = { { 0x20000, 16, false } };
	CHECK(rb_submit(&rb, below, 1) >= 0);
	evlog_clear(&log);
	CHECK_EQ_U(ring_snap_access(s, BASE, MMIO_QUEUE_NOTIFY, true, 4, 0, TS), 0);
	CHECK(log.n >= 2); /* the descriptor table and avail ring again */
	for (unsigned i = 0; i < log.n; i++)
		CHECK(log.ev[i].addr >= rb_base && log.ev[i].addr != 0x20000);
	rb_release(&rb);
	ring_snap_free(s);
	evlog_release(&log);
	gmem_release(&gm);
}

static void test_legacy(void)
{
	struct fx f;
	const uint64_t B = BUF_GPA;
	const uint64_t page_base = 0x20000;
	const struct rb_seg seg[] = { { B, 10, false }, { B + 0x40, 30, true } };
	static const struct {
		uint32_t num, page, align;
		bool say_version;
	} cases[] = {
		{ 16, 4096, 4096, true },   /* what Linux writes */
		{ 16, 4096, 0, true },      /* QueueAlign never written: 4096 */
		{ 16, 4096, 64, true },     /* a small QueueAlign */
		{ 16, 8192, 4096, true },   /* another page size */
		{ 256, 4096, 4096, false }, /* Version not seen: QueuePFN says legacy */
		{ 3, 4096, 4096, true },    /* not a power of two */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!fx_open(&f))
			return;
		if (!legacy(&f, cases[i].num, page_base, cases[i].page, cases[i].align, cases[i].say_version)) {
			fx_close(&f);
			return;
		}
		/* The layout the spec gives (Legacy Interfaces: Virtqueue Layout). */
		uint64_t align = cases[i].align ? cases[i].align : 4096;
		CHECK_EQ_U(f.rb.desc, page_base);
		CHECK_EQ_U(f.rb.avail, page_base + 16u * cases[i].num);
		CHECK_EQ_U(f.rb.used, (f.rb.avail + 6 + 2u * cases[i].num + align - 1) & ~(align - 1));

		int h = rb_submit(&f.rb, seg, 2);
		CHECK(h == 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { B, 10, 0 }, { AVAIL(f.rb), 0 });
		put_used(&f, &f.rb, 0, 0, 30);
		set_used_idx(&f, &f.rb, 1);
		CHECK_EQ_U(irq_read(&f), 0);
		EXPECT_SEQ(&f, { B + 0x40, 30, 0 }, { USED(f.rb), 0 });
		if (harness_failures)
			fprintf(stderr, "    (legacy case %zu)\n", i);

		/* QueuePFN 0 releases the queue. */
		wr(&f, MMIO_QUEUE_PFN, 0);
		CHECK(rb_submit(&f.rb, seg, 1) >= 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_NONE(&f);
		/* A new QueuePFN starts the queue over: both chains are walked
		 * again, then (same trigger) the used entry is taken again. */
		wr(&f, MMIO_QUEUE_PFN, page_base / cases[i].page);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { B, 10, 0 }, { B, 10, 0 }, { AVAIL(f.rb), 0 }, { B + 0x40, 30, 0 },
			   { USED(f.rb), 0 });
		fx_close(&f);
	}
}

/* The driver frees and reuses an indirect table as soon as it sees the
 * used entry, often before vmtrace reads it: the device's output is
 * fetched from the buffers the chain had when it was made available. */
static void test_used_after_table_reuse(void)
{
	struct fx f;
	const uint64_t T = TABLE_GPA, B = BUF_GPA;
	const struct rb_seg seg[] = { { B, 16, false }, { B + 0x100, 64, true }, { B + 0x200, 64, true } };

	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (!modern(&f, &f.rb, 0, QN, RING_GPA))
		goto out;
	int h = rb_add_indirect(&f.rb, T, seg, 3);
	CHECK(h == 0 && rb_publish(&f.rb, 0) == 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { T, 48, 0 }, { B, 16, 0 }, { AVAIL(f.rb), 0 });
	/* Used; the table is already reused for another request. */
	put_desc(&f, T, B + 0x3000, 500, WR | NX, 1);
	put_desc(&f, T + 16, B + 0x4000, 500, WR, 0);
	put_used(&f, &f.rb, 0, 0, 100);
	set_used_idx(&f, &f.rb, 1);
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_SEQ(&f, { B + 0x100, 64, 0 }, { B + 0x200, 36, 0 }, { USED(f.rb), 0 });

	/* A head used but never seen made available (vmtrace started late,
	 * or the avail snapshot was lost): walked as the table is now. */
	CHECK_EQ_U(rb_set_desc(&f.rb, 3, T, 32, IND, 0), 0);
	put_used(&f, &f.rb, 1, 3, 1000);
	set_used_idx(&f, &f.rb, 2);
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_SEQ(&f, { T, 32, 0 }, { B + 0x3000, 500, 0 }, { B + 0x4000, 500, 0 }, { USED(f.rb), 0 });

	/* A head used twice: the second time it is walked as it is now. */
	put_used(&f, &f.rb, 2, 0, 8);
	set_used_idx(&f, &f.rb, 3);
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_SEQ(&f, { T, 48, 0 }, { B + 0x3000, 8, 0 }, { USED(f.rb), 0 });
out:
	fx_close(&f);
}

/* Several queues and devices: InterruptStatus looks at every queue of its
 * device, in queue order; devices are independent. */
static void test_queues_and_devices(void)
{
	struct fx f;
	const uint64_t B = BUF_GPA;

	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (!modern(&f, &f.rb, 0, QN, RING_GPA) || !modern(&f, &f.rb2, 5, 16, RING2_GPA))
		goto out;
	const struct rb_seg w0[] = { { B, 16, true } };
	const struct rb_seg w5[] = { { B + 0x1000, 48, true } };
	CHECK(rb_submit(&f.rb, w0, 1) == 0);
	CHECK(rb_submit(&f.rb2, w5, 1) == 0);
	/* Notify queue 5 only. */
	CHECK_EQ_U(notify(&f, 5), 0);
	EXPECT_SEQ(&f, { DESC(f.rb2), 0 }, { AVAIL(f.rb2), 0 });
	put_used(&f, &f.rb, 0, 0, 16);
	set_used_idx(&f, &f.rb, 1);
	put_used(&f, &f.rb2, 0, 0, 48);
	set_used_idx(&f, &f.rb2, 1);
	/* Queue 0's avail ring was never snapped: it comes with its used ring. */
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { AVAIL(f.rb), 0 }, { B, 16, 0 }, { USED(f.rb), 0 },
		   { B + 0x1000, 48, 0 }, { USED(f.rb2), 0 });

	/* Another device: its own state; queue 0 there is not set up. */
	f.base = BASE + 0x200;
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_NONE(&f);
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_NONE(&f);
	/* More devices than followed: ignored, no harm. */
	for (unsigned i = 0; i < RING_SNAP_DEVICES_MAX + 8; i++) {
		f.base = UINT64_C(0xd0000000) + 0x200u * i;
		CHECK_EQ_U(acc(&f, MMIO_VERSION, false, 2), 0);
		setup_modern_queue(&f, 0, QN, f.rb.desc, f.rb.avail, f.rb.used);
	}
	f.base = UINT64_C(0xd0000000) + 0x200u * (RING_SNAP_DEVICES_MAX + 4);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_NONE(&f);
	/* The first device still works. */
	f.base = BASE;
	CHECK(rb_submit(&f.rb, w0, 1) >= 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { AVAIL(f.rb), 0 });
out:
	fx_close(&f);
}

/* Accesses that do not drive the snapshotter. */
static void test_ignored_accesses(void)
{
	struct fx f;
	const struct rb_seg seg[] = { { BUF_GPA, 16, false } };

	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (!modern(&f, &f.rb, 0, QN, RING_GPA))
		goto out;
	CHECK(rb_submit(&f.rb, seg, 1) == 0);
	/* Widths other than 4. */
	for (uint32_t w = 1; w <= 8; w *= 2) {
		if (w == 4)
			continue;
		evlog_clear(&f.log);
		CHECK_EQ_U(ring_snap_access(f.s, BASE, MMIO_QUEUE_NOTIFY, true, w, 0, TS), 0);
		CHECK_EQ_U(ring_snap_access(f.s, BASE, MMIO_INTERRUPT_STATUS, false, w, 1, TS), 0);
		EXPECT_NONE(&f);
	}
	/* A read of QueueNotify, a write of InterruptStatus, config space. */
	evlog_clear(&f.log);
	CHECK_EQ_U(acc(&f, MMIO_QUEUE_NOTIFY, false, 0), 0);
	CHECK_EQ_U(acc(&f, MMIO_INTERRUPT_STATUS, true, 1), 0);
	CHECK_EQ_U(acc(&f, MMIO_CONFIG, true, 0), 0);
	CHECK_EQ_U(acc(&f, MMIO_CONFIG + MMIO_QUEUE_NOTIFY, true, 0), 0);
	EXPECT_NONE(&f);
	CHECK_EQ_U(snap_stats(&f).triggers, 0);
	/* Queue numbers the snapshotter does not follow. */
	CHECK_EQ_U(notify(&f, RING_SNAP_QUEUES_MAX), 0);
	CHECK_EQ_U(notify(&f, 0xffff), 0);
	EXPECT_NONE(&f);
	CHECK_EQ_U(snap_stats(&f).triggers, 0);
	/* QueueSel out of range: the writes that follow change nothing. */
	wr(&f, MMIO_QUEUE_SEL, RING_SNAP_QUEUES_MAX);
	wr(&f, MMIO_QUEUE_NUM, 0);
	wr(&f, MMIO_QUEUE_READY, 0);
	wr(&f, MMIO_QUEUE_RESET, 1);
	wr(&f, MMIO_QUEUE_SEL, 0xffffffffu);
	wr(&f, MMIO_QUEUE_DESC_LOW, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { BUF_GPA, 16, 0 }, { AVAIL(f.rb), 0 });
out:
	fx_close(&f);
}

/* Device reset, QueueReset, QueueReady 0: the queue is forgotten; set up
 * again, it starts over from avail idx 0. */
static void test_reset(void)
{
	struct fx f;
	const struct rb_seg seg[] = { { BUF_GPA, 16, false } };

	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (!modern(&f, &f.rb, 0, QN, RING_GPA) || !modern(&f, &f.rb2, 1, QN, RING2_GPA))
		goto out;
	CHECK(rb_submit(&f.rb, seg, 1) == 0);
	CHECK(rb_submit(&f.rb2, seg, 1) == 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(f.log.n, 3);

	/* Status 0 forgets every queue. */
	wr(&f, MMIO_STATUS, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_NONE(&f);
	CHECK_EQ_U(notify(&f, 1), 0);
	EXPECT_NONE(&f);
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_NONE(&f);
	/* Set up again: the chain is new to the snapshotter. */
	setup_modern_queue(&f, 0, QN, f.rb.desc, f.rb.avail, f.rb.used);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { BUF_GPA, 16, 0 }, { AVAIL(f.rb), 0 });
	setup_modern_queue(&f, 1, QN, f.rb2.desc, f.rb2.avail, f.rb2.used);

	/* A non-zero Status write is not a reset. */
	wr(&f, MMIO_STATUS, VIRTIO_STATUS_DRIVER_OK);
	CHECK(rb_submit(&f.rb, seg, 1) >= 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(f.log.n, 3);

	/* QueueReset of queue 0 (VIRTIO_F_RING_RESET): queue 1 stays. */
	wr(&f, MMIO_QUEUE_SEL, 0);
	wr(&f, MMIO_QUEUE_RESET, 1);
	CHECK(rb_submit(&f.rb, seg, 1) >= 0);
	CHECK(rb_submit(&f.rb2, seg, 1) >= 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_NONE(&f);
	CHECK_EQ_U(notify(&f, 1), 0);
	EXPECT_SEQ(&f, { DESC(f.rb2), 0 }, { BUF_GPA, 16, 0 }, { BUF_GPA, 16, 0 }, { AVAIL(f.rb2), 0 });
	/* QueueReset written 0 does nothing. */
	wr(&f, MMIO_QUEUE_SEL, 1);
	wr(&f, MMIO_QUEUE_RESET, 0);
	CHECK(rb_submit(&f.rb2, seg, 1) >= 0);
	CHECK_EQ_U(notify(&f, 1), 0);
	CHECK_EQ_U(f.log.n, 3);

	/* QueueReady 0 stops snapshots; 1 again starts over. */
	wr(&f, MMIO_QUEUE_READY, 0);
	CHECK(rb_submit(&f.rb2, seg, 1) >= 0);
	CHECK_EQ_U(notify(&f, 1), 0);
	EXPECT_NONE(&f);
	wr(&f, MMIO_QUEUE_READY, 1);
	CHECK_EQ_U(notify(&f, 1), 0);
	/* desc table, the 4 chains made available so far, avail ring */
	CHECK_EQ_U(f.log.n, 6);
	if (f.log.n == 6)
		CHECK_EQ_U(f.log.ev[5].addr, f.rb2.avail);
	/* QueueReady 1 while ready does not start over. */
	wr(&f, MMIO_QUEUE_READY, 1);
	CHECK_EQ_U(notify(&f, 1), 0);
	EXPECT_NONE(&f);
out:
	fx_close(&f);
}

/* --- hostile rings (RELIABILITY B01-B11) --- */

/* A modern device with queue 0 of num entries, ready; the driver's avail
 * ring gets head in slot 0 and idx 1. */
static bool hostile(struct fx *f, uint32_t num)
{
	if (!fx_open(f))
		return false;
	boot_modern(f);
	if (!modern(f, &f->rb, 0, num, RING_GPA)) {
		fx_close(f);
		return false;
	}
	return true;
}

static void avail_one(struct fx *f, uint16_t head)
{
	rb_avail_put_raw(&f->rb, f->rb.avail_idx % f->rb.num, head);
	rb_avail_set_idx(&f->rb, (uint16_t)(f->rb.avail_idx + 1));
}

static size_t count_at(const struct fx *f, uint64_t addr)
{
	size_t n = 0;

	for (size_t i = 0; i < f->log.n; i++)
		n += f->log.ev[i].addr == addr;
	return n;
}

static bool avail_last(const struct fx *f)
{
	return f->log.n && f->log.ev[f->log.n - 1].addr == f->rb.avail &&
	       f->log.ev[f->log.n - 1].len == virtq_avail_bytes(f->rb.num);
}

static void test_b01_loops(void)
{
	struct fx f;

	/* A descriptor pointing to itself: at most num hops. */
	if (!hostile(&f, QN))
		return;
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 10, NX, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(count_at(&f, BUF_GPA), QN);
	CHECK(avail_last(&f));
	CHECK_ALL_MEM(&f);
	fx_close(&f);

	/* A loop of three. */
	if (!hostile(&f, QN))
		return;
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 10, NX, 1), 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 1, BUF_GPA + 0x100, 10, NX, 2), 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 2, BUF_GPA + 0x200, 10, NX, 0), 0);
	avail_one(&f, 1);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(f.log.n, 1 + QN + 1);
	CHECK(avail_last(&f));
	fx_close(&f);

	/* A loop inside an indirect table: at most its length in hops. */
	if (!hostile(&f, QN))
		return;
	put_desc(&f, TABLE_GPA, BUF_GPA, 10, NX, 1);
	put_desc(&f, TABLE_GPA + 16, BUF_GPA + 0x100, 10, NX, 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, TABLE_GPA, 32, IND, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(count_at(&f, TABLE_GPA), 1);
	CHECK_EQ_U(count_at(&f, BUF_GPA) + count_at(&f, BUF_GPA + 0x100), 2);
	CHECK(avail_last(&f));
	fx_close(&f);

	/* Every avail slot names the same looping head, on a big queue:
	 * num chains of num hops, bounded by the trigger budget. */
	if (!hostile(&f, 1024))
		return;
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 4096, NX, 0), 0);
	for (uint32_t i = 0; i < 1024; i++)
		rb_avail_put_raw(&f.rb, i, 0);
	rb_avail_set_idx(&f.rb, 1024);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK(evlog_mem_bytes(&f.log) <= RING_SNAP_TRIGGER_MAX);
	CHECK(avail_last(&f));
	CHECK(snap_stats(&f).truncated > 0);
	fx_close(&f);
}

static void test_b02_full_chain(void)
{
	struct fx f;

	if (!hostile(&f, QN))
		return;
	for (uint32_t i = 0; i < QN; i++)
		CHECK_EQ_U(rb_set_desc(&f.rb, i, BUF_GPA + 0x100u * i, 8 + i, (uint16_t)(i + 1 < QN ? NX : 0),
				       (uint16_t)(i + 1)), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(f.log.n, QN + 2);
	for (uint32_t i = 0; i < QN && i + 1 < f.log.n; i++) {
		CHECK_EQ_U(f.log.ev[1 + i].addr, BUF_GPA + 0x100u * i);
		CHECK_EQ_U(f.log.ev[1 + i].len, 8 + i);
	}
	CHECK(avail_last(&f));
	CHECK_ALL_MEM(&f);

	fx_close(&f);

	/* Chains of num writable descriptors, used in full: 8 is what is
	 * noted per chain at notify time, 16 is more (walked again when
	 * used). */
	static const uint32_t sizes[] = { 8, 16 };
	for (size_t k = 0; k < 2; k++) {
		uint32_t num = sizes[k];
		if (!hostile(&f, num))
			return;
		for (uint32_t i = 0; i < num; i++)
			CHECK_EQ_U(rb_set_desc(&f.rb, i, BUF_GPA + 0x100u * i, 8,
					       (uint16_t)(WR | (i + 1 < num ? NX : 0)), (uint16_t)(i + 1)), 0);
		avail_one(&f, 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { AVAIL(f.rb), 0 });
		put_used(&f, &f.rb, 0, 0, 8 * num);
		set_used_idx(&f, &f.rb, 1);
		CHECK_EQ_U(irq_read(&f), 0);
		CHECK_EQ_U(f.log.n, num + 1);
		for (uint32_t i = 0; i < num && i < f.log.n; i++) {
			CHECK_EQ_U(f.log.ev[i].addr, BUF_GPA + 0x100u * i);
			CHECK_EQ_U(f.log.ev[i].len, 8);
		}
		CHECK_ALL_MEM(&f);
		fx_close(&f);
	}
}

static void test_b03_b04_indices(void)
{
	struct fx f;
	static const uint16_t bad_next[] = { QN, QN + 1, 0x8000, 0xffff };
	static const uint16_t bad_head[] = { QN, 0x7fff, 0xffff };

	for (size_t i = 0; i < sizeof(bad_next) / sizeof(bad_next[0]); i++) {
		if (!hostile(&f, QN))
			return;
		CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 10, NX, bad_next[i]), 0);
		avail_one(&f, 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
		fx_close(&f);
	}
	for (size_t i = 0; i < sizeof(bad_head) / sizeof(bad_head[0]); i++) {
		if (!hostile(&f, QN))
			return;
		CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 10, 0, 0), 0);
		avail_one(&f, bad_head[i]);
		avail_one(&f, 0); /* a good head after the bad one is still walked */
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
		/* A used id out of range is skipped too. */
		put_used(&f, &f.rb, 0, bad_head[i], 10);
		set_used_idx(&f, &f.rb, 1);
		CHECK_EQ_U(irq_read(&f), 0);
		EXPECT_SEQ(&f, { USED(f.rb), 0 });
		fx_close(&f);
	}
}

static void test_b05_idx_jump(void)
{
	struct fx f;
	static const uint16_t jumps[] = { QN + 1, 1000, 0x8000, 0xffff };

	for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
		if (!hostile(&f, QN))
			return;
		for (uint32_t d = 0; d < QN; d++)
			CHECK_EQ_U(rb_set_desc(&f.rb, d, BUF_GPA + 0x100u * d, 4, 0, 0), 0);
		for (uint32_t s = 0; s < QN; s++)
			rb_avail_put_raw(&f.rb, s, (uint16_t)s);
		rb_avail_set_idx(&f.rb, jumps[i]);
		CHECK_EQ_U(notify(&f, 0), 0);
		/* At most num chains, each once. */
		CHECK_EQ_U(f.log.n, 1 + QN + 1);
		for (uint32_t d = 0; d < QN; d++)
			CHECK_EQ_U(count_at(&f, BUF_GPA + 0x100u * d), 1);
		CHECK(avail_last(&f));
		CHECK_ALL_MEM(&f);
		/* The jump is taken as seen. */
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_NONE(&f);
		/* The same on the used side. */
		for (uint32_t s = 0; s < QN; s++)
			put_used(&f, &f.rb, (uint16_t)s, s, 4);
		set_used_idx(&f, &f.rb, jumps[i]);
		CHECK_EQ_U(irq_read(&f), 0);
		CHECK_EQ_U(f.log.n, 1); /* no writable buffers; the used ring */
		fx_close(&f);
	}
}

static void test_b06_queue_sizes(void)
{
	struct fx f;
	static const uint32_t refused[] = { 0, VIRTQ_SIZE_MAX + 1, 0x10000, 0xffffffffu };

	/* Sizes no queue has: nothing read, nothing divided by zero. */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (!hostile(&f, QN))
			return;
		CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 10, 0, 0), 0);
		avail_one(&f, 0);
		wr(&f, MMIO_QUEUE_SEL, 0);
		wr(&f, MMIO_QUEUE_NUM, refused[i]);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_NONE(&f);
		CHECK_EQ_U(irq_read(&f), 0);
		EXPECT_NONE(&f);
		CHECK_EQ_U(snap_stats(&f).bytes, 0);
		fx_close(&f);
	}

	/* 3: not a power of two, still bounded; slot = idx mod 3. */
	if (!hostile(&f, 3))
		return;
	CHECK_EQ_U(rb_set_desc(&f.rb, 2, BUF_GPA, 10, 0, 0), 0);
	rb_avail_put_raw(&f.rb, 0, 2);
	rb_avail_set_idx(&f.rb, 1);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { f.rb.desc, 48, 0 }, { BUF_GPA, 10, 0 }, { f.rb.avail, 12, 0 });
	fx_close(&f);

	/* The largest queue: tables and rings split into events of at most
	 * VMT_EVENT_DATA_MAX bytes, contiguous, ring last. */
	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (modern(&f, &f.rb, 0, VIRTQ_SIZE_MAX, BIG_RING_GPA)) {
		CHECK_EQ_U(rb_set_desc(&f.rb, VIRTQ_SIZE_MAX - 1, BUF_GPA, 10, 0, 0), 0);
		rb_avail_put_raw(&f.rb, 0, VIRTQ_SIZE_MAX - 1);
		rb_avail_set_idx(&f.rb, 1);
		CHECK_EQ_U(notify(&f, 0), 0);
		uint64_t desc_bytes = virtq_desc_bytes(VIRTQ_SIZE_MAX), avail_bytes = virtq_avail_bytes(VIRTQ_SIZE_MAX);
		size_t n_desc = (size_t)(desc_bytes / VMT_EVENT_DATA_MAX);
		CHECK_EQ_U(f.log.n, n_desc + 1 + 2);
		for (size_t i = 0; i < n_desc && i < f.log.n; i++) {
			CHECK_EQ_U(f.log.ev[i].addr, f.rb.desc + (uint64_t)i * VMT_EVENT_DATA_MAX);
			CHECK_EQ_U(f.log.ev[i].len, VMT_EVENT_DATA_MAX);
		}
		if (f.log.n == n_desc + 3) {
			CHECK_EQ_U(f.log.ev[n_desc].addr, BUF_GPA);
			CHECK_EQ_U(f.log.ev[n_desc + 1].addr, f.rb.avail);
			CHECK_EQ_U(f.log.ev[n_desc + 1].len, VMT_EVENT_DATA_MAX);
			CHECK_EQ_U(f.log.ev[n_desc + 2].addr, f.rb.avail + VMT_EVENT_DATA_MAX);
			CHECK_EQ_U(f.log.ev[n_desc + 2].len, avail_bytes - VMT_EVENT_DATA_MAX);
		}
		CHECK_ALL_MEM(&f);
	}
	fx_close(&f);
}

static void test_b07_b09_indirect(void)
{
	struct fx f;
	const uint64_t T = TABLE_GPA;

	/* Length 0, 8 (less than one descriptor): no table, no walk. */
	static const uint32_t empty[] = { 0, 8, 15 };
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		if (!hostile(&f, QN))
			return;
		put_desc(&f, T, BUF_GPA, 10, 0, 0);
		CHECK_EQ_U(rb_set_desc(&f.rb, 0, T, empty[i], IND, 0), 0);
		avail_one(&f, 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { AVAIL(f.rb), 0 });
		fx_close(&f);
	}

	/* Not a multiple of 16: whole descriptors only. */
	if (!hostile(&f, QN))
		return;
	put_desc(&f, T, BUF_GPA, 10, NX, 1);
	put_desc(&f, T + 16, BUF_GPA + 0x100, 10, 0, 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, T, 17, IND, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { T, 16, 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
	fx_close(&f);

	/* Huge: at most queue-size descriptors copied. */
	if (!hostile(&f, QN))
		return;
	put_desc(&f, T, BUF_GPA, 10, 0, 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, T, 0xfffffff0u, IND, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { T, 16 * QN, 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
	fx_close(&f);

	/* Huge and running out of RAM: nothing read from it. */
	if (!hostile(&f, QN))
		return;
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, RAM_SIZE - 32, 0xfffffff0u, IND, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { AVAIL(f.rb), 0 });
	CHECK(snap_stats(&f).unreadable > 0);
	fx_close(&f);

	/* B08: an indirect table inside an indirect table: not followed. */
	if (!hostile(&f, QN))
		return;
	put_desc(&f, T, BUF_GPA, 10, NX, 1);
	put_desc(&f, T + 16, T + 0x100, 32, IND | NX, 2);
	put_desc(&f, T + 32, BUF_GPA + 0x200, 10, 0, 0);
	put_desc(&f, T + 0x100, BUF_GPA + 0x300, 10, 0, 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, T, 48, IND, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { T, 48, 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
	fx_close(&f);

	/* B09: INDIRECT and NEXT on one descriptor: the table is followed,
	 * the next descriptor is not; the walk ends. */
	if (!hostile(&f, QN))
		return;
	put_desc(&f, T, BUF_GPA, 10, 0, 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, T, 16, IND | NX, 1), 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 1, BUF_GPA + 0x100, 10, 0, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { T, 16, 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
	fx_close(&f);

	/* A bad next inside an indirect table ends the walk there. */
	if (!hostile(&f, QN))
		return;
	put_desc(&f, T, BUF_GPA, 10, NX, 5);
	put_desc(&f, T + 16, BUF_GPA + 0x100, 10, 0, 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, T, 32, IND, 0), 0);
	avail_one(&f, 0);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { T, 32, 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
	fx_close(&f);
}

static void test_b10_outside_ram(void)
{
	struct fx f;
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bufs[] = {
		{ RAM_SIZE - 4, 16 },          /* runs past the end */
		{ RAM_SIZE, 1 },               /* just past it */
		{ UINT64_MAX - 7, 16 },        /* wraps */
		{ UINT64_MAX, 0xffffffffu },
		{ GUEST_RAM_HIGH_BASE, 16 },   /* no high RAM here */
	};

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		if (!hostile(&f, QN))
			return;
		CHECK_EQ_U(rb_set_desc(&f.rb, 0, bufs[i].addr, bufs[i].len, NX, 1), 0);
		CHECK_EQ_U(rb_set_desc(&f.rb, 1, BUF_GPA, 10, 0, 0), 0);
		avail_one(&f, 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		/* Skipped, and the walk goes on to the next descriptor. */
		EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
		CHECK_EQ_U(snap_stats(&f).unreadable, 1);
		fx_close(&f);
	}
	/* At the very end of RAM: N bytes read, N + 1 not. */
	if (!hostile(&f, QN))
		return;
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, RAM_SIZE - 16, 16, 0, 0), 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 1, RAM_SIZE - 16, 17, 0, 0), 0);
	avail_one(&f, 0);
	avail_one(&f, 1);
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { RAM_SIZE - 16, 16, 0 }, { AVAIL(f.rb), 0 });
	fx_close(&f);

	/* Ring areas outside RAM: nothing emitted, nothing read past RAM. */
	static const uint64_t where[] = { RAM_SIZE, RAM_SIZE - 8, UINT64_MAX - 3, GUEST_RAM_HIGH_BASE };
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		for (int area = 0; area < 3; area++) {
			if (!hostile(&f, QN))
				return;
			CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 10, WR, 0), 0);
			avail_one(&f, 0);
			put_used(&f, &f.rb, 0, 0, 10);
			set_used_idx(&f, &f.rb, 1);
			uint64_t desc = area == 0 ? where[i] : f.rb.desc;
			uint64_t avail = area == 1 ? where[i] : f.rb.avail;
			uint64_t used = area == 2 ? where[i] : f.rb.used;
			setup_modern_queue(&f, 0, QN, desc, avail, used);
			CHECK_EQ_U(notify(&f, 0), 0);
			CHECK_EQ_U(irq_read(&f), 0);
			/* Only what is in RAM may come out; with the
			 * descriptor table gone, no buffer either. */
			CHECK_ALL_MEM(&f);
			CHECK(count_at(&f, where[i]) == 0);
			if (area == 0)
				CHECK_EQ_U(count_at(&f, BUF_GPA), 0);
			CHECK(snap_stats(&f).unreadable > 0);
			fx_close(&f);
		}
	}
}

static void test_b11_buffer_cap(void)
{
	struct fx f;

	/* N = RING_SNAP_BUFFER_MAX kept whole; N + 1 and 0xffffffff cut to N
	 * and marked truncated. */
	static const struct {
		uint32_t len, kept;
		bool truncated;
	} cases[] = {
		{ RING_SNAP_BUFFER_MAX, RING_SNAP_BUFFER_MAX, false },
		{ RING_SNAP_BUFFER_MAX + 1, RING_SNAP_BUFFER_MAX, true },
		{ 0xffffffffu, RING_SNAP_BUFFER_MAX, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!hostile(&f, QN))
			return;
		CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, cases[i].len, 0, 0), 0);
		avail_one(&f, 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		EXPECT_SEQ(&f, { DESC(f.rb), 0 },
			   { BUF_GPA, cases[i].kept, (uint16_t)(cases[i].truncated ? SNAP | VMT_MEM_TRUNCATED : 0) },
			   { AVAIL(f.rb), 0 });
		CHECK_EQ_U(snap_stats(&f).truncated, cases[i].truncated);
		fx_close(&f);

		/* Written by the device: capped the same way, whatever the used length. */
		if (!hostile(&f, QN))
			return;
		CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, cases[i].len, WR, 0), 0);
		avail_one(&f, 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		put_used(&f, &f.rb, 0, 0, 0xffffffffu);
		set_used_idx(&f, &f.rb, 1);
		CHECK_EQ_U(irq_read(&f), 0);
		EXPECT_SEQ(&f, { BUF_GPA, cases[i].kept, (uint16_t)(cases[i].truncated ? SNAP | VMT_MEM_TRUNCATED : 0) },
			   { USED(f.rb), 0 });
		fx_close(&f);
	}
}

/* Sum of MEM bytes, and whether the ring at ring_addr comes last. */
static void check_budget(int line, struct fx *f, uint64_t ring_addr)
{
	uint64_t sum = evlog_mem_bytes(&f->log);

	if (sum > RING_SNAP_TRIGGER_MAX) {
		fprintf(stderr, "%s:%d: [%s] %llu bytes in one trigger\n", __FILE__, line, harness_case,
			(unsigned long long)sum);
		harness_failures++;
	}
	if (!f->log.n || f->log.ev[f->log.n - 1].addr != ring_addr) {
		fprintf(stderr, "%s:%d: [%s] the ring is not the last event\n", __FILE__, line, harness_case);
		harness_failures++;
	}
	check_all_mem(line, f);
}

static void test_trigger_budget(void)
{
	struct fx f;
	const uint32_t num = 256;

	/* num chains of one 4 GiB buffer each: far beyond the budget. */
	if (!hostile(&f, num))
		return;
	for (uint32_t i = 0; i < num; i++) {
		CHECK_EQ_U(rb_set_desc(&f.rb, i, BUF_GPA + 0x1000u * (i % 16), 0xffffffffu, 0, 0), 0);
		rb_avail_put_raw(&f.rb, i, (uint16_t)i);
	}
	rb_avail_set_idx(&f.rb, (uint16_t)num);
	CHECK_EQ_U(notify(&f, 0), 0);
	check_budget(__LINE__, &f, f.rb.avail);
	/* The budget was used up, not just approached. */
	CHECK_EQ_U(evlog_mem_bytes(&f.log), RING_SNAP_TRIGGER_MAX);
	CHECK_EQ_U(snap_stats(&f).bytes, RING_SNAP_TRIGGER_MAX);
	CHECK(snap_stats(&f).truncated >= num);
	/* Every buffer event is truncated; the last one was cut by the budget. */
	size_t buffers = 0;
	for (size_t i = 0; i < f.log.n; i++)
		if (f.log.ev[i].addr >= BUF_GPA) {
			buffers++;
			CHECK(f.log.ev[i].flags & VMT_MEM_TRUNCATED);
		}
	CHECK(buffers > 1 && buffers < num);
	/* The next trigger has a fresh budget. */
	CHECK_EQ_U(rb_set_desc(&f.rb, 0, BUF_GPA, 10, 0, 0), 0);
	rb_avail_put_raw(&f.rb, num, 0);
	rb_avail_set_idx(&f.rb, (uint16_t)(num + 1));
	CHECK_EQ_U(notify(&f, 0), 0);
	EXPECT_SEQ(&f, { DESC(f.rb), 0 }, { BUF_GPA, 10, 0 }, { AVAIL(f.rb), 0 });
	fx_close(&f);

	/* An indirect chain whose table the budget did not reach at notify
	 * time: its writable buffers are unknown then, not absent, so the
	 * used snapshot still fetches them. */
	if (!hostile(&f, num))
		return;
	for (uint32_t i = 0; i < 100; i++) {
		CHECK_EQ_U(rb_set_desc(&f.rb, i, BUF_GPA, 0xffffffffu, 0, 0), 0);
		avail_one(&f, (uint16_t)i);
	}
	put_desc(&f, TABLE_GPA, BUF_GPA + 0x10000, 64, WR, 0);
	CHECK_EQ_U(rb_set_desc(&f.rb, 100, TABLE_GPA, 16, IND, 0), 0);
	avail_one(&f, 100);
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(count_at(&f, TABLE_GPA), 0); /* out of budget */
	check_budget(__LINE__, &f, f.rb.avail);
	put_used(&f, &f.rb, 0, 100, 64);
	set_used_idx(&f, &f.rb, 1);
	CHECK_EQ_U(irq_read(&f), 0);
	EXPECT_SEQ(&f, { TABLE_GPA, 16, 0 }, { BUF_GPA + 0x10000, 64, 0 }, { USED(f.rb), 0 });
	fx_close(&f);

	/* The used side, over two queues sharing one InterruptStatus read. */
	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (modern(&f, &f.rb, 0, num, RING_GPA) && modern(&f, &f.rb2, 1, num, RING2_GPA)) {
		struct ring_builder *rbs[2] = { &f.rb, &f.rb2 };
		for (int q = 0; q < 2; q++) {
			for (uint32_t i = 0; i < num; i++) {
				CHECK_EQ_U(rb_set_desc(rbs[q], i, BUF_GPA + 0x1000u * (i % 16), 0xffffffffu, WR, 0), 0);
				put_used(&f, rbs[q], (uint16_t)i, i, 0xffffffffu);
			}
			set_used_idx(&f, rbs[q], (uint16_t)num);
		}
		CHECK_EQ_U(irq_read(&f), 0);
		CHECK(evlog_mem_bytes(&f.log) <= RING_SNAP_TRIGGER_MAX);
		CHECK_ALL_MEM(&f);
		/* Queue 0's used ring was read first, so it is emitted; queue 1
		 * gets nothing this time... */
		CHECK_EQ_U(count_at(&f, f.rb.used), 1);
		CHECK_EQ_U(count_at(&f, f.rb2.used), 0);
		/* ... and its turn comes at the next read. */
		CHECK_EQ_U(irq_read(&f), 0);
		check_budget(__LINE__, &f, f.rb2.used);
		CHECK_EQ_U(count_at(&f, f.rb2.used), 1);
	}
	fx_close(&f);
}

static void test_emit_errors(void)
{
	struct fx f;
	const struct rb_seg seg[] = { { BUF_GPA, 16, false }, { BUF_GPA + 0x100, 16, true } };

	/* Fail at each event of a notify, then of an InterruptStatus read. */
	for (size_t at = 1; at <= 3; at++) {
		if (!hostile(&f, QN))
			return;
		CHECK(rb_submit(&f.rb, seg, 2) == 0);
		f.log.fail_at = at;
		f.log.fail_rc = -ENOSPC;
		CHECK_EQ_U(notify(&f, 0), (uint64_t)-ENOSPC);
		CHECK_EQ_U(f.log.calls, at); /* stopped there */
		CHECK_EQ_U(f.log.n, at - 1);
		fx_close(&f);
	}
	for (size_t at = 1; at <= 2; at++) {
		if (!hostile(&f, QN))
			return;
		CHECK(rb_submit(&f.rb, seg, 2) == 0);
		CHECK_EQ_U(notify(&f, 0), 0);
		put_used(&f, &f.rb, 0, 0, 16);
		set_used_idx(&f, &f.rb, 1);
		f.log.fail_at = at;
		f.log.fail_rc = -EIO;
		CHECK_EQ_U(irq_read(&f), (uint64_t)-EIO);
		CHECK_EQ_U(f.log.calls, at);
		fx_close(&f);
	}
	/* Events larger than one record fail in the middle of a split too. */
	if (!fx_open(&f))
		return;
	boot_modern(&f);
	if (modern(&f, &f.rb, 0, VIRTQ_SIZE_MAX, BIG_RING_GPA)) {
		avail_one(&f, 0);
		f.log.fail_at = 3;
		f.log.fail_rc = -EIO;
		CHECK_EQ_U(notify(&f, 0), (uint64_t)-EIO);
		CHECK_EQ_U(f.log.calls, 3);
	}
	fx_close(&f);
}

static void test_free(void)
{
	struct guest_ram ram;
	struct ring_snap *s = NULL;
	uint8_t mem[64] = { 0 };

	ring_snap_free(NULL);
	guest_ram_wrap(&ram, mem, sizeof(mem), sizeof(mem));
	CHECK_EQ_U(ring_snap_new(&s, &ram, evlog_emit, NULL), 0);
	/* Device state allocated, then freed with the snapshotter (ASan). */
	CHECK_EQ_U(ring_snap_access(s, BASE, MMIO_QUEUE_SEL, true, 4, 0, 0), 0);
	ring_snap_free(s);
}

/* ring_snap_queue: the copy a QueueNotify of that queue takes, asked for
 * by a pop; nothing for a device or queue not followed. */
static void test_copy_at_pop(void)
{
	struct fx f;
	struct ring_snap_stats st;

	if (!fx_open(&f))
		return;
	/* No device yet: nothing, and no device starts being followed. */
	CHECK_EQ_U(ring_snap_queue(f.s, BASE, 0, TS), 0);
	CHECK_EQ_U(f.log.n, 0);
	ring_snap_get_stats(f.s, &st);
	CHECK_EQ_U(st.triggers, 0);
	boot_modern(&f);
	if (!modern(&f, &f.rb, 0, QN, RING_GPA)) {
		fx_close(&f);
		return;
	}
	struct rb_seg seg = { BUF_GPA, 32, false };
	CHECK(rb_submit(&f.rb, &seg, 1) == 0);
	evlog_clear(&f.log);
	CHECK_EQ_U(ring_snap_queue(f.s, BASE, 0, TS + 1), 0);
	/* desc table, the buffer, the avail ring: as a notify would */
	CHECK_EQ_U(f.log.n, 3);
	if (f.log.n == 3) {
		CHECK_EQ_U(f.log.ev[0].addr, f.rb.desc);
		CHECK_EQ_U(f.log.ev[1].addr, BUF_GPA);
		CHECK_EQ_U(f.log.ev[2].addr, f.rb.avail);
		CHECK_EQ_U(f.log.ev[2].ts_ns, TS + 1);
		CHECK_EQ_U(f.log.ev[2].flags, SNAP);
	}
	/* The notify after it finds nothing new. */
	CHECK_EQ_U(notify(&f, 0), 0);
	CHECK_EQ_U(f.log.n, 0);
	/* Another base, a queue past RING_SNAP_QUEUES_MAX, a queue not set up. */
	CHECK(rb_submit(&f.rb, &seg, 1) >= 0);
	evlog_clear(&f.log);
	CHECK_EQ_U(ring_snap_queue(f.s, BASE + 0x200, 0, TS), 0);
	CHECK_EQ_U(ring_snap_queue(f.s, BASE, RING_SNAP_QUEUES_MAX, TS), 0);
	CHECK_EQ_U(ring_snap_queue(f.s, BASE, UINT32_MAX, TS), 0);
	CHECK_EQ_U(ring_snap_queue(f.s, BASE, 1, TS), 0);
	CHECK_EQ_U(f.log.n, 0);
	ring_snap_get_stats(f.s, &st);
	CHECK_EQ_U(st.triggers, 3); /* the first copy, the notify, queue 1 */
	/* An emit error is passed back. */
	f.log.fail_at = 1;
	f.log.fail_rc = -EIO;
	CHECK_EQ_U(ring_snap_queue(f.s, BASE, 0, TS), (uint64_t)-EIO);
	fx_close(&f);
}

/* --- packed rings --- */

/* A packed descriptor in guest RAM at slot of the ring at RING_GPA. */
static void pk_put(struct fx *f, uint32_t slot, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	struct vring_desc d = { .addr = addr, .len = len, .next = id, .flags = flags };
	packed_ring_desc_encode(f->gm.ram + RING_GPA + 16u * slot, &d);
}

static bool has_mem(const struct fx *f, uint64_t gpa, uint32_t len)
{
	for (size_t i = 0; i < f->log.n; i++)
		if (f->log.ev[i].type == VMT_EV_MEM && f->log.ev[i].addr == gpa && f->log.ev[i].len == len)
			return true;
	return false;
}

/* VIRTIO_F_RING_PACKED accepted: QueueNotify copies the readable buffers
 * of new chains, then the descriptor ring (16 * num) and the two 4-byte
 * event areas; an InterruptStatus read copies what the device wrote, from
 * where the chain with that id pointed when it was made available, even
 * when the driver reused the id in the same copy; nothing when neither
 * position moved. */
static void test_packed(void)
{
	struct fx f;
	const uint64_t drv_ev = RING_GPA + 0x400, dev_ev = RING_GPA + 0x800;

	if (!fx_open(&f))
		return;
	boot_modern(&f);
	wr(&f, MMIO_DRIVER_FEATURES_SEL, 1);
	wr(&f, MMIO_DRIVER_FEATURES, 1u | (1u << (VIRTIO_F_RING_PACKED - 32)));
	setup_modern_queue(&f, 0, QN, RING_GPA, drv_ev, dev_ev);
	pk_put(&f, 1, BUF_GPA + 0x1000, 64, 3, WR | packed_ring_avail_flags(true));
	pk_put(&f, 0, BUF_GPA, 16, 0, NX | packed_ring_avail_flags(true));
	CHECK_EQ_U(acc(&f, MMIO_QUEUE_NOTIFY, true, 0), 0);
	CHECK_EQ_U(f.log.n, 4);
	CHECK(has_mem(&f, BUF_GPA, 16));
	CHECK(!has_mem(&f, BUF_GPA + 0x1000, 64));
	CHECK(f.log.n == 4 && f.log.ev[1].addr == RING_GPA && f.log.ev[1].len == 16 * QN &&
	      f.log.ev[1].flags == SNAP);
	CHECK(has_mem(&f, drv_ev, 4) && has_mem(&f, dev_ev, 4));
	evlog_clear(&f.log);
	CHECK_EQ_U(acc(&f, MMIO_QUEUE_NOTIFY, true, 0), 0);
	CHECK_EQ_U(f.log.n, 0);

	/* The device uses id 3 (10 bytes) at slot 0. */
	pk_put(&f, 0, BUF_GPA, 10, 3, packed_ring_used_flags(true));
	CHECK_EQ_U(acc(&f, MMIO_INTERRUPT_STATUS, false, 1), 0);
	CHECK(has_mem(&f, BUF_GPA + 0x1000, 10));
	CHECK(has_mem(&f, RING_GPA, 16 * QN));
	evlog_clear(&f.log);

	/* A chain with id 3 at slot 2, seen; then in one copy its used
	 * descriptor and a new chain at slot 3 reusing id 3. */
	pk_put(&f, 2, BUF_GPA + 0x2000, 32, 3, WR | packed_ring_avail_flags(true));
	CHECK_EQ_U(acc(&f, MMIO_QUEUE_NOTIFY, true, 0), 0);
	evlog_clear(&f.log);
	pk_put(&f, 2, 0, 5, 3, packed_ring_used_flags(true));
	pk_put(&f, 3, BUF_GPA + 0x3000, 32, 3, WR | packed_ring_avail_flags(true));
	CHECK_EQ_U(acc(&f, MMIO_INTERRUPT_STATUS, false, 1), 0);
	CHECK(has_mem(&f, BUF_GPA + 0x2000, 5));
	CHECK(!has_mem(&f, BUF_GPA + 0x3000, 5));
	evlog_clear(&f.log);
	/* Its used descriptor then copies from the new chain's buffer. */
	pk_put(&f, 3, 0, 7, 3, packed_ring_used_flags(true));
	CHECK_EQ_U(acc(&f, MMIO_INTERRUPT_STATUS, false, 1), 0);
	CHECK(has_mem(&f, BUF_GPA + 0x3000, 7));

	/* A reset forgets the features: split again. */
	wr(&f, MMIO_STATUS, 0);
	fx_close(&f);
}

int main(void)
{
	RUN(test_modern);
	RUN(test_high_ram);
	RUN(test_ram_at_base);
	RUN(test_legacy);
	RUN(test_used_after_table_reuse);
	RUN(test_queues_and_devices);
	RUN(test_ignored_accesses);
	RUN(test_reset);
	RUN(test_b01_loops);
	RUN(test_b02_full_chain);
	RUN(test_b03_b04_indices);
	RUN(test_b05_idx_jump);
	RUN(test_b06_queue_sizes);
	RUN(test_b07_b09_indirect);
	RUN(test_b10_outside_ram);
	RUN(test_b11_buffer_cap);
	RUN(test_trigger_budget);
	RUN(test_emit_errors);
	RUN(test_free);
	RUN(test_copy_at_pop);
	RUN(test_packed);
	return harness_finish("test_ring_snap");
}
