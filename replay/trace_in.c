/* Reading a trace.db for replay, through tracedb; see trace_in.h.
 * tracedb checks every row for what the schema allows; what is here is
 * replay's own policy on top (register windows, access widths, lost
 * events, the device limit of the replay machine). */
#include "replay/trace_in.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_steps.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/device_types.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

/* Received frames longer than this are not fed to the emulated device. */
#define TRACE_RX_MAX 65550

/* tracedb's message (which names the file) into err. Returns -1. */
static int tdb_error(const struct trace_in *t, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", tdb_errmsg(t->db));
	return -1;
}

/* A row that replay cannot take: "'FILE': " and the reason (naming the
 * table and the row) into err.  Returns -1. */
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

static struct trace_device *device_by_id(struct trace_in *t, int64_t id)
{
	for (unsigned i = 0; i < t->n_dev; i++)
		if (t->dev[i].id == id)
			return &t->dev[i];
	return NULL;
}

static int load_devices(struct trace_in *t, char *err, size_t errlen)
{
	struct tdb_device *list;
	size_t n;
	int r = 0;

	if (tdb_devices_read(t->db, TDB_BY_ID, NULL, &list, &n))
		return tdb_error(t, err, errlen);
	for (size_t k = 0; k < n && r == 0; k++) {
		const struct tdb_device *s = &list[k];
		struct trace_device *d;
		/* A window at or above 2^63 (stored negative) is no MMIO a
		 * machine has; the replay machine's windows are 0x200 bytes. */
		if (s->base > (uint64_t)INT64_MAX - VIRTIO_MMIO_REGION_SIZE) {
			r = refuse(t, err, errlen, "devices row device %d: base %lld is not a register window's address", s->id,
				   (long long)s->base);
			break;
		}
		for (unsigned i = 0; i < t->n_dev; i++) {
			uint64_t b = t->dev[i].base;
			if (s->base < b + VIRTIO_MMIO_REGION_SIZE && b < s->base + VIRTIO_MMIO_REGION_SIZE) {
				r = refuse(t, err, errlen, "devices rows device %d and device %d: register windows at 0x%" PRIx64
					   " and 0x%" PRIx64 " overlap (a window is 0x%x bytes)", t->dev[i].id, s->id, b, s->base,
					   VIRTIO_MMIO_REGION_SIZE);
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
		d->id = s->id;
		d->base = s->base;
		escape_str(s->name[0] ? s->name : "?", d->name, sizeof(d->name));
		d->device_id = s->device_id >= 0 ? (uint32_t)s->device_id : 0;
		d->device_id_known = (s->known & TDB_DEV_DEVICE_ID) && s->device_id >= 0;
		d->version = s->version;
		d->vendor_known = (s->known & TDB_DEV_VENDOR) != 0;
		d->vendor_id = s->vendor_id;
		d->features_known = (s->known & TDB_DEV_OFFERED) != 0;
		d->features_offered = s->features_offered;
		if (s->known & TDB_DEV_NEGOTIATED)
			d->features_negotiated = s->features_negotiated;
		else if (s->known & TDB_DEV_ACCEPTED)
			d->features_negotiated = s->features_accepted;
	}
	free(list);
	return r;
}

/* The first value read at each config byte of each device (to present the
 * recorded config where a difference is declared).  Rows replay would
 * refuse are left to the event cursor, which names them if they are
 * replayed. */
static int load_config_reads(struct trace_in *t, char *err, size_t errlen)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	int r;

	tdb_filter_init(&f);
	f.types = 1u << VMT_EV_MMIO;
	f.page = 4096;
	if (tdb_cursor_open(t->db, &f, TDB_FORWARD, &c))
		return tdb_error(t, err, errlen);
	while ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW) {
		if (r || row.ev.dir != VMT_DIR_READ || row.device < 0)
			continue;
		struct trace_device *d = device_by_id(t, row.device);
		uint64_t off = row.ev.addr - MMIO_CONFIG, w = row.ev.width;
		if (!d || row.ev.addr < MMIO_CONFIG || row.ev.addr >= 2 * MMIO_CONFIG || (w != 1 && w != 2 && w != 4 && w != 8) ||
		    off + w > EMU_CONFIG_MAX)
			continue;
		for (uint64_t i = 0; i < w; i++) {
			if (!d->config_known[off + i]) {
				d->config[off + i] = (uint8_t)(row.ev.value >> (8 * i));
				d->config_known[off + i] = true;
			}
		}
	}
	tdb_cursor_close(c);
	return r == TDB_END ? 0 : tdb_error(t, err, errlen);
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
	struct tdb_queue *q;
	size_t n, cap = 0;
	int r = 0;

	if (tdb_queues_read(t->db, -1, TDB_QUEUES_ALL, 0, NULL, &q, &n))
		return tdb_error(t, err, errlen);
	for (size_t k = 0; k < n; k++) {
		struct trace_device *d = device_by_id(t, q[k].device);
		struct trace_rings ring;

		if (!d) {
			r = refuse(t, err, errlen, "queues row device %d queue %u generation %llu: device %d is not "
				   "in the devices table", q[k].device, q[k].queue, (unsigned long long)q[k].generation,
				   q[k].device);
			break;
		}
		if (q[k].queue < EMU_QUEUES_MAX && q[k].num_max > d->num_max[q[k].queue] && q[k].num_max <= 0xffff)
			d->num_max[q[k].queue] = (uint16_t)q[k].num_max;
		/* Sizes a split ring can have; a driver's other QueueNum writes
		 * (recorded as violations) set up no ring. */
		if (q[k].size < 1 || q[k].size > 32768)
			continue;
		ring.dev = (int)(d - t->dev);
		ring.queue = q[k].queue;
		ring.num = q[k].size;
		ring.desc = q[k].desc_addr;
		ring.avail = q[k].driver_addr;
		ring.used = q[k].device_addr;
		ring.packed = d->version == 2 && !q[k].legacy_pfn &&
			      (d->features_negotiated & (UINT64_C(1) << VIRTIO_F_RING_PACKED));
		if (q[k].legacy_pfn && !legacy_rings(&ring, q[k].legacy_pfn, q[k].page_size, q[k].align))
			continue;
		if (t->n_rings == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct trace_rings *nr = realloc(t->rings, ncap * sizeof(*nr));
			if (!nr) {
				r = refuse(t, err, errlen, "out of memory reading queue set-ups");
				break;
			}
			t->rings = nr;
			cap = ncap;
		}
		t->rings[t->n_rings++] = ring;
	}
	free(q);
	return r;
}

