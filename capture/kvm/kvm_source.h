/* KVM MMIO records from the BPF ring (bpf/mmio.h) turned into vmtrace
 * events (source VMT_SRC_KVM_BPF).
 *
 * kvm:kvm_mmio shows every MMIO access of the guest: virtio-mmio devices,
 * but also the local APIC, the HPET, a framebuffer.  An access is kept if
 * its 0x200 window holds a virtio-mmio device: one where a MagicValue read
 * (offset 0, 4 bytes) returned 0x74726976, or one the user listed
 * (--window).  Accesses to a window are held back, in order with
 * everything else, until the window is decided, so a driver that touches
 * a device before reading its MagicValue loses nothing: held accesses are
 * written when their window is proven virtio and dropped when it is proven
 * something else (offset 0 read back another value).  A window that stays
 * undecided longer than hold_ns (or while hold_max accesses wait) counts
 * as not virtio and its accesses are dropped from then on; if its
 * MagicValue read shows up later after all, what was dropped is written
 * as a VMT_EV_LOST event (with a marker saying why) before its next
 * access.  Nothing is dropped silently: the statistics count it all.
 *
 * Guest memory the BPF program copied at a QueueNotify write or an
 * InterruptStatus read (bpf/mmio.h) becomes VMT_EV_MEM events flagged
 * VMT_MEM_SNAPSHOT, exact: the vCPU was stopped in KVM while they were
 * taken (VMT_MEM_BEST_EFFORT only when a ring's index moved meanwhile,
 * i.e. another VMM thread was working on it); they keep their place just
 * before the access that triggered them.
 *
 * Event fields: base = gpa & ~0x1ff, addr = offset in the window, width,
 * dir, value (masked to the width), vcpu (a thread named "CPU n/KVM" is
 * vCPU n, other threads are numbered in the order they first appear),
 * ts_ns = record time - t0_ns.
 *
 * Errors: 0 or a negative errno: -ENOMEM and -EINVAL from kvm_source_new,
 * the emit callback's error passed back unchanged by the others (a record
 * that does not parse is counted as lost, not an error).  kvm_window_parse
 * returns 0 or -1 (an argument that does not parse; not an errno). */
#ifndef VMTRACE_KVM_SOURCE_H
#define VMTRACE_KVM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"

/* A guest-physical range kept without a MagicValue read (--window). */
struct kvm_window {
	uint64_t base;
	uint64_t size;
};

#define KVM_SOURCE_WINDOWS_MAX 65536u      /* 0x200 windows tracked */
#define KVM_SOURCE_HOLD_DEFAULT_NS 2000000000ull
#define KVM_SOURCE_HOLD_MAX_DEFAULT 65536u /* accesses held back at most */
#define KVM_SOURCE_VCPUS_MAX 1024u
#define KVM_SOURCE_HOLD_BYTES_MAX (64u << 20) /* snapshot bytes held back at most */

/* Receives each event (borrowed data); a negative return is passed back. */
typedef int (*kvm_source_emit_fn)(void *ctx, const struct vmt_event *ev);

struct kvm_source_cfg {
	kvm_source_emit_fn emit;
	void *ctx;
	const struct kvm_window *windows; /* copied; may be NULL */
	size_t n_windows;
	uint64_t t0_ns;      /* subtracted from record timestamps */
	uint64_t hold_ns;    /* 0: KVM_SOURCE_HOLD_DEFAULT_NS */
	uint32_t hold_max;   /* 0: KVM_SOURCE_HOLD_MAX_DEFAULT */
	bool thread_names;   /* look vCPU numbers up in /proc/TID/comm */
};

struct kvm_source_stats {
	uint64_t records;    /* ring records taken */
	uint64_t accesses;   /* MMIO events written */
	uint64_t other;      /* accesses to windows that are not virtio-mmio */
	uint64_t dropped_undecided; /* accesses dropped from windows undecided too long */
	uint64_t lost;       /* events counted lost (ring full, incomplete accesses, late windows) */
	uint64_t ring_lost;  /* of those, records the ring had no room for */
	uint64_t incomplete; /* fast-path writes without a value (also counted lost) */
	uint64_t bad;        /* records that were too short or of an unknown kind */
	uint64_t held_max;   /* most accesses held back at once */
	uint64_t snapshot_events; /* VMT_EV_MEM snapshots written */
	uint64_t snapshot_bytes;
	uint64_t snapshot_best_effort; /* of those, taken while the device moved a ring index */
	uint64_t snapshot_failed;  /* snapshots cut short (markers say why) */
	uint64_t snapshot_dropped; /* snapshot records of windows that are not virtio */
	uint64_t memslots;   /* KVM_SET_USER_MEMORY_REGION calls seen */
	uint64_t memslots_unkept; /* ... the program had no room to remember */
	unsigned devices;    /* windows proven virtio-mmio */
	unsigned undecided;  /* windows with accesses that never proved anything */
	unsigned vcpus;      /* vCPU threads seen */
};

struct kvm_source;

/* Returns 0, -ENOMEM, or -EINVAL for a window list that is too long. */
int kvm_source_new(struct kvm_source **out, const struct kvm_source_cfg *cfg);

/* One record as it came out of the ring (len bytes).  now_ns is the
 * current CLOCK_MONOTONIC time (for holding back).  Returns 0 or the emit
 * callback's negative error. */
int kvm_source_record(struct kvm_source *s, const void *data, size_t len, uint64_t now_ns);

/* The ring had no room for n more records (a running count's increase). */
int kvm_source_ring_lost(struct kvm_source *s, uint64_t n, uint64_t now_ns);

/* Let held-back accesses of windows undecided past hold_ns go. */
int kvm_source_tick(struct kvm_source *s, uint64_t now_ns);

/* The recording ended: decided accesses are written, undecided ones
 * dropped (counted in stats.dropped_undecided). */
int kvm_source_end(struct kvm_source *s, uint64_t now_ns);

void kvm_source_get_stats(const struct kvm_source *s, struct kvm_source_stats *st);

/* Fill out with the windows proven virtio-mmio so far, at most max;
 * returns how many there are in all. */
size_t kvm_source_devices(const struct kvm_source *s, uint64_t *bases, size_t max);

void kvm_source_free(struct kvm_source *s); /* NULL is a no-op */

/* Parse "BASE[+SIZE]" (numbers in C notation, SIZE 0x200 if left out;
 * BASE and SIZE multiples of 0x200).  Returns 0 or -1. */
int kvm_window_parse(const char *s, struct kvm_window *w);

#endif
