/* The events cursor (tdb_events.h). */
#include "tracedb/tdb_events.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_row.h"

enum {
	C_SEQ, C_TS, C_TYPE, C_DEVICE, C_OFFSET, C_REG, C_DIR, C_WIDTH, C_VALUE, C_ADDR, C_LEN, C_TEXT, C_VCPU,
	C_HAS_MEMORY, C_KIND, C_EXACT, C_DATA_TYPE, C_DATA_LEN, C_GPA, C_DATA,
	/* device_steps (NULL without the table) */
	C_HAS_STEP, C_STEP, C_TOKEN, C_IN_NUM, C_OUT_NUM, C_STEP_LEN, C_USED_POS, C_COUNT, C_SECTOR, C_SECTORS,
	C_CHAIN, C_VERDICT,
};

/* Bound parameters of the page query. */
enum { P_KEY = 1, P_LIMIT, P_FROM, P_TO, P_DEVICE, P_QUEUE };

struct tdb_cursor {
	struct tdb *t;
	struct tdb_filter f;
	sqlite3_stmt *st[2];       /* page query per direction */
	enum tdb_direction dir;
	bool active;               /* st[dir] is stepping through a page */
	bool done;
	bool have_key;             /* a row was returned since the last seek */
	bool key_int;              /* its seq is an integer: key_i (else key) */
	int64_t key_i;
	sqlite3_value *key;        /* a seq that is not an integer (damaged rows) */
	uint64_t ties;             /* rows returned so far with that seq */
	uint64_t skip;             /* of them, still to pass over in this page */
	uint64_t in_page, limit;
	bool has_start;            /* a seek put the cursor at start (else: the range end) */
	int64_t start;
};

void tdb_filter_init(struct tdb_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->device = -1;
	f->queue = -1;
}

/* Registers that act on the queue QueueSel selects. */
#define QUEUE_REGS                                                                                                  \
	"'QueueNumMax', 'QueueNum', 'QueueReady', 'QueueDescLow', 'QueueDescHigh', 'QueueDriverLow', "             \
	"'QueueDriverHigh', 'QueueDeviceLow', 'QueueDeviceHigh', 'QueuePFN', 'QueueAlign', 'QueueReset'"

