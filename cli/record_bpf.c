/* vmtrace record --bpf: the options and output files of a recording of
 * KVM MMIO exits through BPF; the recording itself is capture/kvm/
 * kvm_pump.h over kvm_bpf.h in a capture/session.h session (record_bpf.h).
 *
 * With a command, the program is loaded first (so missing privileges are
 * reported before anything runs), the command is forked but held at a
 * gate until the program is attached to its process, then released: its
 * first MMIO exit is already traced.  With --pid, the program is attached
 * to a running process until Ctrl-C (or SIGTERM), or until it ends.  The
 * trace is decoded at the end. */
#include "cli/record_bpf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "config.h"

#if HAVE_BPF
#include "capture/kvm/kvm_bpf.h"
#include "capture/kvm/kvm_pump.h"
#include "capture/session.h"
#include "cli/record_out.h"

static void print_summary(const struct kvm_pump *p, const struct kvm_bpf *bpf, const struct record_bpf_opts *o,
			  const struct record_out *ro, const char *end_reason, uint64_t events)
{
	struct kvm_source_stats st;
	struct session_summary sum = { .events = events, .output = ro->output, .raw = ro->db_path ? o->raw : NULL };

	kvm_source_get_stats(p->src, &st);
	fprintf(stderr,
		"vmtrace: %s; %llu virtio-mmio accesses on %u device%s, %llu other MMIO accesses skipped\n",
		end_reason, (unsigned long long)st.accesses, st.devices, st.devices == 1 ? "" : "s",
		(unsigned long long)(st.other + st.dropped_undecided));
	if (!o->no_snapshots && !kvm_bpf_snapshots_off(bpf))
		fprintf(stderr, "vmtrace: ring snapshots: %llu memory events (%.1f KB)%s%s, %llu memory slot%s seen\n",
			(unsigned long long)st.snapshot_events, st.snapshot_bytes / 1e3,
			st.snapshot_best_effort ? ", some taken while the device moved a ring index (best-effort)" : "",
			st.snapshot_failed ? ", some incomplete (see the markers)" : "",
			(unsigned long long)st.memslots, st.memslots == 1 ? "" : "s");
	if (!o->no_snapshots && st.snapshot_failed && !st.memslots)
		warning("no ring contents were recorded: vmtrace did not see the VMM set its guest memory "
			"(KVM_SET_USER_MEMORY_REGION)%s", o->pid ? ", which it did before vmtrace attached" : "");
	if (st.ring_lost)
		warning("the BPF ring buffer overflowed: %llu records lost (a bigger --ring-size helps)",
			(unsigned long long)st.ring_lost);
	if (st.incomplete)
		warning("%llu accesses were seen without their value (see the markers in the trace)",
			(unsigned long long)st.incomplete);
	if (o->pid && st.dropped_undecided)
		warning("%llu accesses to %u window%s were skipped: no MagicValue read was seen there (vmtrace "
			"attached after the driver probed?); --window BASE[+SIZE] keeps a device's window",
			(unsigned long long)st.dropped_undecided, st.undecided, st.undecided == 1 ? "" : "s");
	sum.lost = st.lost;
	sum.devices = st.devices;
	session_print_summary(stderr, &sum);
}

