/* The workload spec (parsed over each workload's own option table, kept
 * in struct drv_wl_opts by registry index), the per-device run sequence
 * and helpers shared by the workloads; see workload.h. */
#include "capture/driver/workload.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "virtio/virtio.h"

/* The "queue" group: not a device type's, every workload's queues. */
static const struct drv_wl_key queue_keys[] = {
	{ "size", 1, VIRTQ_SIZE_MAX, DRV_QUEUE_SIZE_DEFAULT, "queue size asked for, capped by QueueNumMax" },
};
#define QUEUE_GROUP "queue"

/* A spec group: a registered workload (index i < drv_workload_count())
 * or, at i == drv_workload_count(), "queue". */
struct wl_group {
	const char *name;
	const struct drv_wl_key *keys;
	size_t n_keys;   /* at most DRV_WL_KEYS_MAX */
	size_t index;    /* its bit in drv_wl_opts.given, its row of val */
	bool queue;
};

static bool wl_group_at(size_t i, struct wl_group *g)
{
	const struct drv_workload *wl = drv_workload_at(i);

	if (wl) {
		*g = (struct wl_group){ wl->name, wl->keys, wl->n_keys, i, false };
	} else if (i == drv_workload_count()) {
		*g = (struct wl_group){ QUEUE_GROUP, queue_keys, sizeof(queue_keys) / sizeof(queue_keys[0]), i, true };
	} else {
		return false;
	}
	if (g->n_keys > DRV_WL_KEYS_MAX)
		g->n_keys = DRV_WL_KEYS_MAX; /* tests/driver checks none has more */
	return true;
}

static bool wl_group_find(const char *name, struct wl_group *g)
{
	for (size_t i = 0; wl_group_at(i, g); i++)
		if (!strcmp(g->name, name))
			return true;
	return false;
}

/* Where group g's key k lives in o. */
static unsigned *wl_slot(struct drv_wl_opts *o, const struct wl_group *g, size_t k)
{
	return g->queue ? &o->queue_size : &o->val[g->index][k];
}

static unsigned wl_value(const struct drv_wl_opts *o, const struct wl_group *g, size_t k)
{
	return g->queue ? o->queue_size : o->val[g->index][k];
}

void drv_wl_opts_init(struct drv_wl_opts *o)
{
	struct wl_group g;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; wl_group_at(i, &g); i++)
		for (size_t k = 0; k < g.n_keys; k++)
			*wl_slot(o, &g, k) = g.keys[k].def;
	o->indirect = true;
	o->event_idx = true;
	o->seed = 1;
	o->repeat = 1;
}

unsigned drv_wl_opt(const struct drv_wl_opts *o, const struct drv_workload *wl, size_t k)
{
	for (size_t i = 0; i < drv_workload_count(); i++)
		if (drv_workload_at(i) == wl)
			return k < wl->n_keys && k < DRV_WL_KEYS_MAX ? o->val[i][k] : 0;
	return 0;
}

int drv_wl_opt_by_name(const struct drv_wl_opts *o, const char *dev, const char *key, unsigned *v)
{
	struct wl_group g;

	if (!wl_group_find(dev, &g))
		return -ENOENT;
	for (size_t k = 0; k < g.n_keys; k++)
		if (!strcmp(g.keys[k].key, key)) {
			*v = wl_value(o, &g, k);
			return 0;
		}
	return -ENOENT;
}

bool drv_wl_opts_names(const struct drv_wl_opts *o, const char *dev)
{
	struct wl_group g;

	return wl_group_find(dev, &g) && (o->given & (1u << g.index));
}

/* Parse one "KEY=N" of group g into o. */
static int parse_kv(struct drv_wl_opts *o, const struct wl_group *g, char *kv, char *err, size_t errlen)
{
	char *eq = strchr(kv, '=');
	const struct drv_wl_key *k = NULL;
	size_t ki = 0;
	unsigned long v;
	char *end;

	if (!eq) {
		snprintf(err, errlen, "'%s:%s': expected KEY=NUMBER", g->name, kv);
		return -EINVAL;
	}
	*eq = '\0';
	for (size_t i = 0; i < g->n_keys; i++)
		if (!strcmp(g->keys[i].key, kv)) {
			k = &g->keys[i];
			ki = i;
		}
	if (!k) {
		snprintf(err, errlen, "unknown key '%s' for '%s'", kv, g->name);
		return -EINVAL;
	}
	/* Digits only: strtoul would take " 5", "+5" and "-1". */
	errno = 0;
	v = isdigit((unsigned char)eq[1]) ? strtoul(eq + 1, &end, 10) : 0;
	if (!isdigit((unsigned char)eq[1]) || errno || *end || v < k->min || v > k->max) {
		snprintf(err, errlen, "bad value '%s' for '%s:%s' (expected %u..%u)", eq + 1, g->name, kv, k->min,
			 k->max);
		return -EINVAL;
	}
	*wl_slot(o, g, ki) = (unsigned)v;
	return 0;
}

/* Cut *s at the next sep (strsep, which unlike strtok keeps empty items so
 * that ";;" and "rng:bytes=5,,requests=1" are refused, not skipped). */
