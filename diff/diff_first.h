/* One side of a pair's first divergence: its context lines (show's
 * lines for register events, request lines for ring traffic) and the
 * device's state just before the divergent event.
 *
 * Errors: 0, or a tracedb error (tdb_open.h) with tdb_errmsg saying
 * what. */
#ifndef VMTRACE_DIFF_DIFF_FIRST_H
#define VMTRACE_DIFF_DIFF_FIRST_H

#include <stdbool.h>
#include <stddef.h>

#include "diff/diff.h"
#include "diff/diff_stream.h"

struct tdb;

/* Side of trace t, device, streams s: the divergence is at index at of
 * the register stream (queue -1) or of queue's requests.  has_at: this
 * side has an event there (its text goes into at_text); otherwise (an
 * insertion on the other side) the context ends before at, and the
 * state is the one after the event before at.  Up to context + 1 lines
 * into ctx.  st may be NULL (no state wanted). */
int diff_first_side(struct tdb *t, int device, const struct diff_streams *s, int queue, size_t at, bool has_at,
		    unsigned context, struct diff_line *ctx, unsigned *n_ctx, char *at_text, size_t at_len,
		    struct diff_state *st);

/* The normalised text of the event at index idx of a stream (the
 * formatter's text of a register event, a request's line). */
int diff_event_text(struct tdb *t, int device, const struct diff_streams *s, int queue, size_t idx, char *buf,
		    size_t len);

#endif
