/* One trace.db row as show's line (fmt_row.h). */
#include "format/tdb/fmt_row.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/event.h"
#include "format/escape.h"
#include "format/event_fmt.h"
#include "format/fmt_time.h"
#include "format/tdb/fmt_tdb.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_state.h"

#define ROW_DEV_COL 24     /* narrowest device column */
#define ROW_DEV_COL_MAX 48 /* a longer name pushes its line, not every line */
/* Events of a file without meta 'mmio_vcpus' whose register accesses are
 * asked for a second vCPU (many_vcpus): a bounded cost at open. */
#define FMT_ROWS_VCPU_SCAN 16384u

struct fmt_rows {
	struct tdb *t;
	struct fmt_ctx *fc;          /* owned */
	struct fmt_tdb_bufs *bufs;   /* owned, NULL: memory named from the rings only */
	bool one_device;
	bool filled;
	uint64_t next;               /* the seq the state's walk expects */
	bool cpu_col;
	int devw;
	uint64_t t0;
	int line_device;             /* the device the last line named */
	/* Per device id, the seq its formatter state is current up to
	 * (every event before it applied), or DEV_WALKED: current up to
	 * next, walked along with the rows. */
	uint64_t dev_at[TDB_DEVICE_ID_MAX + 1];
	bool stale;                  /* a read failed: the next seek reads every device */
};

#define DEV_WALKED UINT64_MAX

/* Text from the file, escaped for a terminal (NULL reads as ""). */
static const char *esc(const char *s, char *buf, size_t len)
{
	return escape_str(s ? s : "", buf, len);
}

/* Every device's selectors unknown: a state that could not be read names
 * nothing from a guess. */
static void fc_unknown(struct fmt_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->dev[i]->unknown = FMT_UNKNOWN_ALL;
}

/* A state could not be read: every device's selectors unknown (fc_unknown),
 * and read again at the next seek. */
static void rows_unknown(struct fmt_rows *r)
{
	fc_unknown(r->fc);
	r->stale = true;
}

/* Every device's state is current up to next from here on. */
static void devs_walked(struct fmt_rows *r)
{
	for (size_t i = 0; i < sizeof(r->dev_at) / sizeof(r->dev_at[0]); i++)
		r->dev_at[i] = DEV_WALKED;
}

/* The rows skip to a seq other than next: the devices that walked along
 * stay current up to next only. */
static void devs_left(struct fmt_rows *r)
{
	for (size_t i = 0; i < sizeof(r->dev_at) / sizeof(r->dev_at[0]); i++)
		if (r->dev_at[i] == DEV_WALKED)
			r->dev_at[i] = r->next;
}

/* Whether device id's state, current up to at, is its state at seq:
 * none of its events lies between (one index lookup), so it can walk on
 * instead of being read again. */
static bool dev_unchanged(struct fmt_rows *r, int id, uint64_t at, uint64_t seq)
{
	bool any;

	return at <= seq && tdb_state_changes_between(r->t, id, at, seq, &any) == 0 && !any;
}

/* The formatter's device state for row: read from the file at the first
 * row and for the rows of a device whose events were skipped (--from,
 * --violations, a filter, a jump), walked along from the rows formatted
 * when they follow each other or when no event of the row's device was
 * skipped (a filtered list of one device's events reads its state once),
 * and for one_device after the first row (the events of one device change
 * only its own state, and all of them are shown).  Only a device's own
 * register accesses change its state (fmt_ctx_track). */
