/* The inspector's state besides the model: which pane has the focus, the
 * prompt being typed (:SEQ, /text), the help screen, the message line,
 * the panes' text and scroll, the selected device.  The input handlers
 * (tui_input.c) change it, the view (tui_view.c) draws it, and a front
 * (tui_screen.c on a terminal, tui_script.c headless) runs the loop.
 *
 * Errors: 0, -ENOMEM, or a tracedb error (tui_model.h). */
#ifndef VMTRACE_TUI_TUI_APP_H
#define VMTRACE_TUI_TUI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tui/tui_grid.h"
#include "tui/tui_text.h"

struct tui_model;

enum tui_focus { TUI_FOCUS_LIST, TUI_FOCUS_DETAIL, TUI_FOCUS_STATE, TUI_FOCUS_N };
enum tui_prompt { TUI_PROMPT_NONE, TUI_PROMPT_GOTO, TUI_PROMPT_SEARCH };

#define TUI_PROMPT_MAX 255
#define TUI_MSG_MAX 256

struct tui_app {
	struct tui_model *m;        /* owned */
	struct tui_grid grid;       /* what the screen shows; owned */
	bool color;                 /* colours allowed (not NO_COLOR, -C, TERM=dumb) */
	enum tui_focus focus;
	bool help;                  /* the help screen is up */
	enum tui_prompt prompt;
	char pbuf[TUI_PROMPT_MAX + 1];
	size_t plen;
	char msg[TUI_MSG_MAX];      /* one line under the panes, until the next key */
	int sel_device;             /* the state pane's device, -1 none yet */
	/* the panes' text, built for (seq, width[, device]) */
	struct tui_text detail, state, helptext;
	bool detail_ok, state_ok;
	uint64_t detail_seq, state_seq;
	int detail_w, state_w, state_dev;
	size_t detail_top, state_top, help_top;
	int list_h, pane_h;         /* the layout's heights (tui_view_draw) */
};

/* Open the trace at path into a new app (*out, free with tui_app_free)
 * with a rows x cols grid.  The error's message is in err. */
int tui_app_open(struct tui_app **out, const char *path, int rows, int cols, bool color, char *err, size_t errlen);
void tui_app_free(struct tui_app *a); /* NULL is fine */

/* A new size (KEY_RESIZE, the script's <Resize>). */
int tui_app_resize(struct tui_app *a, int rows, int cols);

#endif
