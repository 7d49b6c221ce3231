/* Recording a KVM VMM's MMIO exits (kvm_pump.h). */
#include "capture/kvm/kvm_pump.h"

#include <dirent.h>
#include <errno.h>
#include <linux/types.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/mmio.h"

void kvm_pump_zero(struct kvm_pump *p)
{
	memset(p, 0, sizeof(*p));
	p->child.gate = p->child.exec_err = -1;
}

int kvm_pump_init(struct kvm_pump *p, struct session *s, const struct kvm_source_cfg *cfg)
{
	struct kvm_source_cfg c = *cfg;

	p->s = s;
	p->now_ns = 0;
	p->ring_lost = 0;
	c.emit = session_emit;
	c.ctx = s;
	c.t0_ns = session_now_ns();
	return kvm_source_new(&p->src, &c);
}

void kvm_pump_set_ops(struct kvm_pump *p, const struct kvm_pump_ops *ops, void *ops_ctx)
{
	p->ops = ops;
	p->ops_ctx = ops_ctx;
}

int kvm_pump_record(void *pump, const void *data, size_t len)
{
	struct kvm_pump *p = pump;

	/* Records come only from a poll, after kvm_pump_init. */
	if (!p->src)
		return -EINVAL;
	return kvm_source_record(p->src, data, len, p->now_ns);
}

/* Take what the source holds (waiting up to timeout_ms), and turn its
 * lost-record count into an event if it grew. */
static void take_records(struct kvm_pump *p, int timeout_ms)
{
	uint64_t lost;
	int r;

	p->now_ns = session_now_ns();
	r = p->ops->poll(p->ops_ctx, timeout_ms);
	p->now_ns = session_now_ns();
	if (r < 0 && r != -EINTR)
		session_fail(p->s, r);
	lost = p->ops->ring_lost(p->ops_ctx);
	if (lost > p->ring_lost && !p->s->error) {
		kvm_source_ring_lost(p->src, lost - p->ring_lost, p->now_ns);
		p->ring_lost = lost;
	}
	if (!p->s->error)
		kvm_source_tick(p->src, p->now_ns);
}

/* Only there to cut a wait for records short when the command exits. */
static void on_sigchld(int sig)
{
	(void)sig;
}

int kvm_pump_start(struct kvm_pump *p, char *const *cmd_argv, pid_t tgid, char *err, size_t errlen)
{
	struct session_spawn_opts so = { .stdout_fd = -1, .gated = true };
	struct sigaction sc;
	int r;

	memset(&sc, 0, sizeof(sc));
	sc.sa_handler = on_sigchld;
	sigemptyset(&sc.sa_mask);
	sc.sa_flags = SA_NOCLDSTOP; /* no SA_RESTART: a wait for records ends early */
	if (!p->chld_set)
		sigaction(SIGCHLD, &sc, &p->old_chld);
	p->chld_set = true;
	if (!cmd_argv) {
		p->pid = tgid;
		p->attached = true;
		return p->ops->attach(p->ops_ctx, tgid, err, errlen);
	}
	r = session_spawn(&p->child, cmd_argv, &so);
	if (r < 0) {
		snprintf(err, errlen, "cannot start '%s': %s", cmd_argv[0], strerror(-r));
		return r;
	}
	p->pid = p->child.pid;
	session_signals_target(p->pid);
	r = p->ops->attach(p->ops_ctx, p->pid, err, errlen);
	if (r < 0)
		return r;
	r = session_child_release(&p->child);
	if (r != 0) {
		snprintf(err, errlen, "cannot start '%s': %s", cmd_argv[0], strerror(r));
		p->pid = 0;
		session_signals_target(0);
	}
	return r;
}

