/* One recording session, whatever the source (the built-in emulator,
 * QEMU's trace events, BPF on KVM's tracepoints): the raw trace it writes
 * and the metadata common to every source, the events the source emits,
 * the periodic flush, the child process it records (spawned, held at a
 * gate until tracing is ready, its signals passed on, its end described),
 * and the one-line summary users and tests read:
 *
 *   [ vmtrace record: N events (L lost), D devices, B bytes -> FILE ]
 *
 * Order of use: session_init, session_meta_common and the source's own
 * metadata (session_meta_set), session_open, then the source's pump
 * (capture/qemu/qemu_pump.h, capture/kvm/kvm_pump.h, capture/driver/
 * rig_record.h) emits through session_emit and calls session_tick,
 * session_close, session_print_summary, session_release.
 *
 * Errors: functions returning int give 0 or a negative errno; exec
 * failures of a child come back as a positive errno (documented where).
 * Nothing here prints except session_print_summary. */
#ifndef VMTRACE_CAPTURE_SESSION_H
#define VMTRACE_CAPTURE_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "capture/rawtrace.h"

/* Default interval of RAWTRACE_FLUSH_INTERVAL when none is given (ms). */
#define SESSION_FLUSH_INTERVAL_DEFAULT_MS 1000u

struct session {
	struct rawtrace_meta meta;   /* filled before session_open; freed by session_release */
	struct rawtrace_writer *w;   /* open between session_open and session_close */
	struct rawtrace_write_opts wopts;
	int error;                   /* first error of the recording (writer, source), 0 if none */
	uint64_t last_flush_ns;      /* session_now_ns() of the last interval flush */
	uint64_t events;             /* events in the trace, kept when it is closed */
};

/* Zero s and set the trace's source (enum vmt_source). */
void session_init(struct session *s, uint32_t source);

/* The metadata every source writes first: "vmtrace-version" and "command"
 * (the vmtrace command line, argc words of argv after "vmtrace").
 * Returns 0 or a negative errno (-ENOSPC, -ENOMEM). */
int session_meta_common(struct session *s, int argc, char *const *argv);

/* Add one key/value pair (copied).  Returns 0 or a negative errno. */
int session_meta_set(struct session *s, const char *key, const char *value);

/* Add key = a command line: first, then argc words of argv, quoted as
 * session_join_args does.  Returns 0 or a negative errno. */
int session_meta_args(struct session *s, const char *key, const char *first, int argc, char *const *argv);

/* The command line as typed ("vmtrace record ..."), quoting words a shell
 * would split or expand; cut with "..." if longer than len. */
void session_join_args(char *buf, size_t len, const char *first, int argc, char *const *argv);

/* Create the raw trace at path with s->meta.  Returns 0 or a negative
 * errno (nothing is open then). */
int session_open(struct session *s, const char *path, const struct rawtrace_write_opts *wopts);

/* The emit callback of every source (qemu_source, kvm_source, ring
 * snapshots): ctx is the struct session.  Appends ev; the first error is
 * kept in s->error and returned. */
int session_emit(void *ctx, const struct vmt_event *ev);

/* Note an error of the recording (the first one is kept): the trace is
 * then closed with end reason "write error".  Returns err. */
int session_fail(struct session *s, int err);

/* now_ns is session_now_ns(): with RAWTRACE_FLUSH_INTERVAL, write the
 * partial block if the interval has passed.  Returns s->error. */
int session_tick(struct session *s, uint64_t now_ns);

/* Events appended so far (or in the closed trace). */
uint64_t session_events(const struct session *s);

/* Close the raw trace: end reason end_reason, or "write error" after an
 * error.  Returns 0, or s->error, or the error of closing.  The trace
 * stays on disk either way; s->events keeps the count. */
int session_close(struct session *s, const char *end_reason);

/* Close the trace if still open (end_reason as given) and free the
 * metadata.  Safe on a session_init'ed or zeroed session. */
void session_release(struct session *s, const char *end_reason);

/* The summary line, on f:
 * "[ vmtrace record: N events (L lost), D device(s), B bytes -> OUTPUT ]",
 * B being the size of output now (-1 if it cannot be read), and
 * " (raw trace: RAW)" after OUTPUT when raw is not NULL. */
struct session_summary {
	uint64_t events;
	uint64_t lost;
	unsigned devices;
	const char *output;  /* the file the user named */
	const char *raw;     /* the raw trace kept beside it, or NULL */
};
void session_print_summary(FILE *f, const struct session_summary *sum);

/* Monotonic clock, nanoseconds. */
uint64_t session_now_ns(void);

/* --- The recorded command ------------------------------------------- */

struct session_child {
	pid_t pid;     /* 0: none */
	int gate;      /* held: write end of the gate, else -1 */
	int exec_err;  /* held: read end of the exec-error pipe, else -1 */
};

struct session_spawn_opts {
	int stdout_fd;     /* the child's stdout, -1: inherited (stdin and stderr always are) */
	const int *keep;   /* descriptors the child inherits (close-on-exec cleared in the child) */
	int n_keep;
	bool gated;        /* hold the child before exec until session_child_release */
};

/* Fork argv[0] (searched in PATH) with default signal dispositions; the
 * child gets SIGTERM if vmtrace dies (even of kill -9).  Not gated: waits
 * until the exec happened and returns 0 with c->pid, or the exec's
 * positive errno (the child is reaped), or a negative errno.  Gated:
 * returns 0 with the child held (c->pid set) or a negative errno. */
int session_spawn(struct session_child *c, char *const *argv, const struct session_spawn_opts *o);

/* Let a held child exec.  Returns 0 once it runs, or a positive errno:
 * the exec's, or the gate's if the child was gone (the child is reaped,
 * c->pid is 0).  SIGPIPE must be ignored (session_signals_forward). */
int session_child_release(struct session_child *c);

/* A held child exits without running anything; a child that was not
 * reaped is waited for.  Does nothing on c->pid == 0. */
void session_child_cancel(struct session_child *c);

/* Run argv with its stdout into out (at most len - 1 bytes kept, the rest
 * drained; NUL-terminated), killing it after timeout_ms.  Returns 0, the
 * exec's positive errno, -ETIMEDOUT or another negative errno. */
int session_run_capture(char *const *argv, char *out, size_t len, int timeout_ms);

/* From now on SIGINT, SIGTERM and SIGHUP are noted and passed on to the
 * process given to session_signals_target (none yet); SIGPIPE is ignored.
 * session_signals_restore puts the old handlers back. */
struct session_signals {
	struct sigaction old_int, old_term, old_hup;
	bool set;
};
void session_signals_forward(struct session_signals *ss);
void session_signals_restore(struct session_signals *ss);
void session_signals_target(pid_t pid); /* 0: nobody */
int session_signals_got(void);          /* last signal received, 0 if none */

/* "WHO exited with status N" / "WHO killed by signal N (name)". */
void session_describe_end(const char *who, int status, char *buf, size_t len);

/* The exit status vmtrace passes on for a wait status: the child's own,
 * or 128 + its signal. */
int session_exit_status(int status);

/* If the child died of a signal, die of it too, without a core file of
 * vmtrace (the crash was the child's).  Returns otherwise. */
void session_die_like(int status);

#endif
