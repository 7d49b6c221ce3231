/* qemu_source: QEMU's trace text, in chunks of any size, to vmtrace
 * events.  Identical events whatever the chunking (one byte at a time,
 * every two-way split); device base and register offset; other regions
 * and other text skipped and counted; a bad virtio-mmio line becomes a
 * MARKER naming its line plus a LOST; over-long lines; text cut mid-line
 * at the end (T01); emit errors passed back; ring snapshots emitted before
 * the access that triggers them. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "capture/emu/guest_mem.h"
#include "capture/qemu/guest_ram.h"
#include "capture/qemu/qemu_line.h"
#include "capture/qemu/qemu_source.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/qemu_unit/evlog.h"
#include "tests/ring_builder.h"

#define NOW UINT64_C(777000)
#define READ_LINE "memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e00 value 0x74726976 size 4 name 'virtio-mmio'"
#define WRITE_LINE "memory_region_ops_write cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e50 value 0x0 size 4 name 'virtio-mmio'"

struct fixture {
	struct qemu_source *src;
	struct evlog log;
};

static bool fx_open(struct fixture *f, const struct guest_ram *ram)
{
	struct qemu_source_cfg cfg = { .emit = evlog_emit, .ctx = &f->log, .ram = ram };

	memset(f, 0, sizeof(*f));
	if (qemu_source_new(&f->src, &cfg) != 0) {
		CHECK(!"qemu_source_new failed");
		return false;
	}
	return true;
}

static void fx_close(struct fixture *f)
{
	qemu_source_free(f->src);
	evlog_release(&f->log);
}

static int feed(struct fixture *f, const char *text)
{
	return qemu_source_feed(f->src, text, strlen(text), NOW);
}

static struct qemu_source_stats stats(const struct fixture *f)
{
	struct qemu_source_stats st;

	qemu_source_get_stats(f->src, &st);
	return st;
}

static void check_mmio(const struct vmt_event *e, bool write, uint64_t base, uint64_t off, uint64_t value,
		       unsigned width, uint64_t ts, unsigned vcpu)
{
	CHECK_EQ_U(e->type, VMT_EV_MMIO);
	CHECK_EQ_U(e->source, VMT_SRC_QEMU);
	CHECK_EQ_U(e->dir, write ? VMT_DIR_WRITE : VMT_DIR_READ);
	CHECK_EQ_U(e->width, width);
	CHECK_EQ_U(e->base, base);
	CHECK_EQ_U(e->addr, off);
	CHECK_EQ_U(e->value, value);
	CHECK_EQ_U(e->ts_ns, ts);
	CHECK_EQ_U(e->vcpu, vcpu);
	CHECK_EQ_U(e->flags, 0);
	CHECK_EQ_U(e->len, 0);
}

static void test_real_lines(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f, READ_LINE "\n" WRITE_LINE "\n"), 0);
	CHECK_EQ_U(f.log.n, 2);
	if (f.log.n == 2) {
		check_mmio(&f.log.ev[0], false, 0xfeb02e00u, 0, 0x74726976u, 4, NOW, 0);
		check_mmio(&f.log.ev[1], true, 0xfeb02e00u, 0x50, 0, 4, NOW, 0);
	}
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.lines, 2);
	CHECK_EQ_U(st.accesses, 2);
	CHECK_EQ_U(st.other, 0);
	CHECK_EQ_U(st.bad, 0);
	CHECK_EQ_U(st.lost, 0);
	CHECK_EQ_U(st.first_bad_line, 0);
	CHECK_EQ_U(st.devices, 1);
	CHECK_EQ_U(st.snapshots, 0);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 2);
	fx_close(&f);
}

static void test_fields(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f,
			"4711@12.000345:memory_region_ops_write cpu 3 mr 0x1 addr 0xfeb02e70 value 0xf size 4 name 'virtio-mmio'\n"
			"memory_region_ops_read cpu -1 mr 0x1 addr 0xfeb02f00 value 0x1ff size 1 name 'virtio-mmio'\n"
			"memory_region_ops_read cpu 70000 mr 0x1 addr 0xfeb02f02 value 0x10130006e54 size 2 name 'virtio-mmio'\n"
			"memory_region_ops_read cpu 1 mr 0x1 addr 0xfeb02e00 value 0x10130006e54 size 4 name 'virtio-mmio'\n"
			"memory_region_ops_write cpu 1 mr 0x1 addr 0xfeb02f08 value 0xffffffffffffffff size 8 name 'virtio-mmio'\n"),
		   0);
	CHECK_EQ_U(f.log.n, 5);
	if (f.log.n == 5) {
		/* The line's own time wins over the read time. */
		check_mmio(&f.log.ev[0], true, 0xfeb02e00u, 0x70, 0xf, 4, UINT64_C(12000345000), 3);
		check_mmio(&f.log.ev[1], false, 0xfeb02e00u, 0x100, 0xff, 1, NOW, UINT16_MAX);
		check_mmio(&f.log.ev[2], false, 0xfeb02e00u, 0x102, 0x6e54, 2, NOW, UINT16_MAX);
		check_mmio(&f.log.ev[3], false, 0xfeb02e00u, 0, 0x30006e54u, 4, NOW, 1);
		check_mmio(&f.log.ev[4], true, 0xfeb02e00u, 0x108, UINT64_MAX, 8, NOW, 1);
	}
	fx_close(&f);
}

static void test_base_offset(void)
{
	static const struct {
		uint64_t addr, base, off;
	} cases[] = {
		{ 0xfeb02e50u, 0xfeb02e00u, 0x50 },
		{ 0xfeb02e00u, 0xfeb02e00u, 0 },
		{ 0xfeb02fffu, 0xfeb02e00u, 0x1ff },
		{ 0xfeb03000u, 0xfeb03000u, 0 },
		{ 0xfeb031ffu, 0xfeb03000u, 0x1ff },
		{ 0x1ffu, 0, 0x1ff },
		{ 0x200u, 0x200u, 0 },
		{ 0xa000000u + 0x3e00u + 0x70u, 0xa003e00u, 0x70 }, /* arm virt */
		{ UINT64_MAX, UINT64_MAX - 0x1ff, 0x1ff },
	};
	struct fixture f;
	char line[256];

	if (!fx_open(&f, NULL))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line),
			 "memory_region_ops_read cpu 0 mr 0x1 addr 0x%llx value 0x1 size 4 name 'virtio-mmio'\n",
			 (unsigned long long)cases[i].addr);
		CHECK_EQ_U(feed(&f, line), 0);
		CHECK_EQ_U(f.log.n, i + 1);
		if (f.log.n == i + 1) {
			CHECK_EQ_U(f.log.ev[i].base, cases[i].base);
			CHECK_EQ_U(f.log.ev[i].addr, cases[i].off);
		}
	}
	/* Distinct windows: 0xfeb02e00, 0xfeb03000, 0, 0x200, 0xa003e00, top. */
	CHECK_EQ_U(stats(&f).devices, 6);
	fx_close(&f);
}

