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
#include "format/event_fmt.h"
#include "format/fmt_time.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

#define DUMP_MEM_PREVIEW 16  /* bytes of a MEM event shown without --hex */
#define DUMP_DEV_COL 24      /* narrowest device column */
#define DUMP_DEV_COL_MAX 48  /* a longer name pushes its line, not every line */

struct dump_opts {
	bool header;
	bool hex;
	bool have_device;
	uint64_t device;
	bool have_count;
	uint64_t count;
	uint64_t from;
	const char *path;
	bool have_t0;
	uint64_t t0; /* the first event's time: the time column's origin */
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace dump [options] FILE\n"
		"\n"
		"Print the events of a raw trace (written by 'vmtrace record'), one per line:\n"
		"sequence, time (since the first event), source, vCPU, device, then what\n"
		"happened.\n"
		"\n"
		"options:\n"
		"  --header          print the trace's metadata first (and its footer last)\n"
		"  --hex             print all bytes of memory events, not just the first %u\n"
		"  --device BASE     only events of the device at BASE (e.g. 0x10000000),\n"
		"                    with the memory of its rings\n"
		"  -n, --count N     stop after N events\n"
		"  --from SEQ        start at sequence number SEQ\n"
		"  -h, --help        this help\n"
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
				usage_error("bad --device '%s' (expected a base address such as 0x10000000)", optarg);
				return -1;
			}
			o->have_device = true;
			break;
		case 'n':
			if (parse_u64(optarg, 0, UINT64_MAX, &o->count) < 0) {
				usage_error("bad --count '%s' (expected a number of events)", optarg);
				return -1;
			}
			o->have_count = true;
			break;
		case OPT_FROM:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->from) < 0) {
				usage_error("bad --from '%s' (expected a sequence number)", optarg);
				return -1;
			}
			break;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc - 1) {
		usage_error(optind >= argc ? "no trace file named" : "more than one trace file named");
		return -1;
	}
	o->path = argv[optind];
	return 0;
}

/* Remember a device (metadata, DEVICE event) in the formatter's context:
 * its label, and the layout and type when the description gives them (a
 * later description of the same base replaces the label).  Beyond
 * FMT_DEVICES_MAX, new bases are shown by address only. */
static void dev_add(struct fmt_ctx *c, const struct vmt_device_desc *d)
{
	struct fmt_device *fd = fmt_ctx_device(c, d->base);

	if (!fd)
		return;
	fmt_device_set_name(fd, d->name);
	if (d->version)
		fd->version = d->version;
	if (d->device_id)
		fd->device_id = d->device_id;
}

/* Width of the device column: the longest escaped name the metadata
 * gives, within DUMP_DEV_COL..DUMP_DEV_COL_MAX, so the columns stay
 * aligned. */
static int dev_col = DUMP_DEV_COL;

static void set_dev_col(const struct fmt_ctx *c)
{
	char label[4 * FMT_NAME_MAX + 1];
	size_t w = DUMP_DEV_COL;

	for (size_t i = 0; i < c->n; i++) {
		size_t k = strlen(esc(c->dev[i]->name, label, sizeof(label)));
		if (k > w)
			w = k;
	}
	dev_col = (int)(w < DUMP_DEV_COL_MAX ? w : DUMP_DEV_COL_MAX);
}

/* The device column: the escaped name, dev@BASE if unnamed, - if there is
 * no device. */
static void print_device_col(const struct fmt_ctx *c, bool has_device, uint64_t base)
{
	char label[4 * FMT_NAME_MAX + 1];
	const struct fmt_device *d;

	if (!has_device) {
		out_printf("%-*s ", dev_col, "-");
		return;
	}
	d = fmt_ctx_find(c, base);
	if (d && d->name[0])
		esc(d->name, label, sizeof(label));
	else
		snprintf(label, sizeof(label), "dev@0x%" PRIx64, base);
	out_printf("%-*s ", dev_col, label);
}

static void out_bytes(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out_char(p[i]);
}

/* The bytes of a MEM event: the first few when the formatter could not
 * name them (a name decodes them), all of them 16 per line with --hex. */
