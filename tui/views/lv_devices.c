/* The devices view: one row per device (register window), in base order
 * as info lists them.  A trace has at most TDB_DEVICES_MAX devices: their
 * rows are read once, when the view opens. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tui/tui_grid.h"
#include "tui/views/lv_priv.h"
#include "virtio/device_types.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

/* Status: the last written ("0 (reset)": a QEMU trace ends with the reset
 * at shutdown), then every bit it reached at some point. */
enum { C_BASE, C_TYPE, C_ID, C_QUEUES, C_REQS, C_VIOL, C_NFEAT, C_STATUS, C_REACHED, C_FEAT, C_N };
static const struct lv_col cols[C_N] = {
	[C_BASE] = { "base", 18, false },        [C_TYPE] = { "type", 16, false },
	[C_ID] = { "id/ver", 16, false },        [C_QUEUES] = { "q", 6, true },
	[C_REQS] = { "reqs", 10, true },         [C_VIOL] = { "viol", 10, true },
	[C_NFEAT] = { "feat", 4, true },
	[C_STATUS] = { "status", 48, false },    [C_REACHED] = { "reached", 48, false },
	[C_FEAT] = { "negotiated features", 0, false },
};

struct devices {
	struct tdb_device *dev;  /* n, malloc'd by tdb_devices_read */
	size_t n;
	struct tdb_notes *notes; /* the lenient read's notes (not shown: info shows them) */
};

