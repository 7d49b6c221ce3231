/* Virtqueues decoded from the guest memory a trace carries: the
 * available ring and descriptor chains (walked by the split-ring walker
 * the emulator uses, virtio/split_ring.h: the same rules, messages and
 * bounds), the used ring, in-flight state per queue,
 * and interrupt bookkeeping.  Packed rings (VIRTIO_F_RING_PACKED) are
 * read from their descriptor ring with virtio/packed_ring.h: the driver's
 * and the device's positions with their wrap counters are followed
 * whenever the slot at either is stored or copied, or at a notify.  Request contents are left to the device
 * type's request decoder (req.h, found by req_decoder_find), called only
 * on the queues the device-type table says carry the type's data.
 *
 * Everything read from the shadow memory is untrusted: indices are checked
 * against the queue size, walks are bounded by it, and nothing is sized
 * from a guest value.  Missing bytes never become violations: the rows say
 * 'missing' or 'partial' instead.  Bytes from best-effort snapshots (which
 * may be torn) are decoded but raise no violations either. */
#include "decoder/rings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder/reports.h"
#include "decoder/rings_priv.h"
#include "decoder/shadow_mem.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/device_types.h"
#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"

/* chains.memory's words are tracedb's (tdb_vocab.h), in the same order. */
_Static_assert((int)RINGS_MEM_EXACT == (int)TDB_CHAIN_EXACT && (int)RINGS_MEM_BEST_EFFORT == (int)TDB_CHAIN_BEST_EFFORT &&
		       (int)RINGS_MEM_PARTIAL == (int)TDB_CHAIN_PARTIAL && (int)RINGS_MEM_MISSING == (int)TDB_CHAIN_MISSING,
	       "enum rings_mem and tdb_vocab_chain_memory agree");

/* --- set-up --- */

int rings_init(struct decoder *dec)
{
	struct dec_rings *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -1;
	dec->rings = rs;
	rs->sm = shadow_new(SHADOW_CAP_DEFAULT);
	if (!rs->sm)
		return -1;
	return req_state_init(dec, &rs->req, rs->sm, dec->opts.payload_cap);
}

static void inflight_clear(struct dec_rings *rs, struct rings_inflight *f)
{
	if (f->wsegs)
		rs->segs_kept -= f->n_wsegs;
	free(f->wsegs);
	memset(f, 0, sizeof(*f));
}

static void ring_destroy(struct dec_rings *rs, struct dec_ring *r)
{
	for (uint32_t i = 0; i < r->size; i++) {
		if (r->inflight)
			inflight_clear(rs, &r->inflight[i]);
		if (r->retired)
			inflight_clear(rs, &r->retired[i].f);
	}
	free(r->inflight);
	free(r->retired);
	free(r->id_slots);
	free(r->lost_ids);
	free(r->unnotified);
	free(r->elems);
	free(r);
}

void rings_free(struct decoder *dec)
{
	struct dec_rings *rs = dec->rings;

	if (!rs)
		return;
	req_state_finalize(&rs->req);
	for (unsigned i = 0; i < rs->n_live; i++) {
		struct dec_ring *r = rs->live[i];
		if (r->d->q[r->q].ring == r)
			r->d->q[r->q].ring = NULL;
		ring_destroy(rs, r);
	}
	free(rs->live);
	for (unsigned i = 0; i < DEC_DEVICES_MAX; i++) {
		if (rs->dev[i])
			free(rs->dev[i]->irq_pending);
		free(rs->dev[i]);
	}
	req_state_free(&rs->req);
	free(rs->scratch);
	shadow_free(rs->sm);
	free(rs);
	dec->rings = NULL;
}

static void used_settle(struct decoder *dec, struct dec_ring *r);

void rings_finish(struct decoder *dec)
{
	/* Chains still in flight stay as they are (seq_used NULL).  The
	 * statements go now: decoder_finish changes the journal mode next. */
	if (dec->rings) {
		/* What the device reported about elements still open is
		 * judged now (it may add requests). */
		for (unsigned i = 0; i < dec->rings->n_live; i++) {
			used_settle(dec, dec->rings->live[i]);
			reports_ring_end(dec, dec->rings->live[i]);
		}
		req_write_all(dec, &dec->rings->req);
		req_state_finalize(&dec->rings->req);
	}
}

static struct rings_dev *dev_state(struct dec_rings *rs, const struct dec_device *d)
{
	if (d->id >= DEC_DEVICES_MAX)
		return NULL;
	if (!rs->dev[d->id])
		rs->dev[d->id] = calloc(1, sizeof(struct rings_dev));
	return rs->dev[d->id];
}

uint64_t rings_features(const struct dec_device *d)
{
	return d->negotiated ? d->negotiated : d->accepted;
}

struct dec_ring *rings_queue_live(struct decoder *dec, struct dec_device *d, unsigned q)
{
	struct dec_rings *rs = dec->rings;
	struct dec_queue *dq = &d->q[q];
	uint64_t feat = rings_features(d);

	if (!rs || q >= DEC_QUEUES_MAX)
		return NULL;
	if (dq->ring)
		rings_queue_end(dec, d, q);
	/* Sizes a device cannot use were reported by the register checker. */
	if (dq->size == 0 || dq->size > VIRTQ_SIZE_MAX)
		return NULL;
	if (rs->scratch_cap < 2 * dq->size) {
		struct rings_seg *s = realloc(rs->scratch, 2u * dq->size * sizeof(*s));
		if (!s)
			return NULL;
		rs->scratch = s;
		rs->scratch_cap = 2 * dq->size;
	}
	if (rs->n_live == rs->cap_live) {
		unsigned ncap = rs->cap_live ? rs->cap_live * 2 : 16;
		struct dec_ring **nl = realloc(rs->live, ncap * sizeof(*nl));
		if (!nl)
			return NULL;
		rs->live = nl;
		rs->cap_live = ncap;
	}
	struct dec_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->d = d;
	r->q = q;
	r->generation = dq->generation;
	r->size = dq->size;
	r->desc = dq->desc;
	r->avail = dq->driver;
	r->used = dq->device;
	/* Both wrap counters start at 1 (Packed Virtqueues: Driver and
	 * Device Ring Wrap Counters). */
	r->packed = (feat & VIRTIO_BIT(VIRTIO_F_RING_PACKED)) != 0;
	r->drv = r->dev = (struct packed_pos){ .slot = 0, .wrap = true };
	/* What the queue carries, as the device-type table says for the
	 * features and config the driver saw now. */
	if (d->id_known) {
		r->role = devtype_queue_role(d->device_id, q, feat, d->config, d->config_len);
		if (r->role && r->role->data)
			r->req = req_decoder_find(d->device_id);
	}
	r->live_pos = rs->n_live;
	rs->live[rs->n_live++] = r;
	return r;
}

