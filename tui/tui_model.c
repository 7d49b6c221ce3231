/* The TUI's model: a window of show's lines around the cursor (tui_model.h). */
#include "tui/tui_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "format/tdb/fmt_row.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"

/* Events either side of the rows formatted whose requests' buffers name
 * memory (show --count's margin: the same names as show there). */
#define TUI_BUF_MARGIN 16384u

/* A formatter walking rows forward, with its own cursor and the request
 * buffers loaded for the part of the trace it is in. */
struct tui_fmt {
	struct fmt_rows *fr;
	struct tdb_cursor *c;
	bool bufs_set;
	uint64_t bufs_lo, bufs_hi;
};

static void tf_free(struct tui_fmt *f)
{
	if (!f)
		return;
	fmt_rows_free(f->fr);
	tdb_cursor_close(f->c);
	free(f);
}

/* A formatter from seq from; like (may be NULL) another one of the same
 * trace whose column layout it takes (no second walk to find it). */
static int tf_open(struct tui_fmt **out, struct tdb *t, uint64_t from, const struct tui_fmt *like)
{
	struct fmt_rows_opts o = { .from = from };
	struct tdb_filter flt;
	struct tui_fmt *f;
	int r;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (like) {
		o.cpu_col_given = true;
		o.cpu_col = fmt_rows_cpu_col(like->fr);
	}
	tdb_filter_init(&flt);
	flt.with_data = true; /* the formatter decodes ring entries from their bytes */
	flt.page = TUI_PAGE;
	if ((r = fmt_rows_open(&f->fr, t, &o)) == 0)
		r = tdb_cursor_open(t, &flt, TDB_FORWARD, &f->c);
	if (r) {
		tf_free(f);
		return r;
	}
	*out = f;
	return 0;
}

/* Called for each row formatted: nonzero stops the walk. */
typedef int (*tf_fn)(void *arg, const struct tdb_event *row, const char *line, size_t what);

/* Format up to max rows from seq from to seq to (inclusive), in order,
 * calling fn with each.  *end: the trace ended before max rows.  The
 * formatter's state is read anew where the walk does not go on from the
 * rows formatted last (a jump), so every line is named from the full
 * state at its seq. */
static int tf_walk(struct tui_fmt *f, uint64_t from, uint64_t to, size_t max, tf_fn fn, void *arg, bool *end)
{
	static char line[FMT_ROW_LINE_MAX];
	struct tdb_event row;
	size_t k = 0;
	int r = 0;

	*end = false;
	/* The buffers of the requests notified within TUI_BUF_MARGIN of the
	 * rows, reloaded when the rows come within half of that of an end
	 * (a driver fills a buffer shortly before it notifies). */
	if (!f->bufs_set || from + TUI_PAGE + TUI_BUF_MARGIN / 2 > f->bufs_hi ||
	    (f->bufs_lo > 0 && from < f->bufs_lo + TUI_BUF_MARGIN / 2)) {
		f->bufs_lo = from > TUI_BUF_MARGIN ? from - TUI_BUF_MARGIN : 0;
		f->bufs_hi = from + TUI_BUF_MARGIN + TUI_PAGE;
		fmt_rows_load_bufs(f->fr, f->bufs_lo, f->bufs_hi);
		f->bufs_set = true;
	}
	if (fmt_rows_next(f->fr) != from)
		fmt_rows_seek(f->fr, from);
	tdb_cursor_seek(f->c, from, TDB_FORWARD);
	while (k < max) {
		r = tdb_cursor_next(f->c, &row);
		if (r == TDB_END) {
			*end = true;
			r = 0;
			break;
		}
		if (r < 0)
			break;
		r = 0;
		if (row.seq_ok && row.ev.seq > to)
			break;
		k++;
		size_t what = 0;
		fmt_rows_line(f->fr, &row, line, sizeof(line), &what);
		if (fn(arg, &row, line, what))
			break;
	}
	return r;
}

static int count_v(void *arg, const struct tdb_violation *v)
{
	(void)v;
	++*(int *)arg;
	return 1;
}

static int count_a(void *arg, const struct tdb_anomaly *a)
{
	(void)a;
	++*(int *)arg;
	return 1;
}

/* Lines gathered by a walk into a new array. */
struct gather {
	struct tui_model *m;
	struct tui_line *v;
	size_t n, cap;
	uint64_t key;
	int err;
};

