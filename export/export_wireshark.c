/* See export_wireshark.h.  One walk over the events of the range; each
 * event gives its record, then the status change, violations, anomalies
 * and request phases the file ties to its seq (each an indexed lookup). */
#include "export/export_wireshark.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "config.h"
#include "export/pcapng_writer.h"
#include "export/vt_record.h"
#include "format/tdb/fmt_row.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_state.h"
#include "tracedb/tdb_vocab.h"
#include "virtio/mmio_regs.h"

#if HAVE_PCAP
#include <pcap/pcap.h>
#endif

#define DEVICES_MAX (TDB_DEVICE_ID_MAX + 1)
#define NO_IFACE UINT32_MAX
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define ETHERNET_MIN 14
#define LINKTYPE_ETHERNET 1
#define VIRTIO_ID_NET 1

struct wctx {
	struct tdb *t;
	const struct export_opts *o;
	enum export_packets format;
	FILE *out;
	struct export_summary *s;
	struct pcapng_writer w;
#if HAVE_PCAP
	pcap_t *pd;
	pcap_dumper_t *dump;
#endif
	uint32_t none_iface;                 /* records of no device */
	uint32_t reg_iface[DEVICES_MAX];     /* a device's records */
	uint32_t frame_iface[DEVICES_MAX];   /* a network device's frames */
	bool sel_known[DEVICES_MAX][3];      /* DeviceFeaturesSel, DriverFeaturesSel, QueueSel */
	uint32_t sel[DEVICES_MAX][3];
	struct tdb_status_change status;     /* the next status change at or after the walk */
	bool status_has;
	struct fmt_rows *rows;
	struct phase_cur {
		struct tdb_req_cursor *cur;
		bool has;
		int64_t seq;
		struct tdb_request q;
	} phase[3];                          /* requests by notify, used, irq */
	uint64_t ts;                         /* the current event's time */
	struct vt_record rec;
	char line[FMT_ROW_LINE_MAX];
	int err;
	char *errbuf;
	size_t errlen;
};

static bool wanted(const struct wctx *c, int device)
{
	return c->o->device < 0 || device == c->o->device;
}

static uint16_t dev_type(const struct tdb_device *d)
{
	return d && d->device_id > 0 && d->device_id <= 0xffff ? (uint16_t)d->device_id : 0;
}

static int fail(struct wctx *c, int r, const char *what)
{
	if (c->err == 0) {
		c->err = r;
		if (r > 0)
			snprintf(c->errbuf, c->errlen, "%s: %s", what, tdb_errmsg(c->t));
		else
			snprintf(c->errbuf, c->errlen, "%s: %s", what, strerror(-r));
	}
	return c->err;
}

/* Write one packet: the record in c->rec on the device's interface, or
 * data as a frame on iface. */
