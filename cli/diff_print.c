/* The diff report, for people and for scripts; see diff_print.h and
 * docs/diff.md. */
#include "cli/diff_print.h"

#include <inttypes.h>
#include <string.h>

#include "cli/json.h"
#include "cli/report_json.h"
#include "diff/diff_stream.h"
#include "virtio/names.h"
#include "virtio/rules.h"

/* Segments printed per pair in text (JSON has every one kept). */
#define TEXT_SEGMENTS 20

const char *diff_verdict(const struct diff_result *res)
{
	return res->different ? "different" : "same";
}

static const char *dev_label(const struct diff_pair *p, bool b)
{
	if (b ? !p->has_b : !p->has_a)
		return "-";
	return b ? p->b.name : p->a.name;
}

static const char *stream_name(int queue, char *buf, size_t len)
{
	if (queue < 0)
		snprintf(buf, len, "registers");
	else
		snprintf(buf, len, "q%d requests", queue);
	return buf;
}

static void place_text(const struct diff_place *p, char *buf, size_t len)
{
	if (p->n == 1 && p->req_from >= 0)
		snprintf(buf, len, "request %" PRId64 " (seq %" PRIu64 ")", p->req_from, p->from);
	else if (p->n && p->req_from >= 0)
		snprintf(buf, len, "requests %" PRId64 "..%" PRId64 " (%" PRIu64 ", seq %" PRIu64 "..%" PRIu64 ")", p->req_from,
			 p->req_to, p->n, p->from, p->to);
	else if (p->n == 1)
		snprintf(buf, len, "%" PRIu64, p->from);
	else if (p->n)
		snprintf(buf, len, "%" PRIu64 "..%" PRIu64 " (%" PRIu64 ")", p->from, p->to, p->n);
	else if (p->has_after && p->req_after >= 0)
		snprintf(buf, len, "after request %" PRId64 " (seq %" PRIu64 ")", p->req_after, p->after);
	else if (p->has_after)
		snprintf(buf, len, "after %" PRIu64, p->after);
	else
		snprintf(buf, len, "at the start");
}

static size_t name_width(const struct diff_result *res)
{
	size_t w = 1;
	for (size_t i = 0; i < res->n_pairs; i++) {
		const struct diff_pair *p = &res->pairs[i];
		if (p->empty)
			continue;
		for (int b = 0; b < 2; b++) {
			size_t l = strlen(dev_label(p, b));
			if (l > w)
				w = l;
		}
	}
	return w;
}

static void devices_text(FILE *f, const struct diff_result *res, bool mapped)
{
	int w = (int)name_width(res);
	unsigned empty = 0, empty_diff = 0, only[2] = { 0, 0 };

	fprintf(f, "devices (%sby type and order of discovery):\n", mapped ? "paired by --map, then " : "paired ");
	for (size_t i = 0; i < res->n_pairs; i++) {
		const struct diff_pair *p = &res->pairs[i];
		if (p->empty) {
			if (p->has_a && p->has_b) {
				empty++;
				empty_diff += p->result == DIFF_PAIR_DIFFERENT;
			} else
				only[p->has_b]++;
			continue;
		}
		fprintf(f, "  A %-*s  B %-*s  ", w, dev_label(p, false), w, dev_label(p, true));
		switch (p->result) {
		case DIFF_PAIR_SAME:
			fprintf(f, "same (%" PRIu64 " events)\n", p->events_a);
			break;
		case DIFF_PAIR_DECLARED:
			fprintf(f, "not compared (declared: all)\n");
			break;
		case DIFF_PAIR_ONLY_A:
			fprintf(f, "only in A\n");
			break;
		case DIFF_PAIR_ONLY_B:
			fprintf(f, "only in B\n");
			break;
		case DIFF_PAIR_DIFFERENT:
			fprintf(f, "different\n");
			break;
		}
	}
	if (empty)
		fprintf(f, "  %u empty transport%s (DeviceID 0) on both sides: %s\n", empty, empty == 1 ? "" : "s",
			empty_diff ? "some differ (below)" : "same");
	for (int s = 0; s < 2; s++)
		if (only[s])
			fprintf(f, "  %u empty transport%s (DeviceID 0) in %s only: no device, no difference\n", only[s],
				only[s] == 1 ? "" : "s", s ? "B" : "A");
}

