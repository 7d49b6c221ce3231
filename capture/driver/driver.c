/* Probe, device initialization, configuration reads, interrupts and
 * request helpers of the built-in driver; see driver.h. */
#include "capture/driver/driver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

uint32_t drv_reg_read(struct drv_dev *d, uint32_t offset)
{
	return (uint32_t)d->bus->ops->mmio_read(d->bus->ctx, d->base + offset, 4);
}

void drv_reg_write(struct drv_dev *d, uint32_t offset, uint32_t value)
{
	d->bus->ops->mmio_write(d->bus->ctx, d->base + offset, 4, value);
}

int drv_error(struct drv_dev *d, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return code;
}

void drv_marker(struct drv_dev *d, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	if (!d->bus->ops->marker)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	d->bus->ops->marker(d->bus->ctx, text);
}

int drv_probe(struct drv_dev *d, struct drv_bus *bus, uint64_t base)
{
	uint32_t magic;

	memset(d, 0, sizeof(*d));
	d->bus = bus;
	d->base = base;

	/* MMIO-specific Device Initialization: MagicValue and Version
	 * first; DeviceID only if both are valid; after DeviceID 0 no other
	 * register may be touched. */
	magic = drv_reg_read(d, MMIO_MAGIC_VALUE);
	if (magic != VIRTIO_MMIO_MAGIC)
		return drv_error(d, DRV_E_ABSENT, "bad MagicValue 0x%08x (expected 0x%08x)", magic,
				 VIRTIO_MMIO_MAGIC);
	d->version = drv_reg_read(d, MMIO_VERSION);
	if (d->version != VIRTIO_MMIO_VERSION_MODERN && d->version != VIRTIO_MMIO_VERSION_LEGACY)
		return drv_error(d, DRV_E_ABSENT, "unsupported Version %u", d->version);
	d->device_id = drv_reg_read(d, MMIO_DEVICE_ID);
	if (d->device_id == 0)
		return drv_error(d, DRV_E_ABSENT, "DeviceID 0: placeholder, no device");
	d->vendor_id = drv_reg_read(d, MMIO_VENDOR_ID);
	d->tp = d->version == VIRTIO_MMIO_VERSION_MODERN ? &drv_transport_modern : &drv_transport_legacy;
	return 0;
}

/* Status writes carry every bit set so far: writing a value without an
 * earlier bit would clear it, which only a reset may do. */
static void set_status(struct drv_dev *d, uint32_t bit)
{
	d->status |= bit;
	drv_reg_write(d, MMIO_STATUS, d->status);
}

void drv_set_failed(struct drv_dev *d)
{
	if (d->status == 0 || (d->status & VIRTIO_STATUS_FAILED))
		return;
	set_status(d, VIRTIO_STATUS_FAILED);
}

int drv_reset(struct drv_dev *d)
{
	uint32_t st;

	/* Write 0, and wait for the reset to finish (Status reads 0). */
	d->status = 0;
	drv_reg_write(d, MMIO_STATUS, 0);
	st = drv_reg_read(d, MMIO_STATUS);
	if (st != 0)
		return drv_error(d, DRV_E_REFUSED, "device did not reset: Status reads 0x%x after writing 0", st);
	return 0;
}