/* The page query for f in direction dir (sqlite3_free it). */
static char *page_sql(const struct tdb *t, const struct tdb_filter *f, enum tdb_direction dir, bool *nomem)
{
	sqlite3_str *q = sqlite3_str_new(NULL);
	char *s;

	/* m.seq is NULL exactly when no memory row joined (the join needs it
	 * equal to e.seq).  With the payload, its type and length come from
	 * the column itself (mem_payload); without it, from typeof() and
	 * length(), which leave the blob unread. */
	sqlite3_str_appendf(q,
			    "SELECT e.seq, e.ts_ns, e.type, e.device, e.offset, e.reg, e.dir, e.width, e.value, e.addr, "
			    "e.len, e.text, e.vcpu, m.seq, m.kind, m.exact, %s, m.gpa, %s, %s "
			    "FROM events e LEFT JOIN memory m ON m.seq = e.seq %s WHERE e.seq %s ?%d",
			    f->with_data ? "NULL, NULL" : "typeof(m.data), length(m.data)", f->with_data ? "m.data" : "NULL",
			    t->has_device_steps ? "s.seq, s.step, s.token, s.in_num, s.out_num, s.len, s.used_pos, s.count, "
						  "s.sector, s.sectors, s.chain, s.verdict"
						: "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
			    t->has_device_steps ? "LEFT JOIN device_steps s ON s.seq = e.seq" : "",
			    dir == TDB_FORWARD ? ">=" : "<=", P_KEY);
	if (f->has_from)
		sqlite3_str_appendf(q, " AND e.seq >= ?%d", P_FROM);
	if (f->has_to)
		sqlite3_str_appendf(q, " AND e.seq <= ?%d", P_TO);
	if (f->device >= 0 && f->queue < 0)
		sqlite3_str_appendf(q, " AND e.device = ?%d", P_DEVICE);
	if (f->device >= 0 && f->queue >= 0)
		sqlite3_str_appendf(q,
				    " AND ((e.device = ?%d AND ((e.reg = 'QueueNotify' AND e.value = ?%d) OR "
				    "(e.type = 'queue' AND e.addr = ?%d) OR "
				    "(e.reg IN (" QUEUE_REGS ") AND (SELECT value FROM reg_changes rc WHERE rc.device = e.device "
				    "AND rc.reg = 'QueueSel' AND rc.queue = -1 AND rc.seq <= e.seq ORDER BY rc.seq DESC LIMIT 1) "
				    "= ?%d))) OR (e.type = 'mem' AND e.device IS NULL AND EXISTS (SELECT 1 FROM queues q "
				    "WHERE q.device = ?%d AND q.queue = ?%d AND q.size > 0 AND ("
				    "(e.addr < q.desc_addr + 16 * q.size AND e.addr + e.len > q.desc_addr) OR "
				    "(e.addr < q.driver_addr + 6 + 2 * q.size AND e.addr + e.len > q.driver_addr) OR "
				    "(e.addr < q.device_addr + 6 + 8 * q.size AND e.addr + e.len > q.device_addr)))))",
				    P_DEVICE, P_QUEUE, P_QUEUE, P_QUEUE, P_DEVICE, P_QUEUE);
	if (f->types) {
		const char *sep = "";
		sqlite3_str_appendall(q, " AND e.type IN (");
		for (int i = 1; i <= VMT_EV_TYPE_MAX; i++) {
			if (f->types & (1u << i)) {
				sqlite3_str_appendf(q, "%s%Q", sep, tdb_vocab_name(&tdb_vocab_event_type, i));
				sep = ", ";
			}
		}
		sqlite3_str_appendall(q, ")");
	}
	if (f->violations_only && t->has_anomalies)
		sqlite3_str_appendall(q, " AND (e.seq IN (SELECT seq FROM violations) OR e.seq IN (SELECT seq FROM anomalies))");
	else if (f->violations_only)
		sqlite3_str_appendall(q, " AND e.seq IN (SELECT seq FROM violations)");
	sqlite3_str_appendf(q, " ORDER BY e.seq %s LIMIT ?%d", dir == TDB_FORWARD ? "ASC" : "DESC", P_LIMIT);
	s = sqlite3_str_finish(q);
	*nomem = s == NULL;
	return s;
}

int tdb_cursor_open(struct tdb *t, const struct tdb_filter *f, enum tdb_direction dir, struct tdb_cursor **out)
{
	struct tdb_cursor *c;
	int r = 0;

	*out = NULL;
	if (f->queue >= 0 && f->device < 0)
		return tdb_fail(t, -EINVAL, "a queue filter needs a device");
	if (f->device > TDB_DEVICE_ID_MAX || f->page > TDB_PAGE_MAX || (f->types >> (VMT_EV_TYPE_MAX + 1)) ||
	    (f->types & 1u))
		return tdb_fail(t, -EINVAL, "tdb_cursor_open: filter out of range");
	if ((r = tdb_devices_cache(t)))
		return r;
	if (f->device >= 0 && !tdb_device_by_id(t, f->device))
		return tdb_fail(t, TDB_E_NOT_FOUND, "no device %d", f->device);
	c = calloc(1, sizeof(*c));
	if (!c)
		return tdb_fail(t, -ENOMEM, "out of memory");
	c->t = t;
	c->f = *f;
	if (!c->f.page)
		c->f.page = TDB_PAGE_DEFAULT;
	c->dir = dir;
	for (int d = 0; d < 2 && r == 0; d++) {
		bool nomem;
		char *sql = page_sql(t, f, (enum tdb_direction)d, &nomem);
		if (!sql) {
			r = tdb_fail(t, -ENOMEM, "out of memory");
			break;
		}
		r = tdb_prepare(t, sql, &c->st[d], "reading events");
		sqlite3_free(sql);
		if (r)
			break;
		sqlite3_bind_int64(c->st[d], P_FROM, f->from > INT64_MAX ? INT64_MAX : (sqlite3_int64)f->from);
		sqlite3_bind_int64(c->st[d], P_TO, f->to > INT64_MAX ? INT64_MAX : (sqlite3_int64)f->to);
		sqlite3_bind_int64(c->st[d], P_DEVICE, f->device);
		sqlite3_bind_int64(c->st[d], P_QUEUE, f->queue);
	}
	if (r) {
		tdb_cursor_close(c);
		return r;
	}
	*out = c;
	return 0;
}

