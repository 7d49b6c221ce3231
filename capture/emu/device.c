/* Registers common to both virtio-mmio layouts, config space, status and
 * interrupts, and the services device models use. */
#include "capture/emu/device_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/config_layout.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

static void checker_report(void *ctx, enum rule_id rule, const char *msg)
{
	struct emu_device *d = ctx;

	d->violations++;
	if (d->hooks.violation)
		d->hooks.violation(d->hooks.ctx, d, rule, msg);
}

int emu_device_new(struct emu_device **out, const struct emu_device_cfg *cfg,
		   struct guest_mem *gm, const struct emu_hooks *hooks)
{
	struct emu_device *d;
	int r;

	*out = NULL;
	if (!cfg->model || (cfg->version != 1 && cfg->version != 2))
		return -EINVAL;
	if (cfg->model->num_queues > EMU_QUEUES_MAX || cfg->model->config_size > EMU_CONFIG_MAX)
		return -EINVAL;
	if (cfg->queue_num_max > VIRTQ_SIZE_MAX)
		return -EINVAL;
	/* Options are the model's own struct: another size is another model's. */
	if (cfg->opts && cfg->opts_size != cfg->model->opts_size)
		return -EINVAL;
	for (unsigned i = 0; i < EMU_QUEUES_MAX; i++)
		if (cfg->queue_num_max_q[i] > VIRTQ_SIZE_MAX)
			return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->base = cfg->base;
	d->vendor_id = cfg->vendor_id ? cfg->vendor_id : EMU_VENDOR_ID;
	d->tp = cfg->version == 1 ? &emu_transport_legacy : &emu_transport_modern;
	d->model = cfg->model;
	d->gm = gm;
	if (hooks)
		d->hooks = *hooks;
	d->queue_num_max = cfg->queue_num_max ? cfg->queue_num_max : EMU_QUEUE_NUM_MAX_DEFAULT;
	memcpy(d->queue_num_max_q, cfg->queue_num_max_q, sizeof(d->queue_num_max_q));
	d->interrupt_always = cfg->interrupt_always;
	d->offered = (cfg->offer_features ? cfg->features : cfg->model->features) & d->tp->features_mask;
	if (cfg->offer_packed)
		d->offered |= VIRTIO_BIT(VIRTIO_F_RING_PACKED) & d->tp->features_mask;
	mmio_checker_init(&d->checker, cfg->version, checker_report, d);
	d->checker.ram_base = gm->base;
	d->checker.ram_size = gm->size;
	d->checker.device_id = cfg->model->device_id; /* for config field rules before the DeviceID read */
	if (d->model->init) {
		r = d->model->init(d, cfg->opts);
		if (r < 0) {
			free(d);
			return r;
		}
	}
	*out = d;
	return 0;
}

void emu_device_free(struct emu_device *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < EMU_QUEUES_MAX; i++)
		vq_release(&d->q[i].vq);
	if (d->model->destroy)
		d->model->destroy(d);
	free(d);
}

struct emu_queue *emu_selected_queue(struct emu_device *d)
{
	return d->queue_sel < d->model->num_queues ? &d->q[d->queue_sel] : NULL;
}

void emu_device_set_needs_reset(struct emu_device *d)
{
	if (d->broken)
		return;
	d->broken = true;
	d->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	/* Version 1 predates DEVICE_NEEDS_RESET and its notification. */
	if (d->tp->version == 2)
		emu_config_changed(d);
}

void emu_queue_activate(struct emu_device *d, unsigned idx, uint64_t desc, uint64_t driver, uint64_t device)
{
	struct emu_queue *q = &d->q[idx];
	struct vq_fault f;
	uint64_t feat = emu_negotiated(d);

	emu_queue_deactivate(d, idx);
	/* Bad sizes and layouts were reported by the checker already. */
	bool packed = feat & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (q->num == 0 || q->num > emu_queue_num_max(d, idx) ||
	    (packed ? vq_setup_packed : vq_setup)(&q->vq, d->gm, q->num, desc, driver, device,
						   feat & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC),
						   feat & VIRTIO_BIT(VIRTIO_F_EVENT_IDX), &f) < 0) {
		emu_device_set_needs_reset(d);
		return;
	}
	q->live = true;
}

