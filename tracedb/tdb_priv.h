/* Inside tracedb: the handle, and helpers the modules share.  Not for
 * callers outside tracedb/. */
#ifndef VMTRACE_TRACEDB_TDB_PRIV_H
#define VMTRACE_TRACEDB_TDB_PRIV_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_open.h"

/* The statements a handle prepares on first use and keeps until tdb_close
 * (tdb_stmt_get): one slot per fixed SQL text. */
enum tdb_stmt_id {
	TDB_ST_META_TEXT,
	TDB_ST_META_EACH,
	TDB_ST_DEVICES_BY_ID,
	TDB_ST_DEVICES_BY_BASE,
	TDB_ST_DEVICES_ROWS,
	TDB_ST_QUEUES_ALL,
	TDB_ST_QUEUES_ALL_DEV,
	TDB_ST_QUEUES_LATEST,
	TDB_ST_QUEUES_LATEST_DEV,
	TDB_ST_QUEUES_AT,
	TDB_ST_QUEUES_AT_NEXT_QUEUE,
	TDB_ST_QUEUES_AT_NEXT_DEVICE,
	TDB_ST_STATE_REG_FIRST,
	TDB_ST_STATE_REG_NEXT,
	TDB_ST_STATE_STATUS,
	TDB_ST_STATE_FEATURES,
	TDB_ST_STATE_CONFIG,
	TDB_ST_STATE_CONFIG_ALL,
	TDB_ST_STATE_SETTER,
	TDB_ST_STATE_CHANGES,
	TDB_ST_VIOLATIONS_AT,
	TDB_ST_VIOLATIONS_FIRST,
	TDB_ST_ANOMALIES_AT,
	TDB_ST_ANOMALY_SEQS,
	TDB_ST_CHAIN,
	TDB_ST_DESCRIPTORS,
	TDB_ST_USED,
	TDB_ST_REQUEST,
	TDB_ST_EVENT_LINKS,
	TDB_ST_N
};

struct tdb {
	sqlite3 *db;
	/* tdb_stmt_get's cache: prepared once, reset after each use, and
	 * finalized by tdb_close.  busy: handed out and not yet put back
	 * (a caller's callback that runs the same query again gets a
	 * statement of its own). */
	sqlite3_stmt *stmt[TDB_ST_N];
	bool stmt_busy[TDB_ST_N];
	char path[4096];
	char err[TDB_ERRMSG_MAX];
	bool has_anomalies;
	bool has_device_steps;
	int reg_index;            /* reg_changes_at as the decoder makes it: 0 unknown, 1 yes, -1 no */
	/* tdb_violations_at: no violations row has a seq in [lo, hi) (the
	 * file cannot change under the handle's read transaction) */
	int64_t viol_gap_lo, viol_gap_hi;
	/* tdb_anomalies_at: the seq of every anomalies row, sorted (the table
	 * has no index on seq); anom_state 0 not read yet, 1 read, -1 not
	 * kept (too many, or a seq that is not an integer) */
	int64_t *anom_seq;
	size_t n_anom_seq;
	int anom_state;
	/* tdb_devices_read's lenient result per order (the query counts
	 * requests and violations per device: a scan of violations per
	 * device), kept from its first read: rows, and the notes it made */
	struct tdb_devices_read_cache {
		struct tdb_device *dev;
		size_t n;
		struct tdb_notes *notes;
	} dev_read[2];
	/* config accesses per device for tdb_state_at (see tdb_state.c) */
	struct tdb_config_cache *config[TDB_DEVICE_ID_MAX + 1];
	size_t config_rows;        /* held in all of them */
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

/* The cached statement id for sql (always the same text for one id),
 * prepared on first use; its parameters are unbound.  Give it back with
 * tdb_stmt_put.  On failure the error is set (tdb_sql_fail) and *st is
 * NULL. */
int tdb_stmt_get(struct tdb *t, enum tdb_stmt_id id, const char *sql, sqlite3_stmt **st, const char *what);

/* Done with st from tdb_stmt_get(t, id, ...): reset with its bindings
 * cleared for the next use (or finalized, if it was a statement of its
 * own).  NULL is allowed. */
void tdb_stmt_put(struct tdb *t, enum tdb_stmt_id id, sqlite3_stmt *st);

/* Free the per-device caches of tdb_state.c (tdb_close). */
void tdb_state_cache_free(struct tdb *t);

/* Text from the file for a message: escaped (no terminal control), cut
 * after max characters with "..". Returns buf. */
const char *tdb_shown_text(const char *s, size_t n, size_t max, char *buf, size_t len);

#endif