static int emit(struct wctx *c, uint32_t iface, const void *data, uint32_t len, uint32_t orig, enum pcapng_dir dir)
{
	if (c->err)
		return c->err;
	if (c->format == EXPORT_PCAPNG) {
		int r = pcapng_packet(&c->w, iface, c->ts, data, len, orig, dir, NULL);
		return r ? fail(c, r, "writing the pcapng file") : 0;
	}
#if HAVE_PCAP
	struct pcap_pkthdr h = { .caplen = len, .len = orig < len ? len : orig };
	h.ts.tv_sec = (time_t)(c->ts / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(c->ts % 1000000000u); /* a nanosecond file */
	pcap_dump((u_char *)c->dump, &h, data);
	if (ferror(c->out))
		return fail(c, errno ? -errno : -EIO, "writing the pcap file");
#endif
	return 0;
}

static int emit_record(struct wctx *c, int device)
{
	uint32_t iface = device >= 0 && device < DEVICES_MAX ? c->reg_iface[device] : c->none_iface;

	if (iface == NO_IFACE)
		iface = c->none_iface;
	return emit(c, iface, c->rec.b, c->rec.n, c->rec.n, PCAPNG_DIR_UNKNOWN);
}

static void begin(struct wctx *c, enum vt_kind kind, const struct tdb_event *row, int device, uint32_t queue)
{
	const struct tdb_device *d = device >= 0 ? tdb_device_by_id(c->t, device) : NULL;

	vt_begin(&c->rec, kind, row->seq_ok, row->ev.seq, device, dev_type(d), queue, d ? d->base : 0);
}

enum { SEL_DEVICE_FEATURES, SEL_DRIVER_FEATURES, SEL_QUEUE };

/* The value of a Sel register in force at row (followed along the walk;
 * looked up once when the walk started after it was written). */
static uint32_t sel_value(struct wctx *c, const struct tdb_event *row, int which)
{
	static const char *const names[3][2] = { { "DeviceFeaturesSel", "HostFeaturesSel" },
						  { "DriverFeaturesSel", "GuestFeaturesSel" },
						  { "QueueSel", "QueueSel" } };
	int d = row->device;

	if (d < 0 || d >= DEVICES_MAX)
		return VT_NO_WORD;
	for (int k = 0; k < 2 && !c->sel_known[d][which]; k++) {
		uint64_t v, at;
		if (tdb_state_setter(c->t, d, names[which][k], -1, row->ev.seq, &v, &at) == 0) {
			c->sel[d][which] = (uint32_t)v;
			c->sel_known[d][which] = true;
		}
	}
	return c->sel_known[d][which] ? c->sel[d][which] : VT_NO_WORD;
}

/* Follow the walk's writes to the Sel registers. */
static void sel_follow(struct wctx *c, const struct tdb_event *row)
{
	const struct vmt_event *ev = &row->ev;
	int which = ev->addr == REG_DEVICE_FEATURES_SEL ? SEL_DEVICE_FEATURES
		    : ev->addr == REG_DRIVER_FEATURES_SEL ? SEL_DRIVER_FEATURES
		    : ev->addr == MMIO_QUEUE_SEL	      ? SEL_QUEUE
							      : -1;

	if (which < 0 || ev->dir != VMT_DIR_WRITE || row->device < 0 || row->device >= DEVICES_MAX)
		return;
	c->sel[row->device][which] = (uint32_t)ev->value;
	c->sel_known[row->device][which] = true;
}

/* The queue a register access is about: QueueNotify's value (its low 16
 * bits with VIRTIO_F_NOTIFICATION_DATA), QueueSel's for the registers
 * under it. */
static uint32_t access_queue(struct wctx *c, const struct tdb_event *row)
{
	const struct tdb_device *d = row->dev;
	const struct mmio_reg_info *info =
		mmio_reg_lookup((uint32_t)row->ev.addr, d && (d->version == 1 || d->version == 2) ? d->version : 2);

	if (row->ev.addr == REG_QUEUE_NOTIFY && row->ev.dir == VMT_DIR_WRITE)
		return (uint32_t)(row->ev.value & 0xffffu);
	if (info && info->queue_reg) {
		uint32_t q = sel_value(c, row, SEL_QUEUE);
		return q == VT_NO_WORD ? VT_NO_QUEUE : q;
	}
	return VT_NO_QUEUE;
}

static int mmio_record(struct wctx *c, const struct tdb_event *row, const char *text)
{
	const struct vmt_event *ev = &row->ev;
	uint32_t word = VT_NO_WORD;

	sel_follow(c, row);
	if (ev->addr == REG_DEVICE_FEATURES || ev->addr == REG_DRIVER_FEATURES)
		word = sel_value(c, row, ev->addr == REG_DRIVER_FEATURES ? SEL_DRIVER_FEATURES : SEL_DEVICE_FEATURES);
	begin(c, VT_MMIO, row, row->device, access_queue(c, row));
	vt_u8(&c->rec, ev->dir == VMT_DIR_WRITE ? 1 : 0);
	vt_u8(&c->rec, ev->width);
	vt_u16(&c->rec, (uint16_t)ev->addr);
	vt_u32(&c->rec, word);
	vt_u64(&c->rec, ev->value);
	vt_str(&c->rec, row->reg ? row->reg : "");
	vt_str(&c->rec, text ? fmt_row_meaning(text) : "");
	c->s->events++;
	return emit_record(c, row->device);
}

/* The next status change after seq (every device's: status_changes is
 * keyed by seq, each step one lookup). */
static int status_next(struct wctx *c, uint64_t seq)
{
	int r = tdb_status_change_near(c->t, -1, seq, TDB_FORWARD, &c->status);

	c->status_has = r == 0;
	return r == 0 || r == TDB_END ? 0 : fail(c, r, "reading status_changes");
}

/* The first status change at or after seq. */
static int status_first(struct wctx *c, uint64_t seq)
{
	if (seq > 0)
		return status_next(c, seq - 1);
	/* one at seq 0: the last before seq 1 */
	int r = tdb_status_change_near(c->t, -1, 1, TDB_BACKWARD, &c->status);
	if (r == 0 && c->status.seq == 0) {
		c->status_has = true;
		return 0;
	}
	if (r != 0 && r != TDB_END)
		return fail(c, r, "reading status_changes");
	return status_next(c, 0);
}

/* The status changes at the event row: a Status write, a reset, a
 * refused FEATURES_OK, a device that set DEVICE_NEEDS_RESET. */
static int status_records(struct wctx *c, const struct tdb_event *row)
{
	while (c->status_has && c->status.seq < row->ev.seq)
		if (status_next(c, c->status.seq))
			return c->err;
	while (c->status_has && c->status.seq == row->ev.seq) {
		const struct tdb_status_change *sc = &c->status;
		if (wanted(c, sc->device)) {
			begin(c, VT_STATUS, row, sc->device, VT_NO_QUEUE);
			vt_u32(&c->rec, sc->old_status);
			vt_u32(&c->rec, sc->new_status);
			vt_str(&c->rec, sc->kind);
			vt_str(&c->rec, sc->names);
			c->s->events++;
			if (emit_record(c, sc->device))
				return c->err;
		}
		if (status_next(c, sc->seq))
			return c->err;
	}
	return 0;
}

struct at_ctx {
	struct wctx *c;
	const struct tdb_event *row;
};

static int violation_fn(void *arg, const struct tdb_violation *v)
{
	struct at_ctx *a = arg;

	if (!wanted(a->c, v->device))
		return 0;
	begin(a->c, VT_VIOLATION, a->row, v->device, VT_NO_QUEUE);
	vt_u8(&a->c->rec, v->severity == TDB_SEV_ERROR ? 2 : 1);
	vt_str(&a->c->rec, v->rule);
	vt_str(&a->c->rec, v->section);
	vt_str(&a->c->rec, v->message);
	a->c->s->violations++;
	return emit_record(a->c, v->device);
}

static int anomaly_fn(void *arg, const struct tdb_anomaly *an)
{
	struct at_ctx *a = arg;

	if (!wanted(a->c, an->device))
		return 0;
	begin(a->c, VT_ANOMALY, a->row, an->device, an->queue >= 0 ? (uint32_t)an->queue : VT_NO_QUEUE);
	vt_str(&a->c->rec, an->rule);
	vt_str(&a->c->rec, an->message);
	a->c->s->violations++;
	return emit_record(a->c, an->device);
}

static uint64_t since(int64_t from, int64_t to)
{
	return from >= 0 && to >= from ? (uint64_t)(to - from) : VT_NONE64;
}

static uint64_t seq_or_none(int64_t s)
{
	return s >= 0 ? (uint64_t)s : VT_NONE64;
}

/* A network frame: tx when the driver made it available (notify), rx
 * when the device filled it (used). */
static int frame(struct wctx *c, const struct tdb_request *q, enum vt_phase phase)
{
	bool tx = q->kind == TDB_REQ_NET_TX, rx = q->kind == TDB_REQ_NET_RX;
	uint32_t iface = q->device >= 0 && q->device < DEVICES_MAX ? c->frame_iface[q->device] : NO_IFACE;

	if (c->format != EXPORT_PCAPNG || iface == NO_IFACE || !(tx || rx) || q->data_len < ETHERNET_MIN)
		return 0;
	if ((tx && phase != VT_NOTIFY) || (rx && phase != VT_USED))
		return 0;
	uint64_t orig = q->length_known && q->length >= q->data_len ? q->length : q->data_len;
	c->s->frames++;
	return emit(c, iface, q->data, (uint32_t)q->data_len, orig > UINT32_MAX ? UINT32_MAX : (uint32_t)orig,
		    tx ? PCAPNG_DIR_OUTBOUND : PCAPNG_DIR_INBOUND);
}

/* The record of request q's phase at the event row (and its frame). */
static int request_record(struct wctx *c, const struct tdb_event *row, const struct tdb_request *q, enum vt_phase phase)
{
	if (!wanted(c, q->device))
		return 0;
	begin(c, VT_REQUEST, row, q->device, q->queue);
	vt_u8(&c->rec, (uint8_t)phase);
	vt_u8(&c->rec, 0);
	vt_u16(&c->rec, 0);
	vt_u32(&c->rec, q->length_known && q->length < UINT32_MAX ? (uint32_t)q->length : UINT32_MAX);
	vt_u64(&c->rec, (uint64_t)q->request);
	vt_u64(&c->rec, q->sector_known ? q->sector : VT_NONE64);
	vt_u32(&c->rec, q->status_known ? q->status : UINT32_MAX);
	vt_u32(&c->rec, (uint32_t)(q->data_len > UINT32_MAX ? UINT32_MAX : q->data_len));
	vt_u64(&c->rec, seq_or_none(q->seq_notify));
	vt_u64(&c->rec, seq_or_none(q->seq_used));
	vt_u64(&c->rec, seq_or_none(q->seq_irq));
	vt_u64(&c->rec, since(q->ts_notify, q->ts_used));
	vt_u64(&c->rec, since(q->ts_notify, q->ts_irq));
	vt_str(&c->rec, tdb_vocab_name(&tdb_vocab_request_kind, q->kind));
	vt_str(&c->rec, q->op ? q->op : "");
	if (phase == VT_NOTIFY && q->data)
		vt_bytes(&c->rec, q->data, q->data_len < c->o->data_max ? q->data_len : c->o->data_max);
	c->s->requests++;
	if (emit_record(c, q->device))
		return c->err;
	return frame(c, q, phase);
}

/* Cursor k's next request (a damaged row is counted and passed over). */
static int phase_next(struct wctx *c, int k)
{
	struct phase_cur *p = &c->phase[k];
	int r;

	while ((r = tdb_req_cursor_next(p->cur, &p->q, &p->seq)) == TDB_E_DAMAGED_ROW)
		c->s->damaged++;
	p->has = r == 0;
	if (r == TDB_END || r == 0)
		return 0;
	return fail(c, r, "reading requests");
}

/* The request phases at the event row: each cursor is at its first
 * request at or after row's seq (the events come in seq order). */
static int request_records(struct wctx *c, const struct tdb_event *row)
{
	static const enum vt_phase phases[3] = { VT_NOTIFY, VT_USED, VT_IRQ };
	int64_t seq = (int64_t)row->ev.seq;

	for (int k = 0; k < 3; k++) {
		struct phase_cur *p = &c->phase[k];
		/* a request whose event is not one of the rows: passed over */
		while (p->has && p->seq < seq)
			if (phase_next(c, k))
				return c->err;
		while (p->has && p->seq == seq) {
			if (request_record(c, row, &p->q, phases[k]) || phase_next(c, k))
				return c->err;
		}
	}
	return 0;
}

static int one_event(struct wctx *c, const struct tdb_event *row)
{
	struct at_ctx a = { c, row };
	const char *text = NULL;
	size_t what = 0;
	int r;

	c->ts = row->ev.ts_ns;
	/* every row through the formatter, so its state follows the walk;
	 * the line itself for register accesses only (their meaning) */
	if (row->ev.type == VMT_EV_MMIO && !row->damaged) {
		text = fmt_rows_line(c->rows, row, c->line, sizeof(c->line), &what);
		text = text ? text + what : NULL;
	} else {
		fmt_rows_follow(c->rows, row);
	}
	if (row->damaged || !row->seq_ok)
		return 0; /* show prints it as damaged; nothing to export */
	if (wanted(c, row->device)) {
		switch (row->ev.type) {
		case VMT_EV_MMIO:
			r = mmio_record(c, row, text);
			break;
		case VMT_EV_IRQ:
			begin(c, VT_INTERRUPT, row, row->device, VT_NO_QUEUE);
			vt_u32(&c->rec, (uint32_t)row->ev.value);
			c->s->events++;
			r = emit_record(c, row->device);
			break;
		case VMT_EV_MARKER:
			if (c->o->device >= 0)
				return 0;
			begin(c, VT_MARKER, row, -1, VT_NO_QUEUE);
			vt_str(&c->rec, row->text ? row->text : "");
			c->s->events++;
			r = emit_record(c, -1);
			break;
		default:
			r = 0;
			break;
		}
		if (r)
			return r;
	}
	if (status_records(c, row))
		return c->err;
	if ((r = tdb_violations_at(c->t, row->ev.seq, violation_fn, &a)) ||
	    (r = tdb_anomalies_at(c->t, row->ev.seq, anomaly_fn, &a)))
		return c->err ? c->err : fail(c, r, "reading violations");
	return request_records(c, row);
}

/* The section header's comments and the interfaces. */
static int open_output(struct wctx *c)
{
	const struct tdb_device *devs;
	struct tdb_meta m;
	char source[128], command[TDB_META_VALUE_MAX + 16], cmd[TDB_META_VALUE_MAX];
	size_t n = 0;
	int r;

	if ((r = tdb_devices_kept(c->t, &devs, &n)))
		return fail(c, r, "reading devices");
	if (c->format == EXPORT_PCAP) {
#if HAVE_PCAP
		c->pd = pcap_open_dead_with_tstamp_precision(VT_LINKTYPE, VT_RECORD_MAX, PCAP_TSTAMP_PRECISION_NANO);
		if (!c->pd || !(c->dump = pcap_dump_fopen(c->pd, c->out)))
			return fail(c, -EIO, "starting the pcap file");
		return 0;
#else
		return fail(c, -ENOTSUP, "pcap: this vmtrace was built without libpcap");
#endif
	}
	memset(&m, 0, sizeof(m));
	if ((r = tdb_meta_read(c->t, &m)))
		return fail(c, r, "reading meta");
	snprintf(source, sizeof(source), "source: %s", m.source[0] ? m.source : "unknown");
	cmd[0] = '\0';
	if (tdb_meta_text(c->t, "raw.command", cmd, sizeof(cmd)) == 0 && cmd[0])
		snprintf(command, sizeof(command), "command: %s", cmd);
	else
		command[0] = '\0';
	const char *comments[] = { "vmtrace " VMTRACE_VERSION " export (docs/export.md)", source, command };
	if ((r = pcapng_begin(&c->w, c->out, comments, 3, "vmtrace " VMTRACE_VERSION)))
		return fail(c, r, "writing the pcapng file");
	if ((r = pcapng_interface(&c->w, VT_LINKTYPE, VT_RECORD_MAX, "vmtrace", "records of no device", &c->none_iface)))
		return fail(c, r, "writing the pcapng file");
	for (size_t i = 0; i < n; i++) {
		const struct tdb_device *d = &devs[i];
		char desc[256], name[TDB_NAME_MAX + 16];
		if (d->id < 0 || d->id >= DEVICES_MAX || !wanted(c, d->id))
			continue;
		snprintf(desc, sizeof(desc), "virtio %s device (id %lld), %s", d->type[0] ? d->type : "unknown",
			 (long long)d->device_id, d->version == 1 ? "legacy v1" : d->version == 2 ? "modern v2" : "version ?");
		if ((r = pcapng_interface(&c->w, VT_LINKTYPE, VT_RECORD_MAX, d->name, desc, &c->reg_iface[d->id])))
			return fail(c, r, "writing the pcapng file");
		if (d->device_id == VIRTIO_ID_NET) {
			snprintf(name, sizeof(name), "%s-frames", d->name);
			snprintf(desc, sizeof(desc), "Ethernet frames of %s (virtio_net_hdr stripped)", d->name);
			if ((r = pcapng_interface(&c->w, LINKTYPE_ETHERNET, 65535, name, desc, &c->frame_iface[d->id])))
				return fail(c, r, "writing the pcapng file");
		}
	}
	return 0;
}

int export_wireshark(struct tdb *t, const struct export_opts *o, enum export_packets format, FILE *out,
		     struct export_summary *s, char *err, size_t errlen)
{
	struct wctx *c = calloc(1, sizeof(*c));
	struct fmt_rows_opts ro = { 0 };
	struct tdb_cursor *cur = NULL;
	struct tdb_filter f;
	struct tdb_event row;
	int r;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->t = t;
	c->o = o;
	c->format = format;
	c->out = out;
	c->s = s;
	c->errbuf = err;
	c->errlen = errlen;
	c->none_iface = NO_IFACE;
	for (int i = 0; i < DEVICES_MAX; i++)
		c->reg_iface[i] = c->frame_iface[i] = NO_IFACE;
	tdb_filter_init(&f);
	f.has_from = o->has_from;
	f.from = o->from;
	f.has_to = o->has_to;
	f.to = o->to;
	ro.from = o->has_from ? o->from : 0;
	if (open_output(c))
		goto done;
	if ((r = fmt_rows_open(&c->rows, t, &ro))) {
		fail(c, r, "reading the trace");
		goto done;
	}
	if ((r = tdb_cursor_open(t, &f, TDB_FORWARD, &cur))) {
		fail(c, r, "reading events");
		goto done;
	}
	if (status_first(c, o->has_from ? o->from : 0))
		goto done;
	for (int k = 0; k < 3; k++) {
		if ((r = tdb_req_cursor_open(t, (enum tdb_req_at)k, o->has_from ? o->from : 0, o->has_to ? o->to : 0,
					     &c->phase[k].cur))) {
			fail(c, r, "reading requests");
			goto done;
		}
		if (phase_next(c, k))
			goto done;
	}
	while ((r = tdb_cursor_next(cur, &row)) == 0 || r == TDB_E_DAMAGED_ROW)
		if (one_event(c, &row))
			break;
	if (c->err == 0 && r != TDB_END && r != 0 && r != TDB_E_DAMAGED_ROW)
		fail(c, r, "reading events");
done:
#if HAVE_PCAP
	if (c->dump) {
		if (pcap_dump_flush(c->dump) != 0 && c->err == 0)
			fail(c, errno ? -errno : -EIO, "writing the pcap file");
		/* not pcap_dump_close: it would close the caller's FILE (a
		 * dumper is that FILE in libpcap; nothing else to free) */
	}
	if (c->pd)
		pcap_close(c->pd);
#endif
	tdb_cursor_close(cur);
	for (int k = 0; k < 3; k++)
		tdb_req_cursor_close(c->phase[k].cur);
	fmt_rows_free(c->rows);
	s->bytes = c->format == EXPORT_PCAPNG ? c->w.bytes : 0;
	r = c->err;
	free(c);
	return r;
}
