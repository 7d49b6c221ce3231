/* Shared fixture of the emulator unit tests: one emu_device over its own
 * guest RAM, a recorder of every violation and interrupt the device
 * reports, a counter of the device's stores into guest memory, and the
 * driver steps of the spec's initialization sequences (MMIO-specific
 * Initialization And Device Operation, and the Legacy interface). */
#ifndef VMTRACE_TESTS_EMU_FIXTURE_H
#define VMTRACE_TESTS_EMU_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/emu/emu.h"
#include "capture/emu/guest_mem.h"
#include "virtio/rules.h"
#include "tests/harness.h"
#include "tests/ring_builder.h"

#define FX_MAX_REPORTS 64

struct fx {
	struct guest_mem gm;
	struct emu_device *d;
	uint32_t version;
	/* Violations, in order (the first FX_MAX_REPORTS kept). */
	unsigned n_viol;
	enum rule_id rule[FX_MAX_REPORTS];
	char msg[FX_MAX_REPORTS][256];
	/* Interrupts (hooks.irq calls) and the status they carried. */
	unsigned n_irq;
	uint32_t last_irq_status;
	/* Device stores into guest memory (GMEM_DEVICE observer calls). */
	unsigned dev_writes;
	uint64_t dev_write_lo, dev_write_hi; /* lowest / highest byte stored */
	/* The ring of queue 0 when set up by fx_start*. */
	struct ring_builder rb;
	struct rb_arena arena;
};

/* Guest RAM of every fixture: a non-zero base so that address 0 is outside. */
#define FX_RAM_BASE UINT64_C(0x40000000)
#define FX_RAM_SIZE UINT64_C(0x100000) /* 1 MiB */
#define FX_RING_GPA (FX_RAM_BASE + 0x1000)
#define FX_BUF_GPA (FX_RAM_BASE + 0x40000)

/* Create the device (model, version 1 or 2, queue_num_max 0 = default). */
int fx_open(struct fx *f, const struct emu_model *model, uint32_t version, uint16_t queue_num_max);
int fx_open_ram(struct fx *f, const struct emu_model *model, uint32_t version,
		uint16_t queue_num_max, uint64_t ram_base, uint64_t ram_size);
/* A Version 2 device that also offers VIRTIO_F_RING_PACKED. */
int fx_open_packed(struct fx *f, const struct emu_model *model, uint16_t queue_num_max);
void fx_close(struct fx *f);
void fx_clear(struct fx *f); /* forget recorded violations / irqs / stores */

uint32_t fx_rd(struct fx *f, uint32_t off);
void fx_wr(struct fx *f, uint32_t off, uint32_t v);

/* MagicValue, Version, DeviceID reads (the start of every initialization). */
void fx_probe(struct fx *f);
/* Reset, ACKNOWLEDGE, DRIVER, read both feature words, accept `accept`,
 * then (modern) FEATURES_OK and the Status re-read. Returns Status as
 * re-read (legacy: after DRIVER). */
uint32_t fx_negotiate(struct fx *f, uint64_t accept);
/* Queue set-up as the spec's Virtqueue Configuration lists it. */
void fx_queue_modern(struct fx *f, uint32_t q, uint32_t num, uint64_t desc, uint64_t driver, uint64_t device);
void fx_queue_legacy(struct fx *f, uint32_t q, uint32_t num, uint32_t align, uint32_t pfn);
void fx_driver_ok(struct fx *f);
/* Whole initialization with queue 0 of num entries at FX_RING_GPA (a
 * ring_builder in f->rb, buffers from f->arena). Modern: accept the
 * offered features in `accept`; legacy: page size 4096, align 4096.
 * Returns 0, or -1 if a step failed. */
int fx_start(struct fx *f, uint64_t accept, uint32_t num);
void fx_notify(struct fx *f, uint32_t q);

/* Number of recorded violations with this rule. */
unsigned fx_count(const struct fx *f, enum rule_id rule);

/* Assert the recorded violations are exactly the listed rules, in order. */
void fx_expect_at(const char *file, int line, const struct fx *f, const int *want, unsigned n);
#define FX_EXPECT(f, ...) \
	fx_expect_at(__FILE__, __LINE__, (f), (const int[]){ __VA_ARGS__ }, \
		     (unsigned)(sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int)))
#define FX_EXPECT_NONE(f) fx_expect_at(__FILE__, __LINE__, (f), NULL, 0)
/* Assert violation i's message contains needle (case-insensitive). */
void fx_expect_msg_at(const char *file, int line, const struct fx *f, unsigned i, const char *needle);
#define FX_EXPECT_MSG(f, i, needle) fx_expect_msg_at(__FILE__, __LINE__, (f), (i), (needle))

/* A test-only model: one queue, offers VERSION_1, INDIRECT_DESC, EVENT_IDX
 * and RING_RESET; on notify pops every chain, reads up to 64 bytes of its
 * readable part (never writes buffers) and returns it with written 0. A
 * broken ring stops the device (emu_device_fail). */
extern const struct emu_model fx_model_walker;
struct fx_walker_stats {
	unsigned chains, bufs;
	uint64_t readable, writable;
};
extern struct fx_walker_stats fx_walker;

#endif
