/* The inspector's other views and its timeline strip (tui/views):
 *
 *   test_views screen TRACE VIEW KEYS EXPECTED   the view (devices,
 *       requests, violations, queues, timeline) after KEYS, drawn into a
 *       100x16 grid, against the text in EXPECTED ("-": print it)
 *   test_views check TRACE    the views against the read library: every
 *       row reached by paging both ways, the sorts' order, the kind
 *       filter, Enter's seq, the strip's buckets
 *   test_views hostile FILE...   every view and key on each file that
 *       opens: no crash (exit 0 whatever the views say)
 *   test_views bench TRACE    the time of each view's first screen and keys
 *
 * KEYS: one character a key; 'E' is Enter, 'D' PgDn, 'U' PgUp, '_' none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_vocab.h"
#include "tui/tui_grid.h"
#include "tui/tui_input.h"
#include "tui/views/lv_priv.h"
#include "tui/views/tui_listview.h"
#include "tui/views/tui_timeline.h"

#define ROWS 16
#define COLS 100

static int key_of(char c)
{
	return c == 'E' ? TUI_KEY_ENTER : c == 'D' ? TUI_KEY_PGDN : c == 'U' ? TUI_KEY_PGUP : c;
}

static enum tui_view_id view_of(const char *s)
{
	return !strcmp(s, "devices") ? TUI_VIEW_DEVICES : !strcmp(s, "requests") ? TUI_VIEW_REQUESTS
	       : !strcmp(s, "violations")                                       ? TUI_VIEW_VIOLATIONS
	       : !strcmp(s, "queues")                                           ? TUI_VIEW_QUEUES
										: TUI_VIEW_EVENTS;
}

/* The grid as text (tui_grid_dump) into a malloc'd string. */
static char *grid_text(const struct tui_grid *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	tui_grid_dump(g, f);
	fclose(f);
	return buf;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static int screen(const char *trace, const char *view, const char *keys, const char *expected)
{
	struct tdb *t;
	struct tui_grid g = { 0 };
	char err[512];
	char *got, *want;
	uint64_t seq = 0;
	int r;

	harness_case = view;
	CHECK(tdb_open(&t, trace, err, sizeof(err)) == 0);
	CHECK(tui_grid_resize(&g, ROWS, COLS) == 0);
	if (!strcmp(view, "timeline")) {
		struct tui_timeline *tl;
		uint64_t cur = strtoull(keys, NULL, 10);
		CHECK(tui_timeline_open(&tl, t) == 0);
		/* the strip at three widths, the cursor at seq KEYS */
		CHECK(tui_timeline_draw(tl, &g, 0, cur, false) == 0);
		struct tui_grid g2 = { 0 };
		CHECK(tui_grid_resize(&g2, 1, 40) == 0);
		CHECK(tui_timeline_draw(tl, &g2, 0, cur, false) == 0);
		char *s = grid_text(&g2);
		tui_grid_put(&g, 2, 0, -1, s ? strtok(s, "\n") : "", 0);
		free(s);
		tui_grid_release(&g2);
		tui_timeline_free(tl);
	} else {
		struct tui_listview *v;
		CHECK(tui_listview_open(&v, t, view_of(view)) == 0);
		/* drawn first, as the app does (PgDn's step is the rows shown) */
		CHECK(tui_listview_draw(v, &g, 0, ROWS - 2, false) == 0);
		tui_grid_clear(&g);
		for (const char *k = keys; *k; k++)
			if (*k != '_') {
				unsigned f = tui_listview_key(v, key_of(*k), &seq);
				if (f & TUI_LV_JUMP)
					tui_grid_printf(&g, ROWS - 1, 0, -1, 0, "jump to seq %llu", (unsigned long long)seq);
			}
		CHECK((r = tui_listview_draw(v, &g, 0, ROWS - 2, false)) == 0);
		if (r)
			fprintf(stderr, "draw: %d %s\n", r, tdb_errmsg(t));
		tui_grid_put(&g, ROWS - 2, 0, -1, tui_listview_keys(v), 0);
		tui_listview_free(v);
	}
	got = grid_text(&g);
	CHECK(got != NULL);
	if (!strcmp(expected, "-")) {
		fputs(got ? got : "", stdout);
	} else {
		want = read_file(expected);
		CHECK(want != NULL);
		if (got && want && strcmp(got, want)) {
			fprintf(stderr, "[%s] the screen differs from %s; it is:\n%s", view, expected, got);
			harness_failures++;
		}
		free(want);
	}
	free(got);
	tui_grid_release(&g);
	tdb_close(t);
	return harness_finish("test_views");
}

/* ---- check: the views against the read library ---- */

struct req_list {
	int64_t *id;
	struct tdb_request *q;  /* copies without the pointers */
	size_t n, cap;
};

static int collect_req(void *arg, const struct tdb_request *q)
{
	struct req_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->id = realloc(l->id, l->cap * sizeof(*l->id));
		l->q = realloc(l->q, l->cap * sizeof(*l->q));
		if (!l->id || !l->q)
			return -ENOMEM;
	}
	l->id[l->n] = q->request;
	l->q[l->n] = *q;
	l->q[l->n].op = l->q[l->n].digest = NULL;
	l->q[l->n].data = NULL;
	l->n++;
	return 0;
}

