/* One line of QEMU's trace output, as written by its "log" trace backend
 * for the events memory_region_ops_read / memory_region_ops_write:
 *
 *   memory_region_ops_read cpu 0 mr 0x55d0c1e0 addr 0xfeb02e00 value 0x74726976 size 4 name 'virtio-mmio'
 *
 * optionally prefixed "PID@SECONDS.MICROSECONDS:" (QEMU's -msg timestamp=on).
 * The text comes from another program, so every field is checked. */
#ifndef VMTRACE_QEMU_LINE_H
#define VMTRACE_QEMU_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line kept; QEMU's lines for these events are about 120 bytes. */
#define QEMU_LINE_MAX 4096u
/* Longest memory region name kept (QEMU's names are short). */
#define QEMU_REGION_NAME_MAX 64u

struct qemu_access {
	bool write;
	uint32_t cpu;       /* QEMU's cpu index (-1 prints as 4294967295: no vCPU) */
	uint64_t addr;      /* guest-physical address */
	uint64_t value;     /* masked to the access width */
	uint32_t size;      /* 1, 2, 4 or 8 */
	bool has_time;      /* the line had a PID@SEC.USEC: prefix */
	uint64_t time_ns;   /* that time, in nanoseconds */
	char name[QEMU_REGION_NAME_MAX]; /* memory region name, NUL-terminated */
};

enum qemu_line_kind {
	QEMU_LINE_OTHER = 0,  /* not one of our events (other trace events, -d output) */
	QEMU_LINE_ACCESS = 1, /* *out filled */
	QEMU_LINE_BAD = 2,    /* claims to be one of our events but does not parse */
};

/* Parse line[0..len) (no newline).  For QEMU_LINE_BAD, *why names the
 * problem ("no 'value' field", "size 3 is not 1, 2, 4 or 8", ...). */
enum qemu_line_kind qemu_line_parse(const char *line, size_t len, struct qemu_access *out, const char **why);

#endif
