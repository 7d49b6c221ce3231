/* What every request decoder shares: reading a chain's payload out of the
 * shadow memory (bounded), digests, and the requests / net_frames rows. */
#include "decoder/req.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder/shadow_mem.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/virtio.h"

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME UINT64_C(0x100000001b3)

static const char *const req_sql[RST_COUNT] = {
	[RST_REQ_NOTIFY] = "UPDATE requests SET seq_notify = ?2, ts_notify = ?3 WHERE request = ?1 AND seq_used IS NULL",
	[RST_REQ_USED] = "UPDATE requests SET seq_used = ?2, ts_used = ?3, op = coalesce(?4, op), "
			 "length = coalesce(?5, length), status = coalesce(?6, status), digest = coalesce(?7, digest), "
			 "data = coalesce(?8, data) WHERE request = ?1",
	[RST_REQ_IRQ] = "UPDATE requests SET seq_irq = ?2, ts_irq = ?3 WHERE request = ?1 AND seq_irq IS NULL",
	[RST_REQ_IRQ_RANGE] = "UPDATE requests SET seq_irq = ?2, ts_irq = ?3 WHERE request BETWEEN ?4 AND ?5 "
			      "AND device = ?1 AND seq_used IS NOT NULL AND seq_irq IS NULL",
	[RST_REQ_DELETE] = "DELETE FROM requests WHERE request = ?1",
	[RST_NET_FRAME_DELETE] = "DELETE FROM net_frames WHERE request = ?1",
};

static void pending_free(struct req_pending *p);

int req_state_init(struct decoder *dec, struct req_state *rq, const struct shadow_mem *sm, uint32_t payload_cap)
{
	rq->sm = sm;
	rq->payload_cap = payload_cap < RINGS_PAYLOAD_MAX ? payload_cap : RINGS_PAYLOAD_MAX;
	rq->payload = malloc(rq->payload_cap ? rq->payload_cap : 1);
	if (!rq->payload)
		return -1;
	for (int i = 0; i < RST_COUNT; i++)
		if (sqlite3_prepare_v3(dec->db, req_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &rq->st[i], NULL) != SQLITE_OK)
			return dec_fail(dec, "unable to prepare the ring decoder's statements");
	return 0;
}

void req_state_finalize(struct req_state *rq)
{
	for (int i = 0; i < RST_COUNT; i++) {
		sqlite3_finalize(rq->st[i]);
		rq->st[i] = NULL;
	}
}

void req_state_free(struct req_state *rq)
{
	req_state_finalize(rq);
	pending_free(&rq->pending);
	free(rq->payload);
	rq->payload = NULL;
	rq->payload_cap = 0;
}

/* Run one of our statements through dec_sql_step (so the row is counted
 * and batched), then clear its bindings: our statements leave nullable
 * columns unbound, which must read as NULL next time. */
static int req_step(struct decoder *dec, sqlite3_stmt *st)
{
	int r = dec_sql_step(dec, st);

	sqlite3_clear_bindings(st);
	return r;
}

unsigned req_chain_read(const struct req_state *rs, const struct rings_seg *segs, uint32_t n,
			uint64_t off, void *dst, uint64_t len)
{
	uint8_t *out = dst;
	uint64_t done = 0;
	unsigned acc = SHADOW_HAVE_ALL;

	for (uint32_t i = 0; i < n && done < len; i++) {
		if (off >= segs[i].len) {
			off -= segs[i].len;
			continue;
		}
		uint64_t k = segs[i].len - off;
		if (k > len - done)
			k = len - done;
		unsigned f = shadow_read(rs->sm, segs[i].gpa + off, out + done, k);
		acc = (acc & f & SHADOW_HAVE_ALL) | ((acc | f) & (SHADOW_ROUGH | SHADOW_HAVE_SOME));
		done += k;
		off = 0;
	}
	if (done < len) {
		memset(out + done, 0, len - done);
		acc &= ~SHADOW_HAVE_ALL;
	}
	return acc;
}