int kvm_pump_run(struct kvm_pump *p, char *end_reason, size_t len)
{
	pid_t pid = p->pid;
	bool killed = false, attached = p->attached;
	int status = 0;

	for (;;) {
		take_records(p, KVM_PUMP_POLL_MS);
		if (p->s->error && !killed && !attached) {
			kill(pid, SIGTERM);
			killed = true;
		}
		if (p->s->error && attached)
			break;
		session_tick(p->s, p->now_ns);
		if (!attached) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				p->child.pid = 0; /* reaped */
				session_describe_end("command", status, end_reason, len);
				break;
			}
		} else if (session_signals_got()) {
			const char *abbrev = sigabbrev_np(session_signals_got());

			snprintf(end_reason, len, "detached from process %d on SIG%s", (int)pid, abbrev ? abbrev : "?");
			break;
		} else if (kill(pid, 0) != 0 && errno == ESRCH) {
			snprintf(end_reason, len, "process %d ended", (int)pid);
			break;
		}
	}
	if (!attached)
		session_signals_target(0);
	/* Everything the process did until now is in the ring: stop the
	 * source and take the rest. */
	p->ops->detach(p->ops_ctx);
	take_records(p, 0);
	if (!p->s->error)
		session_fail(p->s, kvm_source_end(p->src, session_now_ns()));
	return status;
}

void kvm_pump_release(struct kvm_pump *p)
{
	if (!p)
		return;
	if (p->child.pid > 0)
		session_signals_target(0);
	session_child_cancel(&p->child);
	kvm_source_free(p->src);
	p->src = NULL;
	if (p->chld_set)
		sigaction(SIGCHLD, &p->old_chld, NULL);
	p->chld_set = false;
}

int kvm_pump_meta(struct session *s, const struct kvm_pump_meta *m)
{
	char buf[RAWTRACE_META_STR_MAX];
	struct utsname u;
	int r = 0, n;

	s->meta.source = VMT_SRC_KVM_BPF;
	if (m->tgid > 0) {
		snprintf(buf, sizeof(buf), "%d", (int)m->tgid);
		r = session_meta_set(s, "traced-pid", buf);
	} else {
		r = session_meta_args(s, "traced-command", m->cmd_argv[0], m->cmd_argc - 1, m->cmd_argv + 1);
	}
	if (uname(&u) == 0 && r == 0)
		r = session_meta_set(s, "kernel", u.release);
	snprintf(buf, sizeof(buf), "BPF on kvm:kvm_mmio and kvm:kvm_fast_mmio; a read is recorded at its "
				   "completion, with its value; ring buffer %u KiB",
		 (m->ring_bytes ? m->ring_bytes : MMIO_RING_DEFAULT) >> 10);
	if (r == 0)
		r = session_meta_set(s, "capture", buf);
	n = snprintf(buf, sizeof(buf), "%s", m->n_windows ? "" : "found from MagicValue reads");
	for (size_t i = 0; i < m->n_windows && n < (int)sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s0x%llx+0x%llx", i ? "," : "",
			      (unsigned long long)m->windows[i].base, (unsigned long long)m->windows[i].size);
	if (m->n_windows && n < (int)sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, "%s",
			 m->only_windows ? " (only these)" : " and those found from MagicValue reads");
	if (r == 0)
		r = session_meta_set(s, "windows", buf);
	if (m->snapshots_off) {
		snprintf(buf, sizeof(buf), "none: %s", m->snapshots_off);
		if (r == 0)
			r = session_meta_set(s, "ring-snapshots", buf);
	} else if (r == 0)
		r = session_meta_set(s, "ring-snapshots",
				     !m->snapshots ? "none (--no-snapshots): register accesses only"
						   : "exact: copied by the BPF program with the vCPU stopped in KVM, at "
						     "every QueueNotify write (descriptor table, new chains' driver "
						     "buffers, available ring) and InterruptStatus read (used chains' "
						     "device buffers, used ring); needs the VMM's memory slots, seen "
						     "when it sets them (not with --pid)");
	return r;
}

pid_t kvm_pump_tgid(pid_t pid)
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

bool kvm_pump_has_vm(pid_t pid)
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
