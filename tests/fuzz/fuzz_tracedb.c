/* Fuzz target: the readers of trace.db files made by someone else
 * (RELIABILITY.md promise 5, D01-D04): tdb_open, replay
 * (replay_run and its report), diff (diff_run and its reports, the
 * mutated file against its unchanged base both ways), `vmtrace info` and
 * `vmtrace show`.
 *
 * At start-up the target records two small traces with the built-in
 * emulator (modern: blk, net, console, rng; legacy: blk, rng), decodes
 * them, and checks that each replays with no divergence; the QEMU sample
 * (samples/qemu-linux-modern.db) is the third base.  Each input picks a
 * base, then the copy in a tmpfs folder is changed at the SQL level by a
 * list of operations, one byte each (mod 9) and their arguments:
 *   0 UPDATE a cell        table, column, row (le16, mod the row count), value
 *   1 UPDATE a column      table, column, value (every row)
 *   2 DELETE a row         table, row
 *   3 DELETE rows          table, byte: 0 all, else every row whose rowid
 *                          (or first key) is a multiple of it
 *   4 duplicate a row      table, row, column, value for that column
 *   5 INSERT a row         table, a value per column
 *   6 schema change        one of the statements in schema_ops[]
 *   7 declared difference  byte: one of expect_texts[], or n % 48 bytes of
 *                          text, given to replay as -x DECL
 *   8 flip a file byte     le32 offset (mod the size), xor byte; applied
 *                          after the SQL
 * A value is a byte (mod 13) and its arguments: NULL, a hostile integer,
 * any 64-bit integer, a real, text, numeric-looking text, a blob, a zero
 * blob of a hostile length, another row's value, the value plus a small
 * delta, terminal escapes or a long text, the value negated, the value as
 * text with a letter appended.
 * Byte 0 of the input: bits 0-1 the base, bit 2 replay --keep-going,
 * bits 3-5 the readers (0 and 7 all; 1 open, 2 replay and diff, 3 info,
 * 4 show, 5 replay, diff and show, 6 info and show), bits 6-7 replay --until (every
 * event, 16, 64, 256).
 *
 * Then the readers run on the file, their stdout and stderr captured:
 * nothing may crash, hang, leak, return anything but its documented codes
 * or put a control byte other than newline and tab on the terminal (no
 * raw escapes, promise 1); a refusal says why, and the results stay
 * within their limits. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/diff_print.h"
#include "cli/replay_print.h"
#include "diff/diff.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_open.h"
#include "decoder/decode_file.h"
#include "replay/expect.h"
#include "replay/replay.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_record.h"

#define FUZZER_MAXLEN 4096u
/* Operations per input, at most. */
#define OPS_MAX 32u
#define TABLES_MAX 32u
#define COLUMNS_MAX 24u
#define BASES 3

#ifndef FUZZ_SAMPLES
#define FUZZ_SAMPLES "samples"
#endif

struct table {
	char name[64];
	unsigned n_cols;
	char cols[COLUMNS_MAX][32];
	bool rowid;      /* a rowid table (else WITHOUT ROWID) */
	char key[128];   /* "rowid", or the primary key columns "a, b" */
};

static struct {
	bool ready;
	char dir[64];
	char path[128];   /* the working copy */
	char base_path[BASES][128]; /* each base as a file, for diff */
	uint8_t *base[BASES];
	size_t base_len[BASES];
	unsigned n_bases;
	struct table tables[TABLES_MAX];
	unsigned n_tables;
} T;

