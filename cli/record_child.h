/* What `vmtrace record` does around the command it traces, whatever the
 * source (QEMU trace events, BPF): pass Ctrl-C/SIGTERM/SIGHUP on to it,
 * say how it ended, and end the way it ended (rr, perf). */
#ifndef VMTRACE_CLI_RECORD_CHILD_H
#define VMTRACE_CLI_RECORD_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct record_signals {
	struct sigaction old_int, old_term, old_hup;
	bool set;
};

/* From now on SIGINT, SIGTERM and SIGHUP are noted and passed on to the
 * process given to record_signals_target (none yet); SIGPIPE is ignored.
 * record_signals_restore puts the old handlers back. */
void record_signals_forward(struct record_signals *rs);
void record_signals_restore(struct record_signals *rs);
void record_signals_target(pid_t pid); /* 0: nobody */
int record_signals_got(void);          /* last signal received, 0 if none */

/* In a child between fork and exec: default dispositions again. */
void record_child_reset_signals(void);

/* Monotonic clock, nanoseconds. */
uint64_t record_now_ns(void);

/* "WHO exited with status N" / "WHO killed by signal N (name)". */
void record_describe_end(const char *who, int status, char *buf, size_t len);

/* The exit status vmtrace passes on for a wait status: the child's own,
 * or 128 + its signal. */
int record_exit_status(int status);

/* If the child died of a signal, die of it too, without a core file of
 * vmtrace (the crash was the child's). Returns otherwise. */
void record_die_like(int status);

#endif
