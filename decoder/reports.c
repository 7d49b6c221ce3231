/* The device's own reports, stored and checked against the ring copies
 * (reports.h says what is matched with what and what a disagreement
 * does). */
#include "decoder/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder/req.h"
#include "decoder/rings.h"
#include "decoder/rings_priv.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/virtio.h"

/* blk reports count sectors of this many bytes (virtio-blk's unit). */
#define REPORTS_SECTOR_BYTES 512u

/* One device_steps row. */
struct step_vals {
	uint64_t seq;
	int device;      /* -1: none */
	uint64_t queue;
	uint32_t step;   /* enum vmt_queue_step */
	uint64_t token, a0, a1;
	uint64_t chain;  /* 0: none */
	int verdict;     /* enum tdb_step_verdict, -1: not checked */
};

static void step_row(struct decoder *dec, const struct step_vals *s)
{
	sqlite3_stmt *st = dec->st[ST_DEVICE_STEP];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->seq);
	if (s->device >= 0)
		sqlite3_bind_int(st, 2, s->device);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->queue);
	sqlite3_bind_text(st, 4, tdb_vocab_name(&tdb_vocab_queue_step, (int)s->step), -1, SQLITE_STATIC);
	if (s->step != VMT_QSTEP_FLUSH)
		sqlite3_bind_int64(st, 5, (sqlite3_int64)s->token);
	switch (s->step) {
	case VMT_QSTEP_POP:
		sqlite3_bind_int64(st, 6, (sqlite3_int64)s->a0);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)s->a1);
		break;
	case VMT_QSTEP_FILL:
		sqlite3_bind_int64(st, 8, (sqlite3_int64)s->a0);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)s->a1);
		break;
	case VMT_QSTEP_FLUSH:
		sqlite3_bind_int64(st, 10, (sqlite3_int64)s->a0);
		break;
	default:
		sqlite3_bind_int64(st, 11, (sqlite3_int64)s->a0);
		sqlite3_bind_int64(st, 12, (sqlite3_int64)s->a1);
		break;
	}
	if (s->chain)
		sqlite3_bind_int64(st, 13, (sqlite3_int64)s->chain);
	if (s->verdict >= 0)
		sqlite3_bind_text(st, 14, tdb_vocab_name(&tdb_vocab_step_verdict, s->verdict), -1, SQLITE_STATIC);
	dec_sql_run(dec, ST_DEVICE_STEP);
}

/* --- elements --- */

static bool elem_live(const struct rings_elem *e)
{
	return e->popped || e->has_chain;
}

static void elem_reset(struct rings_elem *e, uint64_t k)
{
	memset(e, 0, sizeof(*e));
	e->k = k;
	e->verdict = -1;
}

/* The slot of element k of r (allocated on first use), or NULL. */
static struct rings_elem *elem_slot(struct dec_ring *r, uint64_t k)
{
	if (!r->elems) {
		r->elems = calloc(r->size, sizeof(*r->elems));
		if (!r->elems)
			return NULL;
	}
	return &r->elems[k % r->size];
}

/* The newest element popped with token that has not been filled (a token
 * is the device's pointer: reused once its element is done), or NULL. */
static struct rings_elem *elem_by_token(struct dec_ring *r, uint64_t token)
{
	uint64_t n = r->pops < r->size ? r->pops : r->size;

	if (!r->elems)
		return NULL;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = r->pops - 1 - i;
		struct rings_elem *e = &r->elems[k % r->size];
		if (e->popped && e->k == k && e->token == token)
			return e->filled ? NULL : e;
	}
	return NULL;
}

/* Element t if its slot still holds it with chain, else NULL. */
static struct rings_elem *elem_by_chain(struct dec_ring *r, uint64_t t, uint64_t chain)
{
	struct rings_elem *e;

	if (!r->elems)
		return NULL;
	e = &r->elems[t % r->size];
	return e->has_chain && e->k == t && e->c.chain == chain ? e : NULL;
}

static void pop_row(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	struct step_vals s = {
		.seq = e->pop_seq, .device = (int)r->d->id, .queue = r->q, .step = VMT_QSTEP_POP,
		.token = e->token, .a0 = e->in_num, .a1 = e->out_num,
		.chain = e->has_chain ? e->c.chain : 0, .verdict = e->verdict,
	};

	step_row(dec, &s);
	e->pop_done = true;
}

