/* The inspector's lists and timeline strip (tdb_lists.h). */
#include "tracedb/tdb_lists.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"
#include "tracedb/tdb_vocab.h"

static sqlite3_int64 seq_param(uint64_t seq)
{
	return seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq;
}

/* " AND kind IN ('blk', 'rng')" for kinds (nothing for 0) onto q. */
static void kinds_sql(sqlite3_str *q, unsigned kinds)
{
	const char *sep = "";

	if (!kinds)
		return;
	sqlite3_str_appendall(q, " AND kind IN (");
	for (int k = 0; k < tdb_vocab_request_kind.n && k < 32; k++) {
		if (kinds & (1u << k)) {
			sqlite3_str_appendf(q, "%s%Q", sep, tdb_vocab_name(&tdb_vocab_request_kind, k));
			sep = ", ";
		}
	}
	sqlite3_str_appendf(q, "%s)", *sep ? "" : "NULL");
}

/* Prepare the text q built (and free it). */
static int prepare_str(struct tdb *t, sqlite3_str *q, sqlite3_stmt **st, const char *what)
{
	char *sql = sqlite3_str_finish(q);
	int r;

	*st = NULL;
	if (!sql)
		return tdb_fail(t, -ENOMEM, "out of memory");
	r = tdb_prepare(t, sql, st, what);
	sqlite3_free(sql);
	return r;
}

/* Column 0 of each row of st as a request id into ids (at most max). */
static int read_ids(struct tdb *t, sqlite3_stmt *st, int64_t *ids, size_t max, size_t *n)
{
	char a[48];
	int rc, r = 0;

	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!tdb_row_int(st, 0, INT64_MIN, INT64_MAX, false, &ids[*n]))
			return tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row request %s: not an integer",
					tdb_row_shown(st, 0, a, sizeof(a)));
		(*n)++;
	}
	if (*n < max && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading requests");
	return r;
}

int tdb_request_ids_page(struct tdb *t, unsigned kinds, int64_t key, enum tdb_direction dir, int64_t *ids,
			 size_t max, size_t *n)
{
	sqlite3_str *q = sqlite3_str_new(t->db);
	sqlite3_stmt *st;
	int r;

	*n = 0;
	if (max == 0)
		return 0;
	sqlite3_str_appendall(q, dir == TDB_FORWARD ? "SELECT request FROM requests WHERE request > ?1"
						    : "SELECT request FROM requests WHERE request < ?1");
	kinds_sql(q, kinds);
	sqlite3_str_appendall(q, dir == TDB_FORWARD ? " ORDER BY request LIMIT ?2" : " ORDER BY request DESC LIMIT ?2");
	if ((r = prepare_str(t, q, &st, "reading requests")))
		return r;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	r = read_ids(t, st, ids, max, n);
	sqlite3_finalize(st);
	return r;
}

int tdb_request_ids_top(struct tdb *t, enum tdb_request_rank by, unsigned kinds, int64_t *ids, size_t max,
			size_t *n, uint64_t *ranked)
{
	/* typeof() keeps a text or real column (a hostile file) out of the
	 * arithmetic: such a row is not ranked */
	const char *has = by == TDB_RANK_LATENCY
				  ? "typeof(ts_used) = 'integer' AND typeof(ts_notify) = 'integer'"
				  : "typeof(length) = 'integer'";
	const char *val = by == TDB_RANK_LATENCY ? "ts_used - ts_notify" : "length";
	sqlite3_str *q;
	sqlite3_stmt *st;
	int r;

	*n = 0;
	if (ranked) {
		*ranked = 0;
		q = sqlite3_str_new(t->db);
		sqlite3_str_appendf(q, "SELECT count(*) FROM requests WHERE %s", has);
		kinds_sql(q, kinds);
		if ((r = prepare_str(t, q, &st, "counting requests")))
			return r;
		if (sqlite3_step(st) == SQLITE_ROW)
			*ranked = (uint64_t)sqlite3_column_int64(st, 0);
		else
			r = tdb_sql_fail(t, "counting requests");
		sqlite3_finalize(st);
		if (r)
			return r;
	}
	if (max == 0)
		return 0;
	q = sqlite3_str_new(t->db);
	sqlite3_str_appendf(q, "SELECT request FROM requests WHERE %s", has);
	kinds_sql(q, kinds);
	sqlite3_str_appendf(q, " ORDER BY %s DESC, request LIMIT ?1", val);
	if ((r = prepare_str(t, q, &st, "ranking requests")))
		return r;
	sqlite3_bind_int64(st, 1, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	r = read_ids(t, st, ids, max, n);
	sqlite3_finalize(st);
	return r;
}

int tdb_request_kinds(struct tdb *t, unsigned *kinds, uint64_t *counts)
{
	sqlite3_stmt *st;
	char a[48];
	int rc, r;

	*kinds = 0;
	if (counts)
		memset(counts, 0, sizeof(*counts) * (size_t)tdb_vocab_request_kind.n);
	if ((r = tdb_prepare(t, "SELECT kind, count(*) FROM requests GROUP BY kind", &st, "reading request kinds")))
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int len;
		const char *s = tdb_row_text(st, 0, &len);
		int k = tdb_vocab_parse(&tdb_vocab_request_kind, s, (size_t)len);
		if (k < 0 || k >= 32) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "requests row kind %s: not a request kind",
				     tdb_row_shown(st, 0, a, sizeof(a)));
			break;
		}
		*kinds |= 1u << k;
		if (counts)
			counts[k] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading request kinds");
	sqlite3_finalize(st);
	return r;
}

