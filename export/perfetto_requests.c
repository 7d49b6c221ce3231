/* The Perfetto exporter's requests (perfetto_priv.h): each an async slice
 * (b at its notify, e at its used entry) of its device's process, a flow
 * from it to an instant at its interrupt, and per queue a counter of the
 * requests in flight.
 *
 * Requests come in the order of their notifies (tdb_req_cursor on the
 * notify index), each written whole when it is read; a request with no
 * notify is not drawn (there is no time to start it at).  The counter
 * needs the used entries in seq order among the notifies: each queue
 * keeps a min-heap of the used entries still ahead (at most the requests
 * in flight on it), and a request's notify first writes the decrements of
 * those before it.  A damaged request row is passed over and counted. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/perfetto_priv.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/device_types.h"

/* Queues one export counts (a bound on a hostile file's rows: 256
 * devices with 16 queues each); used entries one queue waits for (twice
 * the most buffers a virtqueue holds). */
#define QUEUES_MAX 4096u
#define IN_FLIGHT_MAX 65536u
#define OP_TEXT_MAX 512u

struct used_at {
	uint64_t seq, ts;
};

struct queue_count {
	int device;
	uint32_t queue;
	uint64_t in_flight;
	struct used_at *heap;     /* min-heap on seq */
	size_t n, cap;
	char label[64];           /* "q0 requestq" */
};

struct req_walk {
	struct pf *p;
	struct queue_count *qs;
	size_t nq, capq, last;
};

static void heap_push(struct queue_count *q, struct used_at u)
{
	size_t i = q->n++;

	while (i > 0 && q->heap[(i - 1) / 2].seq > u.seq) {
		q->heap[i] = q->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	q->heap[i] = u;
}

static struct used_at heap_pop(struct queue_count *q)
{
	struct used_at top = q->heap[0], last = q->heap[--q->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->heap[c + 1].seq < q->heap[c].seq)
			c++;
		if (q->heap[c].seq >= last.seq)
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	if (q->n)
		q->heap[i] = last;
	return top;
}

/* The counter's label: the queue's role when the type names it. */
static void queue_label(struct pf *p, struct queue_count *q)
{
	const struct tdb_device *d = tdb_device_by_id(p->t, q->device);
	const struct devtype_queue *role = NULL;

	if (d && d->device_id > 0 && d->device_id <= UINT32_MAX)
		role = devtype_queue_role((uint32_t)d->device_id, q->queue, d->features_negotiated, NULL, 0);
	if (role)
		snprintf(q->label, sizeof(q->label), "q%" PRIu32 " %s", q->queue, role->name);
	else
		snprintf(q->label, sizeof(q->label), "q%" PRIu32, q->queue);
}

static int queue_find(struct req_walk *w, const struct tdb_request *r, struct queue_count **out)
{
	struct queue_count *q;

	if (w->last < w->nq && w->qs[w->last].device == r->device && w->qs[w->last].queue == r->queue) {
		*out = &w->qs[w->last];
		return 0;
	}
	for (size_t i = 0; i < w->nq; i++) {
		if (w->qs[i].device == r->device && w->qs[i].queue == r->queue) {
			w->last = i;
			*out = &w->qs[i];
			return 0;
		}
	}
	if (w->nq == QUEUES_MAX) {
		snprintf(w->p->err, w->p->errlen, "perfetto export: '%s': request %" PRId64 ": more than %u queues",
			 tdb_path(w->p->t), r->request, QUEUES_MAX);
		return TDB_E_TOO_MANY;
	}
	if (w->nq == w->capq) {
		size_t cap = w->capq ? 2 * w->capq : 16;
		q = realloc(w->qs, cap * sizeof(*q));
		if (!q)
			return pf_fail(w->p, -ENOMEM, "for the request counters");
		w->qs = q;
		w->capq = cap;
	}
	q = &w->qs[w->nq];
	memset(q, 0, sizeof(*q));
	q->device = r->device;
	q->queue = r->queue;
	queue_label(w->p, q);
	w->last = w->nq++;
	*out = q;
	return 0;
}

static int counter(struct pf *p, const struct queue_count *q, uint64_t ts)
{
	struct pj *j = &p->j;

	pf_head_s(j, 'C', q->label, pf_pid(q->device), pf_tid(pf_pid(q->device), PF_SLOT_DEVICE), ts);
	pj_kv_str(j, "cat", "request");
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "in flight", q->in_flight);
	pj_end(j);
	pj_end(j);
	return pf_write(p, j);
}

