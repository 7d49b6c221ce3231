/* trace.db: creating it for the decoder.  Reading one (someone else's
 * too) is tracedb/'s job (tracedb/tdb_open.h).
 *
 * Errors: each function returns 0, or -1 with a message naming the file
 * in err. */
#ifndef VMTRACE_DECODER_DB_H
#define VMTRACE_DECODER_DB_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

#include "tracedb/tdb_vocab.h"

/* The version the decoder writes is the one tracedb reads. */
#define TRACE_DB_SCHEMA_VERSION TDB_SCHEMA_VERSION
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

/* The schema text (decoder/schema.sql), for documentation and tests. */
extern const char trace_db_schema_sql[];

#endif
