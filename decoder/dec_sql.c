/* Prepared statements of the decoder and its transaction batching. */
#include "decoder/dec_priv.h"

#include <stdio.h>
#include <string.h>

static const char *const sql[ST_COUNT] = {
	[ST_EVENT] = "INSERT INTO events(seq, ts_ns, type, device, offset, reg, dir, width, value, vcpu, addr, len, text) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_MEMORY] = "INSERT INTO memory(seq, gpa, kind, exact, data) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_REG_CHANGE] = "INSERT INTO reg_changes(device, reg, queue, seq, value) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_STATUS_CHANGE] = "INSERT OR REPLACE INTO status_changes(seq, device, old, new, kind, names) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_FEATURE] = "INSERT INTO features(seq, device, kind, word, value, names) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_QUEUE_OPEN] = "INSERT OR REPLACE INTO queues(device, queue, generation, seq_setup, num_max) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_QUEUE_UPDATE] = "UPDATE queues SET seq_ready = ?4, size = ?5, desc_addr = ?6, driver_addr = ?7, device_addr = ?8, "
			    "legacy_pfn = ?9, page_size = ?10, align = ?11, num_max = ?12 "
			    "WHERE device = ?1 AND queue = ?2 AND generation = ?3",
	[ST_QUEUE_END] = "UPDATE queues SET seq_end = ?4, end_reason = ?5 WHERE device = ?1 AND queue = ?2 AND generation = ?3",
	[ST_INTERRUPT] = "INSERT INTO interrupts(seq, device, kind, value) VALUES (?1, ?2, ?3, ?4)",
	[ST_VIOLATION] = "INSERT INTO violations(seq, device, rule, section, severity, actor, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_LOST] = "INSERT OR REPLACE INTO lost(seq, count) VALUES (?1, ?2)",
	[ST_DEVICE_UPSERT] = "INSERT OR REPLACE INTO devices(device, base, name, device_id, type, version, vendor_id, status, "
			     "features_offered, features_accepted, features_negotiated, first_seq, last_seq, events, config) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
};

int dec_fail(struct decoder *dec, const char *what)
{
	if (!dec->failed) {
		dec->failed = true;
		snprintf(dec->err, sizeof(dec->err), "%s: %s", what, sqlite3_errmsg(dec->db));
	}
	return -1;
}

int dec_sql_prepare(struct decoder *dec)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(dec->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &dec->st[i], NULL) != SQLITE_OK)
			return dec_fail(dec, "unable to prepare the decoder's statements");
	return 0;
}

void dec_sql_finalize(struct decoder *dec)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(dec->st[i]);
		dec->st[i] = NULL;
	}
}

int dec_sql_step(struct decoder *dec, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	/* Bindings are cleared only where a caller leaves columns unbound
	 * (see dec_sql_run); most statements bind every column each time. */
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dec_fail(dec, "unable to write trace.db");
	dec->rows_in_txn++;
	dec->stats.rows++;
	return 0;
}

int dec_sql_run(struct decoder *dec, enum dec_stmt which)
{
	int r = dec_sql_step(dec, dec->st[which]);

	/* These leave optional columns unbound, which must read as NULL. */
	if (which == ST_EVENT || which == ST_VIOLATION || which == ST_QUEUE_UPDATE ||
	    which == ST_FEATURE || which == ST_DEVICE_UPSERT)
		sqlite3_clear_bindings(dec->st[which]);
	return r;
}

int dec_sql_commit(struct decoder *dec, bool reopen)
{
	if (sqlite3_exec(dec->db, reopen ? "COMMIT; BEGIN" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return dec_fail(dec, "unable to commit to trace.db");
	dec->rows_in_txn = 0;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &dec->last_commit);
	return 0;
}

/* Commit every TRACE_DB_COMMIT_ROWS rows and at least once a second, so a
 * crash loses at most the batch in flight. */
int dec_sql_maybe_commit(struct decoder *dec)
{
	struct timespec now;

	if (dec->rows_in_txn >= 65536)
		return dec_sql_commit(dec, true);
	if ((dec->stats.events & 1023) != 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec > dec->last_commit.tv_sec + 1 ||
	    (now.tv_sec == dec->last_commit.tv_sec + 1 && now.tv_nsec >= dec->last_commit.tv_nsec))
		return dec_sql_commit(dec, true);
	return 0;
}
