/* Recording a QEMU command through its trace events: check the QEMU
 * binary, plan its command line (qemu_args.h) with the trace going into
 * a pipe and guest RAM shared for ring snapshots (guest_ram.h), run it,
 * and pump its trace text into the session (qemu_source.h) until it
 * exits.  The guest's console (QEMU's stdin, stdout, stderr) stays on
 * vmtrace's terminal.
 *
 * Order of use: qemu_pump_init, qemu_pump_plan, qemu_pump_meta (after session_meta_common),
 * session_open, qemu_pump_start, qemu_pump_run, qemu_pump_release.
 *
 * Errors: 0, a negative errno, or the positive codes documented below. */
#ifndef VMTRACE_QEMU_PUMP_H
#define VMTRACE_QEMU_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "capture/qemu/guest_ram.h"
#include "capture/qemu/lockstep.h"
#include "capture/qemu/qemu_args.h"
#include "capture/qemu/qemu_source.h"
#include "capture/session.h"

/* How long a check of the QEMU binary (-trace help, -version) may take. */
#define QEMU_PUMP_CHECK_TIMEOUT_MS 20000
/* How long one wait for trace text lasts; once QEMU has exited, the first
 * wait that brings nothing ends the recording even if something QEMU
 * started still holds the pipe open (QEMU's own lines are all in it). */
#define QEMU_PUMP_POLL_MS 200
/* Bytes read from the pipe at once. */
#define QEMU_PUMP_READ_CHUNK (256u * 1024u)

/* Positive returns of qemu_pump_plan. */
enum {
	QEMU_PUMP_E_COMMAND = 1, /* a command vmtrace cannot record (usage error) */
	QEMU_PUMP_E_QEMU = 2,    /* the binary cannot be run or lacks the trace events */
};

struct qemu_pump {
	struct qemu_plan plan;     /* the command QEMU runs with */
	struct guest_ram ram;      /* shared guest RAM; map NULL if not shared */
	char version[128];         /* first line of 'QEMU -version', "" if unknown */
	int trace_fd[2];           /* the trace pipe: [0] read here, [1] QEMU's */
	struct lockstep lock;      /* holds QEMU at each trace line (lockstep.h); off if unavailable */
	char lock_note[160];       /* why lockstep is off, "" if on */
	struct qemu_source *src;   /* owned */
	struct session_child child;
	uint64_t t0_ns;            /* session_now_ns() when QEMU started */
	struct qemu_source_stats stats; /* filled by qemu_pump_run */
	int read_error;            /* errno that ended reading the trace early, 0 if none */
};

/* Zero p, with no descriptor open. */
void qemu_pump_init(struct qemu_pump *p);

/* Check cmd_argv (argv[0] is QEMU) and everything its run needs: the
 * binary's trace events and version, the guest RAM file (unless no_ram),
 * the trace pipe.  p->plan.note says why RAM is not shared, if so.
 * Returns 0; QEMU_PUMP_E_COMMAND or QEMU_PUMP_E_QEMU with the reason in
 * err; or a negative errno with the reason in err. */
int qemu_pump_plan(struct qemu_pump *p, int cmd_argc, char **cmd_argv, bool no_ram, char *err, size_t errlen);

/* --no-hold: QEMU is not held at each trace line (after qemu_pump_plan). */
void qemu_pump_no_hold(struct qemu_pump *p);

/* The QEMU-specific metadata (source, guest RAM, qemu-command,
 * qemu-version, machine, guest-ram).  Returns 0 or a negative errno. */
int qemu_pump_meta(const struct qemu_pump *p, struct session *s);

/* Make the event source (emitting into s) and start QEMU.  Returns 0, the
 * exec's positive errno, or a negative errno. */
int qemu_pump_start(struct qemu_pump *p, struct session *s);

/* Pump QEMU's trace (p->trace_fd[0]) into p->src and so into s until
 * QEMU (p->child.pid) has exited and its output is drained, with a copy
 * of every byte to copy if not NULL; tick s meanwhile; reap QEMU.  Returns
 * its wait status; p->stats says what was seen, p->read_error why reading
 * the pipe stopped early (0 if it did not).  After an error of s, QEMU
 * gets SIGTERM and its output is drained without being recorded.  Tests
 * set src, trace_fd[0], child.pid and t0_ns themselves and call this. */
int qemu_pump_run(struct qemu_pump *p, struct session *s, FILE *copy);

/* Close, free and reap whatever is left (a QEMU still running is waited
 * for).  Safe after qemu_pump_init, whatever followed. */
void qemu_pump_release(struct qemu_pump *p);

#endif
