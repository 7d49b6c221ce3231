/* Checking and extending a QEMU command line (qemu_args.h). */
#include "capture/qemu/qemu_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture/qemu/guest_ram.h"

/* Words vmtrace adds, at most: 4 for the MMIO trace, 2 per virtio
 * event, 2 for -msg, 4 for shared RAM, 2 for ioeventfd. */
#define ADDED_WORDS_MAX (4 + 2 * QEMU_ARGS_VIRTIO_EVENTS + 2 + 4 + 2)

/* QEMU's virtio trace events vmtrace turns into queue reports
 * (qemu_source.h).  A QEMU without one of them warns "trace event ...
 * does not exist" and runs on: the recording then has fewer reports. */
static const char *const virtio_events[QEMU_ARGS_VIRTIO_EVENTS] = {
	"virtio_queue_notify", "virtqueue_pop", "virtqueue_fill", "virtqueue_flush",
	"virtio_blk_handle_read", "virtio_blk_handle_write", "virtio_scsi_cmd_req",
	"scsi_req_parsed", "scsi_req_parsed_lba",
};

/* Is a QEMU boolean option value true? */
static bool bool_on(const char *v, size_t n)
{
	return (n == 2 && !strncmp(v, "on", 2)) || (n == 3 && !strncmp(v, "yes", 3)) ||
	       (n == 4 && !strncmp(v, "true", 4)) || (n == 1 && v[0] == 'y');
}

/* The -msg argument vmtrace passes: the user's last one (QEMU takes only
 * the last -msg, and of a key given twice the last value) with its
 * timestamp items replaced by timestamp=on, so every trace line carries
 * the id of the thread that wrote it.  *needed is false when the user's
 * already ends up with timestamp on, *forced true when it ended up off.
 * Returns 0, or -ENAMETOOLONG if it does not fit in len. */
static int msg_arg(const char *user, char *out, size_t len, bool *needed, bool *forced)
{
	int stamp = -1; /* the last timestamp item: -1 none, 0 off, 1 on */
	size_t n = 0;

	out[0] = '\0';
	for (const char *p = user; p && *p;) {
		size_t item = strcspn(p, ",");
		if (item >= 10 && !strncmp(p, "timestamp=", 10)) {
			stamp = bool_on(p + 10, item - 10);
		} else if (item) {
			if (n + item + 2 > len)
				return -ENAMETOOLONG;
			memcpy(out + n, p, item);
			n += item;
			out[n++] = ',';
			out[n] = '\0';
		}
		p += item;
		if (*p == ',')
			p++;
	}
	*needed = stamp != 1;
	*forced = stamp == 0;
	if (n + sizeof("timestamp=on") > len)
		return -ENAMETOOLONG;
	memcpy(out + n, "timestamp=on", sizeof("timestamp=on"));
	return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return 1;
}

/* The option name of word ("-m" and "--m" both give "m"), or NULL. */
static const char *option_name(const char *word)
{
	if (word[0] != '-' || word[1] == '\0')
		return NULL;
	return word[1] == '-' ? word + 2 : word + 1;
}

