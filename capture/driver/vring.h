/* The driver side of a virtqueue, split (Basic Facilities / Split
 * Virtqueues) or packed (Packed Virtqueues, drv_vring_alloc_packed):
 * allocate and zero the three areas, hand descriptor chains to the device
 * (direct, or through an indirect table), decide whether a notification is
 * needed, and take back used buffers.
 *
 * Packed rings: the descriptor ring is written in ring order, each
 * descriptor's AVAIL/USED bits set from the driver's wrap counter (AVAIL =
 * wrap, USED = !wrap), the chain's head flags stored last; every
 * descriptor of a chain carries the buffer id (the device reads it from
 * the last one).  Used descriptors are found by AVAIL == USED == the
 * driver's used wrap counter and skip the chain's descriptor count.  The
 * driver area holds the Driver Event Suppression structure (with
 * EVENT_IDX: RING_EVENT_FLAGS_DESC at the next used position), the device
 * area the device's, read before each notification.  Every store into guest memory goes
 * through the bus (so it is recorded); the host keeps only a shadow of the
 * free list and of what is in flight.
 *
 * Errors: 0 or a negative errno (-EINVAL for a call against the contract,
 * -ENOMEM, -ENOSPC for no free descriptors now, -EFAULT for a failed store
 * with vq->fault saying where, -EPROTO for an impossible used entry);
 * drv_vring_get_used returns 1 for a buffer taken back, 0 for none. */
#ifndef VMTRACE_DRIVER_VRING_H
#define VMTRACE_DRIVER_VRING_H

#include <stdbool.h>
#include <stdint.h>

struct drv_bus;

/* Most buffers in one request: also the size of each indirect table. */
#define DRV_SG_MAX 16u
/* Page size and used-ring alignment of the legacy layout (the value
 * written to GuestPageSize and QueueAlign). */
#define DRV_LEGACY_PAGE 4096u

/* One buffer of a request. */
struct drv_sg {
	uint64_t gpa;
	uint32_t len;
};

/* Host-side record of a chain the device owns, by head descriptor. */
struct drv_vring_slot {
	uint64_t token;  /* the caller's cookie, returned with the used entry */
	uint32_t in_len; /* bytes the device may write (bound on used len) */
	uint16_t ndesc;  /* descriptors of the ring table the chain occupies */
	bool busy;
};

struct drv_vring {
	struct drv_bus *bus;
	unsigned index;      /* queue index, the value written to QueueNotify */
	uint32_t num;        /* queue size, a power of two */
	uint64_t desc;       /* guest-physical addresses of the three areas */
	uint64_t avail;
	uint64_t used;
	bool indirect;       /* use indirect tables for multi-buffer chains */
	bool event_idx;      /* VIRTIO_F_EVENT_IDX negotiated */
	uint64_t ind_pool;   /* num tables of DRV_SG_MAX descriptors, by head */
	uint16_t avail_idx;  /* avail idx as last published */
	uint16_t kicked_idx; /* avail idx at the last notification decision */
	uint16_t last_used;  /* next used ring entry to take back */
	uint16_t used_event; /* value last stored in used_event */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t *next;      /* free-list links by descriptor (packed: by buffer
			      * id); malloc, owned */
	struct drv_vring_slot *slots; /* by head descriptor (packed: by buffer id);
				       * malloc, owned */
	/* Packed rings (avail: the driver event suppression area, used: the
	 * device's; free_head/next: the buffer id free list). */
	bool packed;
	bool avail_wrap;     /* driver ring wrap counter (starts 1) */
	bool used_wrap;      /* wrap counter of the next used descriptor */
	uint16_t next_avail; /* ring position of the next descriptor to make available */
	uint16_t next_used;  /* ring position of the next used descriptor */
	uint16_t kicked_pos; /* next_avail and avail_wrap at the last notification decision */
	bool kicked_wrap;
	uint16_t chains;     /* chains in flight */
	uint16_t drv_event;  /* off_wrap last stored in the driver event area */
	bool drv_event_set;
	char fault[160];     /* what went wrong, after a -EPROTO or -EFAULT */
};

/* Allocate the areas of a ring of num entries (a power of two) from the
 * bus and zero them.  legacy_align 0 gives the modern layout (three
 * separately aligned areas); otherwise the legacy layout: one page-aligned
 * block, descriptors, avail ring, then the used ring at the next
 * legacy_align boundary.  Returns 0, -EINVAL, -ENOMEM (host or guest
 * memory) or -EFAULT (a store failed; vq->fault says where). */
int drv_vring_alloc(struct drv_vring *vq, struct drv_bus *bus, unsigned index, uint32_t num,
		    uint32_t legacy_align, bool indirect, bool event_idx);
/* The same for a packed ring of num entries (1..VIRTQ_SIZE_MAX; the
 * built-in driver still picks powers of two): the descriptor ring (16
 * bytes a descriptor, 16-aligned) and the two 4-byte event suppression
 * areas (4-aligned), zeroed.  Returns as drv_vring_alloc. */
int drv_vring_alloc_packed(struct drv_vring *vq, struct drv_bus *bus, unsigned index, uint32_t num,
			   bool indirect, bool event_idx);
/* Free the host shadow; the guest memory stays (bump allocator). NULL-safe. */
void drv_vring_release(struct drv_vring *vq);

/* Descriptors a chain of n buffers takes from the ring table. */
unsigned drv_vring_cost(const struct drv_vring *vq, unsigned n);

/* Make a chain of n_out device-readable buffers followed by n_in
 * device-writable ones available and publish the new avail idx.  Returns
 * 0, -EINVAL (no buffers, too many, or a chain longer than the ring),
 * -ENOSPC (not enough free descriptors now: take used buffers back first)
 * or -EFAULT. */
int drv_vring_add(struct drv_vring *vq, const struct drv_sg *sg, unsigned n_out, unsigned n_in,
		  uint64_t token);

/* Before notifying: re-arm the used-buffer interrupt (used_event with
 * EVENT_IDX) and say whether the device wants a notification for the
 * buffers added since the last call (avail_event with EVENT_IDX, else
 * VIRTQ_USED_F_NO_NOTIFY).  False when nothing was added. */
bool drv_vring_kick_prepare(struct drv_vring *vq);

/* True if the device has used buffers the driver has not taken back. */
bool drv_vring_has_used(struct drv_vring *vq);

/* Take back the next used buffer: returns 1 with *token and *len filled,
 * 0 if there is none, -EPROTO if the device's used entry is impossible
 * (index jump, unknown id, length beyond the chain; vq->fault says which). */
int drv_vring_get_used(struct drv_vring *vq, uint64_t *token, uint32_t *len);

/* Largest power of two <= n, for n >= 1 (queue sizes). */
static inline uint32_t drv_pow2_floor(uint32_t n)
{
	uint32_t p = 1;

	while (p <= n / 2)
		p *= 2;
	return p;
}

/* Chains the device holds. */
static inline unsigned drv_vring_in_flight(const struct drv_vring *vq)
{
	if (vq->packed)
		return vq->chains;
	return (uint16_t)(vq->avail_idx - vq->last_used);
}

#endif