void rings_queue_end(struct decoder *dec, struct dec_device *d, unsigned q)
{
	struct dec_rings *rs = dec->rings;
	struct dec_ring *r;

	if (!rs || q >= DEC_QUEUES_MAX || !(r = d->q[q].ring))
		return;
	used_settle(dec, r);
	reports_ring_end(dec, r);
	/* Swap-remove from the live list. */
	struct dec_ring *last = rs->live[--rs->n_live];
	rs->live[r->live_pos] = last;
	last->live_pos = r->live_pos;
	d->q[q].ring = NULL;
	ring_destroy(rs, r);
}

/* --- violations --- */

static void ring_violation(struct decoder *dec, struct dec_ring *r, bool exact, enum rule_id rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Report at the current event.  If the bytes behind the finding were
 * best-effort, a torn snapshot may be to blame rather than the driver:
 * it becomes an anomaly row, not a violation. */
static void ring_violation(struct decoder *dec, struct dec_ring *r, bool exact, enum rule_id rule, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!exact) {
		dec_anomaly(dec, r->d, (int)r->q, rule, msg);
		return;
	}
	dec_violation(dec, r->d, rule, "queue %u: %s", r->q, msg);
}

/* --- chains --- */

/* True if [a, a + len) lies in guest RAM (when the trace says where RAM
 * is) and does not wrap around the address space. */
static bool ram_contains(const struct decoder *dec, uint64_t a, uint64_t len)
{
	if (len && a + (len - 1) < a)
		return false;
	if (dec->ram_size == 0)
		return true;
	if (a < dec->ram_base)
		return false;
	uint64_t off = a - dec->ram_base;
	return off <= dec->ram_size && len <= dec->ram_size - off;
}

static void desc_row(struct decoder *dec, uint64_t chain, uint32_t pos, uint32_t idx,
		     const struct vring_desc *d, bool in_indirect)
{
	struct dec_val *v = dec_batch_row(dec, DB_DESCRIPTORS);

	dec_val_int(&v[0], (sqlite3_int64)chain);
	dec_val_int(&v[1], pos);
	dec_val_int(&v[2], idx);
	dec_val_int(&v[3], (sqlite3_int64)d->addr);
	dec_val_int(&v[4], d->len);
	dec_val_int(&v[5], d->flags);
	dec_val_int(&v[6], d->next);
	dec_val_int(&v[7], in_indirect);
	dec_batch_add(dec, DB_DESCRIPTORS);
}

static void raise_mem(enum rings_mem *m, enum rings_mem v)
{
	if (v > *m)
		*m = v;
}

/* The shared walker's view of the trace's guest memory (the shadow, where
 * bytes may be missing or best-effort) and what it shows us of a chain. */
struct walk_ctx {
	struct decoder *dec;
	struct rings_chain *c;
	struct rings_seg *segs; /* c->segs, cap entries */
	uint32_t cap;
};

static int walk_read(void *ctx, uint64_t gpa, void *dst, uint32_t len)
{
	struct walk_ctx *w = ctx;
	unsigned f = shadow_read(w->dec->rings->sm, gpa, dst, len);

	if (!(f & SHADOW_HAVE_ALL))
		return VRING_MEM_MISSING;
	return (f & SHADOW_ROUGH) ? VRING_MEM_ROUGH : VRING_MEM_EXACT;
}

static bool walk_contains(void *ctx, uint64_t gpa, uint64_t len)
{
	struct walk_ctx *w = ctx;

	return ram_contains(w->dec, gpa, len);
}

/* Every descriptor read, the one that broke a rule included. */
static int walk_desc(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct walk_ctx *w = ctx;

	desc_row(w->dec, w->c->chain, at->pos, at->idx, d, at->indirect);
	return 0;
}

static int walk_buf(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct walk_ctx *w = ctx;
	struct rings_chain *c = w->c;

	(void)at;
	/* At most size direct plus size indirect buffers: scratch holds both. */
	if (c->n_segs >= w->cap)
		return -EOVERFLOW;
	w->segs[c->n_segs++] = (struct rings_seg){ .gpa = d->addr, .len = d->len };
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		c->writable += d->len;
	} else {
		c->readable += d->len;
		c->n_readable++;
	}
	return 0;
}

static const struct vring_ops walk_ops = {
	.read = walk_read,
	.contains = walk_contains,
	.on_desc = walk_desc,
	.on_buf = walk_buf,
	.mem_complete = false, /* bytes the trace did not hold are missing, not the guest's fault */
};

/* The queue's areas as the shared walker's ring (virtio/split_ring.h):
 * every ring address below comes from its address helpers. */
static struct split_ring ring_of(const struct dec_ring *r)
{
	return (struct split_ring){
		.num = r->size, .desc = r->desc, .avail = r->avail, .used = r->used,
		.indirect_ok = (rings_features(r->d) & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)) != 0,
	};
}

/* Walk the chain at head like a device, through the shared walker
 * (virtio/split_ring.h: the same rules, messages and bounds as the
 * emulator).  Fills c (segments in rs->scratch, which holds 2 * size) and
 * writes the descriptors rows; *n_desc counts them.  Returns false if a
 * broken rule stopped the walk (reported here; an anomaly if the avail
 * entry or a descriptor was best-effort); a walk stopped by missing memory
 * returns true with c->complete false. */
static bool walk_result(struct decoder *dec, struct dec_ring *r, bool exact, struct rings_chain *c,
			const struct vring_chain *out_, int rc, uint32_t *n_desc, bool *used_indirect);

static bool walk_chain(struct decoder *dec, struct dec_ring *r, uint16_t head, bool exact,
		       struct rings_chain *c, uint32_t *n_desc, bool *used_indirect)
{
	struct dec_rings *rs = dec->rings;
	struct split_ring ring = ring_of(r);
	struct walk_ctx w = { .dec = dec, .c = c, .segs = rs->scratch, .cap = rs->scratch_cap };
	struct vring_chain out;

