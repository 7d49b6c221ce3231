/* Fuzz entry for the QEMU capture path: trace text through qemu_source
 * (ring snapshots on), or a script of register accesses straight into
 * ring_snap, both over guest RAM the input fills.  Every event is checked
 * as it is emitted: snapshot bytes equal what guest RAM holds (RAM does
 * not change during a call), lengths and flags valid, no trigger over its
 * byte budget, MMIO values within their width, counters matching events.
 * A broken promise aborts.
 *
 * Input: [mode][ram_len lo][ram_len hi][ram bytes...][rest]; mode bit 0
 * picks the text path (rest = trace text, fed in chunks whose sizes come
 * from the text) or the script path (rest = operations, see run_script).
 *
 * Built normally, main() runs a fixed number of seeded, structured random
 * inputs (the 'unit' smoke run).  With -DVMTRACE_LIBFUZZER it is a
 * libFuzzer target instead:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DVMTRACE_LIBFUZZER -I. \
 *     tests/qemu_unit/fuzz_qemu.c capture/qemu/{qemu_line,qemu_source,ring_snap,guest_ram}.c \
 *     -o fuzz_qemu && ./fuzz_qemu -max_len=65536
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "capture/qemu/guest_ram.h"
#include "capture/qemu/qemu_line.h"
#include "capture/qemu/qemu_source.h"
#include "capture/qemu/ring_snap.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define FUZZ_MAXLEN 65536u
#define FUZZ_RAM 0x8000u  /* guest RAM at 0; half the largest input */
#define FUZZ_BASE UINT64_C(0xfeb02e00)

int fuzz_qemu_one(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const struct guest_ram *ram;
	uint64_t trigger_bytes; /* MEM bytes since the last MMIO event / access */
	uint64_t mmio, lost, reports;
	uint8_t copy[VMT_EVENT_DATA_MAX];
};

/* Events checked over the whole run (the smoke run prints them). */
static uint64_t total_mem, total_mmio, total_lost, total_reports;

static void fail(const char *what, const struct vmt_event *ev)
{
	fprintf(stderr, "fuzz_qemu: %s (type %u addr 0x%llx len %u flags 0x%x value 0x%llx)\n", what, ev->type,
		(unsigned long long)ev->addr, ev->len, ev->flags, (unsigned long long)ev->value);
	abort();
}

static int check_emit(void *ctx, const struct vmt_event *ev)
{
	struct check *c = ctx;

	if (ev->source != VMT_SRC_QEMU)
		fail("wrong source", ev);
	switch (ev->type) {
	case VMT_EV_MEM:
		if (ev->len == 0 || ev->len > VMT_EVENT_DATA_MAX || !ev->data)
			fail("bad snapshot length", ev);
		if ((ev->flags & (VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT)) != (VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT) ||
		    (ev->flags & ~(VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT | VMT_MEM_TRUNCATED)))
			fail("bad snapshot flags", ev);
		if (!guest_ram_read(c->ram, ev->addr, c->copy, ev->len) || memcmp(c->copy, ev->data, ev->len) != 0)
			fail("snapshot bytes are not guest RAM's", ev);
		c->trigger_bytes += ev->len;
		total_mem++;
		if (c->trigger_bytes > RING_SNAP_TRIGGER_MAX)
			fail("trigger over its byte budget", ev);
		break;
	case VMT_EV_MMIO:
		if (ev->width != 1 && ev->width != 2 && ev->width != 4 && ev->width != 8)
			fail("bad width", ev);
		if (ev->width < 8 && ev->value >> (8 * ev->width))
			fail("value wider than the access", ev);
		if (ev->addr >= VIRTIO_MMIO_REGION_SIZE || ev->base % VIRTIO_MMIO_REGION_SIZE)
			fail("bad base or offset", ev);
		if (ev->len)
			fail("data on an access", ev);
		c->trigger_bytes = 0;
		c->mmio++;
		total_mmio++;
		break;
	case VMT_EV_MARKER:
		if (ev->len == 0 || ev->len >= 160 || memchr(ev->data, '\0', ev->len))
			fail("bad marker", ev);
		break;
	case VMT_EV_LOST:
		if (ev->value != 1)
			fail("bad lost count", ev);
		c->lost++;
		total_lost++;
		break;
	case VMT_EV_QUEUE: {
		/* A queue report: a well-formed payload and step on a device
		 * window (the ring copy before a pop is its own trigger). */
		struct vmt_queue_report q;
		if (ev->len != VMT_QUEUE_REPORT_BYTES || vmt_queue_report_decode(&q, ev->data, ev->len) != 0)
			fail("bad queue report payload", ev);
		if (ev->value < 1 || ev->value > VMT_QSTEP_MAX)
			fail("bad queue report step", ev);
		if (ev->base % VIRTIO_MMIO_REGION_SIZE || ev->addr > QEMU_VIRTIO_QUEUE_INDEX_MAX)
			fail("bad queue report device or queue", ev);
		if (ev->value == VMT_QSTEP_FLUSH && (q.token != 0 || q.arg0 > QEMU_VIRTIO_RING_MAX || q.arg1 != 0))
			fail("bad flush report", ev);
		if (ev->value == VMT_QSTEP_POP && q.arg0 + q.arg1 > QEMU_VIRTIO_RING_MAX)
			fail("bad pop report", ev);
		c->trigger_bytes = 0;
		c->reports++;
		total_reports++;
		break;
	}
	default:
		fail("unexpected event type", ev);
	}
	return 0;
}

