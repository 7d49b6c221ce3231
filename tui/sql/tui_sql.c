/* The SQL prompt's engine (tui_sql.h). FIXME(T2): in progress. */
#include "tui/sql/tui_sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tui_sql_run(const char *path, const char *sql, unsigned limit_ms, volatile int *stop, struct tui_sql_result *out)
{
	(void)path;
	(void)sql;
	(void)limit_ms;
	(void)stop;
	memset(out, 0, sizeof(*out));
	snprintf(out->err, sizeof(out->err), "the SQL prompt is not built yet");
	return 0;
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
	if (!r->cells || row > r->rows || col >= r->cols)
		return NULL;
	return r->cells[row * r->cols + col];
}
