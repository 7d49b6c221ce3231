/* Reading and normalising one device's events; see diff_stream.h. */
#include "diff/diff_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/mmio_regs.h"

/* Key words: what kind of thing a hash is of, so a register access can
 * never hash like an interrupt. */
enum { K_MMIO = 1, K_IRQ, K_VIOLATION, K_REQUEST, K_SETUP };

static uint64_t h64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

static uint64_t h_text(uint64_t h, const char *s)
{
	uint64_t f = 0xcbf29ce484222325ull;

	for (; s && *s; s++)
		f = (f ^ (unsigned char)*s) * 0x100000001b3ull;
	return h64(h, f);
}

static int events_push(struct diff_events *ev, uint64_t key, uint64_t shape, uint64_t seq, bool anchor)
{
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 256;
		uint64_t *k = realloc(ev->key, cap * sizeof(*k));
		if (k)
			ev->key = k;
		uint64_t *s = realloc(ev->shape, cap * sizeof(*s));
		if (s)
			ev->shape = s;
		uint64_t *q = realloc(ev->seq, cap * sizeof(*q));
		if (q)
			ev->seq = q;
		uint8_t *a = realloc(ev->anchor, cap);
		if (a)
			ev->anchor = a;
		if (!k || !s || !q || !a)
			return -ENOMEM;
		ev->cap = cap;
	}
	ev->key[ev->n] = key;
	ev->shape[ev->n] = shape;
	ev->seq[ev->n] = seq;
	ev->anchor[ev->n] = anchor;
	ev->n++;
	return 0;
}

static void events_free(struct diff_events *ev)
{
	free(ev->key);
	free(ev->shape);
	free(ev->seq);
	free(ev->anchor);
	memset(ev, 0, sizeof(*ev));
}

struct diff_seq diff_events_seq(const struct diff_events *ev)
{
	return (struct diff_seq){ .key = ev->key, .shape = ev->shape, .anchor = ev->anchor, .n = ev->n };
}

/* First-seen ordinals of ring addresses, per queue and register: an
 * open-addressing set of (queue, offset, value) -> ordinal, and of
 * (queue, offset) -> ordinals given. */
struct ordinals {
	struct ord_slot { uint64_t queue, offset, value; uint64_t ord; bool used, counter; } *s;
	size_t cap, n;
};

/* Room for two more entries (a value and its counter): pointers into the
 * table stay valid until the next call. */
static int ord_reserve(struct ordinals *o)
{
	if (2 * (o->n + 2) <= o->cap)
		return 0;
	size_t cap = o->cap ? o->cap * 2 : 64;
	struct ord_slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < o->cap; i++) {
		if (!o->s[i].used)
			continue;
		size_t k = h64(h64(h64(o->s[i].counter, o->s[i].queue), o->s[i].offset), o->s[i].value) & (cap - 1);
		while (s[k].used)
			k = (k + 1) & (cap - 1);
		s[k] = o->s[i];
	}
	free(o->s);
	o->s = s;
	o->cap = cap;
	return 0;
}

static struct ord_slot *ord_find(struct ordinals *o, uint64_t queue, uint64_t offset, uint64_t value, bool counter)
{
	size_t k = h64(h64(h64(counter, queue), offset), value) & (o->cap - 1);
	for (;; k = (k + 1) & (o->cap - 1)) {
		struct ord_slot *e = &o->s[k];
		if (!e->used) {
			*e = (struct ord_slot){ queue, offset, value, 0, true, counter };
			o->n++;
			return e;
		}
		if (e->queue == queue && e->offset == offset && e->value == value && e->counter == counter)
			return e;
	}
}

/* The ordinal of value among the values seen at (queue, offset): 1, 2, ... */
static int ordinal(struct ordinals *o, uint64_t queue, uint64_t offset, uint64_t value, uint64_t *ord)
{
	if (ord_reserve(o))
		return -ENOMEM;
	struct ord_slot *e = ord_find(o, queue, offset, value, false);
	if (!e->ord)
		e->ord = ++ord_find(o, queue, offset, 0, true)->ord;
	*ord = e->ord;
	return 0;
}

static bool ring_address_register(uint32_t offset, uint32_t version)
{
	if (version == 1)
		return offset == MMIO_QUEUE_PFN;
	switch (offset) {
	case MMIO_QUEUE_DESC_LOW: case MMIO_QUEUE_DESC_HIGH:
	case MMIO_QUEUE_DRIVER_LOW: case MMIO_QUEUE_DRIVER_HIGH:
	case MMIO_QUEUE_DEVICE_LOW: case MMIO_QUEUE_DEVICE_HIGH:
		return true;
	}
	return false;
}

