/* The BPF side of KVM capture: check privileges, load bpf/mmio.bpf.c (its
 * generated skeleton), attach it for one process, and hand the records of
 * its ring buffer (bpf/mmio.h) to a callback.
 *
 * Order of use: kvm_bpf_open (loads: fails early, before anything is
 * started, if privileges or kernel support are missing), kvm_bpf_attach
 * once the process to trace exists, kvm_bpf_poll until done,
 * kvm_bpf_detach (no new records), a last kvm_bpf_poll, kvm_bpf_free.
 *
 * Errors: 0 or a negative errno with the reason in err where the call
 * takes one (-EPERM and -ENOTSUP for missing privileges or kernel
 * support); kvm_bpf_poll returns the records taken (>= 0) or a negative
 * errno, the record callback's passed back unchanged. */
#ifndef VMTRACE_KVM_BPF_H
#define VMTRACE_KVM_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture/kvm/kvm_pump.h"
#include "capture/kvm/kvm_source.h"

struct kvm_bpf_cfg {
	const struct kvm_window *windows; /* filtered on in the kernel if only_windows */
	size_t n_windows;
	bool only_windows;
	bool follow_forks;   /* children of the traced process too */
	bool snapshots;      /* copy rings and buffers at QueueNotify / InterruptStatus */
	uint32_t ring_bytes; /* 0: MMIO_RING_DEFAULT; a power of two */
	bool verbose;        /* libbpf's debug output */
};

/* Receives one ring record (len bytes, valid during the call only). */
typedef int (*kvm_bpf_record_fn)(void *ctx, const void *data, size_t len);

struct kvm_bpf;

/* What this process lacks to load and attach the program: a sentence
 * naming the missing capabilities, or the kernel's missing BTF, in err.
 * Returns 0 if nothing is known to be missing, -EPERM or -ENOTSUP. */
int kvm_bpf_check(char *err, size_t errlen);

/* Check, raise RLIMIT_MEMLOCK, open and load.  Returns 0 with *out, or a
 * negative errno with the reason in err. */
int kvm_bpf_open(struct kvm_bpf **out, const struct kvm_bpf_cfg *cfg, kvm_bpf_record_fn fn, void *ctx,
		 char *err, size_t errlen);

/* NULL, or why the snapshots asked for are off: the kernel refused the
 * program with them (too old for bpf_loop, say), so it was loaded
 * without (register accesses only). */
const char *kvm_bpf_snapshots_off(const struct kvm_bpf *k);

/* Start tracing process tgid.  Returns 0 or a negative errno (err). */
int kvm_bpf_attach(struct kvm_bpf *k, pid_t tgid, char *err, size_t errlen);

/* Wait up to timeout_ms for the ring to fill past its wake-up mark, then
 * take every record in it.  Returns the number taken, or the callback's
 * negative return, or another negative errno. */
int kvm_bpf_poll(struct kvm_bpf *k, int timeout_ms);

/* Records the ring had no room for since attach (all CPUs). */
uint64_t kvm_bpf_ring_lost(const struct kvm_bpf *k);

/* Stop tracing; records already in the ring can still be polled. */
void kvm_bpf_detach(struct kvm_bpf *k);

void kvm_bpf_free(struct kvm_bpf *k); /* NULL is a no-op */

/* The pump's record source (kvm_pump.h) over a struct kvm_bpf (the ops'
 * ctx): kvm_bpf_attach, kvm_bpf_poll, kvm_bpf_ring_lost, kvm_bpf_detach.  kvm_bpf_open
 * takes kvm_pump_record and the pump as its callback. */
extern const struct kvm_pump_ops kvm_bpf_pump_ops;

#endif