static char *next_item(char **s, int sep)
{
	char *item = *s, *p;

	if (!item)
		return NULL;
	p = strchr(item, sep);
	if (p) {
		*p = '\0';
		*s = p + 1;
	} else {
		*s = NULL;
	}
	return item;
}

/* "unknown workload 'X' (expected blk, net, console, rng or queue)" */
static void unknown_group(const char *name, char *err, size_t errlen)
{
	char names[256];
	size_t n;

	drv_wl_names_join(names, sizeof(names), ", ", NULL);
	n = strlen(names);
	snprintf(names + n, sizeof(names) - n, "%s%s", n ? " or " : "", QUEUE_GROUP);
	snprintf(err, errlen, "unknown workload '%s' (expected %s)", name, names);
}

int drv_wl_opts_parse(struct drv_wl_opts *o, const char *spec, char *err, size_t errlen)
{
	struct drv_wl_opts tmp = *o;
	char *copy = strdup(spec), *rest = copy, *grp;
	int r = 0;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!*spec) {
		snprintf(err, errlen, "empty workload (expected DEVICE:KEY=NUMBER[,KEY=NUMBER...][;...])");
		r = -EINVAL;
	}
	while (r == 0 && (grp = next_item(&rest, ';'))) {
		char *colon = strchr(grp, ':'), *kvs, *kv;
		struct wl_group g;

		if (!colon || colon == grp || !colon[1]) {
			snprintf(err, errlen, "'%s': expected DEVICE:KEY=NUMBER[,KEY=NUMBER...]", grp);
			r = -EINVAL;
			break;
		}
		*colon = '\0';
		if (!wl_group_find(grp, &g)) {
			unknown_group(grp, err, errlen);
			r = -EINVAL;
			break;
		}
		kvs = colon + 1;
		while (r == 0 && (kv = next_item(&kvs, ','))) {
			if (!*kv) {
				snprintf(err, errlen, "'%s:': an empty KEY=NUMBER item", grp);
				r = -EINVAL;
			} else {
				r = parse_kv(&tmp, &g, kv, err, errlen);
			}
		}
		if (r == 0)
			tmp.given |= 1u << g.index;
	}
	free(copy);
	if (r == 0)
		*o = tmp;
	return r;
}

/* Append group g ("blk:sectors=32,requests=8", after ';' unless first)
 * at *used.  False, with the group left out, if it does not fit. */
static bool format_group(const struct drv_wl_opts *o, const struct wl_group *g, char *buf, size_t len, size_t *used)
{
	size_t start = *used;

	for (size_t k = 0; k < g->n_keys; k++) {
		int n;

		if (k > 0)
			n = snprintf(buf + *used, len - *used, ",%s=%u", g->keys[k].key, wl_value(o, g, k));
		else
			n = snprintf(buf + *used, len - *used, "%s%s:%s=%u", *used ? ";" : "", g->name,
				     g->keys[k].key, wl_value(o, g, k));
		if (n < 0 || (size_t)n >= len - *used) {
			/* No half group: a reader would take it for the whole. */
			buf[start] = '\0';
			*used = start;
			return false;
		}
		*used += (size_t)n;
	}
	return true;
}

/* Every group in order; with ids, only the workloads of those device
 * types (and "queue"). */
static void format_groups(const struct drv_wl_opts *o, const uint32_t *ids, size_t n_ids, char *buf, size_t len)
{
	struct wl_group g;
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; wl_group_at(i, &g); i++) {
		const struct drv_workload *wl = drv_workload_at(i);
		bool keep = !ids || g.queue;

		for (size_t j = 0; !keep && j < n_ids; j++)
			keep = ids[j] == wl->device_id;
		if (keep && !format_group(o, &g, buf, len, &used))
			return;
	}
}

void drv_wl_opts_format(const struct drv_wl_opts *o, char *buf, size_t len)
{
	format_groups(o, NULL, 0, buf, len);
}

void drv_wl_opts_format_for(const struct drv_wl_opts *o, const uint32_t *ids, size_t n, char *buf, size_t len)
{
	static const uint32_t none;

	format_groups(o, ids ? ids : &none, ids ? n : 0, buf, len);
}

void drv_wl_help_keys(FILE *f, const struct drv_wl_opts *defaults, unsigned indent, unsigned col)
{
	struct wl_group g;
	int pad = (int)(col > indent ? col - indent : 0);

	for (size_t i = 0; wl_group_at(i, &g); i++) {
		for (size_t k = 0; k < g.n_keys; k++) {
			const struct drv_wl_key *key = &g.keys[k];
			char opt[64], range[64];

			snprintf(opt, sizeof(opt), "%s:%s=N", g.name, key->key);
			snprintf(range, sizeof(range), "(%u-%u, default %u)", key->min, key->max,
				 wl_value(defaults, &g, k));
			fprintf(f, "%*s%-*s", (int)indent, "", pad, opt);
			if (col + strlen(key->help) + 1 + strlen(range) > 79)
				fprintf(f, "%s\n%*s%s\n", key->help, (int)col, "", range);
			else
				fprintf(f, "%s %s\n", key->help, range);
		}
	}
}

