/* Drawing the inspector (tui_view.h). */
#include "tui/tui_view.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format/escape.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_open.h"
#include "tui/query/tui_who.h"
#include "tui/sql/tui_sql.h"
#include "tui/tui_app.h"
#include "tui/tui_input.h"
#include "tui/tui_model.h"
#include "tui/tui_panes.h"
#include "tui/views/tui_listview.h"
#include "tui/views/tui_timeline.h"

/* Below this many columns only the focused pane of detail and state is
 * shown (the list's focus shows detail). */
#define TUI_SPLIT_COLS 60
/* Below this many body rows only the list is shown. */
#define TUI_PANES_ROWS 6
/* Below this many rows the timeline strip is left out. */
#define TUI_TIMELINE_ROWS 10
/* Widest column of an SQL result (longer cells are cut with ".."). */
#define TUI_SQL_COL_MAX 40

/* The lines of text from *top (clamped so the last screen is full). */
static void draw_text(struct tui_grid *g, const struct tui_text *t, size_t *top, int y, int x, int w, int h)
{
	if (h <= 0 || w <= 0)
		return;
	size_t max = t->n > (size_t)h ? t->n - (size_t)h : 0;
	if (*top > max)
		*top = max;
	for (int i = 0; i < h && *top + (size_t)i < t->n; i++)
		tui_grid_put(g, y + i, x, w, t->line[*top + (size_t)i], 0);
}

/* "-[ title ]-----" over w columns; the focused pane's with '=' and '*'. */
static void title_bar(struct tui_grid *g, int y, int x, int w, const char *title, bool focus)
{
	char buf[512];

	tui_grid_fill(g, y, x, w, focus ? '=' : '-', focus ? TUI_A_BOLD : 0);
	snprintf(buf, sizeof(buf), "[%s%s]", focus ? "*" : " ", title);
	tui_grid_put(g, y, x + 1, w - 2, buf, TUI_A_BOLD | TUI_A_CYAN);
}

static void draw_list(struct tui_app *a, int y, int h)
{
	struct tui_model *m = a->m;
	struct tui_grid *g = &a->grid;

	if (m->empty) {
		tui_grid_put(g, y, 0, -1, "  (this trace has no events)", 0);
		return;
	}
	for (int i = 0; i < h && m->top + (size_t)i < m->n; i++) {
		size_t k = m->top + (size_t)i;
		const struct tui_line *l = &m->win[k];
		char lead[3] = { k == m->cur ? '>' : ' ', l->mark, '\0' };
		unsigned attr = l->mark == '!' ? TUI_A_RED : l->mark == '~' ? TUI_A_YELLOW : 0;
		if (k == m->cur)
			attr |= TUI_A_REVERSE;
		tui_grid_fill(g, y + i, 0, g->cols, ' ', attr);
		tui_grid_put(g, y + i, 0, 2, lead, attr);
		tui_grid_put(g, y + i, 2, -1, l->text, attr);
	}
}

/* Build the panes' text for the cursor's seq when it changed. */
static int panes_text(struct tui_app *a, int dw, int sw)
{
	const struct tui_line *l = tui_model_cur(a->m);
	uint64_t seq = l ? l->seq : 0;
	int r;

	if (l && l->device >= 0)
		a->sel_device = l->device;
	if (a->sel_device < 0 && tdb_device_by_id(a->m->t, 0))
		a->sel_device = 0;
	if (!a->detail_ok || a->detail_seq != seq || a->detail_w != dw) {
		if (a->detail_seq != seq)
			a->detail_top = 0;
		/* who set this (a part of the file it cannot read leaves the
		 * list out; the detail says what cannot be read) */
		if (l && l->seq_ok && (!a->who_ok || a->who.seq != seq)) {
			struct tdb_event row;
			a->who_ok = false;
			r = tui_model_event(a->m, seq, &row);
			if (r == 0)
				r = tui_who_find(a->m->t, &row, tui_app_line_request(l), a->m->prefer_request, &a->who);
			if (r < 0)
				return r;
			a->who_ok = r == 0;
		}
		if ((r = tui_panes_detail(a->m, seq, a->who_ok && a->who.seq == seq ? &a->who : NULL, dw, &a->detail)) != 0)
			return r;
		a->detail_ok = true;
		a->detail_seq = seq;
		a->detail_w = dw;
	}
	if (!a->state_ok || a->state_seq != seq || a->state_w != sw || a->state_dev != a->sel_device) {
		if ((r = tui_panes_state(a->m, a->sel_device, seq, sw, &a->state)) != 0)
			return r;
		a->state_ok = true;
		a->state_seq = seq;
		a->state_w = sw;
		a->state_dev = a->sel_device;
	}
	return 0;
}