void tdb_cursor_close(struct tdb_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->st[0]);
	sqlite3_finalize(c->st[1]);
	sqlite3_value_free(c->key);
	free(c);
}

void tdb_cursor_seek(struct tdb_cursor *c, uint64_t seq, enum tdb_direction dir)
{
	if (c->active)
		sqlite3_reset(c->st[c->dir]);
	c->active = false;
	c->done = false;
	c->dir = dir;
	sqlite3_value_free(c->key);
	c->key = NULL;
	c->have_key = c->key_int = false;
	c->ties = 0;
	c->has_start = true;
	c->start = seq > INT64_MAX ? INT64_MAX : (int64_t)seq;
}

/* SQLite's order of two values (NULL < numbers < text < blob; text by
 * bytes): <0, 0, >0. */
static int key_cmp(sqlite3_value *a, sqlite3_value *b)
{
	int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
	int ca = ta == SQLITE_NULL ? 0 : ta == SQLITE_INTEGER || ta == SQLITE_FLOAT ? 1 : ta == SQLITE_TEXT ? 2 : 3;
	int cb = tb == SQLITE_NULL ? 0 : tb == SQLITE_INTEGER || tb == SQLITE_FLOAT ? 1 : tb == SQLITE_TEXT ? 2 : 3;

	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (ca == 0)
		return 0;
	if (ca == 1) {
		if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
			int64_t x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
			return x < y ? -1 : x > y;
		}
		double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
		return x < y ? -1 : x > y;
	}
	const void *pa = ca == 2 ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
	const void *pb = ca == 2 ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
	int na = sqlite3_value_bytes(a), nb = sqlite3_value_bytes(b);
	int k = na < nb ? na : nb;
	int m = k && pa && pb ? memcmp(pa, pb, (size_t)k) : 0;
	return m ? m : (na > nb) - (na < nb);
}

/* Mark row damaged (table, reason). Returns TDB_E_DAMAGED_ROW. */
static int __attribute__((format(printf, 3, 4))) damaged(struct tdb_event *row, const char *table, const char *fmt, ...)
{
	va_list ap;

	row->damaged = true;
	row->table = table;
	va_start(ap, fmt);
	vsnprintf(row->why, sizeof(row->why), fmt, ap);
	va_end(ap);
	return TDB_E_DAMAGED_ROW;
}

/* The memory payload's type as typeof() names it, and its bytes if it is
 * a blob (with_data: read from the payload column). */
static const char *mem_payload(sqlite3_stmt *st, bool with_data, int64_t *held)
{
	static const char *const names[] = {
		[SQLITE_INTEGER] = "integer", [SQLITE_FLOAT] = "real", [SQLITE_TEXT] = "text",
		[SQLITE_BLOB] = "blob",       [SQLITE_NULL] = "null",
	};
	const char *ty;
	int k, type;

	if (!with_data) {
		ty = tdb_row_text(st, C_DATA_TYPE, &k);
		*held = sqlite3_column_int64(st, C_DATA_LEN);
		return ty ? ty : "?";
	}
	type = sqlite3_column_type(st, C_DATA);
	*held = type == SQLITE_BLOB ? sqlite3_column_bytes(st, C_DATA) : 0;
	return type >= SQLITE_INTEGER && type <= SQLITE_NULL ? names[type] : "?";
}

