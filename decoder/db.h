/* trace.db: creating it for the decoder, and opening one made by someone
 * else safely (read-only, SQLite's defensive settings, schema checked). */
#ifndef VMTRACE_DECODER_DB_H
#define VMTRACE_DECODER_DB_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

#define TRACE_DB_SCHEMA_VERSION 1
/* The decoder commits at least this often (rows), and at least once a second. */
#define TRACE_DB_COMMIT_ROWS 65536u

/* Create path with the schema. path must not exist, or be an empty regular
 * file (a temporary the caller created). Returns 0 or -1 with a message in
 * err. */
int trace_db_create(struct sqlite3 **out, const char *path, char *err, size_t errlen);

/* Complete a file made by trace_db_create once all rows are in (outside
 * any transaction): create the secondary indexes, switch to a rollback
 * journal. Returns 0 or -1 with a message in err. */
int trace_db_finish(struct sqlite3 *db, char *err, size_t errlen);

/* Open an existing trace.db read-only and defensively: defensive mode,
 * trusted_schema off, no mmap, cell size checks, quick_check, then the
 * meta table's schema version and the expected tables are checked, and a
 * file whose decode did not finish (no meta 'events') is refused.
 * Returns 0, or -1 with a message naming the file in err. */
int trace_db_open_readonly(struct sqlite3 **out, const char *path, char *err, size_t errlen);

/* The meta table's value for key into buf ("" if there is none, or if it
 * does not fit). */
void trace_db_meta(struct sqlite3 *db, const char *key, char *buf, size_t len);

/* Text from a trace.db (or any file) for a message or a terminal: bytes
 * outside printable ASCII as \xHH, so no escape sequence reaches a
 * terminal; at most max characters of s, then "..". Returns buf. */
const char *trace_db_printable(const char *s, size_t max, char *buf, size_t len);

/* The schema text (decoder/schema.sql), for documentation and tests. */
extern const char trace_db_schema_sql[];

#endif