static uint64_t take(const uint8_t **p, const uint8_t *end, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && *p < end; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

static const uint32_t regs[] = {
	MMIO_STATUS, MMIO_QUEUE_SEL, MMIO_QUEUE_NUM, MMIO_QUEUE_DESC_LOW, MMIO_QUEUE_DESC_HIGH,
	MMIO_QUEUE_DRIVER_LOW, MMIO_QUEUE_DRIVER_HIGH, MMIO_QUEUE_DEVICE_LOW, MMIO_QUEUE_DEVICE_HIGH,
	MMIO_QUEUE_READY, MMIO_QUEUE_RESET, MMIO_QUEUE_PFN, MMIO_QUEUE_ALIGN, MMIO_GUEST_PAGE_SIZE,
	MMIO_QUEUE_NOTIFY, MMIO_INTERRUPT_STATUS,
};

/* Operations: 0 write (reg, le32), 1 notify (queue byte), 2 InterruptStatus
 * read, 3 Version read, 4 RAM poke (le16 offset, len, bytes), 5 switch
 * device, 6 any access (width, le16 offset, write, le64 value), 7 small
 * write (reg, byte). */
static void run_script(struct check *c, uint8_t *ram, const uint8_t *p, const uint8_t *end)
{
	struct ring_snap *s;
	uint64_t base = FUZZ_BASE;

	if (ring_snap_new(&s, c->ram, check_emit, c) != 0)
		return;
	while (p < end) {
		uint8_t op = *p++;
		uint32_t reg = regs[take(&p, end, 1) % (sizeof(regs) / sizeof(regs[0]))];
		c->trigger_bytes = 0;
		switch (op % 8) {
		case 0:
			ring_snap_access(s, base, reg, reg != MMIO_INTERRUPT_STATUS, 4, take(&p, end, 4), 1);
			break;
		case 1:
			ring_snap_access(s, base, MMIO_QUEUE_NOTIFY, true, 4, take(&p, end, 1), 2);
			break;
		case 2:
			ring_snap_access(s, base, MMIO_INTERRUPT_STATUS, false, 4, 1, 3);
			break;
		case 3:
			ring_snap_access(s, base, MMIO_VERSION, false, 4, take(&p, end, 1) % 3, 4);
			break;
		case 4: {
			uint64_t off = take(&p, end, 2) % FUZZ_RAM;
			uint64_t n = take(&p, end, 1) % 33;
			for (uint64_t i = 0; i < n && p < end && off + i < FUZZ_RAM; i++)
				ram[off + i] = *p++;
			break;
		}
		case 5:
			base = FUZZ_BASE + VIRTIO_MMIO_REGION_SIZE * (reg % 4);
			break;
		case 6: {
			uint32_t width = (uint32_t)take(&p, end, 1) % 9;
			uint32_t off = (uint32_t)take(&p, end, 2) % 0x200;
			bool write = take(&p, end, 1) & 1;
			ring_snap_access(s, base, off, write, width, take(&p, end, 8), 5);
			break;
		}
		default:
			ring_snap_access(s, base, reg, reg != MMIO_INTERRUPT_STATUS, 4, take(&p, end, 1), 6);
			break;
		}
	}
	ring_snap_free(s);
}

static void run_text(struct check *c, const uint8_t *p, const uint8_t *end)
{
	struct qemu_source_cfg cfg = { .emit = check_emit, .ctx = c, .ram = c->ram };
	struct qemu_source_stats st;
	struct qemu_source *src;
	unsigned h = 0;

	if (qemu_source_new(&src, &cfg) != 0)
		return;
	while (p < end) {
		/* Chunk sizes from the text itself: deterministic per input. */
		h = h * 31 + *p;
		size_t n = 1 + h % 257;
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		qemu_source_feed(src, (const char *)p, n, 7);
		p += n;
	}
	qemu_source_end(src, 8);
	qemu_source_get_stats(src, &st);
	if (st.accesses != c->mmio || st.lost != c->lost || st.lost > st.bad || st.bad + st.accesses > st.lines ||
	    st.reports != c->reports || st.reports + st.accesses > st.lines) {
		fprintf(stderr, "fuzz_qemu: counters disagree with the events\n");
		abort();
	}
	qemu_source_free(src);
}

int fuzz_qemu_one(const uint8_t *data, size_t size)
{
	static uint8_t ram[FUZZ_RAM];
	struct guest_ram g;
	struct check *c;

	if (size < 3 || size > FUZZ_MAXLEN)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return 0;
	const uint8_t *p = data + 3, *end = data + size;
	size_t ram_len = (size_t)(data[1] | data[2] << 8);
	if (ram_len > (size_t)(end - p))
		ram_len = (size_t)(end - p);
	memset(ram, 0, sizeof(ram));
	memcpy(ram, p, ram_len < FUZZ_RAM ? ram_len : FUZZ_RAM);
	p += ram_len;
	guest_ram_wrap(&g, ram, FUZZ_RAM, FUZZ_RAM);
	c->ram = &g;
	if (data[0] & 1)
		run_text(c, p, end);
	else
		run_script(c, ram, p, end);
	free(c);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_qemu_one(data, size);
}

#ifndef VMTRACE_LIBFUZZER

/* --- the seeded smoke run: structured random inputs --- */

#define SMOKE_ITERATIONS 4000
#define SMOKE_SEED UINT64_C(0x9e3779b97f4a7c15)

static uint64_t rng_state = SMOKE_SEED;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

struct out {
	uint8_t buf[FUZZ_MAXLEN];
	size_t n;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (n > sizeof(o->buf) - o->n)
		n = sizeof(o->buf) - o->n;
	memcpy(o->buf + o->n, p, n);
	o->n += n;
}

static void put_le(struct out *o, uint64_t v, unsigned n)
{
	uint8_t b[8];

	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(o, b, n);
}

/* Mostly inside RAM, sometimes at its edges or anywhere. */
static uint64_t rand_gpa(void)
{
	switch (below(8)) {
	case 0: return FUZZ_RAM - below(64);
	case 1: return rng();
	case 2: return UINT64_MAX - below(64);
	default: return 16u * below(FUZZ_RAM / 16);
	}
}

static uint32_t rand_len(void)
{
	switch (below(8)) {
	case 0: return 0;
	case 1: return 0xffffffffu;
	case 2: return (uint32_t)rng();
	case 3: return 16u * (1 + below(20));
	default: return below(300);
	}
}

/* Guest RAM full of plausible descriptors and ring indices. */
static void rand_ram(uint8_t *ram)
{
	for (uint32_t off = 0; off < FUZZ_RAM; off += 16) {
		uint8_t *d = ram + off;
		if (below(4) == 0) {
			for (int i = 0; i < 16; i++)
				d[i] = (uint8_t)below(below(2) ? 16 : 256);
			continue;
		}
		le64_put(d, rand_gpa());
		le32_put(d + 8, rand_len());
		le16_put(d + 12, (uint16_t)(below(8) ? below(8) : rng()));
		le16_put(d + 14, (uint16_t)(below(8) ? below(20) : rng()));
	}
}

static uint32_t rand_num(void)
{
	static const uint32_t nums[] = { 0, 1, 2, 3, 4, 8, 16, 64, 256, 1024, VIRTQ_SIZE_MAX, 0x10000, 0xffffffffu };

	return nums[below(sizeof(nums) / sizeof(nums[0]))];
}

static uint8_t reg_index(uint32_t reg)
{
	for (uint8_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i] == reg)
			return i;
	return 0;
}

