/* The one event formatter: what `vmtrace dump` (raw .vmt events),
 * `vmtrace show` (trace.db rows), replay's reports and the TUI print for
 * an event, after their own columns (seq, time, device).  The canonical
 * event is struct vmt_event (capture/event.h); a trace.db reader fills one
 * from its row.  The device state the meaning depends on lives in a
 * struct fmt_ctx (format/fmt_device.h): fmt_event_next formats an event
 * and then learns from it (sequential readers), fmt_event only formats
 * (a reader that filled the context from a state at a seq).
 *
 *   mmio    "W DriverFeatures    4 0x00000001 word 1: VERSION_1"
 *   mem     "mem 0x40000000 len 16 driver: q0 desc[0] addr=0x40000690 len=48 flags=INDIRECT"
 *           (": NAME" only when the bytes lie in a followed ring)
 *   irq     "irq raised status 0x1 used-buffer" ("irq status ..." when the
 *           edge is not known: FMT_IRQ_EDGE_UNKNOWN)
 *   marker  "marker \"text\""  (text escaped, format/escape.h)
 *   lost    "lost 12 events"
 *   violation "violation KEY SEVERITY \"message\" [section]" (ev->value is
 *           the rule id; KEY(id) for an id vmtrace does not know)
 *   device  "device" (the caller, which can decode the descriptor, says more)
 *   queue   the device's own report of a queue step (ev->addr the queue):
 *           "queue 0 pop elem 0x7f3cc00e9800 in 2 out 1"
 *           "queue 0 fill elem 0x7f3cc00e9800 len 4097 at +0"
 *           "queue 0 flush 1 used entry" ("... 3 used entries")
 *           "queue 0 blk-read elem 0x7f3cc00e9800 sector 0 count 8"
 *           ("blk-write" alike; count in 512-byte sectors)
 *           "queue 0 scsi-cmd elem 0x7f3cc00e9800 op 0x28 lun 0" (the CDB's opcode)
 *           "queue 0 scsi-xfer elem 0x7f3cc00e9800 length 4096 dir from-device"
 *           (the transfer length QEMU's SCSI layer computed; dir none,
 *           from-device, to-device, or the number)
 *           "queue 0 scsi-lba elem 0x7f3cc00e9800 lba 2048" (the CDB's LBA)
 *           "queue 0 step 9 (unknown) token 0x.. arg0 N arg1 N" for a step
 *           vmtrace does not know, "queue 0 step 1 bad report (23 bytes,
 *           not 24)" for a payload that is not a report
 * A caller that knows more (the decoder's chains and requests) passes a
 * note, appended escaped as " (note)".  Output is bounded by the buffer:
 * always NUL-terminated; a cut falls on a character or escape boundary
 * and ends in "..." (when the buffer has 4 bytes or more). */
#ifndef VMTRACE_FORMAT_EVENT_FMT_H
#define VMTRACE_FORMAT_EVENT_FMT_H

#include <stdbool.h>
#include <stddef.h>

#include "format/fmt_device.h"
#include "format/fmt_mem.h"

struct vmt_event;

/* A VMT_EV_IRQ whose width (1 raised, 0 lowered) is not known: a trace.db
 * row keeps the InterruptStatus value only.  Printed "irq status ...". */
#define FMT_IRQ_EDGE_UNKNOWN 0xffu

/* What fmt_event found out besides the text. */
struct fmt_info {
	bool named;                /* MEM: the bytes were named from a ring */
	struct fmt_mem_place where; /* MEM: whose ring (where.dev NULL: none) */
	bool cut;                  /* the text did not fit the buffer */
};

/* Write ev's text into buf (len bytes) from the state in c, which is not
 * changed.  note may be NULL.  info may be NULL.  Returns the characters
 * written. */
size_t fmt_event(const struct fmt_ctx *c, const struct vmt_event *ev, const char *note, char *buf, size_t len,
		 struct fmt_info *info);

/* fmt_event, then fmt_ctx_track(c, ev). */
size_t fmt_event_next(struct fmt_ctx *c, const struct vmt_event *ev, const char *note, char *buf, size_t len,
		      struct fmt_info *info);

/* Who wrote or saw the bytes of a MEM event, from its VMT_MEM_* flags:
 * "driver", "device", "snapshot", "snapshot|best-effort", with
 * "|truncated" and unknown bits as "|flags 0x40".  Writes into buf and
 * returns it. */
const char *fmt_mem_whose(unsigned flags, char *buf, size_t len);

#endif
