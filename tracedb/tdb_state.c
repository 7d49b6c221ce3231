/* A device's state at a seq (tdb_state.h). */
#include "tracedb/tdb_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedb/tdb_priv.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_row.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)
#define CONFIG_OFFSET 0x100

static sqlite3_int64 seq_param(uint64_t seq)
{
	return seq > INT64_MAX ? INT64_MAX : (sqlite3_int64)seq;
}

static int reg_at(struct tdb *t, int device, const char *reg, int64_t queue, uint64_t seq, uint64_t *value,
		  uint64_t *set_seq, bool *set);

/* The next (reg, queue) key of device's reg_changes after (reg, queue)
 * (the first key when reg is NULL) into key/q: a seek in the index
 * reg_changes_at past every seq of the key, not a read of the register's
 * history ("(reg, queue) > (?, ?)" alone walks every row of the key).
 * *found false at the end.  A key that is not a register name and a queue
 * number is a damaged row, and so is the same key again (a seq past any
 * integer: text, a blob, a real). */
static int next_reg_key(struct tdb *t, int device, const char *reg, int64_t queue, char *key, int64_t *q, bool *found)
{
	enum tdb_stmt_id id = reg ? TDB_ST_STATE_REG_NEXT : TDB_ST_STATE_REG_FIRST;
	sqlite3_stmt *st;
	char a[48], b[48];
	int rc, r;

	*found = false;
	/* Rows whose reg or queue is NULL match no key (as "reg = ?" and
	 * "queue = ?" never do): the walk passes over them. */
	if ((r = tdb_stmt_get(t, id, reg ? "SELECT reg, queue FROM reg_changes WHERE device = ?1 "
					   "AND (reg, queue, seq) > (?2, ?3, 9223372036854775807) ORDER BY reg, queue LIMIT 1"
					 : "SELECT reg, queue FROM reg_changes WHERE device = ?1 AND reg IS NOT NULL "
					   "AND queue IS NOT NULL ORDER BY reg, queue LIMIT 1",
			      &st, "reading reg_changes")))
		return r;
	sqlite3_bind_int(st, 1, device);
	if (reg) {
		sqlite3_bind_text(st, 2, reg, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, queue);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int n;
		const char *k = tdb_row_text(st, 0, &n);
		if (!k || n <= 0 || n >= TDB_REG_NAME_MAX || memchr(k, '\0', (size_t)n) ||
		    !tdb_row_int(st, 1, -1, U32_MAX_I64, false, q)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "reg_changes row device %d reg %s queue %s: not a register value",
				     device, tdb_row_shown(st, 0, a, sizeof(a)), tdb_row_shown(st, 1, b, sizeof(b)));
		} else if (reg && *q == queue && strlen(reg) == (size_t)n && !memcmp(reg, k, (size_t)n)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "reg_changes rows device %d reg %s queue %lld: a seq that is not one",
				     device, tdb_row_shown(st, 0, a, sizeof(a)), (long long)queue);
		} else {
			memcpy(key, k, (size_t)n);
			key[n] = '\0';
			*found = true;
		}
	} else if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading reg_changes");
	}
	tdb_stmt_put(t, id, st);
	return r;
}

/* Whether reg_changes has the index reg_changes_at on (device, reg, queue,
 * seq), as the decoder makes it: read_regs' seeks need it.  A file
 * without it (dropped, or another index under that name) is read by
 * read_regs_scan: without the index each seek would be a scan, one per
 * register and queue (a console with 64 queues: 0.09 s a state). */
static bool reg_index(struct tdb *t)
{
	static const char *const cols[] = { "device", "reg", "queue", "seq" };
	sqlite3_stmt *st;
	int n = 0, rc;

	if (t->reg_index)
		return t->reg_index > 0;
	t->reg_index = -1;
	if (sqlite3_prepare_v2(t->db, "SELECT name FROM pragma_index_info('reg_changes_at') WHERE "
			       "(SELECT tbl_name FROM sqlite_schema WHERE type = 'index' AND name = 'reg_changes_at') "
			       "= 'reg_changes' ORDER BY seqno", -1, &st, NULL) != SQLITE_OK)
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *c = sqlite3_column_text(st, 0);
		if (n >= 4 || !c || strcmp((const char *)c, cols[n]))
			break;
		n++;
	}
	if (rc == SQLITE_DONE && n == 4)
		t->reg_index = 1;
	sqlite3_finalize(st);
	return t->reg_index > 0;
}

