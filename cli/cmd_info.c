/* vmtrace info [--json] [trace.db]: what a trace holds, in a few lines. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/util.h"
#include "tracedb/tdb_devices.h"
#include "tracedb/tdb_events.h"
#include "tracedb/tdb_links.h"
#include "tracedb/tdb_meta.h"
#include "tracedb/tdb_open.h"
#include "tracedb/tdb_queues.h"
#include "tracedb/tdb_steps.h"
#include "virtio/names.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace info [--json] [--check] [trace.db]\n"
		"\n"
		"Summarize a decoded trace: devices, status reached, negotiated features,\n"
		"queues, requests and violations. Reads vmtrace.db when no file is named.\n"
		"\n"
		"options:\n"
		"  --json      print one JSON object (stable keys: events, lost, violations,\n"
		"              anomalies, complete, source, devices[] with base, name,\n"
		"              device_id, type, version, status (as last written),\n"
		"              status_reached (every bit set at some point),\n"
		"              features_offered, features_negotiated, queues[] (index,\n"
		"              size), requests, violations, events; damaged[] when there\n"
		"              are damaged rows; device_reports when the trace holds the\n"
		"              device's own reports of its queue steps: reports, pops,\n"
		"              chains_checked, chains_torn, pops_without_copy,\n"
		"              pops_unchecked, requests_from_reports, chains_unchecked:\n"
		"              chains of devices that reported nothing)\n"
		"  --check     first check the whole file (SQLite's quick_check: every\n"
		"              page, a pass over all of it; readers otherwise read only\n"
		"              what they show, and meet damage where it is: see\n"
		"              vmtrace-info(1)); a damaged file exits 2\n"
		"  -h, --help  this help\n"
		"\n"
		"A row that contradicts the rest of the file (a queue size of -1, a\n"
		"negative device id or event count, a lost count that is not a number, ...)\n"
		"is shown as 'damaged' where its value would be (null in --json) and named\n"
		"in a list at the end ('damaged' in --json); info still exits 0, with a\n"
		"warning on stderr. Exit status 2: the file is not a trace.db that can be\n"
		"opened, or an argument is wrong.\n");
}

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

/* Everything info prints, read through tracedb before anything is
 * printed.  Damaged rows are noted in notes (lenient reads). */
struct info {
	struct tdb *t;
	struct tdb_meta meta;
	bool lost_ok;
	uint64_t events, violations, anomalies;
	struct tdb_steps_summary steps; /* the device's own reports */
	struct tdb_device *dev;
	size_t n_dev;
	uint64_t *unreported;           /* per dev[]: chains no report could check */
	struct tdb_notes notes;
};

/* v in decimal, or "damaged". Returns buf. */
static const char *num_text(char *buf, size_t len, bool ok, int64_t v)
{
	if (ok)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "damaged");
	return buf;
}

/* Width a summary line is wrapped at: a feature list of a real net device
 * (20+ names) would otherwise run to 230 columns. */
#define INFO_LINE_WIDTH 100
#define INFO_LABEL_WIDTH 14

/* "  label       word word ...", wrapped at word boundaries with the
 * continuation lines indented under the first word. */
static void print_wrapped(const char *label, const char *words)
{
	size_t col = (size_t)printf("  %-*s", INFO_LABEL_WIDTH - 2, label);
	bool first = true;

	while (*words) {
		size_t len = strcspn(words, " ");
		if (!first && col + 1 + len > INFO_LINE_WIDTH) {
			printf("\n%*s", INFO_LABEL_WIDTH, "");
			col = INFO_LABEL_WIDTH;
			first = true;
		}
		col += (size_t)printf("%s%.*s", first ? "" : " ", (int)len, words);
		first = false;
		words += len;
		words += strspn(words, " ");
	}
	putchar('\n');
}

/* Queues as index:size, runs of consecutive queues of one size as
 * first-last:size ("0-63:1024": a virtio-console with 64 ports has 130). */
