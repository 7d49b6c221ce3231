/* Ring snapshots of traces from a running guest (QEMU, BPF): copies of
 * guest memory the recorder took at a QueueNotify write or an
 * InterruptStatus read while the guest kept running, so they may be torn.
 *
 * Per queue the recorder copies the descriptor table, the readable buffers
 * and indirect tables of the chains newly made available and the avail
 * ring (what the driver wrote: replay stores it into the emulator's RAM),
 * then the buffers the device wrote and the used ring (what the device
 * did: replay compares it).  The copies come just before the access that
 * triggered them, taken after the guest made it: driver-owned parts go
 * into RAM before that access runs, device-owned parts are compared after
 * it.  A copy may be from later than its access: the recorded device
 * being ahead is settled at the end (or when the queue is set up again).
 * Packed rings come in another order and are sorted at their descriptor
 * ring (below). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/machine.h"
#include "capture/event.h"
#include "replay/describe.h"
#include "replay/diverge.h"
#include "replay/engine_priv.h"
#include "virtio/virtio.h"

static void apply(struct engine *e, const struct trace_ev *ev)
{
	/* Outside the replay machine's RAM: nothing the device could use. */
	if (ev->len)
		(void)machine_mem_write(e->rig.m, ev->addr, ev->data, ev->len);
}

static void used_entry_text(char *buf, size_t len, const uint8_t *p)
{
	snprintf(buf, len, "id %u len %u", le32_get(p), le32_get(p + 4));
}

/* The recorded device had used buffers up to t->ahead[0].idx by seq
 * t->ahead[0].seq, and the emulated one stopped at ours. */
static void report_missing(struct engine *e, int dev, unsigned q, const struct used_track *t, uint16_t ours)
{
	struct expect_subject s = { .what = EXPECT_USED, .queue = (int)q };
	struct replay_div d;

	memset(&d, 0, sizeof(d));
	d.kind = "missing";
	snprintf(d.where, sizeof(d.where), "used ring of queue %u: idx", q);
	d.has_values = true;
	d.expected = t->ahead[0].idx;
	d.actual = ours;
	d.section = "Virtqueues / The Virtqueue Used Ring";
	snprintf(d.note, sizeof(d.note),
		 "the recorded device had used %u more buffers, which the emulator never did; it uses a buffer when "
		 "notified, or where the recording shows an interrupt it lacks, and gets no input from the trace "
		 "beyond received frames and entropy", (uint16_t)(t->ahead[0].idx - ours));
	diverge_report(e, t->ahead[0].seq, dev, &d, &s);
}

/* Forget what the emulator has caught up with. */
static void prune_ahead(struct used_track *t, uint16_t ours)
{
	unsigned k = 0;

	while (k < t->n_ahead && (uint16_t)(t->ahead[k].idx - ours) - 1u >= 0x7fffu)
		k++;
	if (k == 0)
		return;
	memmove(t->ahead, t->ahead + k, (t->n_ahead - k) * sizeof(*t->ahead));
	t->n_ahead -= k;
}

static void note_ahead(struct used_track *t, uint64_t seq, uint16_t idx)
{
	if (t->n_ahead && (uint16_t)(idx - t->ahead[t->n_ahead - 1].idx) - 1u >= 0x7fffu)
		return; /* not further ahead than already noted */
	if (t->n_ahead == t->cap_ahead) {
		unsigned cap = t->cap_ahead ? t->cap_ahead * 2 : 8;
		struct ahead *n = realloc(t->ahead, cap * sizeof(*n));
		if (!n)
			return;
		t->ahead = n;
		t->cap_ahead = cap;
	}
	t->ahead[t->n_ahead].seq = seq;
	t->ahead[t->n_ahead++].idx = idx;
}

/* Compare the recorded used ring with the emulator's. Entries are compared
 * once, where both sides have published them.  A copy may be from later
 * than the access it came with, so the recorded device being ahead is only
 * a divergence if the emulator never catches up (snapshot_finish). */
