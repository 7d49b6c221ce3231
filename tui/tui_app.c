/* The inspector's state (tui_app.h). */
#include "tui/tui_app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"

#include "tui/tui_model.h"
#include "tui/views/tui_timeline.h"

int tui_app_open(struct tui_app **out, const char *path, int rows, int cols, bool color, char *err, size_t errlen)
{
	struct tui_app *a;
	int r;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->color = color;
	a->sel_device = -1;
	a->sql_limit_ms = TUI_SQL_LIMIT_MS_DEFAULT;
	if ((r = tui_grid_resize(&a->grid, rows, cols)) != 0) {
		snprintf(err, errlen, "a screen of %dx%d is not one the TUI draws (%dx%d to %dx%d)", cols, rows,
			 TUI_GRID_COLS_MIN, TUI_GRID_ROWS_MIN, TUI_GRID_COLS_MAX, TUI_GRID_ROWS_MAX);
		goto cleanup;
	}
	if ((r = tui_model_open(&a->m, path, err, errlen)) != 0)
		goto cleanup;
	/* the strip is a help, not the trace: a file whose bounds it cannot
	 * read still opens, without it */
	if (tui_timeline_open(&a->tl, a->m->t) != 0)
		a->tl = NULL;
	*out = a;
	a = NULL;
cleanup:
	tui_app_free(a);
	return r;
}

void tui_app_free(struct tui_app *a)
{
	if (!a)
		return;
	for (int i = 0; i < TUI_VIEW_N; i++)
		tui_listview_free(a->lv[i]);
	tui_timeline_free(a->tl);
	tui_sql_result_clear(&a->sql);
	tui_model_close(a->m);
	tui_grid_release(&a->grid);
	tui_text_release(&a->detail);
	tui_text_release(&a->state);
	tui_text_release(&a->helptext);
	free(a);
}

int tui_app_resize(struct tui_app *a, int rows, int cols)
{
	/* the panes are built again for the new widths */
	a->detail_ok = a->state_ok = false;
	if (rows > TUI_GRID_ROWS_MAX)
		rows = TUI_GRID_ROWS_MAX;
	if (cols > TUI_GRID_COLS_MAX)
		cols = TUI_GRID_COLS_MAX;
	return tui_grid_resize(&a->grid, rows < 1 ? 1 : rows, cols < 1 ? 1 : cols);
}

int64_t tui_app_line_request(const struct tui_line *l)
{
	static const char tag[] = "(request ";
	const char *p;
	int64_t n = 0;

	if (!l || l->type != VMT_EV_MEM || !l->text || l->what > strlen(l->text))
		return -1;
	p = strstr(l->text + l->what, tag);
	if (!p)
		return -1;
	p += sizeof(tag) - 1;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return *p == ' ' || *p == ')' ? n : -1;
}