static const char *const schema_ops[] = {
	"DROP VIEW violations_in_order",
	"DROP VIEW device_summary",
	"DROP VIEW violations_in_order; CREATE VIEW violations_in_order AS SELECT seq, zeroblob(99) AS device, "
	"-1 AS severity, x'1b5b324a' AS rule, randomblob(300) AS message, NULL AS section FROM events",
	"DROP VIEW request_latency; CREATE VIEW request_latency AS SELECT * FROM requests",
	"CREATE TRIGGER evil AFTER INSERT ON meta BEGIN DELETE FROM events; END",
	"CREATE TRIGGER evil2 BEFORE DELETE ON events BEGIN SELECT raise(FAIL, 'no'); END",
	"DROP INDEX events_device",
	"DROP INDEX chains_queue",
	"DROP INDEX reg_changes_at",
	"CREATE INDEX evil ON events(value, text)",
	"DROP TABLE lost",
	"DROP TABLE anomalies",
	"DROP TABLE chains",
	"ALTER TABLE events RENAME TO events_old; CREATE VIEW events AS SELECT * FROM events_old",
	"ALTER TABLE devices ADD COLUMN extra TEXT DEFAULT 'x'",
	"ALTER TABLE requests DROP COLUMN data",
	"ALTER TABLE events ADD COLUMN g INTEGER GENERATED ALWAYS AS (abs(-9223372036854775807 - 1 + seq * 0)) VIRTUAL",
	"ALTER TABLE devices RENAME COLUMN base TO b",
	"CREATE TABLE extra(x); INSERT INTO extra VALUES (zeroblob(100000))",
	"PRAGMA user_version = 7",
	"UPDATE meta SET value = '2' WHERE key = 'schema_version'",
	"UPDATE meta SET value = ' 1' WHERE key = 'schema_version'",
	"DELETE FROM meta WHERE key = 'schema_version'",
	"UPDATE meta SET value = '18446744073709551615' WHERE key IN ('ram_base', 'ram_size')",
	"UPDATE meta SET value = '-1' WHERE key = 'raw.seed'",
	"UPDATE meta SET value = 'qemu' WHERE key = 'source'",
	"UPDATE meta SET value = 'kvm-bpf' WHERE key = 'source'",
	"UPDATE events SET seq = seq + 1000000 WHERE seq % 7 = 3",
	"UPDATE events SET device = device + 1 WHERE device IS NOT NULL",
	"UPDATE events SET type = 'mem' WHERE type = 'mmio' AND rowid % 5 = 0",
	"UPDATE memory SET data = substr(data, 1, length(data) / 2)",
	"UPDATE memory SET gpa = gpa + 0x7ffffffffffffff0",
	"UPDATE queues SET size = 32768",
	"UPDATE queues SET size = 0, desc_addr = -16",
	"UPDATE devices SET config = zeroblob(1000000)",
	"UPDATE devices SET device_id = 2, version = 1 + (device % 2)",
	"INSERT INTO devices SELECT device + 100, base + 0x100000, name, device_id, type, version, vendor_id, status, "
	"features_offered, features_accepted, features_negotiated, first_seq, last_seq, events, config FROM devices",
	"INSERT INTO lost VALUES (0, 5)",
	"UPDATE requests SET length = 65550, data = zeroblob(70000) WHERE kind = 'rng' OR kind = 'net-rx'",
	"UPDATE requests SET seq_used = seq_notify - 1",
	"VACUUM",
	"PRAGMA page_size = 512; VACUUM",
	"PRAGMA journal_mode = WAL",
};

static const char *const expect_texts[] = {
	"DeviceFeatures", "QueueNumMax", "VendorID", "config", "config+4", "config+999999999999", "net:InterruptStatus",
	"queue0", "queue99999", "used", "buffers", "interrupts", "violations", "all", "blk:all",
	"virtio-rng@0x10000600:config", "0x10000000:QueueNumMax", "0xffffffffffffffff:used", ":", "", "x:y:z",
};

static const int64_t hostile_ints[] = {
	-1, 0, 1, 2, 3, 4, 7, 8, 255, 256, 0x200, 4096, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
	0x80000000LL, 0xffffffffLL, 0x100000000LL, INT64_MAX, INT64_MIN, INT64_MIN + 1, 0x10000000, 0x40000000,
	0x10000200, 65550, 65536, -65536,
};

static void remove_work_files(void)
{
	static const char *const side[] = { "", "-journal", "-wal", "-shm" };
	char p[160];

	for (unsigned i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", T.path, side[i]);
		unlink(p);
	}
}

