/* `vmtrace record -- qemu-system-... ARGS`: run QEMU with its MMIO trace
 * events going into a pipe, turn them into events while the guest runs,
 * and decode the result when QEMU exits.
 *
 * Errors: record_qemu returns an exit status (below), its messages printed. */
#ifndef VMTRACE_CLI_RECORD_QEMU_H
#define VMTRACE_CLI_RECORD_QEMU_H

#include <stdbool.h>

#include "capture/rawtrace.h"

struct record_qemu_opts {
	const char *output;   /* trace.db, or *.vmt for the raw trace only */
	const char *raw;      /* --raw: keep the raw trace here too */
	const char *qemu_log; /* --qemu-log: copy of everything QEMU wrote to its trace */
	bool force;
	bool quiet;
	bool no_ram;          /* --no-snapshots: do not share guest RAM */
	bool no_hold;         /* --no-hold: QEMU is not held at each trace line */
	struct rawtrace_write_opts wopts;
};

/* Record cmd_argv (cmd_argc words, the QEMU command); all_argv is the whole
 * vmtrace command line for the trace's metadata.  Returns the exit status:
 * QEMU's, 69 if it could not be started, 1 if the trace could not be
 * written, 2 for a command vmtrace cannot record.  If QEMU died of a
 * signal, vmtrace re-raises it after writing everything. */
int record_qemu(const struct record_qemu_opts *o, int cmd_argc, char **cmd_argv, int all_argc, char **all_argv);

#endif