static void rows_prepare(struct fmt_rows *r, const struct tdb_event *row)
{
	struct fmt_ctx *c = r->fc;
	const struct tdb_device *td = row->dev;
	bool own = td && row->ev.type != VMT_EV_MEM && td->id >= 0 && td->id <= TDB_DEVICE_ID_MAX;

	if (!r->filled) {
		if (fmt_tdb_fill(c, r->t, row->ev.seq) != 0)
			rows_unknown(r);
		r->filled = true;
		devs_walked(r);
	} else if (!r->one_device) {
		bool skip = row->ev.seq != r->next;
		if (skip)
			devs_left(r);
		if (own) {
			/* A register access needs its own device's state. */
			uint64_t at = r->dev_at[td->id] == DEV_WALKED ? r->next : r->dev_at[td->id];
			if (at != row->ev.seq && !dev_unchanged(r, td->id, at, row->ev.seq) &&
			    fmt_tdb_fill_device(c, r->t, td->id, row->ev.seq) != 0)
				rows_unknown(r);
			r->dev_at[td->id] = DEV_WALKED;
		} else if (skip) {
			/* memory is named from every device's rings */
			if (fmt_tdb_fill(c, r->t, row->ev.seq) != 0)
				rows_unknown(r);
			devs_walked(r);
		}
	}
	if (td && !fmt_ctx_find(c, td->base)) {
		struct fmt_device *d = fmt_ctx_device(c, td->base);
		if (d) {
			fmt_device_set_name(d, td->name);
			d->version = td->version == 1 || td->version == 2 ? td->version : 0;
			d->device_id = td->device_id > 0 && td->device_id <= UINT32_MAX ? (uint32_t)td->device_id : 0;
			if (row->ev.seq != 0)
				d->unknown = FMT_UNKNOWN_ALL; /* not in the file's state: a damaged row */
		}
	}
	r->next = row->ev.seq + 1;
}

/* The device column's width: the longest escaped name, within the two. */
static int dev_col_width(const struct fmt_ctx *c)
{
	char name[4 * FMT_NAME_MAX + 1];
	size_t w = ROW_DEV_COL;

	for (size_t i = 0; i < c->n; i++) {
		size_t k = strlen(esc(c->dev[i]->name, name, sizeof(name)));
		if (k > w)
			w = k;
	}
	return (int)(w < ROW_DEV_COL_MAX ? w : ROW_DEV_COL_MAX);
}

/* Whether the trace's register accesses come from more than one vCPU
 * (*many): over the whole trace, not the rows shown, so the layout of a
 * trace does not change with where the rows start.  The decoder writes the
 * answer as meta 'mmio_vcpus'; a file without it (decoded before it
 * existed, or a damaged value) is asked of the register accesses among its
 * first FMT_ROWS_VCPU_SCAN events only, so opening never reads all of
 * them: a second vCPU that first shows up later leaves such a file
 * without the column.
 * Damaged rows are passed over (the rows name them). */
static int many_vcpus(struct tdb *t, bool *many)
{
	struct tdb_filter f;
	struct tdb_cursor *c;
	struct tdb_event row;
	bool seen = false;
	uint16_t first = 0;
	uint64_t n;
	unsigned read = 0;
	int r;

	*many = false;
	r = tdb_meta_u64(t, "mmio_vcpus", &n);
	if (r == 0) {
		*many = n > 1;
		return 0;
	}
	if (r < 0)
		return r;
	/* Every type, so the bound is on rows read, not on accesses found. */
	tdb_filter_init(&f);
	if ((r = tdb_cursor_open(t, &f, TDB_FORWARD, &c)) != 0)
		return r;
	while (read++ < FMT_ROWS_VCPU_SCAN && ((r = tdb_cursor_next(c, &row)) == 0 || r == TDB_E_DAMAGED_ROW)) {
		if (r || row.ev.type != VMT_EV_MMIO)
			continue;
		if (!seen) {
			seen = true;
			first = row.ev.vcpu;
		} else if (row.ev.vcpu != first) {
			*many = true;
			break;
		}
	}
	tdb_cursor_close(c);
	return r == TDB_END || r == 0 || r == TDB_E_DAMAGED_ROW ? 0 : r;
}

int fmt_rows_open(struct fmt_rows **out, struct tdb *t, const struct fmt_rows_opts *opts)
{
	struct fmt_rows *r;
	int e;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->t = t;
	r->one_device = opts->one_device;
	r->devw = ROW_DEV_COL;
	if (fmt_ctx_new(&r->fc) < 0) {
		e = -ENOMEM;
		goto cleanup;
	}
	/* The state where the rows start; the device column as wide as the
	 * longest name, so the columns stay aligned. */
	fmt_rows_seek(r, opts->from);
	r->devw = dev_col_width(r->fc);
	if (opts->bufs && fmt_tdb_bufs_load(&r->bufs, t, opts->bufs_from, opts->bufs_to) != 0)
		r->bufs = NULL; /* the rings are still named */
	/* A cpuN column (as dump has) only where there is more than one
	 * vCPU: one-vCPU traces keep their layout. */
	r->cpu_col = opts->cpu_col;
	if (!opts->cpu_col_given && (e = many_vcpus(t, &r->cpu_col)) != 0)
		goto cleanup;
	/* Times count from the trace's first event, wherever the rows
	 * start (a first row that is no time: times as recorded). */
	e = tdb_events_first_ts(t, &r->t0);
	if (e == TDB_END || e == TDB_E_DAMAGED_ROW)
		e = 0;
	if (e != 0)
		goto cleanup;
	*out = r;
	r = NULL;
cleanup:
	fmt_rows_free(r);
	return e;
}

