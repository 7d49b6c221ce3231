/* vmtrace dump: print the events of a raw trace, one per line, in the
 * spirit of `perf script`.  Everything that comes from the file (names,
 * markers, messages, metadata) is escaped before it reaches the terminal. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "format/escape.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"

#define DUMP_DEVICES_MAX 256 /* devices remembered (metadata + DEVICE events) */
#define DUMP_MEM_PREVIEW 16  /* bytes of a MEM event shown without --hex */
#define DUMP_DEV_COL 24      /* width of the device column */

struct dump_opts {
	bool header;
	bool hex;
	bool have_device;
	uint64_t device;
	bool have_count;
	uint64_t count;
	uint64_t from;
	const char *path;
};

struct devtab {
	size_t n;
	struct vmt_device_desc d[DUMP_DEVICES_MAX];
};

/* Standard output goes through this buffer and write(2), so a closed pipe
 * is seen as EPIPE at the exact write that failed. */
static char obuf[1 << 16];
static size_t olen;
static int out_errno; /* first write error; output stops there */

static void out_flush(void)
{
	size_t done = 0;

	while (done < olen && !out_errno) {
		ssize_t n = write(STDOUT_FILENO, obuf + done, olen - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			out_errno = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	olen = 0;
}

/* Formatted output of bounded size (under 1 KiB: numbers and names we
 * produce ourselves; text from the file goes through out_escaped). */
__attribute__((format(printf, 1, 2)))
static void out_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sizeof(obuf) - olen < 1024)
		out_flush();
	va_start(ap, fmt);
	n = vsnprintf(obuf + olen, sizeof(obuf) - olen, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(obuf) - olen)
		n = (int)(sizeof(obuf) - olen - 1);
	olen += (size_t)n;
}

static void out_char(char c)
{
	if (olen == sizeof(obuf))
		out_flush();
	obuf[olen++] = c;
}

/* Text from the file, escaped (format/escape.h), inside double quotes:
 * '"' is escaped too. */
static void out_escaped(const uint8_t *p, size_t len)
{
	char u[ESCAPE_UNIT_MAX];
	size_t i = 0;

	while (i < len) {
		size_t used, k = escape_unit(p + i, len - i, ESCAPE_QUOTES, u, &used);
		for (size_t j = 0; j < k; j++)
			out_char(u[j]);
		i += used;
	}
}

/* A NUL-terminated string from the file escaped into buf (cut with "...").
 * Returns buf. */
static const char *esc(const char *s, char *buf, size_t size)
{
	return escape_str(s, buf, size);
}

/* Messages to stderr, prefixed like the ones the task description names. */
__attribute__((format(printf, 1, 2)))
static void dump_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("vmtrace dump: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace dump [options] FILE\n"
		"\n"
		"Print the events of a raw trace (written by 'vmtrace record'), one per line:\n"
		"sequence, time, source, vCPU, device, then what happened.\n"
		"\n"
		"options:\n"
		"  --header          print the trace's metadata first (and its footer last)\n"
		"  --hex             print all bytes of memory events, not just the first %u\n"
		"  --device BASE     only events of the device at BASE (e.g. 0x10000000)\n"
		"  -n, --count N     stop after N events\n"
		"  --from SEQ        start at sequence number SEQ\n"
		"  -h, --help        show this help\n"
		"\n"
		"Exit status: 0 read to the end (a warning if the trace has no footer),\n"
		"1 the trace is damaged (everything before the damage is printed), a read\n"
		"error, or standard output could not be written; 2 bad arguments, or the\n"
		"file cannot be opened or is not a raw trace.\n",
		DUMP_MEM_PREVIEW);
}