/* The range of seq, the lost-events records, and the guest addresses the
 * memory rows cover (a RAM guess for traces without ram_base/ram_size). */
static int load_counts(struct trace_in *t, char *err, size_t errlen)
{
	uint64_t lo, hi;
	int r = tdb_events_bounds(t->db, &lo, &hi);

	if (r == 0)
		t->events = hi + 1;
	else if (r != TDB_END)
		return tdb_error(t, err, errlen);
	if (tdb_events_lost(t->db, &t->lost_seq, &t->lost_count) || tdb_memory_span(t->db, &t->mem_lo, &t->mem_hi))
		return tdb_error(t, err, errlen);
	return 0;
}

/* meta key as an unsigned number into *out (0 and *known false if it is
 * not there). Returns 0, or an error (a value that is no number). */
static int meta_num(struct trace_in *t, const char *key, uint64_t *out, bool *known)
{
	int r = tdb_meta_u64(t->db, key, out);

	if (known)
		*known = r == 0;
	return r == TDB_E_NOT_FOUND ? 0 : r;
}

int trace_in_open(struct trace_in *t, const char *path, char *err, size_t errlen)
{
	struct tdb_meta m = { 0 };
	bool have_base, have_size;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	/* Someone else's file: opened defensively, its schema checked. */
	if (tdb_open(&t->db, path, err, errlen) != 0)
		return -1;
	/* Only the facts replay uses: a damaged value elsewhere in meta
	 * (lost, events) does not stop it. */
	if (tdb_meta_text(t->db, "source", m.source, sizeof(m.source)) < 0 ||
	    meta_num(t, "ram_base", &m.ram_base, &have_base) || meta_num(t, "ram_size", &m.ram_size, &have_size) ||
	    meta_num(t, "raw.seed", &m.seed, NULL))
		return tdb_error(t, err, errlen);
	escape_str(m.source, t->source, sizeof(t->source));
	t->ram_known = have_base && have_size;
	t->ram_base = m.ram_base;
	t->ram_size = m.ram_size;
	t->seed = m.seed;
	if (load_devices(t, err, errlen) < 0 || load_config_reads(t, err, errlen) < 0 ||
	    load_queues(t, err, errlen) < 0 || load_counts(t, err, errlen) < 0)
		return -1;
	if (tdb_has_device_steps(t->db)) {
		struct tdb_steps_summary sum;
		if (tdb_steps_summary(t->db, &sum))
			return tdb_error(t, err, errlen);
		t->has_reports = sum.pops > 0;
	}
	return 0;
}