void fmt_rows_free(struct fmt_rows *r)
{
	if (!r)
		return;
	fmt_ctx_free(r->fc);
	fmt_tdb_bufs_free(r->bufs);
	free(r);
}

void fmt_rows_seek(struct fmt_rows *r, uint64_t seq)
{
	const struct tdb_device *devs;
	size_t n = 0;

	/* A device none of whose events lies between where its state is
	 * current and seq keeps it (a search's next match, a page on):
	 * only the others are read again. */
	if (r->filled && !r->stale && tdb_devices_kept(r->t, &devs, &n) == 0) {
		devs_left(r);
		for (size_t i = 0; i < n; i++) {
			int e, id = devs[i].id;
			if (id < 0 || id > TDB_DEVICE_ID_MAX || devs[i].bad)
				continue;
			if (dev_unchanged(r, id, r->dev_at[id], seq))
				continue;
			e = fmt_tdb_fill_device(r->fc, r->t, id, seq);
			if (e != 0 && e != TDB_E_NOT_FOUND)
				rows_unknown(r);
		}
	} else {
		r->stale = false;
		if (fmt_tdb_fill(r->fc, r->t, seq) != 0)
			rows_unknown(r);
	}
	r->filled = true;
	r->next = seq;
	devs_walked(r);
}

bool fmt_rows_cpu_col(const struct fmt_rows *r)
{
	return r->cpu_col;
}

int fmt_rows_line_device(const struct fmt_rows *r)
{
	return r->line_device;
}

uint64_t fmt_rows_next(const struct fmt_rows *r)
{
	return r->next;
}

int fmt_rows_load_bufs(struct fmt_rows *r, uint64_t from, uint64_t to)
{
	fmt_tdb_bufs_free(r->bufs);
	r->bufs = NULL;
	if (fmt_tdb_bufs_load(&r->bufs, r->t, from, to) != 0)
		r->bufs = NULL;
	return 0;
}

/* "  [chain 3: agrees]" for a device's report matched with a chain or
 * judged against the ring copy; "" otherwise. */
static void step_note(const struct tdb_event *row, char *buf, size_t len)
{
	char chain[32] = "";

	buf[0] = '\0';
	if (!row->has_step || (row->step_chain < 0 && row->step_verdict < 0))
		return;
	if (row->step_chain >= 0)
		snprintf(chain, sizeof(chain), "chain %lld", (long long)row->step_chain);
	snprintf(buf, len, "  [%s%s%s]", row->step_chain >= 0 ? chain : "no chain", row->step_verdict >= 0 ? ": " : "",
		 row->step_verdict >= 0 ? tdb_vocab_name(&tdb_vocab_step_verdict, row->step_verdict) : "");
}

