/* The Perfetto exporter's pass over the events (perfetto_priv.h): register
 * accesses as X slices on their vCPU's thread, interrupts and device
 * reports as X slices on the device's thread (perfetto_tracks.c gives
 * their durations), the status changes and violations among them in seq
 * order (perfetto_findings.c), markers and lost events as global
 * instants, damaged rows as global instants that say why. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "export/perfetto_priv.h"
#include "format/tdb/fmt_row.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_vocab.h"

#define MARKER_TEXT_MAX 4096u  /* bytes of a marker's text kept in its args */

struct walk {
	struct pf *p;
	struct fmt_rows *rows;
	struct pf_tracks *tracks;
	struct pf_findings *findings;
	char line[FMT_ROW_LINE_MAX];
	char text[FMT_ROW_LINE_MAX];
};

/* The formatter's text without its column padding (runs of spaces made
 * one), into w->text. */
static const char *squeeze(struct walk *w, const char *s)
{
	size_t k = 0;

	while (*s == ' ')
		s++;
	for (; *s && k + 1 < sizeof(w->text); s++) {
		if (*s == ' ' && (s[1] == ' ' || s[1] == '\0'))
			continue;
		w->text[k++] = *s;
	}
	w->text[k] = '\0';
	return w->text;
}

static void mmio_event(struct walk *w, struct pj *j, const struct tdb_event *row, const char *text, int pid, int tid)
{
	char name[TDB_NAME_MAX + 8], dir = row->ev.dir == VMT_DIR_WRITE ? 'W' : 'R';

	if (row->reg)
		snprintf(name, sizeof(name), "%c %s", dir, row->reg);
	else
		snprintf(name, sizeof(name), "%c 0x%03" PRIx64, dir, row->ev.addr);
	pf_head_s(j, 'X', name, pid, tid, row->ev.ts_ns);
	pj_kv_str(j, "cat", "register");
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "seq", row->ev.seq);
	if (row->reg)
		pj_kv_str(j, "reg", row->reg);
	pj_kv_hex(j, "offset", row->ev.addr);
	pj_kv_str(j, "dir", dir == 'W' ? "W" : "R");
	pj_kv_u64(j, "width", row->ev.width);
	pj_kv_hex(j, "value", row->ev.value);
	pj_kv_str(j, "meaning", fmt_row_meaning(text));
	if (fmt_rows_cpu_col(w->rows))
		pj_kv_u64(j, "vcpu", row->ev.vcpu);
	pj_end(j);
}

static void irq_event(struct pj *j, const struct tdb_event *row, const char *text, int pid, int tid)
{
	pf_head_s(j, 'X', "irq", pid, tid, row->ev.ts_ns);
	pj_kv_str(j, "cat", "interrupt");
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "seq", row->ev.seq);
	pj_kv_hex(j, "value", row->ev.value);
	pj_kv_str(j, "text", text);
	pj_end(j);
}

static void queue_event(struct pj *j, const struct tdb_event *row, const char *text, int pid, int tid)
{
	char name[64];

	snprintf(name, sizeof(name), "q%" PRIu64 " %s", row->ev.addr,
		 tdb_vocab_name(&tdb_vocab_queue_step, (int)(row->ev.value <= 64 ? row->ev.value : 0)));
	pf_head_s(j, 'X', name, pid, tid, row->ev.ts_ns);
	pj_kv_str(j, "cat", "device-report");
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "seq", row->ev.seq);
	pj_kv_u64(j, "queue", row->ev.addr);
	pj_kv_str(j, "text", text);
	if (row->has_step && row->step_chain >= 0)
		pj_kv_i64(j, "chain", row->step_chain);
	if (row->has_step && row->step_verdict >= 0)
		pj_kv_str(j, "verdict", tdb_vocab_name(&tdb_vocab_step_verdict, row->step_verdict));
	pj_end(j);
}

/* A register access, interrupt or device report: on its thread, written
 * when the thread's next event gives its duration. */
static int track_event(struct walk *w, const struct tdb_event *row, const char *text)
{
	int pid = pf_pid(row->device), slot = pf_slot_of(row), tid = pf_tid(pid, slot), r;
	struct pj *j;

	if ((r = pf_track_names(w->p, row->device)) != 0 ||
	    (r = pf_tracks_slice(w->tracks, pid, slot, row->ev.ts_ns, &j)) != 0)
		return r;
	if (row->ev.type == VMT_EV_MMIO)
		mmio_event(w, j, row, text, pid, tid);
	else if (row->ev.type == VMT_EV_IRQ)
		irq_event(j, row, text, pid, tid);
	else
		queue_event(j, row, text, pid, tid);
	w->p->s->events++;
	pf_saw_time(w->p, row->ev.ts_ns);
	return 0;
}