static void blk_row(struct decoder *dec, struct dec_ring *r, struct rings_elem *e, int verdict)
{
	struct step_vals s = {
		.seq = e->blk_seq, .device = (int)r->d->id, .queue = r->q,
		.step = e->blk_write ? VMT_QSTEP_BLK_WRITE : VMT_QSTEP_BLK_READ,
		.token = e->token, .a0 = e->sector, .a1 = e->sectors,
		.chain = e->has_chain ? e->c.chain : 0, .verdict = verdict,
	};

	step_row(dec, &s);
	e->blk_done = true;
}

static void scsi_row(struct decoder *dec, struct dec_ring *r, struct rings_elem *e, int verdict)
{
	struct step_vals s = {
		.seq = e->scsi_seq, .device = (int)r->d->id, .queue = r->q, .step = VMT_QSTEP_SCSI_CMD,
		.token = e->token, .a0 = e->scsi_op, .a1 = e->scsi_lun,
		.chain = e->has_chain ? e->c.chain : 0, .verdict = verdict,
	};

	step_row(dec, &s);
	e->scsi_done = true;
}

static void xfer_row(struct decoder *dec, struct dec_ring *r, struct rings_elem *e, int verdict)
{
	struct step_vals s = {
		.seq = e->xfer_seq, .device = (int)r->d->id, .queue = r->q, .step = VMT_QSTEP_SCSI_XFER,
		.token = e->token, .a0 = e->xfer_len, .a1 = e->xfer_dir,
		.chain = e->has_chain ? e->c.chain : 0, .verdict = verdict,
	};

	step_row(dec, &s);
	e->xfer_done = true;
}

static void lba_row(struct decoder *dec, struct dec_ring *r, struct rings_elem *e, int verdict)
{
	struct step_vals s = {
		.seq = e->lba_seq, .device = (int)r->d->id, .queue = r->q, .step = VMT_QSTEP_SCSI_LBA,
		.token = e->token, .a0 = e->lba, .a1 = 0,
		.chain = e->has_chain ? e->c.chain : 0, .verdict = verdict,
	};

	step_row(dec, &s);
	e->lba_done = true;
}

/* --- logical block sizes of scsi LUNs (reports.h) --- */

static struct reports_scsi_block *block_find(struct dec_ring *r, uint64_t lun)
{
	for (unsigned i = 0; i < REPORTS_SCSI_LUNS_MAX; i++)
		if (r->scsi_blocks[i].bytes && r->scsi_blocks[i].lun == lun)
			return &r->scsi_blocks[i];
	return NULL;
}

/* A free slot for a LUN's block size, or NULL if all are taken. */
static struct reports_scsi_block *block_free_slot(struct dec_ring *r)
{
	for (unsigned i = 0; i < REPORTS_SCSI_LUNS_MAX; i++)
		if (!r->scsi_blocks[i].bytes)
			return &r->scsi_blocks[i];
	return NULL;
}

/* The block size that turns blocks into QEMU's length (its 32 bits), if
 * it is one QEMU allows; 0 if none. */
static uint32_t block_size_of(uint64_t blocks, uint64_t length)
{
	if (blocks == 0 || blocks > UINT32_MAX || length % blocks != 0)
		return 0;
	uint64_t b = length / blocks;
	if (b < REPORTS_SCSI_BLOCK_MIN || b > REPORTS_SCSI_BLOCK_MAX || (b & (b - 1)) != 0)
		return 0;
	return (uint32_t)b;
}

/* The request decoded from e's copy is not to be trusted: drop it, and
 * let the chain's used entry complete nothing. */
static void drop_copy_request(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	if (!e->has_chain)
		return;
	rings_inflight_forget(dec, r, e->c.head, e->c.chain);
	if (e->c.request) {
		req_drop(dec, &dec->rings->req, e->c.request);
		e->c.request = 0;
	}
}

/* e's copy disagrees with the device (msg says how): an anomaly; its chain
 * becomes 'torn' and its request is dropped. */
