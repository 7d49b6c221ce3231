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
