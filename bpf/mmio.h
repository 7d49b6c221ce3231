/* Records and settings shared by bpf/mmio.bpf.c and the loader in
 * capture/kvm/.  Only fixed-width plain types: the includer provides __u8
 * .. __u64 (vmlinux.h in the BPF program, <linux/types.h> in user space).
 *
 * The program runs on kvm:kvm_mmio in the traced VMM's threads.  On x86 a
 * read that goes out to user space shows twice there: "unsatisfied-read"
 * (type 0, no value) when the vCPU exits, "read" (type 1, with the value)
 * when the VMM hands the value back on the next KVM_RUN; a read the kernel
 * answers itself shows only as type 1.  The program joins the two, so a
 * read reaches the ring once, with its value. */
#ifndef VMTRACE_BPF_MMIO_H
#define VMTRACE_BPF_MMIO_H

/* kvm:kvm_mmio type field (include/trace/events/kvm.h). */
#define MMIO_TP_UNSATISFIED_READ 0
#define MMIO_TP_READ 1
#define MMIO_TP_WRITE 2

/* struct mmio_rec kind */
#define MMIO_REC_READ 1         /* a read and the value the guest got */
#define MMIO_REC_WRITE 2        /* a write and its value (also when an ioeventfd took it) */
#define MMIO_REC_READ_UNDONE 3  /* a read went out to the VMM, its completion was never seen */
#define MMIO_REC_FAST_WRITE 4   /* kvm:kvm_fast_mmio: a write an ioeventfd took
				 * without decoding it (width and value unknown) */

/* struct mmio_rec flags */
#define MMIO_F_IN_KERNEL 0x1    /* the kernel answered the access (no exit to the VMM) */

/* One register access; 32 bytes. */
struct mmio_rec {
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 gpa;
	__u64 val;   /* masked to len bytes */
	__u32 tid;   /* the vCPU thread */
	__u8 kind;   /* MMIO_REC_* */
	__u8 len;    /* access width in bytes; 0 for MMIO_REC_FAST_WRITE */
	__u16 flags; /* MMIO_F_* */
};

/* Largest window list the program filters on (--window). */
#define MMIO_WINDOWS_MAX 16

/* Ring buffer default and bounds (bytes, a power of two). */
#define MMIO_RING_DEFAULT (8u << 20)
#define MMIO_RING_MIN (64u << 10)
#define MMIO_RING_MAX (1u << 30)

#endif