/* Up to max distinct seqs of table after/before seq into out (sorted in
 * the walk's direction). */
static int seqs_of(struct tdb *t, const char *table, uint64_t seq, bool inclusive, enum tdb_direction dir,
		   uint64_t *out, size_t max, size_t *n)
{
	sqlite3_str *q = sqlite3_str_new(t->db);
	sqlite3_stmt *st;
	char a[48];
	int rc, r;

	*n = 0;
	/* a seq that is no sequence number (a hostile row) cannot be gone to:
	 * such rows are passed over, not a reason to show none */
	sqlite3_str_appendf(q, "SELECT DISTINCT seq FROM %s WHERE seq %s ?1 AND typeof(seq) = 'integer' AND seq >= 0 "
			    "ORDER BY seq%s LIMIT ?2", table,
			    dir == TDB_FORWARD ? (inclusive ? ">=" : ">") : (inclusive ? "<=" : "<"),
			    dir == TDB_FORWARD ? "" : " DESC");
	if ((r = prepare_str(t, q, &st, "reading violations")))
		return r;
	sqlite3_bind_int64(st, 1, seq_param(seq));
	sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t v;
		if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &v)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "%s row seq %s: not a sequence number", table,
				     tdb_row_shown(st, 0, a, sizeof(a)));
			break;
		}
		out[(*n)++] = (uint64_t)v;
	}
	if (r == 0 && *n < max && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading violations");
	sqlite3_finalize(st);
	return r;
}

int tdb_finding_seqs(struct tdb *t, uint64_t seq, bool inclusive, enum tdb_direction dir, uint64_t *seqs, size_t max,
		     size_t *n)
{
	uint64_t *an = NULL;
	size_t nv = 0, na = 0, i = 0, j = 0;
	int r;

	*n = 0;
	if (max == 0)
		return 0;
	if ((r = seqs_of(t, "violations", seq, inclusive, dir, seqs, max, &nv)))
		return r;
	if (!tdb_has_anomalies(t)) {
		*n = nv;
		return 0;
	}
	if (!(an = malloc(max * sizeof(*an))))
		return tdb_fail(t, -ENOMEM, "out of memory");
	if ((r = seqs_of(t, "anomalies", seq, inclusive, dir, an, max, &na)))
		goto cleanup;
	/* merge the two sorted lists in place of the first (from its end) */
	{
		uint64_t *v = malloc(nv * sizeof(*v) + 1);
		if (!v) {
			r = tdb_fail(t, -ENOMEM, "out of memory");
			goto cleanup;
		}
		memcpy(v, seqs, nv * sizeof(*v));
		while (*n < max && (i < nv || j < na)) {
			uint64_t x;
			bool take_v = j >= na || (i < nv && (dir == TDB_FORWARD ? v[i] <= an[j] : v[i] >= an[j]));
			x = take_v ? v[i++] : an[j++];
			if (*n == 0 || seqs[*n - 1] != x)
				seqs[(*n)++] = x;
		}
		free(v);
	}
cleanup:
	free(an);
	return r;
}

int tdb_status_first_with(struct tdb *t, int device, uint32_t bits, uint64_t *seq)
{
	sqlite3_stmt *st;
	char a[48];
	int rc, r;

	*seq = 0;
	if ((r = tdb_prepare(t, "SELECT seq FROM status_changes WHERE device = ?1 AND typeof(new) = 'integer' "
				"AND (new & ?2) = ?2 ORDER BY seq LIMIT 1", &st, "reading status changes")))
		return r;
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_int64(st, 2, bits);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t v;
		if (tdb_row_int(st, 0, 0, INT64_MAX, false, &v))
			*seq = (uint64_t)v;
		else
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "status_changes row seq %s: not a sequence number",
				     tdb_row_shown(st, 0, a, sizeof(a)));
	} else if (rc == SQLITE_DONE) {
		r = tdb_fail(t, TDB_E_NOT_FOUND, "device %d: no status change sets 0x%x", device, bits);
	} else {
		r = tdb_sql_fail(t, "reading status changes");
	}
	sqlite3_finalize(st);
	return r;
}

