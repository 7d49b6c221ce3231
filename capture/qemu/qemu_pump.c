/* Recording a QEMU command through its trace events (qemu_pump.h). */
#include "capture/qemu/qemu_pump.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void qemu_pump_init(struct qemu_pump *p)
{
	memset(p, 0, sizeof(*p));
	p->ram.fd = -1;
	p->trace_fd[0] = p->trace_fd[1] = -1;
	p->lock.fill_fd = p->lock.ep_fd = -1;
	p->child.gate = p->child.exec_err = -1;
}

/* Make sure qemu is a QEMU that has the trace events vmtrace reads, and
 * learn its version.  Returns 0 or QEMU_PUMP_E_QEMU with the reason in err. */
static int check_qemu(const char *qemu, char *version, size_t vlen, char *err, size_t errlen)
{
	/* -trace help lists hundreds of events: room for all of them */
	static char out[1 << 20];
	char *help_argv[] = { (char *)qemu, "-trace", "help", NULL };
	char *ver_argv[] = { (char *)qemu, "-version", NULL };
	int r = session_run_capture(help_argv, out, sizeof(out), QEMU_PUMP_CHECK_TIMEOUT_MS);

	if (r > 0) {
		snprintf(err, errlen, "cannot run '%s': %s", qemu, strerror(r));
		return QEMU_PUMP_E_QEMU;
	}
	if (r < 0) {
		snprintf(err, errlen, "'%s -trace help' %s", qemu,
			 r == -ETIMEDOUT ? "did not finish in time" : strerror(-r));
		return QEMU_PUMP_E_QEMU;
	}
	if (!strstr(out, "memory_region_ops_read") || !strstr(out, "memory_region_ops_write")) {
		snprintf(err, errlen,
			 "'%s' cannot trace MMIO accesses: its trace events (%s -trace help) lack "
			 "memory_region_ops_read/_write; use a QEMU built with the log trace backend (Debian's is)",
			 qemu, qemu);
		return QEMU_PUMP_E_QEMU;
	}
	version[0] = '\0';
	if (session_run_capture(ver_argv, out, sizeof(out), QEMU_PUMP_CHECK_TIMEOUT_MS) == 0) {
		size_t n = strcspn(out, "\n");
		snprintf(version, vlen, "%.*s", (int)(n < vlen ? n : vlen - 1), out);
	}
	return 0;
}

