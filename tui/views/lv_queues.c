/* The queue generations view: per device and queue, each set-up
 * (generation) with its size, ring layout and addresses, when it became
 * ready and when it ended, and the chains made available on it.  The
 * queues table holds a row per set-up (a handful per queue): read once,
 * when the view opens, and sorted by device, queue and generation. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tui/views/lv_priv.h"
#include "virtio/virtio.h"

/* Chains counted per generation before "N+" (an index range each). */
#define LV_CHAINS_CAP 10000

enum { C_DEV, C_Q, C_GEN, C_SIZE, C_RING, C_DESC, C_AVAIL, C_USED, C_CHAINS, C_READY, C_END, C_N };
static const struct lv_col cols[C_N] = {
	[C_DEV] = { "device", 40, false }, [C_Q] = { "q", 6, true },          [C_GEN] = { "gen", 6, true },
	[C_SIZE] = { "size", 6, true },    [C_RING] = { "ring", 13, false },  [C_DESC] = { "desc", 18, false },
	[C_AVAIL] = { "avail", 18, false }, [C_USED] = { "used", 18, false }, [C_CHAINS] = { "chains", 8, true },
	[C_READY] = { "ready", 12, true }, [C_END] = { "ended", 0, false },
};

struct queues {
	struct tdb_queue *q;
	size_t n;
	struct tdb_notes *notes;
};

static int by_place(const void *pa, const void *pb)
{
	const struct tdb_queue *a = pa, *b = pb;

	if (a->device != b->device)
		return a->device < b->device ? -1 : 1;
	if (a->queue != b->queue)
		return a->queue < b->queue ? -1 : 1;
	if (a->generation != b->generation)
		return a->generation < b->generation ? -1 : 1;
	return 0;
}

/* A column's number, "-" when the row has none, "damaged". */
static const char *num(const struct tdb_queue *q, unsigned bit, bool hex, uint64_t v, char *buf, size_t len)
{
	if (q->bad & bit)
		snprintf(buf, len, "damaged");
	else if (!(q->known & bit))
		snprintf(buf, len, "-");
	else if (hex)
		snprintf(buf, len, "0x%" PRIx64, v);
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

static int make_row(struct tui_listview *v, const struct queues *qs, size_t i, struct lv_rows *out)
{
	const struct tdb_queue *q = &qs->q[i];
	const struct tdb_device *d = q->device >= 0 ? tdb_device_by_id(v->t, q->device) : NULL;
	char dev[TDB_NAME_MAX * 6], qi[16], gen[24], size[24], ring[24], desc[24], avail[24], used[24], ready[24],
		end[128], chains[24], reason[100];
	uint64_t n = 0, feat = 0;
	int r;

	/* the ring layout the set-up's negotiation chose (a device reset can
	 * negotiate another); the device's last set when the file has none */
	r = q->device >= 0 && !(q->bad & TDB_Q_SEQ_SETUP) ? tdb_negotiated_at(v->t, q->device, q->seq_setup, &feat)
							     : TDB_E_NOT_FOUND;
	if (r < 0 && r != -EIO)
		return r;
	if (r != 0)
		feat = d ? d->features_negotiated : 0;
	bool packed = feat & VIRTIO_BIT(VIRTIO_F_RING_PACKED);

	if (d)
		lv_esc(d->name, dev, sizeof(dev));
	else
		snprintf(dev, sizeof(dev), q->device >= 0 ? "device %d" : "damaged", q->device);
	snprintf(qi, sizeof(qi), "%" PRIu32, q->queue);
	num(q, TDB_Q_GENERATION, false, q->generation, gen, sizeof(gen));
	num(q, TDB_Q_SIZE, false, q->size, size, sizeof(size));
	snprintf(ring, sizeof(ring), "%s", d && d->version == 1 ? "split legacy" : packed ? "packed" : "split");
	num(q, TDB_Q_DESC, true, q->desc_addr, desc, sizeof(desc));
	num(q, TDB_Q_DRIVER, true, q->driver_addr, avail, sizeof(avail));
	num(q, TDB_Q_DEVICE_AREA, true, q->device_addr, used, sizeof(used));
	num(q, TDB_Q_SEQ_READY, false, q->seq_ready, ready, sizeof(ready));
	num(q, TDB_Q_SEQ_END, false, q->seq_end, end, sizeof(end));
	if ((q->known & TDB_Q_SEQ_END) && !(q->bad & TDB_Q_SEQ_END) && q->end_reason[0])
		snprintf(end + strlen(end), sizeof(end) - strlen(end), " %s", lv_esc(q->end_reason, reason, sizeof(reason)));
	r = q->device >= 0 && !(q->bad & TDB_Q_GENERATION)
		    ? tdb_chains_count(v->t, q->device, q->queue, q->generation, LV_CHAINS_CAP, &n)
		    : TDB_E_NOT_FOUND;
	if (r < 0)
		return r;
	if (r > 0)
		snprintf(chains, sizeof(chains), "?");
	else
		snprintf(chains, sizeof(chains), "%" PRIu64 "%s", n, n >= LV_CHAINS_CAP ? "+" : "");
	const char *cells[C_N] = { dev, qi, gen, size, ring, desc, avail, used, chains, ready, end };
	bool has = (q->known & TDB_Q_SEQ_SETUP) && !(q->bad & TDB_Q_SEQ_SETUP);
	return lv_rows_add(out, (struct lv_key){ (int64_t)i, 0 }, has, q->seq_setup, 0, cells, C_N);
}

static int fetch(struct tui_listview *v, const struct lv_key *after, enum tdb_direction dir, size_t max,
		 struct lv_rows *out, bool *end)
{
	const struct queues *qs = v->priv;
	size_t first, count;
	int r = 0;

	lv_index_span(qs->n, after, dir, max, &first, &count, end);
	for (size_t k = 0; k < count && r == 0; k++)
		r = make_row(v, qs, dir == TDB_FORWARD ? first + k : first - k, out);
	return r;
}

static void summary(struct tui_listview *v, char *buf, size_t len)
{
	const struct queues *qs = v->priv;

	snprintf(buf, len, "%zu set-up%s", qs->n, qs->n == 1 ? "" : "s");
}

static const char *keys(struct tui_listview *v)
{
	(void)v;
	return "j/k move  PgDn/PgUp  g/G ends  Enter: go to the set-up's first access  Esc back";
}

static void queues_free(void *p)
{
	struct queues *qs = p;

	if (!qs)
		return;
	free(qs->q);
	free(qs->notes);
	free(qs);
}

static const struct lv_ops ops = {
	.cols = cols, .ncols = C_N, .empty = "(no queues were set up in this trace)", .fetch = fetch,
	.summary = summary, .keys = keys, .free = queues_free,
};

int lv_queues_open(struct tui_listview *v)
{
	struct queues *qs = calloc(1, sizeof(*qs));
	int r;

	if (!qs || !(qs->notes = calloc(1, sizeof(*qs->notes)))) {
		free(qs);
		return -ENOMEM;
	}
	r = tdb_queues_read(v->t, -1, TDB_QUEUES_ALL, 0, qs->notes, &qs->q, &qs->n);
	if (r > 0) { /* a damaged file: the view says why, empty */
		free(qs->q);
		qs->q = NULL;
		qs->n = 0;
	}
	if ((r = lv_open_err(v, r)) != 0) {
		queues_free(qs);
		return r;
	}
	if (qs->n > 1)
		qsort(qs->q, qs->n, sizeof(*qs->q), by_place);
	v->ops = &ops;
	v->priv = qs;
	return 0;
}
