/* The Perfetto exporter's threads in the events pass (perfetto_priv.h):
 * which thread an event goes on, and each thread's last X slice.
 *
 * A slice lasts 1 µs, or up to the next event of its thread when that
 * comes sooner (0 when it has the same time), so the slices of a thread
 * never overlap: each thread keeps its last slice, built but not written,
 * until its next event (or the end) gives its duration.  That is one
 * slice held per thread used, whatever the trace's length; the slots of a
 * process are allocated when it first has an event, each thread's when
 * it is first used. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "capture/event.h"
#include "export/perfetto_priv.h"
#include "tracedb/tdb_events.h"

#define SLICE_NS 1000u  /* a register access is drawn 1 µs wide */

/* A thread's last slice, waiting for its duration. */
struct held {
	struct pj j;
	uint64_t ts;
	bool has;
};

struct pf_tracks {
	struct pf *p;
	struct held **slots[PF_PIDS];  /* per process: PF_SLOTS threads, NULL until used */
};

int pf_tid(int pid, int slot)
{
	return slot == PF_SLOT_DEVICE ? pid : pid * 1000 + slot - 1;
}

int pf_slot_of(const struct tdb_event *row)
{
	if (row->ev.type != VMT_EV_MMIO)
		return PF_SLOT_DEVICE;
	return row->ev.vcpu < PF_VCPU_SHARED ? 1 + row->ev.vcpu : PF_SLOTS - 1;
}

int pf_tracks_open(struct pf *p, struct pf_tracks **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return pf_fail(p, -ENOMEM, "for the threads");
	(*out)->p = p;
	return 0;
}

/* Write h's slice with its duration (up to next_ts at most, if the thread
 * has a next event). */
static int held_write(struct pf *p, struct held *h, bool has_next, uint64_t next_ts)
{
	uint64_t dur = SLICE_NS;

	if (!h->has)
		return 0;
	if (has_next)
		dur = next_ts <= h->ts ? 0 : next_ts - h->ts < SLICE_NS ? next_ts - h->ts : SLICE_NS;
	h->has = false;
	pj_kv_us(&h->j, "dur", dur);
	pj_end(&h->j);
	return pf_write(p, &h->j);
}

/* The state of thread (pid, slot), made (and a vCPU thread named) on its
 * first use. */
static int thread_of(struct pf_tracks *tr, int pid, int slot, struct held **out)
{
	struct held **s;
	int r;

	if (pid < 0 || pid >= PF_PIDS || slot < 0 || slot >= PF_SLOTS) {
		snprintf(tr->p->err, tr->p->errlen, "perfetto export: thread %d of process %d out of range", slot, pid);
		return -EINVAL;
	}
	if (!tr->slots[pid] && !(tr->slots[pid] = calloc(PF_SLOTS, sizeof(*tr->slots[pid]))))
		return pf_fail(tr->p, -ENOMEM, "for the threads");
	s = &tr->slots[pid][slot];
	if (!*s) {
		if (!(*s = calloc(1, sizeof(**s))))
			return pf_fail(tr->p, -ENOMEM, "for the threads");
		pj_init(&(*s)->j);
		/* the device's thread is named with its process */
		if (slot != PF_SLOT_DEVICE && (r = pf_vcpu_thread_name(tr->p, pid, slot)) != 0)
			return r;
	}
	*out = *s;
	return 0;
}

int pf_tracks_slice(struct pf_tracks *tr, int pid, int slot, uint64_t ts, struct pj **j)
{
	struct held *h;
	int r;

	if ((r = thread_of(tr, pid, slot, &h)) != 0 || (r = held_write(tr->p, h, true, ts)) != 0)
		return r;
	h->ts = ts;
	h->has = true;
	*j = &h->j;
	return 0;
}

int pf_tracks_instant(struct pf_tracks *tr, int pid, int slot, uint64_t ts)
{
	struct held *h;
	int r;

	if ((r = thread_of(tr, pid, slot, &h)) != 0)
		return r;
	/* a slice at the instant's own time (its event's) stays held: the
	 * instant goes before it, at the same time */
	return h->has && h->ts < ts ? held_write(tr->p, h, true, ts) : 0;
}

int pf_tracks_end(struct pf_tracks *tr)
{
	int r;

	for (int pid = 0; pid < PF_PIDS; pid++)
		for (int slot = 0; tr->slots[pid] && slot < PF_SLOTS; slot++)
			if (tr->slots[pid][slot] && (r = held_write(tr->p, tr->slots[pid][slot], false, 0)) != 0)
				return r;
	return 0;
}

void pf_tracks_free(struct pf_tracks *tr)
{
	if (!tr)
		return;
	for (int pid = 0; pid < PF_PIDS; pid++) {
		for (int slot = 0; tr->slots[pid] && slot < PF_SLOTS; slot++) {
			if (tr->slots[pid][slot])
				pj_free(&tr->slots[pid][slot]->j);
			free(tr->slots[pid][slot]);
		}
		free(tr->slots[pid]);
	}
	free(tr);
}
