/* What the detail and state panes say, as text (tui_text.h), built from
 * the trace.db for one seq; the view draws it.
 *
 * Detail: the event under the cursor: show's line, its fields (the
 * register and its meaning, the bytes of a memory event in hex and
 * ASCII), the chain and request it belongs to (notify -> used ->
 * interrupt latency), and each violation (rule, spec section, message)
 * and anomaly at it; who set this (tui/query/tui_who.h): the events s
 * jumps to.
 *
 * State: one device's state at a seq (tdb_state.h: time travel): Status
 * with its names, the features offered, accepted and negotiated with
 * names, each queue's generation, size, ring addresses and readiness, the
 * registers with the seq that set each, the config bytes known.
 *
 * Errors: 0, -ENOMEM, or a tracedb error; a part of the file that cannot
 * be read is said in the text ("(cannot read: ...)"), not returned. */
#ifndef VMTRACE_TUI_TUI_PANES_H
#define VMTRACE_TUI_TUI_PANES_H

#include <stdint.h>

struct tui_model;
struct tui_text;
struct tui_who;

/* who (NULL: not known) is listed under "who set this? (s)" after the
 * event's line. */
int tui_panes_detail(struct tui_model *m, uint64_t seq, const struct tui_who *who, int width, struct tui_text *out);
int tui_panes_state(struct tui_model *m, int device, uint64_t seq, int width, struct tui_text *out);

#endif
