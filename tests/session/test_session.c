/* capture/session.c: the command line kept in the metadata (quoting,
 * cutting), the summary line users and tests read, the periodic flush,
 * errors ending the trace with "write error", and the recorded command:
 * spawn with and without the gate, exec failures reported as errno,
 * cancelling a held child (it never runs), output capture with a
 * timeout, how a child's end is described and passed on; the
 * emulator's violations read back from a trace (rig_record.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/driver/rig_record.h"
#include "capture/session.h"
#include "tests/harness.h"

static void test_join_args(void)
{
	char *argv[] = { "record", "a b", "it's", "", "-o", "x;y" };
	char buf[128], small[16];

	session_join_args(buf, sizeof(buf), "vmtrace", 6, argv);
	CHECK_STR(buf, "vmtrace record 'a b' 'it'\\''s' '' -o 'x;y'");
	session_join_args(small, sizeof(small), "vmtrace", 6, argv);
	CHECK_EQ_U(strlen(small), sizeof(small) - 1);
	CHECK(strcmp(small + sizeof(small) - 4, "...") == 0);
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

static void test_summary_line(void)
{
	const char *out = harness_tmpfile("summary.out");
	const char *txt = harness_tmpfile("summary.txt");
	struct session_summary sum = { .events = 767, .lost = 0, .devices = 4, .output = out };
	char want[512], got[512];
	FILE *f = fopen(out, "w");

	fputs("0123456789", f); /* the output is 10 bytes */
	fclose(f);
	f = fopen(txt, "w");
	session_print_summary(f, &sum);
	sum.devices = 1;
	sum.lost = 3;
	sum.raw = "r.vmt";
	session_print_summary(f, &sum);
	sum.output = "/nonexistent/x.db";
	sum.raw = NULL;
	session_print_summary(f, &sum);
	fclose(f);
	read_file(txt, got, sizeof(got));
	snprintf(want, sizeof(want),
		 "[ vmtrace record: 767 events (0 lost), 4 devices, 10 bytes -> %s ]\n"
		 "[ vmtrace record: 767 events (3 lost), 1 device, 10 bytes -> %s (raw trace: r.vmt) ]\n"
		 "[ vmtrace record: 767 events (3 lost), 1 device, -1 bytes -> /nonexistent/x.db ]\n",
		 out, out);
	CHECK_STR(got, want);
	unlink(out);
	unlink(txt);
}

/* Metadata, events, the interval flush (a block reaches the file before
 * close), an error closing the trace with "write error". */
static void test_writer(void)
{
	struct rawtrace_write_opts wo = { .flush = RAWTRACE_FLUSH_INTERVAL, .interval_ms = 1000 };
	const char *path = harness_tmpfile("session.vmt");
	struct vmt_event ev = { .type = VMT_EV_MMIO, .source = VMT_SRC_EMU, .width = 4 };
	char *argv[] = { "record", "--emu", "blk" };
	struct rawtrace_reader *rd = NULL;
	struct rawtrace_status st;
	struct session s;
	struct stat sb1, sb2;
	char err[256];

	session_init(&s, VMT_SRC_EMU);
	CHECK(session_meta_common(&s, 3, argv) == 0);
	CHECK(session_meta_set(&s, "seed", "1") == 0);
	CHECK(session_open(&s, path, &wo) == 0);
	CHECK(session_emit(&s, &ev) == 0);
	CHECK(session_emit(&s, &ev) == 0);
	CHECK_EQ_U(session_events(&s), 2);
	CHECK(stat(path, &sb1) == 0);
	CHECK(session_tick(&s, s.last_flush_ns + 999000000ull) == 0); /* not yet */
	CHECK(stat(path, &sb2) == 0);
	CHECK_EQ_U(sb2.st_size, sb1.st_size);
	CHECK(session_tick(&s, s.last_flush_ns + 1000000000ull) == 0);
	CHECK(stat(path, &sb2) == 0);
	CHECK(sb2.st_size > sb1.st_size);
	CHECK_EQ_U(session_fail(&s, -ENOSPC), (uint64_t)(int64_t)-ENOSPC);
	CHECK_EQ_U(session_fail(&s, -EIO), (uint64_t)(int64_t)-EIO); /* the first one is kept */
	CHECK(session_close(&s, "normal") == -ENOSPC);
	CHECK_EQ_U(s.events, 2);
	CHECK_EQ_U(session_events(&s), 2);
	session_release(&s, "aborted");

	CHECK(rawtrace_reader_open(&rd, path, err, sizeof(err)) == 0);
	if (!rd)
		return;
	CHECK_STR(rawtrace_meta_get(rawtrace_reader_meta(rd), "command"), "vmtrace record --emu blk");
	CHECK(rawtrace_meta_get(rawtrace_reader_meta(rd), "vmtrace-version") != NULL);
	CHECK_STR(rawtrace_reader_meta(rd)->kv[2].key, "seed");
	while (rawtrace_reader_next(rd, &ev) == 1)
		;
	rawtrace_reader_status(rd, &st);
	CHECK(st.complete);
	CHECK_EQ_U(st.events, 2);
	CHECK_STR(st.end_reason, "write error");
	rawtrace_reader_close(rd);
	unlink(path);
}

