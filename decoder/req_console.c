/* virtio-console port data (Device Types / Console Device): transmit
 * buffers carry bytes the driver wrote (decoded when made available),
 * receive buffers the bytes the device wrote (decoded when used). */
#include "decoder/req.h"

#include "decoder/shadow_mem.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

/* Fill length, digest and the capped bytes of len bytes of c at off. */
static void console_bytes(struct req_state *rq, struct rings_chain *c, uint64_t len, struct req_fields *rf)
{
	unsigned flags;
	bool rough = false;
	uint32_t held = req_payload(rq, c->segs, c->n_segs, 0, len, &flags);

	req_note_mem(c, flags);
	rf->has_length = true;
	rf->length = len;
	if (flags & SHADOW_HAVE_ALL) {
		rf->data = rq->payload;
		rf->data_len = held;
	}
	rf->has_digest = req_chain_digest(rq, c->segs, c->n_segs, 0, len, &rf->digest, &rough);
	if (!rf->has_digest)
		req_note_mem(c, 0);
}

/* Port data queues only (the registry is called for data queues): the
 * driver's transmit queues go out, receive queues come in. */
static bool console_tx(const struct req_queue *q)
{
	return q->role->flow == DEVTYPE_FLOW_OUT;
}

static uint64_t console_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };

	(void)f;
	if (console_tx(q) && c->complete) {
		/* Only the readable part goes to the device. */
		struct rings_chain rd = *c;
		rd.n_segs = c->n_readable;
		console_bytes(q->rq, &rd, c->readable, &rf);
		c->mem = rd.mem;
	}
	return req_insert(q, c, console_tx(q) ? TDB_REQ_CONSOLE_TX : TDB_REQ_CONSOLE_RX, &rf);
}

static void console_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { 0 };
	struct rings_chain c;

	req_inflight_view(f, &c);
	if (!console_tx(q) && c.complete)
		console_bytes(q->rq, &c, len < c.writable ? len : c.writable, &rf);
	req_complete(q->dec, q->rq, f->request, &rf);
}

const struct req_decoder req_decoder_console = {
	.device_id = VIRTIO_ID_CONSOLE,
	.avail = console_avail,
	.used = console_used,
};