static const struct tdb_request *req_by_id(const struct req_list *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->id[i] == id)
			return &l->q[i];
	return NULL;
}

/* The cursor's row's key k1, after walking every row down with j (and
 * then up with k from G): keys[] in order; returns the count. */
static size_t walk(struct tui_listview *v, int64_t *k1, int64_t *k2, uint64_t *jump, size_t max, bool up)
{
	struct tui_grid g = { 0 };
	uint64_t seq;
	size_t n = 0;

	tui_grid_resize(&g, 20, COLS);
	tui_listview_draw(v, &g, 0, 20, false);
	tui_listview_key(v, up ? 'G' : 'g', &seq);
	while (n < max && v->cur < v->win.n) {
		const struct lv_row *row = &v->win.row[v->cur];
		k1[n] = row->key.k1;
		if (k2)
			k2[n] = row->key.k2;
		jump[n] = 0;
		if (tui_listview_key(v, TUI_KEY_ENTER, &seq) & TUI_LV_JUMP)
			jump[n] = seq + 1; /* 0: no jump */
		n++;
		int64_t before = row->key.k1, before2 = row->key.k2;
		tui_listview_key(v, up ? 'k' : 'j', &seq);
		/* every few rows a draw, as a screen would (the window moves) */
		if (n % 7 == 0)
			tui_listview_draw(v, &g, 0, 20, false);
		const struct lv_row *now = &v->win.row[v->cur];
		if (now->key.k1 == before && now->key.k2 == before2)
			break; /* did not move: the end (keys are unique) */
	}
	tui_grid_release(&g);
	return n;
}

