/* The replay loop: driver-side events go into the emulator, device-side
 * events are compared with what the emulator did.  Exact traces (from the
 * built-in emulator) record every device store, interrupt and violation,
 * matched one for one in order; other sources are compared through their
 * register reads and ring snapshots (snapshot.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/emu/machine.h"
#include "replay/describe.h"
#include "replay/diverge.h"
#include "replay/engine_priv.h"
#include "replay/report_add.h"
#include "virtio/mmio_regs.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"

#define PROGRESS_EVERY 65536u

/* --- what the emulator did --- */

static int device_of_base(const struct engine *e, uint64_t base)
{
	for (unsigned i = 0; i < e->t->n_dev; i++)
		if (e->t->dev[i].base == base)
			return (int)i;
	return -1;
}


static void on_machine_event(void *ctx, const struct vmt_event *ev)
{
	struct engine *e = ctx;
	struct actual *a;

	if (!e->exact || e->regs_only) {
		/* Only kept to explain a differing read (registers only: the
		 * trace's device actions are not compared). */
		int dev = ev->type == VMT_EV_VIOLATION ? device_of_base(e, ev->base) : -1;
		if (dev >= 0) {
			struct dev_state *ds = &e->ds[dev];
			ds->violation_seq = e->cur_seq;
			snprintf(ds->violation, sizeof(ds->violation), "%s: %.*s",
				 rule_lookup((uint32_t)ev->value)->key, (int)(ev->len < 120 ? ev->len : 120),
				 ev->data ? (const char *)ev->data : "");
		}
		return;
	}
	if (!(ev->type == VMT_EV_IRQ || ev->type == VMT_EV_VIOLATION ||
	      (ev->type == VMT_EV_MEM && (ev->flags & VMT_MEM_DEVICE_WRITE))))
		return;
	if (e->n_act == e->cap_act) {
		unsigned cap = e->cap_act ? e->cap_act * 2 : 64;
		struct actual *n = realloc(e->act, cap * sizeof(*n));
		if (!n)
			return; /* counted as missing later: better than dying */
		e->act = n;
		e->cap_act = cap;
	}
	a = &e->act[e->n_act];
	memset(a, 0, sizeof(*a));
	a->type = ev->type;
	a->base = ev->base;
	a->addr = ev->addr;
	a->value = ev->value;
	a->cause = e->cur_seq;
	if ((ev->type == VMT_EV_MEM || ev->type == VMT_EV_VIOLATION) && ev->len) {
		a->data = malloc(ev->len);
		if (!a->data)
			return;
		memcpy(a->data, ev->data, ev->len);
		a->len = ev->len;
	}
	e->n_act++;
}

static void actual_clear(struct engine *e)
{
	for (unsigned i = 0; i < e->n_act; i++)
		free(e->act[i].data);
	e->n_act = e->head_act = 0;
}

static const struct trace_device *tdev(const struct engine *e, int dev)
{
	return dev >= 0 && (unsigned)dev < e->t->n_dev ? &e->t->dev[dev] : NULL;
}

/* The recorded device stored data at gpa; the emulator stored a (or nothing). */
static void compare_store(struct engine *e, const struct trace_ev *ev, const struct actual *a)
{
	struct replay_div d;
	struct expect_subject s = { .what = EXPECT_BUFFERS, .queue = -1 };
	int dev, q;
	uint32_t i = 0;

	memset(&d, 0, sizeof(d));
	d.kind = "device-write";
	if (a && a->addr == ev->addr && a->len == ev->len) {
		while (i < ev->len && ev->data[i] == a->data[i])
			i++;
		if (i == ev->len)
			return;
		uint32_t n = ev->len - i < 8 ? ev->len - i : 8;
		diverge_hexbytes(d.expected_text, sizeof(d.expected_text), ev->data + i, n);
		diverge_hexbytes(d.actual_text, sizeof(d.actual_text), a->data + i, n);
	} else {
		snprintf(d.expected_text, sizeof(d.expected_text), "%u bytes at 0x%" PRIx64, ev->len, ev->addr);
		if (a)
			snprintf(d.actual_text, sizeof(d.actual_text), "%u bytes at 0x%" PRIx64, a->len, a->addr);
		else
			snprintf(d.actual_text, sizeof(d.actual_text), "no store");
	}
	describe_gpa(&e->rig, e->t, ev->addr + i, d.where, sizeof(d.where), &dev, &q);
	if (strstr(d.where, "used ring")) {
		s.what = EXPECT_USED;
		d.kind = "used";
		d.section = "Virtqueues / The Virtqueue Used Ring";
	}
	s.queue = q;
	diverge_report(e, ev->seq, dev, &d, &s);
}

static const char *actual_name(const struct actual *a, char *buf, size_t len)
{
	if (a->type == VMT_EV_IRQ)
		snprintf(buf, len, "interrupt (InterruptStatus 0x%" PRIx64 ")", a->value);
	else if (a->type == VMT_EV_VIOLATION)
		snprintf(buf, len, "a violation of rule %s", rule_lookup((uint32_t)a->value)->key);
	else
		snprintf(buf, len, "device store of %u bytes at 0x%" PRIx64, a->len, a->addr);
	return buf;
}

/* Before a driver-side event: the emulator must not have done more than
 * the recording shows. */
