/* Reading a trace.db for replay; see trace_in.h. */
#include "replay/trace_in.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/guest_mem.h"
#include "capture/event.h"
#include "decoder/db.h"
#include "decoder/db_row.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

/* Received frames longer than this are not fed to the emulated device. */
#define TRACE_RX_MAX 65550

static int fail(const struct trace_in *t, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s: %s", t->path, what, t->db ? sqlite3_errmsg(t->db) : "cannot open");
	return -1;
}

/* A row that contradicts the rest of the file, or that replay cannot take:
 * "'FILE': " and the reason (naming the table and the row) into err.
 * Returns -1. */
static int __attribute__((format(printf, 4, 5)))
refuse(const struct trace_in *t, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "'%s': ", t->path);

	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Copy text, keeping it printable (it goes to terminals and reports). */
static void printable(char *dst, size_t len, const unsigned char *s)
{
	size_t o = 0;

	for (; s && *s && o + 1 < len; s++)
		dst[o++] = *s >= 0x20 && *s < 0x7f ? (char)*s : '?';
	dst[o] = '\0';
}

/* An unsigned number in meta (decimal or 0x hex). Returns 1 with *out,
 * 0 if the key is not there, or -1 with err naming the row. */
static int meta_u64(struct trace_in *t, const char *key, uint64_t *out, char *err, size_t errlen)
{
	char buf[32], *end;
	unsigned long long v;

	trace_db_meta(t->db, key, buf, sizeof(buf));
	if (buf[0] == '\0')
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 0);
	/* strtoull takes signs and spaces ("-1" is 2^64-1): a digit first. */
	if (buf[0] < '0' || buf[0] > '9' || *end || errno) {
		char shown_v[40];
		printable(shown_v, sizeof(shown_v), (const unsigned char *)buf);
		return refuse(t, err, errlen, "meta row '%s': '%s' is not an unsigned number", key, shown_v);
	}
	*out = v;
	return 1;
}

static struct trace_device *device_by_id(struct trace_in *t, int64_t id)
{
	for (unsigned i = 0; i < t->n_dev; i++)
		if (t->dev[i].id == id)
			return &t->dev[i];
	return NULL;
}

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

static int load_devices(struct trace_in *t, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char a[48];
	int rc, r = 0;

	if (sqlite3_prepare_v2(t->db,
			       "SELECT device, base, name, device_id, version, vendor_id, features_offered "
			       "FROM devices ORDER BY device", -1, &st, NULL) != SQLITE_OK)
		return fail(t, err, errlen, "reading devices");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct trace_device *d;
		int64_t id, base, device_id, version, vendor, features;

		if (!db_row_int(st, 0, 0, 255, false, &id)) {
			r = refuse(t, err, errlen, "devices row device %s: id outside 0 to 255", db_row_shown(st, 0, a, sizeof(a)));
			break;
		}
		/* A window at or above 2^63 (stored negative) is no MMIO a
		 * machine has; the replay machine's windows are 0x200 bytes. */
		if (!db_row_int(st, 1, 0, INT64_MAX - VIRTIO_MMIO_REGION_SIZE, false, &base)) {
			r = refuse(t, err, errlen, "devices row device %lld: base %s is not a register window's address",
				   (long long)id, db_row_shown(st, 1, a, sizeof(a)));
			break;
		}
		if (!db_row_int(st, 3, 0, U32_MAX_I64, true, &device_id)) {
			r = refuse(t, err, errlen, "devices row device %lld: device_id %s (DeviceID is 32 bits)",
				   (long long)id, db_row_shown(st, 3, a, sizeof(a)));
			break;
		}
		if (!db_row_int(st, 4, 0, U32_MAX_I64, true, &version)) {
			r = refuse(t, err, errlen, "devices row device %lld: version %s (Version is 32 bits)",
				   (long long)id, db_row_shown(st, 4, a, sizeof(a)));
			break;
		}
		if (!db_row_int(st, 5, 0, U32_MAX_I64, true, &vendor)) {
			r = refuse(t, err, errlen, "devices row device %lld: vendor_id %s (VendorID is 32 bits)",
				   (long long)id, db_row_shown(st, 5, a, sizeof(a)));
			break;
		}
		if (!db_row_int(st, 6, INT64_MIN, INT64_MAX, true, &features)) {
			r = refuse(t, err, errlen, "devices row device %lld: features_offered %s is not a number",
				   (long long)id, db_row_shown(st, 6, a, sizeof(a)));
			break;
		}
		for (unsigned i = 0; i < t->n_dev; i++) {
			uint64_t b = t->dev[i].base;
			if ((uint64_t)base < b + VIRTIO_MMIO_REGION_SIZE && b < (uint64_t)base + VIRTIO_MMIO_REGION_SIZE) {
				r = refuse(t, err, errlen, "devices rows device %d and device %lld: register windows at 0x%" PRIx64
					   " and 0x%" PRIx64 " overlap (a window is 0x%x bytes)", t->dev[i].id, (long long)id,
					   b, (uint64_t)base, VIRTIO_MMIO_REGION_SIZE);
				break;
			}
		}
		if (r < 0)
			break;
		if (t->n_dev >= TRACE_IN_DEVICES_MAX) {
			r = refuse(t, err, errlen, "more than %d devices; the replay machine has at most %d",
				   TRACE_IN_DEVICES_MAX, TRACE_IN_DEVICES_MAX);
			break;
		}
		d = &t->dev[t->n_dev++];
		memset(d, 0, sizeof(*d));
		d->id = (int)id;
		d->base = (uint64_t)base;
		printable(d->name, sizeof(d->name), sqlite3_column_type(st, 2) == SQLITE_TEXT ? sqlite3_column_text(st, 2)
											      : (const unsigned char *)"?");
		if (!d->name[0])
			snprintf(d->name, sizeof(d->name), "?");
		d->device_id = (uint32_t)device_id;
		d->version = (uint32_t)version;
		d->vendor_known = sqlite3_column_type(st, 5) != SQLITE_NULL;
		d->vendor_id = (uint32_t)vendor;
		d->features_known = sqlite3_column_type(st, 6) != SQLITE_NULL;
		d->features_offered = (uint64_t)features;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(t, err, errlen, "reading devices");
	sqlite3_finalize(st);
	return r;
}

