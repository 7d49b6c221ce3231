/* Lines of text a pane shows (detail, state, help): built when what they
 * show changes, drawn from a scroll offset.  At most TUI_TEXT_LINES_MAX
 * lines are kept (a last "..." line says the rest was left out).
 *
 * Errors: the adders return 0 or -ENOMEM (the text stays as it was). */
#ifndef VMTRACE_TUI_TUI_TEXT_H
#define VMTRACE_TUI_TUI_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define TUI_TEXT_LINES_MAX 4096

struct tui_text {
	char **line;     /* n lines, each owned */
	size_t n, cap;
	bool cut;        /* lines were left out */
};

void tui_text_clear(struct tui_text *t);   /* empty, memory kept */
void tui_text_release(struct tui_text *t); /* empty, memory freed */

/* Add one line (printf-style; longer than 4 KiB is cut). */
int tui_text_add(struct tui_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add text as lines of at most width columns: the first starts with
 * lead, the others with indent spaces; cut at the last space that fits,
 * or inside a word longer than a line. */
int tui_text_wrap(struct tui_text *t, const char *lead, int indent, const char *text, int width);

#endif
