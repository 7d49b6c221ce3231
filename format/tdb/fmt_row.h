/* One trace.db event row as `vmtrace show` prints it:
 *
 *   "      42      70.000us virtio-blk@0x10000000    W QueueNotify ..."
 *
 * (seq, the time since the trace's first event, a cpuN column when more
 * than one vCPU made register accesses, the device column as wide as the
 * longest device name, then the one event formatter's text), and the
 * violation ('!') and anomaly ('~') lines printed under it.  show prints
 * these lines; the TUI's event list and detail pane show the same text.
 *
 * A struct fmt_rows keeps what the lines depend on: the formatter's device
 * state (format/tdb/fmt_tdb.h, filled from the file where the rows start
 * and walked along the rows formatted in seq order), the request buffers
 * that name memory, the time origin and the column widths.
 *
 * Errors: 0, or a tracedb error (tdb_open.h: negative errno, positive
 * TDB_E_*) with tdb_errmsg saying what, or -ENOMEM. */
#ifndef VMTRACE_FORMAT_TDB_FMT_ROW_H
#define VMTRACE_FORMAT_TDB_FMT_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/tdb/fmt_tdb.h"

struct tdb;
struct tdb_event;
struct tdb_violation;
struct tdb_anomaly;
struct fmt_rows;

/* A buffer that holds any line fmt_rows_line writes (seq, time, cpu,
 * the escaped device name, the formatter's text and a step note). */
#define FMT_ROW_LINE_MAX 6144
/* A violation or anomaly line (escaped rule, message, section). */
#define FMT_ROW_NOTE_MAX 1024

/* The request buffers a reader loads to name memory around the rows it
 * formats (show --from/--count, the TUI's window): those of the chains
 * made available from FMT_TDB_BUF_BEFORE seqs before the rows to
 * FMT_TDB_BUF_AFTER after them, and the chains still in flight where that
 * starts (tdb_bufs_each).  The one rule both use, so the TUI's lines are
 * show's.  A memory event is named by the chain in flight at it (made
 * available before it: in the range, or in flight at its start), or else
 * by the next one made available at most FMT_TDB_NEXT_MAX seqs after it
 * (in the range while AFTER is at least that): a part of the trace names
 * memory as the whole trace does.  The load's cost follows the margins
 * and the queues' sizes, not the trace. */
#define FMT_TDB_BUF_BEFORE 1024u
#define FMT_TDB_BUF_AFTER FMT_TDB_NEXT_MAX

struct fmt_rows_opts {
	uint64_t from;       /* where the rows start (the state is read there) */
	bool one_device;     /* the rows are every event of one device (show --device) */
	bool bufs;           /* name memory by the request buffers it lies in */
	uint64_t bufs_from;  /* the requests notified in [bufs_from, bufs_to] */
	uint64_t bufs_to;    /* (bufs_to 0: no end) */
	bool cpu_col_given;  /* whether there is a cpu column is known (cpu_col): */
	bool cpu_col;        /* no need to find it out (a second fmt_rows of one trace) */
};

/* Read what the lines of t depend on into *out (free with fmt_rows_free):
 * the state before opts->from, the device column's width, the request
 * buffers (a buffer list that cannot be read leaves memory named from the
 * rings only), whether there is a cpu column (meta 'mmio_vcpus'; in older
 * files the first few thousand register accesses), the time of the first
 * event.  Its cost does not grow with the trace's length. */
int fmt_rows_open(struct fmt_rows **out, struct tdb *t, const struct fmt_rows_opts *opts);
void fmt_rows_free(struct fmt_rows *r); /* NULL is fine */

/* Whether the lines have a cpuN column (more than one vCPU). */
bool fmt_rows_cpu_col(const struct fmt_rows *r);

/* Read the device state anew as it stood before seq: the next row
 * formatted is expected at seq (a reader jumping to another place). */
void fmt_rows_seek(struct fmt_rows *r, uint64_t seq);

/* The seq the walk of the formatter's state expects next (the row after
 * the last one formatted, or where fmt_rows_seek put it). */
uint64_t fmt_rows_next(const struct fmt_rows *r);

/* Load the request buffers of the requests notified in [from, to] in
 * place of those loaded (to 0: no end).  Returns 0; a list that cannot be
 * read leaves memory named from the rings only. */
int fmt_rows_load_bufs(struct fmt_rows *r, uint64_t from, uint64_t to);

/* Write row's line (no newline) into buf (len bytes, FMT_ROW_LINE_MAX
 * holds any), as show prints it: a damaged row as 'damaged row: WHY'.
 * *what (may be NULL) gets where the event's text starts in buf, after
 * the seq, time, cpu and device columns.
 * The formatter's state follows the row (its device state is read anew
 * when the row is not the one the walk expects).  Returns buf. */
const char *fmt_rows_line(struct fmt_rows *r, const struct tdb_event *row, char *buf, size_t len, size_t *what);

/* The meaning in a register access's text (fmt_rows_line's from *what:
 * "W Status            4 0x0000000b ACKNOWLEDGE|DRIVER|FEATURES_OK"):
 * what follows the direction, register, width and value columns ("" if
 * none).  For a reader that shows the columns its own way (export). */
const char *fmt_row_meaning(const char *text);

/* The formatter's state follows row as fmt_rows_line's would, without
 * writing its line (a reader that needs the lines of some rows only: the
 * exporter's register accesses). */
void fmt_rows_follow(struct fmt_rows *r, const struct tdb_event *row);

/* The device the last line named in its device column (devices.device;
 * for memory, the device whose ring or request buffer it lies in), -1
 * none. */
int fmt_rows_line_device(const struct fmt_rows *r);

/* The line show prints under an event for violation v:
 * "         ! error (driver) rule-key: message  [section]". */
const char *fmt_row_violation(const struct tdb_violation *v, char *buf, size_t len);

/* The same for anomaly a: "         ~ anomaly RULE: message  (...; not a violation)". */
const char *fmt_row_anomaly(const struct tdb_anomaly *a, char *buf, size_t len);

#endif
