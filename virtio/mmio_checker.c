/* Driver-side rules of virtio-mmio, checked access by access. */
#include "virtio/mmio_checker.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "virtio/config_layout.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"

static void report(struct mmio_checker *c, enum rule_id rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct mmio_checker *c, enum rule_id rule, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->report)
		c->report(c->ctx, rule, msg);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint32_t version_or_modern(const struct mmio_checker *c)
{
	return c->version == 1 ? 1 : 2;
}

static bool legacy(const struct mmio_checker *c)
{
	return c->version == 1;
}

void mmio_checker_init(struct mmio_checker *c, uint32_t version, mmio_violation_fn fn, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->report = fn;
	c->ctx = ctx;
	c->version = version;
}

static struct mmio_check_queue *cur_queue(struct mmio_checker *c)
{
	return c->queue_sel < MMIO_CHECK_QUEUES ? &c->q[c->queue_sel] : NULL;
}

/* Device reset (Status 0): everything the driver negotiated is forgotten;
 * what the driver learned at probe (magic, version, id) stays. */
static void device_reset(struct mmio_checker *c)
{
	c->status = 0;
	c->features_ok_unchecked = false;
	c->dev_sel_written = c->drv_sel_written = false;
	c->accepted = 0;
	c->negotiated = 0;
	c->negotiated_valid = false;
	for (unsigned i = 0; i < MMIO_CHECK_QUEUES; i++) {
		c->q[i].ready = false;
		c->q[i].ready_readback = false;
		c->q[i].pfn = 0;
	}
}

/* The three reads that must open initialization, and DeviceID 0. */
static void check_init_order(struct mmio_checker *c, uint32_t offset, bool is_write, const char *name)
{
	if (offset == MMIO_MAGIC_VALUE && !is_write)
		return;
	if (c->read_device_id && c->device_id == 0) {
		if (!c->id_zero_reported) {
			c->id_zero_reported = true;
			report(c, RULE_DEVICE_ID_ZERO, "%s accessed after DeviceID read 0 (placeholder device)", name);
		}
		return;
	}
	if (offset == MMIO_VERSION && !is_write && c->read_magic)
		return;
	if (offset == MMIO_DEVICE_ID && !is_write && c->read_magic && c->read_version)
		return;
	if (c->read_magic && c->read_version && c->read_device_id)
		return;
	if (!c->init_order_reported) {
		c->init_order_reported = true;
		report(c, RULE_INIT_ORDER, "%s %s before %s was read", name, is_write ? "written" : "read",
		       !c->read_magic ? "MagicValue" : !c->read_version ? "Version" : "DeviceID");
	}
}

/* Accepted features checked when the driver commits them (FEATURES_OK, or
 * DRIVER_OK on legacy devices which have no FEATURES_OK). */
static void check_feature_commit(struct mmio_checker *c)
{
	char names[256];
	uint64_t known = 0;

	for (unsigned w = 0; w < 2; w++)
		if (c->offered_words & (1u << w))
			known |= (uint64_t)UINT32_MAX << (32 * w);
	uint64_t extra = c->accepted & known & ~c->offered;
	if (extra)
		report(c, RULE_FEATURES_NOT_OFFERED, "accepted features the device did not offer: %s",
		       virtio_features_str(c->device_id, extra, names, sizeof(names)));
	if (version_or_modern(c) == 2 && (c->offered & VIRTIO_BIT(VIRTIO_F_VERSION_1)) &&
	    !(c->accepted & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		report(c, RULE_VERSION_1_NOT_ACCEPTED, "FEATURES_OK set without accepting VERSION_1, which the Version 2 device offered");
	c->negotiated = c->accepted;
	c->negotiated_valid = true;
}

static void status_write(struct mmio_checker *c, uint32_t v)
{
	char a[96], b[96], o[96];
	uint32_t old = c->status;

	if (v == 0) {
		device_reset(c);
		return;
	}
	/* DEVICE_NEEDS_RESET is the device's bit: a driver write without it is
	 * not a clear. */
	uint32_t cleared = old & ~v & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (cleared)
		report(c, RULE_STATUS_CLEARED, "Status: %s cleared without reset (wrote %s over %s)",
		       virtio_status_str(cleared, a, sizeof(a)), virtio_status_str(v, b, sizeof(b)),
		       virtio_status_str(old, o, sizeof(o)));
	uint32_t added = v & ~old;
	if ((added & VIRTIO_STATUS_DRIVER) && !(v & VIRTIO_STATUS_ACKNOWLEDGE))
		report(c, RULE_STATUS_ORDER, "Status: DRIVER set before ACKNOWLEDGE");
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !(v & VIRTIO_STATUS_DRIVER))
		report(c, RULE_STATUS_ORDER, "Status: FEATURES_OK set before DRIVER");
	if (added & VIRTIO_STATUS_DRIVER_OK) {
		if (!legacy(c) && !(v & VIRTIO_STATUS_FEATURES_OK))
			report(c, RULE_STATUS_ORDER, "Status: DRIVER_OK set before FEATURES_OK");
		else if (!(v & VIRTIO_STATUS_DRIVER))
			report(c, RULE_STATUS_ORDER, "Status: DRIVER_OK set before DRIVER");
		if (c->features_ok_unchecked) {
			c->features_ok_unchecked = false;
			report(c, RULE_FEATURES_OK_NOT_REREAD, "Status: DRIVER_OK set without re-reading Status after FEATURES_OK");
		}
		if (legacy(c))
			check_feature_commit(c);
	}
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !legacy(c)) {
		check_feature_commit(c);
		c->features_ok_unchecked = true;
	}
	c->status = v;
}

