/* What each register access meant: device identity, status transitions,
 * feature negotiation, queue generations, interrupts, register state over
 * time, and the driver rules (through the shared mmio_checker). */
#include "decoder/dec_priv.h"

#include <stdio.h>
#include <string.h>

#include "decoder/rings.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/split_ring.h"
#include "virtio/virtio.h"

/* Register names in trace.db are the modern ones for both layouts (they
 * map one to one); legacy-only registers keep their own names. */
static const struct mmio_reg_info *reg_any_layout(uint32_t offset)
{
	for (size_t i = 0; i < mmio_regs_count; i++)
		if (mmio_regs[i].offset == offset)
			return &mmio_regs[i];
	return NULL;
}

/* Store a change of register reg (per queue, or -1) if its value changed. */
static void reg_change(struct decoder *dec, struct dec_device *d, uint32_t offset, int queue, uint64_t value)
{
	unsigned i = offset / 4;
	uint64_t *last, *known;
	const struct mmio_reg_info *r = reg_any_layout(offset);

	if (!r || i >= DEC_CONTROL_REGS)
		return;
	if (queue >= 0) {
		last = d->q[queue].last;
		known = d->q[queue].known;
	} else {
		last = d->last;
		known = d->known;
	}
	uint64_t bit = UINT64_C(1) << (i % 64);
	if ((known[i / 64] & bit) && last[i] == value)
		return;
	known[i / 64] |= bit;
	last[i] = value;
	sqlite3_stmt *st = dec->st[ST_REG_CHANGE];
	sqlite3_bind_int(st, 1, (int)d->id);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, queue);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)value);
	dec_sql_run(dec, ST_REG_CHANGE);
}

static void status_row(struct decoder *dec, struct dec_device *d, uint32_t old, uint32_t new, const char *kind)
{
	sqlite3_stmt *st = dec->st[ST_STATUS_CHANGE];
	char names[128];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_int(st, 2, (int)d->id);
	sqlite3_bind_int64(st, 3, old);
	sqlite3_bind_int64(st, 4, new);
	sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, virtio_status_str(new, names, sizeof(names)), -1, SQLITE_TRANSIENT);
	dec_sql_run(dec, ST_STATUS_CHANGE);
}

static void feature_row(struct decoder *dec, struct dec_device *d, const char *kind, int word, uint64_t value)
{
	sqlite3_stmt *st = dec->st[ST_FEATURE];
	char names[768];
	uint64_t bits = word >= 0 ? value << (32 * word) : value;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_int(st, 2, (int)d->id);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (word >= 0)
		sqlite3_bind_int(st, 4, word);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)value);
	sqlite3_bind_text(st, 6, virtio_features_str(d->device_id, bits, names, sizeof(names)), -1, SQLITE_TRANSIENT);
	dec_sql_run(dec, ST_FEATURE);
}

/* --- queue generations --- */

static void queue_update_row(struct decoder *dec, struct dec_device *d, unsigned qi, uint64_t seq_ready)
{
	struct dec_queue *q = &d->q[qi];
	sqlite3_stmt *st = dec->st[ST_QUEUE_UPDATE];

	sqlite3_bind_int(st, 1, (int)d->id);
	sqlite3_bind_int(st, 2, (int)qi);
	sqlite3_bind_int64(st, 3, q->generation);
	if (seq_ready != UINT64_MAX)
		sqlite3_bind_int64(st, 4, (sqlite3_int64)seq_ready);
	sqlite3_bind_int64(st, 5, q->size);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)q->desc);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)q->driver);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)q->device);
	if (d->version == 1) {
		sqlite3_bind_int64(st, 9, q->pfn);
		sqlite3_bind_int64(st, 10, d->page_size);
		sqlite3_bind_int64(st, 11, q->align);
	}
	sqlite3_bind_int64(st, 12, q->num_max);
	dec_sql_run(dec, ST_QUEUE_UPDATE);
}

static void queue_open(struct decoder *dec, struct dec_device *d, unsigned qi)
{
	struct dec_queue *q = &d->q[qi];
	sqlite3_stmt *st = dec->st[ST_QUEUE_OPEN];

	if (q->open)
		return;
	q->open = true;
	q->generation++;
	sqlite3_bind_int(st, 1, (int)d->id);
	sqlite3_bind_int(st, 2, (int)qi);
	sqlite3_bind_int64(st, 3, q->generation);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_int64(st, 5, q->num_max);
	dec_sql_run(dec, ST_QUEUE_OPEN);
}

