/* Writes the seed corpus of every fuzz target: gen_seeds DIR fills
 * DIR/<target>/ (the committed seeds are tests/fuzz/corpus/; regenerate
 * them with `build/tests/fuzz/fuzz_gen_seeds tests/fuzz/corpus` after a
 * format change).  Seeds are small, valid inputs that reach deep into
 * each target; libFuzzer mutates from there. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "capture/rawtrace_format.h"
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"
#include "tests/fuzz/fuzz_record.h"
#include "tests/fuzz/ring_input.h"

static const char *out_dir;

static void put_file(const char *target, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "gen_seeds: unable to write '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	printf("%s (%zu bytes)\n", path, n);
}

/* Read a whole file into a malloc'ed buffer behind a one-byte prefix. */
static uint8_t *slurp(const char *path, uint8_t prefix, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long len;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "gen_seeds: unable to read '%s'\n", path);
		exit(1);
	}
	b = malloc((size_t)len + 1);
	if (!b || fread(b + 1, 1, (size_t)len, f) != (size_t)len)
		exit(1);
	fclose(f);
	b[0] = prefix;
	*n = (size_t)len + 1;
	return b;
}

/* --- rawtrace: [flags][raw trace] --- */

static void raw_recording(const char *name, uint8_t flags, const struct fuzz_recording *rec, bool cut_footer)
{
	char path[4096];
	uint8_t *b;
	size_t n;

	snprintf(path, sizeof(path), "%s/.gen-%d.vmt", out_dir, (int)getpid());
	if (fuzz_record(path, rec) != 0)
		exit(1);
	b = slurp(path, flags, &n);
	unlink(path);
	if (cut_footer)
		n -= FUZZ_RECORD_FOOTER_BYTES;
	put_file("rawtrace", name, b, n);
	free(b);
}

