/* The guest's per-device work, one file each (work_blk.c, work_net.c,
 * work_console.c, work_rng.c): the features it wants, its queues, the
 * device-specific set-up before DRIVER_OK (configuration reads) and a
 * self-checking I/O step after it. */
#ifndef VMTRACE_KVMHOST_GUEST_WORK_H
#define VMTRACE_KVMHOST_GUEST_WORK_H

#include <stdint.h>

struct vio_dev;

struct work_ops {
	const char *name;
	uint32_t device_id;
	uint32_t want_lo;   /* feature bits 0..31 wanted (VERSION_1 is vio_init's) */
	unsigned n_queues;
	/* Before DRIVER_OK. Returns 0 or a KH_FAIL code. */
	uint32_t (*setup)(struct vio_dev *d);
	/* After DRIVER_OK. Returns 0 or a KH_FAIL code. */
	uint32_t (*io)(struct vio_dev *d);
};

extern const struct work_ops work_blk;
extern const struct work_ops work_net;
extern const struct work_ops work_console;
extern const struct work_ops work_rng;

/* The work for a DeviceID, or 0. */
const struct work_ops *work_find(uint32_t device_id);

#endif
