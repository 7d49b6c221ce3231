/* qemu_source: used entries the device publishes are copied even when the
 * driver never touches a register for them (issue 13: a virtio-input
 * keyboard's last events, taken by an interrupt handler already running,
 * with EVENT_IDX suppressing the interrupt that would have made the
 * driver read InterruptStatus).  At a virtqueue_flush line the queue is
 * copied (new chains and the avail ring first, then the used buffer bytes
 * and the used ring) before the flush report;
 * if QEMU had not stored the used idx yet, the copy is taken again at the
 * flushing thread's next line, at a quiet spell (qemu_source_idle), and
 * at the end (qemu_source_end copies every live queue: guest RAM
 * outlives QEMU); a device reset (Status 0) copies its live queues
 * before they are forgotten. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "capture/emu/guest_mem.h"
#include "capture/qemu/guest_ram.h"
#include "capture/qemu/qemu_source.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/qemu_unit/evlog.h"
#include "tests/ring_builder.h"

#define NOW UINT64_C(777000)
#define RAM_SIZE (UINT64_C(1) << 20)
#define RING_GPA UINT64_C(0x10000)
#define BUF_GPA UINT64_C(0x40000)
#define QN 8u
#define BASE UINT64_C(0xfeb02e00)
#define VDEV_A "0x55653683e800"
#define VQ_A0 "0x7f3d1de93010"
#define EVENT_BYTES 8u /* a virtio_input_event */

struct fixture {
	struct guest_mem gm;
	struct guest_ram ram;
	struct ring_builder rb;
	struct qemu_source *src;
	struct evlog log;
	uint16_t used_idx; /* the device's, as stored in RAM */
	unsigned elem;     /* next element token */
};

static int feed(struct fixture *f, const char *text)
{
	return qemu_source_feed(f->src, text, strlen(text), NOW);
}

/* A register access by thread tid. */
static int feed_acc(struct fixture *f, uint32_t tid, bool write, uint32_t off, uint64_t value)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "%u@10.000001:%s cpu 0 mr 0x1 addr 0x%llx value 0x%llx size 4 name 'virtio-mmio'\n", tid,
		 write ? "memory_region_ops_write" : "memory_region_ops_read", (unsigned long long)(BASE + off),
		 (unsigned long long)value);
	return feed(f, line);
}

static struct qemu_source_stats stats(const struct fixture *f)
{
	struct qemu_source_stats st;

	qemu_source_get_stats(f->src, &st);
	return st;
}

/* A modern device with queue 0 of QN entries live and QEMU's pointers
 * mapped (thread 7's notify). */
static bool fx_open(struct fixture *f)
{
	struct qemu_source_cfg cfg = { .emit = evlog_emit, .ctx = &f->log, .ram = &f->ram };

	memset(f, 0, sizeof(*f));
	if (gmem_init(&f->gm, 0, RAM_SIZE) != 0) {
		CHECK(!"gmem_init failed");
		return false;
	}
	guest_ram_wrap(&f->ram, f->gm.ram, RAM_SIZE, RAM_SIZE);
	if (rb_init_modern(&f->rb, &f->gm, QN, RING_GPA) != 0 || qemu_source_new(&f->src, &cfg) != 0) {
		CHECK(!"set-up failed");
		return false;
	}
	CHECK_EQ_U(feed_acc(f, 7, false, MMIO_VERSION, 2), 0);
	CHECK_EQ_U(feed_acc(f, 7, true, MMIO_QUEUE_SEL, 0), 0);
	CHECK_EQ_U(feed_acc(f, 7, true, MMIO_QUEUE_NUM, QN), 0);
	CHECK_EQ_U(feed_acc(f, 7, true, MMIO_QUEUE_DESC_LOW, f->rb.desc), 0);
	CHECK_EQ_U(feed_acc(f, 7, true, MMIO_QUEUE_DRIVER_LOW, f->rb.avail), 0);
	CHECK_EQ_U(feed_acc(f, 7, true, MMIO_QUEUE_DEVICE_LOW, f->rb.used), 0);
	CHECK_EQ_U(feed_acc(f, 7, true, MMIO_QUEUE_READY, 1), 0);
	CHECK_EQ_U(feed_acc(f, 7, true, MMIO_QUEUE_NOTIFY, 0), 0);
	CHECK_EQ_U(feed(f, "7@10.000002:virtio_queue_notify vdev " VDEV_A " n 0 vq " VQ_A0 "\n"), 0);
	CHECK_EQ_U(stats(f).queues_mapped, 1);
	f->elem = 0x1000;
	return true;
}

