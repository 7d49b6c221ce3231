/* The inspector's other views: devices, requests, violations and
 * anomalies, queue generations.  Each is a list of rows read from the
 * trace a page at a time (never the whole table per keystroke), drawn
 * into a grid under a column header line, with a cursor row; Enter names
 * the event the row is about so the app can jump there in the event list
 * (view 1).
 *
 * Errors: tui_listview_open and tui_listview_draw return 0, a negative
 * errno, or a tracedb error (tdb_open.h; tdb_errmsg says what).  A view
 * that meets a damaged row shows what it could read and says so in its
 * rows; it does not fail. */
#ifndef VMTRACE_TUI_VIEWS_TUI_LISTVIEW_H
#define VMTRACE_TUI_VIEWS_TUI_LISTVIEW_H

#include <stdbool.h>
#include <stdint.h>

struct tdb;
struct tui_grid;

enum tui_view_id {
	TUI_VIEW_EVENTS, TUI_VIEW_DEVICES, TUI_VIEW_REQUESTS, TUI_VIEW_VIOLATIONS,
	TUI_VIEW_QUEUES, TUI_VIEW_N
};

struct tui_listview;

/* Open view id (not TUI_VIEW_EVENTS: that is the app's own list) on t,
 * which must outlive it.  0 with *out (free with tui_listview_free). */
int tui_listview_open(struct tui_listview **out, struct tdb *t, enum tui_view_id id);

/* Free v (NULL is allowed). */
void tui_listview_free(struct tui_listview *v);

/* Draw into rows [top, top + h) of g: a column header line then the rows,
 * the cursor's row in reverse video (and marked '>' in its first column,
 * so it shows without attributes too).  color: colour may repeat what the
 * letters say. */
int tui_listview_draw(struct tui_listview *v, struct tui_grid *g, int top, int h, bool color);

enum { TUI_LV_REDRAW = 1, TUI_LV_JUMP = 2, TUI_LV_CLOSE = 4 };

/* Act on a key (tui_input.h's key codes): j/k/arrows, PgUp/PgDn, g/G
 * (Home/End) move; Enter returns TUI_LV_JUMP with *seq the event to go
 * to; Esc returns TUI_LV_CLOSE; the requests view's s cycles the sort and
 * f the kind filter.  0: the view does not use the key (the app may). */
unsigned tui_listview_key(struct tui_listview *v, int key, uint64_t *seq);
/* The request the row under the cursor is (the requests view), -1 none:
 * after a jump, the event list's detail shows that one where several
 * share the event (one notify for many requests). */
int64_t tui_listview_request(const struct tui_listview *v);

/* One line for the status line: the view's keys. */
const char *tui_listview_keys(const struct tui_listview *v);

#endif
