/* Nearest related events by indexed lookups (tdb_nav.h). */
#include "tracedb/tdb_nav.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