/* A marker or lost events: a global instant. */
static int global_event(struct pf *p, const struct tdb_event *row)
{
	struct pj *j = &p->j;
	char name[64];

	if (row->ev.type == VMT_EV_MARKER) {
		pf_head(j, 'i', row->text, row->text ? row->ev.len : 0, 0, 0, row->ev.ts_ns);
		pj_kv_str(j, "cat", "marker");
	} else {
		snprintf(name, sizeof(name), "lost %" PRIu64 " events", row->ev.value);
		pf_head_s(j, 'i', name, 0, 0, row->ev.ts_ns);
		pj_kv_str(j, "cat", "lost");
	}
	pj_kv_str(j, "s", "g");
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "seq", row->ev.seq);
	if (row->ev.type == VMT_EV_MARKER) {
		pj_key(j, "text");
		pj_strn_cut(j, row->text, row->text ? row->ev.len : 0, MARKER_TEXT_MAX);
	} else {
		pj_kv_u64(j, "count", row->ev.value);
	}
	pj_end(j);
	pj_end(j);
	p->s->events++;
	pf_saw_time(p, row->ev.ts_ns);
	return pf_write(p, j);
}

/* A row that contradicts the file: a global instant naming it, at the
 * time of the last event written (its own may be what is damaged). */
static int damaged_event(struct pf *p, const struct tdb_event *row)
{
	struct pj *j = &p->j;

	p->s->damaged++;
	pf_head_s(j, 'i', "damaged row", 0, 0, p->have_last ? p->last_ts : 0);
	pj_kv_str(j, "cat", "damaged");
	pj_kv_str(j, "s", "g");
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_str(j, "table", row->table ? row->table : "events");
	pj_kv_str(j, "seq", row->seq_shown);
	pj_kv_str(j, "why", row->why);
	pj_end(j);
	pj_end(j);
	return pf_write(p, j);
}

/* The row, after the status changes and violations before it and with
 * those at it. */
static int walk_row(struct walk *w, const struct tdb_event *row)
{
	size_t what = 0;
	const char *text;
	int r;

	if ((r = pf_findings_before(w->findings, row->ev.seq)) != 0)
		return r;
	switch (row->ev.type) {
	case VMT_EV_MMIO:
	case VMT_EV_IRQ:
	case VMT_EV_QUEUE:
		fmt_rows_line(w->rows, row, w->line, sizeof(w->line), &what);
		text = squeeze(w, what < sizeof(w->line) ? w->line + what : "");
		r = track_event(w, row, text);
		break;
	case VMT_EV_MARKER:
	case VMT_EV_LOST:
		r = global_event(w->p, row);
		break;
	default:
		break;
	}
	return r != 0 ? r : pf_findings_at(w->findings, row);
}

void pf_filter(const struct pf *p, struct tdb_filter *f, int device, unsigned types)
{
	tdb_filter_init(f);
	f->device = device;
	f->types = types;
	f->has_from = p->from > 0;
	f->from = p->from;
	f->has_to = p->to != UINT64_MAX;
	f->to = p->to;
	f->page = 4096;
}

int pf_each_row(struct pf *p, const struct tdb_filter *f, bool report_damaged,
		int (*fn)(void *arg, const struct tdb_event *row), void *arg)
{
	struct tdb_cursor *c = NULL;
	struct tdb_event row;
	int r;

	if ((r = tdb_cursor_open(p->t, f, TDB_FORWARD, &c)) != 0)
		return pf_fail(p, r, "reading the events");
	while ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW) {
		int e = r == 0 ? fn(arg, &row) : report_damaged ? damaged_event(p, &row) : 0;
		if (e != 0) {
			tdb_cursor_close(c);
			return e;
		}
	}
	tdb_cursor_close(c);
	return r == TDB_END ? 0 : pf_fail(p, r, "reading the events");
}

static int walk_fn(void *arg, const struct tdb_event *row)
{
	return walk_row(arg, row);
}

int pf_events(struct pf *p)
{
	unsigned types = 1u << VMT_EV_MMIO | 1u << VMT_EV_IRQ | 1u << VMT_EV_QUEUE;
	struct fmt_rows_opts ro = { .from = p->from, .one_device = p->o->device >= 0 };
	struct tdb_filter f;
	struct walk *w;
	int r;

	/* Markers and lost events belong to no device: with --device they
	 * come from pf_markers. */
	if (p->o->device < 0)
		types |= 1u << VMT_EV_MARKER | 1u << VMT_EV_LOST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return pf_fail(p, -ENOMEM, "for the events");
	w->p = p;
	/* The formatter's state at the first row, walked along the rows
	 * (a device's state changes only at its own register accesses, all
	 * of which are read here). */
	if ((r = fmt_rows_open(&w->rows, p->t, &ro)) != 0) {
		r = pf_fail(p, r, "reading the devices' state");
		goto cleanup;
	}
	if ((r = pf_tracks_open(p, &w->tracks)) != 0 || (r = pf_findings_open(p, w->tracks, &w->findings)) != 0)
		goto cleanup;
	pf_filter(p, &f, p->o->device, types);
	if ((r = pf_each_row(p, &f, true, walk_fn, w)) == 0 && (r = pf_findings_before(w->findings, UINT64_MAX)) == 0)
		r = pf_tracks_end(w->tracks);
cleanup:
	pf_findings_free(w->findings);
	pf_tracks_free(w->tracks);
	fmt_rows_free(w->rows);
	free(w);
	return r;
}

static int marker_fn(void *arg, const struct tdb_event *row)
{
	return row->device >= 0 ? 0 : global_event(arg, row);
}

int pf_markers(struct pf *p)
{
	struct tdb_filter f;

	pf_filter(p, &f, -1, 1u << VMT_EV_MARKER | 1u << VMT_EV_LOST);
	return pf_each_row(p, &f, false, marker_fn, p);
}
