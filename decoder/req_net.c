/* virtio-net packets (Device Types / Network Device / Device Operation):
 * each buffer starts with a struct virtio_net_hdr (12 bytes with
 * VERSION_1 or MRG_RXBUF, 10 without), followed by the Ethernet frame.
 * Transmit buffers are decoded when made available, receive buffers when
 * the device used them (the used length says how much it wrote). */
#include "decoder/req.h"

#include "decoder/shadow_mem.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

static uint32_t net_hdr_size(const struct req_queue *q)
{
	if (q->features & (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)))
		return VIRTIO_NET_HDR_SIZE;
	return VIRTIO_NET_HDR_SIZE_LEGACY;
}

/* Decode the bytes [0, total) of c (readable or writable part) as one
 * packet of request id, filling rf and a net_frames row. */
static void net_packet(const struct req_queue *q, struct rings_chain *c, uint64_t total,
		       struct req_fields *rf, uint64_t id)
{
	struct req_state *rs = q->rq;
	uint32_t hsz = net_hdr_size(q);
	uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };

	if (total < hsz) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: packet at head %u has %llu bytes, less than the %u-byte virtio-net header",
				      q->q, c->head, (unsigned long long)total, hsz);
		return;
	}
	unsigned hf = req_chain_read(rs, c->segs, c->n_segs, 0, hdr, hsz);
	req_note_mem(c, hf);
	uint64_t frame_len = total - hsz;
	unsigned ff;
	uint32_t held = req_payload(rs, c->segs, c->n_segs, hsz, frame_len, &ff);
	req_note_mem(c, ff);
	bool rough = false;
	rf->has_length = true;
	rf->length = frame_len;
	rf->has_digest = req_chain_digest(rs, c->segs, c->n_segs, hsz, frame_len, &rf->digest, &rough);
	if (ff & SHADOW_HAVE_ALL) {
		rf->data = rs->payload;
		rf->data_len = held;
	}
	if (id)
		req_net_frame(q->dec, id, hdr, hsz, (hf & SHADOW_HAVE_ALL) != 0,
			      (ff & SHADOW_HAVE_ALL) ? rs->payload : NULL, held, frame_len);
}

/* Data queues only (the registry is called for data queues): transmit
 * queues go out, receive queues come in. */
static bool net_tx(const struct req_queue *q)
{
	return q->role->flow == DEVTYPE_FLOW_OUT;
}

static uint64_t net_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };

	(void)f;
	if (!net_tx(q) || !c->complete)
		return req_insert(q, c, net_tx(q) ? TDB_REQ_NET_TX : TDB_REQ_NET_RX, &rf);
	/* The row id is needed for net_frames: decode into rf first, insert,
	 * then write the frame row from the same bytes. */
	struct rings_chain rd = *c;
	rd.n_segs = c->n_readable;
	uint32_t hsz = net_hdr_size(q);
	net_packet(q, &rd, c->readable, &rf, 0);
	c->mem = rd.mem;
	uint64_t id = req_insert(q, c, TDB_REQ_NET_TX, &rf);
	if (id && c->readable >= hsz) {
		/* rs->payload still holds the frame bytes read above. */
		uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };
		unsigned hf = req_chain_read(q->rq, rd.segs, rd.n_segs, 0, hdr, hsz);
		req_net_frame(q->dec, id, hdr, hsz, (hf & SHADOW_HAVE_ALL) != 0, rf.data, rf.data_len, c->readable - hsz);
	}
	return id;
}

static void net_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { 0 };
	struct rings_chain c;

	req_inflight_view(f, &c);
	if (!net_tx(q) && c.complete)
		net_packet(q, &c, len < c.writable ? len : c.writable, &rf, f->request);
	req_complete(q->dec, q->rq, f->request, &rf);
}

const struct req_decoder req_decoder_net = {
	.device_id = VIRTIO_ID_NET,
	.avail = net_avail,
	.used = net_used,
};
