/* The inspector's moves to a related event (lnav's w/W, o/O, and d/D of
 * the issue): the next or previous status change, event of the same
 * request, event of the same device and queue.  Each is an indexed
 * lookup (tracedb/tdb_nav.h, tdb_links.h) or, for a queue (whose guest
 * memory events no index names), a walk bounded by TUI_NAV_SPAN seqs.
 *
 * Errors: 0 with *to and a line in what saying what is there; TDB_END:
 * nothing that way (what says so); or a tracedb error (tdb_errmsg). */
#ifndef VMTRACE_TUI_QUERY_TUI_NAV_H
#define VMTRACE_TUI_QUERY_TUI_NAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tdb;
struct tdb_event;

/* Seqs one d/D looks through for the next event of a queue (the device
 * alone is indexed and has no limit): the search budget's size. */
#define TUI_NAV_SPAN 100000
/* Longest line the moves write into what. */
#define TUI_NAV_WHAT_MAX 256

/* The device (-1 none) and queue (-1 none) event ev is about: a queue
 * register access (under QueueSel), QueueSel or QueueNotify written, the
 * device's report on a queue, guest memory of a chain or inside a
 * queue's rings. */
int tui_nav_event_place(struct tdb *t, const struct tdb_event *ev, int *device, int64_t *queue);

/* w/W: the status change (a Status write that changed it, or a reset) of
 * device (-1: any device) after (forward) or before seq. */
int tui_nav_status(struct tdb *t, int device, uint64_t seq, bool forward, uint64_t *to, char *what, size_t len);

/* o/O: the next or previous event of the request ev belongs to (made
 * available, notified, reported by the device, used, interrupt); ev's
 * chain alone if it has no request.  hint (-1: none): the request the
 * formatter names guest memory by ("(request 3 blk out: buffer 2 of
 * 3)"), for the buffers the file links to no request. */
int tui_nav_request(struct tdb *t, const struct tdb_event *ev, int64_t hint, bool forward, uint64_t *to, char *what,
		    size_t len);

/* d/D: the next or previous event of ev's device and queue (its device
 * alone for an event of no queue). */
int tui_nav_devq(struct tdb *t, const struct tdb_event *ev, bool forward, uint64_t *to, char *what, size_t len);

#endif
