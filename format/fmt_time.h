/* The time column of dump and show (and the TUI's event list): the time
 * since the trace's first event, in microseconds with nanosecond decimals
 * ("     70.000us").  QEMU's traces carry wall-clock times (its
 * -msg timestamp=on), the emulator's start at 0: counting from the first
 * event gives every source short, comparable times, and the same column in
 * every view of one trace. */
#ifndef VMTRACE_FORMAT_FMT_TIME_H
#define VMTRACE_FORMAT_FMT_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Write ts_ns - first_ns as "<us>.<ns>us" right-aligned in width
 * characters (more if it needs them) into buf (len > 0, always
 * NUL-terminated).  A time before first_ns (a trace whose clock went
 * backwards) gets a minus sign.  Returns the length written. */
size_t fmt_time_us(char *buf, size_t len, int width, uint64_t ts_ns, uint64_t first_ns);

/* A latency from one event's time to another's, in the unit that keeps it
 * short: "+231.500us", "+80.206ms", "+3.589s" (three decimals, truncated;
 * "-..." when to is before from).  Either time negative (unknown): "-".
 * Returns buf (len > 0, always NUL-terminated). */
const char *fmt_latency(char *buf, size_t len, int64_t from_ns, int64_t to_ns);

#endif