	c->segs = rs->scratch;
	int rc = split_ring_walk(&ring, head, &walk_ops, &w, &out);
	return walk_result(dec, r, exact, c, &out, rc, n_desc, used_indirect);
}

/* What walk_chain and packed_walk report of a walk's result rc and out. */
static bool walk_result(struct decoder *dec, struct dec_ring *r, bool exact, struct rings_chain *c,
			const struct vring_chain *out_, int rc, uint32_t *n_desc, bool *used_indirect)
{
	const struct vring_chain out = *out_;

	*n_desc = out.n_desc;
	*used_indirect = out.indirect;
	if (out.rough)
		raise_mem(&c->mem, RINGS_MEM_BEST_EFFORT);
	switch (rc) {
	case VRING_OK:
		c->complete = true;
		return true;
	case VRING_MISSING:
		raise_mem(&c->mem, out.n_desc == 0 ? RINGS_MEM_MISSING : RINGS_MEM_PARTIAL);
		return true;
	case VRING_BROKEN:
		ring_violation(dec, r, exact && !out.rough, out.fault.rule, "%s", out.fault.msg);
		return false;
	}
	return false; /* cannot happen: head was checked, scratch holds 2 * size (a negative rc) */
}

static void chain_row(struct decoder *dec, struct dec_ring *r, const struct rings_chain *c, uint16_t avail_idx,
		      uint32_t n_desc, bool indirect)
{
	struct dec_val *v = dec_batch_row(dec, DB_CHAINS);

	dec_val_int(&v[0], (sqlite3_int64)c->chain);
	dec_val_int(&v[1], r->d->id);
	dec_val_int(&v[2], r->q);
	dec_val_int(&v[3], r->generation);
	dec_val_int(&v[4], avail_idx);
	dec_val_int(&v[5], c->head);
	dec_val_int(&v[6], (sqlite3_int64)dec->ev->seq);
	dec_val_int(&v[7], n_desc);
	dec_val_int(&v[8], indirect);
	dec_val_int(&v[9], (sqlite3_int64)c->readable);
	dec_val_int(&v[10], (sqlite3_int64)c->writable);
	dec_val_static_text(&v[11], tdb_vocab_name(&tdb_vocab_chain_memory, (int)c->mem));
	dec_batch_add(dec, DB_CHAINS);
}

/* Keep the writable segments of a complete chain for its completion, if
 * the global budget allows. */
static void keep_writable(struct dec_rings *rs, struct rings_inflight *f, const struct rings_chain *c)
{
	uint32_t n = c->n_segs - c->n_readable;

	if (!c->complete || rs->segs_kept + n > RINGS_SEGS_KEPT_MAX)
		return;
	if (n == 0) {
		/* An empty list still means "known": point at nothing owned. */
		f->wsegs = malloc(sizeof(*f->wsegs));
		f->n_wsegs = 0;
		return;
	}
	f->wsegs = malloc(n * sizeof(*f->wsegs));
	if (!f->wsegs)
		return;
	memcpy(f->wsegs, c->segs + c->n_readable, n * sizeof(*f->wsegs));
	f->n_wsegs = n;
	rs->segs_kept += n;
}

/* What the request decoders get to know of ring r. */
static void req_queue_of(struct decoder *dec, struct dec_ring *r, struct req_queue *out)
{
	*out = (struct req_queue){
		.dec = dec, .rq = &dec->rings->req, .d = r->d, .q = r->q,
		.role = r->role, .features = rings_features(r->d),
	};
}

static uint64_t request_avail(struct decoder *dec, struct dec_ring *r, struct rings_chain *c, struct rings_inflight *f)
{
	struct req_queue rq;

	if (!r->req)
		return 0;
	req_queue_of(dec, r, &rq);
	return r->req->avail(&rq, c, f);
}

static void request_used(struct decoder *dec, struct dec_ring *r, struct rings_inflight *f, uint32_t len)
{
	struct req_queue rq;

	if (!r->req)
		return;
	req_queue_of(dec, r, &rq);
	r->req->used(&rq, f, len);
}

/* The driver made available ring position pos: decode its chain. */
/* Drop used entries (holes) from the front of r's retired FIFO. */
static void retired_compact(struct dec_ring *r)
{
	while (r->n_retired && !r->retired[r->retired_first].f.chain) {
		r->retired_first = (r->retired_first + 1) % r->size;
		r->n_retired--;
	}
}

/* Move the chain in flight fl (head) to the back of r's retired FIFO;
 * false if there is no room for it (allocation failed). */
static bool retire(struct dec_rings *rs, struct dec_ring *r, uint16_t head, const struct rings_inflight *fl)
{
	if (!r->retired && !(r->retired = calloc(r->size, sizeof(*r->retired))))
		return false;
	if (r->n_retired == r->size) {
		/* More retired than a queue holds: the oldest is forgotten. */
		inflight_clear(rs, &r->retired[r->retired_first].f);
		r->retired_first = (r->retired_first + 1) % r->size;
		r->n_retired--;
		r->uncertain = true;
		retired_compact(r);
	}
	struct rings_retired *e = &r->retired[(r->retired_first + r->n_retired) % r->size];
	e->head = head;
	e->f = *fl;
	r->n_retired++;
	return true;
}

/* The oldest retired chain with head id, NULL if none. */
static struct rings_inflight *retired_find(struct dec_ring *r, uint32_t id)
{
	for (uint32_t i = 0; i < r->n_retired; i++) {
		struct rings_retired *e = &r->retired[(r->retired_first + i) % r->size];
		if (e->f.chain && e->head == id)
			return &e->f;
	}
	return NULL;
}

