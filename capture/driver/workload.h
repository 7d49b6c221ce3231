/* Workloads of the built-in driver: one per device type (wl_blk.c,
 * wl_net.c, wl_console.c, wl_rng.c), each with its own options, verifying
 * its own results; the registry (wl_registry.c, one line per type); and
 * drv_run_device, which probes, initializes and runs the right one.
 *
 * Workload spec (vmtrace record --workload): groups separated by ';', each
 * "DEV:KEY=N[,KEY=N...]".  DEV is a workload's name or "queue"; its KEYs
 * and their ranges are the workload's own table (struct drv_wl_key):
 *   blk:sectors=N,requests=N   sectors written then read back (1..8192),
 *                              split into that many requests (1..256)
 *   net:frames=N,batch=N       frames sent and received back (1..4096),
 *                              sent per notification (1..16)
 *   console:lines=N            lines written and read back (1..64)
 *   rng:requests=N,bytes=N     requests (1..256) of about N bytes (1..65536)
 *   queue:size=N               queue size asked for (1..32768, capped by QueueNumMax)
 * e.g. "blk:sectors=64,requests=16;net:frames=32".
 *
 * Adding a workload: capture/driver/wl_<type>.c defining drv_wl_<type>
 * (its key table, hooks, features), one line in wl_registry.c, one in
 * capture/driver/meson.build.
 *
 * Errors: parsers return 0 or -EINVAL (bad spec, message in err) or
 * -ENOMEM; the run returns 0, DRV_E_* (driver.h) or a negative errno. */
#ifndef VMTRACE_DRIVER_WORKLOAD_H
#define VMTRACE_DRIVER_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct drv_bus;
struct drv_dev;

/* Options one workload may have, and workloads the registry may hold
 * (the "queue" group is one more). */
#define DRV_WL_KEYS_MAX 4u
#define DRV_WL_MAX 15u

/* One option of a workload: "KEY=N" with N in min..max. */
struct drv_wl_key {
	const char *key;  /* "sectors" */
	unsigned min, max;
	unsigned def;     /* default, in min..max */
	const char *help; /* for record --help: "sectors written and read back" */
};

/* Most rounds of a run (record --repeat): about 10^8 events with the
 * default workloads, the size a disk, not a counter, limits. */
#define DRV_WL_REPEAT_MAX 1000000u

struct drv_wl_opts {
	/* Option values by registry index (drv_workload_at) and key index
	 * (the workload's keys[]); read them with drv_wl_opt. */
	unsigned val[DRV_WL_MAX][DRV_WL_KEYS_MAX];
	unsigned queue_size;
	bool indirect;  /* accept VIRTIO_F_INDIRECT_DESC when offered */
	bool event_idx; /* accept VIRTIO_F_EVENT_IDX when offered */
	bool packed;    /* accept VIRTIO_F_RING_PACKED when offered (modern only) */
	uint64_t seed;  /* varies the data patterns */
	unsigned given; /* groups a spec set (drv_wl_opts_names) */
	/* Rounds of the whole run (rig_record_run; record --repeat): each
	 * round after the first resets every device and drives it again from
	 * the probe on, reusing the same guest memory.  1 (the default) runs
	 * once; 0 counts as 1. */
	unsigned repeat;
};

/* A device type's workload. */
struct drv_workload {
	const char *name;    /* "blk": its --workload group and --emu name */
	uint32_t device_id;
	const char *summary; /* for record --help: "write a pattern to ..." */
	const struct drv_wl_key *keys; /* its options, in spec order */
	size_t n_keys;       /* at most DRV_WL_KEYS_MAX */
	unsigned n_queues;
	uint64_t features;   /* device-specific and transport bits it can use */
	size_t state_size;   /* bytes of zeroed state handed to both hooks */
	/* Read the configuration space (before DRIVER_OK). */
	int (*read_config)(struct drv_dev *d, void *state, const struct drv_wl_opts *o);
	/* Run and verify (after DRIVER_OK). Returns 0, DRV_E_* or negative errno,
	 * with d->err saying why. */
	int (*run)(struct drv_dev *d, void *state, const struct drv_wl_opts *o);
};

/* The registry (wl_registry.c): workloads in spec and help order,
 * i < drv_workload_count(); NULL past the end. */
size_t drv_workload_count(void);
const struct drv_workload *drv_workload_at(size_t i);
/* The workload for a device type, or NULL. */
const struct drv_workload *drv_workload_find(uint32_t device_id);
/* The workload named name ("blk"), or NULL. */
const struct drv_workload *drv_workload_by_name(const char *name);

/* Defaults: every key's def; a full run of all four devices takes a few
 * milliseconds. */
void drv_wl_opts_init(struct drv_wl_opts *o);

/* Apply a workload spec (see above) on top of *o.  Returns 0, or -EINVAL
 * with a message naming the bad part in err (o unchanged), or -ENOMEM. */
int drv_wl_opts_parse(struct drv_wl_opts *o, const char *spec, char *err, size_t errlen);

/* Value of key k (an index into wl->keys) of workload wl; wl must be in
 * the registry and k < wl->n_keys (0 otherwise). */
unsigned drv_wl_opt(const struct drv_wl_opts *o, const struct drv_workload *wl, size_t k);
/* Value of "dev:key" ("blk", "sectors"; "queue", "size") into *v.
 * Returns 0, or -ENOENT if there is no such option. */
int drv_wl_opt_by_name(const struct drv_wl_opts *o, const char *dev, const char *key, unsigned *v);

/* True if a parsed spec set something for group dev ("blk", "queue"), so
 * a caller can refuse sizes for devices it will not run. */
bool drv_wl_opts_names(const struct drv_wl_opts *o, const char *dev);

/* The whole workload as a spec string: every group. */
void drv_wl_opts_format(const struct drv_wl_opts *o, char *buf, size_t len);
/* The same for a machine with the n device types in ids (repeats
 * allowed): only their workloads' groups, then "queue" (the trace
 * metadata).  Both end after the last group that fits in len. */
void drv_wl_opts_format_for(const struct drv_wl_opts *o, const uint32_t *ids, size_t n, char *buf, size_t len);

/* For record --help: one line per option, "INDENT" + "DEV:KEY=N" padded
 * to col columns + help + " (MIN-MAX, default DEF)" (the parenthesis on
 * its own line, under the help, where the line would pass 79 columns). */
void drv_wl_help_keys(FILE *f, const struct drv_wl_opts *defaults, unsigned indent, unsigned col);
/* One line per workload: "INDENT" + name padded to col columns + summary. */
void drv_wl_help_summaries(FILE *f, unsigned indent, unsigned col);
/* The workload names joined as "blk, net, console, rng" (sep ", ") or
 * "blk,net,console,rng" (sep ","), the last after last_sep if that is not
 * NULL ("blk, net or rng"), into buf. */
void drv_wl_names_join(char *buf, size_t len, const char *sep, const char *last_sep);

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

/* "s" unless n is 1: "1 request", "2 requests". */
static inline const char *drv_plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

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
