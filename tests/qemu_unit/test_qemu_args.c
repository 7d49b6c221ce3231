/* qemu_args_build: the QEMU command vmtrace runs.  Commands it refuses
 * (not QEMU, -daemonize, -D, -trace ...,file=) with messages naming the
 * option; -m forms; the machine type; the user's own memory set-up; the
 * words added, exactly as qemu_args.h documents them, and left out when
 * the user already chose; KVM detection; the user's words kept in order;
 * the guest RAM layout of the command's binary, machine type and -m. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "capture/qemu/guest_ram.h"
#include "capture/qemu/qemu_args.h"
#include "tests/harness.h"

#define TRACE "/run/vmtrace/trace.fifo"
#define RAMFILE "/dev/fd/9"
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static const struct qemu_args_opts opts_share = { .trace_path = TRACE, .ram_path = RAMFILE };
static const struct qemu_args_opts opts_noshare = { .trace_path = TRACE, .ram_path = NULL };

static struct qemu_plan plan;
static char err[512];

/* Build from a NULL-terminated word list. */
static int build_with(const struct qemu_args_opts *o, const char *const *words)
{
	int argc = 0;

	while (words[argc])
		argc++;
	qemu_args_release(&plan);
	strcpy(err, "unset");
	return qemu_args_build(&plan, argc, (char *const *)words, o, err, sizeof(err));
}
#define BUILD(o, ...) build_with((o), (const char *const[]){ __VA_ARGS__, NULL })

static void expect_refused(int line, int r, const char *needle)
{
	if (r != 1 || !strstr(err, needle)) {
		fprintf(stderr, "%s:%d: [%s] expected refusal naming \"%s\": r=%d err=\"%s\"\n", __FILE__, line,
			harness_case, needle, r, err);
		harness_failures++;
	}
}
#define EXPECT_REFUSED(r, needle) expect_refused(__LINE__, (r), (needle))

/* The words after the user's argc words, as one space-separated string. */
static const char *added(int user_argc)
{
	static char buf[2048];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = user_argc; i < plan.argc && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > user_argc ? " " : "", plan.argv[i]);
	return buf;
}

#define ADDED_VIRTIO "-trace virtio_queue_notify -trace virtqueue_pop -trace virtqueue_fill -trace virtqueue_flush " \
	"-trace virtio_blk_handle_read -trace virtio_blk_handle_write -trace virtio_scsi_cmd_req " \
	"-trace scsi_req_parsed -trace scsi_req_parsed_lba"
#define ADDED_TRACE "-trace memory_region_ops_read " ADDED_VIRTIO " -trace memory_region_ops_write,file=" TRACE
#define ADDED_IOEVENTFD "-global virtio-mmio.ioeventfd=off"
#define ADDED_MSG "-msg timestamp=on"
#define ADDED_END ADDED_MSG
#define ADDED_RAM(size) "-object memory-backend-file,id=vmtrace-ram,size=" size ",mem-path=" RAMFILE \
	",share=on -machine memory-backend=vmtrace-ram"

static void test_not_qemu(void)
{
	EXPECT_REFUSED(BUILD(&opts_share, "/bin/sh", "-c", "true"), "'/bin/sh' is not QEMU");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-img", "info", "x"), "'qemu-img' is not QEMU");
	EXPECT_REFUSED(BUILD(&opts_share, "/usr/bin/qemu-system"), "is not QEMU");
	EXPECT_REFUSED(BUILD(&opts_share, "/opt/qemu-system-x86_64/bin/kvm"), "is not QEMU");
	EXPECT_REFUSED(BUILD(&opts_share, ""), "no command");
	CHECK(plan.argv == NULL);
	strcpy(err, "unset");
	CHECK_EQ_U(qemu_args_build(&plan, 0, (char *const[]){ NULL }, &opts_share, err, sizeof(err)), 1);
	CHECK(strstr(err, "no command") != NULL);

	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64"), 0);
	CHECK_EQ_U(BUILD(&opts_share, "/usr/local/bin/qemu-system-aarch64", "-M", "virt"), 0);
	CHECK_EQ_U(BUILD(&opts_share, "./qemu-system-riscv64"), 0);
}

