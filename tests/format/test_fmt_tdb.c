/* The formatter's state filled from a trace.db at a seq (format/tdb):
 * selectors and rings as they stood just before it, on the emulator
 * samples (modern and legacy) and a packed trace.  argv[1] is the samples
 * folder, argv[2] tests/golden/in (its emu-packed.db). */
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "format/event_fmt.h"
#include "format/tdb/fmt_tdb.h"
#include "tests/harness.h"
#include "tracedb/tdb_open.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

static const char *samples, *golden_in;

static struct tdb *open_in(const char *dir, const char *name)
{
	char path[1024], err[512];
	struct tdb *t = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tdb_open(&t, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return t;
}

static struct tdb *open_sample(const char *name)
{
	return open_in(samples, name);
}

/* emu-modern.db, blk at 0x10000000: DriverFeaturesSel 1 at seq 15,
 * DriverFeatures 1 at 16; queue 0 of 64 entries at 0x40000000 /
 * 0x40000400 / 0x40000488 from seq 25-32; QueueNotify at 90. */
static void test_modern(void)
{
	struct tdb *t = open_sample("emu-modern.db");
	struct fmt_ctx *c = NULL;
	struct fmt_device *d;
	struct fmt_areas a;
	char out[256];

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(fmt_ctx_new(&c) == 0);
	CHECK(fmt_tdb_fill(c, t, 16) == 0);
	d = fmt_ctx_find(c, 0x10000000);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ_U(d->version, 2);
		CHECK_EQ_U(d->device_id, VIRTIO_ID_BLOCK);
		CHECK_EQ_U(d->drv_features_sel, 1);
		CHECK_EQ_U(d->unknown, 0);
		CHECK_STR(d->name, "virtio-blk@0x10000000");
		struct vmt_event e = { .type = VMT_EV_MMIO, .dir = VMT_DIR_WRITE, .width = 4, .base = 0x10000000,
				       .addr = MMIO_DRIVER_FEATURES, .value = 1 };
		fmt_event(c, &e, NULL, out, sizeof(out), NULL);
		CHECK(strstr(out, "word 1: VERSION_1") != NULL);
		CHECK(!fmt_queue_areas(d, 0, &a)); /* not set up yet */
	}
	/* Before seq 0: the reset state. */
	CHECK(fmt_tdb_fill(c, t, 0) == 0);
	d = fmt_ctx_find(c, 0x10000000);
	CHECK(d && d->drv_features_sel == 0);
	/* At the first notify the rings are placed. */
	CHECK(fmt_tdb_fill(c, t, 90) == 0);
	d = fmt_ctx_find(c, 0x10000000);
	CHECK(d && fmt_queue_areas(d, 0, &a));
	if (d) {
		CHECK_EQ_U(a.num, 64);
		CHECK_EQ_U(a.desc, 0x40000000);
		CHECK_EQ_U(a.avail, 0x40000400);
		CHECK_EQ_U(a.used, 0x40000488);
	}
	uint8_t two[2] = { 1, 0 };
	struct vmt_event m = { .type = VMT_EV_MEM, .flags = VMT_MEM_DRIVER_WRITE, .addr = 0x40000402, .len = 2,
			       .data = two };
	fmt_event(c, &m, NULL, out, sizeof(out), NULL);
	CHECK_STR(out, "mem 0x40000402 len 2 driver: q0 avail.idx 1");
	/* No such device. */
	CHECK(fmt_tdb_fill_device(c, t, 200, 5) == TDB_E_NOT_FOUND);
	fmt_ctx_free(c);
	tdb_close(t);
}

/* emu-legacy.db: QueuePFN 0x40000 (page 4096, align 4096) at seq 25. */
static void test_legacy(void)
{
	struct tdb *t = open_sample("emu-legacy.db");
	struct fmt_ctx *c = NULL;
	struct fmt_device *d;
	struct fmt_areas a;

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(fmt_ctx_new(&c) == 0);
	CHECK(fmt_tdb_fill(c, t, 40) == 0);
	d = fmt_ctx_find(c, 0x10000000);
	CHECK(d && d->version == 1);
	CHECK(d && fmt_queue_areas(d, 0, &a));
	if (d) {
		CHECK_EQ_U(a.desc, 0x40000000);
		CHECK_EQ_U(a.avail, 0x40000400);
		CHECK_EQ_U(a.used, 0x40001000);
	}
	fmt_ctx_free(c);
	tdb_close(t);
}

/* Request buffers (emu-modern.db): request 1 (blk out, an indirect chain
 * of header, data, status) is prepared at seqs 41-44 and completed at 92. */
