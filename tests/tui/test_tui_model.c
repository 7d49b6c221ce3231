/* The TUI's model against show: walking the whole trace down with j (the
 * window paging forward and dropping lines behind), up from G with k
 * (paging backward), and jumping to seqs across it, every line under the
 * cursor is the line show prints for that event (format/tdb/fmt_row.h
 * walked from the first event, as `vmtrace show` does), with the '!'/'~'
 * mark of the event's violations and anomalies.
 *
 *   test_tui_model TRACE.db */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/tdb/fmt_row.h"
#include "tests/harness.h"
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
	for (size_t i = 0; i < n; i++)
		free(want[i]);
	free(want);
	free(mark);
	free(seqs);
	printf("%zu events, the window at most %zu lines\n", n, maxwin);
	return harness_finish("test_tui_model");
}