static void tear(struct decoder *dec, struct dec_ring *r, struct rings_elem *e, const char *msg)
{
	dec_anomaly(dec, r->d, (int)r->q, RULE_RING_COPY_TORN, msg);
	/* A block size learnt from this copy is not to be trusted either. */
	if (e->taught_block) {
		struct reports_scsi_block *b = block_find(r, e->copy_note);
		if (b)
			b->bytes = 0;
		e->taught_block = false;
	}
	if (!e->torn && e->has_chain) {
		sqlite3_stmt *st = dec->st[ST_CHAIN_TORN];
		/* The chains row may still wait in its batch. */
		dec_batch_flush(dec, DB_CHAINS);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->c.chain);
		sqlite3_bind_text(st, 2, tdb_vocab_name(&tdb_vocab_chain_memory, TDB_CHAIN_TORN), -1, SQLITE_STATIC);
		dec_sql_run(dec, ST_CHAIN_TORN);
		drop_copy_request(dec, r, e);
	}
	e->torn = true;
	e->verdict = TDB_VERDICT_TORN;
}

/* Does the copy's chain show the buffers the device mapped?  QEMU maps
 * one buffer per descriptor (an indirect table's entries, never the
 * indirect descriptor itself); a buffer crossing from one RAM region into
 * another would map to two, but the machines vmtrace knows have a hole
 * after each RAM region, and a buffer running into a hole is a violation:
 * so the counts must be equal. */
static void judge_pop(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	char msg[256];
	const struct reports_chain *c = &e->c;
	uint16_t pos = (uint16_t)e->k;

	if (e->torn) {
		/* torn before its pop came (the copy showed its head twice):
		 * the counts cannot make it agree again */
		e->verdict = TDB_VERDICT_TORN;
	} else if (!e->has_chain) {
		e->verdict = TDB_VERDICT_NO_COPY;
		snprintf(msg, sizeof(msg),
			 "the device took the chain at avail position %u (%llu readable, %llu writable buffers), but no copy of it was decoded",
			 pos, (unsigned long long)e->out_num, (unsigned long long)e->in_num);
		dec_anomaly(dec, r->d, (int)r->q, RULE_RING_COPY_TORN, msg);
	} else if (c->walk == REPORTS_WALK_INCOMPLETE) {
		e->verdict = TDB_VERDICT_NO_COPY;
		snprintf(msg, sizeof(msg),
			 "the copy of the chain at avail position %u (head %u) is incomplete; the device took %llu readable, %llu writable buffers",
			 pos, c->head, (unsigned long long)e->out_num, (unsigned long long)e->in_num);
		dec_anomaly(dec, r->d, (int)r->q, RULE_RING_COPY_TORN, msg);
	} else if (c->walk == REPORTS_WALK_BROKEN) {
		snprintf(msg, sizeof(msg),
			 "the copy of the chain at avail position %u (head %u) broke a rule, but the device took it (%llu readable, %llu writable buffers)",
			 pos, c->head, (unsigned long long)e->out_num, (unsigned long long)e->in_num);
		tear(dec, r, e, msg);
	} else if (c->n_out != e->out_num || c->n_in != e->in_num) {
		snprintf(msg, sizeof(msg),
			 "the copy of the chain at avail position %u (head %u) has %u readable and %u writable buffers; the device took %llu and %llu",
			 pos, c->head, c->n_out, c->n_in, (unsigned long long)e->out_num, (unsigned long long)e->in_num);
		tear(dec, r, e, msg);
	} else {
		e->verdict = TDB_VERDICT_AGREES;
	}
	pop_row(dec, r, e);
}

/* A requests row from e's blk report (no good copy of its chain). */
static void request_from_report(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	struct req_fields f = { 0 };

	f.op = e->blk_write ? "out" : "in";
	f.has_sector = true;
	f.sector = e->sector;
	if (e->sectors <= UINT64_MAX / REPORTS_SECTOR_BYTES) {
		f.has_length = true;
		f.length = e->sectors * REPORTS_SECTOR_BYTES;
	}
	e->report_request = req_insert_report(dec, &dec->rings->req, r->d->id, r->q, TDB_REQ_BLK, &f, e->pop_seq, e->pop_ts);
}

