/* Internals shared by the ring decoder (rings.c) and the request decoders
 * (req_common.c, req_blk.c, req_net.c, req_console.c, req_rng.c). */
#ifndef VMTRACE_DECODER_RINGS_PRIV_H
#define VMTRACE_DECODER_RINGS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "decoder/dec_priv.h"

struct shadow_mem;

/* Largest data a digest is computed over; beyond it the digest is NULL
 * (a guest-chosen length must not buy unbounded hashing). */
#define RINGS_DIGEST_MAX (UINT64_C(16) << 20)
/* Writable segments kept for chains in flight, over all queues; chains
 * beyond it are completed without their payload (fields NULL). */
#define RINGS_SEGS_KEPT_MAX (UINT64_C(1) << 20)
/* Completed requests remembered per device until its next interrupt; more
 * are covered by one id range. */
#define RINGS_IRQ_PENDING_MAX 4096u

/* How much of a chain's memory the trace held, worst first wins. */
enum rings_mem {
	RINGS_MEM_EXACT = 0,
	RINGS_MEM_BEST_EFFORT = 1,
	RINGS_MEM_PARTIAL = 2,
	RINGS_MEM_MISSING = 3,
};

/* What the requests of a queue are. */
enum rings_kind {
	RINGS_KIND_NONE = 0, /* chains and used entries only */
	RINGS_KIND_BLK,
	RINGS_KIND_NET_TX,
	RINGS_KIND_NET_RX,
	RINGS_KIND_CONSOLE_TX,
	RINGS_KIND_CONSOLE_RX,
	RINGS_KIND_RNG,
};

struct rings_seg {
	uint64_t gpa;
	uint32_t len;
};

/* A chain as the device would see it: readable segments first, then
 * writable ones.  Segments are borrowed. */
struct rings_chain {
	uint64_t chain;  /* chains.chain */
	uint16_t head;
	const struct rings_seg *segs;
	uint32_t n_segs, n_readable;
	uint64_t readable, writable; /* byte totals */
	bool complete;   /* walked to its end: totals are the chain's */
	enum rings_mem mem; /* raised by request decoders reading payload */
};

/* A chain the driver made available and the device has not used yet. */
struct rings_inflight {
	uint64_t chain;    /* 0: slot free */
	uint64_t request;  /* requests.request, 0 if none */
	uint64_t writable;
	struct rings_seg *wsegs; /* writable segments, owned; NULL if not kept */
	uint32_t n_wsegs;
	uint32_t op;       /* request decoder's note (blk: request type) */
	bool op_known;
	bool complete;
};

struct dec_ring {
	struct dec_device *d; /* borrowed */
	unsigned q;
	uint32_t generation;
	uint32_t size;
	uint64_t desc, avail, used;
	enum rings_kind kind;
	uint16_t last_avail, last_used;
	uint16_t avail_src, used_src; /* VMT_MEM_* flags of the last store of each idx */
	/* Entries may be in flight that the trace did not show (missing ring
	 * bytes, a resync): used ids not found are then not reported. */
	bool uncertain;
	struct rings_inflight *inflight; /* size entries, on first chain; owned */
	uint64_t *unnotified;  /* requests made available since the last notify; owned */
	uint32_t n_unnotified;
	unsigned live_pos;     /* index in dec_rings.live */
};

/* Per device: interrupt bookkeeping. */
struct rings_dev {
	uint64_t used_events;  /* used entries published, all queues */
	uint64_t used_at_ack;  /* used_events when the driver last acknowledged bit 0 */
	uint64_t *irq_pending; /* completed requests awaiting an interrupt; owned */
	uint32_t n_irq_pending;
	uint64_t over_lo, over_hi; /* ids beyond the list (0 if none) */
};

enum rings_stmt {
	RST_REQ_NOTIFY, RST_REQ_USED,
	RST_REQ_IRQ, RST_REQ_IRQ_RANGE,
	RST_COUNT
};

/* Requests rows are kept in memory until nothing can change them any more
 * (their interrupt was seen), so a request is written by one INSERT instead
 * of an INSERT and an UPDATE each for its notify, its used entry and its
 * interrupt.  Rows leave in request order; when either limit is reached the
 * oldest row is written as it stands, and what changes later is an UPDATE. */
#define REQ_PENDING_ROWS 4096u
#define REQ_PENDING_BYTES (UINT64_C(8) << 20) /* payload bytes held */

/* A requests row not written yet (columns as in schema.sql). */
struct req_row {
	uint64_t id;
	unsigned device, queue;
	uint64_t chain;
	const char *kind, *op; /* constants; op NULL if unknown */
	bool has_sector, has_length, has_status, has_digest, has_used, has_irq, has_data;
	uint8_t status;
	uint64_t sector, length, digest;
	uint64_t seq_notify, ts_notify, seq_used, ts_used, seq_irq, ts_irq;
	uint8_t *data;     /* data_len bytes (has_data); owned, NULL if empty */
	uint32_t data_len;
};

