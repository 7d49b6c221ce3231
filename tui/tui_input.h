/* Keys to actions: each handler returns flags and one loop redraws (htop
 * Panel.h's HANDLED / REDRAW / BREAK_LOOP).  Keys are the terminal's
 * characters plus TUI_KEY_* for the named ones, whichever front read
 * them (ncurses, or a script's tokens). */
#ifndef VMTRACE_TUI_TUI_INPUT_H
#define VMTRACE_TUI_TUI_INPUT_H

struct tui_app;

enum tui_key {
	TUI_KEY_TAB = '\t',
	TUI_KEY_ENTER = '\n',
	TUI_KEY_ESC = 27,
	TUI_KEY_BACKSPACE = 127,
	TUI_KEY_UP = 0x1000,
	TUI_KEY_DOWN,
	TUI_KEY_LEFT,
	TUI_KEY_RIGHT,
	TUI_KEY_PGUP,
	TUI_KEY_PGDN,
	TUI_KEY_HOME,
	TUI_KEY_END,
	TUI_KEY_F1,
	TUI_KEY_BTAB,
	TUI_KEY_RESIZE,  /* the front has resized the app already */
};

enum {
	TUI_HANDLED = 1u << 0,
	TUI_REDRAW = 1u << 1,
	TUI_QUIT = 1u << 2,
	TUI_FAIL = 1u << 3,  /* the trace could not be read on (*err says how) */
};

/* Act on key.  On TUI_FAIL, *err is the error (negative errno or a
 * tracedb error) and tdb_errmsg says what. */
unsigned tui_input_key(struct tui_app *a, int key, int *err);

/* The help screen's text. */
extern const char *const tui_help_lines[];

#endif