static void num_text(char *buf, size_t len, bool has, uint64_t v)
{
	if (has)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "unknown");
}

/* The blk report of e against the request decoded from its copy. */
static void judge_blk(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	int v = -1;

	/* Only a blk queue gets blk requests, whatever a report claims. */
	if (!r->req || r->req->device_id != VIRTIO_ID_BLOCK) {
		blk_row(dec, r, e, -1);
		return;
	}
	if (e->verdict == TDB_VERDICT_AGREES) {
		const char *op = NULL, *want = e->blk_write ? "out" : "in";
		bool hs = false, hl = false;
		uint64_t sector = 0, length = 0;
		bool len_ok = e->sectors <= UINT64_MAX / REPORTS_SECTOR_BYTES;
		if (e->c.request && req_peek(&dec->rings->req, e->c.request, &op, &hs, &sector, &hl, &length)) {
			if (op && !strcmp(op, want) && hs && sector == e->sector && hl && len_ok &&
			    length == e->sectors * REPORTS_SECTOR_BYTES) {
				v = TDB_VERDICT_AGREES;
			} else {
				char msg[256], s1[24], s2[24];
				num_text(s1, sizeof(s1), hs, sector);
				num_text(s2, sizeof(s2), hl, length);
				snprintf(msg, sizeof(msg),
					 "the blk request of the chain at avail position %u (head %u) is %s sector %s, %s bytes in the copy; the device did %s sector %llu count %llu",
					 (uint16_t)e->k, e->c.head, op ? op : "unknown", s1, s2, want,
					 (unsigned long long)e->sector, (unsigned long long)e->sectors);
				tear(dec, r, e, msg);
			}
		}
		/* else the row was written already (or the copy had none):
		 * nothing to compare, left unchecked */
	}
	if (e->verdict == TDB_VERDICT_TORN || e->verdict == TDB_VERDICT_NO_COPY) {
		v = e->verdict;
		drop_copy_request(dec, r, e);
		request_from_report(dec, r, e);
	}
	blk_row(dec, r, e, v);
}

/* The scsi report of e (the CDB's operation code and the LUN QEMU read)
 * against the command decoded from its copy (req_scsi.c's notes: opcode
 * and service action, the LUN's 8 bytes).  QEMU's LUN is bytes 2-3 of
 * the request's lun[8] & 0x3fff (virtio_scsi_get_lun), taken the same
 * way here. */
static void judge_scsi(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	int v = -1;

	if (!r->req || r->req->device_id != VIRTIO_ID_SCSI) {
		scsi_row(dec, r, e, -1);
		return;
	}
	/* A copy without its notes (CDB not in the copy, no CDB at all) has
	 * nothing to compare: unchecked. */
	if (e->verdict == TDB_VERDICT_AGREES && e->copy_op_known && !(e->copy_op & REQ_SCSI_OP_NO_CDB)) {
		uint64_t op = e->copy_op & 0xffu, lun = (e->copy_note >> 32) & 0x3fffu;
		if (op == e->scsi_op && lun == e->scsi_lun) {
			v = TDB_VERDICT_AGREES;
		} else {
			char msg[256];
			snprintf(msg, sizeof(msg),
				 "the scsi command of the chain at avail position %u (head %u) is op 0x%02llx lun %llu in the copy; the device took op 0x%02llx lun %llu",
				 (uint16_t)e->k, e->c.head, (unsigned long long)op, (unsigned long long)lun,
				 (unsigned long long)e->scsi_op, (unsigned long long)e->scsi_lun);
			tear(dec, r, e, msg);
		}
	}
	if (e->verdict == TDB_VERDICT_TORN || e->verdict == TDB_VERDICT_NO_COPY)
		v = e->verdict;
	scsi_row(dec, r, e, v);
}

/* Can e's copy be held against what QEMU's SCSI layer parsed?  Its pop
 * agreed, its CDB was in the copy, the layer parses a CDB of its group. */
static bool scsi_parse_checkable(const struct dec_ring *r, const struct rings_elem *e)
{
	return r->req && r->req->device_id == VIRTIO_ID_SCSI && e->verdict == TDB_VERDICT_AGREES &&
	       e->copy_op_known && !(e->copy_op & REQ_SCSI_OP_NO_CDB) && e->copy_scsi.parses;
}

