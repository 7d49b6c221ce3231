/* Benchmark: emulator accesses per second with recording on and off,
 * measured in the same run on the same workload. Recording must cost less
 * than 2x (issue: foundation). Prints both rates and the ratio; exits 1 if
 * the ratio is 2 or more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/driver/rig.h"
#include "capture/driver/workload.h"
#include "capture/emu/machine.h"
#include "capture/rawtrace.h"

#define ROUNDS 5
#define PASSES 10

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One full run of all four devices; returns seconds, or -1. */
static double run_once(const char *trace_path, uint64_t *events)
{
	static const char *const devs[] = { "blk", "net", "console", "rng" };
	struct rig_cfg cfg = { .n_devices = 4, .seed = 1 };
	struct rawtrace_meta meta = { .source = VMT_SRC_EMU };
	struct rawtrace_write_opts wo = { 0 };
	struct rawtrace_writer *w = NULL;
	struct machine *m;
	struct drv_bus bus;
	struct drv_wl_opts o;
	char err[256];

	for (unsigned i = 0; i < 4; i++)
		cfg.devices[i] = devs[i];
	if (rig_build(&m, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_emu: %s\n", err);
		return -1;
	}
	drv_wl_opts_init(&o);
	if (drv_wl_opts_parse(&o, "blk:sectors=2048,requests=256;net:frames=2048,batch=8;console:lines=64;"
			      "rng:requests=256,bytes=4096;queue:size=256", err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_emu: %s\n", err);
		machine_free(m);
		return -1;
	}
	if (trace_path) {
		if (rawtrace_writer_open(&w, trace_path, &meta, &wo) < 0) {
			fprintf(stderr, "bench_emu: unable to create '%s'\n", trace_path);
			machine_free(m);
			return -1;
		}
		machine_set_recorder(m, w);
	}
	double t0 = now();
	/* Each pass resets the devices and sets them up anew (the driver's
	 * allocator starts over with a new bus). */
	for (unsigned i = 0; i < 4 * PASSES; i++) {
		struct drv_report r;
		if (i % 4 == 0)
			rig_bus(&bus, m);
		if (drv_run_device(&bus, rig_device_base(i % 4), &o, &r) != 0) {
			fprintf(stderr, "bench_emu: %s workload failed: %s\n", devs[i % 4], r.msg);
			machine_free(m);
			rawtrace_writer_close(w, 0, "failed");
			return -1;
		}
	}
	if (w) {
		*events = rawtrace_writer_events(w);
		if (rawtrace_writer_close(w, 0, "normal") < 0)
			return -1;
	}
	double t = now() - t0;
	machine_free(m);
	return t;
}

int main(void)
{
	char path[256];
	const char *dir = getenv("TMPDIR");
	uint64_t events = 0;
	double best_on = 1e9, best_off = 1e9;

	snprintf(path, sizeof(path), "%s/vmtrace-bench-emu-%d.vmt", dir && *dir ? dir : "/tmp", (int)getpid());
	/* Alternate the two so load on the machine hits both alike; keep the best. */
	for (int r = 0; r < ROUNDS; r++) {
		double off = run_once(NULL, NULL);
		double on = run_once(path, &events);
		if (off < 0 || on < 0) {
			unlink(path);
			return 1;
		}
		if (off < best_off)
			best_off = off;
		if (on < best_on)
			best_on = on;
	}
	unlink(path);
	double ratio = best_on / best_off;
	printf("emulator workload: %llu recorded events per run (register accesses, memory stores, interrupts)\n",
	       (unsigned long long)events);
	printf("recording off: %.0f events/s (%.4f s)\n", events / best_off, best_off);
	printf("recording on:  %.0f events/s (%.4f s)\n", events / best_on, best_on);
	printf("cost of recording: %.2fx (must be < 2x)\n", ratio);
	return ratio < 2.0 ? 0 : 1;
}