struct rx_walk {
	struct trace_in *t;
	size_t cap;
	char *err;
	size_t errlen;
	int r;
	/* probing: the first row's queue role (NULL: not an input queue) */
	bool seen, input;
};

/* The last MMIO access of device before seq (an input is due after it).
 * Returns 1 with *at, 0 if there is none, -1 on an error. */
static int last_access_before(struct trace_in *t, int device, uint64_t seq, uint64_t *at)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	int r;

	if (seq == 0)
		return 0;
	tdb_filter_init(&f);
	f.device = device;
	f.types = 1u << VMT_EV_MMIO;
	f.has_to = true;
	f.to = seq - 1;
	f.page = 1;
	if (tdb_cursor_open(t->db, &f, TDB_BACKWARD, &c))
		return -1;
	r = tdb_cursor_next(c, &row);
	tdb_cursor_close(c);
	if (r == TDB_END)
		return 0;
	if (r < 0)
		return -1;
	if (!row.seq_ok)
		return 0;
	*at = row.ev.seq;
	return 1;
}

/* True if queue q of device d brings data in from outside: the
 * device-type table's role for it (under the features the driver
 * negotiated, or accepted, and the config bytes it read) is a data queue
 * whose buffers the device writes (net and console receiveq, the entropy
 * requestq, ...). */
static bool input_queue(struct trace_in *t, const struct trace_device *d, uint32_t q)
{
	const struct tdb_device *td = tdb_device_by_id(t->db, d->id);
	const struct devtype_queue *role;
	uint8_t config[EMU_CONFIG_MAX];
	uint32_t len = 0;
	uint64_t features = 0;

	if (td)
		features = (td->known & TDB_DEV_NEGOTIATED) && td->features_negotiated ? td->features_negotiated
											: td->features_accepted;
	/* The config bytes read, up to the first one never read. */
	while (len < EMU_CONFIG_MAX && d->config_known[len]) {
		config[len] = d->config[len];
		len++;
	}
	role = devtype_queue_role(d->device_id, q, features, len ? config : NULL, len);
	return role && role->data && role->flow == DEVTYPE_FLOW_IN;
}

/* Probe: note whether the first request of a kind is on an input queue
 * (every request of one kind of one device comes from queues of one
 * role), and stop. */
static int rx_probe(void *arg, const struct tdb_request *q)
{
	struct rx_walk *w = arg;
	struct trace_device *d = device_by_id(w->t, q->device);

	w->seen = true;
	w->input = d && input_queue(w->t, d, q->queue);
	return 1;
}

static int rx_one(void *arg, const struct tdb_request *q)
{
	struct rx_walk *w = arg;
	struct trace_in *t = w->t;
	struct trace_device *d;
	struct trace_rx *rx;
	uint64_t at;
	int k;

	if (q->seq_used < 0)
		return 0;
	d = device_by_id(t, q->device);
	if (!d) {
		w->r = refuse(t, w->err, w->errlen, "requests row request %lld: device %d is not in the devices table",
			      (long long)q->request, q->device);
		return 1;
	}
	if (!input_queue(t, d, q->queue))
		return 0;
	/* data holds the first bytes (capped), never more than length. */
	if (q->length_known && q->data_len > q->length) {
		w->r = refuse(t, w->err, w->errlen, "requests row request %lld: data is %zu bytes, length says %llu",
			      (long long)q->request, q->data_len, (unsigned long long)q->length);
		return 1;
	}
	if (!q->length_known || q->length > TRACE_RX_MAX)
		return 0;
	/* Due after the device's last access before it used the buffer: the
	 * notify itself when it answered at once (entropy), the access after
	 * which a waiting receive buffer was seen filled (a frame). */
	k = last_access_before(t, q->device, (uint64_t)q->seq_used, &at);
	if (k < 0) {
		w->r = tdb_error(t, w->err, w->errlen);
		return 1;
	}
	if (k == 0)
		at = (uint64_t)q->seq_used;
	if (t->n_rx == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct trace_rx *n = realloc(t->rx, ncap * sizeof(*n));
		if (!n) {
			w->r = refuse(t, w->err, w->errlen, "out of memory reading device inputs");
			return 1;
		}
		t->rx = n;
		w->cap = ncap;
	}
	rx = &t->rx[t->n_rx];
	memset(rx, 0, sizeof(*rx));
	rx->dev = (int)(d - t->dev);
	rx->at_seq = at;
	rx->len = (uint32_t)q->length;
	/* Bytes the trace does not hold stay zero. */
	rx->data = calloc(1, (size_t)q->length + 1);
	if (!rx->data) {
		w->r = refuse(t, w->err, w->errlen, "out of memory reading device inputs");
		return 1;
	}
	if (q->data_len > 0)
		memcpy(rx->data, q->data, q->data_len);
	t->n_rx++;
	return 0;
}

