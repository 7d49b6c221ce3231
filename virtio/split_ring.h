/* The one split-virtqueue chain walker and descriptor decoder (Virtqueues:
 * The Virtqueue Descriptor Table, Indirect Descriptors, The Virtqueue
 * Available Ring), used by the emulator (capture/emu/virtqueue.c), the
 * decoder (decoder/rings.c) and the QEMU ring snapshots
 * (capture/qemu/ring_snap.c).  bpf/mmio.bpf.c cannot call C code and
 * mirrors the walk by hand (see the comment there).
 *
 * The walker never touches memory: it reads descriptors through the
 * caller's vring_ops (the emulator's guest RAM, the decoder's shadow of
 * it, a snapshot's copies) and shows each step to the caller's visitors.
 * Everything it reads is untrusted.  The rules it checks, each stopping
 * the walk with a vring_fault (rule, place, one message; a salvaging walk,
 * vring_ops.salvage, goes on where it can):
 *   ring-chain-too-long       more than the queue size descriptors in the
 *                             ring's table, or more than the indirect
 *                             table's entries in it (a loop)
 *   ring-buffer-outside-memory a buffer or an indirect table not inside
 *                             guest RAM (or wrapping); with mem_complete,
 *                             a descriptor that cannot be read
 *   ring-indirect-nested      an indirect descriptor inside an indirect table
 *   ring-indirect-not-negotiated  INDIRECT without VIRTIO_F_INDIRECT_DESC
 *   ring-indirect-with-next   INDIRECT and NEXT on one descriptor
 *   ring-indirect-length      table length 0, not a multiple of 16, or
 *                             more than the queue size entries
 *   ring-readable-after-writable  a device-readable buffer after a writable one
 *   ring-next-out-of-range    next >= the entries of its table
 * and, before a walk (split_ring_check_avail / split_ring_check_head):
 *   ring-avail-idx-jump       avail idx more than the queue size ahead
 *   ring-head-out-of-range    an avail ring entry >= the queue size
 * So a chain is at most num descriptors in the ring's table plus at most
 * one indirect table of at most num entries.
 *
 * Errors: see virtio/vring.h (0, positive VRING_* results, negative errno
 * from a callback; -EINVAL for a call against the contract). */
#ifndef VMTRACE_VIRTIO_SPLIT_RING_H
#define VMTRACE_VIRTIO_SPLIT_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio.h"
#include "virtio/vring.h"

/* A split ring as the driver set it up.  num must be 1..VIRTQ_SIZE_MAX
 * (callers check sizes and alignment when the queue goes live). */
struct split_ring {
	uint32_t num;
	uint64_t desc, avail, used; /* guest-physical addresses of the areas */
	bool indirect_ok;           /* VIRTIO_F_INDIRECT_DESC negotiated */
};

/* Decode the 16 bytes of a split-ring descriptor. */
void split_ring_desc_decode(const uint8_t b[VIRTQ_DESC_SIZE], struct vring_desc *d);

/* Walk the chain at head (< r->num, else -EINVAL) as a device does: each
 * descriptor read once, in chain order, bounded as the header says.
 * Returns VRING_OK, VRING_BROKEN (out->fault), VRING_MISSING (the bytes of
 * descriptor out->n_desc were not available), VRING_STOPPED or a
 * callback's negative errno. */
int split_ring_walk(const struct split_ring *r, uint16_t head, const struct vring_ops *ops, void *ctx,
		    struct vring_chain *out);

/* The driver's avail idx is (uint16_t)(idx - last) entries ahead of the
 * device's last_avail: VRING_OK if that is at most num, else VRING_BROKEN
 * with ring-avail-idx-jump in *f (place: zero). */
int split_ring_check_avail(uint32_t num, uint16_t idx, uint16_t last, struct vring_fault *f);

/* The head read from avail ring position pos (free-running): VRING_OK if
 * it is < num, else VRING_BROKEN with ring-head-out-of-range in *f
 * (place: head, idx = the ring slot). */