/* Returns 0, 1 for --help (exit 0), or -1 on a usage error (printed). */
static int parse_args(int argc, char **argv, struct dump_opts *o)
{
	enum { OPT_HEADER = 256, OPT_HEX, OPT_DEVICE, OPT_FROM };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "header", no_argument, NULL, OPT_HEADER },
		{ "hex", no_argument, NULL, OPT_HEX },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "count", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hn:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return 1;
		case OPT_HEADER:
			o->header = true;
			break;
		case OPT_HEX:
			o->hex = true;
			break;
		case OPT_DEVICE:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->device) < 0) {
				dump_msg("bad --device '%s' (expected a base address such as 0x10000000)", optarg);
				return -1;
			}
			o->have_device = true;
			break;
		case 'n':
			if (parse_u64(optarg, 0, UINT64_MAX, &o->count) < 0) {
				dump_msg("bad --count '%s' (expected a number of events)", optarg);
				return -1;
			}
			o->have_count = true;
			break;
		case OPT_FROM:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->from) < 0) {
				dump_msg("bad --from '%s' (expected a sequence number)", optarg);
				return -1;
			}
			break;
		case ':':
			dump_msg("option '%s' needs a value (see 'vmtrace dump --help')", argv[optind - 1]);
			return -1;
		default:
			dump_msg("unknown option '%s' (see 'vmtrace dump --help')", argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc - 1) {
		dump_msg(optind >= argc ? "no trace file named (see 'vmtrace dump --help')"
					: "more than one trace file named");
		return -1;
	}
	o->path = argv[optind];
	return 0;
}

/* The device at base, or NULL. */
static struct vmt_device_desc *dev_find(struct devtab *t, uint64_t base)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->d[i].base == base)
			return &t->d[i];
	return NULL;
}

/* Remember a device (metadata, DEVICE event); a later description of the
 * same base replaces the earlier one.  Beyond the cap, new bases are
 * shown by address only. */
static void dev_add(struct devtab *t, const struct vmt_device_desc *d)
{
	struct vmt_device_desc *old = dev_find(t, d->base);

	if (old)
		*old = *d;
	else if (t->n < DUMP_DEVICES_MAX)
		t->d[t->n++] = *d;
}

/* The device column: the escaped name, dev@BASE if unnamed, - if the
 * event type has no device. */
static void print_device_col(struct devtab *t, bool has_device, uint64_t base)
{
	char label[4 * 32 + 1];
	const struct vmt_device_desc *d;

	if (!has_device) {
		out_printf("%-*s ", DUMP_DEV_COL, "-");
		return;
	}
	d = dev_find(t, base);
	if (d && d->name[0])
		esc(d->name, label, sizeof(label));
	else
		snprintf(label, sizeof(label), "dev@0x%" PRIx64, base);
	out_printf("%-*s ", DUMP_DEV_COL, label);
}

/* The MMIO part of a line: direction, register name for the device's
 * layout (modern when unknown), width, value, and a short decoding of the
 * registers whose values have names.  A Version read teaches t the layout. */
