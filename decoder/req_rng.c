/* virtio-rng requests (Device Types / Entropy Device): one writable
 * buffer per request; the used length is the entropy delivered. */
#include "decoder/rings_priv.h"

#include "decoder/shadow_mem.h"

uint64_t req_rng_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };

	(void)f;
	return req_insert(dec, r, c, "rng", &rf);
}

void req_rng_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { .has_length = true, .length = len };
	struct rings_chain c;

	/* A device claiming more than the buffer holds is reported by the
	 * used-ring check; the row keeps what the device said. */
	(void)r;
	req_inflight_view(f, &c);
	if (c.complete) {
		/* The bytes delivered (capped): replay hands them to the model. */
		uint64_t n = len < c.writable ? len : c.writable;
		unsigned flags;
		uint32_t held = req_payload(dec, c.segs, c.n_segs, 0, n, &flags);
		req_note_mem(&c, flags);
		if (flags & SHADOW_HAVE_ALL) {
			rf.data = dec->rings->payload;
			rf.data_len = held;
		}
	}
	req_complete(dec, f->request, &rf);
}