int qemu_pump_plan(struct qemu_pump *p, int cmd_argc, char **cmd_argv, bool no_ram, char *err, size_t errlen)
{
	struct qemu_args_opts aopts = { .trace_path = "/dev/fd/0", .ram_path = no_ram ? NULL : "/dev/fd/0" };
	char trace_path[32], ram_path[32], note[sizeof(p->plan.note)];
	int r;

	err[0] = '\0';
	/* First pass: is this a command vmtrace can record at all? */
	r = qemu_args_build(&p->plan, cmd_argc, cmd_argv, &aopts, err, errlen);
	if (r > 0)
		return QEMU_PUMP_E_COMMAND;
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	r = check_qemu(cmd_argv[0], p->version, sizeof(p->version), err, errlen);
	if (r != 0)
		return r;
	if (p->plan.share_ram) {
		struct guest_ram_layout l;
		const char *m = p->plan.machine[0] ? p->plan.machine : "(QEMU's default)";
		const char *bin = strrchr(cmd_argv[0], '/') ? strrchr(cmd_argv[0], '/') + 1 : cmd_argv[0];

		r = guest_ram_layout(cmd_argv[0], p->plan.machine, p->plan.ram_size, &l);
		if (r == GUEST_RAM_E_UNKNOWN) {
			snprintf(p->plan.note, sizeof(p->plan.note),
				 "vmtrace does not know where machine type '%s' of %s puts guest RAM, so ring "
				 "snapshots cannot be placed: register accesses are recorded, ring contents are not",
				 m, bin);
		} else if (r == GUEST_RAM_E_SIZE) {
			snprintf(p->plan.note, sizeof(p->plan.note),
				 "machine type '%s' cannot hold %llu MiB of RAM where vmtrace knows it, so ring "
				 "snapshots cannot be placed: register accesses are recorded, ring contents are not",
				 m, (unsigned long long)(p->plan.ram_size >> 20));
		} else if ((r = guest_ram_create(&p->ram, p->plan.ram_size, &l, err, errlen)) < 0) {
			return r;
		}
	}
	if (pipe2(p->trace_fd, O_CLOEXEC) != 0) {
		r = -errno;
		p->trace_fd[0] = p->trace_fd[1] = -1;
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(-r));
		return r;
	}
	if (lockstep_setup(&p->lock, p->trace_fd[0], p->trace_fd[1], p->lock_note, sizeof(p->lock_note)) != 0 &&
	    !p->plan.note[0] && p->ram.map)
		snprintf(p->plan.note, sizeof(p->plan.note),
			 "%s: QEMU is not held at each trace line, so ring copies may come late and be torn", p->lock_note);
	/* Second pass, with the descriptors QEMU inherits. */
	snprintf(trace_path, sizeof(trace_path), "/dev/fd/%d", p->trace_fd[1]);
	aopts.trace_path = trace_path;
	aopts.ram_path = NULL;
	if (p->ram.map) {
		snprintf(ram_path, sizeof(ram_path), "/dev/fd/%d", p->ram.fd);
		aopts.ram_path = ram_path;
	}
	/* The note says what the first pass found (why RAM is not shared);
	 * the second pass, asking for no RAM where none can be shared, would
	 * lose it. */
	snprintf(note, sizeof(note), "%s", p->plan.note);
	qemu_args_release(&p->plan);
	r = qemu_args_build(&p->plan, cmd_argc, cmd_argv, &aopts, err, errlen);
	if (r != 0) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		return r < 0 ? r : -EINVAL;
	}
	snprintf(p->plan.note, sizeof(p->plan.note), "%s", note);
	return 0;
}

void qemu_pump_no_hold(struct qemu_pump *p)
{
	lockstep_off(&p->lock);
	snprintf(p->lock_note, sizeof(p->lock_note), "--no-hold");
}

int qemu_pump_meta(const struct qemu_pump *p, struct session *s)
{
	char buf[RAWTRACE_META_STR_MAX];
	int r;

	s->meta.source = VMT_SRC_QEMU;
	/* RAM bounds let the decoder flag rings outside RAM; with RAM split
	 * around the 4 GiB hole one range cannot say it, so none is given. */
	if (p->plan.share_ram && p->ram.map && p->ram.low == p->ram.size) {
		s->meta.ram_base = p->ram.base;
		s->meta.ram_size = p->ram.size;
	}
	r = session_meta_args(s, "qemu-command", p->plan.argv[0], p->plan.argc - 1, p->plan.argv + 1);
	if (r == 0 && p->version[0])
		r = session_meta_set(s, "qemu-version", p->version);
	if (r == 0)
		r = session_meta_set(s, "machine", p->plan.machine[0] ? p->plan.machine : "(QEMU's default)");
	/* x86 RAM is at 0 (and 4 GiB); other machines say where. */
	char at[40] = "";
	if (p->ram.map && p->ram.base)
		snprintf(at, sizeof(at), " at 0x%llx", (unsigned long long)p->ram.base);
	snprintf(buf, sizeof(buf), "%llu bytes%s%s", (unsigned long long)p->plan.ram_size, at,
		 p->plan.share_ram ? ", shared read-only with vmtrace: ring snapshots are best-effort"
				   : ", not shared: no ring snapshots");
	if (r == 0)
		r = session_meta_set(s, "guest-ram", buf);
	/* How far the copies can be trusted depends on it (lockstep.h). */
	snprintf(buf, sizeof(buf), "%s", !p->ram.map ? "no ring copies"
		 : lockstep_on(&p->lock) ? "held at each trace line while rings are copied"
		 : p->lock_note[0] ? p->lock_note : "not held");
	if (r == 0)
		r = session_meta_set(s, "qemu-hold", buf);
	return r;
}

