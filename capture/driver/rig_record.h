/* Recording the built-in driver on the emulated machine (`vmtrace record
 * --emu`) in a capture/session.h session: the emulator's metadata (devices,
 * seed, layout, workload, driver options) and the run itself, device
 * after device, with every access, store, interrupt and marker going to
 * the session's raw trace.  The trace is deterministic: the machine's
 * clock counts events, and the metadata holds only the arguments, the
 * seed, the layout and the version, never wall-clock time, PIDs or paths
 * the user did not type.
 *
 * Errors: 0 or a negative errno. */
#ifndef VMTRACE_DRIVER_RIG_RECORD_H
#define VMTRACE_DRIVER_RIG_RECORD_H

#include "capture/driver/rig.h"
#include "capture/driver/workload.h"

struct machine;
struct session;

struct rig_record {
	struct drv_report reports[RIG_DEVICES_MAX]; /* one per device, in order */
	unsigned failed;        /* devices whose workload failed */
	unsigned violations;    /* rules the emulator saw the driver break */
	char end_reason[128];   /* "normal", or the first failed workload */
};

/* Called before each device is driven: device i of n (its name) in round
 * round (1-based) of rounds (wl->repeat). */
typedef void (*rig_record_progress_fn)(void *ctx, const char *name, unsigned i, unsigned n, unsigned round,
				       unsigned rounds);

/* The emulator's metadata, after session_meta_common: source, RAM,
 * device table, "seed", "layout", "workload" (the groups of the machine's
 * device types and "queue"), "driver", and "repeat" when the run has more
 * than one round.  Returns 0 or a negative errno. */
int rig_record_meta(struct session *s, struct machine *m, const struct rig_cfg *rig, const struct drv_wl_opts *wl);

/* Drive every device of m (built from rig) with the workloads wl,
 * recording into the open session s, wl->repeat times: before each round
 * after the first a marker "round K of N" and a reset of every device
 * (then the round reuses the guest memory of the one before).  The rounds
 * stop after one where a workload failed.  Each report is the device's
 * last round, with the used buffers and interrupts of all rounds.
 * progress may be NULL.  Returns 0, or the recorder's negative errno (also
 * noted in s: the trace then ends with "write error"). */
int rig_record_run(struct rig_record *rr, struct session *s, struct machine *m, const struct rig_cfg *rig,
		   const struct drv_wl_opts *wl, rig_record_progress_fn progress, void *ctx);

/* One VMT_EV_VIOLATION read back from a finished trace. */
struct rig_violation {
	uint64_t seq;
	const char *device;   /* the device's name, or its base in hex */
	uint32_t rule;        /* rule id (virtio/rules.h) */
	const char *msg;      /* len bytes, not NUL-terminated */
	uint32_t len;
};
typedef void (*rig_record_violation_fn)(void *ctx, const struct rig_violation *v);

/* Read the finished trace at path back and call fn (data valid during the
 * call only) for each violation the emulator recorded, in order: they
 * are the built-in driver's bugs.  Returns 0, or a negative errno with
 * the reason in err if the trace cannot be read (fn was not called). */
int rig_record_violations(const char *path, rig_record_violation_fn fn, void *ctx, char *err, size_t errlen);

#endif
