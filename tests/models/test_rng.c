/* virtio-rng model: no config, deterministic bytes per seed, every
 * writable buffer filled, the per-chain cap, reset restarting the stream. */
#include "capture/emu/dev_rng.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/models/model_util.h"

#define ALL UINT64_MAX

/* Ask for len bytes in one buffer; copy what came back into out. */
static uint32_t rng_get(struct tdev *t, uint8_t *out, uint32_t len)
{
	uint64_t b = tdev_alloc(t, len);
	struct rb_seg s[] = { { b, len, true } };
	uint32_t id, used = 0;

	tdev_submit(t, 0, s, 1);
	tdev_notify(t, 0);
	CHECK_EQ_U(tdev_used(t, 0, &id, &used), 1);
	if (used <= len)
		tdev_get(t, b, out, used);
	return used;
}

static void expect_stream(const uint8_t *got, size_t len, uint64_t seed)
{
	uint8_t want[256];
	struct dev_rng_gen g;

	CHECK(len <= sizeof(want));
	dev_rng_gen_seed(&g, seed);
	dev_rng_gen_fill(&g, want, len);
	CHECK(memcmp(got, want, len) == 0);
}

static void test_config(void)
{
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, NULL, ALL), 0);
	CHECK_EQ_U(tdev_read(&t, MMIO_DEVICE_ID, 4), VIRTIO_ID_ENTROPY);
	CHECK_EQ_U(emu_device_model(t.d)->config_size, 0);
	CHECK_EQ_U(emu_device_model(t.d)->num_queues, 1);
	/* Transport bits only: no device feature bits (0..23). */
	uint64_t f = tdev_features(&t);
	CHECK_EQ_U(f & 0xffffff, 0);
	CHECK(f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

static void test_stream(void)
{
	struct tdev t;
	uint8_t got[256];
	struct dev_rng_opts o = { .seed = 42 };

	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, &o, ALL), 0);
	/* Chains continue the stream: 5 + 64 + 3 bytes are its first 72. */
	CHECK_EQ_U(rng_get(&t, got, 5), 5);
	CHECK_EQ_U(rng_get(&t, got + 5, 64), 64);
	CHECK_EQ_U(rng_get(&t, got + 69, 3), 3);
	expect_stream(got, 72, 42);
	CHECK_EQ_U(tdev_ack(&t), VIRTIO_MMIO_INT_VRING);

	/* Several writable descriptors, each filled entirely. */
	uint64_t a = tdev_alloc(&t, 7), b = tdev_alloc(&t, 9), c = tdev_alloc(&t, 16);
	struct rb_seg s[] = { { a, 7, true }, { b, 9, true }, { c, 16, true } };
	uint32_t id, len;
	tdev_submit(&t, 0, s, 3);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(len, 32);
	tdev_get(&t, a, got + 72, 7);
	tdev_get(&t, b, got + 79, 9);
	tdev_get(&t, c, got + 88, 16);
	expect_stream(got, 104, 42);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

static void test_determinism(void)
{
	uint8_t x[128], y[128], z[128], w[128];
	struct dev_rng_opts o = { .seed = 7 };
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, &o, ALL), 0);
	rng_get(&t, x, sizeof(x));
	tdev_close(&t);
	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 1, &o, ALL), 0);
	rng_get(&t, y, sizeof(y));
	tdev_close(&t);
	CHECK(memcmp(x, y, sizeof(x)) == 0);

	o.seed = 8;
	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, &o, ALL), 0);
	rng_get(&t, z, sizeof(z));
	tdev_close(&t);
	CHECK(memcmp(x, z, sizeof(x)) != 0);

	/* Seed 0 means the documented default. */
	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, NULL, ALL), 0);
	rng_get(&t, w, sizeof(w));
	tdev_close(&t);
	expect_stream(w, sizeof(w), DEV_RNG_SEED_DEFAULT);
	expect_stream(w, sizeof(w), 0);
	/* And the bytes look like noise, not a constant. */
	unsigned same = 0;
	for (size_t i = 1; i < sizeof(w); i++)
		same += w[i] == w[i - 1];
	CHECK(same < 8);
}

/* DEV_RNG_CHAIN_MAX bytes per chain; a larger buffer gets that many. */
static void test_cap(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, NULL, ALL), 0);
	for (uint32_t n = DEV_RNG_CHAIN_MAX; n <= DEV_RNG_CHAIN_MAX + 1; n++) {
		uint64_t b = tdev_alloc(&t, n);
		struct rb_seg s[] = { { b, n, true } };
		tdev_submit(&t, 0, s, 1);
		tdev_notify(&t, 0);
		CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
		CHECK_EQ_U(len, DEV_RNG_CHAIN_MAX);
		if (n > DEV_RNG_CHAIN_MAX)
			CHECK_EQ_U(tdev_ptr(&t, b + DEV_RNG_CHAIN_MAX, 1)[0], 0);
	}
	tdev_close(&t);
}

/* Readable buffers do not belong in an entropy request: reported, and the
 * writable part is still filled; a chain with no writable byte gets 0. */
static void test_malformed(void)
{
	struct tdev t;
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, NULL, ALL), 0);
	uint64_t r = tdev_alloc(&t, 8), w = tdev_alloc(&t, 8);
	struct rb_seg s[] = { { r, 8, false }, { w, 8, true } };
	tdev_submit(&t, 0, s, 2);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(len, 8);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 1);
	CHECK_EQ_U(tdev_ptr(&t, r, 1)[0], 0);
	struct rb_seg s2[] = { { r, 8, false } };
	tdev_submit(&t, 0, s2, 1);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(len, 0);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 2);
	CHECK(!emu_device_broken(t.d));
	tdev_close(&t);
}

/* After a reset the stream starts again from the seed. */
static void test_reset(void)
{
	uint8_t a[32], b[32];
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_rng, 2, NULL, ALL), 0);
	rng_get(&t, a, sizeof(a));
	tdev_write(&t, MMIO_STATUS, 4, 0);
	tdev_reinit(&t, ALL);
	rng_get(&t, b, sizeof(b));
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	tdev_close(&t);
}

int main(void)
{
	RUN(test_config);
	RUN(test_stream);
	RUN(test_determinism);
	RUN(test_cap);
	RUN(test_malformed);
	RUN(test_reset);
	return harness_finish("test_rng");
}
