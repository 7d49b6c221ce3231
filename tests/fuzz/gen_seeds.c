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
#include "spec/virtio.h"
#include "tests/fuzz/fuzz_record.h"

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
	put_file("rawtrace", "handmade", b, n);
	/* The file header and the metadata block alone. */
	b[0] = 0x43; /* reader only */
	put_file("rawtrace", "meta-only", b, 1 + RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE + le32_get(b + 1 + 32 + 4));
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
	raw_handmade();
}

/* --- qemu: [mode][ram_len le16][ram][text or script] (tests/qemu_unit/fuzz_qemu.c) --- */

#define QS_RAM 0x1200u
#define QS_BASE "0xfeb02e00"

struct buf {
	uint8_t b[16384];
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
	return 0;
}
