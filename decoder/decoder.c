/* The decoder's entry points: devices, the events table, and dispatch of
 * each event to the register, memory and interrupt decoders. */
#include "decoder/dec_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/rawtrace.h"
#include "config.h"
#include "decoder/db.h"
#include "decoder/reports.h"
#include "decoder/rings.h"
#include "virtio/mmio_regs.h"
#include "virtio/device_types.h"
#include "virtio/names.h"
#include "virtio/virtio.h"
#include "tracedb/tdb_vocab.h"

/* violations.severity and .actor are written from the rule table's enums. */
_Static_assert((int)RULE_INFO == TDB_SEV_INFO && (int)RULE_WARNING == TDB_SEV_WARNING && (int)RULE_ERROR == TDB_SEV_ERROR,
	       "enum rule_severity and tdb_vocab_severity agree");

void dec_device_rename(struct dec_device *d)
{
	devtype_label(d->name, sizeof(d->name), d->device_id, d->id_known, d->base);
}

static void checker_report(void *ctx, enum rule_id rule, const char *msg);

/* The checker reports through the decoder: dec->cur names the device of
 * the event being decoded. */
static struct dec_device *device_new(struct decoder *dec, uint64_t base)
{
	struct dec_device *d;

	if (dec->n_dev >= DEC_DEVICES_MAX)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->id = dec->n_dev;
	d->base = base;
	d->first_seq = dec->ev ? dec->ev->seq : 0;
	mmio_checker_init(&d->checker, 0, checker_report, dec);
	d->checker.ram_base = dec->ram_base;
	d->checker.ram_size = dec->ram_size;
	dec_device_rename(d);
	dec->dev[dec->n_dev++] = d;
	return d;
}

static struct dec_device *device_find(struct decoder *dec, uint64_t base, bool create)
{
	for (unsigned i = 0; i < dec->n_dev; i++)
		if (dec->dev[i]->base == base)
			return dec->dev[i];
	return create ? device_new(dec, base) : NULL;
}

static void checker_report(void *ctx, enum rule_id rule, const char *msg)
{
	struct decoder *dec = ctx;

	dec_violation(dec, dec->cur, rule, "%s", msg);
}

void dec_violation(struct decoder *dec, struct dec_device *d, enum rule_id rule, const char *fmt, ...)
{
	const struct rule_info *r = rule_lookup(rule);
	sqlite3_stmt *st = dec->st[ST_VIOLATION];
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(dec->ev ? dec->ev->seq : 0));
	if (d)
		sqlite3_bind_int(st, 2, (int)d->id);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->section, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, tdb_vocab_name(&tdb_vocab_severity, (int)r->severity), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, tdb_vocab_name(&tdb_vocab_actor, r->actor == RULE_BY_DEVICE ? TDB_ACTOR_DEVICE : TDB_ACTOR_DRIVER),
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, msg, -1, SQLITE_TRANSIENT);
	dec_sql_run(dec, ST_VIOLATION);
	dec->stats.violations++;
}

void dec_anomaly(struct decoder *dec, struct dec_device *d, int queue, enum rule_id rule, const char *msg)
{
	sqlite3_stmt *st = dec->st[ST_ANOMALY];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)(dec->ev ? dec->ev->seq : 0));
	if (d)
		sqlite3_bind_int(st, 2, (int)d->id);
	if (queue >= 0)
		sqlite3_bind_int(st, 3, queue);
	sqlite3_bind_text(st, 4, rule_lookup(rule)->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, msg, -1, SQLITE_TRANSIENT);
	dec_sql_run(dec, ST_ANOMALY);
	dec->stats.anomalies++;
}