static void print_queues(const struct tdb_queue *q, size_t n)
{
	char line[4096];
	size_t used = 0;

	line[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		char qi[24], qz[24], last[24];
		size_t end = k;
		bool clean = !(q[k].bad & (TDB_Q_QUEUE | TDB_Q_SIZE));
		while (clean && end + 1 < n && !(q[end + 1].bad & (TDB_Q_QUEUE | TDB_Q_SIZE)) &&
		       q[end + 1].queue == q[end].queue + 1 && q[end + 1].size == q[k].size)
			end++;
		num_text(qi, sizeof(qi), !(q[k].bad & TDB_Q_QUEUE), q[k].queue);
		num_text(qz, sizeof(qz), !(q[k].bad & TDB_Q_SIZE), q[k].size);
		if (end > k + 1) {
			num_text(last, sizeof(last), true, q[end].queue);
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s-%s:%s", used ? " " : "", qi,
						 last, qz);
			k = end;
		} else {
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s:%s", used ? " " : "", qi, qz);
		}
		if (used >= sizeof(line) - 64)
			break; /* 4 KiB of queue names is already more than a reader takes in */
	}
	if (n) {
		if (used + 16 < sizeof(line))
			strcat(line, "  (index:size)");
		print_wrapped("queues", line);
	} else {
		print_wrapped("queues", "none");
	}
}

/* Per-device queues: the latest generation of each queue set up. */
static int device_queues(struct info *in, const struct tdb_device *d, struct tdb_queue **q, size_t *n)
{
	*q = NULL;
	*n = 0;
	if (d->bad & TDB_DEV_ID)
		return 0;
	return tdb_queues_read(in->t, d->id, TDB_QUEUES_LATEST, 0, &in->notes, q, n);
}

static void json_damage(struct json *j, const struct tdb_notes *dm)
{
	if (!dm->count)
		return;
	json_begin_array(j, "damaged");
	for (unsigned i = 0; i < dm->n; i++)
		json_string(j, NULL, dm->note[i]);
	if (dm->count > dm->n) {
		char buf[64];
		snprintf(buf, sizeof(buf), "... and %" PRIu64 " more", dm->count - dm->n);
		json_string(j, NULL, buf);
	}
	json_end_array(j);
}

static int print_json(struct info *in)
{
	struct json j;
	char buf[64], status[128], name[TDB_NAME_MAX * 6], type[TDB_TYPE_MAX * 6];
	int r = 0;

	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_u64(&j, "events", in->events);
	if (in->lost_ok)
		json_u64(&j, "lost", in->meta.lost);
	else
		json_null(&j, "lost");
	json_u64(&j, "violations", in->violations);
	/* Files written before the table existed read as 0. */
	json_u64(&j, "anomalies", in->anomalies);
	if (in->steps.reports) {
		/* only in traces with the device's own reports */
		json_begin_object(&j, "device_reports");
		json_u64(&j, "reports", in->steps.reports);
		json_u64(&j, "pops", in->steps.pops);
		json_u64(&j, "chains_checked", in->steps.checked);
		json_u64(&j, "chains_torn", in->steps.torn);
		json_u64(&j, "pops_without_copy", in->steps.no_copy);
		json_u64(&j, "pops_unchecked", in->steps.unchecked);
		json_u64(&j, "requests_from_reports", in->steps.from_reports);
		json_u64(&j, "chains_unchecked", in->steps.unreported);
		json_end_object(&j);
	}
	json_bool(&j, "complete", in->meta.complete);
	json_string(&j, "source", in->meta.source);
	json_begin_array(&j, "devices");
	for (size_t i = 0; i < in->n_dev && r == 0; i++) {
		const struct tdb_device *d = &in->dev[i];
		struct tdb_queue *q;
		size_t nq;
		json_begin_object(&j, NULL);
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d->base);
		json_string(&j, "base", !(d->bad & TDB_DEV_BASE) ? buf : NULL);
		json_string(&j, "name", term_escape((const unsigned char *)d->name, name, sizeof(name)));
		if (d->device_id >= 0)
			json_u64(&j, "device_id", (uint64_t)d->device_id);
		else
			json_null(&j, "device_id");
		json_string(&j, "type", d->type[0] ? term_escape((const unsigned char *)d->type, type, sizeof(type)) : NULL);
		if (!(d->bad & TDB_DEV_VERSION))
			json_u64(&j, "version", d->version);
		else
			json_null(&j, "version");
		json_string(&j, "status", !(d->bad & TDB_DEV_STATUS) ? virtio_status_str(d->status, status, sizeof(status)) : NULL);
		json_string(&j, "status_reached", virtio_status_str(d->status_reached, status, sizeof(status)));
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d->features_offered);
		json_string(&j, "features_offered", !(d->bad & TDB_DEV_OFFERED) ? buf : NULL);
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d->features_negotiated);
		json_string(&j, "features_negotiated", !(d->bad & TDB_DEV_NEGOTIATED) ? buf : NULL);
		json_begin_array(&j, "queues");
		r = device_queues(in, d, &q, &nq);
		for (size_t k = 0; k < nq; k++) {
			json_begin_object(&j, NULL);
			if (!(q[k].bad & TDB_Q_QUEUE))
				json_u64(&j, "index", q[k].queue);
			else
				json_null(&j, "index");
			if (!(q[k].bad & TDB_Q_SIZE))
				json_u64(&j, "size", q[k].size);
			else
				json_null(&j, "size");
			json_end_object(&j);
		}
		free(q);
		json_end_array(&j);
		json_u64(&j, "requests", d->requests);
		json_u64(&j, "violations", d->violations);
		if (!(d->bad & TDB_DEV_EVENTS))
			json_u64(&j, "events", d->events);
		else
			json_null(&j, "events");
		json_end_object(&j);
	}
	json_end_array(&j);
	json_damage(&j, &in->notes);
	json_end_object(&j);
	return r;
}