static void test_refused_options(void)
{
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-m", "256", "-daemonize"), "-daemonize");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "--daemonize"), "-daemonize");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-D", "/tmp/qemu.log"), "-D /tmp/qemu.log");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-trace", "file=/tmp/t"), "-trace file=/tmp/t");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-trace", "enable=virtio_*,file=/tmp/t"),
		       "-trace enable=virtio_*,file=/tmp/t");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "--trace", "events=/tmp/e,file=/tmp/t"), "-trace");
	CHECK(strstr(err, "file=") != NULL);
	/* A -trace without file= is the user's business. */
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", "-trace", "virtio_mmio_*"), 0);
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", "-trace", "events=/tmp/profile"), 0);
	/* Options missing their argument. */
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-m"), "'-m'");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-machine"), "'-machine'");
	EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-trace"), "'-trace'");
	/* The refused word inside another option's argument is not an option. */
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", "-append", "-daemonize -D x", "-name", "-D"), 0);
	CHECK_EQ_U(plan.argc, 5 + 4 + 4 + 2 + 20);
	CHECK_STR(added(5), ADDED_TRACE " " ADDED_RAM("134217728") " " ADDED_IOEVENTFD " " ADDED_END);
}

static void test_ram_size(void)
{
	static const struct {
		const char *arg;
		uint64_t want;
	} good[] = {
		{ "256", 256 * MIB },
		{ "256M", 256 * MIB },
		{ "256m", 256 * MIB },
		{ "256MB", 256 * MIB },
		{ "2G", 2 * GIB },
		{ "2g", 2 * GIB },
		{ "1T", UINT64_C(1) << 40 },
		{ "524288k", 512 * MIB },
		{ "size=1G", GIB },
		{ "size=1G,maxmem=4G,slots=2", GIB },
		{ "1G,slots=2,maxmem=4G", GIB },
		{ "slots=2,size=3G", 3 * GIB },
	};
	static const char *const bad[] = {
		"", "0", "0M", "garbage", "256X", "256Mx", "G", "-5", "99999999999999999999", "2T", "1025G",
		"maxmem=4G", "slots=2,maxmem=4G", "size=", "size=x",
	};
	char word[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(word, sizeof(word), "%s", good[i].arg);
		int r = BUILD(&opts_share, "qemu-system-x86_64", "-m", word);
		if (r != 0)
			fprintf(stderr, "    -m %s: %s\n", good[i].arg, err);
		CHECK_EQ_U(r, 0);
		CHECK_EQ_U(plan.ram_size, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[96];
		snprintf(word, sizeof(word), "%s", bad[i]);
		snprintf(want, sizeof(want), "-m %s:", bad[i]);
		EXPECT_REFUSED(BUILD(&opts_share, "qemu-system-x86_64", "-m", word), want);
	}
	/* QEMU's default when there is no -m; the last -m wins. */
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64"), 0);
	CHECK_EQ_U(plan.ram_size, QEMU_DEFAULT_RAM);
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", "-m", "1G", "--m", "512"), 0);
	CHECK_EQ_U(plan.ram_size, 512 * MIB);

	/* The backend gets the size in bytes. */
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", "-m", "2G"), 0);
	CHECK_STR(added(3), ADDED_TRACE " " ADDED_RAM("2147483648") " " ADDED_IOEVENTFD " " ADDED_END);
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64"), 0);
	CHECK_STR(added(1), ADDED_TRACE " " ADDED_RAM("134217728") " " ADDED_IOEVENTFD " " ADDED_END);
}

static void test_machine(void)
{
	static const struct {
		const char *opt, *arg, *want;
	} cases[] = {
		{ "-M", "microvm,acpi=on", "microvm" },
		{ "-M", "microvm", "microvm" },
		{ "-machine", "type=q35", "q35" },
		{ "-machine", "type=q35,accel=tcg", "q35" },
		{ "-machine", "accel=tcg,type=pc-q35-7.2", "pc-q35-7.2" },
		{ "--machine", "pc", "pc" },
		{ "-machine", "pc-i440fx-7.2,usb=off", "pc-i440fx-7.2" },
		{ "-M", "virt", "virt" },
		{ "-machine", "accel=kvm", "" },
		{ "-machine", "memory-backend=m0", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", cases[i].opt, cases[i].arg), 0);
		if (strcmp(plan.machine, cases[i].want) != 0)
			fprintf(stderr, "    %s %s\n", cases[i].opt, cases[i].arg);
		CHECK_STR(plan.machine, cases[i].want);
	}
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64"), 0);
	CHECK_STR(plan.machine, "");
	/* A later -machine without a type keeps the type. */
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-M", "q35", "-machine", "accel=kvm"), 0);
	CHECK_STR(plan.machine, "q35");
	/* A long type is cut to the field, NUL-terminated. */
	char longname[200];
	memset(longname, 'q', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-M", longname), 0);
	CHECK_EQ_U(strlen(plan.machine), sizeof(plan.machine) - 1);
}

/* From the command line to the RAM layout (guest_ram_layout): the binary,
 * the machine type however -M/-machine gives it, the -m forms. */
static void test_machine_layout(void)
{
	static const struct {
		const char *words[6];
		int r;
		uint64_t base, size, low;
	} cases[] = {
		{ { "qemu-system-aarch64", "-M", "virt", "-m", "512" }, 0, GIB, 512 * MIB, 512 * MIB },
		{ { "qemu-system-aarch64", "-M", "virt", "-m", "512M" }, 0, GIB, 512 * MIB, 512 * MIB },
		{ { "qemu-system-aarch64", "-M", "virt", "-m", "2G" }, 0, GIB, 2 * GIB, 2 * GIB },
		{ { "qemu-system-aarch64", "-M", "virt", "-m", "size=1G" }, 0, GIB, GIB, GIB },
		{ { "qemu-system-aarch64", "-M", "virt,gic-version=3", "-m", "1G" }, 0, GIB, GIB, GIB },
		{ { "qemu-system-aarch64", "-machine", "type=virt", "-m", "1G" }, 0, GIB, GIB, GIB },
		{ { "qemu-system-aarch64", "-machine", "gic-version=3,type=virt-9.2" }, 0, GIB, QEMU_DEFAULT_RAM,
		    QEMU_DEFAULT_RAM },
		{ { "/usr/bin/qemu-system-arm", "-M", "virt,highmem=off", "-m", "256" }, 0, GIB, 256 * MIB, 256 * MIB },
		{ { "qemu-system-aarch64", "-M", "virt", "-m", "255G" }, 0, GIB, 255 * GIB, 255 * GIB },
		{ { "qemu-system-aarch64", "-M", "virt", "-m", "256G" }, GUEST_RAM_E_SIZE, 0, 256 * GIB, 0 },
		{ { "qemu-system-aarch64", "-m", "1G" }, GUEST_RAM_E_UNKNOWN, 0, GIB, 0 },
		{ { "qemu-system-aarch64", "-M", "raspi3b", "-m", "1G" }, GUEST_RAM_E_UNKNOWN, 0, GIB, 0 },
		{ { "qemu-system-riscv64", "-M", "virt", "-m", "2G" }, 0, 0x80000000u, 2 * GIB, 2 * GIB },
		{ { "qemu-system-riscv64", "-machine", "virt,aia=aplic-imsic", "-m", "size=512M" }, 0, 0x80000000u,
		    512 * MIB, 512 * MIB },
		{ { "qemu-system-riscv64", "-m", "1T" }, GUEST_RAM_E_UNKNOWN, 0, UINT64_C(1) << 40, 0 },
		{ { "qemu-system-riscv64", "-M", "virt", "-m", "1T" }, 0, 0x80000000u, UINT64_C(1) << 40,
		    UINT64_C(1) << 40 },
		{ { "qemu-system-x86_64", "-M", "microvm,acpi=on", "-m", "512" }, 0, 0, 512 * MIB, 512 * MIB },
		{ { "qemu-system-x86_64", "-machine", "type=q35", "-m", "4G" }, 0, 0, 4 * GIB, 2 * GIB },
		{ { "qemu-system-x86_64", "-m", "size=1G" }, 0, 0, GIB, GIB },
		{ { "qemu-system-x86_64", "-M", "virt" }, GUEST_RAM_E_UNKNOWN, 0, QEMU_DEFAULT_RAM, 0 },
		{ { "qemu-system-x86_64", "-M", "isapc" }, GUEST_RAM_E_UNKNOWN, 0, QEMU_DEFAULT_RAM, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *w = cases[i].words;
		struct guest_ram_layout l;
		int argc = 0, r;

		while (argc < 6 && w[argc])
			argc++;
		qemu_args_release(&plan);
		r = qemu_args_build(&plan, argc, (char *const *)w, &opts_share, err, sizeof(err));
		CHECK_EQ_U(r, 0);
		if (r != 0)
			continue;
		CHECK_EQ_U(plan.ram_size, cases[i].size);
		r = guest_ram_layout(plan.argv[0], plan.machine, plan.ram_size, &l);
		if (r != cases[i].r || (r == 0 && (l.base != cases[i].base || l.low != cases[i].low)))
			fprintf(stderr, "    case %zu (%s %s %s): r=%d base=0x%llx low=0x%llx\n", i, w[0],
				w[1] ? w[1] : "", w[2] ? w[2] : "", r, (unsigned long long)l.base,
				(unsigned long long)l.low);
		CHECK_EQ_U(r, cases[i].r);
		if (r == 0) {
			CHECK_EQ_U(l.base, cases[i].base);
			CHECK_EQ_U(l.low, cases[i].low);
		}
	}
}

static void test_user_memory_backend(void)
{
	static const char *const setups[][3] = {
		{ "-machine", "q35,memory-backend=mem0", "-machine memory-backend=" },
		{ "-M", "memory-backend=mem0", "-machine memory-backend=" },
		{ "-mem-path", "/dev/hugepages", "-mem-path" },
		{ "-numa", "node,memdev=m0", "-numa" },
		{ "-m", "1G,maxmem=4G,slots=4", "-m" },
	};

	for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
		CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", setups[i][0], setups[i][1]), 0);
		CHECK(!plan.share_ram);
		if (!strstr(plan.note, setups[i][2]))
			fprintf(stderr, "    %s %s: note \"%s\"\n", setups[i][0], setups[i][1], plan.note);
		CHECK(strstr(plan.note, setups[i][2]) != NULL);
		CHECK(strstr(added(3), "memory-backend-file") == NULL);
		CHECK(strstr(added(3), QEMU_ARGS_RAM_ID) == NULL);
		/* Tracing is still set up. */
		CHECK_STR(added(3), ADDED_TRACE " " ADDED_IOEVENTFD " " ADDED_END);
	}
	/* Without a RAM file, nothing is shared and there is nothing to explain. */
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-mem-path", "/dev/hugepages"), 0);
	CHECK(!plan.share_ram);
	CHECK_STR(plan.note, "");
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-m", "1G"), 0);
	CHECK(!plan.share_ram);
	CHECK_STR(plan.note, "");
	CHECK_STR(added(3), ADDED_TRACE " " ADDED_IOEVENTFD " " ADDED_END);
	/* A plain command shares RAM, with no note. */
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", "-m", "1G"), 0);
	CHECK(plan.share_ram);
	CHECK_STR(plan.note, "");
}

static void test_added_words(void)
{
	const char *const user[] = { "qemu-system-x86_64", "-M", "microvm", "-m", "512M", "-kernel", "bzImage",
				     "-append", "console=ttyS0 -m 4G", "-nographic", NULL };
	int n = 10;

	CHECK_EQ_U(build_with(&opts_share, user), 0);
	CHECK_EQ_U(plan.argc, n + 30);
	CHECK(plan.argv[plan.argc] == NULL);
	/* The user's words first, unchanged and in order. */
	for (int i = 0; i < n && i < plan.argc; i++) {
		CHECK_STR(plan.argv[i], user[i]);
		CHECK(plan.argv[i] != user[i]); /* copies */
	}
	CHECK_STR(added(n), ADDED_TRACE " " ADDED_RAM("536870912") " " ADDED_IOEVENTFD " " ADDED_END);
	CHECK(plan.share_ram);
	CHECK(plan.ioeventfd_added);
	CHECK(!plan.ioeventfd_user_on);
	CHECK(!plan.kvm);
	CHECK_STR(plan.machine, "microvm");
	/* The -m inside -append is the kernel's, not QEMU's. */
	CHECK_EQ_U(plan.ram_size, 512 * MIB);

	/* The user chose ioeventfd: nothing added, and "on" is noted. */
	static const struct {
		const char *v;
		bool on;
	} ioe[] = { { "on", true }, { "true", true }, { "yes", true }, { "off", false }, { "false", false } };
	for (size_t i = 0; i < sizeof(ioe) / sizeof(ioe[0]); i++) {
		char word[64];
		snprintf(word, sizeof(word), "virtio-mmio.ioeventfd=%s", ioe[i].v);
		CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-global", word), 0);
		CHECK(!plan.ioeventfd_added);
		CHECK_EQ_U(plan.ioeventfd_user_on, ioe[i].on);
		CHECK_STR(added(3), ADDED_TRACE " " ADDED_END);
		CHECK_STR(plan.argv[2], word);
	}
	/* Other -global settings do not count. */
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-global", "virtio-mmio.force-legacy=false"), 0);
	CHECK(plan.ioeventfd_added);
	CHECK_STR(added(3), ADDED_TRACE " " ADDED_IOEVENTFD " " ADDED_END);

	/* Paths that do not fit: refused, not truncated. */
	char *longpath = malloc(5000);
	if (longpath) {
		memset(longpath, 'p', 4999);
		longpath[0] = '/';
		longpath[4999] = '\0';
		struct qemu_args_opts o = { .trace_path = longpath, .ram_path = RAMFILE };
		EXPECT_REFUSED(build_with(&o, (const char *const[]){ "qemu-system-x86_64", NULL }), "too long");
		CHECK(plan.argv == NULL);
		o.trace_path = TRACE;
		o.ram_path = longpath;
		EXPECT_REFUSED(build_with(&o, (const char *const[]){ "qemu-system-x86_64", NULL }), "too long");
		CHECK(plan.argv == NULL);
		free(longpath);
	}
}

/* -msg timestamp=on: QEMU takes only the last -msg (and of a key given
 * twice, the last value), so the user's last one is repeated with
 * timestamp=on, its other items kept. */
static void test_msg(void)
{
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64"), 0);
	CHECK(plan.msg_added);
	CHECK(!plan.msg_timestamp_forced);
	CHECK_STR(plan.argv[plan.argc - 2], "-msg");
	CHECK_STR(plan.argv[plan.argc - 1], "timestamp=on");

	/* The user's own, already on: nothing added. */
	static const char *const on[] = { "timestamp=on", "timestamp=yes", "guest-name=on,timestamp=true",
					  "timestamp=off,timestamp=on" };
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-msg", on[i]), 0);
		CHECK(!plan.msg_added);
		CHECK(!plan.msg_timestamp_forced);
		CHECK_STR(added(3), ADDED_TRACE " " ADDED_IOEVENTFD);
	}
	/* The user's last -msg without it: repeated with it, after theirs. */
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-msg", "timestamp=on", "--msg", "guest-name=on"), 0);
	CHECK(plan.msg_added);
	CHECK(!plan.msg_timestamp_forced);
	CHECK_STR(plan.argv[plan.argc - 1], "guest-name=on,timestamp=on");
	CHECK_STR(plan.argv[2], "timestamp=on"); /* the user's words unchanged */
	/* Off: turned on, and said so. */
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-msg", "timestamp=off,guest-name=on"), 0);
	CHECK(plan.msg_added);
	CHECK(plan.msg_timestamp_forced);
	CHECK_STR(plan.argv[plan.argc - 1], "guest-name=on,timestamp=on");
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-msg", "timestamp=on,timestamp=no"), 0);
	CHECK(plan.msg_timestamp_forced);
	CHECK_STR(plan.argv[plan.argc - 1], "timestamp=on");
	/* Empty items are dropped. */
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-msg", ",,guest-name=on,"), 0);
	CHECK_STR(plan.argv[plan.argc - 1], "guest-name=on,timestamp=on");
	/* -msg needs its argument. */
	EXPECT_REFUSED(BUILD(&opts_noshare, "qemu-system-x86_64", "-msg"), "needs an argument");
	/* Too long to repeat: refused, not cut. */
	char *longmsg = malloc(600);
	if (longmsg) {
		memset(longmsg, 'g', 599);
		longmsg[599] = '\0';
		EXPECT_REFUSED(BUILD(&opts_noshare, "qemu-system-x86_64", "-msg", longmsg), "too long");
		free(longmsg);
	}
	/* The user's own -trace events (no file=) stay, ours are added, and
	 * the last -trace is the one with file= (QEMU keeps only that). */
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", "-trace", "virtio_mmio_*", "-trace", "virtqueue_pop"), 0);
	CHECK_STR(added(5), ADDED_TRACE " " ADDED_IOEVENTFD " " ADDED_END);
	int last = -1;
	for (int i = 0; i < plan.argc; i++)
		if (strcmp(plan.argv[i], "-trace") == 0)
			last = i + 1;
	CHECK(last > 0 && strstr(plan.argv[last], ",file=" TRACE) != NULL);
}

static void test_kvm(void)
{
	static const char *const yes[][2] = {
		{ "-enable-kvm", NULL },
		{ "--enable-kvm", NULL },
		{ "-accel", "kvm" },
		{ "-accel", "kvm,kernel-irqchip=on" },
		{ "-accel", "accel=kvm" },
		{ "-machine", "accel=kvm" },
		{ "-machine", "q35,accel=kvm:tcg" },
		{ "-M", "microvm,accel=kvm" },
	};
	static const char *const no[][2] = {
		{ "-accel", "tcg" },
		{ "-machine", "accel=tcg" },
		{ "-machine", "q35" },
		{ "-append", "-enable-kvm" },
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", yes[i][0], yes[i][1]), 0);
		if (!plan.kvm)
			fprintf(stderr, "    %s %s\n", yes[i][0], yes[i][1] ? yes[i][1] : "");
		CHECK(plan.kvm);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64", no[i][0], no[i][1]), 0);
		CHECK(!plan.kvm);
	}
	CHECK_EQ_U(BUILD(&opts_noshare, "qemu-system-x86_64"), 0);
	CHECK(!plan.kvm);
}

static void test_release(void)
{
	struct qemu_plan zero;

	memset(&zero, 0, sizeof(zero));
	qemu_args_release(&zero);
	qemu_args_release(&zero);
	CHECK_EQ_U(BUILD(&opts_share, "qemu-system-x86_64", "-m", "64"), 0);
	qemu_args_release(&plan);
	CHECK(plan.argv == NULL);
	CHECK_EQ_U(plan.argc, 0);
	qemu_args_release(&plan);
}

int main(void)
{
	RUN(test_not_qemu);
	RUN(test_refused_options);
	RUN(test_ram_size);
	RUN(test_machine);
	RUN(test_machine_layout);
	RUN(test_user_memory_backend);
	RUN(test_added_words);
	RUN(test_msg);
	RUN(test_kvm);
	RUN(test_release);
	qemu_args_release(&plan);
	return harness_finish("test_qemu_args");
}
