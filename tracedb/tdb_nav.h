/* Moving from one event to a related one without a scan: the nearest
 * status change (status_changes is keyed by seq), the nearest event of a
 * device that matches a register access or type (the index
 * events_device on (device, seq)), and the device's reports about one
 * chain (device_steps is keyed by seq).  The inspector's w/W, d/D and
 * "who set this?" jumps are built on these.
 *
 * Errors (tdb_open.h): 0, negative errno, or positive TDB_END (nothing
 * that way: not an error), TDB_E_DAMAGED_ROW (the row named). */
#ifndef VMTRACE_TRACEDB_TDB_NAV_H
#define VMTRACE_TRACEDB_TDB_NAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracedb/tdb_events.h"

struct tdb;

struct tdb_status_change {
	uint64_t seq;
	int device;
	uint32_t old_status, new_status;
	char kind[16];     /* the file's text: set, reset, needs-reset, ... (escape it) */
	char names[128];   /* the file's text: 'ACKNOWLEDGE|DRIVER' (escape it) */
};

/* The status change of device (-1: any device) nearest seq, strictly
 * after it (TDB_FORWARD) or before it, into *out. */
int tdb_status_change_near(struct tdb *t, int device, uint64_t seq, enum tdb_direction dir,
			   struct tdb_status_change *out);

/* What tdb_device_event_near looks for: events of device, of type (enum
 * vmt_event_type, 0: any), register reg (NULL: any), direction dir (-1:
 * any; VMT_DIR_*), value (when has_value). */
struct tdb_near {
	int device;
	int type;
	const char *reg;
	int dir;
	bool has_value;
	uint64_t value;
};

/* The event passing q nearest seq, strictly after it (TDB_FORWARD) or
 * before it, among the events within span seqs of it (0: no limit; the
 * index walks only device's events, but a rare match among many of
 * them is what the span bounds): 0 with *out, TDB_END none. */
int tdb_device_event_near(struct tdb *t, const struct tdb_near *q, uint64_t seq, enum tdb_direction dir, uint64_t span,
			  uint64_t *out);

/* Most reports one call returns. */
#define TDB_CHAIN_STEPS_MAX 64

/* The seqs of the device's reports (device_steps) matched with chain
 * within [from, to], ascending, at most max of them into seqs; *n says how
 * many.  No device_steps table: *n 0. */
int tdb_chain_steps(struct tdb *t, int64_t chain, uint64_t from, uint64_t to, uint64_t *seqs, size_t max, size_t *n);

#endif
