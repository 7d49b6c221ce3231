/* QEMU trace text to vmtrace events (qemu_source.h). */
#include "capture/qemu/qemu_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/qemu/qemu_line.h"
#include "capture/qemu/ring_snap.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

/* A thread's QueueNotify write, waiting for its virtio_queue_notify line. */
struct pending_notify {
	uint32_t tid;
	bool set;
	uint64_t base;
	uint32_t value; /* the queue index written (low 16 bits) */
};

struct vdev_map {
	uint64_t vdev; /* QEMU's VirtIODevice pointer */
	uint64_t base;
	bool untrusted; /* seen for two devices */
};

struct vq_map {
	uint64_t vq;   /* QEMU's VirtQueue pointer */
	uint64_t base;
	uint32_t n;
	bool untrusted; /* seen for two queues */
};

/* A queue whose device published used entries (a flush line of thread
 * tid): it is copied again at tid's next line, by which time
 * the thread has stored the used idx it was about to. */
struct used_pending {
	uint32_t tid;
	uint64_t base;
	uint32_t n;
};

/* A thread's last line, when it was a pop or one of the lines QEMU prints
 * for a SCSI command after its pop, which name no element: a
 * virtio_scsi_cmd_req right after a pop is that element's command, a
 * scsi_req_parsed right after the command (same tag, LUN and opcode) is
 * how QEMU's SCSI layer parsed it, and a scsi_req_parsed_lba right after
 * that the LBA it read. */
enum thread_last {
	LAST_POP,
	LAST_SCSI_CMD,
	LAST_SCSI_PARSED,
};

struct thread_pop {
	uint32_t tid;
	bool set;
	enum thread_last what;
	uint64_t elem;
	uint64_t base;
	uint32_t n;
	uint32_t tag, lun, target; /* the SCSI lines' (target: the parse line's) */
	uint8_t cmd;
};

/* An element popped and not yet filled: the queue its blk request is on. */
struct inflight {
	uint64_t elem;
	uint64_t base;
	uint32_t n;
};

struct qemu_source {
	struct qemu_source_cfg cfg;
	struct ring_snap *snap; /* NULL without guest RAM */
	char line[QEMU_LINE_MAX];
	size_t len;
	bool overlong; /* the current line outgrew line[]: skip to its end */
	uint64_t bases[64]; /* device windows seen, for the summary */
	uint32_t dev_ids[64]; /* their DeviceID as last read (0: not read) */
	struct pending_notify pending[QEMU_SOURCE_THREADS_MAX];
	unsigned n_pending;  /* entries of pending[] in use (set or not) */
	unsigned n_set;      /* of those, set */
	struct vdev_map vdevs[QEMU_SOURCE_VDEVS_MAX];
	unsigned n_vdevs;
	struct vq_map vqs[QEMU_SOURCE_VQS_MAX];
	unsigned n_vqs;
	struct inflight inflight[QEMU_SOURCE_INFLIGHT_MAX];
	unsigned n_inflight;
	struct used_pending used[QEMU_SOURCE_USED_PENDING_MAX];
	unsigned n_used;
	struct thread_pop pops[QEMU_SOURCE_THREADS_MAX];
	unsigned n_pops;   /* entries of pops[] in use (set or not) */
	unsigned n_pops_set;
	struct qemu_source_stats st;
};