static void flush_extra(struct engine *e, uint64_t seq)
{
	if (e->head_act < e->n_act) {
		const struct actual *a = &e->act[e->head_act];
		struct replay_div d;
		struct expect_subject s = { .queue = -1 };
		int dev = device_of_base(e, a->base), q = -1;

		memset(&d, 0, sizeof(d));
		d.kind = "extra";
		snprintf(d.expected_text, sizeof(d.expected_text), "nothing more from the device");
		actual_name(a, d.actual_text, sizeof(d.actual_text));
		s.what = a->type == VMT_EV_IRQ ? EXPECT_INTERRUPTS : a->type == VMT_EV_VIOLATION ? EXPECT_VIOLATIONS
										    : EXPECT_BUFFERS;
		if (a->type == VMT_EV_MEM) {
			describe_gpa(&e->rig, e->t, a->addr, d.where, sizeof(d.where), &dev, &q);
		} else if (a->type == VMT_EV_VIOLATION) {
			const struct rule_info *ri = rule_lookup((uint32_t)a->value);
			d.kind = "violation";
			snprintf(d.where, sizeof(d.where), "rule %s", ri->key);
			d.section = ri->section;
			snprintf(d.note, sizeof(d.note), "%.*s", (int)(a->len < 200 ? a->len : 200),
				 a->data ? (const char *)a->data : "");
		} else {
			snprintf(d.where, sizeof(d.where), "interrupt");
		}
		s.queue = q;
		/* Reported at the driver event the device answered. */
		diverge_report(e, a->cause < seq ? a->cause : seq, dev, &d, &s);
	}
	actual_clear(e);
}

/* A device-side event of an exact trace: match the emulator's next action. */
static void match_device_event(struct engine *e, const struct trace_ev *ev)
{
	const struct actual *a = e->head_act < e->n_act ? &e->act[e->head_act] : NULL;
	struct replay_div d;
	struct expect_subject s = { .queue = -1 };
	int dev = ev->device;

	if (a)
		e->head_act++;
	if (a && a->type == VMT_EV_VIOLATION && ev->type != TEV_VIOLATION) {
		/* The emulator refused something the recorded device went along
		 * with: that is where their behaviour parted. */
		const struct rule_info *ri = rule_lookup((uint32_t)a->value);
		memset(&d, 0, sizeof(d));
		d.kind = "violation";
		s.what = EXPECT_VIOLATIONS;
		snprintf(d.where, sizeof(d.where), "rule %s", ri->key);
		d.section = ri->section;
		dev = device_of_base(e, a->base);
		snprintf(d.note, sizeof(d.note), "%.*s", (int)(a->len < 200 ? a->len : 200), a->data ? (const char *)a->data : "");
		struct actual rec = { .type = ev->type == TEV_IRQ ? VMT_EV_IRQ : VMT_EV_MEM, .addr = ev->addr,
				      .value = ev->value, .len = ev->len };
		actual_name(&rec, d.expected_text, sizeof(d.expected_text));
		actual_name(a, d.actual_text, sizeof(d.actual_text));
		diverge_report(e, ev->seq, dev, &d, &s);
		return;
	}
	if (ev->type == TEV_MEM && (!a || a->type == VMT_EV_MEM)) {
		compare_store(e, ev, a);
		return;
	}
	memset(&d, 0, sizeof(d));
	if (ev->type == TEV_IRQ) {
		s.what = EXPECT_INTERRUPTS;
		d.kind = "interrupt";
		snprintf(d.where, sizeof(d.where), "interrupt");
		d.section = "Notifications";
		if (a && a->type == VMT_EV_IRQ && a->value == ev->value)
			return;
		if (a && a->type == VMT_EV_IRQ) {
			d.has_values = true;
			d.expected = ev->value;
			d.actual = a->value;
			snprintf(d.where, sizeof(d.where), "interrupt (InterruptStatus)");
		}
	} else if (ev->type == TEV_VIOLATION) {
		const struct rule_info *ri = rule_lookup((uint32_t)ev->value);
		s.what = EXPECT_VIOLATIONS;
		d.kind = "violation";
		snprintf(d.where, sizeof(d.where), "rule %s", ri->key);
		d.section = ri->section;
		if (a && a->type == VMT_EV_VIOLATION && a->value == ev->value)
			return;
	} else {
		s.what = EXPECT_BUFFERS;
		d.kind = "device-write";
		describe_gpa(&e->rig, e->t, ev->addr, d.where, sizeof(d.where), &dev, &s.queue);
	}
	if (!d.has_values) {
		struct actual rec = { .type = ev->type == TEV_IRQ ? VMT_EV_IRQ : ev->type == TEV_VIOLATION
								  ? VMT_EV_VIOLATION : VMT_EV_MEM,
				      .addr = ev->addr, .value = ev->value, .len = ev->len };
		actual_name(&rec, d.expected_text, sizeof(d.expected_text));
		if (a)
			actual_name(a, d.actual_text, sizeof(d.actual_text));
		else
			snprintf(d.actual_text, sizeof(d.actual_text), "nothing");
		if (!a)
			d.kind = "missing";
	}
	diverge_report(e, ev->seq, dev, &d, &s);
}

/* --- driver side --- */

