/* virtio-balloon requests (Device Types / Traditional Memory Balloon
 * Device / Device Operation), all driver to device:
 *  - inflateq, deflateq: an array of le32 page frame numbers (4096-byte
 *    pages whatever the guest's page size: VIRTIO_BALLOON_PFN_SHIFT 12);
 *    kind balloon-inflate / balloon-deflate, op "N pages", length the
 *    bytes of memory those pages are (N x 4096, not the array's bytes),
 *    data the array (capped);
 *  - statsq: struct virtio_balloon_stat { le16 tag; le64 val; } packed,
 *    10 bytes each; kind balloon-stats, op "tag=value ..." as far as it
 *    fits (then " +N more"), length the bytes of stats, data the entries
 *    (capped).  The device "uses" a stats buffer to ask for fresh stats,
 *    so the used entry carries nothing;
 *  - free_page_vq, reporting_vq: not decoded (no requests row; their
 *    chains are in chains/descriptors as for every queue).
 * Every count comes from the descriptors' lengths, which the guest
 * chooses: reads are bounded by the op text and the payload cap. */
#include "decoder/req.h"

#include <stdio.h>
#include <string.h>

#include "decoder/shadow_mem.h"
#include "virtio/device_types.h"
#include "virtio/virtio.h"

/* Bytes of a balloon page and of one page frame number in inflateq and
 * deflateq (Traditional Memory Balloon Device / Device Operation). */
#define BALLOON_PAGE_SIZE 4096u
#define BALLOON_PFN_SIZE 4u
/* sizeof(struct virtio_balloon_stat): le16 tag, le64 val, packed. */
#define BALLOON_STAT_SIZE 10u
/* Room kept for the tail " +N more" (N < 2^32 / 10: 9 digits) and its NUL. */
#define BALLOON_OP_TAIL 17u

enum balloon_queue { BQ_INFLATE, BQ_DEFLATE, BQ_STATS, BQ_OTHER };

/* Which queue this is, by its role's name: the queue numbers of statsq
 * and the rest move with the negotiated features, the roles do not. */
static enum balloon_queue balloon_queue_of(const struct req_queue *q)
{
	if (!strcmp(q->role->name, "inflateq"))
		return BQ_INFLATE;
	if (!strcmp(q->role->name, "deflateq"))
		return BQ_DEFLATE;
	if (!strcmp(q->role->name, "statsq"))
		return BQ_STATS;
	return BQ_OTHER;
}

/* VIRTIO_BALLOON_S_* tag names (Memory Statistics Tags), or NULL. */
static const char *balloon_stat_name(uint16_t tag)
{
	static const char *const names[] = {
		"swap-in", "swap-out", "major-faults", "minor-faults", "free-memory",
		"total-memory", "available-memory", "disk-caches", "hugetlb-allocations", "hugetlb-failures",
	};

	return tag < sizeof(names) / sizeof(names[0]) ? names[tag] : NULL;
}

/* Report a request whose readable bytes are not whole entries of size
 * unit (or that has device-writable buffers), when its descriptors were
 * all seen exactly. */
static void balloon_malformed(const struct req_queue *q, const struct rings_chain *c, const char *what,
			      unsigned unit)
{
	if (c->mem != RINGS_MEM_EXACT)
		return;
	dec_violation(q->dec, q->d, RULE_REQUEST_MALFORMED,
		      "queue %u: balloon %s request at head %u has %llu readable and %llu writable bytes; "
		      "expected whole %u-byte entries in device-readable buffers "
		      "(Traditional Memory Balloon Device / Device Operation)",
		      q->q, what, c->head, (unsigned long long)c->readable, (unsigned long long)c->writable, unit);
}

/* Keep the first len readable bytes of c as the row's data (capped). */
static void balloon_data(struct req_state *rq, struct rings_chain *c, uint64_t len, struct req_fields *rf)
{
	unsigned flags;
	uint32_t held = req_payload(rq, c->segs, c->n_readable, 0, len, &flags);

	req_note_mem(c, flags);
	if (flags & SHADOW_HAVE_ALL) {
		rf->data = rq->payload;
		rf->data_len = held;
	}
}

