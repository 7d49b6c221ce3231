/* See fmt_mmio.h. */
#include "format/fmt_mmio.h"

#include <inttypes.h>
#include <stdio.h>

#include "capture/event.h"
#include "format/fmt_device.h"
#include "format/fmt_out.h"
#include "virtio/config_layout.h"
#include "virtio/device_types.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

void fmt_features_word(struct fmt_out *o, unsigned device_id, unsigned word, unsigned bits)
{
	fmt_out_printf(o, "word %u:", word);
	if (bits == 0) {
		fmt_out_printf(o, " none");
		return;
	}
	for (unsigned i = 0; i < 32; i++) {
		uint64_t bit = (uint64_t)word * 32 + i; /* word is guest-chosen: keep it wide */
		const char *n;

		if (!(bits & (1u << i)))
			continue;
		n = bit < 64 ? virtio_feature_name(device_id, (unsigned)bit) : NULL;
		if (n)
			fmt_out_printf(o, " %s", n);
		else
			fmt_out_printf(o, " bit%" PRIu64, bit);
	}
}

void fmt_config_field(struct fmt_out *o, unsigned device_id, unsigned off, unsigned width)
{
	/* Every type's fields, checked layouts or not: a name is a name. */
	const struct devtype *t = devtype_find(device_id);
	const struct config_field *f = devtype_config_field_at(t, off), *l;
	unsigned last = width ? off + width - 1 : off; /* off < 2^32 - 0x100 and width <= 255: no wrap */

	if (!f)
		return;
	fmt_out_printf(o, "%s", f->name);
	if (off > f->offset)
		fmt_out_printf(o, "+%u", off - f->offset);
	if (last >= (unsigned)f->offset + f->size) {
		/* The access runs past this field: name where it ends. */
		l = devtype_config_field_at(t, last);
		fmt_out_printf(o, "..%s", l && l != f ? l->name : "?");
	}
}

/* InterruptStatus / InterruptACK bits. */
static void irq_bits(struct fmt_out *o, uint64_t v)
{
	const char *sep = "";

	if (v & VIRTIO_MMIO_INT_VRING) {
		fmt_out_printf(o, "used-buffer");
		sep = "|";
	}
	if (v & VIRTIO_MMIO_INT_CONFIG) {
		fmt_out_printf(o, "%sconfig-change", sep);
		sep = "|";
	}
	if (v & ~(uint64_t)VIRTIO_MMIO_INT_MASK)
		fmt_out_printf(o, "%s0x%" PRIx64, sep, v & ~(uint64_t)VIRTIO_MMIO_INT_MASK);
	else if (!v)
		fmt_out_printf(o, "none");
}

/* "queue N" for the selected queue, "queue ?" when the caller could not
 * say which. */
static void queue_word(struct fmt_out *o, const struct fmt_device *d)
{
	if (d->unknown & FMT_UNKNOWN_QUEUE_SEL)
		fmt_out_printf(o, "queue ?");
	else
		fmt_out_printf(o, "queue %" PRIu32, d->queue_sel);
}

/* " (transmitq)": the role of queue q of a device of type device_id,
 * where the role is the same whatever features the driver negotiated
 * (the formatter follows the driver's feature words but not the config
 * bytes some roles also depend on): net's receiveq/transmitq pair 0 and
 * console's port 0, but not net queue 2 (controlq, or a receiveq with
 * MQ).  Nothing for unknown types and queues. */
static void queue_role(struct fmt_out *o, uint32_t device_id, uint64_t q)
{
	const struct devtype_queue *none, *all;

	if (device_id == 0 || q >= DEVTYPE_QUEUE_INDEX_MAX)
		return;
	none = devtype_queue_role(device_id, (unsigned)q, 0, NULL, 0);
	all = devtype_queue_role(device_id, (unsigned)q, UINT64_MAX, NULL, 0);
	if (none && none == all)
		fmt_out_printf(o, " (%s)", none->name);
}

