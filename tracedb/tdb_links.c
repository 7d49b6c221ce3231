/* Violations, anomalies, chains, requests and the links between them and
 * the events (tdb_links.h). */
#include "tracedb/tdb_links.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

static const char *text_or_empty(sqlite3_stmt *st, int i)
{
	int n;
	const char *s = tdb_row_text(st, i, &n);

	return s ? s : "";
}

static sqlite3_int64 seq_param(uint64_t seq)
{
	return seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq;
}

/* Walk the violations rows st (statement id) returns (seq, device,
 * severity, rule, message, section, actor), and give st back.  With next
 * (tdb_violations_at), column 7 says whether the row is at the seq asked
 * for: the walk ends at the first row that is not, and *next becomes its
 * seq if that is an integer, INT64_MAX if no row follows (-1 otherwise, or
 * if fn stopped the walk). */
static int walk_violations(struct tdb *t, enum tdb_stmt_id id, sqlite3_stmt *st, int64_t *next,
			   int (*fn)(void *, const struct tdb_violation *), void *arg)
{
	char a[48];
	int rc, r = 0;

	if (next)
		*next = -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tdb_violation v;
		int64_t seq, dev;
		int n;
		const char *s;

		if (next && !sqlite3_column_int(st, 7)) {
			if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
				*next = sqlite3_column_int64(st, 0);
			break;
		}
		if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &seq)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "violations row seq %s: not a sequence number",
				     tdb_row_shown(st, 0, a, sizeof(a)));
			break;
		}
		v.seq = (uint64_t)seq;
		v.device = tdb_row_int(st, 1, 0, TDB_DEVICE_ID_MAX, false, &dev) ? (int)dev : -1;
		v.severity_text = text_or_empty(st, 2);
		v.rule = text_or_empty(st, 3);
		v.message = text_or_empty(st, 4);
		v.section = text_or_empty(st, 5);
		v.actor_text = text_or_empty(st, 6);
		s = tdb_row_text(st, 2, &n);
		v.severity = tdb_vocab_parse(&tdb_vocab_severity, s, (size_t)n);
		s = tdb_row_text(st, 6, &n);
		v.actor = tdb_vocab_parse(&tdb_vocab_actor, s, (size_t)n);
		if (fn(arg, &v))
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading violations");
	if (next && r == 0 && rc == SQLITE_DONE)
		*next = INT64_MAX;
	tdb_stmt_put(t, id, st);
	return r;
}

#define VIOLATION_COLS "SELECT seq, device, severity, rule, message, section, actor FROM violations "

int tdb_violations_at(struct tdb *t, uint64_t seq, int (*fn)(void *arg, const struct tdb_violation *v), void *arg)
{
	sqlite3_int64 at = seq_param(seq);
	int64_t next;
	sqlite3_stmt *st;
	int r;

	/* Callers ask at every event in turn (show): a seq inside the gap the
	 * last call found between violations has none, without a query. */
	if (at >= t->viol_gap_lo && at < t->viol_gap_hi)
		return 0;
	/* The rows "seq = ?1" selects, in rowid order, come first in the
	 * index violations_seq (seq, rowid) from ?1 on; the row after them
	 * is the next violation, so the gap up to it is known. */
	if ((r = tdb_stmt_get(t, TDB_ST_VIOLATIONS_AT,
			      "SELECT seq, device, severity, rule, message, section, actor, seq = ?1 FROM violations "
			      "WHERE seq >= ?1 ORDER BY seq, rowid", &st, "reading violations")))
		return r;
	sqlite3_bind_int64(st, 1, at);
	r = walk_violations(t, TDB_ST_VIOLATIONS_AT, st, &next, fn, arg);
	if (r == 0 && next > at && at < INT64_MAX) {
		t->viol_gap_lo = at + 1;
		t->viol_gap_hi = next;
	}
	return r;
}

int tdb_violations_first(struct tdb *t, unsigned max, int (*fn)(void *arg, const struct tdb_violation *v), void *arg)
{
	sqlite3_stmt *st;
	int r;

	/* Sequence numbers first, then text (damaged) ones, as the
	 * violations_in_order view sorts them. */
	if ((r = tdb_stmt_get(t, TDB_ST_VIOLATIONS_FIRST, VIOLATION_COLS "ORDER BY seq, rowid LIMIT ?1", &st,
			      "reading violations")))
		return r;
	sqlite3_bind_int64(st, 1, max);
	return walk_violations(t, TDB_ST_VIOLATIONS_FIRST, st, NULL, fn, arg);
}