static const char *version_text(const struct tdb_device *d)
{
	if (d->bad & TDB_DEV_VERSION)
		return "version damaged";
	return d->version == 1 ? "legacy v1" : d->version == 2 ? "modern v2" : "version unknown";
}

/* The first violations, one line each (tdb_violations_first). */
static int print_violation(void *arg, const struct tdb_violation *v)
{
	struct info *in = arg;
	const struct tdb_device *d = v->device >= 0 ? tdb_device_by_id(in->t, v->device) : NULL;
	char dev[128], msg[512], sev[32], actor[32], rule[512];

	printf("  #%-8llu %-28s %-7s %-8s %s: %s\n", (unsigned long long)v->seq,
	       term_escape((const unsigned char *)(d ? d->name : ""), dev, sizeof(dev)),
	       term_escape((const unsigned char *)v->severity_text, sev, sizeof(sev)),
	       term_escape((const unsigned char *)(v->actor_text[0] ? v->actor_text : "?"), actor, sizeof(actor)),
	       term_escape((const unsigned char *)v->rule, rule, sizeof(rule)),
	       term_escape((const unsigned char *)v->message, msg, sizeof(msg)));
	return 0;
}

/* An empty transport: DeviceID read as 0 (no device behind the window)
 * and nothing else happened there but the probe's reads.  An arm virt
 * machine has 32 slots, most of them empty: print_text sums these up in
 * one line instead of a block each. */
static bool empty_transport(const struct tdb_device *d)
{
	return d->device_id == 0 && !(d->bad & (TDB_DEV_DEVICE_ID | TDB_DEV_STATUS | TDB_DEV_NEGOTIATED)) &&
	       d->status == 0 && d->status_reached == 0 && d->features_negotiated == 0 && d->requests == 0 &&
	       d->violations == 0;
}


/* tdb_steps_unreported's callback: the count of the device with that id. */
static int note_unreported(void *arg, int device, uint64_t chains)
{
	struct info *in = arg;

	for (size_t i = 0; i < in->n_dev; i++)
		if (in->dev[i].id == device)
			in->unreported[i] = chains;
	return 0;
}

