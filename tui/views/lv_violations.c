/* The violations and anomalies view: one row per broken rule (and per
 * finding in best-effort memory), in seq order, read a few seqs at a time
 * on the violations' seq index (tdb_finding_seqs).  A row's key is its
 * seq and its place among the rows at that seq: the violations there in
 * rowid order, then the anomalies.  f shows all, the violations only or
 * the anomalies only: a QEMU trace's few broken rules are otherwise lost
 * among hundreds of torn copies. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_open.h"
#include "tui/tui_grid.h"
#include "tui/views/lv_priv.h"

/* Rows kept at one seq (a hostile file may put a million there); seqs
 * asked for at once. */
#define LV_SEQ_ROWS_MAX 1000
#define LV_SEQS_PAGE 32

enum { C_SEQ, C_WHAT, C_DEV, C_RULE, C_SECTION, C_MSG, C_N };
static const struct lv_col cols[C_N] = {
	[C_SEQ] = { "seq", 20, true },       [C_WHAT] = { "what", 10, false },   [C_DEV] = { "device", 40, false },
	[C_RULE] = { "rule", 40, false },    [C_SECTION] = { "spec", 24, false }, [C_MSG] = { "message", 0, false },
};

enum shown { SHOW_ALL, SHOW_VIOLATIONS, SHOW_ANOMALIES, SHOW_N };

struct violations {
	enum shown shown;
	bool counted;
	int count_rc;
	uint64_t n_viol, n_anom;
};

struct at {
	struct tui_listview *v;
	struct lv_rows *rows;
	uint64_t seq;
	size_t idx;
	int r;
};

static void device_text(struct tdb *t, int device, int64_t queue, char *buf, size_t len)
{
	const struct tdb_device *d = device >= 0 ? tdb_device_by_id(t, device) : NULL;
	char name[TDB_NAME_MAX * 6];

	if (!d)
		snprintf(buf, len, "-");
	else if (queue >= 0)
		snprintf(buf, len, "%s q%lld", lv_esc(d->name, name, sizeof(name)), (long long)queue);
	else
		snprintf(buf, len, "%s", lv_esc(d->name, name, sizeof(name)));
}

static int add_violation(void *arg, const struct tdb_violation *x)
{
	struct at *a = arg;
	char seq[24], what[48], dev[TDB_NAME_MAX * 6 + 24], rule[LV_CELL_MAX], sec[LV_CELL_MAX], msg[LV_CELL_MAX],
		sev[24];

	snprintf(seq, sizeof(seq), "%" PRIu64, x->seq);
	snprintf(what, sizeof(what), "! %s", lv_esc(x->severity_text[0] ? x->severity_text : "?", sev, sizeof(sev)));
	device_text(a->v->t, x->device, -1, dev, sizeof(dev));
	const char *cells[C_N] = { seq, what, dev, lv_esc(x->rule, rule, sizeof(rule)), lv_esc(x->section, sec, sizeof(sec)),
				   lv_esc(x->message, msg, sizeof(msg)) };
	a->r = lv_rows_add(a->rows, (struct lv_key){ (int64_t)x->seq, (int64_t)a->idx }, true, x->seq, TUI_A_RED, cells,
			   C_N);
	return a->r || ++a->idx >= LV_SEQ_ROWS_MAX;
}

static int add_anomaly(void *arg, const struct tdb_anomaly *x)
{
	struct at *a = arg;
	char seq[24], dev[TDB_NAME_MAX * 6 + 24], rule[LV_CELL_MAX], msg[LV_CELL_MAX];

	snprintf(seq, sizeof(seq), "%" PRIu64, x->seq);
	device_text(a->v->t, x->device, x->queue, dev, sizeof(dev));
	const char *cells[C_N] = { seq, "~ anomaly", dev, lv_esc(x->rule, rule, sizeof(rule)), "-",
				   lv_esc(x->message, msg, sizeof(msg)) };
	a->r = lv_rows_add(a->rows, (struct lv_key){ (int64_t)x->seq, (int64_t)a->idx }, true, x->seq, TUI_A_YELLOW,
			   cells, C_N);
	return a->r || ++a->idx >= LV_SEQ_ROWS_MAX;
}

/* Every row at seq into rows (in key order). */
static int rows_at(struct tui_listview *v, uint64_t seq, struct lv_rows *rows)
{
	const struct violations *vs = v->priv;
	struct at a = { .v = v, .rows = rows, .seq = seq };
	int r = 0;

	if (vs->shown != SHOW_ANOMALIES)
		r = tdb_violations_at(v->t, seq, add_violation, &a);
	/* the anomalies' places follow the violations' even when those are
	 * not shown, so a row's key is the same in every filter */
	if (vs->shown == SHOW_ANOMALIES && r == 0) {
		struct lv_rows skip = { 0 };
		struct at b = { .v = v, .rows = &skip, .seq = seq };
		r = tdb_violations_at(v->t, seq, add_violation, &b);
		lv_rows_release(&skip);
		a.idx = b.idx;
		if (r == 0)
			r = b.r;
	}
	if (r == 0 && a.r == 0 && a.idx < LV_SEQ_ROWS_MAX && vs->shown != SHOW_VIOLATIONS)
		r = tdb_anomalies_at(v->t, seq, add_anomaly, &a);
	return r ? r : a.r;
}