static void draw_status(struct tui_app *a, int y)
{
	struct tui_grid *g = &a->grid;

	if (a->prompt != TUI_PROMPT_NONE) {
		/* the end of a long line stays in sight */
		size_t room = g->cols > 3 ? (size_t)g->cols - 3 : 1;
		const char *p = a->plen > room ? a->pbuf + (a->plen - room) : a->pbuf;
		tui_grid_printf(g, y, 0, -1, 0, "%c%s_", a->prompt == TUI_PROMPT_GOTO ? ':' : a->prompt == TUI_PROMPT_SQL ? ';' : '/', p);
	} else if (a->pending != TUI_PENDING_NONE) {
		tui_grid_put(g, y, 0, -1,
			     a->pending == TUI_PENDING_MARK   ? "m_  (a letter a-z names the mark at the cursor)"
			     : a->pending == TUI_PENDING_JUMP ? "'_  (a mark's letter a-z, or ' for where the last jump started)"
							      : "f_  (d its device, q its queue, t its event type, v violations only)",
			     0);
	} else if (a->msg[0]) {
		tui_grid_put(g, y, 0, -1, a->msg, TUI_A_BOLD);
	} else {
		static const char wide[] = "j/k g/G :seq /find  e rules  w status  s who set this  f filter  1-5 views  ;sql  ? help  q quit";
		static const char narrow[] = "j/k :seq /find  e w o d moves  s who set this  ? help  q quit";
		tui_grid_put(g, y, 0, -1, g->cols >= (int)sizeof(wide) - 1 ? wide : narrow, TUI_A_REVERSE);
	}
}

static void draw_help(struct tui_app *a)
{
	struct tui_grid *g = &a->grid;

	tui_text_clear(&a->helptext);
	for (size_t i = 0; tui_help_lines[i]; i++)
		if (tui_text_add(&a->helptext, "  %s", tui_help_lines[i]))
			break;
	draw_text(g, &a->helptext, &a->help_top, 0, 0, g->cols, g->rows - 1);
	tui_grid_put(g, g->rows - 1, 0, -1, "any key: back to the trace  (j/k scroll)", TUI_A_REVERSE);
}

/* The header: the file, where the cursor is, the filter stack; the
 * views as tabs on the right ("[1 events]" the one shown).  What does
 * not fit gives way in turn: the file's folders, the tabs' names, then
 * the left part's end. */
static void draw_header(struct tui_app *a, const struct tui_line *l)
{
	static const char *const names[][TUI_VIEW_N] = {
		{ "events", "devices", "requests", "violations", "queues" },
		{ "evt", "dev", "req", "viol", "queue" },
		{ "", "", "", "", "" },
	};
	struct tui_grid *g = &a->grid;
	struct tui_model *m = a->m;
	char path[256], left[640], where[96], filter[TUI_FILTER_DESC_MAX + 16] = "", tabs[128];
	int cols = g->cols, view = a->sql_shown ? -1 : (int)a->view;
	const char *base = strrchr(m->path, '/');
	size_t k = 0;

	if (a->sql_shown)
		snprintf(where, sizeof(where), "SQL result");
	else if (l)
		snprintf(where, sizeof(where), "seq %" PRIu64 " of %" PRIu64 "..%" PRIu64, l->seq, m->lo, m->hi);
	else
		snprintf(where, sizeof(where), "no events");
	if (tui_model_filter_depth(m)) {
		char d[TUI_FILTER_DESC_MAX];
		tui_model_filter_describe(m, d, sizeof(d));
		snprintf(filter, sizeof(filter), "  filter: %s", d);
	}
	for (int pass = 0; pass < 4; pass++) {
		const char *const *nm = names[pass < 2 ? 0 : pass - 1];
		escape_str(pass == 0 || !base || !base[1] ? m->path : base + 1, path, sizeof(path));
		snprintf(left, sizeof(left), " %s  %s%s", path, where, filter);
		k = 0;
		for (int i = 0; i < TUI_VIEW_N && k < sizeof(tabs); i++)
			k += (size_t)snprintf(tabs + k, sizeof(tabs) - k, i == view ? " [%d%s%s]" : " %d%s%s", i + 1,
					      nm[i][0] ? " " : "", nm[i]);
		if (view < 0 && k < sizeof(tabs) - 1)
			tabs[k++] = ' ', tabs[k] = '\0';
		if (strlen(left) + k + 1 <= (size_t)cols)
			break;
	}
	tui_grid_fill(g, 0, 0, cols, ' ', TUI_A_REVERSE);
	int tx = cols - (int)k;
	tui_grid_put(g, 0, 0, tx > 1 ? tx - 1 : cols, left, TUI_A_REVERSE | TUI_A_BOLD);
	if (tx > 1)
		tui_grid_put(g, 0, tx, -1, tabs, TUI_A_REVERSE);
}