static void print_mmio(struct devtab *t, const struct vmt_event *ev)
{
	struct vmt_device_desc *d = dev_find(t, ev->base);
	uint32_t version = d && d->version ? d->version : VIRTIO_MMIO_VERSION_MODERN;
	uint32_t off = ev->addr > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->addr;
	unsigned digits = ev->width >= 1 && ev->width <= 8 ? 2u * ev->width : 8u;
	bool wr = ev->dir == VMT_DIR_WRITE;
	char reg[48], val[24], extra[160] = "";
	uint64_t v = ev->value;

	mmio_reg_describe(off, version, reg, sizeof(reg));
	snprintf(val, sizeof(val), "0x%0*" PRIx64, (int)digits, v);
	if (ev->addr == off) {
		switch (off) {
		case MMIO_MAGIC_VALUE:
			snprintf(extra, sizeof(extra), "%s", v == VIRTIO_MMIO_MAGIC ? "\"virt\"" : "bad magic");
			break;
		case MMIO_VERSION:
			snprintf(extra, sizeof(extra), "%s", v == 1 ? "legacy" : v == 2 ? "modern" : "unknown version");
			/* A Version read tells the layout of a device the
			 * table does not know yet. */
			if (!wr && (v == 1 || v == 2)) {
				if (d && d->version == 0)
					d->version = (uint32_t)v;
				else if (!d) {
					struct vmt_device_desc nd = { .base = ev->base, .version = (uint32_t)v };
					dev_add(t, &nd);
				}
			}
			break;
		case MMIO_DEVICE_ID: {
			const char *n = v <= UINT32_MAX ? virtio_device_type_name((uint32_t)v) : NULL;
			snprintf(extra, sizeof(extra), "%s", v == 0 ? "no device" : n ? n : "unknown type");
			break;
		}
		case MMIO_STATUS:
			virtio_status_str((uint32_t)v, extra, sizeof(extra));
			break;
		case MMIO_QUEUE_NOTIFY:
			if (v >> 16)
				snprintf(extra, sizeof(extra), "queue %" PRIu64 " data 0x%" PRIx64, v & 0xffff, v >> 16);
			else
				snprintf(extra, sizeof(extra), "queue %" PRIu64, v);
			break;
		case MMIO_QUEUE_SEL:
			snprintf(extra, sizeof(extra), "queue %" PRIu64, v);
			break;
		case MMIO_DEVICE_FEATURES_SEL:
		case MMIO_DRIVER_FEATURES_SEL:
			snprintf(extra, sizeof(extra), "word %" PRIu64, v);
			break;
		case MMIO_INTERRUPT_STATUS:
		case MMIO_INTERRUPT_ACK:
			snprintf(extra, sizeof(extra), "%s%s%s%s", v & VIRTIO_MMIO_INT_VRING ? "VRING" : "",
				 (v & 3) == 3 ? "|" : "", v & VIRTIO_MMIO_INT_CONFIG ? "CONFIG" : "",
				 v & ~(uint64_t)3 ? " +unknown bits" : "");
			break;
		}
	}
	/* Pad the value to the common 4-byte width; no trailing blanks. */
	if (extra[0])
		out_printf("%c %-17s %u %-10s %s", wr ? 'W' : 'R', reg, ev->width, val, extra);
	else
		out_printf("%c %-17s %u %s", wr ? 'W' : 'R', reg, ev->width, val);
}

/* A MEM event: address, length, whose bytes, then the first bytes (all
 * of them, 16 per line, with --hex). */
static void print_mem(const struct vmt_event *ev, bool hex)
{
	static const struct { uint16_t bit; const char *name; } flags[] = {
		{ VMT_MEM_DRIVER_WRITE, "driver" },
		{ VMT_MEM_DEVICE_WRITE, "device" },
		{ VMT_MEM_SNAPSHOT, "snapshot" },
		{ VMT_MEM_BEST_EFFORT, "best-effort" },
		{ VMT_MEM_TRUNCATED, "truncated" },
	};
	bool first = true;
	size_t show;

	out_printf("mem 0x%" PRIx64 " len %u ", ev->addr, ev->len);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (ev->flags & flags[i].bit) {
			out_printf("%s%s", first ? "" : "|", flags[i].name);
			first = false;
		}
	}
	if (first || (ev->flags & ~0x1fu))
		out_printf("%sflags 0x%x", first ? "" : "|", ev->flags);
	if (!hex) {
		show = ev->len < DUMP_MEM_PREVIEW ? ev->len : DUMP_MEM_PREVIEW;
		if (show)
			out_printf(":");
		for (size_t i = 0; i < show; i++)
			out_printf(" %02x", ev->data[i]);
		if (show < ev->len)
			out_printf(" ...");
		return;
	}
	for (size_t i = 0; i < ev->len; i++) {
		if (i % 16 == 0)
			out_printf("\n%10s%04zx:", "", i);
		out_printf(" %02x", ev->data[i]);
	}
}

/* Text payloads: drop trailing NULs a source may have included. */
static void print_text(const struct vmt_event *ev)
{
	size_t len = ev->len;

	while (len && ev->data[len - 1] == '\0')
		len--;
	out_char('"');
	out_escaped(ev->data, len);
	out_char('"');
}

/* One event as one line (MEM with --hex: several): sequence, time in
 * microseconds, source, vCPU, device label, then the type's own part. */
