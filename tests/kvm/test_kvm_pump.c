/* kvm_pump without BPF: a synthetic record source (kvm_pump_ops) hands
 * scripted batches of struct mmio_rec to the pump, which writes them into
 * a session's raw trace; read back: the events in order (held-back
 * accesses released by the MagicValue read), the records taken after
 * detach, the ring's lost count as a LOST event, the recorded command's
 * wait status and end reason; attached to a process (--pid), a signal
 * ends the recording ("detached from process N on SIGINT"); an error of
 * the source stops the command and ends the trace with "write error";
 * the command is held until the source is attached, and never runs if
 * attaching fails. */
#include <errno.h>
#include <linux/types.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/mmio.h"
#include "capture/kvm/kvm_pump.h"
#include "capture/rawtrace.h"
#include "capture/session.h"
#include "tests/harness.h"
#include "virtio/virtio.h"

#define DEV 0xd0000000ull
#define BATCHES_MAX 4
#define RECS_MAX 8

struct batch {
	struct mmio_rec rec[RECS_MAX];
	int n;
	uint64_t lost; /* running lost count once this batch is taken */
};

struct fake {
	struct kvm_pump *p;
	struct batch b[BATCHES_MAX];
	int nb;
	int next;           /* next batch to hand out */
	int polls;
	int detached_at;    /* polls before detach, -1 while attached */
	int raise_at;       /* raise SIGINT at this poll (1-based), 0 never */
	int fail_at;        /* return -EIO at this poll (1-based), 0 never */
	uint64_t lost;
	pid_t attached_to;  /* 0 before attach */
	bool child_ran_before_attach;
	const char *flag;   /* a file the command creates when it runs */
	int attach_rc;
};

static int fake_attach(void *ctx, pid_t tgid, char *err, size_t errlen)
{
	struct fake *f = ctx;

	f->attached_to = tgid;
	if (f->flag) {
		usleep(50000);
		f->child_ran_before_attach = access(f->flag, F_OK) == 0;
	}
	if (f->attach_rc)
		snprintf(err, errlen, "attach refused");
	return f->attach_rc;
}

static int fake_poll(void *ctx, int timeout_ms)
{
	struct fake *f = ctx;
	int taken = 0;

	(void)timeout_ms;
	f->polls++;
	if (f->fail_at && f->polls == f->fail_at)
		return -EIO;
	if (f->raise_at && f->polls == f->raise_at)
		raise(SIGINT);
	while (f->next < f->nb) {
		struct batch *b = &f->b[f->next++];
		uint64_t now = session_now_ns();

		for (int i = 0; i < b->n; i++) {
			b->rec[i].ts_ns = now;
			if (kvm_pump_record(f->p, &b->rec[i], sizeof(b->rec[i])) < 0)
				return -EIO;
			taken++;
		}
		f->lost = b->lost;
		if (f->detached_at < 0)
			break; /* one batch per poll while attached; the rest at the end */
	}
	return taken;
}

static uint64_t fake_ring_lost(const void *ctx)
{
	const struct fake *f = ctx;

	return f->lost;
}

static void fake_detach(void *ctx)
{
	struct fake *f = ctx;

	f->detached_at = f->polls;
}

static const struct kvm_pump_ops fake_ops = {
	.attach = fake_attach,
	.poll = fake_poll,
	.ring_lost = fake_ring_lost,
	.detach = fake_detach,
};

static void add(struct batch *b, uint8_t kind, uint64_t gpa, uint64_t val)
{
	b->rec[b->n++] = (struct mmio_rec){ .gpa = gpa, .val = val, .tid = 0, .kind = kind, .len = 4 };
}

/* A child that waits until *go is closed, then exits with code. */
static pid_t child_waiting(int *go, int code)
{
	int g[2];
	pid_t pid;
	char c;

	if (pipe(g) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(g[1]);
		if (read(g[0], &c, 1) < 0)
			_exit(9);
		_exit(code);
	}
	close(g[0]);
	*go = g[1];
	return pid;
}

struct run {
	struct session ss;
	struct kvm_pump p;
	struct fake f;
	const char *path;
	char end_reason[160];
	int status;
	int close_rc;
	struct kvm_source_stats st;
};

