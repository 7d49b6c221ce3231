/* The ring decoder's state (rings.c).  What the request decoders see of it
 * is in req.h: they get a struct req_queue per call and never reach into
 * this state or call rings.c. */
#ifndef VMTRACE_DECODER_RINGS_PRIV_H
#define VMTRACE_DECODER_RINGS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "decoder/dec_priv.h"
#include "decoder/reports.h"
#include "decoder/req.h"
#include "virtio/packed_ring.h"

struct shadow_mem;
struct devtype_queue;
struct rings_elem; /* reports.h */

/* Writable segments kept for chains in flight, over all queues; chains
 * beyond it are completed without their payload (fields NULL). */
#define RINGS_SEGS_KEPT_MAX (UINT64_C(1) << 20)
/* Completed requests remembered per device until its next interrupt; more
 * are covered by one id range. */
#define RINGS_IRQ_PENDING_MAX 4096u

struct dec_ring {
	struct dec_device *d; /* borrowed */
	unsigned q;
	uint32_t generation;
	uint32_t size;
	uint64_t desc, avail, used;
	/* The queue's role in its device type (device_types.h), NULL if the
	 * type does not say; and the type's request decoder if the queue
	 * carries data it decodes (else chains and used entries only). */
	const struct devtype_queue *role;
	const struct req_decoder *req;
	uint16_t last_avail, last_used;
	/* Split rings, best-effort copies: used_seen is the used idx last
	 * read (entries up to it are counted as published, taken or not);
	 * avail_looks counts reads of the avail idx.  used_wait: the entry at
	 * last_used names an id not in flight in a copy of the used ring
	 * newer than the last one of the avail ring (the device ran ahead of
	 * the recorder, or the copies came used first); it waits until
	 * avail_looks reaches used_wait_looks. */
	uint16_t used_seen;
	uint64_t avail_looks, used_wait_looks;
	bool used_wait;
	struct vmt_event used_wait_ev; /* the copy that showed it (no data):
					* its used entry's seq and time */
	/* Packed rings (VIRTIO_F_RING_PACKED negotiated): desc is the
	 * descriptor ring, avail / used the driver / device event
	 * suppression areas; drv and dev the positions (with wrap counters)
	 * of the next chain the driver makes available and the next used
	 * descriptor; id_slots: ring slots taken by the chain in flight with
	 * each buffer id (size entries, with inflight; owned). */
	bool packed;
	struct packed_pos drv, dev;
	uint16_t *id_slots;
	/* Chains used before they were seen (late copies), whose used
	 * descriptors are yet to come: per id named in their slot
	 * (size entries, on first use; owned), and those without an id. */
	uint16_t *lost_ids;
	uint32_t n_lost;
	uint16_t avail_src, used_src; /* VMT_MEM_* flags of the last store of each idx */
	/* Entries may be in flight that the trace did not show (missing ring
	 * bytes, a resync): used ids not found are then not reported. */
	bool uncertain;
	struct rings_inflight *inflight; /* size entries, on first chain; owned */
	/* Split rings, best-effort copies: chains still in flight when a copy
	 * showed their head made available again.  The driver got the head
	 * back, so the device used them: the used entries that say so come
	 * further on, oldest first, before the one of inflight's chain.  A
	 * driver that reuses one head for every request (virtio-rng's) can
	 * retire several before a copy of the used ring shows them.  A FIFO of
	 * size entries (on first use; owned); when it is full the oldest is
	 * dropped and the ring becomes uncertain. */
	struct rings_retired *retired;
	uint32_t n_retired, retired_first;
	uint64_t *unnotified;  /* requests made available since the last notify; owned */
	uint32_t n_unnotified;
	unsigned live_pos;     /* index in dec_rings.live */
	/* The device's own reports (reports.c): avail positions taken since
	 * the generation began (chains decoded or skipped) and pops the
	 * device reported; the k-th of each is the same element.  elems:
	 * size entries by k % size, on first use; owned. */
	uint64_t taken, pops;
	struct rings_elem *elems;
	struct reports_scsi_block scsi_blocks[REPORTS_SCSI_LUNS_MAX]; /* reports.h */
};

/* A chain in flight whose head the driver made available again. */
struct rings_retired {
	uint16_t head;
	struct rings_inflight f; /* f.chain 0: used already (a hole) */
};

/* Per device: interrupt bookkeeping. */
struct rings_dev {
	uint64_t used_events;  /* used entries published, all queues */
	uint64_t used_at_ack;  /* used_events when the driver last acknowledged bit 0 */
	uint64_t *irq_pending; /* completed requests awaiting an interrupt; owned */
	uint32_t n_irq_pending;
	uint64_t over_lo, over_hi; /* ids beyond the list (0 if none) */
};

struct dec_rings {
	struct shadow_mem *sm; /* owned */
	struct req_state req;  /* the request decoders' rows, statements, payload buffer */
	struct dec_ring **live; /* owned array; rings owned */
	unsigned n_live, cap_live;
	struct rings_dev *dev[DEC_DEVICES_MAX]; /* by dec_device.id; owned */
	uint64_t next_chain;
	bool dev_writes_seen;  /* the source records device stores */
	struct rings_seg *scratch; /* walk output, 2 * VIRTQ_SIZE_MAX at most; owned */
	uint32_t scratch_cap;
	uint64_t segs_kept;
};

/* rings.c: the features in force for d's rings (legacy devices negotiate
 * at DRIVER_OK, after their queues went live: what the driver accepted). */
uint64_t rings_features(const struct dec_device *d);
/* rings.c, for reports.c: request id completed on d and awaits d's next
 * interrupt. */
void rings_irq_note(struct decoder *dec, struct dec_device *d, uint64_t id);
/* rings.c, for reports.c: the chain in flight at head (if it is chain)
 * was a torn copy: forget its request and segments (its used entry is
 * still matched to it, and checks nothing). */
void rings_inflight_forget(struct decoder *dec, struct dec_ring *r, uint16_t head, uint64_t chain);

#endif
