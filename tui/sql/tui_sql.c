/* The SQL prompt's engine: one read-only statement over the trace
 * (tui_sql.h). */
#include "tui/sql/tui_sql.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "format/escape.h"

/* SQLite virtual machine steps between two looks at the clock and the
 * stop flag (a few microseconds of work). */
#define SQL_PROGRESS_OPS 1000

/* SQLite's built-in functions that only compute a value from their
 * arguments (core, aggregate, window, date and time, math, JSON).  Left
 * out: load_extension (extensions are off too), fts3_tokenizer (takes a
 * pointer), and anything an extension or a hostile schema could name. */
static const char *const fn_allowed[] = {
	"abs", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "avg", "ceil", "ceiling", "char",
	"coalesce", "concat", "concat_ws", "cos", "cosh", "count", "cume_dist", "date", "datetime", "degrees",
	"dense_rank", "exp", "first_value", "floor", "format", "glob", "group_concat", "hex", "ifnull", "iif",
	"instr", "json", "json_array", "json_array_length", "json_each", "json_extract", "json_group_array",
	"json_group_object", "json_insert", "json_object", "json_patch", "json_quote", "json_remove",
	"json_replace", "json_set", "json_tree", "json_type", "json_valid", "julianday", "lag", "last_value",
	"lead", "length", "like", "likelihood", "likely", "ln", "log", "log10", "log2", "lower", "ltrim", "max",
	"min", "mod", "nth_value", "ntile", "nullif", "percent_rank", "pi", "pow", "power", "printf", "quote",
	"radians", "random", "randomblob", "rank", "replace", "round", "row_number", "rtrim", "sign", "sin",
	"sinh", "sqrt", "strftime", "substr", "substring", "sum", "tan", "tanh", "time", "total", "trim",
	"trunc", "typeof", "unhex", "unicode", "unixepoch", "unlikely", "upper", "zeroblob", "->", "->>",
};

/* Pragmas that only describe the schema (PRAGMA table_info(events)). */
static const char *const pragma_allowed[] = {
	"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	if (!s)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(s, list[i]))
			return true;
	return false;
}