static void compare_used(struct engine *e, int dev, unsigned q, const struct virtqueue *vq, const struct trace_ev *ev)
{
	struct dev_state *ds = &e->ds[dev];
	struct used_track *t = &ds->ut[q];
	struct guest_mem *gm = machine_mem(e->rig.m);
	struct expect_subject s = { .what = EXPECT_USED, .queue = (int)q };
	uint16_t rec_idx, ours = vq->used_idx, hi, lo, ahead;

	if (ev->len < 4)
		return;
	/* Set up again (new ring, or reset to 0): settle the old one. */
	if (t->used_addr != vq->used || (uint16_t)(ours - t->last_ours) >= 0x8000u) {
		prune_ahead(t, t->last_ours);
		if (t->n_ahead)
			report_missing(e, dev, q, t, t->last_ours);
		t->n_ahead = 0;
	}
	t->used_addr = vq->used;
	t->last_ours = ours;
	prune_ahead(t, ours);
	rec_idx = le16_get(ev->data + 2);
	ahead = (uint16_t)(rec_idx - ours);
	if (ahead != 0 && ahead < 0x8000) {
		hi = ours;
		note_ahead(t, ev->seq, rec_idx);
	} else {
		hi = rec_idx;
	}
	/* A queue set up again starts from 0. */
	if ((uint16_t)(hi - ds->used_checked[q]) > vq->num)
		ds->used_checked[q] = hi >= vq->num ? (uint16_t)(hi - vq->num) : 0;
	lo = ds->used_checked[q];
	for (uint16_t u = lo; u != hi && !e->stop; u++) {
		uint64_t off = 4 + (uint64_t)VIRTQ_USED_ELEM_SIZE * (u % vq->num);
		const uint8_t *mine = gmem_ptr(gm, vq->used + off, VIRTQ_USED_ELEM_SIZE);
		if (off + VIRTQ_USED_ELEM_SIZE > ev->len || !mine)
			break;
		if (memcmp(ev->data + off, mine, VIRTQ_USED_ELEM_SIZE) != 0) {
			struct replay_div d;
			memset(&d, 0, sizeof(d));
			d.kind = "used";
			snprintf(d.where, sizeof(d.where), "used ring of queue %u: ring[%u] (used idx %u)", q,
				 (unsigned)(u % vq->num), u);
			used_entry_text(d.expected_text, sizeof(d.expected_text), ev->data + off);
			used_entry_text(d.actual_text, sizeof(d.actual_text), mine);
			d.section = "Virtqueues / The Virtqueue Used Ring";
			diverge_report(e, ev->seq, dev, &d, &s);
		}
	}
	ds->used_checked[q] = hi;
}

/* Bytes the recorded device wrote into a buffer: a torn copy cannot be
 * told from a real difference, so a mismatch is counted, not failed. */
static void compare_buffer(struct engine *e, const struct trace_ev *ev)
{
	struct guest_mem *gm = machine_mem(e->rig.m);
	const uint8_t *mine = gmem_ptr(gm, ev->addr, ev->len);
	uint32_t i = 0;
	int dev, q;

	if (!mine || !ev->len)
		return;
	while (i < ev->len && mine[i] == ev->data[i])
		i++;
	if (i == ev->len)
		return;
	if (e->res->unverified++ == 0) {
		struct replay_div *d = &e->res->first_unverified;
		uint32_t n = ev->len - i < 8 ? ev->len - i : 8;
		memset(d, 0, sizeof(*d));
		d->seq = ev->seq;
		d->device = -1;
		d->kind = "device-write";
		describe_gpa(&e->rig, e->t, ev->addr + i, d->where, sizeof(d->where), &dev, &q);
		if (dev >= 0) {
			d->device = e->t->dev[dev].id;
			snprintf(d->device_name, sizeof(d->device_name), "%s", e->t->dev[dev].name);
		}
		diverge_hexbytes(d->expected_text, sizeof(d->expected_text), ev->data + i, n);
		diverge_hexbytes(d->actual_text, sizeof(d->actual_text), mine + i, n);
		snprintf(d->note, sizeof(d->note), "best-effort snapshot: the guest may have reused the buffer before it was copied");
	}
}

