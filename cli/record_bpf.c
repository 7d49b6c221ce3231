/* vmtrace record --bpf: KVM MMIO exits of a VMM through BPF (record_bpf.h).
 *
 * With a command, the program is loaded first (so missing privileges are
 * reported before anything runs), the command is forked but held at a
 * gate until the program is attached to its process, then released: its
 * first MMIO exit is already traced.  With --pid, the program is attached
 * to a running process until Ctrl-C (or SIGTERM), or until it ends.
 * Either way the ring is read in batches every POLL_MS (or sooner when it
 * fills up), the raw trace reaches the file every second, and the trace is
 * decoded at the end. */
#include "cli/record_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/record_child.h"
#include "cli/record_out.h"
#include "cli/util.h"
#include "config.h"

#if HAVE_BPF
#include <dirent.h>

#include "capture/kvm/kvm_bpf.h"

/* How long one wait for records lasts (the program wakes vmtrace sooner
 * once a quarter of the ring is used). */
#define POLL_MS 100

/* Only there to cut a wait for records short when the command exits. */
static void on_sigchld(int sig)
{
	(void)sig;
}

struct session {
	struct rawtrace_writer *w;
	struct kvm_source *src;
	struct kvm_bpf *bpf;
	uint64_t now_ns;     /* time of the current batch of records */
	uint64_t ring_lost;  /* lost-record count already turned into events */
	int write_error;     /* first error of the writer, 0 if none */
};

static int emit_event(void *ctx, const struct vmt_event *ev)
{
	struct session *s = ctx;
	int r = rawtrace_writer_append(s->w, ev, NULL);

	if (r < 0 && !s->write_error)
		s->write_error = r;
	return r;
}

static int on_record(void *ctx, const void *data, size_t len)
{
	struct session *s = ctx;

	return kvm_source_record(s->src, data, len, s->now_ns);
}

/* Take what the ring holds (waiting up to timeout_ms), and turn the ring's
 * lost-record count into an event if it grew. */
static void take_records(struct session *s, int timeout_ms)
{
	uint64_t lost;
	int r;

	s->now_ns = record_now_ns();
	r = kvm_bpf_poll(s->bpf, timeout_ms);
	s->now_ns = record_now_ns();
	if (r < 0 && !s->write_error && r != -EINTR)
		s->write_error = r;
	lost = kvm_bpf_ring_lost(s->bpf);
	if (lost > s->ring_lost && !s->write_error) {
		kvm_source_ring_lost(s->src, lost - s->ring_lost, s->now_ns);
		s->ring_lost = lost;
	}
	if (!s->write_error)
		kvm_source_tick(s->src, s->now_ns);
}

/* Fork argv, stopped at a gate: the child waits until *gate is written
 * (or closed: then it exits without running anything).  Exec failures
 * come back through *errp once released.  Returns 0 or a negative errno. */
