/* The TUI's model against show: walking the whole trace down with j (the
 * window paging forward and dropping lines behind), up from G with k
 * (paging backward), and jumping to seqs across it, every line under the
 * cursor is the line show prints for that event (format/tdb/fmt_row.h
 * walked from the first event, as `vmtrace show` does), with the '!'/'~'
 * mark of the event's violations and anomalies.
 *
 * Then with filter stacks pushed from events under the cursor (a device,
 * a queue, a type, violations only, and stacks of them): the events the
 * model walks through down, up, by jumps, by e/E and by search are the
 * ones `show --device/--type/--violations` prints, with the same lines
 * (show's filtered lines are checked equal to its unfiltered ones at the
 * same seqs; a queue, which show has no option for, against the events a
 * whole-trace tracedb cursor with that queue passes), also with a span
 * so small that a keystroke stops short and says where.
 *
 *   test_tui_model TRACE.db */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/tdb/fmt_row.h"
#include "tests/harness.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "tui/tui_model.h"

static int count(void *arg, const void *x)
{
	(void)x;
	++*(int *)arg;
	return 0;
}

static int count_v(void *arg, const struct tdb_violation *v) { return count(arg, v); }
static int count_a(void *arg, const struct tdb_anomaly *a) { return count(arg, a); }

/* show's lines (unfiltered, from the first event), their marks and seqs */
static char **g_want;
static char *g_mark;
static uint64_t *g_seqs;
static size_t g_n;

/* The index of seq among show's lines, or g_n. */
static size_t idx_of(uint64_t seq)
{
	size_t lo = 0, hi = g_n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g_seqs[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g_n && g_seqs[lo] == seq ? lo : g_n;
}

/* The seqs passing f over the whole trace (one unbounded cursor), in
 * *out.  show_like: f is what show's options can say; its lines, formatted
 * as cmd_show does, are checked to be show's unfiltered ones. */
static size_t expect(struct tdb *t, const struct tdb_filter *f0, bool show_like, uint64_t **out)
{
	struct tdb_filter f = *f0;
	struct tdb_cursor *c;
	struct tdb_event row;
	struct fmt_rows *rows = NULL;
	struct fmt_rows_opts o = { .from = 0, .one_device = f.device >= 0, .bufs = f.device < 0 };
	char line[FMT_ROW_LINE_MAX];
	size_t n = 0, cap = 0;
	int r;

	*out = NULL;
	f.with_data = true;
	if (show_like)
		CHECK(fmt_rows_open(&rows, t, &o) == 0);
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	while ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW) {
		if (!row.seq_ok)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			*out = realloc(*out, cap * sizeof(**out));
			CHECK(*out != NULL);
		}
		(*out)[n++] = row.ev.seq;
		if (rows) {
			size_t i = idx_of(row.ev.seq);
			fmt_rows_line(rows, &row, line, sizeof(line), NULL);
			if (i == g_n || strcmp(line, g_want[i])) {
				fprintf(stderr, "show with the filter: '%s', without: '%s'\n", line, i < g_n ? g_want[i] : "(none)");
				CHECK(0);
			}
		}
	}
	tdb_cursor_close(c);
	fmt_rows_free(rows);
	return n;
}

/* Whether the cursor's line is show's line for seq. */
static bool at_line(struct tui_model *m, uint64_t seq, const char *how)
{
	const struct tui_line *l = tui_model_cur(m);
	size_t i = idx_of(seq);

	if (l && i < g_n && l->seq == seq && !strcmp(l->text, g_want[i]) && l->mark == g_mark[i])
		return true;
	fprintf(stderr, "%s: got '%s' mark '%c', want '%s' mark '%c'\n", how, l ? l->text : "(none)", l ? l->mark : '?',
		i < g_n ? g_want[i] : "(none)", i < g_n ? g_mark[i] : '?');
	return false;
}

/* One j (or k): moves until the cursor's seq changes, at most tries
 * calls; a call that does not move it must say where it stopped. */
static void step(struct tui_model *m, long d, int tries)
{
	const struct tui_line *l = tui_model_cur(m);
	uint64_t was = l ? l->seq : 0;

	for (int i = 0; i < tries; i++) {
		CHECK(tui_model_move(m, d) == 0);
		CHECK(tui_model_frame(m, 20) == 0);
		l = tui_model_cur(m);
		if (!l || l->seq != was)
			return;
		if (m->stopped == UINT64_MAX)
			return; /* at an end */
	}
}

