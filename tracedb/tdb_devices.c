/* The devices table (tdb_devices.h). */
#include "tracedb/tdb_devices.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

void tdb_notes_add(struct tdb_notes *notes, const char *fmt, ...)
{
	va_list ap;

	if (notes->n < TDB_NOTES_KEPT) {
		va_start(ap, fmt);
		vsnprintf(notes->note[notes->n++], sizeof(notes->note[0]), fmt, ap);
		va_end(ap);
	}
	notes->count++;
}

/* SQLite has no bitwise-OR aggregate: the Status bits are ORed one by
 * one.  The counts are device_summary's. */
#define DEVICES_SQL                                                                                                 \
	"SELECT device, base, name, device_id, type, version, vendor_id, status, features_offered, "               \
	"features_accepted, features_negotiated, first_seq, last_seq, events, "                                    \
	"(SELECT coalesce(max(new & 1) | max(new & 2) | max(new & 4) | max(new & 8) | max(new & 32) | "           \
	"max(new & 64) | max(new & 128), 0) FROM status_changes s "                                                \
	" WHERE s.device = d.device AND s.kind IN ('set', 'failed', 'needs-reset', 'device')), "                    \
	"(SELECT count(*) FROM requests r WHERE r.device = d.device), "                                            \
	"(SELECT count(*) FROM violations v WHERE v.device = d.device) "                                           \
	"FROM devices d "

/* The same columns without what the query counts (status_reached,
 * requests and violations read as 0): what a device's lookups need, at
 * the cost of reading the devices rows only (counting a device's requests
 * reads every one of them). */
#define DEVICES_SQL_ROWS                                                                                            \
	"SELECT device, base, name, device_id, type, version, vendor_id, status, features_offered, "               \
	"features_accepted, features_negotiated, first_seq, last_seq, events, NULL, NULL, NULL FROM devices d "

enum { C_ID, C_BASE, C_NAME, C_DEVICE_ID, C_TYPE, C_VERSION, C_VENDOR, C_STATUS, C_OFFERED, C_ACCEPTED,
       C_NEGOTIATED, C_FIRST, C_LAST, C_EVENTS, C_REACHED, C_REQUESTS, C_VIOLATIONS };

/* One damaged column: noted (lenient) or the error (strict). */
static int bad_column(struct tdb *t, struct tdb_notes *notes, struct tdb_device *d, unsigned bit, const char *fmt,
		      ...) __attribute__((format(printf, 5, 6)));
