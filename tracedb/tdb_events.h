/* A cursor over the events of a trace.db, with filters, forward or
 * backward, paged by keyset on seq (each page starts at the last seq the
 * previous one returned; never OFFSET, so a page costs the same anywhere
 * in a trace).  Each row comes back typed and checked.
 *
 * Errors (tdb_open.h): 0, negative errno (SQLite failed), positive:
 * TDB_END (no more rows: not an error), TDB_E_DAMAGED_ROW (a row that
 * contradicts the rest of the file: returned with .damaged set, the
 * reason in .why, and the cursor moves past it), TDB_E_NOT_FOUND (a
 * filter names a device the file has not). */
#ifndef VMTRACE_TRACEDB_TDB_EVENTS_H
#define VMTRACE_TRACEDB_TDB_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"
#include "tracedb/tdb_vocab.h"

struct tdb;
struct tdb_device;
struct tdb_cursor;

/* Rows a page holds unless tdb_filter.page says otherwise. */
#define TDB_PAGE_DEFAULT 256
#define TDB_PAGE_MAX 65536

struct tdb_filter {
	int device;            /* devices.device, -1 every event */
	int64_t queue;         /* with device: that queue's register accesses
				* (under its QueueSel), notifies, and memory
				* events inside its rings; -1 every queue */
	unsigned types;        /* bits 1u << VMT_EV_*; 0 every type */
	/* (with device and queue: that queue's device reports, type queue, too) */
	bool violations_only;  /* only events at which a rule was broken (violations and anomalies) */
	bool has_from, has_to; /* seq range [from, to], each end optional */
	uint64_t from, to;
	bool with_data;        /* read memory payloads (ev.data); else NULL */
	unsigned page;         /* rows per page, 0: TDB_PAGE_DEFAULT */
};

/* A filter that passes every event (device and queue -1). */
void tdb_filter_init(struct tdb_filter *f);

enum tdb_direction { TDB_FORWARD, TDB_BACKWARD };

struct tdb_event {
	/* seq, ts_ns, type (enum vmt_event_type), dir, width, vcpu, flags
	 * (VMT_MEM_* from memory.kind and exact), base (the device's),
	 * addr (MMIO: offset, or gpa without a device; MEM: gpa), value,
	 * len (MEM: events.len; marker/violation: text length), data
	 * (MEM with with_data: len bytes, NULL when len is 0 or there is
	 * no memory row). */
	struct vmt_event ev;
	/* QUEUE: ev.addr is the queue index, ev.value the step; with a
	 * device_steps row (has_step) ev.data / ev.len hold the report
	 * (struct vmt_queue_report, encoded, in step_data) rebuilt from it,
	 * else ev.data is NULL and ev.len 0. */
	int device;                  /* devices.device, -1 none */
	const struct tdb_device *dev; /* its row, NULL if none */
	const char *reg;             /* events.reg (NUL-terminated), NULL if none */
	const char *text;            /* marker text, violation message, NULL if none */
	bool has_memory;             /* MEM: a memory row was joined */
	enum tdb_mem_kind mem_kind;  /* MEM with has_memory */
	bool exact;
	bool has_step;               /* QUEUE: a device_steps row was joined */
	int64_t step_chain;          /* its chain (chains.chain), -1 none */
	int step_verdict;            /* its verdict (enum tdb_step_verdict), -1 not checked */
	uint8_t step_data[VMT_QUEUE_REPORT_BYTES];
	bool seq_ok;                 /* false: ev.seq is 0 and seq_shown says what it was */
	bool damaged;                /* the row contradicts the file (TDB_E_DAMAGED_ROW) */
	const char *table;           /* damaged: "events" or "memory" */
	char seq_shown[48];          /* damaged: its seq as the file has it ("42", "'x'", "-5") */
	char why[256];               /* damaged: "width -3", "dir 'X' (R or W)" */
};
/* The pointers in a tdb_event are valid until the next call on the cursor. */

/* Open a cursor over t's events passing f, positioned before the first
 * (dir TDB_FORWARD: lowest seq) or after the last (TDB_BACKWARD) event of
 * the range.  *out is freed with tdb_cursor_close. */
int tdb_cursor_open(struct tdb *t, const struct tdb_filter *f, enum tdb_direction dir, struct tdb_cursor **out);

/* The next row in the cursor's direction into *row: 0, TDB_END,
 * TDB_E_DAMAGED_ROW (row filled as far as it could be, see .why), or a
 * negative error (tdb_errmsg says what). */
int tdb_cursor_next(struct tdb_cursor *c, struct tdb_event *row);

/* Go on from seq in direction dir: the next tdb_cursor_next returns the
 * first event at or after seq (TDB_FORWARD) or at or before it
 * (TDB_BACKWARD) that passes the filter. */
void tdb_cursor_seek(struct tdb_cursor *c, uint64_t seq, enum tdb_direction dir);

void tdb_cursor_close(struct tdb_cursor *c);

/* The number of events rows (count(*)). */
int tdb_events_count(struct tdb *t, uint64_t *n);

/* The lowest and highest seq (found without a scan): 0 with *lo, *hi;
 * TDB_END if there are no events; TDB_E_DAMAGED_ROW if either is not a
 * sequence number (message names it). */
int tdb_events_bounds(struct tdb *t, uint64_t *lo, uint64_t *hi);

/* The time of the first event (lowest seq), the origin of the time
 * column (format/fmt_time.h): 0 with *ts_ns; *ts_ns 0 and TDB_END if there
 * are no events; TDB_E_DAMAGED_ROW if its ts_ns is not a time (*ts_ns 0:
 * times are then shown as recorded). */
int tdb_events_first_ts(struct tdb *t, uint64_t *ts_ns);

/* The lost table: the first seq at which events were lost (UINT64_MAX if
 * none) and the total count (saturating).  TDB_E_DAMAGED_ROW names a row
 * that is not a sequence number and a count. */
int tdb_events_lost(struct tdb *t, uint64_t *first_seq, uint64_t *count);

/* The lowest guest address of any memory row and the end of the highest
 * (0, 0 if none); rows whose gpa is no address are left out (the cursor
 * names them). */
int tdb_memory_span(struct tdb *t, uint64_t *lo, uint64_t *hi);

#endif
