/* Moves to a related event (tui_nav.h). */
#include "tui/query/tui_nav.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_state.h"

/* Registers that act on the queue QueueSel selects (as tdb_events.c's
 * queue filter has them). */
static const char *const queue_regs[] = {
	"QueueNumMax", "QueueNum", "QueueReady", "QueueDescLow", "QueueDescHigh", "QueueDriverLow",
	"QueueDriverHigh", "QueueDeviceLow", "QueueDeviceHigh", "QueuePFN", "QueueAlign", "QueueReset", NULL,
};

static bool is_queue_reg(const char *reg)
{
	for (size_t i = 0; reg && queue_regs[i]; i++)
		if (!strcmp(reg, queue_regs[i]))
			return true;
	return false;
}

/* "virtio-blk@0x10000000" (escaped), "device N" if the row is missing. */
static const char *dev_name(struct tdb *t, int device, char *buf, size_t len)
{
	const struct tdb_device *d = tdb_device_by_id(t, device);

	if (!d) {
		snprintf(buf, len, "device %d", device);
		return buf;
	}
	return escape_str(d->name, buf, len);
}

/* Which queue's rings (the generation live at seq) hold [addr, addr+len). */
static int ring_owner(struct tdb *t, uint64_t seq, uint64_t addr, uint64_t len, int *device, int64_t *queue)
{
	struct tdb_notes *notes = calloc(1, sizeof(*notes));
	struct tdb_queue *q = NULL;
	size_t n = 0;
	int r;

	if (!notes)
		return -ENOMEM;
	/* lenient: a damaged queues row is left out, the others still name
	 * the memory */
	r = tdb_queues_read(t, -1, TDB_QUEUES_AT, seq, notes, &q, &n);
	free(notes);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		uint64_t sz = q[i].size, lo[3], hi[3];
		if (q[i].device < 0 || !sz || sz > 32768)
			continue;
		lo[0] = q[i].desc_addr, hi[0] = lo[0] + 16 * sz;
		lo[1] = q[i].driver_addr, hi[1] = lo[1] + 6 + 2 * sz;
		lo[2] = q[i].device_addr, hi[2] = lo[2] + 6 + 8 * sz;
		for (int k = 0; k < 3; k++) {
			if (lo[k] && addr < hi[k] && addr + len > lo[k] && addr + len >= addr) {
				*device = q[i].device;
				*queue = q[i].queue;
				free(q);
				return 0;
			}
		}
	}
	free(q);
	return 0;
}

int tui_nav_event_place(struct tdb *t, const struct tdb_event *ev, int *device, int64_t *queue)
{
	struct tdb_event_links links;
	uint64_t v, at;
	int r;

	*device = ev->device;
	*queue = -1;
	if (!ev->seq_ok)
		return 0;
	switch (ev->ev.type) {
	case VMT_EV_MMIO:
		if (ev->device < 0 || !ev->reg)
			return 0;
		if (ev->ev.dir == VMT_DIR_WRITE && (!strcmp(ev->reg, "QueueNotify") || !strcmp(ev->reg, "QueueSel"))) {
			if (ev->ev.value <= UINT16_MAX)
				*queue = (int64_t)ev->ev.value;
		} else if (is_queue_reg(ev->reg)) {
			r = tdb_state_setter(t, ev->device, "QueueSel", -1, ev->ev.seq, &v, &at);
			if (r == 0 && v <= UINT16_MAX)
				*queue = (int64_t)v;
			else if (r < 0 || (r > 0 && r != TDB_E_NOT_FOUND))
				return r;
		}
		return 0;
	case VMT_EV_QUEUE:
		if (ev->ev.addr <= UINT16_MAX)
			*queue = (int64_t)ev->ev.addr;
		return 0;
	case VMT_EV_MEM:
		/* a chain's memory first (descriptors, avail entry, used entry),
		 * then the rings of the queues live at the time */
		if ((r = tdb_event_links(t, ev->ev.seq, &links)) < 0)
			return r;
		if (r == 0 && links.chain >= 0) {
			struct tdb_chain c;
			r = tdb_chain_read(t, links.chain, &c);
			if (r == 0) {
				*device = c.device;
				*queue = c.queue;
			}
			tdb_chain_clear(&c);
			if (r <= 0)
				return r;
		}
		return ring_owner(t, ev->ev.seq, ev->ev.addr, ev->ev.len ? ev->ev.len : 1, device, queue);
	default:
		return 0;
	}
}

