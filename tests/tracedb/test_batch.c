/* The decoder writes its bulk tables (events, memory, ...) a batch of rows
 * at a time.  Every row must arrive whatever the count: a batch and one
 * row less or more, rows left over at the periodic commits, batches
 * written early because their copied bytes add up, empty and absent
 * payloads, and the largest event payload.  The periodic commits make rows
 * readable before the decode ends: a decoder that dies leaves them. */
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "decoder/db.h"
#include "decoder/dec_priv.h"
#include "decoder/decoder.h"
#include "tests/harness.h"

static uint8_t payload[VMT_EVENT_DATA_MAX];

/* Length of the payload of event i: all sizes from 0 up, now and then the
 * largest one an event can carry. */
static uint32_t len_of(uint64_t i, bool big)
{
	if (big && i % 7 == 3)
		return VMT_EVENT_DATA_MAX - (uint32_t)(i % 2);
	return (uint32_t)(i % 97);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Event i of decode_n. */
static void make_event(struct vmt_event *ev, uint64_t i, bool big)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = i;
	ev->ts_ns = i * 3;
	ev->len = len_of(i, big);
	ev->data = ev->len ? payload : NULL;
	if (i % 2 == 0) {
		ev->type = VMT_EV_MEM;
		ev->flags = VMT_MEM_DRIVER_WRITE;
		ev->addr = 0x40000000 + i * 0x100;
	} else {
		ev->type = VMT_EV_MARKER;
	}
}

/* Decode n events alternating guest-memory stores (as memory rows) and
 * markers (text in events), then check every row and byte arrived. */
static void decode_n(uint64_t n, bool big)
{
	const char *path = harness_tmpfile("batch.db");
	struct decoder_opts opts = { .store_memory = true };
	struct decoder *dec = NULL;
	sqlite3 *db = NULL;
	char err[256];
	uint64_t mem = 0, mem_bytes = 0, text_bytes = 0, markers_empty = 0;

	unlink(path);
	if (trace_db_create(&db, path, err, sizeof(err)) != 0 ||
	    decoder_new(&dec, db, NULL, &opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "set-up: %s\n", err);
		harness_failures++;
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		struct vmt_event ev = { .seq = i, .ts_ns = i * 3 };
		ev.len = len_of(i, big);
		ev.data = ev.len ? payload : NULL;
		if (i % 2 == 0) {
			ev.type = VMT_EV_MEM;
			ev.flags = VMT_MEM_DRIVER_WRITE;
			ev.addr = 0x40000000 + i * 0x100;
			mem++;
			mem_bytes += ev.len;
		} else {
			ev.type = VMT_EV_MARKER;
			text_bytes += ev.len;
			markers_empty += ev.len == 0;
		}
		CHECK(decoder_feed(dec, &ev) == 0);
	}
	CHECK(decoder_finish(dec, true, NULL) == 0);
	decoder_free(dec);

	CHECK_EQ_U(query_int(db, "SELECT count(*) FROM events"), n);
	CHECK_EQ_U(query_int(db, "SELECT count(*) FROM events WHERE seq = ts_ns / 3"), n);
	CHECK_EQ_U(query_int(db, "SELECT count(*) FROM memory"), mem);
	if (n) {
		CHECK_EQ_U(query_int(db, "SELECT max(seq) FROM events"), n - 1);
		CHECK_EQ_U(query_int(db, "SELECT count(DISTINCT seq) FROM events"), n);
	}
	CHECK_EQ_U(query_int(db, "SELECT coalesce(sum(length(data)), 0) FROM memory"), mem_bytes);
	CHECK_EQ_U(query_int(db, "SELECT coalesce(sum(length(CAST(text AS BLOB))), 0) FROM events"), text_bytes);
	/* Each row holds its own bytes, not a neighbour's. */
	CHECK_EQ_U(query_int(db, "SELECT count(*) FROM memory m JOIN events e USING (seq) "
				 "WHERE length(m.data) != e.len OR m.gpa != e.addr"), 0);
	CHECK_EQ_U(query_int(db, "SELECT count(*) FROM memory WHERE data != substr("
				 "(SELECT data FROM memory ORDER BY length(data) DESC LIMIT 1), 1, length(data))"), 0);
	/* An empty store is an empty blob; a marker without text has NULL text. */
	CHECK_EQ_U(query_int(db, "SELECT count(*) FROM memory WHERE data IS NULL"), 0);
	CHECK_EQ_U(query_int(db, "SELECT count(*) FROM events WHERE type = 'marker' AND text IS NULL"), markers_empty);
	sqlite3_close(db);
	unlink(path);
}