static int print_text(struct info *in, const char *path)
{
	char names[768], status[128], tmp[512], lost_text[40], name[TDB_NAME_MAX * 6], type[TDB_TYPE_MAX * 6];
	int r = 0;

	if (in->lost_ok)
		snprintf(lost_text, sizeof(lost_text), "%" PRIu64 " lost", in->meta.lost);
	else
		snprintf(lost_text, sizeof(lost_text), "lost count damaged");
	printf("%s: %llu events (%s) from %s, %s\n", path, (unsigned long long)in->events, lost_text,
	       in->meta.source[0] ? term_escape((const unsigned char *)in->meta.source, names, sizeof(names)) : "unknown source",
	       term_escape((const unsigned char *)in->meta.stop_reason, tmp, sizeof(tmp)));
	size_t n_empty = 0;
	uint64_t empty_lo = UINT64_MAX, empty_hi = 0, empty_events = 0;
	for (size_t i = 0; i < in->n_dev && r == 0; i++) {
		const struct tdb_device *d = &in->dev[i];
		struct tdb_queue *q;
		size_t nq;
		char id[24];
		if (empty_transport(d)) {
			n_empty++;
			empty_lo = d->base < empty_lo ? d->base : empty_lo;
			empty_hi = d->base > empty_hi ? d->base : empty_hi;
			empty_events += (d->bad & TDB_DEV_EVENTS) ? 0 : d->events;
			continue;
		}
		if (d->device_id >= 0)
			snprintf(id, sizeof(id), "%lld", (long long)d->device_id);
		else
			snprintf(id, sizeof(id), "%s", !(d->bad & TDB_DEV_DEVICE_ID) ? "unknown" : "damaged");
		printf("\n%s  (%s, %s, device id %s)\n", term_escape((const unsigned char *)d->name, name, sizeof(name)),
		       d->type[0] ? term_escape((const unsigned char *)d->type, type, sizeof(type)) : "unknown type",
		       version_text(d), id);
		if (!(d->bad & TDB_DEV_STATUS)) {
			printf("  status      %s", virtio_status_str(d->status, status, sizeof(status)));
			if (d->status_reached != d->status)
				printf(" (reached %s)", virtio_status_str(d->status_reached, status, sizeof(status)));
		} else {
			printf("  status      damaged (reached %s)", virtio_status_str(d->status_reached, status, sizeof(status)));
		}
		putchar('\n');
		print_wrapped("offered", !(d->bad & TDB_DEV_OFFERED)
					 ? virtio_features_str((uint32_t)d->device_id, d->features_offered, names, sizeof(names))
					 : "damaged");
		print_wrapped("negotiated", !(d->bad & TDB_DEV_NEGOTIATED)
					    ? virtio_features_str((uint32_t)d->device_id, d->features_negotiated, names,
								  sizeof(names))
					    : "damaged");
		r = device_queues(in, d, &q, &nq);
		print_queues(q, nq);
		free(q);
		char ev[24];
		printf("  events      %s, requests %llu, violations %llu\n",
		       num_text(ev, sizeof(ev), !(d->bad & TDB_DEV_EVENTS), (int64_t)d->events),
		       (unsigned long long)d->requests, (unsigned long long)d->violations);
		if (in->unreported && in->unreported[i])
			printf("  copies      %" PRIu64 " chain%s unchecked: no queue step reported (a vhost back end?)\n",
			       in->unreported[i], in->unreported[i] == 1 ? "" : "s");
	}
	if (r)
		return r;
	if (n_empty == 1)
		printf("\n1 empty virtio-mmio transport (DeviceID 0) at 0x%" PRIx64 ": %" PRIu64 " event%s, no device\n",
		       empty_lo, empty_events, empty_events == 1 ? "" : "s");
	else if (n_empty)
		printf("\n%zu empty virtio-mmio transports (DeviceID 0) between 0x%" PRIx64 " and 0x%" PRIx64
		       ": %" PRIu64 " event%s, no device\n",
		       n_empty, empty_lo, empty_hi, empty_events, empty_events == 1 ? "" : "s");
	printf("\n%llu violation%s", (unsigned long long)in->violations, in->violations == 1 ? "" : "s");
	if (in->anomalies)
		printf("; %llu anomal%s in best-effort ring snapshots (torn by the running guest, not counted as "
		       "violations)",
		       (unsigned long long)in->anomalies, in->anomalies == 1 ? "y" : "ies");
	putchar('\n');
	if (in->steps.reports) {
		const struct tdb_steps_summary *s = &in->steps;
		printf("ring copies checked against the device's reports: %" PRIu64 " chain%s, %" PRIu64 " torn", s->checked,
		       s->checked == 1 ? "" : "s", s->torn);
		if (s->no_copy)
			printf(", %" PRIu64 " taken by the device without a complete copy", s->no_copy);
		if (s->unchecked)
			printf(", %" PRIu64 " pop%s not checked (no queue set up for %s)", s->unchecked, s->unchecked == 1 ? "" : "s",
			       s->unchecked == 1 ? "it" : "them");
		if (s->from_reports)
			printf("; %" PRIu64 " blk request%s decoded from the reports", s->from_reports,
			       s->from_reports == 1 ? "" : "s");
		if (s->unreported)
			printf("; not checked: %" PRIu64 " chain%s of %" PRIu64 " device%s without reports",
			       s->unreported, s->unreported == 1 ? "" : "s", s->unreported_devices,
			       s->unreported_devices == 1 ? "" : "s");
		putchar('\n');
	}
	if (in->violations) {
		r = tdb_violations_first(in->t, 10, print_violation, in);
		if (r == TDB_E_DAMAGED_ROW) {
			/* a violation whose seq is no number: named below, the rest listed */
			tdb_notes_add(&in->notes, "%s", tdb_errmsg(in->t));
			r = 0;
		}
	}
	if (in->violations > 10 || in->anomalies) {
		char p[512];
		printf("  %s(%s: vmtrace show --violations '%s')\n", in->violations > 10 ? "... " : "",
		       in->violations > 10 ? "all of them" : "where they are",
		       term_escape((const unsigned char *)path, p, sizeof(p)));
	}
	if (in->notes.count) {
		printf("\ndamaged rows (values no vmtrace writes; shown as 'damaged' above):\n");
		for (unsigned i = 0; i < in->notes.n; i++)
			printf("  %s\n", in->notes.note[i]);
		if (in->notes.count > in->notes.n)
			printf("  ... and %" PRIu64 " more\n", in->notes.count - in->notes.n);
	}
	return r;
}

