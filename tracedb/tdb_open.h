/* Opening a trace.db that may be someone else's, and the error convention
 * every tracedb module follows.
 *
 * Errors (every tdb_* function returning int):
 *   0                 success
 *   negative errno    fatal: -ENOMEM, -EIO (SQLite failed to read the
 *                     file), -EINVAL (a caller's mistake); forward it
 *   positive TDB_E_*  a documented input error (the file is not a trace,
 *                     a row contradicts the rest of the file, ...)
 * Nothing is turned into 0.  Every error leaves a message in tdb_errmsg()
 * naming the file ("'t.db': devices row device 3: base 'x'"); tdb_open
 * writes its message into the caller's buffer since there is no handle.
 * Text from the file inside a message is escaped: no byte of it can drive
 * a terminal. */
#ifndef VMTRACE_TRACEDB_TDB_OPEN_H
#define VMTRACE_TRACEDB_TDB_OPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracedb/tdb_vocab.h"

struct tdb;

enum {
	TDB_E_UNREADABLE = 1,  /* the file cannot be read (missing, no permission) */
	TDB_E_NOT_TRACE,       /* not SQLite, or a table or the schema version missing */
	TDB_E_VERSION,         /* another schema version than TDB_SCHEMA_VERSION */
	TDB_E_DAMAGED_FILE,    /* SQLite finds the file damaged (tdb_open, tdb_check) */
	TDB_E_INCOMPLETE,      /* no meta 'events': the decode did not finish */
	TDB_E_LOCKED,          /* another process holds the file locked */
	TDB_E_DAMAGED_ROW,     /* a row contradicts the rest of the file (message names it) */
	TDB_E_NOT_FOUND,       /* no such device, chain, request, meta key, ... */
	TDB_E_TOO_MANY,        /* more rows than the documented limit of the call */
	TDB_END,               /* a cursor has no more rows (not an error) */
};

/* Longest message tdb_errmsg holds (longer ones are cut). */
#define TDB_ERRMSG_MAX 512

/* Open path read-only and defensively: SQLite's defensive mode,
 * trusted_schema off, triggers off, no mmap, cell size checks, query_only,
 * then every table a reader relies on (as a real table), the schema
 * version, and meta 'events' (written when a decode finishes).  No pass
 * over the whole file (its cost does not grow with the trace): damage
 * elsewhere in it is found by the read that meets it (an -EIO whose
 * message says the file is damaged), or by tdb_check; docs/opening.md.
 * The handle holds one read transaction (a shared lock on the file) until
 * tdb_close: every call reads the same snapshot, and no statement pays
 * for taking the lock again.  Statements are prepared once per handle.
 * Returns 0 with *out (free with tdb_close), or a TDB_E_* code or -ENOMEM
 * with the reason, naming the file, in err. */
int tdb_open(struct tdb **out, const char *path, char *err, size_t errlen);

/* Check the whole file: SQLite's quick_check (every page and record;
 * linear in the file's size, about 2 ms a MB here), what tdb_open leaves
 * out.  Returns 0, TDB_E_DAMAGED_FILE with what it found in tdb_errmsg
 * ("'t.db': the file is damaged: quick_check says '...'"), -ENOMEM or
 * -EIO. */
int tdb_check(struct tdb *t);

/* Close t (NULL is allowed). */
void tdb_close(struct tdb *t);

/* The message of the last error on t ("" if none). Valid until the next
 * call on t. */
const char *tdb_errmsg(const struct tdb *t);

/* The path t was opened from (as given). */
const char *tdb_path(const struct tdb *t);

/* Whether the file has the anomalies table (files written before it
 * existed have not; readers count it as empty). */
bool tdb_has_anomalies(const struct tdb *t);

/* Whether the file has the device_steps table (the device's own reports of
 * its queue steps; files written before it existed have not, and readers
 * count it as empty: no reports). */
bool tdb_has_device_steps(const struct tdb *t);

#endif
