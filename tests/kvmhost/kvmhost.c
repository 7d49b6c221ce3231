/* kvmhost: a small KVM VMM for testing vmtrace's KVM capture.  It runs the
 * freestanding guest in guest/ (a virtio-mmio driver) in one vCPU and
 * serves every MMIO exit with the built-in emulator (serve.c), optionally
 * writing what it served as a raw trace (the ground truth a BPF capture of
 * the same run is compared with).
 *
 * Exit status: 0 the guest reported success; 1 it reported a failure, or
 * the run went wrong (shutdown, emulation error, timeout, truth trace not
 * written); 2 bad arguments; 77 /dev/kvm is absent or unusable (one line
 * on stderr says why); 128+N stopped by signal N (SIGINT, SIGTERM). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/driver/rig.h"
#include "capture/emu/machine.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/kvmhost/kh_abi.h"
#include "tests/kvmhost/kvm_vm.h"
#include "tests/kvmhost/serve.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_SKIP 77

#define DEFAULT_DEVICES "blk,net,console,rng"
#define DEFAULT_TIMEOUT_S 300u
#define LOG_LINE_MAX 200 /* characters kept of one guest message line */

extern const uint8_t kh_guest_image[], kh_guest_image_end[];

_Static_assert(KH_DEVICES_MAX >= RIG_DEVICES_MAX, "the boot block holds every device a rig_cfg can name");

struct opts {
	struct rig_cfg devices;
	const char *truth;
	const char *guest;  /* image file instead of the built-in one */
	uint32_t loop;
	unsigned timeout_s; /* 0: none */
	bool ioeventfd;
	bool quiet;
};

/* How a run ended. */
struct outcome {
	bool result_seen;
	uint32_t result;     /* KH_PORT_RESULT value */
	char problem[256];   /* set when the run itself went wrong */
	int signal;          /* SIGINT/SIGTERM that stopped it, or 0 */
	uint64_t exits;      /* KVM_RUN returns */
	double t_start, t_end;
	uint64_t loop_exits; /* MMIO exits between LOOP_START and LOOP_END */
	double loop_t0, loop_t1;
	bool loop_done;
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t timed_out;
static struct kvm_run *volatile run_page; /* for the signal handler */

static __attribute__((format(printf, 1, 2))) int error(const char *fmt, ...)
{
	va_list ap;

	fputs("kvmhost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		timed_out = 1;
	else
		stop_signal = sig;
	/* A signal that lands outside KVM_RUN must still stop the next one. */
	if (run_page)
		run_page->immediate_exit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmhost [--legacy] [--devices LIST] [--truth FILE.vmt] [--loop N]\n"
		"               [--ioeventfd] [--quiet] [--timeout SECONDS] [--guest FILE]\n"
		"\n"
		"Run the test guest (a virtio-mmio driver) in a KVM VM and serve its MMIO\n"
		"exits with vmtrace's built-in device emulator.\n"
		"\n"
		"  --legacy          Version 1 (legacy) register layout, not Version 2\n"
		"  --devices LIST    devices in order, comma-separated: blk, net, console, rng\n"
		"                    (default " DEFAULT_DEVICES "); device i at 0x%llx + i * 0x%llx\n"
		"  --truth FILE.vmt  write every exit served as a raw trace (the ground truth)\n"
		"  --loop N          after initialization, N reads of the first device's Status\n"
		"                    register instead of the I/O; report the exit rate\n"
		"  --ioeventfd       QueueNotify of each device goes to an ioeventfd (KVM_IOEVENTFD,\n"
		"                    no datamatch): those writes never exit to user space\n"
		"  --quiet           no summary line on stderr\n"
		"  --timeout S       give up when the guest has not halted after S seconds\n"
		"                    (default %u, 0 = never)\n"
		"  --guest FILE      run this flat guest image instead of the built-in one\n"
		"\n"
		"Guest RAM: %u MiB at 0 (one memory slot, plain anonymous mmap).\n"
		"Exit status: 0 the guest reported success, 1 failure, 2 usage,\n"
		"77 /dev/kvm absent or unusable, 128+N stopped by signal N.\n",
		(unsigned long long)RIG_MMIO_BASE, (unsigned long long)RIG_MMIO_STRIDE, DEFAULT_TIMEOUT_S,
		KH_RAM_SIZE >> 20);
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "legacy", no_argument, NULL, 'L' },
		{ "devices", required_argument, NULL, 'd' },
		{ "truth", required_argument, NULL, 't' },
		{ "loop", required_argument, NULL, 'n' },
		{ "ioeventfd", no_argument, NULL, 'e' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "guest", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *devices = DEFAULT_DEVICES;
	char err[256];
	uint32_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = DEFAULT_TIMEOUT_S;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'L': o->devices.legacy = true; break;
		case 'd': devices = optarg; break;
		case 't': o->truth = optarg; break;
		case 'e': o->ioeventfd = true; break;
		case 'q': o->quiet = true; break;
		case 'g': o->guest = optarg; break;
		case 'n':
			if (parse_u32(optarg, UINT32_MAX, &o->loop) < 0 || o->loop == 0)
				return error("--loop wants a count from 1 to %u, not '%s'", UINT32_MAX, optarg);
			break;
		case 'T':
			if (parse_u32(optarg, 86400, &v) < 0)
				return error("--timeout wants seconds from 0 to 86400, not '%s'", optarg);
			o->timeout_s = v;
			break;
		case 'h': usage(stdout); exit(EXIT_PASS);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc)
		return error("unexpected argument '%s'", argv[optind]);
	if (rig_parse_devices(&o->devices, devices, err, sizeof(err)) < 0)
		return error("--devices: %s", err);
	return 0;
}

