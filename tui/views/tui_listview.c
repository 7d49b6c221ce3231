/* The list views' shared window, drawing and keys (tui_listview.h). */
#include "tui/views/tui_listview.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/escape.h"
#include "tracedb/tdb_open.h"
#include "tui/tui_grid.h"
#include "tui/tui_input.h"
#include "tui/views/lv_priv.h"

/* Rows between the cursor and the window's end that make a read of the
 * next page. */
#define LV_MARGIN 16

const char *lv_esc(const char *s, char *buf, size_t len)
{
	return escape_str(s ? s : "", buf, len);
}

int lv_open_err(struct tui_listview *v, int r)
{
	char buf[sizeof(v->open_msg)];

	if (r <= 0 && r != -EIO)
		return r;
	v->open_err = r;
	snprintf(buf, sizeof(buf), "%s", tdb_errmsg(v->t));
	escape_str(buf, v->open_msg, sizeof(v->open_msg));
	return 0;
}

void lv_row_release(struct lv_row *r)
{
	free(r->cell[0]);
	memset(r->cell, 0, sizeof(r->cell));
}

void lv_rows_release(struct lv_rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		lv_row_release(&rs->row[i]);
	free(rs->row);
	rs->row = NULL;
	rs->n = rs->cap = 0;
}

int lv_rows_add(struct lv_rows *rs, struct lv_key key, bool has_jump, uint64_t jump, unsigned attr,
		const char *const *cells, int ncols)
{
	size_t len[LV_COLS_MAX], total = 0;
	struct lv_row *r;
	char *p;

	if (ncols < 1 || ncols > LV_COLS_MAX)
		return -EINVAL;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 64;
		struct lv_row *row = realloc(rs->row, cap * sizeof(*row));
		if (!row)
			return -ENOMEM;
		rs->row = row;
		rs->cap = cap;
	}
	for (int i = 0; i < ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		len[i] = strnlen(s, LV_CELL_MAX - 1);
		total += len[i] + 1;
	}
	if (!(p = malloc(total)))
		return -ENOMEM;
	r = &rs->row[rs->n];
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->has_jump = has_jump;
	r->jump = jump;
	r->request = -1;
	r->attr = attr;
	for (int i = 0; i < ncols; i++) {
		memcpy(p, cells[i] ? cells[i] : "", len[i]);
		p[len[i]] = '\0';
		/* a cut must not leave half a UTF-8 character */
		escape_trim_cut(p);
		r->cell[i] = p;
		p += len[i] + 1;
	}
	rs->n++;
	return 0;
}

void lv_index_span(size_t n, const struct lv_key *after, enum tdb_direction dir, size_t max, size_t *first,
		   size_t *count, bool *end)
{
	*first = *count = 0;
	*end = true;
	if (dir == TDB_FORWARD) {
		size_t f = !after ? 0 : after->k1 < 0 ? 0 : (uint64_t)after->k1 >= n ? n : (size_t)after->k1 + 1;
		*first = f;
		*count = n - f < max ? n - f : max;
		*end = f + *count >= n;
	} else {
		/* rows first, first - 1, ... */
		size_t below = !after ? n : after->k1 <= 0 ? 0 : (uint64_t)after->k1 > n ? n : (size_t)after->k1;
		*first = below ? below - 1 : 0;
		*count = below < max ? below : max;
		*end = *count >= below;
	}
}

