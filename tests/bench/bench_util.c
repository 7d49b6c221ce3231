/* Benchmark helpers. */
#include "tests/bench/bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "capture/driver/rig.h"
#include "capture/driver/workload.h"
#include "capture/emu/machine.h"
#include "capture/rawtrace.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double bench_emu_run(const char *trace_path, unsigned passes, uint64_t *events)
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
	double t0 = bench_now();
	/* Each pass resets the devices and sets them up anew (the driver's
	 * allocator starts over with a new bus). */
	for (unsigned i = 0; i < 4 * passes; i++) {
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
	double t = bench_now() - t0;
	machine_free(m);
	return t;
}

const char *bench_tmp(const char *name)
{
	static char buf[4][512];
	static unsigned next;
	const char *dir = getenv("TMPDIR");
	char *out = buf[next++ % 4];

	snprintf(out, sizeof(buf[0]), "%s/vmtrace-bench-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(), name);
	return out;
}

void bench_remove_db(const char *path)
{
	static const char *const sides[] = { "-wal", "-shm", "-journal" };
	char side[600];

	unlink(path);
	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", path, sides[i]);
		unlink(side);
	}
}
