/* The legacy (Version 1) register layout: no FEATURES_OK, page-based queue
 * set-up (GuestPageSize, QueueAlign, QueuePFN), no ConfigGeneration. */
#include "capture/driver/driver.h"

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

static int legacy_features_done(struct drv_dev *d)
{
	/* Legacy devices know no FEATURES_OK: the accepted features take
	 * effect as written. */
	return 0;
}

/* Legacy interface queue configuration: GuestPageSize once before the
 * first queue, then select, check QueuePFN is 0, read the maximum,
 * allocate a page-aligned contiguous ring, QueueNum, QueueAlign, QueuePFN. */
static int legacy_queue_setup(struct drv_dev *d, unsigned q, uint32_t num_pref)
{
	struct drv_vring *vq = &d->vq[q];
	uint32_t pfn, num;
	uint64_t page;
	int r;

	if (!d->page_size_set) {
		drv_reg_write(d, MMIO_GUEST_PAGE_SIZE, DRV_LEGACY_PAGE);
		d->page_size_set = true;
	}
	drv_reg_write(d, MMIO_QUEUE_SEL, q);
	pfn = drv_reg_read(d, MMIO_QUEUE_PFN);
	if (pfn != 0)
		return drv_error(d, DRV_E_REFUSED, "queue %u already in use (QueuePFN 0x%x)", q, pfn);
	r = drv_queue_size(d, q, num_pref, &num);
	if (r != 0)
		return r;
	r = drv_vring_alloc(vq, d->bus, q, num, DRV_LEGACY_PAGE, d->use_indirect,
			    drv_has(d, VIRTIO_F_EVENT_IDX));
	if (r < 0)
		return drv_error(d, r, "queue %u: cannot allocate a ring of %u entries", q, num);
	page = vq->desc / DRV_LEGACY_PAGE;
	if (page == 0 || page > UINT32_MAX)
		return drv_error(d, DRV_E_REFUSED, "queue %u: ring at 0x%llx has no valid 32-bit page number",
				 q, (unsigned long long)vq->desc);
	drv_reg_write(d, MMIO_QUEUE_NUM, num);
	drv_reg_write(d, MMIO_QUEUE_ALIGN, DRV_LEGACY_PAGE);
	drv_reg_write(d, MMIO_QUEUE_PFN, (uint32_t)page);
	return 0;
}

static uint32_t legacy_config_generation(struct drv_dev *d)
{
	return 0;
}

const struct drv_transport drv_transport_legacy = {
	.name = "legacy",
	.features_done = legacy_features_done,
	.queue_setup = legacy_queue_setup,
	.config_generation = legacy_config_generation,
};