static void test_other_regions(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f,
			"memory_region_ops_read cpu 0 mr 0x1 addr 0xcfc value 0x0 size 4 name 'pci-conf-data'\n"
			"memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 4 name 'virtio-mmio '\n"
			"memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 4 name 'virtio-mmio\x1b[2J'\n"
			"memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 4 name 'VIRTIO-MMIO'\n"
			"virtio_mmio_write offset 0x50 value 0x0\n"
			"Servicing hardware INT=0x08\n"
			"\n"
			WRITE_LINE "\n"
			"memory_region_ops_read cpu 0 mr 0x1 addr 0x3f8 value 0x0 size 1 name 'serial'\n"),
		   0);
	CHECK_EQ_U(f.log.n, 1);
	if (f.log.n == 1)
		check_mmio(&f.log.ev[0], true, 0xfeb02e00u, 0x50, 0, 4, NOW, 0);
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.lines, 9);
	CHECK_EQ_U(st.accesses, 1);
	CHECK_EQ_U(st.other, 8);
	CHECK_EQ_U(st.bad, 0);
	CHECK_EQ_U(st.lost, 0);
	CHECK_EQ_U(st.devices, 1);
	fx_close(&f);
}

/* Marker text of event i, NUL-terminated (static buffer). */
static const char *marker_text(const struct evlog *l, size_t i)
{
	static char buf[512];
	size_t n = l->ev[i].len < sizeof(buf) - 1 ? l->ev[i].len : sizeof(buf) - 1;

	memcpy(buf, l->ev[i].data, n);
	buf[n] = '\0';
	return buf;
}

static void check_lost_pair(const struct evlog *l, size_t i, const char *want_text)
{
	CHECK(i + 1 < l->n);
	if (i + 1 >= l->n)
		return;
	CHECK_EQ_U(l->ev[i].type, VMT_EV_MARKER);
	CHECK_EQ_U(l->ev[i].source, VMT_SRC_QEMU);
	CHECK_EQ_U(l->ev[i].ts_ns, NOW);
	CHECK_STR(marker_text(l, i), want_text);
	CHECK(memchr(l->ev[i].data, '\0', l->ev[i].len) == NULL);
	CHECK_EQ_U(l->ev[i + 1].type, VMT_EV_LOST);
	CHECK_EQ_U(l->ev[i + 1].source, VMT_SRC_QEMU);
	CHECK_EQ_U(l->ev[i + 1].value, 1);
	CHECK_EQ_U(l->ev[i + 1].ts_ns, NOW);
}

static void test_bad_lines(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f,
			READ_LINE "\n"
			"Servicing hardware INT=0x08\n"
			/* line 3: bad, names another region: counted, not lost */
			"memory_region_ops_read cpu 0 mr 0x1 addr 0x3f8 value 0x0 size 3 name 'serial'\n"
			/* line 4: bad, virtio-mmio: lost */
			"memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 3 name 'virtio-mmio'\n"
			WRITE_LINE "\n"
			/* line 6: a value that overflows 64 bits */
			"memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x10000000000000000 size 4 name 'virtio-mmio'\n"
			/* line 7: a timestamp that does not parse (T03) */
			"1@99999999999999999999.000000:" WRITE_LINE "\n"),
		   0);
	CHECK_EQ_U(f.log.n, 8);
	if (f.log.n == 8) {
		check_mmio(&f.log.ev[0], false, 0xfeb02e00u, 0, 0x74726976u, 4, NOW, 0);
		check_lost_pair(&f.log, 1, "qemu trace line 4: size is not 1, 2, 4 or 8");
		check_mmio(&f.log.ev[3], true, 0xfeb02e00u, 0x50, 0, 4, NOW, 0);
		check_lost_pair(&f.log, 4, "qemu trace line 6: no 'value' field");
		check_lost_pair(&f.log, 6, "qemu trace line 7: bad timestamp prefix");
	} else {
		evlog_dump(&f.log, "events");
	}
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.lines, 7);
	CHECK_EQ_U(st.accesses, 2);
	CHECK_EQ_U(st.other, 1);
	CHECK_EQ_U(st.bad, 4);
	CHECK_EQ_U(st.lost, 3);
	CHECK_EQ_U(st.first_bad_line, 3);
	CHECK_STR(st.first_bad_why, "size is not 1, 2, 4 or 8");
	fx_close(&f);

	/* The first bad line is the first one that is lost. */
	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f, "\n\nmemory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio\n"), 0);
	CHECK_EQ_U(f.log.n, 2);
	if (f.log.n == 2)
		check_lost_pair(&f.log, 0, "qemu trace line 3: unterminated region name (line cut short?)");
	CHECK_EQ_U(stats(&f).first_bad_line, 3);
	fx_close(&f);
}

/* Lines up to QEMU_LINE_MAX bytes are parsed; a longer one is refused,
 * counted, and the next line is read normally. */
