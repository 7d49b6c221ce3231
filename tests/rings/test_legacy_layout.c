/* The legacy ring layout is computed once (split_ring_legacy_layout), and
 * its three callers give what they gave before it existed.  Each caller is
 * driven through its own interface over a grid of hostile register values
 * (QueuePFN up to 2^32 - 1, GuestPageSize 0, not a power of two and up to
 * 2^32 - 1, QueueNum 0, past VIRTQ_SIZE_MAX and up to 2^32 - 1, QueueAlign
 * 0, 1, not a power of two and up to 2^32 - 1) and compared with the sums
 * each did by hand until then, written out here as they were:
 *   - the register checker (virtio/mmio_checker.c): the areas it checks;
 *   - the decoder (decoder/dec_mmio.c): the queues row's addresses;
 *   - the emulator (capture/emu/mmio_legacy.c): the queue refused (and
 *     NEEDS_RESET) or placed, at the same addresses.
 * The helper itself: wrap-around is caught (areas past 2^64), the bounds
 * of num and align at N and N + 1. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/guest_mem.h"
#include "capture/emu/virtqueue.h"
#include "capture/event.h"
#include "capture/rawtrace.h"
#include "decoder/db.h"
#include "decoder/decoder.h"
#include "virtio/mmio_checker.h"
#include "virtio/mmio_regs.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"
#include "tests/harness.h"

#define DEV_BASE UINT64_C(0x10000000)
#define RAM_BASE UINT64_C(0)
#define RAM_SIZE UINT64_C(0x100000)

static const uint32_t pfns[] = { 1, 0x40, 0x12345, 0xfffff, 0xffffffffu };
static const uint32_t pages[] = { 0, 1, 3000, 4096, 0x10000, 0x80000000u, 0xffffffffu };
static const uint32_t nums[] = { 0, 1, 3, 8, 256, VIRTQ_SIZE_MAX, VIRTQ_SIZE_MAX + 1, 0x80000000u, 0xffffffffu };
static const uint32_t aligns[] = { 0, 1, 2, 3, 4096, 4097, 0x80000000u, 0xffffffffu };
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct layout {
	uint64_t desc, avail, used;
	bool refused; /* the emulator only */
};

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* The sums as the checker and the decoder did them (the same there: an
 * align that is not a power of two, 0 included, taken as 4096). */
static struct layout old_checker_decoder(uint32_t pfn, uint32_t page, uint32_t num, uint32_t align_reg)
{
	uint64_t align = pow2(align_reg) ? align_reg : 4096;
	struct layout l = { .desc = (uint64_t)pfn * page };

	l.avail = l.desc + 16ull * num;
	l.used = (l.avail + 6ull + 2ull * num + align - 1) & ~(align - 1);
	return l;
}

/* As the emulator did: align 0 is 4096; a page size or align that is not a
 * power of two, or a size out of 1..VIRTQ_SIZE_MAX, is refused. */
static struct layout old_emu(uint32_t pfn, uint32_t page, uint32_t num, uint32_t align_reg)
{
	uint64_t align = align_reg ? align_reg : 4096;
	struct layout l = { 0 };

	if (!pow2(page) || !pow2(align) || num == 0 || num > VIRTQ_SIZE_MAX) {
		l.refused = true;
		return l;
	}
	l.desc = (uint64_t)pfn * page;
	l.avail = l.desc + 16ull * num;
	l.used = (l.avail + 6ull + 2ull * num + align - 1) & ~(align - 1);
	return l;
}

/* --- the helper --- */