static void cleanup(void)
{
	char p[160];

	if (!T.dir[0])
		return;
	remove_work_files();
	snprintf(p, sizeof(p), "%s/base.vmt", T.dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/base.db", T.dir);
	unlink(p);
	for (unsigned i = 0; i < T.n_bases; i++)
		unlink(T.base_path[i]);
	rmdir(T.dir);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n)) &&
	    fread(b, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* Record and decode one base; it must replay with no divergence. */
static void make_base(const struct fuzz_recording *rec)
{
	char raw[128], db[128], err[256];
	struct decode_result res;
	struct replay_opts ro = { .until = UINT64_MAX };
	struct replay_result rr;
	struct decoder_opts dopts = { .store_memory = true };

	snprintf(raw, sizeof(raw), "%s/base.vmt", T.dir);
	snprintf(db, sizeof(db), "%s/base.db", T.dir);
	unlink(db);
	if (fuzz_record(raw, rec) != 0)
		fuzz_fail("cannot record the base trace");
	if (decode_file(raw, db, &dopts, NULL, NULL, &res, err, sizeof(err)) != 0)
		fuzz_fail("cannot decode the base trace: %s", err);
	memset(&rr, 0, sizeof(rr));
	if (replay_run(db, &ro, &rr, err, sizeof(err)) != 0 || rr.divergences || rr.events_replayed != rr.events_total)
		fuzz_fail("the base trace does not replay: %s (%llu divergences)", err, (unsigned long long)rr.divergences);
	replay_result_free(&rr);
	T.base[T.n_bases] = slurp(db, &T.base_len[T.n_bases]);
	if (!T.base[T.n_bases])
		fuzz_fail("cannot read the base trace");
	T.n_bases++;
	unlink(raw);
	unlink(db);
}

/* The tables of the schema, their columns and how to name a row. */
static void learn_schema(void)
{
	sqlite3 *db;
	sqlite3_stmt *st, *ci;

	if (sqlite3_open_v2(T.path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
			       "ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		fuzz_fail("cannot read the base schema");
	while (sqlite3_step(st) == SQLITE_ROW && T.n_tables < TABLES_MAX) {
		struct table *t = &T.tables[T.n_tables++];
		char sql[160];

		snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(sql, sizeof(sql), "SELECT rowid FROM \"%s\" LIMIT 0", t->name);
		sqlite3_stmt *probe;
		t->rowid = sqlite3_prepare_v2(db, sql, -1, &probe, NULL) == SQLITE_OK;
		sqlite3_finalize(probe);
		snprintf(sql, sizeof(sql), "SELECT name, pk FROM pragma_table_info('%s') ORDER BY cid", t->name);
		if (sqlite3_prepare_v2(db, sql, -1, &ci, NULL) != SQLITE_OK)
			fuzz_fail("cannot read the columns of %s", t->name);
		snprintf(t->key, sizeof(t->key), "%s", t->rowid ? "rowid" : "");
		while (sqlite3_step(ci) == SQLITE_ROW && t->n_cols < COLUMNS_MAX) {
			const char *c = (const char *)sqlite3_column_text(ci, 0);
			snprintf(t->cols[t->n_cols++], sizeof(t->cols[0]), "%s", c);
			if (!t->rowid && sqlite3_column_int(ci, 1) > 0) {
				size_t l = strlen(t->key);
				snprintf(t->key + l, sizeof(t->key) - l, "%s\"%s\"", l ? ", " : "", c);
			}
		}
		sqlite3_finalize(ci);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (T.n_tables < 10)
		fuzz_fail("the base schema has %u tables", T.n_tables);
}

static void set_up(void)
{
	snprintf(T.dir, sizeof(T.dir), "/dev/shm/vmtrace-fuzz-tracedb.%d", (int)getpid());
	if (mkdir(T.dir, 0700) != 0 && errno != EEXIST) {
		/* No tmpfs: the current folder will do. */
		snprintf(T.dir, sizeof(T.dir), "vmtrace-fuzz-tracedb.%d", (int)getpid());
		if (mkdir(T.dir, 0700) != 0 && errno != EEXIST)
			fuzz_fail("cannot create a work folder: %s", strerror(errno));
	}
	atexit(cleanup);
	snprintf(T.path, sizeof(T.path), "%s/t.db", T.dir);
	make_base(&(struct fuzz_recording){ .devices = "blk,net,console,rng", .indirect = true, .event_idx = true,
		  .workload = "blk:sectors=2,requests=2;net:frames=2,batch=2;console:lines=1;rng:requests=2,bytes=16;queue:size=4" });
	make_base(&(struct fuzz_recording){ .devices = "blk,rng", .legacy = true,
		  .workload = "blk:sectors=1,requests=1;rng:requests=1,bytes=8;queue:size=4" });
	T.base[T.n_bases] = slurp(FUZZ_SAMPLES "/qemu-linux-modern.db", &T.base_len[T.n_bases]);
	if (T.base[T.n_bases])
		T.n_bases++;
	/* The schema, from the first base. */
	int fd = open(T.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, T.base[0], T.base_len[0]) != (ssize_t)T.base_len[0] || close(fd) != 0)
		fuzz_fail("cannot write '%s'", T.path);
	learn_schema();
	for (unsigned i = 0; i < T.n_bases; i++) {
		snprintf(T.base_path[i], sizeof(T.base_path[i]), "%s/base%u.db", T.dir, i);
		fd = open(T.base_path[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, T.base[i], T.base_len[i]) != (ssize_t)T.base_len[i] || close(fd) != 0)
			fuzz_fail("cannot write '%s'", T.base_path[i]);
	}
	T.ready = true;
}

/* --- SQL-level mutations --- */

struct bind {
	enum { B_NONE, B_NULL, B_INT, B_REAL, B_TEXT, B_BLOB, B_ZERO } type;
	int64_t i;
	double d;
	char s[4200];
	int len;
};

static void bind_one(sqlite3_stmt *st, int idx, const struct bind *b)
{
	switch (b->type) {
	case B_NONE: break;
	case B_NULL: sqlite3_bind_null(st, idx); break;
	case B_INT: sqlite3_bind_int64(st, idx, b->i); break;
	case B_REAL: sqlite3_bind_double(st, idx, b->d); break;
	case B_TEXT: sqlite3_bind_text(st, idx, b->s, b->len, SQLITE_TRANSIENT); break;
	case B_BLOB: sqlite3_bind_blob(st, idx, b->s, b->len, SQLITE_TRANSIENT); break;
	case B_ZERO: sqlite3_bind_zeroblob(st, idx, (int)b->i); break;
	}
}

/* A value for column col of t: SQL text in expr using parameter ?p,
 * with what to bind in *b. */
static void value_expr(struct fuzz_in *in, const struct table *t, const char *col, int p, char *expr, size_t len,
		       struct bind *b)
{
	/* Not larger: a whole column of megabyte blobs is a slow harness,
	 * not a slow reader. */
	static const int64_t zero_lens[] = { 0, 1, 7, 8, 55, 56, 57, 4096, 65536, 65537 };
	static const char *const numeric[] = { "0x10", "12abc", " 5", "1e3", "-0", "9223372036854775808", "",
					       "NaN", "0x", "1.5", "+7", "0b11" };
	uint8_t kind = (uint8_t)(fuzz_take(in, 1) % 13);

	snprintf(expr, len, "?%d", p);
	b->type = B_NONE;
	switch (kind) {
	case 0:
		b->type = B_NULL;
		break;
	case 1:
		b->type = B_INT;
		b->i = hostile_ints[fuzz_take(in, 1) % (sizeof(hostile_ints) / sizeof(hostile_ints[0]))];
		break;
	case 2:
		b->type = B_INT;
		b->i = (int64_t)fuzz_take(in, 8);
		break;
	case 3: {
		uint64_t bits = fuzz_take(in, 8);
		b->type = B_REAL;
		memcpy(&b->d, &bits, sizeof(b->d));
		break;
	}
	case 4:
	case 6:
		b->type = kind == 4 ? B_TEXT : B_BLOB;
		b->len = (int)(fuzz_take(in, 1) % 64);
		for (int i = 0; i < b->len; i++)
			b->s[i] = (char)fuzz_take(in, 1);
		break;
	case 5:
		b->type = B_TEXT;
		b->len = snprintf(b->s, sizeof(b->s), "%s", numeric[fuzz_take(in, 1) % (sizeof(numeric) / sizeof(numeric[0]))]);
		break;
	case 7:
		b->type = B_ZERO;
		b->i = zero_lens[fuzz_take(in, 1) % (sizeof(zero_lens) / sizeof(zero_lens[0]))];
		break;
	case 8:
		snprintf(expr, len, "(SELECT \"%s\" FROM \"%s\" LIMIT 1 OFFSET ?%d)", col, t->name, p);
		b->type = B_INT;
		b->i = (int64_t)fuzz_take(in, 2);
		break;
	case 9:
		snprintf(expr, len, "\"%s\" + ?%d", col, p);
		b->type = B_INT;
		b->i = (int8_t)fuzz_take(in, 1);
		break;
	case 10:
		b->type = B_TEXT;
		if (fuzz_take(in, 1) & 1) {
			b->len = snprintf(b->s, sizeof(b->s), "\x1b[2J\x1b]0;owned\x07\r\n%%s%%n\xff\xfe");
		} else {
			memset(b->s, 'A', 4096);
			b->len = 4096;
		}
		break;
	case 11:
		snprintf(expr, len, "-\"%s\"", col);
		break;
	default:
		snprintf(expr, len, "CAST(\"%s\" AS TEXT) || ?%d", col, p);
		b->type = B_TEXT;
		b->len = snprintf(b->s, sizeof(b->s), "x");
		break;
	}
}

/* Run sql with up to COLUMNS_MAX + 1 bindings; errors (constraints) are
 * expected and ignored. */
static void exec_bound(sqlite3 *db, const char *sql, const struct bind *b, unsigned n)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	for (unsigned i = 0; i < n; i++)
		bind_one(st, (int)i + 1, &b[i]);
	while (sqlite3_step(st) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
}

/* "key IN (SELECT key FROM t LIMIT 1 OFFSET (?p % count))" */
static void row_where(const struct table *t, int p, char *out, size_t len)
{
	snprintf(out, len, "(%s) IN (SELECT %s FROM \"%s\" LIMIT 1 OFFSET (?%d %% max(1, (SELECT count(*) FROM \"%s\"))))",
		 t->key, t->key, t->name, p, t->name);
}

struct flip {
	uint32_t off;
	uint8_t x;
};

static void mutate(sqlite3 *db, struct fuzz_in *in, struct replay_expect *ex, struct flip *flips, unsigned *n_flips)
{
	static struct bind b[COLUMNS_MAX + 1];
	static char sql[8192];
	char expr[256], where[512];

	for (unsigned k = 0; k < OPS_MAX && fuzz_left(in); k++) {
		uint8_t op = (uint8_t)(fuzz_take(in, 1) % 9);
		const struct table *t = &T.tables[fuzz_take(in, 1) % T.n_tables];
		const char *col = t->cols[0];
		switch (op) {
		case 0:
		case 1:
		case 4:
			col = t->cols[fuzz_take(in, 1) % t->n_cols];
			break;
		}
		switch (op) {
		case 0:
			b[1].type = B_INT;
			b[1].i = (int64_t)fuzz_take(in, 2);
			value_expr(in, t, col, 1, expr, sizeof(expr), &b[0]);
			row_where(t, 2, where, sizeof(where));
			snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = %s WHERE %s", t->name, col, expr, where);
			exec_bound(db, sql, b, 2);
			break;
		case 1:
			value_expr(in, t, col, 1, expr, sizeof(expr), &b[0]);
			snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = %s", t->name, col, expr);
			exec_bound(db, sql, b, 1);
			break;
		case 2:
			b[0].type = B_INT;
			b[0].i = (int64_t)fuzz_take(in, 2);
			row_where(t, 1, where, sizeof(where));
			snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE %s", t->name, where);
			exec_bound(db, sql, b, 1);
			break;
		case 3: {
			uint8_t m = (uint8_t)fuzz_take(in, 1);
			const char *k1 = t->rowid ? "rowid" : t->cols[0];
			if (m)
				snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE \"%s\" %% %u = 0", t->name, k1, m);
			else
				snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", t->name);
			exec_bound(db, sql, b, 0);
			break;
		}
		case 4: {
			/* INSERT INTO t SELECT c1, .., value, .. FROM t WHERE row */
			size_t n;
			b[1].type = B_INT;
			b[1].i = (int64_t)fuzz_take(in, 2);
			value_expr(in, t, col, 1, expr, sizeof(expr), &b[0]);
			row_where(t, 2, where, sizeof(where));
			n = (size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO \"%s\" SELECT ", t->name);
			for (unsigned i = 0; i < t->n_cols && n < sizeof(sql); i++)
				n += (size_t)snprintf(sql + n, sizeof(sql) - n, i ? ", %s%s%s" : "%s%s%s",
						      t->cols[i] == col ? "" : "\"", t->cols[i] == col ? expr : t->cols[i],
						      t->cols[i] == col ? "" : "\"");
			if (n < sizeof(sql))
				snprintf(sql + n, sizeof(sql) - n, " FROM \"%s\" WHERE %s", t->name, where);
			exec_bound(db, sql, b, 2);
			break;
		}
		case 5: {
			size_t n = (size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO \"%s\" VALUES (", t->name);
			for (unsigned i = 0; i < t->n_cols && n < sizeof(sql); i++) {
				value_expr(in, t, t->cols[i], (int)i + 1, expr, sizeof(expr), &b[i]);
				/* A column reference means nothing in VALUES: use the literal. */
				if (strchr(expr, '"'))
					snprintf(expr, sizeof(expr), "?%u", i + 1);
				if (b[i].type == B_NONE)
					b[i].type = B_NULL;
				n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s", i ? ", " : "", expr);
			}
			if (n < sizeof(sql))
				snprintf(sql + n, sizeof(sql) - n, ")");
			exec_bound(db, sql, b, t->n_cols);
			break;
		}
		case 6:
			sqlite3_exec(db, schema_ops[fuzz_take(in, 1) % (sizeof(schema_ops) / sizeof(schema_ops[0]))], NULL,
				     NULL, NULL);
			break;
		case 7: {
			char text[64], err[256];
			uint8_t c = (uint8_t)fuzz_take(in, 1);
			if (c < 128) {
				snprintf(text, sizeof(text), "%s", expect_texts[c % (sizeof(expect_texts) / sizeof(expect_texts[0]))]);
			} else {
				size_t n = c % 48;
				for (size_t i = 0; i < n; i++)
					text[i] = (char)fuzz_take(in, 1);
				text[n] = '\0';
			}
			err[0] = '\0';
			if (expect_add(ex, text, "--expect", err, sizeof(err)) != 0 && !err[0])
				fuzz_fail("a declaration refused without a reason");
			break;
		}
		default:
			if (*n_flips < OPS_MAX) {
				flips[*n_flips].off = (uint32_t)fuzz_take(in, 4);
				flips[*n_flips].x = (uint8_t)fuzz_take(in, 1);
				(*n_flips)++;
			}
			break;
		}
	}
}

/* --- the readers --- */

static void check_text(const char *s, size_t cap, const char *what)
{
	if (!memchr(s, '\0', cap))
		fuzz_fail("replay result: %s not terminated", what);
}

static void check_replay(const struct replay_result *r)
{
	if (r->n_divs > REPLAY_DIVS_KEPT || r->n_divs > r->divergences || (r->n_divs && !r->divs))
		fuzz_fail("replay kept %u of %llu divergences", r->n_divs, (unsigned long long)r->divergences);
	if (r->n_devices > sizeof(r->devices) / sizeof(r->devices[0]))
		fuzz_fail("replay lists %u devices", r->n_devices);
	if (r->events_replayed > r->events_total)
		fuzz_fail("replay replayed %llu of %llu events", (unsigned long long)r->events_replayed,
			  (unsigned long long)r->events_total);
	check_text(r->path, sizeof(r->path), "path");
	check_text(r->source, sizeof(r->source), "source");
	for (unsigned i = 0; i < r->n_divs; i++) {
		const struct replay_div *d = &r->divs[i];
		check_text(d->device_name, sizeof(d->device_name), "device name");
		check_text(d->where, sizeof(d->where), "where");
		check_text(d->note, sizeof(d->note), "note");
		check_text(d->expected_text, sizeof(d->expected_text), "expected text");
		check_text(d->actual_text, sizeof(d->actual_text), "actual text");
		if (d->n_before > REPLAY_CONTEXT || !d->kind)
			fuzz_fail("a divergence with %u events before it, kind %s", d->n_before, d->kind ? d->kind : "NULL");
	}
	for (unsigned i = 0; i < r->n_devices; i++) {
		check_text(r->devices[i].name, sizeof(r->devices[i].name), "device name");
		check_text(r->devices[i].why_not, sizeof(r->devices[i].why_not), "why not");
	}
}


/* The input being run (a message may quote text from it). */
static struct fuzz_in whole_input;

/* A refusal must say why: SQLite's "not an error" (its message when the
 * last call succeeded) standing in for the reason says nothing.  Unless
 * the input itself put those words into the file, to be quoted back. */
static void check_reason(const char *who, const char *err)
{
	static const char words[] = "not an error";

	if (!strstr(err, words) || fuzz_known(err) ||
	    memmem(whole_input.p, fuzz_left(&whole_input), words, sizeof(words) - 1))
		return;
	fuzz_fail("%s refuses the file without a reason: %s", who, err);
}

static void run_replay(const struct replay_opts *ro)
{
	struct replay_result rr;
	char err[512];
	int rc;

	memset(&rr, 0, sizeof(rr));
	err[0] = '\0';
	rc = replay_run(T.path, ro, &rr, err, sizeof(err));
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "replay %d: %llu of %llu events, %llu divergences, %llu declared%s%s\n", rc,
			(unsigned long long)rr.events_replayed, (unsigned long long)rr.events_total,
			(unsigned long long)rr.divergences, (unsigned long long)rr.declared, rc ? ": " : "", rc ? err : "");
	if (rc == 0) {
		check_replay(&rr);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			fuzz_fail("open_memstream");
		replay_print_text(f, &rr, ro->keep_going);
		fclose(f);
		fuzz_check_screen("replay report", buf, len);
		free(buf);
		buf = NULL;
		if (!(f = open_memstream(&buf, &len)))
			fuzz_fail("open_memstream");
		replay_print_json(f, &rr);
		fclose(f);
		fuzz_check_screen("replay --json", buf, len);
		free(buf);
	} else if (!err[0]) {
		fuzz_fail("replay_run failed without a message");
	} else {
		fuzz_check_screen("replay's error", err, strlen(err));
		check_reason("replay_run", err);
	}
	replay_result_free(&rr);
}

static void check_diff(const struct diff_result *r)
{
	for (size_t i = 0; i < r->n_pairs; i++) {
		const struct diff_pair *p = &r->pairs[i];
		check_text(p->a.name, sizeof(p->a.name), "device name");
		check_text(p->b.name, sizeof(p->b.name), "device name");
		if (p->n_segs > DIFF_SEGMENTS_KEPT || p->n_segs > p->segs_total || (p->has_first && !p->first))
			fuzz_fail("diff kept %zu of %llu segments", p->n_segs, (unsigned long long)p->segs_total);
		if (p->has_first && (p->first->n_ctx_a > DIFF_CONTEXT_MAX + 1 || p->first->n_ctx_b > DIFF_CONTEXT_MAX + 1))
			fuzz_fail("diff context of %u and %u lines", p->first->n_ctx_a, p->first->n_ctx_b);
	}
	if (r->different > r->n_pairs)
		fuzz_fail("diff: %u of %zu pairs differ", r->different, r->n_pairs);
}

/* diff of a against b: succeeds with a sane result and printable reports,
 * or refuses with a reason. */
static void run_diff(const char *a, const char *b, const struct replay_expect *ex, bool first)
{
	struct diff_opts o = { .expect = ex, .context = DIFF_CONTEXT_DEFAULT, .first = first };
	struct diff_result res;
	char err[512];

	err[0] = '\0';
	int rc = diff_run(a, b, &o, &res, err, sizeof(err));
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "diff %d: %zu pairs, %u different, %.3f s%s%s\n", rc, res.n_pairs, res.different, res.seconds,
			rc ? ": " : "", rc ? err : "");
	if (rc == 0) {
		check_diff(&res);
		for (int k = 0; k < 2; k++) {
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);
			if (!f)
				fuzz_fail("open_memstream");
			if (k)
				diff_print_json(f, &res, ex);
			else
				diff_print_text(f, &res, ex);
			fclose(f);
			fuzz_check_screen(k ? "diff --json" : "diff report", buf, len);
			free(buf);
		}
	} else if (!err[0]) {
		fuzz_fail("diff_run failed without a message");
	} else {
		fuzz_check_screen("diff's error", err, strlen(err));
		check_reason("diff_run", err);
	}
	diff_result_free(&res);
}

