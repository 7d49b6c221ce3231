/* Best-effort virtqueue snapshots out of a running guest's RAM (ring_snap.h). */
#include "capture/qemu/ring_snap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/qemu/guest_ram.h"
#include "virtio/mmio_regs.h"
#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"

#define LEGACY_PAGE_DEFAULT 4096u  /* what Linux writes to GuestPageSize */

/* Writable buffers of a chain, as its descriptors said when it was made
 * available.  The driver may free and reuse an indirect table as soon as
 * it has seen the used entry, often before vmtrace gets to look, so the
 * device's output is fetched from where the chain pointed at notify time. */
#define SEGS_PER_HEAD 8
#define SEGS_UNKNOWN 0xffu /* not recorded, or more than SEGS_PER_HEAD */

struct snap_seg {
	uint64_t addr;
	uint32_t len;
};

struct snap_queue {
	uint32_t num;
	struct snap_seg *segs; /* num * SEGS_PER_HEAD, allocated at the first snapshot */
	uint8_t *n_segs;       /* per head: count, or SEGS_UNKNOWN */
	uint16_t *slots;       /* packed: per buffer id, ring slots its chain took (0 unknown) */
	uint32_t segs_num;     /* num the arrays were sized for */
	uint64_t desc, avail, used; /* Version 2 addresses, as written */
	uint32_t pfn, align;        /* Version 1 */
	bool ready;
	uint16_t seen_avail; /* avail idx as of the last snapshot */
	uint16_t seen_used;  /* used idx as of the last snapshot */
	/* Packed rings: the next slot the driver makes available and the next
	 * one the device marks used, with their wrap counters; segs, n_segs
	 * and slots are indexed by buffer id. */
	struct packed_pos drv, dev;
};

struct snap_dev {
	uint64_t base;
	uint32_t version; /* as read from Version; 0 until then */
	uint32_t page_size;
	uint32_t sel;
	uint32_t feat_sel;   /* DriverFeaturesSel */
	uint32_t feat_hi;    /* DriverFeatures bits 32..63 as written */
	struct snap_queue q[RING_SNAP_QUEUES_MAX];
};

struct ring_snap {
	const struct guest_ram *ram;
	ring_snap_emit_fn emit;
	void *ctx;
	struct snap_dev *dev[RING_SNAP_DEVICES_MAX];
	unsigned n_dev;
	uint64_t ts_ns;  /* of the access being handled */
	uint64_t budget; /* bytes left for this trigger */
	uint8_t *ring;   /* copy of an avail or used ring */
	uint8_t *table;  /* copy of a descriptor table */
	uint8_t *indirect; /* copy of an indirect table */
	uint8_t *buf;    /* copy of one buffer */
	uint64_t segs_total; /* bytes of per-head records, all queues */
	struct ring_snap_stats stats;
};

/* Largest copies, sized for the largest split ring (2^15 entries). */
#define RING_COPY_MAX (6u + 8u * VIRTQ_SIZE_MAX)
#define TABLE_COPY_MAX (VIRTQ_DESC_SIZE * VIRTQ_SIZE_MAX)

/* Bytes the per-head records of a queue of num entries take. */
static uint64_t segs_bytes(uint32_t num)
{
	return (uint64_t)num * (SEGS_PER_HEAD * sizeof(struct snap_seg) + 1 + sizeof(uint16_t));
}

static void queue_clear(struct ring_snap *s, struct snap_queue *q)
{
	s->segs_total -= segs_bytes(q->segs_num);
	free(q->segs);
	free(q->n_segs);
	free(q->slots);
	memset(q, 0, sizeof(*q));
}

/* A new ring: nothing seen of it yet. */
static void queue_restart(struct snap_queue *q)
{
	q->seen_avail = q->seen_used = 0;
	q->drv = q->dev = (struct packed_pos){ .slot = 0, .wrap = true };
	if (q->n_segs)
		memset(q->n_segs, SEGS_UNKNOWN, q->segs_num);
	if (q->slots)
		memset(q->slots, 0, q->segs_num * sizeof(*q->slots));
}