/* An SQL result as a table from row sql_top and column sql_left: the
 * query, the column names, the rows; the status line says how many and
 * why it stopped. */
static void draw_sql(struct tui_app *a, int y, int h)
{
	struct tui_grid *g = &a->grid;
	struct tui_sql_result *q = &a->sql;
	char line[64];
	int rows_h = h - 3;

	tui_grid_printf(g, y, 0, -1, TUI_A_BOLD, "SQL: %s", a->sql_text);
	a->sql_h = rows_h > 1 ? rows_h : 1;
	if (q->cols) {
		size_t w[TUI_SQL_COLS_MAX];
		size_t n = q->rows;
		size_t max_top = n > (size_t)a->sql_h ? n - (size_t)a->sql_h : 0;
		if (a->sql_top > max_top)
			a->sql_top = max_top;
		if (a->sql_left >= q->cols)
			a->sql_left = q->cols - 1;
		/* widths from the names and the rows on screen */
		for (size_t c = 0; c < q->cols && c < TUI_SQL_COLS_MAX; c++) {
			w[c] = strlen(tui_sql_cell(q, 0, c));
			for (size_t r = a->sql_top; r < n && r < a->sql_top + (size_t)a->sql_h; r++) {
				size_t cl = strlen(tui_sql_cell(q, r + 1, c));
				w[c] = cl > w[c] ? cl : w[c];
			}
			if (w[c] > TUI_SQL_COL_MAX)
				w[c] = TUI_SQL_COL_MAX;
		}
		for (int r = -1; r < a->sql_h && (r < 0 || a->sql_top + (size_t)r < n); r++) {
			int x = 0;
			size_t row = r < 0 ? 0 : a->sql_top + (size_t)r + 1;
			int yy = y + 2 + (r < 0 ? -1 : r);
			for (size_t c = a->sql_left; c < q->cols && c < TUI_SQL_COLS_MAX && x < g->cols; c++) {
				const char *cell = tui_sql_cell(q, row, c);
				char buf[TUI_SQL_COL_MAX + 1];
				if (strlen(cell) > w[c] && w[c] > 2)
					snprintf(buf, sizeof(buf), "%.*s..", (int)w[c] - 2, cell);
				else
					snprintf(buf, sizeof(buf), "%s", cell);
				tui_grid_put(g, yy, x, (int)w[c], buf, r < 0 ? TUI_A_BOLD | TUI_A_CYAN : 0);
				x += (int)w[c] + 3;
				if (x - 2 < g->cols && c + 1 < q->cols)
					tui_grid_put(g, yy, x - 2, 1, "|", 0);
			}
		}
	}
	if (!q->cols && q->err[0])
		tui_grid_printf(g, y + 2, 0, -1, TUI_A_BOLD, "%s", q->err);
	/* status: the count, why it stopped, the keys */
	int sy = g->rows - 1;
	snprintf(line, sizeof(line), "%zu row%s%s", q->rows, q->rows == 1 ? "" : "s", q->truncated ? " (more left out)" : "");
	if (q->err[0])
		tui_grid_printf(g, sy, 0, -1, TUI_A_BOLD, "%s: %s  (; another query, Esc back)", q->cols ? line : "no rows", q->err);
	else
		tui_grid_printf(g, sy, 0, -1, TUI_A_REVERSE, "%s, %zu-%zu shown  j/k PgDn/PgUp scroll  Left/Right columns  ; another query  Esc back",
				line, q->rows ? a->sql_top + 1 : 0,
				a->sql_top + (size_t)a->sql_h < q->rows ? a->sql_top + (size_t)a->sql_h : q->rows);
	if (a->prompt == TUI_PROMPT_SQL) {
		size_t room = g->cols > 3 ? (size_t)g->cols - 3 : 1;
		const char *p = a->plen > room ? a->pbuf + (a->plen - room) : a->pbuf;
		tui_grid_fill(g, sy, 0, g->cols, ' ', 0);
		tui_grid_printf(g, sy, 0, -1, 0, ";%s_", p);
	}
}