/* The driver moved on to queue set-up without checking FEATURES_OK stuck. */
static void check_features_ok_reread(struct mmio_checker *c, const char *name)
{
	if (!c->features_ok_unchecked)
		return;
	c->features_ok_unchecked = false;
	report(c, RULE_FEATURES_OK_NOT_REREAD, "%s accessed without re-reading Status after FEATURES_OK", name);
}

static void check_ready_readback(struct mmio_checker *c, uint32_t offset, bool is_write, const char *name)
{
	struct mmio_check_queue *q = cur_queue(c);

	if (!q || !q->ready_readback)
		return;
	if (offset == MMIO_QUEUE_READY && !is_write) {
		q->ready_readback = false;
		return;
	}
	q->ready_readback = false;
	report(c, RULE_QUEUE_READY_NOT_READ_BACK, "queue %u: %s accessed before QueueReady 0 was read back", c->queue_sel, name);
}

static void check_ring_layout(struct mmio_checker *c, struct mmio_check_queue *q)
{
	/* Packed rings (Packed Virtqueues): a 16 * num descriptor ring and
	 * two 4-byte event suppression areas, aligned 16/4/4. */
	bool packed = c->accepted & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	uint32_t drv_align = packed ? PACKED_EVENT_ALIGN : VIRTQ_AVAIL_ALIGN;
	if (q->desc % VIRTQ_DESC_ALIGN || q->driver % drv_align || q->device % VIRTQ_USED_ALIGN)
		report(c, RULE_RING_MISALIGNED,
		       "queue %u: areas at desc 0x%llx driver 0x%llx device 0x%llx not aligned to 16/%u/4",
		       c->queue_sel, (unsigned long long)q->desc, (unsigned long long)q->driver,
		       (unsigned long long)q->device, drv_align);
	if (q->num == 0 || q->num > VIRTQ_SIZE_MAX)
		return;
	const struct { uint64_t addr, len; const char *what; } areas[] = {
		{ q->desc, virtq_desc_bytes(q->num), "descriptor area" },
		{ q->driver, packed ? PACKED_EVENT_SIZE : virtq_avail_bytes(q->num), "driver area" },
		{ q->device, packed ? PACKED_EVENT_SIZE : virtq_used_bytes(q->num), "device area" },
	};
	/* One report per queue, naming every area that does not fit. */
	char outside[160] = "";
	size_t o = 0;
	for (unsigned i = 0; i < 3 && c->ram_size; i++) {
		uint64_t a = areas[i].addr, len = areas[i].len;
		if (a < c->ram_base || a - c->ram_base > c->ram_size || len > c->ram_size - (a - c->ram_base))
			o += (size_t)snprintf(outside + o, sizeof(outside) - o, "%s%s 0x%llx+%llu", o ? ", " : "",
					      areas[i].what, (unsigned long long)a, (unsigned long long)len);
		if (o >= sizeof(outside))
			o = sizeof(outside) - 1;
	}
	if (o)
		report(c, RULE_RING_OUTSIDE_MEMORY, "queue %u: %s outside guest RAM", c->queue_sel, outside);
	for (unsigned i = 0; i < 3; i++) {
		for (unsigned j = i + 1; j < 3; j++) {
			uint64_t a = areas[i].addr, b = areas[j].addr;
			/* Overlap test that cannot overflow: compare distances. */
			bool overlap = a <= b ? b - a < areas[i].len : a - b < areas[j].len;
			if (overlap)
				report(c, RULE_RING_OVERLAP, "queue %u: %s 0x%llx+%llu overlaps %s 0x%llx+%llu", c->queue_sel,
				       areas[i].what, (unsigned long long)a, (unsigned long long)areas[i].len,
				       areas[j].what, (unsigned long long)b, (unsigned long long)areas[j].len);
		}
	}
}

