/* The TUI's model: a window of show's lines around the cursor (tui_model.h). */
#include "tui/tui_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "format/tdb/fmt_row.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_state.h"
#include "tracedb/tdb_vocab.h"

/* Seqs a load of request buffers takes beyond the margins show's rule
 * needs (bufs_cover): a reload every this many seqs of paging, not at
 * each page. */
#define TUI_BUF_SLACK 1024u

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

/* The first seqs of a filtered walk are looked at in ranges this long,
 * each twice the last, up to the call's span (TUI_FILTER_SPAN). */
#define TUI_FILTER_CHUNK 4096u

/* The span a call may look at: TUI_FILTER_SPAN (a test's smaller one). */
static uint64_t span_max(const struct tui_model *m)
{
	return m->span_limit ? m->span_limit : TUI_FILTER_SPAN;
}

/* The stack as one tdb_filter (AND) into *f; false when nothing can pass
 * (two devices, two queues, two types). */
static bool compose(const struct tui_model *m, struct tdb_filter *f)
{
	tdb_filter_init(f);
	for (size_t i = 0; i < m->n_filters; i++) {
		const struct tui_filter *x = &m->filters[i];
		switch (x->kind) {
		case TUI_FILTER_QUEUE: /* a queue is one device's */
			if ((f->queue >= 0 && f->queue != x->queue) || (f->device >= 0 && f->device != x->device))
				return false;
			f->queue = x->queue;
			f->device = x->device;
			break;
		case TUI_FILTER_DEVICE:
			if (f->device >= 0 && f->device != x->device)
				return false;
			f->device = x->device;
			break;
		case TUI_FILTER_TYPE:
			if (f->types && !(f->types & (1u << x->type)))
				return false;
			f->types = 1u << x->type;
			break;
		case TUI_FILTER_VIOLATIONS:
			f->violations_only = true;
			break;
		}
	}
	return true;
}

/* Whether one page query of f costs the same wherever it starts, served
 * by an index: a device's events (events_device on device, seq), or the
 * violations and anomalies alone (read from their tables).  Every other
 * filter reads the events rows in seq order and tests each: a filter
 * few events pass would scan the trace. */
static bool indexed(const struct tdb_filter *f)
{
	if (f->types || f->queue >= 0)
		return false;
	return (f->device >= 0) != f->violations_only;
}

/* Look for up to want events passing base (rows with a seq) from seq
 * from on in direction dir, not past limit.  An indexed filter is one
 * query; the others look at ranges of seqs, charged against the call's
 * span (m->span_left): when it is spent the look stops and m->stopped
 * says where.  *n found, *last the last one (furthest from from), *end:
 * the look reached limit (nothing more passes that way), else *next:
 * the seq to look at next. */
static int scan_seqs(struct tui_model *m, const struct tdb_filter *base, uint64_t from, uint64_t limit,
		     enum tdb_direction dir, size_t want, size_t *n, uint64_t *last, bool *end, uint64_t *next)
{
	bool fwd = dir == TDB_FORWARD, ranged = !indexed(base);
	uint64_t lim = fwd ? (limit < m->hi ? limit : m->hi) : (limit > m->lo ? limit : m->lo);
	uint64_t chunk = TUI_FILTER_CHUNK, pos = from;
	int r = 0;