static void readers(uint8_t flags, const struct replay_expect *ex, unsigned base)
{
	static const uint8_t sets[8] = { 15, 1, 2, 4, 8, 10, 12, 15 };
	static const uint64_t untils[4] = { UINT64_MAX, 16, 64, 256 };
	unsigned set = sets[(flags >> 3) & 7];
	struct replay_opts ro = { .until = untils[flags >> 6], .keep_going = flags & 0x04, .expect = ex };
	struct tdb *db = NULL;
	char err[512], buf[64];

	if (set & 1) {
		err[0] = '\0';
		if (tdb_open(&db, T.path, err, sizeof(err)) == 0) {
			struct tdb_meta m;
			tdb_meta_read(db, &m);
			tdb_meta_text(db, "source", buf, sizeof(buf));
			fuzz_check_screen("tdb_meta_read's error", tdb_errmsg(db), strlen(tdb_errmsg(db)));
			tdb_close(db);
		} else if (!err[0] || db) {
			fuzz_fail("tdb_open failed without a message or left a handle");
		} else {
			fuzz_check_screen("tdb_open's error", err, strlen(err));
			check_reason("tdb_open", err);
		}
	}
	if (set & 2) {
		run_replay(&ro);
		run_diff(T.path, T.base_path[base], ex, flags & 0x04);
		run_diff(T.base_path[base], T.path, ex, false);
	}

	const char *info[] = { "info", T.path, NULL };
	const char *info_json[] = { "info", "--json", T.path, NULL };
	const char *show[] = { "show", T.path, NULL };
	const char *show_v[] = { "show", "--violations", T.path, NULL };
	const char *show_d[] = { "show", "-n", "50", "--from", "3", "--device", "0x10000000", T.path, NULL };
	int r[5] = { -1, -1, -1, -1, -1 };
	if (set & 4) {
		r[0] = fuzz_run_cmd(cmd_info, 2, info);
		r[1] = fuzz_run_cmd(cmd_info, 3, info_json);
	}
	if (set & 8) {
		r[2] = fuzz_run_cmd(cmd_show, 2, show);
		r[3] = fuzz_run_cmd(cmd_show, 3, show_v);
		r[4] = fuzz_run_cmd(cmd_show, 8, show_d);
	}
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "info %d, info --json %d, show %d, show --violations %d, show --device %d\n", r[0], r[1],
			r[2], r[3], r[4]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct replay_expect ex;
	struct flip flips[OPS_MAX];
	unsigned n_flips = 0;
	struct fuzz_in in = { data, data + size };
	sqlite3 *db;
	uint8_t flags;
	int fd;

	if (size > FUZZER_MAXLEN)
		return 0;
	if (!T.ready)
		set_up();
	whole_input = in;
	flags = (uint8_t)fuzz_take(&in, 1);
	unsigned base = (flags & 3) % T.n_bases;

	remove_work_files();
	fd = open(T.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, T.base[base], T.base_len[base]) != (ssize_t)T.base_len[base] || close(fd) != 0)
		fuzz_fail("cannot write '%s': %s", T.path, strerror(errno));
	memset(&ex, 0, sizeof(ex));
	if (sqlite3_open_v2(T.path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fuzz_fail("cannot open the copy: %s", sqlite3_errmsg(db));
	mutate(db, &in, &ex, flips, &n_flips);
	if (sqlite3_close(db) != SQLITE_OK)
		fuzz_fail("cannot close the copy");
	if (n_flips) {
		struct stat sb;
		fd = open(T.path, O_RDWR);
		if (fd < 0 || fstat(fd, &sb) != 0)
			fuzz_fail("cannot reopen the copy");
		for (unsigned i = 0; i < n_flips && sb.st_size > 0; i++) {
			uint8_t c;
			off_t at = (off_t)(flips[i].off % (uint64_t)sb.st_size);
			if (pread(fd, &c, 1, at) == 1) {
				c ^= flips[i].x;
				if (pwrite(fd, &c, 1, at) != 1)
					fuzz_fail("cannot write the copy");
			}
		}
		close(fd);
	}
	readers(flags, &ex, base);
	return 0;
}