static void check_requests(struct tdb *t)
{
	struct req_list all = { 0 };
	struct tui_listview *v;
	size_t n, max;
	int64_t *k1, *k2;
	uint64_t *jump;

	harness_case = "requests";
	CHECK(tdb_requests_each(t, -1, 0, 0, collect_req, &all) == 0);
	max = all.n + 16;
	k1 = calloc(max, sizeof(*k1));
	k2 = calloc(max, sizeof(*k2));
	jump = calloc(max, sizeof(*jump));
	CHECK(k1 && k2 && jump);
	CHECK(tui_listview_open(&v, t, TUI_VIEW_REQUESTS) == 0);
	/* by seq, down: request order, Enter at the notify */
	n = walk(v, k1, NULL, jump, max, false);
	CHECK_EQ_U(n, all.n);
	for (size_t i = 0; i < n && i < all.n; i++) {
		CHECK_EQ_U(k1[i], all.id[i]);
		int64_t want = all.q[i].seq_notify >= 0 ? all.q[i].seq_notify : all.q[i].seq_avail;
		CHECK_EQ_U(jump[i], want >= 0 ? (uint64_t)want + 1 : 0);
		if (k1[i] != all.id[i])
			break;
	}
	/* up from G: the same, the other way */
	n = walk(v, k1, NULL, jump, max, true);
	CHECK_EQ_U(n, all.n);
	for (size_t i = 0; i < n && i < all.n; i++)
		if (k1[i] != all.id[all.n - 1 - i]) {
			CHECK_EQ_U(k1[i], all.id[all.n - 1 - i]);
			break;
		}
	/* s: slowest first, every used request once */
	uint64_t seq;
	size_t used = 0;
	for (size_t i = 0; i < all.n; i++)
		used += all.q[i].ts_used >= 0 && all.q[i].ts_notify >= 0;
	CHECK(tui_listview_key(v, 's', &seq) & TUI_LV_REDRAW);
	CHECK(strstr(tui_listview_keys(v), "sort: latency") != NULL);
	n = walk(v, k1, k2, jump, max, false);
	CHECK_EQ_U(n, used < 10000 ? used : 10000);
	for (size_t i = 1; i < n; i++) {
		const struct tdb_request *a = req_by_id(&all, k2[i - 1]), *b = req_by_id(&all, k2[i]);
		CHECK(a && b);
		if (a && b && a->ts_used - a->ts_notify < b->ts_used - b->ts_notify) {
			CHECK(!"latency order");
			break;
		}
	}
	/* s: largest first */
	CHECK(tui_listview_key(v, 's', &seq) & TUI_LV_REDRAW);
	CHECK(strstr(tui_listview_keys(v), "sort: size") != NULL);
	n = walk(v, k1, k2, jump, max, false);
	size_t sized = 0;
	for (size_t i = 0; i < all.n; i++)
		sized += all.q[i].length_known;
	CHECK_EQ_U(n, sized < 10000 ? sized : 10000);
	for (size_t i = 1; i < n; i++) {
		const struct tdb_request *a = req_by_id(&all, k2[i - 1]), *b = req_by_id(&all, k2[i]);
		if (a && b && a->length < b->length) {
			CHECK(!"size order");
			break;
		}
	}
	/* s: by seq again; f: each kind the file has, then all */
	CHECK(tui_listview_key(v, 's', &seq) & TUI_LV_REDRAW);
	CHECK(strstr(tui_listview_keys(v), "sort: seq") != NULL);
	unsigned kinds = 0;
	for (size_t i = 0; i < all.n; i++)
		kinds |= 1u << all.q[i].kind;
	for (int k = 0; k < tdb_vocab_request_kind.n; k++) {
		if (!(kinds & (1u << k)))
			continue;
		char want[64];
		CHECK(tui_listview_key(v, 'f', &seq) & TUI_LV_REDRAW);
		snprintf(want, sizeof(want), "kind: %s ", tdb_vocab_name(&tdb_vocab_request_kind, k));
		CHECK(strstr(tui_listview_keys(v), want) != NULL);
		n = walk(v, k1, NULL, jump, max, false);
		size_t j = 0;
		for (size_t i = 0; i < all.n; i++)
			if (all.q[i].kind == k) {
				if (j < n && k1[j] != all.id[i])
					CHECK_EQ_U(k1[j], all.id[i]);
				j++;
			}
		CHECK_EQ_U(n, j);
	}
	CHECK(tui_listview_key(v, 'f', &seq) & TUI_LV_REDRAW);
	CHECK(strstr(tui_listview_keys(v), "kind: all") != NULL);
	CHECK_EQ_U(tui_listview_key(v, TUI_KEY_ESC, &seq), TUI_LV_CLOSE);
	CHECK_EQ_U(tui_listview_key(v, 'x', &seq), 0);
	tui_listview_free(v);
	free(k1);
	free(k2);
	free(jump);
	free(all.id);
	free(all.q);
}

