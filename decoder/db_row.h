/* One column of a row read from a trace.db that may be someone else's:
 * checked for its type and range before use, and shown safely in
 * messages.  Used by every reader (replay, info, show) so they agree on
 * what a damaged row is.  Each call reads the column once through
 * sqlite3_column_value. */
#ifndef VMTRACE_DECODER_DB_ROW_H
#define VMTRACE_DECODER_DB_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3_stmt;

/* Column i is an integer in [lo, hi], or NULL where null_ok (read as 0).
 * Its value goes to *out when out is not NULL (0 if it is not valid). */
bool db_row_int(struct sqlite3_stmt *st, int i, int64_t lo, int64_t hi, bool null_ok, int64_t *out);

/* Column i as text, its length in *n; NULL (and *n 0) if it is not text. */
const char *db_row_text(struct sqlite3_stmt *st, int i, int *n);

/* Column i is exactly the text s. */
bool db_row_is(struct sqlite3_stmt *st, int i, const char *s);

/* Column i as a message shows it: 42, NULL, 'text' (bytes outside
 * printable ASCII as \xHH, cut after 32 with ".."), 2.5 or "a 3-byte
 * blob". Returns buf. */
const char *db_row_shown(struct sqlite3_stmt *st, int i, char *buf, size_t len);

#endif
