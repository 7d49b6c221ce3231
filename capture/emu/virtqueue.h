/* The device side of a virtqueue, split or packed (vq_setup_packed): pop
 * descriptor chains the driver made available, push used entries, decide
 * on interrupts (event index or NO_INTERRUPT; packed: the driver's event
 * suppression structure).  Packed chains are walked by the shared
 * packed-ring walker (virtio/packed_ring.h); the device keeps its read
 * position with the driver's wrap counter and its used position with its
 * own, writes one used descriptor per chain (buffer id, length, AVAIL and
 * USED both set to its wrap counter) and skips the chain's slots; with
 * EVENT_IDX it publishes its read position in the device event
 * suppression structure.  Chains are walked by the shared split-ring walker
 * (virtio/split_ring.h: its rules, messages and bounds) over guest RAM:
 * every index, address and length read from the ring is checked; each
 * descriptor is copied out of guest memory once (so a guest rewriting it
 * mid-walk cannot change what is used).  A broken ring is reported as a
 * vq_fault naming the rule and the place; the caller marks the device
 * DEVICE_NEEDS_RESET.
 *
 * Errors: vq_setup and vq_push return 0 or -1, vq_pop 1 (a chain), 0
 * (none) or -1; -1 always comes with *f naming the rule and place (a
 * broken ring: the guest's input, reported by the caller).  Not negative
 * errnos: vq_setup's out-of-memory is also -1, with RULE_NONE in *f. */
#ifndef VMTRACE_EMU_VIRTQUEUE_H
#define VMTRACE_EMU_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/emu/guest_mem.h"
#include "virtio/rules.h"
#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"

struct vq_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable; /* VIRTQ_DESC_F_WRITE: the device writes into it */
};

/* A chain popped from the available ring. bufs points into the queue's
 * scratch array and is valid until the next vq_pop on the same queue. */
struct vq_chain {
	uint16_t head;       /* descriptor index to return in the used ring
			      * (packed: the buffer id) */
	uint16_t slots;      /* packed: ring descriptors the chain took */
	uint32_t n;          /* buffers in bufs: readable ones first */
	uint32_t n_readable;
	bool indirect;       /* the chain went through an indirect table */
	uint64_t readable_len;
	uint64_t writable_len;
	struct vq_buf *bufs;
	uint64_t ord;        /* chains popped from this queue before this one */
};

struct vq_fault {
	enum rule_id rule;
	struct vring_place at; /* where in the chain (ring rules; zero otherwise) */
	char msg[VRING_MSG_MAX];
};

struct virtqueue {
	struct guest_mem *gm;
	uint32_t num;        /* queue size */
	uint64_t desc;       /* guest-physical addresses of the three areas */
	uint64_t avail;
	uint64_t used;
	bool indirect_ok;    /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx;      /* VIRTIO_F_EVENT_IDX negotiated */
	uint16_t last_avail; /* next available ring slot the device reads */
	uint16_t used_idx;   /* device's used index */
	uint16_t signalled_used; /* used_idx at the last interrupt (event idx) */
	bool signalled_valid;
	bool pushed;         /* used entries added since the last interrupt decision */
	struct vq_buf *scratch; /* 2 * num entries (a direct chain plus one indirect
				 * table); owned (vq_setup / vq_release) */
	struct split_ring ring; /* num, the areas and indirect_ok, for the walker */
	/* Packed rings (desc/avail/used above: descriptor ring, driver and
	 * device event suppression areas). */
	bool packed;
	struct packed_ring pring;      /* for the walker */
	struct packed_pos next_avail;  /* next slot to read, driver wrap counter */
	struct packed_pos next_used;   /* next used slot, device wrap counter */
	struct packed_pos signalled;   /* next_used at the last interrupt decision */
	uint32_t outstanding;          /* slots popped and not yet used */
	uint16_t dev_event;            /* off_wrap last published (EVENT_IDX) */
	bool dev_event_set;
	/* Packed: per slot, the used descriptor the device wrote there last
	 * (buffer id, length, slots its chain took; slots 0: none yet), so
	 * a replay can compare a recorded copy with what was written even
	 * after the driver reused the slot.  num entries; owned. */
	struct vq_pub { uint16_t id, slots; uint32_t len; } *pub;
	/* Replay following a recorded device's own reports (vq_hold): used
	 * entries are held back until vq_publish places them. */
	uint64_t popped;               /* chains popped since set-up */
	bool hold;
	struct vq_held {
		uint64_t ord;
		uint16_t head;
		uint16_t slots;        /* packed: ring slots the chain took; split: 1 */
		uint32_t len;
		bool writable;         /* packed: the chain had device-writable buffers */
	} *held; /* num entries; owned */
	uint32_t n_held;
	uint32_t pub_slots;            /* packed: slots placed by vq_publish since the last vq_flush */
};

