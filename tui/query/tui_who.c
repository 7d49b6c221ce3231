/* "Who set this?" (tui_who.h). */
#include "tui/query/tui_who.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_state.h"
#include "tui/query/tui_nav.h"
#include "virtio/rules.h"

/* Add a target (not the event itself, not twice, at most TUI_WHO_MAX). */
__attribute__((format(printf, 3, 4))) static void add(struct tui_who *w, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (seq == w->seq || w->n == TUI_WHO_MAX)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (w->target[i].seq == seq)
			return;
	w->target[w->n].seq = seq;
	va_start(ap, fmt);
	vsnprintf(w->target[w->n].what, sizeof(w->target[w->n].what), fmt, ap);
	va_end(ap);
	w->n++;
}

/* A lookup that found nothing (TDB_E_NOT_FOUND, TDB_END) is no error
 * here: that target is left out. */
static int soft(int r)
{
	return r == TDB_E_NOT_FOUND || r == TDB_END ? 1 : r;
}

/* Whether the event at seq is a write of reg by the driver (one indexed
 * step: the device's events just before seq + 1). */
static int is_write_of(struct tdb *t, int device, const char *reg, uint64_t seq, bool *yes)
{
	struct tdb_near q = { .device = device, .reg = reg, .dir = VMT_DIR_WRITE };
	uint64_t at;
	int r = tdb_device_event_near(t, &q, seq + 1, TDB_BACKWARD, 1, &at);

	*yes = r == 0 && at == seq;
	return r == TDB_END ? 0 : r;
}

/* The device's interrupt nearest before seq (within TUI_WHO_SPAN). */
static int irq_before(struct tdb *t, struct tui_who *w, int device, uint64_t seq, const char *why)
{
	struct tdb_near q = { .device = device, .type = VMT_EV_IRQ, .dir = -1 };
	uint64_t at;
	int r = tdb_device_event_near(t, &q, seq, TDB_BACKWARD, TUI_WHO_SPAN, &at);

	if (r == 0)
		add(w, at, "the device's interrupt before it (%s)", why);
	return soft(r) > 0 ? 0 : r;
}

/* The register a register is read or written under (DeviceFeatures
 * under DeviceFeaturesSel, a queue's registers under QueueSel). */
static const char *selector_of(const char *reg)
{
	if (!strcmp(reg, "DeviceFeatures"))
		return "DeviceFeaturesSel";
	if (!strcmp(reg, "DriverFeatures"))
		return "DriverFeaturesSel";
	if (!strncmp(reg, "SHM", 3) && strcmp(reg, "SHMSel"))
		return "SHMSel";
	if (!strncmp(reg, "Queue", 5) && strcmp(reg, "QueueSel") && strcmp(reg, "QueueNotify"))
		return "QueueSel";
	return NULL;
}

static int link_targets(struct tdb *t, uint64_t seq, int64_t hint, int64_t prefer, struct tui_who *w);

static int mmio_targets(struct tdb *t, const struct tdb_event *ev, struct tui_who *w)
{
	char reg[4 * TDB_REG_NAME_MAX + 1];
	const char *sel = selector_of(ev->reg);
	uint64_t seq = ev->ev.seq, v, at;
	int device;
	int64_t queue;
	bool wr;
	int r;

	if ((r = tui_nav_event_place(t, ev, &device, &queue)) < 0)
		return r;
	if (!sel || strcmp(sel, "QueueSel"))
		queue = -1; /* only the queue registers are kept per queue */
	escape_str(ev->reg, reg, sizeof(reg));
	if (ev->ev.dir == VMT_DIR_READ) {
		r = tdb_state_setter(t, ev->device, ev->reg, queue, seq, &v, &at);
		if (r == 0 && at < seq) {
			if ((r = is_write_of(t, ev->device, ev->reg, at, &wr)) < 0)
				return r;
			if (wr) {
				add(w, at, "the write that set %s 0x%" PRIx64, reg, v);
			} else {
				add(w, at, "the read that first saw %s 0x%" PRIx64 " (the device's value)", reg, v);
				if ((r = irq_before(t, w, ev->device, at, "the device may have changed it there")) < 0)
					return r;
			}
		} else if (r == 0) {
			/* this read saw a new value: the device changed it; what
			 * the device did (the request it completed, its
			 * interrupt) comes before the old value */
			uint64_t v0, at0;
			if ((r = link_targets(t, seq, -1, -1, w)) < 0)
				return r;
			if ((r = irq_before(t, w, ev->device, seq, "the device changed the value")) < 0)
				return r;
			if (seq > 0 && (r = tdb_state_setter(t, ev->device, ev->reg, queue, seq - 1, &v0, &at0)) == 0)
				add(w, at0, "%s was 0x%" PRIx64 " before (the device changed it since)", reg, v0);
			else if (soft(r) <= 0)
				return r;
		} else if (soft(r) <= 0) {
			return r;
		}
		if (!strcmp(ev->reg, "InterruptStatus") && (r = irq_before(t, w, ev->device, seq, "what it reports")) < 0)
			return r;
	} else if (seq > 0 && strcmp(ev->reg, "QueueNotify")) {
		r = tdb_state_setter(t, ev->device, ev->reg, queue, seq - 1, &v, &at);
		if (r == 0)
			add(w, at, "the value this write replaced, %s 0x%" PRIx64, reg, v);
		else if (soft(r) <= 0)
			return r;
	}
	if (sel) {
		char s[4 * TDB_REG_NAME_MAX + 1];
		r = tdb_state_setter(t, ev->device, sel, -1, seq, &v, &at);
		if (r == 0)
			add(w, at, "%s 0x%" PRIx64 ": what %s was %s under", escape_str(sel, s, sizeof(s)), v, reg,
			    ev->ev.dir == VMT_DIR_READ ? "read" : "written");
		else if (soft(r) <= 0)
			return r;
	}
	return 0;
}