int tui_view_draw(struct tui_app *a)
{
	struct tui_grid *g = &a->grid;
	struct tui_model *m = a->m;
	int rows = g->rows, cols = g->cols;
	int body = rows - 2;
	int r;

	tui_grid_clear(g);
	if (a->help) {
		draw_help(a);
		return 0;
	}
	/* the timeline strip, one row under the header, when there is room */
	int top = rows >= TUI_TIMELINE_ROWS && a->tl ? 2 : 1;
	body = rows - top - 1;
	if (a->sql_shown) {
		draw_header(a, tui_model_cur(m));
		draw_sql(a, top, body < 1 ? 1 : body);
		return 0;
	}
	if (body < 1)
		body = 1;
	if (a->view != TUI_VIEW_EVENTS && a->lv[a->view]) {
		const struct tui_line *l = tui_model_cur(m);
		draw_header(a, l);
		if (top > 1 && a->tl && (r = tui_timeline_draw(a->tl, g, 1, l ? l->seq : m->lo, a->color)) != 0)
			return r;
		if ((r = tui_listview_draw(a->lv[a->view], g, top, body, a->color)) != 0)
			return r;
		if (a->prompt != TUI_PROMPT_NONE || a->msg[0])
			draw_status(a, rows - 1);
		else
			tui_grid_put(g, rows - 1, 0, -1, tui_listview_keys(a->lv[a->view]), TUI_A_REVERSE);
		return 0;
	}
	a->list_h = body < TUI_PANES_ROWS ? body : (body - 1) / 2;
	a->pane_h = body < TUI_PANES_ROWS ? 0 : body - a->list_h - 1;
	if ((r = tui_model_frame(m, a->list_h)) != 0)
		return r;

	const struct tui_line *l = tui_model_cur(m);
	draw_header(a, l);
	if (top > 1 && a->tl && (r = tui_timeline_draw(a->tl, g, 1, l ? l->seq : m->lo, a->color)) != 0)
		return r;
	draw_list(a, top, a->list_h);

	if (a->pane_h > 0) {
		int y = top + a->list_h;
		bool split = cols >= TUI_SPLIT_COLS;
		int dw = split ? (cols - 1) / 2 : cols, sw = split ? cols - dw - 1 : cols;
		char title[256], name[4 * TDB_NAME_MAX + 1];
		const struct tdb_device *d;
		if ((r = panes_text(a, dw, sw)) != 0)
			return r;
		d = tdb_device_by_id(m->t, a->sel_device);
		bool show_detail = split || a->focus != TUI_FOCUS_STATE;
		bool show_state = split || a->focus == TUI_FOCUS_STATE;
		int sx = split ? dw + 1 : 0;
		if (show_detail) {
			snprintf(title, sizeof(title), "detail: seq %" PRIu64 " ", l ? l->seq : 0);
			title_bar(g, y, 0, dw, title, a->focus == TUI_FOCUS_DETAIL);
			draw_text(g, &a->detail, &a->detail_top, y + 1, 0, dw, a->pane_h);
		}
		if (show_state) {
			snprintf(title, sizeof(title), "state: %s at seq %" PRIu64 " ",
				 d ? escape_str(d->name, name, sizeof(name)) : "no device", l ? l->seq : 0);
			title_bar(g, y, sx, sw, title, a->focus == TUI_FOCUS_STATE);
			draw_text(g, &a->state, &a->state_top, y + 1, sx, sw, a->pane_h);
		}
		if (split)
			for (int i = 0; i <= a->pane_h; i++)
				tui_grid_fill(g, y + i, dw, 1, '|', 0);
	}
	draw_status(a, rows - 1);
	return 0;
}