/* Does the comma-separated list opts contain key=... ?  Sets *val. */
static bool opt_has(const char *opts, const char *key, const char **val)
{
	size_t n = strlen(key);

	for (const char *p = opts; p && *p;) {
		if (strncmp(p, key, n) == 0 && p[n] == '=') {
			if (val)
				*val = p + n + 1;
			return true;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* Copy the item at p (up to a comma) into out. */
static void item_copy(char *out, size_t len, const char *p)
{
	size_t n = strcspn(p, ",");

	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* QEMU's -m size: "256" (MiB), "256M", "2G", "size=2G,maxmem=..". */
static int parse_ram(const char *arg, uint64_t *out)
{
	const char *v = arg;
	char item[64], *end;
	unsigned long long n;
	uint64_t mul = UINT64_C(1) << 20;

	if (!opt_has(arg, "size", &v) && strchr(arg, '=') && strchr(arg, '=') < arg + strcspn(arg, ","))
		return -1;
	item_copy(item, sizeof(item), v);
	errno = 0;
	n = strtoull(item, &end, 10);
	if (errno || end == item)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': mul = UINT64_C(1) << 10; end++; break;
	case 'm': case 'M': mul = UINT64_C(1) << 20; end++; break;
	case 'g': case 'G': mul = UINT64_C(1) << 30; end++; break;
	case 't': case 'T': mul = UINT64_C(1) << 40; end++; break;
	default:
		return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || n == 0 || n > GUEST_RAM_SIZE_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

static void note_machine(struct qemu_plan *p, const char *arg)
{
	const char *v;

	if (opt_has(arg, "type", &v))
		item_copy(p->machine, sizeof(p->machine), v);
	else if (*arg && *arg != ',' && strcspn(arg, "=") >= strcspn(arg, ",")) /* equal: neither is there */
		item_copy(p->machine, sizeof(p->machine), arg);
	if (opt_has(arg, "accel", &v) && strncmp(v, "kvm", 3) == 0)
		p->kvm = true;
}

struct scan {
	const char *backend;  /* the command's own memory set-up, if any */
};

/* Look at one option and its argument; returns 0 or 1 with err set. */
static int scan_option(struct qemu_plan *p, struct scan *sc, const char *name, const char *arg, char *err,
		       size_t errlen)
{
	if (strcmp(name, "daemonize") == 0)
		return fail(err, errlen, "-daemonize: vmtrace must stay QEMU's parent to read its trace; remove it");
	if (strcmp(name, "enable-kvm") == 0) {
		p->kvm = true;
		return 0;
	}
	if (!arg)
		return 0;
	if (strcmp(name, "D") == 0)
		return fail(err, errlen,
			    "-D %s: QEMU writes its trace into its log file, which vmtrace must read; remove -D", arg);
	if (strcmp(name, "trace") == 0 && (strncmp(arg, "file=", 5) == 0 || strstr(arg, ",file=")))
		return fail(err, errlen,
			    "-trace %s: vmtrace chooses QEMU's trace file itself; remove file=", arg);
	if (strcmp(name, "m") == 0) {
		if (parse_ram(arg, &p->ram_size) != 0)
			return fail(err, errlen, "-m %s: cannot tell the guest RAM size (expected e.g. 256, 256M, 2G)", arg);
		if (strstr(arg, "maxmem=") || strstr(arg, "slots="))
			sc->backend = "-m with hot-pluggable memory";
		return 0;
	}
	if (strcmp(name, "M") == 0 || strcmp(name, "machine") == 0) {
		note_machine(p, arg);
		if (opt_has(arg, "memory-backend", NULL))
			sc->backend = "-machine memory-backend=";
		return 0;
	}
	if (strcmp(name, "accel") == 0) {
		const char *v = arg;
		opt_has(arg, "accel", &v);
		if (strncmp(v, "kvm", 3) == 0)
			p->kvm = true;
		return 0;
	}
	if (strcmp(name, "mem-path") == 0)
		sc->backend = "-mem-path";
	else if (strcmp(name, "numa") == 0)
		sc->backend = "-numa";
	return 0;
}

/* QEMU options vmtrace looks at that take no argument. */
static bool is_flag(const char *name)
{
	return strcmp(name, "daemonize") == 0 || strcmp(name, "enable-kvm") == 0;
}

/* Options whose argument vmtrace reads. */
static bool takes_arg(const char *name)
{
	static const char *const names[] = { "D", "trace", "m", "M", "machine", "accel", "mem-path", "numa",
					     "global", "object", "append", "kernel", "initrd", "drive", "device",
					     "netdev", "chardev", "serial", "d", "smp", "cpu", "name", "msg" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static int push(struct qemu_plan *p, const char *word)
{
	char *copy = strdup(word);

	if (!copy)
		return -ENOMEM;
	p->argv[p->argc++] = copy;
	p->argv[p->argc] = NULL;
	return 0;
}

static int pushf(struct qemu_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pushf(struct qemu_plan *p, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return push(p, buf);
}

int qemu_args_build(struct qemu_plan *p, int argc, char *const *argv, const struct qemu_args_opts *o, char *err,
		    size_t errlen)
{
	struct scan sc = { 0 };
	bool ioeventfd_user = false;
	const char *user_msg = NULL;
	char msg[512];
	bool msg_needed;
	const char *base;
	int r;

	memset(p, 0, sizeof(*p));
	p->ram_size = QEMU_DEFAULT_RAM;
	if (argc < 1 || !argv[0][0])
		return fail(err, errlen, "no command to record");
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strncmp(base, "qemu-system-", 12) != 0)
		return fail(err, errlen,
			    "'%s' is not QEMU: vmtrace records qemu-system-* commands (or use --emu for the built-in emulator)",
			    argv[0]);

	for (int i = 1; i < argc; i++) {
		const char *name = option_name(argv[i]);
		const char *arg = NULL;

		if (!name)
			continue;
		if (!is_flag(name) && takes_arg(name)) {
			if (i + 1 >= argc)
				return fail(err, errlen, "QEMU option '%s' needs an argument", argv[i]);
			arg = argv[++i];
		}
		if (strcmp(name, "global") == 0 && arg && strncmp(arg, "virtio-mmio.ioeventfd=", 22) == 0) {
			const char *v = arg + 22;
			ioeventfd_user = true;
			p->ioeventfd_user_on = strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0;
			continue;
		}
		if (strcmp(name, "msg") == 0 && arg) {
			user_msg = arg; /* QEMU takes the last one */
			continue;
		}
		if ((r = scan_option(p, &sc, name, arg, err, errlen)) != 0)
			return r;
	}
	if (msg_arg(user_msg, msg, sizeof(msg), &msg_needed, &p->msg_timestamp_forced) != 0)
		return fail(err, errlen, "-msg: its argument is too long for vmtrace to repeat (%zu bytes, at most %zu)",
			    strlen(user_msg), sizeof(msg) - sizeof("timestamp=on"));
	if (o->ram_path && sc.backend)
		snprintf(p->note, sizeof(p->note),
			 "the command sets up guest memory itself (%s), so vmtrace cannot read the rings: "
			 "register accesses are recorded, ring contents and requests are not", sc.backend);

	p->argv = calloc((size_t)argc + ADDED_WORDS_MAX + 1, sizeof(char *));
	if (!p->argv)
		return -ENOMEM;
	for (int i = 0; i < argc; i++)
		if ((r = push(p, argv[i])) < 0)
			goto fail_mem;
	/* QEMU keeps the file= of the last -trace only (a -trace without one
	 * sends the trace to stderr): it goes on the last -trace, after the
	 * user's and our virtio events. */
	if ((r = push(p, "-trace")) < 0 || (r = push(p, "memory_region_ops_read")) < 0)
		goto fail_mem;
	for (size_t i = 0; i < QEMU_ARGS_VIRTIO_EVENTS; i++)
		if ((r = push(p, "-trace")) < 0 || (r = push(p, virtio_events[i])) < 0)
			goto fail_mem;
	if ((r = push(p, "-trace")) < 0 || (r = pushf(p, "memory_region_ops_write,file=%s", o->trace_path)) < 0)
		goto fail_mem;
	if (o->ram_path && !sc.backend) {
		if ((r = push(p, "-object")) < 0 ||
		    (r = pushf(p, "memory-backend-file,id=%s,size=%llu,mem-path=%s,share=on", QEMU_ARGS_RAM_ID,
			       (unsigned long long)p->ram_size, o->ram_path)) < 0 ||
		    (r = push(p, "-machine")) < 0 || (r = pushf(p, "memory-backend=%s", QEMU_ARGS_RAM_ID)) < 0)
			goto fail_mem;
		p->share_ram = true;
	}
	if (!ioeventfd_user) {
		if ((r = push(p, "-global")) < 0 || (r = push(p, "virtio-mmio.ioeventfd=off")) < 0)
			goto fail_mem;
		p->ioeventfd_added = true;
	}
	if (msg_needed) {
		if ((r = push(p, "-msg")) < 0 || (r = push(p, msg)) < 0)
			goto fail_mem;
		p->msg_added = true;
	}
	return 0;
fail_mem:
	qemu_args_release(p);
	if (r == -ENAMETOOLONG)
		return fail(err, errlen, "a path for QEMU is too long");
	return r;
}

void qemu_args_release(struct qemu_plan *p)
{
	if (p->argv)
		for (int i = 0; i < p->argc; i++)
			free(p->argv[i]);
	free(p->argv);
	p->argv = NULL;
	p->argc = 0;
}
