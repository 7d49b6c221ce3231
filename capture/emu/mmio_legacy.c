/* The Version 1 (legacy) register layout: page-based queue addressing
 * through GuestPageSize, QueueAlign and QueuePFN. */
#include "capture/emu/device_priv.h"

#include "virtio/mmio_regs.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"

static bool legacy_read(struct emu_device *d, uint32_t offset, uint32_t *v)
{
	struct emu_queue *q = emu_selected_queue(d);

	if (offset != MMIO_QUEUE_PFN)
		return false;
	*v = q ? q->pfn : 0;
	return true;
}

/* Lay the ring out as the legacy interface does: descriptors at the page,
 * the available ring right after, the used ring at the next QueueAlign
 * boundary (Legacy Interfaces: A Note on Virtqueue Layout).  A page size or
 * align that is not a power of two, or a layout no device can use (a size
 * out of range, areas wrapping past 2^64), is refused: the checker
 * reported why, and the queue cannot be placed. */
static void legacy_activate(struct emu_device *d, struct emu_queue *q)
{
	uint64_t align = q->align ? q->align : SPLIT_RING_LEGACY_ALIGN_DEFAULT;
	uint64_t desc = (uint64_t)q->pfn * d->guest_page_size, avail, used;

	if (d->guest_page_size == 0 || (d->guest_page_size & (d->guest_page_size - 1)) ||
	    split_ring_legacy_layout(desc, q->num, align, &avail, &used) != 0) {
		emu_queue_deactivate(d, d->queue_sel);
		emu_device_set_needs_reset(d);
		return;
	}
	emu_queue_activate(d, d->queue_sel, desc, avail, used);
}

static bool legacy_write(struct emu_device *d, uint32_t offset, uint32_t v)
{
	struct emu_queue *q = emu_selected_queue(d);

	switch (offset) {
	case MMIO_GUEST_PAGE_SIZE:
		d->guest_page_size = v;
		return true;
	case MMIO_QUEUE_ALIGN:
		if (q && !q->pfn)
			q->align = v;
		return true;
	case MMIO_QUEUE_PFN:
		if (!q)
			return true;
		q->pfn = v;
		if (v == 0)
			emu_queue_deactivate(d, d->queue_sel);
		else
			legacy_activate(d, q);
		return true;
	}
	return false;
}

/* Legacy devices offer only the low 32 feature bits: VERSION_1 and the
 * later transport features do not exist for them. */
const struct emu_transport emu_transport_legacy = {
	.version = 1,
	.features_mask = UINT32_MAX,
	.read = legacy_read,
	.write = legacy_write,
};