static int mem_columns(sqlite3_stmt *st, bool with_data, struct tdb_event *row)
{
	char a[96], b[96];
	int64_t addr, len, gpa, exact, held;
	int n, kind;
	const char *s;

	if (!tdb_row_int(st, C_LEN, 0, VMT_EVENT_DATA_MAX, false, &len))
		return damaged(row, "events", "len %s (a memory event holds 0 to %u bytes)", tdb_row_shown(st, C_LEN, a, sizeof(a)),
			       VMT_EVENT_DATA_MAX);
	if (!tdb_row_int(st, C_ADDR, INT64_MIN, INT64_MAX, false, &addr))
		return damaged(row, "events", "addr %s is not an address", tdb_row_shown(st, C_ADDR, a, sizeof(a)));
	/* 64-bit addresses are stored as signed integers. */
	row->ev.addr = (uint64_t)addr;
	row->ev.len = (uint32_t)len;
	if (row->ev.addr > UINT64_MAX - (uint64_t)len)
		return damaged(row, "events", "%lld bytes at 0x%" PRIx64 " run past the end of the address space", (long long)len,
			       row->ev.addr);
	if (sqlite3_column_type(st, C_HAS_MEMORY) == SQLITE_NULL)
		return 0;
	row->has_memory = true;
	s = tdb_row_text(st, C_KIND, &n);
	kind = tdb_vocab_parse(&tdb_vocab_mem_kind, s, (size_t)n);
	if (kind < 0)
		return damaged(row, "memory", "kind %s (%s)", tdb_row_shown(st, C_KIND, a, sizeof(a)),
			       tdb_vocab_list(&tdb_vocab_mem_kind, b, sizeof(b)));
	row->mem_kind = (enum tdb_mem_kind)kind;
	if (!tdb_row_int(st, C_EXACT, 0, 1, false, &exact))
		return damaged(row, "memory", "exact %s (0 or 1)", tdb_row_shown(st, C_EXACT, a, sizeof(a)));
	row->exact = exact != 0;
	row->ev.flags = kind == TDB_MEM_DRIVER_WRITE ? VMT_MEM_DRIVER_WRITE
			: kind == TDB_MEM_DEVICE_WRITE ? VMT_MEM_DEVICE_WRITE : VMT_MEM_SNAPSHOT;
	if (!exact)
		row->ev.flags |= VMT_MEM_BEST_EFFORT;
	const char *ty = mem_payload(st, with_data, &held);
	if (strcmp(ty, "blob") != 0)
		return damaged(row, "memory", "data is %s, not a blob", ty);
	if (held != len)
		return damaged(row, "events", "memory payload is %lld bytes, events.len says %lld", (long long)held,
			       (long long)len);
	if (!tdb_row_int(st, C_GPA, INT64_MIN, INT64_MAX, false, &gpa) || gpa != addr)
		return damaged(row, "memory", "gpa %s, events.addr says 0x%" PRIx64,
			       tdb_row_int(st, C_GPA, INT64_MIN, INT64_MAX, false, NULL)
				       ? (snprintf(a, sizeof(a), "0x%" PRIx64, (uint64_t)gpa), a)
				       : tdb_row_shown(st, C_GPA, a, sizeof(a)),
			       (uint64_t)addr);
	if (len > 0 && sqlite3_column_type(st, C_DATA) == SQLITE_BLOB) {
		row->ev.data = sqlite3_column_blob(st, C_DATA);
		if (!row->ev.data || sqlite3_column_bytes(st, C_DATA) != len)
			return damaged(row, "events", "memory payload unreadable");
	}
	return 0;
}

static int mmio_columns(sqlite3_stmt *st, struct tdb_event *row)
{
	char a[96];
	int64_t offset, width, value;
	int n;
	const char *dir = tdb_row_text(st, C_DIR, &n);
	int d = tdb_vocab_parse(&tdb_vocab_dir, dir, (size_t)n);

	if (d < 0)
		return damaged(row, "events", "dir %s (R or W)", tdb_row_shown(st, C_DIR, a, sizeof(a)));
	row->ev.dir = (uint8_t)d;
	if (!tdb_row_int(st, C_WIDTH, 0, 255, false, &width))
		return damaged(row, "events", "width %s", tdb_row_shown(st, C_WIDTH, a, sizeof(a)));
	row->ev.width = (uint8_t)width;
	if (!tdb_row_int(st, C_OFFSET, INT64_MIN, INT64_MAX, false, &offset))
		return damaged(row, "events", "offset %s is not a number", tdb_row_shown(st, C_OFFSET, a, sizeof(a)));
	row->ev.addr = (uint64_t)offset;
	if (!tdb_row_int(st, C_VALUE, INT64_MIN, INT64_MAX, false, &value))
		return damaged(row, "events", "value %s", tdb_row_shown(st, C_VALUE, a, sizeof(a)));
	row->ev.value = (uint64_t)value;
	return 0;
}

/* A queue event: the step and queue from events, the report from its
 * device_steps row (when the file has one for it). */
