/* Nearest related events by indexed lookups (tdb_nav.h). */
#include "tracedb/tdb_nav.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tracedb/tdb_links.h"
#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"
#include "tracedb/tdb_vocab.h"

static sqlite3_int64 seq_param(uint64_t seq)
{
	return seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq;
}

/* The file's text of column i into buf, "" if it is not text. */
static void copy_text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	int n;
	const char *s = tdb_row_text(st, i, &n);

	snprintf(buf, len, "%.*s", s ? n : 0, s ? s : "");
}

int tdb_status_change_near(struct tdb *t, int device, uint64_t seq, enum tdb_direction dir,
			   struct tdb_status_change *out)
{
	sqlite3_stmt *st;
	char a[48];
	int rc, r;

	memset(out, 0, sizeof(*out));
	if ((dir == TDB_FORWARD && seq >= INT64_MAX) || (dir == TDB_BACKWARD && seq == 0))
		return TDB_END;
	/* status_changes' key is seq: one b-tree step, then a walk over other
	 * devices' changes only (a handful per device) */
	if ((r = tdb_prepare(t,
			     dir == TDB_FORWARD
				     ? "SELECT seq, device, old, new, kind, names FROM status_changes WHERE seq > ?1 "
				       "AND (?2 < 0 OR device = ?2) ORDER BY seq ASC LIMIT 1"
				     : "SELECT seq, device, old, new, kind, names FROM status_changes WHERE seq < ?1 "
				       "AND (?2 < 0 OR device = ?2) ORDER BY seq DESC LIMIT 1",
			     &st, "reading status_changes")))
		return r;
	sqlite3_bind_int64(st, 1, seq_param(seq));
	sqlite3_bind_int(st, 2, device);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t s, d, o, n;
		if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &s) || !tdb_row_int(st, 1, 0, TDB_DEVICE_ID_MAX, false, &d) ||
		    !tdb_row_int(st, 2, 0, UINT32_MAX, false, &o) || !tdb_row_int(st, 3, 0, UINT32_MAX, false, &n)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "status_changes row seq %s: not a status change",
				     tdb_row_shown(st, 0, a, sizeof(a)));
		} else {
			out->seq = (uint64_t)s;
			out->device = (int)d;
			out->old_status = (uint32_t)o;
			out->new_status = (uint32_t)n;
			copy_text(st, 4, out->kind, sizeof(out->kind));
			copy_text(st, 5, out->names, sizeof(out->names));
		}
	} else if (rc == SQLITE_DONE) {
		r = TDB_END;
	} else {
		r = tdb_sql_fail(t, "reading status_changes");
	}
	sqlite3_finalize(st);
	return r;
}

