/* Inside tracedb: the handle, and helpers the modules share.  Not for
 * callers outside tracedb/. */
#ifndef VMTRACE_TRACEDB_TDB_PRIV_H
#define VMTRACE_TRACEDB_TDB_PRIV_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_open.h"

struct tdb {
	sqlite3 *db;
	char path[4096];
	char err[TDB_ERRMSG_MAX];
	bool has_anomalies;
	/* devices, loaded on first use (tdb_devices_get) */
	struct tdb_device *dev;
	size_t n_dev;
	bool dev_loaded;
	int dev_rc;               /* what loading them returned */
	int dev_by_id[TDB_DEVICE_ID_MAX + 1]; /* devices.device -> index, -1 none */
};

/* Message "'PATH': " + fmt into t->err. Returns code (for "return
 * tdb_fail(...)"). */
int tdb_fail(struct tdb *t, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A failed SQLite call while doing what ("reading devices"): the message
 * with SQLite's reason; returns -ENOMEM or -EIO. */
int tdb_sql_fail(struct tdb *t, const char *what);

/* Load t's devices once (tdb_device_by_id uses them). */
int tdb_devices_cache(struct tdb *t);

/* Prepare sql on t; on failure the error is set (tdb_sql_fail). */
int tdb_prepare(struct tdb *t, const char *sql, sqlite3_stmt **st, const char *what);

/* Text from the file for a message: escaped (no terminal control), cut
 * after max characters with "..". Returns buf. */
const char *tdb_shown_text(const char *s, size_t n, size_t max, char *buf, size_t len);

#endif
