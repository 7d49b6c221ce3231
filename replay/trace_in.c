/* Reading a trace.db for replay; see trace_in.h. */
#include "replay/trace_in.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/guest_mem.h"
#include "decoder/db.h"
#include "spec/mmio_regs.h"

static int fail(const struct trace_in *t, const char *path, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s: %s", path, what, t->db ? sqlite3_errmsg(t->db) : "cannot open");
	return -1;
}

static bool meta_u64(sqlite3 *db, const char *key, uint64_t *out)
{
	char buf[32], *end;
	unsigned long long v;

	trace_db_meta(db, key, buf, sizeof(buf));
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (buf[0] == '\0' || *end || errno)
		return false;
	*out = v;
	return true;
}

static struct trace_device *device_by_id(struct trace_in *t, int64_t id)
{
	for (unsigned i = 0; i < t->n_dev; i++)
		if (t->dev[i].id == id)
			return &t->dev[i];
	return NULL;
}

static int load_devices(struct trace_in *t)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(t->db,
			       "SELECT device, base, name, device_id, version, vendor_id, features_offered "
			       "FROM devices ORDER BY device", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct trace_device *d;
		const char *name = (const char *)sqlite3_column_text(st, 2);
		int64_t id = sqlite3_column_int64(st, 0);

		if (t->n_dev >= TRACE_IN_DEVICES_MAX || id < 0 || id > 255)
			continue; /* more than any machine replay builds; their events read as "no device" */
		d = &t->dev[t->n_dev++];
		memset(d, 0, sizeof(*d));
		d->id = (int)id;
		d->base = (uint64_t)sqlite3_column_int64(st, 1);
		snprintf(d->name, sizeof(d->name), "%s", name ? name : "?");
		d->device_id = (uint32_t)sqlite3_column_int64(st, 3);
		d->version = (uint32_t)sqlite3_column_int64(st, 4);
		d->vendor_known = sqlite3_column_type(st, 5) != SQLITE_NULL;
		d->vendor_id = (uint32_t)sqlite3_column_int64(st, 5);
		d->features_known = sqlite3_column_type(st, 6) != SQLITE_NULL;
		d->features_offered = (uint64_t)sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* What the recorded devices presented: QueueNumMax per queue (from the
 * queues table) and the first value read at each config byte. */
static int load_presented(struct trace_in *t)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(t->db, "SELECT device, queue, max(num_max) FROM queues "
			       "WHERE num_max IS NOT NULL GROUP BY device, queue", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct trace_device *d = device_by_id(t, sqlite3_column_int64(st, 0));
		int64_t q = sqlite3_column_int64(st, 1), n = sqlite3_column_int64(st, 2);
		if (d && q >= 0 && q < EMU_QUEUES_MAX && n > 0 && n <= 0xffff)
			d->num_max[q] = (uint16_t)n;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;

	if (sqlite3_prepare_v2(t->db, "SELECT device, offset, width, value FROM events "
			       "WHERE device IS NOT NULL AND type = 'mmio' AND dir = 'R' AND offset >= 256 "
			       "ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct trace_device *d = device_by_id(t, sqlite3_column_int64(st, 0));
		int64_t off = sqlite3_column_int64(st, 1) - MMIO_CONFIG, w = sqlite3_column_int64(st, 2);
		uint64_t v = (uint64_t)sqlite3_column_int64(st, 3);
		if (!d || off < 0 || w < 1 || w > 8 || off + w > EMU_CONFIG_MAX)
			continue;
		for (int64_t i = 0; i < w; i++) {
			if (!d->config_known[off + i]) {
				d->config[off + i] = (uint8_t)(v >> (8 * i));
				d->config_known[off + i] = true;
			}
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Every queue generation's three areas, the latest set-up first, loaded
 * once: replay looks addresses up for each snapshot it cannot place. */
static int load_rings(struct trace_in *t)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (sqlite3_prepare_v2(t->db,
			       "SELECT device, queue, size, desc_addr, driver_addr, device_addr, legacy_pfn, page_size, align "
			       "FROM queues WHERE size > 0 AND size <= 32768 ORDER BY seq_setup DESC", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct trace_rings r;
		uint64_t pfn = (uint64_t)sqlite3_column_int64(st, 6);
		struct trace_device *d = device_by_id(t, sqlite3_column_int64(st, 0));

		r.dev = d ? (int)(d - t->dev) : -1;
		r.queue = (unsigned)sqlite3_column_int64(st, 1);
		r.num = (uint32_t)sqlite3_column_int64(st, 2);
		r.desc = (uint64_t)sqlite3_column_int64(st, 3);
		r.avail = (uint64_t)sqlite3_column_int64(st, 4);
		r.used = (uint64_t)sqlite3_column_int64(st, 5);
		if (pfn) {
			/* Legacy: one block from QueuePFN * GuestPageSize. */
			uint64_t page = (uint64_t)sqlite3_column_int64(st, 7), align = (uint64_t)sqlite3_column_int64(st, 8);
			if (!page || !align || (align & (align - 1)) || pfn > UINT64_MAX / page / 2)
				continue;
			r.desc = pfn * page;
			r.avail = r.desc + 16ull * r.num;
			r.used = (r.avail + 6ull + 2ull * r.num + align - 1) & ~(align - 1);
		}
		if (t->n_rings == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct trace_rings *n = realloc(t->rings, ncap * sizeof(*n));
			if (!n)
				break;
			t->rings = n;
			cap = ncap;
		}
		t->rings[t->n_rings++] = r;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int load_counts(struct trace_in *t)
{
	sqlite3_stmt *st;
	int rc;

	t->lost_seq = UINT64_MAX;
	if (sqlite3_prepare_v2(t->db, "SELECT (SELECT max(seq) FROM events), (SELECT min(seq) FROM lost), "
			       "(SELECT total(count) FROM lost), (SELECT min(gpa) FROM memory), "
			       "(SELECT max(gpa + length(data)) FROM memory)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			t->events = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			t->lost_seq = (uint64_t)sqlite3_column_int64(st, 1);
		t->lost_count = (uint64_t)sqlite3_column_double(st, 2);
		t->mem_lo = (uint64_t)sqlite3_column_int64(st, 3);
		t->mem_hi = (uint64_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int trace_in_open(struct trace_in *t, const char *path, char *err, size_t errlen)
{

	memset(t, 0, sizeof(*t));
	/* Someone else's file: opened defensively, its schema checked. */
	if (trace_db_open_readonly(&t->db, path, err, errlen) < 0)
		return -1;
	trace_db_meta(t->db, "source", t->source, sizeof(t->source));
	t->ram_known = meta_u64(t->db, "ram_base", &t->ram_base) && meta_u64(t->db, "ram_size", &t->ram_size);
	if (!meta_u64(t->db, "raw.seed", &t->seed))
		t->seed = 0;
	if (load_devices(t) < 0)
		return fail(t, path, err, errlen, "reading devices");
	if (load_presented(t) < 0)
		return fail(t, path, err, errlen, "reading queues and config reads");
	if (load_rings(t) < 0)
		return fail(t, path, err, errlen, "reading queue set-ups");
	if (load_counts(t) < 0)
		return fail(t, path, err, errlen, "counting events");
	return 0;
}

int trace_in_load_rx(struct trace_in *t, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (sqlite3_prepare_v2(t->db,
			       "SELECT r.device, r.seq_used, r.length, r.data, (SELECT max(e.seq) FROM events e "
			       "WHERE e.device = r.device AND e.seq < r.seq_used AND e.type = 'mmio') AS at, 0 "
			       "FROM requests r WHERE r.kind = 'net-rx' AND r.seq_used IS NOT NULL "
			       "UNION ALL SELECT r.device, r.seq_notify, r.length, r.data, r.seq_notify AS at, 1 "
			       "FROM requests r WHERE r.kind = 'rng' AND r.seq_notify IS NOT NULL AND r.seq_used IS NOT NULL "
			       "ORDER BY at",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading device inputs: %s", sqlite3_errmsg(t->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct trace_device *d = device_by_id(t, sqlite3_column_int64(st, 0));
		int64_t len = sqlite3_column_int64(st, 2);
		int held = sqlite3_column_bytes(st, 3);
		struct trace_rx *rx;

		if (!d || len < 0 || len > 65550 || sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue;
		/* Entropy bytes not recorded: the emulator's own are as good. */
		if (sqlite3_column_int(st, 5) && held != len)
			continue;
		if (t->n_rx == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct trace_rx *n = realloc(t->rx, ncap * sizeof(*n));
			if (!n)
				break;
			t->rx = n;
			cap = ncap;
		}
		rx = &t->rx[t->n_rx];
		rx->kind = sqlite3_column_int(st, 5) ? TIN_RNG : TIN_NET_RX;
		rx->dev = (int)(d - t->dev);
		rx->at_seq = sqlite3_column_type(st, 4) != SQLITE_NULL ? (uint64_t)sqlite3_column_int64(st, 4)
								     : (uint64_t)sqlite3_column_int64(st, 1);
		rx->len = (uint32_t)len;
		rx->data = calloc(1, (size_t)len + 1);
		if (!rx->data)
			break;
		if (held > 0)
			memcpy(rx->data, sqlite3_column_blob(st, 3), held < len ? (size_t)held : (size_t)len);
		t->n_rx++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(err, errlen, "reading device inputs: %s", sqlite3_errmsg(t->db));
		return -1;
	}
	return 0;
}

void trace_in_close(struct trace_in *t)
{
	free(t->rings);
	t->rings = NULL;
	t->n_rings = 0;
	for (size_t i = 0; i < t->n_rx; i++)
		free(t->rx[i].data);
	free(t->rx);
	t->rx = NULL;
	t->n_rx = 0;
	if (t->db)
		sqlite3_close(t->db);
	t->db = NULL;
}

static bool within(uint64_t gpa, uint64_t start, uint64_t len, uint64_t *off)
{
	if (gpa < start || gpa - start >= len)
		return false;
	*off = gpa - start;
	return true;
}

bool trace_in_ring_area(const struct trace_in *t, uint64_t gpa, struct trace_ring_area *out)
{
	for (size_t i = 0; i < t->n_rings; i++) {
		const struct trace_rings *r = &t->rings[i];
		if (within(gpa, r->used, 6ull + 8ull * r->num, &out->off))
			out->area = TRACE_AREA_USED;
		else if (within(gpa, r->avail, 6ull + 2ull * r->num, &out->off))
			out->area = TRACE_AREA_AVAIL;
		else if (within(gpa, r->desc, 16ull * r->num, &out->off))
			out->area = TRACE_AREA_DESC;
		else
			continue;
		out->queue = r->queue;
		out->num = r->num;
		out->dev = r->dev;
		return true;
	}
	return false;
}

int trace_cursor_open(struct trace_cursor *c, const struct trace_in *t, uint64_t until, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	for (unsigned i = 0; i < 256; i++)
		c->dev_index[i] = -1;
	for (unsigned i = 0; i < t->n_dev; i++)
		c->dev_index[t->dev[i].id] = (int)i;
	if (sqlite3_prepare_v2(t->db,
			       "SELECT e.seq, e.type, e.device, e.offset, e.dir, e.width, e.value, e.addr, "
			       "m.kind, m.exact, m.data, e.text FROM events e LEFT JOIN memory m ON m.seq = e.seq "
			       "WHERE e.seq <= ?1 ORDER BY e.seq", -1, &c->st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(t->db));
		return -1;
	}
	sqlite3_bind_int64(c->st, 1, until > INT64_MAX ? INT64_MAX : (sqlite3_int64)until);
	return 0;
}

static enum trace_ev_type ev_type(const unsigned char *s)
{
	if (!s)
		return TEV_OTHER;
	switch (s[0]) {
	case 'm':
		if (s[1] == 'm')
			return TEV_MMIO;
		return s[2] == 'm' ? TEV_MEM : TEV_MARKER;
	case 'i': return TEV_IRQ;
	case 'l': return TEV_LOST;
	case 'd': return TEV_DEVICE;
	case 'v': return TEV_VIOLATION;
	}
	return TEV_OTHER;
}

int trace_next(struct trace_cursor *c, struct trace_ev *ev, char *err, size_t errlen)
{
	sqlite3_stmt *st = c->st;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(c->t->db));
		return -1;
	}
	memset(ev, 0, sizeof(*ev));
	ev->seq = (uint64_t)sqlite3_column_int64(st, 0);
	ev->type = ev_type(sqlite3_column_text(st, 1));
	ev->device = -1;
	if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		int64_t id = sqlite3_column_int64(st, 2);
		if (id >= 0 && id < 256)
			ev->device = c->dev_index[id];
	}
	ev->offset = (uint64_t)sqlite3_column_int64(st, 3);
	const unsigned char *dir = sqlite3_column_text(st, 4);
	ev->write = dir && dir[0] == 'W';
	ev->width = (unsigned)sqlite3_column_int(st, 5);
	ev->value = (uint64_t)sqlite3_column_int64(st, 6);
	ev->addr = (uint64_t)sqlite3_column_int64(st, 7);
	if (ev->type == TEV_MEM) {
		const unsigned char *kind = sqlite3_column_text(st, 8);
		ev->mem_kind = !kind ? TMEM_SNAPSHOT : kind[0] == 'd' && kind[1] == 'r' ? TMEM_DRIVER
			     : kind[0] == 'd' ? TMEM_DEVICE : TMEM_SNAPSHOT;
		ev->exact = sqlite3_column_int(st, 9) != 0;
		ev->data = sqlite3_column_blob(st, 10);
		ev->len = (uint32_t)sqlite3_column_bytes(st, 10);
		if (!kind) {
			snprintf(err, errlen, "event %llu: a memory event without its bytes (decoded without memory?)",
				 (unsigned long long)ev->seq);
			return -1;
		}
	}
	ev->text = (const char *)sqlite3_column_text(st, 11);
	return 1;
}

void trace_cursor_close(struct trace_cursor *c)
{
	if (c->st)
		sqlite3_finalize(c->st);
	c->st = NULL;
}