	*n = 0;
	*last = from;
	*end = false;
	while (*n < want) {
		struct tdb_filter f = *base;
		struct tdb_cursor *c;
		struct tdb_event row;
		uint64_t lo = fwd ? pos : lim, hi = fwd ? lim : pos;

		if (m->empty || (fwd ? pos > lim : pos < lim)) {
			*end = true;
			break;
		}
		if (ranged) {
			if (m->span_left == 0) {
				m->stopped = pos;
				break;
			}
			uint64_t span = chunk < m->span_left ? chunk : m->span_left;
			if (hi - lo >= span) {
				if (fwd)
					hi = lo + span - 1;
				else
					lo = hi - span + 1;
			}
			m->span_left -= hi - lo + 1;
			if (chunk < span_max(m))
				chunk *= 2;
		}
		f.has_from = f.has_to = true;
		f.from = lo;
		f.to = hi;
		f.with_data = false;
		f.page = want - *n < TUI_PAGE ? (unsigned)(want - *n) : TUI_PAGE;
		if ((r = tdb_cursor_open(m->t, &f, dir, &c)) != 0)
			return r;
		while (*n < want && ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW)) {
			if (!row.seq_ok)
				continue; /* no place to go to */
			(*n)++;
			*last = row.ev.seq;
		}
		tdb_cursor_close(c);
		if (r < 0)
			return r;
		r = 0;
		if (*n == want) {
			if (fwd ? *last >= lim : *last <= lim)
				*end = true;
			else
				pos = fwd ? *last + 1 : *last - 1;
			break;
		}
		/* all of [lo, hi] looked at */
		if (fwd ? hi >= lim : lo <= lim) {
			*end = true;
			break;
		}
		pos = fwd ? hi + 1 : lo - 1;
	}
	*next = pos;
	return 0;
}

/* Load the request buffers that name memory in rows lo..hi as show names
 * it (fmt_row.h: FMT_TDB_BUF_BEFORE / _AFTER), unless those loaded cover
 * them already.  A load takes TUI_BUF_SLACK more either side, so paging
 * on reloads once that many seqs. */
static void bufs_cover(struct tui_fmt *f, uint64_t lo, uint64_t hi)
{
	if (f->bufs_set && hi + FMT_TDB_BUF_AFTER <= f->bufs_hi &&
	    (f->bufs_lo == 0 || lo >= f->bufs_lo + FMT_TDB_BUF_BEFORE))
		return;
	f->bufs_lo = lo > FMT_TDB_BUF_BEFORE + TUI_BUF_SLACK ? lo - FMT_TDB_BUF_BEFORE - TUI_BUF_SLACK : 0;
	f->bufs_hi = hi + FMT_TDB_BUF_AFTER + TUI_BUF_SLACK;
	fmt_rows_load_bufs(f->fr, f->bufs_lo, f->bufs_hi);
	f->bufs_set = true;
}

/* Format up to max rows from seq from to seq to (inclusive), in order,
 * calling fn with each.  *end: the trace ended before max rows.  The
 * formatter's state is read anew where the walk does not go on from the
 * rows formatted last (a jump), so every line is named from the full
 * state at its seq.  With filters, only the events passing them, found
 * within the call's span (scan_seqs): *next is then where a walk that
 * stopped short of max rows and of the end goes on. */