static void queue_end(struct decoder *dec, struct dec_device *d, unsigned qi, const char *reason)
{
	struct dec_queue *q = &d->q[qi];
	sqlite3_stmt *st = dec->st[ST_QUEUE_END];

	if (!q->open)
		return;
	if (q->ring)
		rings_queue_end(dec, d, qi);
	q->ring = NULL;
	q->open = false;
	q->ready = false;
	sqlite3_bind_int(st, 1, (int)d->id);
	sqlite3_bind_int(st, 2, (int)qi);
	sqlite3_bind_int64(st, 3, q->generation);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)dec->ev->seq);
	sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	dec_sql_run(dec, ST_QUEUE_END);
}

static void queue_live(struct decoder *dec, struct dec_device *d, unsigned qi)
{
	struct dec_queue *q = &d->q[qi];

	bool usable = true;

	queue_open(dec, d, qi);
	if (d->version == 1) {
		/* The legacy layout follows from the page number; an align that
		 * is not a power of two (reported by the checker) is taken as
		 * the default.  The queues row keeps the addresses even when no
		 * device could use them (modulo 2^64); their ring is not
		 * decoded (rings_queue_live refuses the sizes that make them
		 * so, and no other input can). */
		uint64_t align = q->align && !(q->align & (q->align - 1)) ? q->align : SPLIT_RING_LEGACY_ALIGN_DEFAULT;
		q->desc = (uint64_t)q->pfn * d->page_size;
		usable = split_ring_legacy_layout(q->desc, q->size, align, &q->driver, &q->device) == 0;
	}
	q->ready = true;
	queue_update_row(dec, d, qi, dec->ev->seq);
	if (usable) {
		q->ring = rings_queue_live(dec, d, qi);
	} else {
		rings_queue_end(dec, d, qi);
		q->ring = NULL;
	}
}

/* A layout register of the selected queue was written. */
static void queue_layout_write(struct decoder *dec, struct dec_device *d, unsigned qi, uint32_t offset, uint32_t v)
{
	struct dec_queue *q = &d->q[qi];
	bool was_live = q->ready;

	if (was_live) /* a change under a live queue starts a new generation */
		queue_end(dec, d, qi, "layout changed while live");
	queue_open(dec, d, qi);
	switch (offset) {
	case MMIO_QUEUE_NUM: q->size = v; break;
	case MMIO_QUEUE_DESC_LOW: q->desc = (q->desc & ~(uint64_t)UINT32_MAX) | v; break;
	case MMIO_QUEUE_DESC_HIGH: q->desc = (q->desc & UINT32_MAX) | (uint64_t)v << 32; break;
	case MMIO_QUEUE_DRIVER_LOW: q->driver = (q->driver & ~(uint64_t)UINT32_MAX) | v; break;
	case MMIO_QUEUE_DRIVER_HIGH: q->driver = (q->driver & UINT32_MAX) | (uint64_t)v << 32; break;
	case MMIO_QUEUE_DEVICE_LOW: q->device = (q->device & ~(uint64_t)UINT32_MAX) | v; break;
	case MMIO_QUEUE_DEVICE_HIGH: q->device = (q->device & UINT32_MAX) | (uint64_t)v << 32; break;
	case MMIO_QUEUE_ALIGN: q->align = v; break;
	}
	if (was_live)
		queue_live(dec, d, qi);
	else
		queue_update_row(dec, d, qi, UINT64_MAX);
}

static void device_reset(struct decoder *dec, struct dec_device *d)
{
	for (unsigned i = 0; i < DEC_QUEUES_MAX; i++) {
		if (d->q[i].ready)
			reg_change(dec, d, d->version == 1 ? MMIO_QUEUE_PFN : MMIO_QUEUE_READY, (int)i, 0);
		queue_end(dec, d, i, "device reset");
		d->q[i].pfn = 0;
	}
	reg_change(dec, d, MMIO_INTERRUPT_STATUS, -1, 0);
	d->accepted = 0;
}

/* --- reads and writes --- */