/* Every event type and field, written by the writer itself. */
static void raw_handmade(void)
{
	struct rawtrace_write_opts wo = { .block_size = RAWTRACE_BLOCK_MIN };
	struct rawtrace_writer *w;
	struct rawtrace_meta meta;
	struct vmt_device_desc d = { .base = 0x10000000, .size = 0x200, .device_id = 2, .version = 2,
				     .vendor_id = 0x554d4551, .name = "virtio-blk@0x10000000" };
	uint8_t enc[VMT_DEVICE_DESC_BYTES], mem[40];
	char path[4096];
	size_t n;

	memset(&meta, 0, sizeof(meta));
	meta.source = VMT_SRC_QEMU;
	meta.ram_base = 0x40000000;
	meta.ram_size = 0x100000;
	rawtrace_meta_set(&meta, "command", "qemu-system-x86_64 -M microvm");
	rawtrace_meta_set(&meta, "empty", "");
	rawtrace_meta_add_device(&meta, &d);
	snprintf(path, sizeof(path), "%s/.gen-%d.vmt", out_dir, (int)getpid());
	if (rawtrace_writer_open(&w, path, &meta, &wo) != 0)
		exit(1);
	vmt_device_desc_encode(&d, enc);
	for (unsigned i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 7);
	const struct vmt_event evs[] = {
		{ .type = VMT_EV_DEVICE, .ts_ns = 5, .source = VMT_SRC_QEMU, .base = d.base, .len = sizeof(enc), .data = enc },
		{ .type = VMT_EV_MMIO, .ts_ns = 10, .source = VMT_SRC_QEMU, .width = 4, .base = d.base, .addr = 0, .value = VIRTIO_MMIO_MAGIC },
		{ .type = VMT_EV_MMIO, .ts_ns = 20, .source = VMT_SRC_QEMU, .width = 4, .base = d.base, .addr = 4, .value = 2 },
		{ .type = VMT_EV_MMIO, .ts_ns = 30, .source = VMT_SRC_QEMU, .width = 4, .base = d.base, .addr = 8, .value = 2 },
		{ .type = VMT_EV_MMIO, .ts_ns = 40, .source = VMT_SRC_QEMU, .vcpu = 1, .dir = VMT_DIR_WRITE, .width = 4, .base = d.base, .addr = 0x70, .value = 1 },
		{ .type = VMT_EV_MEM, .ts_ns = 50, .source = VMT_SRC_QEMU, .flags = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT, .addr = 0x40001000, .len = sizeof(mem), .data = mem },
		{ .type = VMT_EV_MEM, .ts_ns = 55, .source = VMT_SRC_QEMU, .flags = VMT_MEM_DRIVER_WRITE, .addr = 0x40002000, .len = 16, .data = mem },
		{ .type = VMT_EV_IRQ, .ts_ns = 45, .source = VMT_SRC_QEMU, .width = 1, .base = d.base, .value = 1 },
		{ .type = VMT_EV_MARKER, .ts_ns = 60, .len = 5, .data = (const uint8_t *)"phase" },
		{ .type = VMT_EV_LOST, .ts_ns = 70, .value = 3 },
		{ .type = VMT_EV_VIOLATION, .ts_ns = 80, .base = d.base, .value = 1, .len = 4, .data = (const uint8_t *)"oops" },
		{ .type = VMT_EV_MMIO, .ts_ns = 90, .source = VMT_SRC_QEMU, .dir = VMT_DIR_WRITE, .width = 8, .base = d.base + 0x200, .addr = 0x50, .value = UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (rawtrace_writer_append(w, &evs[i], NULL) != 0)
			exit(1);
	/* Two blocks, then the footer. */
	rawtrace_writer_flush(w);
	rawtrace_writer_append(w, &evs[1], NULL);
	if (rawtrace_writer_close(w, 2, "target exited with status 1") != 0)
		exit(1);
	rawtrace_meta_clear(&meta);
	uint8_t *b = slurp(path, 0x03, &n);
	unlink(path);
	b[0] = 0x83; /* and vmtrace dump */
	put_file("rawtrace", "handmade", b, n);
	/* The file header and the metadata block alone. */
	b[0] = 0x43; /* reader only */
	put_file("rawtrace", "meta-only", b, 1 + RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE + le32_get(b + 1 + 32 + 4));
	free(b);
}

/* QEMU's queue reports (VMT_EV_QUEUE) among a blk device's accesses:
 * every step, then a ring copy before a pop, as a QEMU recording has them. */
static void raw_queue_reports(void)
{
	struct rawtrace_writer *w;
	struct rawtrace_meta meta;
	uint8_t rep[5][VMT_QUEUE_REPORT_BYTES], mem[16] = { 0 };
	char path[4096];
	size_t n;
	const uint64_t base = 0xfeb02e00u, elem = UINT64_C(0x7f3cc00e9800);
	const struct vmt_queue_report q[5] = {
		{ elem, 2, 1 }, { elem, 0, 8 }, { elem, 4097, 0 }, { 0, 1, 0 }, { elem + 0x40, 2048, 8 },
	};

	memset(&meta, 0, sizeof(meta));
	meta.source = VMT_SRC_QEMU;
	meta.ram_base = 0;
	meta.ram_size = 0x10000000;
	rawtrace_meta_set(&meta, "command", "qemu-system-x86_64 -M microvm");
	snprintf(path, sizeof(path), "%s/.gen-%d.vmt", out_dir, (int)getpid());
	if (rawtrace_writer_open(&w, path, &meta, NULL) != 0)
		exit(1);
	for (unsigned i = 0; i < 5; i++)
		vmt_queue_report_encode(&q[i], rep[i]);
	const struct vmt_event evs[] = {
		{ .type = VMT_EV_MMIO, .ts_ns = 10, .source = VMT_SRC_QEMU, .width = 4, .base = base, .addr = 0, .value = VIRTIO_MMIO_MAGIC },
		{ .type = VMT_EV_MMIO, .ts_ns = 20, .source = VMT_SRC_QEMU, .width = 4, .base = base, .addr = 4, .value = 1 },
		{ .type = VMT_EV_MMIO, .ts_ns = 30, .source = VMT_SRC_QEMU, .width = 4, .base = base, .addr = 8, .value = 2 },
		{ .type = VMT_EV_MMIO, .ts_ns = 40, .source = VMT_SRC_QEMU, .dir = VMT_DIR_WRITE, .width = 4, .base = base, .addr = 0x50, .value = 0 },
		{ .type = VMT_EV_MEM, .ts_ns = 45, .source = VMT_SRC_QEMU, .flags = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT, .addr = 0x1000, .len = sizeof(mem), .data = mem },
		{ .type = VMT_EV_QUEUE, .ts_ns = 46, .source = VMT_SRC_QEMU, .base = base, .value = VMT_QSTEP_POP, .len = VMT_QUEUE_REPORT_BYTES, .data = rep[0] },
		{ .type = VMT_EV_QUEUE, .ts_ns = 47, .source = VMT_SRC_QEMU, .base = base, .value = VMT_QSTEP_BLK_READ, .len = VMT_QUEUE_REPORT_BYTES, .data = rep[1] },
		{ .type = VMT_EV_QUEUE, .ts_ns = 50, .source = VMT_SRC_QEMU, .base = base, .value = VMT_QSTEP_FILL, .len = VMT_QUEUE_REPORT_BYTES, .data = rep[2] },
		{ .type = VMT_EV_QUEUE, .ts_ns = 51, .source = VMT_SRC_QEMU, .base = base, .value = VMT_QSTEP_FLUSH, .len = VMT_QUEUE_REPORT_BYTES, .data = rep[3] },
		{ .type = VMT_EV_QUEUE, .ts_ns = 60, .source = VMT_SRC_QEMU, .base = base, .addr = 1, .value = VMT_QSTEP_BLK_WRITE, .len = VMT_QUEUE_REPORT_BYTES, .data = rep[4] },
		{ .type = VMT_EV_MMIO, .ts_ns = 70, .source = VMT_SRC_QEMU, .width = 4, .base = base, .addr = 0x60, .value = 1 },
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (rawtrace_writer_append(w, &evs[i], NULL) != 0)
			exit(1);
	if (rawtrace_writer_close(w, 0, "normal") != 0)
		exit(1);
	rawtrace_meta_clear(&meta);
	uint8_t *b = slurp(path, 0x03, &n);
	unlink(path);
	b[0] = 0x83; /* and vmtrace dump */
	put_file("rawtrace", "queue-reports", b, n);
	free(b);
}

static void seeds_rawtrace(void)
{
	raw_recording("emu-blk", 0x03, &(struct fuzz_recording){ .devices = "blk",
		      .workload = "blk:sectors=1,requests=1;queue:size=4", .indirect = true, .event_idx = true,
		      .block_size = RAWTRACE_BLOCK_MIN }, false);
	raw_recording("emu-rng-legacy", 0x0f, &(struct fuzz_recording){ .devices = "rng", .legacy = true,
		      .workload = "rng:requests=1,bytes=8;queue:size=2" }, false);
	raw_recording("emu-console-net-cut", 0x31, &(struct fuzz_recording){ .devices = "console,net",
		      .workload = "console:lines=1;net:frames=1,batch=1;queue:size=2", .indirect = true,
		      .block_size = RAWTRACE_BLOCK_MIN }, true);
	raw_recording("emu-packed", 0x03, &(struct fuzz_recording){ .devices = "blk,rng",
		      .workload = "blk:sectors=1,requests=2;rng:requests=2,bytes=8;queue:size=3", .indirect = true,
		      .event_idx = true, .packed = true, .block_size = RAWTRACE_BLOCK_MIN }, false);
	raw_handmade();
	raw_queue_reports();
}

/* --- qemu: [mode][ram_len le16][ram][text or script] (tests/qemu_unit/fuzz_qemu.c) --- */

#define QS_RAM 0x1200u
#define QS_BASE "0xfeb02e00"

struct buf {
	uint8_t b[0x20000];
	size_t n;
};

static void buf_put(struct buf *o, const void *p, size_t n)
{
	if (n > sizeof(o->b) - o->n)
		exit(1);
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void buf_le(struct buf *o, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		buf_put(o, &b, 1);
	}
}

static void buf_line(struct buf *o, bool write, unsigned off, uint64_t value, unsigned size)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "memory_region_ops_%s cpu 0 mr 0x55d0c1e0 addr 0x%x value 0x%llx size %u name 'virtio-mmio'\n",
			 write ? "write" : "read", 0xfeb02e00u + off, (unsigned long long)value, size);
	buf_put(o, line, (size_t)n);
}

/* Guest RAM at 0: a one-descriptor chain at 0x1000 (16 bytes at 0x800,
 * device-writable), avail ring at 0x1080 with head 0, used ring at 0x1100
 * with that chain completed. */
static void qemu_ram(uint8_t *ram)
{
	memset(ram, 0, QS_RAM);
	le64_put(ram + 0x1000, 0x800);
	le32_put(ram + 0x1008, 16);
	le16_put(ram + 0x100c, VIRTQ_DESC_F_WRITE);
	le16_put(ram + 0x1082, 1);
	le16_put(ram + 0x1102, 1);
	le32_put(ram + 0x1108, 16);
	for (unsigned i = 0; i < 16; i++)
		ram[0x800 + i] = (uint8_t)(0xa0 + i);
}

static void qemu_head(struct buf *o, uint8_t mode)
{
	uint8_t ram[QS_RAM];

	o->n = 0;
	buf_put(o, &mode, 1);
	buf_le(o, QS_RAM, 2);
	qemu_ram(ram);
	buf_put(o, ram, sizeof(ram));
}

static void seeds_qemu(void)
{
	static struct buf o;

	/* A modern rng device: probe, set-up, one request through the ring. */
	qemu_head(&o, 1);
	buf_put(&o, "Servicing hardware INT=0x08\n", 28);
	buf_line(&o, false, 0x000, VIRTIO_MMIO_MAGIC, 4);
	buf_line(&o, false, 0x004, 2, 4);
	buf_line(&o, false, 0x008, VIRTIO_ID_ENTROPY, 4);
	buf_line(&o, true, 0x070, 0, 4);
	buf_line(&o, true, 0x070, 3, 4);
	buf_line(&o, true, 0x030, 0, 4);
	buf_line(&o, true, 0x038, 8, 4);
	buf_line(&o, true, 0x080, 0x1000, 4);
	buf_line(&o, true, 0x084, 0, 4);
	buf_line(&o, true, 0x090, 0x1080, 4);
	buf_line(&o, true, 0x094, 0, 4);
	buf_line(&o, true, 0x0a0, 0x1100, 4);
	buf_line(&o, true, 0x0a4, 0, 4);
	buf_line(&o, true, 0x044, 1, 4);
	buf_line(&o, true, 0x070, 0xf, 4);
	buf_line(&o, true, 0x050, 0, 4);
	buf_line(&o, false, 0x060, 0x10000000001ull, 4);
	buf_line(&o, true, 0x064, 1, 4);
	buf_put(&o, "42@1.000001:memory_region_ops_read cpu -1 mr (nil) addr 0xfeb02e70 value 0xf size 4 name 'virtio-mmio'\n", 103);
	buf_put(&o, "memory_region_ops_read cpu 0 mr 0x1 addr 0xcfc value 0x0 size 2 name 'pci-conf-data'\n", 86);
	buf_put(&o, "memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 3 name 'virtio-mmio'\n", 89);
	buf_put(&o, "memory_region_ops_read cpu 0 mr 0x55d0c1e0 addr 0xfeb02e00 val", 62); /* cut */
	put_file("qemu", "text-modern", o.b, o.n);

	/* The same device with QEMU's virtio reports: a notify that maps the
	 * pointers, then pop (a ring copy over the RAM), fill, flush, blk
	 * lines, and malformed ones. */
	qemu_head(&o, 1);
	buf_line(&o, false, 0x000, VIRTIO_MMIO_MAGIC, 4);
	buf_line(&o, false, 0x004, 2, 4);
	buf_line(&o, false, 0x008, VIRTIO_ID_BLOCK, 4);
	buf_line(&o, true, 0x030, 0, 4);
	buf_line(&o, true, 0x038, 8, 4);
	buf_line(&o, true, 0x080, 0x1000, 4);
	buf_line(&o, true, 0x090, 0x1080, 4);
	buf_line(&o, true, 0x0a0, 0x1100, 4);
	buf_line(&o, true, 0x044, 1, 4);
	{
		static const char text[] =
			"7@1.000001:memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 4 name 'virtio-mmio'\n"
			"7@1.000002:virtio_queue_notify vdev 0x55653683e800 n 0 vq 0x7f3d1de93010\n"
			"7@1.000003:virtqueue_pop vq 0x7f3d1de93010 elem 0x7f3cc00e9800 in_num 2 out_num 1\n"
			"7@1.000004:virtio_blk_handle_read vdev 0x55653683e800 req 0x7f3cc00e9800 sector 0 nsectors 8\n"
			"8@1.000005:virtqueue_fill vq 0x7f3d1de93010 elem 0x7f3cc00e9800 len 4097 idx 0\n"
			"8@1.000006:virtqueue_flush vq 0x7f3d1de93010 count 1\n"
			"7@1.000007:virtio_blk_handle_write vdev 0x55653683e800 req 0x7f3cc00e9840 sector 2048 nsectors 1\n"
			"7@1.000008:virtqueue_pop vq 0x7f3d1de93010 elem 0x7f3cc00e9800 in_num 2 out_num x\n"
			"virtqueue_flush vq (nil) count 1\n"
			"8@1.000009:virtqueue_fill vq 0x7f3d1de93010 elem 0x7f3cc00e9800 len 1 idx 0";
		buf_put(&o, text, sizeof(text) - 1);
	}
	put_file("qemu", "text-virtio", o.b, o.n);

	/* A legacy device: page size, PFN. */
	qemu_head(&o, 1);
	buf_line(&o, false, 0x000, VIRTIO_MMIO_MAGIC, 4);
	buf_line(&o, false, 0x004, 1, 4);
	buf_line(&o, false, 0x008, VIRTIO_ID_BLOCK, 4);
	buf_line(&o, true, 0x028, 4096, 4);
	buf_line(&o, true, 0x030, 0, 4);
	buf_line(&o, true, 0x038, 8, 4);
	buf_line(&o, true, 0x03c, 4096, 4);
	buf_line(&o, true, 0x040, 1, 4);
	buf_line(&o, true, 0x050, 0, 4);
	buf_line(&o, false, 0x060, 1, 4);
	buf_line(&o, true, 0x040, 0, 4);
	put_file("qemu", "text-legacy", o.b, o.n);

	/* Script mode: reg indexes into fuzz_qemu.c's regs[] (1 QueueSel,
	 * 2 QueueNum, 3 DescLow, 5 DriverLow, 7 DeviceLow, 9 QueueReady). */
	qemu_head(&o, 0);
	static const uint8_t script[] = {
		3, 0, 2,                    /* Version read: 2 */
		0, 1, 0, 0, 0, 0,           /* QueueSel 0 */
		0, 2, 8, 0, 0, 0,           /* QueueNum 8 */
		0, 3, 0x00, 0x10, 0, 0,     /* QueueDescLow 0x1000 */
		0, 5, 0x80, 0x10, 0, 0,     /* QueueDriverLow 0x1080 */
		0, 7, 0x00, 0x11, 0, 0,     /* QueueDeviceLow 0x1100 */
		0, 9, 1, 0, 0, 0,           /* QueueReady 1 */
		1, 0, 0,                    /* notify queue 0 */
		4, 0, 0x82, 0x10, 2, 2, 0,  /* poke avail idx = 2 */
		1, 0, 0,                    /* notify */
		2, 0,                       /* InterruptStatus read */
		6, 0, 4, 0x50, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, /* any access: QueueNotify write */
		5, 1,                       /* another device */
		3, 0, 1,                    /* legacy there */
	};
	buf_put(&o, script, sizeof(script));
	put_file("qemu", "script", o.b, o.n);
}

/* --- virtqueue and rings: ring_input.h --- */

static uint8_t rram[RI_RAM_SIZE];
static uint64_t r_base = RI_RAM_BASE; /* guest RAM of the next seed */

static void r_desc(uint32_t table, uint32_t i, uint32_t buf, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = rram + table + 16 * i;

	le64_put(d, r_base + buf);
	le32_put(d + 8, len);
	le16_put(d + 12, flags);
	le16_put(d + 14, next);
}

/* Make heads available in the ring at avail (offsets in RAM). */
static void r_avail(uint32_t avail, const uint16_t *heads, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		le16_put(rram + avail + 4 + 2 * i, heads[i]);
	le16_put(rram + avail + 2, (uint16_t)n);
}

/* Header + the RAM image up to image_len + ops. */
static void r_seed(const char *target, const char *name, uint8_t size_code, uint8_t flags, uint16_t desc,
		   uint16_t avail, uint16_t used, uint8_t align_code, uint16_t image_len, const uint8_t *ops, size_t n_ops)
{
	static struct buf o;

	o.n = 0;
	buf_le(&o, size_code, 1);
	buf_le(&o, flags, 1);
	buf_le(&o, desc, 2);
	buf_le(&o, avail, 2);
	buf_le(&o, used, 2);
	buf_le(&o, r_base == RI_RAM_HIGH ? 0x40 : 0, 1);
	buf_le(&o, align_code, 1);
	buf_le(&o, image_len, 2);
	if (o.n != RI_HEADER)
		exit(1);
	buf_put(&o, rram, image_len);
	buf_put(&o, ops, n_ops);
	put_file(target, name, o.b, o.n);
}

static void seeds_rings(void)
{
	static const uint16_t heads2[] = { 0, 2 };

	/* Modern, 8 entries, a direct chain (read then write) and an indirect
	 * one, INDIRECT_DESC and EVENT_IDX. */
	memset(rram, 0, sizeof(rram));
	r_desc(0x0, 0, 0x200, 16, VIRTQ_DESC_F_NEXT, 1);
	r_desc(0x0, 1, 0x210, 32, VIRTQ_DESC_F_WRITE, 0);
	r_desc(0x0, 2, 0x300, 32, VIRTQ_DESC_F_INDIRECT, 0);
	r_desc(0x300, 0, 0x240, 8, VIRTQ_DESC_F_NEXT, 1);
	r_desc(0x300, 1, 0x280, 64, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 16; i++)
		rram[0x200 + i] = (uint8_t)i;
	r_avail(0x80, heads2, 2);
	static const uint8_t ops_engine[] = {
		0,                       /* pop */
		3, 0, 0, 100, 0,         /* read [0, 100) */
		4, 4, 0, 100, 0,         /* write [4, 104) */
		1, 36, 0, 0, 0,          /* push, 36 written */
		2,                       /* interrupt? */
		0, 1, 60, 0, 0, 0, 2, 6, /* pop, push 60, interrupt?, pending */
		0,                       /* pop: nothing */
		5, 0x84, 0x00, 4, 2, 0, 3, 0, /* avail[2] = 2 ... */
		5, 0x82, 0x00, 2, 4, 0,  /* avail idx = 4 */
		0, 0, 0,                 /* pops: 2, then avail[3] = 0: chain 0 */
		7, 0,                    /* set up again, pop from the start */
	};
	r_seed("virtqueue", "engine-modern", 3, 0x03, 0x0, 0x80, 0x100, 0, 0x340, ops_engine, sizeof(ops_engine));
	/* The decoder's view of the same ring, then a used entry, an
	 * interrupt and its acknowledgement (ops of fuzz_rings.c). */
	static const uint8_t ops_rings[] = {
		2, 0, 0, 36, 0, 0, 0,    /* device: used (head 0, 36 bytes) */
		3, 1,                    /* interrupt raised */
		4, 1,                    /* InterruptStatus read: 1 */
		5, 1,                    /* InterruptACK 1 */
		0,                       /* notify */
		2, 2, 0, 64, 0, 0, 0,    /* used (head 2, 64 bytes) */
	};
	r_seed("rings", "blk-modern", 3, 0x03, 0x0, 0x80, 0x100, 0, 0x340, ops_rings, sizeof(ops_rings));

	/* The same at the top of the address space, with a third chain whose
	 * buffer wraps around it. */
	r_base = RI_RAM_HIGH;
	r_desc(0x0, 0, 0x200, 16, VIRTQ_DESC_F_NEXT, 1);
	r_desc(0x0, 1, 0x210, 32, VIRTQ_DESC_F_WRITE, 0);
	r_desc(0x0, 2, 0x300, 32, VIRTQ_DESC_F_INDIRECT, 0);
	r_desc(0x300, 0, 0x240, 8, VIRTQ_DESC_F_NEXT, 1);
	r_desc(0x300, 1, 0x280, 64, VIRTQ_DESC_F_WRITE, 0);
	r_desc(0x0, 3, 0x1ff00, 0x200, VIRTQ_DESC_F_WRITE, 0);
	static const uint16_t heads3[] = { 0, 2, 3 };
	r_avail(0x80, heads3, 3);
	r_seed("virtqueue", "engine-high", 3, 0x03, 0x0, 0x80, 0x100, 0, 0x340, ops_engine, sizeof(ops_engine));
	r_seed("rings", "blk-high", 3, 0x03, 0x0, 0x80, 0x100, 0, 0x340, ops_rings, sizeof(ops_rings));
	r_base = RI_RAM_BASE;

	/* Legacy, 4 entries at page 0, QueueAlign 64: avail at 0x40, used at
	 * 0x80; a chain that loops. */
	memset(rram, 0, sizeof(rram));
	r_desc(0x0, 0, 0x100, 8, VIRTQ_DESC_F_NEXT, 1);
	r_desc(0x0, 1, 0x108, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	r_desc(0x0, 2, 0x110, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	r_desc(0x0, 3, 0x118, 8, 0, 0);
	static const uint16_t heads_legacy[] = { 3, 0 };
	r_avail(0x40, heads_legacy, 2);
	static const uint8_t ops_legacy[] = { 0, 1, 8, 0, 0, 0, 0, 6, 2 };
	r_seed("virtqueue", "engine-legacy-loop", 2, 0x04, 0x0, 0, 0, 6, 0x120, ops_legacy, sizeof(ops_legacy));
	static const uint8_t ops_rings_legacy[] = { 2, 3, 0, 0, 0, 0, 0, 3, 1, 4, 1, 5, 1 };
	r_seed("rings", "rng-legacy-loop", 2, 0x34, 0x0, 0, 0, 6, 0x120, ops_rings_legacy, sizeof(ops_rings_legacy));

	/* Device models, modern, 8 entries, queue q at 0x100 + 0x2000 q. */
	static const uint8_t notify0[] = { 0, 0, 5, 4, 0, 0, 5 };
	static const uint8_t notify1[] = { 0, 1, 5, 0, 0, 5, 4 };

	/* blk: an OUT request (header, one sector, status) and an IN one. */
	memset(rram, 0, sizeof(rram));
	le32_put(rram + 0x4000, VIRTIO_BLK_T_OUT);
	le64_put(rram + 0x4008, 3);
	le32_put(rram + 0x4400, VIRTIO_BLK_T_IN);
	le64_put(rram + 0x4408, 3);
	r_desc(0x100, 0, 0x4000, 16, VIRTQ_DESC_F_NEXT, 1);
	r_desc(0x100, 1, 0x5000, 512, VIRTQ_DESC_F_NEXT, 2);
	r_desc(0x100, 2, 0x4010, 1, VIRTQ_DESC_F_WRITE, 0);
	r_desc(0x100, 3, 0x4400, 16, VIRTQ_DESC_F_NEXT, 4);
	r_desc(0x100, 4, 0x5400, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	r_desc(0x100, 5, 0x4410, 1, VIRTQ_DESC_F_WRITE, 0);
	static const uint16_t heads_blk[] = { 0, 3 };
	r_avail(0x180, heads_blk, 2);
	r_seed("virtqueue", "dev-blk", 3, 0x0b, 0x100, 0x180, 0x200, 0, 0x5600, notify0, sizeof(notify0));

	/* net: a receive buffer on queue 0, a frame to send on queue 1. */
	memset(rram, 0, sizeof(rram));
	r_desc(0x100, 0, 0x4000, 1526, VIRTQ_DESC_F_WRITE, 0);
	static const uint16_t head0[] = { 0 };
	r_avail(0x180, head0, 1);
	r_desc(0x2100, 0, 0x5000, 12 + 60, 0, 0);
	r_avail(0x2180, head0, 1);
	memset(rram + 0x5000 + 12, 0xff, 6);
	r_seed("virtqueue", "dev-net", 3, 0x1b, 0x100, 0x180, 0x200, 0, 0x5100, notify1, sizeof(notify1));

	/* console: a receive buffer, a line to send. */
	memset(rram, 0, sizeof(rram));
	r_desc(0x100, 0, 0x4000, 64, VIRTQ_DESC_F_WRITE, 0);
	r_avail(0x180, head0, 1);
	r_desc(0x2100, 0, 0x5000, 6, 0, 0);
	r_avail(0x2180, head0, 1);
	memcpy(rram + 0x5000, "hello\n", 6);
	r_seed("virtqueue", "dev-console", 3, 0x2b, 0x100, 0x180, 0x200, 0, 0x5100, notify1, sizeof(notify1));

	/* rng: one 16-byte buffer. */
	memset(rram, 0, sizeof(rram));
	r_desc(0x100, 0, 0x4000, 16, VIRTQ_DESC_F_WRITE, 0);
	r_avail(0x180, head0, 1);
	r_seed("virtqueue", "dev-rng", 3, 0x3b, 0x100, 0x180, 0x200, 0, 0x4010, notify0, sizeof(notify0));
	static const uint8_t ops_rng[] = { 2, 0, 0, 16, 0, 0, 0, 4, 1, 5, 1 };
	r_seed("rings", "rng-modern", 3, 0x30, 0x100, 0x180, 0x200, 0, 0x4010, ops_rng, sizeof(ops_rng));
}

/* A packed descriptor at slot of the ring at ring (offsets in RAM),
 * available for wrap (or with the flag bits as given, raw). */
static void p_desc(uint32_t ring, uint32_t slot, uint32_t buf, uint32_t len, uint16_t id, uint16_t flags, int wrap)
{
	uint8_t *d = rram + ring + 16 * slot;

	if (wrap >= 0)
		flags |= wrap ? PACKED_DESC_F_AVAIL : PACKED_DESC_F_USED;
	le64_put(d, r_base + buf);
	le32_put(d + 8, len);
	le16_put(d + 12, id);
	le16_put(d + 14, flags);
}

/* Packed rings (flags bit 6): the descriptor ring, then the driver and
 * device event suppression areas. */
static void seeds_packed(void)
{
	/* 8 entries, INDIRECT_DESC and EVENT_IDX: a chain of two (read then
	 * write, id 5), an indirect one (id 2), a single buffer (id 7). */
	memset(rram, 0, sizeof(rram));
	p_desc(0x0, 0, 0x200, 16, 5, VIRTQ_DESC_F_NEXT, 1);
	p_desc(0x0, 1, 0x210, 32, 5, VIRTQ_DESC_F_WRITE, 1);
	p_desc(0x0, 2, 0x300, 32, 2, VIRTQ_DESC_F_INDIRECT, 1);
	p_desc(0x300, 0, 0x240, 8, 0, 0, -1);
	p_desc(0x300, 1, 0x280, 64, 0, VIRTQ_DESC_F_WRITE, -1);
	p_desc(0x0, 3, 0x2c0, 16, 7, VIRTQ_DESC_F_WRITE, 1);
	for (unsigned i = 0; i < 16; i++)
		rram[0x200 + i] = (uint8_t)i;
	static const uint8_t ops_engine[] = {
		0,                       /* pop: id 5 */
		3, 0, 0, 100, 0,         /* read [0, 100) */
		4, 4, 0, 100, 0,         /* write [4, 104) */
		1, 36, 0, 0, 0,          /* push, 36 written */
		2,                       /* interrupt? */
		0, 1, 60, 0, 0, 0, 2, 6, /* pop (id 2), push 60, interrupt?, pending */
		0, 0, 6,                 /* pop (id 7), pop: nothing, pending */
		5, 0x88, 0x00, 4, 1, 0, 2, 0, /* the driver event area: DESC at slot 1 */
		1, 16, 0, 0, 0, 2,       /* push (id 7 again: refused? no, one held), interrupt? */
		7, 0,                    /* set up again, pop from the start */
	};
	r_seed("virtqueue", "engine-packed", 3, 0x43, 0x0, 0x88, 0x8c, 0, 0x340, ops_engine, sizeof(ops_engine));
	static const uint8_t ops_rings[] = {
		2, 5, 0, 36, 0, 0, 0,    /* device: used descriptor (id 5, 36 bytes) */
		3, 1, 4, 1, 5, 1,        /* interrupt, InterruptStatus read, ACK */
		0,                       /* notify */
		2, 2, 0, 64, 0, 0, 0,    /* used (id 2, 64 bytes) */
		2, 7, 0, 16, 0, 0, 0,    /* used (id 7) */
		1, 0x30, 0, 16, 0, 0x03, 0, 0x40, 0, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0x02, 0x80,
					 /* driver: slot 3, id 1, available for wrap 0: not yet */
		0,
	};
	r_seed("rings", "blk-packed", 3, 0x43, 0x0, 0x88, 0x8c, 0, 0x340, ops_rings, sizeof(ops_rings));

	/* 3 entries (not a power of two): a chain of slots 0-1 (id 0) and,
	 * once it is used and slot 0 written again for the next lap, a chain
	 * from slot 2 across the ring's end (id 1). */
	memset(rram, 0, sizeof(rram));
	p_desc(0x0, 0, 0x200, 16, 0, VIRTQ_DESC_F_NEXT, 1);
	p_desc(0x0, 1, 0x210, 16, 0, VIRTQ_DESC_F_WRITE, 1);
	p_desc(0x0, 2, 0x220, 16, 1, VIRTQ_DESC_F_NEXT, 1);
	static const uint8_t ops_wrap[] = {
		0, 1, 16, 0, 0, 0,       /* pop (id 0, slots 0-1), push */
		5, 0, 0, 16,             /* slot 0: 0x230+16, id 1, W, available for wrap 0 */
		0x30, 0x02, 0, 0x40, 0, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0x02, 0x80,
		0, 6, 1, 8, 0, 0, 0,     /* pop (id 1, slots 2 and 0), pending, push */
		0, 6,                    /* nothing more */
	};
	r_seed("virtqueue", "engine-packed-wrap", 17, 0x40, 0x0, 0x40, 0x44, 0, 0x230, ops_wrap, sizeof(ops_wrap));
	static const uint8_t ops_rings_wrap[] = {
		2, 0, 0, 16, 0, 0, 0,    /* used (id 0) at slot 0 */
		1, 0, 0, 16, 0x30, 0x02, 0, 0x40, 0, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0x02, 0x80,
		0,                       /* notify: the chain across the end */
		2, 1, 0, 8, 0, 0, 0,     /* used (id 1): the device's slot 1 */
		9,                       /* QueueReady 0, 1: a new generation */
	};
	r_seed("rings", "rng-packed-wrap", 17, 0x70, 0x0, 0x40, 0x44, 0, 0x230, ops_rings_wrap, sizeof(ops_rings_wrap));

	/* Device models on packed rings, 8 entries, queue q at 0x100 +
	 * 0x2000 q, event areas at 0x180 and 0x184. */
	static const uint8_t notify0[] = { 0, 0, 5, 4, 0, 0, 5 };
	memset(rram, 0, sizeof(rram));
	p_desc(0x100, 0, 0x4000, 16, 3, VIRTQ_DESC_F_WRITE, 1);
	r_seed("virtqueue", "dev-rng-packed", 3, 0x78, 0x100, 0x180, 0x184, 0, 0x4010, notify0, sizeof(notify0));
	memset(rram, 0, sizeof(rram));
	le32_put(rram + 0x4000, VIRTIO_BLK_T_OUT);
	le64_put(rram + 0x4008, 3);
	le32_put(rram + 0x4400, VIRTIO_BLK_T_IN);
	le64_put(rram + 0x4408, 3);
	p_desc(0x100, 0, 0x4000, 16, 0, VIRTQ_DESC_F_NEXT, 1);
	p_desc(0x100, 1, 0x5000, 512, 0, VIRTQ_DESC_F_NEXT, 1);
	p_desc(0x100, 2, 0x4010, 1, 0, VIRTQ_DESC_F_WRITE, 1);
	p_desc(0x100, 3, 0x4400, 16, 1, VIRTQ_DESC_F_NEXT, 1);
	p_desc(0x100, 4, 0x5400, 512, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	p_desc(0x100, 5, 0x4410, 1, 1, VIRTQ_DESC_F_WRITE, 1);
	r_seed("virtqueue", "dev-blk-packed", 3, 0x49, 0x100, 0x180, 0x184, 0, 0x5600, notify0, sizeof(notify0));
}

/* --- tracedb: [flags][operations] (fuzz_tracedb.c); tables by name
 * order: 1 chains, 3 devices, 4 events, 8 memory, 9 meta, 11 queues --- */

static void seeds_tracedb(void)
{
	static const uint8_t plain_modern[] = { 0x00 };
	static const uint8_t plain_legacy[] = { 0x01 };
	static const uint8_t plain_qemu[] = { 0x02 };
	/* keep going; UPDATE queues.size of row 0 to INT64_MAX */
	static const uint8_t queue_size[] = { 0x04, 0, 11, 6, 0, 0, 1, 20 };
	/* DELETE every third memory row; replay only, up to event 64 */
	static const uint8_t memory_rows[] = { 2 << 6 | 2 << 3, 3, 8, 3 };
	/* a hostile violations_in_order view, then a copy of an event with
	 * another value; info and show */
	static const uint8_t view_dup[] = { 6 << 3, 6, 0, 2, 4, 4, 8, 5, 0, 2, 0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0x80 };
	/* QEMU base: declare DeviceFeatures and queue0 differences, flip a byte */
	static const uint8_t declare_flip[] = { 0x02, 7, 0, 0, 7, 0, 7, 8, 0, 0x00, 0xf0, 0x1f, 0x00, 0xff };
	/* a new device row of hostile integers */
	static const uint8_t insert_device[] = { 0x05, 5, 3, 1, 21, 1, 0, 1, 5, 1, 16, 1, 3, 1, 1, 1, 1, 1, 20, 1, 19,
						 1, 18, 1, 0, 1, 22, 1, 20, 1, 27, 7, 9 };

	put_file("tracedb", "plain-modern", plain_modern, sizeof(plain_modern));
	put_file("tracedb", "plain-legacy", plain_legacy, sizeof(plain_legacy));
	put_file("tracedb", "plain-qemu", plain_qemu, sizeof(plain_qemu));
	put_file("tracedb", "queue-size", queue_size, sizeof(queue_size));
	put_file("tracedb", "memory-rows", memory_rows, sizeof(memory_rows));
	put_file("tracedb", "view-dup", view_dup, sizeof(view_dup));
	put_file("tracedb", "declare-flip", declare_flip, sizeof(declare_flip));
	put_file("tracedb", "insert-device", insert_device, sizeof(insert_device));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	mkdir(out_dir, 0755);
	seeds_rawtrace();
	seeds_qemu();
	seeds_rings();
	seeds_packed();
	seeds_tracedb();
	return 0;
}