static int meta_put(struct decoder *dec, const char *key, const char *value)
{
	sqlite3_bind_text(dec->st[ST_META], 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(dec->st[ST_META], 2, value, -1, SQLITE_TRANSIENT);
	return dec_sql_run(dec, ST_META);
}

static int meta_put_u64(struct decoder *dec, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return meta_put(dec, key, buf);
}

static void device_from_desc(struct decoder *dec, const struct vmt_device_desc *desc)
{
	struct dec_device *d = device_find(dec, desc->base, true);

	if (!d)
		return;
	if (desc->version == 1 || desc->version == 2) {
		d->version = desc->version;
		d->checker.version = desc->version;
	}
	if (desc->device_id) {
		d->device_id = desc->device_id;
		d->id_known = true;
		d->checker.device_id = desc->device_id;
	}
	if (desc->vendor_id)
		d->vendor_id = desc->vendor_id;
	dec_device_rename(d);
}

int decoder_new(struct decoder **out, sqlite3 *db, const struct rawtrace_meta *meta,
		const struct decoder_opts *opts, char *err, size_t errlen)
{
	struct decoder *dec = calloc(1, sizeof(*dec));

	*out = NULL;
	if (!dec) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dec->db = db;
	if (opts)
		dec->opts = *opts;
	if (dec->opts.payload_cap == 0)
		dec->opts.payload_cap = DECODER_PAYLOAD_CAP_DEFAULT;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &dec->last_commit);
	if (dec_sql_prepare(dec) < 0 || sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    rings_init(dec) < 0) {
		snprintf(err, errlen, "%s", dec->failed ? dec->err : "unable to start decoding");
		decoder_free(dec);
		return -1;
	}
	meta_put(dec, "vmtrace_version", VMTRACE_VERSION);
	if (meta) {
		dec->ram_base = meta->ram_base;
		dec->ram_size = meta->ram_size;
		meta_put(dec, "source", vmt_source_name(meta->source));
		meta_put_u64(dec, "ram_base", meta->ram_base);
		meta_put_u64(dec, "ram_size", meta->ram_size);
		for (size_t i = 0; i < meta->n_kv; i++) {
			char key[128];
			snprintf(key, sizeof(key), "raw.%s", meta->kv[i].key);
			meta_put(dec, key, meta->kv[i].value);
		}
		for (size_t i = 0; i < meta->n_devices; i++)
			device_from_desc(dec, &meta->devices[i]);
	}
	*out = dec;
	return 0;
}

static const char *dir_name(const struct vmt_event *ev)
{
	return tdb_vocab_name(&tdb_vocab_dir, ev->dir == VMT_DIR_WRITE ? VMT_DIR_WRITE : VMT_DIR_READ);
}

/* The name of the register at offset for the events table when it is a
 * constant (an aligned register of the layout), else NULL. */
static const char *reg_name_const(uint32_t offset, uint32_t version)
{
	const struct mmio_reg_info *r;

	if (offset >= MMIO_CONFIG || (offset & 3u) || !(r = mmio_reg_lookup(offset, version)))
		return NULL;
	return version == 1 && r->legacy_name ? r->legacy_name : r->name;
}

/* The events row of ev; every event gets one. */
static void event_row(struct decoder *dec, const struct vmt_event *ev, struct dec_device *d)
{
	struct dec_val *v = dec_batch_row(dec, DB_EVENTS);

	dec_val_int(&v[0], (sqlite3_int64)ev->seq);
	dec_val_int(&v[1], (sqlite3_int64)ev->ts_ns);
	dec_val_static_text(&v[2], tdb_vocab_name(&tdb_vocab_event_type, ev->type));
	if (d)
		dec_val_int(&v[3], d->id);
	switch (ev->type) {
	case VMT_EV_MMIO:
		dec_val_int(&v[4], (sqlite3_int64)ev->addr);
		if (ev->addr <= UINT32_MAX) {
			uint32_t version = d && d->version == 1 ? 1 : 2;
			const char *name = reg_name_const((uint32_t)ev->addr, version);
			if (name) {
				dec_val_static_text(&v[5], name);
			} else {
				char reg[48];
				mmio_reg_describe((uint32_t)ev->addr, version, reg, sizeof(reg));
				dec_val_copy(dec, DB_EVENTS, &v[5], reg, (int)strlen(reg), false);
			}
		}
		dec_val_static_text(&v[6], dir_name(ev));
		dec_val_int(&v[7], ev->width);
		dec_val_int(&v[8], (sqlite3_int64)ev->value);
		break;
	case VMT_EV_MEM:
		dec_val_int(&v[10], (sqlite3_int64)ev->addr);
		dec_val_int(&v[11], ev->len);
		break;
	case VMT_EV_QUEUE:
		/* the step and the queue; the report itself is device_steps' */
		dec_val_int(&v[8], (sqlite3_int64)ev->value);
		dec_val_int(&v[10], (sqlite3_int64)ev->addr);
		break;
	case VMT_EV_MARKER:
	case VMT_EV_VIOLATION:
		dec_val_int(&v[8], (sqlite3_int64)ev->value);
		dec_val_int(&v[11], ev->len);
		dec_val_copy(dec, DB_EVENTS, &v[12], ev->data, (int)ev->len, false);
		break;
	default:
		dec_val_int(&v[8], (sqlite3_int64)ev->value);
		break;
	}
	dec_val_int(&v[9], ev->vcpu);
	dec_batch_add(dec, DB_EVENTS);
}

