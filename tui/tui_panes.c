/* The detail and state panes' text (tui_panes.h). */
#include "tui/tui_panes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "format/event_fmt.h"
#include "format/fmt_time.h"
#include "format/tdb/fmt_row.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_state.h"
#include "tui/query/tui_who.h"
#include "tui/tui_model.h"
#include "tui/tui_text.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

/* Bytes of a memory event the detail pane shows (the rest is counted). */
#define TUI_DETAIL_BYTES_MAX 4096
/* Descriptors of a chain listed. */
#define TUI_DETAIL_DESC_MAX 16

static const char *esc(const char *s, char *buf, size_t len)
{
	return escape_str(s ? s : "", buf, len);
}

static const char *vname(const struct tdb_vocab *v, int value)
{
	const char *s = value >= 0 ? tdb_vocab_name(v, value) : NULL;
	return s ? s : "?";
}

/* The bytes as "+0000  00 11 22 ...  |..\"..|" lines, per bytes a line. */
static int hexdump(struct tui_text *out, const uint8_t *p, size_t n, int width)
{
	size_t per = width >= 78 ? 16 : 8;
	int r = 0;

	for (size_t off = 0; off < n && r == 0; off += per) {
		char hex[3 * 16 + 1] = "", asc[16 + 1] = "";
		size_t k = n - off < per ? n - off : per;
		for (size_t i = 0; i < per; i++) {
			if (i < k)
				snprintf(hex + 3 * i, 4, "%02x ", p[off + i]);
			else
				memcpy(hex + 3 * i, "   ", 4);
			asc[i] = i < k ? (p[off + i] >= 0x20 && p[off + i] < 0x7f ? (char)p[off + i] : '.') : '\0';
		}
		asc[k] = '\0';
		r = tui_text_add(out, "  +%04zx  %s |%s|", off, hex, asc);
	}
	return r;
}

static int add_violation(void *arg, const struct tdb_violation *v)
{
	struct tui_text *out = ((void **)arg)[0];
	int width = *(int *)((void **)arg)[1];
	char rule[96], msg[512], sec[256], sev[32], actor[32];
	char lead[256];

	snprintf(lead, sizeof(lead), "! %s %s (by the %s): ", esc(v->severity_text, sev, sizeof(sev)),
		 esc(v->rule, rule, sizeof(rule)), esc(v->actor_text[0] ? v->actor_text : "?", actor, sizeof(actor)));
	if (tui_text_wrap(out, lead, 4, esc(v->message, msg, sizeof(msg)), width))
		return -ENOMEM;
	if (v->section[0] && tui_text_wrap(out, "    spec: ", 10, esc(v->section, sec, sizeof(sec)), width))
		return -ENOMEM;
	return 0;
}

static int add_anomaly(void *arg, const struct tdb_anomaly *a)
{
	struct tui_text *out = ((void **)arg)[0];
	int width = *(int *)((void **)arg)[1];
	char rule[96], msg[512], lead[128];

	snprintf(lead, sizeof(lead), "~ anomaly %s: ", esc(a->rule, rule, sizeof(rule)));
	if (tui_text_wrap(out, lead, 4, esc(a->message, msg, sizeof(msg)), width))
		return -ENOMEM;
	return tui_text_add(out, "    (%s; not a violation)",
			    strcmp(a->rule, "ring-copy-torn") ? "a best-effort snapshot the running guest changed"
							      : "the ring copy does not show what the device reported") ? -ENOMEM : 0;
}

/* " (+12.345us)" between two event times, "" when either is missing. */
static void latency(char *buf, size_t len, int64_t from, int64_t to)
{
	char t[40];

	buf[0] = '\0';
	if (from < 0 || to < 0)
		return;
	snprintf(buf, len, " (%s)", fmt_latency(t, sizeof(t), from, to));
}

struct req_arg {
	struct tui_text *out;
	int width;
	int64_t chain;   /* OUT: the request's chain, -1 none */
};

