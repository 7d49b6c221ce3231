/* The packed-virtqueue chain walker and descriptor codec (Basic
 * Facilities / Packed Virtqueues), the packed sibling of
 * virtio/split_ring.h.  It reads through the same vring_ops, shows the same
 * visitors, and reports with the same vring_chain / vring_fault
 * (virtio/vring.h), so the emulator, the decoder and the QEMU ring
 * snapshots call it as they call split_ring_walk.
 *
 * A packed ring is one table of num 16-byte descriptors (addr le64, len
 * le32, id le16, flags le16) written in ring order by the driver and
 * overwritten in place by the device, plus two 4-byte event suppression
 * areas.  Both sides keep a position and a wrap counter (starting at 0 and
 * true) that flips each time their position passes num.  A descriptor is
 * available when its AVAIL bit equals the driver's wrap counter and its
 * USED bit does not; used when both bits equal the device's wrap counter.
 * A chain is consecutive ring descriptors linked by NEXT (wrapping from
 * slot num - 1 to slot 0, the wrap counter flipping there); its buffer id
 * is the id of its last descriptor; an INDIRECT descriptor (without NEXT)
 * names a table of len / 16 descriptors, all of them part of the chain, whose
 * NEXT, AVAIL, USED flags and ids mean nothing.  The device writes one used
 * descriptor per chain (id, len, flags) in the slot where its used position
 * is, then skips as many slots as the chain took.
 *
 * In struct vring_desc and vring_place the walker puts: desc.next = the
 * descriptor's id field; place.head = the ring slot of the chain's first
 * descriptor; place.idx = the ring slot (or the indirect table entry) of
 * the descriptor.
 *
 * The rules the walk checks (keys of virtio/rules.h), each stopping it with
 * a vring_fault (a salvaging walk goes on where it can, as split_ring.h):
 *   ring-chain-too-long       more than num descriptors in the ring (NEXT
 *                             still set on the num-th), or more than the
 *                             indirect table's entries
 *   ring-buffer-outside-memory a buffer or an indirect table not inside
 *                             guest RAM; with mem_complete, an unreadable
 *                             descriptor
 *   ring-indirect-nested, ring-indirect-not-negotiated,
 *   ring-indirect-with-next, ring-indirect-length (as split rings)
 *   ring-readable-after-writable
 *   ring-packed-desc-not-avail a descriptor after the chain's first one
 *                             not marked available for the wrap counter of
 *                             its slot (the first is the caller's test:
 *                             packed_ring_desc_avail)
 * and for the buffer id (packed_ring_check_id):
 *   ring-head-out-of-range    a buffer id >= num (ids are the driver's, but
 *                             Linux, QEMU and vmtrace's devices keep them
 *                             below the queue size, so the in-flight table
 *                             is bounded)
 *
 * Errors: see virtio/vring.h (0, positive VRING_* results, negative errno
 * from a callback; -EINVAL for a call against the contract). */
#ifndef VMTRACE_VIRTIO_PACKED_RING_H
#define VMTRACE_VIRTIO_PACKED_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio.h"
#include "virtio/vring.h"

/* Descriptor flags of packed rings besides VIRTQ_DESC_F_NEXT/WRITE/INDIRECT
 * (Packed Virtqueues: Element Address and Length, Driver and Device Ring
 * Wrap Counters). */
#define PACKED_DESC_F_AVAIL (1u << 7)
#define PACKED_DESC_F_USED (1u << 15)

/* Event suppression structure (Packed Virtqueues: Event Suppression
 * Structure Format): le16 desc (offset bits 0..14, wrap bit 15), le16
 * flags (bits 0..1). */
#define PACKED_EVENT_SIZE 4u
#define PACKED_EVENT_F_ENABLE 0u
#define PACKED_EVENT_F_DISABLE 1u
#define PACKED_EVENT_F_DESC 2u /* only with VIRTIO_F_EVENT_IDX */

/* Alignment of the three areas (Virtqueue Configuration: packed rings). */
#define PACKED_DESC_ALIGN 16u
#define PACKED_EVENT_ALIGN 4u

/* A packed ring as the driver set it up: num 1..VIRTQ_SIZE_MAX (need not
 * be a power of two); the driver area (QueueDriver) is the driver event
 * suppression structure, the device area (QueueDevice) the device's. */
struct packed_ring {
	uint32_t num;
	uint64_t desc;          /* descriptor ring, 16 * num bytes */
	uint64_t driver_event;  /* 4 bytes, written by the driver */
	uint64_t device_event;  /* 4 bytes, written by the device */
	bool indirect_ok;       /* VIRTIO_F_INDIRECT_DESC negotiated */
};