static int tf_walk(struct tui_model *m, struct tui_fmt *f, uint64_t from, uint64_t to, size_t max, tf_fn fn, void *arg,
		   bool *end, uint64_t *next)
{
	static char line[FMT_ROW_LINE_MAX];
	struct tdb_cursor *c = f->c;
	struct tdb_event row;
	size_t k = 0;
	int r = 0;

	*end = false;
	*next = from;
	if (m->n_filters) {
		struct tdb_filter flt;
		uint64_t last;
		size_t n;
		if (!compose(m, &flt)) {
			*end = true;
			return 0;
		}
		/* which events pass first (cheap), then those rows with
		 * their bytes: the range holds exactly them */
		if ((r = scan_seqs(m, &flt, from, to, TDB_FORWARD, max, &n, &last, end, next)) != 0 || n == 0)
			return r;
		flt.has_from = flt.has_to = true;
		flt.from = from;
		flt.to = to = last;
		flt.with_data = true;
		flt.page = TUI_PAGE;
		if ((r = tdb_cursor_open(m->t, &flt, TDB_FORWARD, &c)) != 0)
			return r;
	}
	/* The buffers for the page of rows from here (a filtered walk, whose
	 * rows may lie far apart, looks again at each memory row). */
	bufs_cover(f, from, from + TUI_PAGE);
	if (fmt_rows_next(f->fr) != from)
		fmt_rows_seek(f->fr, from);
	if (c == f->c)
		tdb_cursor_seek(c, from, TDB_FORWARD);
	while (k < max) {
		r = tdb_cursor_next(c, &row);
		if (r == TDB_END) {
			if (c == f->c)
				*end = true;
			r = 0;
			break;
		}
		if (r < 0)
			break;
		r = 0;
		if (row.seq_ok && row.ev.seq > to)
			break;
		if (c != f->c && !row.seq_ok)
			continue;
		k++;
		if (c != f->c && row.ev.type == VMT_EV_MEM)
			bufs_cover(f, row.ev.seq, row.ev.seq);
		size_t what = 0;
		fmt_rows_line(f->fr, &row, line, sizeof(line), &what);
		if (fn(arg, &row, line, what))
			break;
	}
	if (c != f->c)
		tdb_cursor_close(c);
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

/* Read the lines [from, to], at most max, into *g (*next: tf_walk's). */
static int load(struct tui_model *m, uint64_t from, uint64_t to, size_t max, struct gather *g, bool *end, uint64_t *next)
{
	int r;

	memset(g, 0, sizeof(*g));
	g->m = m;
	g->key = from;
	r = tf_walk(m, m->win_fmt, from, to, max, gather_fn, g, end, next);
	if (r == 0)
		r = g->err;
	if (r) {
		lines_free(g->v, g->n);
		g->v = NULL;
		g->n = 0;
	}
	return r;
}

/* load of a range a look charged to the span has been through already
 * (it holds at most max passing events): not charged again. */
static int load_seen(struct tui_model *m, uint64_t from, uint64_t to, size_t max, struct gather *g, bool *end)
{
	uint64_t left = m->span_left, next;
	int r;

	m->span_left = UINT64_MAX;
	r = load(m, from, to, max, g, end, &next);
	m->span_left = left;
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
	m->fwd_known = m->bwd_known = false;
}

/* The window's line limit: TUI_WINDOW_MAX, or 4 screens of a tall one. */
static size_t win_max(const struct tui_model *m)
{
	size_t s = 4 * (size_t)(m->h > 0 ? m->h : 1) + 2 * TUI_PAGE;
	size_t lim = m->win_limit ? m->win_limit : TUI_WINDOW_MAX;
	return s > lim ? s : lim;
}

/* The filtered looks that go on where the same call stopped. */
enum {
	RESUME_NONE,
	RESUME_MARK_FWD,
	RESUME_MARK_BWD,
	RESUME_FIND_FWD,
	RESUME_FIND_BWD,
	RESUME_GOTO,
	RESUME_GOTO_BACK,
};

/* Whether call op at at goes on from m->resume_from. */
static bool resuming(const struct tui_model *m, int op, uint64_t at)
{
	return m->n_filters && m->resume_op == op && m->resume_at == at;
}

/* After call op at at: go on from where it stopped next time, if it did. */
static void resume_set(struct tui_model *m, int op, uint64_t at)
{
	m->resume_op = m->stopped == UINT64_MAX || !m->n_filters ? RESUME_NONE : op;
	m->resume_at = at;
	m->resume_from = m->stopped;
}

/* A call from the user (a keystroke): the span a filtered walk may look
 * at starts anew. */
static void call_start(struct tui_model *m)
{
	m->span_left = span_max(m);
	m->stopped = UINT64_MAX;
}

/* Append the page after the window; drop lines far before the view. */
static int fill_fwd(struct tui_model *m)
{
	struct gather g;
	uint64_t from, next;
	bool end;
	int r;

	if (m->win_end || m->n == 0)
		return 0;
	from = m->fwd_known ? m->fwd_next : m->win[m->n - 1].key + 1;
	if ((r = load(m, from, UINT64_MAX, TUI_PAGE, &g, &end, &next)) != 0)
		return r;
	if ((r = win_reserve(m, g.n)) != 0) {
		lines_free(g.v, g.n);
		return r;
	}
	if (g.n) /* (a filtered look may find none: g.v NULL) */
		memcpy(m->win + m->n, g.v, g.n * sizeof(*g.v));
	m->n += g.n;
	free(g.v);
	if (m->n_filters) {
		/* no rows: the span ran out (or the trace did) */
		m->win_end = end;
		m->fwd_known = !end;
		m->fwd_next = next;
	} else {
		m->win_end = end || g.n == 0;
	}
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
		if (d) {
			m->win_start = false;
			m->bwd_known = false;
		}
	}
	return 0;
}

