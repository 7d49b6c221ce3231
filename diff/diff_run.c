/* vmtrace diff: both traces opened, devices paired, each pair's streams
 * aligned, and the result described; see diff.h. */
#include "diff/diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff/diff_first.h"
#include "diff/diff_pairs.h"
#include "diff/diff_stream.h"
#include "diff/diff_sum.h"
#include "format/escape.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_open.h"

const char *diff_pair_result_name(enum diff_pair_result r)
{
	static const char *const names[] = { "same", "different", "only in a", "only in b", "declared" };
	return r <= DIFF_PAIR_DECLARED ? names[r] : "?";
}

const char *diff_op_name(enum diff_op op)
{
	static const char *const names[] = { "same", "changed", "removed", "inserted" };
	return op <= DIFF_INSERTED ? names[op] : "?";
}

static int side_open(const char *path, struct tdb **t, struct diff_side *side, char *err, size_t errlen)
{
	struct tdb_meta m;

	if (tdb_open(t, path, err, errlen))
		return -1;
	snprintf(side->path, sizeof(side->path), "%s", path);
	if (tdb_meta_read(*t, &m) == 0)
		escape_str(m.source, side->source, sizeof(side->source));
	if (tdb_events_count(*t, &side->events)) {
		snprintf(err, errlen, "%s", tdb_errmsg(*t));
		return -1;
	}
	return 0;
}

/* Where a run lies on one side: its events, or the event it follows;
 * with req (a request stream), the requests too. */
static struct diff_place place(const struct diff_events *ev, const struct diff_req *req, size_t idx, size_t count)
{
	struct diff_place p = { .n = count, .req_from = -1, .req_to = -1, .req_after = -1 };

	if (count) {
		p.from = ev->seq[idx];
		p.to = ev->seq[idx + count - 1];
		if (req) {
			p.req_from = req[idx].id;
			p.req_to = req[idx + count - 1].id;
		}
	} else if (idx > 0 && idx <= ev->n) {
		p.has_after = true;
		p.after = ev->seq[idx - 1];
		if (req)
			p.req_after = req[idx - 1].id;
	}
	return p;
}

/* A place's position in its trace, for finding the earliest divergence:
 * an event at 2 seq, a gap after seq at 2 seq + 1, the start at 0. */
static uint64_t position(const struct diff_place *p)
{
	return p->n ? 2 * p->from : p->has_after ? 2 * p->after + 1 : 0;
}

struct candidate {
	bool set;
	int queue;
	struct diff_run run;
	struct diff_place a, b;
};

static void consider(struct candidate *c, int queue, const struct diff_run *run, const struct diff_events *ea,
		     const struct diff_events *eb, const struct diff_req *ra, const struct diff_req *rb)
{
	struct diff_place a = place(ea, ra, run->a, run->na ? 1 : 0), b = place(eb, rb, run->b, run->nb ? 1 : 0);

	if (c->set) {
		uint64_t pa = position(&a), pc = position(&c->a);
		if (pa > pc || (pa == pc && position(&b) >= position(&c->b)))
			return;
	}
	*c = (struct candidate){ true, queue, *run, a, b };
}

static int add_segment(struct diff_pair *p, int queue, const struct diff_run *run, const struct diff_events *ea,
		       const struct diff_events *eb, const struct diff_req *ra, const struct diff_req *rb)
{
	p->segs_total++;
	p->differing_a += run->na;
	p->differing_b += run->nb;
	if (p->n_segs >= DIFF_SEGMENTS_KEPT)
		return 0;
	if (p->n_segs % 64 == 0) {
		struct diff_segment *s = realloc(p->segs, (p->n_segs + 64) * sizeof(*s));
		if (!s)
			return -ENOMEM;
		p->segs = s;
	}
	p->segs[p->n_segs++] = (struct diff_segment){ run->op, queue, place(ea, ra, run->a, run->na),
						      place(eb, rb, run->b, run->nb), run->a, run->b };
	return 0;
}

/* Align one stream of the pair (or, with first, compare it in lockstep). */
/* Requests aligned as the same request whose details differ (status,
 * data, a set-up's size: diff_req_details_differ) become changed: the
 * SAME runs are split where they do. */
