/* The guest's virtio-mmio driver core (vio.h). */
#include "tests/kvmhost/guest/vio.h"

#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/kvmhost/guest/glib.h"
#include "tests/kvmhost/kh_abi.h"

static uint32_t reg_read(struct vio_dev *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

static void reg_write(struct vio_dev *d, uint32_t off, uint32_t v)
{
	mmio_write32(d->base + off, v);
}

/* Status writes carry every bit set so far: only a reset may clear one. */
static void set_status(struct vio_dev *d, uint32_t bit)
{
	d->status |= bit;
	reg_write(d, MMIO_STATUS, d->status);
}

uint32_t vio_fail(struct vio_dev *d, enum vio_step step, const char *what, uint32_t a, uint32_t b)
{
	glog_hex(what, a, b);
	if (d->status && !(d->status & VIRTIO_STATUS_FAILED))
		set_status(d, VIRTIO_STATUS_FAILED);
	return KH_FAIL(d->index, step);
}

uint32_t vio_probe(struct vio_dev *d, unsigned index, uint32_t base, uint32_t want_version)
{
	uint32_t magic;

	memset(d, 0, sizeof(*d));
	d->base = base;
	d->index = index;
	/* MagicValue and Version first; DeviceID only if both are right;
	 * after DeviceID 0 no other register is touched. */
	magic = reg_read(d, MMIO_MAGIC_VALUE);
	if (magic != VIRTIO_MMIO_MAGIC)
		return vio_fail(d, STEP_MAGIC, "bad MagicValue at", base, magic);
	d->version = reg_read(d, MMIO_VERSION);
	if (d->version != want_version)
		return vio_fail(d, STEP_VERSION, "unexpected Version at", base, d->version);
	d->device_id = reg_read(d, MMIO_DEVICE_ID);
	if (d->device_id == 0)
		return 0;
	d->vendor_id = reg_read(d, MMIO_VENDOR_ID);
	return 0;
}

uint32_t vio_init(struct vio_dev *d, uint32_t want_lo, uint32_t want_hi)
{
	uint32_t st;

	/* Reset, and wait until Status reads 0. */
	d->status = 0;
	reg_write(d, MMIO_STATUS, 0);
	st = reg_read(d, MMIO_STATUS);
	if (st != 0)
		return vio_fail(d, STEP_RESET, "Status after reset", d->base, st);
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);

	reg_write(d, MMIO_DEVICE_FEATURES_SEL, 0);
	d->offered[0] = reg_read(d, MMIO_DEVICE_FEATURES);
	reg_write(d, MMIO_DEVICE_FEATURES_SEL, 1);
	d->offered[1] = reg_read(d, MMIO_DEVICE_FEATURES);

	d->accepted[0] = want_lo & d->offered[0];
	d->accepted[1] = want_hi & d->offered[1];
	if (d->version == VIRTIO_MMIO_VERSION_MODERN) {
		/* A Version 2 device must offer VERSION_1, and its driver accept it. */
		uint32_t v1 = 1u << (VIRTIO_F_VERSION_1 - 32);
		if (!(d->offered[1] & v1))
			return vio_fail(d, STEP_VERSION_1, "VERSION_1 not offered", d->base, d->offered[1]);
		d->accepted[1] |= v1;
	} else {
		/* A legacy driver knows only the first 32 bits. */
		d->accepted[1] = 0;
	}
	reg_write(d, MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(d, MMIO_DRIVER_FEATURES, d->accepted[0]);
	reg_write(d, MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(d, MMIO_DRIVER_FEATURES, d->accepted[1]);
	if (d->version != VIRTIO_MMIO_VERSION_MODERN)
		return 0; /* legacy has no FEATURES_OK */

	set_status(d, VIRTIO_STATUS_FEATURES_OK);
	st = reg_read(d, MMIO_STATUS);
	if (!(st & VIRTIO_STATUS_FEATURES_OK)) {
		d->status &= ~VIRTIO_STATUS_FEATURES_OK;
		return vio_fail(d, STEP_FEATURES_OK, "FEATURES_OK refused", d->base, st);
	}
	return 0;
}

static uint32_t pow2_floor(uint32_t v)
{
	uint32_t p = 1;

	while (p <= v / 2)
		p *= 2;
	return p;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Read QueueNumMax of the selected queue and choose the size. */
static uint32_t queue_size(struct vio_dev *d, unsigned qi, uint32_t *num)
{
	uint32_t max = reg_read(d, MMIO_QUEUE_NUM_MAX);

	if (max == 0)
		return vio_fail(d, STEP_QUEUE_MAX, "queue not available (QueueNumMax 0)", d->base, qi);
	*num = pow2_floor(max < VIO_QUEUE_SIZE ? max : VIO_QUEUE_SIZE);
	return 0;
}

/* Virtqueue Configuration (modern): select, check not in use, size, the
 * three areas in separate pages, ready. */
static uint32_t queue_setup_modern(struct vio_dev *d, unsigned qi)
{
	struct vio_queue *q = &d->q[qi];
	uint32_t r;

	reg_write(d, MMIO_QUEUE_SEL, qi);
	if ((r = reg_read(d, MMIO_QUEUE_READY)) != 0)
		return vio_fail(d, STEP_QUEUE_BUSY, "queue already ready", d->base, qi);
	if ((r = queue_size(d, qi, &q->num)) != 0)
		return r;
	q->desc = galloc(16 * q->num, 4096);
	q->avail = galloc(6 + 2 * q->num, 4096);
	q->used = galloc(6 + 8 * q->num, 4096);
	if (!q->desc || !q->avail || !q->used)
		return vio_fail(d, STEP_NO_MEMORY, "no memory for queue", d->base, qi);
	reg_write(d, MMIO_QUEUE_NUM, q->num);
	reg_write(d, MMIO_QUEUE_DESC_LOW, q->desc);
	reg_write(d, MMIO_QUEUE_DESC_HIGH, 0);
	reg_write(d, MMIO_QUEUE_DRIVER_LOW, q->avail);
	reg_write(d, MMIO_QUEUE_DRIVER_HIGH, 0);
	reg_write(d, MMIO_QUEUE_DEVICE_LOW, q->used);
	reg_write(d, MMIO_QUEUE_DEVICE_HIGH, 0);
	reg_write(d, MMIO_QUEUE_READY, 1);
	return 0;
}

/* Legacy interface queue configuration: GuestPageSize once, select, check
 * QueuePFN is 0, size, one page-aligned contiguous ring (descriptors,
 * available ring, used ring at the next QueueAlign boundary), QueueNum,
 * QueueAlign, QueuePFN. */
static uint32_t queue_setup_legacy(struct vio_dev *d, unsigned qi)
{
	struct vio_queue *q = &d->q[qi];
	uint32_t r, used_off, bytes;

	if (!d->page_size_set) {
		reg_write(d, MMIO_GUEST_PAGE_SIZE, VIO_LEGACY_PAGE);
		d->page_size_set = true;
	}
	reg_write(d, MMIO_QUEUE_SEL, qi);
	if ((r = reg_read(d, MMIO_QUEUE_PFN)) != 0)
		return vio_fail(d, STEP_QUEUE_BUSY, "queue already has a QueuePFN", d->base, r);
	if ((r = queue_size(d, qi, &q->num)) != 0)
		return r;
	used_off = align_up(16 * q->num + 6 + 2 * q->num, VIO_LEGACY_PAGE);
	bytes = used_off + align_up(6 + 8 * q->num, VIO_LEGACY_PAGE);
	q->desc = galloc(bytes, VIO_LEGACY_PAGE);
	if (!q->desc)
		return vio_fail(d, STEP_NO_MEMORY, "no memory for queue", d->base, qi);
	q->avail = q->desc + 16 * q->num;
	q->used = q->desc + used_off;
	reg_write(d, MMIO_QUEUE_NUM, q->num);
	reg_write(d, MMIO_QUEUE_ALIGN, VIO_LEGACY_PAGE);
	reg_write(d, MMIO_QUEUE_PFN, q->desc / VIO_LEGACY_PAGE);
	return 0;
}

uint32_t vio_setup_queues(struct vio_dev *d, unsigned n)
{
	for (unsigned qi = 0; qi < n && qi < VIO_QUEUES_MAX; qi++) {
		uint32_t r = d->version == VIRTIO_MMIO_VERSION_MODERN ? queue_setup_modern(d, qi)
								      : queue_setup_legacy(d, qi);
		if (r)
			return r;
		d->n_queues = qi + 1;
	}
	return 0;
}

uint32_t vio_config_generation(struct vio_dev *d)
{
	if (d->version != VIRTIO_MMIO_VERSION_MODERN)
		return 0;
	return reg_read(d, MMIO_CONFIG_GENERATION);
}

void vio_driver_ok(struct vio_dev *d)
{
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
}

void vio_submit(struct vio_dev *d, unsigned qi, const struct vio_buf *bufs, unsigned n)
{
	struct vio_queue *q = &d->q[qi];
	volatile uint8_t *desc = (volatile uint8_t *)q->desc;
	volatile uint16_t *avail = (volatile uint16_t *)q->avail;

	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t *e = desc + 16 * i;
		uint16_t flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
					    (bufs[i].writable ? VIRTQ_DESC_F_WRITE : 0));

		*(volatile uint32_t *)(e + 0) = bufs[i].addr;
		*(volatile uint32_t *)(e + 4) = 0;
		*(volatile uint32_t *)(e + 8) = bufs[i].len;
		*(volatile uint16_t *)(e + 12) = flags;
		*(volatile uint16_t *)(e + 14) = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	/* ring[idx % num] = head 0, then publish the new idx. */
	avail[2 + (q->next_avail & (q->num - 1))] = 0;
	barrier();
	q->next_avail++;
	avail[1] = q->next_avail;
	barrier();
}

void vio_notify(struct vio_dev *d, unsigned qi)
{
	reg_write(d, MMIO_QUEUE_NOTIFY, qi);
}

uint32_t vio_wait(struct vio_dev *d, unsigned qi, uint32_t *len)
{
	struct vio_queue *q = &d->q[qi];
	volatile uint16_t *used = (volatile uint16_t *)q->used;

	for (unsigned i = 0; i < VIO_POLL_MAX; i++) {
		uint32_t isr = reg_read(d, MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_MASK;

		if (isr) {
			reg_write(d, MMIO_INTERRUPT_ACK, isr);
			if (isr & VIRTIO_MMIO_INT_CONFIG) {
				uint32_t st = reg_read(d, MMIO_STATUS);
				if (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
					return vio_fail(d, STEP_NEEDS_RESET, "device needs reset", d->base, st);
			}
		}
		barrier();
		if (used[1] != q->last_used) {
			volatile uint32_t *elem = (volatile uint32_t *)(q->used + 4 + 8 * (q->last_used & (q->num - 1)));
			uint32_t id = elem[0];

			*len = elem[1];
			q->last_used++;
			if (id != 0)
				return vio_fail(d, STEP_USED_ID, "used entry names another descriptor", d->base, id);
			return 0;
		}
	}
	return vio_fail(d, STEP_SILENT, "no used buffer on queue", d->base, qi);
}