static void gen_script(struct out *o)
{
	unsigned ops = 20 + below(60);

	for (unsigned k = 0; k < ops; k++) {
		uint8_t op = (uint8_t)below(8), b;
		switch (below(10)) {
		case 0: /* a whole modern queue set-up */
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_SEL), 1); put_le(o, below(3), 4);
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_NUM), 1); put_le(o, rand_num(), 4);
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_DESC_LOW), 1); put_le(o, rand_gpa(), 4);
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_DRIVER_LOW), 1); put_le(o, rand_gpa(), 4);
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_DEVICE_LOW), 1); put_le(o, rand_gpa(), 4);
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_READY), 1); put_le(o, 1, 4);
			continue;
		case 1: /* legacy */
			b = 3; put(o, &b, 1); put_le(o, 0, 1); put_le(o, 1, 1);
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_NUM), 1); put_le(o, rand_num(), 4);
			b = 0; put(o, &b, 1); put_le(o, reg_index(MMIO_QUEUE_PFN), 1); put_le(o, below(16), 4);
			continue;
		case 2: case 3:
			op = (uint8_t)(below(2) ? 1 : 2); /* triggers */
			break;
		default:
			break;
		}
		put(o, &op, 1);
		put_le(o, below(16), 1);
		switch (op) {
		case 0: put_le(o, below(2) ? below(64) : rng(), 4); break;
		case 1: put_le(o, below(4), 1); break;
		case 3: put_le(o, below(3), 1); break;
		case 4: {
			uint8_t n = (uint8_t)below(33);
			put_le(o, below(FUZZ_RAM), 2);
			put(o, &n, 1);
			for (uint8_t i = 0; i < n; i++)
				put_le(o, below(4) ? below(16) : rng(), 1);
			break;
		}
		case 6: put_le(o, below(9), 1); put_le(o, below(0x200), 2); put_le(o, below(2), 1); put_le(o, rng(), 8); break;
		case 7: put_le(o, below(20), 1); break;
		default: break;
		}
	}
}

