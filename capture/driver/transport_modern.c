/* The modern (Version 2) register layout: FEATURES_OK, queue set-up with
 * QueueReady and 64-bit area addresses, ConfigGeneration. */
#include "capture/driver/driver.h"

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

static int modern_features_done(struct drv_dev *d)
{
	uint32_t st;

	/* General Initialization step 5 and 6: set FEATURES_OK, then
	 * re-read Status; if the bit did not stick, the device refused
	 * this feature subset. */
	d->status |= VIRTIO_STATUS_FEATURES_OK;
	drv_reg_write(d, MMIO_STATUS, d->status);
	st = drv_reg_read(d, MMIO_STATUS);
	if (!(st & VIRTIO_STATUS_FEATURES_OK)) {
		d->status &= ~VIRTIO_STATUS_FEATURES_OK;
		drv_set_failed(d);
		return drv_error(d, DRV_E_REFUSED, "device did not accept features 0x%llx (Status 0x%x)",
				 (unsigned long long)d->features, st);
	}
	return 0;
}

static void write_addr(struct drv_dev *d, uint32_t low_reg, uint64_t gpa)
{
	drv_reg_write(d, low_reg, (uint32_t)gpa);
	drv_reg_write(d, low_reg + 4, (uint32_t)(gpa >> 32));
}

/* Virtqueue Configuration, in the spec's order: select, check not in
 * use, read the maximum, allocate and zero, size, the three areas, ready. */
static int modern_queue_setup(struct drv_dev *d, unsigned q, uint32_t num_pref)
{
	struct drv_vring *vq = &d->vq[q];
	uint32_t ready, num;
	int r;

	drv_reg_write(d, MMIO_QUEUE_SEL, q);
	ready = drv_reg_read(d, MMIO_QUEUE_READY);
	if (ready != 0)
		return drv_error(d, DRV_E_REFUSED, "queue %u already in use (QueueReady %u)", q, ready);
	r = drv_queue_size(d, q, num_pref, &num);
	if (r != 0)
		return r;
	/* With VIRTIO_F_RING_PACKED the three areas are the descriptor ring
	 * and the driver and device event suppression structures (Packed
	 * Virtqueues); the registers are the same. */
	if (drv_has(d, VIRTIO_F_RING_PACKED))
		r = drv_vring_alloc_packed(vq, d->bus, q, num, d->use_indirect, drv_has(d, VIRTIO_F_EVENT_IDX));
	else
		r = drv_vring_alloc(vq, d->bus, q, num, 0, d->use_indirect, drv_has(d, VIRTIO_F_EVENT_IDX));
	if (r < 0)
		return drv_error(d, r, "queue %u: cannot allocate a ring of %u entries", q, num);
	drv_reg_write(d, MMIO_QUEUE_NUM, num);
	write_addr(d, MMIO_QUEUE_DESC_LOW, vq->desc);
	write_addr(d, MMIO_QUEUE_DRIVER_LOW, vq->avail);
	write_addr(d, MMIO_QUEUE_DEVICE_LOW, vq->used);
	drv_reg_write(d, MMIO_QUEUE_READY, 1);
	return 0;
}

static uint32_t modern_config_generation(struct drv_dev *d)
{
	return drv_reg_read(d, MMIO_CONFIG_GENERATION);
}

const struct drv_transport drv_transport_modern = {
	.name = "modern",
	.features_done = modern_features_done,
	.queue_setup = modern_queue_setup,
	.config_generation = modern_config_generation,
};
