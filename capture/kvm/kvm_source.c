/* KVM MMIO ring records to vmtrace events (kvm_source.h). */
#include "capture/kvm/kvm_source.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/mmio.h"
#include "virtio/virtio.h"

#define WIN_MASK ((uint64_t)VIRTIO_MMIO_REGION_SIZE - 1)
#define NO_WINDOW UINT32_MAX

enum win_state {
	WIN_UNKNOWN = 0, /* no MagicValue read seen yet: accesses are held back */
	WIN_VIRTIO,      /* MagicValue read, or listed by the user */
	WIN_OTHER,       /* offset 0 read back something else */
	WIN_AGED,        /* undecided for too long: taken as not virtio */
};

struct window {
	uint64_t base;
	uint8_t state;          /* enum win_state */
	uint64_t dropped_other; /* accesses dropped while WIN_OTHER */
	uint64_t dropped_aged;  /* accesses dropped while undecided or WIN_AGED */
	uint64_t lost_pending;  /* dropped accesses of a window since proven virtio,
				 * to be reported before its next access */
};

enum held_kind {
	HELD_ACCESS,     /* an MMIO event, or guest memory (data owned) */
	HELD_INCOMPLETE, /* a write whose value is unknown (fast MMIO): marker + lost */
	HELD_LOST,       /* records the ring had no room for: ev.value of them */
	HELD_MARKER,     /* a note (data owned), written whatever the windows */
};

/* An event waiting for its window to be decided, or behind one that is. */
struct held {
	struct vmt_event ev; /* data: NULL, or owned (malloc) while held */
	uint64_t rec_ns;     /* record time, for the hold limit */
	uint32_t win;        /* index in windows[], NO_WINDOW for HELD_LOST */
	uint8_t kind;        /* enum held_kind */
	uint8_t rec_kind;    /* MMIO_REC_* for HELD_INCOMPLETE */
};

struct vcpu_map {
	uint32_t tid;
	uint16_t vcpu;
};

struct kvm_source {
	struct kvm_source_cfg cfg;
	struct kvm_window *user_windows; /* copy of cfg.windows (malloc) */

	struct window *wins;  /* dense, in order of first access (malloc) */
	uint32_t n_wins, cap_wins;
	uint32_t *hash;       /* open addressing: index + 1 into wins, 0 empty (malloc) */
	uint32_t hash_size;   /* a power of two, at least twice n_wins */

	struct held *fifo;    /* ring of held events (malloc) */
	uint32_t fifo_cap, fifo_head, fifo_len;

	struct vcpu_map vcpus[KVM_SOURCE_VCPUS_MAX];
	uint32_t n_vcpus;
	uint32_t last_vcpu;   /* index of the last hit */
	uint16_t next_unnamed;

	uint64_t held_bytes;  /* data bytes of held events */
	uint16_t snap_failed[8]; /* MMIO_SNAP_* reasons already explained by a marker */

	struct kvm_source_stats st;
};