int qemu_pump_start(struct qemu_pump *p, struct session *s)
{
	struct qemu_source_cfg scfg = { .emit = session_emit, .ctx = s, .ram = p->ram.map ? &p->ram : NULL };
	int keep[2], n_keep = 0, r;
	struct session_spawn_opts so = { .stdout_fd = -1, .keep = keep };

	r = qemu_source_new(&p->src, &scfg);
	if (r < 0)
		return r;
	keep[n_keep++] = p->trace_fd[1];
	if (p->ram.map)
		keep[n_keep++] = p->ram.fd;
	so.n_keep = n_keep;
	if (p->ram.map)
		lockstep_arm(&p->lock);
	else
		lockstep_off(&p->lock); /* no ring copies: nothing to hold QEMU for */
	p->t0_ns = session_now_ns();
	r = session_spawn(&p->child, p->plan.argv, &so);
	if (r != 0)
		return r;
	/* Only QEMU writes the pipe now: its end is the end of the trace. */
	close(p->trace_fd[1]);
	p->trace_fd[1] = -1;
	return 0;
}

/* Hand QEMU's bytes to the source (and the copy); after a write error
 * keep draining the pipe (QEMU must not block on it) but record nothing. */
static void take(struct qemu_pump *p, struct session *s, FILE *copy, const char *buf, ssize_t k, uint64_t now)
{
	if (k <= 0)
		return;
	if (copy)
		fwrite(buf, 1, (size_t)k, copy);
	if (!s->error)
		qemu_source_feed(p->src, buf, (size_t)k, now - p->t0_ns);
}

int qemu_pump_run(struct qemu_pump *p, struct session *s, FILE *copy)
{
	static char buf[QEMU_PUMP_READ_CHUNK];
	int fd = p->trace_fd[0];
	pid_t pid = p->child.pid;
	bool exited = false, killed = false;
	int status = 0;

	p->lock.rfd = fd;
	for (;;) {
		int n = lockstep_wait(&p->lock, QEMU_PUMP_POLL_MS);
		uint64_t now = session_now_ns();

		if (n < 0) {
			p->read_error = -n;
			break;
		}
		if (n > 0) {
			/* Lockstep: QEMU waits at its next line while the ring
			 * copies for these ones are taken, then goes on. */
			ssize_t k = lockstep_read(&p->lock, buf, sizeof(buf));

			if (k == 0 && !lockstep_on(&p->lock))
				break;
			if (k < 0 && k != -EINTR && k != -EAGAIN) {
				p->read_error = (int)-k;
				break;
			}
			take(p, s, copy, buf, k, now);
			k = lockstep_release(&p->lock, buf, sizeof(buf));
			if (k < 0 && k != -EINTR && k != -EAGAIN) {
				p->read_error = (int)-k;
				break;
			}
			take(p, s, copy, buf, k, now);
		} else if (n == 0 && !s->error) {
			/* Quiet: used entries published since are copied now. */
			qemu_source_idle(p->src, now - p->t0_ns);
		}
		if (s->error && !killed) {
			lockstep_off(&p->lock);
			kill(pid, SIGTERM);
			killed = true;
		}
		session_tick(s, now);
		if (exited && n == 0)
			break; /* drained; a process QEMU started holds the pipe */
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			lockstep_off(&p->lock); /* QEMU's end is now the pipe's end */
		}
	}
	if (!exited) {
		/* Reading stopped early: QEMU must not wait on the pipe. */
		lockstep_off(&p->lock);
		close(p->trace_fd[0]);
		p->trace_fd[0] = -1;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	p->child.pid = 0; /* reaped */
	if (!s->error)
		qemu_source_end(p->src, session_now_ns() - p->t0_ns);
	qemu_source_get_stats(p->src, &p->stats);
	return status;
}

void qemu_pump_release(struct qemu_pump *p)
{
	lockstep_off(&p->lock);
	session_child_cancel(&p->child);
	qemu_source_free(p->src);
	p->src = NULL;
	for (int i = 0; i < 2; i++) {
		if (p->trace_fd[i] >= 0)
			close(p->trace_fd[i]);
		p->trace_fd[i] = -1;
	}
	guest_ram_release(&p->ram);
	qemu_args_release(&p->plan);
}
