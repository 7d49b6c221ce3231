/* The formatter's device state (format/fmt_device.h) filled from a
 * trace.db through the tracedb library, for readers that do not walk the
 * events from the start: `show --from`, `show --violations`, replay's
 * context lines, and the TUI at any seq.  Built only with SQLite.
 *
 * Errors: 0, or a tracedb error (tdb_open.h: negative errno, positive
 * TDB_E_*), with tdb_errmsg(t) saying what. */
#ifndef VMTRACE_FORMAT_TDB_FMT_TDB_H
#define VMTRACE_FORMAT_TDB_FMT_TDB_H

#include <stdint.h>

struct fmt_ctx;
struct tdb;

/* Set device (devices.device) of t in c as it stood just before seq
 * (after every event below seq): name, layout, type, the feature and
 * queue selectors, each queue's size and ring addresses.  The device is
 * added to c if new.  Before seq 0 it is the reset state. */
int fmt_tdb_fill_device(struct fmt_ctx *c, struct tdb *t, int device, uint64_t seq);

/* fmt_tdb_fill_device for every device of t. */
int fmt_tdb_fill(struct fmt_ctx *c, struct tdb *t, uint64_t seq);

#endif
