/* Workloads of the built-in driver: one per device type (wl_blk.c,
 * wl_net.c, wl_console.c, wl_rng.c), each verifying its own results, and
 * drv_run_device, which probes, initializes and runs the right one.
 *
 * Workload spec (vmtrace record --workload): groups separated by ';', each
 * "DEV:KEY=N[,KEY=N...]":
 *   blk:sectors=N,requests=N   sectors written then read back (1..8192),
 *                              split into that many requests (1..256)
 *   net:frames=N,batch=N       frames sent and received back (1..4096),
 *                              sent per notification (1..16)
 *   console:lines=N            lines written and read back (1..64)
 *   rng:requests=N,bytes=N     requests (1..256) of about N bytes (1..65536)
 *   queue:size=N               queue size asked for (1..32768, capped by QueueNumMax)
 * e.g. "blk:sectors=64,requests=16;net:frames=32". */
#ifndef VMTRACE_DRIVER_WORKLOAD_H
#define VMTRACE_DRIVER_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct drv_bus;
struct drv_dev;

struct drv_wl_opts {
	unsigned blk_sectors, blk_requests;
	unsigned net_frames, net_batch;
	unsigned console_lines;
	unsigned rng_requests, rng_bytes;
	unsigned queue_size;
	bool indirect;  /* accept VIRTIO_F_INDIRECT_DESC when offered */
	bool event_idx; /* accept VIRTIO_F_EVENT_IDX when offered */
	uint64_t seed;  /* varies the data patterns */
	unsigned given; /* groups a spec set (drv_wl_opts_names) */
};

/* Defaults: a full run of all four devices takes a few milliseconds. */
void drv_wl_opts_init(struct drv_wl_opts *o);

/* Apply a workload spec (see above) on top of *o.  Returns 0, or -EINVAL
 * with a message naming the bad part in err. */
int drv_wl_opts_parse(struct drv_wl_opts *o, const char *spec, char *err, size_t errlen);

/* True if a parsed spec set something for device type dev ("blk"), so a
 * caller can refuse sizes for devices it will not run. */
bool drv_wl_opts_names(const struct drv_wl_opts *o, const char *dev);

/* The whole workload as a spec string (for the trace metadata). */
void drv_wl_opts_format(const struct drv_wl_opts *o, char *buf, size_t len);

/* A device type's workload. */
struct drv_workload {
	const char *name;    /* "blk" */
	uint32_t device_id;
	unsigned n_queues;
	uint64_t features;   /* device-specific and transport bits it can use */
	size_t state_size;   /* bytes of zeroed state handed to both hooks */
	/* Read the configuration space (before DRIVER_OK). */
	int (*read_config)(struct drv_dev *d, void *state, const struct drv_wl_opts *o);
	/* Run and verify (after DRIVER_OK). Returns 0, DRV_E_* or negative errno,
	 * with d->err saying why. */
	int (*run)(struct drv_dev *d, void *state, const struct drv_wl_opts *o);
};

extern const struct drv_workload drv_wl_blk;
extern const struct drv_workload drv_wl_net;
extern const struct drv_workload drv_wl_console;
extern const struct drv_workload drv_wl_rng;

/* The workload for a device type, or NULL. */
const struct drv_workload *drv_workload_find(uint32_t device_id);

/* What happened to one device. */
struct drv_report {
	uint64_t base;
	uint32_t version;    /* 0 if the probe failed before reading it */
	uint32_t device_id;
	uint32_t vendor_id;
	uint32_t status;     /* Status bits the driver set */
	uint64_t offered;    /* DeviceFeatures */
	uint64_t features;   /* accepted */
	unsigned queues;
	unsigned requests;   /* used buffers taken back */
	unsigned interrupts;
	int result;          /* 0, DRV_E_* (driver.h) or negative errno */
	char msg[256];       /* why it failed; empty on success */
};

/* Probe the device at base, initialize it, set up its queues, read its
 * configuration, set DRIVER_OK and run its workload.  Markers frame each
 * phase.  Returns r->result. */
int drv_run_device(struct drv_bus *bus, uint64_t base, const struct drv_wl_opts *o, struct drv_report *r);

/* Helpers shared by the workloads (workload.c). */

/* Fill buf with len pattern bytes that depend on seed and stream. */
void drv_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t stream);
/* Index of the first byte where a and b differ, or len if none. */
size_t drv_first_diff(const uint8_t *a, const uint8_t *b, size_t len);
/* Store/load guest memory through the bus; errors set d->err. */
int drv_mem_write(struct drv_dev *d, uint64_t gpa, const void *src, uint64_t len);
int drv_mem_read(struct drv_dev *d, uint64_t gpa, void *dst, uint64_t len);
/* Allocate guest memory for buffers; 0 with d->err set if it ran out. */
uint64_t drv_mem_alloc(struct drv_dev *d, uint64_t len, uint64_t align);

#endif