/* QueueReady 1 (modern) or QueuePFN != 0 (legacy): the queue goes live. */
static void queue_enable(struct mmio_checker *c, struct mmio_check_queue *q)
{
	if (q->num_max_known && q->num_max == 0)
		report(c, RULE_QUEUE_SEL_RANGE, "queue %u enabled although QueueNumMax read 0 (queue not available)", c->queue_sel);
	if (q->num == 0)
		report(c, RULE_QUEUE_NUM_ZERO, "queue %u enabled with QueueNum 0", c->queue_sel);
	if (legacy(c) && c->page_size_set) {
		/* The legacy layout follows from the page number (Legacy
		 * Interfaces: A Note on Virtqueue Layout).  An align that is
		 * not a power of two was reported at QueueAlign; the areas are
		 * checked as if the default were there.  An unusable layout
		 * (QueueNum out of range, the only way areas can wrap here)
		 * keeps its addresses modulo 2^64 for the alignment check
		 * below, which then stops at the size. */
		uint64_t align = is_pow2(q->align) ? q->align : SPLIT_RING_LEGACY_ALIGN_DEFAULT;
		q->desc = (uint64_t)q->pfn * c->page_size;
		(void)split_ring_legacy_layout(q->desc, q->num, align, &q->driver, &q->device);
	}
	/* An oversized queue was reported at QueueNum; its areas mean nothing. */
	bool oversized = q->num_max_known && q->num > q->num_max;
	if ((!legacy(c) || c->page_size_set) && !oversized)
		check_ring_layout(c, q);
	q->ready = true;
}

static void queue_num_write(struct mmio_checker *c, struct mmio_check_queue *q, uint32_t v)
{
	q->num = v;
	if (q->num_max_known && v > q->num_max)
		report(c, RULE_QUEUE_NUM_ABOVE_MAX, "queue %u: QueueNum %u > QueueNumMax %u", c->queue_sel, v, q->num_max);
	bool packed = c->accepted & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (!packed && v != 0 && !is_pow2(v))
		report(c, RULE_QUEUE_NUM_NOT_POW2, "queue %u: QueueNum %u is not a power of 2 (split ring)", c->queue_sel, v);
}

/* Registers that must not change while the selected queue is live. */
static bool is_queue_layout_reg(uint32_t offset)
{
	switch (offset) {
	case MMIO_QUEUE_NUM:
	case MMIO_QUEUE_DESC_LOW: case MMIO_QUEUE_DESC_HIGH:
	case MMIO_QUEUE_DRIVER_LOW: case MMIO_QUEUE_DRIVER_HIGH:
	case MMIO_QUEUE_DEVICE_LOW: case MMIO_QUEUE_DEVICE_HIGH:
	case MMIO_QUEUE_ALIGN:
		return true;
	}
	return false;
}

static void set_low(uint64_t *r, uint32_t v) { *r = (*r & ~(uint64_t)UINT32_MAX) | v; }
static void set_high(uint64_t *r, uint32_t v) { *r = (*r & UINT32_MAX) | (uint64_t)v << 32; }