static void test_long_lines(void)
{
	const char *head = "memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x5 size 4";
	const char *tail = "name 'virtio-mmio'";
	size_t big = 3 * (size_t)QEMU_LINE_MAX;
	char *line = malloc(big + 2);
	struct fixture f;

	if (!line || !fx_open(&f, NULL)) {
		free(line);
		return;
	}
	/* Exactly QEMU_LINE_MAX bytes: padding between fields. */
	size_t pad = QEMU_LINE_MAX - strlen(head) - strlen(tail);
	memcpy(line, head, strlen(head));
	memset(line + strlen(head), ' ', pad);
	memcpy(line + strlen(head) + pad, tail, strlen(tail));
	line[QEMU_LINE_MAX] = '\n';
	CHECK_EQ_U(qemu_source_feed(f.src, line, QEMU_LINE_MAX + 1, NOW), 0);
	CHECK_EQ_U(f.log.n, 1);
	if (f.log.n == 1)
		check_mmio(&f.log.ev[0], true, 0xfeb02e00u, 0x50, 5, 4, NOW, 0);

	/* QEMU_LINE_MAX + 1 bytes, with the region name in the first part. */
	memcpy(line, WRITE_LINE, strlen(WRITE_LINE));
	memset(line + strlen(WRITE_LINE), ' ', QEMU_LINE_MAX + 1 - strlen(WRITE_LINE));
	line[QEMU_LINE_MAX] = 'x';
	line[QEMU_LINE_MAX + 1] = '\n';
	evlog_clear(&f.log);
	CHECK_EQ_U(qemu_source_feed(f.src, line, QEMU_LINE_MAX + 2, NOW), 0);
	CHECK_EQ_U(f.log.n, 2);
	if (f.log.n == 2)
		check_lost_pair(&f.log, 0, "qemu trace line 2: line longer than 4096 bytes");
	CHECK_EQ_U(stats(&f).bad, 1);
	CHECK_EQ_U(stats(&f).first_bad_line, 2);

	/* Three times the limit, fed in odd chunk sizes, then a good line. */
	memcpy(line, WRITE_LINE, strlen(WRITE_LINE));
	memset(line + strlen(WRITE_LINE), 'z', big - strlen(WRITE_LINE));
	line[big] = '\n';
	evlog_clear(&f.log);
	for (size_t off = 0, step = 1; off <= big; off += step, step = step * 3 + 1) {
		size_t n = step < big + 1 - off ? step : big + 1 - off;
		CHECK_EQ_U(qemu_source_feed(f.src, line + off, n, NOW), 0);
	}
	CHECK_EQ_U(feed(&f, READ_LINE "\n"), 0);
	CHECK_EQ_U(f.log.n, 3);
	if (f.log.n == 3) {
		check_lost_pair(&f.log, 0, "qemu trace line 3: line longer than 4096 bytes");
		check_mmio(&f.log.ev[2], false, 0xfeb02e00u, 0, 0x74726976u, 4, NOW, 0);
	}
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.lines, 4);
	CHECK_EQ_U(st.bad, 2);
	CHECK_EQ_U(st.lost, 2);
	CHECK_EQ_U(st.accesses, 2);

	/* Over-long junk that is not ours: counted, nothing emitted. */
	memset(line, 'j', big);
	line[big] = '\n';
	evlog_clear(&f.log);
	CHECK_EQ_U(qemu_source_feed(f.src, line, big + 1, NOW), 0);
	CHECK_EQ_U(f.log.n, 0);
	CHECK_EQ_U(stats(&f).bad, 3);
	CHECK_EQ_U(stats(&f).lost, 2);

	/* Over-long and never ended: counted when the output ends. */
	CHECK_EQ_U(qemu_source_feed(f.src, line, big, NOW), 0);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(stats(&f).bad, 4);
	CHECK_EQ_U(stats(&f).lines, 6);
	fx_close(&f);
	free(line);
}

/* Text cut mid-line at the end of QEMU's output (T01). */
static void test_cut_at_end(void)
{
	struct fixture f;

	/* Cut inside the last line: earlier lines kept, the cut one counted
	 * as the first bad line, with its number.  The region name comes
	 * last, so a line cut before it cannot be told to be a virtio-mmio
	 * access: no LOST record for it. */
	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f, READ_LINE "\nmemory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x"), 0);
	CHECK_EQ_U(f.log.n, 1);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 1);
	if (f.log.n == 1)
		check_mmio(&f.log.ev[0], false, 0xfeb02e00u, 0, 0x74726976u, 4, NOW, 0);
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.lines, 2);
	CHECK_EQ_U(st.accesses, 1);
	CHECK_EQ_U(st.bad, 1);
	CHECK_EQ_U(st.lost, 0);
	CHECK_EQ_U(st.first_bad_line, 2);
	CHECK_STR(st.first_bad_why, "last line cut short (no newline)");
	/* Ending twice changes nothing. */
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(stats(&f).bad, 1);
	fx_close(&f);

	/* Cut inside the region name: that one is ours, so it is lost. */
	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f, READ_LINE "\n" READ_LINE "\n" "memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 "
			"value 0x0 size 4 name 'virtio-mmio"), 0);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 4);
	if (f.log.n == 4)
		check_lost_pair(&f.log, 2, "qemu trace line 3: last line cut short (no newline)");
	CHECK_EQ_U(stats(&f).lost, 1);
	CHECK_EQ_U(stats(&f).first_bad_line, 3);
	fx_close(&f);

	/* Every cut of a write line: counted as cut short once it is
	 * recognisably ours, lost once the region name is in it, and never
	 * an access. */
	for (size_t k = 1; k < strlen(WRITE_LINE); k++) {
		if (!fx_open(&f, NULL))
			return;
		CHECK_EQ_U(qemu_source_feed(f.src, WRITE_LINE, k, NOW), 0);
		CHECK_EQ_U(f.log.n, 0);
		CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
		CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MMIO), 0);
		bool ours = k >= strlen("memory_region_ops_write");
		bool named = memmem(WRITE_LINE, k, "'virtio-mmio", 12) != NULL;
		CHECK_EQ_U(stats(&f).bad, ours);
		CHECK_EQ_U(stats(&f).first_bad_line, ours);
		CHECK_EQ_U(stats(&f).lost, named);
		CHECK_EQ_U(f.log.n, named ? 2 : 0);
		if (named && f.log.n == 2)
			check_lost_pair(&f.log, 0, "qemu trace line 1: last line cut short (no newline)");
		fx_close(&f);
	}

	/* The last line is complete, only its newline is missing: parsed. */
	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f, READ_LINE "\n" WRITE_LINE), 0);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 2);
	if (f.log.n == 2)
		check_mmio(&f.log.ev[1], true, 0xfeb02e00u, 0x50, 0, 4, NOW, 0);
	else
		evlog_dump(&f.log, "complete last line without newline");
	CHECK_EQ_U(stats(&f).lines, 2);
	CHECK_EQ_U(stats(&f).lost, 0);
	fx_close(&f);

	/* A last line of other text: nothing lost. */
	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f, WRITE_LINE "\nServicing hardware INT"), 0);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 1);
	CHECK_EQ_U(stats(&f).lost, 0);
	CHECK_EQ_U(stats(&f).bad, 0);
	fx_close(&f);

	/* Nothing pending. */
	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(feed(&f, WRITE_LINE "\n"), 0);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 1);
	CHECK_EQ_U(stats(&f).lines, 1);
	fx_close(&f);
}

/* A text with every kind of line; the last one has no newline. */
static const char mixed_text[] =
	READ_LINE "\n"
	"4711@1700000000.000001:" WRITE_LINE "\n"
	"memory_region_ops_read cpu -1 mr (nil) addr 0xfeb03070 value 0x10f size 1 name 'virtio-mmio'\r\n"
	"\n"
	"memory_region_ops_read cpu 0 mr 0x1 addr 0xcfc value 0x0 size 4 name 'pci-conf-data'\n"
	"Servicing hardware INT=0x08\n"
	"memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 3 name 'virtio-mmio'\n"
	"memory_region_ops_write cpu 0 mr 0x1 addr 0x3f8 value 0x0 size 3 name 'serial'\n"
	"mem\0ry_region_ops_write cpu 0\n"
	"memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e64 value 0x1 size 4 name 'virt\0io-mmio'\n"
	"\x1b[2J\xff\xfe\n"
	"memory_region_ops_write cpu 2 mr 0x1 addr 0xfeb02e64 value 0x1 size 4 name 'virtio-mmio'\n"
	"memory_region_ops_read cpu 0 mr 0x1 addr 0xfeb02e60 value 0x1 size 4 name 'virtio-mm";

