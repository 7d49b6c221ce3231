/* The Perfetto exporter's status changes and broken rules (perfetto_priv.h):
 * instants on the thread of the event they happened at (global when a
 * violation names no device), each found by an index walk of its own
 * table, not by a look at every event, and merged into the events pass
 * by seq, so that each thread's events come in time order in the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/perfetto_priv.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"

struct pf_findings {
	struct pf *p;
	struct pf_tracks *tr;
	struct tdb_status_change sc;  /* the next status change, if sc_has */
	bool sc_has;
	struct tdb_cursor *vc;        /* the events with violations or anomalies */
	bool v_has;                   /* the next one's seq, time and thread slot: */
	uint64_t v_seq, v_ts;
	int v_slot;
	uint64_t ts;                  /* the callbacks' event: its time and slot */
	int slot;
	int err;                      /* the callbacks' error */
};

/* The time of the event at seq (a status change has its seq only); the
 * last time written if the file has no event there. */
static uint64_t time_at(struct pf *p, uint64_t seq)
{
	uint64_t at;
	int64_t ts;

	if (tdb_event_time(p->t, seq, &at, &ts) == 0 && at == seq && ts >= 0)
		return (uint64_t)ts;
	return p->have_last ? p->last_ts : 0;
}

/* The first status change of device (-1 any) at or after seq: the walk
 * asks for those strictly after a seq, so seq 0 is looked up on its own. */
static int status_first(struct pf *p, int device, uint64_t seq, struct tdb_status_change *sc)
{
	int r;

	if (seq > 0)
		return tdb_status_change_near(p->t, device, seq - 1, TDB_FORWARD, sc);
	r = tdb_status_change_near(p->t, device, 1, TDB_BACKWARD, sc);
	if (r != 0 && r != TDB_END)
		return r;
	if (r == 0 && sc->seq == 0)
		return 0;
	return tdb_status_change_near(p->t, device, 0, TDB_FORWARD, sc);
}

/* r from a status change lookup: the change kept if it is in the range. */
static int status_got(struct pf_findings *fi, int r)
{
	fi->sc_has = r == 0 && fi->sc.seq <= fi->p->to;
	return r == 0 || r == TDB_END ? 0 : pf_fail(fi->p, r, "reading the status changes");
}

/* The next status change (status_changes is keyed by seq: each step is
 * strictly later). */
static int status_next(struct pf_findings *fi)
{
	return status_got(fi, tdb_status_change_near(fi->p->t, fi->p->o->device, fi->sc.seq, TDB_FORWARD, &fi->sc));
}

/* The current status change as an instant at ts on thread slot of its
 * device's process, then the next one read. */
static int status_event(struct pf_findings *fi, uint64_t ts, int slot)
{
	const struct tdb_status_change *sc = &fi->sc;
	struct pf *p = fi->p;
	struct pj *j = &p->j;
	int pid = pf_pid(sc->device), r;
	char name[sizeof(sc->names) + 16];

	if ((r = pf_track_names(p, sc->device)) != 0 || (r = pf_tracks_instant(fi->tr, pid, slot, ts)) != 0)
		return r;
	/* a reset's names are "0": say what it is */
	snprintf(name, sizeof(name), "status %s", strcmp(sc->kind, "reset") == 0 ? "reset" : sc->names[0] ? sc->names : "0");
	pf_head_s(j, 'i', name, pid, pf_tid(pid, slot), ts);
	pj_kv_str(j, "cat", "status");
	pj_kv_str(j, "s", "t");
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "seq", sc->seq);
	pj_kv_str(j, "kind", sc->kind);
	pj_kv_hex(j, "old", sc->old_status);
	pj_kv_hex(j, "new", sc->new_status);
	pj_kv_str(j, "names", sc->names);
	pj_end(j);
	pj_end(j);
	p->s->events++;
	if ((r = pf_write(p, j)) != 0)
		return r;
	return status_next(fi);
}

/* The next event with findings (damaged rows passed over). */
static int violation_next(struct pf_findings *fi)
{
	struct tdb_event row;
	int r;

	while ((r = tdb_cursor_next(fi->vc, &row)) == TDB_E_DAMAGED_ROW)
		;
	fi->v_has = r == 0;
	if (r == 0) {
		fi->v_seq = row.ev.seq;
		fi->v_ts = row.ev.ts_ns;
		fi->v_slot = pf_slot_of(&row);
	}
	return r == 0 || r == TDB_END ? 0 : pf_fail(fi->p, r, "reading the violations");
}

/* The instant's head, on the thread of fi's event in device's process
 * (global if none): nonzero with fi->err on an error. */
static int finding_head(struct pf_findings *fi, const char *rule, int device, const char *cat)
{
	struct pj *j = &fi->p->j;
	int pid = device >= 0 ? pf_pid(device) : 0, tid = 0;

	if (device >= 0) {
		tid = pf_tid(pid, fi->slot);
		if ((fi->err = pf_track_names(fi->p, device)) != 0 ||
		    (fi->err = pf_tracks_instant(fi->tr, pid, fi->slot, fi->ts)) != 0)
			return 1;
	}
	pf_head_s(j, 'i', rule[0] ? rule : "?", pid, tid, fi->ts);
	pj_kv_str(j, "cat", cat);
	pj_kv_str(j, "s", device >= 0 ? "t" : "g");
	return 0;
}

