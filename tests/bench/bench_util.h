/* Shared by the benchmarks: a big, realistic emulator workload. */
#ifndef VMTRACE_BENCH_UTIL_H
#define VMTRACE_BENCH_UTIL_H

#include <stdint.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* Seconds of CPU time this process has used (user and system, every
 * thread): what a single-threaded step costs whatever else the machine
 * runs meanwhile. */
double bench_cpu_now(void);

/* Run `passes` passes of the heavy workload on all four device types,
 * recording into trace_path if it is not NULL. Returns the seconds the
 * driver ran (machine set-up excluded), or -1; *events gets the number of
 * events recorded. */
double bench_emu_run(const char *trace_path, unsigned passes, uint64_t *events);

/* Remove a SQLite file and its -wal, -shm and -journal side files. */
void bench_remove_db(const char *path);
/* A scratch path under TMPDIR unique to this process. */
const char *bench_tmp(const char *name);

#endif
