/* See describe.h. */
#include "replay/describe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/machine.h"
#include "format/escape.h"
#include "format/event_fmt.h"
#include "format/fmt_out.h"
#include "format/tdb/fmt_tdb.h"
#include "virtio/config_layout.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

/* The formatter's view of the trace just before seq: every device's
 * layout, type, selectors and rings from the trace.db's state at that
 * point (format/tdb).  If that cannot be read, the rings of each queue's
 * latest set-up (the queues table as trace_in holds it), with the
 * selectors unknown, so nothing is named from a guess of them.  NULL if
 * out of memory; the caller frees it. */
static struct fmt_ctx *rings_fmt_ctx(const struct trace_in *t);

static struct fmt_ctx *trace_fmt_ctx(const struct trace_in *t, uint64_t seq)
{
	struct fmt_ctx *c;

	if (fmt_ctx_new(&c) < 0)
		return NULL;
	if (t->db && fmt_tdb_fill(c, t->db, seq) == 0)
		return c;
	fmt_ctx_free(c);
	return rings_fmt_ctx(t);
}

/* Each device's latest ring set-ups as trace_in holds them, selectors
 * unknown.  NULL if out of memory. */
static struct fmt_ctx *rings_fmt_ctx(const struct trace_in *t)
{
	struct fmt_ctx *c;

	if (fmt_ctx_new(&c) < 0)
		return NULL;
	for (unsigned i = 0; i < t->n_dev; i++) {
		struct fmt_device *d = fmt_ctx_device(c, t->dev[i].base);
		if (!d)
			continue;
		fmt_device_set_name(d, t->dev[i].name);
		d->version = t->dev[i].version;
		d->device_id = t->dev[i].device_id;
		d->drv_features = t->dev[i].features_negotiated; /* packed or split rings */
		d->unknown = FMT_UNKNOWN_ALL;
	}
	for (size_t k = 0; k < t->n_rings; k++) {
		const struct trace_rings *r = &t->rings[k];
		struct fmt_device *d;
		struct fmt_queue *q;

		if (r->dev < 0 || (unsigned)r->dev >= t->n_dev || r->queue >= FMT_QUEUES_MAX)
			continue;
		d = fmt_ctx_find(c, t->dev[r->dev].base);
		if (!d)
			continue;
		q = &d->q[r->queue];
		if (q->num)
			continue; /* a later set-up of this queue came first */
		q->num = r->num;
		q->desc = r->desc;
		q->driver = r->avail;
		q->device = r->used;
	}
	return c;
}