/* g and G, again while they stop short (a small span): the same call
 * goes on from where it stopped. */
static void go_end(struct tui_model *m, bool last)
{
	for (int tries = 0; tries < 100000; tries++) {
		CHECK((last ? tui_model_last(m) : tui_model_first(m)) == 0);
		if (m->stopped == UINT64_MAX)
			break;
	}
	CHECK(m->stopped == UINT64_MAX);
	CHECK(tui_model_frame(m, 20) == 0);
}

/* Push kinds[0..k) at the event at seq, then check the walks against the
 * events passing the stack (E). */
static void check_stack(struct tdb *t, struct tui_model *m, const char *name, uint64_t at,
			const enum tui_filter_kind *kinds, size_t k, uint64_t span)
{
	uint64_t *e = NULL;
	size_t ne, bad = 0;
	bool empty = false, show_like = true;
	struct tdb_filter f;
	char desc[TUI_FILTER_DESC_MAX];
	int r = 0;

	harness_case = name;
	fprintf(stderr, "(%s)\n", name);
	m->span_limit = span;
	CHECK(tui_model_goto(m, at) == 0);
	CHECK(tui_model_frame(m, 20) == 0);
	CHECK(tui_model_cur(m) && tui_model_cur(m)->seq == at);
	size_t pushed = 0;
	for (; pushed < k && r == 0 && !empty; pushed++) {
		r = tui_model_filter_push(m, kinds[pushed], &empty);
		CHECK(tui_model_frame(m, 20) == 0);
	}
	if (r == -EAGAIN) {
		/* a small span: no event passing the last filter near the
		 * cursor; not pushed, the cursor where it was */
		printf("%s: not pushed, the look stopped at seq %llu\n", name, (unsigned long long)m->stopped);
		CHECK(span != 0 && m->stopped != UINT64_MAX);
		CHECK_EQ_U(tui_model_filter_depth(m), pushed - 1);
		CHECK(tui_model_cur(m) && tui_model_cur(m)->seq == at);
		r = 0;
		goto pop;
	}
	CHECK(r == 0);
	if (r)
		goto pop;
	/* what passes, from the filters the model composed */
	tdb_filter_init(&f);
	for (size_t i = 0; i < m->n_filters; i++) {
		const struct tui_filter *x = &m->filters[i];
		if (x->kind == TUI_FILTER_DEVICE || x->kind == TUI_FILTER_QUEUE)
			f.device = x->device;
		if (x->kind == TUI_FILTER_QUEUE) {
			f.queue = x->queue;
			show_like = false;
		}
		if (x->kind == TUI_FILTER_TYPE)
			f.types = 1u << x->type;
		if (x->kind == TUI_FILTER_VIOLATIONS)
			f.violations_only = true;
	}
	if (empty) {
		/* nothing passes the whole stack: the last one was not pushed */
		CHECK_EQ_U(tui_model_filter_depth(m), k - 1);
		CHECK(kinds[k - 1] == TUI_FILTER_VIOLATIONS);
		if (kinds[k - 1] == TUI_FILTER_VIOLATIONS)
			f.violations_only = true;
		CHECK(expect(t, &f, false, &e) == 0);
		CHECK(tui_model_cur(m) && tui_model_cur(m)->seq == at);
		goto pop;
	}
	CHECK_EQ_U(tui_model_filter_depth(m), k);
	tui_model_filter_describe(m, desc, sizeof(desc));
	printf("%s: filter '%s'", name, desc);
	CHECK(desc[0] != '\0' && (k == 1) == (strstr(desc, " > ") == NULL));
	ne = expect(t, &f, show_like, &e);
	printf(", %zu events pass\n", ne);
	CHECK(ne > 0);
	if (!ne)
		goto pop;
	/* the cursor: the first passing event at or after at, or the last */
	{
		size_t j = 0;
		while (j < ne && e[j] < at)
			j++;
		CHECK(at_line(m, e[j < ne ? j : ne - 1], "push"));
	}
	/* down with j from g, up with k from G */
	go_end(m, false);
	for (size_t i = 0; i < ne; i++) {
		if (!at_line(m, e[i], "down") && bad++ > 3)
			break;
		step(m, 1, 100000);
	}
	CHECK(at_line(m, e[ne - 1], "down, at the end"));
	go_end(m, true);
	for (size_t i = ne; i-- > 0;) {
		if (!at_line(m, e[i], "up") && bad++ > 3)
			break;
		step(m, -1, 100000);
	}
	CHECK(at_line(m, e[0], "up, at the start"));
	CHECK(bad == 0);
	/* jumps to any seq: the first passing at or after it, or the last
	 * (with the span a sample never spends; a small one below) */
	m->span_limit = 0;
	for (size_t i = 0; i < g_n; i += g_n / 29 + 1) {
		size_t j = 0;
		while (j < ne && e[j] < g_seqs[i])
			j++;
		CHECK(tui_model_goto(m, g_seqs[i]) == 0);
		CHECK(m->stopped == UINT64_MAX);
		CHECK(tui_model_frame(m, 20) == 0);
		CHECK(at_line(m, e[j < ne ? j : ne - 1], "jump"));
	}
	m->span_limit = span;
	/* e from the first: every marked passing event in turn */
	{
		bool found = true;
		size_t marked = 0, hits = 0;
		for (size_t i = 0; i < ne; i++)
			marked += g_mark[idx_of(e[i])] != ' ';
		go_end(m, false);
		if (g_mark[idx_of(e[0])] != ' ')
			hits++;
		for (int tries = 0; tries < 1000000 && (found || m->stopped != UINT64_MAX); tries++) {
			CHECK(tui_model_marked(m, true, &found) == 0);
			if (found) {
				const struct tui_line *l = tui_model_cur(m);
				CHECK(l && l->mark != ' ');
				hits++;
			}
		}
		CHECK_EQ_U(hits, marked);
	}
	/* search: the last passing event's line from the first, the first's
	 * from the last */
	{
		bool found = false;
		uint64_t stopped = UINT64_MAX;
		go_end(m, false);
		const char *pat = g_want[idx_of(e[ne - 1])];
		for (int tries = 0; tries < 1000000; tries++) {
			CHECK(tui_model_search(m, tries ? NULL : pat, true, &found, &stopped) == 0);
			if (found || stopped == UINT64_MAX)
				break;
		}
		CHECK(ne == 1 || found);
		CHECK(at_line(m, e[ne - 1], "search forward"));
		go_end(m, true);
		pat = g_want[idx_of(e[0])];
		for (int tries = 0; tries < 1000000; tries++) {
			CHECK(tui_model_search(m, tries ? NULL : pat, false, &found, &stopped) == 0);
			if (found || stopped == UINT64_MAX)
				break;
		}
		CHECK(ne == 1 || found);
		CHECK(at_line(m, e[0], "search backward"));
	}
	/* pop: the cursor stays on its event */
	CHECK(tui_model_goto(m, e[ne / 2]) == 0);
pop:
	while (tui_model_filter_depth(m) > 0) {
		const struct tui_line *l = tui_model_cur(m);
		uint64_t seq = l ? l->seq : 0;
		CHECK(tui_model_filter_pop(m) == 0);
		CHECK(tui_model_frame(m, 20) == 0);
		CHECK(at_line(m, seq, "pop"));
	}
	CHECK(tui_model_filter_pop(m) == 0); /* empty: a no-op */
	m->span_limit = 0;
	free(e);
}

