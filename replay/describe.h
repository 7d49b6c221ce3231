/* Words for what replay compares: events shown as context, guest
 * addresses named by the ring or buffer they fall in, and why a register
 * read may legitimately differ between two implementations. */
#ifndef VMTRACE_REPLAY_DESCRIBE_H
#define VMTRACE_REPLAY_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "replay/setup.h"
#include "replay/trace_in.h"

/* One line for an event, the device column then the formatter's text
 * (format/event_fmt.h): "virtio-blk@0x10000000    R Status            4
 * 0x0000000b ACKNOWLEDGE|DRIVER|FEATURES_OK". */
void describe_event(const struct trace_in *t, const struct trace_ev *ev, char *buf, size_t len);
/* Name gpa in the formatter's words (format/fmt_mem.h): "q0
 * used.ring[3].len", "q1 desc[2].addr", "0x40004710, device-writable
 * buffer of q0 desc[4] +0x10", or the bare address ("guest memory
 * 0x...").  *dev and *queue get the device index and queue (or -1). */
void describe_gpa(const struct replay_rig *rig, const struct trace_in *t, uint64_t gpa, char *buf, size_t len,
		  int *dev, int *queue);
/* Why a read of offset may differ (feature bits one side offers, sizes,
 * a notified queue the model lacks (lacking_queue, -1 none)); "" when
 * there is nothing to add. */
void describe_read_note(const struct trace_device *td, uint32_t offset, uint32_t features_sel,
			uint64_t expected, uint64_t actual, bool exact, int lacking_queue, char *buf, size_t len);

#endif
