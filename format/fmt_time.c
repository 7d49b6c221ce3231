/* See fmt_time.h. */
#include "format/fmt_time.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

size_t fmt_time_us(char *buf, size_t len, int width, uint64_t ts_ns, uint64_t first_ns)
{
	bool before = ts_ns < first_ns;
	uint64_t d = before ? first_ns - ts_ns : ts_ns - first_ns;
	char num[32];
	int n;

	snprintf(num, sizeof(num), "%s%" PRIu64 ".%03uus", before ? "-" : "", d / 1000, (unsigned)(d % 1000));
	n = snprintf(buf, len, "%*s", width, num);
	if (n < 0)
		n = 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

const char *fmt_latency(char *buf, size_t len, int64_t from_ns, int64_t to_ns)
{
	static const struct {
		uint64_t below, per;
		const char *unit;
	} units[] = {
		{ UINT64_C(1000000), 1000, "us" },
		{ UINT64_C(1000000000), 1000000, "ms" },
		{ UINT64_MAX, 1000000000, "s" },
	};

	if (from_ns < 0 || to_ns < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	bool before = to_ns < from_ns;
	uint64_t d = before ? (uint64_t)from_ns - (uint64_t)to_ns : (uint64_t)to_ns - (uint64_t)from_ns;
	size_t u = 0;
	while (d >= units[u].below)
		u++;
	/* three decimals of the unit: per / 1000 ns each */
	uint64_t milli = d / (units[u].per / 1000);
	snprintf(buf, len, "%s%" PRIu64 ".%03u%s", before ? "-" : "+", milli / 1000, (unsigned)(milli % 1000), units[u].unit);
	return buf;
}