/* The counter's decrements for q's used entries before seq (all: UINT64_MAX). */
static int used_before(struct pf *p, struct queue_count *q, uint64_t seq)
{
	int r;

	while (q->n && q->heap[0].seq < seq) {
		struct used_at u = heap_pop(q);
		if (q->in_flight)
			q->in_flight--;
		if ((r = counter(p, q, u.ts)) != 0)
			return r;
	}
	return 0;
}

static int used_push(struct req_walk *w, struct queue_count *q, const struct tdb_request *r)
{
	if (q->n == IN_FLIGHT_MAX) {
		snprintf(w->p->err, w->p->errlen,
			 "perfetto export: '%s': request %" PRId64 ": more than %u requests in flight on queue %" PRIu32
			 " (a virtqueue holds at most 32768)", tdb_path(w->p->t), r->request, IN_FLIGHT_MAX, r->queue);
		return TDB_E_TOO_MANY;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		struct used_at *h = realloc(q->heap, cap * sizeof(*h));
		if (!h)
			return pf_fail(w->p, -ENOMEM, "for the request counters");
		q->heap = h;
		q->cap = cap;
	}
	heap_push(q, (struct used_at){ (uint64_t)r->seq_used, (uint64_t)r->ts_used });
	return 0;
}

/* The slice's name: the kind, and a blk request's operation ("blk out")
 * when it is one of the short words the decoder writes. */
static void request_name(const struct tdb_request *r, char *buf, size_t len)
{
	const char *kind = tdb_vocab_name(&tdb_vocab_request_kind, r->kind);
	bool word = r->op && r->op[0] && strlen(r->op) <= 16;

	for (const char *c = r->op; word && *c; c++)
		word = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-';
	if (r->kind == TDB_REQ_BLK && word)
		snprintf(buf, len, "%s %s", kind, r->op);
	else
		snprintf(buf, len, "%s", kind);
}

static void seq_arg(struct pj *j, const char *key, int64_t seq)
{
	if (seq >= 0)
		pj_kv_i64(j, key, seq);
}

/* "b", "e" or "n" of request r: the same cat, id and process. */
static void async_head(struct pj *j, char ph, const char *name, const struct tdb_request *r, uint64_t ts)
{
	pf_head_s(j, ph, name, pf_pid(r->device), pf_tid(pf_pid(r->device), PF_SLOT_DEVICE), ts);
	pj_kv_str(j, "cat", "request");
	pj_kv_hex(j, "id", (uint64_t)r->request);
}

static int request_begin(struct pf *p, const struct tdb_request *r, const char *name, const struct queue_count *q,
			 uint64_t ts, bool irq, bool used)
{
	struct pj *j = &p->j;

	async_head(j, 'b', name, r, ts);
	if (irq) {
		/* the flow to the interrupt's instant (bind_id binds it to this slice) */
		pj_kv_hex(j, "bind_id", (uint64_t)r->request);
		pj_kv_bool(j, "flow_out", true);
	}
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_i64(j, "request", r->request);
	pj_kv_u64(j, "queue", r->queue);
	pj_kv_str(j, "queue_name", q->label);
	pj_kv_str(j, "kind", tdb_vocab_name(&tdb_vocab_request_kind, r->kind));
	if (r->op) {
		pj_key(j, "op");
		pj_strn_cut(j, r->op, strlen(r->op), OP_TEXT_MAX);
	}
	if (r->sector_known)
		pj_kv_u64(j, "sector", r->sector);
	if (r->length_known)
		pj_kv_u64(j, "length", r->length);
	if (r->status_known)
		pj_kv_u64(j, "status", r->status);
	seq_arg(j, "seq_avail", r->seq_avail);
	seq_arg(j, "seq_notify", r->seq_notify);
	seq_arg(j, "seq_used", r->seq_used);
	seq_arg(j, "seq_irq", r->seq_irq);
	if (r->ts_notify >= 0 && r->ts_used >= r->ts_notify)
		pj_kv_i64(j, "latency_ns", r->ts_used - r->ts_notify);
	if (r->chain >= 0)
		pj_kv_i64(j, "chain", r->chain);
	if (r->digest)
		pj_kv_str(j, "digest", r->digest);
	if (!used)
		pj_kv_bool(j, "completed", false);
	pj_end(j);
	pj_end(j);
	return pf_write(p, j);
}

