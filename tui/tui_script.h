/* The headless mode for tests (tig's test suite is the model): a script
 * of keystrokes in, screens out as plain text, no terminal involved.
 *
 * A script is tokens separated by white space ('#' to the end of a line
 * is a comment).  A token is a run of keys, each a character or a name
 * in angle brackets: <Enter> <Tab> <BTab> <Esc> <Up> <Down> <Left>
 * <Right> <PgUp> <PgDn> <Home> <End> <F1> <Space> <BS> <lt> ('<'), and
 * <Resize COLSxROWS> (the terminal changed size).  So ':123<Enter>' goes to
 * event 123 and '/blk<Space>0<Enter>' searches "blk 0".  The token 'dump'
 * prints the screen as it stands, after a line "--- screen N (COLSxROWS)".
 *
 * Errors: 0; TUI_SCRIPT_E_BAD (the script cannot be read or has a token
 * that is no key: err says which, on which line); or the error of the
 * inspector (negative errno, a tracedb error) with err saying what. */
#ifndef VMTRACE_TUI_TUI_SCRIPT_H
#define VMTRACE_TUI_TUI_SCRIPT_H

#include <stddef.h>
#include <stdio.h>

struct tui_app;

/* Largest script read. */
#define TUI_SCRIPT_MAX (1u << 20)
#define TUI_SCRIPT_E_BAD 1000 /* apart from the TDB_E_* codes */

int tui_script_run(struct tui_app *a, const char *path, FILE *out, char *err, size_t errlen);

#endif
