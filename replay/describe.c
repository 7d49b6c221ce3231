/* See describe.h. */
#include "replay/describe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/machine.h"
#include "format/escape.h"
#include "virtio/config_layout.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

void describe_event(const struct trace_in *t, const struct trace_ev *ev, char *buf, size_t len)
{
	const struct trace_device *td = ev->device >= 0 ? &t->dev[ev->device] : NULL;
	char reg[48], name[4 * 40 + 1], text[4 * 80 + 1];

	/* Trace text may hold anything: the one escaper keeps it visible
	 * and harmless (format/escape.h). */
	escape_str(td ? td->name : "", name, sizeof(name));
	escape_str(ev->text ? ev->text : "", text, sizeof(text));

	switch (ev->type) {
	case TEV_MMIO:
		mmio_reg_describe((uint32_t)ev->offset, td && td->version == 1 ? 1 : 2, reg, sizeof(reg));
		snprintf(buf, len, "%-24s %s %-18s %s 0x%" PRIx64, td ? name : "(no device)",
			 ev->write ? "W" : "R", reg, ev->write ? "<-" : "->", ev->value);
		break;
	case TEV_MEM:
		snprintf(buf, len, "%-24s %s 0x%" PRIx64 " (%u bytes)", "memory",
			 ev->mem_kind == TMEM_DRIVER ? "driver store" : ev->mem_kind == TMEM_DEVICE ? "device store"
			 : ev->exact ? "snapshot" : "best-effort snapshot", ev->addr, ev->len);
		break;
	case TEV_IRQ:
		snprintf(buf, len, "%-24s interrupt, InterruptStatus 0x%" PRIx64, td ? name : "?", ev->value);
		break;
	case TEV_VIOLATION:
		snprintf(buf, len, "%-24s violation: %s", td ? name : "?", text);
		break;
	case TEV_MARKER:
		snprintf(buf, len, "marker: %s", text);
		break;
	case TEV_LOST:
		snprintf(buf, len, "%" PRIu64 " events lost", ev->value);
		break;
	default:
		snprintf(buf, len, "(event)");
	}
	escape_trim_cut(buf); /* snprintf may have cut a UTF-8 character */
}

static bool in(uint64_t gpa, uint64_t start, uint64_t len, uint64_t *off)
{
	if (gpa < start || gpa - start >= len)
		return false;
	*off = gpa - start;
	return true;
}

static void ring_field(char *buf, size_t len, const char *area, unsigned q, uint64_t off, uint32_t num, bool used)
{
	uint64_t elem = used ? VIRTQ_USED_ELEM_SIZE : 2;
	uint64_t ring_end = 4 + elem * num;

	if (off < 2)
		snprintf(buf, len, "%s of queue %u: flags", area, q);
	else if (off < 4)
		snprintf(buf, len, "%s of queue %u: idx", area, q);
	else if (off < ring_end && used)
		snprintf(buf, len, "%s of queue %u: ring[%" PRIu64 "].%s", area, q, (off - 4) / elem,
			 (off - 4) % elem < 4 ? "id" : "len");
	else if (off < ring_end)
		snprintf(buf, len, "%s of queue %u: ring[%" PRIu64 "]", area, q, (off - 4) / elem);
	else
		snprintf(buf, len, "%s of queue %u: %s", area, q, used ? "avail_event" : "used_event");
}

/* The rings as the trace's queues table has them: for addresses of a queue
 * the emulator did not set up (the replayed driver's set-up diverged, or
 * the model lacks the queue). */
static bool recorded_area(const struct trace_in *t, uint64_t gpa, char *buf, size_t len, int *dev, int *queue)
{
	struct trace_ring_area a;

	if (!trace_in_ring_area(t, gpa, &a))
		return false;
	if (a.area == TRACE_AREA_USED)
		ring_field(buf, len, "used ring", a.queue, a.off, a.num, true);
	else if (a.area == TRACE_AREA_AVAIL)
		ring_field(buf, len, "available ring", a.queue, a.off, a.num, false);
	else
		snprintf(buf, len, "descriptor table of queue %u: desc[%" PRIu64 "]", a.queue, a.off / 16);
	*dev = a.dev;
	*queue = (int)a.queue;
	return true;
}

void describe_gpa(const struct replay_rig *rig, const struct trace_in *t, uint64_t gpa, char *buf, size_t len,
		  int *dev, int *queue)
{
	static const char *const desc_fields[] = { "addr", "addr", "len", "flags" };
	struct guest_mem *gm = machine_mem(rig->m);
	uint64_t off;

	*dev = -1;
	*queue = -1;
	for (unsigned i = 0; i < t->n_dev; i++) {
		struct emu_device *d = rig->dev[i];
		if (!d)
			continue;
		for (unsigned q = 0; q < emu_device_model(d)->num_queues; q++) {
			const struct virtqueue *vq = emu_queue(d, q);
			if (!vq)
				continue;
			*dev = (int)i;
			*queue = (int)q;
			if (in(gpa, vq->used, virtq_used_bytes(vq->num), &off)) {
				ring_field(buf, len, "used ring", q, off, vq->num, true);
				return;
			}
			if (in(gpa, vq->avail, virtq_avail_bytes(vq->num), &off)) {
				ring_field(buf, len, "available ring", q, off, vq->num, false);
				return;
			}
			if (in(gpa, vq->desc, virtq_desc_bytes(vq->num), &off)) {
				unsigned f = (unsigned)(off % 16);
				snprintf(buf, len, "descriptor table of queue %u: desc[%" PRIu64 "].%s", q, off / 16,
					 f < 12 ? desc_fields[f / 4] : f < 14 ? "flags" : "next");
				return;
			}
			/* A buffer some descriptor points at (as the table is now). */
			for (uint32_t k = 0; k < vq->num; k++) {
				const uint8_t *p = gmem_ptr(gm, vq->desc + 16ull * k, 16);
				if (p && in(gpa, le64_get(p), le32_get(p + 8), &off)) {
					snprintf(buf, len, "0x%" PRIx64 ", %s buffer of desc[%u] of queue %u +0x%" PRIx64, gpa,
						 le16_get(p + 12) & VIRTQ_DESC_F_WRITE ? "device-writable" : "readable", k, q, off);
					return;
				}
			}
		}
	}
	if (recorded_area(t, gpa, buf, len, dev, queue))
		return;
	*dev = -1;
	*queue = -1;
	snprintf(buf, len, "guest memory 0x%" PRIx64, gpa);
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