static int count_rows(struct tdb *t, const char *sql, uint64_t *n)
{
	sqlite3_stmt *st;
	int r;

	*n = 0;
	if ((r = tdb_prepare(t, sql, &st, "counting rows")))
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = tdb_sql_fail(t, "counting rows");
	sqlite3_finalize(st);
	return r;
}

int tdb_violations_count(struct tdb *t, uint64_t *violations, uint64_t *anomalies)
{
	int r = count_rows(t, "SELECT count(*) FROM violations", violations);

	*anomalies = 0;
	if (r == 0 && t->has_anomalies)
		r = count_rows(t, "SELECT count(*) FROM anomalies", anomalies);
	return r;
}

/* Most anomalies rows whose seqs tdb_anomalies_at keeps (8 MiB). */
#define ANOMALY_SEQS_MAX (1u << 20)

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Read the seq of every anomalies row once (t->anom_seq). Returns 0 or
 * -ENOMEM; a table it cannot keep leaves anom_state -1. */
static int anomaly_seqs(struct tdb *t)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = SQLITE_DONE;

	t->anom_state = -1;
	if (tdb_stmt_get(t, TDB_ST_ANOMALY_SEQS, "SELECT seq FROM anomalies", &st, "reading anomalies"))
		return 0; /* tdb_anomalies_at's own query says why */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* "seq = ?1" with an integer matches integers (and reals equal
		 * to one): keep only tables of integer seqs */
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || t->n_anom_seq == ANOMALY_SEQS_MAX)
			break;
		if (t->n_anom_seq == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			int64_t *ns = realloc(t->anom_seq, ncap * sizeof(*ns));
			if (!ns) {
				tdb_stmt_put(t, TDB_ST_ANOMALY_SEQS, st);
				return tdb_fail(t, -ENOMEM, "out of memory");
			}
			t->anom_seq = ns;
			cap = ncap;
		}
		t->anom_seq[t->n_anom_seq++] = sqlite3_column_int64(st, 0);
	}
	tdb_stmt_put(t, TDB_ST_ANOMALY_SEQS, st);
	if (rc != SQLITE_DONE) {
		free(t->anom_seq);
		t->anom_seq = NULL;
		t->n_anom_seq = 0;
		return 0;
	}
	if (t->n_anom_seq)
		qsort(t->anom_seq, t->n_anom_seq, sizeof(t->anom_seq[0]), cmp_i64);
	t->anom_state = 1;
	return 0;
}

int tdb_anomalies_at(struct tdb *t, uint64_t seq, int (*fn)(void *arg, const struct tdb_anomaly *a), void *arg)
{
	sqlite3_stmt *st;
	int rc, r;

	if (!t->has_anomalies)
		return 0;
	/* Callers ask at every event (show): the table has no index on seq,
	 * so its seqs are read once and a seq without a row costs no scan. */
	if (t->anom_state == 0 && (r = anomaly_seqs(t)))
		return r;
	if (t->anom_state == 1) {
		int64_t at = seq_param(seq);
		if (!t->n_anom_seq || !bsearch(&at, t->anom_seq, t->n_anom_seq, sizeof(t->anom_seq[0]), cmp_i64))
			return 0;
	}
	if ((r = tdb_stmt_get(t, TDB_ST_ANOMALIES_AT,
			      "SELECT seq, device, queue, rule, message FROM anomalies WHERE seq = ?1 ORDER BY rowid", &st,
			      "reading anomalies")))
		return r;
	sqlite3_bind_int64(st, 1, seq_param(seq));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tdb_anomaly a;
		int64_t x;
		a.seq = seq;
		a.device = tdb_row_int(st, 1, 0, TDB_DEVICE_ID_MAX, false, &x) ? (int)x : -1;
		a.queue = tdb_row_int(st, 2, 0, U32_MAX_I64, false, &x) ? x : -1;
		a.rule = text_or_empty(st, 3);
		a.message = text_or_empty(st, 4);
		if (fn(arg, &a))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading anomalies");
	tdb_stmt_put(t, TDB_ST_ANOMALIES_AT, st);
	return r;
}

void tdb_chain_clear(struct tdb_chain *c)
{
	free(c->desc);
	c->desc = NULL;
	c->n_desc_read = 0;
}