struct run {
	uint64_t deadline_ns;
	volatile int *stop;
	bool timed_out, stopped;
	char refused[160];      /* the first action the authorizer refused */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* SQLite's progress handler: nonzero interrupts the statement. */
static int on_progress(void *arg)
{
	struct run *r = arg;

	if (r->stop && *r->stop) {
		r->stopped = true;
		return 1;
	}
	if (now_ns() >= r->deadline_ns) {
		r->timed_out = true;
		return 1;
	}
	return 0;
}

/* The authorizer: reading passes, everything else is refused (the first
 * refusal is named in the error). */
static int on_authorize(void *arg, int action, const char *a1, const char *a2, const char *db, const char *trigger)
{
	static const char *const names[] = {
		[SQLITE_CREATE_INDEX] = "CREATE INDEX", [SQLITE_CREATE_TABLE] = "CREATE TABLE",
		[SQLITE_CREATE_TEMP_INDEX] = "CREATE INDEX", [SQLITE_CREATE_TEMP_TABLE] = "CREATE TABLE",
		[SQLITE_CREATE_TEMP_TRIGGER] = "CREATE TRIGGER", [SQLITE_CREATE_TEMP_VIEW] = "CREATE VIEW",
		[SQLITE_CREATE_TRIGGER] = "CREATE TRIGGER", [SQLITE_CREATE_VIEW] = "CREATE VIEW",
		[SQLITE_DELETE] = "DELETE", [SQLITE_DROP_INDEX] = "DROP INDEX", [SQLITE_DROP_TABLE] = "DROP TABLE",
		[SQLITE_DROP_TEMP_INDEX] = "DROP INDEX", [SQLITE_DROP_TEMP_TABLE] = "DROP TABLE",
		[SQLITE_DROP_TEMP_TRIGGER] = "DROP TRIGGER", [SQLITE_DROP_TEMP_VIEW] = "DROP VIEW",
		[SQLITE_DROP_TRIGGER] = "DROP TRIGGER", [SQLITE_DROP_VIEW] = "DROP VIEW", [SQLITE_INSERT] = "INSERT",
		[SQLITE_PRAGMA] = "PRAGMA", [SQLITE_READ] = "reading", [SQLITE_SELECT] = "SELECT",
		[SQLITE_TRANSACTION] = "a transaction", [SQLITE_UPDATE] = "UPDATE", [SQLITE_ATTACH] = "ATTACH",
		[SQLITE_DETACH] = "DETACH", [SQLITE_ALTER_TABLE] = "ALTER TABLE", [SQLITE_REINDEX] = "REINDEX",
		[SQLITE_ANALYZE] = "ANALYZE", [SQLITE_CREATE_VTABLE] = "CREATE VIRTUAL TABLE",
		[SQLITE_DROP_VTABLE] = "DROP VIRTUAL TABLE", [SQLITE_FUNCTION] = "the function",
		[SQLITE_SAVEPOINT] = "SAVEPOINT", [SQLITE_RECURSIVE] = "WITH RECURSIVE",
	};
	struct run *r = arg;
	bool ok;

	(void)db;
	(void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
		ok = true;
		break;
	case SQLITE_FUNCTION:
		ok = in_list(a2, fn_allowed, sizeof(fn_allowed) / sizeof(fn_allowed[0]));
		break;
	case SQLITE_PRAGMA:
		ok = in_list(a1, pragma_allowed, sizeof(pragma_allowed) / sizeof(pragma_allowed[0]));
		break;
	default:
		ok = false;
	}
	if (!ok && !r->refused[0]) {
		const char *what = action >= 0 && (size_t)action < sizeof(names) / sizeof(names[0]) && names[action]
					   ? names[action]
					   : "that statement";
		const char *subject = action == SQLITE_FUNCTION ? a2 : a1;
		char esc[64];
		/* DROP and CREATE first ask to write the schema table, and
		 * stop there when refused */
		if (subject && (!strcmp(subject, "sqlite_master") || !strcmp(subject, "sqlite_temp_master"))) {
			what = "a change to the schema";
			subject = NULL;
		}
		snprintf(r->refused, sizeof(r->refused), "refused: the SQL prompt only reads (%s%s%s)", what,
			 subject ? " " : "", subject ? escape_str(subject, esc, sizeof(esc)) : "");
	}
	return ok ? SQLITE_OK : SQLITE_DENY;
}

/* One value of the current row as the terminal may show it. */
static void cell_text(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	int type = sqlite3_column_type(st, col);

	if (type == SQLITE_NULL) {
		snprintf(buf, len, "NULL");
	} else if (type == SQLITE_BLOB) {
		const unsigned char *b = sqlite3_column_blob(st, col);
		int n = sqlite3_column_bytes(st, col);
		int shown = n < TUI_SQL_BLOB_SHOWN ? n : TUI_SQL_BLOB_SHOWN;
		size_t k = (size_t)snprintf(buf, len, "x'");
		for (int i = 0; i < shown && b && k + 3 < len; i++)
			k += (size_t)snprintf(buf + k, len - k, "%02x", b[i]);
		if (k < len)
			snprintf(buf + k, len - k, shown < n ? "...' (%d bytes)" : "'", n);
	} else {
		const unsigned char *s = sqlite3_column_text(st, col);
		int n = sqlite3_column_bytes(st, col);
		/* At most len bytes are read: escaped they never fit in len
		 * with the NUL, so a longer value shows escape_mem's "...". */
		size_t take = n > 0 ? (size_t)n : 0;
		if (take > len)
			take = len;
		escape_mem(s ? (const char *)s : "", s ? take : 0, buf, len);
	}
}

/* The statement's rows into out, within the caps. */
static int read_rows(sqlite3 *db, sqlite3_stmt *st, struct run *run, struct tui_sql_result *out)
{
	char buf[TUI_SQL_CELL_MAX];
	size_t cap, used = 0, bytes = 0;
	int ncol = sqlite3_column_count(st), rc;

	out->cols = (size_t)ncol;
	if (ncol == 0)
		return 0;
	cap = (size_t)ncol * 64;
	out->cells = calloc(cap, sizeof(char *));
	if (!out->cells)
		return -ENOMEM;
	for (int c = 0; c < ncol; c++) {
		const char *name = sqlite3_column_name(st, c);
		if (!name)
			return -ENOMEM;
		escape_str(name, buf, sizeof(buf));
		if (!(out->cells[used++] = strdup(buf)))
			return -ENOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->rows == TUI_SQL_ROWS_MAX || bytes > TUI_SQL_BYTES_MAX) {
			out->truncated = true;
			return 0;
		}
		if (used + (size_t)ncol > cap) {
			size_t ncap = 2 * cap;
			char **v = realloc(out->cells, ncap * sizeof(char *));
			if (!v)
				return -ENOMEM;
			memset(v + cap, 0, (ncap - cap) * sizeof(char *));
			out->cells = v;
			cap = ncap;
		}
		for (int c = 0; c < ncol; c++) {
			cell_text(st, c, buf, sizeof(buf));
			if (!(out->cells[used + (size_t)c] = strdup(buf))) {
				/* the row's cells so far: clear frees whole rows only */
				for (int k = 0; k < c; k++) {
					free(out->cells[used + (size_t)k]);
					out->cells[used + (size_t)k] = NULL;
				}
				return -ENOMEM;
			}
			bytes += strlen(buf) + 1 + sizeof(char *);
		}
		used += (size_t)ncol;
		out->rows++;
	}
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_INTERRUPT && (run->timed_out || run->stopped)) {
		out->interrupted = true;
		return 0;
	}
	if (rc == SQLITE_NOMEM)
		return -ENOMEM;
	snprintf(out->err, sizeof(out->err), "%s", sqlite3_errmsg(db));
	return 0;
}

