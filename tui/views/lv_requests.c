/* The requests view: one row per decoded request, by seq (request order:
 * pages of the primary key), or the slowest or largest first (a bounded
 * top-N: the first LV_TOP_MAX of one pass, said so in the header), of
 * every kind or one.  Rows are read by id through the read library
 * (tdb_request_read), a page at a time. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/fmt_time.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_vocab.h"
#include "tui/tui_grid.h"
#include "tui/views/lv_priv.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

/* Requests a latency or size order holds (the rest are left out, and the
 * header says so). */
#define LV_TOP_MAX 10000
#define LV_KINDS_MAX 32
/* Requests up to which f counts the kinds (one pass over the requests);
 * a bigger trace takes the kinds its devices' types make. */
#define LV_KINDS_COUNT_MAX 200000

enum sort { SORT_SEQ, SORT_LATENCY, SORT_SIZE, SORT_N };
static const char *const sort_names[SORT_N] = { "seq", "latency", "size" };

enum { C_SEQ, C_REQ, C_DEV, C_Q, C_KIND, C_SIZE, C_USED, C_IRQ, C_STATUS, C_N };
static const struct lv_col cols[C_N] = {
	[C_SEQ] = { "notify", 20, true },  [C_REQ] = { "request", 20, true }, [C_DEV] = { "device", 40, false },
	[C_Q] = { "q", 6, true },          [C_KIND] = { "kind", 40, false },  [C_SIZE] = { "size", 12, true },
	[C_USED] = { "->used", 16, true }, [C_IRQ] = { "->irq", 16, true },    [C_STATUS] = { "status", 0, false },
};

struct requests {
	enum sort sort;
	int kind;                   /* enum tdb_request_kind shown, -1 every kind */
	bool kinds_read;            /* kinds, counts: read at the first f */
	bool counted;               /* counts holds each kind's requests */
	unsigned kinds;
	uint64_t counts[LV_KINDS_MAX];
	/* the latency and size orders' ids (LV_TOP_MAX), per kind shown
	 * ([0] every kind, [1 + k] kind k): each a pass over the requests,
	 * kept for the next time it is asked for */
	int64_t *top[2][LV_KINDS_MAX + 1];
	size_t n_top[2][LV_KINDS_MAX + 1];
	bool ranked[2][LV_KINDS_MAX + 1];
	uint64_t total;             /* every request (the devices' counts) */
	char keys[256];
};

static unsigned kind_bits(const struct requests *rq)
{
	return rq->kind >= 0 ? 1u << rq->kind : 0;
}


struct row_ctx {
	struct tui_listview *v;
	struct lv_rows *out;
	struct lv_key key;
	int r;
};

static int add_request(void *arg, const struct tdb_request *q)
{
	struct row_ctx *c = arg;
	const struct tdb_device *d = tdb_device_by_id(c->v->t, q->device);
	char seq[24], req[24], dev[TDB_NAME_MAX * 6], qi[16], kind[LV_CELL_MAX], op[LV_CELL_MAX - 32], size[24],
		used[48], irq[48], status[48];
	int64_t jump = q->seq_notify >= 0 ? q->seq_notify : q->seq_avail >= 0 ? q->seq_avail : q->seq_used;

	if (q->seq_notify >= 0)
		snprintf(seq, sizeof(seq), "%" PRId64, q->seq_notify);
	else
		snprintf(seq, sizeof(seq), "-");
	snprintf(req, sizeof(req), "%" PRId64, q->request);
	if (d)
		lv_esc(d->name, dev, sizeof(dev));
	else
		snprintf(dev, sizeof(dev), "device %d", q->device);
	snprintf(qi, sizeof(qi), "%" PRIu32, q->queue);
	/* the request's words as the formatter names a buffer ("blk out") */
	snprintf(kind, sizeof(kind), "%s%s%s", tdb_vocab_name(&tdb_vocab_request_kind, q->kind), q->op ? " " : "",
		 q->op ? lv_esc(q->op, op, sizeof(op)) : "");
	if (q->length_known)
		snprintf(size, sizeof(size), "%" PRIu64, q->length);
	else
		snprintf(size, sizeof(size), "-");
	if (!q->status_known)
		snprintf(status, sizeof(status), "-");
	else if (q->kind == TDB_REQ_BLK)
		snprintf(status, sizeof(status), "%" PRIu32 " %s", q->status,
			 q->status == VIRTIO_BLK_S_OK      ? "OK"
			 : q->status == VIRTIO_BLK_S_IOERR ? "IOERR"
			 : q->status == VIRTIO_BLK_S_UNSUPP ? "UNSUPP"
							    : "?");
	else
		snprintf(status, sizeof(status), "%" PRIu32, q->status);
	const char *cells[C_N] = { seq,
				   req,
				   dev,
				   qi,
				   kind,
				   size,
				   fmt_latency(used, sizeof(used), q->ts_notify, q->ts_used),
				   fmt_latency(irq, sizeof(irq), q->ts_notify, q->ts_irq),
				   status };
	bool bad = q->kind == TDB_REQ_BLK && q->status_known && q->status != VIRTIO_BLK_S_OK;
	c->r = lv_rows_add(c->out, c->key, jump >= 0, (uint64_t)jump, bad ? TUI_A_RED : 0, cells, C_N);
	if (c->r == 0)
		c->out->row[c->out->n - 1].request = q->request;
	return c->r;
}