static void run_text(struct evlog *log, struct qemu_source_stats *st, const char *text, size_t len,
		     const size_t *cuts, size_t n_cuts)
{
	struct qemu_source_cfg cfg = { .emit = evlog_emit, .ctx = log };
	struct qemu_source *s;
	size_t at = 0;

	if (qemu_source_new(&s, &cfg) != 0) {
		CHECK(!"qemu_source_new failed");
		return;
	}
	for (size_t i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;
		CHECK_EQ_U(qemu_source_feed(s, text + at, end - at, NOW), 0);
		at = end;
	}
	CHECK_EQ_U(qemu_source_end(s, NOW), 0);
	qemu_source_get_stats(s, st);
	qemu_source_free(s);
}

static bool stats_equal(const struct qemu_source_stats *a, const struct qemu_source_stats *b)
{
	return a->lines == b->lines && a->accesses == b->accesses && a->other == b->other && a->bad == b->bad &&
	       a->lost == b->lost && a->first_bad_line == b->first_bad_line &&
	       strcmp(a->first_bad_why, b->first_bad_why) == 0 && a->devices == b->devices;
}

static void test_chunking(void)
{
	size_t len = sizeof(mixed_text) - 1;
	struct evlog ref = { 0 }, got = { 0 };
	struct qemu_source_stats ref_st, st;
	size_t *cuts = malloc(len * sizeof(*cuts));

	if (!cuts)
		return;
	run_text(&ref, &ref_st, mixed_text, len, NULL, 0);
	/* What the whole text gives, checked once. */
	CHECK_EQ_U(evlog_count(&ref, VMT_EV_MMIO), 4);
	/* Lost: only line 7 (a NUL inside the name hides it, the last line
	 * is cut before the name ends). */
	CHECK_EQ_U(evlog_count(&ref, VMT_EV_LOST), 1);
	CHECK_EQ_U(ref_st.lines, 13);
	CHECK_EQ_U(ref_st.accesses, 4);
	CHECK_EQ_U(ref_st.bad, 4);
	CHECK_EQ_U(ref_st.lost, 1);
	CHECK_EQ_U(ref_st.first_bad_line, 7);
	CHECK_EQ_U(ref_st.devices, 2);
	if (ref.n >= 3) {
		CHECK_EQ_U(ref.ev[1].ts_ns, UINT64_C(1700000000000001000));
		CHECK_EQ_U(ref.ev[2].value, 0x0f);
		CHECK_EQ_U(ref.ev[2].vcpu, UINT16_MAX);
	}

	/* One byte at a time. */
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	run_text(&got, &st, mixed_text, len, cuts, len - 1);
	CHECK(evlog_equal(&ref, &got));
	CHECK(stats_equal(&ref_st, &st));

	/* Every two-way split, empty halves included. */
	for (size_t k = 0; k <= len; k++) {
		evlog_clear(&got);
		run_text(&got, &st, mixed_text, len, &k, 1);
		if (!evlog_equal(&ref, &got) || !stats_equal(&ref_st, &st)) {
			fprintf(stderr, "    split at %zu differs\n", k);
			CHECK(!"two-way split gives the same events");
			break;
		}
	}
	/* Every three-way split around each newline. */
	for (size_t k = 0; k < len; k++) {
		if (mixed_text[k] != '\n')
			continue;
		size_t two[2] = { k, k + 1 };
		evlog_clear(&got);
		run_text(&got, &st, mixed_text, len, two, 2);
		CHECK(evlog_equal(&ref, &got));
	}
	evlog_release(&ref);
	evlog_release(&got);
	free(cuts);
}

static void test_emit_errors(void)
{
	struct fixture f;

	/* Error on an access event. */
	if (!fx_open(&f, NULL))
		return;
	f.log.fail_at = 2;
	f.log.fail_rc = -EIO;
	CHECK_EQ_U(feed(&f, READ_LINE "\n"), 0);
	CHECK_EQ_U(feed(&f, WRITE_LINE "\n"), (uint64_t)-EIO);
	/* The source goes on with the next text. */
	CHECK_EQ_U(feed(&f, READ_LINE "\n"), 0);
	CHECK_EQ_U(f.log.n, 2);
	fx_close(&f);

	/* Error on the marker, then on the lost record of a bad line. */
	for (size_t at = 1; at <= 2; at++) {
		if (!fx_open(&f, NULL))
			return;
		f.log.fail_at = at;
		f.log.fail_rc = -ENOSPC;
		CHECK_EQ_U(feed(&f, "memory_region_ops_write cpu 0 addr 0x0 value 0x0 size 3 name 'virtio-mmio'\n"),
			   (uint64_t)-ENOSPC);
		CHECK_EQ_U(f.log.calls, at);
		fx_close(&f);
	}

	/* Error from the end of the output. */
	if (!fx_open(&f, NULL))
		return;
	f.log.fail_at = 1;
	f.log.fail_rc = -EPIPE;
	CHECK_EQ_U(feed(&f, "memory_region_ops_write cpu 0 addr 0x0 value 0x0 size 4 name 'virtio-mmio"), 0);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), (uint64_t)-EPIPE);
	fx_close(&f);

	/* A positive return from emit is not an error. */
	if (!fx_open(&f, NULL))
		return;
	f.log.fail_at = 1;
	f.log.fail_rc = 1;
	CHECK_EQ_U(feed(&f, READ_LINE "\n" WRITE_LINE "\n"), 0);
	CHECK_EQ_U(f.log.calls, 2);
	fx_close(&f);
}

/* --- with guest RAM: ring snapshots come before the triggering access --- */

#define RAM_SIZE (UINT64_C(1) << 20)
#define RING_GPA UINT64_C(0x10000)
#define BUF_GPA UINT64_C(0x40000)
#define QN 8u

static void line_acc(char *out, size_t len, bool write, uint32_t off, uint64_t value)
{
	snprintf(out, len, "%s cpu 0 mr 0x1 addr 0x%llx value 0x%llx size 4 name 'virtio-mmio'\n",
		 write ? "memory_region_ops_write" : "memory_region_ops_read",
		 (unsigned long long)(0xfeb02e00u + off), (unsigned long long)value);
}

static int feed_acc(struct fixture *f, bool write, uint32_t off, uint64_t value)
{
	char line[256];

	line_acc(line, sizeof(line), write, off, value);
	return feed(f, line);
}