int qemu_source_new(struct qemu_source **out, const struct qemu_source_cfg *cfg)
{
	struct qemu_source *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (cfg->ram && ring_snap_new(&s->snap, cfg->ram, cfg->emit, cfg->ctx) < 0) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void qemu_source_free(struct qemu_source *s)
{
	if (!s)
		return;
	ring_snap_free(s->snap);
	free(s);
}

void qemu_source_get_stats(const struct qemu_source *s, struct qemu_source_stats *st)
{
	*st = s->st;
	if (s->snap) {
		struct ring_snap_stats rs;
		ring_snap_get_stats(s->snap, &rs);
		st->snapshots = rs.triggers;
		st->snapshot_bytes = rs.bytes;
	}
}

/* A line we could not use: count it, and if it was about a virtio-mmio
 * region, leave a marker and a lost-event record where it happened. */
static int bad_line(struct qemu_source *s, const char *line, size_t len, const char *why, uint64_t now_ns,
		    bool virtio)
{
	char text[160];
	int n, r;

	s->st.bad++;
	if (!s->st.first_bad_line) {
		s->st.first_bad_line = s->st.lines;
		snprintf(s->st.first_bad_why, sizeof(s->st.first_bad_why), "%s", why);
	}
	if (!memmem(line, len, "'" QEMU_SOURCE_REGION, sizeof(QEMU_SOURCE_REGION))) {
		/* A virtio report that does not parse: a marker says so where
		 * it happened, no lost event (no register access was lost). */
		if (!virtio)
			return 0;
		n = snprintf(text, sizeof(text), "qemu trace line %llu: %s (a queue report not recorded)",
			     (unsigned long long)s->st.lines, why);
		struct vmt_event note = {
			.ts_ns = now_ns,
			.type = VMT_EV_MARKER,
			.source = VMT_SRC_QEMU,
			.len = (uint32_t)(n < (int)sizeof(text) ? n : (int)sizeof(text) - 1),
			.data = (const uint8_t *)text,
		};
		return s->cfg.emit(s->cfg.ctx, &note);
	}
	s->st.lost++;
	n = snprintf(text, sizeof(text), "qemu trace line %llu: %s", (unsigned long long)s->st.lines, why);
	struct vmt_event marker = {
		.ts_ns = now_ns,
		.type = VMT_EV_MARKER,
		.source = VMT_SRC_QEMU,
		.len = (uint32_t)(n < (int)sizeof(text) ? n : (int)sizeof(text) - 1),
		.data = (const uint8_t *)text,
	};
	struct vmt_event lost = {
		.ts_ns = now_ns,
		.type = VMT_EV_LOST,
		.source = VMT_SRC_QEMU,
		.value = 1,
	};
	if ((r = s->cfg.emit(s->cfg.ctx, &marker)) < 0)
		return r;
	return s->cfg.emit(s->cfg.ctx, &lost);
}

/* The index of base in bases[] (added if new), or -1 past 64 devices. */
static int count_device(struct qemu_source *s, uint64_t base)
{
	for (unsigned i = 0; i < s->st.devices; i++)
		if (s->bases[i] == base)
			return (int)i;
	if (s->st.devices == 64) /* more than that: the count stops at 64 */
		return -1;
	s->bases[s->st.devices] = base;
	return (int)s->st.devices++;
}

/* The DeviceID last read at base, 0 if none was. */
static uint32_t device_id(const struct qemu_source *s, uint64_t base)
{
	for (unsigned i = 0; i < s->st.devices; i++)
		if (s->bases[i] == base)
			return s->dev_ids[i];
	return 0;
}

/* --- a thread's last pop --- */

static struct thread_pop *pop_find(struct qemu_source *s, uint32_t tid)
{
	for (unsigned i = 0; i < s->n_pops; i++)
		if (s->pops[i].tid == tid)
			return &s->pops[i];
	return NULL;
}

/* Thread tid's line before this one, if it was a pop: into *out, and
 * forgotten (one line only). */
static bool pop_take(struct qemu_source *s, uint32_t tid, struct thread_pop *out)
{
	struct thread_pop *p;

	if (s->n_pops_set == 0 || !(p = pop_find(s, tid)) || !p->set)
		return false;
	p->set = false;
	s->n_pops_set--;
	*out = *p;
	return true;
}

/* Remember thread tid's line (*last, whose tid is taken) for its next one. */
static void pop_set(struct qemu_source *s, const struct thread_pop *last)
{
	uint32_t tid = last->tid;
	struct thread_pop *p = pop_find(s, tid);

	for (unsigned i = 0; i < s->n_pops && !p; i++)
		if (!s->pops[i].set)
			p = &s->pops[i];
	if (!p && s->n_pops < QEMU_SOURCE_THREADS_MAX)
		p = &s->pops[s->n_pops++];
	if (!p) {
		s->st.map_full++;
		return;
	}
	if (!p->set)
		s->n_pops_set++;
	*p = *last;
	p->set = true;
}

/* --- QEMU's pointers to devices and queues --- */

static struct pending_notify *pending_find(struct qemu_source *s, uint32_t tid)
{
	for (unsigned i = 0; i < s->n_pending; i++)
		if (s->pending[i].tid == tid)
			return &s->pending[i];
	return NULL;
}

/* Thread tid wrote value to QueueNotify at base: its next line should be
 * the virtio_queue_notify naming QEMU's pointers for that queue. */
static void pending_set(struct qemu_source *s, uint32_t tid, uint64_t base, uint32_t value)
{
	struct pending_notify *p = pending_find(s, tid);

	if (!p) {
		/* A slot of a thread with nothing pending is reused first. */
		for (unsigned i = 0; i < s->n_pending && !p; i++)
			if (!s->pending[i].set)
				p = &s->pending[i];
		if (!p && s->n_pending < QEMU_SOURCE_THREADS_MAX)
			p = &s->pending[s->n_pending++];
		if (!p) {
			s->st.map_full++;
			return;
		}
	}
	if (!p->set)
		s->n_set++;
	*p = (struct pending_notify){ .tid = tid, .set = true, .base = base, .value = value };
}

/* Take (and forget) what thread tid has pending; false if nothing. */
static bool pending_take(struct qemu_source *s, uint32_t tid, uint64_t *base, uint32_t *value)
{
	struct pending_notify *p;

	if (s->n_set == 0 || !(p = pending_find(s, tid)) || !p->set)
		return false;
	p->set = false;
	s->n_set--;
	*base = p->base;
	*value = p->value;
	return true;
}

static void map_vdev(struct qemu_source *s, uint64_t vdev, uint64_t base)
{
	for (unsigned i = 0; i < s->n_vdevs; i++) {
		struct vdev_map *m = &s->vdevs[i];
		if (m->vdev != vdev)
			continue;
		if (m->base != base && !m->untrusted) {
			m->untrusted = true;
			s->st.map_conflicts++;
		}
		return;
	}
	if (s->n_vdevs == QEMU_SOURCE_VDEVS_MAX) {
		s->st.map_full++;
		return;
	}
	s->vdevs[s->n_vdevs++] = (struct vdev_map){ .vdev = vdev, .base = base };
}

static void map_vq(struct qemu_source *s, uint64_t vq, uint64_t base, uint32_t n)
{
	for (unsigned i = 0; i < s->n_vqs; i++) {
		struct vq_map *m = &s->vqs[i];
		if (m->vq != vq)
			continue;
		if ((m->base != base || m->n != n) && !m->untrusted) {
			m->untrusted = true;
			s->st.map_conflicts++;
		}
		return;
	}
	if (s->n_vqs == QEMU_SOURCE_VQS_MAX) {
		s->st.map_full++;
		return;
	}
	s->vqs[s->n_vqs++] = (struct vq_map){ .vq = vq, .base = base, .n = n };
	s->st.queues_mapped = s->n_vqs;
}

/* The device base of vdev, if mapped and trusted. */
static bool find_vdev(const struct qemu_source *s, uint64_t vdev, uint64_t *base)
{
	for (unsigned i = 0; i < s->n_vdevs; i++)
		if (s->vdevs[i].vdev == vdev) {
			*base = s->vdevs[i].base;
			return !s->vdevs[i].untrusted;
		}
	return false;
}

/* The queue vq is, if mapped and trusted. */
static bool find_vq(const struct qemu_source *s, uint64_t vq, uint64_t *base, uint32_t *n)
{
	for (unsigned i = 0; i < s->n_vqs; i++)
		if (s->vqs[i].vq == vq) {
			*base = s->vqs[i].base;
			*n = s->vqs[i].n;
			return !s->vqs[i].untrusted;
		}
	return false;
}

static struct inflight *inflight_find(struct qemu_source *s, uint64_t elem)
{
	for (unsigned i = 0; i < s->n_inflight; i++)
		if (s->inflight[i].elem == elem)
			return &s->inflight[i];
	return NULL;
}

/* QEMU frees an element after use and malloc hands the address out
 * again: a pop of a known element replaces it. */
static void inflight_add(struct qemu_source *s, uint64_t elem, uint64_t base, uint32_t n)
{
	struct inflight *f = inflight_find(s, elem);

	if (!f) {
		if (s->n_inflight == QEMU_SOURCE_INFLIGHT_MAX) {
			s->st.map_full++;
			return;
		}
		f = &s->inflight[s->n_inflight++];
	}
	*f = (struct inflight){ .elem = elem, .base = base, .n = n };
}

static void inflight_remove(struct qemu_source *s, struct inflight *f)
{
	*f = s->inflight[--s->n_inflight];
}

static void inflight_drop_device(struct qemu_source *s, uint64_t base)
{
	for (unsigned i = 0; i < s->n_inflight;)
		if (s->inflight[i].base == base)
			inflight_remove(s, &s->inflight[i]);
		else
			i++;
}

/* --- copies after a flush --- */

/* Forget the pending copies of (base, n), or of every queue of base when
 * all_queues: a copy of them was just taken. */
static void used_drop(struct qemu_source *s, uint64_t base, uint32_t n, bool all_queues)
{
	for (unsigned i = 0; i < s->n_used;)
		if (s->used[i].base == base && (all_queues || s->used[i].n == n))
			s->used[i] = s->used[--s->n_used];
		else
			i++;
}

/* Remember to copy queue n of base again at thread tid's next line.  A
 * full list keeps what it has (the copy taken at the flush line stands). */
static void used_add(struct qemu_source *s, uint32_t tid, uint64_t base, uint32_t n)
{
	for (unsigned i = 0; i < s->n_used; i++)
		if (s->used[i].tid == tid && s->used[i].base == base && s->used[i].n == n)
			return;
	if (s->n_used == QEMU_SOURCE_USED_PENDING_MAX) {
		s->st.map_full++;
		return;
	}
	s->used[s->n_used++] = (struct used_pending){ .tid = tid, .base = base, .n = n };
}

/* Take the pending copies of thread tid (every thread's when all).
 * Returns 0 or the emit error. */
static int used_run(struct qemu_source *s, uint32_t tid, bool all, uint64_t ts)
{
	for (unsigned i = 0; i < s->n_used;) {
		struct used_pending u = s->used[i];
		int r;
		if (!all && u.tid != tid) {
			i++;
			continue;
		}
		s->used[i] = s->used[--s->n_used];
		s->st.used_snapshots++;
		if ((r = ring_snap_queue(s->snap, u.base, u.n, ts)) < 0)
			return r;
	}
	return 0;
}

static int queue_event(struct qemu_source *s, uint64_t ts, uint64_t base, uint32_t n, enum vmt_queue_step step,
		       uint64_t token, uint64_t arg0, uint64_t arg1)
{
	uint8_t data[VMT_QUEUE_REPORT_BYTES];
	struct vmt_queue_report q = { .token = token, .arg0 = arg0, .arg1 = arg1 };
	struct vmt_event ev = {
		.ts_ns = ts,
		.type = VMT_EV_QUEUE,
		.source = VMT_SRC_QEMU,
		.base = base,
		.addr = n,
		.value = step,
		.len = VMT_QUEUE_REPORT_BYTES,
		.data = data,
	};

	vmt_queue_report_encode(&q, data);
	s->st.reports++;
	return s->cfg.emit(s->cfg.ctx, &ev);
}

/* One virtio event line of thread tid (its pending notify already taken
 * into had_notify/nbase/nvalue). */
static int virtio_event(struct qemu_source *s, const struct qemu_access *a, uint64_t now_ns, bool had_notify,
			uint64_t nbase, uint32_t nvalue, const struct thread_pop *prev)
{
	const struct qemu_virtio *v = &a->vio;
	uint64_t ts = a->has_time ? a->time_ns : now_ns;
	uint64_t base, vbase;
	uint32_t n;
	struct inflight *f;
	int r;

	switch (v->kind) {
	case QEMU_VIRTIO_NOTIFY:
		s->st.notifies++;
		if (!had_notify || nvalue != v->n || !v->vdev || !v->vq) {
			s->st.notifies_unmatched++;
			return 0;
		}
		map_vdev(s, v->vdev, nbase);
		map_vq(s, v->vq, nbase, v->n);
		return 0;
	case QEMU_VIRTIO_POP:
		if (!find_vq(s, v->vq, &base, &n))
			break;
		/* Copy what the device is about to read: with the lockstep
		 * pipe QEMU's thread waits at its next line while we copy. */
		if (s->snap) {
			if ((r = ring_snap_queue(s->snap, base, n, ts)) < 0)
				return r;
			s->st.pop_snapshots++;
			used_drop(s, base, n, false);
		}
		inflight_add(s, v->elem, base, n);
		pop_set(s, &(struct thread_pop){ .tid = a->tid, .what = LAST_POP, .elem = v->elem, .base = base, .n = n });
		return queue_event(s, ts, base, n, VMT_QSTEP_POP, v->elem, v->in_num, v->out_num);
	case QEMU_VIRTIO_FILL:
		if ((f = inflight_find(s, v->elem)) != NULL)
			inflight_remove(s, f);
		if (!find_vq(s, v->vq, &base, &n))
			break;
		return queue_event(s, ts, base, n, VMT_QSTEP_FILL, v->elem, v->len, v->idx);
	case QEMU_VIRTIO_FLUSH:
		if (!find_vq(s, v->vq, &base, &n))
			break;
		/* The device is publishing used entries; the driver may take
		 * them and reuse their buffers without a register access that
		 * would trigger a copy (an interrupt handler already running
		 * picks them up, and with EVENT_IDX the device then raises no
		 * interrupt).  QEMU prints the line just before it stores the
		 * used idx: copy now (usually stored by the time we read), and
		 * again at the thread's next line (stored for sure).  Both
		 * sides, avail first: QEMU may have run ahead, and a used entry
		 * must not come before its chain. */
		if (s->snap) {
			s->st.used_snapshots++;
			if ((r = ring_snap_queue(s->snap, base, n, ts)) < 0)
				return r;
			used_add(s, a->tid, base, n);
		}
		return queue_event(s, ts, base, n, VMT_QSTEP_FLUSH, 0, v->count, 0);
	case QEMU_VIRTIO_BLK_READ:
	case QEMU_VIRTIO_BLK_WRITE:
		if (!find_vdev(s, v->vdev, &vbase))
			break;
		if (!(f = inflight_find(s, v->elem)) || f->base != vbase) {
			s->st.reports_no_pop++;
			return 0;
		}
		return queue_event(s, ts, vbase, f->n,
				   v->kind == QEMU_VIRTIO_BLK_READ ? VMT_QSTEP_BLK_READ : VMT_QSTEP_BLK_WRITE, v->elem,
				   v->sector, v->nsectors);
	case QEMU_VIRTIO_SCSI_CMD: {
		/* QEMU prints it right after the pop of the command's element,
		 * on the same thread; only for a device that said it is SCSI. */
		if (!prev || prev->what != LAST_POP || device_id(s, prev->base) != VIRTIO_ID_SCSI) {
			s->st.reports_no_pop++;
			return 0;
		}
		struct thread_pop cmd = *prev;
		cmd.what = LAST_SCSI_CMD;
		cmd.tag = v->tag;
		cmd.lun = v->lun;
		cmd.cmd = v->cmd;
		pop_set(s, &cmd);
		return queue_event(s, ts, prev->base, prev->n, VMT_QSTEP_SCSI_CMD, prev->elem, v->cmd, v->lun);
	}
	case QEMU_VIRTIO_SCSI_PARSED:
	case QEMU_VIRTIO_SCSI_LBA: {
		/* The SCSI layer parses the command virtio-scsi just printed
		 * (scsi_req_new), on the same thread: the same tag, LUN and
		 * opcode, or it is some other HBA's command. */
		enum thread_last want = v->kind == QEMU_VIRTIO_SCSI_PARSED ? LAST_SCSI_CMD : LAST_SCSI_PARSED;
		if (!prev || prev->what != want || prev->tag != v->tag || prev->lun != v->lun || prev->cmd != v->cmd ||
		    (want == LAST_SCSI_PARSED && prev->target != v->target)) {
			s->st.reports_no_pop++;
			return 0;
		}
		if (v->kind == QEMU_VIRTIO_SCSI_LBA)
			return queue_event(s, ts, prev->base, prev->n, VMT_QSTEP_SCSI_LBA, prev->elem, v->lba, 0);
		struct thread_pop parsed = *prev;
		parsed.what = LAST_SCSI_PARSED;
		parsed.target = v->target;
		pop_set(s, &parsed);
		return queue_event(s, ts, prev->base, prev->n, VMT_QSTEP_SCSI_XFER, prev->elem, v->xfer, v->dir);
	}
	}
	s->st.reports_unmapped++;
	return 0;
}

static int access_event(struct qemu_source *s, const struct qemu_access *a, uint64_t now_ns)
{
	uint64_t base = a->addr & ~(uint64_t)(VIRTIO_MMIO_REGION_SIZE - 1);
	uint32_t off = (uint32_t)(a->addr - base);
	uint64_t ts = a->has_time ? a->time_ns : now_ns;
	int r;

	if (s->snap && (r = ring_snap_access(s->snap, base, off, a->write, a->size, a->value, ts)) < 0)
		return r;
	/* Copies ring_snap_access took just now (ring_snap.h): pending ones
	 * of the same queues have nothing left to do. */
	if (s->n_used && a->size == 4) {
		if (!a->write && off == MMIO_INTERRUPT_STATUS)
			used_drop(s, base, 0, true);
		else if (a->write && off == MMIO_STATUS && a->value == 0)
			used_drop(s, base, 0, true);
		else if (a->write && off == MMIO_QUEUE_NOTIFY)
			used_drop(s, base, (uint32_t)a->value & 0xffffu, false);
	}
	struct vmt_event ev = {
		.ts_ns = ts,
		.type = VMT_EV_MMIO,
		.source = VMT_SRC_QEMU,
		.dir = a->write ? VMT_DIR_WRITE : VMT_DIR_READ,
		.width = (uint8_t)a->size,
		.vcpu = a->cpu > UINT16_MAX ? UINT16_MAX : (uint16_t)a->cpu,
		.base = base,
		.addr = off,
		.value = a->value,
	};
	s->st.accesses++;
	int di = count_device(s, base);
	if (di >= 0 && !a->write && a->size == 4 && off == MMIO_DEVICE_ID)
		s->dev_ids[di] = (uint32_t)a->value;
	if (a->write && a->size == 4 && off == MMIO_QUEUE_NOTIFY)
		pending_set(s, a->tid, base, (uint32_t)a->value & 0xffffu);
	else if (a->write && off == MMIO_STATUS && a->value == 0)
		inflight_drop_device(s, base); /* a reset abandons the device's elements */
	return s->cfg.emit(s->cfg.ctx, &ev);
}

/* Does a bad line name one of the virtio events (qemu_line.h)? */
static bool names_virtio_event(const char *line, size_t len)
{
	return memmem(line, len, "virtio_queue_notify ", 20) || memmem(line, len, "virtqueue_pop ", 14) ||
	       memmem(line, len, "virtqueue_fill ", 15) || memmem(line, len, "virtqueue_flush ", 16) ||
	       memmem(line, len, "virtio_blk_handle_", 18) || memmem(line, len, "virtio_scsi_cmd_req ", 20) ||
	       memmem(line, len, "scsi_req_parsed", 15);
}

static int one_line(struct qemu_source *s, const char *line, size_t len, uint64_t now_ns)
{
	struct qemu_access a;
	const char *why;

	enum qemu_line_kind kind;
	uint64_t nbase = 0;
	uint32_t nvalue = 0;
	bool had_notify = false, had_pop = false;
	struct thread_pop prev;

	s->st.lines++;
	if (s->overlong)
		return bad_line(s, line, len, "line longer than 4096 bytes", now_ns, names_virtio_event(line, len));
	kind = qemu_line_parse(line, len, &a, &why);
	/* A QueueNotify write waits for the thread's very next access or
	 * virtio line; other text does not count (a user's own -trace
	 * events may come between). */
	if (kind == QEMU_LINE_ACCESS || kind == QEMU_LINE_VIRTIO) {
		had_notify = pending_take(s, a.tid, &nbase, &nvalue);
		had_pop = pop_take(s, a.tid, &prev);
		/* The thread got past its flush: the used idx is stored. */
		int r;
		if (s->n_used && (r = used_run(s, a.tid, false, a.has_time ? a.time_ns : now_ns)) < 0)
			return r;
	}
	switch (kind) {
	case QEMU_LINE_ACCESS:
		if (strcmp(a.name, QEMU_SOURCE_REGION) == 0)
			return access_event(s, &a, now_ns);
		s->st.other++;
		return 0;
	case QEMU_LINE_VIRTIO:
		return virtio_event(s, &a, now_ns, had_notify, nbase, nvalue, had_pop ? &prev : NULL);
	case QEMU_LINE_BAD:
		return bad_line(s, line, len, why, now_ns, names_virtio_event(line, len));
	default:
		s->st.other++;
		return 0;
	}
}

int qemu_source_feed(struct qemu_source *s, const char *buf, size_t len, uint64_t now_ns)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;
		int r;

		if (!s->overlong && take <= sizeof(s->line) - s->len) {
			memcpy(s->line + s->len, buf, take);
			s->len += take;
		} else if (!s->overlong) {
			/* Keep the start (it says whose line it was), drop the rest. */
			memcpy(s->line + s->len, buf, sizeof(s->line) - s->len);
			s->len = sizeof(s->line);
			s->overlong = true;
		}
		if (!nl)
			return 0;
		r = one_line(s, s->line, s->len, now_ns);
		s->len = 0;
		s->overlong = false;
		if (r < 0)
			return r;
		buf += take + 1;
		len -= take + 1;
	}
	return 0;
}