void emu_queue_deactivate(struct emu_device *d, unsigned idx)
{
	struct emu_queue *q = &d->q[idx];

	q->live = false;
	vq_release(&q->vq);
}

/* Status 0: the device forgets everything the driver set up. */
static void device_reset(struct emu_device *d)
{
	for (unsigned i = 0; i < EMU_QUEUES_MAX; i++) {
		emu_queue_deactivate(d, i);
		memset(&d->q[i], 0, sizeof(d->q[i]));
	}
	d->status = 0;
	d->driver_features = 0;
	d->dev_features_sel = d->drv_features_sel = 0;
	d->queue_sel = 0;
	d->int_status = 0;
	d->shm_sel = 0;
	/* GuestPageSize survives: Linux writes it once at probe, before the
	 * reset that starts initialization, and QEMU keeps it (replaying a
	 * legacy QEMU boot found this). */
	d->broken = false;
	if (d->model->reset)
		d->model->reset(d);
}

static void status_write(struct emu_device *d, uint32_t v)
{
	if (v == 0) {
		device_reset(d);
		return;
	}
	uint32_t added = v & ~d->status;
	/* The device keeps its own DEVICE_NEEDS_RESET until reset. */
	d->status = v | (d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if ((added & VIRTIO_STATUS_FEATURES_OK) && d->tp->version == 2) {
		/* Refuse (leave FEATURES_OK clear) a set the device cannot honour. */
		bool subset = !(d->driver_features & ~d->offered);
		bool v1 = d->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1);
		if (!subset || !v1)
			d->status &= ~VIRTIO_STATUS_FEATURES_OK;
	}
}

static uint64_t config_read(struct emu_device *d, uint32_t off, unsigned width)
{
	uint64_t v = 0;

	if (off >= d->model->config_size || width > d->model->config_size - off)
		return 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)d->config[off + i] << (8 * i);
	return v;
}

static void config_write(struct emu_device *d, uint32_t off, unsigned width, uint64_t v)
{
	if (off >= d->model->config_size || width > d->model->config_size - off)
		return;
	/* Only fields the spec lets the driver write take the bytes. */
	const struct config_field *f = config_field_at(d->model->device_id, off);
	if (!f || !f->writable || off + width > (uint32_t)f->offset + f->size)
		return;
	for (unsigned b = 0; b < width; b++)
		d->config[off + b] = (uint8_t)(v >> (8 * b));
	if (d->model->config_write)
		d->model->config_write(d, off, width);
}

/* Registers both layouts share. Returns false if the offset is not one. */
static bool common_read(struct emu_device *d, uint32_t offset, uint32_t *v)
{
	struct emu_queue *q;

	switch (offset) {
	case MMIO_MAGIC_VALUE: *v = VIRTIO_MMIO_MAGIC; return true;
	case MMIO_VERSION: *v = d->tp->version; return true;
	case MMIO_DEVICE_ID: *v = d->model->device_id; return true;
	case MMIO_VENDOR_ID: *v = d->vendor_id; return true;
	case MMIO_DEVICE_FEATURES:
		*v = d->dev_features_sel < 2 ? (uint32_t)(d->offered >> (32 * d->dev_features_sel)) : 0;
		return true;
	case MMIO_QUEUE_NUM_MAX:
		q = emu_selected_queue(d);
		*v = q ? emu_queue_num_max(d, d->queue_sel) : 0;
		return true;
	case MMIO_INTERRUPT_STATUS: *v = d->int_status; return true;
	case MMIO_STATUS: *v = d->status; return true;
	}
	return false;
}