static void fx_close(struct fixture *f)
{
	qemu_source_free(f->src);
	evlog_release(&f->log);
	rb_release(&f->rb);
	gmem_release(&f->gm);
}

/* The driver offers an 8-byte writable buffer at buf; QEMU's thread 8
 * pops it (copied then: chain and avail ring).  Returns the head. */
static uint16_t offer_and_pop(struct fixture *f, uint64_t buf)
{
	struct rb_seg seg = { buf, EVENT_BYTES, true };
	char line[160];
	int head = rb_submit(&f->rb, &seg, 1);

	CHECK(head >= 0);
	snprintf(line, sizeof(line), "8@10.000003:virtqueue_pop vq " VQ_A0 " elem 0x%x in_num 1 out_num 0\n", f->elem);
	CHECK_EQ_U(feed(f, line), 0);
	return (uint16_t)(head < 0 ? 0 : head);
}

/* The device stores its used idx. */
static void device_store_idx(struct fixture *f)
{
	uint8_t b[2];

	le16_put(b, f->used_idx);
	gmem_write(&f->gm, GMEM_DEVICE, f->rb.used + 2, b, 2);
}

/* The device writes event bytes ev into buf and the used entry of head;
 * the used idx is stored only if store_idx. */
static void device_use(struct fixture *f, uint64_t buf, uint16_t head, uint8_t ev, bool store_idx)
{
	uint8_t b[EVENT_BYTES];

	memset(b, ev, sizeof(b));
	gmem_write(&f->gm, GMEM_DEVICE, buf, b, sizeof(b));
	le32_put(b, head);
	le32_put(b + 4, EVENT_BYTES);
	gmem_write(&f->gm, GMEM_DEVICE, f->rb.used + 4 + 8u * (f->used_idx % QN), b, 8);
	f->used_idx++;
	if (store_idx)
		device_store_idx(f);
}

/* QEMU's thread 8 reports the fill and the flush of the last pop. */
static void fill_flush(struct fixture *f)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "8@10.000004:virtqueue_fill vq " VQ_A0 " elem 0x%x len 8 idx 0\n"
		 "8@10.000005:virtqueue_flush vq " VQ_A0 " count 1\n", f->elem++);
	CHECK_EQ_U(feed(f, line), 0);
}

/* Index of the MEM event at gpa in the log, or -1. */
static long mem_at(const struct evlog *l, uint64_t gpa)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ev[i].type == VMT_EV_MEM && l->ev[i].addr == gpa)
			return (long)i;
	return -1;
}

/* The log holds the event bytes ev at buf, then a used ring copy whose idx
 * is idx, both before event number before (-1: anywhere). */
static void check_used_copy(const struct fixture *f, uint64_t buf, uint8_t ev, uint16_t idx, long before,
			    const char *what)
{
	long b = mem_at(&f->log, buf), u = mem_at(&f->log, f->rb.used);
	uint8_t want[EVENT_BYTES];

	memset(want, ev, sizeof(want));
	CHECK(b >= 0 && u > b);
	if (before >= 0)
		CHECK(u < before);
	if (b >= 0) {
		CHECK_EQ_U(f->log.ev[b].len, EVENT_BYTES);
		CHECK(memcmp(f->log.ev[b].data, want, EVENT_BYTES) == 0);
	}
	if (u >= 0)
		CHECK_EQ_U(le16_get(f->log.ev[u].data + 2), idx);
	if (b < 0 || u <= b)
		evlog_dump(&f->log, what);
}

/* Index of the first QUEUE event of step, or -1. */
static long queue_at(const struct evlog *l, uint64_t step)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ev[i].type == VMT_EV_QUEUE && l->ev[i].value == step)
			return (long)i;
	return -1;
}

/* The used idx stored before QEMU's flush line is read: copied at the
 * flush, ahead of the flush report. */