/* argv joined with spaces, for the trace's metadata (malloc'd). */
static char *join_args(int argc, char **argv)
{
	size_t n = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	if (!(s = malloc(n)))
		return NULL;
	p = s;
	for (int i = 0; i < argc; i++)
		p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
	*p = '\0';
	return s;
}

/* Copy the guest image to KH_LOAD_ADDR in guest RAM. */
static int load_guest(uint8_t *ram, const char *path)
{
	const uint8_t *img = kh_guest_image;
	size_t size = (size_t)(kh_guest_image_end - kh_guest_image);

	if (path) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		ssize_t got;

		if (fd < 0)
			return error("cannot open guest image '%s': %s", path, strerror(errno));
		if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > KH_IMAGE_MAX) {
			close(fd);
			return error("guest image '%s' is empty or larger than %u bytes", path, KH_IMAGE_MAX);
		}
		got = read(fd, ram + KH_LOAD_ADDR, (size_t)st.st_size);
		close(fd);
		if (got != st.st_size)
			return error("cannot read guest image '%s'", path);
		return 0;
	}
	if (size == 0 || size > KH_IMAGE_MAX)
		return error("built-in guest image has %zu bytes", size);
	memcpy(ram + KH_LOAD_ADDR, img, size);
	return 0;
}

/* Print a guest message line with anything but printable ASCII escaped. */
static void print_guest_line(const char *line, size_t n)
{
	fputs("kvmhost: guest: ", stderr);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			fputc(ch, stderr);
		else
			fprintf(stderr, "\\x%02x", ch);
	}
	fputc('\n', stderr);
}

struct guest_log {
	char line[LOG_LINE_MAX];
	size_t n;
};

static void guest_log_char(struct guest_log *g, char ch)
{
	if (ch == '\n' || g->n == sizeof(g->line)) {
		print_guest_line(g->line, g->n);
		g->n = 0;
		if (ch == '\n')
			return;
	}
	g->line[g->n++] = ch;
}

/* One KVM_EXIT_IO. Returns 0, or -1 with o->problem set. */
static int handle_io(struct kvm_vm *vm, struct serve *s, const struct opts *op, struct outcome *o,
		     struct guest_log *log)
{
	struct kvm_run *run = vm->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
	uint32_t v = 0;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.data_offset > vm->run_size ||
	    bytes > vm->run_size - run->io.data_offset || bytes == 0) {
		snprintf(o->problem, sizeof(o->problem), "unexpected port access: %s port 0x%x, %u x %u bytes",
			 run->io.direction == KVM_EXIT_IO_OUT ? "OUT to" : "IN from", run->io.port,
			 run->io.count, run->io.size);
		return -1;
	}
	switch (run->io.port) {
	case KH_PORT_LOG:
		for (uint64_t i = 0; i < bytes; i++)
			guest_log_char(log, (char)data[i]);
		return 0;
	case KH_PORT_RESULT:
	case KH_PORT_PHASE:
		if (run->io.size != 4 || run->io.count != 1)
			break;
		memcpy(&v, data, 4);
		if (run->io.port == KH_PORT_RESULT) {
			o->result_seen = true;
			o->result = v;
		} else if (v == KH_PHASE_INIT_DONE) {
			serve_marker(s, "guest: every device reached DRIVER_OK");
		} else if (v == KH_PHASE_LOOP_START) {
			char text[96];
			snprintf(text, sizeof(text), "guest: loop of %u Status reads", op->loop);
			serve_marker(s, text);
			o->loop_t0 = now_s();
			o->loop_exits = o->exits;
		} else if (v == KH_PHASE_LOOP_END) {
			o->loop_t1 = now_s();
			o->loop_exits = o->exits - o->loop_exits - 1; /* less this exit */
			o->loop_done = true;
		}
		return 0;
	default:
		break;
	}
	snprintf(o->problem, sizeof(o->problem), "unexpected port access: OUT to port 0x%x, %u x %u bytes",
		 run->io.port, run->io.count, run->io.size);
	return -1;
}

