/* See tdb_bufs.h. */
#include "tracedb/tdb_bufs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_links.h"
#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"
#include "tracedb/tdb_vocab.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

/* One row per descriptor, in request then chain order.  The used entry is
 * looked up once per request (the materialized list), not per descriptor;
 * a request without a chains row or descriptors gives one row of NULLs
 * there and is left out. */
static const char BUFS_SQL[] =
	"WITH q AS MATERIALIZED (SELECT r.request, r.device, r.kind, r.op, r.chain, "
	"(SELECT min(u.seq) FROM used u WHERE u.chain = r.chain) AS used "
	"FROM requests r WHERE r.seq_notify >= ?1 AND r.seq_notify <= ?2 AND r.chain IS NOT NULL) "
	"SELECT q.request, q.device, q.kind, q.op, q.used, c.seq_avail, d.pos, d.addr, d.len, d.flags "
	"FROM q LEFT JOIN chains c ON c.chain = q.chain LEFT JOIN descriptors d ON d.chain = q.chain "
	"ORDER BY q.request, d.pos";

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
	int64_t dev, used, avail, pos, addr, len, flags;
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
		g->b.used_known = sqlite3_column_type(st, 4) != SQLITE_NULL;
		if (g->b.used_known && !tdb_row_int(st, 4, 0, INT64_MAX, false, &used))
			g->bad = true;
		g->b.used_seq = g->b.used_known ? (uint64_t)used : 0;
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

int tdb_bufs_each(struct tdb *t, uint64_t from, uint64_t to, int (*fn)(void *arg, const struct tdb_req_bufs *b),
		  void *arg)
{
	struct gather g = { .b.request = -1 };
	sqlite3_stmt *st;
	int rc, r;

	if ((r = tdb_prepare(t, BUFS_SQL, &st, "reading request buffers")))
		return r;
	/* from 0: no lower bound, as tdb_requests_each */
	sqlite3_bind_int64(st, 1, from == 0 ? INT64_MIN : from > INT64_MAX ? INT64_MAX : (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, to == 0 || to > INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
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
	if (r == 0 && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading request buffers");
	if (r == 0)
		r = flush(&g, fn, arg);
	sqlite3_finalize(st);
	free(g.desc);
	return r;
}