bool req_chain_digest(const struct req_state *rs, const struct rings_seg *segs, uint32_t n,
		      uint64_t off, uint64_t len, uint64_t *out, bool *rough)
{
	uint8_t buf[4096];
	uint64_t h = FNV64_OFFSET, done = 0;

	if (len > RINGS_DIGEST_MAX)
		return false;
	/* Chunks never straddle segments, so each is one shadow read. */
	for (uint32_t i = 0; i < n && done < len; i++) {
		if (off >= segs[i].len) {
			off -= segs[i].len;
			continue;
		}
		uint64_t left = segs[i].len - off;
		if (left > len - done)
			left = len - done;
		uint64_t gpa = segs[i].gpa + off;
		while (left) {
			uint64_t k = left < sizeof(buf) ? left : sizeof(buf);
			unsigned f = shadow_read(rs->sm, gpa, buf, k);
			if (!(f & SHADOW_HAVE_ALL))
				return false;
			if (f & SHADOW_ROUGH)
				*rough = true;
			for (uint64_t j = 0; j < k; j++) {
				h ^= buf[j];
				h *= FNV64_PRIME;
			}
			gpa += k;
			left -= k;
			done += k;
		}
		off = 0;
	}
	if (done < len)
		return false;
	*out = h;
	return true;
}

uint32_t req_payload(struct req_state *rs, const struct rings_seg *segs, uint32_t n, uint64_t off,
		     uint64_t len, unsigned *flags)
{
	uint32_t k = len < rs->payload_cap ? (uint32_t)len : rs->payload_cap;

	*flags = req_chain_read(rs, segs, n, off, rs->payload, k);
	return (*flags & SHADOW_HAVE_ALL) ? k : 0;
}

void req_note_mem(struct rings_chain *c, unsigned f)
{
	enum rings_mem m = RINGS_MEM_EXACT;

	if (!(f & SHADOW_HAVE_ALL))
		m = RINGS_MEM_PARTIAL;
	else if (f & SHADOW_ROUGH)
		m = RINGS_MEM_BEST_EFFORT;
	if (m > c->mem)
		c->mem = m;
}

void req_digest_hex(uint64_t h, char out[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, h >>= 4)
		out[i] = hex[h & 15];
	out[16] = '\0';
}

void req_inflight_view(const struct rings_inflight *f, struct rings_chain *c)
{
	memset(c, 0, sizeof(*c));
	c->chain = f->chain;
	c->segs = f->wsegs;
	c->n_segs = f->wsegs ? f->n_wsegs : 0;
	c->writable = f->writable;
	c->complete = f->complete && f->wsegs != NULL;
}

/* Bind the nullable request fields at ?op.. in the order op, sector?, length,
 * status, digest, data; sector_at 0 skips the sector. */
static void bind_fields(sqlite3_stmt *st, int op_at, int sector_at, int length_at, int status_at,
			int digest_at, int data_at, const struct req_fields *f)
{
	char hex[17];

	if (f->op_text)
		sqlite3_bind_text(st, op_at, f->op_text, (int)strnlen(f->op_text, REQ_OP_TEXT_MAX - 1), SQLITE_TRANSIENT);
	else if (f->op)
		sqlite3_bind_text(st, op_at, f->op, -1, SQLITE_STATIC);
	if (sector_at && f->has_sector)
		sqlite3_bind_int64(st, sector_at, (sqlite3_int64)f->sector);
	if (f->has_length)
		sqlite3_bind_int64(st, length_at, (sqlite3_int64)f->length);
	if (f->has_status)
		sqlite3_bind_int(st, status_at, f->status);
	if (f->has_digest) {
		req_digest_hex(f->digest, hex);
		sqlite3_bind_text(st, digest_at, hex, 16, SQLITE_TRANSIENT);
	}
	if (f->data)
		sqlite3_bind_blob(st, data_at, f->data, (int)f->data_len, SQLITE_TRANSIENT);
}

/* --- requests rows: held in memory until final, see REQ_PENDING_ROWS --- */

static struct req_row *pending_at(struct req_pending *p, uint32_t i)
{
	return &p->rows[(p->head + i) % REQ_PENDING_ROWS];
}

/* The row of request id if it is still in memory, else NULL. */
static struct req_row *pending_find(struct req_state *rs, uint64_t id)
{
	struct req_pending *p = &rs->pending;

	if (!p->n || id < p->first || id - p->first >= p->n)
		return NULL;
	return pending_at(p, (uint32_t)(id - p->first));
}

