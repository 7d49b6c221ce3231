/* The TUI's model of a trace.db: a cursor over the events and a window of
 * formatted lines around it.  Events are never all loaded: the window
 * holds at most TUI_WINDOW_MAX lines, read through the tracedb cursor
 * (keyset paging on seq) a page at a time as the cursor moves, and a jump
 * (g, G, :SEQ, a search hit) starts a new window there.  Each line is the
 * one `vmtrace show` prints (format/tdb/fmt_row.h), with a mark: '!' the
 * event broke a rule, '~' an anomaly.
 *
 * Errors: 0, -ENOMEM, or a tracedb error (tdb_open.h; tdb_errmsg names
 * it).  tui_model_open writes its message into err. */
#ifndef VMTRACE_TUI_TUI_MODEL_H
#define VMTRACE_TUI_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tdb;
struct tdb_event;
struct tui_fmt;

/* Rows read per page; lines the window keeps (at least 4 screens). */
#define TUI_PAGE 256
#define TUI_WINDOW_MAX 4096
/* Events one search keystroke formats and looks at before it stops and
 * says so (n goes on from there). */
#define TUI_SEARCH_BUDGET 100000
#define TUI_SEARCH_MAX 255
/* The same with filters: each passing event is formatted from its
 * device's state read anew at its seq (about 0.1 ms), not walked on from
 * the event before it. */
#define TUI_SEARCH_BUDGET_FILTERED (TUI_SEARCH_BUDGET / 16)

/* The filter stack (perf report's zoom): each filter is taken from an
 * event under the cursor and they all hold at once (AND).  A filtered
 * walk looks at most TUI_FILTER_SPAN seqs of the trace per keystroke
 * (paging, a jump, a search step, e/E): a filter that lets few events
 * through (one rare type on a 10M-event trace) cannot make one keystroke
 * scan the whole file; it stops, says where (tui_model.stopped), and the
 * next keystroke goes on from there. */
#define TUI_FILTER_MAX 8
#define TUI_FILTER_SPAN (1u << 20)
#define TUI_FILTER_DESC_MAX 256

enum tui_filter_kind { TUI_FILTER_DEVICE, TUI_FILTER_QUEUE, TUI_FILTER_TYPE, TUI_FILTER_VIOLATIONS };

struct tui_filter {
	enum tui_filter_kind kind;
	int device;          /* DEVICE, QUEUE: devices.device */
	int64_t queue;       /* QUEUE */
	int type;            /* TYPE: enum vmt_event_type */
};

struct tui_line {
	uint64_t seq;        /* the row's seq (0 when !seq_ok) */
	uint64_t key;        /* seq for paging (a !seq_ok row: the previous row's) */
	bool seq_ok, damaged;
	char mark;           /* '!' violation, '~' anomaly, ' ' */
	int device;          /* devices.device, -1 none */
	int type;            /* enum vmt_event_type */
	char *text;          /* show's line, owned */
	size_t what;         /* where the event's text starts in it */
};

struct tui_model {
	struct tdb *t;
	char path[4096];
	bool empty;                 /* no events */
	uint64_t lo, hi;            /* lowest and highest seq */
	uint64_t count_hint;        /* hi - lo + 1 */
	/* The request the last jump from the requests view was for (-1
	 * none): where an event belongs to several (one notify for many),
	 * the detail and "who set this?" take that one (tui_who_links). */
	int64_t prefer_request;
	struct tui_fmt *win_fmt;    /* the window's formatter and cursor */
	struct tui_fmt *find_fmt;   /* search's */
	struct tdb_cursor *back;    /* backward, for paging up */
	struct tdb_cursor *one;     /* one event with its bytes (detail) */
	struct tui_line *win;       /* ascending seq; owned */
	size_t n, cap;
	bool win_start, win_end;    /* the window holds the first / last event */
	size_t cur, top;            /* the cursor's line, the first line shown */
	int h;                      /* lines the list shows (tui_model_frame) */
	bool context;               /* the next frame shows lines before the cursor (a jump) */
	size_t win_limit;           /* tests: the window's limit in place of TUI_WINDOW_MAX (0: none) */
	uint64_t span_limit;        /* tests: the span in place of TUI_FILTER_SPAN (0: none) */
	char pattern[TUI_SEARCH_MAX + 1];
	struct tui_filter filters[TUI_FILTER_MAX]; /* the stack, bottom first */
	size_t n_filters;
	/* Where the last keystroke's filtered walk stopped with its
	 * TUI_FILTER_SPAN spent before it found what it wanted (the seq it
	 * would look at next); UINT64_MAX: it did not stop.  Set by every
	 * call below that moves the cursor (tui_model_frame leaves it, or
	 * sets it when its own walk stops).  The cursor stays where it was;
	 * the same call again goes on from there: j/k/PgUp/PgDn/G by
	 * themselves, e/E and n/N with the cursor on the same event,
	 * tui_model_goto with the same seq. */
	uint64_t stopped;
	uint64_t span_left;         /* seqs this call may still look at */
	/* Filtered: the walk past the window's last line went on to
	 * fwd_next (nothing passed before it), the one before its first
	 * line down to bwd_next (nothing passed from there up). */
	bool fwd_known, bwd_known;
	uint64_t fwd_next, bwd_next;
	/* A filtered look that stopped (e/E, n/N, :SEQ): the same call again
	 * with the cursor on the same event goes on from resume_from. */
	int resume_op;              /* 0 none, else which call (tui_model.c) */
	uint64_t resume_at, resume_from;
};

