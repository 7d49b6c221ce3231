/* Side-by-side summaries of a pair of devices; see diff_sum.h. */
#include "diff/diff_sum.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"

static int queue_sizes(struct tdb *t, int device, struct diff_pair *p, bool side_b, char *err, size_t errlen)
{
	struct tdb_queue *q;
	size_t n;

	if (tdb_queues_read(t, device, TDB_QUEUES_LATEST, 0, NULL, &q, &n)) {
		snprintf(err, errlen, "%s", tdb_errmsg(t));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct diff_qsize *s = NULL;
		for (size_t k = 0; k < p->n_qsizes && !s; k++)
			if (p->qsizes[k].queue == q[i].queue)
				s = &p->qsizes[k];
		if (!s) {
			struct diff_qsize *v = realloc(p->qsizes, (p->n_qsizes + 1) * sizeof(*v));
			if (!v) {
				free(q);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			p->qsizes = v;
			s = &p->qsizes[p->n_qsizes++];
			memset(s, 0, sizeof(*s));
			s->queue = q[i].queue;
		}
		if (side_b) {
			s->has_b = true;
			s->size_b = q[i].size;
		} else {
			s->has_a = true;
			s->size_a = q[i].size;
		}
	}
	free(q);
	return 0;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* Count and latency percentiles of queue's requests of kind on one side. */
static int kind_stats(const struct diff_streams *s, uint32_t queue, const char *kind, uint64_t *count, bool *has,
		      int64_t *p50, int64_t *p99)
{
	const struct diff_queue_stream *q = NULL;
	int64_t *lat;
	size_t n = 0;

	*count = 0;
	*has = false;
	for (size_t i = 0; i < s->n_queues; i++)
		if (s->queues[i].queue == queue)
			q = &s->queues[i];
	if (!q)
		return 0;
	if (!(lat = malloc((q->ev.n + 1) * sizeof(*lat))))
		return -ENOMEM;
	for (size_t i = 0; i < q->ev.n; i++) {
		if (q->req[i].setup || strcmp(q->req[i].kind, kind))
			continue;
		(*count)++;
		if (q->req[i].has_latency)
			lat[n++] = q->req[i].latency_ns;
	}
	if (n) {
		qsort(lat, n, sizeof(*lat), cmp_i64);
		*has = true;
		/* nearest rank */
		*p50 = lat[(n * 50 + 99) / 100 - 1];
		*p99 = lat[(n * 99 + 99) / 100 - 1];
	}
	free(lat);
	return 0;
}

static int add_kinds(struct diff_pair *p, const struct diff_streams *s)
{
	for (size_t i = 0; i < s->n_queues; i++) {
		const struct diff_queue_stream *q = &s->queues[i];
		for (size_t k = 0; k < q->ev.n; k++) {
			bool known = q->req[k].setup; /* set-ups are no requests */
			for (size_t j = 0; j < p->n_reqs && !known; j++)
				known = p->reqs[j].queue == q->queue && !strcmp(p->reqs[j].kind, q->req[k].kind);
			if (known)
				continue;
			struct diff_reqsum *v = realloc(p->reqs, (p->n_reqs + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			p->reqs = v;
			v = &p->reqs[p->n_reqs++];
			memset(v, 0, sizeof(*v));
			v->queue = q->queue;
			snprintf(v->kind, sizeof(v->kind), "%s", q->req[k].kind);
		}
	}
	return 0;
}

static int by_queue_kind(const void *x, const void *y)
{
	const struct diff_reqsum *a = x, *b = y;
	if (a->queue != b->queue)
		return a->queue < b->queue ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

static int requests(struct diff_pair *p, const struct diff_streams *sa, const struct diff_streams *sb)
{
	if (add_kinds(p, sa) || add_kinds(p, sb))
		return -ENOMEM;
	if (p->n_reqs)
		qsort(p->reqs, p->n_reqs, sizeof(*p->reqs), by_queue_kind);
	for (size_t i = 0; i < p->n_reqs; i++) {
		struct diff_reqsum *r = &p->reqs[i];
		if (kind_stats(sa, r->queue, r->kind, &r->count_a, &r->has_lat_a, &r->p50_a, &r->p99_a) ||
		    kind_stats(sb, r->queue, r->kind, &r->count_b, &r->has_lat_b, &r->p50_b, &r->p99_b))
			return -ENOMEM;
	}
	return 0;
}

static int rules(struct diff_pair *p, const struct diff_streams *sa, const struct diff_streams *sb)
{
	for (uint32_t id = 0; id <= DIFF_RULES_COUNTED; id++) {
		if (!sa->rule_count[id] && !sb->rule_count[id])
			continue;
		struct diff_rulesum *v = realloc(p->rules, (p->n_rules + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->rules = v;
		p->rules[p->n_rules++] = (struct diff_rulesum){ id, sa->rule_count[id], sb->rule_count[id] };
	}
	return 0;
}

int diff_summaries(struct tdb *ta, struct tdb *tb, struct diff_pair *p, const struct diff_streams *sa,
		   const struct diff_streams *sb, char *err, size_t errlen)
{
	p->features_known_a = p->a.features_known;
	p->features_a = p->a.features;
	p->features_known_b = p->b.features_known;
	p->features_b = p->b.features;
	if (queue_sizes(ta, p->a.device, p, false, err, errlen) || queue_sizes(tb, p->b.device, p, true, err, errlen))
		return -1;
	if (requests(p, sa, sb) || rules(p, sa, sb)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