/* Row for request id (a damaged row says so in its cells). */
static int add_id(struct tui_listview *v, int64_t id, struct lv_key key, struct lv_rows *out)
{
	struct row_ctx c = { .v = v, .out = out, .key = key };
	int r = tdb_request_read(v->t, id, add_request, &c);
	char req[24], msg[LV_CELL_MAX];

	if (r < 0 || c.r)
		return r < 0 ? r : c.r;
	if (r > 0) {
		snprintf(req, sizeof(req), "%" PRId64, id);
		lv_esc(tdb_errmsg(v->t), msg, sizeof(msg));
		const char *cells[C_N] = { "-", req, "-", "-", "damaged", "-", "-", "-", msg };
		return lv_rows_add(out, key, false, 0, 0, cells, C_N);
	}
	return 0;
}

static int fetch(struct tui_listview *v, const struct lv_key *after, enum tdb_direction dir, size_t max,
		 struct lv_rows *out, bool *end)
{
	struct requests *rq = v->priv;
	int r = 0;

	if (rq->sort != SORT_SEQ) {
		int s = rq->sort == SORT_LATENCY ? 0 : 1, k = rq->kind + 1;
		const int64_t *top = rq->top[s][k];
		size_t first, count;
		lv_index_span(top ? rq->n_top[s][k] : 0, after, dir, max, &first, &count, end);
		for (size_t j = 0; j < count && r == 0; j++) {
			size_t i = dir == TDB_FORWARD ? first + j : first - j;
			r = add_id(v, top[i], (struct lv_key){ (int64_t)i, top[i] }, out);
		}
		return r;
	}
	int64_t *ids = malloc(max * sizeof(*ids));
	size_t n = 0;
	if (!ids)
		return -ENOMEM;
	r = tdb_request_ids_page(v->t, kind_bits(rq), after ? after->k1 : dir == TDB_FORWARD ? INT64_MIN : INT64_MAX,
				 dir, ids, max, &n);
	*end = r != 0 || n < max;
	for (size_t i = 0; i < n && r == 0; i++)
		r = add_id(v, ids[i], (struct lv_key){ ids[i], 0 }, out);
	free(ids);
	return r;
}

/* The ids of the latency or size order for the kind shown, unless kept. */
static int rank(struct tui_listview *v)
{
	struct requests *rq = v->priv;
	int s = rq->sort == SORT_LATENCY ? 0 : 1, k = rq->kind + 1;

	if (rq->sort == SORT_SEQ || rq->ranked[s][k])
		return 0;
	if (!rq->top[s][k] && !(rq->top[s][k] = malloc(LV_TOP_MAX * sizeof(int64_t))))
		return -ENOMEM;
	int r = tdb_request_ids_top(v->t, s == 0 ? TDB_RANK_LATENCY : TDB_RANK_SIZE, kind_bits(rq), rq->top[s][k],
				    LV_TOP_MAX, &rq->n_top[s][k], NULL);
	rq->ranked[s][k] = r == 0;
	if (r)
		rq->n_top[s][k] = 0;
	return r;
}

/* The kinds the devices' types make, for a trace with too many requests
 * to count them: a kind's word starts with its type's short name ("net"
 * makes net-tx and net-rx; docs/schema.md's requests.kind). */
static int kinds_of_types(struct tui_listview *v, unsigned *kinds)
{
	struct tdb_device *dev = NULL;
	size_t n = 0;
	int r = tdb_devices_read(v->t, TDB_BY_ID, NULL, &dev, &n);

	*kinds = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct devtype *dt = dev[i].device_id > 0 && dev[i].device_id <= UINT32_MAX
						   ? devtype_find((uint32_t)dev[i].device_id) : NULL;
		if (!dt || !dt->short_name || !dev[i].requests)
			continue;
		size_t len = strlen(dt->short_name);
		for (int k = 0; k < tdb_vocab_request_kind.n && k < LV_KINDS_MAX; k++) {
			const char *w = tdb_vocab_name(&tdb_vocab_request_kind, k);
			if (!strncmp(w, dt->short_name, len) && (w[len] == '\0' || w[len] == '-'))
				*kinds |= 1u << k;
		}
	}
	free(dev);
	return r;
}