static int gather_fn(void *arg, const struct tdb_event *row, const char *line, size_t what)
{
	struct gather *g = arg;
	struct tui_line *l;
	int nv = 0, na = 0;

	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : TUI_PAGE;
		struct tui_line *v = realloc(g->v, cap * sizeof(*v));
		if (!v)
			return g->err = -ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	l = &g->v[g->n];
	memset(l, 0, sizeof(*l));
	l->text = strdup(line);
	l->what = what;
	if (!l->text)
		return g->err = -ENOMEM;
	g->n++;
	l->seq_ok = row->seq_ok;
	l->seq = row->ev.seq;
	if (row->seq_ok)
		g->key = row->ev.seq;
	l->key = g->key;
	l->damaged = row->damaged;
	l->device = fmt_rows_line_device(g->m->win_fmt->fr);
	l->type = row->ev.type;
	if (row->seq_ok && !(row->damaged && strstr(row->why, "twice"))) {
		/* the mark: the letter says it without colour */
		int r = tdb_violations_at(g->m->t, row->ev.seq, count_v, &nv);
		if (r == 0 && !nv)
			r = tdb_anomalies_at(g->m->t, row->ev.seq, count_a, &na);
		if (r < 0)
			return g->err = r;
	}
	l->mark = nv ? '!' : na ? '~' : ' ';
	return 0;
}