static void memory_row(struct decoder *dec, const struct vmt_event *ev)
{
	struct dec_val *v = dec_batch_row(dec, DB_MEMORY);
	const char *kind = tdb_vocab_name(&tdb_vocab_mem_kind, (ev->flags & VMT_MEM_DEVICE_WRITE) ? TDB_MEM_DEVICE_WRITE :
					  (ev->flags & VMT_MEM_DRIVER_WRITE) ? TDB_MEM_DRIVER_WRITE : TDB_MEM_SNAPSHOT);

	dec_val_int(&v[0], (sqlite3_int64)ev->seq);
	dec_val_int(&v[1], (sqlite3_int64)ev->addr);
	dec_val_static_text(&v[2], kind);
	dec_val_int(&v[3], !(ev->flags & VMT_MEM_BEST_EFFORT));
	dec_val_copy(dec, DB_MEMORY, &v[4], ev->data ? (const void *)ev->data : "", (int)ev->len, true);
	dec_batch_add(dec, DB_MEMORY);
}

static void interrupt_row(struct decoder *dec, struct dec_device *d, const char *kind, uint64_t value)
{
	struct dec_val *v = dec_batch_row(dec, DB_INTERRUPTS);

	dec_val_int(&v[0], (sqlite3_int64)dec->ev->seq);
	dec_val_int(&v[1], d->id);
	dec_val_static_text(&v[2], kind);
	dec_val_int(&v[3], (sqlite3_int64)value);
	dec_batch_add(dec, DB_INTERRUPTS);
}

int decoder_feed(struct decoder *dec, const struct vmt_event *ev)
{
	struct dec_device *d = NULL;

	if (dec->failed)
		return -1;
	dec->ev = ev;
	dec->stats.events++;
	switch (ev->type) {
	case VMT_EV_MMIO:
		if (!(dec->mmio_vcpu_seen[ev->vcpu / 64] & (UINT64_C(1) << (ev->vcpu % 64)))) {
			dec->mmio_vcpu_seen[ev->vcpu / 64] |= UINT64_C(1) << (ev->vcpu % 64);
			dec->mmio_vcpus++;
		}
		/* Base 0 marks an access outside every device window. */
		if (ev->base != 0 || ev->addr < VIRTIO_MMIO_REGION_SIZE)
			d = device_find(dec, ev->base, true);
		break;
	case VMT_EV_IRQ:
	case VMT_EV_VIOLATION:
	case VMT_EV_QUEUE:
		d = device_find(dec, ev->base, false);
		break;
	case VMT_EV_DEVICE: {
		struct vmt_device_desc desc;
		if (vmt_device_desc_decode(&desc, ev->data, ev->len) == 0) {
			device_from_desc(dec, &desc);
			d = device_find(dec, desc.base, false);
		}
		break;
	}
	}
	dec->cur = d;
	if (d) {
		if (d->events++ == 0)
			d->first_seq = ev->seq;
		d->last_seq = ev->seq;
	}
	event_row(dec, ev, d);
	switch (ev->type) {
	case VMT_EV_MMIO:
		if (d)
			dec_mmio(dec, d, ev);
		else
			dec_violation(dec, NULL, RULE_UNDEFINED_OFFSET, "%u-byte %s at 0x%llx, outside every virtio-mmio window",
				      ev->width, ev->dir == VMT_DIR_WRITE ? "write" : "read", (unsigned long long)ev->addr);
		break;
	case VMT_EV_MEM:
		if (dec->opts.store_memory)
			memory_row(dec, ev);
		rings_on_mem(dec, ev);
		break;
	case VMT_EV_IRQ:
		if (d && ev->width) {
			interrupt_row(dec, d, tdb_vocab_name(&tdb_vocab_irq_kind, TDB_IRQ_RAISED), ev->value);
			rings_on_interrupt(dec, d, (uint32_t)ev->value, false);
		}
		break;
	case VMT_EV_QUEUE:
		reports_on_event(dec, d, ev);
		break;
	case VMT_EV_LOST:
		sqlite3_bind_int64(dec->st[ST_LOST], 1, (sqlite3_int64)ev->seq);
		sqlite3_bind_int64(dec->st[ST_LOST], 2, (sqlite3_int64)ev->value);
		dec_sql_run(dec, ST_LOST);
		dec->stats.lost += ev->value;
		break;
	}
	dec->ev = NULL;
	dec->cur = NULL;
	if (dec_sql_maybe_commit(dec) < 0)
		return -1;
	return dec->failed ? -1 : 0;
}