static void print_event(struct devtab *t, const struct vmt_event *ev, bool hex)
{
	bool has_device = ev->type == VMT_EV_MMIO || ev->type == VMT_EV_IRQ ||
			  ev->type == VMT_EV_DEVICE || ev->type == VMT_EV_VIOLATION;
	struct vmt_device_desc d;
	char buf[160];

	/* The caller has already added a DEVICE event's device to t. */
	if (ev->type == VMT_EV_DEVICE)
		vmt_device_desc_decode(&d, ev->data, ev->len);
	out_printf("%8" PRIu64 " %9" PRIu64 ".%03uus %-7s cpu%-2u ", ev->seq, ev->ts_ns / 1000,
		   (unsigned)(ev->ts_ns % 1000), vmt_source_name(ev->source), ev->vcpu);
	print_device_col(t, has_device, ev->base);
	switch (ev->type) {
	case VMT_EV_MMIO:
		print_mmio(t, ev);
		break;
	case VMT_EV_MEM:
		print_mem(ev, hex);
		break;
	case VMT_EV_IRQ:
		out_printf("irq %s status 0x%" PRIx64 " %s%s%s", ev->width ? "raised" : "lowered", ev->value,
			   ev->value & VIRTIO_MMIO_INT_VRING ? "VRING" : "",
			   (ev->value & 3) == 3 ? "|" : "", ev->value & VIRTIO_MMIO_INT_CONFIG ? "CONFIG" : "");
		break;
	case VMT_EV_MARKER:
		out_printf("marker ");
		print_text(ev);
		break;
	case VMT_EV_LOST:
		out_printf("lost %" PRIu64 " events", ev->value);
		break;
	case VMT_EV_DEVICE:
		if (ev->len < VMT_DEVICE_DESC_BYTES) {
			out_printf("device (descriptor of %u bytes is too short)", ev->len);
			break;
		}
		out_printf("device %s base 0x%" PRIx64 " size 0x%x id %u", esc(d.name, buf, sizeof(buf)),
			   d.base, d.size, d.device_id);
		if (virtio_device_type_name(d.device_id))
			out_printf(" (%s)", virtio_device_type_name(d.device_id));
		out_printf(" version %u vendor 0x%x", d.version, d.vendor_id);
		break;
	case VMT_EV_VIOLATION: {
		const struct rule_info *ri = rule_lookup(ev->value > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->value);
		out_printf("violation %s", ri->key);
		if (ri->id == RULE_NONE)
			out_printf("(%" PRIu64 ")", ev->value);
		out_printf(" %s ", rule_severity_name(ri->severity));
		print_text(ev);
		if (ri->section && *ri->section)
			out_printf(" [%s]", ri->section);
		break;
	}
	default:
		out_printf("type %u value 0x%" PRIx64 " addr 0x%" PRIx64 " len %u", ev->type, ev->value,
			   ev->addr, ev->len);
		break;
	}
	out_char('\n');
}

/* --header: the metadata as '# ' comment lines, every string escaped. */
static void print_header(const char *path, const struct rawtrace_meta *m)
{
	char ebuf[4 * 4096 + 1];

	out_printf("# vmtrace raw trace '%s' (format %u)\n", esc(path, ebuf, sizeof(ebuf)),
		   RAWTRACE_FORMAT_VERSION);
	out_printf("# source: %s\n", vmt_source_name(m->source));
	if (m->ram_size)
		out_printf("# guest RAM: 0x%" PRIx64 " + 0x%" PRIx64 " (%" PRIu64 " MiB)\n",
			   m->ram_base, m->ram_size, m->ram_size >> 20);
	for (size_t i = 0; i < m->n_kv; i++) {
		out_printf("# ");
		out_escaped((const uint8_t *)m->kv[i].key, strlen(m->kv[i].key));
		out_printf(": ");
		out_escaped((const uint8_t *)m->kv[i].value, strlen(m->kv[i].value));
		out_char('\n');
	}
	for (size_t i = 0; i < m->n_devices; i++) {
		const struct vmt_device_desc *d = &m->devices[i];
		const char *tn = virtio_device_type_name(d->device_id);
		out_printf("# device %s base 0x%" PRIx64 " size 0x%x id %u%s%s%s version %u vendor 0x%x\n",
			   esc(d->name, ebuf, sizeof(ebuf)), d->base, d->size, d->device_id,
			   tn ? " (" : "", tn ? tn : "", tn ? ")" : "", d->version, d->vendor_id);
	}
}