/* The first value read at each config byte of each device (to present the
 * recorded config where a difference is declared).  Rows replay would
 * refuse are left to the event cursor, which names them if they are
 * replayed. */
static int load_config_reads(struct trace_in *t, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(t->db, "SELECT device, offset, width, value FROM events "
			       "WHERE device IS NOT NULL AND type = 'mmio' AND dir = 'R' "
			       "AND typeof(offset) = 'integer' AND offset >= 256 AND offset < 512 "
			       "AND typeof(width) = 'integer' AND width IN (1, 2, 4, 8) AND typeof(value) = 'integer' "
			       "ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return fail(t, err, errlen, "reading config reads");
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
	return rc == SQLITE_DONE ? 0 : fail(t, err, errlen, "reading config reads");
}

/* Legacy rings: one block from QueuePFN * GuestPageSize, the used ring
 * aligned.  False if the numbers do not make one inside the address space. */
static bool legacy_rings(struct trace_rings *r, uint64_t pfn, uint64_t page, uint64_t align)
{
	uint64_t avail_end;

	if (!page || !align || (align & (align - 1)) || pfn > UINT64_MAX / page)
		return false;
	r->desc = pfn * page;
	/* desc table, avail ring, padding to align, used ring */
	if (r->desc > UINT64_MAX - (16ull * r->num + 6ull + 2ull * r->num + align + 6ull + 8ull * r->num))
		return false;
	r->avail = r->desc + 16ull * r->num;
	avail_end = r->avail + 6ull + 2ull * r->num;
	r->used = (avail_end + align - 1) & ~(align - 1);
	return true;
}

/* The queues table, every row checked: what the recorded devices
 * presented (QueueNumMax per queue) and where each generation's rings
 * were, the latest set-up first (replay looks addresses up for each
 * snapshot it cannot place). */
static int load_queues(struct trace_in *t, char *err, size_t errlen)
{
	static const char *const names[] = { "device", "queue", "generation", "seq_setup", "size", "num_max",
					     "desc_addr", "driver_addr", "device_addr", "legacy_pfn", "page_size", "align" };
	sqlite3_stmt *st;
	size_t cap = 0;
	char a[48], b[48], c[48], v[48];
	int rc, r = 0;

	if (sqlite3_prepare_v2(t->db,
			       "SELECT device, queue, generation, seq_setup, size, num_max, desc_addr, driver_addr, "
			       "device_addr, legacy_pfn, page_size, align FROM queues ORDER BY seq_setup DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(t, err, errlen, "reading queue set-ups");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Lower and upper bound of each column; NULL allowed from 4 on. */
		static const int64_t range[][2] = {
			{ 0, 255 }, { 0, U32_MAX_I64 }, { 0, INT64_MAX }, { 0, INT64_MAX },
			{ 0, U32_MAX_I64 }, { 0, U32_MAX_I64 },
			{ INT64_MIN, INT64_MAX }, { INT64_MIN, INT64_MAX }, { INT64_MIN, INT64_MAX },
			{ 0, U32_MAX_I64 }, { 0, U32_MAX_I64 }, { 0, U32_MAX_I64 },
		};
		int64_t col[12];
		struct trace_device *d;
		struct trace_rings ring;

		for (int i = 0; i < 12 && r == 0; i++)
			if (!db_row_int(st, i, range[i][0], range[i][1], i >= 4, &col[i]))
				r = refuse(t, err, errlen, "queues row device %s queue %s generation %s: %s %s%s",
					   db_row_shown(st, 0, a, sizeof(a)), db_row_shown(st, 1, b, sizeof(b)), db_row_shown(st, 2, c, sizeof(c)),
					   names[i], db_row_shown(st, i, v, sizeof(v)),
					   i == 4 ? " (QueueNum is 0 to 0xffffffff)" : "");
		if (r < 0)
			break;
		d = device_by_id(t, col[0]);
		if (!d) {
			r = refuse(t, err, errlen, "queues row device %lld queue %lld generation %lld: device %lld is not "
				   "in the devices table", (long long)col[0], (long long)col[1], (long long)col[2],
				   (long long)col[0]);
			break;
		}
		if (col[1] < EMU_QUEUES_MAX && col[5] > d->num_max[col[1]] && col[5] <= 0xffff)
			d->num_max[col[1]] = (uint16_t)col[5];
		/* Sizes a split ring can have; a driver's other QueueNum writes
		 * (recorded as violations) set up no ring. */
		if (col[4] < 1 || col[4] > 32768)
			continue;
		ring.dev = (int)(d - t->dev);
		ring.queue = (unsigned)col[1];
		ring.num = (uint32_t)col[4];
		ring.desc = (uint64_t)col[6];
		ring.avail = (uint64_t)col[7];
		ring.used = (uint64_t)col[8];
		if (col[9] && !legacy_rings(&ring, (uint64_t)col[9], (uint64_t)col[10], (uint64_t)col[11]))
			continue;
		if (t->n_rings == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct trace_rings *n = realloc(t->rings, ncap * sizeof(*n));
			if (!n) {
				r = refuse(t, err, errlen, "out of memory reading queue set-ups");
				break;
			}
			t->rings = n;
			cap = ncap;
		}
		t->rings[t->n_rings++] = ring;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(t, err, errlen, "reading queue set-ups");
	sqlite3_finalize(st);
	return r;
}

/* The range of seq, the lost-events records, and the guest addresses the
 * memory rows cover (a RAM guess for traces without ram_base/ram_size). */
static int load_counts(struct trace_in *t, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char a[48], b[48];
	int rc, r = 0;

	t->lost_seq = UINT64_MAX;
	/* min and max of an integer primary key are found without a scan
	 * (each in a query of its own: "min(seq), max(seq)" scans); text
	 * sorts after every number, so a max that is not an integer is a
	 * row whose seq is not one. */
	if (sqlite3_prepare_v2(t->db, "SELECT (SELECT min(seq) FROM events), (SELECT max(seq) FROM events)", -1, &st,
			       NULL) != SQLITE_OK)
		return fail(t, err, errlen, "counting events");
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return fail(t, err, errlen, "counting events");
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		int64_t lo, hi;
		if (!db_row_int(st, 0, 0, INT64_MAX, false, &lo))
			r = refuse(t, err, errlen, "events row seq %s: %s", db_row_shown(st, 0, a, sizeof(a)),
				   sqlite3_column_type(st, 0) == SQLITE_INTEGER ? "negative sequence number"
										 : "sequence number is not an integer");
		else if (!db_row_int(st, 1, 0, INT64_MAX - 1, false, &hi))
			r = refuse(t, err, errlen, "events row seq %s: sequence number is not an integer",
				   db_row_shown(st, 1, a, sizeof(a)));
		else
			t->events = (uint64_t)hi + 1;
	}
	sqlite3_finalize(st);
	if (r < 0)
		return r;

	if (sqlite3_prepare_v2(t->db, "SELECT seq, count FROM lost ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return fail(t, err, errlen, "reading lost events");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq, count;
		if (!db_row_int(st, 0, 0, INT64_MAX, false, &seq) || !db_row_int(st, 1, 0, INT64_MAX, false, &count)) {
			r = refuse(t, err, errlen, "lost row seq %s: count %s (a sequence number and a count, neither "
				   "negative)", db_row_shown(st, 0, a, sizeof(a)), db_row_shown(st, 1, b, sizeof(b)));
			break;
		}
		if ((uint64_t)seq < t->lost_seq)
			t->lost_seq = (uint64_t)seq;
		t->lost_count = (uint64_t)count > UINT64_MAX - t->lost_count ? UINT64_MAX : t->lost_count + (uint64_t)count;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(t, err, errlen, "reading lost events");
	sqlite3_finalize(st);
	if (r < 0)
		return r;

	/* Rows with other addresses are named by the event cursor if they
	 * are replayed (or belong to no event). */
	if (sqlite3_prepare_v2(t->db, "SELECT min(gpa), max(gpa + length(data)) FROM memory "
			       "WHERE typeof(gpa) = 'integer' AND gpa >= 0 AND gpa <= 9223372036854775807 - length(data)",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(t, err, errlen, "reading memory addresses");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t->mem_lo = (uint64_t)sqlite3_column_int64(st, 0);
		t->mem_hi = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : fail(t, err, errlen, "reading memory addresses");
}

int trace_in_open(struct trace_in *t, const char *path, char *err, size_t errlen)
{
	uint64_t base = 0, size = 0;
	int have_base, have_size;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	/* Someone else's file: opened defensively, its schema checked. */
	if (trace_db_open_readonly(&t->db, path, err, errlen) < 0)
		return -1;
	trace_db_meta(t->db, "source", t->source, sizeof(t->source));
	printable(t->source, sizeof(t->source), (const unsigned char *)t->source);
	if ((have_base = meta_u64(t, "ram_base", &base, err, errlen)) < 0 ||
	    (have_size = meta_u64(t, "ram_size", &size, err, errlen)) < 0 ||
	    meta_u64(t, "raw.seed", &t->seed, err, errlen) < 0)
		return -1;
	t->ram_known = have_base && have_size;
	t->ram_base = base;
	t->ram_size = size;
	if (load_devices(t, err, errlen) < 0 || load_config_reads(t, err, errlen) < 0 ||
	    load_queues(t, err, errlen) < 0 || load_counts(t, err, errlen) < 0)
		return -1;
	return 0;
}

int trace_in_load_rx(struct trace_in *t, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	char a[48], b[48];
	int rc, r = 0;

	if (sqlite3_prepare_v2(t->db,
			       "SELECT r.request, r.device, r.seq_used, r.length, r.data, (SELECT max(e.seq) FROM events e "
			       "WHERE e.device = r.device AND e.seq < r.seq_used AND e.type = 'mmio') AS at, 0 "
			       "FROM requests r WHERE r.kind = 'net-rx' AND r.seq_used IS NOT NULL "
			       "UNION ALL SELECT r.request, r.device, r.seq_notify, r.length, r.data, r.seq_notify AS at, 1 "
			       "FROM requests r WHERE r.kind = 'rng' AND r.seq_notify IS NOT NULL AND r.seq_used IS NOT NULL "
			       "ORDER BY at",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(t, err, errlen, "reading device inputs");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t request, dev, seq, len, at;
		bool rng = sqlite3_column_int(st, 6) != 0;
		struct trace_device *d;
		struct trace_rx *rx;
		int held;

		if (!db_row_int(st, 0, INT64_MIN, INT64_MAX, false, &request)) {
			r = refuse(t, err, errlen, "requests row request %s: not an integer", db_row_shown(st, 0, a, sizeof(a)));
			break;
		}
		if (!db_row_int(st, 1, 0, 255, false, &dev) || !(d = device_by_id(t, dev))) {
			r = refuse(t, err, errlen, "requests row request %lld: device %s is not in the devices table",
				   (long long)request, db_row_shown(st, 1, a, sizeof(a)));
			break;
		}
		if (!db_row_int(st, 2, 0, INT64_MAX, false, &seq) || !db_row_int(st, 5, 0, INT64_MAX, true, &at)) {
			r = refuse(t, err, errlen, "requests row request %lld: %s %s is not a sequence number",
				   (long long)request, rng ? "seq_notify" : "seq_used", db_row_shown(st, 2, a, sizeof(a)));
			break;
		}
		if (!db_row_int(st, 3, 0, INT64_MAX, true, &len)) {
			r = refuse(t, err, errlen, "requests row request %lld: length %s", (long long)request,
				   db_row_shown(st, 3, a, sizeof(a)));
			break;
		}
		if (sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_type(st, 4) != SQLITE_BLOB) {
			r = refuse(t, err, errlen, "requests row request %lld: data is %s, not a blob", (long long)request,
				   db_row_shown(st, 4, a, sizeof(a)));
			break;
		}
		held = sqlite3_column_bytes(st, 4);
		/* data holds the first bytes (capped), never more than length. */
		if (sqlite3_column_type(st, 3) != SQLITE_NULL && held > len) {
			r = refuse(t, err, errlen, "requests row request %lld: data is %d bytes, length says %s",
				   (long long)request, held, db_row_shown(st, 3, b, sizeof(b)));
			break;
		}
		if (sqlite3_column_type(st, 3) == SQLITE_NULL || len > TRACE_RX_MAX)
			continue;
		/* Entropy bytes not recorded: the emulator's own are as good. */
		if (rng && held != len)
			continue;
		if (t->n_rx == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct trace_rx *n = realloc(t->rx, ncap * sizeof(*n));
			if (!n) {
				r = refuse(t, err, errlen, "out of memory reading device inputs");
				break;
			}
			t->rx = n;
			cap = ncap;
		}
		rx = &t->rx[t->n_rx];
		rx->kind = rng ? TIN_RNG : TIN_NET_RX;
		rx->dev = (int)(d - t->dev);
		rx->at_seq = sqlite3_column_type(st, 5) != SQLITE_NULL ? (uint64_t)at : (uint64_t)seq;
		rx->len = (uint32_t)len;
		rx->data = calloc(1, (size_t)len + 1);
		if (!rx->data) {
			r = refuse(t, err, errlen, "out of memory reading device inputs");
			break;
		}
		if (held > 0)
			memcpy(rx->data, sqlite3_column_blob(st, 4), (size_t)held);
		t->n_rx++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(t, err, errlen, "reading device inputs");
	sqlite3_finalize(st);
	return r;
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
			       "m.kind, m.exact, m.data, e.text, e.len, m.gpa, m.seq IS NOT NULL "
			       "FROM events e LEFT JOIN memory m ON m.seq = e.seq "
			       "WHERE e.seq <= ?1 ORDER BY e.seq", -1, &c->st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: reading events: %s", t->path, sqlite3_errmsg(t->db));
		return -1;
	}
	sqlite3_bind_int64(c->st, 1, until > INT64_MAX ? INT64_MAX : (sqlite3_int64)until);
	return 0;
}

static const struct {
	const char *name;
	enum trace_ev_type type;
} ev_types[] = {
	{ "mmio", TEV_MMIO }, { "mem", TEV_MEM }, { "irq", TEV_IRQ }, { "marker", TEV_MARKER },
	{ "lost", TEV_LOST }, { "device", TEV_DEVICE }, { "violation", TEV_VIOLATION },
};

/* The columns of a mem event and its memory row (there is one) into ev. */
static int mem_columns(struct trace_cursor *c, sqlite3_stmt *st, struct trace_ev *ev, char *err, size_t errlen)
{
	const struct trace_in *t = c->t;
	long long seq = (long long)ev->seq;
	int64_t addr, len, gpa, exact;
	sqlite3_value *data;
	char a[48];
	int held;

	if (!db_row_int(st, 7, INT64_MIN, INT64_MAX, false, &addr))
		return refuse(t, err, errlen, "events row seq %lld: addr %s is not an address", seq, db_row_shown(st, 7, a, sizeof(a)));
	if (!db_row_int(st, 12, 0, VMT_EVENT_DATA_MAX, false, &len))
		return refuse(t, err, errlen, "events row seq %lld: len %s (a memory event holds 0 to %u bytes)", seq,
			      db_row_shown(st, 12, a, sizeof(a)), VMT_EVENT_DATA_MAX);
	if (db_row_is(st, 8, "driver-write"))
		ev->mem_kind = TMEM_DRIVER;
	else if (db_row_is(st, 8, "device-write"))
		ev->mem_kind = TMEM_DEVICE;
	else if (db_row_is(st, 8, "snapshot"))
		ev->mem_kind = TMEM_SNAPSHOT;
	else
		return refuse(t, err, errlen, "memory row seq %lld: kind %s (driver-write, device-write or snapshot)", seq,
			      db_row_shown(st, 8, a, sizeof(a)));
	if (!db_row_int(st, 9, 0, 1, false, &exact))
		return refuse(t, err, errlen, "memory row seq %lld: exact %s (0 or 1)", seq, db_row_shown(st, 9, a, sizeof(a)));
	if (!db_row_int(st, 13, INT64_MIN, INT64_MAX, false, &gpa))
		return refuse(t, err, errlen, "memory row seq %lld: gpa %s is not an address", seq, db_row_shown(st, 13, a, sizeof(a)));
	if (gpa != addr)
		return refuse(t, err, errlen, "memory row seq %lld: gpa 0x%" PRIx64 ", events.addr says 0x%" PRIx64, seq,
			      (uint64_t)gpa, (uint64_t)addr);
	data = sqlite3_column_value(st, 10);
	if (sqlite3_value_type(data) != SQLITE_BLOB)
		return refuse(t, err, errlen, "memory row seq %lld: data is %s, not a blob", seq, db_row_shown(st, 10, a, sizeof(a)));
	ev->data = sqlite3_value_blob(data);
	held = sqlite3_value_bytes(data);
	if (held != len || (len > 0 && !ev->data))
		return refuse(t, err, errlen, "events row seq %lld: memory payload is %d bytes, events.len says %lld", seq,
			      held, (long long)len);
	/* 64-bit addresses are stored as signed integers. */
	ev->addr = (uint64_t)addr;
	if (ev->addr > UINT64_MAX - (uint64_t)len)
		return refuse(t, err, errlen, "events row seq %lld: %lld bytes at 0x%" PRIx64 " run past the end of the "
			      "address space", seq, (long long)len, ev->addr);
	ev->len = (uint32_t)len;
	if (!len)
		ev->data = NULL;
	ev->exact = exact != 0;
	return 0;
}

/* The columns of an mmio event into ev. */
static int mmio_columns(struct trace_cursor *c, sqlite3_stmt *st, struct trace_ev *ev, char *err, size_t errlen)
{
	const struct trace_in *t = c->t;
	long long seq = (long long)ev->seq;
	int64_t offset, width, value;
	char a[48];
	int n;
	const char *dir = db_row_text(st, 4, &n);

	if (dir && n == 1 && dir[0] == 'W')
		ev->write = true;
	else if (!dir || n != 1 || dir[0] != 'R')
		return refuse(t, err, errlen, "events row seq %lld: dir %s (R or W)", seq, db_row_shown(st, 4, a, sizeof(a)));
	if (!db_row_int(st, 5, 1, 8, false, &width) || (width & (width - 1)))
		return refuse(t, err, errlen, "events row seq %lld: MMIO width %s (1, 2, 4 or 8)", seq,
			      db_row_shown(st, 5, a, sizeof(a)));
	if (ev->device >= 0 && !db_row_int(st, 3, 0, VIRTIO_MMIO_REGION_SIZE - 1, false, &offset)) {
		if (sqlite3_column_type(st, 3) == SQLITE_INTEGER)
			snprintf(a, sizeof(a), "0x%" PRIx64, (uint64_t)sqlite3_column_int64(st, 3));
		else
			db_row_shown(st, 3, a, sizeof(a));
		return refuse(t, err, errlen, "events row seq %lld: offset %s lies outside the register window "
			      "(0 to 0x%x)", seq, a, VIRTIO_MMIO_REGION_SIZE - 1);
	}
	/* Without a device the offset is the guest-physical address. */
	if (ev->device < 0 && !db_row_int(st, 3, INT64_MIN, INT64_MAX, false, &offset))
		return refuse(t, err, errlen, "events row seq %lld: offset %s is not an address", seq,
			      db_row_shown(st, 3, a, sizeof(a)));
	if (!db_row_int(st, 6, INT64_MIN, INT64_MAX, false, &value))
		return refuse(t, err, errlen, "events row seq %lld: value %s is not a number", seq, db_row_shown(st, 6, a, sizeof(a)));
	ev->offset = (uint64_t)offset;
	ev->width = (unsigned)width;
	ev->value = (uint64_t)value;
	return 0;
}

int trace_next(struct trace_cursor *c, struct trace_ev *ev, char *err, size_t errlen)
{
	const struct trace_in *t = c->t;
	sqlite3_stmt *st = c->st;
	int rc = sqlite3_step(st);
	int64_t seq, dev, value;
	sqlite3_value *dev_v;
	const char *type;
	int type_len, has_memory;
	char a[48];
	size_t k = 0;

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "%s: reading events: %s", t->path, sqlite3_errmsg(t->db));
		return -1;
	}
	memset(ev, 0, sizeof(*ev));
	ev->device = -1;
	if (!db_row_int(st, 0, 0, INT64_MAX, false, &seq))
		return refuse(t, err, errlen, "events row seq %s: %s", db_row_shown(st, 0, a, sizeof(a)),
			      sqlite3_column_type(st, 0) == SQLITE_INTEGER ? "negative sequence number"
									    : "sequence number is not an integer");
	/* Rows come in seq order: a seq not above the last one is a second
	 * events row with it, or a second memory row joined to it. */
	if (c->started && (uint64_t)seq <= c->prev_seq)
		return refuse(t, err, errlen, "events row seq %lld appears twice (a duplicate events or memory row)",
			      (long long)seq);
	c->started = true;
	c->prev_seq = (uint64_t)seq;
	ev->seq = (uint64_t)seq;
	type = db_row_text(st, 1, &type_len);
	for (k = 0; type && k < sizeof(ev_types) / sizeof(ev_types[0]); k++)
		if ((size_t)type_len == strlen(ev_types[k].name) && !memcmp(type, ev_types[k].name, (size_t)type_len))
			break;
	if (!type || k == sizeof(ev_types) / sizeof(ev_types[0]))
		return refuse(t, err, errlen, "events row seq %lld: type %s (mmio, mem, irq, marker, lost, device or "
			      "violation)", (long long)seq, db_row_shown(st, 1, a, sizeof(a)));
	ev->type = ev_types[k].type;
	dev_v = sqlite3_column_value(st, 2);
	if (sqlite3_value_type(dev_v) != SQLITE_NULL) {
		dev = sqlite3_value_int64(dev_v);
		if (sqlite3_value_type(dev_v) != SQLITE_INTEGER || dev < 0 || dev > 255 || c->dev_index[dev] < 0)
			return refuse(t, err, errlen, "events row seq %lld: device %s is not in the devices table",
				      (long long)seq, db_row_shown(st, 2, a, sizeof(a)));
		ev->device = c->dev_index[dev];
	}
	has_memory = sqlite3_column_int(st, 14);
	if (ev->type != TEV_MEM && has_memory)
		return refuse(t, err, errlen, "memory row seq %lld belongs to an events row of type %s, not mem",
			      (long long)seq, ev_types[k].name);
	switch (ev->type) {
	case TEV_MMIO:
		if (mmio_columns(c, st, ev, err, errlen) < 0)
			return -1;
		break;
	case TEV_MEM:
		if (!has_memory)
			return refuse(t, err, errlen, "events row seq %lld: a memory event without its memory row "
				      "(decoded with --no-memory?)", (long long)seq);
		if (mem_columns(c, st, ev, err, errlen) < 0)
			return -1;
		break;
	case TEV_LOST:
		/* replay_run refuses traces that lost events before here. */
		return refuse(t, err, errlen, "events row seq %lld: events were lost here, which the lost table does "
			      "not say", (long long)seq);
	case TEV_IRQ:
	case TEV_VIOLATION:
		if (!db_row_int(st, 6, INT64_MIN, INT64_MAX, false, &value))
			return refuse(t, err, errlen, "events row seq %lld: value %s is not a number", (long long)seq,
				      db_row_shown(st, 6, a, sizeof(a)));
		ev->value = (uint64_t)value;
		break;
	default:
		break;
	}
	if (ev->type == TEV_MARKER || ev->type == TEV_VIOLATION) {
		int n;
		ev->text = db_row_text(st, 11, &n);
	}
	return 1;
}

void trace_cursor_close(struct trace_cursor *c)
{
	if (c->st)
		sqlite3_finalize(c->st);
	c->st = NULL;
}