/* The seq TUI_PAGE events before seq before (the lowest of them): *start,
 * *at_start when the trace begins among them.  With filters, of the
 * events passing them: *start is before when the span ran out first
 * (m->stopped), and *next is where a walk back goes on. */
static int page_before(struct tui_model *m, uint64_t before, uint64_t *start, bool *at_start, uint64_t *next)
{
	struct tdb_event row;
	size_t k = 0;
	int r = 0;

	*start = before;
	*at_start = before == 0;
	*next = before;
	if (before == 0)
		return 0;
	if (m->n_filters) {
		struct tdb_filter flt;
		uint64_t last;
		if (before <= m->lo || !compose(m, &flt)) {
			*at_start = true;
			return 0;
		}
		if ((r = scan_seqs(m, &flt, before - 1, m->lo, TDB_BACKWARD, TUI_PAGE, &k, &last, at_start, next)) != 0)
			return r;
		if (k)
			*start = last;
		return 0;
	}
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
	uint64_t start, first, before, next;
	bool at_start, end;
	int r;

	if (m->win_start || m->n == 0)
		return 0;
	first = m->win[0].key;
	before = m->n_filters && m->bwd_known ? m->bwd_next + 1 : first;
	if ((r = page_before(m, before, &start, &at_start, &next)) != 0)
		return r;
	if (m->n_filters) {
		m->bwd_known = !at_start;
		m->bwd_next = next;
		if (start >= before) {
			m->win_start = at_start;
			return 0;
		}
	} else if (start >= first) {
		m->win_start = true;
		return 0;
	}
	if ((r = load_seen(m, start, first - 1, TUI_PAGE, &g, &end)) != 0)
		return r;
	if ((r = win_reserve(m, g.n)) != 0) {
		lines_free(g.v, g.n);
		return r;
	}
	if (g.n) {
		memmove(m->win + g.n, m->win, m->n * sizeof(*m->win));
		memcpy(m->win, g.v, g.n * sizeof(*g.v));
	}
	m->n += g.n;
	m->cur += g.n;
	m->top += g.n;
	free(g.v);
	m->win_start = at_start || (g.n == 0 && !m->n_filters);
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
		if (d) {
			m->win_end = false;
			m->fwd_known = false;
		}
	}
	return 0;
}

/* A new window from g's lines (load from seq on). */
static void win_set(struct tui_model *m, struct gather *g, bool end, uint64_t next)
{
	win_clear(m);
	free(m->win);
	m->win = g->v;
	m->n = g->n;
	m->cap = g->cap;
	m->win_end = end || (g->n == 0 && !m->n_filters);
	m->win_start = g->n == 0 || m->win[0].key <= m->lo;
	m->fwd_known = m->n_filters && !end;
	m->fwd_next = next;
	m->cur = m->top = 0;
	m->context = true;
}

/* tui_model_goto within the call's span.  A look that stopped goes on:
 * *op (may be NULL) says which way it stopped (RESUME_GOTO: looking
 * forward, RESUME_GOTO_BACK: for the last one before seq), and the same
 * call again passes where as look_fwd (forward from there) or look_back
 * (UINT64_MAX: none; back from there). */