/* A position in the ring: slot 0..num-1 and the wrap counter there. */
struct packed_pos {
	uint16_t slot;
	bool wrap;
};

/* What a packed walk found besides the shared vring_chain. */
struct packed_chain {
	struct vring_chain c;
	uint16_t id;          /* buffer id (the last ring descriptor's); valid
			       * when the walk returned VRING_OK, or with
			       * have_id */
	bool have_id;         /* the last descriptor was read */
	uint32_t slots;       /* ring descriptors taken (1..num) */
	struct packed_pos next; /* the position after the chain */
};

/* The event suppression structure, decoded. */
struct packed_event {
	uint16_t off;   /* descriptor ring offset, 0..0x7fff */
	bool wrap;      /* wrap counter for off */
	uint16_t flags; /* PACKED_EVENT_F_* (bits 0..1; others reserved) */
};

/* Bytes of the descriptor ring of size num. */
static inline uint64_t packed_ring_desc_bytes(uint32_t num) { return 16ull * num; }

/* Decode / encode the 16 bytes of a packed descriptor (d->next holds id). */
void packed_ring_desc_decode(const uint8_t b[VIRTQ_DESC_SIZE], struct vring_desc *d);
void packed_ring_desc_encode(uint8_t b[VIRTQ_DESC_SIZE], const struct vring_desc *d);

/* Flags with AVAIL and USED set as the driver makes a descriptor available
 * (AVAIL = wrap, USED = !wrap) or the device marks it used (both = wrap). */
static inline uint16_t packed_ring_avail_flags(bool wrap)
{
	return wrap ? PACKED_DESC_F_AVAIL : PACKED_DESC_F_USED;
}
static inline uint16_t packed_ring_used_flags(bool wrap)
{
	return wrap ? (PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED) : 0;
}

/* True if flags make the descriptor available for the driver wrap counter
 * wrap / used for the device wrap counter wrap. */
static inline bool packed_ring_desc_avail(uint16_t flags, bool wrap)
{
	bool a = flags & PACKED_DESC_F_AVAIL, u = flags & PACKED_DESC_F_USED;
	return a == wrap && u != wrap;
}
static inline bool packed_ring_desc_used(uint16_t flags, bool wrap)
{
	bool a = flags & PACKED_DESC_F_AVAIL, u = flags & PACKED_DESC_F_USED;
	return a == wrap && u == wrap;
}

/* Move p n slots on in a ring of num (n <= num; num >= 1), flipping the
 * wrap counter when it passes the end. */
static inline void packed_ring_advance(struct packed_pos *p, uint32_t num, uint32_t n)
{
	uint32_t s = (uint32_t)p->slot + n;
	if (s >= num) {
		s -= num;
		p->wrap = !p->wrap;
	}
	p->slot = (uint16_t)s;
}

/* Walk the chain whose first descriptor is at start (slot < r->num, else
 * -EINVAL) as a device does, the caller having seen that this first
 * descriptor is available (packed_ring_desc_avail): each descriptor read
 * once, in chain order, bounded as the header says.  out->c is filled as
 * split_ring_walk fills its vring_chain; out->id, slots and next as
 * struct packed_chain says.  Returns VRING_OK, VRING_BROKEN (out->c.fault),
 * VRING_MISSING, VRING_STOPPED or a callback's negative errno. */
int packed_ring_walk(const struct packed_ring *r, struct packed_pos start, const struct vring_ops *ops, void *ctx,
		     struct packed_chain *out);

/* A buffer id (from a chain, or from a used descriptor): VRING_OK if it is
 * < num, else VRING_BROKEN with ring-head-out-of-range in *f (place: head =
 * slot, idx = slot). */
int packed_ring_check_id(uint32_t num, uint16_t slot, uint16_t id, struct vring_fault *f);

/* Decode / encode an event suppression structure. */
void packed_ring_event_decode(const uint8_t b[PACKED_EVENT_SIZE], struct packed_event *e);
void packed_ring_event_encode(uint8_t b[PACKED_EVENT_SIZE], const struct packed_event *e);

/* Where the fields are. */
static inline uint64_t packed_ring_desc_addr(const struct packed_ring *r, uint32_t slot)
{
	return r->desc + (uint64_t)VIRTQ_DESC_SIZE * slot;
}
/* The flags word of a descriptor (written last by the driver for the
 * chain's first descriptor, by the device for a used one). */
static inline uint64_t packed_ring_flags_addr(const struct packed_ring *r, uint32_t slot)
{
	return packed_ring_desc_addr(r, slot) + 14;
}

#endif
