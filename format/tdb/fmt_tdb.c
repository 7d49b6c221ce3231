/* See fmt_tdb.h. */
#include "format/tdb/fmt_tdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"

#include "format/fmt_device.h"
#include "tracedb/tdb_bufs.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_state.h"
#include "tracedb/tdb_vocab.h"

/* The value of a non-queue register in s, or 0 (its reset value) if it
 * was never written before the state's seq. */
static uint32_t reg_or_zero(const struct tdb_state *s, const char *reg)
{
	for (size_t i = 0; i < s->n_regs; i++)
		if (s->regs[i].queue == -1 && !strcmp(s->regs[i].reg, reg))
			return (uint32_t)s->regs[i].value;
	return 0;
}

int fmt_tdb_fill_device(struct fmt_ctx *c, struct tdb *t, int device, uint64_t seq)
{
	const struct tdb_device *td = tdb_device_by_id(t, device);
	struct tdb_state s = { 0 };
	struct fmt_device *d;
	int r = 0;

	if (!td)
		return TDB_E_NOT_FOUND;
	d = fmt_ctx_device(c, td->base);
	if (!d)
		return -ENOMEM;
	fmt_device_set_name(d, td->name);
	d->version = td->version == 1 || td->version == 2 ? td->version : 0;
	d->device_id = td->device_id > 0 && td->device_id <= UINT32_MAX ? (uint32_t)td->device_id : 0;
	fmt_device_reset(d);
	d->page_size = 0;
	if (seq == 0)
		return 0; /* nothing happened yet: the reset state */
	r = tdb_state_at(t, device, seq - 1, &s);
	if (r != 0)
		goto cleanup;
	/* Registers never written before seq hold their reset value, 0. */
	d->dev_features_sel = reg_or_zero(&s, "DeviceFeaturesSel");
	d->drv_features_sel = reg_or_zero(&s, "DriverFeaturesSel");
	d->queue_sel = reg_or_zero(&s, "QueueSel");
	d->page_size = reg_or_zero(&s, "GuestPageSize");
	/* The ring layout follows from the features, taken as the decoder
	 * takes them (decoder/rings.c rings_features): the negotiated set
	 * once there is one, else the words the driver accepted so far. */
	if (s.negotiated_known && s.negotiated)
		d->drv_features = s.negotiated;
	else
		d->drv_features = (s.accepted_known[0] ? s.accepted[0] : 0) |
				  (s.accepted_known[1] ? (uint64_t)s.accepted[1] << 32 : 0);
	for (size_t i = 0; i < s.n_queues; i++) {
		const struct tdb_queue *tq = &s.queues[i];
		struct fmt_queue *q;

		if (tq->bad || tq->queue >= FMT_QUEUES_MAX || !(tq->known & TDB_Q_SIZE))
			continue;
		/* A generation that ended before seq has no rings any more. */
		if ((tq->known & TDB_Q_SEQ_END) && tq->seq_end < seq)
			continue;
		q = &d->q[tq->queue];
		q->num = tq->size;
		/* The decoder gives the three addresses for both layouts. */
		q->desc = tq->known & TDB_Q_DESC ? tq->desc_addr : 0;
		q->driver = tq->known & TDB_Q_DRIVER ? tq->driver_addr : 0;
		q->device = tq->known & TDB_Q_DEVICE_AREA ? tq->device_addr : 0;
		q->align = tq->known & TDB_Q_ALIGN ? tq->align : 0;
		q->ready = tq->ready;
	}
cleanup:
	tdb_state_clear(&s);
	return r;
}

int fmt_tdb_fill(struct fmt_ctx *c, struct tdb *t, uint64_t seq)
{
	const struct tdb_device *devs;
	size_t n = 0;
	int r;

	/* Leniently: a damaged devices row is left out here (show and the
	 * cursor name it), not a reason to stop formatting.  The rows t
	 * keeps: no count of every device's requests at each seek. */
	r = tdb_devices_kept(t, &devs, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (devs[i].id < 0 || devs[i].bad)
			continue;
		r = fmt_tdb_fill_device(c, t, devs[i].id, seq);
		if (r == TDB_E_NOT_FOUND)
			r = 0; /* its row is damaged: shown by address */
	}
	return r;
}

/* Bytes of a request's op kept for a buffer's note, NUL included: the
 * command or message and its first fields ("WRITE(10) target 0 lun 0",
 * "Twalk tag 0 fid 1 newfid"); a longer op is cut at a word. */
#define BUF_OP_NOTE 26

/* One buffer a descriptor described. */
struct buf_span {
	uint64_t addr, len;
	uint64_t seq_avail, seq_used; /* seq_used UINT64_MAX: never used */
	int64_t request;
	int device;                   /* devices.device of the request */
	uint16_t pos, n;              /* data buffer pos of n (the indirect table's descriptor not counted) */
	uint8_t kind;                 /* enum tdb_request_kind */
	bool table;                   /* the indirect table itself */
	char op[BUF_OP_NOTE];         /* blk: "in", "out", ...; "" none */
};

struct fmt_tdb_bufs {
	struct buf_span *s;           /* sorted by addr, then seq_avail */
	size_t n, cap;
	uint64_t max_len;             /* longest span: how far back a lookup looks */
	bool full;                    /* FMT_TDB_BUFS_MAX reached: the rest is left out */
};