/* Check the layout (num a power of two in [1, VIRTQ_SIZE_MAX], areas aligned
 * and inside guest memory) and prepare the queue for use.  Returns 0, or -1
 * with *f filled and nothing allocated. */
int vq_setup(struct virtqueue *vq, struct guest_mem *gm, uint32_t num,
	     uint64_t desc, uint64_t avail, uint64_t used,
	     bool indirect_ok, bool event_idx, struct vq_fault *f);

/* The same for a packed ring (Packed Virtqueues): num in
 * [1, VIRTQ_SIZE_MAX] (no power of two needed), desc 16-aligned, the two
 * event suppression areas (driver, device) 4-aligned and 4 bytes, all
 * inside guest memory.  Returns 0, or -1 with *f filled. */
int vq_setup_packed(struct virtqueue *vq, struct guest_mem *gm, uint32_t num,
		    uint64_t desc, uint64_t driver, uint64_t device,
		    bool indirect_ok, bool event_idx, struct vq_fault *f);

/* Free the scratch space and forget the ring; safe on a zeroed queue. */
void vq_release(struct virtqueue *vq);

/* Pop the next available chain. Returns 1 with *c filled, 0 if nothing is
 * available, -1 with *f filled if the ring is broken (state unchanged). */
int vq_pop(struct virtqueue *vq, struct vq_chain *c, struct vq_fault *f);

/* Put (c->head, written) into the used ring and publish the new used index.
 * Returns 0, or -1 with *f filled if the used ring cannot be written. */
int vq_push(struct virtqueue *vq, const struct vq_chain *c, uint32_t written, struct vq_fault *f);

/* Replay of a device that completed chains in its own order: from now on
 * vq_push keeps (head, written) back instead of writing the used ring,
 * and vq_publish / vq_flush publish them where and when the recorded
 * device did.  Returns 0, or -1 (out of memory, queue not set up). */
int vq_hold(struct virtqueue *vq);
/* Ring slots the held entry of the chain popped ord-th took (split: 1), 0
 * if no such entry is held. */
uint16_t vq_held_slots(const struct virtqueue *vq, uint64_t ord);
/* Write the held entry of the chain popped ord-th (vq_chain.ord) into the
 * used ring at used_idx + pos (packed: as a used descriptor pos slots
 * after the next used slot, its flags written with it), without
 * publishing it (split: the index; packed: the position moves at
 * vq_flush).  Returns 0, 1 if no such entry is held (not popped yet, or
 * already published), or -1 if pos is not below num (packed: the entry
 * would not fit before num slots). */
int vq_publish(struct virtqueue *vq, uint64_t ord, uint16_t pos);
/* Publish count more used entries (split: used_idx += count; packed: the
 * next used slot moves count slots on); vq_should_interrupt then decides
 * as after a push.  Returns 0, or -1 if count exceeds num. */
int vq_flush(struct virtqueue *vq, uint16_t count);

/* After one or more pushes: should the device interrupt the driver?
 * Honours VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX. */
bool vq_should_interrupt(struct virtqueue *vq);

/* Number of chains the driver has made available and the device not yet
 * popped (0 if the avail index cannot be read); packed rings: 1 if the next
 * descriptor is available, else 0. */
uint16_t vq_pending(const struct virtqueue *vq);

/* Copy len bytes at byte offset off of the chain's readable part into dst /
 * from src into its writable part. Return the number of bytes copied
 * (short if the chain is shorter). Buffers were bounds-checked at pop. */
uint64_t vq_chain_read(const struct guest_mem *gm, const struct vq_chain *c,
		       uint64_t off, void *dst, uint64_t len);
uint64_t vq_chain_write(struct guest_mem *gm, const struct vq_chain *c,
			uint64_t off, const void *src, uint64_t len);

#endif