static void test_helper(void)
{
	uint64_t avail, used;

	/* Ordinary, and values as before for every caller's inputs. */
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, 8, 4096, &avail, &used), 0);
	CHECK_EQ_U(avail, 0x1080);
	CHECK_EQ_U(used, 0x2000);
	/* num at 1, VIRTQ_SIZE_MAX, and past them. */
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, 1, 4096, &avail, &used), 0);
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, VIRTQ_SIZE_MAX, 4096, &avail, &used), 0);
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, 0, 4096, &avail, &used), SPLIT_RING_LAYOUT_UNUSABLE);
	CHECK_EQ_U(avail, 0x1000);
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, VIRTQ_SIZE_MAX + 1, 4096, &avail, &used),
		   SPLIT_RING_LAYOUT_UNUSABLE);
	CHECK_EQ_U(avail, 0x1000 + 16ull * (VIRTQ_SIZE_MAX + 1)); /* still filled */
	/* align: 1 and 2^63 are powers of two; 0 and 3 are not. */
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, 8, 1, &avail, &used), 0);
	CHECK_EQ_U(used, 0x1080 + 6 + 16);
	CHECK_EQ_U(split_ring_legacy_layout(0, 8, UINT64_C(1) << 63, &avail, &used), 0);
	CHECK_EQ_U(used, UINT64_C(1) << 63);
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, 8, 0, &avail, &used), SPLIT_RING_LAYOUT_UNUSABLE);
	CHECK_EQ_U(split_ring_legacy_layout(0x1000, 8, 3, &avail, &used), SPLIT_RING_LAYOUT_UNUSABLE);

	/* Wrapping: the largest desc 32-bit registers give, with the largest
	 * size and align, fits (the header's claim)... */
	uint64_t top = (uint64_t)UINT32_MAX * UINT32_MAX;
	CHECK_EQ_U(split_ring_legacy_layout(top, VIRTQ_SIZE_MAX, UINT64_C(1) << 31, &avail, &used), 0);
	CHECK(used > avail && avail > top);
	/* ...a size past the bound from the same registers wraps (refused
	 * twice over, and the values kept modulo 2^64)... */
	CHECK_EQ_U(split_ring_legacy_layout(top, UINT32_MAX, 4096, &avail, &used), SPLIT_RING_LAYOUT_UNUSABLE);
	CHECK_EQ_U(avail, top + 16ull * UINT32_MAX);
	CHECK(avail < top);
	/* ...and each area's wrap is caught with a size in range. */
	CHECK_EQ_U(split_ring_legacy_layout(UINT64_MAX - 16 * 8 + 1, 8, 4096, &avail, &used),
		   SPLIT_RING_LAYOUT_UNUSABLE); /* avail ring at 2^64 */
	CHECK_EQ_U(split_ring_legacy_layout(UINT64_MAX - 16 * 8 - 22 + 1, 8, 1, &avail, &used),
		   SPLIT_RING_LAYOUT_UNUSABLE); /* avail ring ends at 2^64: no room for the used ring */
	CHECK_EQ_U(split_ring_legacy_layout(UINT64_MAX - 250 + 1, 8, 4096, &avail, &used),
		   SPLIT_RING_LAYOUT_UNUSABLE); /* avail ring ends 100 bytes short of 2^64: rounding up wraps */
	CHECK_EQ_U(split_ring_legacy_layout(UINT64_MAX - 0x2000 + 1, 8, 4096, &avail, &used), 0);
	CHECK_EQ_U(used, UINT64_MAX - 0x1000 + 1); /* the last page holds the used ring */
	/* The used ring's last byte at UINT64_MAX is inside; one more is not. */
	uint64_t used_bytes = 6 + 8 * 8;
	uint64_t d = UINT64_MAX - used_bytes + 1 - (16 * 8 + 6 + 2 * 8);
	CHECK_EQ_U(split_ring_legacy_layout(d, 8, 2, &avail, &used), 0);
	CHECK_EQ_U(used + used_bytes - 1, UINT64_MAX);
	CHECK_EQ_U(split_ring_legacy_layout(d + 2, 8, 2, &avail, &used), SPLIT_RING_LAYOUT_UNUSABLE);
}

/* --- the register checker --- */

