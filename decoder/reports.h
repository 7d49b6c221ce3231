/* The device's own reports of what it did with a queue (VMT_EV_QUEUE
 * events: QEMU's virtqueue_pop / _fill / _flush and virtio_blk_handle_*
 * trace events), stored in device_steps and used as the ground truth the
 * ring copies are checked against (issue 13: copies taken from a running
 * guest can be torn).
 *
 * Matching: per (device, queue, generation) the k-th pop since the queue
 * went live is the chain at avail position k (a device pops a split ring
 * in avail order from last_avail_idx 0 after set-up); the token links a
 * pop to its blk read/write and its fill.  A chain whose buffer counts
 * differ from the pop's (QEMU's in_num / out_num: mapped buffers, an
 * indirect chain's table entries), whose walk broke a rule although the
 * device took it, whose blk request disagrees with the blk report
 * (op, sector, length), whose scsi command disagrees with the scsi
 * reports (the CDB's operation code and the LUN; the transfer length and
 * the LBA QEMU's SCSI layer parsed from it, or an LBA the CDB has and
 * that layer did not report), or into which the device
 * wrote more bytes (its fill, for the types whose fill QEMU counts that
 * way: reports.c's fill_is_written) than the copy's writable buffers hold
 * is torn: an anomaly 'ring-copy-torn', chains.memory
 * 'torn', and its request is dropped.  A pop for which no complete copy
 * was decoded (by its fill, a later chain, the queue's end or the end of
 * input) is an anomaly too.  A blk read/write without a good copy becomes
 * a requests row from the report (op in/out, sector, length, no data).
 * docs/schema.md says the same for readers.
 *
 * Everything in a report is untrusted: queue indices are checked against
 * the live rings, counts are compared, never used to size anything, and
 * state per queue is its ring size.
 *
 * Errors: as decoder.h; nothing here returns one (a write error sets
 * dec->failed). */
#ifndef VMTRACE_DECODER_REPORTS_H
#define VMTRACE_DECODER_REPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "decoder/dec_priv.h"
#include "decoder/req.h"

/* Logical block sizes a queue's scsi reports showed, by LUN: QEMU counts
 * a READ's or WRITE's transfer length in bytes, the CDB in blocks of the
 * LUN's size, which no report states.  A size is learnt from the first
 * command of a LUN whose copy agrees with its reports (the length over
 * the CDB's block count, a power of two from 512 bytes to 2 MiB, QEMU's
 * range) and forgotten if that copy is torn after all; the block counts
 * of later commands must then give the reported length.  On more LUNs
 * per queue than this, block lengths go unchecked. */
#define REPORTS_SCSI_LUNS_MAX 8u
#define REPORTS_SCSI_BLOCK_MIN 512u
#define REPORTS_SCSI_BLOCK_MAX (2u << 20)

struct reports_scsi_block {
	uint64_t lun;   /* the LUN's 8 bytes, as the copies show them */
	uint32_t bytes; /* 0: slot free */
};

/* How a chain's walk ended (reports_on_chain). */
enum reports_walk {
	REPORTS_WALK_OK,         /* walked to its end: counts are the chain's */
	REPORTS_WALK_INCOMPLETE, /* the trace did not hold all of it */
	REPORTS_WALK_BROKEN,     /* a broken rule stopped the walk */
};

/* A chain decoded at avail position number t of its generation. */
struct reports_chain {
	uint64_t chain;   /* chains.chain */
	uint16_t head;
	enum reports_walk walk;
	uint32_t n_out, n_in; /* device-readable / device-writable buffers (WALK_OK) */
	uint64_t writable;    /* bytes of the writable buffers (WALK_OK) */
	uint64_t request; /* requests.request decoded from it, 0 if none */
};

/* One element of a queue as the reports and copies show it (a slot of
 * dec_ring.elems). */
struct rings_elem {
	uint64_t k;        /* pop / avail position number in the generation */
	bool popped, has_chain, has_blk, has_scsi, has_xfer, has_lba, filled, has_used;
	bool pop_done, blk_done, scsi_done, xfer_done, lba_done; /* their device_steps rows were written */
	bool torn;
	int verdict;       /* enum tdb_step_verdict of the pop, -1 not judged */
	uint64_t token;
	uint64_t pop_seq, pop_ts, in_num, out_num;
	struct reports_chain c;
	uint64_t blk_seq, sector, sectors;
	bool blk_write;
	uint64_t scsi_seq, scsi_op, scsi_lun; /* the scsi report: CDB opcode, LUN */
	uint64_t xfer_seq, xfer_len, xfer_dir; /* the scsi-xfer report: length (bytes), direction */
	uint64_t lba_seq, lba;                 /* the scsi-lba report */
	bool taught_block; /* its scsi-xfer report taught the LUN's block size */
	/* The request decoder's notes on the copy, taken when the chain was
	 * decoded (its head may be reused in the same copy before the report
	 * comes): scsi opcode and LUN bytes (rings_inflight.op / .note). */
	bool copy_op_known;
	uint32_t copy_op;
	uint64_t copy_note;
	struct req_scsi_cdb copy_scsi;
	uint64_t fill_len;
	uint32_t used_len;
	uint64_t report_request; /* request made from the blk report, 0 none */
};

/* A VMT_EV_QUEUE event of device d (NULL: its base is no device), after
 * its events row was written: its device_steps row, and the checks. */
void reports_on_event(struct decoder *dec, struct dec_device *d, const struct vmt_event *ev);

/* rings.c: ring r decoded the chain at avail position number t (after its
 * chains row and request were written). */
void reports_on_chain(struct decoder *dec, struct dec_ring *r, uint64_t t, const struct reports_chain *c);

/* rings.c: the copy of the chain at avail position number t cannot be
 * told from another chain the same copy showed at the same head (the
 * head was reused before the copy was read): torn, if the reports know
 * the element. */
void reports_copy_ambiguous(struct decoder *dec, struct dec_ring *r, uint64_t t, uint64_t chain, uint16_t head);

/* rings.c: ring r's copy shows the used entry of chain (taken at avail
 * position number t) with length len. */
void reports_on_used(struct decoder *dec, struct dec_ring *r, uint64_t t, uint64_t chain, uint32_t len);

/* rings.c: ring r ends (queue end, end of input): judge and write what
 * its elements still hold.  The elements stay allocated (ring_destroy
 * frees them). */
void reports_ring_end(struct decoder *dec, struct dec_ring *r);

#endif