static int goto_look(struct tui_model *m, uint64_t seq, uint64_t look_fwd, uint64_t look_back, int *op)
{
	struct gather g;
	uint64_t next;
	bool end;
	int r;

	if (op)
		*op = RESUME_NONE;
	if (m->empty)
		return 0;
	if (seq > m->hi)
		seq = m->hi;
	if (seq < m->lo)
		seq = m->lo;
	/* Within the window, or past an end of it that is the trace's:
	 * only the cursor moves (a filtered window holds every passing
	 * event between its ends). */
	if (m->n && (m->win_start || m->win[0].key <= seq) && (m->win_end || seq <= m->win[m->n - 1].key)) {
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
	if (look_fwd < seq)
		look_fwd = seq;
	g.n = 0;
	g.v = NULL;
	end = true;
	if (look_back == UINT64_MAX && (r = load(m, look_fwd, UINT64_MAX, TUI_PAGE, &g, &end, &next)) != 0)
		return r;
	if (g.n == 0 && m->n_filters) {
		struct tdb_filter flt;
		uint64_t last;
		size_t k = 0;
		free(g.v);
		if (!end) {
			if (op)
				*op = RESUME_GOTO; /* the span ran out (m->stopped) */
			return 0;
		}
		if (seq <= m->lo || !compose(m, &flt))
			return 0; /* nothing passes */
		/* nothing passes at or after seq: the last one before it */
		if (look_back == UINT64_MAX || look_back >= seq)
			look_back = seq - 1;
		if ((r = scan_seqs(m, &flt, look_back, m->lo, TDB_BACKWARD, 1, &k, &last, &end, &next)) != 0)
			return r;
		if (k == 0) {
			if (!end && op)
				*op = RESUME_GOTO_BACK;
			return 0;
		}
		/* the last passing event: the window is it, and ends there
		 * (fill_bwd reads the lines before it) */
		if ((r = load_seen(m, last, last, 1, &g, &end)) != 0)
			return r;
		if (g.n == 0) {
			free(g.v);
			return 0;
		}
		end = true;
	} else if (g.n == 0 && seq > m->lo) {
		/* nothing at or after seq: back to the last event */
		free(g.v);
		return seq == m->hi ? 0 : goto_look(m, m->hi, m->hi, UINT64_MAX, NULL);
	}
	win_set(m, &g, end, next);
	/* it found its place: a page cut short is no stop (the window goes
	 * on from fwd_next) */
	m->stopped = UINT64_MAX;
	return 0;
}

static int goto_at(struct tui_model *m, uint64_t seq)
{
	return goto_look(m, seq, seq, UINT64_MAX, NULL);
}

int tui_model_goto(struct tui_model *m, uint64_t seq)
{
	bool fwd = resuming(m, RESUME_GOTO, seq), back = resuming(m, RESUME_GOTO_BACK, seq);
	int r, op;

	call_start(m);
	r = goto_look(m, seq, fwd ? m->resume_from : seq, back ? m->resume_from : UINT64_MAX, &op);
	resume_set(m, op, seq);
	return r;
}

int tui_model_first(struct tui_model *m)
{
	return tui_model_goto(m, m->lo);
}

int tui_model_last(struct tui_model *m)
{
	int r = tui_model_goto(m, m->hi);

	/* (a filtered look that stopped: the cursor stays, G goes on) */
	if (r == 0 && m->n && m->stopped == UINT64_MAX) {
		while (!m->win_end && r == 0) {
			size_t before = m->n;
			r = fill_fwd(m);
			if (m->n == before)
				break;
		}
		m->cur = m->n - 1;
	}
	return r;
}

int tui_model_move(struct tui_model *m, long delta)
{
	int r = 0;

	call_start(m);
	if (m->n == 0)
		return 0;
	/* the line it is asked to go to, among those loaded after the move */
	size_t want = SIZE_MAX;
	if (delta < 0) {
		size_t d = (size_t)-delta;
		while (d > m->cur && !m->win_start && r == 0) {
			size_t before = m->n;
			r = fill_bwd(m);
			if (m->n == before)
				break;
		}
		if (d <= m->cur)
			want = m->cur - d;
		m->cur = d > m->cur ? 0 : m->cur - d;
	} else {
		size_t d = (size_t)delta;
		while (m->cur + d >= m->n && !m->win_end && r == 0) {
			size_t before = m->n;
			r = fill_fwd(m);
			if (m->n == before)
				break;
		}
		if (m->cur + d < m->n)
			want = m->cur + d;
		m->cur = m->cur + d >= m->n ? m->n - 1 : m->cur + d;
	}
	if (m->cur == want)
		m->stopped = UINT64_MAX; /* it went where it was asked to */
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
	/* a span of its own; m->stopped stays the key's (or says where
	 * this walk stopped) */
	m->span_left = span_max(m);
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

/* The cursor to seq, which a look found (it passes the filters): the
 * window is read with a span of its own. */
static int jump_found(struct tui_model *m, uint64_t seq)
{
	uint64_t stopped = m->stopped;
	int r;

	m->span_left = span_max(m);
	r = goto_at(m, seq);
	m->stopped = stopped;
	return r;
}

int tui_model_search(struct tui_model *m, const char *pattern, bool forward, bool *found, uint64_t *stopped)
{
	struct find f = { .forward = forward };
	int r = 0;

	*found = false;
	*stopped = UINT64_MAX;
	call_start(m);
	if (pattern && strcmp(pattern, m->pattern))
		m->resume_op = RESUME_NONE; /* another search */
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
	/* With filters: the lines of the events passing them, and the
	 * walk also stops when the call's span runs out (m->stopped). */
	uint64_t at = m->win[m->cur].key;
	size_t budget = m->n_filters ? TUI_SEARCH_BUDGET_FILTERED : TUI_SEARCH_BUDGET;
	if (forward) {
		uint64_t from = resuming(m, RESUME_FIND_FWD, at) ? m->resume_from
				: m->fwd_known			  ? m->fwd_next
								  : m->win[m->n - 1].key + 1;
		while (!f.found && f.seen < budget) {
			bool end;
			uint64_t next;
			size_t seen = f.seen;
			if ((r = tf_walk(m, m->find_fmt, from, UINT64_MAX, TUI_PAGE, find_fn, &f, &end, &next)) != 0)
				return r;
			if (!f.found && !end && m->stopped != UINT64_MAX) {
				*stopped = m->stopped;
				resume_set(m, RESUME_FIND_FWD, at);
				return 0;
			}
			if (end || f.seen == seen)
				break;
			from = m->n_filters ? next : f.last + 1;
		}
		if (!f.found && f.seen >= budget) {
			*stopped = f.last;
			/* filtered: the same n goes on after it */
			m->stopped = f.last + 1;
			resume_set(m, RESUME_FIND_FWD, at);
		}
	} else {
		uint64_t before = resuming(m, RESUME_FIND_BWD, at)	? m->resume_from + 1
				  : m->n_filters && m->bwd_known ? m->bwd_next + 1
								 : m->win[0].key;
		while (!f.found && f.seen < budget) {
			uint64_t start, next;
			bool at_start, end;
			if ((r = page_before(m, before, &start, &at_start, &next)) != 0)
				return r;
			if (start < before) {
				/* a range the look went through: not charged again */
				uint64_t left = m->span_left, walked;
				m->span_left = UINT64_MAX;
				r = tf_walk(m, m->find_fmt, start, before - 1, TUI_PAGE, find_fn, &f, &end, &walked);
				m->span_left = left;
				if (r)
					return r;
			}
			if (at_start || f.found)
				break;
			if (m->stopped != UINT64_MAX) {
				*stopped = m->stopped;
				resume_set(m, RESUME_FIND_BWD, at);
				return 0;
			}
			before = m->n_filters ? next + 1 : start;
		}
		if (!f.found && f.seen >= budget) {
			*stopped = before;
			m->stopped = before - 1;
			resume_set(m, RESUME_FIND_BWD, at);
		}
	}
	if (f.found) {
		*found = true;
		return jump_found(m, f.hit);
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
	call_start(m);
	if (!l || (forward && l->key == UINT64_MAX) || (!forward && l->key == 0))
		return 0;
	if (m->n_filters) {
		/* the next violation among the events passing the filters */
		uint64_t last, next;
		size_t k;
		bool end;
		int op = forward ? RESUME_MARK_FWD : RESUME_MARK_BWD;
		uint64_t at = l->key;
		if (!compose(m, &f))
			return 0;
		f.violations_only = true;
		r = scan_seqs(m, &f, resuming(m, op, at) ? m->resume_from : forward ? at + 1 : at - 1,
			      forward ? UINT64_MAX : 0, forward ? TDB_FORWARD : TDB_BACKWARD, 1, &k, &last, &end, &next);
		resume_set(m, op, at);
		if (r || k == 0)
			return r;
		*found = true;
		return jump_found(m, last);
	}
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
	m->prefer_request = -1;
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

/* Registers that act on the queue QueueSel selects (tdb_events.c's
 * queue filter counts them as that queue's). */
static bool queue_reg(const char *reg)
{
	static const char *const regs[] = {
		"QueueNumMax", "QueueNum", "QueueReady", "QueueDescLow", "QueueDescHigh", "QueueDriverLow",
		"QueueDriverHigh", "QueueDeviceLow", "QueueDeviceHigh", "QueuePFN", "QueueAlign", "QueueReset",
	};
	for (size_t i = 0; reg && i < sizeof(regs) / sizeof(regs[0]); i++)
		if (!strcmp(reg, regs[i]))
			return true;
	return false;
}

/* The device and queue the event row (line l) acts on: 0, or -EINVAL
 * when it acts on none (Status, an interrupt, memory outside the rings),
 * or a tracedb error. */
static int event_queue(struct tui_model *m, const struct tui_line *l, const struct tdb_event *row, int *device,
		       int64_t *queue)
{
	*device = row->device;
	if (row->ev.type == VMT_EV_QUEUE && row->device >= 0) {
		*queue = (int64_t)row->ev.addr;
		return row->ev.addr <= INT64_MAX ? 0 : -EINVAL;
	}
	if (row->ev.type == VMT_EV_MMIO && row->device >= 0 && row->reg && !strcmp(row->reg, "QueueNotify")) {
		*queue = (int64_t)(row->ev.value & 0xffff); /* the index, as the cursor's filter reads it too */
		return row->ev.value == (uint64_t)*queue ? 0 : -EINVAL;
	}
	if (row->ev.type == VMT_EV_MMIO && row->device >= 0 && queue_reg(row->reg)) {
		uint64_t v, set;
		int r = tdb_state_setter(m->t, row->device, "QueueSel", -1, row->ev.seq, &v, &set);
		if (r == TDB_E_NOT_FOUND)
			return -EINVAL; /* no queue selected yet */
		if (r)
			return r;
		*queue = (int64_t)(v & 0xffff);
		return v == (uint64_t)*queue ? 0 : -EINVAL;
	}
	if (row->ev.type == VMT_EV_MEM) {
		/* ring memory: the queue of the chain it made available or
		 * completed */
		struct tdb_event_links lk;
		struct tdb_chain ch;
		int r = tdb_event_links(m->t, row->ev.seq, &lk);
		if (r)
			return r;
		if (lk.chain < 0)
			return -EINVAL;
		memset(&ch, 0, sizeof(ch));
		r = tdb_chain_read(m->t, lk.chain, &ch);
		*device = ch.device;
		*queue = ch.queue;
		tdb_chain_clear(&ch);
		if (r)
			return r;
		return *device >= 0 && *device == (l->device >= 0 ? l->device : *device) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* The window anew at the first event passing the filters at or after
 * seq, or the last one before it: *none when nothing passes; -EAGAIN when
 * the look stopped (m->stopped) before it found one either way. */
static int reload_near(struct tui_model *m, uint64_t seq, bool *none)
{
	struct tdb_filter flt;
	uint64_t last, next;
	size_t k = 0;
	bool end = true;
	int r;

	*none = false;
	if (!compose(m, &flt)) {
		*none = true;
		return 0;
	}
	if (m->n_filters) {
		bool end_fwd;
		r = scan_seqs(m, &flt, seq, UINT64_MAX, TDB_FORWARD, 1, &k, &last, &end_fwd, &next);
		if (r == 0 && k == 0 && seq > m->lo)
			r = scan_seqs(m, &flt, seq - 1, 0, TDB_BACKWARD, 1, &k, &last, &end, &next);
		if (r)
			return r;
		if (k == 0) {
			if (end_fwd && (end || seq <= m->lo)) {
				*none = true;
				return 0;
			}
			return -EAGAIN;
		}
		seq = last;
	}
	/* the old window's lines are not the new one's, nor its looks */
	win_clear(m);
	m->resume_op = RESUME_NONE;
	m->span_left = span_max(m);
	r = goto_at(m, seq);
	m->stopped = UINT64_MAX;
	return r;
}

int tui_model_filter_push(struct tui_model *m, enum tui_filter_kind kind, bool *empty)
{
	const struct tui_line *l = tui_model_cur(m);
	struct tui_filter x = { .kind = kind, .device = -1, .queue = -1, .type = 0 };
	struct tdb_event row;
	uint64_t at;
	bool none;
	int r;

	*empty = false;
	call_start(m);
	if (!l || !l->seq_ok)
		return -EINVAL;
	if (m->n_filters == TUI_FILTER_MAX)
		return -ENOSPC;
	at = l->seq;
	if (kind != TUI_FILTER_VIOLATIONS) {
		r = tui_model_event(m, at, &row);
		if (r == TDB_E_NOT_FOUND || (r == TDB_E_DAMAGED_ROW && !row.seq_ok))
			return -EINVAL;
		if (r < 0)
			return r;
		if (r == TDB_E_DAMAGED_ROW && kind != TUI_FILTER_DEVICE)
			return -EINVAL; /* its type or queue is what is damaged */
	}
	switch (kind) {
	case TUI_FILTER_DEVICE:
		/* memory: the device whose ring or request buffer it is */
		x.device = row.device >= 0 ? row.device : l->device;
		if (x.device < 0)
			return -EINVAL;
		break;
	case TUI_FILTER_QUEUE:
		if ((r = event_queue(m, l, &row, &x.device, &x.queue)) != 0)
			return r;
		break;
	case TUI_FILTER_TYPE:
		if (row.ev.type < 1 || row.ev.type > VMT_EV_TYPE_MAX)
			return -EINVAL;
		x.type = row.ev.type;
		break;
	case TUI_FILTER_VIOLATIONS:
		break;
	default:
		return -EINVAL;
	}
	m->filters[m->n_filters++] = x;
	r = reload_near(m, at, &none);
	if (r == 0 && none)
		*empty = true;
	if (r == -EAGAIN || *empty) {
		/* not pushed: the window as it was, at the same event */
		uint64_t stopped = m->stopped;
		m->n_filters--;
		win_clear(m);
		m->span_left = span_max(m);
		int e = goto_at(m, at);
		m->stopped = stopped;
		return e ? e : r;
	}
	return r;
}

int tui_model_filter_pop(struct tui_model *m)
{
	const struct tui_line *l = tui_model_cur(m);
	uint64_t at = l ? l->key : m->lo;
	bool none;

	call_start(m);
	if (m->n_filters == 0)
		return 0;
	m->n_filters--;
	/* the cursor's event passes fewer filters: it is found at once */
	int r = reload_near(m, at, &none);
	return r == -EAGAIN ? 0 : r;
}

size_t tui_model_filter_depth(const struct tui_model *m)
{
	return m->n_filters;
}

void tui_model_filter_describe(const struct tui_model *m, char *buf, size_t len)
{
	size_t k = 0;
	int dev = -1;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < m->n_filters && k < len; i++) {
		const struct tui_filter *x = &m->filters[i];
		char name[4 * TDB_NAME_MAX + 1] = "";
		const char *sep = i ? " > " : "";
		int n = 0;
		if (x->kind == TUI_FILTER_DEVICE || (x->kind == TUI_FILTER_QUEUE && x->device != dev)) {
			const struct tdb_device *d = tdb_device_by_id(m->t, x->device);
			if (d)
				escape_str(d->name, name, sizeof(name));
			else
				snprintf(name, sizeof(name), "device %d", x->device);
			dev = x->device;
		}
		switch (x->kind) {
		case TUI_FILTER_DEVICE:
			n = snprintf(buf + k, len - k, "%s%s", sep, name);
			break;
		case TUI_FILTER_QUEUE:
			n = snprintf(buf + k, len - k, "%s%s%sq%lld", sep, name, name[0] ? " " : "", (long long)x->queue);
			break;
		case TUI_FILTER_TYPE:
			n = snprintf(buf + k, len - k, "%s%s", sep, tdb_vocab_name(&tdb_vocab_event_type, x->type));
			break;
		case TUI_FILTER_VIOLATIONS:
			n = snprintf(buf + k, len - k, "%sviolations", sep);
			break;
		}
		if (n < 0)
			break;
		k += (size_t)n;
	}
	if (k >= len)
		escape_trim_cut(buf);
}
