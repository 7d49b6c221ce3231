/* A machine of emulated devices over guest RAM, recording what happens. */
#include "capture/emu/machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/rawtrace.h"
#include "virtio/device_types.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

/* Violations found while serving a read are recorded after the read's own
 * event, so each violation follows the access that caused it. */
#define DEFERRED_MAX 8

struct deferred_violation {
	uint64_t base;
	uint32_t rule;
	char msg[256];
};

struct machine {
	struct guest_mem mem;
	struct emu_device *dev[MACHINE_DEVICES_MAX];
	unsigned n_dev;
	struct rawtrace_writer *rec;
	int rec_error;
	machine_observer_fn observer;
	void *observer_ctx;
	uint64_t clock; /* events recorded so far: the deterministic clock */
	bool in_read;
	unsigned n_deferred;
	struct deferred_violation deferred[DEFERRED_MAX];
};

static void record(struct machine *m, struct vmt_event *ev)
{
	int r;

	if (!m->rec && !m->observer)
		return;
	ev->source = VMT_SRC_EMU;
	ev->ts_ns = m->clock++ * MACHINE_TICK_NS;
	if (m->observer)
		m->observer(m->observer_ctx, ev);
	if (!m->rec || m->rec_error)
		return;
	r = rawtrace_writer_append(m->rec, ev, NULL);
	if (r < 0)
		m->rec_error = r;
}

static void record_violation(struct machine *m, uint64_t base, uint32_t rule, const char *msg)
{
	struct vmt_event ev = {
		.type = VMT_EV_VIOLATION,
		.base = base,
		.value = rule,
		.len = (uint32_t)strlen(msg),
		.data = (const uint8_t *)msg,
	};
	record(m, &ev);
}

static void on_violation(void *ctx, struct emu_device *d, enum rule_id rule, const char *msg)
{
	struct machine *m = ctx;

	if (!m->rec && !m->observer)
		return;
	if (m->in_read) {
		if (m->n_deferred < DEFERRED_MAX) {
			struct deferred_violation *v = &m->deferred[m->n_deferred++];
			v->base = emu_device_base(d);
			v->rule = rule;
			snprintf(v->msg, sizeof(v->msg), "%s", msg);
		}
		return;
	}
	record_violation(m, emu_device_base(d), rule, msg);
}

static void on_irq(void *ctx, struct emu_device *d, uint32_t status)
{
	struct machine *m = ctx;
	struct vmt_event ev = {
		.type = VMT_EV_IRQ,
		.width = 1,
		.base = emu_device_base(d),
		.value = status,
	};
	record(m, &ev);
}

static void on_mem_write(void *ctx, enum gmem_actor who, uint64_t gpa, const void *data, uint64_t len)
{
	struct machine *m = ctx;
	const uint8_t *p = data;

	if (!m->rec && !m->observer)
		return;
	/* Long stores become several events of at most VMT_EVENT_DATA_MAX. */
	do {
		uint32_t n = len > VMT_EVENT_DATA_MAX ? VMT_EVENT_DATA_MAX : (uint32_t)len;
		struct vmt_event ev = {
			.type = VMT_EV_MEM,
			.flags = who == GMEM_DEVICE ? VMT_MEM_DEVICE_WRITE : VMT_MEM_DRIVER_WRITE,
			.addr = gpa,
			.len = n,
			.data = p,
		};
		record(m, &ev);
		gpa += n;
		p += n;
		len -= n;
	} while (len);
}

int machine_new(struct machine **out, uint64_t ram_base, uint64_t ram_size)
{
	struct machine *m = calloc(1, sizeof(*m));
	int r;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	r = gmem_init(&m->mem, ram_base, ram_size);
	if (r < 0) {
		free(m);
		return r;
	}
	m->mem.observer = on_mem_write;
	m->mem.observer_ctx = m;
	*out = m;
	return 0;
}

void machine_free(struct machine *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->n_dev; i++)
		emu_device_free(m->dev[i]);
	gmem_release(&m->mem);
	free(m);
}

int machine_add_device(struct machine *m, const struct emu_device_cfg *cfg, struct emu_device **out)
{
	static const struct emu_hooks hooks_template = { .irq = on_irq, .violation = on_violation };
	struct emu_hooks hooks = hooks_template;
	struct emu_device *d;
	int r;

	if (m->n_dev >= MACHINE_DEVICES_MAX)
		return -ENOSPC;
	if (cfg->base > UINT64_MAX - VIRTIO_MMIO_REGION_SIZE)
		return -EINVAL;
	for (unsigned i = 0; i < m->n_dev; i++) {
		uint64_t b = emu_device_base(m->dev[i]);
		if (cfg->base < b + VIRTIO_MMIO_REGION_SIZE && b < cfg->base + VIRTIO_MMIO_REGION_SIZE)
			return -EEXIST;
	}
	hooks.ctx = m;
	r = emu_device_new(&d, cfg, &m->mem, &hooks);
	if (r < 0)
		return r;
	m->dev[m->n_dev++] = d;
	if (out)
		*out = d;
	return 0;
}