/* Ring addresses differ between any two boots (docs/diff.md): not
 * listed among the registers whose values differ. */
static bool ring_address(const char *reg)
{
	static const char *const names[] = { "QueueDescLow", "QueueDescHigh", "QueueDriverLow", "QueueDriverHigh",
					     "QueueDeviceLow", "QueueDeviceHigh", "QueuePFN", "Status" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(reg, names[i]))
			return true;
	return false;
}

static const struct diff_state_reg *find_reg(const struct diff_state *s, const struct diff_state_reg *r)
{
	for (unsigned i = 0; i < s->n_regs; i++)
		if (s->regs[i].queue == r->queue && !strcmp(s->regs[i].reg, r->reg))
			return &s->regs[i];
	return NULL;
}

/* The registers whose last values differ between the sides (or that one
 * side never had), at most `most` lines. */
static void regs_text(FILE *f, const struct diff_state *a, const struct diff_state *b, unsigned most)
{
	const struct diff_state *side[2] = { a, b };
	unsigned shown = 0, more = 0;

	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < side[k]->n_regs; i++) {
			const struct diff_state_reg *r = &side[k]->regs[i], *o = find_reg(side[!k], r);
			if (ring_address(r->reg) || (o && (k == 1 || o->value == r->value)))
				continue; /* the same, or listed from A's side already */
			if (shown++ >= most) {
				more++;
				continue;
			}
			char label[48], va[24] = "-", vb[24] = "-";
			if (r->queue >= 0)
				snprintf(label, sizeof(label), "%s q%" PRId64, r->reg, r->queue);
			else
				snprintf(label, sizeof(label), "%s", r->reg);
			const struct diff_state_reg *ra = k ? o : r, *rb = k ? r : o;
			if (ra)
				snprintf(va, sizeof(va), "0x%" PRIx64, ra->value);
			if (rb)
				snprintf(vb, sizeof(vb), "0x%" PRIx64, rb->value);
			fprintf(f, "    %-22s A %-18s B %s\n", label, va, vb);
		}
	if (!shown)
		fprintf(f, "    registers: the same (ring addresses aside)\n");
	else if (more)
		fprintf(f, "    ... %u more registers differ (--json lists each side's)\n", more);
}

static void state_row(FILE *f, const char *what, const char *a, const char *b)
{
	fprintf(f, "    %-10s %-48s %s\n", what, a, b);
}

static void state_text(FILE *f, const struct diff_first *d)
{
	const struct diff_state *s[2] = { &d->state_a, &d->state_b };
	char t[2][160];

	fprintf(f, "  state just before it:\n");
	state_row(f, "", "A", "B");
	for (int i = 0; i < 2; i++) {
		if (!s[i]->known || !s[i]->status_known)
			snprintf(t[i], sizeof(t[i]), "-");
		else
			snprintf(t[i], sizeof(t[i]), "0x%02" PRIx32 " %s", s[i]->status_value,
				 s[i]->status[0] ? s[i]->status : "(reset)");
	}
	state_row(f, "Status", t[0], t[1]);
	for (int i = 0; i < 2; i++) {
		if (!s[i]->features_known)
			snprintf(t[i], sizeof(t[i]), "-");
		else
			snprintf(t[i], sizeof(t[i]), "0x%016" PRIx64, s[i]->features);
	}
	state_row(f, "features", t[0], t[1]);
	unsigned nq = s[0]->n_queues > s[1]->n_queues ? s[0]->n_queues : s[1]->n_queues;
	for (unsigned q = 0; q < nq; q++) {
		char label[16];
		for (int i = 0; i < 2; i++) {
			if (q >= s[i]->n_queues)
				snprintf(t[i], sizeof(t[i]), "-");
			else
				snprintf(t[i], sizeof(t[i]), "size %" PRIu32 "%s", s[i]->queues[q].size,
					 s[i]->queues[q].ready ? ", ready" : "");
		}
		snprintf(label, sizeof(label), "q%" PRIu32, q < s[0]->n_queues ? s[0]->queues[q].queue : s[1]->queues[q].queue);
		state_row(f, label, t[0], t[1]);
	}
	if (s[0]->known || s[1]->known)
		regs_text(f, s[0], s[1], 12);
}

