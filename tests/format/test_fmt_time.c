/* The time column (format/fmt_time.h): since the first event, nanosecond
 * decimals, right-aligned, a clock that went backwards, the extremes of
 * uint64_t, and buffers too small for the text. */
#include <stdint.h>
#include <string.h>

#include "format/fmt_time.h"
#include "tests/harness.h"

static const char *t(int width, uint64_t ts, uint64_t first)
{
	static char buf[64];

	fmt_time_us(buf, sizeof(buf), width, ts, first);
	return buf;
}

static void test_relative(void)
{
	CHECK_STR(t(0, 100, 100), "0.000us");
	CHECK_STR(t(0, 70100, 100), "70.000us");
	CHECK_STR(t(0, 1796466798455985000ull, 1796466798455985000ull - 1234567), "1234.567us");
	CHECK_STR(t(14, 1100, 100), "       1.000us");
	CHECK_EQ_U(strlen(t(14, 1100, 100)), 14);
	/* Wider than the column: the column grows, nothing is cut. */
	CHECK_STR(t(4, 123456789, 0), "123456.789us");
}

static void test_backwards_and_extremes(void)
{
	CHECK_STR(t(0, 100, 1100), "-1.000us");
	CHECK_STR(t(9, 0, 5), " -0.005us");
	CHECK_STR(t(0, UINT64_MAX, 0), "18446744073709551.615us");
	CHECK_STR(t(0, 0, UINT64_MAX), "-18446744073709551.615us");
}

static void test_small_buffers(void)
{
	char buf[8];
	size_t n;

	memset(buf, 'x', sizeof(buf));
	n = fmt_time_us(buf, sizeof(buf), 14, 1100, 100);
	CHECK_EQ_U(n, sizeof(buf) - 1);
	CHECK_EQ_U(strlen(buf), sizeof(buf) - 1);
	n = fmt_time_us(buf, 1, 14, 1100, 100);
	CHECK_EQ_U(n, 0);
	CHECK_STR(buf, "");
}

/* Latencies in the unit that keeps them short, truncated to three
 * decimals; unknown ends, backwards and the extremes. */
static void test_latency(void)
{
	char buf[40];

	CHECK_STR(fmt_latency(buf, sizeof(buf), 100, 100), "+0.000us");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 0, 231500), "+231.500us");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 0, 999999), "+999.999us");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 0, 1000000), "+1.000ms");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 1000, 80207096), "+80.206ms");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 0, 999999999), "+999.999ms");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 0, 3589123456), "+3.589s");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 5000, 2000), "-3.000us");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 0, INT64_MAX), "+9223372036.854s");
	CHECK_STR(fmt_latency(buf, sizeof(buf), INT64_MAX, 0), "-9223372036.854s");
	CHECK_STR(fmt_latency(buf, sizeof(buf), -1, 5), "-");
	CHECK_STR(fmt_latency(buf, sizeof(buf), 5, -1), "-");
	CHECK_STR(fmt_latency(buf, 4, 0, 231500), "+23");
}

int main(void)
{
	RUN(test_relative);
	RUN(test_backwards_and_extremes);
	RUN(test_small_buffers);
	RUN(test_latency);
	return harness_finish("test_fmt_time");
}