static void chain_take(struct decoder *dec, struct dec_ring *r, uint16_t pos, bool from_notify)
{
	struct dec_rings *rs = dec->rings;
	const struct split_ring ring = ring_of(r);
	uint8_t b[2];
	unsigned f = shadow_read(rs->sm, split_ring_avail_slot_addr(&ring, pos), b, sizeof(b));
	/* The position's number in the generation, as the device's pops
	 * count them (reports.h), taken whether a chain comes of it or not. */
	uint64_t t = r->taken++;

	if (!(f & SHADOW_HAVE_ALL)) {
		/* Something went in flight that the trace does not show. */
		r->uncertain = true;
		return;
	}
	bool exact = !(f & SHADOW_ROUGH);
	uint16_t head = le16_get(b);
	struct vring_fault vf;
	if (split_ring_check_head(r->size, pos, head, &vf) != VRING_OK) {
		ring_violation(dec, r, exact, vf.rule, "%s", vf.msg);
		return;
	}
	struct rings_chain c = { .chain = ++rs->next_chain, .head = head };
	if (!exact)
		c.mem = RINGS_MEM_BEST_EFFORT;
	uint32_t n_desc = 0;
	bool indirect = false;
	bool ok = walk_chain(dec, r, head, exact, &c, &n_desc, &indirect);

	if (!r->inflight) {
		r->inflight = calloc(r->size, sizeof(*r->inflight));
		if (!r->inflight)
			r->uncertain = true;
	}
	struct rings_inflight *fl = r->inflight ? &r->inflight[head] : NULL;
	uint64_t now = dec->ev ? dec->ev->seq : UINT64_MAX;
	/* Two avail positions read from one best-effort copy name the same
	 * head: the driver got the first chain back and reused its head before
	 * the copy was read, so the copy holds one chain for two, and which of
	 * them cannot be told.  Neither is trusted. */
	bool head_twice = fl && fl->chain && fl->elem && !exact && now != UINT64_MAX && fl->taken_seq == now;
	if (head_twice)
		reports_copy_ambiguous(dec, r, fl->elem - 1, fl->chain, head);
	if (fl) {
		/* A head reused while still in flight: exact, the new chain
		 * replaces the old, as a device reading the table now would see
		 * it; in best-effort copies the old one waits for its used
		 * entry, further on in the copy (dec_ring.retired). */
		if (fl->chain && !exact && retire(rs, r, head, fl))
			memset(fl, 0, sizeof(*fl));
		else if (fl->chain)
			inflight_clear(rs, fl);
		fl->chain = c.chain;
		fl->elem = t + 1;
		fl->taken_seq = now;
		fl->writable = c.writable;
		fl->complete = ok && c.complete;
		if (fl->complete)
			keep_writable(rs, fl, &c);
	}
	struct rings_inflight none;
	memset(&none, 0, sizeof(none));
	uint64_t req = 0;
	if (ok)
		req = request_avail(dec, r, &c, fl ? fl : &none);
	if (fl)
		fl->request = req;
	chain_row(dec, r, &c, pos, n_desc, indirect);
	if (req && !from_notify) {
		if (!r->unnotified)
			r->unnotified = calloc(r->size, sizeof(*r->unnotified));
		if (r->unnotified && r->n_unnotified < r->size)
			r->unnotified[r->n_unnotified++] = req;
	}
	struct reports_chain rc = {
		.chain = c.chain, .head = head, .request = req,
		.walk = !ok ? REPORTS_WALK_BROKEN : c.complete ? REPORTS_WALK_OK : REPORTS_WALK_INCOMPLETE,
		.n_out = c.n_readable, .n_in = c.n_segs - c.n_readable, .writable = c.writable,
	};
	reports_on_chain(dec, r, t, &rc);
	if (head_twice)
		reports_copy_ambiguous(dec, r, t, c.chain, head);
}