static unsigned key(struct tui_listview *v, int k)
{
	struct requests *rq = v->priv;
	int r;

	if (k == 's') {
		rq->sort = (rq->sort + 1) % SORT_N;
	} else if (k == 'f') {
		if (!rq->kinds_read) {
			rq->counted = rq->total <= LV_KINDS_COUNT_MAX;
			r = rq->counted ? tdb_request_kinds(v->t, &rq->kinds, rq->counts) : kinds_of_types(v, &rq->kinds);
			if (r != 0) {
				v->err = r;
				lv_esc(tdb_errmsg(v->t), v->errmsg, sizeof(v->errmsg));
				if (r < 0 && r != -EIO)
					v->fatal = r;
				return LV_KEY_REDRAW;
			}
			rq->kinds_read = true;
		}
		/* the next kind the file has, then every kind again */
		int next = -1;
		for (int i = rq->kind + 1; i < tdb_vocab_request_kind.n && i < LV_KINDS_MAX; i++)
			if (rq->kinds & (1u << i)) {
				next = i;
				break;
			}
		rq->kind = next;
	} else {
		return 0;
	}
	if ((r = rank(v)) != 0) {
		if (r < 0 && r != -EIO)
			v->fatal = r;
		/* the reload's empty list shows no message: keep it for the line */
		lv_esc(tdb_errmsg(v->t), v->errmsg, sizeof(v->errmsg));
	}
	return LV_KEY_RELOAD;
}

/* The order in words: "seq", "latency: the 10000 slowest" (the header
 * says when the list holds only part of the requests). */
static void sort_text(const struct requests *rq, char *buf, size_t len)
{
	int s = rq->sort == SORT_LATENCY ? 0 : 1, k = rq->kind + 1;
	size_t n = rq->n_top[s][k];

	if (rq->sort == SORT_SEQ)
		snprintf(buf, len, "seq");
	else if (n >= LV_TOP_MAX)
		snprintf(buf, len, "%s: the %zu %s", sort_names[rq->sort], n,
			 rq->sort == SORT_LATENCY ? "slowest" : "largest");
	else
		snprintf(buf, len, "%s (%zu %s)", sort_names[rq->sort], n, rq->sort == SORT_LATENCY ? "used" : "sized");
}

static void summary(struct tui_listview *v, char *buf, size_t len)
{
	struct requests *rq = v->priv;
	char kind[64], sort[96];

	if (rq->kind >= 0 && rq->counted)
		snprintf(kind, sizeof(kind), "%s (%" PRIu64 ")", tdb_vocab_name(&tdb_vocab_request_kind, rq->kind),
			 rq->counts[rq->kind]);
	else if (rq->kind >= 0)
		snprintf(kind, sizeof(kind), "%s", tdb_vocab_name(&tdb_vocab_request_kind, rq->kind));
	else
		snprintf(kind, sizeof(kind), "every kind (%" PRIu64 ")", rq->total);
	sort_text(rq, sort, sizeof(sort));
	snprintf(buf, len, "%s, by %s", kind, sort);
}

/* The keys with the order and kind shown: the header line may have no
 * room for them, the status line has. */
static const char *keys(struct tui_listview *v)
{
	struct requests *rq = v->priv;
	char sort[96];

	sort_text(rq, sort, sizeof(sort));
	snprintf(rq->keys, sizeof(rq->keys), "j/k move  s sort: %s  f kind: %s  Enter: go to the notify  Esc back", sort,
		 rq->kind >= 0 ? tdb_vocab_name(&tdb_vocab_request_kind, rq->kind) : "all");
	return rq->keys;
}

static void requests_free(void *p)
{
	struct requests *rq = p;

	if (!rq)
		return;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k <= LV_KINDS_MAX; k++)
			free(rq->top[s][k]);
	free(rq);
}

static const struct lv_ops ops = {
	.cols = cols, .ncols = C_N, .empty = "(no requests: none decoded in this trace, or none of this kind)",
	.fetch = fetch, .key = key, .summary = summary, .keys = keys, .free = requests_free,
};

int lv_requests_open(struct tui_listview *v)
{
	struct requests *rq = calloc(1, sizeof(*rq));
	struct tdb_device *dev = NULL;
	size_t n = 0;

	if (!rq)
		return -ENOMEM;
	rq->kind = -1;
	/* the total from the devices' counts (the read library keeps them:
	 * every device name shown reads them, tdb_device_by_id) */
	if (tdb_devices_read(v->t, TDB_BY_ID, NULL, &dev, &n) == 0)
		for (size_t i = 0; i < n; i++)
			rq->total += dev[i].requests;
	free(dev);
	v->ops = &ops;
	v->priv = rq;
	return 0;
}