static void gen_line(struct out *o)
{
	static const uint32_t offs[] = { MMIO_VERSION, MMIO_QUEUE_SEL, MMIO_QUEUE_NUM, MMIO_QUEUE_DESC_LOW,
					 MMIO_QUEUE_DRIVER_LOW, MMIO_QUEUE_DEVICE_LOW, MMIO_QUEUE_READY,
					 MMIO_QUEUE_NOTIFY, MMIO_INTERRUPT_STATUS, MMIO_STATUS, MMIO_QUEUE_PFN };
	char line[512];
	int n;

	switch (below(15)) {
	case 0:
		n = snprintf(line, sizeof(line), "Servicing hardware INT=0x%02x\n", below(256));
		break;
	case 12: { /* a QueueNotify write and its virtio_queue_notify (QEMU's pointers) */
		unsigned q = below(3), dev = below(2);
		n = snprintf(line, sizeof(line),
			     "42@1.000001:memory_region_ops_write cpu 0 mr 0x55 addr 0x%llx value 0x%x size 4 name "
			     "'virtio-mmio'\n%u@1.000002:virtio_queue_notify vdev 0x%x n %u vq 0x%x\n",
			     (unsigned long long)(FUZZ_BASE + 0x200u * dev + MMIO_QUEUE_NOTIFY), q, below(6) ? 42 : 41,
			     0x10 + dev * 0x10 + below(8) / 7, below(6) ? q : below(70000), 0x100 + dev * 4 + q + below(8) / 7);
		break;
	}
	case 13:
	case 14: { /* a report on one of a few pointers */
		unsigned k = below(8);
		const char *pre = below(2) ? "" : below(2) ? "41@1.000003:" : "42@1.000003:";
		unsigned vq = 0x100 + below(8), vdev = 0x10 + 0x10 * below(2), elem = 0x1000 + below(8);
		unsigned a = below(4) ? below(8) : rng(), b = below(4) ? below(8) : rng();
		switch (k) {
		case 0: n = snprintf(line, sizeof(line), "%svirtqueue_pop vq 0x%x elem 0x%x in_num %u out_num %u\n", pre, vq, elem, a, b); break;
		case 1: n = snprintf(line, sizeof(line), "%svirtqueue_fill vq 0x%x elem 0x%x len %u idx %u\n", pre, vq, elem, a, b); break;
		case 2: n = snprintf(line, sizeof(line), "%svirtqueue_flush vq 0x%x count %u\n", pre, vq, a); break;
		case 3: n = snprintf(line, sizeof(line), "%svirtio_blk_handle_read vdev 0x%x req 0x%x sector %u nsectors %u\n", pre, vdev, elem, a, b); break;
		case 4: n = snprintf(line, sizeof(line), "%svirtio_blk_handle_write vdev 0x%x req 0x%x sector %u nsectors %u\n", pre, vdev, elem, a, b); break;
		case 5: n = snprintf(line, sizeof(line), "%svirtio_scsi_cmd_req virtio_scsi_cmd_req lun=%u tag=0x%x cmd=0x%x\n", pre, a, b, below(4) ? below(256) : (unsigned)rng()); break;
		/* QEMU's SCSI layer's lines: %d fields (negative too), a tag that
		 * pairs with the command above or not. */
		case 6: n = snprintf(line, sizeof(line), "%sscsi_req_parsed target %d lun %u tag %d command %d dir %d length %d\n", pre,
				     (int)below(3) - 1, a, (int)b, below(4) ? (int)below(256) : (int)rng(), (int)below(4),
				     (int)rng()); break;
		default: n = snprintf(line, sizeof(line), "%sscsi_req_parsed_lba target %d lun %u tag %d command %d lba %llu\n", pre,
				      (int)below(2), a, (int)b, below(4) ? (int)below(256) : (int)rng(),
				      (unsigned long long)rng() << 32 | rng()); break;
		}
		if (below(10) == 0)
			n = (int)below((uint32_t)n); /* cut short */
		break;
	}
	case 1: { /* garbage bytes */
		n = (int)below(200);
		for (int i = 0; i < n; i++)
			line[i] = (char)(below(4) ? ' ' + below(95) : rng());
		line[n++] = '\n';
		break;
	}
	case 2: { /* a long run without a newline */
		uint32_t len = QEMU_LINE_MAX - 100 + below(300);
		for (uint32_t i = 0; i < len; i += sizeof(line)) {
			memset(line, below(2) ? ' ' : 'x', sizeof(line));
			put(o, line, len - i < sizeof(line) ? len - i : sizeof(line));
		}
		return;
	}
	default: {
		uint32_t off = below(3) ? offs[below(sizeof(offs) / sizeof(offs[0]))] : below(0x200);
		uint64_t v = below(2) ? rand_num() : below(3) ? rand_gpa() : rng();
		static const unsigned sizes[] = { 4, 4, 4, 1, 2, 8, 3 };
		n = snprintf(line, sizeof(line), "%s%s cpu %d mr 0x55 addr 0x%llx value 0x%llx size %u name '%s'\n",
			     below(4) ? "" : "42@1.000001:", below(2) ? "memory_region_ops_write" : "memory_region_ops_read",
			     below(5) ? 0 : -1, (unsigned long long)(FUZZ_BASE + 0x200u * below(2) + off),
			     (unsigned long long)v, sizes[below(7)], below(8) ? "virtio-mmio" : "pci");
		if (below(10) == 0)
			n = (int)below((uint32_t)n); /* cut short */
		break;
	}
	}
	put(o, line, (size_t)n);
}