static uint32_t hash_base(uint64_t base)
{
	uint64_t h = (base >> 9) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

static int hash_grow(struct kvm_source *s)
{
	uint32_t size = s->hash_size ? s->hash_size * 2 : 256;
	uint32_t *h = calloc(size, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n_wins; i++) {
		uint32_t j = hash_base(s->wins[i].base) & (size - 1);
		while (h[j])
			j = (j + 1) & (size - 1);
		h[j] = i + 1;
	}
	free(s->hash);
	s->hash = h;
	s->hash_size = size;
	return 0;
}

static enum win_state initial_state(const struct kvm_source *s, uint64_t base)
{
	for (size_t i = 0; i < s->cfg.n_windows; i++) {
		const struct kvm_window *w = &s->user_windows[i];
		/* Any overlap with a listed range: the window is the user's. */
		if (base + VIRTIO_MMIO_REGION_SIZE > w->base && base - w->base < w->size)
			return WIN_VIRTIO;
	}
	return WIN_UNKNOWN;
}

/* The window at base, created on its first access.  Returns its index,
 * NO_WINDOW if the table is full, or -ENOMEM (as a negative int64). */
static int64_t window_get(struct kvm_source *s, uint64_t base)
{
	uint32_t j;

	if (s->hash_size) {
		j = hash_base(base) & (s->hash_size - 1);
		while (s->hash[j]) {
			if (s->wins[s->hash[j] - 1].base == base)
				return s->hash[j] - 1;
			j = (j + 1) & (s->hash_size - 1);
		}
	}
	if (s->n_wins >= KVM_SOURCE_WINDOWS_MAX)
		return NO_WINDOW;
	if (s->n_wins == s->cap_wins) {
		uint32_t cap = s->cap_wins ? s->cap_wins * 2 : 64;
		struct window *w = realloc(s->wins, cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		s->wins = w;
		s->cap_wins = cap;
	}
	if ((s->n_wins + 1) * 2 > s->hash_size && hash_grow(s) < 0)
		return -ENOMEM;
	struct window *w = &s->wins[s->n_wins];
	memset(w, 0, sizeof(*w));
	w->base = base;
	w->state = (uint8_t)initial_state(s, base);
	if (w->state == WIN_VIRTIO)
		s->st.devices++;
	j = hash_base(base) & (s->hash_size - 1);
	while (s->hash[j])
		j = (j + 1) & (s->hash_size - 1);
	s->hash[j] = s->n_wins + 1;
	return s->n_wins++;
}

/* vCPU number of a thread: "CPU n/KVM" (QEMU's name) is n; other threads
 * are numbered in the order they appear. */
static uint16_t vcpu_of(struct kvm_source *s, uint32_t tid)
{
	char path[64], comm[32];
	unsigned n;
	uint16_t v;

	if (s->n_vcpus && s->vcpus[s->last_vcpu].tid == tid)
		return s->vcpus[s->last_vcpu].vcpu;
	for (uint32_t i = 0; i < s->n_vcpus; i++)
		if (s->vcpus[i].tid == tid) {
			s->last_vcpu = i;
			return s->vcpus[i].vcpu;
		}
	if (s->n_vcpus >= KVM_SOURCE_VCPUS_MAX)
		return UINT16_MAX;
	v = s->next_unnamed;
	if (s->cfg.thread_names) {
		int fd;
		ssize_t k = -1;

		snprintf(path, sizeof(path), "/proc/%u/comm", tid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			k = read(fd, comm, sizeof(comm) - 1);
			close(fd);
		}
		if (k > 0) {
			comm[k] = '\0';
			if (sscanf(comm, "CPU %u/KVM", &n) == 1 && n < UINT16_MAX)
				v = (uint16_t)n;
		}
	}
	if (v == s->next_unnamed)
		s->next_unnamed++;
	s->vcpus[s->n_vcpus] = (struct vcpu_map){ .tid = tid, .vcpu = v };
	s->last_vcpu = s->n_vcpus++;
	s->st.vcpus = s->n_vcpus;
	return v;
}

static int emit_lost(struct kvm_source *s, uint64_t ts, uint64_t base, uint64_t n, const char *why)
{
	char text[200];
	int len = snprintf(text, sizeof(text), "%s", why), r;
	struct vmt_event marker = {
		.ts_ns = ts,
		.type = VMT_EV_MARKER,
		.source = VMT_SRC_KVM_BPF,
		.base = base,
		.len = (uint32_t)(len < (int)sizeof(text) ? len : (int)sizeof(text) - 1),
		.data = (const uint8_t *)text,
	};
	struct vmt_event lost = {
		.ts_ns = ts,
		.type = VMT_EV_LOST,
		.source = VMT_SRC_KVM_BPF,
		.base = base,
		.value = n,
	};

	if ((r = s->cfg.emit(s->cfg.ctx, &marker)) < 0)
		return r;
	s->st.lost += n;
	return s->cfg.emit(s->cfg.ctx, &lost);
}

/* Write a held or direct event of a decided, virtio window. */
static int write_held(struct kvm_source *s, const struct held *h)
{
	char why[200];
	int r;

	if (h->kind == HELD_MARKER)
		return s->cfg.emit(s->cfg.ctx, &h->ev);
	if (h->kind == HELD_LOST) {
		snprintf(why, sizeof(why), "kvm-bpf: the BPF ring buffer was full: %llu record%s lost",
			 (unsigned long long)h->ev.value, h->ev.value == 1 ? "" : "s");
		return emit_lost(s, h->ev.ts_ns, 0, h->ev.value, why);
	}
	struct window *w = &s->wins[h->win];
	if (w->lost_pending) {
		snprintf(why, sizeof(why),
			 "kvm-bpf: %llu access%s to 0x%llx before its MagicValue read were dropped "
			 "(the window was undecided too long or read back another value)",
			 (unsigned long long)w->lost_pending, w->lost_pending == 1 ? "" : "es",
			 (unsigned long long)w->base);
		r = emit_lost(s, h->ev.ts_ns, w->base, w->lost_pending, why);
		w->lost_pending = 0;
		if (r < 0)
			return r;
	}
	if (h->kind == HELD_INCOMPLETE) {
		s->st.incomplete++;
		snprintf(why, sizeof(why),
			 "kvm-bpf: write to 0x%llx+0x%llx taken by an ioeventfd on KVM's fast path "
			 "(kvm_fast_mmio): width and value not visible",
			 (unsigned long long)w->base, (unsigned long long)h->ev.addr);
		return emit_lost(s, h->ev.ts_ns, w->base, 1, why);
	}
	if (h->ev.type == VMT_EV_MEM) {
		s->st.snapshot_events++;
		s->st.snapshot_bytes += h->ev.len;
		if (h->ev.flags & VMT_MEM_BEST_EFFORT)
			s->st.snapshot_best_effort++;
	} else if (h->ev.type == VMT_EV_MMIO) {
		s->st.accesses++;
	}
	return s->cfg.emit(s->cfg.ctx, &h->ev);
}

static void held_release(struct kvm_source *s, struct held *h)
{
	if (h->ev.data) {
		s->held_bytes -= h->ev.len;
		free((void *)h->ev.data);
		h->ev.data = NULL;
	}
}

static void drop_held(struct kvm_source *s, const struct held *h)
{
	struct window *w = &s->wins[h->win];

	if (h->ev.type == VMT_EV_MEM) {
		s->st.snapshot_dropped++;
		return;
	}
	if (w->state == WIN_OTHER) {
		w->dropped_other++;
		s->st.other++;
	} else {
		w->dropped_aged++;
		s->st.dropped_undecided++;
	}
}

/* Write or drop held events from the head while their windows are
 * decided; an undecided head waits until it is older than hold_ns, or
 * goes if force (the queue is full). */
static int drain(struct kvm_source *s, uint64_t now_ns, bool force)
{
	while (s->fifo_len) {
		struct held *h = &s->fifo[s->fifo_head];
		int r = 0;

		if (h->win != NO_WINDOW) {
			struct window *w = &s->wins[h->win];
			if (w->state == WIN_UNKNOWN) {
				bool old = now_ns > h->rec_ns && now_ns - h->rec_ns >= s->cfg.hold_ns;
				if (!old && !force)
					break;
				w->state = WIN_AGED;
			}
			if (w->state == WIN_VIRTIO)
				r = write_held(s, h);
			else
				drop_held(s, h);
		} else {
			r = write_held(s, h);
		}
		force = false;
		held_release(s, h);
		s->fifo_head = (s->fifo_head + 1) % s->fifo_cap;
		s->fifo_len--;
		if (r < 0)
			return r;
	}
	return 0;
}

static int push(struct kvm_source *s, const struct held *h, uint64_t now_ns)
{
	int r;

	while ((s->fifo_len == s->cfg.hold_max || s->held_bytes > KVM_SOURCE_HOLD_BYTES_MAX) && s->fifo_len)
		if ((r = drain(s, now_ns, true)) < 0)
			return r;
	if (s->fifo_len == s->fifo_cap) {
		uint32_t cap = s->fifo_cap ? s->fifo_cap * 2 : 256;
		struct held *f;

		if (cap > s->cfg.hold_max)
			cap = s->cfg.hold_max;
		f = malloc((size_t)cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->fifo_len; i++)
			f[i] = s->fifo[(s->fifo_head + i) % s->fifo_cap];
		free(s->fifo);
		s->fifo = f;
		s->fifo_cap = cap;
		s->fifo_head = 0;
	}
	struct held *slot = &s->fifo[(s->fifo_head + s->fifo_len) % s->fifo_cap];
	*slot = *h;
	if (h->ev.len && h->ev.data) {
		/* The caller's bytes are borrowed: keep a copy while held. */
		uint8_t *copy = malloc(h->ev.len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, h->ev.data, h->ev.len);
		slot->ev.data = copy;
		s->held_bytes += h->ev.len;
	}
	s->fifo_len++;
	if (s->fifo_len > s->st.held_max)
		s->st.held_max = s->fifo_len;
	return 0;
}

static void set_virtio(struct kvm_source *s, struct window *w)
{
	if (w->state == WIN_VIRTIO)
		return;
	/* What was dropped from it was virtio after all: lost. */
	w->lost_pending += w->dropped_other + w->dropped_aged;
	s->st.other -= w->dropped_other;
	s->st.dropped_undecided -= w->dropped_aged;
	w->dropped_other = w->dropped_aged = 0;
	w->state = WIN_VIRTIO;
	s->st.devices++;
}

static int one_access(struct kvm_source *s, const struct mmio_rec *rec, uint64_t now_ns)
{
	uint64_t base = rec->gpa & ~WIN_MASK;
	int64_t wi = window_get(s, base);
	struct window *w;
	struct held h;

	if (wi < 0)
		return (int)wi;
	if (wi == NO_WINDOW) {
		s->st.other++; /* more windows than vmtrace keeps track of */
		return 0;
	}
	w = &s->wins[wi];
	if (rec->kind == MMIO_REC_READ && (rec->gpa & WIN_MASK) == 0 && rec->len == 4) {
		if (rec->val == VIRTIO_MMIO_MAGIC)
			set_virtio(s, w);
		else if (w->state != WIN_VIRTIO)
			w->state = WIN_OTHER;
	}
	if (w->state == WIN_OTHER || w->state == WIN_AGED) {
		drop_held(s, &(struct held){ .win = (uint32_t)wi });
		return drain(s, now_ns, false);
	}
	memset(&h, 0, sizeof(h));
	h.ev = (struct vmt_event){
		.ts_ns = rec->ts_ns > s->cfg.t0_ns ? rec->ts_ns - s->cfg.t0_ns : 0,
		.type = VMT_EV_MMIO,
		.source = VMT_SRC_KVM_BPF,
		.dir = rec->kind == MMIO_REC_READ ? VMT_DIR_READ : VMT_DIR_WRITE,
		.width = rec->len,
		.vcpu = vcpu_of(s, rec->tid),
		.base = base,
		.addr = rec->gpa & WIN_MASK,
		.value = rec->val,
	};
	h.rec_ns = rec->ts_ns;
	h.win = (uint32_t)wi;
	h.kind = rec->kind == MMIO_REC_READ || rec->kind == MMIO_REC_WRITE ? HELD_ACCESS : HELD_INCOMPLETE;
	h.rec_kind = rec->kind;
	if (s->fifo_len == 0 && w->state == WIN_VIRTIO)
		return write_held(s, &h);
	int r = push(s, &h, now_ns);
	return r < 0 ? r : drain(s, now_ns, false);
}

/* Guest memory the program copied at a trigger: a VMT_EV_MEM snapshot,
 * in order with the trigger's window (it comes just before the access). */
static int one_mem(struct kvm_source *s, const uint8_t *data, size_t len, uint64_t now_ns)
{
	struct mem_rec hdr;
	struct held h;
	int64_t wi;

	if (len < MEM_REC_HEADER) {
		s->st.bad++;
		return 0;
	}
	memcpy(&hdr, data, MEM_REC_HEADER);
	if (hdr.len == 0 || hdr.len > MMIO_MEM_CHUNK || len < MEM_REC_HEADER + (size_t)hdr.len) {
		s->st.bad++;
		return 0;
	}
	wi = window_get(s, hdr.trigger_gpa & ~WIN_MASK);
	if (wi < 0)
		return (int)wi;
	if (wi == NO_WINDOW || s->wins[wi].state == WIN_OTHER || s->wins[wi].state == WIN_AGED) {
		s->st.snapshot_dropped++;
		return 0;
	}
	memset(&h, 0, sizeof(h));
	h.ev = (struct vmt_event){
		.ts_ns = hdr.ts_ns > s->cfg.t0_ns ? hdr.ts_ns - s->cfg.t0_ns : 0,
		.type = VMT_EV_MEM,
		.source = VMT_SRC_KVM_BPF,
		.vcpu = vcpu_of(s, hdr.tid),
		/* Exact unless a ring index moved while it was copied. */
		.flags = (uint16_t)(VMT_MEM_SNAPSHOT | (hdr.flags & MMIO_MEM_BEST_EFFORT ? VMT_MEM_BEST_EFFORT : 0) |
				    (hdr.flags & MMIO_MEM_TRUNCATED ? VMT_MEM_TRUNCATED : 0)),
		.addr = hdr.gpa,
		.len = hdr.len,
		.data = data + MEM_REC_HEADER,
	};
	h.rec_ns = hdr.ts_ns;
	h.win = (uint32_t)wi;
	h.kind = HELD_ACCESS;
	if (s->fifo_len == 0 && s->wins[wi].state == WIN_VIRTIO)
		return write_held(s, &h);
	int r = push(s, &h, now_ns);
	return r < 0 ? r : drain(s, now_ns, false);
}

static const char *snap_why(uint64_t why)
{
	switch (why) {
	case MMIO_SNAP_NO_SLOT:
		return "guest memory outside every memory slot vmtrace saw the VMM set (KVM_SET_USER_MEMORY_REGION "
		       "before vmtrace attached?)";
	case MMIO_SNAP_FAULT:
		return "the VMM's memory could not be read from the BPF program (not resident)";
	case MMIO_SNAP_NO_QUEUE:
		return "the queue's set-up was not seen (or its index is beyond what the program follows)";
	case MMIO_SNAP_RING_FULL:
		return "the BPF ring buffer was full";
	case MMIO_SNAP_LIMIT:
		return "more descriptors or bytes than one snapshot takes";
	case MMIO_SNAP_NO_DEVICE:
		return "more devices than the BPF program follows (" MMIO_DEVICES_MAX_STR "): this one's rings are "
		       "not copied";
	default:
		return "unknown reason";
	}
}

/* A snapshot cut short: counted; the first of each reason is explained
 * by a marker in the trace. */
static int one_snap_fail(struct kvm_source *s, const struct mmio_rec *rec, uint64_t now_ns)
{
	char text[256];
	uint64_t base = rec->gpa & ~WIN_MASK;
	unsigned why = rec->val < 8 ? (unsigned)rec->val : 0;
	int n;

	s->st.snapshot_failed++;
	if (s->snap_failed[why]++)
		return 0;
	n = snprintf(text, sizeof(text), "kvm-bpf: ring snapshot at 0x%llx+0x%llx incomplete: %s (later ones "
		     "for this reason are only counted)",
		     (unsigned long long)base, (unsigned long long)(rec->gpa & WIN_MASK), snap_why(rec->val));
	struct held h = {
		.ev = {
			.ts_ns = rec->ts_ns > s->cfg.t0_ns ? rec->ts_ns - s->cfg.t0_ns : 0,
			.type = VMT_EV_MARKER,
			.source = VMT_SRC_KVM_BPF,
			.base = base,
			.len = (uint32_t)(n < (int)sizeof(text) ? n : (int)sizeof(text) - 1),
			.data = (const uint8_t *)text,
		},
		.rec_ns = rec->ts_ns,
		.win = NO_WINDOW,
		.kind = HELD_MARKER,
	};
	if (s->fifo_len == 0)
		return s->cfg.emit(s->cfg.ctx, &h.ev);
	int r = push(s, &h, now_ns);
	return r < 0 ? r : drain(s, now_ns, false);
}

int kvm_source_record(struct kvm_source *s, const void *data, size_t len, uint64_t now_ns)
{
	struct mmio_rec rec;

	s->st.records++;
	if (len < sizeof(rec)) {
		s->st.bad++;
		return 0;
	}
	memcpy(&rec, data, sizeof(rec));
	switch (rec.kind) {
	case MMIO_REC_MEM:
		return one_mem(s, data, len, now_ns);
	case MMIO_REC_MEMSLOT: {
		struct memslot_rec ms;
		if (len < sizeof(ms))
			break;
		memcpy(&ms, data, sizeof(ms));
		s->st.memslots++;
		if (ms.full)
			s->st.memslots_unkept++;
		return 0;
	}
	case MMIO_REC_SNAP_FAIL:
		return one_snap_fail(s, &rec, now_ns);
	case MMIO_REC_READ:
	case MMIO_REC_WRITE:
		if (rec.len != 1 && rec.len != 2 && rec.len != 4 && rec.len != 8)
			break;
		return one_access(s, &rec, now_ns);
	case MMIO_REC_FAST_WRITE:
		return one_access(s, &rec, now_ns);
	}
	s->st.bad++;
	return 0;
}

int kvm_source_ring_lost(struct kvm_source *s, uint64_t n, uint64_t now_ns)
{
	struct held h;

	if (!n)
		return 0;
	s->st.ring_lost += n;
	memset(&h, 0, sizeof(h));
	h.ev.ts_ns = now_ns > s->cfg.t0_ns ? now_ns - s->cfg.t0_ns : 0;
	h.ev.value = n;
	h.kind = HELD_LOST;
	h.win = NO_WINDOW;
	h.rec_ns = now_ns;
	if (s->fifo_len == 0)
		return write_held(s, &h);
	int r = push(s, &h, now_ns);
	return r < 0 ? r : drain(s, now_ns, false);
}

int kvm_source_tick(struct kvm_source *s, uint64_t now_ns)
{
	return drain(s, now_ns, false);
}

int kvm_source_end(struct kvm_source *s, uint64_t now_ns)
{
	int r = 0;

	while (s->fifo_len && r == 0)
		r = drain(s, now_ns, true);
	for (uint32_t i = 0; i < s->n_wins; i++)
		if (s->wins[i].state == WIN_UNKNOWN || s->wins[i].state == WIN_AGED)
			s->st.undecided++;
	return r;
}

void kvm_source_get_stats(const struct kvm_source *s, struct kvm_source_stats *st)
{
	*st = s->st;
}

size_t kvm_source_devices(const struct kvm_source *s, uint64_t *bases, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->n_wins; i++)
		if (s->wins[i].state == WIN_VIRTIO) {
			if (n < max)
				bases[n] = s->wins[i].base;
			n++;
		}
	return n;
}

int kvm_source_new(struct kvm_source **out, const struct kvm_source_cfg *cfg)
{
	struct kvm_source *s;

	if (cfg->n_windows > KVM_SOURCE_WINDOWS_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.hold_ns)
		s->cfg.hold_ns = KVM_SOURCE_HOLD_DEFAULT_NS;
	if (!s->cfg.hold_max)
		s->cfg.hold_max = KVM_SOURCE_HOLD_MAX_DEFAULT;
	if (cfg->n_windows) {
		s->user_windows = malloc(cfg->n_windows * sizeof(*s->user_windows));
		if (!s->user_windows) {
			free(s);
			return -ENOMEM;
		}
		memcpy(s->user_windows, cfg->windows, cfg->n_windows * sizeof(*s->user_windows));
	}
	s->cfg.windows = s->user_windows;
	*out = s;
	return 0;
}

void kvm_source_free(struct kvm_source *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->fifo_len; i++)
		held_release(s, &s->fifo[(s->fifo_head + i) % s->fifo_cap]);
	free(s->user_windows);
	free(s->wins);
	free(s->hash);
	free(s->fifo);
	free(s);
}

int kvm_window_parse(const char *str, struct kvm_window *w)
{
	unsigned long long base, size = VIRTIO_MMIO_REGION_SIZE;
	char *end;

	/* Digits first: strtoull would take leading spaces and signs. */
	if (!isdigit((unsigned char)*str))
		return -1;
	errno = 0;
	base = strtoull(str, &end, 0);
	if (errno || end == str)
		return -1;
	if (*end == '+') {
		const char *p = end + 1;
		if (!isdigit((unsigned char)*p))
			return -1;
		size = strtoull(p, &end, 0);
		if (errno || end == p)
			return -1;
	}
	if (*end || size == 0 || (base & WIN_MASK) || (size & WIN_MASK) || base + size < base)
		return -1;
	w->base = base;
	w->size = size;
	return 0;
}
