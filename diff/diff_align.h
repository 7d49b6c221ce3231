/* Aligning two sequences of normalised events: which events of A and B
 * are the same, which were changed, removed or inserted (docs/diff.md,
 * "Alignment").  Pure: no trace.db here, only keys.
 *
 * An event is its key (equal keys: the same event; keys are 64-bit hashes
 * of the normalised event, so a collision is a 2^-64 chance), its shape
 * (what it may be changed into: the same register and direction, an
 * interrupt, a violation) and whether it is an anchor (a status write or a
 * queue set-up, aligned before everything else).
 *
 * Errors: 0, or -ENOMEM. */
#ifndef VMTRACE_DIFF_DIFF_ALIGN_H
#define VMTRACE_DIFF_DIFF_ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diff_seq {
	const uint64_t *key;
	const uint64_t *shape;
	const uint8_t *anchor;   /* may be NULL: no anchors */
	size_t n;
};

enum diff_op { DIFF_SAME, DIFF_CHANGED, DIFF_REMOVED, DIFF_INSERTED };

/* A run of one operation: A's events [a, a + na), B's [b, b + nb).
 * SAME and CHANGED: na == nb, pairwise; REMOVED: nb == 0 (b is where it
 * would be in B); INSERTED: na == 0. */
struct diff_run {
	enum diff_op op;
	size_t a, na, b, nb;
};

/* Edits a shortest-edit-script search tries before it calls a piece one
 * changed run (docs/diff.md). */
#define DIFF_MYERS_MAX_EDITS 4096

/* What the alignment cost (for the benchmark and the report). */
struct diff_align_stats {
	uint64_t pieces;         /* pieces aligned after the anchors */
	uint64_t myers_calls, myers_gave_up;
};

/* Align a with b: *runs (free() it) gets *n_runs runs covering both in
 * order, consecutive runs of different operations (SAME runs as long as
 * they go).  stats may be NULL. */
int diff_align(const struct diff_seq *a, const struct diff_seq *b, struct diff_run **runs, size_t *n_runs,
	       struct diff_align_stats *stats);

#endif