/* Keep a device-owned part until its trigger has run. */
static void hold(struct engine *e, const struct trace_ev *ev, int dev, unsigned q, int owner)
{
	struct pending_snap *p;

	if (e->n_pend == e->cap_pend) {
		unsigned cap = e->cap_pend ? e->cap_pend * 2 : 16;
		struct pending_snap *n = realloc(e->pend, cap * sizeof(*n));
		if (!n)
			return; /* not compared: better than failing the replay */
		e->pend = n;
		e->cap_pend = cap;
	}
	p = &e->pend[e->n_pend];
	p->data = malloc(ev->len ? ev->len : 1);
	if (!p->data)
		return;
	if (ev->len)
		memcpy(p->data, ev->data, ev->len);
	p->seq = ev->seq;
	p->addr = ev->addr;
	p->len = ev->len;
	p->dev = dev;
	p->queue = q;
	p->owner = owner;
	e->n_pend++;
}

/* The used ring of device index dev ends a batch: the device-written
 * buffers held before it without an owner were its. */
static void own_buffers(struct engine *e, int dev)
{
	for (unsigned k = 0; k < e->n_pend; k++)
		if (e->pend[k].dev < 0 && e->pend[k].owner < 0)
			e->pend[k].owner = dev;
}

/* --- packed rings ---
 *
 * A packed ring's copy is one batch: the buffers the device wrote into the
 * chains it used since the last copy, the readable buffers and indirect
 * tables of the chains made available since, then the descriptor ring
 * (what is available and what is used, side by side) and the two event
 * suppression areas.  At the ring, the buffers held before it are told
 * apart: those a descriptor the copy shows available points at (directly
 * or through its indirect table) are the driver's and go into RAM, the
 * others are the device's and are compared after the access.  Of the ring
 * only the available descriptors go into RAM (the used ones are the
 * device's: the emulated device writes its own), and the used descriptors
 * are compared after the access with those the emulated device wrote
 * (virtqueue.pub), in its used order. */

/* A position as one number modulo 2 * num (the wrap counter is the lap's
 * parity), and the distance from a to b in slots. */
static uint32_t pk_lin(uint32_t num, struct packed_pos p)
{
	return p.slot + (p.wrap ? 0 : num);
}

static uint32_t pk_dist(uint32_t num, struct packed_pos a, struct packed_pos b)
{
	return (pk_lin(num, b) + 2 * num - pk_lin(num, a)) % (2 * num);
}

static bool pk_same(struct packed_pos a, struct packed_pos b)
{
	return a.slot == b.slot && a.wrap == b.wrap;
}

/* Whether the driver-written range [addr, addr + len) lies in a buffer or
 * indirect table a descriptor of the copy (ring: n slots) shows available
 * points at; an indirect table's readable entries are read from the
 * pending buffer holding it, else from the replay machine's RAM. */
static bool pk_readable(struct engine *e, const uint8_t *ring, uint32_t n, uint64_t addr, uint32_t len)
{
	struct guest_mem *gm = machine_mem(e->rig.m);

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *b = ring + (size_t)VIRTQ_DESC_SIZE * i;
		uint16_t flags = le16_get(b + 14);
		uint64_t da = le64_get(b);
		uint32_t dl = le32_get(b + 8);
		/* Available for one wrap counter or the other: the driver's. */
		if (packed_ring_desc_avail(flags, true) == packed_ring_desc_avail(flags, false))
			continue;
		bool in = addr >= da && addr - da < dl && len <= dl - (addr - da);
		if (!(flags & VIRTQ_DESC_F_INDIRECT)) {
			if (in && !(flags & VIRTQ_DESC_F_WRITE))
				return true;
			continue;
		}
		if (in)
			return true; /* the table itself */
		const uint8_t *tab = NULL;
		for (unsigned k = 0; k < e->n_pend && !tab; k++)
			if (e->pend[k].dev < 0 && e->pend[k].owner < 0 && e->pend[k].addr == da && e->pend[k].len >= dl)
				tab = e->pend[k].data;
		if (!tab)
			tab = gmem_ptr(gm, da, dl);
		for (uint32_t j = 0; tab && j + VIRTQ_DESC_SIZE <= dl; j += VIRTQ_DESC_SIZE) {
			uint64_t ta = le64_get(tab + j);
			uint32_t tl = le32_get(tab + j + 8);
			if (!(le16_get(tab + j + 14) & VIRTQ_DESC_F_WRITE) && addr >= ta && addr - ta < tl &&
			    len <= tl - (addr - ta))
				return true;
		}
	}
	return false;
}