int tdb_negotiated_at(struct tdb *t, int device, uint64_t seq, uint64_t *features)
{
	sqlite3_stmt *st;
	char a[48];
	int rc, r;

	*features = 0;
	if ((r = tdb_prepare(t, "SELECT value FROM features WHERE device = ?1 AND kind = ?3 AND seq <= ?2 "
				"ORDER BY seq DESC LIMIT 1", &st, "reading features")))
		return r;
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_int64(st, 2, seq_param(seq));
	sqlite3_bind_text(st, 3, tdb_vocab_name(&tdb_vocab_feature_kind, TDB_FEAT_NEGOTIATED), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t v;
		if (tdb_row_int(st, 0, INT64_MIN, INT64_MAX, false, &v))
			*features = (uint64_t)v;
		else
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "features row of device %d: negotiated %s is not a feature set",
				     device, tdb_row_shown(st, 0, a, sizeof(a)));
	} else if (rc == SQLITE_DONE) {
		r = tdb_fail(t, TDB_E_NOT_FOUND, "device %d: no features negotiated by seq %llu", device,
			     (unsigned long long)seq);
	} else {
		r = tdb_sql_fail(t, "reading features");
	}
	sqlite3_finalize(st);
	return r;
}

int tdb_chains_count(struct tdb *t, int device, uint32_t queue, uint64_t generation, uint64_t cap, uint64_t *n)
{
	sqlite3_stmt *st;
	int r;

	*n = 0;
	if ((r = tdb_prepare(t, "SELECT count(*) FROM (SELECT 1 FROM chains WHERE device = ?1 AND queue = ?2 "
				"AND generation = ?3 LIMIT ?4)", &st, "counting chains")))
		return r;
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_int64(st, 2, queue);
	sqlite3_bind_int64(st, 3, seq_param(generation));
	sqlite3_bind_int64(st, 4, seq_param(cap));
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = tdb_sql_fail(t, "counting chains");
	sqlite3_finalize(st);
	return r;
}

/* The first event at or after seq on st (prepared "seq >= ?1 ... LIMIT 1"):
 * 0 with *at and *ts, TDB_END, or an error. */
static int time_probe(struct tdb *t, sqlite3_stmt *st, uint64_t seq, uint64_t *at, int64_t *ts)
{
	char a[48], b[48];
	int64_t s, v;
	int rc, r = 0;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, seq_param(seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = TDB_END;
	else if (rc != SQLITE_ROW)
		r = tdb_sql_fail(t, "reading event times");
	else if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &s) || !tdb_row_int(st, 1, INT64_MIN, INT64_MAX, false, &v))
		r = tdb_fail(t, TDB_E_DAMAGED_ROW, "events row seq %s: ts_ns %s is not a time",
			     tdb_row_shown(st, 0, a, sizeof(a)), tdb_row_shown(st, 1, b, sizeof(b)));
	else
		*at = (uint64_t)s, *ts = v;
	sqlite3_reset(st);
	return r;
}

#define TIME_SQL "SELECT seq, ts_ns FROM events WHERE seq >= ?1 ORDER BY seq LIMIT 1"

int tdb_event_time(struct tdb *t, uint64_t seq, uint64_t *at, int64_t *ts_ns)
{
	sqlite3_stmt *st;
	int r;

	*at = 0;
	*ts_ns = 0;
	if ((r = tdb_prepare(t, TIME_SQL, &st, "reading event times")))
		return r;
	r = time_probe(t, st, seq, at, ts_ns);
	sqlite3_finalize(st);
	return r;
}

