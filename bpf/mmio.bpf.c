// SPDX-License-Identifier: GPL-2.0
/* Every MMIO access a traced VMM's guest makes, from the KVM tracepoints,
 * as compact records in a BPF ring buffer (mmio.h).
 *
 * Attached as BTF tracepoints (tp_btf: no tracefs needed, arguments as the
 * kernel passes them):
 *   kvm_mmio(type, len, gpa, val)  every decoded access, in the vCPU thread:
 *                                   writes before the kernel offers them to
 *                                   in-kernel devices and ioeventfds, so a
 *                                   QueueNotify an ioeventfd takes shows too;
 *                                   reads at their completion (mmio.h)
 *   kvm_fast_mmio(gpa)             a write an ioeventfd took without the
 *                                   instruction being decoded (VMX fast path)
 *   sched_process_fork             children of traced processes are traced
 *   sys_enter (ioctl)              KVM_SET_USER_MEMORY_REGION(2): the
 *                                   guest-physical to host-virtual map
 *                                   ring snapshots need (mmio.h)
 *
 * Filters: the traced process (tgid, and its children if asked), and
 * optionally a list of guest-physical windows.  Which windows hold virtio
 * devices is decided in user space (capture/kvm/kvm_source.h); the
 * program itself follows, for ring snapshots, the queue set-up of the
 * windows where it saw a MagicValue read. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "mmio.h"

char LICENSE[] SEC("license") = "GPL";

/* Set before load. */
const volatile __u32 follow_forks = 0;
const volatile __u32 snapshots = 0;
const volatile __u32 n_windows = 0; /* 0: every address */
const volatile __u64 win_base[MMIO_WINDOWS_MAX] = {};
const volatile __u64 win_size[MMIO_WINDOWS_MAX] = {};
/* Wake the consumer every this many records (a power of two; it polls
 * anyway, this only bounds how full the ring gets between polls). */
const volatile __u32 wake_every = 8192;

/* Set after load, before attach: the process traced. */
__u32 targ_tgid = 0;

/* Records emitted, all CPUs together; racy on purpose (only paces wake-ups). */
__u32 n_emitted = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MMIO_RING_DEFAULT);
} events SEC(".maps");

/* Records the ring had no room for, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Children of the traced process (follow_forks). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

static __always_inline bool traced(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;

	if (tgid == targ_tgid)
		return true;
	return follow_forks && bpf_map_lookup_elem(&tgids, &tgid);
}

static __always_inline bool in_windows(__u64 gpa)
{
	if (n_windows == 0)
		return true;
	for (__u32 i = 0; i < MMIO_WINDOWS_MAX && i < n_windows; i++)
		if (gpa - win_base[i] < win_size[i])
			return true;
	return false;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

static __always_inline void emit(__u64 pid_tgid, __u8 kind, __u8 len, __u16 flags, __u64 gpa, __u64 val)
{
	struct mmio_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		count_lost();
		return;
	}
	r->ts_ns = bpf_ktime_get_ns();
	r->gpa = gpa;
	r->val = val;
	r->tid = (__u32)pid_tgid;
	r->kind = kind;
	r->len = len;
	r->flags = flags;
	/* The consumer polls; a wake-up now and then keeps a fast guest
	 * from filling the ring between two polls. */
	bpf_ringbuf_submit(r, (++n_emitted & (wake_every - 1)) ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP);
}

/* ---- Ring snapshots (mmio.h) ---- */

#define VIRTIO_MMIO_MAGIC 0x74726976u
#define WIN_SIZE 0x200u
#define REG_VERSION 0x004
#define REG_GUEST_PAGE_SIZE 0x028 /* legacy */
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_ALIGN 0x03c     /* legacy */
#define REG_QUEUE_PFN 0x040       /* legacy */
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_STATUS 0x070
#define REG_QUEUE_DESC_LOW 0x080
#define REG_QUEUE_DESC_HIGH 0x084
#define REG_QUEUE_DRIVER_LOW 0x090
#define REG_QUEUE_DRIVER_HIGH 0x094
#define REG_QUEUE_DEVICE_LOW 0x0a0
#define REG_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_SIZE_MAX 32768u