static int read_descriptors(struct tdb *t, struct tdb_chain *c)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	char a[48];
	int rc, r;

	if ((r = tdb_stmt_get(t, TDB_ST_DESCRIPTORS, "SELECT pos, idx, addr, len, flags, next, in_indirect FROM descriptors "
			      "WHERE chain = ?1 ORDER BY pos", &st, "reading descriptors")))
		return r;
	sqlite3_bind_int64(st, 1, c->chain);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t pos, idx, addr, len, flags, next, ind;
		if (!tdb_row_int(st, 0, 0, TDB_CHAIN_DESC_MAX - 1, false, &pos) ||
		    !tdb_row_int(st, 1, 0, U32_MAX_I64, false, &idx) || !tdb_row_int(st, 2, INT64_MIN, INT64_MAX, false, &addr) ||
		    !tdb_row_int(st, 3, 0, U32_MAX_I64, false, &len) || !tdb_row_int(st, 4, 0, UINT16_MAX, false, &flags) ||
		    !tdb_row_int(st, 5, 0, U32_MAX_I64, false, &next) || !tdb_row_int(st, 6, 0, 1, false, &ind)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "descriptors row chain %lld pos %s: not a descriptor",
				     (long long)c->chain, tdb_row_shown(st, 0, a, sizeof(a)));
			break;
		}
		if (c->n_desc_read == TDB_CHAIN_DESC_MAX) {
			r = tdb_fail(t, TDB_E_TOO_MANY, "chain %lld: more than %d descriptors", (long long)c->chain,
				     TDB_CHAIN_DESC_MAX);
			break;
		}
		if (c->n_desc_read == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct tdb_desc *nd = realloc(c->desc, ncap * sizeof(*nd));
			if (!nd) {
				r = tdb_fail(t, -ENOMEM, "out of memory");
				break;
			}
			c->desc = nd;
			cap = ncap;
		}
		c->desc[c->n_desc_read++] = (struct tdb_desc){ .pos = (uint32_t)pos, .idx = (uint32_t)idx,
							      .len = (uint32_t)len, .next = (uint32_t)next,
							      .addr = (uint64_t)addr, .flags = (uint16_t)flags,
							      .in_indirect = ind != 0 };
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading descriptors");
	tdb_stmt_put(t, TDB_ST_DESCRIPTORS, st);
	return r;
}

static int read_used(struct tdb *t, struct tdb_chain *c)
{
	sqlite3_stmt *st;
	int64_t seq, idx, len;
	int rc, r;

	if ((r = tdb_stmt_get(t, TDB_ST_USED, "SELECT seq, used_idx, len FROM used WHERE chain = ?1 ORDER BY seq LIMIT 1",
			      &st, "reading used")))
		return r;
	sqlite3_bind_int64(st, 1, c->chain);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &seq) || !tdb_row_int(st, 1, 0, U32_MAX_I64, false, &idx) ||
		    !tdb_row_int(st, 2, 0, U32_MAX_I64, false, &len)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "used row chain %lld: not a used entry", (long long)c->chain);
		} else {
			c->used_known = true;
			c->used_seq = (uint64_t)seq;
			c->used_idx = (uint32_t)idx;
			c->used_len = (uint32_t)len;
		}
	} else if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading used");
	}
	tdb_stmt_put(t, TDB_ST_USED, st);
	return r;
}

