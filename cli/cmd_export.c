/* vmtrace export [-o FILE] [--format pcapng|pcap|perfetto] [--device BASE]
 * [--from SEQ] [--to SEQ] [trace.db]: a trace.db for Wireshark or
 * Perfetto (docs/export.md).  The file is written under a temporary name
 * next to FILE and renamed when complete. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "config.h"
#include "export/export.h"
#include "export/export_perfetto.h"
#include "export/export_wireshark.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_open.h"

enum format { FMT_NONE, FMT_PCAPNG, FMT_PCAP, FMT_PERFETTO };

/* Events a Perfetto JSON export holds before the warning. */
#define PERFETTO_EVENTS_COMFORTABLE 1000000u

static const char *const format_names[] = { [FMT_PCAPNG] = "pcapng", [FMT_PCAP] = "pcap",
					    [FMT_PERFETTO] = "perfetto" };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace export [options] [trace.db]\n"
		"       vmtrace export FILE.pcapng|FILE.pcap|FILE.json   (from vmtrace.db)\n"
		"\n"
		"Write a trace.db for Wireshark (pcapng, pcap) or Perfetto (JSON). Reads\n"
		"vmtrace.db when no file is named.\n"
		"\n"
		"options:\n"
		"  -o, --output FILE   the file to write (default vmtrace.pcapng; '-' for\n"
		"                      standard output)\n"
		"  --format FORMAT     pcapng, pcap or perfetto (default: from FILE's\n"
		"                      extension, .pcapng .pcap .json; else pcapng)\n"
		"  --device BASE       only the device at BASE (e.g. 0x10000000)\n"
		"  --from SEQ          start at sequence number SEQ\n"
		"  --to SEQ            end at sequence number SEQ (included)\n"
		"  -h, --help          this help\n"
		"\n"
		"pcapng: one interface per device with vmtrace's records (link type\n"
		"USER0: every register access, interrupt, status change, violation and\n"
		"request) and one per network device with its frames as Ethernet, which\n"
		"Wireshark reads as it is. vmtrace's Lua dissector, vmtrace.lua, reads the\n"
		"records: installed, Wireshark loads it by itself; from the source tree,\n"
		"tshark -2 -X lua_script:export/wireshark/vmtrace.lua -r FILE. pcap: the\n"
		"records only (one link type per file), written through libpcap. perfetto:\n"
		"Chrome JSON for ui.perfetto.dev. vmtrace-export(1) describes each.\n"
		"\n"
		"The file is written under a temporary name next to FILE and renamed when\n"
		"complete: a failed export leaves no file that looks whole.\n"
		"\n"
		"Exit status: 0 written; 1 a write error (disk full) or a read error of\n"
		"the trace; 2 bad arguments or a file that is not a trace.db.\n");
}

static enum format format_of_name(const char *s)
{
	for (int i = FMT_PCAPNG; i <= FMT_PERFETTO; i++)
		if (!strcmp(s, format_names[i]))
			return (enum format)i;
	return FMT_NONE;
}

static enum format format_of_path(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return FMT_NONE;
	if (!strcmp(dot, ".pcapng"))
		return FMT_PCAPNG;
	if (!strcmp(dot, ".pcap"))
		return FMT_PCAP;
	if (!strcmp(dot, ".json"))
		return FMT_PERFETTO;
	return FMT_NONE;
}

/* A temporary file next to path: ".NAME.partial-XXXXXX" in its folder. */
static FILE *open_temp(const char *path, char *tmp, size_t len)
{
	char a[4096], b[4096];
	int fd;

	snprintf(a, sizeof(a), "%s", path);
	snprintf(b, sizeof(b), "%s", path);
	if ((size_t)snprintf(tmp, len, "%s/.%s.partial-XXXXXX", dirname(a), basename(b)) >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((fd = mkstemp(tmp)) < 0)
		return NULL;
	/* mkstemp makes it 0600: give it what a created file gets */
	mode_t mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		unlink(tmp);
	}
	return f;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "device", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct export_opts o = { .device = -1, .data_max = EXPORT_DATA_MAX_DEFAULT };
	struct export_summary sum = { 0 };
	const char *out_path = NULL;
	enum format fmt = FMT_NONE;
	uint64_t base = 0;
	bool have_base = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'f':
			if ((fmt = format_of_name(optarg)) == FMT_NONE)
				return usage_error("--format wants pcapng, pcap or perfetto, not '%s'", optarg);
			break;
		case 'D':
			if (parse_u64(optarg, 0, INT64_MAX, &base) < 0)
				return usage_error("--device wants a base address such as 0x10000000, not '%s'", optarg);
			have_base = true;
			break;
		case 'F':
			if (parse_u64(optarg, 0, INT64_MAX, &o.from) < 0)
				return usage_error("--from wants a sequence number, not '%s'", optarg);
			o.has_from = true;
			break;
		case 'T':
			if (parse_u64(optarg, 0, INT64_MAX, &o.to) < 0)
				return usage_error("--to wants a sequence number, not '%s'", optarg);
			o.has_to = true;
			break;
		case 'h': usage(stdout); return 0;
		default:
			usage_hint();
			return EXIT_USAGE;
		}
	}
	/* 'vmtrace export boot.pcapng': a lone name with an export's
	 * extension is the output (the trace is vmtrace.db), as perf's
	 * commands default their input */
	if (!out_path && argc - optind == 1 && format_of_path(argv[optind]) != FMT_NONE)
		out_path = argv[optind++];
	if (argc - optind > 1)
		return usage_error("wants at most one trace.db ('%s' is extra)", argv[optind + 1]);
	if (o.has_from && o.has_to && o.to < o.from)
		return usage_error("--to %" PRIu64 " is before --from %" PRIu64, o.to, o.from);
	if (fmt == FMT_NONE)
		fmt = out_path ? format_of_path(out_path) : FMT_NONE;
	if (fmt == FMT_NONE)
		fmt = FMT_PCAPNG;
	if (!out_path)
		out_path = fmt == FMT_PERFETTO ? "vmtrace.json" : fmt == FMT_PCAP ? "vmtrace.pcap" : "vmtrace.pcapng";
