/* Test helper: an emit callback that keeps a deep copy of every event it
 * receives (event data is borrowed by the callback), and can be told to
 * fail at the n-th event to check that emit errors are passed back. */
#ifndef VMTRACE_TESTS_QEMU_UNIT_EVLOG_H
#define VMTRACE_TESTS_QEMU_UNIT_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"

struct evlog {
	struct vmt_event *ev; /* ev[i].data points into a copy owned by the log */
	size_t n, cap;
	size_t fail_at;  /* 1-based event count that fails with fail_rc; 0: never */
	int fail_rc;
	size_t calls;    /* emit calls, the failing one included */
};

/* A qemu_source_emit_fn / ring_snap_emit_fn: ctx is a struct evlog.
 * Aborts the test program if memory runs out. */
int evlog_emit(void *ctx, const struct vmt_event *ev);

/* Forget the events (keeps fail_at and fail_rc; resets calls). */
void evlog_clear(struct evlog *l);
void evlog_release(struct evlog *l); /* safe on a zeroed log */

/* Same events, field by field and byte by byte (seq excluded). */
bool evlog_equal(const struct evlog *a, const struct evlog *b);

/* Number of events of the given type. */
size_t evlog_count(const struct evlog *l, uint8_t type);

/* Sum of len over VMT_EV_MEM events. */
uint64_t evlog_mem_bytes(const struct evlog *l);

/* Print the log to stderr, one line per event (for failed checks). */
void evlog_dump(const struct evlog *l, const char *title);

#endif