void machine_set_recorder(struct machine *m, struct rawtrace_writer *w)
{
	m->rec = w;
}

void machine_set_observer(struct machine *m, machine_observer_fn fn, void *ctx)
{
	m->observer = fn;
	m->observer_ctx = ctx;
}

int machine_recorder_error(const struct machine *m)
{
	return m->rec_error;
}

struct guest_mem *machine_mem(struct machine *m)
{
	return &m->mem;
}

unsigned machine_device_count(const struct machine *m)
{
	return m->n_dev;
}

struct emu_device *machine_device(const struct machine *m, unsigned i)
{
	return i < m->n_dev ? m->dev[i] : NULL;
}

struct emu_device *machine_device_at(const struct machine *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->n_dev; i++) {
		uint64_t b = emu_device_base(m->dev[i]);
		if (gpa >= b && gpa - b < VIRTIO_MMIO_REGION_SIZE)
			return m->dev[i];
	}
	return NULL;
}

void machine_device_desc(const struct machine *m, unsigned i, struct vmt_device_desc *out)
{
	const struct emu_device *d = machine_device(m, i);

	memset(out, 0, sizeof(*out));
	if (!d)
		return;
	const struct emu_model *model = emu_device_model(d);
	out->base = emu_device_base(d);
	out->size = VIRTIO_MMIO_REGION_SIZE;
	out->device_id = model->device_id;
	out->version = emu_device_version(d);
	out->vendor_id = emu_device_vendor_id(d);
	devtype_label(out->name, sizeof(out->name), model->device_id, true, out->base);
}

uint64_t machine_mmio_read(struct machine *m, uint64_t gpa, unsigned width)
{
	struct emu_device *d = machine_device_at(m, gpa);
	uint64_t base = d ? emu_device_base(d) : 0;
	uint64_t v = 0;

	m->in_read = true;
	m->n_deferred = 0;
	if (d)
		v = emu_mmio_read(d, (uint32_t)(gpa - base), width);
	m->in_read = false;
	struct vmt_event ev = {
		.type = VMT_EV_MMIO,
		.dir = VMT_DIR_READ,
		.width = (uint8_t)width,
		.base = base,
		.addr = gpa - base,
		.value = v,
	};
	record(m, &ev);
	for (unsigned i = 0; i < m->n_deferred; i++)
		record_violation(m, m->deferred[i].base, m->deferred[i].rule, m->deferred[i].msg);
	m->n_deferred = 0;
	return v;
}

void machine_mmio_write(struct machine *m, uint64_t gpa, unsigned width, uint64_t value)
{
	struct emu_device *d = machine_device_at(m, gpa);
	uint64_t base = d ? emu_device_base(d) : 0;
	struct vmt_event ev = {
		.type = VMT_EV_MMIO,
		.dir = VMT_DIR_WRITE,
		.width = (uint8_t)width,
		.base = base,
		.addr = gpa - base,
		.value = width >= 8 ? value : value & ((UINT64_C(1) << (8 * width)) - 1),
	};

	/* The write comes first; what the device does in response follows. */
	record(m, &ev);
	if (d)
		emu_mmio_write(d, (uint32_t)(gpa - base), width, value);
}

int machine_mem_write(struct machine *m, uint64_t gpa, const void *src, uint64_t len)
{
	return gmem_write(&m->mem, GMEM_DRIVER, gpa, src, len);
}

int machine_mem_read(struct machine *m, uint64_t gpa, void *dst, uint64_t len)
{
	return gmem_read(&m->mem, gpa, dst, len);
}

bool machine_irq_pending(const struct machine *m, uint64_t base)
{
	const struct emu_device *d = machine_device_at(m, base);
	return d && emu_interrupt_status(d) != 0;
}

void machine_marker(struct machine *m, const char *text)
{
	struct vmt_event ev = {
		.type = VMT_EV_MARKER,
		.len = (uint32_t)strnlen(text, VMT_EVENT_DATA_MAX),
		.data = (const uint8_t *)text,
	};
	record(m, &ev);
}