/* Consume what the avail idx in the shadow says is new. */
static void avail_advance(struct decoder *dec, struct dec_ring *r, bool from_notify)
{
	const struct split_ring ring = ring_of(r);
	uint8_t b[2];
	unsigned f = shadow_read(dec->rings->sm, split_ring_avail_idx_addr(&ring), b, sizeof(b));

	if (!(f & SHADOW_HAVE_ALL))
		return;
	r->avail_looks++;
	uint16_t idx = le16_get(b);
	uint16_t n = split_ring_ahead(idx, r->last_avail);
	if (n == 0)
		return;
	struct vring_fault vf;
	if (split_ring_check_avail(r->size, idx, r->last_avail, &vf) != VRING_OK) {
		/* Only a stream of driver stores proves the jump: snapshots may
		 * simply have missed entries the device consumed meanwhile. */
		bool stores = (r->avail_src & VMT_MEM_DRIVER_WRITE) && !(f & SHADOW_ROUGH);
		ring_violation(dec, r, stores, vf.rule, "%s", vf.msg);
		r->last_avail = idx;
		r->taken += n; /* positions skipped: no chain for them */
		r->uncertain = true;
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		chain_take(dec, r, r->last_avail++, from_notify);
}

/* --- used ring --- */

static void used_row(struct decoder *dec, struct dec_ring *r, uint16_t pos, uint32_t id, uint32_t len, uint64_t chain)
{
	struct dec_val *v = dec_batch_row(dec, DB_USED);

	dec_val_int(&v[0], (sqlite3_int64)dec->ev->seq);
	dec_val_int(&v[1], r->d->id);
	dec_val_int(&v[2], r->q);
	dec_val_int(&v[3], r->generation);
	dec_val_int(&v[4], pos);
	dec_val_int(&v[5], id);
	dec_val_int(&v[6], len);
	if (chain)
		dec_val_int(&v[7], (sqlite3_int64)chain);
	dec_batch_add(dec, DB_USED);
}

static void irq_pending_add(struct rings_dev *rd, uint64_t id)
{
	if (!rd->irq_pending)
		rd->irq_pending = malloc(RINGS_IRQ_PENDING_MAX * sizeof(*rd->irq_pending));
	if (rd->irq_pending && rd->n_irq_pending < RINGS_IRQ_PENDING_MAX) {
		rd->irq_pending[rd->n_irq_pending++] = id;
		return;
	}
	/* Beyond the list: one id range, updated with one statement. */
	if (!rd->over_lo || id < rd->over_lo)
		rd->over_lo = id;
	if (id > rd->over_hi)
		rd->over_hi = id;
}

void rings_irq_note(struct decoder *dec, struct dec_device *d, uint64_t id)
{
	struct rings_dev *rd = dev_state(dec->rings, d);

	if (rd)
		irq_pending_add(rd, id);
}

void rings_inflight_forget(struct decoder *dec, struct dec_ring *r, uint16_t head, uint64_t chain)
{
	struct rings_inflight *f;

	if (head >= r->size)
		return;
	f = NULL;
	for (uint32_t i = 0; i < r->n_retired && !f; i++) {
		struct rings_retired *e = &r->retired[(r->retired_first + i) % r->size];
		if (e->f.chain == chain)
			f = &e->f;
	}
	if (!f && r->inflight && r->inflight[head].chain == chain)
		f = &r->inflight[head];
	if (!f)
		return;
	if (f->wsegs)
		dec->rings->segs_kept -= f->n_wsegs;
	free(f->wsegs);
	f->wsegs = NULL;
	f->n_wsegs = 0;
	f->request = 0;
	f->complete = false;
	f->op_known = false;
}

static void used_apply(struct decoder *dec, struct dec_ring *r, struct rings_inflight *fl, uint32_t id, uint32_t len,
		       bool exact);

/* The device published used ring position pos: take it (true), or wait
 * (false, nothing taken) when a best-effort copy names an id not in flight
 * and no avail copy came since it was first seen: the chain it completed
 * may be in the next avail copy (the used ring was copied later than the
 * avail ring, or first).  The wait ends at the first used copy after an
 * avail copy, or at the ring's end (force), with the anomaly if the id is
 * still not in flight: bounded, so a stray id cannot hold back the
 * entries after it for long. */
static bool used_take(struct decoder *dec, struct dec_ring *r, uint16_t pos, bool force)
{
	struct dec_rings *rs = dec->rings;
	const struct split_ring ring = ring_of(r);
	uint32_t slot = pos % r->size;
	uint8_t b[VIRTQ_USED_ELEM_SIZE];
	unsigned f = shadow_read(rs->sm, split_ring_used_elem_addr(&ring, pos), b, sizeof(b));

	if (!(f & SHADOW_HAVE_ALL)) {
		/* A chain completed that we cannot name: stop trusting absence. */
		r->uncertain = true;
		r->used_wait = false;
		return true;
	}
	bool exact = !(f & SHADOW_ROUGH);
	uint32_t id = le32_get(b), len = le32_get(b + 4);
	struct rings_inflight *fl = id < r->size ? retired_find(r, id) : NULL;
	bool retired = fl != NULL;
	if (!fl && id < r->size && r->inflight && r->inflight[id].chain)
		fl = &r->inflight[id];
	if (!fl && !exact && !force && dec->ev) {
		if (!r->used_wait) {
			r->used_wait = true;
			r->used_wait_looks = r->avail_looks + 1;
			r->used_wait_ev = *dec->ev;
			r->used_wait_ev.data = NULL;
			r->used_wait_ev.len = 0;
			return false;
		}
		if (r->avail_looks < r->used_wait_looks)
			return false;
	}
	/* An entry that waited is the copy's that showed it first. */
	const struct vmt_event *now = dec->ev;
	if (r->used_wait)
		dec->ev = &r->used_wait_ev;
	r->used_wait = false;
	if (!fl)
		ring_violation(dec, r, exact && !r->uncertain, RULE_DEV_USED_ID_NOT_IN_FLIGHT,
			       "used ring slot %u names id %u, which is not the head of a chain in flight", slot, id);
	used_row(dec, r, pos, id, len, fl ? fl->chain : 0);
	if (fl)
		used_apply(dec, r, fl, id, len, exact);
	if (retired)
		retired_compact(r);
	dec->ev = now;
	return true;
}

/* The used entry (id, len) completed the chain in flight fl. */
static void used_apply(struct decoder *dec, struct dec_ring *r, struct rings_inflight *fl, uint32_t id, uint32_t len,
		       bool exact)
{
	struct dec_rings *rs = dec->rings;

	if (fl->elem)
		reports_on_used(dec, r, fl->elem - 1, fl->chain, len);
	if (fl->complete && len > fl->writable)
		ring_violation(dec, r, exact, RULE_DEV_USED_LEN_TOO_LONG,
			       "used length %u for head %u exceeds the chain's %llu writable bytes",
			       len, id, (unsigned long long)fl->writable);
	if (fl->request) {
		request_used(dec, r, fl, len);
		struct rings_dev *rd = dev_state(rs, r->d);
		if (rd)
			irq_pending_add(rd, fl->request);
	}
	inflight_clear(rs, fl);
}

static void used_advance(struct decoder *dec, struct dec_ring *r)
{
	const struct split_ring ring = ring_of(r);
	uint8_t b[2];
	unsigned f = shadow_read(dec->rings->sm, split_ring_used_idx_addr(&ring), b, sizeof(b));

	if (!(f & SHADOW_HAVE_ALL))
		return;
	uint16_t idx = le16_get(b);
	uint16_t n = (uint16_t)(idx - r->last_used);
	if (n == 0)
		return;
	struct rings_dev *rd = dev_state(dec->rings, r->d);
	if (rd)
		rd->used_events += (uint16_t)(idx - r->used_seen);
	r->used_seen = idx;
	if (n > r->size) {
		uint16_t back = (uint16_t)(r->last_used - idx);
		bool exact = !(f & SHADOW_ROUGH);
		if (back <= r->size)
			ring_violation(dec, r, exact, RULE_DEV_USED_IDX_BACKWARDS,
				       "used index moved backwards from %u to %u", r->last_used, idx);
		else
			/* Snapshots may have missed entries; device stores may not. */
			ring_violation(dec, r, exact && (r->used_src & VMT_MEM_DEVICE_WRITE), RULE_DEV_USED_IDX_BACKWARDS,
				       "used index jumped from %u to %u, more than the %u-entry queue (or backwards mod 2^16)",
				       r->last_used, idx, r->size);
		r->last_used = idx;
		r->used_wait = false;
		r->uncertain = true;
		return;
	}
	while (r->last_used != idx && used_take(dec, r, r->last_used, false))
		r->last_used++;
}

/* The ring ends: the entry waiting for its chain and those after it in
 * the last copy are taken now (with their anomalies). */
static void used_settle(struct decoder *dec, struct dec_ring *r)
{
	if (r->packed || !r->used_wait)
		return;
	/* They get the seq of the copy the first of them waited in (the
	 * others were seen there or later). */
	const struct vmt_event *now = dec->ev;
	struct vmt_event seen = r->used_wait_ev;
	dec->ev = &seen;
	while (r->last_used != r->used_seen) {
		used_take(dec, r, r->last_used, true);
		r->last_used++;
	}
	dec->ev = now;
}

/* --- packed rings --- */

/* The queue's areas as the packed walker's ring (virtio/packed_ring.h). */
static struct packed_ring packed_of(const struct dec_ring *r)
{
	return (struct packed_ring){
		.num = r->size, .desc = r->desc, .driver_event = r->avail, .device_event = r->used,
		.indirect_ok = (rings_features(r->d) & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)) != 0,
	};
}