static int refine(struct diff_run **runs, size_t *n, const struct diff_queue_stream *qa,
		  const struct diff_queue_stream *qb)
{
	size_t extra = 0;

	for (size_t i = 0; i < *n; i++)
		if ((*runs)[i].op == DIFF_SAME)
			for (size_t k = 0; k < (*runs)[i].na; k++)
				extra += diff_req_details_differ(&qa->req[(*runs)[i].a + k], &qb->req[(*runs)[i].b + k]) ? 2 : 0;
	if (!extra)
		return 0;
	struct diff_run *out = malloc((*n + extra) * sizeof(*out));
	size_t m = 0;
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		const struct diff_run *r = &(*runs)[i];
		if (r->op != DIFF_SAME) {
			out[m++] = *r;
			continue;
		}
		for (size_t k = 0; k < r->na; k++) {
			enum diff_op op = diff_req_details_differ(&qa->req[r->a + k], &qb->req[r->b + k]) ? DIFF_CHANGED
													 : DIFF_SAME;
			struct diff_run *last = m ? &out[m - 1] : NULL;
			if (last && last->op == op && last->a + last->na == r->a + k && last->b + last->nb == r->b + k) {
				last->na++;
				last->nb++;
			} else
				out[m++] = (struct diff_run){ op, r->a + k, 1, r->b + k, 1 };
		}
	}
	free(*runs);
	*runs = out;
	*n = m;
	return 0;
}

static int compare_stream(struct diff_result *res, struct diff_pair *p, int queue, const struct diff_events *ea,
			  const struct diff_events *eb, const struct diff_queue_stream *qa,
			  const struct diff_queue_stream *qb, bool first, struct candidate *c)
{
	struct diff_seq a = diff_events_seq(ea), b = diff_events_seq(eb);
	struct diff_run *runs;
	size_t n;
	int r;

	if ((r = diff_align(&a, &b, &runs, &n, &res->stats)))
		return r;
	if (qa && qb && (r = refine(&runs, &n, qa, qb)))
		return r;
	/* The stream's first divergence is its first run that is not the
	 * same (seqs can tie: requests of one notify share it). */
	bool seen = false;
	for (size_t i = 0; i < n; i++) {
		if (runs[i].op == DIFF_SAME)
			continue;
		if (!seen)
			consider(c, queue, &runs[i], ea, eb, qa ? qa->req : NULL, qb ? qb->req : NULL);
		seen = true;
		if (first) {
			p->segs_total++;
			break;
		}
		if ((r = add_segment(p, queue, &runs[i], ea, eb, qa ? qa->req : NULL, qb ? qb->req : NULL)))
			break;
	}
	free(runs);
	return r;
}

static const struct diff_queue_stream *queue_stream_of(const struct diff_streams *s, uint32_t queue)
{
	static const struct diff_queue_stream none;

	for (size_t i = 0; i < s->n_queues; i++)
		if (s->queues[i].queue == queue)
			return &s->queues[i];
	return &none;
}

static int describe_first(struct tdb *ta, struct tdb *tb, struct diff_pair *p, const struct diff_streams *sa,
			  const struct diff_streams *sb, const struct candidate *c, unsigned context, char *err,
			  size_t errlen)
{
	struct diff_first *f = calloc(1, sizeof(*f));
	int r;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->first = f;
	p->has_first = true;
	f->op = c->run.op;
	f->queue = c->queue;
	f->a = c->a;
	f->b = c->b;
	if ((r = diff_first_side(ta, p->a.device, sa, c->queue, c->run.a, c->run.na > 0, context, f->ctx_a,
				 &f->n_ctx_a, f->text_a, sizeof(f->text_a), &f->state_a))) {
		snprintf(err, errlen, "%s", tdb_errmsg(ta));
		return -1;
	}
	if ((r = diff_first_side(tb, p->b.device, sb, c->queue, c->run.b, c->run.nb > 0, context, f->ctx_b,
				 &f->n_ctx_b, f->text_b, sizeof(f->text_b), &f->state_b))) {
		snprintf(err, errlen, "%s", tdb_errmsg(tb));
		return -1;
	}
	return 0;
}