static void row_set_data(struct req_pending *p, struct req_row *row, const uint8_t *data, uint32_t len)
{
	p->bytes -= row->data_len;
	free(row->data);
	row->data = NULL;
	row->data_len = 0;
	row->has_data = true;
	if (len == 0)
		return;
	row->data = malloc(len);
	if (!row->data) {
		row->has_data = false; /* as if the bytes were not held */
		return;
	}
	memcpy(row->data, data, len);
	row->data_len = len;
	p->bytes += len;
}

static void row_apply(struct req_pending *p, struct req_row *row, const struct req_fields *f)
{
	if (f->op_text) {
		size_t n = strnlen(f->op_text, REQ_OP_TEXT_MAX - 1);
		memcpy(row->op_text, f->op_text, n);
		row->op_text[n] = '\0';
		row->op = row->op_text;
	} else if (f->op) {
		row->op = f->op;
	}
	if (f->has_sector) {
		row->has_sector = true;
		row->sector = f->sector;
	}
	if (f->has_length) {
		row->has_length = true;
		row->length = f->length;
	}
	if (f->has_status) {
		row->has_status = true;
		row->status = f->status;
	}
	if (f->has_digest) {
		row->has_digest = true;
		row->digest = f->digest;
	}
	if (f->data)
		row_set_data(p, row, f->data, f->data_len);
}

static void put_opt(struct dec_val *v, bool has, uint64_t x)
{
	if (has)
		dec_val_int(v, (sqlite3_int64)x);
}

/* Write the oldest row in memory (an INSERT, batched) and drop it. */
static void pending_write_oldest(struct decoder *dec, struct req_state *rq)
{
	struct req_pending *p = &rq->pending;
	struct req_row *row = pending_at(p, 0);
	struct dec_val *v;
	char hex[17];

	if (row->dropped)
		goto drop;
	v = dec_batch_row(dec, DB_REQUESTS);

	dec_val_int(&v[0], (sqlite3_int64)row->id);
	dec_val_int(&v[1], row->device);
	dec_val_int(&v[2], row->queue);
	if (row->chain) /* 0: made from the device's report, no chain */
		dec_val_int(&v[3], (sqlite3_int64)row->chain);
	dec_val_static_text(&v[4], row->kind);
	/* op_text lives in the row, which is reused below: copy it. */
	if (row->op == row->op_text)
		dec_val_copy(dec, DB_REQUESTS, &v[5], row->op_text, (int)strlen(row->op_text), false);
	else if (row->op)
		dec_val_static_text(&v[5], row->op);
	put_opt(&v[6], row->has_sector, row->sector);
	put_opt(&v[7], row->has_length, row->length);
	put_opt(&v[8], row->has_status, row->status);
	if (row->has_digest) {
		req_digest_hex(row->digest, hex);
		dec_val_copy(dec, DB_REQUESTS, &v[9], hex, 16, false);
	}
	dec_val_int(&v[10], (sqlite3_int64)row->seq_notify);
	put_opt(&v[11], row->has_used, row->seq_used);
	put_opt(&v[12], row->has_irq, row->seq_irq);
	dec_val_int(&v[13], (sqlite3_int64)row->ts_notify);
	put_opt(&v[14], row->has_used, row->ts_used);
	put_opt(&v[15], row->has_irq, row->ts_irq);
	if (row->has_data)
		dec_val_copy(dec, DB_REQUESTS, &v[16], row->data ? row->data : (const uint8_t *)"", (int)row->data_len, true);
	dec_batch_add(dec, DB_REQUESTS);
drop:
	p->bytes -= row->data_len;
	free(row->data);
	memset(row, 0, sizeof(*row));
	p->head = (p->head + 1) % REQ_PENDING_ROWS;
	p->first++;
	p->n--;
}

/* Keep the payload held under REQ_PENDING_BYTES: a completion can add up
 * to the payload cap to a row, an insert too. */
static void pending_trim(struct decoder *dec, struct req_state *rq)
{
	struct req_pending *p = &rq->pending;

	while (p->n && p->bytes > REQ_PENDING_BYTES)
		pending_write_oldest(dec, rq);
}

/* Write the oldest rows while nothing can change them any more: an
 * interrupt followed their completion (notify, used entry and interrupt
 * each change a row once, in that order). */
static void pending_retire(struct decoder *dec, struct req_state *rq)
{
	struct req_pending *p = &rq->pending;

	while (p->n && (pending_at(p, 0)->has_irq || pending_at(p, 0)->dropped))
		pending_write_oldest(dec, rq);
}