/* The rows of requests first .. first + n - 1, oldest at rows[head]. */
struct req_pending {
	struct req_row *rows; /* REQ_PENDING_ROWS, allocated on first use; owned */
	uint64_t first;
	uint32_t head, n;
	uint64_t bytes;       /* data bytes held */
};

struct dec_rings {
	struct shadow_mem *sm; /* owned */
	struct req_pending pending;
	sqlite3_stmt *st[RST_COUNT];
	struct dec_ring **live; /* owned array; rings owned */
	unsigned n_live, cap_live;
	struct rings_dev *dev[DEC_DEVICES_MAX]; /* by dec_device.id; owned */
	uint64_t next_chain, next_request;
	bool dev_writes_seen;  /* the source records device stores */
	struct rings_seg *scratch; /* walk output, 2 * VIRTQ_SIZE_MAX at most; owned */
	uint32_t scratch_cap;
	uint64_t segs_kept;
	uint8_t *payload;      /* payload_cap bytes for request data; owned */
	uint32_t payload_cap;  /* opts.payload_cap, at most RINGS_PAYLOAD_MAX */
};

/* Largest payload kept per request, whatever opts.payload_cap says. */
#define RINGS_PAYLOAD_MAX (UINT32_C(16) << 20)

/* rings.c: run one of our statements through dec_sql_step (so the row is
 * counted and batched), then clear its bindings: our statements leave
 * nullable columns unbound, which must read as NULL next time. */
int rings_step(struct decoder *dec, sqlite3_stmt *st);
/* rings.c: the features in force for d's rings (legacy devices negotiate
 * at DRIVER_OK, after their queues went live: what the driver accepted). */
uint64_t rings_features(const struct dec_device *d);

/* Nullable fields of a requests row. */
struct req_fields {
	const char *op;
	bool has_sector, has_length, has_status, has_digest;
	uint64_t sector, length, digest;
	uint8_t status;
	const uint8_t *data; /* NULL: no data */
	uint32_t data_len;
};

/* req_common.c */
/* Copy len bytes at offset off of segments segs[0..n) into dst.  Returns
 * SHADOW_* flags; SHADOW_HAVE_ALL is clear if the segments are shorter or
 * a byte is missing. */
unsigned req_chain_read(const struct dec_rings *rs, const struct rings_seg *segs, uint32_t n,
			uint64_t off, void *dst, uint64_t len);
/* FNV-1a 64 of len bytes at offset off, streamed.  Returns false (and
 * leaves *out alone) if a byte is missing or len exceeds RINGS_DIGEST_MAX;
 * *rough is set if a byte was best-effort. */
bool req_chain_digest(const struct dec_rings *rs, const struct rings_seg *segs, uint32_t n,
		      uint64_t off, uint64_t len, uint64_t *out, bool *rough);
/* Raise c->mem after reading payload with result flags f. */
void req_note_mem(struct rings_chain *c, unsigned f);
/* A new requests row for chain c of ring r at the current event (which is
 * its seq_notify).  Returns the new request id, 0 on error. */
uint64_t req_insert(struct decoder *dec, struct dec_ring *r, const struct rings_chain *c,
		    const char *kind, const struct req_fields *f);
/* Fill the completion of request id at the current event (fields of f
 * that are set replace the row's). */
void req_complete(struct decoder *dec, uint64_t id, const struct req_fields *f);
/* Request id was announced by the notify being decoded, unless it was
 * completed already. */
void req_notified(struct decoder *dec, uint64_t id);
/* The interrupt being decoded followed completed request id (unless an
 * earlier one did). */
void req_interrupted(struct decoder *dec, uint64_t id);
/* Same for every completed request of device dev among ids lo..hi that
 * has no interrupt yet. */
void req_interrupted_range(struct decoder *dec, unsigned dev, uint64_t lo, uint64_t hi);
/* Write every requests row still in memory (end of input). */
void req_write_all(struct decoder *dec);
/* Free the rows in memory without writing them. */
void req_pending_free(struct req_pending *p);
/* A net_frames row for request id from the header and frame bytes held. */
void req_net_frame(struct decoder *dec, uint64_t id, const uint8_t *hdr, uint32_t hdr_len, bool hdr_ok,
		   const uint8_t *frame, uint32_t frame_held, uint64_t frame_len);
/* Copy up to the payload cap of len bytes at off into the decoder's payload
 * buffer.  Returns the bytes held (0 if any is missing or no buffer) and
 * the SHADOW_* flags in *flags. */
uint32_t req_payload(struct decoder *dec, const struct rings_seg *segs, uint32_t n, uint64_t off,
		     uint64_t len, unsigned *flags);
/* Format h as 16 lowercase hex digits. */
void req_digest_hex(uint64_t h, char out[17]);

/* A view of an in-flight entry's writable segments as a chain. */
void req_inflight_view(const struct rings_inflight *f, struct rings_chain *c);

/* Per device type: at avail time (insert the row, may note f->op) and at
 * used time (len as the device reported it). */
uint64_t req_blk_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f);
void req_blk_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len);
uint64_t req_net_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f);
void req_net_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len);
uint64_t req_console_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f);
void req_console_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len);
uint64_t req_rng_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f);
void req_rng_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len);

#endif