static void on_report(void *ctx, enum rule_id rule, const char *msg)
{
	(void)ctx;
	(void)rule;
	(void)msg;
}

static void test_checker(void)
{
	struct mmio_checker c;

	mmio_checker_init(&c, 1, on_report, NULL);
	for (size_t a = 0; a < N(pfns); a++)
		for (size_t b = 0; b < N(pages); b++)
			for (size_t n = 0; n < N(nums); n++)
				for (size_t g = 0; g < N(aligns); g++) {
					mmio_checker_access(&c, MMIO_QUEUE_PFN, 4, true, 0);
					mmio_checker_access(&c, MMIO_GUEST_PAGE_SIZE, 4, true, pages[b]);
					mmio_checker_access(&c, MMIO_QUEUE_SEL, 4, true, 0);
					mmio_checker_access(&c, MMIO_QUEUE_NUM, 4, true, nums[n]);
					mmio_checker_access(&c, MMIO_QUEUE_ALIGN, 4, true, aligns[g]);
					mmio_checker_access(&c, MMIO_QUEUE_PFN, 4, true, pfns[a]);
					struct layout w = old_checker_decoder(pfns[a], pages[b], nums[n], aligns[g]);
					CHECK_EQ_U(c.q[0].desc, w.desc);
					CHECK_EQ_U(c.q[0].driver, w.avail);
					CHECK_EQ_U(c.q[0].device, w.used);
				}
}

/* --- the decoder --- */

static void feed(struct decoder *dec, uint64_t *seq, bool write, uint32_t off, uint32_t v)
{
	struct vmt_event ev = { .type = VMT_EV_MMIO, .dir = write ? VMT_DIR_WRITE : VMT_DIR_READ, .width = 4,
				.base = DEV_BASE, .addr = off, .value = v, .source = VMT_SRC_EMU };

	ev.seq = (*seq)++;
	ev.ts_ns = ev.seq * 100;
	if (decoder_feed(dec, &ev) != 0) {
		fprintf(stderr, "[%s] decoder_feed: %s\n", harness_case, decoder_error(dec));
		harness_failures++;
	}
}

