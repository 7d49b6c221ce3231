/* virtio-net packets (Device Types / Network Device / Device Operation):
 * each buffer starts with a struct virtio_net_hdr (12 bytes with
 * VERSION_1 or MRG_RXBUF, 10 without), followed by the Ethernet frame.
 * Transmit buffers are decoded when made available, receive buffers when
 * the device used them (the used length says how much it wrote). */
#include "decoder/rings_priv.h"

#include "decoder/shadow_mem.h"
#include "virtio/virtio.h"

static uint32_t net_hdr_size(const struct dec_device *d)
{
	uint64_t feat = rings_features(d);

	if (feat & (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)))
		return VIRTIO_NET_HDR_SIZE;
	return VIRTIO_NET_HDR_SIZE_LEGACY;
}

/* Decode the bytes [0, total) of c (readable or writable part) as one
 * packet of request id, filling rf and a net_frames row. */
static void net_packet(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, uint64_t total,
		       struct req_fields *rf, uint64_t id)
{
	struct dec_rings *rs = dec->rings;
	uint32_t hsz = net_hdr_size(r->d);
	uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };

	if (total < hsz) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(dec, r->d, RULE_REQUEST_MALFORMED,
				      "queue %u: packet at head %u has %llu bytes, less than the %u-byte virtio-net header",
				      r->q, c->head, (unsigned long long)total, hsz);
		return;
	}
	unsigned hf = req_chain_read(rs, c->segs, c->n_segs, 0, hdr, hsz);
	req_note_mem(c, hf);
	uint64_t frame_len = total - hsz;
	unsigned ff;
	uint32_t held = req_payload(dec, c->segs, c->n_segs, hsz, frame_len, &ff);
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
		req_net_frame(dec, id, hdr, hsz, (hf & SHADOW_HAVE_ALL) != 0,
			      (ff & SHADOW_HAVE_ALL) ? rs->payload : NULL, held, frame_len);
}

uint64_t req_net_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };

	(void)f;
	if (r->kind != RINGS_KIND_NET_TX || !c->complete)
		return req_insert(dec, r, c, r->kind == RINGS_KIND_NET_TX ? "net-tx" : "net-rx", &rf);
	/* The row id is needed for net_frames: decode into rf first, insert,
	 * then write the frame row from the same bytes. */
	struct rings_chain rd = *c;
	rd.n_segs = c->n_readable;
	uint32_t hsz = net_hdr_size(r->d);
	net_packet(dec, r, &rd, c->readable, &rf, 0);
	c->mem = rd.mem;
	uint64_t id = req_insert(dec, r, c, "net-tx", &rf);
	if (id && c->readable >= hsz) {
		/* rs->payload still holds the frame bytes read above. */
		uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };
		unsigned hf = req_chain_read(dec->rings, rd.segs, rd.n_segs, 0, hdr, hsz);
		req_net_frame(dec, id, hdr, hsz, (hf & SHADOW_HAVE_ALL) != 0, rf.data, rf.data_len, c->readable - hsz);
	}
	return id;
}

void req_net_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { 0 };
	struct rings_chain c;

	req_inflight_view(f, &c);
	if (r->kind == RINGS_KIND_NET_RX && c.complete)
		net_packet(dec, r, &c, len < c.writable ? len : c.writable, &rf, f->request);
	req_complete(dec, f->request, &rf);
}