/* "73" or "-" for a seq that may be missing. */
static const char *seq_text(int64_t seq, char *buf, size_t len)
{
	if (seq < 0)
		return "-";
	snprintf(buf, len, "%lld", (long long)seq);
	return buf;
}

static int add_request(void *arg, const struct tdb_request *q)
{
	struct req_arg *ra = arg;
	char op[64], used[64], irq[64], what[320], s1[24], s2[24], s3[24];
	int n;

	ra->chain = q->chain;
	n = snprintf(what, sizeof(what), "request %lld: %s%s%s q%u", (long long)q->request,
		     vname(&tdb_vocab_request_kind, q->kind), q->op ? " " : "", q->op ? esc(q->op, op, sizeof(op)) : "",
		     q->queue);
	if (q->sector_known && n > 0 && (size_t)n < sizeof(what))
		n += snprintf(what + n, sizeof(what) - (size_t)n, " sector %" PRIu64, q->sector);
	if (q->length_known && n > 0 && (size_t)n < sizeof(what))
		n += snprintf(what + n, sizeof(what) - (size_t)n, " length %" PRIu64, q->length);
	if (q->status_known && n > 0 && (size_t)n < sizeof(what))
		snprintf(what + n, sizeof(what) - (size_t)n, " status %u", q->status);
	if (tui_text_wrap(ra->out, "", 2, what, ra->width))
		return -ENOMEM;
	latency(used, sizeof(used), q->ts_notify, q->ts_used);
	latency(irq, sizeof(irq), q->ts_notify, q->ts_irq);
	snprintf(what, sizeof(what), "notify %s -> used %s%s -> irq %s%s", seq_text(q->seq_notify, s1, sizeof(s1)),
		 seq_text(q->seq_used, s2, sizeof(s2)), used, seq_text(q->seq_irq, s3, sizeof(s3)), irq);
	return tui_text_wrap(ra->out, "  ", 4, what, ra->width) ? -ENOMEM : 0;
}

static const char *desc_flags(uint16_t f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", f & VIRTQ_DESC_F_NEXT ? "NEXT " : "", f & VIRTQ_DESC_F_WRITE ? "WRITE " : "",
		 f & VIRTQ_DESC_F_INDIRECT ? "INDIRECT " : "", f ? "" : "-");
	size_t n = strlen(buf);
	if (n && buf[n - 1] == ' ')
		buf[n - 1] = '\0';
	return buf;
}

static int add_chain(struct tui_model *m, int64_t id, struct tui_text *out, int width)
{
	struct tdb_chain c = { 0 };
	int r = tdb_chain_read(m->t, id, &c);

	if (r < 0)
		return r;
	if (r > 0) {
		char msg[TDB_ERRMSG_MAX];
		char lead[48];
		snprintf(lead, sizeof(lead), "chain %lld: (cannot read) ", (long long)id);
		return tui_text_wrap(out, lead, 2, esc(tdb_errmsg(m->t), msg, sizeof(msg)), width);
	}
	char head[256];
	snprintf(head, sizeof(head), "chain %lld: q%u head %u, %u descriptor%s%s, avail idx %u at seq %" PRIu64 ", %s",
		 (long long)c.chain, c.queue, c.head, c.n_desc, c.n_desc == 1 ? "" : "s", c.indirect ? " (indirect)" : "",
		 c.avail_idx, c.seq_avail, vname(&tdb_vocab_chain_memory, c.memory));
	r = tui_text_wrap(out, "", 2, head, width);
	if (r == 0 && c.used_known)
		r = tui_text_add(out, "  used at seq %" PRIu64 ": used idx %u len %u", c.used_seq, c.used_idx, c.used_len);
	for (uint32_t i = 0; i < c.n_desc_read && i < TUI_DETAIL_DESC_MAX && r == 0; i++) {
		char fl[40];
		const struct tdb_desc *d = &c.desc[i];
		r = tui_text_add(out, "  %sdesc[%u] addr 0x%" PRIx64 " len %u %s", d->in_indirect ? "indirect " : "", d->idx,
				 d->addr, d->len, desc_flags(d->flags, fl, sizeof(fl)));
	}
	if (r == 0 && c.n_desc_read > TUI_DETAIL_DESC_MAX)
		r = tui_text_add(out, "  ... %u more", c.n_desc_read - TUI_DETAIL_DESC_MAX);
	tdb_chain_clear(&c);
	return r;
}

