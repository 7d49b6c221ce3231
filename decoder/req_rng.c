/* virtio-rng requests (Device Types / Entropy Device): one writable
 * buffer per request; the used length is the entropy delivered. */
#include "decoder/req.h"

#include "decoder/shadow_mem.h"
#include "virtio/virtio.h"

static uint64_t rng_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };

	(void)f;
	return req_insert(q, c, "rng", &rf);
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
