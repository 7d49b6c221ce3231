/* One column of a row read from a trace.db that may be someone else's:
 * checked for its type and range before use, and shown safely in
 * messages.  Every tracedb module reads columns through these, so all
 * readers agree on what a damaged row is.  Each call reads the column once
 * through sqlite3_column_value.  (Moved from decoder/db_row.)
 *
 * Errors: none of these fail; a column that does not pass reads as false
 * or NULL and the caller reports the row (TDB_E_DAMAGED_ROW, tdb_open.h). */
#ifndef VMTRACE_TRACEDB_TDB_ROW_H
#define VMTRACE_TRACEDB_TDB_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3_stmt;

/* Most characters of a text column a message shows before "..". */
#define TDB_ROW_SHOWN_MAX 32

/* Column i is an integer in [lo, hi], or NULL where null_ok (read as 0).
 * Its value goes to *out when out is not NULL (0 if it is not valid). */
bool tdb_row_int(struct sqlite3_stmt *st, int i, int64_t lo, int64_t hi, bool null_ok, int64_t *out);

/* Column i is NULL. */
bool tdb_row_null(struct sqlite3_stmt *st, int i);

/* Column i as text, its length in *n; NULL (and *n 0) if it is not text. */
const char *tdb_row_text(struct sqlite3_stmt *st, int i, int *n);

/* Column i is exactly the text s. */
bool tdb_row_is(struct sqlite3_stmt *st, int i, const char *s);

/* Column i as a message shows it: 42, NULL, 'text' (escaped, cut after
 * TDB_ROW_SHOWN_MAX characters with ".."), 2.5 or "a 3-byte blob".
 * Returns buf. */
const char *tdb_row_shown(struct sqlite3_stmt *st, int i, char *buf, size_t len);

#endif