static void check_violations(struct tdb *t)
{
	struct tui_listview *v;
	uint64_t nv, na, *jump;
	int64_t *k1, *k2, *u1, *u2;
	size_t n, m;

	harness_case = "violations";
	CHECK(tdb_violations_count(t, &nv, &na) == 0);
	k1 = calloc(nv + na + 16, sizeof(*k1));
	k2 = calloc(nv + na + 16, sizeof(*k2));
	u1 = calloc(nv + na + 16, sizeof(*u1));
	u2 = calloc(nv + na + 16, sizeof(*u2));
	jump = calloc(nv + na + 16, sizeof(*jump));
	CHECK(tui_listview_open(&v, t, TUI_VIEW_VIOLATIONS) == 0);
	n = walk(v, k1, k2, jump, nv + na + 16, false);
	CHECK_EQ_U(n, nv + na);
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_U(jump[i], (uint64_t)k1[i] + 1); /* Enter: the row's event */
		if (i > 0)
			CHECK(k1[i] > k1[i - 1] || (k1[i] == k1[i - 1] && k2[i] == k2[i - 1] + 1));
	}
	m = walk(v, u1, u2, jump, nv + na + 16, true);
	CHECK_EQ_U(m, n);
	for (size_t i = 0; i < m && i < n; i++)
		if (u1[i] != k1[n - 1 - i] || u2[i] != k2[n - 1 - i]) {
			CHECK(!"up from G is down from g turned round");
			break;
		}
	tui_listview_free(v);
	free(k1);
	free(k2);
	free(u1);
	free(u2);
	free(jump);
}

/* The event at seq. */
static bool event_at(struct tdb *t, uint64_t seq, struct tdb_event *row, struct tdb_cursor **c)
{
	struct tdb_filter f;

	tdb_filter_init(&f);
	f.has_from = f.has_to = true;
	f.from = f.to = seq;
	if (tdb_cursor_open(t, &f, TDB_FORWARD, c))
		return false;
	return tdb_cursor_next(*c, row) == 0 && row->ev.seq == seq;
}

static void check_devices(struct tdb *t)
{
	struct tui_listview *v;
	struct tdb_device *dev;
	size_t nd, n;
	int64_t k1[300], k2[300];
	uint64_t jump[300];

	harness_case = "devices";
	CHECK(tdb_devices_read(t, TDB_BY_BASE, NULL, &dev, &nd) == 0);
	CHECK(tui_listview_open(&v, t, TUI_VIEW_DEVICES) == 0);
	n = walk(v, k1, k2, jump, 300, false);
	CHECK_EQ_U(n, nd);
	for (size_t i = 0; i < n && i < nd; i++) {
		struct tdb_cursor *c = NULL;
		struct tdb_event row;
		CHECK_EQ_U(k2[i], dev[i].id); /* base order */
		CHECK(jump[i] != 0);
		if (!jump[i])
			continue;
		/* Enter: a Status write with DRIVER_OK of this device, or its
		 * first event when it never got there */
		CHECK(event_at(t, jump[i] - 1, &row, &c));
		CHECK_EQ_U(row.device, dev[i].id);
		if (dev[i].status_reached & 4) {
			CHECK(row.reg && !strcmp(row.reg, "Status"));
			CHECK(row.ev.dir == VMT_DIR_WRITE && (row.ev.value & 4));
			/* and no such write before it */
			struct tdb_filter f;
			struct tdb_cursor *c2;
			tdb_filter_init(&f);
			f.device = dev[i].id;
			f.has_to = true;
			f.to = jump[i] - 1;
			CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c2) == 0);
			while (tdb_cursor_next(c2, &row) == 0 && row.ev.seq + 1 < jump[i])
				CHECK(!(row.reg && !strcmp(row.reg, "Status") && row.ev.dir == VMT_DIR_WRITE && (row.ev.value & 4)));
			tdb_cursor_close(c2);
		} else {
			CHECK_EQ_U(jump[i] - 1, dev[i].first_seq);
		}
		tdb_cursor_close(c);
	}
	free(dev);
	tui_listview_free(v);
}