#if !HAVE_PCAP
	if (fmt == FMT_PCAP)
		return usage_error("--format pcap: this vmtrace was built without libpcap (pcapng needs none)");
#endif
	const char *path = optind < argc ? argv[optind] : "vmtrace.db";
	char err[512], tmp[4200];
	struct tdb *t;
	int r;

	if ((r = tdb_open(&t, path, err, sizeof(err))) != 0)
		return error("%s", err), r < 0 ? EXIT_FAIL : EXIT_USAGE;
	if (have_base) {
		int id;
		if (tdb_device_by_base(t, base, &id) != 0) {
			tdb_close(t);
			return usage_error("'%s' has no device at 0x%" PRIx64, path, base);
		}
		o.device = id;
	}
	/* Perfetto's UI runs in a browser, which tops out near 2 GB (a 900 MB
	 * JSON file crashed it): past a million events, say so up front */
	uint64_t lo, hi;
	if (fmt == FMT_PERFETTO && o.device < 0 && tdb_events_bounds(t, &lo, &hi) == 0) {
		uint64_t a = o.has_from && o.from > lo ? o.from : lo, b = o.has_to && o.to < hi ? o.to : hi;
		if (b >= a && b - a + 1 > PERFETTO_EVENTS_COMFORTABLE)
			warning("%" PRIu64 " events: Perfetto's UI (a browser tab) struggles past about a million; "
				"--device, --from and --to export a part",
				b - a + 1);
	}
	/* stdout, or a device or pipe (/dev/full, a FIFO): written as it
	 * is, never replaced by a rename */
	struct stat sb;
	bool to_stdout = !strcmp(out_path, "-"), direct = to_stdout;
	if (!direct && stat(out_path, &sb) == 0 && !S_ISREG(sb.st_mode))
		direct = true;
	FILE *f = to_stdout ? stdout : direct ? fopen(out_path, "wb") : open_temp(out_path, tmp, sizeof(tmp));
	if (!f) {
		error("cannot write next to '%s': %s", out_path, strerror(errno));
		tdb_close(t);
		return EXIT_FAIL;
	}
	err[0] = '\0';
	if (fmt == FMT_PERFETTO)
		r = export_perfetto(t, &o, f, &sum, err, sizeof(err));
	else
		r = export_wireshark(t, &o, fmt == FMT_PCAP ? EXPORT_PCAP : EXPORT_PCAPNG, f, &sum, err, sizeof(err));
	/* the whole file on disk before it takes its name */
	if (r == 0 && fflush(f) != 0)
		r = -errno, snprintf(err, sizeof(err), "writing: %s", strerror(errno));
	if (r == 0 && !direct && fsync(fileno(f)) != 0)
		r = -errno, snprintf(err, sizeof(err), "writing: %s", strerror(errno));
	long size = direct ? -1 : ftell(f);
	if (!to_stdout && fclose(f) != 0 && r == 0)
		r = -errno, snprintf(err, sizeof(err), "writing: %s", strerror(errno));
	if (!direct && r == 0 && rename(tmp, out_path) != 0)
		r = -errno, snprintf(err, sizeof(err), "renaming the finished file to it: %s", strerror(errno));
	if (!direct && r != 0)
		unlink(tmp);
	tdb_close(t);
	if (r != 0) {
		error("'%s': %s%s", to_stdout ? "standard output" : out_path, err[0] ? err : "export failed",
		      direct ? "" : " (nothing written)");
		return r > 0 ? EXIT_USAGE : EXIT_FAIL;
	}
	if (sum.damaged)
		warning("'%s': %" PRIu64 " damaged row%s left out", path, sum.damaged, sum.damaged == 1 ? "" : "s");
	char sz[40] = "", bytes[32];
	if (size >= 0)
		snprintf(sz, sizeof(sz), ", %s", size_text((uint64_t)size, bytes, sizeof(bytes)));
	fprintf(stderr,
		"[ vmtrace export: %" PRIu64 " events, %" PRIu64 " request records, %" PRIu64 " frames, %" PRIu64
		" violations and anomalies -> %s (%s%s) ]\n",
		sum.events, sum.requests, sum.frames, sum.violations, to_stdout ? "standard output" : out_path,
		format_names[fmt], sz);
	return 0;
}
