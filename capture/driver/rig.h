/* The machine `vmtrace record --emu` drives, built the same way for the
 * command and for tests: RAM, devices at fixed bases in the order given,
 * model options, and a driver bus over it.
 *
 * Layout: 64 MiB of RAM at 0x40000000 (well clear of the MMIO windows and
 * of address 0, which QueuePFN cannot name); device i's 0x200-byte window
 * at 0x10000000 + i * 0x200, as on QEMU's virt machines.  The driver
 * allocates rings and buffers from the whole of RAM.
 *
 * Errors: 0 or a negative errno (-EINVAL for a bad device list or
 * configuration, -ENOMEM, a model's error), with a message in err. */
#ifndef VMTRACE_DRIVER_RIG_H
#define VMTRACE_DRIVER_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/driver/bus.h"
#include "capture/emu/dev_blk.h"

struct machine;

#define RIG_RAM_BASE UINT64_C(0x40000000)
#define RIG_RAM_SIZE (UINT64_C(64) << 20)
#define RIG_MMIO_BASE UINT64_C(0x10000000)
#define RIG_MMIO_STRIDE UINT64_C(0x200)
/* Devices of the built-in machine: 16 windows of 0x200 bytes fit in the
 * first 8 KiB at RIG_MMIO_BASE; the decoder and replay take more
 * (DEC_DEVICES_MAX, TRACE_IN_DEVICES_MAX). */
#define RIG_DEVICES_MAX 16u
/* The models' own settings for the built-in machine (the in-memory disk of
 * DEV_BLK_CAPACITY_DEFAULT, the MACs from DEV_NET_MAC_DEFAULT up) come from
 * each model's machine_opts (capture/emu/emu.h).  The disk size by its
 * rig name, for the recorder's summary: */
#define RIG_BLK_CAPACITY DEV_BLK_CAPACITY_DEFAULT

struct rig_cfg {
	const char *devices[RIG_DEVICES_MAX]; /* model names: "blk", "net", "console", "rng" */
	unsigned n_devices;
	bool legacy;            /* Version 1 register layout */
	bool packed;            /* devices offer VIRTIO_F_RING_PACKED (not with legacy) */
	uint64_t seed;          /* rng model seed */
	const char *blk_image;  /* backing file of blk devices; NULL = in memory */
};

/* Parse a comma-separated device list ("blk,net,console,rng") into cfg.
 * Returns 0, or -EINVAL with a message in err (unknown name, empty item,
 * too many). */
int rig_parse_devices(struct rig_cfg *cfg, const char *list, char *err, size_t errlen);

/* Base address of device i. */
static inline uint64_t rig_device_base(unsigned i)
{
	return RIG_MMIO_BASE + RIG_MMIO_STRIDE * i;
}

/* Create the machine and its devices. On failure returns a negative errno
 * with a message naming the device in err, and *out is NULL. */
int rig_build(struct machine **out, const struct rig_cfg *cfg, char *err, size_t errlen);

/* A driver bus over m handing out all of its RAM. */
void rig_bus(struct drv_bus *bus, struct machine *m);

#endif