#define KVM_SET_USER_MEMORY_REGION 0x4020ae46u
#define KVM_SET_USER_MEMORY_REGION2 0x40a0ae49u
#if defined(__TARGET_ARCH_x86)
#define NR_IOCTL 16
#elif defined(__TARGET_ARCH_arm64)
#define NR_IOCTL 29
#else
#error "the ioctl syscall number of this architecture is missing"
#endif

/* A global array, not a map: loops index it directly. */
struct mmio_memslot memslots[MMIO_MEMSLOTS_MAX] = {};

/* A queue as the driver set it up (guest-physical addresses). */
struct queue_state {
	__u64 desc;
	__u64 avail;
	__u64 used;
	__u32 num;
	__u32 align;      /* legacy QueueAlign */
	__u16 last_avail; /* avail index up to which chains were copied */
	__u16 last_used;  /* used index up to which buffers were copied */
	__u32 pad;
};

struct dev_state {
	__u32 sel;
	__u32 page_size;  /* legacy GuestPageSize */
	struct queue_state q[MMIO_QUEUES_MAX];
};

struct dev_key {
	__u32 tgid;
	__u32 pad;
	__u64 base;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MMIO_DEVICES_MAX);
	__type(key, struct dev_key);
	__type(value, struct dev_state);
} devs SEC(".maps");

/* An all-zero dev_state that a newly seen device's entry is made from;
 * never written.  In a map, not on the stack: the struct is 328 bytes,
 * and recent kernels (6.18 here; older ones accepted it) count every
 * frame of the deepest call chain, bpf_loop callbacks included
 * (on_kvm_mmio -> snap_used -> used_step -> walk_step -> chunk_step ->
 * xlate_step), against one 512-byte limit ("combined stack size of N
 * calls is ... Too large").  A local in the entry program's frame counts
 * under all of them; keep the frames of that chain small. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dev_state);
} dev_blank SEC(".maps");

/* One chunk being copied, per CPU (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mem_rec);
} scratch SEC(".maps");

struct raw_desc {
	__u64 addr;
	__u32 len;
	__u16 flags;
	__u16 next;
};

/* One trigger's snapshot, and the state of its loops.  The loops run
 * as bpf_loop callbacks, so the verifier checks each body once. */
struct snap {
	struct dev_key key; /* the device */
	__u32 tid;
	__u32 budget;    /* bytes left to copy */
	__u64 ts;
	__u64 trigger;   /* gpa of the register accessed */
	__u16 flags;     /* MMIO_MEM_AT_NOTIFY or 0 */
	__u16 failed;    /* first MMIO_SNAP_* reason, 0 if none */
	__u32 expect_idx;
	__u64 expect_gpa; /* a ring whose index must still read expect_idx */
	/* copy_region */
	__u64 cgpa;
	__u64 clen;
	__u16 cflags;
	__u16 cerr;
	/* walk: ring positions [pos, end) of a queue */
	__u16 pos, end;
	__u64 desc;      /* descriptor table */
	__u64 ring;      /* available or used ring */
	__u32 num;
	__u8 used;       /* walking used entries: copy device-written buffers */
	__u8 chain;      /* inside a chain */
	__u8 ind;        /* inside an indirect table */
	__u8 pad;
	__u32 cur;       /* descriptor index */
	__u32 hops;
	__u32 ulen;      /* used walk: bytes the device wrote, not yet accounted to a buffer */
	__u32 ind_n;
	__u64 ind_gpa;
};

/* The snapshot being taken on this CPU.  In a map, not on the stack: the
 * verifier does not track what a map holds, so the loops' bodies check
 * as one state each instead of once per possible iteration. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snap);
} snaps SEC(".maps");

static __always_inline struct snap *snap_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&snaps, &zero);
}

static __always_inline void snap_fail(struct snap *s, __u16 why)
{
	if (!s->failed)
		s->failed = why;
}

struct xlate {
	__u64 gpa;
	__u64 hva;
	__u64 room;
	__u32 tgid;
	__u32 found;
};

static long xlate_step(__u32 i, void *ctx)
{
	struct xlate *x = ctx;
	struct mmio_memslot *m;

	if (i >= MMIO_MEMSLOTS_MAX)
		return 1;
	m = &memslots[i];
	if (m->tgid == x->tgid && m->size && x->gpa - m->gpa < m->size) {
		x->hva = m->hva + (x->gpa - m->gpa);
		x->room = m->size - (x->gpa - m->gpa);
		x->found = 1;
		return 1;
	}
	return 0;
}

/* Guest-physical to the VMM's virtual address; *room is what the slot
 * holds from there.  Returns 0, or -1 outside every slot known. */