int trace_in_load_rx(struct trace_in *t, char *err, size_t errlen)
{
	struct rx_walk w = { .t = t, .err = err, .errlen = errlen };

	unsigned kinds = 0;

	/* Which request kinds come from input queues: one row of each is
	 * read (a kind is one queue role of one device type), so damaged
	 * rows of the other kinds (a blk request, a transmitted frame) past
	 * the first are never looked at.  Then the input kinds' rows, in
	 * request order, each checked against its own queue's role. */
	for (int k = 0; k < tdb_vocab_request_kind.n && k < 32; k++) {
		w.seen = w.input = false;
		if (tdb_requests_of_kinds(t->db, -1, 1u << k, 0, 0, rx_probe, &w))
			return tdb_error(t, err, errlen);
		if (w.seen && w.input)
			kinds |= 1u << k;
	}
	if (kinds && tdb_requests_of_kinds(t->db, -1, kinds, 0, 0, rx_one, &w))
		return tdb_error(t, err, errlen);
	if (w.r)
		return w.r;
	/* In the order they are due; equal ones keep request order (a
	 * stable insertion sort: the inputs are few). */
	for (size_t i = 1; i < t->n_rx; i++) {
		struct trace_rx x = t->rx[i];
		size_t j = i;
		while (j > 0 && t->rx[j - 1].at_seq > x.at_seq) {
			t->rx[j] = t->rx[j - 1];
			j--;
		}
		t->rx[j] = x;
	}
	return 0;
}

/* One event's anomalies (trace_in_load_torn). */
struct torn_walk {
	struct trace_in *t;
	bool on_queue_event;     /* the event is a device's queue report */
	int pending[TRACE_IN_DEVICES_MAX * EMU_QUEUES_MAX]; /* filled here, from_seq still to find */
	unsigned n_pending;
};

static int torn_one(void *arg, const struct tdb_anomaly *a)
{
	struct torn_walk *w = arg;
	struct trace_in *t = w->t;
	struct trace_device *d;
	struct trace_torn *x;
	size_t k;

	/* A register access's anomaly (no queue) is no ring copy; queues at
	 * or above EMU_QUEUES_MAX no emulated device has. */
	if (a->device < 0 || a->queue < 0 || a->queue >= EMU_QUEUES_MAX || !(d = device_by_id(t, a->device)))
		return 0;
	k = (size_t)(d - t->dev) * EMU_QUEUES_MAX + (size_t)a->queue;
	x = &t->torn[k];
	if (x->known)
		return 0;
	x->known = true;
	x->seq = x->from_seq = a->seq;
	escape_str(a->rule, x->rule, sizeof(x->rule));
	escape_str(a->message, x->message, sizeof(x->message));
	if (w->on_queue_event)
		w->pending[w->n_pending++] = (int)k;
	return 0;
}