/* A session released while open closes its trace with the reason given. */
static void test_release_open(void)
{
	struct rawtrace_write_opts wo = { .flush = RAWTRACE_FLUSH_BLOCK };
	const char *path = harness_tmpfile("release.vmt");
	struct rawtrace_reader *rd = NULL;
	struct rawtrace_status st;
	struct vmt_event ev;
	struct session s;
	char err[256];

	session_init(&s, VMT_SRC_QEMU);
	CHECK(session_open(&s, path, &wo) == 0);
	session_release(&s, "qemu could not be started");
	CHECK(s.w == NULL);
	CHECK(rawtrace_reader_open(&rd, path, err, sizeof(err)) == 0);
	if (!rd)
		return;
	while (rawtrace_reader_next(rd, &ev) == 1)
		;
	rawtrace_reader_status(rd, &st);
	CHECK_STR(st.end_reason, "qemu could not be started");
	rawtrace_reader_close(rd);
	unlink(path);
	session_release(&s, "twice is fine");
}

static int wait_status(pid_t pid)
{
	int status = -1;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static void test_spawn(void)
{
	struct session_spawn_opts so = { .stdout_fd = -1 };
	struct session_child c;
	char *missing[] = { "/nonexistent/vmtrace-no-such-command", NULL };
	char *exit4[] = { "/bin/sh", "-c", "exit 4", NULL };
	char buf[128];
	int status;

	CHECK_EQ_U(session_spawn(&c, missing, &so), ENOENT);
	CHECK_EQ_U(c.pid, 0);
	CHECK_EQ_U(session_spawn(&c, exit4, &so), 0);
	CHECK(c.pid > 0);
	status = wait_status(c.pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4);
	session_describe_end("qemu", status, buf, sizeof(buf));
	CHECK_STR(buf, "qemu exited with status 4");
	CHECK_EQ_U(session_exit_status(status), 4);
}

static void test_spawn_gated(void)
{
	struct session_spawn_opts so = { .stdout_fd = -1, .gated = true };
	const char *flag = harness_tmpfile("gated.flag");
	char cmd[600];
	char *touch[] = { "/bin/sh", "-c", cmd, NULL };
	char *missing[] = { "/nonexistent/vmtrace-no-such-command", NULL };
	char *killed[] = { "/bin/sh", "-c", "kill -KILL $$", NULL };
	struct session_child c;
	char buf[128];
	int status;

	snprintf(cmd, sizeof(cmd), "touch '%s'", flag);
	unlink(flag);
	/* Held, then cancelled: it never runs. */
	CHECK_EQ_U(session_spawn(&c, touch, &so), 0);
	CHECK(c.pid > 0 && c.gate >= 0);
	usleep(100000);
	CHECK(access(flag, F_OK) != 0);
	session_child_cancel(&c);
	CHECK_EQ_U(c.pid, 0);
	CHECK(access(flag, F_OK) != 0);
	/* Held, then released: it runs. */
	CHECK_EQ_U(session_spawn(&c, touch, &so), 0);
	CHECK_EQ_U(session_child_release(&c), 0);
	status = wait_status(c.pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(access(flag, F_OK) == 0);
	unlink(flag);
	/* The exec failure comes with the release. */
	CHECK_EQ_U(session_spawn(&c, missing, &so), 0);
	CHECK_EQ_U(session_child_release(&c), ENOENT);
	CHECK_EQ_U(c.pid, 0);
	/* A death by signal. */
	CHECK_EQ_U(session_spawn(&c, killed, &so), 0);
	CHECK_EQ_U(session_child_release(&c), 0);
	status = wait_status(c.pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	session_describe_end("command", status, buf, sizeof(buf));
	CHECK_STR(buf, "command killed by signal 9 (Killed)");
	CHECK_EQ_U(session_exit_status(status), 137);
}

static void test_run_capture(void)
{
	char *echo[] = { "/bin/sh", "-c", "echo hello; echo world", NULL };
	char *slow[] = { "/bin/sh", "-c", "exec sleep 5", NULL };
	char *missing[] = { "/nonexistent/vmtrace-no-such-command", NULL };
	char out[64], tiny[4];
	uint64_t t0;

	CHECK_EQ_U(session_run_capture(echo, out, sizeof(out), 5000), 0);
	CHECK_STR(out, "hello\nworld\n");
	CHECK_EQ_U(session_run_capture(echo, tiny, sizeof(tiny), 5000), 0);
	CHECK_STR(tiny, "hel"); /* the rest drained */
	CHECK_EQ_U(session_run_capture(missing, out, sizeof(out), 5000), ENOENT);
	t0 = session_now_ns();
	CHECK_EQ_U(session_run_capture(slow, out, sizeof(out), 200), (uint64_t)(int64_t)-ETIMEDOUT);
	CHECK(session_now_ns() - t0 < 3000000000ull);
}

struct seen {
	int n;
	char text[4][160];
};

static void collect(void *ctx, const struct rig_violation *v)
{
	struct seen *s = ctx;

	if (s->n < 4)
		snprintf(s->text[s->n], sizeof(s->text[0]), "%llu %s %u %.*s", (unsigned long long)v->seq, v->device,
			 v->rule, (int)v->len, v->msg);
	s->n++;
}

/* The emulator's violations read back from a finished trace, named by
 * device (or base when the device is not in the table). */
static void test_violations_read_back(void)
{
	struct rawtrace_write_opts wo = { .flush = RAWTRACE_FLUSH_BLOCK };
	struct vmt_device_desc d = { .base = 0x10000000, .size = 0x200, .device_id = 2 };
	const char *path = harness_tmpfile("violations.vmt");
	struct vmt_event mmio = { .type = VMT_EV_MMIO, .source = VMT_SRC_EMU, .width = 4, .base = 0x10000000 };
	struct vmt_event v1 = { .type = VMT_EV_VIOLATION, .source = VMT_SRC_EMU, .base = 0x10000000, .value = 7,
				.len = 5, .data = (const uint8_t *)"first" };
	struct vmt_event v2 = { .type = VMT_EV_VIOLATION, .source = VMT_SRC_EMU, .base = 0x10000200, .value = 9,
				.len = 6, .data = (const uint8_t *)"second" };
	struct seen seen = { 0 };
	struct session s;
	char err[256];

	snprintf(d.name, sizeof(d.name), "virtio-blk@0x10000000");
	session_init(&s, VMT_SRC_EMU);
	CHECK(rawtrace_meta_add_device(&s.meta, &d) == 0);
	CHECK(session_open(&s, path, &wo) == 0);
	CHECK(session_emit(&s, &mmio) == 0);
	CHECK(session_emit(&s, &v1) == 0);
	CHECK(session_emit(&s, &mmio) == 0);
	CHECK(session_emit(&s, &v2) == 0);
	CHECK(session_close(&s, "normal") == 0);
	session_release(&s, "unused");
	CHECK(rig_record_violations(path, collect, &seen, err, sizeof(err)) == 0);
	CHECK_EQ_U(seen.n, 2);
	CHECK_STR(seen.text[0], "1 virtio-blk@0x10000000 7 first");
	CHECK_STR(seen.text[1], "3 0x10000200 9 second");
	unlink(path);
	seen.n = 0;
	CHECK(rig_record_violations(path, collect, &seen, err, sizeof(err)) < 0);
	CHECK_EQ_U(seen.n, 0);
	CHECK(err[0] != '\0');
}

int main(void)
{
	RUN(test_join_args);
	RUN(test_summary_line);
	RUN(test_writer);
	RUN(test_release_open);
	RUN(test_spawn);
	RUN(test_spawn_gated);
	RUN(test_run_capture);
	RUN(test_violations_read_back);
	return harness_finish("test_session");
}