void describe_event(const struct trace_in *t, const struct trace_ev *ev, char *buf, size_t len)
{
	const struct trace_device *td = ev->device >= 0 ? &t->dev[ev->device] : NULL;
	struct vmt_event ve = { .seq = ev->seq, .base = td ? td->base : 0 };
	struct fmt_info info = { 0 };
	struct fmt_ctx *c = NULL;
	char name[4 * 40 + 1];
	int n;

	if (len == 0)
		return;
	switch (ev->type) {
	case TEV_MMIO:
		ve.type = VMT_EV_MMIO;
		ve.addr = ev->offset;
		ve.dir = ev->write ? VMT_DIR_WRITE : VMT_DIR_READ;
		ve.width = (uint8_t)ev->width;
		ve.value = ev->value;
		break;
	case TEV_MEM:
		/* The bytes are gone by now (valid until the next event is
		 * read): the place is named, not the values. */
		ve.type = VMT_EV_MEM;
		ve.addr = ev->addr;
		ve.len = ev->len;
		ve.flags = ev->mem_kind == TMEM_DRIVER ? VMT_MEM_DRIVER_WRITE : ev->mem_kind == TMEM_DEVICE
			   ? VMT_MEM_DEVICE_WRITE : ev->exact ? VMT_MEM_SNAPSHOT : VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;
		break;
	case TEV_IRQ:
		ve.type = VMT_EV_IRQ;
		ve.width = FMT_IRQ_EDGE_UNKNOWN; /* a trace.db row keeps the status only */
		ve.value = ev->value;
		break;
	case TEV_MARKER:
		ve.type = VMT_EV_MARKER;
		ve.data = (const uint8_t *)(ev->text ? ev->text : "");
		ve.len = (uint32_t)strnlen((const char *)ve.data, VMT_EVENT_DATA_MAX);
		break;
	case TEV_LOST:
		ve.type = VMT_EV_LOST;
		ve.value = ev->value;
		break;
	case TEV_VIOLATION:
		ve.type = VMT_EV_VIOLATION;
		ve.value = ev->value; /* the rule's id */
		ve.data = (const uint8_t *)(ev->text ? ev->text : "");
		ve.len = (uint32_t)strnlen((const char *)ve.data, VMT_EVENT_DATA_MAX);
		break;
	case TEV_QUEUE:
		/* The device's own report (not formatted by fmt_event). */
		escape_str(td ? td->name : "-", name, sizeof(name));
		snprintf(buf, len, "%-24s queue %" PRIu64 " %s (the device's report)", name, ev->addr,
			 vmt_queue_step_name((uint32_t)ev->value));
		return;
	default:
		snprintf(buf, len, "%-24s (event)", "-");
		return;
	}
	c = trace_fmt_ctx(t, ev->seq);
	/* Memory named from a ring belongs to that ring's device: format
	 * once to learn whose it is, then into buf after the device column
	 * (the formatter cuts on a character boundary, with "..."). */
	fmt_event(c, &ve, NULL, NULL, 0, &info);
	if (ev->type == TEV_MEM && info.where.dev)
		escape_str(info.where.dev->name, name, sizeof(name));
	else
		escape_str(td ? td->name : "-", name, sizeof(name));
	n = snprintf(buf, len, "%-24s ", name);
	if (n >= 0 && (size_t)n < len)
		fmt_event(c, &ve, NULL, buf + n, len - (size_t)n, &info);
	else
		escape_trim_cut(buf);
	fmt_ctx_free(c);
}

static bool in(uint64_t gpa, uint64_t start, uint64_t len, uint64_t *off)
{
	if (gpa < start || gpa - start >= len)
		return false;
	*off = gpa - start;
	return true;
}

/* The index into t->dev of the device at base, -1 if none. */
static int dev_index(const struct trace_in *t, uint64_t base)
{
	for (unsigned i = 0; i < t->n_dev; i++)
		if (t->dev[i].base == base)
			return (int)i;
	return -1;
}

/* Name gpa in c's rings into o (the formatter's words: "q0
 * used.ring[3].len"), with the device index and queue. */
static bool ring_byte(struct fmt_out *o, const struct fmt_ctx *c, const struct trace_in *t, uint64_t gpa, int *dev,
		      int *queue)
{
	struct fmt_mem_place where;

	if (!c || !fmt_gpa_name(o, c, gpa, &where))
		return false;
	*dev = dev_index(t, where.dev->base);
	*queue = (int)where.queue;
	return true;
}

