/* The timeline strip (tui_timeline.h). */
#include "tui/views/tui_timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_events.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_open.h"
#include "tui/tui_grid.h"

/* Density from none to most, one character a bucket. */
static const char density[] = " .:-=+*#";
#define DENSITY_LEVELS ((int)sizeof(density) - 1)
/* Status changes looked at per bucket for a reset (tdb_marks_in). */
#define TIMELINE_STATUS_ROWS 16

struct tui_timeline {
	struct tdb *t;
	bool empty;               /* no events */
	uint64_t lo, hi;          /* the trace's first and last seq */
	int64_t ts_lo, ts_hi;     /* their times */
	bool by_seq;              /* times unusable: buckets split the seqs evenly */
	int cols;                 /* what bounds/marks were computed for (0: none yet) */
	uint64_t *bounds;         /* cols + 1: bucket i is seqs [bounds[i], bounds[i + 1]) */
	unsigned *marks;          /* cols: TDB_MARK_* */
};

int tui_timeline_open(struct tui_timeline **out, struct tdb *t)
{
	struct tui_timeline *tl = calloc(1, sizeof(*tl));
	uint64_t at;
	int r;

	*out = NULL;
	if (!tl)
		return -ENOMEM;
	tl->t = t;
	r = tdb_events_bounds(t, &tl->lo, &tl->hi);
	if (r == TDB_END) {
		tl->empty = true;
		r = 0;
	} else if (r == 0) {
		/* the first and last events' times span the strip; when they
		 * cannot (unreadable, or the clock went backwards) the
		 * buckets split the seqs instead */
		int a = tdb_event_time(t, tl->lo, &at, &tl->ts_lo);
		int b = a == 0 ? tdb_event_time(t, tl->hi, &at, &tl->ts_hi) : a;
		if (a < 0 || b < 0)
			r = a < 0 ? a : b;
		else
			tl->by_seq = a != 0 || b != 0 || tl->ts_hi <= tl->ts_lo;
	}
	if (r) {
		free(tl);
		return r;
	}
	*out = tl;
	return 0;
}

void tui_timeline_free(struct tui_timeline *tl)
{
	if (!tl)
		return;
	free(tl->bounds);
	free(tl->marks);
	free(tl);
}

/* Binary digits of n (0 for 0). */
static int bits_of(uint64_t n)
{
	return n ? 64 - __builtin_clzll(n) : 0;
}

/* span * i / cols without overflow (i <= cols <= TUI_GRID_COLS_MAX). */
static uint64_t part(uint64_t span, int i, int cols)
{
	return span / (unsigned)cols * (unsigned)i + span % (unsigned)cols * (unsigned)i / (unsigned)cols;
}

/* Bucket boundaries splitting the seqs evenly (hi < UINT64_MAX: the
 * library's bound on seq). */
static void seq_bounds(struct tui_timeline *tl, int cols)
{
	for (int i = 0; i <= cols; i++)
		tl->bounds[i] = tl->lo + part(tl->hi - tl->lo + 1, i, cols);
}

/* Bounds and marks for cols buckets. */
static int compute(struct tui_timeline *tl, int cols)
{
	uint64_t *bounds = realloc(tl->bounds, ((size_t)cols + 1) * sizeof(*bounds));
	int r = 0;

	if (!bounds)
		return -ENOMEM;
	tl->bounds = bounds;
	unsigned *marks = realloc(tl->marks, (size_t)cols * sizeof(*marks));
	if (!marks)
		return -ENOMEM;
	tl->marks = marks;
	tl->cols = 0;
	if (!tl->by_seq && cols > 1) {
		int64_t *ts = malloc((size_t)cols * sizeof(*ts));
		if (!ts)
			return -ENOMEM;
		uint64_t span = (uint64_t)tl->ts_hi - (uint64_t)tl->ts_lo; /* ts_hi > ts_lo */
		for (int i = 1; i < cols; i++)
			ts[i - 1] = (int64_t)((uint64_t)tl->ts_lo + part(span, i, cols));
		r = tdb_seq_at_times(tl->t, tl->lo, tl->hi, ts, (size_t)cols - 1, bounds + 1);
		free(ts);
		bounds[0] = tl->lo;
		bounds[cols] = tl->hi + 1;
		if (r > 0 || r == -EIO)
			tl->by_seq = true; /* a time that is no time (or unreadable): split the seqs */
		else if (r < 0)
			return r;
	}
	if (tl->by_seq || cols == 1)
		seq_bounds(tl, cols);
	r = tdb_marks_in(tl->t, bounds, (size_t)cols, TIMELINE_STATUS_ROWS, marks);
	if (r > 0 || r == -EIO) /* an unreadable marker row: the strip without markers */
		memset(marks, 0, (size_t)cols * sizeof(*marks));
	else if (r < 0)
		return r;
	tl->cols = cols;
	return 0;
}

/* The bucket holding seq: the last i with bounds[i] <= seq. */
static int bucket_of(const struct tui_timeline *tl, uint64_t seq)
{
	int a = 0, b = tl->cols; /* bounds[a] <= seq (or a is 0), answer in [a, b) */

	while (b - a > 1) {
		int mid = a + (b - a) / 2;
		if (tl->bounds[mid] <= seq)
			a = mid;
		else
			b = mid;
	}
	return a;
}

int tui_timeline_draw(struct tui_timeline *tl, struct tui_grid *g, int row, uint64_t cursor_seq, bool color)
{
	int cols = g->cols;
	uint64_t most = 0;
	int r;

	if (row < 0 || row >= g->rows || cols < 1)
		return 0;
	tui_grid_fill(g, row, 0, cols, ' ', 0);
	if (tl->empty)
		return 0;
	if (tl->cols != cols && (r = compute(tl, cols)) != 0)
		return r;
	for (int i = 0; i < cols; i++) {
		uint64_t n = tl->bounds[i + 1] - tl->bounds[i];
		if (n > most)
			most = n;
	}
	for (int i = 0; i < cols; i++) {
		uint64_t n = tl->bounds[i + 1] - tl->bounds[i];
		unsigned m = tl->marks[i], attr = 0;
		char ch[2] = { density[0], '\0' };
		if (n > 0) {
			/* a log scale: a boot's bursts and its quiet stretches both show */
			int b = bits_of(most);
			int level = 1 + ((DENSITY_LEVELS - 2) * bits_of(n) + b / 2) / b;
			ch[0] = density[level < DENSITY_LEVELS ? level : DENSITY_LEVELS - 1];
		}
		if (m & TDB_MARK_VIOLATION)
			ch[0] = '!', attr = TUI_A_RED;
		else if (m & TDB_MARK_RESET)
			ch[0] = 'R', attr = TUI_A_YELLOW;
		else if (m & TDB_MARK_STATUS)
			ch[0] = 's', attr = TUI_A_CYAN;
		tui_grid_put(g, row, i, 1, ch, color ? attr : 0);
	}
	if (cursor_seq >= tl->lo && cursor_seq <= tl->hi) {
		int c = bucket_of(tl, cursor_seq);
		if (color)
			tui_grid_attr(g, row, c, 1, TUI_A_REVERSE);
		else
			tui_grid_put(g, row, c, 1, "^", 0);
	}
	return 0;
}