static void pending_free(struct req_pending *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		free(pending_at(p, i)->data);
	free(p->rows);
	memset(p, 0, sizeof(*p));
}

void req_write_all(struct decoder *dec, struct req_state *rq)
{
	while (rq->pending.n)
		pending_write_oldest(dec, rq);
}

/* A new row in memory for request kind of device/queue/chain (0: none),
 * notified at seq/ts, with the fields of f.  Returns its id, 0 on error. */
static uint64_t row_new(struct decoder *dec, struct req_state *rq, unsigned device, unsigned queue, uint64_t chain,
			enum tdb_request_kind kind, const struct req_fields *f, uint64_t seq, uint64_t ts)
{
	struct req_pending *p = &rq->pending;

	if (!p->rows) {
		p->rows = calloc(REQ_PENDING_ROWS, sizeof(*p->rows));
		if (!p->rows) {
			dec->failed = true;
			snprintf(dec->err, sizeof(dec->err), "out of memory");
			return 0;
		}
	}
	if (p->n == REQ_PENDING_ROWS)
		pending_write_oldest(dec, rq);
	/* Ids are consecutive: the new row goes right after the last one held. */
	uint64_t id = ++rq->next_request;
	if (!p->n)
		p->first = id;
	struct req_row *row = pending_at(p, p->n++);
	memset(row, 0, sizeof(*row));
	row->id = id;
	row->device = device;
	row->queue = queue;
	row->chain = chain;
	row->kind = tdb_vocab_name(&tdb_vocab_request_kind, (int)kind);
	row->seq_notify = seq;
	row->ts_notify = ts;
	row_apply(p, row, f);
	dec->stats.requests++;
	pending_trim(dec, rq);
	return id;
}

uint64_t req_insert(const struct req_queue *q, const struct rings_chain *c, enum tdb_request_kind kind,
		    const struct req_fields *f)
{
	struct decoder *dec = q->dec;

	return row_new(dec, q->rq, q->d->id, q->q, c->chain, kind, f, dec->ev->seq, dec->ev->ts_ns);
}

uint64_t req_insert_report(struct decoder *dec, struct req_state *rq, unsigned device, unsigned queue,
			   enum tdb_request_kind kind, const struct req_fields *f, uint64_t seq_notify, uint64_t ts_notify)
{
	return row_new(dec, rq, device, queue, 0, kind, f, seq_notify, ts_notify);
}

bool req_peek(struct req_state *rq, uint64_t id, const char **op, bool *has_sector, uint64_t *sector,
	      bool *has_length, uint64_t *length)
{
	struct req_row *row = pending_find(rq, id);

	if (!row || row->dropped)
		return false;
	*op = row->op;
	*has_sector = row->has_sector;
	*sector = row->sector;
	*has_length = row->has_length;
	*length = row->length;
	return true;
}

void req_drop(struct decoder *dec, struct req_state *rq, uint64_t id)
{
	struct req_row *row = pending_find(rq, id);

	if (row) {
		if (!row->dropped && dec->stats.requests)
			dec->stats.requests--;
		row->dropped = true;
		pending_retire(dec, rq);
		return;
	}
	/* Written already (the window was full): take the rows back. */
	dec_batch_flush(dec, DB_REQUESTS);
	dec_batch_flush(dec, DB_NET_FRAMES);
	sqlite3_bind_int64(rq->st[RST_REQ_DELETE], 1, (sqlite3_int64)id);
	req_step(dec, rq->st[RST_REQ_DELETE]);
	sqlite3_bind_int64(rq->st[RST_NET_FRAME_DELETE], 1, (sqlite3_int64)id);
	req_step(dec, rq->st[RST_NET_FRAME_DELETE]);
	if (dec->stats.requests)
		dec->stats.requests--;
}

void req_complete(struct decoder *dec, struct req_state *rq, uint64_t id, const struct req_fields *f)
{
	struct req_row *row = pending_find(rq, id);

	if (row) {
		row->has_used = true;
		row->seq_used = dec->ev->seq;
		row->ts_used = dec->ev->ts_ns;
		row_apply(&rq->pending, row, f);
		pending_trim(dec, rq);
		return;
	}
	sqlite3_stmt *st = rq->st[RST_REQ_USED];
	dec_batch_flush(dec, DB_REQUESTS);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)dec->ev->ts_ns);
	bind_fields(st, 4, 0, 5, 6, 7, 8, f);
	req_step(dec, st);
}

