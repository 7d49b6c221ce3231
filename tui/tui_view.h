/* Drawing the inspector into its grid (tui_grid.h): the header, the event
 * list, the detail and state panes (side by side, or the focused one on a
 * narrow screen), the prompt or message line, or the help screen.  The
 * layout follows the grid's size.
 *
 * Errors: 0, -ENOMEM, or a tracedb error (tui_model.h). */
#ifndef VMTRACE_TUI_TUI_VIEW_H
#define VMTRACE_TUI_TUI_VIEW_H

struct tui_app;

int tui_view_draw(struct tui_app *a);

#endif
