/* See tdb_bufs.h. */
#include "tracedb/tdb_bufs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_links.h"
#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_row.h"
#include "tracedb/tdb_vocab.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)
/* The largest queue a device may offer (QueueNumMax; packed rings: 2^15). */
#define TDB_QUEUE_SIZE_MAX 32768u

/* One row per descriptor, in request then chain order, of the requests
 * the materialized list q names (BUFS_SQL's head).  The end of a chain's
 * buffers is looked up once per request, not per descriptor: its first
 * used entry, or where it has none the end of its queue generation (a
 * reset, QueueReady 0: a buffer the device never filled is not the
 * device's after that).  A request without a chains row or descriptors
 * gives one row of NULLs there and is left out. */
#define BUFS_TAIL                                                                                                   \
	"SELECT q.request, q.device, q.kind, q.op, coalesce(q.used, (SELECT g.seq_end FROM queues g WHERE "         \
	"g.device = c.device AND g.queue = c.queue AND g.generation = c.generation)), c.seq_avail, d.pos, d.addr, " \
	"d.len, d.flags FROM q LEFT JOIN chains c ON c.chain = q.chain LEFT JOIN descriptors d ON d.chain = q.chain " \
	"ORDER BY q.request, d.pos"
#define BUFS_Q                                                                                                      \
	"SELECT r.request, r.device, r.kind, r.op, r.chain, (SELECT min(u.seq) FROM used u WHERE u.chain = r.chain) " \
	"AS used FROM requests r "
/* The requests whose chains were made available in [?1, ?2] (the index
 * chains_avail, then requests_chain). */
static const char BUFS_SQL[] =
	"WITH q AS MATERIALIZED (" BUFS_Q
	"WHERE r.chain IN (SELECT chain FROM chains WHERE seq_avail >= ?1 AND seq_avail <= ?2)) " BUFS_TAIL;
/* The requests whose chains are among the last ?5 that queue ?3 of device
 * ?2, generation ?4, made available before ?1: those still in flight at
 * ?1 are among them (no more than the queue's size are outstanding at
 * once); one seek along the index chains_inflight. */
static const char CARRY_SQL[] =
	"WITH c AS (SELECT chain FROM chains WHERE device = ?2 AND queue = ?3 AND generation = ?4 AND seq_avail < ?1 "
	"ORDER BY seq_avail DESC LIMIT ?5), q AS MATERIALIZED (" BUFS_Q "WHERE r.chain IN (SELECT chain FROM c)) "
	BUFS_TAIL;

/* The request being gathered: its fields and descriptors so far. */
struct gather {
	struct tdb_req_bufs b;
	struct tdb_desc *desc;        /* owned */
	size_t cap;
	char op[256];
	bool bad;                     /* left out */
};

/* Hand the gathered request to fn unless it was left out. */
static int flush(struct gather *g, int (*fn)(void *, const struct tdb_req_bufs *), void *arg)
{
	if (g->b.request < 0 || g->bad || g->b.n_desc == 0)
		return 0;
	g->b.desc = g->desc;
	g->b.op = g->op;
	return fn(arg, &g->b);
}

/* Take row st of request g into g: the request's own columns on its first
 * row, then one descriptor. */
static int take_row(struct tdb *t, sqlite3_stmt *st, struct gather *g, bool first)
{
	int64_t dev, end, avail, pos, addr, len, flags;
	const char *txt;
	int n;

	if (first) {
		g->b.n_desc = 0;
		g->bad = false;
		g->op[0] = '\0';
		if (!tdb_row_int(st, 1, 0, TDB_DEVICE_ID_MAX, false, &dev) || !tdb_device_by_id(t, dev)) {
			g->bad = true;
			return 0;
		}
		g->b.device = (int)dev;
		txt = tdb_row_text(st, 2, &n);
		g->b.kind = txt ? tdb_vocab_parse(&tdb_vocab_request_kind, txt, (size_t)n) : -1;
		if (g->b.kind < 0)
			g->bad = true;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			txt = tdb_row_text(st, 3, &n);
			if (!txt || memchr(txt, '\0', (size_t)n))
				g->bad = true;
			else
				snprintf(g->op, sizeof(g->op), "%.*s", n, txt);
		}
		g->b.end_known = sqlite3_column_type(st, 4) != SQLITE_NULL;
		if (g->b.end_known && !tdb_row_int(st, 4, 0, INT64_MAX, false, &end))
			g->bad = true;
		g->b.end_seq = g->b.end_known ? (uint64_t)end : 0;
		if (!tdb_row_int(st, 5, 0, INT64_MAX, false, &avail))
			g->bad = true; /* no chains row, or not a seq */
		else
			g->b.seq_avail = (uint64_t)avail;
	}
	if (g->bad)
		return 0;
	if (sqlite3_column_type(st, 6) == SQLITE_NULL) {
		g->bad = true; /* no descriptors */
		return 0;
	}
	if (!tdb_row_int(st, 6, 0, TDB_CHAIN_DESC_MAX - 1, false, &pos) ||
	    !tdb_row_int(st, 7, INT64_MIN, INT64_MAX, false, &addr) || !tdb_row_int(st, 8, 0, U32_MAX_I64, false, &len) ||
	    !tdb_row_int(st, 9, 0, UINT16_MAX, false, &flags) || g->b.n_desc == TDB_CHAIN_DESC_MAX) {
		g->bad = true;
		return 0;
	}
	if (g->b.n_desc == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct tdb_desc *nd = realloc(g->desc, cap * sizeof(*nd));
		if (!nd)
			return tdb_fail(t, -ENOMEM, "out of memory");
		g->desc = nd;
		g->cap = cap;
	}
	g->desc[g->b.n_desc++] = (struct tdb_desc){ .pos = (uint32_t)pos, .addr = (uint64_t)addr, .len = (uint32_t)len,
						   .flags = (uint16_t)flags };
	return 0;
}