static void context_text(FILE *f, const char *side, const struct diff_line *l, unsigned n)
{
	fprintf(f, "  %s, up to it:\n", side);
	if (!n)
		fprintf(f, "    (nothing before it)\n");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "  %s %s\n", l[i].at ? ">" : " ", l[i].text);
}

static void first_text(FILE *f, const struct diff_pair *p)
{
	const struct diff_first *d = p->first;
	char pa[96], pb[96], sn[32];

	place_text(&d->a, pa, sizeof(pa));
	place_text(&d->b, pb, sizeof(pb));
	fprintf(f, "  first divergence (%s): %s, A %s, B %s\n", stream_name(d->queue, sn, sizeof(sn)),
		diff_op_name(d->op), pa, pb);
	fprintf(f, "    A  %s\n", d->text_a[0] ? d->text_a : "(nothing)");
	fprintf(f, "    B  %s\n", d->text_b[0] ? d->text_b : "(nothing)");
	context_text(f, "A", d->ctx_a, d->n_ctx_a);
	context_text(f, "B", d->ctx_b, d->n_ctx_b);
	state_text(f, d);
}

static void segments_text(FILE *f, const struct diff_pair *p)
{
	char pa[96], pb[96], sn[32];

	fprintf(f, "  differing segments: %" PRIu64 " (%" PRIu64 " event%s of A, %" PRIu64 " of B)\n", p->segs_total,
		p->differing_a, p->differing_a == 1 ? "" : "s", p->differing_b);
	for (size_t i = 0; i < p->n_segs && i < TEXT_SEGMENTS; i++) {
		const struct diff_segment *s = &p->segs[i];
		place_text(&s->a, pa, sizeof(pa));
		place_text(&s->b, pb, sizeof(pb));
		fprintf(f, "    %-9s %-12s A %-28s B %s\n", diff_op_name(s->op), stream_name(s->queue, sn, sizeof(sn)), pa,
			pb);
		if (i < DIFF_SEGMENT_TEXTS) {
			const struct diff_seg_text *x = &p->seg_text[i];
			if (x->a[0])
				fprintf(f, "              A  %s\n", x->a);
			if (x->b[0])
				fprintf(f, "              B  %s\n", x->b);
		}
	}
	if (p->segs_total > TEXT_SEGMENTS)
		fprintf(f, "    ... %" PRIu64 " more (--json lists them)\n", p->segs_total - TEXT_SEGMENTS);
}

static void latency(char *buf, size_t len, bool has, int64_t ns)
{
	if (!has)
		snprintf(buf, len, "-");
	else
		diff_latency_text(ns, buf, len);
}

static uint32_t pair_device_id(const struct diff_pair *p)
{
	return p->a.device_id > 0 ? (uint32_t)p->a.device_id : p->b.device_id > 0 ? (uint32_t)p->b.device_id : 0;
}

static bool qsize_same(const struct diff_qsize *x, const struct diff_qsize *y)
{
	return x->has_a == y->has_a && x->has_b == y->has_b && x->size_a == y->size_a && x->size_b == y->size_b;
}