static int queue_columns(sqlite3_stmt *st, struct tdb_event *row)
{
	static const int args[VMT_QSTEP_MAX + 1][2] = {
		[VMT_QSTEP_POP] = { C_IN_NUM, C_OUT_NUM },  [VMT_QSTEP_FILL] = { C_STEP_LEN, C_USED_POS },
		[VMT_QSTEP_FLUSH] = { C_COUNT, -1 },        [VMT_QSTEP_BLK_READ] = { C_SECTOR, C_SECTORS },
		[VMT_QSTEP_BLK_WRITE] = { C_SECTOR, C_SECTORS }, [VMT_QSTEP_SCSI_CMD] = { C_SECTOR, C_SECTORS },
		[VMT_QSTEP_SCSI_XFER] = { C_SECTOR, C_SECTORS }, [VMT_QSTEP_SCSI_LBA] = { C_SECTOR, C_SECTORS },
	};
	static const char *const names[] = {
		[C_IN_NUM] = "in_num", [C_OUT_NUM] = "out_num", [C_STEP_LEN] = "len", [C_USED_POS] = "used_pos",
		[C_COUNT] = "count", [C_SECTOR] = "sector", [C_SECTORS] = "sectors",
	};
	char a[96], b[96];
	int64_t value, x, v[2] = { 0, 0 }, token = 0;
	int n, step;
	const char *s;
	struct vmt_queue_report rep;

	if (!tdb_row_int(st, C_VALUE, INT64_MIN, INT64_MAX, false, &value))
		return damaged(row, "events", "value %s (a queue step)", tdb_row_shown(st, C_VALUE, a, sizeof(a)));
	row->ev.value = (uint64_t)value;
	if (!tdb_row_int(st, C_ADDR, INT64_MIN, INT64_MAX, false, &x))
		return damaged(row, "events", "addr %s is not a queue index", tdb_row_shown(st, C_ADDR, a, sizeof(a)));
	row->ev.addr = (uint64_t)x;
	if (tdb_row_null(st, C_HAS_STEP))
		return 0;
	row->has_step = true;
	s = tdb_row_text(st, C_STEP, &n);
	step = tdb_vocab_parse(&tdb_vocab_queue_step, s, (size_t)n);
	if (step <= 0)
		return damaged(row, "device_steps", "step %s (%s)", tdb_row_shown(st, C_STEP, a, sizeof(a)),
			       tdb_vocab_list(&tdb_vocab_queue_step, b, sizeof(b)));
	if ((uint64_t)step != row->ev.value)
		return damaged(row, "device_steps", "step '%s', events.value says %lld", tdb_vocab_name(&tdb_vocab_queue_step, step),
			       (long long)value);
	if (step != VMT_QSTEP_FLUSH && !tdb_row_int(st, C_TOKEN, INT64_MIN, INT64_MAX, false, &token))
		return damaged(row, "device_steps", "token %s", tdb_row_shown(st, C_TOKEN, a, sizeof(a)));
	for (int i = 0; i < 2; i++) {
		int c = args[step][i];
		if (c >= 0 && !tdb_row_int(st, c, INT64_MIN, INT64_MAX, false, &v[i]))
			return damaged(row, "device_steps", "%s %s (a %s step has one)", names[c], tdb_row_shown(st, c, a, sizeof(a)),
				       tdb_vocab_name(&tdb_vocab_queue_step, step));
	}
	row->step_chain = -1;
	if (!tdb_row_null(st, C_CHAIN)) {
		if (!tdb_row_int(st, C_CHAIN, 1, INT64_MAX, false, &row->step_chain))
			return damaged(row, "device_steps", "chain %s", tdb_row_shown(st, C_CHAIN, a, sizeof(a)));
	}
	if (!tdb_row_null(st, C_VERDICT)) {
		s = tdb_row_text(st, C_VERDICT, &n);
		row->step_verdict = tdb_vocab_parse(&tdb_vocab_step_verdict, s, (size_t)n);
		if (row->step_verdict < 0)
			return damaged(row, "device_steps", "verdict %s (%s)", tdb_row_shown(st, C_VERDICT, a, sizeof(a)),
				       tdb_vocab_list(&tdb_vocab_step_verdict, b, sizeof(b)));
	}
	rep = (struct vmt_queue_report){ .token = (uint64_t)token, .arg0 = (uint64_t)v[0], .arg1 = (uint64_t)v[1] };
	vmt_queue_report_encode(&rep, row->step_data);
	row->ev.data = row->step_data;
	row->ev.len = VMT_QUEUE_REPORT_BYTES;
	return 0;
}

