/* Device bring-up for the model tests. */
#include "tests/models/model_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"

static void on_irq(void *ctx, struct emu_device *d, uint32_t status)
{
	struct tdev *t = ctx;

	t->irqs++;
}

static void on_violation(void *ctx, struct emu_device *d, enum rule_id rule, const char *msg)
{
	struct tdev *t = ctx;

	t->violations++;
	if ((unsigned)rule < RULE_COUNT)
		t->rule_count[rule]++;
	snprintf(t->last_msg, sizeof(t->last_msg), "%s", msg);
	if (getenv("TDEV_VERBOSE"))
		fprintf(stderr, "violation %d: %s\n", (int)rule, msg);
}

uint64_t tdev_read(struct tdev *t, uint32_t off, unsigned width)
{
	return emu_mmio_read(t->d, off, width);
}

void tdev_write(struct tdev *t, uint32_t off, unsigned width, uint64_t v)
{
	emu_mmio_write(t->d, off, width, v);
}

uint64_t tdev_features(struct tdev *t)
{
	tdev_write(t, MMIO_DEVICE_FEATURES_SEL, 4, 0);
	uint64_t f = tdev_read(t, MMIO_DEVICE_FEATURES, 4);
	tdev_write(t, MMIO_DEVICE_FEATURES_SEL, 4, 1);
	return f | tdev_read(t, MMIO_DEVICE_FEATURES, 4) << 32;
}

static uint64_t ring_base(unsigned q)
{
	return TDEV_RAM_BASE + (uint64_t)q * TDEV_RING_BYTES;
}

/* The driver side of Device Initialization (3.1.1) and Virtqueue
 * Configuration for either register layout. */
static void tdev_init(struct tdev *t, uint64_t want)
{
	uint32_t st;

	CHECK_EQ_U(tdev_read(t, MMIO_MAGIC_VALUE, 4), VIRTIO_MMIO_MAGIC);
	CHECK_EQ_U(tdev_read(t, MMIO_VERSION, 4), t->version);
	CHECK(tdev_read(t, MMIO_DEVICE_ID, 4) != 0);
	tdev_write(t, MMIO_STATUS, 4, 0);
	st = VIRTIO_STATUS_ACKNOWLEDGE;
	tdev_write(t, MMIO_STATUS, 4, st);
	st |= VIRTIO_STATUS_DRIVER;
	tdev_write(t, MMIO_STATUS, 4, st);
	uint64_t accept = tdev_features(t) & want;
	tdev_write(t, MMIO_DRIVER_FEATURES_SEL, 4, 0);
	tdev_write(t, MMIO_DRIVER_FEATURES, 4, (uint32_t)accept);
	if (t->version == 2) {
		tdev_write(t, MMIO_DRIVER_FEATURES_SEL, 4, 1);
		tdev_write(t, MMIO_DRIVER_FEATURES, 4, (uint32_t)(accept >> 32));
		st |= VIRTIO_STATUS_FEATURES_OK;
		tdev_write(t, MMIO_STATUS, 4, st);
		CHECK(tdev_read(t, MMIO_STATUS, 4) & VIRTIO_STATUS_FEATURES_OK);
	} else {
		tdev_write(t, MMIO_GUEST_PAGE_SIZE, 4, 4096);
	}
	for (unsigned q = 0; q < t->num_queues; q++) {
		struct ring_builder *rb = &t->rb[q];
		tdev_write(t, MMIO_QUEUE_SEL, 4, q);
		CHECK_EQ_U(tdev_read(t, t->version == 2 ? MMIO_QUEUE_READY : MMIO_QUEUE_PFN, 4), 0);
		CHECK(tdev_read(t, MMIO_QUEUE_NUM_MAX, 4) >= TDEV_QUEUE_NUM);
		rb_release(rb);
		if (t->version == 2) {
			CHECK_EQ_U(rb_init_modern(rb, &t->gm, TDEV_QUEUE_NUM, ring_base(q)), 0);
			CHECK(rb_modern_bytes(TDEV_QUEUE_NUM) <= TDEV_RING_BYTES);
			tdev_write(t, MMIO_QUEUE_NUM, 4, TDEV_QUEUE_NUM);
			tdev_write(t, MMIO_QUEUE_DESC_LOW, 4, (uint32_t)rb->desc);
			tdev_write(t, MMIO_QUEUE_DESC_HIGH, 4, (uint32_t)(rb->desc >> 32));
			tdev_write(t, MMIO_QUEUE_DRIVER_LOW, 4, (uint32_t)rb->avail);
			tdev_write(t, MMIO_QUEUE_DRIVER_HIGH, 4, (uint32_t)(rb->avail >> 32));
			tdev_write(t, MMIO_QUEUE_DEVICE_LOW, 4, (uint32_t)rb->used);
			tdev_write(t, MMIO_QUEUE_DEVICE_HIGH, 4, (uint32_t)(rb->used >> 32));
			tdev_write(t, MMIO_QUEUE_READY, 4, 1);
			CHECK_EQ_U(tdev_read(t, MMIO_QUEUE_READY, 4), 1);
		} else {
			CHECK_EQ_U(rb_init_legacy(rb, &t->gm, TDEV_QUEUE_NUM, ring_base(q), 4096), 0);
			CHECK(rb_legacy_bytes(TDEV_QUEUE_NUM, 4096) <= TDEV_RING_BYTES);
			tdev_write(t, MMIO_QUEUE_NUM, 4, TDEV_QUEUE_NUM);
			tdev_write(t, MMIO_QUEUE_ALIGN, 4, 4096);
			tdev_write(t, MMIO_QUEUE_PFN, 4, ring_base(q) / 4096);
		}
	}
	st |= VIRTIO_STATUS_DRIVER_OK;
	tdev_write(t, MMIO_STATUS, 4, st);
	CHECK_EQ_U(tdev_read(t, MMIO_STATUS, 4), st);
}