int split_ring_check_head(uint32_t num, uint16_t pos, uint16_t head, struct vring_fault *f);

/* Entries from free-running index from up to to (indices wrap at 2^16). */
static inline uint16_t split_ring_ahead(uint16_t to, uint16_t from)
{
	return (uint16_t)(to - from);
}

/* The used ring alignment when a legacy driver never wrote QueueAlign (or
 * wrote 0): the MMIO transport gives no default ("usually page size"); 4096
 * is the legacy PCI transport's fixed alignment and what QEMU starts with. */
#define SPLIT_RING_LEGACY_ALIGN_DEFAULT 4096u

/* split_ring_legacy_layout's answer for a layout no device can use. */
#define SPLIT_RING_LAYOUT_UNUSABLE 1

/* The legacy layout (Legacy Interfaces: A Note on Virtqueue Layout): the
 * table at desc (QueuePFN * GuestPageSize), the available ring right after
 * it, the used ring at the next multiple of align (QueueAlign; callers
 * pick their fallback for 0 or a value that is not a power of two).
 *
 * *avail and *used (OUT) are always filled, summed modulo 2^64 as the
 * registers give them, so callers that record what the driver set (the
 * register checker, the decoder's queues rows) keep them whatever they
 * are.  Returns 0 if a device can use the layout: num 1..VIRTQ_SIZE_MAX,
 * align a power of two, and no area wrapping past 2^64 (the used ring's
 * last byte at most UINT64_MAX).  Else SPLIT_RING_LAYOUT_UNUSABLE (guest
 * input, not an error of vmtrace).  From 32-bit registers (desc below
 * 2^64 - 2^33 + 2, align at most 2^31) only num outside 1..VIRTQ_SIZE_MAX
 * can make areas wrap. */
static inline int split_ring_legacy_layout(uint64_t desc, uint32_t num, uint64_t align, uint64_t *avail,
					   uint64_t *used)
{
	uint64_t a = desc + virtq_desc_bytes(num);
	uint64_t avail_end = a + virtq_avail_bytes(num);
	uint64_t up = avail_end + (align - 1);
	uint64_t u = align ? up & ~(align - 1) : up;
	bool wraps = a < desc || avail_end < a || up < avail_end || virtq_used_bytes(num) - 1 > UINT64_MAX - u;

	*avail = a;
	*used = u;
	if (num == 0 || num > VIRTQ_SIZE_MAX || align == 0 || (align & (align - 1)) || wraps)
		return SPLIT_RING_LAYOUT_UNUSABLE;
	return 0;
}

/* Where the fields of the ring are (pos: a free-running ring index). */
static inline uint64_t split_ring_desc_addr(const struct split_ring *r, uint32_t idx)
{
	return r->desc + (uint64_t)VIRTQ_DESC_SIZE * idx;
}
static inline uint64_t split_ring_avail_flags_addr(const struct split_ring *r) { return r->avail; }
static inline uint64_t split_ring_avail_idx_addr(const struct split_ring *r) { return r->avail + 2; }
static inline uint64_t split_ring_avail_slot_addr(const struct split_ring *r, uint16_t pos)
{
	return r->avail + 4 + 2ull * (pos % r->num);
}
static inline uint64_t split_ring_used_event_addr(const struct split_ring *r) { return r->avail + 4 + 2ull * r->num; }
static inline uint64_t split_ring_used_idx_addr(const struct split_ring *r) { return r->used + 2; }
static inline uint64_t split_ring_used_elem_addr(const struct split_ring *r, uint16_t pos)
{
	return r->used + 4 + (uint64_t)VIRTQ_USED_ELEM_SIZE * (pos % r->num);
}
static inline uint64_t split_ring_avail_event_addr(const struct split_ring *r)
{
	return r->used + 4 + (uint64_t)VIRTQ_USED_ELEM_SIZE * r->num;
}

#endif
