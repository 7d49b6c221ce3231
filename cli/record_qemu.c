/* vmtrace record -- qemu-system-...: run QEMU, read its MMIO trace events
 * from a pipe while the guest runs, write them to the raw trace as they
 * come (flushed every second by default), snapshot the rings out of the
 * shared guest RAM, and decode it all when QEMU exits (record_qemu.h). */
#include "cli/record_qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/qemu/guest_ram.h"
#include "capture/qemu/qemu_args.h"
#include "capture/qemu/qemu_source.h"
#include "cli/commands.h"
#include "cli/record_child.h"
#include "cli/record_out.h"
#include "cli/util.h"
#include "config.h"

/* How long a check of the QEMU binary (-trace help, -version) may take. */
#define CHECK_TIMEOUT_MS 20000
/* How long poll waits; once QEMU has exited, the first wait that brings
 * nothing ends the recording even if something QEMU started still holds
 * the pipe open (QEMU's own lines are all in the pipe by then). */
#define POLL_MS 200
#define READ_CHUNK (256u * 1024u)

/* Start argv with stdout into out_fd (-1: inherited) and the descriptors
 * in keep[] inherited (close-on-exec cleared in the child only).  Exec
 * failures come back through a close-on-exec pipe, so an unknown command
 * is reported before anything else happens.  Returns 0 with *pid, or a
 * positive errno of exec, or a negative errno. */
