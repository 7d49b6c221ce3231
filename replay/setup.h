/* The machine a trace replays on: RAM where the trace had it, one emulated
 * device per recorded device the emulator has a model for, each configured
 * from the trace (type, register layout, disk size, MAC, rng seed) and,
 * where a difference is declared, given the recorded device's VendorID,
 * feature set, QueueNumMax or config bytes.
 *
 * Errors: replay_rig_build returns 0, or -1 with the reason in err. */
#ifndef VMTRACE_REPLAY_SETUP_H
#define VMTRACE_REPLAY_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "replay/replay.h"
#include "replay/trace_in.h"

struct machine;
struct emu_device;
struct emu_model;

struct replay_rig {
	struct machine *m;
	struct emu_device *dev[TRACE_IN_DEVICES_MAX]; /* by trace device index; NULL: not modelled */
	char why_not[TRACE_IN_DEVICES_MAX][96];        /* when NULL */
	bool empty[TRACE_IN_DEVICES_MAX];  /* NULL because DeviceID read 0: no device there */
};

/* Build the machine. Declared differences the emulator takes over are
 * added to res->decl. A device of a type without a model (or whose
 * DeviceID was never read) is left out with the reason in why_not; an
 * empty transport (DeviceID 0) is left out with empty set. Returns 0, or
 * -1 with the reason in err: a device with packed virtqueues or (blk)
 * VIRTIO_BLK_F_MQ negotiated, no device left to replay, a setting out of
 * range.  registers_only (replay.h): RAM is also made to hold every ring
 * the queues table records (a trace from another source, or one without
 * ram_base/ram_size), so that setting up a queue works as it did for the
 * recorded device although no ring is ever processed. */
int replay_rig_build(struct replay_rig *rig, const struct trace_in *t, const struct replay_expect *e,
		     bool registers_only, struct replay_result *res, char *err, size_t errlen);
void replay_rig_free(struct replay_rig *rig);

/* The emulator model replay sets up for device type device_id (its
 * registry in setup.c: one line per type), or NULL if replay leaves
 * devices of that type out. */
const struct emu_model *replay_setup_model(uint32_t device_id);

#endif
