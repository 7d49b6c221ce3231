/* virtio-blk model extras: limits, the read-only variant and counters for
 * tests and workload checks. */
#ifndef VMTRACE_EMU_DEV_BLK_H
#define VMTRACE_EMU_DEV_BLK_H

#include <stdbool.h>
#include <stdint.h>

struct emu_device;
struct emu_model;

/* Options of emu_model_blk and emu_model_blk_ro (emu_device_cfg.opts). */
struct dev_blk_opts {
	const char *image;  /* backing file; NULL = in-memory image */
	uint64_t capacity;  /* bytes of the in-memory image (multiple of 512); 0 = DEV_BLK_CAPACITY_DEFAULT */
	bool read_only;     /* serve the image read-only (blk-ro always does) */
};

/* The id string GET_ID returns (NUL-padded to VIRTIO_BLK_ID_BYTES). */
#define DEV_BLK_ID "vmtrace-blk"
/* In-memory image size when opts->capacity is 0, and the built-in
 * machine's disk (1 MiB, 2048 sectors). */
#define DEV_BLK_CAPACITY_DEFAULT (UINT64_C(1) << 20)
/* seg_max in config space: EMU_QUEUE_NUM_MAX_DEFAULT's usual 128 less the
 * header and status descriptors (the model cannot see QueueNumMax). */
#define DEV_BLK_SEG_MAX 126u
/* Largest data part of one IN/OUT request; longer ones fail with IOERR
 * (bounds the work a single chain can cause; Linux sends <= 1.25 MiB). */
#define DEV_BLK_DATA_MAX (UINT64_C(32) << 20)

struct dev_blk_stats {
	uint64_t reads, writes, flushes; /* successful requests */
	uint64_t ioerr;       /* requests completed with VIRTIO_BLK_S_IOERR */
	uint64_t unsupported; /* completed with VIRTIO_BLK_S_UNSUPP */
	uint64_t malformed;   /* RULE_REQUEST_MALFORMED reports */
};

/* Same as emu_model_blk but offers VIRTIO_BLK_F_RO and never writes. */
extern const struct emu_model emu_model_blk_ro;

/* Counters of a blk device (NULL if d is not an initialised blk device). */
const struct dev_blk_stats *dev_blk_stats(const struct emu_device *d);

#endif