/* The transfer length QEMU's SCSI layer computed (the scsi-xfer report: its
 * 32 bits) against the copy's CDB (req_scsi.c's reading of it).  A length
 * in blocks needs the LUN's block size (reports.h): learnt here from the
 * first such command of a LUN. */
static void judge_scsi_xfer(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	const struct req_scsi_cdb *m = &e->copy_scsi;
	int v = -1;

	if (scsi_parse_checkable(r, e) && m->xfer_known) {
		uint64_t want = m->xfer;
		bool checked = true, fits = true;
		if (m->xfer_blocks && m->xfer) {
			struct reports_scsi_block *b = block_find(r, e->copy_note);
			uint32_t learnt = block_size_of(m->xfer, e->xfer_len);
			if (!b && learnt && (b = block_free_slot(r)) != NULL) {
				*b = (struct reports_scsi_block){ .lun = e->copy_note, .bytes = learnt };
				e->taught_block = true;
			}
			if (b)
				want = m->xfer * b->bytes;
			else if (!block_free_slot(r))
				checked = false; /* more LUNs than the queue keeps sizes of */
			else
				fits = false; /* no block size QEMU allows gives the length */
		}
		/* QEMU prints the length as an int: compare its 32 bits. */
		if (checked && fits && (want & UINT32_MAX) == e->xfer_len) {
			v = TDB_VERDICT_AGREES;
		} else if (checked) {
			char msg[256], copy[96];
			if (!fits)
				snprintf(copy, sizeof(copy), "%llu blocks (of no size QEMU allows for that length)",
					 (unsigned long long)m->xfer);
			else if (m->xfer_blocks)
				snprintf(copy, sizeof(copy), "%llu bytes (%llu blocks)", (unsigned long long)want,
					 (unsigned long long)m->xfer);
			else
				snprintf(copy, sizeof(copy), "%llu bytes", (unsigned long long)want);
			snprintf(msg, sizeof(msg),
				 "the scsi command of the chain at avail position %u (head %u) transfers %s in the copy; the device's SCSI layer computed %llu bytes",
				 (uint16_t)e->k, e->c.head, copy, (unsigned long long)e->xfer_len);
			tear(dec, r, e, msg);
		}
	}
	if (e->verdict == TDB_VERDICT_TORN || e->verdict == TDB_VERDICT_NO_COPY)
		v = e->verdict;
	xfer_row(dec, r, e, v);
}

/* The LBA QEMU's SCSI layer read (the scsi-lba report) against the copy's
 * CDB.  It reports one for every CDB with an LBA field, so a report for a
 * CDB without one disagrees too. */
static void judge_scsi_lba(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	const struct req_scsi_cdb *m = &e->copy_scsi;
	int v = -1;

	if (scsi_parse_checkable(r, e)) {
		if (m->has_lba && m->lba == e->lba) {
			v = TDB_VERDICT_AGREES;
		} else {
			char msg[256], have[32];
			if (m->has_lba)
				snprintf(have, sizeof(have), "lba %llu", (unsigned long long)m->lba);
			else
				snprintf(have, sizeof(have), "no lba");
			snprintf(msg, sizeof(msg),
				 "the scsi command of the chain at avail position %u (head %u) has %s in the copy; the device's SCSI layer read lba %llu",
				 (uint16_t)e->k, e->c.head, have, (unsigned long long)e->lba);
			tear(dec, r, e, msg);
		}
	}
	if (e->verdict == TDB_VERDICT_TORN || e->verdict == TDB_VERDICT_NO_COPY)
		v = e->verdict;
	lba_row(dec, r, e, v);
}

/* e is done with: the SCSI layer parsed its command (a scsi-xfer report)
 * but reported no LBA, which it does for every LBA but all ones. */
static void judge_scsi_no_lba(struct decoder *dec, struct dec_ring *r, struct rings_elem *e)
{
	char msg[256];

	if (!scsi_parse_checkable(r, e) || !e->copy_scsi.has_lba)
		return;
	snprintf(msg, sizeof(msg),
		 "the scsi command of the chain at avail position %u (head %u) has lba %llu in the copy; the device's SCSI layer reported none",
		 (uint16_t)e->k, e->c.head, (unsigned long long)e->copy_scsi.lba);
	tear(dec, r, e, msg);
}

