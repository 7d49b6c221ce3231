/* The input of the ring fuzz targets, split and packed rings
 * (fuzz_virtqueue.c, the emulator's virtqueue engine; fuzz_rings.c, the
 * decoder's ring decoding), one format so their corpora can be exchanged:
 *
 *   0      queue size: b < 16 gives 1 << b; 16: 0, 17: 3, 18: 0x10000,
 *          19: 0xffffffff; other values as they are
 *   1      flags: 0x01 INDIRECT_DESC, 0x02 EVENT_IDX, 0x04 legacy layout,
 *          0x08 through a device model (fuzz_virtqueue), 0x30 the model
 *          (blk, net, console, rng), 0x40 a packed ring (RING_PACKED;
 *          modern only: ignored with 0x04): the three areas are then the
 *          descriptor ring and the driver and device event suppression
 *          structures
 *   2..7   le16 offsets of the descriptor table, available and used rings
 *          from the start of guest RAM (legacy: the table's page only)
 *   8      placement of the three areas, two bits each from bit 0: 0 in
 *          RAM at the offset, 1 below RAM, 2 across its end, 3 far away;
 *          bit 6: guest RAM at RI_RAM_HIGH, the top of the address space,
 *          where an address plus a length can wrap
 *   9      legacy QueueAlign: 1 << (b & 15), or b itself if b >= 16
 *   10..11 le16 length of the RAM image that follows (copied from offset 0
 *          of guest RAM, the rest zero)
 *   then the RAM image, then operations (at most RI_OPS_MAX), one byte
 *   each followed by their arguments (see each target).
 *
 * Guest RAM is RI_RAM_SIZE bytes at RI_RAM_BASE (or RI_RAM_HIGH). */
#ifndef VMTRACE_TESTS_FUZZ_RING_INPUT_H
#define VMTRACE_TESTS_FUZZ_RING_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz.h"

#define RI_RAM_BASE UINT64_C(0x40000000)
/* As high as guest memory may go (gmem_init keeps base + size <= 2^64 - 1). */
#define RI_RAM_HIGH (UINT64_C(0) - 2 * RI_RAM_SIZE)
#define RI_RAM_SIZE 0x10000u
#define RI_HEADER 12u
#define RI_PAGE 4096u
/* Operations run per input, at most (each may walk a whole queue). */
#define RI_OPS_MAX 512u
/* Queue q > 0 of a device model lies this far after queue 0. */
#define RI_QUEUE_STRIDE 0x2000u

struct ring_input {
	uint64_t ram_base;    /* RI_RAM_BASE or RI_RAM_HIGH */
	uint32_t num;         /* QueueNum as the driver writes it */
	bool indirect, event_idx, legacy, device_mode;
	bool packed;          /* VIRTIO_F_RING_PACKED (never with legacy) */
	unsigned model;       /* index into ri_models */
	uint64_t desc, avail, used; /* guest-physical; legacy: from the page */
	uint32_t pfn;         /* legacy QueuePFN (desc / RI_PAGE) */
	uint32_t align;       /* legacy QueueAlign */
	const uint8_t *image; /* the RAM image in the input */
	size_t image_len;
	struct fuzz_in ops;   /* the rest of the input */
};

struct emu_model;
/* The device models, by flags bits 4-5. */
extern const struct emu_model *const ri_models[4];

/* Parse the header. Returns false if the input is shorter than it. */
bool ri_parse(struct ring_input *ri, const uint8_t *data, size_t size);

/* Fill ram (RI_RAM_SIZE bytes) from the image. */
void ri_fill_ram(const struct ring_input *ri, uint8_t *ram);

/* The legacy layout for the table at desc: avail and used as the
 * legacy interface places them (used at the next multiple of align). */
void ri_legacy_layout(uint64_t desc, uint32_t num, uint32_t align, uint64_t *avail, uint64_t *used);

#endif