static void summaries_text(FILE *f, const struct diff_pair *p)
{
	bool any = false;
	char names[1024];

	fprintf(f, "  negotiated:");
	if (p->features_known_a != p->features_known_b || p->features_a != p->features_b) {
		uint64_t only_a = p->features_a & ~p->features_b, only_b = p->features_b & ~p->features_a;
		fprintf(f, "\n    features   A 0x%016" PRIx64 "  B 0x%016" PRIx64, p->features_a, p->features_b);
		if (only_a)
			fprintf(f, "\n               only in A: %s", virtio_features_str(pair_device_id(p), only_a, names, sizeof(names)));
		if (only_b)
			fprintf(f, "\n               only in B: %s", virtio_features_str(pair_device_id(p), only_b, names, sizeof(names)));
		any = true;
	}
	/* Queues whose sizes differ alike are one line (a console with 64
	 * queues on one side, 2 on the other). */
	for (size_t i = 0; i < p->n_qsizes;) {
		const struct diff_qsize *q = &p->qsizes[i];
		size_t k = i + 1;
		while (k < p->n_qsizes && qsize_same(&p->qsizes[k], q) && p->qsizes[k].queue == p->qsizes[k - 1].queue + 1)
			k++;
		if (q->has_a == q->has_b && q->size_a == q->size_b) {
			i = k;
			continue;
		}
		char a[16] = "-", b[16] = "-", label[48];
		if (q->has_a)
			snprintf(a, sizeof(a), "%" PRIu32, q->size_a);
		if (q->has_b)
			snprintf(b, sizeof(b), "%" PRIu32, q->size_b);
		if (k - i > 1)
			snprintf(label, sizeof(label), "q%" PRIu32 "..q%" PRIu32 " size", q->queue, p->qsizes[k - 1].queue);
		else
			snprintf(label, sizeof(label), "q%" PRIu32 " size", q->queue);
		if (k - i > 1)
			fprintf(f, "\n    %-14s A %-8s B %-8s (%zu queues)", label, a, b, k - i);
		else
			fprintf(f, "\n    %-14s A %-8s B %s", label, a, b);
		any = true;
		i = k;
	}
	fprintf(f, "%s\n", any ? "" : " the same");
	if (p->n_reqs) {
		fprintf(f, "  requests (latency: notify to used entry):\n");
		fprintf(f, "    %-4s %-18s %8s %8s  %9s %9s  %9s %9s\n", "", "kind", "A", "B", "p50 A", "p50 B", "p99 A",
			"p99 B");
	}
	for (size_t i = 0; i < p->n_reqs; i++) {
		const struct diff_reqsum *r = &p->reqs[i];
		char q[16], l[4][32];
		snprintf(q, sizeof(q), "q%" PRIu32, r->queue);
		latency(l[0], sizeof(l[0]), r->has_lat_a, r->p50_a);
		latency(l[1], sizeof(l[1]), r->has_lat_b, r->p50_b);
		latency(l[2], sizeof(l[2]), r->has_lat_a, r->p99_a);
		latency(l[3], sizeof(l[3]), r->has_lat_b, r->p99_b);
		fprintf(f, "    %-4s %-18s %8" PRIu64 " %8" PRIu64 "  %9s %9s  %9s %9s\n", q, r->kind, r->count_a,
			r->count_b, l[0], l[1], l[2], l[3]);
	}
	fprintf(f, "  violations:%s\n", p->n_rules ? "" : " none on either side");
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct diff_rulesum *r = &p->rules[i];
		const char *key = r->rule < DIFF_RULES_COUNTED ? rule_lookup(r->rule)->key : "(other rules)";
		fprintf(f, "    %-32s A %-6" PRIu64 " B %" PRIu64 "\n", key, r->count_a, r->count_b);
	}
}

