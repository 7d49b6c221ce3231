/* Inside the list views: the row window every view shares
 * (tui_listview.c) and the hooks each view fills (lv_devices.c,
 * lv_requests.c, lv_violations.c, lv_queues.c).  Not for callers outside
 * tui/views/. */
#ifndef VMTRACE_TUI_VIEWS_LV_PRIV_H
#define VMTRACE_TUI_VIEWS_LV_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracedb/tdb_events.h"
#include "tui/views/tui_listview.h"

/* Columns a view has; bytes one cell keeps (escaped text, cut). */
#define LV_COLS_MAX 12
#define LV_CELL_MAX 512
/* Rows a view's window holds (a page is read in each way as the cursor
 * nears an end, and the far end is dropped), and rows one read asks for. */
#define LV_WINDOW_MAX 512
#define LV_PAGE 64

struct lv_col {
	const char *name;   /* the header's word */
	int max;            /* widest the column grows (the last takes the rest) */
	bool right;         /* numbers: right-aligned */
};

/* Where a row sits in its view's order (keyset paging): the view's key. */
struct lv_key {
	int64_t k1, k2;
};

struct lv_row {
	struct lv_key key;
	bool has_jump;      /* Enter goes to jump */
	uint64_t jump;
	int64_t request;    /* the request the row is (its detail there), -1 none */
	unsigned attr;      /* TUI_A_RED, TUI_A_YELLOW with colour (the text says it too) */
	char *cell[LV_COLS_MAX]; /* escaped text; all in one block from cell[0], owned */
};

struct lv_rows {
	struct lv_row *row;
	size_t n, cap;
};

/* Add a row of ncols cells (each already escaped; NULL reads as "") to
 * rs.  0 or -ENOMEM. */
int lv_rows_add(struct lv_rows *rs, struct lv_key key, bool has_jump, uint64_t jump, unsigned attr,
		const char *const *cells, int ncols);
void lv_row_release(struct lv_row *r);
void lv_rows_release(struct lv_rows *rs);

struct lv_ops {
	const struct lv_col *cols;
	int ncols;
	const char *empty;   /* the line an empty view shows */
	/* The first max rows after *after (NULL: from the start) in dir
	 * (TDB_BACKWARD: the rows before it, nearest first; NULL: from the
	 * end) into out; *end: there are no more that way.  A tracedb error
	 * (positive) leaves what was read in out and is shown on screen. */
	int (*fetch)(struct tui_listview *v, const struct lv_key *after, enum tdb_direction dir, size_t max,
		     struct lv_rows *out, bool *end);
	/* The view's own keys (s, f): LV_KEY_RELOAD (the order changed: read
	 * from the start again), LV_KEY_REDRAW, or 0 (not the view's). */
	unsigned (*key)(struct tui_listview *v, int key);
	/* What the header line says at its right ("2067 requests by seq"). */
	void (*summary)(struct tui_listview *v, char *buf, size_t len);
	/* The keys line (tui_listview_keys). */
	const char *(*keys)(struct tui_listview *v);
	void (*free)(void *priv);
};
enum { LV_KEY_REDRAW = 1, LV_KEY_RELOAD = 2 };

struct tui_listview {
	struct tdb *t;
	enum tui_view_id id;
	const struct lv_ops *ops;
	void *priv;                /* the view's own, freed by ops->free */
	struct lv_rows win;        /* the rows read, in order */
	size_t cur, top;           /* cursor and first shown, indexes into win */
	bool loaded, at_start, at_end;
	int shown;                 /* rows the last draw showed (PgDn's step) */
	int err;                   /* the last read's error (shown), 0 none */
	int fatal;                 /* a key's fatal error, for the next draw to return */
	int open_err;              /* the view's rows could not be read when it opened */
	char open_msg[256];        /* why (escaped), shown in place of the rows */
	char errmsg[256];          /* escaped */
	char keysbuf[256];
};

/* For views whose rows are an array of n (k1 the index): the first
 * index a fetch covers, how many, and whether that reaches the end. */
void lv_index_span(size_t n, const struct lv_key *after, enum tdb_direction dir, size_t max, size_t *first,
		   size_t *count, bool *end);

/* The views (each file's one export): fill v->ops and v->priv. */
int lv_devices_open(struct tui_listview *v);
int lv_requests_open(struct tui_listview *v);
int lv_violations_open(struct tui_listview *v);
int lv_queues_open(struct tui_listview *v);

/* Keep a positive (input) error of the view's opening read for the
 * screen (the view opens empty); return a negative one. */
int lv_open_err(struct tui_listview *v, int r);

/* The escaped text of s (NULL reads as "") in buf. */
const char *lv_esc(const char *s, char *buf, size_t len);

#endif
