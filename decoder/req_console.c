/* virtio-console port data (Device Types / Console Device): transmit
 * buffers carry bytes the driver wrote (decoded when made available),
 * receive buffers the bytes the device wrote (decoded when used). */
#include "decoder/rings_priv.h"

#include "decoder/shadow_mem.h"

/* Fill length, digest and the capped bytes of len bytes of c at off. */
static void console_bytes(struct decoder *dec, struct rings_chain *c, uint64_t len, struct req_fields *rf)
{
	unsigned flags;
	bool rough = false;
	uint32_t held = req_payload(dec, c->segs, c->n_segs, 0, len, &flags);

	req_note_mem(c, flags);
	rf->has_length = true;
	rf->length = len;
	if (flags & SHADOW_HAVE_ALL) {
		rf->data = dec->rings->payload;
		rf->data_len = held;
	}
	rf->has_digest = req_chain_digest(dec->rings, c->segs, c->n_segs, 0, len, &rf->digest, &rough);
	if (!rf->has_digest)
		req_note_mem(c, 0);
}

uint64_t req_console_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };

	(void)f;
	if (r->kind == RINGS_KIND_CONSOLE_TX && c->complete) {
		/* Only the readable part goes to the device. */
		struct rings_chain rd = *c;
		rd.n_segs = c->n_readable;
		console_bytes(dec, &rd, c->readable, &rf);
		c->mem = rd.mem;
	}
	return req_insert(dec, r, c, r->kind == RINGS_KIND_CONSOLE_TX ? "console-tx" : "console-rx", &rf);
}

void req_console_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { 0 };
	struct rings_chain c;

	req_inflight_view(f, &c);
	if (r->kind == RINGS_KIND_CONSOLE_RX && c.complete)
		console_bytes(dec, &c, len < c.writable ? len : c.writable, &rf);
	req_complete(dec, f->request, &rf);
}
