/* Helpers shared by the fuzz targets; see fuzz.h. */
#include "tests/fuzz/fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

bool fuzz_known(const char *text)
{
	const char *known = getenv("FUZZ_KNOWN");

	while (known && *known) {
		const char *bar = strchr(known, '|');
		size_t n = bar ? (size_t)(bar - known) : strlen(known);
		if (n && memmem(text, strlen(text), known, n))
			return true;
		known = bar ? bar + 1 : NULL;
	}
	return false;
}
