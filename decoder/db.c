/* Creating trace.db files (reading them is tracedb/'s job). */
#include "decoder/db.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