/* Whether the text after the first statement holds another one (more
 * than blanks, semicolons and comments). */
static bool more_sql(const char *tail)
{
	while (tail && *tail) {
		if (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';') {
			tail++;
		} else if (tail[0] == '-' && tail[1] == '-') {
			tail += strcspn(tail, "\n");
		} else if (tail[0] == '/' && tail[1] == '*') {
			const char *e = strstr(tail + 2, "*/");
			if (!e)
				return false;
			tail = e + 2;
		} else {
			return true;
		}
	}
	return false;
}

int tui_sql_run(const char *path, const char *sql, unsigned limit_ms, volatile int *stop, struct tui_sql_result *out)
{
	struct run run = { .stop = stop };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	char esc[128];
	int rc, r = 0;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (!db)
			return -ENOMEM;
		snprintf(out->err, sizeof(out->err), "unable to open '%s': %s", escape_str(path, esc, sizeof(esc)),
			 sqlite3_errmsg(db));
		goto cleanup;
	}
	/* The file and the statement are both untrusted: nothing the
	 * schema defines runs with power, no triggers, no extensions, no
	 * second file, no huge value built in memory. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, TUI_SQL_VALUE_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 100000);
	sqlite3_limit(db, SQLITE_LIMIT_COLUMN, TUI_SQL_COLS_MAX);
	sqlite3_exec(db, "PRAGMA mmap_size=0; PRAGMA cell_size_check=ON; PRAGMA query_only=ON;", NULL, NULL, NULL);
	/* from here on, only reading is authorized */
	sqlite3_set_authorizer(db, on_authorize, &run);
	run.deadline_ns = now_ns() + (uint64_t)(limit_ms ? limit_ms : TUI_SQL_LIMIT_MS_DEFAULT) * 1000000u;
	/* the limit covers preparing too (reading a big schema) */
	sqlite3_progress_handler(db, SQL_PROGRESS_OPS, on_progress, &run);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
	if (rc == SQLITE_NOMEM) {
		r = -ENOMEM;
		goto cleanup;
	}
	if (rc != SQLITE_OK) {
		snprintf(out->err, sizeof(out->err), "%s", run.refused[0] ? run.refused : sqlite3_errmsg(db));
		goto cleanup;
	}
	if (!st) {
		snprintf(out->err, sizeof(out->err), "no statement");
		goto cleanup;
	}
	if (more_sql(tail)) {
		snprintf(out->err, sizeof(out->err), "one statement at a time (there is more after the first ';')");
		goto cleanup;
	}
	if (!sqlite3_stmt_readonly(st)) {
		/* the authorizer refuses writes; this is the second lock */
		snprintf(out->err, sizeof(out->err), "refused: the SQL prompt only reads");
		goto cleanup;
	}
	r = read_rows(db, st, &run, out);
	if (r == 0 && out->interrupted && run.stopped)
		snprintf(out->err, sizeof(out->err), "stopped (interrupted); %zu row%s read", out->rows,
			 out->rows == 1 ? "" : "s");
	else if (r == 0 && out->interrupted)
		snprintf(out->err, sizeof(out->err), "stopped after %u ms (the time limit); %zu row%s read",
			 limit_ms ? limit_ms : TUI_SQL_LIMIT_MS_DEFAULT, out->rows, out->rows == 1 ? "" : "s");
cleanup:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (r < 0)
		tui_sql_result_clear(out);
	return r;
}

void tui_sql_result_clear(struct tui_sql_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->cells && i < (r->rows + 1) * r->cols; i++)
		free(r->cells[i]);
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

const char *tui_sql_cell(const struct tui_sql_result *r, size_t row, size_t col)
{
	if (!r || !r->cells || row > r->rows || col >= r->cols)
		return NULL;
	return r->cells[row * r->cols + col];
}
