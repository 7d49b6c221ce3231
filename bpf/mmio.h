/* Records and settings shared by bpf/mmio.bpf.c and the loader in
 * capture/kvm/.  Only fixed-width plain types: the includer provides __u8
 * .. __u64 (vmlinux.h in the BPF program, <linux/types.h> in user space).
 *
 * The program runs on kvm:kvm_mmio in the traced VMM's threads.  On x86 a
 * read that goes out to user space shows twice there: "unsatisfied-read"
 * (type 0, no value) when the vCPU exits, "read" (type 1, with the
 * address, width and value) when the VMM hands the value back on the next
 * KVM_RUN; a read the kernel answers itself shows only as type 1.  The
 * completion says all there is to say, so that is the one record a read
 * gets (one ring record per read, and no per-thread state to keep for
 * type 0; the price: a read whose completion never comes, because the VMM
 * died serving it or vmtrace detached meanwhile, is not recorded). */
#ifndef VMTRACE_BPF_MMIO_H
#define VMTRACE_BPF_MMIO_H

/* kvm:kvm_mmio type field (include/trace/events/kvm.h). */
#define MMIO_TP_UNSATISFIED_READ 0
#define MMIO_TP_READ 1
#define MMIO_TP_WRITE 2

/* struct mmio_rec kind */
#define MMIO_REC_READ 1         /* a read and the value the guest got */
#define MMIO_REC_WRITE 2        /* a write and its value (also when an ioeventfd took it) */
#define MMIO_REC_FAST_WRITE 4   /* kvm:kvm_fast_mmio: a write an ioeventfd took
				 * without decoding it (width and value unknown) */
#define MMIO_REC_MEM 5          /* guest memory copied at a trigger (struct mem_rec) */
#define MMIO_REC_MEMSLOT 6      /* the VMM set a guest memory slot (struct memslot_rec) */
#define MMIO_REC_SNAP_FAIL 7    /* a snapshot was cut short: val = MMIO_SNAP_*, gpa = the
				 * trigger register, len = 0 */

/* One register access; 32 bytes. */
struct mmio_rec {
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 gpa;
	__u64 val;   /* masked to len bytes */
	__u32 tid;   /* the vCPU thread */
	__u8 kind;   /* MMIO_REC_* */
	__u8 len;    /* access width in bytes; 0 for MMIO_REC_FAST_WRITE */
	__u16 flags; /* 0 */
};

/* Largest window list the program filters on (--window). */
#define MMIO_WINDOWS_MAX 16

/* ---- Ring snapshots ----
 * At a QueueNotify write and at an InterruptStatus read the vCPU thread
 * is inside KVM, the guest stopped: the program copies the
 * queue's rings and buffers out of the VMM's memory then (the VMM's
 * KVM_SET_USER_MEMORY_REGION calls, seen at sys_enter, give the
 * guest-physical to host-virtual map).  At a notify: the descriptor table,
 * indirect tables and driver-readable buffers of the chains made available
 * since the last snapshot, then the available ring.  At the completion of
 * an InterruptStatus read (the VMM has served it, the guest has not run
 * yet), for every queue whose used index moved: the device-written
 * buffers of the chains used since the last copy (as many bytes as each
 * used entry says were written), then the used ring.  Bounded: see the limits below;
 * what a limit cut is flagged MMIO_MEM_TRUNCATED. */

/* Memory slots remembered (all traced processes together). */
#define MMIO_MEMSLOTS_MAX 32
/* A memory slot as the program remembers it (a global array in the
 * program: the skeleton shows it to user space too). */
struct mmio_memslot {
	__u32 tgid; /* 0: free */
	__u32 slot;
	__u64 gpa;
	__u64 size;
	__u64 hva;
};

/* Devices (0x200 windows with a MagicValue read) and queues per device
 * whose set-up the program follows.  MMIO_DEVICES_MAX is the size of the
 * devs hash map (keyed by tgid and base, so it is shared by every traced
 * VMM process): 64, as the QEMU ring snapshots take
 * (RING_SNAP_DEVICES_MAX) and the raw trace's device table holds
 * (RAWTRACE_META_DEVICES_MAX), more than one machine has; a trace holds up
 * to VMT_TRACE_DEVICES_MAX (capture/event.h, not included here: this header
 * is shared with BPF C).  A device past it is still recorded, its rings are
 * not copied (MMIO_SNAP_NO_DEVICE). */
#define MMIO_DEVICES_MAX 64
#define MMIO_DEVICES_MAX_STR "64"
#define MMIO_QUEUES_MAX 8
/* Bytes of guest memory in one MMIO_REC_MEM record. */
#define MMIO_MEM_CHUNK 4096u
/* One region (ring, table, buffer) is copied up to this many chunks. */
#define MMIO_REGION_CHUNKS_MAX 16u
/* Descriptors followed per snapshot of one queue. */
#define MMIO_SNAP_DESCS_MAX 256u
/* Bytes of one buffer copied. */
#define MMIO_SNAP_BUF_MAX (16u * 1024u)
/* Bytes copied for one trigger, rings included. */
#define MMIO_SNAP_BYTES_MAX (1u << 20)

/* mem_rec flags */
#define MMIO_MEM_TRUNCATED 0x1  /* a limit cut the region */
#define MMIO_MEM_BEST_EFFORT 0x2 /* the ring's index moved while it was copied */
#define MMIO_MEM_AT_NOTIFY 0x4  /* taken at a QueueNotify write (else at InterruptStatus) */

/* MMIO_REC_MEM: this header, then len bytes of guest memory at gpa. */
struct mem_rec {
	__u64 ts_ns;
	__u64 gpa;
	__u64 trigger_gpa; /* the register whose access took the snapshot */
	__u32 tid;
	__u8 kind;         /* MMIO_REC_MEM */
	__u8 pad;
	__u16 flags;       /* MMIO_MEM_* */
	__u32 len;         /* bytes following the header, <= MMIO_MEM_CHUNK */
	__u32 pad2;
	__u8 data[MMIO_MEM_CHUNK];
};
#define MEM_REC_HEADER 40u /* offsetof(struct mem_rec, data) */

/* MMIO_REC_MEMSLOT: KVM_SET_USER_MEMORY_REGION(2) seen (size 0 deletes). */
struct memslot_rec {
	__u64 ts_ns;
	__u64 gpa;
	__u64 size;
	__u32 tid;
	__u8 kind;  /* MMIO_REC_MEMSLOT */
	__u8 full;  /* 1: MMIO_MEMSLOTS_MAX slots are remembered already, not this one */
	__u16 pad2;
	__u64 hva;
	__u32 slot;
	__u32 flags; /* the region's KVM_MEM_* flags */
};

/* Why a snapshot was cut short (MMIO_REC_SNAP_FAIL val). */
#define MMIO_SNAP_NO_SLOT 1    /* guest memory outside every memory slot seen */
#define MMIO_SNAP_FAULT 2      /* the VMM's memory could not be read (not resident) */
#define MMIO_SNAP_NO_QUEUE 3   /* the queue's set-up was not seen (or index >= MMIO_QUEUES_MAX) */
#define MMIO_SNAP_RING_FULL 4  /* the ring buffer had no room */
#define MMIO_SNAP_NO_DEVICE 5  /* more devices than MMIO_DEVICES_MAX */
#define MMIO_SNAP_LIMIT 6      /* more descriptors or bytes than one snapshot takes */

/* Ring buffer default and bounds (bytes, a power of two). */
#define MMIO_RING_DEFAULT (8u << 20)
#define MMIO_RING_MIN (64u << 10)
#define MMIO_RING_MAX (1u << 30)

#endif
