/* Chrome JSON trace events for Perfetto (export_perfetto.h,
 * docs/export-perfetto.md): the document around the events, and its
 * passes over the trace, each streamed (perfetto_priv.h).  "traceEvents"
 * comes first: some trace_processor versions stop reading at the first
 * key they do not know. */
#include "export/export_perfetto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "export/perfetto_priv.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_open.h"

/* Every device's track named up front, in id order (a device with no
 * event in the range still shows, empty). */
static int name_devices(struct pf *p)
{
	const struct tdb_device *devs;
	size_t n;
	int r;

	if (p->o->device >= 0)
		return pf_track_names(p, p->o->device);
	if ((r = tdb_devices_kept(p->t, &devs, &n)) != 0)
		return pf_fail(p, r, "reading the devices");
	for (size_t i = 0; i < n; i++)
		if (devs[i].id >= 0 && (r = pf_track_names(p, devs[i].id)) != 0)
			return r;
	return 0;
}

/* What the file is a part of, after the events (Perfetto ignores it). */
static int other_data(struct pf *p)
{
	struct pj *j = &p->j;
	int r;

	pj_reset(j);
	pj_begin(j);
	pj_kv_str(j, "generator", "vmtrace export --format perfetto");
	pj_kv_str(j, "trace", tdb_path(p->t));
	pj_kv_i64(j, "device", p->o->device);
	if (p->o->has_from)
		pj_kv_u64(j, "from", p->o->from);
	if (p->o->has_to)
		pj_kv_u64(j, "to", p->o->to);
	pj_end(j);
	if (j->oom)
		return pf_fail(p, -ENOMEM, "writing otherData");
	if ((r = pf_raw(p, "\n],\n\"otherData\":")) != 0 || (r = pf_raw(p, j->b)) != 0 || (r = pf_raw(p, "}\n")) != 0)
		return r;
	return 0;
}

int export_perfetto(struct tdb *t, const struct export_opts *o, FILE *out, struct export_summary *s, char *err,
		    size_t errlen)
{
	struct pf p = { .t = t, .o = o, .out = out, .s = s, .err = err, .errlen = errlen };
	int r;

	memset(s, 0, sizeof(*s));
	if (errlen)
		err[0] = '\0';
	p.from = o->has_from ? o->from : 0;
	p.to = o->has_to ? o->to : UINT64_MAX;
	pj_init(&p.j);
	if (o->device >= 0 && (o->device > TDB_DEVICE_ID_MAX || !tdb_device_by_id(t, o->device))) {
		snprintf(err, errlen, "perfetto export: '%s' has no device %d", tdb_path(t), o->device);
		return TDB_E_NOT_FOUND;
	}
	if ((r = pf_raw(&p, "{\"traceEvents\":[\n")) != 0 || (r = name_devices(&p)) != 0)
		goto out;
	/* An empty range (from past to) is a document without events. */
	if (p.from <= p.to) {
		if ((r = pf_events(&p)) != 0 || (o->device >= 0 && (r = pf_markers(&p)) != 0) ||
		    (r = pf_requests(&p)) != 0)
			goto out;
	}
	if ((r = other_data(&p)) != 0)
		goto out;
	r = pf_flush(&p);
out:
	pj_free(&p.j);
	return r;
}
