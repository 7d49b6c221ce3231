/* Benchmark: replay rate against decode rate, both in events per second,
 * measured in the same run on the same trace (best of ROUNDS each, the
 * rounds alternating decode and replay).
 *
 * The trace is the benchmarks' heavy emulator workload (bench_util.c's
 * device mix and sizes, PASSES passes, about a million events), recorded
 * here rather than through bench_emu_run() because replay needs the
 * metadata `vmtrace record --emu` writes (RAM, device table, rng seed).
 * It is decoded into a trace.db (timed), then replayed with replay_run()
 * (timed); the replay must match the recording exactly, or its rate would
 * measure nothing.  Replay must be at least as fast as decoding: prints
 * both rates and the ratio replay/decode, exits 1 below 1.0.
 *
 * Both are timed in CPU seconds of this process (each is one thread of
 * it): on a shared machine elapsed time also counts the waits for a CPU
 * and, for the decode, for the kernel writing back the ~300 MB it wrote,
 * which swung the elapsed ratio from 0.76 to 1.65 between runs of the
 * same code while the CPU ratio stayed within a few percent.  Elapsed
 * seconds are printed too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capture/driver/rig.h"
#include "capture/driver/workload.h"
#include "capture/emu/machine.h"
#include "capture/rawtrace.h"
#include "decoder/decode_file.h"
#include "replay/replay.h"
#include "tests/bench/bench_util.h"

#define PASSES 20
#define ROUNDS 3
#define SEED 1
#define WORKLOAD "blk:sectors=2048,requests=256;net:frames=2048,batch=8;console:lines=64;" \
	"rng:requests=256,bytes=4096;queue:size=256"

/* Record `passes` passes of WORKLOAD on blk, net, console and rng into
 * raw_path with the metadata of `vmtrace record --emu` that replay reads.
 * Returns 0 with *events set, or -1 with a message printed. */