/* Append (reg, queue) = value set at seq to s's registers. */
static int add_reg(struct tdb *t, struct tdb_state *s, size_t *cap, const char *reg, int64_t queue, uint64_t value,
		   uint64_t seq)
{
	if (s->n_regs == TDB_STATE_REGS_MAX)
		return tdb_fail(t, TDB_E_TOO_MANY, "device %d: more than %d registers", s->device, TDB_STATE_REGS_MAX);
	if (s->n_regs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct tdb_reg_value *nr = realloc(s->regs, ncap * sizeof(*nr));
		if (!nr)
			return tdb_fail(t, -ENOMEM, "out of memory");
		s->regs = nr;
		*cap = ncap;
	}
	struct tdb_reg_value *rv = &s->regs[s->n_regs++];
	snprintf(rv->reg, sizeof(rv->reg), "%s", reg);
	rv->queue = queue;
	rv->value = value;
	rv->seq = seq;
	return 0;
}

/* read_regs without the index: one pass over the device's changes up to
 * seq in key order, the last of each key kept (linear in them). */
static int read_regs_scan(struct tdb *t, struct tdb_state *s)
{
	sqlite3_stmt *st;
	char key[TDB_REG_NAME_MAX] = "", a[48], b[48];
	int64_t q = 0, v = 0, at = 0;
	bool have = false;
	size_t cap = 0;
	int rc, r;

	if ((r = tdb_prepare(t, "SELECT reg, queue, value, seq FROM reg_changes WHERE device = ?1 AND seq <= ?2 "
			     "AND typeof(reg) = 'text' AND typeof(queue) = 'integer' ORDER BY reg, queue, seq",
			     &st, "reading reg_changes")))
		return r;
	sqlite3_bind_int(st, 1, s->device);
	sqlite3_bind_int64(st, 2, seq_param(s->seq));
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n;
		int64_t nq, nv, nat;
		const char *k = tdb_row_text(st, 0, &n);
		if (!k || n <= 0 || n >= TDB_REG_NAME_MAX || memchr(k, '\0', (size_t)n) ||
		    !tdb_row_int(st, 1, -1, U32_MAX_I64, false, &nq) || !tdb_row_int(st, 2, INT64_MIN, INT64_MAX, false, &nv) ||
		    !tdb_row_int(st, 3, 0, INT64_MAX, false, &nat)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "reg_changes row device %d reg %s queue %s: not a register value",
				     s->device, tdb_row_shown(st, 0, a, sizeof(a)), tdb_row_shown(st, 1, b, sizeof(b)));
			break;
		}
		bool same = have && nq == q && strlen(key) == (size_t)n && !memcmp(key, k, (size_t)n);
		if (have && !same && (r = add_reg(t, s, &cap, key, q, (uint64_t)v, (uint64_t)at)))
			break;
		memcpy(key, k, (size_t)n);
		key[n] = '\0';
		q = nq, v = nv, at = nat;
		have = true;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading reg_changes");
	if (r == 0 && have)
		r = add_reg(t, s, &cap, key, q, (uint64_t)v, (uint64_t)at);
	sqlite3_finalize(st);
	return r;
}

/* Every register's value at seq: the change with the largest seq <= S per
 * (reg, queue) (docs/schema.md), in (reg, queue) order.  One index step
 * to the next key and one lookup per key: bounded by the device's
 * registers, not by how often they changed before seq. */
static int read_regs(struct tdb *t, struct tdb_state *s)
{
	if (!reg_index(t))
		return read_regs_scan(t, s);

	char key[TDB_REG_NAME_MAX];
	size_t cap = 0;
	int64_t q = 0;
	bool found;
	int r;

	for (r = next_reg_key(t, s->device, NULL, 0, key, &q, &found); r == 0 && found;
	     r = next_reg_key(t, s->device, key, q, key, &q, &found)) {
		uint64_t v, at;

		bool set;

		if ((r = reg_at(t, s->device, key, q, s->seq, &v, &at, &set)))
			break;
		if (!set)
			continue; /* first set after seq */
		if ((r = add_reg(t, s, &cap, key, q, v, at)))
			break;
	}
	return r;
}

