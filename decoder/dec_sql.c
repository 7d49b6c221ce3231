/* Prepared statements of the decoder and its transaction batching. */
#include "decoder/dec_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder/db.h"

static const char *const sql[ST_COUNT] = {
	[ST_REG_CHANGE] = "INSERT INTO reg_changes(device, reg, queue, seq, value) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_STATUS_CHANGE] = "INSERT OR REPLACE INTO status_changes(seq, device, old, new, kind, names) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_FEATURE] = "INSERT INTO features(seq, device, kind, word, value, names) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_QUEUE_OPEN] = "INSERT OR REPLACE INTO queues(device, queue, generation, seq_setup, num_max) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_QUEUE_UPDATE] = "UPDATE queues SET seq_ready = ?4, size = ?5, desc_addr = ?6, driver_addr = ?7, device_addr = ?8, "
			    "legacy_pfn = ?9, page_size = ?10, align = ?11, num_max = ?12 "
			    "WHERE device = ?1 AND queue = ?2 AND generation = ?3",
	[ST_QUEUE_END] = "UPDATE queues SET seq_end = ?4, end_reason = ?5 WHERE device = ?1 AND queue = ?2 AND generation = ?3",
	[ST_VIOLATION] = "INSERT INTO violations(seq, device, rule, section, severity, actor, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_ANOMALY] = "INSERT INTO anomalies(seq, device, queue, rule, message) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_LOST] = "INSERT OR REPLACE INTO lost(seq, count) VALUES (?1, ?2)",
	[ST_DEVICE_UPSERT] = "INSERT OR REPLACE INTO devices(device, base, name, device_id, type, version, vendor_id, status, "
			     "features_offered, features_accepted, features_negotiated, first_seq, last_seq, events, config) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
	[ST_DEVICE_STEP] = "INSERT OR REPLACE INTO device_steps(seq, device, queue, step, token, in_num, out_num, len, used_pos, "
			   "count, sector, sectors, chain, verdict) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[ST_CHAIN_TORN] = "UPDATE chains SET memory = ?2 WHERE chain = ?1",
};

/* The batched tables and their columns, in the order of their values. */
static const struct {
	const char *table;
	unsigned ncol;
	bool replace;
} batch_def[DB_COUNT] = {
	[DB_EVENTS] = { "events(seq, ts_ns, type, device, offset, reg, dir, width, value, vcpu, addr, len, text)", 13 },
	[DB_MEMORY] = { "memory(seq, gpa, kind, exact, data)", 5 },
	[DB_INTERRUPTS] = { "interrupts(seq, device, kind, value)", 4 },
	[DB_CHAINS] = { "chains(chain, device, queue, generation, avail_idx, head, seq_avail, n_desc, "
			"indirect, readable, writable, memory)", 12 },
	[DB_DESCRIPTORS] = { "descriptors(chain, pos, idx, addr, len, flags, next, in_indirect)", 8 },
	[DB_USED] = { "used(seq, device, queue, generation, used_idx, id, len, chain)", 8 },
	[DB_NET_FRAMES] = { "net_frames(request, hdr_flags, gso_type, hdr_len, gso_size, csum_start, "
			    "csum_offset, num_buffers, frame_len, ethertype, dst_mac, src_mac)", 12, true },
	[DB_REQUESTS] = { "requests(request, device, queue, chain, kind, op, sector, length, status, digest, "
			  "seq_notify, seq_used, seq_irq, ts_notify, ts_used, ts_irq, data)", 17 },
};

_Static_assert(DEC_BATCH_COLS_MAX <= 64, "one_null holds the parameters of a row");

int dec_fail(struct decoder *dec, const char *what)
{
	if (!dec->failed) {
		dec->failed = true;
		snprintf(dec->err, sizeof(dec->err), "%s: %s", what, sqlite3_errmsg(dec->db));
	}
	return -1;
}

static void out_of_memory(struct decoder *dec)
{
	if (!dec->failed) {
		dec->failed = true;
		snprintf(dec->err, sizeof(dec->err), "out of memory");
	}
}

/* "INSERT [OR REPLACE] INTO table(cols) VALUES (?, ...), ..." with rows
 * rows.  Returns SQLite's rc; *st is NULL unless it is SQLITE_OK. */
