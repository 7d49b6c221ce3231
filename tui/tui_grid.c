/* The off-screen grid every view draws into (tui_grid.h). */
#include "tui/tui_grid.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int tui_grid_resize(struct tui_grid *g, int rows, int cols)
{
	struct tui_cell *cells;

	if (rows < TUI_GRID_ROWS_MIN || rows > TUI_GRID_ROWS_MAX || cols < TUI_GRID_COLS_MIN || cols > TUI_GRID_COLS_MAX)
		return -EINVAL;
	cells = calloc((size_t)rows * (size_t)cols, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	free(g->cells);
	g->cells = cells;
	g->rows = rows;
	g->cols = cols;
	tui_grid_clear(g);
	return 0;
}

void tui_grid_release(struct tui_grid *g)
{
	free(g->cells);
	g->cells = NULL;
	g->rows = g->cols = 0;
}

void tui_grid_clear(struct tui_grid *g)
{
	for (size_t i = 0; i < (size_t)g->rows * (size_t)g->cols; i++) {
		g->cells[i].ch[0] = ' ';
		g->cells[i].n = 1;
		g->cells[i].attr = 0;
	}
}

/* Length of the UTF-8 character at s (a sequence the escaper lets
 * through: 2 to 4 bytes, continuation bytes checked), 0 if it is none. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int tui_grid_put(struct tui_grid *g, int row, int col, int maxw, const char *text, unsigned attr)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	int w = 0;

	if (row < 0 || row >= g->rows || col < 0 || col >= g->cols)
		return 0;
	if (maxw < 0 || maxw > g->cols - col)
		maxw = g->cols - col;
	while (*s && w < maxw) {
		struct tui_cell *c = &g->cells[(size_t)row * (size_t)g->cols + (size_t)(col + w)];
		int n = *s < 0x80 ? 1 : utf8_len(s);
		if (n <= 1) {
			c->ch[0] = (*s >= 0x20 && *s < 0x7f) ? (char)*s : '?';
			c->n = 1;
			s++;
		} else {
			memcpy(c->ch, s, (size_t)n);
			c->n = (uint8_t)n;
			s += n;
		}
		c->attr = (uint8_t)attr;
		w++;
	}
	return w;
}

int tui_grid_printf(struct tui_grid *g, int row, int col, int maxw, unsigned attr, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tui_grid_put(g, row, col, maxw, buf, attr);
}

void tui_grid_fill(struct tui_grid *g, int row, int col, int w, char ch, unsigned attr)
{
	if (row < 0 || row >= g->rows || col < 0)
		return;
	for (int x = col; x < col + w && x < g->cols; x++) {
		struct tui_cell *c = &g->cells[(size_t)row * (size_t)g->cols + (size_t)x];
		c->ch[0] = ch;
		c->n = 1;
		c->attr = (uint8_t)attr;
	}
}

void tui_grid_attr(struct tui_grid *g, int row, int col, int w, unsigned attr)
{
	if (row < 0 || row >= g->rows || col < 0)
		return;
	for (int x = col; x < col + w && x < g->cols; x++)
		g->cells[(size_t)row * (size_t)g->cols + (size_t)x].attr |= (uint8_t)attr;
}

int tui_grid_dump(const struct tui_grid *g, FILE *f)
{
	for (int y = 0; y < g->rows; y++) {
		const struct tui_cell *line = &g->cells[(size_t)y * (size_t)g->cols];
		int end = g->cols;
		while (end > 0 && line[end - 1].n == 1 && line[end - 1].ch[0] == ' ')
			end--;
		for (int x = 0; x < end; x++)
			fwrite(line[x].ch, 1, line[x].n, f);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}