int tui_panes_detail(struct tui_model *m, uint64_t seq, const struct tui_who *who, int width, struct tui_text *out)
{
	const struct tui_line *l = tui_model_cur(m);
	struct tdb_event row;
	struct tdb_event_links links;
	void *arg[2] = { out, &width };
	char buf[512];
	int r;

	tui_text_clear(out);
	if (!l)
		return tui_text_add(out, "(no events in this trace)");
	/* seq, time and device as the list has them, then the event's text
	 * whole (the list cuts it at the screen's edge) */
	char head[512];
	size_t k = 0, w = l->what < strlen(l->text) ? l->what : strlen(l->text);
	k += (size_t)snprintf(head, sizeof(head), "event ");
	for (size_t i = 0; i < w && k + 3 < sizeof(head); i++) {
		if (l->text[i] == ' ' && (k == 6 || head[k - 1] == ' '))
			continue;
		head[k++] = l->text[i];
		if (l->text[i] != ' ' && i + 1 < w && l->text[i + 1] == ' ')
			head[k++] = ' ';
	}
	while (k > 0 && head[k - 1] == ' ')
		k--;
	head[k] = '\0';
	if ((r = tui_text_wrap(out, "", 2, head, width)) || (r = tui_text_wrap(out, "  ", 4, l->text + w, width)))
		return r;
	/* who set this, near the top: what s jumps to */
	if (who && who->n) {
		if ((r = tui_text_add(out, "who set this? (s)")))
			return r;
		for (size_t i = 0; i < who->n; i++) {
			char lead[40];
			snprintf(lead, sizeof(lead), "  %" PRIu64 " ", who->target[i].seq);
			if ((r = tui_text_wrap(out, lead, 6, who->target[i].what, width)))
				return r;
		}
	}
	r = tui_model_event(m, seq, &row);
	if (r < 0)
		return r;
	if (r == 0 && !row.damaged) {
		const struct vmt_event *ev = &row.ev;
		const char *type = vname(&tdb_vocab_event_type, ev->type);
		if ((r = tui_text_add(out, "%s", "")))
			return r;
		switch (ev->type) {
		case VMT_EV_MMIO: {
			char reg[64], name[64];
			uint32_t version = row.dev && (row.dev->version == 1 || row.dev->version == 2) ? row.dev->version : 2;
			mmio_reg_describe((uint32_t)ev->addr, version, name, sizeof(name));
			snprintf(buf, sizeof(buf), "%s %s (offset 0x%03" PRIx64 "), %u bytes: 0x%" PRIx64,
				 ev->dir == VMT_DIR_WRITE ? "driver wrote" : "driver read", row.reg ? esc(row.reg, reg, sizeof(reg)) : name,
				 ev->addr, ev->width, ev->value);
			r = tui_text_wrap(out, "", 2, buf, width);
			break;
		}
		case VMT_EV_MEM: {
			char whose[64];
			snprintf(buf, sizeof(buf), "memory at 0x%" PRIx64 ", %u bytes, written or seen by: %s", ev->addr,
				 ev->len, fmt_mem_whose(ev->flags, whose, sizeof(whose)));
			r = tui_text_wrap(out, "", 2, buf, width);
			if (r == 0 && ev->data) {
				size_t n = ev->len < TUI_DETAIL_BYTES_MAX ? ev->len : TUI_DETAIL_BYTES_MAX;
				r = hexdump(out, ev->data, n, width);
				if (r == 0 && n < ev->len)
					r = tui_text_add(out, "  ... %zu more bytes", (size_t)ev->len - n);
			} else if (r == 0) {
				r = tui_text_add(out, "  (no bytes kept)");
			}
			break;
		}
		case VMT_EV_IRQ: {
			char st[128];
			r = tui_text_add(out, "interrupt: InterruptStatus 0x%" PRIx64 " (%s)", ev->value,
					 ev->value & 1 ? (ev->value & 2 ? "used buffer, config change" : "used buffer")
						       : ev->value & 2 ? "config change" : (snprintf(st, sizeof(st), "none"), st));
			break;
		}
		default:
			r = tui_text_add(out, "%s event, vcpu %u", type, (unsigned)ev->vcpu);
			break;
		}
		if (r)
			return r;
	}
	if (l->seq_ok) {
		r = tui_who_links(m->t, seq, m->prefer_request, &links);
		if (r < 0)
			return r;
		if (r == 0 && links.request >= 0) {
			struct req_arg ra = { .out = out, .width = width, .chain = -1 };
			r = tdb_request_read(m->t, links.request, add_request, &ra);
			if (r < 0)
				return r;
			if (links.chain < 0)
				links.chain = ra.chain; /* the chain the request travelled in */
			r = 0;
		}
		if (r == 0 && links.chain >= 0 && (r = add_chain(m, links.chain, out, width)) < 0)
			return r;
		r = tdb_violations_at(m->t, seq, add_violation, arg);
		if (r == 0)
			r = tdb_anomalies_at(m->t, seq, add_anomaly, arg);
		if (r < 0)
			return r;
		if (r > 0)
			tui_text_add(out, "(cannot read: %s)", esc(tdb_errmsg(m->t), buf, sizeof(buf)));
	}
	return 0;
}