void drv_wl_help_summaries(FILE *f, unsigned indent, unsigned col)
{
	int pad = (int)(col > indent ? col - indent : 0);

	for (size_t i = 0; i < drv_workload_count(); i++) {
		const struct drv_workload *wl = drv_workload_at(i);

		fprintf(f, "%*s%-*s%s\n", (int)indent, "", pad, wl->name, wl->summary ? wl->summary : "");
	}
}

void drv_wl_names_join(char *buf, size_t len, const char *sep, const char *last_sep)
{
	size_t used = 0, n = drv_workload_count();

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *s = i == 0 ? "" : i + 1 == n && last_sep ? last_sep : sep;
		int w = snprintf(buf + used, len - used, "%s%s", s, drv_workload_at(i)->name);

		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

static void report_fill(struct drv_report *r, const struct drv_dev *d, int result)
{
	r->version = d->version;
	r->device_id = d->device_id;
	r->vendor_id = d->vendor_id;
	r->status = d->status;
	r->offered = d->offered;
	r->features = d->features;
	r->queues = d->n_queues;
	r->requests = d->requests;
	r->interrupts = d->interrupts;
	r->result = result;
	if (result != 0)
		snprintf(r->msg, sizeof(r->msg), "%s", d->err[0] ? d->err : "failed");
}

int drv_run_device(struct drv_bus *bus, uint64_t base, const struct drv_wl_opts *o, struct drv_report *r)
{
	struct drv_dev d;
	const struct drv_workload *wl;
	void *state = NULL;
	uint64_t wanted;
	uint32_t handled;
	int rc;

	memset(r, 0, sizeof(*r));
	r->base = base;
	rc = drv_probe(&d, bus, base);
	if (rc != 0)
		goto out;
	wl = drv_workload_find(d.device_id);
	if (!wl) {
		rc = drv_error(&d, DRV_E_UNSUPPORTED, "no built-in workload for device type %u", d.device_id);
		goto out;
	}
	drv_marker(&d, "%s: init (%s)", wl->name, d.tp->name);
	wanted = wl->features;
	if (o->indirect)
		wanted |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (o->event_idx)
		wanted |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if (o->packed)
		wanted |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	rc = drv_init(&d, wanted);
	if (rc != 0)
		goto out;
	rc = drv_setup_queues(&d, wl->n_queues, o->queue_size);
	if (rc != 0)
		goto out;
	state = calloc(1, wl->state_size ? wl->state_size : 1);
	if (!state) {
		rc = drv_error(&d, -ENOMEM, "out of memory");
		drv_set_failed(&d);
		goto out;
	}
	rc = wl->read_config(&d, state, o);
	if (rc != 0) {
		drv_set_failed(&d);
		goto out;
	}
	drv_driver_ok(&d);
	rc = wl->run(&d, state, o);
	if (rc == 0) {
		/* Leave no interrupt unacknowledged behind. */
		rc = drv_handle_interrupt(&d, &handled);
	}
	if (rc == 0)
		drv_marker(&d, "%s: done, %u used buffer%s, %u interrupt%s", wl->name, d.requests, drv_plural(d.requests),
			   d.interrupts, drv_plural(d.interrupts));
	else
		drv_marker(&d, "%s: failed: %s", wl->name, d.err);
	if (rc != 0 && rc != DRV_E_VERIFY)
		drv_set_failed(&d);
out:
	report_fill(r, &d, rc);
	free(state);
	drv_release(&d);
	return rc;
}

/* xorshift64*: cheap, deterministic, and good enough that a device
 * returning the wrong sector or a shifted frame shows as a mismatch. */
void drv_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t stream)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (stream + 1) * 0xbf58476d1ce4e5b9ull;

	if (x == 0)
		x = 1;
	for (size_t i = 0; i < len; i++) {
		if ((i & 7) == 0) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
		}
		buf[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> (8 * (i & 7)));
	}
}

size_t drv_first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return len;
}

int drv_mem_write(struct drv_dev *d, uint64_t gpa, const void *src, uint64_t len)
{
	if (d->bus->ops->mem_write(d->bus->ctx, gpa, src, len) < 0)
		return drv_error(d, -EFAULT, "store of %llu bytes at 0x%llx failed", (unsigned long long)len,
				 (unsigned long long)gpa);
	return 0;
}

int drv_mem_read(struct drv_dev *d, uint64_t gpa, void *dst, uint64_t len)
{
	if (d->bus->ops->mem_read(d->bus->ctx, gpa, dst, len) < 0)
		return drv_error(d, -EFAULT, "load of %llu bytes at 0x%llx failed", (unsigned long long)len,
				 (unsigned long long)gpa);
	return 0;
}

uint64_t drv_mem_alloc(struct drv_dev *d, uint64_t len, uint64_t align)
{
	uint64_t gpa = drv_bus_alloc(d->bus, len, align);

	if (!gpa)
		drv_error(d, -ENOMEM, "guest memory for the workload ran out (%llu bytes wanted)",
			  (unsigned long long)len);
	return gpa;
}
