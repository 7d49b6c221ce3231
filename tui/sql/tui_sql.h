/* The inspector's SQL prompt (`;`): one statement over the trace, run on a
 * connection of its own that can only read, with a time limit and a stop
 * flag, its result kept as text cells ready for the terminal.
 *
 * The file may come from anyone and the statement from the user, so the
 * connection is opened SQLITE_OPEN_READONLY with SQLite's defensive
 * settings (SQLITE_DBCONFIG_DEFENSIVE, trusted_schema off, no triggers, no
 * extensions, mmap_size 0, cell_size_check, query_only), no attached
 * databases, strings and blobs capped (TUI_SQL_VALUE_MAX), and an
 * authorizer that lets through only reading: SELECT, reading columns,
 * WITH RECURSIVE, SQLite's built-in functions that compute a value (no
 * load_extension, no fts3_tokenizer), and the pragmas that describe the
 * schema (table_info, index_list, ...).  Everything else (INSERT, UPDATE,
 * DELETE, CREATE, DROP, ALTER, ATTACH, DETACH, BEGIN, a pragma that sets
 * something, VACUUM, ANALYZE ...) is refused when it is prepared, before
 * anything runs.  One statement per run: text after the first is refused.
 *
 * Every cell went through the project's one escaper (format/escape.h):
 * nothing from the file drives the terminal.  Text cells are cut at
 * TUI_SQL_CELL_MAX characters ("..." shows the cut), blobs are shown as
 * x'0a1b...' with their first TUI_SQL_BLOB_SHOWN bytes (and the length
 * when cut), NULL as "NULL". */
#ifndef VMTRACE_TUI_SQL_TUI_SQL_H
#define VMTRACE_TUI_SQL_TUI_SQL_H

#include <stdbool.h>
#include <stddef.h>

/* Rows a result keeps (more: truncated); the time limit when the caller
 * gives 0; bytes of text a cell shows, escaped (with its NUL); blob bytes
 * shown in hex; all cells together (more: truncated, so a wide result of
 * long cells stays within memory); the longest string or blob a statement
 * may build (SQLITE_LIMIT_LENGTH: randomblob(1e9) is an error, not a
 * gigabyte); columns a statement may have. */
#define TUI_SQL_ROWS_MAX 10000
#define TUI_SQL_LIMIT_MS_DEFAULT 2000
#define TUI_SQL_CELL_MAX 512
#define TUI_SQL_BLOB_SHOWN 32
#define TUI_SQL_BYTES_MAX (16u << 20)
#define TUI_SQL_VALUE_MAX (1 << 20)
#define TUI_SQL_COLS_MAX 100

struct tui_sql_result {
	size_t rows, cols;  /* rows: data rows (not counting the names) */
	char **cells;       /* (rows + 1) * cols, row-major, row 0 the column
			     * names; each escaped for the terminal with
			     * format/escape.h; owned (tui_sql_result_clear) */
	bool truncated;     /* rows were left out: TUI_SQL_ROWS_MAX or TUI_SQL_BYTES_MAX */
	bool interrupted;   /* stopped by the time limit or *stop: the rows read until then */
	char err[256];      /* "" or why the statement did not run to its end:
			     * SQLite's message ('near "SELEC": syntax error'),
			     * "refused: ...", "stopped after 2000 ms (the time
			     * limit)", "stopped (interrupted)", "unable to open ..." */
};

/* Run sql on path read-only (own connection, SQLITE_OPEN_READONLY,
 * defensive, query_only, an authorizer that refuses everything but
 * reading); stop after limit_ms (0: TUI_SQL_LIMIT_MS_DEFAULT) or when
 * *stop becomes nonzero (may be NULL; checked every few thousand SQLite
 * steps, so a signal handler may set it while the statement runs).
 * Returns 0 with *out filled (out->err set when the file could not be
 * opened or the statement failed, was refused or was stopped; the rows
 * read before a stop are kept), or -ENOMEM (*out cleared).  *out is
 * cleared first: free it with tui_sql_result_clear. */
int tui_sql_run(const char *path, const char *sql, unsigned limit_ms, volatile int *stop, struct tui_sql_result *out);

/* Free what r holds and zero it (a zeroed r is fine, so is NULL). */
void tui_sql_result_clear(struct tui_sql_result *r);

/* The cell at row (0: the column names), col; NULL outside the result. */
const char *tui_sql_cell(const struct tui_sql_result *r, size_t row, size_t col);

#endif