/* Run st (prepared, bound) and hand each request it gathers to fn. */
static int gather_all(struct tdb *t, sqlite3_stmt *st, int (*fn)(void *arg, const struct tdb_req_bufs *b), void *arg)
{
	struct gather g = { .b.request = -1 };
	int rc = SQLITE_DONE, r = 0;

	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t req;
		if (!tdb_row_int(st, 0, INT64_MIN, INT64_MAX, false, &req))
			continue; /* not a request id: not named */
		bool first = req != g.b.request || g.b.request < 0;
		if (first) {
			r = flush(&g, fn, arg);
			g.b.request = req;
		}
		if (r == 0)
			r = take_row(t, st, &g, first);
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = tdb_sql_fail(t, "reading request buffers");
	if (r == 0)
		r = flush(&g, fn, arg);
	free(g.desc);
	return r;
}

/* fn for the requests still in flight at seq (ending there or later, or
 * never). */
struct in_flight {
	uint64_t seq;
	int (*fn)(void *arg, const struct tdb_req_bufs *b);
	void *arg;
};

static int if_in_flight(void *arg, const struct tdb_req_bufs *b)
{
	struct in_flight *f = arg;

	return b->end_known && b->end_seq < f->seq ? 0 : f->fn(f->arg, b);
}

/* The requests in flight at seq whose chains were made available before
 * it: for each queue generation in force there that had not ended, those
 * of its last size chains made available before seq. */
static int carry_in(struct tdb *t, uint64_t seq, int (*fn)(void *arg, const struct tdb_req_bufs *b), void *arg)
{
	struct tdb_notes *notes = calloc(1, sizeof(*notes));
	struct in_flight f = { seq, fn, arg };
	struct tdb_queue *qs = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int r;

	if (!notes)
		return tdb_fail(t, -ENOMEM, "out of memory");
	/* lenient: a damaged queues row only leaves its buffers unnamed */
	r = tdb_queues_read(t, -1, TDB_QUEUES_AT, seq, notes, &qs, &n);
	free(notes);
	if (r == 0)
		r = tdb_prepare(t, CARRY_SQL, &st, "reading request buffers");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct tdb_queue *q = &qs[i];
		if (q->bad || q->device < 0 || !(q->known & TDB_Q_SIZE) || q->size == 0 ||
		    ((q->known & TDB_Q_SEQ_END) && q->seq_end < seq))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq);
		sqlite3_bind_int(st, 2, q->device);
		sqlite3_bind_int64(st, 3, q->queue);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)q->generation);
		sqlite3_bind_int64(st, 5, q->size > TDB_QUEUE_SIZE_MAX ? TDB_QUEUE_SIZE_MAX : q->size);
		r = gather_all(t, st, if_in_flight, &f);
	}
	sqlite3_finalize(st);
	free(qs);
	return r;
}

int tdb_bufs_each(struct tdb *t, uint64_t from, uint64_t to, int (*fn)(void *arg, const struct tdb_req_bufs *b),
		  void *arg)
{
	sqlite3_stmt *st;
	int r;

	/* from 0: no lower bound, as tdb_requests_each (nothing before it) */
	if (from > 0 && (r = carry_in(t, from, fn, arg)))
		return r;
	if ((r = tdb_prepare(t, BUFS_SQL, &st, "reading request buffers")))
		return r;
	sqlite3_bind_int64(st, 1, from == 0 ? INT64_MIN : from > INT64_MAX ? INT64_MAX : (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, to == 0 || to > INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
	r = gather_all(t, st, fn, arg);
	sqlite3_finalize(st);
	return r;
}