static __always_inline int translate(__u32 tgid, __u64 gpa, __u64 *hva, __u64 *room)
{
	struct xlate x = { .gpa = gpa, .tgid = tgid };

	bpf_loop(MMIO_MEMSLOTS_MAX, xlate_step, &x, 0);
	*hva = x.hva;
	*room = x.room;
	return x.found ? 0 : -1;
}

static __always_inline int read_guest(struct snap *s, __u64 gpa, void *dst, __u32 size)
{
	__u64 hva, room;

	if (translate(s->key.tgid, gpa, &hva, &room) || room < size) {
		snap_fail(s, MMIO_SNAP_NO_SLOT);
		return -1;
	}
	if (bpf_probe_read_user(dst, size, (void *)hva)) {
		snap_fail(s, MMIO_SNAP_FAULT);
		return -1;
	}
	return 0;
}

/* Copy up to one chunk at gpa into the ring.  Returns the bytes copied
 * (maybe fewer: a slot ends there), or -1. */
static __always_inline int copy_chunk(struct snap *s, __u64 gpa, __u32 len, __u16 flags)
{
	struct mem_rec *m;
	__u64 hva, room;
	__u32 zero = 0;

	if (translate(s->key.tgid, gpa, &hva, &room)) {
		snap_fail(s, MMIO_SNAP_NO_SLOT);
		return -1;
	}
	if (len > room) {
		len = room;
		flags |= MMIO_MEM_TRUNCATED;
	}
	if (len > MMIO_MEM_CHUNK)
		len = MMIO_MEM_CHUNK;
	m = bpf_map_lookup_elem(&scratch, &zero);
	if (!m)
		return -1;
	if (bpf_probe_read_user(m->data, len, (void *)hva)) {
		snap_fail(s, MMIO_SNAP_FAULT);
		return -1;
	}
	/* A ring index that moved since it was read: the device (another
	 * thread of the VMM) was working on the ring meanwhile. */
	if (gpa == s->expect_gpa && len >= 4 && (m->data[2] | (m->data[3] << 8)) != s->expect_idx)
		flags |= MMIO_MEM_BEST_EFFORT;
	m->ts_ns = s->ts;
	m->gpa = gpa;
	m->trigger_gpa = s->trigger;
	m->tid = s->tid;
	m->kind = MMIO_REC_MEM;
	m->pad = 0;
	m->flags = flags | s->flags;
	m->len = len;
	m->pad2 = 0;
	if (bpf_ringbuf_output(&events, m, MEM_REC_HEADER + len, BPF_RB_NO_WAKEUP)) {
		count_lost();
		snap_fail(s, MMIO_SNAP_RING_FULL);
		return -1;
	}
	return len;
}

static long chunk_step(__u32 i, void *ctx)
{
	struct snap *s = snap_get();
	__u32 n;
	__u16 f;
	int k;

	if (!s || !s->clen)
		return 1;
	f = s->cflags;
	n = s->clen > MMIO_MEM_CHUNK ? MMIO_MEM_CHUNK : (__u32)s->clen;
	if (n > s->budget) {
		n = s->budget;
		f |= MMIO_MEM_TRUNCATED;
		snap_fail(s, MMIO_SNAP_LIMIT);
	}
	if (!n) {
		s->cerr = 1;
		return 1;
	}
	k = copy_chunk(s, s->cgpa, n, f);
	if (k <= 0) {
		s->cerr = 1;
		return 1;
	}
	s->cgpa += k;
	s->clen -= k;
	s->budget -= k;
	return 0;
}

