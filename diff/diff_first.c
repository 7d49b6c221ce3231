/* The first divergence of a pair, described: each side's events up to it
 * as `vmtrace show` prints them, and each side's device state just
 * before it; see diff_first.h. */
#include "diff/diff_first.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "format/tdb/fmt_row.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_state.h"

static void copy_text(char *dst, size_t len, const char *src)
{
	if ((size_t)snprintf(dst, len, "%s", src) >= len)
		escape_trim_cut(dst);
}

/* Show's line for the event at seq (the cursor's filter names the
 * device), and where its text starts (*what). */
static int show_line(struct fmt_rows *rows, struct tdb_cursor *c, uint64_t seq, char *line, size_t len,
		     size_t *what)
{
	struct tdb_event row;
	int r;

	tdb_cursor_seek(c, seq, TDB_FORWARD);
	r = tdb_cursor_next(c, &row);
	if (r && r != TDB_E_DAMAGED_ROW)
		return r == TDB_END ? TDB_E_NOT_FOUND : r;
	fmt_rows_line(rows, &row, line, len, what);
	return 0;
}

/* Side x's context: events [lo, at] of the register stream (at == end:
 * none at the divergence itself). */
static int register_context(struct tdb *t, int device, const struct diff_events *ev, size_t lo, size_t hi,
			    size_t at, struct diff_line *out, unsigned *n, char *at_text, size_t at_len)
{
	static char line[FMT_ROW_LINE_MAX];
	struct fmt_rows *rows = NULL;
	struct tdb_cursor *c = NULL;
	struct tdb_filter f;
	int r;

	*n = 0;
	if (lo >= hi)
		return 0;
	struct fmt_rows_opts o = { .from = ev->seq[lo], .one_device = true };
	if ((r = fmt_rows_open(&rows, t, &o)))
		return r;
	tdb_filter_init(&f);
	f.device = device;
	f.types = 1u << VMT_EV_MMIO | 1u << VMT_EV_IRQ | 1u << VMT_EV_VIOLATION;
	f.page = 16;
	if ((r = tdb_cursor_open(t, &f, TDB_FORWARD, &c)))
		goto out;
	for (size_t i = lo; i < hi; i++) {
		size_t what = 0;
		if ((r = show_line(rows, c, ev->seq[i], line, sizeof(line), &what)))
			goto out;
		struct diff_line *l = &out[(*n)++];
		l->seq = ev->seq[i];
		l->at = i == at;
		copy_text(l->text, sizeof(l->text), line);
		if (l->at)
			copy_text(at_text, at_len, line + what);
	}
out:
	tdb_cursor_close(c);
	fmt_rows_free(rows);
	return r;
}

static void request_context(const struct diff_queue_stream *q, size_t lo, size_t hi, size_t at,
			    struct diff_line *out, unsigned *n, char *at_text, size_t at_len)
{
	*n = 0;
	for (size_t i = lo; q && i < hi; i++) {
		struct diff_line *l = &out[(*n)++];
		l->seq = q->req[i].seq;
		l->at = i == at;
		char req[200];
		diff_req_text(&q->req[i], q->queue, req, sizeof(req));
		/* the seq column as show's lines have it, then the request */
		snprintf(l->text, sizeof(l->text), "%8" PRIu64 "  %s", l->seq, req);
		if (l->at)
			copy_text(at_text, at_len, req);
	}
}

/* The device's state after every event up to and including seq. */
static int state_after(struct tdb *t, int device, uint64_t seq, struct diff_state *st)
{
	struct tdb_state s;
	int r = tdb_state_at(t, device, seq, &s);

	memset(st, 0, sizeof(*st));
	if (r) {
		tdb_state_clear(&s);
		return r;
	}
	st->known = true;
	st->status_known = s.status_known;
	st->status_value = s.status;
	escape_str(s.status_names, st->status, sizeof(st->status));
	if (s.negotiated_known) {
		st->features_known = true;
		st->features = s.negotiated;
	} else if (s.accepted_known[0] || s.accepted_known[1]) {
		st->features_known = true;
		st->features = (uint64_t)s.accepted[1] << 32 | s.accepted[0];
	}
	for (size_t i = 0; i < s.n_queues && st->n_queues < DIFF_STATE_QUEUES_MAX; i++) {
		const struct tdb_queue *q = &s.queues[i];
		struct diff_state_queue *d = &st->queues[st->n_queues++];
		d->queue = q->queue;
		d->size = q->size;
		d->ready = q->ready;
	}
	for (size_t i = 0; i < s.n_regs && st->n_regs < DIFF_STATE_REGS_MAX; i++) {
		struct diff_state_reg *dr = &st->regs[st->n_regs++];
		escape_str(s.regs[i].reg, dr->reg, sizeof(dr->reg));
		dr->queue = s.regs[i].queue;
		dr->value = s.regs[i].value;
	}
	tdb_state_clear(&s);
	return 0;
}

int diff_first_side(struct tdb *t, int device, const struct diff_streams *s, int queue, size_t at, bool has_at,
		    unsigned context, struct diff_line *ctx, unsigned *n_ctx, char *at_text, size_t at_len,
		    struct diff_state *st)
{
	const struct diff_queue_stream *q = NULL;
	const struct diff_events *ev = &s->regs;
	int r;

	at_text[0] = '\0';
	if (queue >= 0) {
		for (size_t i = 0; i < s->n_queues; i++)
			if (s->queues[i].queue == (uint32_t)queue)
				q = &s->queues[i];
		ev = q ? &q->ev : NULL;
	}
	size_t n = ev ? ev->n : 0;
	if (at > n)
		at = n;
	if (at >= n)
		has_at = false;
	size_t lo = at > context ? at - context : 0, hi = has_at ? at + 1 : at;
	if (queue >= 0)
		request_context(q, lo, hi, at, ctx, n_ctx, at_text, at_len);
	else if ((r = register_context(t, device, ev, lo, hi, at, ctx, n_ctx, at_text, at_len)))
		return r;
	/* Just before the divergence: after this side's event before it
	 * (for a request: the state at its notify). */
	if (!st)
		return 0;
	memset(st, 0, sizeof(*st));
	if (has_at)
		return ev->seq[at] ? state_after(t, device, ev->seq[at] - 1, st) : 0;
	return at ? state_after(t, device, ev->seq[at - 1], st) : 0;
}

int diff_event_text(struct tdb *t, int device, const struct diff_streams *s, int queue, size_t idx, char *buf,
		    size_t len)
{
	struct diff_line line;
	unsigned n;

	return diff_first_side(t, device, s, queue, idx, true, 0, &line, &n, buf, len, NULL);
}
