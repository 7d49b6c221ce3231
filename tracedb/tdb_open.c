/* Opening a trace.db safely, and the error plumbing of tracedb
 * (tdb_open.h, tdb_priv.h). */
#include "tracedb/tdb_open.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/escape.h"
#include "tracedb/tdb_priv.h"

/* Tables a reader relies on; each must exist as a real table.  anomalies
 * and device_steps are optional (older files lack them, and read as
 * empty: tdb_has_anomalies, tdb_has_device_steps). */
static const char *const required_tables[] = {
	"meta", "devices", "events", "memory", "reg_changes", "status_changes", "features",
	"queues", "chains", "descriptors", "used", "requests", "net_frames", "interrupts",
	"violations", "lost",
};

static int __attribute__((format(printf, 4, 5))) open_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int tdb_fail(struct tdb *t, int code, const char *fmt, ...)
{
	va_list ap;
	char shown[200];
	int n = snprintf(t->err, sizeof(t->err), "'%s': ", tdb_shown_text(t->path, strlen(t->path), 160, shown, sizeof(shown)));

	if (n < 0 || (size_t)n >= sizeof(t->err))
		return code;
	va_start(ap, fmt);
	vsnprintf(t->err + n, sizeof(t->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

int tdb_sql_fail(struct tdb *t, const char *what)
{
	int rc = sqlite3_errcode(t->db) & 0xff;
	const char *msg = sqlite3_errmsg(t->db);
	char shown[200];

	/* SQLite's message can name schema objects: the file's text */
	msg = tdb_shown_text(msg, strlen(msg), 160, shown, sizeof(shown));
	/* tdb_open checks no more than the schema and meta (no pass over
	 * the file): damage elsewhere shows here, on the read that meets
	 * it, and is named as such. */
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		tdb_fail(t, 0, "%s: %s (the file is damaged)", what, msg);
	else
		tdb_fail(t, 0, "%s: %s", what, msg);
	return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

int tdb_prepare(struct tdb *t, const char *sql, sqlite3_stmt **st, const char *what)
{
	if (sqlite3_prepare_v2(t->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return tdb_sql_fail(t, what);
	}
	return 0;
}

int tdb_stmt_get(struct tdb *t, enum tdb_stmt_id id, const char *sql, sqlite3_stmt **st, const char *what)
{
	int r;

	*st = NULL;
	if ((unsigned)id >= TDB_ST_N)
		return tdb_fail(t, -EINVAL, "tdb_stmt_get: no statement %d", (int)id);
	/* In use further up the stack (a callback reading again): one of
	 * its own, finalized by tdb_stmt_put. */
	if (t->stmt_busy[id])
		return tdb_prepare(t, sql, st, what);
	if (!t->stmt[id] && (r = tdb_prepare(t, sql, &t->stmt[id], what)))
		return r;
	t->stmt_busy[id] = true;
	*st = t->stmt[id];
	return 0;
}

void tdb_stmt_put(struct tdb *t, enum tdb_stmt_id id, sqlite3_stmt *st)
{
	if (!st)
		return;
	if ((unsigned)id < TDB_ST_N && st == t->stmt[id]) {
		/* reset ends its read, so no lock is held between calls */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		t->stmt_busy[id] = false;
		return;
	}
	sqlite3_finalize(st);
}

const char *tdb_shown_text(const char *s, size_t n, size_t max, char *buf, size_t len)
{
	bool cut = false;
	size_t o;

	if (len == 0)
		return buf;
	if (len < 3 || !s) {
		buf[0] = '\0';
		return buf;
	}
	/* format/escape.h: no byte of s can drive a terminal */
	o = escape_buf(buf, len - 2, s, n < max ? n : max, 0, &cut);
	if (cut || n > max) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o] = '\0';
	}
	return buf;
}

/* Run a statement returning one text value into buf, cut to fit. Returns
 * SQLite's rc. */
static int query_text(sqlite3 *db, const char *sql, const char *param, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	buf[0] = '\0';
	if (rc != SQLITE_OK)
		return rc;
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (s && n > 0) {
			size_t k = (size_t)n < len ? (size_t)n : len - 1;
			memcpy(buf, s, k);
			buf[k] = '\0';
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* What a failed first look at the file means (rc from query_text).
 * Returns the TDB_E_* or -ENOMEM with err filled, or 0 if rc is no
 * error. */
static int open_sql_fail(sqlite3 *db, int rc, const char *path, char *err, size_t errlen)
{
	const char *msg;
	char shown[200];

	if (rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_OK)
		return 0;
	/* SQLite's message can name schema objects: the file's text */
	msg = sqlite3_errmsg(db);
	msg = tdb_shown_text(msg, strlen(msg), 160, shown, sizeof(shown));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return open_fail(err, errlen, TDB_E_LOCKED,
				 "'%s' is locked: another process is writing it (a decode still running?)", path);
	case SQLITE_NOTADB:
		return open_fail(err, errlen, TDB_E_NOT_TRACE, "'%s' is not a vmtrace trace (%s)", path, sqlite3_errstr(rc));
	case SQLITE_CORRUPT:
		return open_fail(err, errlen, TDB_E_DAMAGED_FILE, "'%s' is damaged: %s", path, msg);
	case SQLITE_NOMEM:
		return open_fail(err, errlen, -ENOMEM, "'%s': out of memory", path);
	default:
		return open_fail(err, errlen, TDB_E_UNREADABLE, "unable to read '%s': %s", path, msg);
	}
}

/* The checks of tdb_open on an open connection: the tables, the schema
 * version, meta 'events'.  No pass over the file: each is a lookup in
 * sqlite_schema or meta, whatever the file's size (the whole file is
 * checked on demand by tdb_check).  Returns 0 or a code with err
 * filled. */
static int check_file(sqlite3 *db, const char *path, bool *has_anomalies, bool *has_steps, char *err, size_t errlen)
{
	char shown[100], buf[64], want[24];
	int rc, r;

	for (size_t i = 0; i < sizeof(required_tables) / sizeof(required_tables[0]); i++) {
		rc = query_text(db, "SELECT type FROM sqlite_schema WHERE name = ?1", required_tables[i], buf, sizeof(buf));
		/* The first statement reads the file's header and schema:
		 * not a database, damaged, locked show here. */
		if ((r = open_sql_fail(db, rc, path, err, errlen)) != 0)
			return r;
		if (rc != SQLITE_ROW || strcmp(buf, "table") != 0)
			return open_fail(err, errlen, TDB_E_NOT_TRACE, "'%s' is not a vmtrace trace (no table '%s')", path,
					 required_tables[i]);
	}
	/* Older files have no anomalies table; one that is something else
	 * (a view would run the file's own SQL) is refused like the others. */
	rc = query_text(db, "SELECT type FROM sqlite_schema WHERE name = 'anomalies'", NULL, buf, sizeof(buf));
	if ((r = open_sql_fail(db, rc, path, err, errlen)) != 0)
		return r;
	if (rc == SQLITE_ROW && strcmp(buf, "table") != 0)
		return open_fail(err, errlen, TDB_E_NOT_TRACE, "'%s' is not a vmtrace trace (no table 'anomalies')", path);
	*has_anomalies = rc == SQLITE_ROW;
	/* The same for device_steps (files decoded before the device's own
	 * reports were stored: no reports). */
	rc = query_text(db, "SELECT type FROM sqlite_schema WHERE name = 'device_steps'", NULL, buf, sizeof(buf));
	if ((r = open_sql_fail(db, rc, path, err, errlen)) != 0)
		return r;
	if (rc == SQLITE_ROW && strcmp(buf, "table") != 0)
		return open_fail(err, errlen, TDB_E_NOT_TRACE, "'%s' is not a vmtrace trace (no table 'device_steps')", path);
	*has_steps = rc == SQLITE_ROW;
	rc = query_text(db, "SELECT value FROM meta WHERE key = 'schema_version'", NULL, buf, sizeof(buf));
	if ((r = open_sql_fail(db, rc, path, err, errlen)) != 0)
		return r;
	if (rc != SQLITE_ROW)
		return open_fail(err, errlen, TDB_E_NOT_TRACE, "'%s' is not a vmtrace trace (no schema version)", path);
	snprintf(want, sizeof(want), "%d", TDB_SCHEMA_VERSION);
	if (strcmp(buf, want) != 0)
		return open_fail(err, errlen, TDB_E_VERSION, "'%s' has trace.db schema version '%s'; this vmtrace reads version %d",
				 path, tdb_shown_text(buf, strlen(buf), SIZE_MAX, shown, sizeof(shown)), TDB_SCHEMA_VERSION);
	/* The decoder writes meta 'events' with its last rows: without it
	 * the decode was cut short and what the file holds is partial. */
	rc = query_text(db, "SELECT value FROM meta WHERE key = 'events'", NULL, buf, sizeof(buf));
	if ((r = open_sql_fail(db, rc, path, err, errlen)) != 0)
		return r;
	if (rc != SQLITE_ROW)
		return open_fail(err, errlen, TDB_E_INCOMPLETE,
				 "'%s' is incomplete: its decode did not finish (decode the raw trace again)", path);
	return 0;
}

int tdb_open(struct tdb **out, const char *path, char *err, size_t errlen)
{
	struct tdb *t;
	sqlite3 *db = NULL;
	bool anomalies = false, steps = false;
	int rc;

	*out = NULL;
	if (access(path, R_OK) != 0)
		return open_fail(err, errlen, TDB_E_UNREADABLE, "unable to read '%s': %s", path, strerror(errno));
	if (strlen(path) >= sizeof(t->path))
		return open_fail(err, errlen, TDB_E_UNREADABLE, "unable to read '%.64s...': the path is too long", path);
	/* Readers are single-threaded: no per-call connection mutex. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = open_fail(err, errlen, db ? TDB_E_UNREADABLE : -ENOMEM, "unable to open '%s': %s", path,
			       db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return rc;
	}
	/* The file may come from anyone: no schema-defined code runs, no
	 * triggers, no memory mapping, every cell checked. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	/* One read transaction from here to tdb_close: the shared lock is
	 * taken once (with its hot-journal check: a stat and two fcntl
	 * locks), not around every statement, and every call reads the
	 * same file. */
	sqlite3_exec(db, "PRAGMA mmap_size=0; PRAGMA cell_size_check=ON; PRAGMA query_only=ON; BEGIN;", NULL, NULL, NULL);
	rc = check_file(db, path, &anomalies, &steps, err, errlen);
	if (rc != 0)
		goto cleanup;
	t = calloc(1, sizeof(*t));
	if (!t) {
		rc = open_fail(err, errlen, -ENOMEM, "'%s': out of memory", path);
		goto cleanup;
	}
	t->db = db;
	db = NULL;
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->has_anomalies = anomalies;
	t->has_device_steps = steps;
	for (size_t i = 0; i < sizeof(t->dev_by_id) / sizeof(t->dev_by_id[0]); i++)
		t->dev_by_id[i] = -1;
	*out = t;
cleanup:
	sqlite3_close(db);
	return rc;
}

int tdb_check(struct tdb *t)
{
	char buf[256], shown[200];
	sqlite3_stmt *st;
	int rc;

	/* quick_check(1): stop at the first problem; one row, "ok" or it */
	if ((rc = tdb_prepare(t, "PRAGMA quick_check(1)", &st, "checking the file")) != 0)
		return rc;
	rc = sqlite3_step(st);
	buf[0] = '\0';
	if (rc == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 0);
		int n = sqlite3_column_bytes(st, 0);

		if (s && n > 0) {
			size_t k = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
			memcpy(buf, s, k);
			buf[k] = '\0';
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW && strcmp(buf, "ok") == 0)
		return 0;
	if (rc == SQLITE_ROW)
		return tdb_fail(t, TDB_E_DAMAGED_FILE, "the file is damaged: quick_check says '%s'",
				tdb_shown_text(buf, strlen(buf), 160, shown, sizeof(shown)));
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
		const char *msg = sqlite3_errmsg(t->db);
		return tdb_fail(t, TDB_E_DAMAGED_FILE, "the file is damaged: %s",
				tdb_shown_text(msg, strlen(msg), 160, shown, sizeof(shown)));
	}
	return tdb_sql_fail(t, "checking the file");
}

void tdb_close(struct tdb *t)
{
	if (!t)
		return;
	free(t->dev);
	for (int i = 0; i < 2; i++) {
		free(t->dev_read[i].dev);
		free(t->dev_read[i].notes);
	}
	tdb_state_cache_free(t);
	free(t->anom_seq);
	for (int i = 0; i < TDB_ST_N; i++)
		sqlite3_finalize(t->stmt[i]);
	sqlite3_close(t->db);
	free(t);
}

const char *tdb_errmsg(const struct tdb *t)
{
	return t ? t->err : "";
}

const char *tdb_path(const struct tdb *t)
{
	return t->path;
}

bool tdb_has_anomalies(const struct tdb *t)
{
	return t->has_anomalies;
}

bool tdb_has_device_steps(const struct tdb *t)
{
	return t->has_device_steps;
}
