/* vmtrace decode RAW [-o trace.db]: raw trace → SQLite. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/util.h"
#include "decoder/decode_file.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace decode [options] RAW\n"
		"\n"
		"Decode a raw trace (from 'vmtrace record -o FILE.vmt') into a SQLite trace.db:\n"
		"register state over time, status transitions, feature negotiation, queue\n"
		"set-up, ring contents, requests with latency and every spec violation.\n"
		"vmtrace-trace-db(5) documents the tables.\n"
		"\n"
		"options:\n"
		"  -o, --output FILE  trace.db to write (default vmtrace.db; an existing one\n"
		"                     is moved to FILE.old once the new one is complete;\n"
		"                     it is written as FILE.decoding-XXXXXX until then)\n"
		"  -f, --force        overwrite FILE instead of moving it aside\n"
		"      --no-memory    do not store guest-memory payloads (smaller file)\n"
		"      --payload-cap N  bytes of data kept per request (default %u)\n"
		"  -q, --quiet        no summary line\n"
		"  -h, --help         this help\n"
		"\n"
		"A damaged raw trace is decoded up to the damage; vmtrace says where it\n"
		"stopped and exits 1.\n"
		"\n"
		"Exit status: 0 decoded; 1 the raw trace was damaged (decoded up to the\n"
		"damage), or trace.db could not be written (disk full: nothing is left\n"
		"under FILE); 2 bad arguments, an output that is not a regular file or is\n"
		"being written by another vmtrace, or a file that is not a raw trace.\n",
		DECODER_PAYLOAD_CAP_DEFAULT);
}

static void progress(void *ctx, uint64_t events, uint64_t bytes)
{
	(void)ctx;
	fprintf(stderr, "\rvmtrace decode: %llu events, %.1f MB read", (unsigned long long)events, bytes / 1e6);
}

int cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-memory", no_argument, NULL, 'M' },
		{ "payload-cap", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct decoder_opts dopts = { .store_memory = true };
	const char *out = "vmtrace.db";
	bool force = false, quiet = false;
	uint64_t n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:fqh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'M': dopts.store_memory = false; break;
		case 'P':
			if (parse_u64(optarg, 1, 1u << 24, &n) < 0) {
				return usage_error("--payload-cap wants a number of bytes in 1..16777216, not '%s'", optarg);
			}
			dopts.payload_cap = (uint32_t)n;
			break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default:
			usage_hint();
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		return usage_error("wants exactly one raw trace file");
	}
	const char *raw = argv[optind];
	struct output of;
	struct decode_result res;
	char err[512];
	bool tty = stderr_is_tty() && !quiet;
	int r = output_begin(&of, out, force, quiet, true);

	if (r != 0)
		return r > 0 ? EXIT_USAGE : EXIT_FAIL;
	if (output_temp(&of, "decoding", "") != 0) {
		output_abort(&of);
		return EXIT_FAIL;
	}
	r = decode_file(raw, of.tmp, &dopts, tty ? progress : NULL, NULL, &res, err, sizeof(err));
	if (r != 0) {
		if (tty)
			fputc('\n', stderr);
		output_abort(&of);
		error("%s", err);
		/* An unusable raw trace is bad input; anything else (a full
		 * disk) failed while working. */
		return r == DECODE_E_INPUT ? EXIT_USAGE : EXIT_FAIL;
	}
	if (output_commit(&of) != 0)
		return EXIT_FAIL;
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (res.damaged)
		fprintf(stderr, "%s: '%s': stopped at offset %llu: %s (%llu events decoded)\n", cli_prog(), raw,
			(unsigned long long)res.stop_offset, res.stop_reason, (unsigned long long)res.stats.events);
	else if (!res.complete)
		warning("'%s' is incomplete (the recorder did not close it); %llu events decoded", raw,
			(unsigned long long)res.stats.events);
	if (!quiet)
		fprintf(stderr, "[ vmtrace decode: %llu events (%llu lost), %u devices, %llu requests, %llu violations -> %s ]\n",
			(unsigned long long)res.stats.events, (unsigned long long)res.stats.lost, res.stats.devices,
			(unsigned long long)res.stats.requests, (unsigned long long)res.stats.violations, out);
	return res.damaged ? 1 : 0;
}