int tui_listview_open(struct tui_listview **out, struct tdb *t, enum tui_view_id id)
{
	struct tui_listview *v;
	int r;

	*out = NULL;
	if (id <= TUI_VIEW_EVENTS || id >= TUI_VIEW_N)
		return -EINVAL;
	if (!(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	v->t = t;
	v->id = id;
	switch (id) {
	case TUI_VIEW_DEVICES:
		r = lv_devices_open(v);
		break;
	case TUI_VIEW_REQUESTS:
		r = lv_requests_open(v);
		break;
	case TUI_VIEW_VIOLATIONS:
		r = lv_violations_open(v);
		break;
	default:
		r = lv_queues_open(v);
		break;
	}
	if (r) {
		tui_listview_free(v);
		return r;
	}
	*out = v;
	return 0;
}

void tui_listview_free(struct tui_listview *v)
{
	if (!v)
		return;
	lv_rows_release(&v->win);
	if (v->ops && v->ops->free)
		v->ops->free(v->priv);
	free(v);
}

/* Remember a read's error for the screen; a fatal one is returned. */
static int note_err(struct tui_listview *v, int r)
{
	char buf[sizeof(v->errmsg)];

	if (r <= 0 && r != -EIO)
		return r;
	v->err = r;
	snprintf(buf, sizeof(buf), "%s", tdb_errmsg(v->t)); /* tracedb escapes the file's text in it */
	escape_str(buf, v->errmsg, sizeof(v->errmsg));
	return 0;
}

/* Read the first page again (TDB_FORWARD) or the last one (TDB_BACKWARD). */
static int reload(struct tui_listview *v, enum tdb_direction dir, size_t want)
{
	struct lv_rows rs = { 0 };
	bool end = true;
	int r;

	lv_rows_release(&v->win);
	v->cur = v->top = 0;
	v->err = 0;
	v->loaded = true;
	r = v->ops->fetch(v, NULL, dir, want < LV_PAGE ? LV_PAGE : want, &rs, &end);
	if (dir == TDB_FORWARD) {
		v->win = rs;
		v->at_start = true;
		v->at_end = end || r != 0;
	} else {
		/* nearest first: turn them round */
		for (size_t i = 0; i < rs.n / 2; i++) {
			struct lv_row tmp = rs.row[i];
			rs.row[i] = rs.row[rs.n - 1 - i];
			rs.row[rs.n - 1 - i] = tmp;
		}
		v->win = rs;
		v->at_end = true;
		v->at_start = end || r != 0;
		v->cur = rs.n ? rs.n - 1 : 0;
	}
	return note_err(v, r);
}

/* Read the page after the window's last row, dropping rows at its start
 * beyond LV_WINDOW_MAX. */
static int grow_forward(struct tui_listview *v)
{
	struct lv_rows rs = { 0 };
	bool end = true;
	int r;

	if (v->at_end || v->win.n == 0)
		return 0;
	r = v->ops->fetch(v, &v->win.row[v->win.n - 1].key, TDB_FORWARD, LV_PAGE, &rs, &end);
	v->at_end = end || r != 0 || rs.n == 0;
	for (size_t i = 0; i < rs.n; i++) {
		if (v->win.n == v->win.cap) {
			size_t cap = v->win.cap ? 2 * v->win.cap : 64;
			struct lv_row *row = realloc(v->win.row, cap * sizeof(*row));
			if (!row) {
				for (size_t j = i; j < rs.n; j++)
					lv_row_release(&rs.row[j]);
				free(rs.row);
				return -ENOMEM;
			}
			v->win.row = row;
			v->win.cap = cap;
		}
		v->win.row[v->win.n++] = rs.row[i];
	}
	free(rs.row);
	if (v->win.n > LV_WINDOW_MAX) {
		size_t drop = v->win.n - LV_WINDOW_MAX;
		if (drop > v->cur)
			drop = v->cur;
		if (drop > v->top)
			drop = v->top;
		for (size_t i = 0; i < drop; i++)
			lv_row_release(&v->win.row[i]);
		memmove(v->win.row, v->win.row + drop, (v->win.n - drop) * sizeof(*v->win.row));
		v->win.n -= drop;
		v->cur -= drop;
		v->top -= drop;
		if (drop)
			v->at_start = false;
	}
	return note_err(v, r);
}

/* Read the page before the window's first row, dropping rows at its end. */
static int grow_backward(struct tui_listview *v)
{
	struct lv_rows rs = { 0 };
	bool end = true;
	int r;

	if (v->at_start || v->win.n == 0)
		return 0;
	r = v->ops->fetch(v, &v->win.row[0].key, TDB_BACKWARD, LV_PAGE, &rs, &end);
	v->at_start = end || r != 0 || rs.n == 0;
	if (rs.n) {
		size_t n = v->win.n + rs.n;
		struct lv_row *row = v->win.row;
		if (v->win.cap < n) {
			if (!(row = realloc(v->win.row, n * sizeof(*row)))) {
				lv_rows_release(&rs);
				return -ENOMEM;
			}
			v->win.row = row;
			v->win.cap = n;
		}
		memmove(row + rs.n, row, v->win.n * sizeof(*row));
		for (size_t i = 0; i < rs.n; i++)
			row[rs.n - 1 - i] = rs.row[i];
		v->win.n = n;
		v->cur += rs.n;
		v->top += rs.n;
	}
	free(rs.row);
	if (v->win.n > LV_WINDOW_MAX) {
		size_t keep = LV_WINDOW_MAX;
		size_t need = (v->top > v->cur ? v->top : v->cur) + (size_t)(v->shown > 0 ? v->shown : 1);
		if (keep < need)
			keep = need < v->win.n ? need : v->win.n;
		for (size_t i = keep; i < v->win.n; i++)
			lv_row_release(&v->win.row[i]);
		if (keep < v->win.n)
			v->at_end = false;
		v->win.n = keep;
	}
	return note_err(v, r);
}

static int ensure_loaded(struct tui_listview *v, size_t want)
{
	return v->loaded ? 0 : reload(v, TDB_FORWARD, want);
}

/* Move the cursor by delta rows, reading pages as it nears an end. */
static int move(struct tui_listview *v, long delta)
{
	int r;

	if (delta > 0) {
		while (delta > 0) {
			if (v->cur + LV_MARGIN >= v->win.n && !v->at_end && (r = grow_forward(v)) != 0)
				return r;
			if (v->cur + 1 >= v->win.n)
				break;
			size_t step = (size_t)delta < v->win.n - 1 - v->cur ? (size_t)delta : v->win.n - 1 - v->cur;
			v->cur += step;
			delta -= (long)step;
			if (v->at_end && v->cur + 1 >= v->win.n)
				break;
		}
		if (v->cur + LV_MARGIN >= v->win.n && !v->at_end)
			return grow_forward(v);
	} else {
		while (delta < 0) {
			if (v->cur < LV_MARGIN && !v->at_start && (r = grow_backward(v)) != 0)
				return r;
			if (v->cur == 0)
				break;
			size_t step = (size_t)-delta < v->cur ? (size_t)-delta : v->cur;
			v->cur -= step;
			delta += (long)step;
			if (v->at_start && v->cur == 0)
				break;
		}
		if (v->cur < LV_MARGIN && !v->at_start)
			return grow_backward(v);
	}
	return 0;
}

/* Columns of the UTF-8 text s (the escaper passes one-column characters). */
static int text_cols(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

int tui_listview_draw(struct tui_listview *v, struct tui_grid *g, int top, int h, bool color)
{
	const struct lv_ops *o = v->ops;
	int rows = h - 1, w[LV_COLS_MAX], r;
	char summary[160] = "";

	if (v->fatal) {
		r = v->fatal; /* from a key (which returns flags only) */
		v->fatal = 0;
		return r;
	}
	if (h < 1 || top < 0 || top >= g->rows)
		return 0;
	if ((r = ensure_loaded(v, (size_t)(rows > 0 ? rows : 1))) != 0)
		return r;
	v->shown = rows > 0 ? rows : 1;
	/* the cursor's row on screen, the screen full when rows allow */
	if (v->cur < v->top)
		v->top = v->cur;
	if (rows > 0 && v->cur >= v->top + (size_t)rows)
		v->top = v->cur - (size_t)rows + 1;
	while (rows > 0 && v->top + (size_t)rows > v->win.n && !v->at_end) {
		size_t n = v->win.n;
		if ((r = grow_forward(v)) != 0)
			return r;
		if (v->win.n == n)
			break;
	}
	/* widths: the header's and the shown rows', each up to its max; the
	 * last column takes the rest */
	for (int c = 0; c < o->ncols; c++)
		w[c] = text_cols(o->cols[c].name);
	for (int i = 0; i < rows && v->top + (size_t)i < v->win.n; i++)
		for (int c = 0; c < o->ncols - 1; c++) {
			int cw = text_cols(v->win.row[v->top + (size_t)i].cell[c]);
			if (cw > w[c])
				w[c] = cw < o->cols[c].max ? cw : o->cols[c].max;
		}
	/* header line */
	tui_grid_fill(g, top, 0, g->cols, ' ', TUI_A_BOLD);
	for (int c = 0, x = 2; c < o->ncols && x < g->cols; c++) {
		int cw = c == o->ncols - 1 ? g->cols - x : w[c];
		int pad = o->cols[c].right ? w[c] - text_cols(o->cols[c].name) : 0;
		tui_grid_put(g, top, x + (pad > 0 ? pad : 0), cw, o->cols[c].name, TUI_A_BOLD | (color ? TUI_A_CYAN : 0));
		x += w[c] + 1;
	}
	if (o->summary)
		o->summary(v, summary, sizeof(summary));
	if (summary[0]) {
		int sw = text_cols(summary), used = 2;
		for (int c = 0; c < o->ncols; c++)
			used += w[c] + 1;
		if (used + sw + 2 <= g->cols)
			tui_grid_put(g, top, g->cols - sw - 1, sw, summary, TUI_A_BOLD);
	}
	if (rows <= 0)
		return 0;
	if (v->win.n == 0) {
		if (v->err)
			tui_grid_printf(g, top + 1, 2, -1, 0, "(cannot read: %s)", v->errmsg);
		else if (v->open_err)
			tui_grid_printf(g, top + 1, 2, -1, 0, "(cannot read: %s)", v->open_msg);
		else
			tui_grid_put(g, top + 1, 2, -1, o->empty, 0);
		return 0;
	}
	for (int i = 0; i < rows && v->top + (size_t)i < v->win.n && top + 1 + i < g->rows; i++) {
		size_t k = v->top + (size_t)i;
		const struct lv_row *row = &v->win.row[k];
		unsigned attr = color ? row->attr : 0;
		int y = top + 1 + i;
		if (k == v->cur)
			attr |= TUI_A_REVERSE;
		tui_grid_fill(g, y, 0, g->cols, ' ', attr);
		tui_grid_put(g, y, 0, 2, k == v->cur ? ">" : " ", attr);
		for (int c = 0, x = 2; c < o->ncols && x < g->cols; c++) {
			const char *s = row->cell[c] ? row->cell[c] : "";
			int cw = c == o->ncols - 1 ? g->cols - x : w[c];
			int pad = o->cols[c].right && c < o->ncols - 1 ? w[c] - text_cols(s) : 0;
			tui_grid_put(g, y, x + (pad > 0 ? pad : 0), cw - (pad > 0 ? pad : 0), s, attr);
			x += w[c] + 1;
		}
	}
	/* a read that failed on the way: said under the rows it left */
	if (v->err && v->at_end && v->top + (size_t)rows > v->win.n) {
		int y = top + 1 + (int)(v->win.n - v->top);
		if (y < top + h && y < g->rows)
			tui_grid_printf(g, y, 2, -1, 0, "(cannot read on: %s)", v->errmsg);
	}
	return 0;
}

unsigned tui_listview_key(struct tui_listview *v, int key, uint64_t *seq)
{
	long page = v->shown > 1 ? v->shown - 1 : 1;
	unsigned f = 0;
	int r = 0;

	if ((r = ensure_loaded(v, LV_PAGE)) < 0) {
		v->fatal = r;
		return TUI_LV_REDRAW;
	}
	switch (key) {
	case 'j':
	case TUI_KEY_DOWN:
		r = move(v, 1);
		break;
	case 'k':
	case TUI_KEY_UP:
		r = move(v, -1);
		break;
	case TUI_KEY_PGDN:
	case ' ':
		r = move(v, page);
		break;
	case TUI_KEY_PGUP:
		r = move(v, -page);
		break;
	case 'g':
	case TUI_KEY_HOME:
		r = reload(v, TDB_FORWARD, LV_PAGE);
		break;
	case 'G':
	case TUI_KEY_END:
		r = reload(v, TDB_BACKWARD, LV_PAGE);
		break;
	case TUI_KEY_ENTER:
	case '\r':
		if (v->cur < v->win.n && v->win.row[v->cur].has_jump) {
			*seq = v->win.row[v->cur].jump;
			return TUI_LV_JUMP;
		}
		return TUI_LV_REDRAW;
	case TUI_KEY_ESC:
		return TUI_LV_CLOSE;
	default:
		f = v->ops->key ? v->ops->key(v, key) : 0;
		if (f & LV_KEY_RELOAD)
			r = reload(v, TDB_FORWARD, LV_PAGE);
		if (r < 0)
			v->fatal = r;
		return f ? TUI_LV_REDRAW : 0;
	}
	if (r < 0)
		v->fatal = r; /* the next draw returns it */
	return TUI_LV_REDRAW;
}

int64_t tui_listview_request(const struct tui_listview *v)
{
	return v->cur < v->win.n ? v->win.row[v->cur].request : -1;
}

const char *tui_listview_keys(const struct tui_listview *v)
{
	struct tui_listview *mv = (struct tui_listview *)v; /* keysbuf is a cache */

	if (v->ops->keys)
		return v->ops->keys(mv);
	return "j/k move  PgDn/PgUp  g/G ends  Enter: go to the event  Esc back";
}
