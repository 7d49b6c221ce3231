/* Pairing the devices of two traces (docs/diff.md, "Devices"): --map
 * pairs first, then each device of A with the first unpaired device of
 * B of the same type (DeviceID), both in order of discovery.
 *
 * Errors: 0, or -1 with the reason in err. */
#ifndef VMTRACE_DIFF_DIFF_PAIRS_H
#define VMTRACE_DIFF_DIFF_PAIRS_H

#include <stddef.h>

#include "diff/diff.h"

struct tdb;

/* The devices of t in order of discovery (their first event), names
 * escaped: *out (free() it) of *n. */
int diff_devices_read(struct tdb *t, struct diff_dev **out, size_t *n, char *err, size_t errlen);

/* The pairs (A's devices in order, then B's left over), restricted to
 * o->device: *out (free() it) of *n, with has_a, has_b, a, b and empty
 * set. */
int diff_pairs_make(const struct diff_dev *a, size_t na, const struct diff_dev *b, size_t nb,
		    const struct diff_opts *o, const char *path_a, const char *path_b, struct diff_pair **out,
		    size_t *n, char *err, size_t errlen);

#endif