static void check_queues(struct tdb *t)
{
	struct tui_listview *v;
	struct tdb_queue *q;
	size_t nq, n;
	int64_t *k1, *k2;
	uint64_t *jump;

	harness_case = "queues";
	CHECK(tdb_queues_read(t, -1, TDB_QUEUES_ALL, 0, NULL, &q, &nq) == 0);
	k1 = calloc(nq + 16, sizeof(*k1));
	k2 = calloc(nq + 16, sizeof(*k2));
	jump = calloc(nq + 16, sizeof(*jump));
	CHECK(tui_listview_open(&v, t, TUI_VIEW_QUEUES) == 0);
	n = walk(v, k1, k2, jump, nq + 16, false);
	CHECK_EQ_U(n, nq);
	for (size_t i = 0; i < n; i++) {
		/* Enter: the set-up's first access, a register write of its device */
		struct tdb_cursor *c = NULL;
		struct tdb_event row;
		bool found = false;
		CHECK(jump[i] != 0);
		for (size_t j = 0; j < nq; j++)
			if (q[j].seq_setup + 1 == jump[i])
				found = true;
		CHECK(found);
		CHECK(event_at(t, jump[i] - 1, &row, &c));
		CHECK(row.ev.type == VMT_EV_MMIO && row.ev.dir == VMT_DIR_WRITE);
		tdb_cursor_close(c);
	}
	free(q);
	free(k1);
	free(k2);
	free(jump);
	tui_listview_free(v);
}

static void check_timeline(struct tdb *t)
{
	static const int widths[] = { 1, 2, 7, 100, 1000 };
	struct tui_timeline *tl;
	uint64_t lo, hi, nv, na;

	harness_case = "timeline";
	CHECK(tdb_events_bounds(t, &lo, &hi) == 0);
	CHECK(tdb_violations_count(t, &nv, &na) == 0);
	CHECK(tui_timeline_open(&tl, t) == 0);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		struct tui_grid g = { 0 };
		CHECK(tui_grid_resize(&g, 1, widths[i]) == 0);
		/* the cursor at each end: '^' at the strip's first and last
		 * cell (or after buckets too short to hold an event, blank) */
		int c0 = -1, c1 = -1;
		CHECK(tui_timeline_draw(tl, &g, 0, lo, false) == 0);
		for (int c = 0; c < widths[i] && c0 < 0; c++)
			if (g.cells[c].ch[0] != ' ')
				c0 = c;
		CHECK(c0 >= 0 && g.cells[c0].ch[0] == '^');
		CHECK(tui_timeline_draw(tl, &g, 0, hi, false) == 0);
		for (int c = widths[i] - 1; c >= 0 && c1 < 0; c--)
			if (g.cells[c].ch[0] != ' ')
				c1 = c;
		CHECK(c1 >= 0 && g.cells[c1].ch[0] == '^');
		/* no cursor: a violation marker where the trace has one */
		CHECK(tui_timeline_draw(tl, &g, 0, hi + 1, false) == 0);
		bool bang = false, blank_only = true;
		for (int c = 0; c < widths[i]; c++) {
			bang |= g.cells[c].ch[0] == '!';
			blank_only &= g.cells[c].ch[0] == ' ';
		}
		CHECK(bang == (nv > 0) || widths[i] == 1);
		CHECK(!blank_only);
		/* with colour: the cursor in reverse video, the letter kept */
		CHECK(tui_timeline_draw(tl, &g, 0, lo, true) == 0);
		CHECK(c0 >= 0 && (g.cells[c0].attr & TUI_A_REVERSE));
		CHECK(c0 >= 0 && g.cells[c0].ch[0] != '^');
		tui_grid_release(&g);
	}
	tui_timeline_free(tl);
}