int tdb_seq_at_times(struct tdb *t, uint64_t lo, uint64_t hi, const int64_t *ts, size_t n, uint64_t *seqs)
{
	sqlite3_stmt *st;
	int r;

	if (hi < lo || hi == UINT64_MAX)
		return tdb_fail(t, -EINVAL, "seq range %llu..%llu", (unsigned long long)lo, (unsigned long long)hi);
	bool prev_known = false;
	int64_t prev_ta = 0;
	uint64_t prev_sa = lo;

	if ((r = tdb_prepare(t, TIME_SQL, &st, "reading event times")))
		return r;
	/* the times at the ends: every search starts knowing them */
	uint64_t at0;
	int64_t t_lo = 0, t_hi = 0;
	bool lo_known = false, hi_known = false;
	if ((r = time_probe(t, st, lo, &at0, &t_lo)) == 0)
		lo_known = at0 <= hi;
	if (r == 0 || r == TDB_END)
		r = time_probe(t, st, hi, &at0, &t_hi);
	if (r == 0)
		hi_known = at0 == hi;
	if (r == TDB_END)
		r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		/* the first seq in [a, b) whose event is at ts[i] or later.
		 * Probes take turns: a guess from the times known at the ends
		 * (a trace's clock runs nearly even: a few probes), a look at
		 * the seq next to the last guess (which lands one off), and a
		 * halving of [a, b); b - a at least halves every third probe,
		 * whatever the times say (n * 3 log2(hi - lo) probes at most) */
		uint64_t a = i > 0 && seqs[i - 1] > lo ? seqs[i - 1] : lo, b = hi + 1;
		bool ta_known = i == 0 ? lo_known && a == lo : false, tb_known = hi_known, last_b = false;
		int64_t ta = t_lo, tb = t_hi;
		uint64_t sa = lo, sb = hi; /* the seqs of ta and tb */
		unsigned turn = 1;
		if (i > 0 && seqs[i - 1] > lo) {
			/* the event before the last boundary was before its time */
			ta_known = prev_known;
			ta = prev_ta;
			sa = prev_sa;
		}
		if (a > hi + 1)
			a = hi + 1;
		while (a < b && r == 0) {
			uint64_t mid = a + (b - a) / 2, at;
			int64_t v;
			if (turn % 3 == 1 && ta_known && tb_known && tb > ta && ts[i] > ta && sb > sa) {
				long double f = ((long double)ts[i] - ta) / ((long double)tb - ta);
				if (f >= 0 && f <= 1) {
					long double g = (long double)sa + f * (long double)(sb - sa);
					mid = g <= (long double)a ? a : g >= (long double)(b - 1) ? b - 1 : (uint64_t)g;
				}
			} else if (turn % 3 == 2) {
				mid = last_b ? b - 1 : a;
			}
			turn++;
			r = time_probe(t, st, mid, &at, &v);
			if (r == TDB_END || (r == 0 && at > hi)) {
				r = 0;
				b = mid;   /* nothing at or after mid in range */
				last_b = true;
			} else if (r == 0 && v >= ts[i]) {
				b = mid;
				tb = v;
				sb = at;
				tb_known = last_b = true;
			} else if (r == 0) {
				a = at + 1 > mid ? at + 1 : mid + 1;
				ta = v;
				sa = at;
				ta_known = true;
				last_b = false;
			}
		}
		seqs[i] = a;
		prev_known = ta_known;
		prev_ta = ta;
		prev_sa = sa;
	}
	sqlite3_finalize(st);
	return r;
}

int tdb_marks_in(struct tdb *t, const uint64_t *bounds, size_t n, unsigned status_rows, unsigned *marks)
{
	sqlite3_stmt *vs = NULL, *ss = NULL;
	int r;

	if ((r = tdb_prepare(t, "SELECT 1 FROM violations WHERE seq >= ?1 AND seq < ?2 LIMIT 1", &vs,
			     "reading violations")) ||
	    (r = tdb_prepare(t, "SELECT new, kind FROM status_changes WHERE seq >= ?1 AND seq < ?2 ORDER BY seq LIMIT ?3",
			     &ss, "reading status changes")))
		goto cleanup;
	for (size_t i = 0; i < n && r == 0; i++) {
		int rc;
		marks[i] = 0;
		if (bounds[i + 1] <= bounds[i])
			continue;
		sqlite3_reset(vs);
		sqlite3_bind_int64(vs, 1, seq_param(bounds[i]));
		sqlite3_bind_int64(vs, 2, seq_param(bounds[i + 1]));
		rc = sqlite3_step(vs);
		if (rc == SQLITE_ROW)
			marks[i] |= TDB_MARK_VIOLATION;
		else if (rc != SQLITE_DONE)
			r = tdb_sql_fail(t, "reading violations");
		sqlite3_reset(ss);
		sqlite3_bind_int64(ss, 1, seq_param(bounds[i]));
		sqlite3_bind_int64(ss, 2, seq_param(bounds[i + 1]));
		sqlite3_bind_int64(ss, 3, status_rows);
		while (r == 0 && (rc = sqlite3_step(ss)) == SQLITE_ROW) {
			int len;
			const char *k = tdb_row_text(ss, 1, &len);
			marks[i] |= TDB_MARK_STATUS;
			/* a write of 0 is the reset, whatever the kind says */
			if ((sqlite3_column_type(ss, 0) == SQLITE_INTEGER && sqlite3_column_int64(ss, 0) == 0) ||
			    tdb_vocab_parse(&tdb_vocab_status_kind, k, (size_t)len) == TDB_STATUS_RESET)
				marks[i] |= TDB_MARK_RESET;
		}
		if (r == 0 && rc != SQLITE_DONE)
			r = tdb_sql_fail(t, "reading status changes");
	}
cleanup:
	sqlite3_finalize(vs);
	sqlite3_finalize(ss);
	return r;
}
