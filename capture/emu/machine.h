/* A machine: guest RAM plus emulated virtio-mmio devices at their bases,
 * with an optional recorder.  The built-in driver runs against it; with a
 * recorder attached every register access, every guest-memory store (by
 * the driver or the device), every interrupt and every violation becomes
 * an event in the raw trace, time-stamped by a deterministic clock.
 *
 * Errors: 0 or a negative errno (-ENOMEM; -EINVAL, -EEXIST, -ENOSPC for a
 * device that cannot be added; -EFAULT for a guest-memory range outside
 * RAM; machine_recorder_error gives the recorder's first).  Register
 * accesses cannot fail: what the guest does wrong becomes a violation. */
#ifndef VMTRACE_EMU_MACHINE_H
#define VMTRACE_EMU_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/emu/emu.h"
#include "capture/event.h"

struct rawtrace_writer;
struct machine;

/* Devices one machine holds: the built-in machine's RIG_DEVICES_MAX and one
 * replay device per trace device (REPLAY_DEVICES_MAX) fit. */
#define MACHINE_DEVICES_MAX 32
/* The deterministic clock advances this much per recorded event. */
#define MACHINE_TICK_NS 100u

/* Create a machine with ram_size bytes of RAM at ram_base. */
int machine_new(struct machine **out, uint64_t ram_base, uint64_t ram_size);
void machine_free(struct machine *m); /* frees the devices too; NULL is a no-op */

/* Add a device (cfg->base must not overlap another window). *dev may be NULL. */
int machine_add_device(struct machine *m, const struct emu_device_cfg *cfg, struct emu_device **dev);

/* Attach a recorder (NULL detaches). The machine does not own it. Events
 * get source VMT_SRC_EMU and the deterministic clock. */
void machine_set_recorder(struct machine *m, struct rawtrace_writer *w);
/* Also hand every event the machine records to fn (NULL detaches), with
 * the same fields and order the recorder gets; replay compares them with
 * a trace.  The event and its data are valid only during the call. */
typedef void (*machine_observer_fn)(void *ctx, const struct vmt_event *ev);
void machine_set_observer(struct machine *m, machine_observer_fn fn, void *ctx);
/* First error the recorder returned (negative errno), or 0. */
int machine_recorder_error(const struct machine *m);

struct guest_mem *machine_mem(struct machine *m);
unsigned machine_device_count(const struct machine *m);
struct emu_device *machine_device(const struct machine *m, unsigned i);
struct emu_device *machine_device_at(const struct machine *m, uint64_t base);

/* Describe device i for a trace's device table ("virtio-blk@0x10000000"). */
void machine_device_desc(const struct machine *m, unsigned i, struct vmt_device_desc *out);

/* Driver-side access. An MMIO access outside every device window reads
 * as 0 / is dropped (and is recorded with base 0 so it is not lost). */
uint64_t machine_mmio_read(struct machine *m, uint64_t gpa, unsigned width);
void machine_mmio_write(struct machine *m, uint64_t gpa, unsigned width, uint64_t value);
/* Driver stores into / loads from guest RAM. Returns 0 or -EFAULT. */
int machine_mem_write(struct machine *m, uint64_t gpa, const void *src, uint64_t len);
int machine_mem_read(struct machine *m, uint64_t gpa, void *dst, uint64_t len);
/* The device's interrupt line (InterruptStatus != 0). */
bool machine_irq_pending(const struct machine *m, uint64_t base);
/* Record a free-text marker (workload phase). */
void machine_marker(struct machine *m, const char *text);

#endif
