/* vmtrace record -- qemu-system-...: the options and output files of a
 * QEMU recording; the recording itself is capture/qemu/qemu_pump.h in a
 * capture/session.h session (record_qemu.h). */
#include "cli/record_qemu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "capture/qemu/qemu_pump.h"
#include "capture/session.h"
#include "cli/commands.h"
#include "cli/record_out.h"
#include "cli/util.h"

int record_qemu(const struct record_qemu_opts *o, int cmd_argc, char **cmd_argv, int all_argc, char **all_argv)
{
	struct qemu_pump p;
	struct session ss;
	struct record_out ro = { 0 };
	struct session_signals sigs = { 0 };
	char err[1024], end_reason[128] = "aborted";
	int status = 0, r, ret = 1;
	FILE *qlog = NULL;

	qemu_pump_init(&p);
	session_init(&ss, VMT_SRC_QEMU);
	r = qemu_pump_plan(&p, cmd_argc, cmd_argv, o->no_ram, err, sizeof(err));
	if (r == QEMU_PUMP_E_COMMAND) {
		error("%s", err);
		usage_hint();
		ret = EXIT_USAGE;
		goto out;
	}
	if (r == QEMU_PUMP_E_QEMU)
		ret = EXIT_NOSTART;
	if (r != 0) {
		error("%s", err);
		goto out;
	}
	if (p.plan.note[0] && !o->quiet)
		warning("%s", p.plan.note);
	if (o->no_hold)
		qemu_pump_no_hold(&p);

	if (session_meta_common(&ss, all_argc, all_argv) != 0 || qemu_pump_meta(&p, &ss) != 0) {
		error("cannot build the trace metadata");
		goto out;
	}
	if ((r = record_out_open(&ro, &ss, o->output, o->raw, o->force, o->quiet, &o->wopts)) != 0) {
		ret = r;
		goto out;
	}
	if (o->qemu_log && !(qlog = fopen(o->qemu_log, "we"))) {
		error("unable to create '%s': %s", o->qemu_log, strerror(errno));
		goto out;
	}

	if (!o->quiet) {
		fprintf(stderr, "vmtrace: recording %s%s -> %s\n", cmd_argv[0],
			p.ram.map ? " (guest RAM shared: rings snapshotted, best-effort)" : "", ro.output);
		if (p.plan.kvm && p.plan.ioeventfd_added)
			fprintf(stderr, "vmtrace: added -global virtio-mmio.ioeventfd=off so that QueueNotify writes "
					"reach QEMU's trace under KVM\n");
		if (p.plan.kvm && p.plan.ioeventfd_user_on)
			warning("virtio-mmio.ioeventfd=on: under KVM QueueNotify writes bypass QEMU's trace and "
				"will be missing (the kvm-bpf source sees them)");
	}

	session_signals_forward(&sigs);
	r = qemu_pump_start(&p, &ss);
	if (r == -ENOMEM) {
		error("out of memory");
		goto out;
	}
	if (r != 0) {
		error("cannot start '%s': %s", p.plan.argv[0], strerror(r > 0 ? r : -r));
		ret = EXIT_NOSTART;
		snprintf(end_reason, sizeof(end_reason), "qemu could not be started");
		goto out;
	}
	session_signals_target(p.child.pid);
	status = qemu_pump_run(&p, &ss, qlog);
	session_signals_target(0);
	if (p.read_error)
		error("reading QEMU's trace output: %s", strerror(p.read_error));
	session_describe_end("qemu", status, end_reason, sizeof(end_reason));

	if (record_out_end_trace(&ro, &ss, end_reason, "QEMU was stopped") != 0)
		goto out;
	if (p.stats.bad)
		warning("%llu line%s of QEMU's trace could not be parsed (first: line %llu, %s)%s",
			(unsigned long long)p.stats.bad, p.stats.bad == 1 ? "" : "s",
			(unsigned long long)p.stats.first_bad_line, p.stats.first_bad_why,
			p.stats.lost ? "; they are counted as lost events" : "");
	if (record_out_finish(&ro, !o->quiet && stderr_is_tty()) != 0)
		goto out;
	if (!o->quiet) {
		struct session_summary sum = {
			.events = ss.events,
			.lost = p.stats.lost,
			.devices = p.stats.devices,
			.output = ro.output,
			.raw = ro.db_path ? o->raw : NULL,
		};

		fprintf(stderr, "vmtrace: %s; %llu virtio-mmio accesses on %u device%s, %llu ring snapshots (%.1f MB)\n",
			end_reason, (unsigned long long)p.stats.accesses, p.stats.devices,
			p.stats.devices == 1 ? "" : "s", (unsigned long long)p.stats.snapshots,
			p.stats.snapshot_bytes / 1e6);
		session_print_summary(stderr, &sum);
	}
	ret = session_exit_status(status);
out:
	record_out_release(&ro, &ss, end_reason);
	if (qlog && fclose(qlog) != 0)
		error("unable to write '%s'", o->qemu_log);
	qemu_pump_release(&p);
	session_signals_restore(&sigs);
	/* Die the way QEMU died (rr, perf): shells and CI see the signal. */
	if (WIFSIGNALED(status) && ret == 128 + WTERMSIG(status))
		session_die_like(status);
	return ret;
}
