/* The terminal front (ncurses): shows the grid, reads keys, follows
 * KEY_RESIZE, restores the terminal on every way out.  Built only with
 * the meson feature 'tui' (ncursesw).
 *
 * Errors: 0 (q), TUI_SCREEN_E_TERM (the terminal cannot be driven: err
 * says why), or the inspector's error (negative errno, tracedb error)
 * with err saying what. */
#ifndef VMTRACE_TUI_TUI_SCREEN_H
#define VMTRACE_TUI_TUI_SCREEN_H

#include <stddef.h>

struct tui_app;

#define TUI_SCREEN_E_TERM 1001 /* apart from the TDB_E_* codes */

/* Run a (opened with any size: it takes the terminal's) until q. */
int tui_screen_run(struct tui_app *a, char *err, size_t errlen);

#endif
