/* Signals, exit status and clock shared by the recorders of a command
 * (record_child.h). */
#include "cli/record_child.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static volatile pid_t target;
static volatile sig_atomic_t got;

static void forward(int sig)
{
	got = sig;
	if (target > 0)
		kill(target, sig);
}

void record_signals_forward(struct record_signals *rs)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &rs->old_int);
	sigaction(SIGTERM, &sa, &rs->old_term);
	sigaction(SIGHUP, &sa, &rs->old_hup);
	signal(SIGPIPE, SIG_IGN);
	rs->set = true;
}

void record_signals_restore(struct record_signals *rs)
{
	if (!rs->set)
		return;
	sigaction(SIGINT, &rs->old_int, NULL);
	sigaction(SIGTERM, &rs->old_term, NULL);
	sigaction(SIGHUP, &rs->old_hup, NULL);
	rs->set = false;
}

void record_signals_target(pid_t pid)
{
	target = pid;
}

int record_signals_got(void)
{
	return got;
}

void record_child_reset_signals(void)
{
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
}

uint64_t record_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void record_describe_end(const char *who, int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "%s exited with status %d", who, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "%s killed by signal %d (%s)", who, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "%s ended (status 0x%x)", who, status);
}

int record_exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

void record_die_like(int status)
{
	struct rlimit no_core = { 0, 0 };

	if (!WIFSIGNALED(status))
		return;
	setrlimit(RLIMIT_CORE, &no_core);
	signal(WTERMSIG(status), SIG_DFL);
	raise(WTERMSIG(status));
}
