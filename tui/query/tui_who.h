/* "Who set this?" (Pernosco's dataflow jump) for the event under the
 * cursor: the events that produced what it shows or that it belongs to.
 *   register read   the write (or the device's event) that produced the
 *                   value, and the selector write it was read under
 *   register write  the value it replaced, and where that was set
 *   ring memory     its chain's availability, notify, used entry, and
 *   and requests    the request's interrupt
 *   a violation     the event that broke the rule, and where the rule
 *                   knows it the earlier event that made it one (the
 *                   QueueReady 1 before a queue register write, the
 *                   Status before a Status out of order, ...)
 * Each target is an indexed lookup (reg_changes_at, events_device, the
 * keys of status_changes and violations; tdb_event_links).
 *
 * Errors: 0 (n may be 0: nothing known), or a tracedb error. */
#ifndef VMTRACE_TUI_QUERY_TUI_WHO_H
#define VMTRACE_TUI_QUERY_TUI_WHO_H

#include <stddef.h>
#include <stdint.h>

struct tdb;
struct tdb_event;
struct tdb_event_links;

/* Most targets one event lists; the longest line naming one. */
#define TUI_WHO_MAX 8
#define TUI_WHO_WHAT_MAX 192
/* Seqs looked back through for the device's interrupt that changed a
 * register's value (an index walk of one device's events). */
#define TUI_WHO_SPAN 100000

struct tui_who_target {
	uint64_t seq;
	char what[TUI_WHO_WHAT_MAX];   /* escaped: "the write that set Status 0x0b" */
};

struct tui_who {
	uint64_t seq;                  /* the event asked about */
	struct tui_who_target target[TUI_WHO_MAX]; /* the most direct first; none is seq */
	size_t n;
};

/* The targets for event ev into *out.  hint (-1: none): the request the
 * formatter names guest memory by, for the buffers the file links to no
 * request (tui_nav_request's).  prefer: as tui_who_links. */
int tui_who_find(struct tdb *t, const struct tdb_event *ev, int64_t hint, int64_t prefer, struct tui_who *out);

/* tdb_event_links for the event at seq, with request prefer (-1: none)
 * in place of the lowest one where prefer also belongs to the event (its
 * notify, used entry, interrupt, or its chain made available there). */
int tui_who_links(struct tdb *t, uint64_t seq, int64_t prefer, struct tdb_event_links *out);

#endif
