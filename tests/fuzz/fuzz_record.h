/* Small emulator recordings for the fuzz targets and their seeds: the
 * built-in driver on the built-in machine (capture/driver/rig.h), as
 * `vmtrace record --emu` runs it, into a raw trace. */
#ifndef VMTRACE_TESTS_FUZZ_FUZZ_RECORD_H
#define VMTRACE_TESTS_FUZZ_FUZZ_RECORD_H

#include <stdbool.h>
#include <stdint.h>

struct fuzz_recording {
	const char *devices;  /* "blk,net,console,rng" */
	bool legacy;          /* Version 1 register layout */
	const char *workload; /* drv_wl_opts_parse spec, NULL for the defaults */
	bool indirect, event_idx;
	bool packed;          /* packed rings (RING_PACKED offered and accepted) */
	uint32_t block_size;  /* raw trace block size, 0 = default */
};

/* Record into path (created or truncated), closed with the end reason
 * "normal" (a footer of FUZZ_RECORD_FOOTER_BYTES). Returns 0, or -1 with
 * a message printed. */
#define FUZZ_RECORD_FOOTER_BYTES (32u + 20u + 6u)

int fuzz_record(const char *path, const struct fuzz_recording *rec);

#endif