int tui_nav_status(struct tdb *t, int device, uint64_t seq, bool forward, uint64_t *to, char *what, size_t len)
{
	struct tdb_status_change sc;
	char name[4 * TDB_NAME_MAX + 1], names[4 * sizeof(sc.names) + 1], kind[4 * sizeof(sc.kind) + 1];
	int r = tdb_status_change_near(t, device, seq, forward ? TDB_FORWARD : TDB_BACKWARD, &sc);

	*to = 0;
	if (r == TDB_END) {
		if (device >= 0)
			snprintf(what, len, "no status change of %s %s seq %" PRIu64, dev_name(t, device, name, sizeof(name)),
				 forward ? "after" : "before", seq);
		else
			snprintf(what, len, "no status change %s seq %" PRIu64, forward ? "after" : "before", seq);
		return r;
	}
	if (r)
		return r;
	*to = sc.seq;
	escape_str(sc.names, names, sizeof(names));
	if (sc.new_status == 0 && sc.old_status == 0)
		snprintf(what, len, "%s: reset (Status 0 written)", dev_name(t, sc.device, name, sizeof(name)));
	else if (sc.new_status == 0)
		snprintf(what, len, "%s: reset (Status 0, was 0x%02x)", dev_name(t, sc.device, name, sizeof(name)), sc.old_status);
	else
		snprintf(what, len, "%s: Status %s (%s)", dev_name(t, sc.device, name, sizeof(name)),
			 names[0] ? names : "?", escape_str(sc.kind, kind, sizeof(kind)));
	return 0;
}

/* The events of one request or chain, ascending, with what each is. */
struct req_events {
	uint64_t seq[8 + TDB_CHAIN_STEPS_MAX];
	const char *role[8 + TDB_CHAIN_STEPS_MAX];
	size_t n;
	int64_t chain;
	char name[128];
};

static void add_event(struct req_events *re, int64_t seq, const char *role)
{
	if (seq < 0 || re->n >= sizeof(re->seq) / sizeof(re->seq[0]))
		return;
	for (size_t i = 0; i < re->n; i++)
		if (re->seq[i] == (uint64_t)seq)
			return;
	re->seq[re->n] = (uint64_t)seq;
	re->role[re->n++] = role;
}

static int req_fill(void *arg, const struct tdb_request *q)
{
	struct req_events *re = arg;
	char op[64];

	re->chain = q->chain;
	snprintf(re->name, sizeof(re->name), "request %lld (%s%s%s)", (long long)q->request,
		 tdb_vocab_name(&tdb_vocab_request_kind, q->kind) ? tdb_vocab_name(&tdb_vocab_request_kind, q->kind) : "?",
		 q->op ? " " : "", q->op ? escape_str(q->op, op, sizeof(op)) : "");
	add_event(re, q->seq_avail, "made available");
	add_event(re, q->seq_notify, "notify");
	add_event(re, q->seq_used, "used");
	add_event(re, q->seq_irq, "interrupt");
	return 0;
}

/* The request's (or chain's) events the trace links to it, sorted. */
static int request_events(struct tdb *t, uint64_t seq, int64_t hint, struct req_events *re)
{
	struct tdb_event_links links;
	struct tdb_chain c;
	int r;

	memset(re, 0, sizeof(*re));
	re->chain = -1;
	if ((r = tdb_event_links(t, seq, &links)))
		return r;
	if (links.request < 0 && links.chain < 0 && hint >= 0)
		links.request = hint;
	if (links.request >= 0) {
		r = tdb_request_read(t, links.request, req_fill, re);
		if (r == TDB_E_NOT_FOUND && links.request == hint)
			r = 0; /* a name the file does not back: no request */
		if (r)
			return r;
	}
	if (links.chain < 0)
		links.chain = re->chain;
	if (links.chain < 0)
		return re->n ? 0 : TDB_END;
	if ((r = tdb_chain_read(t, links.chain, &c)) == 0) {
		uint64_t lo = c.seq_avail, hi = c.used_known ? c.used_seq : c.seq_avail, steps[TDB_CHAIN_STEPS_MAX];
		size_t n = 0;
		if (!re->name[0])
			snprintf(re->name, sizeof(re->name), "chain %lld (q%u head %u)", (long long)c.chain, c.queue, c.head);
		add_event(re, (int64_t)c.seq_avail, "made available");
		if (c.used_known)
			add_event(re, (int64_t)c.used_seq, "used");
		for (size_t i = 0; i < re->n; i++)
			hi = re->seq[i] > hi ? re->seq[i] : hi;
		/* the device's reports between its availability and its end
		 * (bounded: TDB_CHAIN_STEPS_MAX rows of a keyed range) */
		r = tdb_chain_steps(t, c.chain, lo, hi, steps, TDB_CHAIN_STEPS_MAX, &n);
		for (size_t i = 0; r == 0 && i < n; i++)
			add_event(re, (int64_t)steps[i], "the device's report");
	}
	tdb_chain_clear(&c);
	if (r < 0)
		return r;
	/* sort by seq (a few entries) */
	for (size_t i = 1; i < re->n; i++)
		for (size_t k = i; k > 0 && re->seq[k - 1] > re->seq[k]; k--) {
			uint64_t s = re->seq[k];
			const char *ro = re->role[k];
			re->seq[k] = re->seq[k - 1], re->role[k] = re->role[k - 1];
			re->seq[k - 1] = s, re->role[k - 1] = ro;
		}
	return re->n ? 0 : TDB_END;
}

