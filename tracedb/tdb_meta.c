/* The meta table (tdb_meta.h). */
#include "tracedb/tdb_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"

int tdb_meta_text(struct tdb *t, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int rc, r;

	if (len)
		buf[0] = '\0';
	if ((r = tdb_stmt_get(t, TDB_ST_META_TEXT, "SELECT value FROM meta WHERE key = ?1", &st, "reading meta")) < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		if (!s && sqlite3_errcode(t->db) == SQLITE_NOMEM)
			r = tdb_sql_fail(t, "reading meta");
		else if (!s || n >= len)
			r = tdb_fail(t, TDB_E_NOT_FOUND, "meta row '%s': no value that fits", key);
		else
			memcpy(buf, s, n + 1);
	} else if (rc == SQLITE_DONE) {
		r = tdb_fail(t, TDB_E_NOT_FOUND, "no meta row '%s'", key);
	} else {
		r = tdb_sql_fail(t, "reading meta");
	}
	tdb_stmt_put(t, TDB_ST_META_TEXT, st);
	return r;
}

int tdb_meta_u64(struct tdb *t, const char *key, uint64_t *out)
{
	char buf[32], *end, shown[64];
	unsigned long long v;
	int r = tdb_meta_text(t, key, buf, sizeof(buf));

	*out = 0;
	if (r == TDB_E_NOT_FOUND) {
		/* A value too long for any number is there, and damaged. */
		char big[TDB_META_VALUE_MAX];
		int r2 = tdb_meta_text(t, key, big, sizeof(big));
		if (r2 == 0 || r2 < 0) {
			if (r2 < 0)
				return r2;
			return tdb_fail(t, TDB_E_DAMAGED_ROW, "meta row '%s': '%s' is not an unsigned number", key,
					tdb_shown_text(big, strlen(big), TDB_ROW_SHOWN_MAX, shown, sizeof(shown)));
		}
		return tdb_fail(t, TDB_E_NOT_FOUND, "no meta row '%s'", key);
	}
	if (r != 0)
		return r;
	errno = 0;
	v = strtoull(buf, &end, 0);
	/* strtoull takes signs and spaces ("-1" is 2^64-1): a digit first. */
	if (buf[0] < '0' || buf[0] > '9' || *end || errno)
		return tdb_fail(t, TDB_E_DAMAGED_ROW, "meta row '%s': '%s' is not an unsigned number", key,
				tdb_shown_text(buf, strlen(buf), TDB_ROW_SHOWN_MAX, shown, sizeof(shown)));
	*out = v;
	return 0;
}

/* key as a number into *out (*known says whether it was there); damaged
 * values are returned. */
static int meta_num(struct tdb *t, const char *key, uint64_t *out, bool *known)
{
	int r = tdb_meta_u64(t, key, out);

	if (known)
		*known = r == 0;
	return r == TDB_E_NOT_FOUND ? 0 : r;
}

int tdb_meta_read(struct tdb *t, struct tdb_meta *m)
{
	char buf[8];
	bool base_known, size_known, events_known;
	int r;

	memset(m, 0, sizeof(*m));
	/* Text that is not there, or too long to be one, reads as "". */
	if ((r = tdb_meta_text(t, "source", m->source, sizeof(m->source))) < 0)
		return r;
	if ((r = tdb_meta_text(t, "stop_reason", m->stop_reason, sizeof(m->stop_reason))) < 0)
		return r;
	if ((r = tdb_meta_text(t, "complete", buf, sizeof(buf))) < 0)
		return r;
	m->complete = r == 0 && strcmp(buf, "1") == 0;
	if ((r = meta_num(t, "events", &m->events, &events_known)) != 0 ||
	    (r = meta_num(t, "lost", &m->lost, NULL)) != 0 ||
	    (r = meta_num(t, "ram_base", &m->ram_base, &base_known)) != 0 ||
	    (r = meta_num(t, "ram_size", &m->ram_size, &size_known)) != 0 ||
	    (r = meta_num(t, "raw.seed", &m->seed, &m->seed_known)) != 0)
		return r;
	m->ram_known = base_known && size_known;
	t->err[0] = '\0';
	return 0;
}

int tdb_meta_each(struct tdb *t, const char *prefix, int (*fn)(void *arg, const char *key, const char *value),
		  void *arg)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((r = tdb_stmt_get(t, TDB_ST_META_EACH,
			      "SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key", &st,
			      "reading meta")) < 0)
		return r;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		if (fn(arg, k ? k : "", v ? v : ""))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading meta");
	tdb_stmt_put(t, TDB_ST_META_EACH, st);
	return r;
}
