/* Loading and running bpf/mmio.bpf.c (kvm_bpf.h). */
#include "capture/kvm/kvm_bpf.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mmio.h"
#include "mmio.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

struct kvm_bpf {
	struct mmio_bpf *skel;
	struct ring_buffer *rb;
	kvm_bpf_record_fn fn;
	void *ctx;
	int ncpus;
	uint64_t *percpu; /* ncpus values, for reading the lost counter */
	bool memlock_raised;
	char snapshots_off[256]; /* why snapshots were asked for but are off, "" if not */
};

static bool libbpf_verbose;
static bool libbpf_quiet; /* a first attempt whose failure is handled */

/* libbpf's messages: its debug chatter only with -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!libbpf_verbose && (level == LIBBPF_DEBUG || libbpf_quiet))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool cap_effective(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int kvm_bpf_check(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	bool bpf, perfmon, admin;

	if (access(BTF_VMLINUX, R_OK) != 0) {
		snprintf(err, errlen,
			 "the kernel has no BTF type information (%s: %s): the BPF program needs it (CONFIG_DEBUG_INFO_BTF)",
			 BTF_VMLINUX, strerror(errno));
		return -ENOTSUP;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0) {
		snprintf(err, errlen, "cannot read this process's capabilities: %s", strerror(errno));
		return -EPERM;
	}
	bpf = cap_effective(data, CAP_BPF);
	perfmon = cap_effective(data, CAP_PERFMON);
	admin = cap_effective(data, CAP_SYS_ADMIN);
	if (admin || (bpf && perfmon))
		return 0;
	snprintf(err, errlen,
		 "--bpf needs the capabilities CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) to load a BPF program "
		 "on KVM's tracepoints; this process (uid %u) lacks %s%s%s: %s",
		 (unsigned)geteuid(), bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
		 perfmon ? "" : "CAP_PERFMON",
		 geteuid() == 0 ? "it runs as root, but with a reduced capability set (container, capability "
				  "bounding set): give it those capabilities back"
				: "run vmtrace as root, or give it those capabilities (setcap cap_bpf,cap_perfmon+ep)");
	return -EPERM;
}

/* BPF maps count against RLIMIT_MEMLOCK on kernels before 5.11. */
static bool raise_memlock(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &r) == 0)
		return true;
	/* Without CAP_SYS_RESOURCE: as far as the hard limit allows. */
	if (getrlimit(RLIMIT_MEMLOCK, &r) == 0 && r.rlim_cur != r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &r);
	}
	return false;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct kvm_bpf *k = ctx;

	return k->fn(k->ctx, data, len);
}

static bool power_of_two(uint32_t x)
{
	return x && !(x & (x - 1));
}

