/* What a pair of devices negotiated, requested and violated, side by
 * side (docs/diff.md, "The report"): features, queue sizes, requests per
 * queue and kind with latency percentiles, violations per rule.
 *
 * Errors: 0, or -1 with the reason in err. */
#ifndef VMTRACE_DIFF_DIFF_SUM_H
#define VMTRACE_DIFF_DIFF_SUM_H

#include <stddef.h>

#include "diff/diff.h"
#include "diff/diff_stream.h"

struct tdb;

int diff_summaries(struct tdb *ta, struct tdb *tb, struct diff_pair *p, const struct diff_streams *sa,
		   const struct diff_streams *sb, char *err, size_t errlen);

#endif