struct loader {
	const struct diff_dev *d;
	const struct replay_expect *e;
	uint64_t *covered;
	struct diff_streams *s;
	struct ordinals ord;
	uint32_t queue_sel;
};

/* The declaration covering subj, counted; NULL if none. */
static const struct expect_item *declared(struct loader *l, struct expect_subject *subj)
{
	subj->dev_name = l->d->name;
	subj->base = l->d->base;
	subj->device_id = l->d->device_id < 0 ? 0 : (uint32_t)l->d->device_id;
	const struct expect_item *it = expect_match(l->e, subj);
	if (it)
		l->covered[it - l->e->items]++;
	return it;
}

static int add_mmio(struct loader *l, const struct tdb_event *row)
{
	const struct vmt_event *ev = &row->ev;
	uint32_t version = l->d->version == 1 ? 1 : 2;
	uint32_t off = (uint32_t)ev->addr;
	uint64_t value = ev->value;
	const struct mmio_reg_info *ri = off < MMIO_CONFIG ? mmio_reg_lookup(off, version) : NULL;
	int64_t queue = -1;
	struct expect_subject subj = { .what = EXPECT_REGISTER, .reg = off, .queue = -1 };

	if (ri && ri->queue_reg)
		queue = l->queue_sel;
	else if (off == MMIO_QUEUE_NOTIFY && ev->dir == VMT_DIR_WRITE)
		queue = value & 0xffff;
	if (off >= MMIO_CONFIG) {
		subj.what = EXPECT_CONFIG;
		subj.config_off = off - MMIO_CONFIG;
		subj.config_len = ev->width;
	}
	subj.queue = (int)queue;
	const struct expect_item *it = declared(l, &subj);
	if (it && (it->what == EXPECT_QUEUE || it->what == EXPECT_ALL)) {
		l->s->left_out++;
		return 0;
	}
	if (off == MMIO_QUEUE_SEL && ev->dir == VMT_DIR_WRITE)
		l->queue_sel = (uint32_t)value;
	if (it)
		value = 0; /* a declared register or config field: its value is not compared */
	else if (ring_address_register(off, version)) {
		int r = ordinal(&l->ord, queue < 0 ? UINT32_MAX : (uint64_t)queue, off, value, &value);
		if (r)
			return r;
	}
	uint64_t shape = h64(h64(K_MMIO, ev->dir), off);
	uint64_t key = h64(h64(shape, ev->width), value);
	bool anchor = ev->dir == VMT_DIR_WRITE &&
		      (off == MMIO_STATUS || (version == 2 && off == MMIO_QUEUE_READY) ||
		       (version == 1 && off == MMIO_QUEUE_PFN));
	return events_push(&l->s->regs, key, shape, ev->seq, anchor);
}

static int add_event(struct loader *l, const struct tdb_event *row)
{
	const struct vmt_event *ev = &row->ev;
	struct expect_subject subj = { .queue = -1 };

	switch (ev->type) {
	case VMT_EV_MMIO:
		return add_mmio(l, row);
	case VMT_EV_IRQ:
		subj.what = EXPECT_INTERRUPTS;
		if (declared(l, &subj)) {
			l->s->left_out++;
			return 0;
		}
		return events_push(&l->s->regs, h64(h64(K_IRQ, 0), ev->value), h64(K_IRQ, 0), ev->seq, false);
	case VMT_EV_VIOLATION:
		l->s->rule_count[ev->value < DIFF_RULES_COUNTED ? ev->value : DIFF_RULES_COUNTED]++;
		subj.what = EXPECT_VIOLATIONS;
		if (declared(l, &subj)) {
			l->s->left_out++;
			return 0;
		}
		return events_push(&l->s->regs, h64(h64(K_VIOLATION, 0), ev->value), h64(K_VIOLATION, 0), ev->seq,
				   false);
	}
	return 0;
}

