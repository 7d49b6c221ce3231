/* Checked column reads for trace.db readers (db_row.h). */
#include "decoder/db_row.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "decoder/db.h"

#define SHOWN_TEXT_MAX 32

bool db_row_int(sqlite3_stmt *st, int i, int64_t lo, int64_t hi, bool null_ok, int64_t *out)
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

const char *db_row_text(sqlite3_stmt *st, int i, int *n)
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

bool db_row_is(sqlite3_stmt *st, int i, const char *s)
{
	int n;
	const char *v = db_row_text(st, i, &n);

	return v && (size_t)n == strlen(s) && !memcmp(v, s, (size_t)n);
}

const char *db_row_shown(sqlite3_stmt *st, int i, char *buf, size_t len)
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
		char tmp[SHOWN_TEXT_MAX * 4 + 4];
		snprintf(buf, len, "'%s'", trace_db_printable((const char *)sqlite3_value_text(v), SHOWN_TEXT_MAX, tmp,
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