static void notify(struct emu_device *d, uint32_t v)
{
	unsigned idx = (emu_negotiated(d) & VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA)) ? (v & 0xffff) : v;

	if (idx >= d->model->num_queues || !(d->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (emu_queue(d, idx) && d->model->queue_notify)
		d->model->queue_notify(d, idx);
}

void emu_device_poll(struct emu_device *d)
{
	if (!(d->status & VIRTIO_STATUS_DRIVER_OK) || !d->model->queue_notify)
		return;
	for (unsigned i = 0; i < d->model->num_queues; i++) {
		struct virtqueue *vq = emu_queue(d, i);
		if (vq && vq_pending(vq))
			d->model->queue_notify(d, i);
	}
}

int emu_device_supply(struct emu_device *d, const uint8_t *data, uint32_t len)
{
	if (!d->model->supply)
		return -ENOTSUP;
	return d->model->supply(d, data, len);
}

static bool common_write(struct emu_device *d, uint32_t offset, uint32_t v)
{
	struct emu_queue *q;

	switch (offset) {
	case MMIO_DEVICE_FEATURES_SEL: d->dev_features_sel = v; return true;
	case MMIO_DRIVER_FEATURES_SEL: d->drv_features_sel = v; return true;
	case MMIO_DRIVER_FEATURES:
		/* Features are fixed once FEATURES_OK was accepted. */
		if (d->drv_features_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * d->drv_features_sel;
			d->driver_features = (d->driver_features & ~((uint64_t)UINT32_MAX << sh)) | (uint64_t)v << sh;
		}
		return true;
	case MMIO_QUEUE_SEL: d->queue_sel = v; return true;
	case MMIO_QUEUE_NUM:
		q = emu_selected_queue(d);
		if (q && !q->live && !q->ready)
			q->num = v;
		return true;
	case MMIO_QUEUE_NOTIFY: notify(d, v); return true;
	case MMIO_INTERRUPT_ACK: d->int_status &= ~v; return true;
	case MMIO_STATUS: status_write(d, v); return true;
	}
	return false;
}

static bool control_readable(const struct emu_device *d, uint32_t offset)
{
	const struct mmio_reg_info *r = mmio_reg_lookup(offset, d->tp->version);
	return r && (r->dir & MMIO_DIR_R);
}

static bool control_writable(const struct emu_device *d, uint32_t offset)
{
	const struct mmio_reg_info *r = mmio_reg_lookup(offset, d->tp->version);
	return r && (r->dir & MMIO_DIR_W);
}

static uint64_t width_mask(unsigned width)
{
	return width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

static bool valid_width(unsigned width)
{
	return width == 1 || width == 2 || width == 4 || width == 8;
}

uint64_t emu_mmio_read(struct emu_device *d, uint32_t offset, unsigned width)
{
	uint32_t v32 = 0;
	uint64_t v = 0;

	/* No bus makes a 3- or 16-byte access: report it, read nothing. */
	if (!valid_width(width)) {
		mmio_checker_access(&d->checker, offset, width, false, 0);
		return 0;
	}
	if (offset >= MMIO_CONFIG) {
		v = config_read(d, offset - MMIO_CONFIG, width);
	} else if (width == 4 && !(offset & 3) && control_readable(d, offset)) {
		/* Wrong-width, misaligned and write-only reads return 0. */
		if (common_read(d, offset, &v32) || d->tp->read(d, offset, &v32))
			v = v32;
	}
	v &= width_mask(width);
	mmio_checker_access(&d->checker, offset, width, false, v);
	return v;
}

void emu_mmio_write(struct emu_device *d, uint32_t offset, unsigned width, uint64_t value)
{
	value &= width_mask(width);
	/* Check first: the checker must see the state before the write. */
	mmio_checker_access(&d->checker, offset, width, true, value);
	if (!valid_width(width))
		return;
	if (offset >= MMIO_CONFIG) {
		config_write(d, offset - MMIO_CONFIG, width, value);
		return;
	}
	if (width != 4 || (offset & 3) || !control_writable(d, offset))
		return;
	if (!common_write(d, offset, (uint32_t)value))
		d->tp->write(d, offset, (uint32_t)value);
}

uint64_t emu_device_base(const struct emu_device *d) { return d->base; }
uint32_t emu_device_version(const struct emu_device *d) { return d->tp->version; }
const struct emu_model *emu_device_model(const struct emu_device *d) { return d->model; }
uint32_t emu_device_vendor_id(const struct emu_device *d) { return d->vendor_id; }
uint16_t emu_device_queue_num_max(const struct emu_device *d) { return d->queue_num_max; }
uint32_t emu_device_status(const struct emu_device *d) { return d->status; }
uint32_t emu_interrupt_status(const struct emu_device *d) { return d->int_status; }
uint64_t emu_device_features(const struct emu_device *d) { return d->offered; }
uint64_t emu_driver_features(const struct emu_device *d) { return d->driver_features; }
unsigned emu_violation_count(const struct emu_device *d) { return d->violations; }
void *emu_model_state(const struct emu_device *d) { return d->model_state; }
void emu_set_model_state(struct emu_device *d, void *state) { d->model_state = state; }
struct guest_mem *emu_mem(const struct emu_device *d) { return d->gm; }
uint8_t *emu_config(struct emu_device *d) { return d->config; }
bool emu_device_broken(const struct emu_device *d) { return d->broken; }

uint64_t emu_negotiated(const struct emu_device *d)
{
	/* Legacy devices take GuestFeatures as written; modern ones once
	 * FEATURES_OK was accepted. */
	if (d->tp->version == 1 || (d->status & VIRTIO_STATUS_FEATURES_OK))
		return d->driver_features & d->offered;
	return 0;
}

bool emu_has_feature(const struct emu_device *d, unsigned bit)
{
	return bit < 64 && (emu_negotiated(d) & VIRTIO_BIT(bit));
}

struct virtqueue *emu_queue(struct emu_device *d, unsigned idx)
{
	if (idx >= d->model->num_queues || d->broken || !d->q[idx].live)
		return NULL;
	return &d->q[idx].vq;
}

/* Every notification is reported, also while the line is still asserted
 * for an earlier one: a trace shows each used-buffer notification. */
static void raise_irq(struct emu_device *d, uint32_t bits)
{
	d->int_status |= bits;
	if (d->hooks.irq)
		d->hooks.irq(d->hooks.ctx, d, d->int_status);
}

void emu_queue_interrupt(struct emu_device *d, unsigned idx)
{
	if (idx >= d->model->num_queues || !d->q[idx].live)
		return;
	/* Held entries (vq_hold) are published, and interrupted for, at vq_flush. */
	if (d->q[idx].vq.hold && !d->q[idx].vq.pushed)
		return;
	bool wanted = vq_should_interrupt(&d->q[idx].vq);
	if (wanted || d->interrupt_always)
		raise_irq(d, VIRTIO_MMIO_INT_VRING);
}

void emu_config_changed(struct emu_device *d)
{
	d->config_gen++;
	raise_irq(d, VIRTIO_MMIO_INT_CONFIG);
}

static void vreport(struct emu_device *d, enum rule_id rule, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	checker_report(d, rule, msg);
}

void emu_violation(struct emu_device *d, enum rule_id rule, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(d, rule, fmt, ap);
	va_end(ap);
}

void emu_device_fail(struct emu_device *d, enum rule_id rule, const char *fmt, ...)
{
	va_list ap;

	if (d->broken)
		return;
	va_start(ap, fmt);
	vreport(d, rule, fmt, ap);
	va_end(ap);
	emu_device_set_needs_reset(d);
}