int drv_init(struct drv_dev *d, uint64_t wanted)
{
	uint32_t lo, hi;
	uint64_t accept;
	int r;

	/* General Initialization: reset first. */
	r = drv_reset(d);
	if (r != 0)
		return r;
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);

	drv_reg_write(d, MMIO_DEVICE_FEATURES_SEL, 0);
	lo = drv_reg_read(d, MMIO_DEVICE_FEATURES);
	drv_reg_write(d, MMIO_DEVICE_FEATURES_SEL, 1);
	hi = drv_reg_read(d, MMIO_DEVICE_FEATURES);
	d->offered = (uint64_t)hi << 32 | lo;

	accept = wanted & d->offered;
	if (d->version == VIRTIO_MMIO_VERSION_MODERN) {
		/* A Version 2 device is a virtio 1.x device: it must offer
		 * VERSION_1 and its driver must accept it. */
		if (!(d->offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
			drv_set_failed(d);
			return drv_error(d, DRV_E_REFUSED, "Version 2 device does not offer VIRTIO_F_VERSION_1");
		}
		accept |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	} else {
		/* A legacy driver knows only the first 32 feature bits. */
		accept &= UINT32_MAX;
	}
	drv_reg_write(d, MMIO_DRIVER_FEATURES_SEL, 0);
	drv_reg_write(d, MMIO_DRIVER_FEATURES, (uint32_t)accept);
	drv_reg_write(d, MMIO_DRIVER_FEATURES_SEL, 1);
	drv_reg_write(d, MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
	d->features = accept;
	d->use_indirect = drv_has(d, VIRTIO_F_INDIRECT_DESC);
	return d->tp->features_done(d);
}

int drv_setup_queues(struct drv_dev *d, unsigned n, uint32_t num_pref)
{
	if (n > DRV_QUEUES_MAX)
		return drv_error(d, -EINVAL, "%u queues asked, at most %u supported", n, DRV_QUEUES_MAX);
	for (unsigned q = 0; q < n; q++) {
		int r = d->tp->queue_setup(d, q, num_pref);

		if (r != 0) {
			drv_set_failed(d);
			return r;
		}
		d->n_queues = q + 1;
	}
	return 0;
}

void drv_driver_ok(struct drv_dev *d)
{
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
}

void drv_release(struct drv_dev *d)
{
	if (!d)
		return;
	for (unsigned q = 0; q < DRV_QUEUES_MAX; q++)
		drv_vring_release(&d->vq[q]);
	d->n_queues = 0;
}

uint8_t drv_config_read8(struct drv_dev *d, uint32_t off)
{
	return (uint8_t)d->bus->ops->mmio_read(d->bus->ctx, d->base + MMIO_CONFIG + off, 1);
}

uint16_t drv_config_read16(struct drv_dev *d, uint32_t off)
{
	return (uint16_t)d->bus->ops->mmio_read(d->bus->ctx, d->base + MMIO_CONFIG + off, 2);
}

uint32_t drv_config_read32(struct drv_dev *d, uint32_t off)
{
	return (uint32_t)d->bus->ops->mmio_read(d->bus->ctx, d->base + MMIO_CONFIG + off, 4);
}

uint64_t drv_config_read64(struct drv_dev *d, uint32_t off)
{
	uint64_t lo = drv_config_read32(d, off);

	return lo | (uint64_t)drv_config_read32(d, off + 4) << 32;
}

uint32_t drv_config_begin(struct drv_dev *d)
{
	return d->tp->config_generation(d);
}

bool drv_config_retry(struct drv_dev *d, uint32_t gen, unsigned *tries)
{
	if (d->tp->config_generation(d) == gen)
		return false;
	return ++*tries < DRV_CONFIG_RETRIES;
}

int drv_handle_interrupt(struct drv_dev *d, uint32_t *handled)
{
	uint32_t isr, ack;

	*handled = 0;
	if (!d->bus->ops->irq_pending(d->bus->ctx, d->base))
		return 0;
	isr = drv_reg_read(d, MMIO_INTERRUPT_STATUS);
	/* Acknowledge what was read, minus undefined bits, which the driver
	 * must ignore and must never write back. */
	ack = isr & VIRTIO_MMIO_INT_MASK;
	if (ack)
		drv_reg_write(d, MMIO_INTERRUPT_ACK, ack);
	d->interrupts++;
	*handled = ack;
	if (ack & VIRTIO_MMIO_INT_CONFIG) {
		uint32_t st;

		d->config_changes++;
		st = drv_reg_read(d, MMIO_STATUS);
		if (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
			return drv_error(d, DRV_E_REFUSED, "device set DEVICE_NEEDS_RESET (Status 0x%x)", st);
	}
	return 0;
}

int drv_submit(struct drv_dev *d, unsigned q, const struct drv_sg *sg, unsigned n_out, unsigned n_in,
	       uint64_t token)
{
	int r;

	if (q >= d->n_queues)
		return drv_error(d, -EINVAL, "queue %u is not set up", q);
	r = drv_vring_add(&d->vq[q], sg, n_out, n_in, token);
	if (r == -EINVAL)
		return drv_error(d, r, "queue %u: a chain of %u buffers does not fit a ring of %u", q,
				 n_out + n_in, d->vq[q].num);
	if (r == -EFAULT)
		return drv_error(d, r, "%s", d->vq[q].fault);
	return r;
}

void drv_kick(struct drv_dev *d, unsigned q)
{
	/* The queue index is the notification value while
	 * VIRTIO_F_NOTIFICATION_DATA is not negotiated (it never is). */
	if (q < d->n_queues && drv_vring_kick_prepare(&d->vq[q]))
		drv_reg_write(d, MMIO_QUEUE_NOTIFY, q);
}

int drv_get_used(struct drv_dev *d, unsigned q, uint64_t *token, uint32_t *len)
{
	int r;

	if (q >= d->n_queues)
		return drv_error(d, -EINVAL, "queue %u is not set up", q);
	r = drv_vring_get_used(&d->vq[q], token, len);
	if (r < 0)
		return drv_error(d, DRV_E_REFUSED, "%s", d->vq[q].fault);
	if (r == 1)
		d->requests++;
	return r;
}

int drv_wait(struct drv_dev *d, unsigned q)
{
	uint32_t handled;

	if (q >= d->n_queues)
		return drv_error(d, -EINVAL, "queue %u is not set up", q);
	for (unsigned i = 0; i < DRV_POLL_MAX; i++) {
		int r = drv_handle_interrupt(d, &handled);

		if (r != 0)
			return r;
		if (drv_vring_has_used(&d->vq[q]))
			return 0;
	}
	return drv_error(d, DRV_E_REFUSED, "queue %u: no used buffer after %u polls (%u in flight)", q,
			 DRV_POLL_MAX, drv_vring_in_flight(&d->vq[q]));
}

int drv_transact(struct drv_dev *d, unsigned q, const struct drv_sg *sg, unsigned n_out, unsigned n_in,
		 uint32_t *len)
{
	uint64_t token;
	int r;

	if (q < d->n_queues && drv_vring_in_flight(&d->vq[q]) != 0)
		return drv_error(d, -EBUSY, "queue %u: synchronous request while others are in flight", q);
	r = drv_submit(d, q, sg, n_out, n_in, 0);
	if (r == -ENOSPC)
		return drv_error(d, r, "queue %u: ring too small for a chain of %u buffers", q, n_out + n_in);
	if (r != 0)
		return r;
	drv_kick(d, q);
	r = drv_wait(d, q);
	if (r != 0)
		return r;
	r = drv_get_used(d, q, &token, len);
	if (r == 0)
		return drv_error(d, DRV_E_REFUSED, "queue %u: used buffer vanished", q);
	return r == 1 ? 0 : r;
}

int drv_queue_size(struct drv_dev *d, unsigned q, uint32_t num_pref, uint32_t *num)
{
	uint32_t max = drv_reg_read(d, MMIO_QUEUE_NUM_MAX);

	if (max == 0)
		return drv_error(d, DRV_E_REFUSED, "queue %u is not available (QueueNumMax 0)", q);
	if (max > num_pref)
		max = num_pref;
	if (max > VIRTQ_SIZE_MAX)
		max = VIRTQ_SIZE_MAX;
	/* Split rings need a power of two; packed ones take any size. */
	*num = drv_has(d, VIRTIO_F_RING_PACKED) ? max : drv_pow2_floor(max);
	return 0;
}
