/* vmtrace replay [options] [trace.db]: drive the emulator with a recorded
 * driver and report where the device side first differs. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/expect_opt.h"
#include "cli/json.h"
#include "cli/replay_print.h"
#include "cli/util.h"
#include "replay/replay.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace replay [options] [trace.db]\n"
		"\n"
		"Feed the driver side of a recorded session (register writes and reads,\n"
		"guest-memory stores, ring contents) into the built-in emulator, configured\n"
		"from the trace (device types, register layout, disk size, MAC, rng seed), and\n"
		"compare everything the device side does with the recording: each register\n"
		"read, each interrupt, each used-ring entry, each byte written into guest\n"
		"buffers. Reports the first divergence with the events up to it, then a\n"
		"summary. Reads vmtrace.db when no file is named.\n"
		"\n"
		"Traces from the built-in emulator replay exactly. Traces from QEMU or BPF\n"
		"replay against another implementation: their device side is compared\n"
		"through register reads and the recorded ring snapshots (best-effort copies:\n"
		"a differing buffer byte there is counted, not failed). From a device's\n"
		"first torn copy (an anomaly the decoder recorded on one of its queues) on,\n"
		"that device replays registers only: its ring contents are unverified, its\n"
		"register reads still compared; the report names the device and the seq.\n"
		"\n"
		"options:\n"
		"  -u, --until SEQ        replay events up to and including SEQ\n"
		"  -k, --keep-going       report every divergence, not just the first\n"
		"  -r, --registers-only   replay the register accesses alone: the driver's\n"
		"                         writes drive the devices, its reads are compared\n"
		"                         (InterruptStatus without bit 0, used buffer); no\n"
		"                         ring is processed, and memory, device stores,\n"
		"                         interrupts and violations are not compared (for\n"
		"                         traces without usable ring contents)\n"
		"  -x, --expect DECL      a difference known and accepted (repeatable):\n"
		"                         [DEVICE:]WHAT, DEVICE a name (virtio-net@0xfeb02a00),\n"
		"                         base (0xfeb02a00) or type (blk, net, console, rng);\n"
		"                         WHAT a register name (VendorID, DeviceFeatures and\n"
		"                         QueueNumMax make the emulator take the recorded\n"
		"                         value), config[+OFF] (takes the recorded bytes),\n"
		"                         queueN, used, buffers, interrupts, violations or all\n"
		"  -X, --expect-file FILE\n"
		"                         declarations, one per line, '#' comments\n"
		"      --json             print one JSON object (keys: trace, source, exact,\n"
		"                         mode (\"full\" or \"registers only\"), result,\n"
		"                         events_total, events_replayed, events_skipped,\n"
		"                         failures_taken_over, last_seq, divergences,\n"
		"                         declared, unverified, not_compared, not_replayed,\n"
		"                         devices_unverified, stopped_at_first,\n"
		"                         milliseconds, devices[] (unverified_from,\n"
		"                         torn_copy: seq, queue, rule, message),\n"
		"                         first_divergence, all_divergences[],\n"
		"                         declared_differences[], first_unverified; a\n"
		"                         divergence has seq, device, device_name, kind,\n"
		"                         where, expected, actual, section, note,\n"
		"                         declared_by, events[]: seq, text, at)\n"
		"  -q, --quiet            print only the summary line\n"
		"  -h, --help             this help\n"
		"\n");
	fprintf(f,
		"Every row replay reads is checked: a row that contradicts the rest of\n"
		"the file (a memory payload whose length is not events.len, an MMIO\n"
		"width other than 1, 2, 4 or 8, an offset outside the register window, a\n"
		"negative or repeated seq, a queue size of -1, a device id the devices\n"
		"table does not have, ...) stops it, naming the file, the table and the row.\n"
		"\n"
		"A device whose type the emulator has no model for is left out with the\n"
		"reason; the other devices replay, and the result is 'incomplete' (exit\n"
		"2), never 'identical'. Packed virtqueues (VIRTIO_F_RING_PACKED) in a trace\n"
		"not recorded with --emu, or a blk device with VIRTIO_BLK_F_MQ negotiated,\n"
		"stop the replay before it starts.\n"
		"Empty transports (DeviceID 0) are listed in one line: nothing to replay.\n"
		"\n"
		"Exit status: 0 the device side matched (declared differences aside; a\n"
		"device unverified after a torn copy is not a divergence), 1 it diverged,\n"
		"2 the trace could not be replayed (the reason is printed: not a\n"
		"trace.db, a damaged row, lost events, a device left out, no device the\n"
		"emulator models, queues set up but no ring contents recorded: try\n"
		"--registers-only) or an argument is wrong (an --expect-file that is\n"
		"missing, unreadable or a directory).\n"
		"\n"
		"Examples:\n"
		"  vmtrace replay ci/blk-net.db\n"
		"  vmtrace replay --keep-going --until 5000 boot.db\n"
		"  vmtrace replay --registers-only -X qemu.expect boot.db\n"
		"  vmtrace replay -x DeviceFeatures -x QueueNumMax -x net:all boot.db\n");
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	fprintf(stderr, "\rreplayed %" PRIu64 " of %" PRIu64 " events", done, total);
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "until", required_argument, NULL, 'u' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "registers-only", no_argument, NULL, 'r' },
		{ "expect", required_argument, NULL, 'x' },
		{ "expect-file", required_argument, NULL, 'X' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_expect *expect = calloc(1, sizeof(*expect));
	struct replay_opts opts = { .until = UINT64_MAX };
	struct replay_result res;
	bool json = false, quiet = false;
	const char *path = "vmtrace.db";
	char err[512];
	int c, status = EXIT_USAGE;

	if (!expect)
		return error("out of memory") ? EXIT_USAGE : EXIT_USAGE;
	opts.expect = expect;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:krx:X:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (parse_u64(optarg, 0, INT64_MAX, &opts.until) < 0) {
				usage_error("--until wants a sequence number, not '%s'", optarg);
				goto out;
			}
			break;
		case 'k':
			opts.keep_going = true;
			break;
		case 'r':
			opts.registers_only = true;
			break;
		case 'x':
		case 'X':
			if (cli_expect_option(expect, c, optarg))
				goto out;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage_hint();
			goto out;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		usage_error("one trace at a time ('%s' is extra)", argv[optind]);
		goto out;
	}
	if (stderr_is_tty() && !json && !quiet)
		opts.progress = progress;
	int r = replay_run(path, &opts, &res, err, sizeof(err));
	if (opts.progress && res.events_replayed >= 65536)
		fputc('\n', stderr);
	if (r < 0) {
		if (json)
			json_error(stdout, err);
		error("%s", err);
		replay_result_free(&res);
		goto out;
	}
	/* A declaration naming no device of this trace is likely a typo. */
	for (unsigned i = 0; i < expect->n; i++) {
		const struct expect_item *it = &expect->items[i];
		bool any = false;
		for (unsigned k = 0; k < res.n_devices && !any; k++)
			any = expect_selects(it, res.devices[k].name, res.devices[k].base, res.devices[k].device_id);
		if (!any)
			warning("%s '%s' names no device of %s", it->origin, it->text, path);
	}
	if (json)
		replay_print_json(stdout, &res);
	else if (quiet) {
		fprintf(stdout, "%s: %s%s, %" PRIu64 " divergence%s", path, replay_verdict(&res),
			res.registers_only ? " (registers only)" : "", res.divergences, res.divergences == 1 ? "" : "s");
		if (res.not_replayed)
			fprintf(stdout, ", %u device%s not replayed", res.not_replayed, res.not_replayed == 1 ? "" : "s");
		if (res.devices_unverified)
			fprintf(stdout, ", %u device%s unverified from a torn copy", res.devices_unverified,
				res.devices_unverified == 1 ? "" : "s");
		if (res.n_divs)
			fprintf(stdout, " (first at seq %" PRIu64 ": %s %s)", res.divs[0].seq, res.divs[0].kind, res.divs[0].where);
		fputc('\n', stdout);
	} else
		replay_print_text(stdout, &res, opts.keep_going);
	/* A divergence is a finding about the devices that were replayed and
	 * wins; without one, a trace with devices left out was not replayed
	 * in full: exit 2 ("cannot replay"), each reason on stderr. */
	status = res.divergences ? 1 : res.not_replayed ? EXIT_USAGE : 0;
	for (unsigned k = 0; k < res.n_devices; k++) {
		const struct replay_device_info *di = &res.devices[k];
		if (di->model[0] || di->empty)
			continue;
		if (status == EXIT_USAGE)
			error("cannot replay %s: %s", di->name, di->why_not);
		else
			warning("%s was not replayed: %s", di->name, di->why_not);
	}
	replay_result_free(&res);
out:
	free(expect);
	return status;
}