int tdev_open(struct tdev *t, const struct emu_model *m, uint32_t version,
	      const void *opts, uint64_t want)
{
	struct emu_device_cfg cfg = { .base = 0x10000000, .version = version, .model = m };
	struct emu_hooks hooks = { .ctx = t, .irq = on_irq, .violation = on_violation };
	int r;

	memset(t, 0, sizeof(*t));
	if (opts) {
		cfg.opts = opts;
		cfg.opts_size = m->opts_size;
	}
	if (gmem_init(&t->gm, TDEV_RAM_BASE, TDEV_RAM_SIZE) < 0) {
		fprintf(stderr, "cannot allocate guest RAM\n");
		exit(1);
	}
	rb_arena_init(&t->arena, TDEV_RAM_BASE + EMU_QUEUES_MAX * TDEV_RING_BYTES,
		      TDEV_RAM_BASE + TDEV_RAM_SIZE);
	r = emu_device_new(&t->d, &cfg, &t->gm, &hooks);
	if (r < 0) {
		gmem_release(&t->gm);
		return r;
	}
	t->version = version;
	t->num_queues = m->num_queues;
	tdev_init(t, want);
	return 0;
}

void tdev_reinit(struct tdev *t, uint64_t want)
{
	tdev_init(t, want);
}

void tdev_close(struct tdev *t)
{
	emu_device_free(t->d);
	t->d = NULL;
	for (unsigned q = 0; q < EMU_QUEUES_MAX; q++)
		rb_release(&t->rb[q]);
	gmem_release(&t->gm);
}

void tdev_notify(struct tdev *t, unsigned q)
{
	tdev_write(t, MMIO_QUEUE_NOTIFY, 4, q);
}

uint32_t tdev_ack(struct tdev *t)
{
	uint32_t s = (uint32_t)tdev_read(t, MMIO_INTERRUPT_STATUS, 4);

	if (s)
		tdev_write(t, MMIO_INTERRUPT_ACK, 4, s);
	return s;
}

uint64_t tdev_alloc(struct tdev *t, uint64_t len)
{
	uint64_t p = rb_arena_alloc(&t->arena, len ? len : 1, 16);

	if (!p) {
		fprintf(stderr, "%s: guest RAM exhausted\n", harness_case);
		exit(1);
	}
	memset(gmem_ptr(&t->gm, p, len ? len : 1), 0, len ? len : 1);
	return p;
}

uint8_t *tdev_ptr(struct tdev *t, uint64_t gpa, uint64_t len)
{
	return gmem_ptr(&t->gm, gpa, len);
}

void tdev_put(struct tdev *t, uint64_t gpa, const void *p, uint64_t len)
{
	CHECK_EQ_U(gmem_write(&t->gm, GMEM_DRIVER, gpa, p, len), 0);
}

void tdev_get(struct tdev *t, uint64_t gpa, void *p, uint64_t len)
{
	CHECK_EQ_U(gmem_read(&t->gm, gpa, p, len), 0);
}

int tdev_submit(struct tdev *t, unsigned q, const struct rb_seg *segs, unsigned n)
{
	int head = rb_submit(&t->rb[q], segs, n);

	CHECK(head >= 0);
	return head;
}

int tdev_used(struct tdev *t, unsigned q, uint32_t *id, uint32_t *len)
{
	return rb_used_pop(&t->rb[q], id, len);
}
