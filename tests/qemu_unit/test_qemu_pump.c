/* qemu_pump: QEMU's trace text through a real pipe, written by a child
 * process standing in for QEMU, pumped into a session's raw trace, read
 * back: the events written (accesses, the lost line, nothing from other
 * regions), the --qemu-log copy byte for byte, the child's wait status,
 * a line split across writes, a process QEMU started that keeps the pipe
 * open (the pump still ends), and an error of the session (QEMU gets
 * SIGTERM, the trace ends with "write error"). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/qemu/qemu_pump.h"
#include "capture/rawtrace.h"
#include "capture/session.h"
#include "tests/harness.h"
#include "virtio/virtio.h"

#define READ_LINE "memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e00 value 0x74726976 size 4 name 'virtio-mmio'\n"
#define WRITE_LINE "memory_region_ops_write cpu 1 mr 0x5581e0f3c2d0 addr 0xfeb02e50 value 0x3 size 4 name 'virtio-mmio'\n"
#define OTHER_LINE "memory_region_ops_read cpu 0 mr 0x5581e0f3c400 addr 0xfee00030 value 0x14 size 4 name 'apic-msi'\n"
#define BAD_LINE "memory_region_ops_write cpu 0 mr 0x1 addr zzz value 0x3 size 4 name 'virtio-mmio'\n"

/* Child behaviours. */
enum script { S_ALL, S_SPLIT, S_GRANDCHILD, S_FOREVER };

static void write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t k = write(fd, s, n);
		if (k <= 0)
			_exit(9);
		s += k;
		n -= (size_t)k;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Fork the stand-in QEMU writing into w; returns its pid.  With
 * S_GRANDCHILD, *grandchild is a process it started that holds w open. */
static pid_t start_child(int r, int w, enum script sc, pid_t *grandchild)
{
	int gp[2];
	pid_t pid;

	if (grandchild && pipe(gp) != 0)
		return -1;
	pid = fork();
	if (pid != 0) {
		if (grandchild) {
			close(gp[1]);
			if (read(gp[0], grandchild, sizeof(*grandchild)) != (ssize_t)sizeof(*grandchild))
				*grandchild = 0;
			close(gp[0]);
		}
		return pid;
	}
	close(r);
	switch (sc) {
	case S_ALL:
		write_all(w, READ_LINE OTHER_LINE WRITE_LINE BAD_LINE);
		_exit(3);
	case S_SPLIT:
		write_all(w, "memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb0");
		sleep_ms(300); /* longer than one poll */
		write_all(w, "2e00 value 0x74726976 size 4 name 'virtio-mmio'\n");
		_exit(0);
	case S_GRANDCHILD: {
		pid_t g = fork();

		if (g == 0) {
			sleep(30); /* holds w open */
			_exit(0);
		}
		if (write(gp[1], &g, sizeof(g)) < 0)
			_exit(9);
		write_all(w, READ_LINE);
		_exit(0);
	}
	case S_FOREVER:
		for (int i = 0; i < 3000; i++) {
			write_all(w, READ_LINE);
			sleep_ms(10);
		}
		_exit(0);
	}
	_exit(9);
}

struct run {
	struct session ss;
	struct qemu_pump p;
	const char *path;
	int status;
	char copy[4096];
	size_t copy_len;
	int close_rc;
	double seconds;
};

/* Record the child's output; the trace is closed with end reason "test". */
static void record(struct run *rn, enum script sc, bool fail_first, pid_t *grandchild)
{
	struct rawtrace_write_opts wo = { .flush = RAWTRACE_FLUSH_INTERVAL, .interval_ms = 100 };
	struct qemu_source_cfg cfg;
	char *argv[] = { "record", "--", "qemu-system-x86_64", NULL };
	int fds[2];
	FILE *copy = tmpfile();
	uint64_t t0;
	pid_t pid;

	memset(rn, 0, sizeof(*rn));
	rn->path = harness_tmpfile("qemu_pump.vmt");
	session_init(&rn->ss, VMT_SRC_QEMU);
	CHECK(session_meta_common(&rn->ss, 3, argv) == 0);
	CHECK(session_open(&rn->ss, rn->path, &wo) == 0);
	qemu_pump_init(&rn->p);
	cfg = (struct qemu_source_cfg){ .emit = session_emit, .ctx = &rn->ss };
	CHECK(qemu_source_new(&rn->p.src, &cfg) == 0);
	CHECK(pipe(fds) == 0);
	pid = start_child(fds[0], fds[1], sc, grandchild);
	CHECK(pid > 0);
	close(fds[1]);
	rn->p.trace_fd[0] = fds[0];
	rn->p.child.pid = pid;
	rn->p.t0_ns = t0 = session_now_ns();
	if (fail_first)
		session_fail(&rn->ss, -ENOSPC);
	rn->status = qemu_pump_run(&rn->p, &rn->ss, copy);
	rn->seconds = (double)(session_now_ns() - t0) / 1e9;
	CHECK_EQ_U(rn->p.child.pid, 0); /* reaped */
	rn->close_rc = session_close(&rn->ss, "test");
	rewind(copy);
	rn->copy_len = fread(rn->copy, 1, sizeof(rn->copy) - 1, copy);
	rn->copy[rn->copy_len] = '\0';
	fclose(copy);
	qemu_pump_release(&rn->p);
	session_release(&rn->ss, "unused");
}

/* The events of the trace at path (at most max), and its status. */
static size_t read_back(const char *path, struct vmt_event *ev, char text[][128], size_t max,
			struct rawtrace_status *st)
{
	struct rawtrace_reader *rd = NULL;
	char err[256];
	size_t n = 0;