/* The first event (of show's lines) that pred takes. */
static bool find_event(struct tdb *t, bool (*pred)(const struct tdb_event *row, int arg), int arg, uint64_t *seq)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	bool found = false;

	tdb_filter_init(&f);
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	while (tdb_cursor_next(c, &row) == 0)
		if (pred(&row, arg)) {
			found = true;
			*seq = row.ev.seq;
			break;
		}
	tdb_cursor_close(c);
	return found;
}

static bool is_device_mmio(const struct tdb_event *row, int dev)
{
	return row->ev.type == VMT_EV_MMIO && row->device == dev;
}

static bool is_type(const struct tdb_event *row, int type)
{
	return row->ev.type == type;
}

static bool is_notify(const struct tdb_event *row, int dev)
{
	(void)dev;
	return row->ev.type == VMT_EV_MMIO && row->reg && !strcmp(row->reg, "QueueNotify");
}

static bool is_status(const struct tdb_event *row, int dev)
{
	(void)dev;
	return row->ev.type == VMT_EV_MMIO && row->reg && !strcmp(row->reg, "Status");
}

static void check_filters(const char *path, char **want, char *mark, uint64_t *seqs, size_t n)
{
	static const enum tui_filter_kind dev[] = { TUI_FILTER_DEVICE }, dev_mmio[] = { TUI_FILTER_DEVICE, TUI_FILTER_TYPE },
					  type[] = { TUI_FILTER_TYPE }, viol[] = { TUI_FILTER_VIOLATIONS },
					  queue[] = { TUI_FILTER_QUEUE }, queue_type[] = { TUI_FILTER_QUEUE, TUI_FILTER_TYPE },
					  dev_viol[] = { TUI_FILTER_DEVICE, TUI_FILTER_VIOLATIONS },
					  type_viol[] = { TUI_FILTER_TYPE, TUI_FILTER_VIOLATIONS };
	struct tdb *t;
	struct tui_model *m;
	char err[512];
	uint64_t at;
	bool empty;

	g_want = want;
	g_mark = mark;
	g_seqs = seqs;
	g_n = n;
	if (!n)
		return;
	CHECK(tdb_open(&t, path, err, sizeof(err)) == 0);
	CHECK(tui_model_open(&m, path, err, sizeof(err)) == 0);
	m->win_limit = 3 * TUI_PAGE;
	CHECK(tui_model_frame(m, 20) == 0);
	bool big = n > 5000;
	/* each device, and each device's register accesses */
	for (int d = 0; d < 8; d++) {
		if (!find_event(t, is_device_mmio, d, &at))
			continue;
		check_stack(t, m, "device", at, dev, 1, 0);
		if (d == 0 && !big) {
			check_stack(t, m, "device > mmio", at, dev_mmio, 2, 0);
			check_stack(t, m, "device > mmio, small span", at, dev_mmio, 2, 64);
			check_stack(t, m, "device > violations", at, dev_viol, 2, 0);
		}
	}
	/* (a big trace: the rare types only, no small spans; every passing
	 * line is formatted from its device's state read anew) */
	for (int ty = 1; ty <= VMT_EV_TYPE_MAX; ty++)
		if (find_event(t, is_type, ty, &at) && (!big || ty != VMT_EV_MEM)) {
			check_stack(t, m, "type", at, type, 1, 0);
			if (big)
				continue;
			check_stack(t, m, "type, small span", at, type, 1, 50);
			check_stack(t, m, "type > violations, small span", at, type_viol, 2, 100);
		}
	check_stack(t, m, "violations", seqs[n / 2], viol, 1, 0);
	if (!big)
		check_stack(t, m, "violations, small span", seqs[n / 2], viol, 1, 64);
	if (find_event(t, is_notify, 0, &at)) {
		check_stack(t, m, "queue", at, queue, 1, 0);
		if (!big)
			check_stack(t, m, "queue, small span", at, queue, 1, 100);
		check_stack(t, m, "queue > mmio", at, queue_type, 2, 0);
	}
	/* the edges: no queue, a full stack */
	harness_case = "filter edges";
	if (find_event(t, is_status, 0, &at)) {
		CHECK(tui_model_goto(m, at) == 0);
		CHECK(tui_model_filter_push(m, TUI_FILTER_QUEUE, &empty) == -EINVAL);
		CHECK(tui_model_filter_depth(m) == 0);
		for (int i = 0; i < TUI_FILTER_MAX; i++)
			CHECK(tui_model_filter_push(m, TUI_FILTER_DEVICE, &empty) == 0 && !empty);
		CHECK(tui_model_filter_push(m, TUI_FILTER_TYPE, &empty) == -ENOSPC);
		CHECK(tui_model_cur(m) && tui_model_cur(m)->seq == at);
		while (tui_model_filter_depth(m))
			CHECK(tui_model_filter_pop(m) == 0);
	}
	tui_model_close(m);
	tdb_close(t);
}

