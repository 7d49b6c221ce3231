/* What the parts of the Perfetto exporter share (docs/export-perfetto.md):
 * the export's context, its tracks and the one place events are written.
 *
 * Tracks: each device is a process (pid = device + 1) whose main thread
 * (tid = pid) holds its register accesses, interrupts, device reports,
 * status changes and violations; its requests are async slices of that
 * process (Perfetto puts b/e on process tracks, one per overlapping
 * request); its counters are process counters.  Register accesses of no
 * device go to PF_PID_NONE; markers and lost events are global.
 *
 * Errors: as export.h (0, -errno, a tracedb error), err filled. */
#ifndef VMTRACE_EXPORT_PERFETTO_PRIV_H
#define VMTRACE_EXPORT_PERFETTO_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export/export.h"
#include "export/perfetto_json.h"
#include "tracedb/tdb_devices.h"

struct tdb;
struct tdb_event;
struct tdb_filter;

#define PF_PID_NONE (TDB_DEVICE_ID_MAX + 2)  /* register accesses outside every device */
#define PF_PIDS (PF_PID_NONE + 1)

struct pf {
	struct tdb *t;
	const struct export_opts *o;
	FILE *out;
	struct export_summary *s;
	char *err;
	size_t errlen;
	uint64_t from, to;        /* the seq range, inclusive (to UINT64_MAX: no end) */
	struct pj j;              /* the event being built */
	bool any;                 /* an event was written: the next one needs a comma */
	bool have_last;
	uint64_t last_ts;         /* latest event time written (ends requests never used) */
	bool named[PF_PIDS];      /* the track's metadata was written */
};

/* The track of device (-1: PF_PID_NONE). */
int pf_pid(int device);

/* Start j anew as {"ph":ph,"name":...,"pid":pid,"tid":pid,"ts":ts_ns (as
 * µs): name is n bytes of text (the file's: escaped, cut after
 * PF_NAME_MAX bytes).  The caller adds members and pj_end()s it. */
#define PF_NAME_MAX 200
void pf_head(struct pj *j, char ph, const void *name, size_t n, int pid, uint64_t ts_ns);
/* The same with a NUL-terminated name. */
void pf_head_s(struct pj *j, char ph, const char *name, int pid, uint64_t ts_ns);

/* Write j (a whole event object) as the next element of traceEvents. */
int pf_write(struct pf *p, const struct pj *j);
/* Text of the caller's own (the document around the events). */
int pf_raw(struct pf *p, const char *s);
/* Push what the stream holds to the file (the last write error shows). */
int pf_flush(struct pf *p);
/* An event at ts_ns was written (last_ts follows the latest). */
void pf_saw_time(struct pf *p, uint64_t ts_ns);

/* The track's process and thread names, written once. */
int pf_track_names(struct pf *p, int device);

/* A tracedb error r while doing what: err says so with tdb_errmsg.
 * Returns r. */
int pf_fail(struct pf *p, int r, const char *what);

/* A filter of the export's seq range for device (-1 every one) and types
 * (bits 1u << VMT_EV_*). */
void pf_filter(const struct pf *p, struct tdb_filter *f, int device, unsigned types);
/* fn for each row of the cursor f opens, in seq order (nonzero stops and
 * is returned); a damaged row is written as a global instant that names
 * it when report_damaged, else passed over. */
int pf_each_row(struct pf *p, const struct tdb_filter *f, bool report_damaged,
		int (*fn)(void *arg, const struct tdb_event *row), void *arg);

/* The passes, each streaming what it reads (export_perfetto.c runs them). */
int pf_events(struct pf *p);          /* perfetto_events.c */
int pf_markers(struct pf *p);         /* perfetto_events.c: with --device */
int pf_status_changes(struct pf *p);  /* perfetto_findings.c */
int pf_violations(struct pf *p);      /* perfetto_findings.c */
int pf_requests(struct pf *p);        /* perfetto_requests.c */

#endif