static void start(struct run *rn)
{
	struct rawtrace_write_opts wo = { .flush = RAWTRACE_FLUSH_INTERVAL, .interval_ms = 50 };
	struct kvm_source_cfg cfg = { .hold_ns = 10ull * 1000000000ull };
	char *argv[] = { "record", "--bpf", "--", "vmm", NULL };

	memset(rn, 0, sizeof(*rn));
	kvm_pump_zero(&rn->p);
	snprintf(rn->end_reason, sizeof(rn->end_reason), "unset");
	rn->path = harness_tmpfile("kvm_pump.vmt");
	rn->f.p = &rn->p;
	rn->f.detached_at = -1;
	session_init(&rn->ss, VMT_SRC_KVM_BPF);
	CHECK(session_meta_common(&rn->ss, 4, argv) == 0);
	CHECK(session_open(&rn->ss, rn->path, &wo) == 0);
	CHECK(kvm_pump_init(&rn->p, &rn->ss, &cfg) == 0);
	kvm_pump_set_ops(&rn->p, &fake_ops, &rn->f);
}

static void finish(struct run *rn)
{
	kvm_source_get_stats(rn->p.src, &rn->st);
	rn->close_rc = session_close(&rn->ss, rn->end_reason);
	kvm_pump_release(&rn->p);
	session_release(&rn->ss, "unused");
}

static size_t read_back(const char *path, struct vmt_event *ev, size_t max, struct rawtrace_status *st)
{
	struct rawtrace_reader *rd = NULL;
	char err[256];
	size_t n = 0;

	if (rawtrace_reader_open(&rd, path, err, sizeof(err)) < 0) {
		CHECK(!"cannot read the trace back");
		return 0;
	}
	CHECK_EQ_U(rawtrace_reader_meta(rd)->source, VMT_SRC_KVM_BPF);
	while (n < max && rawtrace_reader_next(rd, &ev[n]) == 1) {
		ev[n].data = NULL;
		n++;
	}
	rawtrace_reader_status(rd, st);
	rawtrace_reader_close(rd);
	return n;
}

/* A recorded command: its records in order, the rest after detach, the
 * ring's losses as a marker and a LOST event, its exit status. */
static void test_command(void)
{
	struct run rn;
	struct vmt_event ev[16];
	struct rawtrace_status st;
	const char *flag = harness_tmpfile("kvm_pump.flag");
	char script[600], err[256];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	size_t n;

	snprintf(script, sizeof(script), "touch '%s'; exit 7", flag);
	unlink(flag);
	start(&rn);
	/* batch 0: an access held back until the MagicValue read of batch 1 */
	add(&rn.f.b[0], MMIO_REC_READ, DEV + 0x70, 0);
	add(&rn.f.b[1], MMIO_REC_READ, DEV, VIRTIO_MMIO_MAGIC);
	add(&rn.f.b[1], MMIO_REC_WRITE, DEV + 0x70, 1);
	rn.f.b[1].lost = 2;
	/* batch 2: taken at the latest after detach */
	add(&rn.f.b[2], MMIO_REC_WRITE, DEV + 0x50, 0);
	rn.f.nb = 3;
	rn.f.flag = flag;
	CHECK(kvm_pump_start(&rn.p, argv, 0, err, sizeof(err)) == 0);
	CHECK(rn.f.attached_to > 0 && rn.f.attached_to == rn.p.pid);
	CHECK(!rn.f.child_ran_before_attach); /* held at the gate until attached */
	CHECK(!rn.p.attached);
	rn.status = kvm_pump_run(&rn.p, rn.end_reason, sizeof(rn.end_reason));
	CHECK_EQ_U(rn.p.child.pid, 0); /* reaped */
	finish(&rn);
	CHECK(access(flag, F_OK) == 0);
	unlink(flag);
	CHECK(WIFEXITED(rn.status) && WEXITSTATUS(rn.status) == 7);
	CHECK_STR(rn.end_reason, "command exited with status 7");
	CHECK(rn.f.detached_at >= 0);
	CHECK(rn.f.polls == rn.f.detached_at + 1); /* one last poll after detach */
	CHECK_EQ_U(rn.close_rc, 0);
	CHECK_EQ_U(rn.st.accesses, 4);
	CHECK_EQ_U(rn.st.ring_lost, 2);
	n = read_back(rn.path, ev, 16, &st);
	CHECK(st.complete);
	CHECK_STR(st.end_reason, "command exited with status 7");
	CHECK_EQ_U(n, 6);
	if (n != 6) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  event %zu: %s addr 0x%llx value 0x%llx\n", i, vmt_event_type_name(ev[i].type),
				(unsigned long long)ev[i].addr, (unsigned long long)ev[i].value);
		return;
	}
	CHECK_EQ_U(ev[0].type, VMT_EV_MMIO);
	CHECK_EQ_U(ev[0].addr, 0x70); /* held, then released in order */
	CHECK_EQ_U(ev[0].dir, VMT_DIR_READ);
	CHECK_EQ_U(ev[1].addr, 0);
	CHECK_EQ_U(ev[1].value, VIRTIO_MMIO_MAGIC);
	CHECK_EQ_U(ev[2].addr, 0x70);
	CHECK_EQ_U(ev[2].dir, VMT_DIR_WRITE);
	CHECK_EQ_U(ev[3].type, VMT_EV_MARKER); /* says why */
	CHECK_EQ_U(ev[4].type, VMT_EV_LOST);
	CHECK_EQ_U(ev[4].value, 2);
	CHECK_EQ_U(ev[5].type, VMT_EV_MMIO);
	CHECK_EQ_U(ev[5].addr, 0x50);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_U(ev[i].source, VMT_SRC_KVM_BPF);
}