/* The request's or chain's events. */
struct links_arg {
	struct tui_who *w;
	int64_t chain;
	int64_t seq_avail, seq_notify, seq_used, seq_irq;
	char name[96];
};

static int req_links(void *arg, const struct tdb_request *q)
{
	struct links_arg *la = arg;

	la->chain = q->chain;
	la->seq_avail = q->seq_avail;
	la->seq_notify = q->seq_notify;
	la->seq_used = q->seq_used;
	la->seq_irq = q->seq_irq;
	snprintf(la->name, sizeof(la->name), "request %lld", (long long)q->request);
	return 0;
}

static int prefer_fn(void *arg, const struct tdb_request *q)
{
	*(struct tdb_request *)arg = *q;
	return 0;
}

int tui_who_links(struct tdb *t, uint64_t seq, int64_t prefer, struct tdb_event_links *out)
{
	struct tdb_request q;
	int r;

	if ((r = tdb_event_links(t, seq, out)) || prefer < 0 || out->request == prefer || out->request < 0)
		return r;
	/* the request rows' seqs only (no text kept past the call) */
	if (tdb_request_read(t, prefer, prefer_fn, &q) != 0)
		return 0; /* not readable: the lowest stands */
	int64_t s = seq > INT64_MAX ? INT64_MAX : (int64_t)seq;
	if (q.seq_notify == s || q.seq_used == s || q.seq_irq == s || q.seq_avail == s) {
		out->request = prefer;
		if (q.chain >= 0)
			out->chain = q.chain;
	}
	return 0;
}

static int link_targets(struct tdb *t, uint64_t seq, int64_t hint, int64_t prefer, struct tui_who *w)
{
	struct tdb_event_links links;
	struct links_arg la = { .w = w, .chain = -1, .seq_avail = -1, .seq_notify = -1, .seq_used = -1, .seq_irq = -1 };
	int r;

	if ((r = tui_who_links(t, seq, prefer, &links)))
		return soft(r) > 0 ? 0 : r;
	if (links.request < 0 && links.chain < 0 && hint >= 0)
		links.request = hint;
	if (links.request >= 0 && (r = tdb_request_read(t, links.request, req_links, &la)) && soft(r) <= 0)
		return r;
	if (links.chain < 0)
		links.chain = la.chain;
	if (links.chain >= 0) {
		struct tdb_chain c;
		r = tdb_chain_read(t, links.chain, &c);
		if (r == 0) {
			if (!la.name[0])
				snprintf(la.name, sizeof(la.name), "chain %lld", (long long)c.chain);
			if (la.seq_avail < 0)
				la.seq_avail = (int64_t)c.seq_avail;
			if (la.seq_used < 0 && c.used_known)
				la.seq_used = (int64_t)c.used_seq;
		}
		tdb_chain_clear(&c);
		if (r && soft(r) <= 0)
			return r;
	}
	/* at the interrupt (or the InterruptStatus read standing for it),
	 * the used entry it reports comes first */
	if (la.seq_irq >= 0 && (uint64_t)la.seq_irq == seq && la.seq_used >= 0)
		add(w, (uint64_t)la.seq_used, "%s: used (completed)", la.name);
	if (la.seq_avail >= 0)
		add(w, (uint64_t)la.seq_avail, "%s: made available", la.name);
	if (la.seq_notify >= 0)
		add(w, (uint64_t)la.seq_notify, "%s: notify", la.name);
	if (la.seq_used >= 0)
		add(w, (uint64_t)la.seq_used, "%s: used (completed)", la.name);
	if (la.seq_irq >= 0)
		add(w, (uint64_t)la.seq_irq, "%s: interrupt", la.name);
	return 0;
}