static int read_status(struct tdb *t, struct tdb_state *s)
{
	sqlite3_stmt *st;
	char a[48];
	int rc, r;

	if ((r = tdb_stmt_get(t, TDB_ST_STATE_STATUS, "SELECT seq, new, names FROM status_changes WHERE device = ?1 AND seq <= ?2 "
				"ORDER BY seq DESC LIMIT 1", &st, "reading status_changes")))
		return r;
	sqlite3_bind_int(st, 1, s->device);
	sqlite3_bind_int64(st, 2, seq_param(s->seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t seq, v;
		int n;
		const char *names = tdb_row_text(st, 2, &n);
		if (!tdb_row_int(st, 0, 0, INT64_MAX, false, &seq) || !tdb_row_int(st, 1, 0, U32_MAX_I64, false, &v) || !names) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "status_changes row seq %s: not a status change",
				     tdb_row_shown(st, 0, a, sizeof(a)));
		} else {
			size_t k = (size_t)n < sizeof(s->status_names) ? (size_t)n : sizeof(s->status_names) - 1;
			s->status_known = true;
			s->status = (uint32_t)v;
			s->status_seq = (uint64_t)seq;
			memcpy(s->status_names, names, k);
			s->status_names[k] = '\0';
		}
	} else if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading status_changes");
	}
	tdb_stmt_put(t, TDB_ST_STATE_STATUS, st);
	return r;
}

/* The latest features row of (kind, word) at or before seq, where
 * word < 0 stands for NULL (the negotiated set): *found false if none.
 * One lookup along features_at where the file has it. */
static int feature_at(struct tdb *t, const struct tdb_state *s, int kind, int word, int64_t *value, uint64_t *seq,
		      bool *found)
{
	bool neg = kind == TDB_FEAT_NEGOTIATED;
	sqlite3_stmt *st;
	int64_t v, at;
	char a[48];
	int rc, r;

	*value = 0;
	*seq = 0;
	*found = false;
	if ((r = tdb_stmt_get(t, TDB_ST_STATE_FEATURES, "SELECT value, seq FROM features WHERE device = ?1 AND kind = ?2 "
				"AND word IS ?3 AND seq <= ?4 ORDER BY seq DESC LIMIT 1", &st, "reading features")))
		return r;
	sqlite3_bind_int(st, 1, s->device);
	sqlite3_bind_text(st, 2, tdb_vocab_name(&tdb_vocab_feature_kind, kind), -1, SQLITE_STATIC);
	if (word >= 0)
		sqlite3_bind_int(st, 3, word);
	sqlite3_bind_int64(st, 4, seq_param(s->seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!tdb_row_int(st, 0, neg ? INT64_MIN : 0, neg ? INT64_MAX : U32_MAX_I64, false, &v) ||
		    !tdb_row_int(st, 1, 0, INT64_MAX, false, &at)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "features row seq %s: not a feature word",
				     tdb_row_shown(st, 1, a, sizeof(a)));
		} else {
			*value = v;
			*seq = (uint64_t)at;
			*found = true;
		}
	} else if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading features");
	}
	tdb_stmt_put(t, TDB_ST_STATE_FEATURES, st);
	return r;
}

/* The latest offered and accepted word of each number and the latest
 * negotiated set, at or before seq: five lookups, however often the
 * driver negotiated before (rows of another kind or word number are not
 * the decoder's and are passed over). */
static int read_features(struct tdb *t, struct tdb_state *s)
{
	uint64_t at;
	int64_t v;
	bool found;
	int r;

	for (int word = 0; word < 2; word++) {
		if ((r = feature_at(t, s, TDB_FEAT_OFFERED, word, &v, &at, &found)))
			return r;
		s->offered[word] = (uint32_t)v;
		s->offered_known[word] = found;
		if ((r = feature_at(t, s, TDB_FEAT_ACCEPTED, word, &v, &at, &found)))
			return r;
		s->accepted[word] = (uint32_t)v;
		s->accepted_known[word] = found;
	}
	if ((r = feature_at(t, s, TDB_FEAT_NEGOTIATED, -1, &v, &at, &found)))
		return r;
	if (found) {
		s->negotiated = (uint64_t)v;
		s->negotiated_known = true;
		s->negotiated_seq = at;
	}
	return 0;
}

/* The config accesses read_config applies, without the seq bound. */
#define CONFIG_ACCESSES                                                                                             \
	"FROM events WHERE device = ?1 AND type = 'mmio' AND typeof(offset) = 'integer' AND offset >= 256 "          \
	"AND offset < 512 AND typeof(width) = 'integer' AND width IN (1, 2, 4, 8) AND typeof(value) = 'integer' "