static int bad_column(struct tdb *t, struct tdb_notes *notes, struct tdb_device *d, unsigned bit, const char *fmt, ...)
{
	char msg[TDB_NOTE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->bad |= bit;
	if (!notes)
		return tdb_fail(t, TDB_E_DAMAGED_ROW, "%s", msg);
	tdb_notes_add(notes, "%s", msg);
	return 0;
}

/* Text column i into buf (cut to fit); "" if it is not text. */
static void text_column(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	int n;
	const char *s = tdb_row_text(st, i, &n);
	size_t k = s ? ((size_t)n < len ? (size_t)n : len - 1) : 0;

	if (k)
		memcpy(buf, s, k);
	buf[k] = '\0';
}

/* An integer column checked against [lo, hi] (NULL allowed): 0 with *out,
 * or the damage handled by bad_column. */
static int int_column(struct tdb *t, sqlite3_stmt *st, struct tdb_notes *notes, struct tdb_device *d, int i,
		      int64_t lo, int64_t hi, unsigned bit, const char *col, const char *why, int64_t *out)
{
	char id[48], v[48];

	if (tdb_row_int(st, i, lo, hi, true, out)) {
		if (!tdb_row_null(st, i))
			d->known |= bit;
		return 0;
	}
	return bad_column(t, notes, d, bit, "devices row device %s: %s %s%s", tdb_row_shown(st, C_ID, id, sizeof(id)), col,
			  tdb_row_shown(st, i, v, sizeof(v)), why);
}

static int read_row(struct tdb *t, sqlite3_stmt *st, struct tdb_notes *notes, struct tdb_device *d)
{
	int64_t x = 0;
	int r;

	memset(d, 0, sizeof(*d));
	d->id = -1;
	d->device_id = -1;
	if (tdb_row_int(st, C_ID, 0, TDB_DEVICE_ID_MAX, false, &x)) {
		d->id = (int)x;
		d->known |= TDB_DEV_ID;
	} else {
		char id[48];
		r = bad_column(t, notes, d, TDB_DEV_ID, "devices row device %s: %s", tdb_row_shown(st, C_ID, id, sizeof(id)),
			       sqlite3_column_type(st, C_ID) == SQLITE_INTEGER ? "id outside 0 to 255" : "the id is not an integer");
		if (r)
			return r;
	}
	/* 64-bit values are stored as signed integers */
	if ((r = int_column(t, st, notes, d, C_BASE, INT64_MIN, INT64_MAX, TDB_DEV_BASE, "base", "", &x)))
		return r;
	d->base = (uint64_t)x;
	if (tdb_row_null(st, C_BASE) && !(d->bad & TDB_DEV_BASE) &&
	    (r = bad_column(t, notes, d, TDB_DEV_BASE, "devices row device %d: base NULL", d->id)))
		return r;
	text_column(st, C_NAME, d->name, sizeof(d->name));
	if (d->name[0])
		d->known |= TDB_DEV_NAME;
	text_column(st, C_TYPE, d->type, sizeof(d->type));
	if (d->type[0])
		d->known |= TDB_DEV_TYPE;
	if ((r = int_column(t, st, notes, d, C_DEVICE_ID, 0, U32_MAX_I64, TDB_DEV_DEVICE_ID, "device_id",
			    " (DeviceID is 32 bits)", &x)))
		return r;
	d->device_id = (d->known & TDB_DEV_DEVICE_ID) ? x : -1;
	if ((r = int_column(t, st, notes, d, C_VERSION, 0, U32_MAX_I64, TDB_DEV_VERSION, "version",
			    " (Version is 32 bits)", &x)))
		return r;
	d->version = (uint32_t)x;
	if ((r = int_column(t, st, notes, d, C_VENDOR, 0, U32_MAX_I64, TDB_DEV_VENDOR, "vendor_id",
			    " (VendorID is 32 bits)", &x)))
		return r;
	d->vendor_id = (uint32_t)x;
	if ((r = int_column(t, st, notes, d, C_STATUS, 0, U32_MAX_I64, TDB_DEV_STATUS, "status", " (Status is 32 bits)",
			    &x)))
		return r;
	d->status = (uint32_t)x;
	if ((r = int_column(t, st, notes, d, C_OFFERED, INT64_MIN, INT64_MAX, TDB_DEV_OFFERED, "features_offered", "", &x)))
		return r;
	d->features_offered = (uint64_t)x;
	if ((r = int_column(t, st, notes, d, C_ACCEPTED, INT64_MIN, INT64_MAX, TDB_DEV_ACCEPTED, "features_accepted", "",
			    &x)))
		return r;
	d->features_accepted = (uint64_t)x;
	if ((r = int_column(t, st, notes, d, C_NEGOTIATED, INT64_MIN, INT64_MAX, TDB_DEV_NEGOTIATED,
			    "features_negotiated", "", &x)))
		return r;
	d->features_negotiated = (uint64_t)x;
	if ((r = int_column(t, st, notes, d, C_FIRST, 0, INT64_MAX, TDB_DEV_SEQS, "first_seq", "", &x)))
		return r;
	d->first_seq = (uint64_t)x;
	if ((r = int_column(t, st, notes, d, C_LAST, 0, INT64_MAX, TDB_DEV_SEQS, "last_seq", "", &x)))
		return r;
	d->last_seq = (uint64_t)x;
	if ((r = int_column(t, st, notes, d, C_EVENTS, 0, INT64_MAX, TDB_DEV_EVENTS, "events", "", &x)))
		return r;
	d->events = (uint64_t)x;
	/* Computed by the query: numbers whatever the rows hold. */
	d->status_reached = (uint32_t)sqlite3_column_int64(st, C_REACHED);
	d->requests = (uint64_t)sqlite3_column_int64(st, C_REQUESTS);
	d->violations = (uint64_t)sqlite3_column_int64(st, C_VIOLATIONS);
	return 0;
}

/* The devices query itself (tdb_devices_read's contract); rows_only:
 * without the counts (DEVICES_SQL_ROWS, by id). */
static int devices_query(struct tdb *t, enum tdb_device_order order, bool rows_only, struct tdb_notes *notes,
			 struct tdb_device **out, size_t *n)
{
	sqlite3_stmt *st;
	struct tdb_device *list = NULL;
	size_t cap = 0, k = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	enum tdb_stmt_id id = rows_only ? TDB_ST_DEVICES_ROWS
			      : order == TDB_BY_BASE ? TDB_ST_DEVICES_BY_BASE : TDB_ST_DEVICES_BY_ID;
	r = tdb_stmt_get(t, id, rows_only ? DEVICES_SQL_ROWS "ORDER BY device"
				 : order == TDB_BY_BASE ? DEVICES_SQL "ORDER BY base" : DEVICES_SQL "ORDER BY device",
			 &st, "reading devices");
	if (r)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == TDB_DEVICES_MAX) {
			r = tdb_fail(t, TDB_E_TOO_MANY, "more than %d devices rows (device ids are 0 to %d)", TDB_DEVICES_MAX,
				     TDB_DEVICE_ID_MAX);
			goto cleanup;
		}
		if (k == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct tdb_device *nl = realloc(list, ncap * sizeof(*nl));
			if (!nl) {
				r = tdb_fail(t, -ENOMEM, "out of memory reading devices");
				goto cleanup;
			}
			list = nl;
			cap = ncap;
		}
		if ((r = read_row(t, st, notes, &list[k])))
			goto cleanup;
		k++;
	}
	if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading devices");
		goto cleanup;
	}
	*out = list;
	*n = k;
	list = NULL;