/* A packed position as the avail_idx / pos columns hold it: the slot with
 * the wrap counter in bit 15 (as the event suppression structure writes
 * a position). */
static uint16_t packed_pos_word(struct packed_pos p)
{
	return (uint16_t)(p.slot | (p.wrap ? 0x8000u : 0));
}

/* Walk the chain starting at r->drv (its first descriptor is available).
 * As walk_chain; *pk says how many slots it took and its buffer id. */
static bool packed_walk(struct decoder *dec, struct dec_ring *r, bool exact, struct rings_chain *c,
			struct packed_chain *pk, uint32_t *n_desc, bool *used_indirect)
{
	struct dec_rings *rs = dec->rings;
	struct packed_ring ring = packed_of(r);
	struct walk_ctx w = { .dec = dec, .c = c, .segs = rs->scratch, .cap = rs->scratch_cap };

	c->segs = rs->scratch;
	int rc = packed_ring_walk(&ring, r->drv, &walk_ops, &w, pk);
	return walk_result(dec, r, exact, c, &pk->c, rc, n_desc, used_indirect);
}

static bool packed_used_one(struct decoder *dec, struct dec_ring *r, bool stray);

/* Ring slots between the device's used position and the driver's: those
 * the device holds (0..size; a position is its slot plus size in the
 * lap whose wrap counter is 0). */
static uint32_t packed_held(const struct dec_ring *r)
{
	uint32_t m = 2 * r->size;
	uint32_t drv = r->drv.slot + (r->drv.wrap ? 0 : r->size), dev = r->dev.slot + (r->dev.wrap ? 0 : r->size);

	return (drv + m - dev) % m;
}

/* The driver made the chain at r->drv available: decode it and move
 * r->drv past it.  exact: the first descriptor's bytes were exact. */
static void packed_chain_take(struct decoder *dec, struct dec_ring *r, bool from_notify, bool exact)
{
	struct dec_rings *rs = dec->rings;
	uint64_t t = r->taken++;
	struct packed_pos start = r->drv;
	struct packed_chain pk;
	struct rings_chain c = { .chain = ++rs->next_chain };
	uint32_t n_desc = 0;
	bool indirect = false;

	if (!exact)
		c.mem = RINGS_MEM_BEST_EFFORT;
	uint32_t held = packed_held(r);
	bool ok = packed_walk(dec, r, exact, &c, &pk, &n_desc, &indirect);
	/* The walk read at least the first descriptor: it takes a slot. */
	uint32_t slots = pk.slots ? pk.slots : 1;
	packed_ring_advance(&r->drv, r->size, slots);
	/* Without its last descriptor the chain's id and length are not
	 * known: what follows in the ring is guessed from here on. */
	if (!pk.have_id)
		r->uncertain = true;
	struct vring_fault vf;
	bool id_ok = pk.have_id && packed_ring_check_id(r->size, start.slot, pk.id, &vf) == VRING_OK;
	if (pk.have_id && !id_ok) {
		ring_violation(dec, r, exact && !pk.c.rough, vf.rule, "%s", vf.msg);
		ok = false;
	}
	/* The slots the device holds (taken, not yet used) and this chain's
	 * cannot pass the ring (B05): more means the driver offered slots
	 * the device had not given back.  As the emulator checks it, after
	 * the walk and the id.  Only a stream of driver stores shows every
	 * used descriptor: in copies the driver may have overwritten used
	 * descriptors of a whole lap before the copy, and the device's
	 * position lags. */
	bool stores = (r->avail_src & VMT_MEM_DRIVER_WRITE) && !(r->avail_src & VMT_MEM_SNAPSHOT);
	if (ok && stores && held + slots > r->size) {
		ring_violation(dec, r, exact && !pk.c.rough && !r->uncertain, RULE_RING_AVAIL_JUMP,
			       "chain at slot %u: %u more descriptors available while the device holds %u of a %u-entry ring",
			       start.slot, slots, held, r->size);
		ok = false;
		r->uncertain = true;
	}
	/* chains.head is the buffer id (what used descriptors name); the
	 * first slot if the id is unknown or out of range. */
	c.head = id_ok ? pk.id : start.slot;

	/* The driver reuses an id only once its chain was used: if it is
	 * still in flight here, its used descriptor is in this copy, ahead
	 * at the device's position (behind out-of-order ones): take those
	 * first. */
	for (uint32_t i = 0; id_ok && r->inflight && r->inflight[pk.id].chain && i < r->size; i++)
		if (!packed_used_one(dec, r, true))
			break;
	if (id_ok && !r->inflight) {
		r->inflight = calloc(r->size, sizeof(*r->inflight));
		r->id_slots = calloc(r->size, sizeof(*r->id_slots));
		if (!r->inflight || !r->id_slots) {
			free(r->inflight);
			free(r->id_slots);
			r->inflight = NULL;
			r->id_slots = NULL;
			r->uncertain = true;
		}
	}
	struct rings_inflight *fl = id_ok && r->inflight ? &r->inflight[pk.id] : NULL;
	if (fl) {
		/* An id reused while still in flight replaces the old chain. */
		if (fl->chain)
			inflight_clear(rs, fl);
		fl->chain = c.chain;
		fl->elem = t + 1;
		fl->taken_seq = dec->ev ? dec->ev->seq : UINT64_MAX;
		fl->writable = c.writable;
		fl->complete = ok && c.complete;
		if (fl->complete)
			keep_writable(rs, fl, &c);
		r->id_slots[pk.id] = (uint16_t)slots;
	}
	struct rings_inflight none;
	memset(&none, 0, sizeof(none));
	uint64_t req = 0;
	if (ok)
		req = request_avail(dec, r, &c, fl ? fl : &none);
	if (fl)
		fl->request = req;
	chain_row(dec, r, &c, packed_pos_word(start), n_desc, indirect);
	if (req && !from_notify) {
		if (!r->unnotified)
			r->unnotified = calloc(r->size, sizeof(*r->unnotified));
		if (r->unnotified && r->n_unnotified < r->size)
			r->unnotified[r->n_unnotified++] = req;
	}
	struct reports_chain rc = {
		.chain = c.chain, .head = c.head, .request = req,
		.walk = !ok ? REPORTS_WALK_BROKEN : c.complete ? REPORTS_WALK_OK : REPORTS_WALK_INCOMPLETE,
		.n_out = c.n_readable, .n_in = c.n_segs - c.n_readable, .writable = c.writable,
	};
	reports_on_chain(dec, r, t, &rc);
}