/* Copy len bytes at gpa, chunk by chunk, within the trigger's budget. */
static __always_inline int copy_region(struct snap *s, __u64 gpa, __u64 len, __u16 flags)
{
	if (len > MMIO_REGION_CHUNKS_MAX * MMIO_MEM_CHUNK) {
		len = MMIO_REGION_CHUNKS_MAX * MMIO_MEM_CHUNK;
		flags |= MMIO_MEM_TRUNCATED;
	}
	s->cgpa = gpa;
	s->clen = len;
	s->cflags = flags;
	s->cerr = 0;
	bpf_loop(MMIO_REGION_CHUNKS_MAX, chunk_step, NULL, 0);
	return s->cerr || s->clen ? -1 : 0;
}

/* One step of a walk: start the chain of the next ring entry if needed,
 * then take one descriptor.  Returns 1 to stop.
 *
 * This is a hand copy of the shared split-ring walker, virtio/split_ring.c
 * (split_ring_walk; its header lists the rules), in the salvaging mode the
 * QEMU ring snapshots use (capture/qemu/ring_snap.c): copy what the
 * decoder may read and leave the judging to the decoder, which walks the
 * copies with the same walker.  BPF cannot call that C code, so keep the
 * two in step by hand.  Rule by rule, as of this writing:
 *   ring-head-out-of-range     same: a head (or used id) >= num is skipped
 *   ring-chain-too-long        same: at most num hops in the ring's table
 *                              and at most the table's entries in an
 *                              indirect one (a chain of exactly num is whole)
 *   ring-avail-idx-jump        same: more than num new entries, the last num
 *   ring-indirect-with-next    same: the table is followed, NEXT ignored
 *   ring-indirect-not-negotiated same: followed (features are not tracked)
 *   ring-readable-after-writable same: not judged, buffers copied by flag
 *   ring-indirect-length       differs: ind_n = len / 16 is not capped at
 *                              num (bpf_loop's MMIO_SNAP_DESCS_MAX bounds
 *                              the walk instead; the copy is capped by
 *                              copy_region); a table under 16 bytes ends
 *                              the chain as there
 *   ring-next-out-of-range     differs in the ring's table: next is not
 *                              checked against num, so a descriptor past the
 *                              table may be read (in an indirect table it is
 *                              checked: cur >= ind_n ends the chain)
 *   ring-indirect-nested       differs: the inner descriptor is taken as a
 *                              buffer (copied if its WRITE flag matches),
 *                              where the walker stops the chain
 *   ring-buffer-outside-memory differs: a buffer that cannot be copied
 *                              stops the whole snapshot (snap_fail), where
 *                              the walker goes on to the next descriptor */
static long walk_step(__u32 i, void *ctx)
{
	struct snap *s = snap_get();
	struct raw_desc d;
	__u64 at;

	if (!s)
		return 1;
	if (!s->chain) {
		if (s->pos == s->end || s->num == 0)
			return 1;
		if (s->used) {
			__u32 elem[2]; /* id, len */
			if (read_guest(s, s->ring + 4 + 8ull * (s->pos % s->num), elem, sizeof(elem)))
				return 1;
			s->cur = elem[0];
			s->ulen = elem[1];
		} else {
			__u16 head;
			if (read_guest(s, s->ring + 4 + 2ull * (s->pos % s->num), &head, sizeof(head)))
				return 1;
			s->cur = head;
		}
		s->pos++;
		if (s->cur >= s->num)
			return 0; /* a head outside the queue: the decoder says so */
		s->chain = 1;
		s->ind = 0;
		s->hops = 0;
	}
	if (s->ind) {
		if (s->cur >= s->ind_n) {
			s->chain = 0;
			return 0;
		}
		at = s->ind_gpa + 16ull * s->cur;
	} else {
		at = s->desc + 16ull * s->cur;
	}
	if (read_guest(s, at, &d, sizeof(d)))
		return 1;
	if ((d.flags & VIRTQ_DESC_F_INDIRECT) && !s->ind) {
		/* The table itself, then its descriptors. */
		if (copy_region(s, d.addr, d.len, 0))
			return 1;
		s->ind = 1;
		s->ind_gpa = d.addr;
		s->ind_n = d.len / 16;
		s->cur = 0;
		s->hops = 0;
		return 0;
	}
	if (!!(d.flags & VIRTQ_DESC_F_WRITE) == s->used && d.len) {
		/* Of a used chain, only the bytes the device says it wrote. */
		__u32 want = d.len, n;
		if (s->used) {
			want = d.len < s->ulen ? d.len : s->ulen;
			s->ulen -= want;
		}
		n = want > MMIO_SNAP_BUF_MAX ? MMIO_SNAP_BUF_MAX : want;
		if (n && copy_region(s, d.addr, n, want > n ? MMIO_MEM_TRUNCATED : 0))
			return 1;
	}
	if ((d.flags & VIRTQ_DESC_F_NEXT) && ++s->hops < (s->ind ? s->ind_n : s->num))
		s->cur = d.next;
	else
		s->chain = 0;
	return 0;
}