cleanup:
	free(list);
	tdb_stmt_put(t, id, st);
	return r;
}

int tdb_devices_read(struct tdb *t, enum tdb_device_order order, struct tdb_notes *notes, struct tdb_device **out,
		     size_t *n)
{
	struct tdb_devices_read_cache *c = &t->dev_read[order == TDB_BY_BASE];

	*out = NULL;
	*n = 0;
	/* The file does not change under the handle (tdb_open's read
	 * transaction): the first lenient read answers every later lenient
	 * one, and every strict one if it noted nothing.  Anything else (an
	 * error, a strict read of damaged rows) runs the query as it comes. */
	if (!c->notes) {
		struct tdb_notes *cn = calloc(1, sizeof(*cn));
		struct tdb_device *cd = NULL;
		size_t k = 0;
		if (!cn)
			return tdb_fail(t, -ENOMEM, "out of memory reading devices");
		if (devices_query(t, order, false, cn, &cd, &k) != 0) {
			free(cn);
			free(cd);
			return devices_query(t, order, false, notes, out, n);
		}
		c->notes = cn;
		c->dev = cd;
		c->n = k;
	}
	if (!notes && c->notes->count)
		return devices_query(t, order, false, notes, out, n);
	if (c->n) {
		*out = malloc(c->n * sizeof(**out));
		if (!*out)
			return tdb_fail(t, -ENOMEM, "out of memory reading devices");
		memcpy(*out, c->dev, c->n * sizeof(**out));
		*n = c->n;
	}
	if (notes) {
		for (unsigned i = 0; i < c->notes->n; i++)
			tdb_notes_add(notes, "%s", c->notes->note[i]);
		notes->count += c->notes->count - c->notes->n;
	}
	return 0;
}

/* Load t's own copy of the devices once (leniently: a damaged row is
 * left out of the id map). */
int tdb_devices_cache(struct tdb *t)
{
	struct tdb_notes *notes;

	if (t->dev_loaded)
		return t->dev_rc;
	t->dev_loaded = true;
	notes = calloc(1, sizeof(*notes));
	if (!notes)
		return t->dev_rc = tdb_fail(t, -ENOMEM, "out of memory reading devices");
	t->dev_rc = devices_query(t, TDB_BY_ID, true, notes, &t->dev, &t->n_dev);
	free(notes);
	for (size_t i = 0; t->dev_rc == 0 && i < t->n_dev; i++)
		if (t->dev[i].id >= 0 && !(t->dev[i].bad & TDB_DEV_ID) && t->dev_by_id[t->dev[i].id] < 0)
			t->dev_by_id[t->dev[i].id] = (int)i;
	return t->dev_rc;
}

int tdb_devices_kept(struct tdb *t, const struct tdb_device **devs, size_t *n)
{
	int r = tdb_devices_cache(t);

	*devs = r ? NULL : t->dev;
	*n = r ? 0 : t->n_dev;
	return r;
}

const struct tdb_device *tdb_device_by_id(struct tdb *t, int64_t id)
{
	if (tdb_devices_cache(t) != 0 || id < 0 || id > TDB_DEVICE_ID_MAX || t->dev_by_id[id] < 0)
		return NULL;
	return &t->dev[t->dev_by_id[id]];
}

int tdb_device_by_base(struct tdb *t, uint64_t base, int *id)
{
	int r = tdb_devices_cache(t);

	if (r)
		return r;
	for (size_t i = 0; i < t->n_dev; i++) {
		if (t->dev[i].id >= 0 && !(t->dev[i].bad & (TDB_DEV_BASE | TDB_DEV_ID)) && t->dev[i].base == base) {
			*id = t->dev[i].id;
			return 0;
		}
	}
	return tdb_fail(t, TDB_E_NOT_FOUND, "no device at 0x%llx", (unsigned long long)base);
}