static int spawn(char *const *argv, int out_fd, const int *keep, int n_keep, bool die_with_parent, pid_t *pid)
{
	int ep[2], child_errno = 0;
	ssize_t k;
	pid_t p;

	if (pipe2(ep, O_CLOEXEC) != 0)
		return -errno;
	p = fork();
	if (p < 0) {
		int r = -errno;
		close(ep[0]);
		close(ep[1]);
		return r;
	}
	if (p == 0) {
		record_child_reset_signals();
		/* No child outlives vmtrace, even after kill -9. */
		if (die_with_parent)
			prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
			_exit(127);
		for (int i = 0; i < n_keep; i++)
			fcntl(keep[i], F_SETFD, 0);
		execvp(argv[0], argv);
		child_errno = errno;
		if (write(ep[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	do
		k = read(ep[0], &child_errno, sizeof(child_errno));
	while (k < 0 && errno == EINTR);
	close(ep[0]);
	if (k == (ssize_t)sizeof(child_errno)) {
		waitpid(p, NULL, 0);
		return child_errno ? child_errno : ENOEXEC;
	}
	*pid = p;
	return 0;
}

/* Run argv and collect at most len - 1 bytes of its stdout in out.
 * Returns 0, a positive exec errno, or -ETIMEDOUT / a negative errno. */
static int run_capture(char *const *argv, char *out, size_t len)
{
	int fds[2], r, status;
	size_t used = 0;
	uint64_t deadline = record_now_ns() + (uint64_t)CHECK_TIMEOUT_MS * 1000000ull;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	r = spawn(argv, fds[1], NULL, 0, true, &pid);
	close(fds[1]);
	if (r != 0) {
		close(fds[0]);
		return r;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		uint64_t now = record_now_ns();
		char sink[4096];
		ssize_t k;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0)
			continue;
		if (used + 1 < len)
			k = read(fds[0], out + used, len - 1 - used);
		else
			k = read(fds[0], sink, sizeof(sink)); /* drain; only the start matters */
		if (k == 0)
			break;
		if (k < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (k > 0 && used + 1 < len)
			used += (size_t)k;
	}
	out[used] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* Make sure argv0 is a QEMU that has the trace events vmtrace reads, and
 * learn its version.  Returns 0, or the exit status after a message. */
static int check_qemu(const char *qemu, char *version, size_t vlen)
{
	static char out[1 << 20];
	char *help_argv[] = { (char *)qemu, "-trace", "help", NULL };
	char *ver_argv[] = { (char *)qemu, "-version", NULL };
	int r = run_capture(help_argv, out, sizeof(out));

	if (r > 0) {
		error("cannot run '%s': %s", qemu, strerror(r));
		return EXIT_NOSTART;
	}
	if (r < 0) {
		error("'%s -trace help' %s", qemu, r == -ETIMEDOUT ? "did not finish in time" : strerror(-r));
		return EXIT_NOSTART;
	}
	if (!strstr(out, "memory_region_ops_read") || !strstr(out, "memory_region_ops_write")) {
		error("'%s' cannot trace MMIO accesses: its trace events (%s -trace help) lack "
		      "memory_region_ops_read/_write; use a QEMU built with the log trace backend (Debian's is)",
		      qemu, qemu);
		return EXIT_NOSTART;
	}
	version[0] = '\0';
	if (run_capture(ver_argv, out, sizeof(out)) == 0) {
		size_t n = strcspn(out, "\n");
		snprintf(version, vlen, "%.*s", (int)(n < vlen ? n : vlen - 1), out);
	}
	return 0;
}

struct session {
	struct rawtrace_writer *w;
	int write_error; /* first error from the writer, 0 if none */
};

static int emit_event(void *ctx, const struct vmt_event *ev)
{
	struct session *s = ctx;
	int r = rawtrace_writer_append(s->w, ev, NULL);

	if (r < 0 && !s->write_error)
		s->write_error = r;
	return r;
}

static int meta_fill(struct rawtrace_meta *meta, const struct qemu_plan *plan, const struct guest_ram *ram,
		     const char *version, int all_argc, char **all_argv)
{
	char buf[RAWTRACE_META_STR_MAX];
	int r;

	meta->source = VMT_SRC_QEMU;
	/* RAM bounds let the decoder flag rings outside RAM; with RAM split
	 * around the 4 GiB hole one range cannot say it, so none is given. */
	if (plan->share_ram && ram->low == ram->size) {
		meta->ram_base = 0;
		meta->ram_size = ram->size;
	}
	r = rawtrace_meta_set(meta, "vmtrace-version", VMTRACE_VERSION);
	record_join_args(buf, sizeof(buf), "vmtrace", all_argc, all_argv);
	if (r == 0)
		r = rawtrace_meta_set(meta, "command", buf);
	record_join_args(buf, sizeof(buf), plan->argv[0], plan->argc - 1, plan->argv + 1);
	if (r == 0)
		r = rawtrace_meta_set(meta, "qemu-command", buf);
	if (r == 0 && version[0])
		r = rawtrace_meta_set(meta, "qemu-version", version);
	if (r == 0)
		r = rawtrace_meta_set(meta, "machine", plan->machine[0] ? plan->machine : "(QEMU's default)");
	snprintf(buf, sizeof(buf), "%llu bytes%s", (unsigned long long)plan->ram_size,
		 plan->share_ram ? ", shared read-only with vmtrace: ring snapshots are best-effort"
				 : ", not shared: no ring snapshots");
	if (r == 0)
		r = rawtrace_meta_set(meta, "guest-ram", buf);
	return r;
}

/* Read QEMU's trace output until it ends.  Returns the wait status. */
static int pump(int fd, pid_t pid, struct qemu_source *src, struct session *ss, FILE *qlog,
		const struct record_qemu_opts *o, uint64_t t0)
{
	static char buf[READ_CHUNK];
	uint64_t last_flush = 0;
	bool exited = false, killed = false;
	int status = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, POLL_MS);
		uint64_t now = record_now_ns() - t0;

		if (n > 0) {
			ssize_t k = read(fd, buf, sizeof(buf));
			if (k == 0)
				break;
			if (k < 0 && errno != EINTR && errno != EAGAIN) {
				error("reading QEMU's trace output: %s", strerror(errno));
				break;
			}
			if (k > 0) {
				if (qlog)
					fwrite(buf, 1, (size_t)k, qlog);
				/* After a write error keep draining the pipe (QEMU
				 * must not block on it) but record nothing more. */
				if (!ss->write_error)
					qemu_source_feed(src, buf, (size_t)k, now);
			}
		}
		if (ss->write_error && !killed) {
			kill(pid, SIGTERM);
			killed = true;
		}
		if (!ss->write_error && o->wopts.flush == RAWTRACE_FLUSH_INTERVAL &&
		    now - last_flush >= (uint64_t)o->wopts.interval_ms * 1000000ull) {
			int r = rawtrace_writer_flush(ss->w);
			if (r < 0)
				ss->write_error = r;
			last_flush = now;
		}
		if (exited && n == 0)
			break; /* drained; a process QEMU started holds the pipe */
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
	}
	if (!exited)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	qemu_source_end(src, record_now_ns() - t0);
	return status;
}

int record_qemu(const struct record_qemu_opts *o, int cmd_argc, char **cmd_argv, int all_argc, char **all_argv)
{
	struct qemu_args_opts aopts = { .trace_path = "/dev/fd/0", .ram_path = o->no_ram ? NULL : "/dev/fd/0" };
	struct qemu_plan plan;
	struct guest_ram ram = { .fd = -1 };
	struct rawtrace_meta meta;
	struct qemu_source *src = NULL;
	struct qemu_source_cfg scfg;
	struct qemu_source_stats st;
	struct session ss = { 0 };
	struct record_out ro = { 0 };
	struct record_signals sigs = { 0 };
	char err[512], version[128], trace_path[32], ram_path[32], end_reason[128] = "aborted";
	int tp[2] = { -1, -1 }, keep[2], n_keep = 0, status = 0, r, ret = 1;
	FILE *qlog = NULL;
	pid_t pid;
	uint64_t t0, recorded = 0;

	memset(&meta, 0, sizeof(meta));
	memset(&plan, 0, sizeof(plan));
	/* First pass: is this a command vmtrace can record at all? */
	r = qemu_args_build(&plan, cmd_argc, cmd_argv, &aopts, err, sizeof(err));
	if (r != 0) {
		if (r > 0) {
			error("%s", err);
			fputs("Try 'vmtrace record --help' for more information.\n", stderr);
			return EXIT_USAGE;
		}
		error("out of memory");
		return 1;
	}
	if ((r = check_qemu(cmd_argv[0], version, sizeof(version))) != 0) {
		qemu_args_release(&plan);
		return r;
	}
	if (plan.share_ram) {
		uint64_t low = guest_ram_x86_low(plan.machine, plan.ram_size);
		if (low == 0) {
			snprintf(plan.note, sizeof(plan.note),
				 "vmtrace does not know where machine '%s' puts %llu MiB of RAM: ring contents are not recorded",
				 plan.machine, (unsigned long long)(plan.ram_size >> 20));
			aopts.ram_path = NULL;
		} else if (guest_ram_create(&ram, plan.ram_size, low, err, sizeof(err)) < 0) {
			error("%s", err);
			goto out;
		}
	}
	if (plan.note[0] && !o->quiet)
		warning("%s", plan.note);

	if (pipe2(tp, O_CLOEXEC) != 0) {
		error("cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	snprintf(trace_path, sizeof(trace_path), "/dev/fd/%d", tp[1]);
	aopts.trace_path = trace_path;
	keep[n_keep++] = tp[1];
	if (ram.map) {
		snprintf(ram_path, sizeof(ram_path), "/dev/fd/%d", ram.fd);
		aopts.ram_path = ram_path;
		keep[n_keep++] = ram.fd;
	} else {
		aopts.ram_path = NULL;
	}
	qemu_args_release(&plan);
	if (qemu_args_build(&plan, cmd_argc, cmd_argv, &aopts, err, sizeof(err)) != 0) {
		error("%s", err[0] ? err : "out of memory");
		goto out;
	}

	if ((r = record_out_prepare(&ro, o->output, o->raw, o->force, o->quiet)) != 0) {
		ret = r;
		goto out;
	}
	if (meta_fill(&meta, &plan, &ram, version, all_argc, all_argv) != 0) {
		error("cannot build the trace metadata");
		goto out;
	}
	r = rawtrace_writer_open(&ss.w, ro.raw_path, &meta, &o->wopts);
	if (r < 0) {
		error("unable to create '%s': %s", ro.raw_path, strerror(-r));
		goto out;
	}
	if (o->qemu_log && !(qlog = fopen(o->qemu_log, "w"))) {
		error("unable to create '%s': %s", o->qemu_log, strerror(errno));
		goto out;
	}
	scfg = (struct qemu_source_cfg){ .emit = emit_event, .ctx = &ss, .ram = ram.map ? &ram : NULL };
	if (qemu_source_new(&src, &scfg) < 0) {
		error("out of memory");
		goto out;
	}

	if (!o->quiet) {
		fprintf(stderr, "vmtrace: recording %s%s -> %s\n", cmd_argv[0],
			ram.map ? " (guest RAM shared: rings snapshotted, best-effort)" : "", ro.output);
		if (plan.kvm && plan.ioeventfd_added)
			fprintf(stderr, "vmtrace: added -global virtio-mmio.ioeventfd=off so that QueueNotify writes "
					"reach QEMU's trace under KVM\n");
		if (plan.kvm && plan.ioeventfd_user_on)
			warning("virtio-mmio.ioeventfd=on: under KVM QueueNotify writes bypass QEMU's trace and "
				"will be missing (the kvm-bpf source sees them)");
	}

	record_signals_forward(&sigs);

	t0 = record_now_ns();
	r = spawn(plan.argv, -1, keep, n_keep, true, &pid);
	if (r != 0) {
		error("cannot start '%s': %s", plan.argv[0], strerror(r > 0 ? r : -r));
		ret = EXIT_NOSTART;
		snprintf(end_reason, sizeof(end_reason), "qemu could not be started");
		goto out;
	}
	record_signals_target(pid);
	close(tp[1]);
	tp[1] = -1;

	status = pump(tp[0], pid, src, &ss, qlog, o, t0);
	record_signals_target(0);
	record_describe_end("qemu", status, end_reason, sizeof(end_reason));
	qemu_source_get_stats(src, &st);

	uint64_t events = rawtrace_writer_events(ss.w);
	recorded = events;
	r = rawtrace_writer_close(ss.w, 0, ss.write_error ? "write error" : end_reason);
	ss.w = NULL;
	if (ss.write_error || r < 0) {
		error("unable to write '%s': %s; QEMU was stopped", ro.raw_path,
		      strerror(-(ss.write_error ? ss.write_error : r)));
		goto out;
	}
	if (st.bad)
		warning("%llu line%s of QEMU's trace could not be parsed (first: line %llu, %s)%s",
			(unsigned long long)st.bad, st.bad == 1 ? "" : "s", (unsigned long long)st.first_bad_line,
			st.first_bad_why, st.lost ? "; they are counted as lost events" : "");
	if (record_out_finish(&ro, !o->quiet && stderr_is_tty()) != 0)
		goto out;
	if (!o->quiet) {
		struct stat sb;
		fprintf(stderr, "vmtrace: %s; %llu virtio-mmio accesses on %u device%s, %llu ring snapshots (%.1f MB)\n",
			end_reason, (unsigned long long)st.accesses, st.devices, st.devices == 1 ? "" : "s",
			(unsigned long long)st.snapshots, st.snapshot_bytes / 1e6);
		fprintf(stderr, "[ vmtrace record: %llu events (%llu lost), %u device%s, %lld bytes -> %s%s%s%s ]\n",
			(unsigned long long)events, (unsigned long long)st.lost, st.devices,
			st.devices == 1 ? "" : "s", stat(ro.output, &sb) == 0 ? (long long)sb.st_size : -1LL,
			ro.output, ro.db_path && o->raw ? " (raw trace: " : "", ro.db_path && o->raw ? o->raw : "",
			ro.db_path && o->raw ? ")" : "");
	}
	ret = record_exit_status(status);
out:
	if (ss.w) {
		recorded = rawtrace_writer_events(ss.w);
		rawtrace_writer_close(ss.w, 0, end_reason);
	}
	record_out_close(&ro, recorded);
	if (qlog && fclose(qlog) != 0)
		error("unable to write '%s'", o->qemu_log);
	qemu_source_free(src);
	if (tp[0] >= 0)
		close(tp[0]);
	if (tp[1] >= 0)
		close(tp[1]);
	guest_ram_release(&ram);
	qemu_args_release(&plan);
	rawtrace_meta_clear(&meta);
	record_signals_restore(&sigs);
	/* Die the way QEMU died (rr, perf): shells and CI see the signal. */
	if (WIFSIGNALED(status) && ret == 128 + WTERMSIG(status))
		record_die_like(status);
	return ret;
}