/* The descriptor ring of packed queue q of device index dev was copied
 * (data, len bytes at the ring, event seq): sort the batch's buffers
 * held so far, store what the driver wrote, hold the rest for comparing
 * after the access (hold_ev: the copy as an event, data still the
 * caller's).  skip: the device's ring contents are unverified. */
static void pk_ring_copy(struct engine *e, const struct trace_ev *copy, int dev, unsigned q,
			 const struct virtqueue *vq, bool skip)
{
	uint32_t n = copy->len / VIRTQ_DESC_SIZE;
	unsigned k = 0;

	if (n > vq->num)
		n = vq->num;
	/* First tell them apart (an indirect table is looked up among
	 * them), then store or keep them. */
	bool *readable = calloc(e->n_pend ? e->n_pend : 1, sizeof(*readable));
	for (unsigned i = 0; i < e->n_pend && !skip && readable; i++) {
		const struct pending_snap *p = &e->pend[i];
		readable[i] = p->dev < 0 && p->owner < 0 && pk_readable(e, copy->data, n, p->addr, p->len);
	}
	for (unsigned i = 0; i < e->n_pend; i++) {
		struct pending_snap *p = &e->pend[i];
		if (p->dev >= 0 || p->owner >= 0) {
			e->pend[k++] = *p;
			continue;
		}
		if (skip) {
			free(p->data);
			e->res->events_skipped++;
			continue;
		}
		if (readable && readable[i]) {
			if (p->len)
				(void)machine_mem_write(e->rig.m, p->addr, p->data, p->len);
			free(p->data);
			continue;
		}
		p->owner = dev;
		e->pend[k++] = *p;
	}
	e->n_pend = k;
	free(readable);
	if (skip) {
		e->res->events_skipped++;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *b = copy->data + (size_t)VIRTQ_DESC_SIZE * i;
		uint16_t flags = le16_get(b + 14);
		if (packed_ring_desc_avail(flags, true) != packed_ring_desc_avail(flags, false))
			(void)machine_mem_write(e->rig.m, vq->desc + (uint64_t)VIRTQ_DESC_SIZE * i, b, VIRTQ_DESC_SIZE);
	}
	hold(e, copy, dev, q, dev);
}

/* The recorded device had used a descriptor at t->ahead_at (seen in the
 * copy at t->ahead_seq) that the emulated device never wrote. */
static void pk_report_missing(struct engine *e, int dev, unsigned q, const struct used_track *t)
{
	struct expect_subject s = { .what = EXPECT_USED, .queue = (int)q };
	struct replay_div d;

	memset(&d, 0, sizeof(d));
	d.kind = "missing";
	snprintf(d.where, sizeof(d.where), "descriptor ring of queue %u: used descriptor at slot %u (wrap %u)", q,
		 t->ahead_at.slot, t->ahead_at.wrap);
	snprintf(d.expected_text, sizeof(d.expected_text), "a used descriptor");
	snprintf(d.actual_text, sizeof(d.actual_text), "none written");
	d.section = "Packed Virtqueues / Used Descriptors";
	snprintf(d.note, sizeof(d.note),
		 "the recorded device had used a buffer there, which the emulator never did; it uses a buffer when "
		 "notified, or where the recording shows an interrupt it lacks, and gets no input from the trace "
		 "beyond received frames and entropy");
	diverge_report(e, t->ahead_seq, dev, &d, &s);
}

/* The emulated device's next used position is ours: forget having been
 * behind the recorded device if it got past where that was seen. */
static void pk_catch_up(struct used_track *t, uint32_t num, struct packed_pos ours)
{
	uint32_t d;

	if (!t->pk_ahead)
		return;
	d = pk_dist(num, t->ahead_at, ours);
	if (d != 0 && d <= num)
		t->pk_ahead = false;
}

/* Compare the used descriptors of the recorded copy (ev: the whole ring)
 * with those the emulated device wrote, from where the last comparison
 * stopped to its next used position; each is compared once, where the
 * recorded copy shows it used in that lap.  A slot the driver has made
 * available again is passed over (the used descriptor is gone); one the
 * recorded device has not used yet stops the walk (a copy may be from
 * before its flush).  A copy showing the recorded device used the
 * position the emulated one writes next is noted, reported at the end if
 * the emulated device never gets there. */