const char *fmt_rows_line(struct fmt_rows *r, const struct tdb_event *row, char *buf, size_t len, size_t *what_off)
{
	int pre = 0;

	char dev[4 * TDB_NAME_MAX + 1], what[4 * 1024 + 640], when[40], cpu[16] = "";
	struct fmt_info info;

	fmt_time_us(when, sizeof(when), 14, row->ev.ts_ns, r->t0);
	esc(row->dev ? row->dev->name : "", dev, sizeof(dev));
	r->line_device = row->dev ? row->dev->id : -1;
	if (r->cpu_col)
		snprintf(cpu, sizeof(cpu), "cpu%-2u ", (unsigned)row->ev.vcpu);
	if (row->damaged) {
		if (!row->seq_ok) {
			pre = snprintf(buf, len, "%8s %s %s%-*s ", "?", when, r->cpu_col ? "cpu?  " : "", r->devw, dev);
			if (pre >= 0 && (size_t)pre < len)
				snprintf(buf + pre, len - (size_t)pre, "damaged row: seq %s", row->seq_shown);
			if (what_off)
				*what_off = pre >= 0 && (size_t)pre < len ? (size_t)pre : 0;
			return buf;
		}
		snprintf(what, sizeof(what), "damaged row: %s%s", strcmp(row->table, "memory") ? "" : "memory row: ",
			 row->why);
		r->next = row->ev.seq + 1; /* not a skip: the formatter's walk goes on */
	} else {
		/* One formatter for dump, show, replay and the TUI
		 * (format/event_fmt.h); memory named from a ring is shown
		 * under the ring's device. */
		struct vmt_event ev = row->ev;
		if (ev.type == VMT_EV_IRQ)
			ev.width = FMT_IRQ_EDGE_UNKNOWN; /* the row keeps the status only */
		if ((ev.type == VMT_EV_MARKER || ev.type == VMT_EV_VIOLATION) && row->text) {
			ev.data = (const uint8_t *)row->text; /* the text's length is ev.len */
			ev.len = (uint32_t)strnlen(row->text, ev.len);
		}
		char note[160] = "";
		int owner = -1;
		if (ev.type == VMT_EV_MEM)
			fmt_tdb_bufs_note(r->bufs, &ev, note, sizeof(note), &owner);
		rows_prepare(r, row);
		fmt_event_next(r->fc, &ev, note, what, sizeof(what), &info);
		if (ev.type == VMT_EV_QUEUE) {
			char sn[96];
			size_t k = strlen(what);
			step_note(row, sn, sizeof(sn));
			snprintf(what + k, sizeof(what) - k, "%s", sn);
		}
		if (row->ev.type == VMT_EV_MEM && info.where.dev) {
			int id;
			esc(info.where.dev->name, dev, sizeof(dev));
			r->line_device = tdb_device_by_base(r->t, info.where.dev->base, &id) == 0 ? id : -1;
		} else if (row->ev.type == VMT_EV_MEM && owner >= 0) {
			const struct tdb_device *od = tdb_device_by_id(r->t, owner);
			if (od) {
				esc(od->name, dev, sizeof(dev));
				r->line_device = od->id;
			}
		}
	}
	pre = snprintf(buf, len, "%8lld %s %s%-*s ", (long long)row->ev.seq, when, cpu, r->devw, dev);
	if (pre >= 0 && (size_t)pre < len)
		snprintf(buf + pre, len - (size_t)pre, "%s", what);
	if (what_off)
		*what_off = pre >= 0 && (size_t)pre < len ? (size_t)pre : 0;
	return buf;
}

const char *fmt_row_meaning(const char *text)
{
	const char *p = text;

	for (int field = 0; field < 4 && *p; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	return p;
}

void fmt_rows_follow(struct fmt_rows *r, const struct tdb_event *row)
{
	if (row->damaged) {
		if (row->seq_ok)
			r->next = row->ev.seq + 1;
		return;
	}
	struct vmt_event ev = row->ev;
	if (ev.type == VMT_EV_IRQ)
		ev.width = FMT_IRQ_EDGE_UNKNOWN;
	rows_prepare(r, row);
	fmt_ctx_track(r->fc, &ev);
}

const char *fmt_row_violation(const struct tdb_violation *v, char *buf, size_t len)
{
	char sev[32], actor[32], rule[96], msg[512], sec[256];

	/* who broke the rule (driver or device) is what a reader asks first */
	snprintf(buf, len, "%8s ! %s (%s) %s: %s  [%s]", "", esc(v->severity_text, sev, sizeof(sev)),
		 esc(v->actor_text && v->actor_text[0] ? v->actor_text : "?", actor, sizeof(actor)),
		 esc(v->rule, rule, sizeof(rule)), esc(v->message, msg, sizeof(msg)), esc(v->section, sec, sizeof(sec)));
	return buf;
}

const char *fmt_row_anomaly(const struct tdb_anomaly *a, char *buf, size_t len)
{
	char rule[96], msg[512];

	/* ring-copy-torn: a copy checked against the device's own report */
	snprintf(buf, len, "%8s ~ anomaly %s: %s  (%s; not a violation)", "", esc(a->rule, rule, sizeof(rule)),
		 esc(a->message, msg, sizeof(msg)),
		 a->rule && !strcmp(a->rule, "ring-copy-torn") ? "the ring copy does not show what the device reported"
							      : "a best-effort snapshot the running guest changed");
	return buf;
}