static void lines_free(struct tui_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

/* Read the lines [from, to], at most max, into *g. */
static int load(struct tui_model *m, uint64_t from, uint64_t to, size_t max, struct gather *g, bool *end)
{
	int r;

	memset(g, 0, sizeof(*g));
	g->m = m;
	g->key = from;
	r = tf_walk(m->win_fmt, from, to, max, gather_fn, g, end);
	if (r == 0)
		r = g->err;
	if (r) {
		lines_free(g->v, g->n);
		g->v = NULL;
		g->n = 0;
	}
	return r;
}

/* Room for k more lines in the window. */
static int win_reserve(struct tui_model *m, size_t k)
{
	if (m->n + k <= m->cap)
		return 0;
	size_t cap = m->n + k + TUI_PAGE;
	struct tui_line *v = realloc(m->win, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->win = v;
	m->cap = cap;
	return 0;
}

static void win_clear(struct tui_model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->win[i].text);
	m->n = m->cur = m->top = 0;
	m->win_start = m->win_end = false;
}

/* The window's line limit: TUI_WINDOW_MAX, or 4 screens of a tall one. */
static size_t win_max(const struct tui_model *m)
{
	size_t s = 4 * (size_t)(m->h > 0 ? m->h : 1) + 2 * TUI_PAGE;
	size_t lim = m->win_limit ? m->win_limit : TUI_WINDOW_MAX;
	return s > lim ? s : lim;
}

/* Append the page after the window; drop lines far before the view. */
static int fill_fwd(struct tui_model *m)
{
	struct gather g;
	bool end;
	int r;

	if (m->win_end || m->n == 0)
		return 0;
	if ((r = load(m, m->win[m->n - 1].key + 1, UINT64_MAX, TUI_PAGE, &g, &end)) != 0)
		return r;
	if ((r = win_reserve(m, g.n)) != 0) {
		lines_free(g.v, g.n);
		return r;
	}
	memcpy(m->win + m->n, g.v, g.n * sizeof(*g.v));
	m->n += g.n;
	free(g.v);
	m->win_end = end || g.n == 0;
	if (m->n > win_max(m)) {
		size_t d = m->n - win_max(m);
		size_t keep = m->top < m->cur ? m->top : m->cur;
		if (d > keep)
			d = keep;
		for (size_t i = 0; i < d; i++)
			free(m->win[i].text);
		memmove(m->win, m->win + d, (m->n - d) * sizeof(*m->win));
		m->n -= d;
		m->cur -= d;
		m->top -= d;
		if (d)
			m->win_start = false;
	}
	return 0;
}

/* The seq TUI_PAGE events before seq before (the lowest of them): *start,
 * *at_start when the trace begins among them. */
static int page_before(struct tui_model *m, uint64_t before, uint64_t *start, bool *at_start)
{
	struct tdb_event row;
	size_t k = 0;
	int r = 0;

	*start = before;
	*at_start = before == 0;
	if (before == 0)
		return 0;
	tdb_cursor_seek(m->back, before - 1, TDB_BACKWARD);
	while (k < TUI_PAGE) {
		r = tdb_cursor_next(m->back, &row);
		if (r == TDB_END) {
			*at_start = true;
			return 0;
		}
		if (r < 0)
			return r;
		if (!row.seq_ok)
			continue;
		*start = row.ev.seq;
		k++;
	}
	*at_start = *start <= m->lo;
	return 0;
}

/* Prepend the page before the window; drop lines far after the view. */
static int fill_bwd(struct tui_model *m)
{
	struct gather g;
	uint64_t start, first;
	bool at_start, end;
	int r;

	if (m->win_start || m->n == 0)
		return 0;
	first = m->win[0].key;
	if ((r = page_before(m, first, &start, &at_start)) != 0)
		return r;
	if (start >= first) {
		m->win_start = true;
		return 0;
	}
	if ((r = load(m, start, first - 1, TUI_PAGE, &g, &end)) != 0)
		return r;
	if ((r = win_reserve(m, g.n)) != 0) {
		lines_free(g.v, g.n);
		return r;
	}
	memmove(m->win + g.n, m->win, m->n * sizeof(*m->win));
	memcpy(m->win, g.v, g.n * sizeof(*g.v));
	m->n += g.n;
	m->cur += g.n;
	m->top += g.n;
	free(g.v);
	m->win_start = at_start || g.n == 0;
	if (m->n > win_max(m)) {
		size_t need = (m->top + (size_t)(m->h > 0 ? m->h : 1) > m->cur + 1 ? m->top + (size_t)(m->h > 0 ? m->h : 1)
										      : m->cur + 1);
		size_t d = m->n - win_max(m);
		if (need < m->n && d > m->n - need)
			d = m->n - need;
		if (need >= m->n)
			d = 0;
		for (size_t i = m->n - d; i < m->n; i++)
			free(m->win[i].text);
		m->n -= d;
		if (d)
			m->win_end = false;
	}
	return 0;
}

int tui_model_goto(struct tui_model *m, uint64_t seq)
{
	struct gather g;
	bool end;
	int r;

	if (m->empty)
		return 0;
	if (seq > m->hi)
		seq = m->hi;
	if (seq < m->lo)
		seq = m->lo;
	/* Within the window: only the cursor moves. */
	if (m->n && m->win[0].key <= seq && seq <= m->win[m->n - 1].key) {
		size_t lo = 0, hi = m->n - 1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (m->win[mid].key < seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		m->cur = m->top = lo;
		m->context = true;
		return 0;
	}
	if ((r = load(m, seq, UINT64_MAX, TUI_PAGE, &g, &end)) != 0)
		return r;
	if (g.n == 0 && seq > m->lo) {
		/* nothing at or after seq: back to the last event */
		free(g.v);
		return seq == m->hi ? 0 : tui_model_goto(m, m->hi);
	}
	win_clear(m);
	free(m->win);
	m->win = g.v;
	m->n = g.n;
	m->cap = g.cap;
	m->win_end = end || g.n == 0;
	m->win_start = g.n == 0 || m->win[0].key <= m->lo;
	m->cur = m->top = 0;
	m->context = true;
	return 0;
}

int tui_model_first(struct tui_model *m)
{
	return tui_model_goto(m, m->lo);
}

int tui_model_last(struct tui_model *m)
{
	int r = tui_model_goto(m, m->hi);

	if (r == 0 && m->n) {
		while (!m->win_end && (r = fill_fwd(m)) == 0)
			;
		m->cur = m->n - 1;
	}
	return r;
}

int tui_model_move(struct tui_model *m, long delta)
{
	int r = 0;

	if (m->n == 0)
		return 0;
	if (delta < 0) {
		size_t d = (size_t)-delta;
		while (d > m->cur && !m->win_start && r == 0) {
			size_t before = m->n;
			r = fill_bwd(m);
			if (m->n == before)
				break;
		}
		m->cur = d > m->cur ? 0 : m->cur - d;
	} else {
		size_t d = (size_t)delta;
		while (m->cur + d >= m->n && !m->win_end && r == 0) {
			size_t before = m->n;
			r = fill_fwd(m);
			if (m->n == before)
				break;
		}
		m->cur = m->cur + d >= m->n ? m->n - 1 : m->cur + d;
	}
	return r;
}

int tui_model_page(struct tui_model *m, long delta)
{
	int r = tui_model_move(m, delta);

	if (r == 0) {
		/* the view moves as far as the cursor did (less, tig) */
		if (delta < 0)
			m->top = m->top > (size_t)-delta ? m->top - (size_t)-delta : 0;
		else
			m->top += (size_t)delta;
		if (m->top > m->cur)
			m->top = m->cur;
	}
	return r;
}

int tui_model_frame(struct tui_model *m, int h)
{
	int r = 0;
	size_t hh;

	if (h < 1)
		h = 1;
	m->h = h;
	hh = (size_t)h;
	if (m->n == 0)
		return 0;
	/* After a jump the cursor goes a third down the list: what led to
	 * the event is on the screen too. */
	if (m->context) {
		size_t above = hh / 3;
		m->context = false;
		while (m->cur < above && !m->win_start && r == 0) {
			size_t before = m->n;
			r = fill_bwd(m);
			if (m->n == before)
				break;
		}
		m->top = m->cur > above ? m->cur - above : 0;
	}
	if (m->cur < m->top)
		m->top = m->cur;
	if (m->cur >= m->top + hh)
		m->top = m->cur - hh + 1;
	while (m->top + hh > m->n && !m->win_end && r == 0) {
		size_t before = m->n;
		r = fill_fwd(m);
		if (m->n == before)
			break;
	}
	/* At the end: the last screen is full, as less shows it. */
	while (m->top + hh > m->n && r == 0) {
		if (m->n >= hh) {
			m->top = m->n - hh;
			break;
		}
		if (m->win_start) {
			m->top = 0;
			break;
		}
		size_t before = m->n;
		r = fill_bwd(m);
		if (m->n == before)
			break;
	}
	return r;
}

const struct tui_line *tui_model_cur(const struct tui_model *m)
{
	return m->n ? &m->win[m->cur] : NULL;
}

/* strcasestr without the locale: ASCII letters fold. */
static bool has_text(const char *s, const char *p)
{
	size_t n = strlen(p);

	if (!n)
		return true;
	for (; *s; s++)
		if (!strncasecmp(s, p, n))
			return true;
	return false;
}

struct find {
	const char *pat;
	bool forward;
	bool found;
	uint64_t hit;
	uint64_t last;
	size_t seen;
};

static int find_fn(void *arg, const struct tdb_event *row, const char *line, size_t what)
{
	(void)what;
	struct find *f = arg;

	f->seen++;
	if (row->seq_ok)
		f->last = row->ev.seq;
	if (row->seq_ok && has_text(line, f->pat)) {
		f->found = true;
		f->hit = row->ev.seq;
		return f->forward; /* forward: the first hit; backward: the last of the page */
	}
	return 0;
}

int tui_model_search(struct tui_model *m, const char *pattern, bool forward, bool *found, uint64_t *stopped)
{
	struct find f = { .forward = forward };
	int r = 0;

	*found = false;
	*stopped = UINT64_MAX;
	if (pattern)
		snprintf(m->pattern, sizeof(m->pattern), "%s", pattern);
	f.pat = m->pattern;
	if (m->n == 0 || !m->pattern[0])
		return 0;
	/* The lines in the window first. */
	if (forward) {
		for (size_t i = m->cur + 1; i < m->n; i++)
			if (m->win[i].seq_ok && has_text(m->win[i].text, f.pat)) {
				m->cur = i;
				m->context = true;
				*found = true;
				return 0;
			}
	} else {
		for (size_t i = m->cur; i-- > 0;)
			if (m->win[i].seq_ok && has_text(m->win[i].text, f.pat)) {
				m->cur = i;
				m->context = true;
				*found = true;
				return 0;
			}
	}
	if (forward ? m->win_end : m->win_start)
		return 0;
	/* Then page by page through the trace, within the budget. */
	if (forward) {
		uint64_t from = m->win[m->n - 1].key + 1;
		while (!f.found && f.seen < TUI_SEARCH_BUDGET) {
			bool end;
			size_t seen = f.seen;
			if ((r = tf_walk(m->find_fmt, from, UINT64_MAX, TUI_PAGE, find_fn, &f, &end)) != 0)
				return r;
			if (end || f.seen == seen)
				return f.found ? tui_model_goto(m, f.hit) : 0;
			from = f.last + 1;
		}
		if (!f.found)
			*stopped = f.last;
	} else {
		uint64_t before = m->win[0].key;
		while (!f.found && f.seen < TUI_SEARCH_BUDGET) {
			uint64_t start;
			bool at_start, end;
			if ((r = page_before(m, before, &start, &at_start)) != 0)
				return r;
			if (start >= before)
				break;
			if ((r = tf_walk(m->find_fmt, start, before - 1, TUI_PAGE, find_fn, &f, &end)) != 0)
				return r;
			if (at_start || f.found)
				break;
			before = start;
		}
		if (!f.found && f.seen >= TUI_SEARCH_BUDGET)
			*stopped = before;
	}
	if (f.found) {
		*found = true;
		return tui_model_goto(m, f.hit);
	}
	return 0;
}

int tui_model_marked(struct tui_model *m, bool forward, bool *found)
{
	const struct tui_line *l = tui_model_cur(m);
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	int r;

	*found = false;
	if (!l || (forward && l->key == UINT64_MAX) || (!forward && l->key == 0))
		return 0;
	tdb_filter_init(&f);
	f.violations_only = true;
	f.page = 1;
	if (forward) {
		f.has_from = true;
		f.from = l->key + 1;
	} else {
		f.has_to = true;
		f.to = l->key - 1;
	}
	if ((r = tdb_cursor_open(m->t, &f, forward ? TDB_FORWARD : TDB_BACKWARD, &c)) != 0)
		return r;
	/* a damaged row is passed over: its seq is no place to go */
	while ((r = tdb_cursor_next(c, &row)) == TDB_E_DAMAGED_ROW && !row.seq_ok)
		;
	tdb_cursor_close(c);
	if (r == TDB_END)
		return 0;
	if (r < 0)
		return r;
	*found = true;
	return tui_model_goto(m, row.ev.seq);
}

int tui_model_event(struct tui_model *m, uint64_t seq, struct tdb_event *row)
{
	int r;

	tdb_cursor_seek(m->one, seq, TDB_FORWARD);
	r = tdb_cursor_next(m->one, row);
	if (r == TDB_END || (r == 0 && row->ev.seq != seq))
		return TDB_E_NOT_FOUND;
	return r;
}

int tui_model_open(struct tui_model **out, const char *path, char *err, size_t errlen)
{
	struct tui_model *m;
	struct tdb_filter f;
	int r;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	if ((r = tdb_open(&m->t, path, err, errlen)) != 0)
		goto cleanup;
	r = tdb_events_bounds(m->t, &m->lo, &m->hi);
	if (r == TDB_END) {
		m->empty = true;
		r = 0;
	}
	if (r == 0)
		r = tf_open(&m->win_fmt, m->t, m->lo, NULL);
	if (r == 0)
		r = tf_open(&m->find_fmt, m->t, m->lo, m->win_fmt);
	tdb_filter_init(&f);
	f.page = TUI_PAGE;
	if (r == 0)
		r = tdb_cursor_open(m->t, &f, TDB_BACKWARD, &m->back);
	f.with_data = true;
	f.page = 1;
	if (r == 0)
		r = tdb_cursor_open(m->t, &f, TDB_FORWARD, &m->one);
	if (r == 0 && !m->empty)
		r = tui_model_goto(m, m->lo);
	if (r) {
		if (m->t)
			snprintf(err, errlen, "%s", tdb_errmsg(m->t)[0] ? tdb_errmsg(m->t) : "out of memory");
		goto cleanup;
	}
	m->count_hint = m->empty ? 0 : m->hi - m->lo + 1;
	*out = m;
	m = NULL;
cleanup:
	tui_model_close(m);
	return r;
}

void tui_model_close(struct tui_model *m)
{
	if (!m)
		return;
	win_clear(m);
	free(m->win);
	tf_free(m->win_fmt);
	tf_free(m->find_fmt);
	tdb_cursor_close(m->back);
	tdb_cursor_close(m->one);
	tdb_close(m->t);
	free(m);
}

/* FIXME(T2): the filter stack, in progress; these refuse until it lands. */
int tui_model_filter_push(struct tui_model *m, enum tui_filter_kind kind, bool *empty)
{
	(void)m;
	(void)kind;
	*empty = false;
	return -ENOSYS;
}

int tui_model_filter_pop(struct tui_model *m)
{
	(void)m;
	return 0;
}

size_t tui_model_filter_depth(const struct tui_model *m)
{
	return m->n_filters;
}

void tui_model_filter_describe(const struct tui_model *m, char *buf, size_t len)
{
	(void)m;
	if (len)
		buf[0] = '\0';
}