/* A sentence for a failed load or attach. */
static void explain(char *err, size_t errlen, const char *what, int r, bool memlock_raised)
{
	struct rlimit lim;

	if (r == -EACCES) {
		snprintf(err, errlen, "%s: the kernel's verifier refused it (%s; its log is above): a vmtrace bug "
			 "or a kernel too different from the one it was built for", what, strerror(-r));
		return;
	}
	if (r == -EPERM) {
		if (!memlock_raised && getrlimit(RLIMIT_MEMLOCK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
			snprintf(err, errlen,
				 "%s: %s; RLIMIT_MEMLOCK is %llu KiB and could not be raised (older kernels "
				 "charge BPF maps to it): raise it (ulimit -l unlimited) or run as root",
				 what, strerror(-r), (unsigned long long)(lim.rlim_cur >> 10));
			return;
		}
		snprintf(err, errlen, "%s: %s (the kernel refused; lockdown or a security module may forbid BPF)",
			 what, strerror(-r));
		return;
	}
	if (r == -ENOENT || r == -ESRCH)
		snprintf(err, errlen, "%s: %s (does this kernel have KVM and its kvm_mmio tracepoint?)", what,
			 strerror(-r));
	else
		snprintf(err, errlen, "%s: %s", what, strerror(-r));
}

/* Open, configure and load the skeleton into k->skel (destroyed again
 * on failure).  Returns 0 or a negative errno (err). */
static int load(struct kvm_bpf *k, const struct kvm_bpf_cfg *cfg, uint32_t ring, bool snapshots, char *err,
		size_t errlen)
{
	uint32_t every = 1;
	int r;

	k->skel = mmio_bpf__open();
	if (!k->skel) {
		r = -errno;
		explain(err, errlen, "cannot open the BPF program", r, k->memlock_raised);
		return r;
	}
	k->skel->rodata->follow_forks = cfg->follow_forks;
	k->skel->rodata->snapshots = snapshots;
	/* A wake-up per eighth of the ring's worth of access records (a
	 * power of two: the program masks with it). */
	while (every * 2 <= ring / 8 / (sizeof(struct mmio_rec) + 8))
		every *= 2;
	k->skel->rodata->wake_every = every;
	if (cfg->only_windows) {
		k->skel->rodata->n_windows = (uint32_t)cfg->n_windows;
		for (size_t i = 0; i < cfg->n_windows; i++) {
			k->skel->rodata->win_base[i] = cfg->windows[i].base;
			k->skel->rodata->win_size[i] = cfg->windows[i].size;
		}
	}
	if (!cfg->follow_forks)
		bpf_program__set_autoload(k->skel->progs.on_fork, false);
	/* Without snapshots no syscall needs watching (sys_enter slows every
	 * system call of every process a little). */
	if (!snapshots)
		bpf_program__set_autoload(k->skel->progs.on_sys_enter, false);
	bpf_map__set_max_entries(k->skel->maps.events, ring);
	/* With snapshots a refusal is handled (the caller retries without). */
	libbpf_quiet = snapshots;
	r = mmio_bpf__load(k->skel);
	libbpf_quiet = false;
	if (r < 0) {
		explain(err, errlen, "cannot load the BPF program", r, k->memlock_raised);
		mmio_bpf__destroy(k->skel);
		k->skel = NULL;
		return r;
	}
	return 0;
}

const char *kvm_bpf_snapshots_off(const struct kvm_bpf *k)
{
	return k->snapshots_off[0] ? k->snapshots_off : NULL;
}

int kvm_bpf_open(struct kvm_bpf **out, const struct kvm_bpf_cfg *cfg, kvm_bpf_record_fn fn, void *ctx,
		 char *err, size_t errlen)
{
	uint32_t ring = cfg->ring_bytes ? cfg->ring_bytes : MMIO_RING_DEFAULT;
	struct kvm_bpf *k;
	int r;

	if ((r = kvm_bpf_check(err, errlen)) < 0)
		return r;
	if (!power_of_two(ring) || ring < MMIO_RING_MIN || ring > MMIO_RING_MAX) {
		snprintf(err, errlen, "ring buffer size %u is not a power of two between %u and %u", ring,
			 MMIO_RING_MIN, MMIO_RING_MAX);
		return -EINVAL;
	}
	if (cfg->only_windows && (cfg->n_windows == 0 || cfg->n_windows > MMIO_WINDOWS_MAX)) {
		snprintf(err, errlen, "filtering in the kernel takes 1 to %u windows (%zu given)", MMIO_WINDOWS_MAX,
			 cfg->n_windows);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->fn = fn;
	k->ctx = ctx;
	libbpf_verbose = cfg->verbose;
	libbpf_set_print(libbpf_print);
	k->memlock_raised = raise_memlock();
	k->ncpus = libbpf_num_possible_cpus();
	if (k->ncpus <= 0) {
		r = k->ncpus ? k->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count the possible CPUs: %s", strerror(-r));
		goto fail;
	}
	k->percpu = calloc((size_t)k->ncpus, sizeof(*k->percpu));
	if (!k->percpu) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	r = load(k, cfg, ring, cfg->snapshots, err, errlen);
	if (r < 0 && cfg->snapshots && r != -EPERM) {
		/* The snapshot part needs more of the kernel (bpf_loop: 5.17):
		 * record the register accesses without it, and say why. */
		snprintf(k->snapshots_off, sizeof(k->snapshots_off),
			 "the kernel refused the BPF program with its ring-snapshot part (%s; -v shows libbpf's "
			 "and the verifier's messages)", strerror(-r));
		r = load(k, cfg, ring, false, err, errlen);
	}
	if (r < 0)
		goto fail;
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.events), on_record, k, NULL);
	if (!k->rb) {
		r = -errno;
		explain(err, errlen, "cannot map the BPF ring buffer", r, k->memlock_raised);
		goto fail;
	}
	*out = k;
	return 0;
fail:
	kvm_bpf_free(k);
	return r;
}

int kvm_bpf_attach(struct kvm_bpf *k, pid_t tgid, char *err, size_t errlen)
{
	int r;

	k->skel->bss->targ_tgid = (uint32_t)tgid;
	r = mmio_bpf__attach(k->skel);
	if (r < 0) {
		explain(err, errlen, "cannot attach to KVM's tracepoints", r, k->memlock_raised);
		return r;
	}
	return 0;
}

int kvm_bpf_poll(struct kvm_bpf *k, int timeout_ms)
{
	int n = 0, r;

	/* The program wakes us only when the ring fills up; whatever is in
	 * it after the wait is taken either way. */
	if (timeout_ms > 0) {
		r = ring_buffer__poll(k->rb, timeout_ms);
		if (r < 0 && r != -EINTR)
			return r;
		if (r > 0)
			n += r;
	}
	r = ring_buffer__consume(k->rb);
	if (r < 0)
		return r;
	return n + r;
}

uint64_t kvm_bpf_ring_lost(const struct kvm_bpf *k)
{
	uint64_t sum = 0;
	uint32_t zero = 0;

	if (bpf_map__lookup_elem(k->skel->maps.lost, &zero, sizeof(zero), k->percpu,
				 (size_t)k->ncpus * sizeof(*k->percpu), 0) == 0)
		for (int i = 0; i < k->ncpus; i++)
			sum += k->percpu[i];
	return sum;
}

void kvm_bpf_detach(struct kvm_bpf *k)
{
	mmio_bpf__detach(k->skel);
}

void kvm_bpf_free(struct kvm_bpf *k)
{
	if (!k)
		return;
	ring_buffer__free(k->rb);
	mmio_bpf__destroy(k->skel);
	free(k->percpu);
	free(k);
}

static int pump_attach(void *ctx, pid_t tgid, char *err, size_t errlen)
{
	return kvm_bpf_attach(ctx, tgid, err, errlen);
}

static int pump_poll(void *ctx, int timeout_ms)
{
	return kvm_bpf_poll(ctx, timeout_ms);
}

static uint64_t pump_ring_lost(const void *ctx)
{
	return kvm_bpf_ring_lost(ctx);
}

static void pump_detach(void *ctx)
{
	kvm_bpf_detach(ctx);
}

const struct kvm_pump_ops kvm_bpf_pump_ops = {
	.attach = pump_attach,
	.poll = pump_poll,
	.ring_lost = pump_ring_lost,
	.detach = pump_detach,
};