/* Attached to a process (--pid): a signal detaches; the process goes on. */
static void test_attached_signal(void)
{
	struct session_signals sigs = { 0 };
	struct run rn;
	struct vmt_event ev[8];
	struct rawtrace_status st;
	char err[256];
	int go = -1;
	pid_t pid;

	start(&rn);
	add(&rn.f.b[0], MMIO_REC_READ, DEV, VIRTIO_MMIO_MAGIC);
	rn.f.nb = 1;
	rn.f.raise_at = 2;
	pid = child_waiting(&go, 0);
	CHECK(pid > 0);
	session_signals_forward(&sigs);
	CHECK(kvm_pump_start(&rn.p, NULL, pid, err, sizeof(err)) == 0);
	CHECK(rn.p.attached);
	CHECK_EQ_U(rn.f.attached_to, pid);
	rn.status = kvm_pump_run(&rn.p, rn.end_reason, sizeof(rn.end_reason));
	session_signals_restore(&sigs);
	CHECK_EQ_U(rn.status, 0);
	CHECK(kill(pid, 0) == 0); /* not ours to stop */
	close(go);
	waitpid(pid, NULL, 0);
	finish(&rn);
	{
		char want[96];

		snprintf(want, sizeof(want), "detached from process %d on SIGINT", (int)pid);
		CHECK_STR(rn.end_reason, want);
	}
	CHECK_EQ_U(read_back(rn.path, ev, 8, &st), 1);
	CHECK_STR(st.end_reason, rn.end_reason);
}

/* The source fails: the command is stopped and the trace ends with
 * "write error". */
static void test_source_error(void)
{
	struct run rn;
	struct vmt_event ev[8];
	struct rawtrace_status st;
	char *argv[] = { "/bin/sh", "-c", "exec sleep 30", NULL };
	char err[256];

	start(&rn);
	rn.f.fail_at = 1;
	CHECK(kvm_pump_start(&rn.p, argv, 0, err, sizeof(err)) == 0);
	rn.status = kvm_pump_run(&rn.p, rn.end_reason, sizeof(rn.end_reason));
	finish(&rn);
	CHECK(WIFSIGNALED(rn.status) && WTERMSIG(rn.status) == SIGTERM);
	CHECK_EQ_U(rn.close_rc, (uint64_t)(int64_t)-EIO);
	CHECK_EQ_U(read_back(rn.path, ev, 8, &st), 0);
	CHECK(st.complete);
	CHECK_STR(st.end_reason, "write error");
}

/* The command cannot be started: attach refused (the held command never
 * runs), or no such program (the exec's errno, named). */
static void test_start_errors(void)
{
	const char *flag = harness_tmpfile("kvm_pump_refused.flag");
	char script[600], err[256];
	char *touch[] = { "/bin/sh", "-c", script, NULL };
	char *missing[] = { "/nonexistent/vmtrace-no-such-vmm", NULL };
	struct run rn;

	snprintf(script, sizeof(script), "touch '%s'", flag);
	unlink(flag);
	start(&rn);
	rn.f.attach_rc = -EPERM;
	CHECK(kvm_pump_start(&rn.p, touch, 0, err, sizeof(err)) == -EPERM);
	CHECK_STR(err, "attach refused");
	finish(&rn);
	CHECK_EQ_U(rn.p.child.pid, 0);
	usleep(50000);
	CHECK(access(flag, F_OK) != 0);

	start(&rn);
	CHECK_EQ_U(kvm_pump_start(&rn.p, missing, 0, err, sizeof(err)), ENOENT);
	CHECK_STR(err, "cannot start '/nonexistent/vmtrace-no-such-vmm': No such file or directory");
	CHECK_EQ_U(rn.p.pid, 0);
	finish(&rn);
}

int main(void)
{
	RUN(test_command);
	RUN(test_attached_signal);
	RUN(test_source_error);
	RUN(test_start_errors);
	return harness_finish("test_kvm_pump");
}