static int read_events(struct loader *l, struct tdb *t, char *err, size_t errlen)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	int r;

	tdb_filter_init(&f);
	f.device = l->d->device;
	f.types = 1u << VMT_EV_MMIO | 1u << VMT_EV_IRQ | 1u << VMT_EV_VIOLATION;
	f.page = TDB_PAGE_MAX;
	if ((r = tdb_cursor_open(t, &f, TDB_FORWARD, &c))) {
		snprintf(err, errlen, "%s", tdb_errmsg(t));
		return -1;
	}
	while ((r = tdb_cursor_next(c, &row)) == 0) {
		if ((r = add_event(l, &row))) {
			snprintf(err, errlen, "out of memory reading '%s'", tdb_path(t));
			break;
		}
	}
	if (r == TDB_END)
		r = 0;
	else if (r > 0 || r == -EIO || r == -EINVAL)
		snprintf(err, errlen, "%s", tdb_errmsg(t));
	tdb_cursor_close(c);
	return r ? -1 : 0;
}

static struct diff_queue_stream *queue_stream(struct diff_streams *s, uint32_t queue)
{
	for (size_t i = 0; i < s->n_queues; i++)
		if (s->queues[i].queue == queue)
			return &s->queues[i];
	struct diff_queue_stream *q = realloc(s->queues, (s->n_queues + 1) * sizeof(*q));
	if (!q)
		return NULL;
	s->queues = q;
	q = &s->queues[s->n_queues++];
	memset(q, 0, sizeof(*q));
	q->queue = queue;
	return q;
}

