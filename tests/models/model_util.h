/* Shared set-up for the device model tests: a device over its own guest
 * RAM, brought up by the spec's initialization sequence through MMIO, with
 * a ring_builder per queue and a bump allocator for buffers. */
#ifndef VMTRACE_TESTS_MODELS_MODEL_UTIL_H
#define VMTRACE_TESTS_MODELS_MODEL_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/emu/emu.h"
#include "tests/ring_builder.h"

#define TDEV_RAM_BASE UINT64_C(0x40000000)
#define TDEV_RAM_SIZE (UINT64_C(16) << 20)
#define TDEV_RING_BYTES (UINT64_C(64) << 10) /* ring space per queue */
#define TDEV_QUEUE_NUM 256u

struct tdev {
	struct guest_mem gm;
	struct emu_device *d;
	uint32_t version;
	unsigned num_queues;
	struct ring_builder rb[EMU_QUEUES_MAX];
	struct rb_arena arena;      /* data buffers */
	unsigned irqs;              /* irq hook calls */
	unsigned violations;        /* violation hook calls */
	unsigned rule_count[RULE_COUNT];
	char last_msg[256];
};

/* Create the device (version 1 or 2) with opts (NULL = all zero) and run
 * the initialization: reset, ACKNOWLEDGE, DRIVER, accept the offered
 * features in want, FEATURES_OK (modern), set up every queue with
 * TDEV_QUEUE_NUM entries, DRIVER_OK.  Returns 0 or emu_device_new's error. */
int tdev_open(struct tdev *t, const struct emu_model *m, uint32_t version,
	      const void *opts, uint64_t want);
void tdev_close(struct tdev *t);
/* Reset the device (Status 0) and initialize it again with fresh rings. */
void tdev_reinit(struct tdev *t, uint64_t want);

void tdev_notify(struct tdev *t, unsigned q);
/* Read InterruptStatus and acknowledge what was set; returns it. */
uint32_t tdev_ack(struct tdev *t);
uint64_t tdev_read(struct tdev *t, uint32_t off, unsigned width);
void tdev_write(struct tdev *t, uint32_t off, unsigned width, uint64_t v);
/* Device features as the driver reads them (both words). */
uint64_t tdev_features(struct tdev *t);

/* len bytes of zeroed guest memory (16-aligned); aborts if RAM runs out. */
uint64_t tdev_alloc(struct tdev *t, uint64_t len);
uint8_t *tdev_ptr(struct tdev *t, uint64_t gpa, uint64_t len);
/* Copy into / out of guest memory as the driver. */
void tdev_put(struct tdev *t, uint64_t gpa, const void *p, uint64_t len);
void tdev_get(struct tdev *t, uint64_t gpa, void *p, uint64_t len);

/* Submit a chain on queue q (no notify). Returns the head. */
int tdev_submit(struct tdev *t, unsigned q, const struct rb_seg *segs, unsigned n);
/* Take the next used entry of q: 1 with id/len, or 0. */
int tdev_used(struct tdev *t, unsigned q, uint32_t *id, uint32_t *len);

#endif