int trace_in_load_torn(struct trace_in *t, char *err, size_t errlen)
{
	struct torn_walk *w = NULL;
	struct tdb_filter f;
	struct tdb_cursor *c = NULL;
	struct tdb_event row;
	int r = -1, got;

	free(t->torn);
	t->torn = NULL;
	if (!tdb_has_anomalies(t->db) || t->n_dev == 0)
		return 0;
	t->torn = calloc((size_t)t->n_dev * EMU_QUEUES_MAX, sizeof(*t->torn));
	w = calloc(1, sizeof(*w));
	if (!t->torn || !w) {
		refuse(t, err, errlen, "out of memory reading anomalies");
		goto out;
	}
	w->t = t;
	/* The events at which the decoder found something, in seq order:
	 * each device and queue keeps its first anomaly. */
	tdb_filter_init(&f);
	f.violations_only = true;
	f.page = 4096;
	if (tdb_cursor_open(t->db, &f, TDB_FORWARD, &c)) {
		tdb_error(t, err, errlen);
		goto out;
	}
	while ((got = tdb_cursor_next(c, &row)) == 0 || got == TDB_E_DAMAGED_ROW) {
		if (got || !row.seq_ok)
			continue;
		w->on_queue_event = row.ev.type == VMT_EV_QUEUE && row.device >= 0;
		w->n_pending = 0;
		if (tdb_anomalies_at(t->db, row.ev.seq, torn_one, w)) {
			tdb_error(t, err, errlen);
			goto out;
		}
		/* Found on the device's report of a step it took after an
		 * access (a pop after the QueueNotify): the copy behind it is
		 * the one that access used. */
		for (unsigned i = 0; i < w->n_pending; i++) {
			struct trace_torn *x = &t->torn[w->pending[i]];
			uint64_t at;
			int k = last_access_before(t, row.device, row.ev.seq, &at);
			if (k < 0) {
				tdb_error(t, err, errlen);
				goto out;
			}
			if (k > 0)
				x->from_seq = at;
		}
	}
	if (got != TDB_END) {
		tdb_error(t, err, errlen);
		goto out;
	}
	r = 0;
out:
	tdb_cursor_close(c);
	free(w);
	if (r < 0) {
		free(t->torn);
		t->torn = NULL;
	}
	return r;
}

const struct trace_torn *trace_in_torn(const struct trace_in *t, int dev, unsigned q)
{
	const struct trace_torn *x;

	if (!t->torn || dev < 0 || (unsigned)dev >= t->n_dev || q >= EMU_QUEUES_MAX)
		return NULL;
	x = &t->torn[(size_t)dev * EMU_QUEUES_MAX + q];
	return x->known ? x : NULL;
}

void trace_in_close(struct trace_in *t)
{
	free(t->torn);
	t->torn = NULL;
	free(t->rings);
	t->rings = NULL;
	t->n_rings = 0;
	for (size_t i = 0; i < t->n_rx; i++)
		free(t->rx[i].data);
	free(t->rx);
	t->rx = NULL;
	t->n_rx = 0;
	tdb_close(t->db);
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
		/* Packed rings: 4-byte event suppression areas. */
		uint64_t used_len = r->packed ? 4 : 6ull + 8ull * r->num, avail_len = r->packed ? 4 : 6ull + 2ull * r->num;
		if (within(gpa, r->used, used_len, &out->off))
			out->area = TRACE_AREA_USED;
		else if (within(gpa, r->avail, avail_len, &out->off))
			out->area = TRACE_AREA_AVAIL;
		else if (within(gpa, r->desc, 16ull * r->num, &out->off))
			out->area = TRACE_AREA_DESC;
		else
			continue;
		out->queue = r->queue;
		out->num = r->num;
		out->packed = r->packed;
		out->dev = r->dev;
		return true;
	}
	return false;
}

int trace_cursor_open(struct trace_cursor *c, const struct trace_in *t, uint64_t until, char *err, size_t errlen)
{
	struct tdb_filter f;

	memset(c, 0, sizeof(*c));
	c->t = t;
	for (unsigned i = 0; i < 256; i++)
		c->dev_index[i] = -1;
	for (unsigned i = 0; i < t->n_dev; i++)
		c->dev_index[t->dev[i].id] = (int)i;
	tdb_filter_init(&f);
	f.has_to = true;
	f.to = until > INT64_MAX ? INT64_MAX : until;
	f.with_data = true;
	f.page = 4096;
	if (tdb_cursor_open(t->db, &f, TDB_FORWARD, &c->cur)) {
		snprintf(err, errlen, "%s", tdb_errmsg(t->db));
		return -1;
	}
	return 0;
}

