/* The decoder's sparse guest memory: known and missing bytes, best-effort
 * marks, page boundaries, the end of the address space and the cap. */
#include <string.h>

#include "decoder/shadow_mem.h"
#include "tests/harness.h"

static void test_read_write(void)
{
	struct shadow_mem *sm = shadow_new(0);
	uint8_t buf[64], out[64];

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i + 1);
	CHECK(sm != NULL);
	CHECK_EQ_U(shadow_read(sm, 0x1000, out, 4), 0);
	/* Across a page boundary. */
	shadow_write(sm, 0x1fe0, buf, sizeof(buf), false);
	CHECK_EQ_U(shadow_read(sm, 0x1fe0, out, sizeof(out)), SHADOW_HAVE_ALL | SHADOW_HAVE_SOME);
	CHECK(memcmp(out, buf, sizeof(buf)) == 0);
	/* Partly known: missing bytes read as 0. */
	memset(out, 0xaa, sizeof(out));
	CHECK_EQ_U(shadow_read(sm, 0x1fd0, out, 32), SHADOW_HAVE_SOME);
	CHECK_EQ_U(out[0], 0);
	CHECK_EQ_U(out[16], 1);
	CHECK_EQ_U(shadow_probe(sm, 0x1fe0, 64), SHADOW_HAVE_ALL | SHADOW_HAVE_SOME);
	CHECK(!(shadow_probe(sm, 0x1fe0, 65) & SHADOW_HAVE_ALL));
	CHECK_EQ_U(shadow_read(sm, 0x1234, out, 0), SHADOW_HAVE_ALL);
	/* A huge probe over missing memory stops at once. */
	CHECK(!(shadow_probe(sm, 0x1fe0, UINT64_C(1) << 40) & SHADOW_HAVE_ALL));
	/* Best-effort marks, cleared by an exact store. */
	shadow_write(sm, 0x1fe8, buf, 4, true);
	CHECK(shadow_read(sm, 0x1fe0, out, 16) & SHADOW_ROUGH);
	CHECK(!(shadow_read(sm, 0x1ff0, out, 16) & SHADOW_ROUGH));
	shadow_write(sm, 0x1fe8, buf, 4, false);
	CHECK(!(shadow_read(sm, 0x1fe0, out, 16) & SHADOW_ROUGH));
	shadow_free(sm);
	shadow_free(NULL);
}

static void test_edges(void)
{
	struct shadow_mem *sm = shadow_new(0);
	uint8_t buf[32] = { 1, 2, 3 }, out[32];

	/* Bytes past 2^64 are dropped, not wrapped to address 0. */
	shadow_write(sm, UINT64_MAX - 15, buf, sizeof(buf), false);
	CHECK_EQ_U(shadow_read(sm, 0, out, 16), 0);
	CHECK(shadow_read(sm, UINT64_MAX - 15, out, 16) & SHADOW_HAVE_ALL);
	CHECK_EQ_U(shadow_read(sm, UINT64_MAX - 15, out, 17), 0);
	shadow_free(sm);
}

static void test_cap(void)
{
	/* Room for two pages (each page costs more than 4 KiB with its maps). */
	struct shadow_mem *sm = shadow_new(3 * 4096 + 2048);
	uint8_t page[4096], out[16];

	memset(page, 0x5a, sizeof(page));
	for (uint64_t i = 0; i < 8; i++)
		shadow_write(sm, i * 4096, page, sizeof(page), false);
	CHECK(shadow_read(sm, 0, out, 16) & SHADOW_HAVE_ALL);
	CHECK(shadow_read(sm, 4096, out, 16) & SHADOW_HAVE_ALL);
	CHECK_EQ_U(shadow_read(sm, 2 * 4096, out, 16), 0);
	CHECK(shadow_used_bytes(sm) <= 3 * 4096 + 2048);
	CHECK_EQ_U(shadow_dropped_bytes(sm), 6 * 4096);
	/* Known pages still take stores. */
	shadow_write(sm, 100, page, 8, false);
	CHECK(shadow_read(sm, 100, out, 8) & SHADOW_HAVE_ALL);
	shadow_free(sm);

	/* Many scattered pages under the default cap: the table grows. */
	sm = shadow_new(0);
	for (uint64_t i = 0; i < 5000; i++)
		shadow_write(sm, i * 0x100000 + 7, page, 3, false);
	for (uint64_t i = 0; i < 5000; i += 499)
		CHECK(shadow_read(sm, i * 0x100000 + 7, out, 3) & SHADOW_HAVE_ALL);
	shadow_free(sm);
}

int main(void)
{
	RUN(test_read_write);
	RUN(test_edges);
	RUN(test_cap);
	return harness_finish("test_shadow");
}
