/* The decoder's shadow memory against a plain byte-per-byte model: random
 * exact and best-effort stores and reads over a few pages, every length
 * from 0 to more than a page and every alignment, so the word-at-a-time
 * bit maps are checked at each word and page edge. */
#include <string.h>

#include "decoder/shadow_mem.h"
#include "tests/harness.h"

#define MODEL_PAGES 4
#define MODEL_BYTES (MODEL_PAGES * SHADOW_PAGE_SIZE)
#define MODEL_BASE UINT64_C(0x40000000)
#define MODEL_ROUNDS 20000

struct model {
	uint8_t data[MODEL_BYTES];
	uint8_t have[MODEL_BYTES];
	uint8_t rough[MODEL_BYTES];
};

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* A length that often lands on or next to a bit-map word or page edge. */
static uint32_t rnd_len(uint32_t room)
{
	static const uint32_t edges[] = { 0, 1, 2, 7, 8, 63, 64, 65, 127, 128, 4095, 4096, 4097 };
	uint32_t n = rnd(4) ? rnd(200) : rnd(3) ? edges[rnd(sizeof(edges) / sizeof(edges[0]))] : rnd(room + 1);

	return n > room ? room : n;
}

static unsigned model_flags(const struct model *m, uint32_t off, uint32_t len)
{
	unsigned all = 1, some = 0, rough = 0;

	for (uint32_t i = off; i < off + len; i++) {
		all &= m->have[i];
		some |= m->have[i];
		rough |= m->have[i] & m->rough[i];
	}
	return (all ? SHADOW_HAVE_ALL : 0) | (some ? SHADOW_HAVE_SOME : 0) | (rough ? SHADOW_ROUGH : 0);
}

static void test_against_model(void)
{
	static struct model m;
	static uint8_t buf[MODEL_BYTES], out[MODEL_BYTES];
	struct shadow_mem *sm = shadow_new(0);

	CHECK(sm != NULL);
	for (int round = 0; round < MODEL_ROUNDS && !harness_failures; round++) {
		uint32_t off = rnd(MODEL_BYTES);
		uint32_t len = rnd_len(MODEL_BYTES - off);
		if (rnd(2)) {
			bool rough = rnd(4) == 0;
			for (uint32_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd(256);
			shadow_write(sm, MODEL_BASE + off, buf, len, rough);
			memcpy(m.data + off, buf, len);
			memset(m.have + off, 1, len);
			memset(m.rough + off, rough, len);
			continue;
		}
		unsigned want = model_flags(&m, off, len);
		if (len == 0)
			want = SHADOW_HAVE_ALL;
		memset(out, 0xee, len);
		CHECK_EQ_U(shadow_read(sm, MODEL_BASE + off, out, len), want);
		for (uint32_t i = 0; i < len; i++)
			if (out[i] != (m.have[off + i] ? m.data[off + i] : 0)) {
				CHECK_EQ_U(out[i], m.have[off + i] ? m.data[off + i] : 0);
				break;
			}
		/* A probe agrees on HAVE_ALL (it may stop early on the rest). */
		CHECK_EQ_U(shadow_probe(sm, MODEL_BASE + off, len) & SHADOW_HAVE_ALL, want & SHADOW_HAVE_ALL);
	}
	shadow_free(sm);
}

int main(void)
{
	RUN(test_against_model);
	return harness_finish("test_shadow_model");
}