static void test_copy_at_flush(void)
{
	struct fixture f;

	if (!fx_open(&f))
		return;
	uint16_t head = offer_and_pop(&f, BUF_GPA);
	device_use(&f, BUF_GPA, head, 0xa1, true);
	evlog_clear(&f.log);
	fill_flush(&f);
	check_used_copy(&f, BUF_GPA, 0xa1, 1, queue_at(&f.log, VMT_QSTEP_FLUSH), "at flush");
	/* The thread's next line: nothing new, nothing copied again. */
	evlog_clear(&f.log);
	CHECK_EQ_U(feed_acc(&f, 8, false, MMIO_MAGIC_VALUE, 0x74726976), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MEM), 0);
	CHECK_EQ_U(stats(&f).used_snapshots, 2);
	fx_close(&f);
}

/* The used idx stored after the flush line was read: the next line of
 * another thread proves nothing, the flushing thread's next line does. */
static void test_copy_at_next_line(void)
{
	struct fixture f;

	if (!fx_open(&f))
		return;
	uint16_t head = offer_and_pop(&f, BUF_GPA);
	device_use(&f, BUF_GPA, head, 0xb2, false);
	evlog_clear(&f.log);
	fill_flush(&f);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MEM), 0);
	device_store_idx(&f);
	CHECK_EQ_U(feed_acc(&f, 9, false, MMIO_MAGIC_VALUE, 0x74726976), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MEM), 0);
	evlog_clear(&f.log);
	CHECK_EQ_U(feed_acc(&f, 8, false, MMIO_MAGIC_VALUE, 0x74726976), 0);
	check_used_copy(&f, BUF_GPA, 0xb2, 1, (long)f.log.n - 1, "next line");
	CHECK_EQ_U(f.log.ev[f.log.n - 1].type, VMT_EV_MMIO);
	/* Taken once: the line after copies nothing. */
	evlog_clear(&f.log);
	CHECK_EQ_U(feed_acc(&f, 8, false, MMIO_MAGIC_VALUE, 0x74726976), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MEM), 0);
	fx_close(&f);
}