/* Exit 0 read to the end (warning if there is no footer), 1 stopped at
 * damage or failed while working, 2 bad arguments or a file that cannot be
 * read as a trace. */
int cmd_dump(int argc, char **argv)
{
	struct dump_opts o = { 0 };
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	struct devtab *t = NULL;
	struct vmt_event ev;
	char err[4096 + 256], epath[4 * 1024 + 1];
	uint64_t printed = 0;
	bool stopped_early = false; /* -n reached or output closed */
	int rc, status = 0;

	rc = parse_args(argc, argv, &o);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rc < 0)
		return EXIT_USAGE;
	/* Writes to a closed pipe fail with EPIPE instead of killing us, so
	 * `vmtrace dump t.vmt | head` ends quietly. */
	signal(SIGPIPE, SIG_IGN);
	esc(o.path, epath, sizeof(epath));

	rc = rawtrace_reader_open(&r, o.path, err, sizeof(err));
	if (rc < 0) {
		char eerr[sizeof(err)];
		dump_msg("%s", esc(err[0] ? err : strerror(-rc), eerr, sizeof(eerr)));
		return EXIT_USAGE;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		dump_msg("out of memory");
		rawtrace_reader_close(r);
		return EXIT_USAGE;
	}
	const struct rawtrace_meta *m = rawtrace_reader_meta(r);
	for (size_t i = 0; i < m->n_devices; i++)
		dev_add(t, &m->devices[i]);
	if (o.header)
		print_header(o.path, m);

	for (;;) {
		if (out_errno || (o.have_count && printed >= o.count)) {
			stopped_early = true;
			break;
		}
		rc = rawtrace_reader_next(r, &ev);
		if (rc <= 0)
			break;
		/* Device events feed the table even when they are not shown. */
		if (ev.type == VMT_EV_DEVICE) {
			struct vmt_device_desc d;
			if (vmt_device_desc_decode(&d, ev.data, ev.len) == 0)
				dev_add(t, &d);
		}
		if (ev.seq < o.from)
			continue;
		if (o.have_device && (ev.base != o.device ||
				      !(ev.type == VMT_EV_MMIO || ev.type == VMT_EV_IRQ ||
					ev.type == VMT_EV_DEVICE || ev.type == VMT_EV_VIOLATION)))
			continue;
		print_event(t, &ev, o.hex);
		printed++;
	}
	rawtrace_reader_status(r, &st);
	if (o.header && !stopped_early && st.complete)
		out_printf("# end: %" PRIu64 " events, %" PRIu64 " lost, \"%s\"\n", st.footer_events,
			   st.lost, esc(st.end_reason, err, sizeof(err)));
	out_flush();

	if (out_errno) {
		/* The reader of our output went away (head, less): not an
		 * error worth a message.  Anything else is. */
		if (out_errno != EPIPE) {
			dump_msg("unable to write to standard output: %s", strerror(out_errno));
			status = EXIT_FAIL;
		}
	} else if (rc < 0) {
		dump_msg("unable to read '%s': %s (%" PRIu64 " events read)", epath, strerror(-rc), st.events);
		status = EXIT_FAIL;
	} else if (stopped_early) {
		status = 0;
	} else if (st.damaged) {
		dump_msg("'%s': stopped at offset %" PRIu64 ": %s (%" PRIu64 " events read)", epath,
			 st.stop_offset, esc(st.reason, err, sizeof(err)), st.events);
		status = 1;
	} else if (!st.complete) {
		dump_msg("warning: '%s' has no footer, the recorder did not finish it (%" PRIu64
			 " events read)", epath, st.events);
	}
	free(t);
	rawtrace_reader_close(r);
	return status;
}