/* Read what info shows. Returns 0 or an error (tdb_errmsg). */
static int info_read(struct info *in)
{
	int r = tdb_meta_read(in->t, &in->meta);

	in->lost_ok = true;
	if (r == TDB_E_DAMAGED_ROW) {
		/* A meta number that is not one: named, the rest read on. */
		char msg[TDB_ERRMSG_MAX];
		snprintf(msg, sizeof(msg), "%s", tdb_errmsg(in->t));
		const char *row = strstr(msg, "meta row ");
		tdb_notes_add(&in->notes, "%s", row ? row : msg);
		if (row && !strncmp(row, "meta row 'lost'", 15))
			in->lost_ok = false;
		r = 0;
	}
	if (r || (r = tdb_events_count(in->t, &in->events)) ||
	    (r = tdb_violations_count(in->t, &in->violations, &in->anomalies)) ||
	    (r = tdb_steps_summary(in->t, &in->steps)))
		return r;
	if ((r = tdb_devices_read(in->t, TDB_BY_BASE, &in->notes, &in->dev, &in->n_dev)))
		return r;
	if (!in->steps.unreported_devices)
		return 0;
	in->unreported = calloc(in->n_dev ? in->n_dev : 1, sizeof(*in->unreported));
	if (!in->unreported)
		return -ENOMEM;
	return tdb_steps_unreported(in->t, note_unreported, in);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false, check = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 'c': check = true; break;
		case 'h': usage(stdout); return 0;
		default:
			usage_hint();
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		return usage_error("wants at most one trace.db ('%s' is extra)", argv[optind + 1]);
	}
	const char *path = optind < argc ? argv[optind] : "vmtrace.db";
	struct info *in;
	char err[512];
	int r;

	in = calloc(1, sizeof(*in));
	if (!in) {
		error("out of memory");
		return EXIT_FAIL;
	}
	if ((r = tdb_open(&in->t, path, err, sizeof(err))) != 0) {
		if (as_json)
			json_error(stdout, err);
		else
			error("%s", err);
		free(in);
		return r < 0 ? EXIT_FAIL : EXIT_USAGE;
	}
	/* tdb_open read no more than the schema and meta (docs/opening.md) */
	r = check ? tdb_check(in->t) : 0;
	if (r != 0 && as_json) {
		json_error(stdout, tdb_errmsg(in->t));
		tdb_close(in->t);
		free(in);
		return r > 0 ? EXIT_USAGE : EXIT_FAIL;
	}
	if (r == 0)
		r = info_read(in);
	if (r == 0)
		r = as_json ? print_json(in) : print_text(in, path);
	if (r != 0) {
		fflush(stdout);
		error("%s", tdb_errmsg(in->t));
	} else if (in->notes.count) {
		warning("'%s': %" PRIu64 " damaged row%s (%s)", path, in->notes.count, in->notes.count == 1 ? "" : "s",
			as_json ? "listed under \"damaged\"" : "listed at the end");
	}
	tdb_close(in->t);
	free(in->dev);
	free(in->unreported);
	free(in);
	/* an input error (a damaged file) is bad input; others are failures */
	return r == 0 ? 0 : r > 0 ? EXIT_USAGE : EXIT_FAIL;
}
