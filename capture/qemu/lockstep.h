/* A trace pipe that holds QEMU back: each QEMU thread that writes a trace
 * line blocks at its next line until vmtrace has read and handled the
 * ones before, so a ring copy taken for a line (a QueueNotify write, a
 * pop) sees guest memory as it was when QEMU wrote that line, not after
 * the guest reused it.
 *
 * How: the pipe holds one page (F_SETPIPE_SZ).  Linux appends a small
 * write to the pipe's last page only while it fits there; otherwise the
 * writer waits for a free page (and, woken, takes a free page only: it
 * does not try the last one again).  When QEMU has written, vmtrace fills
 * the page behind QEMU's lines with filler (NUL bytes, which QEMU's text
 * never has, stripped again on reading), leaving room for about one more line (LOCKSTEP_ROOM),
 * appends a one-byte marker and reads all but that byte: the page stays
 * taken, and QEMU waits at its next line, while vmtrace copies rings for
 * the lines it read.  Then it reads the marker, which frees the page for
 * QEMU's next line.  QEMU's line buffering writes each line with one
 * write(2), atomic below PIPE_BUF, so filler never splits a line.
 *
 * Freed, the page is armed again at once: first a short busy wait lets a
 * QEMU thread that waited for a page take it (woken, Linux gives it a
 * free page only; behind our filler it would wait on), then filler goes
 * in behind whatever QEMU wrote.  A thread too slow to wake in that time
 * is freed by the next quiet spell (LOCKSTEP_STALL_MS).
 *
 * The hold is best effort: a line longer than the room, or written while
 * the page is free, lets QEMU run a line or two ahead.  Nothing here
 * blocks vmtrace: its writes are non-blocking.
 *
 * Errors: lockstep_setup returns 0, or a positive errno when lockstep is
 * not available (the pipe works as an ordinary one; reason in err); the
 * reads return bytes or a negative errno. */
#ifndef VMTRACE_QEMU_LOCKSTEP_H
#define VMTRACE_QEMU_LOCKSTEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The pipe's one page. */
#define LOCKSTEP_PIPE_BYTES 4096u
/* Room left in a page armed while no QEMU thread waits: more than its
 * longest line for the events vmtrace asks for (about 130 bytes with the
 * "PID@SEC.USEC:" prefix), so the next line fits; a longer one waits for
 * the next quiet spell (LOCKSTEP_STALL_MS). */
#define LOCKSTEP_ROOM 256u
/* After freeing the page, how long vmtrace waits for a QEMU thread that
 * waited for it to take it before arming it (busy: it is microseconds). */
#define LOCKSTEP_SPIN_NS 50000u
/* A page armed and quiet this long is freed again, in case a QEMU thread
 * woke too late to take it and waits behind the filler. */
#define LOCKSTEP_STALL_MS 1

struct lockstep {
	int rfd;          /* the pipe's read end (borrowed) */
	int fill_fd;      /* vmtrace's own write end, non-blocking; -1: off */
	int ep_fd;        /* edge-triggered epoll on rfd; -1: off */
	size_t own;       /* filler and marker bytes in the pipe, not read back yet */
	uint64_t rounds;  /* holds (reads that kept QEMU waiting) */
	uint64_t filler;  /* filler bytes written */
	uint64_t stalls;  /* quiet armed pages freed again (LOCKSTEP_STALL_MS) */
};

/* Make the pipe (read end rfd, write end wfd, both open) one page long and
 * open a non-blocking write end of vmtrace's own.  Returns 0, or a
 * positive errno with the reason in err: then ls is off and the pipe is
 * an ordinary one. */
int lockstep_setup(struct lockstep *ls, int rfd, int wfd, char *err, size_t errlen);

/* Whether ls holds QEMU back. */
bool lockstep_on(const struct lockstep *ls);

/* Fill the page behind what it holds so that QEMU may add about one
 * line (before QEMU starts; the reads and waits below arm it again
 * themselves).  Nothing to do when off. */
void lockstep_arm(struct lockstep *ls);

/* Wait at most timeout_ms for bytes from QEMU (not just filler).
 * Returns 1 when there are some (or, when off, the pipe polls readable or
 * hung up), 0 on timeout or a signal, or a negative errno. */
int lockstep_wait(struct lockstep *ls, int timeout_ms);

/* Read what QEMU wrote (at most len bytes) while keeping the page taken:
 * QEMU stays blocked at its next line until lockstep_release.  Filler is
 * stripped; returns the bytes left in buf (0 is possible: only filler),
 * or a negative errno (-EAGAIN: nothing there).  When off, a plain read
 * (0 at the end of the pipe). */
ssize_t lockstep_read(struct lockstep *ls, char *buf, size_t len);

/* Let QEMU go on: read the held byte(s) into buf (filler stripped; the
 * bytes returned must be handled like lockstep_read's), which frees the
 * page.  Returns bytes or a negative errno; 0 when off. */
ssize_t lockstep_release(struct lockstep *ls, char *buf, size_t len);

/* Stop holding QEMU (it exited, or the recording failed): close vmtrace's
 * write end so the pipe ends when QEMU's does.  Idempotent. */
void lockstep_off(struct lockstep *ls);

#endif