static void pair_text(FILE *f, const struct diff_pair *p, bool first_only)
{
	fprintf(f, "\nA %s and B %s", p->a.name, p->b.name);
	if (p->a.type[0])
		fprintf(f, " (%s)", p->a.type);
	fprintf(f, ": %" PRIu64 " and %" PRIu64 " events compared\n", p->events_a, p->events_b);
	if (p->has_first)
		first_text(f, p);
	if (first_only)
		return;
	segments_text(f, p);
	summaries_text(f, p);
}

void diff_print_text(FILE *f, const struct diff_result *res, const struct replay_expect *e)
{
	fprintf(f, "A  %s: %" PRIu64 " events recorded by %s\n", res->a.path, res->a.events,
		res->a.source[0] ? res->a.source : "?");
	fprintf(f, "B  %s: %" PRIu64 " events recorded by %s\n\n", res->b.path, res->b.events,
		res->b.source[0] ? res->b.source : "?");
	devices_text(f, res, res->mapped);
	for (size_t i = 0; i < res->n_pairs; i++)
		if (res->pairs[i].result == DIFF_PAIR_DIFFERENT)
			pair_text(f, &res->pairs[i], res->first_only);
	if (e && e->n) {
		fprintf(f, "\ndeclared (left out of the comparison):\n");
		for (unsigned i = 0; i < e->n; i++)
			fprintf(f, "  %-24s %" PRIu64 " event%s or value%s  (%s)\n", e->items[i].text, res->covered[i],
				res->covered[i] == 1 ? "" : "s", res->covered[i] == 1 ? "" : "s", e->items[i].origin);
	}
	fputc('\n', f);
	diff_print_summary(f, res);
}

void diff_print_summary(FILE *f, const struct diff_result *res)
{
	size_t n = 0;

	for (size_t i = 0; i < res->n_pairs; i++)
		n += !res->pairs[i].empty;
	fprintf(f, "[ vmtrace diff: %s", res->different ? "DIFFERENT" : "same");
	if (res->different)
		fprintf(f, ", %u of %zu device%s", res->different, n, n == 1 ? "" : "s");
	else
		fprintf(f, ", %zu device%s", n, n == 1 ? "" : "s");
	fprintf(f, ", %.2f s ]\n", res->seconds);
}

static void dev_json(struct json *j, const char *key, bool has, const struct diff_dev *d)
{
	if (!has) {
		json_null(j, key);
		return;
	}
	json_begin_object(j, key);
	json_i64(j, "device", d->device);
	json_string(j, "name", d->name);
	json_u64(j, "base", d->base);
	json_string(j, "type", d->type[0] ? d->type : NULL);
	json_end_object(j);
}

static void place_json(struct json *j, const char *side, const struct diff_place *p)
{
	char k[24];

	snprintf(k, sizeof(k), "%s_from", side);
	p->n ? json_u64(j, k, p->from) : json_null(j, k);
	snprintf(k, sizeof(k), "%s_to", side);
	p->n ? json_u64(j, k, p->to) : json_null(j, k);
	snprintf(k, sizeof(k), "%s_after", side);
	!p->n && p->has_after ? json_u64(j, k, p->after) : json_null(j, k);
	snprintf(k, sizeof(k), "events_%s", side);
	json_u64(j, k, p->n);
	snprintf(k, sizeof(k), "%s_request_from", side);
	p->n && p->req_from >= 0 ? json_i64(j, k, p->req_from) : json_null(j, k);
	snprintf(k, sizeof(k), "%s_request_to", side);
	p->n && p->req_to >= 0 ? json_i64(j, k, p->req_to) : json_null(j, k);
	snprintf(k, sizeof(k), "%s_request_after", side);
	!p->n && p->req_after >= 0 ? json_i64(j, k, p->req_after) : json_null(j, k);
}