/* Base order (info's), damaged bases last. */
static int by_base(const void *pa, const void *pb)
{
	const struct tdb_device *a = pa, *b = pb;
	bool ba = a->bad & TDB_DEV_BASE, bb = b->bad & TDB_DEV_BASE;

	if (ba != bb)
		return ba ? 1 : -1;
	if (a->base != b->base)
		return a->base < b->base ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Where Enter goes: the device's first DRIVER_OK, else its first event. */
static int device_jump(struct tdb *t, const struct tdb_device *d, bool *has, uint64_t *seq)
{
	int r = d->id >= 0 ? tdb_status_first_with(t, d->id, VIRTIO_STATUS_DRIVER_OK, seq) : TDB_E_NOT_FOUND;

	*has = r == 0;
	if (r < 0)
		return r;
	if (r > 0 && (d->known & TDB_DEV_SEQS) && !(d->bad & TDB_DEV_SEQS)) {
		*seq = d->first_seq;
		*has = true;
	}
	return 0;
}

static int make_row(struct tui_listview *v, const struct devices *ds, size_t i, struct lv_rows *out)
{
	const struct tdb_device *d = &ds->dev[i];
	char base[24], type[TDB_TYPE_MAX * 6], id[48], nq[24], reqs[24], viol[24], status[192], feat[1024];
	char s2[96], nfeat[8];
	const struct devtype *dt = d->device_id > 0 && d->device_id <= UINT32_MAX ? devtype_find((uint32_t)d->device_id) : NULL;
	uint32_t devid = d->device_id > 0 && d->device_id <= UINT32_MAX ? (uint32_t)d->device_id : 0;
	struct tdb_queue *q = NULL;
	size_t n_q = 0;
	uint64_t jump = 0;
	bool has_jump;
	int r;

	snprintf(base, sizeof(base), (d->bad & TDB_DEV_BASE) ? "damaged" : "0x%" PRIx64, d->base);
	/* the device-type table names the type; the file's word otherwise */
	if (dt)
		snprintf(type, sizeof(type), "%s", dt->name);
	else if (d->type[0])
		lv_esc(d->type, type, sizeof(type));
	else
		snprintf(type, sizeof(type), "%s", d->device_id == 0 ? "none (id 0)" : "unknown");
	if (d->device_id >= 0)
		snprintf(id, sizeof(id), "%lld ", (long long)d->device_id);
	else
		snprintf(id, sizeof(id), "%s ", (d->bad & TDB_DEV_DEVICE_ID) ? "damaged" : "?");
	snprintf(id + strlen(id), sizeof(id) - strlen(id), "%s",
		 (d->bad & TDB_DEV_VERSION) ? "damaged" : d->version == 1 ? "legacy" : d->version == 2 ? "modern" : "?");
	r = d->id >= 0 ? tdb_queues_read(v->t, d->id, TDB_QUEUES_LATEST, 0, ds->notes, &q, &n_q) : TDB_E_NOT_FOUND;
	free(q);
	if (r < 0)
		return r;
	if (r == 0)
		snprintf(nq, sizeof(nq), "%zu", n_q);
	else
		snprintf(nq, sizeof(nq), "?");
	snprintf(reqs, sizeof(reqs), "%" PRIu64, d->requests);
	snprintf(viol, sizeof(viol), "%" PRIu64, d->violations);
	if (d->bad & TDB_DEV_STATUS)
		snprintf(status, sizeof(status), "damaged");
	else if (d->status == 0)
		snprintf(status, sizeof(status), "0 (reset)");
	else
		virtio_status_str(d->status, status, sizeof(status));
	if (d->status_reached)
		virtio_status_str(d->status_reached, s2, sizeof(s2));
	else
		snprintf(s2, sizeof(s2), "-");
	/* the negotiated set: how many, then their names */
	if (d->bad & TDB_DEV_NEGOTIATED) {
		snprintf(nfeat, sizeof(nfeat), "?");
		snprintf(feat, sizeof(feat), "damaged");
	} else if (!(d->known & TDB_DEV_NEGOTIATED) || d->features_negotiated == 0) {
		snprintf(nfeat, sizeof(nfeat), "0");
		snprintf(feat, sizeof(feat), "none");
	} else {
		snprintf(nfeat, sizeof(nfeat), "%d", __builtin_popcountll(d->features_negotiated));
		virtio_features_str(devid, d->features_negotiated, feat, sizeof(feat));
	}
	if ((r = device_jump(v->t, d, &has_jump, &jump)) != 0)
		return r;
	const char *cells[C_N] = { base, type, id, nq, reqs, viol, nfeat, status, s2, feat };
	return lv_rows_add(out, (struct lv_key){ (int64_t)i, d->id }, has_jump, jump, d->violations ? TUI_A_RED : 0,
			   cells, C_N);
}

static int fetch(struct tui_listview *v, const struct lv_key *after, enum tdb_direction dir, size_t max,
		 struct lv_rows *out, bool *end)
{
	const struct devices *ds = v->priv;
	size_t first, count;
	int r = 0;

	lv_index_span(ds->n, after, dir, max, &first, &count, end);
	for (size_t k = 0; k < count && r == 0; k++)
		r = make_row(v, ds, dir == TDB_FORWARD ? first + k : first - k, out);
	return r;
}

static void summary(struct tui_listview *v, char *buf, size_t len)
{
	const struct devices *ds = v->priv;

	snprintf(buf, len, "%zu device%s", ds->n, ds->n == 1 ? "" : "s");
}

static const char *keys(struct tui_listview *v)
{
	(void)v;
	return "j/k move  g/G ends  Enter: go to the device's DRIVER_OK (or first event)  Esc back";
}

static void devices_free(void *p)
{
	struct devices *ds = p;

	if (!ds)
		return;
	free(ds->dev);
	free(ds->notes);
	free(ds);
}

static const struct lv_ops ops = {
	.cols = cols, .ncols = C_N, .empty = "(no devices in this trace)", .fetch = fetch, .summary = summary,
	.keys = keys, .free = devices_free,
};

int lv_devices_open(struct tui_listview *v)
{
	struct devices *ds = calloc(1, sizeof(*ds));
	int r;

	if (!ds || !(ds->notes = calloc(1, sizeof(*ds->notes)))) {
		free(ds);
		return -ENOMEM;
	}
	/* the read by id is the one the read library keeps for its own
	 * lookups (tdb_device_by_id): no second count of every request */
	r = tdb_devices_read(v->t, TDB_BY_ID, ds->notes, &ds->dev, &ds->n);
	if (r == 0 && ds->n > 1)
		qsort(ds->dev, ds->n, sizeof(*ds->dev), by_base);
	if (r > 0) { /* a damaged file: the view says why, empty */
		free(ds->dev);
		ds->dev = NULL;
		ds->n = 0;
	}
	if ((r = lv_open_err(v, r)) != 0) {
		devices_free(ds);
		return r;
	}
	v->ops = &ops;
	v->priv = ds;
	return 0;
}