static void control_write(struct mmio_checker *c, uint32_t offset, uint32_t v, const char *name)
{
	struct mmio_check_queue *q = cur_queue(c);

	switch (offset) {
	case MMIO_DEVICE_FEATURES_SEL:
		c->dev_sel_written = true;
		c->dev_sel = v;
		break;
	case MMIO_DRIVER_FEATURES_SEL:
		c->drv_sel_written = true;
		c->drv_sel = v;
		break;
	case MMIO_DRIVER_FEATURES:
		if (!c->drv_sel_written)
			report(c, RULE_DRIVER_FEATURES_SEL, "DriverFeatures written before DriverFeaturesSel");
		if (c->status & VIRTIO_STATUS_FEATURES_OK)
			report(c, RULE_FEATURES_AFTER_FEATURES_OK, "DriverFeatures written after FEATURES_OK");
		if (c->drv_sel < 2) {
			if (c->drv_sel)
				set_high(&c->accepted, v);
			else
				set_low(&c->accepted, v);
		}
		break;
	case MMIO_GUEST_PAGE_SIZE:
		c->page_size_set = true;
		c->page_size = v;
		if (!is_pow2(v))
			report(c, RULE_LEGACY_PAGE_SIZE_NOT_POW2, "GuestPageSize %u is not a power of 2", v);
		break;
	case MMIO_QUEUE_SEL:
		c->queue_sel = v;
		break;
	case MMIO_QUEUE_NOTIFY: {
		uint32_t idx = (c->negotiated & VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA)) ? (v & 0xffff) : v;
		if (!(c->status & VIRTIO_STATUS_DRIVER_OK))
			report(c, RULE_NOTIFY_BEFORE_DRIVER_OK, "QueueNotify %u before DRIVER_OK", idx);
		else if (idx >= MMIO_CHECK_QUEUES || !c->q[idx].ready)
			report(c, RULE_NOTIFY_UNKNOWN_QUEUE, "QueueNotify names queue %u, which is not live", idx);
		break;
	}
	case MMIO_INTERRUPT_ACK:
		if (v & ~VIRTIO_MMIO_INT_MASK)
			report(c, RULE_INTERRUPT_ACK_UNDEFINED, "InterruptACK 0x%x sets undefined bits 0x%x", v, v & ~VIRTIO_MMIO_INT_MASK);
		break;
	case MMIO_STATUS:
		status_write(c, v);
		break;
	case MMIO_QUEUE_RESET:
		if (!(c->negotiated & VIRTIO_BIT(VIRTIO_F_RING_RESET)))
			report(c, RULE_QUEUE_RESET_NOT_NEGOTIATED, "QueueReset written for queue %u without VIRTIO_F_RING_RESET", c->queue_sel);
		else if (q && v == 1)
			q->ready = false;
		break;
	}
	if (!q)
		return;
	if (is_queue_layout_reg(offset) && q->ready)
		report(c, RULE_QUEUE_WRITE_WHILE_READY, "queue %u: %s written while the queue is live", c->queue_sel, name);
	switch (offset) {
	case MMIO_QUEUE_NUM: queue_num_write(c, q, v); break;
	case MMIO_QUEUE_DESC_LOW: set_low(&q->desc, v); break;
	case MMIO_QUEUE_DESC_HIGH: set_high(&q->desc, v); break;
	case MMIO_QUEUE_DRIVER_LOW: set_low(&q->driver, v); break;
	case MMIO_QUEUE_DRIVER_HIGH: set_high(&q->driver, v); break;
	case MMIO_QUEUE_DEVICE_LOW: set_low(&q->device, v); break;
	case MMIO_QUEUE_DEVICE_HIGH: set_high(&q->device, v); break;
	case MMIO_QUEUE_ALIGN:
		q->align = v;
		if (!is_pow2(v))
			report(c, RULE_LEGACY_ALIGN_NOT_POW2, "queue %u: QueueAlign %u is not a power of 2", c->queue_sel, v);
		break;
	case MMIO_QUEUE_READY:
		if (v == 0) {
			if (q->ready)
				q->ready_readback = true;
			q->ready = false;
		} else if (!q->ready) {
			queue_enable(c, q);
		}
		break;
	case MMIO_QUEUE_PFN:
		q->pfn = v;
		if (v == 0) {
			q->ready = false;
			break;
		}
		if (!c->page_size_set)
			report(c, RULE_LEGACY_PFN_BEFORE_PAGE_SIZE, "queue %u: QueuePFN written before GuestPageSize", c->queue_sel);
		queue_enable(c, q);
		break;
	}
}

static void control_read(struct mmio_checker *c, uint32_t offset, uint32_t v)
{
	struct mmio_check_queue *q = cur_queue(c);

	switch (offset) {
	case MMIO_MAGIC_VALUE:
		c->read_magic = true;
		if (v != VIRTIO_MMIO_MAGIC)
			report(c, RULE_DEV_BAD_MAGIC, "MagicValue read 0x%08x, not 0x74726976", v);
		break;
	case MMIO_VERSION:
		c->read_version = true;
		if (v != 1 && v != 2)
			report(c, RULE_DEV_BAD_VERSION, "Version read %u", v);
		else
			c->version = v;
		break;
	case MMIO_DEVICE_ID:
		c->read_device_id = true;
		c->device_id = v;
		break;
	case MMIO_DEVICE_FEATURES:
		if (!c->dev_sel_written)
			report(c, RULE_DEVICE_FEATURES_SEL, "DeviceFeatures read before DeviceFeaturesSel was written");
		else if (c->dev_sel < 2) {
			if (c->dev_sel)
				set_high(&c->offered, v);
			else
				set_low(&c->offered, v);
			c->offered_words |= (uint8_t)(1u << c->dev_sel);
		}
		break;
	case MMIO_STATUS:
		c->features_ok_unchecked = false;
		c->status = v;
		break;
	case MMIO_QUEUE_NUM_MAX:
		if (q) {
			q->num_max = v;
			q->num_max_known = true;
		}
		break;
	case MMIO_QUEUE_PFN:
		if (q)
			q->ready = v != 0;
		break;
	}
}

