/* vmtrace diff [options] A.db B.db: where two recordings of the same
 * thing part ways (docs/diff.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/expect_opt.h"
#include "cli/diff_print.h"
#include "cli/json.h"
#include "cli/util.h"
#include "diff/diff.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace diff [options] A.db B.db\n"
		"\n"
		"Compare two recordings (any sources: the built-in emulator, QEMU, BPF) and\n"
		"say where they part ways: for each pair of devices, the first divergence\n"
		"with the events up to it on both sides and both devices' state there,\n"
		"then every differing segment, and what each side negotiated, requested\n"
		"and violated.\n"
		"\n"
		"Devices are paired by type and order of discovery. Each device's register\n"
		"accesses, interrupts and violations are compared as one stream, each\n"
		"queue's requests as another; times are ignored, and ring addresses are\n"
		"compared by the order they first appear, so two boots with rings at other\n"
		"addresses still align. Status writes and queue set-ups are aligned first;\n"
		"after a difference the comparison picks up again, so one extra access does\n"
		"not make everything after it differ (vmtrace-diff(1)).\n"
		"\n"
		"options:\n"
		"  -C, --context K        events shown before the divergence on each side\n"
		"                         (0-100, default 3)\n"
		"  -x, --expect DECL      a known difference, left out of the comparison\n"
		"                         (repeatable; replay's declarations): [DEVICE:]WHAT,\n"
		"                         WHAT a register name (its values are not compared),\n"
		"                         config[+OFF], queueN, interrupts, violations, used\n"
		"                         (request length and status), buffers (request\n"
		"                         data) or all\n"
		"  -X, --expect-file FILE\n"
		"                         declarations, one per line, '#' comments\n"
		"      --map A_BASE=B_BASE\n"
		"                         pair these two devices (repeatable)\n"
		"      --device DEV       only this device of A (name, base or type) and its\n"
		"                         pair\n"
		"      --first            stop each device at its first divergence (lockstep;\n"
		"                         no segments or summaries)\n"
		"      --json             print one JSON object (vmtrace-diff(1), JSON)\n"
		"  -q, --quiet            print only the summary line\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 the traces are the same (declared differences aside), 1\n"
		"they differ, 2 an error (a file that is not a trace.db, a damaged row, a\n"
		"bad argument, a report that could not be written).\n"
		"\n"
		"Examples:\n"
		"  vmtrace diff good.db bad.db\n"
		"  vmtrace diff -x VendorID -x DeviceFeatures qemu-7.db qemu-8.db\n"
		"  vmtrace diff --map 0xfeb00e00=0xa003e00 --json x86.db arm.db\n");
}

static int parse_map(const char *s, struct diff_opts *o)
{
	char a[64], *eq, *end;

	if (o->n_map >= DIFF_MAPS_MAX)
		return usage_error("--map: at most %d pairs", DIFF_MAPS_MAX);
	snprintf(a, sizeof(a), "%s", s);
	if (!(eq = strchr(a, '=')))
		return usage_error("--map wants A_BASE=B_BASE, not '%s'", s);
	*eq = '\0';
	o->map[o->n_map].a = strtoull(a, &end, 0);
	if (!a[0] || *end)
		return usage_error("--map: '%s' is not a device base", a);
	o->map[o->n_map].b = strtoull(eq + 1, &end, 0);
	if (!eq[1] || *end)
		return usage_error("--map: '%s' is not a device base", eq + 1);
	o->n_map++;
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	enum { OPT_MAP = 256, OPT_DEVICE, OPT_FIRST, OPT_JSON };
	static const struct option longopts[] = {
		{ "context", required_argument, NULL, 'C' },
		{ "expect", required_argument, NULL, 'x' },
		{ "expect-file", required_argument, NULL, 'X' },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "first", no_argument, NULL, OPT_FIRST },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_expect *expect = calloc(1, sizeof(*expect));
	struct diff_opts opts = { .context = DIFF_CONTEXT_DEFAULT };
	struct diff_result res;
	bool json = false, quiet = false;
	char err[512];
	int c, status = EXIT_USAGE;
	uint64_t v;

	if (!expect) {
		error("out of memory");
		return EXIT_USAGE;
	}
	opts.expect = expect;
	optind = 1;
	while ((c = getopt_long(argc, argv, "C:x:X:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			if (parse_u64(optarg, 0, DIFF_CONTEXT_MAX, &v) < 0) {
				usage_error("--context wants 0 to %d events, not '%s'", DIFF_CONTEXT_MAX, optarg);
				goto out;
			}
			opts.context = (unsigned)v;
			break;
		case 'x':
		case 'X':
			if (cli_expect_option(expect, c, optarg))
				goto out;
			break;
		case OPT_MAP:
			if (parse_map(optarg, &opts))
				goto out;
			break;
		case OPT_DEVICE:
			opts.device = optarg;
			break;
		case OPT_FIRST:
			opts.first = true;
			break;
		case OPT_JSON:
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
	if (argc - optind != 2) {
		if (argc - optind < 2)
			usage_error("two traces to compare, A.db and B.db");
		else
			usage_error("two traces at a time ('%s' is extra)", argv[optind + 2]);
		goto out;
	}
	const char *path_a = argv[optind], *path_b = argv[optind + 1];
	if (diff_run(path_a, path_b, &opts, &res, err, sizeof(err)) < 0) {
		if (json)
			json_error(stdout, err);
		error("%s", err);
		diff_result_free(&res);
		goto out;
	}
	/* A declaration or --device naming no device of either trace is
	 * most likely a typo. */
	for (unsigned i = 0; i < expect->n; i++) {
		const struct expect_item *it = &expect->items[i];
		bool any = false;
		for (size_t k = 0; k < res.n_pairs && !any; k++) {
			const struct diff_pair *p = &res.pairs[k];
			any = (p->has_a && expect_selects(it, p->a.name, p->a.base, p->a.device_id < 0 ? 0 : (uint32_t)p->a.device_id)) ||
			      (p->has_b && expect_selects(it, p->b.name, p->b.base, p->b.device_id < 0 ? 0 : (uint32_t)p->b.device_id));
		}
		if (!any)
			warning("%s '%s' names no device of %s or %s", it->origin, it->text, path_a, path_b);
	}
	if (opts.device && !res.n_pairs) {
		error("--device '%s' names no device of %s or %s", opts.device, path_a, path_b);
		diff_result_free(&res);
		goto out;
	}
	if (json)
		diff_print_json(stdout, &res, expect);
	else if (quiet)
		diff_print_summary(stdout, &res);
	else
		diff_print_text(stdout, &res, expect);
	status = res.different ? EXIT_FAIL : 0;
	diff_result_free(&res);
out:
	free(expect);
	return status;
}
