/* Summary of the device's own reports (tdb_steps.h). */
#include "tracedb/tdb_steps.h"

#include <string.h>

#include "tracedb/tdb_priv.h"

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
	return r;
}
