/* Summary of the device's own reports (tdb_steps.h). */
#include "tracedb/tdb_steps.h"

#include <string.h>

#include "tracedb/tdb_priv.h"

static int count_unreported(void *arg, int device, uint64_t chains)
{
	struct tdb_steps_summary *out = arg;

	(void)device;
	out->unreported += chains;
	out->unreported_devices++;
	return 0;
}

int tdb_steps_summary(struct tdb *t, struct tdb_steps_summary *out)
{
	sqlite3_stmt *st;
	uint64_t *v[] = { &out->reports, &out->pops, &out->checked, &out->torn, &out->no_copy, &out->unchecked,
			 &out->from_reports };
	int r;

	memset(out, 0, sizeof(*out));
	if (!t->has_device_steps)
		return 0;
	/* count(*) is never negative nor NULL, whatever the rows hold. */
	if ((r = tdb_prepare(t,
			     "SELECT (SELECT count(*) FROM device_steps), "
			     "(SELECT count(*) FROM device_steps WHERE step = 'pop'), "
			     "(SELECT count(*) FROM device_steps WHERE step = 'pop' AND verdict IN ('agrees', 'torn')), "
			     "(SELECT count(*) FROM chains WHERE memory = 'torn'), "
			     "(SELECT count(*) FROM device_steps WHERE step = 'pop' AND verdict = 'no-copy'), "
			     "(SELECT count(*) FROM device_steps WHERE step = 'pop' AND verdict IS NULL), "
			     "(SELECT count(*) FROM device_steps WHERE step IN ('blk-read', 'blk-write') "
			     "AND verdict IN ('torn', 'no-copy'))",
			     &st, "reading the device's reports")))
		return r;
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < 7; i++) {
			sqlite3_int64 x = sqlite3_column_int64(st, i);
			*v[i] = x > 0 ? (uint64_t)x : 0;
		}
	} else {
		r = tdb_sql_fail(t, "reading the device's reports");
	}
	sqlite3_finalize(st);
	if (r)
		return r;
	return tdb_steps_unreported(t, count_unreported, out);
}

int tdb_steps_unreported(struct tdb *t, int (*fn)(void *arg, int device, uint64_t chains), void *arg)
{
	sqlite3_stmt *st;
	int r, rc;

	if (!t->has_device_steps)
		return 0;
	/* NOT IN builds the reporting devices' set once: no per-chain lookup. */
	if ((r = tdb_prepare(t,
			     "SELECT device, count(*) FROM chains WHERE EXISTS (SELECT 1 FROM device_steps) AND device NOT IN "
			     "(SELECT device FROM device_steps WHERE device IS NOT NULL) "
			     "GROUP BY device ORDER BY device",
			     &st, "reading which devices reported nothing")))
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 dev = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
		/* a device number no devices row can have is skipped, not trusted */
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || dev < 0 || dev > INT32_MAX)
			continue;
		if ((r = fn(arg, (int)dev, n > 0 ? (uint64_t)n : 0)) != 0)
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading which devices reported nothing");
	sqlite3_finalize(st);
	return r;
}