/* Config accesses a handle keeps for all its devices; a device they do
 * not fit in reads its accesses from the file at every tdb_state_at. */
#define CONFIG_CACHE_ROWS_MAX 262144

struct config_access {
	int64_t seq, offset, width;
	uint64_t value;
};

/* One device's config accesses in seq order, read once: tdb_state_at
 * applies those up to its seq instead of walking the device's events in
 * the file (every event of the device before seq, at every call). */
struct tdb_config_cache {
	bool uncached;               /* too many, a seq that is not an integer, or unreadable */
	size_t n;
	struct config_access *row;
};

void tdb_state_cache_free(struct tdb *t)
{
	for (size_t i = 0; i < sizeof(t->config) / sizeof(t->config[0]); i++) {
		if (t->config[i])
			free(t->config[i]->row);
		free(t->config[i]);
		t->config[i] = NULL;
	}
	t->config_rows = 0;
}

/* Device's cache, read on first use into *out (NULL if it is uncached).
 * Returns 0 or -ENOMEM. */
static int config_cache(struct tdb *t, int device, struct tdb_config_cache **out)
{
	struct tdb_config_cache *cc = t->config[device];
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = SQLITE_DONE;

	*out = NULL;
	if (cc) {
		*out = cc->uncached ? NULL : cc;
		return 0;
	}
	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return tdb_fail(t, -ENOMEM, "out of memory");
	t->config[device] = cc;
	if (tdb_stmt_get(t, TDB_ST_STATE_CONFIG_ALL, "SELECT seq, offset, width, value " CONFIG_ACCESSES "ORDER BY seq", &st,
			 "reading config accesses")) {
		cc->uncached = true;
		return 0;
	}
	sqlite3_bind_int(st, 1, device);
	while (!cc->uncached && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* only integer seqs: "seq <= ?" then keeps a prefix */
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || t->config_rows == CONFIG_CACHE_ROWS_MAX) {
			cc->uncached = true;
			break;
		}
		if (cc->n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct config_access *nr = realloc(cc->row, ncap * sizeof(*nr));
			if (!nr) {
				tdb_stmt_put(t, TDB_ST_STATE_CONFIG_ALL, st);
				return tdb_fail(t, -ENOMEM, "out of memory");
			}
			cc->row = nr;
			cap = ncap;
		}
		cc->row[cc->n++] = (struct config_access){ .seq = sqlite3_column_int64(st, 0),
							   .offset = sqlite3_column_int64(st, 1),
							   .width = sqlite3_column_int64(st, 2),
							   .value = (uint64_t)sqlite3_column_int64(st, 3) };
		t->config_rows++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		cc->uncached = true; /* read_config's own query says why */
	tdb_stmt_put(t, TDB_ST_STATE_CONFIG_ALL, st);
	if (cc->uncached) {
		t->config_rows -= cc->n;
		free(cc->row);
		cc->row = NULL;
		cc->n = 0;
		return 0;
	}
	*out = cc;
	return 0;
}

static int read_config_sql(struct tdb *t, struct tdb_state *s);

/* One config access into s (as the file's row gives it). */
static void config_apply(struct tdb_state *s, int64_t offset, int64_t w, uint64_t v)
{
	int64_t off = offset - CONFIG_OFFSET;

	if (off < 0 || off + w > TDB_CONFIG_MAX)
		return;
	for (int64_t i = 0; i < w; i++) {
		s->config[off + i] = (uint8_t)(v >> (8 * i));
		s->config_known[off + i] = true;
	}
}

/* Config bytes as the accesses at or before seq left them (the device's
 * reads and the driver's writes alike). */
static int read_config(struct tdb *t, struct tdb_state *s)
{
	struct tdb_config_cache *cc;
	int r;

	if ((r = config_cache(t, s->device, &cc)))
		return r;
	if (cc) {
		int64_t at = seq_param(s->seq);
		for (size_t i = 0; i < cc->n && cc->row[i].seq <= at; i++)
			config_apply(s, cc->row[i].offset, cc->row[i].width, cc->row[i].value);
		return 0;
	}
	return read_config_sql(t, s);
}