static void compare_packed(struct engine *e, int dev, unsigned q, const struct virtqueue *vq, const struct trace_ev *ev)
{
	struct used_track *t = &e->ds[dev].ut[q];
	struct expect_subject s = { .what = EXPECT_USED, .queue = (int)q };
	struct packed_pos pos, ours = vq->next_used;
	uint32_t steps = 0;

	/* Set up again (new ring, or the same one after a reset). */
	if (t->ring != vq->desc || vq->popped < t->popped) {
		if (t->pk_ahead)
			pk_report_missing(e, dev, q, t);
		t->pk_ahead = false;
		t->ring = vq->desc;
		t->chk = (struct packed_pos){ .slot = 0, .wrap = true };
	}
	t->popped = vq->popped;
	pk_catch_up(t, vq->num, ours);
	pos = t->chk;
	/* More than a lap since: the emulated device's record is overwritten. */
	if (pk_dist(vq->num, pos, ours) > vq->num)
		pos = ours;
	while (!pk_same(pos, ours) && steps++ < vq->num && !e->stop) {
		size_t off = (size_t)VIRTQ_DESC_SIZE * pos.slot;
		const struct vq_pub *pub = &vq->pub[pos.slot];
		if (off + VIRTQ_DESC_SIZE > ev->len)
			break;
		uint16_t flags = le16_get(ev->data + off + 14);
		if (packed_ring_desc_used(flags, pos.wrap)) {
			uint16_t id = le16_get(ev->data + off + 12);
			uint32_t len = le32_get(ev->data + off + 8);
			if (id != pub->id || len != pub->len) {
				struct replay_div d;
				memset(&d, 0, sizeof(d));
				d.kind = "used";
				snprintf(d.where, sizeof(d.where), "descriptor ring of queue %u: used descriptor at slot %u (wrap %u)",
					 q, pos.slot, pos.wrap);
				snprintf(d.expected_text, sizeof(d.expected_text), "id %u len %u", id, len);
				snprintf(d.actual_text, sizeof(d.actual_text), "id %u len %u", pub->id, pub->len);
				d.section = "Packed Virtqueues / Used Descriptors";
				diverge_report(e, ev->seq, dev, &d, &s);
			}
		} else if (!packed_ring_desc_avail(flags, !pos.wrap)) {
			break; /* not used yet in the copy */
		}
		packed_ring_advance(&pos, vq->num, pub->slots ? pub->slots : 1);
	}
	t->chk = pos;
	if (pk_same(pos, ours) && !t->pk_ahead && (size_t)VIRTQ_DESC_SIZE * (ours.slot + 1u) <= ev->len &&
	    packed_ring_desc_used(le16_get(ev->data + (size_t)VIRTQ_DESC_SIZE * ours.slot + 14), ours.wrap)) {
		t->pk_ahead = true;
		t->ahead_seq = ev->seq;
		t->ahead_at = ours;
	}
}

/* A piece of a packed descriptor ring copied in several events: gather
 * it; true if ev was one (the whole ring is handled once in). */
static bool pk_piece(struct engine *e, const struct trace_ev *ev)
{
	struct pk_pieces *pc = &e->pieces;

	if (!pc->need)
		return false;
	if (ev->addr != pc->addr + pc->have || ev->len > pc->need - pc->have || !ev->len) {
		/* Not the next piece: the copy stopped short (its budget). */
		free(pc->data);
		memset(pc, 0, sizeof(*pc));
		return false;
	}
	memcpy(pc->data + pc->have, ev->data, ev->len);
	pc->have += ev->len;
	if (pc->have == pc->need) {
		struct emu_device *d = e->rig.dev[pc->dev];
		const struct virtqueue *vq = d ? emu_queue(d, pc->queue) : NULL;
		struct trace_ev whole = { .seq = pc->seq, .type = TEV_MEM, .mem_kind = TMEM_SNAPSHOT, .addr = pc->addr,
					  .data = pc->data, .len = pc->need, .device = -1 };
		if (vq && vq->packed && vq->desc == pc->addr)
			pk_ring_copy(e, &whole, pc->dev, pc->queue, vq, e->ds[pc->dev].unverified);
		free(pc->data);
		memset(pc, 0, sizeof(*pc));
	}
	return true;
}

