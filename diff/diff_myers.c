/* Bounded Myers diff; see diff_myers.h.
 *
 * V_d(k) is the furthest x reached on diagonal k = x - y with d edits.
 * Only diagonals of d's parity exist at step d, so step d keeps d + 1
 * values: all steps together d^2 / 2, which the backtrack walks.  A
 * diagonal whose path would leave the grid is marked NONE. */
#include "diff/diff_myers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define NONE (-1)

struct hist {
	int32_t *v;
	size_t cap;
};

static size_t row_off(size_t d)
{
	return d * (d + 1) / 2;
}

static int32_t get(const struct hist *h, size_t d, long k)
{
	if (k < -(long)d || k > (long)d)
		return NONE;
	return h->v[row_off(d) + (size_t)((k + (long)d) / 2)];
}

/* The x where step d's path on diagonal k starts (before its snake), and
 * the diagonal it came from; NONE when no path of d edits reaches k. */
static long start_x(const struct hist *h, size_t d, long k, size_t n, size_t m, long *from_k)
{
	long best = NONE;

	if (d == 0) {
		*from_k = 0;
		return k == 0 ? 0 : NONE;
	}
	long down = get(h, d - 1, k + 1);  /* one more event of y: insertion */
	if (down != NONE && down - k <= (long)m) {
		best = down;
		*from_k = k + 1;
	}
	long right = get(h, d - 1, k - 1); /* one more event of x: removal */
	if (right != NONE && right + 1 <= (long)n && right + 1 > best) {
		best = right + 1;
		*from_k = k - 1;
	}
	return best;
}

int diff_myers(const uint64_t *x, size_t n, const uint64_t *y, size_t m, size_t max_edits, uint64_t budget,
	       void (*match)(void *ctx, size_t i, size_t j), void *ctx)
{
	struct hist h = { 0 };
	uint64_t steps = 0;
	size_t max_d = n + m < max_edits ? n + m : max_edits;

	if (n > INT32_MAX || m > INT32_MAX)
		return DIFF_MYERS_GAVE_UP;
	for (size_t d = 0; d <= max_d; d++) {
		size_t need = row_off(d + 1);
		if (need > h.cap) {
			size_t cap = h.cap ? h.cap * 2 : 64;
			while (cap < need)
				cap *= 2;
			int32_t *v = realloc(h.v, cap * sizeof(*v));
			if (!v) {
				free(h.v);
				return -ENOMEM;
			}
			h.v = v;
			h.cap = cap;
		}
		int32_t *row = h.v + row_off(d);
		for (long k = -(long)d; k <= (long)d; k += 2) {
			long from_k;
			long xx = start_x(&h, d, k, n, m, &from_k);
			long yy = xx - k;
			if (xx == NONE || yy < 0 || yy > (long)m) {
				row[(k + (long)d) / 2] = NONE;
				continue;
			}
			while ((size_t)xx < n && (size_t)yy < m && x[xx] == y[yy]) {
				xx++;
				yy++;
				steps++;
			}
			row[(k + (long)d) / 2] = (int32_t)xx;
			if ((size_t)xx == n && (size_t)yy == m) {
				/* Walk back: each step's snake is matches. */
				long kk = k;
				for (size_t dd = d;; dd--) {
					long end = get(&h, dd, kk), fk = 0;
					long beg = start_x(&h, dd, kk, n, m, &fk);
					for (long i = beg; i < end; i++)
						match(ctx, (size_t)i, (size_t)(i - kk));
					if (dd == 0)
						break;
					kk = fk;
				}
				free(h.v);
				return 0;
			}
		}
		steps += d + 1;
		if (steps > budget)
			break;
	}
	free(h.v);
	return DIFF_MYERS_GAVE_UP;
}