static int compare_pair(struct diff_result *res, struct tdb *ta, struct tdb *tb, struct diff_pair *p,
			const struct diff_opts *o, char *err, size_t errlen)
{
	struct diff_streams sa, sb;
	struct candidate c = { 0 };
	int r = -1;

	if (!p->has_a || !p->has_b) {
		p->result = p->has_a ? DIFF_PAIR_ONLY_A : DIFF_PAIR_ONLY_B;
		return 0;
	}
	memset(&sb, 0, sizeof(sb));
	if (diff_streams_load(ta, &p->a, o->expect, res->covered, &sa, err, errlen) ||
	    diff_streams_load(tb, &p->b, o->expect, res->covered, &sb, err, errlen))
		goto out;
	p->events_a = sa.regs.n;
	p->events_b = sb.regs.n;
	if ((r = compare_stream(res, p, -1, &sa.regs, &sb.regs, NULL, NULL, o->first, &c)))
		goto oom;
	/* Each queue's requests, queues in order, on either side. */
	for (uint64_t q = 0;;) {
		uint64_t next = UINT64_MAX;
		for (size_t i = 0; i < sa.n_queues; i++)
			if (sa.queues[i].queue >= q && sa.queues[i].queue < next)
				next = sa.queues[i].queue;
		for (size_t i = 0; i < sb.n_queues; i++)
			if (sb.queues[i].queue >= q && sb.queues[i].queue < next)
				next = sb.queues[i].queue;
		if (next == UINT64_MAX)
			break;
		const struct diff_queue_stream *qa = queue_stream_of(&sa, (uint32_t)next), *qb = queue_stream_of(&sb, (uint32_t)next);
		const struct diff_events *ea = &qa->ev, *eb = &qb->ev;
		p->events_a += ea->n;
		p->events_b += eb->n;
		if ((r = compare_stream(res, p, (int)next, ea, eb, qa, qb, o->first, &c)))
			goto oom;
		q = next + 1;
	}
	bool all_left_out = !p->events_a && !p->events_b && (sa.left_out || sb.left_out);
	p->result = p->segs_total ? DIFF_PAIR_DIFFERENT : all_left_out ? DIFF_PAIR_DECLARED : DIFF_PAIR_SAME;
	r = 0;
	for (size_t i = 0; i < p->n_segs && i < DIFF_SEGMENT_TEXTS; i++) {
		const struct diff_segment *g = &p->segs[i];
		struct diff_seg_text *x = &p->seg_text[i];
		if ((g->a.n && diff_event_text(ta, p->a.device, &sa, g->queue, g->ia, x->a, sizeof(x->a))) ||
		    (g->b.n && diff_event_text(tb, p->b.device, &sb, g->queue, g->ib, x->b, sizeof(x->b)))) {
			snprintf(err, errlen, "%s", tdb_errmsg(g->a.n && !x->a[0] ? ta : tb));
			r = -1;
			goto out;
		}
	}
	if (c.set && describe_first(ta, tb, p, &sa, &sb, &c, o->context, err, errlen))
		r = -1;
	else if (!o->first && diff_summaries(ta, tb, p, &sa, &sb, err, errlen))
		r = -1;
	goto out;
oom:
	snprintf(err, errlen, "out of memory comparing %s", p->a.name);
	r = -1;
out:
	diff_streams_free(&sa);
	diff_streams_free(&sb);
	return r;
}

int diff_run(const char *path_a, const char *path_b, const struct diff_opts *o, struct diff_result *res,
	     char *err, size_t errlen)
{
	struct tdb *ta = NULL, *tb = NULL;
	struct diff_dev *da = NULL, *db = NULL;
	size_t nda = 0, ndb = 0;
	struct timespec t0, t1;
	int r = -1;

	memset(res, 0, sizeof(*res));
	res->first_only = o->first;
	res->mapped = o->n_map > 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (side_open(path_a, &ta, &res->a, err, errlen) || side_open(path_b, &tb, &res->b, err, errlen))
		goto out;
	if (diff_devices_read(ta, &da, &nda, err, errlen) || diff_devices_read(tb, &db, &ndb, err, errlen))
		goto out;
	if (diff_pairs_make(da, nda, db, ndb, o, path_a, path_b, &res->pairs, &res->n_pairs, err, errlen))
		goto out;
	for (size_t i = 0; i < res->n_pairs; i++) {
		struct diff_pair *p = &res->pairs[i];
		if (compare_pair(res, ta, tb, p, o, err, errlen))
			goto out;
		bool one_side_empty = p->empty && (!p->has_a || !p->has_b);
		if (p->result != DIFF_PAIR_SAME && p->result != DIFF_PAIR_DECLARED && !one_side_empty)
			res->different++;
	}
	r = 0;
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(da);
	free(db);
	tdb_close(ta);
	tdb_close(tb);
	return r;
}

void diff_result_free(struct diff_result *res)
{
	for (size_t i = 0; i < res->n_pairs; i++) {
		struct diff_pair *p = &res->pairs[i];
		free(p->segs);
		free(p->first);
		free(p->qsizes);
		free(p->reqs);
		free(p->rules);
	}
	free(res->pairs);
	memset(res, 0, sizeof(*res));
}