/* The first event of a packed ring's copy at vq->desc. */
static void pk_ring_start(struct engine *e, const struct trace_ev *ev, int dev, unsigned q, const struct virtqueue *vq,
			  bool skip)
{
	uint64_t bytes = packed_ring_desc_bytes(vq->num);

	e->driver_phase = false;
	e->batch_dev = dev;
	if (ev->len >= bytes || skip) {
		pk_ring_copy(e, ev, dev, q, vq, skip);
		return;
	}
	/* More pieces follow. */
	struct pk_pieces *pc = &e->pieces;
	pc->data = malloc(bytes);
	if (!pc->data) {
		pk_ring_copy(e, ev, dev, q, vq, skip); /* what there is */
		return;
	}
	memcpy(pc->data, ev->data, ev->len);
	pc->have = ev->len;
	pc->need = (uint32_t)bytes;
	pc->seq = ev->seq;
	pc->addr = ev->addr;
	pc->dev = dev;
	pc->queue = q;
}

void snapshot_event(struct engine *e, const struct trace_ev *ev)
{
	if (pk_piece(e, ev))
		return;
	for (unsigned i = 0; i < e->t->n_dev; i++) {
		struct emu_device *d = e->rig.dev[i];
		if (!d)
			continue;
		for (unsigned q = 0; q < emu_device_model(d)->num_queues; q++) {
			const struct virtqueue *vq = emu_queue(d, q);
			if (!vq)
				continue;
			/* A device whose ring contents are unverified takes
			 * none of its queues' copies. */
			bool skip = e->ds[i].unverified;
			if (vq->packed && ev->addr == vq->desc) {
				pk_ring_start(e, ev, (int)i, q, vq, skip);
				return;
			} else if (vq->packed && ev->addr == vq->used) {
				/* The device's event suppression area: the
				 * emulated device writes its own. */
				return;
			} else if (ev->addr == vq->desc) {
				e->driver_phase = true;
				e->batch_dev = (int)i;
				if (!skip)
					apply(e, ev);
			} else if (ev->addr == vq->avail) {
				e->batch_dev = (int)i;
				if (!skip)
					apply(e, ev);
				e->driver_phase = false;
			} else if (ev->addr == vq->used) {
				e->driver_phase = false;
				e->batch_dev = (int)i;
				own_buffers(e, (int)i);
				if (!skip)
					hold(e, ev, (int)i, q, (int)i);
			} else {
				continue;
			}
			if (skip)
				e->res->events_skipped++;
			return;
		}
	}
	/* A queue the emulator has not set up (its model lacks it): its
	 * batch is neither applied nor compared. */
	struct trace_ring_area a;
	if (ev->addr != 0 && trace_in_ring_area(e->t, ev->addr, &a) && a.packed &&
	    (a.off == 0 || (a.area == TRACE_AREA_DESC && a.off % VMT_EVENT_DATA_MAX == 0))) {
		/* A packed ring's buffers came before its ring (its first
		 * piece): drop them. */
		unsigned k = 0;
		for (unsigned i = 0; i < e->n_pend; i++) {
			if (a.area == TRACE_AREA_DESC && a.off == 0 && e->pend[i].dev < 0 && e->pend[i].owner < 0) {
				free(e->pend[i].data);
				e->res->not_compared++;
				continue;
			}
			e->pend[k++] = e->pend[i];
		}
		e->n_pend = k;
		e->foreign_batch = false;
		e->driver_phase = false;
		e->batch_dev = -1;
		e->res->not_compared++;
		return;
	}
	if (ev->addr != 0 && trace_in_ring_area(e->t, ev->addr, &a) && a.off == 0) {
		e->foreign_batch = a.area != TRACE_AREA_USED;
		e->driver_phase = false;
		e->batch_dev = -1;
		e->res->not_compared++;
		return;
	}
	if (e->foreign_batch) {
		e->res->not_compared++;
		return;
	}
	if (e->driver_phase) {
		/* a readable buffer or indirect table of the batch's chains */
		if (e->batch_dev >= 0 && e->ds[e->batch_dev].unverified)
			e->res->events_skipped++;
		else
			apply(e, ev);
		return;
	}
	/* A buffer the device wrote: its device is known once the batch's
	 * used ring comes. */
	hold(e, ev, -1, 0, -1);
}