/* RAM_SIZE bytes of guest RAM (*gm, seen as *ram) with a modern split
 * ring of QN entries at RING_GPA (*rb), and a source *f reading that RAM.
 * False (a failed check) if any of it cannot be set up. */
static bool ram_open(struct guest_mem *gm, struct guest_ram *ram, struct ring_builder *rb, struct fixture *f)
{
	if (gmem_init(gm, 0, RAM_SIZE) != 0) {
		CHECK(!"gmem_init failed");
		return false;
	}
	guest_ram_wrap(ram, gm->ram, RAM_SIZE, RAM_SIZE);
	if (rb_init_modern(rb, gm, QN, RING_GPA) != 0 || !fx_open(f, ram)) {
		CHECK(!"set-up failed");
		gmem_release(gm);
		return false;
	}
	return true;
}

static void ram_close(struct guest_mem *gm, struct ring_builder *rb, struct fixture *f)
{
	fx_close(f);
	rb_release(rb);
	gmem_release(gm);
}

/* The driver's set-up of queue 0 with rb's ring, each access fed and
 * checked: Version read, QueueSel, QueueNum, the ring's addresses (with
 * high: their high halves too), QueueReady. */
static void queue_setup(struct fixture *f, const struct ring_builder *rb, bool high)
{
	CHECK_EQ_U(feed_acc(f, false, MMIO_VERSION, 2), 0);
	CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_SEL, 0), 0);
	CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_NUM, QN), 0);
	CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_DESC_LOW, rb->desc), 0);
	if (high)
		CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_DESC_HIGH, 0), 0);
	CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_DRIVER_LOW, rb->avail), 0);
	if (high)
		CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_DRIVER_HIGH, 0), 0);
	CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_DEVICE_LOW, rb->used), 0);
	if (high)
		CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_DEVICE_HIGH, 0), 0);
	CHECK_EQ_U(feed_acc(f, true, MMIO_QUEUE_READY, 1), 0);
}

static void test_snapshots(void)
{
	struct guest_mem gm;
	struct guest_ram ram;
	struct ring_builder rb;
	struct fixture f;

	if (!ram_open(&gm, &ram, &rb, &f))
		return;
	memset(gm.ram + BUF_GPA, 0x5a, 64);
	queue_setup(&f, &rb, true);
	CHECK_EQ_U(f.log.n, 10);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MEM), 0);

	struct rb_seg seg = { BUF_GPA, 64, false };
	CHECK(rb_submit(&rb, &seg, 1) == 0);
	evlog_clear(&f.log);
	/* A 2-byte notify is not a notify the snapshotter follows. */
	char line[256];
	snprintf(line, sizeof(line),
		 "memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 2 name 'virtio-mmio'\n");
	CHECK_EQ_U(feed(&f, line), 0);
	CHECK_EQ_U(f.log.n, 1);
	evlog_clear(&f.log);
	/* The notify, with its own timestamp. */
	CHECK_EQ_U(feed(&f, "99@5.000001:memory_region_ops_write cpu 1 mr 0x1 addr 0xfeb02e50 value 0x0 size 4 "
			    "name 'virtio-mmio'\n"), 0);
	/* desc table, the buffer, avail ring, then the notify itself */
	CHECK_EQ_U(f.log.n, 4);
	if (f.log.n == 4) {
		for (size_t i = 0; i < 3; i++) {
			CHECK_EQ_U(f.log.ev[i].type, VMT_EV_MEM);
			CHECK_EQ_U(f.log.ev[i].source, VMT_SRC_QEMU);
			CHECK_EQ_U(f.log.ev[i].ts_ns, UINT64_C(5000001000));
			CHECK_EQ_U(f.log.ev[i].flags, VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT);
			CHECK(memcmp(f.log.ev[i].data, gm.ram + f.log.ev[i].addr, f.log.ev[i].len) == 0);
		}
		CHECK_EQ_U(f.log.ev[0].addr, rb.desc);
		CHECK_EQ_U(f.log.ev[1].addr, BUF_GPA);
		CHECK_EQ_U(f.log.ev[1].len, 64);
		CHECK_EQ_U(f.log.ev[2].addr, rb.avail);
		check_mmio(&f.log.ev[3], true, 0xfeb02e00u, MMIO_QUEUE_NOTIFY, 0, 4, UINT64_C(5000001000), 1);
	} else {
		evlog_dump(&f.log, "notify");
	}
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.snapshots, 1);
	/* Bytes copied: what was emitted, plus the used ring read to look
	 * for new used entries (none yet). */
	CHECK_EQ_U(st.snapshot_bytes, evlog_mem_bytes(&f.log) + virtq_used_bytes(QN));

	/* Device uses the chain; the driver reads InterruptStatus. */
	uint8_t e[8];
	le32_put(e, 0);
	le32_put(e + 4, 0);
	gmem_write(&gm, GMEM_DEVICE, rb.used + 4, e, 8);
	le16_put(e, 1);
	gmem_write(&gm, GMEM_DEVICE, rb.used + 2, e, 2);
	evlog_clear(&f.log);
	CHECK_EQ_U(feed_acc(&f, false, MMIO_INTERRUPT_STATUS, 1), 0);
	CHECK_EQ_U(f.log.n, 2);
	if (f.log.n == 2) {
		CHECK_EQ_U(f.log.ev[0].type, VMT_EV_MEM);
		CHECK_EQ_U(f.log.ev[0].addr, rb.used);
		CHECK_EQ_U(f.log.ev[0].len, virtq_used_bytes(QN));
		check_mmio(&f.log.ev[1], false, 0xfeb02e00u, MMIO_INTERRUPT_STATUS, 1, 4, NOW, 0);
	}
	CHECK_EQ_U(stats(&f).snapshots, 2);

	/* An emit error inside a snapshot reaches the caller of feed. */
	CHECK(rb_submit(&rb, &seg, 1) >= 0);
	evlog_clear(&f.log);
	f.log.fail_at = 2;
	f.log.fail_rc = -EIO;
	CHECK_EQ_U(feed_acc(&f, true, MMIO_QUEUE_NOTIFY, 0), (uint64_t)-EIO);
	CHECK_EQ_U(f.log.n, 1);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MMIO), 0);

	ram_close(&gm, &rb, &f);
}

/* --- QEMU's virtio events: pointers mapped from QueueNotify, reports --- */

#define VDEV_A "0x55653683e800"
#define VQ_A0 "0x7f3d1de93010"
#define VDEV_B "0x556536a5c5b0"
#define VQ_B1 "0x7f3d1c69b010"
#define ELEM1 "0x7f3cc00e9800"

