/* Raw trace write throughput against a plain buffered fwrite of the same
 * number of bytes, in one run.  Writes N emulator-like MMIO events (argv[1],
 * default 5M) through rawtrace_writer, then the same count of fixed records
 * of the same average size through fwrite; repeats both three times,
 * alternating, and keeps the best of each (the machines are noisy).  Exits
 * 1 if the raw trace writer is slower than half the fwrite rate. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define ROUNDS 3
#define RATIO_MIN 0.5

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The i-th event of a plausible emulator session: four devices, register
 * offsets and 32-bit values, 50..177 ns apart. */
static inline void gen(struct vmt_event *e, uint64_t i, uint64_t *ts)
{
	static const uint32_t regs[] = { MMIO_STATUS, MMIO_QUEUE_NOTIFY, MMIO_INTERRUPT_STATUS,
		MMIO_INTERRUPT_ACK, MMIO_QUEUE_SEL, MMIO_QUEUE_NUM, MMIO_CONFIG + 4, MMIO_DEVICE_FEATURES };
	uint32_t h = (uint32_t)i * 2654435761u;

	*ts += 50 + (h >> 25);
	e->ts_ns = *ts;
	e->type = VMT_EV_MMIO;
	e->source = VMT_SRC_EMU;
	e->dir = (uint8_t)(h >> 31);
	e->width = 4;
	e->base = 0x10000000u + 0x1000u * ((i >> 6) & 3);
	e->addr = regs[(h >> 13) & 7];
	e->value = (h >> 29) ? (h & 0xff) : h;
}

static double run_rawtrace(const char *path, uint64_t n, uint64_t *bytes)
{
	struct rawtrace_writer *w = NULL;
	struct vmt_event e = { 0 };
	uint64_t ts = 0;
	double t0;
	int r;

	t0 = now_s();
	r = rawtrace_writer_open(&w, path, NULL, NULL);
	if (r < 0) {
		fprintf(stderr, "bench_rawtrace: unable to create '%s': %s\n", path, strerror(-r));
		exit(2);
	}
	for (uint64_t i = 0; i < n; i++) {
		gen(&e, i, &ts);
		if (rawtrace_writer_append(w, &e, NULL) < 0)
			break;
	}
	*bytes = rawtrace_writer_bytes(w);
	r = rawtrace_writer_close(w, 0, "normal");
	if (r < 0) {
		fprintf(stderr, "bench_rawtrace: writing '%s' failed: %s\n", path, strerror(-r));
		exit(2);
	}
	return now_s() - t0;
}

/* The same events, each serialized into a fixed record of rec bytes
 * (fields cut to fit) and handed to fwrite one by one. */
static double run_fwrite(const char *path, uint64_t n, size_t rec)
{
	struct vmt_event e = { 0 };
	uint8_t full[32], out[32];
	uint64_t ts = 0;
	double t0;
	FILE *f;

	t0 = now_s();
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "bench_rawtrace: unable to create '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	for (uint64_t i = 0; i < n; i++) {
		gen(&e, i, &ts);
		le64_put(full, e.ts_ns);
		full[8] = e.type;
		full[9] = e.dir;
		full[10] = e.width;
		full[11] = e.source;
		le32_put(full + 12, (uint32_t)e.addr);
		le64_put(full + 16, e.value);
		le64_put(full + 24, e.base);
		memcpy(out, full, rec);
		if (fwrite(out, rec, 1, f) != 1)
			break;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "bench_rawtrace: writing '%s' failed: %s\n", path, strerror(errno));
		exit(2);
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	uint64_t n = 5000000, bytes = 0;
	double best_raw = 1e9, best_fw = 1e9;
	const char *dir = getenv("TMPDIR");
	char path[512];
	size_t rec;

	if (argc > 1)
		n = strtoull(argv[1], NULL, 10);
	if (n == 0)
		n = 1;
	snprintf(path, sizeof(path), "%s/vmtrace-bench-%d.vmt", dir && *dir ? dir : "/tmp", (int)getpid());

	/* First a rawtrace run fixes the byte count the fwrite side matches. */
	for (int round = 0; round < ROUNDS; round++) {
		double t = run_rawtrace(path, n, &bytes);
		if (t < best_raw)
			best_raw = t;
		rec = (size_t)((bytes + n / 2) / n);
		if (rec < 1)
			rec = 1;
		if (rec > 32)
			rec = 32;
		t = run_fwrite(path, n, rec);
		if (t < best_fw)
			best_fw = t;
	}
	unlink(path);

	double raw_eps = (double)n / best_raw, fw_eps = (double)n / best_fw;
	double ratio = raw_eps / fw_eps;
	printf("events: %llu, raw trace %llu bytes (%.2f bytes/event), fwrite records of %zu bytes\n",
	       (unsigned long long)n, (unsigned long long)bytes, (double)bytes / (double)n, rec);
	printf("rawtrace_writer: %8.2f M events/s %8.1f MB/s  (best of %d: %.3f s)\n",
	       raw_eps / 1e6, (double)bytes / best_raw / 1e6, ROUNDS, best_raw);
	printf("fwrite:          %8.2f M events/s %8.1f MB/s  (best of %d: %.3f s)\n",
	       fw_eps / 1e6, (double)n * (double)rec / best_fw / 1e6, ROUNDS, best_fw);
	printf("ratio rawtrace/fwrite: %.2f (required >= %.2f)\n", ratio, RATIO_MIN);
	if (ratio < RATIO_MIN) {
		fprintf(stderr, "bench_rawtrace: raw trace writer too slow: %.2f x fwrite\n", ratio);
		return 1;
	}
	return 0;
}
