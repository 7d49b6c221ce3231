/* Benchmark (issue 15): export rate against decode rate, both in events
 * of the trace per CPU second of this process, measured in the same run
 * on the same trace (best of ROUNDS each, the rounds alternating decode,
 * pcapng export and Perfetto export).  The trace is the benchmarks' heavy
 * emulator workload (bench_emu_run, PASSES passes).  Each export must be
 * at least as fast as the decode: prints the rates and the ratios, exits
 * 1 when one is below 1.0.  CPU time, as bench_replay says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "decoder/decode_file.h"
#include "export/export_perfetto.h"
#include "export/export_wireshark.h"
#include "tests/bench/bench_util.h"
#include "tracedb/tdb_open.h"

#define PASSES 6
#define ROUNDS 3

enum { PCAPNG, PERFETTO, N_EXPORTS };
static const char *const names[N_EXPORTS] = { "pcapng", "perfetto" };

/* One export of db into out_path; its CPU seconds into *cpu. */
static int export_once(const char *db, int which, const char *out_path, double *cpu, struct export_summary *s)
{
	struct export_opts o = { .device = -1, .data_max = EXPORT_DATA_MAX_DEFAULT };
	char err[512];
	struct tdb *t;
	FILE *f;
	int r;

	if (tdb_open(&t, db, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_export: %s\n", err);
		return -1;
	}
	if (!(f = fopen(out_path, "wb"))) {
		tdb_close(t);
		return -1;
	}
	double c0 = bench_cpu_now();
	r = which == PCAPNG ? export_wireshark(t, &o, EXPORT_PCAPNG, f, s, err, sizeof(err))
			    : export_perfetto(t, &o, f, s, err, sizeof(err));
	if (r == 0 && fflush(f) != 0)
		r = -1;
	*cpu = bench_cpu_now() - c0;
	fclose(f);
	tdb_close(t);
	if (r)
		fprintf(stderr, "bench_export: %s export: %s\n", names[which], err);
	return r ? -1 : 0;
}

int main(void)
{
	const char *raw = bench_tmp("export.vmt"), *db = bench_tmp("export.db"), *out = bench_tmp("export.out");
	struct decoder_opts dopts = { .store_memory = true };
	struct decode_result dres;
	double dec = 1e9, exp_cpu[N_EXPORTS] = { 1e9, 1e9 };
	uint64_t events = 0;
	char err[512];
	int status = 1;

	if (bench_emu_run(raw, PASSES, &events) < 0)
		goto cleanup;
	for (int round = 0; round < ROUNDS; round++) {
		bench_remove_db(db);
		double c0 = bench_cpu_now();
		if (decode_file(raw, db, &dopts, NULL, NULL, &dres, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_export: decode: %s\n", err);
			goto cleanup;
		}
		double c = bench_cpu_now() - c0;
		dec = c < dec ? c : dec;
		for (int k = 0; k < N_EXPORTS; k++) {
			struct export_summary s = { 0 };
			if (export_once(db, k, out, &c, &s) < 0)
				goto cleanup;
			exp_cpu[k] = c < exp_cpu[k] ? c : exp_cpu[k];
		}
	}
	double dec_rate = dres.stats.events / dec;
	printf("trace: %llu events (emulator, blk, net, console and rng, %d passes)\n",
	       (unsigned long long)dres.stats.events, PASSES);
	printf("decode:          %10.0f events/s (%.3f s CPU)\n", dec_rate, dec);
	status = 0;
	for (int k = 0; k < N_EXPORTS; k++) {
		double rate = dres.stats.events / exp_cpu[k];
		printf("export %-8s: %10.0f events/s (%.3f s CPU), export / decode %.2f (must be >= 1.0)\n", names[k], rate,
		       exp_cpu[k], rate / dec_rate);
		if (rate < dec_rate)
			status = 1;
	}
cleanup:
	bench_remove_db(db);
	unlink(raw);
	unlink(out);
	return status;
}
