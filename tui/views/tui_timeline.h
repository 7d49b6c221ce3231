/* The timeline strip: one row of event density over the whole trace's
 * time, with markers for violations, status changes and resets, and the
 * cursor's place.  Cheap on any trace: each bucket boundary is found by a
 * binary search on seq (the events' primary key) by ts_ns, so a strip
 * costs O(cols x log n) indexed lookups, computed again only when cols
 * changes.  A trace whose ts_ns does not grow with seq (several vCPUs'
 * clocks, a hostile file) gives a rougher strip, never a hang or a crash.
 *
 * Errors: 0, a negative errno, or a tracedb error (tdb_open.h). */
#ifndef VMTRACE_TUI_VIEWS_TUI_TIMELINE_H
#define VMTRACE_TUI_VIEWS_TUI_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

struct tdb;
struct tui_grid;
struct tui_timeline;

/* Open a strip on t (which must outlive it): O(width * log n) queries, at
 * most.  0 with *out (free with tui_timeline_free). */
int tui_timeline_open(struct tui_timeline **out, struct tdb *t);

/* Free tl (NULL is allowed). */
void tui_timeline_free(struct tui_timeline *tl);

/* One row: event density over the whole trace's time in `cols` buckets
 * (" .:-=+*#"), markers for violations ('!'), status changes ('s') and
 * resets ('R') winning over density, the cursor's bucket shown ('^' or
 * reverse video with colour).  Recomputes only when cols changes. */
int tui_timeline_draw(struct tui_timeline *tl, struct tui_grid *g, int row, uint64_t cursor_seq, bool color);

#endif
