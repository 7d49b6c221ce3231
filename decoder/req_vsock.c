/* virtio-vsock packets (Device Types / Socket Device / Device Operation):
 * each buffer on the rx and tx queues starts with a 44-byte little-endian
 * struct virtio_vsock_hdr (le64 src_cid, le64 dst_cid, le32 src_port,
 * le32 dst_port, le32 len, le16 type, le16 op, le32 flags, le32 buf_alloc,
 * le32 fwd_cnt), followed by len payload bytes.  Transmit buffers are
 * decoded when made available (readable part), receive buffers when the
 * device used them (writable part, bounded by the used length).
 *
 * The row: kind vsock-tx / vsock-rx, op the operation with the addresses
 * ("RW 3:1024 -> 2:5000": op, src cid:port -> dst cid:port; a type other
 * than stream is added), length the payload bytes, data the payload (up
 * to the payload cap), digest of the payload.  A header len larger than
 * the buffer is malformed: length is then the bytes the buffer holds.
 * The event queue is no data queue: its chains carry no requests row. */
#include "decoder/req.h"

#include <stdio.h>

#include "decoder/shadow_mem.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

/* Facts from the spec's Socket Device section. */
#define VSOCK_HDR_SIZE 44u
#define VSOCK_TYPE_STREAM 1u
#define VSOCK_TYPE_SEQPACKET 2u
#define VSOCK_TYPE_MAX 3u /* DGRAM, in newer drafts of the spec */

static const char *vsock_op_name(uint16_t op)
{
	static const char *const names[] = {
		"INVALID", "REQUEST", "RESPONSE", "RST", "SHUTDOWN", "RW", "CREDIT_UPDATE", "CREDIT_REQUEST",
	};

	return op < sizeof(names) / sizeof(names[0]) ? names[op] : NULL;
}

static void vsock_op_text(char *out, const uint8_t *h)
{
	char op[16], type[16] = "";
	uint16_t opv = le16_get(h + 30), typ = le16_get(h + 28);
	const char *name = vsock_op_name(opv);

	if (name)
		snprintf(op, sizeof(op), "%s", name);
	else
		snprintf(op, sizeof(op), "op %u", opv);
	if (typ == VSOCK_TYPE_SEQPACKET)
		snprintf(type, sizeof(type), " seqpacket");
	else if (typ != VSOCK_TYPE_STREAM)
		snprintf(type, sizeof(type), " type %u", typ);
	snprintf(out, REQ_OP_TEXT_MAX, "%s %llu:%u -> %llu:%u%s", op, (unsigned long long)le64_get(h),
		 le32_get(h + 16), (unsigned long long)le64_get(h + 8), le32_get(h + 20), type);
}

/* Decode bytes [0, total) of c's segments as one packet, filling rf (op
 * text into text). */
static void vsock_packet(const struct req_queue *q, struct rings_chain *c, uint64_t total,
			 struct req_fields *rf, char *text)
{
	struct req_state *rs = q->rq;
	uint8_t hdr[VSOCK_HDR_SIZE];

	if (total < VSOCK_HDR_SIZE) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: vsock packet at head %u has %llu bytes, less than the %u-byte header",
				      q->q, c->head, (unsigned long long)total, VSOCK_HDR_SIZE);
		return;
	}
	unsigned hf = req_chain_read(rs, c->segs, c->n_segs, 0, hdr, VSOCK_HDR_SIZE);
	req_note_mem(c, hf);
	if (!(hf & SHADOW_HAVE_ALL))
		return;
	uint16_t opv = le16_get(hdr + 30), typ = le16_get(hdr + 28);
	if (c->mem != RINGS_MEM_EXACT && (opv == 0 || !vsock_op_name(opv) || typ == 0 || typ > VSOCK_TYPE_MAX)) {
		/* No driver sends such a header: a best-effort copy taken
		 * after the buffer went back to the guest.  Said so, not
		 * decoded (no device report can check a vhost device's copy). */
		char msg[160];
		snprintf(msg, sizeof(msg), "queue %u: vsock packet at head %u has op %u type %u, which no driver sends",
			 q->q, c->head, opv, typ);
		dec_anomaly(q->dec, q->d, (int)q->q, RULE_REQUEST_MALFORMED, msg);
		return;
	}
	vsock_op_text(text, hdr);
	rf->op_text = text;
	uint64_t len = le32_get(hdr + 24), room = total - VSOCK_HDR_SIZE;
	if (len > room) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: vsock packet at head %u says len %llu, its buffer holds %llu payload bytes",
				      q->q, c->head, (unsigned long long)len, (unsigned long long)room);
		len = room;
	}
	rf->has_length = true;
	rf->length = len;
	if (!len)
		return;
	unsigned ff;
	uint32_t held = req_payload(rs, c->segs, c->n_segs, VSOCK_HDR_SIZE, len, &ff);
	req_note_mem(c, ff);
	if (ff & SHADOW_HAVE_ALL) {
		rf->data = rs->payload;
		rf->data_len = held;
	}
	bool rough = false;
	rf->has_digest = req_chain_digest(rs, c->segs, c->n_segs, VSOCK_HDR_SIZE, len, &rf->digest, &rough);
}

/* Data queues only: tx goes out, rx comes in. */
static bool vsock_tx(const struct req_queue *q)
{
	return q->role->flow == DEVTYPE_FLOW_OUT;
}

static uint64_t vsock_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };
	char text[REQ_OP_TEXT_MAX];

	(void)f;
	if (!vsock_tx(q))
		return req_insert(q, c, TDB_REQ_VSOCK_RX, &rf);
	if (c->complete) {
		struct rings_chain rd = *c;
		rd.n_segs = c->n_readable;
		vsock_packet(q, &rd, c->readable, &rf, text);
		c->mem = rd.mem;
	}
	return req_insert(q, c, TDB_REQ_VSOCK_TX, &rf);
}

static void vsock_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { 0 };
	struct rings_chain c;
	char text[REQ_OP_TEXT_MAX];

	req_inflight_view(f, &c);
	if (!vsock_tx(q) && c.complete)
		vsock_packet(q, &c, len < c.writable ? len : c.writable, &rf, text);
	req_complete(q->dec, q->rq, f->request, &rf);
}

const struct req_decoder req_decoder_vsock = {
	.device_id = VIRTIO_ID_VSOCK,
	.avail = vsock_avail,
	.used = vsock_used,
};
