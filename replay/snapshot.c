/* Ring snapshots of traces from a running guest (QEMU, BPF): copies of
 * guest memory the recorder took at a QueueNotify write or an
 * InterruptStatus read while the guest kept running, so they may be torn.
 *
 * Per queue the recorder copies the descriptor table, the readable buffers
 * and indirect tables of the chains newly made available and the avail
 * ring (what the driver wrote: replay stores it into the emulator's RAM),
 * then the buffers the device wrote and the used ring (what the device
 * did: replay compares it).  A notify runs after its driver-owned copies
 * are in place; before a used ring is compared the emulated device gets to
 * process whatever is available, as the recorded device did on its own. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/emu/machine.h"
#include "replay/describe.h"
#include "replay/engine_priv.h"
#include "spec/virtio.h"

static void apply(struct engine *e, const struct trace_ev *ev)
{
	/* Outside the replay machine's RAM: nothing the device could use. */
	(void)machine_mem_write(e->rig.m, ev->addr, ev->data, ev->len);
}

static void used_entry_text(char *buf, size_t len, const uint8_t *p)
{
	snprintf(buf, len, "id %u len %u", le32_get(p), le32_get(p + 4));
}

/* Compare the recorded used ring with the emulator's. Entries are compared
 * once, where both sides have published them; the recorded device being
 * ahead is reported once until the emulator catches up. */
static void compare_used(struct engine *e, int dev, unsigned q, const struct virtqueue *vq, const struct trace_ev *ev)
{
	struct dev_state *ds = &e->ds[dev];
	struct guest_mem *gm = machine_mem(e->rig.m);
	struct expect_subject s = { .what = EXPECT_USED, .queue = (int)q };
	uint16_t rec_idx, ours = vq->used_idx, hi, lo, ahead;

	if (ev->len < 4)
		return;
	rec_idx = le16_get(ev->data + 2);
	ahead = (uint16_t)(rec_idx - ours);
	if (ahead != 0 && ahead < 0x8000) {
		hi = ours;
		if (!ds->used_seen[q] || ds->missing_reported[q] != ours) {
			struct replay_div d;
			memset(&d, 0, sizeof(d));
			d.kind = "missing";
			snprintf(d.where, sizeof(d.where), "used ring of queue %u: idx", q);
			d.has_values = true;
			d.expected = rec_idx;
			d.actual = ours;
			d.section = "Virtqueues / The Virtqueue Used Ring";
			snprintf(d.note, sizeof(d.note),
				 "the recorded device had used %u more buffers than the emulator; the emulator uses a buffer when "
				 "notified or when it looks, and gets no input (received frames, console input) from the trace",
				 ahead);
			engine_diverge(e, ev->seq, dev, &d, &s);
			ds->missing_reported[q] = ours;
			ds->used_seen[q] = true;
		}
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
			engine_diverge(e, ev->seq, dev, &d, &s);
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
		d->kind = "device-write";
		describe_gpa(&e->rig, e->t, ev->addr + i, d->where, sizeof(d->where), &dev, &q);
		if (dev >= 0) {
			d->device = e->t->dev[dev].id;
			snprintf(d->device_name, sizeof(d->device_name), "%s", e->t->dev[dev].name);
		}
		for (uint32_t k = 0; k < n; k++) {
			size_t o = strlen(d->expected_text);
			snprintf(d->expected_text + o, sizeof(d->expected_text) - o, "%s%02x", k ? " " : "", ev->data[i + k]);
			o = strlen(d->actual_text);
			snprintf(d->actual_text + o, sizeof(d->actual_text) - o, "%s%02x", k ? " " : "", mine[i + k]);
		}
		snprintf(d->note, sizeof(d->note), "best-effort snapshot: the guest may have reused the buffer before it was copied");
	}
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
			if (ev->addr == vq->desc) {
				e->driver_phase = true;
				apply(e, ev);
				return;
			}
			if (ev->addr == vq->avail) {
				apply(e, ev);
				e->driver_phase = false;
				return;
			}
			if (ev->addr == vq->used) {
				snapshot_run_pending_notify(e);
				emu_device_poll(d);
				e->driver_phase = false;
				/* The device may have been reset or broken meanwhile. */
				if ((vq = emu_queue(d, q)) != NULL)
					compare_used(e, (int)i, q, vq, ev);
				return;
			}
		}
	}
	/* A queue the emulator has not set up (its model lacks it): its
	 * batch is neither applied nor compared. */
	struct trace_ring_area a;
	if (ev->addr != 0 && trace_in_ring_area(e->t, ev->addr, &a) && a.off == 0) {
		e->foreign_batch = a.area != TRACE_AREA_USED;
		e->driver_phase = false;
		e->res->not_compared++;
		return;
	}
	if (e->foreign_batch) {
		e->res->not_compared++;
		return;
	}
	if (e->driver_phase) {
		apply(e, ev);
		return;
	}
	snapshot_run_pending_notify(e);
	compare_buffer(e, ev);
}