int tdb_chain_read(struct tdb *t, int64_t chain, struct tdb_chain *c)
{
	sqlite3_stmt *st;
	int64_t v[11];
	int rc, r, n;

	memset(c, 0, sizeof(*c));
	c->chain = chain;
	if ((r = tdb_stmt_get(t, TDB_ST_CHAIN, "SELECT device, queue, generation, avail_idx, head, seq_avail, n_desc, indirect, "
			      "readable, writable, memory FROM chains WHERE chain = ?1", &st, "reading chains")))
		return r;
	sqlite3_bind_int64(st, 1, chain);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		static const int64_t range[10][2] = {
			{ 0, TDB_DEVICE_ID_MAX }, { 0, U32_MAX_I64 }, { 0, INT64_MAX }, { 0, U32_MAX_I64 }, { 0, U32_MAX_I64 },
			{ 0, INT64_MAX }, { 0, TDB_CHAIN_DESC_MAX }, { 0, 1 }, { 0, INT64_MAX }, { 0, INT64_MAX },
		};
		const char *mem = tdb_row_text(st, 10, &n);
		for (int i = 0; i < 10 && r == 0; i++)
			if (!tdb_row_int(st, i, range[i][0], range[i][1], false, &v[i]))
				r = TDB_E_DAMAGED_ROW;
		c->memory = tdb_vocab_parse(&tdb_vocab_chain_memory, mem, (size_t)n);
		if (r || c->memory < 0) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "chains row chain %lld: not a chain", (long long)chain);
		} else {
			c->device = (int)v[0];
			c->queue = (uint32_t)v[1];
			c->generation = (uint64_t)v[2];
			c->avail_idx = (uint32_t)v[3];
			c->head = (uint32_t)v[4];
			c->seq_avail = (uint64_t)v[5];
			c->n_desc = (uint32_t)v[6];
			c->indirect = v[7] != 0;
			c->readable = (uint64_t)v[8];
			c->writable = (uint64_t)v[9];
		}
	} else if (rc == SQLITE_DONE) {
		r = tdb_fail(t, TDB_E_NOT_FOUND, "no chain %lld", (long long)chain);
	} else {
		r = tdb_sql_fail(t, "reading chains");
	}
	tdb_stmt_put(t, TDB_ST_CHAIN, st);
	if (r == 0)
		r = read_descriptors(t, c);
	if (r == 0)
		r = read_used(t, c);
	if (r)
		tdb_chain_clear(c); /* a damaged descriptor after others: nothing left to free */
	return r;
}

#define REQUEST_COLS                                                                                                \
	"SELECT r.request, r.device, r.queue, r.chain, r.kind, r.op, r.sector, r.length, r.status, r.digest, "     \
	"r.seq_notify, r.seq_used, r.seq_irq, r.ts_notify, r.ts_used, r.ts_irq, r.data, c.seq_avail "              \
	"FROM requests r LEFT JOIN chains c ON c.chain = r.chain "

/* Walk the requests rows st (statement id; TDB_ST_N: not cached) returns,
 * and give st back. */
/* Row st of REQUEST_COLS into *q (its pointers valid until st moves on):
 * 0, or TDB_E_DAMAGED_ROW with tdb_errmsg naming the row and column. */
static int read_request(struct tdb *t, sqlite3_stmt *st, struct tdb_request *q)
{
	char a[48];
	int64_t x[6], opt[9];
	int n;

	memset(q, 0, sizeof(*q));
	if (!tdb_row_int(st, 0, INT64_MIN, INT64_MAX, false, &x[0]))
		return tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row request %s: not an integer",
				tdb_row_shown(st, 0, a, sizeof(a)));
	if (!tdb_row_int(st, 1, 0, TDB_DEVICE_ID_MAX, false, &x[1]) || !tdb_device_by_id(t, x[1]))
		return tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row request %lld: device %s is not in the devices table",
				(long long)x[0], tdb_row_shown(st, 1, a, sizeof(a)));
	if (!tdb_row_int(st, 2, 0, U32_MAX_I64, false, &x[2]) || !tdb_row_int(st, 3, INT64_MIN, INT64_MAX, true, &x[3]))
		return tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row request %lld: queue %s", (long long)x[0],
				tdb_row_shown(st, 2, a, sizeof(a)));
	if (!tdb_row_null(st, 16) && sqlite3_column_type(st, 16) != SQLITE_BLOB)
		return tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row request %lld: data is %s, not a blob", (long long)x[0],
				tdb_row_shown(st, 16, a, sizeof(a)));
	const char *kind = tdb_row_text(st, 4, &n);
	q->kind = tdb_vocab_parse(&tdb_vocab_request_kind, kind, (size_t)n);
	/* sector, length, status, seq_*, ts_*: NULL allowed */
	static const int cols[9] = { 6, 7, 8, 10, 11, 12, 13, 14, 15 };
	bool ok = q->kind >= 0;
	for (int i = 0; i < 9 && ok; i++)
		ok = tdb_row_int(st, cols[i], i == 0 ? INT64_MIN : 0, INT64_MAX, true, &opt[i]);
	if (!ok) {
		static const char *const names[9] = { "sector", "length", "status", "seq_notify", "seq_used",
						      "seq_irq", "ts_notify", "ts_used", "ts_irq" };
		int i = 0;
		while (i < 9 && tdb_row_int(st, cols[i], i == 0 ? INT64_MIN : 0, INT64_MAX, true, NULL))
			i++;
		if (q->kind < 0)
			return tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row request %lld: kind %s", (long long)x[0],
					tdb_row_shown(st, 4, a, sizeof(a)));
		return tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row request %lld: %s %s", (long long)x[0],
				names[i < 9 ? i : 0], tdb_row_shown(st, cols[i < 9 ? i : 0], a, sizeof(a)));
	}
	q->request = x[0];
	q->device = (int)x[1];
	q->queue = (uint32_t)x[2];
	q->chain = tdb_row_null(st, 3) ? -1 : x[3];
	q->op = tdb_row_text(st, 5, &n);
	q->sector_known = !tdb_row_null(st, 6);
	q->sector = (uint64_t)opt[0];
	q->length_known = !tdb_row_null(st, 7);
	q->length = (uint64_t)opt[1];
	q->status_known = !tdb_row_null(st, 8);
	q->status = (uint32_t)opt[2];
	q->digest = tdb_row_text(st, 9, &n);
	q->seq_notify = tdb_row_null(st, 10) ? -1 : opt[3];
	q->seq_used = tdb_row_null(st, 11) ? -1 : opt[4];
	q->seq_irq = tdb_row_null(st, 12) ? -1 : opt[5];
	q->ts_notify = tdb_row_null(st, 13) ? -1 : opt[6];
	q->ts_used = tdb_row_null(st, 14) ? -1 : opt[7];
	q->ts_irq = tdb_row_null(st, 15) ? -1 : opt[8];
	if (sqlite3_column_type(st, 16) == SQLITE_BLOB) {
		q->data = sqlite3_column_blob(st, 16);
		q->data_len = (size_t)sqlite3_column_bytes(st, 16);
	}
	q->seq_avail = tdb_row_int(st, 17, 0, INT64_MAX, false, &x[4]) ? x[4] : -1;
	return 0;
}