/* The request of the event just pushed onto q->ev. */
static int req_append(struct diff_queue_stream *q, const struct diff_req *r)
{
	if (q->req_cap < q->ev.cap) { /* grows with ev: doubling */
		struct diff_req *v = realloc(q->req, q->ev.cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		q->req = v;
		q->req_cap = q->ev.cap;
	}
	q->req[q->ev.n - 1] = *r;
	return 0;
}

static int add_request(void *arg, const struct tdb_request *r)
{
	struct loader *l = arg;
	struct expect_subject subj = { .what = EXPECT_USED, .queue = (int)r->queue };
	struct diff_req q = { .id = r->request };

	const struct expect_item *used = declared(l, &subj);
	if (used && (used->what == EXPECT_QUEUE || used->what == EXPECT_ALL)) {
		l->s->left_out++;
		return 0;
	}
	subj.what = EXPECT_BUFFERS;
	const struct expect_item *buffers = declared(l, &subj);
	struct diff_queue_stream *qs = queue_stream(l->s, r->queue);
	if (!qs)
		return -ENOMEM;
	q.seq = (uint64_t)(r->seq_notify >= 0 ? r->seq_notify : r->seq_avail >= 0 ? r->seq_avail : 0);
	char op[24];
	snprintf(q.kind, sizeof(q.kind), "%s%s%s", tdb_vocab_name(&tdb_vocab_request_kind, r->kind), r->op ? " " : "",
		 r->op ? escape_str(r->op, op, sizeof(op)) : "");
	q.sector_known = r->sector_known;
	q.sector = r->sector;
	q.length_known = r->length_known;
	q.length = r->length;
	q.status_known = r->status_known;
	q.status = r->status;
	q.digest_known = r->digest != NULL;
	if (r->seq_notify >= 0 && r->seq_used >= 0 && r->ts_used >= r->ts_notify) {
		q.has_latency = true;
		q.latency_ns = r->ts_used - r->ts_notify;
	}
	q.digest = r->digest ? h_text(0, r->digest) : 0;
	if (r->digest) {
		char d[64];
		snprintf(q.digest_text, sizeof(q.digest_text), "%.8s", escape_str(r->digest, d, sizeof(d)));
	}
	q.status_compared = !used;
	q.digest_compared = !buffers;
	uint64_t shape = h_text(K_REQUEST, q.kind);
	uint64_t key = h64(h64(shape, q.sector_known), q.sector);
	if (!used)
		key = h64(h64(key, q.length_known), q.length);
	if (events_push(&qs->ev, key, shape, q.seq, false))
		return -ENOMEM;
	return req_append(qs, &q);
}

static int by_seq_setup(const void *x, const void *y)
{
	const struct tdb_queue *a = x, *b = y;
	return a->seq_setup < b->seq_setup ? -1 : a->seq_setup > b->seq_setup;
}

/* Put each generation's set-up of a queue with requests into that queue's
 * stream, before the first request made after it: an anchor, so the
 * requests after a reset align with those after the other side's. */
static int add_setups(struct tdb *t, const struct diff_dev *d, struct diff_streams *s)
{
	struct tdb_queue *g;
	size_t ng;
	int r = 0;

	if ((r = tdb_queues_read(t, d->device, TDB_QUEUES_ALL, 0, NULL, &g, &ng)))
		return r;
	if (ng)
		qsort(g, ng, sizeof(*g), by_seq_setup);
	for (size_t i = 0; i < s->n_queues && !r; i++) {
		struct diff_queue_stream *q = &s->queues[i], m = { .queue = q->queue };
		size_t k = 0;
		for (size_t x = 0; x <= ng && !r; x++) {
			bool last = x == ng;
			if (!last && (g[x].queue != q->queue || !(g[x].known & TDB_Q_SEQ_SETUP)))
				continue;
			/* the requests before this set-up */
			for (; k < q->ev.n && (last || q->req[k].seq < g[x].seq_setup) && !r; k++) {
				if ((r = events_push(&m.ev, q->ev.key[k], q->ev.shape[k], q->ev.seq[k], false)))
					break;
				if ((r = req_append(&m, &q->req[k])))
					break;
			}
			if (last || r)
				break;
			struct diff_req su = { .id = -1, .seq = g[x].seq_setup, .setup = true,
					       .generation = g[x].generation, .size = g[x].size };
			snprintf(su.kind, sizeof(su.kind), "set-up");
			uint64_t key = h64(K_SETUP, 0);
			if (!(r = events_push(&m.ev, key, key, su.seq, true)))
				r = req_append(&m, &su);
		}
		if (r) {
			events_free(&m.ev);
			free(m.req);
			break;
		}
		events_free(&q->ev);
		free(q->req);
		*q = m;
	}
	free(g);
	return r;
}

int diff_streams_load(struct tdb *t, const struct diff_dev *d, const struct replay_expect *e, uint64_t *covered,
		      struct diff_streams *s, char *err, size_t errlen)
{
	struct loader l = { .d = d, .e = e, .covered = covered, .s = s };
	int r;

	memset(s, 0, sizeof(*s));
	if (read_events(&l, t, err, errlen)) {
		free(l.ord.s);
		return -1;
	}
	free(l.ord.s);
	r = tdb_requests_each(t, d->device, 0, 0, add_request, &l);
	if (!r)
		r = add_setups(t, d, s);
	if (r == -ENOMEM) {
		snprintf(err, errlen, "out of memory reading '%s'", tdb_path(t));
		return -1;
	}
	if (r) {
		snprintf(err, errlen, "%s", tdb_errmsg(t));
		return -1;
	}
	return 0;
}

void diff_streams_free(struct diff_streams *s)
{
	events_free(&s->regs);
	for (size_t i = 0; i < s->n_queues; i++) {
		events_free(&s->queues[i].ev);
		free(s->queues[i].req);
	}
	free(s->queues);
	memset(s, 0, sizeof(*s));
}

void diff_latency_text(int64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRId64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
}

void diff_req_text(const struct diff_req *r, uint32_t queue, char *buf, size_t len)
{
	char lat[32];

	if (r->setup) {
		snprintf(buf, len, "q%" PRIu32 " set up: generation %" PRIu64 ", size %" PRIu32, queue, r->generation,
			 r->size);
		return;
	}
	size_t o = (size_t)snprintf(buf, len, "request %" PRId64 " %s", r->id, r->kind);
	if (r->sector_known && o < len)
		o += (size_t)snprintf(buf + o, len - o, " sector %" PRIu64, r->sector);
	if (r->length_known && o < len)
		o += (size_t)snprintf(buf + o, len - o, " length %" PRIu64, r->length);
	if (r->status_known && o < len)
		o += (size_t)snprintf(buf + o, len - o, " status %" PRIu32, r->status);
	if (r->digest_known && o < len)
		o += (size_t)snprintf(buf + o, len - o, " data %s", r->digest_text);
	if (r->has_latency && o < len) {
		diff_latency_text(r->latency_ns, lat, sizeof(lat));
		snprintf(buf + o, len - o, " (+%s to used)", lat);
	}
}

bool diff_req_details_differ(const struct diff_req *a, const struct diff_req *b)
{
	/* A set-up is an anchor only: its size is the QueueNum write the
	 * register stream compares (and a declaration can leave out). */
	if (a->setup || b->setup)
		return false;
	if (a->status_compared && b->status_compared && a->status_known && b->status_known && a->status != b->status)
		return true;
	return a->digest_compared && b->digest_compared && a->digest_known && b->digest_known && a->digest != b->digest;
}
