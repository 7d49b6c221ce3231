/* A shortest edit script between two key arrays (Myers' O((N+M)D)
 * greedy algorithm), bounded: it gives up past max_edits edits or a budget
 * of comparisons, so a piece with nothing in common costs a bounded time.
 * Used where the histogram diff finds no rare event to split on, and to
 * pair removed and inserted events of the same shape in a changed run.
 *
 * Errors: 0 (matched; match was called for each matched pair),
 * DIFF_MYERS_GAVE_UP (nothing was reported), -ENOMEM. */
#ifndef VMTRACE_DIFF_DIFF_MYERS_H
#define VMTRACE_DIFF_DIFF_MYERS_H

#include <stddef.h>
#include <stdint.h>

#define DIFF_MYERS_GAVE_UP 1

/* match(ctx, i, j): x[i] == y[j] in the script (called in any order). */
int diff_myers(const uint64_t *x, size_t n, const uint64_t *y, size_t m, size_t max_edits, uint64_t budget,
	       void (*match)(void *ctx, size_t i, size_t j), void *ctx);

#endif