static int record(const char *raw_path, unsigned passes, uint64_t *events)
{
	static const char *const devs[] = { "blk", "net", "console", "rng" };
	struct rig_cfg cfg = { .n_devices = 4, .seed = SEED };
	struct rawtrace_meta meta = { .source = VMT_SRC_EMU, .ram_base = RIG_RAM_BASE, .ram_size = RIG_RAM_SIZE };
	struct rawtrace_write_opts wo = { 0 };
	struct rawtrace_writer *w = NULL;
	struct machine *m = NULL;
	struct drv_bus bus;
	struct drv_wl_opts o;
	char err[256], seed[32];
	int r = -1;

	for (unsigned i = 0; i < 4; i++)
		cfg.devices[i] = devs[i];
	if (rig_build(&m, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return -1;
	}
	drv_wl_opts_init(&o);
	o.seed = SEED;
	if (drv_wl_opts_parse(&o, WORKLOAD, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_replay: %s\n", err);
		goto cleanup;
	}
	for (unsigned i = 0; i < machine_device_count(m); i++) {
		struct vmt_device_desc d;
		machine_device_desc(m, i, &d);
		if (rawtrace_meta_add_device(&meta, &d) < 0)
			goto cleanup;
	}
	snprintf(seed, sizeof(seed), "%d", SEED);
	if (rawtrace_meta_set(&meta, "seed", seed) < 0 || rawtrace_meta_set(&meta, "command", "bench_replay") < 0)
		goto cleanup;
	if (rawtrace_writer_open(&w, raw_path, &meta, &wo) < 0) {
		fprintf(stderr, "bench_replay: unable to create '%s'\n", raw_path);
		goto cleanup;
	}
	machine_set_recorder(m, w);
	/* Each pass resets the devices and sets them up anew. */
	for (unsigned i = 0; i < 4 * passes; i++) {
		struct drv_report rep;
		if (i % 4 == 0)
			rig_bus(&bus, m);
		if (drv_run_device(&bus, rig_device_base(i % 4), &o, &rep) != 0) {
			fprintf(stderr, "bench_replay: %s workload failed: %s\n", devs[i % 4], rep.msg);
			goto cleanup;
		}
	}
	*events = rawtrace_writer_events(w);
	r = rawtrace_writer_close(w, 0, "normal") < 0 ? -1 : 0;
	w = NULL;
cleanup:
	if (w)
		rawtrace_writer_close(w, 0, "failed");
	machine_free(m);
	rawtrace_meta_clear(&meta);
	return r;
}

/* One replay of db, checked to be identical to a decode of events_decoded
 * events. Returns 0 with *replayed, or -1 with a message printed. */
static int replay_once(const char *db, uint64_t events_decoded, uint64_t *replayed)
{
	struct replay_opts ropts = { .until = UINT64_MAX };
	struct replay_result res;
	char err[512];
	int rc = replay_run(db, &ropts, &res, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "bench_replay: replay: %s\n", err);
		replay_result_free(&res);
		return -1;
	}
	if (res.divergences || res.events_replayed != res.events_total || res.events_total != events_decoded) {
		fprintf(stderr, "bench_replay: the replay of an emulator trace must be identical: %llu divergences, "
			"%llu of %llu events replayed (%llu decoded)%s%s\n",
			(unsigned long long)res.divergences, (unsigned long long)res.events_replayed,
			(unsigned long long)res.events_total, (unsigned long long)events_decoded,
			res.n_divs ? "; first: " : "", res.n_divs ? res.divs[0].where : "");
		replay_result_free(&res);
		return -1;
	}
	*replayed = res.events_replayed;
	replay_result_free(&res);
	return 0;
}

int main(void)
{
	const char *raw = bench_tmp("replay.vmt");
	const char *db = bench_tmp("replay.db");
	struct decoder_opts dopts = { .store_memory = true };
	struct decode_result dres;
	uint64_t events = 0, replayed = 0;
	/* best CPU and best wall-clock seconds of each */
	double dec_cpu = 1e9, rep_cpu = 1e9, dec_wall = 1e9, rep_wall = 1e9;
	char err[512];
	int status = 1;

	if (record(raw, PASSES, &events) < 0)
		goto cleanup;
	/* Rounds alternate, so that both see the machine in the same state. */
	for (int r = 0; r < ROUNDS; r++) {
		bench_remove_db(db);
		double w0 = bench_now(), c0 = bench_cpu_now();
		if (decode_file(raw, db, &dopts, NULL, NULL, &dres, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_replay: decode: %s\n", err);
			goto cleanup;
		}
		double c = bench_cpu_now() - c0, w = bench_now() - w0;
		dec_cpu = c < dec_cpu ? c : dec_cpu;
		dec_wall = w < dec_wall ? w : dec_wall;
		w0 = bench_now();
		c0 = bench_cpu_now();
		if (replay_once(db, dres.stats.events, &replayed) < 0)
			goto cleanup;
		c = bench_cpu_now() - c0;
		w = bench_now() - w0;
		rep_cpu = c < rep_cpu ? c : rep_cpu;
		rep_wall = w < rep_wall ? w : rep_wall;
	}
	double dec_rate = dres.stats.events / dec_cpu, rep_rate = replayed / rep_cpu;
	printf("trace: %llu events (emulator, blk, net, console and rng, %d passes), replayed identically\n",
	       (unsigned long long)dres.stats.events, PASSES);
	printf("decode: %.0f events/s (%.3f s CPU, %.3f s elapsed; raw trace -> trace.db with memory payloads)\n", dec_rate,
	       dec_cpu, dec_wall);
	printf("replay: %.0f events/s (%.3f s CPU, %.3f s elapsed; trace.db -> emulator, every device action compared)\n",
	       rep_rate, rep_cpu, rep_wall);
	printf("replay / decode: %.2f in CPU time (must be >= 1.0); %.2f elapsed (not judged)\n", rep_rate / dec_rate,
	       dec_wall / rep_wall);
	status = rep_rate / dec_rate >= 1.0 ? 0 : 1;
cleanup:
	bench_remove_db(db);
	unlink(raw);
	return status;
}