/* Open path (tdb_open: defensive, read-only) and the window at its first
 * event.  Returns 0 with *out, or the error (message in err). */
int tui_model_open(struct tui_model **out, const char *path, char *err, size_t errlen);
void tui_model_close(struct tui_model *m); /* NULL is fine */

/* The cursor's line (NULL when there are no events). */
const struct tui_line *tui_model_cur(const struct tui_model *m);

/* Keep the cursor among h shown lines and the lines from top loaded. */
int tui_model_frame(struct tui_model *m, int h);

/* Move the cursor by delta lines (clamped at the ends). */
int tui_model_move(struct tui_model *m, long delta);
/* Move the view and the cursor by delta lines (PgUp/PgDn). */
int tui_model_page(struct tui_model *m, long delta);

/* The cursor to the first event at or after seq (the last event when
 * none is), the view starting there. */
int tui_model_goto(struct tui_model *m, uint64_t seq);
int tui_model_first(struct tui_model *m);
int tui_model_last(struct tui_model *m);

/* Search the lines for pattern (case-insensitive; NULL: the last one)
 * after the cursor (forward) or before it.  *found: the cursor moved to a
 * hit; otherwise *stopped says where the budget ran out (UINT64_MAX: the
 * trace ended). */
int tui_model_search(struct tui_model *m, const char *pattern, bool forward, bool *found, uint64_t *stopped);

/* The cursor to the next (forward) or previous event that broke a rule
 * or has an anomaly (lnav's e/E); *found false: none that way. */
int tui_model_marked(struct tui_model *m, bool forward, bool *found);

/* The event at seq with its bytes into *row (pointers valid until the
 * next call): 0, TDB_E_NOT_FOUND, TDB_E_DAMAGED_ROW, or an error. */
int tui_model_event(struct tui_model *m, uint64_t seq, struct tdb_event *row);

/* Push a filter taken from the cursor's event (its device, queue, type)
 * and reload the window at the first passing event at or after the
 * cursor (or the last before it).  -EINVAL: the cursor's event has no
 * such property (e.g. no queue); -ENOSPC: stack full.  *empty true:
 * nothing passes (the filter is not pushed).  A queue is the one the
 * event acts on: QueueNotify's value, a queue register's QueueSel, a
 * device report's queue, the ring a memory event lies in.  -EAGAIN: the
 * walk for a passing event spent its span both ways without finding one
 * (only violations can: the cursor's own event passes the others); the
 * filter is not pushed, tui_model.stopped says where the walk stopped. */
int tui_model_filter_push(struct tui_model *m, enum tui_filter_kind kind, bool *empty);
/* Pop the last filter (no-op on an empty stack); the cursor stays on
 * its event. */
int tui_model_filter_pop(struct tui_model *m);
size_t tui_model_filter_depth(const struct tui_model *m);
/* "virtio-blk@0xfeb00e00 > q0 > violations" into buf (empty string: no
 * filter); names from the file, escaped. */
void tui_model_filter_describe(const struct tui_model *m, char *buf, size_t len);

#endif
