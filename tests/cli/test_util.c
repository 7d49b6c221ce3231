/* Small helpers of the vmtrace command (cli/util.c): sizes for people and
 * the numbers the options take. */
#include <stdint.h>
#include <string.h>

#include "cli/util.h"
#include "tests/harness.h"

static void test_size_text(void)
{
	char b[32];

	CHECK_STR(size_text(0, b, sizeof(b)), "0 bytes");
	CHECK_STR(size_text(1, b, sizeof(b)), "1 byte");
	CHECK_STR(size_text(1023, b, sizeof(b)), "1023 bytes");
	CHECK_STR(size_text(1024, b, sizeof(b)), "1 KiB");
	CHECK_STR(size_text(0x10000, b, sizeof(b)), "64 KiB"); /* was printed "0 MiB" */
	CHECK_STR(size_text(1536, b, sizeof(b)), "1.5 KiB");
	CHECK_STR(size_text(1024 * 1024 - 1, b, sizeof(b)), "1024.0 KiB");
	CHECK_STR(size_text(64ull << 20, b, sizeof(b)), "64 MiB");
	CHECK_STR(size_text(3ull << 30, b, sizeof(b)), "3 GiB");
	CHECK_STR(size_text(UINT64_MAX, b, sizeof(b)), "16.0 EiB");
}

static void test_parse_u64(void)
{
	uint64_t v = 0;

	CHECK(parse_u64("0x10", 0, 100, &v) == 0 && v == 16);
	CHECK(parse_u64("100", 0, 100, &v) == 0 && v == 100);
	CHECK(parse_u64("101", 0, 100, &v) < 0);
	CHECK(parse_u64(" 1", 0, 100, &v) < 0);
	CHECK(parse_u64("-1", 0, UINT64_MAX, &v) < 0);
	CHECK(parse_u64("18446744073709551616", 0, UINT64_MAX, &v) < 0);
	CHECK(parse_u64("1x", 0, 100, &v) < 0);
}

int main(void)
{
	RUN(test_size_text);
	RUN(test_parse_u64);
	return harness_finish("test_util");
}
