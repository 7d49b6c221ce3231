/* What every exporter of a trace.db takes and reports (docs/export.md).
 *
 * Errors: an exporter returns 0, a negative errno (a write error: -ENOSPC
 * from a full disk, -EIO), or a tracedb error (tdb_open.h: positive
 * TDB_E_*, tdb_errmsg says what); err gets a message naming what failed. */
#ifndef VMTRACE_EXPORT_EXPORT_H
#define VMTRACE_EXPORT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which part of the trace: one device (devices.device, -1 every one) and
 * a seq range, each end optional. */
struct export_opts {
	int device;
	bool has_from, has_to;
	uint64_t from, to;
	uint32_t data_max;     /* bytes of a request's data kept (the rest: its length) */
};

#define EXPORT_DATA_MAX_DEFAULT 4096u

/* What was written, for the summary line. */
struct export_summary {
	uint64_t events;       /* register accesses, interrupts, status changes, markers */
	uint64_t requests;     /* request records (or slices) */
	uint64_t frames;       /* network frames */
	uint64_t violations;   /* violations and anomalies */
	uint64_t bytes;        /* of the file */
	uint64_t damaged;      /* rows of the file that contradict it, left out */
};

#endif