/* If the driver made a chain available at r->drv, decode it (or skip the
 * slot if the device already used it) and return true. */
static bool packed_avail_one(struct decoder *dec, struct dec_ring *r, bool from_notify)
{
	const struct packed_ring ring = packed_of(r);
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;
	unsigned f = shadow_read(dec->rings->sm, packed_ring_desc_addr(&ring, r->drv.slot), b, sizeof(b));

	if (!(f & SHADOW_HAVE_ALL))
		return false;
	packed_ring_desc_decode(b, &d);
	/* Exact stores show every descriptor the driver makes available: a
	 * used one at its position then is a device writing where nothing
	 * is in flight, or a driver setting both bits (nothing offered;
	 * a device waits).  Only copies can be late. */
	bool stores = (r->avail_src & (VMT_MEM_DRIVER_WRITE | VMT_MEM_DEVICE_WRITE)) &&
		      !(r->avail_src & VMT_MEM_SNAPSHOT) && !(f & SHADOW_ROUGH);
	if (packed_ring_desc_used(d.flags, r->drv.wrap) && !stores) {
		/* Made available and used before the trace showed it
		 * available (a late copy): its chain is lost, and how many
		 * slots it took with it.  The used descriptor in its slot
		 * names its id when the device completes in order: that id
		 * is noted lost, and a used descriptor naming it is matched
		 * to the lost chain before any chain in flight (a chain
		 * taken after it may reuse the id only once the lost one was
		 * used).  Otherwise one stray id is excused per lost chain:
		 * also when that id is in flight now (the lost chain cannot
		 * have it: the device completed out of order). */
		r->uncertain = true;
		r->taken++;
		bool busy = d.next < r->size && r->inflight && r->inflight[d.next].chain;
		if (!busy && d.next < r->size && !r->lost_ids)
			r->lost_ids = calloc(r->size, sizeof(*r->lost_ids));
		if (!busy && d.next < r->size && r->lost_ids && r->lost_ids[d.next] < UINT16_MAX)
			r->lost_ids[d.next]++;
		else if (r->n_lost < r->size)
			r->n_lost++;
		packed_ring_advance(&r->drv, r->size, 1);
		return true;
	}
	if (!packed_ring_desc_avail(d.flags, r->drv.wrap))
		return false;
	packed_chain_take(dec, r, from_notify, !(f & SHADOW_ROUGH));
	return true;
}

/* If the device wrote a used descriptor at r->dev (naming a chain in
 * flight, or with stray anything), take it and return true. */
static bool packed_used_one(struct decoder *dec, struct dec_ring *r, bool stray)
{
	struct dec_rings *rs = dec->rings;
	const struct packed_ring ring = packed_of(r);
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;
	unsigned f = shadow_read(rs->sm, packed_ring_desc_addr(&ring, r->dev.slot), b, sizeof(b));

	if (!(f & SHADOW_HAVE_ALL))
		return false;
	packed_ring_desc_decode(b, &d);
	if (!packed_ring_desc_used(d.flags, r->dev.wrap))
		return false;
	bool exact = !(f & SHADOW_ROUGH);
	/* Written by the driver's own store, it is a descriptor with both
	 * bits set wrongly, not the device's used one. */
	if (exact && (r->used_src & (VMT_MEM_DRIVER_WRITE | VMT_MEM_DEVICE_WRITE | VMT_MEM_SNAPSHOT)) == VMT_MEM_DRIVER_WRITE)
		return false;
	uint16_t id = d.next;
	struct packed_pos at = r->dev;
	bool lost_id = id < r->size && r->lost_ids && r->lost_ids[id];
	struct rings_inflight *fl = NULL;
	if (!lost_id && id < r->size && r->inflight && r->inflight[id].chain)
		fl = &r->inflight[id];
	if (!fl && !lost_id && !stray)
		return false;
	if (lost_id)
		r->lost_ids[id]--;
	struct rings_dev *rd = dev_state(rs, r->d);
	if (rd)
		rd->used_events++;
	uint32_t slots = fl && r->id_slots[id] ? r->id_slots[id] : 1;
	if (!fl && !lost_id) {
		bool lost = r->n_lost > 0;
		if (lost)
			r->n_lost--;
		else
			ring_violation(dec, r, exact && !r->uncertain, RULE_DEV_USED_ID_NOT_IN_FLIGHT,
				       "used descriptor at slot %u names buffer id %u, which is not a chain in flight",
				       at.slot, id);
		/* How far the device skipped is unknown. */
		r->uncertain = true;
	}
	used_row(dec, r, packed_pos_word(at), id, d.len, fl ? fl->chain : 0);
	if (fl)
		used_apply(dec, r, fl, id, d.len, exact);
	packed_ring_advance(&r->dev, r->size, slots);
	return true;
}

/* Follow both positions as far as the shadow shows.  A used descriptor
 * naming a chain in flight goes first (the driver may reuse its id for
 * the next chain in the same copy), then new chains, then a used
 * descriptor naming none (a chain made available since, or a stray id).
 * Each step takes at least one slot on one side: at most 2 * size + 2. */
static void packed_follow(struct decoder *dec, struct dec_ring *r, bool from_notify)
{
	for (uint32_t step = 0; step < 2 * r->size + 2; step++) {
		if (packed_used_one(dec, r, false))
			continue;
		if (packed_avail_one(dec, r, from_notify))
			continue;
		if (!packed_used_one(dec, r, true))
			return;
	}
}

/* Does [a, a + len) overlap [b, b + blen)? */
static bool ranges_meet(uint64_t a, uint64_t len, uint64_t b, uint64_t blen)
{
	if (len == 0 || blen == 0)
		return false;
	return a <= b ? b - a < len : a - b < blen;
}