int tdb_device_event_near(struct tdb *t, const struct tdb_near *q, uint64_t seq, enum tdb_direction dir, uint64_t span,
			  uint64_t *out)
{
	sqlite3_stmt *st;
	const char *type = q->type > 0 ? tdb_vocab_name(&tdb_vocab_event_type, q->type) : NULL;
	const char *dirs = q->dir == VMT_DIR_READ ? "R" : q->dir == VMT_DIR_WRITE ? "W" : NULL;
	sqlite3_int64 at = seq_param(seq), end;
	char a[48];
	int rc, r;

	*out = 0;
	if (q->device < 0 || q->device > TDB_DEVICE_ID_MAX)
		return tdb_fail(t, -EINVAL, "tdb_device_event_near: device %d", q->device);
	if ((dir == TDB_FORWARD && at >= INT64_MAX) || (dir == TDB_BACKWARD && at == 0))
		return TDB_END;
	if (dir == TDB_FORWARD)
		end = span && (uint64_t)(INT64_MAX - at) > span ? at + (sqlite3_int64)span : INT64_MAX;
	else
		end = span && (uint64_t)at > span ? at - (sqlite3_int64)span : 0;
	/* "device = ?1" with a seq range walks the partial index
	 * events_device (device, seq) from seq on: only device's events */
	if ((r = tdb_prepare(t,
			     dir == TDB_FORWARD
				     ? "SELECT seq FROM events WHERE device = ?1 AND seq > ?2 AND seq <= ?3 "
				       "AND (?4 IS NULL OR type = ?4) AND (?5 IS NULL OR reg = ?5) AND (?6 IS NULL OR dir = ?6) "
				       "AND (?7 IS NULL OR value = ?7) ORDER BY seq ASC LIMIT 1"
				     : "SELECT seq FROM events WHERE device = ?1 AND seq < ?2 AND seq >= ?3 "
				       "AND (?4 IS NULL OR type = ?4) AND (?5 IS NULL OR reg = ?5) AND (?6 IS NULL OR dir = ?6) "
				       "AND (?7 IS NULL OR value = ?7) ORDER BY seq DESC LIMIT 1",
			     &st, "reading events")))
		return r;
	sqlite3_bind_int(st, 1, q->device);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int64(st, 3, end);
	if (type)
		sqlite3_bind_text(st, 4, type, -1, SQLITE_STATIC);
	if (q->reg)
		sqlite3_bind_text(st, 5, q->reg, -1, SQLITE_TRANSIENT);
	if (dirs)
		sqlite3_bind_text(st, 6, dirs, -1, SQLITE_STATIC);
	if (q->has_value)
		sqlite3_bind_int64(st, 7, q->value > INT64_MAX ? -1 : (sqlite3_int64)q->value);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t s;
		if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &s))
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "events row seq %s: not a sequence number",
				     tdb_row_shown(st, 0, a, sizeof(a)));
		else
			*out = (uint64_t)s;
	} else if (rc == SQLITE_DONE) {
		r = TDB_END;
	} else {
		r = tdb_sql_fail(t, "reading events");
	}
	sqlite3_finalize(st);
	return r;
}

int tdb_chain_steps(struct tdb *t, int64_t chain, uint64_t from, uint64_t to, uint64_t *seqs, size_t max, size_t *n)
{
	sqlite3_stmt *st;
	int rc, r;

	*n = 0;
	if (!t->has_device_steps || from > to || max == 0)
		return 0;
	if (max > TDB_CHAIN_STEPS_MAX)
		max = TDB_CHAIN_STEPS_MAX;
	/* device_steps' key is seq: the range is walked, not the table */
	if ((r = tdb_prepare(t, "SELECT seq FROM device_steps WHERE seq >= ?1 AND seq <= ?2 AND chain = ?3 ORDER BY seq LIMIT ?4",
			     &st, "reading the device's reports")))
		return r;
	sqlite3_bind_int64(st, 1, seq_param(from));
	sqlite3_bind_int64(st, 2, seq_param(to));
	sqlite3_bind_int64(st, 3, chain);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t s;
		if (tdb_row_int(st, 0, 0, INT64_MAX, false, &s))
			seqs[(*n)++] = (uint64_t)s;
	}
	if (rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading the device's reports");
	sqlite3_finalize(st);
	return r;
}

/* A column searched in key order: "SELECT key, value[, more] FROM ...
 * WHERE key >= ?1 ... ORDER BY key LIMIT 1" prepared, with the keys'
 * range (each end its own subquery: SQLite reads one b-tree end for a
 * lone min() or max(), but scans for both in one SELECT). */
struct ordered {
	sqlite3_stmt *st;
	int64_t lo, hi;
	bool empty;
};

static int ordered_open(struct tdb *t, struct ordered *o, const char *range_sql, const char *probe_sql)
{
	sqlite3_stmt *st;
	int r;

	memset(o, 0, sizeof(*o));
	o->empty = true;
	if ((r = tdb_prepare(t, range_sql, &st, "reading links")))
		return r;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
	    sqlite3_column_type(st, 1) == SQLITE_INTEGER) {
		o->lo = sqlite3_column_int64(st, 0);
		o->hi = sqlite3_column_int64(st, 1);
		o->empty = o->lo > o->hi;
	}
	sqlite3_finalize(st);
	if (o->empty)
		return 0;
	return tdb_prepare(t, probe_sql, &o->st, "reading links");
}