static void config_access(struct mmio_checker *c, uint32_t offset, unsigned width, bool is_write)
{
	uint32_t off = offset - MMIO_CONFIG;

	if (is_write && !legacy(c) && !(c->status & VIRTIO_STATUS_FEATURES_OK))
		report(c, RULE_CONFIG_WRITE_BEFORE_FEATURES_OK, "Config+0x%x written before FEATURES_OK", off);
	const struct config_field *f = config_field_at(c->device_id, off);
	if (!f) {
		/* Only the device type's own fields may be accessed. */
		if (config_layout_known(c->device_id))
			report(c, RULE_UNDEFINED_OFFSET, "Config+0x%x: %u-byte %s outside the %u-byte configuration layout of device type %u",
			       off, width, is_write ? "write" : "read", config_layout_size(c->device_id), c->device_id);
		return;
	}
	/* Legacy drivers (Linux among them) access config byte by byte: the
	 * width rules are those of the Version 2 interface. */
	if (legacy(c))
		return;
	bool ok;
	if (f->size == 8)
		ok = width == 4 && (off == f->offset || off == f->offset + 4u);
	else
		ok = width == f->size && off == f->offset;
	if (!ok && f->size == 8)
		report(c, RULE_CONFIG_WIDTH,
		       "Config+0x%x: %u-byte %s of 8-byte field %s (a 64-bit field is accessed as two aligned 32-bit halves)",
		       off, width, is_write ? "write" : "read", f->name);
	else if (!ok)
		report(c, RULE_CONFIG_WIDTH, "Config+0x%x: %u-byte %s of %u-byte field %s (accessed at its offset with its "
		       "own width)", off, width, is_write ? "write" : "read", f->size, f->name);
	else if (is_write && !f->writable)
		report(c, RULE_WRITE_READ_ONLY, "Config+0x%x: write to read-only config field %s", off, f->name);
}

void mmio_checker_access(struct mmio_checker *c, uint32_t offset, unsigned width, bool is_write, uint64_t value)
{
	char name[48];
	uint32_t version = version_or_modern(c);

	mmio_reg_describe(offset, version, name, sizeof(name));
	check_init_order(c, offset, is_write, name);
	if (offset >= MMIO_CONFIG) {
		config_access(c, offset, width, is_write);
		return;
	}
	const struct mmio_reg_info *r = mmio_reg_lookup(offset & ~3u, version);
	if (!r) {
		report(c, RULE_UNDEFINED_OFFSET, "%s-byte %s at undefined offset 0x%03x",
		       width == 1 ? "1" : width == 2 ? "2" : width == 4 ? "4" : "8",
		       is_write ? "write" : "read", offset);
		return;
	}
	/* A malformed access is dropped by devices: no further meaning. */
	if (offset & 3u) {
		report(c, RULE_REG_ALIGN, "%s: %u-byte %s at misaligned offset 0x%03x", r->name, width, is_write ? "write" : "read", offset);
		return;
	}
	if (width != 4) {
		report(c, RULE_REG_WIDTH, "%s: %u-byte %s (control registers are 32-bit)", name, width, is_write ? "write" : "read");
		return;
	}
	if (is_write && !(r->dir & MMIO_DIR_W)) {
		report(c, RULE_WRITE_READ_ONLY, "write of 0x%x to read-only register %s", (uint32_t)value, name);
		return;
	}
	if (!is_write && !(r->dir & MMIO_DIR_R)) {
		report(c, RULE_READ_WRITE_ONLY, "read of write-only register %s", name);
		return;
	}
	if (r->queue_reg || offset == MMIO_QUEUE_SEL)
		check_features_ok_reread(c, name);
	check_ready_readback(c, offset, is_write, name);
	if (is_write)
		control_write(c, offset, (uint32_t)value, name);
	else
		control_read(c, offset, (uint32_t)value);
}
