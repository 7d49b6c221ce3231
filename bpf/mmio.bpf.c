// SPDX-License-Identifier: GPL-2.0
/* Every MMIO access a traced VMM's guest makes, from the KVM tracepoints,
 * as compact records in a BPF ring buffer (mmio.h).
 *
 * Attached as BTF tracepoints (tp_btf: no tracefs needed, arguments as the
 * kernel passes them):
 *   kvm_mmio(type, len, gpa, val)  every decoded access, in the vCPU thread:
 *                                   writes before the kernel offers them to
 *                                   in-kernel devices and ioeventfds, so a
 *                                   QueueNotify an ioeventfd takes shows too
 *   kvm_fast_mmio(gpa)             a write an ioeventfd took without the
 *                                   instruction being decoded (VMX fast path)
 *   sched_process_fork             children of traced processes are traced
 *
 * Filters: the traced process (tgid, and its children if asked), and
 * optionally a list of guest-physical windows.  Which windows hold virtio
 * devices is decided in user space (capture/kvm/kvm_source.h). */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "mmio.h"

char LICENSE[] SEC("license") = "GPL";

/* Set before load. */
const volatile __u32 follow_forks = 0;
const volatile __u32 n_windows = 0; /* 0: every address */
const volatile __u64 win_base[MMIO_WINDOWS_MAX] = {};
const volatile __u64 win_size[MMIO_WINDOWS_MAX] = {};
/* Wake the consumer only once this many bytes wait (it polls anyway). */
const volatile __u64 wake_bytes = 1u << 20;

/* Set after load, before attach: the process traced. */
__u32 targ_tgid = 0;

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

/* A read that went out to the VMM, per vCPU thread, until its completion. */
struct pending_read {
	__u64 gpa;
	__u32 len;
	__u32 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending_read);
} pending SEC(".maps");

static __always_inline bool traced(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

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

static __always_inline void emit(__u8 kind, __u8 len, __u16 flags, __u64 gpa, __u64 val)
{
	struct mmio_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		count_lost();
		return;
	}
	r->ts_ns = bpf_ktime_get_ns();
	r->gpa = gpa;
	r->val = val;
	r->tid = (__u32)bpf_get_current_pid_tgid();
	r->kind = kind;
	r->len = len;
	r->flags = flags;
	/* The consumer polls; wake it only when the ring fills up. */
	bpf_ringbuf_submit(r, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP
											     : BPF_RB_NO_WAKEUP);
}

SEC("tp_btf/kvm_mmio")
int BPF_PROG(on_kvm_mmio, int type, int len, __u64 gpa, void *valp)
{
	struct pending_read *p;
	__u64 val = 0;

	if (!traced() || !in_windows(gpa))
		return 0;
	/* val points at the access's bytes (at most 8 of them per event). */
	if (valp && len > 0) {
		bpf_probe_read_kernel(&val, sizeof(val), valp);
		if (len < 8)
			val &= (1ull << (len * 8)) - 1;
	}
	switch (type) {
	case MMIO_TP_WRITE:
		emit(MMIO_REC_WRITE, (__u8)len, 0, gpa, val);
		return 0;
	case MMIO_TP_UNSATISFIED_READ:
		p = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!p)
			return 0;
		/* The previous read's completion never came: say so. */
		if (p->valid)
			emit(MMIO_REC_READ_UNDONE, (__u8)p->len, 0, p->gpa, 0);
		p->gpa = gpa;
		p->len = (__u32)len;
		p->valid = 1;
		return 0;
	case MMIO_TP_READ:
		p = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), NULL, 0);
		if (p && p->valid && p->gpa == gpa) {
			p->valid = 0;
			emit(MMIO_REC_READ, (__u8)len, 0, gpa, val);
		} else {
			emit(MMIO_REC_READ, (__u8)len, MMIO_F_IN_KERNEL, gpa, val);
		}
		return 0;
	}
	return 0;
}

SEC("tp_btf/kvm_fast_mmio")
int BPF_PROG(on_kvm_fast_mmio, __u64 gpa)
{
	if (traced() && in_windows(gpa))
		emit(MMIO_REC_FAST_WRITE, 0, 0, gpa, 0);
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
