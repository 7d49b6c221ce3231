/* Writing the Perfetto exporter's events and naming its tracks
 * (perfetto_priv.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "export/perfetto_priv.h"
#include "tracedb/tdb_open.h"

int pf_pid(int device)
{
	return device >= 0 && device <= TDB_DEVICE_ID_MAX ? device + 1 : PF_PID_NONE;
}

void pf_head(struct pj *j, char ph, const void *name, size_t n, int pid, int tid, uint64_t ts_ns)
{
	char phs[2] = { ph, '\0' };

	pj_reset(j);
	pj_begin(j);
	pj_kv_str(j, "ph", phs);
	pj_key(j, "name");
	pj_strn_cut(j, name, n, PF_NAME_MAX);
	pj_kv_i64(j, "pid", pid);
	pj_kv_i64(j, "tid", tid);
	pj_kv_us(j, "ts", ts_ns);
}

void pf_head_s(struct pj *j, char ph, const char *name, int pid, int tid, uint64_t ts_ns)
{
	pf_head(j, ph, name, strlen(name), pid, tid, ts_ns);
}

/* n bytes to the file; a write error as export.h says. */
static int put(struct pf *p, const char *s, size_t n)
{
	int e;

	errno = 0;
	if (fwrite(s, 1, n, p->out) == n) {
		p->s->bytes += n;
		return 0;
	}
	e = errno ? errno : EIO;
	snprintf(p->err, p->errlen, "writing the Perfetto JSON after %" PRIu64 " bytes: %s", p->s->bytes,
		 strerror(e));
	return -e;
}

int pf_write(struct pf *p, const struct pj *j)
{
	int r;

	if (j->oom) {
		snprintf(p->err, p->errlen, "perfetto export: out of memory building an event");
		return -ENOMEM;
	}
	if (p->any && (r = put(p, ",\n", 2)) != 0)
		return r;
	p->any = true;
	return put(p, j->b ? j->b : "", j->len);
}

int pf_raw(struct pf *p, const char *s)
{
	return put(p, s, strlen(s));
}

int pf_flush(struct pf *p)
{
	int e;

	errno = 0;
	if (fflush(p->out) == 0 && !ferror(p->out))
		return 0;
	e = errno ? errno : EIO;
	snprintf(p->err, p->errlen, "writing the Perfetto JSON (%" PRIu64 " bytes): %s", p->s->bytes, strerror(e));
	return -e;
}

/* One M event: {"ph":"M","name":what,"pid":pid,"tid":tid,"args":{key:...}}. */
static int meta(struct pf *p, const char *what, int pid, int tid, const char *key, const char *text, int64_t num)
{
	struct pj *j = &p->j;

	pj_reset(j);
	pj_begin(j);
	pj_kv_str(j, "ph", "M");
	pj_kv_str(j, "name", what);
	pj_kv_i64(j, "pid", pid);
	pj_kv_i64(j, "tid", tid);
	pj_key(j, "args");
	pj_begin(j);
	if (text)
		pj_kv_str(j, key, text);
	else
		pj_kv_i64(j, key, num);
	pj_end(j);
	pj_end(j);
	return pf_write(p, j);
}

int pf_track_names(struct pf *p, int device)
{
	int pid = pf_pid(device), r;
	const struct tdb_device *d = pid == PF_PID_NONE ? NULL : tdb_device_by_id(p->t, device);
	char name[TDB_NAME_MAX + TDB_TYPE_MAX + 32];

	if (p->named[pid])
		return 0;
	p->named[pid] = true;
	if (pid == PF_PID_NONE)
		snprintf(name, sizeof(name), "outside every device");
	else if (d && d->type[0])
		snprintf(name, sizeof(name), "%s (%s)", d->name, d->type);
	else if (d)
		snprintf(name, sizeof(name), "%s", d->name);
	else
		snprintf(name, sizeof(name), "device %d", device);
	/* Devices in id order, the window outside them last; in each the
	 * device's thread first, then the vCPUs in order. */
	if ((r = meta(p, "process_name", pid, pid, "name", name, 0)) != 0 ||
	    (r = meta(p, "process_sort_index", pid, pid, "sort_index", NULL, pid)) != 0 ||
	    (r = meta(p, "thread_name", pid, pf_tid(pid, PF_SLOT_DEVICE), "name", "device", 0)) != 0 ||
	    (r = meta(p, "thread_sort_index", pid, pf_tid(pid, PF_SLOT_DEVICE), "sort_index", NULL, 0)) != 0)
		return r;
	return 0;
}

int pf_vcpu_thread_name(struct pf *p, int pid, int slot)
{
	char name[32];
	int tid = pf_tid(pid, slot), r;

	if (slot == PF_SLOTS - 1)
		snprintf(name, sizeof(name), "vCPU %d+", PF_VCPU_SHARED);
	else
		snprintf(name, sizeof(name), "vCPU %d", slot - 1);
	if ((r = meta(p, "thread_name", pid, tid, "name", name, 0)) != 0 ||
	    (r = meta(p, "thread_sort_index", pid, tid, "sort_index", NULL, slot)) != 0)
		return r;
	return 0;
}

int pf_fail(struct pf *p, int r, const char *what)
{
	const char *m = tdb_errmsg(p->t);

	if (r == -ENOMEM)
		snprintf(p->err, p->errlen, "perfetto export: out of memory %s", what);
	else
		snprintf(p->err, p->errlen, "perfetto export: %s: %s", what, m && *m ? m : strerror(r < 0 ? -r : EIO));
	return r;
}

void pf_saw_time(struct pf *p, uint64_t ts_ns)
{
	if (!p->have_last || ts_ns > p->last_ts)
		p->last_ts = ts_ns;
	p->have_last = true;
}