/* Walk ring positions [from, to) of q (avail or used). */
static __always_inline void walk(struct snap *s, struct queue_state *q, bool used, __u16 from, __u16 to)
{
	s->desc = q->desc;
	s->ring = used ? q->used : q->avail;
	s->num = q->num;
	s->used = used;
	s->pos = from;
	s->end = to;
	s->chain = 0;
	/* More new entries than the queue holds is the driver's bug: take
	 * the last num. */
	if ((__u16)(to - from) > q->num)
		s->pos = to - (__u16)q->num;
	bpf_loop(MMIO_SNAP_DESCS_MAX, walk_step, NULL, 0);
	if (s->pos != s->end || s->chain)
		snap_fail(s, MMIO_SNAP_LIMIT);
}

static __always_inline bool queue_ok(const struct queue_state *q)
{
	return q->num && q->num <= VIRTQ_SIZE_MAX && q->desc && q->avail && q->used;
}

static __always_inline void snap_init(struct snap *s, const struct dev_key *key, __u64 trigger, __u16 flags)
{
	__builtin_memset(s, 0, sizeof(*s));
	s->key = *key;
	s->tid = (__u32)bpf_get_current_pid_tgid();
	s->ts = bpf_ktime_get_ns();
	s->trigger = trigger;
	s->budget = MMIO_SNAP_BYTES_MAX;
	s->flags = flags;
	s->expect_gpa = ~0ull;
}

static __always_inline void snap_report(struct snap *s)
{
	struct mmio_rec *r;

	if (!s->failed)
		return;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return;
	}
	r->ts_ns = s->ts;
	r->gpa = s->trigger;
	r->val = s->failed;
	r->tid = s->tid;
	r->kind = MMIO_REC_SNAP_FAIL;
	r->len = 0;
	r->flags = 0;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
}

/* QueueNotify: descriptor table, chains made available since the last
 * one (driver-readable buffers), available ring. */
static __noinline void snap_notify(const struct dev_key *key, __u64 trigger, __u32 qi)
{
	struct dev_state *d = bpf_map_lookup_elem(&devs, key);
	struct snap *s = snap_get();
	struct queue_state *q;
	__u16 idx;

	if (!d || !s)
		return;
	snap_init(s, key, trigger, MMIO_MEM_AT_NOTIFY);
	if (qi >= MMIO_QUEUES_MAX) {
		snap_fail(s, MMIO_SNAP_NO_QUEUE);
		goto out;
	}
	barrier_var(qi);
	q = &d->q[qi & (MMIO_QUEUES_MAX - 1)];
	if (!queue_ok(q)) {
		snap_fail(s, MMIO_SNAP_NO_QUEUE);
		goto out;
	}
	if (read_guest(s, q->avail + 2, &idx, sizeof(idx)))
		goto out;
	if (copy_region(s, q->desc, 16ull * q->num, 0))
		goto out;
	walk(s, q, false, q->last_avail, idx);
	q->last_avail = idx;
	s->expect_gpa = q->avail;
	s->expect_idx = idx;
	copy_region(s, q->avail, 6ull + 2ull * q->num, 0);
out:
	snap_report(s);
}

/* InterruptStatus, one queue: the chains used since the last snapshot
 * (device-written buffers), then the used ring. */
static long used_step(__u32 qi, void *ctx)
{
	struct snap *s = snap_get();
	struct dev_state *d;
	struct queue_state *q;
	__u16 idx;

	if (!s || qi >= MMIO_QUEUES_MAX)
		return 1;
	d = bpf_map_lookup_elem(&devs, &s->key);
	if (!d)
		return 1;
	/* Keep the mask where the verifier sees it. */
	barrier_var(qi);
	q = &d->q[qi & (MMIO_QUEUES_MAX - 1)];
	if (!queue_ok(q))
		return 0;
	if (read_guest(s, q->used + 2, &idx, sizeof(idx)))
		return 1;
	if (idx == q->last_used)
		return 0; /* nothing new since the last copy */
	walk(s, q, true, q->last_used, idx);
	q->last_used = idx;
	s->expect_gpa = q->used;
	s->expect_idx = idx;
	return copy_region(s, q->used, 6ull + 8ull * q->num, 0) ? 1 : 0;
}