int tui_nav_request(struct tdb *t, const struct tdb_event *ev, int64_t hint, bool forward, uint64_t *to, char *what,
		    size_t len)
{
	struct req_events *re;
	int r;

	*to = 0;
	if (!ev->seq_ok) {
		snprintf(what, len, "this row has no sequence number");
		return TDB_END;
	}
	if (!(re = malloc(sizeof(*re))))
		return -ENOMEM;
	r = request_events(t, ev->ev.seq, hint, re);
	if (r == TDB_END) {
		snprintf(what, len, "seq %" PRIu64 " belongs to no request or chain", ev->ev.seq);
	} else if (r == 0) {
		size_t k = re->n;
		if (forward) {
			for (size_t i = 0; i < re->n && k == re->n; i++)
				if (re->seq[i] > ev->ev.seq)
					k = i;
		} else {
			for (size_t i = re->n; i > 0 && k == re->n; i--)
				if (re->seq[i - 1] < ev->ev.seq)
					k = i - 1;
		}
		if (k == re->n) {
			snprintf(what, len, "%s has no event %s this one", re->name, forward ? "after" : "before");
			r = TDB_END;
		} else {
			*to = re->seq[k];
			snprintf(what, len, "%s: %s (%zu of %zu)", re->name, re->role[k], k + 1, re->n);
		}
	}
	free(re);
	return r;
}

int tui_nav_devq(struct tdb *t, const struct tdb_event *ev, bool forward, uint64_t *to, char *what, size_t len)
{
	char name[4 * TDB_NAME_MAX + 1];
	int device;
	int64_t queue;
	uint64_t seq = ev->ev.seq;
	int r;

	*to = 0;
	if (!ev->seq_ok) {
		snprintf(what, len, "this row has no sequence number");
		return TDB_END;
	}
	if ((r = tui_nav_event_place(t, ev, &device, &queue)))
		return r;
	if (device < 0) {
		snprintf(what, len, "seq %" PRIu64 " belongs to no device", seq);
		return TDB_END;
	}
	dev_name(t, device, name, sizeof(name));
	if (queue < 0) {
		struct tdb_near q = { .device = device, .dir = -1 };
		r = tdb_device_event_near(t, &q, seq, forward ? TDB_FORWARD : TDB_BACKWARD, 0, to);
		if (r == TDB_END)
			snprintf(what, len, "no event of %s %s this one", name, forward ? "after" : "before");
		else if (r == 0)
			snprintf(what, len, "%s (this event has no queue)", name);
		return r;
	}
	/* the queue filter of the events cursor (its register accesses, its
	 * notifies and reports, the memory in its rings) over a bounded
	 * range: memory events carry no device, so no index finds them */
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	tdb_filter_init(&f);
	f.device = device;
	f.queue = queue;
	f.page = 1;
	f.has_from = f.has_to = true;
	if (forward) {
		if (seq >= INT64_MAX)
			return TDB_END;
		f.from = seq + 1;
		f.to = seq + TUI_NAV_SPAN;
	} else {
		if (seq == 0)
			return TDB_END;
		f.from = seq > TUI_NAV_SPAN ? seq - TUI_NAV_SPAN : 0;
		f.to = seq - 1;
	}
	if ((r = tdb_cursor_open(t, &f, forward ? TDB_FORWARD : TDB_BACKWARD, &c)))
		return r;
	for (int i = 0; i < 16; i++) {
		r = tdb_cursor_next(c, &row);
		if (r == TDB_E_DAMAGED_ROW && !row.seq_ok)
			continue; /* a row without a seq is no place to go */
		break;
	}
	if (r == 0 || r == TDB_E_DAMAGED_ROW) {
		*to = row.ev.seq;
		snprintf(what, len, "%s q%lld", name, (long long)queue);
		r = 0;
	} else if (r == TDB_END) {
		snprintf(what, len, "no event of %s q%lld in the %u events %s this one (d/D look no further)", name,
			 (long long)queue, TUI_NAV_SPAN, forward ? "after" : "before");
	}
	tdb_cursor_close(c);
	return r;
}