/* Judge what e holds and can be judged; final: nothing more will come
 * for it (its fill, or the slot, queue or input ends). */
static void elem_settle(struct decoder *dec, struct dec_ring *r, struct rings_elem *e, bool final)
{
	if (e->popped && !e->pop_done && (e->has_chain || final || r->taken > e->k))
		judge_pop(dec, r, e);
	if (e->has_blk && !e->blk_done && e->pop_done)
		judge_blk(dec, r, e);
	if (e->has_scsi && !e->scsi_done && e->pop_done)
		judge_scsi(dec, r, e);
	if (e->has_xfer && !e->xfer_done && e->scsi_done)
		judge_scsi_xfer(dec, r, e);
	if (e->has_lba && !e->lba_done && e->xfer_done)
		judge_scsi_lba(dec, r, e);
	if (final && e->xfer_done && !e->has_lba && !e->lba_done) {
		judge_scsi_no_lba(dec, r, e);
		e->lba_done = true; /* judged once; no row: there was no report */
	}
}

/* The slot for element k, emptied of an older element (judged for good
 * first); NULL if the slot holds a newer one or none could be had. */
static struct rings_elem *elem_take(struct decoder *dec, struct dec_ring *r, uint64_t k)
{
	struct rings_elem *e = elem_slot(r, k);

	if (!e)
		return NULL;
	if (elem_live(e) && e->k != k) {
		if (e->k > k)
			return NULL;
		elem_settle(dec, r, e, true);
		elem_reset(e, k);
	}
	if (!elem_live(e))
		elem_reset(e, k);
	return e;
}

/* Does a copy of e that came after its reports were judged disagree with
 * the scsi ones (opcode, LUN, the LBA read; a length in blocks needs a
 * block size, and is left to the copies that come in time)? */
static bool scsi_late_disagrees(const struct dec_ring *r, const struct rings_elem *e)
{
	const struct req_scsi_cdb *m = &e->copy_scsi;

	if (!e->has_scsi || !r->req || r->req->device_id != VIRTIO_ID_SCSI || !e->copy_op_known ||
	    (e->copy_op & REQ_SCSI_OP_NO_CDB))
		return false;
	if ((e->copy_op & 0xffu) != e->scsi_op || ((e->copy_note >> 32) & 0x3fffu) != e->scsi_lun)
		return true;
	if (!m->parses || !e->has_xfer)
		return false;
	if (m->xfer_known && !m->xfer_blocks && (m->xfer & UINT32_MAX) != e->xfer_len)
		return true;
	/* Not "an LBA the layer did not report": its report may still come. */
	return e->has_lba && (!m->has_lba || m->lba != e->lba);
}

/* --- hooks --- */

void reports_copy_ambiguous(struct decoder *dec, struct dec_ring *r, uint64_t t, uint64_t chain, uint16_t head)
{
	struct rings_elem *e = elem_by_chain(r, t, chain);
	char msg[256];

	if (!e || e->torn)
		return;
	snprintf(msg, sizeof(msg),
		 "the copy of the chain at avail position %u (head %u) shows head %u at a later position too: the driver "
		 "reused the head before the copy was read, which chain the copy holds cannot be told",
		 (uint16_t)t, head, head);
	tear(dec, r, e, msg);
	/* A blk report judged against this copy already: its request comes
	 * from the report now, as for any torn copy. */
	if (e->has_blk && e->blk_done && !e->report_request && r->req && r->req->device_id == VIRTIO_ID_BLOCK)
		request_from_report(dec, r, e);
}

