/* See event_fmt.h. */
#include "format/event_fmt.h"

#include <inttypes.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "format/fmt_mmio.h"
#include "format/fmt_out.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"

const char *fmt_mem_whose(unsigned flags, char *buf, size_t len)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ VMT_MEM_DRIVER_WRITE, "driver" },
		{ VMT_MEM_DEVICE_WRITE, "device" },
		{ VMT_MEM_SNAPSHOT, "snapshot" },
		{ VMT_MEM_BEST_EFFORT, "best-effort" },
		{ VMT_MEM_TRUNCATED, "truncated" },
	};
	struct fmt_out o;
	const char *sep = "";
	unsigned known = 0;

	fmt_out_init(&o, buf, len);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		known |= names[i].bit;
		if (flags & names[i].bit) {
			fmt_out_printf(&o, "%s%s", sep, names[i].name);
			sep = "|";
		}
	}
	if (!*sep || (flags & ~known))
		fmt_out_printf(&o, "%sflags 0x%x", sep, flags);
	return buf;
}

/* Text payloads: drop the trailing NULs a source may have included. */
static void quoted_text(struct fmt_out *o, const struct vmt_event *ev)
{
	size_t len = ev->data ? ev->len : 0;

	while (len && ev->data[len - 1] == '\0')
		len--;
	fmt_out_printf(o, "\"");
	fmt_out_text(o, ev->data, len, ESCAPE_QUOTES);
	fmt_out_printf(o, "\"");
}

/* "queue N STEP ...": the device's own report of a queue step (event.h).
 * A payload that is not a report, or a step vmtrace does not know, is
 * printed as what it is. */
static void queue_report(struct fmt_out *o, const struct vmt_event *ev)
{
	struct vmt_queue_report q;

	fmt_out_printf(o, "queue %" PRIu64 " ", ev->addr);
	if (!ev->data || vmt_queue_report_decode(&q, ev->data, ev->len) != 0) {
		fmt_out_printf(o, "step %" PRIu64 " bad report (%" PRIu32 " bytes, not %u)", ev->value, ev->len,
			       VMT_QUEUE_REPORT_BYTES);
		return;
	}
	switch (ev->value) {
	case VMT_QSTEP_POP:
		fmt_out_printf(o, "pop elem 0x%" PRIx64 " in %" PRIu64 " out %" PRIu64, q.token, q.arg0, q.arg1);
		break;
	case VMT_QSTEP_FILL:
		fmt_out_printf(o, "fill elem 0x%" PRIx64 " len %" PRIu64 " at +%" PRIu64, q.token, q.arg0, q.arg1);
		break;
	case VMT_QSTEP_FLUSH:
		fmt_out_printf(o, "flush %" PRIu64 " used %s", q.arg0, q.arg0 == 1 ? "entry" : "entries");
		if (q.token || q.arg1) /* never set by a flush: show it */
			fmt_out_printf(o, " token 0x%" PRIx64 " arg1 %" PRIu64, q.token, q.arg1);
		break;
	case VMT_QSTEP_BLK_READ:
	case VMT_QSTEP_BLK_WRITE:
		fmt_out_printf(o, "%s elem 0x%" PRIx64 " sector %" PRIu64 " count %" PRIu64,
			       vmt_queue_step_name((uint32_t)ev->value), q.token, q.arg0, q.arg1);
		break;
	case VMT_QSTEP_SCSI_CMD:
		fmt_out_printf(o, "scsi-cmd elem 0x%" PRIx64 " op 0x%02" PRIx64 " lun %" PRIu64, q.token, q.arg0, q.arg1);
		break;
	case VMT_QSTEP_SCSI_XFER: {
		static const char *const dirs[] = { "none", "from-device", "to-device" };
		fmt_out_printf(o, "scsi-xfer elem 0x%" PRIx64 " length %" PRIu64, q.token, q.arg0);
		if (q.arg1 < sizeof(dirs) / sizeof(dirs[0]))
			fmt_out_printf(o, " dir %s", dirs[q.arg1]);
		else
			fmt_out_printf(o, " dir %" PRIu64, q.arg1);
		break;
	}
	case VMT_QSTEP_SCSI_LBA:
		fmt_out_printf(o, "scsi-lba elem 0x%" PRIx64 " lba %" PRIu64, q.token, q.arg0);
		if (q.arg1) /* never set by QEMU's line: show it */
			fmt_out_printf(o, " arg1 %" PRIu64, q.arg1);
		break;
	default:
		fmt_out_printf(o, "step %" PRIu64 " (unknown) token 0x%" PRIx64 " arg0 %" PRIu64 " arg1 %" PRIu64,
			       ev->value, q.token, q.arg0, q.arg1);
		break;
	}
}