static const enum trace_ev_type ev_types[VMT_EV_TYPE_MAX + 1] = {
	[VMT_EV_MMIO] = TEV_MMIO, [VMT_EV_MEM] = TEV_MEM, [VMT_EV_IRQ] = TEV_IRQ, [VMT_EV_MARKER] = TEV_MARKER,
	[VMT_EV_LOST] = TEV_LOST, [VMT_EV_DEVICE] = TEV_DEVICE, [VMT_EV_VIOLATION] = TEV_VIOLATION,
	[VMT_EV_QUEUE] = TEV_QUEUE,
};
/* A new event type gets its line above (an unlisted one would read as
 * TEV_MMIO, the zero value). */
_Static_assert(VMT_EV_TYPE_MAX == VMT_EV_QUEUE, "ev_types[] lists every event type");

int trace_next(struct trace_cursor *c, struct trace_ev *ev, char *err, size_t errlen)
{
	const struct trace_in *t = c->t;
	struct tdb_event row;
	long long seq;
	int r = tdb_cursor_next(c->cur, &row);

	if (r == TDB_END)
		return 0;
	if (r == TDB_E_DAMAGED_ROW)
		return refuse(t, err, errlen, "%s row seq %s: %s", row.table, row.seq_shown, row.why);
	if (r != 0) {
		snprintf(err, errlen, "%s", tdb_errmsg(t->db));
		return -1;
	}
	seq = (long long)row.ev.seq;
	memset(ev, 0, sizeof(*ev));
	ev->seq = row.ev.seq;
	ev->type = ev_types[row.ev.type];
	ev->device = row.device >= 0 ? c->dev_index[row.device] : -1;
	if (row.device >= 0 && ev->device < 0)
		return refuse(t, err, errlen, "events row seq %lld: device %d is not in the devices table", seq, row.device);
	switch (row.ev.type) {
	case VMT_EV_MMIO:
		if (row.ev.width != 1 && row.ev.width != 2 && row.ev.width != 4 && row.ev.width != 8)
			return refuse(t, err, errlen, "events row seq %lld: MMIO width %u (1, 2, 4 or 8)", seq, row.ev.width);
		if (ev->device >= 0 && row.ev.addr >= VIRTIO_MMIO_REGION_SIZE)
			return refuse(t, err, errlen, "events row seq %lld: offset 0x%" PRIx64 " lies outside the register "
				      "window (0 to 0x%x)", seq, row.ev.addr, VIRTIO_MMIO_REGION_SIZE - 1);
		ev->offset = row.ev.addr;
		ev->write = row.ev.dir == VMT_DIR_WRITE;
		ev->width = row.ev.width;
		ev->value = row.ev.value;
		break;
	case VMT_EV_MEM:
		if (c->registers_only) {
			ev->addr = row.ev.addr;
			ev->mem_kind = TMEM_SNAPSHOT;
			break;
		}
		if (!row.has_memory)
			return refuse(t, err, errlen, "events row seq %lld: a memory event without its memory row "
				      "(decoded with --no-memory?); --registers-only replays the register accesses "
				      "without it", seq);
		ev->addr = row.ev.addr;
		ev->len = row.ev.len;
		ev->data = row.ev.len ? row.ev.data : NULL;
		ev->exact = row.exact;
		ev->mem_kind = row.mem_kind == TDB_MEM_DRIVER_WRITE ? TMEM_DRIVER
			       : row.mem_kind == TDB_MEM_DEVICE_WRITE ? TMEM_DEVICE : TMEM_SNAPSHOT;
		break;
	case VMT_EV_LOST:
		/* replay_run refuses traces that lost events before here. */
		return refuse(t, err, errlen, "events row seq %lld: events were lost here, which the lost table does "
			      "not say", seq);
	case VMT_EV_IRQ:
	case VMT_EV_VIOLATION:
		ev->value = row.ev.value;
		break;
	case VMT_EV_QUEUE:
		ev->addr = row.ev.addr;
		ev->value = row.ev.value;
		if (row.has_step && row.ev.data) {
			struct vmt_queue_report rep;
			if (vmt_queue_report_decode(&rep, row.ev.data, row.ev.len) == 0) {
				ev->has_report = true;
				ev->token = rep.token;
				ev->arg0 = rep.arg0;
				ev->arg1 = rep.arg1;
			}
		}
		break;
	default:
		break;
	}
	if (row.ev.type == VMT_EV_MARKER || row.ev.type == VMT_EV_VIOLATION)
		ev->text = row.text;
	return 1;
}

void trace_cursor_close(struct trace_cursor *c)
{
	tdb_cursor_close(c->cur);
	c->cur = NULL;
}