static int walk_requests(struct tdb *t, enum tdb_stmt_id id, sqlite3_stmt *st,
			 int (*fn)(void *, const struct tdb_request *), void *arg, bool *any)
{
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tdb_request q;
		if ((r = read_request(t, st, &q)))
			break;
		if (any)
			*any = true;
		if (fn(arg, &q))
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading requests");
	tdb_stmt_put(t, id, st);
	return r;
}

struct tdb_req_cursor {
	struct tdb *t;
	sqlite3_stmt *st;
	int col;
};

int tdb_req_cursor_open(struct tdb *t, enum tdb_req_at col, uint64_t from, uint64_t to, struct tdb_req_cursor **out)
{
	static const char *const sql[] = {
		[TDB_REQ_AT_NOTIFY] = REQUEST_COLS "WHERE r.seq_notify >= ?1 AND r.seq_notify <= ?2 "
						   "ORDER BY r.seq_notify, r.request",
		[TDB_REQ_AT_USED] = REQUEST_COLS "WHERE r.seq_used >= ?1 AND r.seq_used <= ?2 ORDER BY r.seq_used, r.request",
		[TDB_REQ_AT_IRQ] = REQUEST_COLS "WHERE r.seq_irq >= ?1 AND r.seq_irq <= ?2 ORDER BY r.seq_irq, r.request",
	};
	struct tdb_req_cursor *c;
	int r;

	*out = NULL;
	if ((unsigned)col > TDB_REQ_AT_IRQ)
		return tdb_fail(t, -EINVAL, "tdb_req_cursor_open: no such column %d", (int)col);
	if (!(c = calloc(1, sizeof(*c))))
		return tdb_fail(t, -ENOMEM, "out of memory");
	c->t = t;
	c->col = 10 + (int)col; /* seq_notify, seq_used, seq_irq */
	if ((r = tdb_prepare(t, sql[col], &c->st, "reading requests"))) {
		free(c);
		return r;
	}
	sqlite3_bind_int64(c->st, 1, seq_param(from));
	sqlite3_bind_int64(c->st, 2, to == 0 ? INT64_MAX : seq_param(to));
	*out = c;
	return 0;
}

int tdb_req_cursor_next(struct tdb_req_cursor *c, struct tdb_request *q, int64_t *seq)
{
	int rc = sqlite3_step(c->st);

	if (rc == SQLITE_DONE)
		return TDB_END;
	if (rc != SQLITE_ROW)
		return tdb_sql_fail(c->t, "reading requests");
	*seq = sqlite3_column_int64(c->st, c->col);
	return read_request(c->t, c->st, q);
}

void tdb_req_cursor_close(struct tdb_req_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->st);
	free(c);
}