static int prepare_insert(sqlite3 *db, const char *table, bool replace, unsigned ncol, unsigned rows,
			  sqlite3_stmt **st)
{
	sqlite3_str *q = sqlite3_str_new(db);
	char *text;
	int rc;

	*st = NULL;
	sqlite3_str_appendf(q, "INSERT %sINTO %s VALUES ", replace ? "OR REPLACE " : "", table);
	for (unsigned r = 0; r < rows; r++) {
		sqlite3_str_appendall(q, r ? ", (" : "(");
		for (unsigned c = 0; c < ncol; c++)
			sqlite3_str_appendall(q, c ? ", ?" : "?");
		sqlite3_str_appendall(q, ")");
	}
	text = sqlite3_str_finish(q);
	if (!text)
		return SQLITE_NOMEM;
	rc = sqlite3_prepare_v3(db, text, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	sqlite3_free(text);
	return rc;
}

int dec_sql_prepare(struct decoder *dec)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(dec->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &dec->st[i], NULL) != SQLITE_OK)
			return dec_fail(dec, "unable to prepare the decoder's statements");
	for (int i = 0; i < DB_COUNT; i++) {
		struct dec_batch *b = &dec->batch[i];
		b->ncol = batch_def[i].ncol;
		if (b->ncol > DEC_BATCH_COLS_MAX) /* a programming error: null maps too small */
			return dec_fail(dec, "too many columns in a batched table");
		if (prepare_insert(dec->db, batch_def[i].table, batch_def[i].replace, b->ncol, 1, &b->one) != SQLITE_OK ||
		    prepare_insert(dec->db, batch_def[i].table, batch_def[i].replace, b->ncol, DEC_BATCH_ROWS,
				   &b->many) != SQLITE_OK)
			return dec_fail(dec, "unable to prepare the decoder's statements");
		/* Fresh statements have every parameter NULL. */
		b->one_null = UINT64_MAX;
		memset(b->many_null, 0xff, sizeof(b->many_null));
		b->vals = calloc(DEC_BATCH_ROWS * b->ncol, sizeof(*b->vals));
		if (!b->vals) {
			out_of_memory(dec);
			return -1;
		}
	}
	return 0;
}

void dec_sql_finalize(struct decoder *dec)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(dec->st[i]);
		dec->st[i] = NULL;
	}
	for (int i = 0; i < DB_COUNT; i++) {
		struct dec_batch *b = &dec->batch[i];
		sqlite3_finalize(b->one);
		sqlite3_finalize(b->many);
		free(b->vals);
		free(b->arena);
		memset(b, 0, sizeof(*b));
	}
}

/* Bind one buffered row to parameters first.. of st.  Bit i of null says
 * parameter i + 1 is bound to NULL now; it is kept up to date. */
static void bind_row(sqlite3_stmt *st, int first, const struct dec_batch *b, const struct dec_val *v, uint64_t *null)
{
	for (unsigned c = 0; c < b->ncol; c++, v++) {
		int at = first + (int)c;
		uint64_t *word = null + (unsigned)(at - 1) / 64;
		uint64_t m = UINT64_C(1) << ((unsigned)(at - 1) % 64);
		/* An empty text or blob is not NULL: never hand SQLite a NULL pointer. */
		const void *p = v->copied ? (v->len ? (const void *)(b->arena + v->i) : "") : v->p;

		if (v->type == DEC_VAL_NULL) {
			if (!(*word & m))
				sqlite3_bind_null(st, at);
			*word |= m;
			continue;
		}
		*word &= ~m;
		switch (v->type) {
		case DEC_VAL_NULL: break;
		case DEC_VAL_INT: sqlite3_bind_int64(st, at, v->i); break;
		case DEC_VAL_TEXT: sqlite3_bind_text(st, at, p, v->len, SQLITE_STATIC); break;
		case DEC_VAL_BLOB: sqlite3_bind_blob(st, at, p, v->len, SQLITE_STATIC); break;
		}
	}
}

static int run(struct decoder *dec, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dec_fail(dec, "unable to write trace.db");
	return 0;
}