/* inflateq / deflateq: count the page frame numbers. */
static uint64_t balloon_pages(const struct req_queue *q, struct rings_chain *c, bool inflate, char *op,
			      struct req_fields *rf)
{
	enum tdb_request_kind kind = inflate ? TDB_REQ_BALLOON_INFLATE : TDB_REQ_BALLOON_DEFLATE;

	if (!c->complete)
		return req_insert(q, c, kind, rf);
	if (c->readable == 0 || c->readable % BALLOON_PFN_SIZE || c->writable) {
		balloon_malformed(q, c, inflate ? "inflate" : "deflate", BALLOON_PFN_SIZE);
		return req_insert(q, c, kind, rf);
	}
	uint64_t pages = c->readable / BALLOON_PFN_SIZE;
	snprintf(op, REQ_OP_TEXT_MAX, "%llu page%s", (unsigned long long)pages, pages == 1 ? "" : "s");
	rf->op_text = op;
	rf->has_length = true;
	/* readable is at most 2^15 descriptors of 2^32 bytes: no overflow */
	rf->length = pages * BALLOON_PAGE_SIZE;
	balloon_data(q->rq, c, c->readable, rf);
	return req_insert(q, c, kind, rf);
}

/* statsq: name the entries while they fit in the op text. */
static uint64_t balloon_stats(const struct req_queue *q, struct rings_chain *c, char *op, struct req_fields *rf)
{
	if (!c->complete)
		return req_insert(q, c, TDB_REQ_BALLOON_STATS, rf);
	if (c->readable % BALLOON_STAT_SIZE || c->writable) {
		balloon_malformed(q, c, "stats", BALLOON_STAT_SIZE);
		return req_insert(q, c, TDB_REQ_BALLOON_STATS, rf);
	}
	uint64_t n = c->readable / BALLOON_STAT_SIZE;
	rf->has_length = true;
	rf->length = c->readable;
	balloon_data(q->rq, c, c->readable, rf);
	if (n == 0 || !rf->data)
		return req_insert(q, c, TDB_REQ_BALLOON_STATS, rf);
	size_t at = 0;
	uint64_t i = 0;
	op[0] = '\0';
	/* Each entry is read on its own: only as many as the text can show. */
	for (; i < n; i++) {
		uint8_t e[BALLOON_STAT_SIZE];
		char one[48];
		unsigned f = req_chain_read(q->rq, c->segs, c->n_readable, i * BALLOON_STAT_SIZE, e, sizeof(e));
		if (!(f & SHADOW_HAVE_ALL))
			break;
		uint16_t tag = le16_get(e);
		const char *name = balloon_stat_name(tag);
		unsigned long long val = (unsigned long long)le64_get(e + 2);
		int k = name ? snprintf(one, sizeof(one), "%s%s=%llu", i ? " " : "", name, val)
			     : snprintf(one, sizeof(one), "%stag%u=%llu", i ? " " : "", tag, val);
		if (k < 0 || (size_t)k + BALLOON_OP_TAIL > REQ_OP_TEXT_MAX - at)
			break;
		memcpy(op + at, one, (size_t)k + 1);
		at += (size_t)k;
	}
	if (i < n)
		snprintf(op + at, REQ_OP_TEXT_MAX - at, "%s+%llu more", i ? " " : "", (unsigned long long)(n - i));
	rf->op_text = op;
	return req_insert(q, c, TDB_REQ_BALLOON_STATS, rf);
}

static uint64_t balloon_avail(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_fields rf = { 0 };
	char op[REQ_OP_TEXT_MAX];

	(void)f;
	switch (balloon_queue_of(q)) {
	case BQ_INFLATE:
		return balloon_pages(q, c, true, op, &rf);
	case BQ_DEFLATE:
		return balloon_pages(q, c, false, op, &rf);
	case BQ_STATS:
		return balloon_stats(q, c, op, &rf);
	case BQ_OTHER:
		break;
	}
	return 0;
}

/* Nothing comes back in the used entry of any balloon queue. */
static void balloon_used(const struct req_queue *q, struct rings_inflight *f, uint32_t len)
{
	struct req_fields rf = { 0 };

	(void)len;
	req_complete(q->dec, q->rq, f->request, &rf);
}

const struct req_decoder req_decoder_balloon = {
	.device_id = VIRTIO_ID_BALLOON,
	.avail = balloon_avail,
	.used = balloon_used,
};