int qemu_source_idle(struct qemu_source *s, uint64_t now_ns)
{
	if (!s->n_used)
		return 0;
	return used_run(s, 0, true, now_ns);
}

/* The trace's last copies: pending ones, then every live queue (what the
 * device used after the last trigger). */
static int final_copies(struct qemu_source *s, uint64_t now_ns)
{
	int r;

	if (!s->snap)
		return 0;
	if ((r = used_run(s, 0, true, now_ns)) < 0)
		return r;
	s->st.final_snapshots++;
	return ring_snap_all(s->snap, now_ns);
}

int qemu_source_end(struct qemu_source *s, uint64_t now_ns)
{
	struct qemu_access a;
	enum qemu_line_kind kind;
	const char *why;
	int r = 0;

	if (s->len == 0 && !s->overlong)
		return final_copies(s, now_ns);
	kind = s->overlong ? QEMU_LINE_BAD : qemu_line_parse(s->line, s->len, &a, &why);
	if (kind == QEMU_LINE_ACCESS) {
		/* Complete up to its closing quote: only the newline is missing. */
		r = one_line(s, s->line, s->len, now_ns);
	} else if (kind == QEMU_LINE_BAD || kind == QEMU_LINE_VIRTIO) {
		/* A last line without its newline: QEMU was cut off mid-write
		 * (a virtio line's last number may be cut: not used). */
		s->st.lines++;
		r = bad_line(s, s->line, s->len, "last line cut short (no newline)", now_ns,
			     kind == QEMU_LINE_VIRTIO || names_virtio_event(s->line, s->len));
	}
	s->len = 0;
	s->overlong = false;
	return r < 0 ? r : final_copies(s, now_ns);
}