/* Rules whose violation an earlier register value made one: that
 * value's change (reg_changes, in force just before the violation). */
static const struct {
	const char *rule;
	const char *reg;
	bool per_queue;
	const char *why;
} causes[] = {
	{ "queue-write-while-ready", "QueueReady", true, "QueueReady set: the queue was live" },
	{ "queue-ready-not-read-back", "QueueReady", true, "the QueueReady write not read back" },
	{ "queue-num-above-max", "QueueNumMax", true, "the QueueNumMax it exceeds" },
	{ "status-order", "Status", false, "the Status before" },
	{ "status-cleared", "Status", false, "the Status before" },
	{ "features-ok-not-reread", "Status", false, "the FEATURES_OK write not read back" },
	{ "features-after-features-ok", "Status", false, "the FEATURES_OK write" },
	{ "features-not-offered", "DriverFeatures", false, "the features written" },
	{ "features-not-offered", "DeviceFeatures", false, "the features offered (as read)" },
	{ "notify-before-driver-ok", "Status", false, "the Status then (no DRIVER_OK)" },
	{ "config-write-before-features-ok", "Status", false, "the Status then (no FEATURES_OK)" },
	{ "interrupt-ack-undefined-bits", "InterruptStatus", false, "the InterruptStatus it acknowledges" },
	{ "device-interrupt-spurious", "InterruptACK", false, "the last InterruptACK" },
};

struct viol_arg {
	char rule[4][64];
	int device[4];
	size_t n;
};

static int viol_collect(void *arg, const struct tdb_violation *v)
{
	struct viol_arg *va = arg;

	if (va->n == 4)
		return 1;
	snprintf(va->rule[va->n], sizeof(va->rule[0]), "%s", v->rule);
	va->device[va->n++] = v->device;
	return 0;
}

static int violation_targets(struct tdb *t, const struct tdb_event *ev, struct tui_who *w)
{
	struct viol_arg va = { .n = 0 };
	uint64_t seq = ev->ev.seq;
	int r;

	/* the source's own violation record (the emulator's) follows the
	 * event that broke the rule: the nearest row of its rule before it */
	if (ev->ev.type == VMT_EV_VIOLATION && ev->ev.value <= UINT32_MAX) {
		const char *key = rule_lookup((uint32_t)ev->ev.value)->key;
		for (uint64_t s = seq; s > 0 && seq - s < 8; s--) {
			va.n = 0;
			if ((r = tdb_violations_at(t, s - 1, viol_collect, &va)))
				return soft(r) > 0 ? 0 : r;
			for (size_t i = 0; i < va.n; i++)
				if (!strcmp(va.rule[i], key)) {
					char k[4 * 64 + 1];
					add(w, s - 1, "the event that broke %s", escape_str(key, k, sizeof(k)));
					s = 1;
					break;
				}
		}
		return 0;
	}
	if ((r = tdb_violations_at(t, seq, viol_collect, &va)))
		return soft(r) > 0 ? 0 : r;
	for (size_t i = 0; i < va.n; i++) {
		int device = va.device[i] >= 0 ? va.device[i] : ev->device;
		if (device < 0 || seq == 0)
			continue;
		for (size_t k = 0; k < sizeof(causes) / sizeof(causes[0]); k++) {
			int64_t queue = -1;
			uint64_t v, at;
			if (strcmp(causes[k].rule, va.rule[i]))
				continue;
			if (causes[k].per_queue) {
				r = tdb_state_setter(t, device, "QueueSel", -1, seq, &v, &at);
				if (r == 0 && v <= UINT16_MAX)
					queue = (int64_t)v;
				else if (soft(r) <= 0)
					return r;
				else
					continue;
			}
			r = tdb_state_setter(t, device, causes[k].reg, queue, seq - 1, &v, &at);
			if (r == 0) {
				char rule[4 * 64 + 1];
				add(w, at, "%s: %s (0x%" PRIx64 ")", escape_str(va.rule[i], rule, sizeof(rule)), causes[k].why, v);
			} else if (soft(r) <= 0) {
				return r;
			}
		}
	}
	return 0;
}

int tui_who_find(struct tdb *t, const struct tdb_event *ev, int64_t hint, int64_t prefer, struct tui_who *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->seq = ev->ev.seq;
	if (!ev->seq_ok || ev->damaged)
		return 0;
	/* the rule's cause first: it is what a violation's reader asks */
	if ((r = violation_targets(t, ev, out)))
		return r;
	if (ev->ev.type == VMT_EV_MMIO && ev->device >= 0 && ev->reg && (r = mmio_targets(t, ev, out)))
		return r;
	return link_targets(t, ev->ev.seq, ev->ev.type == VMT_EV_MEM ? hint : -1, prefer, out);
}