/* Thread tid writes value to QueueNotify of the window at base. */
static int feed_notify_write(struct fixture *f, unsigned tid, uint64_t base, unsigned value)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "%u@10.000001:memory_region_ops_write cpu 0 mr 0x1 addr 0x%llx value 0x%x size 4 name 'virtio-mmio'\n",
		 tid, (unsigned long long)(base + MMIO_QUEUE_NOTIFY), value);
	return feed(f, line);
}

/* Thread tid kicks queue qi of the window at base and QEMU's notify line
 * of that thread names it (vdev, vq): both lines fed and checked.  The
 * pair that maps vdev and vq to the window and queue. */
static void map_queue(struct fixture *f, unsigned tid, uint64_t base, unsigned qi, const char *vdev, const char *vq)
{
	char line[256];

	CHECK_EQ_U(feed_notify_write(f, tid, base, qi), 0);
	snprintf(line, sizeof(line), "%u@10.000002:virtio_queue_notify vdev %s n %u vq %s\n", tid, vdev, qi, vq);
	CHECK_EQ_U(feed(f, line), 0);
}

static void check_queue(const struct vmt_event *e, uint64_t base, uint64_t qi, enum vmt_queue_step step,
			uint64_t token, uint64_t arg0, uint64_t arg1)
{
	struct vmt_queue_report q = { 0 };

	CHECK_EQ_U(e->type, VMT_EV_QUEUE);
	CHECK_EQ_U(e->source, VMT_SRC_QEMU);
	CHECK_EQ_U(e->base, base);
	CHECK_EQ_U(e->addr, qi);
	CHECK_EQ_U(e->value, step);
	CHECK_EQ_U(e->len, VMT_QUEUE_REPORT_BYTES);
	CHECK_EQ_U(vmt_queue_report_decode(&q, e->data, e->len), 0);
	CHECK_EQ_U(q.token, token);
	CHECK_EQ_U(q.arg0, arg0);
	CHECK_EQ_U(q.arg1, arg1);
}

/* The boot sample's sequence: notify write, notify line, pop, blk read
 * on the vCPU thread; fill and flush on the I/O thread. */
static void test_virtio_reports(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed_notify_write(&f, 4844, 0xfeb02e00u, 0), 0);
	CHECK_EQ_U(feed(&f, "4844@1796466798.491909:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"
			    "4844@1796466798.491935:virtqueue_pop vq " VQ_A0 " elem " ELEM1 " in_num 2 out_num 1\n"
			    "4844@1796466798.491939:virtio_blk_handle_read vdev " VDEV_A " req " ELEM1
			    " sector 0 nsectors 8\n"
			    "4842@1796466798.492143:virtio_blk_rw_complete vdev " VDEV_A " req " ELEM1 " ret 0\n"
			    "4842@1796466798.492153:virtqueue_fill vq " VQ_A0 " elem " ELEM1 " len 4097 idx 0\n"
			    "4842@1796466798.492158:virtqueue_flush vq " VQ_A0 " count 1\n"), 0);
	CHECK_EQ_U(f.log.n, 5);
	if (f.log.n == 5) {
		CHECK_EQ_U(f.log.ev[0].type, VMT_EV_MMIO);
		check_queue(&f.log.ev[1], 0xfeb02e00u, 0, VMT_QSTEP_POP, UINT64_C(0x7f3cc00e9800), 2, 1);
		CHECK_EQ_U(f.log.ev[1].ts_ns, UINT64_C(1796466798491935000));
		check_queue(&f.log.ev[2], 0xfeb02e00u, 0, VMT_QSTEP_BLK_READ, UINT64_C(0x7f3cc00e9800), 0, 8);
		check_queue(&f.log.ev[3], 0xfeb02e00u, 0, VMT_QSTEP_FILL, UINT64_C(0x7f3cc00e9800), 4097, 0);
		check_queue(&f.log.ev[4], 0xfeb02e00u, 0, VMT_QSTEP_FLUSH, 0, 1, 0);
		CHECK_EQ_U(f.log.ev[4].ts_ns, UINT64_C(1796466798492158000));
	} else {
		evlog_dump(&f.log, "reports");
	}
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.reports, 4);
	CHECK_EQ_U(st.notifies, 1);
	CHECK_EQ_U(st.notifies_unmatched, 0);
	CHECK_EQ_U(st.queues_mapped, 1);
	CHECK_EQ_U(st.reports_unmapped, 0);
	CHECK_EQ_U(st.bad, 0);
	CHECK_EQ_U(st.other, 1);
	CHECK_EQ_U(st.pop_snapshots, 0); /* no guest RAM */

	/* A blk write on a request whose pop was not seen: not emitted. */
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "virtio_blk_handle_write vdev " VDEV_A " req 0x1234 sector 2048 nsectors 1\n"), 0);
	CHECK_EQ_U(f.log.n, 0);
	CHECK_EQ_U(stats(&f).reports_no_pop, 1);
	/* The element was filled: its token is forgotten too. */
	CHECK_EQ_U(feed(&f, "virtio_blk_handle_write vdev " VDEV_A " req " ELEM1 " sector 2048 nsectors 1\n"), 0);
	CHECK_EQ_U(f.log.n, 0);
	CHECK_EQ_U(stats(&f).reports_no_pop, 2);
	/* A popped element, then a device reset (Status 0): forgotten. */
	CHECK_EQ_U(feed(&f, "virtqueue_pop vq " VQ_A0 " elem 0x42 in_num 1 out_num 1\n"
			    "memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e70 value 0x0 size 4 name 'virtio-mmio'\n"
			    "virtio_blk_handle_write vdev " VDEV_A " req 0x42 sector 1 nsectors 1\n"), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 1);
	CHECK_EQ_U(stats(&f).reports_no_pop, 3);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	fx_close(&f);
}

/* A notify line maps pointers only right after its own thread's write of
 * the same queue index; anything else leaves them unknown, and reports on
 * unknown pointers are counted, not emitted. */