int main(int argc, char **argv)
{
	struct tdb *t;
	struct tdb_cursor *c;
	struct tdb_filter f;
	struct tdb_event row;
	struct fmt_rows *rows;
	struct fmt_rows_opts o = { .from = 0, .bufs = true };
	struct tui_model *m;
	char err[512], line[FMT_ROW_LINE_MAX];
	char **want = NULL;
	char *mark = NULL;
	uint64_t *seqs = NULL;
	size_t n = 0, cap = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: test_tui_model TRACE.db\n");
		return 2;
	}
	/* show's lines, from the first event on */
	CHECK(tdb_open(&t, argv[1], err, sizeof(err)) == 0);
	CHECK(fmt_rows_open(&rows, t, &o) == 0);
	tdb_filter_init(&f);
	f.with_data = true;
	CHECK(tdb_cursor_open(t, &f, TDB_FORWARD, &c) == 0);
	while (tdb_cursor_next(c, &row) == 0) {
		int nv = 0, na = 0;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			want = realloc(want, cap * sizeof(*want));
			mark = realloc(mark, cap);
			seqs = realloc(seqs, cap * sizeof(*seqs));
			CHECK(want && mark && seqs);
		}
		want[n] = strdup(fmt_rows_line(rows, &row, line, sizeof(line), NULL));
		seqs[n] = row.ev.seq;
		CHECK(tdb_violations_at(t, row.ev.seq, count_v, &nv) == 0);
		CHECK(tdb_anomalies_at(t, row.ev.seq, count_a, &na) == 0);
		mark[n] = nv ? '!' : na ? '~' : ' ';
		n++;
	}
	tdb_cursor_close(c);
	fmt_rows_free(rows);
	tdb_close(t);
	harness_case = "model";

	CHECK(tui_model_open(&m, argv[1], err, sizeof(err)) == 0);
	/* a small window, so that a sample pages and drops lines both ways */
	m->win_limit = 3 * TUI_PAGE;
	CHECK(tui_model_frame(m, 20) == 0);
	/* down with j through every event */
	size_t bad = 0, maxwin = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tui_line *l = tui_model_cur(m);
		if (!l || l->seq != seqs[i] || strcmp(l->text, want[i]) || l->mark != mark[i]) {
			if (bad++ < 3)
				fprintf(stderr, "down: event %zu: got '%s' mark '%c', want '%s' mark '%c'\n", i,
					l ? l->text : "(none)", l ? l->mark : '?', want[i], mark[i]);
		}
		if (m->n > maxwin)
			maxwin = m->n;
		CHECK(tui_model_move(m, 1) == 0);
		CHECK(tui_model_frame(m, 20) == 0);
	}
	CHECK(bad == 0);
	CHECK(maxwin <= 3 * TUI_PAGE + TUI_PAGE);
	/* up with k from G */
	CHECK(tui_model_last(m) == 0);
	for (size_t i = n; i-- > 0;) {
		const struct tui_line *l = tui_model_cur(m);
		if (!l || l->seq != seqs[i] || strcmp(l->text, want[i]) || l->mark != mark[i]) {
			if (bad++ < 3)
				fprintf(stderr, "up: event %zu: got '%s', want '%s'\n", i, l ? l->text : "(none)", want[i]);
		}
		CHECK(tui_model_move(m, -1) == 0);
		CHECK(tui_model_frame(m, 20) == 0);
	}
	CHECK(bad == 0);
	/* jumps: each line named from the full state at its seq */
	for (size_t i = 0; i < n; i += n / 37 + 1) {
		CHECK(tui_model_goto(m, seqs[i]) == 0);
		CHECK(tui_model_frame(m, 20) == 0);
		const struct tui_line *l = tui_model_cur(m);
		if (!l || l->seq != seqs[i] || strcmp(l->text, want[i])) {
			if (bad++ < 3)
				fprintf(stderr, "jump: event %zu: got '%s', want '%s'\n", i, l ? l->text : "(none)", want[i]);
		}
		/* and one up from there: the page before, read backward */
		if (i > 0) {
			CHECK(tui_model_move(m, -1) == 0);
			l = tui_model_cur(m);
			if (!l || strcmp(l->text, want[i - 1])) {
				if (bad++ < 3)
					fprintf(stderr, "jump-up: event %zu: got '%s', want '%s'\n", i - 1, l ? l->text : "(none)",
						want[i - 1]);
			}
		}
	}
	CHECK(bad == 0);
	tui_model_close(m);
	harness_case = "filters";
	check_filters(argv[1], want, mark, seqs, n);
	for (size_t i = 0; i < n; i++)
		free(want[i]);
	free(want);
	free(mark);
	free(seqs);
	printf("%zu events, the window at most %zu lines\n", n, maxwin);
	return harness_finish("test_tui_model");
}