static __noinline void snap_used(const struct dev_key *key, __u64 trigger)
{
	struct snap *s = snap_get();

	if (!s)
		return;
	snap_init(s, key, trigger, 0);
	bpf_loop(MMIO_QUEUES_MAX, used_step, NULL, 0);
	snap_report(s);
}

/* Follow a driver's queue set-up (writes to the device's registers). */
static __always_inline void dev_write(struct dev_state *d, __u32 off, __u64 val)
{
	__u32 lo = (__u32)val, sel = d->sel;
	struct queue_state *q = NULL;

	if (sel < MMIO_QUEUES_MAX) {
		barrier_var(sel);
		q = &d->q[sel & (MMIO_QUEUES_MAX - 1)];
	}

	switch (off) {
	case REG_GUEST_PAGE_SIZE:
		d->page_size = lo;
		return;
	case REG_QUEUE_SEL:
		d->sel = lo;
		return;
	case REG_STATUS:
		if (lo == 0) /* reset: every queue goes */
			__builtin_memset(d->q, 0, sizeof(d->q));
		return;
	}
	if (!q)
		return;
	switch (off) {
	case REG_QUEUE_NUM:
		q->num = lo;
		return;
	case REG_QUEUE_ALIGN:
		q->align = lo;
		return;
	case REG_QUEUE_PFN: {
		/* Legacy layout: the three parts one after another. */
		__u64 page = d->page_size ? d->page_size : 4096;
		__u64 align = q->align ? q->align : 4096;
		__u64 end;

		q->desc = (__u64)lo * page;
		q->avail = lo ? q->desc + 16ull * q->num : 0;
		end = q->avail + 6ull + 2ull * q->num;
		q->used = lo ? (end + align - 1) & ~(align - 1) : 0;
		q->last_avail = q->last_used = 0;
		return;
	}
	case REG_QUEUE_READY:
		q->last_avail = q->last_used = 0;
		return;
	case REG_QUEUE_DESC_LOW:
		q->desc = (q->desc & ~0xffffffffull) | lo;
		return;
	case REG_QUEUE_DESC_HIGH:
		q->desc = (q->desc & 0xffffffffull) | ((__u64)lo << 32);
		return;
	case REG_QUEUE_DRIVER_LOW:
		q->avail = (q->avail & ~0xffffffffull) | lo;
		return;
	case REG_QUEUE_DRIVER_HIGH:
		q->avail = (q->avail & 0xffffffffull) | ((__u64)lo << 32);
		return;
	case REG_QUEUE_DEVICE_LOW:
		q->used = (q->used & ~0xffffffffull) | lo;
		return;
	case REG_QUEUE_DEVICE_HIGH:
		q->used = (q->used & 0xffffffffull) | ((__u64)lo << 32);
		return;
	}
}

/* Before an access is recorded: follow set-up, take snapshots.  Only
 * the accesses that matter look the device up (not a driver's polling of
 * Status, say). */
