/* The ncurses front (tui_screen.h): the grid to the terminal, keys back. */
#include "tui/tui_screen.h"

#include <curses.h>
#include <term.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_open.h"
#include "tui/tui_app.h"
#include "tui/tui_input.h"
#include "tui/tui_model.h"
#include "tui/tui_view.h"

enum { PAIR_RED = 1, PAIR_YELLOW, PAIR_CYAN };

/* The app whose SQL stop flag ^C sets (one screen at a time). */
static struct tui_app *volatile sigint_app;

static void on_sigint(int sig)
{
	(void)sig;
	if (sigint_app)
		sigint_app->sql_stop = 1;
}

/* The terminal's key as a TUI key (-1: none). */
static int map_key(int ch)
{
	switch (ch) {
	case KEY_UP: return TUI_KEY_UP;
	case KEY_DOWN: return TUI_KEY_DOWN;
	case KEY_LEFT: return TUI_KEY_LEFT;
	case KEY_RIGHT: return TUI_KEY_RIGHT;
	case KEY_PPAGE: return TUI_KEY_PGUP;
	case KEY_NPAGE: return TUI_KEY_PGDN;
	case KEY_HOME: return TUI_KEY_HOME;
	case KEY_END: return TUI_KEY_END;
	case KEY_F(1): return TUI_KEY_F1;
	case KEY_BTAB: return TUI_KEY_BTAB;
	case KEY_ENTER: return TUI_KEY_ENTER;
	case KEY_BACKSPACE: return TUI_KEY_BACKSPACE;
	case KEY_RESIZE: return TUI_KEY_RESIZE;
	case '\r': return TUI_KEY_ENTER;
	default: return ch >= 0 && ch < 0x100 ? ch : -1;
	}
}

static void show(const struct tui_app *a, bool color)
{
	const struct tui_grid *g = &a->grid;

	for (int y = 0; y < g->rows && y < LINES; y++) {
		move(y, 0);
		for (int x = 0; x < g->cols && x < COLS; x++) {
			const struct tui_cell *c = &g->cells[(size_t)y * (size_t)g->cols + (size_t)x];
			attr_t at = A_NORMAL;
			char ch[5];
			if (c->attr & TUI_A_BOLD)
				at |= A_BOLD;
			if (c->attr & TUI_A_REVERSE)
				at |= A_REVERSE;
			if (color && (c->attr & TUI_A_RED))
				at |= COLOR_PAIR(PAIR_RED);
			else if (color && (c->attr & TUI_A_YELLOW))
				at |= COLOR_PAIR(PAIR_YELLOW);
			else if (color && (c->attr & TUI_A_CYAN))
				at |= COLOR_PAIR(PAIR_CYAN);
			memcpy(ch, c->ch, c->n);
			ch[c->n] = '\0';
			attrset(at);
			addstr(ch);
		}
	}
	attrset(A_NORMAL);
	refresh();
}

int tui_screen_run(struct tui_app *a, char *err, size_t errlen)
{
	SCREEN *scr;
	bool color = a->color;
	int r = 0;

	setlocale(LC_CTYPE, "");
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		const char *term = getenv("TERM");
		snprintf(err, errlen, "cannot drive the terminal (TERM=%s)", term ? term : "(unset)");
		return TUI_SCREEN_E_TERM;
	}
	set_term(scr);
	/* A terminal that cannot move the cursor (TERM=dumb) cannot show
	 * panes: say so rather than draw a mess. */
	char *cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		const char *term = getenv("TERM");
		endwin();
		delscreen(scr);
		snprintf(err, errlen, "the terminal (TERM=%s) cannot place the cursor, which the inspector needs",
			 term ? term : "(unset)");
		return TUI_SCREEN_E_TERM;
	}
	/* ^C stops an SQL statement that runs too long (the prompt's stop
	 * flag); outside one it closes a prompt, or quits with the terminal
	 * restored */
	struct sigaction sa, old_sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigint_app = a;
	sigaction(SIGINT, &sa, &old_sa);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (color && has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_RED, COLOR_RED, -1);
		init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
		init_pair(PAIR_CYAN, COLOR_CYAN, -1);
	} else {
		color = false;
	}
	if ((r = tui_app_resize(a, LINES, COLS)) != 0)
		goto cleanup;
	for (;;) {
		if ((r = tui_view_draw(a)) != 0)
			break;
		erase();
		show(a, color);
		int ch = getch();
		if (a->sql_stop) {
			/* ^C while no statement ran: it closes a prompt being
			 * typed, and otherwise quits */
			a->sql_stop = 0;
			if (a->prompt == TUI_PROMPT_NONE)
				break;
			a->prompt = TUI_PROMPT_NONE;
			continue;
		}
		if (ch == ERR)
			continue;
		int key = map_key(ch);
		if (key < 0)
			continue;
		if (key == TUI_KEY_RESIZE && (r = tui_app_resize(a, LINES, COLS)) != 0)
			break;
		int e = 0;
		unsigned f = tui_input_key(a, key, &e);
		if (f & TUI_FAIL) {
			r = e;
			break;
		}
		if (f & TUI_QUIT)
			break;
	}
cleanup:
	/* the terminal first, then any message (htop's fail()) */
	sigaction(SIGINT, &old_sa, NULL);
	sigint_app = NULL;
	endwin();
	delscreen(scr);
	if (r)
		snprintf(err, errlen, "%s", tdb_errmsg(a->m->t)[0] ? tdb_errmsg(a->m->t) : strerror(r < 0 ? -r : EIO));
	return r;
}