/* tdb_seq_at_times against a walk over every event (the samples' clocks
 * run forward): the first event at or after each time. */
static void check_seq_at_times(struct tdb *t)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	uint64_t lo, hi, *seq = NULL, got[64];
	int64_t *ts = NULL, want_ts[64];
	size_t n = 0, cap = 0, k = 0;

	harness_case = "seq_at_times";
	CHECK(tdb_events_bounds(t, &lo, &hi) == 0);
	tdb_filter_init(&f);
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	while (tdb_cursor_next(c, &row) == 0) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			seq = realloc(seq, cap * sizeof(*seq));
			ts = realloc(ts, cap * sizeof(*ts));
		}
		seq[n] = row.ev.seq;
		ts[n++] = (int64_t)row.ev.ts_ns;
	}
	tdb_cursor_close(c);
	/* times between the ends, on events' own times, before and after */
	want_ts[k++] = ts[0] - 1;
	for (size_t i = 0; i < 40; i++)
		want_ts[k++] = ts[0] + (int64_t)((uint64_t)(ts[n - 1] - ts[0]) * i / 40);
	want_ts[k++] = ts[n / 2];
	want_ts[k++] = ts[n / 2];
	want_ts[k++] = ts[n / 2] + 1;
	want_ts[k++] = ts[n - 1];
	want_ts[k++] = ts[n - 1] + 1;
	for (size_t i = 1; i < k; i++) /* ascending, as the strip asks */
		for (size_t j = i; j > 0 && want_ts[j - 1] > want_ts[j]; j--) {
			int64_t x = want_ts[j];
			want_ts[j] = want_ts[j - 1];
			want_ts[j - 1] = x;
		}
	CHECK(tdb_seq_at_times(t, lo, hi, want_ts, k, got) == 0);
	for (size_t i = 0; i < k; i++) {
		size_t j = 0;
		while (j < n && ts[j] < want_ts[i])
			j++;
		CHECK_EQ_U(got[i], j < n ? seq[j] : hi + 1);
	}
	free(seq);
	free(ts);
}

