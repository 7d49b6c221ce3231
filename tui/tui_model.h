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
	char pattern[TUI_SEARCH_MAX + 1];
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

#endif