/* The columns of read_row, without the seq text of a damaged row. */
static int read_columns(struct tdb *t, sqlite3_stmt *st, bool dup, bool with_data, struct tdb_event *row)
{
	char a[96], b[96];
	int64_t seq, x;
	int n, type;
	const char *s;

	/* the text buffers are filled only for damaged rows (read_row) */
	memset(row, 0, offsetof(struct tdb_event, seq_shown));
	row->seq_shown[0] = row->why[0] = '\0';
	row->device = -1;
	row->step_chain = -1;
	row->step_verdict = -1;
	if (!tdb_row_int(st, C_SEQ, 0, INT64_MAX, false, &seq))
		return damaged(row, "events", "%s", sqlite3_column_type(st, C_SEQ) == SQLITE_INTEGER
							    ? "negative sequence number"
							    : "sequence number is not an integer");
	row->seq_ok = true;
	row->ev.seq = (uint64_t)seq;
	if (tdb_row_int(st, C_TS, 0, INT64_MAX, false, &x))
		row->ev.ts_ns = (uint64_t)x;
	if (tdb_row_int(st, C_VCPU, 0, UINT16_MAX, false, &x))
		row->ev.vcpu = (uint16_t)x;
	if (dup)
		return damaged(row, "events", "appears twice (a duplicate events or memory row)");
	s = tdb_row_text(st, C_TYPE, &n);
	type = tdb_vocab_parse(&tdb_vocab_event_type, s, (size_t)n);
	if (type <= 0)
		return damaged(row, "events", "type %s (%s)", tdb_row_shown(st, C_TYPE, a, sizeof(a)),
			       tdb_vocab_list(&tdb_vocab_event_type, b, sizeof(b)));
	row->ev.type = (uint8_t)type;
	if (!tdb_row_null(st, C_DEVICE)) {
		if (!tdb_row_int(st, C_DEVICE, 0, TDB_DEVICE_ID_MAX, false, &x) || !(row->dev = tdb_device_by_id(t, x)))
			return damaged(row, "events", "device %s is not in the devices table",
				       tdb_row_shown(st, C_DEVICE, a, sizeof(a)));
		row->device = (int)x;
		row->ev.base = row->dev->base;
	}
	row->reg = (const char *)sqlite3_column_text(st, C_REG);
	if (sqlite3_column_type(st, C_REG) != SQLITE_TEXT)
		row->reg = NULL;
	row->text = tdb_row_text(st, C_TEXT, &n);
	if (type != VMT_EV_MEM && sqlite3_column_type(st, C_HAS_MEMORY) != SQLITE_NULL)
		return damaged(row, "memory", "belongs to an events row of type %s, not mem",
			       tdb_vocab_name(&tdb_vocab_event_type, type));
	if (type != VMT_EV_QUEUE && sqlite3_column_type(st, C_HAS_STEP) != SQLITE_NULL)
		return damaged(row, "device_steps", "belongs to an events row of type %s, not queue",
			       tdb_vocab_name(&tdb_vocab_event_type, type));
	switch (type) {
	case VMT_EV_MMIO:
		return mmio_columns(st, row);
	case VMT_EV_MEM:
		return mem_columns(st, with_data, row);
	case VMT_EV_QUEUE:
		return queue_columns(st, row);
	case VMT_EV_LOST:
		if (!tdb_row_int(st, C_VALUE, 0, INT64_MAX, false, &x))
			return damaged(row, "events", "lost count %s", tdb_row_shown(st, C_VALUE, a, sizeof(a)));
		row->ev.value = (uint64_t)x;
		return 0;
	case VMT_EV_IRQ:
	case VMT_EV_DEVICE:
	case VMT_EV_VIOLATION:
		if (!tdb_row_int(st, C_VALUE, INT64_MIN, INT64_MAX, type == VMT_EV_VIOLATION, &x))
			return damaged(row, "events", "value %s", tdb_row_shown(st, C_VALUE, a, sizeof(a)));
		row->ev.value = (uint64_t)x;
		if (row->text)
			row->ev.len = (uint32_t)n; /* a violation's message, as for markers */
		return 0;
	default:
		if (row->text)
			row->ev.len = (uint32_t)n;
		return 0;
	}
}

