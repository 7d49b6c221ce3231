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
	"SELECT q.device, q.queue, q.generation, q.seq_setup, q.size, q.num_max, q.desc_addr, q.driver_addr, "     \
	"q.device_addr, q.legacy_pfn, q.page_size, q.align, q.seq_ready, q.seq_end, q.end_reason FROM queues q "

/* Each selection for every device ([0]) and for device ?1 ([1]): "device
 * = ?1" lets SQLite search the primary key (device, queue, generation)
 * where "?1 < 0 OR device = ?1" scans the table. */
#define LATEST_GEN "generation = (SELECT max(generation) FROM queues WHERE device = q.device AND queue = q.queue) "
static const char *const sql[][2] = {
	[TDB_QUEUES_ALL] = { QUEUES_COLS "ORDER BY seq_setup DESC",
			     QUEUES_COLS "WHERE device = ?1 ORDER BY seq_setup DESC" },
	[TDB_QUEUES_LATEST] = { QUEUES_COLS "WHERE " LATEST_GEN "ORDER BY device, queue",
				QUEUES_COLS "WHERE device = ?1 AND " LATEST_GEN "ORDER BY device, queue" },
	/* TDB_QUEUES_AT: read_at's lookups */
};
static const enum tdb_stmt_id stmt_id[][2] = {
	[TDB_QUEUES_ALL] = { TDB_ST_QUEUES_ALL, TDB_ST_QUEUES_ALL_DEV },
	[TDB_QUEUES_LATEST] = { TDB_ST_QUEUES_LATEST, TDB_ST_QUEUES_LATEST_DEV },

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

/* A list of queues rows growing by one. */
struct qlist {
	struct tdb_queue *v;
	size_t n, cap;
};

static int qlist_slot(struct tdb *t, struct qlist *l, struct tdb_queue **slot)
{
	if (l->n == TDB_QUEUE_ROWS_MAX)
		return tdb_fail(t, TDB_E_TOO_MANY, "more than %u queues rows", TDB_QUEUE_ROWS_MAX);
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct tdb_queue *nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return tdb_fail(t, -ENOMEM, "out of memory reading queue set-ups");
		l->v = nv;
		l->cap = ncap;
	}
	*slot = &l->v[l->n];
	return 0;
}

/* The next (device, queue) key of the queues table after (*device,
 * *queue), or the first when *device < 0; with only_device, within that
 * device.  Each step one seek along the primary key (device, queue,
 * generation), however many generations a queue has.  1 found, 0 none. */
static int next_key(struct tdb *t, bool only_device, int64_t *device, int64_t *queue)
{
	sqlite3_stmt *st;
	int rc, r, found = 0;

	if (*device >= 0) {
		if ((r = tdb_stmt_get(t, TDB_ST_QUEUES_AT_NEXT_QUEUE,
				      "SELECT min(queue) FROM queues WHERE device = ?1 AND queue > ?2", &st,
				      "reading queue set-ups")))
			return r;
		sqlite3_bind_int64(st, 1, *device);
		sqlite3_bind_int64(st, 2, *queue);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
			*queue = sqlite3_column_int64(st, 0);
			found = 1;
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			found = tdb_sql_fail(t, "reading queue set-ups");
		}
		tdb_stmt_put(t, TDB_ST_QUEUES_AT_NEXT_QUEUE, st);
		if (found || only_device)
			return found;
	}
	/* the first queue of the next device (a device or queue that is not
	 * an integer ends the walk: read_row would refuse its rows) */
	if ((r = tdb_stmt_get(t, TDB_ST_QUEUES_AT_NEXT_DEVICE,
			      "SELECT device, min(queue) FROM queues WHERE device = "
			      "(SELECT min(device) FROM queues WHERE device > ?1)",
			      &st, "reading queue set-ups")))
		return r;
	sqlite3_bind_int64(st, 1, *device);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
	    sqlite3_column_type(st, 1) == SQLITE_INTEGER) {
		*device = sqlite3_column_int64(st, 0);
		*queue = sqlite3_column_int64(st, 1);
		found = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		found = tdb_sql_fail(t, "reading queue set-ups");
	}
	tdb_stmt_put(t, TDB_ST_QUEUES_AT_NEXT_DEVICE, st);
	return found;
}

/* TDB_QUEUES_AT: each queue's generation in force at seq, the one set up
 * last by then (of those set up at one seq, the largest generation): a
 * skip from queue to queue and one seek per queue in the index queues_at
 * (device, queue, seq_setup), where a scan of the generations grew with
 * the trace (a device reset 114 times has 114 of each queue).  Every
 * device when device < 0. */
static int read_at(struct tdb *t, int device, uint64_t seq, struct tdb_notes *notes, struct qlist *l)
{
	int64_t d = device, q = -1;
	int r, found;

	if (device >= 0) {
		/* the device's first queue: the step after queue -1 */
		q = INT64_MIN;
	}
	while ((found = next_key(t, device >= 0, &d, &q)) == 1) {
		sqlite3_stmt *st;
		struct tdb_queue *slot;
		int rc;

		if ((r = tdb_stmt_get(t, TDB_ST_QUEUES_AT,
				      QUEUES_COLS "WHERE q.device = ?1 AND q.queue = ?2 AND q.seq_setup <= ?3 "
						  "ORDER BY q.seq_setup DESC, q.generation DESC LIMIT 1",
				      &st, "reading queue set-ups")))
			return r;
		sqlite3_bind_int64(st, 1, d);
		sqlite3_bind_int64(st, 2, q);
		sqlite3_bind_int64(st, 3, seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if ((r = qlist_slot(t, l, &slot)) == 0 && (r = read_row(t, st, TDB_QUEUES_AT, seq, notes, slot)) == 0)
				l->n++;
		} else {
			r = rc == SQLITE_DONE ? 0 : tdb_sql_fail(t, "reading queue set-ups");
		}
		tdb_stmt_put(t, TDB_ST_QUEUES_AT, st);
		if (r)
			return r;
	}
	return found < 0 ? found : 0;
}

int tdb_queues_read(struct tdb *t, int device, enum tdb_queue_select which, uint64_t seq, struct tdb_notes *notes,
		    struct tdb_queue **out, size_t *n)
{
	struct qlist l = { NULL, 0, 0 };
	sqlite3_stmt *st;
	int rc, r;

	*out = NULL;
	*n = 0;
	if ((unsigned)which > TDB_QUEUES_AT)
		return tdb_fail(t, -EINVAL, "tdb_queues_read: no such selection %d", (int)which);
	if (which == TDB_QUEUES_AT) {
		r = read_at(t, device, seq, notes, &l);
		goto done;
	}
	enum tdb_stmt_id id = stmt_id[which][device >= 0];
	if ((r = tdb_stmt_get(t, id, sql[which][device >= 0], &st, "reading queue set-ups")))
		return r;
	sqlite3_bind_int64(st, 1, device);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tdb_queue *slot;
		if ((r = qlist_slot(t, &l, &slot)) || (r = read_row(t, st, which, seq, notes, slot)))
			break;
		l.n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading queue set-ups");
	tdb_stmt_put(t, id, st);
done:
	if (r) {
		free(l.v);
		return r;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}
