/* The Version 2 register layout: QueueReady, 64-bit area addresses, shared
 * memory regions, QueueReset and ConfigGeneration. */
#include "capture/emu/device_priv.h"

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

static bool modern_read(struct emu_device *d, uint32_t offset, uint32_t *v)
{
	struct emu_queue *q = emu_selected_queue(d);

	switch (offset) {
	case MMIO_QUEUE_READY:
		*v = q ? q->ready : 0;
		return true;
	case MMIO_SHM_LEN_LOW:
	case MMIO_SHM_LEN_HIGH:
	case MMIO_SHM_BASE_LOW:
	case MMIO_SHM_BASE_HIGH:
		/* No model has shared memory regions: every id is absent, so
		 * length reads -1 and base all ones. */
		*v = UINT32_MAX;
		return true;
	case MMIO_QUEUE_RESET:
		/* Resets complete synchronously, so 0 is always presented. */
		*v = 0;
		return true;
	case MMIO_CONFIG_GENERATION:
		*v = d->config_gen;
		return true;
	}
	return false;
}

static void set_low(uint64_t *r, uint32_t v) { *r = (*r & ~(uint64_t)UINT32_MAX) | v; }
static void set_high(uint64_t *r, uint32_t v) { *r = (*r & UINT32_MAX) | (uint64_t)v << 32; }

static bool modern_write(struct emu_device *d, uint32_t offset, uint32_t v)
{
	struct emu_queue *q = emu_selected_queue(d);
	uint64_t *area = NULL;

	switch (offset) {
	case MMIO_SHM_SEL:
		d->shm_sel = v;
		return true;
	case MMIO_QUEUE_READY:
		if (!q)
			return true;
		if (v == 1 && !q->ready) {
			q->ready = true;
			emu_queue_activate(d, d->queue_sel, q->desc, q->driver, q->device);
		} else if (v == 0) {
			q->ready = false;
			emu_queue_deactivate(d, d->queue_sel);
		}
		return true;
	case MMIO_QUEUE_RESET:
		if (q && v == 1 && emu_has_feature(d, VIRTIO_F_RING_RESET)) {
			emu_queue_deactivate(d, d->queue_sel);
			q->ready = false;
			q->num = 0;
			q->desc = q->driver = q->device = 0;
		}
		return true;
	case MMIO_QUEUE_DESC_LOW: case MMIO_QUEUE_DESC_HIGH:
		area = q ? &q->desc : NULL;
		break;
	case MMIO_QUEUE_DRIVER_LOW: case MMIO_QUEUE_DRIVER_HIGH:
		area = q ? &q->driver : NULL;
		break;
	case MMIO_QUEUE_DEVICE_LOW: case MMIO_QUEUE_DEVICE_HIGH:
		area = q ? &q->device : NULL;
		break;
	default:
		return false;
	}
	/* Area registers of a live queue are frozen (the checker reports the write). */
	if (!area || q->ready)
		return true;
	if (offset & 4)
		set_high(area, v);
	else
		set_low(area, v);
	return true;
}

const struct emu_transport emu_transport_modern = {
	.version = 2,
	.features_mask = UINT64_MAX,
	.read = modern_read,
	.write = modern_write,
};