static uint64_t width_mask(unsigned width)
{
	return width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

static void read_diverged(struct engine *e, const struct trace_ev *ev, uint64_t actual)
{
	const struct trace_device *td = tdev(e, ev->device);
	const struct mmio_reg_info *ri;
	struct dev_state *ds = ev->device >= 0 ? &e->ds[ev->device] : NULL;
	uint32_t off = (uint32_t)ev->offset, version = td && td->version == 1 ? 1 : 2;
	struct replay_div d;
	struct expect_subject s = { .what = EXPECT_REGISTER, .reg = off, .queue = -1 };
	char reg[48];

	memset(&d, 0, sizeof(d));
	d.kind = "read";
	d.has_values = true;
	d.expected = ev->value;
	d.actual = actual;
	mmio_reg_describe(off, version, reg, sizeof(reg));
	ri = mmio_reg_lookup(off, version);
	if (ri && ri->queue_reg && ds) {
		snprintf(d.where, sizeof(d.where), "%s (queue %u)", reg, ds->queue_sel);
		s.queue = (int)ds->queue_sel;
	} else if (off == MMIO_DEVICE_FEATURES && ds) {
		snprintf(d.where, sizeof(d.where), "%s (word %u)", reg, ds->features_sel);
	} else {
		snprintf(d.where, sizeof(d.where), "%s", reg);
	}
	if (off >= MMIO_CONFIG) {
		s.what = EXPECT_CONFIG;
		s.config_off = off - MMIO_CONFIG;
		s.config_len = ev->width;
	}
	d.section = off >= MMIO_CONFIG ? "Device Configuration Space" : "MMIO Device Register Layout";
	describe_read_note(td, off, ds ? ds->features_sel : 0, d.expected, d.actual, e->exact,
			   ds ? ds->lacking_queue : -1, d.note, sizeof(d.note));
	/* The whole replay, or this device since a torn ring copy. */
	const char *mode = e->regs_only ? "registers only" : "ring contents unverified (torn copy)";
	if (engine_regs_only(e, ev->device) && off == MMIO_INTERRUPT_STATUS) {
		size_t n = strlen(d.note);
		snprintf(d.note + n, sizeof(d.note) - n, "%s%s: bit 1 (configuration change) is compared, "
			 "bit 0 (used buffer) is not", n ? "; " : "", mode);
	} else if (engine_regs_only(e, ev->device) && off == MMIO_STATUS &&
		   (d.expected & ~d.actual & VIRTIO_STATUS_DEVICE_NEEDS_RESET)) {
		size_t n = strlen(d.note);
		snprintf(d.note + n, sizeof(d.note) - n, "%s%s: the emulator processes no ring, so a "
			 "failure caused by ring contents does not happen here", n ? "; " : "", mode);
	}
	if (ds && ds->violation[0]) {
		size_t n = strlen(d.note);
		snprintf(d.note + n, sizeof(d.note) - n, "%sthe emulator reported at seq %" PRIu64 ": %s",
			 n ? "; " : "", ds->violation_seq, ds->violation);
	}
	diverge_report(e, ev->seq, ev->device, &d, &s);
}

/* Registers only: the recorded device failed on ring contents (it set
 * DEVICE_NEEDS_RESET and, modern, raised a configuration-change interrupt),
 * which this mode cannot see.  Where a read shows that failure and the
 * emulated device has not failed, fail it the same way and return true.
 * The failure counts as shown by a Status read with DEVICE_NEEDS_RESET, or
 * (exact traces, after a ring-content violation of the device since its
 * last reset) an InterruptStatus read with the configuration-change bit. */
static bool take_over_failure(struct engine *e, const struct trace_ev *ev, uint64_t v)
{
	struct emu_device *d = e->rig.dev[ev->device];
	const struct dev_state *ds = &e->ds[ev->device];
	bool shows;

	if (emu_device_broken(d))
		return false;
	if (ev->offset == MMIO_STATUS)
		shows = ev->value & ~v & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	else if (ev->offset == MMIO_INTERRUPT_STATUS)
		shows = (ev->value & ~v & VIRTIO_MMIO_INT_CONFIG) && ds->ring_rule != RULE_NONE;
	else
		return false;
	/* Exact traces say why; from other sources a NEEDS_RESET after the
	 * driver started the device can only have come from its rings. */
	if (!shows || (e->exact && ds->ring_rule == RULE_NONE) ||
	    (!e->exact && !(emu_device_status(d) & VIRTIO_STATUS_DRIVER_OK)))
		return false;
	emu_device_fail(d, e->exact ? (enum rule_id)ds->ring_rule : RULE_NONE,
			"registers only: failure of the recorded device taken over (seq %" PRIu64 ")", ev->seq);
	e->res->failures_taken_over++;
	return true;
}

static void mmio_event(struct engine *e, const struct trace_ev *ev)
{
	const struct trace_device *td = tdev(e, ev->device);
	uint64_t gpa = td ? td->base + ev->offset : ev->offset;
	struct dev_state *ds = ev->device >= 0 ? &e->ds[ev->device] : NULL;

	/* trace_next checked width (1, 2, 4 or 8) and offset (inside the
	 * window): base + offset does not wrap. */
	if (td && !e->rig.dev[ev->device])
		return; /* no model: listed in the report, not compared */
	if (ev->write) {
		/* Registers only: the rings are not there to process. */
		if (engine_regs_only(e, ev->device) && ev->offset == MMIO_QUEUE_NOTIFY)
			return;
		if (ds && ev->offset == MMIO_STATUS && ev->value == 0) {
			ds->ring_rule = RULE_NONE;
			ds->failure_masked = false; /* the reset ends the failure */
		}
		if (ds && ev->offset == MMIO_QUEUE_SEL)
			ds->queue_sel = (uint32_t)ev->value;
		if (ds && ev->offset == MMIO_DEVICE_FEATURES_SEL)
			ds->features_sel = (uint32_t)ev->value;
		if (ds && ev->offset == MMIO_QUEUE_NOTIFY)
			ds->lacking_queue = (ev->value & 0xffff) >= emu_device_model(e->rig.dev[ev->device])->num_queues
					    ? (int)(ev->value & 0xffff) : -1;
		machine_mmio_write(e->rig.m, gpa, ev->width, ev->value);
		return;
	}
	uint64_t v = machine_mmio_read(e->rig.m, gpa, ev->width) & width_mask(ev->width);
	if (ds && ds->failure_masked) {
		/* The emulated device failed on ring contents read before its
		 * copies were known to be torn: not the recorded device's
		 * failure unless it shows it too. */
		if (ev->offset == MMIO_STATUS)
			v = (v & ~(uint64_t)VIRTIO_STATUS_DEVICE_NEEDS_RESET) | (ev->value & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		else if (ev->offset == MMIO_INTERRUPT_STATUS)
			v = (v & ~(uint64_t)VIRTIO_MMIO_INT_CONFIG) | (ev->value & VIRTIO_MMIO_INT_CONFIG);
	}
	if (engine_regs_only(e, ev->device) && td && take_over_failure(e, ev, v))
		v = machine_mmio_read(e->rig.m, gpa, ev->width) & width_mask(ev->width);
	if (engine_regs_only(e, ev->device) && ev->offset == MMIO_INTERRUPT_STATUS) {
		/* Used buffers come from ring processing, which this mode
		 * leaves out: only the configuration-change bit is compared. */
		if ((v & ~(uint64_t)VIRTIO_MMIO_INT_VRING) != (ev->value & width_mask(ev->width) & ~(uint64_t)VIRTIO_MMIO_INT_VRING))
			read_diverged(e, ev, v);
		return;
	}
	if (!e->exact && ev->offset == MMIO_INTERRUPT_STATUS && td && (ev->value & ~v & 1)) {
		/* The recorded device had used a buffer on its own schedule:
		 * let the emulated one catch up (reading has no side effect). */
		emu_device_poll(e->rig.dev[ev->device]);
		v = machine_mmio_read(e->rig.m, gpa, ev->width) & width_mask(ev->width);
	}
	if (v != (ev->value & width_mask(ev->width)))
		read_diverged(e, ev, v);
}

static int driver_store(struct engine *e, const struct trace_ev *ev, char *err, size_t errlen)
{
	if (ev->len == 0)
		return 0; /* nothing stored (and no bytes to point at) */
	if (machine_mem_write(e->rig.m, ev->addr, ev->data, ev->len) < 0) {
		snprintf(err, errlen, "'%s': events row seq %" PRIu64 ": driver store of %u bytes at 0x%" PRIx64
			 " lies outside the replay machine's RAM", e->t->path, ev->seq, ev->len, ev->addr);
		return -1;
	}
	return 0;
}

static int apply_event(struct engine *e, const struct trace_ev *ev, char *err, size_t errlen)
{
	bool device_side = ev->type == TEV_IRQ || ev->type == TEV_VIOLATION ||
			   (ev->type == TEV_MEM && ev->mem_kind == TMEM_DEVICE);

	if (device_side) {
		/* A device left out (no model, or a set-up the model cannot
		 * follow) is listed in the report; its actions are not compared. */
		if (ev->device >= 0 && tdev(e, ev->device) && !e->rig.dev[ev->device])
			return 0;
		if (e->exact)
			match_device_event(e, ev);
		return 0;
	}
	if (e->exact && (ev->type == TEV_MMIO || ev->type == TEV_MEM))
		flush_extra(e, ev->seq);
	if (ev->type == TEV_MMIO)
		mmio_event(e, ev);
	else if (ev->type == TEV_MEM)
		return driver_store(e, ev, err, errlen);
	return 0;
}

/* Devices whose torn_from is seq or before become unverified: from here
 * on they replay registers only.  Called before the event at seq runs, so
 * a torn copy's bytes are never processed (the anomaly is at the copy or
 * at the access that uses it). */
static void torn_switch(struct engine *e, uint64_t seq)
{
	e->next_torn = UINT64_MAX;
	for (unsigned i = 0; i < e->t->n_dev; i++) {
		struct dev_state *ds = &e->ds[i];
		struct replay_device_info *di = &e->res->devices[i];
		if (ds->unverified || ds->torn_from == UINT64_MAX)
			continue;
		if (ds->torn_from > seq) {
			e->next_torn = ds->torn_from < e->next_torn ? ds->torn_from : e->next_torn;
			continue;
		}
		ds->unverified = true;
		di->unverified = true;
		di->unverified_from = seq;
		e->res->devices_unverified++;
		/* Should the emulated device have failed on ring contents
		 * already, that failure must not show in later reads. */
		if (emu_device_broken(e->rig.dev[i]))
			ds->failure_masked = di->failure_masked = true;
		snapshot_drop_device(e, (int)i);
	}
}

/* Best-effort traces: when each device's first torn ring copy (the first
 * anomaly on a queue its emulated device has) makes it unverified. */
static void torn_plan(struct engine *e)
{
	e->next_torn = UINT64_MAX;
	for (unsigned i = 0; i < TRACE_IN_DEVICES_MAX; i++)
		e->ds[i].torn_from = UINT64_MAX;
	if (e->exact || e->regs_only)
		return;
	for (unsigned i = 0; i < e->t->n_dev; i++) {
		const struct trace_torn *first = NULL;
		unsigned first_q = 0;
		if (!e->rig.dev[i])
			continue;
		/* Queues the model lacks are neither processed nor compared. */
		for (unsigned q = 0; q < emu_device_model(e->rig.dev[i])->num_queues && q < EMU_QUEUES_MAX; q++) {
			const struct trace_torn *x = trace_in_torn(e->t, (int)i, q);
			if (x && (!first || x->from_seq < first->from_seq)) {
				first = x;
				first_q = q;
			}
		}
		if (!first)
			continue;
		struct replay_device_info *di = &e->res->devices[i];
		e->ds[i].torn_from = first->from_seq;
		di->torn_seq = first->seq;
		di->torn_queue = first_q;
		snprintf(di->torn_rule, sizeof(di->torn_rule), "%s", first->rule);
		snprintf(di->torn_message, sizeof(di->torn_message), "%s", first->message);
		if (first->from_seq < e->next_torn)
			e->next_torn = first->from_seq;
	}
}


/* --- following the recorded device's own reports (best-effort traces) ---
 *
 * QEMU completes requests when its backend is done (blk: asynchronous I/O,
 * out of order); the emulator completes each chain at the notify.  Where
 * the trace holds the device's reports, the emulator still processes a
 * chain at once, but its used entry is held (vq_hold) until the recorded
 * device's fill of the same element (matched by pop order per queue, as
 * decoder/reports.c does) and published at its flush, at used_idx plus the
 * fill's used_pos: same order, same time, same interrupts.  Packed rings
 * alike, except that QEMU reports no flush of a packed ring: it flushes
 * right after the last fill of a batch (virtqueue_push, or a received
 * frame's buffers), so the batch ends at the first event that does not
 * continue it (packed_batch_end), and its used descriptors go in fill
 * position order, each after the slots of the ones before it. */

static void track_free(struct report_track *rt)
{
	free(rt->fl);
	free(rt->st);
	free(rt->seen);
	memset(rt, 0, sizeof(*rt));
}

/* Hold the used entries of every live queue of device index dev not held
 * yet (a queue set up since: its reports start over). */
static void reports_sync(struct engine *e, int dev)
{
	struct emu_device *d = e->rig.dev[dev];

	if (!e->follow || !d || e->ds[dev].unverified)
		return;
	for (unsigned q = 0; q < emu_device_model(d)->num_queues && q < EMU_QUEUES_MAX; q++) {
		struct virtqueue *vq = emu_queue(d, q);
		struct report_track *rt = &e->ds[dev].rt[q];
		if (!vq || vq->hold)
			continue;
		track_free(rt);
		rt->fl = calloc(vq->num, sizeof(*rt->fl));
		rt->st = calloc(vq->num, sizeof(*rt->st));
		rt->seen = calloc(vq->num, 1);
		if (!rt->fl || !rt->st || !rt->seen || vq_hold(vq) < 0) {
			track_free(rt); /* out of memory: this queue completes at the notify */
			continue;
		}
		rt->num = vq->num;
	}
}

__attribute__((format(printf, 5, 6)))
static int report_refuse(struct engine *e, const struct trace_ev *ev, char *err, size_t errlen, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "'%s': device_steps row seq %" PRIu64 " (%s of queue %" PRIu64 " of %s): %s", e->t->path,
		 ev->seq, vmt_queue_step_name((uint32_t)ev->value), ev->addr, e->t->dev[ev->device].name, why);
	return -1;
}

/* The recorded device published an entry for an element the emulated
 * device never took; where: the place in the used ring (split) or
 * descriptor ring (packed). */
static void report_missing_chain(struct engine *e, const struct trace_ev *ev, unsigned q, const struct staged *st,
				 const char *where)
{
	struct expect_subject s = { .what = EXPECT_USED, .queue = (int)q };
	struct replay_div d;

	memset(&d, 0, sizeof(d));
	d.kind = "missing";
	snprintf(d.where, sizeof(d.where), "%s", where);
	snprintf(d.expected_text, sizeof(d.expected_text), "the chain popped %" PRIu64 "th since set-up (token 0x%" PRIx64
		 ", filled at seq %" PRIu64 ")", st->ord, st->token, st->seq);
	snprintf(d.actual_text, sizeof(d.actual_text), "not taken");
	d.section = "Virtqueues / The Virtqueue Used Ring";
	snprintf(d.note, sizeof(d.note), "the recorded device reported using a chain the emulator never took from the "
		 "available ring (its copy of the ring did not show it)");
	diverge_report(e, ev->seq, ev->device, &d, &s);
}

/* Make sure the emulated device holds the used entry of the chain popped
 * ord-th: the recorded device may have taken it before the emulated one
 * was notified of it (made available meanwhile: one poll per flush, in
 * *polled), or on an input it had by its fill (a frame received: this
 * device's next inputs, one at a time, while they come next).  Returns 0
 * (held), 1 (not taken) or -1 (the queue is gone: the device failed on
 * the ring, which shows in its registers). */
static int fetch_held(struct engine *e, int dev, struct emu_device *d, unsigned q, struct virtqueue *vq, uint64_t ord,
		      bool *polled)
{
	if (vq_held_slots(vq, ord))
		return 0;
	if (!*polled) {
		*polled = true;
		emu_device_poll(d);
		if (emu_queue(d, q) != vq)
			return -1;
		if (vq_held_slots(vq, ord))
			return 0;
	}
	while (e->next_rx < e->t->n_rx && e->t->rx[e->next_rx].dev == dev) {
		const struct trace_rx *rx = &e->t->rx[e->next_rx++];
		(void)emu_device_supply(d, rx->data, rx->len);
		if (emu_queue(d, q) != vq)
			return -1;
		if (vq_held_slots(vq, ord))
			return 0;
	}
	return 1;
}

static int staged_by_pos(const void *a, const void *b)
{
	const struct staged *x = a, *y = b;

	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Publish the fills staged on queue q at the recorded device's flush of
 * count entries (ev: its flush report, or for a packed ring, whose flushes
 * QEMU does not report, the last fill before it).  Split rings: each entry
 * at used_idx + its fill's position, then the index.  Packed rings: in
 * position order, each used descriptor after the slots of the ones before
 * it (as QEMU's virtqueue_packed_flush places them), then the position
 * moves past them all.  Returns 0, or -1 with err naming the row where the
 * reports contradict themselves. */
static int report_flush(struct engine *e, const struct trace_ev *ev, struct emu_device *d, unsigned q,
			struct virtqueue *vq, struct report_track *rt, uint64_t count, char *err, size_t errlen)
{
	bool polled = false;
	uint32_t off = 0;
	char where[96];

	if (count > rt->num)
		return report_refuse(e, ev, err, errlen, "flush of %" PRIu64 " entries on a ring of %u", count, rt->num);
	if (count != rt->n_st)
		return report_refuse(e, ev, err, errlen, "flush of %" PRIu64 " entries, %u filled since the last flush",
				     count, rt->n_st);
	memset(rt->seen, 0, rt->num);
	for (uint32_t i = 0; i < rt->n_st; i++) {
		if (rt->st[i].pos >= count || rt->seen[rt->st[i].pos])
			return report_refuse(e, ev, err, errlen, "fill at seq %" PRIu64 " has used_pos %u: %s", rt->st[i].seq,
					     rt->st[i].pos, rt->st[i].pos >= count ? "not below the flush's count"
					     : "another fill since the last flush has it too");
		rt->seen[rt->st[i].pos] = 1;
	}
	if (vq->packed)
		qsort(rt->st, rt->n_st, sizeof(*rt->st), staged_by_pos);
	for (uint32_t i = 0; i < rt->n_st && !e->stop; i++) {
		int r = fetch_held(e, ev->device, d, q, vq, rt->st[i].ord, &polled);
		if (r < 0)
			break;
		if (!vq->packed) {
			if (r == 0)
				r = vq_publish(vq, rt->st[i].ord, rt->st[i].pos);
			snprintf(where, sizeof(where), "used ring of queue %u: used idx %u", q,
				 (uint16_t)(vq->used_idx + rt->st[i].pos));
		} else {
			uint16_t slots = vq_held_slots(vq, rt->st[i].ord);
			struct packed_pos at = vq->next_used;
			packed_ring_advance(&at, vq->num, off < vq->num ? off : 0);
			snprintf(where, sizeof(where), "descriptor ring of queue %u: used descriptor at slot %u (wrap %u)",
				 q, at.slot, at.wrap);
			if (r == 0 && off < vq->num && (r = vq_publish(vq, rt->st[i].ord, (uint16_t)off)) == 0)
				off += slots;
			else
				off++; /* the recorded device's chain took one slot at least */
		}
		if (r != 0)
			report_missing_chain(e, ev, q, &rt->st[i], where);
	}
	rt->n_st = 0;
	if (emu_queue(d, q) != vq)
		return 0;
	(void)vq_flush(vq, (uint16_t)(vq->packed ? (off < vq->num ? off : vq->num) : count));
	snapshot_caught_up(e, ev->device, q, vq);
	emu_queue_interrupt(d, q);
	return 0;
}

/* The fills staged on a packed ring (engine.pk_dev) are published: QEMU
 * flushes a packed ring right after the last fill of a batch without a
 * report of its own, so the batch ends at the first event that is not a
 * ring copy or a pop or later fill of the same queue.  Returns 0, or -1
 * with err set (report_flush). */
static int packed_batch_end(struct engine *e, char *err, size_t errlen)
{
	int dev = e->pk_dev;
	unsigned q = e->pk_queue;
	struct emu_device *d;
	struct virtqueue *vq;
	struct report_track *rt;

	if (dev < 0)
		return 0;
	e->pk_dev = -1;
	d = e->rig.dev[dev];
	if (!d || e->ds[dev].unverified || !(vq = emu_queue(d, q)) || !vq->hold || !vq->packed)
		return 0;
	rt = &e->ds[dev].rt[q];
	if (!rt->n_st)
		return 0;
	struct trace_ev last = { .seq = e->pk_seq, .type = TEV_QUEUE, .device = dev, .addr = q,
				 .value = VMT_QSTEP_FILL, .has_report = true };
	return report_flush(e, &last, d, q, vq, rt, rt->n_st, err, errlen);
}

/* Whether ev continues the open packed batch (engine.pk_dev): a ring copy,
 * or a pop, a fill at a later position or a flush report of its queue. */
static bool packed_batch_goes_on(const struct engine *e, const struct trace_ev *ev)
{
	if (ev->type == TEV_MEM && ev->mem_kind == TMEM_SNAPSHOT)
		return true;
	if (ev->type != TEV_QUEUE || ev->device != e->pk_dev || ev->addr != e->pk_queue)
		return false;
	return ev->value == VMT_QSTEP_POP || ev->value == VMT_QSTEP_FLUSH || (ev->value == VMT_QSTEP_FILL && ev->arg1 != 0);
}

/* A 'queue' event: the recorded device's report of a step.  Returns 0, or
 * -1 with err naming the row where the reports contradict themselves. */
static int report_event(struct engine *e, const struct trace_ev *ev, char *err, size_t errlen)
{
	int dev = ev->device;
	struct emu_device *d = dev >= 0 ? e->rig.dev[dev] : NULL;
	struct report_track *rt;
	struct virtqueue *vq;
	unsigned q;

	/* Not followed: no device, a device left out or unverified, a queue
	 * the model lacks or the emulator has not live (failed), a request's
	 * own report (blk read/write, scsi command and what the SCSI layer
	 * parsed of it: the emulated device handles the request it popped). */
	if (!e->follow || !d || e->ds[dev].unverified || ev->addr >= emu_device_model(d)->num_queues ||
	    ev->addr >= EMU_QUEUES_MAX || ev->value == VMT_QSTEP_BLK_READ || ev->value == VMT_QSTEP_BLK_WRITE ||
	    ev->value == VMT_QSTEP_SCSI_CMD || ev->value == VMT_QSTEP_SCSI_XFER || ev->value == VMT_QSTEP_SCSI_LBA) {
		e->res->events_skipped++;
		return 0;
	}
	q = (unsigned)ev->addr;
	reports_sync(e, dev);
	vq = emu_queue(d, q);
	rt = &e->ds[dev].rt[q];
	if (!vq || !vq->hold || !rt->num) {
		e->res->events_skipped++;
		return 0;
	}
	if (!ev->has_report)
		return report_refuse(e, ev, err, errlen, "the queue event has no device_steps row");
	switch (ev->value) {
	case VMT_QSTEP_POP:
		/* The same element popped again while in flight: the device put
		 * it back (QEMU's virtqueue_unpop rewinds its avail position),
		 * and the ones popped after it too. */
		for (uint32_t i = 0; i < rt->n_fl; i++) {
			if (rt->fl[i].token != ev->token)
				continue;
			rt->popped = rt->fl[i].ord;
			rt->n_fl = i;
			break;
		}
		if (rt->n_fl >= rt->num)
			return report_refuse(e, ev, err, errlen, "token 0x%" PRIx64 ": more than %u elements in flight on a "
					     "ring of %u", ev->token, rt->num, rt->num);
		rt->fl[rt->n_fl++] = (struct flight){ .token = ev->token, .ord = rt->popped++ };
		return 0;
	case VMT_QSTEP_FILL: {
		uint32_t i = 0;
		while (i < rt->n_fl && rt->fl[i].token != ev->token)
			i++;
		if (i == rt->n_fl)
			return report_refuse(e, ev, err, errlen, "token 0x%" PRIx64 " was not popped (or was filled already)",
					     ev->token);
		if (ev->arg1 >= rt->num)
			return report_refuse(e, ev, err, errlen, "used_pos %" PRIu64 " lies past the ring of %u", ev->arg1,
					     rt->num);
		if (rt->n_st >= rt->num)
			return report_refuse(e, ev, err, errlen, "more than %u fills before a flush", rt->num);
		rt->st[rt->n_st++] = (struct staged){ .ord = rt->fl[i].ord, .token = ev->token, .seq = ev->seq,
						      .pos = (uint16_t)ev->arg1 };
		memmove(rt->fl + i, rt->fl + i + 1, (rt->n_fl - i - 1) * sizeof(*rt->fl));
		rt->n_fl--;
		if (vq->packed) {
			/* Published when the batch ends (packed_batch_end). */
			e->pk_dev = dev;
			e->pk_queue = q;
			e->pk_seq = ev->seq;
		}
		return 0;
	}
	case VMT_QSTEP_FLUSH:
		if (vq->packed && e->pk_dev == dev && e->pk_queue == q)
			e->pk_dev = -1;
		return report_flush(e, ev, d, q, vq, rt, ev->arg0, err, errlen);
	default:
		return report_refuse(e, ev, err, errlen, "step %" PRIu64 " is none of pop, fill, flush, blk-read, blk-write, scsi-cmd, scsi-xfer, scsi-lba",
				     ev->value);
	}
}

static int step(struct engine *e, const struct trace_ev *ev, char *err, size_t errlen)
{
	int r;

	e->cur_seq = ev->seq;
	if (ev->seq >= e->next_torn)
		torn_switch(e, ev->seq);
	if (e->pk_dev >= 0 && !packed_batch_goes_on(e, ev) && packed_batch_end(e, err, errlen) < 0)
		return -1;
	if (ev->type == TEV_QUEUE && (e->exact || e->regs_only)) {
		/* The device's own account of a queue step: nothing of the
		 * emulated device's to compare it with. */
		e->res->events_skipped++;
		return 0;
	}
	if (e->regs_only) {
		/* Memory (driver stores, device stores, snapshots), interrupts
		 * and violations are read and passed over. */
		if (ev->type == TEV_MMIO)
			mmio_event(e, ev);
		else if (ev->type == TEV_MEM || ev->type == TEV_IRQ || ev->type == TEV_VIOLATION)
			e->res->events_skipped++;
		if (ev->type == TEV_VIOLATION && ev->device >= 0 && ev->value >= RULE_RING_HEAD_RANGE &&
		    ev->value <= RULE_REQUEST_MALFORMED) {
			e->ds[ev->device].ring_rule = (uint32_t)ev->value;
			e->ds[ev->device].ring_rule_seq = ev->seq;
		}
		return 0;
	}
	if (e->exact)
		return apply_event(e, ev, err, errlen);
	/* What the recorded devices had from outside by now. */
	for (; e->next_rx < e->t->n_rx && e->t->rx[e->next_rx].at_seq <= ev->seq; e->next_rx++) {
		const struct trace_rx *rx = &e->t->rx[e->next_rx];
		struct emu_device *d = e->rig.dev[rx->dev];
		/* A received frame, entropy: the model that takes such input
		 * gets it (a refusal shows later as a difference), unless its
		 * rings are no longer processed. */
		if (d && !e->ds[rx->dev].unverified)
			(void)emu_device_supply(d, rx->data, rx->len);
	}
	/* The recorder copies the rings when it handles an access, and
	 * writes the copies just before that access. */
	if (ev->type == TEV_MEM && ev->mem_kind == TMEM_SNAPSHOT) {
		snapshot_event(e, ev);
		return 0;
	}
	/* A report follows the access that started the step: the copies
	 * before that access are compared with what it did. */
	if (ev->type == TEV_QUEUE)
		return report_event(e, ev, err, errlen);
	e->driver_phase = false;
	e->foreign_batch = false;
	e->batch_dev = -1;
	r = apply_event(e, ev, err, errlen);
	/* A queue set up by this access holds its used entries from now on. */
	if (ev->type == TEV_MMIO && ev->write && ev->device >= 0)
		reports_sync(e, ev->device);
	snapshot_flush_pending(e);
	return r;
}

/* Keep ev as context for a later divergence (its data is about to go). */
static void remember(struct engine *e, const struct trace_ev *ev)
{
	struct recent *r = &e->recent[e->n_recent++ % REPLAY_CONTEXT];

	r->ev = *ev;
	r->ev.data = NULL;
	r->ev.text = NULL;
	if (ev->text && (ev->type == TEV_MARKER || ev->type == TEV_VIOLATION)) {
		snprintf(r->text, sizeof(r->text), "%s", ev->text);
		r->ev.text = r->text;
	}
}

/* Whether the trace holds no ring contents to replay against: queues were
 * set up, yet there is no memory row (recorded without ring copies, or the
 * rows deleted).  True with the reason, and the way out, in err. */
static bool no_ring_contents(const struct trace_in *t, char *err, size_t errlen)
{
	if (t->n_rings == 0 || t->mem_hi != 0)
		return false;
	snprintf(err, errlen, "%s: cannot replay the device side: queues were set up, but the trace holds no "
		 "memory rows (no ring contents%s); --registers-only replays and compares the register accesses alone",
		 t->path, t->ram_known ? "" : ", and no ram_base/ram_size in meta");
	return true;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int replay_run(const char *path, const struct replay_opts *opts, struct replay_result *res, char *err, size_t errlen)
{
	struct trace_in t;
	struct trace_cursor cur = { 0 };
	struct engine *e = NULL;
	struct trace_ev ev;
	double t0 = now_s();
	int r = -1, got = 0;

	memset(res, 0, sizeof(*res));
	snprintf(res->path, sizeof(res->path), "%s", path);
	if (trace_in_open(&t, path, err, errlen) < 0)
		goto out_trace;
	snprintf(res->source, sizeof(res->source), "%s", t.source);
	res->exact = !strcmp(t.source, "emu");
	res->registers_only = opts->registers_only;
	res->events_total = t.events && opts->until < t.events - 1 ? opts->until + 1 : t.events;
	if (t.lost_seq != UINT64_MAX && t.lost_seq <= opts->until) {
		snprintf(err, errlen, "%s: the recording lost %" PRIu64 " events at seq %" PRIu64
			 "; what follows cannot be replayed (--until %" PRIu64 " replays what precedes)",
			 path, t.lost_count, t.lost_seq, t.lost_seq ? t.lost_seq - 1 : 0);
		goto out_trace;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		goto out_trace;
	}
	e->t = &t;
	e->o = opts;
	e->res = res;
	e->exact = res->exact;
	e->regs_only = opts->registers_only;
	if (!e->regs_only && no_ring_contents(&t, err, errlen))
		goto out;
	if (replay_rig_build(&e->rig, &t, opts->expect, e->regs_only, res, err, errlen) < 0)
		goto out;
	if (!e->exact && !e->regs_only &&
	    (trace_in_load_rx(&t, err, errlen) < 0 || trace_in_load_torn(&t, err, errlen) < 0))
		goto out;
	for (unsigned i = 0; i < t.n_dev && i < 32; i++) {
		struct replay_device_info *di = &res->devices[res->n_devices++];
		di->device = t.dev[i].id;
		di->base = t.dev[i].base;
		di->device_id = t.dev[i].device_id;
		snprintf(di->name, sizeof(di->name), "%s", t.dev[i].name);
		di->version = t.dev[i].version;
		if (e->rig.dev[i])
			snprintf(di->model, sizeof(di->model), "%s", emu_device_model(e->rig.dev[i])->name);
		else
			snprintf(di->model, sizeof(di->model), "%s", "");
		snprintf(di->why_not, sizeof(di->why_not), "%s", e->rig.why_not[i]);
		di->empty = e->rig.empty[i];
		if (!e->rig.dev[i] && !di->empty)
			res->not_replayed++;
	}
	for (unsigned i = 0; i < TRACE_IN_DEVICES_MAX; i++)
		e->ds[i].lacking_queue = -1;
	e->batch_dev = -1;
	e->pk_dev = -1;
	e->follow = !e->exact && !e->regs_only && t.has_reports;
	torn_plan(e);
	machine_set_observer(e->rig.m, on_machine_event, e);
	if (trace_cursor_open(&cur, &t, opts->until, err, errlen) < 0)
		goto out;
	cur.registers_only = e->regs_only;
	while (!e->stop && (got = trace_next(&cur, &ev, err, errlen)) > 0) {
		/* Context includes the event itself, marked in the report. */
		remember(e, &ev);
		if (step(e, &ev, err, errlen) < 0)
			goto out;
		res->events_replayed++;
		res->last_seq = ev.seq;
		if (opts->progress && (res->events_replayed % PROGRESS_EVERY) == 0)
			opts->progress(opts->progress_ctx, res->events_replayed, res->events_total);
	}
	if (!e->stop && got < 0)
		goto out;
	if (!e->stop && !e->regs_only) {
		/* The end: nothing may be left over, unless --until cut the
		 * recording of what the device did.  A packed batch still open
		 * was flushed right after its last fill. */
		if (packed_batch_end(e, err, errlen) < 0)
			goto out;
		snapshot_flush_pending(e);
		if (!e->exact)
			snapshot_finish(e);
		bool cut = t.events && opts->until < t.events - 1;
		if (e->exact && !cut)
			flush_extra(e, res->last_seq + 1);
	}
	res->stopped = e->stop;
	r = 0;
out:
	trace_cursor_close(&cur);
	snapshot_free_pending(e);
	for (unsigned i = 0; i < TRACE_IN_DEVICES_MAX; i++)
		for (unsigned q = 0; q < EMU_QUEUES_MAX; q++)
			track_free(&e->ds[i].rt[q]);
	actual_clear(e);
	free(e->act);
	replay_rig_free(&e->rig);
	free(e);
out_trace:
	trace_in_close(&t);
	res->seconds = now_s() - t0;
	return r;
}

void replay_result_free(struct replay_result *res)
{
	free(res->divs);
	free(res->decl);
	res->divs = res->decl = NULL;
	res->n_divs = res->n_decl = 0;
}
