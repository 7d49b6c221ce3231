/* The interface between the ring decoder (rings.c) and the request
 * decoders (req_common.c: the requests rows and payload reads shared by
 * all; req_blk.c, req_net.c, req_console.c, req_rng.c: one per device
 * type, found through req_registry.c by device id).
 *
 * rings.c walks chains and used entries and calls a type's hooks with a
 * struct req_queue saying everything the hook may use; the request
 * decoders call only req_common.c and the decoder core (dec_priv.h),
 * never back into rings.c.
 *
 * Errors: the hooks and req_* calls return nothing to check; a failure
 * to allocate sets dec->failed (as every decoder write does) and request
 * ids read 0 ("no row"). */
#ifndef VMTRACE_DECODER_REQ_H
#define VMTRACE_DECODER_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "decoder/dec_priv.h"
#include "tracedb/tdb_vocab.h"

struct shadow_mem;
struct devtype_queue;

/* Largest data a digest is computed over; beyond it the digest is NULL
 * (a guest-chosen length must not buy unbounded hashing). */
#define RINGS_DIGEST_MAX (UINT64_C(16) << 20)
/* Largest payload kept per request, whatever opts.payload_cap says. */
#define RINGS_PAYLOAD_MAX (UINT32_C(16) << 20)

/* How much of a chain's memory the trace held, worst first wins. */
enum rings_mem {
	RINGS_MEM_EXACT = 0,
	RINGS_MEM_BEST_EFFORT = 1,
	RINGS_MEM_PARTIAL = 2,
	RINGS_MEM_MISSING = 3,
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

/* req_scsi.c's op note for a command without a CDB (cdb_size 0). */
#define REQ_SCSI_OP_NO_CDB 0x10000u

/* req_scsi.c's reading of a command's CDB the way QEMU's SCSI layer reads
 * it (scsi_req_parse_cdb: its LBA, and the transfer length it computes),
 * for reports.c to compare with what that layer reported (the scsi-xfer
 * and scsi-lba steps). */
struct req_scsi_cdb {
	bool parses;      /* QEMU parses it (a CDB group it knows, no longer than cdb_size):
			   * the fields below say what it would report */
	bool has_lba;     /* it reports an LBA (groups 0, 1, 2, 5, and 4 unless all ones) */
	uint64_t lba;
	bool xfer_known;  /* an opcode whose length rule req_scsi.c follows (else unchecked) */
	bool xfer_blocks; /* xfer counts logical blocks (QEMU multiplies by the LUN's block size) */
	uint64_t xfer;    /* bytes, or blocks */
};

/* A chain the driver made available and the device has not used yet. */
struct rings_inflight {
	uint64_t chain;    /* 0: slot free */
	uint64_t request;  /* requests.request, 0 if none */
	uint64_t writable;
	struct rings_seg *wsegs; /* writable segments, owned; NULL if not kept */
	uint32_t n_wsegs;
	uint32_t op;       /* request decoder's note (blk: request type; scsi: opcode | service
			    * action << 8, or REQ_SCSI_OP_NO_CDB) */
	uint64_t note;     /* its second note (scsi: the LUN's 8 bytes) */
	struct req_scsi_cdb scsi; /* scsi: the CDB as QEMU parses it (op_known) */
	bool op_known;
	bool complete;
	uint64_t elem;     /* rings.c: its avail position number in the generation + 1 (reports.h), 0 none */
	uint64_t taken_seq; /* rings.c: the event whose copy it was decoded from */
};

/* Requests rows are kept in memory until nothing can change them any more
 * (their interrupt was seen), so a request is written by one INSERT instead
 * of an INSERT and an UPDATE each for its notify, its used entry and its
 * interrupt.  Rows leave in request order; when either limit is reached the
 * oldest row is written as it stands, and what changes later is an UPDATE. */
#define REQ_PENDING_ROWS 4096u
#define REQ_PENDING_BYTES (UINT64_C(8) << 20) /* payload bytes held */

/* Longest op text a decoder builds (req_fields.op_text), NUL included:
 * "RW 18446744073709551615:4294967295 -> 18446744073709551615:4294967295"
 * is 70. */
#define REQ_OP_TEXT_MAX 80u

/* Append to a decoder's op text out (REQ_OP_TEXT_MAX bytes, NUL-terminated)
 * as snprintf would, cut at its end, never past it. */
void req_text_add(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A requests row not written yet (columns as in schema.sql). */
struct req_row {
	uint64_t id;
	unsigned device, queue;
	uint64_t chain;
	const char *kind, *op; /* constants or op_text; op NULL if unknown */
	char op_text[REQ_OP_TEXT_MAX]; /* a decoder's own op text (req_fields.op_text) */
	bool has_sector, has_length, has_status, has_digest, has_used, has_irq, has_data;
	bool dropped;      /* req_drop: never written */
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

enum req_stmt {
	RST_REQ_NOTIFY, RST_REQ_USED,
	RST_REQ_IRQ, RST_REQ_IRQ_RANGE,
	RST_REQ_DELETE, RST_NET_FRAME_DELETE,
	RST_COUNT
};

/* The request side of a decoder: rows in memory, statements, the payload
 * buffer.  Set up by req_state_init, inside the ring decoder's state. */
struct req_state {
	const struct shadow_mem *sm; /* borrowed: the ring decoder's */
	struct req_pending pending;
	sqlite3_stmt *st[RST_COUNT];
	uint64_t next_request;
	uint8_t *payload;      /* payload_cap bytes for request data; owned */
	uint32_t payload_cap;  /* opts.payload_cap, at most RINGS_PAYLOAD_MAX */
};

/* What a request decoder knows of the queue a chain came from.  Filled by
 * rings.c for each call; every pointer is borrowed for the call. */
struct req_queue {
	struct decoder *dec;
	struct req_state *rq;
	struct dec_device *d;
	unsigned q;
	const struct devtype_queue *role; /* never NULL: a data queue of d's type */
	uint64_t features;                /* in force now (legacy: as accepted until DRIVER_OK) */
};

/* A device type's request decoder (req_registry.c). */
struct req_decoder {
	uint32_t device_id;
	/* A chain was made available on a data queue: decode what the driver
	 * wrote, insert its requests row (req_insert) and return its id, 0 if
	 * none.  May note f->op. */
	uint64_t (*avail)(const struct req_queue *q, struct rings_chain *c, struct rings_inflight *f);
	/* The device used the chain of f with length len (as it reported it). */
	void (*used)(const struct req_queue *q, struct rings_inflight *f, uint32_t len);
};

/* req_registry.c: the request decoder of device type device_id, or NULL.
 * Each req_<type>.c defines one const struct req_decoder req_decoder_<type>,
 * declared and listed in req_registry.c only. */
const struct req_decoder *req_decoder_find(uint32_t device_id);

/* --- req_common.c --- */

/* Prepare the statements and the payload buffer (payload_cap bytes, at
 * most RINGS_PAYLOAD_MAX).  Returns 0, or -1 (dec->err says why when it
 * was a statement). */
int req_state_init(struct decoder *dec, struct req_state *rq, const struct shadow_mem *sm, uint32_t payload_cap);
/* Finalize the statements (end of input: before the journal mode changes). */
void req_state_finalize(struct req_state *rq);
/* Free everything, rows in memory unwritten.  rq itself is not freed. */
void req_state_free(struct req_state *rq);

/* Copy len bytes at offset off of segments segs[0..n) into dst.  Returns
 * SHADOW_* flags; SHADOW_HAVE_ALL is clear if the segments are shorter or
 * a byte is missing. */
unsigned req_chain_read(const struct req_state *rq, const struct rings_seg *segs, uint32_t n,
			uint64_t off, void *dst, uint64_t len);
/* FNV-1a 64 of len bytes at offset off, streamed.  Returns false (and
 * leaves *out alone) if a byte is missing or len exceeds RINGS_DIGEST_MAX;
 * *rough is set if a byte was best-effort. */
bool req_chain_digest(const struct req_state *rq, const struct rings_seg *segs, uint32_t n,
		      uint64_t off, uint64_t len, uint64_t *out, bool *rough);
/* Raise c->mem after reading payload with result flags f. */
void req_note_mem(struct rings_chain *c, unsigned f);

/* Nullable fields of a requests row. */
struct req_fields {
	const char *op;      /* a constant */
	const char *op_text; /* or text built for this row: copied (cut at
			      * REQ_OP_TEXT_MAX - 1 bytes); wins over op */
	bool has_sector, has_length, has_status, has_digest;
	uint64_t sector, length, digest;
	uint8_t status;
	const uint8_t *data; /* NULL: no data */
	uint32_t data_len;
};

/* A new requests row of kind (its requests.kind word comes from
 * tracedb/tdb_vocab.h) for chain c of queue q at the current event (which
 * is its seq_notify).  Returns the new request id, 0 on error. */
uint64_t req_insert(const struct req_queue *q, const struct rings_chain *c, enum tdb_request_kind kind,
		    const struct req_fields *f);
/* A requests row made from the device's own report instead of a chain
 * (reports.c): device, queue, no chain, notified at seq_notify/ts_notify
 * (the device's pop).  Returns the new request id, 0 on error. */
uint64_t req_insert_report(struct decoder *dec, struct req_state *rq, unsigned device, unsigned queue,
			   enum tdb_request_kind kind, const struct req_fields *f, uint64_t seq_notify, uint64_t ts_notify);
/* What request id holds now, if its row is still in memory: op (NULL if
 * unknown), sector and length (has_* false if unknown).  Returns false if
 * the row was written already or dropped. */
bool req_peek(struct req_state *rq, uint64_t id, const char **op, bool *has_sector, uint64_t *sector,
	      bool *has_length, uint64_t *length);
/* Request id came from a copy that turned out torn: it is never written
 * (or deleted, with its net_frames row, if it was). */
void req_drop(struct decoder *dec, struct req_state *rq, uint64_t id);
/* Fill the completion of request id at the current event (fields of f
 * that are set replace the row's). */
void req_complete(struct decoder *dec, struct req_state *rq, uint64_t id, const struct req_fields *f);
/* Request id was announced by the notify being decoded, unless it was
 * completed already. */
void req_notified(struct decoder *dec, struct req_state *rq, uint64_t id);
/* The interrupt being decoded followed completed request id (unless an
 * earlier one did). */
void req_interrupted(struct decoder *dec, struct req_state *rq, uint64_t id);
/* Same for every completed request of device dev among ids lo..hi that
 * has no interrupt yet. */
void req_interrupted_range(struct decoder *dec, struct req_state *rq, unsigned dev, uint64_t lo, uint64_t hi);
/* Write every requests row still in memory (end of input). */
void req_write_all(struct decoder *dec, struct req_state *rq);
/* A net_frames row for request id from the header and frame bytes held. */
void req_net_frame(struct decoder *dec, uint64_t id, const uint8_t *hdr, uint32_t hdr_len, bool hdr_ok,
		   const uint8_t *frame, uint32_t frame_held, uint64_t frame_len);
/* Copy up to the payload cap of len bytes at off into rq->payload.
 * Returns the bytes held (0 if any is missing or no buffer) and the
 * SHADOW_* flags in *flags. */
uint32_t req_payload(struct req_state *rq, const struct rings_seg *segs, uint32_t n, uint64_t off,
		     uint64_t len, unsigned *flags);
/* Format h as 16 lowercase hex digits. */
void req_digest_hex(uint64_t h, char out[17]);

/* A view of an in-flight entry's writable segments as a chain. */
void req_inflight_view(const struct rings_inflight *f, struct rings_chain *c);

#endif