/* Run the vCPU until the guest halts or something goes wrong. */
static void run_guest(struct kvm_vm *vm, struct serve *s, const struct opts *op, struct outcome *o)
{
	struct guest_log log = { .n = 0 };

	o->t_start = now_s();
	for (;;) {
		int r = kvm_vm_run(vm);

		if (r == -EINTR || r == -EAGAIN) {
			vm->run->immediate_exit = 0;
			if (stop_signal) {
				o->signal = stop_signal;
				snprintf(o->problem, sizeof(o->problem), "stopped by signal %d", (int)stop_signal);
				break;
			}
			if (timed_out) {
				snprintf(o->problem, sizeof(o->problem), "the guest did not halt within %u s (rip 0x%llx)",
					 op->timeout_s, (unsigned long long)kvm_vm_rip(vm));
				break;
			}
			continue;
		}
		if (r < 0) {
			snprintf(o->problem, sizeof(o->problem), "KVM_RUN failed: %s", strerror(-r));
			break;
		}
		o->exits++;
		/* Notifies that completed in KVM happened before this exit. */
		serve_eventfds(s);
		struct kvm_run *run = vm->run;
		if (run->exit_reason == KVM_EXIT_MMIO) {
			serve_mmio(s, run->mmio.phys_addr, run->mmio.data, run->mmio.len, run->mmio.is_write);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			if (handle_io(vm, s, op, o, &log) < 0)
				break;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT) {
			if (!o->result_seen)
				snprintf(o->problem, sizeof(o->problem), "the guest halted without reporting a result");
			break;
		}
		if (run->exit_reason == KVM_EXIT_SHUTDOWN)
			snprintf(o->problem, sizeof(o->problem), "the guest shut down (triple fault) near rip 0x%llx",
				 (unsigned long long)kvm_vm_rip(vm));
		else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			snprintf(o->problem, sizeof(o->problem), "KVM internal error, suberror %u, at rip 0x%llx",
				 run->internal.suberror, (unsigned long long)kvm_vm_rip(vm));
		else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			snprintf(o->problem, sizeof(o->problem), "KVM could not enter the guest (reason 0x%llx)",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		else
			snprintf(o->problem, sizeof(o->problem), "unexpected exit reason %u at rip 0x%llx",
				 run->exit_reason, (unsigned long long)kvm_vm_rip(vm));
		break;
	}
	if (log.n)
		print_guest_line(log.line, log.n);
	o->t_end = now_s();
}

static void install_signals(unsigned timeout_s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (timeout_s)
		alarm(timeout_s);
}

static void summary(const struct opts *op, const struct outcome *o, const struct serve_stats *st, bool pass)
{
	fprintf(stderr, "kvmhost: %s: %s, %u device(s), %llu MMIO exits (%llu reads, %llu writes)",
		pass ? "pass" : "FAIL", op->devices.legacy ? "legacy" : "modern", op->devices.n_devices,
		(unsigned long long)(st->reads + st->writes), (unsigned long long)st->reads,
		(unsigned long long)st->writes);
	if (op->ioeventfd)
		fprintf(stderr, ", %llu QueueNotify via ioeventfd (%llu signals)",
			(unsigned long long)st->eventfd_notifies, (unsigned long long)st->eventfd_signals);
	fprintf(stderr, ", %u violation(s), %.3f s", st->violations, o->t_end - o->t_start);
	if (o->loop_done) {
		double dt = o->loop_t1 - o->loop_t0;
		fprintf(stderr, "; loop: %llu exits in %.3f s = %.0f exits/s", (unsigned long long)o->loop_exits,
			dt, dt > 0 ? (double)o->loop_exits / dt : 0.0);
	}
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	struct kvm_vm vm;
	struct serve *s = NULL;
	struct serve_cfg cfg;
	struct serve_stats st;
	struct outcome o;
	struct opts op;
	char err[256], end_reason[300];
	char *command = NULL;
	int r, status = EXIT_FAIL;

	if (parse_args(argc, argv, &op) < 0)
		return EXIT_USAGE;
	if (op.loop && op.devices.n_devices == 0) {
		error("--loop needs at least one device");
		return EXIT_USAGE;
	}

	r = kvm_vm_open(&vm, err, sizeof(err));
	if (r == KVM_VM_UNUSABLE) {
		error("SKIP: %s", err);
		kvm_vm_close(&vm);
		return EXIT_SKIP;
	}
	if (r < 0) {
		error("%s", err);
		goto out;
	}

	command = join_args(argc, argv);
	memset(&cfg, 0, sizeof(cfg));
	cfg.devices = &op.devices;
	cfg.ram_size = KH_RAM_SIZE;
	cfg.truth_path = op.truth;
	cfg.command = command;
	cfg.ioeventfd = op.ioeventfd;
	if ((r = serve_new(&s, &cfg, err, sizeof(err))) < 0) {
		error("%s", err);
		goto out;
	}
	struct guest_mem *gm = machine_mem(serve_machine(s));
	if ((r = kvm_vm_set_ram(&vm, KH_RAM_BASE, gm->ram, gm->size)) < 0) {
		error("KVM_SET_USER_MEMORY_REGION (%llu MiB at 0): %s", (unsigned long long)(gm->size >> 20),
		      strerror(-r));
		goto out;
	}
	if (load_guest(gm->ram, op.guest) < 0)
		goto out;

	struct kh_boot boot;
	memset(&boot, 0, sizeof(boot));
	boot.magic = KH_BOOT_MAGIC;
	boot.flags = op.devices.legacy ? KH_BOOT_LEGACY : 0;
	boot.loop = op.loop;
	boot.n_devices = op.devices.n_devices;
	for (unsigned i = 0; i < op.devices.n_devices; i++)
		boot.base[i] = (uint32_t)rig_device_base(i);
	memcpy(gm->ram + KH_BOOT_ADDR, &boot, sizeof(boot));

	for (unsigned i = 0; op.ioeventfd && i < op.devices.n_devices; i++) {
		int fd;

		r = kvm_vm_add_ioeventfd(&vm, rig_device_base(i) + MMIO_QUEUE_NOTIFY, 4, &fd, err, sizeof(err));
		if (r == KVM_VM_UNUSABLE) {
			error("SKIP: %s", err);
			status = EXIT_SKIP;
			goto out;
		}
		if (r < 0) {
			error("%s", err);
			goto out;
		}
		serve_set_eventfd(s, i, fd);
	}
	if ((r = kvm_vm_setup_flat32(&vm, KH_GDT_ADDR, KH_LOAD_ADDR, KH_STACK_TOP, KH_BOOT_ADDR)) < 0) {
		error("cannot set up the vCPU in protected mode: %s", strerror(-r));
		goto out;
	}

	memset(&o, 0, sizeof(o));
	run_page = vm.run;
	install_signals(op.timeout_s);
	run_guest(&vm, s, &op, &o);
	alarm(0);

	bool pass = !o.problem[0] && o.result_seen && o.result == KH_RESULT_PASS;
	if (o.problem[0])
		snprintf(end_reason, sizeof(end_reason), "%s", o.problem);
	else if (o.result == KH_RESULT_PASS)
		snprintf(end_reason, sizeof(end_reason), "guest halted: pass");
	else
		snprintf(end_reason, sizeof(end_reason), "guest halted: failure 0x%08x", o.result);
	if (serve_finish(s, end_reason, err, sizeof(err)) < 0) {
		error("%s", err);
		pass = false;
	}
	serve_get_stats(s, &st);
	if (o.problem[0])
		error("%s", o.problem);
	else if (o.result != KH_RESULT_PASS)
		error("guest reported failure 0x%08x (device %u, step 0x%02x)", o.result, (o.result >> 8) & 0xff,
		      o.result & 0xff);
	if (!op.quiet)
		summary(&op, &o, &st, pass);
	status = pass ? EXIT_PASS : o.signal ? 128 + o.signal : EXIT_FAIL;
out:
	run_page = NULL;
	serve_free(s);
	kvm_vm_close(&vm);
	free(command);
	return status;
}