/* Whether the export shows device's findings (--device keeps its own). */
static bool shown(const struct pf *p, int device)
{
	return p->o->device < 0 || device == p->o->device;
}

static int violation_fn(void *arg, const struct tdb_violation *v)
{
	struct pf_findings *fi = arg;
	struct pf *p = fi->p;
	struct pj *j = &p->j;

	if (!shown(p, v->device))
		return 0;
	if (finding_head(fi, v->rule, v->device, "violation") != 0)
		return 1;
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "seq", v->seq);
	pj_kv_str(j, "rule", v->rule);
	pj_kv_str(j, "section", v->section);
	pj_kv_str(j, "severity", v->severity_text);
	pj_kv_str(j, "actor", v->actor_text);
	pj_kv_str(j, "message", v->message);
	pj_end(j);
	pj_end(j);
	p->s->violations++;
	fi->err = pf_write(p, j);
	return fi->err != 0;
}

static int anomaly_fn(void *arg, const struct tdb_anomaly *a)
{
	struct pf_findings *fi = arg;
	struct pf *p = fi->p;
	struct pj *j = &p->j;

	if (!shown(p, a->device))
		return 0;
	if (finding_head(fi, a->rule, a->device, "anomaly") != 0)
		return 1;
	pj_key(j, "args");
	pj_begin(j);
	pj_kv_u64(j, "seq", a->seq);
	pj_kv_str(j, "rule", a->rule);
	pj_kv_str(j, "severity", "anomaly");
	if (a->queue >= 0)
		pj_kv_i64(j, "queue", a->queue);
	pj_kv_str(j, "message", a->message);
	pj_end(j);
	pj_end(j);
	p->s->violations++;
	fi->err = pf_write(p, j);
	return fi->err != 0;
}

/* The violations and anomalies of the cursor's event as instants at ts
 * on thread slot, then the next such event read. */
static int findings_here(struct pf_findings *fi, uint64_t ts, int slot)
{
	struct pf *p = fi->p;
	int r;

	fi->ts = ts;
	fi->slot = slot;
	r = tdb_violations_at(p->t, fi->v_seq, violation_fn, fi);
	if (r == 0 && fi->err == 0 && tdb_has_anomalies(p->t))
		r = tdb_anomalies_at(p->t, fi->v_seq, anomaly_fn, fi);
	if (fi->err != 0)
		return fi->err;
	if (r != 0)
		return pf_fail(p, r, "reading the violations");
	return violation_next(fi);
}

int pf_findings_open(struct pf *p, struct pf_tracks *tr, struct pf_findings **out)
{
	struct pf_findings *fi = calloc(1, sizeof(*fi));
	struct tdb_filter f;
	int r;

	*out = fi;
	if (!fi)
		return pf_fail(p, -ENOMEM, "for the violations");
	fi->p = p;
	fi->tr = tr;
	if ((r = status_got(fi, status_first(p, p->o->device, p->from, &fi->sc))) != 0)
		return r;
	/* The events at which a rule was broken, on the violations' seq
	 * index; each one's rows then by seq.  Every device's events: a
	 * device's violation may lie at an event of none (its used ring
	 * written to memory), shown() keeps --device's own. */
	pf_filter(p, &f, -1, 0);
	f.violations_only = true;
	if ((r = tdb_cursor_open(p->t, &f, TDB_FORWARD, &fi->vc)) != 0)
		return pf_fail(p, r, "reading the violations");
	return violation_next(fi);
}

int pf_findings_before(struct pf_findings *fi, uint64_t seq)
{
	bool all = seq == UINT64_MAX;
	int r;

	for (;;) {
		bool sc = fi->sc_has && (all || fi->sc.seq < seq);
		bool v = fi->v_has && (all || fi->v_seq < seq);

		if (sc && (!v || fi->sc.seq <= fi->v_seq)) {
			/* at an event the pass does not draw: the thread of the
			 * violations' event there, or the device's */
			bool at_v = fi->v_has && fi->v_seq == fi->sc.seq;
			r = status_event(fi, at_v ? fi->v_ts : time_at(fi->p, fi->sc.seq), at_v ? fi->v_slot : PF_SLOT_DEVICE);
		} else if (v) {
			r = findings_here(fi, fi->v_ts, fi->v_slot);
		} else {
			return 0;
		}
		if (r != 0)
			return r;
	}
}

int pf_findings_at(struct pf_findings *fi, const struct tdb_event *row)
{
	int r;

	if ((r = pf_findings_before(fi, row->ev.seq)) != 0)
		return r;
	if (fi->sc_has && fi->sc.seq == row->ev.seq && (r = status_event(fi, row->ev.ts_ns, pf_slot_of(row))) != 0)
		return r;
	if (fi->v_has && fi->v_seq == row->ev.seq)
		return findings_here(fi, row->ev.ts_ns, pf_slot_of(row));
	return 0;
}

void pf_findings_free(struct pf_findings *fi)
{
	if (!fi)
		return;
	tdb_cursor_close(fi->vc);
	free(fi);
}
