/* The queues table (tdb_queues.h). */
#include "tracedb/tdb_queues.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

#define QUEUES_COLS                                                                                                 \
	"SELECT device, queue, generation, seq_setup, size, num_max, desc_addr, driver_addr, device_addr, "       \
	"legacy_pfn, page_size, align, seq_ready, seq_end, end_reason FROM queues q "

/* Each selection for every device ([0]) and for device ?1 ([1]): "device
 * = ?1" lets SQLite search the primary key (device, queue, generation)
 * where "?1 < 0 OR device = ?1" scans the table. */
#define LATEST_GEN "generation = (SELECT max(generation) FROM queues WHERE device = q.device AND queue = q.queue) "
/* The generation in force at ?2: set up by then, and no later generation
 * of its queue set up by then.  (The same row as "the largest generation
 * set up by then", but NOT EXISTS stops at the next generation, one
 * primary-key step, where max() read every generation of the queue for
 * each row: quadratic in a queue's generations.) */
#define AT_GEN                                                                                                      \
	"seq_setup <= ?2 AND NOT EXISTS (SELECT 1 FROM queues n WHERE n.device = q.device AND n.queue = q.queue "      \
	"AND n.generation > q.generation AND n.seq_setup <= ?2) "
static const char *const sql[][2] = {
	[TDB_QUEUES_ALL] = { QUEUES_COLS "ORDER BY seq_setup DESC",
			     QUEUES_COLS "WHERE device = ?1 ORDER BY seq_setup DESC" },
	[TDB_QUEUES_LATEST] = { QUEUES_COLS "WHERE " LATEST_GEN "ORDER BY device, queue",
				QUEUES_COLS "WHERE device = ?1 AND " LATEST_GEN "ORDER BY device, queue" },
	[TDB_QUEUES_AT] = { QUEUES_COLS "WHERE " AT_GEN "ORDER BY device, queue",
			    QUEUES_COLS "WHERE device = ?1 AND " AT_GEN "ORDER BY device, queue" },
};
static const enum tdb_stmt_id stmt_id[][2] = {
	[TDB_QUEUES_ALL] = { TDB_ST_QUEUES_ALL, TDB_ST_QUEUES_ALL_DEV },
	[TDB_QUEUES_LATEST] = { TDB_ST_QUEUES_LATEST, TDB_ST_QUEUES_LATEST_DEV },
	[TDB_QUEUES_AT] = { TDB_ST_QUEUES_AT, TDB_ST_QUEUES_AT_DEV },
};

#define N_CHECKED 14
static const char *const names[N_CHECKED] = { "device", "queue", "generation", "seq_setup", "size", "num_max",
					      "desc_addr", "driver_addr", "device_addr", "legacy_pfn", "page_size",
					      "align", "seq_ready", "seq_end" };
/* Lower and upper bound of each column; NULL allowed from 4 on. */
static const int64_t range[N_CHECKED][2] = {
	{ 0, TDB_DEVICE_ID_MAX }, { 0, U32_MAX_I64 }, { 0, INT64_MAX }, { 0, INT64_MAX },
	{ 0, U32_MAX_I64 }, { 0, U32_MAX_I64 },
	{ INT64_MIN, INT64_MAX }, { INT64_MIN, INT64_MAX }, { INT64_MIN, INT64_MAX },
	{ 0, U32_MAX_I64 }, { 0, U32_MAX_I64 }, { 0, U32_MAX_I64 },
	{ 0, INT64_MAX }, { 0, INT64_MAX },
};

static int read_row(struct tdb *t, sqlite3_stmt *st, enum tdb_queue_select which, uint64_t seq,
		    struct tdb_notes *notes, struct tdb_queue *q)
{
	int64_t col[N_CHECKED];
	char a[48], b[48], c[48], v[48];
	int n;

	memset(q, 0, sizeof(*q));
	for (int i = 0; i < N_CHECKED; i++) {
		if (tdb_row_int(st, i, range[i][0], range[i][1], i >= 4, &col[i])) {
			if (!tdb_row_null(st, i))
				q->known |= 1u << i;
			continue;
		}
		q->bad |= 1u << i;
		char msg[TDB_NOTE_MAX];
		snprintf(msg, sizeof(msg), "queues row device %s queue %s generation %s: %s %s%s",
			 tdb_row_shown(st, 0, a, sizeof(a)), tdb_row_shown(st, 1, b, sizeof(b)),
			 tdb_row_shown(st, 2, c, sizeof(c)), names[i], tdb_row_shown(st, i, v, sizeof(v)),
			 i == 4 ? " (QueueNum is 0 to 0xffffffff)" : "");
		if (!notes)
			return tdb_fail(t, TDB_E_DAMAGED_ROW, "%s", msg);
		tdb_notes_add(notes, "%s", msg);
	}
	q->device = (q->bad & TDB_Q_DEVICE) ? -1 : (int)col[0];
	q->queue = (uint32_t)col[1];
	q->generation = (uint64_t)col[2];
	q->seq_setup = (uint64_t)col[3];
	q->size = (uint32_t)col[4];
	q->num_max = (uint32_t)col[5];
	q->desc_addr = (uint64_t)col[6];
	q->driver_addr = (uint64_t)col[7];
	q->device_addr = (uint64_t)col[8];
	q->legacy_pfn = (uint32_t)col[9];
	q->page_size = (uint32_t)col[10];
	q->align = (uint32_t)col[11];
	q->seq_ready = (uint64_t)col[12];
	q->seq_end = (uint64_t)col[13];
	if (which == TDB_QUEUES_AT)
		q->ready = (q->known & TDB_Q_SEQ_READY) && q->seq_ready <= seq &&
			   (!(q->known & TDB_Q_SEQ_END) || q->seq_end > seq);
	const char *s = tdb_row_text(st, 14, &n);
	if (s) {
		size_t k = (size_t)n < sizeof(q->end_reason) ? (size_t)n : sizeof(q->end_reason) - 1;
		memcpy(q->end_reason, s, k);
		q->end_reason[k] = '\0';
	}
	return 0;
}

int tdb_queues_read(struct tdb *t, int device, enum tdb_queue_select which, uint64_t seq, struct tdb_notes *notes,
		    struct tdb_queue **out, size_t *n)
{
	sqlite3_stmt *st;
	struct tdb_queue *list = NULL;
	size_t cap = 0, k = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	if ((unsigned)which > TDB_QUEUES_AT)
		return tdb_fail(t, -EINVAL, "tdb_queues_read: no such selection %d", (int)which);
	enum tdb_stmt_id id = stmt_id[which][device >= 0];
	if ((r = tdb_stmt_get(t, id, sql[which][device >= 0], &st, "reading queue set-ups")))
		return r;
	sqlite3_bind_int64(st, 1, device);
	sqlite3_bind_int64(st, 2, seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == TDB_QUEUE_ROWS_MAX) {
			r = tdb_fail(t, TDB_E_TOO_MANY, "more than %u queues rows", TDB_QUEUE_ROWS_MAX);
			goto cleanup;
		}
		if (k == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct tdb_queue *nl = realloc(list, ncap * sizeof(*nl));
			if (!nl) {
				r = tdb_fail(t, -ENOMEM, "out of memory reading queue set-ups");
				goto cleanup;
			}
			list = nl;
			cap = ncap;
		}
		if ((r = read_row(t, st, which, seq, notes, &list[k])))
			goto cleanup;
		k++;
	}
	if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading queue set-ups");
		goto cleanup;
	}
	*out = list;
	*n = k;
	list = NULL;
cleanup:
	free(list);
	tdb_stmt_put(t, id, st);
	return r;
}
