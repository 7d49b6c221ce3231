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
 * being ahead is settled at the end (or when the queue is set up again). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/machine.h"
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

void snapshot_event(struct engine *e, const struct trace_ev *ev)
{
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
			if (ev->addr == vq->desc) {
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
			if ((vq = emu_queue(d, p->queue)) != NULL && vq->used == p->addr)
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

	if (q >= EMU_QUEUES_MAX || t->used_addr != vq->used)
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
	for (unsigned q = 0; q < EMU_QUEUES_MAX; q++)
		e->ds[dev].ut[q].n_ahead = 0;
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
	e->n_pend = e->cap_pend = 0;
}
