/* The device's own reports of its queue steps (device_steps, docs/schema.md)
 * summed up: how many ring copies were checked against them and how many
 * were torn.  Files without the table (decoded before it existed) have
 * no reports: every count is 0.
 *
 * Errors (tdb_open.h): 0, or a negative errno (SQLite failed). */
#ifndef VMTRACE_TRACEDB_TDB_STEPS_H
#define VMTRACE_TRACEDB_TDB_STEPS_H

#include <stdint.h>

struct tdb;

struct tdb_steps_summary {
	uint64_t reports;      /* device_steps rows */
	uint64_t pops;         /* of them, pops */
	uint64_t checked;      /* pops checked against a chain (verdict agrees or torn) */
	uint64_t torn;         /* chains whose copy was torn (chains.memory 'torn') */
	uint64_t no_copy;      /* pops without a complete copy (verdict no-copy) */
	uint64_t unchecked;    /* pops not checked (no verdict: no live ring for them) */
	uint64_t from_reports; /* blk requests written from a report (blk steps judged torn or no-copy) */
	uint64_t unreported;   /* chains of devices that reported nothing (best-effort, never checked) */
	uint64_t unreported_devices;
};

/* Count them into *out (all 0 without the table). */
int tdb_steps_summary(struct tdb *t, struct tdb_steps_summary *out);

/* The devices whose chains no report could check although the trace holds
 * reports: QEMU reported no queue step of theirs (a vhost back end works
 * its rings outside QEMU).  fn is called per device, in device order,
 * with its chain count; a non-zero return stops and is returned.  Nothing
 * is called for a trace without reports. */
int tdb_steps_unreported(struct tdb *t, int (*fn)(void *arg, int device, uint64_t chains), void *arg);

#endif