void fmt_mmio_meaning(struct fmt_out *o, const struct fmt_device *d, const struct vmt_event *ev)
{
	static const struct fmt_device unknown; /* all zero: modern, type unknown */
	bool wr = ev->dir == VMT_DIR_WRITE;
	uint64_t v = ev->value;
	uint32_t off;
	char tmp[160];

	if (!d)
		d = &unknown;
	if (ev->addr >= MMIO_CONFIG) {
		/* ev->addr is an offset in a 0x200 window in practice, but a
		 * raw trace can hold any 64-bit value. */
		if (ev->addr - MMIO_CONFIG <= UINT32_MAX - MMIO_CONFIG && ev->width <= 8)
			fmt_config_field(o, d->device_id, (unsigned)(ev->addr - MMIO_CONFIG), ev->width);
		return;
	}
	off = (uint32_t)ev->addr;
	if (off & 3u)
		return; /* inside a register: its bytes have no meaning alone */
	switch (off) {
	case MMIO_MAGIC_VALUE:
		fmt_out_printf(o, "%s", v == VIRTIO_MMIO_MAGIC ? "\"virt\"" : "bad magic");
		return;
	case MMIO_VERSION:
		fmt_out_printf(o, "%s", v == 1 ? "legacy" : v == 2 ? "modern" : "unknown version");
		return;
	case MMIO_DEVICE_ID: {
		const char *n = v <= UINT32_MAX ? virtio_device_type_name((uint32_t)v) : NULL;
		fmt_out_printf(o, "%s", v == 0 ? "no device" : n ? n : "unassigned id");
		return;
	}
	case MMIO_DEVICE_FEATURES:
		if (d->unknown & FMT_UNKNOWN_DEV_FEATURES_SEL)
			fmt_out_printf(o, "word ?");
		else
			fmt_features_word(o, d->device_id, d->dev_features_sel, (uint32_t)v);
		return;
	case MMIO_DRIVER_FEATURES:
		if (d->unknown & FMT_UNKNOWN_DRV_FEATURES_SEL)
			fmt_out_printf(o, "word ?");
		else
			fmt_features_word(o, d->device_id, d->drv_features_sel, (uint32_t)v);
		return;
	case MMIO_DEVICE_FEATURES_SEL:
	case MMIO_DRIVER_FEATURES_SEL:
		fmt_out_printf(o, "word %" PRIu64, v);
		return;
	case MMIO_STATUS:
		fmt_out_printf(o, "%s", virtio_status_str((uint32_t)v, tmp, sizeof(tmp)));
		return;
	case MMIO_INTERRUPT_STATUS:
	case MMIO_INTERRUPT_ACK:
		irq_bits(o, v);
		return;
	case MMIO_QUEUE_SEL:
		fmt_out_printf(o, "queue %" PRIu64, v);
		queue_role(o, d->device_id, v);
		return;
	case MMIO_QUEUE_NOTIFY:
		/* With VIRTIO_F_NOTIFICATION_DATA the high half carries data. */
		fmt_out_printf(o, "queue %" PRIu64, v & 0xffff);
		queue_role(o, d->device_id, v & 0xffff);
		if (v >> 16)
			fmt_out_printf(o, " data 0x%" PRIx64, v >> 16);
		return;
	case MMIO_GUEST_PAGE_SIZE:
		if (d->version != VIRTIO_MMIO_VERSION_MODERN)
			fmt_out_printf(o, "%" PRIu64 " bytes", v);
		return;
	}
	/* Registers of the queue QueueSel selected. */
	switch (off) {
	case MMIO_QUEUE_NUM_MAX:
	case MMIO_QUEUE_NUM:
	case MMIO_QUEUE_DESC_LOW:
	case MMIO_QUEUE_DRIVER_LOW:
	case MMIO_QUEUE_DEVICE_LOW:
	case MMIO_QUEUE_DESC_HIGH:
	case MMIO_QUEUE_DRIVER_HIGH:
	case MMIO_QUEUE_DEVICE_HIGH:
	case MMIO_QUEUE_RESET:
		if (d->version == VIRTIO_MMIO_VERSION_LEGACY && off > MMIO_QUEUE_NUM)
			return; /* not registers of the legacy layout */
		queue_word(o, d);
		break;
	case MMIO_QUEUE_READY:
		if (d->version != VIRTIO_MMIO_VERSION_LEGACY) {
			queue_word(o, d);
			fmt_out_printf(o, " %s", v & 1 ? "ready" : "not ready");
		}
		return;
	case MMIO_QUEUE_ALIGN:
		if (d->version != VIRTIO_MMIO_VERSION_MODERN)
			queue_word(o, d);
		return;
	case MMIO_QUEUE_PFN:
		if (d->version == VIRTIO_MMIO_VERSION_MODERN)
			return;
		queue_word(o, d);
		if (v == 0) {
			fmt_out_printf(o, wr ? " released" : " not in use");
		} else {
			uint64_t page = d->page_size ? d->page_size : 4096;
			fmt_out_printf(o, " at 0x%" PRIx64, (uint64_t)(uint32_t)v * page);
		}
		return;
	default:
		return;
	}
	/* The High half written completes an address: show it whole. */
	if (wr && d->queue_sel < FMT_QUEUES_MAX && !(d->unknown & FMT_UNKNOWN_QUEUE_SEL)) {
		const struct fmt_queue *q = &d->q[d->queue_sel];
		/* The driver and device areas of a packed ring are its event
		 * suppression structures (format/fmt_mem.c names them so). */
		bool packed = fmt_device_packed(d);
		const char *driver_area = packed ? "driver event" : "avail";
		const char *device_area = packed ? "device event" : "used";
		uint32_t lo = 0;
		const char *what = NULL;

		switch (off) {
		case MMIO_QUEUE_DESC_HIGH: lo = (uint32_t)q->desc; what = "desc"; break;
		case MMIO_QUEUE_DRIVER_HIGH: lo = (uint32_t)q->driver; what = driver_area; break;
		case MMIO_QUEUE_DEVICE_HIGH: lo = (uint32_t)q->device; what = device_area; break;
		}
		if (what && ev->width == 4)
			fmt_out_printf(o, " %s at 0x%" PRIx64, what, (uint64_t)(uint32_t)v << 32 | lo);
		else if ((off == MMIO_QUEUE_DESC_LOW || off == MMIO_QUEUE_DRIVER_LOW || off == MMIO_QUEUE_DEVICE_LOW) &&
			 ev->width == 8)
			fmt_out_printf(o, " %s at 0x%" PRIx64, off == MMIO_QUEUE_DESC_LOW ? "desc" :
				       off == MMIO_QUEUE_DRIVER_LOW ? driver_area : device_area, v);
	}
}

void fmt_mmio(struct fmt_out *o, const struct fmt_device *d, const struct vmt_event *ev)
{
	uint32_t version = d && d->version ? d->version : VIRTIO_MMIO_VERSION_MODERN;
	uint32_t off = ev->addr > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->addr;
	unsigned digits = ev->width >= 1 && ev->width <= 8 ? 2u * ev->width : 8u;
	char reg[48], val[24];
	size_t mark;

	mmio_reg_describe(off, version, reg, sizeof(reg));
	snprintf(val, sizeof(val), "0x%0*" PRIx64, (int)digits, ev->value);
	fmt_out_printf(o, "%c %-*s %u %-*s ", ev->dir == VMT_DIR_WRITE ? 'W' : 'R', FMT_REG_COL, reg, ev->width,
		       FMT_VALUE_COL, val);
	mark = o->pos;
	fmt_mmio_meaning(o, d, ev);
	if (o->pos == mark) {
		/* No meaning: no trailing blanks. */
		while (o->pos > 0 && o->buf[o->pos - 1] == ' ')
			o->buf[--o->pos] = '\0';
	}
}