void describe_gpa(const struct replay_rig *rig, const struct trace_in *t, uint64_t gpa, char *buf, size_t len,
		  int *dev, int *queue)
{
	struct guest_mem *gm = machine_mem(rig->m);
	struct fmt_ctx *c = NULL;
	struct fmt_out o;
	uint64_t off;

	*dev = -1;
	*queue = -1;
	fmt_out_init(&o, buf, len);
	/* The rings as the emulator has them set up. */
	if (fmt_ctx_new(&c) == 0) {
		for (unsigned i = 0; i < t->n_dev; i++) {
			struct emu_device *d = rig->dev[i];
			struct fmt_device *fd;
			if (!d || !(fd = fmt_ctx_device(c, t->dev[i].base)))
				continue;
			fd->drv_features = t->dev[i].features_negotiated; /* packed or split rings */
			for (unsigned q = 0; q < emu_device_model(d)->num_queues && q < FMT_QUEUES_MAX; q++) {
				const struct virtqueue *vq = emu_queue(d, q);
				if (!vq)
					continue;
				fd->q[q].num = vq->num;
				fd->q[q].desc = vq->desc;
				fd->q[q].driver = vq->avail;
				fd->q[q].device = vq->used;
			}
		}
	}
	if (ring_byte(&o, c, t, gpa, dev, queue))
		goto done;
	/* A buffer some descriptor points at (as the table is now). */
	for (unsigned i = 0; i < t->n_dev; i++) {
		struct emu_device *d = rig->dev[i];
		if (!d)
			continue;
		for (unsigned q = 0; q < emu_device_model(d)->num_queues; q++) {
			const struct virtqueue *vq = emu_queue(d, q);
			if (!vq)
				continue;
			for (uint32_t k = 0; k < vq->num; k++) {
				const uint8_t *p = gmem_ptr(gm, vq->desc + 16ull * k, 16);
				if (p && in(gpa, le64_get(p), le32_get(p + 8), &off)) {
					*dev = (int)i;
					*queue = (int)q;
					fmt_out_printf(&o, "0x%" PRIx64 ", %s buffer of q%u desc[%u] +0x%" PRIx64, gpa,
						       le16_get(p + 12) & VIRTQ_DESC_F_WRITE ? "device-writable" : "readable",
						       q, k, off);
					goto done;
				}
			}
		}
	}
	/* The rings as the trace's queues table has them: for addresses of a
	 * queue the emulator did not set up (the replayed driver's set-up
	 * diverged, or the model lacks the queue). */
	fmt_ctx_free(c);
	c = rings_fmt_ctx(t);
	if (ring_byte(&o, c, t, gpa, dev, queue))
		goto done;
	fmt_out_printf(&o, "guest memory 0x%" PRIx64, gpa);
done:
	fmt_ctx_free(c);
}

static void features_note(const struct trace_device *td, uint32_t sel, uint64_t expected, uint64_t actual,
			  char *buf, size_t len)
{
	char a[120], b[120];
	uint64_t rec = expected << (32 * (sel & 1)), emu = actual << (32 * (sel & 1));

	virtio_features_str(td->device_id, rec & ~emu, a, sizeof(a));
	virtio_features_str(td->device_id, emu & ~rec, b, sizeof(b));
	snprintf(buf, len, "word %u; only the recorded device offers: %s; only the emulator: %s "
		 "(declare DeviceFeatures to replay with the recorded set)", sel, rec & ~emu ? a : "-", emu & ~rec ? b : "-");
}

void describe_read_note(const struct trace_device *td, uint32_t offset, uint32_t features_sel,
			uint64_t expected, uint64_t actual, bool exact, int lacking_queue, char *buf, size_t len)
{
	char a[64], b[64];

	buf[0] = '\0';
	if (!td)
		return;
	switch (offset) {
	case MMIO_VENDOR_ID:
		snprintf(buf, len, "another implementation's VendorID (declare VendorID to replay with it)");
		return;
	case MMIO_DEVICE_FEATURES:
		if (features_sel < 2)
			features_note(td, features_sel, expected, actual, buf, len);
		return;
	case MMIO_QUEUE_NUM_MAX:
		snprintf(buf, len, "the recorded device allows %" PRIu64 " entries, the emulator %" PRIu64
			 "%s (declare QueueNumMax to replay with the recorded sizes)", expected, actual,
			 actual == 0 ? " (it has no such queue)" : "");
		return;
	case MMIO_STATUS:
		snprintf(buf, len, "recorded %s, emulator %s", virtio_status_str((uint32_t)expected, a, sizeof(a)),
			 virtio_status_str((uint32_t)actual, b, sizeof(b)));
		return;
	case MMIO_INTERRUPT_STATUS:
		if (lacking_queue >= 0)
			snprintf(buf, len, "the driver notified queue %d, which the emulated device does not have "
				 "(the recorded device offered more features); its answer cannot be replayed", lacking_queue);
		else if (!exact)
			snprintf(buf, len, "bit 0 used buffer, bit 1 configuration change; the recorded device "
				 "works on its own schedule, the emulator at once");
		return;
	case MMIO_CONFIG_GENERATION:
		return;
	}
	if (offset >= MMIO_CONFIG) {
		const struct config_field *f = config_field_at(td->device_id, offset - MMIO_CONFIG);
		snprintf(buf, len, "config field %s (declare config+0x%x to replay with the recorded value)",
			 f ? f->name : "(unnamed)", offset - MMIO_CONFIG);
	}
}
