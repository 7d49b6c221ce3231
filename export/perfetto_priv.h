/* What the parts of the Perfetto exporter share (docs/export-perfetto.md):
 * the export's context, its tracks and the one place events are written.
 *
 * Tracks: each device is a process (pid = device + 1).  Its thread
 * "device" (tid = pid) holds what the device did: interrupts, its queue
 * reports, and the status changes and violations at those; a thread per
 * vCPU (tid = pid * 1000 + vCPU, "vCPU N") holds the driver's register
 * accesses from that vCPU and the status changes and violations at them.
 * Perfetto keys threads by tid alone, so tids never repeat across
 * processes: device tids are below 1000, a process's vCPU tids in
 * [pid * 1000, pid * 1000 + 999].  Its requests are async slices of the
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
	bool named[PF_PIDS];      /* the process's and its device thread's metadata was written */
};

/* A process's threads, by slot: 0 the device's (tid = pid), 1 + v vCPU v
 * for v < PF_VCPU_SHARED, PF_SLOTS - 1 every vCPU from PF_VCPU_SHARED on
 * (a hostile file's vcpu can be anything up to 65535). */
#define PF_VCPU_SHARED 999
#define PF_SLOTS (PF_VCPU_SHARED + 2)
#define PF_SLOT_DEVICE 0

/* The track of device (-1: PF_PID_NONE). */
int pf_pid(int device);

/* The tid of slot of process pid (PF_SLOT_DEVICE, or 1 + vCPU). */
int pf_tid(int pid, int slot);
/* The slot of row's track: a register access's vCPU, else the device's. */
int pf_slot_of(const struct tdb_event *row);

/* Start j anew as {"ph":ph,"name":...,"pid":pid,"tid":tid,"ts":ts_ns (as
 * µs): name is n bytes of text (the file's: escaped, cut after
 * PF_NAME_MAX bytes).  The caller adds members and pj_end()s it. */
#define PF_NAME_MAX 200
void pf_head(struct pj *j, char ph, const void *name, size_t n, int pid, int tid, uint64_t ts_ns);
/* The same with a NUL-terminated name. */
void pf_head_s(struct pj *j, char ph, const char *name, int pid, int tid, uint64_t ts_ns);

/* Write j (a whole event object) as the next element of traceEvents. */
int pf_write(struct pf *p, const struct pj *j);
/* Text of the caller's own (the document around the events). */
int pf_raw(struct pf *p, const char *s);
/* Push what the stream holds to the file (the last write error shows). */
int pf_flush(struct pf *p);
/* An event at ts_ns was written (last_ts follows the latest). */
void pf_saw_time(struct pf *p, uint64_t ts_ns);

/* The device's process name and its device thread's name, written once. */
int pf_track_names(struct pf *p, int device);
/* A vCPU thread's name and sort index (the caller writes them once). */
int pf_vcpu_thread_name(struct pf *p, int pid, int slot);

/* The threads' state in the events pass (perfetto_tracks.c): each
 * thread's last X slice, held until its next event gives its duration,
 * and whether its name was written.  Memory: a table of PF_SLOTS
 * pointers per process that has events, one slot per thread used. */
struct pf_tracks;
int pf_tracks_open(struct pf *p, struct pf_tracks **out);
/* Every held slice written (its duration the full one). */
int pf_tracks_end(struct pf_tracks *tr);
void pf_tracks_free(struct pf_tracks *tr);  /* NULL is fine */
/* An X slice at ts starts on thread (pid, slot): the thread's previous
 * slice is written (its duration up to ts at most), and *j is where the
 * caller builds the new one, not terminated: it is written (with its
 * "dur") when the thread's next event or the end comes. */
int pf_tracks_slice(struct pf_tracks *tr, int pid, int slot, uint64_t ts, struct pj **j);
/* An instant at ts is about to be written on thread (pid, slot): the
 * thread is named, and its held slice written first if it started
 * before ts (its duration cut at ts), so each thread's events are in
 * time order in the file when the trace's are. */
int pf_tracks_instant(struct pf_tracks *tr, int pid, int slot, uint64_t ts);

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

/* The status changes and violations (perfetto_findings.c), read along
 * the events pass in seq order by cursors of their own, each written as
 * an instant on the thread of the event it happened at. */
struct pf_findings;
int pf_findings_open(struct pf *p, struct pf_tracks *tr, struct pf_findings **out);
/* Those before seq (all: UINT64_MAX), each at its own event. */
int pf_findings_before(struct pf_findings *fi, uint64_t seq);
/* Those at row, an event of the pass (its slice already started). */
int pf_findings_at(struct pf_findings *fi, const struct tdb_event *row);
void pf_findings_free(struct pf_findings *fi);  /* NULL is fine */

/* The passes, each streaming what it reads (export_perfetto.c runs them). */
int pf_events(struct pf *p);          /* perfetto_events.c: with the status changes and violations */
int pf_markers(struct pf *p);         /* perfetto_events.c: with --device */
int pf_requests(struct pf *p);        /* perfetto_requests.c */

#endif