/* Fill row from the current result row of st; dup: its seq is the one
 * the cursor returned last; with_data: the query reads the payloads.
 * Returns 0 or TDB_E_DAMAGED_ROW. */
static int read_row(struct tdb *t, sqlite3_stmt *st, bool dup, bool with_data, struct tdb_event *row)
{
	int r = read_columns(t, st, dup, with_data, row);

	if (r)
		tdb_row_shown(st, C_SEQ, row->seq_shown, sizeof(row->seq_shown));
	return r;
}

/* Bind the key the next page starts from. */
static int start_page(struct tdb_cursor *c)
{
	sqlite3_stmt *st = c->st[c->dir];
	int rc;

	sqlite3_reset(st);
	if (c->have_key && c->key_int)
		rc = sqlite3_bind_int64(st, P_KEY, c->key_i);
	else if (c->have_key)
		rc = sqlite3_bind_value(st, P_KEY, c->key);
	else if (c->has_start)
		rc = sqlite3_bind_int64(st, P_KEY, c->start);
	/* No key yet: the range's own end, so the index range starts there
	 * (SQLite seeks by one of two lower bounds: INT64_MIN would read a
	 * device's events from its first one). */
	else if (c->dir == TDB_FORWARD)
		rc = sqlite3_bind_int64(st, P_KEY, c->f.has_from && c->f.from <= INT64_MAX ? (sqlite3_int64)c->f.from : INT64_MIN);
	else if (c->f.has_to && c->f.to <= INT64_MAX)
		rc = sqlite3_bind_int64(st, P_KEY, (sqlite3_int64)c->f.to);
	else
		rc = sqlite3_bind_zeroblob(st, P_KEY, 0); /* above every number and text */
	if (rc != SQLITE_OK)
		return tdb_sql_fail(c->t, "reading events");
	c->skip = c->have_key ? c->ties : 0;
	c->limit = (uint64_t)c->f.page + c->skip;
	sqlite3_bind_int64(st, P_LIMIT, c->limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)c->limit);
	c->in_page = 0;
	c->active = true;
	return 0;
}

int tdb_cursor_next(struct tdb_cursor *c, struct tdb_event *row)
{
	for (;;) {
		sqlite3_stmt *st = c->st[c->dir];
		int rc, r;

		if (c->done)
			return TDB_END;
		if (!c->active && (r = start_page(c)))
			return r;
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			c->active = false;
			if (c->in_page < c->limit)
				c->done = true;
			continue;
		}
		if (rc != SQLITE_ROW) {
			c->active = false;
			return tdb_sql_fail(c->t, "reading events");
		}
		c->in_page++;
		sqlite3_value *k = sqlite3_column_value(st, C_SEQ);
		bool k_int = sqlite3_value_type(k) == SQLITE_INTEGER;
		int64_t k_i = k_int ? sqlite3_value_int64(k) : 0;
		bool same = c->have_key && (c->key_int ? k_int && k_i == c->key_i : key_cmp(k, c->key) == 0);
		if (same && c->skip > 0) {
			c->skip--;
			continue;
		}
		r = read_row(c->t, st, same, c->f.with_data, row);
		if (same) {
			c->ties++;
		} else {
			/* integers (every intact row) are kept without a copy */
			sqlite3_value *nk = NULL;
			if (!k_int && !(nk = sqlite3_value_dup(k)))
				return tdb_fail(c->t, -ENOMEM, "out of memory reading events");
			sqlite3_value_free(c->key);
			c->key = nk;
			c->key_int = k_int;
			c->key_i = k_i;
			c->have_key = true;
			c->ties = 1;
		}
		if (r == TDB_E_DAMAGED_ROW)
			tdb_fail(c->t, r, "%s row seq %s: %s", row->table, row->seq_shown, row->why);
		return r;
	}
}

int tdb_events_count(struct tdb *t, uint64_t *n)
{
	sqlite3_stmt *st;
	int r;

	*n = 0;
	if ((r = tdb_prepare(t, "SELECT count(*) FROM events", &st, "counting events")))
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = tdb_sql_fail(t, "counting events");
	sqlite3_finalize(st);
	return r;
}