static int check(const char *trace)
{
	struct tdb *t;
	char err[512];

	if (tdb_open(&t, trace, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	check_requests(t);
	check_violations(t);
	check_devices(t);
	check_queues(t);
	check_timeline(t);
	check_seq_at_times(t);
	harness_case = "open";
	struct tui_listview *v = NULL;
	CHECK(tui_listview_open(&v, t, TUI_VIEW_EVENTS) == -EINVAL && v == NULL);
	CHECK(tui_listview_open(&v, t, TUI_VIEW_N) == -EINVAL);
	tui_listview_free(NULL);
	tui_timeline_free(NULL);
	tdb_close(t);
	return harness_finish("test_views");
}

/* ---- hostile: nothing crashes ---- */

static int hostile(int argc, char **argv)
{
	static const char keys[] = "jjjjDDDUUGkkkgEsjjEsEsfffffffffffffffffffffjEGk";
	for (int i = 0; i < argc; i++) {
		struct tdb *t;
		struct tui_grid g = { 0 };
		char err[512];
		uint64_t seq;
		if (tdb_open(&t, argv[i], err, sizeof(err)) != 0) {
			printf("%s: refused: %s\n", argv[i], err);
			continue;
		}
		tui_grid_resize(&g, 30, COLS);
		for (int id = TUI_VIEW_DEVICES; id < TUI_VIEW_N; id++) {
			struct tui_listview *v;
			int r = tui_listview_open(&v, t, (enum tui_view_id)id);
			printf("%s: view %d opens: %d\n", argv[i], id, r);
			if (r)
				continue;
			for (const char *k = keys; *k; k++) {
				tui_listview_key(v, key_of(*k), &seq);
				if ((r = tui_listview_draw(v, &g, 1, 28, k - keys < 5)) != 0)
					printf("  draw: %d %s\n", r, tdb_errmsg(t));
			}
			/* tiny screens: clipped, not overrun (ASan would say) */
			for (int w = 1; w <= 21; w += 4)
				for (int h = 1; h <= 3; h++) {
					struct tui_grid s = { 0 };
					tui_grid_resize(&s, h, w);
					tui_listview_draw(v, &s, 0, h, true);
					tui_listview_draw(v, &s, h - 1, 5, false);
					tui_grid_release(&s);
				}
			tui_listview_free(v);
		}
		struct tui_timeline *tl;
		int r = tui_timeline_open(&tl, t);
		printf("%s: timeline opens: %d\n", argv[i], r);
		if (r == 0) {
			for (int w = 1; w <= 1000; w = w * 3 + 1) {
				struct tui_grid s = { 0 };
				tui_grid_resize(&s, 1, w);
				if ((r = tui_timeline_draw(tl, &s, 0, 5, w & 1)) != 0)
					printf("  timeline draw %d: %d %s\n", w, r, tdb_errmsg(t));
				tui_grid_release(&s);
			}
			tui_timeline_free(tl);
		}
		tui_grid_release(&g);
		tdb_close(t);
	}
	return 0;
}

/* ---- bench: what each view costs on a big trace (printed, not held) ---- */

#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int bench(const char *trace)
{
	static const char *const names[] = { "", "devices", "requests", "violations", "queues" };
	static const char *const keys[] = { "first screen", "G", "g", "D", "s", "s", "s", "f", "f", "G" };
	struct tdb *t;
	struct tui_grid g = { 0 };
	char err[512];
	uint64_t seq;
	double t0;

	if (tdb_open(&t, trace, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	tui_grid_resize(&g, 30, COLS);
	for (int id = TUI_VIEW_DEVICES; id < TUI_VIEW_N; id++) {
		struct tui_listview *v;
		t0 = now_ms();
		if (tui_listview_open(&v, t, (enum tui_view_id)id) || tui_listview_draw(v, &g, 1, 28, false)) {
			fprintf(stderr, "%s: %s\n", names[id], tdb_errmsg(t));
			continue;
		}
		printf("%-10s %-12s %8.1f ms\n", names[id], keys[0], now_ms() - t0);
		for (size_t k = 1; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (id != TUI_VIEW_REQUESTS && (keys[k][0] == 's' || keys[k][0] == 'f'))
				continue;
			t0 = now_ms();
			tui_listview_key(v, key_of(keys[k][0]), &seq);
			tui_listview_draw(v, &g, 1, 28, false);
			printf("%-10s %-12s %8.1f ms   %s\n", names[id], keys[k], now_ms() - t0, tui_listview_keys(v));
		}
		tui_listview_free(v);
	}
	struct tui_timeline *tl;
	t0 = now_ms();
	if (tui_timeline_open(&tl, t) == 0) {
		tui_timeline_draw(tl, &g, 0, 5000000, false);
		printf("%-10s %-12s %8.1f ms\n", "timeline", "100 columns", now_ms() - t0);
		tui_grid_resize(&g, 30, 1000);
		t0 = now_ms();
		tui_timeline_draw(tl, &g, 0, 5000000, false);
		printf("%-10s %-12s %8.1f ms\n", "timeline", "1000 columns", now_ms() - t0);
		tui_timeline_free(tl);
	}
	tui_grid_release(&g);
	tdb_close(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "bench"))
		return bench(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "screen"))
		return screen(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return check(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "hostile"))
		return hostile(argc - 2, argv + 2);
	fprintf(stderr, "usage: test_views screen TRACE VIEW KEYS EXPECTED | check TRACE | hostile FILE...\n");
	return 2;
}