/* The per-head records for q's size; false if memory is short (the
 * snapshot then falls back to walking the chain again at used time). */
static bool queue_segs(struct ring_snap *s, struct snap_queue *q)
{
	if (q->segs && q->segs_num == q->num)
		return true;
	s->segs_total -= segs_bytes(q->segs_num);
	free(q->segs);
	free(q->n_segs);
	free(q->slots);
	q->segs = NULL;
	q->n_segs = NULL;
	q->slots = NULL;
	q->segs_num = 0;
	/* Queue sizes are the guest's choice: the records of all queues
	 * together have a ceiling. */
	if (s->segs_total + segs_bytes(q->num) > RING_SNAP_RECORDS_MAX)
		return false;
	q->segs = malloc((size_t)q->num * SEGS_PER_HEAD * sizeof(*q->segs));
	q->n_segs = malloc(q->num);
	q->slots = calloc(q->num, sizeof(*q->slots));
	if (!q->segs || !q->n_segs || !q->slots) {
		free(q->segs);
		free(q->n_segs);
		free(q->slots);
		q->segs = NULL;
		q->n_segs = NULL;
		q->slots = NULL;
		q->segs_num = 0;
		return false;
	}
	memset(q->n_segs, SEGS_UNKNOWN, q->num);
	q->segs_num = q->num;
	s->segs_total += segs_bytes(q->num);
	return true;
}