static void test_request_buffers(void)
{
	struct tdb *t = open_sample("emu-modern.db");
	struct fmt_tdb_bufs *b = NULL;
	char note[160];
	int dev = 7;

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(fmt_tdb_bufs_load(&b, t, 0, 0) == 0);
	struct vmt_event e = { .type = VMT_EV_MEM, .seq = 42, .addr = 0x40004690, .len = 16 };
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), &dev), "request 1 blk out: buffer 1 of 3");
	CHECK_EQ_U(dev, 0);
	e = (struct vmt_event){ .type = VMT_EV_MEM, .seq = 41, .addr = 0x40004800, .len = 16384 };
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), NULL),
		  "request 1 blk out: buffer 2 of 3 and 15360 bytes past it");
	e = (struct vmt_event){ .type = VMT_EV_MEM, .seq = 44, .addr = 0x40000690, .len = 48 };
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), NULL), "request 1 blk out: indirect table");
	/* The device's status byte, while the chain is in flight. */
	e = (struct vmt_event){ .type = VMT_EV_MEM, .seq = 92, .addr = 0x40004710, .len = 1 };
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), NULL), "request 1 blk out: buffer 3 of 3");
	/* Inside a buffer, and nowhere. */
	e = (struct vmt_event){ .type = VMT_EV_MEM, .seq = 42, .addr = 0x40004698, .len = 4 };
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), NULL), "request 1 blk out: buffer 1 of 3 +0x8");
	e = (struct vmt_event){ .type = VMT_EV_MEM, .seq = 42, .addr = UINT64_MAX - 1, .len = 16 };
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), &dev), "");
	CHECK_EQ_U(dev, (uint64_t)-1);
	/* A small buffer: cut, NUL-terminated. */
	e = (struct vmt_event){ .type = VMT_EV_MEM, .seq = 42, .addr = 0x40004690, .len = 16 };
	CHECK_EQ_U(strlen(fmt_tdb_bufs_note(b, &e, note, 8, NULL)), 7);
	fmt_tdb_bufs_free(b);
	/* Only requests made available far later (and none in flight at
	 * 100000: request 1 ended at 92): nothing to name at seq 42. */
	b = NULL;
	CHECK(fmt_tdb_bufs_load(&b, t, 100000, 200000) == 0);
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), NULL), "");
	fmt_tdb_bufs_free(b);
	/* A part of the trace after request 1 was made available (41) and
	 * before it was used (92): still named, as in flight at its start. */
	b = NULL;
	CHECK(fmt_tdb_bufs_load(&b, t, 60, 61) == 0);
	e = (struct vmt_event){ .type = VMT_EV_MEM, .seq = 92, .addr = 0x40004710, .len = 1 };
	CHECK_STR(fmt_tdb_bufs_note(b, &e, note, sizeof(note), NULL), "request 1 blk out: buffer 3 of 3");
	fmt_tdb_bufs_free(b);
	fmt_tdb_bufs_free(NULL);
	tdb_close(t);
}

/* tests/golden/in/emu-packed.db (the emulator's blk and rng on packed
 * rings of 4): blk's driver accepts RING_PACKED at seq 16 and sets queue 0
 * up at 0x40000000 / 0x40000040 / 0x40000044 (seqs 25-32); at seq 45 it
 * writes descriptor 0, at 46 its event suppression area. */
static void test_packed(void)
{
	struct tdb *t = golden_in ? open_in(golden_in, "emu-packed.db") : NULL;
	struct fmt_ctx *c = NULL;
	struct fmt_device *d;
	struct fmt_areas a;
	char buf[256];

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(fmt_ctx_new(&c) == 0);
	/* Before the driver wrote its features: split, as the reset state. */
	CHECK(fmt_tdb_fill(c, t, 16) == 0);
	d = fmt_ctx_find(c, 0x10000000);
	CHECK(d && !fmt_device_packed(d));
	/* Once written: packed, the areas sized so. */
	CHECK(fmt_tdb_fill(c, t, 45) == 0);
	d = fmt_ctx_find(c, 0x10000000);
	CHECK(d && fmt_device_packed(d));
	CHECK(d && fmt_queue_areas(d, 0, &a));
	if (d) {
		CHECK(a.packed);
		CHECK_EQ_U(a.desc_size, 64);
		CHECK_EQ_U(a.avail, 0x40000040);
		CHECK_EQ_U(a.avail_size, 4);
		CHECK_EQ_U(a.used, 0x40000044);
		CHECK_EQ_U(a.used_size, 4);
	}
	uint8_t ev_bytes[4] = { 0x00, 0x80, 0x02, 0x00 };
	struct vmt_event e = { .type = VMT_EV_MEM, .flags = VMT_MEM_DRIVER_WRITE, .seq = 46, .addr = 0x40000040,
			       .len = 4, .data = ev_bytes };
	fmt_event(c, &e, NULL, buf, sizeof(buf), NULL);
	CHECK_STR(buf, "mem 0x40000040 len 4 driver: q0 driver event off_wrap=0x8000 (off 0 wrap 1) flags=DESC");
	fmt_ctx_free(c);
	tdb_close(t);
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3)
		SKIP("usage: test_fmt_tdb SAMPLES_DIR [GOLDEN_IN_DIR]");
	samples = argv[1];
	golden_in = argc == 3 ? argv[2] : NULL;
	RUN(test_modern);
	RUN(test_legacy);
	RUN(test_request_buffers);
	if (golden_in)
		RUN(test_packed);
	return harness_finish("test_fmt_tdb");
}