void reports_on_chain(struct decoder *dec, struct dec_ring *r, uint64_t t, const struct reports_chain *c)
{
	struct rings_elem *e = elem_take(dec, r, t);

	if (!e || e->has_chain)
		return;
	e->has_chain = true;
	e->c = *c;
	/* rings.c keeps the notes where the chain is in flight (by head);
	 * take them now, the head may be reused before the reports come. */
	if (c->head < r->size && r->inflight && r->inflight[c->head].chain == c->chain &&
	    r->inflight[c->head].op_known) {
		e->copy_op_known = true;
		e->copy_op = r->inflight[c->head].op;
		e->copy_note = r->inflight[c->head].note;
		e->copy_scsi = r->inflight[c->head].scsi;
	}
	if (!e->pop_done) {
		elem_settle(dec, r, e, false);
		return;
	}
	/* A copy that came after the device was done with the element (its
	 * pop was judged without one): checked, never trusted over the
	 * report. */
	if (c->walk == REPORTS_WALK_BROKEN || (c->walk == REPORTS_WALK_OK && (c->n_out != e->out_num || c->n_in != e->in_num))) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "a late copy of the chain at avail position %u (head %u) does not show the %llu readable, %llu writable buffers the device took",
			 (uint16_t)t, c->head, (unsigned long long)e->out_num, (unsigned long long)e->in_num);
		tear(dec, r, e, msg);
	} else if (scsi_late_disagrees(r, e)) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "a late copy of the chain at avail position %u (head %u) does not show the scsi command the device took (op 0x%02llx lun %llu%s)",
			 (uint16_t)t, c->head, (unsigned long long)e->scsi_op, (unsigned long long)e->scsi_lun,
			 e->has_lba ? ", and the lba it read" : "");
		tear(dec, r, e, msg);
	} else if (e->report_request) {
		drop_copy_request(dec, r, e);
	}
}

void reports_on_used(struct decoder *dec, struct dec_ring *r, uint64_t t, uint64_t chain, uint32_t len)
{
	struct rings_elem *e = elem_by_chain(r, t, chain);

	if (!e)
		return;
	e->has_used = true;
	e->used_len = len;
	if (e->filled && e->fill_len != len) {
		char msg[256];
		snprintf(msg, sizeof(msg), "the used entry of the chain at avail position %u (head %u) has length %u; the device wrote %llu",
			 (uint16_t)e->k, e->c.head, len, (unsigned long long)e->fill_len);
		dec_anomaly(dec, r->d, (int)r->q, RULE_RING_COPY_TORN, msg);
	}
}

void reports_ring_end(struct decoder *dec, struct dec_ring *r)
{
	if (!r->elems)
		return;
	for (uint32_t i = 0; i < r->size; i++)
		if (elem_live(&r->elems[i]))
			elem_settle(dec, r, &r->elems[i], true);
}

/* Is QEMU's fill length for device d the bytes it wrote into the chain,
 * as the spec's used length is?  Checked in QEMU 7.2 for these types;
 * virtio-scsi counts a WRITE's data-out buffers too (qsgl's size plus the
 * response's), and the others were not looked at. */
static bool fill_is_written(const struct dec_device *d)
{
	switch (d->device_id) {
	case VIRTIO_ID_NET:
	case VIRTIO_ID_BLOCK:
	case VIRTIO_ID_CONSOLE:
	case VIRTIO_ID_ENTROPY:
	case VIRTIO_ID_9P:
	case VIRTIO_ID_GPU:
	case VIRTIO_ID_INPUT:
		return true;
	default:
		return false;
	}
}