static void test_virtio_mapping_thread(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	/* Another thread's notify line. */
	CHECK_EQ_U(feed_notify_write(&f, 10, 0xfeb02e00u, 0), 0);
	CHECK_EQ_U(feed(&f, "11@10.000002:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	/* Another queue index than written. */
	CHECK_EQ_U(feed_notify_write(&f, 12, 0xfeb02e00u, 1), 0);
	CHECK_EQ_U(feed(&f, "12@10.000002:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	/* An access of the same thread in between. */
	CHECK_EQ_U(feed_notify_write(&f, 13, 0xfeb02e00u, 0), 0);
	CHECK_EQ_U(feed(&f, "13@10.000002:memory_region_ops_read cpu 0 mr 0x1 addr 0x3f8 value 0x0 size 1 name 'serial'\n"
			    "13@10.000003:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	/* A notify without any write. */
	CHECK_EQ_U(feed(&f, "14@10.000003:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	/* A 2-byte write is not a QueueNotify write. */
	CHECK_EQ_U(feed(&f, "15@10.000001:memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 2 "
			    "name 'virtio-mmio'\n"
			    "15@10.000003:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.notifies, 5);
	CHECK_EQ_U(st.notifies_unmatched, 5);
	CHECK_EQ_U(st.queues_mapped, 0);
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "virtqueue_pop vq " VQ_A0 " elem " ELEM1 " in_num 2 out_num 1\n"
			    "virtio_blk_handle_read vdev " VDEV_A " req " ELEM1 " sector 0 nsectors 8\n"
			    "virtqueue_fill vq " VQ_A0 " elem " ELEM1 " len 1 idx 0\n"
			    "virtqueue_flush vq " VQ_A0 " count 1\n"), 0);
	CHECK_EQ_U(f.log.n, 0);
	st = stats(&f);
	CHECK_EQ_U(st.reports, 0);
	CHECK_EQ_U(st.reports_unmapped, 4);

	/* Other text of the thread in between does not break the pair (a
	 * user's own -trace events). */
	CHECK_EQ_U(feed_notify_write(&f, 16, 0xfeb02e00u, 0), 0);
	CHECK_EQ_U(feed(&f, "16@10.000002:virtio_mmio_queue_write value 0x0 max 0x100\n"
			    "16@10.000003:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"
			    "virtqueue_flush vq " VQ_A0 " count 2\n"), 0);
	CHECK_EQ_U(stats(&f).queues_mapped, 1);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 1);
	fx_close(&f);
}

/* Two vCPU threads kick two devices, their lines interleaved: each notify
 * line pairs with its own thread's write. */
static void test_virtio_two_threads(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed_notify_write(&f, 21, 0xfeb02e00u, 0), 0);
	CHECK_EQ_U(feed_notify_write(&f, 22, 0xfeb02c00u, 1), 0);
	CHECK_EQ_U(feed(&f, "22@10.000002:virtio_queue_notify vdev " VDEV_B " n 1 vq " VQ_B1 "\n"
			    "21@10.000002:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"
			    "22@10.000003:virtqueue_pop vq " VQ_B1 " elem 0x1000 in_num 1 out_num 0\n"
			    "21@10.000003:virtqueue_pop vq " VQ_A0 " elem 0x2000 in_num 2 out_num 1\n"
			    "21@10.000004:virtio_blk_handle_write vdev " VDEV_A " req 0x2000 sector 7 nsectors 2\n"
			    "30@10.000005:virtqueue_fill vq " VQ_B1 " elem 0x1000 len 64 idx 0\n"), 0);
	CHECK_EQ_U(f.log.n, 6);
	if (f.log.n == 6) {
		check_queue(&f.log.ev[2], 0xfeb02c00u, 1, VMT_QSTEP_POP, 0x1000, 1, 0);
		check_queue(&f.log.ev[3], 0xfeb02e00u, 0, VMT_QSTEP_POP, 0x2000, 2, 1);
		check_queue(&f.log.ev[4], 0xfeb02e00u, 0, VMT_QSTEP_BLK_WRITE, 0x2000, 7, 2);
		check_queue(&f.log.ev[5], 0xfeb02c00u, 1, VMT_QSTEP_FILL, 0x1000, 64, 0);
	} else {
		evlog_dump(&f.log, "two threads");
	}
	/* A blk report naming one device with the element of another: no. */
	CHECK_EQ_U(feed(&f, "22@10.000006:virtqueue_pop vq " VQ_B1 " elem 0x3000 in_num 1 out_num 0\n"
			    "22@10.000007:virtio_blk_handle_read vdev " VDEV_A " req 0x3000 sector 0 nsectors 1\n"), 0);
	CHECK_EQ_U(stats(&f).reports_no_pop, 1);
	CHECK_EQ_U(stats(&f).queues_mapped, 2);
	fx_close(&f);
}

/* A pointer seen for two queues or devices is not trusted from then on;
 * the maps are bounded. */
static void test_virtio_conflicts_and_bounds(void)
{
	struct fixture f;
	char line[256];

	if (!fx_open(&f, NULL))
		return;
	map_queue(&f, 1, 0xfeb02e00u, 0, VDEV_A, VQ_A0);
	/* The same vq for queue 1 of the same device. */
	map_queue(&f, 1, 0xfeb02e00u, 1, VDEV_A, VQ_A0);
	/* The same vdev for another device. */
	map_queue(&f, 1, 0xfeb02c00u, 0, VDEV_A, VQ_B1);
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.map_conflicts, 2);
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "virtqueue_flush vq " VQ_A0 " count 1\n"
			    "virtqueue_pop vq " VQ_B1 " elem 0x10 in_num 1 out_num 1\n"
			    "virtio_blk_handle_read vdev " VDEV_A " req 0x10 sector 0 nsectors 1\n"), 0);
	/* Only the pop on the trusted vq. */
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 1);
	CHECK_EQ_U(stats(&f).reports_unmapped, 2);
	/* A conflict is counted once per pointer. */
	map_queue(&f, 1, 0xfeb02e00u, 2, VDEV_A, VQ_A0);
	CHECK_EQ_U(stats(&f).map_conflicts, 2);
	fx_close(&f);

	/* Devices: QEMU_SOURCE_VDEVS_MAX mapped, the next one refused. */
	if (!fx_open(&f, NULL))
		return;
	for (unsigned i = 0; i <= QEMU_SOURCE_VDEVS_MAX; i++) {
		char vdev[16], vq[16];
		snprintf(vdev, sizeof(vdev), "0x%x", 0x1000 + i);
		snprintf(vq, sizeof(vq), "0x%x", 0x9000 + i);
		map_queue(&f, 1, UINT64_C(0x10000000) + (uint64_t)i * 0x200, 0, vdev, vq);
	}
	st = stats(&f);
	CHECK_EQ_U(st.map_full, 1);
	CHECK_EQ_U(st.queues_mapped, QEMU_SOURCE_VDEVS_MAX + 1);
	/* The device past the bound has its queue mapped but no vdev: a blk
	 * report on it is unmapped. */
	snprintf(line, sizeof(line), "virtqueue_pop vq 0x%x elem 0x5 in_num 1 out_num 1\n"
		 "virtio_blk_handle_read vdev 0x%x req 0x5 sector 0 nsectors 1\n",
		 0x9000 + QEMU_SOURCE_VDEVS_MAX, 0x1000 + QEMU_SOURCE_VDEVS_MAX);
	CHECK_EQ_U(feed(&f, line), 0);
	CHECK_EQ_U(stats(&f).reports_unmapped, 1);
	fx_close(&f);

	/* Threads with a notify write pending: QEMU_SOURCE_THREADS_MAX. */
	if (!fx_open(&f, NULL))
		return;
	for (unsigned i = 0; i <= QEMU_SOURCE_THREADS_MAX; i++)
		CHECK_EQ_U(feed_notify_write(&f, 100 + i, 0xfeb02e00u, 0), 0);
	CHECK_EQ_U(stats(&f).map_full, 1);
	/* A thread done with its notify frees its slot. */
	CHECK_EQ_U(feed(&f, "100@10.000002:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	map_queue(&f, 500, 0xfeb02c00u, 1, VDEV_B, VQ_B1);
	CHECK_EQ_U(stats(&f).map_full, 1);
	CHECK_EQ_U(stats(&f).queues_mapped, 2);
	fx_close(&f);

	/* In-flight elements: QEMU_SOURCE_INFLIGHT_MAX remembered. */
	if (!fx_open(&f, NULL))
		return;
	map_queue(&f, 1, 0xfeb02e00u, 0, VDEV_A, VQ_A0);
	for (unsigned i = 0; i <= QEMU_SOURCE_INFLIGHT_MAX; i++) {
		snprintf(line, sizeof(line), "virtqueue_pop vq " VQ_A0 " elem 0x%x in_num 1 out_num 1\n", 0x100000 + i);
		CHECK_EQ_U(feed(&f, line), 0);
	}
	CHECK_EQ_U(stats(&f).map_full, 1);
	CHECK_EQ_U(stats(&f).reports, QEMU_SOURCE_INFLIGHT_MAX + 1); /* the pops are all reported */
	snprintf(line, sizeof(line), "virtio_blk_handle_read vdev " VDEV_A " req 0x%x sector 0 nsectors 1\n"
		 "virtio_blk_handle_read vdev " VDEV_A " req 0x%x sector 0 nsectors 1\n",
		 0x100000 + QEMU_SOURCE_INFLIGHT_MAX - 1, 0x100000 + QEMU_SOURCE_INFLIGHT_MAX);
	CHECK_EQ_U(feed(&f, line), 0);
	CHECK_EQ_U(stats(&f).reports_no_pop, 1);
	fx_close(&f);
}

/* A malformed virtio line is a bad line with a marker, not a lost
 * register access. */
static void test_virtio_bad_lines(void)
{
	struct fixture f;

	if (!fx_open(&f, NULL))
		return;
	CHECK_EQ_U(feed(&f, "virtqueue_pop vq 0x1 elem 0x2 in_num 2\n"
			    "virtqueue_flush vq 0x1 count 1"), 0);
	/* The last line has no newline: its number may be cut. */
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	struct qemu_source_stats st = stats(&f);
	CHECK_EQ_U(st.bad, 2);
	CHECK_EQ_U(st.lost, 0);
	CHECK_EQ_U(st.first_bad_line, 1);
	CHECK(strstr(st.first_bad_why, "out_num") != NULL);
	/* A marker for each, no lost event. */
	CHECK_EQ_U(f.log.n, 2);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MARKER), 2);
	if (f.log.n == 2) {
		CHECK_STR(marker_text(&f.log, 0), "qemu trace line 1: bad 'out_num' field (a queue report not recorded)");
		CHECK_STR(marker_text(&f.log, 1),
			  "qemu trace line 2: last line cut short (no newline) (a queue report not recorded)");
	}
	fx_close(&f);
}

/* A pop copies its queue's new chains first: the copies precede the pop. */
static void test_virtio_pop_copies(void)
{
	struct guest_mem gm;
	struct guest_ram ram;
	struct ring_builder rb;
	struct fixture f;

	if (!ram_open(&gm, &ram, &rb, &f))
		return;
	queue_setup(&f, &rb, false);
	/* The notify that maps the pointers (the ring is still empty). */
	CHECK_EQ_U(feed(&f, "7@10.000001:memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02e50 value 0x0 size 4 "
			    "name 'virtio-mmio'\n"
			    "7@10.000002:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	CHECK_EQ_U(stats(&f).queues_mapped, 1);
	/* The driver makes a chain available after the notify was read
	 * (the device pops it later, from its own thread). */
	memset(gm.ram + BUF_GPA, 0x77, 32);
	struct rb_seg seg = { BUF_GPA, 32, false };
	CHECK(rb_submit(&rb, &seg, 1) == 0);
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "8@10.000005:virtqueue_pop vq " VQ_A0 " elem " ELEM1 " in_num 0 out_num 1\n"), 0);
	/* desc table, the buffer, avail ring, then the pop */
	CHECK_EQ_U(f.log.n, 4);
	if (f.log.n == 4) {
		for (size_t i = 0; i < 3; i++) {
			CHECK_EQ_U(f.log.ev[i].type, VMT_EV_MEM);
			CHECK_EQ_U(f.log.ev[i].ts_ns, UINT64_C(10000005000));
		}
		CHECK_EQ_U(f.log.ev[1].addr, BUF_GPA);
		CHECK(memcmp(f.log.ev[1].data, gm.ram + BUF_GPA, 32) == 0);
		CHECK_EQ_U(f.log.ev[2].addr, rb.avail);
		check_queue(&f.log.ev[3], 0xfeb02e00u, 0, VMT_QSTEP_POP, UINT64_C(0x7f3cc00e9800), 0, 1);
	} else {
		evlog_dump(&f.log, "pop");
	}
	CHECK_EQ_U(stats(&f).pop_snapshots, 1);
	/* Nothing new: a second pop copies no chain again. */
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "8@10.000006:virtqueue_pop vq " VQ_A0 " elem 0x99 in_num 0 out_num 1\n"), 0);
	CHECK_EQ_U(f.log.n, 1);
	/* An emit error of the copy reaches the caller; no pop emitted. */
	CHECK(rb_submit(&rb, &seg, 1) >= 0);
	evlog_clear(&f.log);
	f.log.fail_at = 2;
	f.log.fail_rc = -EIO;
	CHECK_EQ_U(feed(&f, "8@10.000007:virtqueue_pop vq " VQ_A0 " elem 0x98 in_num 0 out_num 1\n"), (uint64_t)-EIO);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 0);
	ram_close(&gm, &rb, &f);
}

int main(void)
{
	RUN(test_real_lines);
	RUN(test_fields);
	RUN(test_base_offset);
	RUN(test_other_regions);
	RUN(test_bad_lines);
	RUN(test_long_lines);
	RUN(test_cut_at_end);
	RUN(test_chunking);
	RUN(test_emit_errors);
	RUN(test_snapshots);
	RUN(test_virtio_reports);
	RUN(test_virtio_mapping_thread);
	RUN(test_virtio_two_threads);
	RUN(test_virtio_conflicts_and_bounds);
	RUN(test_virtio_bad_lines);
	RUN(test_virtio_pop_copies);
	return harness_finish("test_qemu_source");
}
