/* Drawing the inspector (tui_view.h). */
#include "tui/tui_view.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format/escape.h"
#include "tracedb/tdb_devices.h"
#include "tui/tui_app.h"
#include "tui/tui_input.h"
#include "tui/tui_model.h"
#include "tui/tui_panes.h"

/* Below this many columns only the focused pane of detail and state is
 * shown (the list's focus shows detail). */
#define TUI_SPLIT_COLS 60
/* Below this many body rows only the list is shown. */
#define TUI_PANES_ROWS 6

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
		if ((r = tui_panes_detail(a->m, seq, dw, &a->detail)) != 0)
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
		tui_grid_printf(g, y, 0, -1, 0, "%c%s_", a->prompt == TUI_PROMPT_GOTO ? ':' : '/', a->pbuf);
	} else if (a->msg[0]) {
		tui_grid_put(g, y, 0, -1, a->msg, TUI_A_BOLD);
	} else {
		tui_grid_put(g, y, 0, -1, "j/k move  PgDn/PgUp  g/G ends  :seq  /find n/N  Tab pane  ? help  q quit",
			     TUI_A_REVERSE);
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
	if (body < 1)
		body = 1;
	a->list_h = body < TUI_PANES_ROWS ? body : (body - 1) / 2;
	a->pane_h = body < TUI_PANES_ROWS ? 0 : body - a->list_h - 1;
	if ((r = tui_model_frame(m, a->list_h)) != 0)
		return r;

	/* header: the file, where the cursor is, the focus */
	const struct tui_line *l = tui_model_cur(m);
	char path[256], where[96];
	if (l)
		snprintf(where, sizeof(where), "seq %" PRIu64 " of %" PRIu64 "..%" PRIu64, l->seq, m->lo, m->hi);
	else
		snprintf(where, sizeof(where), "no events");
	tui_grid_fill(g, 0, 0, cols, ' ', TUI_A_REVERSE);
	tui_grid_printf(g, 0, 0, -1, TUI_A_REVERSE | TUI_A_BOLD, " vmtrace tui  %s  %s  [%s]",
			escape_str(m->path, path, sizeof(path)), where,
			a->focus == TUI_FOCUS_LIST ? "list" : a->focus == TUI_FOCUS_DETAIL ? "detail" : "state");
	draw_list(a, 1, a->list_h);

	if (a->pane_h > 0) {
		int y = 1 + a->list_h;
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