	if (rawtrace_reader_open(&rd, path, err, sizeof(err)) < 0) {
		CHECK(!"cannot read the trace back");
		return 0;
	}
	CHECK_EQ_U(rawtrace_reader_meta(rd)->source, VMT_SRC_QEMU);
	CHECK_STR(rawtrace_meta_get(rawtrace_reader_meta(rd), "command"), "vmtrace record -- qemu-system-x86_64");
	while (n < max && rawtrace_reader_next(rd, &ev[n]) == 1) {
		snprintf(text[n], 128, "%.*s", (int)ev[n].len, ev[n].data ? (const char *)ev[n].data : "");
		ev[n].data = NULL;
		n++;
	}
	rawtrace_reader_status(rd, st);
	rawtrace_reader_close(rd);
	return n;
}

static void test_lines_to_events(void)
{
	struct run rn;
	struct vmt_event ev[16];
	char text[16][128];
	struct rawtrace_status st;
	size_t n;

	record(&rn, S_ALL, false, NULL);
	CHECK(WIFEXITED(rn.status) && WEXITSTATUS(rn.status) == 3);
	CHECK_EQ_U(rn.close_rc, 0);
	CHECK_STR(rn.copy, READ_LINE OTHER_LINE WRITE_LINE BAD_LINE);
	CHECK_EQ_U(rn.p.read_error, 0);
	CHECK_EQ_U(rn.p.stats.lines, 4);
	CHECK_EQ_U(rn.p.stats.accesses, 2);
	CHECK_EQ_U(rn.p.stats.other, 1);
	CHECK_EQ_U(rn.p.stats.bad, 1);
	CHECK_EQ_U(rn.p.stats.lost, 1);
	CHECK_EQ_U(rn.p.stats.devices, 1);
	n = read_back(rn.path, ev, text, 16, &st);
	CHECK(st.complete);
	CHECK_STR(st.end_reason, "test");
	CHECK_EQ_U(st.events, n);
	CHECK_EQ_U(n, 4); /* read, write, marker + lost for the bad line */
	if (n != 4)
		return;
	CHECK_EQ_U(ev[0].type, VMT_EV_MMIO);
	CHECK_EQ_U(ev[0].source, VMT_SRC_QEMU);
	CHECK_EQ_U(ev[0].base, 0xfeb02e00);
	CHECK_EQ_U(ev[0].addr, 0);
	CHECK_EQ_U(ev[0].dir, VMT_DIR_READ);
	CHECK_EQ_U(ev[0].value, VIRTIO_MMIO_MAGIC);
	CHECK_EQ_U(ev[0].width, 4);
	CHECK_EQ_U(ev[1].type, VMT_EV_MMIO);
	CHECK_EQ_U(ev[1].addr, 0x50);
	CHECK_EQ_U(ev[1].dir, VMT_DIR_WRITE);
	CHECK_EQ_U(ev[1].value, 3);
	CHECK_EQ_U(ev[1].vcpu, 1);
	CHECK(ev[1].seq == ev[0].seq + 1);
	CHECK_EQ_U(ev[2].type, VMT_EV_MARKER);
	CHECK(strstr(text[2], "line 4") != NULL);
	CHECK_EQ_U(ev[3].type, VMT_EV_LOST);
	CHECK_EQ_U(ev[3].value, 1);
}

/* A line cut between two writes (and two polls) is one event. */
static void test_split_line(void)
{
	struct run rn;
	struct vmt_event ev[4];
	char text[4][128];
	struct rawtrace_status st;

	record(&rn, S_SPLIT, false, NULL);
	CHECK(WIFEXITED(rn.status) && WEXITSTATUS(rn.status) == 0);
	CHECK_EQ_U(read_back(rn.path, ev, text, 4, &st), 1);
	CHECK_EQ_U(ev[0].base, 0xfeb02e00);
	CHECK_EQ_U(ev[0].value, VIRTIO_MMIO_MAGIC);
	CHECK_EQ_U(rn.p.stats.bad, 0);
}

/* QEMU exited, but a process it started still holds the pipe: the pump
 * ends at the first empty wait after the exit, not when that process
 * ends. */
static void test_pipe_held_open(void)
{
	struct run rn;
	struct vmt_event ev[4];
	char text[4][128];
	struct rawtrace_status st;
	pid_t g = 0;

	record(&rn, S_GRANDCHILD, false, &g);
	CHECK(g > 0);
	if (g > 0)
		kill(g, SIGKILL);
	CHECK(WIFEXITED(rn.status) && WEXITSTATUS(rn.status) == 0);
	CHECK(rn.seconds < 5.0);
	CHECK_EQ_U(read_back(rn.path, ev, text, 4, &st), 1);
	CHECK(st.complete);
}

/* After an error of the session QEMU is stopped (SIGTERM), its output
 * drained but not recorded, and the trace ends with "write error". */
static void test_session_error(void)
{
	struct run rn;
	struct vmt_event ev[4];
	char text[4][128];
	struct rawtrace_status st;

	record(&rn, S_FOREVER, true, NULL);
	CHECK(WIFSIGNALED(rn.status) && WTERMSIG(rn.status) == SIGTERM);
	CHECK(rn.seconds < 5.0);
	CHECK(rn.close_rc == -ENOSPC);
	CHECK_EQ_U(read_back(rn.path, ev, text, 4, &st), 0);
	CHECK(st.complete);
	CHECK_STR(st.end_reason, "write error");
	CHECK_EQ_U(rn.p.stats.accesses, 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_lines_to_events);
	RUN(test_split_line);
	RUN(test_pipe_held_open);
	RUN(test_session_error);
	return harness_finish("test_qemu_pump");
}
