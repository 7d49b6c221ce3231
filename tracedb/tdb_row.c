/* Checked column reads for trace.db readers (tdb_row.h). */
#include "tracedb/tdb_row.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "tracedb/tdb_priv.h"

bool tdb_row_int(sqlite3_stmt *st, int i, int64_t lo, int64_t hi, bool null_ok, int64_t *out)
{
	sqlite3_value *v = sqlite3_column_value(st, i);
	int type = sqlite3_value_type(v);
	int64_t x;

	if (out)
		*out = 0;
	if (type == SQLITE_NULL)
		return null_ok;
	if (type != SQLITE_INTEGER)
		return false;
	x = sqlite3_value_int64(v);
	if (x < lo || x > hi)
		return false;
	if (out)
		*out = x;
	return true;
}

bool tdb_row_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

const char *tdb_row_text(sqlite3_stmt *st, int i, int *n)
{
	sqlite3_value *v = sqlite3_column_value(st, i);
	const char *s;

	*n = 0;
	if (sqlite3_value_type(v) != SQLITE_TEXT)
		return NULL;
	s = (const char *)sqlite3_value_text(v);
	*n = s ? sqlite3_value_bytes(v) : 0;
	return s;
}

bool tdb_row_is(sqlite3_stmt *st, int i, const char *s)
{
	int n;
	const char *v = tdb_row_text(st, i, &n);

	return v && (size_t)n == strlen(s) && !memcmp(v, s, (size_t)n);
}

const char *tdb_row_shown(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	sqlite3_value *v = sqlite3_column_value(st, i);

	if (len == 0)
		return buf;
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		snprintf(buf, len, "%lld", (long long)sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		snprintf(buf, len, "%g", sqlite3_value_double(v));
		break;
	case SQLITE_TEXT: {
		char tmp[TDB_ROW_SHOWN_MAX * 6 + 4];
		const char *s = (const char *)sqlite3_value_text(v);
		snprintf(buf, len, "'%s'", tdb_shown_text(s, s ? (size_t)sqlite3_value_bytes(v) : 0, TDB_ROW_SHOWN_MAX, tmp,
							  sizeof(tmp)));
		break;
	}
	case SQLITE_BLOB:
		snprintf(buf, len, "a %d-byte blob", sqlite3_value_bytes(v));
		break;
	default:
		snprintf(buf, len, "NULL");
	}
	return buf;
}