static size_t format_into(const struct fmt_ctx *c, const struct vmt_event *ev, const char *note, char *buf,
			  size_t len, struct fmt_info *info)
{
	struct fmt_out o;
	char whose[64];

	memset(info, 0, sizeof(*info));
	fmt_out_init(&o, buf, len);
	switch (ev->type) {
	case VMT_EV_MMIO:
		fmt_mmio(&o, c ? fmt_ctx_find(c, ev->base) : NULL, ev);
		break;
	case VMT_EV_MEM:
		fmt_out_printf(&o, "mem 0x%" PRIx64 " len %" PRIu32 " %s", ev->addr, ev->len,
			       fmt_mem_whose(ev->flags, whose, sizeof(whose)));
		if (c) {
			/* Nothing stays appended when it lies in no ring. */
			size_t mark = o.pos;
			bool was_cut = o.cut;
			fmt_out_printf(&o, ": ");
			info->named = fmt_mem_name(&o, c, ev, &info->where);
			if (!info->named) {
				o.pos = mark;
				if (o.size)
					o.buf[o.pos] = '\0';
				o.cut = was_cut;
			}
		}
		break;
	case VMT_EV_IRQ:
		fmt_out_printf(&o, "irq %sstatus 0x%" PRIx64,
			       ev->width == FMT_IRQ_EDGE_UNKNOWN ? "" : ev->width ? "raised " : "lowered ", ev->value);
		if (ev->value & VIRTIO_MMIO_INT_MASK)
			fmt_out_printf(&o, " %s%s%s", ev->value & VIRTIO_MMIO_INT_VRING ? "used-buffer" : "",
				       (ev->value & VIRTIO_MMIO_INT_MASK) == VIRTIO_MMIO_INT_MASK ? "|" : "",
				       ev->value & VIRTIO_MMIO_INT_CONFIG ? "config-change" : "");
		break;
	case VMT_EV_MARKER:
		fmt_out_printf(&o, "marker ");
		quoted_text(&o, ev);
		break;
	case VMT_EV_LOST:
		fmt_out_printf(&o, "lost %" PRIu64 " events", ev->value);
		break;
	case VMT_EV_VIOLATION: {
		const struct rule_info *ri = rule_lookup(ev->value > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->value);
		fmt_out_printf(&o, "violation %s", ri->key);
		if (ri->id == RULE_NONE)
			fmt_out_printf(&o, "(%" PRIu64 ")", ev->value);
		fmt_out_printf(&o, " %s ", rule_severity_name(ri->severity));
		quoted_text(&o, ev);
		if (ri->section && *ri->section)
			fmt_out_printf(&o, " [%s]", ri->section);
		break;
	}
	case VMT_EV_DEVICE:
		fmt_out_printf(&o, "device");
		break;
	case VMT_EV_QUEUE:
		queue_report(&o, ev);
		break;
	default:
		fmt_out_printf(&o, "type %u value 0x%" PRIx64 " addr 0x%" PRIx64 " len %" PRIu32, ev->type, ev->value,
			       ev->addr, ev->len);
		break;
	}
	if (note && *note) {
		fmt_out_printf(&o, " (");
		fmt_out_text(&o, note, strlen(note), 0);
		fmt_out_printf(&o, ")");
	}
	info->cut = o.cut;
	return o.pos;
}

size_t fmt_event(const struct fmt_ctx *c, const struct vmt_event *ev, const char *note, char *buf, size_t len,
		 struct fmt_info *info)
{
	struct fmt_info local;
	size_t n;

	if (!info)
		info = &local;
	n = format_into(c, ev, note, buf, len, info);
	if (info->cut && len > 3) {
		/* Again into 3 bytes less, so the cut falls where the
		 * formatter stopped (never inside an escape or a character),
		 * and "..." shows it. */
		n = format_into(c, ev, note, buf, len - 3, info);
		memcpy(buf + n, "...", 4);
		n += 3;
		info->cut = true;
	}
	return n;
}

size_t fmt_event_next(struct fmt_ctx *c, const struct vmt_event *ev, const char *note, char *buf, size_t len,
		      struct fmt_info *info)
{
	size_t n = fmt_event(c, ev, note, buf, len, info);

	fmt_ctx_track(c, ev);
	return n;
}