/* A report of ring r (live), or of no live ring (r NULL: stored only). */
static void on_report(struct decoder *dec, struct dec_device *d, struct dec_ring *r, const struct vmt_event *ev,
		      const struct vmt_queue_report *q)
{
	struct step_vals s = {
		.seq = ev->seq, .device = d ? (int)d->id : -1, .queue = ev->addr, .step = (uint32_t)ev->value,
		.token = q->token, .a0 = q->arg0, .a1 = q->arg1, .verdict = -1,
	};
	struct rings_elem *e = NULL;

	if (!r) {
		step_row(dec, &s);
		return;
	}
	switch (ev->value) {
	case VMT_QSTEP_POP:
		e = elem_take(dec, r, r->pops++);
		if (!e || e->popped)
			break;
		e->popped = true;
		e->token = q->token;
		e->pop_seq = ev->seq;
		e->pop_ts = ev->ts_ns;
		e->in_num = q->arg0;
		e->out_num = q->arg1;
		/* Its row is written when it is judged. */
		elem_settle(dec, r, e, false);
		return;
	case VMT_QSTEP_BLK_READ:
	case VMT_QSTEP_BLK_WRITE:
		e = elem_by_token(r, q->token);
		if (!e || e->has_blk)
			break;
		e->has_blk = true;
		e->blk_write = ev->value == VMT_QSTEP_BLK_WRITE;
		e->blk_seq = ev->seq;
		e->sector = q->arg0;
		e->sectors = q->arg1;
		elem_settle(dec, r, e, false);
		return;
	case VMT_QSTEP_SCSI_CMD:
		e = elem_by_token(r, q->token);
		if (!e || e->has_scsi)
			break;
		e->has_scsi = true;
		e->scsi_seq = ev->seq;
		e->scsi_op = q->arg0;
		e->scsi_lun = q->arg1;
		elem_settle(dec, r, e, false);
		return;
	/* What the SCSI layer parsed of the command: after its scsi-cmd
	 * report (qemu_source.c emits them in that order). */
	case VMT_QSTEP_SCSI_XFER:
		e = elem_by_token(r, q->token);
		if (!e || !e->has_scsi || e->has_xfer)
			break;
		e->has_xfer = true;
		e->xfer_seq = ev->seq;
		e->xfer_len = q->arg0;
		e->xfer_dir = q->arg1;
		elem_settle(dec, r, e, false);
		return;
	case VMT_QSTEP_SCSI_LBA:
		e = elem_by_token(r, q->token);
		if (!e || !e->has_xfer || e->has_lba)
			break;
		e->has_lba = true;
		e->lba_seq = ev->seq;
		e->lba = q->arg0;
		elem_settle(dec, r, e, false);
		return;
	case VMT_QSTEP_FILL:
		e = elem_by_token(r, q->token);
		if (!e)
			break;
		e->filled = true;
		e->fill_len = q->arg0;
		elem_settle(dec, r, e, true);
		/* A copy whose writable buffers cannot hold what the device
		 * wrote is not the chain the device used (a stale or reused
		 * indirect table of the same shape). */
		if (e->has_chain && !e->torn && e->c.walk == REPORTS_WALK_OK && fill_is_written(r->d) &&
		    e->fill_len > e->c.writable) {
			char msg[256];
			snprintf(msg, sizeof(msg),
				 "the device wrote %llu bytes into the chain at avail position %u (head %u), whose copy has %llu writable bytes",
				 (unsigned long long)e->fill_len, (uint16_t)e->k, e->c.head, (unsigned long long)e->c.writable);
			tear(dec, r, e, msg);
		}
		if (e->report_request) {
			struct req_fields none = { 0 };
			req_complete(dec, &dec->rings->req, e->report_request, &none);
			rings_irq_note(dec, r->d, e->report_request);
		}
		if (e->has_used && e->used_len != e->fill_len) {
			char msg[256];
			snprintf(msg, sizeof(msg),
				 "the used entry of the chain at avail position %u (head %u) has length %u; the device wrote %llu",
				 (uint16_t)e->k, e->c.head, e->used_len, (unsigned long long)e->fill_len);
			dec_anomaly(dec, r->d, (int)r->q, RULE_RING_COPY_TORN, msg);
		}
		s.chain = e->has_chain ? e->c.chain : 0;
		break;
	default:
		break;
	}
	/* Not matched to an element (unknown token, a second report for
	 * one, a slot a newer element holds), or a step judged on arrival. */
	if (e && e->has_chain && !s.chain && ev->value != VMT_QSTEP_POP)
		s.chain = e->c.chain;
	step_row(dec, &s);
}

void reports_on_event(struct decoder *dec, struct dec_device *d, const struct vmt_event *ev)
{
	struct vmt_queue_report q;
	struct dec_ring *r = NULL;

	if (!dec->rings || ev->value < VMT_QSTEP_POP || ev->value > VMT_QSTEP_MAX ||
	    vmt_queue_report_decode(&q, ev->data, ev->len) != 0)
		return; /* the events row keeps what there is */
	if (d && ev->addr < DEC_QUEUES_MAX)
		r = d->q[ev->addr].ring;
	on_report(dec, d, r, ev, &q);
}
