/* Recording a KVM VMM's MMIO exits: take the records a record source
 * delivers (the BPF ring of kvm_bpf.h, or a test's synthetic records),
 * turn them into events (kvm_source.h) written to the session, until the
 * recorded command exits or, attached to a running process (--pid), until
 * a signal or that process's end.
 *
 * The record source sits behind an ops table, so the pump runs without
 * BPF in the unit tests (tests/kvm/test_kvm_pump.c).
 *
 * Order of use: kvm_pump_zero, the record source's set-up (kvm_bpf_open
 * with kvm_pump_record and the pump) and kvm_pump_set_ops, kvm_pump_init
 * once the session is open, kvm_pump_start, kvm_pump_run,
 * kvm_pump_release.
 *
 * Errors: 0 or a negative errno; two exceptions, documented where they
 * are: kvm_pump_start gives the command's exec errno as a positive code,
 * and kvm_pump_run returns the command's wait status. */
#ifndef VMTRACE_KVM_PUMP_H
#define VMTRACE_KVM_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture/kvm/kvm_source.h"
#include "capture/session.h"

/* How long one wait for records lasts (the BPF program wakes vmtrace
 * sooner once a quarter of its ring is used). */
#define KVM_PUMP_POLL_MS 100

/* Where records come from.  attach starts taking records of process
 * tgid (and its children), with the reason in err if it cannot.  poll
 * waits up to timeout_ms, then hands every record it has to
 * kvm_pump_record (with the pump as ctx) and returns how many, or a
 * negative errno (-EINTR: a signal cut the wait short, not an error).
 * ring_lost is the running count of records the source had no room for.
 * detach stops new records; those already taken can still be polled. */
struct kvm_pump_ops {
	int (*attach)(void *ctx, pid_t tgid, char *err, size_t errlen);
	int (*poll)(void *ctx, int timeout_ms);
	uint64_t (*ring_lost)(const void *ctx);
	void (*detach)(void *ctx);
};

struct kvm_pump {
	struct session *s;
	struct kvm_source *src;         /* owned */
	const struct kvm_pump_ops *ops;
	void *ops_ctx;
	uint64_t now_ns;                /* time of the current batch of records */
	uint64_t ring_lost;             /* lost-record count already turned into events */
	pid_t pid;                      /* the process recorded, 0 before kvm_pump_start */
	bool attached;                  /* pid is not ours (--pid) */
	struct session_child child;     /* the recorded command, if ours */
	struct sigaction old_chld;      /* SIGCHLD's handler before kvm_pump_start */
	bool chld_set;
};

/* Zero p: nothing started. */
void kvm_pump_zero(struct kvm_pump *p);

/* Set p up to write into s: a kvm_source with cfg (its emit and ctx are
 * set here; t0_ns is now).  The ops are set with kvm_pump_set_ops once the
 * source of records exists (kvm_bpf_open takes kvm_pump_record and p).
 * Returns 0, -ENOMEM or -EINVAL (kvm_source_new). */
int kvm_pump_init(struct kvm_pump *p, struct session *s, const struct kvm_source_cfg *cfg);
void kvm_pump_set_ops(struct kvm_pump *p, const struct kvm_pump_ops *ops, void *ops_ctx);

/* A kvm_bpf_record_fn: one record (len bytes) into the event source. */
int kvm_pump_record(void *pump, const void *data, size_t len);

/* Start recording: with cmd_argv, fork the command held at a gate (see
 * session_spawn), attach to it, then let it exec, so that its first MMIO
 * exit is already seen; without, attach to the running process tgid.
 * From here until kvm_pump_release, SIGCHLD cuts a wait for records short.
 * Returns 0, or an error with the reason in err: a negative errno, or the
 * command's positive exec errno. */
int kvm_pump_start(struct kvm_pump *p, char *const *cmd_argv, pid_t tgid, char *err, size_t errlen);

/* Record until p->pid ends: our command (reaped here; its wait status is
 * returned), or the process we are attached to (until a signal noted by
 * session_signals_forward, or its end; returns 0).  After an error of the
 * session our command gets SIGTERM (attached: the recording ends).  Then
 * the source is detached, the last records taken and the held-back
 * accesses settled.  end_reason says why it stopped. */
int kvm_pump_run(struct kvm_pump *p, char *end_reason, size_t len);

/* Free the event source, let a command still held go without running,
 * reap a command not yet reaped, put SIGCHLD's handler back. */
void kvm_pump_release(struct kvm_pump *p); /* safe after kvm_pump_zero */

/* The BPF-specific metadata: "traced-pid" (tgid > 0) or "traced-command",
 * "kernel", "capture" (ring_bytes, 0 for the default), "windows",
 * "ring-snapshots" (snapshots asked for; snapshots_off: why the kernel
 * could not take them, or NULL).  Returns 0 or a negative errno. */
struct kvm_pump_meta {
	pid_t tgid;               /* --pid, else 0 */
	int cmd_argc;             /* the command, without --pid */
	char *const *cmd_argv;
	const struct kvm_window *windows;
	size_t n_windows;
	bool only_windows;
	uint32_t ring_bytes;
	bool snapshots;
	const char *snapshots_off;
};
int kvm_pump_meta(struct session *s, const struct kvm_pump_meta *m);

/* The thread-group id of pid from /proc, or -1 if there is no such process. */
pid_t kvm_pump_tgid(pid_t pid);

/* True if the process holds a KVM virtual machine open (or if that cannot
 * be told). */
bool kvm_pump_has_vm(pid_t pid);

#endif
