/* One recording session: raw trace, common metadata, recorded command,
 * summary line (session.h). */
#include "capture/session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

void session_init(struct session *s, uint32_t source)
{
	memset(s, 0, sizeof(*s));
	s->meta.source = source;
}

int session_meta_set(struct session *s, const char *key, const char *value)
{
	return rawtrace_meta_set(&s->meta, key, value);
}

void session_join_args(char *buf, size_t len, const char *first, int argc, char *const *argv)
{
	size_t used = (size_t)snprintf(buf, len, "%s", first);

	for (int i = 0; i < argc && used < len; i++) {
		const char *a = argv[i];
		bool quote = !*a || strpbrk(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") != NULL;
		int n;

		if (!quote) {
			n = snprintf(buf + used, len - used, " %s", a);
		} else {
			n = snprintf(buf + used, len - used, " '");
			for (; n >= 0 && *a && used + (size_t)n < len; a++) {
				int k = *a == '\'' ? snprintf(buf + used + n, len - used - n, "'\\''")
						   : snprintf(buf + used + n, len - used - n, "%c", *a);
				n += k;
			}
			if (n >= 0 && used + (size_t)n < len)
				n += snprintf(buf + used + n, len - used - n, "'");
		}
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

int session_meta_args(struct session *s, const char *key, const char *first, int argc, char *const *argv)
{
	char buf[RAWTRACE_META_STR_MAX];

	session_join_args(buf, sizeof(buf), first, argc, argv);
	return rawtrace_meta_set(&s->meta, key, buf);
}

int session_meta_common(struct session *s, int argc, char *const *argv)
{
	int r = rawtrace_meta_set(&s->meta, "vmtrace-version", VMTRACE_VERSION);

	if (r == 0)
		r = session_meta_args(s, "command", "vmtrace", argc, argv);
	return r;
}

int session_open(struct session *s, const char *path, const struct rawtrace_write_opts *wopts)
{
	int r;

	s->wopts = *wopts;
	s->error = 0;
	s->events = 0;
	r = rawtrace_writer_open(&s->w, path, &s->meta, wopts);
	if (r < 0) {
		s->w = NULL;
		return r;
	}
	s->last_flush_ns = session_now_ns();
	return 0;
}

int session_fail(struct session *s, int err)
{
	if (err < 0 && !s->error)
		s->error = err;
	return err;
}

int session_emit(void *ctx, const struct vmt_event *ev)
{
	struct session *s = ctx;
	int r;

	if (!s->w)
		return session_fail(s, -EBADF);
	r = rawtrace_writer_append(s->w, ev, NULL);
	if (r < 0)
		session_fail(s, r);
	return r;
}

int session_tick(struct session *s, uint64_t now_ns)
{
	uint64_t interval = (uint64_t)(s->wopts.interval_ms ? s->wopts.interval_ms
							     : SESSION_FLUSH_INTERVAL_DEFAULT_MS) * 1000000ull;

	if (s->error || !s->w || s->wopts.flush != RAWTRACE_FLUSH_INTERVAL)
		return s->error;
	if (now_ns - s->last_flush_ns >= interval) {
		int r = rawtrace_writer_flush(s->w);

		if (r < 0)
			session_fail(s, r);
		s->last_flush_ns = now_ns;
	}
	return s->error;
}

uint64_t session_events(const struct session *s)
{
	return s->w ? rawtrace_writer_events(s->w) : s->events;
}

int session_close(struct session *s, const char *end_reason)
{
	int r;

	if (!s->w)
		return s->error;
	s->events = rawtrace_writer_events(s->w);
	/* Every loss is a VMT_EV_LOST event where it happened: the footer's
	 * count (losses without such an event) stays 0. */
	r = rawtrace_writer_close(s->w, 0, s->error ? "write error" : end_reason);
	s->w = NULL;
	return s->error ? s->error : r;
}

void session_release(struct session *s, const char *end_reason)
{
	if (!s)
		return;
	if (s->w) {
		s->events = rawtrace_writer_events(s->w);
		rawtrace_writer_close(s->w, 0, end_reason);
		s->w = NULL;
	}
	rawtrace_meta_clear(&s->meta);
}

void session_print_summary(FILE *f, const struct session_summary *sum)
{
	struct stat sb;

	fprintf(f, "[ vmtrace record: %llu events (%llu lost), %u device%s, %lld bytes -> %s%s%s%s ]\n",
		(unsigned long long)sum->events, (unsigned long long)sum->lost, sum->devices,
		sum->devices == 1 ? "" : "s", stat(sum->output, &sb) == 0 ? (long long)sb.st_size : -1LL,
		sum->output, sum->raw ? " (raw trace: " : "", sum->raw ? sum->raw : "", sum->raw ? ")" : "");
}

uint64_t session_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- The recorded command ------------------------------------------- */

/* In a child between fork and exec: default dispositions again. */
static void child_reset_signals(void)
{
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
}

/* Read the exec result of a child from the read end of its close-on-exec
 * pipe (closed here): 0 once it exec'ed, else the exec's errno. */
static int exec_result(int fd)
{
	int e = 0;
	ssize_t k;

	do
		k = read(fd, &e, sizeof(e));
	while (k < 0 && errno == EINTR);
	close(fd);
	return k == (ssize_t)sizeof(e) ? (e ? e : ENOEXEC) : 0;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int session_spawn(struct session_child *c, char *const *argv, const struct session_spawn_opts *o)
{
	int g[2] = { -1, -1 }, ep[2] = { -1, -1 }, r = 0;
	pid_t parent = getpid(), p;

	c->pid = 0;
	c->gate = c->exec_err = -1;
	if (o->gated && pipe2(g, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) != 0) {
		r = -errno;
		goto fail;
	}
	p = fork();
	if (p < 0) {
		r = -errno;
		goto fail;
	}
	if (p == 0) {
		char go;
		int e;

		child_reset_signals();
		/* No child outlives vmtrace, even after kill -9. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		close(ep[0]);
		if (o->gated) {
			close(g[1]);
			if (read(g[0], &go, 1) != 1)
				_exit(127);
			close(g[0]);
		}
		if (o->stdout_fd >= 0 && dup2(o->stdout_fd, STDOUT_FILENO) < 0)
			_exit(127);
		for (int i = 0; i < o->n_keep; i++)
			fcntl(o->keep[i], F_SETFD, 0);
		execvp(argv[0], argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	c->pid = p;
	if (o->gated) {
		close(g[0]);
		c->gate = g[1];
		c->exec_err = ep[0];
		return 0;
	}
	r = exec_result(ep[0]);
	if (r != 0) {
		reap(p);
		c->pid = 0;
	}
	return r;
fail:
	for (int i = 0; i < 2; i++) {
		if (g[i] >= 0)
			close(g[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return r;
}

int session_child_release(struct session_child *c)
{
	int e = 0;

	if (c->gate < 0)
		return 0;
	/* A held child that is gone cannot be let go: it never ran. */
	if (write(c->gate, "g", 1) != 1)
		e = errno ? errno : EPIPE;
	close(c->gate);
	c->gate = -1;
	if (e == 0)
		e = exec_result(c->exec_err);
	else
		close(c->exec_err);
	c->exec_err = -1;
	if (e != 0) {
		reap(c->pid);
		c->pid = 0;
	}
	return e;
}

void session_child_cancel(struct session_child *c)
{
	if (c->gate >= 0)
		close(c->gate); /* the held child exits without running anything */
	if (c->exec_err >= 0)
		close(c->exec_err);
	c->gate = c->exec_err = -1;
	if (c->pid > 0)
		reap(c->pid);
	c->pid = 0;
}

int session_run_capture(char *const *argv, char *out, size_t len, int timeout_ms)
{
	struct session_spawn_opts so = { .stdout_fd = -1 };
	struct session_child c;
	int fds[2], r;
	size_t used = 0;
	uint64_t deadline = session_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	so.stdout_fd = fds[1];
	r = session_spawn(&c, argv, &so);
	close(fds[1]);
	if (r != 0) {
		close(fds[0]);
		return r;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		uint64_t now = session_now_ns();
		char sink[4096];
		ssize_t k;

		if (now >= deadline) {
			kill(c.pid, SIGKILL);
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
	reap(c.pid);
	return r;
}

/* --- Signals ---------------------------------------------------------- */

static volatile pid_t target;
static volatile sig_atomic_t got;

static void forward(int sig)
{
	got = sig;
	if (target > 0)
		kill(target, sig);
}

void session_signals_forward(struct session_signals *ss)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &ss->old_int);
	sigaction(SIGTERM, &sa, &ss->old_term);
	sigaction(SIGHUP, &sa, &ss->old_hup);
	signal(SIGPIPE, SIG_IGN);
	ss->set = true;
}

void session_signals_restore(struct session_signals *ss)
{
	if (!ss->set)
		return;
	sigaction(SIGINT, &ss->old_int, NULL);
	sigaction(SIGTERM, &ss->old_term, NULL);
	sigaction(SIGHUP, &ss->old_hup, NULL);
	ss->set = false;
}

void session_signals_target(pid_t pid)
{
	target = pid;
}

int session_signals_got(void)
{
	return got;
}

void session_describe_end(const char *who, int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "%s exited with status %d", who, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "%s killed by signal %d (%s)", who, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "%s ended (status 0x%x)", who, status);
}

int session_exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

void session_die_like(int status)
{
	struct rlimit no_core = { 0, 0 };

	if (!WIFSIGNALED(status))
		return;
	setrlimit(RLIMIT_CORE, &no_core);
	signal(WTERMSIG(status), SIG_DFL);
	raise(WTERMSIG(status));
}
