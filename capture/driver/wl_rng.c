/* virtio-rng (entropy) workload: requests of varied sizes, each one
 * device-writable buffer; every request must return between 1 and the
 * requested number of bytes, and the bytes must not all be zero. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "capture/driver/workload.h"
#include "virtio/virtio.h"

/* Options: --workload rng:requests=N,bytes=N. */
enum { RNG_OPT_REQUESTS, RNG_OPT_BYTES };
static const struct drv_wl_key rng_keys[] = {
	[RNG_OPT_REQUESTS] = { "requests", 1, 256, 4, "requests for random bytes" },
	[RNG_OPT_BYTES] = { "bytes", 1, 65536, 64, "about N bytes per request" },
};
/* This workload (end of file): its options are read through it. */
extern const struct drv_workload drv_wl_rng;

static int rng_read_config(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	/* The entropy device has no configuration space. */
	return 0;
}

/* Size of request i: cycles through B, B/4, 2B, B/2 (at least 1 byte, at
 * most 64 KiB), so short and long requests both occur. */
static uint32_t rng_size(const struct drv_wl_opts *o, unsigned i)
{
	static const unsigned num[] = { 4, 1, 8, 2 };
	uint64_t v = (uint64_t)drv_wl_opt(o, &drv_wl_rng, RNG_OPT_BYTES) * num[i % 4] / 4;

	if (v == 0)
		v = 1;
	return v > 65536 ? 65536 : (uint32_t)v;
}

static int rng_run(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	uint64_t buf = drv_mem_alloc(d, 65536, 16);
	uint64_t total = 0, nonzero = 0;
	unsigned requests = drv_wl_opt(o, &drv_wl_rng, RNG_OPT_REQUESTS), bytes = drv_wl_opt(o, &drv_wl_rng, RNG_OPT_BYTES);
	uint8_t *got = malloc(65536);
	int r = 0;

	if (!buf || !got) {
		free(got);
		return buf ? drv_error(d, -ENOMEM, "out of memory") : -ENOMEM;
	}
	drv_marker(d, "rng: %u request%s of about %u byte%s", requests, drv_plural(requests), bytes, drv_plural(bytes));
	for (unsigned i = 0; i < requests && r == 0; i++) {
		struct drv_sg sg = { buf, rng_size(o, i) };
		uint32_t len;

		r = drv_transact(d, 0, &sg, 0, 1, &len);
		if (r != 0)
			break;
		if (len == 0)
			r = drv_error(d, DRV_E_VERIFY, "request %u (%u bytes) returned no bytes", i, sg.len);
		else
			r = drv_mem_read(d, buf, got, len);
		for (uint32_t k = 0; r == 0 && k < len; k++)
			nonzero += got[k] != 0;
		total += len;
	}
	if (r == 0 && nonzero == 0)
		r = drv_error(d, DRV_E_VERIFY, "all %llu bytes returned are zero", (unsigned long long)total);
	if (r == 0)
		drv_marker(d, "rng: %llu byte%s received", (unsigned long long)total, drv_plural(total));
	free(got);
	return r;
}

const struct drv_workload drv_wl_rng = {
	.name = "rng",
	.device_id = VIRTIO_ID_ENTROPY,
	.summary = "read random bytes, check lengths and that they are not all zero",
	.keys = rng_keys,
	.n_keys = sizeof(rng_keys) / sizeof(rng_keys[0]),
	.n_queues = 1,
	.features = 0,
	.state_size = 0,
	.read_config = rng_read_config,
	.run = rng_run,
};
