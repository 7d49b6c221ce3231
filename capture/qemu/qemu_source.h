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
 * Errors: 0, -ENOMEM (qemu_source_new), or the emit callback's negative
 * error passed back unchanged; a line that does not parse is input,
 * recorded as a lost event, never an error. */
#ifndef VMTRACE_QEMU_SOURCE_H
#define VMTRACE_QEMU_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"

struct guest_ram;

#define QEMU_SOURCE_REGION "virtio-mmio"

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
	uint64_t snapshots; /* snapshot triggers */
	uint64_t snapshot_bytes;
};

struct qemu_source;

int qemu_source_new(struct qemu_source **out, const struct qemu_source_cfg *cfg); /* 0 or -ENOMEM */

/* Feed the next len bytes of QEMU's output, read at now_ns (used as the
 * event time when lines carry none).  Returns 0 or the emit callback's
 * negative error. */
int qemu_source_feed(struct qemu_source *s, const char *buf, size_t len, uint64_t now_ns);

/* The output ended: a last line without its newline is parsed if complete,
 * else counted as cut short.  Returns 0 or the emit error. */
int qemu_source_end(struct qemu_source *s, uint64_t now_ns);

void qemu_source_get_stats(const struct qemu_source *s, struct qemu_source_stats *st);
void qemu_source_free(struct qemu_source *s); /* NULL is a no-op */

#endif