static int spawn_gated(char *const *argv, pid_t *pid, int *gate, int *errp)
{
	int g[2], ep[2];
	pid_t parent = getpid(), p;

	if (pipe2(g, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) != 0) {
		int r = -errno;
		close(g[0]);
		close(g[1]);
		return r;
	}
	p = fork();
	if (p < 0) {
		int r = -errno;
		close(g[0]);
		close(g[1]);
		close(ep[0]);
		close(ep[1]);
		return r;
	}
	if (p == 0) {
		char go;
		int e;

		record_child_reset_signals();
		/* No child outlives vmtrace, even after kill -9. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		close(g[1]);
		close(ep[0]);
		if (read(g[0], &go, 1) != 1)
			_exit(127);
		close(g[0]);
		execvp(argv[0], argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(g[0]);
	close(ep[1]);
	*pid = p;
	*gate = g[1];
	*errp = ep[0];
	return 0;
}

/* Open the gate; returns 0 once the command runs, or the exec errno. */
static int release(int gate, int errp)
{
	int e = 0;
	ssize_t k;

	if (write(gate, "g", 1) != 1)
		e = errno;
	close(gate);
	do
		k = read(errp, &e, sizeof(e));
	while (k < 0 && errno == EINTR);
	close(errp);
	return k == (ssize_t)sizeof(e) ? (e ? e : ENOEXEC) : 0;
}

/* The thread-group id of pid from /proc, or -1 if there is no such process. */
static pid_t tgid_of(pid_t pid)
{
	char path[64], line[256];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/* True if the process holds a KVM virtual machine open. */
static bool has_kvm_vm(pid_t pid)
{
	char path[64], link[352], target[128];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(path)))
		return true; /* cannot tell: do not complain */
	while (!found && (de = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strcmp(target, "anon_inode:kvm-vm") == 0;
		}
	}
	closedir(d);
	return found;
}

static int meta_fill(struct rawtrace_meta *meta, const struct record_bpf_opts *o, const char *snapshots_off,
		     int cmd_argc, char **cmd_argv, pid_t tgid, int all_argc, char **all_argv)
{
	char buf[RAWTRACE_META_STR_MAX];
	struct utsname u;
	int r, n;

	meta->source = VMT_SRC_KVM_BPF;
	r = rawtrace_meta_set(meta, "vmtrace-version", VMTRACE_VERSION);
	record_join_args(buf, sizeof(buf), "vmtrace", all_argc, all_argv);
	if (r == 0)
		r = rawtrace_meta_set(meta, "command", buf);
	if (o->pid) {
		snprintf(buf, sizeof(buf), "%d", (int)tgid);
		if (r == 0)
			r = rawtrace_meta_set(meta, "traced-pid", buf);
	} else {
		record_join_args(buf, sizeof(buf), cmd_argv[0], cmd_argc - 1, cmd_argv + 1);
		if (r == 0)
			r = rawtrace_meta_set(meta, "traced-command", buf);
	}
	if (uname(&u) == 0 && r == 0)
		r = rawtrace_meta_set(meta, "kernel", u.release);
	snprintf(buf, sizeof(buf), "BPF on kvm:kvm_mmio and kvm:kvm_fast_mmio; a read is recorded at its "
				   "completion, with its value; ring buffer %u KiB",
		 (o->ring_bytes ? o->ring_bytes : MMIO_RING_DEFAULT) >> 10);
	if (r == 0)
		r = rawtrace_meta_set(meta, "capture", buf);
	n = snprintf(buf, sizeof(buf), "%s", o->n_windows ? "" : "found from MagicValue reads");
	for (size_t i = 0; i < o->n_windows && n < (int)sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s0x%llx+0x%llx", i ? "," : "",
			      (unsigned long long)o->windows[i].base, (unsigned long long)o->windows[i].size);
	if (o->n_windows && n < (int)sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, "%s",
			 o->only_windows ? " (only these)" : " and those found from MagicValue reads");
	if (r == 0)
		r = rawtrace_meta_set(meta, "windows", buf);
	if (snapshots_off) {
		snprintf(buf, sizeof(buf), "none: %s", snapshots_off);
		if (r == 0)
			r = rawtrace_meta_set(meta, "ring-snapshots", buf);
	} else if (r == 0)
		r = rawtrace_meta_set(meta, "ring-snapshots",
				      o->no_snapshots ? "none (--no-snapshots): register accesses only"
						      : "exact: copied by the BPF program with the vCPU stopped in KVM, at "
							"every QueueNotify write (descriptor table, new chains' driver "
							"buffers, available ring) and InterruptStatus read (used chains' "
							"device buffers, used ring); needs the VMM's memory slots, seen "
							"when it sets them (not with --pid)");
	return r;
}

/* Record until the command exits (pid > 0 our child) or, with --pid,
 * until a signal or the process's end.  Returns the wait status of the
 * child (0 with --pid) and says in end_reason why it stopped. */
static int pump(struct session *ss, const struct record_bpf_opts *o, pid_t pid, char *end_reason, size_t len)
{
	uint64_t last_flush = record_now_ns();
	bool killed = false;
	int status = 0;

	for (;;) {
		take_records(ss, POLL_MS);
		if (ss->write_error && !killed && !o->pid) {
			kill(pid, SIGTERM);
			killed = true;
		}
		if (ss->write_error && o->pid)
			break;
		if (!ss->write_error && o->wopts.flush == RAWTRACE_FLUSH_INTERVAL &&
		    ss->now_ns - last_flush >= (uint64_t)o->wopts.interval_ms * 1000000ull) {
			int r = rawtrace_writer_flush(ss->w);
			if (r < 0)
				ss->write_error = r;
			last_flush = ss->now_ns;
		}
		if (!o->pid) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				record_describe_end("command", status, end_reason, len);
				break;
			}
		} else if (record_signals_got()) {
			snprintf(end_reason, len, "detached from process %d on SIG%s", (int)pid,
				 sigabbrev_np(record_signals_got()) ? sigabbrev_np(record_signals_got()) : "?");
			break;
		} else if (kill(pid, 0) != 0 && errno == ESRCH) {
			snprintf(end_reason, len, "process %d ended", (int)pid);
			break;
		}
	}
	/* Everything the process did until now is in the ring: stop the
	 * program and take the rest. */
	kvm_bpf_detach(ss->bpf);
	take_records(ss, 0);
	if (!ss->write_error) {
		int r = kvm_source_end(ss->src, record_now_ns());
		if (r < 0)
			ss->write_error = r;
	}
	return status;
}

