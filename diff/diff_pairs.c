/* Which device of A is compared with which of B; see diff_pairs.h. */
#include "diff/diff_pairs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/escape.h"
#include "tracedb/tdb_open.h"

static int by_discovery(const void *x, const void *y)
{
	const struct diff_dev *a = x, *b = y;

	if (a->first_seq != b->first_seq)
		return a->first_seq < b->first_seq ? -1 : 1;
	return a->device < b->device ? -1 : a->device > b->device;
}

int diff_devices_read(struct tdb *t, struct diff_dev **out, size_t *n, char *err, size_t errlen)
{
	struct tdb_device *rows;
	size_t nr;

	*out = NULL;
	*n = 0;
	if (tdb_devices_read(t, TDB_BY_ID, NULL, &rows, &nr)) {
		snprintf(err, errlen, "%s", tdb_errmsg(t));
		return -1;
	}
	struct diff_dev *d = calloc(nr ? nr : 1, sizeof(*d));
	if (!d) {
		free(rows);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nr; i++) {
		d[i].device = rows[i].id;
		d[i].base = rows[i].base;
		escape_str(rows[i].name, d[i].name, sizeof(d[i].name));
		escape_str(rows[i].type, d[i].type, sizeof(d[i].type));
		d[i].device_id = rows[i].device_id;
		d[i].version = rows[i].version;
		d[i].first_seq = (rows[i].known & TDB_DEV_SEQS) ? rows[i].first_seq : UINT64_MAX;
		if (rows[i].known & TDB_DEV_NEGOTIATED) {
			d[i].features_known = true;
			d[i].features = rows[i].features_negotiated;
		} else if (rows[i].known & TDB_DEV_ACCEPTED) {
			d[i].features_known = true;
			d[i].features = rows[i].features_accepted;
		}
	}
	free(rows);
	qsort(d, nr, sizeof(*d), by_discovery);
	*out = d;
	*n = nr;
	return 0;
}

/* Does sel (a name, a base, a type) name d?  The declarations' rule. */
static bool selected(const char *sel, const struct diff_dev *d)
{
	struct expect_item it = { 0 };

	if (!sel)
		return true;
	snprintf(it.dev, sizeof(it.dev), "%s", sel);
	return expect_selects(&it, d->name, d->base, d->device_id < 0 ? 0 : (uint32_t)d->device_id);
}

static int find_base(const struct diff_dev *v, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].base == base)
			return (int)i;
	return -1;
}

int diff_pairs_make(const struct diff_dev *a, size_t na, const struct diff_dev *b, size_t nb,
		    const struct diff_opts *o, const char *path_a, const char *path_b, struct diff_pair **out,
		    size_t *n, char *err, size_t errlen)
{
	struct diff_pair *p = calloc(na + nb + 1, sizeof(*p));
	int *b_of_a = malloc((na + 1) * sizeof(*b_of_a));
	bool *b_used = calloc(nb + 1, sizeof(*b_used));
	size_t np = 0;

	*out = NULL;
	*n = 0;
	if (!p || !b_of_a || !b_used) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < na; i++)
		b_of_a[i] = -1;
	for (unsigned m = 0; m < o->n_map; m++) {
		int ia = find_base(a, na, o->map[m].a), ib = find_base(b, nb, o->map[m].b);
		if (ia < 0 || ib < 0) {
			snprintf(err, errlen, "--map 0x%" PRIx64 "=0x%" PRIx64 ": '%s' has no device at 0x%" PRIx64,
				 o->map[m].a, o->map[m].b, ia < 0 ? path_a : path_b, ia < 0 ? o->map[m].a : o->map[m].b);
			goto fail;
		}
		if (b_of_a[ia] >= 0 || b_used[ib]) {
			snprintf(err, errlen, "--map 0x%" PRIx64 "=0x%" PRIx64 ": a device mapped twice", o->map[m].a,
				 o->map[m].b);
			goto fail;
		}
		b_of_a[ia] = ib;
		b_used[ib] = true;
	}
	/* The k-th device of a type in A with the k-th of that type in B. */
	for (size_t i = 0; i < na; i++) {
		if (b_of_a[i] >= 0)
			continue;
		for (size_t j = 0; j < nb; j++)
			if (!b_used[j] && b[j].device_id == a[i].device_id) {
				b_of_a[i] = (int)j;
				b_used[j] = true;
				break;
			}
	}
	for (size_t i = 0; i < na; i++) {
		if (!selected(o->device, &a[i]))
			continue;
		struct diff_pair *q = &p[np++];
		q->has_a = true;
		q->a = a[i];
		if (b_of_a[i] >= 0) {
			q->has_b = true;
			q->b = b[b_of_a[i]];
		}
		q->empty = a[i].device_id == 0 && (!q->has_b || q->b.device_id == 0);
	}
	for (size_t j = 0; j < nb; j++) {
		if (b_used[j] || !selected(o->device, &b[j]))
			continue;
		struct diff_pair *q = &p[np++];
		q->has_b = true;
		q->b = b[j];
		q->empty = b[j].device_id == 0;
	}
	free(b_of_a);
	free(b_used);
	*out = p;
	*n = np;
	return 0;
fail:
	free(p);
	free(b_of_a);
	free(b_used);
	return -1;
}