static void test_decoder(void)
{
	struct decoder_opts opts = { .store_memory = false };
	struct rawtrace_meta meta;
	struct decoder *dec = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char err[256];
	uint64_t seq = 0;

	memset(&meta, 0, sizeof(meta));
	meta.source = VMT_SRC_EMU;
	meta.ram_base = RAM_BASE;
	meta.ram_size = RAM_SIZE;
	if (trace_db_create(&db, ":memory:", err, sizeof(err)) != 0 ||
	    decoder_new(&dec, db, &meta, &opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "[%s] decoder: %s\n", harness_case, err);
		harness_failures++;
		goto cleanup;
	}
	feed(dec, &seq, false, MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
	feed(dec, &seq, false, MMIO_VERSION, 1);
	feed(dec, &seq, false, MMIO_DEVICE_ID, VIRTIO_ID_ENTROPY);
	feed(dec, &seq, true, MMIO_QUEUE_SEL, 0);
	for (size_t a = 0; a < N(pfns); a++)
		for (size_t b = 0; b < N(pages); b++)
			for (size_t n = 0; n < N(nums); n++)
				for (size_t g = 0; g < N(aligns); g++) {
					feed(dec, &seq, true, MMIO_QUEUE_PFN, 0);
					feed(dec, &seq, true, MMIO_GUEST_PAGE_SIZE, pages[b]);
					feed(dec, &seq, true, MMIO_QUEUE_NUM, nums[n]);
					feed(dec, &seq, true, MMIO_QUEUE_ALIGN, aligns[g]);
					feed(dec, &seq, true, MMIO_QUEUE_PFN, pfns[a]);
				}
	if (decoder_finish(dec, true, NULL) != 0) {
		fprintf(stderr, "[%s] decoder_finish: %s\n", harness_case, decoder_error(dec));
		harness_failures++;
		goto cleanup;
	}
	/* One generation per QueuePFN write, in order. */
	if (sqlite3_prepare_v2(db,
			       "SELECT desc_addr, driver_addr, device_addr FROM queues WHERE seq_ready IS NOT NULL "
			       "ORDER BY generation",
			       -1, &st, NULL) != SQLITE_OK) {
		CHECK(!"prepare");
		goto cleanup;
	}
	size_t rows = 0;
	for (size_t a = 0; a < N(pfns); a++)
		for (size_t b = 0; b < N(pages); b++)
			for (size_t n = 0; n < N(nums); n++)
				for (size_t g = 0; g < N(aligns); g++) {
					if (sqlite3_step(st) != SQLITE_ROW) {
						CHECK(!"a queues row per QueuePFN write");
						goto cleanup;
					}
					rows++;
					struct layout w = old_checker_decoder(pfns[a], pages[b], nums[n], aligns[g]);
					CHECK_EQ_U((uint64_t)sqlite3_column_int64(st, 0), w.desc);
					CHECK_EQ_U((uint64_t)sqlite3_column_int64(st, 1), w.avail);
					CHECK_EQ_U((uint64_t)sqlite3_column_int64(st, 2), w.used);
				}
	CHECK_EQ_U(rows, N(pfns) * N(pages) * N(nums) * N(aligns));
	CHECK(sqlite3_step(st) == SQLITE_DONE);
cleanup:
	sqlite3_finalize(st);
	decoder_free(dec);
	if (db)
		sqlite3_close(db);
}

/* --- the emulator --- */

static void test_emulator(void)
{
	struct guest_mem gm;
	struct emu_hooks hooks = { 0 };
	struct emu_device_cfg cfg;
	unsigned placed = 0, refused = 0;

	if (gmem_init(&gm, RAM_BASE, RAM_SIZE) < 0) {
		CHECK(!"gmem_init");
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.base = DEV_BASE;
	cfg.version = 1;
	cfg.model = &emu_model_rng;
	for (size_t a = 0; a < N(pfns); a++)
		for (size_t b = 0; b < N(pages); b++)
			for (size_t n = 0; n < N(nums); n++)
				for (size_t g = 0; g < N(aligns); g++) {
					struct emu_device *d = NULL;
					if (emu_device_new(&d, &cfg, &gm, &hooks) < 0) {
						CHECK(!"emu_device_new");
						goto cleanup;
					}
					emu_mmio_write(d, MMIO_GUEST_PAGE_SIZE, 4, pages[b]);
					emu_mmio_write(d, MMIO_QUEUE_SEL, 4, 0);
					emu_mmio_write(d, MMIO_QUEUE_NUM, 4, nums[n]);
					emu_mmio_write(d, MMIO_QUEUE_ALIGN, 4, aligns[g]);
					emu_mmio_write(d, MMIO_QUEUE_PFN, 4, pfns[a]);
					struct layout w = old_emu(pfns[a], pages[b], nums[n], aligns[g]);
					struct virtqueue *vq = emu_queue(d, 0);
					bool needs_reset = (emu_device_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
					if (w.refused) {
						CHECK(vq == NULL);
						CHECK(needs_reset);
						refused++;
					} else if (vq) {
						/* Placed (a ring outside RAM is the queue's own
						 * business, the same before and after). */
						CHECK_EQ_U(vq->desc, w.desc);
						CHECK_EQ_U(vq->avail, w.avail);
						CHECK_EQ_U(vq->used, w.used);
						placed++;
					}
					emu_device_free(d);
				}
	/* The grid reaches both outcomes. */
	CHECK(placed > 0);
	CHECK(refused > 0);
cleanup:
	gmem_release(&gm);
}

int main(void)
{
	RUN(test_helper);
	RUN(test_checker);
	RUN(test_decoder);
	RUN(test_emulator);
	return harness_finish("test_legacy_layout");
}