static void state_json(struct json *j, const char *key, const struct diff_state *s)
{
	if (!s->known) {
		json_null(j, key);
		return;
	}
	json_begin_object(j, key);
	s->status_known ? json_string(j, "status", s->status) : json_null(j, "status");
	s->status_known ? json_u64(j, "status_value", s->status_value) : json_null(j, "status_value");
	s->features_known ? json_u64(j, "features", s->features) : json_null(j, "features");
	json_begin_array(j, "queues");
	for (unsigned i = 0; i < s->n_queues; i++) {
		json_begin_object(j, NULL);
		json_u64(j, "queue", s->queues[i].queue);
		json_u64(j, "size", s->queues[i].size);
		json_bool(j, "ready", s->queues[i].ready);
		json_end_object(j);
	}
	json_end_array(j);
	json_begin_array(j, "registers");
	for (unsigned i = 0; i < s->n_regs; i++) {
		json_begin_object(j, NULL);
		json_string(j, "reg", s->regs[i].reg);
		s->regs[i].queue >= 0 ? json_i64(j, "queue", s->regs[i].queue) : json_null(j, "queue");
		json_u64(j, "value", s->regs[i].value);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

static void first_json(struct json *j, const struct diff_pair *p)
{
	const struct diff_first *d = p->first;
	char sn[32];

	if (!p->has_first) {
		json_null(j, "first_divergence");
		return;
	}
	json_begin_object(j, "first_divergence");
	json_string(j, "kind", diff_op_name(d->op));
	json_string(j, "stream", stream_name(d->queue, sn, sizeof(sn)));
	d->a.n ? json_u64(j, "seq_a", d->a.from) : json_null(j, "seq_a");
	d->b.n ? json_u64(j, "seq_b", d->b.from) : json_null(j, "seq_b");
	json_string(j, "a", d->text_a[0] ? d->text_a : NULL);
	json_string(j, "b", d->text_b[0] ? d->text_b : NULL);
	json_begin_array(j, "events_a");
	for (unsigned i = 0; i < d->n_ctx_a; i++)
		report_json_event(j, d->ctx_a[i].seq, d->ctx_a[i].text, d->ctx_a[i].at);
	json_end_array(j);
	json_begin_array(j, "events_b");
	for (unsigned i = 0; i < d->n_ctx_b; i++)
		report_json_event(j, d->ctx_b[i].seq, d->ctx_b[i].text, d->ctx_b[i].at);
	json_end_array(j);
	state_json(j, "state_a", &d->state_a);
	state_json(j, "state_b", &d->state_b);
	json_end_object(j);
}

static void summaries_json(struct json *j, const struct diff_pair *p)
{
	json_begin_array(j, "negotiated");
	if (p->features_known_a != p->features_known_b || p->features_a != p->features_b) {
		json_begin_object(j, NULL);
		json_string(j, "what", "features");
		p->features_known_a ? json_u64(j, "a", p->features_a) : json_null(j, "a");
		p->features_known_b ? json_u64(j, "b", p->features_b) : json_null(j, "b");
		char names[1024];
		json_string(j, "only_a", virtio_features_str(pair_device_id(p), p->features_a & ~p->features_b, names, sizeof(names)));
		json_string(j, "only_b", virtio_features_str(pair_device_id(p), p->features_b & ~p->features_a, names, sizeof(names)));
		json_end_object(j);
	}
	for (size_t i = 0; i < p->n_qsizes; i++) {
		const struct diff_qsize *q = &p->qsizes[i];
		if (q->has_a == q->has_b && q->size_a == q->size_b)
			continue;
		char what[32];
		snprintf(what, sizeof(what), "q%" PRIu32 " size", q->queue);
		json_begin_object(j, NULL);
		json_string(j, "what", what);
		q->has_a ? json_u64(j, "a", q->size_a) : json_null(j, "a");
		q->has_b ? json_u64(j, "b", q->size_b) : json_null(j, "b");
		json_end_object(j);
	}
	json_end_array(j);
	json_begin_array(j, "requests");
	for (size_t i = 0; i < p->n_reqs; i++) {
		const struct diff_reqsum *r = &p->reqs[i];
		json_begin_object(j, NULL);
		json_u64(j, "queue", r->queue);
		json_string(j, "kind", r->kind);
		json_u64(j, "count_a", r->count_a);
		json_u64(j, "count_b", r->count_b);
		r->has_lat_a ? json_i64(j, "p50_ns_a", r->p50_a) : json_null(j, "p50_ns_a");
		r->has_lat_b ? json_i64(j, "p50_ns_b", r->p50_b) : json_null(j, "p50_ns_b");
		r->has_lat_a ? json_i64(j, "p99_ns_a", r->p99_a) : json_null(j, "p99_ns_a");
		r->has_lat_b ? json_i64(j, "p99_ns_b", r->p99_b) : json_null(j, "p99_ns_b");
		json_end_object(j);
	}
	json_end_array(j);
	json_begin_array(j, "violations");
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct diff_rulesum *r = &p->rules[i];
		json_begin_object(j, NULL);
		json_string(j, "rule", r->rule < DIFF_RULES_COUNTED ? rule_lookup(r->rule)->key : "(other rules)");
		json_u64(j, "count_a", r->count_a);
		json_u64(j, "count_b", r->count_b);
		json_end_object(j);
	}
	json_end_array(j);
}

static void side_json(struct json *j, const char *key, const struct diff_side *s)
{
	json_begin_object(j, key);
	json_string(j, "trace", s->path);
	json_string(j, "source", s->source[0] ? s->source : NULL);
	json_u64(j, "events", s->events);
	json_end_object(j);
}

void diff_print_json(FILE *f, const struct diff_result *res, const struct replay_expect *e)
{
	struct json j;
	char sn[32];

	json_init(&j, f);
	json_begin_object(&j, NULL);
	side_json(&j, "a", &res->a);
	side_json(&j, "b", &res->b);
	json_string(&j, "result", diff_verdict(res));
	json_u64(&j, "devices_compared", res->n_pairs);
	json_u64(&j, "devices_different", res->different);
	json_bool(&j, "first_only", res->first_only);
	json_u64(&j, "milliseconds", (uint64_t)(res->seconds * 1000.0 + 0.5));
	json_begin_array(&j, "declared");
	for (unsigned i = 0; e && i < e->n; i++) {
		json_begin_object(&j, NULL);
		json_string(&j, "declaration", e->items[i].text);
		json_string(&j, "origin", e->items[i].origin);
		json_u64(&j, "covered", res->covered[i]);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_begin_array(&j, "devices");
	for (size_t i = 0; i < res->n_pairs; i++) {
		const struct diff_pair *p = &res->pairs[i];
		json_begin_object(&j, NULL);
		dev_json(&j, "a", p->has_a, &p->a);
		dev_json(&j, "b", p->has_b, &p->b);
		json_string(&j, "result", diff_pair_result_name(p->result));
		json_bool(&j, "empty_transport", p->empty);
		json_u64(&j, "events_a", p->events_a);
		json_u64(&j, "events_b", p->events_b);
		first_json(&j, p);
		json_u64(&j, "segments_total", p->segs_total);
		json_begin_array(&j, "segments");
		for (size_t k = 0; k < p->n_segs; k++) {
			const struct diff_segment *s = &p->segs[k];
			json_begin_object(&j, NULL);
			json_string(&j, "kind", diff_op_name(s->op));
			json_string(&j, "stream", stream_name(s->queue, sn, sizeof(sn)));
			place_json(&j, "a", &s->a);
			place_json(&j, "b", &s->b);
			const struct diff_seg_text *x = k < DIFF_SEGMENT_TEXTS ? &p->seg_text[k] : NULL;
			json_string(&j, "text_a", x && x->a[0] ? x->a : NULL);
			json_string(&j, "text_b", x && x->b[0] ? x->b : NULL);
			json_end_object(&j);
		}
		json_end_array(&j);
		summaries_json(&j, p);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
}