/* "0x0000000f ACKNOWLEDGE|..." feature line: words 1:0 and the names. */
static int add_features(struct tui_text *out, const char *what, uint32_t id, uint64_t f, int width)
{
	char names[1024];

	return tui_text_wrap(out, what, 4, f ? virtio_features_str(id, f, names, sizeof(names)) : "none", width);
}

int tui_panes_state(struct tui_model *m, int device, uint64_t seq, int width, struct tui_text *out)
{
	const struct tdb_device *d = tdb_device_by_id(m->t, device);
	struct tdb_state s = { 0 };
	char name[4 * TDB_NAME_MAX + 1], buf[512];
	uint32_t id;
	int r;

	tui_text_clear(out);
	if (!d)
		return tui_text_add(out, "(no device selected: move to a register access)");
	id = d->device_id > 0 && d->device_id <= UINT32_MAX ? (uint32_t)d->device_id : 0;
	r = tui_text_add(out, "%s (%s, version %u)", esc(d->name, name, sizeof(name)), d->type[0] ? esc(d->type, buf, sizeof(buf)) : "type unknown",
			 d->version);
	if (r)
		return r;
	r = tdb_state_at(m->t, device, seq, &s);
	if (r < 0)
		goto cleanup;
	if (r > 0) {
		r = tui_text_wrap(out, "(cannot read its state: ", 2, esc(tdb_errmsg(m->t), buf, sizeof(buf)), width);
		goto cleanup;
	}
	if (s.status_known) {
		char names[128];
		char line[256];
		snprintf(line, sizeof(line), "0x%02x %s (set at %" PRIu64 ")", s.status,
			 s.status == 0 ? "reset"
			 : s.status_names[0] ? esc(s.status_names, names, sizeof(names))
					     : virtio_status_str(s.status, names, sizeof(names)),
			 s.status_seq);
		r = tui_text_wrap(out, "Status     ", 4, line, width);
	} else {
		r = tui_text_add(out, "Status     never written (reset)");
	}
	uint64_t off = (uint64_t)s.offered[1] << 32 | s.offered[0];
	uint64_t acc = (uint64_t)s.accepted[1] << 32 | s.accepted[0];
	bool ok = s.offered_known[0] || s.offered_known[1], ak = s.accepted_known[0] || s.accepted_known[1];
	if (r == 0) {
		char o[24] = "not read yet", x[24] = "none yet";
		if (ok)
			snprintf(o, sizeof(o), "0x%016" PRIx64, off);
		if (ak)
			snprintf(x, sizeof(x), "0x%016" PRIx64, acc);
		r = tui_text_add(out, "offered    %s", o);
		if (r == 0)
			r = tui_text_add(out, "accepted   %s", x);
	}
	if (r == 0 && s.negotiated_known) {
		char lead[64];
		snprintf(lead, sizeof(lead), "negotiated (at %" PRIu64 ") ", s.negotiated_seq);
		r = add_features(out, lead, id, s.negotiated, width);
	} else if (r == 0) {
		r = tui_text_add(out, "negotiated not yet (FEATURES_OK not set)");
	}
	for (size_t i = 0; i < s.n_queues && r == 0; i++) {
		const struct tdb_queue *q = &s.queues[i];
		r = tui_text_add(out, "q%u gen %" PRIu64 " size %u%s %s (set up at %" PRIu64 ")", q->queue, q->generation,
				 q->size, q->known & TDB_Q_NUM_MAX ? "" : "", q->ready ? "ready" : "not ready", q->seq_setup);
		if (r == 0 && q->legacy_pfn)
			r = tui_text_add(out, "   pfn 0x%x page %u align %u", q->legacy_pfn, q->page_size, q->align);
		else if (r == 0) {
			char a3[160];
			snprintf(a3, sizeof(a3), "desc 0x%" PRIx64 " driver 0x%" PRIx64 " device 0x%" PRIx64, q->desc_addr,
				 q->driver_addr, q->device_addr);
			r = tui_text_wrap(out, "   ", 3, a3, width);
		}
	}
	if (r == 0 && s.n_queues == 0)
		r = tui_text_add(out, "no queue set up yet");
	/* what the driver took before FEATURES_OK, and what it left out or
	 * took beyond the offer: by name */
	if (r == 0 && ak && !s.negotiated_known && acc)
		r = add_features(out, "accepted: ", id, acc, width);
	if (r == 0 && ok && ak && (off & ~acc))
		r = add_features(out, "offered, not accepted: ", id, off & ~acc, width);
	else if (r == 0 && ok && !ak && off)
		r = add_features(out, "offered: ", id, off, width);
	if (r == 0 && ok && ak && (acc & ~off))
		r = add_features(out, "accepted, never offered: ", id, acc & ~off, width);
	if (r == 0 && s.n_regs)
		r = tui_text_add(out, "registers (value, set at seq):");
	for (size_t i = 0; i < s.n_regs && r == 0; i++) {
		const struct tdb_reg_value *v = &s.regs[i];
		char reg[4 * TDB_REG_NAME_MAX + 1 + 24], q[24] = "";
		if (v->queue >= 0)
			snprintf(q, sizeof(q), "[q%lld]", (long long)v->queue);
		r = tui_text_add(out, "  %-18s 0x%08" PRIx64 "  %" PRIu64, (esc(v->reg, reg, sizeof(reg) - 24), strcat(reg, q)),
				 v->value, v->seq);
	}
	if (r == 0) {
		/* the config bytes known, 16 a line from the first known */
		size_t known = 0;
		for (size_t i = 0; i < TDB_CONFIG_MAX; i++)
			known += s.config_known[i];
		if (known)
			r = tui_text_add(out, "config (%zu bytes known, '..' not seen):", known);
		for (size_t co = 0; known && co < TDB_CONFIG_MAX && r == 0; co += 16) {
			char hex[16 * 3 + 1];
			bool any = false;
			for (size_t i = 0; i < 16; i++) {
				if (s.config_known[co + i]) {
					snprintf(hex + 3 * i, 4, "%02x ", s.config[co + i]);
					any = true;
				} else {
					memcpy(hex + 3 * i, ".. ", 4);
				}
			}
			if (any)
				r = tui_text_add(out, "  +0x%02zx %s", co, hex);
		}
	}
cleanup:
	tdb_state_clear(&s);
	return r;
}