/* Insert the buffered rows of b: one statement for a full batch, one per
 * row otherwise.  The buffer is empty afterwards, even after an error. */
static int batch_flush(struct decoder *dec, struct dec_batch *b)
{
	int r = 0;

	if (b->n == DEC_BATCH_ROWS) {
		for (unsigned i = 0; i < b->n; i++)
			bind_row(b->many, (int)(i * b->ncol) + 1, b, b->vals + i * b->ncol, b->many_null);
		r = run(dec, b->many);
	} else {
		for (unsigned i = 0; i < b->n && r == 0; i++) {
			bind_row(b->one, 1, b, b->vals + i * b->ncol, &b->one_null);
			r = run(dec, b->one);
		}
	}
	b->n = 0;
	b->used = 0;
	return r;
}

int dec_batch_flush(struct decoder *dec, enum dec_batch_id id)
{
	return batch_flush(dec, &dec->batch[id]);
}

struct dec_val *dec_batch_row(struct decoder *dec, enum dec_batch_id id)
{
	struct dec_batch *b = &dec->batch[id];
	struct dec_val *v = b->vals + b->n * b->ncol;

	memset(v, 0, b->ncol * sizeof(*v));
	return v;
}

void dec_batch_add(struct decoder *dec, enum dec_batch_id id)
{
	struct dec_batch *b = &dec->batch[id];

	b->n++;
	dec->rows_in_txn++;
	dec->stats.rows++;
	if (b->n == DEC_BATCH_ROWS || b->used >= DEC_BATCH_BYTES)
		batch_flush(dec, b);
}

void dec_val_copy(struct decoder *dec, enum dec_batch_id id, struct dec_val *v, const void *p, int len, bool blob)
{
	struct dec_batch *b = &dec->batch[id];
	size_t n = len > 0 ? (size_t)len : 0;

	if (!p) {
		/* No bytes at all: NULL, as binding a NULL pointer gives. */
		v->type = DEC_VAL_NULL;
		return;
	}
	if (b->used + n > b->cap) {
		/* At most DEC_BATCH_BYTES plus one value (a raw trace event is at
		 * most VMT_EVENT_DATA_MAX bytes). */
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->used + n)
			cap *= 2;
		uint8_t *a = realloc(b->arena, cap);
		if (!a) {
			out_of_memory(dec);
			v->type = DEC_VAL_NULL;
			return;
		}
		b->arena = a;
		b->cap = cap;
	}
	if (n)
		memcpy(b->arena + b->used, p, n);
	v->type = blob ? DEC_VAL_BLOB : DEC_VAL_TEXT;
	v->copied = true;
	v->i = (sqlite3_int64)b->used;
	v->len = (int)n;
	b->used += n;
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
	if (which == ST_VIOLATION || which == ST_ANOMALY || which == ST_QUEUE_UPDATE ||
	    which == ST_FEATURE || which == ST_DEVICE_UPSERT || which == ST_DEVICE_STEP)
		sqlite3_clear_bindings(dec->st[which]);
	return r;
}

int dec_sql_commit(struct decoder *dec, bool reopen)
{
	for (int i = 0; i < DB_COUNT; i++)
		batch_flush(dec, &dec->batch[i]);
	if (dec->failed)
		return -1;
	if (sqlite3_exec(dec->db, reopen ? "COMMIT; BEGIN" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return dec_fail(dec, "unable to commit to trace.db");
	dec->rows_in_txn = 0;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &dec->last_commit);
	return 0;
}

/* Commit every TRACE_DB_COMMIT_ROWS rows and at least once a second, so a
 * crash loses at most the transaction in flight and the rows still held in
 * memory (row batches, the requests window of rings_priv.h). */
int dec_sql_maybe_commit(struct decoder *dec)
{
	struct timespec now;

	if (dec->rows_in_txn >= TRACE_DB_COMMIT_ROWS)
		return dec_sql_commit(dec, true);
	if ((dec->stats.events & 1023) != 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec > dec->last_commit.tv_sec + 1 ||
	    (now.tv_sec == dec->last_commit.tv_sec + 1 && now.tv_nsec >= dec->last_commit.tv_nsec))
		return dec_sql_commit(dec, true);
	return 0;
}