static void print_summary(const struct session *ss, const struct record_bpf_opts *o, const struct record_out *ro,
			  const char *end_reason, uint64_t events)
{
	struct kvm_source_stats st;
	struct stat sb;

	kvm_source_get_stats(ss->src, &st);
	fprintf(stderr,
		"vmtrace: %s; %llu virtio-mmio accesses on %u device%s, %llu other MMIO accesses skipped\n",
		end_reason, (unsigned long long)st.accesses, st.devices, st.devices == 1 ? "" : "s",
		(unsigned long long)(st.other + st.dropped_undecided));
	if (!o->no_snapshots && !kvm_bpf_snapshots_off(ss->bpf))
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
	fprintf(stderr, "[ vmtrace record: %llu events (%llu lost), %u device%s, %lld bytes -> %s%s%s%s ]\n",
		(unsigned long long)events, (unsigned long long)st.lost, st.devices, st.devices == 1 ? "" : "s",
		stat(ro->output, &sb) == 0 ? (long long)sb.st_size : -1LL, ro->output,
		ro->db_path && o->raw ? " (raw trace: " : "", ro->db_path && o->raw ? o->raw : "",
		ro->db_path && o->raw ? ")" : "");
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
		.emit = emit_event,
		.windows = o->windows,
		.n_windows = o->n_windows,
		.thread_names = true,
	};
	struct session ss = { 0 };
	struct rawtrace_meta meta;
	struct record_out ro = { 0 };
	struct record_signals sigs = { 0 };
	struct sigaction sc, old_chld;
	char err[512], end_reason[160] = "aborted";
	int gate = -1, errp = -1, status = 0, r, ret = 1;
	pid_t pid = 0, child = 0; /* child: ours to reap */
	bool signals_set = false;
	uint64_t events, recorded = 0;

	memset(&meta, 0, sizeof(meta));
	scfg.ctx = &ss;
	if (o->pid) {
		pid = tgid_of(o->pid);
		if (pid <= 0) {
			error("--pid %d: no such process", (int)o->pid);
			return EXIT_USAGE;
		}
		if (!has_kvm_vm(pid) && !o->quiet)
			warning("process %d has no KVM virtual machine open (no anon_inode:kvm-vm among its files): "
				"there may be nothing to record", (int)pid);
	}
	/* Load first: missing privileges are reported before anything runs. */
	r = kvm_bpf_open(&ss.bpf, &bcfg, on_record, &ss, err, sizeof(err));
	if (r < 0) {
		error("%s", err);
		return o->pid ? 1 : EXIT_NOSTART;
	}
	if (kvm_bpf_snapshots_off(ss.bpf) && !o->quiet)
		warning("no ring snapshots: %s; recording register accesses only", kvm_bpf_snapshots_off(ss.bpf));
	if ((r = record_out_prepare(&ro, o->output, o->raw, o->force, o->quiet)) != 0) {
		ret = r;
		goto out;
	}

	/* With a command, signals are passed on to it; with --pid they only
	 * end the recording (nobody is the target). */
	record_signals_forward(&sigs);
	memset(&sc, 0, sizeof(sc));
	sc.sa_handler = on_sigchld;
	sigemptyset(&sc.sa_mask);
	sc.sa_flags = SA_NOCLDSTOP; /* no SA_RESTART: a wait for records ends early */
	sigaction(SIGCHLD, &sc, &old_chld);
	signals_set = true;

	if (!o->pid) {
		r = spawn_gated(cmd_argv, &pid, &gate, &errp);
		if (r < 0) {
			error("cannot start '%s': %s", cmd_argv[0], strerror(-r));
			ret = EXIT_NOSTART;
			goto out;
		}
		child = pid;
		record_signals_target(pid);
	}
	if (meta_fill(&meta, o, kvm_bpf_snapshots_off(ss.bpf), cmd_argc, cmd_argv, pid, all_argc, all_argv) != 0) {
		error("cannot build the trace metadata");
		goto out;
	}
	r = rawtrace_writer_open(&ss.w, ro.raw_path, &meta, &o->wopts);
	if (r < 0) {
		error("unable to create '%s': %s", ro.raw_path, strerror(-r));
		goto out;
	}
	scfg.t0_ns = record_now_ns();
	if (kvm_source_new(&ss.src, &scfg) < 0) {
		error("out of memory");
		goto out;
	}
	r = kvm_bpf_attach(ss.bpf, pid, err, sizeof(err));
	if (r < 0) {
		error("%s", err);
		ret = o->pid ? 1 : EXIT_NOSTART;
		goto out;
	}
	if (!o->pid) {
		r = release(gate, errp);
		gate = errp = -1;
		if (r != 0) {
			error("cannot start '%s': %s", cmd_argv[0], strerror(r));
			snprintf(end_reason, sizeof(end_reason), "command could not be started");
			ret = EXIT_NOSTART;
			waitpid(pid, NULL, 0);
			child = pid = 0;
			record_signals_target(0);
			goto out;
		}
	}
	if (!o->quiet) {
		if (o->pid)
			fprintf(stderr, "vmtrace: recording process %d with BPF -> %s (Ctrl-C detaches)\n", (int)pid,
				ro.output);
		else
			fprintf(stderr, "vmtrace: recording %s with BPF -> %s\n", cmd_argv[0], ro.output);
	}

	status = pump(&ss, o, pid, end_reason, sizeof(end_reason));
	child = 0; /* pump reaped it */
	record_signals_target(0);
	events = recorded = rawtrace_writer_events(ss.w);
	/* Every loss is a VMT_EV_LOST event where it happened: the footer's
	 * count (losses without such an event) stays 0. */
	r = rawtrace_writer_close(ss.w, 0, ss.write_error ? "write error" : end_reason);
	ss.w = NULL;
	if (ss.write_error || r < 0) {
		error("unable to write '%s': %s; %s", ro.raw_path,
		      strerror(-(ss.write_error ? ss.write_error : r)),
		      o->pid ? "vmtrace detached" : "the command was stopped");
		ret = 1;
		goto out;
	}
	if (record_out_finish(&ro, !o->quiet && stderr_is_tty()) != 0) {
		ret = 1;
		goto out;
	}
	if (!o->quiet)
		print_summary(&ss, o, &ro, end_reason, events);
	if (o->pid)
		ret = 0;
	else
		ret = record_exit_status(status);
out:
	if (gate >= 0)
		close(gate); /* the held child exits without running anything */
	if (errp >= 0)
		close(errp);
	if (child > 0) {
		record_signals_target(0);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (ss.w) {
		recorded = rawtrace_writer_events(ss.w);
		rawtrace_writer_close(ss.w, 0, end_reason);
	}
	record_out_close(&ro, recorded);
	kvm_source_free(ss.src);
	kvm_bpf_free(ss.bpf);
	rawtrace_meta_clear(&meta);
	record_signals_restore(&sigs);
	if (signals_set)
		sigaction(SIGCHLD, &old_chld, NULL);
	/* Die the way the command died (rr, perf): shells and CI see the signal. */
	if (!o->pid && WIFSIGNALED(status) && ret == 128 + WTERMSIG(status))
		record_die_like(status);
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
