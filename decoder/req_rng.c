/* virtio-rng requests (Device Types / Entropy Device): writable buffers
 * only; the used length is the entropy delivered. */
#include "decoder/req.h"

#include "decoder/shadow_mem.h"
#include "virtio/virtio.h"

/* A request is writable buffers only: "The driver MUST NOT place
 * driver-readable buffers into the queue", and the device "MUST place one
 * or more random bytes into the buffer" (Entropy Device / Device
 * Operation), so a chain with a device-readable buffer, or without a
 * writable byte, is malformed.  The emulator's model (capture/emu/
 * dev_rng.c) reports the same chains; here only when every descriptor was
 * seen exactly (as for blk). */
static uint64_t rng_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };

	(void)f;
	if (c->complete && (c->n_readable || c->writable == 0) && c->mem == RINGS_MEM_EXACT)
		dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
			      "queue %u: rng request at head %u has %u device-readable buffers and %llu writable bytes; "
			      "expected only writable ones (Entropy Device / Device Operation)",
			      q->q, c->head, c->n_readable, (unsigned long long)c->writable);
	return req_insert(q, c, TDB_REQ_RNG, &rf);
}

static void rng_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { .has_length = true, .length = len };
	struct rings_chain c;

	/* A device claiming more than the buffer holds is reported by the
	 * used-ring check; the row keeps what the device said. */
	req_inflight_view(f, &c);
	if (c.complete) {
		/* The bytes delivered (capped): replay hands them to the model. */
		uint64_t n = len < c.writable ? len : c.writable;
		unsigned flags;
		uint32_t held = req_payload(q->rq, c.segs, c.n_segs, 0, n, &flags);
		req_note_mem(&c, flags);
		if (flags & SHADOW_HAVE_ALL) {
			rf.data = q->rq->payload;
			rf.data_len = held;
		}
	}
	req_complete(q->dec, q->rq, f->request, &rf);
}

const struct req_decoder req_decoder_rng = {
	.device_id = VIRTIO_ID_ENTROPY,
	.avail = rng_avail,
	.used = rng_used,
};