int tdb_events_bounds(struct tdb *t, uint64_t *lo, uint64_t *hi)
{
	sqlite3_stmt *st;
	char a[48];
	int64_t l, h;
	int r;

	*lo = *hi = 0;
	/* min and max of an integer primary key are found without a scan
	 * (each in a query of its own: "min(seq), max(seq)" scans); text
	 * sorts after every number, so a max that is not an integer is a
	 * row whose seq is not one. */
	if ((r = tdb_prepare(t, "SELECT (SELECT min(seq) FROM events), (SELECT max(seq) FROM events)", &st,
			     "counting events")))
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = tdb_sql_fail(t, "counting events");
	} else if (tdb_row_null(st, 0)) {
		r = TDB_END;
	} else if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &l)) {
		r = tdb_fail(t, TDB_E_DAMAGED_ROW, "events row seq %s: %s", tdb_row_shown(st, 0, a, sizeof(a)),
			     sqlite3_column_type(st, 0) == SQLITE_INTEGER ? "negative sequence number"
									   : "sequence number is not an integer");
	} else if (!tdb_row_int(st, 1, 0, INT64_MAX - 1, false, &h)) {
		r = tdb_fail(t, TDB_E_DAMAGED_ROW, "events row seq %s: sequence number is not an integer",
			     tdb_row_shown(st, 1, a, sizeof(a)));
	} else {
		*lo = (uint64_t)l;
		*hi = (uint64_t)h;
	}
	sqlite3_finalize(st);
	return r;
}

int tdb_events_first_ts(struct tdb *t, uint64_t *ts_ns)
{
	sqlite3_stmt *st;
	char a[48];
	int64_t v;
	int rc, r;

	*ts_ns = 0;
	if ((r = tdb_prepare(t, "SELECT ts_ns FROM events ORDER BY seq LIMIT 1", &st, "reading the first event")))
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = TDB_END;
	else if (rc != SQLITE_ROW)
		r = tdb_sql_fail(t, "reading the first event");
	else if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &v))
		r = tdb_fail(t, TDB_E_DAMAGED_ROW, "the first events row: ts_ns %s is not a time",
			     tdb_row_shown(st, 0, a, sizeof(a)));
	else
		*ts_ns = (uint64_t)v;
	sqlite3_finalize(st);
	return r;
}

int tdb_events_lost(struct tdb *t, uint64_t *first_seq, uint64_t *count)
{
	sqlite3_stmt *st;
	char a[48], b[48];
	int rc, r;

	*first_seq = UINT64_MAX;
	*count = 0;
	if ((r = tdb_prepare(t, "SELECT seq, count FROM lost ORDER BY seq", &st, "reading lost events")))
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq, n;
		if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &seq) || !tdb_row_int(st, 1, 0, INT64_MAX, false, &n)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "lost row seq %s: count %s (a sequence number and a count, neither "
				     "negative)", tdb_row_shown(st, 0, a, sizeof(a)), tdb_row_shown(st, 1, b, sizeof(b)));
			break;
		}
		if ((uint64_t)seq < *first_seq)
			*first_seq = (uint64_t)seq;
		*count = (uint64_t)n > UINT64_MAX - *count ? UINT64_MAX : *count + (uint64_t)n;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading lost events");
	sqlite3_finalize(st);
	return r;
}

int tdb_memory_span(struct tdb *t, uint64_t *lo, uint64_t *hi)
{
	sqlite3_stmt *st;
	int64_t min = 0, max = 0;
	bool any = false;
	int rc, r;

	*lo = *hi = 0;
	/* What "SELECT min(gpa), max(gpa + length(data)) ... WHERE
	 * typeof(gpa) = 'integer' AND gpa >= 0 AND gpa <= INT64_MAX -
	 * length(data)" computes, with the comparisons done here: a scan of
	 * every memory row (no index on gpa) costs half as much.  length()
	 * leaves the payload unread. */
	if ((r = tdb_prepare(t, "SELECT gpa, length(data) FROM memory", &st, "reading memory addresses")))
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || sqlite3_column_type(st, 1) != SQLITE_INTEGER)
			continue;
		int64_t gpa = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
		if (gpa < 0 || n < 0 || gpa > INT64_MAX - n)
			continue;
		if (!any || gpa < min)
			min = gpa;
		if (!any || gpa + n > max)
			max = gpa + n;
		any = true;
	}
	if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading memory addresses");
	} else {
		*lo = (uint64_t)min;
		*hi = (uint64_t)max;
	}
	sqlite3_finalize(st);
	return r;
}