int ring_snap_new(struct ring_snap **out, const struct guest_ram *ram, ring_snap_emit_fn emit, void *ctx)
{
	struct ring_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->ram = ram;
	s->emit = emit;
	s->ctx = ctx;
	s->ring = malloc(RING_COPY_MAX);
	s->table = malloc(TABLE_COPY_MAX);
	s->indirect = malloc(TABLE_COPY_MAX);
	s->buf = malloc(RING_SNAP_BUFFER_MAX);
	if (!s->ring || !s->table || !s->indirect || !s->buf) {
		ring_snap_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void ring_snap_free(struct ring_snap *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n_dev; i++) {
		for (unsigned q = 0; q < RING_SNAP_QUEUES_MAX; q++)
			queue_clear(s, &s->dev[i]->q[q]);
		free(s->dev[i]);
	}
	free(s->ring);
	free(s->table);
	free(s->indirect);
	free(s->buf);
	free(s);
}

void ring_snap_get_stats(const struct ring_snap *s, struct ring_snap_stats *st)
{
	*st = s->stats;
}

static struct snap_dev *dev_get(struct ring_snap *s, uint64_t base)
{
	struct snap_dev *d;

	for (unsigned i = 0; i < s->n_dev; i++)
		if (s->dev[i]->base == base)
			return s->dev[i];
	if (s->n_dev == RING_SNAP_DEVICES_MAX || !(d = calloc(1, sizeof(*d))))
		return NULL; /* more devices than any machine has: not followed */
	d->base = base;
	s->dev[s->n_dev++] = d;
	return d;
}

/* --- reading guest RAM within the trigger's budget --- */

/* Copy len bytes at gpa into out if they are in RAM and the budget allows.
 * Copies that fail are counted, never retried. */
static bool ram_copy(struct ring_snap *s, uint64_t gpa, void *out, uint64_t len)
{
	if (len > s->budget) {
		s->stats.truncated++;
		return false;
	}
	if (!guest_ram_read(s->ram, gpa, out, len)) {
		s->stats.unreadable++;
		return false;
	}
	s->budget -= len;
	s->stats.bytes += len;
	return true;
}

/* Emit data (a copy of guest RAM at gpa) as snapshot events of at most
 * VMT_EVENT_DATA_MAX bytes each. */
static int emit_mem(struct ring_snap *s, uint64_t gpa, const uint8_t *data, uint64_t len, uint16_t extra_flags)
{
	while (len) {
		uint32_t n = len > VMT_EVENT_DATA_MAX ? VMT_EVENT_DATA_MAX : (uint32_t)len;
		struct vmt_event ev = {
			.ts_ns = s->ts_ns,
			.type = VMT_EV_MEM,
			.source = VMT_SRC_QEMU,
			.flags = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT | extra_flags,
			.addr = gpa,
			.len = n,
			.data = data,
		};
		int r = s->emit(s->ctx, &ev);
		if (r < 0)
			return r;
		s->stats.events++;
		gpa += n;
		data += n;
		len -= n;
	}
	return 0;
}

/* Copy and emit one buffer, at most RING_SNAP_BUFFER_MAX bytes of it. */
static int snap_buffer(struct ring_snap *s, uint64_t addr, uint64_t len)
{
	uint64_t n = len > RING_SNAP_BUFFER_MAX ? RING_SNAP_BUFFER_MAX : len;
	uint16_t flags = 0;

	if (n > s->budget)
		n = s->budget;
	if (n < len) {
		flags = VMT_MEM_TRUNCATED;
		s->stats.truncated++;
	}
	if (n == 0 || !ram_copy(s, addr, s->buf, n))
		return 0;
	return emit_mem(s, addr, s->buf, n, flags);
}

/* --- chains --- */

/* A chain walk over the copies of this trigger (split_ring.h, salvaging:
 * the decoder judges the chain, we only copy what it may read). */
struct snap_walk {
	struct ring_snap *s;
	uint64_t desc;        /* the ring's table, copied in s->table */
	uint32_t num;
	bool have_ind;        /* s->indirect holds ind_len bytes at ind_gpa */
	uint64_t ind_gpa;
	uint32_t ind_len;
	bool want_write;      /* copy device-written buffers (else driver-filled) */
	uint64_t used_len;    /* want_write: bytes the device says it wrote, left */
	struct snap_seg *rec; /* driver side: the chain's writable buffers, noted */
	uint8_t *n_rec;
};

/* Is [gpa, gpa + len) inside the len_copy bytes copied from base? */
static bool in_copy(uint64_t base, uint64_t len_copy, uint64_t gpa, uint32_t len)
{
	return gpa >= base && gpa - base <= len_copy && len <= len_copy - (gpa - base);
}

static int walk_read(void *ctx, uint64_t gpa, void *dst, uint32_t len)
{
	struct snap_walk *w = ctx;

	if (w->have_ind && in_copy(w->ind_gpa, w->ind_len, gpa, len))
		memcpy(dst, w->s->indirect + (gpa - w->ind_gpa), len);
	else if (in_copy(w->desc, virtq_desc_bytes(w->num), gpa, len))
		memcpy(dst, w->s->table + (gpa - w->desc), len);
	else
		return VRING_MEM_MISSING;
	return VRING_MEM_EXACT;
}

/* Every buffer is tried; one outside RAM is counted by snap_buffer. */
static bool walk_contains(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	(void)gpa;
	(void)len;
	return true;
}

/* An indirect table is copied once, emitted (the decoder walks it) and
 * followed. */
static int walk_indirect(void *ctx, uint64_t table, uint32_t bytes, const struct vring_place *at)
{
	struct snap_walk *w = ctx;

	(void)at;
	if (!ram_copy(w->s, table, w->s->indirect, bytes)) {
		if (w->n_rec) /* out of budget or RAM: buffers unknown, not absent */
			*w->n_rec = SEGS_UNKNOWN;
		return VRING_STOPPED;
	}
	w->have_ind = true;
	w->ind_gpa = table;
	w->ind_len = bytes;
	return emit_mem(w->s, table, w->s->indirect, bytes, 0);
}

static int walk_buf(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct snap_walk *w = ctx;
	bool is_write = (d->flags & VIRTQ_DESC_F_WRITE) != 0;

	(void)at;
	if (w->rec && is_write && d->len && *w->n_rec != SEGS_UNKNOWN) {
		if (*w->n_rec < SEGS_PER_HEAD)
			w->rec[(*w->n_rec)++] = (struct snap_seg){ d->addr, d->len };
		else
			*w->n_rec = SEGS_UNKNOWN;
	}
	if (is_write != w->want_write || !d->len)
		return 0;
	uint64_t len = d->len;
	if (w->want_write) {
		/* Of a used chain, only the bytes the device says it wrote. */
		if (w->used_len == 0)
			return VRING_STOPPED;
		if (len > w->used_len)
			len = w->used_len;
		w->used_len -= len;
	}
	return snap_buffer(w->s, d->addr, len);
}

static const struct vring_ops walk_ops = {
	.read = walk_read,
	.contains = walk_contains,
	.on_indirect = walk_indirect,
	.on_buf = walk_buf,
	.salvage = true,
};

/* Emit the buffers of the chain at head (< num) in the table at desc
 * (copied in s->table) that the driver filled (want_write false) or the
 * device filled (want_write true, at most used_len bytes in all), through
 * the shared walker: at most num hops in each table, so a loop cannot keep
 * us here.  With rec (driver side only), the chain's writable buffers are
 * noted there for its used entry.  Returns 0 or the emit callback's
 * negative error. */
static int walk_chain(struct ring_snap *s, uint64_t desc, uint32_t num, uint16_t head, bool want_write,
		      uint64_t used_len, struct snap_seg *rec, uint8_t *n_rec)
{
	/* INDIRECT_DESC is followed whatever was negotiated: the decoder
	 * says whether it was. */
	struct split_ring ring = { .num = num, .desc = desc, .indirect_ok = true };
	struct snap_walk w = { .s = s, .desc = desc, .num = num, .want_write = want_write, .used_len = used_len,
			       .rec = rec, .n_rec = n_rec };
	struct vring_chain out;
	int r = split_ring_walk(&ring, head, &walk_ops, &w, &out);

	return r < 0 ? r : 0;
}

/* --- queues --- */

static bool is_legacy(const struct snap_dev *d, const struct snap_queue *q)
{
	return d->version == VIRTIO_MMIO_VERSION_LEGACY || (d->version == 0 && q->pfn != 0);
}

/* Where the three areas of a live queue are. False if it is not live or
 * its layout makes no sense (the decoder says why). */
static bool queue_areas(const struct snap_dev *d, const struct snap_queue *q, uint64_t *desc, uint64_t *avail,
			uint64_t *used)
{
	if (q->num == 0 || q->num > VIRTQ_SIZE_MAX)
		return false;
	if (is_legacy(d, q)) {
		uint64_t page = d->page_size ? d->page_size : LEGACY_PAGE_DEFAULT;
		uint64_t align = q->align ? q->align : SPLIT_RING_LEGACY_ALIGN_DEFAULT; /* never written */
		if (!q->pfn)
			return false;
		*desc = (uint64_t)q->pfn * page;
		return split_ring_legacy_layout(*desc, q->num, align, avail, used) == 0;
	}
	if (!q->ready)
		return false;
	*desc = q->desc;
	*avail = q->avail;
	*used = q->used;
	return true;
}

/* The chains the driver made available since the last snapshot, then the
 * avail ring itself: the decoder walks chains when the ring's idx lands. */
static int snap_avail(struct ring_snap *s, struct snap_queue *q, uint64_t desc, uint64_t avail)
{
	uint64_t ring_len = virtq_avail_bytes(q->num);
	uint16_t idx, fresh;
	int r;

	/* The ring first: the driver writes descriptors before it publishes
	 * them, so a table read after the ring holds what idx points to. */
	if (!ram_copy(s, avail, s->ring, ring_len))
		return 0;
	idx = le16_get(s->ring + 2);
	fresh = split_ring_ahead(idx, q->seen_avail);
	if (fresh == 0)
		return 0;
	if (fresh > q->num)
		fresh = (uint16_t)q->num;
	if (!ram_copy(s, desc, s->table, virtq_desc_bytes(q->num)))
		return 0;
	if ((r = emit_mem(s, desc, s->table, virtq_desc_bytes(q->num), 0)) < 0)
		return r;
	for (uint16_t k = (uint16_t)(idx - fresh); k != idx; k++) {
		uint16_t head = le16_get(s->ring + 4 + 2u * (k % q->num));
		struct snap_seg *rec = NULL;
		uint8_t *n_rec = NULL;

		if (head >= q->num)
			continue;
		if (queue_segs(s, q)) {
			rec = q->segs + (size_t)head * SEGS_PER_HEAD;
			n_rec = &q->n_segs[head];
			*n_rec = 0;
		}
		if ((r = walk_chain(s, desc, q->num, head, false, 0, rec, n_rec)) < 0)
			return r;
	}
	q->seen_avail = idx;
	return emit_mem(s, avail, s->ring, ring_len, 0);
}

/* Copy the first used_len bytes of the recorded writable buffers. */
static int used_segs(struct ring_snap *s, const struct snap_seg *seg, unsigned n, uint64_t used_len)
{
	for (unsigned i = 0; i < n && used_len; i++) {
		uint64_t len = seg[i].len < used_len ? seg[i].len : used_len;
		int r = snap_buffer(s, seg[i].addr, len);
		if (r < 0)
			return r;
		used_len -= len;
	}
	return 0;
}

/* What the device wrote into the chains it used since the last snapshot,
 * then the used ring. */
static int snap_used(struct ring_snap *s, struct snap_queue *q, uint64_t desc, uint64_t used)
{
	uint64_t ring_len = virtq_used_bytes(q->num);
	uint16_t idx, fresh;
	bool have_table = false;
	int r;

	if (!ram_copy(s, used, s->ring, ring_len))
		return 0;
	idx = le16_get(s->ring + 2);
	fresh = split_ring_ahead(idx, q->seen_used);
	if (fresh == 0)
		return 0;
	if (fresh > q->num)
		fresh = (uint16_t)q->num;
	for (uint16_t k = (uint16_t)(idx - fresh); k != idx; k++) {
		const uint8_t *e = s->ring + 4 + (size_t)VIRTQ_USED_ELEM_SIZE * (k % q->num);
		uint32_t id = le32_get(e), len = le32_get(e + 4);

		if (id >= q->num)
			continue;
		if (q->n_segs && q->segs_num == q->num && q->n_segs[id] != SEGS_UNKNOWN) {
			r = used_segs(s, q->segs + (size_t)id * SEGS_PER_HEAD, q->n_segs[id], len);
			q->n_segs[id] = SEGS_UNKNOWN;
		} else {
			/* Not seen made available: walk what the table says now. */
			if (!have_table && !(have_table = ram_copy(s, desc, s->table, virtq_desc_bytes(q->num))))
				continue;
			r = walk_chain(s, desc, q->num, (uint16_t)id, true, len, NULL, NULL);
		}
		if (r < 0)
			return r;
	}
	q->seen_used = idx;
	return emit_mem(s, used, s->ring, ring_len, 0);
}

/* --- packed rings --- */

/* The device's driver accepted VIRTIO_F_RING_PACKED (a modern device
 * only: legacy ones have no feature bits past 31). */
static bool dev_packed(const struct snap_dev *d)
{
	return d->version != VIRTIO_MMIO_VERSION_LEGACY && (d->feat_hi & (1u << (VIRTIO_F_RING_PACKED - 32))) != 0;
}

/* Emit the buffers of the packed chain at start in the ring copied in
 * s->table that the driver filled, noting its writable buffers in rec
 * (SEGS_PER_HEAD entries, *n_rec of them), through the shared walker
 * (salvaging; at most num ring slots and one table of at most num
 * entries).  Returns 0 or the emit callback's negative error; *out says
 * the chain's id and slots as far as the walk got. */
static int packed_walk(struct ring_snap *s, uint64_t desc, uint32_t num, struct packed_pos start,
		       struct snap_seg *rec, uint8_t *n_rec, struct packed_chain *out)
{
	struct packed_ring ring = { .num = num, .desc = desc, .indirect_ok = true };
	struct snap_walk w = { .s = s, .desc = desc, .num = num, .rec = rec, .n_rec = n_rec };
	int r = packed_ring_walk(&ring, start, &walk_ops, &w, out);

	return r < 0 ? r : 0;
}

/* One copy of a packed ring (its descriptor ring holds what is available
 * and what is used): the buffers of the chains the driver made available
 * since the last copy, what the device wrote into the chains it used
 * since, then the ring itself and the two event suppression areas.  The
 * decoder follows both positions when the ring lands, so the buffers go
 * first.  Nothing is emitted if neither position moved. */
static int snap_packed(struct ring_snap *s, struct snap_queue *q, uint64_t desc, uint64_t drv_ev, uint64_t dev_ev)
{
	uint64_t ring_len = packed_ring_desc_bytes(q->num);
	struct packed_pos drv0 = q->drv, dev0 = q->dev;
	uint8_t ev[PACKED_EVENT_SIZE];
	uint32_t seen;
	int r;

	if (!ram_copy(s, desc, s->table, ring_len))
		return 0;
	bool recs = queue_segs(s, q);
	/* At most num slots each way: no more can be outstanding.  Used
	 * descriptors first: the driver may have reused the id of a chain
	 * used since for a chain made available since. */
	for (seen = 0; seen < q->num;) {
		const uint8_t *b = s->table + (size_t)VIRTQ_DESC_SIZE * q->dev.slot;
		if (!packed_ring_desc_used(le16_get(b + 14), q->dev.wrap))
			break;
		uint16_t id = le16_get(b + 12);
		uint32_t len = le32_get(b + 8), slots = 1;
		if (id < q->num && q->slots && q->segs_num == q->num && q->slots[id]) {
			slots = q->slots[id];
			if (q->n_segs[id] != SEGS_UNKNOWN &&
			    (r = used_segs(s, q->segs + (size_t)id * SEGS_PER_HEAD, q->n_segs[id], len)) < 0)
				return r;
			q->n_segs[id] = SEGS_UNKNOWN;
			q->slots[id] = 0;
		}
		/* A chain never seen available: one slot, the decoder says
		 * what it can of the rest. */
		packed_ring_advance(&q->dev, q->num, slots);
		seen += slots;
	}
	for (seen = 0; seen < q->num;) {
		uint16_t flags = le16_get(s->table + (size_t)VIRTQ_DESC_SIZE * q->drv.slot + 14);
		if (packed_ring_desc_used(flags, q->drv.wrap)) {
			/* Made available and used since the last copy: its
			 * buffers are gone with its first descriptor. */
			packed_ring_advance(&q->drv, q->num, 1);
			seen++;
			continue;
		}
		if (!packed_ring_desc_avail(flags, q->drv.wrap))
			break;
		struct snap_seg tmp[SEGS_PER_HEAD];
		uint8_t n_tmp = 0;
		struct packed_chain pk;
		if ((r = packed_walk(s, desc, q->num, q->drv, tmp, &n_tmp, &pk)) < 0)
			return r;
		uint32_t slots = pk.slots ? pk.slots : 1;
		if (recs && pk.have_id && pk.id < q->num) {
			memcpy(q->segs + (size_t)pk.id * SEGS_PER_HEAD, tmp, sizeof(tmp));
			q->n_segs[pk.id] = n_tmp;
			q->slots[pk.id] = (uint16_t)slots;
		}
		packed_ring_advance(&q->drv, q->num, slots);
		seen += slots;
	}
	if (q->drv.slot == drv0.slot && q->drv.wrap == drv0.wrap && q->dev.slot == dev0.slot &&
	    q->dev.wrap == dev0.wrap)
		return 0;
	if ((r = emit_mem(s, desc, s->table, ring_len, 0)) < 0)
		return r;
	if (ram_copy(s, drv_ev, ev, sizeof(ev)) && (r = emit_mem(s, drv_ev, ev, sizeof(ev), 0)) < 0)
		return r;
	if (ram_copy(s, dev_ev, ev, sizeof(ev)) && (r = emit_mem(s, dev_ev, ev, sizeof(ev), 0)) < 0)
		return r;
	return 0;
}

static int snap_queue(struct ring_snap *s, struct snap_dev *d, struct snap_queue *q)
{
	uint64_t desc, avail, used;
	int r;

	if (!queue_areas(d, q, &desc, &avail, &used))
		return 0;
	if (dev_packed(d))
		return snap_packed(s, q, desc, avail, used);
	if ((r = snap_avail(s, q, desc, avail)) < 0)
		return r;
	return snap_used(s, q, desc, used);
}

/* Copy every live queue of d (both sides), as at an InterruptStatus
 * read. */
static int snap_device(struct ring_snap *s, struct snap_dev *d)
{
	int r = 0;

	for (unsigned i = 0; i < RING_SNAP_QUEUES_MAX && r == 0; i++)
		r = snap_queue(s, d, &d->q[i]);
	return r;
}

/* --- register accesses --- */

/* The last copy of q, whose rings the driver is about to take away (a
 * queue reset or disabled): what the device used since the last trigger
 * is copied before the snapshotter forgets where the rings are. */
static int snap_last(struct ring_snap *s, struct snap_dev *d, struct snap_queue *q)
{
	uint64_t desc, avail, used;

	if (!queue_areas(d, q, &desc, &avail, &used))
		return 0;
	s->stats.triggers++;
	return snap_queue(s, d, q);
}

static void set_low(uint64_t *v, uint64_t low)
{
	*v = (*v & ~UINT64_C(0xffffffff)) | (low & 0xffffffffu);
}

static void set_high(uint64_t *v, uint64_t high)
{
	*v = (*v & 0xffffffffu) | (high & 0xffffffffu) << 32;
}

/* Follow the queue set-up the driver writes (the device accepts or
 * refuses it; either way the decoder reports problems, not us). */
static int on_write(struct ring_snap *s, struct snap_dev *d, uint32_t off, uint64_t v)
{
	struct snap_queue *q = d->sel < RING_SNAP_QUEUES_MAX ? &d->q[d->sel] : NULL;
	int r;

	switch (off) {
	case MMIO_STATUS:
		if (v == 0) {
			/* A last copy before the rings are forgotten: what the
			 * device used since the last trigger (entries the
			 * driver took without touching a register) would
			 * otherwise never be copied. */
			for (unsigned i = 0; i < RING_SNAP_QUEUES_MAX; i++)
				if ((r = snap_last(s, d, &d->q[i])) < 0)
					return r;
			for (unsigned i = 0; i < RING_SNAP_QUEUES_MAX; i++)
				queue_clear(s, &d->q[i]);
			d->feat_hi = 0;
		}
		return 0;
	case MMIO_DRIVER_FEATURES_SEL:
		d->feat_sel = (uint32_t)v;
		return 0;
	case MMIO_DRIVER_FEATURES:
		/* Packed or split: the layout the queues are copied with. */
		if (d->feat_sel == 1)
			d->feat_hi = (uint32_t)v;
		return 0;
	case MMIO_GUEST_PAGE_SIZE:
		d->page_size = (uint32_t)v;
		return 0;
	case MMIO_QUEUE_SEL:
		d->sel = (uint32_t)v;
		return 0;
	}
	if (!q)
		return 0;
	switch (off) {
	case MMIO_QUEUE_NUM:
		q->num = (uint32_t)v;
		break;
	case MMIO_QUEUE_ALIGN:
		q->align = (uint32_t)v;
		break;
	case MMIO_QUEUE_PFN:
		/* A live legacy queue ends: copy it a last time first. */
		if (q->pfn && (r = snap_last(s, d, q)) < 0)
			return r;
		q->pfn = (uint32_t)v;
		queue_restart(q);
		break;
	case MMIO_QUEUE_READY:
		if (!(v & 1) && q->ready && (r = snap_last(s, d, q)) < 0)
			return r;
		if ((v & 1) && !q->ready)
			queue_restart(q);
		q->ready = (v & 1) != 0;
		break;
	case MMIO_QUEUE_RESET:
		if ((v & 1) && (r = snap_last(s, d, q)) < 0)
			return r;
		if (v & 1)
			queue_clear(s, q);
		break;
	case MMIO_QUEUE_DESC_LOW:
		set_low(&q->desc, v);
		break;
	case MMIO_QUEUE_DESC_HIGH:
		set_high(&q->desc, v);
		break;
	case MMIO_QUEUE_DRIVER_LOW:
		set_low(&q->avail, v);
		break;
	case MMIO_QUEUE_DRIVER_HIGH:
		set_high(&q->avail, v);
		break;
	case MMIO_QUEUE_DEVICE_LOW:
		set_low(&q->used, v);
		break;
	case MMIO_QUEUE_DEVICE_HIGH:
		set_high(&q->used, v);
		break;
	}
	return 0;
}

int ring_snap_access(struct ring_snap *s, uint64_t base, uint32_t off, bool write, uint32_t width,
		     uint64_t value, uint64_t ts_ns)
{
	struct snap_dev *d;
	int r = 0;

	/* Control registers are 32 bits wide; other widths do nothing. */
	if (width != 4 || off >= MMIO_CONFIG || !(d = dev_get(s, base)))
		return 0;
	s->ts_ns = ts_ns;
	s->budget = RING_SNAP_TRIGGER_MAX;
	if (write && off == MMIO_QUEUE_NOTIFY) {
		/* With VIRTIO_F_NOTIFICATION_DATA the queue is the low 16 bits. */
		uint32_t qi = (uint32_t)value & 0xffffu;
		if (qi < RING_SNAP_QUEUES_MAX) {
			s->stats.triggers++;
			r = snap_queue(s, d, &d->q[qi]);
		}
	} else if (write) {
		r = on_write(s, d, off, value);
	} else if (off == MMIO_VERSION) {
		if (value == VIRTIO_MMIO_VERSION_LEGACY || value == VIRTIO_MMIO_VERSION_MODERN)
			d->version = (uint32_t)value;
	} else if (off == MMIO_INTERRUPT_STATUS) {
		s->stats.triggers++;
		r = snap_device(s, d);
	}
	return r;
}

int ring_snap_queue(struct ring_snap *s, uint64_t base, uint32_t qi, uint64_t ts_ns)
{
	/* Only a device the register accesses made known: a pop names no
	 * device to start following. */
	for (unsigned i = 0; i < s->n_dev; i++) {
		if (s->dev[i]->base != base)
			continue;
		if (qi >= RING_SNAP_QUEUES_MAX)
			return 0;
		s->ts_ns = ts_ns;
		s->budget = RING_SNAP_TRIGGER_MAX;
		s->stats.triggers++;
		return snap_queue(s, s->dev[i], &s->dev[i]->q[qi]);
	}
	return 0;
}

int ring_snap_all(struct ring_snap *s, uint64_t ts_ns)
{
	int r = 0;

	s->ts_ns = ts_ns;
	for (unsigned i = 0; i < s->n_dev && r == 0; i++) {
		/* Each device its own budget: one busy blk ring must not
		 * starve a keyboard's last events. */
		s->budget = RING_SNAP_TRIGGER_MAX;
		s->stats.triggers++;
		r = snap_device(s, s->dev[i]);
	}
	return r;
}