static void print_mem_bytes(const struct vmt_event *ev, bool named, bool hex)
{
	size_t show;

	if (!hex) {
		if (named)
			return;
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

/* A DEVICE event's own part (the formatter says only "device"). */
static void print_device_desc(const struct vmt_event *ev)
{
	struct vmt_device_desc d;
	char buf[4 * sizeof(d.name) + 1];

	if (ev->len < VMT_DEVICE_DESC_BYTES || vmt_device_desc_decode(&d, ev->data, ev->len) < 0) {
		out_printf("device (descriptor of %u bytes is too short)", ev->len);
		return;
	}
	out_printf("device %s base 0x%" PRIx64 " size 0x%x id %u", esc(d.name, buf, sizeof(buf)), d.base, d.size,
		   d.device_id);
	if (virtio_device_type_name(d.device_id))
		out_printf(" (%s)", virtio_device_type_name(d.device_id));
	out_printf(" version %u vendor 0x%x", d.version, d.vendor_id);
}

/* Escaped text can be 4 times the bytes it came from (\xHH). */
static char line[4 * VMT_EVENT_DATA_MAX + 1024];

/* One event as one line (MEM with --hex: several): sequence, time in
 * microseconds since the trace's first event, source, vCPU, device label, then what the formatter makes
 * of it (format/event_fmt.h), which also learns the device state from it.
 * Returns false, printing nothing, if --device excludes it. */
static bool print_event(struct fmt_ctx *c, const struct vmt_event *ev, const struct dump_opts *o)
{
	bool has_device = ev->type == VMT_EV_MMIO || ev->type == VMT_EV_IRQ || ev->type == VMT_EV_DEVICE ||
			  ev->type == VMT_EV_VIOLATION || ev->type == VMT_EV_QUEUE;
	struct fmt_info info;
	size_t n;
	uint64_t base = ev->base;

	n = fmt_event_next(c, ev, NULL, line, sizeof(line), &info);
	/* Memory named from a device's ring belongs to that device. */
	if (ev->type == VMT_EV_MEM && info.where.dev) {
		has_device = true;
		base = info.where.dev->base;
	}
	if (o->have_device && (!has_device || base != o->device))
		return false;
	char when[40];
	fmt_time_us(when, sizeof(when), 15, ev->ts_ns, o->t0);
	out_printf("%8" PRIu64 " %s %-7s cpu%-2u ", ev->seq, when, vmt_source_name(ev->source), ev->vcpu);
	print_device_col(c, has_device, base);
	if (ev->type == VMT_EV_DEVICE)
		print_device_desc(ev);
	else
		out_bytes(line, n);
	if (ev->type == VMT_EV_MEM)
		print_mem_bytes(ev, info.named, o->hex);
	out_char('\n');
	return true;
}

/* --header: the metadata as '# ' comment lines, every string escaped. */
static void print_header(const char *path, const struct rawtrace_meta *m)
{
	char ebuf[4 * 4096 + 1];
	char sbuf[32];

	out_printf("# vmtrace raw trace '%s' (format %u)\n", esc(path, ebuf, sizeof(ebuf)),
		   RAWTRACE_FORMAT_VERSION);
	out_printf("# source: %s\n", vmt_source_name(m->source));
	if (m->ram_size)
		out_printf("# guest RAM: 0x%" PRIx64 " + 0x%" PRIx64 " (%s)\n", m->ram_base, m->ram_size,
			   size_text(m->ram_size, sbuf, sizeof(sbuf)));
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
	struct fmt_ctx *c = NULL;
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
		error("%s", esc(err[0] ? err : strerror(-rc), eerr, sizeof(eerr)));
		return EXIT_USAGE;
	}
	if (fmt_ctx_new(&c) < 0) {
		error("out of memory");
		rawtrace_reader_close(r);
		return EXIT_USAGE;
	}
	const struct rawtrace_meta *m = rawtrace_reader_meta(r);
	for (size_t i = 0; i < m->n_devices; i++)
		dev_add(c, &m->devices[i]);
	set_dev_col(c);
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
		if (!o.have_t0) {
			o.t0 = ev.ts_ns; /* whatever --from and --device show */
			o.have_t0 = true;
		}
		/* Device events and register writes feed the formatter's
		 * state even when they are not shown. */
		if (ev.type == VMT_EV_DEVICE) {
			struct vmt_device_desc d;
			if (vmt_device_desc_decode(&d, ev.data, ev.len) == 0)
				dev_add(c, &d);
		}
		if (ev.seq < o.from) {
			fmt_ctx_track(c, &ev);
			continue;
		}
		if (print_event(c, &ev, &o))
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
			error("unable to write to standard output: %s", strerror(out_errno));
			status = EXIT_FAIL;
		}
	} else if (rc < 0) {
		error("unable to read '%s': %s (%" PRIu64 " events read)", epath, strerror(-rc), st.events);
		status = EXIT_FAIL;
	} else if (stopped_early) {
		status = 0;
	} else if (st.damaged) {
		error("'%s': stopped at offset %" PRIu64 ": %s (%" PRIu64 " events read)", epath,
			 st.stop_offset, esc(st.reason, err, sizeof(err)), st.events);
		status = 1;
	} else if (!st.complete) {
		warning("'%s' has no footer, the recorder did not finish it (%" PRIu64
			 " events read)", epath, st.events);
	}
	fmt_ctx_free(c);
	rawtrace_reader_close(r);
	return status;
}