static int request_end(struct pf *p, const struct tdb_request *r, const char *name, uint64_t ts)
{
	async_head(&p->j, 'e', name, r, ts);
	pj_end(&p->j);
	return pf_write(p, &p->j);
}

/* The interrupt that told the driver: an instant on the request's track
 * that the flow from the slice ends on. */
static int request_irq(struct pf *p, const struct tdb_request *r)
{
	struct pj *j = &p->j;

	async_head(j, 'n', "irq", r, (uint64_t)r->ts_irq);
	pj_kv_hex(j, "bind_id", (uint64_t)r->request);
	pj_kv_bool(j, "flow_in", true);
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_i64(j, "request", r->request);
	pj_kv_i64(j, "seq_irq", r->seq_irq);
	pj_end(j);
	pj_end(j);
	return pf_write(p, j);
}

static int request_one(struct req_walk *w, const struct tdb_request *r)
{
	struct pf *p = w->p;
	struct queue_count *q = NULL;
	uint64_t seq, ts, end;
	bool used = r->seq_used >= 0 && r->ts_used >= 0;
	bool irq = r->seq_irq >= 0 && r->ts_irq >= 0;
	char name[64];
	int e;

	/* the requests of the part notified in its range, with a time */
	if ((p->o->device >= 0 && r->device != p->o->device) || r->seq_notify < 0 || r->ts_notify < 0 ||
	    (uint64_t)r->seq_notify < p->from || (uint64_t)r->seq_notify > p->to)
		return 0;
	seq = (uint64_t)r->seq_notify;
	ts = (uint64_t)r->ts_notify;
	if ((e = pf_track_names(p, r->device)) != 0 || (e = queue_find(w, r, &q)) != 0 ||
	    (e = used_before(p, q, seq)) != 0)
		return e;
	q->in_flight++;
	if ((e = counter(p, q, ts)) != 0)
		return e;
	if (used && (e = used_push(w, q, r)) != 0)
		return e;
	/* A request with no used entry is drawn at its start, 0 long (its
	 * counter keeps it in flight): drawn to the end of the trace, each
	 * would take a row of its own (a best-effort QEMU trace can have
	 * thousands). */
	end = used && (uint64_t)r->ts_used > ts ? (uint64_t)r->ts_used : ts;
	request_name(r, name, sizeof(name));
	if ((e = request_begin(p, r, name, q, ts, irq, used)) != 0 || (e = request_end(p, r, name, end)) != 0 ||
	    (irq && (e = request_irq(p, r)) != 0))
		return e;
	p->s->requests++;
	return 0;
}

int pf_requests(struct pf *p)
{
	struct req_walk w = { .p = p };
	struct tdb_req_cursor *c = NULL;
	struct tdb_request q;
	int64_t at;
	int r, e = 0;

	/* (to 0 is no end for the cursor: request_one keeps a range's end) */
	r = tdb_req_cursor_open(p->t, TDB_REQ_AT_NOTIFY, p->from, p->to == UINT64_MAX ? 0 : p->to, &c);
	if (r != 0)
		return pf_fail(p, r, "reading the requests");
	while ((r = tdb_req_cursor_next(c, &q, &at)) == 0 || r == TDB_E_DAMAGED_ROW) {
		if (r == TDB_E_DAMAGED_ROW)
			p->s->damaged++;
		else if ((e = request_one(&w, &q)) != 0)
			break;
	}
	if (e == 0 && r != TDB_END)
		e = pf_fail(p, r, "reading the requests");
	r = e;
	tdb_req_cursor_close(c);
	for (size_t i = 0; i < w.nq; i++) {
		if (r == 0)
			r = used_before(p, &w.qs[i], UINT64_MAX);
		free(w.qs[i].heap);
	}
	free(w.qs);
	return r;
}
