/* The screen as cells: every view draws into a grid, which the terminal
 * front (tui_screen.c, ncurses) shows or the script mode (tui_script.c)
 * prints as plain text.  A cell holds one character (ASCII or one UTF-8
 * sequence, counted one column wide) and its attributes; the attributes
 * never carry meaning alone (a '!' or '>' says it in the text).
 *
 * Errors: tui_grid_resize returns 0, -EINVAL (a size outside the limits)
 * or -ENOMEM; the drawing calls clip and never fail. */
#ifndef VMTRACE_TUI_TUI_GRID_H
#define VMTRACE_TUI_TUI_GRID_H

#include <stdint.h>
#include <stdio.h>

/* Sizes the grid accepts (a terminal larger than this is drawn in its
 * top-left part). */
#define TUI_GRID_ROWS_MIN 1
#define TUI_GRID_COLS_MIN 1
#define TUI_GRID_ROWS_MAX 1000
#define TUI_GRID_COLS_MAX 1000

enum tui_attr {
	TUI_A_BOLD = 1u << 0,
	TUI_A_REVERSE = 1u << 1,
	TUI_A_RED = 1u << 2,    /* violations (colour only when colour is on) */
	TUI_A_YELLOW = 1u << 3, /* anomalies */
	TUI_A_CYAN = 1u << 4,   /* titles */
};

struct tui_cell {
	char ch[4];      /* one character, UTF-8; n bytes of it */
	uint8_t n;
	uint8_t attr;    /* enum tui_attr bits */
};

struct tui_grid {
	int rows, cols;
	struct tui_cell *cells;  /* rows * cols, owned (tui_grid_release) */
};

/* Size g to rows x cols, every cell blank. */
int tui_grid_resize(struct tui_grid *g, int rows, int cols);
void tui_grid_release(struct tui_grid *g);
void tui_grid_clear(struct tui_grid *g);

/* Write text at (row, col), at most maxw columns (-1: to the right edge),
 * with attr.  Bytes that are no printable character (controls, invalid
 * UTF-8) are drawn as '?': the text was escaped before, this only keeps
 * the grid sane.  Returns the columns written. */
int tui_grid_put(struct tui_grid *g, int row, int col, int maxw, const char *text, unsigned attr);

/* printf-style tui_grid_put. */
int tui_grid_printf(struct tui_grid *g, int row, int col, int maxw, unsigned attr, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Fill w columns from (row, col) with ch and attr. */
void tui_grid_fill(struct tui_grid *g, int row, int col, int w, char ch, unsigned attr);

/* Add attr to w cells from (row, col). */
void tui_grid_attr(struct tui_grid *g, int row, int col, int w, unsigned attr);

/* Print the grid to f as text, one line a row, trailing blanks cut.
 * Returns 0, or -1 if f reported an error. */
int tui_grid_dump(const struct tui_grid *g, FILE *f);

#endif
