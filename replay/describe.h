/* Words for what replay compares: events shown as context, guest
 * addresses named by the ring or buffer they fall in, and why a register
 * read may legitimately differ between two implementations. */
#ifndef VMTRACE_REPLAY_DESCRIBE_H
#define VMTRACE_REPLAY_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "replay/setup.h"
#include "replay/trace_in.h"

/* One line for an event ("R Status -> 0xb"). */
void describe_event(const struct trace_in *t, const struct trace_ev *ev, char *buf, size_t len);
/* Name gpa: "used ring of queue 0: ring[3].len", "descriptor table of
 * queue 1: desc[2].addr", "buffer of desc[4] (queue 0) +0x10", or the bare
 * address.  *dev and *queue get the device index and queue (or -1). */
void describe_gpa(const struct replay_rig *rig, const struct trace_in *t, uint64_t gpa, char *buf, size_t len,
		  int *dev, int *queue);
/* Why a read of offset may differ (feature bits one side offers, sizes,
 * a notified queue the model lacks (lacking_queue, -1 none)); "" when
 * there is nothing to add. */
void describe_read_note(const struct trace_device *td, uint32_t offset, uint32_t features_sel,
			uint64_t expected, uint64_t actual, bool exact, int lacking_queue, char *buf, size_t len);

#endif
