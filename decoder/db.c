/* Creating and safely opening trace.db files. */
#include "decoder/db.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Tables a reader relies on; each must exist as a real table. */
static const char *const required_tables[] = {
	"meta", "devices", "events", "memory", "reg_changes", "status_changes", "features",
	"queues", "chains", "descriptors", "used", "requests", "net_frames", "interrupts",
	"violations", "lost",
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Run the table part of the schema (before the "-- @indexes" line) or the
 * index part (after it). */
static int exec_schema_part(sqlite3 *db, bool indexes, char **msg)
{
	const char *mark = strstr(trace_db_schema_sql, "-- @indexes");
	size_t split = mark ? (size_t)(mark - trace_db_schema_sql) : strlen(trace_db_schema_sql);
	char *sql;
	int rc;

	if (indexes)
		return sqlite3_exec(db, trace_db_schema_sql + split, NULL, NULL, msg);
	sql = sqlite3_mprintf("%.*s", (int)split, trace_db_schema_sql);
	if (!sql)
		return SQLITE_NOMEM;
	rc = sqlite3_exec(db, sql, NULL, NULL, msg);
	sqlite3_free(sql);
	return rc;
}

int trace_db_finish(sqlite3 *db, char *err, size_t errlen)
{
	char *msg = NULL;

	if (exec_schema_part(db, true, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=NORMAL;", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "unable to finish trace.db: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int trace_db_create(sqlite3 **out, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	sqlite3 *db = NULL;
	char *msg = NULL;
	char version[32];

	*out = NULL;
	/* An empty file is the temporary the caller made for us. */
	if (stat(path, &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_size != 0))
		return fail(err, errlen, "'%s' already exists", path);
	/* One thread owns the connection: no SQLite mutexes. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fail(err, errlen, "unable to create '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	/* Bulk load: no journal and no fsync while decoding. The raw trace is
	 * the durable copy; a decode that dies leaves a file to delete and
	 * decode again. trace_db_finish_indexes switches to a rollback
	 * journal once the file is complete. */
	snprintf(version, sizeof(version), "%d", TRACE_DB_SCHEMA_VERSION);
	if (sqlite3_exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			 "PRAGMA cache_size=-65536; PRAGMA foreign_keys=OFF; PRAGMA locking_mode=EXCLUSIVE; BEGIN;", NULL, NULL, &msg) != SQLITE_OK ||
	    exec_schema_part(db, false, &msg) != SQLITE_OK) {
		fail(err, errlen, "unable to create the schema in '%s': %s", path, msg);
		goto error;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES ('schema_version', ?1), ('format', 'vmtrace')",
			       -1, &st, NULL) != SQLITE_OK) {
		fail(err, errlen, "unable to write '%s': %s", path, sqlite3_errmsg(db));
		goto error;
	}
	sqlite3_bind_text(st, 1, version, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		fail(err, errlen, "unable to write '%s': %s", path, msg ? msg : sqlite3_errmsg(db));
		goto error;
	}
	*out = db;
	return 0;
error:
	sqlite3_free(msg);
	sqlite3_close(db);
	unlink(path);
	return -1;
}

/* Run a statement returning one text value into buf, cut to fit (*cut
 * says so, when not NULL). Returns SQLite's rc. */
static int query_text_cut(sqlite3 *db, const char *sql, const char *param, char *buf, size_t len, bool *cut)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	buf[0] = '\0';
	if (cut)
		*cut = false;
	if (rc != SQLITE_OK)
		return rc;
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (t && n > 0) {
			size_t k = (size_t)n < len ? (size_t)n : len - 1;
			memcpy(buf, t, k);
			buf[k] = '\0';
			if (cut)
				*cut = k < (size_t)n;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int query_text(sqlite3 *db, const char *sql, const char *param, char *buf, size_t len)
{
	return query_text_cut(db, sql, param, buf, len, NULL);
}

void trace_db_meta(sqlite3 *db, const char *key, char *buf, size_t len)
{
	bool cut;

	/* A value that does not fit is no value (a number cut short lies). */
	query_text_cut(db, "SELECT value FROM meta WHERE key = ?1", key, buf, len, &cut);
	if (cut)
		buf[0] = '\0';
}

const char *trace_db_printable(const char *s, size_t max, char *buf, size_t len)
{
	size_t o = 0, n = 0;

	if (len == 0)
		return buf;
	for (; s && *s && n < max && o + 5 < len; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (s && *s && o + 2 < len)
		buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

int trace_db_open_readonly(sqlite3 **out, const char *path, char *err, size_t errlen)
{
	char shown[100];
	sqlite3 *db = NULL;
	char buf[64];
	int rc;

	*out = NULL;
	if (access(path, R_OK) != 0)
		return fail(err, errlen, "unable to read '%s'", path);
	/* Readers are single-threaded: no per-call connection mutex. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fail(err, errlen, "unable to open '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	/* The file may come from anyone: no schema-defined code runs, no
	 * triggers, no memory mapping, every cell checked. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_exec(db, "PRAGMA mmap_size=0; PRAGMA cell_size_check=ON; PRAGMA query_only=ON;", NULL, NULL, NULL);
	rc = query_text(db, "PRAGMA quick_check", NULL, buf, sizeof(buf));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		fail(err, errlen, "'%s' is locked: another process is writing it (a decode still running?)", path);
		goto error;
	}
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		fail(err, errlen, "'%s' is not a vmtrace trace (%s)", path, sqlite3_errstr(rc));
		goto error;
	}
	if (rc != SQLITE_ROW || strcmp(buf, "ok") != 0) {
		fail(err, errlen, "'%s' is damaged: quick_check says '%s'", path,
		     trace_db_printable(buf[0] ? buf : sqlite3_errmsg(db), SIZE_MAX, shown, sizeof(shown)));
		goto error;
	}
	for (size_t i = 0; i < sizeof(required_tables) / sizeof(required_tables[0]); i++) {
		rc = query_text(db, "SELECT type FROM sqlite_schema WHERE name = ?1", required_tables[i], buf, sizeof(buf));
		if (rc != SQLITE_ROW || strcmp(buf, "table") != 0) {
			fail(err, errlen, "'%s' is not a vmtrace trace (no table '%s')", path, required_tables[i]);
			goto error;
		}
	}
	rc = query_text(db, "SELECT value FROM meta WHERE key = 'schema_version'", NULL, buf, sizeof(buf));
	if (rc != SQLITE_ROW) {
		fail(err, errlen, "'%s' is not a vmtrace trace (no schema version)", path);
		goto error;
	}
	if (strcmp(buf, "1") != 0) {
		char detail[160];
		snprintf(detail, sizeof(detail), "'%s'; this vmtrace reads version %d", trace_db_printable(buf, SIZE_MAX, shown, sizeof(shown)),
			 TRACE_DB_SCHEMA_VERSION);
		fail(err, errlen, "'%s' has trace.db schema version %s", path, detail);
		goto error;
	}
	/* The decoder writes meta 'events' with its last rows: without it
	 * the decode was cut short and what the file holds is partial. */
	rc = query_text(db, "SELECT value FROM meta WHERE key = 'events'", NULL, buf, sizeof(buf));
	if (rc != SQLITE_ROW) {
		fail(err, errlen, "'%s' is incomplete: its decode did not finish (decode the raw trace again)", path);
		goto error;
	}
	*out = db;
	return 0;
error:
	sqlite3_close(db);
	return -1;
}