static void test_counts(void)
{
	static const uint64_t counts[] = {
		0, 1, DEC_BATCH_ROWS - 1, DEC_BATCH_ROWS, DEC_BATCH_ROWS + 1,
		2 * DEC_BATCH_ROWS, 2 * DEC_BATCH_ROWS + 1, 1000,
	};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		decode_n(counts[i], false);
}

/* In a child process: feed events 0..n1-1, sleep pause_ms, feed n1..n2-1,
 * then die without decoder_finish (as a decoder killed mid-decode).  Then
 * open the file with a second connection, as a reader would after the
 * crash, and return how many events it holds (-1 on a failure, reported).
 * The rows seen must be a prefix of what was fed: seq 0..count-1. */
static int64_t decode_and_die(uint64_t n1, unsigned pause_ms, uint64_t n2)
{
	const char *path = harness_tmpfile("batch-died.db");
	int status = 0;
	pid_t pid;

	unlink(path);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		struct decoder_opts opts = { .store_memory = true };
		struct decoder *dec = NULL;
		sqlite3 *db = NULL;
		char err[256];

		if (trace_db_create(&db, path, err, sizeof(err)) != 0 ||
		    decoder_new(&dec, db, NULL, &opts, err, sizeof(err)) != 0) {
			fprintf(stderr, "set-up: %s\n", err);
			_exit(3);
		}
		for (uint64_t i = 0; i < n2; i++) {
			struct vmt_event ev;
			if (i == n1 && pause_ms)
				usleep(pause_ms * 1000u);
			make_event(&ev, i, false);
			if (decoder_feed(dec, &ev) != 0)
				_exit(4);
		}
		_exit(0); /* no decoder_finish, no close: the locks go with the process */
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "decoding child failed (status 0x%x)\n", status);
		harness_failures++;
		return -1;
	}
	sqlite3 *db = NULL;
	int64_t count = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "second reader: %s\n", sqlite3_errmsg(db));
		harness_failures++;
	} else {
		CHECK_EQ_U(query_int(db, "SELECT count(*) FROM pragma_quick_check WHERE quick_check = 'ok'"), 1);
		count = query_int(db, "SELECT count(*) FROM events");
		CHECK_EQ_U(query_int(db, "SELECT coalesce(max(seq) + 1, 0) FROM events"), count);
		CHECK_EQ_U(query_int(db, "SELECT count(*) FROM memory"), (count + 1) / 2);
		/* The decoder never finished: no 'events' in meta. */
		CHECK_EQ_U(query_int(db, "SELECT count(*) FROM meta WHERE key = 'events'"), 0);
	}
	sqlite3_close(db);
	unlink(path);
	return count;
}

static void test_periodic_commit(void)
{
	/* More rows than one transaction takes, and not a multiple of a batch:
	 * every row arrives. */
	decode_n(TRACE_DB_COMMIT_ROWS + 3 * DEC_BATCH_ROWS / 2 + 5, false);

	/* Rows reach the file every TRACE_DB_COMMIT_ROWS rows (an event here
	 * writes 1.5 rows): a second reader sees them although the decoder
	 * never finished, and not the rows after the last commit. */
	uint64_t n = TRACE_DB_COMMIT_ROWS + 1000;
	int64_t seen = decode_and_die(n, 0, n);
	CHECK(seen >= (int64_t)(TRACE_DB_COMMIT_ROWS * 2 / 3 - DEC_BATCH_ROWS));
	CHECK(seen < (int64_t)n);

	/* ... and at least once a second: 1000 events (far fewer rows than a
	 * commit takes), 2.2 s of nothing, then events up to 2100 (the clock
	 * is looked at every 1024 events). */
	seen = decode_and_die(1000, 2200, 2100);
	CHECK(seen >= 1000);
	CHECK(seen < 2100);
}

static void test_large_payloads(void)
{
	/* Copies reach DEC_BATCH_BYTES long before a batch is full. */
	decode_n(200, true);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	RUN(test_counts);
	RUN(test_periodic_commit);
	RUN(test_large_payloads);
	return harness_finish("test_batch");
}