static __always_inline void snap_access(__u64 pid_tgid, int type, int len, __u64 gpa, __u64 val)
{
	struct dev_key key = { .tgid = pid_tgid >> 32, .base = gpa & ~(__u64)(WIN_SIZE - 1) };
	__u32 off = gpa & (WIN_SIZE - 1);
	struct dev_state *d;

	if (type == MMIO_TP_READ) {
		if (off == 0 && len == 4 && val == VIRTIO_MMIO_MAGIC) {
			__u32 zero = 0;
			struct dev_state *fresh = bpf_map_lookup_elem(&dev_blank, &zero);
			long r = fresh ? bpf_map_update_elem(&devs, &key, fresh, BPF_NOEXIST) : -12 /* ENOMEM */;

			/* No room: this device's rings will not be copied; say so. */
			if (r && r != -17 /* EEXIST */) {
				struct snap *s = snap_get();
				if (s) {
					snap_init(s, &key, gpa, 0);
					snap_fail(s, MMIO_SNAP_NO_DEVICE);
					snap_report(s);
				}
			}
		} else if (off == REG_INTERRUPT_STATUS && bpf_map_lookup_elem(&devs, &key)) {
			/* At the read's completion, not at its exit: the VMM
			 * may do the device's work while serving the exit (an
			 * ioeventfd's queue, say); the guest is still stopped
			 * here. */
			snap_used(&key, gpa);
		}
		return;
	}
	if (type != MMIO_TP_WRITE)
		return;
	d = bpf_map_lookup_elem(&devs, &key);
	if (!d)
		return;
	if (off == REG_QUEUE_NOTIFY)
		snap_notify(&key, gpa, (__u32)val & 0xffff);
	else if (len == 4)
		dev_write(d, off, val);
}

SEC("tp_btf/kvm_mmio")
int BPF_PROG(on_kvm_mmio, int type, int len, __u64 gpa, void *valp)
{
	__u64 pid_tgid, val = 0;

	/* A read's exit: its completion (type 1) will tell everything. */
	if (type == MMIO_TP_UNSATISFIED_READ)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!traced(pid_tgid) || !in_windows(gpa))
		return 0;
	/* val points at the access's bytes (at most 8 of them per event). */
	if (valp && len > 0) {
		bpf_probe_read_kernel(&val, sizeof(val), valp);
		if (len < 8)
			val &= (1ull << (len * 8)) - 1;
	}
	if (snapshots)
		snap_access(pid_tgid, type, len, gpa, val);
	emit(pid_tgid, type == MMIO_TP_WRITE ? MMIO_REC_WRITE : MMIO_REC_READ, (__u8)len, 0, gpa, val);
	return 0;
}

SEC("tp_btf/kvm_fast_mmio")
int BPF_PROG(on_kvm_fast_mmio, __u64 gpa)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (traced(pid_tgid) && in_windows(gpa))
		emit(pid_tgid, MMIO_REC_FAST_WRITE, 0, 0, gpa, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!follow_forks || ptgid == ctgid)
		return 0;
	if (ptgid == targ_tgid || bpf_map_lookup_elem(&tgids, &ptgid))
		bpf_map_update_elem(&tgids, &ctgid, &one, BPF_ANY);
	return 0;
}

/* KVM_SET_USER_MEMORY_REGION(2) of a traced process: remember the slot. */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct kvm_userspace_memory_region r;
	struct mmio_memslot *m, *free_slot = NULL;
	struct memslot_rec *rec;
	__u32 tgid, cmd;
	__u64 arg;

	if (id != NR_IOCTL || !traced(bpf_get_current_pid_tgid()))
		return 0;
	cmd = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
	if (cmd != KVM_SET_USER_MEMORY_REGION && cmd != KVM_SET_USER_MEMORY_REGION2)
		return 0;
	arg = PT_REGS_PARM3_CORE_SYSCALL(regs);
	/* REGION2 starts with the same fields. */
	if (bpf_probe_read_user(&r, sizeof(r), (void *)arg))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	for (__u32 i = 0; i < MMIO_MEMSLOTS_MAX; i++) {
		m = &memslots[i];
		if (m->tgid == tgid && m->slot == r.slot) {
			free_slot = m;
			break;
		}
		if (!m->tgid && !free_slot)
			free_slot = m;
	}
	if (free_slot) {
		free_slot->slot = r.slot;
		free_slot->gpa = r.guest_phys_addr;
		free_slot->size = r.memory_size;
		free_slot->hva = r.userspace_addr;
		free_slot->tgid = r.memory_size ? tgid : 0;
	}
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count_lost();
		return 0;
	}
	rec->ts_ns = bpf_ktime_get_ns();
	rec->gpa = r.guest_phys_addr;
	rec->size = r.memory_size;
	rec->tid = (__u32)bpf_get_current_pid_tgid();
	rec->kind = MMIO_REC_MEMSLOT;
	rec->full = !free_slot;
	rec->pad2 = 0;
	rec->hva = r.userspace_addr;
	rec->slot = r.slot;
	rec->flags = r.flags;
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}
