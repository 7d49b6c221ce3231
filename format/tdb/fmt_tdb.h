/* The formatter's device state (format/fmt_device.h) filled from a
 * trace.db through the tracedb library, for readers that do not walk the
 * events from the start: `show --from`, `show --violations`, replay's
 * context lines, and the TUI at any seq.  Built only with SQLite.
 *
 * Errors: 0, or a tracedb error (tdb_open.h: negative errno, positive
 * TDB_E_*), with tdb_errmsg(t) saying what. */
#ifndef VMTRACE_FORMAT_TDB_FMT_TDB_H
#define VMTRACE_FORMAT_TDB_FMT_TDB_H

#include <stddef.h>
#include <stdint.h>

struct fmt_ctx;
struct tdb;

/* Set device (devices.device) of t in c as it stood just before seq
 * (after every event below seq): name, layout, type, the feature and
 * queue selectors, the driver's features (whether the rings are packed),
 * each queue's size and ring addresses.  The device is
 * added to c if new.  Before seq 0 it is the reset state. */
int fmt_tdb_fill_device(struct fmt_ctx *c, struct tdb *t, int device, uint64_t seq);

/* fmt_tdb_fill_device for every device of t. */
int fmt_tdb_fill(struct fmt_ctx *c, struct tdb *t, uint64_t seq);

/* What the decoder knows about guest buffers: every descriptor of every
 * request's chain (docs/schema.md: requests, chains, descriptors), with
 * the request it carried and when, so a memory event outside the rings
 * can be named by the request it belongs to.  At most FMT_TDB_BUFS_MAX
 * buffers are kept (the first ones of the trace). */
#define FMT_TDB_BUFS_MAX (1u << 18)
struct fmt_tdb_bufs;

/* A memory event made before a chain is made available is named by that
 * chain (a driver fills a buffer, then publishes it: up to 2323 seqs
 * before for the emulator's blk batches) only when it is made available
 * at most this many seqs later; farther on the address is memory the
 * request has not taken yet. */
#define FMT_TDB_NEXT_MAX 4096u

/* Load into *out (free with fmt_tdb_bufs_free) the buffers of t's
 * requests whose chains were made available in the seq range [from, to]
 * (to 0: no end; a reader that shows part of a trace loads that part and
 * a margin) or were still in flight at from.  Returns 0, -ENOMEM, or a
 * tracedb error. */
int fmt_tdb_bufs_load(struct fmt_tdb_bufs **out, struct tdb *t, uint64_t from, uint64_t to);
void fmt_tdb_bufs_free(struct fmt_tdb_bufs *b); /* NULL is fine */

struct vmt_event;
/* A note for the memory event ev (addr, len, seq) naming the request
 * buffer it starts in: "request 3 blk out: buffer 2 of 3 +0x200",
 * "request 3 blk out: indirect table", "... and 15360 bytes past it";
 * "" when none.  The buffer chosen is the one of the chain in flight at
 * ev's seq (made available, not yet used), else of the next chain made
 * available after it (the driver filling it).  *device (may be NULL) gets
 * the request's device (devices.device), -1 when none.  Returns buf. */
const char *fmt_tdb_bufs_note(const struct fmt_tdb_bufs *b, const struct vmt_event *ev, char *buf, size_t len,
			      int *device);

#endif