/* A request's op cut for a buffer's note (BUF_OP_NOTE bytes). */
static void op_note(char *op, const char *src)
{
	snprintf(op, BUF_OP_NOTE, "%s", src);
	if (strlen(src) >= BUF_OP_NOTE) {
		/* Cut at the last word that fits, not inside one, and not
		 * after an arrow whose other side is gone. */
		char *sp = strrchr(op, ' ');
		if (sp && sp != op)
			*sp = '\0';
		size_t n = strlen(op);
		if (n > 3 && strcmp(op + n - 3, " ->") == 0)
			op[n - 3] = '\0';
	}
}

static int span_cmp(const void *a, const void *b)
{
	const struct buf_span *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->seq_avail != y->seq_avail)
		return x->seq_avail < y->seq_avail ? -1 : 1;
	return 0;
}

static int push_span(struct fmt_tdb_bufs *b, const struct buf_span *sp)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		struct buf_span *ns;
		if (b->cap >= FMT_TDB_BUFS_MAX)
			return 1; /* full */
		if (cap > FMT_TDB_BUFS_MAX)
			cap = FMT_TDB_BUFS_MAX;
		ns = realloc(b->s, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		b->s = ns;
		b->cap = cap;
	}
	b->s[b->n++] = *sp;
	if (sp->len > b->max_len)
		b->max_len = sp->len;
	return 0;
}

/* Push the spans of one request's chain into b (tdb_bufs_each's fn);
 * 1 once b is full (b->full: the walk stops, the first ones are kept). */
static int push_request(void *arg, const struct tdb_req_bufs *q)
{
	struct fmt_tdb_bufs *b = arg;
	uint16_t n_data = 0, k = 0;
	char op[BUF_OP_NOTE];

	op_note(op, q->op);
	for (uint32_t d = 0; d < q->n_desc; d++)
		if (!(q->desc[d].flags & 4u)) /* VIRTQ_DESC_F_INDIRECT */
			n_data++;
	for (uint32_t d = 0; d < q->n_desc; d++) {
		const struct tdb_desc *td = &q->desc[d];
		struct buf_span sp = {
			.addr = td->addr, .len = td->len, .seq_avail = q->seq_avail,
			.seq_used = q->end_known ? q->end_seq : UINT64_MAX, .request = q->request,
			.device = q->device, .n = n_data, .kind = (uint8_t)q->kind, .table = (td->flags & 4u) != 0,
		};
		int full;
		if (td->len == 0 || td->len - 1 > UINT64_MAX - td->addr)
			continue; /* empty, or wraps: not a place */
		if (!sp.table)
			sp.pos = k++;
		memcpy(sp.op, op, sizeof(sp.op));
		if ((full = push_span(b, &sp)) < 0)
			return full;
		if (full) {
			b->full = true;
			return 1; /* stops the walk */
		}
	}
	return 0;
}

int fmt_tdb_bufs_load(struct fmt_tdb_bufs **out, struct tdb *t, uint64_t from, uint64_t to)
{
	struct fmt_tdb_bufs *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	/* One statement for every request of the range with its chain
	 * (tracedb/tdb_bufs.h), not three queries a request. */
	r = tdb_bufs_each(t, from, to, push_request, b);
	if (b->full)
		r = 0;
	if (r != 0) {
		fmt_tdb_bufs_free(b);
		return r;
	}
	if (b->n)
		qsort(b->s, b->n, sizeof(b->s[0]), span_cmp);
	*out = b;
	return 0;
}

void fmt_tdb_bufs_free(struct fmt_tdb_bufs *b)
{
	if (!b)
		return;
	free(b->s);
	free(b);
}

const char *fmt_tdb_bufs_note(const struct fmt_tdb_bufs *b, const struct vmt_event *ev, char *buf, size_t len,
			      int *device)
{
	const struct buf_span *in_flight = NULL, *next = NULL;
	size_t lo = 0, hi;

	if (device)
		*device = -1;
	if (len)
		buf[0] = '\0';
	if (!b || !b->n || ev->type != VMT_EV_MEM || len == 0)
		return buf;
	/* The first span starting after ev->addr; candidates start before
	 * it, at most max_len back. */
	hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->s[mid].addr <= ev->addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		const struct buf_span *s = &b->s[i];
		if (ev->addr - s->addr > b->max_len)
			break;
		if (ev->addr - s->addr >= s->len)
			continue;
		if (s->seq_avail <= ev->seq && ev->seq <= s->seq_used) {
			if (!in_flight || s->seq_avail > in_flight->seq_avail)
				in_flight = s;
		} else if (s->seq_avail > ev->seq && s->seq_avail - ev->seq <= FMT_TDB_NEXT_MAX) {
			if (!next || s->seq_avail < next->seq_avail)
				next = s;
		}
	}
	const struct buf_span *s = in_flight ? in_flight : next;
	if (!s)
		return buf;
	int n = snprintf(buf, len, "request %" PRId64 " %s%s%s: ", s->request,
			 tdb_vocab_name(&tdb_vocab_request_kind, s->kind), s->op[0] ? " " : "", s->op);
	if (n < 0 || (size_t)n >= len)
		return buf;
	if (s->table)
		snprintf(buf + n, len - (size_t)n, "indirect table");
	else
		snprintf(buf + n, len - (size_t)n, "buffer %u of %u", s->pos + 1u, s->n);
	n = (int)strlen(buf);
	if (ev->addr > s->addr && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " +0x%" PRIx64, ev->addr - s->addr);
	/* An event running past the buffer (one store of several requests'
	 * data) says so. */
	uint64_t room = s->len - (ev->addr - s->addr);
	if (ev->len > room && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " and %" PRIu64 " bytes past it", (uint64_t)ev->len - room);
	if (device)
		*device = s->device;
	return buf;
}
