/* `vmtrace record --bpf -- COMMAND` and `vmtrace record --bpf --pid PID`:
 * record the MMIO exits of a KVM virtual machine monitor (QEMU, the test
 * host, any VMM) with a BPF program on KVM's tracepoints, keep the
 * accesses to virtio-mmio devices, and decode them when the command exits
 * or vmtrace detaches.
 *
 * Errors: record_bpf returns an exit status (below), its messages printed. */
#ifndef VMTRACE_CLI_RECORD_BPF_H
#define VMTRACE_CLI_RECORD_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <sys/types.h>

#include "bpf/mmio.h"
#include "capture/kvm/kvm_source.h"
#include "capture/rawtrace.h"

/* --window arguments accepted. */
#define RECORD_BPF_WINDOWS_MAX 16

struct record_bpf_opts {
	const char *output; /* trace.db, or *.vmt for the raw trace only */
	const char *raw;    /* --raw: keep the raw trace here too */
	bool force;
	bool quiet;
	bool verbose;       /* libbpf's debug output */
	pid_t pid;          /* --pid: attach to this process; 0 with a command */
	struct kvm_window windows[RECORD_BPF_WINDOWS_MAX]; /* --window */
	size_t n_windows;
	bool only_windows;  /* --only-windows: the kernel passes nothing else */
	uint32_t ring_bytes; /* --ring-size, 0 for the default */
	bool no_snapshots;
	struct rawtrace_write_opts wopts;
};

/* True if this vmtrace was built with BPF capture. */
bool record_bpf_available(void);

/* Record cmd_argv (cmd_argc words; none with o->pid).  all_argv is the
 * whole vmtrace command line for the trace's metadata.  Returns the exit
 * status: with a command, the command's (vmtrace re-raises the signal it
 * died of), 69 if it or the recording could not be started, 1 if the
 * trace could not be written; with --pid, 0 once detached (Ctrl-C,
 * SIGTERM) or the process has ended, 1 if recording failed. */
int record_bpf(const struct record_bpf_opts *o, int cmd_argc, char **cmd_argv, int all_argc, char **all_argv);

#endif
