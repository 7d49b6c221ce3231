/* QEMU's trace text turned into vmtrace events.
 *
 * Bytes from QEMU's trace output go in, in chunks of any size; complete
 * lines are parsed (qemu_line.h), accesses to regions named "virtio-mmio"
 * become VMT_EV_MMIO events (device base = the 0x200-aligned window the
 * address falls in, value masked to the access width), and, when guest RAM
 * is shared, ring snapshots are emitted before each QueueNotify write and
 * InterruptStatus read (ring_snap.h).  Everything else QEMU prints is
 * counted and skipped.  A line that names a virtio-mmio region but does
 * not parse is a lost event: a VMT_EV_MARKER says which line and why, and
 * a VMT_EV_LOST counts it.
 *
 * QEMU's virtio trace events become VMT_EV_QUEUE events, the device's own
 * report of each step (event.h).  QEMU names devices and queues by its
 * own pointers, so they are learnt first: a virtio_queue_notify line
 * (vdev, n, vq) written by thread T right after T's virtio-mmio write of n
 * to QueueNotify at base B maps vdev to B and vq to queue n of B.  Then
 * virtqueue_pop / _fill / _flush (by vq), virtio_blk_handle_read /
 * _write (by vdev, and the queue the request's element was popped from)
 * and virtio_scsi_cmd_req (the command of the element its thread popped
 * on its line before, on a device whose DeviceID read said SCSI), with
 * scsi_req_parsed and scsi_req_parsed_lba (how QEMU's SCSI layer parsed
 * that command: the thread's next lines, same tag, LUN and opcode) become
 * reports; reports on a pointer not mapped, or no longer trusted
 * (seen for two devices or queues), are counted and not emitted.  Before
 * a pop, the queue's newly available chains are copied (ring_snap_queue),
 * so the copy precedes the pop in the trace.  At a flush, and again at
 * the flushing thread's next line (or a quiet spell: qemu_source_idle),
 * the queue is copied again (ring_snap_queue: avail side, then used): the
 * driver may take those entries without another register access.  At the end every live
 * queue is copied once more.  A virtio line that does not
 * parse is counted as bad and leaves a VMT_EV_MARKER naming its line and
 * why, but no lost event (no register access was lost).
 *
 * Errors: 0, -ENOMEM (qemu_source_new), or the emit callback's negative
 * error passed back unchanged; a line that does not parse is input,
 * recorded as a lost event, never an error. */
#ifndef VMTRACE_QEMU_SOURCE_H
#define VMTRACE_QEMU_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"
#include "capture/qemu/ring_snap.h"

struct guest_ram;

#define QEMU_SOURCE_REGION "virtio-mmio"

/* Bounds of what the virtio mapping remembers (all fixed-size): devices
 * (vdev pointers), queues (vq pointers), threads with a QueueNotify write
 * awaiting its virtio_queue_notify line, and elements popped and not yet
 * filled (QEMU's in-flight requests; a blk queue holds at most 1024). */
#define QEMU_SOURCE_VDEVS_MAX RING_SNAP_DEVICES_MAX
#define QEMU_SOURCE_VQS_MAX (RING_SNAP_DEVICES_MAX * RING_SNAP_QUEUES_MAX)
#define QEMU_SOURCE_THREADS_MAX 64
#define QEMU_SOURCE_INFLIGHT_MAX 4096
/* Queues that wait for a second copy after a flush (at the
 * flushing thread's next line); more at once are copied at the flush
 * line only. */
#define QEMU_SOURCE_USED_PENDING_MAX 64

/* Receives each event (borrowed data); a negative return is passed back. */
typedef int (*qemu_source_emit_fn)(void *ctx, const struct vmt_event *ev);

struct qemu_source_cfg {
	qemu_source_emit_fn emit;
	void *ctx;
	const struct guest_ram *ram; /* NULL: no ring snapshots */
};

struct qemu_source_stats {
	uint64_t lines;     /* complete lines seen */
	uint64_t accesses;  /* virtio-mmio accesses emitted */
	uint64_t other;     /* accesses to other regions, other text */
	uint64_t bad;       /* lines that claim to be ours but do not parse */
	uint64_t lost;      /* of those, lines naming a virtio-mmio region */
	uint64_t first_bad_line; /* 1-based line number, 0 if none */
	char first_bad_why[96];
	unsigned devices;   /* distinct virtio-mmio windows accessed */
	/* The virtio events (QEMU's own report of each queue step). */
	uint64_t reports;          /* VMT_EV_QUEUE events emitted */
	uint64_t reports_unmapped; /* on a vq or vdev not mapped or not trusted: not emitted */
	uint64_t reports_no_pop;   /* blk reports whose element's pop was not seen, scsi commands not
				    * right after their thread's pop on a SCSI device, scsi parse
				    * lines not right after their command: not emitted */
	uint64_t notifies;         /* virtio_queue_notify lines */
	uint64_t notifies_unmatched; /* not right after their thread's QueueNotify write of n */
	unsigned queues_mapped;    /* vq pointers mapped to a device's queue */
	uint64_t map_conflicts;    /* a pointer seen for two devices or queues: untrusted from then on */
	uint64_t map_full;         /* mappings, threads or in-flight elements past their bound */
	uint64_t pop_snapshots;    /* ring copies taken at a pop */
	uint64_t used_snapshots;   /* queue copies after a flush (at it, at the thread's next
				    * line, at a quiet spell) */
	uint64_t final_snapshots;  /* copies of every live queue at the end (0 or 1) */
	uint64_t snapshots; /* snapshot triggers */
	uint64_t snapshot_bytes;
};

struct qemu_source;

int qemu_source_new(struct qemu_source **out, const struct qemu_source_cfg *cfg); /* 0 or -ENOMEM */

/* Feed the next len bytes of QEMU's output, read at now_ns (used as the
 * event time when lines carry none).  Returns 0 or the emit callback's
 * negative error. */
int qemu_source_feed(struct qemu_source *s, const char *buf, size_t len, uint64_t now_ns);

/* QEMU has written nothing for a while (the caller's poll timed out):
 * the queues still waiting for their second copy after a flush are
 * copied now.  Returns 0 or the emit error. */
int qemu_source_idle(struct qemu_source *s, uint64_t now_ns);

/* The output ended: a last line without its newline is parsed if complete,
 * else counted as cut short; then the trace's last ring copies (pending
 * queues, every live queue: guest RAM outlives the VMM, it is
 * vmtrace's memory file).  Returns 0 or the emit error. */
int qemu_source_end(struct qemu_source *s, uint64_t now_ns);

void qemu_source_get_stats(const struct qemu_source *s, struct qemu_source_stats *st);
void qemu_source_free(struct qemu_source *s); /* NULL is a no-op */

#endif