/* read_config from the file: every access up to seq. */
static int read_config_sql(struct tdb *t, struct tdb_state *s)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((r = tdb_stmt_get(t, TDB_ST_STATE_CONFIG, "SELECT offset, width, value " CONFIG_ACCESSES "AND seq <= ?2 ORDER BY seq",
			      &st, "reading config accesses")))
		return r;
	sqlite3_bind_int(st, 1, s->device);
	sqlite3_bind_int64(st, 2, seq_param(s->seq));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		config_apply(s, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			     (uint64_t)sqlite3_column_int64(st, 2));
	if (rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading config accesses");
	tdb_stmt_put(t, TDB_ST_STATE_CONFIG, st);
	return r;
}

int tdb_state_at(struct tdb *t, int device, uint64_t seq, struct tdb_state *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->device = device;
	s->seq = seq;
	if (!tdb_device_by_id(t, device))
		return (r = tdb_devices_cache(t)) ? r : tdb_fail(t, TDB_E_NOT_FOUND, "no device %d", device);
	if ((r = read_regs(t, s)) || (r = read_status(t, s)) || (r = read_features(t, s)) ||
	    (r = tdb_queues_read(t, device, TDB_QUEUES_AT, seq, NULL, &s->queues, &s->n_queues)) ||
	    (r = read_config(t, s)))
		return r;
	return 0;
}

void tdb_state_clear(struct tdb_state *s)
{
	free(s->regs);
	free(s->queues);
	s->regs = NULL;
	s->queues = NULL;
	s->n_regs = s->n_queues = 0;
}

/* The value of (device, reg, queue) at seq and the change that set it;
 * *set false if it was first set after seq. */
static int reg_at(struct tdb *t, int device, const char *reg, int64_t queue, uint64_t seq, uint64_t *value,
		  uint64_t *set_seq, bool *set)
{
	sqlite3_stmt *st;
	int64_t v, at;
	char a[48];
	int rc, r;

	*value = *set_seq = 0;
	*set = false;
	if ((r = tdb_stmt_get(t, TDB_ST_STATE_SETTER, "SELECT value, seq FROM reg_changes WHERE device = ?1 AND reg = ?2 AND queue = ?3 "
				"AND seq <= ?4 ORDER BY seq DESC LIMIT 1", &st, "reading reg_changes")))
		return r;
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_text(st, 2, reg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, queue);
	sqlite3_bind_int64(st, 4, seq_param(seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!tdb_row_int(st, 0, INT64_MIN, INT64_MAX, false, &v) || !tdb_row_int(st, 1, 0, INT64_MAX, false, &at)) {
			r = tdb_fail(t, TDB_E_DAMAGED_ROW, "reg_changes row device %d reg '%s' seq %s: not a register value",
				     device, reg, tdb_row_shown(st, 1, a, sizeof(a)));
		} else {
			*value = (uint64_t)v;
			*set_seq = (uint64_t)at;
			*set = true;
		}
	} else if (rc != SQLITE_DONE) {
		r = tdb_sql_fail(t, "reading reg_changes");
	}
	tdb_stmt_put(t, TDB_ST_STATE_SETTER, st);
	return r;
}

int tdb_state_setter(struct tdb *t, int device, const char *reg, int64_t queue, uint64_t seq, uint64_t *value,
		     uint64_t *set_seq)
{
	bool set;
	int r = reg_at(t, device, reg, queue, seq, value, set_seq, &set);

	if (r == 0 && !set)
		r = tdb_fail(t, TDB_E_NOT_FOUND, "device %d: no value of %s before seq %llu", device, reg,
			     (unsigned long long)seq);
	return r;
}

int tdb_state_changes_between(struct tdb *t, int device, uint64_t from, uint64_t to, bool *any)
{
	sqlite3_stmt *st;
	int rc, r;

	*any = false;
	if (from >= to)
		return 0;
	if ((r = tdb_stmt_get(t, TDB_ST_STATE_CHANGES, "SELECT 1 FROM events WHERE device = ?1 AND seq >= ?2 AND seq < ?3 LIMIT 1",
			      &st, "reading events")))
		return r;
	sqlite3_bind_int(st, 1, device);
	sqlite3_bind_int64(st, 2, seq_param(from));
	sqlite3_bind_int64(st, 3, seq_param(to));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*any = true;
	else if (rc != SQLITE_DONE)
		r = tdb_sql_fail(t, "reading events");
	tdb_stmt_put(t, TDB_ST_STATE_CHANGES, st);
	return r;
}
