/* The inspector's state besides the model: which pane has the focus, the
 * prompt being typed (:SEQ, /text, ;SQL), the help screen, the message
 * line, the panes' text and scroll, the selected device, the marks, who
 * set this, the view shown (events, the lists, an SQL result) and the
 * timeline strip.  The input handlers
 * (tui_input.c) change it, the view (tui_view.c) draws it, and a front
 * (tui_screen.c on a terminal, tui_script.c headless) runs the loop.
 *
 * Errors: 0, -ENOMEM, or a tracedb error (tui_model.h). */
#ifndef VMTRACE_TUI_TUI_APP_H
#define VMTRACE_TUI_TUI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tui/query/tui_who.h"
#include "tui/sql/tui_sql.h"
#include "tui/tui_grid.h"
#include "tui/tui_text.h"
#include "tui/views/tui_listview.h"

struct tui_model;
struct tui_timeline;

enum tui_focus { TUI_FOCUS_LIST, TUI_FOCUS_DETAIL, TUI_FOCUS_STATE, TUI_FOCUS_N };
enum tui_prompt { TUI_PROMPT_NONE, TUI_PROMPT_GOTO, TUI_PROMPT_SEARCH, TUI_PROMPT_SQL };
/* A key that waits for the next one: m (a mark's letter), ' (a mark's
 * letter or '), f (d, q, t or v). */
enum tui_pending { TUI_PENDING_NONE, TUI_PENDING_MARK, TUI_PENDING_JUMP, TUI_PENDING_FILTER };

#define TUI_PROMPT_MAX 1023
#define TUI_MSG_MAX 256
#define TUI_MARKS 26

struct tui_app {
	struct tui_model *m;        /* owned */
	struct tui_grid grid;       /* what the screen shows; owned */
	bool color;                 /* colours allowed (not NO_COLOR, -C, TERM=dumb) */
	enum tui_focus focus;
	bool help;                  /* the help screen is up */
	enum tui_prompt prompt;
	char pbuf[TUI_PROMPT_MAX + 1];
	size_t plen;
	char msg[TUI_MSG_MAX];      /* one line under the panes, until the next key */
	int sel_device;             /* the state pane's device, -1 none yet */
	/* the panes' text, built for (seq, width[, device]) */
	struct tui_text detail, state, helptext;
	bool detail_ok, state_ok;
	uint64_t detail_seq, state_seq;
	int detail_w, state_w, state_dev;
	size_t detail_top, state_top, help_top;
	int list_h, pane_h;         /* the layout's heights (tui_view_draw) */
	enum tui_pending pending;
	/* marks m[a-z], and where the last jump started ('') */
	bool mark_set[TUI_MARKS];
	uint64_t mark[TUI_MARKS];
	bool back_ok;
	uint64_t back_seq;
	/* who set this? for the cursor's event (the detail pane lists it),
	 * and the walk s makes through one event's targets: walk.seq the
	 * event it started at, walk_next the target the next s goes to while
	 * the cursor stays on the last one */
	struct tui_who who;
	bool who_ok;
	struct tui_who walk;
	bool walk_on;
	size_t walk_next;
	/* the views: 1 the events, 2-5 lists opened on first use (owned) */
	enum tui_view_id view;
	struct tui_listview *lv[TUI_VIEW_N];
	struct tui_timeline *tl;    /* the strip under the header; owned, NULL if it could not be built */
	/* the SQL prompt's last result, shown as a view until Esc */
	bool sql_shown;
	struct tui_sql_result sql;  /* owned */
	char sql_text[TUI_PROMPT_MAX + 1];
	size_t sql_top, sql_left;   /* first row and column shown */
	unsigned sql_limit_ms;
	volatile int sql_stop;      /* set by ^C (SIGINT): stops a running statement; between
				     * keys the front closes a prompt or quits on it */
	int sql_h;                  /* the result's rows on screen */
};

/* Open the trace at path into a new app (*out, free with tui_app_free)
 * with a rows x cols grid.  The error's message is in err. */
int tui_app_open(struct tui_app **out, const char *path, int rows, int cols, bool color, char *err, size_t errlen);
void tui_app_free(struct tui_app *a); /* NULL is fine */

struct tui_line;
/* The request the formatter names a guest memory line by ("(request 3
 * blk out: buffer 2 of 3)"), -1 none: who set this and o/O use it for
 * buffers the file links to no request. */
int64_t tui_app_line_request(const struct tui_line *l);

/* A new size (KEY_RESIZE, the script's <Resize>). */
int tui_app_resize(struct tui_app *a, int rows, int cols);

#endif