void snapshot_flush_pending(struct engine *e)
{
	for (unsigned k = 0; k < e->n_pend; k++) {
		struct pending_snap *p = &e->pend[k];
		struct trace_ev ev = { .seq = p->seq, .type = TEV_MEM, .mem_kind = TMEM_SNAPSHOT,
				       .addr = p->addr, .data = p->data, .len = p->len, .device = -1 };
		if (p->owner >= 0 && e->ds[p->owner].unverified) {
			e->res->events_skipped++; /* its device's ring contents are unverified */
		} else if (!e->stop && p->dev < 0) {
			compare_buffer(e, &ev);
		} else if (!e->stop) {
			struct emu_device *d = e->rig.dev[p->dev];
			const struct virtqueue *vq;
			/* The device may have been reset or broken meanwhile. */
			if ((vq = emu_queue(d, p->queue)) != NULL && vq->packed && vq->desc == p->addr)
				compare_packed(e, p->dev, p->queue, vq, &ev);
			else if (vq && !vq->packed && vq->used == p->addr)
				compare_used(e, p->dev, p->queue, vq, &ev);
		}
		free(p->data);
	}
	e->n_pend = 0;
}

void snapshot_finish(struct engine *e)
{
	for (unsigned i = 0; i < e->t->n_dev && !e->stop; i++) {
		if (e->ds[i].unverified)
			continue;
		for (unsigned q = 0; q < EMU_QUEUES_MAX && !e->stop; q++) {
			struct used_track *t = &e->ds[i].ut[q];
			const struct virtqueue *vq = e->rig.dev[i] ? emu_queue(e->rig.dev[i], q) : NULL;
			if (vq && vq->packed && t->ring == vq->desc)
				pk_catch_up(t, vq->num, vq->next_used);
			if (t->pk_ahead)
				pk_report_missing(e, (int)i, q, t);
			uint16_t ours = vq && vq->used == t->used_addr ? vq->used_idx : t->last_ours;
			prune_ahead(t, ours);
			if (t->n_ahead)
				report_missing(e, (int)i, q, t, ours);
		}
	}
}

void snapshot_caught_up(struct engine *e, int dev, unsigned q, const struct virtqueue *vq)
{
	struct used_track *t = &e->ds[dev].ut[q];

	if (q >= EMU_QUEUES_MAX)
		return;
	if (vq->packed) {
		if (t->ring == vq->desc)
			pk_catch_up(t, vq->num, vq->next_used);
		return;
	}
	if (t->used_addr != vq->used)
		return;
	t->last_ours = vq->used_idx;
	prune_ahead(t, vq->used_idx);
}

void snapshot_drop_device(struct engine *e, int dev)
{
	unsigned k = 0;

	for (unsigned i = 0; i < e->n_pend; i++) {
		struct pending_snap *p = &e->pend[i];
		if (p->dev == dev || p->owner == dev) {
			free(p->data);
			e->res->events_skipped++;
			continue;
		}
		e->pend[k++] = *p;
	}
	e->n_pend = k;
	for (unsigned q = 0; q < EMU_QUEUES_MAX; q++) {
		e->ds[dev].ut[q].n_ahead = 0;
		e->ds[dev].ut[q].pk_ahead = false;
	}
	if (e->pieces.need && e->pieces.dev == dev) {
		free(e->pieces.data);
		memset(&e->pieces, 0, sizeof(e->pieces));
	}
}

void snapshot_free_pending(struct engine *e)
{
	for (unsigned i = 0; i < TRACE_IN_DEVICES_MAX; i++) {
		for (unsigned q = 0; q < EMU_QUEUES_MAX; q++) {
			free(e->ds[i].ut[q].ahead);
			e->ds[i].ut[q].ahead = NULL;
		}
	}
	for (unsigned k = 0; k < e->n_pend; k++)
		free(e->pend[k].data);
	free(e->pend);
	e->pend = NULL;
	free(e->pieces.data);
	memset(&e->pieces, 0, sizeof(e->pieces));
	e->n_pend = e->cap_pend = 0;
}