static void ordered_close(struct ordered *o)
{
	sqlite3_finalize(o->st);
	o->st = NULL;
}

/* The first row at or after key: 1 with *k and *v (v not an integer: a
 * row the decoder did not write, *v_ok false), 0 none, or an error. */
static int probe(struct tdb *t, struct ordered *o, int64_t key, int64_t *k, int64_t *v, bool *v_ok)
{
	int rc;

	sqlite3_reset(o->st);
	sqlite3_bind_int64(o->st, 1, key);
	rc = sqlite3_step(o->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return tdb_sql_fail(t, "reading links");
	*k = sqlite3_column_int64(o->st, 0);
	*v_ok = sqlite3_column_type(o->st, 0) == SQLITE_INTEGER && sqlite3_column_type(o->st, 1) == SQLITE_INTEGER;
	*v = sqlite3_column_int64(o->st, 1);
	return 1;
}

/* The first row whose value is target, values rising with the key:
 * 1 with *key (the statement stays on that row), 0 none. f(x), the
 * value of the first row at or after key x, rises with x: the smallest
 * x with f(x) >= target is found in at most 64 probes. */
static int lower_bound(struct tdb *t, struct ordered *o, int64_t target, int64_t *key)
{
	int64_t lo = o->lo, hi = o->hi, k, v;
	bool ok;
	int r;

	if (o->empty)
		return 0;
	while (lo < hi) {
		int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2);
		if ((r = probe(t, o, mid, &k, &v, &ok)) <= 0)
			return r;
		if (!ok)
			return 0; /* not the decoder's row: no link */
		if (v >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	if ((r = probe(t, o, lo, &k, &v, &ok)) <= 0)
		return r;
	if (!ok || v != target)
		return 0;
	*key = k;
	return 1;
}

/* Most rows with one seq (chains made available at one event, used
 * entries published by one) a link looks through. */
#define NAV_SAME_SEQ_MAX 64

struct links_search {
	struct ordered chains, used, req_chain, req_notify;
	int64_t request;   /* the lowest found, -1 none */
};

static void consider(struct links_search *ls, int64_t request)
{
	if (request >= 0 && (ls->request < 0 || request < ls->request))
		ls->request = request;
}

/* The request whose chain is chain, if its column named by col (seq_used,
 * seq_irq; NULL: any) is seq. */
static int request_of_chain(struct tdb *t, struct links_search *ls, int64_t chain, const char *col, int64_t seq,
			    int64_t *request)
{
	sqlite3_stmt *st;
	int64_t req;
	int r, rc;

	*request = -1;
	if ((r = lower_bound(t, &ls->req_chain, chain, &req)) <= 0)
		return r;
	if (!col) {
		*request = req;
		return 0;
	}
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT 1 FROM requests WHERE request = ?1 AND %s = ?2", col);
	if ((r = tdb_prepare(t, sql, &st, "reading requests")))
		return r;
	sqlite3_bind_int64(st, 1, req);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*request = req;
	else if (rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading requests");
	sqlite3_finalize(st);
	return r;
}

int tdb_nav_links(struct tdb *t, uint64_t seq, struct tdb_event_links *out)
{
	struct links_search ls;
	int64_t at = seq_param(seq), key, k, v, req;
	bool ok;
	int r;

	out->chain = out->request = -1;
	memset(&ls, 0, sizeof(ls));
	ls.request = -1;
	if ((r = ordered_open(t, &ls.chains, "SELECT (SELECT min(chain) FROM chains), (SELECT max(chain) FROM chains)",
			      "SELECT chain, seq_avail FROM chains WHERE chain >= ?1 ORDER BY chain LIMIT 1")) ||
	    (r = ordered_open(t, &ls.used, "SELECT (SELECT min(rowid) FROM used), (SELECT max(rowid) FROM used)",
			      "SELECT rowid, seq, chain FROM used WHERE rowid >= ?1 ORDER BY rowid LIMIT 1")) ||
	    (r = ordered_open(t, &ls.req_chain, "SELECT (SELECT min(request) FROM requests), (SELECT max(request) FROM requests)",
			      "SELECT request, chain FROM requests WHERE request >= ?1 AND chain IS NOT NULL "
			      "ORDER BY request LIMIT 1")) ||
	    (r = ordered_open(t, &ls.req_notify, "SELECT (SELECT min(request) FROM requests), (SELECT max(request) FROM requests)",
			      "SELECT request, seq_notify FROM requests WHERE request >= ?1 AND seq_notify IS NOT NULL "
			      "ORDER BY request LIMIT 1")))
		goto cleanup;

	/* the chains made available at seq (the first is the event's chain),
	 * and their requests */
	if ((r = lower_bound(t, &ls.chains, at, &key)) < 0)
		goto cleanup;
	for (int i = 0; r == 1 && i < NAV_SAME_SEQ_MAX; i++) {
		if (out->chain < 0)
			out->chain = key;
		if ((r = request_of_chain(t, &ls, key, NULL, at, &req)) < 0)
			goto cleanup;
		consider(&ls, req);
		if (key == INT64_MAX || (r = probe(t, &ls.chains, key + 1, &k, &v, &ok)) < 0)
			goto cleanup;
		r = r == 1 && ok && v == at;
		key = k;
	}
	/* the used entries published at seq: their chains, and the
	 * requests they completed */
	if ((r = lower_bound(t, &ls.used, at, &key)) < 0)
		goto cleanup;
	for (int i = 0; r == 1 && i < NAV_SAME_SEQ_MAX; i++) {
		if (sqlite3_column_type(ls.used.st, 2) == SQLITE_INTEGER) {
			int64_t chain = sqlite3_column_int64(ls.used.st, 2);
			if (out->chain < 0)
				out->chain = chain;
			if ((r = request_of_chain(t, &ls, chain, "seq_used", at, &req)) < 0)
				goto cleanup;
			consider(&ls, req);
		}
		if (key == INT64_MAX || (r = probe(t, &ls.used, key + 1, &k, &v, &ok)) < 0)
			goto cleanup;
		r = r == 1 && ok && v == at;
		key = k;
	}
	/* the requests notified at seq: the first of them */
	if ((r = lower_bound(t, &ls.req_notify, at, &key)) < 0)
		goto cleanup;
	if (r == 1)
		consider(&ls, key);
	/* a request this event interrupted: among those of the last used
	 * entries before it */
	if (!ls.used.empty) {
		int64_t lo = ls.used.lo, hi = ls.used.hi + 1;
		/* the first used row with seq > at (hi: none) */
		while (lo < hi) {
			int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2);
			if ((r = probe(t, &ls.used, mid, &k, &v, &ok)) < 0)
				goto cleanup;
			if (r == 1 && !ok) {
				lo = hi = ls.used.lo; /* not the decoder's rows: no interrupt link */
				break;
			}
			if (r == 0 || v > at)
				hi = mid;
			else
				lo = mid + 1;
		}
		sqlite3_stmt *st;
		if ((r = tdb_prepare(t, "SELECT chain FROM used WHERE rowid < ?1 AND chain IS NOT NULL ORDER BY rowid DESC LIMIT ?2",
				     &st, "reading used")))
			goto cleanup;
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, TDB_NAV_IRQ_USED);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if ((r = request_of_chain(t, &ls, sqlite3_column_int64(st, 0), "seq_irq", at, &req)) < 0)
				break;
			consider(&ls, req);
		}
		if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
			r = tdb_sql_fail(t, "reading used");
		sqlite3_finalize(st);
		if (r < 0)
			goto cleanup;
	}
	out->request = ls.request;
	r = 0;
cleanup:
	ordered_close(&ls.chains);
	ordered_close(&ls.used);
	ordered_close(&ls.req_chain);
	ordered_close(&ls.req_notify);
	return r;
}