/* Move row i of from to the end of to. */
static int take(struct lv_rows *to, struct lv_rows *from, size_t i)
{
	if (to->n == to->cap) {
		size_t cap = to->cap ? 2 * to->cap : 64;
		struct lv_row *row = realloc(to->row, cap * sizeof(*row));
		if (!row)
			return -ENOMEM;
		to->row = row;
		to->cap = cap;
	}
	to->row[to->n++] = from->row[i];
	memset(from->row[i].cell, 0, sizeof(from->row[i].cell));
	return 0;
}

/* The rows at seq whose place passes keep (all when after is NULL), in
 * the walk's direction, onto out. */
static int add_seq(struct tui_listview *v, uint64_t seq, const struct lv_key *after, enum tdb_direction dir,
		   struct lv_rows *out)
{
	struct lv_rows tmp = { 0 };
	int r = rows_at(v, seq, &tmp);

	for (size_t k = 0; k < tmp.n && r == 0; k++) {
		size_t i = dir == TDB_FORWARD ? k : tmp.n - 1 - k;
		if (after && (dir == TDB_FORWARD ? tmp.row[i].key.k2 <= after->k2 : tmp.row[i].key.k2 >= after->k2))
			continue;
		r = take(out, &tmp, i);
	}
	lv_rows_release(&tmp);
	return r;
}

static int fetch(struct tui_listview *v, const struct lv_key *after, enum tdb_direction dir, size_t max,
		 struct lv_rows *out, bool *end)
{
	uint64_t seqs[LV_SEQS_PAGE];
	uint64_t from = after ? (uint64_t)after->k1 : dir == TDB_FORWARD ? 0 : UINT64_MAX;
	bool inclusive = !after;
	int r = 0;

	*end = false;
	if (after && (r = add_seq(v, (uint64_t)after->k1, after, dir, out)) != 0)
		return r;
	while (out->n < max) {
		size_t n;
		if ((r = tdb_finding_seqs(v->t, from, inclusive, dir, seqs, LV_SEQS_PAGE, &n)) != 0)
			return r;
		inclusive = false;
		for (size_t i = 0; i < n && out->n < max; i++) {
			if ((r = add_seq(v, seqs[i], NULL, dir, out)) != 0)
				return r;
			from = seqs[i];
			if (i + 1 == n && n < LV_SEQS_PAGE)
				*end = true;
		}
		if (n == 0)
			*end = true;
		if (*end)
			break;
	}
	return 0;
}

static void summary(struct tui_listview *v, char *buf, size_t len)
{
	struct violations *vs = v->priv;

	/* counted when first drawn: the view's own cost, not the trace's open */
	if (!vs->counted) {
		vs->count_rc = tdb_violations_count(v->t, &vs->n_viol, &vs->n_anom);
		vs->counted = true;
	}
	if (vs->count_rc)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%" PRIu64 " violation%s, %" PRIu64 " anomal%s%s", vs->n_viol, vs->n_viol == 1 ? "" : "s",
			 vs->n_anom, vs->n_anom == 1 ? "y" : "ies",
			 vs->shown == SHOW_VIOLATIONS  ? ": violations shown"
			 : vs->shown == SHOW_ANOMALIES ? ": anomalies shown"
						       : "");
}

static unsigned key(struct tui_listview *v, int k)
{
	struct violations *vs = v->priv;

	if (k != 'f')
		return 0;
	vs->shown = (enum shown)((vs->shown + 1) % SHOW_N);
	return LV_KEY_RELOAD;
}

static const char *keys(struct tui_listview *v)
{
	static const char *const text[SHOW_N] = {
		"j/k move  g/G ends  f show: all  Enter: go to the event  Esc back  (! violation, ~ anomaly)",
		"j/k move  g/G ends  f show: violations  Enter: go to the event  Esc back  (! violation, ~ anomaly)",
		"j/k move  g/G ends  f show: anomalies  Enter: go to the event  Esc back  (! violation, ~ anomaly)",
	};
	const struct violations *vs = v->priv;

	return text[vs->shown];
}

static const struct lv_ops ops = {
	.cols = cols, .ncols = C_N, .empty = "(no violations or anomalies in this trace)", .fetch = fetch,
	.key = key, .summary = summary, .keys = keys, .free = free,
};

int lv_violations_open(struct tui_listview *v)
{
	if (!(v->priv = calloc(1, sizeof(struct violations))))
		return -ENOMEM;
	v->ops = &ops;
	return 0;
}