void req_notified(struct decoder *dec, struct req_state *rq, uint64_t id)
{
	struct req_row *row = pending_find(rq, id);

	if (row) {
		if (!row->has_used) {
			row->seq_notify = dec->ev->seq;
			row->ts_notify = dec->ev->ts_ns;
		}
		return;
	}
	sqlite3_stmt *st = rq->st[RST_REQ_NOTIFY];
	dec_batch_flush(dec, DB_REQUESTS);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)dec->ev->ts_ns);
	req_step(dec, st);
}

void req_interrupted(struct decoder *dec, struct req_state *rq, uint64_t id)
{
	struct req_row *row = pending_find(rq, id);

	if (row) {
		if (!row->has_irq) {
			row->has_irq = true;
			row->seq_irq = dec->ev->seq;
			row->ts_irq = dec->ev->ts_ns;
		}
		pending_retire(dec, rq);
		return;
	}
	sqlite3_stmt *st = rq->st[RST_REQ_IRQ];
	dec_batch_flush(dec, DB_REQUESTS);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)dec->ev->ts_ns);
	req_step(dec, st);
}

void req_interrupted_range(struct decoder *dec, struct req_state *rq, unsigned dev, uint64_t lo, uint64_t hi)
{
	struct req_pending *p = &rq->pending;

	/* The rows in memory, then the ones written already. */
	for (uint32_t i = 0; i < p->n; i++) {
		struct req_row *row = pending_at(p, i);
		if (row->id >= lo && row->id <= hi && row->device == dev && row->has_used && !row->has_irq) {
			row->has_irq = true;
			row->seq_irq = dec->ev->seq;
			row->ts_irq = dec->ev->ts_ns;
		}
	}
	if (!p->n || lo < p->first) {
		sqlite3_stmt *st = rq->st[RST_REQ_IRQ_RANGE];
		dec_batch_flush(dec, DB_REQUESTS);
		sqlite3_bind_int(st, 1, (int)dev);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)dec->ev->seq);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)dec->ev->ts_ns);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)lo);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)hi);
		req_step(dec, st);
	}
	pending_retire(dec, rq);
}

/* "aa:bb:cc:dd:ee:ff", lowercase, NUL-terminated. */
static void mac_str(const uint8_t *m, char out[18])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		out[3 * i] = hex[m[i] >> 4];
		out[3 * i + 1] = hex[m[i] & 15];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
}

void req_net_frame(struct decoder *dec, uint64_t id, const uint8_t *hdr, uint32_t hdr_len, bool hdr_ok,
		   const uint8_t *frame, uint32_t frame_held, uint64_t frame_len)
{
	struct dec_val *v = dec_batch_row(dec, DB_NET_FRAMES);
	char mac[18];

	dec_val_int(&v[0], (sqlite3_int64)id);
	if (hdr_ok) {
		/* struct virtio_net_hdr: flags, gso_type, then le16 fields. */
		dec_val_int(&v[1], hdr[0]);
		dec_val_int(&v[2], hdr[1]);
		dec_val_int(&v[3], le16_get(hdr + 2));
		dec_val_int(&v[4], le16_get(hdr + 4));
		dec_val_int(&v[5], le16_get(hdr + 6));
		dec_val_int(&v[6], le16_get(hdr + 8));
		if (hdr_len >= 12)
			dec_val_int(&v[7], le16_get(hdr + 10));
	}
	dec_val_int(&v[8], (sqlite3_int64)frame_len);
	if (frame && frame_held >= 14 && frame_len >= 14)
		dec_val_int(&v[9], frame[12] << 8 | frame[13]);
	if (frame && frame_held >= 12 && frame_len >= 12) {
		mac_str(frame, mac);
		dec_val_copy(dec, DB_NET_FRAMES, &v[10], mac, 17, false);
		mac_str(frame + 6, mac);
		dec_val_copy(dec, DB_NET_FRAMES, &v[11], mac, 17, false);
	}
	dec_batch_add(dec, DB_NET_FRAMES);
}

void req_text_add(char *out, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;

	if (used + 1 >= REQ_OP_TEXT_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(out + used, REQ_OP_TEXT_MAX - used, fmt, ap);
	va_end(ap);
}
