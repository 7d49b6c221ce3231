/* Snapshots of virtqueues (split, or packed when the driver accepted
 * VIRTIO_F_RING_PACKED: the descriptor ring, both event suppression
 * areas, and the buffers of chains made available or used since the last
 * copy) in a running guest's RAM, taken when the
 * trace shows the driver kicking a queue (QueueNotify write) or looking at
 * an interrupt (InterruptStatus read), and before the driver takes rings
 * away (a Status 0 reset, QueueReady 0, a QueuePFN write, QueueReset: a
 * last copy of what the device used since).  The caller asks for more:
 * a queue about to be popped or whose device published used entries
 * (ring_snap_queue), every queue when the trace ends (ring_snap_all).  They become VMT_EV_MEM events,
 * flagged SNAPSHOT | BEST_EFFORT, emitted just before the register access
 * that triggered them, so the decoder finds the rings and buffers in its
 * shadow memory when it reaches that access.
 *
 * The snapshotter follows each device's queue set-up from the register
 * writes it is shown.  Everything it reads is guest-controlled and read
 * while the guest runs: indices are reduced modulo the queue size, chain
 * walks stop after queue-size hops, every buffer copy and every trigger
 * has a byte budget, and nothing is allocated from a guest value.
 *
 * Errors: 0, -ENOMEM (ring_snap_new), or the emit callback's negative
 * error passed back unchanged; what the guest's rings hold is never an
 * error (a copy that fails is counted in the stats). */
#ifndef VMTRACE_QEMU_RING_SNAP_H
#define VMTRACE_QEMU_RING_SNAP_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/event.h"

struct guest_ram;

/* Devices whose rings one ring_snap follows (by base address; a device
 * past them is still recorded and decoded from its register accesses, its
 * rings are not copied).  64: more than a QEMU machine creates (the arm
 * virt machine has 32 virtio-mmio transports), the same bound as the raw
 * trace's device table (RAWTRACE_META_DEVICES_MAX) and the BPF recorder's
 * (MMIO_DEVICES_MAX), within what a trace holds (VMT_TRACE_DEVICES_MAX). */
#define RING_SNAP_DEVICES_MAX 64
_Static_assert(RING_SNAP_DEVICES_MAX <= VMT_TRACE_DEVICES_MAX, "ring snapshots follow at most a trace's devices");
#define RING_SNAP_QUEUES_MAX 64
/* Bytes kept of one buffer (a blk request's data, a frame): the decoder
 * keeps 2 KiB of payload and digests what it is given. */
#define RING_SNAP_BUFFER_MAX (64u * 1024u)
/* Memory for remembering where in-flight chains want the device's output
 * (all queues together; past it, chains are walked again at used time). */
#define RING_SNAP_RECORDS_MAX (16u * 1024u * 1024u)
/* Bytes copied for one trigger, rings included. */
#define RING_SNAP_TRIGGER_MAX (4u * 1024u * 1024u)

/* Receives each snapshot event; a negative return stops the snapshot and
 * is passed back to the caller. */
typedef int (*ring_snap_emit_fn)(void *ctx, const struct vmt_event *ev);

struct ring_snap_stats {
	uint64_t triggers;  /* notifies, status reads, last copies before a reset, ring_snap_queue
			     * and (per device) ring_snap_all calls that took a snapshot */
	uint64_t events;    /* VMT_EV_MEM events emitted */
	uint64_t bytes;     /* bytes copied out of guest RAM */
	uint64_t truncated; /* buffers or triggers cut short by a budget */
	uint64_t unreadable; /* ring or buffer addresses outside guest RAM */
};

struct ring_snap;

/* ram is borrowed and must outlive the snapshotter. Returns 0 or -ENOMEM. */
int ring_snap_new(struct ring_snap **out, const struct guest_ram *ram, ring_snap_emit_fn emit, void *ctx);

/* Show the snapshotter one register access at device base (offset off)
 * before it is emitted; it may emit snapshot events first.  Returns 0 or
 * the emit callback's negative error. */
int ring_snap_access(struct ring_snap *s, uint64_t base, uint32_t off, bool write, uint32_t width,
		     uint64_t value, uint64_t ts_ns);

/* Copy queue qi of the device at base now, as a QueueNotify write of qi
 * would (the chains made available and used since the last copy, then
 * the rings): for a device about to pop a chain, so the copy is what it
 * reads; or one that has just published used entries, which the driver
 * may take and reuse without touching a register again (with
 * VIRTIO_RING_F_EVENT_IDX its interrupt handler can take entries the
 * device adds while it runs, and the device then raises no interrupt).
 * The avail side is copied first even then: a used entry must not reach
 * the trace before the chain it names (QEMU may run a line or two ahead
 * of the copy).  A device or queue not followed copies nothing.  Returns 0 or the
 * emit callback's negative error. */
int ring_snap_queue(struct ring_snap *s, uint64_t base, uint32_t qi, uint64_t ts_ns);

/* Copy every live queue of every device followed, as an InterruptStatus
 * read would (each device with its own RING_SNAP_TRIGGER_MAX budget):
 * the trace's last copy, when the VMM is gone (guest RAM stays mapped
 * until guest_ram_release).  Returns 0 or the emit callback's negative
 * error. */
int ring_snap_all(struct ring_snap *s, uint64_t ts_ns);

void ring_snap_get_stats(const struct ring_snap *s, struct ring_snap_stats *st);
void ring_snap_free(struct ring_snap *s); /* NULL is a no-op */

#endif
