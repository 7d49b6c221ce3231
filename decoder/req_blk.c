/* virtio-blk requests (Device Types / Block Device / Device Operation): a
 * 16-byte header (le32 type, le32 reserved, le64 sector) in the readable
 * part, data, and the status byte as the last writable byte. */
#include "decoder/req.h"

#include "decoder/shadow_mem.h"
#include "virtio/virtio.h"

static const char *blk_op_name(uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN: return "in";
	case VIRTIO_BLK_T_OUT: return "out";
	case VIRTIO_BLK_T_FLUSH: return "flush";
	case VIRTIO_BLK_T_GET_ID: return "get-id";
	case VIRTIO_BLK_T_GET_LIFETIME: return "get-lifetime";
	case VIRTIO_BLK_T_DISCARD: return "discard";
	case VIRTIO_BLK_T_WRITE_ZEROES: return "write-zeroes";
	case VIRTIO_BLK_T_SECURE_ERASE: return "secure-erase";
	}
	return "unknown";
}

/* Requests whose data the device writes (before the status byte). */
static bool blk_op_writes(uint32_t type)
{
	return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID || type == VIRTIO_BLK_T_GET_LIFETIME;
}

/* Decode the header and, for writes, digest the data.  A chain too short
 * for a header or without a status byte is malformed (reported only when
 * its descriptors were all seen exactly). */
static uint64_t blk_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	uint8_t hdr[VIRTIO_BLK_REQ_HDR_SIZE];

	if (c->complete && (c->readable < VIRTIO_BLK_REQ_HDR_SIZE || c->writable < 1)) {
		if (c->mem == RINGS_MEM_EXACT)
			dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
				      "queue %u: block request at head %u has %llu readable and %llu writable bytes; it needs a 16-byte header and a status byte",
				      q->q, c->head, (unsigned long long)c->readable, (unsigned long long)c->writable);
		return req_insert(q, c, TDB_REQ_BLK, &rf);
	}
	unsigned m = req_chain_read(rs, c->segs, c->n_readable, 0, hdr, sizeof(hdr));
	req_note_mem(c, m);
	if (!(m & SHADOW_HAVE_ALL))
		return req_insert(q, c, TDB_REQ_BLK, &rf);
	uint32_t type = le32_get(hdr);
	f->op = type;
	f->op_known = true;
	rf.op = blk_op_name(type);
	rf.has_sector = true;
	rf.sector = le64_get(hdr + 8);
	if (c->complete) {
		rf.has_length = true;
		if (blk_op_writes(type))
			rf.length = c->writable - 1;
		else if (type == VIRTIO_BLK_T_FLUSH)
			rf.length = 0;
		else
			rf.length = c->readable - VIRTIO_BLK_REQ_HDR_SIZE;
	}
	if (c->complete && type == VIRTIO_BLK_T_OUT) {
		bool rough = false;
		rf.has_digest = req_chain_digest(rs, c->segs, c->n_readable, VIRTIO_BLK_REQ_HDR_SIZE,
						 c->readable - VIRTIO_BLK_REQ_HDR_SIZE, &rf.digest, &rough);
		req_note_mem(c, rf.has_digest ? (rough ? SHADOW_HAVE_ALL | SHADOW_ROUGH : SHADOW_HAVE_ALL) : 0);
	}
	return req_insert(q, c, TDB_REQ_BLK, &rf);
}

/* The status byte and, for reads, the digest of what the device wrote. */
static void blk_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_state *rs = q->rq;
	struct req_fields rf = { 0 };
	struct rings_chain c;

	(void)len;
	req_inflight_view(f, &c);
	if (c.complete && c.writable >= 1) {
		uint8_t st;
		if (req_chain_read(rs, c.segs, c.n_segs, c.writable - 1, &st, 1) & SHADOW_HAVE_ALL) {
			rf.has_status = true;
			rf.status = st;
		}
		if (f->op_known && blk_op_writes(f->op)) {
			bool rough = false;
			rf.has_digest = req_chain_digest(rs, c.segs, c.n_segs, 0, c.writable - 1, &rf.digest, &rough);
		}
	}
	req_complete(q->dec, rs, f->request, &rf);
}

const struct req_decoder req_decoder_blk = {
	.device_id = VIRTIO_ID_BLOCK,
	.avail = blk_avail,
	.used = blk_used,
};
