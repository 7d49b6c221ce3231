/* Guest memory events named by what they were, wherever the rings of a
 * followed queue place them: "q0 desc[3] addr=0x40004690 len=16
 * flags=NEXT|WRITE next=4", "q0 avail.idx 5", "q0 avail.ring[2] head 7",
 * "q0 used.ring[1] id 7 len 512", "q0 used.idx 8".  An event that covers
 * several entries or fields gets a short summary: a whole area ("q0 desc
 * table (64 entries)", "q0 used ring (64 entries) idx=5 flags=0x0
 * avail_event=4"), part of one ("q0 desc[2..5]", "q0 avail idx=5
 * ring[0..3]", "q0 desc[2] len=512 next=3"); one that crosses areas a
 * list ("spans q0 desc, q0 avail").
 *
 * A packed queue (its device's driver accepted VIRTIO_F_RING_PACKED:
 * fmt_device_packed) has a descriptor ring and two event suppression
 * structures: "q0 desc[3] addr=0x40004690 len=16 id=2
 * flags=AVAIL|NEXT|WRITE (avail, wrap 1)" (the state the AVAIL and USED
 * bits give: available when they differ, for the driver wrap counter
 * equal to AVAIL; used when they are equal, for the device wrap counter
 * equal to both), "q0 desc[3] len=512 id=2" (the device writing a used
 * descriptor), "q0 desc[3].flags AVAIL|USED|WRITE (used, wrap 1)", "q0
 * desc ring (256 entries)", "q0 driver event off_wrap=0x8005 (off 5 wrap
 * 1) flags=DESC", "q0 device event flags=DISABLE".
 *
 * Addresses and lengths come from the guest: every offset is computed
 * without wrapping. */
#ifndef VMTRACE_FORMAT_FMT_MEM_H
#define VMTRACE_FORMAT_FMT_MEM_H

#include <stdbool.h>
#include <stdint.h>

struct fmt_ctx;
struct fmt_device;
struct fmt_out;
struct vmt_event;

/* Where a memory event was found. */
struct fmt_mem_place {
	const struct fmt_device *dev; /* owner of the ring, NULL if none */
	uint32_t queue;
};

/* Append the name of the memory ev (VMT_EV_MEM: addr, len, and data when
 * not NULL) covers, from the rings c follows.  Returns true with the name
 * appended and *where (may be NULL) filled, or false with nothing appended
 * when the bytes lie in no followed ring. */
bool fmt_mem_name(struct fmt_out *o, const struct fmt_ctx *c, const struct vmt_event *ev,
		  struct fmt_mem_place *where);

/* Append the name of the one guest byte at gpa in the rings c follows:
 * "q0 desc[2].addr", "q0 avail.idx", "q0 avail.ring[5]", "q0
 * used.ring[3].len", "q0 used.avail_event"; packed "q0 desc[2].id", "q0
 * driver event.off_wrap", "q0 device event.flags".  Returns true with the name
 * appended and *where (may be NULL) filled, false with nothing appended. */
bool fmt_gpa_name(struct fmt_out *o, const struct fmt_ctx *c, uint64_t gpa, struct fmt_mem_place *where);

/* Append descriptor flags: "NEXT|WRITE", "INDIRECT", "0", unknown bits as
 * hex. */
void fmt_desc_flags(struct fmt_out *o, uint16_t flags);

/* Append a packed descriptor's flags, then what its AVAIL and USED bits
 * say: "AVAIL|NEXT (avail, wrap 1)", "USED|WRITE (avail, wrap 0)",
 * "AVAIL|USED (used, wrap 1)", "0 (used, wrap 0)". */
void fmt_packed_desc_flags(struct fmt_out *o, uint16_t flags);

#endif