void dec_interrupt_row(struct decoder *dec, struct dec_device *d, const char *kind, uint64_t value)
{
	interrupt_row(dec, d, kind, value);
}

static void device_row(struct decoder *dec, const struct dec_device *d)
{
	sqlite3_stmt *st = dec->st[ST_DEVICE_UPSERT];
	const char *type = d->id_known ? virtio_device_type_name(d->device_id) : NULL;

	sqlite3_bind_int(st, 1, (int)d->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)d->base);
	sqlite3_bind_text(st, 3, d->name, -1, SQLITE_TRANSIENT);
	if (d->id_known)
		sqlite3_bind_int64(st, 4, d->device_id);
	if (type)
		sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
	if (d->version)
		sqlite3_bind_int(st, 6, (int)d->version);
	sqlite3_bind_int64(st, 7, d->vendor_id);
	sqlite3_bind_int64(st, 8, d->status_written);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)d->offered);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)d->accepted);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)d->negotiated);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)d->first_seq);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)d->last_seq);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)d->events);
	sqlite3_bind_blob(st, 15, d->config, (int)d->config_len, SQLITE_STATIC);
	dec_sql_run(dec, ST_DEVICE_UPSERT);
}

int decoder_finish(struct decoder *dec, bool complete, const char *stop_reason)
{
	if (dec->failed)
		return -1;
	rings_finish(dec);
	for (unsigned i = 0; i < dec->n_dev; i++)
		device_row(dec, dec->dev[i]);
	dec->stats.devices = dec->n_dev;
	meta_put(dec, "complete", complete ? "1" : "0");
	if (stop_reason)
		meta_put(dec, "stop_reason", stop_reason);
	meta_put_u64(dec, "events", dec->stats.events);
	meta_put_u64(dec, "lost", dec->stats.lost);
	meta_put_u64(dec, "mmio_vcpus", dec->mmio_vcpus);
	if (dec->failed || dec_sql_commit(dec, false) < 0)
		return -1;
	dec_sql_finalize(dec);
	if (trace_db_finish(dec->db, dec->err, sizeof(dec->err)) < 0) {
		dec->failed = true;
		return -1;
	}
	return 0;
}

void decoder_note_lost(struct decoder *dec, uint64_t total)
{
	if (total > dec->stats.lost)
		dec->stats.lost = total;
}

void decoder_get_stats(const struct decoder *dec, struct decoder_stats *st)
{
	*st = dec->stats;
	st->devices = dec->n_dev;
}

const char *decoder_error(const struct decoder *dec)
{
	return dec->err[0] ? dec->err : "unknown error";
}

void decoder_free(struct decoder *dec)
{
	if (!dec)
		return;
	rings_free(dec);
	dec_sql_finalize(dec);
	for (unsigned i = 0; i < dec->n_dev; i++)
		free(dec->dev[i]);
	free(dec);
}