/* A store or copy [a, a + len) on packed ring r: follow both positions if
 * it touched the slot at either.  A snapshot of a ring longer than one
 * event comes in pieces, in order: only the piece holding the ring's last
 * byte is followed, when the whole copy is in the shadow (an earlier
 * piece would pair new used descriptors with stale chains). */
static void packed_on_mem(struct decoder *dec, struct dec_ring *r, const struct vmt_event *ev)
{
	const struct packed_ring ring = packed_of(r);
	uint64_t ring_len = packed_ring_desc_bytes(r->size);

	if ((ev->flags & VMT_MEM_SNAPSHOT) && ranges_meet(ev->addr, ev->len, ring.desc, ring_len)) {
		if (!ranges_meet(ev->addr, ev->len, ring.desc + ring_len - 1, 1))
			return;
		r->avail_src = r->used_src = ev->flags;
		packed_follow(dec, r, false);
		return;
	}
	bool drv = ranges_meet(ev->addr, ev->len, packed_ring_desc_addr(&ring, r->drv.slot), VIRTQ_DESC_SIZE);
	bool dev = ranges_meet(ev->addr, ev->len, packed_ring_desc_addr(&ring, r->dev.slot), VIRTQ_DESC_SIZE);

	if (drv)
		r->avail_src = ev->flags;
	if (dev)
		r->used_src = ev->flags;
	if (drv || dev)
		packed_follow(dec, r, false);
}

/* --- hooks --- */

/* Does a store [a, a + len) touch the 2-byte field at f? */
static bool overlaps(uint64_t a, uint64_t len, uint64_t f)
{
	if (len == 0)
		return false;
	if (f >= a)
		return f - a < len;
	return a - f < 2;
}

void rings_on_mem(struct decoder *dec, const struct vmt_event *ev)
{
	struct dec_rings *rs = dec->rings;

	if (!rs || !ev->data || ev->len == 0)
		return;
	shadow_write(rs->sm, ev->addr, ev->data, ev->len, (ev->flags & VMT_MEM_BEST_EFFORT) != 0);
	if (ev->flags & VMT_MEM_DEVICE_WRITE)
		rs->dev_writes_seen = true;
	/* Decoding never ends a queue, so the live list is stable here. */
	for (unsigned i = 0; i < rs->n_live; i++) {
		struct dec_ring *r = rs->live[i];
		if (r->packed) {
			packed_on_mem(dec, r, ev);
			continue;
		}
		const struct split_ring ring = ring_of(r);
		if (overlaps(ev->addr, ev->len, split_ring_avail_idx_addr(&ring))) {
			r->avail_src = ev->flags;
			avail_advance(dec, r, false);
		}
		if (overlaps(ev->addr, ev->len, split_ring_used_idx_addr(&ring))) {
			r->used_src = ev->flags;
			used_advance(dec, r);
		}
	}
}

void rings_on_notify(struct decoder *dec, struct dec_device *d, unsigned q)
{
	struct dec_rings *rs = dec->rings;
	struct dec_ring *r;

	if (!rs || q >= DEC_QUEUES_MAX || !(r = d->q[q].ring))
		return;
	if (r->packed)
		packed_follow(dec, r, true);
	else
		avail_advance(dec, r, true);
	/* Requests made visible by stores since the last kick: this notify
	 * is the one that announced them. */
	for (uint32_t i = 0; i < r->n_unnotified; i++)
		req_notified(dec, &rs->req, r->unnotified[i]);
	r->n_unnotified = 0;
}

/* Can we tell whether a used entry was published?  Only if the source
 * records device stores and every live queue's used idx is known exactly. */
static bool used_memory_known(const struct decoder *dec, const struct dec_device *d)
{
	const struct dec_rings *rs = dec->rings;
	unsigned live = 0;

	if (!rs->dev_writes_seen)
		return false;
	for (unsigned q = 0; q < DEC_QUEUES_MAX; q++) {
		const struct dec_ring *r = d->q[q].ring;
		if (!r)
			continue;
		const struct split_ring ring = ring_of(r);
		const struct packed_ring pring = packed_of(r);
		unsigned f = r->packed ? shadow_probe(rs->sm, packed_ring_desc_addr(&pring, r->dev.slot), VIRTQ_DESC_SIZE)
				       : shadow_probe(rs->sm, split_ring_used_idx_addr(&ring), 2);
		if (!(f & SHADOW_HAVE_ALL) || (f & SHADOW_ROUGH) || r->uncertain)
			return false;
		live++;
	}
	return live > 0;
}

static void irq_flush(struct decoder *dec, struct dec_device *d, struct rings_dev *rd)
{
	for (uint32_t i = 0; i < rd->n_irq_pending; i++)
		req_interrupted(dec, &dec->rings->req, rd->irq_pending[i]);
	rd->n_irq_pending = 0;
	if (rd->over_lo) {
		req_interrupted_range(dec, &dec->rings->req, d->id, rd->over_lo, rd->over_hi);
		rd->over_lo = rd->over_hi = 0;
	}
}

void rings_on_interrupt(struct decoder *dec, struct dec_device *d, uint32_t status, bool status_read)
{
	struct dec_rings *rs = dec->rings;
	struct rings_dev *rd;

	if (!rs || !(status & VIRTIO_MMIO_INT_VRING) || !(rd = dev_state(rs, d)))
		return;
	/* Bit 0 stays set from a used entry until the driver acknowledges it,
	 * so a read is checked against the last ACK, not the last read. */
	if (status_read && rd->used_events == rd->used_at_ack && used_memory_known(dec, d))
		dec_violation(dec, d, RULE_DEV_INTERRUPT_SPURIOUS,
			      "InterruptStatus 0x%x has the used-buffer bit set, but no queue published a used entry since the last acknowledgement",
			      status);
	irq_flush(dec, d, rd);
}

void rings_on_ack(struct decoder *dec, struct dec_device *d, uint32_t value)
{
	struct dec_rings *rs = dec->rings;
	struct rings_dev *rd;

	if (!rs || !(value & VIRTIO_MMIO_INT_VRING) || !(rd = dev_state(rs, d)))
		return;
	rd->used_at_ack = rd->used_events;
}