int tdb_requests_each(struct tdb *t, int device, uint64_t from, uint64_t to,
		      int (*fn)(void *arg, const struct tdb_request *r), void *arg)
{
	return tdb_requests_of_kinds(t, device, 0, from, to, fn, arg);
}

int tdb_requests_of_kinds(struct tdb *t, int device, unsigned kinds, uint64_t from, uint64_t to,
			  int (*fn)(void *arg, const struct tdb_request *r), void *arg)
{
	sqlite3_str *q = sqlite3_str_new(t->db);
	sqlite3_stmt *st;
	const char *sep = "";
	char *sql;
	int r;

	/* Only the terms asked for, each a plain one (no "?2 = 0 OR"), so the
	 * planner can take a closed seq range along requests_notify (an open
	 * one it reads in request order, every request); with a range the
	 * device is a test ("+"), not the index of all its requests. */
	sqlite3_str_appendall(q, REQUEST_COLS "WHERE 1");
	if (device >= 0)
		sqlite3_str_appendall(q, to ? " AND +r.device = ?1" : " AND r.device = ?1");
	if (to)
		sqlite3_str_appendall(q, " AND r.seq_notify >= ?2 AND r.seq_notify <= ?3");
	else if (from)
		sqlite3_str_appendall(q, " AND r.seq_notify >= ?2");
	if (kinds) {
		sqlite3_str_appendall(q, " AND r.kind IN (");
		for (int k = 0; k < tdb_vocab_request_kind.n; k++) {
			if (kinds & (1u << k)) {
				sqlite3_str_appendf(q, "%s%Q", sep, tdb_vocab_name(&tdb_vocab_request_kind, k));
				sep = ", ";
			}
		}
		sqlite3_str_appendf(q, "%s)", *sep ? "" : "NULL");
	}
	sqlite3_str_appendall(q, " ORDER BY r.request");
	if (!(sql = sqlite3_str_finish(q)))
		return tdb_fail(t, -ENOMEM, "out of memory");
	r = tdb_prepare(t, sql, &st, "reading requests");
	sqlite3_free(sql);
	if (r)
		return r;
	sqlite3_bind_int(st, 1, device);
	/* from 0: no lower bound (to's range then also holds what the file
	 * has below 0) */
	sqlite3_bind_int64(st, 2, from ? seq_param(from) : INT64_MIN);
	sqlite3_bind_int64(st, 3, seq_param(to));
	return walk_requests(t, TDB_ST_N, st, fn, arg, NULL);
}

int tdb_request_read(struct tdb *t, int64_t request, int (*fn)(void *arg, const struct tdb_request *r), void *arg)
{
	sqlite3_stmt *st;
	bool any = false;
	int r;

	if ((r = tdb_stmt_get(t, TDB_ST_REQUEST, REQUEST_COLS "WHERE r.request = ?1", &st, "reading requests")))
		return r;
	sqlite3_bind_int64(st, 1, request);
	r = walk_requests(t, TDB_ST_REQUEST, st, fn, arg, &any);
	if (r == 0 && !any)
		r = tdb_fail(t, TDB_E_NOT_FOUND, "no request %lld", (long long)request);
	return r;
}

int tdb_event_links(struct tdb *t, uint64_t seq, struct tdb_event_links *out)
{
	sqlite3_stmt *st;
	int rc, r;

	out->chain = out->request = -1;
	if ((r = tdb_stmt_get(t, TDB_ST_EVENT_LINKS,
			     "SELECT (SELECT chain FROM chains WHERE seq_avail = ?1 "
			     "        UNION ALL SELECT chain FROM used WHERE seq = ?1 AND chain IS NOT NULL LIMIT 1), "
			     "(SELECT request FROM requests WHERE seq_notify = ?1 OR seq_used = ?1 OR seq_irq = ?1 "
			     "        OR chain IN (SELECT chain FROM chains WHERE seq_avail = ?1) ORDER BY request LIMIT 1)",
			     &st, "reading chains and requests")))
		return r;
	sqlite3_bind_int64(st, 1, seq_param(seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t x;
		if (tdb_row_int(st, 0, INT64_MIN, INT64_MAX, false, &x))
			out->chain = x;
		if (tdb_row_int(st, 1, INT64_MIN, INT64_MAX, false, &x))
			out->request = x;
	} else {
		r = tdb_sql_fail(t, "reading chains and requests");
	}
	tdb_stmt_put(t, TDB_ST_EVENT_LINKS, st);
	return r;
}