int record_bpf(const struct record_bpf_opts *o, int cmd_argc, char **cmd_argv, int all_argc, char **all_argv)
{
	struct kvm_bpf_cfg bcfg = {
		.windows = o->windows,
		.n_windows = o->n_windows,
		.only_windows = o->only_windows,
		.follow_forks = true,
		.snapshots = !o->no_snapshots,
		.ring_bytes = o->ring_bytes,
		.verbose = o->verbose,
	};
	struct kvm_source_cfg scfg = {
		.windows = o->windows,
		.n_windows = o->n_windows,
		.thread_names = true,
	};
	struct kvm_pump_meta pm = {
		.cmd_argc = cmd_argc,
		.cmd_argv = cmd_argv,
		.windows = o->windows,
		.n_windows = o->n_windows,
		.only_windows = o->only_windows,
		.ring_bytes = o->ring_bytes,
		.snapshots = !o->no_snapshots,
	};
	struct kvm_pump pump;
	struct kvm_bpf *bpf = NULL;
	struct session ss;
	struct record_out ro = { 0 };
	struct session_signals sigs = { 0 };
	char err[512], end_reason[160] = "aborted";
	int status = 0, r, ret = 1;
	pid_t pid = 0;

	kvm_pump_zero(&pump);
	session_init(&ss, VMT_SRC_KVM_BPF);
	if (o->pid) {
		pid = kvm_pump_tgid(o->pid);
		if (pid <= 0) {
			error("--pid %d: no such process", (int)o->pid);
			return EXIT_USAGE;
		}
		if (!kvm_pump_has_vm(pid) && !o->quiet)
			warning("process %d has no KVM virtual machine open (no anon_inode:kvm-vm among its files): "
				"there may be nothing to record", (int)pid);
	}
	/* Load first: missing privileges are reported before anything runs. */
	r = kvm_bpf_open(&bpf, &bcfg, kvm_pump_record, &pump, err, sizeof(err));
	if (r < 0) {
		error("%s", err);
		return o->pid ? 1 : EXIT_NOSTART;
	}
	kvm_pump_set_ops(&pump, &kvm_bpf_pump_ops, bpf);
	if (kvm_bpf_snapshots_off(bpf) && !o->quiet)
		warning("no ring snapshots: %s; recording register accesses only", kvm_bpf_snapshots_off(bpf));
	pm.tgid = pid;
	pm.snapshots_off = kvm_bpf_snapshots_off(bpf);
	if (session_meta_common(&ss, all_argc, all_argv) != 0 || kvm_pump_meta(&ss, &pm) != 0) {
		error("cannot build the trace metadata");
		goto out;
	}
	if ((r = record_out_open(&ro, &ss, o->output, o->raw, o->force, o->quiet, &o->wopts)) != 0) {
		ret = r;
		goto out;
	}
	if (kvm_pump_init(&pump, &ss, &scfg) < 0) {
		error("out of memory");
		goto out;
	}
	/* With a command, signals are passed on to it; with --pid they only
	 * end the recording (nobody is the target). */
	session_signals_forward(&sigs);
	r = kvm_pump_start(&pump, o->pid ? NULL : cmd_argv, pid, err, sizeof(err));
	if (r != 0) {
		error("%s", err);
		ret = o->pid ? 1 : EXIT_NOSTART;
		goto out;
	}
	if (!o->quiet) {
		if (o->pid)
			fprintf(stderr, "vmtrace: recording process %d with BPF -> %s (Ctrl-C detaches)\n", (int)pid,
				ro.output);
		else
			fprintf(stderr, "vmtrace: recording %s with BPF -> %s\n", cmd_argv[0], ro.output);
	}

	status = kvm_pump_run(&pump, end_reason, sizeof(end_reason));
	if (record_out_end_trace(&ro, &ss, end_reason, o->pid ? "vmtrace detached" : "the command was stopped") != 0)
		goto out;
	if (record_out_finish(&ro, !o->quiet && stderr_is_tty()) != 0)
		goto out;
	if (!o->quiet)
		print_summary(&pump, bpf, o, &ro, end_reason, ss.events);
	ret = o->pid ? 0 : session_exit_status(status);
out:
	kvm_pump_release(&pump);
	record_out_release(&ro, &ss, end_reason);
	kvm_bpf_free(bpf);
	session_signals_restore(&sigs);
	/* Die the way the command died (rr, perf): shells and CI see the signal. */
	if (!o->pid && WIFSIGNALED(status) && ret == 128 + WTERMSIG(status))
		session_die_like(status);
	return ret;
}

bool record_bpf_available(void)
{
	return true;
}

#else /* !HAVE_BPF */

bool record_bpf_available(void)
{
	return false;
}

int record_bpf(const struct record_bpf_opts *o, int cmd_argc, char **cmd_argv, int all_argc, char **all_argv)
{
	(void)cmd_argc;
	(void)cmd_argv;
	(void)all_argc;
	(void)all_argv;
	error("this vmtrace was built without BPF capture (--bpf): it needs libbpf, clang, bpftool and a kernel "
	      "with BTF (/sys/kernel/btf/vmlinux) at build time (meson setup -Dbpf=enabled says what is missing)");
	return o->pid ? 1 : EXIT_NOSTART;
}

#endif
