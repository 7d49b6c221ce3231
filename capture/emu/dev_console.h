/* virtio-console model extras: what the driver wrote, a way to type input
 * into the device later, and counters.
 *
 * Errors: dev_console_input returns 0, the positive DEV_CONSOLE_E_FULL
 * (input dropped: documented, not fatal) or -EINVAL (not a console). */
#ifndef VMTRACE_EMU_DEV_CONSOLE_H
#define VMTRACE_EMU_DEV_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct emu_device;

/* Options of emu_model_console (emu_device_cfg.opts). */
struct dev_console_opts {
	const char *in;        /* file read as console input; NULL = input buffer */
	const char *out;       /* file console output is appended to; NULL = output buffer */
	const uint8_t *input;  /* initial input bytes when in is NULL; borrowed for init */
	size_t input_len;
	bool echo;             /* loop output back as input (the built-in workload's check) */
};

/* The output buffer keeps at most this many bytes (later ones are counted
 * in out_dropped, and still go to opts->out); pending input is
 * capped the same way. */
#define DEV_CONSOLE_OUTPUT_MAX (1u << 20)
#define DEV_CONSOLE_INPUT_MAX (1u << 20)
#define DEV_CONSOLE_COLS 80u
#define DEV_CONSOLE_ROWS 25u

/* dev_console_input: some bytes did not fit under DEV_CONSOLE_INPUT_MAX. */
#define DEV_CONSOLE_E_FULL 1

struct dev_console_stats {
	uint64_t tx_bytes;     /* bytes the driver transmitted */
	uint64_t rx_bytes;     /* bytes delivered into receive buffers */
	uint64_t out_dropped;  /* output bytes beyond DEV_CONSOLE_OUTPUT_MAX */
	uint64_t in_dropped;   /* input bytes beyond DEV_CONSOLE_INPUT_MAX */
	uint64_t out_errors;   /* failed writes to opts->out */
	uint64_t malformed;    /* RULE_REQUEST_MALFORMED reports */
	uint64_t pending;      /* input bytes waiting for a receive buffer */
};

/* Bytes the driver has transmitted so far (at most DEV_CONSOLE_OUTPUT_MAX):
 * *bytes points into the device and stays valid until the next call into
 * the device. Returns 0 (and *bytes = NULL) if d is not a console. */
size_t dev_console_output(struct emu_device *d, const uint8_t **bytes);

/* Queue n input bytes for the driver and deliver what fits into posted
 * receive buffers now.  Returns 0, DEV_CONSOLE_E_FULL if bytes were
 * dropped, or -EINVAL if d is not a console. */
int dev_console_input(struct emu_device *d, const void *p, size_t n);

const struct dev_console_stats *dev_console_stats(const struct emu_device *d);

#endif