static void status_write(struct decoder *dec, struct dec_device *d, uint32_t v)
{
	uint32_t old = d->status;
	uint32_t added = v & ~old;

	d->status_written = v;
	if (v == 0) {
		status_row(dec, d, old, 0, tdb_vocab_name(&tdb_vocab_status_kind, TDB_STATUS_RESET));
		device_reset(dec, d);
		d->status = 0;
		return;
	}
	status_row(dec, d, old, v,
		   tdb_vocab_name(&tdb_vocab_status_kind, (added & VIRTIO_STATUS_FAILED) ? TDB_STATUS_FAILED : TDB_STATUS_SET));
	if ((added & VIRTIO_STATUS_FEATURES_OK) && d->version != 1) {
		d->negotiated = d->accepted;
		feature_row(dec, d, tdb_vocab_name(&tdb_vocab_feature_kind, TDB_FEAT_NEGOTIATED), -1, d->negotiated);
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) && d->version == 1) {
		d->negotiated = d->accepted;
		feature_row(dec, d, tdb_vocab_name(&tdb_vocab_feature_kind, TDB_FEAT_NEGOTIATED), -1, d->negotiated);
	}
	d->status = v;
}

static void status_read(struct decoder *dec, struct dec_device *d, uint32_t v)
{
	uint32_t old = d->status;

	if (v == old)
		return;
	enum tdb_status_kind kind = TDB_STATUS_DEVICE;
	if ((v & VIRTIO_STATUS_DEVICE_NEEDS_RESET) && !(old & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		kind = TDB_STATUS_NEEDS_RESET;
	else if ((old & VIRTIO_STATUS_FEATURES_OK) && !(v & VIRTIO_STATUS_FEATURES_OK))
		kind = TDB_STATUS_REFUSED;
	status_row(dec, d, old, v, tdb_vocab_name(&tdb_vocab_status_kind, kind));
	d->status = v;
}

static void control_read(struct decoder *dec, struct dec_device *d, uint32_t offset, uint32_t v)
{
	unsigned qs = d->queue_sel;
	bool qok = qs < DEC_QUEUES_MAX;

	switch (offset) {
	case MMIO_VERSION:
		if (v == 1 || v == 2)
			d->version = v;
		break;
	case MMIO_DEVICE_ID:
		d->device_id = v;
		d->id_known = true;
		dec_device_rename(d);
		break;
	case MMIO_VENDOR_ID:
		d->vendor_id = v;
		break;
	case MMIO_DEVICE_FEATURES:
		if (d->dev_sel < 2) {
			unsigned sh = 32 * d->dev_sel;
			d->offered = (d->offered & ~((uint64_t)UINT32_MAX << sh)) | (uint64_t)v << sh;
			feature_row(dec, d, tdb_vocab_name(&tdb_vocab_feature_kind, TDB_FEAT_OFFERED), (int)d->dev_sel, v);
		}
		break;
	case MMIO_STATUS:
		status_read(dec, d, v);
		break;
	case MMIO_INTERRUPT_STATUS:
		dec_interrupt_row(dec, d, tdb_vocab_name(&tdb_vocab_irq_kind, TDB_IRQ_STATUS_READ), v);
		if (v & VIRTIO_MMIO_INT_CONFIG)
			dec_interrupt_row(dec, d, tdb_vocab_name(&tdb_vocab_irq_kind, TDB_IRQ_CONFIG_CHANGE), v);
		rings_on_interrupt(dec, d, v, true);
		break;
	case MMIO_QUEUE_NUM_MAX:
		if (qok)
			d->q[qs].num_max = v;
		break;
	}
}

static void control_write(struct decoder *dec, struct dec_device *d, uint32_t offset, uint32_t v)
{
	unsigned qs = d->queue_sel;
	bool qok = qs < DEC_QUEUES_MAX;

	switch (offset) {
	case MMIO_DEVICE_FEATURES_SEL: d->dev_sel = v; break;
	case MMIO_DRIVER_FEATURES_SEL: d->drv_sel = v; break;
	case MMIO_DRIVER_FEATURES:
		if (d->drv_sel < 2) {
			unsigned sh = 32 * d->drv_sel;
			d->accepted = (d->accepted & ~((uint64_t)UINT32_MAX << sh)) | (uint64_t)v << sh;
			feature_row(dec, d, tdb_vocab_name(&tdb_vocab_feature_kind, TDB_FEAT_ACCEPTED), (int)d->drv_sel, v);
		}
		break;
	case MMIO_GUEST_PAGE_SIZE: d->page_size = v; break;
	case MMIO_QUEUE_SEL: d->queue_sel = v; break;
	case MMIO_STATUS: status_write(dec, d, v); break;
	case MMIO_INTERRUPT_ACK:
		dec_interrupt_row(dec, d, tdb_vocab_name(&tdb_vocab_irq_kind, TDB_IRQ_ACK), v);
		rings_on_ack(dec, d, v);
		break;
	case MMIO_QUEUE_NUM:
	case MMIO_QUEUE_DESC_LOW: case MMIO_QUEUE_DESC_HIGH:
	case MMIO_QUEUE_DRIVER_LOW: case MMIO_QUEUE_DRIVER_HIGH:
	case MMIO_QUEUE_DEVICE_LOW: case MMIO_QUEUE_DEVICE_HIGH:
	case MMIO_QUEUE_ALIGN:
		if (qok)
			queue_layout_write(dec, d, qs, offset, v);
		break;
	case MMIO_QUEUE_READY:
		if (!qok)
			break;
		if (v == 1 && !d->q[qs].ready)
			queue_live(dec, d, qs);
		else if (v == 0 && d->q[qs].ready)
			queue_end(dec, d, qs, "QueueReady 0");
		break;
	case MMIO_QUEUE_PFN:
		if (!qok)
			break;
		if (d->q[qs].ready)
			queue_end(dec, d, qs, v ? "QueuePFN changed while live" : "QueuePFN 0");
		d->q[qs].pfn = v;
		if (v)
			queue_live(dec, d, qs);
		break;
	case MMIO_QUEUE_RESET:
		if (qok && v == 1 && (d->negotiated & VIRTIO_BIT(VIRTIO_F_RING_RESET)))
			queue_end(dec, d, qs, "QueueReset");
		break;
	case MMIO_QUEUE_NOTIFY: {
		unsigned idx = (d->negotiated & VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA)) ? (v & 0xffff) : v;
		if (idx < DEC_QUEUES_MAX && d->q[idx].ready && d->q[idx].ring)
			rings_on_notify(dec, d, idx);
		break;
	}
	}
}

static void config_access(struct decoder *dec, struct dec_device *d, uint32_t off, unsigned width, uint64_t v)
{
	if (off >= DEC_CONFIG_MAX || width > DEC_CONFIG_MAX - off)
		return;
	for (unsigned i = 0; i < width; i++)
		d->config[off + i] = (uint8_t)(v >> (8 * i));
	if (off + width > d->config_len)
		d->config_len = off + width;
}

void dec_mmio(struct decoder *dec, struct dec_device *d, const struct vmt_event *ev)
{
	bool is_write = ev->dir == VMT_DIR_WRITE;
	unsigned width = ev->width;

	/* The raw format's width is a byte: anything but a CPU's access
	 * sizes is damage or a source's bug, counted, never used for shifts. */
	if (width != 1 && width != 2 && width != 4 && width != 8) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%u-byte %s at offset 0x%llx recorded (accesses are 1, 2, 4 or 8 bytes): "
			 "not decoded", width, is_write ? "write" : "read", (unsigned long long)ev->addr);
		dec_anomaly(dec, d, -1, RULE_REG_WIDTH, msg);
		return;
	}
	uint64_t v = width == 8 ? ev->value : ev->value & ((UINT64_C(1) << (8 * width)) - 1);

	if (ev->addr >= VIRTIO_MMIO_REGION_SIZE) {
		dec_violation(dec, d, RULE_UNDEFINED_OFFSET, "%u-byte %s at offset 0x%llx, beyond the register window",
			      width, is_write ? "write" : "read", (unsigned long long)ev->addr);
		return;
	}
	uint32_t offset = (uint32_t)ev->addr;
	mmio_checker_access(&d->checker, offset, width, is_write, v);
	if (d->checker.version && !d->version)
		d->version = d->checker.version;
	if (offset >= MMIO_CONFIG) {
		config_access(dec, d, offset - MMIO_CONFIG, width, v);
		return;
	}
	/* Malformed accesses carry no meaning (devices drop them). */
	const struct mmio_reg_info *r = mmio_reg_lookup(offset, d->version == 1 ? 1 : 2);
	if (!r || width != 4 || (offset & 3) || !(r->dir & (is_write ? MMIO_DIR_W : MMIO_DIR_R)))
		return;
	if (is_write)
		control_write(dec, d, offset, (uint32_t)v);
	else
		control_read(dec, d, offset, (uint32_t)v);
	int queue = r->queue_reg && d->queue_sel < DEC_QUEUES_MAX ? (int)d->queue_sel : -1;
	if (r->queue_reg && queue < 0)
		return;
	/* Status after a write reflects the device's own bits, as read last. */
	reg_change(dec, d, offset, queue, offset == MMIO_STATUS && is_write ? d->status : v);
}
