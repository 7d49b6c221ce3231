/* Virtqueue contents and requests, decoded from guest memory the trace
 * carries (driver and device stores, snapshots).  Implemented by rings.c
 * (chains, used entries), shadow_mem.c (sparse copy of guest memory) and
 * req_*.c (blk, net, console, rng requests). Where memory is missing the
 * rows say so ('missing') instead of guessing.
 *
 * Errors: as decoder.h: rings_init returns 0 or -1 (out of memory); the
 * rest returns nothing and sets dec->failed on a write error. */
#ifndef VMTRACE_DECODER_RINGS_H
#define VMTRACE_DECODER_RINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "decoder/dec_priv.h"

/* Set up / tear down the ring decoder of a decoder. Return 0 or -1. */
int rings_init(struct decoder *dec);
void rings_free(struct decoder *dec);

/* Every guest-memory event, after its events row was written. */
void rings_on_mem(struct decoder *dec, const struct vmt_event *ev);

/* Queue q of d went live with the layout in d->q[q] (size, desc, driver,
 * device; generation d->q[q].generation) and d->negotiated features (a
 * legacy device negotiates at DRIVER_OK, after its queues are set up:
 * until then d->accepted is what the driver chose).
 * Returns the ring state to keep in d->q[q].ring, or NULL. */
struct dec_ring *rings_queue_live(struct decoder *dec, struct dec_device *d, unsigned q);
/* The generation ended (reset, QueueReady 0, QueuePFN 0, QueueReset). */
void rings_queue_end(struct decoder *dec, struct dec_device *d, unsigned q);

/* The driver wrote QueueNotify for queue q (which is live). */
void rings_on_notify(struct decoder *dec, struct dec_device *d, unsigned q);
/* An interrupt was raised (irq event) or InterruptStatus was read with
 * value status. */
void rings_on_interrupt(struct decoder *dec, struct dec_device *d, uint32_t status, bool status_read);

/* The driver wrote InterruptACK with value. */
void rings_on_ack(struct decoder *dec, struct dec_device *d, uint32_t value);

/* End of input: flush what is still in flight. */
void rings_finish(struct decoder *dec);

#endif
