/* The Perfetto exporter's status changes and broken rules (perfetto_priv.h):
 * instants on the device's track (global when a violation names no
 * device), each found by an index walk of its own table, not by a look
 * at every event. */
#include <stdio.h>
#include <string.h>

#include "export/perfetto_priv.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_lists.h"
#include "tracedb/tdb_nav.h"
#include "tracedb/tdb_open.h"

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

static int status_event(struct pf *p, const struct tdb_status_change *sc)
{
	struct pj *j = &p->j;
	int pid = pf_pid(sc->device), r;
	char name[sizeof(sc->names) + 16];

	if ((r = pf_track_names(p, sc->device)) != 0)
		return r;
	/* a reset's names are "0": say what it is */
	snprintf(name, sizeof(name), "status %s", strcmp(sc->kind, "reset") == 0 ? "reset" : sc->names[0] ? sc->names : "0");
	pf_head_s(j, 'i', name, pid, time_at(p, sc->seq));
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
	return pf_write(p, j);
}

int pf_status_changes(struct pf *p)
{
	struct tdb_status_change sc;
	int device = p->o->device, r;

	r = status_first(p, device, p->from, &sc);
	/* status_changes is keyed by seq: each step is strictly later */
	while (r == 0 && sc.seq <= p->to) {
		if ((r = status_event(p, &sc)) != 0)
			return r;
		r = tdb_status_change_near(p->t, device, sc.seq, TDB_FORWARD, &sc);
	}
	return r == 0 || r == TDB_END ? 0 : pf_fail(p, r, "reading the status changes");
}

/* What the callbacks of tdb_violations_at / tdb_anomalies_at need. */
struct finding_walk {
	struct pf *p;
	uint64_t ts;
	int err;
};

static void finding_head(struct pf *p, const char *rule, int device, uint64_t ts, const char *cat)
{
	struct pj *j = &p->j;

	pf_head_s(j, 'i', rule[0] ? rule : "?", device >= 0 ? pf_pid(device) : 0, ts);
	pj_kv_str(j, "cat", cat);
	pj_kv_str(j, "s", device >= 0 ? "t" : "g");
}

/* Whether the export shows device's findings (--device keeps its own). */
static bool shown(const struct pf *p, int device)
{
	return p->o->device < 0 || device == p->o->device;
}

static int violation_fn(void *arg, const struct tdb_violation *v)
{
	struct finding_walk *fw = arg;
	struct pf *p = fw->p;
	struct pj *j = &p->j;

	if (!shown(p, v->device))
		return 0;
	if (v->device >= 0 && (fw->err = pf_track_names(p, v->device)) != 0)
		return 1;
	finding_head(p, v->rule, v->device, fw->ts, "violation");
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
	fw->err = pf_write(p, j);
	return fw->err != 0;
}

static int anomaly_fn(void *arg, const struct tdb_anomaly *a)
{
	struct finding_walk *fw = arg;
	struct pf *p = fw->p;
	struct pj *j = &p->j;

	if (!shown(p, a->device))
		return 0;
	if (a->device >= 0 && (fw->err = pf_track_names(p, a->device)) != 0)
		return 1;
	finding_head(p, a->rule, a->device, fw->ts, "anomaly");
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
	fw->err = pf_write(p, j);
	return fw->err != 0;
}

static int finding_row(void *arg, const struct tdb_event *row)
{
	struct finding_walk *fw = arg;
	struct pf *p = fw->p;
	int r;

	fw->ts = row->ev.ts_ns;
	r = tdb_violations_at(p->t, row->ev.seq, violation_fn, fw);
	if (r == 0 && fw->err == 0 && tdb_has_anomalies(p->t))
		r = tdb_anomalies_at(p->t, row->ev.seq, anomaly_fn, fw);
	if (fw->err != 0)
		return fw->err;
	return r == 0 ? 0 : pf_fail(p, r, "reading the violations");
}

int pf_violations(struct pf *p)
{
	struct finding_walk fw = { .p = p };
	struct tdb_filter f;

	/* The events at which a rule was broken, on the violations' seq
	 * index; each one's rows then by seq.  Every device's events: a
	 * device's violation may lie at an event of none (its used ring
	 * written to memory), shown() keeps --device's own. */
	pf_filter(p, &f, -1, 0);
	f.violations_only = true;
	return pf_each_row(p, &f, false, finding_row, &fw);
}