static void gen_text(struct out *o)
{
	unsigned lines = 10 + below(80);

	for (unsigned i = 0; i < lines; i++)
		gen_line(o);
}

int main(void)
{
	static struct out o;
	static uint8_t ram[FUZZ_RAM];

	for (unsigned it = 0; it < SMOKE_ITERATIONS; it++) {
		uint8_t mode = (uint8_t)(it & 1);
		size_t ram_len = below(4) ? FUZZ_RAM : below(FUZZ_RAM);
		o.n = 0;
		put(&o, &mode, 1);
		put_le(&o, ram_len, 2);
		rand_ram(ram);
		put(&o, ram, ram_len);
		if (mode & 1)
			gen_text(&o);
		else
			gen_script(&o);
		fuzz_qemu_one(o.buf, o.n);
	}
	/* And some plain random bytes. */
	for (unsigned it = 0; it < 200; it++) {
		o.n = 1 + below(4096);
		for (size_t i = 0; i < o.n; i++)
			o.buf[i] = (uint8_t)rng();
		fuzz_qemu_one(o.buf, o.n);
	}
	printf("fuzz_qemu: %u seeded inputs, %llu snapshot, %llu access, %llu lost and %llu queue report events "
	       "checked\n",
	       SMOKE_ITERATIONS + 200, (unsigned long long)total_mem, (unsigned long long)total_mmio,
	       (unsigned long long)total_lost, (unsigned long long)total_reports);
	/* A generator that stopped reaching the snapshotter would test nothing. */
	if (total_mem < 1000 || total_mmio < 10000 || total_lost < 100 || total_reports < 100) {
		fprintf(stderr, "fuzz_qemu: the seeded inputs no longer exercise the code\n");
		return 1;
	}
	return 0;
}

#endif