/* Quiet after the flush: qemu_source_idle copies. */
static void test_copy_when_idle(void)
{
	struct fixture f;

	if (!fx_open(&f))
		return;
	uint16_t head = offer_and_pop(&f, BUF_GPA);
	device_use(&f, BUF_GPA, head, 0xc3, false);
	fill_flush(&f);
	device_store_idx(&f);
	evlog_clear(&f.log);
	CHECK_EQ_U(qemu_source_idle(f.src, NOW), 0);
	check_used_copy(&f, BUF_GPA, 0xc3, 1, -1, "idle");
	/* Nothing pending any more. */
	evlog_clear(&f.log);
	CHECK_EQ_U(qemu_source_idle(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 0);
	fx_close(&f);
}

/* An InterruptStatus read copies every queue of its device: the pending
 * copy has nothing left to do and is dropped. */
static void test_status_read_takes_over(void)
{
	struct fixture f;

	if (!fx_open(&f))
		return;
	uint16_t head = offer_and_pop(&f, BUF_GPA);
	device_use(&f, BUF_GPA, head, 0xd4, false);
	fill_flush(&f);
	device_store_idx(&f);
	uint64_t before = stats(&f).used_snapshots;
	evlog_clear(&f.log);
	CHECK_EQ_U(feed_acc(&f, 1, false, MMIO_INTERRUPT_STATUS, 1), 0);
	check_used_copy(&f, BUF_GPA, 0xd4, 1, (long)f.log.n - 1, "status read");
	CHECK_EQ_U(feed_acc(&f, 8, false, MMIO_MAGIC_VALUE, 0x74726976), 0);
	CHECK_EQ_U(stats(&f).used_snapshots, before);
	fx_close(&f);
}

/* Used entries no line announced (QEMU exited right after storing them,
 * or its flush line was lost): the end of the trace copies every live
 * queue. */
static void test_copy_at_end(void)
{
	struct fixture f;

	if (!fx_open(&f))
		return;
	uint16_t h1 = offer_and_pop(&f, BUF_GPA);
	uint16_t h2 = offer_and_pop(&f, BUF_GPA + 0x100);
	device_use(&f, BUF_GPA, h1, 0xe5, true);
	fill_flush(&f);
	CHECK_EQ_U(feed_acc(&f, 8, false, MMIO_MAGIC_VALUE, 0x74726976), 0);
	device_use(&f, BUF_GPA + 0x100, h2, 0xe6, true);
	evlog_clear(&f.log);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	check_used_copy(&f, BUF_GPA + 0x100, 0xe6, 2, -1, "end");
	CHECK_EQ_U(mem_at(&f.log, BUF_GPA), -1); /* copied before, not again */
	CHECK_EQ_U(stats(&f).final_snapshots, 1);
	fx_close(&f);
}

/* A reset (Status 0) copies the device's live queues before forgetting
 * them; the copies precede the reset's own event. */
static void test_copy_at_reset(void)
{
	struct fixture f;

	if (!fx_open(&f))
		return;
	uint16_t head = offer_and_pop(&f, BUF_GPA);
	device_use(&f, BUF_GPA, head, 0xf7, true);
	evlog_clear(&f.log);
	CHECK_EQ_U(feed_acc(&f, 1, true, MMIO_STATUS, 0), 0);
	check_used_copy(&f, BUF_GPA, 0xf7, 1, (long)f.log.n - 1, "reset");
	CHECK_EQ_U(f.log.ev[f.log.n - 1].type, VMT_EV_MMIO);
	/* Forgotten: the end copies nothing of it. */
	device_use(&f, BUF_GPA, head, 0xf8, true);
	evlog_clear(&f.log);
	CHECK_EQ_U(qemu_source_end(f.src, NOW), 0);
	CHECK_EQ_U(f.log.n, 0);
	fx_close(&f);
}

/* QEMU ran ahead of the copy: by the flush line of one element it has
 * popped, filled and flushed the next, whose chain no copy has shown
 * yet.  The chain and the avail ring come before the used ring that
 * names it. */
static void test_avail_before_used(void)
{
	struct fixture f;

	if (!fx_open(&f))
		return;
	uint16_t h1 = offer_and_pop(&f, BUF_GPA);
	device_use(&f, BUF_GPA, h1, 0x11, true);
	struct rb_seg seg = { BUF_GPA + 0x100, EVENT_BYTES, true };
	int h2 = rb_submit(&f.rb, &seg, 1);
	CHECK(h2 >= 0);
	device_use(&f, BUF_GPA + 0x100, (uint16_t)(h2 < 0 ? 0 : h2), 0x22, true);
	evlog_clear(&f.log);
	fill_flush(&f);
	long avail = mem_at(&f.log, f.rb.avail), desc = mem_at(&f.log, f.rb.desc), used = mem_at(&f.log, f.rb.used);
	CHECK(desc >= 0 && avail > desc && used > avail);
	if (used >= 0)
		CHECK_EQ_U(le16_get(f.log.ev[used].data + 2), 2);
	check_used_copy(&f, BUF_GPA + 0x100, 0x22, 2, queue_at(&f.log, VMT_QSTEP_FLUSH), "ahead");
	fx_close(&f);
}

/* More queues waiting than the list holds: each was copied at its flush
 * line, the rest is counted; nothing breaks. */
static void test_pending_bound(void)
{
	struct fixture f;
	char line[128];

	if (!fx_open(&f))
		return;
	for (unsigned t = 0; t < QEMU_SOURCE_USED_PENDING_MAX + 1; t++) {
		snprintf(line, sizeof(line), "%u@10.000005:virtqueue_flush vq " VQ_A0 " count 1\n", 100 + t);
		CHECK_EQ_U(feed(&f, line), 0);
	}
	CHECK(stats(&f).map_full >= 1);
	CHECK_EQ_U(qemu_source_idle(f.src, NOW), 0);
	CHECK_EQ_U(stats(&f).used_snapshots, 2u * QEMU_SOURCE_USED_PENDING_MAX + 1);
	fx_close(&f);
}

int main(void)
{
	RUN(test_copy_at_flush);
	RUN(test_copy_at_next_line);
	RUN(test_copy_when_idle);
	RUN(test_status_read_takes_over);
	RUN(test_copy_at_end);
	RUN(test_copy_at_reset);
	RUN(test_avail_before_used);
	RUN(test_pending_bound);
	return harness_finish("test_used_copies");
}
